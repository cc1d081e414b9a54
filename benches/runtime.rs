//! Runtime benchmarks: build, rigid-body and particle throughput, and peak
//! memory. Each case runs in its own process so its peak memory is its own.
//!
//!     cargo bench --bench runtime
//!
//! Goals (2-core machine, release build): 1,000-entity world built in at most
//! 50 ms; 1,000 dynamic bodies for 600 steps in at most 2.5 s (measured
//! twice: a dense pile where every body touches several others, the hard
//! case, and the same bodies spread over a floor); 20,000
//! particles under wind for 600 steps in at most 2 s; `c2w check` under
//! 100 ms for every example.

use std::process::Command;
use std::time::Instant;

use code2worlds::pipeline::{self, RunOptions};
use code2worlds::util::memory::{live_bytes, peak_bytes, reset_peak};

const BUILD_1000: &str = r#"
world(#{ duration: 1, seed: 1 });
plane(200, #{ name: "ground" });
let materials = ["wood", "stone", "metal", "plastic", "rubber"];
for i in 0..999 {
    let p = [(i % 32) * 1.5 - 24.0, 0.5 + (i / 320) * 1.2, ((i / 32) % 10) * 1.5 - 7.5];
    if i % 2 == 0 {
        box([0.5, 0.5, 0.5], #{ name: `crate_${i}`, position: p, material: materials[i % 5], body: "dynamic" });
    } else {
        sphere(0.3, #{ name: `ball_${i}`, position: p, color: [rand(), rand(), rand()], body: "fixed" });
    }
}
"#;

const BODIES_1000: &str = r#"
world(#{ duration: 1, fps: 60, substeps: 10, seed: 1 });
plane(60, #{ name: "ground" });
for i in 0..1000 {
    let x = (i % 10) * 0.55 - 2.5;
    let z = ((i / 10) % 10) * 0.55 - 2.5;
    let y = 0.3 + (i / 100) * 0.55;
    box(0.5, #{ position: [x + rand_range(-0.02, 0.02), y, z], rotation: [0, rand_range(0, 30), 0], body: "dynamic" });
}
"#;

/// The same thousand bodies spread over a floor: each falls, lands and
/// settles among a few neighbours, as in most scenes.
const BODIES_1000_SPREAD: &str = r#"
world(#{ duration: 1, fps: 60, substeps: 10, seed: 1 });
plane(80, #{ name: "ground" });
for i in 0..1000 {
    let x = (i % 32) * 1.2 - 19.0;
    let z = (i / 32) * 1.2 - 19.0;
    if i % 2 == 0 {
        box(0.5, #{ position: [x, 0.6 + rand_range(0.0, 1.0), z], rotation: [rand_range(0, 40), rand_range(0, 90), 0], body: "dynamic" });
    } else {
        sphere(0.3, #{ position: [x, 0.6 + rand_range(0.0, 1.0), z], velocity: [rand_range(-1, 1), 0, rand_range(-1, 1)], body: "dynamic" });
    }
}
"#;

const PARTICLES_20K: &str = r#"
world(#{ duration: 1, fps: 60, substeps: 10, seed: 1 });
plane(200, #{ name: "ground", position: [0, -100, 0] });
wind(#{ direction: [1, 0, 0.3], speed: 4, gust: 0.5, turbulence: 0.4 });
emitter(#{ style: "snow", position: [0, 10, 0], size: [30, 10, 30], rate: 0, bursts: [[0, 20000]], max: 20000,
    lifetime: [100, 100], velocity: [0, -1, 0], gravity: 0.1, drag: 1.5, ground: "settle" });
"#;

fn mb(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Runs one case in this process and prints one result line.
fn run_case(name: &str) {
    let base = live_bytes();
    reset_peak();
    let (ms, goal, detail) = match name {
        "build_1000" => {
            let mut times = Vec::new();
            for _ in 0..15 {
                let t = Instant::now();
                let built = pipeline::build(BUILD_1000, &RunOptions::default())
                    .map_err(|f| f.error)
                    .expect("builds");
                times.push(t.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(built.session.with_world(|w| w.entities.len()), 1000);
            }
            times.sort_by(|a, b| a.total_cmp(b));
            (
                times[times.len() / 2],
                50.0,
                "median of 15 builds, 1,000 entities".to_string(),
            )
        }
        "bodies_1000_pile" | "bodies_1000_spread" => {
            let src = if name == "bodies_1000_pile" {
                BODIES_1000
            } else {
                BODIES_1000_SPREAD
            };
            let r = pipeline::run(src, &RunOptions::default(), &mut []);
            assert!(r.report.ok, "{:?}", r.report.error);
            let per_step = r.report.timings.simulate_ms / r.report.steps as f64;
            (
                per_step * 600.0,
                2500.0,
                format!("{} steps measured, scaled to 600", r.report.steps),
            )
        }
        "particles_20k" => {
            let r = pipeline::run(PARTICLES_20K, &RunOptions::default(), &mut []);
            assert!(r.report.ok, "{:?}", r.report.error);
            assert_eq!(r.report.counts.particles_peak, 20_000);
            let per_step = r.report.timings.simulate_ms / r.report.steps as f64;
            (
                per_step * 600.0,
                2000.0,
                format!("{} steps measured, scaled to 600", r.report.steps),
            )
        }
        "check_examples" => {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
            let mut worst = (0.0, String::new());
            let mut paths: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            paths.sort();
            for p in paths
                .iter()
                .filter(|p| p.extension().is_some_and(|x| x == "rhai"))
            {
                let src = std::fs::read_to_string(p).unwrap();
                let t = Instant::now();
                pipeline::build(&src, &RunOptions::default())
                    .map_err(|f| f.error)
                    .expect("builds");
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                if ms > worst.0 {
                    worst = (ms, p.file_name().unwrap().to_string_lossy().into_owned());
                }
            }
            (
                worst.0,
                100.0,
                format!("slowest example check: {}", worst.1),
            )
        }
        other => panic!("unknown case {other}"),
    };
    println!(
        "{name:<15} {ms:>9.1} ms   goal {goal:>6.0} ms  {}   heap peak {:>7.1} MB   RSS peak {:>7.1} MB   ({detail})",
        if ms <= goal { "met " } else { "MISS" },
        mb(peak_bytes().saturating_sub(base)),
        peak_rss_mb(),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--case") {
        run_case(&args[i + 1]);
        return;
    }
    let profile = if cfg!(debug_assertions) {
        "debug (figures not representative)"
    } else {
        "release"
    };
    println!(
        "code2worlds runtime benchmarks, {profile} build, {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let exe = std::env::current_exe().expect("own path");
    for case in [
        "build_1000",
        "check_examples",
        "bodies_1000_pile",
        "bodies_1000_spread",
        "particles_20k",
    ] {
        let status = Command::new(&exe)
            .args(["--case", case])
            .status()
            .expect("run case");
        if !status.success() {
            println!("{case:<15} FAILED ({status})");
        }
    }
}
