//! A physically based clear sky: sunlight scattered once by air molecules
//! (Rayleigh) and aerosols (Mie) on its way through a spherical atmosphere
//! with an ozone layer, integrated on the CPU for each frame's sun into a
//! small table over the view elevation and the view's azimuth from the
//! sun. The shader applies the phase functions per pixel, so the glow
//! around the sun stays sharp while the table stays small (see
//! `sky_physical` in common.wgsl).
//!
//! The azimuth matters most at dusk: air far off towards the sun still
//! sees it over the earth's curve while air opposite has fallen into the
//! earth's shadow, which gives the bright sunset side and the darker,
//! pinker side across from it. Light scattered more than once is
//! approximated by an isotropic share of the single-scattered Rayleigh
//! light, enough to keep twilight skies from going black too early.
//!
//! Coefficients are the usual ones for the earth (per metre, at sea
//! level); the result is scaled once so that a midday zenith has the
//! brightness our lighting and tone mapping are tuned for.

use glam::Vec3;

/// Rows of the sky table: row r looks at sin(elevation) = (r / (ROWS - 1))^2,
/// so that the horizon, where the colour changes fastest, gets most rows.
pub const SKY_ROWS: usize = 24;
/// Columns: azimuths from the sun's, 0 to 180 degrees in equal steps (the
/// sky is symmetric about the sun's vertical).
pub const SKY_COLS: usize = 5;

const EARTH_RADIUS: f32 = 6_360_000.0;
const ATMOSPHERE_TOP: f32 = 6_460_000.0;
const CAMERA_ALTITUDE: f32 = 200.0;
const RAYLEIGH: Vec3 = Vec3::new(5.802e-6, 13.558e-6, 33.1e-6);
const RAYLEIGH_HEIGHT: f32 = 8_000.0;
const MIE_SCATTER: f32 = 2.0e-6;
const MIE_EXTINCTION: f32 = 2.22e-6;
const MIE_HEIGHT: f32 = 1_200.0;
const OZONE: Vec3 = Vec3::new(0.650e-6, 1.881e-6, 0.085e-6);
/// Mie asymmetry: strongly forward, the bright haze around the sun.
pub const MIE_G: f32 = 0.8;
/// Share of the Rayleigh light added back as multiply scattered light.
pub const MULTIPLE_SCATTERING: f32 = 0.35;

const VIEW_STEPS: usize = 40;
/// How far the view rays reach: beyond this the horizon's haze hides the
/// sky behind it (it also keeps the horizon from glaring white).
const MAX_VIEW_DISTANCE: f32 = 100_000.0;
const SUN_STEPS: usize = 24;

/// Scattered light along each view ray, per unit of sun irradiance,
/// without the phase functions: `[column][row]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SkyTable {
    pub rayleigh: [[Vec3; SKY_ROWS]; SKY_COLS],
    pub mie: [[Vec3; SKY_ROWS]; SKY_COLS],
}

/// sin(elevation) of a row's view direction.
pub fn row_height(row: usize) -> f32 {
    let t = row as f32 / (SKY_ROWS - 1) as f32;
    t * t
}

fn densities(altitude: f32) -> (f32, f32, f32) {
    let h = altitude.max(0.0);
    let ozone = (1.0 - (h - 25_000.0).abs() / 15_000.0).max(0.0);
    (
        libm::expf(-h / RAYLEIGH_HEIGHT),
        libm::expf(-h / MIE_HEIGHT),
        ozone,
    )
}

fn extinction(altitude: f32) -> Vec3 {
    let (r, m, o) = densities(altitude);
    RAYLEIGH * r + Vec3::splat(MIE_EXTINCTION * m) + OZONE * o
}

/// Distance from `origin` (metres from the earth's centre) along the unit
/// `dir` to a sphere of `radius`, when the ray leaves or meets it ahead.
fn to_sphere(origin: Vec3, dir: Vec3, radius: f32) -> Option<(f32, f32)> {
    let b = origin.dot(dir);
    let c = origin.length_squared() - radius * radius;
    let disc = b * b - c;
    if disc < 0.0 {
        return None;
    }
    let s = libm::sqrtf(disc);
    Some((-b - s, -b + s))
}

