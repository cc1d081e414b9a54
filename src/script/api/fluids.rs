//! Liquids and grains: bodies of particles our own solver moves, with
//! sources (pour, jet, spill), initial fills and sinks.

use glam::Vec3;
use rhai::{Dynamic, EvalAltResult, NativeCallContext};

use super::{Api, EntityHandle, call_line, check_name_free, entity_arg, reg, require_building};
use crate::script::args::{ApiResult, Opts};
use crate::script::error::ApiError;
use crate::script::host::SharedHost;
use crate::script::registry::{FnDoc, OptSpec, OptType, Topic, opt};
use crate::util::suggest::closest;
use crate::world::fluid::{Fill, FluidBody, FluidKind, Region, SOURCE_KINDS, Source, SourceKind};
use crate::world::material::srgb_to_linear;
use crate::world::physics::BodySpec;
use crate::world::{BodyKind, Entity, EntityId, Material, Shape, Transform};

type R<T> = Result<T, Box<EvalAltResult>>;

pub const LIQUID_PRESETS: &[&str] = &["water", "wine", "honey", "milk", "oil", "juice"];
pub const GRAIN_PRESETS: &[&str] = &["sand", "sugar", "salt", "gravel", "rice", "soil"];

const BODY_OPTS: &[OptSpec] = &[
    opt(
        "name",
        OptType::Text,
        "none",
        "unique name (expect(), reports)",
    ),
    opt("color", OptType::Color, "preset's", "colour"),
    opt(
        "opacity",
        OptType::Float { min: 0.0, max: 1.0 },
        "preset's (liquids see-through)",
        "how much of the background a liquid hides",
    ),
    opt(
        "particle_radius",
        OptType::Float {
            min: 0.0005,
            max: 0.2,
        },
        "0.004 (liquid), 0.004 (grains)",
        "metres; smaller is finer and slower",
    ),
    opt(
        "viscosity",
        OptType::Float { min: 0.0, max: 1.0 },
        "preset's: water 0.02, wine 0.04, honey 0.9",
        "liquids: 0 runny to 1 very thick",
    ),
    opt(
        "friction",
        OptType::Float { min: 0.0, max: 2.0 },
        "preset's: sand 0.8",
        "grains: between grains and on walls (tan of the angle of repose)",
    ),
    opt(
        "repose",
        OptType::Float {
            min: 5.0,
            max: 60.0,
        },
        "from friction",
        "grains: angle of repose in degrees (sets friction)",
    ),
    opt(
        "density",
        OptType::Float {
            min: 1.0,
            max: 20_000.0,
        },
        "preset's",
        "kg/m^3, for pushes on rigid bodies",
    ),
    opt(
        "variation",
        OptType::Float { min: 0.0, max: 1.0 },
        "preset's",
        "grains: colour variation between grains",
    ),
    opt(
        "max",
        OptType::Int {
            min: 1,
            max: 200_000,
        },
        "20000",
        "cap on live particles",
    ),
];

pub static LIQUID: FnDoc = FnDoc {
    name: "liquid",
    aliases: &[],
    topic: Topic::Fluids,
    forms: &["liquid(options)", "liquid(preset, options)"],
    returns: "Entity",
    params: &[(
        "preset",
        "\"water\", \"wine\", \"honey\", \"milk\", \"oil\" or \"juice\": colour, opacity, viscosity, density",
    )],
    doc: "A body of liquid (position-based fluid): give it particles with pour() and fill(); it flows, splashes, is held by containers (fixed meshes such as a lathed glass), pushes dynamic bodies, and is drawn as a continuous see-through surface. Returns an entity (its name is the liquid's).",
    options: &[BODY_OPTS],
    example: "let wine = liquid(\"wine\", #{ name: \"wine\" });\npour(wine, #{ position: [0, 0.4, 0], velocity: [0, -0.5, 0], width: 0.008, stop: 3 });",
};

