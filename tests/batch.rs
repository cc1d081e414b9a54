//! `c2w batch` and `c2w bench` end to end: the real binary, a child
//! process per item, over a scripted model server on loopback
//! (tests/common/http.rs) that records every request it is sent.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use code2worlds::llm::STAGE_HEADER;
use common::http::{Reply, Seen, Server, ok_json, serve_with, status};
use serde_json::{Value, json};

const BALL: &str = "fn make_ball(position) {\n    sphere(0.1, #{ name: \"ball\", position: [position[0], position[1] + 0.1, position[2]], color: \"red\", material: \"rubber\" })\n}";
const ENVIRONMENT: &str = "plane([10, 10], #{ name: \"ground\", material: \"wood\" });\nsun(#{ elevation: 40 });\nsky(#{ ambient: 0.4 });";
const LAYOUT: &str = "let ball = make_ball([-1, 0, 0]);";
const CAMERA: &str = "camera(#{ position: [0, 0.5, 2], target: find(\"ball\"), fov: 40 });";
const ROLLING: &str = "set(find(\"ball\"), #{ velocity: [1.2, 0, 0], angular_velocity: [0, 0, -688] });\nexpect(\"moves\", find(\"ball\"), #{ min_distance: 1 });";
/// Nothing moves, though the brief asks for rolling: the critic fails it.
const STILL: &str = "expect(\"above_ground\", find(\"ball\"));";

fn brief() -> Value {
    json!({
        "title": "Rolling ball",
        "setting": "indoor",
        "environment": { "ground": "wooden floor", "sky": "day", "time_of_day": null,
                         "weather": "clear", "lighting": "soft daylight" },
        "objects": [{ "name": "ball", "kind": "ball", "count": 1, "attributes": ["red"],
                      "size_m": 0.2, "placement": "on the floor", "role": "subject" }],
        "dynamics": [{ "kind": "rolls", "subject": "ball", "notes": "across the floor" }],
        "camera": { "shot": "medium", "target": "ball", "motion": "static" },
        "duration": 3
    })
}

fn user_text(seen: &Seen) -> String {
    let v = seen.json();
    let last = v["messages"]
        .as_array()
        .and_then(|m| m.last().cloned())
        .unwrap_or(Value::Null);
    match &last["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// Which stage a request is for, as the request says (`object ball` is
/// the object stage).
fn stage_of(seen: &Seen) -> &'static str {
    let stage = seen.header(STAGE_HEADER).unwrap_or("");
    let first = stage.split(' ').next().unwrap_or("");
    [
        "plan",
        "object",
        "environment",
        "layout",
        "camera",
        "dynamics",
        "repair",
    ]
    .into_iter()
    .find(|s| *s == first)
    .unwrap_or("unknown")
}

fn openai(content: &str) -> Reply {
    ok_json(json!({
        "choices": [{ "message": { "role": "assistant", "content": content } }],
        "usage": { "prompt_tokens": 100, "completion_tokens": 20 }
    }))
}

/// The answer to a stage; `dynamics` for the dynamics stage, the rolling
/// script for repairs.
fn answer(stage: &str, dynamics: &str) -> Reply {
    let text = match stage {
        "plan" => brief().to_string(),
        "object" => BALL.into(),
        "environment" => ENVIRONMENT.into(),
        "layout" => LAYOUT.into(),
        "camera" => CAMERA.into(),
        "dynamics" => dynamics.into(),
        "repair" => format!(
            "world(#{{ duration: 3, fps: 24, seed: 1 }});\n{ENVIRONMENT}\n{BALL}\n{LAYOUT}\n{CAMERA}\n{ROLLING}\n"
        ),
        _ => "// ?".into(),
    };
    openai(&text)
}

fn good_model() -> Server {
    serve_with(|seen| Some(answer(stage_of(seen), ROLLING)))
}

fn write_prompts(dir: &Path, lines: &[(&str, &str)]) -> PathBuf {
    let p = dir.join("prompts.jsonl");
    let text: String = lines
        .iter()
        .map(|(id, prompt)| format!("{}\n", json!({ "id": id, "prompt": prompt })))
        .collect();
    std::fs::write(&p, text).unwrap();
    p
}

/// `c2w ARGS` in `dir`, against `server`, with fast retries.
fn c2w(dir: &Path, server: &Server, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_c2w"));
    cmd.args(args)
        .args(["--model", "scripted", "--base-url", &server.base])
        .current_dir(dir)
        .env("HOME", dir)
        .env("C2W_MAX_RETRIES", "2")
        .env("C2W_TIMEOUT_S", "20")
        .env_remove("C2W_CACHE_DIR")
        .env_remove("C2W_MODEL")
        .env_remove("C2W_CRITIC_MODEL");
    cmd
}

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn rows(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("results.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{p:?}: {e}")))
        .unwrap()
}