/// Transmittance from a point towards the sun, looked up in a table of
/// altitude by the sun's zenith cosine there, built once: the view rays
/// of every frame's sky need thousands of these.
fn sun_transmittance_at(p: Vec3, to_sun: Vec3) -> Vec3 {
    const ALTITUDES: usize = 64;
    const COSINES: usize = 256;
    static TABLE: std::sync::OnceLock<Vec<Vec3>> = std::sync::OnceLock::new();
    let top = ATMOSPHERE_TOP - EARTH_RADIUS;
    // Altitudes sqrt-spaced (the air is thin high up), cosines linear.
    let table = TABLE.get_or_init(|| {
        let mut t = Vec::with_capacity(ALTITUDES * COSINES);
        for a in 0..ALTITUDES {
            let h = (a as f32 / (ALTITUDES - 1) as f32).powi(2) * top;
            for c in 0..COSINES {
                let mu = -1.0 + 2.0 * c as f32 / (COSINES - 1) as f32;
                let dir = Vec3::new(libm::sqrtf((1.0 - mu * mu).max(0.0)), mu, 0.0);
                t.push(sun_transmittance_from(
                    Vec3::new(0.0, EARTH_RADIUS + h, 0.0),
                    dir,
                ));
            }
        }
        t
    });
    let r = p.length();
    let mu = p.dot(to_sun) / r.max(1.0);
    // The earth in the way: below its horizon seen from this height.
    let horizon = -libm::sqrtf((1.0 - (EARTH_RADIUS / r).powi(2)).max(0.0));
    if mu < horizon {
        return Vec3::ZERO;
    }
    let fa = libm::sqrtf(((r - EARTH_RADIUS) / top).clamp(0.0, 1.0)) * (ALTITUDES - 1) as f32;
    let fc = (mu + 1.0) * 0.5 * (COSINES - 1) as f32;
    let (a, c) = (
        (fa as usize).min(ALTITUDES - 2),
        (fc as usize).min(COSINES - 2),
    );
    let (ta, tc) = (fa - a as f32, fc - c as f32);
    let at = |a: usize, c: usize| table[a * COSINES + c];
    let low = at(a, c).lerp(at(a, c + 1), tc);
    let high = at(a + 1, c).lerp(at(a + 1, c + 1), tc);
    low.lerp(high, ta)
}

/// Transmittance from a point towards the sun, integrated: zero when the
/// earth is in the way.
fn sun_transmittance_from(p: Vec3, to_sun: Vec3) -> Vec3 {
    if let Some((near, far)) = to_sphere(p, to_sun, EARTH_RADIUS)
        && near > 0.0
        && far > 0.0
    {
        return Vec3::ZERO;
    }
    let Some((_, length)) = to_sphere(p, to_sun, ATMOSPHERE_TOP) else {
        return Vec3::ONE;
    };
    let ds = length.max(0.0) / SUN_STEPS as f32;
    let mut depth = Vec3::ZERO;
    for i in 0..SUN_STEPS {
        let q = p + to_sun * (ds * (i as f32 + 0.5));
        depth += extinction(q.length() - EARTH_RADIUS) * ds;
    }
    exp3(-depth)
}

fn exp3(v: Vec3) -> Vec3 {
    Vec3::new(libm::expf(v.x), libm::expf(v.y), libm::expf(v.z))
}

/// [`sky_table`], remembered for the last few elevations: a scene's sun
/// rarely moves, and a day's time-lapse revisits none, so a small cache
/// spares most frames the integration.
pub fn sky_table_cached(elevation: f32) -> SkyTable {
    use std::cell::RefCell;
    thread_local! {
        static RECENT: RefCell<Vec<(u32, SkyTable)>> = const { RefCell::new(Vec::new()) };
    }
    let key = elevation.to_bits();
    if let Some(t) = RECENT.with(|r| {
        r.borrow()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, t)| t.clone())
    }) {
        return t;
    }
    let table = sky_table(elevation);
    RECENT.with(|r| {
        let mut r = r.borrow_mut();
        if r.len() >= 4 {
            r.remove(0);
        }
        r.push((key, table.clone()));
    });
    table
}

/// The sky table for a sun at `elevation` degrees (negative below the
/// horizon).
pub fn sky_table(elevation: f32) -> SkyTable {
    let e = elevation.clamp(-30.0, 90.0).to_radians();
    // The sun stands over +x; columns turn the view away from it.
    let to_sun = Vec3::new(libm::cosf(e), libm::sinf(e), 0.0);
    let origin = Vec3::new(0.0, EARTH_RADIUS + CAMERA_ALTITUDE, 0.0);
    let mut table = SkyTable {
        rayleigh: [[Vec3::ZERO; SKY_ROWS]; SKY_COLS],
        mie: [[Vec3::ZERO; SKY_ROWS]; SKY_COLS],
    };
    for col in 0..SKY_COLS {
        let azimuth = std::f32::consts::PI * col as f32 / (SKY_COLS - 1) as f32;
        for row in 0..SKY_ROWS {
            let y = row_height(row).max(1e-3);
            let flat = libm::sqrtf(1.0 - y * y);
            let dir = Vec3::new(flat * libm::cosf(azimuth), y, flat * libm::sinf(azimuth));
            let (r, m) = scatter_along(origin, dir, to_sun);
            table.rayleigh[col][row] = r;
            table.mie[col][row] = m;
        }
    }
    table
}

