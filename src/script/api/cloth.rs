//! Cloth and soft bodies: `cloth(...)` makes a sheet (or turns a mesh
//! entity into cloth), `soft_body(...)` a jelly-like volume.

use std::sync::Arc;

use glam::Vec3;
use rhai::{Dynamic, EvalAltResult, NativeCallContext};

use super::entities::{LOOK_OPTS, create};
use super::{Api, EntityHandle, call_line, entity_arg, reg, require_building};
use crate::script::args::{ApiResult, Opts, int_arg, positive, str_arg};
use crate::script::error::ApiError;
use crate::script::host::SharedHost;
use crate::script::registry::{FnDoc, OptSpec, OptType, Topic, opt};
use crate::world::deformable::{
    Cloth, Deformable, MAX_DEFORM_VERTICES, MAX_TETS, Pulse, SOFT_SHAPES, SoftBody, SoftShape,
    TetMesh, grid, tetrahedralise, tetrahedralise_mesh,
};
use crate::world::mesh::{Mesh, tessellate};
use crate::world::{BodyKind, EntityId, Shape};

type R<T> = Result<T, Box<EvalAltResult>>;

const PLACE_OPTS: &[OptSpec] = &[
    opt(
        "name",
        OptType::Text,
        "none",
        "unique name; reports, expectations and find() use it",
    ),
    opt("tags", OptType::Tags, "[]", "labels for find_all()"),
    opt(
        "position",
        OptType::Vec3,
        "[0, 0, 0]",
        "centre at rest, metres",
    ),
    opt(
        "rotation",
        OptType::Vec3,
        "[0, 0, 0]",
        "Euler degrees about X, then Y, then Z",
    ),
    opt("visible", OptType::Bool, "true", "drawn or not"),
];

const PINS: &[&str] = &[
    "none",
    "top",
    "top_corners",
    "left",
    "right",
    "corners",
    "bottom",
];

const CLOTH_OPTS: &[OptSpec] = &[
    opt(
        "resolution",
        OptType::Int { min: 2, max: 200 },
        "about 30 per metre, at most 64",
        "vertices along the width (rows follow the aspect)",
    ),
    opt(
        "flat",
        OptType::Bool,
        "false",
        "lie in the XZ plane facing up (a tablecloth) instead of hanging in XY",
    ),
    opt(
        "pin",
        OptType::Choice { choices: PINS },
        "none",
        "edge or corners held still (on 'attach' if given); or a list of vertex indices",
    ),
    opt(
        "pin_at",
        OptType::Points,
        "[]",
        "world points: the vertex nearest each is pinned",
    ),
    opt(
        "attach",
        OptType::Entity,
        "none",
        "pinned vertices ride on this entity (pole, rail, moving hand)",
    ),
    opt(
        "density",
        OptType::Float {
            min: 0.001,
            max: 100.0,
        },
        "0.2",
        "mass per area, kg/m^2 (silk 0.05, cotton 0.2, canvas 0.5)",
    ),
    opt(
        "stretch",
        OptType::Float { min: 0.0, max: 1.0 },
        "0",
        "stretch compliance, m/N (0 inextensible; 1e-4 knit)",
    ),
    opt(
        "bend",
        OptType::Float {
            min: 0.0,
            max: 10.0,
        },
        "0.01",
        "bending compliance (0 stiff like card, 1 limp silk)",
    ),
    opt(
        "damping",
        OptType::Float {
            min: 0.0,
            max: 100.0,
        },
        "0.1",
        "velocity damping, 1/s",
    ),
    opt(
        "drag",
        OptType::Float {
            min: 0.0,
            max: 10.0,
        },
        "1.2",
        "aerodynamic drag coefficient of the faces (wind pushes by area and normal)",
    ),
    opt(
        "lift",
        OptType::Float {
            min: 0.0,
            max: 10.0,
        },
        "0.4",
        "aerodynamic lift coefficient",
    ),
    opt(
        "thickness",
        OptType::Float { min: 0.0, max: 0.5 },
        "0.01",
        "distance kept from rigid surfaces, metres",
    ),
    opt(
        "friction",
        OptType::Float { min: 0.0, max: 1.0 },
        "0.5",
        "against rigid surfaces",
    ),
    opt(
        "iterations",
        OptType::Int { min: 1, max: 32 },
        "4",
        "solver substeps per physics step (more: stiffer, slower)",
    ),
    opt(
        "self_collision",
        OptType::Bool,
        "true",
        "keep the sheet from passing through itself",
    ),
];

