//! Coverage before verdict: worlds built to look unlike their brief fail
//! with the finding that says how, and faithful worlds cover every item.

use std::collections::BTreeSet;
use std::path::Path;

use code2worlds::critic::{CriticDiff, Verdict};
use code2worlds::pipeline::corpus::{self, Case};

fn judge(source: &str, brief: &str) -> CriticDiff {
    let case = Case {
        name: "coverage".into(),
        source: source.to_string(),
        verdict: Verdict::Pass,
        findings: BTreeSet::new(),
        brief: Some(serde_json::from_str(brief).expect("a brief")),
        render: false,
    };
    corpus::judge(&case, None)
}

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// The coverage row of `item`, as (status, measured).
fn row(diff: &CriticDiff, item: &str) -> (String, String) {
    let r = diff
        .coverage
        .iter()
        .find(|c| c.item == item)
        .unwrap_or_else(|| panic!("no coverage row '{item}':\n{diff}\n{:#?}", diff.coverage));
    (r.status.to_string(), r.measured.clone())
}

fn assert_fails_with(diff: &CriticDiff, ids: &[&str]) {
    assert_eq!(diff.verdict, Verdict::Fail, "{diff}");
    let found = corpus::found(diff);
    for id in ids {
        assert!(found.contains(*id), "no {id}:\n{diff}");
    }
}

/// Every row verified, and nothing failed.
fn assert_covered(diff: &CriticDiff) {
    assert_eq!(diff.verdict, Verdict::Pass, "{diff}");
    assert!(diff.findings.is_empty(), "{diff}");
    assert!(!diff.coverage.is_empty());
    for c in &diff.coverage {
        assert_eq!(c.status, "verified", "{c:?}\n{diff}");
    }
}

const FLAG_BRIEF: &str = r#"{
  "title": "flag on a hilltop",
  "prompt": "A blue flag flutters on a pole on a hilltop in a gusty wind",
  "setting": "nature",
  "environment": {"ground": "grass", "weather": "wind"},
  "objects": [
    {"name": "flag", "kind": "flag", "count": 1, "attributes": ["blue"], "role": "subject"},
    {"name": "pole", "kind": "pole", "count": 1, "attributes": ["metal"], "role": "support"}
  ],
  "dynamics": [{"kind": "flutters", "subject": "flag"}, {"kind": "wind"}]
}"#;

const JELLY_BRIEF: &str = r#"{
  "title": "jelly",
  "prompt": "A green jelly drops onto a plate and wobbles",
  "objects": [
    {"name": "jelly", "kind": "jelly", "count": 1, "attributes": ["green"], "size_m": 0.3, "role": "subject"},
    {"name": "plate", "kind": "plate", "count": 1, "role": "support"}
  ],
  "dynamics": [{"kind": "wobbles", "subject": "jelly"}]
}"#;

