//! Stage nine, `c2w mcp`: the runtime as a model's tools, served over the Model Context
//! Protocol on stdio. [`tools`] does the work; this module only speaks the
//! protocol and keeps blocking work off the async executor.
//!
//! Stdout carries the protocol and nothing else; logs go to stderr.

mod docs;
pub mod tools;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, ErrorData, Implementation, ListResourcesResult,
    PaginatedRequestParams, ProgressNotificationParam, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Resource, ResourceContents, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler, ServiceExt, tool, tool_handler, tool_router};
use tokio::sync::Semaphore;

use tools::{
    Control, DocsRequest, ExportWorldRequest, GenerateWorldRequest, RunWorldRequest, ScriptRequest,
    SnapshotRequest, ToolOutput,
};

/// Run folders kept for their resources, the newest last; older ones are
/// removed as new ones come.
const KEPT_RUNS: usize = 8;

/// The files of a run a client can read as resources, with their types.
const RUN_RESOURCES: &[(&str, &str)] = &[
    ("video.mp4", "video/mp4"),
    ("trace.json", "application/json"),
    ("world.rhai", "text/plain"),
];

/// Finished runs whose files are served as `c2w://runs/N/FILE`.
#[derive(Default)]
struct RunStore {
    next_id: u64,
    runs: VecDeque<(u64, tempfile::TempDir)>,
}

impl RunStore {
    /// A new folder for a run; the oldest kept run goes when too many are.
    fn open(&mut self) -> std::io::Result<(u64, PathBuf)> {
        let dir = tempfile::Builder::new().prefix("c2w-mcp-").tempdir()?;
        self.next_id += 1;
        let path = dir.path().to_path_buf();
        self.runs.push_back((self.next_id, dir));
        while self.runs.len() > KEPT_RUNS {
            self.runs.pop_front();
        }
        Ok((self.next_id, path))
    }

    fn path(&self, id: u64) -> Option<&Path> {
        self.runs
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, d)| d.path())
    }

    /// Every file that exists, as (uri, path, mime type).
    fn resources(&self) -> Vec<(String, PathBuf, &'static str)> {
        let mut out = Vec::new();
        for (id, dir) in &self.runs {
            for (name, mime) in RUN_RESOURCES {
                let p = dir.path().join(name);
                if p.is_file() {
                    out.push((format!("c2w://runs/{id}/{name}"), p, *mime));
                }
            }
        }
        out
    }
}

/// `c2w://runs/N/FILE` as (N, FILE) when FILE is one we serve.
fn parse_uri(uri: &str) -> Option<(u64, &'static str, &'static str)> {
    let rest = uri.strip_prefix("c2w://runs/")?;
    let (id, file) = rest.split_once('/')?;
    let id = id.parse().ok()?;
    RUN_RESOURCES
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(name, mime)| (id, *name, *mime))
}

const INSTRUCTIONS: &str = "c2w turns Rhai world scripts into simulated, rendered 4D worlds and judges their motion. \
To have c2w's own agent write a world from a sentence, call generate_world. \
Call api_docs first (with a query such as \"sphere\" or \"hinge\" for the relevant functions) and list_assets for ready-made generators. \
Then write a script, check_world it for errors (fast, nothing simulated), run_world it to simulate, render and get the critic's findings \
with a contact sheet, and render_snapshot to look at one moment; export_world gives the animated scene as a GLB (glTF 2.0). Errors come back as JSON with kind, line, message, hint and suggestions: \
fix the script and try again.";

/// The MCP server: seven tools, and the files of recent runs as resources.
#[derive(Clone)]
pub struct C2wServer {
    tool_router: ToolRouter<Self>,
    /// One script at a time: the sandbox's memory limit is measured on the
    /// whole process's heap, so runs side by side would count each other.
    script_slot: Arc<Semaphore>,
    runs: Arc<Mutex<RunStore>>,
}

impl Default for C2wServer {
    fn default() -> Self {
        Self::new()
    }
}

#[tool_router]
impl C2wServer {
    pub fn new() -> Self {
        Self {
            tool_router: Self::tool_router(),
            script_slot: Arc::new(Semaphore::new(1)),
            runs: Arc::new(Mutex::new(RunStore::default())),
        }
    }

