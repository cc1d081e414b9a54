//! The bridge to rapier: builds bodies, colliders and joints from the world,
//! steps them, and writes poses and velocities back.

use glam::Vec3;
use rapier3d::math::Pose;
use rapier3d::parry::utils::Array2;
use rapier3d::prelude::*;

use crate::world::mesh::tessellate;
use crate::world::physics::ColliderKind;
use crate::world::{BodyKind, EntityId, JointKind, Shape, Transform, World};

/// Physical defaults for entities that give none.
pub const DEFAULT_DENSITY: f32 = 1000.0;

pub fn pose(t: &Transform) -> Pose {
    Pose::from_parts(t.position, t.rotation)
}

/// Collider shape for an entity's shape at a world scale, or `None` when it
/// has no collision geometry.
fn collider_shape(
    shape: &Shape,
    scale: Vec3,
    kind: ColliderKind,
    moving: bool,
) -> Option<SharedShape> {
    if kind == ColliderKind::None {
        return None;
    }
    let uniform_xz = (scale.x - scale.z).abs() < 1e-6;
    let uniform = uniform_xz && (scale.x - scale.y).abs() < 1e-6;
    let mesh_shape = |k: ColliderKind| -> Option<SharedShape> {
        let m = tessellate(shape);
        if m.indices.is_empty() {
            return None;
        }
        let pts: Vec<Vec3> = m.positions.iter().map(|p| *p * scale).collect();
        let wants_trimesh = match k {
            ColliderKind::Trimesh => true,
            ColliderKind::Auto => !moving,
            _ => false,
        };
        if k == ColliderKind::Decompose {
            return Some(SharedShape::convex_decomposition(&pts, &m.indices));
        }
        if wants_trimesh {
            SharedShape::trimesh(pts, m.indices.clone()).ok()
        } else {
            SharedShape::convex_hull(&pts)
        }
    };
    // Explicit mesh-style colliders apply to every shape.
    if matches!(
        kind,
        ColliderKind::Convex | ColliderKind::Trimesh | ColliderKind::Decompose
    ) && !matches!(shape, Shape::Heightfield { .. } | Shape::Group)
    {
        return mesh_shape(kind);
    }
    match shape {
        Shape::Group => None,
        Shape::Box { size } => {
            let h = *size * scale * 0.5;
            Some(SharedShape::cuboid(h.x, h.y, h.z))
        }
        Shape::Sphere { radius } if uniform => Some(SharedShape::ball(radius * scale.x)),
        Shape::Cylinder { radius, height } if uniform_xz => {
            let (hh, r) = (height * scale.y * 0.5, radius * scale.x);
            // A moving cylinder gets a slightly rounded rim, same outer size:
            // the sharp one sinks through thin fixed bodies (a can through a
            // 2 cm coaster) where the rounded one rests.
            let border = (0.1 * hh.min(r)).min(0.005);
            Some(if moving && border > 1e-4 {
                SharedShape::round_cylinder(hh - border, r - border, border)
            } else {
                SharedShape::cylinder(hh, r)
            })
        }
        Shape::Cone { radius, height } if uniform_xz => {
            Some(SharedShape::cone(height * scale.y * 0.5, radius * scale.x))
        }
        Shape::Capsule { radius, height } if uniform_xz => Some(SharedShape::capsule_y(
            height * scale.y * 0.5,
            radius * scale.x,
        )),
        Shape::Plane { width, depth } => {
            let (w, d) = (width * scale.x, depth * scale.z);
            let thickness = plane_thickness(w, d);
            // A slab whose top face is the plane.
            Some(SharedShape::compound(vec![(
                Pose::from_translation(Vec3::new(0.0, -thickness * 0.5, 0.0)),
                SharedShape::cuboid(w * 0.5, thickness * 0.5, d * 0.5),
            )]))
        }
        Shape::Heightfield {
            heights,
            rows,
            cols,
            width,
            depth,
            ..
        } => {
            let cols = *cols;
            let data = Array2::from_fn(*rows, cols, |i, j| heights[i * cols + j]);
            Some(SharedShape::heightfield(
                data,
                Vec3::new(width * scale.x, scale.y, depth * scale.z),
            ))
        }
        Shape::Torus { .. } | Shape::Mesh { .. } => mesh_shape(kind),
        // Non-uniformly scaled round shapes become hulls of their meshes.
        _ => mesh_shape(ColliderKind::Convex),
    }
}

