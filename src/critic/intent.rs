//! Intent: did the world do what was asked? The script's own `expect`
//! clauses, and expectations derived from the scene brief.

use std::collections::BTreeMap;

use glam::{Quat, Vec3};

use super::finding::{Category, Finding, Severity};
use crate::brief::Brief;
use crate::measure::ExpectationResult;
use crate::sim::Frame;
use crate::world::particles::ParticleStyle;
use crate::world::{AnimTarget, EntityId, LightKind, Motion, Property, World};

#[derive(Default)]
struct SubjectTrack {
    times: Vec<f64>,
    positions: Vec<Vec3>,
    rotations: Vec<Quat>,
    velocities: Vec<Vec3>,
    /// World angular velocity, rad/s.
    spins: Vec<Vec3>,
}

#[derive(Default)]
struct EmitterTrack {
    /// Sum over frames of the mean velocity of moving particles.
    velocity_sum: Vec3,
    frames: u32,
    /// (time, mean velocity of moving particles) of every frame with some.
    per_frame: Vec<(f64, Vec3)>,
    max_count: u32,
    /// Whether particle angles changed between frames (tumbling).
    tumbles: bool,
    last_angle: Option<f32>,
}

/// Collects what brief checks need.
#[derive(Default)]
pub struct IntentRecorder {
    subjects: BTreeMap<String, SubjectTrack>,
    emitters: BTreeMap<usize, EmitterTrack>,
    sun_elevations: Vec<f32>,
    light_intensity: BTreeMap<usize, (f32, f32)>,
    last_frame: (u64, f64),
    /// Frames in which some liquid or grains flowed (mean particle speed
    /// at least [`FLOW_MIN_SPEED`]).
    fluid_flow_frames: u32,
}

/// Mean particle speed of a liquid or grains that counts as flowing, m/s.
const FLOW_MIN_SPEED: f32 = 0.1;

/// Entities a brief name refers to: the entity of that name, entities
/// tagged with it, and numbered ones (`tree_3`).
pub fn matching_entities(world: &World, name: &str) -> Vec<EntityId> {
    if name.is_empty() {
        return Vec::new();
    }
    let prefix = format!("{name}_");
    world
        .entities
        .iter()
        .filter(|e| {
            e.name.as_deref() == Some(name)
                || e.tags.iter().any(|t| t == name)
                || e.name.as_deref().is_some_and(|n| {
                    n.strip_prefix(&prefix)
                        .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()))
                })
        })
        .map(|e| e.id)
        .collect()
}

impl IntentRecorder {
    pub fn record(&mut self, world: &World, frame: &Frame, brief: Option<&Brief>) {
        self.last_frame = (frame.index, frame.time);
        if let Some(b) = brief {
            for d in &b.dynamics {
                if let Some(id) = matching_entities(world, &d.subject).first() {
                    let i = id.index();
                    let t = frame.transforms[i];
                    let (v, w) = frame.velocities[i];
                    let tr = self.subjects.entry(d.subject.clone()).or_default();
                    tr.times.push(frame.time);
                    tr.positions.push(t.position);
                    tr.rotations.push(t.rotation);
                    tr.velocities.push(v);
                    tr.spins.push(w * (std::f32::consts::PI / 180.0));
                }
            }
        }
        if frame
            .fluids
            .iter()
            .any(|f| f.stats.count > 0 && f.stats.mean_speed >= FLOW_MIN_SPEED)
        {
            self.fluid_flow_frames += 1;
        }
        let ps = &frame.particles;
        for (e, stats) in ps.stats.iter().enumerate() {
            let tr = self.emitters.entry(e).or_default();
            tr.max_count = tr.max_count.max(stats.count);
            let moving = stats.count.saturating_sub(stats.settled);
            if moving > 0 {
                let v = stats.mean_velocity * (stats.count as f32 / moving as f32);
                tr.velocity_sum += v;
                tr.frames += 1;
                tr.per_frame.push((frame.time, v));
            }
        }
        // Tumbling: compare the first live particle of each emitter between frames.
        let mut seen = BTreeMap::new();
        for (k, e) in ps.emitters.iter().enumerate() {
            seen.entry(*e as usize).or_insert(k);
        }
        for (e, k) in seen {
            let tr = self.emitters.entry(e).or_default();
            let a = ps.angles[k];
            if tr.last_angle.is_some_and(|prev| (prev - a).abs() > 1e-3) {
                tr.tumbles = true;
            }
            tr.last_angle = Some(a);
        }
        for l in &frame.lights {
            if let LightKind::Sun { elevation, .. } = l.kind
                && l.id.0 == 0
            {
                self.sun_elevations.push(elevation);
            }
            let e = self
                .light_intensity
                .entry(l.id.0 as usize)
                .or_insert((f32::MAX, f32::MIN));
            e.0 = e.0.min(l.intensity);
            e.1 = e.1.max(l.intensity);
        }
    }

