//! Keyframes and procedural motion on any animatable property.

use glam::Vec3;
use rhai::{Dynamic, EvalAltResult, NativeCallContext};

use super::{AnyHandle, Api, any_handle, call_line, reg, require_building};
use crate::script::args::{
    ApiResult, Opts, array_arg, color_arg, describe, f32_arg, f64_arg, points_arg, str_arg,
    vec3_arg,
};
use crate::script::error::ApiError;
use crate::script::host::SharedHost;
use crate::script::registry::{FnDoc, OptSpec, OptType, Topic, opt};
use crate::util::suggest::closest;
use crate::world::animation::{EASES, ValueKind};
use crate::world::{AnimTarget, BodyKind, Ease, Motion, Property, Track, Value};

type R<T> = Result<T, Box<EvalAltResult>>;

const KEY_OPTS: &[OptSpec] = &[
    opt(
        "ease",
        OptType::Choice { choices: EASES },
        "linear",
        "interpolation between keys",
    ),
    opt("repeat", OptType::Bool, "false", "loop the keys"),
];
const OSC_OPTS: &[OptSpec] = &[
    opt(
        "phase",
        OptType::Float {
            min: -3600.0,
            max: 3600.0,
        },
        "0",
        "degrees",
    ),
    opt(
        "start",
        OptType::Float { min: 0.0, max: 1e5 },
        "0",
        "seconds before it starts",
    ),
];
const SPIN_OPTS: &[OptSpec] = &[opt(
    "start",
    OptType::Float { min: 0.0, max: 1e5 },
    "0",
    "seconds before it starts",
)];
const PATH_OPTS: &[OptSpec] = &[
    opt("repeat", OptType::Bool, "false", "loop along the path"),
    opt(
        "orient",
        OptType::Bool,
        "false",
        "turn to face the direction of travel (-Z forward)",
    ),
    opt(
        "start",
        OptType::Float { min: 0.0, max: 1e5 },
        "0",
        "seconds before it starts",
    ),
];

pub static ANIMATE: FnDoc = FnDoc {
    name: "animate",
    aliases: &["keyframe", "keyframes", "tween"],
    topic: Topic::Animation,
    forms: &[
        "animate(target, property, keys)",
        "animate(target, property, keys, options)",
    ],
    returns: "",
    params: &[
        (
            "target",
            "Entity, Light, Camera, Field, Emitter, a name, or \"environment\"",
        ),
        (
            "property",
            "entity: position, rotation, scale, color, emissive, emissive_strength, opacity, roughness, metallic; light: intensity, color, elevation, azimuth, time_of_day, position, target; camera: position, target, fov; field: strength; emitter: rate, position; environment: fog_density, fog_color, ambient, exposure, color",
        ),
        (
            "keys",
            "list of [time, value]; values are numbers, [x, y, z] or colours",
        ),
    ],
    doc: "Keyframe animation. Moving a body's position or rotation makes it kinematic (it pushes dynamic bodies); dynamic bodies cannot be keyframed.",
    options: &[KEY_OPTS],
    example: "let s = sun(#{ elevation: 5 });\nanimate(s, \"elevation\", [[0, 5], [3, 60], [6, 5]], #{ ease: \"ease_in_out\" });",
};

pub static OSCILLATE: FnDoc = FnDoc {
    name: "oscillate",
    aliases: &[],
    topic: Topic::Animation,
    forms: &[
        "oscillate(target, property, amplitude, frequency)",
        "oscillate(target, property, amplitude, frequency, options)",
    ],
    returns: "",
    params: &[
        ("target", "as for animate"),
        ("property", "as for animate"),
        (
            "amplitude",
            "number or [x, y, z]: the swing around the current value",
        ),
        ("frequency", "cycles per second"),
    ],
    doc: "Swings a property back and forth around its value: bobbing, pulsing, flickering, breathing.",
    options: &[OSC_OPTS],
    example: "let buoy = sphere(0.3, #{ position: [0, 0.2, 0], color: \"orange\" });\noscillate(buoy, \"position\", [0, 0.1, 0], 0.5);",
};

