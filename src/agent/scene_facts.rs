//! What a partial script builds, measured rather than guessed: the named
//! things with their places and sizes. Later stages get these facts instead
//! of the code, which is shorter and what a small model needs to place a
//! camera or aim a push.

use glam::Vec3;

use crate::pipeline::{RunOptions, build};
use crate::script::ScriptError;
use crate::world::{BodyKind, Shape, World};

/// One named entity (with its children) or one tag's copies.
#[derive(Debug, Clone, PartialEq)]
pub struct Thing {
    pub name: String,
    /// Copies carrying the tag; 1 for a named entity.
    pub count: usize,
    pub min: Vec3,
    pub max: Vec3,
    pub body: BodyKind,
    pub ground: bool,
}

impl Thing {
    pub fn size(&self) -> Vec3 {
        self.max - self.min
    }
}

/// The facts of a built scene.
#[derive(Debug, Clone, Default)]
pub struct SceneFacts {
    pub things: Vec<Thing>,
    pub lights: usize,
    pub emitters: usize,
    pub triangles: usize,
    /// The box around everything built, named or not.
    pub bounds: Option<(Vec3, Vec3)>,
    pub camera_set: bool,
    /// Where a script-set camera stands and the point it looks at.
    pub camera: Option<(Vec3, Vec3)>,
}

/// World-space box of every entity on its own (children not included).
fn own_boxes(world: &World) -> Vec<Option<(Vec3, Vec3)>> {
    let transforms = world.world_transforms();
    world
        .entities
        .iter()
        .map(|e| {
            if matches!(e.shape, Shape::Group) {
                return None;
            }
            let t = &transforms[e.id.index()];
            let (lo, hi) = e.shape.local_bounds();
            let half = (hi - lo) * 0.5 * t.scale.abs();
            let m = glam::Mat3::from_quat(t.rotation);
            let centre = t.position + m * ((lo + hi) * 0.5 * t.scale);
            // The rotated box's extent along each world axis.
            let ext = m.x_axis.abs() * half.x + m.y_axis.abs() * half.y + m.z_axis.abs() * half.z;
            Some((centre - ext, centre + ext))
        })
        .collect()
}

/// How a thing's body reads in a prompt.
fn body_name(k: BodyKind) -> &'static str {
    match k {
        BodyKind::None => "decoration",
        BodyKind::Fixed => "fixed",
        BodyKind::Dynamic => "dynamic",
        BodyKind::Kinematic => "kinematic",
        _ => "auto",
    }
}

impl SceneFacts {
    /// Measures a built world.
    pub fn of(world: &World) -> SceneFacts {
        let boxes = own_boxes(world);
        // The box of an entity and all its descendants.
        let subtree = |root: usize| -> Option<(Vec3, Vec3)> {
            let mut acc: Option<(Vec3, Vec3)> = None;
            for (i, b) in boxes.iter().enumerate() {
                let Some(b) = b else { continue };
                let mut cur = Some(i);
                let mut inside = false;
                let mut hops = 0;
                while let Some(c) = cur {
                    if c == root {
                        inside = true;
                        break;
                    }
                    cur = world.entities[c].parent.map(|p| p.index());
                    hops += 1;
                    if hops > 64 {
                        break;
                    }
                }
                if inside {
                    acc = Some(match acc {
                        None => *b,
                        Some((lo, hi)) => (lo.min(b.0), hi.max(b.1)),
                    });
                }
            }
            acc
        };
        let mut things: Vec<Thing> = Vec::new();
        for e in &world.entities {
            let ground = matches!(e.shape, Shape::Plane { .. } | Shape::Heightfield { .. });
            if let Some(name) = &e.name
                && let Some((min, max)) = subtree(e.id.index())
            {
                things.push(Thing {
                    name: name.clone(),
                    count: 1,
                    min,
                    max,
                    body: e.body.kind,
                    ground,
                });
            } else if e.name.is_none()
                && e.parent.is_none()
                && let Some(tag) = e.tags.first()
                && let Some((min, max)) = subtree(e.id.index())
            {
                match things.iter_mut().find(|t| t.name == *tag && t.count > 0) {
                    Some(t) if t.body == e.body.kind => {
                        t.count += 1;
                        t.min = t.min.min(min);
                        t.max = t.max.max(max);
                    }
                    _ => things.push(Thing {
                        name: tag.clone(),
                        count: 1,
                        min,
                        max,
                        body: e.body.kind,
                        ground,
                    }),
                }
            }
        }
        let bounds = boxes
            .iter()
            .flatten()
            .fold(None, |acc: Option<(Vec3, Vec3)>, b| {
                Some(acc.map_or(*b, |(lo, hi)| (lo.min(b.0), hi.max(b.1))))
            });
        SceneFacts {
            things,
            bounds,
            lights: world.lights.len(),
            emitters: world.emitters.len(),
            triangles: crate::measure::Counts::of(world).triangles,
            camera_set: world.camera.explicit,
            camera: world.camera.explicit.then(|| {
                let target = match &world.camera.target {
                    crate::world::CameraTarget::Point { at } => *at,
                    crate::world::CameraTarget::Entity { id } => world
                        .world_transforms()
                        .get(id.index())
                        .map_or(Vec3::ZERO, |t| t.position),
                };
                (world.camera.position, target)
            }),
        }
    }

