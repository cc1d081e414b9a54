//! `c2w mcp`: the runtime as a model's tools, served over the Model Context
//! Protocol on stdio. [`tools`] does the work; this module only speaks the
//! protocol and keeps blocking work off the async executor.
//!
//! Stdout carries the protocol and nothing else; logs go to stderr.

mod docs;
pub mod tools;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, ServiceExt, tool, tool_handler, tool_router};
use tokio::sync::Semaphore;

use tools::{DocsRequest, RunWorldRequest, ScriptRequest, SnapshotRequest, ToolOutput};

const INSTRUCTIONS: &str = "c2w turns Rhai world scripts into simulated, rendered 4D worlds and judges their motion. \
Call api_docs first (with a query such as \"sphere\" or \"hinge\" for the relevant functions) and list_assets for ready-made generators. \
Then write a script, check_world it for errors (fast, nothing simulated), run_world it to simulate, render and get the critic's findings \
with a contact sheet, and render_snapshot to look at one moment. Errors come back as JSON with kind, line, message, hint and suggestions: \
fix the script and try again.";

/// The MCP server: the five tools.
#[derive(Clone)]
pub struct C2wServer {
    tool_router: ToolRouter<Self>,
    /// One script at a time: the sandbox's memory limit is measured on the
    /// whole process's heap, so runs side by side would count each other.
    script_slot: Arc<Semaphore>,
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
        }
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
    #[tool(annotations(read_only_hint = true, idempotent_hint = true))]
    async fn run_world(&self, Parameters(req): Parameters<RunWorldRequest>) -> CallToolResult {
        self.run_script(move || tools::run_world(&req)).await
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

#[tool_handler(router = self.tool_router)]
impl ServerHandler for C2wServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("c2w", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
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
