//! The mesh builder: explicit faces, lathe, extrusion, sweep, heightfield.

use std::sync::Arc;

use glam::{Vec2, Vec3};
use rhai::{Array, Dynamic, EvalAltResult, NativeCallContext};

use super::entities::{BODY_OPTS, LOOK_OPTS, TRANSFORM_OPTS, create};
use super::{Api, EntityHandle, call_line, reg};
use crate::script::args::{
    ApiResult, Opts, array_arg, f32_arg, int_arg, points_arg, points2_arg, positive, vec2_arg,
};
use crate::script::error::ApiError;
use crate::script::host::SharedHost;
use crate::script::registry::{FnDoc, OptSpec, OptType, Topic, opt};
use crate::world::Shape;
use crate::world::mesh::{self, Mesh};

type R<T> = Result<T, Box<EvalAltResult>>;

const SEGMENT_OPTS: &[OptSpec] = &[opt(
    "segments",
    OptType::Int { min: 3, max: 256 },
    "32",
    "steps around the axis",
)];
const EXTRUDE_OPTS: &[OptSpec] = &[opt(
    "holes",
    OptType::Outlines,
    "[]",
    "outlines cut through the solid (windows, rings, frames); inside the outline, not touching it or each other",
)];
const SWEEP_OPTS: &[OptSpec] = &[opt(
    "taper",
    OptType::Range {
        min: 0.0,
        max: 100.0,
    },
    "[1, 1]",
    "cross-section scale at the start and end of the path",
)];

const HEIGHTFIELD_OPTS: &[OptSpec] = &[opt(
    "layers",
    OptType::Layers,
    "[]",
    "material bands by slope and height, laid in order over the base colour: rock on steep sides, snow on peaks, sand by the water",
)];

const LAYER_OPTS: &[OptSpec] = &[
    opt("color", OptType::Color, "grey", "the band's colour"),
    opt(
        "slope",
        OptType::Range {
            min: 0.0,
            max: 90.0,
        },
        "[0, 90]",
        "degrees from horizontal where the band lies",
    ),
    opt(
        "height",
        OptType::Range {
            min: -1e4,
            max: 1e4,
        },
        "[-10000, 10000]",
        "heights in metres, in the terrain's own frame, where the band lies",
    ),
    opt(
        "blend",
        OptType::Float { min: 0.0, max: 1.0 },
        "0.3",
        "softness of the band's edges, as a share of its ranges",
    ),
    opt(
        "noise",
        OptType::Float { min: 0.0, max: 1.0 },
        "0.5",
        "how much seeded noise breaks up the edges",
    ),
];

pub static TERRAIN_LAYER: FnDoc = FnDoc {
    name: "terrain_layer",
    aliases: &[],
    topic: Topic::Meshes,
    forms: &["terrain_layer(options)"],
    returns: "map",
    params: &[("options", "the band's colour and where it lies")],
    doc: "A material band for `heightfield`'s `layers`: where the ground's slope and height fall in the band's ranges, its colour covers the terrain's own (drawn only). Checks the map and returns it; a plain map works as well.",
    options: &[LAYER_OPTS],
    example: "let rows = [];\nfor z in 0..24 { let row = []; for x in 0..24 { row.push(noise(x * 0.2, z * 0.2) * 6.0 + z * 0.3); } rows.push(row); }\nlet rock = terrain_layer(#{ color: \"#6f6a64\", slope: [32, 90] });\nlet snow = terrain_layer(#{ color: \"white\", height: [6, 100], slope: [0, 45] });\nheightfield(rows, [40, 40], #{ color: \"olive\", layers: [rock, snow] });",
};

pub static MESH: FnDoc = FnDoc {
    name: "mesh",
    aliases: &[],
    topic: Topic::Meshes,
    forms: &["mesh(vertices, faces)", "mesh(vertices, faces, options)"],
    returns: "Entity",
    params: &[
        ("vertices", "list of [x, y, z] points"),
        (
            "faces",
            "list of [a, b, c] vertex indices (triangles) or [a, b, c, d] (quads), counter-clockwise seen from outside",
        ),
    ],
    doc: "A mesh from explicit vertices and faces, with smooth normals. Moving meshes collide as their convex hull (collider: \"decompose\" for concave ones).",
    options: &[TRANSFORM_OPTS, LOOK_OPTS, BODY_OPTS],
    example: "let tent = mesh([[-1, 0, -1], [1, 0, -1], [1, 0, 1], [-1, 0, 1], [0, 1.2, 0]],\n  [[0, 1, 4], [1, 2, 4], [2, 3, 4], [3, 0, 4], [0, 3, 2, 1]], #{ color: \"orange\" });",
};

