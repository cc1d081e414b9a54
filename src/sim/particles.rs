//! Our own particle dynamics: emission, gravity, drag towards the moving
//! air, attractors, and collision with ground surfaces (die, bounce, settle).

use std::sync::Arc;

use glam::{Quat, Vec3};

use rayon::prelude::*;

use crate::util::rng::Rng;
use crate::world::mesh::{Mesh, heightfield_height, tessellate};
use crate::world::particles::{EmitterShape, GroundResponse};
use crate::world::{BodyKind, Field, Shape, Transform, World};

/// Surfaces particles land on: fixed planes, heightfields, the tops of
/// fixed boxes and the upper surface of fixed round shapes and meshes (a
/// leaf pile, a rock), fixed for the run.
#[derive(Default)]
pub struct Ground {
    surfaces: Vec<Surface>,
    /// Which surfaces may lie over each cell, so a particle looks at the few
    /// near it and not at every trunk and branch of a forest.
    index: SurfaceIndex,
}

/// A coarse grid over the surfaces' footprints (seen from above). Surfaces
/// wider than [`WIDE_SURFACE`] (ground planes, terrain) are checked
/// everywhere; the rest are listed in every cell their footprint touches.
#[derive(Default)]
struct SurfaceIndex {
    everywhere: Vec<u32>,
    min_x: f32,
    min_z: f32,
    cell: f32,
    cols: usize,
    rows: usize,
    cells: Vec<Vec<u32>>,
    /// The highest point of any surface listed everywhere, and per cell of
    /// any surface that may lie over it: nothing above can be landed on.
    everywhere_top: f32,
    cell_tops: Vec<f32>,
}

/// Metres across beyond which a surface is checked everywhere.
const WIDE_SURFACE: f32 = 30.0;
/// Most cells along either side of the index.
const INDEX_CELLS: usize = 96;

impl SurfaceIndex {
    fn new(footprints: &[(f32, f32, f32, f32)], tops: &[f32]) -> SurfaceIndex {
        let mut index = SurfaceIndex {
            everywhere_top: f32::NEG_INFINITY,
            ..SurfaceIndex::default()
        };
        let wide = |f: &(f32, f32, f32, f32)| {
            !(f.0.is_finite() && f.1.is_finite() && f.2.is_finite() && f.3.is_finite())
                || f.2 - f.0 > WIDE_SURFACE
                || f.3 - f.1 > WIDE_SURFACE
        };
        let (mut lo_x, mut lo_z, mut hi_x, mut hi_z) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for (i, f) in footprints.iter().enumerate() {
            if wide(f) {
                index.everywhere.push(i as u32);
                index.everywhere_top = index.everywhere_top.max(tops[i]);
            } else {
                lo_x = lo_x.min(f.0);
                lo_z = lo_z.min(f.1);
                hi_x = hi_x.max(f.2);
                hi_z = hi_z.max(f.3);
            }
        }
        if lo_x > hi_x {
            return index;
        }
        let extent = (hi_x - lo_x).max(hi_z - lo_z).max(0.01);
        let cell = (extent / INDEX_CELLS as f32).max(0.05);
        index.min_x = lo_x;
        index.min_z = lo_z;
        index.cell = cell;
        index.cols = (((hi_x - lo_x) / cell) as usize + 1).min(INDEX_CELLS + 1);
        index.rows = (((hi_z - lo_z) / cell) as usize + 1).min(INDEX_CELLS + 1);
        index.cells = vec![Vec::new(); index.cols * index.rows];
        index.cell_tops = vec![index.everywhere_top; index.cols * index.rows];
        for (i, f) in footprints.iter().enumerate() {
            if wide(f) {
                continue;
            }
            let (c0, r0) = index.cell_of(f.0, f.1);
            let (c1, r1) = index.cell_of(f.2, f.3);
            for r in r0..=r1 {
                for c in c0..=c1 {
                    index.cells[r * index.cols + c].push(i as u32);
                    let top = &mut index.cell_tops[r * index.cols + c];
                    *top = top.max(tops[i]);
                }
            }
        }
        index
    }

    /// The cell holding (x, z), clamped to the grid.
    fn cell_of(&self, x: f32, z: f32) -> (usize, usize) {
        let c = ((x - self.min_x) / self.cell).max(0.0) as usize;
        let r = ((z - self.min_z) / self.cell).max(0.0) as usize;
        (c.min(self.cols - 1), r.min(self.rows - 1))
    }

