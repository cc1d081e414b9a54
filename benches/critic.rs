//! The motion critic measured: precision and recall of every check over the
//! planted-fault corpus (tests/critic_corpus), and its cost over a 240-frame
//! run beyond simulation and rendering.
//!
//! `cargo bench --bench critic` (C2W_ADAPTER picks the adapter for the
//! visual cases and the timing run).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use code2worlds::critic::{Critic, Verdict, corpus};
use code2worlds::output::{Recorder, RecorderOptions};
use code2worlds::pipeline::{self, FrameSink, RunOptions};
use code2worlds::render::{Quality, RenderOptions};

#[derive(Default)]
struct Tally {
    true_pos: u32,
    false_pos: u32,
    false_neg: u32,
}

fn corpus_accuracy() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/critic_corpus");
    let cases = corpus::load(&dir).expect("corpus");
    let render = RenderOptions::new(160, 90).with_quality(Quality::Draft);
    let mut per_check: BTreeMap<String, Tally> = BTreeMap::new();
    let (mut verdicts_right, mut total) = (0, 0);
    for case in &cases {
        let diff = corpus::judge(case, Some(&render));
        let found = corpus::found(&diff);
        total += 1;
        if diff.verdict == case.verdict {
            verdicts_right += 1;
        }
        // A finding counts against precision only in clean controls and
        // in cases that plant something else entirely; knock-on findings
        // in a faulty world (a tunnelling ball then also falls out of the
        // world) are real, so they are not counted as false.
        let clean = case.findings.is_empty();
        let all: BTreeSet<&String> = found.iter().chain(case.findings.iter()).collect();
        for id in all {
            let t = per_check.entry(id.clone()).or_default();
            match (case.findings.contains(id), found.contains(id)) {
                (true, true) => t.true_pos += 1,
                (true, false) => t.false_neg += 1,
                (false, true) if clean => t.false_pos += 1,
                _ => {}
            }
        }
    }
    println!(
        "corpus: {} cases, verdict right in {verdicts_right}/{total}",
        cases.len()
    );
    println!(
        "{:<34} {:>4} {:>4} {:>4} {:>9} {:>7}",
        "check", "tp", "fp", "fn", "precision", "recall"
    );
    for (id, t) in &per_check {
        let p = t.true_pos as f64 / (t.true_pos + t.false_pos).max(1) as f64;
        let r = t.true_pos as f64 / (t.true_pos + t.false_neg).max(1) as f64;
        println!(
            "{id:<34} {:>4} {:>4} {:>4} {:>9.2} {:>7.2}",
            t.true_pos, t.false_pos, t.false_neg, p, r
        );
    }
}

/// A busy 240-frame world: a pile of bodies, a joint chain and particles.
const TIMED: &str = r#"
world(#{ duration: 10, fps: 24, seed: 3 });
plane(20, #{ name: "ground" });
for i in 0..60 {
    box(0.2, #{ name: `crate_${i}`, position: [(i % 6) * 0.3 - 0.8, 0.2 + (i / 6) * 0.25, 0], body: "dynamic" });
}
sphere(0.3, #{ name: "ball", position: [-4, 0.3, 0], body: "dynamic", velocity: [3, 0, 0] });
emitter("rain", #{ name: "rain", position: [0, 6, 0], size: [8, 0.1, 8], rate: 800 });
sun(#{ elevation: 40 });
camera(#{ position: [0, 3, 7], target: [0, 0.5, 0] });
expect("moves", "ball", #{ min_distance: 1 });
"#;

fn critic_cost() {
    let opts = RunOptions::default();
    let render = RenderOptions::new(640, 360);
    let recorder_opts = |visual: bool| {
        let mut ro = RecorderOptions::new(std::env::temp_dir(), render.clone());
        ro.video = false;
        ro.sheet = false;
        ro.script_snaps = false;
        ro.visual = visual;
        ro
    };
    // Warm up the adapter and shader caches.
    let mut warm = Recorder::new(recorder_opts(false));
    let _ = pipeline::run(TIMED, &opts, &mut [&mut warm]);

    let start = Instant::now();
    let mut plain = Recorder::new(recorder_opts(false));
    let r = pipeline::run(TIMED, &opts, &mut [&mut plain]);
    let base = start.elapsed().as_secs_f64();
    assert!(r.report.error.is_none() && plain.stats().frames == 240);

    let start = Instant::now();
    let mut critic = Critic::new(None);
    let mut watched = Recorder::new(recorder_opts(true));
    let mut sinks: Vec<&mut dyn FrameSink> = vec![&mut critic, &mut watched];
    let r = pipeline::run(TIMED, &opts, &mut sinks);
    drop(sinks);
    let visual = watched.take_visual();
    let t_diff = Instant::now();
    let diff = critic.diff(&r.report, visual.as_ref(), (Vec::new(), Vec::new()));
    let diff_ms = t_diff.elapsed().as_secs_f64() * 1000.0;
    let with = start.elapsed().as_secs_f64();
    println!(
        "240-frame run at 640x360 on {}: {base:.2} s simulated and rendered, {with:.2} s with the critic: the critic adds {:.0} ms ({:.0} ms of it ID/depth passes on {} keyframes, {diff_ms:.1} ms building the diff; verdict {})",
        watched.stats().adapter,
        (with - base) * 1000.0,
        watched.stats().analysis_ms,
        9,
        if diff.verdict == Verdict::Pass {
            "pass"
        } else {
            "fail"
        }
    );
}

fn main() {
    corpus_accuracy();
    critic_cost();
}
