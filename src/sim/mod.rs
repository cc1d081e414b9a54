//! Stage two: stepping a world through time.
//!
//! [`Simulation`] keeps the solver-side state (rapier's sets, particle
//! buffers, animation bases) and advances a [`World`] one physics step at a
//! time; after each step the world holds the live state (poses, velocities,
//! animated properties). [`Simulation::frame`] takes a [`Frame`] snapshot for
//! the recorders and the renderer, which take it as [`FrameSink`]s. Script callbacks are not called here: the
//! pipeline calls them between steps, and their changes arrive as
//! [`crate::world::Command`]s.

pub mod animate;
pub mod cloth;
pub mod fluid;
pub mod frame;
pub mod granular;
pub mod particles;
pub mod physics;
pub mod sink;
pub mod softbody;
pub mod spatial_hash;

use glam::Vec3;

pub use frame::{CameraView, DeformView, Frame, ParticleView, WIND_SAMPLES, WindLine};
pub use sink::{FrameSink, SinkError};

use crate::util::hash::StateHasher;
use crate::world::{BodyKind, CameraTarget, Command, EntityId, Push, Transform, World};
use animate::Animator;
use particles::ParticleSystem;
use physics::PhysicsBridge;

/// Air density for drag on bodies, kg/m^3.
const AIR_DENSITY: f32 = 1.2;

pub struct Simulation {
    pub physics: PhysicsBridge,
    pub particles: ParticleSystem,
    animator: Animator,
    pushes_done: Vec<bool>,
    /// Bodies that had forces last step (forces persist in rapier until reset).
    forced: Vec<EntityId>,
    step_index: u64,
    dt: f64,
    substeps: u32,
    /// Entities whose pose is driven by animation (kinematic owners).
    kinematic: Vec<EntityId>,
    /// Overlaps as the world was built, before any step resolved them.
    initial_penetrations: Vec<(EntityId, EntityId, f32)>,
    /// Cloth and soft bodies.
    pub deform: cloth::Deformables,
    /// Liquids and grains.
    pub fluids: fluid::FluidSystem,
    /// Liquids and grains step once every this many physics steps.
    fluid_every: u64,
}

/// Longest step the particle solvers take, seconds: they substep by speed
/// themselves, and at the rigid world's 240 Hz most of their work was
/// spent on steps nothing needed.
const FLUID_STEP_MAX: f64 = 1.0 / 120.0;

/// The largest number of physics steps per frame that divides them evenly
/// (so fluids are in step at every frame) and spans at most
/// [`FLUID_STEP_MAX`].
fn fluid_stride(dt: f64, substeps: u32) -> u64 {
    (1..=substeps.max(1) as u64)
        .filter(|k| {
            (substeps.max(1) as u64).is_multiple_of(*k) && *k as f64 * dt <= FLUID_STEP_MAX + 1e-12
        })
        .max()
        .unwrap_or(1)
}

impl Simulation {
    /// Builds the solver state for a world at t = 0, applying animations at
    /// t = 0 so the first frame shows them.
    pub fn new(world: &mut World) -> Simulation {
        let dt = world.settings.step_dt();
        let mut animator = Animator::new(world);
        animator.apply(world, 0.0);
        let transforms = world.world_transforms();
        let mut physics = PhysicsBridge::new(world, dt as f32);
        physics.sync(world, &transforms, dt as f32);
        let particles = ParticleSystem::new(world, &transforms);
        let deform = cloth::Deformables::new(world, &transforms);
        let fluids = fluid::FluidSystem::new(world, &physics, &transforms);
        let mut sim = Simulation {
            physics,
            particles,
            animator,
            pushes_done: Vec::new(),
            forced: Vec::new(),
            step_index: 0,
            dt,
            substeps: world.settings.substeps,
            fluid_every: fluid_stride(dt, world.settings.substeps),
            kinematic: Vec::new(),
            initial_penetrations: Vec::new(),
            deform,
            fluids,
        };
        sim.initial_penetrations = sim.physics.initial_penetrations();
        sim.refresh_kinematic(world);
        world.time = 0.0;
        sim
    }

    fn refresh_kinematic(&mut self, world: &World) {
        self.kinematic = self
            .physics
            .moving
            .iter()
            .copied()
            .filter(|id| world.body_kind(*id) == BodyKind::Kinematic)
            .collect();
    }

