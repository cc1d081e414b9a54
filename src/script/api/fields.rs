//! Force fields: wind, vortex, attractor/repulsor, drag.

use glam::Vec3;
use rhai::{Dynamic, EvalAltResult};

use super::{Api, FieldHandle, check_name_free, reg, require_building};
use crate::script::args::{ApiResult, Opts, f32_arg};
use crate::script::error::ApiError;
use crate::script::host::SharedHost;
use crate::script::registry::{FnDoc, OptSpec, OptType, PropDoc, Topic, opt};
use crate::world::field::{AFFECTS, Affects};
use crate::world::{Field, FieldId, FieldKind};

type R<T> = Result<T, Box<EvalAltResult>>;

const COMMON: &[OptSpec] = &[
    opt("name", OptType::Text, "none", "unique name"),
    opt(
        "affects",
        OptType::Choice { choices: AFFECTS },
        "all",
        "bodies, particles, or all",
    ),
    opt(
        "strength",
        OptType::Float {
            min: -100.0,
            max: 100.0,
        },
        "1",
        "multiplier; animate it to fade the field in or out",
    ),
];

const WIND_OPTS: &[OptSpec] = &[
    opt(
        "direction",
        OptType::Vec3,
        "[1, 0, 0]",
        "where the air goes",
    ),
    opt(
        "speed",
        OptType::Float {
            min: 0.0,
            max: 100.0,
        },
        "3",
        "mean air speed, m/s (3 breeze, 10 strong wind)",
    ),
    opt(
        "gust",
        OptType::Float { min: 0.0, max: 3.0 },
        "0.3",
        "gust strength, fraction of speed",
    ),
    opt(
        "gust_period",
        OptType::Float {
            min: 0.1,
            max: 60.0,
        },
        "3",
        "seconds between gusts",
    ),
    opt(
        "turbulence",
        OptType::Float { min: 0.0, max: 3.0 },
        "0.2",
        "swirl, fraction of speed",
    ),
    opt(
        "scale",
        OptType::Float {
            min: 0.05,
            max: 100.0,
        },
        "2",
        "size of eddies, metres",
    ),
];

const VORTEX_OPTS: &[OptSpec] = &[
    opt("center", OptType::Vec3, "[0, 0, 0]", "a point on the axis"),
    opt(
        "axis",
        OptType::Vec3,
        "[0, 1, 0]",
        "spin axis (right-hand rule)",
    ),
    opt(
        "speed",
        OptType::Float {
            min: -100.0,
            max: 100.0,
        },
        "3",
        "swirl speed at the core's edge, m/s",
    ),
    opt(
        "radius",
        OptType::Float {
            min: 0.01,
            max: 1000.0,
        },
        "1",
        "core radius, metres",
    ),
    opt(
        "inflow",
        OptType::Float {
            min: -100.0,
            max: 100.0,
        },
        "0",
        "speed towards the axis, m/s",
    ),
    opt(
        "lift",
        OptType::Float {
            min: -100.0,
            max: 100.0,
        },
        "0",
        "speed along the axis, m/s",
    ),
];

const ATTRACTOR_OPTS: &[OptSpec] = &[
    opt("position", OptType::Vec3, "[0, 0, 0]", "centre"),
    opt(
        "strength",
        OptType::Float {
            min: -1000.0,
            max: 1000.0,
        },
        "5",
        "acceleration at 1 m, m/s^2; negative repels",
    ),
    opt(
        "radius",
        OptType::Float {
            min: 0.01,
            max: 1e4,
        },
        "10",
        "no effect beyond this distance",
    ),
    opt(
        "falloff",
        OptType::Float { min: 0.0, max: 3.0 },
        "2",
        "0 constant, 1 inverse, 2 inverse-square",
    ),
];

const DRAG_OPTS: &[OptSpec] = &[opt(
    "coefficient",
    OptType::Float {
        min: 0.0,
        max: 100.0,
    },
    "0.1",
    "how fast still air slows things, 1/s",
)];

pub static WIND: FnDoc = FnDoc {
    name: "wind",
    aliases: &[],
    topic: Topic::Fields,
    forms: &["wind()", "wind(options)"],
    returns: "Field",
    params: &[],
    doc: "Moving air with gusts and turbulence (deterministic noise). It drags particles and pushes bodies by their size; foliage with `sway` bends with the air where it stands, so gusts visibly sweep downwind across grass, wheat and forests.",
    options: &[COMMON, WIND_OPTS],
    example: "let breeze = wind(#{ direction: [1, 0, 0.3], speed: 4, gust: 0.5, turbulence: 0.3 });",
};

pub static VORTEX: FnDoc = FnDoc {
    name: "vortex",
    aliases: &[],
    topic: Topic::Fields,
    forms: &["vortex(options)"],
    returns: "Field",
    params: &[],
    doc: "Air swirling around an axis: whirlwinds, eddies, stirred water.",
    options: &[COMMON, VORTEX_OPTS],
    example: "let swirl = vortex(#{ center: [0, 0, 0], speed: 4, radius: 1.5, lift: 1 });",
};

pub static ATTRACTOR: FnDoc = FnDoc {
    name: "attractor",
    aliases: &[],
    topic: Topic::Fields,
    forms: &["attractor(options)"],
    returns: "Field",
    params: &[],
    doc: "Pulls bodies and particles towards a point (negative strength pushes them away: a repulsor).",
    options: &[COMMON, ATTRACTOR_OPTS],
    example: "let pull = attractor(#{ position: [0, 2, 0], strength: 8, radius: 5 });",
};

