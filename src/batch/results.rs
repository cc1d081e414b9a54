//! One line of `results.jsonl` per item, read back from the item's folder
//! after its process ends, and the batch's `summary.md`.
//!
//! The row is also kept as `rows/ID.json`: its presence with a status of
//! `pass` or `fail` is what makes the item finished, so a resumed batch
//! never redoes it. The Ray driver (`dist/ray/`) writes the same files.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::items::Item;

/// What happened to one item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub id: String,
    /// "generate" or "script".
    pub kind: String,
    /// The prompt, or the script's path.
    pub source: String,
    /// "pass" and "fail" are finished (the world was made and judged);
    /// "error" means the item could not finish and is retried on resume.
    pub status: String,
    /// The child's exit status; `None` when it was killed by a signal or
    /// never started.
    pub exit_code: Option<i32>,
    /// Processes started for the item in the batch run that wrote the row.
    pub attempts: u32,
    /// Seconds those processes ran, in all.
    pub wall_s: f64,
    /// The item's folder, relative to the batch folder.
    pub out: String,
    /// Whether the final world runs to the end without a script error.
    pub runs: bool,
    /// The critic's verdict on the final world: "pass", "fail" or "error".
    pub verdict: Option<String>,
    pub score: Option<i32>,
    /// Run-and-repair rounds (generate only).
    pub rounds: Option<u32>,
    pub best_round: Option<u32>,
    pub calls: u32,
    pub cached_calls: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Known only when prices are configured.
    pub cost_usd: Option<f64>,
    /// Relative to the batch folder, when one was rendered.
    pub contact_sheet: Option<String>,
    pub error: Option<String>,
}

impl ResultRow {
    pub fn finished(&self) -> bool {
        self.status == "pass" || self.status == "fail"
    }
}

pub(crate) fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Model calls, tokens and cost from a transcript.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CallTotals {
    pub calls: u32,
    pub cached: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: Option<f64>,
    /// Answers cut off before their end: the server said the token limit
    /// stopped them, or (a server that gave no reason) a coder's code
    /// leaves brackets or strings open.
    pub cut_off: u32,
}

/// Sums `transcript.jsonl`; failed calls (with an error) are not counted,
/// as in the generation's own summary.
pub fn transcript_totals(path: &Path) -> CallTotals {
    let mut t = CallTotals::default();
    let Ok(text) = std::fs::read_to_string(path) else {
        return t;
    };
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if !v["error"].is_null() {
            continue;
        }
        t.calls += 1;
        t.cached += v["cached"].as_bool().unwrap_or(false) as u32;
        t.input_tokens += v["input_tokens"].as_u64().unwrap_or(0);
        t.output_tokens += v["output_tokens"].as_u64().unwrap_or(0);
        if let Some(c) = v["cost_usd"].as_f64() {
            t.cost_usd = Some(t.cost_usd.unwrap_or(0.0) + c);
        }
        let cut = match v["cut_off"].as_bool() {
            Some(said) => said,
            None => {
                v["role"] == "coder"
                    && v["response"].as_str().is_some_and(|r| {
                        crate::agent::code::cut_off_reason(&crate::agent::code::extract_code(r))
                            .is_some()
                    })
            }
        };
        t.cut_off += cut as u32;
    }
    t
}

/// Rounds that did worse than the best round before them (a script that
/// failed after one that ran, or a lower score), and repairs that did not
/// build and so never became rounds (`rounds/K/repair.json`).
pub fn round_regressions(dir: &Path) -> (u32, u32) {
    let mut best: Option<i64> = None;
    let mut regressed = 0;
    let mut broken = 0;
    for k in round_numbers(dir) {
        let round = dir.join(format!("rounds/{k}"));
        let score = read_json(&round.join("result.json"))
            .and_then(|r| r["score"].as_i64())
            .unwrap_or(-1);
        if best.is_some_and(|b| score < b) {
            regressed += 1;
        }
        best = Some(best.map_or(score, |b| b.max(score)));
        broken += read_json(&round.join("repair.json"))
            .and_then(|r| r["broken_tries"].as_array().map(|a| a.len() as u32))
            .unwrap_or(0);
    }
    (regressed, broken)
}

/// Numbers of the `rounds/K/result.json` files, in order.
pub fn round_numbers(dir: &Path) -> Vec<u32> {
    let mut v: Vec<u32> = std::fs::read_dir(dir.join("rounds"))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|k: &u32| dir.join(format!("rounds/{k}/result.json")).exists())
        .collect();
    v.sort_unstable();
    v
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

