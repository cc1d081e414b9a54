//! Coverage: every item of the brief (objects, attributes, environment,
//! dynamics) is mapped to something measured in the world or its trace, or
//! reported as not verified. A brief item the world cannot show (a flag
//! that is not cloth, a jelly that is rigid, a forest of three trees, a flat
//! hilltop) is a finding; so is a subject or a dynamic nobody could verify,
//! because "skipped" must never read as "pass".

use std::collections::{BTreeMap, BTreeSet};

use glam::Vec3;
use serde::Serialize;

use super::finding::{Category, Finding, Severity};
use super::intent::matching_entities;
use crate::brief::{Brief, DynamicsBrief, ObjectBrief};
use crate::sim::Frame;
use crate::world::deformable::Deformable;
use crate::world::fluid::FluidKind;
use crate::world::light::{LightKind, SkyKind};
use crate::world::particles::ParticleStyle;
use crate::world::{EntityId, FieldKind, Shape, World};

/// One brief item and what the critic measured for it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Coverage {
    /// "object", "attribute", "environment" or "dynamics".
    pub part: &'static str,
    /// The brief's words: "flag", "flag: blue", "sky: overcast", "flutters: flag".
    pub item: String,
    /// "verified", "failed" (measured, and not what was asked) or
    /// "not_verified" (nothing in the world or trace could tell).
    pub status: &'static str,
    /// What was measured, or why nothing could be.
    pub measured: String,
}

/// How rich the world is, measured, for comparison with what the brief asks.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Richness {
    pub entities: usize,
    pub triangles: usize,
    /// Distinct shapes among visible entities (box, sphere, mesh, cloth...).
    pub object_kinds: usize,
    /// Trees: groups holding a bark part and foliage.
    pub trees: usize,
    /// Height range of the terrain (heightfields), metres; 0 when flat.
    pub terrain_relief_m: f32,
    pub sky: String,
    /// rain, snow, leaves, fog, wind: what weather the world has.
    pub weather: Vec<String>,
    pub cloth: usize,
    pub soft_bodies: usize,
    pub liquids: usize,
    pub grains: usize,
}

/// Shape motion of one deformable over the run (the same measures as
/// `expect("flutters")` and `expect("wobbles")`, with their defaults).
#[derive(Default, Clone)]
struct DeformTrack {
    speed_sum: f64,
    speed_frames: u32,
    ext0: Option<f32>,
    ext_range: (f32, f32),
    last_ext: f32,
    last_dir: f32,
    turns: u32,
}

/// Flutter: mean vertex speed from 1 s on, m/s (expect's default).
const FLUTTER_MIN_SPEED: f64 = 0.15;
/// Waving is gentler: a curtain in a breeze (curtain.rhai's own expect).
const WAVE_MIN_SPEED: f64 = 0.05;
/// Wobble: height change as a fraction of rest height (expect's default).
const WOBBLE_MIN_AMPLITUDE: f32 = 0.04;
/// Sway: the top of a swaying thing bends this fraction of its height.
const SWAY_MIN_BEND: f32 = 0.01;
/// Splash: a particle thrown upwards this fast between frames, m/s.
const SPLASH_MIN_RISE: f32 = 0.2;
/// Scatter: the pieces' spread (farthest from their centre) grows this much, m.
const SCATTER_MIN_GROWTH: f32 = 0.25;
/// A forest has at least this many trees (rain.rhai's small forest has 9).
const FOREST_MIN_TREES: usize = 8;
/// A hill rises at least this much above the lowest ground, metres (the
/// flag example's hilltop, nature::terrain height 1.2, measures 1.5).
const HILL_MIN_RELIEF: f32 = 1.0;

/// Records what coverage needs that the world alone does not hold.
#[derive(Default)]
pub struct CoverageRecorder {
    deform: BTreeMap<EntityId, DeformTrack>,
    first_positions: Vec<Vec3>,
    /// Most live particles per fluid body, and its fastest mean fall, m/s.
    fluid_peak: BTreeMap<EntityId, (u32, f32)>,
    /// Each fluid body's particle heights last frame (by id), and the time.
    fluid_heights: BTreeMap<EntityId, (f64, BTreeMap<u32, f32>)>,
    /// Fastest rise of any particle between frames, m/s: a splash.
    fluid_rise: BTreeMap<EntityId, f32>,
    sun_elevation: Option<f32>,
    /// Fastest air at the scene's centre, m/s: what bends swaying foliage.
    max_wind: f32,
    /// Per frame with leaves in view: their median width on screen, pixels
    /// of a 360-pixel-high frame.
    leaf_px: Vec<f32>,
    /// Per frame with leaves in the world: how many are inside the view.
    leaves_in_view: Vec<usize>,
    /// The same for rain and for snow.
    rain_in_view: Vec<usize>,
    snow_in_view: Vec<usize>,
}

/// The frame height leaf sizes are measured against: the default render's.
const REFERENCE_HEIGHT_PX: f32 = 360.0;
/// Leaves narrower than this on screen read as flecks, not leaves (the
/// renderer keeps them a pixel wide by fading them).
const LEAF_MIN_PX: f32 = 4.0;

/// A sprinkle of leaves in a corner of the frame is not "leaves falling":
/// the fall must fill some of the view.
const LEAVES_MIN_IN_VIEW: usize = 12;
/// The critic does not know the render's size; the default is 16:9.
const REFERENCE_ASPECT: f32 = 16.0 / 9.0;

/// Rain or snow the camera barely sees is not a rainstorm: this many drops
/// or flakes in view in a typical frame, at least.
const PRECIPITATION_MIN_IN_VIEW: usize = 25;

/// What one frame shows of the particles a viewer must see: per style
/// present in the world (leaves, rain, snow), how many are inside the view,
/// and the median on-screen width of the leaves in view (pixels of a
/// [`REFERENCE_HEIGHT_PX`] frame). One pass over the particles.
#[derive(Default)]
struct InView {
    leaves: Option<usize>,
    rain: Option<usize>,
    snow: Option<usize>,
    leaf_px: Option<f32>,
}

fn particles_in_view(world: &World, frame: &Frame) -> InView {
    let cam = &frame.camera;
    let forward = (cam.target - cam.position).normalize_or_zero();
    let right = forward.cross(Vec3::Y).normalize_or_zero();
    let up = right.cross(forward);
    let tan = (cam.fov.clamp(1.0, 170.0).to_radians() * 0.5).tan();
    let p = &frame.particles;
    let mut seen = InView::default();
    let mut leaf_widths = Vec::new();
    for ((pos, size), e) in p.positions.iter().zip(&p.sizes).zip(&p.emitters) {
        let Some(style) = world.emitters.get(*e as usize).map(|em| em.style) else {
            continue;
        };
        let count = match style {
            ParticleStyle::Leaf => &mut seen.leaves,
            ParticleStyle::Rain => &mut seen.rain,
            ParticleStyle::Snow => &mut seen.snow,
            _ => continue,
        };
        let count = count.get_or_insert(0);
        let d = *pos - cam.position;
        let depth = d.dot(forward);
        let inside = depth > 0.05
            && d.dot(up).abs() <= depth * tan
            && d.dot(right).abs() <= depth * tan * REFERENCE_ASPECT;
        if !inside {
            continue;
        }
        *count += 1;
        let width = size / (2.0 * depth * tan) * REFERENCE_HEIGHT_PX;
        if style == ParticleStyle::Leaf && width.is_finite() {
            leaf_widths.push(width);
        }
    }
    seen.leaf_px = median(&leaf_widths);
    seen
}

fn median<T: Copy + PartialOrd>(values: &[T]) -> Option<T> {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v.get(v.len() / 2).copied()
}

