//! Expectations: statements of what should happen, checked after the run.

use glam::Vec3;
use rhai::{Array, Dynamic, EvalAltResult, NativeCallContext};

use super::{AnyHandle, Api, any_handle, call_line, entity_arg, reg, require_building};
use crate::script::args::{ApiResult, Opts, array_arg, str_arg, vec3_arg};
use crate::script::error::ApiError;
use crate::script::host::SharedHost;
use crate::script::registry::{FnDoc, OptSpec, OptType, Topic, opt};
use crate::util::suggest::closest;
use crate::world::expect::EXPECT_KINDS;
use crate::world::{ExpectKind, Expectation, Subject};

type R<T> = Result<T, Box<EvalAltResult>>;

const EXPECT_OPTS: &[OptSpec] = &[
    opt(
        "min_distance",
        OptType::Float { min: 0.0, max: 1e5 },
        "0.1",
        "moves: metres from its start",
    ),
    opt(
        "by",
        OptType::Float { min: 0.0, max: 1e5 },
        "end of run",
        "moves, rests, reaches: deadline in seconds",
    ),
    opt(
        "speed",
        OptType::Float {
            min: 0.0,
            max: 100.0,
        },
        "0.05",
        "rests: speed below which it counts as at rest, m/s",
    ),
    opt(
        "tolerance",
        OptType::Float {
            min: 0.0,
            max: 100.0,
        },
        "0.01 (no_overlap), 0.02 (stays_still)",
        "metres",
    ),
    opt(
        "min_height",
        OptType::Float {
            min: -1e4,
            max: 1e4,
        },
        "-0.01",
        "above_ground: lowest allowed bottom height",
    ),
    opt(
        "region",
        OptType::Points,
        "none",
        "reaches: [[min x, y, z], [max x, y, z]] box",
    ),
    opt(
        "other",
        OptType::Entity,
        "anything",
        "no_overlap: the other entity",
    ),
    opt(
        "min_degrees",
        OptType::Float { min: 0.0, max: 1e6 },
        "90",
        "rotates: total turning",
    ),
    opt(
        "min_count",
        OptType::Int {
            min: 0,
            max: 1_000_000,
        },
        "1",
        "particles_fall/rise: live particles at some point; fills: particles held; pours: particles born",
    ),
    opt(
        "body",
        OptType::Entity,
        "any liquid or grains",
        "fills: the liquid or grains that fill the container",
    ),
    opt(
        "min_angle",
        OptType::Float {
            min: 0.0,
            max: 90.0,
        },
        "20",
        "piles: least slope, degrees",
    ),
    opt(
        "max_angle",
        OptType::Float {
            min: 0.0,
            max: 90.0,
        },
        "45",
        "piles: greatest slope, degrees",
    ),
    opt(
        "min_speed",
        OptType::Float {
            min: 0.0,
            max: 100.0,
        },
        "0.15",
        "flutters: mean vertex speed, m/s, averaged from 'by' (default 1 s) on",
    ),
    opt(
        "min_amplitude",
        OptType::Float { min: 0.0, max: 1.0 },
        "0.04",
        "wobbles: height change as a fraction of the rest height",
    ),
];

pub static EXPECT: FnDoc = FnDoc {
    name: "expect",
    aliases: &["assert"],
    topic: Topic::Expectations,
    forms: &["expect(kind, subject)", "expect(kind, subject, options)"],
    returns: "",
    params: &[
        (
            "kind",
            "\"moves\", \"stays_still\", \"rests\", \"above_ground\", \"reaches\", \"no_overlap\", \"rotates\", \"particles_fall\", \"particles_rise\", \"flutters\" (cloth keeps moving), \"wobbles\" (soft body), \"drapes\" (cloth settles), \"fills\" (a container), \"pours\" or \"piles\" (a liquid or grains)",
        ),
        ("subject", "an Entity or Emitter, or its name"),
    ],
    doc: "States what should happen. Expectations are checked after the simulation and reported (and fed to the critic): say what the prompt asks for, e.g. the bottle rolls, the leaves fall, the tower ends at rest.",
    options: &[EXPECT_OPTS],
    example: "let ball = sphere(0.2, #{ name: \"ball\", position: [0, 2, 0], body: \"dynamic\" });\nplane(10);\nexpect(\"moves\", ball, #{ min_distance: 1.0 });\nexpect(\"rests\", ball, #{ by: 4 });\nexpect(\"above_ground\", ball);",
};