pub static LATHE: FnDoc = FnDoc {
    name: "lathe",
    aliases: &["revolve"],
    topic: Topic::Meshes,
    forms: &["lathe(profile)", "lathe(profile, options)"],
    returns: "Entity",
    params: &[("profile", "list of [radius, height] points, bottom to top")],
    doc: "Revolves a profile around the Y axis: cups, bottles, vases, bowls, lamp shades. Ends off the axis are closed.",
    options: &[TRANSFORM_OPTS, LOOK_OPTS, BODY_OPTS, SEGMENT_OPTS],
    example: "let vase = lathe([[0, 0], [0.1, 0], [0.14, 0.1], [0.08, 0.3], [0.1, 0.35]], #{ material: \"ceramic\", segments: 24 });",
};

pub static EXTRUDE: FnDoc = FnDoc {
    name: "extrude",
    aliases: &["extrusion"],
    topic: Topic::Meshes,
    forms: &[
        "extrude(outline, height)",
        "extrude(outline, height, options)",
    ],
    returns: "Entity",
    params: &[
        (
            "outline",
            "list of [x, z] points of a simple polygon (either winding)",
        ),
        ("height", "metres, upwards"),
    ],
    doc: "Extrudes a 2D outline upwards into a solid: walls, signs, stars, leaves with thickness; `holes` cuts openings through it.",
    options: &[TRANSFORM_OPTS, LOOK_OPTS, BODY_OPTS, EXTRUDE_OPTS],
    example: "let step = extrude([[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]], 0.2, #{ material: \"stone\" });",
};

pub static SWEEP: FnDoc = FnDoc {
    name: "sweep",
    aliases: &[],
    topic: Topic::Meshes,
    forms: &["sweep(section, path)", "sweep(section, path, options)"],
    returns: "Entity",
    params: &[
        ("section", "closed 2D cross-section, list of [x, y]"),
        ("path", "list of [x, y, z] points"),
    ],
    doc: "Sweeps a cross-section along a 3D path: branches, pipes, handles, rails, roots. `taper` narrows it along the way.",
    options: &[TRANSFORM_OPTS, LOOK_OPTS, BODY_OPTS, SWEEP_OPTS],
    example: "let branch = sweep(circle_points(0.05, 8), [[0, 0, 0], [0.2, 0.5, 0], [0.6, 0.9, 0.1]], #{ taper: [1, 0.3], material: \"bark\" });",
};

pub static HEIGHTFIELD: FnDoc = FnDoc {
    name: "heightfield",
    aliases: &["terrain"],
    topic: Topic::Meshes,
    forms: &[
        "heightfield(heights, size)",
        "heightfield(heights, size, options)",
    ],
    returns: "Entity",
    params: &[
        (
            "heights",
            "list of rows (along Z) of heights (along X), metres; at least 2 x 2",
        ),
        ("size", "[width, depth] in metres"),
    ],
    doc: "Terrain from a grid of heights, centred on its position. It collides exactly and counts as ground for particles.",
    options: &[TRANSFORM_OPTS, LOOK_OPTS, BODY_OPTS, HEIGHTFIELD_OPTS],
    example: "let rows = [];\nfor z in 0..16 { let row = []; for x in 0..16 { row.push(noise(x * 0.3, z * 0.3) * 0.8); } rows.push(row); }\nlet hills = heightfield(rows, [20, 20], #{ material: \"grass\" });",
};

pub static CIRCLE_POINTS: FnDoc = FnDoc {
    name: "circle_points",
    aliases: &[],
    topic: Topic::Meshes,
    forms: &["circle_points(radius, count)"],
    returns: "array of [x, y]",
    params: &[
        ("radius", "metres"),
        ("count", "number of points, at least 3"),
    ],
    doc: "Points on a circle, counter-clockwise: a round cross-section for sweep or an outline for extrude.",
    options: &[],
    example: "let ring = circle_points(0.1, 12);",
};

