//! Liquids and grains: 20k liquid particles settling in a box container for
//! 10 s, and 20k grains poured and piling for 10 s. Prints wall time and
//! peak memory (RSS high-water mark). Run with `cargo bench --bench fluids`.

use std::time::Instant;

use code2worlds::limits::Limits;
use code2worlds::pipeline::{self, RunOptions};
use code2worlds::util::memory::cpu_seconds;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .map(|v| v.parse::<f64>().unwrap_or(0.0))
            })
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn run(label: &str, src: &str, goal_s: f64) {
    let cpu0 = cpu_seconds();
    let t = Instant::now();
    // A longer wall-clock limit than the runtime's default, so a slow run
    // still gives its full figure.
    let opts = RunOptions {
        limits: Limits {
            timeout: std::time::Duration::from_secs(1200),
            ..Limits::default()
        },
        ..RunOptions::default()
    };
    let r = pipeline::run(src, &opts, &mut []);
    let s = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    if let Some(e) = &r.report.error {
        // Say how far a failed run got instead of failing the bench.
        println!(
            "{label}: stopped after {s:.1} s wall ({cpu:.1} s CPU): {}",
            e.message
        );
        return;
    }
    let last = r.trace.as_ref().and_then(|t| t.frames.last());
    let count = last
        .and_then(|f| f.fluids.values().next())
        .map_or(0, |s| s.count);
    println!(
        "{label}: {count} particles, 10 s simulated in {s:.2} s wall, {cpu:.2} s CPU (goal <= {goal_s} s{}), peak RSS {:.1} MB",
        if cpu <= goal_s { ", met" } else { ", missed" },
        peak_rss_mb()
    );
}

fn main() {
    // A 20 cm square box of walls, 20k particles of 5 mm radius: a
    // column 50 cm deep that settles under its own weight.
    let liquid = r#"
world(#{ duration: 10, fps: 24, seed: 1 });
plane(4);
box([0.02, 0.8, 0.24], #{ position: [-0.11, 0.4, 0], body: "fixed" });
box([0.02, 0.8, 0.24], #{ position: [0.11, 0.4, 0], body: "fixed" });
box([0.2, 0.8, 0.02], #{ position: [0, 0.4, -0.11], body: "fixed" });
box([0.2, 0.8, 0.02], #{ position: [0, 0.4, 0.11], body: "fixed" });
let water = liquid("water", #{ name: "water", particle_radius: 0.005, max: 20000 });
fill(water, #{ min: [-0.1, 0.0, -0.1], max: [0.1, 0.6, 0.1] });
"#;
    run("liquid 20k in a container", liquid, 20.0);
    let grains = r#"
world(#{ duration: 10, fps: 24, seed: 1 });
plane(4);
let sand = grains("sand", #{ name: "sand", particle_radius: 0.005, max: 20000 });
fill(sand, #{ min: [-0.15, 0.3, -0.15], max: [0.15, 1.3, 0.15] });
"#;
    run("grains 20k dropped into a pile", grains, 15.0);
}
