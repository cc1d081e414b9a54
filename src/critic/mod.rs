//! Stage five: the motion critic. It watches every frame of a run and turns
//! what it measures into a [`CriticDiff`]: findings that say what is wrong,
//! where, when, and what in the API would fix it. Numeric physics checks,
//! visual checks on rendered keyframes, the script's expectations and the
//! brief's asked-for dynamics all feed it; a vision-language model can add
//! its opinion behind the same interface.

pub mod coverage;
pub mod deformable;
pub mod finding;
pub mod fluid;
pub mod intent;
pub mod physics;
pub mod plausible;
pub mod surface;
pub mod visual;
pub mod vlm;

pub use finding::{Category, CheckStatus, CriticDiff, Finding, Severity, Verdict};

use crate::brief::Brief;
use crate::measure::Report;
use crate::script::ScriptError;
use crate::sim::{Frame, FrameSink, SinkError};
use crate::world::{BodyKind, CameraTarget, World};
use intent::IntentRecorder;
use physics::PhysicsRecorder;
use visual::VisualRecorder;

/// Watches a run; [`Critic::finish`] gives the diff.
pub struct Critic {
    brief: Option<Brief>,
    physics: PhysicsRecorder,
    intent: IntentRecorder,
    coverage: coverage::CoverageRecorder,
    last: Option<Frame>,
    fps: u32,
    world_snapshot: Option<World>,
}

impl Critic {
    pub fn new(brief: Option<Brief>) -> Critic {
        let kinds = brief
            .iter()
            .flat_map(|b| &b.objects)
            .filter(|o| !o.kind.is_empty())
            .map(|o| (o.name.clone(), o.kind.clone()))
            .collect();
        Critic {
            brief,
            physics: PhysicsRecorder::new().with_brief_kinds(kinds),
            intent: IntentRecorder::default(),
            coverage: coverage::CoverageRecorder::default(),
            last: None,
            fps: 24,
            world_snapshot: None,
        }
    }

    /// Everything measured, as a diff. `report` gives the expectations;
    /// `extra` adds findings from other checks (visual, VLM).
    pub fn finish(
        &self,
        report: &Report,
        extra: Vec<Finding>,
        mut checks: Vec<CheckStatus>,
    ) -> CriticDiff {
        let mut findings = extra;
        let mut covered = None;
        if let (Some(world), Some(last)) = (&self.world_snapshot, &self.last) {
            findings.extend(self.physics.findings(world, last));
            for s in &world.scheduled {
                if let Some(w) = s.after_end(world.settings.duration) {
                    findings.push(
                        Finding::new("run.after_end", Category::Intent, Severity::Warning)
                            .at(last.index, last.time)
                            .observed(format!("{}() at t = {} s", s.what, s.time))
                            .expected(format!("before the end, t < {} s", world.settings.duration))
                            .message(w)
                            .fix("Schedule it within the clip (at: a time below the duration), or lengthen the clip with world(#{ duration: ... })."),
                    );
                }
            }
            findings.extend(deformable::findings(&report.deformables, last));
            checks.push(CheckStatus {
                name: "physics".into(),
                status: "ran".into(),
            });
            for x in report.expectations.iter().filter(|x| !x.passed) {
                findings.push(intent::expectation_finding(
                    x,
                    self.fps,
                    (last.index, last.time),
                ));
            }
            checks.push(CheckStatus {
                name: "expectations".into(),
                status: if report.expectations.is_empty() {
                    "skipped: the script states no expectations".into()
                } else {
                    "ran".into()
                },
            });
            match &self.brief {
                Some(b) => {
                    let intent = self.intent.brief_findings(world, b);
                    let (rows, more) = coverage::assess(world, b, &self.coverage, last, &intent);
                    findings.extend(intent);
                    findings.extend(more);
                    covered = Some((rows, coverage::richness(world)));
                    checks.push(CheckStatus {
                        name: "brief".into(),
                        status: "ran".into(),
                    });
                }
                None => checks.push(CheckStatus {
                    name: "brief".into(),
                    status: "skipped: no scene brief given".into(),
                }),
            }
        }
        if let Some(e) = &report.error {
            findings.push(error_finding(e, self.last.as_ref()));
        }
        let mut diff = CriticDiff::new(findings, checks, None);
        if let Some((rows, richness)) = covered {
            diff.coverage = rows;
            diff.richness = Some(richness);
        }
        diff
    }
}