#[test]
fn a_cloth_flag_in_wind_on_a_hill_is_covered() {
    let diff = judge(&example("flag.rhai"), FLAG_BRIEF);
    assert_covered(&diff);
    assert!(row(&diff, "flutters: flag").1.contains("cloth"));
    assert_eq!(row(&diff, "terrain: hills").0, "verified");
    let r = diff.richness.as_ref().unwrap();
    assert_eq!(r.cloth, 1);
    assert!(r.weather.contains(&"wind".to_string()));
    // The JSON lists coverage per brief item, beside the fields it had.
    let json = serde_json::to_value(&diff).unwrap();
    for key in [
        "verdict", "score", "findings", "checks", "coverage", "richness",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
    assert_eq!(json["coverage"][0]["part"], "object");
    assert_eq!(json["coverage"][0]["item"], "flag");
}

#[test]
fn a_soft_jelly_that_wobbles_is_covered() {
    let diff = judge(&example("jelly.rhai"), JELLY_BRIEF);
    assert_covered(&diff);
    assert!(row(&diff, "wobbles: jelly").1.contains("turns"));
    assert_eq!(diff.richness.as_ref().unwrap().soft_bodies, 1);
}

#[test]
fn a_world_without_its_subject_fails() {
    let brief = r#"{
      "title": "bottle falls",
      "objects": [
        {"name": "bottle", "kind": "bottle", "count": 1, "role": "subject"},
        {"name": "floor", "kind": "floor", "count": 1, "role": "support"}
      ],
      "dynamics": [{"kind": "falls", "subject": "bottle"}]
    }"#;
    let src = r#"
world(#{ duration: 2 });
box([4, 0.2, 4], #{ name: "floor", position: [0, -0.1, 0], body: "fixed" });
sphere(0.2, #{ name: "ball", position: [0, 1, 0] });
"#;
    let diff = judge(src, brief);
    assert_fails_with(&diff, &["intent.missing_object", "intent.falls"]);
    assert_eq!(row(&diff, "bottle").0, "failed");
    assert_eq!(row(&diff, "falls: bottle").0, "failed");
}

#[test]
fn a_rigid_flag_cannot_flutter() {
    let src = example("flag.rhai").replace(
        "let flag = cloth([1.8, 1.2], #{",
        "let flag = box([1.8, 1.2, 0.02], #{ body: \"fixed\",",
    );
    let src = src
        .replace("    pin: \"left\",\n    attach: pole,\n", "")
        .replace("    density: 0.15,\n    resolution: 22,\n", "")
        .replace("expect(\"flutters\", flag);", "");
    let diff = judge(&src, FLAG_BRIEF);
    assert_fails_with(&diff, &["intent.kind_unfit", "intent.flutters"]);
    let unfit = diff
        .findings
        .iter()
        .find(|f| f.id == "intent.kind_unfit")
        .unwrap();
    assert!(unfit.fix.contains("cloth("), "{}", unfit.fix);
    assert_eq!(row(&diff, "flag").0, "failed");
    assert_eq!(row(&diff, "flutters: flag").0, "failed");
}

#[test]
fn a_cloth_flag_without_wind_hangs_still() {
    let src = example("flag.rhai")
        // The same options, but no wind() to blow them.
        .replace("let gusts = wind(", "let gusts = (")
        .replace("expect(\"flutters\", flag);", "");
    let brief = FLAG_BRIEF.replace(", {\"kind\": \"wind\"}", "");
    let diff = judge(&src, &brief);
    assert_fails_with(&diff, &["intent.flutters"]);
    let (status, measured) = row(&diff, "flutters: flag");
    assert_eq!(status, "failed");
    assert!(measured.contains("mean vertex speed"), "{measured}");
    // The flag itself is a cloth: only its motion is missing.
    assert_eq!(row(&diff, "flag").0, "verified");
}

#[test]
fn a_rigid_jelly_does_not_wobble() {
    let src = r##"
world(#{ duration: 4 });
box([3, 0.8, 2], #{ name: "table", position: [0, 0.4, 0], body: "fixed" });
cylinder(0.25, 0.03, #{ name: "plate", position: [0, 0.815, 0], body: "fixed" });
box([0.3, 0.24, 0.3], #{ name: "jelly", position: [0, 1.3, 0], color: "#3fcf4a" });
"##;
    let diff = judge(src, JELLY_BRIEF);
    assert_fails_with(&diff, &["intent.kind_unfit", "intent.wobbles"]);
    let unfit = diff
        .findings
        .iter()
        .find(|f| f.id == "intent.kind_unfit")
        .unwrap();
    assert!(unfit.fix.contains("soft_body("), "{}", unfit.fix);
    assert!(row(&diff, "jelly").1.contains("rigid"));
}

const FOREST_BRIEF: &str = r#"{
  "title": "forest",
  "prompt": "A quiet forest on a summer day",
  "setting": "nature",
  "environment": {"ground": "forest floor", "sky": "day", "time_of_day": 13},
  "objects": [],
  "dynamics": []
}"#;

fn forest(trees: u32, wind: &str) -> String {
    format!(
        r#"
import "nature" as nature;
world(#{{ duration: 1, seed: 4 }});
plane(60, #{{ name: "ground", material: "grass" }});
nature::forest({trees}, [40, 40]);
sun(#{{ elevation: 40 }});
{wind}
"#
    )
}

#[test]
fn a_forest_of_three_trees_is_sparse() {
    let diff = judge(&forest(3, ""), FOREST_BRIEF);
    assert_fails_with(&diff, &["intent.sparse"]);
    assert_eq!(
        row(&diff, "vegetation: forest"),
        ("failed".into(), "3 trees".into())
    );
    assert_eq!(diff.richness.as_ref().unwrap().trees, 3);
}

#[test]
fn a_forest_of_many_trees_is_covered() {
    let diff = judge(&forest(14, ""), FOREST_BRIEF);
    assert_covered(&diff);
    assert!(diff.richness.as_ref().unwrap().trees >= 8);
    assert_eq!(row(&diff, "time of day: 13 h").0, "verified");
}

#[test]
fn trees_sway_only_in_a_wind() {
    let brief = FOREST_BRIEF.replace(
        r#""dynamics": []"#,
        r#""dynamics": [{"kind": "sways", "subject": ""}]"#,
    );
    let windy = judge(&forest(14, "wind(#{ speed: 4, gust: 0.4 });"), &brief);
    assert_covered(&windy);
    assert!(row(&windy, "sways").1.contains("bend"), "{windy}");
    let calm = judge(&forest(14, ""), &brief);
    assert_fails_with(&calm, &["intent.sways"]);
    assert_eq!(row(&calm, "sways").0, "failed");
}

#[test]
fn a_flat_hilltop_fails() {
    let src = example("flag.rhai").replace(
        "nature::terrain([40, 40], #{ height: 1.2, flat_center: 4.0, material: \"grass\", color: \"#6f8a45\" });",
        "plane(40, #{ name: \"ground\", material: \"grass\", color: \"#6f8a45\" });",
    );
    let diff = judge(&src, FLAG_BRIEF);
    assert_fails_with(&diff, &["intent.terrain_flat"]);
    assert_eq!(row(&diff, "terrain: hills").0, "failed");
    // Everything else about the flag still holds.
    assert_eq!(row(&diff, "flutters: flag").0, "verified");
    assert_eq!(diff.errors(), 1, "{diff}");
}

#[test]
fn a_motion_the_critic_cannot_measure_is_not_a_pass() {
    let brief = r#"{
      "objects": [{"name": "ball", "kind": "ball", "count": 1, "role": "subject"}],
      "dynamics": [{"kind": "melts", "subject": "ball"}]
    }"#;
    let src = r#"
world(#{ duration: 1 });
plane(10, #{ name: "ground" });
sphere(0.2, #{ name: "ball", position: [0, 0.2, 0] });
"#;
    let diff = judge(src, brief);
    assert_fails_with(&diff, &["intent.unverified"]);
    assert_eq!(row(&diff, "melts: ball").0, "not_verified");
}

/// Examples judged against the briefs their header comments describe: the
/// coverage rules hold for worlds made to be faithful.
#[test]
fn examples_cover_the_briefs_they_were_written_for() {
    let cases: &[(&str, &str)] = &[
        (
            "filling_glass.rhai",
            r#"{"prompt": "Red wine is poured into a wine glass standing on a table",
                "objects": [
                  {"name": "wine", "kind": "wine", "count": 1, "attributes": ["red"], "role": "subject"},
                  {"name": "glass", "kind": "wine glass", "count": 1, "attributes": ["glass"], "role": "support"},
                  {"name": "table", "kind": "table", "count": 1, "role": "support"}],
                "dynamics": [{"kind": "pours", "subject": "wine"}, {"kind": "fills", "subject": "glass"},
                             {"kind": "splashes", "subject": "wine"}]}"#,
        ),
        (
            "spilling_cup.rhai",
            r#"{"prompt": "water spills from a tipped ceramic cup on a coffee table",
                "objects": [
                  {"name": "water", "kind": "water", "count": 1, "role": "subject"},
                  {"name": "cup", "kind": "cup", "count": 1, "attributes": ["white"], "role": "support"},
                  {"name": "coffee_table", "kind": "table", "count": 1, "role": "support"}],
                "dynamics": [{"kind": "spills", "subject": "water"}]}"#,
        ),
        (
            "sand_dune.rhai",
            r#"{"prompt": "a breeze lifts sand off the ridge of a dune and it pours down the slope",
                "environment": {"ground": "desert sand", "weather": "wind"},
                "objects": [
                  {"name": "sand", "kind": "sand", "count": 1, "role": "subject"},
                  {"name": "dune", "kind": "dune", "count": 1, "attributes": ["sand"], "role": "support"}],
                "dynamics": [{"kind": "pours", "subject": "sand"}, {"kind": "piles", "subject": "sand"},
                             {"kind": "flows", "subject": "sand"}]}"#,
        ),
        (
            "rain.rhai",
            r#"{"prompt": "a heavy rainstorm slanted by the wind over a small forest",
                "environment": {"ground": "grass", "weather": "storm"},
                "dynamics": [{"kind": "rain", "notes": "diagonal"}, {"kind": "wind"}, {"kind": "sways"}]}"#,
        ),
        (
            "curtain.rhai",
            r#"{"prompt": "a curtain hangs from a rail by an open window and billows in the breeze",
                "objects": [{"name": "curtain", "kind": "curtain", "count": 1, "attributes": ["red", "fabric"], "role": "subject"}],
                "dynamics": [{"kind": "waves", "subject": "curtain"}, {"kind": "wind"}]}"#,
        ),
        (
            "falling_leaves.rhai",
            r#"{"prompt": "autumn leaves tumble from an oak in a gusty breeze and gather on a pile",
                "objects": [{"name": "oak", "kind": "tree", "count": 1, "role": "subject"}],
                "dynamics": [{"kind": "falling_leaves"}, {"kind": "wind"}]}"#,
        ),
        (
            "jellyfish.rhai",
            r#"{"prompt": "a translucent jellyfish glows and pulsates as it drifts through the deep sea",
                "objects": [{"name": "jellyfish", "kind": "jellyfish", "count": 1, "attributes": ["translucent"], "role": "subject"}],
                "dynamics": [{"kind": "pulsates", "subject": "jellyfish"}, {"kind": "drifts", "subject": "jellyfish"},
                             {"kind": "rises", "subject": "bubbles"}]}"#,
        ),
        (
            "burning_log.rhai",
            r#"{"prompt": "a chopped tree stump burns in a dark forest",
                "environment": {"ground": "dirt"},
                "objects": [{"name": "stump", "kind": "stump", "count": 1, "role": "subject"}],
                "dynamics": [{"kind": "fire"}, {"kind": "embers"}, {"kind": "flickers"}]}"#,
        ),
    ];
    let mut failures = Vec::new();
    for (name, brief) in cases {
        let diff = judge(&example(name), brief);
        let unverified: Vec<_> = diff
            .coverage
            .iter()
            .filter(|c| c.status != "verified")
            .collect();
        if diff.verdict != Verdict::Pass || !diff.findings.is_empty() || !unverified.is_empty() {
            failures.push(format!("{name}:\n{diff}\n{unverified:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const JELLYFISH_BRIEF: &str = r#"{
  "prompt": "a jellyfish pulsates as it drifts in the deep sea",
  "objects": [{"name": "jellyfish", "kind": "jellyfish", "count": 1, "role": "subject"}],
  "dynamics": [{"kind": "pulsates", "subject": "jellyfish"}, {"kind": "drifts", "subject": "jellyfish"}]
}"#;

/// One bare sphere named "jellyfish", pulsing and drifting, is not a
/// jellyfish to anyone watching: the subject must look like itself.
#[test]
fn a_bare_sphere_is_no_jellyfish() {
    let diff = judge(
        r##"world(#{ duration: 4 });
        sky(#{ kind: "underwater" });
        let j = sphere(0.4, #{ name: "jellyfish", position: [0, 1, 0], body: "kinematic", color: "#b8a0ff" });
        oscillate(j, "scale", [0.12, 0.18, 0.12], 0.8);
        animate(j, "position", [[0, [0, 1, 0]], [4, [1.2, 1.3, 0.4]]]);"##,
        JELLYFISH_BRIEF,
    );
    assert_fails_with(&diff, &["intent.stand_in"]);
    assert_eq!(row(&diff, "jellyfish").0, "failed");
}

/// The catalog's jellyfish (a pulsing soft bell and tentacles) is one, and
/// its bell's own pulse is the pulsation.
#[test]
fn the_catalog_jellyfish_pulsates_and_drifts() {
    let diff = judge(
        r#"import "nature" as nature;
        world(#{ duration: 4 });
        sky(#{ kind: "underwater" });
        sun(#{ elevation: 70 });
        let j = nature::jellyfish([0, -1, 0], #{ name: "jellyfish" });
        animate(j, "position", [[0, [0, 0.4, 0]], [4, [1.2, 0.8, 0.4]]]);
        camera(#{ position: [0, 0.5, 4], target: j });"#,
        JELLYFISH_BRIEF,
    );
    assert_covered(&diff);
}

#[test]
fn a_pour_that_misses_the_glass_does_not_fill_it() {
    let src = example("filling_glass.rhai")
        .replace("duration: 4.5", "duration: 2.0")
        .replace("position: [0.0, 1.02, 0]", "position: [0.25, 1.02, 0]");
    let src = src.split("expect(").next().unwrap().to_string();
    let brief = r#"{
      "objects": [{"name": "wine", "kind": "wine", "count": 1, "role": "subject"},
                  {"name": "glass", "kind": "wine glass", "count": 1, "role": "support"}],
      "dynamics": [{"kind": "pours", "subject": "wine"}, {"kind": "fills", "subject": "glass"}]
    }"#;
    let diff = judge(&src, brief);
    assert_fails_with(&diff, &["intent.fills"]);
    let (status, measured) = row(&diff, "fills: glass");
    assert_eq!(status, "failed");
    assert!(measured.contains("inside 'glass'"), "{measured}");
    // It still pours: only the filling is missing.
    assert_eq!(row(&diff, "pours: wine").0, "verified");
}

#[test]
fn a_midnight_brief_under_a_high_sun_is_a_finding() {
    let brief = FOREST_BRIEF.replace(r#""sky": "day", "time_of_day": 13"#, r#""time_of_day": 23"#);
    let diff = judge(&forest(14, ""), &brief);
    assert!(corpus::found(&diff).contains("intent.hour"), "{diff}");
    assert_eq!(
        row(&diff, "time of day: 23 h"),
        ("failed".into(), "sun elevation 40°".into())
    );
}

const PINS_BRIEF: &str = r#"{
  "prompt": "A heavy ball rolls down a ramp and scatters ten pins",
  "objects": [{"name": "ball", "kind": "ball", "count": 1, "role": "subject"},
              {"name": "pin", "kind": "pin", "count": 10, "role": "subject"}],
  "dynamics": [{"kind": "rolls", "subject": "ball"}, {"kind": "scatters", "subject": "pin"}]
}"#;

#[test]
fn pins_struck_by_a_ball_scatter() {
    let diff = judge(&example("ramp_pins.rhai"), PINS_BRIEF);
    assert_covered(&diff);
    assert!(row(&diff, "scatters: pin").1.contains("pieces moved"));
}

#[test]
fn pins_the_ball_misses_do_not_scatter() {
    // The ball rolls down beside the pins.
    let src =
        example("ramp_pins.rhai").replace("len * sin(a) + 0.1, 0],", "len * sin(a) + 0.1, 2.0],");
    let src = src.replace("box([len, 0.06, 0.8]", "box([len, 0.06, 6.0]");
    let src = src.split("expect(").next().unwrap().to_string();
    let diff = judge(&src, PINS_BRIEF);
    assert_fails_with(&diff, &["intent.scatters"]);
    assert_eq!(row(&diff, "scatters: pin").0, "failed");
}

/// No dynamics kind is verified by default: in a world where nothing
/// happens (a ball at rest on the ground, no wind, no particles, a fixed
/// sun), every kind but "static" fails, so a kind added to the vocabulary
/// without a measure cannot pass unseen.
#[test]
fn every_dynamics_kind_fails_in_a_world_where_nothing_happens() {
    let still = "world(#{ duration: 2, fps: 24 });\nplane(6, #{ name: \"ground\" });\n\
                 sphere(0.1, #{ name: \"ball\", position: [0, 0.1, 0] });\n\
                 sun(#{ elevation: 45 });\ncamera(#{ position: [0, 0.6, 1.5], target: [0, 0.1, 0] });\n";
    let mut passed = Vec::new();
    for kind in code2worlds::brief::DYNAMICS_KINDS {
        let brief = serde_json::json!({
            "title": "still",
            "prompt": format!("a ball, {kind}"),
            "setting": "studio",
            "objects": [{ "name": "ball", "kind": "ball", "count": 1, "attributes": [],
                          "size_m": 0.2, "placement": "on the ground", "role": "subject" }],
            "dynamics": [{ "kind": kind, "subject": "ball", "notes": "" }],
            "duration": 2
        });
        let diff = judge(still, &brief.to_string());
        let item = format!("{kind}: ball");
        let verified = diff
            .coverage
            .iter()
            .any(|c| c.item == item && c.status == "verified");
        if diff.verdict == Verdict::Pass || verified {
            passed.push(*kind);
            continue;
        }
        // Failed for the motion, not for a broken world.
        assert!(
            diff.findings.iter().any(|f| f.id.starts_with("intent.")),
            "{kind}: {diff}"
        );
        assert!(
            diff.findings.iter().all(|f| !f.id.starts_with("physics.")),
            "{kind}: {diff}"
        );
    }
    assert_eq!(
        passed,
        ["static"],
        "kinds that passed with nothing happening"
    );
}

fn leaves_seen_from(camera: &str) -> String {
    format!(
        "world(#{{ duration: 3, fps: 24 }});\nplane(80, #{{ name: \"ground\" }});\n\
         emitter(\"leaves\", #{{ name: \"leaves\", position: [0, 4, 0], size: [3, 1, 3], rate: 40 }});\n\
         sun(#{{ elevation: 40 }});\ncamera(#{{ {camera} }});\n"
    )
}

const LEAVES_BRIEF: &str = r#"{
  "title": "falling leaves", "prompt": "leaves fall", "setting": "nature",
  "objects": [],
  "dynamics": [{ "kind": "falling_leaves", "subject": "", "notes": "" }],
  "duration": 3
}"#;

#[test]
fn leaves_too_far_away_to_see_do_not_count_as_falling_leaves() {
    let near = judge(
        &leaves_seen_from("position: [5, 3, 6], target: [0, 2.5, 0], fov: 50"),
        LEAVES_BRIEF,
    );
    assert_eq!(row(&near, "falling_leaves").0, "verified", "{near}");
    let far = judge(
        &leaves_seen_from("position: [40, 20, 50], target: [0, 2, 0], fov: 50"),
        LEAVES_BRIEF,
    );
    assert_fails_with(&far, &["intent.falling_leaves"]);
    let (status, measured) = row(&far, "falling_leaves");
    assert_eq!(status, "failed");
    assert!(measured.contains("px wide"), "{measured}");
}

#[test]
fn leaves_out_of_view_or_few_do_not_count_as_falling_leaves() {
    // Close enough, but looking away from where they fall.
    let away = judge(
        &leaves_seen_from("position: [5, 3, 6], target: [12, 3, 14], fov: 50"),
        LEAVES_BRIEF,
    );
    assert_fails_with(&away, &["intent.falling_leaves"]);
    assert!(row(&away, "falling_leaves").1.contains("in view"), "{away}");
    // Looking at them, but a sprinkle of two a second.
    let few = judge(
        &leaves_seen_from("position: [5, 3, 6], target: [0, 2.5, 0], fov: 50")
            .replace("rate: 40", "rate: 2"),
        LEAVES_BRIEF,
    );
    assert_fails_with(&few, &["intent.falling_leaves"]);
    assert!(row(&few, "falling_leaves").1.contains("in view"), "{few}");
}

#[test]
fn a_brief_that_names_nothing_is_no_pass() {
    let world = "plane(10, #{ name: \"ground\" });\nsun(#{ time_of_day: 22 });\n";
    let empty =
        r#"{ "title": "time-lapse", "prompt": "a day passes in a time-lapse", "duration": 4 }"#;
    let diff = judge(world, empty);
    assert_fails_with(&diff, &["intent.empty_brief"]);
}

#[test]
fn an_autumn_brief_with_green_trees_fails_on_the_season() {
    let brief = r#"{ "title": "oak in autumn", "prompt": "an old oak in autumn", "setting": "autumn park",
        "objects": [{ "name": "oak", "kind": "tree", "count": 1, "role": "subject" }],
        "dynamics": [], "duration": 3 }"#;
    let world = |leaves: &str| {
        format!(
            "import \"assets\" as assets;\nworld(#{{ duration: 3, fps: 24 }});\nplane(30, #{{ name: \"ground\" }});\n\
             assets::tree([0, 0, 0], #{{ name: \"oak\"{leaves} }});\nsun(#{{ elevation: 40 }});\n\
             camera(#{{ position: [6, 3, 8], target: [0, 2, 0] }});\n"
        )
    };
    let green = judge(&world(""), brief);
    assert_fails_with(&green, &["intent.season"]);
    assert_eq!(row(&green, "season: autumn").0, "failed");
    let turned = judge(&world(", leaf_color: \"orange\""), brief);
    assert_eq!(row(&turned, "season: autumn").0, "verified", "{turned}");
    assert!(
        !corpus::found(&turned).contains("intent.season"),
        "{turned}"
    );
    // Said of the tree itself, "autumn" is measured on its own leaves.
    let of_the_oak = brief.replace(r#""count": 1,"#, r#""count": 1, "attributes": ["autumn"],"#);
    assert_eq!(
        row(&judge(&world(""), &of_the_oak), "oak: autumn").0,
        "failed"
    );
    let turned = judge(&world(", leaf_color: \"orange\""), &of_the_oak);
    assert_eq!(row(&turned, "oak: autumn").0, "verified", "{turned}");
}

#[test]
fn a_canopy_is_trees_not_a_cylinder() {
    let brief = r#"{ "title": "time-lapse", "prompt": "midday sunlight through a green canopy",
        "objects": [{ "name": "green_canopy", "kind": "canopy", "count": 1, "role": "subject" }],
        "dynamics": [], "duration": 3 }"#;
    let world = "world(#{ duration: 3, fps: 24 });\nplane(30, #{ name: \"ground\" });\n\
                 cylinder(0.15, 1, #{ name: \"green_canopy\", color: \"green\", position: [0, 0.5, 0] });\n\
                 sun(#{ elevation: 60 });\ncamera(#{ position: [3, 2, 4], target: [0, 0.5, 0] });\n";
    let diff = judge(world, brief);
    assert_eq!(diff.verdict, Verdict::Fail, "{diff}");
    assert_eq!(row(&diff, "green_canopy (canopy)").0, "failed", "{diff}");
    assert!(corpus::found(&diff).contains("intent.kind_unfit"), "{diff}");
}

/// "Lies tipped on its side" is a pose the critic measures: an upright
/// bottle is not tipped, a lying one is.
#[test]
fn a_tipped_thing_must_lie_on_its_side() {
    let brief = r#"{ "prompt": "a brown bottle lies tipped on its side on the floor",
        "objects": [{ "name": "bottle", "kind": "bottle", "count": 1, "attributes": ["tipped"], "role": "subject" }],
        "dynamics": [], "duration": 2 }"#;
    let world = |lying: bool| {
        format!(
            "import \"assets\" as assets;\nworld(#{{ duration: 2, fps: 12 }});\nplane(10, #{{ name: \"floor\" }});\n\
             assets::bottle([0, 0, 0], #{{ name: \"bottle\", lying: {lying}, body: \"fixed\" }});\n\
             sun(#{{ elevation: 40 }});\ncamera(#{{ position: [0.6, 0.4, 0.8], target: [0, 0.1, 0] }});\n"
        )
    };
    let upright = judge(&world(false), brief);
    assert_eq!(row(&upright, "bottle: tipped").0, "failed", "{upright}");
    let lying = judge(&world(true), brief);
    assert_eq!(row(&lying, "bottle: tipped").0, "verified", "{lying}");
}

/// A breeze or gusts in the brief's weather is wind in the world.
#[test]
fn a_breeze_is_measured_as_wind() {
    let brief = r#"{"prompt": "a breeze over a meadow", "environment": {"ground": "grass", "weather": "gentle breeze"}}"#;
    let still = r#"world(#{ duration: 1 });
plane(20, #{ name: "meadow", material: "grass" });
sun(#{ elevation: 40 });"#;
    let windy = format!("{still}\nwind(#{{ speed: 2, gust: 0.4 }});");
    assert_eq!(
        row(&judge(&windy, brief), "weather: gentle breeze").0,
        "verified"
    );
    assert_eq!(
        row(&judge(still, brief), "weather: gentle breeze").0,
        "failed"
    );
}
