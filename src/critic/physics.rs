//! Numeric physics checks over the whole trajectory: what a vision model can
//! only guess at, measured.

use std::collections::BTreeMap;

use glam::Vec3;

use super::finding::{Category, Finding, Severity};
use super::plausible::judge_kind;
use super::surface::Surfaces;
use crate::sim::Frame;
use crate::sim::particles::Ground;
use crate::world::particles::GroundResponse;
use crate::world::{BodyKind, EntityId, Hook, Push, Shape, World};

/// Depth of overlap that always counts as interpenetration, metres; thicker
/// bodies are allowed a quarter of their thinnest dimension, up to 3 cm
/// (soft contacts give a little on impact).
pub const PENETRATION_TOLERANCE: f32 = 0.01;

/// The overlap allowed between two bodies before it counts.
pub fn penetration_tolerance(world: &World, a: EntityId, b: EntityId) -> f32 {
    let thin = |id: EntityId| {
        let e = world.entity(id);
        let h = e.shape.half_extents() * e.transform.scale;
        // Planes and groups have no thickness of their own to speak of.
        if matches!(
            e.shape,
            Shape::Plane { .. } | Shape::Group | Shape::Heightfield { .. }
        ) {
            f32::MAX
        } else {
            2.0 * h.min_element()
        }
    };
    let t = thin(a).min(thin(b));
    if t == f32::MAX {
        PENETRATION_TOLERANCE
    } else {
        (0.25 * t).clamp(PENETRATION_TOLERANCE, 0.03)
    }
}
/// Two fixed entities that overlap: is one of them sunk into the top of the
/// other (a book into a shelf board, a cup into a table)? Returns the upper
/// one and how deep it sits. Ground (planes, terrain) may hold things
/// planted in it, parts of one object may overlap, and sideways overlaps
/// (walls at a corner, a leg into a table top from below) are how things are
/// built; a small sink relative to the upper thing's height is a planted
/// post, not a fault.
fn fixed_sinking(
    world: &World,
    frame: &Frame,
    a: EntityId,
    b: EntityId,
) -> Option<(EntityId, f32)> {
    let ground = |id: EntityId| {
        matches!(
            world.entity(id).shape,
            Shape::Plane { .. } | Shape::Heightfield { .. }
        )
    };
    if ground(a) || ground(b) || root(world, a) == root(world, b) {
        return None;
    }
    let (ba, bb) = (frame.aabbs[a.index()]?, frame.aabbs[b.index()]?);
    let centre = |x: (Vec3, Vec3)| (x.0 + x.1) * 0.5;
    let (upper, lower, ub, lb) = if centre(ba).y >= centre(bb).y {
        (a, b, ba, bb)
    } else {
        (b, a, bb, ba)
    };
    let c = centre(ub);
    let over = c.x >= lb.0.x && c.x <= lb.1.x && c.z >= lb.0.z && c.z <= lb.1.z;
    let sunk = lb.1.y - ub.0.y;
    let height = ub.1.y - ub.0.y;
    let tolerance = penetration_tolerance(world, upper, lower).max(0.15 * height);
    (over && c.y > lb.1.y && sunk > tolerance).then_some((upper, sunk))
}

/// The top-level object an entity belongs to.
fn root(world: &World, id: EntityId) -> EntityId {
    let mut cur = id;
    while let Some(p) = world.entity(cur).parent {
        cur = p;
    }
    cur
}

/// Speeds beyond this are a simulation blowing up, m/s.
pub const EXPLODING_SPEED: f32 = 100.0;

#[derive(Default)]
struct Overlap {
    tolerance: f32,
    /// For two fixed things: the one sunk into the other's top.
    sunk: Option<EntityId>,
    first: (u64, f64),
    last: (u64, f64),
    deepest: f32,
    deepest_at: f64,
}

#[derive(Default)]
struct BodyTrack {
    times: Vec<f64>,
    positions: Vec<Vec3>,
    speeds: Vec<f32>,
    velocities: Vec<Vec3>,
    bottoms: Vec<f32>,
    energies: Vec<f32>,
}

/// A moment a fast body crossed a thin moving one without touching it.
struct Tunnel {
    fast: EntityId,
    thin: EntityId,
    frame: u64,
    time: f64,
    speed: f32,
}

#[derive(Default)]
struct Below {
    first: Option<(u64, f64)>,
    last: (u64, f64),
    most: usize,
}

/// Collects what the physics checks need, frame by frame.
pub struct PhysicsRecorder {
    ground: Option<Ground>,
    /// Every fixed surface as it is, tilted or not, for particles below it.
    surfaces: Option<Surfaces>,
    /// The brief's kind for each object name ("toy car"), for plausibility.
    brief_kinds: BTreeMap<String, String>,
    ground_only: Option<Ground>,
    dynamic: Vec<EntityId>,
    tracks: BTreeMap<EntityId, BodyTrack>,
    overlaps: BTreeMap<(EntityId, EntityId), Overlap>,
    nonfinite: Option<(EntityId, u64, f64)>,
    below: BTreeMap<usize, Below>,
    tunnels: Vec<Tunnel>,
    prev_positions: BTreeMap<EntityId, Vec3>,
    frames: u64,
    last_time: f64,
    fps: u32,
    fluid: super::fluid::FluidRecorder,
}

