//! The motion critic measured: precision and recall of every check over the
//! planted-fault corpora (tests/critic_corpus, tests/critic_corpus2), and its cost over a 240-frame
//! run beyond simulation and rendering.
//!
//! `cargo bench --bench critic` (C2W_ADAPTER picks the adapter for the
//! visual cases and the timing run).

use std::path::Path;
use std::time::Instant;

use code2worlds::critic::Critic;
use code2worlds::output::{Recorder, RecorderOptions};
use code2worlds::pipeline::{self, RunOptions, corpus};
use code2worlds::render::{Quality, RenderOptions};
use code2worlds::sim::FrameSink;

/// Precision and recall per check on each corpus: the one written beside
/// the checks, and the second one written before they were generalised.
fn corpus_accuracy() {
    let render = RenderOptions::new(160, 90).with_quality(Quality::Draft);
    for name in ["critic_corpus", "critic_corpus2"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join(name);
        let cases = corpus::load(&dir).expect("corpus");
        let diffs: Vec<_> = cases
            .iter()
            .map(|c| corpus::judge(c, Some(&render)))
            .collect();
        println!("tests/{name}: {}", corpus::Score::of(&cases, &diffs));
    }
}

/// A busy 240-frame world: a pile of bodies, a joint chain and particles.
const TIMED: &str = r#"
world(#{ duration: 10, fps: 24, seed: 3 });
plane(20, #{ name: "ground" });
for i in 0..60 {
    box(0.2, #{ name: `block_${i}`, position: [(i % 6) * 0.3 - 0.8, 0.2 + (i / 6) * 0.25, 0], body: "dynamic" });
}
sphere(0.3, #{ name: "ball", position: [-4, 0.3, 0], body: "dynamic", velocity: [3, 0, 0] });
emitter("rain", #{ name: "rain", position: [0, 6, 0], size: [8, 0.1, 8], rate: 800 });
sun(#{ elevation: 40 });
camera(#{ position: [0, 3, 7], target: [0, 0.5, 0] });
expect("moves", "ball", #{ min_distance: 1 });
"#;

/// Times what a sink spends in `accept` and `end`.
struct Timed<'a, S: FrameSink> {
    inner: &'a mut S,
    spent: std::time::Duration,
}

impl<S: FrameSink> FrameSink for Timed<'_, S> {
    fn accept(
        &mut self,
        world: &code2worlds::world::World,
        frame: &code2worlds::sim::Frame,
    ) -> Result<(), code2worlds::sim::SinkError> {
        let t = Instant::now();
        let r = self.inner.accept(world, frame);
        self.spent += t.elapsed();
        r
    }

    fn end(&mut self, world: &code2worlds::world::World, last: Option<&code2worlds::sim::Frame>) {
        let t = Instant::now();
        self.inner.end(world, last);
        self.spent += t.elapsed();
    }
}

/// Frames of the run's size for timing the per-frame image statistics,
/// whose cost depends on the pixel count, not on what the pixels show.
struct Frames(Vec<(u64, f64, Vec<u8>)>);

fn critic_cost() {
    let opts = RunOptions::default();
    let render = RenderOptions::new(640, 360);
    let ro = RecorderOptions::critic_only(render);

    // The critic's trajectory checks, timed in place.
    let mut critic = Critic::new(None);
    let mut timed = Timed {
        inner: &mut critic,
        spent: Default::default(),
    };
    let mut recorder = Recorder::new(ro);
    let mut sinks: Vec<&mut dyn FrameSink> = vec![&mut timed, &mut recorder];
    let start = Instant::now();
    let r = pipeline::run(TIMED, &opts, &mut sinks);
    drop(sinks);
    let run_s = start.elapsed().as_secs_f64();
    let trajectory_ms = timed.spent.as_secs_f64() * 1000.0;
    assert!(r.report.error.is_none());
    let stats = recorder.stats().clone();
    let visual = recorder.take_visual();
    let t = Instant::now();
    let diff = critic.diff(&r.report, visual.as_ref(), (Vec::new(), Vec::new()));
    let diff_ms = t.elapsed().as_secs_f64() * 1000.0;

    // Per-frame image statistics (brightness, change) over 240 frames.
    let frames = Frames(
        (0..240u64)
            .map(|i| {
                let v = ((i * 7) % 255) as u8;
                (i, i as f64 / 24.0, vec![v; 640 * 360 * 4])
            })
            .collect(),
    );
    let t = Instant::now();
    let mut looks = code2worlds::critic::visual::VisualRecorder::default();
    for (i, time, rgba) in &frames.0 {
        looks.look(*i, *time, 640, 360, rgba);
    }
    let look_ms = t.elapsed().as_secs_f64() * 1000.0;
    let total = trajectory_ms + stats.analysis_ms + look_ms + diff_ms;
    println!(
        "240-frame run at 640x360 on {} ({run_s:.1} s simulated and rendered): the critic costs {total:.0} ms beyond rendering: trajectory checks {trajectory_ms:.0} ms, ID/depth passes on 9 keyframes {:.0} ms, per-frame image statistics {look_ms:.0} ms, diff {diff_ms:.1} ms (findings: {:?})",
        stats.adapter,
        stats.analysis_ms,
        corpus::found(&diff)
    );
}

fn main() {
    corpus_accuracy();
    critic_cost();
}
