//! `c2w generate`: the whole pipeline into one folder, resumable.
//!
//! Every stage's result becomes a file as soon as it exists; on `--resume`
//! a stage whose file is there is not redone:
//!
//! ```text
//! DIR/generate.json         the prompt, seed and settings (written first)
//! DIR/brief.json            the planner's brief
//! DIR/objects/NAME.rhai     each object's maker (+ NAME.json, its check, and renders)
//! DIR/scene/*.rhai          environment, layout, camera, dynamics
//! DIR/rounds/K/             each round's script, report, critic diff or error, contact sheet
//! DIR/transcript.jsonl      every model call, appended as it finishes
//! DIR/world.rhai, video.mp4, report.json, critic.json, contact_sheet.png: the best round, rendered
//! DIR/summary.md            written last: its presence means the run is finished
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::client::{ModelClient, Transcript, Usage};
use super::code::{Pieces, assemble};
use super::config::AgentConfig;
use super::objects::{ObjectCheck, check_object};
use super::retrieve::Index;
use super::rounds;
use super::scene_facts::SceneFacts;
use super::stages::{self, Problem, StageContext};
use super::templates;
use super::{AgentError, Progress, error_text};
use crate::brief::Brief;
use crate::critic::vlm::{ProviderCritic, VisionCritic};
use crate::critic::{CriticDiff, Verdict};
use crate::limits::Limits;
use crate::pipeline::job::{VlmChoice, WorldJob, run_job};
use crate::render::{Quality, RenderOptions};
use crate::script::{ScriptError, Session};
use crate::util::fsx::{write_atomic, write_json_atomic};

/// What `c2w generate` was asked.
pub struct GenerateOptions {
    /// Needed unless resuming (then it must match, if given).
    pub prompt: Option<String>,
    pub out: PathBuf,
    pub resume: bool,
    pub config: AgentConfig,
    /// How the final world is rendered; `None`: not at all. Rounds render
    /// small drafts with the same adapter.
    pub render: Option<RenderOptions>,
    pub video_quality: crate::video::Quality,
    pub quiet: bool,
    /// Stops the generation between stages and rounds, and any world it is
    /// running (an MCP client that cancels).
    pub cancel: crate::limits::Cancel,
}

/// The error of a generation stopped through its cancel flag.
fn stop_if_cancelled(o: &GenerateOptions) -> Result<(), AgentError> {
    if o.cancel.is_cancelled() {
        return Err(AgentError::Usage(
            "cancelled; continue with --resume from the files written so far".into(),
        ));
    }
    Ok(())
}

/// Run options whose worlds stop when the generation is cancelled.
fn run_options(o: &GenerateOptions) -> crate::pipeline::RunOptions {
    crate::pipeline::RunOptions {
        limits: crate::limits::Limits {
            cancel: o.cancel.clone(),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// What is remembered about the run in `generate.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct RunState {
    prompt: String,
    seed: u64,
    rounds: u32,
    version: String,
}

/// One round's outcome, `rounds/K/result.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RoundRecord {
    pub round: u32,
    /// The critic's verdict; `None` when the script failed (written
    /// "error").
    #[serde(with = "outcome_json::verdict")]
    pub verdict: Option<Verdict>,
    /// The critic's score; `None` when the script failed (written -1).
    #[serde(with = "outcome_json::score")]
    pub score: Option<u32>,
    pub findings: usize,
    pub error: Option<String>,
    pub elapsed_ms: u64,
    /// What the repairer is told; `None` when the round passed.
    pub problem: Option<Problem>,
}

/// The final world's outcome, `final.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FinalRecord {
    /// The round whose script it is.
    pub round: u32,
    /// The critic's verdict; `None` when the script failed (written
    /// "error").
    #[serde(with = "outcome_json::verdict")]
    pub verdict: Option<Verdict>,
    /// The critic's score; `None` when the script failed (written -1).
    #[serde(with = "outcome_json::score")]
    pub score: Option<u32>,
    pub error: Option<String>,
    /// The critic's findings, a line each.
    pub findings: Vec<String>,
}

impl FinalRecord {
    pub fn passed(&self) -> bool {
        self.verdict == Some(Verdict::Pass)
    }
}

