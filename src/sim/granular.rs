//! Grains: position-based contacts between equal spheres with static and
//! kinetic friction (after Macklin et al., "Unified particle physics for
//! real-time applications", 2014). Friction acts on the relative tangential
//! displacement within a substep, which is what lets a pile stand at its
//! angle of repose instead of flowing flat.

use glam::Vec3;

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

/// One Gauss-Seidel sweep over grain-grain contacts, in particle order (so
/// the result does not depend on anything but the data). `pred` are the
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
    for i in 0..pred.len() {
        for &j in neighbours.of(i) {
            let j = j as usize;
            if j <= i {
                continue;
            }
            let diff = pred[i] - pred[j];
            let dist2 = diff.length_squared();
            if dist2 >= d2 || dist2 < 1e-18 {
                continue;
            }
            let dist = dist2.sqrt();
            let n = diff / dist;
            let pen = d - dist;
            let push = n * (0.5 * pen);
            pred[i] += push;
            pred[j] -= push;
            let rel = (pred[i] - start[i]) - (pred[j] - start[j]);
            let tangent = rel - n * rel.dot(n);
            let f = friction.correction(tangent, pen) * 0.5;
            pred[i] -= f;
            pred[j] += f;
            contacts[i] = contacts[i].saturating_add(1);
            contacts[j] = contacts[j].saturating_add(1);
        }
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
