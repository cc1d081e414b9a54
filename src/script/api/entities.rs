//! Entities: the options every shape takes, creation, lookup by name and
//! tag, grouping, transforms, and live properties.

use glam::{Quat, Vec3};
use rhai::{Array, Dynamic, EvalAltResult, Map, NativeCallContext};

use super::{Api, EntityHandle, call_line, check_name_free, entity_arg, reg};
use crate::script::args::{ApiResult, Opts, str_arg, vec3_arg};
use crate::script::error::ApiError;
use crate::script::host::{Host, SharedHost};
use crate::script::registry::{FnDoc, OptSpec, OptType, PropDoc, Topic, opt};
use crate::util::suggest::closest;
use crate::world::entity::{euler_deg_from_quat, quat_from_euler_deg};
use crate::world::material::{PRESETS, preset_named};
use crate::world::physics::{BODY_KINDS, BodyKind, BodySpec, COLLIDER_KINDS, ColliderKind};
use crate::world::{Command, Entity, EntityId, Material, Shape, Transform};

type R<T> = Result<T, Box<EvalAltResult>>;

const PRESET_NAMES: &[&str] = &[
    "wood", "glass", "ceramic", "water", "sand", "bark", "leaf", "grass", "stone", "metal",
    "fabric", "plastic", "rubber", "ice", "snow", "dirt", "gold",
];

pub const MATERIAL_OPTS: &[OptSpec] = &[
    opt(
        "preset",
        OptType::Choice {
            choices: PRESET_NAMES,
        },
        "none",
        "start from a preset",
    ),
    opt("color", OptType::Color, "light grey", "base colour"),
    opt(
        "roughness",
        OptType::Float { min: 0.0, max: 1.0 },
        "0.6",
        "0 mirror-smooth, 1 matte",
    ),
    opt(
        "metallic",
        OptType::Float { min: 0.0, max: 1.0 },
        "0",
        "1 for metals",
    ),
    opt(
        "emissive",
        OptType::Color,
        "black",
        "colour of emitted light",
    ),
    opt(
        "emissive_strength",
        OptType::Float {
            min: 0.0,
            max: 1000.0,
        },
        "0",
        "glow brightness",
    ),
    opt(
        "opacity",
        OptType::Float { min: 0.0, max: 1.0 },
        "1",
        "1 opaque, 0 invisible",
    ),
];

pub const TRANSFORM_OPTS: &[OptSpec] = &[
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
        "centre, metres (relative to the parent)",
    ),
    opt(
        "rotation",
        OptType::Vec3,
        "[0, 0, 0]",
        "Euler degrees about X, then Y, then Z",
    ),
    opt(
        "scale",
        OptType::Vec3OrScalar { min: 1e-4 },
        "1",
        "size multiplier",
    ),
    opt(
        "parent",
        OptType::Entity,
        "none",
        "group or entity this one moves with",
    ),
    opt("visible", OptType::Bool, "true", "drawn or not"),
    opt(
        "sway",
        OptType::Float { min: 0.0, max: 1.0 },
        "0",
        "foliage sway in the wind (drawn only)",
    ),
    opt(
        "waves",
        OptType::Float {
            min: 0.0,
            max: 20.0,
        },
        "0",
        "wave height on a water surface, crest to trough in metres (drawn only: the up-facing side moves, physics sees it still)",
    ),
    opt(
        "wave_length",
        OptType::Float {
            min: 0.05,
            max: 500.0,
        },
        "15x waves",
        "crest to crest of the largest wave, metres",
    ),
    opt(
        "flow",
        OptType::Vec3,
        "[0, 0, 0]",
        "the water's current, m/s: waves travel along it (else along the wind); alone it ripples the surface (2 cm)",
    ),
];

pub const LOOK_OPTS: &[OptSpec] = &[
    opt(
        "material",
        OptType::Material,
        "none",
        "preset name (\"wood\") or material map",
    ),
    opt(
        "color",
        OptType::Color,
        "light grey",
        "base colour: name, \"#rrggbb\" or [r, g, b]",
    ),
    opt(
        "roughness",
        OptType::Float { min: 0.0, max: 1.0 },
        "0.6",
        "0 mirror-smooth, 1 matte",
    ),
    opt(
        "metallic",
        OptType::Float { min: 0.0, max: 1.0 },
        "0",
        "1 for metals",
    ),
    opt(
        "emissive",
        OptType::Color,
        "black",
        "colour of emitted light",
    ),
    opt(
        "emissive_strength",
        OptType::Float {
            min: 0.0,
            max: 1000.0,
        },
        "0",
        "glow brightness",
    ),
    opt(
        "opacity",
        OptType::Float { min: 0.0, max: 1.0 },
        "1",
        "1 opaque, 0 invisible",
    ),
];

