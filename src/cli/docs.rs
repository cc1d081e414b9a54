//! `c2w docs`: the API reference from the registered functions.

use clap::Args;

use crate::limits::Limits;
use crate::script::{Session, reference};

#[derive(Args)]
pub struct DocsArgs {
    /// Machine-readable JSON.
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// Markdown (this is docs/api.md).
    #[arg(long)]
    markdown: bool,
    /// Only this topic or function (plain text).
    topic: Option<String>,
}

pub fn docs(a: DocsArgs) -> i32 {
    let session = Session::new(Limits::default(), None);
    let reg = session.registry();
    if a.json {
        println!("{}", reference::json(reg));
    } else if a.markdown {
        print!("{}", reference::markdown(reg));
    } else if let Some(t) = a.topic {
        match reference::help(reg, &t) {
            Some(h) => print!("{h}"),
            None => {
                eprintln!("error: no topic or function '{t}'");
                return 2;
            }
        }
    } else {
        print!("{}", reference::compact(reg, None));
    }
    0
}