pub static CLOTH: FnDoc = FnDoc {
    name: "cloth",
    aliases: &[],
    topic: Topic::Cloth,
    forms: &[
        "cloth(size)",
        "cloth(size, options)",
        "cloth(entity)",
        "cloth(entity, options)",
    ],
    returns: "Entity",
    params: &[
        (
            "size",
            "[width, height] in metres (or one number): a sheet hanging in the XY plane, row 0 at the top",
        ),
        (
            "entity",
            "an open mesh entity (lathe, faces, plane) that becomes cloth in place",
        ),
    ],
    doc: "A cloth sheet simulated with XPBD: flags, curtains, tablecloths, sails. Gravity and the wind field (gusts, turbulence) act on every face by its area and normal; it collides with rigid shapes (boxes, spheres, capsules, cylinders, planes, terrain; other meshes by their bounds) and with itself. Pin an edge to hold it, and attach the pins to an entity to carry them. Rigid bodies push the cloth, the cloth does not push back. Check it with expect(\"flutters\") or expect(\"drapes\").",
    options: &[PLACE_OPTS, LOOK_OPTS, CLOTH_OPTS],
    example: "let pole = cylinder(0.03, 3, #{ position: [0, 1.5, 0], material: \"metal\" });\nlet flag = cloth([1.5, 1.0], #{ name: \"flag\", position: [0.78, 2.45, 0], pin: \"left\", attach: pole, color: \"red\" });\nwind(#{ direction: [1, 0, 0.2], speed: 7, gust: 0.4, turbulence: 0.3 });",
};

const SOFT_OPTS: &[OptSpec] = &[
    opt(
        "size",
        OptType::Vec3OrScalar { min: 0.0 },
        "[0.4, 0.4, 0.4]",
        "box: extent, metres",
    ),
    opt(
        "radius",
        OptType::Float {
            min: 0.001,
            max: 100.0,
        },
        "0.25",
        "sphere and cylinder radius, metres",
    ),
    opt(
        "height",
        OptType::Float {
            min: 0.001,
            max: 100.0,
        },
        "0.4",
        "cylinder height, metres",
    ),
    opt(
        "scale",
        OptType::Vec3OrScalar { min: 0.0 },
        "1",
        "stretches the rest shape (a flattened sphere for a bell)",
    ),
    opt(
        "resolution",
        OptType::Int { min: 1, max: 24 },
        "6",
        "lattice cells along the longest side (6 tetrahedra per cell)",
    ),
    opt(
        "density",
        OptType::Float {
            min: 1.0,
            max: 20_000.0,
        },
        "1000",
        "kg/m^3",
    ),
    opt(
        "compliance",
        OptType::Float { min: 0.0, max: 1.0 },
        "0.001",
        "edge compliance, m/N: 0 firm rubber, 0.001 jelly (above about 0.002 the lattice jitters)",
    ),
    opt(
        "volume_compliance",
        OptType::Float { min: 0.0, max: 1.0 },
        "0",
        "0 keeps volume exactly; larger lets it squash",
    ),
    opt(
        "damping",
        OptType::Float {
            min: 0.0,
            max: 100.0,
        },
        "0.2",
        "velocity damping, 1/s",
    ),
    opt(
        "friction",
        OptType::Float { min: 0.0, max: 1.0 },
        "0.6",
        "against rigid surfaces",
    ),
    opt(
        "iterations",
        OptType::Int { min: 1, max: 32 },
        "4",
        "solver substeps per physics step",
    ),
    opt(
        "velocity",
        OptType::Vec3,
        "[0, 0, 0]",
        "initial velocity, m/s",
    ),
    opt(
        "gravity",
        OptType::Float {
            min: -10.0,
            max: 10.0,
        },
        "1",
        "gravity scale (0 floats, as in water)",
    ),
    opt(
        "anchor",
        OptType::Entity,
        "none",
        "the body's centre follows this entity softly (animate the entity to swim)",
    ),
    opt(
        "pulse",
        OptType::Vec3OrScalar { min: -0.9 },
        "none",
        "rest shape pulsates: per-axis fraction at full contraction, e.g. [-0.25, 0.15, -0.25]",
    ),
    opt(
        "pulse_period",
        OptType::Float {
            min: 0.05,
            max: 1000.0,
        },
        "1",
        "seconds per pulse",
    ),
];