    /// No surface over (x, z) rises higher than this (NaN-safe: a NaN
    /// top counts as infinitely high).
    fn top_near(&self, x: f32, z: f32) -> f32 {
        match self.local_cell(x, z) {
            Some(c) => self.cell_tops[c],
            None => self.everywhere_top,
        }
    }

    fn local_cell(&self, x: f32, z: f32) -> Option<usize> {
        if self.cells.is_empty()
            || !x.is_finite()
            || !z.is_finite()
            || x < self.min_x
            || z < self.min_z
            || x > self.min_x + self.cell * self.cols as f32
            || z > self.min_z + self.cell * self.rows as f32
        {
            None
        } else {
            let (c, r) = self.cell_of(x, z);
            Some(r * self.cols + c)
        }
    }

    /// Surfaces that may lie over (x, z).
    fn near(&self, x: f32, z: f32) -> impl Iterator<Item = usize> + '_ {
        let local: &[u32] = match self.local_cell(x, z) {
            Some(c) => &self.cells[c],
            None => &[],
        };
        self.everywhere.iter().chain(local).map(|&i| i as usize)
    }
}

enum SurfaceShape {
    Rect {
        half_w: f32,
        half_d: f32,
    },
    Heights {
        heights: Arc<Vec<f32>>,
        rows: usize,
        cols: usize,
        width: f32,
        depth: f32,
    },
    /// A fixed mesh's highest point over each cell of a grid in world
    /// space (NaN where the mesh is not); the surface's transform is the
    /// identity.
    Raster(Raster),
}

/// The top of a mesh seen from above, sampled on a regular grid.
struct Raster {
    min_x: f32,
    min_z: f32,
    cell: f32,
    cols: usize,
    rows: usize,
    heights: Vec<f32>,
}

/// Cells across a mesh's larger side: fine enough for a leaf to rest on a
/// mound, coarse enough that a forest of meshes builds in milliseconds.
const RASTER_CELLS: usize = 48;

impl Raster {
    fn of(mesh: &Mesh, t: &Transform) -> Option<Raster> {
        let world: Vec<Vec3> = mesh
            .positions
            .iter()
            .map(|p| t.position + t.rotation * (*p * t.scale))
            .collect();
        let (lo, hi) = world.iter().fold(
            (Vec3::splat(f32::MAX), Vec3::splat(f32::MIN)),
            |(lo, hi), p| (lo.min(*p), hi.max(*p)),
        );
        let extent = (hi.x - lo.x).max(hi.z - lo.z);
        if !extent.is_finite() || extent <= 0.0 {
            return None;
        }
        let cell = (extent / RASTER_CELLS as f32).max(0.01);
        let cols = ((hi.x - lo.x) / cell).ceil() as usize + 1;
        let rows = ((hi.z - lo.z) / cell).ceil() as usize + 1;
        let mut heights = vec![f32::NAN; cols * rows];
        for tri in &mesh.indices {
            let [a, b, c] = tri.map(|i| world.get(i as usize).copied().unwrap_or(Vec3::ZERO));
            let det = (b.z - c.z) * (a.x - c.x) + (c.x - b.x) * (a.z - c.z);
            if det.abs() < 1e-12 {
                continue; // seen edge-on from above
            }
            let cell_of = |v: f32, origin: f32| ((v - origin) / cell).max(0.0);
            let c0 = cell_of(a.x.min(b.x).min(c.x), lo.x).floor() as usize;
            let c1 = (cell_of(a.x.max(b.x).max(c.x), lo.x).ceil() as usize).min(cols - 1);
            let r0 = cell_of(a.z.min(b.z).min(c.z), lo.z).floor() as usize;
            let r1 = (cell_of(a.z.max(b.z).max(c.z), lo.z).ceil() as usize).min(rows - 1);
            for r in r0..=r1 {
                for col in c0..=c1 {
                    let (x, z) = (lo.x + col as f32 * cell, lo.z + r as f32 * cell);
                    let w0 = ((b.z - c.z) * (x - c.x) + (c.x - b.x) * (z - c.z)) / det;
                    let w1 = ((c.z - a.z) * (x - c.x) + (a.x - c.x) * (z - c.z)) / det;
                    let w2 = 1.0 - w0 - w1;
                    if w0 < -1e-4 || w1 < -1e-4 || w2 < -1e-4 {
                        continue;
                    }
                    let y = w0 * a.y + w1 * b.y + w2 * c.y;
                    let h = &mut heights[r * cols + col];
                    if h.is_nan() || y > *h {
                        *h = y;
                    }
                }
            }
        }
        Some(Raster {
            min_x: lo.x,
            min_z: lo.z,
            cell,
            cols,
            rows,
            heights,
        })
    }