impl PhysicsRecorder {
    pub fn new() -> PhysicsRecorder {
        PhysicsRecorder {
            ground: None,
            surfaces: None,
            brief_kinds: BTreeMap::new(),
            ground_only: None,
            dynamic: Vec::new(),
            tracks: BTreeMap::new(),
            overlaps: BTreeMap::new(),
            nonfinite: None,
            below: BTreeMap::new(),
            tunnels: Vec::new(),
            prev_positions: BTreeMap::new(),
            frames: 0,
            last_time: 0.0,
            fps: 24,
            fluid: Default::default(),
        }
    }

    /// Judges names against the brief's kinds for them too.
    pub fn with_brief_kinds(mut self, kinds: BTreeMap<String, String>) -> PhysicsRecorder {
        self.brief_kinds = kinds;
        self
    }

    fn owner(world: &World, id: EntityId) -> EntityId {
        world.body_owner(id).unwrap_or(id)
    }

    pub fn record(&mut self, world: &World, frame: &Frame) {
        self.fluid.record(world, frame);
        if self.ground.is_none() {
            self.ground = Some(Ground::from_world(world, &frame.transforms));
            // The ground proper: planes and terrain, not table tops.
            let mut flat_only = world.clone();
            flat_only
                .entities
                .retain(|e| matches!(e.shape, Shape::Plane { .. } | Shape::Heightfield { .. }));
            for (i, e) in flat_only.entities.iter_mut().enumerate() {
                e.id = EntityId(i as u32);
                e.parent = None;
            }
            let t: Vec<_> = world
                .entities
                .iter()
                .filter(|e| matches!(e.shape, Shape::Plane { .. } | Shape::Heightfield { .. }))
                .map(|e| frame.transforms[e.id.index()])
                .collect();
            self.ground_only = Some(Ground::from_world(&flat_only, &t));
            self.surfaces = Some(Surfaces::from_world(world, &frame.transforms));
            self.fps = world.settings.fps;
        }
        // Bodies spawned during the run join as they appear.
        self.dynamic = world
            .entities
            .iter()
            .filter(|e| {
                world.body_owner(e.id) == Some(e.id) && world.body_kind(e.id) == BodyKind::Dynamic
            })
            .map(|e| e.id)
            .collect();
        self.frames = frame.index + 1;
        self.last_time = frame.time;
        for id in &self.dynamic {
            let i = id.index();
            let t = frame.transforms[i];
            let (v, w) = frame.velocities[i];
            if (!t.position.is_finite()
                || !t.rotation.is_finite()
                || !v.is_finite()
                || !w.is_finite())
                && self.nonfinite.is_none()
            {
                self.nonfinite = Some((*id, frame.index, frame.time));
            }
            let bottom = frame.aabbs[i].map(|(lo, _)| lo.y).unwrap_or(t.position.y);
            let tr = self.tracks.entry(*id).or_default();
            tr.times.push(frame.time);
            tr.positions.push(t.position);
            tr.speeds.push(v.length());
            tr.velocities.push(v);
            tr.bottoms.push(bottom);
            tr.energies
                .push(frame.energies.get(i).copied().unwrap_or(0.0));
        }
        self.find_tunnels(world, frame);
        for (a, b, depth) in &frame.penetrations {
            let (oa, ob) = (Self::owner(world, *a), Self::owner(world, *b));
            if oa == ob || *depth <= penetration_tolerance(world, *a, *b) {
                continue;
            }
            // Two fixed things only meet here at the start (or when placed):
            // one sunk into the top of the other is a fault, walls meeting
            // at a corner and posts planted in the ground are not.
            let fixed = |id: EntityId| !world.body_kind(id).moves();
            let (depth, sunk) = if fixed(oa) && fixed(ob) {
                match fixed_sinking(world, frame, *a, *b) {
                    Some((upper, sunk)) => (sunk, Some(Self::owner(world, upper))),
                    None => continue,
                }
            } else {
                (*depth, None)
            };
            let key = if oa < ob { (oa, ob) } else { (ob, oa) };
            let o = self.overlaps.entry(key).or_insert_with(|| Overlap {
                first: (frame.index, frame.time),
                tolerance: penetration_tolerance(world, *a, *b),
                sunk,
                ..Default::default()
            });
            o.last = (frame.index, frame.time);
            if depth > o.deepest {
                o.deepest = depth;
                o.deepest_at = frame.time;
            }
        }
        // Particles below the ground (sampled: it is a per-particle query).
        if frame.index.is_multiple_of(4)
            && let Some(g) = &self.surfaces
            && !g.is_empty()
        {
            let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
            let ps = &frame.particles;
            for (p, e) in ps.positions.iter().zip(&ps.emitters) {
                let em = &world.emitters[*e as usize];
                if em.ground == GroundResponse::Ignore {
                    continue;
                }
                if g.depth_below(*p).is_some_and(|d| d > 0.05) {
                    *counts.entry(*e as usize).or_default() += 1;
                }
            }
            // A few at a time are particles caught mid-step on their way to
            // dying at the surface; a share of the live ones is a leak.
            let mut live: BTreeMap<usize, usize> = BTreeMap::new();
            for e in &ps.emitters {
                *live.entry(*e as usize).or_default() += 1;
            }
            for (e, n) in counts {
                if n < 5 || n * 50 < live.get(&e).copied().unwrap_or(0) {
                    continue;
                }
                let b = self.below.entry(e).or_default();
                b.first.get_or_insert((frame.index, frame.time));
                b.last = (frame.index, frame.time);
                b.most = b.most.max(n);
            }
        }
    }

