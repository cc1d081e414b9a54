//! `c2w bench`: a batch of prompts (the ten Code4D prompts by default)
//! and a report of what came out, read from each world's folder:
//! `bench.json`, `bench.md` and `index.html` (every contact sheet on one
//! page).
//!
//! The figures are ours, measured, not the Code4D paper's judged ones:
//! richness is counted in the built world (object kinds, entities,
//! triangles, environment elements), the physics failure rate is the share
//! of worlds that run whose final critic diff has a physics error, and the
//! vision-language scores appear only when a VLM critic was configured.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::results::{ResultRow, read_json, round_numbers, round_regressions, transcript_totals};
use super::{Item, item_dir, read_row};
use crate::util::fsx::write_atomic;

/// The Code4D prompts the Code2Worlds authors published, one JSON object a
/// line (`id`, `prompt`, `dynamics`, `setting`).
pub const CODE4D: &str = include_str!("code4d.jsonl");

/// Counted in the final world, built again at t = 0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Richness {
    /// Kinds of the brief's objects that the world holds (by name); for a
    /// script without a brief, distinct names with copy numbers removed.
    pub object_kinds: usize,
    pub objects_asked: usize,
    pub objects_placed: usize,
    pub entities: usize,
    pub triangles: usize,
    /// Lights, force fields, particle emitters, plus one each for a
    /// ground, a chosen sky, fog, stars and a moon.
    pub environment_elements: usize,
}

/// The vision-language critic's scores, 0 to 100.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VlmFigures {
    pub physics: f64,
    pub aesthetics: f64,
    pub temporal_stability: f64,
    pub prompt_match: f64,
}

/// One prompt's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchRow {
    pub id: String,
    pub prompt: String,
    /// The benchmark's own labels of the dynamics asked for, when given.
    pub dynamics: Vec<String>,
    pub status: String,
    pub runs: bool,
    pub verdict: Option<String>,
    pub score: Option<i32>,
    /// The critic's coverage figure, when its diff carries one.
    pub coverage: Option<Value>,
    /// Critic check groups that ran, of those listed ("4/5").
    pub checks_ran: Option<String>,
    pub rounds: u32,
    /// Rounds worse than the best before them (see [`round_regressions`]).
    #[serde(default)]
    pub regressed_rounds: u32,
    /// Repairs that did not build and never ran as rounds.
    #[serde(default)]
    pub repairs_not_built: u32,
    /// Model answers cut off by the token limit.
    #[serde(default)]
    pub cut_off_answers: u32,
    pub calls: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: Option<f64>,
    pub wall_s: f64,
    pub richness: Option<Richness>,
    /// Whether the final world has a physics error; `None` when it does
    /// not run.
    pub physics_failure: Option<bool>,
    pub physics_findings: Vec<String>,
    pub vlm: Option<VlmFigures>,
    pub contact_sheet: Option<String>,
}

/// Means and totals over the prompts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchTotals {
    pub prompts: usize,
    /// Prompts with a row (the others have not run yet).
    pub finished: usize,
    pub runs: usize,
    pub passes: usize,
    /// Over the worlds that run.
    pub mean_score: Option<f64>,
    pub mean_rounds: Option<f64>,
    #[serde(default)]
    pub regressed_rounds: u32,
    #[serde(default)]
    pub repairs_not_built: u32,
    #[serde(default)]
    pub cut_off_answers: u32,
    /// Physics failures over the worlds that run.
    pub physics_failure_rate: Option<f64>,
    pub mean_object_kinds: Option<f64>,
    pub mean_entities: Option<f64>,
    pub mean_triangles: Option<f64>,
    pub mean_environment_elements: Option<f64>,
    /// Over the worlds the VLM scored.
    pub vlm_scored: usize,
    pub mean_vlm: Option<VlmFigures>,
    pub calls: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: Option<f64>,
    pub wall_s: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub title: String,
    pub totals: BenchTotals,
    pub prompts: Vec<BenchRow>,
}

/// Dynamics labels by id, from a benchmark file's extra `dynamics` key.
fn labels(jsonl: &str) -> Vec<(String, Vec<String>)> {
    jsonl
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| {
            let id = v["id"].as_str()?.to_string();
            let d = v["dynamics"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            Some((id, d))
        })
        .collect()
}

/// A name without its copy number: `tree_3` and `tree-12` are `tree`.
fn stem(name: &str) -> &str {
    name.trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end_matches(['_', '-'])
}

