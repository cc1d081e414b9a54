//! Pieces written from the brief without a model call, for small, slow
//! models (compact mode): an object the catalog builds by name (or a forest
//! of catalog trees), and a plain stand-in for an object whose model-written
//! maker failed; and the [scene plan](super::plan) (the environment from
//! the brief's words, the layout from its placements, the camera from the
//! measured scene, a recipe per dynamics item from [`MOTION_RECIPES`]),
//! which the plan's compiler writes out as script. A local model at a few tokens a second spends minutes on
//! each of these and often gets them wrong; the brief already says what
//! they need. They come out as the same code a model would be asked for, so
//! the checks, the rounds and the repairer treat them like any other piece.

use glam::Vec3;

use super::code::maker_name;
use super::plan::{
    CameraAim, CameraPlan, Dressing, EnvironmentPlan, Fog, Ground, MotionPlan, Placement, Scatter,
    ScenePlan, fine_num, layout_script, motions_script, num, vec3,
};
use super::scene_facts::{SceneFacts, Thing};
use crate::brief::{Brief, DynamicsBrief, ObjectBrief};
use crate::world::BodyKind;
use crate::world::material::{parse_color_str, preset_named};

/// Words of a free-text field, lower case, split on anything but letters.
fn words(text: &str) -> Vec<String> {
    text.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn has_any(words: &[String], wanted: &[&str]) -> bool {
    words
        .iter()
        .any(|w| wanted.iter().any(|x| w.starts_with(x)))
}

fn attribute_words(o: &ObjectBrief) -> Vec<String> {
    o.attributes.iter().flat_map(|a| words(a)).collect()
}

/// An object's name (or tag, for copies), and the colour and material its
/// attributes name.
fn label_and_look(o: &ObjectBrief, attrs: &[String]) -> Vec<String> {
    let mut options = vec![if o.count > 1 {
        format!("tags: [\"{}\"]", o.name)
    } else {
        format!("name: \"{}\"", o.name)
    }];
    // The last colour word wins: "dark brown" is brown.
    if let Some(c) = attrs.iter().rev().find(|w| parse_color_str(w).is_some()) {
        options.push(format!("color: \"{c}\""));
    }
    if let Some(m) = attrs.iter().find(|w| preset_named(w).is_some()) {
        options.push(format!("material: \"{m}\""));
    }
    options
}

/// The maker for an object the catalog builds: the builder with the
/// brief's name, colour and material. `builder_doc` is the builder's
/// documentation, read for the options it takes.
pub fn catalog_object(brief: &Brief, o: &ObjectBrief, builder: &str, builder_doc: &str) -> String {
    let attrs = attribute_words(o);
    let mut options = label_and_look(o, &attrs);
    if builder_doc.contains("leaf_color") {
        // A tree's colours are its leaves' ("yellowed leaves with brown
        // spots"), not its trunk's.
        options.retain(|opt| !opt.starts_with("color:"));
        let mut colours: Vec<&str> = attrs
            .iter()
            .map(String::as_str)
            .filter(|w| parse_color_str(w).is_some())
            .collect();
        colours.dedup();
        let scene = words(&format!("{} {}", brief.setting, brief.prompt));
        let turned = ["autumn", "withered", "yellowed", "dry", "fall"];
        if colours.is_empty()
            && (has_any(&attrs, &turned) || has_any(&scene, &["autumn", "withered", "yellowed"]))
        {
            colours = vec!["orange", "red", "gold", "brown"];
        }
        match colours.as_slice() {
            [] => {}
            [one] => options.push(format!("leaf_color: \"{one}\"")),
            many => options.push(format!(
                "leaf_color: pick([{}])",
                many.iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    // The brief's size when the builder's default height is far from it
    // (kept within what is plausible for the kind).
    let kind_words = words(&o.kind);
    let heap = has_any(&kind_words, &["pile", "heap", "mound"]);
    // A small planner writes 1 m for everything; a tree that small is a
    // sapling only when the brief says so.
    let small_said = has_any(
        &attrs,
        &["small", "young", "sapling", "tiny", "little", "bonsai"],
    );
    let size = o
        .size_m
        .filter(|s| !(has_any(&kind_words, &["tree"]) && *s < 2.0 && !small_said));
    if let (true, Some(want), Some(_)) = (heap, size, default_of(builder_doc, "radius")) {
        // A pile's size is its width: half of it is the radius, its
        // height stays low.
        options.push(format!(
            "radius: {}",
            num((want as f32 / 2.0).clamp(0.2, 10.0))
        ));
    } else if let (Some(want), Some(default)) = (size, default_of(builder_doc, "height")) {
        let mut want = want as f32;
        // Within the kind's plausible sizes, short of the top: handles and
        // rims add to a builder's height.
        if let Some((_, range, _)) = crate::critic::plausible::kind_of(&o.kind) {
            want = want.clamp(range[0], range[0].max(range[1] * 0.6));
        }
        if want.is_finite() && want > 0.0 && (want / default > 2.0 || default / want > 2.0) {
            options.push(format!("height: {}", num(want)));
        }
    }
    let rolls = brief
        .dynamics
        .iter()
        .any(|d| d.kind == "rolls" && d.subject == o.name);
    let on_side = has_any(&attrs, &["lying", "side", "tipped", "fallen", "toppled"]);
    if builder_doc.contains("lying") && (rolls || on_side) {
        options.push("lying: true".into());
    }
    format!(
        "fn {}(position) {{\n    {builder}(position, #{{ {} }})\n}}",
        maker_name(&o.name),
        options.join(", ")
    )
}

/// A maker for a whole forest (or wood, grove), the catalog's trees
/// scattered inside one named group; None for other kinds. An autumn
/// prompt or setting turns the leaves whatever colour the attributes say
/// (a small planner often copies "green" onto an autumn forest).
pub fn forest_object(brief: &Brief, o: &ObjectBrief) -> Option<String> {
    let kind = words(&format!("{} {}", o.kind, o.name));
    // Copies of a forest would be copies of one name; thirty "forest" trees
    // are trees.
    if o.count > 1
        || !has_any(
            &kind,
            &["forest", "wood", "grove", "jungle", "rainforest", "canopy"],
        )
    {
        return None;
    }
    let attrs = attribute_words(o);
    let mut tree = vec![
        "parent: g".to_string(),
        "kind: pick([\"broadleaf\", \"pine\"])".to_string(),
        "height: rand_range(4, 7)".to_string(),
    ];
    let scene = words(&format!("{} {}", brief.setting, brief.prompt));
    let autumn = has_any(&attrs, &["autumn", "fall"]) || has_any(&scene, &["autumn"]);
    if autumn {
        // Conifers stay green in autumn: an orange pine reads as a toy.
        tree[1] = "kind: \"broadleaf\"".into();
        tree.push("autumn: true".into());
    } else if let Some(c) = attrs.iter().rev().find(|w| parse_color_str(w).is_some()) {
        tree.push(format!("leaf_color: \"{c}\""));
    }
    let dense = has_any(&attrs, &["dense", "thick", "lush"]);
    Some(format!(
        "fn {}(position) {{\n    let g = group(#{{ name: \"{}\", position: position }});\n    \
         for p in layout::scatter({}, [24, 24], 3.5) {{\n        assets::tree(p, #{{ {} }});\n    }}\n    g\n}}",
        maker_name(&o.name),
        o.name,
        // Within an object's triangle budget: a branching broadleaf is
        // about 6,000-8,000 triangles, a pine about 3,600.
        match (autumn, dense) {
            (true, true) => 7,
            (true, false) => 6,
            (false, true) => 9,
            (false, false) => 8,
        },
        tree.join(", ")
    ))
}

/// A plain maker for an object whose model-written one failed: the
/// primitive its kind suggests, at the brief's size and colour, with its
/// lowest point at `position`, named (or tagged) like the real one.
pub fn stand_in(o: &ObjectBrief) -> String {
    let size = o
        .size_m
        .filter(|s| s.is_finite())
        .unwrap_or(0.3)
        .clamp(0.02, 20.0) as f32;
    let mut options = label_and_look(o, &attribute_words(o));
    let shape = super::words::shape_words(&o.kind);
    let (call, height) = if shape.starts_with("sphere") {
        (format!("sphere({}", num(size / 2.0)), size)
    } else if shape.contains("cylinder") {
        (format!("cylinder({}, {}", num(size / 6.0), num(size)), size)
    } else if shape.starts_with("torus") {
        (
            format!("torus({}, {}", num(size * 0.4), num(size * 0.1)),
            size * 0.2,
        )
    } else if shape.starts_with("cone") {
        (format!("cone({}, {}", num(size / 3.0), num(size)), size)
    } else {
        (format!("box({}", num(size)), size)
    };
    options.push(format!(
        "position: [position[0], position[1] + {}, position[2]]",
        num(height / 2.0)
    ));
    format!(
        "fn {}(position) {{\n    {call}, #{{ {} }})\n}}",
        maker_name(&o.name),
        options.join(", ")
    )
}

/// An option's documented default, from "key (value)" in a builder's doc.
fn default_of(doc: &str, key: &str) -> Option<f32> {
    let at = doc.find(&format!("{key} ("))? + key.len() + 2;
    let end = doc[at..].find(')')?;
    doc[at..at + end].trim().parse().ok()
}

/// The ground's material from the brief's words, else from the setting.
fn ground_material(brief: &Brief, indoor: bool) -> &'static str {
    let w = words(&format!("{} {}", brief.environment.ground, brief.setting));
    const BY_WORD: &[(&[&str], &str)] = &[
        (&["sand", "desert", "dune", "beach"], "sand"),
        (&["snow"], "snow"),
        (&["ice", "frozen"], "ice"),
        (
            &["stone", "rock", "concrete", "road", "pavement", "tile"],
            "stone",
        ),
        (&["dirt", "soil", "mud", "earth"], "dirt"),
        (
            &["grass", "lawn", "meadow", "field", "forest", "park"],
            "grass",
        ),
        (&["wood", "floor", "plank", "parquet"], "wood"),
        (&["carpet", "rug"], "fabric"),
    ];
    BY_WORD
        .iter()
        .find(|(keys, _)| has_any(&w, keys))
        .map(|(_, m)| *m)
        .unwrap_or(if indoor { "wood" } else { "grass" })
}

/// The hour the brief's words imply, if any.
fn hour_from_words(w: &[String]) -> Option<f64> {
    if has_any(w, &["night", "dark", "midnight", "moon"]) {
        Some(22.0)
    } else if has_any(w, &["dawn", "sunrise", "morning"]) {
        Some(7.0)
    } else if has_any(w, &["sunset", "dusk", "golden", "evening"]) {
        Some(18.0)
    } else if has_any(w, &["noon", "midday"]) {
        Some(12.5)
    } else if has_any(w, &["afternoon"]) {
        Some(15.5)
    } else {
        None
    }
}

/// Words that say where a scene is, and what its sky and weather are: the
/// environment's choices, as data.
const UNDERWATER_WORDS: &[&str] = &["underwater", "ocean", "undersea", "seabed"];
const INDOOR_SETTING_WORDS: &[&str] = &["indoor", "room", "kitchen", "house", "office"];
const INDOOR_WORDS: &[&str] = &["living", "bedroom", "kitchen", "indoor"];
const HILL_WORDS: &[&str] = &["hill", "hilltop", "mountain", "summit", "peak"];
/// Landscapes `nature::terrain` shapes, by the words that ask for them.
const TERRAIN_SHAPES: &[(&[&str], &str)] = &[
    (&["lake", "lakeside", "loch", "mere"], "lake"),
    (
        &["beach", "coast", "seaside", "seashore", "shore", "sea"],
        "coast",
    ),
    (
        &["river", "riverbank", "stream", "creek", "brook"],
        "riverbank",
    ),
    (&["valley", "canyon", "gorge"], "valley"),
    (&["mountains", "alpine", "ranges"], "mountains"),
];
const OVERCAST_WORDS: &[&str] = &["overcast", "cloud", "grey", "gray", "storm", "rain"];
const LAMP_WORDS: &[&str] = &["lamp", "warm", "cozy", "cosy", "candle", "glow"];
const FOG_WORDS: &[&str] = &["fog", "mist", "haze", "foggy", "misty"];
const WIND_WORDS: &[&str] = &["wind", "breeze", "gust", "storm", "windy"];
const STRONG_WIND_WORDS: &[&str] = &["storm", "strong", "gale"];
const GUST_WORDS: &[&str] = &["gust", "gusts", "gusty", "gusting", "storm", "gale"];
const GRASS_WORDS: &[&str] = &[
    "meadow",
    "lawn",
    "grass",
    "grassy",
    "grassland",
    "prairie",
    "pasture",
    "savanna",
];
const WHEAT_WORDS: &[&str] = &[
    "wheat",
    "crop",
    "crops",
    "farm",
    "barley",
    "cornfield",
    "farmland",
];
const LANDSCAPE_WORDS: &[&str] = &[
    "forest",
    "landscape",
    "valley",
    "field",
    "desert",
    "mountain",
];

/// The environment the brief describes: ground, sun and sky, lamps, fog
/// and wind.
pub fn environment_plan(brief: &Brief) -> EnvironmentPlan {
    let e = &brief.environment;
    let all = words(&format!(
        "{} {} {} {} {} {}",
        brief.setting, e.ground, e.sky, e.weather, e.lighting, brief.prompt
    ));
    let setting = words(&brief.setting);
    let underwater = has_any(&all, UNDERWATER_WORDS);
    let indoor =
        !underwater && (has_any(&setting, INDOOR_SETTING_WORDS) || has_any(&all, INDOOR_WORDS));
    // A hilltop is a hill: the ground falls away from a flat top at y = 0,
    // where the layout stands things.
    let hill = !indoor && !underwater && has_any(&all, HILL_WORDS);
    let sky_words = words(&format!("{} {} {}", e.sky, e.lighting, e.weather));
    let hour = e
        .time_of_day
        .filter(|h| (0.0..=24.0).contains(h))
        .or_else(|| hour_from_words(&sky_words))
        .or_else(|| hour_from_words(&all));
    let weather = words(&e.weather);
    let fog = if underwater {
        Some(Fog {
            density: 0.12,
            color: Some("#1d5a7a".into()),
            height: None,
        })
    } else if has_any(&weather, FOG_WORDS) {
        // Mist that veils the distance; denser washes the scene out white.
        Some(Fog {
            density: 0.03,
            color: None,
            height: Some(2.0),
        })
    } else {
        None
    };
    let wind = (!indoor && has_any(&all, WIND_WORDS)).then(|| {
        if has_any(&all, STRONG_WIND_WORDS) {
            8.0
        } else {
            3.0
        }
    });
    let dressing = if underwater {
        Some(Dressing::Reef)
    } else if indoor {
        None
    } else if has_any(&all, WHEAT_WORDS) {
        Some(Dressing::Wheat)
    } else if has_any(&all, GRASS_WORDS) {
        Some(Dressing::Grass)
    } else {
        None
    };
    let shaped = TERRAIN_SHAPES
        .iter()
        .find(|(keys, _)| !indoor && !underwater && has_any(&all, keys))
        .map(|(_, shape)| *shape);
    EnvironmentPlan {
        ground: if let Some(shape) = shaped {
            Ground::Terrain {
                size: [80.0, 80.0],
                relief: shape.into(),
            }
        } else if hill {
            Ground::Hill {
                size: [100.0, 100.0],
                height: 8.0,
            }
        } else {
            // Outdoors the ground reaches the horizon: a 40 m plane's edge
            // showed behind every landscape shot. Shadows are fitted to
            // the objects, not the ground, so its size costs nothing.
            Ground::Plane {
                size: if indoor { 40.0 } else { 300.0 },
            }
        },
        ground_material: if underwater && !hill {
            "sand".into()
        } else {
            ground_material(brief, indoor).into()
        },
        hour: hour.map(|h| h as f32),
        sky: if underwater {
            "underwater"
        } else if has_any(&sky_words, OVERCAST_WORDS) {
            "overcast"
        } else {
            "auto"
        }
        .into(),
        lamp: indoor
            && has_any(
                &words(&format!("{} {}", e.lighting, brief.prompt)),
                LAMP_WORDS,
            ),
        fog,
        gust: if wind.is_some() && has_any(&all, GUST_WORDS) {
            0.6
        } else {
            0.0
        },
        wind,
        dressing,
        // Walls and a window make a room of an indoor scene; the front
        // is left open for the camera.
        room: indoor.then_some([8.0, 2.8, 7.0]),
    }
}

/// The environment section of the script.
pub fn environment(brief: &Brief) -> String {
    environment_plan(brief).script()
}

/// The camera: the brief's shot of its target, placed from the target's
/// measured box. A dynamic target is followed.
pub fn camera_plan(brief: &Brief, facts: &SceneFacts) -> CameraPlan {
    let c = &brief.camera;
    let subject = facts
        .thing(&c.target)
        .or_else(|| facts.things.iter().find(|t| !t.ground));
    let Some(subject) = subject else {
        return CameraPlan {
            position: [6.0, 4.0, 8.0],
            aim: CameraAim::Point {
                at: [0.0, 0.5, 0.0],
            },
        };
    };
    let centre = (subject.min + subject.max) * 0.5;
    let size = subject.size().max_element().max(0.1);
    let scene = facts
        .things
        .iter()
        .filter(|t| !t.ground)
        .fold(None::<(Vec3, Vec3)>, |acc, t| {
            Some(match acc {
                Some((lo, hi)) => (lo.min(t.min), hi.max(t.max)),
                None => (t.min, t.max),
            })
        });
    // A target that is a speck against the scene (a stand-in, a prop in
    // a landscape) would leave the rest out of view: frame the scene.
    let scene_span = scene
        .map(|(lo, hi)| (hi - lo).max_element())
        .unwrap_or(size);
    let (centre, size, subject_count) = match scene {
        Some((lo, hi)) if size * 10.0 < scene_span => ((lo + hi) * 0.5, scene_span, 2),
        _ => (centre, size, subject.count),
    };
    let distance = if subject_count > 1 {
        // Copies spread over an area: frame the group, whatever the shot.
        size * 1.1
    } else {
        match c.shot.as_str() {
            "close" => size * 3.0,
            "wide" => scene_span.max(size * 6.0) * 1.3,
            _ => size * 6.0,
        }
    }
    .clamp(0.8, 80.0);
    // Particles "from" a thing and weather do not move it.
    const STILL_KINDS: &[&str] = &[
        "falling_leaves",
        "rain",
        "snow",
        "embers",
        "steam",
        "fire",
        "wind",
        "sways",
        "time_of_day",
        "glows",
        "flickers",
        "static",
    ];
    let moves = subject.body == BodyKind::Dynamic
        || brief.dynamics.iter().any(|d| {
            !d.subject.is_empty()
                && d.subject == subject.name
                && !STILL_KINDS.contains(&d.kind.as_str())
        });
    // A moving subject travels: stand back enough to keep it in frame (the
    // camera turns to follow it), but not so far that a rolling bottle is
    // a speck: 2.5 m whatever its size made a 10 cm one 4 % of the frame.
    let distance = if moves {
        distance.max((size * 8.0).max(1.2))
    } else {
        distance
    };
    // A landscape-sized subject (a forest, a canopy) is seen from its
    // edge, not from so far off that it is a clump on the horizon.
    let distance = if size > 12.0 {
        distance.min(size * 0.5)
    } else {
        distance
    };
    // Falling leaves (9 cm) must stay a few pixels wide to read as leaves,
    // which the critic measures: within about 12 m of them.
    let leaves = brief.dynamics.iter().any(|d| d.kind == "falling_leaves");
    let distance = if leaves { distance.min(10.0) } else { distance };
    // From the front-right and a little above: the usual product-shot angle.
    let dir = Vec3::new(0.55, 0.35, 0.76).normalize();
    let mut position = centre + dir * distance;
    position.y = position.y.max(0.4);
    let mut centre = centre;
    if size > 12.0 {
        // In a landscape, stand at eye height and look in under the crowns,
        // not down on the treetops.
        position.y = 1.8;
        centre.y = centre.y.clamp(1.5, 3.0);
    }
    CameraPlan {
        position: position.to_array(),
        aim: if moves && subject_count == 1 {
            CameraAim::Follow {
                name: subject.name.clone(),
            }
        } else {
            CameraAim::Point {
                at: centre.to_array(),
            }
        },
    }
}

/// The camera section of the script.
pub fn camera(brief: &Brief, facts: &SceneFacts) -> String {
    camera_plan(brief, facts).script()
}

/// The object another one stands on: a different object of the brief whose
/// name or kind its placement mentions ("on the table").
fn support_of<'b>(brief: &'b Brief, o: &ObjectBrief) -> Option<&'b ObjectBrief> {
    let placement = words(&o.placement);
    brief.objects.iter().find(|s| {
        // Things stand in a forest, on its ground, not on its treetops.
        !crate::critic::coverage::is_landscape_kind(&s.kind)
            && s.name != o.name
            && !placement.is_empty()
            && (placement.iter().any(|w| *w == s.name.to_ascii_lowercase())
                || words(&s.kind).iter().all(|k| placement.contains(k)))
    })
}

/// The layout: every object placed by its maker, supports first, each
/// object that names a support on that support's measured top, copies
/// scattered. `measure` builds the scene with a candidate layout and
/// returns its facts, so heights come from the built world rather than
/// guesses.
pub fn layout_plan(brief: &Brief, measure: &dyn Fn(&str) -> Option<SceneFacts>) -> Vec<Placement> {
    let landscape = words(&format!("{} {}", brief.setting, brief.prompt))
        .iter()
        .any(|w| LANDSCAPE_WORDS.contains(&w.as_str()));
    let mut order: Vec<&ObjectBrief> = brief.objects.iter().collect();
    // Supports first, so what stands on them can be measured onto them.
    order.sort_by_key(|o| support_of(brief, o).is_some());
    let mut placed: Vec<Placement> = Vec::new();
    let mut free_slot = 0;
    for o in order {
        let maker = maker_name(&o.name);
        let so_far = layout_script(&placed);
        let support_brief = support_of(brief, o);
        let support =
            support_brief.and_then(|s| measure(&so_far).and_then(|f| f.thing(&s.name).cloned()));
        let (centre, area) = match &support {
            Some(t) => {
                let c = (t.min + t.max) * 0.5;
                let s = t.size();
                (Vec3::new(c.x, t.max.y, c.z), (s.x * 0.7, s.z * 0.7))
            }
            None => {
                // Things on the ground side by side, the subject in the middle.
                let x = if o.role == "subject" {
                    0.0
                } else {
                    free_slot += 1;
                    let step = 1.6 * ((free_slot + 1) / 2) as f32;
                    if free_slot % 2 == 1 { -step } else { step }
                };
                let side = if landscape { 24.0 } else { 5.0 };
                (Vec3::new(x, 0.0, 0.0), (side, side))
            }
        };
        let scatter = (o.count > 1).then(|| {
            // Copies stand apart by their measured footprint, over an area
            // that holds them all.
            let footprint = measure(&format!("{so_far}\n{maker}([0, 0, 0]);\n"))
                .and_then(|f| f.thing(&o.name).map(|t| t.size().x.max(t.size().z)))
                .unwrap_or(0.0);
            let gap = (footprint * 1.2)
                .max(o.size_m.unwrap_or(0.0) as f32)
                .clamp(0.05, 20.0);
            let count = o.count.min(500);
            let room = gap * (count as f32).sqrt() * 1.8;
            let area = if support.is_some() {
                area
            } else {
                (area.0.max(room), area.1.max(room))
            };
            Scatter {
                count,
                area: [area.0, area.1],
                gap,
            }
        });
        placed.push(Placement {
            name: o.name.clone(),
            maker,
            at: centre.to_array(),
            on: support.as_ref().and(support_brief).map(|s| s.name.clone()),
            scatter,
        });
    }
    placed
}

/// The layout section of the script.
pub fn layout(brief: &Brief, measure: &dyn Fn(&str) -> Option<SceneFacts>) -> String {
    layout_script(&layout_plan(brief, measure))
}

/// What a motion recipe reads: the dynamics item, the brief, the scene.
pub struct MotionInput<'a> {
    pub brief: &'a Brief,
    pub item: &'a DynamicsBrief,
    pub facts: &'a SceneFacts,
}

impl MotionInput<'_> {
    /// "Slowly", "gently": the notes ask for a calmer motion.
    fn slow(&self) -> bool {
        words(&self.item.notes)
            .iter()
            .any(|w| w.starts_with("slow") || w == "gently")
    }

    /// The subject as measured, any number of copies.
    fn thing(&self) -> Option<&Thing> {
        self.facts.thing(&self.item.subject)
    }

    /// The subject when it is one entity that can be set moving.
    fn movable(&self) -> Option<&Thing> {
        self.thing()
            .filter(|t| t.count == 1 && t.body != BodyKind::Fixed)
    }

    /// The subject when it is tagged copies that can be set moving.
    fn movable_copies(&self) -> Option<&Thing> {
        self.thing()
            .filter(|t| t.count > 1 && t.body != BodyKind::Fixed)
    }

    fn handle(&self) -> String {
        format!("find(\"{}\")", self.item.subject)
    }

    fn first_copy(&self) -> String {
        format!("find_all(\"{}\")[0]", self.item.subject)
    }

    /// The same statement for every tagged copy.
    fn for_each_copy(&self, statement: &str) -> String {
        format!(
            "for e in find_all(\"{}\") {{\n    {statement}\n}}",
            self.item.subject
        )
    }

    /// A name for a new entity standing in for the subject.
    fn derived_name(&self, suffix: &str) -> String {
        format!(
            "{}_{suffix}",
            self.item
                .subject
                .replace(|ch: char| !ch.is_ascii_alphanumeric(), "_")
        )
    }

    fn duration(&self) -> f32 {
        self.brief.duration.max(1.0) as f32
    }
}