    /// Fast bodies that passed through thin moving bodies between frames
    /// (rapier sweeps fast bodies against fixed colliders, not moving ones).
    fn find_tunnels(&mut self, world: &World, frame: &Frame) {
        let fps = world.settings.fps as f32;
        let mut now = BTreeMap::new();
        for id in &self.dynamic {
            now.insert(*id, frame.transforms[id.index()].position);
        }
        for (a, pa) in &now {
            let Some(prev) = self.prev_positions.get(a) else {
                continue;
            };
            let step = *pa - *prev;
            let speed = step.length() * fps;
            if speed < 5.0 {
                continue;
            }
            for b in &self.dynamic {
                if b == a || world.body_owner(*b) != Some(*b) {
                    continue;
                }
                let eb = world.entity(*b);
                let tb = frame.transforms[b.index()];
                let half = eb.shape.half_extents() * tb.scale;
                // Only thin things can be passed through in one frame.
                let thin_axis = if half.x <= half.y && half.x <= half.z {
                    0
                } else if half.y <= half.z {
                    1
                } else {
                    2
                };
                if step.length() < 2.0 * half[thin_axis] {
                    continue;
                }
                let to_local = |p: Vec3| tb.rotation.conjugate() * (p - tb.position);
                let (l0, l1) = (to_local(*prev), to_local(*pa));
                if l0[thin_axis].signum() == l1[thin_axis].signum()
                    || l0[thin_axis].abs() < half[thin_axis]
                    || l1[thin_axis].abs() < half[thin_axis]
                {
                    continue;
                }
                // Where the path crosses the thin body's mid-plane, is it inside?
                let t = l0[thin_axis] / (l0[thin_axis] - l1[thin_axis]);
                let hit = l0 + (l1 - l0) * t;
                let inside = (0..3).all(|k| k == thin_axis || hit[k].abs() <= half[k]);
                let touched = frame
                    .penetrations
                    .iter()
                    .any(|(x, y, _)| (x == a && y == b) || (x == b && y == a));
                if inside && !touched {
                    self.tunnels.push(Tunnel {
                        fast: *a,
                        thin: *b,
                        frame: frame.index,
                        time: frame.time,
                        speed,
                    });
                }
            }
        }
        self.prev_positions = now;
    }

    /// Turns what was recorded into findings: every check in [`CHECKS`].
    pub fn findings(&self, world: &World, last: &Frame) -> Vec<Finding> {
        let run = Run {
            rec: self,
            world,
            last,
        };
        let mut out: Vec<Finding> = CHECKS.iter().flat_map(|check| check(&run)).collect();
        out.extend(self.fluid.findings(world, last));
        out
    }
}

/// What every check reads: the recorder, the world as it ended, the last frame.
pub struct Run<'a> {
    rec: &'a PhysicsRecorder,
    world: &'a World,
    last: &'a Frame,
}

impl Run<'_> {
    fn label(&self, id: EntityId) -> String {
        self.world.entity(id).label()
    }

    fn frame_of(&self, t: f64) -> u64 {
        frame_of(t, self.rec.fps)
    }

    /// What a named entity is, from its name's head noun and the brief.
    fn kind(&self, id: EntityId) -> Option<super::plausible::Judged> {
        let name = self.world.entity(id).name.as_deref()?;
        let brief = self
            .rec
            .brief_kinds
            .iter()
            .find(|(object, _)| {
                name == object.as_str()
                    || name
                        .strip_prefix(object.as_str())
                        .and_then(|r| r.strip_prefix('_'))
                        .is_some_and(|r| r.chars().all(|c| c.is_ascii_digit()))
            })
            .map(|(_, k)| k.as_str());
        judge_kind(name, brief)
    }

    /// (frame, time) of a recorded time.
    fn moment(&self, t: f64) -> (u64, f64) {
        (self.frame_of(t), t)
    }
}

fn physics(id: &str, severity: Severity) -> Finding {
    Finding::new(id, Category::Physics, severity)
}

/// A physics check: reads the run, returns its findings. New checks (cloth,
/// fluids) are added to [`CHECKS`].
pub type Check = fn(&Run) -> Vec<Finding>;

/// Every physics check, in the order they run.
pub const CHECKS: &[Check] = &[
    nonfinite,
    tunnelling_through_moving,
    interpenetration,
    exploding,
    through_ground,
    out_of_world,
    jitter,
    floating_bodies,
    implausible_mass,
    implausible_size,
    floating_scenery,
    energy_gain,
    particles_below_ground,
];

