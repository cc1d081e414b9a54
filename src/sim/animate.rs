//! Applying animation tracks to the world at a time.

use glam::{Quat, Vec3};

use crate::world::entity::quat_from_euler_deg;
use crate::world::light::sun_angles_for_time;
use crate::world::particles::EmitterShape;
use crate::world::{
    AnimTarget, CameraTarget, FieldKind, LightKind, Motion, Property, Track, Value, World,
};

/// The value a property has in the world now.
pub fn read(world: &World, target: &AnimTarget, property: Property) -> Value {
    use Property as P;
    let v = Value::Vector;
    let s = Value::Scalar;
    match target {
        AnimTarget::Entity(id) => {
            let e = world.entity(*id);
            let m = &e.material;
            match property {
                P::Position => v(e.transform.position),
                P::Rotation => v(crate::world::entity::euler_deg_from_quat(
                    e.transform.rotation,
                )),
                P::Scale => v(e.transform.scale),
                P::Color => v(m.base_color),
                P::Emissive => v(m.emissive),
                P::EmissiveStrength => s(m.emissive_strength),
                P::Opacity => s(m.opacity),
                P::Roughness => s(m.roughness),
                P::Metallic => s(m.metallic),
                _ => s(0.0),
            }
        }
        AnimTarget::Light(id) => {
            let l = &world.lights[id.0 as usize];
            match (property, &l.kind) {
                (P::Intensity, _) => s(l.intensity),
                (P::Color, _) => v(l.color),
                (P::Elevation, LightKind::Sun { elevation, .. }) => s(*elevation),
                (P::Azimuth, LightKind::Sun { azimuth, .. }) => s(*azimuth),
                (P::TimeOfDay, _) => s(l.time_of_day.unwrap_or(12.0)),
                (
                    P::Position,
                    LightKind::Point { position, .. } | LightKind::Spot { position, .. },
                ) => v(*position),
                (P::Target, LightKind::Spot { target, .. }) => v(*target),
                _ => s(0.0),
            }
        }
        AnimTarget::Camera => {
            let c = &world.camera;
            match property {
                P::Position => v(c.position),
                P::Fov => s(c.fov),
                P::Target => match c.target {
                    CameraTarget::Point { at } => v(at),
                    CameraTarget::Entity { id } => v(world.world_transform(id).position),
                },
                _ => s(0.0),
            }
        }
        AnimTarget::Field(id) => {
            let f = &world.fields[id.0 as usize];
            match (property, &f.kind) {
                (P::Strength, _) => s(f.strength),
                (P::Position, FieldKind::Attractor { position, .. }) => v(*position),
                (P::Position, FieldKind::Vortex { center, .. }) => v(*center),
                _ => s(0.0),
            }
        }
        AnimTarget::Emitter(id) => {
            let e = &world.emitters[id.0 as usize];
            match property {
                P::Rate => s(e.rate),
                P::Position => match &e.shape {
                    EmitterShape::Point { position } => v(*position),
                    EmitterShape::Box { center, .. } | EmitterShape::Sphere { center, .. } => {
                        v(*center)
                    }
                    EmitterShape::Surface { .. } => v(Vec3::ZERO),
                },
                _ => s(0.0),
            }
        }
        AnimTarget::Environment => {
            let env = &world.environment;
            match property {
                P::FogDensity => s(env.fog_density),
                P::FogColor => v(env.fog_color),
                P::Ambient => s(env.ambient),
                P::Exposure => s(env.exposure),
                P::Color => v(env.sky_color),
                _ => s(0.0),
            }
        }
    }
}