pub static SPIN: FnDoc = FnDoc {
    name: "spin",
    aliases: &["rotate"],
    topic: Topic::Animation,
    forms: &[
        "spin(target, axis, speed)",
        "spin(target, axis, speed, options)",
    ],
    returns: "",
    params: &[
        ("target", "Entity"),
        ("axis", "[x, y, z] axis in world space"),
        ("speed", "degrees per second"),
    ],
    doc: "Turns an entity steadily about an axis: fans, wheels, turntables, planets. A spinning body becomes kinematic.",
    options: &[SPIN_OPTS],
    example: "let fan = box([1.2, 0.02, 0.1], #{ position: [0, 2, 0] });\nspin(fan, [0, 1, 0], 180);",
};

pub static FOLLOW_PATH: FnDoc = FnDoc {
    name: "follow_path",
    aliases: &["move_along", "path"],
    topic: Topic::Animation,
    forms: &[
        "follow_path(target, points, duration)",
        "follow_path(target, points, duration, options)",
    ],
    returns: "",
    params: &[
        ("target", "Entity, Camera or Light"),
        ("points", "list of [x, y, z] the smooth path passes through"),
        ("duration", "seconds to travel it"),
    ],
    doc: "Moves along a smooth curve through points: a camera dolly, a drifting jellyfish, a boat.",
    options: &[PATH_OPTS],
    example: "let cam = camera(#{ position: [6, 2, 6], target: [0, 0.5, 0] });\nfollow_path(cam, [[6, 2, 6], [0, 2.5, 8], [-6, 2, 6]], 6);",
};

fn target_of(host: &SharedHost, func: &'static str, d: &Dynamic) -> ApiResult<AnimTarget> {
    if d.clone()
        .try_cast::<rhai::ImmutableString>()
        .is_some_and(|s| s == "environment" || s == "sky")
    {
        return Ok(AnimTarget::Environment);
    }
    Ok(match any_handle(host, func, "target", d)? {
        AnyHandle::Entity(id) => AnimTarget::Entity(id),
        AnyHandle::Light(id) => AnimTarget::Light(id),
        AnyHandle::Camera => AnimTarget::Camera,
        AnyHandle::Field(id) => AnimTarget::Field(id),
        AnyHandle::Emitter(id) => AnimTarget::Emitter(id),
    })
}

fn property_of(func: &'static str, target: &AnimTarget, d: &Dynamic) -> ApiResult<Property> {
    let name = str_arg(func, "property", d)?;
    let valid = Property::valid_for(target);
    let names: Vec<&str> = valid.iter().map(|p| p.name()).collect();
    Property::ALL
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| *p)
        .filter(|p| valid.contains(p))
        .ok_or_else(|| {
            ApiError::validation(func, format!("\"{name}\" is not animatable on this target"))
                .with_suggestions(closest(&name, names.iter().copied(), 3))
                .with_hint(format!("Animatable here: {}.", names.join(", ")))
        })
}

fn value_of(func: &'static str, param: &str, property: Property, d: &Dynamic) -> ApiResult<Value> {
    Ok(match property.value_kind() {
        ValueKind::Scalar => Value::Scalar(f32_arg(func, param, d)?),
        ValueKind::Vector => Value::Vector(vec3_arg(func, param, d)?),
        ValueKind::Color => Value::Vector(color_arg(func, param, d)?),
    })
}