/// Thickness of the slab under a plane: enough that nothing tunnels, not so
/// much that it pokes out under a table top.
pub fn plane_thickness(width: f32, depth: f32) -> f32 {
    (0.1 * width.min(depth)).clamp(0.02, 0.5)
}

pub struct PhysicsBridge {
    pub world: PhysicsWorld,
    /// Rigid body of each entity that owns one.
    pub bodies: Vec<Option<RigidBodyHandle>>,
    /// Collider of each entity that has one.
    pub colliders: Vec<Option<ColliderHandle>>,
    /// Entities with their own moving body, in creation order.
    pub moving: Vec<EntityId>,
    anchor: Option<RigidBodyHandle>,
    pub joints_built: usize,
    pub ccd_bodies: usize,
}

impl PhysicsBridge {
    pub fn new(world: &World, dt: f32) -> Self {
        let mut pw = PhysicsWorld::new();
        pw.gravity = world.settings.gravity;
        pw.integration_parameters.dt = dt;
        pw.integration_parameters.num_solver_iterations =
            world.settings.solver_iterations.max(1) as usize;
        PhysicsBridge {
            world: pw,
            bodies: Vec::new(),
            colliders: Vec::new(),
            moving: Vec::new(),
            anchor: None,
            joints_built: 0,
            ccd_bodies: 0,
        }
    }

    /// Builds bodies and colliders for entities created since the last call,
    /// then joints. `world_t` are the world transforms of all entities.
    // Entity indices address several parallel arrays here.
    #[allow(clippy::needless_range_loop)]
    pub fn sync(&mut self, world: &mut World, world_t: &[Transform], step_dt: f32) {
        let start = self.bodies.len();
        let n = world.entities.len();
        self.bodies.resize(n, None);
        self.colliders.resize(n, None);
        // Bodies first, so that colliders of children can attach to them.
        for i in start..n {
            let id = EntityId(i as u32);
            if world.body_owner(id) != Some(id) {
                continue;
            }
            let kind = world.body_kind(id);
            let e = &world.entities[i];
            let t = world_t[i];
            let builder = match kind {
                BodyKind::Dynamic => RigidBodyBuilder::dynamic(),
                BodyKind::Kinematic => RigidBodyBuilder::kinematic_position_based(),
                _ => RigidBodyBuilder::fixed(),
            };
            let mut builder = builder
                .pose(pose(&t))
                .user_data(i as u128)
                .linear_damping(e.body.linear_damping)
                .angular_damping(e.body.angular_damping)
                .gravity_scale(e.body.gravity_scale);
            if kind == BodyKind::Dynamic {
                builder = builder
                    .linvel(e.body.velocity)
                    .angvel(e.body.angular_velocity * (std::f32::consts::PI / 180.0));
                let half = e.shape.half_extents() * t.scale;
                let small = half.max_element();
                let fast = e.body.velocity.length() * step_dt > 0.25 * half.min_element().max(1e-3);
                let ccd = e.body.ccd.unwrap_or(fast || small < 0.05);
                if ccd {
                    self.ccd_bodies += 1;
                }
                builder = builder.ccd_enabled(ccd);
            }
            let handle = self.world.bodies.insert(builder);
            self.bodies[i] = Some(handle);
            if kind.moves() {
                self.moving.push(id);
                if kind == BodyKind::Dynamic && e.parent.is_some() {
                    // Physics now owns its pose: detach it from its parent's frame.
                    let e = &mut world.entities[i];
                    e.world_space = true;
                    e.transform = Transform {
                        scale: t.scale,
                        ..t
                    };
                }
            }
        }
        // Colliders.
        for i in start..n {
            let id = EntityId(i as u32);
            let Some(owner) = world.body_owner(id) else {
                continue;
            };
            let Some(body) = self.bodies[owner.index()] else {
                continue;
            };
            let owner_kind = world.body_kind(owner);
            let e = &world.entities[i];
            let t = world_t[i];
            let Some(shape) =
                collider_shape(&e.shape, t.scale, e.body.collider, owner_kind.moves())
            else {
                continue;
            };
            let owner_e = &world.entities[owner.index()];
            let physical = e.material.physical();
            let owner_physical = owner_e.material.physical();
            let friction = e
                .body
                .friction
                .or(owner_e.body.friction)
                .unwrap_or(physical.friction);
            let restitution = e
                .body
                .restitution
                .or(owner_e.body.restitution)
                .unwrap_or(physical.restitution);
            let density =
                e.body
                    .density
                    .or(owner_e.body.density)
                    .unwrap_or(if e.material.preset.is_some() {
                        physical.density
                    } else {
                        owner_physical.density
                    });
            let relative = t.relative_to(&world_t[owner.index()]);
            let builder = ColliderBuilder::new(shape)
                .position(Pose::from_parts(
                    relative.position * world_t[owner.index()].scale,
                    relative.rotation,
                ))
                .friction(friction)
                .restitution(restitution)
                // A bouncy ball should bounce on any floor: take the larger.
                .restitution_combine_rule(CoefficientCombineRule::Max)
                .density(density)
                .sensor(e.body.sensor)
                .user_data(i as u128);
            let h = self
                .world
                .colliders
                .insert_with_parent(builder, body, &mut self.world.bodies);
            self.colliders[i] = Some(h);
        }
        // A given total mass overrides densities: scale the owner's colliders.
        for i in start..n {
            let id = EntityId(i as u32);
            let Some(mass) = world.entities[i].body.mass else {
                continue;
            };
            if world.body_owner(id) != Some(id) {
                continue;
            }
            let parts: Vec<ColliderHandle> = (0..n)
                .filter(|j| world.body_owner(EntityId(*j as u32)) == Some(id))
                .filter_map(|j| self.colliders[j])
                .collect();
            let total: f32 = parts.iter().map(|c| self.world.colliders[*c].mass()).sum();
            if total > 0.0 {
                for c in parts {
                    let col = &mut self.world.colliders[c];
                    let d = col.density() * mass / total;
                    col.set_density(d);
                }
            } else if let Some(b) = self.bodies[i] {
                // No collider (e.g. an empty group): give the body the mass directly.
                self.world.bodies[b].set_additional_mass(mass, true);
            }
        }
        // Rapier updates mass properties at its next step; the first frame's
        // masses and energies must already be right.
        for b in self.bodies[start..n].iter().flatten() {
            let colliders = &self.world.colliders;
            self.world.bodies[*b].recompute_mass_properties_from_colliders(colliders);
        }
        self.sync_joints(world);
    }