    /// Checks each asked-for dynamic and object against what happened.
    pub fn brief_findings(&self, world: &World, brief: &Brief) -> Vec<Finding> {
        let mut out = Vec::new();
        let (last_index, last_t) = self.last_frame;
        // Brief findings span the whole run.
        let finding = |id: &str, severity: Severity, who: &str| {
            let f =
                Finding::new(id, Category::Intent, severity).span((0, 0.0), (last_index, last_t));
            if who.is_empty() { f } else { f.entity(who) }
        };
        for o in &brief.objects {
            let found = matching_entities(world, &o.name).len() as u32;
            let want = o.count.max(1);
            if found >= want {
                continue;
            }
            let (severity, message) = if found == 0 {
                (
                    Severity::Error,
                    format!(
                        "the brief asks for '{}' ({}), but no entity is named or tagged \"{}\"",
                        o.name, o.kind, o.name
                    ),
                )
            } else {
                (
                    Severity::Warning,
                    format!(
                        "the brief asks for {want} '{}', the scene has {found}",
                        o.name
                    ),
                )
            };
            out.push(
                finding("intent.missing_object", severity, &o.name)
                    .observed(format!("{found} found"))
                    .expected(format!("{want} named or tagged \"{}\"", o.name))
                    .message(message)
                    .fix(format!(
                        "Create it with name: \"{}\" (or several with tags: [\"{}\"]).",
                        o.name, o.name
                    )),
            );
        }
        for d in &brief.dynamics {
            if let Some(m) = self.check_dynamic(world, d.kind.as_str(), &d.subject, &d.notes) {
                out.push(
                    finding(&format!("intent.{}", d.kind), Severity::Error, &m.who)
                        .observed(m.observed)
                        .expected(m.expected)
                        .message(m.message)
                        .fix(m.fix),
                );
            }
        }
        out
    }

    fn emitters_of(world: &World, styles: &[ParticleStyle]) -> Vec<usize> {
        world
            .emitters
            .iter()
            .enumerate()
            .filter(|(_, e)| styles.contains(&e.style))
            .map(|(i, _)| i)
            .collect()
    }

    fn mean_velocity(&self, e: usize) -> Option<Vec3> {
        self.emitters
            .get(&e)
            .filter(|t| t.frames > 0)
            .map(|t| t.velocity_sum / t.frames as f32)
    }

    /// Mean particle velocity in each whole second of the clip (and a last
    /// part of at least half a second).
    fn window_means(&self, e: usize) -> Vec<(f64, Vec3)> {
        let Some(t) = self.emitters.get(&e) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut start = 0.0;
        let end = self.last_frame.1;
        while start + 0.5 <= end {
            let inside: Vec<Vec3> = t
                .per_frame
                .iter()
                .filter(|(time, _)| *time >= start && *time < start + 1.0)
                .map(|(_, v)| *v)
                .collect();
            if inside.len() >= 3 {
                let mean = inside.iter().copied().sum::<Vec3>() / inside.len() as f32;
                out.push((start, mean));
            }
            start += 1.0;
        }
        out
    }

