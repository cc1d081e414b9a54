//! Drawing liquids and grains.
//!
//! A liquid becomes a surface each frame: its particles are splatted into a
//! density grid and a mesh is extracted at an iso level with surface nets
//! (one vertex per cell the surface crosses, quads across crossed grid
//! edges; no lookup tables), with normals from the density gradient. It is
//! drawn through the ordinary mesh pipelines as a see-through, glossy
//! instance of the liquid's entity (transmission by opacity, a fresnel
//! reflection), so it also appears in the ID and depth passes. Grains are
//! instanced small spheres, opaque, casting shadows.

use bytemuck::Zeroable;
use glam::{Mat4, Vec3};
use wgpu::util::DeviceExt;

use super::gpu::Gpu;
use super::meshes::Vertex;
use super::scene::{InstanceRaw, UNOCCLUDED};
use crate::sim::Frame;
use crate::world::World;
use crate::world::fluid::FluidKind;

/// Most density samples per liquid per frame (the cell grows beyond it).
const MAX_SAMPLES: f64 = 1.5e6;
/// Iso level of the surface, in units of one particle's peak density. With
/// the kernel reaching 2.5 radii, a rest lattice (spacing 2 radii) reads
/// 1.1-1.3 everywhere inside, so no bubbles open between particles, and
/// 0.6 puts a flat face and a lone droplet about one radius out.
const ISO: f32 = 0.6;
/// Kernel reach in particle radii.
const REACH_RADII: f32 = 2.5;

/// A triangle mesh of a liquid's surface.
#[derive(Debug, Default, Clone)]
pub struct SurfaceMesh {
    pub vertices: Vec<Vertex>,
    pub indices: Vec<u32>,
}

