//! The run report: what happened, how long each phase took, what was
//! counted, whether expectations held.

use serde::Serialize;

use super::expect::ExpectationResult;
use super::trace::HashMark;
use crate::script::ScriptError;
use crate::world::{BodyKind, World};

#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub compile_ms: f64,
    pub build_ms: f64,
    pub simulate_ms: f64,
    pub render_ms: f64,
    pub encode_ms: f64,
    pub total_ms: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub entities: usize,
    pub named_entities: usize,
    pub dynamic_bodies: usize,
    pub kinematic_bodies: usize,
    pub fixed_bodies: usize,
    pub joints: usize,
    pub lights: usize,
    pub fields: usize,
    pub emitters: usize,
    pub particles_peak: usize,
    pub particles_emitted: u64,
    pub triangles: usize,
    pub tracks: usize,
    pub hooks: usize,
    pub expectations: usize,
}

impl Counts {
    pub fn of(world: &World) -> Counts {
        let mut c = Counts {
            entities: world.entities.len(),
            named_entities: world.entities.iter().filter(|e| e.name.is_some()).count(),
            joints: world.joints.len(),
            lights: world.lights.len(),
            fields: world.fields.len(),
            emitters: world.emitters.len(),
            triangles: world.triangle_count(),
            tracks: world.tracks.len(),
            hooks: world.hooks.len(),
            expectations: world.expectations.len(),
            ..Default::default()
        };
        for e in &world.entities {
            if world.body_owner(e.id) != Some(e.id) {
                continue;
            }
            match world.body_kind(e.id) {
                BodyKind::Dynamic => c.dynamic_bodies += 1,
                BodyKind::Kinematic => c.kinematic_bodies += 1,
                BodyKind::Fixed => c.fixed_bodies += 1,
                _ => {}
            }
        }
        c
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The script built and the simulation ran to the end.
    pub ok: bool,
    pub seed: u64,
    pub duration: f64,
    pub fps: u32,
    pub substeps: u32,
    pub frames: u64,
    pub steps: u64,
    /// Hash of the final state (bit-exact).
    pub state_hash: String,
    /// Hashes at every simulated second.
    pub hashes: Vec<HashMark>,
    pub timings: Timings,
    pub counts: Counts,
    pub expectations: Vec<ExpectationResult>,
    pub expectations_passed: bool,
    pub warnings: Vec<String>,
    /// What the script printed.
    pub logs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ScriptError>,
    /// What the renderer did, when the run was rendered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub render: Option<RenderStats>,
    /// Cloth and soft bodies over the run (stretch, volume, penetration).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deformables: Vec<super::trace::DeformSummary>,
}

/// Rendering and encoding figures of a run (filled by [`crate::output`]).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RenderStats {
    /// The graphics adapter used, as the driver names it.
    pub adapter: String,
    /// A software rasteriser (lavapipe, llvmpipe, WARP) rather than a GPU.
    pub software: bool,
    pub width: u32,
    pub height: u32,
    pub quality: String,
    pub frames: u64,
    /// CPU time to plan, encode and submit one frame (mean).
    pub render_ms_per_frame: f64,
    /// Waiting for the GPU and copying the pixels out (mean).
    pub readback_ms_per_frame: f64,
    /// RGBA to YUV and H.264 encoding on the encoder thread (mean).
    pub encode_ms_per_frame: f64,
    /// ID and depth passes for the critic (all keyframes together).
    pub analysis_ms: f64,
    /// Everything the recorder took, start to finish.
    pub wall_ms: f64,
    /// Files written, relative to the run folder.
    pub outputs: Vec<String>,
    /// Requests that could not be met (a snapshot after the end, a still
    /// that failed to write).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Why rendering stopped or never started, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
