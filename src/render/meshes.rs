//! GPU meshes, cached. Shapes never change once an entity exists, so each
//! entity's mesh is tessellated and uploaded once; entities with equal
//! shapes (same primitive and dimensions, or the same shared mesh data)
//! share one upload, which also lets them draw as one instanced call.

use std::collections::HashMap;
use std::sync::Arc;

use bytemuck::{Pod, Zeroable};
use glam::Vec3;
use wgpu::util::DeviceExt;

use super::bounds::Aabb;
use super::scene::MeshRef;
use super::thinning::{Cards, Thinned};
use crate::world::mesh::{Mesh, TerrainLayer, subdivide, tessellate};
use crate::world::{Shape, World};

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct Vertex {
    pub position: [f32; 3],
    pub normal: [f32; 3],
    /// Linear rgb laid over the entity's colour, a = coverage (terrain
    /// bands), in 8 bits each; zero leaves the entity's colour as it is.
    pub tint: [u8; 4],
}

/// Identity of a shape's geometry. Shared mesh data is keyed by address;
/// the cache holds a clone of the `Arc`, so the address cannot be reused
/// by other data while the key exists.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ShapeKey {
    Group,
    Box([u32; 3]),
    Sphere(u32),
    Cylinder(u32, u32),
    Capsule(u32, u32),
    Cone(u32, u32),
    Plane(u32, u32),
    Torus(u32, u32),
    Mesh(usize),
    Heightfield(usize, usize, usize, u32, u32, usize),
    /// A shape split finer (edges at most this long, as bits) so that
    /// vertex animation such as waves has vertices to move.
    Fine(Box<ShapeKey>, u32),
}

/// Triangles a wavy surface may be split into: 256 x 256 quads.
const FINE_TRIANGLES: usize = 131_072;

/// The longest edge a wavy surface keeps: a sixth of its wavelength.
fn fine_edge(e: &crate::world::Entity) -> Option<f32> {
    e.waves
        .active()
        .then(|| (e.waves.length / 6.0).clamp(0.02, 100.0))
        .filter(|v| v.is_finite())
}