/// Extracts the surface around particles of radius `radius`.
pub fn surface_mesh(points: &[Vec3], radius: f32) -> SurfaceMesh {
    let mut out = SurfaceMesh::default();
    let pts: Vec<Vec3> = points.iter().copied().filter(|p| p.is_finite()).collect();
    if pts.is_empty() || radius.is_nan() || radius <= 0.0 {
        return out;
    }
    let reach = REACH_RADII * radius;
    let mut lo = Vec3::splat(f32::INFINITY);
    let mut hi = Vec3::splat(f32::NEG_INFINITY);
    for p in &pts {
        lo = lo.min(*p);
        hi = hi.max(*p);
    }
    lo -= Vec3::splat(reach * 1.5);
    hi += Vec3::splat(reach * 1.5);
    let ext = hi - lo;
    let volume = ext.x as f64 * ext.y as f64 * ext.z as f64;
    let mut cell = 0.7 * radius;
    if volume / (cell as f64).powi(3) > MAX_SAMPLES {
        cell = (volume / MAX_SAMPLES).cbrt() as f32;
    }
    let dims = (ext / cell).ceil() + 1.0;
    let (nx, ny, nz) = (dims.x as usize, dims.y as usize, dims.z as usize);
    if nx < 2 || ny < 2 || nz < 2 {
        return out;
    }
    let idx = |x: usize, y: usize, z: usize| (z * ny + y) * nx + x;
    let mut field = vec![0.0f32; nx * ny * nz];
    let inv_r2 = 1.0 / (reach * reach);
    let span = (reach / cell).ceil() as i64;
    for p in &pts {
        let g = (*p - lo) / cell;
        let (cx, cy, cz) = (g.x as i64, g.y as i64, g.z as i64);
        for z in (cz - span).max(0)..=(cz + span).min(nz as i64 - 1) {
            for y in (cy - span).max(0)..=(cy + span).min(ny as i64 - 1) {
                for x in (cx - span).max(0)..=(cx + span).min(nx as i64 - 1) {
                    let q = lo + Vec3::new(x as f32, y as f32, z as f32) * cell;
                    let s = (q - *p).length_squared() * inv_r2;
                    if s < 1.0 {
                        let k = 1.0 - s;
                        field[idx(x as usize, y as usize, z as usize)] += k * k * k;
                    }
                }
            }
        }
    }
    let inside = |v: f32| v > ISO;
    // One vertex per cell whose corners straddle the iso level.
    let mut cell_vertex = vec![u32::MAX; nx * ny * nz];
    let corners = [
        (0, 0, 0),
        (1, 0, 0),
        (0, 1, 0),
        (1, 1, 0),
        (0, 0, 1),
        (1, 0, 1),
        (0, 1, 1),
        (1, 1, 1),
    ];
    let edges = [
        (0, 1),
        (2, 3),
        (4, 5),
        (6, 7),
        (0, 2),
        (1, 3),
        (4, 6),
        (5, 7),
        (0, 4),
        (1, 5),
        (2, 6),
        (3, 7),
    ];
    let sample = |x: usize, y: usize, z: usize| field[idx(x, y, z)];
    for z in 0..nz - 1 {
        for y in 0..ny - 1 {
            for x in 0..nx - 1 {
                let v: [f32; 8] = corners.map(|(a, b, c)| sample(x + a, y + b, z + c));
                let n_in = v.iter().filter(|s| inside(**s)).count();
                if n_in == 0 || n_in == 8 {
                    continue;
                }
                let mut acc = Vec3::ZERO;
                let mut count = 0.0;
                for (a, b) in edges {
                    if inside(v[a]) != inside(v[b]) {
                        let t = ((ISO - v[a]) / (v[b] - v[a])).clamp(0.0, 1.0);
                        let ca = corners[a];
                        let cb = corners[b];
                        let pa = Vec3::new(ca.0 as f32, ca.1 as f32, ca.2 as f32);
                        let pb = Vec3::new(cb.0 as f32, cb.1 as f32, cb.2 as f32);
                        acc += pa + (pb - pa) * t;
                        count += 1.0;
                    }
                }
                let local = acc / count;
                let pos = lo + (Vec3::new(x as f32, y as f32, z as f32) + local) * cell;
                // Fallback for a vertex no quad uses: against the density gradient.
                let gx = (v[1] - v[0]) + (v[3] - v[2]) + (v[5] - v[4]) + (v[7] - v[6]);
                let gy = (v[2] - v[0]) + (v[3] - v[1]) + (v[6] - v[4]) + (v[7] - v[5]);
                let gz = (v[4] - v[0]) + (v[5] - v[1]) + (v[6] - v[2]) + (v[7] - v[3]);
                let n = (-Vec3::new(gx, gy, gz)).normalize_or(Vec3::Y);
                cell_vertex[idx(x, y, z)] = out.vertices.len() as u32;
                out.vertices.push(Vertex {
                    position: pos.to_array(),
                    normal: n.to_array(),
                    tint: [0; 4],
                });
            }
        }
    }
    // A quad around every grid edge the surface crosses.
    for z in 1..nz - 1 {
        for y in 1..ny - 1 {
            for x in 1..nx - 1 {
                let here = inside(sample(x, y, z));
                for axis in 0..3 {
                    let (ex, ey, ez) = match axis {
                        0 => (x + 1, y, z),
                        1 => (x, y + 1, z),
                        _ => (x, y, z + 1),
                    };
                    if ex >= nx || ey >= ny || ez >= nz {
                        continue;
                    }
                    if here == inside(sample(ex, ey, ez)) {
                        continue;
                    }
                    // The four cells around the edge, counter-clockwise
                    // seen from the +axis side.
                    let quad = match axis {
                        0 => [(x, y - 1, z - 1), (x, y, z - 1), (x, y, z), (x, y - 1, z)],
                        1 => [(x - 1, y, z - 1), (x - 1, y, z), (x, y, z), (x, y, z - 1)],
                        _ => [(x - 1, y - 1, z), (x, y - 1, z), (x, y, z), (x - 1, y, z)],
                    };
                    let v = quad.map(|(a, b, c)| cell_vertex[idx(a, b, c)]);
                    if v.contains(&u32::MAX) {
                        continue;
                    }
                    // Outward is +axis when the inside is at the lower end.
                    if here {
                        out.indices
                            .extend_from_slice(&[v[0], v[1], v[2], v[0], v[2], v[3]]);
                    } else {
                        out.indices
                            .extend_from_slice(&[v[0], v[2], v[1], v[0], v[3], v[2]]);
                    }
                }
            }
        }
    }
    // Shade with the mesh's own area-weighted normals: the single-cell
    // density gradient wobbles between particles and can point inward on a
    // flat face, while the quads' winding is outward by construction.
    let mut mesh_normals = vec![Vec3::ZERO; out.vertices.len()];
    for tri in out.indices.chunks_exact(3) {
        let [a, b, c] =
            [tri[0], tri[1], tri[2]].map(|i| Vec3::from_array(out.vertices[i as usize].position));
        let n = (b - a).cross(c - a);
        for i in tri {
            mesh_normals[*i as usize] += n;
        }
    }
    for (v, n) in out.vertices.iter_mut().zip(mesh_normals) {
        if let Some(n) = n.try_normalize() {
            v.normal = n.to_array();
        }
    }
    out
}

