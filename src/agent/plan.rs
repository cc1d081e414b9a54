//! The typed scene plan: what compact mode decides about a world before any
//! code exists (the ground, sun, sky and weather; where each object stands
//! and on what; where the camera looks from; which motion recipe drives each
//! asked-for dynamics item), and the one compiler that turns it into the
//! script pieces the rounds run, check and repair.
//!
//! [`super::templates`] fills a plan from the brief and the measured scene;
//! the plan is data (serialisable, compared in tests), so a choice is made in
//! one place and written out in another, and a new dynamics kind is one entry
//! in [`super::templates::MOTION_RECIPES`], not another branch of string
//! building.

use glam::Vec3;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Two places: positions. Trailing zeros trimmed, so scripts stay short.
pub fn num(v: f32) -> String {
    format!("{:.2}", v)
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string()
}

/// Four places: millimetre sizes such as particle radii.
pub fn fine_num(v: f32) -> String {
    format!("{:.4}", v)
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string()
}

pub fn vec3(v: Vec3) -> String {
    format!("[{}, {}, {}]", num(v.x), num(v.y), num(v.z))
}

/// The whole plan: each part compiles to one of the script's sections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenePlan {
    pub environment: EnvironmentPlan,
    pub layout: Vec<Placement>,
    pub camera: CameraPlan,
    pub motions: Vec<MotionPlan>,
}

impl ScenePlan {
    /// The sections in the order a world script runs them.
    pub fn sections(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("environment", self.environment.script()),
            ("layout", layout_script(&self.layout)),
            ("camera", self.camera.script()),
        ];
        if let Some(d) = motions_script(&self.motions) {
            out.push(("dynamics", d));
        }
        out
    }
}