    /// Runs `work` on a blocking thread once no other script is running,
    /// telling the client its progress (when it asked with a progress
    /// token) and stopping the work when the client cancels, so that the
    /// slot is free again at once.
    async fn run_controlled(
        &self,
        ctx: &RequestContext<RoleServer>,
        work: impl FnOnce(Control) -> ToolOutput + Send + 'static,
    ) -> CallToolResult {
        let permit = tokio::select! {
            p = self.script_slot.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return result(ToolOutput::internal("the server is shutting down")),
            },
            _ = ctx.ct.cancelled() => return result(ToolOutput::internal("cancelled")),
        };
        let cancel = crate::limits::Cancel::new();
        // Should the protocol layer drop this future instead of letting it
        // see the cancellation, the run stops all the same.
        let _stop_if_dropped = CancelOnDrop(cancel.clone());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u64, u64)>();
        // One notification per percent at most, however many frames.
        let mut last_percent = None;
        let progress: crate::pipeline::FrameProgress = Box::new(move |done, total| {
            let percent = done * 100 / total.max(1);
            if last_percent != Some(percent) {
                last_percent = Some(percent);
                let _ = tx.send((done, total));
            }
        });
        let control = Control {
            cancel: cancel.clone(),
            progress: Some(progress),
        };
        let mut handle = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work(control)
        });
        let token = ctx.meta.get_progress_token();
        let mut cancelled = false;
        loop {
            tokio::select! {
                output = &mut handle => {
                    let output = output
                        .unwrap_or_else(|e| ToolOutput::internal(format!("the tool failed: {e}")));
                    return result(output);
                }
                Some((done, total)) = rx.recv() => {
                    if let Some(token) = &token {
                        let note = ProgressNotificationParam::new(token.clone(), done as f64)
                            .with_total(total as f64)
                            .with_message(format!("frame {done} of {total}"));
                        if let Err(e) = ctx.peer.notify_progress(note).await {
                            tracing::debug!("cannot send a progress notification: {e}");
                        }
                    }
                }
                _ = ctx.ct.cancelled(), if !cancelled => {
                    tracing::debug!("the client cancelled; stopping the run");
                    cancel.cancel();
                    cancelled = true;
                }
            }
        }
    }

    /// A new run folder, kept for its resources.
    fn open_run(&self) -> Result<(u64, PathBuf), ToolOutput> {
        let mut runs = self
            .runs
            .lock()
            .map_err(|_| ToolOutput::internal("the run store is poisoned"))?;
        runs.open()
            .map_err(|e| ToolOutput::internal(format!("cannot make a run folder: {e}")))
    }

    /// Runs `work` on a blocking thread once no other script is running.
    async fn run_script(
        &self,
        work: impl FnOnce() -> ToolOutput + Send + 'static,
    ) -> CallToolResult {
        let Ok(permit) = self.script_slot.clone().acquire_owned().await else {
            return result(ToolOutput::internal("the server is shutting down"));
        };
        // The permit goes with the work, so a cancelled request still holds
        // the slot until its thread is done.
        let output = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .unwrap_or_else(|e| ToolOutput::internal(format!("the tool failed: {e}")));
        result(output)
    }

    /// Simulate a world script for its duration, render it, and judge its
    /// motion with the critic. Returns a compact JSON summary (ok, error,
    /// frames, state_hash, counts, expectations, warnings, critic verdict,
    /// score and findings with fixes) and the contact sheet as an image. A
    /// script error comes back as a tool error with kind, line and message.
    /// Sends progress notifications (frames simulated) when the request
    /// carries a progress token; cancelling the request stops the run. The
    /// run's video, trace and script stay readable as resources
    /// (c2w://runs/N/video.mp4, trace.json, world.rhai; listed in the
    /// summary) for the last few runs.
    #[tool(annotations(read_only_hint = true, idempotent_hint = true))]
    async fn run_world(
        &self,
        Parameters(req): Parameters<RunWorldRequest>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let (id, dir) = match self.open_run() {
            Ok(r) => r,
            Err(e) => return result(e),
        };
        self.run_controlled(&ctx, move |control| {
            let mut out = tools::run_world_in(&req, &dir, control);
            with_resources(&mut out, id, &dir);
            out
        })
        .await
    }

    /// Generate a world from a prompt with the code2worlds agent (planner,
    /// coder and critic models from the server's c2w.toml and C2W_*
    /// environment): it plans, writes, runs, judges and repairs the script.
    /// Returns the final script with the critic's verdict and findings, and
    /// the contact sheet; its video, trace and script stay readable as
    /// resources. Takes minutes with a hosted model; cancelling stops it
    /// between stages (and any world it is running).
    #[tool(annotations(read_only_hint = true, open_world_hint = true))]
    async fn generate_world(
        &self,
        Parameters(req): Parameters<GenerateWorldRequest>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let (id, dir) = match self.open_run() {
            Ok(r) => r,
            Err(e) => return result(e),
        };
        self.run_controlled(&ctx, move |control| {
            let mut out = tools::generate_world(&req, &dir, control);
            with_resources(&mut out, id, &dir);
            out
        })
        .await
    }

    /// Compile a world script and build its scene at t = 0 without
    /// simulating: the quick way to find errors. Returns the structured
    /// error, or entity counts and warnings.
    #[tool(annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false))]
    async fn check_world(&self, Parameters(req): Parameters<ScriptRequest>) -> CallToolResult {
        self.run_script(move || tools::check_world(&req.script))
            .await
    }

    /// Render one frame of a world script at a simulated time (seconds) as a
    /// PNG image (default 640x360).
    #[tool(annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false))]
    async fn render_snapshot(
        &self,
        Parameters(req): Parameters<SnapshotRequest>,
    ) -> CallToolResult {
        self.run_script(move || tools::render_snapshot(&req)).await
    }

    /// Simulate a world script and export it as an animated glTF 2.0 scene:
    /// every entity a node, meshes, PBR materials, camera, lights and the
    /// motion as node animations. Returns a JSON summary and the GLB as an
    /// embedded resource (model/gltf-binary).
    #[tool(annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false))]
    async fn export_world(
        &self,
        Parameters(req): Parameters<ExportWorldRequest>,
    ) -> CallToolResult {
        let Ok(permit) = self.script_slot.clone().acquire_owned().await else {
            return result(ToolOutput::internal("the server is shutting down"));
        };
        let done = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            tools::export_world(&req)
        })
        .await;
        let (output, glb) = match done {
            Ok(r) => r,
            Err(e) => (ToolOutput::internal(format!("the tool failed: {e}")), None),
        };
        let mut r = result(output);
        if let Some(glb) = glb {
            let data = base64::engine::general_purpose::STANDARD.encode(glb);
            r.content.push(ContentBlock::resource(
                rmcp::model::ResourceContents::blob(data, "c2w://export/world.glb")
                    .with_mime_type("model/gltf-binary"),
            ));
        }
        r
    }

    /// The world API reference: conventions and every function with its
    /// options. With a query, only the functions and stdlib generators that
    /// best match it, with parameters and an example. Read it before
    /// writing a script.
    #[tool(annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false))]
    async fn api_docs(&self, Parameters(req): Parameters<DocsRequest>) -> CallToolResult {
        result(tools::api_docs(req.query.as_deref()))
    }

    /// The standard library's generators and assets (furniture, trees,
    /// terrain, forests, layouts): name, signature and what it makes.
    #[tool(annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false))]
    async fn list_assets(&self) -> CallToolResult {
        result(tools::list_assets())
    }
}