fn nonfinite(run: &Run) -> Vec<Finding> {
    let Some((id, fi, t)) = run.rec.nonfinite else {
        return Vec::new();
    };
    let name = run.label(id);
    vec![
        physics("physics.nan", Severity::Error)
            .entity(&name)
            .at(fi, t)
            .observed("non-finite position or velocity")
            .expected("finite values")
            .message(format!(
                "'{name}' left the realm of numbers (NaN or infinity) at t = {t:.2} s"
            ))
            .fix("Look for a division by zero or an enormous force, impulse or velocity on it."),
    ]
}

fn tunnelling_through_moving(run: &Run) -> Vec<Finding> {
    run.rec
        .tunnels
        .iter()
        .map(|t| {
            let (fast, thin) = (run.label(t.fast), run.label(t.thin));
            physics("physics.tunnelling", Severity::Error)
                .entity(&fast)
                .entity(&thin)
                .at(t.frame, t.time)
                .observed(format!("passed through at {:.1} m/s without contact", t.speed))
                .expected("collides with it")
                .message(format!("'{fast}' passes straight through '{thin}' at t = {:.2} s", t.time))
                .fix(format!("Give '{fast}' ccd: true (it is fast and '{thin}' is thin), or raise substeps in world()."))
        })
        .collect()
}

fn interpenetration(run: &Run) -> Vec<Finding> {
    let mut out = Vec::new();
    for ((a, b), o) in &run.rec.overlaps {
        let (na, nb) = (run.label(*a), run.label(*b));
        let at_start = o.first.0 == 0;
        let dynamic_a = match o.sunk {
            Some(upper) => upper == *a,
            None => run.world.body_kind(*a) == BodyKind::Dynamic,
        };
        let (mover, other) = if dynamic_a { (&na, &nb) } else { (&nb, &na) };
        let cm = o.deepest * 100.0;
        let (message, fix) = if at_start {
            (
                format!("'{mover}' sinks {cm:.1} cm into '{other}' from t = 0.0 s"),
                format!(
                    "Move '{mover}' so it starts touching '{other}' but not inside it (raise it or shrink it)."
                ),
            )
        } else {
            (
                format!("'{mover}' penetrates {cm:.1} cm into '{other}' at t = {:.2} s", o.deepest_at),
                "Raise substeps in world(), enable ccd on fast bodies, or make the lighter body less heavy-laden.".into(),
            )
        };
        out.push(
            physics("physics.interpenetration", Severity::Error)
                .entity(mover)
                .entity(other)
                .span(o.first, o.last)
                .observed(format!("{:.3} m deep", o.deepest))
                .expected(format!("<= {:.3} m", o.tolerance))
                .message(message)
                .fix(fix),
        );
    }
    out
}

fn exploding(run: &Run) -> Vec<Finding> {
    let mut out = Vec::new();
    for (id, tr) in &run.rec.tracks {
        let name = run.label(*id);
        if let Some(k) = tr.speeds.iter().position(|s| *s > EXPLODING_SPEED) {
            let (f, t) = run.moment(tr.times[k]);
            out.push(
                physics("physics.exploding", Severity::Error)
                    .entity(&name)
                    .at(f, t)
                    .observed(format!("{:.0} m/s", tr.speeds[k]))
                    .expected(format!("< {EXPLODING_SPEED} m/s"))
                    .message(format!("'{name}' shoots off at {:.0} m/s at t = {t:.2} s: the simulation exploded", tr.speeds[k]))
                    .fix("Check for bodies created inside each other, huge impulses or forces, or joints pulling against each other."),
            );
        }
    }
    out
}

/// Through the ground or any fixed surface.
fn through_ground(run: &Run) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(g) = &run.rec.ground else {
        return out;
    };
    let fps = run.rec.fps as f32;
    for (id, tr) in &run.rec.tracks {
        let name = run.label(*id);
        let e = run.world.entity(*id);
        let radius = (e.shape.half_extents() * e.transform.scale).min_element();
        let Some(k) = (1..tr.positions.len())
            .find(|&k| g.crossed(tr.positions[k - 1], tr.positions[k], radius))
        else {
            continue;
        };
        let fast = tr.speeds[k - 1].max(tr.speeds[k]);
        // Moving further in a step than its own size: a tunnel, not a leak.
        let tunnel = fast / fps > radius;
        out.push(
            physics(
                if tunnel {
                    "physics.tunnelling"
                } else {
                    "physics.through_ground"
                },
                Severity::Error,
            )
            .entity(&name)
            .span(run.moment(tr.times[k - 1]), run.moment(tr.times[k]))
            .observed(format!("passed below a surface at {fast:.2} m/s"))
            .expected("stays on or above the surface")
            .message(format!(
                "'{name}' passes through the surface under it at t = {:.2} s",
                tr.times[k]
            ))
            .fix(if tunnel {
                "Give it ccd: true, or raise substeps in world()."
            } else {
                "Make sure it does not start inside the surface; raise substeps in world()."
            }),
        );
    }
    out
}