pub const BODY_OPTS: &[OptSpec] = &[
    opt(
        "body",
        OptType::Choice {
            choices: BODY_KINDS,
        },
        "auto",
        "fixed scenery, dynamic (falls, collides), kinematic (animated), none (no collision); auto joins the parent's body, else is dynamic when given a velocity and fixed otherwise",
    ),
    opt(
        "mass",
        OptType::Float {
            min: 1e-4,
            max: 1e6,
        },
        "from density",
        "kg",
    ),
    opt(
        "density",
        OptType::Float { min: 1.0, max: 1e5 },
        "material's, else 1000",
        "kg/m^3",
    ),
    opt(
        "friction",
        OptType::Float {
            min: 0.0,
            max: 10.0,
        },
        "material's, else 0.5",
        "Coulomb friction",
    ),
    opt(
        "restitution",
        OptType::Float { min: 0.0, max: 1.0 },
        "material's, else 0.2",
        "bounciness",
    ),
    opt(
        "linear_damping",
        OptType::Float {
            min: 0.0,
            max: 100.0,
        },
        "0",
        "slows motion",
    ),
    opt(
        "angular_damping",
        OptType::Float {
            min: 0.0,
            max: 100.0,
        },
        "0",
        "slows spin",
    ),
    opt(
        "gravity_scale",
        OptType::Float {
            min: -10.0,
            max: 10.0,
        },
        "1",
        "0 floats",
    ),
    opt(
        "velocity",
        OptType::Vec3,
        "[0, 0, 0]",
        "initial velocity, m/s",
    ),
    opt(
        "angular_velocity",
        OptType::Vec3,
        "[0, 0, 0]",
        "initial spin, degrees/s about X, Y, Z",
    ),
    opt(
        "ccd",
        OptType::Bool,
        "auto",
        "continuous collision for fast small bodies",
    ),
    opt(
        "collider",
        OptType::Choice {
            choices: COLLIDER_KINDS,
        },
        "auto",
        "collision shape for meshes",
    ),
    opt(
        "sensor",
        OptType::Bool,
        "false",
        "detects overlap without pushing",
    ),
];

pub const ENTITY_OPTS: &[&[OptSpec]] = &[TRANSFORM_OPTS, LOOK_OPTS, BODY_OPTS];

/// Keys that may change while the simulation runs.
const LIVE_KEYS: &[&str] = &[
    "position",
    "rotation",
    "velocity",
    "angular_velocity",
    "material",
    "color",
    "roughness",
    "metallic",
    "emissive",
    "emissive_strength",
    "opacity",
    "visible",
    "sway",
    "waves",
    "wave_length",
    "flow",
    "tags",
];

pub static FIND: FnDoc = FnDoc {
    name: "find",
    aliases: &["get", "get_entity"],
    topic: Topic::Entities,
    forms: &["find(name)"],
    returns: "Entity",
    params: &[("name", "an entity's name")],
    doc: "The entity with this name.",
    options: &[],
    example: "box(1, #{ name: \"crate\" });\nlet c = find(\"crate\");",
};

pub static FIND_ALL: FnDoc = FnDoc {
    name: "find_all",
    aliases: &[],
    topic: Topic::Entities,
    forms: &["find_all(tag)"],
    returns: "array of Entity",
    params: &[("tag", "a tag")],
    doc: "All entities carrying a tag, in creation order.",
    options: &[],
    example: "for i in 0..3 { sphere(0.2, #{ tags: [\"ball\"], position: [i, 1, 0] }); }\nlet balls = find_all(\"ball\");",
};

pub static SET: FnDoc = FnDoc {
    name: "set",
    aliases: &["set_velocity", "set_position", "set_color", "move_to"],
    topic: Topic::Entities,
    forms: &["set(entity, options)", "entity.set(options)"],
    returns: "Entity",
    params: &[
        ("entity", "entity or name"),
        ("options", "the same options shapes take"),
    ],
    doc: "Changes an entity's options. During the run (in callbacks) only position, rotation, velocity, angular_velocity, look and tags can change.",
    options: ENTITY_OPTS,
    example: "let b = box(1);\nb.set(#{ color: \"red\", position: [0, 2, 0] });",
};

