//! Entities: things with a shape, a place, a look and maybe a body.

use std::sync::Arc;

use glam::{Mat4, Quat, Vec3};
use serde::Serialize;

use super::material::Material;
use super::mesh::Mesh;
use super::physics::BodySpec;

/// Index of an entity in [`super::World::entities`]. Entities are never
/// removed, so an id stays valid for the life of the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EntityId(pub u32);

impl EntityId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Transform {
    pub position: Vec3,
    pub rotation: Quat,
    pub scale: Vec3,
}

impl Default for Transform {
    fn default() -> Self {
        Self {
            position: Vec3::ZERO,
            rotation: Quat::IDENTITY,
            scale: Vec3::ONE,
        }
    }
}

impl Transform {
    pub fn matrix(&self) -> Mat4 {
        Mat4::from_scale_rotation_translation(self.scale, self.rotation, self.position)
    }

    /// `self` applied after `child`: the child's transform in `self`'s space.
    /// Non-uniform parent scale is applied to the child's offset only, which
    /// keeps rotations rigid (the usual scene-graph compromise).
    pub fn compose(&self, child: &Transform) -> Transform {
        Transform {
            position: self.position + self.rotation * (self.scale * child.position),
            rotation: (self.rotation * child.rotation).normalize(),
            scale: self.scale * child.scale,
        }
    }

    /// The transform that, composed after `parent`, gives `self`.
    pub fn relative_to(&self, parent: &Transform) -> Transform {
        let inv_rot = parent.rotation.conjugate();
        let safe = |s: f32| if s.abs() < 1e-9 { 1.0 } else { s };
        let parent_scale = Vec3::new(
            safe(parent.scale.x),
            safe(parent.scale.y),
            safe(parent.scale.z),
        );
        Transform {
            position: (inv_rot * (self.position - parent.position)) / parent_scale,
            rotation: (inv_rot * self.rotation).normalize(),
            scale: self.scale / parent_scale,
        }
    }
}

/// Euler angles in degrees, applied about world X, then Y, then Z.
pub fn quat_from_euler_deg(deg: Vec3) -> Quat {
    let r = deg * (std::f32::consts::PI / 180.0);
    Quat::from_rotation_z(r.z) * Quat::from_rotation_y(r.y) * Quat::from_rotation_x(r.x)
}

/// The inverse of [`quat_from_euler_deg`], for reading rotations back.
pub fn euler_deg_from_quat(q: Quat) -> Vec3 {
    let (z, y, x) = q.to_euler(glam::EulerRot::ZYX);
    Vec3::new(x, y, z) * (180.0 / std::f32::consts::PI)
}

/// The geometric shape of an entity, in its local frame before scaling.
/// Dimensions are full sizes (a box of size 1 spans -0.5..0.5).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Shape {
    /// No geometry: a node that only parents others.
    Group,
    Box {
        size: Vec3,
    },
    Sphere {
        radius: f32,
    },
    /// Along local Y, centred on the origin.
    Cylinder {
        radius: f32,
        height: f32,
    },
    /// `height` is the length of the straight part; the caps add a radius each.
    Capsule {
        radius: f32,
        height: f32,
    },
    /// Base at -height/2, apex at +height/2.
    Cone {
        radius: f32,
        height: f32,
    },
    /// A flat rectangle in the XZ plane facing +Y; its collider is a slab
    /// below the surface so nothing tunnels through it.
    Plane {
        width: f32,
        depth: f32,
    },
    /// Lies in the XZ plane around local Y.
    Torus {
        major: f32,
        minor: f32,
    },
    Mesh {
        #[serde(skip)]
        mesh: Arc<Mesh>,
        triangles: usize,
    },
    /// Heights on a regular grid centred on the origin, `rows` along Z and
    /// `cols` along X.
    Heightfield {
        #[serde(skip)]
        heights: Arc<Vec<f32>>,
        rows: usize,
        cols: usize,
        width: f32,
        depth: f32,
        /// Slope and height material bands, baked into vertex colours.
        #[serde(skip)]
        layers: Arc<Vec<super::mesh::TerrainLayer>>,
    },
}

