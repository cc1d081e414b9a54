//! `c2w run`: build, simulate, write the results.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{LimitArgs, read_script, report_error};
use crate::measure::Report;
use crate::pipeline::{self, RunOptions};
use crate::util::fsx::{write_atomic, write_json_atomic};

#[derive(Args)]
pub struct RunArgs {
    /// The world script (.rhai).
    script: PathBuf,
    /// Output folder (default: out/<script name>).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Seed for all randomness (overrides the script's).
    #[arg(long)]
    seed: Option<u64>,
    /// Simulated seconds (overrides the script's).
    #[arg(long)]
    duration: Option<f64>,
    /// Frames per second (overrides the script's).
    #[arg(long)]
    fps: Option<u32>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Exit with status 2 when an expectation fails.
    #[arg(long)]
    strict: bool,
    #[command(flatten)]
    limits: LimitArgs,
}

pub fn default_out(script: &Path) -> PathBuf {
    let stem = script
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "world".into());
    PathBuf::from("out").join(stem)
}

pub fn run(a: RunArgs) -> i32 {
    let source = match read_script(&a.script) {
        Ok(s) => s,
        Err(e) => {
            report_error(&e, a.json);
            return 1;
        }
    };
    let opts = RunOptions {
        seed: a.seed,
        duration: a.duration,
        fps: a.fps,
        limits: a.limits.limits(),
    };
    let mut result = pipeline::run(&source, &opts, &mut []);
    result.report.error = result
        .report
        .error
        .take()
        .map(|e| super::locate(e, &a.script));
    let out = a.out.clone().unwrap_or_else(|| default_out(&a.script));
    if let Err(e) = write_outputs(&out, &source, &result.report, result.trace.as_ref()) {
        eprintln!("error: cannot write to {}: {e}", out.display());
        return 1;
    }
    let report = &result.report;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
    } else {
        print_summary(&a.script, &out, report);
    }
    match &report.error {
        Some(e) => {
            if !a.json {
                report_error(e, false);
            }
            e.kind.exit_code()
        }
        None if a.strict && !report.expectations_passed => 2,
        None => 0,
    }
}

/// Writes the script copy, report and trace atomically; the report goes
/// last so its presence means the run's files are complete.
pub fn write_outputs(
    out: &Path,
    source: &str,
    report: &Report,
    trace: Option<&crate::measure::Trace>,
) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    write_atomic(&out.join("world.rhai"), source.as_bytes())?;
    if let Some(t) = trace {
        write_json_atomic(&out.join("trace.json"), t)?;
    }
    write_json_atomic(&out.join("report.json"), report)
}

fn print_summary(script: &Path, out: &Path, r: &Report) {
    if r.frames > 0 {
        println!(
            "{}: {} frames ({:.1} s at {} fps), {} entities, {} dynamic bodies, {} joints, peak {} particles",
            script.display(),
            r.frames,
            r.duration,
            r.fps,
            r.counts.entities,
            r.counts.dynamic_bodies,
            r.counts.joints,
            r.counts.particles_peak
        );
        println!(
            "  state {}  (build {:.0} ms, simulate {:.0} ms)",
            r.state_hash, r.timings.build_ms, r.timings.simulate_ms
        );
    }
    for w in &r.warnings {
        println!("  warning: {w}");
    }
    if !r.expectations.is_empty() {
        let passed = r.expectations.iter().filter(|e| e.passed).count();
        println!("  expectations: {passed}/{} passed", r.expectations.len());
        for e in &r.expectations {
            println!(
                "    {} line {}: {} {}: {}",
                if e.passed { "ok  " } else { "FAIL" },
                e.line,
                e.kind,
                e.subject,
                e.message
            );
        }
    }
    println!("  wrote {}", out.display());
}
