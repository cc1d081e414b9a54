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
    /// The asset library instead: every stdlib generator with its options
    /// (units, ranges, defaults), tags and measured size and triangles.
    #[arg(long, conflicts_with = "markdown")]
    assets: bool,
    /// Only this topic or function (plain text).
    topic: Option<String>,
}

pub fn docs(a: DocsArgs) -> i32 {
    if a.assets {
        let records = crate::agent::library::records();
        match a.topic {
            Some(t) => {
                let picked: Vec<_> = records
                    .into_iter()
                    .filter(|r| r.name == t || r.tags.contains(&t))
                    .collect();
                if picked.is_empty() {
                    eprintln!("error: no generator named or tagged '{t}'");
                    return 2;
                }
                print_assets(&picked, a.json);
            }
            None => print_assets(&records, a.json),
        }
        return 0;
    }
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

fn print_assets(records: &[crate::agent::library::AssetRecord], json: bool) {
    use crate::agent::library::{records_json, records_text};
    if json {
        println!("{}", records_json(records));
    } else {
        print!("{}", records_text(records));
    }
}
