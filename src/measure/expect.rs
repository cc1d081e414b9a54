//! Evaluating a script's expectations over the frames of a run.

use glam::{Quat, Vec3};
use serde::Serialize;

use crate::sim::Frame;
use crate::world::{EntityId, ExpectKind, Expectation, Subject, World};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExpectationResult {
    pub kind: String,
    pub subject: String,
    pub passed: bool,
    /// What was measured, in the expectation's units.
    pub observed: f64,
    /// What it was compared with, in words.
    pub expected: String,
    pub message: String,
    pub line: usize,
    /// When it was decided (first success or the worst moment), seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<f64>,
}

/// Running state of one expectation.
#[derive(Debug, Clone)]
struct Track {
    start: Option<Vec3>,
    last_rot: Option<Quat>,
    best: f64,
    worst: f64,
    at: Option<f64>,
    max_count: u32,
    vy_sum: f64,
    vy_frames: u32,
    ground: f32,
    /// Deformables: height extent at the first frame, its range, the last
    /// value and direction, and how often it turned.
    ext0: Option<f32>,
    ext_range: (f32, f32),
    last_ext: f32,
    last_dir: f32,
    turns: u32,
    final_speed: f32,
    worst_stretch: f32,
    first: Option<f64>,
    slope: Option<f32>,
}

pub struct ExpectationTracker {
    expectations: Vec<Expectation>,
    tracks: Vec<Track>,
}

fn entity_of(s: &Subject) -> Option<EntityId> {
    match s {
        Subject::Entity(id) => Some(*id),
        Subject::Emitter(_) => None,
    }
}

impl ExpectationTracker {
    pub fn new(world: &World) -> ExpectationTracker {
        let transforms = world.world_transforms();
        let tracks = world
            .expectations
            .iter()
            .map(|x| {
                let ground = match x.subject {
                    Subject::Entity(id) => {
                        let p = transforms[id.index()].position;
                        world.ground_height(&transforms, p.x, p.z).unwrap_or(0.0)
                    }
                    Subject::Emitter(_) => 0.0,
                };
                Track {
                    start: None,
                    last_rot: None,
                    best: 0.0,
                    worst: 0.0,
                    at: None,
                    max_count: 0,
                    vy_sum: 0.0,
                    vy_frames: 0,
                    ground,
                    ext0: None,
                    ext_range: (f32::MAX, f32::MIN),
                    last_ext: 0.0,
                    last_dir: 0.0,
                    turns: 0,
                    final_speed: 0.0,
                    worst_stretch: 0.0,
                    first: None,
                    slope: None,
                }
            })
            .collect();
        ExpectationTracker {
            expectations: world.expectations.clone(),
            tracks,
        }
    }