pub static ADD: FnDoc = FnDoc {
    name: "add",
    aliases: &[],
    topic: Topic::Entities,
    forms: &["add(parent, child)", "parent.add(child)"],
    returns: "Entity",
    params: &[("parent", "group or entity"), ("child", "entity to attach")],
    doc: "Makes child move with parent; child's position becomes relative to the parent. Children of a dynamic body become part of it. Returns the parent.",
    options: &[],
    example: "let table = group(#{ name: \"table\", position: [0, 0, 0] });\ntable.add(box([1.2, 0.05, 0.8], #{ position: [0, 0.75, 0] }));",
};

pub static LOOK_AT: FnDoc = FnDoc {
    name: "look_at",
    aliases: &["lookat"],
    topic: Topic::Entities,
    forms: &["look_at(entity, point)", "entity.look_at(point)"],
    returns: "Entity",
    params: &[("entity", "entity"), ("point", "[x, y, z] or an entity")],
    doc: "Turns the entity so its local -Z axis points at a point, keeping +Y up.",
    options: &[],
    example: "let arrow = cone(0.2, 1, #{ position: [0, 1, 0] });\narrow.look_at([3, 1, 0]);",
};

pub static COPY: FnDoc = FnDoc {
    name: "copy",
    aliases: &[],
    topic: Topic::Entities,
    forms: &["copy(entity)", "copy(entity, options)"],
    returns: "Entity",
    params: &[
        ("entity", "entity to duplicate, with its children"),
        ("options", "options to change on the copy"),
    ],
    doc: "Duplicates an entity and its children. The copy has no name unless given one.",
    options: ENTITY_OPTS,
    example: "let a = box([0.1, 1, 0.5], #{ body: \"dynamic\" });\nlet b = copy(a, #{ position: [0.6, 0.5, 0] });",
};

pub static HAS_TAG: FnDoc = FnDoc {
    name: "has_tag",
    aliases: &[],
    topic: Topic::Entities,
    forms: &["has_tag(entity, tag)"],
    returns: "bool",
    params: &[("entity", "entity"), ("tag", "string")],
    doc: "Whether the entity carries the tag.",
    options: &[],
    example: "let b = box(1, #{ tags: [\"crate\"] });\nlet yes = b.has_tag(\"crate\");",
};

pub static PRESETS_FN: FnDoc = FnDoc {
    name: "material_presets",
    aliases: &[],
    topic: Topic::Materials,
    forms: &["material_presets()"],
    returns: "array of string",
    params: &[],
    doc: "Names of the material presets: wood, glass, ceramic, water, sand, bark, leaf, grass, stone, metal, fabric, plastic, rubber, ice, snow, dirt, gold. Each sets colour, roughness, metallic, opacity and a density, friction and restitution for bodies.",
    options: &[],
    example: "let names = material_presets();",
};

pub static MATERIAL_FN: FnDoc = FnDoc {
    name: "material",
    aliases: &[],
    topic: Topic::Materials,
    forms: &[
        "material(preset)",
        "material(preset, options)",
        "material(options)",
    ],
    returns: "map",
    params: &[("preset", "preset name"), ("options", "material overrides")],
    doc: "A reusable material map for the `material` option of any shape. Colours given as options override the preset's.",
    options: &[MATERIAL_OPTS],
    example: "let brown_glass = material(\"glass\", #{ color: \"#6b3a1e\", opacity: 0.6 });\nsphere(0.3, #{ material: brown_glass });",
};

