//! Particle emitters and bursts.

use glam::Vec3;
use rhai::{Dynamic, EvalAltResult, NativeCallContext};

use super::{Api, EmitterHandle, call_line, check_name_free, entity_arg, reg, require_building};
use crate::script::args::{ApiResult, Opts, array_arg, describe, f64_arg, int_arg, str_arg};
use crate::script::error::ApiError;
use crate::script::host::SharedHost;
use crate::script::registry::{FnDoc, OptSpec, OptType, PropDoc, Topic, opt};
use crate::util::suggest::closest;
use crate::world::material::srgb_to_linear;
use crate::world::particles::{
    EmitterShape, GROUND_RESPONSES, GroundResponse, ParticleStyle, STYLES,
};
use crate::world::{Command, Emitter, EmitterId};

type R<T> = Result<T, Box<EvalAltResult>>;

pub const PRESETS: &[&str] = &[
    "rain", "snow", "leaves", "embers", "fire", "steam", "sparks", "dust", "bubbles",
];
const SHAPES: &[&str] = &["point", "box", "sphere", "surface"];

const EMITTER_OPTS: &[OptSpec] = &[
    opt(
        "name",
        OptType::Text,
        "none",
        "unique name (expect() and reports use it)",
    ),
    opt(
        "style",
        OptType::Choice { choices: STYLES },
        "preset's, else dot",
        "how particles are drawn",
    ),
    opt(
        "shape",
        OptType::Choice { choices: SHAPES },
        "point (box for rain/snow/leaves)",
        "where particles are born",
    ),
    opt(
        "position",
        OptType::Vec3,
        "[0, 0, 0]",
        "centre of the emitter",
    ),
    opt(
        "size",
        OptType::Vec3OrScalar { min: 0.0 },
        "[1, 1, 1]",
        "box shape: extent in metres",
    ),
    opt(
        "radius",
        OptType::Float { min: 0.0, max: 1e4 },
        "0.5",
        "sphere shape: radius",
    ),
    opt(
        "entity",
        OptType::Entity,
        "none",
        "surface shape: the entity whose surface emits",
    ),
    opt(
        "rate",
        OptType::Float { min: 0.0, max: 1e6 },
        "preset's, else 20",
        "particles per second",
    ),
    opt(
        "bursts",
        OptType::Bursts,
        "[]",
        "[[time, count], ...] extra particles at once",
    ),
    opt(
        "start",
        OptType::Float { min: 0.0, max: 1e5 },
        "0",
        "seconds before emission begins",
    ),
    opt(
        "stop",
        OptType::Float { min: 0.0, max: 1e5 },
        "never",
        "time emission ends",
    ),
    opt(
        "lifetime",
        OptType::Range {
            min: 0.01,
            max: 1e4,
        },
        "preset's, else [2, 3]",
        "seconds, [min, max]",
    ),
    opt(
        "velocity",
        OptType::Vec3,
        "preset's, else [0, 1, 0]",
        "mean initial velocity, m/s",
    ),
    opt(
        "spread",
        OptType::Float {
            min: 0.0,
            max: 180.0,
        },
        "preset's, else 20",
        "cone half-angle of initial directions, degrees",
    ),
    opt(
        "speed_jitter",
        OptType::Float { min: 0.0, max: 1.0 },
        "0.2",
        "random variation of the initial speed",
    ),
    opt(
        "particle_size",
        OptType::Range {
            min: 0.0,
            max: 100.0,
        },
        "preset's, else 0.05",
        "diameter at birth and death, [start, end], metres",
    ),
    opt(
        "color",
        OptType::Color,
        "preset's, else white",
        "colour at birth",
    ),
    opt(
        "color_end",
        OptType::Color,
        "same as color",
        "colour at death",
    ),
    opt(
        "variation",
        OptType::Float { min: 0.0, max: 1.0 },
        "preset's, else 0",
        "per-particle random colour variation",
    ),
    opt(
        "opacity",
        OptType::Range { min: 0.0, max: 1.0 },
        "[1, 1]",
        "[start, end] opacity",
    ),
    opt(
        "gravity",
        OptType::Float {
            min: -100.0,
            max: 100.0,
        },
        "preset's, else 1",
        "gravity scale; negative rises",
    ),
    opt(
        "drag",
        OptType::Float {
            min: 0.0,
            max: 100.0,
        },
        "preset's, else 0.1",
        "how fast particles follow the air (wind), 1/s",
    ),
    opt(
        "ground",
        OptType::Choice {
            choices: GROUND_RESPONSES,
        },
        "preset's, else die",
        "on reaching the ground",
    ),
    opt(
        "bounce",
        OptType::Float { min: 0.0, max: 1.0 },
        "0.3",
        "restitution for ground: \"bounce\"",
    ),
    opt(
        "spin",
        OptType::Float {
            min: 0.0,
            max: 10_000.0,
        },
        "preset's, else 0",
        "maximum tumbling speed, degrees/s",
    ),
    opt(
        "max",
        OptType::Int {
            min: 1,
            max: 200_000,
        },
        "5000",
        "cap on live particles",
    ),
    opt(
        "emissive",
        OptType::Float {
            min: 0.0,
            max: 1000.0,
        },
        "preset's, else 0",
        "glow strength",
    ),
];

