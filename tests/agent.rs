//! The agent end to end over real HTTP on loopback: a scripted model server
//! (tests/common/http.rs) answers each stage's request with canned code,
//! chosen by what the request asks for, and records every request.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use code2worlds::agent::config::{ConfigFile, FlagSettings};
use code2worlds::agent::{AgentConfig, AgentError, GenerateOptions, GenerateOutcome, generate};
use code2worlds::critic::Verdict;
use code2worlds::llm::STAGE_HEADER;
use common::http::{Reply, Seen, Server, ok_json, serve_with, status};
use serde_json::{Value, json};

const PROMPT: &str = "A red ball rolls across a wooden floor.";

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

const BALL: &str = "fn make_ball(position) {\n    sphere(0.1, #{ name: \"ball\", position: [position[0], position[1] + 0.1, position[2]], color: \"red\", material: \"rubber\" })\n}";
const ENVIRONMENT: &str = "plane([10, 10], #{ name: \"ground\", material: \"wood\" });\nsun(#{ elevation: 40 });\nsky(#{ ambient: 0.4 });";
const LAYOUT: &str = "let ball = make_ball([-1, 0, 0]);";
const CAMERA: &str = "camera(#{ position: [0, 0.5, 2], target: find(\"ball\"), fov: 40 });";
const ROLLING: &str = "set(find(\"ball\"), #{ velocity: [1.2, 0, 0], angular_velocity: [0, 0, -688] });\nexpect(\"moves\", find(\"ball\"), #{ min_distance: 1 });";
/// Nothing moves, though the brief asks for rolling: the critic fails it.
const STILL: &str = "expect(\"above_ground\", find(\"ball\"));";
/// A syntax error (unclosed call).
const BROKEN: &str = "set(find(\"ball\"), #{ velocity: [1.2, 0, 0] };";

/// The user text of a chat request (OpenAI or Anthropic format).
fn user_text(seen: &Seen) -> String {
    let v = seen.json();
    let msgs = v["messages"].as_array().cloned().unwrap_or_default();
    let last = msgs.last().cloned().unwrap_or(Value::Null);
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
        "repair_section",
        "repair_camera",
    ]
    .into_iter()
    .find(|s| *s == first)
    .unwrap_or("unknown")
}

fn openai(content: &str) -> Reply {
    ok_json(json!({
        "choices": [{ "message": { "role": "assistant", "content": content }, "finish_reason": "stop" }],
        "usage": { "prompt_tokens": 100, "completion_tokens": 20 }
    }))
}

fn anthropic(content: &str) -> Reply {
    ok_json(json!({
        "content": [{ "type": "text", "text": content }],
        "usage": { "input_tokens": 100, "output_tokens": 20 }
    }))
}

/// The whole script a repair returns: the assembled pieces with `dynamics`.
fn whole_script(dynamics: &str) -> String {
    format!(
        "world(#{{ duration: 3, fps: 24, seed: 1 }});\n{ENVIRONMENT}\n{BALL}\n{LAYOUT}\n{CAMERA}\n{dynamics}\n"
    )
}

/// A model that answers every stage, with `dynamics` for the dynamics
/// stage and the rolling script for repairs.
fn model(dynamics: &'static str, format: fn(&str) -> Reply) -> Server {
    serve_with(move |seen| {
        let answer = match stage_of(seen) {
            "plan" => brief().to_string(),
            "object" => format!("```rhai\n{BALL}\n```"),
            "environment" => ENVIRONMENT.into(),
            "layout" => LAYOUT.into(),
            "camera" => CAMERA.into(),
            "dynamics" => dynamics.into(),
            "repair" => whole_script(ROLLING),
            _ => "// ?".into(),
        };
        Some(format(&answer))
    })
}