static P_NAME: PropDoc = PropDoc {
    type_name: "Entity",
    name: "name",
    value: "string",
    writable: false,
    doc: "its name, or \"\"",
};
static P_POSITION: PropDoc = PropDoc {
    type_name: "Entity",
    name: "position",
    value: "vec3",
    writable: true,
    doc: "current world position (live during the run)",
};
static P_ROTATION: PropDoc = PropDoc {
    type_name: "Entity",
    name: "rotation",
    value: "vec3",
    writable: true,
    doc: "current rotation, Euler degrees",
};
static P_SCALE: PropDoc = PropDoc {
    type_name: "Entity",
    name: "scale",
    value: "vec3",
    writable: true,
    doc: "scale (before the run)",
};
static P_VELOCITY: PropDoc = PropDoc {
    type_name: "Entity",
    name: "velocity",
    value: "vec3",
    writable: true,
    doc: "current velocity, m/s",
};
static P_ANGVEL: PropDoc = PropDoc {
    type_name: "Entity",
    name: "angular_velocity",
    value: "vec3",
    writable: true,
    doc: "current spin, degrees/s",
};
static P_TAGS: PropDoc = PropDoc {
    type_name: "Entity",
    name: "tags",
    value: "array",
    writable: false,
    doc: "its tags",
};
static P_SIZE: PropDoc = PropDoc {
    type_name: "Entity",
    name: "size",
    value: "vec3",
    writable: false,
    doc: "bounding box size including scale, metres",
};

/// Creates an entity of `shape` from the common options.
pub fn create(
    host: &SharedHost,
    doc: &'static FnDoc,
    shape: Shape,
    options: Option<&Dynamic>,
    line: usize,
) -> ApiResult<EntityHandle> {
    let o = Opts::parse(doc, options)?;
    let id = {
        let mut h = host.borrow_mut();
        let limits = h.limits.clone();
        if h.world.entities.len() >= limits.max_entities {
            return Err(ApiError::limit(
                doc.name,
                format!("more than {} entities", limits.max_entities),
            )
            .with_hint("Use fewer, larger entities, or particles for many small things."));
        }
        let tris = crate::world::mesh::triangle_estimate(&shape);
        if h.world.triangle_count() + tris > limits.max_triangles {
            return Err(ApiError::limit(
                doc.name,
                format!("more than {} triangles in the world", limits.max_triangles),
            )
            .with_hint("Lower mesh resolution (segments) or reuse fewer detailed meshes."));
        }
        h.world.add_entity(Entity {
            id: EntityId(0),
            name: None,
            tags: Vec::new(),
            shape,
            parent: None,
            transform: Transform::default(),
            material: Material::default(),
            body: BodySpec::default(),
            visible: true,
            sway: 0.0,
            waves: Default::default(),
            world_space: false,
            linear_velocity: Vec3::ZERO,
            angular_velocity: Vec3::ZERO,
            line,
        })
    };
    // A failed option must not leave a half-made entity behind.
    if let Err(e) = apply(host, doc.name, id, &o, true) {
        host.borrow_mut().world.entities.pop();
        return Err(e);
    }
    Ok(EntityHandle(id))
}

fn parse_material(func: &'static str, d: &Dynamic) -> ApiResult<Material> {
    if let Some(s) = d.clone().try_cast::<rhai::ImmutableString>() {
        return preset_named(&s).map(Material::from_preset).ok_or_else(|| {
            ApiError::validation(func, format!("'material': no preset \"{s}\""))
                .with_suggestions(closest(&s, PRESETS.iter().map(|p| p.name), 3))
                .with_hint(format!("Presets: {}.", PRESET_NAMES.join(", ")))
        });
    }
    if let Some(m) = d.clone().try_cast::<Map>() {
        let o = Opts::from_map(&MATERIAL_FN, m).map_err(|mut e| {
            e.function = func;
            e.message = format!("in 'material': {}", e.message);
            e
        })?;
        let mut mat = match o.choice("preset", preset_named)? {
            Some(p) => Material::from_preset(p),
            None => Material::default(),
        };
        apply_look(&o, &mut mat)?;
        return Ok(mat);
    }
    Err(ApiError::type_error(
        func,
        format!(
            "'material' must be a preset name or a material map, got {}",
            crate::script::args::describe(d)
        ),
    ))
}

fn apply_look(o: &Opts, m: &mut Material) -> ApiResult<()> {
    if let Some(c) = o.color("color")? {
        m.base_color = c;
    }
    if let Some(v) = o.f32("roughness")? {
        m.roughness = v;
    }
    if let Some(v) = o.f32("metallic")? {
        m.metallic = v;
    }
    if let Some(c) = o.color("emissive")? {
        m.emissive = c;
        if !o.has("emissive_strength") && m.emissive_strength == 0.0 {
            m.emissive_strength = 1.0;
        }
    }
    if let Some(v) = o.f32("emissive_strength")? {
        m.emissive_strength = v;
        if m.emissive == Vec3::ZERO && !o.has("emissive") {
            m.emissive = m.base_color;
        }
    }
    if let Some(v) = o.f32("opacity")? {
        m.opacity = v;
    }
    Ok(())
}