/// How a round's or the final world's outcome is written: the verdict as
/// "pass", "fail" or "error", the score as a number, -1 without one. The
/// files and the tool answers keep this form for their readers (`c2w
/// batch` reads `final.json`; a resumed run reads its rounds back).
pub mod outcome_json {
    use crate::critic::Verdict;

    pub fn verdict_name(v: Option<Verdict>) -> &'static str {
        match v {
            Some(Verdict::Pass) => "pass",
            Some(Verdict::Fail) => "fail",
            None => "error",
        }
    }

    pub fn score_value(s: Option<u32>) -> i64 {
        s.map_or(-1, i64::from)
    }

    pub mod verdict {
        use serde::{Deserialize, Deserializer, Serializer, de::Error};

        use crate::critic::Verdict;

        pub fn serialize<S: Serializer>(v: &Option<Verdict>, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(super::verdict_name(*v))
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Verdict>, D::Error> {
            match String::deserialize(d)?.as_str() {
                "pass" => Ok(Some(Verdict::Pass)),
                "fail" => Ok(Some(Verdict::Fail)),
                "error" => Ok(None),
                other => Err(D::Error::custom(format!(
                    "verdict must be pass, fail or error, not {other}"
                ))),
            }
        }
    }

    pub mod score {
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(v: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_i64(super::score_value(*v))
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
            Ok(u32::try_from(i64::deserialize(d)?).ok())
        }
    }
}