/// A low sphere for grains: an icosahedron, normals at its corners.
fn grain_mesh() -> (Vec<Vertex>, Vec<u32>) {
    let t = (1.0 + 5f32.sqrt()) / 2.0;
    let raw = [
        (-1.0, t, 0.0),
        (1.0, t, 0.0),
        (-1.0, -t, 0.0),
        (1.0, -t, 0.0),
        (0.0, -1.0, t),
        (0.0, 1.0, t),
        (0.0, -1.0, -t),
        (0.0, 1.0, -t),
        (t, 0.0, -1.0),
        (t, 0.0, 1.0),
        (-t, 0.0, -1.0),
        (-t, 0.0, 1.0),
    ];
    let vertices = raw
        .iter()
        .map(|(x, y, z)| {
            let n = Vec3::new(*x, *y, *z).normalize();
            Vertex {
                position: n.to_array(),
                normal: n.to_array(),
                tint: [0; 4],
            }
        })
        .collect();
    let indices = vec![
        0, 11, 5, 0, 5, 1, 0, 1, 7, 0, 7, 10, 0, 10, 11, 1, 5, 9, 5, 11, 4, 11, 10, 2, 10, 7, 6, 7,
        1, 8, 3, 9, 4, 3, 4, 2, 3, 2, 6, 3, 6, 8, 3, 8, 9, 4, 9, 5, 2, 4, 11, 6, 2, 10, 8, 6, 7, 9,
        8, 1,
    ];
    (vertices, indices)
}

fn grow_buffer(
    gpu: &Gpu,
    slot: &mut Option<wgpu::Buffer>,
    label: &str,
    usage: wgpu::BufferUsages,
    bytes: &[u8],
) {
    let fits = slot
        .as_ref()
        .is_some_and(|b| b.size() >= bytes.len() as u64);
    if !fits {
        let size = (bytes.len() as u64).next_power_of_two().max(256);
        *slot = Some(gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage: usage | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        }));
    }
    if let Some(b) = slot
        && !bytes.is_empty()
    {
        gpu.queue.write_buffer(b, 0, bytes);
    }
}

/// One liquid surface to draw: an index range and its instance.
struct SurfaceRun {
    first_index: u32,
    index_count: u32,
    instance: u32,
}

/// GPU state for liquids and grains, refilled every frame.
#[derive(Default)]
pub struct LiquidRenderer {
    surface_vertices: Option<wgpu::Buffer>,
    surface_indices: Option<wgpu::Buffer>,
    grain: Option<(wgpu::Buffer, wgpu::Buffer, u32)>,
    surfaces: Vec<SurfaceRun>,
    /// Instances of grains in the frame's instance buffer.
    grains: Option<(u32, u32)>,
}

