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

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::RunOptions;
use crate::brief::Brief;
use crate::critic::{Critic, CriticDiff, Verdict};
use crate::output::{Recorder, RecorderOptions};
use crate::render::RenderOptions;
use crate::sim::FrameSink;

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
    let r = super::run(&case.source, &RunOptions::default(), &mut sinks);
    drop(sinks);
    let visual = recorder.as_mut().and_then(|r| r.take_visual());
    critic.diff(&r.report, visual.as_ref(), (Vec::new(), Vec::new()))
}

/// Check ids found in a diff.
pub fn found(diff: &CriticDiff) -> BTreeSet<String> {
    diff.findings.iter().map(|f| f.id.clone()).collect()
}

/// True and false positives and misses of one check over a corpus.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub true_pos: u32,
    pub false_pos: u32,
    pub false_neg: u32,
}

impl Tally {
    pub fn precision(&self) -> f64 {
        self.true_pos as f64 / (self.true_pos + self.false_pos).max(1) as f64
    }

    pub fn recall(&self) -> f64 {
        self.true_pos as f64 / (self.true_pos + self.false_neg).max(1) as f64
    }
}

/// How the critic did on a corpus: verdicts and every check's tally.
#[derive(Debug, Clone, Default)]
pub struct Score {
    pub cases: usize,
    pub verdicts_right: usize,
    pub per_check: BTreeMap<String, Tally>,
}

impl Score {
    /// Scores diffs against their cases. A finding counts against precision
    /// only in clean controls (no findings expected); knock-on findings in a
    /// faulty world (a tunnelling ball then also falls out of the world) are
    /// real, so they are not counted as false.
    pub fn of(cases: &[Case], diffs: &[CriticDiff]) -> Score {
        let mut score = Score {
            cases: cases.len(),
            ..Default::default()
        };
        for (case, diff) in cases.iter().zip(diffs) {
            let found = found(diff);
            if diff.verdict == case.verdict {
                score.verdicts_right += 1;
            }
            let clean = case.findings.is_empty();
            let all: BTreeSet<&String> = found.iter().chain(case.findings.iter()).collect();
            for id in all {
                let t = score.per_check.entry(id.clone()).or_default();
                match (case.findings.contains(id), found.contains(id)) {
                    (true, true) => t.true_pos += 1,
                    (true, false) => t.false_neg += 1,
                    (false, true) if clean => t.false_pos += 1,
                    _ => {}
                }
            }
        }
        score
    }
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} cases, verdict right in {}/{}",
            self.cases, self.verdicts_right, self.cases
        )?;
        writeln!(
            f,
            "{:<34} {:>4} {:>4} {:>4} {:>9} {:>7}",
            "check", "tp", "fp", "fn", "precision", "recall"
        )?;
        for (id, t) in &self.per_check {
            writeln!(
                f,
                "{id:<34} {:>4} {:>4} {:>4} {:>9.2} {:>7.2}",
                t.true_pos,
                t.false_pos,
                t.false_neg,
                t.precision(),
                t.recall()
            )?;
        }
        Ok(())
    }
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