    /// Checks one asked-for dynamic; `Some` when it is not seen.
    fn check_dynamic(&self, world: &World, kind: &str, subject: &str, notes: &str) -> Option<Miss> {
        match kind {
            "rain" => self.rain(world, notes),
            "snow" => self.particles_move(world, &[ParticleStyle::Snow], false, "snow", "snow"),
            "falling_leaves" => self.falling_leaves(world),
            "fire" | "embers" => self.particles_move(
                world,
                &[ParticleStyle::Ember, ParticleStyle::Spark],
                true,
                "fire",
                if kind == "fire" { "fire" } else { "embers" },
            ),
            "steam" => self.particles_move(world, &[ParticleStyle::Steam], true, "steam", "steam"),
            "wind" => Self::wind(world),
            "sways" => Self::sways(world),
            "glows" => Self::glows(world, subject),
            "flickers" => self.flickers(),
            "time_of_day" => self.time_of_day(),
            "flutters" | "drapes" | "wobbles" | "squashes" => {
                Self::deformable_motion(world, kind, subject)
            }
            "pulsates" => Self::pulsates(world, subject),
            "flows" => self.flows(world),
            _ => self.check_subject_motion(world, kind, subject),
        }
    }

    /// Particles of the given styles exist and keep rising (or falling).
    fn particles_move(
        &self,
        world: &World,
        styles: &[ParticleStyle],
        rising: bool,
        what: &str,
        preset: &str,
    ) -> Option<Miss> {
        let ids = Self::emitters_of(world, styles);
        if ids.is_empty() {
            return Some(
                Miss::new("")
                    .observed("no such emitter")
                    .expected(format!("a {what} emitter"))
                    .message(format!(
                        "the brief asks for {what}, but there is no {what} emitter"
                    ))
                    .fix(format!("Add emitter(\"{preset}\", #{{ ... }}).")),
            );
        }
        let right = |v: Vec3| if rising { v.y > 0.02 } else { v.y < -0.02 };
        let ok = ids
            .iter()
            .any(|e| self.mean_velocity(*e).is_some_and(right));
        // Judged per second too: a motion that reverses after the first
        // second is wrong however the whole clip averages.
        let wrong_window = ids
            .iter()
            .find_map(|e| self.window_means(*e).into_iter().find(|(_, v)| !right(*v)));
        if let (true, Some((t, v))) = (ok, wrong_window) {
            return Some(
                Miss::new("")
                    .observed(format!("mean vertical velocity {:.2} m/s from t = {t:.1} s", v.y))
                    .expected(if rising {
                        "rising (vertical velocity > 0) in every second"
                    } else {
                        "falling (vertical velocity < 0) in every second"
                    })
                    .message(format!(
                        "the {what} particles stop {} from t = {t:.1} s",
                        if rising { "rising" } else { "falling" }
                    ))
                    .fix(if rising {
                        "Keep them rising: negative gravity (or drag towards an updraft) rather than a fast upward launch that gravity turns back."
                    } else {
                        "Keep them falling: positive gravity, and no upward push or negative gravity that turns them back."
                    }),
            );
        }
        if ok {
            return None;
        }
        Some(
            Miss::new("")
                .observed("particles do not move the right way")
                .expected(if rising {
                    "mean vertical velocity > 0"
                } else {
                    "mean vertical velocity < 0"
                })
                .message(format!(
                    "the {what} particles do not {}",
                    if rising { "rise" } else { "fall" }
                ))
                .fix(if rising {
                    "Give them an upward velocity or negative gravity."
                } else {
                    "Give them gravity (> 0) or a downward velocity."
                }),
        )
    }

    /// Rain falls; and slants when the notes ask for it.
    fn rain(&self, world: &World, notes: &str) -> Option<Miss> {
        let r = self.particles_move(world, &[ParticleStyle::Rain], false, "rain", "rain");
        if r.is_some() {
            return r;
        }
        let wants_slant = ["diagonal", "slant", "wind", "angle", "storm"]
            .iter()
            .any(|w| notes.to_lowercase().contains(w));
        if !wants_slant {
            return None;
        }
        let best = Self::emitters_of(world, &[ParticleStyle::Rain])
            .into_iter()
            .filter_map(|e| self.mean_velocity(e))
            .map(|v| (Vec3::new(v.x, 0.0, v.z).length().atan2(-v.y)).to_degrees())
            .fold(0f32, f32::max);
        (!(15.0..=45.0).contains(&best)).then(|| {
            Miss::new("")
                .observed(format!("{best:.0} degrees from vertical"))
                .expected("15-45 degrees from vertical")
                .message(format!(
                    "the rain falls {best:.0} degrees from vertical; diagonal rain slants 15-45 degrees"
                ))
                .fix("Add wind(#{ direction: [1, 0, 0], speed: 4 }) or give the rain a sideways velocity.")
        })
    }