pub static EMITTER: FnDoc = FnDoc {
    name: "emitter",
    aliases: &["particles", "particle_system", "spawn_particles"],
    topic: Topic::Particles,
    forms: &["emitter(options)", "emitter(preset, options)"],
    returns: "Emitter",
    params: &[(
        "preset",
        "\"rain\", \"snow\", \"leaves\", \"embers\", \"fire\", \"steam\", \"sparks\", \"dust\" or \"bubbles\": sensible defaults for all options",
    )],
    doc: "Emits particles: rain, snow, falling leaves, embers, steam, sparks. They feel gravity, drag and wind, and can settle on the ground (snow, leaves) or vanish (rain).",
    options: &[EMITTER_OPTS],
    example: "let rain = emitter(\"rain\", #{ name: \"rain\", position: [0, 8, 0], size: [12, 0.5, 12], rate: 1500 });",
};

pub static BURST: FnDoc = FnDoc {
    name: "burst",
    aliases: &[],
    topic: Topic::Particles,
    forms: &["burst(emitter, count)", "burst(emitter, count, time)"],
    returns: "",
    params: &[
        ("emitter", "Emitter or its name"),
        ("count", "particles"),
        ("time", "seconds (default: now)"),
    ],
    doc: "Emits many particles at once: splashes, explosions, a handful of thrown petals.",
    options: &[],
    example: "let sparks = emitter(\"sparks\", #{ rate: 0 });\nburst(sparks, 200, 1.0);",
};

static P_RATE: PropDoc = PropDoc {
    type_name: "Emitter",
    name: "rate",
    value: "float",
    writable: true,
    doc: "particles per second",
};

