//! Our own cloth dynamics (XPBD) and the pieces every deformable shares:
//! rigid colliders as signed distance functions, the coarse air lattice,
//! and [`Deformables`], which steps all cloth and soft bodies of a world.
//!
//! Layout is struct-of-arrays (positions, previous positions, velocities,
//! inverse masses, constraint endpoints and rest lengths each in their own
//! vector) so the same passes map onto GPU compute kernels; see
//! docs/deformables.md. Constraints are solved Gauss-Seidel in a fixed
//! order with small substeps (one pass per substep), which is
//! deterministic and converges fast on a CPU.
//!
//! Coupling with rigid bodies is one-way: rigid shapes (static, animated
//! or dynamic) push cloth and soft bodies out; cloth does not push back.

use std::sync::Arc;

use glam::{Quat, Vec3};

use super::softbody::SoftState;
use crate::world::deformable::{Cloth, Deformable, bounds};
use crate::world::mesh::heightfield_height;
use crate::world::{BodyKind, EntityId, Field, Shape, Transform, World};

/// Air density for aerodynamic forces on cloth, kg/m^3.
const AIR_DENSITY: f32 = 1.2;

#[derive(Debug, Clone)]
enum ColliderShape {
    Sphere {
        radius: f32,
    },
    /// Also stands in for cones, meshes and other shapes, by their bounds.
    Box {
        centre: Vec3,
        half: Vec3,
    },
    Capsule {
        radius: f32,
        half_height: f32,
    },
    Cylinder {
        radius: f32,
        half_height: f32,
    },
    Torus {
        major: f32,
        minor: f32,
    },
    /// Solid below its surface within its extent.
    Plane {
        half_w: f32,
        half_d: f32,
    },
    Heights {
        heights: Arc<Vec<f32>>,
        rows: usize,
        cols: usize,
        width: f32,
        depth: f32,
        scale_y: f32,
    },
}

#[derive(Debug, Clone)]
struct Collider {
    entity: EntityId,
    /// Pushed back by the points it pushes (two-way coupling).
    dynamic: bool,
    shape: ColliderShape,
    /// Radius of a sphere around the origin holding the shape (culling).
    reach: f32,
}

/// Below a plane's surface by more than this, a point is not pushed up.
const PLANE_SLAB: f32 = 0.5;

fn box_sdf(p: Vec3, half: Vec3) -> (f32, Vec3) {
    let q = p.abs() - half;
    let outside = q.max(Vec3::ZERO);
    let ol = outside.length();
    if ol > 0.0 {
        return (ol, (outside * p.signum()) / ol);
    }
    // Inside: out through the nearest face.
    let n = if q.x >= q.y && q.x >= q.z {
        Vec3::new(p.x.signum(), 0.0, 0.0)
    } else if q.y >= q.z {
        Vec3::new(0.0, p.y.signum(), 0.0)
    } else {
        Vec3::new(0.0, 0.0, p.z.signum())
    };
    (q.max_element(), n)
}

impl ColliderShape {
    /// Signed distance from the surface (negative inside) and the outward
    /// normal, in the collider's frame. `None`: no contact possible.
    fn sdf(&self, p: Vec3) -> Option<(f32, Vec3)> {
        Some(match self {
            ColliderShape::Sphere { radius } => {
                let l = p.length();
                let n = if l > 1e-9 { p / l } else { Vec3::Y };
                (l - radius, n)
            }
            ColliderShape::Box { centre, half } => box_sdf(p - *centre, *half),
            ColliderShape::Capsule {
                radius,
                half_height,
            } => {
                let c = Vec3::new(0.0, p.y.clamp(-half_height, *half_height), 0.0);
                let d = p - c;
                let l = d.length();
                let n = if l > 1e-9 { d / l } else { Vec3::X };
                (l - radius, n)
            }
            ColliderShape::Cylinder {
                radius,
                half_height,
            } => {
                let flat = Vec3::new(p.x, 0.0, p.z);
                let r = flat.length();
                let radial = if r > 1e-9 { flat / r } else { Vec3::X };
                let (dr, dy) = (r - radius, p.y.abs() - half_height);
                let (ox, oy) = (dr.max(0.0), dy.max(0.0));
                let ol = (ox * ox + oy * oy).sqrt();
                if ol > 0.0 {
                    let n = radial * (ox / ol) + Vec3::Y * (p.y.signum() * oy / ol);
                    (ol, n)
                } else if dr > dy {
                    (dr, radial)
                } else {
                    (dy, Vec3::Y * p.y.signum())
                }
            }
            ColliderShape::Torus { major, minor } => {
                let flat = Vec3::new(p.x, 0.0, p.z);
                let r = flat.length();
                let radial = if r > 1e-9 { flat / r } else { Vec3::X };
                let ring = radial * *major;
                let d = p - ring;
                let l = d.length();
                let n = if l > 1e-9 { d / l } else { Vec3::Y };
                (l - minor, n)
            }
            ColliderShape::Plane { half_w, half_d } => {
                if p.x.abs() > *half_w || p.z.abs() > *half_d || p.y < -PLANE_SLAB {
                    return None;
                }
                (p.y, Vec3::Y)
            }
            ColliderShape::Heights {
                heights,
                rows,
                cols,
                width,
                depth,
                scale_y,
            } => {
                let h = |x: f32, z: f32| {
                    heightfield_height(heights, *rows, *cols, *width, *depth, x, z)
                        .map(|h| h * scale_y)
                };
                let h0 = h(p.x, p.z)?;
                if p.y < h0 - PLANE_SLAB {
                    return None;
                }
                // Far above: the slope does not matter, skip its samples.
                if p.y - h0 > 0.1 {
                    return Some((p.y - h0, Vec3::Y));
                }
                let e = (width / *cols as f32).max(0.01);
                let dx = h(p.x + e, p.z).unwrap_or(h0) - h0;
                let dz = h(p.x, p.z + e).unwrap_or(h0) - h0;
                let n = Vec3::new(-dx, e, -dz).normalize_or(Vec3::Y);
                ((p.y - h0) * n.y, n)
            }
        })
    }
}