enum Keep {
    Nothing,
    Mesh(#[allow(dead_code)] Arc<Mesh>),
    Heights(
        #[allow(dead_code)] Arc<Vec<f32>>,
        #[allow(dead_code)] Arc<Vec<TerrainLayer>>,
    ),
}

fn key_of(shape: &Shape) -> (ShapeKey, Keep) {
    let b = f32::to_bits;
    match shape {
        Shape::Group => (ShapeKey::Group, Keep::Nothing),
        Shape::Box { size } => (
            ShapeKey::Box([b(size.x), b(size.y), b(size.z)]),
            Keep::Nothing,
        ),
        Shape::Sphere { radius } => (ShapeKey::Sphere(b(*radius)), Keep::Nothing),
        Shape::Cylinder { radius, height } => {
            (ShapeKey::Cylinder(b(*radius), b(*height)), Keep::Nothing)
        }
        Shape::Capsule { radius, height } => {
            (ShapeKey::Capsule(b(*radius), b(*height)), Keep::Nothing)
        }
        Shape::Cone { radius, height } => (ShapeKey::Cone(b(*radius), b(*height)), Keep::Nothing),
        Shape::Plane { width, depth } => (ShapeKey::Plane(b(*width), b(*depth)), Keep::Nothing),
        Shape::Torus { major, minor } => (ShapeKey::Torus(b(*major), b(*minor)), Keep::Nothing),
        Shape::Mesh { mesh, .. } => (
            ShapeKey::Mesh(Arc::as_ptr(mesh) as usize),
            Keep::Mesh(mesh.clone()),
        ),
        Shape::Heightfield {
            heights,
            rows,
            cols,
            width,
            depth,
            layers,
        } => (
            ShapeKey::Heightfield(
                Arc::as_ptr(heights) as usize,
                *rows,
                *cols,
                b(*width),
                b(*depth),
                Arc::as_ptr(layers) as usize,
            ),
            Keep::Heights(heights.clone(), layers.clone()),
        ),
    }
}

/// The identity of a shape's geometry: equal keys, equal triangles. A
/// shared mesh is keyed by its address, so the key is only meaningful while
/// the world holding it lives.
pub fn shape_key(shape: &Shape) -> ShapeKey {
    key_of(shape).0
}

/// Whether the shape's surface is closed (its back faces are never seen).
pub fn is_closed(shape: &Shape) -> bool {
    matches!(
        shape,
        Shape::Box { .. }
            | Shape::Sphere { .. }
            | Shape::Cylinder { .. }
            | Shape::Capsule { .. }
            | Shape::Cone { .. }
            | Shape::Torus { .. }
    )
}

pub struct GpuMesh {
    pub vertices: wgpu::Buffer,
    pub indices: wgpu::Buffer,
    pub index_count: u32,
    _keep: Keep,
}

impl GpuMesh {
    /// A mesh whose vertices are rewritten every frame (see `deform`).
    pub fn dynamic(vertices: wgpu::Buffer, indices: wgpu::Buffer, index_count: u32) -> GpuMesh {
        GpuMesh {
            vertices,
            indices,
            index_count,
            _keep: Keep::Nothing,
        }
    }
}

/// Vertices and indices ready to upload, with anything unusable removed:
/// non-finite positions, triangles pointing outside the vertex list.
pub fn clean(mesh: &Mesh) -> Option<(Vec<Vertex>, Vec<u32>, Aabb)> {
    let nv = mesh.positions.len();
    if nv == 0 || nv > u32::MAX as usize {
        return None;
    }
    let vertices: Vec<Vertex> = (0..nv)
        .map(|i| {
            let p = mesh.positions[i];
            let n = mesh
                .normals
                .get(i)
                .copied()
                .and_then(|n| n.try_normalize())
                .unwrap_or(Vec3::Y);
            Vertex {
                position: if p.is_finite() { p } else { Vec3::ZERO }.to_array(),
                normal: n.to_array(),
                tint: mesh.colors.get(i).map_or([0; 4], |c| {
                    c.map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
                }),
            }
        })
        .collect();
    let bad = |i: u32| (i as usize) >= nv || !mesh.positions[i as usize].is_finite();
    let indices: Vec<u32> = mesh
        .indices
        .iter()
        .filter(|t| !t.iter().any(|&i| bad(i)))
        .flatten()
        .copied()
        .collect();
    if indices.is_empty() {
        return None;
    }
    let bounds = Aabb::from_points(indices.iter().map(|&i| mesh.positions[i as usize]))?;
    Some((vertices, indices, bounds))
}

#[derive(Default)]
pub struct MeshCache {
    meshes: Vec<GpuMesh>,
    refs: Vec<Option<MeshRef>>,
    by_key: HashMap<ShapeKey, Option<MeshRef>>,
    /// Per entity index: its shape key and mesh.
    entities: Vec<(ShapeKey, Option<MeshRef>)>,
    bytes: u64,
    /// Cloth and soft bodies, re-uploaded every frame.
    pub deform: super::deform::DeformMeshes,
}

/// Past this much uploaded geometry, meshes no entity uses are dropped.
const EVICT_BYTES: u64 = 512 << 20;

impl MeshCache {
    pub fn get(&self, id: u32) -> Option<&GpuMesh> {
        if id >= super::deform::DEFORM_BASE {
            return self.deform.get(id);
        }
        self.meshes.get(id as usize)
    }

    pub fn clear(&mut self) {
        *self = MeshCache::default();
    }

    /// Makes sure every entity of `world` has its mesh uploaded and returns
    /// the mesh of each entity by index. Cheap when nothing is new: one key
    /// comparison per entity.
    pub fn sync(&mut self, device: &wgpu::Device, world: &World) -> &[Option<MeshRef>] {
        if self.bytes > EVICT_BYTES {
            self.evict(world);
        }
        self.entities.truncate(world.entities.len());
        for (i, e) in world.entities.iter().enumerate() {
            let (mut key, keep) = key_of(&e.shape);
            let fine = fine_edge(e);
            if let Some(edge) = fine {
                key = ShapeKey::Fine(Box::new(key), edge.to_bits());
            }
            if let Some((k, _)) = self.entities.get(i)
                && *k == key
            {
                continue;
            }
            let mesh = match self.by_key.get(&key) {
                Some(m) => *m,
                None => {
                    let m = self.upload(device, &e.shape, keep, fine);
                    self.by_key.insert(key.clone(), m);
                    m
                }
            };
            if i < self.entities.len() {
                self.entities[i] = (key, mesh);
            } else {
                self.entities.push((key, mesh));
            }
        }
        self.refs.clear();
        self.refs.extend(self.entities.iter().map(|(_, m)| *m));
        &self.refs
    }