/// Single-scattered Rayleigh and Mie light along one view ray.
fn scatter_along(origin: Vec3, dir: Vec3, to_sun: Vec3) -> (Vec3, Vec3) {
    let length = to_sphere(origin, dir, ATMOSPHERE_TOP)
        .map_or(0.0, |(_, far)| far.max(0.0))
        .min(MAX_VIEW_DISTANCE);
    let (mut rayleigh, mut mie, mut depth) = (Vec3::ZERO, Vec3::ZERO, Vec3::ZERO);
    // Steps grow quadratically: the air is densest near the camera.
    let at = |i: f32| length * (i / VIEW_STEPS as f32).powi(2);
    for i in 0..VIEW_STEPS {
        let (s0, s1) = (at(i as f32), at(i as f32 + 1.0));
        let ds = s1 - s0;
        let p = origin + dir * (0.5 * (s0 + s1));
        let altitude = p.length() - EARTH_RADIUS;
        let (r, m, _) = densities(altitude);
        let ext = extinction(altitude);
        // Transmittance to the middle of this step.
        let view = exp3(-(depth + ext * (0.5 * ds)));
        let light = view * sun_transmittance_at(p, to_sun) * ds;
        rayleigh += light * RAYLEIGH * r;
        mie += light * (MIE_SCATTER * m);
        depth += ext * ds;
    }
    (rayleigh, mie)
}

/// The mean of `sky` over directions just above the horizon, all round.
pub fn around_horizon(sky: impl Fn(Vec3) -> Vec3) -> Vec3 {
    let n = 16;
    (0..n)
        .map(|k| {
            let a = (k as f32 + 0.5) / n as f32 * std::f32::consts::TAU;
            sky(Vec3::new(libm::cosf(a), 0.02, libm::sinf(a)))
        })
        .sum::<Vec3>()
        / n as f32
}

pub fn rayleigh_phase(mu: f32) -> f32 {
    3.0 / (16.0 * std::f32::consts::PI) * (1.0 + mu * mu)
}

/// Cornette-Shanks: Henyey-Greenstein with a Rayleigh-like tail.
pub fn mie_phase(mu: f32) -> f32 {
    let g = MIE_G;
    let k = 3.0 / (8.0 * std::f32::consts::PI) * (1.0 - g * g) / (2.0 + g * g);
    let denom = (1.0 + g * g - 2.0 * g * mu).max(1e-4);
    k * (1.0 + mu * mu) / (denom * libm::sqrtf(denom))
}

impl SkyTable {
    /// Radiance per unit sun irradiance seen along `dir` (y up) with the
    /// sun towards `to_sun`: what the shader computes, for the CPU side
    /// (ambient light, fog and tests).
    pub fn radiance(&self, dir: Vec3, to_sun: Vec3) -> Vec3 {
        let dir = dir.normalize_or(Vec3::Y);
        let to_sun = to_sun.normalize_or(Vec3::Y);
        let fr = libm::sqrtf(dir.y.clamp(0.0, 1.0)) * (SKY_ROWS - 1) as f32;
        let (flat, sun_flat) = (
            glam::Vec2::new(dir.x, dir.z),
            glam::Vec2::new(to_sun.x, to_sun.z),
        );
        let cos_azimuth = if flat.length() > 1e-5 && sun_flat.length() > 1e-5 {
            flat.normalize().dot(sun_flat.normalize()).clamp(-1.0, 1.0)
        } else {
            1.0
        };
        let fc = libm::acosf(cos_azimuth) / std::f32::consts::PI * (SKY_COLS - 1) as f32;
        let lookup = |t: &[[Vec3; SKY_ROWS]; SKY_COLS]| {
            let (r, c) = (
                (fr as usize).min(SKY_ROWS - 2),
                (fc as usize).min(SKY_COLS - 2),
            );
            let (tr, tc) = (fr - r as f32, fc - c as f32);
            let row = |c: usize| t[c][r].lerp(t[c][r + 1], tr);
            row(c).lerp(row(c + 1), tc)
        };
        let mu = dir.dot(to_sun);
        lookup(&self.rayleigh)
            * (rayleigh_phase(mu) + MULTIPLE_SCATTERING / (4.0 * std::f32::consts::PI))
            + lookup(&self.mie) * mie_phase(mu)
    }