fn collider_for(shape: &Shape, scale: Vec3) -> Option<(ColliderShape, f32)> {
    let s = scale.abs();
    let smax = s.max_element();
    let shape = match shape {
        Shape::Group => return None,
        Shape::Sphere { radius } => ColliderShape::Sphere {
            radius: radius * smax,
        },
        Shape::Box { size } => ColliderShape::Box {
            centre: Vec3::ZERO,
            half: *size * 0.5 * s,
        },
        Shape::Capsule { radius, height } => ColliderShape::Capsule {
            radius: radius * s.x.max(s.z),
            half_height: height * 0.5 * s.y,
        },
        Shape::Cylinder { radius, height } => ColliderShape::Cylinder {
            radius: radius * s.x.max(s.z),
            half_height: height * 0.5 * s.y,
        },
        Shape::Torus { major, minor } => ColliderShape::Torus {
            major: major * s.x.max(s.z),
            minor: minor * smax,
        },
        Shape::Plane { width, depth } => ColliderShape::Plane {
            half_w: width * 0.5 * s.x,
            half_d: depth * 0.5 * s.z,
        },
        Shape::Heightfield {
            heights,
            rows,
            cols,
            width,
            depth,
            ..
        } => ColliderShape::Heights {
            heights: heights.clone(),
            rows: *rows,
            cols: *cols,
            width: width * s.x,
            depth: depth * s.z,
            scale_y: s.y,
        },
        other @ (Shape::Cone { .. } | Shape::Mesh { .. }) => {
            let (lo, hi) = other.local_bounds();
            ColliderShape::Box {
                centre: (lo + hi) * 0.5 * s,
                half: (hi - lo) * 0.5 * s,
            }
        }
    };
    let reach = match &shape {
        ColliderShape::Sphere { radius } => *radius,
        ColliderShape::Box { centre, half } => centre.length() + half.length(),
        ColliderShape::Capsule {
            radius,
            half_height,
        } => radius + half_height,
        ColliderShape::Cylinder {
            radius,
            half_height,
        } => (radius * radius + half_height * half_height).sqrt(),
        ColliderShape::Torus { major, minor } => major + minor,
        ColliderShape::Plane { half_w, half_d } => (half_w * half_w + half_d * half_d).sqrt(),
        ColliderShape::Heights { width, depth, .. } => (width * width + depth * depth).sqrt(),
    };
    Some((shape, reach + PLANE_SLAB))
}

/// The world's rigid geometry as deformables see it.
#[derive(Default)]
pub struct Colliders {
    items: Vec<Collider>,
    /// Poses this step, by item.
    poses: Vec<(Vec3, Quat)>,
    /// Reactions on dynamic colliders since they were last taken, by
    /// item: (impulse, angular impulse about the collider's origin).
    /// Interior mutability so the solvers can keep `&Colliders`.
    reactions: std::cell::RefCell<Vec<(Vec3, Vec3)>>,
}

/// What the points pushed a dynamic body with over a step: an impulse and
/// an angular impulse about `origin`.
#[derive(Debug, Clone, Copy)]
pub struct Reaction {
    pub entity: EntityId,
    pub impulse: Vec3,
    pub angular: Vec3,
    pub origin: Vec3,
}

/// A collider's pose and what it may touch this step.
struct Near<'a> {
    item: usize,
    dynamic: bool,
    shape: &'a ColliderShape,
    position: Vec3,
    rotation: Quat,
    inverse: Quat,
    /// Squared distance from `position` beyond which a point cannot touch
    /// a compact shape; infinite for planes and terrain, which are tested
    /// by their own bounds.
    reach_sq: f32,
}

