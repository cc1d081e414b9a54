//! `c2w export` (a script to an animated glTF scene) and `c2w view` (a run
//! folder in the browser).

use std::path::PathBuf;

use clap::Args;

use super::{LimitArgs, read_script, report_error};
use crate::export::{ExportOptions, viewer::Viewer, write};
use crate::pipeline::RunOptions;
use crate::pipeline::export::export_script;

#[derive(Args)]
pub struct ExportArgs {
    /// The world script (.rhai).
    script: PathBuf,
    /// Output file: .glb (binary) or .gltf (JSON, buffer embedded); default
    /// out/<script name>.glb.
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
    /// Particles kept per frame, all emitters together (evenly strided).
    #[arg(long, default_value_t = ExportOptions::default().max_particles, value_name = "N")]
    particles_per_frame: usize,
    /// Print what was written as JSON on stdout.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    limits: LimitArgs,
}

pub fn export(a: ExportArgs) -> i32 {
    let source = match read_script(&a.script) {
        Ok(s) => s,
        Err(e) => {
            report_error(&e, a.json);
            return e.kind.exit_code();
        }
    };
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| super::run::default_out(&a.script).with_extension("glb"));
    let run = RunOptions {
        seed: a.seed,
        duration: a.duration,
        fps: a.fps,
        limits: a.limits.limits(),
    };
    let opts = ExportOptions {
        max_particles: a.particles_per_frame,
        ..Default::default()
    };
    let (doc, report) = export_script(&source, &run, opts);
    if let Some(e) = &report.error {
        let e = super::locate(e.clone(), &a.script);
        report_error(&e, a.json);
        if doc.is_none() {
            return e.kind.exit_code();
        }
        eprintln!("warning: the run stopped early; exporting the frames it made");
    }
    let Some(doc) = doc else {
        eprintln!("error: the world ran no frame, nothing to export");
        return 1;
    };
    match write(&doc, &out) {
        Ok(s) => {
            if a.json {
                println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
            } else {
                println!(
                    "wrote {}: {} nodes, {} meshes, {} animation channels over {:.2} s, {} bytes",
                    s.path, s.nodes, s.meshes, s.animation_channels, s.duration, s.bytes
                );
                if s.particles_left_out > 0 {
                    println!(
                        "  {} particle samples left out (--particles-per-frame {})",
                        s.particles_left_out, a.particles_per_frame
                    );
                }
            }
            report.error.map_or(0, |e| e.kind.exit_code())
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", out.display());
            1
        }
    }
}

#[derive(Args)]
pub struct ViewArgs {
    /// A run folder (from c2w run --gltf or c2w generate).
    dir: PathBuf,
    /// Port on 127.0.0.1 (default: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
}

pub fn view(a: ViewArgs) -> i32 {
    let viewer = match Viewer::bind(&a.dir, a.port) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    if !a.dir.join("world.glb").is_file() {
        eprintln!(
            "warning: {} has no world.glb; make one with c2w run SCRIPT --gltf --out {}",
            a.dir.display(),
            a.dir.display()
        );
    }
    println!(
        "c2w view: {} at {} (Ctrl-C to stop)",
        a.dir.display(),
        viewer.url()
    );
    viewer.serve();
    0
}

/// The line `c2w run` and `c2w generate` print under a run folder.
pub fn view_hint(dir: &std::path::Path) -> String {
    format!("view it: c2w view {}", dir.display())
}
