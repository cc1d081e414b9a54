//! One whole run of a world into a folder: simulate, render, judge, write.
//! `c2w run`, the agent's rounds and the MCP server's `run_world` all go
//! through [`run_job`], so they write the same files and the same diff.

use std::path::{Path, PathBuf};

use super::RunOptions;
use crate::brief::Brief;
use crate::critic::vlm::{ProviderCritic, VisionCritic};
use crate::critic::{CheckStatus, Critic, CriticDiff};
use crate::measure::{Report, Trace};
use crate::output::{Recorder, RecorderOptions};
use crate::render::RenderOptions;
use crate::sim::FrameSink;
use crate::util::fsx::{write_atomic, write_json_atomic};

/// Which vision-language model reviews the contact sheet, if any.
pub enum VlmChoice {
    /// Whatever the configuration names for the critic role: `./c2w.toml`
    /// and the environment (`C2W_*`, `C2W_CRITIC_*`), as `c2w generate`
    /// reads them (see [`crate::config::configured_critic`]).
    Configured,
    /// No review; the diff says why.
    Off(String),
    Given(Box<dyn VisionCritic + Send + Sync>),
}

impl VlmChoice {
    /// The critic that `config` (else `./c2w.toml`) and the environment
    /// name, resolved now so that a bad configuration is an error before
    /// the run rather than a skipped check after it.
    pub fn from_config(config: Option<&Path>) -> Result<VlmChoice, String> {
        Ok(match crate::config::configured_critic(config)? {
            Some(m) => VlmChoice::Given(Box::new(ProviderCritic::new(m.config))),
            None => VlmChoice::Off(
                "no vision-language model is configured ([models.critic] in c2w.toml or C2W_CRITIC_MODEL)"
                    .into(),
            ),
        })
    }
}

/// What to do with a script beyond simulating it.
pub struct WorldJob {
    pub run: RunOptions,
    /// The run folder. Every file the job writes goes inside it.
    pub out: PathBuf,
    /// `None`: simulate only.
    pub render: Option<RenderOptions>,
    /// Write `video.mp4` (rendering on); the contact sheet is always written.
    pub video: bool,
    pub video_quality: crate::video::Quality,
    /// Also write every frame as `frames/NNNN.png`.
    pub frames: bool,
    pub snaps: Vec<f64>,
    /// Run the motion critic and write `critic.json`.
    pub critic: bool,
    /// Checked by the critic (implies it); written as `brief.json`.
    pub brief: Option<Brief>,
    pub vlm: VlmChoice,
    /// Also write the animated scene as `world.glb` (see [`crate::export`]).
    pub gltf: bool,
    /// Told after each frame (frames done, frames in all).
    pub progress: Option<super::FrameProgress>,
}

impl WorldJob {
    /// Simulate, render with `render` when given, no critic.
    pub fn new(out: PathBuf, render: Option<RenderOptions>) -> WorldJob {
        WorldJob {
            run: RunOptions::default(),
            out,
            render,
            video: true,
            video_quality: crate::video::Quality::Default,
            frames: false,
            snaps: Vec::new(),
            critic: false,
            brief: None,
            gltf: false,
            vlm: VlmChoice::Configured,
            progress: None,
        }
    }
}

/// What a job produced. The files are already written when this returns.
pub struct JobOutcome {
    pub report: Report,
    pub trace: Option<Trace>,
    pub diff: Option<CriticDiff>,
    /// Why nothing was rendered although rendering was asked for.
    pub render_warning: Option<String>,
    /// What `world.glb` holds, or why it was not written, when asked for.
    pub gltf: Option<Result<crate::export::ExportSummary, String>>,
}

impl JobOutcome {
    pub fn contact_sheet(&self, out: &Path) -> Option<PathBuf> {
        let p = out.join("contact_sheet.png");
        p.exists().then_some(p)
    }
}