    /// The mesh's top at the grid point nearest (x, z), if it covers it.
    fn height(&self, x: f32, z: f32) -> Option<f32> {
        let c = ((x - self.min_x) / self.cell).round();
        let r = ((z - self.min_z) / self.cell).round();
        if c < 0.0 || r < 0.0 || c as usize >= self.cols || r as usize >= self.rows {
            return None;
        }
        let h = self.heights[r as usize * self.cols + c as usize];
        (!h.is_nan()).then_some(h)
    }
}

struct Surface {
    transform: Transform,
    shape: SurfaceShape,
    /// Height of the surface above the entity's origin (box tops).
    lift: f32,
}

impl Surface {
    /// The highest height [`Ground::height_below`] can answer for it;
    /// infinite when unknown, so nothing is ever skipped wrongly.
    fn top(&self) -> f32 {
        let t = &self.transform;
        let top = match &self.shape {
            SurfaceShape::Rect { .. } => t.position.y + self.lift,
            SurfaceShape::Heights { heights, .. } => {
                let (lo, hi) = heights
                    .iter()
                    .fold((f32::MAX, f32::MIN), |(lo, hi), h| (lo.min(*h), hi.max(*h)));
                t.position.y + (lo * t.scale.y).max(hi * t.scale.y)
            }
            SurfaceShape::Raster(r) => r
                .heights
                .iter()
                .filter(|h| !h.is_nan())
                .fold(f32::MIN, |a, h| a.max(*h)),
        };
        // A hair above, as the lookup accepts heights within 1e-4 of its
        // ceiling; NaN or overflow means "anything".
        if top.is_finite() {
            top + 1e-3
        } else {
            f32::INFINITY
        }
    }

    /// The world (min x, min z, max x, max z) the surface can answer for,
    /// a little generous so no query at its edge is missed.
    fn footprint(&self) -> (f32, f32, f32, f32) {
        let (hw, hd) = match &self.shape {
            SurfaceShape::Rect { half_w, half_d } => (*half_w, *half_d),
            SurfaceShape::Heights { width, depth, .. } => (width * 0.5, depth * 0.5),
            SurfaceShape::Raster(r) => {
                let pad = r.cell;
                return (
                    r.min_x - pad,
                    r.min_z - pad,
                    r.min_x + r.cell * r.cols as f32 + pad,
                    r.min_z + r.cell * r.rows as f32 + pad,
                );
            }
        };
        let t = &self.transform;
        let (mut lo_x, mut lo_z, mut hi_x, mut hi_z) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for (sx, sz) in [(-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0), (1.0, 1.0)] {
            let p = t.position + t.rotation * Vec3::new(sx * hw, 0.0, sz * hd);
            lo_x = lo_x.min(p.x);
            lo_z = lo_z.min(p.z);
            hi_x = hi_x.max(p.x);
            hi_z = hi_z.max(p.z);
        }
        let pad = 0.01;
        (lo_x - pad, lo_z - pad, hi_x + pad, hi_z + pad)
    }
}

impl Ground {
    pub fn from_world(world: &World, transforms: &[Transform]) -> Ground {
        let mut surfaces = Vec::new();
        for e in &world.entities {
            if world.body_kind(e.id) != BodyKind::Fixed || e.body.sensor {
                continue;
            }
            let t = transforms[e.id.index()];
            // Round and modelled shapes catch particles on their top as
            // drawn (a leaf pile's mound, a rock, a stump).
            let modelled = match &e.shape {
                Shape::Mesh { mesh, .. } => Some(Raster::of(mesh, &t)),
                Shape::Sphere { .. }
                | Shape::Cylinder { .. }
                | Shape::Cone { .. }
                | Shape::Capsule { .. }
                | Shape::Torus { .. } => Some(Raster::of(&tessellate(&e.shape), &t)),
                _ => None,
            };
            if let Some(raster) = modelled {
                if let Some(r) = raster {
                    surfaces.push(Surface {
                        transform: Transform::default(),
                        shape: SurfaceShape::Raster(r),
                        lift: 0.0,
                    });
                }
                continue;
            }
            // Only level surfaces catch particles.
            if (t.rotation * Vec3::Y).y < 0.95 {
                continue;
            }
            let (shape, lift) = match &e.shape {
                Shape::Plane { width, depth } => (
                    SurfaceShape::Rect {
                        half_w: width * 0.5 * t.scale.x,
                        half_d: depth * 0.5 * t.scale.z,
                    },
                    0.0,
                ),
                Shape::Box { size } => (
                    SurfaceShape::Rect {
                        half_w: size.x * 0.5 * t.scale.x,
                        half_d: size.z * 0.5 * t.scale.z,
                    },
                    size.y * 0.5 * t.scale.y,
                ),
                Shape::Heightfield {
                    heights,
                    rows,
                    cols,
                    width,
                    depth,
                    ..
                } => (
                    SurfaceShape::Heights {
                        heights: heights.clone(),
                        rows: *rows,
                        cols: *cols,
                        width: width * t.scale.x,
                        depth: depth * t.scale.z,
                    },
                    0.0,
                ),
                _ => continue,
            };
            surfaces.push(Surface {
                transform: t,
                shape,
                lift,
            });
        }
        let footprints: Vec<_> = surfaces.iter().map(Surface::footprint).collect();
        let tops: Vec<_> = surfaces.iter().map(Surface::top).collect();
        Ground {
            index: SurfaceIndex::new(&footprints, &tops),
            surfaces,
        }
    }

