//! Axis-aligned boxes for culling and shadow fitting.

use glam::{Mat4, Vec3};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aabb {
    pub min: Vec3,
    pub max: Vec3,
}

impl Aabb {
    pub fn new(min: Vec3, max: Vec3) -> Aabb {
        Aabb { min, max }
    }

    pub fn from_points(points: impl IntoIterator<Item = Vec3>) -> Option<Aabb> {
        let mut it = points.into_iter();
        let first = it.next()?;
        Some(it.fold(Aabb::new(first, first), |b, p| b.with_point(p)))
    }

    pub fn with_point(self, p: Vec3) -> Aabb {
        Aabb::new(self.min.min(p), self.max.max(p))
    }

    pub fn union(self, o: Aabb) -> Aabb {
        Aabb::new(self.min.min(o.min), self.max.max(o.max))
    }

    pub fn intersect(self, o: Aabb) -> Option<Aabb> {
        let b = Aabb::new(self.min.max(o.min), self.max.min(o.max));
        (b.min.cmple(b.max).all()).then_some(b)
    }

    pub fn centre(&self) -> Vec3 {
        (self.min + self.max) * 0.5
    }

    pub fn half(&self) -> Vec3 {
        (self.max - self.min) * 0.5
    }

    pub fn grow(self, by: Vec3) -> Aabb {
        Aabb::new(self.min - by, self.max + by)
    }

    pub fn corners(&self) -> [Vec3; 8] {
        let (a, b) = (self.min, self.max);
        [
            Vec3::new(a.x, a.y, a.z),
            Vec3::new(b.x, a.y, a.z),
            Vec3::new(a.x, b.y, a.z),
            Vec3::new(b.x, b.y, a.z),
            Vec3::new(a.x, a.y, b.z),
            Vec3::new(b.x, a.y, b.z),
            Vec3::new(a.x, b.y, b.z),
            Vec3::new(b.x, b.y, b.z),
        ]
    }

    /// The box around this box after an affine transform.
    pub fn transformed(&self, m: &Mat4) -> Aabb {
        let c = m.transform_point3(self.centre());
        let h = self.half();
        let e = m.x_axis.truncate().abs() * h.x
            + m.y_axis.truncate().abs() * h.y
            + m.z_axis.truncate().abs() * h.z;
        Aabb::new(c - e, c + e)
    }

    pub fn is_finite(&self) -> bool {
        self.min.is_finite() && self.max.is_finite()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::Quat;

    #[test]
    fn rotated_box_bounds_contain_all_corners() {
        let b = Aabb::new(Vec3::new(-1.0, -0.5, -2.0), Vec3::new(1.0, 0.5, 2.0));
        let m = Mat4::from_scale_rotation_translation(
            Vec3::new(2.0, 1.0, 1.0),
            Quat::from_rotation_y(0.7) * Quat::from_rotation_x(0.3),
            Vec3::new(3.0, 1.0, -2.0),
        );
        let t = b.transformed(&m);
        for c in b.corners() {
            let p = m.transform_point3(c);
            assert!(p.cmpge(t.min - 1e-4).all() && p.cmple(t.max + 1e-4).all());
        }
        assert!(
            b.intersect(Aabb::new(Vec3::splat(5.0), Vec3::splat(6.0)))
                .is_none()
        );
    }
}
