//! Expectations: what a script says should happen, checked after the run.

use glam::Vec3;
use serde::Serialize;

use super::entity::EntityId;
use super::particles::EmitterId;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Subject {
    Entity(EntityId),
    Emitter(EmitterId),
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExpectKind {
    /// Travels at least `min_distance` metres from its start (by `by`).
    Moves { min_distance: f32, by: Option<f64> },
    /// Stays within `tolerance` metres of its start the whole run.
    StaysStill { tolerance: f32 },
    /// Has come to rest (speed below `speed`) by time `by` and stays so.
    Rests { by: f64, speed: f32 },
    /// Its lowest point never goes below `min_height`.
    AboveGround { min_height: f32 },
    /// Its centre enters the box [min, max] by time `by`.
    Reaches { min: Vec3, max: Vec3, by: f64 },
    /// Never penetrates `other` (or any collider) by more than `tolerance`.
    NoOverlap {
        other: Option<EntityId>,
        tolerance: f32,
    },
    /// Turns through at least `min_degrees` in total.
    Rotates { min_degrees: f32 },
    /// An emitter's particles move downwards on average, and at least
    /// `min_count` are alive at some point.
    ParticlesFall { min_count: u32 },
    /// An emitter's particles move upwards on average (steam, embers).
    ParticlesRise { min_count: u32 },
    /// A cloth keeps moving: its vertices' mean speed, averaged from
    /// `after` seconds on, is at least `min_speed`.
    Flutters { min_speed: f32, after: f64 },
    /// A soft body deforms by at least `min_amplitude` of its height and
    /// swings back and forth (its height turns at least twice).
    Wobbles { min_amplitude: f32 },
    /// A cloth settles (mean vertex speed below `speed` at the end) with
    /// its stretch under 10 %.
    Drapes { speed: f32 },
    /// A container's held particles (of `body`, a liquid or grains entity;
    /// any fluid when `None`) rise to at least `min_count`.
    Fills {
        body: Option<EntityId>,
        min_count: u32,
    },
    /// A liquid or granular body's particles are born and fall: at least
    /// `min_count` emitted, moving downwards on average.
    Pours { min_count: u32 },
    /// A granular body ends as a pile whose slope is within the range.
    Piles { min_angle: f32, max_angle: f32 },
}

impl ExpectKind {
    pub fn name(&self) -> &'static str {
        match self {
            ExpectKind::Moves { .. } => "moves",
            ExpectKind::StaysStill { .. } => "stays_still",
            ExpectKind::Rests { .. } => "rests",
            ExpectKind::AboveGround { .. } => "above_ground",
            ExpectKind::Reaches { .. } => "reaches",
            ExpectKind::NoOverlap { .. } => "no_overlap",
            ExpectKind::Rotates { .. } => "rotates",
            ExpectKind::ParticlesFall { .. } => "particles_fall",
            ExpectKind::ParticlesRise { .. } => "particles_rise",
            ExpectKind::Flutters { .. } => "flutters",
            ExpectKind::Wobbles { .. } => "wobbles",
            ExpectKind::Drapes { .. } => "drapes",
            ExpectKind::Fills { .. } => "fills",
            ExpectKind::Pours { .. } => "pours",
            ExpectKind::Piles { .. } => "piles",
        }
    }
}

pub const EXPECT_KINDS: &[&str] = &[
    "moves",
    "stays_still",
    "rests",
    "above_ground",
    "reaches",
    "no_overlap",
    "rotates",
    "particles_fall",
    "particles_rise",
    "flutters",
    "wobbles",
    "drapes",
    "fills",
    "pours",
    "piles",
];

#[derive(Debug, Clone, Serialize)]
pub struct Expectation {
    pub kind: ExpectKind,
    pub subject: Subject,
    /// The subject's display name, kept for reports.
    pub subject_name: String,
    pub line: usize,
}
