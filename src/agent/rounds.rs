//! The repair step between rounds, made safe for the world: a repair is
//! made from the best round that ran (never from a repair that broke it),
//! is built before it becomes a round (a repair that does not build is
//! sent back once with its own error), and when it breaks twice the
//! section falls back to the template's version or the repair is given up,
//! so the last world that ran stays the best.

use serde::{Deserialize, Serialize};

use super::code::{PRELUDE, header};
use super::generate::RoundRecord;
use super::scene_facts::SceneFacts;
use super::stages::{self, Problem, StageContext};
use super::{AgentError, error_text, templates};
use crate::brief::Brief;

/// What the next repair starts from.
#[derive(Debug, Clone, PartialEq)]
pub struct RepairBase {
    /// The round whose script is repaired.
    pub round: u32,
    pub script: String,
    pub problem: Problem,
    /// Why the latest round, a repair of this one, was worse, when it was.
    pub own_error: Option<String>,
}

/// What the repair step did, `rounds/K/repair.json` of the round it made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RepairRecord {
    /// The round repaired.
    pub from_round: u32,
    /// The latest round was worse than `from_round`, so it was set aside.
    pub set_aside: Option<u32>,
    /// Errors of the repairs that did not build, in order.
    pub broken_tries: Vec<String>,
    /// Repairs that gave back the script they were asked to change.
    #[serde(default)]
    pub unchanged_tries: u32,
    /// What was used instead when both tries broke.
    pub fallback: Option<String>,
}

/// The best round that ran: highest score, the earlier on a tie.
pub fn best_round(records: &[RoundRecord]) -> Option<&RoundRecord> {
    records
        .iter()
        .filter(|r| r.score.is_some())
        .max_by(|a, b| a.score.cmp(&b.score).then(b.round.cmp(&a.round)))
}

/// The round to repair next: the latest, unless it did worse than the best
/// so far (it failed to run, or scored lower); then the best, with what
/// went wrong in the latest. `script_of` reads a round's script. None when
/// there is nothing to repair from.
pub fn repair_base(
    records: &[RoundRecord],
    latest_script: &str,
    script_of: impl Fn(u32) -> Option<String>,
) -> Option<RepairBase> {
    let latest = records.last()?;
    if let Some(best) = best_round(records)
        && best.round != latest.round
        && latest.score < best.score
        && let (Some(script), Some(problem)) = (script_of(best.round), best.problem.clone())
    {
        let own_error = match &latest.error {
            Some(e) => e.lines().take(6).collect::<Vec<_>>().join("\n"),
            None => format!(
                "it ran, but the critic scored it {} where the version before scored {}",
                latest.score.unwrap_or(0),
                best.score.unwrap_or(0)
            ),
        };
        return Some(RepairBase {
            round: best.round,
            script,
            problem,
            own_error: Some(own_error),
        });
    }
    Some(RepairBase {
        round: latest.round,
        script: latest_script.to_string(),
        problem: latest.problem.clone()?,
        own_error: None,
    })
}

/// Whether a script builds; the error as a model reads it when not.
fn builds(script: &str) -> Result<SceneFacts, String> {
    SceneFacts::build(script).map_err(|e| error_text(&e))
}

/// `line` without the option `key: value` in its option map, if it has one.
fn without_option(line: &str, key: &str) -> Option<String> {
    let bytes = line.as_bytes();
    let mut search = 0;
    while let Some(found) = line[search..].find(key) {
        let start = search + found;
        search = start + key.len();
        let before_ok =
            start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let rest = line[search..].trim_start();
        if !before_ok || !rest.starts_with(':') {
            continue;
        }
        // The value runs to the next comma or closing brace at its depth.
        let mut depth = 0i32;
        let mut end = line.len();
        let mut in_string = false;
        let value_at = line.len() - rest.len() + 1;
        for (i, c) in line[value_at..].char_indices() {
            match c {
                '"' => in_string = !in_string,
                _ if in_string => {}
                '[' | '(' | '{' => depth += 1,
                ']' | ')' | '}' if depth > 0 => depth -= 1,
                ',' | '}' if depth == 0 => {
                    end = value_at + i;
                    break;
                }
                _ => {}
            }
        }
        let tail = &line[end..];
        // Take the comma after the value, or else the one before the key.
        let (head, tail) = match tail.strip_prefix(',') {
            Some(t) => (&line[..start], t.trim_start()),
            None => (line[..start].trim_end().trim_end_matches(','), tail),
        };
        let joined = if tail.starts_with('}') && !head.ends_with(' ') {
            format!("{head} {tail}")
        } else {
            format!("{head}{tail}")
        };
        return Some(joined);
    }
    None
}