    pub fn time(&self) -> f64 {
        self.step_index as f64 * self.dt
    }

    pub fn dt(&self) -> f64 {
        self.dt
    }

    pub fn steps(&self) -> u64 {
        self.step_index
    }

    /// Creates solver state for entities and joints added since the start
    /// (by callbacks, or in the REPL).
    fn sync_new(&mut self, world: &mut World) {
        if world.entities.len() > self.physics.bodies.len()
            || world.joints.len() > self.physics.joints_built
        {
            let transforms = world.world_transforms();
            self.physics.sync(world, &transforms, self.dt as f32);
            self.refresh_kinematic(world);
        }
    }

    fn apply_commands(&mut self, world: &mut World, transforms: &[Transform]) {
        let commands = std::mem::take(&mut world.commands);
        for c in commands {
            match c {
                Command::Impulse {
                    entity,
                    impulse,
                    point,
                } => self.physics.with_body(entity, |rb| match point {
                    Some(p) => rb.apply_impulse_at_point(impulse, p, true),
                    None => rb.apply_impulse(impulse, true),
                }),
                Command::TorqueImpulse { entity, torque } => self
                    .physics
                    .with_body(entity, |rb| rb.apply_torque_impulse(torque, true)),
                Command::SetVelocity { entity, velocity } => {
                    self.physics
                        .with_body(entity, |rb| rb.set_linvel(velocity, true));
                    world.entity_mut(entity).linear_velocity = velocity;
                }
                Command::SetAngularVelocity {
                    entity,
                    degrees_per_second,
                } => {
                    let w = degrees_per_second * (std::f32::consts::PI / 180.0);
                    self.physics.with_body(entity, |rb| rb.set_angvel(w, true));
                    world.entity_mut(entity).angular_velocity = degrees_per_second;
                }
                Command::SetTransform { entity } => {
                    let t = world.world_transform(entity);
                    self.physics.teleport(entity, &t);
                }
                Command::Burst { emitter, count } => {
                    self.particles
                        .burst(world, transforms, emitter.0 as usize, count);
                }
            }
        }
    }

    fn apply_pushes(&mut self, world: &World, t: f64) {
        for id in self.forced.drain(..) {
            self.physics.with_body(id, |rb| {
                rb.reset_forces(false);
                rb.reset_torques(false);
            });
        }
        self.pushes_done.resize(world.pushes.len(), false);
        let t_end = t + self.dt;
        for (i, p) in world.pushes.iter().enumerate() {
            match p {
                Push::Impulse {
                    entity,
                    time,
                    impulse,
                    point,
                } if !self.pushes_done[i] && *time < t_end => {
                    self.pushes_done[i] = true;
                    self.physics.with_body(*entity, |rb| match point {
                        Some(pt) => rb.apply_impulse_at_point(*impulse, *pt, true),
                        None => rb.apply_impulse(*impulse, true),
                    });
                }
                Push::TorqueImpulse {
                    entity,
                    time,
                    torque,
                } if !self.pushes_done[i] && *time < t_end => {
                    self.pushes_done[i] = true;
                    self.physics
                        .with_body(*entity, |rb| rb.apply_torque_impulse(*torque, true));
                }
                Push::Force {
                    entity,
                    from,
                    to,
                    force,
                    point,
                } if t >= *from && t < *to => {
                    self.physics.with_body(*entity, |rb| match point {
                        Some(pt) => rb.add_force_at_point(*force, *pt, true),
                        None => rb.add_force(*force, true),
                    });
                    self.forced.push(*entity);
                }
                Push::Torque {
                    entity,
                    from,
                    to,
                    torque,
                } if t >= *from && t < *to => {
                    self.physics
                        .with_body(*entity, |rb| rb.add_torque(*torque, true));
                    self.forced.push(*entity);
                }
                _ => {}
            }
        }
    }

