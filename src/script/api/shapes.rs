//! Primitive shapes. Each takes its dimensions and the common entity
//! options, and returns an Entity.

use glam::Vec3;
use rhai::{Dynamic, EvalAltResult, NativeCallContext};

use super::entities::{ENTITY_OPTS, create};
use super::{Api, EntityHandle, call_line, reg};
use crate::script::args::{positive, vec3_or_scalar};
use crate::script::error::ApiError;
use crate::script::host::SharedHost;
use crate::script::registry::{FnDoc, Topic};
use crate::world::Shape;

type R<T> = Result<T, Box<EvalAltResult>>;

pub static BOX: FnDoc = FnDoc {
    name: "box",
    aliases: &["cube", "cuboid", "block"],
    topic: Topic::Shapes,
    forms: &["box(size)", "box(size, options)"],
    returns: "Entity",
    params: &[(
        "size",
        "[width, height, depth] in metres, or one number for a cube",
    )],
    doc: "A box centred on its position.",
    options: ENTITY_OPTS,
    example: "let crate = box([1, 0.5, 1], #{ name: \"crate\", position: [0, 0.25, 0], material: \"wood\", body: \"dynamic\" });",
};

pub static SPHERE: FnDoc = FnDoc {
    name: "sphere",
    aliases: &["ball"],
    topic: Topic::Shapes,
    forms: &["sphere(radius)", "sphere(radius, options)"],
    returns: "Entity",
    params: &[("radius", "metres")],
    doc: "A sphere centred on its position.",
    options: ENTITY_OPTS,
    example: "let ball = sphere(0.2, #{ name: \"ball\", position: [0, 2, 0], color: \"red\", body: \"dynamic\", restitution: 0.7 });",
};

pub static CYLINDER: FnDoc = FnDoc {
    name: "cylinder",
    aliases: &["rod", "tube"],
    topic: Topic::Shapes,
    forms: &[
        "cylinder(radius, height)",
        "cylinder(radius, height, options)",
    ],
    returns: "Entity",
    params: &[("radius", "metres"), ("height", "metres, along local Y")],
    doc: "An upright cylinder centred on its position. Rotate it 90 degrees about X or Z to lay it down.",
    options: ENTITY_OPTS,
    example: "let post = cylinder(0.05, 1.0, #{ position: [0, 0.5, 0], material: \"metal\" });",
};

pub static CAPSULE: FnDoc = FnDoc {
    name: "capsule",
    aliases: &["pill"],
    topic: Topic::Shapes,
    forms: &[
        "capsule(radius, height)",
        "capsule(radius, height, options)",
    ],
    returns: "Entity",
    params: &[
        ("radius", "metres"),
        (
            "height",
            "length of the straight part, metres; the total is height + 2 radius",
        ),
    ],
    doc: "A capsule (cylinder with round ends) along local Y.",
    options: ENTITY_OPTS,
    example: "let pill = capsule(0.1, 0.3, #{ position: [0, 1, 0], body: \"dynamic\" });",
};

pub static CONE: FnDoc = FnDoc {
    name: "cone",
    aliases: &[],
    topic: Topic::Shapes,
    forms: &["cone(radius, height)", "cone(radius, height, options)"],
    returns: "Entity",
    params: &[
        ("radius", "base radius, metres"),
        ("height", "metres; apex up"),
    ],
    doc: "A cone with its base below and apex above its centre.",
    options: ENTITY_OPTS,
    example: "let pine = cone(0.8, 2.0, #{ position: [0, 1.5, 0], material: \"leaf\" });",
};

pub static PLANE: FnDoc = FnDoc {
    name: "plane",
    aliases: &["ground", "floor", "quad"],
    topic: Topic::Shapes,
    forms: &["plane(size)", "plane(size, options)"],
    returns: "Entity",
    params: &[(
        "size",
        "[width, depth] in metres, or one number for a square",
    )],
    doc: "A flat rectangle facing up (+Y): floors, ground, table tops. It is solid from above (its collider is a slab below the surface).",
    options: ENTITY_OPTS,
    example: "let ground = plane(20, #{ name: \"ground\", material: \"grass\" });",
};

pub static TORUS: FnDoc = FnDoc {
    name: "torus",
    aliases: &["donut", "ring"],
    topic: Topic::Shapes,
    forms: &[
        "torus(major_radius, minor_radius)",
        "torus(major_radius, minor_radius, options)",
    ],
    returns: "Entity",
    params: &[
        (
            "major_radius",
            "centre of the ring to the tube's centre, metres",
        ),
        ("minor_radius", "tube radius, metres"),
    ],
    doc: "A ring lying flat in the XZ plane. Moving tori collide as their convex hull unless collider: \"decompose\".",
    options: ENTITY_OPTS,
    example: "let ring = torus(0.5, 0.1, #{ position: [0, 0.1, 0], material: \"gold\" });",
};

