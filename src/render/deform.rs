//! Deforming meshes: cloth and soft bodies, whose vertices move every
//! frame. Each keeps its own vertex buffer, rewritten per frame with the
//! frame's positions and normals recomputed from them (area-weighted), and
//! replaces its entity's static mesh in the plan, so it is drawn, shadowed
//! and seen by the ID/depth pass like any other entity. Cloth is open and
//! drawn two-sided; soft bodies are closed.

use wgpu::util::DeviceExt;

use super::bounds::Aabb;
use super::meshes::{GpuMesh, Vertex};
use super::scene::MeshRef;
use crate::sim::{DeformView, Frame};
use glam::Vec3;

/// Mesh ids at and above this belong to deforming meshes.
pub const DEFORM_BASE: u32 = 1 << 30;

struct Slot {
    entity: u32,
    mesh: GpuMesh,
    vertex_count: usize,
}

#[derive(Default)]
pub struct DeformMeshes {
    slots: Vec<Slot>,
    scratch: Vec<Vertex>,
}

/// Vertices with area-weighted normals for the frame's positions; bad
/// positions collapse onto the origin rather than poisoning the draw.
pub fn vertices(view: &DeformView, out: &mut Vec<Vertex>) {
    let p = &view.positions;
    let mut normals = vec![Vec3::ZERO; p.len()];
    for t in view.triangles.iter() {
        let [a, b, c] = t.map(|i| i as usize);
        if a >= p.len() || b >= p.len() || c >= p.len() {
            continue;
        }
        let n = (p[b] - p[a]).cross(p[c] - p[a]);
        if n.is_finite() {
            normals[a] += n;
            normals[b] += n;
            normals[c] += n;
        }
    }
    out.clear();
    out.extend(p.iter().zip(&normals).map(|(p, n)| Vertex {
        position: if p.is_finite() { *p } else { Vec3::ZERO }.to_array(),
        normal: n.try_normalize().unwrap_or(Vec3::Y).to_array(),
        tint: [0; 4],
    }));
}

impl DeformMeshes {
    pub fn get(&self, id: u32) -> Option<&GpuMesh> {
        id.checked_sub(DEFORM_BASE)
            .and_then(|i| self.slots.get(i as usize))
            .map(|s| &s.mesh)
    }

    /// Uploads this frame's vertices of every deformable and points its
    /// entity's mesh at them.
    pub fn update(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        frame: &Frame,
        refs: &mut [Option<MeshRef>],
    ) {
        for view in &frame.deformables {
            let entity = view.entity.0;
            let Some(slot_ref) = refs.get_mut(entity as usize) else {
                continue;
            };
            vertices(view, &mut self.scratch);
            let Some(bounds) =
                Aabb::from_points(self.scratch.iter().map(|v| Vec3::from(v.position)))
            else {
                continue;
            };
            let index = match self.slots.iter().position(|s| s.entity == entity) {
                Some(i) if self.slots[i].vertex_count == self.scratch.len() => {
                    queue.write_buffer(
                        &self.slots[i].mesh.vertices,
                        0,
                        bytemuck::cast_slice(&self.scratch),
                    );
                    i
                }
                found => {
                    let indices: Vec<u32> = view
                        .triangles
                        .iter()
                        .filter(|t| t.iter().all(|&i| (i as usize) < self.scratch.len()))
                        .flatten()
                        .copied()
                        .collect();
                    if indices.is_empty() {
                        continue;
                    }
                    let vb = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                        label: Some("deforming vertices"),
                        contents: bytemuck::cast_slice(&self.scratch),
                        usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
                    });
                    let ib = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                        label: Some("deforming indices"),
                        contents: bytemuck::cast_slice(&indices),
                        usage: wgpu::BufferUsages::INDEX,
                    });
                    let slot = Slot {
                        entity,
                        mesh: GpuMesh::dynamic(vb, ib, indices.len() as u32),
                        vertex_count: self.scratch.len(),
                    };
                    match found {
                        Some(i) => {
                            self.slots[i] = slot;
                            i
                        }
                        None => {
                            self.slots.push(slot);
                            self.slots.len() - 1
                        }
                    }
                }
            };
            *slot_ref = Some(MeshRef {
                id: DEFORM_BASE + index as u32,
                bounds,
                closed: view.kind == "soft",
                surface: false,
                thinned: None,
            });
        }
    }
}