    /// Wind drags bodies by their cross-section; attractors pull by mass;
    /// drag fields slow them.
    fn apply_fields(&mut self, world: &World, t: f64) {
        let fields: Vec<_> = world.fields.iter().filter(|f| f.acts_on_bodies()).collect();
        if fields.is_empty() {
            return;
        }
        let tf = t as f32;
        let moving = self.physics.moving.clone();
        for id in moving {
            if world.body_kind(id) != BodyKind::Dynamic {
                continue;
            }
            let e = world.entity(id);
            let half = (e.shape.half_extents() * e.transform.scale).max(Vec3::splat(0.01));
            // Mean projected area of the bounding box.
            let area = (half.x * half.y + half.y * half.z + half.x * half.z) * 4.0 / 3.0;
            let p = e.transform.position;
            let v = e.linear_velocity;
            let air: Vec3 = fields.iter().map(|f| f.air_velocity(p, tf)).sum();
            let accel: Vec3 = fields.iter().map(|f| f.acceleration(p)).sum();
            let drag_rate: f32 = fields.iter().map(|f| f.drag_rate()).sum();
            let mass = self.physics.mass(id).unwrap_or(1.0);
            let rel = air - v;
            let mut force = 0.5 * AIR_DENSITY * area * rel.length() * rel + accel * mass
                - v * (drag_rate * mass);
            if !force.is_finite() {
                force = Vec3::ZERO;
            }
            if force.length_squared() > 0.0 {
                self.physics.with_body(id, |rb| rb.add_force(force, true));
                self.forced.push(id);
            }
        }
    }

    /// Advances the world by one physics step.
    pub fn step(&mut self, world: &mut World) {
        let t = self.time();
        let t_next = (self.step_index + 1) as f64 * self.dt;
        self.sync_new(world);
        let transforms = world.world_transforms();
        self.apply_commands(world, &transforms);
        // Kinematic bodies move to where the animation has them at the end of
        // the step, so contacts see their velocity.
        self.animator.apply(world, t_next);
        if !self.kinematic.is_empty() {
            let animated = world.world_transforms();
            for id in &self.kinematic {
                self.physics.set_kinematic_pose(*id, &animated[id.index()]);
            }
        }
        self.apply_pushes(world, t);
        self.apply_fields(world, t);
        self.physics.step();
        self.physics.write_back(world);
        let transforms = world.world_transforms();
        let sample_air = self.step_index.is_multiple_of(self.substeps.max(1) as u64);
        self.particles
            .step(world, &transforms, t, self.dt, sample_air);
        self.deform.step(world, &transforms, t, self.dt, sample_air);
        // Two-way coupling: the pushes cloth and soft bodies gave dynamic
        // bodies this step act on them from the next.
        for r in self.deform.take_reactions() {
            self.physics.with_body(r.entity, |rb| {
                let com = rb.center_of_mass();
                rb.apply_impulse(r.impulse, true);
                rb.apply_torque_impulse(r.angular + (r.origin - com).cross(r.impulse), true);
            });
        }
        if (self.step_index + 1).is_multiple_of(self.fluid_every) {
            let span = self.fluid_every as f64 * self.dt;
            self.fluids
                .step(world, &mut self.physics, t_next - span, span as f32);
        }
        self.step_index += 1;
        world.time = t_next;
    }

    /// Hash of the exact state: poses and velocities of every entity and
    /// every particle, and the step count.
    pub fn state_hash(&self, world: &World, transforms: &[Transform]) -> u64 {
        let mut h = StateHasher::default();
        h.u64(self.step_index);
        for (e, t) in world.entities.iter().zip(transforms) {
            h.vec3(t.position);
            h.quat(t.rotation);
            h.vec3(e.linear_velocity);
            h.vec3(e.angular_velocity);
        }
        h.u64(self.particles.len() as u64);
        for (p, v) in self.particles.pos.iter().zip(&self.particles.vel) {
            h.vec3(*p);
            h.vec3(*v);
        }
        for b in &self.deform.bodies {
            for (p, v) in b.positions().iter().zip(b.velocities()) {
                h.vec3(*p);
                h.vec3(*v);
            }
        }
        self.fluids.hash_into(&mut h);
        h.finish()
    }