/// What a recipe writes: statements, then expectations.
type Written = (Vec<String>, Vec<String>);

/// One entry of the motion table: the dynamics kinds it serves and how it
/// writes them; `write` returns None when the scene gives it nothing to
/// work with (no subject, a fixed one).
pub struct MotionRecipe {
    pub name: &'static str,
    pub kinds: &'static [&'static str],
    pub write: fn(&MotionInput) -> Option<Written>,
}

/// Every dynamics kind compact mode can set going without a model call, one
/// entry each. A kind missing here ("swings") is left to the model.
pub const MOTION_RECIPES: &[MotionRecipe] = &[
    MotionRecipe {
        name: "roll",
        kinds: &["rolls"],
        write: roll,
    },
    MotionRecipe {
        name: "slide",
        kinds: &["slides"],
        write: slide,
    },
    MotionRecipe {
        name: "spin",
        kinds: &["spins"],
        write: spin,
    },
    MotionRecipe {
        name: "drop",
        kinds: &["falls", "topples", "bounces"],
        write: drop_from_above,
    },
    MotionRecipe {
        name: "keyframed float",
        kinds: &["drifts", "rises"],
        write: float,
    },
    MotionRecipe {
        name: "oscillate",
        kinds: &["pulsates", "glows", "flickers"],
        write: oscillate,
    },
    MotionRecipe {
        name: "pour grains",
        kinds: &["flows", "piles"],
        write: pour_grains,
    },
    MotionRecipe {
        name: "pour liquid",
        kinds: &["pours", "fills", "spills", "splashes"],
        write: pour_liquid,
    },
    MotionRecipe {
        name: "day passes",
        kinds: &["time_of_day"],
        write: day_passes,
    },
    MotionRecipe {
        name: "wind",
        kinds: &["sways", "wind"],
        write: steady_wind,
    },
    MotionRecipe {
        name: "cloth in wind",
        kinds: &["flutters", "waves"],
        write: cloth_in_wind,
    },
    MotionRecipe {
        name: "soft body drop",
        kinds: &["wobbles", "squashes"],
        write: soft_drop,
    },
    MotionRecipe {
        name: "emit particles",
        kinds: &["rain", "snow", "falling_leaves", "embers", "steam", "fire"],
        write: emit_particles,
    },
];