/// Why falling leaves, rain or snow that the trace shows would not read as
/// such on screen (measured, expected, message, fix), if they would not.
fn hard_to_see(kind: &str, rec: &CoverageRecorder) -> Option<(String, String, String, String)> {
    let precipitation = |frames: &[usize], things: &str| {
        let seen = median(frames).filter(|n| *n < PRECIPITATION_MIN_IN_VIEW)?;
        Some((
            format!("{seen} {things} in view in a typical frame"),
            format!("at least {PRECIPITATION_MIN_IN_VIEW} in view"),
            format!("the {kind} falls, but hardly any of it is in the camera's view"),
            format!(
                "Cover the view with it: emitter(\"{kind}\", #{{ position: [x, 8, z] over the scene, size: [30, 1, 30] }}), or bring the camera closer."
            ),
        ))
    };
    match kind {
        "rain" => precipitation(&rec.rain_in_view, "drops"),
        "snow" => precipitation(&rec.snow_in_view, "flakes"),
        "falling_leaves" => {
            if let Some(count) = median(&rec.leaves_in_view).filter(|c| *c < LEAVES_MIN_IN_VIEW) {
                return Some((
                    format!("{count} leaves in view in a typical frame"),
                    format!("at least {LEAVES_MIN_IN_VIEW} falling leaves in view"),
                    "the leaves fall, but few of them are in the camera's view".into(),
                    "Aim the camera at where the leaves fall, or emit more of them (rate: 40 over the trees' crowns).".into(),
                ));
            }
            let width = median(&rec.leaf_px).filter(|w| *w < LEAF_MIN_PX)?;
            Some((
                format!("the leaves are {width:.1} px wide in a {REFERENCE_HEIGHT_PX:.0}-px-high frame"),
                format!("falling leaves at least {LEAF_MIN_PX} px wide on screen"),
                "the leaves fall, but too small or too far away to be seen as leaves".into(),
                "Bring the camera closer to where the leaves fall, or emit bigger leaves (particle_size: [0.05, 0.09]).".into(),
            ))
        }
        _ => None,
    }
}

impl CoverageRecorder {
    pub fn record(&mut self, world: &World, frame: &Frame) {
        if self.first_positions.is_empty() {
            self.first_positions = frame.transforms.iter().map(|t| t.position).collect();
        }
        let after = 1.0_f64.min(world.settings.duration * 0.5);
        for d in &frame.deformables {
            let tr = self.deform.entry(d.entity).or_default();
            if frame.time + 1e-9 >= after {
                tr.speed_sum += d.stats.mean_speed as f64;
                tr.speed_frames += 1;
            }
            let ext = d.stats.max.y - d.stats.min.y;
            let e0 = *tr.ext0.get_or_insert_with(|| {
                tr.ext_range = (ext, ext);
                tr.last_ext = ext;
                ext
            });
            tr.ext_range = (tr.ext_range.0.min(ext), tr.ext_range.1.max(ext));
            let delta = ext - tr.last_ext;
            if delta.abs() > e0.max(1e-6) * 0.005 {
                let dir = delta.signum();
                if tr.last_dir != 0.0 && dir != tr.last_dir {
                    tr.turns += 1;
                }
                tr.last_dir = dir;
                tr.last_ext = ext;
            }
        }
        for f in &frame.fluids {
            let heights: BTreeMap<u32, f32> = f
                .ids
                .iter()
                .zip(&f.positions)
                .map(|(i, p)| (*i, p.y))
                .collect();
            if let Some((t0, before)) = self.fluid_heights.get(&f.entity) {
                let dt = (frame.time - t0) as f32;
                if dt > 0.0 {
                    let rise = heights
                        .iter()
                        .filter_map(|(i, y)| before.get(i).map(|y0| (y - y0) / dt))
                        .fold(0.0f32, f32::max);
                    let r = self.fluid_rise.entry(f.entity).or_default();
                    *r = r.max(rise);
                }
            }
            self.fluid_heights.insert(f.entity, (frame.time, heights));
            let e = self.fluid_peak.entry(f.entity).or_insert((0, 0.0));
            e.0 = e.0.max(f.stats.count);
            if f.stats.count > 0 {
                e.1 = e.1.max(f.stats.max_speed);
            }
        }
        self.max_wind = self
            .max_wind
            .max(frame.wind.length())
            .max(frame.wind_line.max_speed());
        let seen = particles_in_view(world, frame);
        self.leaf_px.extend(seen.leaf_px);
        self.leaves_in_view.extend(seen.leaves);
        self.rain_in_view.extend(seen.rain);
        self.snow_in_view.extend(seen.snow);
        for l in &frame.lights {
            if let LightKind::Sun { elevation, .. } = l.kind {
                self.sun_elevation = Some(elevation);
            }
        }
    }

    fn flutter_speed(&self, id: EntityId) -> f64 {
        self.deform
            .get(&id)
            .filter(|t| t.speed_frames > 0)
            .map_or(0.0, |t| t.speed_sum / t.speed_frames as f64)
    }

    /// (height change over rest height, turns).
    fn wobble(&self, id: EntityId) -> (f32, u32) {
        self.deform.get(&id).map_or((0.0, 0), |t| {
            let e0 = t.ext0.unwrap_or(0.0).max(1e-6);
            ((t.ext_range.1 - t.ext_range.0).max(0.0) / e0, t.turns)
        })
    }
}

/// What an object's kind needs the world to be, to be shown at all.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Needs {
    Cloth,
    Soft,
    Liquid,
    Grains,
    Trees,
    Rigid,
}

/// Judged on the head noun (the last word), so a "water bottle" is a
/// bottle and an "oil lamp" a lamp, not a liquid.
fn needs_of(kind: &str) -> Needs {
    let k = kind.to_lowercase();
    let head = k
        .split([' ', '_', '-'])
        .rfind(|p| !p.is_empty())
        .unwrap_or("");
    let has = |words: &[&str]| words.iter().any(|w| head == *w || head == format!("{w}s"));
    if has(&[
        "flag",
        "banner",
        "curtain",
        "cloth",
        "tablecloth",
        "sheet",
        "sail",
        "towel",
        "cape",
        "scarf",
        "drape",
        "blanket",
        "pennant",
    ]) {
        Needs::Cloth
    } else if has(&[
        "jelly",
        "jello",
        "pudding",
        "slime",
        "blob",
        "marshmallow",
        "gelatin",
        "dough",
        "custard",
    ]) {
        Needs::Soft
    } else if has(&[
        "water", "liquid", "juice", "milk", "coffee", "tea", "wine", "honey", "syrup", "soup",
        "paint", "oil", "beer",
    ]) {
        Needs::Liquid
    } else if has(&[
        "sand", "sugar", "salt", "rice", "gravel", "grain", "flour", "seeds", "beans",
    ]) {
        Needs::Grains
    } else if has(&["forest", "woods", "woodland", "grove", "orchard", "canopy"]) {
        Needs::Trees
    } else {
        Needs::Rigid
    }
}

/// Kinds a single primitive shape may honestly be: a ball is a sphere, a
/// crate a box. Judged on the head noun, like [`needs_of`].
const PRIMITIVE_KINDS: &[&str] = &[
    "ball", "sphere", "orb", "globe", "marble", "bubble", "balloon", "planet", "moon", "sun",
    "pearl", "bead", "egg", "box", "crate", "cube", "block", "brick", "package", "parcel", "gift",
    "present", "die", "dice", "domino", "cylinder", "can", "tin", "drum", "pillar", "column",
    "post", "pole", "stick", "rod", "pipe", "tube", "log", "plank", "board", "beam", "slab", "bar",
    "disc", "disk", "coin", "puck", "wheel", "cone", "pyramid", "torus", "ring", "donut",
    "doughnut", "capsule", "pill", "bob", "weight", "ramp", "wall", "platform", "step", "stair",
    "floor", "shelf", "tile", "lump", "stone", "pebble", "rock", "boulder", "mound", "heap",
    "pile", "target", "obstacle", "object", "thing", "shape", "prop", "barrier", "ice", "cheese",
    "cake", "soap", "sponge", "stump",
];

fn is_primitive_kind(kind: &str) -> bool {
    let k = kind.to_lowercase();
    let head = k
        .split([' ', '_', '-'])
        .rfind(|p| !p.is_empty())
        .unwrap_or("");
    // "basketball", "snowball", "cannonball".
    head.ends_with("ball")
        || PRIMITIVE_KINDS
            .iter()
            .any(|w| head == *w || head == format!("{w}s") || head == format!("{w}es"))
}

