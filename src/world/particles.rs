//! Particle emitters: what they emit, where, when and how it behaves.

use glam::Vec3;
use serde::Serialize;

use super::entity::EntityId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct EmitterId(pub u32);

/// How particles look; the renderer draws each style its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticleStyle {
    /// Round soft dots.
    Dot,
    /// Thin streaks stretched along their motion.
    Rain,
    Snow,
    /// Small tumbling flat leaves.
    Leaf,
    /// Glowing, additive.
    Ember,
    /// Soft, growing, fading puffs.
    Steam,
    Spark,
    Dust,
    Bubble,
}

pub const STYLES: &[&str] = &[
    "dot", "rain", "snow", "leaf", "ember", "steam", "spark", "dust", "bubble",
];

impl ParticleStyle {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "dot" => Self::Dot,
            "rain" => Self::Rain,
            "snow" => Self::Snow,
            "leaf" | "leaves" => Self::Leaf,
            "ember" | "embers" | "fire" => Self::Ember,
            "steam" | "smoke" | "mist" => Self::Steam,
            "spark" | "sparks" => Self::Spark,
            "dust" | "sand" => Self::Dust,
            "bubble" | "bubbles" => Self::Bubble,
            _ => return None,
        })
    }

    /// Whether the renderer blends it additively (light-emitting styles).
    pub fn additive(self) -> bool {
        matches!(self, Self::Ember | Self::Spark)
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EmitterShape {
    Point {
        position: Vec3,
    },
    /// Uniform inside an axis-aligned box.
    Box {
        center: Vec3,
        size: Vec3,
    },
    /// Uniform inside a ball.
    Sphere {
        center: Vec3,
        radius: f32,
    },
    /// On the surface of an entity's shape, following it as it moves;
    /// velocities are along the surface normal plus the given velocity.
    Surface {
        entity: EntityId,
    },
}

/// What a particle does when it reaches the ground or a fixed surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroundResponse {
    /// Passes through (steam, embers that fade first).
    Ignore,
    /// Disappears (rain).
    Die,
    /// Bounces with the emitter's `bounce`, losing speed.
    Bounce,
    /// Comes to rest and stays, ignoring its lifetime (snow, leaves, sand).
    Settle,
    /// Runs along the surface, slowed by friction, and falls off its edges
    /// (spilled water, flowing sand).
    Slide,
}

pub const GROUND_RESPONSES: &[&str] = &["ignore", "die", "bounce", "settle", "slide"];

impl GroundResponse {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ignore" | "none" => Self::Ignore,
            "die" | "vanish" => Self::Die,
            "bounce" => Self::Bounce,
            "settle" | "rest" | "stick" => Self::Settle,
            "slide" | "flow" | "run" => Self::Slide,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Emitter {
    pub id: EmitterId,
    pub name: Option<String>,
    pub style: ParticleStyle,
    pub shape: EmitterShape,
    /// Particles per second while active.
    pub rate: f32,
    /// (time, count) bursts.
    pub bursts: Vec<(f64, u32)>,
    pub start: f64,
    pub stop: f64,
    /// Seconds, uniform in [min, max].
    pub lifetime: [f32; 2],
    /// Mean initial velocity, m/s.
    pub velocity: Vec3,
    /// Cone half-angle (degrees) around `velocity` for initial directions.
    pub spread: f32,
    /// Relative random variation of the initial speed (0..1).
    pub speed_jitter: f32,
    /// Diameter in metres at birth and at death.
    pub size: [f32; 2],
    /// Linear RGB at birth and at death.
    pub color: [Vec3; 2],
    pub opacity: [f32; 2],
    /// How strongly gravity acts (1 = fully; snow and leaves less).
    pub gravity: f32,
    /// How quickly particles take on the air's velocity, 1/s.
    pub drag: f32,
    pub ground: GroundResponse,
    pub bounce: f32,
    /// Maximum spin, degrees per second (leaves tumble).
    pub spin: f32,
    /// Cap on live particles from this emitter.
    pub max: u32,
    /// Glow strength for the renderer.
    pub emissive: f32,
    /// Per-particle random colour variation (0..1).
    pub variation: f32,
    /// Fraction of the local wind particles start with: 1 for rain and snow,
    /// which have been falling long before they come into view.
    pub inherit_wind: f32,
    pub seed: u64,
    pub line: usize,
}