/// Sliding copies: each pushed along x.
fn push_copies(m: &MotionInput) -> Option<Written> {
    m.movable_copies()?;
    let speed = if m.slow() { 0.8 } else { 2.0 };
    Some((
        vec![m.for_each_copy(&format!("set(e, #{{ velocity: [{}, 0, 0] }});", num(speed)))],
        vec![format!(
            "expect(\"moves\", {}, #{{ min_distance: 0.3 }});",
            m.first_copy()
        )],
    ))
}

fn roll(m: &MotionInput) -> Option<Written> {
    if let Some(w) = push_copies(m) {
        return Some(w);
    }
    let size = m.movable()?.size();
    // Roll across the long axis, turning about it without slipping.
    let along_z = size.x >= size.z;
    let radius = (size.y * 0.5).max(0.01);
    let speed = if m.slow() { 0.5 } else { 1.2 };
    let spin = (speed / radius).to_degrees();
    let (velocity, angular) = if along_z {
        (Vec3::new(0.0, 0.0, speed), Vec3::new(spin, 0.0, 0.0))
    } else {
        (Vec3::new(speed, 0.0, 0.0), Vec3::new(0.0, 0.0, -spin))
    };
    let h = m.handle();
    Some((
        vec![format!(
            "set({h}, #{{ velocity: {}, angular_velocity: {} }});",
            vec3(velocity),
            vec3(angular)
        )],
        vec![
            format!(
                "expect(\"moves\", {h}, #{{ min_distance: {} }});",
                num((speed * 0.5).max(0.2))
            ),
            format!("expect(\"rotates\", {h});"),
        ],
    ))
}