/// Whether `ancestor` is `id` or one of its parents.
fn is_ancestor(h: &Host, ancestor: EntityId, id: EntityId) -> bool {
    let mut cur = Some(id);
    while let Some(c) = cur {
        if c == ancestor {
            return true;
        }
        cur = h.world.entity(c).parent;
    }
    false
}

pub fn set_parent(
    host: &SharedHost,
    func: &'static str,
    child: EntityId,
    parent: EntityId,
) -> ApiResult<()> {
    let mut h = host.borrow_mut();
    if is_ancestor(&h, child, parent) {
        return Err(ApiError::validation(
            func,
            "an entity cannot be its own parent or ancestor",
        ));
    }
    // The child's position is read relative to the parent from now on.
    h.world.entity_mut(child).parent = Some(parent);
    Ok(())
}

/// Applies entity options; `creating` allows every key, otherwise (during a
/// run) only the live keys.
pub fn apply(
    host: &SharedHost,
    func: &'static str,
    id: EntityId,
    o: &Opts,
    creating: bool,
) -> ApiResult<()> {
    let running = host.borrow().phase.simulating() && !creating;
    if running {
        for key in o.map().keys() {
            if !LIVE_KEYS.contains(&key.as_str()) {
                return Err(ApiError::validation(
                    func,
                    format!("'{key}' cannot change while the simulation runs"),
                )
                .with_hint(format!(
                    "During the run these can change: {}.",
                    LIVE_KEYS.join(", ")
                )));
            }
        }
    }
    if let Some(name) = o.text("name")? {
        if name.is_empty() {
            return Err(ApiError::validation(func, "'name' must not be empty"));
        }
        let current = host.borrow().world.entity(id).name.clone();
        if current.as_deref() != Some(name.as_str()) {
            check_name_free(host, func, &name)?;
            host.borrow_mut().world.set_entity_name(id, name);
        }
    }
    if let Some(tags) = o.tags("tags")? {
        host.borrow_mut().world.entity_mut(id).tags = tags;
    }
    if let Some(d) = o.raw("parent") {
        let parent = entity_arg(host, func, "parent", d)?;
        set_parent(host, func, id, parent)?;
    }
    let mut moved = false;
    {
        let mut h = host.borrow_mut();
        let e = h.world.entity_mut(id);
        if let Some(p) = o.vec3("position")? {
            e.transform.position = p;
            moved = true;
        }
        if let Some(r) = o.vec3("rotation")? {
            e.transform.rotation = quat_from_euler_deg(r);
            moved = true;
        }
        if let Some(s) = o.vec3_or_scalar("scale")? {
            e.transform.scale = s;
        }
        if let Some(v) = o.bool("visible")? {
            e.visible = v;
        }
        if let Some(v) = o.f32("sway")? {
            e.sway = v;
        }
        if let Some(v) = o.f32("waves")? {
            e.waves.height = v;
            if e.waves.length <= 0.0 {
                e.waves.length = (v * 15.0).max(0.05);
            }
        }
        if let Some(v) = o.f32("wave_length")? {
            e.waves.length = v;
        }
        if let Some(v) = o.vec3("flow")? {
            e.waves.flow = v;
            // A current alone still wrinkles the surface.
            if e.waves.height <= 0.0 && v.length() > 1e-3 {
                e.waves.height = 0.02;
                e.waves.length = e.waves.length.max(0.6);
            }
        }
        if let Some(m) = o.raw("material") {
            e.material = parse_material(func, m)?;
        }
        apply_look(o, &mut e.material)?;
        let b = &mut e.body;
        if let Some(k) = o.choice("body", BodyKind::parse)? {
            b.kind = k;
        }
        if let Some(v) = o.f32("mass")? {
            b.mass = Some(v);
        }
        if let Some(v) = o.f32("density")? {
            b.density = Some(v);
        }
        if let Some(v) = o.f32("friction")? {
            b.friction = Some(v);
        }
        if let Some(v) = o.f32("restitution")? {
            b.restitution = Some(v);
        }
        if let Some(v) = o.f32("linear_damping")? {
            b.linear_damping = v;
        }
        if let Some(v) = o.f32("angular_damping")? {
            b.angular_damping = v;
        }
        if let Some(v) = o.f32("gravity_scale")? {
            b.gravity_scale = v;
        }
        if let Some(v) = o.bool("ccd")? {
            b.ccd = Some(v);
        }
        if let Some(k) = o.choice("collider", ColliderKind::parse)? {
            b.collider = k;
        }
        if let Some(v) = o.bool("sensor")? {
            b.sensor = v;
        }
    }
    let velocity = o.vec3("velocity")?;
    let spin = o.vec3("angular_velocity")?;
    let mut h = host.borrow_mut();
    if running {
        if moved {
            h.world.commands.push(Command::SetTransform { entity: id });
        }
        if let Some(v) = velocity {
            h.world.commands.push(Command::SetVelocity {
                entity: id,
                velocity: v,
            });
        }
        if let Some(v) = spin {
            h.world.commands.push(Command::SetAngularVelocity {
                entity: id,
                degrees_per_second: v,
            });
        }
    }
    let mut became_dynamic = false;
    if !running {
        let e = h.world.entity_mut(id);
        if let Some(v) = velocity {
            e.body.velocity = v;
            e.linear_velocity = v;
        }
        if let Some(v) = spin {
            e.body.angular_velocity = v;
            e.angular_velocity = v;
        }
        // A free thing given a speed is meant to move: "auto" would
        // otherwise make it fixed scenery that ignores the speed.
        let pushed = velocity.is_some_and(|v| v != glam::Vec3::ZERO)
            || spin.is_some_and(|v| v != glam::Vec3::ZERO);
        if pushed && e.body.kind == BodyKind::Auto && e.parent.is_none() && !o.has("body") {
            e.body.kind = BodyKind::Dynamic;
            became_dynamic = true;
        }
    }
    let moves = h.world.entity(id).body.kind.moves();
    if creating && moves {
        h.moving_bodies += 1;
    } else if !creating && (o.has("body") || became_dynamic) {
        h.moving_bodies = h
            .world
            .entities
            .iter()
            .filter(|e| e.body.kind.moves())
            .count();
    }
    if moves && h.moving_bodies > h.limits.max_bodies {
        return Err(ApiError::limit(
            func,
            format!("more than {} moving bodies", h.limits.max_bodies),
        )
        .with_hint(
            "Make distant or decorative things fixed or body: \"none\", or use particles.",
        ));
    }
    Ok(())
}

