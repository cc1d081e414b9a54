//! The `vec3` type. Arrays `[x, y, z]` work everywhere a vector does; `vec3`
//! adds arithmetic and geometry for scripts that compute positions.

use glam::Vec3;
use rhai::{Array, Dynamic, EvalAltResult};

use super::{Api, reg};
use crate::script::args::{f32_arg, vec3_arg};
use crate::script::registry::{FnDoc, PropDoc, Topic};

type R<T> = Result<T, Box<EvalAltResult>>;

pub static VEC3: FnDoc = FnDoc {
    name: "vec3",
    aliases: &[],
    topic: Topic::Math,
    forms: &["vec3(x, y, z)", "vec3(array)"],
    returns: "vec3",
    params: &[("x, y, z", "numbers")],
    doc: "A 3D vector. Supports + - * / with vectors and numbers, .x .y .z, length(), normalize(), dot(), cross(), distance(), lerp(), to_array().",
    options: &[],
    example: "let p = vec3(1, 2, 3) + vec3(0, 1, 0) * 2.0;\nlet d = p.length();",
};

pub static LENGTH: FnDoc = FnDoc {
    name: "length",
    aliases: &[],
    topic: Topic::Math,
    forms: &["length(v)"],
    returns: "float",
    params: &[("v", "vector or [x, y, z]")],
    doc: "Length of a vector.",
    options: &[],
    example: "let l = length([3, 4, 0]);",
};

pub static NORMALIZE: FnDoc = FnDoc {
    name: "normalize",
    aliases: &[],
    topic: Topic::Math,
    forms: &["normalize(v)"],
    returns: "vec3",
    params: &[("v", "vector")],
    doc: "The unit vector in the direction of v (zero stays zero).",
    options: &[],
    example: "let dir = normalize([1, 1, 0]);",
};

pub static DOT: FnDoc = FnDoc {
    name: "dot",
    aliases: &[],
    topic: Topic::Math,
    forms: &["dot(a, b)"],
    returns: "float",
    params: &[("a, b", "vectors")],
    doc: "Dot product.",
    options: &[],
    example: "let d = dot([1, 0, 0], [0.5, 1, 0]);",
};

pub static CROSS: FnDoc = FnDoc {
    name: "cross",
    aliases: &[],
    topic: Topic::Math,
    forms: &["cross(a, b)"],
    returns: "vec3",
    params: &[("a, b", "vectors")],
    doc: "Cross product (right-handed).",
    options: &[],
    example: "let up = cross([1, 0, 0], [0, 0, -1]);",
};

pub static DISTANCE: FnDoc = FnDoc {
    name: "distance",
    aliases: &[],
    topic: Topic::Math,
    forms: &["distance(a, b)"],
    returns: "float",
    params: &[("a, b", "points")],
    doc: "Distance between two points.",
    options: &[],
    example: "let d = distance([0, 0, 0], [1, 2, 2]);",
};

pub static LERP: FnDoc = FnDoc {
    name: "lerp",
    aliases: &[],
    topic: Topic::Math,
    forms: &["lerp(a, b, t)"],
    returns: "vec3 or float",
    params: &[
        ("a, b", "vectors or numbers"),
        ("t", "0 gives a, 1 gives b"),
    ],
    doc: "Linear interpolation between two vectors or two numbers.",
    options: &[],
    example: "let mid = lerp([0, 0, 0], [2, 4, 0], 0.5);",
};

static PROP_X: PropDoc = PropDoc {
    type_name: "vec3",
    name: "x",
    value: "float",
    writable: true,
    doc: "x component",
};
static PROP_Y: PropDoc = PropDoc {
    type_name: "vec3",
    name: "y",
    value: "float",
    writable: true,
    doc: "y component (up)",
};
static PROP_Z: PropDoc = PropDoc {
    type_name: "vec3",
    name: "z",
    value: "float",
    writable: true,
    doc: "z component",
};