pub static DRAG: FnDoc = FnDoc {
    name: "drag",
    aliases: &[],
    topic: Topic::Fields,
    forms: &["drag(options)"],
    returns: "Field",
    params: &[],
    doc: "Still-air resistance on everything: slows motion in proportion to speed (underwater scenes want 1 or more).",
    options: &[COMMON, DRAG_OPTS],
    example: "let water = drag(#{ coefficient: 1.5 });",
};

static P_STRENGTH: PropDoc = PropDoc {
    type_name: "Field",
    name: "strength",
    value: "float",
    writable: true,
    doc: "multiplier of the field's effect",
};

fn add_field(
    host: &SharedHost,
    doc: &'static FnDoc,
    options: Option<&Dynamic>,
) -> ApiResult<FieldHandle> {
    require_building(host, doc.name)?;
    let o = Opts::parse(doc, options)?;
    let name = o.text("name")?;
    if let Some(n) = &name {
        check_name_free(host, doc.name, n)?;
    }
    let affects = o
        .choice("affects", |s| match s {
            "all" => Some(Affects::All),
            "bodies" => Some(Affects::Bodies),
            "particles" => Some(Affects::Particles),
            _ => None,
        })?
        .unwrap_or(Affects::All);
    let mut strength = o.f32("strength")?.unwrap_or(1.0);
    let kind = match doc.name {
        "wind" => {
            let dir = o.vec3("direction")?.unwrap_or(Vec3::X);
            if dir.length() < 1e-6 {
                return Err(ApiError::validation(
                    doc.name,
                    "'direction' must not be zero",
                ));
            }
            FieldKind::Wind {
                direction: dir.normalize(),
                speed: o.f32("speed")?.unwrap_or(3.0),
                gust: o.f32("gust")?.unwrap_or(0.3),
                gust_period: o.f32("gust_period")?.unwrap_or(3.0),
                turbulence: o.f32("turbulence")?.unwrap_or(0.2),
                scale: o.f32("scale")?.unwrap_or(2.0),
            }
        }
        "vortex" => {
            let axis = o.vec3("axis")?.unwrap_or(Vec3::Y);
            if axis.length() < 1e-6 {
                return Err(ApiError::validation(doc.name, "'axis' must not be zero"));
            }
            FieldKind::Vortex {
                center: o.vec3("center")?.unwrap_or(Vec3::ZERO),
                axis: axis.normalize(),
                speed: o.f32("speed")?.unwrap_or(3.0),
                radius: o.f32("radius")?.unwrap_or(1.0),
                inflow: o.f32("inflow")?.unwrap_or(0.0),
                lift: o.f32("lift")?.unwrap_or(0.0),
            }
        }
        "attractor" => {
            // For attractors `strength` is the acceleration itself.
            let s = o.f32("strength")?.unwrap_or(5.0);
            strength = 1.0;
            FieldKind::Attractor {
                position: o.vec3("position")?.unwrap_or(Vec3::ZERO),
                strength: s,
                radius: o.f32("radius")?.unwrap_or(10.0),
                falloff: o.f32("falloff")?.unwrap_or(2.0),
            }
        }
        _ => FieldKind::Drag {
            coefficient: o.f32("coefficient")?.unwrap_or(0.1),
        },
    };
    let mut h = host.borrow_mut();
    let id = FieldId(h.world.fields.len() as u32);
    if id.0 >= 64 {
        return Err(ApiError::limit(doc.name, "more than 64 fields"));
    }
    let seed = h.derived_seed(0xf1e1d ^ id.0 as u64);
    if let Some(n) = &name {
        h.world.index_name(n, crate::world::Named::Field(id));
    }
    h.world.fields.push(Field {
        id,
        name,
        kind,
        strength,
        affects,
        seed,
    });
    Ok(FieldHandle(id))
}

pub fn register(api: &mut Api) {
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        WIND,
        move || -> R<FieldHandle> { Ok(add_field(&h1, &WIND, None)?) },
        move |o: Dynamic| -> R<FieldHandle> { Ok(add_field(&h2, &WIND, Some(&o))?) }
    );
    let h = api.host.clone();
    reg!(api, VORTEX, move |o: Dynamic| -> R<FieldHandle> {
        Ok(add_field(&h, &VORTEX, Some(&o))?)
    });
    let h = api.host.clone();
    reg!(api, ATTRACTOR, move |o: Dynamic| -> R<FieldHandle> {
        Ok(add_field(&h, &ATTRACTOR, Some(&o))?)
    });
    let h = api.host.clone();
    reg!(api, DRAG, move |o: Dynamic| -> R<FieldHandle> {
        Ok(add_field(&h, &DRAG, Some(&o))?)
    });

    let (hg, hs) = (api.host.clone(), api.host.clone());
    api.prop(&P_STRENGTH)
        .register_get("strength", move |f: &mut FieldHandle| -> f64 {
            hg.borrow().world.fields[f.0.0 as usize].strength as f64
        })
        .register_set(
            "strength",
            move |f: &mut FieldHandle, v: Dynamic| -> R<()> {
                let v = f32_arg("strength", "strength", &v)?;
                hs.borrow_mut().world.fields[f.0.0 as usize].strength = v;
                Ok(())
            },
        );
    api.engine.register_fn("to_string", |f: &mut FieldHandle| {
        format!("Field(#{})", f.0.0)
    });
}
