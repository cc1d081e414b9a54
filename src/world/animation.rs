//! Animation tracks: keyframes and procedural motion on any animatable
//! property. A track is a pure function of time; the simulation samples it.

use glam::{Quat, Vec3};
use serde::Serialize;

use super::entity::{EntityId, quat_from_euler_deg};
use super::field::FieldId;
use super::light::LightId;
use super::particles::EmitterId;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum AnimTarget {
    Entity(EntityId),
    Light(LightId),
    Camera,
    Field(FieldId),
    Emitter(EmitterId),
    Environment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Property {
    Position,
    /// Euler degrees (keyframes) or a spin.
    Rotation,
    Scale,
    Color,
    Emissive,
    EmissiveStrength,
    Opacity,
    Roughness,
    Metallic,
    Intensity,
    Elevation,
    Azimuth,
    TimeOfDay,
    Fov,
    Target,
    Strength,
    Rate,
    FogDensity,
    FogColor,
    Ambient,
    Exposure,
}

/// Value shape of a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Scalar,
    Vector,
    Color,
}

impl Property {
    pub const ALL: &[(&str, Property)] = &[
        ("position", Property::Position),
        ("rotation", Property::Rotation),
        ("scale", Property::Scale),
        ("color", Property::Color),
        ("emissive", Property::Emissive),
        ("emissive_strength", Property::EmissiveStrength),
        ("opacity", Property::Opacity),
        ("roughness", Property::Roughness),
        ("metallic", Property::Metallic),
        ("intensity", Property::Intensity),
        ("elevation", Property::Elevation),
        ("azimuth", Property::Azimuth),
        ("time_of_day", Property::TimeOfDay),
        ("fov", Property::Fov),
        ("target", Property::Target),
        ("strength", Property::Strength),
        ("rate", Property::Rate),
        ("fog_density", Property::FogDensity),
        ("fog_color", Property::FogColor),
        ("ambient", Property::Ambient),
        ("exposure", Property::Exposure),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    pub fn value_kind(self) -> ValueKind {
        match self {
            Property::Position | Property::Rotation | Property::Scale | Property::Target => {
                ValueKind::Vector
            }
            Property::Color | Property::Emissive | Property::FogColor => ValueKind::Color,
            _ => ValueKind::Scalar,
        }
    }

    /// The properties each kind of target has.
    pub fn valid_for(target: &AnimTarget) -> &'static [Property] {
        use Property::*;
        match target {
            AnimTarget::Entity(_) => &[
                Position,
                Rotation,
                Scale,
                Color,
                Emissive,
                EmissiveStrength,
                Opacity,
                Roughness,
                Metallic,
            ],
            AnimTarget::Light(_) => &[
                Position, Target, Color, Intensity, Elevation, Azimuth, TimeOfDay,
            ],
            AnimTarget::Camera => &[Position, Target, Fov],
            AnimTarget::Field(_) => &[Strength, Position],
            AnimTarget::Emitter(_) => &[Rate, Position],
            AnimTarget::Environment => &[FogDensity, FogColor, Ambient, Exposure, Color],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Scalar(f32),
    Vector(Vec3),
}

impl Value {
    pub fn as_scalar(self) -> f32 {
        match self {
            Value::Scalar(s) => s,
            Value::Vector(v) => v.x,
        }
    }

    pub fn as_vec3(self) -> Vec3 {
        match self {
            Value::Scalar(s) => Vec3::splat(s),
            Value::Vector(v) => v,
        }
    }

    fn lerp(self, other: Value, t: f32) -> Value {
        match (self, other) {
            (Value::Scalar(a), Value::Scalar(b)) => Value::Scalar(a + (b - a) * t),
            (a, b) => Value::Vector(a.as_vec3().lerp(b.as_vec3(), t)),
        }
    }

    fn add(self, other: Value) -> Value {
        match (self, other) {
            (Value::Scalar(a), Value::Scalar(b)) => Value::Scalar(a + b),
            (a, b) => Value::Vector(a.as_vec3() + b.as_vec3()),
        }
    }

    fn scale(self, k: f32) -> Value {
        match self {
            Value::Scalar(a) => Value::Scalar(a * k),
            Value::Vector(v) => Value::Vector(v * k),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ease {
    Linear,
    EaseIn,
    EaseOut,
    EaseInOut,
    /// Holds each key's value until the next key.
    Step,
    /// Catmull-Rom through the keys: smooth velocity at every key.
    Smooth,
}

pub const EASES: &[&str] = &[
    "linear",
    "ease_in",
    "ease_out",
    "ease_in_out",
    "step",
    "smooth",
];

impl Ease {
    pub fn parse(s: &str) -> Option<Ease> {
        Some(match s {
            "linear" => Ease::Linear,
            "ease_in" | "in" => Ease::EaseIn,
            "ease_out" | "out" => Ease::EaseOut,
            "ease_in_out" | "ease" | "in_out" => Ease::EaseInOut,
            "step" | "constant" => Ease::Step,
            "smooth" | "spline" => Ease::Smooth,
            _ => return None,
        })
    }

    fn apply(self, t: f32) -> f32 {
        match self {
            Ease::Linear | Ease::Smooth => t,
            Ease::EaseIn => t * t,
            Ease::EaseOut => 1.0 - (1.0 - t) * (1.0 - t),
            Ease::EaseInOut => t * t * (3.0 - 2.0 * t),
            Ease::Step => 0.0,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Motion {
    /// Keys sorted by time; before the first and after the last the value holds
    /// (or, with `repeat`, the keys loop).
    Keys {
        keys: Vec<(f64, Value)>,
        ease: Ease,
        repeat: bool,
    },
    /// Adds `amplitude * sin(2 pi (frequency t) + phase)` to the base value.
    Oscillate {
        amplitude: Value,
        frequency: f32,
        phase_deg: f32,
    },
    /// Rotation: turns about `axis` at `speed` degrees per second, after the
    /// base rotation.
    Spin { axis: Vec3, speed: f32 },
    /// Position: travels through `points` (Catmull-Rom) in `duration` seconds.
    Path {
        points: Vec<Vec3>,
        duration: f64,
        repeat: bool,
        /// Turn to face the direction of travel.
        orient: bool,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Track {
    pub target: AnimTarget,
    pub property: Property,
    pub motion: Motion,
    /// Seconds before the track starts moving.
    pub start: f64,
    pub line: usize,
}

fn catmull_rom(p0: Vec3, p1: Vec3, p2: Vec3, p3: Vec3, t: f32) -> Vec3 {
    let t2 = t * t;
    let t3 = t2 * t;
    0.5 * ((2.0 * p1)
        + (p2 - p0) * t
        + (2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3) * t2
        + (3.0 * p1 - p0 - 3.0 * p2 + p3) * t3)
}

/// Position along a Catmull-Rom curve through `points` at `u` in [0, 1].
pub fn curve_point(points: &[Vec3], u: f32) -> Vec3 {
    match points.len() {
        0 => Vec3::ZERO,
        1 => points[0],
        n => {
            let x = u.clamp(0.0, 1.0) * (n - 1) as f32;
            let i = (x as usize).min(n - 2);
            let t = x - i as f32;
            let get = |k: isize| points[k.clamp(0, n as isize - 1) as usize];
            let i = i as isize;
            catmull_rom(get(i - 1), get(i), get(i + 1), get(i + 2), t)
        }
    }
}

impl Track {
    /// The property's value at time `t`, given its value before animation.
    pub fn sample(&self, t: f64, base: Value) -> Value {
        let local = (t - self.start).max(0.0);
        match &self.motion {
            Motion::Keys { keys, ease, repeat } => {
                sample_keys(keys, *ease, *repeat, t, self.property)
            }
            Motion::Oscillate {
                amplitude,
                frequency,
                phase_deg,
            } => {
                let angle = std::f64::consts::TAU * (*frequency as f64 * local)
                    + (*phase_deg as f64).to_radians();
                base.add(amplitude.scale(libm::sin(angle) as f32))
            }
            Motion::Spin { .. } => base,
            Motion::Path {
                points,
                duration,
                repeat,
                ..
            } => {
                let u = path_param(local, *duration, *repeat);
                Value::Vector(curve_point(points, u))
            }
        }
    }

    /// Rotation contributed by spins and path orientation, if any.
    pub fn sample_rotation(&self, t: f64, base: Quat) -> Option<Quat> {
        let local = (t - self.start).max(0.0);
        match &self.motion {
            Motion::Spin { axis, speed } => {
                let angle = (*speed as f64 * local)
                    .to_radians()
                    .rem_euclid(std::f64::consts::TAU);
                Some(Quat::from_axis_angle(axis.normalize_or(Vec3::Y), angle as f32) * base)
            }
            Motion::Path {
                points,
                duration,
                repeat,
                orient: true,
            } => {
                let u = path_param(local, *duration, *repeat);
                let du = 1e-3;
                let a = curve_point(points, (u - du).max(0.0));
                let b = curve_point(points, (u + du).min(1.0));
                let dir = (b - a).try_normalize()?;
                // Face along travel: local -Z forward, keep Y up when possible.
                let flat = Vec3::new(dir.x, 0.0, dir.z);
                let yaw = libm::atan2f(-flat.x, -flat.z);
                let pitch = libm::asinf(dir.y.clamp(-1.0, 1.0));
                Some(Quat::from_rotation_y(yaw) * Quat::from_rotation_x(pitch))
            }
            Motion::Keys { .. } if self.property == Property::Rotation => {
                let v = self.sample(t, Value::Vector(Vec3::ZERO)).as_vec3();
                Some(quat_from_euler_deg(v))
            }
            _ => None,
        }
    }
}

fn path_param(local: f64, duration: f64, repeat: bool) -> f32 {
    let d = duration.max(1e-6);
    let u = if repeat {
        (local / d).fract()
    } else {
        (local / d).min(1.0)
    };
    u as f32
}

fn sample_keys(
    keys: &[(f64, Value)],
    ease: Ease,
    repeat: bool,
    t: f64,
    property: Property,
) -> Value {
    let (first, last) = (keys[0], keys[keys.len() - 1]);
    let mut t = t;
    if repeat && last.0 > first.0 {
        let span = last.0 - first.0;
        t = first.0 + (t - first.0).rem_euclid(span);
    }
    if t <= first.0 {
        return first.1;
    }
    if t >= last.0 {
        return last.1;
    }
    let i = keys.partition_point(|(k, _)| *k <= t).saturating_sub(1);
    let (t0, v0) = keys[i];
    let (t1, v1) = keys[i + 1];
    let f = ((t - t0) / (t1 - t0).max(1e-12)) as f32;
    if ease == Ease::Smooth && keys.len() > 2 {
        let get = |k: isize| keys[k.clamp(0, keys.len() as isize - 1) as usize].1;
        let i = i as isize;
        let (a, b, c, d) = (get(i - 1), get(i), get(i + 1), get(i + 2));
        return match property.value_kind() {
            ValueKind::Scalar => Value::Scalar(
                catmull_rom(
                    Vec3::splat(a.as_scalar()),
                    Vec3::splat(b.as_scalar()),
                    Vec3::splat(c.as_scalar()),
                    Vec3::splat(d.as_scalar()),
                    f,
                )
                .x,
            ),
            _ => Value::Vector(catmull_rom(
                a.as_vec3(),
                b.as_vec3(),
                c.as_vec3(),
                d.as_vec3(),
                f,
            )),
        };
    }
    v0.lerp(v1, ease.apply(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_track(ease: Ease, repeat: bool) -> Track {
        Track {
            target: AnimTarget::Camera,
            property: Property::Fov,
            motion: Motion::Keys {
                keys: vec![
                    (0.0, Value::Scalar(10.0)),
                    (2.0, Value::Scalar(30.0)),
                    (4.0, Value::Scalar(10.0)),
                ],
                ease,
                repeat,
            },
            start: 0.0,
            line: 1,
        }
    }

    #[test]
    fn keyframes_interpolate_hold_and_loop() {
        let t = keys_track(Ease::Linear, false);
        let base = Value::Scalar(0.0);
        assert_eq!(t.sample(-1.0, base), Value::Scalar(10.0));
        assert_eq!(t.sample(1.0, base), Value::Scalar(20.0));
        assert_eq!(t.sample(9.0, base), Value::Scalar(10.0));
        let eased = keys_track(Ease::EaseIn, false);
        assert_eq!(eased.sample(1.0, base), Value::Scalar(15.0));
        let looping = keys_track(Ease::Linear, true);
        assert_eq!(looping.sample(5.0, base), Value::Scalar(20.0));
        let step = keys_track(Ease::Step, false);
        assert_eq!(step.sample(1.9, base), Value::Scalar(10.0));
    }

    #[test]
    fn oscillation_is_around_the_base() {
        let t = Track {
            target: AnimTarget::Camera,
            property: Property::Position,
            motion: Motion::Oscillate {
                amplitude: Value::Vector(Vec3::new(0.0, 1.0, 0.0)),
                frequency: 0.5,
                phase_deg: 0.0,
            },
            start: 0.0,
            line: 1,
        };
        let base = Value::Vector(Vec3::new(1.0, 2.0, 3.0));
        assert_eq!(t.sample(0.0, base), base);
        let quarter = t.sample(0.5, base).as_vec3();
        assert!((quarter - Vec3::new(1.0, 3.0, 3.0)).length() < 1e-5);
    }

    #[test]
    fn spin_turns_at_the_given_rate_and_paths_pass_their_points() {
        let spin = Track {
            target: AnimTarget::Camera,
            property: Property::Rotation,
            motion: Motion::Spin {
                axis: Vec3::Y,
                speed: 90.0,
            },
            start: 0.0,
            line: 1,
        };
        let q = spin.sample_rotation(1.0, Quat::IDENTITY).unwrap();
        assert!(((q * Vec3::X) - Vec3::NEG_Z).length() < 1e-5);
        let pts = vec![
            Vec3::ZERO,
            Vec3::new(1.0, 0.0, 0.0),
            Vec3::new(2.0, 1.0, 0.0),
        ];
        assert!((curve_point(&pts, 0.5) - pts[1]).length() < 1e-6);
        assert!((curve_point(&pts, 1.0) - pts[2]).length() < 1e-6);
    }
}