pub static GRAINS: FnDoc = FnDoc {
    name: "grains",
    aliases: &[],
    topic: Topic::Fluids,
    forms: &["grains(options)", "grains(preset, options)"],
    returns: "Entity",
    params: &[(
        "preset",
        "\"sand\", \"sugar\", \"salt\", \"gravel\", \"rice\" or \"soil\": colour, grain size, friction",
    )],
    doc: "A granular body (grains with friction): poured sand piles at its angle of repose, runs through an hourglass neck and slides down slopes; rigid bodies push it around. Drawn grain by grain with colour variation.",
    options: &[BODY_OPTS],
    example: "let sand = grains(\"sand\", #{ name: \"sand\" });\npour(sand, #{ position: [0, 0.6, 0], width: 0.02, stop: 4 });",
};

const POUR_OPTS: &[OptSpec] = &[
    opt(
        "kind",
        OptType::Choice {
            choices: SOURCE_KINDS,
        },
        "pour",
        "pour (a round stream), jet (narrow and fast), spill (a wide sheet over a lip)",
    ),
    opt(
        "position",
        OptType::Vec3,
        "[0, 1, 0]",
        "the mouth of the stream",
    ),
    opt(
        "velocity",
        OptType::Vec3,
        "pour [0, -0.3, 0], jet [0, 3, 0], spill [0.4, 0, 0]",
        "m/s at the mouth",
    ),
    opt(
        "width",
        OptType::Float {
            min: 0.0,
            max: 10.0,
        },
        "pour 0.01, jet 0.005, spill 0.03",
        "radius of the mouth (half-width of a spill), metres",
    ),
    opt(
        "rate",
        OptType::Float {
            min: 0.0,
            max: 1000.0,
        },
        "from velocity and width",
        "litres per second; sets the speed along velocity",
    ),
    opt(
        "start",
        OptType::Float { min: 0.0, max: 1e5 },
        "0",
        "seconds",
    ),
    opt(
        "stop",
        OptType::Float { min: 0.0, max: 1e5 },
        "never",
        "seconds",
    ),
];

pub static POUR: FnDoc = FnDoc {
    name: "pour",
    aliases: &[],
    topic: Topic::Fluids,
    forms: &["pour(body, options)"],
    returns: "",
    params: &[("body", "a liquid() or grains() entity, or its name")],
    doc: "Adds a source to a liquid or granular body: a stream from a spout or funnel (pour), a fountain's nozzle (jet), or a sheet over a tipped cup's rim (spill). Particles are born while start <= t < stop, up to the body's max.",
    options: &[POUR_OPTS],
    example: "let water = liquid(\"water\", #{ name: \"water\" });\npour(water, #{ kind: \"jet\", position: [0, 0.3, 0], velocity: [0, 2.5, 0], width: 0.006 });",
};

const FILL_OPTS: &[OptSpec] = &[
    opt(
        "inside",
        OptType::Entity,
        "none",
        "a container: fill what its walls enclose (a glass, a basin)",
    ),
    opt(
        "level",
        OptType::Float { min: 0.0, max: 1.0 },
        "0.6",
        "with inside: fraction of the container's height",
    ),
    opt("min", OptType::Vec3, "none", "box region: lowest corner"),
    opt("max", OptType::Vec3, "none", "box region: highest corner"),
    opt(
        "base",
        OptType::Vec3,
        "none",
        "cylinder region: centre of its bottom",
    ),
    opt(
        "radius",
        OptType::Float { min: 0.0, max: 1e3 },
        "none",
        "cylinder region: radius",
    ),
    opt(
        "height",
        OptType::Float { min: 0.0, max: 1e3 },
        "none",
        "cylinder region: height",
    ),
];

pub static FILL: FnDoc = FnDoc {
    name: "fill",
    aliases: &[],
    topic: Topic::Fluids,
    forms: &["fill(body, options)"],
    returns: "",
    params: &[("body", "a liquid() or grains() entity, or its name")],
    doc: "Fills a region with the body's particles at the start: a box (min, max), an upright cylinder (base, radius, height), or the inside of a container up to a level. Points in or against rigid geometry are left out.",
    options: &[FILL_OPTS],
    example: "let glass = lathe([[0, 0], [0.035, 0], [0.04, 0.12], [0.037, 0.12], [0.032, 0.004], [0, 0.004]], #{ name: \"glass\", body: \"fixed\", collider: \"trimesh\" });\nlet water = liquid(\"water\", #{ name: \"water\" });\nfill(water, #{ inside: glass, level: 0.5 });",
};