impl Colliders {
    pub fn from_world(world: &World, transforms: &[Transform]) -> Colliders {
        let deforming: Vec<EntityId> = world.deformables.iter().map(|d| d.entity()).collect();
        let mut items = Vec::new();
        for e in &world.entities {
            if world.body_kind(e.id) == BodyKind::None || e.body.sensor || deforming.contains(&e.id)
            {
                continue;
            }
            let t = transforms[e.id.index()];
            if let Some((shape, reach)) = collider_for(&e.shape, t.scale) {
                items.push(Collider {
                    entity: e.id,
                    dynamic: world.body_kind(e.id) == BodyKind::Dynamic,
                    shape,
                    reach,
                });
            }
        }
        Colliders {
            reactions: std::cell::RefCell::new(vec![(Vec3::ZERO, Vec3::ZERO); items.len()]),
            items,
            poses: Vec::new(),
        }
    }

    /// The reactions gathered since the last call, in collider order, and
    /// a fresh start.
    pub fn take_reactions(&self) -> Vec<Reaction> {
        let mut r = self.reactions.borrow_mut();
        let out = self
            .items
            .iter()
            .zip(r.iter())
            .zip(&self.poses)
            .filter(|((c, (j, _)), _)| c.dynamic && *j != Vec3::ZERO && j.is_finite())
            .map(|((c, (j, a)), (origin, _))| Reaction {
                entity: c.entity,
                impulse: *j,
                angular: *a,
                origin: *origin,
            })
            .collect();
        r.iter_mut().for_each(|x| *x = (Vec3::ZERO, Vec3::ZERO));
        out
    }

    pub fn update(&mut self, transforms: &[Transform]) {
        self.poses.clear();
        self.poses.extend(self.items.iter().map(|c| {
            (
                transforms[c.entity.index()].position,
                transforms[c.entity.index()].rotation,
            )
        }));
    }

    /// Colliders whose reach overlaps the box [lo, hi] grown by `margin`.
    fn near(&self, lo: Vec3, hi: Vec3, margin: f32) -> Vec<Near<'_>> {
        // Slightly more than the reach, so rounding never skips a contact.
        let reach_sq = |c: &Collider| match c.shape {
            ColliderShape::Plane { .. } | ColliderShape::Heights { .. } => f32::INFINITY,
            _ => (c.reach + margin + 1e-3).powi(2),
        };
        self.items
            .iter()
            .zip(&self.poses)
            .enumerate()
            .filter(|(_, (c, (p, _)))| {
                let q = p.clamp(lo, hi);
                q.distance(*p) <= c.reach + margin
            })
            .map(|(item, (c, (p, r)))| Near {
                item,
                dynamic: c.dynamic,
                shape: &c.shape,
                position: *p,
                rotation: *r,
                inverse: r.conjugate(),
                reach_sq: reach_sq(c),
            })
            .collect()
    }

    /// Pushes points out of every nearby collider to `gap` from its surface,
    /// with friction against the motion since `prev`. A dynamic collider
    /// takes the opposite of each push as a reaction: the point's momentum
    /// change, its mass (1 / w) times the push over the substep `h`.
    #[allow(clippy::too_many_arguments)]
    pub fn resolve(
        &self,
        x: &mut [Vec3],
        prev: &[Vec3],
        w: &[f32],
        gap: f32,
        friction: f32,
        h: f32,
    ) {
        let Some((lo, hi)) = bounds(x) else { return };
        let near = self.near(lo, hi, gap + 0.05);
        if near.is_empty() {
            return;
        }
        let friction = friction.clamp(0.0, 1.0);
        let mut reactions = self.reactions.borrow_mut();
        for i in 0..x.len() {
            if w[i] == 0.0 {
                continue;
            }
            for c in &near {
                let offset = x[i] - c.position;
                // Far from a compact shape: its distance is beyond the gap.
                if offset.length_squared() > c.reach_sq {
                    continue;
                }
                let local = c.inverse * offset;
                // Above a plane by the gap or more: nothing to push (the
                // common case of a ground under a sheet).
                if matches!(c.shape, ColliderShape::Plane { .. }) && local.y >= gap {
                    continue;
                }
                let Some((d, n)) = c.shape.sdf(local) else {
                    continue;
                };
                if d < gap {
                    let n = c.rotation * n;
                    let mut p = x[i] + n * (gap - d);
                    let moved = p - prev[i];
                    let tangential = moved - n * moved.dot(n);
                    p -= tangential * friction;
                    if c.dynamic && h > 0.0 {
                        let j = -(p - x[i]) / (w[i] * h);
                        let r = &mut reactions[c.item];
                        r.0 += j;
                        r.1 += (p - c.position).cross(j);
                    }
                    x[i] = p;
                }
            }
        }
    }

    /// Deepest a point lies inside any collider, metres.
    pub fn penetration(&self, x: &[Vec3]) -> (f32, Option<EntityId>) {
        let Some((lo, hi)) = bounds(x) else {
            return (0.0, None);
        };
        let mut worst = (0.0, None);
        for (c, (pos, rot)) in self.items.iter().zip(&self.poses) {
            let q = pos.clamp(lo, hi);
            if q.distance(*pos) > c.reach {
                continue;
            }
            let inv = rot.conjugate();
            for p in x {
                if let Some((d, _)) = c.shape.sdf(inv * (*p - *pos)) {
                    // Below a plane's slab counts: that is falling through.
                    let depth = -d;
                    if depth > worst.0 {
                        worst = (depth, Some(c.entity));
                    }
                }
            }
        }
        (worst.0, worst.1)
    }
}

