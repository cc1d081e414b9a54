//! Every example world passes the critic, visual checks included (fix the
//! example, not the check).

mod common;

use code2worlds::critic::{Critic, Verdict};
use code2worlds::output::{Recorder, RecorderOptions};
use code2worlds::pipeline::{self, RunOptions};
use code2worlds::render::{Quality, RenderOptions};
use code2worlds::sim::FrameSink;

#[test]
fn every_example_passes_the_critic() {
    let mut failures = Vec::new();
    for path in common::example_scripts() {
        let src = std::fs::read_to_string(&path).unwrap();
        let mut critic = Critic::new(None);
        let mut recorder = Recorder::new(RecorderOptions::critic_only(
            RenderOptions::new(160, 90).with_quality(Quality::Draft),
        ));
        assert!(
            recorder.is_rendering(),
            "no graphics adapter: {:?}",
            recorder.stats().error
        );
        let mut sinks: Vec<&mut dyn FrameSink> = vec![&mut critic, &mut recorder];
        let r = pipeline::run(&src, &RunOptions::default(), &mut sinks);
        drop(sinks);
        let visual = recorder.take_visual();
        assert!(visual.is_some(), "{}: nothing rendered", path.display());
        let diff = critic.diff(&r.report, visual.as_ref(), (Vec::new(), Vec::new()));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if diff.verdict != Verdict::Pass || !diff.findings.is_empty() {
            failures.push(format!("{name}:\n{diff}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