const SINK_OPTS: &[OptSpec] = &[
    opt("min", OptType::Vec3, "required", "lowest corner"),
    opt("max", OptType::Vec3, "required", "highest corner"),
];

pub static SINK: FnDoc = FnDoc {
    name: "sink",
    aliases: &[],
    topic: Topic::Fluids,
    forms: &["sink(body, options)"],
    returns: "",
    params: &[("body", "a liquid() or grains() entity, or its name")],
    doc: "A drain: the body's particles entering the box [min, max] are removed (and counted, so conservation checks account for them). Use it under a fountain's basin overflow or below the picture.",
    options: &[SINK_OPTS],
    example: "let water = liquid(\"water\", #{ name: \"water\" });\nsink(water, #{ min: [-1, -0.5, -1], max: [1, -0.2, 1] });",
};

struct Preset {
    color: [f32; 3],
    opacity: f32,
    roughness: f32,
    viscosity: f32,
    friction: f32,
    density: f32,
    radius: f32,
    variation: f32,
}

fn liquid_preset(name: &str) -> Option<Preset> {
    let p = |color: [f32; 3], opacity, viscosity, density| Preset {
        color,
        opacity,
        roughness: 0.05,
        viscosity,
        friction: 0.1,
        density,
        radius: 0.004,
        variation: 0.0,
    };
    Some(match name {
        "water" => p([0.55, 0.72, 0.85], 0.35, 0.02, 1000.0),
        "wine" => p([0.32, 0.02, 0.06], 0.85, 0.04, 990.0),
        "honey" => p([0.85, 0.55, 0.1], 0.85, 0.9, 1420.0),
        "milk" => p([0.95, 0.94, 0.9], 1.0, 0.05, 1030.0),
        "oil" => p([0.85, 0.75, 0.25], 0.6, 0.3, 920.0),
        "juice" => p([0.98, 0.6, 0.1], 0.85, 0.04, 1050.0),
        _ => return None,
    })
}

fn grain_preset(name: &str) -> Option<Preset> {
    let p = |color: [f32; 3], friction, radius, density, variation| Preset {
        color,
        opacity: 1.0,
        roughness: 0.9,
        viscosity: 0.0,
        friction,
        density,
        radius,
        variation,
    };
    Some(match name {
        "sand" => p([0.86, 0.72, 0.48], 0.8, 0.004, 1600.0, 0.25),
        "sugar" => p([0.97, 0.96, 0.94], 0.6, 0.003, 850.0, 0.05),
        "salt" => p([0.95, 0.95, 0.97], 0.6, 0.003, 1200.0, 0.05),
        "gravel" => p([0.55, 0.53, 0.5], 0.75, 0.01, 1700.0, 0.35),
        "rice" => p([0.96, 0.94, 0.88], 0.55, 0.004, 800.0, 0.08),
        "soil" => p([0.36, 0.26, 0.18], 0.8, 0.005, 1300.0, 0.3),
        _ => return None,
    })
}

