//! The vision critic and the provider layer over real HTTP on loopback: a
//! scripted HTTP/1.1 server (tests/common/http.rs) answers each request
//! with the next canned reply and records what it was sent.

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use base64::Engine;
use code2worlds::brief::{Brief, ObjectBrief};
use code2worlds::critic::vlm::{
    ProviderCritic, VisionCritic, VlmIssue, VlmRequest, VlmReview, VlmScores, parse_review,
    vlm_findings,
};
use code2worlds::critic::{Category, Severity};
use code2worlds::llm::{ChatRequest, LlmError, Part, ProviderConfig, ProviderKind, chat_blocking};
use common::http::{Reply, ok_json, serve, status};
use serde_json::{Value, json};

/// A real (tiny) PNG: the signature is what the critic checks.
fn png(tag: u8) -> Vec<u8> {
    let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
    p.extend_from_slice(&[0, 0, 0, 13, b'I', b'H', b'D', b'R', tag, 1, 2, 3]);
    p
}

fn config(kind: ProviderKind, base: &str) -> ProviderConfig {
    let mut c = ProviderConfig::new(kind, "vision-test-model");
    c.base_url = base.to_string();
    c.api_key_env = None;
    c.api_key = Some("sk-test-123".into());
    c.timeout = Duration::from_secs(5);
    c.max_retries = 2;
    c.retry_base = Duration::from_millis(10);
    c.retry_cap = Duration::from_millis(40);
    c
}

fn request() -> VlmRequest {
    VlmRequest {
        images: vec![("contact sheet".into(), png(7))],
        brief: Some(Brief {
            title: "bottle falls".into(),
            objects: vec![ObjectBrief {
                name: "bottle".into(),
                kind: "bottle".into(),
                ..Default::default()
            }],
            ..Default::default()
        }),
        prompt: Some("a brown glass bottle falls onto a wooden floor".into()),
        script_summary: "entities: floor (box, static), bottle (cylinder, dynamic)".into(),
    }
}

fn review_json() -> Value {
    json!({
        "scores": { "physics": 81, "aesthetics": 55, "temporal_stability": 90, "prompt_match": 30 },
        "issues": [
            { "severity": "warning", "entities": ["bottle"], "message": "the bottle looks blue, not brown",
              "fix": "give the bottle a brown glass material" }
        ]
    })
}

fn expected_review() -> (VlmScores, Vec<VlmIssue>) {
    (
        VlmScores {
            physics: 81,
            aesthetics: 55,
            temporal_stability: 90,
            prompt_match: 30,
        },
        vec![VlmIssue {
            severity: Severity::Warning,
            entities: vec!["bottle".into()],
            message: "the bottle looks blue, not brown".into(),
            fix: "give the bottle a brown glass material".into(),
        }],
    )
}

fn openai_answer(content: &str) -> Value {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": content }, "finish_reason": "stop" }],
        "usage": { "prompt_tokens": 1234, "completion_tokens": 56, "total_tokens": 1290 }
    })
}

#[test]
fn openai_request_format_and_answer() {
    let server = serve(vec![ok_json(openai_answer(&review_json().to_string()))]);
    let critic = ProviderCritic::new(config(ProviderKind::OpenAi, &format!("{}/v1", server.base)));
    let review = critic.review(&request()).expect("review");
    let (scores, issues) = expected_review();
    assert_eq!(review.scores, scores);
    assert_eq!(review.issues, issues);
    let usage = review.usage.expect("usage");
    assert_eq!((usage.input_tokens, usage.output_tokens), (1234, 56));
    assert_eq!(critic.name(), "openai:vision-test-model");

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(r.header("authorization"), Some("Bearer sk-test-123"));
    let body = r.json();
    assert_eq!(body["model"], "vision-test-model");
    assert_eq!(body["max_tokens"], 4096);
    assert!(body.get("temperature").is_none());
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    assert!(
        messages[0]["content"]
            .as_str()
            .unwrap()
            .contains("interpenetration")
    );
    assert_eq!(messages[1]["role"], "user");
    let parts = messages[1]["content"].as_array().unwrap();
    let url = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png(7))
    );
    let images: Vec<&Value> = parts.iter().filter(|p| p["type"] == "image_url").collect();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0]["image_url"]["url"], url);
    let text: String = parts.iter().filter_map(|p| p["text"].as_str()).collect();
    assert!(text.contains("a brown glass bottle falls onto a wooden floor"));
    assert!(text.contains("bottle (cylinder, dynamic)"));
    assert!(text.contains("Image: contact sheet"));
    let format = &body["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["strict"], true);
    assert_eq!(format["json_schema"]["name"], "vlm_review");
    assert_eq!(
        format["json_schema"]["schema"]["properties"]["scores"]["required"],
        json!([
            "physics",
            "aesthetics",
            "temporal_stability",
            "prompt_match"
        ])
    );
}

