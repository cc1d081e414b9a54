//! Particle instances: one per live particle in front of the camera, with
//! its look decided by its emitter's style, sorted far to near so alpha
//! blending composes correctly.

use bytemuck::{Pod, Zeroable};
use glam::Vec3;

use super::camera::CameraRig;
use crate::sim::ParticleView;
use crate::world::World;
use crate::world::particles::ParticleStyle;

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct ParticleRaw {
    pub pos_size: [f32; 4],
    pub color: [f32; 4],
    pub vel_style: [f32; 4],
    pub axis_angle: [f32; 4],
}

/// Shader codes for how a particle is drawn (see shaders/particles.wgsl).
pub mod look {
    pub const DOT: f32 = 0.0;
    pub const STREAK: f32 = 1.0;
    pub const LEAF: f32 = 2.0;
    pub const GLOW: f32 = 3.0;
    pub const GLOW_STREAK: f32 = 4.0;
    pub const PUFF: f32 = 5.0;
    pub const BUBBLE: f32 = 6.0;
}

pub fn look_of(style: ParticleStyle) -> f32 {
    match style {
        ParticleStyle::Dot | ParticleStyle::Snow | ParticleStyle::Dust => look::DOT,
        ParticleStyle::Rain => look::STREAK,
        ParticleStyle::Leaf => look::LEAF,
        ParticleStyle::Ember => look::GLOW,
        ParticleStyle::Spark => look::GLOW_STREAK,
        ParticleStyle::Steam => look::PUFF,
        ParticleStyle::Bubble => look::BUBBLE,
    }
}

pub fn plan(world: &World, view: &ParticleView, cam: &CameraRig, out: &mut Vec<ParticleRaw>) {
    out.clear();
    let n = view
        .positions
        .len()
        .min(view.sizes.len())
        .min(view.colors.len())
        .min(view.emitters.len());
    let mut keyed: Vec<(f32, u32)> = Vec::with_capacity(n);
    for i in 0..n {
        let p = view.positions[i];
        let size = view.sizes[i];
        let c = view.colors[i];
        // NaN sizes and alphas fail these comparisons too, and are skipped.
        let drawable = p.is_finite() && size.is_finite() && size > 0.0 && c[3] > 0.0;
        if !drawable {
            continue;
        }
        let depth = (p - cam.position).dot(cam.forward);
        if depth < cam.near - size {
            continue;
        }
        keyed.push((depth, i as u32));
    }
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    out.reserve(keyed.len());
    for (_, i) in keyed {
        let i = i as usize;
        let Some(emitter) = world.emitters.get(view.emitters[i] as usize) else {
            continue;
        };
        let look = look_of(emitter.style);
        let c = view.colors[i];
        let mut rgb = Vec3::new(c[0], c[1], c[2]).max(Vec3::ZERO);
        if !rgb.is_finite() {
            continue;
        }
        if emitter.style.additive() {
            // Glowing styles: colour times the emitter's glow strength.
            rgb *= emitter.emissive.max(1.0);
        }
        let vel = view
            .velocities
            .get(i)
            .copied()
            .filter(|v| v.is_finite())
            .unwrap_or(Vec3::ZERO);
        let axis = view
            .axes
            .get(i)
            .copied()
            .and_then(|a| a.try_normalize())
            .unwrap_or(Vec3::Y);
        let angle = view
            .angles
            .get(i)
            .copied()
            .filter(|a| a.is_finite())
            .unwrap_or(0.0);
        let p = view.positions[i];
        out.push(ParticleRaw {
            pos_size: [p.x, p.y, p.z, view.sizes[i]],
            color: [rgb.x, rgb.y, rgb.z, c[3].clamp(0.0, 1.0)],
            vel_style: [vel.x, vel.y, vel.z, look],
            axis_angle: [axis.x, axis.y, axis.z, angle],
        });
    }
}