/// The ground's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "shape", rename_all = "snake_case")]
pub enum Ground {
    /// A flat square, metres a side.
    Plane { size: f32 },
    /// A hill whose flat top is at y = 0, where the layout stands things.
    Hill { size: [f32; 2], height: f32 },
    /// Shaped terrain (`nature::terrain`'s valley, mountains, riverbank,
    /// lake or coast) around a flat middle at y = 0.
    Terrain { size: [f32; 2], relief: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fog {
    pub density: f32,
    pub color: Option<String>,
    pub height: Option<f32>,
}

/// What grows around the layout. Kept out of the layout's middle and in
/// front of nothing, so it never hides the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dressing {
    /// Short grass over the ground around the layout.
    Grass,
    /// A wheat field behind the layout.
    Wheat,
    /// Coral and seaweed on the seabed behind and beside the layout.
    Reef,
}

impl Dressing {
    fn script(self) -> Vec<String> {
        match self {
            Dressing::Grass => vec![
                "nature::grass([0, 0, -2], #{ size: [18, 12], density: 40, height: 0.22, sway: 0.6 });"
                    .into(),
            ],
            Dressing::Wheat => vec![
                "nature::wheat([0, 0, -9], #{ size: [26, 10], density: 30 });".into(),
            ],
            Dressing::Reef => vec![
                "for i in 0..7 {\n    let a = -2.6 + i * 0.87;\n                     nature::coral([sin(a) * 5.5, 0, -cos(a) * 4.5 - 1.0], #{ kind: if i % 2 == 0 { \"branching\" } else { \"brain\" } });\n                     nature::seaweed([sin(a + 0.4) * 6.5, 0, -cos(a + 0.4) * 5.5 - 1.0]);\n}"
                    .into(),
            ],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentPlan {
    pub ground: Ground,
    pub ground_material: String,
    /// The hour on the sun's track; None: a fixed mid-morning sun.
    pub hour: Option<f32>,
    /// The sky preset: "auto", "overcast" or "underwater".
    pub sky: String,
    /// A warm lamp indoors.
    pub lamp: bool,
    pub fog: Option<Fog>,
    /// Wind speed, m/s.
    pub wind: Option<f32>,
    /// Gust strength as a fraction of the wind's speed (0: steady).
    #[serde(default)]
    pub gust: f32,
    /// Living dressing around the layout: grass, a wheat field behind it, a
    /// reef on the seabed.
    #[serde(default)]
    pub dressing: Option<Dressing>,
    /// Indoors, the room shell's inside [width, height, depth] around the
    /// layout (its front open to the camera).
    #[serde(default)]
    pub room: Option<[f32; 3]>,
}

impl EnvironmentPlan {
    pub fn script(&self) -> String {
        let mut lines = vec![match &self.ground {
            Ground::Hill { size, height } => format!(
                "nature::hill([0, 0, 0], [{}, {}], #{{ name: \"ground\", material: \"{}\", height: {} }});",
                num(size[0]),
                num(size[1]),
                self.ground_material,
                num(*height)
            ),
            Ground::Terrain { size, relief } => format!(
                "nature::terrain([{}, {}], #{{ name: \"ground\", shape: \"{relief}\", material: \"{}\", flat_center: 6 }});",
                num(size[0]),
                num(size[1]),
                self.ground_material
            ),
            Ground::Plane { size } => format!(
                "plane({}, #{{ name: \"ground\", material: \"{}\" }});",
                num(*size),
                self.ground_material
            ),
        }];
        if let Some([w, h, d]) = self.room {
            lines.push(format!(
                // Unnamed: the camera frames the layout, not the walls.
                "assets::room([0, 0, -{}], #{{ size: [{}, {}, {}], front: false }});",
                num(d * 0.25),
                num(w),
                num(h),
                num(d)
            ));
        }
        // Named, so the dynamics can animate it.
        lines.push(match self.hour {
            Some(h) => format!("sun(#{{ name: \"sun\", time_of_day: {} }});", num(h)),
            None => "sun(#{ name: \"sun\", elevation: 45, azimuth: 135 });".into(),
        });
        lines.push(format!("sky(#{{ kind: \"{}\" }});", self.sky));
        if self.lamp {
            lines.push(
                "point_light([1.5, 2.4, 1], #{ name: \"lamp\", color: \"warm_white\", intensity: 25, range: 8 });"
                    .into(),
            );
        }
        if let Some(f) = &self.fog {
            let mut options = vec![format!("density: {}", num(f.density))];
            if let Some(c) = &f.color {
                options.push(format!("color: \"{c}\""));
            }
            if let Some(h) = f.height {
                options.push(format!("height: {}", num(h)));
            }
            lines.push(format!("fog(#{{ {} }});", options.join(", ")));
        }
        if let Some(speed) = self.wind {
            lines.push(if self.gust > 0.0 {
                format!(
                    "wind(#{{ direction: [1, 0, 0.3], speed: {}, gust: {}, gust_period: 2.5 }});",
                    num(speed),
                    num(self.gust)
                )
            } else {
                format!(
                    "wind(#{{ direction: [1, 0, 0.3], speed: {} }});",
                    num(speed)
                )
            });
        }
        if let Some(d) = self.dressing {
            lines.extend(d.script());
        }
        lines.join("\n")
    }
}

/// What the camera looks at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "aim", rename_all = "snake_case")]
pub enum CameraAim {
    /// Follow a named entity as it moves.
    Follow {
        name: String,
    },
    Point {
        at: [f32; 3],
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CameraPlan {
    pub position: [f32; 3],
    pub aim: CameraAim,
}

impl CameraPlan {
    pub fn script(&self) -> String {
        let target = match &self.aim {
            CameraAim::Follow { name } => format!("find(\"{name}\")"),
            CameraAim::Point { at } => vec3(Vec3::from(*at)),
        };
        format!(
            "camera(#{{ position: {}, target: {target} }});",
            vec3(Vec3::from(self.position))
        )
    }
}

/// Copies scattered over an area around the placement's point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scatter {
    pub count: u32,
    pub area: [f32; 2],
    /// Least distance between copies, metres.
    pub gap: f32,
}

/// One object of the brief put in the world by its maker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    /// The brief's name: the variable (and, for copies, the tag).
    pub name: String,
    /// The maker function that builds it.
    pub maker: String,
    /// Where its lowest point stands: on the ground or on its support's top.
    pub at: [f32; 3],
    /// The support it stands on, if any (for readers of the plan).
    pub on: Option<String>,
    pub scatter: Option<Scatter>,
}

impl Placement {
    pub fn script(&self) -> String {
        let at = Vec3::from(self.at);
        match &self.scatter {
            None => format!("let {} = {}({});", self.name, self.maker, vec3(at)),
            Some(s) => format!(
                "for p in layout::scatter({}, [{}, {}], {}) {{\n    {}([p[0] + {}, {}, p[2] + {}]);\n}}",
                s.count,
                num(s.area[0]),
                num(s.area[1]),
                num(s.gap),
                self.maker,
                num(at.x),
                num(at.y),
                num(at.z)
            ),
        }
    }
}

pub fn layout_script(layout: &[Placement]) -> String {
    layout
        .iter()
        .map(Placement::script)
        .collect::<Vec<_>>()
        .join("\n")
}

/// One dynamics item of the brief as the recipe for its kind wrote it: the
/// statements that set it going and the expectations that state it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MotionPlan {
    pub kind: String,
    pub subject: String,
    /// The recipe's name in the table ("roll", "emit particles", ...).
    pub recipe: String,
    pub statements: Vec<String>,
    pub expectations: Vec<String>,
}

/// The dynamics section, None when no recipe wrote anything. Two items can
/// ask for the same statement (wind for "sways" and for "wind"): once is
/// enough.
pub fn motions_script(motions: &[MotionPlan]) -> Option<String> {
    let mut unique: Vec<&str> = Vec::new();
    for m in motions {
        for line in m.statements.iter().chain(&m.expectations) {
            if !unique.contains(&line.as_str()) {
                unique.push(line);
            }
        }
    }
    (!unique.is_empty()).then(|| unique.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_compiles_to_the_sections_a_world_script_runs() {
        let plan = ScenePlan {
            environment: EnvironmentPlan {
                ground: Ground::Plane { size: 40.0 },
                ground_material: "grass".into(),
                hour: Some(18.0),
                sky: "overcast".into(),
                lamp: false,
                fog: Some(Fog {
                    density: 0.08,
                    color: None,
                    height: Some(2.0),
                }),
                wind: Some(3.0),
                gust: 0.0,
                dressing: None,
                room: None,
            },
            layout: vec![
                Placement {
                    name: "table".into(),
                    maker: "make_table".into(),
                    at: [0.0, 0.0, 0.0],
                    on: None,
                    scatter: None,
                },
                Placement {
                    name: "coin".into(),
                    maker: "make_coin".into(),
                    at: [0.0, 0.75, 0.0],
                    on: Some("table".into()),
                    scatter: Some(Scatter {
                        count: 3,
                        area: [0.5, 0.4],
                        gap: 0.05,
                    }),
                },
            ],
            camera: CameraPlan {
                position: [2.0, 1.5, 3.0],
                aim: CameraAim::Follow {
                    name: "table".into(),
                },
            },
            motions: vec![
                MotionPlan {
                    kind: "sways".into(),
                    subject: String::new(),
                    recipe: "wind".into(),
                    statements: vec!["wind(#{ speed: 4 });".into()],
                    expectations: vec![],
                },
                MotionPlan {
                    kind: "wind".into(),
                    subject: String::new(),
                    recipe: "wind".into(),
                    statements: vec!["wind(#{ speed: 4 });".into()],
                    expectations: vec![],
                },
            ],
        };
        let sections = plan.sections();
        let names: Vec<&str> = sections.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["environment", "layout", "camera", "dynamics"]);
        let env = &sections[0].1;
        assert!(env.starts_with("plane(40, #{ name: \"ground\", material: \"grass\" });"));
        assert!(
            env.contains("time_of_day: 18") && env.contains("fog(#{ density: 0.08, height: 2 });")
        );
        assert!(sections[1].1.contains("let table = make_table([0, 0, 0]);"));
        assert!(
            sections[1]
                .1
                .contains("layout::scatter(3, [0.5, 0.4], 0.05)")
        );
        assert_eq!(
            sections[2].1,
            "camera(#{ position: [2, 1.5, 3], target: find(\"table\") });"
        );
        // The same wind asked twice is written once.
        assert_eq!(sections[3].1, "wind(#{ speed: 4 });");
        // Data, not code: the plan survives a trip through JSON.
        let json = serde_json::to_string(&plan).unwrap();
        assert_eq!(serde_json::from_str::<ScenePlan>(&json).unwrap(), plan);
        let script = format!(
            "{}fn make_table(position) {{ box(1, #{{ name: \"table\", position: [position[0], position[1] + 0.5, position[2]] }}) }}\n\
             fn make_coin(position) {{ cylinder(0.01, 0.002, #{{ tags: [\"coin\"], position: position }}) }}\n{}\n",
            super::super::code::PRELUDE,
            sections
                .iter()
                .map(|(_, s)| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
        let facts = super::super::scene_facts::SceneFacts::build(&script)
            .unwrap_or_else(|e| panic!("{e:?}\n{script}"));
        assert_eq!(facts.thing("coin").map(|t| t.count), Some(3));
        assert!(facts.camera_set);
    }
}