#[test]
fn openai_without_key_sends_no_authorization() {
    let server = serve(vec![ok_json(openai_answer("hello"))]);
    let mut c = config(ProviderKind::OpenAi, &server.base);
    c.api_key = None;
    c.temperature = Some(0.2);
    let answer = chat_blocking(&c, &ChatRequest::new(vec![Part::Text("hi".into())])).unwrap();
    assert_eq!(answer.text, "hello");
    assert_eq!(answer.attempts, 1);
    let seen = server.seen();
    assert_eq!(seen[0].header("authorization"), None);
    let body = seen[0].json();
    assert!((body["temperature"].as_f64().unwrap() - 0.2).abs() < 1e-6);
    assert!(body.get("response_format").is_none());
}

#[test]
fn anthropic_request_format_and_answer() {
    let prose = format!(
        "Looking at the frames:\n```json\n{}\n```\nThat is all.",
        review_json()
    );
    let server = serve(vec![ok_json(json!({
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "content": [{ "type": "text", "text": prose }],
        "stop_reason": "end_turn",
        "usage": { "input_tokens": 900, "output_tokens": 80 }
    }))]);
    let mut c = config(ProviderKind::Anthropic, &server.base);
    c.model = "claude-test".into();
    let critic = ProviderCritic::new(c);
    let review = critic.review(&request()).expect("review");
    let (scores, issues) = expected_review();
    assert_eq!((review.scores, review.issues), (scores, issues));
    assert_eq!(review.usage.unwrap().output_tokens, 80);

    let seen = server.seen();
    let r = &seen[0];
    assert_eq!(r.path, "/v1/messages");
    assert_eq!(r.header("x-api-key"), Some("sk-test-123"));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(r.header("authorization"), None);
    let body = r.json();
    assert_eq!(body["model"], "claude-test");
    assert_eq!(body["max_tokens"], 4096);
    assert!(
        body["system"]
            .as_str()
            .unwrap()
            .contains("only eyes can judge")
    );
    let content = body["messages"][0]["content"].as_array().unwrap();
    let image = content.iter().find(|b| b["type"] == "image").unwrap();
    assert_eq!(image["source"]["type"], "base64");
    assert_eq!(image["source"]["media_type"], "image/png");
    assert_eq!(
        image["source"]["data"],
        base64::engine::general_purpose::STANDARD.encode(png(7))
    );
    // Structured output is a forced tool whose input schema is the review's.
    assert_eq!(body["tool_choice"]["type"], "tool");
    assert_eq!(body["tool_choice"]["name"], "vlm_review");
    let tool = &body["tools"][0];
    assert_eq!(tool["name"], "vlm_review");
    assert!(
        tool["input_schema"]["properties"]["scores"]["properties"]
            .get("temporal_stability")
            .is_some()
    );
    assert!(code2worlds::llm::strict_violations(&tool["input_schema"]).is_empty());
    assert!(body.get("response_format").is_none());
}

/// The same review answered as a tool call, as Claude does when forced.
#[test]
fn anthropic_tool_answers_are_read_as_the_review() {
    let server = serve(vec![ok_json(json!({
        "content": [{ "type": "tool_use", "id": "t1", "name": "vlm_review", "input": review_json() }],
        "stop_reason": "tool_use",
        "usage": { "input_tokens": 900, "output_tokens": 80 }
    }))]);
    let critic = ProviderCritic::new(config(ProviderKind::Anthropic, &server.base));
    let review = critic.review(&request()).expect("review");
    assert_eq!(review.scores.physics, 81);
    assert_eq!(review.usage.unwrap().output_tokens, 80);
}