/// Builds the world again and counts what is in it.
pub fn richness(script: &str, brief: Option<&crate::brief::Brief>) -> Option<Richness> {
    use crate::agent::scene_facts::SceneFacts;
    use crate::world::light::SkyKind;
    let built = crate::pipeline::build(script, &crate::pipeline::RunOptions::default()).ok()?;
    Some(built.session.with_world(|w| {
        let facts = SceneFacts::of(w);
        let env = &w.environment;
        let (asked, placed, kinds) = match brief {
            Some(b) => {
                let placed: Vec<_> = b
                    .objects
                    .iter()
                    .filter(|o| facts.thing(&o.name).is_some())
                    .collect();
                let mut kinds: Vec<String> = placed.iter().map(|o| o.kind.to_lowercase()).collect();
                kinds.sort();
                kinds.dedup();
                (b.objects.len(), placed.len(), kinds.len())
            }
            None => {
                let mut names: Vec<&str> = w
                    .entities
                    .iter()
                    .filter_map(|e| e.name.as_deref())
                    .map(stem)
                    .filter(|s| !s.is_empty())
                    .collect();
                names.sort_unstable();
                names.dedup();
                (0, 0, names.len())
            }
        };
        let flags = [
            facts.things.iter().any(|t| t.ground),
            env.sky != SkyKind::Auto,
            env.fog_density > 0.0,
            env.stars,
            env.moon,
        ];
        Richness {
            object_kinds: kinds,
            objects_asked: asked,
            objects_placed: placed,
            entities: w.entities.len(),
            triangles: crate::measure::report::Counts::of(w).triangles,
            environment_elements: w.lights.len()
                + w.fields.len()
                + w.emitters.len()
                + flags.iter().filter(|f| **f).count(),
        }
    }))
}

