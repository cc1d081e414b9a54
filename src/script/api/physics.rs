//! Pushes (impulses, forces, torques) and joints.

use glam::Vec3;
use rhai::{Dynamic, EvalAltResult, NativeCallContext};

use super::{Api, EntityHandle, call_line, entity_arg, reg, require_building};
use crate::script::args::{ApiResult, Opts, describe, str_arg, vec3_arg};
use crate::script::error::ApiError;
use crate::script::host::SharedHost;
use crate::script::registry::{FnDoc, OptSpec, OptType, Topic, opt};
use crate::util::suggest::closest;
use crate::world::physics::JOINT_KINDS;
use crate::world::{BodyKind, Command, EntityId, Joint, JointKind, Push};

type R<T> = Result<T, Box<EvalAltResult>>;

const IMPULSE_OPTS: &[OptSpec] = &[
    opt(
        "at",
        OptType::Float { min: 0.0, max: 1e5 },
        "0 (or now, in a callback)",
        "time in seconds",
    ),
    opt(
        "point",
        OptType::Vec3,
        "centre of mass",
        "world point where it acts (off-centre also spins)",
    ),
];

const FORCE_OPTS: &[OptSpec] = &[
    opt(
        "from",
        OptType::Float { min: 0.0, max: 1e5 },
        "0 (or now)",
        "start time, seconds",
    ),
    opt(
        "to",
        OptType::Float { min: 0.0, max: 1e5 },
        "end of the run",
        "end time, seconds",
    ),
    opt(
        "duration",
        OptType::Float { min: 0.0, max: 1e5 },
        "none",
        "seconds, instead of 'to'",
    ),
    opt(
        "point",
        OptType::Vec3,
        "centre of mass",
        "world point where it acts",
    ),
];

const JOINT_OPTS: &[OptSpec] = &[
    opt(
        "anchor",
        OptType::Vec3,
        "between the two bodies",
        "world point of the hinge, ball or weld; for rope, distance and spring: the end on the first body",
    ),
    opt(
        "anchor_b",
        OptType::Vec3,
        "second body's centre",
        "rope, distance, spring: the end on the second body",
    ),
    opt(
        "axis",
        OptType::Vec3,
        "[0, 0, 1]",
        "hinge rotation axis or slider direction (world)",
    ),
    opt(
        "limits",
        OptType::Range {
            min: -1e4,
            max: 1e4,
        },
        "none",
        "hinge: [min, max] degrees; slider: [min, max] metres",
    ),
    opt(
        "length",
        OptType::Float { min: 0.0, max: 1e4 },
        "initial distance",
        "rope: maximum length; distance, spring: rest length",
    ),
    opt(
        "stiffness",
        OptType::Float { min: 0.0, max: 1e7 },
        "100",
        "spring stiffness, N/m",
    ),
    opt(
        "damping",
        OptType::Float { min: 0.0, max: 1e5 },
        "1",
        "spring damping, N s/m",
    ),
    opt(
        "motor_speed",
        OptType::Float {
            min: -1e4,
            max: 1e4,
        },
        "none",
        "hinge: degrees/s; slider: m/s",
    ),
];

pub static IMPULSE: FnDoc = FnDoc {
    name: "impulse",
    aliases: &["apply_impulse"],
    topic: Topic::Physics,
    forms: &[
        "impulse(entity, impulse)",
        "impulse(entity, impulse, options)",
    ],
    returns: "",
    params: &[
        ("entity", "a dynamic body"),
        (
            "impulse",
            "[x, y, z] change of momentum, N s (mass x velocity change)",
        ),
    ],
    doc: "A sudden push (a kick, a flick, a throw) at a time. In a callback it acts at once.",
    options: &[IMPULSE_OPTS],
    example: "let ball = sphere(0.1, #{ position: [0, 0.1, 0], body: \"dynamic\", mass: 0.5 });\nimpulse(ball, [2, 0, 0], #{ at: 0.5 });",
};