#[test]
fn streamed_answers_tell_the_observer_as_they_grow() {
    use code2worlds::llm::{Provider, StreamProgress, block_on};
    use common::http::event_stream;
    let piece = |t: &str| json!({ "choices": [{ "delta": { "content": t } }] });
    let server = serve(vec![
        event_stream(&[
            piece("Hel"),
            piece("lo, "),
            piece("world"),
            json!({ "choices": [], "usage": { "prompt_tokens": 11, "completion_tokens": 4 } }),
        ]),
        // A server that ignores `stream` answers in one piece: same result.
        ok_json(openai_answer("whole")),
    ]);
    let provider = Provider::new(config(ProviderKind::OpenAi, &server.base)).unwrap();
    let seen = std::sync::Mutex::new(Vec::<StreamProgress>::new());
    let observe = |p: StreamProgress| seen.lock().unwrap().push(p);
    let req = ChatRequest::new(vec![Part::Text("hi".into())]);
    let r = block_on(provider.chat_streaming(&req, &observe)).unwrap();
    assert_eq!(r.text, "Hello, world");
    assert_eq!((r.input_tokens, r.output_tokens), (11, 4));
    let seen = seen.into_inner().unwrap();
    assert!(!seen.is_empty());
    assert!(seen.windows(2).all(|w| w[0].tokens <= w[1].tokens));
    assert_eq!(seen.last().unwrap().tokens, 4);
    let sent = server.seen()[0].json();
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["stream_options"]["include_usage"], true);
    let r = block_on(provider.chat_streaming(&req, &|_| {})).unwrap();
    assert_eq!(r.text, "whole");
}

#[test]
fn retry_after_as_an_http_date_is_honoured_not_the_backoff() {
    // A date already past: retry at once. The backoff would wait 20 s.
    let past = httpdate::fmt_http_date(std::time::SystemTime::now() - Duration::from_secs(60));
    let server = serve(vec![
        status(
            503,
            vec![("retry-after", past)],
            json!({ "error": { "message": "busy" } }),
        ),
        ok_json(openai_answer(&review_json().to_string())),
    ]);
    let mut c = config(ProviderKind::OpenAi, &server.base);
    c.retry_base = Duration::from_secs(40);
    c.retry_cap = Duration::from_secs(40);
    let started = Instant::now();
    let review = ProviderCritic::new(c).review(&request()).expect("retried");
    assert_eq!(review.scores.physics, 81);
    assert_eq!(server.seen().len(), 2);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn anthropic_base_with_v1_is_normalised_from_env() {
    let vars = [
        ("C2W_CRITIC_PROVIDER", "anthropic"),
        ("C2W_CRITIC_MODEL", "claude-x"),
        ("C2W_CRITIC_BASE_URL", "http://127.0.0.1:9/v1/"),
    ];
    let lookup = |n: &str| {
        vars.iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| v.to_string())
    };
    let c = ProviderConfig::from_vars("critic", lookup)
        .unwrap()
        .unwrap();
    assert_eq!(c.base_url, "http://127.0.0.1:9");
}

#[test]
fn rate_limit_honours_retry_after_then_succeeds() {
    let server = serve(vec![
        status(
            429,
            vec![("retry-after", "1".into())],
            json!({ "error": { "message": "slow down" } }),
        ),
        ok_json(openai_answer(&review_json().to_string())),
    ]);
    let critic = ProviderCritic::new(config(ProviderKind::OpenAi, &server.base));
    let started = Instant::now();
    let review = critic.review(&request()).expect("second attempt succeeds");
    let waited = started.elapsed();
    assert_eq!(review.scores.physics, 81);
    assert_eq!(server.seen().len(), 2);
    // The backoff alone would wait 10 ms; Retry-After asked for a second.
    assert!(waited >= Duration::from_millis(950), "waited {waited:?}");
    assert!(waited < Duration::from_secs(4), "waited {waited:?}");
}

#[test]
fn repeated_server_errors_give_up_with_a_clear_error() {
    let overloaded = || {
        status(
            500,
            vec![],
            json!({ "error": { "message": "model overloaded", "type": "server_error" } }),
        )
    };
    let server = serve(vec![overloaded(), overloaded(), overloaded(), overloaded()]);
    let critic = ProviderCritic::new(config(ProviderKind::OpenAi, &server.base));
    let err = critic.review(&request()).unwrap_err();
    let LlmError::Http { status, message } = &err else {
        panic!("expected an HTTP error, got {err:?}");
    };
    assert_eq!(*status, 500);
    assert!(message.contains("model overloaded"), "{message}");
    assert!(message.contains("3 attempts"), "{message}");
    let shown = err.to_string();
    assert!(shown.starts_with("HTTP 500"), "{shown}");
    // max_retries = 2: three requests, not four.
    assert_eq!(server.seen().len(), 3);
}