fn mtime(p: &Path) -> std::time::SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

#[test]
fn a_batch_finishes_every_prompt_retries_a_provider_failure_and_reports_a_hard_one() {
    let dir = tempfile::tempdir().unwrap();
    let flaked = Arc::new(AtomicBool::new(false));
    let f = flaked.clone();
    // "flaky": its first request is a 503, which the provider layer
    // retries. "broken": every request is refused with a 400, which no
    // retry can fix.
    let server = serve_with(move |seen| {
        let t = user_text(seen);
        if t.contains("broken") {
            return Some(status(
                400,
                vec![],
                json!({ "error": { "message": "model refuses" } }),
            ));
        }
        if t.contains("flaky") && !f.swap(true, Ordering::SeqCst) {
            return Some(status(
                503,
                vec![],
                json!({ "error": { "message": "overloaded" } }),
            ));
        }
        Some(answer(stage_of(seen), ROLLING))
    });
    let prompts = write_prompts(
        dir.path(),
        &[
            ("one", "A red ball rolls across a wooden floor (one)."),
            ("flaky", "A red ball rolls across a wooden floor (flaky)."),
            ("broken", "A red ball rolls across a wooden floor (broken)."),
            ("four", "A red ball rolls across a wooden floor (four)."),
        ],
    );
    let out = dir.path().join("b");
    let o = c2w(dir.path(), &server, &["batch"])
        .arg(&prompts)
        .arg("--out")
        .arg(&out)
        .args([
            "--workers",
            "2",
            "--no-render",
            "--no-cache",
            "--rounds",
            "2",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "an item failed: {}", text(&o));
    let r = rows(&out);
    let ids: Vec<&str> = r.iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["one", "flaky", "broken", "four"], "input order");
    for x in [&r[0], &r[1], &r[3]] {
        assert_eq!(x["status"], "pass", "{x}");
        assert_eq!(x["verdict"], "pass");
        assert_eq!(x["runs"], true);
        assert_eq!(x["rounds"], 1);
        assert_eq!(x["calls"], 6);
        assert_eq!(x["input_tokens"], 600);
        assert_eq!(x["exit_code"], 0);
        assert_eq!(x["attempts"], 1);
    }
    assert!(flaked.load(Ordering::SeqCst));
    // The flaky prompt's plan took two attempts inside one process.
    let t = std::fs::read_to_string(out.join("worlds/flaky/transcript.jsonl")).unwrap();
    let first: Value = serde_json::from_str(t.lines().next().unwrap()).unwrap();
    assert_eq!(first["attempts"], 2, "{first}");
    // The broken one is reported, after the batch's own retry, which
    // resumed the generation.
    let b = &r[2];
    assert_eq!(b["status"], "error");
    assert_eq!(b["exit_code"], 1);
    assert_eq!(b["attempts"], 2);
    let e = b["error"].as_str().unwrap();
    assert!(e.contains("400") && e.contains("model refuses"), "{e}");
    let log = std::fs::read_to_string(out.join("logs/broken.log")).unwrap();
    assert_eq!(log.matches("HTTP 400").count(), 2, "{log}");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("4 items: 3 pass, 0 fail, 1 error"),
        "{summary}"
    );
    assert!(summary.contains("| [broken](worlds/broken) | error |"));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("3 pass, 0 fail, 1 error"), "{stdout}");
    // Running it again without --resume is refused; nothing is touched.
    let again = c2w(dir.path(), &server, &["batch"])
        .arg(&prompts)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains("--resume"), "{}", text(&again));
}