fn faces_arg(func: &'static str, d: &Dynamic, vertex_count: usize) -> ApiResult<Vec<[u32; 3]>> {
    let mut out = Vec::new();
    for (i, f) in array_arg(func, "faces", d)?.iter().enumerate() {
        let idx: Vec<i64> = array_arg(func, &format!("faces[{i}]"), f)?
            .iter()
            .map(|v| int_arg(func, &format!("faces[{i}]"), v))
            .collect::<ApiResult<_>>()?;
        if idx.len() < 3 {
            return Err(ApiError::validation(
                func,
                format!(
                    "faces[{i}] has {} indices; a face needs at least 3",
                    idx.len()
                ),
            ));
        }
        for v in &idx {
            if *v < 0 || *v as usize >= vertex_count {
                return Err(ApiError::validation(
                    func,
                    format!(
                        "faces[{i}] uses vertex {v}, but there are only {vertex_count} vertices (0..{})",
                        vertex_count.saturating_sub(1)
                    ),
                ));
            }
        }
        // Fan-triangulate polygons (faces are expected convex).
        for k in 1..idx.len() - 1 {
            out.push([idx[0] as u32, idx[k] as u32, idx[k + 1] as u32]);
        }
    }
    if out.is_empty() {
        return Err(ApiError::validation(func, "'faces' is empty"));
    }
    Ok(out)
}

fn check_mesh(func: &'static str, m: &Mesh) -> ApiResult<()> {
    if m.indices.is_empty() || !m.is_finite() {
        return Err(ApiError::validation(
            func,
            "the mesh came out empty or degenerate; check the points",
        ));
    }
    Ok(())
}

fn mesh_shape(m: Mesh) -> Shape {
    Shape::Mesh {
        triangles: m.triangle_count(),
        mesh: Arc::new(m),
    }
}

fn build_mesh(vertices: &Dynamic, faces: &Dynamic) -> ApiResult<Shape> {
    let v = points_arg(MESH.name, "vertices", vertices)?;
    if v.len() < 3 {
        return Err(ApiError::validation(
            MESH.name,
            "a mesh needs at least 3 vertices",
        ));
    }
    let f = faces_arg(MESH.name, faces, v.len())?;
    let m = Mesh::from_faces(v, f);
    check_mesh(MESH.name, &m)?;
    Ok(mesh_shape(m))
}

fn build_lathe(profile: &Dynamic, options: Option<&Dynamic>) -> ApiResult<Shape> {
    let o = Opts::parse(&LATHE, options)?;
    let p = points2_arg(LATHE.name, "profile", profile)?;
    if p.len() < 2 {
        return Err(ApiError::validation(
            LATHE.name,
            "'profile' needs at least 2 points",
        ));
    }
    if p.iter().any(|q| q.x < 0.0) {
        return Err(ApiError::validation(
            LATHE.name,
            "profile radii (first numbers) must not be negative",
        ));
    }
    let segments = o.int("segments")?.unwrap_or(32) as u32;
    let m = mesh::lathe(&p, segments);
    check_mesh(LATHE.name, &m)?;
    Ok(mesh_shape(m))
}

fn build_extrude(
    outline: &Dynamic,
    height: &Dynamic,
    options: Option<&Dynamic>,
) -> ApiResult<Shape> {
    let o = Opts::parse(&EXTRUDE, options)?;
    let p = points2_arg(EXTRUDE.name, "outline", outline)?;
    let h = positive(EXTRUDE.name, "height", height)?;
    if p.len() < 3 {
        return Err(ApiError::validation(
            EXTRUDE.name,
            "'outline' needs at least 3 points",
        ));
    }
    let holes = match o.raw("holes") {
        None => Vec::new(),
        Some(v) => array_arg(EXTRUDE.name, "holes", v)?
            .iter()
            .enumerate()
            .map(|(i, h)| points2_arg(EXTRUDE.name, &format!("holes[{i}]"), h))
            .collect::<ApiResult<Vec<_>>>()?,
    };
    let m = mesh::extrude_with_holes(&p, &holes, h).map_err(|e| {
        ApiError::validation(EXTRUDE.name, format!("cannot triangulate the outline: {e}"))
            .with_hint("Give the outline's points in order round its edge, without crossings; holes lie inside it and do not touch it or each other.")
    })?;
    check_mesh(EXTRUDE.name, &m)?;
    Ok(mesh_shape(m))
}

