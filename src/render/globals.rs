//! The per-frame uniform block shared by all scene shaders. Field order and
//! sizes match `Globals` in shaders/common.wgsl (every field is 16-byte
//! aligned, so the std140 layout has no hidden padding), and [`build`],
//! which fills it from a frame, the camera, the lighting and the shadow fit.

use bytemuck::{Pod, Zeroable};
use glam::{Mat4, Vec3};

use super::atmosphere::{MIE_G, MULTIPLE_SCATTERING, SKY_COLS, SKY_ROWS};
use super::camera::CameraRig;
use super::lighting::{Lighting, SUN_DISC_RADIUS_DEG};
use super::options::RenderOptions;
use super::shadow::ShadowFit;
use crate::sim::{Frame, WIND_SAMPLES};

/// Point and spot lights drawn per frame; more are dropped, weakest first.
pub const MAX_POINT_LIGHTS: usize = 8;

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Pod, Zeroable)]
pub struct PointLightRaw {
    pub position_range: [f32; 4],
    pub color_spot: [f32; 4],
    pub direction_cos_outer: [f32; 4],
    pub cone: [f32; 4],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct Globals {
    pub view_proj: [[f32; 4]; 4],
    pub inv_view_proj: [[f32; 4]; 4],
    pub light_view_proj: [[f32; 4]; 4],
    pub camera_pos: [f32; 4],
    pub camera_right: [f32; 4],
    pub camera_up: [f32; 4],
    pub camera_forward: [f32; 4],
    pub viewport: [f32; 4],
    pub key_dir: [f32; 4],
    pub key_color: [f32; 4],
    pub fill_dir: [f32; 4],
    pub fill_color: [f32; 4],
    pub sky_zenith: [f32; 4],
    pub sky_horizon: [f32; 4],
    pub sky_horizon_sun: [f32; 4],
    pub sky_ground: [f32; 4],
    pub sun_disc: [f32; 4],
    pub sun_sky_dir: [f32; 4],
    pub moon_dir: [f32; 4],
    pub ambient_up: [f32; 4],
    pub ambient_down: [f32; 4],
    pub fog: [f32; 4],
    pub fog_color: [f32; 4],
    pub counts: [f32; 4],
    pub wind: [f32; 4],
    pub wind_origin: [f32; 4],
    pub wind_axis: [f32; 4],
    pub wind_samples: [[f32; 4]; WIND_SAMPLES],
    pub lights: [PointLightRaw; MAX_POINT_LIGHTS],
    /// The sky as reflections see it: zenith, horizon, horizon towards
    /// the sun (see `SkyLook::reflected`).
    pub sky_reflected: [[f32; 4]; 3],
    /// x 1 when the physical sky is drawn, y weight of the gradient sky
    /// beside it, z Mie asymmetry, w multiple-scattering share.
    pub sky_model: [f32; 4],
    /// Rayleigh columns of rows, then Mie's (see `atmosphere`).
    pub sky_table: [[f32; 4]; 2 * SKY_ROWS * SKY_COLS],
}

/// The small uniform of the tone-mapping pass.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct PostRaw {
    pub params: [f32; 4],
}

pub fn v4(v: glam::Vec3, w: f32) -> [f32; 4] {
    [v.x, v.y, v.z, w]
}