/// One prompt's figures from its row and folder.
pub fn bench_row(out: &Path, item: &Item, row: &ResultRow, dynamics: Vec<String>) -> BenchRow {
    let dir = item_dir(out, &item.id);
    let critic = read_json(&dir.join("critic.json"));
    let report = read_json(&dir.join("report.json"));
    let brief: Option<crate::brief::Brief> = std::fs::read_to_string(dir.join("brief.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let calls = transcript_totals(&dir.join("transcript.jsonl"));
    let regressions = round_regressions(&dir);
    let runs = report.as_ref().is_some_and(|r| r["ok"] == true);
    let findings: Vec<&Value> = critic
        .as_ref()
        .and_then(|c| c["findings"].as_array())
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let physics_findings: Vec<String> = findings
        .iter()
        .filter(|f| f["category"] == "physics" && f["severity"] == "error")
        .filter_map(|f| f["id"].as_str().map(String::from))
        .collect();
    let checks = critic.as_ref().and_then(|c| c["checks"].as_array());
    let checks_ran = checks.map(|cs| {
        let ran = cs
            .iter()
            .filter(|c| c["status"].as_str().is_some_and(|s| s.starts_with("ran")))
            .count();
        format!("{ran}/{}", cs.len())
    });
    let vlm = critic
        .as_ref()
        .map(|c| &c["vlm_scores"])
        .filter(|v| v.is_object())
        .map(|v| VlmFigures {
            physics: v["physics"].as_f64().unwrap_or(0.0),
            aesthetics: v["aesthetics"].as_f64().unwrap_or(0.0),
            temporal_stability: v["temporal_stability"].as_f64().unwrap_or(0.0),
            prompt_match: v["prompt_match"].as_f64().unwrap_or(0.0),
        });
    let script = std::fs::read_to_string(dir.join("world.rhai")).ok();
    BenchRow {
        id: item.id.clone(),
        prompt: item.kind.source(),
        dynamics,
        status: row.status.clone(),
        runs,
        verdict: row.verdict.clone(),
        score: row.score,
        coverage: critic
            .as_ref()
            .and_then(|c| c.get("coverage").cloned())
            .filter(|v| !v.is_null()),
        checks_ran,
        rounds: round_numbers(&dir).len() as u32,
        regressed_rounds: regressions.0,
        repairs_not_built: regressions.1,
        cut_off_answers: calls.cut_off,
        calls: calls.calls,
        input_tokens: calls.input_tokens,
        output_tokens: calls.output_tokens,
        cost_usd: calls.cost_usd,
        wall_s: row.wall_s,
        richness: script
            .filter(|_| runs)
            .and_then(|s| richness(&s, brief.as_ref())),
        physics_failure: runs.then_some(!physics_findings.is_empty()),
        physics_findings,
        vlm,
        contact_sheet: row.contact_sheet.clone(),
    }
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (n, sum) = values.fold((0usize, 0.0), |(n, s), v| (n + 1, s + v));
    (n > 0).then(|| sum / n as f64)
}

pub fn totals(prompts: usize, rows: &[BenchRow]) -> BenchTotals {
    let running: Vec<&BenchRow> = rows.iter().filter(|r| r.runs).collect();
    let rich: Vec<&Richness> = running.iter().filter_map(|r| r.richness.as_ref()).collect();
    let scored: Vec<&VlmFigures> = rows.iter().filter_map(|r| r.vlm.as_ref()).collect();
    let m = |f: fn(&VlmFigures) -> f64| mean(scored.iter().map(|v| f(v))).unwrap_or(0.0);
    BenchTotals {
        prompts,
        finished: rows.len(),
        runs: running.len(),
        passes: rows.iter().filter(|r| r.status == "pass").count(),
        mean_score: mean(running.iter().filter_map(|r| r.score).map(f64::from)),
        mean_rounds: mean(running.iter().map(|r| r.rounds as f64)),
        regressed_rounds: rows.iter().map(|r| r.regressed_rounds).sum(),
        repairs_not_built: rows.iter().map(|r| r.repairs_not_built).sum(),
        cut_off_answers: rows.iter().map(|r| r.cut_off_answers).sum(),
        physics_failure_rate: mean(
            running
                .iter()
                .filter_map(|r| r.physics_failure)
                .map(|f| f as u8 as f64),
        ),
        mean_object_kinds: mean(rich.iter().map(|r| r.object_kinds as f64)),
        mean_entities: mean(rich.iter().map(|r| r.entities as f64)),
        mean_triangles: mean(rich.iter().map(|r| r.triangles as f64)),
        mean_environment_elements: mean(rich.iter().map(|r| r.environment_elements as f64)),
        vlm_scored: scored.len(),
        mean_vlm: (!scored.is_empty()).then(|| VlmFigures {
            physics: m(|v| v.physics),
            aesthetics: m(|v| v.aesthetics),
            temporal_stability: m(|v| v.temporal_stability),
            prompt_match: m(|v| v.prompt_match),
        }),
        calls: rows.iter().map(|r| r.calls).sum(),
        input_tokens: rows.iter().map(|r| r.input_tokens).sum(),
        output_tokens: rows.iter().map(|r| r.output_tokens).sum(),
        cost_usd: rows
            .iter()
            .filter_map(|r| r.cost_usd)
            .fold(None, |a, c| Some(a.unwrap_or(0.0) + c)),
        wall_s: rows.iter().map(|r| r.wall_s).sum(),
    }
}

/// Builds the report from a batch folder and writes its three files.
pub fn write_report(
    out: &Path,
    items: &[Item],
    source_jsonl: &str,
    title: &str,
) -> std::io::Result<BenchReport> {
    let labels = labels(source_jsonl);
    let rows: Vec<BenchRow> = items
        .iter()
        .filter_map(|i| {
            let row = read_row(out, &i.id)?;
            let d = labels
                .iter()
                .find(|(id, _)| *id == i.id)
                .map(|(_, d)| d.clone())
                .unwrap_or_default();
            Some(bench_row(out, i, &row, d))
        })
        .collect();
    let report = BenchReport {
        title: title.to_string(),
        totals: totals(items.len(), &rows),
        prompts: rows,
    };
    crate::util::fsx::write_json_atomic(&out.join("bench.json"), &report)?;
    write_atomic(&out.join("bench.md"), markdown(&report).as_bytes())?;
    write_atomic(&out.join("index.html"), html(&report).as_bytes())?;
    Ok(report)
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "-".into())
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.0}%", x * 100.0))
        .unwrap_or_else(|| "-".into())
}

fn f1(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "-".into())
}