#[test]
fn client_errors_are_not_retried() {
    let server = serve(vec![
        status(
            401,
            vec![],
            json!({ "type": "error", "error": { "type": "authentication_error", "message": "invalid x-api-key" } }),
        ),
        ok_json(json!({})),
    ]);
    let critic = ProviderCritic::new(config(ProviderKind::Anthropic, &server.base));
    let err = critic.review(&request()).unwrap_err();
    assert!(
        matches!(&err, LlmError::Http { status: 401, message } if message.contains("invalid x-api-key")),
        "{err:?}"
    );
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn malformed_answers_are_errors_not_panics() {
    let answers = [
        openai_answer("The animation looks lovely, no complaints."),
        openai_answer(r#"{"scores": {"physics": "high"}, "issues": []}"#),
        openai_answer(r#"{"issues": []}"#),
        json!({ "choices": [] }),
    ];
    for answer in answers {
        let server = serve(vec![ok_json(answer.clone())]);
        let critic = ProviderCritic::new(config(ProviderKind::OpenAi, &server.base));
        let err = critic.review(&request()).unwrap_err();
        assert!(matches!(err, LlmError::Malformed(_)), "{answer}: {err:?}");
    }
    // A body that is not JSON at all.
    let server = serve(vec![Reply::Answer {
        status: 200,
        headers: vec![],
        body: "<html>gateway</html>".into(),
    }]);
    let critic = ProviderCritic::new(config(ProviderKind::OpenAi, &server.base));
    let err = critic.review(&request()).unwrap_err();
    assert!(matches!(err, LlmError::Malformed(_)), "{err:?}");
}

#[test]
fn silent_server_times_out() {
    let server = serve(vec![
        Reply::Silence(Duration::from_secs(3)),
        Reply::Silence(Duration::from_secs(3)),
    ]);
    let mut c = config(ProviderKind::OpenAi, &server.base);
    c.timeout = Duration::from_millis(300);
    c.max_retries = 1;
    let started = Instant::now();
    let err = ProviderCritic::new(c).review(&request()).unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, LlmError::Timeout(_)), "{err:?}");
    assert!(err.to_string().contains("2 attempts"), "{err}");
    assert!(took >= Duration::from_millis(600), "took {took:?}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn unreachable_server_is_a_connect_error() {
    // Bind, note the port, close it: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = config(ProviderKind::OpenAi, &format!("http://127.0.0.1:{port}"));
    c.max_retries = 1;
    let err = ProviderCritic::new(c).review(&request()).unwrap_err();
    assert!(matches!(err, LlmError::Connect(_)), "{err:?}");
}

#[test]
fn requests_without_a_png_are_refused_before_sending() {
    let critic = ProviderCritic::new(config(ProviderKind::OpenAi, "http://127.0.0.1:9"));
    let mut r = request();
    r.images.clear();
    assert!(matches!(critic.review(&r), Err(LlmError::Config(_))));
    r.images.push(("contact sheet".into(), b"GIF89a".to_vec()));
    assert!(matches!(critic.review(&r), Err(LlmError::Config(_))));
}

#[test]
fn blocking_call_works_inside_an_async_runtime() {
    let server = serve(vec![ok_json(openai_answer("inside"))]);
    let c = config(ProviderKind::OpenAi, &server.base);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let text = rt.block_on(async {
        chat_blocking(&c, &ChatRequest::new(vec![Part::Text("hi".into())]))
            .unwrap()
            .text
    });
    assert_eq!(text, "inside");
}

#[test]
fn reviews_are_clamped_and_tidied() {
    let r = parse_review(
        r#"{"scores": {"physics": 150, "aesthetics": -5, "temporal_stability": 72.6, "prompt_match": "64"},
            "issues": [
              {"severity": "CRITICAL", "entities": "bottle", "message": " wrong colour ", "fix": ""},
              {"severity": "whatever", "entities": [], "message": "odd", "fix": "x"},
              {"severity": "note", "entities": [], "message": "", "fix": "dropped"}
            ]}"#,
    )
    .unwrap();
    assert_eq!(
        r.scores,
        VlmScores {
            physics: 100,
            aesthetics: 0,
            temporal_stability: 73,
            prompt_match: 64
        }
    );
    assert_eq!(r.issues.len(), 2);
    assert_eq!(r.issues[0].severity, Severity::Error);
    assert_eq!(r.issues[0].entities, ["bottle"]);
    assert_eq!(r.issues[0].message, "wrong colour");
    assert_eq!(r.issues[1].severity, Severity::Warning);
    assert_eq!(
        r.scores_json(),
        json!({"physics": 100, "aesthetics": 0, "temporal_stability": 73, "prompt_match": 64})
    );
}

#[test]
fn findings_from_a_review() {
    let (scores, issues) = expected_review();
    let mut review = VlmReview {
        scores,
        issues,
        usage: None,
    };
    review.scores.physics = 39;
    let f = vlm_findings(&review, (0.0, 4.0), (0, 96));
    let ids: Vec<&str> = f.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(
        ids,
        ["vlm.issue", "vlm.low_physics_score", "vlm.low_prompt_match"]
    );
    assert!(f.iter().all(|x| x.category == Category::Vlm));
    assert!(
        f.iter()
            .all(|x| x.time == [0.0, 4.0] && x.frames == [0, 96])
    );
    assert_eq!(f[0].severity, Severity::Warning);
    assert_eq!(f[0].entities, ["bottle"]);
    assert_eq!(f[0].fix, "give the bottle a brown glass material");
    assert!(f[0].message.contains("looks blue"));
    assert_eq!(f[1].severity, Severity::Warning);
    assert_eq!(f[1].observed, "physics score 39/100");
    assert_eq!(f[2].observed, "prompt-match score 30/100");

    // At the threshold nothing is flagged; no issues, no findings.
    review.scores.physics = 40;
    review.scores.prompt_match = 40;
    review.issues.clear();
    assert!(vlm_findings(&review, (0.0, 4.0), (0, 96)).is_empty());
}

#[test]
fn configuration_from_variables() {
    let none = |_: &str| None;
    assert!(ProviderConfig::from_vars("CRITIC", none).unwrap().is_none());

    let vars = [
        ("C2W_CRITIC_PROVIDER", "openai"),
        ("C2W_CRITIC_MODEL", "qwen2.5-vl"),
        ("C2W_CRITIC_BASE_URL", "http://localhost:8080/v1/"),
        ("C2W_CRITIC_API_KEY_ENV", "LOCAL_KEY"),
        ("C2W_CRITIC_TIMEOUT_S", "30"),
        ("C2W_CRITIC_MAX_RETRIES", "1"),
        ("C2W_CRITIC_TEMPERATURE", "0"),
    ];
    let lookup = |n: &str| {
        vars.iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| v.to_string())
    };
    let c = ProviderConfig::from_vars("CRITIC", lookup)
        .unwrap()
        .unwrap();
    assert_eq!(c.kind, ProviderKind::OpenAi);
    assert_eq!(c.base_url, "http://localhost:8080/v1");
    assert_eq!(c.model, "qwen2.5-vl");
    assert_eq!(c.api_key_env.as_deref(), Some("LOCAL_KEY"));
    assert_eq!(c.timeout, Duration::from_secs(30));
    assert_eq!(c.max_retries, 1);
    assert_eq!(c.temperature, Some(0.0));

    // The provider follows from a Claude model name; defaults fill the rest.
    let claude = |n: &str| (n == "C2W_CRITIC_MODEL").then(|| "claude-sonnet-4-5".to_string());
    let c = ProviderConfig::from_vars("CRITIC", claude)
        .unwrap()
        .unwrap();
    assert_eq!(c.kind, ProviderKind::Anthropic);
    assert_eq!(c.base_url, "https://api.anthropic.com");
    assert_eq!(c.api_key_env.as_deref(), Some("ANTHROPIC_API_KEY"));

    let bad = |n: &str| match n {
        "C2W_CRITIC_PROVIDER" => Some("gemini".to_string()),
        "C2W_CRITIC_MODEL" => Some("m".to_string()),
        _ => None,
    };
    assert!(matches!(
        ProviderConfig::from_vars("CRITIC", bad),
        Err(LlmError::Config(m)) if m.contains("C2W_CRITIC_PROVIDER")
    ));
    let no_model = |n: &str| (n == "C2W_CRITIC_PROVIDER").then(|| "openai".to_string());
    assert!(matches!(
        ProviderConfig::from_vars("CRITIC", no_model),
        Err(LlmError::Config(m)) if m.contains("C2W_CRITIC_MODEL")
    ));
    // The key itself never shows in debug output.
    let mut c = ProviderConfig::new(ProviderKind::OpenAi, "m");
    c.api_key = Some("sk-secret".into());
    assert!(!format!("{c:?}").contains("sk-secret"));
}