impl Critic {
    /// The visual checks' findings, judged against what this run was about:
    /// the brief's objects and the entity the camera follows are subjects;
    /// motion is expected when anything can move.
    pub fn visual_findings(&self, visual: Option<&VisualRecorder>) -> (Vec<Finding>, CheckStatus) {
        let (Some(visual), Some(world)) = (visual, &self.world_snapshot) else {
            let why = "skipped: the run was not rendered (no adapter, or --no-render)";
            return (
                Vec::new(),
                CheckStatus {
                    name: "visual".into(),
                    status: why.into(),
                },
            );
        };
        // A brief object with several copies (ten pins) is one subject: the
        // group is seen when any of it is, and pins hidden behind pins are
        // not missing.
        let mut subjects: Vec<visual::Subject> = Vec::new();
        let mut taken: Vec<crate::world::EntityId> = Vec::new();
        if let Some(b) = &self.brief {
            let main_subject = b.subject_name();
            for o in &b.objects {
                let members: Vec<_> = intent::matching_entities(world, &o.name)
                    .into_iter()
                    .filter(|id| !taken.contains(id))
                    .collect();
                if members.is_empty() {
                    continue;
                }
                taken.extend(&members);
                let name = if members.len() == 1 {
                    world.entity(members[0]).label()
                } else {
                    o.name.clone()
                };
                let least_share = if coverage::is_landscape_kind(&o.kind) {
                    visual::LANDSCAPE_SHARE
                } else {
                    visual::SPECK_SHARE
                };
                subjects.push(visual::Subject {
                    name,
                    members,
                    least_share,
                    main: o.name == main_subject,
                    background: o.role == "background",
                });
            }
        }
        if let CameraTarget::Entity { id } = world.camera.target
            && !taken.contains(&id)
        {
            subjects.push(visual::Subject {
                name: world.entity(id).label(),
                members: vec![id],
                least_share: visual::SPECK_SHARE,
                main: false,
                background: false,
            });
        }
        let motion = !world.emitters.is_empty()
            || !world.tracks.is_empty()
            || world
                .entities
                .iter()
                .any(|e| matches!(e.body.kind, BodyKind::Dynamic | BodyKind::Kinematic));
        (
            visual.findings(world, &subjects, motion),
            CheckStatus {
                name: "visual".into(),
                status: "ran".into(),
            },
        )
    }
}

impl Critic {
    /// The scene brief the run is judged against, if any.
    pub fn brief(&self) -> Option<&Brief> {
        self.brief.as_ref()
    }

    /// Asks a vision-language model about the contact sheet. Its findings
    /// are capped at warnings: a VLM can be wrong, so the verdict rests on
    /// what was measured.
    pub fn ask_vlm(
        &self,
        vlm: &dyn vlm::VisionCritic,
        contact_sheet_png: Vec<u8>,
        report: &Report,
    ) -> (Vec<Finding>, CheckStatus, Option<serde_json::Value>) {
        let request = vlm::VlmRequest {
            images: vec![("contact sheet".into(), contact_sheet_png)],
            brief: self.brief.clone(),
            prompt: self.brief.as_ref().map(|b| b.title.clone()),
            script_summary: format!(
                "{:.1} s at {} fps; {} entities, {} dynamic bodies, {} joints, {} emitters, peak {} particles",
                report.duration,
                report.fps,
                report.counts.entities,
                report.counts.dynamic_bodies,
                report.counts.joints,
                report.counts.emitters,
                report.counts.particles_peak
            ),
        };
        match vlm.review(&request) {
            Ok(review) => {
                let mut findings = vlm::vlm_findings(
                    &review,
                    (0.0, report.duration),
                    (0, report.frames.saturating_sub(1)),
                );
                for f in &mut findings {
                    f.severity = f.severity.max(Severity::Warning);
                }
                let status = CheckStatus {
                    name: "vlm".into(),
                    status: format!("ran: {}", vlm.name()),
                };
                (findings, status, Some(review.scores_json()))
            }
            Err(e) => (
                Vec::new(),
                CheckStatus {
                    name: "vlm".into(),
                    status: format!("failed: {}: {e}", vlm.name()),
                },
                None,
            ),
        }
    }

    /// The whole diff: physics, expectations, brief, and the visual checks
    /// when the run was rendered. `extra` carries findings and check
    /// statuses from elsewhere (the vision-language model).
    pub fn diff(
        &self,
        report: &Report,
        visual: Option<&VisualRecorder>,
        extra: (Vec<Finding>, Vec<CheckStatus>),
    ) -> CriticDiff {
        let (visual_findings, visual_status) = self.visual_findings(visual);
        let (mut findings, mut checks) = extra;
        findings.extend(visual_findings);
        checks.push(visual_status);
        self.finish(report, findings, checks)
    }
}

/// A run that failed is the first thing to fix.
fn error_finding(e: &ScriptError, last: Option<&Frame>) -> Finding {
    let (index, t) = last.map(|f| (f.index, f.time)).unwrap_or((0, 0.0));
    Finding {
        id: format!("run.{}", e.kind.name()),
        category: Category::Intent,
        severity: Severity::Error,
        entities: e.function.iter().cloned().collect(),
        time: [t, t],
        frames: [index, index],
        observed: e.message.clone(),
        expected: "the script runs to the end".into(),
        message: match e.line {
            Some(l) => format!("the run stopped at line {l}: {}", e.message),
            None => format!("the run stopped: {}", e.message),
        },
        fix: e.hint.clone(),
    }
}

impl FrameSink for Critic {
    fn accept(&mut self, world: &World, frame: &Frame) -> Result<(), SinkError> {
        if self.world_snapshot.is_none() {
            self.fps = world.settings.fps;
        }
        self.physics.record(world, frame);
        self.intent.record(world, frame, self.brief.as_ref());
        if self.brief.is_some() {
            self.coverage.record(world, frame);
        }
        Ok(())
    }

    fn end(&mut self, world: &World, last: Option<&Frame>) {
        // The world as it ended and the last frame are what the checks judge.
        self.world_snapshot = Some(world.clone());
        self.last = last.cloned();
    }
}
