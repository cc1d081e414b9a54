//! Renderer throughput: a world of about 100k triangles, 10k particles and
//! sun shadows, 240 frames at 640x360. Prints milliseconds per frame.
//!
//! `cargo bench --bench render` (C2W_ADAPTER picks the adapter; BENCH_FRAMES,
//! BENCH_QUALITY=draft|default|high, BENCH_SIZE=WxH and BENCH_SCRIPT=FILE,
//! a world script to render instead of the built-in one, override the rest).

use std::time::Instant;

use code2worlds::output::{Recorder, RecorderOptions};
use code2worlds::pipeline::{RunOptions, build};
use code2worlds::render::{Quality, RenderOptions, Renderer};
use code2worlds::sim::{Frame, FrameSink, Simulation};

const SCENE: &str = r#"
world(#{ duration: 10, fps: 24, seed: 7 });
sun(#{ elevation: 38, azimuth: 140 });
plane(60, #{ material: "grass" });
// 10 x 10 spheres of 1024 triangles each: about 102k triangles.
for i in 0..10 {
    for j in 0..10 {
        let x = i * 1.6 - 7.2;
        let z = j * 1.6 - 7.2;
        sphere(0.3 + 0.03 * ((i + j) % 5), #{
            position: [x, 0.6 + 0.1 * (i % 3), z],
            color: [0.2 + 0.08 * i, 0.3, 0.9 - 0.08 * j],
            roughness: 0.4,
            body: "fixed",
        });
    }
}
emitter("snow", #{ position: [0, 5, 0], size: [18, 1, 18], rate: 0, bursts: [[0, 10000]],
                   lifetime: [100, 100], max: 10000, ground: "ignore", gravity: 0.01 });
camera(#{ position: [11, 6, 13], target: [0, 0.5, 0] });
"#;

fn main() {
    let frames: usize = std::env::var("BENCH_FRAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(240);
    let quality: Quality = std::env::var("BENCH_QUALITY")
        .ok()
        .map(|v| v.parse().expect("BENCH_QUALITY"))
        .unwrap_or_default();
    let (w, h) = std::env::var("BENCH_SIZE")
        .ok()
        .and_then(|v| {
            let (a, b) = v.split_once('x')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .unwrap_or((640, 360));
    let opts = RenderOptions::new(w, h)
        .with_quality(quality)
        .with_env()
        .expect("C2W_ADAPTER");
    let mut renderer = match Renderer::new(&opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot benchmark: {e}");
            std::process::exit(1);
        }
    };
    let script = match std::env::var("BENCH_SCRIPT") {
        Ok(path) => std::fs::read_to_string(&path).expect("BENCH_SCRIPT is readable"),
        Err(_) => SCENE.to_string(),
    };
    let built = build(&script, &RunOptions::default())
        .map_err(|failure| failure.error)
        .expect("bench scene builds");
    let session = built.session;
    println!("adapter: {}", renderer.adapter_info());
    println!(
        "{w}x{h}, quality {quality}, {}x MSAA{}, {frames} frames",
        renderer.msaa_samples(),
        if renderer.edge_filter() {
            " + edge filter"
        } else {
            ""
        }
    );

    // Simulate first so the timings below are rendering only.
    let t_sim = Instant::now();
    let frames_data: Vec<Frame> = session.with_world_mut(|world| {
        let mut sim = Simulation::new(world);
        let mut out = Vec::with_capacity(frames);
        for i in 0..frames {
            if i > 0 {
                for _ in 0..world.settings.substeps {
                    sim.step(world);
                }
            }
            out.push(sim.frame(world, i as u64));
        }
        out
    });
    let sim_ms = t_sim.elapsed().as_secs_f64() * 1000.0;
    let tris = session.with_world(|w| w.triangle_count());
    println!(
        "scene: {tris} triangles, {} particles (simulated in {sim_ms:.0} ms, not counted)",
        frames_data
            .last()
            .map_or(0, |f| f.particles.positions.len())
    );

    session.with_world(|world| {
        // Warm up: first use compiles shaders and uploads meshes.
        for f in frames_data.iter().take(3) {
            renderer.render(world, f).expect("warm-up render");
        }

        // Pipelined, as `c2w run` uses it.
        let start = Instant::now();
        let (mut submit_ms, mut readback_ms, mut got) = (0.0, 0.0, 0usize);
        let mut checksum = 0u64;
        let mut take = |r: code2worlds::render::Rendered| {
            readback_ms += r.readback_ms;
            got += 1;
            checksum = checksum.wrapping_add(r.image.data.iter().map(|&b| b as u64).sum::<u64>());
        };
        for f in &frames_data {
            let t = Instant::now();
            let done = renderer.submit(world, f).expect("submit");
            let spent = t.elapsed().as_secs_f64() * 1000.0;
            if let Some(r) = done {
                submit_ms += spent - r.readback_ms;
                take(r);
            } else {
                submit_ms += spent;
            }
        }
        for r in renderer.flush().expect("flush") {
            take(r);
        }
        let total = start.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(got, frames);
        let n = frames as f64;
        println!(
            "pipelined ({} in flight): render (prepare+encode+submit) {:.1} ms/frame, readback (wait+copy) {:.1} ms/frame, total {:.1} ms/frame, {:.2} s for {frames} frames (checksum {checksum})",
            opts.frames_in_flight,
            submit_ms / n,
            readback_ms / n,
            total / n,
            total / 1000.0
        );

        // One frame at a time, for comparison.
        let sync_frames = frames.min(48);
        let start = Instant::now();
        for f in frames_data.iter().take(sync_frames) {
            renderer.render(world, f).expect("render");
        }
        let total = start.elapsed().as_secs_f64() * 1000.0;
        println!(
            "synchronous render(): {:.1} ms/frame over {sync_frames} frames",
            total / sync_frames as f64
        );
    });

    // End to end as `c2w run` does it: render, read back, encode to H.264 on
    // the encoder thread and write the MP4 and the contact sheet.
    drop(renderer);
    let dir = std::env::temp_dir().join(format!("c2w_bench_render_{}", std::process::id()));
    let mut ro = RecorderOptions::new(dir.clone(), opts.clone());
    ro.video_quality = code2worlds::video::Quality::Default;
    let mut recorder = Recorder::new(ro);
    let start = Instant::now();
    session.with_world(|world| {
        for f in &frames_data {
            recorder.accept(world, f).expect("accept");
        }
        recorder.end(world, frames_data.last());
    });
    let total = start.elapsed().as_secs_f64();
    let s = recorder.stats();
    if let Some(e) = &s.error {
        eprintln!("recording failed: {e}");
        std::process::exit(1);
    }
    println!(
        "video: {} frames rendered and encoded to MP4 in {total:.2} s ({:.1} ms/frame): render {:.1} + readback {:.1} ms/frame on this thread, encode {:.1} ms/frame on the encoder thread",
        s.frames,
        total * 1000.0 / s.frames.max(1) as f64,
        s.render_ms_per_frame,
        s.readback_ms_per_frame,
        s.encode_ms_per_frame
    );
    let _ = std::fs::remove_dir_all(&dir);
}