    fn upload(
        &mut self,
        device: &wgpu::Device,
        shape: &Shape,
        keep: Keep,
        fine: Option<f32>,
    ) -> Option<MeshRef> {
        if matches!(shape, Shape::Group) {
            return None;
        }
        let mut mesh = tessellate(shape);
        if let Some(edge) = fine {
            mesh = subdivide(&mesh, edge, FINE_TRIANGLES);
        }
        let surface = fine.is_some() || !mesh.colors.is_empty();
        let (vertices, indices, mut bounds) = clean(&mesh)?;
        let id = self.push(device, &vertices, &indices, keep);
        // Only script meshes can be foliage: primitives are one closed
        // piece, terrain and water one sheet.
        let cards = (matches!(shape, Shape::Mesh { .. }) && !surface)
            .then(|| Cards::find(&vertices, &indices))
            .flatten();
        if let Some(c) = &cards {
            // Cards grown by up to 2 reach half a card past the full mesh:
            // the bounds (culling, shadow fit) hold every version.
            bounds = bounds.grow(Vec3::splat(c.largest * 0.5));
        }
        let thinned = cards.map(|cards| Thinned {
            card_size: cards.card_size,
            ids: [2, 4].map(|every| {
                let (v, i) = cards.thin(&vertices, &indices, every);
                self.push(device, &v, &i, Keep::Nothing)
            }),
        });
        Some(MeshRef {
            id,
            bounds,
            closed: is_closed(shape),
            surface,
            thinned,
        })
    }

    fn push(
        &mut self,
        device: &wgpu::Device,
        vertices: &[Vertex],
        indices: &[u32],
        keep: Keep,
    ) -> u32 {
        let vb = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("mesh vertices"),
            contents: bytemuck::cast_slice(vertices),
            usage: wgpu::BufferUsages::VERTEX,
        });
        let ib = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("mesh indices"),
            contents: bytemuck::cast_slice(indices),
            usage: wgpu::BufferUsages::INDEX,
        });
        self.bytes +=
            std::mem::size_of_val(vertices) as u64 + std::mem::size_of_val(indices) as u64;
        let id = self.meshes.len() as u32;
        self.meshes.push(GpuMesh {
            vertices: vb,
            indices: ib,
            index_count: indices.len() as u32,
            _keep: keep,
        });
        id
    }

    /// Starts over, keeping nothing: the next sync re-uploads what the
    /// current world needs. Ids change, which is fine because plans are
    /// built after sync.
    fn evict(&mut self, _world: &World) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_drops_bad_triangles_and_keeps_good_ones() {
        let mesh = Mesh {
            positions: vec![Vec3::ZERO, Vec3::X, Vec3::Y, Vec3::new(f32::NAN, 0.0, 0.0)],
            normals: vec![Vec3::Z; 4],
            indices: vec![[0, 1, 2], [0, 1, 3], [0, 1, 9]],
            colors: Vec::new(),
        };
        let (v, i, b) = clean(&mesh).unwrap();
        assert_eq!(v.len(), 4);
        assert_eq!(i, vec![0, 1, 2]);
        assert_eq!(b.max, Vec3::new(1.0, 1.0, 0.0));
        assert!(clean(&Mesh::default()).is_none());
    }

    #[test]
    fn equal_shapes_share_a_key() {
        let a = key_of(&Shape::Sphere { radius: 0.5 }).0;
        let b = key_of(&Shape::Sphere { radius: 0.5 }).0;
        let c = key_of(&Shape::Sphere { radius: 0.6 }).0;
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