fn look_at_rotation(from: Vec3, to: Vec3) -> Quat {
    let dir = (to - from).normalize_or(Vec3::NEG_Z);
    let up = if dir.y.abs() > 0.999 {
        Vec3::Z
    } else {
        Vec3::Y
    };
    // Build the basis with -Z along dir.
    let z = -dir;
    let x = up.cross(z).normalize();
    let y = z.cross(x);
    Quat::from_mat3(&glam::Mat3::from_cols(x, y, z)).normalize()
}

fn copy_entity(
    host: &SharedHost,
    src: EntityId,
    parent: Option<EntityId>,
    line: usize,
) -> ApiResult<EntityId> {
    let mut h = host.borrow_mut();
    if h.world.entities.len() >= h.limits.max_entities {
        return Err(ApiError::limit(
            COPY.name,
            format!("more than {} entities", h.limits.max_entities),
        ));
    }
    let mut e = h.world.entity(src).clone();
    e.name = None;
    e.line = line;
    e.parent = parent.or(e.parent);
    let id = h.world.add_entity(e);
    let children: Vec<EntityId> = h
        .world
        .entities
        .iter()
        .filter(|c| c.parent == Some(src) && c.id != id)
        .map(|c| c.id)
        .collect();
    drop(h);
    for c in children {
        copy_entity(host, c, Some(id), line)?;
    }
    Ok(id)
}

fn live_transform(h: &Host, id: EntityId) -> Transform {
    h.world.world_transform(id)
}

