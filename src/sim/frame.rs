//! A frame: the world's state at one output time, as the renderer, the trace
//! and the critic read it. Frames are produced one at a time and streamed;
//! nothing here holds a reference into the simulation.

use glam::Vec3;

use super::particles::EmitterStats;
use crate::world::{EntityId, Environment, Light, Material, Transform};

#[derive(Debug, Clone)]
pub struct CameraView {
    pub position: Vec3,
    pub target: Vec3,
    /// Vertical field of view, degrees.
    pub fov: f32,
}

/// Particles in drawing order with everything needed to draw them.
#[derive(Debug, Clone, Default)]
pub struct ParticleView {
    pub positions: Vec<Vec3>,
    pub velocities: Vec<Vec3>,
    /// Diameters, metres.
    pub sizes: Vec<f32>,
    /// Linear RGB and opacity.
    pub colors: Vec<[f32; 4]>,
    pub angles: Vec<f32>,
    pub axes: Vec<Vec3>,
    pub emitters: Vec<u16>,
    pub stats: Vec<EmitterStats>,
}

/// Samples of the air velocity on a horizontal line through the scene,
/// along the mean wind. Gusts move downwind, so a 1D slice along the wind
/// carries what a field of grass needs to show them travelling; across the
/// wind the renderer uses the nearest point of the line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindLine {
    /// The line's middle (sample `WIND_SAMPLES / 2` sits half a spacing
    /// past it).
    pub origin: Vec3,
    /// Unit horizontal direction of the line (the mean wind's).
    pub axis: Vec3,
    /// Metres between samples.
    pub spacing: f32,
    pub samples: [Vec3; WIND_SAMPLES],
}

/// Samples on a [`WindLine`]; the renderer's uniform holds as many.
pub const WIND_SAMPLES: usize = 16;

impl WindLine {
    /// Still air everywhere.
    pub fn still(origin: Vec3) -> WindLine {
        WindLine {
            origin,
            axis: Vec3::X,
            spacing: 1.0,
            samples: [Vec3::ZERO; WIND_SAMPLES],
        }
    }

    /// Position of sample `i`.
    pub fn point(&self, i: usize) -> Vec3 {
        let offset = (i as f32 - (WIND_SAMPLES as f32 - 1.0) * 0.5) * self.spacing;
        self.origin + self.axis * offset
    }

    /// Samples `air(point)` along `at_centre` (the air at `centre`),
    /// `spacing` metres apart.
    pub fn sample(
        centre: Vec3,
        at_centre: Vec3,
        spacing: f32,
        air: impl Fn(Vec3) -> Vec3,
    ) -> WindLine {
        let flat = Vec3::new(at_centre.x, 0.0, at_centre.z);
        let axis = if flat.length() > 1e-4 {
            flat.normalize()
        } else {
            Vec3::X
        };
        let mut line = WindLine {
            origin: centre,
            axis,
            spacing: if spacing.is_finite() {
                spacing.max(0.1)
            } else {
                1.0
            },
            samples: [Vec3::ZERO; WIND_SAMPLES],
        };
        for i in 0..WIND_SAMPLES {
            let v = air(line.point(i));
            line.samples[i] = if v.is_finite() { v } else { Vec3::ZERO };
        }
        line
    }

    /// Air velocity at `p`, interpolated along the line and clamped at its
    /// ends: what the renderer bends foliage by.
    pub fn at(&self, p: Vec3) -> Vec3 {
        let s = (p - self.origin).dot(self.axis) / self.spacing + (WIND_SAMPLES as f32 - 1.0) * 0.5;
        let s = s.clamp(0.0, WIND_SAMPLES as f32 - 1.0);
        let i = (s.floor() as usize).min(WIND_SAMPLES - 2);
        let f = s - i as f32;
        self.samples[i].lerp(self.samples[i + 1], f)
    }

    /// The strongest sampled air speed.
    pub fn max_speed(&self) -> f32 {
        self.samples.iter().map(|v| v.length()).fold(0.0, f32::max)
    }
}

#[derive(Debug, Clone)]
pub struct Frame {
    pub index: u64,
    pub time: f64,
    /// World transform of every entity, by entity index.
    pub transforms: Vec<Transform>,
    pub visible: Vec<bool>,
    pub materials: Vec<Material>,
    /// Linear and angular (degrees/s) velocity of every entity.
    pub velocities: Vec<(Vec3, Vec3)>,
    /// Mass of each entity that owns a body, kg (0 otherwise).
    pub masses: Vec<f32>,
    /// Mechanical energy (kinetic, rotational and gravitational potential
    /// above y = 0) of each dynamic body, joules (0 for others).
    pub energies: Vec<f32>,
    /// World bounding box of each entity's collider, if it has one.
    pub aabbs: Vec<Option<(Vec3, Vec3)>>,
    /// Penetration depth of touching entity pairs.
    pub penetrations: Vec<(EntityId, EntityId, f32)>,
    pub lights: Vec<Light>,
    pub camera: CameraView,
    pub environment: Environment,
    pub particles: ParticleView,
    /// Air velocity at the scene's centre.
    pub wind: Vec3,
    /// Air velocity sampled along the wind through the scene's centre:
    /// foliage sways with the air where it stands, so gusts travel.
    pub wind_line: WindLine,
    /// Hash of the exact simulation state at this frame.
    pub state_hash: u64,
    /// Liquid and granular bodies, in the world's order.
    pub fluids: Vec<super::fluid::FluidView>,
    /// Cloth and soft bodies: live vertices and measured state.
    pub deformables: Vec<DeformView>,
}