    fn anchor_body(&mut self) -> RigidBodyHandle {
        if let Some(a) = self.anchor {
            return a;
        }
        let a = self
            .world
            .bodies
            .insert(RigidBodyBuilder::fixed().user_data(u128::MAX));
        self.anchor = Some(a);
        a
    }

    fn sync_joints(&mut self, world: &World) {
        for j in &world.joints[self.joints_built..] {
            let body_of = |id: EntityId| world.body_owner(id).and_then(|o| self.bodies[o.index()]);
            let b2 = match body_of(j.b) {
                Some(b) => b,
                None => continue,
            };
            let b1 = match j.a {
                Some(a) => match body_of(a) {
                    Some(b) => b,
                    None => continue,
                },
                None => self.anchor_body(),
            };
            let p1 = *self.world.bodies[b1].position();
            let p2 = *self.world.bodies[b2].position();
            let local1 = p1.inverse_transform_point(j.anchor_a);
            let local2_same = p2.inverse_transform_point(j.anchor_a);
            let local2_end = p2.inverse_transform_point(j.anchor_b);
            let axis1 = p1.rotation.conjugate() * j.axis;
            let axis2 = p2.rotation.conjugate() * j.axis;
            let initial = j.anchor_a.distance(j.anchor_b);
            let mut joint: GenericJoint = match j.kind {
                JointKind::Fixed => {
                    let mut g: GenericJoint = FixedJointBuilder::new().build().into();
                    // Weld in the current relative pose.
                    g.set_local_frame1(Pose::from_parts(local1, p1.rotation.conjugate()));
                    g.set_local_frame2(Pose::from_parts(local2_same, p2.rotation.conjugate()));
                    g
                }
                JointKind::Hinge => {
                    let mut b = RevoluteJointBuilder::new(axis1)
                        .local_anchor1(local1)
                        .local_anchor2(local2_same);
                    if let Some([lo, hi]) = j.limits {
                        b = b.limits([lo.to_radians(), hi.to_radians()]);
                    }
                    if let Some(s) = j.motor_speed {
                        b = b.motor_velocity(s.to_radians(), 10.0);
                    }
                    let mut g: GenericJoint = b.build().into();
                    g.set_local_axis2(axis2);
                    g
                }
                JointKind::Slider => {
                    let mut b = PrismaticJointBuilder::new(axis1)
                        .local_anchor1(local1)
                        .local_anchor2(local2_same);
                    if let Some(l) = j.limits {
                        b = b.limits(l);
                    }
                    if let Some(s) = j.motor_speed {
                        b = b.motor_velocity(s, 10.0);
                    }
                    let mut g: GenericJoint = b.build().into();
                    g.set_local_axis2(axis2);
                    g
                }
                JointKind::Ball => SphericalJointBuilder::new()
                    .local_anchor1(local1)
                    .local_anchor2(local2_same)
                    .build()
                    .into(),
                JointKind::Rope => RopeJointBuilder::new(j.length.unwrap_or(initial))
                    .local_anchor1(local1)
                    .local_anchor2(local2_end)
                    .build()
                    .into(),
                JointKind::Distance => {
                    // A rigid massless rod: the end point on `b` is held at the
                    // anchor, so `b` swings around it at a fixed distance.
                    let len = j.length.unwrap_or(initial);
                    let dir = (j.anchor_b - j.anchor_a).normalize_or(Vec3::NEG_Y);
                    let local_b = p2.inverse_transform_point(j.anchor_b - dir * len);
                    SphericalJointBuilder::new()
                        .local_anchor1(local1)
                        .local_anchor2(local_b)
                        .build()
                        .into()
                }
                JointKind::Spring => {
                    SpringJointBuilder::new(j.length.unwrap_or(initial), j.stiffness, j.damping)
                        .local_anchor1(local1)
                        .local_anchor2(local2_end)
                        .build()
                        .into()
                }
            };
            // Jointed parts touch by design (hinged planks, pendulum on its
            // post); letting them collide makes them fight the joint.
            joint.set_contacts_enabled(false);
            // Swinging things pass through moments of rest at every turn;
            // sleep would freeze them there.
            for b in [b1, b2] {
                let act = self.world.bodies[b].activation_mut();
                act.normalized_linear_threshold = -1.0;
                act.angular_threshold = -1.0;
            }
            self.world.impulse_joints.insert(b1, b2, joint, true);
        }
        self.joints_built = world.joints.len();
    }