/// The one primitive shape an object is drawn as, when it is nothing more
/// (a jellyfish that is a bare sphere): None for a thing of several parts,
/// a mesh, or a deformable.
fn bare_primitive(world: &World, all: &[EntityId]) -> Option<&'static str> {
    let mut visible = all
        .iter()
        .map(|id| world.entity(*id))
        .filter(|e| e.visible && !matches!(e.shape, Shape::Group));
    let only = visible.next()?;
    if visible.next().is_some() || world.deformables.iter().any(|d| d.entity() == only.id) {
        return None;
    }
    matches!(
        only.shape,
        Shape::Box { .. }
            | Shape::Sphere { .. }
            | Shape::Cylinder { .. }
            | Shape::Capsule { .. }
            | Shape::Cone { .. }
            | Shape::Torus { .. }
    )
    .then(|| only.shape.kind_name())
}

/// Whether a brief object of this kind is a landscape (a forest, a
/// canopy) that the shot must be about, not a prop in it.
pub fn is_landscape_kind(kind: &str) -> bool {
    let k = kind.to_lowercase();
    let head = k
        .split([' ', '_', '-'])
        .rfind(|p| !p.is_empty())
        .unwrap_or("");
    needs_of(kind) == Needs::Trees
        || [
            "dune",
            "hill",
            "mountain",
            "valley",
            "terrain",
            "landscape",
            "desert",
        ]
        .iter()
        .any(|w| head == *w || head == format!("{w}s"))
}

fn needs_fix(n: Needs, name: &str) -> String {
    match n {
        Needs::Cloth => format!(
            "Make '{name}' a cloth: cloth([w, h], #{{ name: \"{name}\", pin: \"left\", attach: pole }}) and add wind(#{{ speed: 6, gust: 0.5 }}) (docs/deformables.md)."
        ),
        Needs::Soft => format!(
            "Make '{name}' a soft body: soft_body(\"box\", #{{ name: \"{name}\", size: [...], position: [...] }}) and let it drop (docs/deformables.md)."
        ),
        Needs::Liquid => format!(
            "Make '{name}' a liquid: liquid(\"water\", #{{ name: \"{name}\", ... }}) or a liquid emitter (docs/fluids.md)."
        ),
        Needs::Grains => format!(
            "Make '{name}' grains: grains(\"sand\", #{{ name: \"{name}\", ... }}) or a grain emitter (docs/fluids.md)."
        ),
        Needs::Trees => format!(
            "Plant a forest: nature::forest({FOREST_MIN_TREES}+, [area_w, area_d]) (at least {FOREST_MIN_TREES} trees)."
        ),
        Needs::Rigid => String::new(),
    }
}

/// Entities inside `id` (itself included).
fn members(world: &World, ids: &[EntityId]) -> Vec<EntityId> {
    world
        .entities
        .iter()
        .filter(|e| {
            let mut cur = Some(e.id);
            while let Some(c) = cur {
                if ids.contains(&c) {
                    return true;
                }
                cur = world.entity(c).parent;
            }
            false
        })
        .map(|e| e.id)
        .collect()
}

/// Trees: hierarchies with both a bark part and foliage (a leaf material or
/// sway), so loose roots and logs of bark are not counted.
fn tree_count(world: &World) -> usize {
    let parents_of = |f: &dyn Fn(&crate::world::Entity) -> bool| -> BTreeSet<EntityId> {
        world
            .entities
            .iter()
            .filter(|e| f(e))
            .filter_map(|e| e.parent)
            .collect()
    };
    let bark = parents_of(&|e| e.material.preset == Some("bark"));
    let foliage = parents_of(&|e| e.material.preset == Some("leaf") || e.sway > 0.0);
    bark.intersection(&foliage).count()
}

fn terrain_relief(world: &World) -> f32 {
    world
        .entities
        .iter()
        .filter(|e| matches!(e.shape, Shape::Heightfield { .. }))
        .map(|e| {
            let (lo, hi) = e.shape.local_bounds();
            (hi.y - lo.y) * e.transform.scale.y
        })
        .fold(0.0, f32::max)
}

fn has_wind(world: &World) -> bool {
    world
        .fields
        .iter()
        .any(|f| matches!(f.kind, FieldKind::Wind { .. }))
}

fn has_emitter(world: &World, style: ParticleStyle) -> bool {
    world.emitters.iter().any(|e| e.style == style)
}

pub fn richness(world: &World) -> Richness {
    let mut kinds: BTreeSet<&str> = world
        .entities
        .iter()
        .filter(|e| e.visible && !matches!(e.shape, Shape::Group))
        .map(|e| e.shape.kind_name())
        .collect();
    let count = |f: &dyn Fn(&Deformable) -> bool| world.deformables.iter().filter(|d| f(d)).count();
    let cloth = count(&|d| matches!(d, Deformable::Cloth(_)));
    let soft = count(&|d| matches!(d, Deformable::Soft(_)));
    if cloth > 0 {
        kinds.insert("cloth");
    }
    if soft > 0 {
        kinds.insert("soft body");
    }
    let mut weather = Vec::new();
    for (style, word) in [
        (ParticleStyle::Rain, "rain"),
        (ParticleStyle::Snow, "snow"),
        (ParticleStyle::Leaf, "leaves"),
    ] {
        if has_emitter(world, style) {
            weather.push(word.to_string());
        }
    }
    if world.environment.fog_density > 0.0 {
        weather.push("fog".into());
    }
    if has_wind(world) {
        weather.push("wind".into());
    }
    Richness {
        entities: world.entities.len(),
        triangles: world.triangle_count(),
        object_kinds: kinds.len(),
        trees: tree_count(world),
        terrain_relief_m: terrain_relief(world),
        sky: format!("{:?}", world.environment.sky).to_lowercase(),
        weather,
        cloth,
        soft_bodies: soft,
        liquids: world
            .fluids
            .iter()
            .filter(|f| f.kind == FluidKind::Liquid)
            .count(),
        grains: world
            .fluids
            .iter()
            .filter(|f| f.kind == FluidKind::Granular)
            .count(),
    }
}

/// Dynamics checked by [`super::intent`] (a finding there means failed,
/// none means verified); the rest are measured here.
const INTENT_CHECKED: &[&str] = &[
    "falls",
    "rolls",
    "slides",
    "bounces",
    "spins",
    "swings",
    "sways",
    "topples",
    "drifts",
    "pulsates",
    "rises",
    "flows",
    "rain",
    "snow",
    "falling_leaves",
    "wind",
    "fire",
    "embers",
    "steam",
    "glows",
    "flickers",
    "time_of_day",
    "static",
    "drapes",
];

struct Ctx<'a> {
    world: &'a World,
    last: &'a Frame,
    rec: &'a CoverageRecorder,
    span: ((u64, f64), (u64, f64)),
}

impl Ctx<'_> {
    fn finding(&self, id: &str, severity: Severity, who: &str) -> Finding {
        let f = Finding::new(id, Category::Intent, severity).span(self.span.0, self.span.1);
        if who.is_empty() { f } else { f.entity(who) }
    }

    /// Deformables of a kind, those belonging to `subject` first.
    fn deformables(&self, subject: &str, cloth: bool) -> Vec<EntityId> {
        let ids = members(self.world, &matching_entities(self.world, subject));
        let all: Vec<EntityId> = self
            .world
            .deformables
            .iter()
            .filter(|d| matches!(d, Deformable::Cloth(_)) == cloth)
            .map(|d| d.entity())
            .collect();
        let mine: Vec<EntityId> = all.iter().copied().filter(|e| ids.contains(e)).collect();
        if mine.is_empty() { all } else { mine }
    }

    fn fluids(&self, subject: &str, kind: Option<FluidKind>) -> Vec<EntityId> {
        let ids = members(self.world, &matching_entities(self.world, subject));
        let all: Vec<EntityId> = self
            .world
            .fluids
            .iter()
            .filter(|f| kind.is_none_or(|k| f.kind == k))
            .map(|f| f.entity)
            .collect();
        let mine: Vec<EntityId> = all.iter().copied().filter(|e| ids.contains(e)).collect();
        if mine.is_empty() { all } else { mine }
    }

    fn largest_dimension(&self, ids: &[EntityId]) -> Option<f32> {
        let mut lo = Vec3::splat(f32::INFINITY);
        let mut hi = Vec3::splat(f32::NEG_INFINITY);
        for id in members(self.world, ids) {
            let b = self
                .last
                .deformables
                .iter()
                .find(|d| d.entity == id)
                .map(|d| (d.stats.min, d.stats.max))
                .or(self.last.aabbs.get(id.index()).copied().flatten());
            if let Some((a, b)) = b {
                lo = lo.min(a);
                hi = hi.max(b);
            }
        }
        (lo.x <= hi.x).then(|| (hi - lo).max_element())
    }
}

