//! World settings, seeded randomness and noise.

use rhai::{Array, Dynamic, EvalAltResult, NativeCallContext};

use super::{Api, reg, require_building};
use crate::script::args::{Opts, array_arg, f32_arg, f64_arg, int_arg};
use crate::script::error::ApiError;
use crate::script::registry::{FnDoc, OptSpec, OptType, Topic, opt};
use crate::util::rng::{Rng, fbm3, value_noise3};

type R<T> = Result<T, Box<EvalAltResult>>;

const WORLD_OPTS: &[OptSpec] = &[
    opt(
        "duration",
        OptType::Float {
            min: 0.1,
            max: 600.0,
        },
        "5",
        "simulated seconds",
    ),
    opt(
        "fps",
        OptType::Int { min: 1, max: 240 },
        "24",
        "frames per second of trace and video",
    ),
    opt(
        "substeps",
        OptType::Int { min: 1, max: 100 },
        "10",
        "physics steps per frame; raise for stiff stacks or fast bodies",
    ),
    opt(
        "solver_iterations",
        OptType::Int { min: 1, max: 64 },
        "4",
        "constraint solver iterations; 8-16 for long joint chains (bridges, ropes) and tall stacks",
    ),
    opt("gravity", OptType::Vec3, "[0, -9.81, 0]", "m/s^2"),
    opt(
        "seed",
        OptType::Int {
            min: 0,
            max: i64::MAX,
        },
        "0",
        "seed of rand, rand_range, noise, emitters and gusts",
    ),
];

pub static WORLD: FnDoc = FnDoc {
    name: "world",
    aliases: &["scene", "settings"],
    topic: Topic::World,
    forms: &["world(options)"],
    returns: "",
    params: &[("options", "map of world settings")],
    doc: "Sets the world's duration, frame rate, physics substeps, gravity and seed. Call it first: the seed restarts `rand`. A seed given on the command line wins.",
    options: &[WORLD_OPTS],
    example: "world(#{ duration: 6, fps: 24, seed: 7 });",
};

pub static RAND: FnDoc = FnDoc {
    name: "rand",
    aliases: &["random"],
    topic: Topic::Math,
    forms: &["rand()"],
    returns: "float",
    params: &[],
    doc: "Seeded random number in [0, 1). The same seed gives the same sequence.",
    options: &[],
    example: "let x = rand() * 10.0;",
};

pub static RAND_RANGE: FnDoc = FnDoc {
    name: "rand_range",
    aliases: &["random_range"],
    topic: Topic::Math,
    forms: &["rand_range(low, high)"],
    returns: "float",
    params: &[("low", "number"), ("high", "number")],
    doc: "Seeded random number in [low, high).",
    options: &[],
    example: "let height = rand_range(2.0, 4.0);",
};

pub static RAND_INT: FnDoc = FnDoc {
    name: "rand_int",
    aliases: &["randint"],
    topic: Topic::Math,
    forms: &["rand_int(low, high)"],
    returns: "int",
    params: &[("low", "integer"), ("high", "integer, inclusive")],
    doc: "Seeded random whole number in [low, high].",
    options: &[],
    example: "let n = rand_int(3, 6);",
};

pub static PICK: FnDoc = FnDoc {
    name: "pick",
    aliases: &["choice"],
    topic: Topic::Math,
    forms: &["pick(array)"],
    returns: "any",
    params: &[("array", "non-empty array")],
    doc: "A seeded random element of an array.",
    options: &[],
    example: "let c = pick([\"red\", \"orange\", \"yellow\"]);",
};

pub static NOISE: FnDoc = FnDoc {
    name: "noise",
    aliases: &["perlin"],
    topic: Topic::Math,
    forms: &["noise(x)", "noise(x, y)", "noise(x, y, z)"],
    returns: "float",
    params: &[("x, y, z", "coordinates; features are about 1 unit wide")],
    doc: "Smooth seeded fractal noise in about [-1, 1]: terrain, variation, organic shapes.",
    options: &[],
    example: "let h = noise(0.3, 1.7) * 0.5;",
};