fn make_body(
    host: &SharedHost,
    doc: &'static FnDoc,
    kind: FluidKind,
    preset: Option<&Dynamic>,
    options: Option<&Dynamic>,
    line: usize,
) -> ApiResult<EntityHandle> {
    let func = doc.name;
    require_building(host, func)?;
    let o = Opts::parse(doc, options)?;
    let (presets, default) = match kind {
        FluidKind::Liquid => (LIQUID_PRESETS, "water"),
        FluidKind::Granular => (GRAIN_PRESETS, "sand"),
    };
    let name = match preset {
        Some(p) => crate::script::args::str_arg(func, "preset", p)?,
        None => default.to_string(),
    };
    let found = match kind {
        FluidKind::Liquid => liquid_preset(&name),
        FluidKind::Granular => grain_preset(&name),
    };
    let p = found.ok_or_else(|| {
        ApiError::validation(func, format!("unknown preset \"{name}\""))
            .with_suggestions(closest(&name, presets.iter().copied(), 3))
            .with_hint(format!("Presets: {}.", presets.join(", ")))
    })?;
    let preset_name: &'static str = presets
        .iter()
        .copied()
        .find(|x| *x == name)
        .unwrap_or(default);
    if kind == FluidKind::Liquid {
        for key in ["friction", "repose", "variation"] {
            if o.has(key) {
                return Err(ApiError::validation(
                    func,
                    format!("'{key}' is for grains(), not liquids"),
                )
                .with_hint("Liquids take viscosity; grains take friction or repose."));
            }
        }
    } else if o.has("viscosity") {
        return Err(
            ApiError::validation(func, "'viscosity' is for liquid(), not grains")
                .with_hint("Grains take friction or repose (degrees)."),
        );
    }
    let mut friction = o.f32("friction")?.unwrap_or(p.friction);
    if let Some(deg) = o.f32("repose")? {
        friction = libm::tanf(deg.to_radians());
    }
    let radius = o.f32("particle_radius")?.unwrap_or(p.radius);
    let max = o.int("max")?.unwrap_or(20_000) as u32;
    let color = o
        .color("color")?
        .unwrap_or_else(|| srgb_to_linear(Vec3::from_array(p.color)));
    let material = Material {
        base_color: color,
        roughness: p.roughness,
        opacity: o.f32("opacity")?.unwrap_or(p.opacity),
        ..Material::default()
    };
    let body_name = o.text("name")?;
    if let Some(n) = &body_name {
        check_name_free(host, func, n)?;
    }
    let mut h = host.borrow_mut();
    let limits = h.limits.clone();
    let emitters: u64 = h.world.emitters.iter().map(|e| e.max as u64).sum();
    let fluids: u64 = h.world.fluids.iter().map(|f| f.max as u64).sum();
    if emitters + fluids + max as u64 > limits.max_particles as u64 {
        return Err(ApiError::limit(
            func,
            format!(
                "emitters, liquids and grains together may keep at most {} particles alive (asked for {})",
                limits.max_particles,
                emitters + fluids + max as u64
            ),
        )
        .with_hint("Lower 'max', or use larger particles (particle_radius)."));
    }
    if h.world.entities.len() >= limits.max_entities {
        return Err(ApiError::limit(
            func,
            format!("more than {} entities", limits.max_entities),
        ));
    }
    let seed = h.derived_seed(0xf10d ^ h.world.fluids.len() as u64);
    let id = h.world.add_entity(Entity {
        id: EntityId(0),
        name: None,
        tags: vec![kind.name().to_string()],
        shape: Shape::Group,
        parent: None,
        transform: Transform::default(),
        material,
        body: BodySpec {
            kind: BodyKind::None,
            ..BodySpec::default()
        },
        visible: true,
        sway: 0.0,
        waves: Default::default(),
        world_space: true,
        linear_velocity: Vec3::ZERO,
        angular_velocity: Vec3::ZERO,
        line,
    });
    if let Some(n) = body_name {
        h.world.set_entity_name(id, n);
    }
    h.world.fluids.push(FluidBody {
        entity: id,
        kind,
        preset: preset_name,
        radius,
        max,
        viscosity: o.f32("viscosity")?.unwrap_or(p.viscosity),
        friction,
        density: o.f32("density")?.unwrap_or(p.density),
        variation: o.f32("variation")?.unwrap_or(p.variation),
        sources: Vec::new(),
        fills: Vec::new(),
        sinks: Vec::new(),
        seed,
        line,
    });
    Ok(EntityHandle(id))
}

/// The fluid body an argument names.
fn body_arg(host: &SharedHost, func: &'static str, d: &Dynamic) -> ApiResult<usize> {
    let id = entity_arg(host, func, "body", d)?;
    let h = host.borrow();
    h.world
        .fluids
        .iter()
        .position(|f| f.entity == id)
        .ok_or_else(|| {
            ApiError::validation(
                func,
                format!(
                    "'body': '{}' is not a liquid or grains",
                    h.world.entity(id).label()
                ),
            )
            .with_hint("Make one with liquid(...) or grains(...) and pass what it returns.")
        })
}

