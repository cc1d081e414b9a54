//! The fixed surfaces of a world as triangles, for asking what is right
//! above a point: is a particle under the ground, wherever and however
//! tilted that ground is (planes, boxes, terrain, meshes)?

use glam::Vec3;
use rapier3d::parry::query::{Ray, RayCullingMode};
use rapier3d::parry::shape::TriMesh;

use crate::world::mesh::tessellate;
use crate::world::{BodyKind, Shape, Transform, World};

/// Fixed, solid geometry in world space.
pub struct Surfaces {
    meshes: Vec<TriMesh>,
}

impl Surfaces {
    pub fn from_world(world: &World, transforms: &[Transform]) -> Surfaces {
        let mut meshes = Vec::new();
        for e in &world.entities {
            if world.body_kind(e.id) != BodyKind::Fixed
                || e.body.sensor
                || matches!(e.shape, Shape::Group)
            {
                continue;
            }
            let m = tessellate(&e.shape);
            if m.indices.is_empty() {
                continue;
            }
            let t = transforms[e.id.index()];
            let points: Vec<Vec3> = m
                .positions
                .iter()
                .map(|p| t.position + t.rotation * (*p * t.scale))
                .collect();
            if let Ok(mesh) = TriMesh::new(points, m.indices.clone()) {
                meshes.push(mesh);
            }
        }
        Surfaces { meshes }
    }

    pub fn is_empty(&self) -> bool {
        self.meshes.is_empty()
    }

    /// How far below a surface `p` lies: looking straight up, the first
    /// face seen is the top of something (its outside faces up), so `p` is
    /// inside or under it. `None` when the first face up is an underside
    /// (a table seen from below) or nothing.
    pub fn depth_below(&self, p: Vec3) -> Option<f32> {
        let ray = Ray::new(p, Vec3::Y);
        // Nearest top face seen from below (a back face for an upward ray)
        // and nearest underside (a front face).
        let (mut top, mut under) = (f32::INFINITY, f32::INFINITY);
        for m in &self.meshes {
            let aabb = m.local_aabb();
            if p.x < aabb.mins.x
                || p.x > aabb.maxs.x
                || p.z < aabb.mins.z
                || p.z > aabb.maxs.z
                || p.y > aabb.maxs.y
            {
                continue;
            }
            if let Some(hit) =
                m.cast_local_ray_with_culling(&ray, 1.0e4, RayCullingMode::IgnoreFrontfaces)
            {
                top = top.min(hit.time_of_impact);
            }
            if let Some(hit) =
                m.cast_local_ray_with_culling(&ray, 1.0e4, RayCullingMode::IgnoreBackfaces)
            {
                under = under.min(hit.time_of_impact);
            }
        }
        (top.is_finite() && top < under).then_some(top)
    }
}