fn out_of_world(run: &Run) -> Vec<Finding> {
    let mut out = Vec::new();
    for (id, tr) in &run.rec.tracks {
        let name = run.label(*id);
        let start = tr.positions[0];
        let floor = run
            .rec
            .ground_only
            .as_ref()
            .and_then(|g| g.height_below(start.x, start.z, f32::INFINITY))
            .unwrap_or(0.0)
            .min(start.y);
        if let Some(k) = tr
            .positions
            .iter()
            .position(|p| p.y < floor - 20.0 || p.length() > 1000.0)
        {
            let (f, t) = run.moment(tr.times[k]);
            out.push(
                physics("physics.out_of_world", Severity::Error)
                    .entity(&name)
                    .at(f, t)
                    .observed(format!("at {:.1}", tr.positions[k]))
                    .expected("within the scene")
                    .message(format!("'{name}' falls out of the world by t = {t:.2} s"))
                    .fix("Put a ground under it (a large fixed plane), or keep it within the ground's extent."),
            );
        }
    }
    out
}

/// Jitter: rapid back-and-forth while going nowhere, counted from sign
/// changes of the velocity (a body that reverses every frame is caught at
/// any phase). A slow sway (a bridge, a pendulum) reverses once or twice a
/// second and travels; jitter reverses nearly every frame within a few
/// centimetres. Two seconds or more of it is an error: a viewer sees a
/// thing buzzing that should rest.
fn jitter(run: &Run) -> Vec<Finding> {
    let mut out = Vec::new();
    let window = (run.rec.fps as usize).max(4);
    for (id, tr) in &run.rec.tracks {
        let n = tr.positions.len();
        if n <= window * 2 {
            continue;
        }
        let judge = |start: usize| -> Option<(f32, usize, f32)> {
            let end = start + window;
            let (lo, hi) = tr.positions[start..end].iter().fold(
                (Vec3::splat(f32::MAX), Vec3::splat(f32::MIN)),
                |(lo, hi), p| (lo.min(*p), hi.max(*p)),
            );
            let extent = (hi - lo).max_element();
            let path: f32 = (start + 1..end)
                .map(|k| tr.positions[k].distance(tr.positions[k - 1]))
                .sum();
            let reversals = (start + 1..end)
                .filter(|&k| {
                    let (a, b) = (tr.velocities[k - 1], tr.velocities[k]);
                    a.dot(b) < 0.0 && a.length() > 0.02 && b.length() > 0.02
                })
                .count();
            (extent < 0.05 && path > 0.02 && reversals * 3 >= window)
                .then_some((path, reversals, extent))
        };
        let last = n - window;
        let Some((path, reversals, extent)) = judge(last) else {
            continue;
        };
        // How long it has gone on: whole windows back from the end.
        let mut from = last;
        while from >= window && judge(from - window).is_some() {
            from -= window;
        }
        let persistent = n - from >= 2 * window;
        let name = run.label(*id);
        let seconds = (n - from) as f64 / run.rec.fps as f64;
        out.push(
            physics(
                "physics.jitter",
                if persistent { Severity::Error } else { Severity::Warning },
            )
            .entity(&name)
            .span(run.moment(tr.times[from]), run.moment(tr.times[n - 1]))
            .observed(format!("{path:.3} m of motion with {reversals} reversals within {extent:.3} m in the last second, for {seconds:.1} s"))
            .expected("at rest: no rapid back-and-forth")
            .message(format!("'{name}' jitters in place instead of resting"))
            .fix("Raise solver_iterations or substeps in world(), add some damping, or start stacked bodies exactly touching; check callbacks that set its velocity."),
        );
    }
    out
}

/// A dynamic body at rest in mid-air.
fn floating_bodies(run: &Run) -> Vec<Finding> {
    let mut out = Vec::new();
    let (world, last) = (run.world, run.last);
    let window = run.rec.fps as usize;
    for (id, tr) in &run.rec.tracks {
        let e = world.entity(*id);
        let n = tr.positions.len();
        if !(e.body.gravity_scale > 0.0 && world.settings.gravity.length() > 0.0 && n > window) {
            continue;
        }
        let name = run.label(*id);
        let resting = tr.speeds[n - window..].iter().all(|s| *s < 0.01);
        let bottom = tr.bottoms[n - 1];
        let support = run.rec.ground.as_ref().and_then(|g| {
            let p = tr.positions[n - 1];
            g.height_below(p.x, p.z, bottom + 0.05)
        });
        let touching = last.penetrations.iter().any(|(a, b, _)| {
            PhysicsRecorder::owner(world, *a) == *id || PhysicsRecorder::owner(world, *b) == *id
        });
        let jointed = world.joints.iter().any(|j| j.b == *id || j.a == Some(*id));
        if resting && !touching && !jointed && support.is_none_or(|h| bottom > h + 0.05) {
            out.push(
                physics("physics.floating", Severity::Error)
                    .entity(&name)
                    .span(run.moment(tr.times[n - window]), run.moment(tr.times[n - 1]))
                    .observed(format!("at rest with its bottom at {bottom:.2} m, nothing under it"))
                    .expected("resting on something")
                    .message(format!("'{name}' hangs in mid-air, at rest with nothing supporting it"))
                    .fix("Place it on a surface, or let it fall: check its gravity_scale and that nothing invisible holds it."),
            );
        }
    }
    out
}

