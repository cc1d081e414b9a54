//! What each MCP tool does, as plain blocking functions: the server only
//! moves them off the async executor and wraps their output, so they can be
//! called and tested without a protocol in between.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::measure::{Counts, Report};
use crate::pipeline::check::check;
use crate::pipeline::job::{VlmChoice, WorldJob, run_job};
use crate::pipeline::{RunOptions, SnapshotError, render_at};
use crate::render::RenderOptions;
use crate::script::ScriptError;

/// Image size of runs and snapshots unless asked otherwise: what `c2w run`
/// renders by default.
const DEFAULT_SIZE: (u32, u32) = (640, 360);
/// Critic findings past this many are counted, not listed: the summary goes
/// into a model's context.
const MAX_FINDINGS: usize = 20;
/// Largest snapshot side: bigger images cost a model's context more than
/// they show.
const MAX_SNAPSHOT_SIDE: u32 = 2048;
/// Lines of script output kept in a summary, the last ones.
const MAX_LOG_LINES: usize = 20;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RunWorldRequest {
    /// The world script (Rhai source text).
    pub script: String,
    /// Seed for all randomness; overrides the script's.
    pub seed: Option<u64>,
    /// Simulated seconds; overrides the script's. Short runs come back faster.
    pub duration: Option<f64>,
    /// Render the frames and return the contact sheet (default true).
    pub render: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GenerateWorldRequest {
    /// What the world should show, in plain words, e.g. "a red ball rolls
    /// off a table".
    pub prompt: String,
    /// Run-and-repair rounds at most (default 2).
    pub rounds: Option<u32>,
    /// Small prompts for small local models (default from c2w.toml).
    pub compact: Option<bool>,
    /// Render the final world and return its contact sheet (default true).
    pub render: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ScriptRequest {
    /// The world script (Rhai source text).
    pub script: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SnapshotRequest {
    /// The world script (Rhai source text).
    pub script: String,
    /// Simulated time of the frame, seconds.
    pub time: f64,
    /// Image width in pixels (default 640).
    pub width: Option<u32>,
    /// Image height in pixels (default 360).
    pub height: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ExportWorldRequest {
    /// The world script (Rhai source text).
    pub script: String,
    /// Seed for all randomness; overrides the script's.
    pub seed: Option<u64>,
    /// Simulated seconds; overrides the script's.
    pub duration: Option<f64>,
    /// Particles kept per frame, all emitters together (default 2000).
    pub max_particles: Option<usize>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DocsRequest {
    /// Words to look for, e.g. "sphere", "hinge joint", "rain particles".
    /// Leave it out for the whole reference.
    pub query: Option<String>,
}

/// What a tool hands back.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    /// The tool could not do what was asked; `text` says why.
    pub is_error: bool,
    /// Compact JSON or plain text for the model.
    pub text: String,
    /// A PNG to show the model.
    pub png: Option<Vec<u8>>,
}

impl ToolOutput {
    fn text(text: String) -> ToolOutput {
        ToolOutput {
            is_error: false,
            text,
            png: None,
        }
    }

    fn json(value: Value) -> ToolOutput {
        ToolOutput::text(value.to_string())
    }

    /// A script's error as the structured JSON a model can fix it from,
    /// with what the script printed before it.
    pub fn script_error(error: &ScriptError, logs: &[String]) -> ToolOutput {
        let mut failure = json!({ "ok": false, "error": error });
        add_logs(&mut failure, logs);
        ToolOutput {
            is_error: true,
            text: failure.to_string(),
            png: None,
        }
    }

    /// A failure that is not the script's, in the same shape.
    pub fn internal(message: impl Into<String>) -> ToolOutput {
        ToolOutput::script_error(&ScriptError::internal(message), &[])
    }
}

/// How a caller steers a tool while it runs.
#[derive(Default)]
pub struct Control {
    /// Stops the run when raised (the client cancelled).
    pub cancel: crate::limits::Cancel,
    /// Told after each frame.
    pub progress: Option<crate::pipeline::FrameProgress>,
}

/// [`run_world_in`] in a temporary folder removed afterwards.
pub fn run_world(req: &RunWorldRequest) -> ToolOutput {
    match tempfile::Builder::new().prefix("c2w-mcp-").tempdir() {
        Ok(d) => run_world_in(req, &d.path().join("run"), Control::default()),
        Err(e) => ToolOutput::internal(format!("cannot make a run folder: {e}")),
    }
}

/// Simulates the script with the critic on, renders it unless told not to,
/// writes the run folder `out` and summarises the run.
pub fn run_world_in(req: &RunWorldRequest, out: &std::path::Path, control: Control) -> ToolOutput {
    if let Some(d) = req.duration
        && !(d.is_finite() && d > 0.0)
    {
        return ToolOutput::internal(format!("duration must be a number of seconds > 0, got {d}"));
    }
    let mut render_skipped = None;
    let render = if req.render.unwrap_or(true) {
        match RenderOptions::new(DEFAULT_SIZE.0, DEFAULT_SIZE.1).with_env() {
            Ok(o) => Some(o),
            Err(e) => {
                render_skipped = Some(e.to_string());
                None
            }
        }
    } else {
        render_skipped = Some("not requested".into());
        None
    };
    let out = out.to_path_buf();
    let limits = crate::limits::Limits {
        cancel: control.cancel,
        ..Default::default()
    };
    let job = WorldJob {
        run: RunOptions {
            seed: req.seed,
            duration: req.duration,
            limits,
            ..Default::default()
        },
        critic: true,
        vlm: VlmChoice::Configured,
        progress: control.progress,
        ..WorldJob::new(out.clone(), render)
    };
    let outcome = match run_job(&req.script, job) {
        Ok(o) => o,
        Err(e) => return ToolOutput::internal(format!("cannot write the run folder: {e}")),
    };
    let sheet = outcome
        .contact_sheet(&out)
        .and_then(|p| std::fs::read(p).ok());
    let report = &outcome.report;
    if let (Some(error), 0) = (&report.error, report.frames) {
        // The world was never built: the error is all there is to say.
        return ToolOutput::script_error(error, &report.logs);
    }
    let render_skipped = render_skipped
        .or_else(|| outcome.render_warning.clone())
        .or_else(|| report.render.as_ref().and_then(|r| r.error.clone()))
        .or_else(|| sheet.is_none().then(|| "no frame was rendered".to_string()));
    let mut summary = run_summary(report);
    summary["render"] = match (&render_skipped, &report.render) {
        (None, Some(r)) => json!({ "rendered": true, "adapter": r.adapter, "frames": r.frames }),
        (Some(why), _) => json!({ "rendered": false, "skipped": why }),
        (None, None) => json!({ "rendered": false }),
    };
    if let Some(diff) = &outcome.diff {
        let mut critic = json!({
            "verdict": diff.verdict,
            "score": diff.score,
            "findings": diff.findings.iter().take(MAX_FINDINGS).collect::<Vec<_>>(),
        });
        if diff.findings.len() > MAX_FINDINGS {
            critic["findings_left_out"] = json!(diff.findings.len() - MAX_FINDINGS);
        }
        summary["critic"] = critic;
    }
    ToolOutput {
        is_error: report.error.is_some(),
        text: summary.to_string(),
        png: sheet,
    }
}

/// Largest GLB handed back: a resource this size already strains clients.
pub const MAX_GLB_BYTES: usize = 32 << 20;

/// Simulates the script and exports it as an animated GLB (no rendering):
/// a summary, and the file's bytes when it was made.
pub fn export_world(req: &ExportWorldRequest) -> (ToolOutput, Option<Vec<u8>>) {
    if let Some(d) = req.duration
        && !(d.is_finite() && d > 0.0)
    {
        let e = ToolOutput::internal(format!("duration must be a number of seconds > 0, got {d}"));
        return (e, None);
    }
    let run = RunOptions {
        seed: req.seed,
        duration: req.duration,
        ..Default::default()
    };
    let mut opts = crate::export::ExportOptions::default();
    if let Some(n) = req.max_particles {
        opts.max_particles = n.clamp(1, 200_000);
    }
    let (doc, report) = crate::pipeline::export::export_script(&req.script, &run, opts);
    let Some(doc) = doc else {
        let error = report
            .error
            .clone()
            .unwrap_or_else(|| ScriptError::internal("the world ran no frame"));
        return (ToolOutput::script_error(&error, &report.logs), None);
    };
    let glb = match doc.to_glb() {
        Ok(b) => b,
        Err(e) => {
            return (
                ToolOutput::internal(format!("cannot write the GLB: {e}")),
                None,
            );
        }
    };
    if glb.len() > MAX_GLB_BYTES {
        let e = ToolOutput::internal(format!(
            "the GLB is {} MiB, more than {} MiB: export a shorter duration or fewer particles (max_particles)",
            glb.len() >> 20,
            MAX_GLB_BYTES >> 20
        ));
        return (e, None);
    }
    let s = doc.summary(std::path::Path::new("world.glb"), glb.len() as u64);
    let mut summary = run_summary(&report);
    summary["gltf"] = json!({
        "uri": "c2w://export/world.glb",
        "bytes": s.bytes,
        "nodes": s.nodes,
        "meshes": s.meshes,
        "animation_channels": s.animation_channels,
        "duration": s.duration,
        "particles_left_out": s.particles_left_out,
    });
    let out = ToolOutput {
        is_error: report.error.is_some(),
        text: summary.to_string(),
        png: None,
    };
    (out, Some(glb))
}

/// The report without what only a file needs (per-second hashes, timings).
fn run_summary(report: &Report) -> Value {
    let mut summary = json!({
        "ok": report.ok,
        "seed": report.seed,
        "duration": report.duration,
        "fps": report.fps,
        "frames": report.frames,
        "state_hash": report.state_hash,
        "counts": nonzero_counts(&report.counts),
        "expectations_passed": report.expectations_passed,
        "expectations": report.expectations,
        "warnings": report.warnings,
    });
    add_logs(&mut summary, &report.logs);
    if let Some(e) = &report.error {
        summary["error"] = json!(e);
    }
    summary
}

/// The script's last lines of output, if it printed any.
fn add_logs(summary: &mut Value, logs: &[String]) {
    if !logs.is_empty() {
        let skip = logs.len().saturating_sub(MAX_LOG_LINES);
        summary["logs"] = json!(logs[skip..]);
    }
}

/// Counts without the zeros, which most scenes have many of.
fn nonzero_counts(counts: &Counts) -> Value {
    let mut value = json!(counts);
    if let Some(map) = value.as_object_mut() {
        map.retain(|_, v| v.as_u64() != Some(0));
    }
    value
}

/// Compiles the script and builds its scene at t = 0 without simulating.
pub fn check_world(script: &str) -> ToolOutput {
    match check(script, &RunOptions::default()) {
        Ok(s) => ToolOutput::json(json!({
            "ok": true,
            "duration": s.duration,
            "fps": s.fps,
            "frames": s.frames,
            "counts": nonzero_counts(&s.counts),
            "warnings": s.warnings,
        })),
        Err(f) => ToolOutput::script_error(&f.error, &f.logs),
    }
}

/// Renders the frame at `time` as a PNG.
pub fn render_snapshot(req: &SnapshotRequest) -> ToolOutput {
    let width = req.width.unwrap_or(DEFAULT_SIZE.0);
    let height = req.height.unwrap_or(DEFAULT_SIZE.1);
    for (side, v) in [("width", width), ("height", height)] {
        if !(16..=MAX_SNAPSHOT_SIDE).contains(&v) {
            return ToolOutput::internal(format!(
                "{side} must be 16 to {MAX_SNAPSHOT_SIDE} pixels, got {v}"
            ));
        }
    }
    let render = match RenderOptions::new(width, height).with_env() {
        Ok(o) => o,
        Err(e) => return ToolOutput::internal(e.to_string()),
    };
    match render_at(&req.script, &RunOptions::default(), req.time, &render) {
        Ok((image, report)) => match image.encode_png() {
            Ok(png) => ToolOutput {
                is_error: false,
                text: json!({
                    "ok": true,
                    "time": req.time,
                    "width": image.width,
                    "height": image.height,
                    "warnings": report.warnings,
                })
                .to_string(),
                png: Some(png),
            },
            Err(e) => ToolOutput::internal(format!("cannot encode the image: {e}")),
        },
        Err(SnapshotError::Script(e)) => ToolOutput::script_error(&e, &[]),
        Err(SnapshotError::Render(e)) => ToolOutput::internal(format!(
            "cannot render: {e} (the machine serving c2w needs a graphics adapter; \
             run_world with render false still simulates and judges)"
        )),
    }
}

/// The API reference: whole, or the entries that best match `query`.
pub fn api_docs(query: Option<&str>) -> ToolOutput {
    match query.map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => ToolOutput::text(super::docs::search_reference(q)),
        None => ToolOutput::text(super::docs::full_reference()),
    }
}

/// The stdlib's generators and assets.
pub fn list_assets() -> ToolOutput {
    ToolOutput::text(super::docs::asset_catalog())
}

/// Generates a world from a prompt with the agent, as `c2w generate` does:
/// models from `c2w.toml` and the environment, into `out`. Returns the
/// script, the critic's verdict and the contact sheet.
pub fn generate_world(
    req: &GenerateWorldRequest,
    out: &std::path::Path,
    control: Control,
) -> ToolOutput {
    use crate::agent::config::{ConfigFile, FlagSettings};
    use crate::agent::generate::outcome_json;
    use crate::agent::{AgentConfig, GenerateOptions, generate};
    if req.prompt.trim().is_empty() {
        return ToolOutput::internal("prompt is empty: say what the world should show");
    }
    let file = match ConfigFile::load(None) {
        Ok(f) => f,
        Err(e) => return ToolOutput::internal(e),
    };
    let flags = FlagSettings {
        rounds: Some(req.rounds.unwrap_or(2)),
        compact: req.compact,
        ..Default::default()
    };
    let config = match AgentConfig::merge(&file, &|k| std::env::var(k).ok(), &flags) {
        Ok(c) => c,
        Err(e) => return ToolOutput::internal(format!("the agent's models: {e}")),
    };
    let render = if req.render.unwrap_or(true) {
        RenderOptions::new(DEFAULT_SIZE.0, DEFAULT_SIZE.1)
            .with_env()
            .ok()
    } else {
        None
    };
    let options = GenerateOptions {
        prompt: Some(req.prompt.clone()),
        out: out.to_path_buf(),
        resume: false,
        config,
        render,
        video_quality: Default::default(),
        // Stdout is the protocol; progress lines stay off.
        quiet: true,
        cancel: control.cancel,
    };
    match generate(options) {
        Ok(r) => {
            let script = std::fs::read_to_string(r.out.join("world.rhai")).unwrap_or_default();
            let f = &r.final_world;
            let sheet = std::fs::read(r.out.join("contact_sheet.png")).ok();
            let (calls, tokens) = r.usage.iter().fold((0, 0), |(c, t), (_, u)| {
                (c + u.calls, t + u.input_tokens + u.output_tokens)
            });
            ToolOutput {
                is_error: false,
                text: json!({
                    "ok": f.error.is_none(),
                    "verdict": outcome_json::verdict_name(f.verdict),
                    "score": outcome_json::score_value(f.score),
                    "error": f.error,
                    "findings": f.findings.iter().take(MAX_FINDINGS).collect::<Vec<_>>(),
                    "best_round": r.best_round,
                    "rounds": r.rounds.len(),
                    "model_calls": calls,
                    "tokens": tokens,
                    "script": script,
                })
                .to_string(),
                png: sheet,
            }
        }
        Err(e) => ToolOutput::internal(format!("the agent failed: {e}")),
    }
}
