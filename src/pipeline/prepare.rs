//! Finishing a built scene before it runs: defaults for what a script left
//! out (a light, a camera) and warnings about likely mistakes.

use glam::Vec3;

use crate::world::light::LightKind;
use crate::world::{BodyKind, CameraTarget, Light, LightId, Shape, World};

/// Fills in defaults and returns warnings for the report.
pub fn finish_scene(world: &mut World) -> Vec<String> {
    let mut warnings = Vec::new();
    if world.lights.is_empty() {
        world.lights.push(Light {
            id: LightId(0),
            name: None,
            kind: LightKind::Sun {
                elevation: 50.0,
                azimuth: 135.0,
            },
            color: Vec3::new(1.0, 0.95, 0.88),
            intensity: 3.0,
            shadows: true,
            time_of_day: None,
            max_elevation: 65.0,
        });
        warnings
            .push("no light in the scene: added a default sun (call sun() to choose one)".into());
    }
    if !world.camera.explicit {
        frame_camera(world);
        warnings
            .push("no camera set: placed one to frame the scene (call camera() to choose)".into());
    }
    let has_dynamic = world
        .entities
        .iter()
        .any(|e| world.body_kind(e.id) == BodyKind::Dynamic);
    let has_support = world
        .entities
        .iter()
        .any(|e| matches!(world.body_kind(e.id), BodyKind::Fixed | BodyKind::Kinematic));
    if has_dynamic
        && !has_support
        && world.joints.is_empty()
        && world.settings.gravity.length() > 0.0
    {
        warnings.push("dynamic bodies but nothing fixed to land on: they will fall forever (add a ground plane)".into());
    }
    for s in &world.scheduled {
        warnings.extend(s.after_end(world.settings.duration));
    }
    for e in &world.entities {
        let t = world.world_transform(e.id);
        if e.body.mass.is_some() && world.body_owner(e.id) != Some(e.id) {
            warnings.push(format!(
                "'{}': mass is ignored because it is part of its parent's body",
                e.label()
            ));
        }
        if !t.position.is_finite() {
            warnings.push(format!("'{}' has a non-finite position", e.label()));
        }
    }
    warnings
}

/// Bounds of the things worth looking at: visible entities other than the
/// ground, and emitters.
fn interest_bounds(world: &World) -> Option<(Vec3, Vec3)> {
    let transforms = world.world_transforms();
    let mut lo = Vec3::splat(f32::MAX);
    let mut hi = Vec3::splat(f32::MIN);
    let mut any = false;
    for pass in 0..2 {
        for e in &world.entities {
            let is_ground = matches!(e.shape, Shape::Plane { .. } | Shape::Heightfield { .. });
            if !e.visible || matches!(e.shape, Shape::Group) || (pass == 0 && is_ground) {
                continue;
            }
            let t = &transforms[e.id.index()];
            let half = e.shape.half_extents() * t.scale;
            let r = half.length();
            lo = lo.min(t.position - Vec3::splat(r));
            hi = hi.max(t.position + Vec3::splat(r));
            any = true;
        }
        if any {
            break;
        }
    }
    for em in &world.emitters {
        use crate::world::particles::EmitterShape;
        let p = match &em.shape {
            EmitterShape::Point { position } => *position,
            EmitterShape::Box { center, .. } | EmitterShape::Sphere { center, .. } => *center,
            EmitterShape::Surface { entity } => transforms[entity.index()].position,
        };
        if !any {
            lo = p - Vec3::ONE;
            hi = p + Vec3::ONE;
            any = true;
        } else {
            lo = lo.min(p);
            hi = hi.max(p);
        }
    }
    any.then_some((lo, hi))
}

/// Places the camera to see the whole scene from a pleasant three-quarter view.
pub fn frame_camera(world: &mut World) {
    let (lo, hi) = interest_bounds(world).unwrap_or((Vec3::splat(-1.0), Vec3::splat(1.0)));
    let centre = (lo + hi) * 0.5;
    let radius = ((hi - lo).length() * 0.5).max(0.5);
    let fov = world.camera.fov.to_radians();
    let dist = (radius / libm::sinf(fov * 0.5) * 1.05).clamp(1.5, 500.0);
    let dir = Vec3::new(0.55, 0.42, 0.72).normalize();
    world.camera.position = centre + dir * dist;
    world.camera.target = CameraTarget::Point { at: centre };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_world_gets_a_sun_and_a_camera() {
        let mut w = World::default();
        let warnings = finish_scene(&mut w);
        assert_eq!(w.lights.len(), 1);
        assert_eq!(warnings.len(), 2);
        assert!(w.camera.position.is_finite());
    }
}
