//! The world: everything a script describes, as plain data.
//!
//! A script builds a [`World`]; the simulation (`crate::sim`) steps it,
//! writing back the live state of entities (transforms, velocities) and of
//! animated properties; recorders and the renderer read it. Nothing here
//! knows about Rhai, rapier or wgpu.

pub mod animation;
pub mod deformable;
pub mod entity;
pub mod expect;
pub mod field;
pub mod fluid;
pub mod light;
pub mod material;
pub mod mesh;
pub mod particles;
pub mod physics;

use glam::Vec3;
use serde::Serialize;

pub use animation::{AnimTarget, Ease, Motion, Property, Track, Value};
pub use deformable::Deformable;
pub use entity::{Entity, EntityId, Shape, Transform, Waves};
pub use expect::{ExpectKind, Expectation, Subject};
pub use field::{Field, FieldId, FieldKind};
pub use light::{Camera, CameraTarget, Environment, Light, LightId, LightKind};
pub use material::Material;
pub use mesh::Mesh;
pub use particles::{Emitter, EmitterId};
pub use physics::{BodyKind, BodySpec, Command, Joint, JointKind, Push};

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// Seconds of simulated time.
    pub duration: f64,
    /// Frames per second of the output (trace, video).
    pub fps: u32,
    /// Physics steps per frame.
    pub substeps: u32,
    /// Constraint solver iterations per step: more for long joint chains
    /// and tall stacks.
    pub solver_iterations: u32,
    pub gravity: Vec3,
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            duration: 5.0,
            fps: 24,
            substeps: 10,
            solver_iterations: 4,
            gravity: Vec3::new(0.0, -9.81, 0.0),
            seed: 0,
        }
    }
}

impl Settings {
    pub fn frame_count(&self) -> u64 {
        (self.duration * self.fps as f64).round().max(1.0) as u64
    }

    pub fn step_dt(&self) -> f64 {
        1.0 / (self.fps as f64 * self.substeps as f64)
    }
}

/// Identifies a script callback held by the script stage; the world only
/// records when to call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HookId(pub u32);

#[derive(Debug, Clone, Serialize)]
pub enum Hook {
    /// Once, at the first step at or after `time`.
    At { time: f64, hook: HookId },
    /// Every `interval` seconds from `start` (0 interval: every step).
    Every {
        start: f64,
        interval: f64,
        hook: HookId,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Scheduled {
    pub time: f64,
    pub line: usize,
    /// The function that scheduled it ("impulse", "at").
    pub what: String,
}

impl Scheduled {
    /// The warning for one timed after the clip, if it is.
    pub fn after_end(&self, duration: f64) -> Option<String> {
        (self.time >= duration).then(|| {
            format!(
                "line {}: {}() at t = {} s is after the clip ends (duration {duration} s), so it never happens",
                self.line, self.what, self.time
            )
        })
    }
}

/// What a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Entity(EntityId),
    Emitter(EmitterId),
    Light(LightId),
    Field(FieldId),
}

#[derive(Debug, Clone, Default)]
pub struct World {
    pub settings: Settings,
    pub entities: Vec<Entity>,
    pub lights: Vec<Light>,
    pub camera: Camera,
    pub environment: Environment,
    pub joints: Vec<Joint>,
    pub fields: Vec<Field>,
    pub emitters: Vec<Emitter>,
    pub tracks: Vec<Track>,
    pub pushes: Vec<Push>,
    pub hooks: Vec<Hook>,
    /// Pushes and callbacks given a time, with the line that asked: one
    /// after the clip's end never happens, which deserves a warning.
    pub scheduled: Vec<Scheduled>,
    pub expectations: Vec<Expectation>,
    /// Times at which the script asked for a still image.
    pub snapshots: Vec<f64>,
    /// Requests from callbacks during a run, drained by the simulation.
    pub commands: Vec<Command>,
    /// Simulated time of the state held in the entities.
    pub time: f64,
    pub warnings: Vec<String>,
    /// Cloth and soft bodies, each drawn through its entity.
    pub deformables: Vec<Deformable>,
    /// Liquids and granular bodies (see [`fluid`]).
    pub fluids: Vec<fluid::FluidBody>,
    /// Every name in use, so lookups and uniqueness checks stay cheap in
    /// worlds of thousands of entities.
    name_index: std::collections::BTreeMap<String, Named>,
    /// Running total of entity triangles (see [`World::add_entity`]).
    triangles: usize,
}

impl World {
    /// Adds an entity, keeping the triangle count and name index current.
    pub fn add_entity(&mut self, mut e: Entity) -> EntityId {
        let id = EntityId(self.entities.len() as u32);
        e.id = id;
        self.triangles += mesh::triangle_estimate(&e.shape);
        if let Some(n) = &e.name {
            self.name_index.insert(n.clone(), Named::Entity(id));
        }
        self.entities.push(e);
        id
    }

    /// Records a name; the caller checks it is free with [`World::name_taken`].
    pub fn index_name(&mut self, name: &str, what: Named) {
        self.name_index.insert(name.to_string(), what);
    }

    pub fn name_taken(&self, name: &str) -> bool {
        self.name_index.contains_key(name)
    }

    pub fn lookup(&self, name: &str) -> Option<Named> {
        self.name_index.get(name).copied()
    }