fn pour(host: &SharedHost, body: &Dynamic, options: &Dynamic) -> ApiResult<()> {
    let func = POUR.name;
    require_building(host, func)?;
    let o = Opts::parse(&POUR, Some(options))?;
    let bi = body_arg(host, func, body)?;
    let kind = o
        .choice("kind", SourceKind::parse)?
        .unwrap_or(SourceKind::Pour);
    let (v0, w0) = match kind {
        SourceKind::Pour => (Vec3::new(0.0, -0.3, 0.0), 0.01),
        SourceKind::Jet => (Vec3::new(0.0, 3.0, 0.0), 0.005),
        SourceKind::Spill => (Vec3::new(0.4, 0.0, 0.0), 0.03),
    };
    let mut velocity = o.vec3("velocity")?.unwrap_or(v0);
    if !velocity.is_finite() || velocity.length() > 50.0 {
        return Err(ApiError::validation(
            func,
            "'velocity' must be finite and at most 50 m/s",
        ));
    }
    let width = o.f32("width")?.unwrap_or(w0);
    if let Some(litres) = o.f32("rate")? {
        let area = match kind {
            SourceKind::Spill => 2.0 * width * 0.01,
            _ => std::f32::consts::PI * width.max(0.001).powi(2),
        };
        let speed = (litres * 1e-3 / area).min(50.0);
        velocity = velocity.normalize_or(Vec3::NEG_Y) * speed;
    }
    let start = o.f64("start")?.unwrap_or(0.0);
    let stop = o.f64("stop")?.unwrap_or(f64::INFINITY);
    if stop < start {
        return Err(ApiError::validation(
            func,
            format!("'stop' ({stop}) is before 'start' ({start})"),
        ));
    }
    let mut h = host.borrow_mut();
    let b = &mut h.world.fluids[bi];
    let d = 2.0 * b.radius;
    if width / d > 200.0 {
        return Err(ApiError::limit(
            func,
            format!(
                "'width' {width} m is more than 200 particles across (particle radius {} m)",
                b.radius
            ),
        )
        .with_hint("Use a narrower mouth or a larger particle_radius."));
    }
    if b.sources.len() >= 16 {
        return Err(ApiError::limit(func, "more than 16 sources on one body"));
    }
    b.sources.push(Source {
        kind,
        position: o.vec3("position")?.unwrap_or(Vec3::Y),
        velocity,
        width,
        rate: 1.0,
        start,
        stop,
    });
    Ok(())
}

/// World bounds of an entity and everything parented to it.
fn entity_bounds(host: &SharedHost, id: EntityId) -> Option<(Vec3, Vec3)> {
    let h = host.borrow();
    let w = &h.world;
    let transforms = w.world_transforms();
    let mut lo = Vec3::splat(f32::INFINITY);
    let mut hi = Vec3::splat(f32::NEG_INFINITY);
    for e in &w.entities {
        let mut cur = Some(e.id);
        let mut under = false;
        let mut guard = 0;
        while let Some(c) = cur {
            if c == id {
                under = true;
                break;
            }
            cur = w.entity(c).parent;
            guard += 1;
            if guard > 64 {
                break;
            }
        }
        if !under || matches!(e.shape, Shape::Group) {
            continue;
        }
        let (a, b) = e.shape.local_bounds();
        let m = transforms[e.id.index()].matrix();
        for k in 0..8 {
            let c = Vec3::new(
                if k & 1 == 0 { a.x } else { b.x },
                if k & 2 == 0 { a.y } else { b.y },
                if k & 4 == 0 { a.z } else { b.z },
            );
            let p = m.transform_point3(c);
            lo = lo.min(p);
            hi = hi.max(p);
        }
    }
    (lo.cmple(hi).all()).then_some((lo, hi))
}