/// Starts `c2w batch` in its own process group and interrupts the whole
/// group (as Ctrl-C does) once two items are finished and the third is
/// waiting on the model; then resumes against a fresh server, which must
/// hear only from the third item.
#[test]
fn an_interrupted_batch_resumes_without_redoing_finished_items() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let hung = Arc::new(Mutex::new(false));
    let h = hung.clone();
    let stalling = serve_with(move |seen| {
        if user_text(seen).contains("(three)") {
            *h.lock().unwrap() = true;
            return Some(Reply::Silence(Duration::from_secs(60)));
        }
        Some(answer(stage_of(seen), ROLLING))
    });
    let prompts = write_prompts(
        dir.path(),
        &[
            ("one", "A red ball rolls across a wooden floor (one)."),
            ("two", "A red ball rolls across a wooden floor (two)."),
            ("three", "A red ball rolls across a wooden floor (three)."),
        ],
    );
    let out = dir.path().join("b");
    let mut child = c2w(dir.path(), &stalling, &["batch"])
        .arg(&prompts)
        .arg("--out")
        .arg(&out)
        .args(["--workers", "1", "--no-render", "--no-cache", "--quiet"])
        .process_group(0)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(240);
    while !(rows(&out).len() == 2 && *hung.lock().unwrap()) {
        assert!(Instant::now() < deadline, "the batch did not get going");
        assert!(child.try_wait().unwrap().is_none(), "the batch ended early");
        std::thread::sleep(Duration::from_millis(100));
    }
    let pgid = format!("-{}", child.id());
    let killed = Command::new("kill")
        .args(["-INT", "--", &pgid])
        .status()
        .unwrap();
    assert!(killed.success());
    let _ = child.wait();
    assert!(out.join("worlds/three/generate.json").exists());
    assert!(
        !out.join("rows/three.json").exists(),
        "the interrupted item left a row: {}",
        std::fs::read_to_string(out.join("rows/three.json")).unwrap_or_default()
    );
    let one_summary = out.join("worlds/one/summary.md");
    let before = mtime(&one_summary);

    let fresh = good_model();
    let o = c2w(dir.path(), &fresh, &["batch"])
        .arg(&prompts)
        .arg("--out")
        .arg(&out)
        .args(["--no-render", "--no-cache", "--resume"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Six calls, every one for the third prompt's world: its plan named
    // it, and nothing of one or two was asked again.
    let seen = fresh.seen();
    assert_eq!(
        seen.len(),
        6,
        "{:?}",
        seen.iter().map(stage_of).collect::<Vec<_>>()
    );
    assert!(user_text(&seen[0]).contains("(three)"));
    assert_eq!(mtime(&one_summary), before, "item one was not redone");
    let r = rows(&out);
    assert_eq!(r.len(), 3);
    assert!(r.iter().all(|x| x["status"] == "pass"), "{r:?}");
    assert!(text(&o).contains("2 kept from earlier"), "{}", text(&o));
    // The third item's transcript has the stalled call's absence and the
    // six of the resumed run: it was continued, not restarted elsewhere.
    assert_eq!(r[2]["calls"], 6);
    // Resuming a finished batch runs nothing at all.
    let idle = good_model();
    let o = c2w(dir.path(), &idle, &["batch"])
        .arg(&prompts)
        .arg("--out")
        .arg(&out)
        .args(["--no-render", "--resume"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(idle.seen().is_empty());
}

#[test]
fn every_item_shares_one_response_cache() {
    let dir = tempfile::tempdir().unwrap();
    let server = good_model();
    let cache = dir.path().join("cache");
    // Two ids for one prompt: the second item's process replays what the
    // first one's paid for.
    let prompts = write_prompts(
        dir.path(),
        &[
            ("a", "A red ball rolls across a wooden floor."),
            ("b", "A red ball rolls across a wooden floor."),
        ],
    );
    let run = |out: &str| {
        c2w(dir.path(), &server, &["batch"])
            .arg(&prompts)
            .arg("--out")
            .arg(dir.path().join(out))
            .args(["--workers", "1", "--no-render", "--cache-dir"])
            .arg(&cache)
            .output()
            .unwrap()
    };
    let o = run("first");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.seen().len(), 6, "only item a asked the model");
    let r = rows(&dir.path().join("first"));
    assert_eq!(
        (r[0]["cached_calls"].clone(), r[1]["cached_calls"].clone()),
        (json!(0), json!(6))
    );
    let o = run("second");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.seen().len(), 6, "the second batch sent nothing");
    let r = rows(&dir.path().join("second"));
    assert!(r.iter().all(|x| x["cached_calls"] == 6), "{r:?}");
}

/// A folder of scripts: each runs in its own process, judged; a script's
/// error and a crashed process are rows, and the rest go on.
#[test]
fn a_folder_of_scripts_survives_a_bad_script_and_a_crashed_process() {
    let dir = tempfile::tempdir().unwrap();
    let scripts = dir.path().join("scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    let ok = "world(#{ duration: 1, fps: 12 });\nplane(5, #{ name: \"ground\" });\nlet b = sphere(0.2, #{ name: \"ball\", position: [0, 1, 0], body: \"dynamic\" });\ncamera(#{ position: [3, 2, 4], target: b });\n";
    std::fs::write(scripts.join("a_ball.rhai"), ok).unwrap();
    std::fs::write(scripts.join("b_crash.rhai"), ok).unwrap();
    std::fs::write(
        scripts.join("c_typo.rhai"),
        "world(#{ duration: 1 });\nsphere(0.2, #{ positon: [0, 1, 0] });\n",
    )
    .unwrap();
    std::fs::write(scripts.join("d_ball.rhai"), ok.replace("ball", "other")).unwrap();
    std::fs::write(scripts.join("notes.txt"), "not a script").unwrap();
    // A stand-in binary that dies by a signal on one script, as a crash
    // in a driver would, and is c2w for the others.
    let wrapper = dir.path().join("c2w-crashy");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\ncase \"$*\" in *b_crash*) kill -SEGV $$ ;; esac\nexec {} \"$@\"\n",
            env!("CARGO_BIN_EXE_c2w")
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = dir.path().join("b");
    let o = Command::new(env!("CARGO_BIN_EXE_c2w"))
        .arg("batch")
        .arg(&scripts)
        .arg("--out")
        .arg(&out)
        .args(["--workers", "2", "--no-render", "--retries", "0", "--c2w"])
        .arg(&wrapper)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = rows(&out);
    let by_id = |id: &str| r.iter().find(|x| x["id"] == id).unwrap().clone();
    assert_eq!(r.len(), 4, "{r:?}");
    for id in ["a_ball", "d_ball"] {
        let x = by_id(id);
        assert_eq!(x["kind"], "script");
        assert_eq!(x["status"], "pass", "{x}");
        assert_eq!(x["runs"], true);
        assert!(out.join(format!("worlds/{id}/critic.json")).exists());
    }
    let typo = by_id("c_typo");
    assert_eq!(typo["status"], "fail", "the script's own fault: {typo}");
    assert_eq!(typo["verdict"], "error");
    assert!(
        typo["error"].as_str().unwrap().contains("positon"),
        "{typo}"
    );
    let crash = by_id("b_crash");
    assert_eq!(crash["status"], "error");
    assert_eq!(crash["exit_code"], Value::Null);
    assert!(
        crash["error"].as_str().unwrap().contains("signal"),
        "{crash}"
    );
}

/// `c2w bench` over two prompts (one passes at once, one needs a repair
/// round), rendered small: every figure of the report is checked against
/// the files the rounds wrote.
#[test]
fn the_bench_report_matches_the_rounds_files() {
    let dir = tempfile::tempdir().unwrap();
    // Items run one at a time, so the last plan seen says which prompt the
    // later requests belong to.
    let still = Arc::new(AtomicBool::new(false));
    let s = still.clone();
    let server = serve_with(move |seen| {
        let stage = stage_of(seen);
        if stage == "plan" {
            s.store(user_text(seen).contains("(still)"), Ordering::SeqCst);
        }
        let dynamics = if s.load(Ordering::SeqCst) {
            STILL
        } else {
            ROLLING
        };
        Some(answer(stage, dynamics))
    });
    let prompts = dir.path().join("suite.jsonl");
    std::fs::write(
        &prompts,
        "{\"id\": \"rolls\", \"prompt\": \"A red ball rolls across a wooden floor.\", \"dynamics\": [\"rolling\"]}\n\
         {\"id\": \"still\", \"prompt\": \"A red ball rolls across a wooden floor (still).\"}\n",
    )
    .unwrap();
    let out = dir.path().join("bench");
    let o = c2w(dir.path(), &server, &["bench"])
        .arg(&prompts)
        .arg("--out")
        .arg(&out)
        .args(["--workers", "1", "--no-cache", "--rounds", "2"])
        .args(["--size", "160x90", "--quality", "draft"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report = read_json(&out.join("bench.json"));
    let prompts = report["prompts"].as_array().unwrap();
    assert_eq!(prompts.len(), 2);
    for p in prompts {
        let id = p["id"].as_str().unwrap();
        let world = out.join("worlds").join(id);
        let rounds: Vec<PathBuf> = (1..=4)
            .map(|k| world.join(format!("rounds/{k}/result.json")))
            .filter(|f| f.exists())
            .collect();
        assert_eq!(p["rounds"], rounds.len(), "{id}");
        // Regressions counted from the same files: a round below the best
        // score before it (-1 for a script that failed).
        let scores: Vec<i64> = rounds
            .iter()
            .map(|f| read_json(f)["score"].as_i64().unwrap())
            .collect();
        let regressed = (1..scores.len())
            .filter(|&i| scores[i] < *scores[..i].iter().max().unwrap())
            .count();
        assert_eq!(p["regressed_rounds"], regressed, "{id}");
        let calls: Vec<Value> = std::fs::read_to_string(world.join("transcript.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(p["calls"], calls.len(), "{id}");
        let cut = calls.iter().filter(|c| c["cut_off"] == true).count();
        assert_eq!(p["cut_off_answers"], cut, "{id}");
        let tokens: u64 = calls
            .iter()
            .map(|c| c["input_tokens"].as_u64().unwrap())
            .sum();
        assert_eq!(p["input_tokens"], tokens, "{id}");
        let critic = read_json(&world.join("critic.json"));
        assert_eq!(p["score"], critic["score"], "{id}");
        assert_eq!(p["verdict"], critic["verdict"], "{id}");
        let rep = read_json(&world.join("report.json"));
        assert_eq!(p["runs"], true);
        assert_eq!(p["richness"]["entities"], rep["counts"]["entities"], "{id}");
        assert_eq!(
            p["richness"]["triangles"], rep["counts"]["triangles"],
            "{id}"
        );
        assert_eq!(p["richness"]["object_kinds"], 1);
        assert_eq!(p["richness"]["objects_placed"], 1);
        // Ground, sun, and a sky chosen by the script.
        assert!(
            p["richness"]["environment_elements"].as_u64().unwrap() >= 2,
            "{p}"
        );
        assert_eq!(p["physics_failure"], false, "{p}");
        assert_eq!(p["vlm"], Value::Null, "no VLM was configured");
        assert!(world.join("contact_sheet.png").exists());
        assert_eq!(p["contact_sheet"], format!("worlds/{id}/contact_sheet.png"));
    }
    // The still ball failed round 1 and was repaired in round 2.
    assert_eq!(prompts[0]["rounds"], 1);
    assert_eq!(prompts[1]["rounds"], 2);
    assert_eq!(prompts[0]["dynamics"], json!(["rolling"]));
    let r1 = read_json(&out.join("worlds/still/rounds/1/result.json"));
    assert_eq!(r1["verdict"], "fail");
    let t = &report["totals"];
    assert_eq!(t["prompts"], 2);
    assert_eq!(t["runs"], 2);
    assert_eq!(t["passes"], 2);
    assert_eq!(t["mean_rounds"], 1.5);
    assert_eq!(t["physics_failure_rate"], 0.0);
    assert_eq!(
        t["calls"],
        prompts[0]["calls"].as_u64().unwrap() + prompts[1]["calls"].as_u64().unwrap()
    );
    let md = std::fs::read_to_string(out.join("bench.md")).unwrap();
    assert!(
        md.contains("![still](worlds/still/contact_sheet.png)"),
        "{md}"
    );
    assert!(md.contains("| mean rounds | 1.5 |"), "{md}");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert_eq!(html.matches("<img src=").count(), 2);
    // --report-only rebuilds the same report from the folders.
    std::fs::remove_file(out.join("bench.json")).unwrap();
    let again = c2w(dir.path(), &server, &["bench"])
        .arg(dir.path().join("suite.jsonl"))
        .arg("--out")
        .arg(&out)
        .arg("--report-only")
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert_eq!(read_json(&out.join("bench.json")), report);
}

#[test]
fn the_embedded_code4d_suite_has_its_ten_prompts() {
    let items = code2worlds::batch::items::parse_jsonl(code2worlds::batch::bench::CODE4D, "code4d")
        .unwrap();
    let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids.len(), 10);
    assert_eq!(ids[0], "c4d-01-autumn-breeze");
    assert_eq!(ids[8], "c4d-09-rolling-bottle");
}