pub static SOFT_BODY: FnDoc = FnDoc {
    name: "soft_body",
    aliases: &[],
    topic: Topic::Cloth,
    forms: &["soft_body(shape)", "soft_body(shape, options)"],
    returns: "Entity",
    params: &[(
        "shape",
        "\"box\", \"sphere\" or \"cylinder\": the rest shape, tetrahedralised on a lattice; or a closed mesh entity (a lathe, faces, any solid shape), filled with the lattice and drawn onto its surface, which becomes the soft body",
    )],
    doc: "A soft volumetric body (XPBD tetrahedra with edge and volume constraints): jelly, a squashy ball, rubber, a jellyfish bell. It keeps its volume, wobbles after impacts and collides with rigid shapes and the ground (one-way: it does not push rigid bodies). 'pulse' animates its rest shape, so it contracts and relaxes by itself. Check it with expect(\"wobbles\").",
    options: &[PLACE_OPTS, LOOK_OPTS, SOFT_OPTS],
    example: "plane(6, #{ name: \"plate\" });\nlet jelly = soft_body(\"box\", #{ name: \"jelly\", size: 0.4, position: [0, 0.8, 0], color: \"#40c040\", opacity: 0.8 });\nexpect(\"wobbles\", jelly);",
};

fn pin_selection(func: &'static str, d: &Dynamic, rest: &[Vec3], n: usize) -> ApiResult<Vec<u32>> {
    if d.is_array() {
        let a = d.clone().into_array().unwrap_or_default();
        let mut out = Vec::with_capacity(a.len());
        for (k, v) in a.iter().enumerate() {
            let i = int_arg(func, &format!("pin[{k}]"), v)?;
            if i < 0 || i as usize >= n {
                return Err(ApiError::validation(
                    func,
                    format!("'pin[{k}]': vertex {i} does not exist (the cloth has {n})"),
                ));
            }
            out.push(i as u32);
        }
        return Ok(out);
    }
    let s = str_arg(func, "pin", d)?;
    if !PINS.contains(&s.as_str()) {
        return Err(ApiError::validation(
            func,
            format!(
                "'pin' must be one of {} or a list of vertex indices, got \"{s}\"",
                PINS.join(", ")
            ),
        )
        .with_suggestions(crate::util::suggest::closest(&s, PINS.iter().copied(), 3)));
    }
    // A flat sheet's "top" is its far edge (-Z).
    let (lo0, hi0) = crate::world::deformable::bounds(rest).unwrap_or((Vec3::ZERO, Vec3::ZERO));
    let flat = hi0.y - lo0.y < 1e-6 && hi0.z - lo0.z > 1e-6;
    let rest: Vec<Vec3> = if flat {
        rest.iter().map(|p| Vec3::new(p.x, -p.z, 0.0)).collect()
    } else {
        rest.to_vec()
    };
    let (lo, hi) = rest.iter().fold(
        (Vec3::splat(f32::MAX), Vec3::splat(f32::MIN)),
        |(lo, hi), p| (lo.min(*p), hi.max(*p)),
    );
    let tol = (hi - lo).max_element().max(1e-6) * 0.01;
    let top = |p: &Vec3| p.y >= hi.y - tol;
    let bottom = |p: &Vec3| p.y <= lo.y + tol;
    let left = |p: &Vec3| p.x <= lo.x + tol;
    let right = |p: &Vec3| p.x >= hi.x - tol;
    let pick = |f: &dyn Fn(&Vec3) -> bool| {
        rest.iter()
            .enumerate()
            .filter(|(_, p)| f(p))
            .map(|(i, _)| i as u32)
            .collect::<Vec<u32>>()
    };
    Ok(match s.as_str() {
        "top" => pick(&top),
        "bottom" => pick(&bottom),
        "left" => pick(&left),
        "right" => pick(&right),
        "top_corners" => pick(&|p| top(p) && (left(p) || right(p))),
        "corners" => pick(&|p| (top(p) || bottom(p)) && (left(p) || right(p))),
        _ => Vec::new(),
    })
}

