//! The simulation against closed-form physics.

mod common;

use common::{path, run_ok, trace};

const G: f64 = 9.81;

#[test]
fn free_fall_follows_half_g_t_squared_within_one_percent() {
    let t = trace(
        r#"world(#{ duration: 1.05, fps: 24, substeps: 10 });
           sphere(0.1, #{ name: "ball", position: [0, 20, 0], body: "dynamic" });"#,
    );
    let drop_at_1s = 0.5 * G;
    let p = path(&t, "ball");
    let y0 = p[0].1[1] as f64;
    let mut checked = 0;
    for (time, pos) in &p {
        if *time > 1.0 + 1e-9 {
            break;
        }
        let fallen = y0 - pos[1] as f64;
        let exact = 0.5 * G * time * time;
        assert!(
            (fallen - exact).abs() <= 0.01 * drop_at_1s,
            "t = {time}: fell {fallen}, exact {exact}"
        );
        checked += 1;
    }
    assert_eq!(checked, 25, "frames from 0 to 1 s");
    let (time, pos) = p[24];
    assert!((time - 1.0).abs() < 1e-9);
    let fallen = y0 - pos[1] as f64;
    assert!(
        (fallen - drop_at_1s).abs() / drop_at_1s < 0.01,
        "after 1 s fell {fallen}, exact {drop_at_1s}"
    );
}

/// Times at which a signal crosses zero going upwards (linear interpolation).
fn upward_zero_crossings(samples: &[(f64, f64)]) -> Vec<f64> {
    samples
        .windows(2)
        .filter(|w| w[0].1 < 0.0 && w[1].1 >= 0.0)
        .map(|w| w[0].0 + (w[1].0 - w[0].0) * (-w[0].1 / (w[1].1 - w[0].1)))
        .collect()
}

#[test]
fn small_angle_pendulum_period_within_two_percent() {
    let length = 1.0;
    let src = format!(
        r#"world(#{{ duration: 9, fps: 120, substeps: 4 }});
           let a = to_radians(5.0);
           let bob = sphere(0.02, #{{ name: "bob", position: [{length} * sin(a), 2.0 - {length} * cos(a), 0], body: "dynamic", density: 8000 }});
           joint("distance", "world", bob, #{{ anchor: [0, 2.0, 0] }});"#
    );
    let t = trace(&src);
    let x: Vec<(f64, f64)> = path(&t, "bob")
        .iter()
        .map(|(time, p)| (*time, p[0] as f64))
        .collect();
    let ups = upward_zero_crossings(&x);
    assert!(ups.len() >= 3, "too few oscillations: {ups:?}");
    let periods: Vec<f64> = ups.windows(2).map(|w| w[1] - w[0]).collect();
    let mean = periods.iter().sum::<f64>() / periods.len() as f64;
    let exact = 2.0 * std::f64::consts::PI * (length / G).sqrt();
    assert!(
        (mean - exact).abs() / exact < 0.02,
        "period {mean:.4} s, exact {exact:.4} s ({periods:?})"
    );
}

#[test]
fn a_resting_box_drifts_less_than_a_millimetre_in_ten_seconds() {
    let t = trace(
        r#"world(#{ duration: 10, fps: 24 });
           plane(10, #{ name: "ground" });
           box([0.5, 0.3, 0.4], #{ name: "crate", position: [0.3, 0.15, -0.2], rotation: [0, 20, 0], body: "dynamic", mass: 5 });"#,
    );
    let p = path(&t, "crate");
    let start = p[0].1;
    let worst = p
        .iter()
        .map(|(_, q)| {
            ((q[0] - start[0]).powi(2) + (q[1] - start[1]).powi(2) + (q[2] - start[2]).powi(2))
                .sqrt()
        })
        .fold(0f32, f32::max);
    assert!(worst < 0.001, "drifted {worst} m");
    assert!(p.len() >= 240);
}

#[test]
fn bounce_height_ratio_is_restitution_squared_within_five_percent() {
    for e in [0.5f64, 0.8] {
        let src = format!(
            r#"world(#{{ duration: 2.5, fps: 240, substeps: 2 }});
               plane(10, #{{ name: "ground", restitution: {e} }});
               sphere(0.1, #{{ name: "ball", position: [0, 1.1, 0], body: "dynamic", restitution: {e}, friction: 0 }});"#
        );
        let t = trace(&src);
        let y: Vec<f64> = path(&t, "ball")
            .iter()
            .map(|(_, p)| p[1] as f64 - 0.1)
            .collect();
        let h0 = y[0];
        // First impact: the lowest point before the ball rises again; the
        // apex after it is the first local maximum.
        let impact = (1..y.len() - 1)
            .find(|&i| y[i] <= y[i - 1] && y[i] < y[i + 1])
            .expect("an impact");
        let apex = (impact + 1..y.len() - 1)
            .find(|&i| y[i] >= y[i - 1] && y[i] >= y[i + 1])
            .expect("an apex");
        let ratio = y[apex] / h0;
        let expected = e * e;
        assert!(
            (ratio - expected).abs() / expected < 0.05,
            "e = {e}: h1/h0 = {ratio:.4}, expected {expected:.4}"
        );
    }
}

#[test]
fn an_impulse_gives_the_right_momentum() {
    let r = run_ok(
        r#"world(#{ duration: 0.5, fps: 24, gravity: [0, 0, 0] });
           let b = box(0.2, #{ name: "puck", position: [0, 1, 0], body: "dynamic", mass: 2.0 });
           impulse(b, [3, 0, -1], #{ at: 0.1 });"#,
    );
    let t = r.trace.unwrap();
    let last = t.frames.last().unwrap();
    let v = last.entities["puck"].velocity;
    let (vx, vz) = (v.x as f64, v.z as f64);
    assert!((2.0 * vx - 3.0).abs() < 3e-3, "momentum x {}", 2.0 * vx);
    assert!((2.0 * vz + 1.0).abs() < 1e-3, "momentum z {}", 2.0 * vz);
    assert!(v.y.abs() < 1e-6);
    // Before the impulse it was at rest.
    let early = &t.frames[1];
    assert_eq!(early.entities["puck"].velocity.length(), 0.0);
}
