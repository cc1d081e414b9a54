//! Lights, the camera, and the environment (sky, ambient light, fog).

use glam::Vec3;
use serde::Serialize;

use super::entity::EntityId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LightId(pub u32);

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LightKind {
    /// Directional light from the sky. Elevation 0 is the horizon, 90 the
    /// zenith; azimuth 0 is north (-Z), 90 east (+X).
    Sun {
        elevation: f32,
        azimuth: f32,
    },
    Point {
        position: Vec3,
        range: f32,
    },
    Spot {
        position: Vec3,
        target: Vec3,
        /// Half-angle of the cone, degrees.
        angle: f32,
        /// Fraction of the cone over which light fades at the rim.
        softness: f32,
        range: f32,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Light {
    pub id: LightId,
    pub name: Option<String>,
    pub kind: LightKind,
    /// Linear RGB.
    pub color: Vec3,
    /// Suns: illuminance scale (1 = bright day). Point and spot: watts-like
    /// scale where 1 lights a 1 m radius well.
    pub intensity: f32,
    pub shadows: bool,
    /// Hours 0..24 when the sun follows the time of day; drives elevation
    /// and azimuth through [`sun_angles_for_time`].
    pub time_of_day: Option<f32>,
    /// Noon elevation for `time_of_day`.
    pub max_elevation: f32,
}

impl Light {
    /// Direction light travels (from the light towards the scene) for suns.
    pub fn sun_direction(&self) -> Option<Vec3> {
        match self.kind {
            LightKind::Sun { elevation, azimuth } => {
                Some(-direction_from_angles(elevation, azimuth))
            }
            _ => None,
        }
    }
}

/// Unit vector pointing towards the sky at the given elevation and azimuth.
pub fn direction_from_angles(elevation_deg: f32, azimuth_deg: f32) -> Vec3 {
    let (e, a) = (elevation_deg.to_radians(), azimuth_deg.to_radians());
    Vec3::new(
        libm::cosf(e) * libm::sinf(a),
        libm::sinf(e),
        -libm::cosf(e) * libm::cosf(a),
    )
}

/// Sun elevation and azimuth for an hour of the day: rises in the east at 6,
/// peaks at `max_elevation` at noon, sets in the west at 18, and is below the
/// horizon at night (which lets the sky turn to night).
pub fn sun_angles_for_time(hours: f32, max_elevation: f32) -> (f32, f32) {
    let h = hours.rem_euclid(24.0);
    let phase = (h - 6.0) / 12.0 * std::f32::consts::PI;
    let elevation = max_elevation * libm::sinf(phase);
    let azimuth = 90.0 + 180.0 * (h - 6.0) / 12.0;
    (elevation, azimuth.rem_euclid(360.0))
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CameraTarget {
    Point { at: Vec3 },
    Entity { id: EntityId },
}

#[derive(Debug, Clone, Serialize)]
pub struct Camera {
    pub position: Vec3,
    pub target: CameraTarget,
    /// Vertical field of view, degrees.
    pub fov: f32,
    /// Whether a script set the camera (an unset one is placed automatically).
    pub explicit: bool,
}

impl Default for Camera {
    fn default() -> Self {
        Self {
            position: Vec3::new(6.0, 4.0, 8.0),
            target: CameraTarget::Point { at: Vec3::ZERO },
            fov: 50.0,
            explicit: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkyKind {
    /// Follows the sun's elevation: night, dawn, day, golden hour, dusk.
    Auto,
    Clear,
    Overcast,
    Night,
    Underwater,
    /// A flat colour, for studio-style scenes.
    Color,
}

pub const SKY_KINDS: &[&str] = &["auto", "clear", "overcast", "night", "underwater", "color"];

#[derive(Debug, Clone, Serialize)]
pub struct Environment {
    pub sky: SkyKind,
    /// Linear RGB; used by `SkyKind::Color` and tints the others.
    pub sky_color: Vec3,
    /// Scale of light from the sky hemisphere on all surfaces.
    pub ambient: f32,
    /// Exponential fog density per metre (0 = none).
    pub fog_density: f32,
    pub fog_color: Vec3,
    /// Fog thins with height above this level (mist hugs the ground).
    pub fog_height: f32,
    pub stars: bool,
    pub moon: bool,
    /// Exposure in stops; the renderer's tone mapping reads it.
    pub exposure: f32,
}

impl Default for Environment {
    fn default() -> Self {
        Self {
            sky: SkyKind::Auto,
            sky_color: Vec3::new(0.4, 0.6, 0.9),
            ambient: 0.35,
            fog_density: 0.0,
            fog_color: Vec3::new(0.7, 0.75, 0.8),
            fog_height: 1.0e4,
            stars: true,
            moon: true,
            exposure: 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sun_path_over_a_day() {
        let (e6, a6) = sun_angles_for_time(6.0, 70.0);
        assert!(e6.abs() < 1e-3 && (a6 - 90.0).abs() < 1e-3);
        let (e12, a12) = sun_angles_for_time(12.0, 70.0);
        assert!((e12 - 70.0).abs() < 1e-3 && (a12 - 180.0).abs() < 1e-3);
        let (e0, _) = sun_angles_for_time(0.0, 70.0);
        assert!(e0 < -60.0);
        let up = direction_from_angles(90.0, 0.0);
        assert!((up - Vec3::Y).length() < 1e-5);
        let east = direction_from_angles(0.0, 90.0);
        assert!((east - Vec3::X).length() < 1e-5);
    }
}
