//! `c2w check`: compile and build at t = 0, validate, do not simulate.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use serde::Serialize;

use super::{LimitArgs, read_script, report_error};
use crate::measure::Counts;
use crate::pipeline::{self, RunOptions};

#[derive(Args)]
pub struct CheckArgs {
    script: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Serialize)]
struct CheckResult {
    ok: bool,
    duration: f64,
    fps: u32,
    frames: u64,
    counts: Counts,
    warnings: Vec<String>,
    elapsed_ms: f64,
}

pub fn check(a: CheckArgs) -> i32 {
    let start = Instant::now();
    let source = match read_script(&a.script) {
        Ok(s) => s,
        Err(e) => {
            report_error(&e, a.json);
            return 1;
        }
    };
    let opts = RunOptions {
        limits: a.limits.limits(),
        ..Default::default()
    };
    match pipeline::build(&source, &opts) {
        Err(f) => {
            let e = super::locate(f.error, &a.script);
            report_error(&e, a.json);
            e.kind.exit_code()
        }
        Ok(built) => {
            let result = built.session.with_world(|w| CheckResult {
                ok: true,
                duration: w.settings.duration,
                fps: w.settings.fps,
                frames: w.settings.frame_count(),
                counts: Counts::of(w),
                warnings: built.warnings.clone(),
                elapsed_ms: start.elapsed().as_secs_f64() * 1000.0,
            });
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