pub fn register(api: &mut Api) {
    let h = api.host.clone();
    reg!(api, WORLD, move |ctx: NativeCallContext,
                           options: Dynamic|
          -> R<()> {
        let _ = ctx;
        require_building(&h, WORLD.name)?;
        let o = Opts::parse(&WORLD, Some(&options))?;
        let mut host = h.borrow_mut();
        let limits = host.limits.clone();
        let s = &mut host.world.settings;
        if let Some(d) = o.f64("duration")? {
            s.duration = d;
        }
        if let Some(f) = o.int("fps")? {
            s.fps = f as u32;
        }
        if let Some(n) = o.int("substeps")? {
            s.substeps = n as u32;
        }
        if let Some(n) = o.int("solver_iterations")? {
            s.solver_iterations = n as u32;
        }
        if let Some(g) = o.vec3("gravity")? {
            s.gravity = g;
        }
        let frames = s.frame_count();
        if frames > limits.max_frames {
            return Err(ApiError::limit(
                WORLD.name,
                format!(
                    "duration x fps = {frames} frames, more than the limit of {}",
                    limits.max_frames
                ),
            )
            .with_hint("Shorten the duration or lower the fps.")
            .into());
        }
        if let Some(seed) = o.int("seed")?
            && host.seed_override.is_none()
        {
            host.world.settings.seed = seed as u64;
            host.rng = Rng::new(seed as u64);
        }
        Ok(())
    });

    let h = api.host.clone();
    reg!(api, RAND, move || -> f64 { h.borrow_mut().rng.next_f64() });

    let h = api.host.clone();
    reg!(api, RAND_RANGE, move |lo: Dynamic, hi: Dynamic| -> R<f64> {
        let lo = f64_arg(RAND_RANGE.name, "low", &lo)?;
        let hi = f64_arg(RAND_RANGE.name, "high", &hi)?;
        Ok(lo + (hi - lo) * h.borrow_mut().rng.next_f64())
    });

    let h = api.host.clone();
    reg!(api, RAND_INT, move |lo: Dynamic, hi: Dynamic| -> R<i64> {
        let lo = int_arg(RAND_INT.name, "low", &lo)?;
        let hi = int_arg(RAND_INT.name, "high", &hi)?;
        if hi < lo {
            return Err(ApiError::validation(
                RAND_INT.name,
                format!("'high' ({hi}) must be at least 'low' ({lo})"),
            )
            .into());
        }
        Ok(h.borrow_mut().rng.range_i64(lo, hi))
    });

    let h = api.host.clone();
    reg!(api, PICK, move |arr: Dynamic| -> R<Dynamic> {
        let a: Array = array_arg(PICK.name, "array", &arr)?;
        if a.is_empty() {
            return Err(ApiError::validation(PICK.name, "the array is empty").into());
        }
        let i = h.borrow_mut().rng.range_i64(0, a.len() as i64 - 1) as usize;
        Ok(a[i].clone())
    });

    let seed_of = |h: &crate::script::host::SharedHost| h.borrow().world.settings.seed;
    let (h1, h2, h3) = (api.host.clone(), api.host.clone(), api.host.clone());
    reg!(
        api,
        NOISE,
        move |x: Dynamic| -> R<f64> {
            let x = f32_arg(NOISE.name, "x", &x)?;
            Ok(fbm3(seed_of(&h1), x, 0.5, 0.25) as f64)
        },
        move |x: Dynamic, y: Dynamic| -> R<f64> {
            let x = f32_arg(NOISE.name, "x", &x)?;
            let y = f32_arg(NOISE.name, "y", &y)?;
            Ok(fbm3(seed_of(&h2), x, y, 0.25) as f64)
        },
        move |x: Dynamic, y: Dynamic, z: Dynamic| -> R<f64> {
            let x = f32_arg(NOISE.name, "x", &x)?;
            let y = f32_arg(NOISE.name, "y", &y)?;
            let z = f32_arg(NOISE.name, "z", &z)?;
            Ok(value_noise3(seed_of(&h3), x, y, z) as f64)
        },
    );
}