    /// Renames an entity (or gives it its first name).
    pub fn set_entity_name(&mut self, id: EntityId, name: String) {
        if let Some(old) = self.entities[id.index()].name.take() {
            self.name_index.remove(&old);
        }
        self.name_index.insert(name.clone(), Named::Entity(id));
        self.entities[id.index()].name = Some(name);
    }

    pub fn entity(&self, id: EntityId) -> &Entity {
        &self.entities[id.index()]
    }

    pub fn entity_mut(&mut self, id: EntityId) -> &mut Entity {
        &mut self.entities[id.index()]
    }

    /// The entity with this name.
    pub fn find(&self, name: &str) -> Option<EntityId> {
        match self.lookup(name) {
            Some(Named::Entity(id)) => Some(id),
            _ => None,
        }
    }

    pub fn find_emitter(&self, name: &str) -> Option<EmitterId> {
        match self.lookup(name) {
            Some(Named::Emitter(id)) => Some(id),
            _ => None,
        }
    }

    /// All names in use, in sorted order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.name_index.keys().map(String::as_str)
    }

    /// World transform of an entity, walking up its parents.
    pub fn world_transform(&self, id: EntityId) -> Transform {
        let e = self.entity(id);
        match e.parent {
            Some(p) if !e.world_space => self.world_transform(p).compose(&e.transform),
            _ => e.transform,
        }
    }

    /// World transforms of all entities. Parents may be newer than their
    /// children (`add` can attach an older entity), so this resolves each
    /// chain once and memoises it.
    pub fn world_transforms(&self) -> Vec<Transform> {
        let n = self.entities.len();
        let mut out: Vec<Option<Transform>> = vec![None; n];
        let mut chain = Vec::new();
        for start in 0..n {
            let mut cur = start;
            // Walk up until a resolved ancestor or a root.
            loop {
                if out[cur].is_some() {
                    break;
                }
                chain.push(cur);
                let e = &self.entities[cur];
                match e.parent {
                    Some(p) if !e.world_space => cur = p.index(),
                    _ => break,
                }
            }
            while let Some(i) = chain.pop() {
                let e = &self.entities[i];
                let t = match e.parent {
                    Some(p) if !e.world_space => match out[p.index()] {
                        Some(pt) => pt.compose(&e.transform),
                        None => e.transform,
                    },
                    _ => e.transform,
                };
                out[i] = Some(t);
            }
        }
        out.into_iter().map(|t| t.unwrap_or_default()).collect()
    }

    /// The entity whose body this entity's collider belongs to, following
    /// `BodyKind::Auto` up the parents; `None` when it has no collider.
    pub fn body_owner(&self, id: EntityId) -> Option<EntityId> {
        let e = self.entity(id);
        match e.body.kind {
            BodyKind::None => None,
            BodyKind::Fixed | BodyKind::Dynamic | BodyKind::Kinematic => Some(id),
            BodyKind::Auto => {
                let mut cur = e.parent;
                while let Some(p) = cur {
                    let pe = self.entity(p);
                    match pe.body.kind {
                        BodyKind::Fixed | BodyKind::Dynamic | BodyKind::Kinematic => {
                            return Some(p);
                        }
                        BodyKind::None => return Some(id),
                        BodyKind::Auto => cur = pe.parent,
                    }
                }
                Some(id)
            }
        }
    }

    /// Effective body kind: `Auto` resolved.
    pub fn body_kind(&self, id: EntityId) -> BodyKind {
        match self.body_owner(id) {
            None => BodyKind::None,
            Some(owner) if owner == id => match self.entity(id).body.kind {
                BodyKind::Auto => BodyKind::Fixed,
                k => k,
            },
            Some(owner) => self.body_kind(owner),
        }
    }

    /// Height of the ground under (x, z): the top of the highest fixed plane
    /// or heightfield there, or `None` when there is none.
    pub fn ground_height(&self, transforms: &[Transform], x: f32, z: f32) -> Option<f32> {
        let mut best: Option<f32> = None;
        for e in &self.entities {
            if self.body_kind(e.id) != BodyKind::Fixed {
                continue;
            }
            let t = &transforms[e.id.index()];
            let local = t.rotation.conjugate() * (Vec3::new(x, 0.0, z) - t.position) / t.scale;
            let h = match &e.shape {
                Shape::Plane { width, depth } => {
                    // Only roughly horizontal planes count as ground.
                    if (t.rotation * Vec3::Y).y < 0.9 {
                        continue;
                    }
                    if local.x.abs() > width * 0.5 || local.z.abs() > depth * 0.5 {
                        continue;
                    }
                    Some(t.position.y)
                }
                Shape::Heightfield {
                    heights,
                    rows,
                    cols,
                    width,
                    depth,
                    ..
                } => mesh::heightfield_height(
                    heights, *rows, *cols, *width, *depth, local.x, local.z,
                )
                .map(|h| t.position.y + h * t.scale.y),
                _ => None,
            };
            if let Some(h) = h {
                best = Some(best.map_or(h, |b: f32| b.max(h)));
            }
        }
        best
    }

    /// Total triangles the renderer will draw for entities.
    pub fn triangle_count(&self) -> usize {
        self.triangles
    }
}
