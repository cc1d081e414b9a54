//! Cloth and soft bodies: each test measures the run's trace and can fail.

mod common;

use std::process::Command;

use code2worlds::measure::Trace;
use code2worlds::pipeline::RunOptions;
use code2worlds::script::ErrorKind;

fn last_state(t: &Trace, name: &str) -> code2worlds::sim::cloth::DeformStats {
    *t.frames.last().unwrap().deformables.get(name).unwrap()
}

#[test]
fn a_pinned_sheet_comes_to_rest_unstretched() {
    let r = common::run_ok(
        r#"world(#{ duration: 4, fps: 24 });
        cloth([1.0, 0.8], #{ name: "sheet", position: [0, 2, 0], pin: "top", resolution: 12, damping: 0.5 });"#,
    );
    let t = r.trace.unwrap();
    let s = last_state(&t, "sheet");
    let summary = &t.deformables[0];
    assert!(s.mean_speed < 0.05, "still moving: {}", s.mean_speed);
    assert!(
        summary.settled_max_stretch < 0.10,
        "stretch {}",
        summary.settled_max_stretch
    );
    // It hangs from its top edge: the top stays, the rest is below it.
    assert!((s.max.y - 2.4).abs() < 0.02, "top at {}", s.max.y);
    assert!(s.min.y < 1.65, "bottom at {}", s.min.y);
}

#[test]
fn a_flag_in_steady_wind_keeps_moving_and_faces_downwind() {
    let r = common::run_ok(
        r#"world(#{ duration: 4, fps: 24 });
        let pole = cylinder(0.03, 3, #{ name: "pole", position: [0, 1.5, 0] });
        cloth([1.2, 0.8], #{ name: "flag", position: [0.62, 2.5, 0], pin: "left", attach: pole, resolution: 14, density: 0.15 });
        wind(#{ direction: [0, 0, 1], speed: 6, gust: 0, turbulence: 0 });
        expect("flutters", "flag");"#,
    );
    let t = r.trace.unwrap();
    let speeds: Vec<f32> = t
        .frames
        .iter()
        .filter(|f| f.t >= 1.5)
        .map(|f| f.deformables["flag"].mean_speed)
        .collect();
    let mean = speeds.iter().sum::<f32>() / speeds.len() as f32;
    assert!(
        mean > 0.1,
        "the flag stopped moving: mean vertex speed {mean}"
    );
    let s = last_state(&t, "flag");
    // Blown downwind (+Z) from the pole: it streams out along the wind.
    assert!(s.centroid.z > 0.35, "centroid {:?}", s.centroid);
    assert!(
        s.max.z - s.min.z > 0.7,
        "extent along the wind {}",
        s.max.z - s.min.z
    );
    assert!(r.report.expectations_passed, "{:?}", r.report.expectations);
}

#[test]
fn a_soft_cube_keeps_its_volume_and_rests() {
    let r = common::run_ok(
        r#"world(#{ duration: 4, fps: 24 });
        plane(4, #{ name: "ground" });
        let c = soft_body("box", #{ name: "cube", size: 0.3, position: [0, 0.5, 0], resolution: 4, damping: 1.0 });
        expect("wobbles", c);"#,
    );
    let t = r.trace.unwrap();
    let b = &t.deformables[0];
    assert!(
        b.min_volume_ratio > 0.9 && b.max_volume_ratio < 1.1,
        "{b:?}"
    );
    let s = last_state(&t, "cube");
    assert!(s.mean_speed < 0.05, "still moving at {}", s.mean_speed);
    assert!(
        s.min.y > -0.02 && s.min.y < 0.03,
        "rests on the ground: {}",
        s.min.y
    );
    assert!(b.max_penetration < 0.03, "{}", b.max_penetration);
    assert!(r.report.expectations_passed, "{:?}", r.report.expectations);
}

/// A pudding lathed from a profile (a mesh, not a primitive) becomes a
/// soft body of its shape: it drops, wobbles, keeps its volume and rests
/// on the plate.
#[test]
fn a_lathed_pudding_becomes_a_soft_body_of_its_shape() {
    let r = common::run_ok(
        r#"world(#{ duration: 4, fps: 24 });
        plane(4, #{ name: "plate" });
        let p = lathe([[0, 0], [0.2, 0], [0.17, 0.12], [0.1, 0.2], [0, 0.21]], #{ name: "pudding", position: [0, 0.4, 0], segments: 16 });
        soft_body(p, #{ resolution: 7, damping: 1.0, color: "red" });
        expect("wobbles", "pudding");"#,
    );
    let t = r.trace.unwrap();
    let b = &t.deformables[0];
    assert!(
        b.min_volume_ratio > 0.9 && b.max_volume_ratio < 1.1,
        "{b:?}"
    );
    let first = t.frames[0].deformables["pudding"];
    // The lathe's shape: 40 cm across, 21 cm tall, its base at 0.4 m.
    let (w, h) = (first.max.x - first.min.x, first.max.y - first.min.y);
    assert!(
        (w - 0.4).abs() < 0.05 && (h - 0.21).abs() < 0.04,
        "{w} x {h}"
    );
    assert!((first.min.y - 0.4).abs() < 0.03, "base at {}", first.min.y);
    let s = last_state(&t, "pudding");
    assert!(s.mean_speed < 0.05, "still moving at {}", s.mean_speed);
    assert!(
        s.min.y > -0.02 && s.min.y < 0.03,
        "rests on the plate: {}",
        s.min.y
    );
    assert!(r.report.expectations_passed, "{:?}", r.report.expectations);
}

#[test]
fn an_anchored_pulsing_bell_stays_upright_and_follows_its_anchor() {
    // The jellyfish bell: a flattened sphere, weightless, pulsing, pulled
    // along by a keyframed group. It once tumbled onto its side.
    let r = common::run_ok(
        r#"world(#{ duration: 10, fps: 24 });
        let jelly = group(#{ name: "jelly", position: [0, 0, 0], body: "kinematic" });
        soft_body("sphere", #{ name: "bell", radius: 0.5, scale: [1, 0.5, 1], position: [0, 0, 0], resolution: 6,
            gravity: 0, anchor: jelly, pulse: [-0.16, 0.1, -0.16], pulse_period: 0.9, compliance: 0.001, damping: 1.0 });
        animate(jelly, "position", [[0, [0, 0, 0]], [10, [3, 1.2, 0]]]);
        expect("wobbles", "bell");"#,
    );
    let t = r.trace.unwrap();
    for f in &t.frames {
        let s = f.deformables["bell"];
        let (w, h) = (s.max.x - s.min.x, s.max.y - s.min.y);
        assert!(
            h < 0.8 * w,
            "t = {}: height {h} against width {w}: tipped over",
            f.t
        );
    }
    let s = last_state(&t, "bell");
    assert!(
        s.centroid.distance(glam::Vec3::new(3.0, 1.2, 0.0)) < 0.3,
        "left behind at {:?}",
        s.centroid
    );
    assert!(r.report.expectations_passed, "{:?}", r.report.expectations);
}

#[test]
fn cloth_dropped_on_a_box_does_not_pass_through_it() {
    let r = common::run_ok(
        r#"world(#{ duration: 2.5, fps: 24 });
        plane(6, #{ name: "floor" });
        box([0.6, 0.6, 0.6], #{ name: "crate", position: [0, 0.3, 0] });
        cloth([1.2, 1.2], #{ name: "sheet", flat: true, position: [0, 0.9, 0], resolution: 16 });"#,
    );
    let t = r.trace.unwrap();
    let b = &t.deformables[0];
    assert!(
        b.max_penetration < 0.03,
        "penetrated {} m",
        b.max_penetration
    );
    let s = last_state(&t, "sheet");
    // It lies on the top (0.6 m) and hangs down the sides.
    assert!(s.max.y > 0.6 && s.max.y < 0.66, "top {}", s.max.y);
    assert!(s.min.y < 0.45, "did not drape: bottom {}", s.min.y);
}

const DETERMINISM: &str = r#"world(#{ duration: 1.5, fps: 24, seed: 4 });
plane(4, #{ name: "ground" });
let pole = cylinder(0.03, 2, #{ name: "pole", position: [0, 1, 0] });
cloth([0.8, 0.5], #{ name: "flag", position: [0.42, 1.7, 0], pin: "left", attach: pole, resolution: 10 });
wind(#{ direction: [1, 0, 0.3], speed: 6, gust: 0.5, turbulence: 0.4 });
soft_body("sphere", #{ name: "ball", radius: 0.2, position: [1, 0.6, 0], resolution: 4 });
"#;

/// Two-way coupling: a soft ball thrown at a light crate on an icy floor
/// pushes it along (the crate used to stand still while the ball squashed
/// against it), and gives it no more momentum than the ball had.
#[test]
fn a_soft_ball_pushes_a_light_crate_it_hits() {
    let src = r#"
world(#{ duration: 1.0, fps: 24, seed: 1 });
plane(6, #{ name: "floor", friction: 0.0 });
let crate = box(0.3, #{ name: "crate", position: [0.5, 0.15, 0], body: "dynamic", density: 100, friction: 0.0 });
soft_body("sphere", #{ name: "ball", radius: 0.1, position: [-0.3, 0.2, 0], velocity: [3.0, 0, 0], gravity: 0.0, density: 1000, friction: 0.0 });
"#;
    let t = common::trace(src);
    let end = &t.frames.last().unwrap().entities["crate"];
    assert!(
        end.position.x > 0.8,
        "the crate was pushed from 0.5 m to {}",
        end.position.x
    );
    // Ball: 4.19 kg at 3 m/s; crate: 2.7 kg.
    let ball_momentum = 1000.0 * 4.0 / 3.0 * std::f32::consts::PI * 0.001 * 3.0;
    let crate_momentum = 100.0 * 0.027 * end.velocity.x;
    assert!(
        crate_momentum > 0.3 * ball_momentum && crate_momentum < 1.05 * ball_momentum,
        "crate momentum {crate_momentum} from a ball of {ball_momentum}"
    );
}

#[test]
fn deformables_are_identical_across_processes() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("d.rhai");
    std::fs::write(&script, DETERMINISM).unwrap();
    let run = |out: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_c2w"))
            .args(["run", "--json", "--no-render", "--out"])
            .arg(dir.path().join(out))
            .arg(&script)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let trace = std::fs::read(dir.path().join(out).join("trace.json")).unwrap();
        (v["state_hash"].clone(), trace)
    };
    let (ha, ta) = run("a");
    let (hb, tb) = run("b");
    assert_eq!(ha, hb);
    assert!(ta == tb, "traces differ");
    // The deformables are in the hash: moving the flag changes it.
    let moved = DETERMINISM.replace("speed: 6", "speed: 5");
    std::fs::write(&script, moved).unwrap();
    let (hc, _) = run("c");
    assert_ne!(ha, hc);
}

#[test]
fn bad_parameters_are_structured_errors() {
    let cases: &[(&str, &str)] = &[
        ("cloth(-1);", "size"),
        ("cloth([1, 1, 1]);", "size"),
        ("cloth([1, 1], #{ pin: \"middle\" });", "pin"),
        ("cloth([1, 1], #{ pin: [0, 99999] });", "pin[1]"),
        ("cloth([1, 1], #{ density: -1 });", "density"),
        ("cloth([1, 1], #{ resolution: 5000 });", "resolution"),
        ("cloth([1, 1], #{ attach: box(1) });", "attach"),
        ("cloth([1, 1], #{ stiffness: 2 });", "stiffness"),
        ("cloth(group(), #{});", "group"),
        (
            "let m = plane(1); cloth(m, #{ resolution: 8 });",
            "not to a mesh entity",
        ),
        ("let m = plane(1); cloth(m); soft_body(m);", "already cloth"),
        (
            "let b = sphere(0.2); soft_body(b); cloth(b);",
            "already cloth",
        ),
        ("soft_body(\"cone\");", "shape"),
        ("soft_body(\"box\", #{ size: [0, 1, 1] });", "size"),
        ("soft_body(\"sphere\", #{ pulse_period: 2 });", "pulse"),
        ("let g = plane(2); soft_body(g, #{});", "no inside"),
        (
            "let b = sphere(0.2); soft_body(b, #{ radius: 0.3 });",
            "keeps its own size",
        ),
        (
            "soft_body(\"sphere\", #{ compliance: \"soft\" });",
            "compliance",
        ),
        ("expect(\"wobbles\", box(1));", "soft"),
        ("expect(\"flutters\", soft_body(\"box\"));", "cloth"),
    ];
    for (src, word) in cases {
        let e = common::run_err(src, &RunOptions::default());
        assert!(
            matches!(
                e.kind,
                ErrorKind::Validation | ErrorKind::Type | ErrorKind::Limit
            ),
            "{src}: {:?}",
            e.kind
        );
        assert!(e.message.contains(word), "{src}: {}", e.message);
        assert!(e.line.is_some_and(|l| l > 0), "{src}: no line");
    }
    let e = common::run_err("cloth([1, 1], #{ pin: \"topp\" });", &RunOptions::default());
    assert!(
        e.suggestions.iter().any(|s| s == "top"),
        "{:?}",
        e.suggestions
    );
}
