//! Every example world passes the critic, visual checks included (fix the
//! example, not the check).

mod common;

use code2worlds::brief::Brief;
use code2worlds::critic::Verdict;

#[test]
fn every_example_passes_the_critic() {
    let mut failures = Vec::new();
    for path in common::example_scripts() {
        let src = std::fs::read_to_string(&path).unwrap();
        let (_, diff) = common::judge(&src, None);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if diff.verdict != Verdict::Pass || !diff.findings.is_empty() {
            failures.push(format!("{name}:\n{diff}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// An example with a brief beside it (`NAME.brief.json`) passes against
/// the brief too: every object, environment word and motion in it is
/// verified or knowingly unmeasured, none failed.
#[test]
fn examples_with_a_brief_pass_against_it() {
    let mut judged = 0;
    let mut failures = Vec::new();
    for path in common::example_scripts() {
        let Ok(text) = std::fs::read_to_string(path.with_extension("brief.json")) else {
            continue;
        };
        let brief: Brief = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: brief: {e}", path.display()));
        let src = std::fs::read_to_string(&path).unwrap();
        let (_, diff) = common::judge(&src, Some(brief));
        judged += 1;
        let failed: Vec<_> = diff
            .coverage
            .iter()
            .filter(|c| c.status == "failed")
            .collect();
        if diff.verdict != Verdict::Pass || !diff.findings.is_empty() || !failed.is_empty() {
            failures.push(format!(
                "{}:\n{diff}\nfailed rows: {failed:?}",
                path.display()
            ));
        }
    }
    assert!(judged >= 1, "no example has a brief");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
