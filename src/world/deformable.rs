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

/// Tetrahedralises a primitive on an `n`-cell lattice along its longest
/// side: each cube is split into six tetrahedra sharing a diagonal, so
/// neighbouring cubes agree on their faces. Spheres and cylinders come
/// from the cube mapped onto them (corners pulled in radially), which keeps
/// every cell and gives a smooth surface.
pub fn tetrahedralise(shape: SoftShape, n: usize) -> (Vec<Vec3>, Vec<[u32; 4]>, Vec<[u32; 3]>) {
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
