//! `c2w bench code4d` (or `c2w bench FILE.jsonl`): the benchmark harness,
//! a batch of generations and a report of their figures.

use std::path::PathBuf;

use clap::Args;

use super::batch::{BatchRunArgs, exit_code, print_outcome};
use crate::batch::{self, bench};

#[derive(Args)]
pub struct BenchArgs {
    /// `code4d` for the ten Code4D prompts (embedded), or a JSONL file of
    /// prompts with ids.
    #[arg(default_value = "code4d")]
    suite: String,
    #[command(flatten)]
    run: BatchRunArgs,
}

pub fn bench(a: BenchArgs) -> i32 {
    let (text, origin, default_out) = if a.suite == "code4d" {
        (
            bench::CODE4D.to_string(),
            "code4d".to_string(),
            PathBuf::from("out/bench-code4d"),
        )
    } else {
        let path = PathBuf::from(&a.suite);
        match std::fs::read_to_string(&path) {
            Ok(t) => {
                let stem = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "prompts".into());
                (
                    t,
                    path.display().to_string(),
                    PathBuf::from("out").join(format!("bench-{stem}")),
                )
            }
            Err(e) => {
                eprintln!(
                    "error: cannot read {}: {e} (give `code4d` or a JSONL file of prompts)",
                    path.display()
                );
                return 1;
            }
        }
    };
    let items = match batch::items::parse_jsonl(&text, &origin) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let out = a.run.out.clone().unwrap_or(default_out);
    let title = format!("Benchmark: {origin}");
    let outcome = if a.run.report_only {
        batch::report_only(&items, &out, &title)
    } else {
        match a.run.options(out.clone(), &title) {
            Ok(o) => batch::run_batch(&items, &o),
            Err(e) => {
                eprintln!("error: {e}");
                return 1;
            }
        }
    };
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    print_outcome(&outcome, &out);
    match bench::write_report(&out, &items, &text, &title) {
        Ok(r) => {
            let t = &r.totals;
            println!(
                "  bench: {} of {} run, {} pass; physics failure rate {}; report {}",
                t.runs,
                t.prompts,
                t.passes,
                t.physics_failure_rate
                    .map(|x| format!("{:.0}%", x * 100.0))
                    .unwrap_or_else(|| "-".into()),
                out.join("bench.md").display()
            );
            println!("  contact sheets: {}", out.join("index.html").display());
            exit_code(&outcome, items.len())
        }
        Err(e) => {
            eprintln!("error: cannot write the report in {}: {e}", out.display());
            1
        }
    }
}