fn slide(m: &MotionInput) -> Option<Written> {
    if let Some(w) = push_copies(m) {
        return Some(w);
    }
    m.movable()?;
    let speed = if m.slow() { 0.8 } else { 2.0 };
    let h = m.handle();
    Some((
        vec![format!(
            "set({h}, #{{ velocity: [{}, 0, 0] }});",
            num(speed)
        )],
        vec![format!("expect(\"moves\", {h}, #{{ min_distance: 0.3 }});")],
    ))
}

fn spin(m: &MotionInput) -> Option<Written> {
    const SPIN: &str = "angular_velocity: [0, 360, 0]";
    if m.movable_copies().is_some() {
        return Some((
            vec![m.for_each_copy(&format!("set(e, #{{ {SPIN} }});"))],
            vec![format!("expect(\"rotates\", {});", m.first_copy())],
        ));
    }
    m.movable()?;
    let h = m.handle();
    Some((
        vec![format!("set({h}, #{{ {SPIN} }});")],
        vec![format!("expect(\"rotates\", {h});")],
    ))
}

/// Lifted above where it stands, to fall. Lifting a body that physics does
/// not move would leave it in the air: only a dynamic one falls.
fn drop_from_above(m: &MotionInput) -> Option<Written> {
    if m.movable_copies()
        .is_some_and(|t| t.body == BodyKind::Dynamic)
    {
        return Some((
            vec![m.for_each_copy(
                "let p = e.position;\n    set(e, #{ position: [p.x, p.y + 1.5, p.z] });",
            )],
            vec![format!(
                "expect(\"moves\", {}, #{{ min_distance: 0.5 }});",
                m.first_copy()
            )],
        ));
    }
    let t = m.movable().filter(|t| t.body == BodyKind::Dynamic)?;
    let c = (t.min + t.max) * 0.5;
    let lift = 1.5_f32.max(t.size().y * 2.0);
    let h = m.handle();
    Some((
        vec![format!(
            "set({h}, #{{ position: {} }});",
            vec3(Vec3::new(c.x, c.y + lift, c.z))
        )],
        // Not "rests": a cup or a bottle may roll on after landing.
        vec![format!("expect(\"moves\", {h}, #{{ min_distance: 0.5 }});")],
    ))
}

/// Keyframed, so it floats free of gravity (underwater, in air).
fn float(m: &MotionInput) -> Option<Written> {
    let t = m.movable()?;
    let c = (t.min + t.max) * 0.5;
    let start = Vec3::new(c.x, c.y + 0.8, c.z);
    let travel = if m.item.kind == "rises" {
        Vec3::new(0.2, 1.5, 0.0)
    } else {
        Vec3::new(1.2, 0.3, 0.4)
    };
    let h = m.handle();
    let mut statements = Vec::new();
    if t.body == BodyKind::Dynamic {
        statements.push(format!("set({h}, #{{ body: \"kinematic\" }});"));
    }
    statements.push(format!(
        "animate({h}, \"position\", [[0, {}], [{}, {}]], #{{ ease: \"ease_in_out\" }});",
        vec3(start),
        num(m.duration()),
        vec3(start + travel)
    ));
    Some((
        statements,
        vec![format!("expect(\"moves\", {h}, #{{ min_distance: 0.5 }});")],
    ))
}

fn oscillate(m: &MotionInput) -> Option<Written> {
    m.movable()?;
    let (property, amplitude, hz) = match m.item.kind.as_str() {
        "pulsates" => ("scale", "[0.12, 0.18, 0.12]", 0.8),
        "flickers" => ("emissive_strength", "0.6", 6.0),
        _ => ("emissive_strength", "0.5", 0.5),
    };
    Some((
        vec![format!(
            "oscillate({}, \"{property}\", {amplitude}, {hz});",
            m.handle()
        )],
        vec![],
    ))
}

/// Grains (with friction) pouring from the subject's top, a dune's crest:
/// they slide where it is steep and pile up.
fn pour_grains(m: &MotionInput) -> Option<Written> {
    // Water that flows is the liquid a spill or pour already makes, not
    // sand beside it (Code4D-08 got both).
    let liquid_too = m
        .brief
        .dynamics
        .iter()
        .any(|d| matches!(d.kind.as_str(), "pours" | "spills" | "fills" | "splashes"));
    if m.item.kind == "flows" && liquid_too {
        return None;
    }
    let (at, span) = match m.thing() {
        Some(t) => (
            Vec3::new(
                (t.min.x + t.max.x) * 0.5,
                t.max.y + 0.1,
                (t.min.z + t.max.z) * 0.5,
            ),
            (t.max.z - t.min.z).clamp(0.1, 10.0) * 0.3,
        ),
        None => (Vec3::new(0.0, 1.0, 0.0), 0.1),
    };
    let r = (span * 0.01).clamp(0.003, 0.05);
    Some((
        vec![
            format!(
                "let flows = grains(\"sand\", #{{ name: \"flows\", particle_radius: {}, max: 4000 }});",
                fine_num(r)
            ),
            format!(
                "pour(flows, #{{ kind: \"spill\", position: {}, velocity: [0.5, 0, 0], width: {} }});",
                vec3(at),
                num(span)
            ),
        ],
        vec!["expect(\"pours\", flows);".into()],
    ))
}

/// Liquid poured into (or spilling from) the subject.
fn pour_liquid(m: &MotionInput) -> Option<Written> {
    let thing = m.thing();
    let (at, width) = match thing {
        Some(t) => (
            Vec3::new(
                (t.min.x + t.max.x) * 0.5,
                t.max.y + 0.2,
                (t.min.z + t.max.z) * 0.5,
            ),
            ((t.max.x - t.min.x) * 0.1).clamp(0.004, 0.1),
        ),
        None => (Vec3::new(0.0, 1.0, 0.0), 0.01),
    };
    let r = (width * 0.5).clamp(0.003, 0.03);
    let kind = if m.item.kind == "spills" {
        "spill"
    } else {
        "pour"
    };
    let mut expectations = vec!["expect(\"pours\", liquid_body);".to_string()];
    if m.item.kind == "fills" && thing.is_some() {
        expectations.push(format!("expect(\"fills\", {});", m.handle()));
    }
    Some((
        vec![
            format!(
                "let liquid_body = liquid(\"water\", #{{ name: \"liquid\", particle_radius: {}, max: 3000 }});",
                fine_num(r)
            ),
            format!(
                "pour(liquid_body, #{{ kind: \"{kind}\", position: {}, velocity: [0, -0.5, 0], width: {}, stop: {} }});",
                vec3(at),
                num(width),
                num((m.brief.duration.max(2.0) * 0.6) as f32)
            ),
        ],
        expectations,
    ))
}

