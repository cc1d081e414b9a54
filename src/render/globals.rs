//! The per-frame uniform block shared by all scene shaders. Field order and
//! sizes match `Globals` in shaders/common.wgsl (every field is 16-byte
//! aligned, so the std140 layout has no hidden padding).

use bytemuck::{Pod, Zeroable};

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
    pub lights: [PointLightRaw; MAX_POINT_LIGHTS],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_the_shader() {
        // 3 matrices, 22 vec4s, 8 lights of 4 vec4s.
        assert_eq!(std::mem::size_of::<Globals>(), 3 * 64 + 22 * 16 + 8 * 64);
    }
}