/// The brief's items against the world: coverage rows and the findings for
/// what is missing, wrong or unverifiable where it matters.
pub fn assess(
    world: &World,
    brief: &Brief,
    rec: &CoverageRecorder,
    last: &Frame,
    intent_findings: &[Finding],
) -> (Vec<Coverage>, Vec<Finding>) {
    let cx = Ctx {
        world,
        last,
        rec,
        span: ((0, 0.0), (last.index, last.time)),
    };
    let mut rows = Vec::new();
    let mut out = Vec::new();
    let subject_name = brief.subject_name();
    for o in &brief.objects {
        object_coverage(&cx, o, o.name == subject_name, &mut rows, &mut out);
    }
    environment_coverage(&cx, brief, &mut rows, &mut out);
    for d in &brief.dynamics {
        dynamics_coverage(&cx, d, intent_findings, &mut rows, &mut out);
    }
    // A brief that names nothing to cover (no object, no motion, no
    // environment item) leaves the prompt unchecked: nothing verified is
    // no pass.
    if rows.is_empty() {
        out.push(
            cx.finding("intent.empty_brief", Severity::Error, "")
                .observed("a brief with no objects, dynamics or environment items".to_string())
                .expected("the prompt's subject or its motion, to verify")
                .message("the brief names nothing to check, so the world cannot be verified against its prompt".to_string())
                .fix("Plan the prompt again: its subject as an object, its motion as a dynamics item.".to_string()),
        );
        rows.push(row(
            "brief",
            "subject and dynamics".into(),
            "not_verified",
            "the brief names none".into(),
        ));
    }
    (rows, out)
}

/// The verb of a dynamics kind, for messages: "flutters" -> "flutter".
pub(super) fn verb(kind: &str) -> &str {
    if kind.ends_with("shes") || kind.ends_with("ches") {
        &kind[..kind.len() - 2]
    } else {
        kind.strip_suffix('s').unwrap_or(kind)
    }
}

/// What tells fill, splash and pile apart once particles move: particles
/// that end inside the container, particles thrown upwards, grains heaped
/// and at rest. Ok(what was measured) or Err((observed, expected, fix)).
fn fluid_shape_check(
    cx: &Ctx,
    kind: &str,
    subject: &str,
    bodies: &[EntityId],
) -> Result<String, (String, &'static str, &'static str)> {
    let views: Vec<_> = cx
        .last
        .fluids
        .iter()
        .filter(|f| bodies.contains(&f.entity))
        .collect();
    match kind {
        "fills" => {
            // The container: the subject's parts that are not fluid bodies.
            let fluid_ids: Vec<EntityId> = cx.world.fluids.iter().map(|f| f.entity).collect();
            let parts: Vec<EntityId> = members(cx.world, &matching_entities(cx.world, subject))
                .into_iter()
                .filter(|id| !fluid_ids.contains(id))
                .collect();
            let mut lo = Vec3::splat(f32::INFINITY);
            let mut hi = Vec3::splat(f32::NEG_INFINITY);
            for id in &parts {
                if let Some(Some((a, b))) = cx.last.aabbs.get(id.index()) {
                    lo = lo.min(*a);
                    hi = hi.max(*b);
                }
            }
            if lo.x > hi.x {
                return Ok("no container to measure".into());
            }
            let (inside, live) = views.iter().fold((0usize, 0usize), |(n, m), f| {
                let r = Vec3::splat(f.radius);
                let k = f
                    .positions
                    .iter()
                    .filter(|p| p.cmpge(lo - r).all() && p.cmple(hi + r).all())
                    .count();
                (n + k, m + f.positions.len())
            });
            let m = format!("{inside} of {live} particles end inside '{subject}'");
            if inside >= 20 && inside * 4 >= live {
                Ok(m)
            } else {
                Err((
                    m,
                    ">= 20 particles and a quarter of them inside the container at the end",
                    "Aim the stream into the container (emitter position and velocity over its opening) and give it time to collect.",
                ))
            }
        }
        "splashes" => {
            let rise = bodies
                .iter()
                .filter_map(|id| cx.rec.fluid_rise.get(id))
                .fold(0.0f32, |a, b| a.max(*b));
            let m = format!("particles thrown up at {rise:.2} m/s");
            if rise >= SPLASH_MIN_RISE {
                Ok(m)
            } else {
                Err((
                    m,
                    "particles thrown upwards at >= 0.2 m/s",
                    "Drop or pour the liquid from higher, faster, onto a surface or into a pool.",
                ))
            }
        }
        "piles" => {
            let (height, radius, moving) = views.iter().fold((0.0f32, 0.0f32, 0.0f32), |a, f| {
                let h = if f.positions.is_empty() {
                    0.0
                } else {
                    f.stats.max.y - f.stats.min.y
                };
                (a.0.max(h), a.1.max(f.radius), a.2.max(f.stats.moving))
            });
            let layers = height / (2.0 * radius).max(1e-6);
            let m = format!(
                "grains heaped {layers:.0} grains high, {:.0} % moving at the end",
                moving * 100.0
            );
            if layers >= 3.0 {
                Ok(m)
            } else {
                Err((
                    m,
                    "a heap at least 3 grains high",
                    "Pour more grains onto one spot (a grain emitter over it, a larger max).",
                ))
            }
        }
        _ => Ok("moving".into()),
    }
}

fn row(part: &'static str, item: String, status: &'static str, measured: String) -> Coverage {
    Coverage {
        part,
        item,
        status,
        measured,
    }
}

