//! Grains: position-based contacts between equal spheres with static and
//! kinetic friction (after Macklin et al., "Unified particle physics for
//! real-time applications", 2014). Friction acts on the relative tangential
//! displacement within a substep, which is what lets a pile stand at its
//! angle of repose instead of flowing flat.

use glam::Vec3;

use rayon::prelude::*;

use super::spatial_hash::Neighbours;

/// Friction coefficients: static (below this ratio of tangential slip to
/// penetration, slip is removed entirely) and kinetic.
#[derive(Debug, Clone, Copy)]
pub struct Friction {
    pub stat: f32,
    pub kinetic: f32,
}

impl Friction {
    pub fn of(mu: f32) -> Friction {
        Friction {
            stat: mu,
            kinetic: mu * 0.85,
        }
    }

    /// The positional correction that cancels (static) or reduces
    /// (kinetic) a tangential slip `tangent` at a contact `pen` deep.
    pub fn correction(&self, tangent: Vec3, pen: f32) -> Vec3 {
        let len = tangent.length();
        if len <= 1e-12 {
            return Vec3::ZERO;
        }
        if len < self.stat * pen {
            tangent
        } else {
            tangent * (self.kinetic * pen / len).min(1.0)
        }
    }
}

/// One Gauss-Seidel sweep over grain-grain contacts, run on every core
/// and giving the same bits on any number of threads. Grains are cut into
/// slabs along x, [`SLAB_WIDTH`] contact distances wide; a slab's grains
/// (in index order) resolve their contacts with grains in the same or
/// either neighbouring slab, so slabs three apart touch disjoint grains and run at once:
/// first every third slab from 0, then from 1, then from 2. A pair whose
/// grains are further apart at the sweep's start (one moved more than a
/// slab within the sweep) waits for the next sweep. `pred` are the
/// predicted positions, `start` where each grain began the substep.
pub fn contact_sweep(
    pred: &mut [Vec3],
    start: &[Vec3],
    neighbours: &Neighbours,
    radius: f32,
    friction: Friction,
    contacts: &mut [u16],
) {
    let d = 2.0 * radius;
    let d2 = d * d;
    let n = pred.len();
    if n == 0 {
        return;
    }
    let width = SLAB_WIDTH * d;
    let lo = pred
        .iter()
        .filter(|p| p.x.is_finite())
        .map(|p| p.x)
        .fold(f32::INFINITY, f32::min);
    let slab_of: Vec<u32> = pred
        .iter()
        .map(|p| {
            // NaN goes to slab 0 and anything past the last slab into it
            // (a float-to-int cast saturates and takes NaN to 0).
            ((p.x - lo) / width)
                .floor()
                .clamp(0.0, MAX_SLABS as f32 - 1.0) as u32
        })
        .collect();
    let slabs = slab_of.iter().max().map_or(1, |m| *m as usize + 1);
    // Grains by slab, by index within a slab (a counting sort).
    let mut starts = vec![0u32; slabs + 1];
    for k in &slab_of {
        starts[*k as usize + 1] += 1;
    }
    for k in 0..slabs {
        starts[k + 1] += starts[k];
    }
    let mut fill = starts.clone();
    let mut members = vec![0u32; n];
    for (i, k) in slab_of.iter().enumerate() {
        members[fill[*k as usize] as usize] = i as u32;
        fill[*k as usize] += 1;
    }
    let shared_pred = Shared::new(pred);
    let shared_contacts = Shared::new(contacts);
    for colour in 0..3 {
        let run = |k: usize| {
            for &i in &members[starts[k] as usize..starts[k + 1] as usize] {
                let i = i as usize;
                for &j in neighbours.of(i) {
                    let j = j as usize;
                    if j <= i || slab_of[j].abs_diff(k as u32) > 1 {
                        continue;
                    }
                    // SAFETY: this task only touches grains of slabs k - 1
                    // to k + 1 (checked just above for j; i is in k), and
                    // tasks running at once are three slabs apart.
                    unsafe {
                        let (mut pi, mut pj) = (shared_pred.get(i), shared_pred.get(j));
                        let diff = pi - pj;
                        let dist2 = diff.length_squared();
                        if dist2 >= d2 || dist2 < 1e-18 {
                            continue;
                        }
                        let dist = dist2.sqrt();
                        let n = diff / dist;
                        let pen = d - dist;
                        let push = n * (0.5 * pen);
                        pi += push;
                        pj -= push;
                        let rel = (pi - start[i]) - (pj - start[j]);
                        let tangent = rel - n * rel.dot(n);
                        let f = friction.correction(tangent, pen) * 0.5;
                        pi -= f;
                        pj += f;
                        shared_pred.set(i, pi);
                        shared_pred.set(j, pj);
                        shared_contacts.set(i, shared_contacts.get(i).saturating_add(1));
                        shared_contacts.set(j, shared_contacts.get(j).saturating_add(1));
                    }
                }
            }
        };
        (colour..slabs)
            .step_by(3)
            .collect::<Vec<_>>()
            .into_par_iter()
            .with_min_len(PAR_SLABS)
            .for_each(run);
    }
}

