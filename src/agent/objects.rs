//! The object-level critic: an object's maker run alone, measured (does it
//! build, is it named, how big, how many triangles, does it stand on its
//! position), rendered from the front and the side, and shown to the
//! vision-language model when one is configured.

use std::path::Path;

use serde::Serialize;

use super::code::{PRELUDE, maker_name};
use super::scene_facts::SceneFacts;
use crate::brief::ObjectBrief;
use crate::critic::Severity;
use crate::critic::vlm::{VisionCritic, VlmRequest};
use crate::pipeline::{RunOptions, render_at};
use crate::render::RenderOptions;
use crate::util::fsx::write_atomic;

/// Triangles one object may have before it is too heavy for the scene.
pub const OBJECT_TRIANGLE_BUDGET: usize = 60_000;

#[derive(Debug, Clone, Default, Serialize)]
pub struct ObjectCheck {
    pub object: String,
    /// What must change, addressed to the coder; empty when it passed.
    pub problems: Vec<String>,
    /// Width, height, depth in metres, when it built.
    pub size_m: Option<[f32; 3]>,
    pub triangles: usize,
    /// Files written beside the code.
    pub renders: Vec<String>,
    /// Why the renders or the review were skipped, if they were.
    pub notes: Vec<String>,
}

impl ObjectCheck {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The maker alone in an empty world, called once at the origin.
pub fn solo_script(o: &ObjectBrief, code: &str) -> String {
    format!(
        "{PRELUDE}world(#{{ duration: 1 }});\n{code}\nlet it = {}([0, 0, 0]);\n",
        maker_name(&o.name)
    )
}

/// Checks one object's code; renders go into `dir` as NAME_front.png and
/// NAME_side.png when `render` is given.
pub fn check_object(
    o: &ObjectBrief,
    code: &str,
    render: Option<&RenderOptions>,
    vlm: Option<&dyn VisionCritic>,
    dir: &Path,
) -> ObjectCheck {
    let mut check = ObjectCheck {
        object: o.name.clone(),
        ..Default::default()
    };
    let maker = maker_name(&o.name);
    if !code.contains(&format!("fn {maker}(")) {
        check.problems.push(format!(
            "define the function `fn {maker}(position)` that builds the {} and returns it",
            o.kind
        ));
        return check;
    }
    let source = solo_script(o, code);
    let facts = match SceneFacts::build(&source) {
        Ok(f) => f,
        Err(e) => {
            check.problems.push(super::error_text(&e));
            return check;
        }
    };
    check.triangles = facts.triangles;
    let Some(thing) = facts.thing(&o.name) else {
        check.problems.push(if o.count > 1 {
            format!(
                "tag what {maker} builds with \"{}\" (tags: [\"{}\"])",
                o.name, o.name
            )
        } else {
            format!(
                "name what {maker} builds \"{}\" (name: \"{}\")",
                o.name, o.name
            )
        });
        return check;
    };
    let size = thing.size();
    check.size_m = Some([size.x, size.y, size.z]);
    let largest = size.max_element() as f64;
    // A planner's size for a forest or canopy is noise: it is as big as
    // the scene.
    if let Some(want) = o
        .size_m
        .filter(|_| !crate::critic::coverage::is_landscape_kind(&o.kind))
        && (largest > want * 3.0 || largest < want / 3.0)
    {
        check.problems.push(format!(
            "it is {largest:.2} m across but should be about {want} m: scale it"
        ));
    }
    if let Some((_, range, _)) = crate::critic::plausible::kind_of(&o.kind)
        && !(range[0] as f64 * 0.5..=range[1] as f64 * 2.0).contains(&largest)
    {
        check.problems.push(format!(
            "a real {} is {} to {} m across; this one is {largest:.2} m",
            o.kind, range[0], range[1]
        ));
    }
    let tolerance = (0.05 * largest).max(0.02);
    if (thing.min.y as f64).abs() > tolerance {
        check.problems.push(format!(
            "its lowest point is at y = {:.2} for position [0, 0, 0]: build it standing on position",
            thing.min.y
        ));
    }
    if facts.triangles > OBJECT_TRIANGLE_BUDGET {
        check.problems.push(format!(
            "it has {} triangles, more than the {OBJECT_TRIANGLE_BUDGET} an object may have: use fewer segments",
            facts.triangles
        ));
    }
    let Some(render) = render else {
        check.notes.push("not rendered (rendering is off)".into());
        return check;
    };
    let centre = (thing.min + thing.max) * 0.5;
    let reach = (largest as f32).max(0.05) * 2.2 + 0.2;
    let mut images: Vec<(String, Vec<u8>)> = Vec::new();
    for (view, dir_vec) in [("front", [0.0, 0.25, 1.0]), ("side", [1.0, 0.25, 0.0])] {
        let eye = [
            centre.x + dir_vec[0] * reach,
            centre.y + dir_vec[1] * reach,
            centre.z + dir_vec[2] * reach,
        ];
        let posed = format!(
            "{source}camera(#{{ position: [{}, {}, {}], target: [{}, {}, {}], fov: 40 }});\n",
            eye[0], eye[1], eye[2], centre.x, centre.y, centre.z
        );
        match render_at(&posed, &RunOptions::default(), 0.0, render)
            .map_err(|e| e.to_string())
            .and_then(|(img, _)| img.encode_png().map_err(|e| e.to_string()))
        {
            Ok(png) => {
                let file = format!("{}_{view}.png", o.name);
                if let Err(e) = write_atomic(&dir.join(&file), &png) {
                    check.notes.push(format!("cannot write {file}: {e}"));
                }
                check.renders.push(file);
                images.push((format!("{view} view"), png));
            }
            Err(e) => {
                check.notes.push(format!("not rendered: {e}"));
                break;
            }
        }
    }
    match (vlm, images.is_empty()) {
        (None, _) => check
            .notes
            .push("no vision-language review (no critic model configured)".into()),
        (Some(_), true) => {}
        (Some(v), false) => {
            let request = VlmRequest {
                images,
                brief: None,
                prompt: Some(format!(
                    "One object on its own, to be used in a scene: {}{}",
                    o.kind,
                    if o.attributes.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", o.attributes.join(", "))
                    }
                )),
                script_summary: format!(
                    "{} built alone, {:.2} x {:.2} x {:.2} m",
                    o.name, size.x, size.y, size.z
                ),
            };
            match v.review(&request) {
                Ok(review) => {
                    for i in review
                        .issues
                        .iter()
                        .filter(|i| i.severity == Severity::Error)
                    {
                        check
                            .problems
                            .push(format!("the visual critic says: {} ({})", i.message, i.fix));
                    }
                    if review.scores.prompt_match < 35 {
                        check.problems.push(format!(
                            "the visual critic rates its match with \"{}\" {} of 100: make it look more like one",
                            o.kind, review.scores.prompt_match
                        ));
                    }
                }
                Err(e) => check.notes.push(format!("vision review failed: {e}")),
            }
        }
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bottle() -> ObjectBrief {
        ObjectBrief {
            name: "bottle".into(),
            kind: "bottle".into(),
            count: 1,
            size_m: Some(0.3),
            ..Default::default()
        }
    }

    fn problems(code: &str) -> Vec<String> {
        check_object(&bottle(), code, None, None, Path::new("/nonexistent")).problems
    }

    #[test]
    fn a_good_maker_passes_and_is_measured() {
        let c = check_object(
            &bottle(),
            "fn make_bottle(position) { assets::bottle(position, #{ name: \"bottle\" }) }",
            None,
            None,
            Path::new("/nonexistent"),
        );
        assert!(c.passed(), "{:?}", c.problems);
        let s = c.size_m.unwrap();
        assert!((s[1] - 0.3).abs() < 0.02, "{s:?}");
        assert!(c.triangles > 0);
    }

    #[test]
    fn faults_become_problems_a_model_can_act_on() {
        assert!(problems("let x = 1;")[0].contains("fn make_bottle(position)"));
        assert!(problems("fn make_bottle(position) { box([1, 1]) }")[0].contains("error"));
        assert!(
            problems(
                "fn make_bottle(position) { cylinder(0.04, 0.3, #{ position: [0, 0.15, 0] }) }"
            )[0]
            .contains("name what make_bottle builds \"bottle\"")
        );
        let big = problems(
            "fn make_bottle(position) { cylinder(0.5, 3, #{ name: \"bottle\", position: [0, 1.5, 0] }) }",
        );
        assert!(
            big.iter().any(|p| p.contains("should be about 0.3 m")),
            "{big:?}"
        );
        let sunk = problems(
            "fn make_bottle(position) { cylinder(0.04, 0.3, #{ name: \"bottle\", position: position }) }",
        );
        assert!(sunk.iter().any(|p| p.contains("lowest point")), "{sunk:?}");
    }
}
