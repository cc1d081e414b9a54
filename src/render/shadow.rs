//! Fitting the sun's shadow map to what the camera sees.
//!
//! One orthographic map covers the part of the camera's view that holds
//! objects: the view frustum cut at the distance of the farthest object
//! (ground planes and terrain excluded, so a 1 km ground does not spread
//! the map thin), clipped to the scene's bounds. Its depth range spans the
//! whole scene, so casters outside the view still cast into it.
//!
//! To keep shadows from shimmering as the camera moves, the map's size is
//! rounded up to steps of 2^(1/4) and its centre is snapped to whole
//! texels in light space.

use glam::{Mat4, Vec3};

use super::bounds::Aabb;
use super::camera::CameraRig;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShadowFit {
    pub view_proj: Mat4,
    /// Size of one shadow-map texel in world units.
    pub texel_world: f32,
}

/// Farthest distance the shadow map will reach from the camera.
const MAX_SHADOW_DISTANCE: f32 = 400.0;

/// `to_light`: unit vector towards the light. `scene`: bounds of every
/// drawn entity. `focus`: bounds of the entities other than ground.
pub fn fit(
    cam: &CameraRig,
    to_light: Vec3,
    scene: Aabb,
    focus: Option<Aabb>,
    resolution: u32,
) -> Option<ShadowFit> {
    if !scene.is_finite() || !to_light.is_finite() || to_light.length_squared() < 0.5 {
        return None;
    }
    let focus = focus.filter(|f| f.is_finite()).unwrap_or(scene);
    let far = focus
        .corners()
        .iter()
        .map(|c| (*c - cam.position).dot(cam.forward))
        .fold(0.0f32, f32::max)
        .clamp(cam.near * 4.0, MAX_SHADOW_DISTANCE);
    let near_slice = cam.slice(cam.near);
    let far_slice = cam.slice(far);
    let view_region = Aabb::from_points(near_slice.into_iter().chain(far_slice))?;
    // Slightly grown so shadows do not stop exactly at an object's edge.
    let region = view_region.intersect(scene.grow(Vec3::splat(0.5)))?;

    let up = if to_light.y.abs() > 0.99 {
        Vec3::Z
    } else {
        Vec3::Y
    };
    // Look along the light's travel direction.
    let light_view = glam::camera::rh::view::look_to_mat4(Vec3::ZERO, -to_light, up);
    let in_light =
        |b: &Aabb| Aabb::from_points(b.corners().map(|c| light_view.transform_point3(c)));
    let r = in_light(&region)?;
    let s = in_light(&scene)?;

    let res = resolution.max(16) as f32;
    let raw = (r.max.x - r.min.x).max(r.max.y - r.min.y).max(1e-3) * 1.02;
    let size = libm::exp2f((libm::log2f(raw) * 4.0).ceil() / 4.0);
    let texel = size / res;
    let cx = (((r.min.x + r.max.x) * 0.5) / texel).round() * texel;
    let cy = (((r.min.y + r.max.y) * 0.5) / texel).round() * texel;
    let h = size * 0.5;
    // Right-handed view space looks down -z: near is the largest z.
    let margin = 1.0 + 0.01 * (s.max.z - s.min.z);
    let near = -(s.max.z + margin);
    let far = -(s.min.z - margin);
    let proj =
        glam::camera::rh::proj::directx::orthographic(cx - h, cx + h, cy - h, cy + h, near, far);
    let view_proj = proj * light_view;
    view_proj.is_finite().then_some(ShadowFit {
        view_proj,
        texel_world: texel,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::CameraView;

    fn cam(pos: Vec3) -> CameraRig {
        CameraRig::new(
            &CameraView {
                position: pos,
                target: Vec3::ZERO,
                fov: 50.0,
            },
            640,
            360,
        )
    }

    fn in_map(fit: &ShadowFit, p: Vec3) -> bool {
        let q = fit.view_proj.project_point3(p);
        q.x.abs() <= 1.0 && q.y.abs() <= 1.0 && (0.0..=1.0).contains(&q.z)
    }

    #[test]
    fn covers_the_visible_objects_and_ignores_far_ground() {
        let ground = Aabb::new(
            Vec3::new(-500.0, -0.1, -500.0),
            Vec3::new(500.0, 0.0, 500.0),
        );
        let objects = Aabb::new(Vec3::new(-2.0, 0.0, -2.0), Vec3::new(2.0, 3.0, 2.0));
        let scene = ground.union(objects);
        let light = Vec3::new(0.3, 0.8, 0.2).normalize();
        let fit = fit(
            &cam(Vec3::new(8.0, 5.0, 8.0)),
            light,
            scene,
            Some(objects),
            2048,
        )
        .unwrap();
        for c in objects.corners() {
            assert!(in_map(&fit, c), "{c:?}");
        }
        // A texel stays small: the ground's 1 km did not stretch the map.
        assert!(fit.texel_world < 0.02, "{}", fit.texel_world);
    }

    #[test]
    fn casters_towards_the_light_fit_in_the_depth_range() {
        let scene = Aabb::new(Vec3::new(-5.0, 0.0, -5.0), Vec3::new(5.0, 40.0, 5.0));
        let focus = Aabb::new(Vec3::new(-1.0, 0.0, -1.0), Vec3::new(1.0, 1.0, 1.0));
        let fit = fit(
            &cam(Vec3::new(3.0, 2.0, 3.0)),
            Vec3::Y,
            scene,
            Some(focus),
            1024,
        )
        .unwrap();
        let top = fit.view_proj.project_point3(Vec3::new(0.0, 40.0, 0.0));
        assert!((0.0..=1.0).contains(&top.z), "{top:?}");
    }

    #[test]
    fn small_camera_moves_keep_the_map_on_the_same_texel_grid() {
        let scene = Aabb::new(Vec3::new(-20.0, 0.0, -20.0), Vec3::new(20.0, 4.0, 20.0));
        let light = Vec3::new(0.2, 0.9, 0.4).normalize();
        let a = fit(&cam(Vec3::new(10.0, 6.0, 10.0)), light, scene, None, 2048).unwrap();
        let b = fit(&cam(Vec3::new(10.02, 6.0, 10.0)), light, scene, None, 2048).unwrap();
        assert_eq!(a.texel_world, b.texel_world);
        // A fixed world point lands on the same sub-texel position.
        let p = Vec3::new(1.234, 0.5, -2.1);
        let (pa, pb) = (a.view_proj.project_point3(p), b.view_proj.project_point3(p));
        let texels = |v: f32| v * 0.5 * 2048.0;
        let frac = |v: f32| texels(v) - texels(v).floor();
        assert!((frac(pa.x) - frac(pb.x)).abs() < 1e-2, "{pa:?} {pb:?}");
        assert!((frac(pa.y) - frac(pb.y)).abs() < 1e-2, "{pa:?} {pb:?}");
    }

    #[test]
    fn nothing_to_shadow_gives_none() {
        let scene = Aabb::new(Vec3::splat(f32::NAN), Vec3::ONE);
        assert!(fit(&cam(Vec3::ONE * 5.0), Vec3::Y, scene, None, 1024).is_none());
    }
}