/// Plausible mass for what a moving body's name says it is.
fn implausible_mass(run: &Run) -> Vec<Finding> {
    let mut out = Vec::new();
    for id in run.rec.tracks.keys() {
        let m = run.last.masses.get(id.index()).copied().unwrap_or(0.0);
        if let Some(k) = run.kind(*id)
            && m > 0.0
            && (m < k.mass[0] * 0.2 || m > k.mass[1] * 5.0)
        {
            out.push(implausible(
                &run.label(*id),
                &k.kind,
                "mass",
                m,
                k.mass,
                "kg",
                run.last,
            ));
        }
    }
    out
}

/// Sizes of every named thing, moving or not.
fn implausible_size(run: &Run) -> Vec<Finding> {
    let mut out = Vec::new();
    for e in run.world.entities.iter().filter(|e| e.parent.is_none()) {
        let Some(k) = run.kind(e.id) else {
            continue;
        };
        let extent = entity_extent(run.world, run.last, e.id);
        if extent > 0.0 && (extent < k.size[0] * 0.5 || extent > k.size[1] * 1.5) {
            out.push(implausible(
                &run.label(e.id),
                &k.kind,
                "size",
                extent,
                k.size,
                "m",
                run.last,
            ));
        }
    }
    out
}

/// When the world's declared drivers act: impulses and hooks at their
/// times, forces over their spans; `None` when something may drive the
/// bodies at any time (motors, kinematic bodies, fields on bodies, hooks
/// every frame or step).
fn driven_windows(world: &World) -> Option<Vec<(f64, f64)>> {
    let frame = 1.0 / world.settings.fps.max(1) as f64;
    if world.joints.iter().any(|j| j.motor_speed.is_some())
        || world.fields.iter().any(|f| f.acts_on_bodies())
        || world
            .entities
            .iter()
            .any(|e| world.body_kind(e.id) == BodyKind::Kinematic)
    {
        return None;
    }
    let around = |t: f64| (t - frame, t + 2.0 * frame);
    let mut windows = Vec::new();
    for p in &world.pushes {
        windows.push(match p {
            Push::Impulse { time, .. } | Push::TorqueImpulse { time, .. } => around(*time),
            Push::Force { from, to, .. } | Push::Torque { from, to, .. } => {
                (from - frame, to + 2.0 * frame)
            }
        });
    }
    for h in &world.hooks {
        match h {
            Hook::At { time, .. } => windows.push(around(*time)),
            Hook::Every {
                start, interval, ..
            } => {
                if *interval < 2.0 * frame {
                    return None;
                }
                let mut t = *start;
                while t <= world.settings.duration + frame && windows.len() < 100_000 {
                    windows.push(around(t));
                    t += interval;
                }
            }
        }
    }
    Some(windows)
}

/// Energy gained beyond what the world's declared drivers put in: between
/// their actions the bodies' total mechanical energy may only fall, so a
/// gain there comes from something hidden (a start inside another body, a
/// negative gravity scale, a solver blowing up).
fn energy_gain(run: &Run) -> Vec<Finding> {
    let (rec, world, last) = (run.rec, run.world, run.last);
    let Some(windows) = driven_windows(world) else {
        return Vec::new();
    };
    let driven = |t: f64| windows.iter().any(|(a, b)| t >= *a && t <= *b);
    let totals: Vec<(f64, f64)> = {
        let mut by_time: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
        for tr in rec.tracks.values() {
            for (t, e) in tr.times.iter().zip(&tr.energies) {
                let k = (t * 1e6).round() as u64;
                let entry = by_time.entry(k).or_insert((*t, 0.0));
                entry.1 += *e as f64;
            }
        }
        by_time.into_values().collect()
    };
    if totals.len() <= 2 {
        return Vec::new();
    }
    let e0 = totals[0].1;
    // The energy the drivers account for so far, and the worst excess over it.
    let mut explained = e0;
    let (mut t_max, mut excess) = (0.0, f64::MIN);
    for (t, e) in &totals {
        if driven(*t) {
            explained = explained.max(*e);
        } else if e - explained > excess {
            excess = e - explained;
            t_max = *t;
        }
    }
    let e_min = totals.iter().map(|x| x.1).fold(f64::MAX, f64::min);
    let mass: f64 = rec
        .tracks
        .keys()
        .map(|id| last.masses.get(id.index()).copied().unwrap_or(0.0) as f64)
        .sum();
    // Allow solver noise: 2 cm of lift for the whole mass, or 10 % of the energy that changed hands.
    let allowance = (mass * world.settings.gravity.length() as f64 * 0.02)
        .max(0.1 * (e0 - e_min).abs())
        .max(1e-3);
    if excess <= allowance {
        return Vec::new();
    }
    let gainer = rec
        .tracks
        .iter()
        .max_by(|a, b| {
            let gain = |tr: &BodyTrack| {
                tr.energies.iter().copied().fold(f32::MIN, f32::max) - tr.energies[0]
            };
            gain(a.1).total_cmp(&gain(b.1))
        })
        .map(|(id, _)| run.label(*id))
        .unwrap_or_default();
    let (expected, message) = if windows.is_empty() {
        (
            format!("<= +{allowance:.3} J: nothing drives this scene"),
            format!(
                "the scene gains energy with nothing driving it (most of it in '{gainer}'): it should only lose energy"
            ),
        )
    } else {
        (
            format!("<= +{allowance:.3} J beyond what its impulses, forces and callbacks put in"),
            format!(
                "the scene gains energy at t = {t_max:.2} s when none of its declared pushes or callbacks acts (most of it in '{gainer}'): something hidden drives it"
            ),
        )
    };
    vec![
        physics("physics.energy_gain", Severity::Error)
            .entity(&gainer)
            .span((0, 0.0), run.moment(t_max))
            .observed(format!("+{excess:.3} J (from {e0:.3} J)"))
            .expected(expected)
            .message(message)
            .fix("Lower restitution below 1, remove overlaps at the start, check gravity_scale, or raise substeps and solver_iterations."),
    ]
}