/// Merges vertices at the same place, so a tessellated mesh (split at
/// seams and hard edges) becomes one connected sheet.
fn weld(mesh: &Mesh) -> (Vec<Vec3>, Vec<[u32; 3]>) {
    let key = |p: Vec3| {
        let q = (p * 1e4).round();
        (q.x as i64, q.y as i64, q.z as i64)
    };
    let mut order: Vec<usize> = (0..mesh.positions.len()).collect();
    order.sort_by_key(|&i| (key(mesh.positions[i]), i));
    let mut remap = vec![0u32; mesh.positions.len()];
    let mut pos = Vec::new();
    let mut last = None;
    for i in order {
        let k = key(mesh.positions[i]);
        if last != Some(k) {
            pos.push(mesh.positions[i]);
            last = Some(k);
        }
        remap[i] = (pos.len() - 1) as u32;
    }
    let tris = mesh
        .indices
        .iter()
        .map(|t| t.map(|i| remap[i as usize]))
        .filter(|t| t[0] != t[1] && t[1] != t[2] && t[0] != t[2])
        .collect();
    (pos, tris)
}

fn check_vertices(func: &'static str, n: usize, what: &str) -> ApiResult<()> {
    if n > MAX_DEFORM_VERTICES {
        return Err(ApiError::limit(
            func,
            format!("{what} has {n} vertices, more than {MAX_DEFORM_VERTICES}"),
        )
        .with_hint("Lower 'resolution'."));
    }
    Ok(())
}

fn finish_cloth(
    host: &SharedHost,
    o: &Opts,
    id: EntityId,
    rest: Vec<Vec3>,
    triangles: Vec<[u32; 3]>,
    line: usize,
) -> ApiResult<EntityHandle> {
    let func = CLOTH.name;
    let n = rest.len();
    let mut pins = match o.raw("pin") {
        Some(d) => pin_selection(func, d, &rest, n)?,
        None => Vec::new(),
    };
    let attach = match o.raw("attach") {
        Some(d) => Some(entity_arg(host, func, "attach", d)?),
        None => None,
    };
    let mut h = host.borrow_mut();
    if let Some(points) = o.points("pin_at")? {
        let m = h.world.world_transform(id).matrix();
        for p in points {
            let nearest = rest
                .iter()
                .enumerate()
                .map(|(i, r)| (i, m.transform_point3(*r).distance_squared(p)))
                .fold(
                    (0usize, f32::INFINITY),
                    |a, b| if b.1 < a.1 { b } else { a },
                );
            pins.push(nearest.0 as u32);
        }
    }
    if attach.is_some() && pins.is_empty() {
        return Err(
            ApiError::validation(func, "'attach' needs pinned vertices").with_hint(
                "Add pin: \"left\" (or \"top\", pin_at: [...]) to say which vertices hang on it.",
            ),
        );
    }
    if attach == Some(id) {
        return Err(ApiError::validation(
            func,
            "a cloth cannot be attached to itself",
        ));
    }
    let cloth = Cloth {
        entity: id,
        rest: Arc::new(rest),
        triangles: Arc::new(triangles),
        pins,
        attach,
        stretch_compliance: o.f32("stretch")?.unwrap_or(0.0),
        bend_compliance: o.f32("bend")?.unwrap_or(0.01),
        density: o.f32("density")?.unwrap_or(0.2),
        damping: o.f32("damping")?.unwrap_or(0.1),
        drag: o.f32("drag")?.unwrap_or(1.2),
        lift: o.f32("lift")?.unwrap_or(0.4),
        thickness: o.f32("thickness")?.unwrap_or(0.01),
        friction: o.f32("friction")?.unwrap_or(0.5),
        iterations: o.int("iterations")?.unwrap_or(4) as u32,
        self_collision: o.bool("self_collision")?.unwrap_or(true),
        line,
    };
    let e = h.world.entity_mut(id);
    e.body.kind = BodyKind::None;
    e.shape = Shape::Mesh {
        mesh: Arc::new(Mesh::from_faces(
            (*cloth.rest).clone(),
            (*cloth.triangles).clone(),
        )),
        triangles: cloth.triangles.len(),
    };
    h.world.deformables.push(Deformable::Cloth(cloth));
    Ok(EntityHandle(id))
}