/// What a finished generation gives back.
pub struct GenerateOutcome {
    pub out: PathBuf,
    pub brief: Brief,
    pub rounds: Vec<RoundRecord>,
    pub best_round: u32,
    pub final_world: FinalRecord,
    pub usage: Vec<(String, Usage)>,
    pub elapsed_s: f64,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> AgentError {
    AgentError::Io(format!("cannot {what} {}: {e}", path.display()))
}

fn read_text(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_str(&read_text(path)?).ok()
}

fn save(path: &Path, text: &str) -> Result<(), AgentError> {
    write_atomic(path, text.as_bytes()).map_err(|e| io("write", path, e))
}

fn save_json<T: Serialize>(path: &Path, v: &T) -> Result<(), AgentError> {
    write_json_atomic(path, v).map_err(|e| io("write", path, e))
}

/// A seed from the prompt, so one prompt gives one world unless told
/// otherwise.
fn seed_of(prompt: &str) -> u64 {
    let mut h = crate::util::hash::StateHasher::default();
    h.bytes(prompt.as_bytes());
    h.finish() % 1_000_000
}

/// Opens (or creates) the run folder and settles what the run is.
fn open_run(o: &GenerateOptions) -> Result<RunState, AgentError> {
    let state_path = o.out.join("generate.json");
    let existing: Option<RunState> = read_json(&state_path);
    match (existing, o.resume) {
        (Some(s), true) => {
            if let Some(p) = &o.prompt
                && p.trim() != s.prompt.trim()
            {
                return Err(AgentError::Usage(format!(
                    "{} was generated from another prompt ({:?}); resume it without a prompt, or choose another --out",
                    o.out.display(),
                    s.prompt
                )));
            }
            let s = RunState {
                rounds: o.config.rounds,
                ..s
            };
            save_json(&state_path, &s)?;
            Ok(s)
        }
        (Some(_), false) => Err(AgentError::Usage(format!(
            "{} already holds a generation: add --resume to continue it, or choose another --out",
            o.out.display()
        ))),
        (None, resume) => {
            let non_empty = std::fs::read_dir(&o.out)
                .map(|mut d| d.next().is_some())
                .unwrap_or(false);
            if non_empty {
                return Err(AgentError::Usage(format!(
                    "{} is not empty and holds no generation to {}: choose another --out",
                    o.out.display(),
                    if resume { "resume" } else { "overwrite" }
                )));
            }
            let Some(prompt) = o.prompt.clone().filter(|p| !p.trim().is_empty()) else {
                return Err(AgentError::Usage(if resume {
                    format!("nothing to resume in {}", o.out.display())
                } else {
                    "give a prompt: c2w generate \"a ball rolls down a ramp\"".into()
                }));
            };
            let s = RunState {
                seed: o.config.seed.unwrap_or_else(|| seed_of(&prompt)),
                prompt,
                rounds: o.config.rounds,
                version: env!("CARGO_PKG_VERSION").into(),
            };
            std::fs::create_dir_all(&o.out).map_err(|e| io("create", &o.out, e))?;
            save_json(&state_path, &s)?;
            Ok(s)
        }
    }
}

/// The render options for rounds: the final run's adapter, small and draft.
fn round_render(o: &GenerateOptions) -> Option<RenderOptions> {
    o.render.as_ref().map(|r| RenderOptions {
        width: o.config.round_size.0,
        height: o.config.round_size.1,
        quality: Quality::Draft,
        ..r.clone()
    })
}

/// The vision critic, if one is configured.
fn vision(config: &AgentConfig) -> Option<ProviderCritic> {
    config
        .critic
        .as_ref()
        .map(|c| ProviderCritic::new(c.config.clone()))
}

fn vlm_choice(config: &AgentConfig) -> VlmChoice {
    match vision(config) {
        Some(v) => VlmChoice::Given(Box::new(v)),
        None => VlmChoice::Off("no vision-language model is configured for the critic role".into()),
    }
}

/// A piece from its file, or from `make` (which gets the previous failure)
/// checked by `check`; `make` is called at most twice. When both fail, the
/// first is kept if `keep_first_on_failure` (compact mode, where it is the
/// template's), else the last (the rounds repair the whole script); the
/// flag says whether it passed.
fn piece(
    path: &Path,
    progress: &Progress,
    stage: &str,
    keep_first_on_failure: bool,
    mut make: impl FnMut(Option<&str>) -> Result<String, AgentError>,
    check: impl Fn(&str) -> Result<(), String>,
) -> Result<(String, bool), AgentError> {
    if let Some(code) = read_text(path) {
        progress.say(stage, "done earlier, kept");
        let passed = check(&code).is_ok();
        return Ok((code, passed));
    }
    let mut code = make(None)?;
    let mut passed = true;
    if let Err(problem) = check(&code) {
        progress.say(stage, &format!("retrying: {}", first_line(&problem)));
        let retry = make(Some(&problem))?;
        if let Err(retry_problem) = check(&retry) {
            passed = false;
            // A template's piece that failed a check still beats a small
            // model's retry that failed too (it wrote a script that does
            // not parse in Code4D-05): keep the first.
            let kept = if keep_first_on_failure {
                "kept the first try"
            } else {
                code = retry;
                "left to the rounds"
            };
            progress.say(
                stage,
                &format!("still failing, {kept}: {}", first_line(&retry_problem)),
            );
        } else {
            code = retry;
        }
    }
    save(path, &code)?;
    Ok((code, passed))
}

/// Takes a piece into the script, and into the checked set when it passed.
fn accept(all: &mut String, sound: &mut String, code: String, passed: bool) {
    if passed {
        sound.clone_from(&code);
    }
    *all = code;
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Runs the pipeline.
pub fn generate(o: GenerateOptions) -> Result<GenerateOutcome, AgentError> {
    let started = Instant::now();
    let progress = Progress::new(o.quiet);
    let state = open_run(&o)?;
    let out = o.out.clone();
    let transcript_path = out.join("transcript.jsonl");
    let transcript =
        Transcript::open(&transcript_path).map_err(|e| io("open", &transcript_path, e))?;
    let client = |role: &'static str, m: &super::config::RoleModel| {
        ModelClient::new(
            role,
            m.clone(),
            o.config.cache_dir.clone(),
            Some(transcript.clone()),
        )
        .map_err(|e| AgentError::Model {
            stage: role.into(),
            error: e,
        })
    };
    let mut planner = client("planner", &o.config.planner)?;
    let mut coder = client("coder", &o.config.coder)?;
    for c in [&mut planner, &mut coder] {
        if let Some(live) = progress.live_line(c.role()) {
            c.set_live_line(live);
        }
    }
    let session = Session::new(Limits::default(), None);
    let index = Index::build(session.registry());
    let cx = StageContext {
        planner: &planner,
        coder: &coder,
        index: &index,
        grammar: o.config.grammar,
        compact: o.config.compact,
        progress: &progress,
    };
    let vision_critic = vision(&o.config);
    let draft_render = round_render(&o);

    stop_if_cancelled(&o)?;
    // 1. The brief.
    let brief_path = out.join("brief.json");
    let brief: Brief = match read_json(&brief_path) {
        Some(b) => {
            progress.say("plan", "done earlier, kept");
            b
        }
        None => {
            let b = stages::plan(&cx, &state.prompt)?;
            save_json(&brief_path, &b)?;
            b
        }
    };
    progress.say(
        "plan",
        &format!(
            "\"{}\": {} objects, {} dynamics, {:.0} s",
            brief.title,
            brief.objects.len(),
            brief.dynamics.len(),
            brief.duration
        ),
    );
    let seed = state.seed;
    // Every piece, for the script; and only those that passed their checks,
    // so that one broken piece does not fail every later stage's check.
    let mut pieces = Pieces::default();
    let mut sound = Pieces::default();

    stop_if_cancelled(&o)?;
    // 2. The object stream.
    let objects_dir = out.join("objects");
    for obj in &brief.objects {
        let stage = format!("object {}", obj.name);
        let path = objects_dir.join(format!("{}.rhai", obj.name));
        let last_check = std::cell::RefCell::new(ObjectCheck::default());
        let (code, passed) = piece(
            &path,
            &progress,
            &stage,
            false,
            |feedback| stages::write_object(&cx, &brief, obj, feedback),
            |code| {
                let c = check_object(
                    obj,
                    code,
                    draft_render.as_ref(),
                    vision_critic.as_ref().map(|v| v as &dyn VisionCritic),
                    &objects_dir,
                );
                let result = if c.passed() {
                    Ok(())
                } else {
                    Err(c.problems.join("\n"))
                };
                *last_check.borrow_mut() = c;
                result
            },
        )?;
        let check = last_check.into_inner();
        if !check.object.is_empty() {
            save_json(&objects_dir.join(format!("{}.json", obj.name)), &check)?;
        }
        // A maker that failed twice is replaced by a plain stand-in of the
        // right size, shape and colour, so the world still runs and later
        // stages can place and name it; the model's version stays in
        // objects/ for reading.
        let code = if passed {
            code
        } else {
            progress.say(&stage, "using a plain stand-in");
            templates::stand_in(obj)
        };
        sound.objects.push((obj.name.clone(), code.clone()));
        pieces.objects.push((obj.name.clone(), code));
    }

    stop_if_cancelled(&o)?;
    // 3. The scene stream: environment, layout, camera.
    let scene_dir = out.join("scene");
    let builds = |p: &Pieces| -> Result<SceneFacts, String> {
        SceneFacts::build(&assemble(&brief, seed, p)).map_err(|e| error_text(&e))
    };
    let (code, passed) = piece(
        &scene_dir.join("environment.rhai"),
        &progress,
        "environment",
        cx.compact,
        |f| stages::write_environment(&cx, &brief, f),
        |code| {
            let mut p = sound.clone();
            p.environment = code.to_string();
            builds(&p).map(|_| ())
        },
    )?;
    accept(
        &mut pieces.environment,
        &mut sound.environment,
        code,
        passed,
    );
    let facts = builds(&sound).unwrap_or_default();
    let (code, passed) = piece(
        &scene_dir.join("layout.rhai"),
        &progress,
        "layout",
        cx.compact,
        |f| {
            let measure = |layout: &str| {
                let mut p = sound.clone();
                p.layout = layout.to_string();
                builds(&p).ok()
            };
            stages::write_layout(&cx, &brief, &facts, &measure, f)
        },
        |code| {
            let mut p = sound.clone();
            p.layout = code.to_string();
            let facts = builds(&p)?;
            let missing: Vec<&str> = brief
                .objects
                .iter()
                .filter(|o| facts.thing(&o.name).is_none())
                .map(|o| o.name.as_str())
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "these objects are never placed: {} (call their make_ functions)",
                    missing.join(", ")
                ))
            }
        },
    )?;
    accept(&mut pieces.layout, &mut sound.layout, code, passed);
    let facts = builds(&sound).unwrap_or_default();
    let (code, passed) = piece(
        &scene_dir.join("camera.rhai"),
        &progress,
        "camera",
        cx.compact,
        |f| stages::write_camera(&cx, &brief, &facts, f),
        |code| {
            let mut p = sound.clone();
            p.camera = code.to_string();
            let facts = builds(&p)?;
            if facts.camera_set {
                Ok(())
            } else {
                Err("no camera(...) call".into())
            }
        },
    )?;

    accept(&mut pieces.camera, &mut sound.camera, code, passed);

    stop_if_cancelled(&o)?;
    // 4. PostProcess: the dynamics.
    let facts = builds(&sound).unwrap_or_default();
    let (code, passed) = piece(
        &scene_dir.join("dynamics.rhai"),
        &progress,
        "dynamics",
        // Here the retry is the template's starter: keep the last.
        false,
        |f| {
            // What its errors say exactly how to mend is mended before the check.
            let runs = |code: &str| {
                let mut p = sound.clone();
                p.dynamics = code.to_string();
                builds(&p).is_ok()
            };
            let code = stages::write_dynamics(&cx, &brief, &facts, &runs, f)?;
            let mut p = sound.clone();
            p.dynamics = code.clone();
            let whole = assemble(&brief, seed, &p);
            let mended = rounds::mended_from_errors(&whole);
            Ok(if mended == whole {
                code
            } else {
                stages::section_body(&mended, "dynamics").unwrap_or(code)
            })
        },
        |code| {
            let mut p = sound.clone();
            p.dynamics = code.to_string();
            builds(&p).map(|_| ())
        },
    )?;
    // A strong model repairs a broken piece from its error; a small one
    // rarely does, so compact mode runs the world without it and repairs
    // from what the critic then sees.
    pieces.dynamics = if passed || !cx.compact {
        code
    } else {
        progress.say("dynamics", "left out: it does not build");
        "// The model's dynamics did not build and were left out (see scene/dynamics.rhai).".into()
    };

    // What the templates plan for this brief, as data, for whoever reads
    // the folder: in compact mode the scene's pieces are this plan compiled,
    // except a piece a model wrote after the plan's version failed.
    if cx.compact {
        let measure = |tail: &str| {
            let p = Pieces {
                objects: sound.objects.clone(),
                layout: tail.to_string(),
                ..Pieces::default()
            };
            builds(&p).ok()
        };
        save_json(
            &scene_dir.join("plan.json"),
            &templates::scene_plan(&brief, &measure),
        )?;
    }

    // 5. Rounds of running, judging and repairing.
    let mut records: Vec<RoundRecord> = Vec::new();
    let mut script = assemble(&brief, seed, &pieces);
    for round in 1..=state.rounds {
        stop_if_cancelled(&o)?;
        let dir = out.join("rounds").join(round.to_string());
        let script_path = dir.join("world.rhai");
        match read_text(&script_path) {
            Some(s) => script = s,
            None => save(&script_path, &script)?,
        }
        let record = match read_json::<RoundRecord>(&dir.join("result.json")) {
            Some(r) => {
                progress.say(
                    &format!("round {round}"),
                    &format!(
                        "done earlier: {} (score {})",
                        outcome_json::verdict_name(r.verdict),
                        outcome_json::score_value(r.score)
                    ),
                );
                r
            }
            None => {
                progress.say(
                    &format!("round {round}/{}", state.rounds),
                    "running and judging",
                );
                let r = run_round(&o, &brief, &script, &dir, round, draft_render.clone())?;
                progress.say(
                    &format!("round {round}/{}", state.rounds),
                    &match &r.error {
                        Some(e) => format!("script error: {}", first_line(e)),
                        None => format!(
                            "critic {}: score {}, {} findings",
                            outcome_json::verdict_name(r.verdict),
                            outcome_json::score_value(r.score),
                            r.findings
                        ),
                    },
                );
                r
            }
        };
        let passed = record.verdict == Some(Verdict::Pass);
        records.push(record);
        if passed || round == state.rounds {
            break;
        }
        let next_path = out
            .join("rounds")
            .join((round + 1).to_string())
            .join("world.rhai");
        if read_text(&next_path).is_some() {
            continue;
        }
        // Repair from the best round that ran, not from a repair that broke
        // it; the repair is built before it becomes the next round.
        let script_of =
            |k: u32| read_text(&out.join("rounds").join(k.to_string()).join("world.rhai"));
        let Some(base) = rounds::repair_base(&records, &script, script_of) else {
            break;
        };
        if base.round != round {
            progress.say(
                &format!("round {round}"),
                &format!("worse than round {}: repairing that one again", base.round),
            );
        }
        let (next, mut repair) = rounds::checked_repair(&cx, &brief, seed, &base, round)?;
        if base.round != round {
            repair.set_aside = Some(round);
        }
        save_json(
            &out.join("rounds")
                .join((round + 1).to_string())
                .join("repair.json"),
            &repair,
        )?;
        let Some(next) = next else {
            progress.say(
                &format!("round {round}"),
                &format!("no repair builds: round {} stays the best", base.round),
            );
            break;
        };
        script = next;
        save(&next_path, &script)?;
    }

    // The best round, rendered in full at the top of the folder.
    let best = rounds::best_round(&records)
        .or(records.first())
        .map(|r| r.round)
        .unwrap_or(1);
    let best_script =
        read_text(&out.join("rounds").join(best.to_string()).join("world.rhai")).unwrap_or(script);
    let final_path = out.join("final.json");
    let final_world = match read_json::<FinalRecord>(&final_path)
        .filter(|f| f.round == best && out.join("summary.md").exists())
    {
        Some(f) => {
            progress.say("final", "rendered earlier, kept");
            f
        }
        None => {
            progress.say("final", &format!("rendering round {best}, the best"));
            stop_if_cancelled(&o)?;
            let job = WorldJob {
                run: run_options(&o),
                video_quality: o.video_quality,
                critic: true,
                brief: Some(brief.clone()),
                vlm: vlm_choice(&o.config),
                // The final world also as an animated scene, for `c2w view`.
                gltf: true,
                ..WorldJob::new(out.clone(), o.render.clone())
            };
            let outcome = run_job(&best_script, job).map_err(|e| io("write", &out, e))?;
            if let Some(w) = &outcome.render_warning {
                progress.say("final", &format!("not rendered: {w}"));
            }
            let f = final_record(best, outcome.report.error.as_ref(), outcome.diff.as_ref());
            save_json(&final_path, &f)?;
            f
        }
    };
    let usage = vec![
        ("planner".to_string(), planner.usage()),
        ("coder".to_string(), coder.usage()),
    ];
    let result = GenerateOutcome {
        out: out.clone(),
        brief,
        rounds: records,
        best_round: best,
        final_world,
        usage,
        elapsed_s: started.elapsed().as_secs_f64(),
    };
    save(&out.join("summary.md"), &summary(&state, &result))?;
    progress.say("done", &format!("wrote {}", out.display()));
    Ok(result)
}