/// Mends what a structured error says exactly how to mend, one build at a
/// time: option keys the API refuses ("unknown option 'duration'") are
/// dropped, and a quoted value the error offers a single replacement for
/// (`unknown preset "falling_leaves"`, did you mean `leaves`) is replaced.
/// Small models copy the world's settings into every map and repeat a
/// wrong name however often they are told.
pub fn mended_from_errors(script: &str) -> String {
    let mut script = script.to_string();
    for _ in 0..8 {
        let Err(e) = SceneFacts::build(&script) else {
            break;
        };
        let Some(line) = e.line else {
            break;
        };
        let mut lines: Vec<String> = script.lines().map(String::from).collect();
        let Some(text) = lines.get(line - 1) else {
            break;
        };
        let unknown_key = e
            .message
            .split("unknown option '")
            .nth(1)
            .and_then(|r| r.split('\'').next());
        let quoted = e.message.split('"').nth(1).filter(|q| !q.is_empty());
        let mended = match (unknown_key, quoted, e.suggestions.as_slice()) {
            (Some(key), _, _) => without_option(text, key),
            (None, Some(bad), [only]) if text.contains(&format!("\"{bad}\"")) => {
                Some(text.replacen(&format!("\"{bad}\""), &format!("\"{only}\""), 1))
            }
            _ => None,
        };
        let Some(mended) = mended else {
            break;
        };
        lines[line - 1] = mended;
        script = lines.join("\n") + "\n";
    }
    script
}

/// One repair as the stages make it: the problem's section alone in compact
/// mode, else (or when the problem is in no section) the whole script.
fn repair_once(
    cx: &StageContext,
    brief: &Brief,
    seed: u64,
    base: &RepairBase,
    round: u32,
    own_error: Option<&str>,
) -> Result<String, AgentError> {
    if cx.compact
        && let Some(fixed) =
            stages::repair_section(cx, brief, &base.script, &base.problem, round, own_error)?
    {
        return Ok(format!("{}\n", fixed.trim_end()));
    }
    let fixed = stages::repair(cx, brief, &base.script, &base.problem, round, own_error)?;
    Ok(if fixed.contains("world(") {
        format!("{PRELUDE}{fixed}\n")
    } else {
        format!("{}{fixed}\n", header(brief, seed))
    })
}

/// The template's version of a section of `script`, when it has one.
pub fn template_section(brief: &Brief, title: &str, script: &str) -> Option<String> {
    let facts = SceneFacts::build(script).unwrap_or_default();
    match title {
        "environment" => Some(templates::environment(brief)),
        "camera" => Some(templates::camera(brief, &facts)),
        "dynamics" => templates::dynamics_starter(brief, &facts),
        "layout" => {
            let measure = |layout: &str| {
                stages::replace_section(script, "layout", layout)
                    .and_then(|s| SceneFacts::build(&s).ok())
            };
            Some(templates::layout(brief, &measure))
        }
        _ => {
            let name = title.strip_prefix("object: ")?;
            brief
                .objects
                .iter()
                .find(|o| o.name == name)
                .map(templates::stand_in)
        }
    }
}

