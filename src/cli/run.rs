//! `c2w run`: build, simulate, write the results.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{LimitArgs, RenderArgs, read_script, report_error};
use crate::critic::Verdict;
use crate::measure::Report;
use crate::pipeline::RunOptions;
use crate::pipeline::job::{VlmChoice, WorldJob, read_brief, run_job};

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
    /// Exit with status 2 when an expectation fails (or, with --critic,
    /// when the critic's verdict is fail).
    #[arg(long)]
    strict: bool,
    /// Simulate only: no video, contact sheet or images.
    #[arg(long)]
    no_render: bool,
    /// Also write every frame as frames/NNNN.png.
    #[arg(long)]
    frames: bool,
    /// Write stills at these times (seconds), e.g. --snap 0,2.5,10.
    #[arg(long, value_delimiter = ',', value_name = "T,...")]
    snap: Vec<f64>,
    /// Judge the run with the motion critic and write critic.json.
    #[arg(long)]
    critic: bool,
    /// A scene brief (JSON) for the critic to check the world against.
    #[arg(long, value_name = "FILE")]
    brief: Option<PathBuf>,
    /// Also write the animated scene as world.glb (glTF 2.0), for Blender,
    /// three.js, game engines and `c2w view`.
    #[arg(long)]
    gltf: bool,
    /// Configuration file naming the critic's vision model under
    /// [models.critic] (default: ./c2w.toml when present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Run again each time the script (or the brief) is saved; Ctrl-C stops.
    #[arg(long)]
    watch: bool,
    /// With --watch, stop after this many runs (for scripts and tests).
    #[arg(long, value_name = "N", hide = true, requires = "watch")]
    watch_runs: Option<u32>,
    #[command(flatten)]
    render: RenderArgs,
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

/// How often `--watch` looks at the files.
const WATCH_POLL: std::time::Duration = std::time::Duration::from_millis(200);

pub fn run(a: RunArgs) -> i32 {
    if !a.watch {
        return run_once(&a);
    }
    let mut files = vec![a.script.clone()];
    files.extend(a.brief.clone());
    let mut detector = super::watch::ChangeDetector::new(files);
    let mut runs = 0u32;
    loop {
        let code = run_once(&a);
        runs += 1;
        if a.watch_runs.is_some_and(|n| runs >= n) {
            return code;
        }
        eprintln!(
            "watching {} for changes (run {runs} exited {code}; Ctrl-C stops)",
            a.script.display()
        );
        detector.wait(WATCH_POLL, None);
    }
}

fn run_once(a: &RunArgs) -> i32 {
    let source = match read_script(&a.script) {
        Ok(s) => s,
        Err(e) => {
            report_error(&e, a.json);
            return e.kind.exit_code();
        }
    };
    let opts = RunOptions {
        seed: a.seed,
        duration: a.duration,
        fps: a.fps,
        limits: a.limits.limits(),
    };
    let vlm = if a.critic || a.brief.is_some() {
        match VlmChoice::from_config(a.config.as_deref()) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("error: {e}");
                return 1;
            }
        }
    } else {
        VlmChoice::Off("the critic was not asked for".into())
    };
    let brief = match a.brief.as_deref().map(read_brief).transpose() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let out = a.out.clone().unwrap_or_else(|| default_out(&a.script));
    let render = match a.render.options_unless(a.no_render) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let (bar, progress) = super::output::frames_bar("run");
    let job = WorldJob {
        vlm,
        progress: Some(progress),
        run: opts,
        video_quality: a.render.video_quality(),
        frames: a.frames,
        snaps: a.snap.clone(),
        critic: a.critic,
        brief,
        gltf: a.gltf,
        ..WorldJob::new(out.clone(), render)
    };
    let result = run_job(&source, job);
    bar.finish_and_clear();
    let mut result = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot write to {}: {e}", out.display());
            return 1;
        }
    };
    if let Some(w) = &result.render_warning {
        eprintln!("warning: not rendering: {w}\n  ({})", super::adapter_help());
    }
    result.report.error = result
        .report
        .error
        .take()
        .map(|e| super::locate(e, &a.script));
    let diff = result.diff;
    let report = &result.report;
    if a.json {
        let mut value = serde_json::to_value(report).unwrap_or_default();
        if let (Some(d), Some(map)) = (&diff, value.as_object_mut()) {
            map.insert("critic".into(), serde_json::to_value(d).unwrap_or_default());
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        print_summary(&a.script, &out, report);
        match &result.gltf {
            Some(Ok(s)) => println!(
                "  world.glb: {} nodes, {} meshes, {} animation channels, {} bytes",
                s.nodes, s.meshes, s.animation_channels, s.bytes
            ),
            Some(Err(e)) => println!("  world.glb not written: {e}"),
            None => {}
        }
        if report.frames > 0 {
            println!("  {}", super::export::view_hint(&out));
        }
        if let Some(d) = &diff {
            print!("{d}");
        }
    }
    match &report.error {
        Some(e) => {
            if !a.json {
                report_error(e, false);
            }
            e.kind.exit_code()
        }
        None if a.strict && !report.expectations_passed => 2,
        None if a.strict && diff.as_ref().is_some_and(|d| d.verdict == Verdict::Fail) => 2,
        None => 0,
    }
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
    if let Some(render) = &r.render {
        if render.frames > 0 {
            println!(
                "  rendered {} frames {}x{} on {} ({:.1} ms render + {:.1} ms readback + {:.1} ms encode per frame)",
                render.frames,
                render.width,
                render.height,
                render.adapter,
                render.render_ms_per_frame,
                render.readback_ms_per_frame,
                render.encode_ms_per_frame
            );
        }
        if let Some(e) = &render.error {
            println!("  not rendered: {e}");
        }
        for n in &render.notes {
            println!("  note: {n}");
        }
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