fn sheet(size: &Dynamic, o: &Opts) -> ApiResult<(Vec<Vec3>, Vec<[u32; 3]>)> {
    let func = CLOTH.name;
    let (w, hgt) = if size.is_array() {
        let a = size.clone().into_array().unwrap_or_default();
        if a.len() != 2 {
            return Err(ApiError::type_error(
                func,
                format!(
                    "'size' must be [width, height] or a number, got an array of {}",
                    a.len()
                ),
            ));
        }
        (
            positive(func, "size[0]", &a[0])?,
            positive(func, "size[1]", &a[1])?,
        )
    } else {
        let s = positive(func, "size", size)?;
        (s, s)
    };
    if w > 1000.0 || hgt > 1000.0 {
        return Err(ApiError::validation(func, "'size' must be at most 1000 m"));
    }
    let cols = match o.int("resolution")? {
        Some(c) => c as usize,
        None => ((w * 30.0).round() as usize).clamp(8, 64),
    };
    let rows = ((cols as f32 * hgt / w).round() as usize).clamp(2, 400);
    check_vertices(func, cols * rows, "the sheet")?;
    let (mut pos, tris) = grid(w, hgt, cols, rows);
    if o.bool("flat")?.unwrap_or(false) {
        // Lay it down: +Y becomes -Z, facing +Y.
        for p in &mut pos {
            *p = Vec3::new(p.x, 0.0, -p.y);
        }
    }
    Ok((pos, tris))
}

fn cloth_sheet(
    host: &SharedHost,
    size: Dynamic,
    options: Option<&Dynamic>,
    line: usize,
) -> ApiResult<EntityHandle> {
    require_building(host, CLOTH.name)?;
    let o = Opts::parse(&CLOTH, options)?;
    let (pos, tris) = sheet(&size, &o)?;
    let mesh = Mesh::from_faces(pos.clone(), tris.clone());
    let handle = create(
        host,
        &CLOTH,
        Shape::Mesh {
            triangles: mesh.triangle_count(),
            mesh: Arc::new(mesh),
        },
        options,
        line,
    )?;
    finish_cloth(host, &o, handle.0, pos, tris, line).inspect_err(|_| {
        host.borrow_mut().world.entities.pop();
    })
}

fn cloth_from(
    host: &SharedHost,
    entity: EntityId,
    options: Option<&Dynamic>,
    line: usize,
) -> ApiResult<EntityHandle> {
    let func = CLOTH.name;
    require_building(host, func)?;
    let o = Opts::parse(&CLOTH, options)?;
    refuse_keys(
        func,
        &o,
        &["resolution", "flat"],
        "applies to a sheet made from a size, not to a mesh entity",
    )?;
    let (pos, tris) = {
        let h = host.borrow();
        refuse_second_deformable(func, &h.world, entity)?;
        let e = h.world.entity(entity);
        if matches!(e.shape, Shape::Group) {
            return Err(
                ApiError::validation(func, "a group has no surface to turn into cloth").with_hint(
                    "Pass a mesh entity (lathe, faces, plane), or give a size: cloth([1, 1], ...).",
                ),
            );
        }
        weld(&tessellate(&e.shape))
    };
    check_vertices(func, pos.len(), "the mesh")?;
    if tris.is_empty() {
        return Err(ApiError::validation(
            func,
            "the entity's mesh has no triangles",
        ));
    }
    super::entities::apply(host, func, entity, &o, true)?;
    finish_cloth(host, &o, entity, pos, tris, line)
}

