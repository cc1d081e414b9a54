//! Liquids (position-based fluids, after Macklin and Müller, "Position
//! Based Fluids", 2013) and grains (see [`super::granular`]), colliding with
//! the rigid world through rapier's collider shapes, and pushing dynamic
//! bodies back (two-way coupling).
//!
//! Data are struct-of-arrays per body (positions, velocities, predictions,
//! densities, multipliers as separate flat arrays), neighbours come from a
//! counting-sort spatial hash, and every pass is a loop over particles that
//! writes only its own slot (Jacobi) or walks pairs in a fixed order
//! (grains, Gauss-Seidel): deterministic, and the shape of a compute pass.

use std::sync::Arc;

use glam::{Quat, Vec3};
use rapier3d::math::Pose;
use rapier3d::parry::query::Ray;
use rapier3d::parry::shape::ShapeType;
use rapier3d::prelude::{RigidBodyHandle, SharedShape};
use rayon::prelude::*;

use super::granular::{self, Friction};
use super::physics::PhysicsBridge;
use super::spatial_hash::{Neighbours, SpatialHash};
use crate::util::hash::StateHasher;
use crate::util::rng::Rng;
use crate::world::fluid::{FluidBody, FluidKind, Source, SourceKind};
use crate::world::mesh::heightfield_height;
use crate::world::{BodyKind, EntityId, Shape, Transform, World};

/// Solver iterations per substep.
const LIQUID_ITERATIONS: usize = 3;
const GRAIN_ITERATIONS: usize = 4;
/// Most substeps a world step is split into for fast particles.
const MAX_SUBSTEPS: u32 = 4;
/// Particles below this height are gone (fell out of the world).
const KILL_HEIGHT: f32 = -50.0;
/// Fewest particles a thread takes in a parallel pass: small bodies (a
/// glass of wine) stay on one thread, where the hand-off would cost more.
const PAR_MIN: usize = 2048;
/// Neighbour cap per particle (a rest lattice of spacing 2 r has 26
/// others within the kernel's 4 r, 80 with the skin).
const NEIGHBOUR_CAP: usize = 96;

/// What the rigid world looks like to particles.
enum ObstacleShape {
    /// A closed shape: particles inside are pushed out.
    Solid(SharedShape),
    /// A triangle mesh, treated as a thin two-sided shell (glasses, bowls).
    Shell(SharedShape),
    /// Terrain: particles are kept above it.
    Height {
        heights: Arc<Vec<f32>>,
        rows: usize,
        cols: usize,
        width: f32,
        depth: f32,
        scale_y: f32,
    },
}

struct Obstacle {
    shape: ObstacleShape,
    pose: Pose,
    min: Vec3,
    max: Vec3,
    /// The dynamic body it belongs to, pushed back by particles.
    body: Option<RigidBodyHandle>,
    /// Velocity of the surface (dynamic and kinematic bodies).
    linvel: Vec3,
    angvel: Vec3,
    centre: Vec3,
    friction: f32,
    entity: EntityId,
}

impl Obstacle {
    fn surface_velocity(&self, p: Vec3) -> Vec3 {
        self.linvel + self.angvel.cross(p - self.centre)
    }

    /// Pushes `p` out to `radius` from the surface; returns the outward
    /// normal and the depth it was pushed, if it touched.
    fn push_out(&self, p: Vec3, from: Vec3, radius: f32) -> Result<(Vec3, f32), f32> {
        if p.cmplt(self.min).any() || p.cmpgt(self.max).any() {
            // The shape lies inside its grown box: a lower bound.
            let out = (self.min - p).max(p - self.max).max(Vec3::ZERO);
            return Err((out.length() - radius).max(0.0));
        }
        let local = self.pose.inverse_transform_point(p);
        let (normal_local, depth) = match &self.shape {
            ObstacleShape::Solid(shape) => {
                let proj = shape.project_local_point(local, false);
                let diff = local - proj.point;
                let dist = diff.length();
                if proj.is_inside {
                    let n = if dist > 1e-9 {
                        -diff / dist
                    } else {
                        outward_guess(&self.pose, from, proj.point)
                    };
                    (n, radius + dist)
                } else if dist < radius {
                    let n = if dist > 1e-9 {
                        diff / dist
                    } else {
                        outward_guess(&self.pose, from, proj.point)
                    };
                    (n, radius - dist)
                } else {
                    return Err(dist - radius);
                }
            }
            ObstacleShape::Shell(shape) => {
                let look = 2.0 * radius;
                let Some(proj) =
                    shape.project_local_point_with_max_dist(local, false, radius + look)
                else {
                    return Err(look);
                };
                let diff = local - proj.point;
                let dist = diff.length();
                if dist >= radius {
                    return Err(dist - radius);
                }
                let n = if dist > 1e-9 {
                    diff / dist
                } else {
                    outward_guess(&self.pose, from, proj.point)
                };
                (n, radius - dist)
            }
            ObstacleShape::Height {
                heights,
                rows,
                cols,
                width,
                depth,
                scale_y,
            } => {
                let h = |x: f32, z: f32| {
                    heightfield_height(heights, *rows, *cols, *width, *depth, x, z)
                        .map(|v| v * scale_y)
                };
                let Some(h0) = h(local.x, local.z) else {
                    return Err(0.0);
                };
                if local.y > h0 + radius * 3.0 {
                    return Err(0.5 * (local.y - h0 - radius));
                }
                if local.y < h0 - 1.0 {
                    return Err(0.0);
                }
                let e = radius.max(1e-3);
                let hx =
                    h(local.x + e, local.z).unwrap_or(h0) - h(local.x - e, local.z).unwrap_or(h0);
                let hz =
                    h(local.x, local.z + e).unwrap_or(h0) - h(local.x, local.z - e).unwrap_or(h0);
                let n = Vec3::new(-hx / (2.0 * e), 1.0, -hz / (2.0 * e)).normalize();
                // Distance from the local tangent plane.
                let dist = (local.y - h0) * n.y;
                if dist >= radius {
                    return Err(0.5 * (dist - radius));
                }
                (n, radius - dist)
            }
        };
        Ok((self.pose.rotation * normal_local, depth))
    }
}