fn fill(host: &SharedHost, body: &Dynamic, options: &Dynamic) -> ApiResult<()> {
    let func = FILL.name;
    require_building(host, func)?;
    let o = Opts::parse(&FILL, Some(options))?;
    let bi = body_arg(host, func, body)?;
    let inside = o
        .raw("inside")
        .map(|d| entity_arg(host, func, "inside", d))
        .transpose()?;
    let region = if o.has("min") || o.has("max") {
        let (Some(a), Some(b)) = (o.vec3("min")?, o.vec3("max")?) else {
            return Err(ApiError::validation(
                func,
                "a box region needs both 'min' and 'max'",
            ));
        };
        Region::Box {
            min: a.min(b),
            max: a.max(b),
        }
    } else if o.has("base") || o.has("radius") || o.has("height") {
        let (Some(base), Some(radius), Some(height)) =
            (o.vec3("base")?, o.f32("radius")?, o.f32("height")?)
        else {
            return Err(ApiError::validation(
                func,
                "a cylinder region needs 'base', 'radius' and 'height'",
            ));
        };
        Region::Cylinder {
            base,
            radius,
            height,
        }
    } else if let Some(c) = inside {
        let (lo, hi) = entity_bounds(host, c)
            .ok_or_else(|| ApiError::validation(func, "'inside': the container has no geometry"))?;
        let level = o.f32("level")?.unwrap_or(0.6);
        Region::Box {
            min: lo,
            max: Vec3::new(hi.x, lo.y + (hi.y - lo.y) * level, hi.z),
        }
    } else {
        return Err(ApiError::validation(func, "say where to fill").with_hint(
            "Give inside: container (with level), or min and max, or base, radius and height.",
        ));
    };
    let mut h = host.borrow_mut();
    let b = &mut h.world.fluids[bi];
    let (lo, hi) = region.bounds();
    let cells = ((hi - lo) / (2.0 * b.radius)).max(Vec3::ZERO);
    let n = cells.x as f64 * cells.y as f64 * cells.z as f64;
    if !lo.is_finite() || !hi.is_finite() || n > 4.0e6 {
        return Err(ApiError::limit(
            func,
            format!("the region holds about {n:.0} particle places; at most 4000000"),
        )
        .with_hint("Fill a smaller region or use a larger particle_radius."));
    }
    if b.fills.len() >= 16 {
        return Err(ApiError::limit(func, "more than 16 fills on one body"));
    }
    b.fills.push(Fill { region, inside });
    Ok(())
}

fn sink(host: &SharedHost, body: &Dynamic, options: &Dynamic) -> ApiResult<()> {
    let func = SINK.name;
    require_building(host, func)?;
    let o = Opts::parse(&SINK, Some(options))?;
    let bi = body_arg(host, func, body)?;
    let (Some(a), Some(b)) = (o.vec3("min")?, o.vec3("max")?) else {
        return Err(ApiError::validation(func, "a sink needs 'min' and 'max'")
            .with_hint("sink(body, #{ min: [x0, y0, z0], max: [x1, y1, z1] })"));
    };
    let mut h = host.borrow_mut();
    let f = &mut h.world.fluids[bi];
    if f.sinks.len() >= 16 {
        return Err(ApiError::limit(func, "more than 16 sinks on one body"));
    }
    f.sinks.push((a.min(b), a.max(b)));
    Ok(())
}

pub fn register(api: &mut Api) {
    for (doc, kind) in [(&LIQUID, FluidKind::Liquid), (&GRAINS, FluidKind::Granular)] {
        let (h1, h2) = (api.host.clone(), api.host.clone());
        reg!(
            api,
            *doc,
            move |ctx: NativeCallContext, o: Dynamic| -> R<EntityHandle> {
                if o.is_string() {
                    return Ok(make_body(&h1, doc, kind, Some(&o), None, call_line(&ctx))?);
                }
                Ok(make_body(&h1, doc, kind, None, Some(&o), call_line(&ctx))?)
            },
            move |ctx: NativeCallContext, p: Dynamic, o: Dynamic| -> R<EntityHandle> {
                Ok(make_body(
                    &h2,
                    doc,
                    kind,
                    Some(&p),
                    Some(&o),
                    call_line(&ctx),
                )?)
            }
        );
    }
    let h = api.host.clone();
    reg!(api, POUR, move |b: Dynamic, o: Dynamic| -> R<()> {
        Ok(pour(&h, &b, &o)?)
    });
    let h = api.host.clone();
    reg!(api, FILL, move |b: Dynamic, o: Dynamic| -> R<()> {
        Ok(fill(&h, &b, &o)?)
    });
    let h = api.host.clone();
    reg!(api, SINK, move |b: Dynamic, o: Dynamic| -> R<()> {
        Ok(sink(&h, &b, &o)?)
    });
}