/// Air velocity sampled on a small lattice over a body's box once per
/// frame and interpolated per vertex: noise is too dear to evaluate at
/// every vertex every step, and eddies are larger than a cloth's cells.
#[derive(Default)]
pub struct AirLattice {
    lo: Vec3,
    step: Vec3,
    n: [usize; 3],
    air: Vec<Vec3>,
}

const AIR_NODES: usize = 5;

impl AirLattice {
    pub fn sample(&mut self, fields: &[&Field], lo: Vec3, hi: Vec3, t: f32) {
        let size = (hi - lo).max(Vec3::splat(1e-3));
        self.n = [AIR_NODES; 3];
        self.lo = lo;
        self.step = size / (AIR_NODES - 1) as f32;
        self.air.clear();
        for k in 0..AIR_NODES {
            for j in 0..AIR_NODES {
                for i in 0..AIR_NODES {
                    let p = lo + self.step * Vec3::new(i as f32, j as f32, k as f32);
                    let a: Vec3 = fields.iter().map(|f| f.air_velocity(p, t)).sum();
                    self.air.push(if a.is_finite() { a } else { Vec3::ZERO });
                }
            }
        }
    }

    pub fn at(&self, p: Vec3) -> Vec3 {
        if self.air.is_empty() {
            return Vec3::ZERO;
        }
        let [nx, ny, nz] = self.n;
        let g = ((p - self.lo) / self.step).clamp(
            Vec3::ZERO,
            Vec3::new((nx - 1) as f32, (ny - 1) as f32, (nz - 1) as f32),
        );
        let (i, j, k) = (
            (g.x as usize).min(nx - 2),
            (g.y as usize).min(ny - 2),
            (g.z as usize).min(nz - 2),
        );
        let f = g - Vec3::new(i as f32, j as f32, k as f32);
        let at = |a: usize, b: usize, c: usize| self.air[a + nx * (b + ny * c)];
        let lerp = |a: Vec3, b: Vec3, t: f32| a + (b - a) * t;
        let x00 = lerp(at(i, j, k), at(i + 1, j, k), f.x);
        let x10 = lerp(at(i, j + 1, k), at(i + 1, j + 1, k), f.x);
        let x01 = lerp(at(i, j, k + 1), at(i + 1, j, k + 1), f.x);
        let x11 = lerp(at(i, j + 1, k + 1), at(i + 1, j + 1, k + 1), f.x);
        lerp(lerp(x00, x10, f.y), lerp(x01, x11, f.y), f.z)
    }
}

/// Per-body state for traces, reports and the critic.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct DeformStats {
    pub centroid: Vec3,
    pub min: Vec3,
    pub max: Vec3,
    /// Mean speed of the vertices, m/s.
    pub mean_speed: f32,
    /// Largest relative stretch of an edge over its rest length.
    pub max_stretch: f32,
    /// Volume over rest volume (soft bodies; 1 for cloth).
    pub volume_ratio: f32,
    /// Deepest a vertex lies inside rigid geometry, metres.
    pub penetration: f32,
    /// Mean face normal, unit length if the sheet is not crumpled.
    pub normal: Vec3,
}

pub fn centroid_bounds_speed(x: &[Vec3], v: &[Vec3]) -> (Vec3, Vec3, Vec3, f32) {
    let (lo, hi) = bounds(x).unwrap_or((Vec3::ZERO, Vec3::ZERO));
    let n = x.len().max(1) as f32;
    let c = x.iter().copied().sum::<Vec3>() / n;
    let s = v.iter().map(|v| v.length()).sum::<f32>() / n;
    (c, lo, hi, s)
}

pub struct ClothState {
    pub entity: EntityId,
    pub x: Vec<Vec3>,
    prev: Vec<Vec3>,
    pub v: Vec<Vec3>,
    w: Vec<f32>,
    /// Accumulated aerodynamic force per vertex, this step.
    force: Vec<Vec3>,
    pub triangles: Arc<Vec<[u32; 3]>>,
    edges: Vec<[u32; 2]>,
    edge_rest: Vec<f32>,
    bends: Vec<[u32; 2]>,
    bend_rest: Vec<f32>,
    /// Each free vertex may be no farther from its nearest pin than at rest.
    tethers: Vec<(u32, u32, f32)>,
    /// Pinned vertex and where it sits on `attach` (local) or the world.
    pins: Vec<(u32, Vec3)>,
    attach: Option<EntityId>,
    params: Cloth,
    /// Pair distance self-collision keeps between vertices.
    self_gap: f32,
    air: AirLattice,
    steps: u64,
}