    /// The highest surface under (x, z) that is not above `ceiling`.
    pub fn height_below(&self, x: f32, z: f32, ceiling: f32) -> Option<f32> {
        let mut best: Option<f32> = None;
        for s in self.index.near(x, z).map(|i| &self.surfaces[i]) {
            let local = s.transform.rotation.conjugate()
                * (Vec3::new(x, s.transform.position.y, z) - s.transform.position);
            let h = match &s.shape {
                SurfaceShape::Rect { half_w, half_d } => {
                    if local.x.abs() > *half_w || local.z.abs() > *half_d {
                        continue;
                    }
                    s.transform.position.y + s.lift
                }
                SurfaceShape::Heights {
                    heights,
                    rows,
                    cols,
                    width,
                    depth,
                } => {
                    match heightfield_height(
                        heights, *rows, *cols, *width, *depth, local.x, local.z,
                    ) {
                        Some(h) => s.transform.position.y + h * s.transform.scale.y,
                        None => continue,
                    }
                }
                SurfaceShape::Raster(r) => match r.height(x, z) {
                    Some(h) => h,
                    None => continue,
                },
            };
            if h <= ceiling + 1e-4 && best.is_none_or(|b| h > b) {
                best = Some(h);
            }
        }
        best
    }

    pub fn is_empty(&self) -> bool {
        self.surfaces.is_empty()
    }

    /// Nothing over (x, z) can be landed on above this height.
    pub fn top_near(&self, x: f32, z: f32) -> f32 {
        if self.surfaces.is_empty() {
            return f32::NEG_INFINITY;
        }
        self.index.top_near(x, z)
    }

    /// Whether something of `radius` moving from `from` to `to` passed down
    /// through a surface: above it before, wholly below it after, over it
    /// both times.
    pub fn crossed(&self, from: Vec3, to: Vec3, radius: f32) -> bool {
        // A crossed surface lies over `to`.
        self.index.near(to.x, to.z).any(|i| {
            let s = &self.surfaces[i];
            let over = |p: Vec3| -> Option<f32> {
                let local = s.transform.rotation.conjugate()
                    * (Vec3::new(p.x, s.transform.position.y, p.z) - s.transform.position);
                match &s.shape {
                    SurfaceShape::Rect { half_w, half_d } => (local.x.abs() <= *half_w
                        && local.z.abs() <= *half_d)
                        .then_some(s.transform.position.y + s.lift),
                    SurfaceShape::Heights {
                        heights,
                        rows,
                        cols,
                        width,
                        depth,
                    } => {
                        heightfield_height(heights, *rows, *cols, *width, *depth, local.x, local.z)
                            .map(|h| s.transform.position.y + h * s.transform.scale.y)
                    }
                    SurfaceShape::Raster(r) => r.height(p.x, p.z),
                }
            };
            match (over(from), over(to)) {
                (Some(h0), Some(h1)) => from.y - radius >= h0 - 0.01 && to.y + radius < h1 - 0.02,
                _ => false,
            }
        })
    }
}

/// How quickly sliding particles slow down, 1/s.
const SLIDE_FRICTION: f32 = 1.5;

struct EmitterState {
    rng: Rng,
    carry: f64,
    live: u32,
    /// Triangles and cumulative areas of a surface emitter's mesh.
    surface: Option<(Arc<Mesh>, Vec<f32>)>,
}

