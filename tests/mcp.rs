//! `c2w mcp` as an MCP client meets it: the real binary as a child process,
//! spoken to over stdio with rmcp's client. Rendering runs on the software
//! adapter (CI installs Mesa lavapipe).

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};

use code2worlds::script::stdlib;

/// Builds in well under a second and simulates 12 frames.
const BALL: &str = r#"world(#{ duration: 1, fps: 12, seed: 1 });
plane([4, 4], #{ name: "floor" });
sphere(0.2, #{ name: "ball", position: [0, 1, 0], body: "dynamic" });
sun(#{ elevation: 40 });
camera(#{ position: [0, 1, 4], target: [0, 0.5, 0] });
"#;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

type Client = RunningService<RoleClient, ()>;

async fn connect() -> Client {
    let command = tokio::process::Command::new(env!("CARGO_BIN_EXE_c2w")).configure(|cmd| {
        cmd.arg("mcp")
            .env("NODEVICE_SELECT", "1")
            // A configured vision model would have the critic call out to it.
            .env_remove("C2W_CRITIC_MODEL")
            .env_remove("C2W_CRITIC_PROVIDER");
    });
    let transport = TokioChildProcess::new(command).expect("spawn c2w mcp");
    ().serve(transport).await.expect("initialize")
}

async fn call(
    client: &rmcp::Peer<RoleClient>,
    tool: &'static str,
    arguments: Value,
) -> CallToolResult {
    let arguments = arguments.as_object().expect("an object").clone();
    client
        .call_tool(CallToolRequestParams::new(tool).with_arguments(arguments))
        .await
        .unwrap_or_else(|e| panic!("{tool}: {e}"))
}

fn text(result: &CallToolResult) -> &str {
    &result.content[0].as_text().expect("text first").text
}

fn json_of(result: &CallToolResult) -> Value {
    serde_json::from_str(text(result)).unwrap_or_else(|e| panic!("{e}: {}", text(result)))
}

/// The decoded PNG of the result's image content, checked for its type.
fn png_of(result: &CallToolResult) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let image = result.content.iter().find_map(|c| c.as_image())?;
    assert_eq!(image.mime_type, "image/png");
    let png = base64::engine::general_purpose::STANDARD
        .decode(&image.data)
        .expect("base64");
    assert!(png.starts_with(PNG_SIGNATURE), "not a PNG");
    Some(png)
}

/// Width and height from the PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[tokio::test]
async fn lists_the_seven_tools_with_input_schemas() {
    let client = connect().await;
    let info = client.peer_info().expect("server info");
    assert_eq!(
        info.server_info.as_ref().map(|s| s.name.as_str()),
        Some("c2w")
    );
    assert!(
        info.instructions
            .as_deref()
            .unwrap_or("")
            .contains("api_docs")
    );
    let tools = client.list_all_tools().await.expect("tools/list");
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "api_docs",
            "check_world",
            "export_world",
            "generate_world",
            "list_assets",
            "render_snapshot",
            "run_world"
        ]
    );
    for t in &tools {
        assert_eq!(t.input_schema["type"], "object", "{}", t.name);
        assert!(
            t.description.as_deref().is_some_and(|d| !d.is_empty()),
            "{}",
            t.name
        );
    }
    let run = tools.iter().find(|t| t.name == "run_world").unwrap();
    assert_eq!(run.input_schema["required"], json!(["script"]));
    for p in ["script", "seed", "duration", "render"] {
        assert!(run.input_schema["properties"].get(p).is_some(), "{p}");
    }
    let snap = tools.iter().find(|t| t.name == "render_snapshot").unwrap();
    assert_eq!(snap.input_schema["required"], json!(["script", "time"]));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn export_world_returns_the_glb_as_a_resource() {
    use base64::Engine as _;
    let client = connect().await;
    let result = call(&client, "export_world", json!({ "script": BALL })).await;
    assert_eq!(result.is_error, Some(false), "{}", text(&result));
    let summary = json_of(&result);
    assert_eq!(summary["frames"], 12);
    // The floor, the ball, the camera and the sun.
    assert_eq!(summary["gltf"]["nodes"], 4, "{summary}");
    let resource = result.content[1]
        .as_resource()
        .expect("an embedded resource");
    let rmcp::model::ResourceContents::BlobResourceContents {
        uri,
        mime_type,
        blob,
        ..
    } = &resource.resource
    else {
        panic!("not a blob")
    };
    assert_eq!(uri, "c2w://export/world.glb");
    assert_eq!(mime_type.as_deref(), Some("model/gltf-binary"));
    let glb = base64::engine::general_purpose::STANDARD
        .decode(blob)
        .unwrap();
    assert_eq!(&glb[..4], b"glTF");
    assert_eq!(summary["gltf"]["bytes"], glb.len());
    // A script error is a tool error, with no resource.
    let bad = call(&client, "export_world", json!({ "script": "sphere(" })).await;
    assert_eq!(bad.is_error, Some(true));
    assert_eq!(bad.content.len(), 1);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn run_world_returns_a_summary_a_critic_verdict_and_the_contact_sheet() {
    let client = connect().await;
    let result = call(
        &client,
        "run_world",
        json!({ "script": BALL, "duration": 1.0, "seed": 7 }),
    )
    .await;
    assert_eq!(result.is_error, Some(false), "{}", text(&result));
    let summary = json_of(&result);
    assert_eq!(summary["ok"], true);
    assert_eq!(summary["frames"], 12);
    assert_eq!(summary["seed"], 7);
    assert_eq!(summary["state_hash"].as_str().unwrap().len(), 16);
    assert_eq!(summary["counts"]["dynamic_bodies"], 1);
    let verdict = summary["critic"]["verdict"].as_str().unwrap();
    assert!(["pass", "fail"].contains(&verdict), "{verdict}");
    assert!(summary["critic"]["score"].is_u64());
    assert!(summary["critic"]["findings"].is_array());
    // Compact: what only the run folder needs stays out of the context.
    for bulky in ["hashes", "trace", "timings"] {
        assert!(summary.get(bulky).is_none(), "{bulky} in {summary}");
    }
    assert_eq!(summary["render"]["rendered"], true, "{summary}");
    let sheet = png_of(&result).expect("the contact sheet");
    assert!(png_size(&sheet).0 > 0);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn run_world_without_rendering_still_judges() {
    let client = connect().await;
    let result = call(
        &client,
        "run_world",
        json!({ "script": BALL, "render": false }),
    )
    .await;
    let summary = json_of(&result);
    assert_eq!(summary["ok"], true);
    assert_eq!(summary["render"]["rendered"], false);
    assert!(summary["render"]["skipped"].is_string());
    assert!(summary["critic"]["verdict"].is_string());
    assert!(png_of(&result).is_none());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_syntax_error_is_a_tool_error_with_kind_line_and_message() {
    let client = connect().await;
    let script = "world(#{ duration: 1 });\nsphere(0.2, #{ body: \"dynamic\" };\n";
    let result = call(&client, "run_world", json!({ "script": script })).await;
    assert_eq!(result.is_error, Some(true));
    let reply = json_of(&result);
    assert_eq!(reply["ok"], false);
    assert_eq!(reply["error"]["kind"], "syntax");
    assert_eq!(reply["error"]["line"], 2);
    assert!(!reply["error"]["message"].as_str().unwrap().is_empty());
    // A failed tool leaves the server serving.
    assert_eq!(
        call(&client, "check_world", json!({ "script": BALL }))
            .await
            .is_error,
        Some(false)
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn check_world_builds_without_simulating() {
    let client = connect().await;
    let ok = json_of(&call(&client, "check_world", json!({ "script": BALL })).await);
    assert_eq!(ok["ok"], true);
    assert_eq!(ok["frames"], 12);
    assert_eq!(ok["counts"]["entities"], 2);
    let bad = call(
        &client,
        "check_world",
        json!({ "script": "plane(5);\nsphere(0.2, #{ body: \"dynamik\" });" }),
    )
    .await;
    assert_eq!(bad.is_error, Some(true));
    let error = &json_of(&bad)["error"];
    assert_eq!(error["kind"], "validation");
    assert_eq!(error["line"], 2);
    assert_eq!(error["suggestions"][0], "dynamic");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn render_snapshot_returns_a_png_of_the_asked_size() {
    let client = connect().await;
    let args = json!({ "script": BALL, "time": 0.5, "width": 160, "height": 90 });
    let result = call(&client, "render_snapshot", args).await;
    assert_eq!(result.is_error, Some(false), "{}", text(&result));
    let png = png_of(&result).expect("an image");
    assert_eq!(png_size(&png), (160, 90));
    let negative = call(
        &client,
        "render_snapshot",
        json!({ "script": BALL, "time": -1.0 }),
    )
    .await;
    assert_eq!(negative.is_error, Some(true));
    assert!(text(&negative).contains("time"), "{}", text(&negative));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn api_docs_answers_a_query_with_the_matching_functions() {
    let client = connect().await;
    let found = call(&client, "api_docs", json!({ "query": "sphere" })).await;
    let found = text(&found);
    assert!(found.contains("sphere(radius"), "{found}");
    assert!(found.contains("example:"), "{found}");
    let whole = call(&client, "api_docs", json!({})).await;
    let whole = text(&whole);
    assert!(whole.contains("# World settings") && whole.contains("sphere(radius"));
    assert!(found.len() < whole.len());
    let nothing = call(&client, "api_docs", json!({ "query": "xyzzy" })).await;
    assert!(text(&nothing).contains("Nothing in the reference matches"));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn list_assets_lists_the_stdlib_generators() {
    let client = connect().await;
    let result = call(&client, "list_assets", json!({})).await;
    let listing = text(&result);
    assert!(
        listing.contains("assets::table(position) | assets::table(position, o)"),
        "{listing}"
    );
    assert!(listing.contains("nature::terrain("), "{listing}");
    // Helpers private to a module are not part of the catalog.
    assert!(!listing.contains("::opt("), "{listing}");
    client.cancel().await.unwrap();
}

#[test]
fn the_catalog_has_every_public_stdlib_function_with_its_doc() {
    let catalog = stdlib::catalog();
    for (module, source) in stdlib::MODULES {
        let public = source.lines().filter(|l| l.starts_with("fn ")).count();
        let listed: usize = catalog
            .iter()
            .filter(|f| f.module == *module)
            .map(|f| f.forms.len())
            .sum();
        assert_eq!(listed, public, "{module}");
    }
    for f in &catalog {
        assert!(!f.doc.is_empty(), "{} has no doc", f.name);
    }
}

/// Progress so far and the total, as notified.
type Notes = std::sync::Arc<std::sync::Mutex<Vec<(f64, Option<f64>)>>>;

/// Records the progress notifications the server sends.
#[derive(Clone, Default)]
struct Recorder {
    progress: Notes,
}

impl rmcp::ClientHandler for Recorder {
    async fn on_progress(
        &self,
        params: rmcp::model::ProgressNotificationParam,
        _context: rmcp::service::NotificationContext<RoleClient>,
    ) {
        self.progress
            .lock()
            .unwrap()
            .push((params.progress, params.total));
    }
}

async fn connect_recording(
    configure: impl FnOnce(&mut tokio::process::Command),
) -> (RunningService<RoleClient, Recorder>, Recorder) {
    let command = tokio::process::Command::new(env!("CARGO_BIN_EXE_c2w")).configure(|cmd| {
        cmd.arg("mcp")
            .env("NODEVICE_SELECT", "1")
            // Debug logging must not leak into the protocol on stdout.
            .env("RUST_LOG", "debug")
            .env_remove("C2W_CRITIC_MODEL")
            .env_remove("C2W_CRITIC_PROVIDER");
        configure(cmd);
    });
    let transport = TokioChildProcess::new(command).expect("spawn c2w mcp");
    let recorder = Recorder::default();
    let client = recorder.clone().serve(transport).await.expect("initialize");
    (client, recorder)
}

fn with_progress_token(tool: &'static str, arguments: Value) -> CallToolRequestParams {
    let mut meta = rmcp::model::RequestMetaObject::default();
    meta.set_progress_token(rmcp::model::ProgressToken(
        rmcp::model::NumberOrString::Number(7),
    ));
    let mut params =
        CallToolRequestParams::new(tool).with_arguments(arguments.as_object().unwrap().clone());
    params.meta = Some(meta);
    params
}

#[tokio::test]
async fn run_world_reports_progress_and_keeps_its_video_and_trace_as_resources() {
    use base64::Engine as _;
    let (client, recorder) = connect_recording(|_| {}).await;
    let result = client
        .call_tool(with_progress_token(
            "run_world",
            json!({ "script": BALL, "duration": 1.0 }),
        ))
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(false), "{}", text(&result));
    let summary = json_of(&result);
    let progress = recorder.progress.lock().unwrap().clone();
    assert!(!progress.is_empty(), "no progress notifications");
    assert!(
        progress.windows(2).all(|w| w[0].0 <= w[1].0),
        "{progress:?}"
    );
    assert_eq!(
        progress.last().unwrap(),
        &(12.0, Some(12.0)),
        "{progress:?}"
    );

    let uris: Vec<String> = summary["resources"]
        .as_array()
        .expect("resources in the summary")
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect();
    let trace_uri = uris
        .iter()
        .find(|u| u.ends_with("/trace.json"))
        .expect("trace");
    let listed = client.list_all_resources().await.unwrap();
    for u in &uris {
        assert!(listed.iter().any(|r| &r.uri == u), "{u} not listed");
    }
    let read = |uri: String| {
        let client = &client;
        async move {
            client
                .read_resource(rmcp::model::ReadResourceRequestParams::new(uri))
                .await
        }
    };
    let trace = read(trace_uri.clone()).await.unwrap();
    let rmcp::model::ResourceContents::TextResourceContents {
        text, mime_type, ..
    } = &trace.contents[0]
    else {
        panic!("the trace is text");
    };
    assert_eq!(mime_type.as_deref(), Some("application/json"));
    let trace: Value = serde_json::from_str(text).unwrap();
    assert_eq!(trace["frames"].as_array().unwrap().len(), 12);
    if summary["render"]["rendered"] == true {
        let video_uri = uris
            .iter()
            .find(|u| u.ends_with("/video.mp4"))
            .expect("video");
        let video = read(video_uri.clone()).await.unwrap();
        let rmcp::model::ResourceContents::BlobResourceContents {
            blob, mime_type, ..
        } = &video.contents[0]
        else {
            panic!("the video is a blob");
        };
        assert_eq!(mime_type.as_deref(), Some("video/mp4"));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(blob)
            .unwrap();
        assert_eq!(&bytes[4..8], b"ftyp");
        assert_eq!(
            code2worlds::video::read_mp4(&bytes).unwrap().samples.len(),
            12
        );
    }
    assert!(read("c2w://runs/999/trace.json".into()).await.is_err());
    assert!(read("file:///etc/passwd".into()).await.is_err());
    client.cancel().await.unwrap();
}

/// Many bodies for a long simulated time: minutes of work unless stopped.
fn long_world() -> String {
    let mut s = String::from(
        "world(#{ duration: 500, fps: 24, seed: 1 });\nplane([20, 20], #{ name: \"floor\" });\n",
    );
    s.push_str("for i in 0..400 { sphere(0.1, #{ position: [(i % 20) * 0.25 - 2.5, 0.5 + (i / 20) * 0.25, 0], body: \"dynamic\" }); }\n");
    s
}

#[tokio::test]
async fn cancelling_run_world_frees_the_script_slot() {
    use std::time::{Duration, Instant};
    let (client, recorder) = connect_recording(|_| {}).await;
    let started = Instant::now();
    // Dropping the call on timeout sends the cancellation.
    let long = tokio::time::timeout(
        Duration::from_secs(3),
        client.call_tool(with_progress_token(
            "run_world",
            json!({ "script": long_world(), "render": false }),
        )),
    )
    .await;
    assert!(
        long.is_err(),
        "the long run finished within 3 s: make it longer"
    );
    assert!(
        !recorder.progress.lock().unwrap().is_empty(),
        "the long run was under way"
    );
    // The next script runs as soon as the cancelled one has stopped, not
    // after the minutes the cancelled one had left.
    let next = tokio::time::timeout(
        Duration::from_secs(20),
        call(&client, "check_world", json!({ "script": BALL })),
    )
    .await
    .expect("the slot was not freed");
    assert_eq!(json_of(&next)["ok"], true);
    assert!(started.elapsed() < Duration::from_secs(25));
    client.cancel().await.unwrap();
}

#[path = "common/http.rs"]
#[allow(dead_code)]
mod http;

/// generate_world drives the agent against a scripted model server on
/// loopback (as tests/agent.rs does), configured through the environment.
#[tokio::test]
async fn generate_world_runs_the_agent_with_the_configured_model() {
    let brief = json!({
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
    let server = http::serve_with(move |seen| {
        let asked = seen.body.contains("Plan the scene as JSON");
        // Broken dynamics: compact mode falls back to its starter.
        let answer = if asked {
            brief.to_string()
        } else {
            "set(find(\"bottle\"), #{ velocity: [1, 0, 0] };".to_string()
        };
        Some(http::ok_json(json!({
            "choices": [{ "message": { "role": "assistant", "content": answer }, "finish_reason": "stop" }],
            "usage": { "prompt_tokens": 100, "completion_tokens": 20 }
        })))
    });
    let home = tempfile::tempdir().unwrap();
    let base = server.base.clone();
    let cwd = home.path().to_path_buf();
    let (client, _) = connect_recording(move |cmd| {
        cmd.current_dir(&cwd)
            .env("C2W_MODEL", "scripted")
            .env("C2W_BASE_URL", &base)
            .env("C2W_TIMEOUT_S", "20")
            .env("C2W_CACHE_DIR", cwd.join("cache"));
    })
    .await;
    let result = call(
        &client,
        "generate_world",
        json!({
            "prompt": "A brown glass bottle rolled slowly across the sunlit living room floor.",
            "compact": true,
            "render": false,
            "rounds": 1
        }),
    )
    .await;
    assert_eq!(result.is_error, Some(false), "{}", text(&result));
    let summary = json_of(&result);
    assert!(
        summary["script"].as_str().unwrap().contains("bottle"),
        "{summary}"
    );
    assert_eq!(summary["verdict"], "pass", "{summary}");
    assert_eq!(summary["model_calls"], 2, "{summary}");
    let sent = server.seen();
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|s| s.path == "/chat/completions"));
    assert!(
        summary["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u.as_str().unwrap().ends_with("/world.rhai"))
    );
    client.cancel().await.unwrap();
}