/// Slab width in contact distances: wide enough that grains in contact
/// are never two slabs apart unless one moved a contact distance within a
/// sweep.
const SLAB_WIDTH: f32 = 2.0;
/// Slabs beyond this are merged into the last (a grain flung far away).
const MAX_SLABS: usize = 1 << 16;
/// Fewest slabs a thread takes: a small heap stays on one thread.
const PAR_SLABS: usize = 4;

/// A slice several threads write at different indices. Whoever uses it
/// must make sure no index is touched by two threads at once.
struct Shared<T> {
    ptr: *mut T,
    len: usize,
}

// SAFETY: access is only through `get`/`set`, whose callers keep threads
// on disjoint indices (see `contact_sweep`).
unsafe impl<T: Send> Sync for Shared<T> {}

impl<T: Copy> Shared<T> {
    fn new(slice: &mut [T]) -> Shared<T> {
        Shared {
            ptr: slice.as_mut_ptr(),
            len: slice.len(),
        }
    }

    /// # Safety
    /// No other thread may write index `i` meanwhile.
    unsafe fn get(&self, i: usize) -> T {
        assert!(i < self.len);
        // SAFETY: in bounds (checked), and the caller keeps other threads
        // off this index.
        unsafe { self.ptr.add(i).read() }
    }

    /// # Safety
    /// No other thread may read or write index `i` meanwhile.
    unsafe fn set(&self, i: usize, v: T) {
        assert!(i < self.len);
        // SAFETY: as for `get`.
        unsafe { self.ptr.add(i).write(v) }
    }
}

/// Slope of a pile, degrees: heights of the topmost grains in rings around
/// the pile's highest column, fitted by least squares between 20 % and 85 %
/// of its radius (the rounded top and the thin skirt are left out).
pub fn pile_slope(points: &[Vec3], radius: f32) -> Option<f32> {
    if points.len() < 50 {
        return None;
    }
    let n = points.len() as f32;
    let c = points.iter().copied().sum::<Vec3>() / n;
    let ground = points.iter().map(|p| p.y).fold(f32::INFINITY, f32::min);
    let reach = points
        .iter()
        .map(|p| ((p.x - c.x).powi(2) + (p.z - c.z).powi(2)).sqrt())
        .fold(0.0, f32::max);
    let bins = 24usize;
    let bin_w = (reach / bins as f32).max(radius);
    let mut top = vec![f32::NEG_INFINITY; bins + 1];
    for p in points {
        let r = ((p.x - c.x).powi(2) + (p.z - c.z).powi(2)).sqrt();
        let b = ((r / bin_w) as usize).min(bins);
        top[b] = top[b].max(p.y);
    }
    // Outer edge: the last ring at least two grains above the ground.
    let edge = (0..=bins)
        .rev()
        .find(|&b| top[b] > ground + 4.0 * radius)
        .unwrap_or(0);
    if edge < 4 {
        return None;
    }
    let (lo, hi) = (
        (edge as f32 * 0.2) as usize,
        ((edge as f32 * 0.85) as usize).max(1),
    );
    let samples: Vec<(f32, f32)> = (lo..=hi)
        .filter(|&b| top[b].is_finite())
        .map(|b| ((b as f32 + 0.5) * bin_w, top[b]))
        .collect();
    if samples.len() < 3 {
        return None;
    }
    let m = samples.len() as f32;
    let (sx, sy) = samples
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / m, sy / m);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, y) in &samples {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
    }
    if sxx <= 0.0 {
        return None;
    }
    let slope = -sxy / sxx;
    Some(libm::atanf(slope.max(0.0)).to_degrees())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cone_of_points_has_its_slope() {
        // A solid cone of half-angle 60 degrees: slope 30 degrees.
        let mut pts = Vec::new();
        let r = 0.01;
        let base = 0.5f32;
        let h = base * libm::tanf(30f32.to_radians());
        let mut x = -base;
        while x <= base {
            let mut z = -base;
            while z <= base {
                let d = (x * x + z * z).sqrt();
                let top = h * (1.0 - d / base);
                let mut y = 0.0;
                while y <= top {
                    pts.push(Vec3::new(x, y, z));
                    y += 2.0 * r;
                }
                z += 2.0 * r;
            }
            x += 2.0 * r;
        }
        let s = pile_slope(&pts, r).expect("a slope");
        assert!((s - 30.0).abs() < 3.0, "slope {s}");
    }

    #[test]
    fn static_friction_cancels_small_slip() {
        let f = Friction::of(0.6);
        let t = Vec3::new(0.001, 0.0, 0.0);
        assert_eq!(f.correction(t, 0.01), t);
        let big = Vec3::new(1.0, 0.0, 0.0);
        assert!(f.correction(big, 0.01).x < 0.01);
    }
}