/// Per-emitter aggregate for traces and expectations.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct EmitterStats {
    pub count: u32,
    pub centroid: Vec3,
    pub mean_velocity: Vec3,
    pub settled: u32,
    pub emitted: u64,
}

#[derive(Default)]
pub struct ParticleSystem {
    pub pos: Vec<Vec3>,
    pub vel: Vec<Vec3>,
    pub age: Vec<f32>,
    pub life: Vec<f32>,
    pub emitter: Vec<u16>,
    /// Per-particle colour variation in [-1, 1].
    pub tint: Vec<f32>,
    pub angle: Vec<f32>,
    pub spin: Vec<f32>,
    pub axis: Vec<Vec3>,
    pub settled: Vec<bool>,
    /// Air velocity last sampled for each particle.
    air: Vec<Vec3>,
    states: Vec<EmitterState>,
    pub emitted: Vec<u64>,
    pub ground: Ground,
}

impl ParticleSystem {
    pub fn new(world: &World, transforms: &[Transform]) -> ParticleSystem {
        let mut ps = ParticleSystem {
            ground: Ground::from_world(world, transforms),
            ..Default::default()
        };
        ps.sync_emitters(world);
        ps
    }

    fn sync_emitters(&mut self, world: &World) {
        for e in &world.emitters[self.states.len()..] {
            let surface = match e.shape {
                EmitterShape::Surface { entity } => {
                    let m = Arc::new(tessellate(&world.entity(entity).shape));
                    let mut acc = 0.0;
                    let cdf = m
                        .indices
                        .iter()
                        .map(|t| {
                            let [a, b, c] = t.map(|i| m.positions[i as usize]);
                            acc += (b - a).cross(c - a).length() * 0.5;
                            acc
                        })
                        .collect();
                    Some((m, cdf))
                }
                _ => None,
            };
            self.states.push(EmitterState {
                rng: Rng::new(e.seed),
                carry: 0.0,
                live: 0,
                surface,
            });
            self.emitted.push(0);
        }
    }

    pub fn len(&self) -> usize {
        self.pos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pos.is_empty()
    }

    fn spawn(&mut self, world: &World, transforms: &[Transform], ei: usize, count: u32, t: f64) {
        let e = &world.emitters[ei];
        let windy: Vec<&Field> = if e.inherit_wind > 0.0 {
            world
                .fields
                .iter()
                .filter(|f| f.acts_on_particles())
                .collect()
        } else {
            Vec::new()
        };
        let room = e.max.saturating_sub(self.states[ei].live);
        let count = count.min(room);
        let speed = e.velocity.length();
        let dir = e.velocity.normalize_or(Vec3::Y);
        let to_dir = Quat::from_rotation_arc(Vec3::Y, dir);
        for _ in 0..count {
            let st = &mut self.states[ei];
            let r = &mut st.rng;
            let p = match &e.shape {
                EmitterShape::Point { position } => *position,
                EmitterShape::Box { center, size } => {
                    *center
                        + Vec3::new(r.next_f32() - 0.5, r.next_f32() - 0.5, r.next_f32() - 0.5)
                            * *size
                }
                EmitterShape::Sphere { center, radius } => {
                    // Rejection sampling: deterministic and unbiased.
                    let mut q;
                    loop {
                        q = Vec3::new(
                            r.next_f32() * 2.0 - 1.0,
                            r.next_f32() * 2.0 - 1.0,
                            r.next_f32() * 2.0 - 1.0,
                        );
                        if q.length_squared() <= 1.0 {
                            break;
                        }
                    }
                    *center + q * *radius
                }
                EmitterShape::Surface { entity } => match &st.surface {
                    Some((m, cdf)) if !cdf.is_empty() => {
                        let total = *cdf.last().unwrap_or(&0.0);
                        let x = r.next_f32() * total;
                        let i = cdf.partition_point(|a| *a < x).min(cdf.len() - 1);
                        let [a, b, c] = m.indices[i].map(|k| m.positions[k as usize]);
                        let (mut u, mut v) = (r.next_f32(), r.next_f32());
                        if u + v > 1.0 {
                            u = 1.0 - u;
                            v = 1.0 - v;
                        }
                        let local = a + (b - a) * u + (c - a) * v;
                        transforms[entity.index()].matrix().transform_point3(local)
                    }
                    _ => transforms[entity.index()].position,
                },
            };
            let cone = r.cone_dir(e.spread.to_radians());
            let jitter = 1.0 + e.speed_jitter * (r.next_f32() * 2.0 - 1.0);
            let mut v = to_dir * cone * (speed * jitter);
            if !windy.is_empty() {
                v += windy
                    .iter()
                    .map(|f| f.air_velocity(p, t as f32))
                    .sum::<Vec3>()
                    * e.inherit_wind;
            }
            let life = r.range_f32(e.lifetime[0], e.lifetime[1]);
            let tint = r.next_f32() * 2.0 - 1.0;
            let spin = if e.spin > 0.0 {
                r.range_f32(-e.spin, e.spin).to_radians()
            } else {
                0.0
            };
            let axis = Vec3::new(r.next_f32() - 0.5, r.next_f32() - 0.5, r.next_f32() - 0.5)
                .normalize_or(Vec3::X);
            let angle = r.next_f32() * std::f32::consts::TAU;
            st.live += 1;
            self.pos.push(p);
            self.vel.push(v);
            self.age.push(0.0);
            self.life.push(life);
            self.emitter.push(ei as u16);
            self.tint.push(tint);
            self.angle.push(angle);
            self.spin.push(spin);
            self.axis.push(axis);
            self.settled.push(false);
            self.air.push(Vec3::ZERO);
            self.emitted[ei] += 1;
        }
    }