pub static TORQUE_IMPULSE: FnDoc = FnDoc {
    name: "torque_impulse",
    aliases: &[],
    topic: Topic::Physics,
    forms: &[
        "torque_impulse(entity, torque)",
        "torque_impulse(entity, torque, options)",
    ],
    returns: "",
    params: &[
        ("entity", "a dynamic body"),
        ("torque", "[x, y, z] angular impulse, N m s"),
    ],
    doc: "A sudden twist, e.g. to set a coin or a top spinning.",
    options: &[IMPULSE_OPTS],
    example: "let top = cylinder(0.1, 0.05, #{ position: [0, 0.03, 0], body: \"dynamic\" });\ntorque_impulse(top, [0, 0.02, 0]);",
};

pub static FORCE: FnDoc = FnDoc {
    name: "force",
    aliases: &["apply_force", "add_force"],
    topic: Topic::Physics,
    forms: &["force(entity, force)", "force(entity, force, options)"],
    returns: "",
    params: &[("entity", "a dynamic body"), ("force", "[x, y, z] newtons")],
    doc: "A steady force over a time span (a thruster, a hand pushing). For wind on many things use wind().",
    options: &[FORCE_OPTS],
    example: "let cart = box([0.6, 0.3, 0.4], #{ position: [0, 0.15, 0], body: \"dynamic\" });\nforce(cart, [20, 0, 0], #{ from: 0, to: 1.5 });",
};

pub static TORQUE: FnDoc = FnDoc {
    name: "torque",
    aliases: &[],
    topic: Topic::Physics,
    forms: &["torque(entity, torque)", "torque(entity, torque, options)"],
    returns: "",
    params: &[("entity", "a dynamic body"), ("torque", "[x, y, z] N m")],
    doc: "A steady twisting force over a time span (a motor).",
    options: &[FORCE_OPTS],
    example: "let wheel = cylinder(0.3, 0.1, #{ rotation: [90, 0, 0], position: [0, 0.3, 0], body: \"dynamic\" });\ntorque(wheel, [0, 0, -2], #{ duration: 2 });",
};

pub static JOINT: FnDoc = FnDoc {
    name: "joint",
    aliases: &["hinge", "rope", "spring", "constraint"],
    topic: Topic::Physics,
    forms: &["joint(kind, a, b)", "joint(kind, a, b, options)"],
    returns: "",
    params: &[
        (
            "kind",
            "\"fixed\", \"hinge\", \"slider\", \"ball\", \"rope\", \"distance\" or \"spring\"",
        ),
        ("a", "first body, or \"world\" to attach to a fixed point"),
        ("b", "second body (dynamic)"),
    ],
    doc: "Connects two bodies. hinge: rotation about an axis (doors, pendulums, seesaws). slider: motion along an axis. ball: free rotation about a point. rope: at most a length apart. distance: exactly a length apart. spring: pulled towards a rest length. fixed: welded.",
    options: &[JOINT_OPTS],
    example: "let bob = sphere(0.1, #{ position: [1, 2, 0], body: \"dynamic\" });\njoint(\"distance\", \"world\", bob, #{ anchor: [0, 2, 0] });",
};

fn dynamic_body(host: &SharedHost, func: &'static str, d: &Dynamic) -> ApiResult<EntityId> {
    let id = entity_arg(host, func, "entity", d)?;
    let h = host.borrow();
    let owner = h.world.body_owner(id).unwrap_or(id);
    if h.world.body_kind(id) != BodyKind::Dynamic {
        let e = h.world.entity(id);
        return Err(
            ApiError::validation(func, format!("'{}' is not a dynamic body", e.label()))
                .with_hint("Create it with body: \"dynamic\" so forces can move it."),
        );
    }
    Ok(owner)
}

fn push_impulse(
    host: &SharedHost,
    func: &'static str,
    e: &Dynamic,
    v: &Dynamic,
    options: Option<&Dynamic>,
    angular: bool,
    line: usize,
) -> ApiResult<()> {
    let doc = if angular { &TORQUE_IMPULSE } else { &IMPULSE };
    let o = Opts::parse(doc, options)?;
    let entity = dynamic_body(host, func, e)?;
    let vec = vec3_arg(func, if angular { "torque" } else { "impulse" }, v)?;
    let point = o.vec3("point")?;
    let mut h = host.borrow_mut();
    let at = o.f64("at")?;
    if h.phase.simulating() && at.is_none() {
        h.world.commands.push(if angular {
            Command::TorqueImpulse {
                entity,
                torque: vec,
            }
        } else {
            Command::Impulse {
                entity,
                impulse: vec,
                point,
            }
        });
        return Ok(());
    }
    let time = at.unwrap_or(h.world.time);
    if at.is_some() {
        h.world.scheduled.push(crate::world::Scheduled {
            time,
            line,
            what: func.to_string(),
        });
    }
    h.world.pushes.push(if angular {
        Push::TorqueImpulse {
            entity,
            time,
            torque: vec,
        }
    } else {
        Push::Impulse {
            entity,
            time,
            impulse: vec,
            point,
        }
    });
    Ok(())
}