/// From before sunrise to after sunset unless the words say where the day
/// starts or ends.
fn day_passes(m: &MotionInput) -> Option<Written> {
    let w = words(&format!("{} {}", m.item.notes, m.brief.prompt));
    let start = if has_any(&w, &["noon", "midday"]) && !has_any(&w, &["dawn", "sunrise"]) {
        12.0
    } else {
        5.5
    };
    let end = if has_any(&w, &["night", "dusk", "evening", "moon"]) {
        21.5
    } else {
        18.5
    };
    // The whole day in one call: sun path and colour, sky, mist and
    // exposure follow the hour (the environment named the sun "sun").
    Some((
        vec![format!(
            "daylight::track([[0, {}], [{}, {}]], #{{ sun: \"sun\" }});",
            num(start),
            num(m.duration()),
            num(end)
        )],
        vec![],
    ))
}

fn steady_wind(_: &MotionInput) -> Option<Written> {
    Some((
        vec!["wind(#{ direction: [1, 0, 0.3], speed: 4 });".into()],
        vec![],
    ))
}

/// A real cloth in the stand-in's place, its left edge held, in a gusty
/// wind; the stand-in is hidden.
fn cloth_in_wind(m: &MotionInput) -> Option<Written> {
    let t = m.thing()?;
    let size = t.size();
    let c = (t.min + t.max) * 0.5;
    let width = size.x.max(size.z).clamp(0.3, 6.0);
    let height = size.y.clamp(0.2, 4.0);
    let name = m.derived_name("cloth");
    Some((
        vec![
            format!("set({}, #{{ visible: false }});", m.handle()),
            format!(
                "let {name} = cloth([{}, {}], #{{ name: \"{name}\", position: {}, pin: \"left\", material: \"fabric\", color: \"#3060c0\", density: 0.15 }});",
                num(width),
                num(height),
                vec3(c)
            ),
            "wind(#{ direction: [1, 0, 0.3], speed: 6, gust: 0.5, turbulence: 0.3 });".into(),
        ],
        vec![format!("expect(\"flutters\", \"{name}\");")],
    ))
}

/// A soft body of the stand-in's size, dropped from a little above it so it
/// lands and wobbles.
fn soft_drop(m: &MotionInput) -> Option<Written> {
    let t = m.thing()?;
    let size = t.size().clamp(Vec3::splat(0.05), Vec3::splat(4.0));
    let c = (t.min + t.max) * 0.5;
    let name = m.derived_name("soft");
    Some((
        vec![
            format!(
                "set({}, #{{ visible: false, body: \"none\" }});",
                m.handle()
            ),
            format!(
                "soft_body(\"box\", #{{ name: \"{name}\", size: {}, position: {}, color: \"#40c040\", opacity: 0.85, compliance: 0.001 }});",
                vec3(size),
                vec3(Vec3::new(c.x, c.y + size.y.max(0.3), c.z))
            ),
        ],
        vec![format!("expect(\"wobbles\", \"{name}\");")],
    ))
}

/// A particle preset over the subject (or high over the middle for what
/// falls, at the ground for what rises).
fn emit_particles(m: &MotionInput) -> Option<Written> {
    let kind = m.item.kind.as_str();
    let preset = if kind == "falling_leaves" {
        "leaves"
    } else {
        kind
    };
    let rises = matches!(kind, "embers" | "steam" | "fire");
    if kind == "falling_leaves" {
        return Some(leaves_over_foliage(m));
    }
    if matches!(kind, "rain" | "snow") {
        // Weather covers the whole view, not a patch over the middle.
        let centre = m.facts.camera.map_or(Vec3::ZERO, |(_, target)| target);
        // A storm or a downpour must read as one: denser, thicker streaks.
        let said = words(&format!(
            "{} {} {}",
            m.brief.prompt, m.brief.environment.weather, m.item.notes
        ));
        let heavy = has_any(
            &said,
            &[
                "heavy",
                "storm",
                "rainstorm",
                "downpour",
                "torrential",
                "pouring",
                "blizzard",
            ],
        );
        let (rate, max) = match (kind, heavy) {
            ("rain", false) => (3000, 12000),
            ("rain", true) => (8000, 20000),
            (_, false) => (500, 12000),
            (_, true) => (1500, 20000),
        };
        let look = if heavy && kind == "rain" {
            ", particle_size: [0.02, 0.02]"
        } else {
            ""
        };
        return Some((
            vec![format!(
                "emitter(\"{kind}\", #{{ name: \"{kind}\", position: {}, size: [30, 0.5, 30], rate: {rate}, max: {max}{look} }});",
                vec3(Vec3::new(centre.x, (centre.y + 6.0).max(8.0), centre.z))
            )],
            vec![format!("expect(\"particles_fall\", \"{kind}\");")],
        ));
    }
    let at = match m.thing() {
        // A burning tree burns from its trunk, not 10 m up at its crown;
        // steam rises from a cup's rim.
        Some(t) if matches!(kind, "fire" | "embers") && t.max.y - t.min.y > 2.0 => Vec3::new(
            (t.min.x + t.max.x) * 0.5,
            t.min.y + (t.max.y - t.min.y) * 0.2,
            (t.min.z + t.max.z) * 0.5,
        ),
        Some(t) => Vec3::new(
            (t.min.x + t.max.x) * 0.5,
            t.max.y,
            (t.min.z + t.max.z) * 0.5,
        ),
        None if rises => Vec3::ZERO,
        None => Vec3::new(0.0, 6.0, 0.0),
    };
    Some((
        vec![format!(
            "emitter(\"{preset}\", #{{ name: \"{kind}\", position: {} }});",
            vec3(at)
        )],
        vec![format!(
            "expect(\"{}\", \"{kind}\");",
            if rises {
                "particles_rise"
            } else {
                "particles_fall"
            }
        )],
    ))
}

/// Leaves falling through the camera's view a few metres in front of it,
/// where they are big enough to read as leaves (9 cm leaves 10 m away are
/// specks); without a camera, over the whole of what they fall from (the
/// subject, else everything standing in the scene), as many as the area
/// needs for the fall to fill the view rather than fleck it.
fn leaves_over_foliage(m: &MotionInput) -> Written {
    let expect = vec!["expect(\"particles_fall\", \"falling_leaves\");".to_string()];
    if let Some((eye, target)) = m.facts.camera {
        let dir = (target - eye).normalize_or_zero();
        // Near enough, and big enough (maple-sized), to read as leaves
        // at 640x360: 9 cm leaves 5 m off were specks of a few pixels.
        let near = eye + dir * eye.distance(target).clamp(1.0, 8.0) * 0.45;
        let at = Vec3::new(near.x, (near.y + 2.5).max(2.5), near.z);
        return (
            vec![format!(
                "emitter(\"leaves\", #{{ name: \"falling_leaves\", position: {}, size: [6, 1, 6], rate: 60, particle_size: [0.1, 0.15] }});",
                vec3(at)
            )],
            expect,
        );
    }
    let span = m.thing().map(|t| (t.min, t.max)).or_else(|| {
        m.facts
            .things
            .iter()
            .filter(|t| !t.ground)
            .fold(None, |acc: Option<(Vec3, Vec3)>, t| {
                Some(acc.map_or((t.min, t.max), |(lo, hi)| (lo.min(t.min), hi.max(t.max))))
            })
    });
    let (at, size) = match span {
        Some((lo, hi)) => {
            let size = (hi - lo).clamp(Vec3::splat(2.0), Vec3::splat(30.0));
            let c = (lo + hi) * 0.5;
            (Vec3::new(c.x, hi.y.max(3.0), c.z), size)
        }
        None => (Vec3::new(0.0, 6.0, 0.0), Vec3::new(6.0, 1.0, 6.0)),
    };
    let rate = (size.x * size.z * 0.25).clamp(40.0, 150.0);
    (
        vec![format!(
            "emitter(\"leaves\", #{{ name: \"falling_leaves\", position: {}, size: [{}, 1, {}], rate: {} }});",
            vec3(at),
            num(size.x),
            num(size.z),
            num(rate.round())
        )],
        expect,
    )
}

/// The recipe that serves a dynamics kind, if any does.
pub fn motion_recipe(kind: &str) -> Option<&'static MotionRecipe> {
    MOTION_RECIPES.iter().find(|r| r.kinds.contains(&kind))
}

/// Each dynamics item of the brief that a recipe can write, written.
pub fn motion_plans(brief: &Brief, facts: &SceneFacts) -> Vec<MotionPlan> {
    brief
        .dynamics
        .iter()
        .filter_map(|item| {
            let recipe = motion_recipe(&item.kind)?;
            let (statements, expectations) = (recipe.write)(&MotionInput { brief, item, facts })?;
            Some(MotionPlan {
                kind: item.kind.clone(),
                subject: item.subject.clone(),
                recipe: recipe.name.into(),
                statements,
                expectations,
            })
        })
        .collect()
}

/// A starting point for the dynamics the brief asks for; None when no
/// asked-for kind has a recipe that fits the scene.
pub fn dynamics_starter(brief: &Brief, facts: &SceneFacts) -> Option<String> {
    motions_script(&motion_plans(brief, facts))
}

/// The starter with only the motions that build: each is added to those
/// kept before it and kept when `builds` takes the whole, so one recipe
/// that does not fit (a cloth for roots that "flutter") no longer loses
/// the fire with it.
pub fn dynamics_starter_that_builds(
    brief: &Brief,
    facts: &SceneFacts,
    builds: &dyn Fn(&str) -> bool,
) -> Option<String> {
    let mut kept: Vec<MotionPlan> = Vec::new();
    for m in motion_plans(brief, facts) {
        kept.push(m);
        if !motions_script(&kept).is_some_and(|s| builds(&s)) {
            kept.pop();
        }
    }
    motions_script(&kept)
}