/// A box, sphere or cylinder on the lattice.
fn soft_primitive(o: &Opts, shape: &Dynamic, res: usize) -> ApiResult<TetMesh> {
    let func = SOFT_BODY.name;
    let kind = str_arg(func, "shape", shape)?;
    let radius = o.f32("radius")?.unwrap_or(0.25);
    let soft_shape = match kind.as_str() {
        "box" => {
            let size = o.vec3_or_scalar("size")?.unwrap_or(Vec3::splat(0.4));
            if size.min_element() <= 0.0 || size.max_element() > 100.0 {
                return Err(ApiError::validation(
                    func,
                    format!("'size' components must be in (0, 100] m, got {size}"),
                ));
            }
            SoftShape::Box { size }
        }
        "sphere" => SoftShape::Sphere { radius },
        "cylinder" => SoftShape::Cylinder {
            radius,
            height: o.f32("height")?.unwrap_or(0.4),
        },
        other => {
            return Err(ApiError::validation(
                func,
                format!(
                    "'shape' must be one of {}, got \"{other}\"",
                    SOFT_SHAPES.join(", ")
                ),
            )
            .with_suggestions(crate::util::suggest::closest(
                other,
                SOFT_SHAPES.iter().copied(),
                3,
            )));
        }
    };
    Ok(tetrahedralise(soft_shape, res))
}

/// Options that make no sense for a mesh entity turned deformable are
/// errors that say why, not silently ignored.
fn refuse_keys(func: &'static str, o: &Opts, keys: &[&str], why: &str) -> ApiResult<()> {
    match keys.iter().find(|k| o.has(k)) {
        Some(key) => Err(ApiError::validation(func, format!("'{key}' {why}"))),
        None => Ok(()),
    }
}

/// An entity is cloth or a soft body once.
fn refuse_second_deformable(
    func: &'static str,
    world: &crate::world::World,
    entity: EntityId,
) -> ApiResult<()> {
    if world.deformables.iter().any(|d| d.entity() == entity) {
        return Err(ApiError::validation(
            func,
            "this entity is already cloth or a soft body",
        ));
    }
    Ok(())
}

/// The inside of a closed mesh entity (a lathe, a tessellated shape,
/// faces), in its own frame.
fn soft_mesh_of(host: &SharedHost, o: &Opts, entity: EntityId, res: usize) -> ApiResult<TetMesh> {
    let func = SOFT_BODY.name;
    refuse_keys(
        func,
        o,
        &["size", "radius", "height"],
        "sizes a primitive shape; a mesh entity keeps its own size (use 'scale')",
    )?;
    let h = host.borrow();
    refuse_second_deformable(func, &h.world, entity)?;
    let e = h.world.entity(entity);
    if matches!(
        e.shape,
        Shape::Group | Shape::Plane { .. } | Shape::Heightfield { .. }
    ) {
        return Err(ApiError::validation(
            func,
            format!("a {} has no inside to fill", e.shape.kind_name()),
        )
        .with_hint("Pass a closed shape or mesh (sphere, box, lathe, faces), or a shape name: soft_body(\"sphere\", ...)."));
    }
    let (v, t) = weld(&tessellate(&e.shape));
    tetrahedralise_mesh(&v, &t, res).ok_or_else(|| {
        ApiError::validation(func, "the mesh encloses no volume at this resolution").with_hint(
            "Give a closed mesh (no holes), or a higher resolution: #{ resolution: 10 }.",
        )
    })
}