    /// Builds `source` (nothing is simulated) and measures it.
    pub fn build(source: &str) -> Result<SceneFacts, ScriptError> {
        let built = build(source, &RunOptions::default()).map_err(|f| f.error)?;
        Ok(built.session.with_world(SceneFacts::of))
    }

    pub fn thing(&self, name: &str) -> Option<&Thing> {
        self.things.iter().find(|t| t.name == name)
    }

    /// One line per thing, at most 24, for a prompt.
    pub fn summary(&self) -> String {
        if self.things.is_empty() {
            return "nothing yet".into();
        }
        let f = |v: Vec3| format!("[{:.2}, {:.2}, {:.2}]", v.x, v.y, v.z);
        let mut parts: Vec<String> = self
            .things
            .iter()
            .take(24)
            .map(|t| {
                let centre = (t.min + t.max) * 0.5;
                let s = t.size();
                let copies = if t.count > 1 {
                    format!(" x{} (tag)", t.count)
                } else {
                    String::new()
                };
                if t.ground {
                    format!(
                        "\"{}\"{copies}: ground, {:.1} x {:.1} m, top at y {:.2}",
                        t.name, s.x, s.z, t.max.y
                    )
                } else {
                    format!(
                        "\"{}\"{copies}: {}, centre {}, size {:.2} x {:.2} x {:.2} m, top at y {:.2}",
                        t.name,
                        body_name(t.body),
                        f(centre),
                        s.x,
                        s.y,
                        s.z,
                        t.max.y
                    )
                }
            })
            .collect();
        if self.things.len() > 24 {
            parts.push(format!("and {} more", self.things.len() - 24));
        }
        format!("{}\n", parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_measure_named_groups_with_their_children_and_count_tags() {
        let facts = SceneFacts::build(
            r#"
            plane([6, 6], #{ name: "floor" });
            let t = group(#{ name: "table", position: [1, 0, 0] });
            box([1, 0.1, 1], #{ parent: t, position: [0, 0.75, 0] });
            for i in 0..3 { sphere(0.1, #{ tags: ["ball"], position: [i, 0.1, 2] }); }
            "#,
        )
        .unwrap();
        let table = facts.thing("table").unwrap();
        assert!((table.max.y - 0.8).abs() < 1e-4, "{table:?}");
        assert!((table.size().x - 1.0).abs() < 1e-4);
        assert!(facts.thing("floor").unwrap().ground);
        let balls = facts.thing("ball").unwrap();
        assert_eq!(balls.count, 3);
        assert!((balls.size().x - 2.2).abs() < 1e-4);
        let s = facts.summary();
        assert!(
            s.contains("\"ball\" x3 (tag)") && s.contains("\"floor\": ground"),
            "{s}"
        );
    }

    #[test]
    fn meshes_off_their_origin_are_measured_where_they_are() {
        // The catalog's tree is a trunk and a canopy mesh high above the
        // group's origin: its box must start at the ground, not below it.
        let facts = SceneFacts::build(
            "import \"assets\" as assets;\nassets::tree([2, 0, 0], #{ name: \"tree\" });",
        )
        .unwrap();
        let tree = facts.thing("tree").unwrap();
        assert!(tree.min.y.abs() < 0.05, "{tree:?}");
        assert!(tree.max.y > 3.0 && tree.max.y < 6.0, "{tree:?}");
    }

    #[test]
    fn a_broken_script_is_its_error() {
        let e = SceneFacts::build("box([1, 1]);").unwrap_err();
        assert!(e.line.is_some());
    }
}
