//! A frame: the world's state at one output time, as the renderer, the trace
//! and the critic read it. Frames are produced one at a time and streamed;
//! nothing here holds a reference into the simulation.

use glam::Vec3;

use super::particles::EmitterStats;
use crate::world::{EntityId, Environment, Light, Material, Transform};

#[derive(Debug, Clone)]
pub struct CameraView {
    pub position: Vec3,
    pub target: Vec3,
    /// Vertical field of view, degrees.
    pub fov: f32,
}

/// Particles in drawing order with everything needed to draw them.
#[derive(Debug, Clone, Default)]
pub struct ParticleView {
    pub positions: Vec<Vec3>,
    pub velocities: Vec<Vec3>,
    /// Diameters, metres.
    pub sizes: Vec<f32>,
    /// Linear RGB and opacity.
    pub colors: Vec<[f32; 4]>,
    pub angles: Vec<f32>,
    pub axes: Vec<Vec3>,
    pub emitters: Vec<u16>,
    pub stats: Vec<EmitterStats>,
}

#[derive(Debug, Clone)]
pub struct Frame {
    pub index: u64,
    pub time: f64,
    /// World transform of every entity, by entity index.
    pub transforms: Vec<Transform>,
    pub visible: Vec<bool>,
    pub materials: Vec<Material>,
    /// Linear and angular (degrees/s) velocity of every entity.
    pub velocities: Vec<(Vec3, Vec3)>,
    /// Mass of each entity that owns a body, kg (0 otherwise).
    pub masses: Vec<f32>,
    /// Mechanical energy (kinetic, rotational and gravitational potential
    /// above y = 0) of each dynamic body, joules (0 for others).
    pub energies: Vec<f32>,
    /// World bounding box of each entity's collider, if it has one.
    pub aabbs: Vec<Option<(Vec3, Vec3)>>,
    /// Penetration depth of touching entity pairs.
    pub penetrations: Vec<(EntityId, EntityId, f32)>,
    pub lights: Vec<Light>,
    pub camera: CameraView,
    pub environment: Environment,
    pub particles: ParticleView,
    /// Air velocity at the scene's centre: foliage sways with it.
    pub wind: Vec3,
    /// Hash of the exact simulation state at this frame.
    pub state_hash: u64,
    /// Liquid and granular bodies, in the world's order.
    pub fluids: Vec<super::fluid::FluidView>,
    /// Cloth and soft bodies: live vertices and measured state.
    pub deformables: Vec<DeformView>,
}

/// One cloth or soft body at a frame, drawn through its entity (whose
/// transform is the identity: positions are in world space).
#[derive(Debug, Clone)]
pub struct DeformView {
    pub entity: EntityId,
    /// "cloth" or "soft".
    pub kind: &'static str,
    pub positions: std::sync::Arc<Vec<Vec3>>,
    pub triangles: std::sync::Arc<Vec<[u32; 3]>>,
    pub stats: super::cloth::DeformStats,
}