/// The uniform block for one frame seen through `cam`.
pub fn build(
    frame: &Frame,
    cam: &CameraRig,
    light: &Lighting,
    fit: Option<&ShadowFit>,
    opts: &RenderOptions,
) -> Globals {
    let t = if frame.time.is_finite() {
        frame.time as f32
    } else {
        0.0
    };
    let (key_dir, key_color) = match light.key {
        Some(k) => (
            v4(k.to_light, if fit.is_some() { 1.0 } else { 0.0 }),
            v4(k.irradiance, fit.map_or(0.0, |f| f.texel_world)),
        ),
        None => ([0.0, 1.0, 0.0, 0.0], [0.0; 4]),
    };
    let (fill_dir, fill_color) = match light.fill {
        Some(k) => (v4(k.to_light, 0.0), v4(k.irradiance, 0.0)),
        None => ([0.0, 1.0, 0.0, 0.0], [0.0; 4]),
    };
    let sky = &light.sky;
    let (sun_dir, sun_disc, sun_on) = match sky.sun_disc {
        Some((d, c)) => (d, c, 1.0),
        None => (sky.sun_dir, Vec3::ZERO, 0.0),
    };
    let disc_cos = libm::cosf(SUN_DISC_RADIUS_DEG.to_radians());
    let (moon_dir, moon) = sky.moon.unwrap_or((Vec3::Y, 0.0));
    let mut lights = [PointLightRaw::default(); MAX_POINT_LIGHTS];
    for (dst, src) in lights.iter_mut().zip(&light.points) {
        *dst = *src;
    }
    let wind = if frame.wind.is_finite() {
        frame.wind
    } else {
        Vec3::ZERO
    };
    let line = &frame.wind_line;
    let shadow_size = opts.quality.shadow_size() as f32;
    let inv = cam.view_proj.inverse();
    Globals {
        view_proj: cam.view_proj.to_cols_array_2d(),
        inv_view_proj: if inv.is_finite() { inv } else { Mat4::IDENTITY }.to_cols_array_2d(),
        light_view_proj: fit
            .map_or(Mat4::IDENTITY, |f| f.view_proj)
            .to_cols_array_2d(),
        camera_pos: v4(cam.position, t),
        camera_right: v4(cam.right, 0.0),
        camera_up: v4(cam.up, 0.0),
        camera_forward: v4(cam.forward, cam.pixel_angle),
        viewport: [
            opts.width as f32,
            opts.height as f32,
            1.0 / opts.width as f32,
            1.0 / opts.height as f32,
        ],
        key_dir,
        key_color,
        fill_dir,
        fill_color,
        sky_zenith: v4(sky.zenith, sky.kind),
        sky_horizon: v4(sky.horizon, sky.stars),
        sky_horizon_sun: v4(sky.horizon_sun, sky.sun_glow),
        sky_ground: v4(sky.ground, 0.0),
        sun_disc: v4(sun_disc, disc_cos),
        sun_sky_dir: v4(sun_dir, sun_on),
        moon_dir: v4(moon_dir, moon),
        ambient_up: v4(light.ambient_up, 0.0),
        ambient_down: v4(light.ambient_down, 0.0),
        fog: light.fog,
        fog_color: v4(light.fog_color, light.fog_scatter),
        counts: [
            opts.quality.shadow_taps() as f32,
            1.0 / shadow_size,
            light.points.len() as f32,
            opts.quality.occlusion_taps() as f32,
        ],
        wind: v4(wind, t),
        wind_origin: v4(line.origin, 0.0),
        wind_axis: v4(line.axis, line.spacing),
        wind_samples: line.samples.map(|v| v4(v, 0.0)),
        lights,
        sky_reflected: sky.reflected.map(|c| v4(c, 0.0)),
        sky_model: match &sky.model {
            Some(m) => [1.0, m.gradient, MIE_G, MULTIPLE_SCATTERING],
            None => [0.0, 1.0, MIE_G, MULTIPLE_SCATTERING],
        },
        sky_table: {
            let mut rows = [[0.0; 4]; 2 * SKY_ROWS * SKY_COLS];
            if let Some(m) = &sky.model {
                let half = SKY_ROWS * SKY_COLS;
                for c in 0..SKY_COLS {
                    for r in 0..SKY_ROWS {
                        rows[c * SKY_ROWS + r] = v4(m.table.rayleigh[c][r], 0.0);
                        rows[half + c * SKY_ROWS + r] = v4(m.table.mie[c][r], 0.0);
                    }
                }
            }
            rows
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_the_shader() {
        // 3 matrices, 24 vec4s, the wind samples, 8 lights of 4 vec4s,
        // the reflected sky, the sky model and its table.
        assert_eq!(
            std::mem::size_of::<Globals>(),
            3 * 64
                + 24 * 16
                + WIND_SAMPLES * 16
                + 8 * 64
                + 3 * 16
                + 16
                + 2 * SKY_ROWS * SKY_COLS * 16
        );
        let shader = include_str!("shaders/common.wgsl");
        let table = 2 * SKY_ROWS * SKY_COLS;
        assert!(shader.contains(&format!("sky_table: array<vec4<f32>, {table}>")));
        assert!(shader.contains(&format!("const SKY_ROWS: u32 = {SKY_ROWS}u;")));
        assert!(shader.contains(&format!("const SKY_COLS: u32 = {SKY_COLS}u;")));
    }
}