fn object_coverage(
    cx: &Ctx,
    o: &ObjectBrief,
    is_subject: bool,
    rows: &mut Vec<Coverage>,
    out: &mut Vec<Finding>,
) {
    let world = cx.world;
    let ids = matching_entities(world, &o.name);
    let item = if o.kind.is_empty() || o.kind == o.name {
        o.name.clone()
    } else {
        format!("{} ({})", o.name, o.kind)
    };
    if ids.is_empty() {
        // intent.missing_object already says so; the row says it too.
        rows.push(row(
            "object",
            item,
            "failed",
            format!("no entity named or tagged \"{}\"", o.name),
        ));
        return;
    }
    let all = members(world, &ids);
    let is_cloth = world
        .deformables
        .iter()
        .any(|d| matches!(d, Deformable::Cloth(_)) && all.contains(&d.entity()));
    let is_soft = world
        .deformables
        .iter()
        .any(|d| matches!(d, Deformable::Soft(_)) && all.contains(&d.entity()));
    let fluid = |k: FluidKind| {
        world
            .fluids
            .iter()
            .any(|f| f.kind == k && all.contains(&f.entity))
    };
    let kind = if o.kind.is_empty() { &o.name } else { &o.kind };
    let needs = needs_of(kind);
    // A still lake or a dune may be drawn as a surface of that material;
    // pouring and piling are judged on particles by the dynamics rows.
    let preset_is = |names: &[&str]| {
        all.iter().any(|id| {
            world
                .entity(*id)
                .material
                .preset
                .is_some_and(|p| names.contains(&p))
        })
    };
    let (fits, what) = match needs {
        Needs::Cloth => (is_cloth, "a cloth"),
        Needs::Soft => (is_soft, "a soft body"),
        Needs::Liquid => (
            fluid(FluidKind::Liquid) || preset_is(&["water"]),
            "a liquid",
        ),
        Needs::Grains => (
            fluid(FluidKind::Granular) || preset_is(&["sand", "dirt", "snow"]),
            "grains",
        ),
        Needs::Trees => {
            let n = tree_count(world);
            (n >= FOREST_MIN_TREES, "a forest")
        }
        Needs::Rigid => (true, "an entity"),
    };
    let shown_as = if is_cloth {
        "cloth".to_string()
    } else if is_soft {
        "soft body".to_string()
    } else {
        let e = world.entity(ids[0]);
        let parts = all.len();
        if parts > 1 {
            format!("{} of {parts} parts", e.shape.kind_name())
        } else {
            e.shape.kind_name().to_string()
        }
    };
    let size = cx.largest_dimension(&ids);
    let size_text = size.map_or(String::new(), |s| format!(", {s:.2} m across"));
    // The subject must look like itself: one bare sphere is no jellyfish,
    // though it is "an entity" of that name.
    let stand_in = (fits && needs == Needs::Rigid && is_subject && !is_primitive_kind(kind))
        .then(|| bare_primitive(world, &all))
        .flatten();
    if let Some(shape) = stand_in {
        let measured = format!("'{}' is one bare {shape}", o.name);
        rows.push(row("object", item.clone(), "failed", measured.clone()));
        out.push(
            cx.finding("intent.stand_in", Severity::Error, &o.name)
                .observed(measured)
                .expected(format!("something a viewer would call a {kind}"))
                .message(format!(
                    "the subject '{}' is a single {shape}: nobody watching would see a {kind} in it",
                    o.name
                ))
                .fix(format!(
                    "Build '{}' from its parts in a group (group(#{{ name: \"{}\" }}), then each part with parent: it), or call a catalog builder for it (c2w docs --assets).",
                    o.name, o.name
                )),
        );
    } else if !fits {
        let measured = if needs == Needs::Trees {
            format!("{} trees", tree_count(world))
        } else {
            format!("'{}' is a rigid {shown_as}", o.name)
        };
        rows.push(row("object", item.clone(), "failed", measured.clone()));
        let severity = if is_subject || needs == Needs::Trees {
            Severity::Error
        } else {
            Severity::Warning
        };
        out.push(
            cx.finding("intent.kind_unfit", severity, &o.name)
                .observed(measured)
                .expected(what)
                .message(format!(
                    "the brief's '{}' is a {}: the world must show it as {what}",
                    o.name, kind
                ))
                .fix(needs_fix(needs, &o.name)),
        );
    } else {
        let found = ids.len() as u32;
        rows.push(row(
            "object",
            item,
            if found >= o.count.max(1) {
                "verified"
            } else {
                "failed"
            },
            format!("{found} × {shown_as}{size_text}"),
        ));
    }
    // A planner's size for a forest ("1 m") is noise: a landscape is as
    // big as the scene.
    let want_size = o.size_m.filter(|s| *s > 0.0 && !is_landscape_kind(&o.kind));
    if let (Some(want), Some(got)) = (want_size, size)
        && o.count <= 1
    {
        let ratio = got as f64 / want;
        let ok = (1.0 / 3.0..=3.0).contains(&ratio);
        rows.push(row(
            "attribute",
            format!("{}: size {want} m", o.name),
            if ok { "verified" } else { "failed" },
            format!("{got:.2} m across"),
        ));
        if !ok {
            out.push(
                cx.finding("intent.size", Severity::Warning, &o.name)
                    .observed(format!("{got:.2} m"))
                    .expected(format!("{:.2}-{:.2} m", want / 3.0, want * 3.0))
                    .message(format!(
                        "'{}' is {got:.2} m across; the brief says about {want} m",
                        o.name
                    ))
                    .fix(format!("Size '{}' to about {want} m.", o.name)),
            );
        }
    }
    for a in &o.attributes {
        attribute_coverage(cx, o, &all, a, rows, out);
    }
}

/// Hue (degrees), saturation and value of a linear colour, in sRGB terms.
fn hsv(c: Vec3) -> (f32, f32, f32) {
    let s = c.map(|x| x.clamp(0.0, 1.0).powf(1.0 / 2.2));
    let (mx, mn) = (s.max_element(), s.min_element());
    let d = mx - mn;
    let h = if d < 1e-6 {
        0.0
    } else if mx == s.x {
        60.0 * ((s.y - s.z) / d).rem_euclid(6.0)
    } else if mx == s.y {
        60.0 * ((s.z - s.x) / d + 2.0)
    } else {
        60.0 * ((s.x - s.y) / d + 4.0)
    };
    (h, if mx > 0.0 { d / mx } else { 0.0 }, mx)
}

fn colour_fits(word: &str, c: Vec3) -> Option<bool> {
    let (h, s, v) = hsv(c);
    let hue = |lo: f32, hi: f32| s > 0.2 && v > 0.15 && h >= lo && h <= hi;
    Some(match word {
        "red" | "crimson" | "scarlet" => s > 0.3 && (h <= 20.0 || h >= 335.0),
        "orange" => hue(15.0, 45.0),
        "yellow" | "golden" => hue(40.0, 70.0),
        "green" | "lime" => hue(70.0, 170.0),
        "blue" | "navy" => hue(190.0, 260.0),
        "cyan" | "turquoise" | "teal" => hue(160.0, 200.0),
        "purple" | "violet" => hue(255.0, 320.0),
        "pink" | "magenta" => {
            hue(290.0, 350.0) || (s > 0.15 && (h <= 20.0 || h >= 330.0) && v > 0.7)
        }
        "brown" => (h <= 45.0 || h >= 345.0) && s > 0.2 && v < 0.75,
        "white" => v > 0.75 && s < 0.2,
        "black" => v < 0.2,
        "grey" | "gray" | "silver" => s < 0.2 && (0.2..=0.85).contains(&v),
        _ => return None,
    })
}

/// An attribute's row, and its warning when it failed.
#[allow(clippy::too_many_arguments)]
fn attribute_row(
    cx: &Ctx,
    o: &ObjectBrief,
    item: String,
    ok: bool,
    measured: String,
    expected: String,
    message: String,
    fix: String,
    rows: &mut Vec<Coverage>,
    out: &mut Vec<Finding>,
) {
    rows.push(row(
        "attribute",
        item,
        if ok { "verified" } else { "failed" },
        measured.clone(),
    ));
    if !ok {
        out.push(
            cx.finding("intent.attribute", Severity::Warning, &o.name)
                .observed(measured)
                .expected(expected)
                .message(message)
                .fix(fix),
        );
    }
}

