//! Callbacks during the run: when they fire, what they see, what they change.

mod common;

use common::{path, run_ok};

#[test]
fn at_fires_once_and_every_fires_on_schedule() {
    let r = run_ok(
        r#"world(#{ duration: 2, fps: 24 });
           at(1.0, |t| { print(`at ${t}`); });
           every(0.5, |t| { print(`every ${t}`); });"#,
    );
    let logs = r.report.logs;
    let at: Vec<_> = logs.iter().filter(|l| l.starts_with("at ")).collect();
    assert_eq!(at.len(), 1, "{logs:?}");
    let t: f64 = at[0][3..].parse().unwrap();
    assert!((t - 1.0).abs() < 1.0 / 240.0 + 1e-9, "{t}");
    let every: Vec<f64> = logs
        .iter()
        .filter_map(|l| l.strip_prefix("every ").map(|v| v.parse().unwrap()))
        .collect();
    // The run's last frame is at 2 - 1/24 s: calls at 0, 0.5, 1.0, 1.5.
    assert_eq!(every.len(), 4, "{every:?}");
    for (k, t) in every.iter().enumerate() {
        assert!((t - 0.5 * k as f64).abs() < 1.0 / 240.0 + 1e-9, "{every:?}");
    }
}

#[test]
fn callbacks_see_live_state_and_push_bodies() {
    let r = run_ok(
        r#"world(#{ duration: 1.5, fps: 24, gravity: [0, 0, 0] });
           let puck = sphere(0.1, #{ name: "puck", position: [0, 1, 0], body: "dynamic", mass: 1.0 });
           at(0.5, |t| { impulse(puck, [2, 0, 0]); });
           at(1.0, |t| { print(`x=${puck.position.x}`); puck.set(#{ color: "red" }); });"#,
    );
    let t = r.trace.unwrap();
    let p = path(&t, "puck");
    let before = p
        .iter()
        .find(|(time, _)| (*time - 0.5).abs() < 1e-9)
        .unwrap()
        .1;
    assert_eq!(before[0], 0.0, "nothing moves it before the impulse");
    let x_at_1: f64 = r
        .report
        .logs
        .iter()
        .find_map(|l| l.strip_prefix("x="))
        .unwrap()
        .parse()
        .unwrap();
    // 2 m/s for 0.5 s.
    assert!((x_at_1 - 1.0).abs() < 0.02, "{x_at_1}");
}

#[test]
fn callbacks_can_spawn_entities_that_join_the_simulation() {
    let r = run_ok(
        r#"world(#{ duration: 2, fps: 24 });
           plane(10);
           let n = 0;
           every(0.5, |t| {
               sphere(0.1, #{ name: `drop_${n}`, position: [n * 0.5, 2, 0], body: "dynamic" });
               n += 1;
           });"#,
    );
    assert_eq!(r.report.counts.entities, 5, "ground and four drops");
    let t = r.trace.unwrap();
    let last = t.frames.last().unwrap();
    // The first drop has had 1.96 s to fall 1.9 m onto the ground.
    let y = last.entities["drop_0"].position.y;
    assert!(
        (y - 0.1).abs() < 0.02,
        "first drop rests on the ground: {y}"
    );
    assert!(last.entities.contains_key("drop_3"));
}

#[test]
fn a_callback_error_stops_the_run_with_its_line() {
    let r = code2worlds::pipeline::run(
        "world(#{ duration: 2 });\nlet b = box(1);\nat(1.0, |t| {\n    b.set(#{ mass: 5 });\n});",
        &Default::default(),
        &mut [],
    );
    let e = r.report.error.expect("an error");
    assert_eq!(e.line, Some(4), "{e}");
    assert!(
        e.message
            .contains("cannot change while the simulation runs"),
        "{e}"
    );
    // The frames before the failure are kept.
    assert!(
        r.report.frames >= 24 && r.report.frames < 48,
        "{}",
        r.report.frames
    );
}
