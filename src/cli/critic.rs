//! `c2w critic`: judge an earlier run. The run folder holds the script and
//! the report's seed, duration and fps; the world is simulated again (it is
//! deterministic) and rendered for the visual checks, without rewriting
//! the run's video or images.

use std::path::PathBuf;

use clap::Args;

use super::{LimitArgs, RenderArgs, read_script, report_error};
use crate::critic::{Critic, Verdict};
use crate::output::{Recorder, RecorderOptions};
use crate::pipeline::job::{VlmChoice, judge, read_brief};
use crate::pipeline::{self, ProgressSink, RunOptions};
use crate::script::ScriptError;
use crate::sim::FrameSink;
use crate::util::fsx::write_json_atomic;

#[derive(Args)]
pub struct CriticArgs {
    /// A folder written by `c2w run`.
    run_dir: PathBuf,
    /// A scene brief (JSON); default: RUN_DIR/brief.json when present.
    #[arg(long, value_name = "FILE")]
    brief: Option<PathBuf>,
    /// Configuration file naming the vision model under [models.critic]
    /// (default: ./c2w.toml when present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Skip the visual checks (they need a graphics adapter).
    #[arg(long)]
    no_render: bool,
    /// Print the diff as JSON.
    #[arg(long)]
    json: bool,
    /// Exit with status 2 when the verdict is fail.
    #[arg(long)]
    strict: bool,
    #[command(flatten)]
    render: RenderArgs,
    #[command(flatten)]
    limits: LimitArgs,
}

/// What the critic needs from the earlier report.
#[derive(serde::Deserialize)]
struct EarlierRun {
    seed: u64,
    duration: f64,
    fps: u32,
    state_hash: String,
}

pub fn critic(a: CriticArgs) -> i32 {
    let fail = |message: String| {
        report_error(&ScriptError::internal(message), a.json);
        1
    };
    let script = a.run_dir.join("world.rhai");
    let source = match read_script(&script) {
        Ok(s) => s,
        Err(e) => return fail(format!("{} (is it a run folder?)", e.message)),
    };
    let report_path = a.run_dir.join("report.json");
    let earlier: EarlierRun = match std::fs::read_to_string(&report_path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot read {}: {e}", report_path.display())),
    };
    let brief_path = a.brief.clone().or_else(|| {
        let p = a.run_dir.join("brief.json");
        p.exists().then_some(p)
    });
    let brief = match brief_path.as_deref().map(read_brief).transpose() {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let vlm = match VlmChoice::from_config(a.config.as_deref()) {
        Ok(v) => v,
        Err(e) => return fail(e),
    };
    let opts = RunOptions {
        seed: Some(earlier.seed),
        duration: Some(earlier.duration),
        fps: Some(earlier.fps),
        limits: a.limits.limits(),
    };
    let mut recorder = if a.no_render {
        None
    } else {
        let render = match a.render.options() {
            Ok(r) => r,
            Err(e) => return fail(e),
        };
        let r = Recorder::new(RecorderOptions::critic_only(render));
        if let Some(e) = &r.stats().error {
            eprintln!("warning: no visual checks: {e}");
        }
        Some(r)
    };
    let mut critic = Critic::new(brief);
    let (bar, progress) = super::output::frames_bar("critic");
    let mut progress = ProgressSink(progress);
    let mut sinks: Vec<&mut dyn FrameSink> = vec![&mut critic];
    if let Some(r) = recorder.as_mut().filter(|r| r.is_rendering()) {
        sinks.push(r);
    }
    sinks.push(&mut progress);
    let result = pipeline::run(&source, &opts, &mut sinks);
    drop(sinks);
    bar.finish_and_clear();
    if result.report.state_hash != earlier.state_hash {
        eprintln!(
            "warning: the world ended in state {} but the run recorded {}; \
             the script, the seed or the c2w build changed since",
            result.report.state_hash, earlier.state_hash
        );
    }
    let visual = recorder.as_mut().and_then(|r| r.take_visual());
    let sheet = a.run_dir.join("contact_sheet.png");
    let diff = judge(&critic, &result.report, visual.as_ref(), Some(&sheet), &vlm);
    if let Err(e) = write_json_atomic(&a.run_dir.join("critic.json"), &diff) {
        return fail(format!("cannot write critic.json: {e}"));
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&diff).unwrap_or_default()
        );
    } else {
        print!("{diff}");
        println!("  wrote {}", a.run_dir.join("critic.json").display());
    }
    if a.strict && diff.verdict == Verdict::Fail {
        2
    } else {
        0
    }
}