    /// Leaves fall, and tumble as they do.
    fn falling_leaves(&self, world: &World) -> Option<Miss> {
        let r = self.particles_move(world, &[ParticleStyle::Leaf], false, "leaf", "leaves");
        if r.is_some() {
            return r;
        }
        let tumbles = Self::emitters_of(world, &[ParticleStyle::Leaf])
            .iter()
            .any(|e| self.emitters.get(e).is_some_and(|t| t.tumbles));
        (!tumbles).then(|| {
            Miss::new("")
                .observed("leaves do not turn")
                .expected("leaves tumble as they fall")
                .message("the falling leaves do not spin")
                .fix("Give the leaf emitter spin: 180 (degrees per second).")
        })
    }

    fn has_wind(world: &World) -> bool {
        world
            .fields
            .iter()
            .any(|f| matches!(f.kind, crate::world::FieldKind::Wind { .. }))
    }

    fn wind(world: &World) -> Option<Miss> {
        (!Self::has_wind(world)).then(|| {
            Miss::new("")
                .observed("no wind")
                .expected("a wind field")
                .message("the brief asks for wind, but there is no wind()")
                .fix("Add wind(#{ speed: 3, gust: 0.5 }).")
        })
    }

    /// Swaying needs both foliage with sway and a wind to drive it.
    fn sways(world: &World) -> Option<Miss> {
        let swaying = world.entities.iter().any(|e| e.sway > 0.0);
        let wind = Self::has_wind(world);
        (!(swaying && wind)).then(|| {
            Miss::new("")
                .observed(format!("sway set: {swaying}, wind: {wind}"))
                .expected("entities with sway > 0 and a wind field")
                .message("nothing sways: swaying needs foliage with sway and a wind")
                .fix("Give foliage sway: 0.5 and add wind().")
        })
    }

    /// The subject (or, when no entity matches, anything) is emissive.
    fn glows(world: &World, subject: &str) -> Option<Miss> {
        let ids = matching_entities(world, subject);
        let glowing = |id: &EntityId| world.entity(*id).material.emissive_strength > 0.0;
        let any = if ids.is_empty() {
            world
                .entities
                .iter()
                .any(|e| e.material.emissive_strength > 0.0)
        } else {
            ids.iter().any(glowing)
        };
        (!any).then(|| {
            Miss::new(subject)
                .observed("no emission")
                .expected("emissive_strength > 0")
                .message(format!("'{subject}' does not glow"))
                .fix(format!(
                    "Give '{subject}' emissive: \"...\" and emissive_strength: 2."
                ))
        })
    }

    fn flickers(&self) -> Option<Miss> {
        let flicker = self
            .light_intensity
            .values()
            .any(|(lo, hi)| *hi > 0.0 && (hi - lo) / hi > 0.1);
        (!flicker).then(|| {
            Miss::new("")
                .observed("steady lights")
                .expected("a light whose intensity varies by > 10 %")
                .message("no light flickers")
                .fix("Animate a light: oscillate(light, \"intensity\", 3, 2.5).")
        })
    }