/// A direction away from a surface point when the particle sits on it:
/// towards where it came from, else up.
fn outward_guess(pose: &Pose, from: Vec3, surface_local: Vec3) -> Vec3 {
    let f = pose.inverse_transform_point(from) - surface_local;
    f.try_normalize().unwrap_or(Vec3::Y)
}

/// Kernels over the support radius `h` (poly6 for density, spiky gradient).
#[derive(Debug, Clone, Copy)]
struct Kernels {
    h: f32,
    h2: f32,
    poly6: f32,
    spiky: f32,
}

impl Kernels {
    fn new(h: f32) -> Kernels {
        let pi = std::f32::consts::PI;
        Kernels {
            h,
            h2: h * h,
            poly6: 315.0 / (64.0 * pi * h.powi(9)),
            spiky: -45.0 / (pi * h.powi(6)),
        }
    }

    fn w(&self, r2: f32) -> f32 {
        if r2 >= self.h2 {
            return 0.0;
        }
        let d = self.h2 - r2;
        self.poly6 * d * d * d
    }

    fn grad(&self, r: Vec3, dist: f32) -> Vec3 {
        if dist >= self.h || dist < 1e-9 {
            return Vec3::ZERO;
        }
        let d = self.h - dist;
        r * (self.spiky * d * d / dist)
    }
}

/// Running totals of one body, for conservation checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct FluidCounters {
    pub emitted: u64,
    pub filled: u64,
    pub drained: u64,
    /// Fell out of the world or went non-finite.
    pub lost: u64,
    /// Wanted to be born but the body was at its cap.
    pub refused: u64,
}

/// The live state of one liquid or granular body.
pub struct FluidState {
    pub kind: FluidKind,
    pub entity: EntityId,
    pub radius: f32,
    pub pos: Vec<Vec3>,
    pub vel: Vec<Vec3>,
    /// Stable particle identities (birth order).
    pub ids: Vec<u32>,
    /// Per-particle colour variation in [-1, 1].
    pub tint: Vec<f32>,
    pred: Vec<Vec3>,
    lambda: Vec<f32>,
    delta: Vec<Vec3>,
    contacts: Vec<u16>,
    /// How far each particle can move before it may touch fixed geometry,
    /// measured from `anchor`: fixed obstacles are skipped until then.
    clear: Vec<f32>,
    anchor: Vec<Vec3>,
    hash: SpatialHash,
    neighbours: Neighbours,
    kernels: Kernels,
    rest_density: f32,
    relaxation: f32,
    viscosity: f32,
    friction: Friction,
    particle_mass: f32,
    max: u32,
    /// Distance each source's stream has advanced since its last layer.
    source_travel: Vec<f32>,
    rng: Rng,
    next_id: u32,
    pub counters: FluidCounters,
    pub substeps_taken: u64,
}

/// Pushes particles gave rigid bodies in one step, for the trace.
#[derive(Debug, Clone, Copy, Default)]
pub struct Coupling {
    pub impulse: Vec3,
}

pub struct FluidSystem {
    pub bodies: Vec<FluidState>,
    obstacles: Vec<Obstacle>,
    /// Index of the first moving obstacle; those before are fixed.
    fixed_count: usize,
    pub coupling: Vec<Coupling>,
}

/// Rest density of a cubic lattice of spacing `d` under these kernels.
fn lattice_density(k: &Kernels, d: f32) -> (f32, f32) {
    let reach = (k.h / d).ceil() as i32;
    let mut rho = 0.0;
    let mut grad_sq = 0.0;
    for x in -reach..=reach {
        for y in -reach..=reach {
            for z in -reach..=reach {
                let r = Vec3::new(x as f32, y as f32, z as f32) * d;
                rho += k.w(r.length_squared());
                let g = k.grad(r, r.length());
                grad_sq += g.length_squared();
            }
        }
    }
    (rho, grad_sq)
}

