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

/// `nature::terrain`'s shapes have the relief their names say: a valley is
/// lower along its middle than at its sides, mountains rise towards the
/// edges above a low middle, a riverbank's river bed lies under the banks
/// with its water between the two. An unknown shape is an error.
#[test]
fn terrain_shapes_have_their_relief() {
    use code2worlds::world::{Named, Shape};
    let height_at = |shape: &str, points: &[(f32, f32)]| -> (Vec<f32>, Option<f32>) {
        let src = format!(
            "import \"nature\" as nature;\nworld(#{{ duration: 1 }});\n\
             nature::terrain([40, 40], #{{ name: \"land\", shape: \"{shape}\" }});\n"
        );
        let built = code2worlds::pipeline::build(&src, &RunOptions::default())
            .map_err(|f| f.error)
            .unwrap_or_else(|e| panic!("{shape}: {e}"));
        built.session.with_world(|w| {
            let Some(Named::Entity(id)) = w.lookup("land") else {
                panic!("{shape}: no land");
            };
            let Shape::Heightfield {
                heights,
                rows,
                cols,
                width,
                depth,
                ..
            } = &w.entity(id).shape
            else {
                panic!("{shape}: not a heightfield");
            };
            let hs = points
                .iter()
                .map(|(x, z)| {
                    code2worlds::world::mesh::heightfield_height(
                        heights, *rows, *cols, *width, *depth, *x, *z,
                    )
                    .expect("on the terrain")
                })
                .collect();
            let water = match w.lookup("land_water") {
                Some(Named::Entity(id)) => Some(w.entity(id).transform.position.y),
                _ => None,
            };
            (hs, water)
        })
    };
    let (v, _) = height_at("valley", &[(0.0, 0.0), (0.0, 18.0), (0.0, -18.0)]);
    assert!(v[1] > v[0] + 3.0 && v[2] > v[0] + 3.0, "valley {v:?}");
    let (m, _) = height_at(
        "mountains",
        &[(0.0, 0.0), (19.0, 19.0), (-19.0, 19.0), (19.0, -19.0)],
    );
    let edge = m[1..].iter().cloned().fold(f32::MIN, f32::max);
    assert!(edge > m[0] + 3.0, "mountains {m:?}");
    // The river runs along x at z = -10 by default.
    let (r, water) = height_at("riverbank", &[(0.0, -10.0), (0.0, 0.0), (0.0, -18.0)]);
    let water = water.expect("the river's water");
    assert!(
        r[0] < water && water < r[1] && r[0] < -0.8,
        "river bed {:.2} under the water at {water:.2} under the bank {:.2}",
        r[0],
        r[1]
    );
    // A lake's basin lies at z = -10 under its water; the middle is shore.
    let (l, water) = height_at("lake", &[(0.0, -10.0), (0.0, 2.0)]);
    let water = water.expect("the lake's water");
    assert!(
        l[0] < water - 0.5 && water < l[1],
        "lake bed {:.2} under the water at {water:.2} under the shore {:.2}",
        l[0],
        l[1]
    );
    // A coast shelves under the sea beyond z = -5.
    let (c, water) = height_at("coast", &[(0.0, -18.0), (0.0, 2.0)]);
    let water = water.expect("the sea");
    assert!(
        c[0] < water - 1.0 && water < c[1],
        "coast {c:?} water {water}"
    );
    let waves = code2worlds::pipeline::build(
        "import \"nature\" as nature;\nnature::terrain([40, 40], #{ name: \"land\", shape: \"coast\" });",
        &RunOptions::default(),
    )
    .map_err(|f| f.error)
    .unwrap()
    .session
    .with_world(|w| match w.lookup("land_water") {
        Some(Named::Entity(id)) => w.entity(id).waves,
        _ => panic!("no sea"),
    });
    assert!(waves.active() && waves.height > 0.2, "{waves:?}");
    let bad = code2worlds::pipeline::run(
        "import \"nature\" as nature;\nnature::terrain([10, 10], #{ shape: \"canyon\" });",
        &RunOptions::default(),
        &mut [],
    );
    let e = bad.report.error.expect("an unknown shape is an error");
    assert!(e.message.contains("canyon"), "{}", e.message);
}

/// Water builders carry their waves: a sea's run downwind unless given a
/// current, a stream's ripples run with its current from the first point
/// of its path to the last, a pond ripples; none of them collides.
#[test]
fn water_builders_carry_waves_and_currents() {
    use code2worlds::world::{BodyKind, Named};
    let src = "import \"nature\" as nature;\nworld(#{ duration: 1 });\n\
               nature::sea([50, 50], #{ name: \"sea\", waves: 0.8 });\n\
               nature::stream([[0, 0, 0], [0, 0, -6]], #{ name: \"brook\", speed: 1.5 });\n\
               nature::pond([8, 0, 8], #{ name: \"pond\" });\n";
    let built = code2worlds::pipeline::build(src, &RunOptions::default())
        .map_err(|f| f.error)
        .unwrap();
    built.session.with_world(|w| {
        let entity = |name: &str| match w.lookup(name) {
            Some(Named::Entity(id)) => w.entity(id).clone(),
            _ => panic!("no {name}"),
        };
        let sea = entity("sea");
        assert_eq!(sea.waves.height, 0.8);
        assert!((sea.waves.length - 12.0).abs() < 1e-4, "{:?}", sea.waves);
        assert_eq!(sea.body.kind, BodyKind::None);
        let brook = entity("brook");
        assert!(brook.waves.active());
        let flow = brook.waves.flow;
        assert!(
            (flow.z + 1.5).abs() < 1e-4 && flow.x.abs() < 1e-4,
            "the brook flows towards -z at 1.5 m/s: {flow}"
        );
        assert_eq!(entity("brook_bottom").body.kind, BodyKind::None);
        let ripples = w
            .entities
            .iter()
            .filter(|e| e.waves.active() && e.waves.height < 0.05)
            .count();
        assert!(ripples >= 2, "the brook and the pond ripple");
    });
}