/// `c2w run --critic` with a model configured in the environment sends the
/// run's contact sheet and merges the answer into critic.json, findings
/// capped at warnings.
#[test]
fn run_with_critic_merges_the_vlm_review() {
    // The model calls its issue an error; the diff must still say warning.
    let mut answer = review_json();
    answer["issues"][0]["severity"] = json!("error");
    let server = serve(vec![ok_json(openai_answer(&answer.to_string()))]);
    let out = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_c2w"))
        .args([
            "run",
            "examples/pendulum.rhai",
            "--duration",
            "1",
            "--size",
            "160x90",
        ])
        .args(["--quality", "draft", "--critic", "--out"])
        .arg(out.path())
        .current_dir(root)
        .env("C2W_CRITIC_PROVIDER", "openai")
        .env("C2W_CRITIC_MODEL", "vision-test-model")
        .env("C2W_CRITIC_BASE_URL", format!("{}/v1", server.base))
        .env("C2W_CRITIC_API_KEY_ENV", "C2W_TEST_NO_SUCH_KEY")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "one request to the model");
    let sheet = std::fs::read(out.path().join("contact_sheet.png")).unwrap();
    let url = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&sheet)
    );
    assert!(
        seen[0].json().to_string().contains(&url),
        "the contact sheet was sent"
    );
    let critic: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("critic.json")).unwrap())
            .unwrap();
    let vlm = critic["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "vlm")
        .unwrap();
    assert_eq!(vlm["status"], "ran: openai:vision-test-model");
    assert!(critic["vlm_scores"]["physics"].is_number());
    let vlm_findings: Vec<&Value> = critic["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "vlm")
        .collect();
    assert!(!vlm_findings.is_empty());
    assert!(vlm_findings.iter().all(|f| f["severity"] != "error"));
}

/// `c2w run --critic --config FILE` takes the vision model from the file's
/// [models.critic], with no C2W_CRITIC_* variable set.
#[test]
fn run_with_critic_reads_the_model_from_c2w_toml() {
    let server = serve(vec![ok_json(openai_answer(&review_json().to_string()))]);
    let out = tempfile::tempdir().unwrap();
    let toml = out.path().join("c2w.toml");
    std::fs::write(
        &toml,
        format!(
            "[models]\nbase_url = \"{}/v1\"\napi_key_env = \"C2W_TEST_NO_SUCH_KEY\"\n[models.critic]\nmodel = \"toml-vision\"\n",
            server.base
        ),
    )
    .unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_c2w"));
    cmd.args([
        "run",
        "examples/pendulum.rhai",
        "--duration",
        "1",
        "--size",
        "160x90",
    ])
    .args(["--quality", "draft", "--critic", "--config"])
    .arg(&toml)
    .arg("--out")
    .arg(out.path().join("run"))
    .current_dir(root);
    for (k, _) in std::env::vars() {
        if k.starts_with("C2W_") && k != "C2W_ADAPTER" {
            cmd.env_remove(k);
        }
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "one request to the model");
    assert_eq!(seen[0].json()["model"], "toml-vision");
    let critic: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("run/critic.json")).unwrap())
            .unwrap();
    let vlm = critic["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "vlm")
        .unwrap();
    assert_eq!(vlm["status"], "ran: openai:toml-vision");

    // A bad value in the file is an error before anything runs.
    std::fs::write(&toml, "[models.critic]\nmodel = \"v\"\nmax_retries = 50\n").unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_c2w"))
        .args([
            "run",
            "examples/pendulum.rhai",
            "--no-render",
            "--critic",
            "--config",
        ])
        .arg(&toml)
        .arg("--out")
        .arg(out.path().join("bad"))
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("max_retries") && err.contains("[models.critic]"),
        "{err}"
    );
}