impl Shape {
    pub fn kind_name(&self) -> &'static str {
        match self {
            Shape::Group => "group",
            Shape::Box { .. } => "box",
            Shape::Sphere { .. } => "sphere",
            Shape::Cylinder { .. } => "cylinder",
            Shape::Capsule { .. } => "capsule",
            Shape::Cone { .. } => "cone",
            Shape::Plane { .. } => "plane",
            Shape::Torus { .. } => "torus",
            Shape::Mesh { .. } => "mesh",
            Shape::Heightfield { .. } => "heightfield",
        }
    }

    /// Half extents of the local bounding box (before scale).
    /// The shape's box in its own frame, exact for meshes and terrain
    /// (whose geometry need not be centred on the origin).
    pub fn local_bounds(&self) -> (Vec3, Vec3) {
        match self {
            Shape::Mesh { mesh, .. } => mesh.bounds(),
            Shape::Heightfield {
                heights,
                width,
                depth,
                ..
            } => {
                let (lo, hi) = heights
                    .iter()
                    .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), h| {
                        (lo.min(*h), hi.max(*h))
                    });
                let (lo, hi) = if lo <= hi { (lo, hi) } else { (0.0, 0.0) };
                (
                    Vec3::new(-width * 0.5, lo, -depth * 0.5),
                    Vec3::new(width * 0.5, hi, depth * 0.5),
                )
            }
            other => {
                let h = other.half_extents();
                (-h, h)
            }
        }
    }

    pub fn half_extents(&self) -> Vec3 {
        match self {
            Shape::Group => Vec3::ZERO,
            Shape::Box { size } => *size * 0.5,
            Shape::Sphere { radius } => Vec3::splat(*radius),
            Shape::Cylinder { radius, height } | Shape::Cone { radius, height } => {
                Vec3::new(*radius, height * 0.5, *radius)
            }
            Shape::Capsule { radius, height } => Vec3::new(*radius, height * 0.5 + radius, *radius),
            Shape::Plane { width, depth } => Vec3::new(width * 0.5, 0.0, depth * 0.5),
            Shape::Torus { major, minor } => Vec3::new(major + minor, *minor, major + minor),
            Shape::Mesh { mesh, .. } => {
                let (lo, hi) = mesh.bounds();
                lo.abs().max(hi.abs())
            }
            Shape::Heightfield {
                heights,
                width,
                depth,
                ..
            } => {
                let top = heights.iter().fold(0f32, |m, h| m.max(h.abs()));
                Vec3::new(width * 0.5, top, depth * 0.5)
            }
        }
    }
}

/// Waves on a water surface, drawn by displacing its up-facing vertices:
/// the physics sees the still surface.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Waves {
    /// Crest to trough of the largest wave, metres (0: still water).
    pub height: f32,
    /// Crest to crest of the largest wave, metres.
    pub length: f32,
    /// The current, m/s: waves travel along it (else along the wind).
    pub flow: Vec3,
}

impl Waves {
    pub fn active(&self) -> bool {
        self.height > 0.0 && self.length > 0.0
    }
}

/// What a named or tagged thing in the world is.
#[derive(Debug, Clone)]
pub struct Entity {
    pub id: EntityId,
    pub name: Option<String>,
    pub tags: Vec<String>,
    pub shape: Shape,
    pub parent: Option<EntityId>,
    /// Relative to the parent; for an entity with its own moving body, the
    /// simulation keeps this in world space (see [`Entity::world_space`]).
    pub transform: Transform,
    pub material: Material,
    pub body: BodySpec,
    pub visible: bool,
    /// How much foliage sways in the wind (0 = rigid); read by the renderer.
    pub sway: f32,
    /// Waves drawn on a water surface; read by the renderer only.
    pub waves: Waves,
    /// Set when the simulation detaches a moving body from its parent:
    /// `transform` is then a world transform.
    pub world_space: bool,
    /// Live velocities, written back by the simulation each step.
    pub linear_velocity: Vec3,
    pub angular_velocity: Vec3,
    /// The script line that created it, for diagnostics.
    pub line: usize,
}

impl Entity {
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("#{} ({})", self.id.0, self.shape.kind_name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euler_round_trip_and_order() {
        let deg = Vec3::new(10.0, 20.0, 30.0);
        let back = euler_deg_from_quat(quat_from_euler_deg(deg));
        assert!((back - deg).abs().max_element() < 1e-3, "{back:?}");
        // 90 degrees about Y turns +X into -Z (right-handed, Y up).
        let v = quat_from_euler_deg(Vec3::new(0.0, 90.0, 0.0)) * Vec3::X;
        assert!((v - Vec3::NEG_Z).length() < 1e-5, "{v:?}");
    }

    #[test]
    fn compose_then_relative_is_identity() {
        let parent = Transform {
            position: Vec3::new(1.0, 2.0, 3.0),
            rotation: quat_from_euler_deg(Vec3::new(0.0, 45.0, 10.0)),
            scale: Vec3::new(2.0, 2.0, 2.0),
        };
        let child = Transform {
            position: Vec3::new(0.5, 0.0, -1.0),
            rotation: quat_from_euler_deg(Vec3::new(30.0, 0.0, 0.0)),
            scale: Vec3::ONE,
        };
        let world = parent.compose(&child);
        let back = world.relative_to(&parent);
        assert!((back.position - child.position).length() < 1e-5);
        assert!(back.rotation.angle_between(child.rotation) < 1e-3);
    }
}
