//! Every example world runs, and its expectations hold.

mod common;

use code2worlds::pipeline::{self, RunOptions};

#[test]
fn every_example_runs_and_meets_its_expectations() {
    let scripts = common::example_scripts();
    assert!(
        scripts.len() >= 12,
        "at least 12 examples, found {}",
        scripts.len()
    );
    let mut failures = Vec::new();
    for path in &scripts {
        let src = std::fs::read_to_string(path).unwrap();
        let r = pipeline::run(&src, &RunOptions::default(), &mut []);
        let name = path.file_name().unwrap().to_string_lossy();
        if let Some(e) = &r.report.error {
            failures.push(format!("{name}: {e}"));
            continue;
        }
        if r.report.expectations.is_empty() {
            failures.push(format!("{name}: states no expectations"));
        }
        for x in r.report.expectations.iter().filter(|x| !x.passed) {
            failures.push(format!("{name} line {}: {}", x.line, x.message));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_example_checks_quickly_and_cleanly() {
    for path in common::example_scripts() {
        let src = std::fs::read_to_string(&path).unwrap();
        let built = pipeline::build(&src, &RunOptions::default());
        assert!(
            built.is_ok(),
            "{}: {:?}",
            path.display(),
            built.err().map(|f| f.error.to_string())
        );
        let warnings = built.unwrap().warnings;
        // Examples set their own light and camera.
        assert!(warnings.is_empty(), "{}: {warnings:?}", path.display());
    }
}
