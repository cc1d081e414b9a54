//! The planted-fault corpus: worlds with known faults (and clean controls),
//! each stating the verdict and findings the critic must give. The tests
//! assert them; `cargo bench --bench critic` turns them into precision and
//! recall per check.
//!
//! A case is a `.rhai` file whose first comment lines say:
//!
//! ```text
//! // verdict: fail
//! // findings: physics.interpenetration, physics.energy_gain
//! // brief: { ...scene brief JSON... }        (optional)
//! // render: true                             (optional: visual checks)
//! ```

use std::collections::BTreeSet;
use std::path::Path;

use super::{Critic, CriticDiff, Verdict};
use crate::brief::Brief;
use crate::output::{Recorder, RecorderOptions};
use crate::pipeline::{self, FrameSink, RunOptions};
use crate::render::RenderOptions;

#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub source: String,
    pub verdict: Verdict,
    pub findings: BTreeSet<String>,
    pub brief: Option<Brief>,
    /// The case plants a visual fault: render it and run the visual checks.
    pub render: bool,
}

/// Parses a case's header; `None` when it has no verdict line.
pub fn parse(name: &str, source: &str) -> Result<Case, String> {
    let mut verdict = None;
    let mut findings = BTreeSet::new();
    let mut brief = None;
    let mut render = false;
    for line in source.lines().take_while(|l| l.starts_with("//")) {
        let body = line.trim_start_matches('/').trim();
        if let Some(v) = body.strip_prefix("verdict:") {
            verdict = Some(match v.trim() {
                "pass" => Verdict::Pass,
                "fail" => Verdict::Fail,
                other => return Err(format!("{name}: verdict must be pass or fail, not {other}")),
            });
        } else if let Some(f) = body.strip_prefix("findings:") {
            findings.extend(
                f.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
            );
        } else if let Some(r) = body.strip_prefix("render:") {
            render = r.trim() == "true";
        } else if let Some(b) = body.strip_prefix("brief:") {
            brief = Some(
                serde_json::from_str(b.trim()).map_err(|e| format!("{name}: bad brief: {e}"))?,
            );
        }
    }
    Ok(Case {
        name: name.to_string(),
        source: source.to_string(),
        verdict: verdict.ok_or_else(|| format!("{name}: no '// verdict:' line"))?,
        findings,
        brief,
        render,
    })
}

/// Every case in a folder, sorted by name.
pub fn load(dir: &Path) -> Result<Vec<Case>, String> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rhai"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let src = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            parse(&p.file_stem().unwrap_or_default().to_string_lossy(), &src)
        })
        .collect()
}

/// Runs a case through the critic. Cases marked `render: true` are also
/// rendered with `render` (when given) for the visual checks; nothing is
/// written to disk.
pub fn judge(case: &Case, render: Option<&RenderOptions>) -> CriticDiff {
    let mut critic = Critic::new(case.brief.clone());
    let mut recorder = render
        .filter(|_| case.render)
        .map(|r| Recorder::new(RecorderOptions::critic_only(r.clone())));
    let mut sinks: Vec<&mut dyn FrameSink> = vec![&mut critic];
    if let Some(r) = recorder.as_mut() {
        sinks.push(r);
    }
    let r = pipeline::run(&case.source, &RunOptions::default(), &mut sinks);
    drop(sinks);
    let visual = recorder.as_mut().and_then(|r| r.take_visual());
    critic.diff(&r.report, visual.as_ref(), (Vec::new(), Vec::new()))
}

/// Check ids found in a diff.
pub fn found(diff: &CriticDiff) -> BTreeSet<String> {
    diff.findings.iter().map(|f| f.id.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse() {
        let c = parse(
            "x",
            "// verdict: fail\n// findings: a.b, c.d\n// brief: {\"title\": \"t\"}\nworld(#{});",
        )
        .unwrap();
        assert_eq!(c.verdict, Verdict::Fail);
        assert_eq!(c.findings.len(), 2);
        assert_eq!(c.brief.unwrap().title, "t");
        assert!(parse("y", "world(#{});").is_err());
    }
}