impl LiquidRenderer {
    /// Builds this frame's surfaces and grain instances, appending the
    /// instances to `instances` (uploaded by the caller).
    pub fn prepare(
        &mut self,
        gpu: &Gpu,
        world: &World,
        frame: &Frame,
        instances: &mut Vec<InstanceRaw>,
    ) {
        self.surfaces.clear();
        self.grains = None;
        if frame.fluids.is_empty() {
            return;
        }
        let mut vertices: Vec<Vertex> = Vec::new();
        let mut indices: Vec<u32> = Vec::new();
        let mut grain_first = None;
        // Surfaces first, then every grain: grains stay one instance range.
        let ordered = frame
            .fluids
            .iter()
            .filter(|v| v.kind == FluidKind::Liquid)
            .chain(
                frame
                    .fluids
                    .iter()
                    .filter(|v| v.kind == FluidKind::Granular),
            );
        for view in ordered {
            let Some(e) = world.entities.get(view.entity.index()) else {
                continue;
            };
            if !frame
                .visible
                .get(view.entity.index())
                .copied()
                .unwrap_or(true)
            {
                continue;
            }
            let mat = frame
                .materials
                .get(view.entity.index())
                .unwrap_or(&e.material);
            let color = mat.base_color.clamp(Vec3::ZERO, Vec3::ONE);
            let id = view.entity.0 + 1;
            match view.kind {
                FluidKind::Liquid => {
                    let mesh = surface_mesh(&view.positions, view.radius);
                    if mesh.indices.is_empty() {
                        continue;
                    }
                    let base = vertices.len() as u32;
                    self.surfaces.push(SurfaceRun {
                        first_index: indices.len() as u32,
                        index_count: mesh.indices.len() as u32,
                        instance: instances.len() as u32,
                    });
                    vertices.extend_from_slice(&mesh.vertices);
                    indices.extend(mesh.indices.iter().map(|i| i + base));
                    instances.push(instance(
                        Mat4::IDENTITY,
                        color,
                        mat.opacity.clamp(0.05, 1.0),
                        mat.roughness.clamp(0.02, 1.0),
                        [id, 0, 0, 0],
                    ));
                }
                FluidKind::Granular => {
                    let variation = world
                        .fluids
                        .iter()
                        .find(|f| f.entity == view.entity)
                        .map_or(0.0, |f| f.variation);
                    grain_first.get_or_insert(instances.len() as u32);
                    for (p, tint) in view.positions.iter().zip(&view.tints) {
                        if !p.is_finite() {
                            continue;
                        }
                        let shade = (1.0 + variation * tint * 0.6).max(0.0);
                        // Warmer and cooler grains, not only lighter and darker.
                        let c = (color
                            * shade
                            * Vec3::new(
                                1.0,
                                1.0 - 0.1 * tint * variation,
                                1.0 - 0.25 * tint * variation,
                            ))
                        .clamp(Vec3::ZERO, Vec3::ONE);
                        let m = Mat4::from_scale_rotation_translation(
                            Vec3::splat(view.radius * 1.05),
                            glam::Quat::IDENTITY,
                            *p,
                        );
                        // A heap's particles stand for far finer grains:
                        // the gaps between them are not crevices to shade.
                        instances.push(instance(m, c, 1.0, 0.9, [id, UNOCCLUDED, 0, 0]));
                    }
                }
            }
        }
        if let Some(first) = grain_first {
            let count = instances.len() as u32 - first;
            self.grains = Some((first, count));
            if self.grain.is_none() {
                let (v, i) = grain_mesh();
                let vb = gpu
                    .device
                    .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                        label: Some("grain vertices"),
                        contents: bytemuck::cast_slice(&v),
                        usage: wgpu::BufferUsages::VERTEX,
                    });
                let ib = gpu
                    .device
                    .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                        label: Some("grain indices"),
                        contents: bytemuck::cast_slice(&i),
                        usage: wgpu::BufferUsages::INDEX,
                    });
                self.grain = Some((vb, ib, i.len() as u32));
            }
        }
        if !self.surfaces.is_empty() {
            grow_buffer(
                gpu,
                &mut self.surface_vertices,
                "liquid vertices",
                wgpu::BufferUsages::VERTEX,
                bytemuck::cast_slice(&vertices),
            );
            grow_buffer(
                gpu,
                &mut self.surface_indices,
                "liquid indices",
                wgpu::BufferUsages::INDEX,
                bytemuck::cast_slice(&indices),
            );
        }
    }

    /// Grains, with whatever opaque (or shadow, or analysis) pipeline and
    /// bindings are set; the instance buffer is in slot 1.
    pub fn draw_grains(&self, pass: &mut wgpu::RenderPass<'_>) {
        if let (Some((first, count)), Some((vb, ib, n))) = (self.grains, &self.grain)
            && count > 0
        {
            pass.set_vertex_buffer(0, vb.slice(..));
            pass.set_index_buffer(ib.slice(..), wgpu::IndexFormat::Uint32);
            pass.draw_indexed(0..*n, 0, first..first + count);
        }
    }

    pub fn has_surfaces(&self) -> bool {
        !self.surfaces.is_empty()
    }

    /// Liquid surfaces, with a (two-sided) pipeline already set.
    pub fn draw_surfaces(&self, pass: &mut wgpu::RenderPass<'_>) {
        let (Some(vb), Some(ib)) = (&self.surface_vertices, &self.surface_indices) else {
            return;
        };
        if self.surfaces.is_empty() {
            return;
        }
        pass.set_vertex_buffer(0, vb.slice(..));
        pass.set_index_buffer(ib.slice(..), wgpu::IndexFormat::Uint32);
        for s in &self.surfaces {
            pass.draw_indexed(
                s.first_index..s.first_index + s.index_count,
                0,
                s.instance..s.instance + 1,
            );
        }
    }
}

