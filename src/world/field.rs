//! Force fields: moving air (wind, vortices), attractors and global drag.
//!
//! Fields are evaluated as two quantities at a point and time: the velocity
//! of the air (which drags bodies and particles along) and a direct
//! acceleration (attractors). Noise makes gusts and turbulence, seeded per
//! field, so fields are as deterministic as the rest of the world.

use glam::Vec3;
use serde::Serialize;

use crate::util::rng::fbm3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FieldId(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Affects {
    All,
    Bodies,
    Particles,
}

pub const AFFECTS: &[&str] = &["all", "bodies", "particles"];

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FieldKind {
    Wind {
        /// Unit vector the air moves towards.
        direction: Vec3,
        /// Mean air speed, m/s.
        speed: f32,
        /// Gust strength as a fraction of the speed.
        gust: f32,
        /// Typical seconds between gusts.
        gust_period: f32,
        /// Small-scale swirl as a fraction of the speed.
        turbulence: f32,
        /// Size of turbulent eddies, metres.
        scale: f32,
    },
    Vortex {
        center: Vec3,
        axis: Vec3,
        /// Tangential air speed at `radius`, m/s.
        speed: f32,
        radius: f32,
        /// Air speed towards the axis, m/s (negative blows outwards).
        inflow: f32,
        /// Air speed along the axis, m/s.
        lift: f32,
    },
    Attractor {
        position: Vec3,
        /// Acceleration at 1 m, m/s^2; negative repels.
        strength: f32,
        /// No effect beyond this distance.
        radius: f32,
        /// Exponent of distance falloff: 0 constant, 1 inverse, 2 inverse square.
        falloff: f32,
    },
    /// Still air that resists motion: linear drag rate, 1/s.
    Drag { coefficient: f32 },
}

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub id: FieldId,
    pub name: Option<String>,
    pub kind: FieldKind,
    /// Multiplies the field's effect; animatable as "strength".
    pub strength: f32,
    pub affects: Affects,
    pub seed: u64,
}

impl Field {
    pub fn acts_on_bodies(&self) -> bool {
        matches!(self.affects, Affects::All | Affects::Bodies)
    }

    pub fn acts_on_particles(&self) -> bool {
        matches!(self.affects, Affects::All | Affects::Particles)
    }

    /// Air velocity this field contributes at `p`, time `t`.
    pub fn air_velocity(&self, p: Vec3, t: f32) -> Vec3 {
        match &self.kind {
            FieldKind::Wind {
                direction,
                speed,
                gust,
                gust_period,
                turbulence,
                scale,
            } => {
                let gust_phase = t / gust_period.max(0.05);
                // Gusts vary slowly in time and a little across space, so a
                // gust sweeps through a forest rather than hitting all at once.
                let along = p.dot(*direction) / (speed.max(0.1) * gust_period.max(0.05));
                let g = fbm3(self.seed, gust_phase - along, 0.37, 0.0).max(-0.9);
                let mean = *direction * (speed * (1.0 + gust * 2.0 * g));
                let swirl = if *turbulence > 0.0 {
                    let q = p / scale.max(0.05) - *direction * (t * speed / scale.max(0.05));
                    let s = self.seed ^ 0x7475_7262;
                    Vec3::new(
                        fbm3(s, q.x, q.y, q.z + t * 0.3),
                        fbm3(s.wrapping_add(17), q.x + 5.2, q.y, q.z - t * 0.3),
                        fbm3(s.wrapping_add(31), q.x, q.y + 9.7, q.z + t * 0.2),
                    ) * (speed * turbulence * 1.5)
                } else {
                    Vec3::ZERO
                };
                (mean + swirl) * self.strength
            }
            FieldKind::Vortex {
                center,
                axis,
                speed,
                radius,
                inflow,
                lift,
            } => {
                let rel = p - *center;
                let along = axis.dot(rel);
                let radial = rel - *axis * along;
                let r = radial.length();
                if r < 1e-4 {
                    return *axis * (*lift * self.strength);
                }
                let r0 = radius.max(0.01);
                // Rankine vortex: solid rotation inside the core, 1/r outside.
                let tangential = if r < r0 {
                    speed * r / r0
                } else {
                    speed * r0 / r
                };
                let falloff = if r < r0 { 1.0 } else { r0 / r };
                let dir_t = axis.cross(radial / r);
                (dir_t * tangential - (radial / r) * (inflow * falloff) + *axis * (lift * falloff))
                    * self.strength
            }
            FieldKind::Attractor { .. } | FieldKind::Drag { .. } => Vec3::ZERO,
        }
    }