fn edge_list(triangles: &[[u32; 3]]) -> (Vec<[u32; 2]>, Vec<[u32; 2]>) {
    // Each edge with the vertices opposite it; a sorted list keeps the
    // constraint order fixed, hence the results deterministic.
    let mut half: Vec<([u32; 2], u32)> = Vec::with_capacity(triangles.len() * 3);
    for t in triangles {
        for k in 0..3 {
            let (a, b, o) = (t[k], t[(k + 1) % 3], t[(k + 2) % 3]);
            half.push(([a.min(b), a.max(b)], o));
        }
    }
    half.sort_unstable();
    let mut edges = Vec::new();
    let mut bends = Vec::new();
    let mut i = 0;
    while i < half.len() {
        let mut j = i + 1;
        while j < half.len() && half[j].0 == half[i].0 {
            j += 1;
        }
        edges.push(half[i].0);
        if j - i == 2 {
            let (a, b) = (half[i].1, half[i + 1].1);
            if a != b {
                bends.push([a.min(b), a.max(b)]);
            }
        }
        i = j;
    }
    (edges, bends)
}

/// One XPBD distance constraint pass over `pairs`.
fn solve_distances(x: &mut [Vec3], w: &[f32], pairs: &[[u32; 2]], rest: &[f32], alpha: f32) {
    for (p, &l0) in pairs.iter().zip(rest) {
        let (a, b) = (p[0] as usize, p[1] as usize);
        let wsum = w[a] + w[b];
        if wsum == 0.0 {
            continue;
        }
        let d = x[a] - x[b];
        let l = d.length();
        if l < 1e-9 {
            continue;
        }
        let c = l - l0;
        let s = -c / (wsum + alpha);
        let g = d * (s / l);
        x[a] += g * w[a];
        x[b] -= g * w[b];
    }
}