impl FluidState {
    fn new(body: &FluidBody, index: usize) -> FluidState {
        let r = body.radius;
        let kernels = Kernels::new(4.0 * r);
        let (rest_density, grad_sq) = lattice_density(&kernels, 2.0 * r);
        let c = 1.0 / rest_density;
        FluidState {
            kind: body.kind,
            entity: body.entity,
            radius: r,
            pos: Vec::new(),
            vel: Vec::new(),
            ids: Vec::new(),
            tint: Vec::new(),
            pred: Vec::new(),
            lambda: Vec::new(),
            delta: Vec::new(),
            contacts: Vec::new(),
            clear: Vec::new(),
            anchor: Vec::new(),
            hash: SpatialHash::default(),
            neighbours: Neighbours::default(),
            kernels,
            rest_density,
            // A fraction of a rest particle's constraint stiffness keeps
            // the multipliers finite where neighbours are few.
            relaxation: 0.05 * grad_sq * c * c,
            viscosity: body.viscosity,
            friction: Friction::of(body.friction),
            particle_mass: body.density * body.particle_volume(),
            max: body.max,
            source_travel: vec![0.0; body.sources.len()],
            rng: Rng::derive(body.seed, 0xf1u64 + index as u64),
            next_id: 0,
            counters: FluidCounters::default(),
            substeps_taken: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.pos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pos.is_empty()
    }

    fn push(&mut self, p: Vec3, v: Vec3) -> bool {
        if self.pos.len() >= self.max as usize {
            self.counters.refused += 1;
            return false;
        }
        self.pos.push(p);
        self.vel.push(v);
        self.clear.push(0.0);
        self.anchor.push(p);
        self.ids.push(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        self.tint.push(self.rng.next_f32() * 2.0 - 1.0);
        true
    }

    fn remove(&mut self, i: usize) {
        self.pos.swap_remove(i);
        self.vel.swap_remove(i);
        self.clear.swap_remove(i);
        self.anchor.swap_remove(i);
        self.ids.swap_remove(i);
        self.tint.swap_remove(i);
    }

    /// Births from sources over one step: whole layers of the stream's
    /// cross-section each time it has advanced one particle spacing, so
    /// new particles never overlap.
    fn emit(&mut self, body: &FluidBody, t: f64, dt: f32) {
        let d = 2.0 * self.radius;
        for (si, s) in body.sources.iter().enumerate() {
            if !(t >= s.start && t < s.stop) {
                continue;
            }
            let speed = s.velocity.length().max(0.05);
            self.source_travel[si] += speed * dt;
            while self.source_travel[si] >= d {
                self.source_travel[si] -= d;
                let ahead = self.source_travel[si];
                self.emit_layer(s, d, ahead);
            }
        }
    }

    fn emit_layer(&mut self, s: &Source, d: f32, ahead: f32) {
        let dir = s.velocity.normalize_or(Vec3::NEG_Y);
        let rot = Quat::from_rotation_arc(Vec3::Y, dir);
        let spin = self.rng.next_f32() * std::f32::consts::TAU;
        let (sa, ca) = (libm::sinf(spin), libm::cosf(spin));
        let w = s.width.max(0.0);
        // Offsets across the mouth, in world space.
        let mut offsets: Vec<Vec3> = Vec::new();
        match s.kind {
            SourceKind::Pour | SourceKind::Jet => {
                // A hexagonal patch of the mouth's disc.
                let n = (w / d).ceil() as i32 + 1;
                for j in -n..=n {
                    for i in -n..=n {
                        let x = (i as f32 + 0.5 * (j & 1) as f32) * d;
                        let z = j as f32 * d * 0.866;
                        if x * x + z * z <= w * w + 1e-9 {
                            offsets.push(rot * Vec3::new(x * ca - z * sa, 0.0, x * sa + z * ca));
                        }
                    }
                }
                if offsets.is_empty() {
                    offsets.push(Vec3::ZERO);
                }
            }
            SourceKind::Spill => {
                // A sheet two particles thick across the lip, level.
                let across = Vec3::Y.cross(dir).try_normalize().unwrap_or(Vec3::Z);
                let n = (w / d).ceil() as i32;
                for i in -n..=n {
                    offsets.push(across * (i as f32 * d));
                    offsets.push(across * ((i as f32 + 0.5) * d) + Vec3::Y * (d * 0.866));
                }
            }
        }
        for off in offsets {
            let jitter = Vec3::new(
                self.rng.next_f32() - 0.5,
                self.rng.next_f32() - 0.5,
                self.rng.next_f32() - 0.5,
            ) * (0.1 * d);
            let p = s.position + off + jitter + dir * ahead;
            if self.push(p, s.velocity) {
                self.counters.emitted += 1;
            }
        }
    }
}

impl FluidSystem {
    pub fn new(world: &World, physics: &PhysicsBridge, transforms: &[Transform]) -> FluidSystem {
        let mut sys = FluidSystem {
            bodies: world
                .fluids
                .iter()
                .enumerate()
                .map(|(i, b)| FluidState::new(b, i))
                .collect(),
            obstacles: Vec::new(),
            fixed_count: 0,
            coupling: Vec::new(),
        };
        if world.fluids.is_empty() {
            return sys;
        }
        sys.build_obstacles(world, physics, transforms);
        for (bi, body) in world.fluids.iter().enumerate() {
            sys.fill(world, physics, bi, body);
        }
        sys
    }

    fn build_obstacles(
        &mut self,
        world: &World,
        physics: &PhysicsBridge,
        transforms: &[Transform],
    ) {
        let margin = world
            .fluids
            .iter()
            .map(|b| b.radius * 2.0)
            .fold(0.0, f32::max);
        let mut fixed = Vec::new();
        let mut moving = Vec::new();
        for (i, handle) in physics.colliders.iter().enumerate() {
            let Some(h) = handle else { continue };
            let Some(c) = physics.world.colliders.get(*h) else {
                continue;
            };
            if c.is_sensor() {
                continue;
            }
            let body = c
                .parent()
                .and_then(|b| physics.world.bodies.get(b).map(|rb| (b, rb)));
            let is_fixed = body.is_none_or(|(_, rb)| rb.is_fixed());
            let entity = EntityId(i as u32);
            let shape = match (&world.entity(entity).shape, c.shared_shape().shape_type()) {
                (
                    Shape::Heightfield {
                        heights,
                        rows,
                        cols,
                        width,
                        depth,
                        ..
                    },
                    _,
                ) => {
                    let t = transforms[i];
                    ObstacleShape::Height {
                        heights: heights.clone(),
                        rows: *rows,
                        cols: *cols,
                        width: width * t.scale.x,
                        depth: depth * t.scale.z,
                        scale_y: t.scale.y,
                    }
                }
                (_, ShapeType::TriMesh) => ObstacleShape::Shell(c.shared_shape().clone()),
                _ => ObstacleShape::Solid(c.shared_shape().clone()),
            };
            let aabb = c.compute_aabb();
            let grow = Vec3::splat(margin);
            let (linvel, angvel, centre) = match body {
                Some((_, rb)) => (rb.linvel(), rb.angvel(), rb.center_of_mass()),
                None => (Vec3::ZERO, Vec3::ZERO, Vec3::ZERO),
            };
            let o = Obstacle {
                shape,
                pose: *c.position(),
                min: aabb.mins - grow,
                max: aabb.maxs + grow,
                body: body.filter(|(_, rb)| rb.is_dynamic()).map(|(b, _)| b),
                linvel,
                angvel,
                centre,
                friction: c.friction(),
                entity,
            };
            if is_fixed {
                fixed.push(o);
            } else {
                moving.push(o);
            }
        }
        self.fixed_count = fixed.len();
        self.obstacles = fixed;
        self.obstacles.extend(moving);
    }

    /// Moving obstacles follow their bodies.
    fn refresh_moving(&mut self, physics: &PhysicsBridge) {
        for o in &mut self.obstacles[self.fixed_count..] {
            let Some(h) = physics.colliders.get(o.entity.index()).copied().flatten() else {
                continue;
            };
            let Some(c) = physics.world.colliders.get(h) else {
                continue;
            };
            let grow = o.max - o.min;
            let old = (c.compute_aabb().maxs - c.compute_aabb().mins).max(Vec3::ZERO);
            let margin = ((grow - old) * 0.5).max(Vec3::ZERO);
            let aabb = c.compute_aabb();
            o.pose = *c.position();
            o.min = aabb.mins - margin;
            o.max = aabb.maxs + margin;
            if let Some(rb) = c.parent().and_then(|b| physics.world.bodies.get(b)) {
                o.linvel = rb.linvel();
                o.angvel = rb.angvel();
                o.centre = rb.center_of_mass();
            }
        }
    }

    /// Whether `p` is walled in by fixed geometry (of `container`, when
    /// given) on four sides and below.
    fn enclosed(&self, p: Vec3, container: Option<EntityId>, world: &World) -> bool {
        let dirs = [Vec3::X, Vec3::NEG_X, Vec3::Z, Vec3::NEG_Z, Vec3::NEG_Y];
        let owner = container.map(|c| world.body_owner(c).unwrap_or(c));
        dirs.iter().all(|d| {
            let ray = Ray::new(p, *d);
            self.obstacles[..self.fixed_count].iter().any(|o| {
                if let Some(owner) = owner
                    && world.body_owner(o.entity) != Some(owner)
                    && o.entity != owner
                {
                    return false;
                }
                match &o.shape {
                    ObstacleShape::Solid(s) | ObstacleShape::Shell(s) => {
                        s.cast_ray(&o.pose, &ray, 10.0, false).is_some()
                    }
                    ObstacleShape::Height { .. } => *d == Vec3::NEG_Y,
                }
            })
        })
    }

    /// Places a body's initial particles on a lattice in its fill regions,
    /// leaving out points in or against rigid geometry.
    fn fill(&mut self, world: &World, _physics: &PhysicsBridge, bi: usize, body: &FluidBody) {
        let r = body.radius;
        let d = 2.0 * r;
        for f in &body.fills {
            let (lo, hi) = f.region.bounds();
            let count = ((hi - lo) / d).ceil().max(Vec3::ZERO);
            let total = count.x as f64 * count.y as f64 * count.z as f64;
            if !(total.is_finite() && total <= 4.0e6) {
                continue;
            }
            let (nx, ny, nz) = (count.x as i32, count.y as i32, count.z as i32);
            // Bottom layer first, so a capped fill is a lower level.
            for y in 0..ny {
                for z in 0..nz {
                    for x in 0..nx {
                        let p = lo + (Vec3::new(x as f32, y as f32, z as f32) + 0.5) * d;
                        if p.cmpgt(hi).any() || !f.region.contains(p) {
                            continue;
                        }
                        let blocked = self
                            .obstacles
                            .iter()
                            .any(|o| o.push_out(p, p, r * 0.99).is_ok());
                        if blocked {
                            continue;
                        }
                        if f.inside.is_some() && !self.enclosed(p, f.inside, world) {
                            continue;
                        }
                        let state = &mut self.bodies[bi];
                        if !state.push(p, Vec3::ZERO) {
                            return;
                        }
                        state.counters.filled += 1;
                    }
                }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.bodies.is_empty()
    }

    pub fn particle_count(&self) -> usize {
        self.bodies.iter().map(|b| b.len()).sum()
    }

    /// Advances every body by `dt`, after the rigid step: particles collide
    /// with the bodies' new poses and push dynamic ones back.
    pub fn step(&mut self, world: &World, physics: &mut PhysicsBridge, t: f64, dt: f32) {
        if self.bodies.is_empty() {
            return;
        }
        self.refresh_moving(physics);
        let ends: Vec<Placement> = self.obstacles[self.fixed_count..]
            .iter()
            .map(Placement::of)
            .collect();
        let moving_speed = ends
            .iter()
            .map(|e| e.linvel.length() + e.angvel.length() * e.reach)
            .filter(|v| v.is_finite())
            .fold(0.0f32, f32::max);
        let g = world.settings.gravity;
        let mut pushes: Vec<(RigidBodyHandle, Vec3, Vec3)> = Vec::new();
        for (bi, body) in world.fluids.iter().enumerate() {
            let state = &mut self.bodies[bi];
            state.emit(body, t, dt);
            if state.is_empty() {
                continue;
            }
            // Substeps so no particle moves more than a few radii in one
            // (thin walls are guarded by a swept test besides).
            let vmax = state
                .vel
                .iter()
                .map(|v| v.length_squared())
                .fold(0.0f32, f32::max)
                .sqrt()
                + g.length() * dt;
            // Moving obstacles count too: a ball entering water must not
            // cross more than a few radii of it in one substep.
            let vmax = vmax.max(moving_speed);
            let n = ((vmax * dt / state.radius).ceil() as u32).clamp(1, MAX_SUBSTEPS);
            let h = dt / n as f32;
            for k in 0..n {
                // Bodies have already moved through this step (physics ran
                // first): the particles see them part of the way along, so
                // a fast body pushes water across the substeps rather than
                // all of its step's travel in the first one.
                place_moving(
                    &mut self.obstacles[self.fixed_count..],
                    &ends,
                    dt - (k + 1) as f32 * h,
                );
                substep(state, &self.obstacles, self.fixed_count, g, h, &mut pushes);
                state.substeps_taken += 1;
            }
            place_moving(&mut self.obstacles[self.fixed_count..], &ends, 0.0);
            finish_step(state, body);
        }
        // Reactions on dynamic bodies, summed per body in a fixed order.
        pushes.sort_by_key(|p| p.0.into_raw_parts());
        let mut i = 0;
        self.coupling.clear();
        while i < pushes.len() {
            let handle = pushes[i].0;
            let mut impulse = Vec3::ZERO;
            let mut torque = Vec3::ZERO;
            let com = physics
                .world
                .bodies
                .get(handle)
                .map(|rb| rb.center_of_mass())
                .unwrap_or(Vec3::ZERO);
            while i < pushes.len() && pushes[i].0 == handle {
                impulse += pushes[i].1;
                torque += (pushes[i].2 - com).cross(pushes[i].1);
                i += 1;
            }
            if let Some(rb) = physics.world.bodies.get_mut(handle)
                && impulse.is_finite()
                && torque.is_finite()
            {
                rb.apply_impulse(impulse, true);
                rb.apply_torque_impulse(torque, true);
            }
            self.coupling.push(Coupling { impulse });
        }
    }

    pub fn hash_into(&self, h: &mut StateHasher) {
        for b in &self.bodies {
            h.u64(b.len() as u64);
            for (p, v) in b.pos.iter().zip(&b.vel) {
                h.vec3(*p);
                h.vec3(*v);
            }
        }
    }
}

/// Where a moving obstacle is at the end of a fluid step, and how it
/// moves, so substeps can place it earlier along its path.
struct Placement {
    pose: Pose,
    min: Vec3,
    max: Vec3,
    centre: Vec3,
    linvel: Vec3,
    angvel: Vec3,
    /// How far its farthest bound corner is from the centre of mass: how
    /// far a turn can swing a point of it.
    reach: f32,
}

impl Placement {
    fn of(o: &Obstacle) -> Placement {
        Placement {
            pose: o.pose,
            min: o.min,
            max: o.max,
            centre: o.centre,
            linvel: o.linvel,
            angvel: o.angvel,
            // From the centre of mass, which for a compound body can lie
            // well outside this collider's bounds.
            reach: (o.min - o.centre)
                .abs()
                .max((o.max - o.centre).abs())
                .length(),
        }
    }
}

/// Moves each obstacle back along its motion to where it was `back`
/// seconds before the end of the step (a rigid motion about its centre of
/// mass); 0 puts it at the end exactly.
fn place_moving(obstacles: &mut [Obstacle], ends: &[Placement], back: f32) {
    for (o, e) in obstacles.iter_mut().zip(ends) {
        if back <= 0.0 {
            o.pose = e.pose;
            o.min = e.min;
            o.max = e.max;
            o.centre = e.centre;
            continue;
        }
        let turn = Quat::from_scaled_axis(-e.angvel * back);
        let shift = -e.linvel * back;
        let (turn, shift) = if turn.is_finite() && shift.is_finite() {
            (turn, shift)
        } else {
            (Quat::IDENTITY, Vec3::ZERO)
        };
        let centre = e.centre + shift;
        o.pose.translation = centre + turn * (e.pose.translation - e.centre);
        o.pose.rotation = (turn * e.pose.rotation).normalize();
        o.centre = centre;
        // The bounds follow the shift and grow by what a turn can swing.
        let swing = Vec3::splat((e.angvel.length() * back).min(2.0) * e.reach);
        o.min = e.min + shift - swing;
        o.max = e.max + shift + swing;
    }
}

/// One substep of one body.
fn substep(
    s: &mut FluidState,
    obstacles: &[Obstacle],
    fixed_count: usize,
    g: Vec3,
    dt: f32,
    pushes: &mut Vec<(RigidBodyHandle, Vec3, Vec3)>,
) {
    let n = s.len();
    let r = s.radius;
    // The fastest particles are held to a few radii per substep.
    let vcap = 2.0 * r / dt;
    s.pred.clear();
    for i in 0..n {
        let mut v = s.vel[i] + g * dt;
        let sp = v.length();
        if sp > vcap {
            v *= vcap / sp;
        }
        s.vel[i] = v;
        s.pred.push(s.pos[i] + v * dt);
    }
    s.contacts.clear();
    s.contacts.resize(n, 0);
    // Neighbours within reach plus what the fastest may close in a substep
    // (the kernels ignore pairs beyond their reach).
    let support = match s.kind {
        FluidKind::Liquid => s.kernels.h,
        FluidKind::Granular => 2.0 * r,
    };
    // A whole radius of skin: with half of one, pairs closing within a
    // substep were missed and a settling column jumped above its walls.
    let skin = r;
    s.hash.build(&s.pred, support + skin);
    s.neighbours
        .build(&s.hash, &s.pred, support + skin, NEIGHBOUR_CAP);
    let near = fixed_count;
    collide(s, obstacles, near, dt, pushes);
    match s.kind {
        FluidKind::Liquid => {
            for it in 0..LIQUID_ITERATIONS {
                density_pass(s);
                if it + 1 == LIQUID_ITERATIONS {
                    collide(s, obstacles, near, dt, pushes);
                }
            }
        }
        FluidKind::Granular => {
            for _ in 0..GRAIN_ITERATIONS {
                granular::contact_sweep(
                    &mut s.pred,
                    &s.pos,
                    &s.neighbours,
                    r,
                    s.friction,
                    &mut s.contacts,
                );
                collide(s, obstacles, near, dt, pushes);
            }
        }
    }
    sweep(s, obstacles);
    let inv = 1.0 / dt;
    for i in 0..n {
        // Deep overlaps resolved in one go must not fling particles away.
        let v = (s.pred[i] - s.pos[i]) * inv;
        let sp = v.length();
        // Grain contacts only take energy away: no faster than predicted.
        let cap = match s.kind {
            FluidKind::Liquid => vcap,
            FluidKind::Granular => vcap.min(s.vel[i].length() + 0.3),
        };
        s.vel[i] = if sp > cap { v * (cap / sp) } else { v };
    }
    match s.kind {
        FluidKind::Liquid => viscosity_pass(s),
        FluidKind::Granular => {
            // Resting grains stay put: slow grains in contact stop.
            let sleep = 0.35 * (g.length() * r).sqrt();
            for i in 0..n {
                if s.contacts[i] > 0 && s.vel[i].length() < sleep {
                    s.vel[i] = Vec3::ZERO;
                }
            }
        }
    }
    std::mem::swap(&mut s.pos, &mut s.pred);
}

/// Pushes predicted positions out of obstacles with wall friction, and
/// records the reactions on dynamic bodies.
fn collide(
    s: &mut FluidState,
    obstacles: &[Obstacle],
    fixed_count: usize,
    dt: f32,
    pushes: &mut Vec<(RigidBodyHandle, Vec3, Vec3)>,
) {
    let r = s.radius;
    let wall_friction = match s.kind {
        FluidKind::Liquid => 0.1,
        FluidKind::Granular => 1.0,
    };
    let (friction, mass) = (s.friction, s.particle_mass);
    let pos = &s.pos;
    // Each particle on its own: chunks in parallel, their pushes joined in
    // particle order, so the sums on bodies do not depend on the threads.
    let found: Vec<Vec<(RigidBodyHandle, Vec3, Vec3)>> = s
        .pred
        .par_chunks_mut(PAR_MIN)
        .zip(s.contacts.par_chunks_mut(PAR_MIN))
        .zip(s.clear.par_chunks_mut(PAR_MIN))
        .zip(s.anchor.par_chunks_mut(PAR_MIN))
        .enumerate()
        .map(|(c, (((pred, contacts), clears), anchors))| {
            let mut out = Vec::new();
            for k in 0..pred.len() {
                let from = pos[c * PAR_MIN + k];
                let check_fixed = (pred[k] - anchors[k]).length() >= clears[k];
                let mut clear = f32::MAX;
                let range = if check_fixed { 0 } else { fixed_count };
                for (oi, o) in obstacles.iter().enumerate().skip(range) {
                    let before = pred[k];
                    let (n, depth) = match o.push_out(before, from, r) {
                        Ok(touch) => touch,
                        Err(c) => {
                            if oi < fixed_count {
                                clear = clear.min(c);
                            }
                            continue;
                        }
                    };
                    if oi < fixed_count {
                        clear = 0.0;
                    }
                    let mut p = before + n * depth;
                    let mu = Friction::of(friction.stat.max(o.friction * 0.5) * wall_friction);
                    let rel = (p - from) - o.surface_velocity(p) * dt;
                    let tangent = rel - n * rel.dot(n);
                    p -= mu.correction(tangent, depth);
                    pred[k] = p;
                    contacts[k] = contacts[k].saturating_add(1);
                    if let Some(b) = o.body {
                        out.push((b, -(p - before) * (mass / dt), p));
                    }
                }
                if check_fixed {
                    clears[k] = clear;
                    anchors[k] = pred[k];
                }
            }
            out
        })
        .collect();
    for f in found {
        pushes.extend(f);
    }
}

/// Swept test for particles that moved far in a substep: a wall crossed
/// between the start and the end stops them just before it, so thin walls
/// hold even fast streams.
fn sweep(s: &mut FluidState, obstacles: &[Obstacle]) {
    let r = s.radius;
    let pos = &s.pos;
    s.pred
        .par_iter_mut()
        .with_min_len(PAR_MIN)
        .enumerate()
        .for_each(|(i, pred)| {
            let from = pos[i];
            let d = *pred - from;
            let len = d.length();
            if len < 0.5 * r || !len.is_finite() {
                return;
            }
            let dir = d / len;
            let lo = from.min(*pred);
            let hi = from.max(*pred);
            let ray = Ray::new(from, dir);
            let mut toi = len;
            for o in obstacles {
                if hi.cmplt(o.min).any() || lo.cmpgt(o.max).any() {
                    continue;
                }
                let hit = match &o.shape {
                    ObstacleShape::Shell(sh) | ObstacleShape::Solid(sh) => {
                        sh.cast_ray(&o.pose, &ray, toi, false)
                    }
                    ObstacleShape::Height { .. } => None,
                };
                if let Some(t) = hit {
                    toi = toi.min(t);
                }
            }
            if toi < len {
                *pred = from + dir * (toi - 0.5 * r).max(0.0);
            }
        });
}

/// One Jacobi iteration of the density constraints.
fn density_pass(s: &mut FluidState) {
    let n = s.pred.len();
    let k = s.kernels;
    let inv_rho0 = 1.0 / s.rest_density;
    let relaxation = s.relaxation;
    let (pred, nb) = (&s.pred, &s.neighbours);
    s.lambda.clear();
    s.lambda.resize(n, 0.0);
    s.delta.clear();
    s.delta.resize(n, Vec3::ZERO);
    // Jacobi passes: each particle's value reads only the last pass's, so
    // they run in parallel and give the same bits in any thread order.
    s.lambda
        .par_iter_mut()
        .with_min_len(PAR_MIN)
        .enumerate()
        .for_each(|(i, lambda)| {
            let pi = pred[i];
            let mut rho = k.w(0.0);
            let mut grad_i = Vec3::ZERO;
            let mut sum_sq = 0.0;
            for &j in nb.of(i) {
                let rij = pi - pred[j as usize];
                let r2 = rij.length_squared();
                // The list reaches past the kernels (its skin): skip those.
                if r2 >= k.h2 {
                    continue;
                }
                rho += k.w(r2);
                let gj = k.grad(rij, r2.sqrt()) * inv_rho0;
                grad_i += gj;
                sum_sq += gj.length_squared();
            }
            // Only compression is resisted: a free surface may spread.
            let c = (rho * inv_rho0 - 1.0).max(0.0);
            *lambda = -c / (sum_sq + grad_i.length_squared() + relaxation);
        });
    let lambda = &s.lambda;
    s.delta
        .par_iter_mut()
        .with_min_len(PAR_MIN)
        .enumerate()
        .for_each(|(i, delta)| {
            let pi = pred[i];
            let li = lambda[i];
            let mut dp = Vec3::ZERO;
            for &j in nb.of(i) {
                let rij = pi - pred[j as usize];
                let r2 = rij.length_squared();
                if r2 >= k.h2 {
                    continue;
                }
                dp += k.grad(rij, r2.sqrt()) * (li + lambda[j as usize]);
            }
            *delta = dp * inv_rho0;
        });
    // A bounded correction per iteration: a deep overlap (a fast stream
    // landing) is resolved over several substeps instead of exploding.
    let cap = 0.2 * s.radius;
    for i in 0..n {
        let mut d = s.delta[i];
        let len = d.length();
        if len > cap {
            d *= cap / len;
        }
        if d.is_finite() {
            s.pred[i] += d;
        }
    }
}

/// XSPH viscosity: each particle takes on some of its neighbours' mean
/// velocity (a Jacobi pass over the velocities of the substep).
fn viscosity_pass(s: &mut FluidState) {
    if s.viscosity <= 0.0 {
        return;
    }
    let k = s.kernels;
    let inv_rho0 = 1.0 / s.rest_density;
    let n = s.pos.len();
    let scale = s.viscosity * inv_rho0;
    let (pred, vel, nb) = (&s.pred, &s.vel, &s.neighbours);
    s.delta.clear();
    s.delta.resize(n, Vec3::ZERO);
    s.delta
        .par_iter_mut()
        .with_min_len(PAR_MIN)
        .enumerate()
        .for_each(|(i, delta)| {
            let mut acc = Vec3::ZERO;
            for &j in nb.of(i) {
                let j = j as usize;
                let d2 = pred[i].distance_squared(pred[j]);
                if d2 >= k.h2 {
                    continue;
                }
                acc += (vel[j] - vel[i]) * k.w(d2);
            }
            *delta = acc * scale;
        });
    for i in 0..n {
        s.vel[i] += s.delta[i];
    }
}

/// Sinks, and particles lost out of the world.
fn finish_step(s: &mut FluidState, body: &FluidBody) {
    let mut i = 0;
    while i < s.pos.len() {
        let p = s.pos[i];
        if !p.is_finite() || !s.vel[i].is_finite() || p.y < KILL_HEIGHT {
            s.remove(i);
            s.counters.lost += 1;
            continue;
        }
        if body
            .sinks
            .iter()
            .any(|(lo, hi)| p.cmpge(*lo).all() && p.cmple(*hi).all())
        {
            s.remove(i);
            s.counters.drained += 1;
            continue;
        }
        i += 1;
    }
}

/// Whether entity `e`'s collider is fixed (and so never moves particles
/// it does not touch): containers are fixed.
pub fn is_fixed(world: &World, e: EntityId) -> bool {
    world.body_kind(e) == BodyKind::Fixed
}

/// One body's state as the recorders, the critic and the renderer read it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FluidStats {
    pub count: u32,
    pub emitted: u64,
    pub filled: u64,
    pub drained: u64,
    pub lost: u64,
    pub refused: u64,
    pub centroid: Vec3,
    pub min: Vec3,
    pub max: Vec3,
    /// Cubic metres: occupied cells of the particle spacing (liquids), or
    /// grains at random close packing.
    pub volume: f32,
    pub mean_speed: f32,
    pub max_speed: f32,
    /// Share of particles faster than 5 cm/s.
    pub moving: f32,
    /// Grains: slope of the pile they form, degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slope: Option<f32>,
}

#[derive(Debug, Clone)]
pub struct FluidView {
    pub entity: EntityId,
    pub kind: FluidKind,
    pub radius: f32,
    pub positions: Vec<Vec3>,
    pub ids: Vec<u32>,
    pub tints: Vec<f32>,
    pub stats: FluidStats,
}

impl FluidState {
    pub fn stats(&self, body: &FluidBody) -> FluidStats {
        let n = self.len();
        let mut st = FluidStats {
            count: n as u32,
            emitted: self.counters.emitted,
            filled: self.counters.filled,
            drained: self.counters.drained,
            lost: self.counters.lost,
            refused: self.counters.refused,
            ..Default::default()
        };
        if n == 0 {
            return st;
        }
        let mut lo = Vec3::splat(f32::INFINITY);
        let mut hi = Vec3::splat(f32::NEG_INFINITY);
        let mut sum = Vec3::ZERO;
        let mut speed_sum = 0.0f64;
        let mut moving = 0usize;
        for (p, v) in self.pos.iter().zip(&self.vel) {
            lo = lo.min(*p);
            hi = hi.max(*p);
            sum += *p;
            let sp = v.length();
            speed_sum += sp as f64;
            st.max_speed = st.max_speed.max(sp);
            if sp > 0.05 {
                moving += 1;
            }
        }
        st.centroid = sum / n as f32;
        st.min = lo;
        st.max = hi;
        st.mean_speed = (speed_sum / n as f64) as f32;
        st.moving = moving as f32 / n as f32;
        st.volume = match self.kind {
            FluidKind::Liquid => {
                let d = 2.0 * self.radius;
                let inv = 1.0 / d;
                let mut cells: Vec<(i32, i32, i32)> = self
                    .pos
                    .iter()
                    .map(|p| {
                        let q = ((*p - lo) * inv).floor();
                        (q.x as i32, q.y as i32, q.z as i32)
                    })
                    .collect();
                cells.sort_unstable();
                cells.dedup();
                cells.len() as f32 * d * d * d
            }
            FluidKind::Granular => n as f32 * body.particle_volume(),
        };
        if self.kind == FluidKind::Granular {
            st.slope = granular::pile_slope(&self.pos, self.radius);
        }
        st
    }
}

impl FluidSystem {
    pub fn views(&self, world: &World) -> Vec<FluidView> {
        self.bodies
            .iter()
            .zip(&world.fluids)
            .map(|(s, b)| FluidView {
                entity: s.entity,
                kind: s.kind,
                radius: s.radius,
                positions: s.pos.clone(),
                ids: s.ids.clone(),
                tints: s.tint.clone(),
                stats: s.stats(b),
            })
            .collect()
    }
}