    pub fn body(&self, id: EntityId) -> Option<RigidBodyHandle> {
        self.bodies.get(id.index()).copied().flatten()
    }

    pub fn step(&mut self) {
        self.world.step();
    }

    /// Copies poses and velocities of moving bodies back into the world.
    pub fn write_back(&self, world: &mut World) {
        for id in &self.moving {
            let Some(h) = self.body(*id) else { continue };
            let rb = &self.world.bodies[h];
            let e = &mut world.entities[id.index()];
            let p = rb.position();
            e.linear_velocity = rb.linvel();
            e.angular_velocity = rb.angvel() * (180.0 / std::f32::consts::PI);
            if rb.is_dynamic() {
                e.transform.position = p.translation;
                e.transform.rotation = p.rotation;
            }
        }
    }

    /// World-space bounding box of an entity's collider.
    pub fn aabb(&self, id: EntityId) -> Option<(Vec3, Vec3)> {
        let c = self.colliders.get(id.index()).copied().flatten()?;
        let a = self.world.colliders[c].compute_aabb();
        Some((a.mins, a.maxs))
    }

    /// Deepest penetration (metres, positive) between touching entity pairs,
    /// ordered by entity ids. The depth is measured on the shapes as they are
    /// now: rapier's manifolds may carry distances from an earlier step.
    pub fn penetrations(&self) -> Vec<(EntityId, EntityId, f32)> {
        let mut out = Vec::new();
        for pair in self.world.narrow_phase.contact_pairs() {
            if pair.find_deepest_contact().is_none() {
                continue;
            }
            let (Some(c1), Some(c2)) = (
                self.world.colliders.get(pair.collider1),
                self.world.colliders.get(pair.collider2),
            ) else {
                continue;
            };
            if c1.is_sensor() || c2.is_sensor() {
                continue;
            }
            let Ok(Some(contact)) = rapier3d::parry::query::contact(
                c1.position(),
                c1.shape(),
                c2.position(),
                c2.shape(),
                0.0,
            ) else {
                continue;
            };
            if contact.dist >= 0.0 {
                continue;
            }
            let (a, b) = (EntityId(c1.user_data as u32), EntityId(c2.user_data as u32));
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            out.push((a, b, -contact.dist));
        }
        out.sort_by_key(|x| (x.0, x.1));
        out
    }