    fn time_of_day(&self) -> Option<Miss> {
        let (lo, hi) = self
            .sun_elevations
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), e| (a.min(*e), b.max(*e)));
        let change = if self.sun_elevations.is_empty() {
            0.0
        } else {
            hi - lo
        };
        (change < 20.0).then(|| {
            Miss::new("")
                .observed(format!("sun elevation changes {change:.0} degrees"))
                .expected(">= 20 degrees")
                .message("the sun hardly moves: the time of day does not pass")
                .fix("Animate the sun: animate(sun_light, \"time_of_day\", [[0, 6], [10, 20]]).")
        })
    }

    /// Cloth motions need a cloth, soft-body ones a soft body.
    fn deformable_motion(world: &World, kind: &str, subject: &str) -> Option<Miss> {
        let cloth = matches!(kind, "flutters" | "drapes");
        let has = world.deformables.iter().any(|d| {
            matches!(
                (d, cloth),
                (crate::world::Deformable::Cloth(_), true)
                    | (crate::world::Deformable::Soft(_), false)
            )
        });
        (!has).then(|| {
            let (what, fix) = if cloth {
                ("a cloth", "Make it with cloth([w, h], #{ pin: \"left\", attach: pole }) and add wind(...).")
            } else {
                ("a soft body", "Make it with soft_body(\"box\", #{ size: ..., position: ... }) and let it drop.")
            };
            let body = if cloth { "cloth" } else { "soft body" };
            Miss::new(subject)
                .observed(format!("no {body}"))
                .expected(what)
                .message(format!("'{subject}' cannot {kind}: the world has no {body}"))
                .fix(fix)
        })
    }

    /// A rhythmic scale track on the subject (or anything, when none
    /// matches), or a soft body of the subject whose rest shape pulses (a
    /// jellyfish's bell, anchored to it or named like it).
    fn pulsates(world: &World, subject: &str) -> Option<Miss> {
        let ids = matching_entities(world, subject);
        let belongs = |id: EntityId| ids.is_empty() || ids.iter().any(|s| is_within(world, id, *s));
        let scaled = world.tracks.iter().any(|t| {
            matches!(
                t.motion,
                Motion::Oscillate { .. } | Motion::Keys { repeat: true, .. }
            ) && matches!(t.property, Property::Scale)
                && matches!(t.target, AnimTarget::Entity(id) if belongs(id))
        });
        let pulsing_body = world.deformables.iter().any(|d| match d {
            crate::world::Deformable::Soft(b) => {
                b.pulse.is_some() && (belongs(b.entity) || b.anchor.is_some_and(belongs))
            }
            _ => false,
        });
        let pulses = scaled || pulsing_body;
        (!pulses).then(|| {
            Miss::new(subject)
                .observed("no rhythmic scaling")
                .expected("an oscillating scale")
                .message(format!("'{subject}' does not pulsate"))
                .fix(format!(
                    "oscillate(\"{subject}\", \"scale\", [0.1, -0.08, 0.1], 1.0);"
                ))
        })
    }

    /// Some emitter's particles move sideways on average, or a liquid or
    /// grains flow (sand down a dune) for at least a second's frames.
    fn flows(&self, world: &World) -> Option<Miss> {
        let flowing = (0..world.emitters.len()).any(|e| {
            self.mean_velocity(e)
                .is_some_and(|v| Vec3::new(v.x, 0.0, v.z).length() > 0.1)
        }) || self.fluid_flow_frames as f64 >= world.settings.fps as f64;
        (!flowing).then(|| {
            Miss::new("")
                .observed("no particles move sideways, no liquid or grains flow")
                .expected("particles, a liquid or grains flowing along the ground")
                .message("nothing flows")
                .fix("Emit particles with ground: \"slide\" and a sideways velocity.")
        })
    }

    /// Particles of emitter `e` rise, fall or drift (their mean velocity
    /// up, down, or 5 cm/s in any direction).
    fn emitter_moves(&self, e: usize, kind: &str, subject: &str) -> Option<Miss> {
        let v = self.mean_velocity(e).unwrap_or(Vec3::ZERO);
        let (ok, expected) = match kind {
            "rises" => (
                v.y > 0.05,
                "rising particles (mean vertical speed > 0.05 m/s)",
            ),
            "falls" => (
                v.y < -0.05,
                "falling particles (mean vertical speed < -0.05 m/s)",
            ),
            _ => (
                v.length() > 0.05,
                "moving particles (mean speed > 0.05 m/s)",
            ),
        };
        (!ok).then(|| {
            Miss::new(subject)
                .observed(format!(
                    "mean particle velocity [{:.2}, {:.2}, {:.2}] m/s",
                    v.x, v.y, v.z
                ))
                .expected(expected)
                .message(format!(
                    "the particles of '{subject}' do not {}",
                    super::coverage::verb(kind)
                ))
                .fix(format!(
                    "Give the emitter '{subject}' a velocity that way, or a field that pushes them."
                ))
        })
    }

    fn check_subject_motion(&self, world: &World, kind: &str, subject: &str) -> Option<Miss> {
        let Some(tr) = self.subjects.get(subject).filter(|t| t.positions.len() > 1) else {
            // "Bubbles rise", "sparks fall", "dust drifts": the subject is
            // an emitter's particles, judged by their mean velocity.
            if let Some(e) = world
                .emitters
                .iter()
                .position(|e| e.name.as_deref() == Some(subject))
                && matches!(kind, "rises" | "falls" | "drifts")
            {
                return self.emitter_moves(e, kind, subject);
            }
            return match kind {
                "falls" | "rolls" | "slides" | "bounces" | "spins" | "swings" | "topples"
                | "drifts" | "rises" | "static" => Some(
                    Miss::new(subject)
                        .observed("not in the scene")
                        .expected(format!("an entity named \"{subject}\""))
                        .message(format!(
                            "the brief says '{subject}' {kind}, but there is no entity of that name"
                        ))
                        .fix(format!("Name the entity: #{{ name: \"{subject}\" }}.")),
                ),
                _ => None,
            };
        };
        let m = Measured::new(subject, tr);
        match kind {
            "falls" => m.falls(),
            "rolls" => m.rolls(world),
            "slides" => m.slides(),
            "bounces" => m.bounces(),
            "spins" => m.spins(),
            "swings" => m.swings(),
            "topples" => m.topples(),
            "drifts" => m.drifts(),
            "rises" => m.rises(),
            "static" => m.stays_static(),
            _ => None,
        }
    }
}