    /// A snapshot of the world now, for output frame `index`.
    pub fn frame(&self, world: &World, index: u64) -> Frame {
        let transforms = world.world_transforms();
        let camera = camera_view(world, &transforms);
        let ps = &self.particles;
        let mut view = ParticleView {
            positions: ps.pos.clone(),
            velocities: ps.vel.clone(),
            angles: ps.angle.clone(),
            axes: ps.axis.clone(),
            emitters: ps.emitter.clone(),
            stats: ps.stats(world.emitters.len()),
            ..Default::default()
        };
        view.sizes.reserve(ps.len());
        view.colors.reserve(ps.len());
        for i in 0..ps.len() {
            let e = &world.emitters[ps.emitter[i] as usize];
            let f = (ps.age[i] / ps.life[i].max(1e-6)).clamp(0.0, 1.0);
            let f = if ps.settled[i] { 0.0 } else { f };
            view.sizes.push(e.size[0] + (e.size[1] - e.size[0]) * f);
            let c = e.color[0].lerp(e.color[1], f) * (1.0 + e.variation * ps.tint[i] * 0.5);
            let a = e.opacity[0] + (e.opacity[1] - e.opacity[0]) * f;
            view.colors
                .push([c.x.max(0.0), c.y.max(0.0), c.z.max(0.0), a]);
        }
        let centre = camera.target;
        let tf = world.time as f32;
        let (masses, energies) = self.physics.masses_and_energies(world.entities.len());
        let air = |p: Vec3| -> Vec3 { world.fields.iter().map(|f| f.air_velocity(p, tf)).sum() };
        let wind = air(centre);
        // Samples a few metres apart across what the camera sees: the
        // gusts' structure is tens of metres long.
        let reach = (camera.position - camera.target).length();
        let spacing = (reach / 4.0).clamp(1.0, 8.0);
        let wind_line = if world.fields.is_empty() {
            frame::WindLine::still(centre)
        } else {
            frame::WindLine::sample(centre, wind, spacing, air)
        };
        Frame {
            index,
            time: world.time,
            visible: world.entities.iter().map(|e| e.visible).collect(),
            materials: world.entities.iter().map(|e| e.material.clone()).collect(),
            velocities: world
                .entities
                .iter()
                .map(|e| (e.linear_velocity, e.angular_velocity))
                .collect(),
            aabbs: (0..world.entities.len())
                .map(|i| self.physics.aabb(EntityId(i as u32)))
                .collect(),
            masses,
            energies,
            // Before the first step the solver has seen no contacts; the
            // overlaps the scene was built with stand in for them.
            penetrations: if self.step_index == 0 {
                self.initial_penetrations.clone()
            } else {
                self.physics.penetrations()
            },
            lights: world.lights.clone(),
            camera,
            environment: world.environment.clone(),
            particles: view,
            wind,
            wind_line,
            state_hash: self.state_hash(world, &transforms),
            deformables: self.deform_views(),
            transforms,
            fluids: self.fluids.views(world),
        }
    }
}

impl Simulation {
    /// Live vertices and state of every cloth and soft body.
    fn deform_views(&self) -> Vec<DeformView> {
        let stats = self.deform.stats();
        self.deform
            .bodies
            .iter()
            .zip(stats)
            .map(|(b, stats)| DeformView {
                entity: b.entity(),
                kind: b.kind_name(),
                positions: std::sync::Arc::new(b.positions().to_vec()),
                triangles: b.triangles().clone(),
                stats,
            })
            .collect()
    }
}

/// The camera as the renderer sees it, with entity targets resolved.
pub fn camera_view(world: &World, transforms: &[Transform]) -> CameraView {
    let c = &world.camera;
    let target = match c.target {
        CameraTarget::Point { at } => at,
        CameraTarget::Entity { id } => transforms[id.index()].position,
    };
    CameraView {
        position: c.position,
        target,
        fov: c.fov,
    }
}

#[cfg(test)]
mod tests {
    use super::fluid_stride;

    #[test]
    fn fluids_step_at_most_every_120th_of_a_second_in_time_with_frames() {
        // 24 fps x 10 substeps: 240 Hz physics, fluids every second step.
        assert_eq!(fluid_stride(1.0 / 240.0, 10), 2);
        // 60 fps x 4: 240 Hz, and 2 divides 4.
        assert_eq!(fluid_stride(1.0 / 240.0, 4), 2);
        // 30 fps x 3: 90 Hz is already slower than 120 Hz.
        assert_eq!(fluid_stride(1.0 / 90.0, 3), 1);
        // 24 fps x 25: 600 Hz; 5 steps make 1/120 s exactly.
        assert_eq!(fluid_stride(1.0 / 600.0, 25), 5);
    }
}