    /// Emits bursts requested by callbacks.
    pub fn burst(&mut self, world: &World, transforms: &[Transform], emitter: usize, count: u32) {
        self.sync_emitters(world);
        if emitter < world.emitters.len() {
            self.spawn(world, transforms, emitter, count, world.time);
        }
    }

    fn remove(&mut self, i: usize) {
        let ei = self.emitter[i] as usize;
        self.states[ei].live -= 1;
        self.pos.swap_remove(i);
        self.vel.swap_remove(i);
        self.age.swap_remove(i);
        self.life.swap_remove(i);
        self.emitter.swap_remove(i);
        self.tint.swap_remove(i);
        self.angle.swap_remove(i);
        self.spin.swap_remove(i);
        self.axis.swap_remove(i);
        self.settled.swap_remove(i);
        self.air.swap_remove(i);
    }

    /// Advances all particles from `t` by `dt`. `sample_air` asks for a fresh
    /// reading of the air's velocity (done once per frame: the air changes
    /// slowly and sampling noise is the costliest part).
    pub fn step(
        &mut self,
        world: &World,
        transforms: &[Transform],
        t: f64,
        dt: f64,
        sample_air: bool,
    ) {
        self.sync_emitters(world);
        let dt32 = dt as f32;
        for (ei, e) in world.emitters.iter().enumerate() {
            let mut n = 0u32;
            if t >= e.start && t < e.stop && e.rate > 0.0 {
                let st = &mut self.states[ei];
                st.carry += e.rate as f64 * dt;
                let whole = st.carry.floor();
                st.carry -= whole;
                n += whole as u32;
            }
            for (bt, count) in &e.bursts {
                if *bt >= t && *bt < t + dt {
                    n += count;
                }
            }
            if n > 0 {
                self.spawn(world, transforms, ei, n, t);
            }
        }
        let fields: Vec<&Field> = world
            .fields
            .iter()
            .filter(|f| f.acts_on_particles())
            .collect();
        let air_fields: Vec<&Field> = fields
            .iter()
            .copied()
            .filter(|f| {
                matches!(
                    f.kind,
                    crate::world::FieldKind::Wind { .. } | crate::world::FieldKind::Vortex { .. }
                )
            })
            .collect();
        let still_drag: f32 = fields.iter().map(|f| f.drag_rate()).sum();
        let gravity = world.settings.gravity;
        let tf = (t + dt) as f32;
        if sample_air {
            // Before the loop and on every core: a particle's position is
            // not touched until the loop reaches it, so this reads the same
            // positions the loop would.
            let (pos, settled) = (&self.pos, &self.settled);
            self.air
                .par_iter_mut()
                .with_min_len(512)
                .enumerate()
                .filter(|(i, _)| !settled[*i])
                .for_each(|(i, air)| {
                    *air = air_fields.iter().map(|f| f.air_velocity(pos[i], tf)).sum()
                });
        }
        let mut i = 0;
        while i < self.pos.len() {
            let e = &world.emitters[self.emitter[i] as usize];
            if self.settled[i] {
                self.age[i] += dt32;
                i += 1;
                continue;
            }
            let mut v = self.vel[i];
            let mut accel = gravity * e.gravity;
            for f in &fields {
                accel += f.acceleration(self.pos[i]);
            }
            // Exact relaxation towards the air velocity: stable for any drag.
            let k = 1.0 - libm::expf(-(e.drag) * dt32);
            v += (self.air[i] - v) * k;
            if still_drag > 0.0 {
                v *= libm::expf(-still_drag * dt32);
            }
            v += accel * dt32;
            let prev = self.pos[i];
            let mut p = prev + v * dt32;
            self.angle[i] += self.spin[i] * dt32;
            self.age[i] += dt32;
            let mut dead = self.age[i] >= self.life[i];
            // Ground rising under a particle moving sideways (up a dune) is
            // still ground: allow a climb as large as the step.
            let climb = Vec3::new(p.x - prev.x, 0.0, p.z - prev.z).length() * 2.0 + 1e-3;
            if e.ground != GroundResponse::Ignore
                && p.y < self.ground.top_near(p.x, p.z)
                && let Some(h) = self.ground.height_below(p.x, p.z, prev.y + climb)
                && p.y < h
            {
                match e.ground {
                    GroundResponse::Die => dead = true,
                    GroundResponse::Settle => {
                        // Rest a hair above so piles stay visible.
                        p.y = h + e.size[1].max(e.size[0]) * 0.25;
                        v = Vec3::ZERO;
                        self.settled[i] = true;
                        self.spin[i] = 0.0;
                        dead = false;
                    }
                    GroundResponse::Bounce => {
                        p.y = h + (h - p.y) * e.bounce;
                        v = Vec3::new(v.x * 0.8, -v.y * e.bounce, v.z * 0.8);
                    }
                    GroundResponse::Slide => {
                        // Lose the speed into the surface, keep (most of) the rest.
                        p.y = h;
                        let keep = (1.0 - SLIDE_FRICTION * dt32).max(0.0);
                        v = Vec3::new(v.x * keep, 0.0, v.z * keep);
                    }
                    GroundResponse::Ignore => {}
                }
            }
            if dead || !p.is_finite() {
                self.remove(i);
                continue;
            }
            self.pos[i] = p;
            self.vel[i] = v;
            i += 1;
        }
    }