/// A brief dynamic that was not seen: the parts of its finding.
struct Miss {
    /// The entity to point at; empty for scene-wide dynamics.
    who: String,
    observed: String,
    expected: String,
    message: String,
    fix: String,
}

impl Miss {
    fn new(who: &str) -> Self {
        Self {
            who: who.to_string(),
            observed: String::new(),
            expected: String::new(),
            message: String::new(),
            fix: String::new(),
        }
    }

    fn observed(mut self, s: impl Into<String>) -> Self {
        self.observed = s.into();
        self
    }

    fn expected(mut self, s: impl Into<String>) -> Self {
        self.expected = s.into();
        self
    }

    fn message(mut self, s: impl Into<String>) -> Self {
        self.message = s.into();
        self
    }

    fn fix(mut self, s: impl Into<String>) -> Self {
        self.fix = s.into();
        self
    }
}

/// A subject's recorded track and what every motion check measures of it,
/// computed once.
struct Measured<'a> {
    subject: &'a str,
    tr: &'a SubjectTrack,
    n: usize,
    start: Vec3,
    /// Greatest horizontal distance from the start, m.
    travel: f32,
    /// Greatest fall below the start, m.
    drop: f32,
    /// Greatest rise above the start, m.
    rise: f32,
    /// Total rotation over the clip, degrees.
    turned: f32,
}

impl<'a> Measured<'a> {
    fn new(subject: &'a str, tr: &'a SubjectTrack) -> Self {
        let n = tr.positions.len();
        let start = tr.positions[0];
        let travel = tr
            .positions
            .iter()
            .map(|p| Vec3::new(p.x - start.x, 0.0, p.z - start.z).length())
            .fold(0f32, f32::max);
        let drop = tr
            .positions
            .iter()
            .map(|p| start.y - p.y)
            .fold(0f32, f32::max);
        let rise = tr
            .positions
            .iter()
            .map(|p| p.y - start.y)
            .fold(0f32, f32::max);
        let turned: f32 = (1..n)
            .map(|k| tr.rotations[k - 1].angle_between(tr.rotations[k]))
            .sum::<f32>()
            .to_degrees();
        Self {
            subject,
            tr,
            n,
            start,
            travel,
            drop,
            rise,
            turned,
        }
    }

    fn dt(&self, k: usize) -> f32 {
        (self.tr.times[k] - self.tr.times[k - 1]) as f32
    }

    /// Greatest distance from the start in any direction, m.
    fn moved(&self) -> f32 {
        self.tr
            .positions
            .iter()
            .map(|p| p.distance(self.start))
            .fold(0f32, f32::max)
    }

