//! `c2w check`: compile and build at t = 0, validate, do not simulate.

use std::path::PathBuf;

use clap::Args;

use super::{LimitArgs, read_script, report_error};
use crate::pipeline::RunOptions;
use crate::pipeline::check::check as check_source;

#[derive(Args)]
pub struct CheckArgs {
    script: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    limits: LimitArgs,
}

pub fn check(a: CheckArgs) -> i32 {
    let source = match read_script(&a.script) {
        Ok(s) => s,
        Err(e) => {
            report_error(&e, a.json);
            return e.kind.exit_code();
        }
    };
    let opts = RunOptions {
        limits: a.limits.limits(),
        ..Default::default()
    };
    match check_source(&source, &opts) {
        Err(f) => {
            let e = super::locate(f.error, &a.script);
            report_error(&e, a.json);
            e.kind.exit_code()
        }
        Ok(result) => {
            if a.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&result).unwrap_or_default()
                );
            } else {
                println!(
                    "{}: ok ({} entities, {} dynamic bodies, {} emitters, {} expectations; {:.1} ms)",
                    a.script.display(),
                    result.counts.entities,
                    result.counts.dynamic_bodies,
                    result.counts.emitters,
                    result.counts.expectations,
                    result.elapsed_ms
                );
                for w in &result.warnings {
                    println!("  warning: {w}");
                }
            }
            0
        }
    }
}
