//! Findings and the critic diff: what is wrong, where, when, and what in the
//! API would fix it.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Physics,
    Visual,
    Intent,
    Vlm,
}

/// Errors fail the verdict; warnings cost score; notes are for information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    /// Stable check identifier, e.g. "physics.interpenetration".
    pub id: String,
    pub category: Category,
    pub severity: Severity,
    /// Entity (or emitter) names involved.
    pub entities: Vec<String>,
    /// [start, end] seconds.
    pub time: [f64; 2],
    /// [first, last] frame indices.
    pub frames: [u64; 2],
    /// What was measured.
    pub observed: String,
    /// The threshold or expected value it was compared with.
    pub expected: String,
    /// Addressed to the script's author.
    pub message: String,
    /// How to fix it, in terms of the API.
    pub fix: String,
}

/// A small builder, so each check says only what it found:
/// `Finding::new(id, category, severity).entity(name).frames(...)...`.
impl Finding {
    pub fn new(id: impl Into<String>, category: Category, severity: Severity) -> Finding {
        Finding {
            id: id.into(),
            category,
            severity,
            entities: Vec::new(),
            time: [0.0, 0.0],
            frames: [0, 0],
            observed: String::new(),
            expected: String::new(),
            message: String::new(),
            fix: String::new(),
        }
    }

    pub fn entity(mut self, name: impl Into<String>) -> Finding {
        self.entities.push(name.into());
        self
    }

    /// From (frame, time) to (frame, time).
    pub fn span(mut self, from: (u64, f64), to: (u64, f64)) -> Finding {
        self.frames = [from.0, to.0];
        self.time = [from.1, to.1];
        self
    }

    /// One moment.
    pub fn at(self, frame: u64, time: f64) -> Finding {
        self.span((frame, time), (frame, time))
    }

    pub fn observed(mut self, s: impl Into<String>) -> Finding {
        self.observed = s.into();
        self
    }

    pub fn expected(mut self, s: impl Into<String>) -> Finding {
        self.expected = s.into();
        self
    }

    pub fn message(mut self, s: impl Into<String>) -> Finding {
        self.message = s.into();
        self
    }

    pub fn fix(mut self, s: impl Into<String>) -> Finding {
        self.fix = s.into();
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckStatus {
    pub name: String,
    /// "ran", or why not ("skipped: ...").
    pub status: String,
}

/// The critic's answer: what the agent feeds back to the model.
#[derive(Debug, Clone, Serialize)]
pub struct CriticDiff {
    pub verdict: Verdict,
    pub score: u32,
    pub findings: Vec<Finding>,
    pub checks: Vec<CheckStatus>,
    /// Scores from the vision-language model, when one ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlm_scores: Option<serde_json::Value>,
    /// Each brief item and what was measured for it (empty without a brief).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coverage: Vec<super::coverage::Coverage>,
    /// How rich the world is, measured (with a brief).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub richness: Option<super::coverage::Richness>,
}

/// Score cost of each finding.
fn penalty(s: Severity) -> u32 {
    match s {
        Severity::Error => 30,
        Severity::Warning => 8,
        Severity::Note => 0,
    }
}

impl CriticDiff {
    /// Orders findings deterministically and derives verdict and score.
    pub fn new(
        mut findings: Vec<Finding>,
        checks: Vec<CheckStatus>,
        vlm_scores: Option<serde_json::Value>,
    ) -> CriticDiff {
        findings.sort_by(|a, b| {
            (
                a.severity,
                a.category,
                a.frames[0],
                &a.id,
                &a.entities,
                &a.message,
            )
                .cmp(&(
                    b.severity,
                    b.category,
                    b.frames[0],
                    &b.id,
                    &b.entities,
                    &b.message,
                ))
        });
        findings.dedup();
        let lost: u32 = findings.iter().map(|f| penalty(f.severity)).sum();
        let verdict = if findings.iter().any(|f| f.severity == Severity::Error) {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
        CriticDiff {
            verdict,
            score: 100u32.saturating_sub(lost),
            findings,
            checks,
            vlm_scores,
            coverage: Vec::new(),
            richness: None,
        }
    }

    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }
}

impl fmt::Display for CriticDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = match self.verdict {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
        };
        writeln!(
            f,
            "critic: {verdict}, score {}/100, {} finding(s)",
            self.score,
            self.findings.len()
        )?;
        for x in &self.findings {
            let sev = match x.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "note",
            };
            writeln!(
                f,
                "  {sev}[{}] t = {:.2}-{:.2} s: {}",
                x.id, x.time[0], x.time[1], x.message
            )?;
            writeln!(f, "      observed {}; expected {}", x.observed, x.expected)?;
            writeln!(f, "      fix: {}", x.fix)?;
        }
        for c in self.coverage.iter().filter(|c| c.status != "verified") {
            writeln!(
                f,
                "  coverage {} [{}] {}: {}",
                c.part, c.status, c.item, c.measured
            )?;
        }
        for c in self.checks.iter().filter(|c| c.status != "ran") {
            writeln!(f, "  ({}: {})", c.name, c.status)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &str, severity: Severity, frame: u64) -> Finding {
        Finding {
            id: id.into(),
            category: Category::Physics,
            severity,
            entities: vec![],
            time: [0.0, 0.0],
            frames: [frame, frame],
            observed: String::new(),
            expected: String::new(),
            message: id.into(),
            fix: String::new(),
        }
    }

    #[test]
    fn verdict_score_and_order() {
        let d = CriticDiff::new(
            vec![
                finding("b", Severity::Warning, 3),
                finding("a", Severity::Error, 9),
                finding("c", Severity::Warning, 1),
            ],
            vec![],
            None,
        );
        assert_eq!(d.verdict, Verdict::Fail);
        assert_eq!(d.score, 100 - 30 - 16);
        let ids: Vec<_> = d.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["a", "c", "b"]);
        let clean = CriticDiff::new(vec![finding("n", Severity::Note, 0)], vec![], None);
        assert_eq!((clean.verdict, clean.score), (Verdict::Pass, 100));
    }
}