fn final_record(round: u32, error: Option<&ScriptError>, diff: Option<&CriticDiff>) -> FinalRecord {
    match (error, diff) {
        (Some(e), _) => FinalRecord {
            round,
            verdict: None,
            score: None,
            error: Some(error_text(e)),
            findings: Vec::new(),
        },
        (None, Some(d)) => FinalRecord {
            round,
            verdict: Some(d.verdict),
            score: Some(d.score),
            error: None,
            findings: d
                .findings
                .iter()
                .map(|f| format!("{:?} {}: {}", f.severity, f.id, f.message).to_lowercase())
                .collect(),
        },
        (None, None) => FinalRecord {
            round,
            verdict: Some(Verdict::Fail),
            score: Some(0),
            error: None,
            findings: Vec::new(),
        },
    }
}

fn run_round(
    o: &GenerateOptions,
    brief: &Brief,
    script: &str,
    dir: &Path,
    round: u32,
    render: Option<RenderOptions>,
) -> Result<RoundRecord, AgentError> {
    let started = Instant::now();
    let mut job = WorldJob::new(dir.to_path_buf(), render);
    job.run = run_options(o);
    job.critic = true;
    job.brief = Some(brief.clone());
    job.vlm = vlm_choice(&o.config);
    job.video = false;
    let outcome = run_job(script, job).map_err(|e| io("write", dir, e))?;
    let record = match (&outcome.report.error, &outcome.diff) {
        (Some(e), _) => RoundRecord {
            round,
            verdict: None,
            score: None,
            findings: 0,
            error: Some(error_text(e)),
            elapsed_ms: started.elapsed().as_millis() as u64,
            problem: Some(Problem::from_error(e)),
        },
        (None, Some(d)) => RoundRecord {
            round,
            verdict: Some(d.verdict),
            score: Some(d.score),
            findings: d.findings.len(),
            error: None,
            elapsed_ms: started.elapsed().as_millis() as u64,
            problem: (d.verdict == Verdict::Fail).then(|| Problem::from_diff(d)),
        },
        (None, None) => RoundRecord {
            round,
            verdict: Some(Verdict::Fail),
            score: Some(0),
            findings: 0,
            error: None,
            elapsed_ms: started.elapsed().as_millis() as u64,
            problem: None,
        },
    };
    save_json(&dir.join("result.json"), &record)?;
    Ok(record)
}

