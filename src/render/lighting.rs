//! From a frame's environment and lights to what the shaders need: the
//! key (shadow-casting) light, a fill light, sky colours, ambient light,
//! fog and the point/spot light array. Pure arithmetic, so it is tested
//! without a GPU.
//!
//! The auto and clear skies are physical by day (`atmosphere`: Rayleigh
//! and Mie scattering with ozone) and hand-tuned by night: the physical
//! sky fades into a palette indexed by the sun's elevation as the sun sets
//! below about -2 degrees, since a real night sky is far too dark to read
//! a scene by. Overcast, night and underwater skies are the palette's.

use glam::Vec3;

use super::atmosphere::{SkyTable, around_horizon, sky_table, sky_table_cached};
use super::globals::{MAX_POINT_LIGHTS, PointLightRaw, v4};
use crate::world::light::{LightKind, SkyKind, direction_from_angles};
use crate::world::{Environment, Light};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DirLight {
    /// Unit vector from the scene towards the light.
    pub to_light: Vec3,
    /// Linear RGB irradiance on a surface facing the light.
    pub irradiance: Vec3,
    pub shadows: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SkyLook {
    /// 0 gradient sky, 1 flat colour, 2 underwater.
    pub kind: f32,
    pub zenith: Vec3,
    pub horizon: Vec3,
    pub horizon_sun: Vec3,
    pub ground: Vec3,
    pub sun_glow: f32,
    pub stars: f32,
    /// Direction towards the sun and its disc radiance, when drawn.
    pub sun_disc: Option<(Vec3, Vec3)>,
    /// Direction towards the sun for the horizon glow, even when hidden.
    pub sun_dir: Vec3,
    pub moon: Option<(Vec3, f32)>,
    /// The physical sky drawn beside the gradient, when there is one.
    pub model: Option<SkyModel>,
    /// What shiny surfaces reflect: the sky as drawn, fitted to the
    /// gradient's shape (zenith, horizon, horizon towards the sun), which
    /// is far cheaper per pixel than the physical sky and as good in a
    /// reflection.
    pub reflected: [Vec3; 3],
}

/// The physical sky's share of a frame's sky.
#[derive(Debug, Clone, PartialEq)]
pub struct SkyModel {
    /// Already scaled to the scene's brightness, tint and day share.
    pub table: SkyTable,
    /// Weight of the gradient colours drawn with it.
    pub gradient: f32,
}

impl SkyLook {
    /// The sky as drawn along `dir` (y up), without sun disc, moon and
    /// stars: what the shader's `sky_gradient` computes above the horizon.
    pub fn seen(&self, dir: Vec3) -> Vec3 {
        let dir = Vec3::new(dir.x, dir.y.max(0.0), dir.z).normalize_or(Vec3::Y);
        let flat = Vec3::new(dir.x, 0.0, dir.z);
        let sun_flat = Vec3::new(self.sun_dir.x, 0.0, self.sun_dir.z);
        let towards = if flat.length() > 1e-4 && sun_flat.length() > 1e-4 {
            flat.normalize().dot(sun_flat.normalize()) * 0.5 + 0.5
        } else {
            0.0
        };
        let horizon = self.horizon.lerp(self.horizon_sun, towards.powi(3));
        let palette = self.zenith.lerp(horizon, (1.0 - dir.y).powi(5));
        match &self.model {
            Some(m) => palette * m.gradient + m.table.radiance(dir, self.sun_dir),
            None => palette,
        }
    }

    pub fn seen_zenith(&self) -> Vec3 {
        self.seen(Vec3::Y)
    }

    /// Mean of the sky along the horizon, all round.
    pub fn seen_horizon(&self) -> Vec3 {
        around_horizon(|dir| self.seen(dir))
    }
}

/// Colour grade of the physical sky: 1 is the physics as computed.
const SKY_SATURATION: f32 = 1.4;

/// Scale from the atmosphere's radiance per unit sun to our sky: a midday
/// zenith (sun at 50 degrees) as bright as the palette's.
fn physical_scale() -> f32 {
    static SCALE: std::sync::OnceLock<f32> = std::sync::OnceLock::new();
    *SCALE.get_or_init(|| {
        let e = 50f32.to_radians();
        let sun = Vec3::new(libm::cosf(e), libm::sinf(e), 0.0);
        let zenith = sky_table(50.0).radiance(Vec3::Y, sun);
        luminance(palette(50.0).0) / luminance(zenith).max(1e-12)
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lighting {
    pub key: Option<DirLight>,
    pub fill: Option<DirLight>,
    pub sky: SkyLook,
    pub ambient_up: Vec3,
    pub ambient_down: Vec3,
    /// density, start height, thinning length, sky distance
    pub fog: [f32; 4],
    pub fog_color: Vec3,
    pub fog_scatter: f32,
    pub points: Vec<PointLightRaw>,
    /// Linear multiplier from `Environment::exposure` stops.
    pub exposure: f32,
}

/// Elevation used when a scene has no sun at all.
const DEFAULT_ELEVATION: f32 = 50.0;
/// Angular radius of the drawn sun disc (larger than life, to read at
/// video resolutions).
pub const SUN_DISC_RADIUS_DEG: f32 = 0.6;
const MOON_ELEVATION: f32 = 35.0;
const MOON_COLOR: Vec3 = Vec3::new(0.55, 0.65, 1.0);
const MOON_INTENSITY: f32 = 0.35;

fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

fn luminance(c: Vec3) -> f32 {
    c.dot(Vec3::new(0.2126, 0.7152, 0.0722))
}

/// (elevation, zenith, horizon, horizon towards the sun)
type Key = (f32, [f32; 3], [f32; 3], [f32; 3]);

const PALETTE: &[Key] = &[
    (
        -18.0,
        [0.010, 0.016, 0.045],
        [0.020, 0.030, 0.065],
        [0.022, 0.032, 0.068],
    ),
    (
        -9.0,
        [0.022, 0.036, 0.095],
        [0.070, 0.070, 0.130],
        [0.160, 0.100, 0.120],
    ),
    (
        -3.0,
        [0.060, 0.100, 0.230],
        [0.380, 0.270, 0.300],
        [0.950, 0.450, 0.220],
    ),
    (
        2.0,
        [0.120, 0.220, 0.460],
        [0.700, 0.520, 0.440],
        [1.500, 0.750, 0.330],
    ),
    (
        10.0,
        [0.100, 0.220, 0.560],
        [0.480, 0.480, 0.540],
        [1.150, 0.820, 0.500],
    ),
    (
        25.0,
        [0.065, 0.160, 0.600],
        [0.260, 0.410, 0.800],
        [0.420, 0.520, 0.800],
    ),
    (
        90.0,
        [0.050, 0.140, 0.580],
        [0.240, 0.390, 0.800],
        [0.340, 0.470, 0.800],
    ),
];

/// Zenith, horizon and sun-side horizon colours for a sun elevation.
pub fn palette(elevation: f32) -> (Vec3, Vec3, Vec3) {
    let e = elevation.clamp(PALETTE[0].0, PALETTE[PALETTE.len() - 1].0);
    let i = PALETTE
        .windows(2)
        .position(|w| e <= w[1].0)
        .unwrap_or(PALETTE.len() - 2);
    let (a, b) = (&PALETTE[i], &PALETTE[i + 1]);
    let t = smoothstep(a.0, b.0, e);
    let mix = |x: [f32; 3], y: [f32; 3]| Vec3::from(x).lerp(Vec3::from(y), t);
    (mix(a.1, b.1), mix(a.2, b.2), mix(a.3, b.3))
}

/// Colour of sunlight after its path through the air: reddens and dims
/// towards the horizon, fades out below it. 1 at the zenith.
pub fn sun_transmittance(elevation: f32) -> Vec3 {
    let e = elevation.max(-2.0);
    // Kasten-Young air mass, with the horizon value for negative angles.
    let s = libm::sinf(e.max(0.0).to_radians());
    let air_mass = 1.0 / (s + 0.50572 * libm::powf(e.max(0.0) + 6.07995, -1.6364));
    let k = Vec3::new(0.018, 0.055, 0.13);
    let t = Vec3::new(
        libm::expf(-k.x * (air_mass - 1.0)),
        libm::expf(-k.y * (air_mass - 1.0)),
        libm::expf(-k.z * (air_mass - 1.0)),
    );
    t * smoothstep(-3.0, 2.0, elevation)
}

/// How `sky_color` tints the generated skies: 1 for the default colour.
fn sky_tint(env: &Environment) -> Vec3 {
    let default = Environment::default().sky_color;
    let norm = |c: Vec3| c / luminance(c).max(1e-4);
    let c = env.sky_color.max(Vec3::splat(0.0));
    if luminance(c) < 1e-4 {
        return Vec3::ONE;
    }
    (norm(c) / norm(default)).clamp(Vec3::splat(0.25), Vec3::splat(3.0))
}

fn sun_angles(light: &Light) -> Option<(f32, f32)> {
    match light.kind {
        LightKind::Sun { elevation, azimuth } => Some((elevation, azimuth)),
        _ => None,
    }
}

pub fn lighting(env: &Environment, lights: &[Light], camera: Vec3) -> Lighting {
    let suns: Vec<&Light> = lights
        .iter()
        .filter(|l| sun_angles(l).is_some() && l.intensity.is_finite())
        .collect();
    let (elevation, azimuth) = suns
        .first()
        .and_then(|l| sun_angles(l))
        .filter(|(e, a)| e.is_finite() && a.is_finite())
        .unwrap_or((DEFAULT_ELEVATION, 135.0));
    let sun_sky = direction_from_angles(elevation, azimuth);
    let tint = sky_tint(env);
    let sun_color = |l: &Light| l.color.max(Vec3::ZERO) * l.intensity.max(0.0);
    let dir_of = |l: &Light| {
        l.sun_direction()
            .map(|d| -d)
            .filter(|d| d.is_finite() && d.length_squared() > 0.5)
            .unwrap_or(Vec3::Y)
    };
    let elev_of = |l: &Light| sun_angles(l).map(|(e, _)| e).unwrap_or(DEFAULT_ELEVATION);
    let moon_dir = direction_from_angles(MOON_ELEVATION, azimuth + 180.0);
    let moon_light = |w: f32, shadows: bool| DirLight {
        to_light: moon_dir,
        irradiance: MOON_COLOR * MOON_INTENSITY * w,
        shadows,
    };

    let mut key: Option<DirLight> = None;
    let mut fill: Option<DirLight> = None;
    let mut sky;
    let mut ambient_scale = 2.5;
    let mut night_floor = 0.0;
    let mut default_fog: Option<(f32, Vec3)> = None;
    // Direct sunlight through the air, for the sky kinds with an atmosphere.
    let atmospheric = |l: &Light| DirLight {
        to_light: dir_of(l),
        irradiance: sun_color(l) * sun_transmittance(elev_of(l)),
        shadows: l.shadows,
    };
    match env.sky {
        SkyKind::Auto | SkyKind::Clear => {
            let e = if env.sky == SkyKind::Clear {
                elevation.max(25.0)
            } else {
                elevation
            };
            let (z, h, hs) = palette(e);
            let night = smoothstep(-2.0, -10.0, e);
            // Day: the physical sky; the palette takes over through dusk.
            let gradient = smoothstep(-0.5, -4.5, e);
            let sun_for_sky = direction_from_angles(e, azimuth);
            let table = sky_table_cached(e);
            // Exposed as a camera would: a low sun's sky, far darker than
            // midday's, is brightened towards the palette's level (never
            // dimmed), keeping its colours.
            let mean = |zenith: Vec3, horizon: Vec3| luminance(zenith * 0.55 + horizon * 0.45);
            let zenith = table.radiance(Vec3::Y, sun_for_sky) * physical_scale();
            let physical = mean(zenith, table.horizon_mean(sun_for_sky) * physical_scale());
            let exposure = (0.8 * mean(z, h) / physical.max(1e-9))
                .min(luminance(z) / luminance(zenith).max(1e-9))
                .clamp(1.0, 40.0);
            // The tint colours the air's light as it does the palette's; a
            // grade a little more saturated than the physics makes up for
            // what the filmic curve takes out of bright colours.
            let graded = |v: Vec3| {
                let l = luminance(v);
                (Vec3::splat(l) + (v - Vec3::splat(l)) * SKY_SATURATION).max(Vec3::ZERO) * tint
            };
            let k = physical_scale() * exposure * (1.0 - gradient);
            let table = table.map(|v| graded(v) * k);
            sky = SkyLook {
                kind: 0.0,
                zenith: z * tint,
                horizon: h * tint,
                horizon_sun: hs,
                ground: h * 0.25 + Vec3::splat(0.01),
                // The physical sky has its own glow round the sun.
                sun_glow: gradient * (1.0 - night),
                stars: if env.stars { night * night } else { 0.0 },
                sun_disc: None,
                sun_dir: sun_for_sky,
                moon: None,
                model: (gradient < 1.0).then_some(SkyModel { table, gradient }),
                reflected: [Vec3::ZERO; 3],
            };
            if let Some(sun) = suns.first() {
                let lit = atmospheric(sun);
                if elevation > -1.0 {
                    let disc = sun_color(sun).normalize_or_zero()
                        * sun_transmittance(elevation.max(0.5))
                        * 40.0;
                    sky.sun_disc = Some((sun_sky, disc));
                }
                key = Some(lit);
            }
            if env.moon && night > 0.0 {
                sky.moon = Some((moon_dir, 1.2 * night));
                let shadows = suns.first().is_none_or(|s| s.shadows);
                let moon = moon_light(night, shadows);
                if elevation < -2.5 || key.is_none() {
                    fill = key.take();
                    key = Some(moon);
                } else {
                    fill = Some(moon);
                }
            }
            night_floor = night;
        }
        SkyKind::Overcast => {
            let level = 0.06 + 0.94 * smoothstep(-8.0, 20.0, elevation);
            let grey = Vec3::new(0.52, 0.55, 0.6) * level * tint;
            sky = SkyLook {
                kind: 0.0,
                zenith: grey * 0.9,
                horizon: grey * 1.05,
                horizon_sun: grey * 1.1,
                ground: grey * 0.3,
                sun_glow: 0.0,
                stars: 0.0,
                sun_disc: None,
                sun_dir: sun_sky,
                moon: None,
                model: None,
                reflected: [Vec3::ZERO; 3],
            };
            // Clouds scatter the sun: a weak direct part, much more sky.
            if let Some(sun) = suns.first() {
                let mut lit = atmospheric(sun);
                lit.irradiance *= 0.18;
                key = Some(lit);
            }
            ambient_scale = 4.0;
        }
        SkyKind::Night => {
            let (z, h, hs) = palette(-18.0);
            sky = SkyLook {
                kind: 0.0,
                zenith: z * tint,
                horizon: h * tint,
                horizon_sun: hs * tint,
                ground: h * 0.25,
                sun_glow: 0.0,
                stars: if env.stars { 1.0 } else { 0.0 },
                sun_disc: None,
                sun_dir: sun_sky,
                moon: None,
                model: None,
                reflected: [Vec3::ZERO; 3],
            };
            // A sun above the horizon in a night sky is the script's
            // moonlight: draw the moon where it shines from.
            let moon_here = suns
                .first()
                .filter(|s| elev_of(s) > 0.0)
                .map(|s| dir_of(s))
                .unwrap_or(moon_dir);
            if env.moon {
                sky.moon = Some((moon_here, 1.2));
            }
            match suns.first() {
                Some(sun) if elev_of(sun) > 0.0 => {
                    key = Some(DirLight {
                        to_light: dir_of(sun),
                        irradiance: sun_color(sun),
                        shadows: sun.shadows,
                    });
                }
                _ if env.moon => key = Some(moon_light(1.0, true)),
                _ => {}
            }
            night_floor = 1.0;
        }
        SkyKind::Underwater => {
            let level = 0.08 + 0.92 * smoothstep(-8.0, 20.0, elevation);
            let water = Vec3::new(0.03, 0.2, 0.3) * level * tint;
            sky = SkyLook {
                kind: 2.0,
                zenith: water * 0.9,
                horizon: water * 0.3,
                horizon_sun: water * 0.4,
                ground: water * 0.08,
                sun_glow: 0.0,
                stars: 0.0,
                sun_disc: None,
                sun_dir: sun_sky,
                moon: None,
                model: None,
                reflected: [Vec3::ZERO; 3],
            };
            if let Some(sun) = suns.first() {
                let mut lit = atmospheric(sun);
                lit.irradiance *= Vec3::new(0.45, 0.8, 0.85);
                key = Some(lit);
            }
            default_fog = Some((0.07, water * 0.5));
        }
        SkyKind::Color => {
            let c = env.sky_color.max(Vec3::ZERO);
            sky = SkyLook {
                kind: 1.0,
                zenith: c,
                horizon: c,
                horizon_sun: c,
                ground: c * 0.3,
                sun_glow: 0.0,
                stars: 0.0,
                sun_disc: None,
                sun_dir: sun_sky,
                moon: None,
                model: None,
                reflected: [Vec3::ZERO; 3],
            };
            if let Some(sun) = suns.first() {
                key = Some(DirLight {
                    to_light: dir_of(sun),
                    irradiance: sun_color(sun),
                    shadows: sun.shadows,
                });
            }
        }
    }
    // Further suns light without shadows, in the fill slot when it is free
    // (only two directional lights are drawn).
    if fill.is_none()
        && let Some(second) = suns.get(1)
    {
        fill = Some(DirLight {
            shadows: false,
            ..atmospheric(second)
        });
    }

    // The sky as drawn, measured once for the ground below the horizon,
    // reflections and ambient light.
    let (seen_zenith, seen_horizon) = (sky.seen_zenith(), sky.seen_horizon());
    sky.reflected = if sky.model.is_some() {
        sky.ground = seen_horizon * 0.25 + Vec3::splat(0.01);
        // Towards the sun but off its glow, which a broad fit would smear.
        let s = Vec3::new(sky.sun_dir.x, 0.0, sky.sun_dir.z).normalize_or(Vec3::X);
        let beside = Vec3::new(s.x * 0.7 - s.z * 0.7, 0.05, s.z * 0.7 + s.x * 0.7);
        [seen_zenith, seen_horizon, sky.seen(beside)]
    } else {
        [sky.zenith, sky.horizon, sky.horizon_sun]
    };
    let ambient = env.ambient.max(0.0);
    let sky_avg = seen_zenith * 0.55 + seen_horizon * 0.45;
    // Light from the sky is bluish, but a camera's white balance makes it
    // look less so: keep half its tint.
    let sky_lum = luminance(sky_avg).max(1e-5);
    let sky_light = Vec3::ONE.lerp(sky_avg / sky_lum, 0.5) * sky_lum;
    // At night the palette alone would leave shadows pitch black; a floor
    // keeps moonlit scenes readable.
    let floor = Vec3::new(0.035, 0.05, 0.1) * night_floor;
    let ambient_up = (sky_light * ambient_scale).max(floor) * ambient;
    let key_irr = key.map(|k| k.irradiance).unwrap_or(Vec3::ZERO);
    let key_up = key.map(|k| k.to_light.y.max(0.0)).unwrap_or(0.0);
    let ambient_down = (sky_light * 0.6 + key_irr * key_up * 0.08).max(floor * 0.4) * ambient * 0.9;

    // Fog takes on the scene's light level, so night fog is not a glowing
    // grey wall.
    let light_level =
        (luminance(ambient_up) * 1.8 + luminance(key_irr) * key_up * 0.25 + 0.02).clamp(0.03, 1.6);
    let (mut density, mut fog_color) = (env.fog_density.max(0.0), env.fog_color.max(Vec3::ZERO));
    if let Some((d, c)) = default_fog
        && density <= 0.0
    {
        density = d;
        fog_color = c / light_level.max(1e-3);
    }
    let fog_height = if env.fog_height.is_finite() {
        env.fog_height
    } else {
        1.0e4
    };
    let fog = [
        if density.is_finite() { density } else { 0.0 },
        fog_height,
        (2.0 + 0.25 * fog_height.abs()).min(200.0),
        250.0,
    ];

    Lighting {
        key,
        fill,
        sky,
        ambient_up,
        ambient_down,
        fog,
        fog_color: fog_color * light_level,
        fog_scatter: if env.sky == SkyKind::Underwater {
            0.3
        } else {
            1.0
        },
        points: point_lights(lights, camera),
        exposure: libm::exp2f(env.exposure.clamp(-20.0, 20.0)),
    }
}

/// The point and spot lights that matter most at the camera, at most
/// [`MAX_POINT_LIGHTS`].
fn point_lights(lights: &[Light], camera: Vec3) -> Vec<PointLightRaw> {
    let mut scored: Vec<(f32, usize, PointLightRaw)> = lights
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let color = l.color.max(Vec3::ZERO) * l.intensity.max(0.0);
            let raw = match l.kind {
                LightKind::Point { position, range } => PointLightRaw {
                    position_range: v4(position, range.max(0.01)),
                    color_spot: v4(color, 0.0),
                    direction_cos_outer: [0.0, -1.0, 0.0, -1.0],
                    cone: [-1.0, 0.0, 0.0, 0.0],
                },
                LightKind::Spot {
                    position,
                    target,
                    angle,
                    softness,
                    range,
                } => {
                    let dir = (target - position).normalize_or(Vec3::NEG_Y);
                    let outer = angle.clamp(0.1, 89.9).to_radians();
                    let inner = outer * (1.0 - softness.clamp(0.0, 1.0));
                    let (cos_o, cos_i) = (libm::cosf(outer), libm::cosf(inner));
                    PointLightRaw {
                        position_range: v4(position, range.max(0.01)),
                        color_spot: v4(color, 1.0),
                        direction_cos_outer: v4(dir, cos_o),
                        // Keep the smoothstep edges apart when softness is 0.
                        cone: [cos_i.max(cos_o + 1e-4), 0.0, 0.0, 0.0],
                    }
                }
                LightKind::Sun { .. } => return None,
            };
            let finite = raw
                .position_range
                .iter()
                .chain(&raw.color_spot)
                .chain(&raw.direction_cos_outer)
                .all(|v| v.is_finite());
            if !finite || luminance(color) <= 0.0 {
                return None;
            }
            let p = Vec3::from_slice(&raw.position_range[..3]);
            let d = p.distance(camera);
            let reach = raw.position_range[3];
            let score = luminance(color) / (1.0 + (d - reach).max(0.0).powi(2));
            Some((score, i, raw))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored
        .into_iter()
        .take(MAX_POINT_LIGHTS)
        .map(|(_, _, r)| r)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::LightId;

    fn sun(elevation: f32) -> Light {
        Light {
            id: LightId(0),
            name: None,
            kind: LightKind::Sun {
                elevation,
                azimuth: 135.0,
            },
            color: Vec3::ONE,
            intensity: 3.0,
            shadows: true,
            time_of_day: None,
            max_elevation: 65.0,
        }
    }

    fn at(elevation: f32) -> Lighting {
        lighting(&Environment::default(), &[sun(elevation)], Vec3::ZERO)
    }

    #[test]
    fn day_is_brighter_than_dusk_is_brighter_than_night() {
        let lum = |l: &Lighting| luminance(l.sky.seen_zenith()) + luminance(l.ambient_up);
        let (day, dusk, night) = (at(50.0), at(-4.0), at(-30.0));
        let (d, k, n) = (lum(&day), lum(&dusk), lum(&night));
        // Dusk is kept bright enough to read a scene by (a real sky is far
        // darker), but clearly dimmer than day.
        assert!(d > k * 1.5, "day {d} dusk {k} night {n}");
        assert!(k > n * 2.0, "day {d} dusk {k} night {n}");
        assert!(night.sky.stars > 0.9 && day.sky.stars == 0.0);
        assert!(night.sky.moon.is_some() && day.sky.moon.is_none());
    }

    #[test]
    fn sunrise_horizon_is_warm_and_noon_sky_is_blue() {
        let (_, _, hs) = palette(2.0);
        assert!(hs.x > hs.z * 2.0, "{hs:?}");
        let (z, _, _) = palette(60.0);
        assert!(z.z > z.x * 3.0, "{z:?}");
    }

    #[test]
    fn the_day_sky_is_the_physical_one_and_night_the_palette() {
        let day = at(40.0);
        let model = day.sky.model.as_ref().expect("a physical sky by day");
        assert_eq!(model.gradient, 0.0);
        assert_eq!(day.sky.sun_glow, 0.0, "the model draws its own glow");
        // Towards the sun the sky is brighter than away from it (Mie).
        let sun = day.sky.sun_dir;
        let towards = day.sky.seen(Vec3::new(sun.x, 0.3, sun.z));
        let away = day.sky.seen(Vec3::new(-sun.x, 0.3, -sun.z));
        assert!(
            luminance(towards) > luminance(away) * 1.3,
            "{towards} {away}"
        );
        assert!(at(-12.0).sky.model.is_none());
        // Through dusk the light fades without jumping back up.
        let ambient: Vec<f32> = [20.0, 6.0, 0.0, -3.0, -6.0, -10.0, -18.0]
            .iter()
            .map(|e| luminance(at(*e).ambient_up))
            .collect();
        assert!(
            ambient.windows(2).all(|w| w[1] < w[0] * 1.25),
            "ambient through dusk: {ambient:?}"
        );
        assert!(ambient[0] > ambient[6] * 8.0, "{ambient:?}");
    }

    #[test]
    fn sunlight_reddens_and_vanishes_below_the_horizon() {
        let high = sun_transmittance(60.0);
        let low = sun_transmittance(4.0);
        assert!(high.min_element() > 0.9);
        assert!(low.x > low.z * 1.5, "{low:?}");
        assert_eq!(sun_transmittance(-5.0), Vec3::ZERO);
    }

    #[test]
    fn at_night_the_moon_becomes_the_key_light() {
        let night = at(-30.0);
        let key = night.key.unwrap();
        assert!(key.to_light.y > 0.3 && key.shadows);
        assert!(luminance(key.irradiance) < 0.5);
        let day = at(50.0);
        assert!(luminance(day.key.unwrap().irradiance) > 2.0);
    }

    #[test]
    fn fog_and_exposure_come_from_the_environment() {
        let env = Environment {
            fog_density: 0.1,
            fog_height: 2.0,
            exposure: 1.0,
            ..Environment::default()
        };
        let l = lighting(&env, &[sun(40.0)], Vec3::ZERO);
        assert_eq!(l.fog[0], 0.1);
        assert_eq!(l.fog[1], 2.0);
        assert!((l.exposure - 2.0).abs() < 1e-6);
    }

    #[test]
    fn strongest_point_lights_are_kept() {
        let mut lights = Vec::new();
        for i in 0..12 {
            lights.push(Light {
                id: LightId(i),
                name: None,
                // All at the same distance from the camera, so that only
                // their strength decides.
                kind: LightKind::Point {
                    position: Vec3::new(
                        3.0 * libm::cosf(i as f32 * 0.5),
                        1.0,
                        3.0 * libm::sinf(i as f32 * 0.5),
                    ),
                    range: 5.0,
                },
                color: Vec3::ONE,
                intensity: 1.0 + i as f32,
                shadows: false,
                time_of_day: None,
                max_elevation: 65.0,
            });
        }
        let p = point_lights(&lights, Vec3::ZERO);
        assert_eq!(p.len(), MAX_POINT_LIGHTS);
        assert!(p.iter().all(|l| l.color_spot[0] >= 5.0), "weakest dropped");
    }
}