/// Entities whose transform is animated must not be dynamic; fixed ones turn
/// kinematic so that what they touch feels them move.
fn prepare_transform_target(
    host: &SharedHost,
    func: &'static str,
    target: &AnimTarget,
    property: Property,
) -> ApiResult<()> {
    let AnimTarget::Entity(id) = *target else {
        return Ok(());
    };
    if !matches!(property, Property::Position | Property::Rotation) {
        return Ok(());
    }
    let mut h = host.borrow_mut();
    match h.world.body_kind(id) {
        BodyKind::Dynamic => Err(ApiError::validation(
            func,
            format!(
                "'{}' is a dynamic body; physics moves it, so its {} cannot be animated",
                h.world.entity(id).label(),
                property.name()
            ),
        )
        .with_hint(
            "Use body: \"kinematic\" for scripted motion, or push it with impulse()/force().",
        )),
        BodyKind::Fixed => {
            // Only an entity that owns its body can be switched.
            if h.world.body_owner(id) == Some(id) {
                h.world.entity_mut(id).body.kind = BodyKind::Kinematic;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn animate(
    host: &SharedHost,
    t: &Dynamic,
    p: &Dynamic,
    keys: &Dynamic,
    options: Option<&Dynamic>,
    line: usize,
) -> ApiResult<()> {
    let func = ANIMATE.name;
    require_building(host, func)?;
    let o = Opts::parse(&ANIMATE, options)?;
    let target = target_of(host, func, t)?;
    let property = property_of(func, &target, p)?;
    let mut parsed = Vec::new();
    for (i, k) in array_arg(func, "keys", keys)?.iter().enumerate() {
        let pair = array_arg(func, &format!("keys[{i}]"), k)?;
        if pair.len() != 2 {
            return Err(ApiError::type_error(
                func,
                format!("keys[{i}] must be [time, value], got {}", describe(k)),
            )
            .with_hint("Keys look like [[0, 1.0], [2, 3.0]]: a list of [time, value] pairs."));
        }
        let time = f64_arg(func, &format!("keys[{i}][0]"), &pair[0])?;
        if time < 0.0 {
            return Err(ApiError::validation(
                func,
                format!("keys[{i}]: time must not be negative"),
            ));
        }
        if let Some((prev, _)) = parsed.last()
            && time <= *prev
        {
            return Err(ApiError::validation(
                func,
                format!("keys[{i}]: times must increase ({time} after {prev})"),
            ));
        }
        parsed.push((
            time,
            value_of(func, &format!("keys[{i}][1]"), property, &pair[1])?,
        ));
    }
    if parsed.is_empty() {
        return Err(ApiError::validation(func, "'keys' is empty"));
    }
    let ease = o.choice("ease", Ease::parse)?.unwrap_or(Ease::Linear);
    prepare_transform_target(host, func, &target, property)?;
    host.borrow_mut().world.tracks.push(Track {
        target,
        property,
        motion: Motion::Keys {
            keys: parsed,
            ease,
            repeat: o.bool("repeat")?.unwrap_or(false),
        },
        start: 0.0,
        line,
    });
    Ok(())
}

fn oscillate(
    host: &SharedHost,
    t: &Dynamic,
    p: &Dynamic,
    amp: &Dynamic,
    freq: &Dynamic,
    options: Option<&Dynamic>,
    line: usize,
) -> ApiResult<()> {
    let func = OSCILLATE.name;
    require_building(host, func)?;
    let o = Opts::parse(&OSCILLATE, options)?;
    let target = target_of(host, func, t)?;
    let property = property_of(func, &target, p)?;
    let amplitude = match property.value_kind() {
        ValueKind::Scalar => Value::Scalar(f32_arg(func, "amplitude", amp)?),
        _ => Value::Vector(crate::script::args::vec3_or_scalar(func, "amplitude", amp)?),
    };
    let frequency = f32_arg(func, "frequency", freq)?;
    if !(0.0..=1000.0).contains(&frequency) {
        return Err(ApiError::validation(
            func,
            format!("'frequency' must be in [0, 1000] cycles per second, got {frequency}"),
        ));
    }
    prepare_transform_target(host, func, &target, property)?;
    host.borrow_mut().world.tracks.push(Track {
        target,
        property,
        motion: Motion::Oscillate {
            amplitude,
            frequency,
            phase_deg: o.f32("phase")?.unwrap_or(0.0),
        },
        start: o.f64("start")?.unwrap_or(0.0),
        line,
    });
    Ok(())
}

fn spin(
    host: &SharedHost,
    t: &Dynamic,
    axis: &Dynamic,
    speed: &Dynamic,
    options: Option<&Dynamic>,
    line: usize,
) -> ApiResult<()> {
    let func = SPIN.name;
    require_building(host, func)?;
    let o = Opts::parse(&SPIN, options)?;
    let target = target_of(host, func, t)?;
    if !matches!(target, AnimTarget::Entity(_)) {
        return Err(ApiError::validation(func, "only entities can spin"));
    }
    let axis: Vec3 = vec3_arg(func, "axis", axis)?;
    if axis.length() < 1e-6 {
        return Err(ApiError::validation(func, "'axis' must not be zero"));
    }
    let speed = f32_arg(func, "speed", speed)?;
    prepare_transform_target(host, func, &target, Property::Rotation)?;
    host.borrow_mut().world.tracks.push(Track {
        target,
        property: Property::Rotation,
        motion: Motion::Spin {
            axis: axis.normalize(),
            speed,
        },
        start: o.f64("start")?.unwrap_or(0.0),
        line,
    });
    Ok(())
}

fn follow_path(
    host: &SharedHost,
    t: &Dynamic,
    pts: &Dynamic,
    dur: &Dynamic,
    options: Option<&Dynamic>,
    line: usize,
) -> ApiResult<()> {
    let func = FOLLOW_PATH.name;
    require_building(host, func)?;
    let o = Opts::parse(&FOLLOW_PATH, options)?;
    let target = target_of(host, func, t)?;
    if !Property::valid_for(&target).contains(&Property::Position) {
        return Err(ApiError::validation(
            func,
            "this target has no position to move",
        ));
    }
    let points = points_arg(func, "points", pts)?;
    if points.len() < 2 {
        return Err(ApiError::validation(
            func,
            "'points' needs at least 2 points",
        ));
    }
    let duration = f64_arg(func, "duration", dur)?;
    if duration <= 0.0 {
        return Err(ApiError::validation(
            func,
            "'duration' must be greater than 0",
        ));
    }
    let orient = o.bool("orient")?.unwrap_or(false);
    prepare_transform_target(host, func, &target, Property::Position)?;
    host.borrow_mut().world.tracks.push(Track {
        target,
        property: Property::Position,
        motion: Motion::Path {
            points,
            duration,
            repeat: o.bool("repeat")?.unwrap_or(false),
            orient,
        },
        start: o.f64("start")?.unwrap_or(0.0),
        line,
    });
    Ok(())
}

pub fn register(api: &mut Api) {
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        ANIMATE,
        move |ctx: NativeCallContext, t: Dynamic, p: Dynamic, k: Dynamic| -> R<()> {
            Ok(animate(&h1, &t, &p, &k, None, call_line(&ctx))?)
        },
        move |ctx: NativeCallContext, t: Dynamic, p: Dynamic, k: Dynamic, o: Dynamic| -> R<()> {
            Ok(animate(&h2, &t, &p, &k, Some(&o), call_line(&ctx))?)
        }
    );
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        OSCILLATE,
        move |ctx: NativeCallContext, t: Dynamic, p: Dynamic, a: Dynamic, f: Dynamic| -> R<()> {
            Ok(oscillate(&h1, &t, &p, &a, &f, None, call_line(&ctx))?)
        },
        move |ctx: NativeCallContext,
              t: Dynamic,
              p: Dynamic,
              a: Dynamic,
              f: Dynamic,
              o: Dynamic|
              -> R<()> { Ok(oscillate(&h2, &t, &p, &a, &f, Some(&o), call_line(&ctx))?) }
    );
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        SPIN,
        move |ctx: NativeCallContext, t: Dynamic, a: Dynamic, s: Dynamic| -> R<()> {
            Ok(spin(&h1, &t, &a, &s, None, call_line(&ctx))?)
        },
        move |ctx: NativeCallContext, t: Dynamic, a: Dynamic, s: Dynamic, o: Dynamic| -> R<()> {
            Ok(spin(&h2, &t, &a, &s, Some(&o), call_line(&ctx))?)
        }
    );
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        FOLLOW_PATH,
        move |ctx: NativeCallContext, t: Dynamic, p: Dynamic, d: Dynamic| -> R<()> {
            Ok(follow_path(&h1, &t, &p, &d, None, call_line(&ctx))?)
        },
        move |ctx: NativeCallContext, t: Dynamic, p: Dynamic, d: Dynamic, o: Dynamic| -> R<()> {
            Ok(follow_path(&h2, &t, &p, &d, Some(&o), call_line(&ctx))?)
        }
    );
}