/// The next round's script, repaired from `base` and built before it is
/// run; None when no repair builds (or every repair gives the base back)
/// and no fallback differs from the base (then the rounds stop: the best
/// round stays the world).
pub fn checked_repair(
    cx: &StageContext,
    brief: &Brief,
    seed: u64,
    base: &RepairBase,
    round: u32,
) -> Result<(Option<String>, RepairRecord), AgentError> {
    let mut record = RepairRecord {
        from_round: base.round,
        ..Default::default()
    };
    let mut own_error = base.own_error.clone();
    for _ in 0..2 {
        let candidate = mended_from_errors(&repair_once(
            cx,
            brief,
            seed,
            base,
            round,
            own_error.as_deref(),
        )?);
        // Running the same script again would only score the same.
        if candidate.trim_end() == base.script.trim_end() {
            cx.progress
                .say(&format!("round {round}"), "the repair changed nothing");
            record.unchanged_tries += 1;
            own_error = Some(
                "it changed nothing: the script came back as it was, and it fails as before. Change what the \
findings name."
                    .into(),
            );
            continue;
        }
        match builds(&candidate) {
            Ok(_) => return Ok((Some(candidate), record)),
            Err(e) => {
                cx.progress.say(
                    &format!("round {round}"),
                    &format!(
                        "the repair does not build: {}",
                        e.lines().next().unwrap_or("")
                    ),
                );
                record.broken_tries.push(e.clone());
                own_error = Some(e);
            }
        }
    }
    // Broken twice: the template's section where there is one.
    let fallback = stages::problem_section(&base.script, &base.problem).and_then(|title| {
        let body = template_section(brief, &title, &base.script)?;
        let script = stages::replace_section(&base.script, &title, &body)?;
        (script.trim_end() != base.script.trim_end() && builds(&script).is_ok())
            .then_some((title, script))
    });
    match fallback {
        Some((title, script)) => {
            cx.progress.say(
                &format!("round {round}"),
                &format!("using the template's {title} instead"),
            );
            record.fallback = Some(format!("the template's {title}"));
            Ok((Some(format!("{}\n", script.trim_end())), record))
        }
        None => {
            record.fallback = Some(format!(
                "none: round {} stays the best that ran",
                base.round
            ));
            Ok((None, record))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::critic::Verdict;

    fn record(round: u32, score: Option<u32>, error: Option<&str>) -> RoundRecord {
        RoundRecord {
            round,
            verdict: score.map(|_| Verdict::Fail),
            score,
            findings: 1,
            error: error.map(String::from),
            elapsed_ms: 0,
            problem: Some(Problem::Critic {
                score: score.unwrap_or(0),
                findings: vec![],
            }),
        }
    }

    #[test]
    fn what_errors_say_exactly_how_to_mend_is_mended() {
        assert_eq!(
            without_option(
                "animate(a, \"x\", [[0, 1]], #{ ease: \"linear\", duration: 10, fps: 24 });",
                "duration"
            )
            .as_deref(),
            Some("animate(a, \"x\", [[0, 1]], #{ ease: \"linear\", fps: 24 });")
        );
        assert_eq!(
            without_option("f(#{ a: [1, 2], seed: 3 });", "seed").as_deref(),
            Some("f(#{ a: [1, 2] });")
        );
        // A key inside a longer name is not the key.
        assert_eq!(without_option("f(#{ rseed: 3 });", "seed"), None);
        let script = "plane(4, #{ name: \"ground\" });\nlet s = sphere(0.1, #{ name: \"ball\", duration: 5, position: [0, 1, 0], fps: 24 });\n";
        let mended = mended_from_errors(script);
        assert!(SceneFacts::build(&mended).is_ok(), "{mended}");
        assert!(
            mended.contains("name: \"ball\", position: [0, 1, 0] }"),
            "{mended}"
        );
        // A value with one suggested replacement is replaced.
        let preset =
            "emitter(\"falling_leaves\", #{ name: \"falling_leaves\", position: [0, 6, 0] });\n";
        let mended = mended_from_errors(preset);
        assert!(
            mended.starts_with("emitter(\"leaves\", #{ name: \"falling_leaves\""),
            "{mended}"
        );
        assert!(SceneFacts::build(&mended).is_ok(), "{mended}");
        // A script with another error is left as it is.
        let other = "sphere(\"big\");\n";
        assert_eq!(mended_from_errors(other), other);
    }

    #[test]
    fn a_repair_that_broke_the_world_is_set_aside_for_the_best_that_ran() {
        let rounds = vec![
            record(1, Some(60), None),
            record(2, None, Some("syntax: Expecting ']'")),
        ];
        let base =
            repair_base(&rounds, "round two", |k| Some(format!("round {k} script"))).unwrap();
        assert_eq!(base.round, 1);
        assert_eq!(base.script, "round 1 script");
        assert!(base.own_error.unwrap().contains("Expecting ']'"));
        // A lower score is set aside too, with the scores said.
        let rounds = vec![record(1, Some(60), None), record(2, Some(40), None)];
        let base =
            repair_base(&rounds, "round two", |k| Some(format!("round {k} script"))).unwrap();
        assert_eq!(base.round, 1);
        assert!(base.own_error.unwrap().contains("scored it 40"));
    }

    #[test]
    fn a_repair_that_improved_or_nothing_ran_is_repaired_in_turn() {
        let rounds = vec![record(1, Some(40), None), record(2, Some(60), None)];
        let base = repair_base(&rounds, "latest", |_| None).unwrap();
        assert_eq!((base.round, base.script.as_str()), (2, "latest"));
        assert_eq!(base.own_error, None);
        let rounds = vec![record(1, None, Some("e1")), record(2, None, Some("e2"))];
        let base = repair_base(&rounds, "latest", |_| None).unwrap();
        assert_eq!(base.round, 2);
        // The best of several that ran is the highest, the earlier on a tie.
        let rounds = vec![
            record(1, Some(50), None),
            record(2, Some(70), None),
            record(3, Some(70), None),
            record(4, None, Some("e")),
        ];
        assert_eq!(best_round(&rounds).unwrap().round, 2);
    }
}