fn soft(
    host: &SharedHost,
    shape: Dynamic,
    options: Option<&Dynamic>,
    line: usize,
) -> ApiResult<EntityHandle> {
    let func = SOFT_BODY.name;
    require_building(host, func)?;
    let o = Opts::parse(&SOFT_BODY, options)?;
    let res = o.int("resolution")?.unwrap_or(6) as usize;
    let from_entity = shape.clone().try_cast::<EntityHandle>().map(|e| e.0);
    let (pos, tets, surface) = match from_entity {
        Some(entity) => soft_mesh_of(host, &o, entity, res)?,
        None => soft_primitive(&o, &shape, res)?,
    };
    check_vertices(func, pos.len(), "the soft body")?;
    if tets.len() > MAX_TETS {
        return Err(ApiError::limit(
            func,
            format!("{} tetrahedra, more than {MAX_TETS}", tets.len()),
        ));
    }
    // 'scale' is the entity's own: the simulation reads it from its transform.
    let pulse = match o.raw("pulse") {
        Some(_) => {
            let a = o.vec3_or_scalar("pulse")?.unwrap_or(Vec3::ZERO);
            if a.max_element() > 2.0 {
                return Err(ApiError::validation(
                    func,
                    format!("'pulse' fractions must be in [-0.9, 2], got {a}"),
                ));
            }
            Some(Pulse {
                amplitude: a,
                period: o.f32("pulse_period")?.unwrap_or(1.0),
                phase: 0.0,
            })
        }
        None if o.has("pulse_period") => {
            return Err(
                ApiError::validation(func, "'pulse_period' needs 'pulse'").with_hint(
                    "Add pulse: [-0.2, 0.1, -0.2] (per-axis fraction at full contraction).",
                ),
            );
        }
        None => None,
    };
    let anchor = match o.raw("anchor") {
        Some(d) => Some(entity_arg(host, func, "anchor", d)?),
        None => None,
    };
    let mesh = Mesh::from_faces(pos.clone(), surface.clone());
    let shape = Shape::Mesh {
        triangles: mesh.triangle_count(),
        mesh: Arc::new(mesh),
    };
    let handle = match from_entity {
        // The entity becomes the soft body, keeping its name, place and look.
        Some(entity) => {
            super::entities::apply(host, func, entity, &o, true)?;
            host.borrow_mut().world.entity_mut(entity).shape = shape;
            EntityHandle(entity)
        }
        None => create(host, &SOFT_BODY, shape, options, line)?,
    };
    let id = handle.0;
    let body = SoftBody {
        entity: id,
        rest: Arc::new(pos),
        tets: Arc::new(tets),
        surface: Arc::new(surface),
        density: o.f32("density")?.unwrap_or(1000.0),
        edge_compliance: o.f32("compliance")?.unwrap_or(0.001),
        volume_compliance: o.f32("volume_compliance")?.unwrap_or(0.0),
        damping: o.f32("damping")?.unwrap_or(0.2),
        friction: o.f32("friction")?.unwrap_or(0.6),
        iterations: o.int("iterations")?.unwrap_or(4) as u32,
        velocity: o.vec3("velocity")?.unwrap_or(Vec3::ZERO),
        gravity: o.f32("gravity")?.unwrap_or(1.0),
        anchor,
        pulse,
        line,
    };
    let mut h = host.borrow_mut();
    h.world.entity_mut(id).body.kind = BodyKind::None;
    h.world.deformables.push(Deformable::Soft(body));
    Ok(handle)
}

pub fn register(api: &mut Api) {
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        CLOTH,
        move |ctx: NativeCallContext, first: Dynamic| -> R<EntityHandle> {
            let line = call_line(&ctx);
            // cloth(mesh_entity) as well as cloth([w, h]).
            if let Some(e) = first.clone().try_cast::<EntityHandle>() {
                return Ok(cloth_from(&h1, e.0, None, line)?);
            }
            Ok(cloth_sheet(&h1, first, None, line)?)
        },
        move |ctx: NativeCallContext, first: Dynamic, options: Dynamic| -> R<EntityHandle> {
            let line = call_line(&ctx);
            if let Some(e) = first.clone().try_cast::<EntityHandle>() {
                return Ok(cloth_from(&h2, e.0, Some(&options), line)?);
            }
            Ok(cloth_sheet(&h2, first, Some(&options), line)?)
        }
    );
    let (s1, s2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        SOFT_BODY,
        move |ctx: NativeCallContext, shape: Dynamic| -> R<EntityHandle> {
            Ok(soft(&s1, shape, None, call_line(&ctx))?)
        },
        move |ctx: NativeCallContext, shape: Dynamic, options: Dynamic| -> R<EntityHandle> {
            Ok(soft(&s2, shape, Some(&options), call_line(&ctx))?)
        }
    );
}