fn preset_defaults(preset: &str, id: EmitterId, seed: u64, line: usize) -> Option<Emitter> {
    let srgb = |r: f32, g: f32, b: f32| srgb_to_linear(Vec3::new(r, g, b));
    let mut e = Emitter {
        id,
        name: None,
        style: ParticleStyle::Dot,
        shape: EmitterShape::Point {
            position: Vec3::ZERO,
        },
        rate: 20.0,
        bursts: Vec::new(),
        start: 0.0,
        stop: f64::INFINITY,
        lifetime: [2.0, 3.0],
        velocity: Vec3::Y,
        spread: 20.0,
        speed_jitter: 0.2,
        size: [0.05, 0.05],
        color: [Vec3::ONE, Vec3::ONE],
        opacity: [1.0, 1.0],
        gravity: 1.0,
        drag: 0.1,
        ground: GroundResponse::Die,
        bounce: 0.3,
        spin: 0.0,
        max: 5000,
        emissive: 0.0,
        variation: 0.0,
        inherit_wind: 0.0,
        seed,
        line,
    };
    let area = |y: f32, s: Vec3| EmitterShape::Box {
        center: Vec3::new(0.0, y, 0.0),
        size: s,
    };
    match preset {
        "" => {}
        "rain" => {
            e.style = ParticleStyle::Rain;
            e.shape = area(8.0, Vec3::new(16.0, 0.5, 16.0));
            e.rate = 1500.0;
            e.lifetime = [1.6, 1.8];
            e.velocity = Vec3::new(0.0, -8.0, 0.0);
            e.spread = 2.0;
            e.speed_jitter = 0.1;
            e.size = [0.012, 0.012];
            e.color = [srgb(0.75, 0.8, 0.88); 2];
            e.opacity = [0.55, 0.55];
            e.drag = 0.6;
            e.inherit_wind = 1.0;
            e.ground = GroundResponse::Die;
            e.max = 20_000;
        }
        "snow" => {
            e.style = ParticleStyle::Snow;
            e.shape = area(7.0, Vec3::new(16.0, 0.5, 16.0));
            e.rate = 250.0;
            e.lifetime = [14.0, 18.0];
            e.velocity = Vec3::new(0.0, -0.8, 0.0);
            e.spread = 25.0;
            e.size = [0.03, 0.03];
            e.color = [Vec3::ONE; 2];
            e.gravity = 0.08;
            e.drag = 2.0;
            e.inherit_wind = 1.0;
            e.ground = GroundResponse::Settle;
            e.max = 20_000;
        }
        "leaves" => {
            e.style = ParticleStyle::Leaf;
            e.shape = area(5.0, Vec3::new(5.0, 2.0, 5.0));
            e.rate = 6.0;
            e.lifetime = [12.0, 16.0];
            e.velocity = Vec3::new(0.0, -0.3, 0.0);
            e.spread = 40.0;
            e.size = [0.09, 0.09];
            e.color = [srgb(0.85, 0.55, 0.12), srgb(0.6, 0.35, 0.12)];
            e.variation = 0.35;
            e.gravity = 0.3;
            e.drag = 1.6;
            e.inherit_wind = 0.5;
            e.spin = 220.0;
            e.ground = GroundResponse::Settle;
            e.max = 4000;
        }
        "embers" => {
            e.style = ParticleStyle::Ember;
            e.rate = 40.0;
            e.lifetime = [1.5, 3.0];
            e.velocity = Vec3::new(0.0, 1.5, 0.0);
            e.spread = 25.0;
            e.speed_jitter = 0.5;
            e.size = [0.025, 0.01];
            e.color = [srgb(1.0, 0.6, 0.15), srgb(0.7, 0.1, 0.02)];
            e.emissive = 6.0;
            e.gravity = -0.25;
            e.drag = 0.8;
            e.ground = GroundResponse::Ignore;
        }
        "fire" => {
            e.style = ParticleStyle::Ember;
            e.shape = EmitterShape::Sphere {
                center: Vec3::ZERO,
                radius: 0.25,
            };
            e.rate = 200.0;
            e.lifetime = [0.5, 1.0];
            e.velocity = Vec3::new(0.0, 1.2, 0.0);
            e.spread = 12.0;
            e.speed_jitter = 0.4;
            e.size = [0.22, 0.04];
            e.color = [srgb(1.0, 0.85, 0.35), srgb(0.9, 0.2, 0.03)];
            e.opacity = [0.9, 0.0];
            e.emissive = 5.0;
            // Buoyant but held back by the air: flames lick, they do not shoot up.
            e.gravity = -0.3;
            e.drag = 2.5;
            e.ground = GroundResponse::Ignore;
        }
        "steam" => {
            e.style = ParticleStyle::Steam;
            e.rate = 25.0;
            e.lifetime = [2.5, 4.0];
            e.velocity = Vec3::new(0.0, 0.35, 0.0);
            e.spread = 15.0;
            e.size = [0.03, 0.3];
            e.color = [Vec3::splat(0.95); 2];
            e.opacity = [0.35, 0.0];
            e.gravity = -0.04;
            e.drag = 1.2;
            e.ground = GroundResponse::Ignore;
        }
        "sparks" => {
            e.style = ParticleStyle::Spark;
            e.rate = 100.0;
            e.lifetime = [0.4, 1.0];
            e.velocity = Vec3::new(0.0, 3.0, 0.0);
            e.spread = 60.0;
            e.speed_jitter = 0.5;
            e.size = [0.012, 0.006];
            e.color = [srgb(1.0, 0.95, 0.6), srgb(1.0, 0.4, 0.1)];
            e.emissive = 8.0;
            e.drag = 0.2;
            e.ground = GroundResponse::Bounce;
        }
        "dust" => {
            e.style = ParticleStyle::Dust;
            e.rate = 100.0;
            e.lifetime = [4.0, 8.0];
            e.velocity = Vec3::new(0.0, 0.1, 0.0);
            e.spread = 80.0;
            e.size = [0.01, 0.01];
            e.color = [srgb(0.86, 0.74, 0.52); 2];
            e.variation = 0.15;
            e.gravity = 0.6;
            e.drag = 1.5;
            e.ground = GroundResponse::Settle;
            e.max = 20_000;
        }
        "bubbles" => {
            e.style = ParticleStyle::Bubble;
            e.rate = 15.0;
            e.lifetime = [3.0, 6.0];
            e.velocity = Vec3::new(0.0, 0.5, 0.0);
            e.spread = 10.0;
            e.size = [0.02, 0.04];
            e.color = [srgb(0.8, 0.9, 1.0); 2];
            e.opacity = [0.5, 0.3];
            e.gravity = -0.3;
            e.drag = 2.0;
            e.ground = GroundResponse::Ignore;
        }
        _ => return None,
    }
    Some(e)
}

