//! `c2w render`: one frame of a world at a chosen time, as a PNG.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{LimitArgs, RenderArgs, read_script, report_error};
use crate::pipeline::{RunOptions, SnapshotError, render_at};
use crate::script::ScriptError;
use crate::video::write_png;

#[derive(Args)]
pub struct RenderCmdArgs {
    /// The world script (.rhai).
    script: PathBuf,
    /// Simulated time of the frame, seconds.
    #[arg(long, default_value_t = 0.0, value_name = "SECONDS")]
    at: f64,
    /// Output image (default: <script name>_<time>s.png).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Seed for all randomness (overrides the script's).
    #[arg(long)]
    seed: Option<u64>,
    /// Print the result (or error) as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    render: RenderArgs,
    #[command(flatten)]
    limits: LimitArgs,
}

pub fn render(a: RenderCmdArgs) -> i32 {
    let source = match read_script(&a.script) {
        Ok(s) => s,
        Err(e) => {
            report_error(&e, a.json);
            return e.kind.exit_code();
        }
    };
    let render_opts = match a.render.options() {
        Ok(o) => o,
        Err(e) => return fail(&e, a.json),
    };
    let opts = RunOptions {
        seed: a.seed,
        limits: a.limits.limits(),
        ..Default::default()
    };
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| default_name(&a.script, a.at));
    match render_at(&source, &opts, a.at, &render_opts) {
        Ok((image, report)) => {
            let written = write_png(&out, &image);
            if let Err(e) = written {
                return fail(&format!("cannot write {}: {e}", out.display()), a.json);
            }
            if a.json {
                let value = serde_json::json!({
                    "ok": true,
                    "image": out,
                    "time": a.at,
                    "width": image.width,
                    "height": image.height,
                    "warnings": report.warnings,
                });
                println!("{value:#}");
            } else {
                println!(
                    "{} at t = {} s: wrote {} ({}x{})",
                    a.script.display(),
                    a.at,
                    out.display(),
                    image.width,
                    image.height
                );
            }
            0
        }
        Err(SnapshotError::Script(e)) => {
            let e = super::locate(*e, &a.script);
            report_error(&e, a.json);
            e.kind.exit_code()
        }
        Err(SnapshotError::Render(e)) => {
            fail(&format!("{e}\n  ({})", super::adapter_help()), a.json)
        }
    }
}

fn fail(message: &str, json: bool) -> i32 {
    report_error(&ScriptError::internal(message.to_string()), json);
    1
}

fn default_name(script: &Path, at: f64) -> PathBuf {
    let stem = script
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "world".into());
    PathBuf::from(format!("{stem}_{at:.2}s.png"))
}