    fn miss(&self) -> Miss {
        Miss::new(self.subject)
    }

    fn falls(&self) -> Option<Miss> {
        let (subject, drop) = (self.subject, self.drop);
        (drop < 0.2).then(|| {
            self.miss()
                .observed(format!("dropped {drop:.2} m"))
                .expected(">= 0.2 m")
                .message(format!("'{subject}' does not fall"))
                .fix("Make it body: \"dynamic\" and start it above what it falls onto.")
        })
    }

    fn rolls(&self, world: &World) -> Option<Miss> {
        let (subject, travel, turned, tr) = (self.subject, self.travel, self.turned, self.tr);
        if travel < 0.2 {
            return Some(
                self.miss()
                    .observed(format!("travelled {travel:.2} m"))
                    .expected(">= 0.2 m")
                    .message(format!("'{subject}' never rolls: it travels {travel:.2} m"))
                    .fix("Give it an initial velocity (and a matching angular_velocity) or an impulse."),
            );
        }
        // Rolling turns about the long axis: compare spin along it with all spin.
        let e = world.entity(matching_entities(world, subject)[0]);
        let half = e.shape.half_extents();
        let long = if half.x >= half.y && half.x >= half.z {
            Vec3::X
        } else if half.y >= half.z {
            Vec3::Y
        } else {
            Vec3::Z
        };
        let symmetric = (half.max_element() - half.min_element()) < 1e-3;
        let (along, total) = (1..self.n).fold((0f32, 0f32), |(a, t), k| {
            let axis = tr.rotations[k] * long;
            (
                a + tr.spins[k].dot(axis).abs() * self.dt(k),
                t + tr.spins[k].length() * self.dt(k),
            )
        });
        (turned < 180.0 || (!symmetric && along < 0.7 * total)).then(|| {
            self.miss()
                .observed(format!(
                    "turned {turned:.0} degrees, {:.0} % about its long axis",
                    100.0 * along / total.max(1e-6)
                ))
                .expected(">= 180 degrees, mostly about its long axis")
                .message(format!("'{subject}' slides or tumbles instead of rolling"))
                .fix("Lay it on its side so its long axis is horizontal and perpendicular to the motion, and set angular_velocity = speed / radius about that axis.")
        })
    }

    fn slides(&self) -> Option<Miss> {
        let (subject, travel) = (self.subject, self.travel);
        (travel < 0.2).then(|| {
            self.miss()
                .observed(format!("travelled {travel:.2} m"))
                .expected(">= 0.2 m")
                .message(format!("'{subject}' does not slide"))
                .fix("Give it an initial velocity along the surface; lower friction.")
        })
    }

    /// A bounce: the vertical velocity flips from falling to rising.
    fn bounces(&self) -> Option<Miss> {
        let v = &self.tr.velocities;
        let bounces = (1..self.n)
            .filter(|&k| v[k - 1].y < -0.3 && v[k].y > 0.3)
            .count();
        (bounces == 0).then(|| {
            self.miss()
                .observed("no bounce")
                .expected(">= 1 bounce")
                .message(format!("'{}' does not bounce", self.subject))
                .fix("Raise its restitution (0.6-0.9) and drop it from a height.")
        })
    }

    fn spins(&self) -> Option<Miss> {
        let turned = self.turned;
        (turned < 180.0).then(|| {
            self.miss()
                .observed(format!("turned {turned:.0} degrees"))
                .expected(">= 180 degrees")
                .message(format!("'{}' does not spin", self.subject))
                .fix("Give it angular_velocity, a torque_impulse, or spin(entity, axis, speed).")
        })
    }

    /// A swing turns back and forth: the spin reverses at least twice.
    fn swings(&self) -> Option<Miss> {
        let (s, turned) = (&self.tr.spins, self.turned);
        let flips = (2..self.n)
            .filter(|&k| s[k].dot(s[k - 1]) < 0.0 && s[k].length() > 0.05)
            .count();
        (turned < 30.0 || flips < 2).then(|| {
            self.miss()
                .observed(format!("turned {turned:.0} degrees, {flips} reversals"))
                .expected("a back-and-forth swing")
                .message(format!("'{}' does not swing", self.subject))
                .fix("Hang it from a hinge or distance joint and start it displaced from rest.")
        })
    }