fn make_emitter(
    host: &SharedHost,
    preset: Option<&Dynamic>,
    options: &Dynamic,
    line: usize,
) -> ApiResult<EmitterHandle> {
    let func = EMITTER.name;
    require_building(host, func)?;
    let o = Opts::parse(&EMITTER, Some(options))?;
    let preset_name = match preset {
        Some(p) => str_arg(func, "preset", p)?,
        None => String::new(),
    };
    let (id, seed, max_emitters) = {
        let h = host.borrow();
        let id = EmitterId(h.world.emitters.len() as u32);
        (
            id,
            h.derived_seed(0xe417 ^ id.0 as u64),
            h.limits.max_emitters,
        )
    };
    if id.0 as usize >= max_emitters {
        return Err(ApiError::limit(
            func,
            format!("more than {max_emitters} emitters"),
        ));
    }
    let mut e = preset_defaults(&preset_name, id, seed, line).ok_or_else(|| {
        ApiError::validation(func, format!("unknown preset \"{preset_name}\""))
            .with_suggestions(closest(&preset_name, PRESETS.iter().copied(), 3))
            .with_hint(format!("Presets: {}.", PRESETS.join(", ")))
    })?;
    if let Some(n) = o.text("name")? {
        check_name_free(host, func, &n)?;
        e.name = Some(n);
    }
    if let Some(s) = o.choice("style", ParticleStyle::parse)? {
        e.style = s;
    }
    let position = o.vec3("position")?.unwrap_or(Vec3::ZERO);
    let default_shape = match &e.shape {
        EmitterShape::Box { .. } => "box",
        EmitterShape::Sphere { .. } => "sphere",
        _ => "point",
    };
    let shape = o.text("shape")?.unwrap_or_else(|| {
        if o.has("entity") {
            "surface".into()
        } else if o.has("size") {
            "box".into()
        } else if o.has("radius") {
            "sphere".into()
        } else {
            default_shape.into()
        }
    });
    // Preset boxes sit at a height; an explicit position replaces it.
    let preset_center = match &e.shape {
        EmitterShape::Box { center, .. } | EmitterShape::Sphere { center, .. } => *center,
        EmitterShape::Point { position } => *position,
        EmitterShape::Surface { .. } => Vec3::ZERO,
    };
    let center = if o.has("position") {
        position
    } else {
        preset_center
    };
    e.shape = match shape.as_str() {
        "point" => EmitterShape::Point { position: center },
        "box" => {
            let preset_size = match &e.shape {
                EmitterShape::Box { size, .. } => *size,
                _ => Vec3::ONE,
            };
            EmitterShape::Box {
                center,
                size: o.vec3_or_scalar("size")?.unwrap_or(preset_size),
            }
        }
        "sphere" => {
            let preset_radius = match &e.shape {
                EmitterShape::Sphere { radius, .. } => *radius,
                _ => 0.5,
            };
            EmitterShape::Sphere {
                center,
                radius: o.f32("radius")?.unwrap_or(preset_radius),
            }
        }
        "surface" => {
            let d = o.raw("entity").ok_or_else(|| {
                ApiError::validation(func, "shape \"surface\" needs 'entity'")
                    .with_hint("Add entity: the_entity.")
            })?;
            EmitterShape::Surface {
                entity: entity_arg(host, func, "entity", d)?,
            }
        }
        other => {
            return Err(ApiError::validation(
                func,
                format!(
                    "'shape' must be one of {}, got \"{other}\"",
                    SHAPES.join(", ")
                ),
            )
            .with_suggestions(closest(other, SHAPES.iter().copied(), 3)));
        }
    };
    if let Some(v) = o.f32("rate")? {
        e.rate = v;
    }
    if let Some(d) = o.raw("bursts") {
        for (i, b) in array_arg(func, "bursts", d)?.iter().enumerate() {
            let pair = array_arg(func, &format!("bursts[{i}]"), b)?;
            if pair.len() != 2 {
                return Err(ApiError::type_error(
                    func,
                    format!("bursts[{i}] must be [time, count], got {}", describe(b)),
                ));
            }
            let t = f64_arg(func, &format!("bursts[{i}][0]"), &pair[0])?;
            let n = int_arg(func, &format!("bursts[{i}][1]"), &pair[1])?;
            if t < 0.0 || !(1..=200_000).contains(&n) {
                return Err(ApiError::validation(
                    func,
                    format!("bursts[{i}]: time must be >= 0 and count in [1, 200000]"),
                ));
            }
            e.bursts.push((t, n as u32));
        }
    }
    if let Some(v) = o.f64("start")? {
        e.start = v;
    }
    if let Some(v) = o.f64("stop")? {
        e.stop = v;
    }
    if let Some(v) = o.range("lifetime")? {
        e.lifetime = [v[0].min(v[1]), v[0].max(v[1])];
    }
    if let Some(v) = o.vec3("velocity")? {
        e.velocity = v;
    }
    if let Some(v) = o.f32("spread")? {
        e.spread = v;
    }
    if let Some(v) = o.f32("speed_jitter")? {
        e.speed_jitter = v;
    }
    if let Some(v) = o.range("particle_size")? {
        e.size = v;
    }
    if let Some(c) = o.color("color")? {
        e.color = [c, o.color("color_end")?.unwrap_or(c)];
    } else if let Some(c) = o.color("color_end")? {
        e.color[1] = c;
    }
    if let Some(v) = o.f32("variation")? {
        e.variation = v;
    }
    if let Some(v) = o.range("opacity")? {
        e.opacity = v;
    }
    if let Some(v) = o.f32("gravity")? {
        e.gravity = v;
    }
    if let Some(v) = o.f32("drag")? {
        e.drag = v;
    }
    if let Some(v) = o.f32("inherit_wind")? {
        e.inherit_wind = v;
    }
    if let Some(g) = o.choice("ground", GroundResponse::parse)? {
        e.ground = g;
    }
    if let Some(v) = o.f32("bounce")? {
        e.bounce = v;
    }
    if let Some(v) = o.f32("spin")? {
        e.spin = v;
    }
    if let Some(v) = o.int("max")? {
        e.max = v as u32;
    }
    if let Some(v) = o.f32("emissive")? {
        e.emissive = v;
    }
    if e.stop < e.start {
        return Err(ApiError::validation(
            func,
            format!("'stop' ({}) is before 'start' ({})", e.stop, e.start),
        ));
    }
    let mut h = host.borrow_mut();
    let total_max: u64 = h.world.emitters.iter().map(|x| x.max as u64).sum::<u64>()
        + e.max as u64
        + h.world.fluids.iter().map(|f| f.max as u64).sum::<u64>();
    if total_max > h.limits.max_particles as u64 {
        return Err(ApiError::limit(
            func,
            format!(
                "emitters together may keep at most {} particles alive (asked for {total_max})",
                h.limits.max_particles
            ),
        )
        .with_hint("Lower 'max' on the emitters."));
    }
    if let Some(n) = &e.name {
        h.world.index_name(n, crate::world::Named::Emitter(id));
    }
    h.world.emitters.push(e);
    Ok(EmitterHandle(id))
}