    pub fn record(&mut self, world: &World, frame: &Frame) {
        let t = frame.time;
        for (x, tr) in self.expectations.iter().zip(self.tracks.iter_mut()) {
            if let Subject::Emitter(id) = x.subject {
                if let Some(s) = frame.particles.stats.get(id.0 as usize) {
                    tr.max_count = tr.max_count.max(s.count);
                    let moving = s.count - s.settled.min(s.count);
                    if moving > 0 {
                        // Mean over moving particles only: settled ones are at rest.
                        let vy = s.mean_velocity.y as f64 * s.count as f64 / moving as f64;
                        tr.vy_sum += vy;
                        tr.vy_frames += 1;
                    }
                }
                continue;
            }
            let Some(id) = entity_of(&x.subject) else {
                continue;
            };
            let mut pose = frame.transforms[id.index()];
            // Cloth and soft bodies: their centre is the vertices' centroid.
            let deform = frame.deformables.iter().find(|d| d.entity == id);
            if let Some(d) = deform {
                pose.position = d.stats.centroid;
            }
            let start = *tr.start.get_or_insert(pose.position);
            let (v, w) = frame.velocities[id.index()];
            match &x.kind {
                ExpectKind::Moves { by, .. } => {
                    if by.is_none_or(|b| t <= b + 1e-9) {
                        let d = pose.position.distance(start) as f64;
                        if d > tr.best {
                            tr.best = d;
                            tr.at = Some(t);
                        }
                    }
                }
                ExpectKind::StaysStill { .. } => {
                    let d = pose.position.distance(start) as f64;
                    if d > tr.worst {
                        tr.worst = d;
                        tr.at = Some(t);
                    }
                }
                ExpectKind::Rests { by, .. } => {
                    let e = world.entity(id);
                    let radius = (e.shape.half_extents() * pose.scale).max_element();
                    let speed = (v.length() + w.length().to_radians() * radius) as f64;
                    if t + 1e-9 >= *by - 1.0 / world.settings.fps as f64 && speed > tr.worst {
                        tr.worst = speed;
                        tr.at = Some(t);
                    }
                }
                ExpectKind::AboveGround { .. } => {
                    let bottom = match (deform, frame.aabbs[id.index()]) {
                        (Some(d), _) => d.stats.min.y,
                        (None, Some((lo, _))) => lo.y,
                        (None, None) => pose.position.y,
                    } as f64;
                    if tr.at.is_none() || bottom < tr.worst {
                        tr.worst = bottom;
                        tr.at = Some(t);
                    }
                }
                ExpectKind::Reaches { min, max, by } => {
                    let p = pose.position;
                    if tr.at.is_none()
                        && t <= *by + 1e-9
                        && p.cmpge(*min).all()
                        && p.cmple(*max).all()
                    {
                        tr.at = Some(t);
                    }
                    let centre = (*min + *max) * 0.5;
                    let d = p.distance(centre) as f64;
                    if tr.best == 0.0 || d < tr.best {
                        tr.best = d;
                    }
                }
                ExpectKind::NoOverlap { other, .. } => {
                    let owner_of = |e: EntityId| world.body_owner(e).unwrap_or(e);
                    let me = owner_of(id);
                    for (a, b, depth) in &frame.penetrations {
                        let (oa, ob) = (owner_of(*a), owner_of(*b));
                        let involves = match other {
                            Some(o) => {
                                let o = owner_of(*o);
                                (oa == me && ob == o) || (ob == me && oa == o)
                            }
                            None => oa == me || ob == me,
                        };
                        if involves && oa != ob && *depth as f64 > tr.worst {
                            tr.worst = *depth as f64;
                            tr.at = Some(t);
                        }
                    }
                }
                ExpectKind::Rotates { .. } => {
                    if let Some(prev) = tr.last_rot {
                        tr.best += prev.angle_between(pose.rotation).to_degrees() as f64;
                    }
                    tr.last_rot = Some(pose.rotation);
                }
                ExpectKind::ParticlesFall { .. } | ExpectKind::ParticlesRise { .. } => {}
                ExpectKind::Flutters { after, .. } => {
                    if let Some(d) = deform
                        && t + 1e-9 >= *after
                    {
                        tr.vy_sum += d.stats.mean_speed as f64;
                        tr.vy_frames += 1;
                    }
                }
                ExpectKind::Wobbles { .. } | ExpectKind::Drapes { .. } => {
                    if let Some(d) = deform {
                        let ext = d.stats.max.y - d.stats.min.y;
                        let e0 = *tr.ext0.get_or_insert(ext);
                        tr.ext_range = (tr.ext_range.0.min(ext), tr.ext_range.1.max(ext));
                        // A turn counts once the height has moved 0.5 % of the rest height.
                        let delta = ext - tr.last_ext;
                        if delta.abs() > e0.max(1e-6) * 0.005 {
                            let dir = delta.signum();
                            if tr.last_dir != 0.0 && dir != tr.last_dir {
                                tr.turns += 1;
                            }
                            tr.last_dir = dir;
                            tr.last_ext = ext;
                        }
                        tr.final_speed = d.stats.mean_speed;
                        tr.worst_stretch = tr.worst_stretch.max(d.stats.max_stretch);
                    }
                }
                ExpectKind::Fills { body, .. } => {
                    let held = held_count(world, frame, id, *body) as f64;
                    tr.first.get_or_insert(held);
                    tr.best = held;
                    tr.at = Some(t);
                }
                ExpectKind::Pours { .. } => {
                    if let Some(v) = frame.fluids.iter().find(|f| f.entity == id) {
                        tr.best = v.stats.emitted as f64;
                        let n = v.stats.count;
                        tr.max_count = tr.max_count.max(n);
                        if v.stats.moving > 0.0 && t > 0.0 {
                            // Mean vertical displacement of the body, per frame.
                            let cy = v.stats.centroid.y as f64;
                            if let Some(prev) = tr.first {
                                tr.vy_sum += cy - prev;
                                tr.vy_frames += 1;
                            }
                            tr.first = Some(cy);
                        }
                    }
                }
                ExpectKind::Piles { .. } => {
                    if let Some(v) = frame.fluids.iter().find(|f| f.entity == id) {
                        tr.slope = v.stats.slope;
                        tr.at = Some(t);
                    }
                }
            }
        }
    }