fn attribute_coverage(
    cx: &Ctx,
    o: &ObjectBrief,
    all: &[EntityId],
    attribute: &str,
    rows: &mut Vec<Coverage>,
    out: &mut Vec<Finding>,
) {
    let a = attribute.to_lowercase();
    let item = format!("{}: {attribute}", o.name);
    let materials: Vec<_> = all
        .iter()
        .map(|id| &cx.last.materials[id.index()])
        .collect();
    // "soft blue and purple bioluminescence": its colour words are blue and
    // purple; a phrase is judged on the first colour word it has (else its
    // last word).
    let words: Vec<&str> = a
        .split(|c: char| !c.is_ascii_alphabetic() && c != '-')
        .filter(|w| !w.is_empty())
        .collect();
    let word = words
        .iter()
        .copied()
        .find(|w| colour_fits(w, Vec3::ZERO).is_some())
        .or(words.last().copied())
        .unwrap_or("");
    if let Some(any) = (!materials.is_empty())
        .then(|| {
            colour_fits(word, Vec3::ZERO).map(|_| {
                materials
                    .iter()
                    .any(|m| colour_fits(word, m.base_color) == Some(true))
            })
        })
        .flatten()
    {
        let (h, s, v) = hsv(materials[0].base_color);
        let measured = format!("colour hue {h:.0}°, saturation {s:.2}, value {v:.2}");
        attribute_row(
            cx,
            o,
            item,
            any,
            measured,
            format!("{word} "),
            format!("'{}' is not {word}", o.name),
            format!("Give '{}' color: a {word} hex colour.", o.name),
            rows,
            out,
        );
        return;
    }
    // An autumn tree or forest: its own foliage is turned (the season row
    // carries the finding).
    if matches!(word, "autumn" | "autumnal" | "fall") {
        let (status, measured) = autumn_foliage(cx, all);
        if status != "not_verified" {
            rows.push(row("attribute", item, status, measured));
            return;
        }
    }
    // A pose: tipped over, on its side (a spilling cup). Its own up axis,
    // in the last frame, against the world's.
    if matches!(
        word,
        "tipped" | "toppled" | "overturned" | "lying" | "side" | "fallen" | "sideways"
    ) && let Some(root) = all.first()
    {
        let up = cx.last.transforms[root.index()].rotation * Vec3::Y;
        let tilt = up.dot(Vec3::Y).clamp(-1.0, 1.0).acos().to_degrees();
        let ok = tilt > 45.0;
        let measured = format!("tilted {tilt:.0}° from upright");
        attribute_row(
            cx,
            o,
            item,
            ok,
            measured,
            "tilted more than 45° (on its side)".into(),
            format!("'{}' stands upright; the brief says it is {word}", o.name),
            format!(
                "Lay '{}' on its side: rotation: [0, 0, 90] (and rest it on its side's height).",
                o.name
            ),
            rows,
            out,
        );
        return;
    }
    // Looks the material says outright: see-through, glowing, shiny.
    let look: Option<(bool, String, &str)> = match word {
        "translucent" | "transparent" | "clear" | "see-through" => {
            let least = materials.iter().map(|m| m.opacity).fold(1.0f32, f32::min);
            let glassy = materials
                .iter()
                .any(|m| matches!(m.preset, Some("glass" | "water" | "ice")));
            Some((
                least < 0.9 || glassy,
                format!("least opacity {least:.2}"),
                "opacity: 0.5",
            ))
        }
        "glowing" | "glows" | "luminous" | "luminescent" | "bioluminescent" => {
            let most = materials
                .iter()
                .map(|m| m.emissive_strength * m.emissive.max_element())
                .fold(0.0f32, f32::max);
            Some((
                most > 0.05,
                format!("emission {most:.2}"),
                "emissive: a colour, emissive_strength: 1.5",
            ))
        }
        "shiny" | "metallic" | "glossy" | "polished" => {
            let best = materials
                .iter()
                .map(|m| m.metallic.max(1.0 - m.roughness))
                .fold(0.0f32, f32::max);
            Some((
                best > 0.6,
                format!("metallic or smoothness {best:.2}"),
                "metallic: 0.9, roughness: 0.2",
            ))
        }
        _ => None,
    };
    if let Some((ok, measured, fix)) = look.filter(|_| !materials.is_empty()) {
        attribute_row(
            cx,
            o,
            item,
            ok,
            measured,
            word.to_string(),
            format!("'{}' is not {word}", o.name),
            format!("Give '{}' {fix}.", o.name),
            rows,
            out,
        );
        return;
    }
    let preset = materials.iter().find_map(|m| m.preset);
    let known_material = [
        "glass", "metal", "wood", "wooden", "ceramic", "fabric", "gold", "stone", "plastic",
        "rubber", "leaf", "bark", "grass", "sand", "dirt", "ice", "water", "paper",
    ];
    if known_material.contains(&word) {
        let want = word.trim_end_matches("en");
        let ok = preset.is_some_and(|p| p.starts_with(want));
        rows.push(row(
            "attribute",
            item,
            if ok { "verified" } else { "failed" },
            format!("material {}", preset.unwrap_or("none")),
        ));
        if !ok {
            out.push(
                cx.finding("intent.attribute", Severity::Warning, &o.name)
                    .observed(format!("material {}", preset.unwrap_or("none")))
                    .expected(word.to_string())
                    .message(format!("'{}' is not {word}", o.name))
                    .fix(format!("Give '{}' material: \"{want}\".", o.name)),
            );
        }
        return;
    }
    rows.push(row(
        "attribute",
        item,
        "not_verified",
        "the critic has no measure for this attribute".into(),
    ));
}

/// Whether the foliage among `ids` (what sways, or wears the leaf
/// material) is mostly red, orange, yellow or brown, as in autumn: the
/// row's status and what was counted.
fn autumn_foliage(cx: &Ctx, ids: &[EntityId]) -> (&'static str, String) {
    let foliage: Vec<Vec3> = ids
        .iter()
        .map(|id| cx.world.entity(*id))
        .filter(|e| e.sway > 0.0 || cx.last.materials[e.id.index()].preset == Some("leaf"))
        .map(|e| cx.last.materials[e.id.index()].base_color)
        .collect();
    let turned = foliage
        .iter()
        .filter(|c| {
            ["red", "orange", "yellow", "brown"]
                .iter()
                .any(|w| colour_fits(w, **c) == Some(true))
        })
        .count();
    let status = match (foliage.is_empty(), turned * 2 >= foliage.len()) {
        (true, _) => "not_verified",
        (false, true) => "verified",
        (false, false) => "failed",
    };
    (
        status,
        format!(
            "{turned} of {} foliage parts in autumn colours",
            foliage.len()
        ),
    )
}