fn particles_below_ground(run: &Run) -> Vec<Finding> {
    let mut out = Vec::new();
    for (e, b) in &run.rec.below {
        let Some(first) = b.first else { continue };
        let name = run.world.emitters[*e]
            .name
            .clone()
            .unwrap_or_else(|| format!("emitter_{e}"));
        out.push(
            physics("physics.particles_below_ground", Severity::Warning)
                .entity(&name)
                .span(first, b.last)
                .observed(format!("up to {} particles under the ground", b.most))
                .expected("none below the ground")
                .message(format!("particles of '{name}' sink below the ground"))
                .fix(
                    "Start the emitter above the ground, or give it ground: \"die\" or \"settle\".",
                ),
        );
    }
    out
}

/// Words for things that are meant to hang in the air.
const AIRBORNE: &[&str] = &[
    "cloud",
    "moon",
    "sun",
    "star",
    "bird",
    "lamp",
    "light",
    "chandelier",
    "sign",
    "balloon",
    "kite",
    "banner",
    "flag",
    "fan",
    "shelf",
    "picture",
    "painting",
    "frame",
    "clock",
    "window",
    "curtain",
    "ceiling",
    "roof",
    "beam",
    "canopy",
    "leaves",
    "foliage",
    "crown",
    "jellyfish",
    "fish",
    "rotor",
    "blade",
    "bridge",
    "plank",
    "rope",
    "branch",
    "drone",
    "plane",
    "spaceship",
    "planet",
];

/// Fixed or decorative objects hovering above whatever is under them.
fn floating_scenery(run: &Run) -> Vec<Finding> {
    let (world, last) = (run.world, run.last);
    {
        let mut out = Vec::new();
        let Some(ground) = &run.rec.ground else {
            return out;
        };
        let tops: Vec<(EntityId, Vec3, Vec3)> = world
            .entities
            .iter()
            .filter(|e| e.parent.is_none())
            .filter_map(|e| object_bounds(world, last, e.id).map(|(lo, hi)| (e.id, lo, hi)))
            .collect();
        for (id, lo, hi) in &tops {
            let e = world.entity(*id);
            let kind = world.body_kind(*id);
            if !matches!(kind, BodyKind::Fixed | BodyKind::None) || !e.visible {
                continue;
            }
            if matches!(e.shape, Shape::Plane { .. } | Shape::Heightfield { .. }) {
                continue;
            }
            let words = format!(
                "{} {}",
                e.name.clone().unwrap_or_default(),
                e.tags.join(" ")
            )
            .to_lowercase();
            if AIRBORNE.iter().any(|w| words.contains(w)) || e.material.emissive_strength > 0.0 {
                continue;
            }
            // A mount that something hangs from (a pendulum's pivot) is held
            // up with it.
            let holds = world.joints.iter().any(|j| {
                j.a == Some(*id)
                    || (j.a.is_none()
                        && (0..3).all(|k| {
                            j.anchor_a[k] >= lo[k] - 0.02 && j.anchor_a[k] <= hi[k] + 0.02
                        }))
            });
            if holds {
                continue;
            }
            // Animated things (kinematic paths) are allowed to fly.
            if world
                .tracks
                .iter()
                .any(|t| matches!(t.target, crate::world::AnimTarget::Entity(x) if x == *id))
            {
                continue;
            }
            let bottom = lo.y;
            let centre = (*lo + *hi) * 0.5;
            let mut support = ground.height_below(centre.x, centre.z, bottom + 0.02);
            for (other, olo, ohi) in &tops {
                if other == id {
                    continue;
                }
                let overlaps_xz = olo.x < hi.x && ohi.x > lo.x && olo.z < hi.z && ohi.z > lo.z;
                if overlaps_xz && ohi.y <= bottom + 0.02 && olo.y < bottom {
                    support = Some(support.map_or(ohi.y, |s: f32| s.max(ohi.y)));
                }
                // Resting against a wall counts too.
                let touching = olo.x <= hi.x + 0.01
                    && ohi.x >= lo.x - 0.01
                    && olo.z <= hi.z + 0.01
                    && ohi.z >= lo.z - 0.01
                    && olo.y <= bottom + 0.02
                    && ohi.y >= bottom - 0.02;
                if touching && olo.y < bottom {
                    support = Some(support.map_or(bottom, |s: f32| s.max(bottom)));
                }
            }
            let base = support.unwrap_or(0.0);
            let gap = bottom - base;
            if gap > 0.05 && gap < 3.0 {
                let name = e.label();
                out.push(Finding {
                    id: "physics.floating".into(),
                    category: Category::Physics,
                    severity: Severity::Error,
                    entities: vec![name.clone()],
                    time: [0.0, last.time],
                    frames: [0, last.index],
                    observed: format!("bottom {gap:.2} m above what is under it"),
                    expected: "resting on the ground or on another object".into(),
                    message: format!("'{name}' floats {:.0} cm above the surface under it", gap * 100.0),
                    fix: format!("Lower '{name}' by {gap:.2} m so it rests on what is below, or make it body: \"dynamic\" so it falls into place."),
                });
            }
        }
        out
    }
}