    /// Direct acceleration this field gives at `p` (attractors only).
    pub fn acceleration(&self, p: Vec3) -> Vec3 {
        match &self.kind {
            FieldKind::Attractor {
                position,
                strength,
                radius,
                falloff,
            } => {
                let d = *position - p;
                let dist = d.length();
                if dist < 1e-3 || dist > *radius {
                    return Vec3::ZERO;
                }
                // Softened so bodies passing through the centre do not explode.
                let soft = dist.max(0.25);
                d / dist * (strength * libm::powf(soft, -falloff) * self.strength)
            }
            _ => Vec3::ZERO,
        }
    }

    /// Linear drag rate (1/s) of still air, from drag fields.
    pub fn drag_rate(&self) -> f32 {
        match self.kind {
            FieldKind::Drag { coefficient } => coefficient * self.strength,
            _ => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wind(gust: f32, turbulence: f32) -> Field {
        Field {
            id: FieldId(0),
            name: None,
            kind: FieldKind::Wind {
                direction: Vec3::X,
                speed: 4.0,
                gust,
                gust_period: 3.0,
                turbulence,
                scale: 2.0,
            },
            strength: 1.0,
            affects: Affects::All,
            seed: 9,
        }
    }

    #[test]
    fn steady_wind_is_uniform_and_gusty_wind_varies() {
        let w = wind(0.0, 0.0);
        assert_eq!(w.air_velocity(Vec3::ZERO, 0.0), Vec3::new(4.0, 0.0, 0.0));
        assert_eq!(
            w.air_velocity(Vec3::new(3.0, 1.0, 2.0), 5.0),
            Vec3::new(4.0, 0.0, 0.0)
        );
        let g = wind(0.5, 0.2);
        let samples: Vec<f32> = (0..50)
            .map(|i| g.air_velocity(Vec3::ZERO, i as f32 * 0.5).x)
            .collect();
        let (lo, hi) = samples
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
        assert!(hi - lo > 1.0, "gusts should vary the speed: {lo}..{hi}");
        let mean = samples.iter().sum::<f32>() / samples.len() as f32;
        assert!(mean > 2.0 && mean < 6.0, "mean {mean}");
    }

    #[test]
    fn vortex_swirls_around_its_axis() {
        let v = Field {
            kind: FieldKind::Vortex {
                center: Vec3::ZERO,
                axis: Vec3::Y,
                speed: 2.0,
                radius: 1.0,
                inflow: 0.0,
                lift: 0.0,
            },
            ..wind(0.0, 0.0)
        };
        let at = Vec3::new(1.0, 0.0, 0.0);
        let air = v.air_velocity(at, 0.0);
        assert!(air.dot(at).abs() < 1e-5, "tangential only");
        assert!((air.length() - 2.0).abs() < 1e-5);
        assert!(v.air_velocity(Vec3::new(4.0, 0.0, 0.0), 0.0).length() < 1.0);
    }

    #[test]
    fn attractor_pulls_and_repulsor_pushes() {
        let mut a = Field {
            kind: FieldKind::Attractor {
                position: Vec3::ZERO,
                strength: 3.0,
                radius: 10.0,
                falloff: 2.0,
            },
            ..wind(0.0, 0.0)
        };
        let p = Vec3::new(2.0, 0.0, 0.0);
        assert!((a.acceleration(p) - Vec3::new(-0.75, 0.0, 0.0)).length() < 1e-5);
        a.strength = -1.0;
        assert!(a.acceleration(p).x > 0.0);
        assert_eq!(a.acceleration(Vec3::new(20.0, 0.0, 0.0)), Vec3::ZERO);
    }
}
