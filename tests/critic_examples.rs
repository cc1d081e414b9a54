//! Every example world passes the critic (fix the example, not the check).

mod common;

use code2worlds::critic::{Critic, Verdict};
use code2worlds::pipeline::{self, RunOptions};

#[test]
fn every_example_passes_the_critic() {
    let mut failures = Vec::new();
    for path in common::example_scripts() {
        let src = std::fs::read_to_string(&path).unwrap();
        let mut critic = Critic::new(None);
        let r = pipeline::run(&src, &RunOptions::default(), &mut [&mut critic]);
        let diff = critic.finish(&r.report, Vec::new(), Vec::new());
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if diff.verdict != Verdict::Pass || !diff.findings.is_empty() {
            failures.push(format!("{name}:\n{diff}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
