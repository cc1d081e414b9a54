//! Cloth and soft-body benchmarks: simulation time and peak memory.
//!
//!     cargo bench --bench deform
//!
//! Goals (2-core machine, release build): a 64x64-vertex cloth with wind
//! and a collider, 10 s at 60 Hz, in at most 2 s; a soft body of about
//! 2,000 tetrahedra, 10 s, in at most 2 s. Both take one physics step per
//! 60 Hz frame and 4 solver substeps per step (240 XPBD substeps per second).

use std::time::Instant;

use code2worlds::pipeline::{self, RunOptions};
use code2worlds::util::memory::{cpu_seconds, live_bytes, peak_bytes, reset_peak};

const CLOTH_64: &str = r#"
world(#{ duration: 10, fps: 60, substeps: 1 });
plane(10, #{ name: "ground" });
sphere(0.4, #{ name: "ball", position: [0, 1.2, 0.6] });
let pole = cylinder(0.03, 3, #{ name: "pole", position: [-1, 1.5, 0] });
cloth([2, 2], #{ name: "sheet", position: [0.02, 2.0, 0], resolution: 64, pin: "left", attach: pole, iterations: 4 });
wind(#{ direction: [1, 0, 0.5], speed: 6, gust: 0.5, turbulence: 0.4 });
"#;

const SOFT_2K: &str = r#"
world(#{ duration: 10, fps: 60, substeps: 1 });
plane(10, #{ name: "ground" });
soft_body("box", #{ name: "jelly", size: 0.5, resolution: 7, position: [0, 1, 0], iterations: 4 });
"#;

fn main() {
    for (name, src, goal) in [
        ("cloth_64x64", CLOTH_64, 2000.0),
        ("soft_2k_tets", SOFT_2K, 2000.0),
    ] {
        let base = live_bytes();
        reset_peak();
        let cpu0 = cpu_seconds();
        let t = Instant::now();
        let r = pipeline::run(src, &RunOptions::default(), &mut []);
        let cpu = (cpu_seconds() - cpu0) * 1000.0;
        let wall = t.elapsed().as_secs_f64() * 1000.0;
        assert!(r.report.ok, "{:?}", r.report.error);
        let d = &r.report.deformables[0];
        println!(
            "{name:<14} simulate {:>7.0} ms (goal <= {goal:.0} ms, {}), wall {wall:.0} ms, CPU {cpu:.0} ms (whole run), {} vertices, {} steps, peak {:.1} MB, max stretch {:.3}, volume {:.3}-{:.3}",
            r.report.timings.simulate_ms,
            if r.report.timings.simulate_ms <= goal {
                "met"
            } else {
                "MISSED"
            },
            d.vertices,
            r.report.steps,
            peak_bytes().saturating_sub(base) as f64 / (1024.0 * 1024.0),
            d.max_stretch,
            d.min_volume_ratio,
            d.max_volume_ratio,
        );
    }
}