    pub fn stats(&self, emitter_count: usize) -> Vec<EmitterStats> {
        let mut s = vec![EmitterStats::default(); emitter_count];
        for i in 0..self.pos.len() {
            let e = &mut s[self.emitter[i] as usize];
            e.count += 1;
            e.centroid += self.pos[i];
            e.mean_velocity += self.vel[i];
            if self.settled[i] {
                e.settled += 1;
            }
        }
        for (i, e) in s.iter_mut().enumerate() {
            if e.count > 0 {
                e.centroid /= e.count as f32;
                e.mean_velocity /= e.count as f32;
            }
            e.emitted = self.emitted.get(i).copied().unwrap_or(0);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::particles::{Emitter, EmitterId, ParticleStyle};

    fn emitter(ground: GroundResponse) -> Emitter {
        Emitter {
            id: EmitterId(0),
            name: None,
            style: ParticleStyle::Dot,
            shape: EmitterShape::Point {
                position: Vec3::new(0.0, 2.0, 0.0),
            },
            rate: 0.0,
            bursts: vec![(0.0, 100)],
            start: 0.0,
            stop: f64::INFINITY,
            lifetime: [10.0, 10.0],
            velocity: Vec3::ZERO,
            spread: 0.0,
            speed_jitter: 0.0,
            size: [0.05, 0.05],
            color: [Vec3::ONE; 2],
            opacity: [1.0, 1.0],
            gravity: 1.0,
            drag: 0.0,
            ground,
            bounce: 0.5,
            spin: 0.0,
            max: 1000,
            emissive: 0.0,
            variation: 0.0,
            inherit_wind: 0.0,
            seed: 1,
            line: 1,
        }
    }

    fn world_with_ground(ground: GroundResponse) -> World {
        let mut w = World::default();
        w.entities.push(crate::world::Entity {
            id: crate::world::EntityId(0),
            name: None,
            tags: vec![],
            shape: Shape::Plane {
                width: 10.0,
                depth: 10.0,
            },
            parent: None,
            transform: Transform::default(),
            material: Default::default(),
            body: Default::default(),
            visible: true,
            sway: 0.0,
            waves: Default::default(),
            world_space: false,
            linear_velocity: Vec3::ZERO,
            angular_velocity: Vec3::ZERO,
            line: 1,
        });
        w.emitters.push(emitter(ground));
        w
    }

    #[test]
    fn particles_fall_and_settle_on_the_ground() {
        let w = world_with_ground(GroundResponse::Settle);
        let t = w.world_transforms();
        let mut ps = ParticleSystem::new(&w, &t);
        let dt = 1.0 / 240.0;
        for k in 0..480 {
            ps.step(&w, &t, k as f64 * dt, dt, true);
        }
        assert_eq!(ps.len(), 100);
        assert!(ps.settled.iter().all(|s| *s));
        assert!(ps.pos.iter().all(|p| p.y >= 0.0 && p.y < 0.05));
    }

    #[test]
    fn rain_dies_on_the_ground_and_free_fall_matches_gravity() {
        let w = world_with_ground(GroundResponse::Die);
        let t = w.world_transforms();
        let mut ps = ParticleSystem::new(&w, &t);
        let dt = 1.0 / 240.0;
        for k in 0..120 {
            ps.step(&w, &t, k as f64 * dt, dt, true);
        }
        // After 0.5 s: y = 2 - 0.5 g t^2 (semi-implicit Euler within a step).
        let expect = 2.0 - 0.5 * 9.81 * 0.25;
        assert!((ps.pos[0].y - expect).abs() < 0.03, "{}", ps.pos[0].y);
        for k in 120..480 {
            ps.step(&w, &t, k as f64 * dt, dt, true);
        }
        assert_eq!(ps.len(), 0);
    }

    /// A leaf falling on a fixed mound rests on the mound, not on the
    /// ground under it.
    #[test]
    fn particles_settle_on_a_fixed_mesh() {
        let mut w = world_with_ground(GroundResponse::Settle);
        // A pyramid: a 2 m square base on the ground, its apex 1 m up.
        let mesh = Mesh {
            positions: vec![
                Vec3::new(-1.0, 0.0, -1.0),
                Vec3::new(1.0, 0.0, -1.0),
                Vec3::new(1.0, 0.0, 1.0),
                Vec3::new(-1.0, 0.0, 1.0),
                Vec3::new(0.0, 1.0, 0.0),
            ],
            normals: vec![Vec3::Y; 5],
            indices: vec![[0, 4, 1], [1, 4, 2], [2, 4, 3], [3, 4, 0]],
            colors: Vec::new(),
        };
        let mut mound = w.entities[0].clone();
        mound.id = crate::world::EntityId(1);
        mound.shape = Shape::Mesh {
            mesh: Arc::new(mesh),
            triangles: 4,
        };
        mound.body.kind = BodyKind::Fixed;
        // Off the apex, over a face: the face is 0.5 m high there.
        mound.transform.position = Vec3::new(0.5, 0.0, 0.0);
        w.entities.push(mound);
        let t = w.world_transforms();
        let mut ps = ParticleSystem::new(&w, &t);
        let dt = 1.0 / 240.0;
        for k in 0..480 {
            ps.step(&w, &t, k as f64 * dt, dt, true);
        }
        assert!(ps.settled.iter().all(|s| *s));
        for p in &ps.pos {
            assert!(
                (p.y - 0.5).abs() < 0.06,
                "rests at {p}, the mound is 0.5 m high there"
            );
        }
    }

    /// The early-out above the ground's highest point never skips a
    /// surface a particle could land on.
    #[test]
    fn no_surface_rises_above_the_ground_top() {
        let mut w = world_with_ground(GroundResponse::Settle);
        let mut table = w.entities[0].clone();
        table.id = crate::world::EntityId(1);
        table.shape = Shape::Box {
            size: Vec3::new(1.0, 0.8, 1.0),
        };
        table.body.kind = BodyKind::Fixed;
        table.transform.position = Vec3::new(1.0, 0.4, -0.5);
        w.entities.push(table);
        let t = w.world_transforms();
        let ground = Ground::from_world(&w, &t);
        let mut highest = f32::MIN;
        for i in 0..41 {
            for k in 0..41 {
                let (x, z) = (i as f32 * 0.25 - 5.0, k as f32 * 0.25 - 5.0);
                let top = ground.top_near(x, z);
                if let Some(h) = ground.height_below(x, z, 100.0) {
                    assert!(h < top, "surface at {h} above the top {top} at ({x}, {z})");
                    highest = highest.max(h);
                }
            }
        }
        assert!(
            (highest - 0.8).abs() < 1e-4,
            "the table top is found: {highest}"
        );
        assert!(
            ground.top_near(1.0, -0.5) < 0.9,
            "the index is local, not one global top"
        );
        assert!(ground.top_near(-4.0, 4.0) < 0.1);
    }
}