fn instance(
    model: Mat4,
    color: Vec3,
    opacity: f32,
    roughness: f32,
    ident: [u32; 4],
) -> InstanceRaw {
    let n = glam::Mat3::from_mat4(model).inverse().transpose();
    let n = if n.is_finite() {
        n
    } else {
        glam::Mat3::IDENTITY
    };
    let mut raw = InstanceRaw::zeroed();
    raw.model = model.to_cols_array_2d();
    raw.normal = [
        n.x_axis.extend(0.0).to_array(),
        n.y_axis.extend(0.0).to_array(),
        n.z_axis.extend(0.0).to_array(),
    ];
    raw.color = color.extend(opacity).to_array();
    raw.emissive = [0.0, 0.0, 0.0, roughness];
    raw.params = [0.0, 0.0, 0.0, 1.0];
    raw.ident = ident;
    raw
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_of_particles_gives_a_closed_surface_around_it() {
        let r = 0.01;
        let mut pts = Vec::new();
        for x in 0..10 {
            for y in 0..10 {
                for z in 0..10 {
                    pts.push(Vec3::new(x as f32, y as f32, z as f32) * 2.0 * r);
                }
            }
        }
        let m = surface_mesh(&pts, r);
        assert!(m.indices.len() > 100);
        // Every vertex just outside the outer particles, none inside (no
        // bubbles open between lattice particles).
        let centre = Vec3::splat(9.0 * r);
        for v in &m.vertices {
            let p = Vec3::from_array(v.position);
            let d = (p - centre).abs().max_element();
            assert!(d > 9.0 * r && d < 13.0 * r, "vertex at {p:?}");
            // Normals point away from the centre.
            let n = Vec3::from_array(v.normal);
            assert!(n.dot(p - centre) > 0.0, "normal {n:?} at {p:?}");
        }
        // Each edge is shared by two triangles: the surface is closed.
        let mut edges = std::collections::BTreeMap::new();
        for t in m.indices.chunks(3) {
            for k in 0..3 {
                let (a, b) = (t[k], t[(k + 1) % 3]);
                *edges.entry((a.min(b), a.max(b))).or_insert(0) += 1;
            }
        }
        assert!(edges.values().all(|c| *c == 2));
    }
}
