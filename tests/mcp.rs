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

async fn call(client: &Client, tool: &'static str, arguments: Value) -> CallToolResult {
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
async fn lists_the_six_tools_with_input_schemas() {
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