fn emitter_arg(host: &SharedHost, func: &'static str, d: &Dynamic) -> ApiResult<EmitterId> {
    if let Some(e) = d.clone().try_cast::<EmitterHandle>() {
        return Ok(e.0);
    }
    if let Some(name) = d.clone().try_cast::<rhai::ImmutableString>() {
        let h = host.borrow();
        return h.world.find_emitter(&name).ok_or_else(|| {
            let names: Vec<&str> = h
                .world
                .emitters
                .iter()
                .filter_map(|e| e.name.as_deref())
                .collect();
            ApiError::validation(func, format!("no emitter named \"{name}\""))
                .with_suggestions(closest(&name, names, 3))
        });
    }
    Err(ApiError::type_error(
        func,
        format!(
            "'emitter' must be an Emitter or its name, got {}",
            describe(d)
        ),
    ))
}

fn burst(host: &SharedHost, e: &Dynamic, n: &Dynamic, t: Option<&Dynamic>) -> ApiResult<()> {
    let func = BURST.name;
    let id = emitter_arg(host, func, e)?;
    let count = int_arg(func, "count", n)?;
    if !(1..=200_000).contains(&count) {
        return Err(ApiError::validation(
            func,
            format!("'count' must be in [1, 200000], got {count}"),
        ));
    }
    let mut h = host.borrow_mut();
    match t {
        None if h.phase.simulating() => {
            h.world.commands.push(Command::Burst {
                emitter: id,
                count: count as u32,
            });
        }
        _ => {
            let time = match t {
                Some(t) => f64_arg(func, "time", t)?,
                None => h.world.time,
            };
            if time < 0.0 {
                return Err(ApiError::validation(func, "'time' must not be negative"));
            }
            h.world.emitters[id.0 as usize]
                .bursts
                .push((time, count as u32));
        }
    }
    Ok(())
}