/// The plan the templates make for a whole scene whose object makers are
/// written: `measure` builds the makers, the environment and a candidate
/// layout (and camera and dynamics, when given) and returns the facts.
pub fn scene_plan(brief: &Brief, measure: &dyn Fn(&str) -> Option<SceneFacts>) -> ScenePlan {
    let environment = environment_plan(brief);
    let env = environment.script();
    let layout = layout_plan(brief, &|l: &str| measure(&format!("{env}\n{l}")));
    let placed = format!("{env}\n{}", layout_script(&layout));
    let facts = measure(&placed).unwrap_or_default();
    let camera = camera_plan(brief, &facts);
    let motions = motion_plans(brief, &facts);
    ScenePlan {
        environment,
        layout,
        camera,
        motions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brief::{CameraBrief, DynamicsBrief, EnvironmentBrief};

    fn bottle_brief() -> Brief {
        Brief {
            title: "rolling bottle".into(),
            prompt: "A brown glass bottle rolled slowly across the sunlit living room floor."
                .into(),
            setting: "indoor living room".into(),
            environment: EnvironmentBrief {
                ground: "wooden floor".into(),
                sky: "sunlit".into(),
                ..Default::default()
            },
            objects: vec![ObjectBrief {
                name: "bottle".into(),
                kind: "bottle".into(),
                count: 1,
                attributes: vec!["brown".into(), "glass".into()],
                role: "subject".into(),
                ..Default::default()
            }],
            dynamics: vec![DynamicsBrief {
                kind: "rolls".into(),
                subject: "bottle".into(),
                notes: "slowly".into(),
            }],
            camera: CameraBrief {
                shot: "medium".into(),
                target: "bottle".into(),
                motion: "static".into(),
            },
            duration: 6.0,
        }
    }

    #[test]
    fn a_catalog_object_takes_the_briefs_name_colour_material_and_pose() {
        let b = bottle_brief();
        let code = catalog_object(
            &b,
            &b.objects[0],
            "assets::bottle",
            "Options: lying (false)",
        );
        assert_eq!(
            code,
            "fn make_bottle(position) {\n    assets::bottle(position, #{ name: \"bottle\", color: \"brown\", material: \"glass\", lying: true })\n}"
        );
    }

    #[test]
    fn falling_leaves_fall_through_the_view_near_the_camera() {
        let mut b = bottle_brief();
        b.dynamics = vec![DynamicsBrief {
            kind: "falling_leaves".into(),
            ..Default::default()
        }];
        let scene = "plane(40, #{ name: \"ground\" });\ncamera(#{ position: [0, 2, 10], target: [0, 2, 0] });\n";
        let facts = SceneFacts::build(scene).unwrap();
        let d = dynamics_starter(&b, &facts).unwrap();
        // Under 4 m from the camera on its line of sight, 2.5 m above it,
        // and leaves big enough to see.
        assert!(d.contains("position: [0, 4.5, 6.4]"), "{d}");
        assert!(d.contains("particle_size: [0.1, 0.15]"), "{d}");
        SceneFacts::build(&format!("{scene}{d}\n")).expect("the leaves build");
    }

    /// Code4D-07's brief: fire on the tree and "fluttering" roots (ten
    /// tagged copies, no cloth to make of them). The fire is kept though
    /// the cloth recipe does not build.
    #[test]
    fn a_starter_keeps_the_motions_that_build() {
        let mut b = bottle_brief();
        b.objects = vec![
            ObjectBrief {
                name: "tree".into(),
                kind: "tree".into(),
                count: 1,
                ..Default::default()
            },
            ObjectBrief {
                name: "roots".into(),
                kind: "root".into(),
                count: 10,
                ..Default::default()
            },
        ];
        b.dynamics = ["fire", "flutters"]
            .map(|k| DynamicsBrief {
                kind: k.into(),
                subject: if k == "fire" { "tree" } else { "roots" }.into(),
                ..Default::default()
            })
            .to_vec();
        let scene = "plane(40, #{ name: \"ground\" });\n\
                     box([0.4, 4, 0.4], #{ name: \"tree\", position: [0, 2, 0] });\n\
                     for i in 0..10 { cylinder(0.05, 1, #{ tags: [\"roots\"], position: [i * 0.3, 0.05, 1], rotation: [0, 0, 90] }); }\n\
                     camera(#{ position: [0, 2, 10], target: [0, 2, 0] });\n";
        let facts = SceneFacts::build(scene).unwrap();
        let builds = |code: &str| SceneFacts::build(&format!("{scene}{code}\n")).is_ok();
        let all = dynamics_starter(&b, &facts).unwrap();
        let kept = dynamics_starter_that_builds(&b, &facts, &builds).unwrap();
        assert!(kept.contains("emitter(\"fire\""), "{kept}");
        // At the trunk, a fifth of the way up the 4 m tree.
        assert!(kept.contains("position: [0, 0.8, 0]"), "{kept}");
        assert!(builds(&kept), "{kept}");
        assert!(
            !builds(&all),
            "the whole starter should not build here:\n{all}"
        );
        assert!(!kept.contains("cloth("), "{kept}");
    }

    /// Code4D-09: a small rolling bottle was filmed from 2.5 m, a speck.
    #[test]
    fn a_small_rolling_subject_is_filmed_close() {
        let b = bottle_brief();
        let scene = "plane(40, #{ name: \"ground\" });\n\
                     cylinder(0.04, 0.1, #{ name: \"bottle\", position: [0, 0.04, 0], rotation: [0, 0, 90], body: \"dynamic\" });\n";
        let facts = SceneFacts::build(scene).unwrap();
        let plan = camera_plan(&b, &facts);
        let bottle = facts.thing("bottle").unwrap();
        let centre = (bottle.min + bottle.max) * 0.5;
        let d = Vec3::from(plan.position).distance(centre);
        assert!(
            (1.0..2.0).contains(&d),
            "camera {d:.2} m from a 10 cm bottle"
        );
    }

    #[test]
    fn a_heavy_rainstorm_rains_harder_than_a_shower() {
        let mut b = bottle_brief();
        b.dynamics = vec![DynamicsBrief {
            kind: "rain".into(),
            ..Default::default()
        }];
        let scene = "plane(40, #{ name: \"ground\" });\ncamera(#{ position: [0, 2, 10], target: [0, 2, 0] });\n";
        let facts = SceneFacts::build(scene).unwrap();
        b.prompt = "Light rain falls on a bottle.".into();
        let shower = dynamics_starter(&b, &facts).unwrap();
        b.prompt = "A bottle in a heavy rainstorm.".into();
        let storm = dynamics_starter(&b, &facts).unwrap();
        assert!(
            shower.contains("rate: 3000") && !shower.contains("particle_size"),
            "{shower}"
        );
        assert!(
            storm.contains("rate: 8000") && storm.contains("particle_size"),
            "{storm}"
        );
        SceneFacts::build(&format!("{scene}{storm}\n")).expect("the storm builds");
    }

    #[test]
    fn a_catalog_trees_colours_are_its_leaves() {
        let mut b = bottle_brief();
        let doc = "A tree, fixed. Options: name, height (4), leaf_color, sway (0.35)";
        let tree = ObjectBrief {
            name: "tall_trees".into(),
            kind: "tree".into(),
            count: 5,
            attributes: vec!["yellow".into(), "withered".into(), "brown spots".into()],
            ..Default::default()
        };
        let code = catalog_object(&b, &tree, "assets::tree", doc);
        assert!(
            code.contains("leaf_color: pick([\"yellow\", \"brown\"])") && !code.contains(" color:"),
            "{code}"
        );
        // An autumn scene turns uncoloured leaves.
        b.prompt = "an oak in autumn".into();
        let plain = ObjectBrief {
            attributes: vec!["tall".into()],
            ..tree
        };
        let code = catalog_object(&b, &plain, "assets::tree", doc);
        assert!(code.contains("leaf_color: pick([\"orange\""), "{code}");
    }

    #[test]
    fn a_catalog_object_takes_the_briefs_size_when_the_default_is_far_off() {
        let b = bottle_brief();
        let tree = ObjectBrief {
            name: "oak".into(),
            kind: "tree".into(),
            count: 1,
            size_m: Some(12.0),
            ..Default::default()
        };
        let doc = "A tree, fixed. Options: name, height (4), trunk_radius (0.15)";
        assert_eq!(default_of(doc, "height"), Some(4.0));
        let code = catalog_object(&b, &tree, "assets::tree", doc);
        assert!(code.contains("height: 12"), "{code}");
        let near = ObjectBrief {
            size_m: Some(5.0),
            ..tree.clone()
        };
        assert!(!catalog_object(&b, &near, "assets::tree", doc).contains("height"));
        // A planner's 1 m tree is its default size, not a sapling...
        let one = ObjectBrief {
            size_m: Some(1.0),
            ..tree.clone()
        };
        assert!(!catalog_object(&b, &one, "assets::tree", doc).contains("height"));
        // ...unless it says so.
        let sapling = ObjectBrief {
            attributes: vec!["young".into()],
            ..one
        };
        assert!(catalog_object(&b, &sapling, "assets::tree", doc).contains("height: 1"));
        // A pile's size is its width.
        let pile = ObjectBrief {
            name: "pile".into(),
            kind: "leaf_pile".into(),
            count: 1,
            size_m: Some(1.0),
            ..Default::default()
        };
        let pile_doc = "A low mound of fallen leaves. Options: radius (1.0), height (0.25), color";
        let code = catalog_object(&b, &pile, "nature::leaf_pile", pile_doc);
        assert!(
            code.contains("radius: 0.5") && !code.contains("height"),
            "{code}"
        );
    }

    #[test]
    fn the_templated_pieces_build_a_world_with_the_subject_in_view() {
        let b = bottle_brief();
        let env = environment(&b);
        assert!(env.contains("material: \"wood\""), "{env}");
        let object = catalog_object(&b, &b.objects[0], "assets::bottle", "lying");
        let script = format!(
            "{}{env}\n{object}\nlet bottle = make_bottle([0, 0, 0]);\n",
            super::super::code::PRELUDE
        );
        let facts = SceneFacts::build(&script).expect("the template builds");
        let cam = camera(&b, &facts);
        assert!(cam.contains("find(\"bottle\")"), "{cam}");
        let with_camera = format!("{script}{cam}\n");
        let facts = SceneFacts::build(&with_camera).expect("with the camera too");
        assert!(facts.camera_set);
    }

    #[test]
    fn the_environment_follows_the_briefs_words() {
        let mut b = bottle_brief();
        b.setting = "underwater reef".into();
        let env = environment(&b);
        assert!(env.contains("underwater") && env.contains("fog("), "{env}");
        b.setting = "forest".into();
        b.prompt = "Tall trees sway in a rainstorm.".into();
        b.environment.ground = "forest floor".into();
        b.environment.weather = "heavy rain, strong wind".into();
        b.environment.sky = "dark storm clouds".into();
        let env = environment(&b);
        assert!(
            env.contains("overcast")
                && env.contains("speed: 8")
                && env.contains("material: \"grass\""),
            "{env}"
        );
        // Outdoors the ground reaches the horizon; a room's floor does not.
        assert!(env.starts_with("plane(300,"), "{env}");
        let mut kitchen = bottle_brief();
        kitchen.setting = "kitchen".into();
        let indoors = environment(&kitchen);
        assert!(indoors.starts_with("plane(40,"), "{indoors}");
        // A room is walls around the layout, open to the camera.
        assert!(
            indoors.contains("assets::room(") && indoors.contains("front: false"),
            "{indoors}"
        );
        let mut hilltop = bottle_brief();
        hilltop.setting = "nature".into();
        hilltop.prompt = "A blue flag flutters on a hilltop.".into();
        let hill = environment(&hilltop);
        assert!(
            hill.contains("nature::hill(") && !hill.contains("plane("),
            "{hill}"
        );
        // What grows there follows the words: a reef on the seabed, wheat
        // on a farm, grass in a meadow, nothing on a bare tabletop.
        let mut reef = bottle_brief();
        reef.setting = "underwater reef".into();
        let reef = environment(&reef);
        assert!(
            reef.contains("nature::coral(") && reef.contains("nature::seaweed("),
            "{reef}"
        );
        let mut farm = bottle_brief();
        farm.setting = "farm".into();
        farm.prompt = "A scarecrow stands in a wheat field as gusty wind blows.".into();
        let farm = environment(&farm);
        assert!(
            farm.contains("nature::wheat(") && farm.contains("gust: 0.6"),
            "{farm}"
        );
        let mut meadow = bottle_brief();
        meadow.setting = "meadow".into();
        meadow.prompt = "A ball rolls across a sunny meadow.".into();
        let meadow = environment(&meadow);
        assert!(meadow.contains("nature::grass("), "{meadow}");
        // Rivers, valleys and mountain ranges are shaped terrain around a
        // flat middle where the layout stands.
        for (prompt, shape) in [
            ("A fox drinks at a river in the forest.", "riverbank"),
            ("Mist drifts through a deep valley at dawn.", "valley"),
            ("A lake below snowy mountains.", "lake"),
            ("Snowy mountains at dawn.", "mountains"),
            ("Waves roll onto a sandy beach.", "coast"),
        ] {
            let mut b = bottle_brief();
            b.setting = "nature".into();
            b.prompt = prompt.into();
            let env = environment(&b);
            assert!(
                env.contains(&format!("shape: \"{shape}\"")) && env.contains("flat_center"),
                "{prompt}: {env}"
            );
            SceneFacts::build(&format!("{}{env}", super::super::code::PRELUDE))
                .unwrap_or_else(|e| panic!("{prompt}: {}", e.message));
        }
        let bare = environment(&bottle_brief());
        assert!(
            !bare.contains("nature::grass(") && !bare.contains("gust"),
            "{bare}"
        );
        for script in [env, bare, reef, farm, meadow] {
            SceneFacts::build(&format!("{}{script}", super::super::code::PRELUDE))
                .unwrap_or_else(|e| panic!("every environment builds: {}\n{script}", e.message));
        }
        // The hill's top is the ground at the origin, its slopes fall 8 m.
        let facts = SceneFacts::build(&format!("{}{hill}", super::super::code::PRELUDE)).unwrap();
        let ground = facts.thing("ground").expect("a ground");
        assert!(
            ground.max.y.abs() < 0.3 && ground.min.y < -4.0,
            "{ground:?}"
        );
    }

    #[test]
    fn the_layout_stands_things_on_their_support_and_scatters_copies() {
        let mut b = bottle_brief();
        b.objects = vec![
            ObjectBrief {
                name: "cup".into(),
                kind: "cup".into(),
                count: 1,
                placement: "on the table".into(),
                role: "subject".into(),
                ..Default::default()
            },
            ObjectBrief {
                name: "table".into(),
                kind: "table".into(),
                count: 1,
                placement: "in the middle of the room".into(),
                role: "support".into(),
                ..Default::default()
            },
            ObjectBrief {
                name: "rock".into(),
                kind: "rock".into(),
                count: 4,
                size_m: Some(0.4),
                role: "background".into(),
                ..Default::default()
            },
        ];
        let makers = "import \"assets\" as assets;\nimport \"layout\" as layout;\n\
            plane(20, #{ name: \"ground\" });\n\
            fn make_cup(position) { assets::cup(position, #{ name: \"cup\" }) }\n\
            fn make_table(position) { assets::table(position, #{ name: \"table\" }) }\n\
            fn make_rock(position) { assets::rock(position, #{ tags: [\"rock\"] }) }\n";
        let measure = |layout: &str| SceneFacts::build(&format!("{makers}{layout}\n")).ok();
        let code = layout(&b, &measure);
        let table_line = code.find("make_table").unwrap();
        assert!(table_line < code.find("make_cup").unwrap(), "{code}");
        let facts = measure(&code).expect("the layout builds");
        let (cup, table) = (facts.thing("cup").unwrap(), facts.thing("table").unwrap());
        // Standing on the top, over the table.
        let centre = (cup.min + cup.max) * 0.5;
        assert!(
            (cup.min.y - table.max.y).abs() < 0.01,
            "{code}\n{cup:?}\n{table:?}"
        );
        assert!(centre.x > table.min.x && centre.x < table.max.x, "{code}");
        assert_eq!(facts.thing("rock").unwrap().count, 4, "{code}");
        // "A tall tree in the forest" stands on the ground, not on the
        // forest's crowns.
        let tree_in_forest = Brief {
            objects: vec![
                ObjectBrief {
                    name: "forest".into(),
                    kind: "forest".into(),
                    count: 1,
                    ..Default::default()
                },
                ObjectBrief {
                    name: "tall_tree".into(),
                    kind: "tree".into(),
                    count: 1,
                    placement: "in the forest".into(),
                    ..Default::default()
                },
            ],
            ..b.clone()
        };
        assert!(support_of(&tree_in_forest, &tree_in_forest.objects[1]).is_none());
    }

    #[test]
    fn dynamics_starters_cover_rolling_and_particles() {
        let b = bottle_brief();
        let object = catalog_object(&b, &b.objects[0], "assets::bottle", "lying");
        let script = format!(
            "{}{}\n{object}\nlet bottle = make_bottle([0, 0, 0]);\n",
            super::super::code::PRELUDE,
            environment(&b)
        );
        let facts = SceneFacts::build(&script).unwrap();
        let d = dynamics_starter(&b, &facts).expect("rolling has a starter");
        // Lying along x, it rolls along z, turning about x.
        assert!(d.contains("velocity: [0, 0, 0.5]"), "{d}");
        assert!(d.contains("expect(\"rotates\", find(\"bottle\"))"), "{d}");
        SceneFacts::build(&format!("{script}{d}\n")).expect("the starter builds");
        let mut rain = b.clone();
        rain.dynamics = vec![crate::brief::DynamicsBrief {
            kind: "rain".into(),
            ..Default::default()
        }];
        let d = dynamics_starter(&rain, &facts).unwrap();
        assert!(
            d.contains("emitter(\"rain\"") && d.contains("particles_fall"),
            "{d}"
        );
        SceneFacts::build(&format!("{script}{d}\n")).expect("the rain starter builds");
        rain.dynamics[0].kind = "time_of_day".into();
        let d = dynamics_starter(&rain, &facts).unwrap();
        assert!(d.starts_with("daylight::track([[0, 5.5]"), "{d}");
        let day = SceneFacts::build(&format!("{script}{d}\n")).expect("the day's starter builds");
        // It drives the environment's sun rather than adding a second.
        assert_eq!(day.lights, 1, "one sun");
        for kind in ["drifts", "rises", "pulsates", "glows", "flows"] {
            rain.dynamics[0].kind = kind.into();
            rain.dynamics[0].subject = "bottle".into();
            let d = dynamics_starter(&rain, &facts).unwrap();
            SceneFacts::build(&format!("{script}{d}\n"))
                .unwrap_or_else(|e| panic!("{kind}: {e:?}\n{d}"));
        }
        rain.dynamics[0].kind = "swings".into();
        assert!(dynamics_starter(&rain, &facts).is_none());
        // Copies under a tag spin one by one.
        let copies = "for i in 0..3 { box(0.1, #{ tags: [\"coin\"], position: [i, 0.05, 0] }); }\n";
        let facts = SceneFacts::build(copies).unwrap();
        rain.dynamics = vec![crate::brief::DynamicsBrief {
            kind: "spins".into(),
            subject: "coin".into(),
            ..Default::default()
        }];
        let d = dynamics_starter(&rain, &facts).unwrap();
        assert!(d.contains("for e in find_all(\"coin\")"), "{d}");
        SceneFacts::build(&format!("{copies}{d}\n")).expect("the copies' starter builds");
    }

    #[test]
    fn each_dynamics_kind_has_one_recipe_or_is_knowingly_left_to_the_model() {
        let mut seen: Vec<&str> = Vec::new();
        for r in MOTION_RECIPES {
            for k in r.kinds {
                assert!(
                    crate::brief::DYNAMICS_KINDS.contains(k),
                    "{}: '{k}' is not a brief kind",
                    r.name
                );
                assert!(!seen.contains(k), "'{k}' has two recipes");
                seen.push(k);
            }
        }
        let without: Vec<&str> = crate::brief::DYNAMICS_KINDS
            .iter()
            .copied()
            .filter(|k| !seen.contains(k))
            .collect();
        // A new kind must get a recipe or be added here on purpose.
        assert_eq!(without, ["swings", "static", "drapes", "scatters"]);
    }

    #[test]
    fn the_motion_plan_names_its_recipe_and_keeps_expectations_apart() {
        let b = bottle_brief();
        let object = catalog_object(&b, &b.objects[0], "assets::bottle", "lying");
        let script = format!(
            "{}{}\n{object}\nlet bottle = make_bottle([0, 0, 0]);\n",
            super::super::code::PRELUDE,
            environment(&b)
        );
        let facts = SceneFacts::build(&script).unwrap();
        let plans = motion_plans(&b, &facts);
        assert_eq!(plans.len(), 1);
        assert_eq!(plans[0].recipe, "roll");
        assert!(plans[0].statements[0].starts_with("set(find(\"bottle\")"));
        assert!(
            plans[0]
                .expectations
                .iter()
                .all(|e| e.starts_with("expect("))
        );
        // The whole scene's plan: what compact mode would write for it.
        let makers = format!("{}{object}\n", super::super::code::PRELUDE);
        let plan = scene_plan(&b, &|tail: &str| {
            SceneFacts::build(&format!("{makers}{tail}\n")).ok()
        });
        assert_eq!(plan.layout.len(), 1);
        assert_eq!(plan.motions, plans);
        assert!(matches!(plan.camera.aim, CameraAim::Follow { ref name } if name == "bottle"));
    }

    #[test]
    fn a_stand_in_builds_the_kinds_shape_named_and_standing_on_position() {
        for (kind, size) in [("ball", 0.2), ("vase", 0.4), ("crate", 0.5), ("robot", 1.0)] {
            let o = ObjectBrief {
                name: "thing".into(),
                kind: kind.into(),
                count: 1,
                size_m: Some(size),
                attributes: vec!["bright red".into(), "plastic".into()],
                ..Default::default()
            };
            let code = stand_in(&o);
            let facts = SceneFacts::build(&format!("{code}\nmake_thing([1, 0.5, 0]);\n"))
                .unwrap_or_else(|e| panic!("{kind}: {e:?}\n{code}"));
            let t = facts.thing("thing").unwrap();
            assert!((t.min.y - 0.5).abs() < 0.01, "{kind}: {t:?}");
            assert!((t.size().y - size as f32).abs() < 0.01, "{kind}: {t:?}");
            assert!(code.contains("color: \"red\"") && code.contains("material: \"plastic\""));
        }
    }

    #[test]
    fn a_forest_is_catalog_trees_in_one_named_group_and_the_camera_frames_it() {
        let mut b = bottle_brief();
        let forest = ObjectBrief {
            name: "woods".into(),
            kind: "forest".into(),
            count: 1,
            attributes: vec!["autumn".into(), "dense".into()],
            role: "subject".into(),
            ..Default::default()
        };
        assert!(forest_object(&b, &b.objects[0]).is_none());
        let many = ObjectBrief {
            count: 30,
            ..forest.clone()
        };
        assert!(forest_object(&b, &many).is_none());
        let code = forest_object(&b, &forest).unwrap();
        let prop = stand_in(&b.objects[0]);
        b.objects.push(forest);
        b.camera.target = "bottle".into();
        let script = format!(
            "{}{code}\n{prop}\nlet woods = make_woods([0, 0, 0]);\nlet bottle = make_bottle([0, 0, 0]);\n",
            super::super::code::PRELUDE
        );
        let facts = SceneFacts::build(&script).unwrap();
        let woods = facts.thing("woods").expect("the forest is one named thing");
        assert!(woods.size().x > 10.0 && woods.size().y > 3.0, "{woods:?}");
        // The bottle is a speck in the forest: the camera frames the scene.
        let cam = camera(&b, &facts);
        assert!(!cam.contains("find("), "{cam}");
        let far: f32 = cam
            .split("position: [")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .and_then(|x| x.trim().parse().ok())
            .unwrap();
        // From the forest's edge (half its span), not at the bottle.
        assert!(far > 5.0, "{cam}");
        // With falling leaves asked for, the camera comes within 10 m of
        // the scene's centre, so the leaves read as leaves.
        b.dynamics.push(crate::brief::DynamicsBrief {
            kind: "falling_leaves".into(),
            ..Default::default()
        });
        let near = camera(&b, &facts);
        let nums: Vec<f32> = near
            .split("position: [")
            .nth(1)
            .and_then(|r| r.split(']').next())
            .map(|r| r.split(',').filter_map(|x| x.trim().parse().ok()).collect())
            .unwrap();
        let centre = (woods.min + woods.max) * 0.5;
        let from = Vec3::new(nums[0], nums[1], nums[2]);
        assert!(from.distance(centre) <= 10.5, "{near}");
    }

    #[test]
    fn templated_objects_pass_the_object_check() {
        let dir = tempfile::tempdir().unwrap();
        let b = bottle_brief();
        let forest = ObjectBrief {
            name: "forest".into(),
            kind: "forest".into(),
            count: 1,
            attributes: vec!["dense".into(), "lush".into(), "green".into()],
            role: "subject".into(),
            ..Default::default()
        };
        let mut autumn_brief = b.clone();
        autumn_brief.prompt = "A breeze stirs through the autumn forest.".into();
        let autumn = ObjectBrief {
            attributes: vec!["autumn".into(), "dense".into()],
            ..forest.clone()
        };
        let canopy = ObjectBrief {
            name: "canopy".into(),
            kind: "canopy".into(),
            attributes: vec!["green".into(), "canopy".into(), "transition".into()],
            // What a small planner wrote for the Code4D time-lapse's canopy.
            size_m: Some(1.0),
            ..forest.clone()
        };
        let pile = ObjectBrief {
            name: "pile_of_leaves".into(),
            kind: "leaf_pile".into(),
            count: 1,
            ..Default::default()
        };
        let pile_doc = "A low mound of fallen leaves. Options: radius (1.0), height (0.25), color";
        // A planner's "5 m" dune is not held against the catalog's 24 m one.
        let dune = ObjectBrief {
            name: "dune".into(),
            kind: "dune".into(),
            count: 1,
            size_m: Some(5.0),
            attributes: vec!["white".into()],
            ..Default::default()
        };
        for (o, code) in [
            (
                &dune,
                catalog_object(
                    &b,
                    &dune,
                    "nature::dune",
                    "A sand dune. Options: height (3)",
                ),
            ),
            (
                &pile,
                catalog_object(&b, &pile, "nature::leaf_pile", pile_doc),
            ),
            (&canopy, forest_object(&b, &canopy).unwrap()),
            (&forest, forest_object(&b, &forest).unwrap()),
            (&autumn, forest_object(&autumn_brief, &autumn).unwrap()),
            (
                &b.objects[0],
                catalog_object(&b, &b.objects[0], "assets::bottle", "lying"),
            ),
            (&b.objects[0], stand_in(&b.objects[0])),
        ] {
            let render = crate::render::RenderOptions::new(160, 90)
                .with_quality(crate::render::Quality::Draft);
            let check =
                super::super::objects::check_object(o, &code, Some(&render), None, dir.path());
            assert!(check.passed(), "{}: {:?}\n{code}", o.name, check.problems);
        }
    }
}
