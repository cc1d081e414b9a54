//! Physical descriptions: bodies, joints, and timed pushes.

use glam::Vec3;
use serde::Serialize;

use super::entity::EntityId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    /// Decoration: drawn, never collides.
    None,
    /// Immovable scenery that others collide with.
    Fixed,
    /// Moved by forces and contacts.
    Dynamic,
    /// Moved by animation; pushes dynamic bodies, is not pushed back.
    Kinematic,
    /// Part of the nearest ancestor's body (its collider joins that body);
    /// fixed when no ancestor has one.
    Auto,
}

pub const BODY_KINDS: &[&str] = &["none", "fixed", "dynamic", "kinematic", "auto"];

impl BodyKind {
    pub fn parse(s: &str) -> Option<BodyKind> {
        Some(match s {
            "none" => BodyKind::None,
            "fixed" | "static" => BodyKind::Fixed,
            "dynamic" => BodyKind::Dynamic,
            "kinematic" => BodyKind::Kinematic,
            "auto" => BodyKind::Auto,
            _ => return None,
        })
    }

    pub fn moves(self) -> bool {
        matches!(self, BodyKind::Dynamic | BodyKind::Kinematic)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColliderKind {
    /// The shape's own collider; meshes get a convex hull when they move and
    /// a triangle mesh when fixed.
    Auto,
    Convex,
    Trimesh,
    /// Convex decomposition: concave meshes that move (a cup, a bowl).
    Decompose,
    None,
}

pub const COLLIDER_KINDS: &[&str] = &["auto", "convex", "trimesh", "decompose", "none"];

impl ColliderKind {
    pub fn parse(s: &str) -> Option<ColliderKind> {
        Some(match s {
            "auto" => ColliderKind::Auto,
            "convex" | "hull" => ColliderKind::Convex,
            "trimesh" | "mesh" => ColliderKind::Trimesh,
            "decompose" => ColliderKind::Decompose,
            "none" => ColliderKind::None,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BodySpec {
    pub kind: BodyKind,
    /// Total mass in kg; overrides density when set.
    pub mass: Option<f32>,
    /// kg/m^3; defaults to the material preset's.
    pub density: Option<f32>,
    pub friction: Option<f32>,
    pub restitution: Option<f32>,
    pub linear_damping: f32,
    pub angular_damping: f32,
    pub gravity_scale: f32,
    /// Initial velocity, m/s.
    pub velocity: Vec3,
    /// Initial angular velocity, degrees per second about each world axis.
    pub angular_velocity: Vec3,
    /// Continuous collision detection; `None` lets the runtime decide from
    /// the body's size and initial speed.
    pub ccd: Option<bool>,
    pub collider: ColliderKind,
    /// Sensors detect overlaps but push nothing.
    pub sensor: bool,
}

impl Default for BodySpec {
    fn default() -> Self {
        Self {
            kind: BodyKind::Auto,
            mass: None,
            density: None,
            friction: None,
            restitution: None,
            linear_damping: 0.0,
            angular_damping: 0.0,
            gravity_scale: 1.0,
            velocity: Vec3::ZERO,
            angular_velocity: Vec3::ZERO,
            ccd: None,
            collider: ColliderKind::Auto,
            sensor: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JointKind {
    Fixed,
    /// Rotation about one axis (door, pendulum, seesaw).
    Hinge,
    /// Translation along one axis.
    Slider,
    /// Free rotation about a point.
    Ball,
    /// Keeps two points no further apart than a length.
    Rope,
    /// Keeps two points exactly a length apart (a massless rod).
    Distance,
    /// Pulls two points towards a rest length.
    Spring,
}

pub const JOINT_KINDS: &[&str] = &[
    "fixed", "hinge", "slider", "ball", "rope", "distance", "spring",
];

impl JointKind {
    pub fn parse(s: &str) -> Option<JointKind> {
        Some(match s {
            "fixed" | "weld" => JointKind::Fixed,
            "hinge" | "revolute" => JointKind::Hinge,
            "slider" | "prismatic" => JointKind::Slider,
            "ball" | "spherical" => JointKind::Ball,
            "rope" => JointKind::Rope,
            "distance" | "rod" => JointKind::Distance,
            "spring" => JointKind::Spring,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Joint {
    pub kind: JointKind,
    /// `None` anchors to the world.
    pub a: Option<EntityId>,
    pub b: EntityId,
    /// World-space anchor point on `a` (hinge, ball, fixed, slider; for rope,
    /// distance and spring, `a`'s end).
    pub anchor_a: Vec3,
    /// World-space point on `b` (rope, distance, spring); equals `anchor_a`
    /// for the others.
    pub anchor_b: Vec3,
    pub axis: Vec3,
    /// Angular limits (degrees) for hinges, linear limits (m) for sliders.
    pub limits: Option<[f32; 2]>,
    /// Rope, distance, spring: rest length. `None`: the initial distance.
    pub length: Option<f32>,
    pub stiffness: f32,
    pub damping: f32,
    /// Hinge motor target speed (deg/s) or slider motor speed (m/s).
    pub motor_speed: Option<f32>,
    pub line: usize,
}

/// Pushes scheduled before the run, applied by the simulation at their time.
#[derive(Debug, Clone, Serialize)]
pub enum Push {
    /// An instantaneous change of momentum (N s) at `time`, optionally at a
    /// world point (which also spins the body).
    Impulse {
        entity: EntityId,
        time: f64,
        impulse: Vec3,
        point: Option<Vec3>,
    },
    /// Angular impulse (N m s).
    TorqueImpulse {
        entity: EntityId,
        time: f64,
        torque: Vec3,
    },
    /// A steady force (N) over [from, to).
    Force {
        entity: EntityId,
        from: f64,
        to: f64,
        force: Vec3,
        point: Option<Vec3>,
    },
    Torque {
        entity: EntityId,
        from: f64,
        to: f64,
        torque: Vec3,
    },
}

impl Push {
    pub fn entity(&self) -> EntityId {
        match self {
            Push::Impulse { entity, .. }
            | Push::TorqueImpulse { entity, .. }
            | Push::Force { entity, .. }
            | Push::Torque { entity, .. } => *entity,
        }
    }
}

/// Changes requested by script callbacks during a run; the simulation applies
/// them before its next step.
#[derive(Debug, Clone)]
pub enum Command {
    Impulse {
        entity: EntityId,
        impulse: Vec3,
        point: Option<Vec3>,
    },
    TorqueImpulse {
        entity: EntityId,
        torque: Vec3,
    },
    SetVelocity {
        entity: EntityId,
        velocity: Vec3,
    },
    SetAngularVelocity {
        entity: EntityId,
        degrees_per_second: Vec3,
    },
    /// Moves an entity; a dynamic body is teleported.
    SetTransform {
        entity: EntityId,
    },
    Burst {
        emitter: super::particles::EmitterId,
        count: u32,
    },
}