/// `bench.md`: totals, a table per prompt, and every contact sheet.
pub fn markdown(r: &BenchReport) -> String {
    let t = &r.totals;
    let mut s = format!("# {}\n\n", r.title);
    s.push_str(&format!(
        "{} prompts, {} finished: {} give a world that runs, {} pass the critic.\n\n",
        t.prompts, t.finished, t.runs, t.passes
    ));
    s.push_str("| figure | value |\n|---|---|\n");
    let lines: Vec<(&str, String)> = vec![
        ("mean critic score (worlds that run)", f1(t.mean_score)),
        ("mean rounds", f1(t.mean_rounds)),
        (
            "rounds that regressed; repairs that did not build",
            format!("{}; {}", t.regressed_rounds, t.repairs_not_built),
        ),
        (
            "answers cut off by the token limit",
            t.cut_off_answers.to_string(),
        ),
        (
            "physics failure rate (worlds that run)",
            pct(t.physics_failure_rate),
        ),
        ("mean distinct object kinds", f1(t.mean_object_kinds)),
        ("mean entities", f1(t.mean_entities)),
        ("mean triangles", f1(t.mean_triangles.map(|x| x.round()))),
        ("mean environment elements", f1(t.mean_environment_elements)),
        (
            "VLM physics / aesthetics / temporal / prompt match",
            match &t.mean_vlm {
                Some(v) => format!(
                    "{:.0} / {:.0} / {:.0} / {:.0} (over {} worlds)",
                    v.physics, v.aesthetics, v.temporal_stability, v.prompt_match, t.vlm_scored
                ),
                None => "not scored: no vision-language model configured".into(),
            },
        ),
        (
            "model calls, tokens in/out",
            format!("{}, {}/{}", t.calls, t.input_tokens, t.output_tokens),
        ),
        ("cost", opt(t.cost_usd.map(|c| format!("${c:.4}")))),
        ("item time", format!("{:.1} s", t.wall_s)),
    ];
    for (k, v) in lines {
        s.push_str(&format!("| {k} | {v} |\n"));
    }
    s.push_str("\n| id | status | runs | verdict | score | coverage | rounds | calls | tokens | time | kinds | entities | triangles | env | physics errors | VLM p/a/t/m |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for p in &r.prompts {
        let rich = p.richness.as_ref();
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} s | {} | {} | {} | {} | {} | {} |\n",
            p.id,
            p.status,
            if p.runs { "yes" } else { "no" },
            opt(p.verdict.as_deref()),
            opt(p.score.filter(|s| *s >= 0)),
            p.coverage
                .as_ref()
                .map(|c| c.to_string())
                .or_else(|| p.checks_ran.as_ref().map(|c| format!("{c} checks")))
                .unwrap_or_else(|| "-".into()),
            p.rounds,
            p.calls,
            p.input_tokens + p.output_tokens,
            p.wall_s,
            opt(rich.map(|x| x.object_kinds)),
            opt(rich.map(|x| x.entities)),
            opt(rich.map(|x| x.triangles)),
            opt(rich.map(|x| x.environment_elements)),
            match p.physics_failure {
                None => "-".to_string(),
                Some(false) => "none".into(),
                Some(true) => p.physics_findings.join(", "),
            },
            p.vlm
                .as_ref()
                .map(|v| format!(
                    "{:.0}/{:.0}/{:.0}/{:.0}",
                    v.physics, v.aesthetics, v.temporal_stability, v.prompt_match
                ))
                .unwrap_or_else(|| "-".into()),
        ));
    }
    s.push_str("\n## Contact sheets\n\n");
    for p in &r.prompts {
        s.push_str(&format!("### {}\n\n{}\n\n", p.id, p.prompt));
        match &p.contact_sheet {
            Some(c) => s.push_str(&format!("![{}]({c})\n\n", p.id)),
            None => s.push_str("(no contact sheet: not rendered)\n\n"),
        }
    }
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `index.html`: every contact sheet on one page, with its figures.
pub fn html(r: &BenchReport) -> String {
    let mut s = format!(
        "<!doctype html>\n<meta charset=\"utf-8\">\n<title>{0}</title>\n<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}}figure{{margin:2em 0}}img{{max-width:100%}}.pass{{color:#070}}.fail,.error{{color:#b00}}</style>\n<h1>{0}</h1>\n<p>{1} prompts: {2} run, {3} pass the critic; physics failure rate {4}; mean score {5}.</p>\n",
        escape(&r.title),
        r.totals.prompts,
        r.totals.runs,
        r.totals.passes,
        pct(r.totals.physics_failure_rate),
        f1(r.totals.mean_score),
    );
    for p in &r.prompts {
        s.push_str(&format!(
            "<figure id=\"{0}\"><h2>{0} <span class=\"{1}\">{1}</span> score {2}, {3} round(s)</h2><p>{4}</p>",
            escape(&p.id),
            escape(&p.status),
            opt(p.score.filter(|s| *s >= 0)),
            p.rounds,
            escape(&p.prompt)
        ));
        match &p.contact_sheet {
            Some(c) => s.push_str(&format!(
                "<a href=\"{0}\"><img src=\"{0}\" alt=\"{1}\"></a>",
                escape(c),
                escape(&p.id)
            )),
            None => s.push_str("<p>(no contact sheet: not rendered)</p>"),
        }
        s.push_str("</figure>\n");
    }
    s
}