pub fn register(api: &mut Api) {
    let h = api.host.clone();
    reg!(api, FIND, move |name: Dynamic| -> R<EntityHandle> {
        let name = str_arg(FIND.name, "name", &name)?;
        Ok(EntityHandle(entity_arg(
            &h,
            FIND.name,
            "name",
            &Dynamic::from(name),
        )?))
    });

    let h = api.host.clone();
    reg!(api, FIND_ALL, move |tag: Dynamic| -> R<Array> {
        let tag = str_arg(FIND_ALL.name, "tag", &tag)?;
        Ok(h.borrow()
            .world
            .entities
            .iter()
            .filter(|e| e.tags.contains(&tag))
            .map(|e| Dynamic::from(EntityHandle(e.id)))
            .collect())
    });

    let h = api.host.clone();
    reg!(api, SET, move |e: Dynamic,
                         options: Dynamic|
          -> R<EntityHandle> {
        let id = entity_arg(&h, SET.name, "entity", &e)?;
        let o = Opts::parse(&SET, Some(&options))?;
        apply(&h, SET.name, id, &o, false)?;
        Ok(EntityHandle(id))
    });

    let h = api.host.clone();
    reg!(api, ADD, move |parent: Dynamic,
                         child: Dynamic|
          -> R<EntityHandle> {
        let p = entity_arg(&h, ADD.name, "parent", &parent)?;
        let c = entity_arg(&h, ADD.name, "child", &child)?;
        set_parent(&h, ADD.name, c, p)?;
        Ok(EntityHandle(p))
    });

    let h = api.host.clone();
    reg!(api, LOOK_AT, move |e: Dynamic,
                             point: Dynamic|
          -> R<EntityHandle> {
        let id = entity_arg(&h, LOOK_AT.name, "entity", &e)?;
        let target = match point.clone().try_cast::<EntityHandle>() {
            Some(t) => h.borrow().world.world_transform(t.0).position,
            None => vec3_arg(LOOK_AT.name, "point", &point)?,
        };
        let mut hb = h.borrow_mut();
        let from = hb.world.world_transform(id);
        let parent_rot = match hb.world.entity(id).parent {
            Some(p) => hb.world.world_transform(p).rotation,
            None => Quat::IDENTITY,
        };
        let world_rot = look_at_rotation(from.position, target);
        hb.world.entity_mut(id).transform.rotation =
            (parent_rot.conjugate() * world_rot).normalize();
        if hb.phase.simulating() {
            hb.world.commands.push(Command::SetTransform { entity: id });
        }
        Ok(EntityHandle(id))
    });

    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        COPY,
        move |ctx: NativeCallContext, e: Dynamic| -> R<EntityHandle> {
            let src = entity_arg(&h1, COPY.name, "entity", &e)?;
            Ok(EntityHandle(copy_entity(&h1, src, None, call_line(&ctx))?))
        },
        move |ctx: NativeCallContext, e: Dynamic, options: Dynamic| -> R<EntityHandle> {
            let src = entity_arg(&h2, COPY.name, "entity", &e)?;
            let o = Opts::parse(&COPY, Some(&options))?;
            let id = copy_entity(&h2, src, None, call_line(&ctx))?;
            apply(&h2, COPY.name, id, &o, true)?;
            Ok(EntityHandle(id))
        }
    );

    let h = api.host.clone();
    reg!(api, HAS_TAG, move |e: Dynamic, tag: Dynamic| -> R<bool> {
        let id = entity_arg(&h, HAS_TAG.name, "entity", &e)?;
        let tag = str_arg(HAS_TAG.name, "tag", &tag)?;
        Ok(h.borrow().world.entity(id).tags.contains(&tag))
    });

    reg!(api, PRESETS_FN, || -> Array {
        PRESETS.iter().map(|p| Dynamic::from(p.name)).collect()
    });

    reg!(
        api,
        MATERIAL_FN,
        |preset: Dynamic| -> R<Map> {
            if preset.is_map() {
                return Ok(preset.cast::<Map>());
            }
            let name = str_arg(MATERIAL_FN.name, "preset", &preset)?;
            parse_material(MATERIAL_FN.name, &Dynamic::from(name.clone()))?;
            let mut m = Map::new();
            m.insert("preset".into(), name.into());
            Ok(m)
        },
        |preset: Dynamic, options: Dynamic| -> R<Map> {
            let name = str_arg(MATERIAL_FN.name, "preset", &preset)?;
            let mut m = options
                .try_cast::<Map>()
                .ok_or_else(|| ApiError::type_error(MATERIAL_FN.name, "'options' must be a map"))?;
            m.insert("preset".into(), name.into());
            // Validate now so mistakes point at this line, not at first use.
            parse_material(MATERIAL_FN.name, &Dynamic::from(m.clone()))?;
            Ok(m)
        }
    );

    // Properties of entity handles.
    let h = api.host.clone();
    api.prop(&P_NAME)
        .register_get("name", move |e: &mut EntityHandle| -> String {
            h.borrow()
                .world
                .entity(e.0)
                .name
                .clone()
                .unwrap_or_default()
        });
    let (hg, hs) = (api.host.clone(), api.host.clone());
    api.prop(&P_POSITION)
        .register_get("position", move |e: &mut EntityHandle| -> Vec3 {
            live_transform(&hg.borrow(), e.0).position
        })
        .register_set(
            "position",
            move |e: &mut EntityHandle, v: Dynamic| -> R<()> {
                let o = Opts::from_map(&SET, Map::from([("position".into(), v)]))?;
                apply(&hs, "position", e.0, &o, false)?;
                Ok(())
            },
        );
    let (hg, hs) = (api.host.clone(), api.host.clone());
    api.prop(&P_ROTATION)
        .register_get("rotation", move |e: &mut EntityHandle| -> Vec3 {
            euler_deg_from_quat(live_transform(&hg.borrow(), e.0).rotation)
        })
        .register_set(
            "rotation",
            move |e: &mut EntityHandle, v: Dynamic| -> R<()> {
                let o = Opts::from_map(&SET, Map::from([("rotation".into(), v)]))?;
                apply(&hs, "rotation", e.0, &o, false)?;
                Ok(())
            },
        );
    let (hg, hs) = (api.host.clone(), api.host.clone());
    api.prop(&P_SCALE)
        .register_get("scale", move |e: &mut EntityHandle| -> Vec3 {
            hg.borrow().world.entity(e.0).transform.scale
        })
        .register_set("scale", move |e: &mut EntityHandle, v: Dynamic| -> R<()> {
            let o = Opts::from_map(&SET, Map::from([("scale".into(), v)]))?;
            apply(&hs, "scale", e.0, &o, false)?;
            Ok(())
        });
    let (hg, hs) = (api.host.clone(), api.host.clone());
    api.prop(&P_VELOCITY)
        .register_get("velocity", move |e: &mut EntityHandle| -> Vec3 {
            hg.borrow().world.entity(e.0).linear_velocity
        })
        .register_set(
            "velocity",
            move |e: &mut EntityHandle, v: Dynamic| -> R<()> {
                let o = Opts::from_map(&SET, Map::from([("velocity".into(), v)]))?;
                apply(&hs, "velocity", e.0, &o, false)?;
                Ok(())
            },
        );
    let (hg, hs) = (api.host.clone(), api.host.clone());
    api.prop(&P_ANGVEL)
        .register_get("angular_velocity", move |e: &mut EntityHandle| -> Vec3 {
            hg.borrow().world.entity(e.0).angular_velocity
        })
        .register_set(
            "angular_velocity",
            move |e: &mut EntityHandle, v: Dynamic| -> R<()> {
                let o = Opts::from_map(&SET, Map::from([("angular_velocity".into(), v)]))?;
                apply(&hs, "angular_velocity", e.0, &o, false)?;
                Ok(())
            },
        );
    let h = api.host.clone();
    api.prop(&P_TAGS)
        .register_get("tags", move |e: &mut EntityHandle| -> Array {
            h.borrow()
                .world
                .entity(e.0)
                .tags
                .iter()
                .map(|t| Dynamic::from(t.clone()))
                .collect()
        });
    let h = api.host.clone();
    api.prop(&P_SIZE)
        .register_get("size", move |e: &mut EntityHandle| -> Vec3 {
            let hb = h.borrow();
            let ent = hb.world.entity(e.0);
            ent.shape.half_extents() * 2.0 * hb.world.world_transform(e.0).scale
        });
    let h = api.host.clone();
    api.engine
        .register_fn("to_string", move |e: &mut EntityHandle| -> String {
            format!("Entity({})", h.borrow().world.entity(e.0).label())
        });
    let h = api.host.clone();
    api.engine
        .register_fn("to_debug", move |e: &mut EntityHandle| -> String {
            format!("Entity({})", h.borrow().world.entity(e.0).label())
        });
    api.engine
        .register_fn("==", |a: EntityHandle, b: EntityHandle| a == b);
    api.engine
        .register_fn("!=", |a: EntityHandle, b: EntityHandle| a != b);
}
