//! The trace: per frame, the transform of every named entity and particle
//! counts and centroids per emitter; a state hash every simulated second.

use std::collections::BTreeMap;

use glam::{Quat, Vec3};
use serde::Serialize;

use crate::sim::Frame;
use crate::sim::cloth::DeformStats;
use crate::world::World;

#[derive(Debug, Clone, Serialize)]
pub struct EntityPose {
    pub position: Vec3,
    /// Quaternion [x, y, z, w].
    pub rotation: Quat,
    pub velocity: Vec3,
}

#[derive(Debug, Clone, Serialize)]
pub struct ParticleSummary {
    pub count: u32,
    pub centroid: Vec3,
    pub mean_velocity: Vec3,
    pub settled: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct TraceFrame {
    pub frame: u64,
    pub t: f64,
    pub entities: BTreeMap<String, EntityPose>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub particles: BTreeMap<String, ParticleSummary>,
    /// Liquid and granular bodies by name: count, centroid, bounds,
    /// volume, speeds, pile slope.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fluids: BTreeMap<String, crate::sim::fluid::FluidStats>,
    /// Cloth and soft bodies by name: centroid, bounds, mean vertex speed,
    /// max stretch, volume ratio, penetration into rigid geometry.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub deformables: BTreeMap<String, DeformStats>,
}

/// A cloth or soft body over the whole run, for reports and the critic.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeformSummary {
    pub name: String,
    /// "cloth" or "soft".
    pub kind: &'static str,
    pub vertices: usize,
    pub max_stretch: f32,
    /// Largest stretch from the second simulated second on (settled state).
    pub settled_max_stretch: f32,
    pub min_volume_ratio: f32,
    pub max_volume_ratio: f32,
    pub max_penetration: f32,
    /// When the deepest penetration was seen, seconds.
    pub penetration_at: f64,
    pub final_mean_speed: f32,
    pub final_centroid: Vec3,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HashMark {
    pub frame: u64,
    pub t: f64,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Trace {
    pub fps: u32,
    pub duration: f64,
    pub seed: u64,
    pub entities: Vec<String>,
    pub emitters: Vec<String>,
    pub frames: Vec<TraceFrame>,
    pub hashes: Vec<HashMark>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deformables: Vec<DeformSummary>,
}

/// Display name of a deformable: its entity's label.
fn deform_name(world: &World, id: crate::world::EntityId) -> String {
    world.entity(id).label()
}

/// Display name of each emitter: its name or `emitter_N`.
pub fn emitter_names(world: &World) -> Vec<String> {
    world
        .emitters
        .iter()
        .map(|e| {
            e.name
                .clone()
                .unwrap_or_else(|| format!("emitter_{}", e.id.0))
        })
        .collect()
}

impl Trace {
    pub fn new(world: &World) -> Trace {
        Trace {
            fps: world.settings.fps,
            duration: world.settings.duration,
            seed: world.settings.seed,
            entities: world
                .entities
                .iter()
                .filter_map(|e| e.name.clone())
                .collect(),
            emitters: emitter_names(world),
            frames: Vec::new(),
            hashes: Vec::new(),
            deformables: Vec::new(),
        }
    }

    pub fn record(&mut self, world: &World, frame: &Frame) {
        let mut entities = BTreeMap::new();
        for e in &world.entities {
            if let Some(name) = &e.name {
                let t = &frame.transforms[e.id.index()];
                entities.insert(
                    name.clone(),
                    EntityPose {
                        position: t.position,
                        rotation: t.rotation,
                        velocity: frame.velocities[e.id.index()].0,
                    },
                );
            }
        }
        let names = emitter_names(world);
        let particles = frame
            .particles
            .stats
            .iter()
            .zip(names)
            .map(|(s, n)| {
                (
                    n,
                    ParticleSummary {
                        count: s.count,
                        centroid: s.centroid,
                        mean_velocity: s.mean_velocity,
                        settled: s.settled,
                    },
                )
            })
            .collect();
        let mut deformables = BTreeMap::new();
        for (k, d) in frame.deformables.iter().enumerate() {
            let name = deform_name(world, d.entity);
            let st = d.stats;
            if self.deformables.len() <= k {
                self.deformables.push(DeformSummary {
                    name: name.clone(),
                    kind: d.kind,
                    vertices: d.positions.len(),
                    max_stretch: 0.0,
                    settled_max_stretch: 0.0,
                    min_volume_ratio: st.volume_ratio,
                    max_volume_ratio: st.volume_ratio,
                    max_penetration: 0.0,
                    penetration_at: 0.0,
                    final_mean_speed: 0.0,
                    final_centroid: st.centroid,
                });
            }
            let s = &mut self.deformables[k];
            s.max_stretch = s.max_stretch.max(st.max_stretch);
            if frame.time >= 2.0 {
                s.settled_max_stretch = s.settled_max_stretch.max(st.max_stretch);
            }
            s.min_volume_ratio = s.min_volume_ratio.min(st.volume_ratio);
            s.max_volume_ratio = s.max_volume_ratio.max(st.volume_ratio);
            if st.penetration > s.max_penetration {
                s.max_penetration = st.penetration;
                s.penetration_at = frame.time;
            }
            s.final_mean_speed = st.mean_speed;
            s.final_centroid = st.centroid;
            deformables.insert(name, st);
        }
        let fluids = frame
            .fluids
            .iter()
            .map(|f| (world.entity(f.entity).label(), f.stats.clone()))
            .collect();
        self.frames.push(TraceFrame {
            frame: frame.index,
            t: frame.time,
            entities,
            particles,
            deformables,
            fluids,
        });
        // A hash at every whole simulated second (and at the start).
        let fps = world.settings.fps as u64;
        if frame.index.is_multiple_of(fps) {
            self.hashes.push(HashMark {
                frame: frame.index,
                t: frame.time,
                hash: format!("{:016x}", frame.state_hash),
            });
        }
    }
}