fn build_sweep(section: &Dynamic, path: &Dynamic, options: Option<&Dynamic>) -> ApiResult<Shape> {
    let o = Opts::parse(&SWEEP, options)?;
    let s = points2_arg(SWEEP.name, "section", section)?;
    let p = points_arg(SWEEP.name, "path", path)?;
    if s.len() < 3 {
        return Err(ApiError::validation(
            SWEEP.name,
            "'section' needs at least 3 points",
        ));
    }
    if p.len() < 2 {
        return Err(ApiError::validation(
            SWEEP.name,
            "'path' needs at least 2 points",
        ));
    }
    if p.windows(2).any(|w| w[0].distance(w[1]) < 1e-6) {
        return Err(ApiError::validation(
            SWEEP.name,
            "'path' has repeated consecutive points",
        ));
    }
    let [a, b] = o.range("taper")?.unwrap_or([1.0, 1.0]);
    let n = p.len();
    let scales: Vec<f32> = (0..n)
        .map(|i| a + (b - a) * i as f32 / (n - 1) as f32)
        .collect();
    let m = mesh::sweep(&s, &p, &scales).map_err(|e| {
        ApiError::validation(SWEEP.name, format!("cannot triangulate the section: {e}"))
            .with_hint("Give the section's points in order round its edge, without crossings.")
    })?;
    check_mesh(SWEEP.name, &m)?;
    Ok(mesh_shape(m))
}

/// One terrain band from its option map.
fn parse_layer(func: &'static str, index: usize, d: &Dynamic) -> ApiResult<mesh::TerrainLayer> {
    let Some(map) = d.clone().try_cast::<rhai::Map>() else {
        return Err(ApiError::type_error(
            func,
            format!(
                "'layers[{index}]' must be a map #{{ color, slope, height }}, got {}",
                crate::script::args::describe(d)
            ),
        )
        .with_hint(
            "Write a band as #{ color: \"grey\", slope: [30, 90] } or terrain_layer(#{ ... }).",
        ));
    };
    let o = Opts::from_map(&TERRAIN_LAYER, map).map_err(|mut e| {
        e.function = func;
        e.message = format!("in 'layers[{index}]': {}", e.message);
        e
    })?;
    let color = o.color("color")?.unwrap_or(Vec3::splat(0.22));
    let ordered = |r: [f32; 2]| [r[0].min(r[1]), r[0].max(r[1])];
    Ok(mesh::TerrainLayer {
        color,
        slope: ordered(o.range("slope")?.unwrap_or([0.0, 90.0])),
        height: ordered(o.range("height")?.unwrap_or([-1e4, 1e4])),
        blend: o.f32("blend")?.unwrap_or(0.3),
        noise: o.f32("noise")?.unwrap_or(0.5),
    })
}

