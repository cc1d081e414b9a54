//! Deformable bodies: cloth (thin sheets) and soft bodies (volumes), as
//! plain data. Each is drawn through an ordinary entity whose shape is the
//! rest mesh; the simulation (`crate::sim::cloth`, `crate::sim::softbody`)
//! owns the live vertex positions and the frame carries them to the
//! renderer and the trace.

use std::sync::Arc;

use glam::Vec3;
use serde::Serialize;

use super::entity::EntityId;

/// Most vertices one deformable may have: keeps a step bounded.
pub const MAX_DEFORM_VERTICES: usize = 40_000;
/// Most tetrahedra one soft body may have.
pub const MAX_TETS: usize = 60_000;

#[derive(Debug, Clone, Serialize)]
pub struct Cloth {
    pub entity: EntityId,
    /// Rest positions in the entity's local frame (before its transform).
    #[serde(skip)]
    pub rest: Arc<Vec<Vec3>>,
    #[serde(skip)]
    pub triangles: Arc<Vec<[u32; 3]>>,
    /// Vertices held in place (in the world, or on `attach`).
    pub pins: Vec<u32>,
    /// Pinned vertices ride on this entity as it moves.
    pub attach: Option<EntityId>,
    /// XPBD compliance of edges, m/N (0: inextensible).
    pub stretch_compliance: f32,
    /// XPBD compliance of the bending links across each inner edge.
    pub bend_compliance: f32,
    /// Mass per area, kg/m^2.
    pub density: f32,
    /// Velocity damping, 1/s.
    pub damping: f32,
    /// Aerodynamic drag coefficient of a face against the air.
    pub drag: f32,
    /// Aerodynamic lift coefficient.
    pub lift: f32,
    /// Half thickness kept from colliders and from itself, metres.
    pub thickness: f32,
    pub friction: f32,
    /// Constraint passes per physics step.
    pub iterations: u32,
    pub self_collision: bool,
    pub line: usize,
}

/// A periodic change of a soft body's rest shape: its rest state is scaled
/// by `1 + amplitude * axes * w(t)`, `w` a smooth pulse of `period` seconds
/// (0 at rest, 1 fully contracted). Jellyfish bells, beating hearts.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Pulse {
    /// Signed fraction per axis: [-0.25, 0.1, -0.25] narrows and lengthens.
    pub amplitude: Vec3,
    pub period: f32,
    /// Seconds into the cycle at t = 0.
    pub phase: f32,
}