/// The row for `item` from what its folder holds after a process ended
/// with `exit_code` (`None`: killed by a signal). `log_tail` is the end of
/// the process's output, for the error when the folder says nothing.
pub fn row_from_folder(
    item: &Item,
    batch_dir: &Path,
    exit_code: Option<i32>,
    log_tail: &str,
) -> ResultRow {
    let rel = format!("worlds/{}", item.id);
    let dir = batch_dir.join(&rel);
    let mut row = ResultRow {
        id: item.id.clone(),
        kind: item.kind.name().into(),
        source: item.kind.source(),
        exit_code,
        out: rel.clone(),
        ..Default::default()
    };
    let report = read_json(&dir.join("report.json"));
    let critic = read_json(&dir.join("critic.json"));
    let script_error = report
        .as_ref()
        .and_then(|r| r["error"]["message"].as_str().map(first_line));
    row.runs = report.as_ref().is_some_and(|r| r["ok"] == true);
    if dir.join("contact_sheet.png").exists() {
        row.contact_sheet = Some(format!("{rel}/contact_sheet.png"));
    }
    let calls = transcript_totals(&dir.join("transcript.jsonl"));
    row.calls = calls.calls;
    row.cached_calls = calls.cached;
    row.input_tokens = calls.input_tokens;
    row.output_tokens = calls.output_tokens;
    row.cost_usd = calls.cost_usd;
    match &item.kind {
        super::items::ItemKind::Generate { .. } => {
            let rounds = round_numbers(&dir);
            row.rounds = (!rounds.is_empty()).then_some(rounds.len() as u32);
            // `summary.md` is written last: without it the generation did
            // not finish, whatever else is there.
            let done = dir.join("summary.md").exists();
            let fin = read_json(&dir.join("final.json"));
            if let (true, Some(f)) = (done, &fin) {
                row.best_round = f["round"].as_u64().map(|r| r as u32);
                row.verdict = f["verdict"].as_str().map(String::from);
                row.score = f["score"].as_i64().map(|s| s as i32);
                row.error = f["error"].as_str().map(first_line);
            }
        }
        super::items::ItemKind::Script { .. } => {
            if report.is_some() {
                row.rounds = None;
                row.verdict = match (&script_error, &critic) {
                    (Some(_), _) => Some("error".into()),
                    (None, Some(c)) => c["verdict"].as_str().map(String::from),
                    (None, None) => None,
                };
                row.score = critic
                    .as_ref()
                    .and_then(|c| c["score"].as_i64())
                    .map(|s| s as i32)
                    .or(script_error.as_ref().map(|_| -1));
                row.error = script_error.clone();
            }
        }
    }
    // The exit status decides finished or not; the verdict says how well.
    row.status = match (exit_code, &row.verdict) {
        (Some(0), Some(_)) => "pass".into(),
        (Some(2), Some(_)) => "fail".into(),
        _ => "error".into(),
    };
    if row.status == "error" && row.error.is_none() {
        let tail = log_tail
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with("error"))
            .or_else(|| log_tail.lines().rev().find(|l| !l.trim().is_empty()))
            .unwrap_or("")
            .trim()
            .to_string();
        row.error = Some(match exit_code {
            None => format!("the c2w process was killed by a signal (crashed?); {tail}"),
            Some(c) if tail.is_empty() => format!("c2w exited with status {c}"),
            Some(c) => format!("exit {c}: {tail}"),
        });
    }
    row
}

/// `summary.md`: one table row per item, then totals.
pub fn summary(title: &str, rows: &[ResultRow], pending: usize, wall_s: f64) -> String {
    let count = |s: &str| rows.iter().filter(|r| r.status == s).count();
    let mut s = format!("# {title}\n\n");
    s.push_str(&format!(
        "{} items: {} pass, {} fail, {} error{}.\n\n",
        rows.len() + pending,
        count("pass"),
        count("fail"),
        count("error"),
        if pending > 0 {
            format!(", {pending} not run yet")
        } else {
            String::new()
        }
    ));
    s.push_str("| id | status | verdict | score | rounds | calls | tokens in/out | cost | time | attempts | note |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    let dash = || "-".to_string();
    for r in rows {
        s.push_str(&format!(
            "| [{}]({}) | {} | {} | {} | {} | {} | {}/{} | {} | {:.1} s | {} | {} |\n",
            r.id,
            r.out,
            r.status,
            r.verdict.clone().unwrap_or_else(dash),
            r.score
                .filter(|s| *s >= 0)
                .map(|s| s.to_string())
                .unwrap_or_else(dash),
            r.rounds.map(|x| x.to_string()).unwrap_or_else(dash),
            r.calls,
            r.input_tokens,
            r.output_tokens,
            r.cost_usd.map(|c| format!("${c:.4}")).unwrap_or_else(dash),
            r.wall_s,
            r.attempts,
            r.error
                .as_deref()
                .map(|e| e.replace('|', "\\|"))
                .unwrap_or_default()
        ));
    }
    let tokens: u64 = rows.iter().map(|r| r.input_tokens + r.output_tokens).sum();
    let calls: u32 = rows.iter().map(|r| r.calls).sum();
    let cost: Option<f64> = rows
        .iter()
        .filter_map(|r| r.cost_usd)
        .fold(None, |a, c| Some(a.unwrap_or(0.0) + c));
    let item_s: f64 = rows.iter().map(|r| r.wall_s).sum();
    s.push_str(&format!(
        "\n{calls} model calls, {tokens} tokens{}; {item_s:.1} s of item time",
        cost.map(|c| format!(", ${c:.4}")).unwrap_or_default()
    ));
    if wall_s > 0.0 {
        s.push_str(&format!(
            " in {wall_s:.1} s of wall time ({:.2} items a minute)",
            rows.len() as f64 * 60.0 / wall_s
        ));
    }
    s.push_str(".\n");
    s
}