fn parse_layers(options: Option<&Dynamic>) -> ApiResult<Vec<mesh::TerrainLayer>> {
    let o = Opts::parse(&HEIGHTFIELD, options)?;
    let Some(d) = o.raw("layers") else {
        return Ok(Vec::new());
    };
    let list = array_arg(HEIGHTFIELD.name, "layers", d)?;
    if list.len() > 16 {
        return Err(ApiError::validation(
            HEIGHTFIELD.name,
            format!("'layers' takes at most 16 bands, got {}", list.len()),
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, l)| parse_layer(HEIGHTFIELD.name, i, l))
        .collect()
}

fn build_heightfield(
    heights: &Dynamic,
    size: &Dynamic,
    options: Option<&Dynamic>,
) -> ApiResult<Shape> {
    let layers = parse_layers(options)?;
    let rows_arr = array_arg(HEIGHTFIELD.name, "heights", heights)?;
    let rows = rows_arr.len();
    let mut cols = 0;
    let mut data = Vec::new();
    for (r, row) in rows_arr.iter().enumerate() {
        let row: Array = array_arg(HEIGHTFIELD.name, &format!("heights[{r}]"), row)?;
        if r == 0 {
            cols = row.len();
        } else if row.len() != cols {
            return Err(ApiError::validation(
                HEIGHTFIELD.name,
                format!(
                    "heights[{r}] has {} values but heights[0] has {cols}; rows must be equally long",
                    row.len()
                ),
            ));
        }
        for (c, v) in row.iter().enumerate() {
            data.push(f32_arg(HEIGHTFIELD.name, &format!("heights[{r}][{c}]"), v)?);
        }
    }
    if rows < 2 || cols < 2 {
        return Err(ApiError::validation(
            HEIGHTFIELD.name,
            format!("'heights' must be at least 2 x 2, got {rows} x {cols}"),
        ));
    }
    let s: Vec2 = vec2_arg(HEIGHTFIELD.name, "size", size)?;
    if s.min_element() <= 0.0 {
        return Err(ApiError::validation(
            HEIGHTFIELD.name,
            "'size' must be positive",
        ));
    }
    Ok(Shape::Heightfield {
        heights: Arc::new(data),
        rows,
        cols,
        width: s.x,
        depth: s.y,
        layers: Arc::new(layers),
    })
}

pub fn register(api: &mut Api) {
    let (h1, h2): (SharedHost, SharedHost) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        MESH,
        move |ctx: NativeCallContext, v: Dynamic, f: Dynamic| -> R<EntityHandle> {
            Ok(create(
                &h1,
                &MESH,
                build_mesh(&v, &f)?,
                None,
                call_line(&ctx),
            )?)
        },
        move |ctx: NativeCallContext,
              v: Dynamic,
              f: Dynamic,
              options: Dynamic|
              -> R<EntityHandle> {
            Ok(create(
                &h2,
                &MESH,
                build_mesh(&v, &f)?,
                Some(&options),
                call_line(&ctx),
            )?)
        }
    );
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        LATHE,
        move |ctx: NativeCallContext, p: Dynamic| -> R<EntityHandle> {
            Ok(create(
                &h1,
                &LATHE,
                build_lathe(&p, None)?,
                None,
                call_line(&ctx),
            )?)
        },
        move |ctx: NativeCallContext, p: Dynamic, options: Dynamic| -> R<EntityHandle> {
            let shape = build_lathe(&p, Some(&options))?;
            Ok(create(&h2, &LATHE, shape, Some(&options), call_line(&ctx))?)
        }
    );
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        EXTRUDE,
        move |ctx: NativeCallContext, p: Dynamic, h: Dynamic| -> R<EntityHandle> {
            Ok(create(
                &h1,
                &EXTRUDE,
                build_extrude(&p, &h, None)?,
                None,
                call_line(&ctx),
            )?)
        },
        move |ctx: NativeCallContext,
              p: Dynamic,
              h: Dynamic,
              options: Dynamic|
              -> R<EntityHandle> {
            Ok(create(
                &h2,
                &EXTRUDE,
                build_extrude(&p, &h, Some(&options))?,
                Some(&options),
                call_line(&ctx),
            )?)
        }
    );
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        SWEEP,
        move |ctx: NativeCallContext, s: Dynamic, p: Dynamic| -> R<EntityHandle> {
            Ok(create(
                &h1,
                &SWEEP,
                build_sweep(&s, &p, None)?,
                None,
                call_line(&ctx),
            )?)
        },
        move |ctx: NativeCallContext,
              s: Dynamic,
              p: Dynamic,
              options: Dynamic|
              -> R<EntityHandle> {
            let shape = build_sweep(&s, &p, Some(&options))?;
            Ok(create(&h2, &SWEEP, shape, Some(&options), call_line(&ctx))?)
        }
    );
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        HEIGHTFIELD,
        move |ctx: NativeCallContext, hs: Dynamic, s: Dynamic| -> R<EntityHandle> {
            Ok(create(
                &h1,
                &HEIGHTFIELD,
                build_heightfield(&hs, &s, None)?,
                None,
                call_line(&ctx),
            )?)
        },
        move |ctx: NativeCallContext,
              hs: Dynamic,
              s: Dynamic,
              options: Dynamic|
              -> R<EntityHandle> {
            Ok(create(
                &h2,
                &HEIGHTFIELD,
                build_heightfield(&hs, &s, Some(&options))?,
                Some(&options),
                call_line(&ctx),
            )?)
        }
    );
    reg!(api, TERRAIN_LAYER, |options: rhai::Map| -> R<rhai::Map> {
        parse_layer(TERRAIN_LAYER.name, 0, &Dynamic::from(options.clone()))?;
        Ok(options)
    });
    reg!(api, CIRCLE_POINTS, |r: Dynamic, n: Dynamic| -> R<Array> {
        let r = positive(CIRCLE_POINTS.name, "radius", &r)?;
        let n = int_arg(CIRCLE_POINTS.name, "count", &n)?;
        if !(3..=1024).contains(&n) {
            return Err(ApiError::validation(
                CIRCLE_POINTS.name,
                format!("'count' must be in [3, 1024], got {n}"),
            )
            .into());
        }
        Ok((0..n)
            .map(|i| {
                let a = std::f64::consts::TAU * i as f64 / n as f64;
                let p: Array = vec![
                    (r as f64 * libm::cos(a)).into(),
                    (r as f64 * libm::sin(a)).into(),
                ];
                Dynamic::from(p)
            })
            .collect())
    });
}
