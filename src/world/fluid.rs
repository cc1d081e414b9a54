//! Liquids and granular materials: bodies of many particles that our own
//! solver (`crate::sim::fluid`) moves. Each body is also an entity (an empty
//! group) that carries its name, material and tags, so names, expectations,
//! the renderer's ID pass and the critic address it like anything else.

use glam::Vec3;
use serde::Serialize;

use super::entity::EntityId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FluidKind {
    /// Position-based fluid: incompressible, drawn as a continuous surface.
    Liquid,
    /// Grains with friction: sand, sugar, gravel; drawn grain by grain.
    Granular,
}

impl FluidKind {
    pub fn name(self) -> &'static str {
        match self {
            FluidKind::Liquid => "liquid",
            FluidKind::Granular => "grains",
        }
    }
}

/// How a source releases particles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A round stream from a spout, lip or funnel.
    Pour,
    /// A narrow, fast stream (a fountain's nozzle, a hose).
    Jet,
    /// A wide, slow sheet over an edge (a tipped cup's rim).
    Spill,
}

pub const SOURCE_KINDS: &[&str] = &["pour", "jet", "spill"];

impl SourceKind {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pour" | "stream" => Self::Pour,
            "jet" | "spray" | "fountain" => Self::Jet,
            "spill" | "sheet" => Self::Spill,
            _ => return None,
        })
    }
}

/// A place particles are born during the run.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub kind: SourceKind,
    pub position: Vec3,
    /// Mean velocity of the stream at its mouth, m/s.
    pub velocity: Vec3,
    /// Radius of the mouth (half-width of a spill's sheet), metres.
    pub width: f32,
    /// Particles per second.
    pub rate: f32,
    pub start: f64,
    pub stop: f64,
}

/// A region filled with particles at t = 0.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Region {
    Box {
        min: Vec3,
        max: Vec3,
    },
    /// Upright cylinder standing on `base`.
    Cylinder {
        base: Vec3,
        radius: f32,
        height: f32,
    },
}

impl Region {
    pub fn bounds(&self) -> (Vec3, Vec3) {
        match self {
            Region::Box { min, max } => (*min, *max),
            Region::Cylinder {
                base,
                radius,
                height,
            } => (
                *base - Vec3::new(*radius, 0.0, *radius),
                *base + Vec3::new(*radius, *height, *radius),
            ),
        }
    }

    pub fn contains(&self, p: Vec3) -> bool {
        match self {
            Region::Box { min, max } => p.cmpge(*min).all() && p.cmple(*max).all(),
            Region::Cylinder {
                base,
                radius,
                height,
            } => {
                let d = p - *base;
                d.y >= 0.0 && d.y <= *height && d.x * d.x + d.z * d.z <= radius * radius
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Fill {
    pub region: Region,
    /// Keep only points that this container encloses (its walls on four
    /// sides and below): fills a glass or a basin to a level.
    pub inside: Option<EntityId>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FluidBody {
    /// The group entity that names this body.
    pub entity: EntityId,
    pub kind: FluidKind,
    /// The preset it started from ("water", "sand", ...).
    pub preset: &'static str,
    /// Particle radius, metres; liquid particles sit 2 radii apart at rest.
    pub radius: f32,
    /// Cap on live particles.
    pub max: u32,
    /// Liquids: XSPH viscosity, 0 (water-thin) to 1 (honey-thick).
    pub viscosity: f32,
    /// Friction coefficient against walls and, for grains, between grains.
    pub friction: f32,
    /// Physical density, kg/m^3 (for pushes on rigid bodies).
    pub density: f32,
    /// Per-grain colour variation (0..1).
    pub variation: f32,
    pub sources: Vec<Source>,
    pub fills: Vec<Fill>,
    /// Particles entering these boxes are removed (drains, off-screen).
    pub sinks: Vec<(Vec3, Vec3)>,
    pub seed: u64,
    pub line: usize,
}

impl FluidBody {
    /// Volume one particle stands for: a cube of its spacing for liquids,
    /// a sphere at random close packing for grains.
    pub fn particle_volume(&self) -> f32 {
        let d = 2.0 * self.radius;
        match self.kind {
            FluidKind::Liquid => d * d * d,
            FluidKind::Granular => 4.0 / 3.0 * std::f32::consts::PI * self.radius.powi(3) / 0.62,
        }
    }

    /// Whether any source is still emitting at time `t`.
    pub fn emitting_at(&self, t: f64) -> bool {
        self.sources
            .iter()
            .any(|s| s.rate > 0.0 && t >= s.start && t < s.stop)
    }

    /// The time the last source stops (0 when there is none).
    pub fn sources_stop(&self, duration: f64) -> f64 {
        self.sources
            .iter()
            .map(|s| s.stop.min(duration))
            .fold(0.0, f64::max)
    }
}