/// Writes a property's value into the world.
pub fn write(world: &mut World, target: &AnimTarget, property: Property, value: Value) {
    use Property as P;
    let sc = value.as_scalar();
    let vc = value.as_vec3();
    match target {
        AnimTarget::Entity(id) => {
            let e = world.entity_mut(*id);
            let m = &mut e.material;
            match property {
                P::Position => e.transform.position = vc,
                P::Rotation => e.transform.rotation = quat_from_euler_deg(vc),
                P::Scale => e.transform.scale = vc.max(Vec3::splat(1e-4)),
                P::Color => m.base_color = vc.max(Vec3::ZERO),
                P::Emissive => m.emissive = vc.max(Vec3::ZERO),
                P::EmissiveStrength => m.emissive_strength = sc.max(0.0),
                P::Opacity => m.opacity = sc.clamp(0.0, 1.0),
                P::Roughness => m.roughness = sc.clamp(0.0, 1.0),
                P::Metallic => m.metallic = sc.clamp(0.0, 1.0),
                _ => {}
            }
        }
        AnimTarget::Light(id) => {
            let l = &mut world.lights[id.0 as usize];
            let max_elev = l.max_elevation;
            match (property, &mut l.kind) {
                (P::Intensity, _) => l.intensity = sc.max(0.0),
                (P::Color, _) => l.color = vc.max(Vec3::ZERO),
                (P::Elevation, LightKind::Sun { elevation, .. }) => {
                    *elevation = sc.clamp(-90.0, 90.0)
                }
                (P::Azimuth, LightKind::Sun { azimuth, .. }) => *azimuth = sc,
                (P::TimeOfDay, LightKind::Sun { elevation, azimuth }) => {
                    (*elevation, *azimuth) = sun_angles_for_time(sc, max_elev);
                    l.time_of_day = Some(sc.rem_euclid(24.0));
                }
                (
                    P::Position,
                    LightKind::Point { position, .. } | LightKind::Spot { position, .. },
                ) => *position = vc,
                (P::Target, LightKind::Spot { target, .. }) => *target = vc,
                _ => {}
            }
        }
        AnimTarget::Camera => {
            let c = &mut world.camera;
            match property {
                P::Position => c.position = vc,
                P::Fov => c.fov = sc.clamp(5.0, 150.0),
                P::Target => c.target = CameraTarget::Point { at: vc },
                _ => {}
            }
        }
        AnimTarget::Field(id) => {
            let f = &mut world.fields[id.0 as usize];
            match (property, &mut f.kind) {
                (P::Strength, _) => f.strength = sc,
                (P::Position, FieldKind::Attractor { position, .. }) => *position = vc,
                (P::Position, FieldKind::Vortex { center, .. }) => *center = vc,
                _ => {}
            }
        }
        AnimTarget::Emitter(id) => {
            let e = &mut world.emitters[id.0 as usize];
            match property {
                P::Rate => e.rate = sc.max(0.0),
                P::Position => match &mut e.shape {
                    EmitterShape::Point { position } => *position = vc,
                    EmitterShape::Box { center, .. } | EmitterShape::Sphere { center, .. } => {
                        *center = vc
                    }
                    EmitterShape::Surface { .. } => {}
                },
                _ => {}
            }
        }
        AnimTarget::Environment => {
            let env = &mut world.environment;
            match property {
                P::FogDensity => env.fog_density = sc.max(0.0),
                P::FogColor => env.fog_color = vc.max(Vec3::ZERO),
                P::Ambient => env.ambient = sc.max(0.0),
                P::Exposure => env.exposure = sc,
                P::Color => env.sky_color = vc.max(Vec3::ZERO),
                _ => {}
            }
        }
    }
}

/// Base values of every track, captured before the first sample: oscillation
/// and spin act around them.
pub struct Animator {
    bases: Vec<Value>,
    base_rotations: Vec<Quat>,
}

impl Animator {
    pub fn new(world: &World) -> Animator {
        let mut a = Animator {
            bases: Vec::new(),
            base_rotations: Vec::new(),
        };
        a.sync(world);
        a
    }

    fn sync(&mut self, world: &World) {
        for t in &world.tracks[self.bases.len()..] {
            self.bases.push(read(world, &t.target, t.property));
            self.base_rotations.push(match t.target {
                AnimTarget::Entity(id) => world.entity(id).transform.rotation,
                _ => Quat::IDENTITY,
            });
        }
    }

    /// Applies every track at time `t`.
    pub fn apply(&mut self, world: &mut World, t: f64) {
        self.sync(world);
        for i in 0..world.tracks.len() {
            let track: &Track = &world.tracks[i];
            let (target, property) = (track.target, track.property);
            let rotation = match (&track.motion, property) {
                (Motion::Spin { .. }, _)
                | (Motion::Path { orient: true, .. }, _)
                | (Motion::Keys { .. }, Property::Rotation) => {
                    track.sample_rotation(t, self.base_rotations[i])
                }
                _ => None,
            };
            let value = match track.motion {
                Motion::Spin { .. } => None,
                _ => Some(track.sample(t, self.bases[i])),
            };
            if let Some(v) = value
                && !(property == Property::Rotation && rotation.is_some())
            {
                write(world, &target, property, v);
            }
            if let (Some(q), AnimTarget::Entity(id)) = (rotation, target) {
                world.entity_mut(id).transform.rotation = q;
            }
        }
    }
}