    /// Toppled: the final up axis is far from vertical.
    fn topples(&self) -> Option<Miss> {
        let up = self.tr.rotations[self.n - 1] * Vec3::Y;
        let tilt = up.y.clamp(-1.0, 1.0).acos().to_degrees();
        (tilt < 60.0).then(|| {
            self.miss()
                .observed(format!("tilted {tilt:.0} degrees"))
                .expected(">= 60 degrees")
                .message(format!("'{}' does not topple", self.subject))
                .fix("Push it near its top (impulse with a point) or make it unstable.")
        })
    }

    fn drifts(&self) -> Option<Miss> {
        let moved = self.moved();
        (moved < 0.5).then(|| {
            self.miss()
                .observed(format!("moved {moved:.2} m"))
                .expected(">= 0.5 m")
                .message(format!("'{}' does not drift", self.subject))
                .fix("follow_path(entity, points, duration) or a gentle velocity.")
        })
    }

    fn rises(&self) -> Option<Miss> {
        let rise = self.rise;
        (rise < 0.2).then(|| {
            self.miss()
                .observed(format!("rose {rise:.2} m"))
                .expected(">= 0.2 m")
                .message(format!("'{}' does not rise", self.subject))
                .fix("Move it up: follow_path, an upward velocity, or negative gravity_scale.")
        })
    }

    /// The brief's "static": the subject stays (within 1 cm) where it began.
    fn stays_static(&self) -> Option<Miss> {
        let moved = self.moved();
        (moved > 0.01).then(|| {
            self.miss()
                .observed(format!("moved {moved:.3} m"))
                .expected("stays put")
                .message(format!("'{}' should stay still but moves", self.subject))
                .fix("Make it body: \"fixed\", or rest it stably.")
        })
    }
}

fn is_within(world: &World, id: EntityId, ancestor: EntityId) -> bool {
    let mut cur = Some(id);
    while let Some(c) = cur {
        if c == ancestor {
            return true;
        }
        cur = world.entity(c).parent;
    }
    false
}

/// A failed expectation as a finding, with a fix in API terms.
pub fn expectation_finding(x: &ExpectationResult, fps: u32, last: (u64, f64)) -> Finding {
    let fix = match x.kind.as_str() {
        "moves" => {
            "Give it an initial velocity, an impulse or a force, and check it is body: \"dynamic\" and free to move."
        }
        "stays_still" => {
            "Make it body: \"fixed\", or rest it on a support instead of above or inside one."
        }
        "rests" => "Add friction or damping, lower restitution, or give it more time.",
        "above_ground" => {
            "Keep it above the ground: check the ground is a fixed plane under it, enable ccd or raise substeps."
        }
        "reaches" => {
            "Aim it: change the direction and strength of its velocity or impulse, or remove what blocks it."
        }
        "no_overlap" => {
            "Start them apart (touching, not inside each other); raise substeps for fast bodies."
        }
        "rotates" => {
            "Give it angular_velocity or a torque_impulse; a rolling body needs speed and spin together."
        }
        "particles_fall" => {
            "Make the particles fall: gravity > 0 or a downward velocity, and a positive rate."
        }
        "particles_rise" => {
            "Make the particles rise: negative gravity or an upward velocity, and a positive rate."
        }
        _ => "Change the scene so this expectation holds.",
    };
    let message = if x.kind == "moves" && x.observed < 0.01 {
        format!(
            "'{}' never moves: {}",
            x.subject,
            fix.trim_end_matches('.').to_lowercase()
        )
    } else {
        x.message.clone()
    };
    let at = x.at.unwrap_or(last.1);
    Finding {
        id: format!("intent.expect.{}", x.kind),
        category: Category::Intent,
        severity: Severity::Error,
        entities: vec![x.subject.clone()],
        time: [at.min(last.1), last.1],
        frames: [((at * fps as f64).round() as u64).min(last.0), last.0],
        observed: format!("{:.3}", x.observed),
        expected: x.expected.clone(),
        message: format!("{message} (expect on line {})", x.line),
        fix: fix.to_string(),
    }
}
