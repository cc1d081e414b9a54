//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod http;

use code2worlds::brief::Brief;
use code2worlds::critic::{Critic, CriticDiff};
use code2worlds::measure::Trace;
use code2worlds::output::{Recorder, RecorderOptions};
use code2worlds::pipeline::{self, RunOptions, RunResult};
use code2worlds::render::{Quality, RenderOptions};
use code2worlds::script::ScriptError;
use code2worlds::sim::FrameSink;

/// Runs a world with the critic (against `brief` when given) and a small
/// draft render for its visual checks; panics when nothing could render.
pub fn judge(src: &str, brief: Option<Brief>) -> (RunResult, CriticDiff) {
    let mut critic = Critic::new(brief);
    let mut recorder = Recorder::new(RecorderOptions::critic_only(
        RenderOptions::new(160, 90).with_quality(Quality::Draft),
    ));
    assert!(
        recorder.is_rendering(),
        "no graphics adapter: {:?}",
        recorder.stats().error
    );
    let mut sinks: Vec<&mut dyn FrameSink> = vec![&mut critic, &mut recorder];
    let r = pipeline::run(src, &RunOptions::default(), &mut sinks);
    drop(sinks);
    let visual = recorder.take_visual();
    assert!(visual.is_some(), "nothing rendered");
    let diff = critic.diff(&r.report, visual.as_ref(), (Vec::new(), Vec::new()));
    (r, diff)
}

/// Runs a script with default options; panics with the error if it fails.
pub fn run_ok(src: &str) -> RunResult {
    let r = pipeline::run(src, &RunOptions::default(), &mut []);
    if let Some(e) = &r.report.error {
        panic!("script failed:\n{e}");
    }
    r
}

pub fn trace(src: &str) -> Trace {
    run_ok(src).trace.expect("a trace")
}

/// Runs a script that must fail; returns its error.
pub fn run_err(src: &str, opts: &RunOptions) -> ScriptError {
    let r = pipeline::run(src, opts, &mut []);
    r.report
        .error
        .unwrap_or_else(|| panic!("expected an error, got ok: {:?}", r.report.expectations))
}

/// Positions of a named entity, one per frame, with their times.
pub fn path(t: &Trace, name: &str) -> Vec<(f64, [f32; 3])> {
    t.frames
        .iter()
        .map(|f| {
            let p = f
                .entities
                .get(name)
                .unwrap_or_else(|| panic!("no entity {name} in trace"))
                .position;
            (f.t, [p.x, p.y, p.z])
        })
        .collect()
}

pub fn examples_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Every example script, sorted by name.
pub fn example_scripts() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(examples_dir())
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rhai"))
        .collect();
    v.sort();
    v
}
