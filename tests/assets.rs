//! Every stdlib builder of one thing at a position (`assets::cup(position)`,
//! `nature::jellyfish(position)`) builds alone on a floor, stays under its
//! triangle budget, is the size its kind is in the world, and rests where
//! it was put: its lowest point on the floor, still after a second.

mod common;

use code2worlds::agent::scene_facts::SceneFacts;
use code2worlds::critic::plausible;
use code2worlds::pipeline::RunOptions;
use code2worlds::script::stdlib;

/// Most triangles one asset may have (the agent's per-object budget).
const TRIANGLE_BUDGET: usize = 60_000;

fn world_with(call: &str) -> String {
    format!(
        "import \"assets\" as assets;\nimport \"nature\" as nature;\n\
         world(#{{ duration: 1, fps: 12 }});\nplane(60, #{{ name: \"floor\" }});\n\
         let thing = {call};\nsun(#{{ elevation: 45 }});\n"
    )
}

/// What is wrong with the thing `call` builds, read as a `name`.
fn problems(call: &str, name: &str) -> Vec<String> {
    let mut failures = Vec::new();
    let src = world_with(call);
    let facts = match SceneFacts::build(&src) {
        Ok(f) => f,
        Err(e) => return vec![format!("does not build: {}", e.message)],
    };
    let floor_triangles = 2;
    let triangles = facts.triangles.saturating_sub(floor_triangles);
    if triangles > TRIANGLE_BUDGET {
        failures.push(format!("{triangles} triangles"));
    }
    let Some(thing) = facts.thing("thing") else {
        return vec!["nothing named \"thing\"".into()];
    };
    let size = thing.size().max_element();
    if let Some((_, range, _)) = plausible::kind_of(name)
        && (size < range[0] * 0.9 || size > range[1] * 1.1)
    {
        failures.push(format!(
            "{size:.2} m across, a {name} is {}-{} m",
            range[0], range[1]
        ));
    }
    if thing.min.y < -0.03 || thing.min.y > 0.03 {
        failures.push(format!(
            "lowest point at {:.3} m, not on the floor",
            thing.min.y
        ));
    }
    let run = code2worlds::pipeline::run(&src, &RunOptions::default(), &mut []);
    if let Some(e) = &run.report.error {
        failures.push(format!("does not run: {}", e.message));
        return failures;
    }
    let trace = run.trace.expect("a trace");
    let at = |i: usize| trace.frames[i].entities.get("thing").map(|e| e.position);
    if let (Some(a), Some(b)) = (at(0), at(trace.frames.len() - 1))
        && a.distance(b) > 0.05
    {
        failures.push(format!(
            "moved {:.2} m in a second standing on the floor",
            a.distance(b)
        ));
    }
    failures
}

#[test]
fn every_builder_at_a_position_builds_to_size_and_rests_on_the_floor() {
    let builders: Vec<(String, String)> = stdlib::catalog()
        .into_iter()
        .filter(|e| e.forms.iter().any(|f| f.ends_with("(position)")))
        .map(|e| (format!("{}::{}", e.module, e.name), e.name))
        .collect();
    assert!(builders.len() >= 20, "only {} builders", builders.len());
    let failures: Vec<String> = builders
        .iter()
        .flat_map(|(call, name)| {
            problems(&format!("{call}([0, 0, 0], #{{ name: \"thing\" }})"), name)
                .into_iter()
                .map(move |p| format!("{call}: {p}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} problems in {} builders:\n{}",
        failures.len(),
        builders.len(),
        failures.join("\n")
    );
}

/// The checks can fail: a sunken giant "chair" that falls is caught on
/// its size, its footing and its motion.
#[test]
fn the_checks_catch_a_sunken_falling_giant() {
    let found = problems(
        "box([8, 8, 8], #{ name: \"thing\", position: [0, 3, 0], body: \"dynamic\" })",
        "chair",
    );
    assert_eq!(found.len(), 3, "{found:?}");
}