/// Simulates `source`, renders and judges it as `job` asks, and writes the
/// run folder: `world.rhai`, `trace.json`, the visual outputs, `brief.json`
/// and `critic.json` when judged, and `report.json` last, so its presence
/// means the folder is complete. Only a failure to write is an `Err`; a
/// script's error is in the report.
pub fn run_job(source: &str, mut job: WorldJob) -> std::io::Result<JobOutcome> {
    let mut recorder = job.render.clone().map(|render| {
        let mut ro = RecorderOptions::new(job.out.clone(), render);
        ro.video = job.video;
        ro.video_quality = job.video_quality;
        ro.frames = job.frames;
        ro.snaps = job.snaps.clone();
        ro.visual = job.critic || job.brief.is_some();
        Recorder::new(ro)
    });
    let render_warning = recorder.as_ref().and_then(|r| r.stats().error.clone());
    let mut critic = (job.critic || job.brief.is_some()).then(|| Critic::new(job.brief.clone()));
    let mut sinks: Vec<&mut dyn FrameSink> = Vec::new();
    if let Some(r) = recorder.as_mut().filter(|r| r.is_rendering()) {
        sinks.push(r);
    }
    if let Some(c) = critic.as_mut() {
        sinks.push(c);
    }
    let mut exporter = job.gltf.then(|| {
        let mut opts = crate::export::ExportOptions::default();
        if let Some(r) = &job.render {
            opts.aspect_ratio = Some(r.width as f32 / r.height.max(1) as f32);
        }
        crate::export::Exporter::new(opts)
    });
    if let Some(e) = exporter.as_mut() {
        sinks.push(e);
    }
    let mut progress = job.progress.take().map(super::ProgressSink);
    if let Some(p) = progress.as_mut() {
        sinks.push(p);
    }
    let mut result = super::run(source, &job.run, &mut sinks);
    drop(sinks);
    if let Some(r) = &recorder {
        result.report.render = Some(r.stats().clone());
        result.report.timings.encode_ms = r.stats().encode_ms_per_frame * r.stats().frames as f64;
    }
    let diff = critic.as_ref().map(|c| {
        let visual = recorder.as_mut().and_then(|r| r.take_visual());
        let sheet = job.out.join("contact_sheet.png");
        let sheet = recorder
            .as_ref()
            .is_some_and(|r| r.is_rendering())
            .then_some(sheet.as_path());
        judge(c, &result.report, visual.as_ref(), sheet, &job.vlm)
    });
    std::fs::create_dir_all(&job.out)?;
    write_atomic(&job.out.join("world.rhai"), source.as_bytes())?;
    if let Some(t) = &result.trace {
        write_json_atomic(&job.out.join("trace.json"), t)?;
    }
    if let Some(b) = &job.brief {
        write_json_atomic(&job.out.join("brief.json"), b)?;
    }
    if let Some(d) = &diff {
        write_json_atomic(&job.out.join("critic.json"), d)?;
    }
    let gltf = match exporter.as_mut().map(|e| e.take_document()) {
        None => None,
        Some(None) => Some(Err("the world ran no frame".to_string())),
        Some(Some(doc)) => Some(Ok(crate::export::write(&doc, &job.out.join("world.glb"))?)),
    };
    write_json_atomic(&job.out.join("report.json"), &result.report)?;
    Ok(JobOutcome {
        report: result.report,
        trace: result.trace,
        diff,
        render_warning,
        gltf,
    })
}

/// The critic's diff of a finished run, with the visual checks when the
/// run was rendered and the vision-language model's review when one is
/// chosen and a contact sheet exists.
pub fn judge(
    critic: &Critic,
    report: &Report,
    visual: Option<&crate::critic::visual::VisualRecorder>,
    contact_sheet: Option<&Path>,
    vlm: &VlmChoice,
) -> CriticDiff {
    let skipped = |why: String| CheckStatus {
        name: "vlm".into(),
        status: format!("skipped: {why}"),
    };
    let configured;
    let chosen: Result<Option<&dyn VisionCritic>, String> = match vlm {
        VlmChoice::Off(why) => Err(why.clone()),
        VlmChoice::Given(v) => Ok(Some(v.as_ref() as &dyn VisionCritic)),
        VlmChoice::Configured => match crate::config::configured_critic(None) {
            Ok(v) => {
                configured = v.map(|m| ProviderCritic::new(m.config));
                Ok(configured.as_ref().map(|c| c as &dyn VisionCritic))
            }
            Err(e) => Err(format!("bad configuration: {e}")),
        },
    };
    let (findings, status, scores) = match chosen {
        Err(why) => (Vec::new(), skipped(why), None),
        Ok(None) => (
            Vec::new(),
            skipped(
                "no vision-language model is configured ([models.critic] in c2w.toml or C2W_CRITIC_MODEL)"
                    .into(),
            ),
            None,
        ),
        Ok(Some(v)) => match contact_sheet.and_then(|p| std::fs::read(p).ok()) {
            Some(png) => critic.ask_vlm(v, png, report),
            None => (
                Vec::new(),
                skipped("no contact sheet: the run was not rendered".into()),
                None,
            ),
        },
    };
    let mut diff = critic.diff(report, visual, (findings, vec![status]));
    diff.vlm_scores = scores;
    diff
}

/// Reads and validates a scene brief.
pub fn read_brief(path: &Path) -> Result<Brief, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the brief {}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("the brief {} is not valid: {e}", path.display()))
}