    /// Mean radiance along the horizon, over all azimuths.
    pub fn horizon_mean(&self, to_sun: Vec3) -> Vec3 {
        around_horizon(|dir| self.radiance(dir, to_sun))
    }

    /// Every entry through `f`.
    pub fn map(&self, f: impl Fn(Vec3) -> Vec3) -> SkyTable {
        SkyTable {
            rayleigh: self.rayleigh.map(|c| c.map(&f)),
            mie: self.mie.map(|c| c.map(&f)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(e: f32) -> Vec3 {
        let r = e.to_radians();
        Vec3::new(libm::cosf(r), libm::sinf(r), 0.0)
    }

    #[test]
    fn a_midday_sky_is_blue_and_paler_at_the_horizon() {
        let t = sky_table(50.0);
        let sun = up(50.0);
        let zenith = t.radiance(Vec3::Y, sun);
        let away = t.radiance(Vec3::new(-1.0, 0.01, 0.0).normalize(), sun);
        assert!(zenith.z > zenith.x * 2.0, "zenith {zenith:?}");
        // Towards the horizon the air path is long: whiter (less blue
        // dominance) than overhead.
        assert!(
            away.z / away.x < zenith.z / zenith.x,
            "horizon {away:?} zenith {zenith:?}"
        );
    }

    #[test]
    fn at_sunset_the_sky_near_the_sun_is_warm_and_the_zenith_stays_blue() {
        let t = sky_table(1.0);
        let sun = up(1.0);
        let near_sun = t.radiance(Vec3::new(1.0, 0.03, 0.1).normalize(), sun);
        let zenith = t.radiance(Vec3::Y, sun);
        assert!(near_sun.x > near_sun.z * 1.3, "near the sun {near_sun:?}");
        assert!(zenith.z > zenith.x, "zenith {zenith:?}");
        // The sun's side of the sky outshines the other side.
        let opposite = t.radiance(Vec3::new(-1.0, 0.03, 0.0).normalize(), sun);
        assert!(near_sun.length() > opposite.length() * 3.0);
        // Without the phase functions too: air across from a setting sun
        // is in the earth's shadow sooner.
        let dusk = sky_table(-1.0);
        let (towards, across) = (dusk.rayleigh[0][1], dusk.rayleigh[SKY_COLS - 1][1]);
        assert!(towards.x > across.x * 1.5, "{towards} {across}");
    }

    #[test]
    fn the_sky_darkens_through_twilight() {
        let zenith = |e: f32| sky_table(e).radiance(Vec3::Y, up(e)).length();
        let (day, sunset, civil, night) = (zenith(30.0), zenith(0.0), zenith(-4.0), zenith(-12.0));
        assert!(
            day > sunset && sunset > civil * 2.0 && civil > night * 5.0,
            "day {day} sunset {sunset} civil {civil} night {night}"
        );
    }

    #[test]
    fn the_sun_transmittance_table_matches_the_integral() {
        for (h, e) in [
            (0.0f32, 30.0f32),
            (2_000.0, 2.0),
            (9_000.0, -2.5),
            (30_000.0, -5.0),
            (500.0, -1.0),
        ] {
            let p = Vec3::new(0.0, EARTH_RADIUS + h, 0.0);
            let to_sun = up(e);
            let (table, exact) = (
                sun_transmittance_at(p, to_sun),
                sun_transmittance_from(p, to_sun),
            );
            assert!(
                (table - exact).abs().max_element() < 0.02,
                "{h} m, {e} deg: {table} vs {exact}"
            );
        }
    }

    #[test]
    fn the_phase_functions_integrate_to_one() {
        let n = 20_000;
        let integral = |p: fn(f32) -> f32| {
            (0..n)
                .map(|i| {
                    let mu = -1.0 + 2.0 * (i as f32 + 0.5) / n as f32;
                    p(mu) * 2.0 * std::f32::consts::PI * (2.0 / n as f32)
                })
                .sum::<f32>()
        };
        assert!((integral(rayleigh_phase) - 1.0).abs() < 1e-3);
        assert!((integral(mie_phase) - 1.0).abs() < 2e-2);
    }
}