pub static GROUP: FnDoc = FnDoc {
    name: "group",
    aliases: &[],
    topic: Topic::Shapes,
    forms: &["group()", "group(options)"],
    returns: "Entity",
    params: &[],
    doc: "An empty node to gather entities: move, rotate, scale or animate them together. With body: \"dynamic\", its children form one rigid body (a compound).",
    options: ENTITY_OPTS,
    example: "let cart = group(#{ name: \"cart\", position: [0, 0.3, 0], body: \"dynamic\" });\nbox([1, 0.2, 0.6], #{ parent: cart });",
};

fn plane_size(d: &Dynamic) -> Result<(f32, f32), ApiError> {
    if d.is_array() {
        let a = d.clone().into_array().unwrap_or_default();
        if a.len() == 2 {
            return Ok((
                positive(PLANE.name, "size[0]", &a[0])?,
                positive(PLANE.name, "size[1]", &a[1])?,
            ));
        }
        return Err(ApiError::type_error(
            PLANE.name,
            format!(
                "'size' must be [width, depth] or a number, got an array of {}",
                a.len()
            ),
        ));
    }
    let s = positive(PLANE.name, "size", d)?;
    Ok((s, s))
}

fn box_size(d: &Dynamic) -> Result<Vec3, ApiError> {
    let v = vec3_or_scalar(BOX.name, "size", d)?;
    if v.min_element() <= 0.0 {
        return Err(ApiError::validation(
            BOX.name,
            format!("'size' components must be greater than 0, got {v}"),
        ));
    }
    Ok(v)
}

/// Registers the one- and two-argument forms of a shape whose dimensions
/// come from one argument.
fn register_one(api: &mut Api, doc: &'static FnDoc, make: fn(&Dynamic) -> Result<Shape, ApiError>) {
    let (h1, h2): (SharedHost, SharedHost) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        *doc,
        move |ctx: NativeCallContext, a: Dynamic| -> R<EntityHandle> {
            Ok(create(&h1, doc, make(&a)?, None, call_line(&ctx))?)
        },
        move |ctx: NativeCallContext, a: Dynamic, options: Dynamic| -> R<EntityHandle> {
            Ok(create(
                &h2,
                doc,
                make(&a)?,
                Some(&options),
                call_line(&ctx),
            )?)
        }
    );
}

fn register_two(
    api: &mut Api,
    doc: &'static FnDoc,
    make: fn(&Dynamic, &Dynamic) -> Result<Shape, ApiError>,
) {
    let (h1, h2): (SharedHost, SharedHost) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        *doc,
        move |ctx: NativeCallContext, a: Dynamic, b: Dynamic| -> R<EntityHandle> {
            Ok(create(&h1, doc, make(&a, &b)?, None, call_line(&ctx))?)
        },
        move |ctx: NativeCallContext,
              a: Dynamic,
              b: Dynamic,
              options: Dynamic|
              -> R<EntityHandle> {
            Ok(create(
                &h2,
                doc,
                make(&a, &b)?,
                Some(&options),
                call_line(&ctx),
            )?)
        }
    );
}

pub fn register(api: &mut Api) {
    register_one(api, &BOX, |d| Ok(Shape::Box { size: box_size(d)? }));
    register_one(api, &SPHERE, |d| {
        Ok(Shape::Sphere {
            radius: positive(SPHERE.name, "radius", d)?,
        })
    });
    register_two(api, &CYLINDER, |r, h| {
        Ok(Shape::Cylinder {
            radius: positive(CYLINDER.name, "radius", r)?,
            height: positive(CYLINDER.name, "height", h)?,
        })
    });
    register_two(api, &CAPSULE, |r, h| {
        Ok(Shape::Capsule {
            radius: positive(CAPSULE.name, "radius", r)?,
            height: positive(CAPSULE.name, "height", h)?,
        })
    });
    register_two(api, &CONE, |r, h| {
        Ok(Shape::Cone {
            radius: positive(CONE.name, "radius", r)?,
            height: positive(CONE.name, "height", h)?,
        })
    });
    register_one(api, &PLANE, |d| {
        let (width, depth) = plane_size(d)?;
        Ok(Shape::Plane { width, depth })
    });
    register_two(api, &TORUS, |a, b| {
        let major = positive(TORUS.name, "major_radius", a)?;
        let minor = positive(TORUS.name, "minor_radius", b)?;
        if minor >= major {
            return Err(ApiError::validation(
                TORUS.name,
                format!("'minor_radius' ({minor}) must be smaller than 'major_radius' ({major})"),
            ));
        }
        Ok(Shape::Torus { major, minor })
    });
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        GROUP,
        move |ctx: NativeCallContext| -> R<EntityHandle> {
            Ok(create(&h1, &GROUP, Shape::Group, None, call_line(&ctx))?)
        },
        move |ctx: NativeCallContext, options: Dynamic| -> R<EntityHandle> {
            Ok(create(
                &h2,
                &GROUP,
                Shape::Group,
                Some(&options),
                call_line(&ctx),
            )?)
        }
    );
}