fn push_force(
    host: &SharedHost,
    func: &'static str,
    e: &Dynamic,
    v: &Dynamic,
    options: Option<&Dynamic>,
    angular: bool,
) -> ApiResult<()> {
    let doc = if angular { &TORQUE } else { &FORCE };
    let o = Opts::parse(doc, options)?;
    let entity = dynamic_body(host, func, e)?;
    let vec = vec3_arg(func, if angular { "torque" } else { "force" }, v)?;
    let mut h = host.borrow_mut();
    let from = o.f64("from")?.unwrap_or(h.world.time);
    let to = match (o.f64("to")?, o.f64("duration")?) {
        (Some(_), Some(_)) => {
            return Err(ApiError::validation(
                func,
                "give either 'to' or 'duration', not both",
            ));
        }
        (Some(t), None) => t,
        (None, Some(d)) => from + d,
        (None, None) => f64::INFINITY,
    };
    if to < from {
        return Err(ApiError::validation(
            func,
            format!("'to' ({to}) is before 'from' ({from})"),
        ));
    }
    h.world.pushes.push(if angular {
        Push::Torque {
            entity,
            from,
            to,
            torque: vec,
        }
    } else {
        Push::Force {
            entity,
            from,
            to,
            force: vec,
            point: o.vec3("point")?,
        }
    });
    Ok(())
}

fn add_joint(
    host: &SharedHost,
    kind: &Dynamic,
    a: &Dynamic,
    b: &Dynamic,
    options: Option<&Dynamic>,
    line: usize,
) -> ApiResult<()> {
    let func = JOINT.name;
    require_building(host, func)?;
    let o = Opts::parse(&JOINT, options)?;
    let kind_s = str_arg(func, "kind", kind)?;
    let kind = JointKind::parse(&kind_s).ok_or_else(|| {
        ApiError::validation(func, format!("unknown joint kind \"{kind_s}\""))
            .with_suggestions(closest(&kind_s, JOINT_KINDS.iter().copied(), 3))
            .with_hint(format!("Joint kinds: {}.", JOINT_KINDS.join(", ")))
    })?;
    let a_id = if a.is_unit()
        || a.clone()
            .try_cast::<rhai::ImmutableString>()
            .is_some_and(|s| s == "world")
    {
        None
    } else if a.clone().try_cast::<EntityHandle>().is_some() || a.is_string() {
        Some(entity_arg(host, func, "a", a)?)
    } else {
        return Err(ApiError::type_error(
            func,
            format!("'a' must be an entity or \"world\", got {}", describe(a)),
        ));
    };
    let b_id = entity_arg(host, func, "b", b)?;
    let h = host.borrow();
    if h.world.joints.len() >= h.limits.max_joints {
        return Err(ApiError::limit(
            func,
            format!("more than {} joints", h.limits.max_joints),
        ));
    }
    if Some(b_id) == a_id {
        return Err(ApiError::validation(
            func,
            "a joint needs two different bodies",
        ));
    }
    let b_kind = h.world.body_kind(b_id);
    let a_kind = a_id
        .map(|a| h.world.body_kind(a))
        .unwrap_or(BodyKind::Fixed);
    if !b_kind.moves() && !a_kind.moves() {
        return Err(ApiError::validation(
            func,
            "at least one of the two bodies must be dynamic or kinematic",
        )
        .with_hint("Give the moving part body: \"dynamic\"."));
    }
    for (id, k) in [(a_id, a_kind), (Some(b_id), b_kind)] {
        if let Some(id) = id
            && k == BodyKind::None
        {
            return Err(ApiError::validation(
                func,
                format!(
                    "'{}' has body \"none\" and cannot be jointed",
                    h.world.entity(id).label()
                ),
            ));
        }
    }
    let b_pos = h.world.world_transform(b_id).position;
    let a_pos = a_id.map(|a| h.world.world_transform(a).position);
    let anchor = match o.vec3("anchor")? {
        Some(p) => p,
        None => match (kind, a_pos) {
            (JointKind::Rope | JointKind::Distance | JointKind::Spring, Some(p)) => p,
            (JointKind::Rope | JointKind::Distance | JointKind::Spring, None) => {
                return Err(ApiError::validation(
                    func,
                    format!("a {kind_s} to the world needs an 'anchor' point"),
                )
                .with_hint("Give anchor: [x, y, z], the fixed end."));
            }
            (_, Some(p)) => (p + b_pos) * 0.5,
            (_, None) => b_pos,
        },
    };
    let anchor_b = match kind {
        JointKind::Rope | JointKind::Distance | JointKind::Spring => {
            o.vec3("anchor_b")?.unwrap_or(b_pos)
        }
        _ => anchor,
    };
    let axis = o.vec3("axis")?.unwrap_or(Vec3::Z);
    if axis.length() < 1e-6 {
        return Err(ApiError::validation(func, "'axis' must not be zero"));
    }
    let joint = Joint {
        kind,
        a: a_id,
        b: b_id,
        anchor_a: anchor,
        anchor_b,
        axis: axis.normalize(),
        limits: o.range("limits")?,
        length: o.f32("length")?,
        stiffness: o.f32("stiffness")?.unwrap_or(100.0),
        damping: o.f32("damping")?.unwrap_or(1.0),
        motor_speed: o.f32("motor_speed")?,
        line,
    };
    drop(h);
    host.borrow_mut().world.joints.push(joint);
    Ok(())
}