/// `summary.md`: what was asked, what each round gave, what it cost.
fn summary(state: &RunState, r: &GenerateOutcome) -> String {
    let mut s = format!(
        "# {}\n\nPrompt: {}\n\nSeed: {}\n\n",
        r.brief.title, state.prompt, state.seed
    );
    s.push_str(
        "## Rounds\n\n| round | verdict | score | findings | time |\n|---|---|---|---|---|\n",
    );
    for x in &r.rounds {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {:.1} s |\n",
            x.round,
            outcome_json::verdict_name(x.verdict),
            x.score.map_or_else(|| "-".into(), |s| s.to_string()),
            x.findings,
            x.elapsed_ms as f64 / 1000.0
        ));
    }
    s.push_str(&format!(
        "\nBest: round {} (its script is world.rhai).\n",
        r.best_round
    ));
    let f = &r.final_world;
    match &f.error {
        Some(e) => s.push_str(&format!("\nThe final world fails: {}\n", first_line(e))),
        None => {
            s.push_str(&format!(
                "\nFinal critic verdict: {} (score {}).\n",
                outcome_json::verdict_name(f.verdict),
                outcome_json::score_value(f.score)
            ));
            for line in f.findings.iter().take(10) {
                s.push_str(&format!("- {line}\n"));
            }
        }
    }
    s.push_str("\n## Models\n\n| role | calls | cached | input tokens | output tokens | model time | cost |\n|---|---|---|---|---|---|---|\n");
    for (role, u) in &r.usage {
        s.push_str(&format!(
            "| {role} | {} | {} | {} | {} | {:.1} s | {} |\n",
            u.calls,
            u.cached,
            u.input_tokens,
            u.output_tokens,
            u.model_ms as f64 / 1000.0,
            u.cost_usd
                .map(|c| format!("${c:.4}"))
                .unwrap_or_else(|| "-".into())
        ));
    }
    s.push_str(&format!("\nWall time: {:.1} s.\n", r.elapsed_s));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two failing tries: compact mode keeps the template's first, a model
    /// pipeline the model's last; a retry that passes is always taken.
    #[test]
    fn a_failing_retry_does_not_replace_the_templates_piece_in_compact_mode() {
        let dir = tempfile::tempdir().unwrap();
        let progress = Progress::new(true);
        let run = |name: &str, keep_first: bool, second_passes: bool| {
            let mut tries = vec!["second", "first"];
            piece(
                &dir.path().join(name),
                &progress,
                "layout",
                keep_first,
                |_| Ok(tries.pop().unwrap().to_string()),
                |code| {
                    if code == "second" && second_passes {
                        Ok(())
                    } else {
                        Err("not placed".into())
                    }
                },
            )
            .unwrap()
        };
        assert_eq!(run("a", true, false), ("first".to_string(), false));
        assert_eq!(run("b", false, false), ("second".to_string(), false));
        assert_eq!(run("c", true, true), ("second".to_string(), true));
    }
}