/// Raises its flag when dropped. Raising it after the work is done is
/// harmless.
struct CancelOnDrop(crate::limits::Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Lists the run's resources in a JSON summary.
fn with_resources(out: &mut ToolOutput, id: u64, dir: &Path) {
    let uris: Vec<String> = RUN_RESOURCES
        .iter()
        .filter(|(name, _)| dir.join(name).is_file())
        .map(|(name, _)| format!("c2w://runs/{id}/{name}"))
        .collect();
    if let Ok(serde_json::Value::Object(mut map)) = serde_json::from_str(&out.text) {
        map.insert("resources".into(), uris.into());
        out.text = serde_json::Value::Object(map).to_string();
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for C2wServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("c2w", env!("CARGO_PKG_VERSION")))
        .with_instructions(INSTRUCTIONS)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let runs = self
            .runs
            .lock()
            .map_err(|_| ErrorData::internal_error("the run store is poisoned", None))?;
        let resources = runs
            .resources()
            .into_iter()
            .map(|(uri, path, mime)| {
                let name = uri.trim_start_matches("c2w://").replace('/', "_");
                let mut r = Resource::new(uri, name).with_mime_type(mime);
                r.size = std::fs::metadata(&path).ok().map(|m| m.len());
                r
            })
            .collect();
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri;
        let not_found = || {
            ErrorData::resource_not_found(
                format!(
                    "no resource {uri}: runs are kept as c2w://runs/N/video.mp4, trace.json or world.rhai, for the last {KEPT_RUNS} runs"
                ),
                None,
            )
        };
        let Some((id, file, mime)) = parse_uri(&uri) else {
            return Err(not_found());
        };
        let path = {
            let runs = self
                .runs
                .lock()
                .map_err(|_| ErrorData::internal_error("the run store is poisoned", None))?;
            runs.path(id).map(|d| d.join(file))
        };
        let Some(bytes) = path.and_then(|p| std::fs::read(p).ok()) else {
            return Err(not_found());
        };
        let contents = if mime == "video/mp4" {
            ResourceContents::blob(
                base64::engine::general_purpose::STANDARD.encode(bytes),
                &uri,
            )
        } else {
            ResourceContents::text(String::from_utf8_lossy(&bytes), &uri)
        }
        .with_mime_type(mime);
        Ok(ReadResourceResult::new(vec![contents]).into())
    }
}

fn result(output: ToolOutput) -> CallToolResult {
    let mut content = vec![ContentBlock::text(output.text)];
    if let Some(png) = output.png {
        let data = base64::engine::general_purpose::STANDARD.encode(png);
        content.push(ContentBlock::image(data, "image/png"));
    }
    if output.is_error {
        CallToolResult::error(content)
    } else {
        CallToolResult::success(content)
    }
}

/// Serves MCP on stdin/stdout until the client goes away.
/// Logs go to stderr through the subscriber `c2w` sets up for every command.
pub fn main() -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(crate::limits::SCRIPT_THREAD_STACK)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return 1;
        }
    };
    let served = runtime.block_on(async {
        let service = C2wServer::new()
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| e.to_string())?;
        service.waiting().await.map_err(|e| e.to_string())
    });
    // A read of stdin cannot be cancelled; do not wait on it to exit.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match served {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("error: mcp: {e}");
            1
        }
    }
}