fn environment_coverage(cx: &Ctx, brief: &Brief, rows: &mut Vec<Coverage>, out: &mut Vec<Finding>) {
    let world = cx.world;
    let env = &brief.environment;
    // Where the prompt's landscape words may have landed.
    let mut text = format!(
        "{} {} {} {}",
        brief.prompt, brief.title, env.ground, brief.setting
    );
    for o in &brief.objects {
        text.push(' ');
        text.push_str(&o.placement);
        text.push(' ');
        text.push_str(&o.kind);
    }
    let text = text.to_lowercase();
    let says = |words: &[&str]| {
        text.split(|c: char| !c.is_alphanumeric())
            .any(|w| words.iter().any(|x| w == *x || w == format!("{x}s")))
    };
    let relief = terrain_relief(world);
    if says(&[
        "hill",
        "hilltop",
        "hillside",
        "mountain",
        "mountainside",
        "dune",
        "slope",
        "valley",
        "ridge",
        "cliff",
    ]) {
        let ok = relief >= HILL_MIN_RELIEF;
        let measured = format!("terrain relief {relief:.2} m");
        rows.push(row(
            "environment",
            "terrain: hills".into(),
            if ok { "verified" } else { "failed" },
            measured.clone(),
        ));
        if !ok {
            out.push(
                cx.finding("intent.terrain_flat", Severity::Error, "")
                    .observed(measured)
                    .expected(format!("relief >= {HILL_MIN_RELIEF} m"))
                    .message("the brief's landscape has hills, but the ground is flat".to_string())
                    .fix("Raise the ground: nature::terrain([60, 60], #{ height: 4.0, flat_center: 3.0 }), or heightfield(...) with the subject on the high point.".to_string()),
            );
        }
    }
    let autumn_attribute = brief.objects.iter().any(|o| {
        o.attributes
            .iter()
            .any(|a| a.to_lowercase().contains("autumn"))
    });
    if says(&["autumn", "autumnal"]) || autumn_attribute {
        let all: Vec<EntityId> = world.entities.iter().map(|e| e.id).collect();
        let (status, measured) = autumn_foliage(cx, &all);
        rows.push(row(
            "environment",
            "season: autumn".into(),
            status,
            measured.clone(),
        ));
        if status == "failed" {
            out.push(
                cx.finding("intent.season", Severity::Error, "")
                    .observed(measured)
                    .expected("most foliage red, orange, yellow or brown")
                    .message("the brief says autumn, but the foliage is still green".to_string())
                    .fix("Give the trees autumn leaves: leaf_color: pick([\"orange\", \"red\", \"gold\", \"brown\"]) in assets::tree (nature::forest takes leaf_colors: [\"orange\", \"red\", \"gold\"]).".to_string()),
            );
        }
    }
    if says(&["forest", "woods", "woodland", "grove", "jungle"])
        && !brief
            .objects
            .iter()
            .any(|o| needs_of(&o.kind) == Needs::Trees)
    {
        let n = tree_count(world);
        let ok = n >= FOREST_MIN_TREES;
        rows.push(row(
            "environment",
            "vegetation: forest".into(),
            if ok { "verified" } else { "failed" },
            format!("{n} trees"),
        ));
        if !ok {
            out.push(
                cx.finding("intent.sparse", Severity::Error, "")
                    .observed(format!("{n} trees"))
                    .expected(format!(">= {FOREST_MIN_TREES} trees"))
                    .message(format!(
                        "the brief asks for a forest; the world has {n} trees"
                    ))
                    .fix(needs_fix(Needs::Trees, "forest")),
            );
        }
    }
    if !env.ground.is_empty() {
        let ground = world.entities.iter().find(|e| {
            matches!(e.shape, Shape::Plane { .. } | Shape::Heightfield { .. })
                || e.name.as_deref() == Some("ground")
        });
        rows.push(match ground {
            Some(g) => row(
                "environment",
                format!("ground: {}", env.ground),
                "verified",
                format!(
                    "{} {}",
                    g.material.preset.unwrap_or("plain"),
                    g.shape.kind_name()
                ),
            ),
            None => row(
                "environment",
                format!("ground: {}", env.ground),
                "failed",
                "no ground plane or terrain".into(),
            ),
        });
    }
    let sky = env.sky.to_lowercase();
    if !sky.is_empty() {
        let kind = world.environment.sky;
        let elevation = cx.rec.sun_elevation;
        let overcast = matches!(kind, SkyKind::Overcast) || world.environment.fog_density > 0.0;
        let verdict = if sky.contains("overcast") || sky.contains("cloud") || sky.contains("grey") {
            Some(overcast)
        } else if sky.contains("night") {
            Some(matches!(kind, SkyKind::Night) || elevation.is_some_and(|e| e < 0.0))
        } else if sky.contains("underwater") {
            Some(matches!(kind, SkyKind::Underwater))
        } else if ["dawn", "sunrise", "dusk", "sunset", "golden"]
            .iter()
            .any(|w| sky.contains(w))
        {
            Some(matches!(kind, SkyKind::Auto) && elevation.is_some_and(|e| e < 20.0))
        } else if sky.contains("day") || sky.contains("clear") || sky.contains("blue") {
            Some(
                matches!(kind, SkyKind::Clear)
                    || (matches!(kind, SkyKind::Auto) && elevation.is_none_or(|e| e >= 10.0)),
            )
        } else {
            None
        };
        let measured = format!(
            "sky {:?}, sun elevation {}",
            kind,
            elevation.map_or("none".into(), |e| format!("{e:.0}°"))
        )
        .to_lowercase();
        rows.push(row(
            "environment",
            format!("sky: {sky}"),
            match verdict {
                Some(true) => "verified",
                Some(false) => "failed",
                None => "not_verified",
            },
            measured.clone(),
        ));
        if verdict == Some(false) {
            out.push(
                cx.finding("intent.sky", Severity::Warning, "")
                    .observed(measured)
                    .expected(sky.clone())
                    .message(format!("the brief's sky is {sky}; the world's is not"))
                    .fix("Set it: sky(#{ kind: \"overcast\" }) for cloud, \"night\", or sun(#{ elevation: ... }) for the time of day.".to_string()),
            );
        }
    }
    let weather = env.weather.to_lowercase();
    if !weather.is_empty() && weather != "clear" {
        let checks: &[(&str, bool, &str)] = &[
            (
                "rain",
                has_emitter(world, ParticleStyle::Rain),
                "emitter(\"rain\", #{ ... })",
            ),
            (
                "storm",
                has_emitter(world, ParticleStyle::Rain) && has_wind(world),
                "emitter(\"rain\", ...) and wind(...)",
            ),
            (
                "snow",
                has_emitter(world, ParticleStyle::Snow),
                "emitter(\"snow\", #{ ... })",
            ),
            (
                "fog",
                world.environment.fog_density > 0.0,
                "fog(#{ density: 0.05 })",
            ),
            (
                "mist",
                world.environment.fog_density > 0.0,
                "fog(#{ density: 0.05 })",
            ),
            ("wind", has_wind(world), "wind(#{ speed: 5, gust: 0.5 })"),
            ("breeze", has_wind(world), "wind(#{ speed: 2, gust: 0.4 })"),
            ("gust", has_wind(world), "wind(#{ speed: 5, gust: 0.8 })"),
            (
                "drizzle",
                has_emitter(world, ParticleStyle::Rain),
                "emitter(\"rain\", #{ rate: 300 })",
            ),
            (
                "downpour",
                has_emitter(world, ParticleStyle::Rain),
                "emitter(\"rain\", #{ rate: 8000 })",
            ),
            (
                "blizzard",
                has_emitter(world, ParticleStyle::Snow) && has_wind(world),
                "emitter(\"snow\", ...) and wind(...)",
            ),
            (
                "haze",
                world.environment.fog_density > 0.0,
                "fog(#{ density: 0.02 })",
            ),
        ];
        let hit = checks.iter().find(|(w, _, _)| weather.contains(w));
        rows.push(match hit {
            Some((w, ok, fix)) => {
                if !ok {
                    out.push(
                        cx.finding("intent.weather", Severity::Warning, "")
                            .observed(format!("no {w}"))
                            .expected(w.to_string())
                            .message(format!(
                                "the brief's weather is {weather}; the world has none"
                            ))
                            .fix(format!("Add {fix}.")),
                    );
                }
                row(
                    "environment",
                    format!("weather: {weather}"),
                    if *ok { "verified" } else { "failed" },
                    {
                        let w = richness(world).weather;
                        if w.is_empty() {
                            "no weather".into()
                        } else {
                            w.join(", ")
                        }
                    },
                )
            }
            None => row(
                "environment",
                format!("weather: {weather}"),
                "not_verified",
                "the critic has no measure for this weather".into(),
            ),
        });
    }
    if let Some(hour) = env.time_of_day {
        let elevation = cx.rec.sun_elevation;
        let night = matches!(world.environment.sky, SkyKind::Night);
        // Broad bands only: the hour a brief gives is a mood, not an ephemeris.
        let verdict = if !(5.0..=20.0).contains(&hour) {
            Some(night || elevation.is_none_or(|e| e < 5.0))
        } else if (9.0..=16.0).contains(&hour) {
            elevation.map(|e| e >= 15.0 && !night)
        } else {
            elevation.map(|e| e < 35.0)
        };
        let measured = format!(
            "sun elevation {}{}",
            elevation.map_or("none".into(), |e| format!("{e:.0}°")),
            if night { ", night sky" } else { "" }
        );
        rows.push(row(
            "environment",
            format!("time of day: {hour} h"),
            match verdict {
                Some(true) => "verified",
                Some(false) => "failed",
                None => "not_verified",
            },
            measured.clone(),
        ));
        if verdict == Some(false) {
            out.push(
                cx.finding("intent.hour", Severity::Warning, "")
                    .observed(measured)
                    .expected(format!("the sun of {hour} h"))
                    .message(format!("the brief's hour is {hour} h; the sun does not say so"))
                    .fix("Set the sun: sun(#{ elevation: ... }) (low for dawn and dusk, high at midday), or sky(#{ kind: \"night\" }).".to_string()),
            );
        }
    }
    if !env.lighting.is_empty() {
        rows.push(row(
            "environment",
            format!("lighting: {}", env.lighting),
            "not_verified",
            format!(
                "{} lights; the critic does not judge light quality",
                world.lights.len()
            ),
        ));
    }
}

