//! The camera as matrices: view, reversed-depth infinite projection, and
//! the frustum for culling and shadow fitting.

use glam::{Mat4, Vec3, Vec4};

use super::bounds::Aabb;
use crate::sim::CameraView;

#[derive(Debug, Clone, Copy)]
pub struct CameraRig {
    pub position: Vec3,
    pub forward: Vec3,
    pub right: Vec3,
    pub up: Vec3,
    /// tan of half the vertical field of view.
    pub tan_half_y: f32,
    pub aspect: f32,
    pub near: f32,
    pub view: Mat4,
    pub proj: Mat4,
    pub view_proj: Mat4,
    /// Radians per pixel, vertically.
    pub pixel_angle: f32,
}

impl CameraRig {
    /// Builds a usable camera from any input: a non-finite position, a
    /// target on top of the position, or an extreme field of view fall
    /// back to sane values rather than failing.
    pub fn new(view: &CameraView, width: u32, height: u32) -> CameraRig {
        let position = if view.position.is_finite() {
            view.position
        } else {
            Vec3::new(6.0, 4.0, 8.0)
        };
        let forward = (view.target - position)
            .try_normalize()
            .filter(|f| f.is_finite())
            .unwrap_or(Vec3::NEG_Z);
        // Looking straight up or down: use +Z or -Z as "up" on screen.
        let world_up = if forward.y.abs() > 0.999 {
            Vec3::new(0.0, 0.0, -forward.y.signum())
        } else {
            Vec3::Y
        };
        let right = forward.cross(world_up).normalize();
        let up = right.cross(forward);
        let fov = if view.fov.is_finite() {
            view.fov.clamp(1.0, 170.0)
        } else {
            50.0
        };
        let fov_y = fov.to_radians();
        let aspect = width.max(1) as f32 / height.max(1) as f32;
        let dist = view.target.distance(position);
        let near = if dist.is_finite() {
            (dist * 0.01).clamp(0.01, 0.1)
        } else {
            0.05
        };
        let view_m = glam::camera::rh::view::look_to_mat4(position, forward, up);
        let proj =
            glam::camera::rh::proj::directx::perspective_infinite_reverse(fov_y, aspect, near);
        CameraRig {
            position,
            forward,
            right,
            up,
            tan_half_y: libm::tanf(fov_y * 0.5),
            aspect,
            near,
            view: view_m,
            proj,
            view_proj: proj * view_m,
            pixel_angle: fov_y / height.max(1) as f32,
        }
    }

    /// The four corners of the view at distance `d` along the forward axis.
    pub fn slice(&self, d: f32) -> [Vec3; 4] {
        let c = self.position + self.forward * d;
        let y = self.up * (d * self.tan_half_y);
        let x = self.right * (d * self.tan_half_y * self.aspect);
        [c - x - y, c + x - y, c + x + y, c - x + y]
    }

    /// Inward-facing planes (xyz normal, w offset) of the frustum, without
    /// a far plane.
    pub fn planes(&self) -> [Vec4; 5] {
        let m = self.view_proj;
        let (r0, r1, r2, r3) = (m.row(0), m.row(1), m.row(2), m.row(3));
        let norm = |p: Vec4| p / p.truncate().length().max(1e-12);
        // Reversed depth: z/w in (0, 1], with 1 at the near plane.
        [
            norm(r3 + r0),
            norm(r3 - r0),
            norm(r3 + r1),
            norm(r3 - r1),
            norm(r3 - r2),
        ]
    }
}

/// Whether a box may be visible through a set of inward planes.
pub fn box_in_planes(planes: &[Vec4], b: &Aabb) -> bool {
    let c = b.centre();
    let e = b.half();
    planes.iter().all(|p| {
        let n = p.truncate();
        let r = e.dot(n.abs());
        n.dot(c) + p.w >= -r
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rig() -> CameraRig {
        CameraRig::new(
            &CameraView {
                position: Vec3::new(0.0, 0.0, 10.0),
                target: Vec3::ZERO,
                fov: 60.0,
            },
            160,
            90,
        )
    }

    #[test]
    fn target_projects_to_the_centre_with_reversed_depth() {
        let r = rig();
        let p = r.view_proj.project_point3(Vec3::ZERO);
        assert!(p.x.abs() < 1e-5 && p.y.abs() < 1e-5);
        // Reversed infinite depth: z = near / distance.
        assert!((p.z - r.near / 10.0).abs() < 1e-6, "{p:?}");
        let near = r
            .view_proj
            .project_point3(Vec3::new(0.0, 0.0, 10.0 - r.near));
        assert!((near.z - 1.0).abs() < 1e-4);
    }

    #[test]
    fn culling_keeps_what_is_in_front_and_drops_what_is_behind() {
        let r = rig();
        let planes = r.planes();
        let front = Aabb::new(Vec3::splat(-1.0), Vec3::splat(1.0));
        let behind = Aabb::new(Vec3::new(-1.0, -1.0, 20.0), Vec3::new(1.0, 1.0, 22.0));
        let aside = Aabb::new(Vec3::new(50.0, -1.0, -1.0), Vec3::new(52.0, 1.0, 1.0));
        assert!(box_in_planes(&planes, &front));
        assert!(!box_in_planes(&planes, &behind));
        assert!(!box_in_planes(&planes, &aside));
    }

    #[test]
    fn degenerate_cameras_still_give_finite_matrices() {
        for (pos, target, fov) in [
            (Vec3::ZERO, Vec3::ZERO, 50.0),
            (Vec3::new(0.0, 10.0, 0.0), Vec3::ZERO, 50.0),
            (Vec3::splat(f32::NAN), Vec3::ZERO, f32::NAN),
            (Vec3::ONE, Vec3::ZERO, 1000.0),
        ] {
            let r = CameraRig::new(
                &CameraView {
                    position: pos,
                    target,
                    fov,
                },
                64,
                64,
            );
            assert!(r.view_proj.is_finite(), "{pos:?} {target:?}");
        }
    }
}
