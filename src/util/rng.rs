//! Seeded randomness and noise.
//!
//! Everything random in a world flows from the world seed through these
//! functions, so the same script and seed always give the same world. They are
//! written out here (a few lines each) rather than taken from a crate so that
//! their output can never change under us with a dependency update.

/// SplitMix64: tiny, fast, and good enough for scene randomness.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// A stream derived from this seed and a label, so that independent
    /// consumers (each emitter, each field) do not disturb one another.
    pub fn derive(seed: u64, label: u64) -> Self {
        Self::new(mix64(
            seed ^ mix64(label.wrapping_add(0xA076_1D64_78BD_642F)),
        ))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.state)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, 1) as f32.
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
    }

    pub fn range_f32(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.next_f32()
    }

    /// Uniform integer in [lo, hi] (inclusive); `lo <= hi` is the caller's job.
    pub fn range_i64(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi as i128 - lo as i128 + 1) as u128;
        (lo as i128 + (self.next_u64() as u128 % span) as i128) as i64
    }

    /// A direction uniformly distributed inside a cone of half-angle
    /// `spread_rad` around +Y; callers rotate it to their axis.
    pub fn cone_dir(&mut self, spread_rad: f32) -> glam::Vec3 {
        let cos_max = libm::cosf(spread_rad.clamp(0.0, std::f32::consts::PI));
        let z = 1.0 - self.next_f32() * (1.0 - cos_max);
        let phi = self.next_f32() * std::f32::consts::TAU;
        let r = libm::sqrtf((1.0 - z * z).max(0.0));
        glam::Vec3::new(r * libm::cosf(phi), z, r * libm::sinf(phi))
    }
}

/// The SplitMix64 finaliser; also used as a general integer hash.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn lattice(seed: u64, x: i64, y: i64, z: i64) -> f32 {
    let h = mix64(
        seed ^ mix64(x as u64 ^ mix64((y as u64).wrapping_mul(31) ^ mix64(z as u64 ^ 0x5bd1))),
    );
    // Map to [-1, 1).
    (h >> 40) as f32 * (2.0 / (1u64 << 24) as f32) - 1.0
}

fn smooth(t: f32) -> f32 {
    t * t * t * (t * (t * 6.0 - 15.0) + 10.0)
}

fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

/// Smooth value noise in about [-1, 1], continuous in all three coordinates.
pub fn value_noise3(seed: u64, x: f32, y: f32, z: f32) -> f32 {
    let (fx, fy, fz) = (libm::floorf(x), libm::floorf(y), libm::floorf(z));
    let (ix, iy, iz) = (fx as i64, fy as i64, fz as i64);
    let (tx, ty, tz) = (smooth(x - fx), smooth(y - fy), smooth(z - fz));
    let corner = |dx: i64, dy: i64, dz: i64| lattice(seed, ix + dx, iy + dy, iz + dz);
    let x00 = lerp(corner(0, 0, 0), corner(1, 0, 0), tx);
    let x10 = lerp(corner(0, 1, 0), corner(1, 1, 0), tx);
    let x01 = lerp(corner(0, 0, 1), corner(1, 0, 1), tx);
    let x11 = lerp(corner(0, 1, 1), corner(1, 1, 1), tx);
    lerp(lerp(x00, x10, ty), lerp(x01, x11, ty), tz)
}

/// Fractal (three octave) noise: the texture of gusts, terrain and turbulence.
pub fn fbm3(seed: u64, x: f32, y: f32, z: f32) -> f32 {
    let mut sum = 0.0;
    let mut amp = 0.5;
    let mut freq = 1.0;
    for octave in 0..3u64 {
        sum += amp * value_noise3(seed.wrapping_add(octave), x * freq, y * freq, z * freq);
        amp *= 0.5;
        freq *= 2.0;
    }
    sum / 0.875
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_different_seed_differs() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let c: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(8);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn floats_stay_in_unit_interval_and_ranges_are_inclusive() {
        let mut r = Rng::new(1);
        let mut seen_lo = false;
        let mut seen_hi = false;
        for _ in 0..10_000 {
            let f = r.next_f64();
            assert!((0.0..1.0).contains(&f));
            let i = r.range_i64(-2, 2);
            assert!((-2..=2).contains(&i));
            seen_lo |= i == -2;
            seen_hi |= i == 2;
        }
        assert!(seen_lo && seen_hi);
    }

    #[test]
    fn noise_is_continuous_and_bounded() {
        let mut prev = value_noise3(3, 0.0, 0.5, 0.25);
        for i in 1..1000 {
            let v = value_noise3(3, i as f32 * 0.01, 0.5, 0.25);
            assert!((-1.0..=1.0).contains(&v));
            assert!((v - prev).abs() < 0.1, "jump at {i}: {prev} -> {v}");
            prev = v;
        }
    }

    #[test]
    fn cone_directions_respect_spread() {
        let mut r = Rng::new(5);
        let cos_limit = libm::cosf(20f32.to_radians()) - 1e-5;
        for _ in 0..1000 {
            let d = r.cone_dir(20f32.to_radians());
            assert!((d.length() - 1.0).abs() < 1e-4);
            assert!(d.y >= cos_limit);
        }
    }
}