fn region(func: &'static str, d: &Dynamic) -> ApiResult<(Vec3, Vec3)> {
    let a: Array = array_arg(func, "region", d)?;
    if a.len() != 2 {
        return Err(ApiError::type_error(
            func,
            "'region' must be [[min x, y, z], [max x, y, z]]",
        ));
    }
    let lo = vec3_arg(func, "region[0]", &a[0])?;
    let hi = vec3_arg(func, "region[1]", &a[1])?;
    Ok((lo.min(hi), lo.max(hi)))
}

fn add(
    host: &SharedHost,
    kind: &Dynamic,
    subject: &Dynamic,
    options: Option<&Dynamic>,
    line: usize,
) -> ApiResult<()> {
    let func = EXPECT.name;
    require_building(host, func)?;
    let o = Opts::parse(&EXPECT, options)?;
    let k = str_arg(func, "kind", kind)?;
    let subject = match any_handle(host, func, "subject", subject)? {
        AnyHandle::Entity(id) => Subject::Entity(id),
        AnyHandle::Emitter(id) => Subject::Emitter(id),
        _ => {
            return Err(ApiError::validation(
                func,
                "'subject' must be an entity or an emitter",
            ));
        }
    };
    let is_emitter = matches!(subject, Subject::Emitter(_));
    let duration = host.borrow().world.settings.duration;
    let kind = match k.as_str() {
        "moves" => ExpectKind::Moves {
            min_distance: o.f32("min_distance")?.unwrap_or(0.1),
            by: o.f64("by")?,
        },
        "stays_still" => ExpectKind::StaysStill {
            tolerance: o.f32("tolerance")?.unwrap_or(0.02),
        },
        "rests" => ExpectKind::Rests {
            by: o.f64("by")?.unwrap_or(duration),
            speed: o.f32("speed")?.unwrap_or(0.05),
        },
        "above_ground" => ExpectKind::AboveGround {
            min_height: o.f32("min_height")?.unwrap_or(-0.01),
        },
        "reaches" => {
            let d = o.raw("region").ok_or_else(|| {
                ApiError::validation(func, "\"reaches\" needs a 'region'")
                    .with_hint("Add region: [[x0, y0, z0], [x1, y1, z1]].")
            })?;
            let (min, max) = region(func, d)?;
            ExpectKind::Reaches {
                min,
                max,
                by: o.f64("by")?.unwrap_or(duration),
            }
        }
        "no_overlap" => ExpectKind::NoOverlap {
            other: o
                .raw("other")
                .map(|d| entity_arg(host, func, "other", d))
                .transpose()?,
            tolerance: o.f32("tolerance")?.unwrap_or(0.01),
        },
        "rotates" => ExpectKind::Rotates {
            min_degrees: o.f32("min_degrees")?.unwrap_or(90.0),
        },
        "particles_fall" => ExpectKind::ParticlesFall {
            min_count: o.int("min_count")?.unwrap_or(1) as u32,
        },
        "particles_rise" => ExpectKind::ParticlesRise {
            min_count: o.int("min_count")?.unwrap_or(1) as u32,
        },
        "flutters" => ExpectKind::Flutters {
            min_speed: o.f32("min_speed")?.unwrap_or(0.15),
            after: o.f64("by")?.unwrap_or(1.0_f64.min(duration * 0.5)),
        },
        "wobbles" => ExpectKind::Wobbles {
            min_amplitude: o.f32("min_amplitude")?.unwrap_or(0.04),
        },
        "drapes" => ExpectKind::Drapes {
            speed: o.f32("speed")?.unwrap_or(0.05),
        },
        "fills" => ExpectKind::Fills {
            body: o
                .raw("body")
                .map(|d| entity_arg(host, func, "body", d))
                .transpose()?,
            min_count: o.int("min_count")?.unwrap_or(50) as u32,
        },
        "pours" => ExpectKind::Pours {
            min_count: o.int("min_count")?.unwrap_or(50) as u32,
        },
        "piles" => ExpectKind::Piles {
            min_angle: o.f32("min_angle")?.unwrap_or(20.0),
            max_angle: o.f32("max_angle")?.unwrap_or(45.0),
        },
        other => {
            return Err(ApiError::validation(
                func,
                format!("unknown expectation kind \"{other}\""),
            )
            .with_suggestions(closest(other, EXPECT_KINDS.iter().copied(), 3))
            .with_hint(format!("Kinds: {}.", EXPECT_KINDS.join(", "))));
        }
    };
    let wants_emitter = matches!(
        kind,
        ExpectKind::ParticlesFall { .. } | ExpectKind::ParticlesRise { .. }
    );
    if wants_emitter != is_emitter {
        return Err(ApiError::validation(
            func,
            if wants_emitter {
                format!("\"{k}\" is about particles: its subject must be an emitter")
            } else {
                format!("\"{k}\" is about an entity: its subject must be an entity, not an emitter")
            },
        ));
    }
    let deform_kind = match subject {
        Subject::Entity(id) => host
            .borrow()
            .world
            .deformables
            .iter()
            .find(|d| d.entity() == id)
            .map(|d| d.kind_name()),
        Subject::Emitter(_) => None,
    };
    let wants = match kind {
        ExpectKind::Flutters { .. } | ExpectKind::Drapes { .. } => Some("cloth"),
        ExpectKind::Wobbles { .. } => Some("soft"),
        _ => None,
    };
    if let Some(w) = wants
        && deform_kind != Some(w)
    {
        let made = if w == "cloth" {
            "cloth(...)"
        } else {
            "soft_body(...)"
        };
        return Err(ApiError::validation(
            func,
            format!("\"{k}\" is about a {w} body: its subject must be made with {made}"),
        )
        .with_hint(format!(
            "Make the subject with {made}; for rigid bodies use \"moves\" or \"rotates\"."
        )));
    }
    if let (ExpectKind::Pours { .. } | ExpectKind::Piles { .. }, Subject::Entity(id)) =
        (&kind, subject)
    {
        let h = host.borrow();
        let fluid = h.world.fluids.iter().find(|f| f.entity == id);
        let ok = match kind {
            ExpectKind::Piles { .. } => {
                fluid.is_some_and(|f| f.kind == crate::world::fluid::FluidKind::Granular)
            }
            _ => fluid.is_some(),
        };
        if !ok {
            return Err(ApiError::validation(
                func,
                format!("\"{k}\" is about a liquid or grains body: its subject must be one"),
            )
            .with_hint("Pass what liquid(...) or grains(...) returned (piles: grains)."));
        }
    }
    let mut h = host.borrow_mut();
    let subject_name = match subject {
        Subject::Entity(id) => h.world.entity(id).label(),
        Subject::Emitter(id) => h.world.emitters[id.0 as usize]
            .name
            .clone()
            .unwrap_or_else(|| format!("emitter #{}", id.0)),
    };
    if h.world.expectations.len() >= 256 {
        return Err(ApiError::limit(func, "more than 256 expectations"));
    }
    h.world.expectations.push(Expectation {
        kind,
        subject,
        subject_name,
        line,
    });
    Ok(())
}

pub fn register(api: &mut Api) {
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        EXPECT,
        move |ctx: NativeCallContext, k: Dynamic, s: Dynamic| -> R<()> {
            Ok(add(&h1, &k, &s, None, call_line(&ctx))?)
        },
        move |ctx: NativeCallContext, k: Dynamic, s: Dynamic, o: Dynamic| -> R<()> {
            Ok(add(&h2, &k, &s, Some(&o), call_line(&ctx))?)
        }
    );
}
