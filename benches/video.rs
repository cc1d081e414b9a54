//! Output-encoding benchmark (not a test): 240 frames of moving synthetic
//! content at 640x360, as `c2w run` would produce them.
//!
//! Prints, per frame: colour conversion, H.264 encoding, the pipelined
//! writer's wall time with and without a simulated renderer on the calling
//! thread, PNG frame dumping, and the contact sheet.
//!
//! Run with `cargo bench --bench video`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use code2worlds::video::{
    FrameDumper, Quality, SheetOptions, VideoWriter, Yuv420, contact_sheet_from_mp4, rgba_to_yuv420,
};

const W: u32 = 640;
const H: u32 = 360;
const FRAMES: u32 = 240;
const FPS: u32 = 24;

/// A lit-looking scene: sky gradient, a scrolling checkered floor and a few
/// shaded balls moving across it.
fn synth_frame(t: u32, out: &mut Vec<u8>) {
    out.clear();
    let horizon = H * 55 / 100;
    let balls: Vec<(f32, f32, f32, [f32; 3])> = (0..5)
        .map(|k| {
            let phase = t as f32 * 0.04 + k as f32 * 1.3;
            let x = W as f32 * (0.15 + 0.17 * k as f32) + 40.0 * phase.sin();
            let y = horizon as f32 + 30.0 - 80.0 * (phase * 1.7).sin().abs();
            let colour = [
                [0.9, 0.3, 0.2],
                [0.2, 0.7, 0.3],
                [0.2, 0.4, 0.9],
                [0.9, 0.8, 0.2],
                [0.7, 0.3, 0.8],
            ][k];
            (x, y, 26.0 + 4.0 * k as f32, colour)
        })
        .collect();
    for y in 0..H {
        for x in 0..W {
            let mut rgb = if y < horizon {
                let s = y as f32 / horizon as f32;
                [0.35 + 0.4 * s, 0.55 + 0.3 * s, 0.95]
            } else {
                let depth = (y - horizon + 8) as f32;
                let u =
                    ((x as f32 - W as f32 / 2.0) / depth * 40.0 + t as f32 * 0.5).floor() as i32;
                let v = (4000.0 / depth + t as f32 * 0.8).floor() as i32;
                let c = if (u + v) & 1 == 0 { 0.75 } else { 0.35 };
                let fog = (depth / (H - horizon) as f32).min(1.0);
                [c * fog + 0.6 * (1.0 - fog); 3]
            };
            for &(bx, by, r, colour) in &balls {
                let (dx, dy) = (x as f32 - bx, y as f32 - by);
                let d2 = dx * dx + dy * dy;
                if d2 < r * r {
                    let nz = (1.0 - d2 / (r * r)).sqrt();
                    let light = 0.25 + 0.75 * (0.5 * nz - 0.4 * dx / r - 0.5 * dy / r).max(0.0);
                    rgb = [colour[0] * light, colour[1] * light, colour[2] * light];
                }
            }
            out.extend_from_slice(&[
                (rgb[0].clamp(0.0, 1.0) * 255.0) as u8,
                (rgb[1].clamp(0.0, 1.0) * 255.0) as u8,
                (rgb[2].clamp(0.0, 1.0) * 255.0) as u8,
                255,
            ]);
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn spin(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    println!("video bench: {FRAMES} frames {W}x{H} at {FPS} fps");

    let t = Instant::now();
    let frames: Vec<Vec<u8>> = (0..FRAMES)
        .map(|i| {
            let mut f = Vec::new();
            synth_frame(i, &mut f);
            f
        })
        .collect();
    println!(
        "  synthesising frames:      {:7.2} ms/frame (setup, not counted)",
        ms(t.elapsed()) / FRAMES as f64
    );

    let mut yuv = Yuv420::for_size(W, H).expect("yuv");
    let t = Instant::now();
    for f in &frames {
        rgba_to_yuv420(black_box(f), W, H, &mut yuv).expect("convert");
    }
    println!(
        "  RGBA -> YUV 4:2:0 alone:  {:7.2} ms/frame",
        ms(t.elapsed()) / FRAMES as f64
    );

    for quality in [Quality::Draft, Quality::Default, Quality::High] {
        let path = dir.path().join(format!("{}.mp4", quality.name()));
        let t = Instant::now();
        let mut writer = VideoWriter::create(&path, W, H, FPS, quality).expect("writer");
        for f in &frames {
            writer.push(f.clone()).expect("push");
        }
        let stats = writer.finish().expect("finish");
        let wall = ms(t.elapsed());
        let n = stats.frames as f64;
        println!(
            "  {:<8} convert {:5.2} + encode {:5.2} ms/frame (worker); mux+write {:5.1} ms; \
             wall {:6.0} ms ({:5.2} ms/frame); {} kB, {:.0} kbit/s",
            quality.name(),
            stats.convert_ms_total / n,
            stats.encode_ms_total / n,
            stats.mux_ms,
            wall,
            wall / n,
            stats.bytes / 1000,
            stats.bytes as f64 * 8.0 / stats.duration_s / 1000.0,
        );
    }

    // Overlap: the caller "renders" for a fixed time per frame while the
    // worker encodes; the total should be close to the render time alone.
    let render = Duration::from_millis(20);
    let path = dir.path().join("overlap.mp4");
    let t = Instant::now();
    let mut writer = VideoWriter::create(&path, W, H, FPS, Quality::Default).expect("writer");
    for f in &frames {
        spin(render);
        writer.push(f.clone()).expect("push");
    }
    let stats = writer.finish().expect("finish");
    let wall = ms(t.elapsed());
    println!(
        "  with a {} ms/frame renderer on the caller: wall {:6.0} ms vs {:6.0} ms rendering alone \
         (+{:.1} ms/frame for video; push blocked {:.0} ms in all)",
        render.as_millis(),
        wall,
        ms(render) * FRAMES as f64,
        (wall - ms(render) * FRAMES as f64) / FRAMES as f64,
        stats.queue_wait_ms,
    );

    let t = Instant::now();
    let sheet = contact_sheet_from_mp4(&path, &SheetOptions::default()).expect("sheet");
    println!(
        "  contact sheet 3x3 from the MP4 (decode {} frames + layout): {:6.0} ms, {}x{}",
        FRAMES,
        ms(t.elapsed()),
        sheet.width,
        sheet.height
    );

    let frames_dir = dir.path().join("frames");
    let t = Instant::now();
    let mut dumper = FrameDumper::create(&frames_dir, W, H, 2).expect("dumper");
    for f in &frames {
        dumper.push(f.clone()).expect("push");
    }
    let stats = dumper.finish().expect("finish");
    let wall = ms(t.elapsed());
    println!(
        "  PNG frame dump (2 writers): wall {:6.0} ms ({:5.2} ms/frame), \
         {:5.2} ms/frame per writer, {} kB/frame",
        wall,
        wall / FRAMES as f64,
        stats.write_ms_total / FRAMES as f64,
        stats.bytes / FRAMES as u64 / 1000
    );
}