pub fn register(api: &mut Api) {
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        EMITTER,
        move |ctx: NativeCallContext, o: Dynamic| -> R<EmitterHandle> {
            if o.is_string() {
                // emitter("rain") with no options: a preset as it is.
                return Ok(make_emitter(
                    &h1,
                    Some(&o),
                    &Dynamic::from(rhai::Map::new()),
                    call_line(&ctx),
                )?);
            }
            Ok(make_emitter(&h1, None, &o, call_line(&ctx))?)
        },
        move |ctx: NativeCallContext, p: Dynamic, o: Dynamic| -> R<EmitterHandle> {
            Ok(make_emitter(&h2, Some(&p), &o, call_line(&ctx))?)
        }
    );
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        BURST,
        move |e: Dynamic, n: Dynamic| -> R<()> { Ok(burst(&h1, &e, &n, None)?) },
        move |e: Dynamic, n: Dynamic, t: Dynamic| -> R<()> { Ok(burst(&h2, &e, &n, Some(&t))?) }
    );
    let (hg, hs) = (api.host.clone(), api.host.clone());
    api.prop(&P_RATE)
        .register_get("rate", move |e: &mut EmitterHandle| -> f64 {
            hg.borrow().world.emitters[e.0.0 as usize].rate as f64
        })
        .register_set("rate", move |e: &mut EmitterHandle, v: Dynamic| -> R<()> {
            let v = crate::script::args::f32_arg("rate", "rate", &v)?;
            if !(0.0..=1e6).contains(&v) {
                return Err(ApiError::validation(
                    "rate",
                    format!("'rate' must be in [0, 1000000], got {v}"),
                )
                .into());
            }
            hs.borrow_mut().world.emitters[e.0.0 as usize].rate = v;
            Ok(())
        });
    api.engine
        .register_fn("to_string", |e: &mut EmitterHandle| {
            format!("Emitter(#{})", e.0.0)
        });
}