pub fn register(api: &mut Api) {
    reg!(
        api,
        VEC3,
        |x: Dynamic, y: Dynamic, z: Dynamic| -> R<Vec3> {
            Ok(Vec3::new(
                f32_arg(VEC3.name, "x", &x)?,
                f32_arg(VEC3.name, "y", &y)?,
                f32_arg(VEC3.name, "z", &z)?,
            ))
        },
        |a: Dynamic| -> R<Vec3> { Ok(vec3_arg(VEC3.name, "array", &a)?) }
    );
    reg!(api, LENGTH, |v: Dynamic| -> R<f64> {
        Ok(vec3_arg(LENGTH.name, "v", &v)?.length() as f64)
    });
    reg!(api, NORMALIZE, |v: Dynamic| -> R<Vec3> {
        Ok(vec3_arg(NORMALIZE.name, "v", &v)?.normalize_or_zero())
    });
    reg!(api, DOT, |a: Dynamic, b: Dynamic| -> R<f64> {
        Ok(vec3_arg(DOT.name, "a", &a)?.dot(vec3_arg(DOT.name, "b", &b)?) as f64)
    });
    reg!(api, CROSS, |a: Dynamic, b: Dynamic| -> R<Vec3> {
        Ok(vec3_arg(CROSS.name, "a", &a)?.cross(vec3_arg(CROSS.name, "b", &b)?))
    });
    reg!(api, DISTANCE, |a: Dynamic, b: Dynamic| -> R<f64> {
        Ok(vec3_arg(DISTANCE.name, "a", &a)?.distance(vec3_arg(DISTANCE.name, "b", &b)?) as f64)
    });
    reg!(api, LERP, |a: Dynamic,
                     b: Dynamic,
                     t: Dynamic|
     -> R<Dynamic> {
        let t = f32_arg(LERP.name, "t", &t)?;
        if let (Some(x), Some(y)) = (
            crate::script::args::number(&a),
            crate::script::args::number(&b),
        ) {
            return Ok(Dynamic::from_float(x + (y - x) * t as f64));
        }
        let a = vec3_arg(LERP.name, "a", &a)?;
        let b = vec3_arg(LERP.name, "b", &b)?;
        Ok(Dynamic::from(a.lerp(b, t)))
    });

    api.prop(&PROP_X).register_get_set(
        "x",
        |v: &mut Vec3| v.x as f64,
        |v: &mut Vec3, x: f64| v.x = x as f32,
    );
    api.prop(&PROP_Y).register_get_set(
        "y",
        |v: &mut Vec3| v.y as f64,
        |v: &mut Vec3, y: f64| v.y = y as f32,
    );
    api.prop(&PROP_Z).register_get_set(
        "z",
        |v: &mut Vec3| v.z as f64,
        |v: &mut Vec3, z: f64| v.z = z as f32,
    );

    let e = &mut *api.engine;
    e.register_fn("+", |a: Vec3, b: Vec3| a + b)
        .register_fn("-", |a: Vec3, b: Vec3| a - b)
        .register_fn("-", |a: Vec3| -a)
        .register_fn("*", |a: Vec3, k: f64| a * k as f32)
        .register_fn("*", |k: f64, a: Vec3| a * k as f32)
        .register_fn("*", |a: Vec3, k: i64| a * k as f32)
        .register_fn("*", |k: i64, a: Vec3| a * k as f32)
        .register_fn("*", |a: Vec3, b: Vec3| a * b)
        .register_fn("/", |a: Vec3, k: f64| a / k as f32)
        .register_fn("/", |a: Vec3, k: i64| a / k as f32)
        .register_fn("+", |a: Vec3, b: Array| -> R<Vec3> {
            Ok(a + vec3_arg("+", "right", &Dynamic::from(b))?)
        })
        .register_fn("+", |a: Array, b: Vec3| -> R<Vec3> {
            Ok(vec3_arg("+", "left", &Dynamic::from(a))? + b)
        })
        .register_fn("-", |a: Vec3, b: Array| -> R<Vec3> {
            Ok(a - vec3_arg("-", "right", &Dynamic::from(b))?)
        })
        .register_fn("==", |a: Vec3, b: Vec3| a == b)
        .register_fn("!=", |a: Vec3, b: Vec3| a != b)
        .register_fn("to_array", |v: Vec3| -> Array {
            vec![
                (v.x as f64).into(),
                (v.y as f64).into(),
                (v.z as f64).into(),
            ]
        })
        .register_fn("to_string", |v: &mut Vec3| {
            format!("vec3({}, {}, {})", v.x, v.y, v.z)
        })
        .register_fn("to_debug", |v: &mut Vec3| {
            format!("vec3({}, {}, {})", v.x, v.y, v.z)
        })
        .register_indexer_get(|v: &mut Vec3, i: i64| -> R<f64> {
            match i {
                0 => Ok(v.x as f64),
                1 => Ok(v.y as f64),
                2 => Ok(v.z as f64),
                _ => Err(format!("vec3 index {i} is out of range 0..2").into()),
            }
        });
}