impl Pulse {
    /// Rest-state scale at time `t`.
    pub fn scale(&self, t: f32) -> Vec3 {
        let u = (t / self.period.max(0.05) + self.phase / self.period.max(0.05)).fract();
        // Quick contraction, slower relaxation, as a swimming bell does.
        let w = if u < 0.35 {
            let s = u / 0.35;
            s * s * (3.0 - 2.0 * s)
        } else {
            let s = (u - 0.35) / 0.65;
            1.0 - s * s * (3.0 - 2.0 * s)
        };
        Vec3::ONE + self.amplitude * w
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SoftBody {
    pub entity: EntityId,
    /// Rest positions in the entity's local frame.
    #[serde(skip)]
    pub rest: Arc<Vec<Vec3>>,
    #[serde(skip)]
    pub tets: Arc<Vec<[u32; 4]>>,
    /// Boundary faces, drawn, outward facing.
    #[serde(skip)]
    pub surface: Arc<Vec<[u32; 3]>>,
    /// Mass per volume, kg/m^3.
    pub density: f32,
    /// XPBD compliance of edges (0: stiff rubber; 1e-3: jelly).
    pub edge_compliance: f32,
    /// XPBD compliance of each tetrahedron's volume (0: incompressible).
    pub volume_compliance: f32,
    pub damping: f32,
    pub friction: f32,
    pub iterations: u32,
    pub velocity: Vec3,
    /// Gravity scale: 0 floats (a jellyfish in water).
    pub gravity: f32,
    /// The body's centre follows this entity softly (a swimming path).
    pub anchor: Option<EntityId>,
    pub pulse: Option<Pulse>,
    pub line: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Deformable {
    Cloth(Cloth),
    Soft(SoftBody),
}

impl Deformable {
    pub fn entity(&self) -> EntityId {
        match self {
            Deformable::Cloth(c) => c.entity,
            Deformable::Soft(s) => s.entity,
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self {
            Deformable::Cloth(_) => "cloth",
            Deformable::Soft(_) => "soft",
        }
    }
}

/// The box around a set of points, `None` when there are none.
pub fn bounds(x: &[Vec3]) -> Option<(Vec3, Vec3)> {
    let first = *x.first()?;
    Some(
        x.iter()
            .fold((first, first), |(lo, hi), p| (lo.min(*p), hi.max(*p))),
    )
}

/// A rectangular grid in the local XY plane (facing +Z), `cols` by `rows`
/// vertices, centred on the origin; row 0 is the top edge (+Y).
pub fn grid(width: f32, height: f32, cols: usize, rows: usize) -> (Vec<Vec3>, Vec<[u32; 3]>) {
    let cols = cols.max(2);
    let rows = rows.max(2);
    let mut pos = Vec::with_capacity(cols * rows);
    for r in 0..rows {
        for c in 0..cols {
            let x = (c as f32 / (cols - 1) as f32 - 0.5) * width;
            let y = (0.5 - r as f32 / (rows - 1) as f32) * height;
            pos.push(Vec3::new(x, y, 0.0));
        }
    }
    let mut tris = Vec::with_capacity((cols - 1) * (rows - 1) * 2);
    let at = |r: usize, c: usize| (r * cols + c) as u32;
    for r in 0..rows - 1 {
        for c in 0..cols - 1 {
            // Alternate the diagonal so the sheet has no preferred fold.
            let (a, b, cc, d) = (at(r, c), at(r, c + 1), at(r + 1, c), at(r + 1, c + 1));
            if (r + c) % 2 == 0 {
                tris.push([a, cc, d]);
                tris.push([a, d, b]);
            } else {
                tris.push([a, cc, b]);
                tris.push([b, cc, d]);
            }
        }
    }
    (pos, tris)
}

/// Lattice primitives a soft body is made from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SoftShape {
    Box { size: Vec3 },
    Sphere { radius: f32 },
    Cylinder { radius: f32, height: f32 },
}

pub const SOFT_SHAPES: &[&str] = &["box", "sphere", "cylinder"];

/// Rest positions, tetrahedra and outward surface triangles of a soft body.
pub type TetMesh = (Vec<Vec3>, Vec<[u32; 4]>, Vec<[u32; 3]>);

/// Tetrahedralises a primitive on an `n`-cell lattice along its longest
/// side: each cube is split into six tetrahedra sharing a diagonal, so
/// neighbouring cubes agree on their faces. Spheres and cylinders come
/// from the cube mapped onto them (corners pulled in radially), which keeps
/// every cell and gives a smooth surface.
pub fn tetrahedralise(shape: SoftShape, n: usize) -> TetMesh {
    let n = n.clamp(1, 40);
    let dims = match shape {
        SoftShape::Box { size } => size,
        SoftShape::Sphere { radius } => Vec3::splat(radius * 2.0),
        SoftShape::Cylinder { radius, height } => Vec3::new(radius * 2.0, height, radius * 2.0),
    };
    let longest = dims.max_element().max(1e-6);
    let cells = [
        ((dims.x / longest * n as f32).round() as usize).max(1),
        ((dims.y / longest * n as f32).round() as usize).max(1),
        ((dims.z / longest * n as f32).round() as usize).max(1),
    ];
    // Spheres need the same count on every axis for the mapping.
    let cells = match shape {
        SoftShape::Sphere { .. } => [n; 3],
        SoftShape::Cylinder { .. } => [cells[0].max(cells[2]), cells[1], cells[0].max(cells[2])],
        SoftShape::Box { .. } => cells,
    };
    let [cx, cy, cz] = cells;
    let idx = |i: usize, j: usize, k: usize| (i + (cx + 1) * (j + (cy + 1) * k)) as u32;
    let mut pos = Vec::with_capacity((cx + 1) * (cy + 1) * (cz + 1));
    for k in 0..=cz {
        for j in 0..=cy {
            for i in 0..=cx {
                // In [-1, 1] on each axis.
                let u = Vec3::new(
                    i as f32 / cx as f32 * 2.0 - 1.0,
                    j as f32 / cy as f32 * 2.0 - 1.0,
                    k as f32 / cz as f32 * 2.0 - 1.0,
                );
                let p = match shape {
                    SoftShape::Box { size } => u * size * 0.5,
                    SoftShape::Sphere { radius } => {
                        let l = u.length();
                        if l < 1e-6 {
                            Vec3::ZERO
                        } else {
                            u * (u.abs().max_element() / l) * radius
                        }
                    }
                    SoftShape::Cylinder { radius, height } => {
                        let flat = Vec3::new(u.x, 0.0, u.z);
                        let l = flat.length();
                        let r = if l < 1e-6 {
                            Vec3::ZERO
                        } else {
                            flat * (flat.abs().max_element() / l) * radius
                        };
                        Vec3::new(r.x, u.y * height * 0.5, r.z)
                    }
                };
                pos.push(p);
            }
        }
    }
    let mut tets = Vec::with_capacity(cx * cy * cz * 6);
    for k in 0..cz {
        for j in 0..cy {
            for i in 0..cx {
                let c = [
                    idx(i, j, k),
                    idx(i + 1, j, k),
                    idx(i + 1, j + 1, k),
                    idx(i, j + 1, k),
                    idx(i, j, k + 1),
                    idx(i + 1, j, k + 1),
                    idx(i + 1, j + 1, k + 1),
                    idx(i, j + 1, k + 1),
                ];
                // Six tetrahedra around the 0-6 diagonal.
                for [a, b] in [[1, 2], [2, 3], [3, 7], [7, 4], [4, 5], [5, 1]] {
                    tets.push([c[0], c[a], c[b], c[6]]);
                }
            }
        }
    }
    // Orient every tetrahedron positively, so volumes are positive.
    for t in &mut tets {
        let [a, b, c, d] = t.map(|v| pos[v as usize]);
        if (b - a).cross(c - a).dot(d - a) < 0.0 {
            t.swap(1, 2);
        }
    }
    let surface = boundary_faces(&tets);
    (pos, tets, surface)
}

/// Tetrahedralises the inside of a closed triangle mesh: the cubes of an
/// `n`-cell lattice (along the mesh's longest side) whose centres lie
/// inside it, six tetrahedra each, then the lattice's surface vertices
/// drawn onto the mesh's surface so the body has the mesh's shape, not a
/// staircase (a vertex stays where it is if moving it would turn a
/// tetrahedron inside out). None when no cube lies inside (an open or flat
/// mesh).
pub fn tetrahedralise_mesh(vertices: &[Vec3], triangles: &[[u32; 3]], n: usize) -> Option<TetMesh> {
    let n = n.clamp(1, 40);
    let (lo, hi) = bounds(vertices)?;
    let cell = (hi - lo).max_element() / n as f32;
    if !(cell.is_finite() && cell > 1e-6) {
        return None;
    }
    let dims = ((hi - lo) / cell).ceil().max(Vec3::ONE);
    let [cx, cy, cz] = [dims.x as usize, dims.y as usize, dims.z as usize];
    // Centre the lattice on the mesh's box.
    let origin = (lo + hi) * 0.5 - Vec3::new(cx as f32, cy as f32, cz as f32) * cell * 0.5;
    let tri = |t: &[u32; 3]| t.map(|i| vertices.get(i as usize).copied().unwrap_or(Vec3::ZERO));
    let inside = |p: Vec3| {
        // Crossings of a ray in an off-axis direction (no grazing of
        // axis-aligned edges): odd means inside.
        let dir = Vec3::new(1.0, 0.31, 0.17).normalize();
        triangles
            .iter()
            .filter(|t| ray_hits_triangle(p, dir, tri(t)))
            .count()
            % 2
            == 1
    };
    let node = |i: usize, j: usize, k: usize| i + (cx + 1) * (j + (cy + 1) * k);
    let mut used: Vec<u32> = vec![u32::MAX; (cx + 1) * (cy + 1) * (cz + 1)];
    let mut pos: Vec<Vec3> = Vec::new();
    let mut tets: Vec<[u32; 4]> = Vec::new();
    for k in 0..cz {
        for j in 0..cy {
            for i in 0..cx {
                let centre =
                    origin + Vec3::new(i as f32 + 0.5, j as f32 + 0.5, k as f32 + 0.5) * cell;
                if !inside(centre) {
                    continue;
                }
                let corners = [
                    (i, j, k),
                    (i + 1, j, k),
                    (i + 1, j + 1, k),
                    (i, j + 1, k),
                    (i, j, k + 1),
                    (i + 1, j, k + 1),
                    (i + 1, j + 1, k + 1),
                    (i, j + 1, k + 1),
                ];
                let c = corners.map(|(a, b, d)| {
                    let slot = &mut used[node(a, b, d)];
                    if *slot == u32::MAX {
                        *slot = pos.len() as u32;
                        pos.push(origin + Vec3::new(a as f32, b as f32, d as f32) * cell);
                    }
                    *slot
                });
                for [a, b] in [[1, 2], [2, 3], [3, 7], [7, 4], [4, 5], [5, 1]] {
                    tets.push([c[0], c[a], c[b], c[6]]);
                }
            }
        }
    }
    if tets.is_empty() {
        return None;
    }
    for t in &mut tets {
        let [a, b, c, d] = t.map(|v| pos[v as usize]);
        if (b - a).cross(c - a).dot(d - a) < 0.0 {
            t.swap(1, 2);
        }
    }
    let surface = boundary_faces(&tets);
    // Surface vertices onto the mesh, each within a cell of where it was.
    let mut on_surface = vec![false; pos.len()];
    for f in &surface {
        for v in f {
            on_surface[*v as usize] = true;
        }
    }
    let mut tets_of: Vec<Vec<usize>> = vec![Vec::new(); pos.len()];
    for (ti, t) in tets.iter().enumerate() {
        for v in t {
            tets_of[*v as usize].push(ti);
        }
    }
    let min_volume = cell * cell * cell / 6.0 * 0.05;
    for v in 0..pos.len() {
        if !on_surface[v] {
            continue;
        }
        let here = pos[v];
        let Some(target) = triangles
            .iter()
            .map(|t| closest_on_triangle(here, tri(t)))
            .min_by(|a, b| {
                a.distance_squared(here)
                    .total_cmp(&b.distance_squared(here))
            })
        else {
            continue;
        };
        if target.distance(here) > cell {
            continue;
        }
        // All the way if no tetrahedron turns flat, else as far as it can
        // (half, a quarter) before one would.
        for f in [1.0, 0.5, 0.25, 0.0] {
            pos[v] = here.lerp(target, f);
            let kept = tets_of[v].iter().all(|ti| {
                let [a, b, c, d] = tets[*ti].map(|i| pos[i as usize]);
                tet_volume(a, b, c, d) > min_volume
            });
            if kept {
                break;
            }
        }
    }
    Some((pos, tets, surface))
}

/// Whether the ray from `o` along `dir` crosses the triangle (at t > 0).
fn ray_hits_triangle(o: Vec3, dir: Vec3, [a, b, c]: [Vec3; 3]) -> bool {
    let e1 = b - a;
    let e2 = c - a;
    let p = dir.cross(e2);
    let det = e1.dot(p);
    if det.abs() < 1e-12 {
        return false;
    }
    let inv = 1.0 / det;
    let s = o - a;
    let u = s.dot(p) * inv;
    if !(0.0..=1.0).contains(&u) {
        return false;
    }
    let q = s.cross(e1);
    let v = dir.dot(q) * inv;
    if v < 0.0 || u + v > 1.0 {
        return false;
    }
    e2.dot(q) * inv > 0.0
}

/// The point of triangle `abc` closest to `p` (by its Voronoi regions).
fn closest_on_triangle(p: Vec3, [a, b, c]: [Vec3; 3]) -> Vec3 {
    let ab = b - a;
    let ac = c - a;
    let ap = p - a;
    let d1 = ab.dot(ap);
    let d2 = ac.dot(ap);
    if d1 <= 0.0 && d2 <= 0.0 {
        return a;
    }
    let bp = p - b;
    let d3 = ab.dot(bp);
    let d4 = ac.dot(bp);
    if d3 >= 0.0 && d4 <= d3 {
        return b;
    }
    let vc = d1 * d4 - d3 * d2;
    if vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0 {
        return a + ab * (d1 / (d1 - d3));
    }
    let cp = p - c;
    let d5 = ab.dot(cp);
    let d6 = ac.dot(cp);
    if d6 >= 0.0 && d5 <= d6 {
        return c;
    }
    let vb = d5 * d2 - d1 * d6;
    if vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0 {
        return a + ac * (d2 / (d2 - d6));
    }
    let va = d3 * d6 - d5 * d4;
    if va <= 0.0 && (d4 - d3) >= 0.0 && (d5 - d6) >= 0.0 {
        return b + (c - b) * ((d4 - d3) / ((d4 - d3) + (d5 - d6)));
    }
    let denom = 1.0 / (va + vb + vc);
    a + ab * (vb * denom) + ac * (vc * denom)
}

/// Faces used by exactly one tetrahedron, wound outwards.
pub fn boundary_faces(tets: &[[u32; 4]]) -> Vec<[u32; 3]> {
    let mut faces: Vec<([u32; 3], [u32; 3])> = Vec::with_capacity(tets.len() * 4);
    for t in tets {
        // Outward-wound faces of a positively oriented tetrahedron.
        for f in [
            [t[0], t[2], t[1]],
            [t[0], t[1], t[3]],
            [t[1], t[2], t[3]],
            [t[0], t[3], t[2]],
        ] {
            let mut key = f;
            key.sort_unstable();
            faces.push((key, f));
        }
    }
    faces.sort_unstable_by_key(|(k, _)| *k);
    let mut out = Vec::new();
    let mut i = 0;
    while i < faces.len() {
        let mut j = i + 1;
        while j < faces.len() && faces[j].0 == faces[i].0 {
            j += 1;
        }
        if j - i == 1 {
            out.push(faces[i].1);
        }
        i = j;
    }
    out
}

/// Signed volume of a tetrahedron.
pub fn tet_volume(a: Vec3, b: Vec3, c: Vec3, d: Vec3) -> f32 {
    (b - a).cross(c - a).dot(d - a) / 6.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A closed box mesh (12 triangles) becomes a soft body of the box's
    /// shape and volume; an open sheet has no inside.
    #[test]
    fn a_closed_mesh_is_filled_with_tetrahedra_of_its_shape() {
        let v: Vec<Vec3> = (0..8)
            .map(|i| {
                Vec3::new(
                    (i & 1) as f32,
                    ((i >> 1) & 1) as f32 * 0.5,
                    ((i >> 2) & 1) as f32 * 2.0,
                ) - Vec3::new(0.5, 0.25, 1.0)
            })
            .collect();
        let quads = [
            [0, 2, 3, 1],
            [4, 5, 7, 6],
            [0, 1, 5, 4],
            [2, 6, 7, 3],
            [0, 4, 6, 2],
            [1, 3, 7, 5],
        ];
        let tris: Vec<[u32; 3]> = quads
            .iter()
            .flat_map(|q| [[q[0], q[1], q[2]], [q[0], q[2], q[3]]])
            .collect();
        let (pos, tets, surface) =
            tetrahedralise_mesh(&v, &tris, 5).expect("a closed box has an inside");
        let volume: f32 = tets
            .iter()
            .map(|t| {
                let [a, b, c, d] = t.map(|i| pos[i as usize]);
                tet_volume(a, b, c, d)
            })
            .sum();
        assert!(
            (volume - 1.0).abs() < 0.15,
            "volume {volume} of a 1 m^3 box"
        );
        assert!(tets.iter().all(|t| {
            let [a, b, c, d] = t.map(|i| pos[i as usize]);
            tet_volume(a, b, c, d) > 0.0
        }));
        let (lo, hi) = bounds(&pos).unwrap();
        assert!(
            (hi - lo - Vec3::new(1.0, 0.5, 2.0)).abs().max_element() < 0.05,
            "{lo} {hi}"
        );
        assert!(!surface.is_empty());
        // One face of the box alone is open: nothing inside.
        assert!(tetrahedralise_mesh(&v, &tris[..2], 5).is_none());
    }

    #[test]
    fn lattice_volumes_add_up_and_surface_is_closed() {
        let (pos, tets, surface) = tetrahedralise(
            SoftShape::Box {
                size: Vec3::new(1.0, 0.5, 2.0),
            },
            4,
        );
        let v: f32 = tets
            .iter()
            .map(|t| {
                let [a, b, c, d] = t.map(|i| pos[i as usize]);
                tet_volume(a, b, c, d)
            })
            .sum();
        assert!((v - 1.0).abs() < 1e-4, "{v}");
        assert!(tets.iter().all(|t| {
            let [a, b, c, d] = t.map(|i| pos[i as usize]);
            tet_volume(a, b, c, d) > 0.0
        }));
        // A closed surface: the divergence theorem gives the same volume.
        let sv: f32 = surface
            .iter()
            .map(|f| {
                let [a, b, c] = f.map(|i| pos[i as usize]);
                a.dot(b.cross(c)) / 6.0
            })
            .sum();
        assert!((sv - 1.0).abs() < 1e-4, "{sv}");
    }

    #[test]
    fn sphere_lattice_is_round() {
        let (pos, _, surface) = tetrahedralise(SoftShape::Sphere { radius: 0.5 }, 6);
        for f in &surface {
            for i in f {
                assert!((pos[*i as usize].length() - 0.5).abs() < 1e-4);
            }
        }
    }

    #[test]
    fn grid_has_expected_counts() {
        let (p, t) = grid(2.0, 1.0, 5, 3);
        assert_eq!(p.len(), 15);
        assert_eq!(t.len(), 16);
        assert_eq!(p[0], Vec3::new(-1.0, 0.5, 0.0));
    }

    #[test]
    fn pulse_starts_at_rest_and_contracts() {
        let p = Pulse {
            amplitude: Vec3::new(-0.2, 0.1, -0.2),
            period: 1.0,
            phase: 0.0,
        };
        assert_eq!(p.scale(0.0), Vec3::ONE);
        assert!((p.scale(0.35).x - 0.8).abs() < 1e-5);
    }
}
