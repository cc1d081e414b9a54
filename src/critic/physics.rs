//! Numeric physics checks over the whole trajectory: what a vision model can
//! only guess at, measured.

use std::collections::BTreeMap;

use glam::Vec3;

use super::finding::{Category, Finding, Severity};
use super::plausible::kind_of;
use crate::sim::Frame;
use crate::sim::particles::Ground;
use crate::world::particles::GroundResponse;
use crate::world::{BodyKind, EntityId, Shape, World};

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
/// Speeds beyond this are a simulation blowing up, m/s.
pub const EXPLODING_SPEED: f32 = 100.0;

#[derive(Default)]
struct Overlap {
    tolerance: f32,
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
            let key = if oa < ob { (oa, ob) } else { (ob, oa) };
            let o = self.overlaps.entry(key).or_insert_with(|| Overlap {
                first: (frame.index, frame.time),
                tolerance: penetration_tolerance(world, *a, *b),
                ..Default::default()
            });
            o.last = (frame.index, frame.time);
            if *depth > o.deepest {
                o.deepest = *depth;
                o.deepest_at = frame.time;
            }
        }
        // Particles below the ground (sampled: it is a per-particle query).
        if frame.index.is_multiple_of(4)
            && let Some(g) = &self.ground
            && !g.is_empty()
        {
            let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
            let ps = &frame.particles;
            for (p, e) in ps.positions.iter().zip(&ps.emitters) {
                let em = &world.emitters[*e as usize];
                if em.ground == GroundResponse::Ignore {
                    continue;
                }
                if let Some(h) = g.height_below(p.x, p.z, f32::INFINITY)
                    && p.y < h - 0.05
                    && g.height_below(p.x, p.z, p.y + 0.05).is_none()
                {
                    *counts.entry(*e as usize).or_default() += 1;
                }
            }
            for (e, n) in counts {
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

    /// Turns what was recorded into findings.
    pub fn findings(&self, world: &World, last: &Frame) -> Vec<Finding> {
        let mut out = Vec::new();
        let label = |id: EntityId| world.entity(id).label();
        let f = |id: &str,
                 sev: Severity,
                 ents: Vec<String>,
                 t0: f64,
                 t1: f64,
                 f0: u64,
                 f1: u64,
                 obs: String,
                 exp: String,
                 msg: String,
                 fix: &str| Finding {
            id: id.into(),
            category: Category::Physics,
            severity: sev,
            entities: ents,
            time: [t0, t1],
            frames: [f0, f1],
            observed: obs,
            expected: exp,
            message: msg,
            fix: fix.into(),
        };
        if let Some((id, fi, t)) = self.nonfinite {
            out.push(f(
                "physics.nan",
                Severity::Error,
                vec![label(id)],
                t,
                t,
                fi,
                fi,
                "non-finite position or velocity".into(),
                "finite values".into(),
                format!(
                    "'{}' left the realm of numbers (NaN or infinity) at t = {t:.2} s",
                    label(id)
                ),
                "Look for a division by zero or an enormous force, impulse or velocity on it.",
            ));
        }
        for t in &self.tunnels {
            let (fast, thin) = (label(t.fast), label(t.thin));
            out.push(f(
                "physics.tunnelling",
                Severity::Error,
                vec![fast.clone(), thin.clone()],
                t.time,
                t.time,
                t.frame,
                t.frame,
                format!("passed through at {:.1} m/s without contact", t.speed),
                "collides with it".into(),
                format!("'{fast}' passes straight through '{thin}' at t = {:.2} s", t.time),
                &format!("Give '{fast}' ccd: true (it is fast and '{thin}' is thin), or raise substeps in world()."),
            ));
        }
        for ((a, b), o) in &self.overlaps {
            let (na, nb) = (label(*a), label(*b));
            let at_start = o.first.0 == 0;
            let dynamic_a = world.body_kind(*a) == BodyKind::Dynamic;
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
            out.push(f(
                "physics.interpenetration",
                Severity::Error,
                vec![mover.clone(), other.clone()],
                o.first.1,
                o.last.1,
                o.first.0,
                o.last.0,
                format!("{:.3} m deep", o.deepest),
                format!("<= {:.3} m", o.tolerance),
                message,
                &fix,
            ));
        }
        for (id, tr) in &self.tracks {
            let name = label(*id);
            let e = world.entity(*id);
            let n = tr.positions.len();
            // Exploding speeds.
            if let Some(k) = tr.speeds.iter().position(|s| *s > EXPLODING_SPEED) {
                out.push(f(
                    "physics.exploding",
                    Severity::Error,
                    vec![name.clone()],
                    tr.times[k],
                    tr.times[k],
                    frame_of(tr.times[k], self.fps),
                    frame_of(tr.times[k], self.fps),
                    format!("{:.0} m/s", tr.speeds[k]),
                    format!("< {EXPLODING_SPEED} m/s"),
                    format!("'{name}' shoots off at {:.0} m/s at t = {:.2} s: the simulation exploded", tr.speeds[k], tr.times[k]),
                    "Check for bodies created inside each other, huge impulses or forces, or joints pulling against each other.",
                ));
            }
            // Through the ground or any fixed surface, out of the world.
            if let Some(g) = &self.ground {
                let radius = (e.shape.half_extents() * e.transform.scale).min_element();
                if let Some(k) =
                    (1..n).find(|&k| g.crossed(tr.positions[k - 1], tr.positions[k], radius))
                {
                    let fast = tr.speeds[k - 1].max(tr.speeds[k]);
                    // Moving further in a step than its own size: a tunnel, not a leak.
                    let tunnel = fast / (self.fps as f32) > radius;
                    out.push(f(
                        if tunnel { "physics.tunnelling" } else { "physics.through_ground" },
                        Severity::Error,
                        vec![name.clone()],
                        tr.times[k - 1],
                        tr.times[k],
                        frame_of(tr.times[k - 1], self.fps),
                        frame_of(tr.times[k], self.fps),
                        format!("passed below a surface at {fast:.2} m/s"),
                        "stays on or above the surface".into(),
                        format!("'{name}' passes through the surface under it at t = {:.2} s", tr.times[k]),
                        if tunnel {
                            "Give it ccd: true, or raise substeps in world()."
                        } else {
                            "Make sure it does not start inside the surface; raise substeps in world()."
                        },
                    ));
                }
            }
            let start = tr.positions[0];
            let floor = self
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
                out.push(f(
                    "physics.out_of_world",
                    Severity::Error,
                    vec![name.clone()],
                    tr.times[k],
                    tr.times[k],
                    frame_of(tr.times[k], self.fps),
                    frame_of(tr.times[k], self.fps),
                    format!("at {:.1}", tr.positions[k]),
                    "within the scene".into(),
                    format!("'{name}' falls out of the world by t = {:.2} s", tr.times[k]),
                    "Put a ground under it (a large fixed plane), or keep it within the ground's extent.",
                ));
            }
            // Jitter at rest: rapid back-and-forth while going nowhere. A slow
            // sway (a bridge, a pendulum) reverses once or twice a second;
            // solver jitter reverses nearly every frame.
            let window = self.fps as usize;
            if n > window * 2 {
                let start = n - window;
                let net = tr.positions[n - 1].distance(tr.positions[start]);
                let path: f32 = (start + 1..n)
                    .map(|k| tr.positions[k].distance(tr.positions[k - 1]))
                    .sum();
                let steps: Vec<Vec3> = (start + 1..n)
                    .map(|k| tr.positions[k] - tr.positions[k - 1])
                    .collect();
                let reversals = steps
                    .windows(2)
                    .filter(|w| {
                        w[0].dot(w[1]) < 0.0 && w[0].length() > 5e-4 && w[1].length() > 5e-4
                    })
                    .count();
                if net < 0.01 && path > 0.02 && reversals * 3 >= window {
                    out.push(f(
                        "physics.jitter",
                        Severity::Warning,
                        vec![name.clone()],
                        tr.times[start],
                        tr.times[n - 1],
                        frame_of(tr.times[start], self.fps),
                        frame_of(tr.times[n - 1], self.fps),
                        format!("{path:.3} m of motion with {reversals} reversals, {net:.3} m net, in the last second"),
                        "at rest: no rapid back-and-forth".into(),
                        format!("'{name}' jitters in place instead of resting"),
                        "Raise solver_iterations or substeps in world(), add some damping, or start stacked bodies exactly touching.",
                    ));
                }
            }
            // Floating: a dynamic body at rest in mid-air.
            if e.body.gravity_scale > 0.0 && world.settings.gravity.length() > 0.0 && n > window {
                let resting = tr.speeds[n - window..].iter().all(|s| *s < 0.01);
                let bottom = tr.bottoms[n - 1];
                let support = self.ground.as_ref().and_then(|g| {
                    let p = tr.positions[n - 1];
                    g.height_below(p.x, p.z, bottom + 0.05)
                });
                let touching = last.penetrations.iter().any(|(a, b, _)| {
                    PhysicsRecorder::owner(world, *a) == *id
                        || PhysicsRecorder::owner(world, *b) == *id
                });
                let jointed = world.joints.iter().any(|j| j.b == *id || j.a == Some(*id));
                if resting && !touching && !jointed && support.is_none_or(|h| bottom > h + 0.05) {
                    out.push(f(
                        "physics.floating",
                        Severity::Error,
                        vec![name.clone()],
                        tr.times[n - window],
                        tr.times[n - 1],
                        frame_of(tr.times[n - window], self.fps),
                        frame_of(tr.times[n - 1], self.fps),
                        format!("at rest with its bottom at {bottom:.2} m, nothing under it"),
                        "resting on something".into(),
                        format!("'{name}' hangs in mid-air, at rest with nothing supporting it"),
                        "Place it on a surface, or let it fall: check its gravity_scale and that nothing invisible holds it.",
                    ));
                }
            }
            // Plausible size and mass for what its name says it is.
            let m = last.masses.get(id.index()).copied().unwrap_or(0.0);
            if let Some((kind, _, mass)) = e.name.as_deref().and_then(kind_of)
                && m > 0.0
                && (m < mass[0] * 0.2 || m > mass[1] * 5.0)
            {
                out.push(implausible(&name, kind, "mass", m, *mass, "kg", last));
            }
        }
        // Sizes of every named thing, moving or not.
        for e in world.entities.iter().filter(|e| e.parent.is_none()) {
            let Some((kind, size, _)) = e.name.as_deref().and_then(kind_of) else {
                continue;
            };
            let extent = entity_extent(world, last, e.id);
            if extent > 0.0 && (extent < size[0] * 0.5 || extent > size[1] * 1.5) {
                out.push(implausible(
                    &label(e.id),
                    kind,
                    "size",
                    extent,
                    *size,
                    "m",
                    last,
                ));
            }
        }
        out.extend(self.floating_scenery(world, last));
        // Energy gained by a passive system.
        if is_passive(world) {
            let totals: Vec<(f64, f64)> = {
                let mut by_time: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
                for tr in self.tracks.values() {
                    for (t, e) in tr.times.iter().zip(&tr.energies) {
                        let k = (t * 1e6).round() as u64;
                        let entry = by_time.entry(k).or_insert((*t, 0.0));
                        entry.1 += *e as f64;
                    }
                }
                by_time.into_values().collect()
            };
            if totals.len() > 2 {
                let e0 = totals[0].1;
                let (t_max, e_max) = totals
                    .iter()
                    .copied()
                    .fold((0.0, f64::MIN), |a, b| if b.1 > a.1 { b } else { a });
                let e_min = totals.iter().map(|x| x.1).fold(f64::MAX, f64::min);
                let mass: f64 = self
                    .tracks
                    .keys()
                    .map(|id| last.masses.get(id.index()).copied().unwrap_or(0.0) as f64)
                    .sum();
                // Allow solver noise: 2 cm of lift for the whole mass, or 10 % of the energy that changed hands.
                let allowance = (mass * world.settings.gravity.length() as f64 * 0.02)
                    .max(0.1 * (e0 - e_min).abs())
                    .max(1e-3);
                if e_max - e0 > allowance {
                    let gainer = self
                        .tracks
                        .iter()
                        .max_by(|a, b| {
                            let gain = |tr: &BodyTrack| {
                                tr.energies.iter().copied().fold(f32::MIN, f32::max)
                                    - tr.energies[0]
                            };
                            gain(a.1).total_cmp(&gain(b.1))
                        })
                        .map(|(id, _)| label(*id))
                        .unwrap_or_default();
                    out.push(f(
                        "physics.energy_gain",
                        Severity::Error,
                        vec![gainer.clone()],
                        0.0,
                        t_max,
                        0,
                        frame_of(t_max, self.fps),
                        format!("+{:.3} J (from {e0:.3} J)", e_max - e0),
                        format!("<= +{allowance:.3} J: nothing drives this scene"),
                        format!("the scene gains energy with nothing driving it (most of it in '{gainer}'): it should only lose energy"),
                        "Lower restitution below 1, remove overlaps at the start, or raise substeps and solver_iterations.",
                    ));
                }
            }
        }
        for (e, b) in &self.below {
            let Some(first) = b.first else { continue };
            let name = world.emitters[*e]
                .name
                .clone()
                .unwrap_or_else(|| format!("emitter_{e}"));
            out.push(f(
                "physics.particles_below_ground",
                Severity::Warning,
                vec![name.clone()],
                first.1,
                b.last.1,
                first.0,
                b.last.0,
                format!("up to {} particles under the ground", b.most),
                "none below the ground".into(),
                format!("particles of '{name}' sink below the ground"),
                "Start the emitter above the ground, or give it ground: \"die\" or \"settle\".",
            ));
        }
        out.extend(self.fluid.findings(world, last));
        out
    }
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

impl PhysicsRecorder {
    /// Fixed or decorative objects hovering above whatever is under them.
    fn floating_scenery(&self, world: &World, last: &Frame) -> Vec<Finding> {
        let mut out = Vec::new();
        let Some(ground) = &self.ground else {
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
        let half = e.shape.half_extents() * t.scale;
        // A rotated box's corners bound it; the centre plus its radius is enough here.
        let r = match frame.aabbs[e.id.index()] {
            Some((a, b)) => {
                lo = lo.min(a);
                hi = hi.max(b);
                any = true;
                continue;
            }
            None => half,
        };
        let corners = [
            Vec3::new(-r.x, -r.y, -r.z),
            Vec3::new(r.x, -r.y, -r.z),
            Vec3::new(-r.x, r.y, -r.z),
            Vec3::new(-r.x, -r.y, r.z),
            Vec3::new(r.x, r.y, -r.z),
            Vec3::new(r.x, -r.y, r.z),
            Vec3::new(-r.x, r.y, r.z),
            Vec3::new(r.x, r.y, r.z),
        ];
        for c in corners {
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
    world.pushes.is_empty()
        && world.hooks.is_empty()
        && !world.fields.iter().any(|f| f.acts_on_bodies())
        && !world.joints.iter().any(|j| j.motor_speed.is_some())
        && !world
            .entities
            .iter()
            .any(|e| world.body_kind(e.id) == BodyKind::Kinematic)
}