/// One cloth or soft body at a frame, drawn through its entity (whose
/// transform is the identity: positions are in world space).
#[derive(Debug, Clone)]
pub struct DeformView {
    pub entity: EntityId,
    /// "cloth" or "soft".
    pub kind: &'static str,
    pub positions: std::sync::Arc<Vec<Vec3>>,
    pub triangles: std::sync::Arc<Vec<[u32; 3]>>,
    pub stats: super::cloth::DeformStats,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::field::Affects;
    use crate::world::{Field, FieldId, FieldKind};

    fn gusty_wind() -> Field {
        Field {
            id: FieldId(0),
            name: None,
            kind: FieldKind::Wind {
                direction: Vec3::X,
                speed: 6.0,
                gust: 0.6,
                gust_period: 3.0,
                turbulence: 0.0,
                scale: 2.0,
            },
            strength: 1.0,
            affects: Affects::All,
            seed: 4,
        }
    }

    fn line_at(f: &Field, t: f32) -> WindLine {
        WindLine::sample(Vec3::ZERO, f.air_velocity(Vec3::ZERO, t), 3.0, |p| {
            f.air_velocity(p, t)
        })
    }

    #[test]
    fn the_line_runs_along_the_wind_and_interpolates_its_samples() {
        let f = gusty_wind();
        let line = line_at(&f, 1.0);
        assert!((line.axis - Vec3::X).length() < 1e-4, "axis {}", line.axis);
        for i in 0..WIND_SAMPLES {
            let p = line.point(i);
            assert!((line.at(p) - line.samples[i]).length() < 1e-4);
        }
        let mid = (line.point(3) + line.point(4)) * 0.5;
        let expect = (line.samples[3] + line.samples[4]) * 0.5;
        assert!((line.at(mid) - expect).length() < 1e-4);
        // Off the line's ends the end samples hold; across the wind, the
        // nearest point of the line.
        assert_eq!(line.at(Vec3::new(-500.0, 0.0, 0.0)), line.samples[0]);
        assert_eq!(line.at(line.point(5) + Vec3::Z * 7.0), line.samples[5]);
        let still = WindLine::still(Vec3::ONE);
        assert_eq!(still.max_speed(), 0.0);
    }

    /// A gusty wind's samples differ along the line, and the pattern moves
    /// downwind: the shift that best matches two moments a second apart is
    /// forward, about the wind's speed.
    #[test]
    fn gusts_travel_downwind_along_the_line() {
        let f = gusty_wind();
        let speeds = |t: f32| -> Vec<f32> {
            let at_centre = f.air_velocity(Vec3::ZERO, t);
            let line = WindLine::sample(Vec3::ZERO, at_centre, 4.0, |p| f.air_velocity(p, t));
            (0..120)
                .map(|i| line.at(Vec3::new(i as f32 * 0.5 - 30.0, 0.0, 0.0)).x)
                .collect()
        };
        let mut best = Vec::new();
        for k in 0..8 {
            let t = 0.7 + k as f32 * 1.3;
            let (a, b) = (speeds(t), speeds(t + 1.0));
            let (lo, hi) = a
                .iter()
                .fold((f32::MAX, f32::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
            assert!(hi - lo > 0.5, "speeds along the line vary: {lo}..{hi}");
            // Mean squared difference of b shifted back by `s` half-metres.
            let mismatch = |s: i32| -> f32 {
                let pairs: Vec<f32> = (0..a.len() as i32)
                    .filter_map(|i| {
                        let j = i + s;
                        (j >= 0 && (j as usize) < b.len()).then(|| a[i as usize] - b[j as usize])
                    })
                    .collect();
                pairs.iter().map(|d| d * d).sum::<f32>() / pairs.len() as f32
            };
            let shift = (-20..=20)
                .min_by(|x, y| mismatch(*x).total_cmp(&mismatch(*y)))
                .unwrap();
            best.push(shift as f32 * 0.5);
        }
        best.sort_by(f32::total_cmp);
        let median = best[best.len() / 2];
        assert!(
            (3.0..=9.0).contains(&median),
            "gusts should move about 6 m downwind in a second: {best:?}"
        );
    }
}