fn dynamics_coverage(
    cx: &Ctx,
    d: &DynamicsBrief,
    intent_findings: &[Finding],
    rows: &mut Vec<Coverage>,
    out: &mut Vec<Finding>,
) {
    let item = if d.subject.is_empty() {
        d.kind.clone()
    } else {
        format!("{}: {}", d.kind, d.subject)
    };
    let failed_in_intent = intent_findings
        .iter()
        .find(|f| f.id == format!("intent.{}", d.kind));
    if let Some(f) = failed_in_intent {
        rows.push(row("dynamics", item, "failed", f.observed.clone()));
        return;
    }
    let mut fail = |obs: String, exp: &str, msg: String, fix: String| {
        out.push(
            cx.finding(&format!("intent.{}", d.kind), Severity::Error, &d.subject)
                .observed(obs.clone())
                .expected(exp)
                .message(msg)
                .fix(fix),
        );
        rows.push(row("dynamics", item.clone(), "failed", obs));
    };
    let who = if d.subject.is_empty() {
        "the scene"
    } else {
        &d.subject
    };
    let unseen = hard_to_see(&d.kind, cx.rec);
    match d.kind.as_str() {
        "flutters" | "waves" => {
            let min_speed = if d.kind == "waves" {
                WAVE_MIN_SPEED
            } else {
                FLUTTER_MIN_SPEED
            };
            let cloths = cx.deformables(&d.subject, true);
            let best = cloths
                .iter()
                .map(|id| cx.rec.flutter_speed(*id))
                .fold(0.0, f64::max);
            if cloths.is_empty() {
                fail(
                    "no cloth".into(),
                    "a cloth moving in the wind",
                    format!("'{who}' cannot {}: the world has no cloth", verb(&d.kind)),
                    needs_fix(Needs::Cloth, &d.subject),
                );
            } else if best < min_speed {
                fail(
                    format!("mean vertex speed {best:.3} m/s"),
                    &format!(">= {min_speed} m/s from 1 s on"),
                    format!("'{who}' hangs still: it does not {}", verb(&d.kind)),
                    "Add or strengthen wind(#{ speed: 6, gust: 0.5, turbulence: 0.3 }); lighten the cloth (density) and leave an edge free.".into(),
                );
            } else {
                rows.push(row(
                    "dynamics",
                    item,
                    "verified",
                    format!("cloth mean vertex speed {best:.2} m/s"),
                ));
            }
        }
        "wobbles" | "squashes" => {
            let softs = cx.deformables(&d.subject, false);
            let (amp, turns) = softs
                .iter()
                .map(|id| cx.rec.wobble(*id))
                .fold((0.0f32, 0u32), |a, b| if b.0 > a.0 { b } else { a });
            let ok = if d.kind == "wobbles" {
                amp >= WOBBLE_MIN_AMPLITUDE && turns >= 2
            } else {
                amp >= WOBBLE_MIN_AMPLITUDE
            };
            if softs.is_empty() {
                fail(
                    "no soft body".into(),
                    "a soft body",
                    format!(
                        "'{who}' cannot {}: the world has no soft body",
                        verb(&d.kind)
                    ),
                    needs_fix(Needs::Soft, &d.subject),
                );
            } else if !ok {
                fail(
                    format!("height changed {:.1} % with {turns} turns", amp * 100.0),
                    "a damped oscillation of >= 4 % of its height, 2+ turns",
                    format!("'{who}' does not {}", verb(&d.kind)),
                    "Soften it (compliance 0.001-0.005, lower damping) and drop it onto something."
                        .into(),
                );
            } else {
                rows.push(row(
                    "dynamics",
                    item,
                    "verified",
                    format!("height changed {:.1} % with {turns} turns", amp * 100.0),
                ));
            }
        }
        "pours" | "fills" | "spills" | "splashes" | "piles" => {
            let kind = if d.kind == "piles" {
                Some(FluidKind::Granular)
            } else {
                None
            };
            let bodies = cx.fluids(&d.subject, kind);
            let (count, speed) = bodies
                .iter()
                .filter_map(|id| cx.rec.fluid_peak.get(id))
                .fold((0u32, 0f32), |a, b| (a.0.max(b.0), a.1.max(b.1)));
            let moving = d.kind == "piles" || speed > 0.3;
            if bodies.is_empty() || count == 0 || !moving {
                let (needs, what) = if d.kind == "piles" {
                    (Needs::Grains, "grains")
                } else {
                    (Needs::Liquid, "a liquid")
                };
                fail(
                    if bodies.is_empty() {
                        format!("no {what}")
                    } else {
                        format!("{count} particles, fastest {speed:.2} m/s")
                    },
                    &format!("{what} that moves (particles > 0, speed > 0.3 m/s)"),
                    format!(
                        "'{who}' cannot {}: the world has no moving {what}",
                        verb(&d.kind)
                    ),
                    needs_fix(
                        needs,
                        if d.subject.is_empty() {
                            "liquid"
                        } else {
                            &d.subject
                        },
                    ),
                );
            } else {
                match fluid_shape_check(cx, &d.kind, &d.subject, &bodies) {
                    Ok(m) => rows.push(row(
                        "dynamics",
                        item,
                        "verified",
                        format!("{count} particles, fastest {speed:.2} m/s; {m}"),
                    )),
                    Err((obs, exp, fix)) => fail(
                        obs,
                        exp,
                        format!("'{who}' does not {}", verb(&d.kind)),
                        fix.into(),
                    ),
                }
            }
        }
        "scatters" => {
            let ids = matching_entities(cx.world, &d.subject);
            let spread = |ps: &dyn Fn(EntityId) -> Vec3| {
                let pts: Vec<Vec3> = ids.iter().map(|id| ps(*id)).collect();
                let c = pts.iter().copied().sum::<Vec3>() / pts.len().max(1) as f32;
                pts.iter().map(|p| p.distance(c)).fold(0.0, f32::max)
            };
            let first = spread(&|id| {
                cx.rec
                    .first_positions
                    .get(id.index())
                    .copied()
                    .unwrap_or_default()
            });
            let last = spread(&|id| cx.last.transforms[id.index()].position);
            let moved = ids
                .iter()
                .filter(|id| {
                    let a = cx.rec.first_positions.get(id.index()).copied();
                    let b = cx.last.transforms[id.index()].position;
                    a.is_some_and(|a| a.distance(b) >= 0.1)
                })
                .count();
            let measured = format!(
                "{moved} of {} pieces moved; spread {first:.2} m to {last:.2} m",
                ids.len()
            );
            if moved >= 2 && last - first >= SCATTER_MIN_GROWTH {
                rows.push(row("dynamics", item, "verified", measured));
            } else {
                fail(
                    measured,
                    "2+ pieces moving 0.1 m, their spread growing >= 0.25 m",
                    format!("'{who}' does not scatter"),
                    format!(
                        "Make several dynamic pieces tagged \"{}\" and push them apart (impulse, a blast, a fall).",
                        d.subject
                    ),
                );
            }
        }
        "sways" => {
            // The renderer bends foliage by sway × min(0.035 × wind, 0.3) of
            // its height (mesh.wgsl), periodically: measure that bend.
            let mine = members(cx.world, &matching_entities(cx.world, &d.subject));
            let amount = cx
                .world
                .entities
                .iter()
                .filter(|e| mine.is_empty() || mine.contains(&e.id))
                .map(|e| e.sway)
                .fold(0.0f32, f32::max);
            let bend = amount * (cx.rec.max_wind * 0.035).min(0.3);
            let measured = format!(
                "sway {amount:.2} in wind up to {:.1} m/s: tops bend {:.1} % of their height",
                cx.rec.max_wind,
                bend * 100.0
            );
            if bend >= SWAY_MIN_BEND {
                rows.push(row("dynamics", item, "verified", measured));
            } else {
                fail(
                    measured,
                    "a rooted thing whose top bends >= 1 % of its height, back and forth",
                    format!("'{who}' does not sway: no swaying part, or no wind where it stands"),
                    "Give the foliage sway: 0.5 (assets::tree and nature::forest take sway) and add wind(#{ speed: 4, gust: 0.5 }).".into(),
                );
            }
        }
        "rain" | "snow" | "falling_leaves" if unseen.is_some() => {
            if let Some((measured, expected, message, fix)) = unseen {
                fail(measured, &expected, message, fix);
            }
        }
        k if INTENT_CHECKED.contains(&k) => {
            rows.push(row("dynamics", item, "verified", {
                let meaning = crate::brief::DYNAMICS_MEANINGS
                    .iter()
                    .find(|(kind, _)| *kind == k)
                    .map_or("", |(_, m)| *m);
                format!("held on the trace: {meaning}")
            }));
        }
        _ => {
            let obs = "the critic has no measure for this motion".to_string();
            out.push(
                cx.finding("intent.unverified", Severity::Error, &d.subject)
                    .observed(obs.clone())
                    .expected(format!("one of: {}", crate::brief::DYNAMICS_KINDS.join(", ")))
                    .message(format!("'{}' cannot be verified, so it cannot pass", d.kind))
                    .fix("Use a dynamics kind the critic measures; the API has nothing that shows this yet.".to_string()),
            );
            rows.push(row("dynamics", item, "not_verified", obs));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_needs_what_its_head_noun_is() {
        assert_eq!(needs_of("flag"), Needs::Cloth);
        assert_eq!(needs_of("red_curtains"), Needs::Cloth);
        assert_eq!(needs_of("strawberry jelly"), Needs::Soft);
        assert_eq!(needs_of("water"), Needs::Liquid);
        assert_eq!(needs_of("pine forest"), Needs::Trees);
        assert_eq!(needs_of("water bottle"), Needs::Rigid);
        assert_eq!(needs_of("oil lamp"), Needs::Rigid);
        assert_eq!(needs_of("flag_pole"), Needs::Rigid);
    }

    #[test]
    fn kinds_read_as_verbs() {
        assert_eq!(verb("flutters"), "flutter");
        assert_eq!(verb("splashes"), "splash");
        assert_eq!(verb("waves"), "wave");
        assert_eq!(verb("piles"), "pile");
    }
}