pub fn register(api: &mut Api) {
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        IMPULSE,
        move |e: Dynamic, v: Dynamic| -> R<()> {
            Ok(push_impulse(&h1, IMPULSE.name, &e, &v, None, false, 0)?)
        },
        move |ctx: NativeCallContext, e: Dynamic, v: Dynamic, o: Dynamic| -> R<()> {
            let line = call_line(&ctx);
            Ok(push_impulse(
                &h2,
                IMPULSE.name,
                &e,
                &v,
                Some(&o),
                false,
                line,
            )?)
        }
    );
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        TORQUE_IMPULSE,
        move |e: Dynamic, v: Dynamic| -> R<()> {
            Ok(push_impulse(
                &h1,
                TORQUE_IMPULSE.name,
                &e,
                &v,
                None,
                true,
                0,
            )?)
        },
        move |ctx: NativeCallContext, e: Dynamic, v: Dynamic, o: Dynamic| -> R<()> {
            let line = call_line(&ctx);
            Ok(push_impulse(
                &h2,
                TORQUE_IMPULSE.name,
                &e,
                &v,
                Some(&o),
                true,
                line,
            )?)
        }
    );
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        FORCE,
        move |e: Dynamic, v: Dynamic| -> R<()> {
            Ok(push_force(&h1, FORCE.name, &e, &v, None, false)?)
        },
        move |e: Dynamic, v: Dynamic, o: Dynamic| -> R<()> {
            Ok(push_force(&h2, FORCE.name, &e, &v, Some(&o), false)?)
        }
    );
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        TORQUE,
        move |e: Dynamic, v: Dynamic| -> R<()> {
            Ok(push_force(&h1, TORQUE.name, &e, &v, None, true)?)
        },
        move |e: Dynamic, v: Dynamic, o: Dynamic| -> R<()> {
            Ok(push_force(&h2, TORQUE.name, &e, &v, Some(&o), true)?)
        }
    );
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        JOINT,
        move |ctx: NativeCallContext, k: Dynamic, a: Dynamic, b: Dynamic| -> R<()> {
            Ok(add_joint(&h1, &k, &a, &b, None, call_line(&ctx))?)
        },
        move |ctx: NativeCallContext, k: Dynamic, a: Dynamic, b: Dynamic, o: Dynamic| -> R<()> {
            Ok(add_joint(&h2, &k, &a, &b, Some(&o), call_line(&ctx))?)
        }
    );
}