    /// Shape overlaps between colliders of different bodies, fixed ones
    /// included, computed directly from the shapes (rapier has no
    /// contacts before its first step).
    pub fn initial_penetrations(&self) -> Vec<(EntityId, EntityId, f32)> {
        use rapier3d::parry::bounding_volume::BoundingVolume;
        let mut items: Vec<(rapier3d::parry::bounding_volume::Aabb, ColliderHandle)> = self
            .world
            .colliders
            .iter()
            .filter(|(_, c)| !c.is_sensor())
            .map(|(h, c)| (c.compute_aabb(), h))
            .collect();
        // Sweep and prune along x: only pairs whose boxes overlap get a shape test.
        items.sort_by(|a, b| {
            a.0.mins
                .x
                .total_cmp(&b.0.mins.x)
                .then(a.1.into_raw_parts().cmp(&b.1.into_raw_parts()))
        });
        let mut out = Vec::new();
        for i in 0..items.len() {
            let (ai, hi) = &items[i];
            for (aj, hj) in &items[i + 1..] {
                if aj.mins.x > ai.maxs.x {
                    break;
                }
                if !ai.intersects(aj) {
                    continue;
                }
                let (ci, cj) = (&self.world.colliders[*hi], &self.world.colliders[*hj]);
                // Fixed pairs too: the critic judges a thing sunk into another
                // at the start even when neither moves.
                if ci.parent() == cj.parent() {
                    continue;
                }
                if let Ok(Some(c)) = rapier3d::parry::query::contact(
                    ci.position(),
                    ci.shape(),
                    cj.position(),
                    cj.shape(),
                    0.0,
                ) && c.dist < 0.0
                {
                    let (a, b) = (EntityId(ci.user_data as u32), EntityId(cj.user_data as u32));
                    let (a, b) = if a <= b { (a, b) } else { (b, a) };
                    out.push((a, b, -c.dist));
                }
            }
        }
        out.sort_by_key(|x| (x.0, x.1));
        out
    }

    pub fn set_kinematic_pose(&mut self, id: EntityId, t: &Transform) {
        if let Some(h) = self.body(id) {
            let rb = &mut self.world.bodies[h];
            if rb.is_kinematic() {
                rb.set_next_kinematic_position(pose(t));
            }
        }
    }

    /// Moves a body at once (scripted teleports).
    pub fn teleport(&mut self, id: EntityId, t: &Transform) {
        if let Some(h) = self.body(id) {
            let rb = &mut self.world.bodies[h];
            if rb.is_kinematic() {
                rb.set_next_kinematic_position(pose(t));
            } else {
                rb.set_position(pose(t), true);
            }
        }
    }

    /// Mass and mechanical energy of every entity's own body, by entity index.
    pub fn masses_and_energies(&self, n: usize) -> (Vec<f32>, Vec<f32>) {
        let mut masses = vec![0.0; n];
        let mut energies = vec![0.0; n];
        let g = self.world.gravity;
        for (i, b) in self.bodies.iter().enumerate().take(n) {
            let Some(h) = b else { continue };
            let rb = &self.world.bodies[*h];
            if rb.is_fixed() {
                continue;
            }
            masses[i] = rb.mass();
            if rb.is_dynamic() {
                let potential = -rb.mass() * g.dot(rb.center_of_mass());
                energies[i] = rb.kinetic_energy() + potential;
            }
        }
        (masses, energies)
    }

    pub fn mass(&self, id: EntityId) -> Option<f32> {
        self.body(id).map(|h| self.world.bodies[h].mass())
    }

    pub fn with_body(&mut self, id: EntityId, f: impl FnOnce(&mut RigidBody)) {
        if let Some(h) = self.body(id) {
            f(&mut self.world.bodies[h]);
        }
    }
}