impl ClothState {
    pub fn new(c: &Cloth, t: &Transform, transforms: &[Transform]) -> ClothState {
        let m = t.matrix();
        let x: Vec<Vec3> = c.rest.iter().map(|p| m.transform_point3(*p)).collect();
        let n = x.len();
        let mut mass = vec![0.0f32; n];
        for tri in c.triangles.iter() {
            let [a, b, cc] = tri.map(|i| x[i as usize]);
            let area = (b - a).cross(cc - a).length() * 0.5;
            for i in tri {
                mass[*i as usize] += area * c.density / 3.0;
            }
        }
        let mut w: Vec<f32> = mass
            .iter()
            .map(|m| if *m > 1e-9 { 1.0 / m } else { 0.0 })
            .collect();
        let attach_t = c.attach.map(|e| transforms[e.index()]);
        let mut pins = Vec::new();
        for &p in &c.pins {
            let i = p as usize;
            if i >= n {
                continue;
            }
            w[i] = 0.0;
            let anchor = match attach_t {
                Some(at) => at.rotation.conjugate() * (x[i] - at.position),
                None => x[i],
            };
            pins.push((p, anchor));
        }
        pins.sort_by_key(|p| p.0);
        pins.dedup_by_key(|p| p.0);
        let (edges, bends) = edge_list(&c.triangles);
        let edge_rest = edges
            .iter()
            .map(|e| x[e[0] as usize].distance(x[e[1] as usize]))
            .collect();
        let bend_rest = bends
            .iter()
            .map(|e| x[e[0] as usize].distance(x[e[1] as usize]))
            .collect();
        let mut tethers = Vec::new();
        if !pins.is_empty() && pins.len() <= 4096 {
            for i in 0..n {
                if w[i] == 0.0 {
                    continue;
                }
                let (best, d) = pins
                    .iter()
                    .map(|(p, _)| (*p, x[i].distance(x[*p as usize])))
                    .fold((0u32, f32::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
                if d.is_finite() {
                    tethers.push((i as u32, best, d));
                }
            }
        }
        let mean_edge = if edges.is_empty() {
            0.05
        } else {
            (edge_rest_sum(&x, &edges) / edges.len() as f32).max(1e-4)
        };
        ClothState {
            entity: c.entity,
            prev: x.clone(),
            v: vec![Vec3::ZERO; n],
            force: vec![Vec3::ZERO; n],
            x,
            w,
            triangles: c.triangles.clone(),
            edges,
            edge_rest,
            bends,
            bend_rest,
            tethers,
            pins,
            attach: c.attach,
            self_gap: (0.75 * mean_edge).max(2.0 * c.thickness),
            params: c.clone(),
            air: AirLattice::default(),
            steps: 0,
        }
    }

    /// Aerodynamic force on each face, from the air relative to the face,
    /// split over its corners: drag along the normal and lift across the
    /// flow, both growing with the face's area.
    fn aerodynamics(&mut self) {
        for f in &mut self.force {
            *f = Vec3::ZERO;
        }
        let (cd, cl) = (self.params.drag, self.params.lift);
        if cd == 0.0 && cl == 0.0 {
            return;
        }
        for tri in self.triangles.iter() {
            let [a, b, c] = tri.map(|i| i as usize);
            let (pa, pb, pc) = (self.x[a], self.x[b], self.x[c]);
            let cross = (pb - pa).cross(pc - pa);
            let twice = cross.length();
            if twice < 1e-12 {
                continue;
            }
            let n = cross / twice;
            let area = twice * 0.5;
            let centre = (pa + pb + pc) / 3.0;
            let vel = (self.v[a] + self.v[b] + self.v[c]) / 3.0;
            let rel = self.air.at(centre) - vel;
            let speed = rel.length();
            if speed < 1e-6 {
                continue;
            }
            let vn = rel.dot(n);
            let q = 0.5 * AIR_DENSITY * area;
            let mut f = n * (q * cd * vn * speed);
            // Lift: perpendicular to the flow, in the plane of flow and normal.
            let side = rel.cross(n).cross(rel);
            let sl = side.length();
            if cl != 0.0 && sl > 1e-9 {
                let cos = vn / speed;
                let sin = (1.0 - cos * cos).max(0.0).sqrt();
                f += side / sl * (q * cl * speed * speed * cos.abs() * sin);
            }
            if !f.is_finite() {
                continue;
            }
            let third = f / 3.0;
            self.force[a] += third;
            self.force[b] += third;
            self.force[c] += third;
        }
    }

    fn pin_targets(&self, at: Option<Transform>) -> impl Iterator<Item = (usize, Vec3)> + '_ {
        self.pins.iter().map(move |(i, p)| {
            (
                *i as usize,
                match at {
                    Some(t) => t.position + t.rotation * *p,
                    None => *p,
                },
            )
        })
    }

    fn self_collide(&mut self) {
        let gap = self.self_gap;
        if gap <= 0.0 || self.x.len() < 4 {
            return;
        }
        let cell = gap;
        let coords = |p: Vec3| {
            let q = (p / cell).floor();
            (q.x as i32, q.y as i32, q.z as i32)
        };
        // One u64 per cell, x in the lowest bits, so the three cells of a
        // row along x are adjacent in sorted order: one search finds all
        // three. Coordinates are biased into 21 bits each (cells of a
        // centimetre reach 10 km); beyond that they clamp, which stays
        // deterministic.
        let pack = |(x, y, z): (i32, i32, i32)| {
            let b = |c: i32| (c.clamp(-(1 << 20) + 2, (1 << 20) - 2) + (1 << 20)) as u64;
            (b(z) << 42) | (b(y) << 21) | b(x)
        };
        // Cells as a sorted list: deterministic and allocation-light.
        let mut order: Vec<(u64, u32)> = self
            .x
            .iter()
            .enumerate()
            .map(|(i, p)| (pack(coords(*p)), i as u32))
            .collect();
        order.sort_unstable();
        let keys: Vec<u64> = order.iter().map(|e| e.0).collect();
        // Indices in the cells from `(x-1, y, z)` to `(x+1, y, z)`, cell by
        // cell, each by index: the order the solve below depends on.
        let row = |x: i32, y: i32, z: i32| {
            let (lo, hi) = (pack((x - 1, y, z)), pack((x + 1, y, z)));
            let start = keys.partition_point(|&k| k < lo);
            let end = start + keys[start..].partition_point(|&k| k <= hi);
            order[start..end].iter().map(|e| e.1)
        };
        let rest = &self.params.rest;
        for i in 0..self.x.len() {
            let (kx, ky, kz) = coords(self.x[i]);
            for dz in -1..=1 {
                for dy in -1..=1 {
                    for j in row(kx, ky + dy, kz + dz) {
                        let j = j as usize;
                        if j <= i {
                            continue;
                        }
                        let wsum = self.w[i] + self.w[j];
                        if wsum == 0.0 {
                            continue;
                        }
                        // Neighbours closer than the gap at rest may stay so.
                        let r0 = rest[i].distance(rest[j]);
                        let target = gap.min(r0 * 0.9);
                        let d = self.x[i] - self.x[j];
                        let l = d.length();
                        if l >= target || l < 1e-9 {
                            continue;
                        }
                        let g = d * ((target - l) / (l * wsum));
                        self.x[i] += g * self.w[i];
                        self.x[j] -= g * self.w[j];
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &mut self,
        colliders: &Colliders,
        fields: &[&Field],
        gravity: Vec3,
        t: f32,
        dt: f32,
        sample_air: bool,
        transforms_before: Option<Transform>,
        transforms_after: Option<Transform>,
    ) {
        if sample_air || self.steps == 0 {
            if fields.is_empty() {
                self.air = AirLattice::default();
            } else if let Some((lo, hi)) = bounds(&self.x) {
                self.air.sample(fields, lo, hi, t);
            }
        }
        self.aerodynamics();
        let accel: Vec3 = match bounds(&self.x) {
            Some(_) if !fields.is_empty() => {
                let c = self.x.iter().copied().sum::<Vec3>() / self.x.len() as f32;
                fields.iter().map(|f| f.acceleration(c)).sum()
            }
            _ => Vec3::ZERO,
        };
        let drag_rate: f32 = fields.iter().map(|f| f.drag_rate()).sum();
        let subs = self.params.iterations.max(1);
        let h = dt / subs as f32;
        let damp = libm::expf(-(self.params.damping + drag_rate).max(0.0) * h);
        let alpha_s = self.params.stretch_compliance / (h * h);
        let alpha_b = self.params.bend_compliance / (h * h);
        let gap = self.params.thickness;
        for s in 0..subs {
            let frac = (s + 1) as f32 / subs as f32;
            let at = match (transforms_before, transforms_after) {
                (Some(a), Some(b)) => Some(Transform {
                    position: a.position.lerp(b.position, frac),
                    rotation: a.rotation.slerp(b.rotation, frac),
                    scale: b.scale,
                }),
                (_, b) => b,
            };
            for i in 0..self.x.len() {
                if self.w[i] == 0.0 {
                    continue;
                }
                let a = gravity + accel + self.force[i] * self.w[i];
                self.v[i] = (self.v[i] + a * h) * damp;
                self.prev[i] = self.x[i];
                self.x[i] += self.v[i] * h;
            }
            let targets: Vec<(usize, Vec3)> = self.pin_targets(at).collect();
            for (i, p) in targets {
                self.prev[i] = self.x[i];
                self.x[i] = p;
            }
            solve_distances(&mut self.x, &self.w, &self.edges, &self.edge_rest, alpha_s);
            solve_distances(&mut self.x, &self.w, &self.bends, &self.bend_rest, alpha_b);
            // Stretch again after bending: it is the constraint the eye checks.
            solve_distances(&mut self.x, &self.w, &self.edges, &self.edge_rest, alpha_s);
            for &(i, p, l) in &self.tethers {
                let (i, p) = (i as usize, p as usize);
                let d = self.x[i] - self.x[p];
                let len = d.length();
                if len > l && len > 1e-9 {
                    self.x[i] -= d * ((len - l) / len);
                }
            }
            if self.params.self_collision && s + 1 == subs && self.steps.is_multiple_of(4) {
                self.self_collide();
            }
            colliders.resolve(
                &mut self.x,
                &self.prev,
                &self.w,
                gap,
                self.params.friction,
                h,
            );
            let inv_h = 1.0 / h;
            for i in 0..self.x.len() {
                let v = (self.x[i] - self.prev[i]) * inv_h;
                self.v[i] = if v.is_finite() { v } else { Vec3::ZERO };
                if !self.x[i].is_finite() {
                    self.x[i] = self.prev[i];
                }
            }
        }
        self.steps += 1;
    }

    pub fn stats(&self, colliders: &Colliders) -> DeformStats {
        let (centroid, min, max, mean_speed) = centroid_bounds_speed(&self.x, &self.v);
        let max_stretch = self
            .edges
            .iter()
            .zip(&self.edge_rest)
            .map(|(e, l0)| {
                self.x[e[0] as usize].distance(self.x[e[1] as usize]) / l0.max(1e-9) - 1.0
            })
            .fold(0.0f32, f32::max);
        let normal = self
            .triangles
            .iter()
            .map(|t| {
                let [a, b, c] = t.map(|i| self.x[i as usize]);
                (b - a).cross(c - a)
            })
            .sum::<Vec3>()
            .normalize_or_zero();
        let (pen, _) = colliders.penetration(&self.x);
        DeformStats {
            centroid,
            min,
            max,
            mean_speed,
            max_stretch,
            volume_ratio: 1.0,
            penetration: pen,
            normal,
        }
    }

    pub fn attach(&self) -> Option<EntityId> {
        self.attach
    }
}

fn edge_rest_sum(x: &[Vec3], edges: &[[u32; 2]]) -> f32 {
    edges
        .iter()
        .map(|e| x[e[0] as usize].distance(x[e[1] as usize]))
        .sum()
}

/// One deformable's live state.
pub enum DeformState {
    Cloth(ClothState),
    Soft(SoftState),
}

impl DeformState {
    pub fn entity(&self) -> EntityId {
        match self {
            DeformState::Cloth(c) => c.entity,
            DeformState::Soft(s) => s.entity,
        }
    }

    pub fn positions(&self) -> &[Vec3] {
        match self {
            DeformState::Cloth(c) => &c.x,
            DeformState::Soft(s) => &s.x,
        }
    }

    pub fn velocities(&self) -> &[Vec3] {
        match self {
            DeformState::Cloth(c) => &c.v,
            DeformState::Soft(s) => &s.v,
        }
    }

    pub fn triangles(&self) -> &Arc<Vec<[u32; 3]>> {
        match self {
            DeformState::Cloth(c) => &c.triangles,
            DeformState::Soft(s) => &s.surface,
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self {
            DeformState::Cloth(_) => "cloth",
            DeformState::Soft(_) => "soft",
        }
    }
}

/// All cloth and soft bodies of a world.
#[derive(Default)]
pub struct Deformables {
    pub bodies: Vec<DeformState>,
    colliders: Colliders,
    /// Attach transforms at the end of the last step, per body.
    last_attach: Vec<Option<Transform>>,
}

impl Deformables {
    /// Builds the live state from the rest shapes placed by their entities'
    /// transforms, then hands those entities an identity transform: their
    /// vertices are kept in world space from here on.
    pub fn new(world: &mut World, transforms: &[Transform]) -> Deformables {
        if world.deformables.is_empty() {
            return Deformables::default();
        }
        let colliders = Colliders::from_world(world, transforms);
        let mut bodies = Vec::new();
        for d in &world.deformables {
            let t = transforms[d.entity().index()];
            bodies.push(match d {
                Deformable::Cloth(c) => DeformState::Cloth(ClothState::new(c, &t, transforms)),
                Deformable::Soft(s) => DeformState::Soft(SoftState::new(s, &t, transforms)),
            });
        }
        let ids: Vec<EntityId> = world.deformables.iter().map(|d| d.entity()).collect();
        for id in ids {
            let e = world.entity_mut(id);
            e.transform = Transform::default();
            e.parent = None;
            e.world_space = true;
        }
        let last_attach = bodies
            .iter()
            .map(|b| match b {
                DeformState::Cloth(c) => c.attach.map(|e| transforms[e.index()]),
                DeformState::Soft(s) => s.anchor().map(|e| transforms[e.index()]),
            })
            .collect();
        Deformables {
            bodies,
            colliders,
            last_attach,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.bodies.is_empty()
    }

    pub fn step(
        &mut self,
        world: &World,
        transforms: &[Transform],
        t: f64,
        dt: f64,
        sample_air: bool,
    ) {
        if self.bodies.is_empty() {
            return;
        }
        self.colliders.update(transforms);
        let fields: Vec<&Field> = world.fields.iter().filter(|f| f.acts_on_bodies()).collect();
        let gravity = world.settings.gravity;
        for (b, last) in self.bodies.iter_mut().zip(&mut self.last_attach) {
            match b {
                DeformState::Cloth(c) => {
                    let now = c.attach.map(|e| transforms[e.index()]);
                    c.step(
                        &self.colliders,
                        &fields,
                        gravity,
                        t as f32,
                        dt as f32,
                        sample_air,
                        *last,
                        now,
                    );
                    *last = now;
                }
                DeformState::Soft(s) => {
                    let now = s.anchor().map(|e| transforms[e.index()]);
                    s.step(&self.colliders, &fields, gravity, t as f32, dt as f32, now);
                    *last = now;
                }
            }
        }
    }

    /// What cloth and soft bodies pushed dynamic rigid bodies with since
    /// the last call.
    pub fn take_reactions(&self) -> Vec<Reaction> {
        self.colliders.take_reactions()
    }

    pub fn stats(&self) -> Vec<DeformStats> {
        self.bodies
            .iter()
            .map(|b| match b {
                DeformState::Cloth(c) => c.stats(&self.colliders),
                DeformState::Soft(s) => s.stats(&self.colliders),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_distance_inside_and_out() {
        let (d, n) = box_sdf(Vec3::new(0.0, 0.7, 0.0), Vec3::splat(0.5));
        assert!((d - 0.2).abs() < 1e-6 && n == Vec3::Y);
        let (d, n) = box_sdf(Vec3::new(0.45, 0.0, 0.1), Vec3::splat(0.5));
        assert!((d + 0.05).abs() < 1e-6 && n == Vec3::X);
    }

    #[test]
    fn cylinder_and_capsule_distances() {
        let cyl = ColliderShape::Cylinder {
            radius: 0.5,
            half_height: 1.0,
        };
        let (d, n) = cyl.sdf(Vec3::new(0.0, 0.0, 0.8)).unwrap();
        assert!((d - 0.3).abs() < 1e-6 && (n - Vec3::Z).length() < 1e-6);
        let (d, _) = cyl.sdf(Vec3::new(0.0, 1.2, 0.0)).unwrap();
        assert!((d - 0.2).abs() < 1e-6);
        let cap = ColliderShape::Capsule {
            radius: 0.2,
            half_height: 0.5,
        };
        let (d, _) = cap.sdf(Vec3::new(0.0, 0.9, 0.0)).unwrap();
        assert!((d - 0.2).abs() < 1e-6);
    }

    #[test]
    fn edges_and_bends_of_a_quad() {
        let (e, b) = edge_list(&[[0, 1, 2], [0, 2, 3]]);
        assert_eq!(e.len(), 5);
        assert_eq!(b, vec![[1, 3]]);
    }
}