    pub fn finish(&self) -> Vec<ExpectationResult> {
        self.expectations
            .iter()
            .zip(&self.tracks)
            .map(|(x, tr)| evaluate(x, tr))
            .collect()
    }
}

fn evaluate(x: &Expectation, tr: &Track) -> ExpectationResult {
    let name = &x.subject_name;
    let (passed, observed, expected, message) = match &x.kind {
        ExpectKind::Moves { min_distance, by } => {
            let ok = tr.best >= *min_distance as f64;
            let when = by.map(|b| format!(" by t = {b} s")).unwrap_or_default();
            (
                ok,
                tr.best,
                format!(">= {min_distance} m{when}"),
                if ok {
                    format!("'{name}' moved {:.2} m", tr.best)
                } else {
                    format!(
                        "'{name}' moved only {:.3} m{when}, expected at least {min_distance} m",
                        tr.best
                    )
                },
            )
        }
        ExpectKind::StaysStill { tolerance } => {
            let ok = tr.worst <= *tolerance as f64;
            (
                ok,
                tr.worst,
                format!("<= {tolerance} m"),
                if ok {
                    format!("'{name}' stayed in place")
                } else {
                    format!(
                        "'{name}' moved {:.3} m from its start, expected to stay within {tolerance} m",
                        tr.worst
                    )
                },
            )
        }
        ExpectKind::Rests { by, speed } => {
            let ok = tr.worst <= *speed as f64;
            (
                ok,
                tr.worst,
                format!("speed <= {speed} m/s from t = {by} s"),
                if ok {
                    format!("'{name}' was at rest by t = {by} s")
                } else {
                    format!(
                        "'{name}' was still moving at {:.3} m/s after t = {by} s",
                        tr.worst
                    )
                },
            )
        }
        ExpectKind::AboveGround { min_height } => {
            let floor = (tr.ground + min_height) as f64;
            let ok = tr.worst >= floor;
            (
                ok,
                tr.worst,
                format!("lowest point >= {floor:.3} m"),
                if ok {
                    format!("'{name}' stayed above the ground")
                } else {
                    format!(
                        "'{name}' went down to {:.3} m, below the ground at {:.3} m",
                        tr.worst, tr.ground
                    )
                },
            )
        }
        ExpectKind::Reaches { min, max, by } => {
            let ok = tr.at.is_some();
            (
                ok,
                tr.best,
                format!("inside [{min}, {max}] by t = {by} s"),
                if ok {
                    format!(
                        "'{name}' reached the region at t = {:.2} s",
                        tr.at.unwrap_or(0.0)
                    )
                } else {
                    format!(
                        "'{name}' never reached the region by t = {by} s (closest {:.2} m from its centre)",
                        tr.best
                    )
                },
            )
        }
        ExpectKind::NoOverlap { tolerance, .. } => {
            let ok = tr.worst <= *tolerance as f64;
            (
                ok,
                tr.worst,
                format!("penetration <= {tolerance} m"),
                if ok {
                    format!("'{name}' did not overlap")
                } else {
                    format!("'{name}' penetrated {:.3} m into another body", tr.worst)
                },
            )
        }
        ExpectKind::Rotates { min_degrees } => {
            let ok = tr.best >= *min_degrees as f64;
            (
                ok,
                tr.best,
                format!(">= {min_degrees} degrees"),
                if ok {
                    format!("'{name}' turned {:.0} degrees", tr.best)
                } else {
                    format!(
                        "'{name}' turned only {:.1} degrees, expected at least {min_degrees}",
                        tr.best
                    )
                },
            )
        }
        ExpectKind::ParticlesFall { min_count } | ExpectKind::ParticlesRise { min_count } => {
            let rise = matches!(x.kind, ExpectKind::ParticlesRise { .. });
            let mean_vy = if tr.vy_frames > 0 {
                tr.vy_sum / tr.vy_frames as f64
            } else {
                0.0
            };
            let dir_ok = if rise {
                mean_vy > 0.02
            } else {
                mean_vy < -0.02
            };
            let count_ok = tr.max_count >= *min_count;
            let ok = dir_ok && count_ok;
            let word = if rise { "rise" } else { "fall" };
            (
                ok,
                mean_vy,
                format!(
                    "mean vertical velocity {} 0 and at least {min_count} particles",
                    if rise { ">" } else { "<" }
                ),
                if ok {
                    format!(
                        "particles of '{name}' {word} (mean vertical speed {mean_vy:.2} m/s, up to {} alive)",
                        tr.max_count
                    )
                } else if !count_ok {
                    format!(
                        "'{name}' had at most {} particles alive, expected at least {min_count}",
                        tr.max_count
                    )
                } else {
                    format!(
                        "particles of '{name}' do not {word}: mean vertical velocity {mean_vy:.3} m/s"
                    )
                },
            )
        }
        ExpectKind::Flutters { min_speed, after } => {
            let mean = if tr.vy_frames > 0 {
                tr.vy_sum / tr.vy_frames as f64
            } else {
                0.0
            };
            let ok = mean >= *min_speed as f64;
            (
                ok,
                mean,
                format!("mean vertex speed >= {min_speed} m/s from t = {after} s"),
                if ok {
                    format!("'{name}' kept moving (mean vertex speed {mean:.2} m/s)")
                } else {
                    format!(
                        "'{name}' hardly moves: mean vertex speed {mean:.3} m/s, expected at least {min_speed} (more wind, lighter cloth, or a free edge)"
                    )
                },
            )
        }
        ExpectKind::Wobbles { min_amplitude } => {
            let e0 = tr.ext0.unwrap_or(0.0).max(1e-6);
            let amp = ((tr.ext_range.1 - tr.ext_range.0).max(0.0) / e0) as f64;
            let ok = amp >= *min_amplitude as f64 && tr.turns >= 2;
            (
                ok,
                amp,
                format!("height change >= {min_amplitude} of rest, swinging back and forth"),
                if ok {
                    format!(
                        "'{name}' wobbled ({:.0} % of its height, {} turns)",
                        amp * 100.0,
                        tr.turns
                    )
                } else {
                    format!(
                        "'{name}' did not wobble: height changed {:.1} % with {} turns, expected {:.0} % and 2 turns (softer compliance, a drop or a push)",
                        amp * 100.0,
                        tr.turns,
                        min_amplitude * 100.0
                    )
                },
            )
        }
        ExpectKind::Drapes { speed } => {
            let ok = tr.final_speed <= *speed && tr.worst_stretch < 0.1;
            (
                ok,
                tr.final_speed as f64,
                format!("mean vertex speed <= {speed} m/s at the end, stretch < 10 %"),
                if ok {
                    format!(
                        "'{name}' settled (stretch at most {:.1} %)",
                        tr.worst_stretch * 100.0
                    )
                } else if tr.worst_stretch >= 0.1 {
                    format!(
                        "'{name}' stretched {:.0} %, more than 10 %",
                        tr.worst_stretch * 100.0
                    )
                } else {
                    format!(
                        "'{name}' was still moving at {:.3} m/s at the end",
                        tr.final_speed
                    )
                },
            )
        }
        ExpectKind::Fills { min_count, .. } => {
            let start = tr.first.unwrap_or(0.0);
            let ok = tr.best >= *min_count as f64 && tr.best > start;
            (
                ok,
                tr.best,
                format!(">= {min_count} particles held, more than at the start"),
                if ok {
                    format!(
                        "'{name}' filled: {:.0} particles held (from {start:.0})",
                        tr.best
                    )
                } else {
                    format!(
                        "'{name}' holds {:.0} particles at the end (from {start:.0}), expected at least {min_count} and a rise",
                        tr.best
                    )
                },
            )
        }
        ExpectKind::Pours { min_count } => {
            // Born from a source, or (for a fill that runs down, as in an
            // hourglass) a body whose centre sinks by 2 cm or more.
            let descent = -tr.vy_sum;
            let ok = tr.best >= *min_count as f64 || descent >= 0.02;
            (
                ok,
                tr.best,
                format!(">= {min_count} particles poured, or the body's centre sinks >= 2 cm"),
                if ok {
                    format!(
                        "'{name}' poured ({:.0} particles born, centre sank {:.3} m)",
                        tr.best, descent
                    )
                } else {
                    format!(
                        "'{name}' poured only {:.0} particles and its centre sank {descent:.3} m, expected at least {min_count} particles",
                        tr.best
                    )
                },
            )
        }
        ExpectKind::Piles {
            min_angle,
            max_angle,
        } => {
            let s = tr.slope.map_or(-1.0, |s| s as f64);
            let ok = s >= *min_angle as f64 && s <= *max_angle as f64;
            (
                ok,
                s,
                format!("slope in [{min_angle}, {max_angle}] degrees"),
                match tr.slope {
                    Some(v) if ok => format!("'{name}' piled at {v:.1} degrees"),
                    Some(v) => format!(
                        "'{name}' ends with a slope of {v:.1} degrees, expected {min_angle} to {max_angle}"
                    ),
                    None => format!("'{name}' forms no pile (too few grains or flat)"),
                },
            )
        }
    };
    ExpectationResult {
        kind: x.kind.name().to_string(),
        subject: name.clone(),
        passed,
        observed,
        expected,
        message,
        line: x.line,
        at: tr.at,
    }
}

/// World box of a container: its collider, or its parts' colliders.
pub fn container_box(world: &World, frame: &Frame, id: EntityId) -> Option<(Vec3, Vec3)> {
    let mut out: Option<(Vec3, Vec3)> = frame.aabbs.get(id.index()).copied().flatten();
    for e in &world.entities {
        if e.id == id || world.body_owner(e.id) != Some(id) && e.parent != Some(id) {
            continue;
        }
        if let Some((lo, hi)) = frame.aabbs.get(e.id.index()).copied().flatten() {
            out = Some(match out {
                Some((a, b)) => (a.min(lo), b.max(hi)),
                None => (lo, hi),
            });
        }
    }
    out
}

/// Particles of `body` (any fluid when `None`) inside a container's box.
pub fn held_count(
    world: &World,
    frame: &Frame,
    container: EntityId,
    body: Option<EntityId>,
) -> usize {
    let Some((lo, hi)) = container_box(world, frame, container) else {
        return 0;
    };
    frame
        .fluids
        .iter()
        .filter(|f| body.is_none_or(|b| b == f.entity))
        .map(|f| {
            f.positions
                .iter()
                .filter(|p| p.cmpge(lo).all() && p.cmple(hi).all())
                .count()
        })
        .sum()
}