/// World bounds of an object and its children.
fn object_bounds(world: &World, frame: &Frame, id: EntityId) -> Option<(Vec3, Vec3)> {
    let mut lo = Vec3::splat(f32::MAX);
    let mut hi = Vec3::splat(f32::MIN);
    let mut any = false;
    for e in &world.entities {
        let mut cur = Some(e.id);
        let mut inside = false;
        while let Some(c) = cur {
            if c == id {
                inside = true;
                break;
            }
            cur = world.entity(c).parent;
        }
        if !inside || matches!(e.shape, Shape::Group) || !e.visible {
            continue;
        }
        let (a, b) = match frame.aabbs[e.id.index()] {
            Some(ab) => ab,
            None => {
                let t = frame.transforms[e.id.index()];
                let r = (e.shape.half_extents() * t.scale).length();
                (t.position - Vec3::splat(r), t.position + Vec3::splat(r))
            }
        };
        lo = lo.min(a);
        hi = hi.max(b);
        any = true;
    }
    any.then_some((lo, hi))
}

impl Default for PhysicsRecorder {
    fn default() -> Self {
        Self::new()
    }
}

fn frame_of(t: f64, fps: u32) -> u64 {
    (t * fps as f64).round().max(0.0) as u64
}

fn implausible(
    name: &str,
    kind: &str,
    what: &str,
    value: f32,
    range: [f32; 2],
    unit: &str,
    last: &Frame,
) -> Finding {
    let too_big = value > range[1];
    // Three times off is a mistake of scale, not of taste.
    let severity = if value > range[1] * 3.0 || value < range[0] / 3.0 {
        Severity::Error
    } else {
        Severity::Warning
    };
    let (word, adjective) = match (what, too_big) {
        ("mass", true) => ("heavy", "lighter"),
        ("mass", false) => ("light", "heavier"),
        (_, true) => ("large", "smaller"),
        (_, false) => ("small", "bigger"),
    };
    Finding {
        id: format!("physics.implausible_{what}"),
        category: Category::Physics,
        severity,
        entities: vec![name.to_string()],
        time: [0.0, last.time],
        frames: [0, last.index],
        observed: format!("{value:.3} {unit}"),
        expected: format!("{}-{} {unit} for a {kind}", range[0], range[1]),
        message: format!("'{name}' is implausibly {word} for a {kind}: {what} {value:.3} {unit}"),
        fix: format!(
            "Make '{name}' {adjective}: a {kind} is about {}-{} {unit}.",
            range[0], range[1]
        ),
    }
}

/// Largest dimension of an entity with its children, from the frame.
pub fn entity_extent(world: &World, frame: &Frame, id: EntityId) -> f32 {
    let mut lo = Vec3::splat(f32::MAX);
    let mut hi = Vec3::splat(f32::MIN);
    let mut any = false;
    for e in &world.entities {
        let mut cur = Some(e.id);
        let mut inside = false;
        while let Some(c) = cur {
            if c == id {
                inside = true;
                break;
            }
            cur = world.entity(c).parent;
        }
        if !inside || matches!(e.shape, Shape::Group) {
            continue;
        }
        let t = frame.transforms[e.id.index()];
        if let Some((a, b)) = frame.aabbs[e.id.index()] {
            lo = lo.min(a);
            hi = hi.max(b);
            any = true;
            continue;
        }
        // No collider: the corners of the shape's own box, which for a mesh
        // (a lathed mug from y = 0) is its vertices' box, not one centred on
        // the origin.
        let (bl, bh) = e.shape.local_bounds();
        let (bl, bh) = (bl * t.scale, bh * t.scale);
        for k in 0..8 {
            let c = Vec3::new(
                if k & 1 == 0 { bl.x } else { bh.x },
                if k & 2 == 0 { bl.y } else { bh.y },
                if k & 4 == 0 { bl.z } else { bh.z },
            );
            let p = t.position + t.rotation * c;
            lo = lo.min(p);
            hi = hi.max(p);
        }
        any = true;
    }
    if any { (hi - lo).max_element() } else { 0.0 }
}

/// Nothing adds energy: no pushes, body-affecting fields, kinematic bodies,
/// motors, callbacks, or animation of bodies.
pub fn is_passive(world: &World) -> bool {
    driven_windows(world).is_some_and(|w| w.is_empty()) && is_passive_strict(world)
}

fn is_passive_strict(world: &World) -> bool {
    world.pushes.is_empty()
        && world.hooks.is_empty()
        && !world.fields.iter().any(|f| f.acts_on_bodies())
        && !world.joints.iter().any(|j| j.motor_speed.is_some())
        && !world
            .entities
            .iter()
            .any(|e| world.body_kind(e.id) == BodyKind::Kinematic)
}
