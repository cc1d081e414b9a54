//! The API's documentation records. Every function a script can call is
//! registered through [`super::api::Api::def`], which takes one of these, so
//! the reference (`c2w docs`), the prompts given to models and the option
//! validation all read the same records and cannot drift apart.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    World,
    Math,
    Shapes,
    Meshes,
    Entities,
    Materials,
    Lights,
    Camera,
    Physics,
    Fields,
    Particles,
    Animation,
    Events,
    Expectations,
    Cloth,
    Fluids,
}

impl Topic {
    pub const ALL: &[Topic] = &[
        Topic::World,
        Topic::Math,
        Topic::Shapes,
        Topic::Meshes,
        Topic::Entities,
        Topic::Materials,
        Topic::Lights,
        Topic::Camera,
        Topic::Physics,
        Topic::Fields,
        Topic::Particles,
        Topic::Animation,
        Topic::Events,
        Topic::Expectations,
        Topic::Cloth,
        Topic::Fluids,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Topic::World => "world",
            Topic::Math => "math",
            Topic::Shapes => "shapes",
            Topic::Meshes => "meshes",
            Topic::Entities => "entities",
            Topic::Materials => "materials",
            Topic::Lights => "lights",
            Topic::Camera => "camera",
            Topic::Physics => "physics",
            Topic::Fields => "fields",
            Topic::Particles => "particles",
            Topic::Animation => "animation",
            Topic::Events => "events",
            Topic::Expectations => "expectations",
            Topic::Cloth => "cloth",
            Topic::Fluids => "fluids",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Topic::World => "World settings",
            Topic::Math => "Vectors, randomness and noise",
            Topic::Shapes => "Primitive shapes",
            Topic::Meshes => "Mesh builder",
            Topic::Entities => "Entities: transforms, names, tags, groups",
            Topic::Materials => "Materials",
            Topic::Lights => "Lights, sky and fog",
            Topic::Camera => "Camera",
            Topic::Physics => "Physics: bodies, pushes, joints",
            Topic::Fields => "Force fields",
            Topic::Particles => "Particles",
            Topic::Animation => "Animation",
            Topic::Events => "Time hooks and snapshots",
            Topic::Expectations => "Expectations",
            Topic::Cloth => "Cloth and soft bodies",
            Topic::Fluids => "Liquids and grains",
        }
    }
}

/// The type and valid range of an option value; validation and docs both
/// read it.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OptType {
    Float {
        min: f64,
        max: f64,
    },
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    Vec3,
    /// A vector, or one number meaning the same on every axis.
    Vec3OrScalar {
        min: f64,
    },
    /// A pair of numbers [low, high] (a single number means both).
    Range {
        min: f64,
        max: f64,
    },
    Color,
    /// One of a fixed set of words.
    Choice {
        choices: &'static [&'static str],
    },
    Text,
    /// A list of words.
    Tags,
    /// An entity handle or an entity's name.
    Entity,
    /// A vector point or an entity to follow.
    PointOrEntity,
    /// A material preset name or a map of material options.
    Material,
    /// A list of [x, y, z] points.
    Points,
    /// A list of [time, count] pairs.
    Bursts,
    /// A list of closed outlines, each a list of [x, z] points.
    Outlines,
    /// A list of terrain material bands (see `terrain_layer`).
    Layers,
}

impl OptType {
    pub fn describe(&self) -> String {
        fn num(v: f64) -> String {
            if v == f64::INFINITY {
                "inf".into()
            } else if v == f64::NEG_INFINITY {
                "-inf".into()
            } else {
                format!("{v}")
            }
        }
        match self {
            OptType::Float { min, max } => format!("number in [{}, {}]", num(*min), num(*max)),
            OptType::Int { min, max } => format!("integer in [{min}, {max}]"),
            OptType::Bool => "true or false".into(),
            OptType::Vec3 => "[x, y, z]".into(),
            OptType::Vec3OrScalar { .. } => "[x, y, z] or a number".into(),
            OptType::Range { min, max } => format!("[low, high] in [{}, {}]", num(*min), num(*max)),
            OptType::Color => "colour: name, \"#rrggbb\" or [r, g, b]".into(),
            OptType::Choice { choices } => format!("one of {}", choices.join(", ")),
            OptType::Text => "string".into(),
            OptType::Tags => "list of strings".into(),
            OptType::Entity => "entity or entity name".into(),
            OptType::PointOrEntity => "[x, y, z] or an entity".into(),
            OptType::Material => "preset name or material map".into(),
            OptType::Points => "list of [x, y, z]".into(),
            OptType::Bursts => "list of [time, count]".into(),
            OptType::Outlines => "list of outlines, each a list of [x, z]".into(),
            OptType::Layers => {
                "list of layer maps #{ color, slope, height, blend, noise } (see terrain_layer)"
                    .into()
            }
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct OptSpec {
    pub key: &'static str,
    #[serde(flatten)]
    pub ty: OptType,
    pub default: &'static str,
    pub doc: &'static str,
}

pub const fn opt(
    key: &'static str,
    ty: OptType,
    default: &'static str,
    doc: &'static str,
) -> OptSpec {
    OptSpec {
        key,
        ty,
        default,
        doc,
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct FnDoc {
    pub name: &'static str,
    /// Names models reach for from other engines and languages that mean
    /// this function (`cuboid` for `box`): calling one suggests this.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub aliases: &'static [&'static str],
    pub topic: Topic,
    /// Each accepted call form, e.g. `sphere(radius)`, `sphere(radius, options)`.
    pub forms: &'static [&'static str],
    pub returns: &'static str,
    pub params: &'static [(&'static str, &'static str)],
    pub doc: &'static str,
    /// Groups of option keys accepted in the `options` map.
    #[serde(skip)]
    pub options: &'static [&'static [OptSpec]],
    pub example: &'static str,
}

impl FnDoc {
    pub fn signatures(&self) -> Vec<String> {
        self.forms
            .iter()
            .map(|f| {
                if self.returns.is_empty() {
                    f.to_string()
                } else {
                    format!("{f} -> {}", self.returns)
                }
            })
            .collect()
    }

    pub fn option_specs(&self) -> impl Iterator<Item = &'static OptSpec> + '_ {
        self.options.iter().flat_map(|g| g.iter())
    }

    pub fn option(&self, key: &str) -> Option<&'static OptSpec> {
        self.option_specs().find(|o| o.key == key)
    }
}

/// A property of a handle type (`entity.position`), for the reference.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PropDoc {
    pub type_name: &'static str,
    pub name: &'static str,
    pub value: &'static str,
    pub writable: bool,
    pub doc: &'static str,
}

#[derive(Debug, Default, Clone)]
pub struct Registry {
    pub functions: Vec<&'static FnDoc>,
    pub properties: Vec<&'static PropDoc>,
}

impl Registry {
    pub fn function(&self, name: &str) -> Option<&'static FnDoc> {
        self.functions.iter().copied().find(|f| f.name == name)
    }

    /// The function an alias names (lower case), e.g. `box` for `cuboid`.
    pub fn by_alias(&self, alias: &str) -> Option<&'static FnDoc> {
        self.functions
            .iter()
            .copied()
            .find(|f| f.aliases.contains(&alias))
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.functions.iter().map(|f| f.name)
    }

    pub fn property_names(&self, type_name: &str) -> Vec<&'static str> {
        self.properties
            .iter()
            .filter(|p| p.type_name == type_name)
            .map(|p| p.name)
            .collect()
    }
}