fn config(base: &str, cache: Option<&Path>, extra: &[(&str, &str)]) -> AgentConfig {
    let mut vars: Vec<(String, String)> = vec![
        ("C2W_MODEL".into(), "scripted".into()),
        ("C2W_BASE_URL".into(), base.into()),
        ("C2W_TIMEOUT_S".into(), "20".into()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    // Later entries win, so a test's extras override the defaults.
    let lookup = move |k: &str| {
        vars.iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    let flags = FlagSettings {
        no_cache: cache.is_none(),
        rounds: Some(3),
        ..Default::default()
    };
    let mut c = AgentConfig::merge(&ConfigFile::default(), &lookup, &flags).unwrap();
    c.cache_dir = cache.map(Path::to_path_buf);
    c.planner.config.retry_base = Duration::from_millis(10);
    c.coder.config.retry_base = Duration::from_millis(10);
    c
}

fn options(out: &Path, config: AgentConfig) -> GenerateOptions {
    GenerateOptions {
        prompt: Some(PROMPT.into()),
        out: out.to_path_buf(),
        resume: false,
        config,
        render: None,
        video_quality: Default::default(),
        quiet: true,
        cancel: Default::default(),
    }
}

/// Runs the pipeline in compact mode into `DIR/gen` of a new temporary
/// folder, which it returns with the outcome.
fn generate_compact(server: &Server, prompt: &str) -> (tempfile::TempDir, GenerateOutcome) {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&server.base, None, &[]);
    cfg.compact = true;
    let mut o = options(&dir.path().join("gen"), cfg);
    o.prompt = Some(prompt.into());
    let r = generate(o).unwrap();
    (dir, r)
}

fn stages(server: &Server) -> Vec<&'static str> {
    server.seen().iter().map(stage_of).collect()
}

fn transcript(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("transcript.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn read(p: PathBuf) -> String {
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn a_full_pipeline_plans_builds_and_passes_in_one_round() {
    let server = model(ROLLING, openai);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let r = generate(options(&out, config(&server.base, None, &[]))).unwrap();
    assert_eq!(
        stages(&server),
        [
            "plan",
            "object",
            "environment",
            "layout",
            "camera",
            "dynamics"
        ]
    );
    assert_eq!(r.rounds.len(), 1);
    assert_eq!(
        r.rounds[0].verdict,
        Some(Verdict::Pass),
        "{:?}",
        r.rounds[0]
    );
    assert!(r.final_world.passed(), "{:?}", r.final_world);
    // Every file the pipeline promises.
    for f in [
        "generate.json",
        "brief.json",
        "objects/ball.rhai",
        "objects/ball.json",
        "scene/environment.rhai",
        "scene/layout.rhai",
        "scene/camera.rhai",
        "scene/dynamics.rhai",
        "rounds/1/world.rhai",
        "rounds/1/result.json",
        "rounds/1/report.json",
        "rounds/1/critic.json",
        "world.rhai",
        "report.json",
        "critic.json",
        "summary.md",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let world = read(out.join("world.rhai"));
    assert!(world.contains("import \"assets\" as assets;"));
    assert!(world.contains("fn make_ball(position)") && world.contains(LAYOUT));
    // The object stream's request carried the catalog and the API entries
    // retrieval found, not the whole reference.
    let object_request = user_text(&server.seen()[1]);
    assert!(
        object_request.contains("sphere(radius)"),
        "{object_request}"
    );
    assert!(
        object_request.len() < 9000,
        "{} chars",
        object_request.len()
    );
    // The transcript has every call with timing and tokens.
    let t = transcript(&out);
    assert_eq!(t.len(), 6);
    assert_eq!(t[0]["stage"], "plan");
    assert_eq!(t[0]["role"], "planner");
    assert_eq!(t[5]["stage"], "dynamics");
    assert_eq!(t[5]["input_tokens"], 100);
    assert!(t[5]["elapsed_ms"].is_u64());
    let summary = read(out.join("summary.md"));
    assert!(summary.contains("| 1 | pass |"), "{summary}");
    assert!(
        summary.contains("| coder | 5 | 0 | 500 | 100 |"),
        "{summary}"
    );
}

#[test]
fn compact_mode_writes_the_environment_layout_and_camera_from_the_brief() {
    let server = model(ROLLING, openai);
    let (dir, r) = generate_compact(&server, PROMPT);
    let out = dir.path().join("gen");
    // No catalog builder is called "ball", so the object still asks the
    // model; the environment, the layout and the camera do not.
    assert_eq!(stages(&server), ["plan", "object", "dynamics"]);
    let layout = read(out.join("scene/layout.rhai"));
    assert_eq!(layout, "let ball = make_ball([0, 0, 0]);");
    let env = read(out.join("scene/environment.rhai"));
    assert!(
        env.contains("name: \"ground\", material: \"wood\""),
        "{env}"
    );
    let cam = read(out.join("scene/camera.rhai"));
    assert!(cam.contains("target: find(\"ball\")"), "{cam}");
    // A small model's plan is asked for with its lists bounded, so it cannot
    // loop to the token limit repeating one item; not as strict mode, which
    // does not take the bounds.
    let plan_request: Value = serde_json::from_str(&server.seen()[0].body).unwrap();
    let format = &plan_request["response_format"]["json_schema"];
    assert_eq!(format["strict"], false);
    assert_eq!(format["schema"]["properties"]["dynamics"]["maxItems"], 5);
    // The plan is written as data, and the pieces are that plan compiled.
    let plan: code2worlds::agent::plan::ScenePlan =
        serde_json::from_str(&read(out.join("scene/plan.json"))).expect("scene/plan.json");
    assert_eq!(plan.environment.script(), env);
    assert_eq!(
        code2worlds::agent::plan::layout_script(&plan.layout),
        layout
    );
    assert_eq!(plan.camera.script(), cam);
    assert_eq!(plan.layout[0].maker, "make_ball");
    assert_eq!(
        r.rounds[0].verdict,
        Some(Verdict::Pass),
        "{:?}",
        r.rounds[0]
    );
}

/// The rolling bottle (Code4D c4d-09) in compact mode, with a model that
/// plans well but writes broken dynamics: the catalog builds the bottle,
/// the brief gives the environment, layout and camera, and the dynamics
/// fall back to the starter, so the world passes with two model calls.
#[test]
fn compact_mode_finishes_the_rolling_bottle_with_two_model_calls() {
    let bottle_brief = json!({
        "title": "Rolling bottle",
        "setting": "living room",
        "environment": { "ground": "floor", "sky": "clear", "time_of_day": null,
                         "weather": "sunlit", "lighting": "natural" },
        "objects": [{ "name": "bottle", "kind": "bottle", "count": 1,
                      "attributes": ["brown", "glass"], "size_m": 0.3,
                      "placement": "on the floor", "role": "subject" }],
        "dynamics": [{ "kind": "rolls", "subject": "bottle", "notes": "slowly across the floor" }],
        "camera": { "shot": "close", "target": "bottle", "motion": "static" },
        "duration": 5
    });
    let server = serve_with(move |seen| {
        let answer = match stage_of(seen) {
            "plan" => bottle_brief.to_string(),
            _ => BROKEN.to_string(),
        };
        Some(openai(&answer))
    });
    let (dir, r) = generate_compact(
        &server,
        "A brown glass bottle rolled slowly across the sunlit living room floor.",
    );
    let out = dir.path().join("gen");
    assert_eq!(stages(&server), ["plan", "dynamics"]);
    // The dynamics request offered the starter.
    let asked = user_text(&server.seen()[1]);
    assert!(asked.contains("A starting point"), "{asked}");
    let object = read(out.join("objects/bottle.rhai"));
    assert!(object.contains("assets::bottle(position"), "{object}");
    let layout = read(out.join("scene/layout.rhai"));
    assert_eq!(layout, "let bottle = make_bottle([0, 0, 0]);");
    assert_eq!(
        r.rounds[0].verdict,
        Some(Verdict::Pass),
        "{:?}",
        r.rounds[0]
    );
}

/// Compact mode repairs the one section the critic's findings point at:
/// the dynamics, here, which left the ball still.
#[test]
fn compact_mode_repairs_one_section() {
    let server = serve_with(|seen| {
        let answer = match stage_of(seen) {
            "plan" => brief().to_string(),
            "object" => BALL.to_string(),
            "dynamics" => STILL.to_string(),
            "repair_section" => ROLLING.to_string(),
            _ => "// ?".into(),
        };
        Some(openai(&answer))
    });
    let (dir, r) = generate_compact(&server, PROMPT);
    let out = dir.path().join("gen");
    assert_eq!(
        stages(&server),
        ["plan", "object", "dynamics", "repair_section"]
    );
    let asked = user_text(&server.seen()[3]);
    assert!(
        asked.contains("// ---- dynamics ----") && asked.contains("The part now:"),
        "{asked}"
    );
    assert_eq!(r.rounds.len(), 2);
    assert_eq!(r.rounds[0].verdict, Some(Verdict::Fail));
    assert_eq!(
        r.rounds[1].verdict,
        Some(Verdict::Pass),
        "{:?}",
        r.rounds[1]
    );
    let round2 = read(out.join("rounds/2/world.rhai"));
    // Only the dynamics changed: everything before it is round 1's.
    let round1 = read(out.join("rounds/1/world.rhai"));
    let cut = round1.find("// ---- dynamics ----").unwrap();
    assert_eq!(round2[..cut], round1[..cut]);
    assert!(round2[cut..].contains("angular_velocity"), "{round2}");
}

/// In compact mode, dynamics that do not build (with no starter to fall
/// back on) are left out, so round 1 still runs.
#[test]
fn compact_mode_leaves_out_dynamics_that_do_not_build() {
    let server = serve_with(|seen| {
        let mut b = brief();
        b["dynamics"] = json!([{ "kind": "swings", "subject": "ball", "notes": "" }]);
        let answer = match stage_of(seen) {
            "plan" => b.to_string(),
            "object" => BALL.to_string(),
            _ => BROKEN.to_string(),
        };
        Some(openai(&answer))
    });
    let (dir, r) = generate_compact(&server, "A red ball swings on a string.");
    let out = dir.path().join("gen");
    assert_eq!(
        &stages(&server)[..4],
        ["plan", "object", "dynamics", "dynamics"]
    );
    assert!(r.rounds[0].error.is_none(), "{:?}", r.rounds[0]);
    let round1 = read(out.join("rounds/1/world.rhai"));
    assert!(
        round1.contains("did not build and were left out"),
        "{round1}"
    );
    assert!(!round1.contains(BROKEN));
}

#[test]
fn a_syntax_error_is_repaired_in_round_two() {
    let server = model(BROKEN, openai);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let r = generate(options(&out, config(&server.base, None, &[]))).unwrap();
    let st = stages(&server);
    // The dynamics stage retried once with the error, then the rounds
    // took over.
    assert_eq!(st.iter().filter(|s| **s == "dynamics").count(), 2);
    assert_eq!(st.last(), Some(&"repair"));
    assert_eq!(r.rounds.len(), 2);
    assert_eq!(r.rounds[0].verdict, None);
    assert_eq!(
        r.rounds[1].verdict,
        Some(Verdict::Pass),
        "{:?}",
        r.rounds[1]
    );
    assert_eq!(r.best_round, 2);
    // The repairer was told the structured error: kind, line, message.
    let repair = server
        .seen()
        .iter()
        .find(|s| stage_of(s) == "repair")
        .map(user_text)
        .unwrap();
    assert!(repair.contains("\"kind\":\"syntax\""), "{repair}");
    assert!(repair.contains("\"line\":"), "{repair}");
    assert!(repair.contains(BROKEN), "the script goes with it");
    let result: Value = serde_json::from_str(&read(out.join("rounds/1/result.json"))).unwrap();
    assert_eq!(result["problem"]["kind"], "error");
    assert_eq!(
        read(out.join("world.rhai")),
        read(out.join("rounds/2/world.rhai"))
    );
}

#[test]
fn a_critic_failure_is_repaired() {
    let server = model(STILL, openai);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let r = generate(options(&out, config(&server.base, None, &[]))).unwrap();
    assert_eq!(r.rounds[0].verdict, Some(Verdict::Fail));
    assert_eq!(
        r.rounds[1].verdict,
        Some(Verdict::Pass),
        "{:?}",
        r.rounds[1]
    );
    let repair = server
        .seen()
        .iter()
        .find(|s| stage_of(s) == "repair")
        .map(user_text)
        .unwrap();
    assert!(repair.contains("the critic scored it"), "{repair}");
    assert!(
        repair.contains("ball"),
        "findings name the entity: {repair}"
    );
    assert!(
        repair.contains("Fix:"),
        "findings carry fix hints: {repair}"
    );
}

#[test]
fn rate_limits_are_waited_out() {
    let calls = Arc::new(AtomicUsize::new(0));
    let inner = model(ROLLING, openai);
    let base = inner.base.clone();
    let c = calls.clone();
    // The first request is refused with 429; the rest go to the model.
    let server = serve_with(move |seen| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            return Some(status(
                429,
                vec![("retry-after", "0".into())],
                json!({ "error": { "message": "slow down" } }),
            ));
        }
        let client = std::net::TcpStream::connect(base.trim_start_matches("http://")).ok()?;
        Some(forward(client, seen))
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let r = generate(options(&out, config(&server.base, None, &[]))).unwrap();
    assert_eq!(r.rounds[0].verdict, Some(Verdict::Pass));
    let t = transcript(&out);
    assert_eq!(t[0]["attempts"], 2, "{}", t[0]);
}

/// Sends a seen request on to another server and relays its answer.
fn forward(mut to: std::net::TcpStream, seen: &Seen) -> Reply {
    use std::io::{Read, Write};
    // The stage header goes along: the other server answers by it.
    let stage = seen
        .header(STAGE_HEADER)
        .map(|s| format!("{STAGE_HEADER}: {s}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "POST {} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n{stage}content-length: {}\r\nconnection: close\r\n\r\n{}",
        seen.path,
        seen.body.len(),
        seen.body
    );
    to.write_all(req.as_bytes()).unwrap();
    let mut answer = String::new();
    to.read_to_string(&mut answer).unwrap();
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    ok_json(serde_json::from_str(&body).unwrap())
}

#[test]
fn repeated_server_errors_end_in_a_clear_error_and_keep_the_folder() {
    let server = serve_with(|_| {
        Some(status(
            500,
            vec![],
            json!({ "error": { "message": "boom" } }),
        ))
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let e = generate(options(
        &out,
        config(&server.base, None, &[("C2W_MAX_RETRIES", "2")]),
    ))
    .err()
    .expect("an error");
    let text = e.to_string();
    assert!(matches!(e, AgentError::Model { .. }), "{text}");
    assert!(
        text.starts_with("plan: HTTP 500") && text.contains("boom"),
        "{text}"
    );
    assert_eq!(server.seen().len(), 3, "one try and two retries");
    assert!(out.join("generate.json").exists(), "the run can be resumed");
}

#[test]
fn malformed_answers_are_errors_not_panics() {
    // Not JSON at all where a brief is wanted, twice.
    let server = serve_with(|_| Some(openai("I would rather write a poem.")));
    let dir = tempfile::tempdir().unwrap();
    let e = generate(options(
        &dir.path().join("a"),
        config(&server.base, None, &[]),
    ))
    .err()
    .unwrap();
    assert!(e.to_string().contains("no usable brief"), "{e}");
    assert_eq!(server.seen().len(), 2, "the planner is asked once more");
    // A body that is not JSON.
    let server = serve_with(|_| {
        Some(Reply::Answer {
            status: 200,
            headers: vec![],
            body: "<html>".into(),
        })
    });
    let e = generate(options(
        &dir.path().join("b"),
        config(&server.base, None, &[]),
    ))
    .err()
    .unwrap();
    assert!(e.to_string().contains("not JSON"), "{e}");
}

#[test]
fn a_silent_server_times_out() {
    let server = serve_with(|_| Some(Reply::Silence(Duration::from_secs(5))));
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        &server.base,
        None,
        &[("C2W_TIMEOUT_S", "0.5"), ("C2W_MAX_RETRIES", "0")],
    );
    let e = generate(options(&dir.path().join("gen"), cfg))
        .err()
        .unwrap();
    assert!(e.to_string().contains("timed out"), "{e}");
}

#[test]
fn anthropic_messages_drive_the_pipeline() {
    let server = model(ROLLING, anthropic);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let cfg = config(
        &server.base,
        None,
        &[
            ("C2W_PROVIDER", "anthropic"),
            ("C2W_API_KEY_ENV", "C2W_TEST_ANTHROPIC_KEY_THAT_IS_UNSET"),
        ],
    );
    // Anthropic needs a key; the test gives one directly.
    let mut cfg = cfg;
    cfg.planner.config.api_key = Some("test-key".into());
    cfg.coder.config.api_key = Some("test-key".into());
    let r = generate(options(&out, cfg)).unwrap();
    assert_eq!(r.rounds[0].verdict, Some(Verdict::Pass));
    let seen = server.seen();
    assert!(seen.iter().all(|s| s.path == "/v1/messages"));
    assert!(
        seen.iter()
            .all(|s| s.header("x-api-key") == Some("test-key"))
    );
    // No grammar field ever goes to Anthropic.
    assert!(seen.iter().all(|s| s.json().get("grammar").is_none()));
}

#[test]
fn grammar_constrained_requests_carry_the_world_grammar() {
    let server = model(ROLLING, openai);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&server.base, None, &[]);
    cfg.grammar = true;
    generate(options(&dir.path().join("gen"), cfg)).unwrap();
    let seen = server.seen();
    // Code requests carry it; the planner's JSON request does not.
    assert!(seen[0].json().get("grammar").is_none());
    for s in &seen[1..] {
        assert_eq!(
            s.json()["grammar"].as_str(),
            Some(code2worlds::grammar::for_generation().as_str())
        );
    }
}

#[test]
fn an_interrupted_run_resumes_without_redoing_finished_stages() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    // A server that dies at the layout stage.
    let good = model(ROLLING, openai);
    let good_base = good.base.clone();
    let dying = serve_with(move |seen| {
        if stage_of(seen) == "layout" {
            return Some(status(
                500,
                vec![],
                json!({ "error": { "message": "gone" } }),
            ));
        }
        let client = std::net::TcpStream::connect(good_base.trim_start_matches("http://")).ok()?;
        Some(forward(client, seen))
    });
    let e = generate(options(
        &out,
        config(&dying.base, None, &[("C2W_MAX_RETRIES", "0")]),
    ))
    .err()
    .unwrap();
    assert!(e.to_string().starts_with("layout:"), "{e}");
    assert!(out.join("scene/environment.rhai").exists());
    assert!(!out.join("scene/layout.rhai").exists());
    // Without --resume the folder is not touched.
    let again = generate(options(&out, config(&good.base, None, &[])));
    assert!(matches!(again, Err(AgentError::Usage(_))));
    // With it, only what is missing is asked for.
    let fresh = model(ROLLING, openai);
    let mut o = options(&out, config(&fresh.base, None, &[]));
    o.resume = true;
    o.prompt = None;
    let r = generate(o).unwrap();
    assert_eq!(stages(&fresh), ["layout", "camera", "dynamics"]);
    assert_eq!(r.rounds[0].verdict, Some(Verdict::Pass));
    // The transcript kept the calls of both sessions.
    assert_eq!(transcript(&out).len(), 4 + 3);
    // Resuming a finished run redoes nothing, the final render included.
    let written = std::fs::metadata(out.join("report.json"))
        .unwrap()
        .modified()
        .unwrap();
    let idle = model(ROLLING, openai);
    let mut o = options(&out, config(&idle.base, None, &[]));
    o.resume = true;
    let again = generate(o).unwrap();
    assert!(idle.seen().is_empty());
    assert_eq!(again.final_world, r.final_world);
    let after = std::fs::metadata(out.join("report.json"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(written, after);
}

#[test]
fn the_response_cache_replays_a_rerun_for_free() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let server = model(ROLLING, openai);
    generate(options(
        &dir.path().join("a"),
        config(&server.base, Some(&cache), &[]),
    ))
    .unwrap();
    let first = server.seen().len();
    generate(options(
        &dir.path().join("b"),
        config(&server.base, Some(&cache), &[]),
    ))
    .unwrap();
    assert_eq!(server.seen().len(), first, "the second run sent nothing");
    assert_eq!(
        read(dir.path().join("a/world.rhai")),
        read(dir.path().join("b/world.rhai"))
    );
    let t = transcript(&dir.path().join("b"));
    assert!(t.iter().all(|c| c["cached"] == true));
}

#[test]
fn the_cli_generates_renders_and_reports() {
    let server = model(ROLLING, openai);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let status = Command::new(env!("CARGO_BIN_EXE_c2w"))
        .args(["generate", PROMPT, "--out"])
        .arg(&out)
        .args([
            "--model",
            "scripted",
            "--base-url",
            &server.base,
            "--no-cache",
        ])
        .args(["--size", "160x90", "--quality", "draft", "--quiet"])
        .env("HOME", dir.path())
        .env_remove("C2W_MODEL")
        .env_remove("C2W_CRITIC_MODEL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&status.stdout);
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert_eq!(status.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("critic pass"), "{stdout}");
    assert!(out.join("rounds/1/contact_sheet.png").exists());
    let video = code2worlds::video::probe_mp4(&out.join("video.mp4")).unwrap();
    assert_eq!((video.width, video.height), (160, 90));
    assert_eq!(video.frames, 72);
    // The object critic rendered the ball alone.
    assert!(out.join("objects/ball_front.png").exists());
    assert!(out.join("objects/ball_side.png").exists());
}

#[test]
fn generate_without_a_model_says_how_to_name_one() {
    let out = Command::new(env!("CARGO_BIN_EXE_c2w"))
        .args(["generate", PROMPT, "--no-render"])
        .env_remove("C2W_MODEL")
        .env_remove("C2W_PLANNER_MODEL")
        .env_remove("C2W_CODER_MODEL")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--model") && stderr.contains("C2W_MODEL"),
        "{stderr}"
    );
}

/// With a live line (what `c2w generate` shows on a terminal) the client
/// streams the answer and tells the line as tokens arrive, then clears it;
/// the answer and the cache are the same as without.
#[test]
fn a_live_line_sees_tokens_arrive_while_the_model_answers() {
    use code2worlds::agent::client::{CallSite, LiveLine, ModelClient};
    use code2worlds::llm::{ChatRequest, Part};
    let piece = |t: &str| json!({ "choices": [{ "delta": { "content": t } }] });
    let server = common::http::serve(vec![common::http::event_stream(&[
        piece("let "),
        piece("x = "),
        piece("1;"),
    ])]);
    let cfg = config(&server.base, None, &[]);
    let cache = tempfile::tempdir().unwrap();
    let mut client = ModelClient::new(
        "coder",
        cfg.coder.clone(),
        Some(cache.path().to_path_buf()),
        None,
    )
    .unwrap();
    let seen = Arc::new(std::sync::Mutex::new(Vec::<Option<u64>>::new()));
    let log = seen.clone();
    client.set_live_line(LiveLine::new(move |p| {
        log.lock().unwrap().push(p.map(|p| p.tokens))
    }));
    let req = ChatRequest::new(vec![Part::Text("write x".into())]);
    let r = client.chat(&CallSite::stage("dynamics"), &req).unwrap();
    assert_eq!(r.text, "let x = 1;");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.last(), Some(&None), "cleared when done: {seen:?}");
    assert_eq!(seen.iter().flatten().max(), Some(&3), "{seen:?}");
    assert_eq!(server.seen()[0].json()["stream"], true);
    // The second time it is replayed from the cache: no request at all.
    let again = client.chat(&CallSite::stage("dynamics"), &req).unwrap();
    assert_eq!(again.text, r.text);
    assert_eq!(server.seen().len(), 1);
}

/// A cancelled generation stops before its next stage and says how to go on.
#[test]
fn a_cancelled_generation_stops_before_calling_the_model() {
    let server = model(ROLLING, openai);
    let dir = tempfile::tempdir().unwrap();
    let o = options(&dir.path().join("gen"), config(&server.base, None, &[]));
    o.cancel.cancel();
    let e = generate(o).err().expect("cancelled");
    assert!(e.to_string().contains("cancelled"), "{e}");
    assert!(server.seen().is_empty(), "a model was called");
}

/// An OpenAI answer with no finish reason (some servers send none).
fn openai_unsaid(content: &str) -> Reply {
    ok_json(json!({
        "choices": [{ "message": { "role": "assistant", "content": content } }],
        "usage": { "prompt_tokens": 100, "completion_tokens": 20 }
    }))
}

/// An OpenAI answer stopped by the token limit.
fn openai_cut(content: &str) -> Reply {
    ok_json(json!({
        "choices": [{ "message": { "role": "assistant", "content": content }, "finish_reason": "length" }],
        "usage": { "prompt_tokens": 100, "completion_tokens": 20 }
    }))
}

#[test]
fn a_cut_off_answer_is_asked_again_with_room_not_run() {
    // The object's first answer is stopped by the limit (the server says
    // so); the dynamics' first answer, from a server that gives no reason,
    // ends with brackets open.
    let cut_ball = &BALL[..BALL.len() / 2];
    let cut_dynamics = &ROLLING[..30];
    let server = serve_with(move |seen| {
        let again = user_text(seen).contains("was cut off before its end");
        Some(match (stage_of(seen), again) {
            ("plan", _) => openai(&brief().to_string()),
            ("object", false) => openai_cut(cut_ball),
            ("object", true) => openai(BALL),
            ("environment", _) => openai(ENVIRONMENT),
            ("layout", _) => openai(LAYOUT),
            ("camera", _) => openai(CAMERA),
            ("dynamics", false) => openai_unsaid(cut_dynamics),
            ("dynamics", true) => openai(ROLLING),
            _ => openai("// ?"),
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let r = generate(options(&out, config(&server.base, None, &[]))).unwrap();
    assert_eq!(
        stages(&server),
        [
            "plan",
            "object",
            "object",
            "environment",
            "layout",
            "camera",
            "dynamics",
            "dynamics"
        ]
    );
    let seen = server.seen();
    let max_tokens = |i: usize| seen[i].json()["max_tokens"].as_u64().unwrap();
    assert_eq!(
        max_tokens(2),
        2 * max_tokens(1),
        "asked again with twice the room"
    );
    assert_eq!(max_tokens(7), 2 * max_tokens(6));
    assert!(user_text(&seen[2]).contains("it reached the limit of"));
    assert!(user_text(&seen[7]).contains("never closed"));
    // Neither cut answer was run; the world is whole and passes in round 1.
    let round1 = read(out.join("rounds/1/world.rhai"));
    assert!(
        round1.contains(BALL) && round1.contains(ROLLING),
        "{round1}"
    );
    assert_eq!(r.rounds.len(), 1);
    assert_eq!(
        r.rounds[0].verdict,
        Some(Verdict::Pass),
        "{:?}",
        r.rounds[0]
    );
    // The transcript says which answer the server cut.
    let t = transcript(&out);
    assert_eq!(t[1]["cut_off"], true);
    assert_eq!(t[2]["cut_off"], false);
}

/// A repair whose script builds but fails at run time.
const THROWS: &str = "on_step(|t| { if t > 0.5 { throw \"the repair broke at run time\"; } });";

#[test]
fn a_repair_that_breaks_the_world_is_set_aside_and_the_best_is_repaired_again() {
    let repairs = Arc::new(AtomicUsize::new(0));
    let counted = repairs.clone();
    let server = serve_with(move |seen| {
        let answer = match stage_of(seen) {
            "plan" => brief().to_string(),
            "object" => BALL.to_string(),
            "environment" => ENVIRONMENT.into(),
            "layout" => LAYOUT.into(),
            "camera" => CAMERA.into(),
            "dynamics" => STILL.into(),
            "repair" => match counted.fetch_add(1, Ordering::SeqCst) {
                0 => whole_script(&format!("{ROLLING}\n{THROWS}")),
                _ => whole_script(ROLLING),
            },
            _ => "// ?".into(),
        };
        Some(openai(&answer))
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let r = generate(options(&out, config(&server.base, None, &[]))).unwrap();
    assert_eq!(r.rounds.len(), 3, "{:?}", r.rounds);
    assert_eq!(r.rounds[0].verdict, Some(Verdict::Fail));
    assert_eq!(r.rounds[1].verdict, None, "round 2 fails at run time");
    assert_eq!(
        r.rounds[2].verdict,
        Some(Verdict::Pass),
        "{:?}",
        r.rounds[2]
    );
    // The second repair was made from round 1, told of its own error.
    let second = server
        .seen()
        .iter()
        .filter(|s| stage_of(s) == "repair")
        .nth(1)
        .map(user_text)
        .unwrap();
    assert!(
        second.contains("Your last repair of this script did not run"),
        "{second}"
    );
    assert!(second.contains("the repair broke at run time"), "{second}");
    let script = &second[second.find("The script:").unwrap()..];
    assert!(
        script.contains(STILL) && !script.contains(THROWS),
        "{second}"
    );
    let repair: Value = serde_json::from_str(&read(out.join("rounds/3/repair.json"))).unwrap();
    assert_eq!(repair["from_round"], 1);
    assert_eq!(repair["set_aside"], 2);
    assert_eq!(r.best_round, 3);
}

#[test]
fn a_repair_that_never_builds_falls_back_to_the_template_and_never_becomes_the_world() {
    let server = serve_with(move |seen| {
        let answer = match stage_of(seen) {
            "plan" => brief().to_string(),
            "object" => BALL.to_string(),
            "environment" => ENVIRONMENT.into(),
            "layout" => LAYOUT.into(),
            "camera" => CAMERA.into(),
            "dynamics" => STILL.into(),
            "repair" => whole_script(BROKEN),
            _ => "// ?".into(),
        };
        Some(openai(&answer))
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let r = generate(options(&out, config(&server.base, None, &[]))).unwrap();
    let st = stages(&server);
    assert_eq!(
        st.iter().filter(|s| **s == "repair").count() % 2,
        0,
        "{st:?}"
    );
    // Neither broken repair ran as a round.
    for round in &r.rounds {
        let script = read(out.join(format!("rounds/{}/world.rhai", round.round)));
        assert!(
            !script.contains(BROKEN),
            "round {} ran a broken repair",
            round.round
        );
        assert!(round.error.is_none(), "{round:?}");
    }
    let repair: Value = serde_json::from_str(&read(out.join("rounds/2/repair.json"))).unwrap();
    assert_eq!(repair["broken_tries"].as_array().unwrap().len(), 2);
    assert_eq!(repair["fallback"], "the template's dynamics");
    assert!(!read(out.join("world.rhai")).contains(BROKEN));
    // The second try was told what its first one broke.
    let second = server
        .seen()
        .iter()
        .filter(|s| stage_of(s) == "repair")
        .nth(1)
        .map(user_text)
        .unwrap();
    assert!(
        second.contains("Your last repair of this script did not run"),
        "{second}"
    );
}

#[test]
fn a_brief_that_strays_from_the_prompt_is_sent_back_once_then_mended() {
    // The planner files the rolling ball under "slides", twice.
    let server = serve_with(|seen| {
        let mut b = brief();
        b["dynamics"] = json!([{ "kind": "slides", "subject": "ball", "notes": "" }]);
        let answer = match stage_of(seen) {
            "plan" => b.to_string(),
            "object" => BALL.to_string(),
            "dynamics" => ROLLING.to_string(),
            _ => "// ?".into(),
        };
        Some(openai(&answer))
    });
    let (_dir, r) = generate_compact(&server, PROMPT);
    let seen = server.seen();
    let plans: Vec<&Seen> = seen.iter().filter(|s| stage_of(s) == "plan").collect();
    assert_eq!(plans.len(), 2, "sent back once, not more");
    let back = user_text(plans[1]);
    assert!(back.contains("does not fit the description"), "{back}");
    assert!(
        back.contains("\"rolls\"") && back.contains("kind rolls"),
        "{back}"
    );
    // Still wrong: mended in place, so the critic checks the rolling.
    assert!(
        r.brief
            .dynamics
            .iter()
            .any(|d| d.kind == "rolls" && d.subject == "ball"),
        "{:?}",
        r.brief.dynamics
    );
}

#[test]
fn a_repair_that_changes_nothing_is_asked_again_then_the_template_takes_over() {
    // The section repair gives back the still dynamics it was asked to fix.
    let server = serve_with(|seen| {
        let answer = match stage_of(seen) {
            "plan" => brief().to_string(),
            "object" => BALL.to_string(),
            "dynamics" | "repair_section" => STILL.to_string(),
            _ => "// ?".into(),
        };
        Some(openai(&answer))
    });
    let (dir, r) = generate_compact(&server, PROMPT);
    let out = dir.path().join("gen");
    let seen = server.seen();
    let repairs: Vec<&Seen> = seen
        .iter()
        .filter(|s| stage_of(s) == "repair_section")
        .collect();
    assert_eq!(repairs.len(), 2, "asked twice, then the template");
    assert!(user_text(repairs[1]).contains("it changed nothing"));
    let repair: Value = serde_json::from_str(&read(out.join("rounds/2/repair.json"))).unwrap();
    assert_eq!(repair["unchanged_tries"], 2);
    assert_eq!(repair["fallback"], "the template's dynamics");
    // The template rolls the ball, and round 2 passes.
    assert_eq!(r.rounds.len(), 2);
    assert_eq!(
        r.rounds[1].verdict,
        Some(Verdict::Pass),
        "{:?}",
        r.rounds[1]
    );
}

#[test]
fn a_plan_cut_off_by_the_token_limit_is_asked_again_not_read_as_an_empty_brief() {
    // The cut answer holds a whole inner object (the camera), which alone
    // would read as a brief that plans nothing.
    let cut = "{\n  \"camera\": { \"motion\": \"static\", \"shot\": \"close\", \"target\": \"ball\" },\n  \"dynamics\": [\n    { \"kind\": \"rolls\",";
    let plans = Arc::new(AtomicUsize::new(0));
    let counted = plans.clone();
    let server = serve_with(move |seen| {
        Some(match stage_of(seen) {
            "plan" if counted.fetch_add(1, Ordering::SeqCst) == 0 => openai_cut(cut),
            "plan" => openai(&brief().to_string()),
            "object" => openai(BALL),
            "dynamics" => openai(ROLLING),
            _ => openai("// ?"),
        })
    });
    let (_dir, r) = generate_compact(&server, PROMPT);
    let seen = server.seen();
    let asked: Vec<&Seen> = seen.iter().filter(|s| stage_of(s) == "plan").collect();
    assert_eq!(asked.len(), 2);
    let room = |s: &Seen| s.json()["max_tokens"].as_u64().unwrap();
    assert_eq!(room(asked[1]), 2 * room(asked[0]));
    assert!(user_text(asked[1]).contains("cut off"));
    assert_eq!(r.brief.objects.len(), 1, "{:?}", r.brief);
    assert_eq!(r.rounds[0].verdict, Some(Verdict::Pass));
}

/// In compact mode the camera is repaired as a typed plan part (JSON the
/// schema constrains), which the plan's compiler writes out: the model
/// fills in numbers, not calls.
#[test]
fn compact_mode_repairs_the_camera_as_a_plan_part() {
    use code2worlds::agent::client::ModelClient;
    use code2worlds::agent::retrieve::Index;
    use code2worlds::agent::stages::{self, Note, Problem, StageContext};
    let server = serve_with(|seen| {
        (stage_of(seen) == "repair_camera").then(|| {
            openai(r#"{ "position": [2, 1.5, 3], "aim": { "aim": "follow", "name": "ball" } }"#)
        })
    });
    let cfg = config(&server.base, None, &[]);
    let client = |role| ModelClient::new(role, cfg.coder.clone(), None, None).unwrap();
    let (planner, coder) = (client("planner"), client("coder"));
    let session = code2worlds::script::Session::new(code2worlds::limits::Limits::default(), None);
    let index = Index::build(session.registry());
    let progress = code2worlds::agent::Progress::new(true);
    let cx = StageContext {
        planner: &planner,
        coder: &coder,
        index: &index,
        grammar: false,
        compact: true,
        progress: &progress,
    };
    let script = "plane(10, #{ name: \"ground\" });\n\
                  sphere(0.2, #{ name: \"ball\", position: [0, 0.2, 0], body: \"dynamic\" });\n\
                  \n// ---- camera ----\ncamera(#{ position: [40, 30, 50], target: [0, 0, 0] });\n";
    let problem = Problem::Critic {
        score: 70,
        findings: vec![Note {
            id: "visual.subject_too_small".into(),
            severity: "warning".into(),
            message: "'ball' is a speck in the frame".into(),
            fix: "Move the camera closer.".into(),
        }],
    };
    let brief: code2worlds::brief::Brief = serde_json::from_value(brief()).unwrap();
    let repaired = stages::repair_section(&cx, &brief, script, &problem, 1, None)
        .unwrap()
        .expect("the camera section was repaired");
    assert!(
        repaired.contains("camera(#{ position: [2, 1.5, 3], target: find(\"ball\") });"),
        "{repaired}"
    );
    assert!(!repaired.contains("[40, 30, 50]"), "{repaired}");
    assert_eq!(stages(&server), ["repair_camera"]);
    // Asked as JSON under the part's schema, not as code.
    let asked: Value = serde_json::from_str(&server.seen()[0].body).unwrap();
    let format = &asked["response_format"]["json_schema"];
    assert_eq!(format["name"], "camera_plan");
    assert!(
        format["schema"]["properties"].get("position").is_some(),
        "{format}"
    );
}
