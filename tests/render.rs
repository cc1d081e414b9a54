//! The renderer on the software adapter (CI installs Mesa lavapipe): golden
//! images with a perceptual tolerance, the ID pass against geometry worked
//! out by hand, every example rendering, and `c2w run` writing a video that
//! reads back with the right frame count, size and duration.
//!
//! Golden images live in tests/golden/render/; regenerate them with
//! `C2W_BLESS=1 cargo test --test render golden` after a deliberate change
//! to the look, and look at them before committing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use code2worlds::pipeline::{self, RunOptions, render_at};
use code2worlds::render::{AdapterChoice, Quality, RenderOptions, Renderer, RgbaImage};
use code2worlds::sim::Simulation;
use code2worlds::video::{read_png, write_png};

fn sized(width: u32, height: u32, quality: Quality) -> RenderOptions {
    RenderOptions::new(width, height)
        .with_quality(quality)
        .with_adapter(AdapterChoice::Auto)
}

fn small(quality: Quality) -> RenderOptions {
    sized(160, 90, quality)
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Luma of an sRGB pixel, 0..255.
fn luma(p: &[u8]) -> f32 {
    0.2126 * p[0] as f32 + 0.7152 * p[1] as f32 + 0.0722 * p[2] as f32
}

/// Perceptual comparison: blur both images a little (3x3 box, so a
/// one-pixel edge shift between drivers is forgiven), then compare luma and
/// colour. Returns (mean difference, share of pixels off by more than 24
/// levels).
fn compare(a: &RgbaImage, b: &RgbaImage) -> (f32, f32) {
    assert_eq!(
        (a.width, a.height),
        (b.width, b.height),
        "image sizes differ"
    );
    let (w, h) = (a.width as i32, a.height as i32);
    let blurred = |img: &RgbaImage, x: i32, y: i32, c: usize| -> f32 {
        let mut sum = 0.0;
        let mut n = 0.0;
        for dy in -1..=1 {
            for dx in -1..=1 {
                let (sx, sy) = ((x + dx).clamp(0, w - 1), (y + dy).clamp(0, h - 1));
                sum += img.data[((sy * w + sx) * 4) as usize + c] as f32;
                n += 1.0;
            }
        }
        sum / n
    };
    let mut total = 0.0;
    let mut bad = 0usize;
    for y in 0..h {
        for x in 0..w {
            let d = (0..3)
                .map(|c| (blurred(a, x, y, c) - blurred(b, x, y, c)).abs())
                .fold(0.0, f32::max);
            total += d;
            if d > 24.0 {
                bad += 1;
            }
        }
    }
    let n = (w * h) as f32;
    (total / n, bad as f32 / n)
}

/// Scenes and times pinned as golden images: hard surfaces with shadows,
/// glass and water, particles, night sky and fire.
const GOLDEN: &[(&str, f64)] = &[
    ("domino_chain", 2.0),
    ("newtons_cradle", 0.5),
    ("spilling_cup", 1.0),
    ("rain", 2.0),
    ("burning_log", 2.0),
    ("jellyfish", 1.0),
    ("day_cycle", 4.0),
    ("falling_leaves", 3.0),
];

#[test]
fn golden_images_match_within_tolerance() {
    let bless = std::env::var_os("C2W_BLESS").is_some();
    let dir = root().join("tests/golden/render");
    let mut failures = Vec::new();
    for (name, t) in GOLDEN {
        let src = std::fs::read_to_string(root().join(format!("examples/{name}.rhai"))).unwrap();
        let (image, _) = render_at(&src, &RunOptions::default(), *t, &small(Quality::Default))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let path = dir.join(format!("{name}.png"));
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            write_png(&path, &image).unwrap();
            continue;
        }
        let golden = read_png(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (bless with C2W_BLESS=1)", path.display()));
        let (mean, bad) = compare(&image, &golden);
        if mean > 3.0 || bad > 0.01 {
            let got = std::env::temp_dir().join(format!("c2w_render_{name}.png"));
            let _ = write_png(&got, &image);
            failures.push(format!(
                "{name} at {t} s: mean difference {mean:.2} levels, {:.2} % of pixels off \
                 (limits 3.0 and 1 %); this run's image is {}",
                bad * 100.0,
                got.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_comparison_catches_a_changed_image() {
    // The tolerance must not hide real changes: moving the camera a little
    // or recolouring an object fails it.
    let src = std::fs::read_to_string(root().join("examples/domino_chain.rhai")).unwrap();
    let opts = small(Quality::Default);
    let (a, _) = render_at(&src, &RunOptions::default(), 2.0, &opts).unwrap();
    let (b, _) = render_at(&src, &RunOptions::default(), 2.0, &opts).unwrap();
    assert_eq!(
        compare(&a, &b),
        (0.0, 0.0),
        "the same frame renders identically"
    );
    let moved = src.replace("fov: 45", "fov: 35");
    assert_ne!(moved, src, "the example sets its camera");
    let (c, _) = render_at(&moved, &RunOptions::default(), 2.0, &opts).unwrap();
    let (mean, bad) = compare(&a, &c);
    assert!(
        mean > 3.0 || bad > 0.01,
        "a 10 degree zoom passed as equal: {mean} {bad}"
    );
}

/// A unit cube at the origin seen head-on from 5 m with a 50 degree
/// vertical field of view: its front face (at z = 0.5, 4.5 m away) spans
/// 2 * atan(0.5 / 4.5) of the view, 0.238 of the half-height, so on a
/// 160x90 image it is a square about 21.4 pixels wide, centred.
#[test]
fn the_id_pass_covers_the_pixels_of_a_known_box() {
    let src = r#"
        world(#{ duration: 1.0 });
        box(1.0, #{ name: "cube", position: [0, 0, 0], color: "red" });
        camera(#{ position: [0, 0, 5], target: [0, 0, 0], fov: 50 });
    "#;
    let built = pipeline::build(src, &RunOptions::default())
        .map_err(|f| f.error)
        .unwrap();
    let mut renderer = Renderer::new(&small(Quality::Draft)).unwrap();
    let analysis = built.session.with_world_mut(|w| {
        let sim = Simulation::new(w);
        renderer.analyse(w, &sim.frame(w, 0)).unwrap()
    });
    let cube = built.session.with_world(|w| entity_index(w, "cube"));
    let half = 0.5 / 4.5 / (25f32.to_radians().tan()) * 45.0;
    assert!((half - 10.7).abs() < 0.1);
    let (cx, cy) = (80.0f32, 45.0f32);
    let mut wrong = Vec::new();
    for y in 0..90u32 {
        for x in 0..160u32 {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            let inside = (px - cx).abs() < half - 1.0 && (py - cy).abs() < half - 1.0;
            let outside = (px - cx).abs() > half + 1.0 || (py - cy).abs() > half + 1.0;
            let id = analysis.id_at(x, y);
            if inside && id != cube as u32 + 1 {
                wrong.push(format!("({x},{y}) should show the cube, shows id {id}"));
            }
            if outside && id == cube as u32 + 1 {
                wrong.push(format!("({x},{y}) should not show the cube"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong pixels, e.g. {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
    let expected = (2.0 * half) * (2.0 * half) / (160.0 * 90.0);
    let coverage = analysis.coverage(cube);
    assert!(
        (coverage - expected).abs() < expected * 0.15,
        "coverage {coverage}, expected {expected}"
    );
    // The depth pass: the front face is 4.5 m from the camera at the centre.
    let d = analysis.depth_at(80, 45);
    assert!((d - 4.5).abs() < 0.05, "depth at the centre {d}");
    assert_eq!(analysis.camera_inside(), None);
}

#[test]
fn a_camera_inside_a_box_is_detected() {
    let src = r#"
        box(4.0, #{ name: "room", position: [0, 0, 0] });
        camera(#{ position: [0, 0, 0.5], target: [0, 0, -1] });
    "#;
    let built = pipeline::build(src, &RunOptions::default())
        .map_err(|f| f.error)
        .unwrap();
    let mut renderer = Renderer::new(&small(Quality::Draft)).unwrap();
    let (analysis, room) = built.session.with_world_mut(|w| {
        let sim = Simulation::new(w);
        (
            renderer.analyse(w, &sim.frame(w, 0)).unwrap(),
            entity_index(w, "room"),
        )
    });
    assert_eq!(analysis.camera_inside(), Some(room));
}

#[test]
fn every_example_renders() {
    let mut failures = Vec::new();
    let mut renderer = Renderer::new(&small(Quality::Draft)).unwrap();
    for path in common::example_scripts() {
        let src = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let built = match pipeline::build(&src, &RunOptions::default()) {
            Ok(b) => b,
            Err(f) => {
                failures.push(format!("{name}: {}", f.error.message));
                continue;
            }
        };
        // The first frame, then one a second in, with particles in the air.
        let result = built.session.with_world_mut(|w| {
            let mut sim = Simulation::new(w);
            let first = renderer.render(w, &sim.frame(w, 0))?;
            for _ in 0..(w.settings.fps * w.settings.substeps) {
                sim.step(w);
            }
            let later = renderer.render(w, &sim.frame(w, w.settings.fps as u64))?;
            Ok::<_, code2worlds::render::RenderError>((first, later))
        });
        match result {
            Ok((first, later)) => {
                // Not a blank frame: the picture has some contrast.
                for (which, img) in [("first", &first), ("later", &later)] {
                    let lumas: Vec<f32> = img.data.chunks(4).map(luma).collect();
                    let (lo, hi) = lumas
                        .iter()
                        .fold((255f32, 0f32), |(lo, hi), l| (lo.min(*l), hi.max(*l)));
                    if hi - lo < 20.0 {
                        failures.push(format!("{name}: the {which} frame is flat ({lo}..{hi})"));
                    }
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn entity_index(w: &code2worlds::world::World, name: &str) -> usize {
    match w.lookup(name) {
        Some(code2worlds::world::Named::Entity(id)) => id.index(),
        other => panic!("{name}: {other:?}"),
    }
}

fn c2w() -> Command {
    Command::new(env!("CARGO_BIN_EXE_c2w"))
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn run_writes_a_video_that_reads_back_right() {
    let out = tempfile::tempdir().unwrap();
    let status = c2w()
        .args([
            "run",
            "examples/pendulum.rhai",
            "--duration",
            "1.5",
            "--size",
            "160x90",
        ])
        .args([
            "--quality",
            "draft",
            "--frames",
            "--snap",
            "0.5,1.0",
            "--critic",
            "--out",
        ])
        .arg(out.path())
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let info = code2worlds::video::probe_mp4(&out.path().join("video.mp4")).unwrap();
    assert_eq!((info.width, info.height), (160, 90));
    assert_eq!(info.frames, 36);
    assert!((info.duration_s - 1.5).abs() < 1e-6, "{}", info.duration_s);
    assert!(info.fast_start);
    // Every frame as a PNG, the snapshots and the contact sheet.
    let frames = files_in(&out.path().join("frames"));
    assert_eq!(frames.len(), 36);
    assert!(frames[0].ends_with("0000.png"));
    for f in [
        "snap_0.50s.png",
        "snap_1.00s.png",
        "contact_sheet.png",
        "critic.json",
    ] {
        assert!(out.path().join(f).is_file(), "{f} missing");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["render"]["frames"], 36);
    assert!(report["render"]["error"].is_null());
    let critic: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("critic.json")).unwrap())
            .unwrap();
    let visual = critic["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "visual")
        .expect("a visual check status");
    assert_eq!(visual["status"], "ran");
}

#[test]
fn no_render_writes_no_images_and_render_at_writes_one() {
    let out = tempfile::tempdir().unwrap();
    let ok = c2w()
        .args([
            "run",
            "examples/pendulum.rhai",
            "--duration",
            "0.5",
            "--no-render",
            "--out",
        ])
        .arg(out.path())
        .current_dir(root())
        .status()
        .unwrap();
    assert!(ok.success());
    assert!(out.path().join("report.json").is_file());
    assert!(!out.path().join("video.mp4").exists());
    assert!(!out.path().join("contact_sheet.png").exists());

    let png = out.path().join("still.png");
    let ok = c2w()
        .args([
            "render",
            "examples/pendulum.rhai",
            "--at",
            "0.75",
            "--size",
            "200x120",
            "--out",
        ])
        .arg(&png)
        .current_dir(root())
        .status()
        .unwrap();
    assert!(ok.success());
    let img = read_png(&png).unwrap();
    assert_eq!((img.width, img.height), (200, 120));
}

#[test]
fn a_bad_size_or_adapter_is_a_clear_error() {
    let o = c2w()
        .args(["render", "examples/pendulum.rhai", "--size", "640by360"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("WIDTHxHEIGHT"));
    let o = c2w()
        .args(["render", "examples/pendulum.rhai", "--adapter", "quantum"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("auto, gpu, cpu, vulkan or gl"));
}

/// Default quality smooths a slanted edge: on a software adapter with the
/// edge filter, in a hardware one with MSAA. Draft leaves it as a hard
/// step, so pixels between the two flat colours appear only with
/// anti-aliasing.
#[test]
fn default_quality_smooths_slanted_edges() {
    let src = r#"
        world(#{ duration: 1.0 });
        sky(#{ kind: "color", color: "black", ambient: 0 });
        box([1.6, 1.6, 0.1], #{ position: [0, 0, 0], rotation: [0, 0, 17], emissive: "white", emissive_strength: 1, color: "black" });
        camera(#{ position: [0, 0, 5], target: [0, 0, 0], fov: 50 });
    "#;
    let between = |quality: Quality| -> usize {
        let (image, _) = render_at(src, &RunOptions::default(), 0.0, &small(quality)).unwrap();
        let lumas: Vec<f32> = image.data.chunks_exact(4).map(luma).collect();
        let hi = lumas.iter().cloned().fold(0.0, f32::max);
        lumas
            .iter()
            .filter(|&&l| l > hi * 0.15 && l < hi * 0.85)
            .count()
    };
    let hard = between(Quality::Draft);
    let smooth = between(Quality::Default);
    // The square's outline is about 4 x 45 pixels long.
    assert!(
        smooth > hard + 60,
        "in-between pixels: draft {hard}, default {smooth}"
    );
    let renderer = Renderer::new(&small(Quality::Default)).unwrap();
    assert!(renderer.edge_filter() || renderer.msaa_samples() > 1);
}

/// Tall swaying posts in a row along the wind, seen from the side, with the
/// air strong over the middle of the row and calm at its ends. Each post's
/// lean (mean x of its top pixels minus that of its base) should follow the
/// air where it stands: the renderer reads the frame's wind line, so a gust
/// bends only the foliage it is passing.
#[test]
fn foliage_bends_with_the_air_where_it_stands() {
    let mut src = String::from(
        "world(#{ duration: 1.0 });\n\
         wind(#{ direction: [1, 0, 0], speed: 3, gust: 0 });\n\
         camera(#{ position: [0, 2, 30], target: [0, 2, 0], fov: 50 });\n",
    );
    const POSTS: usize = 12;
    for i in 0..POSTS {
        let x = i as f32 * 2.5 - 13.75;
        src.push_str(&format!(
            "box([0.15, 4, 0.15], #{{ name: \"post{i}\", position: [{x}, 2, 0], sway: 1.0 }});\n"
        ));
    }
    let built = pipeline::build(&src, &RunOptions::default())
        .map_err(|f| f.error)
        .unwrap();
    let mut renderer = Renderer::new(&sized(640, 360, Quality::Draft)).unwrap();
    let leans = |gust_in_middle: bool, renderer: &mut Renderer| -> Vec<f32> {
        built.session.with_world_mut(|w| {
            let sim = Simulation::new(w);
            let mut frame = sim.frame(w, 0);
            let line = &mut frame.wind_line;
            line.axis = glam::Vec3::X;
            line.origin = glam::Vec3::ZERO;
            line.spacing = 2.0;
            for (i, s) in line.samples.iter_mut().enumerate() {
                let strong = gust_in_middle && (6..=9).contains(&i);
                *s = glam::Vec3::X * if strong { 8.0 } else { 1.0 };
            }
            let a = renderer.analyse(w, &frame).unwrap();
            (0..POSTS)
                .map(|i| {
                    let id = entity_index(w, &format!("post{i}")) as u32 + 1;
                    let (_, y0, _, y1) = a.bounding_rect(id as usize - 1).expect("post in view");
                    let band = ((y1 - y0) / 6).max(1);
                    let mean_x = |lo: u32, hi: u32| -> f32 {
                        let (mut sum, mut n) = (0.0f32, 0.0f32);
                        for y in lo..=hi {
                            for x in 0..640 {
                                if a.id_at(x, y) == id {
                                    sum += x as f32;
                                    n += 1.0;
                                }
                            }
                        }
                        sum / n.max(1.0)
                    };
                    mean_x(y0, y0 + band) - mean_x(y1 - band, y1)
                })
                .collect()
        })
    };
    let gust = leans(true, &mut renderer);
    let calm = leans(false, &mut renderer);
    // Post i stands at x = 2.5 i - 13.75; the strong samples cover
    // x = -3..5 (samples 6..9 at 2 m spacing around the middle).
    let gusted: Vec<usize> = (0..POSTS)
        .filter(|i| (-2.5..=4.5).contains(&(*i as f32 * 2.5 - 13.75)))
        .collect();
    let far: Vec<usize> = (0..POSTS)
        .filter(|i| (*i as f32 * 2.5 - 13.75).abs() > 8.0)
        .collect();
    let mean = |v: &[f32], ids: &[usize]| ids.iter().map(|i| v[*i]).sum::<f32>() / ids.len() as f32;
    let (g_mid, g_far) = (mean(&gust, &gusted), mean(&gust, &far));
    assert!(
        g_mid > 6.0 && g_mid > 3.0 * g_far.abs().max(1.0),
        "posts in the gust should lean downwind much more than the rest: {gust:?}"
    );
    let spread = calm.iter().cloned().fold(f32::MIN, f32::max)
        - calm.iter().cloned().fold(f32::MAX, f32::min);
    assert!(
        spread < 3.0 && calm.iter().all(|l| *l > -1.0),
        "in uniform air all posts lean alike: {calm:?}"
    );
}

/// Ambient occlusion darkens the ground where a box stands on it, and not
/// the open ground in the same row of the image. Lit by the sky alone (no
/// sun), every pixel is ambient light, so without occlusion (drafts) the
/// two are alike.
#[test]
fn ambient_occlusion_darkens_the_ground_at_a_contact() {
    let src = r##"
        world(#{ duration: 1.0 });
        plane(30, #{ name: "ground", color: "#b0b0b0" });
        box(1.0, #{ name: "block", position: [0, 0.5, 0], color: "#b0b0b0" });
        sun(#{ intensity: 0 });
        camera(#{ position: [0, 2.5, 4], target: [0, 0.4, 0], fov: 45 });
    "##;
    let built = pipeline::build(src, &RunOptions::default())
        .map_err(|f| f.error)
        .unwrap();
    let ratio = |quality: Quality| -> f32 {
        let mut renderer = Renderer::new(&sized(320, 180, quality)).unwrap();
        built.session.with_world_mut(|w| {
            let sim = Simulation::new(w);
            let frame = sim.frame(w, 0);
            let a = renderer.analyse(w, &frame).unwrap();
            let image = renderer.render(w, &frame).unwrap();
            let block = entity_index(w, "block");
            let (_, _, _, bottom) = a.bounding_rect(block).expect("block in view");
            // Just below the block's front edge, and far to the left in the
            // same row (ground at about the same distance).
            let y = bottom + 2;
            let near = luma(&image.pixel(160, y).unwrap());
            let far = luma(&image.pixel(12, y).unwrap());
            assert_eq!(
                a.id_at(160, y),
                a.id_at(12, y),
                "both pixels show the ground"
            );
            near / far.max(1.0)
        })
    };
    let draft = ratio(Quality::Draft);
    assert!(
        draft > 0.95,
        "without occlusion the ground is evenly lit: near/far {draft}"
    );
    for q in [Quality::Default, Quality::High] {
        let r = ratio(q);
        eprintln!("{q}: near/far {r:.3} (draft {draft:.3})");
        assert!(
            r < draft - 0.08,
            "{q}: the ground at the block's foot should be darker than open ground: near/far {r}, draft {draft}"
        );
    }
}

/// A glowing ball on a black sky spills light onto the pixels around it at
/// default quality (bloom), and not in a draft.
#[test]
fn bright_light_blooms_around_its_source() {
    let src = r##"
        world(#{ duration: 1.0 });
        sky(#{ kind: "color", color: "#000000", ambient: 0, stars: false, moon: false });
        sphere(0.4, #{ name: "lamp", position: [0, 0, 0], color: "#ffffff", emissive: "#ffe0b0", emissive_strength: 30 });
        camera(#{ position: [0, 0, 5], target: [0, 0, 0], fov: 40 });
    "##;
    let built = pipeline::build(src, &RunOptions::default())
        .map_err(|f| f.error)
        .unwrap();
    // Mean luma of a ring around the ball, 1.5 to 2.5 radii from its centre.
    let halo = |quality: Quality| -> f32 {
        let mut renderer = Renderer::new(&sized(320, 180, quality)).unwrap();
        let image = built.session.with_world_mut(|w| {
            let sim = Simulation::new(w);
            renderer.render(w, &sim.frame(w, 0)).unwrap()
        });
        // 0.4 m at 5 m with a 40 degree view: 0.4 / 5 / tan(20) * 90 px.
        let r = 0.4 / 5.0 / 20f32.to_radians().tan() * 90.0;
        let (mut sum, mut n) = (0.0, 0.0);
        for y in 0..180u32 {
            for x in 0..320u32 {
                let d = ((x as f32 + 0.5 - 160.0).powi(2) + (y as f32 + 0.5 - 90.0).powi(2)).sqrt();
                if d > 1.5 * r && d < 2.5 * r {
                    sum += luma(&image.pixel(x, y).unwrap());
                    n += 1.0;
                }
            }
        }
        sum / n
    };
    let draft = halo(Quality::Draft);
    let bloomed = halo(Quality::Default);
    eprintln!("ring luma: draft {draft:.1}, default {bloomed:.1}");
    assert!(
        draft < 3.0,
        "no light around the ball without bloom: {draft}"
    );
    assert!(
        bloomed > draft + 8.0,
        "bloom should light the ring around the ball: {bloomed} vs {draft}"
    );
}

/// Mean luma step between horizontally neighbouring pixels of a
/// rectangle: how much fine detail it holds (a smooth gradient has none).
fn luma_detail(image: &RgbaImage, x0: u32, y0: u32, x1: u32, y1: u32) -> f32 {
    let mut sum = 0.0;
    let mut n = 0.0;
    for y in y0..y1 {
        for x in x0..x1 - 1 {
            let a = luma(&image.pixel(x, y).unwrap());
            let b = luma(&image.pixel(x + 1, y).unwrap());
            sum += (a - b).abs();
            n += 1.0;
        }
    }
    sum / n
}

/// Waves make a water surface uneven across the image and move over time;
/// the same surface without them is smooth and still. Their physics is the
/// still surface: the plane's collider does not move.
#[test]
fn waves_ruffle_and_move_a_water_surface() {
    let scene = |waves: &str| {
        format!(
            r##"
        world(#{{ duration: 2.0 }});
        sun(#{{ direction: [-0.3, -0.5, -1], intensity: 3 }});
        plane(60, #{{ name: "sea", material: "water", color: "#1f4f6a", roughness: 0.08 {waves} }});
        camera(#{{ position: [0, 3, 14], target: [0, 0, 0], fov: 50 }});
    "##
        )
    };
    let render = |src: &str, time: f64| -> RgbaImage {
        let built = pipeline::build(src, &RunOptions::default())
            .map_err(|f| f.error)
            .unwrap();
        let mut renderer = Renderer::new(&sized(320, 180, Quality::Draft)).unwrap();
        built.session.with_world_mut(|w| {
            let sim = Simulation::new(w);
            let mut frame = sim.frame(w, 0);
            frame.time = time;
            renderer.render(w, &frame).unwrap()
        })
    };
    let wavy = scene(", waves: 0.5, wave_length: 5");
    let still = scene("");
    let (w0, w1) = (render(&wavy, 0.0), render(&wavy, 0.7));
    let (s0, s1) = (render(&still, 0.0), render(&still, 0.7));
    // The lower half of the frame is water in all of them.
    let (wavy_detail, still_detail) = (
        luma_detail(&w0, 0, 100, 320, 180),
        luma_detail(&s0, 0, 100, 320, 180),
    );
    eprintln!("luma detail: wavy {wavy_detail:.2}, still {still_detail:.2}");
    assert!(
        wavy_detail > 4.0 * still_detail.max(0.5),
        "waves should break up the surface: detail {wavy_detail} vs still {still_detail}"
    );
    let (moved, _) = compare(&w0, &w1);
    let (unmoved, _) = compare(&s0, &s1);
    eprintln!("difference over 0.7 s: wavy {moved:.2}, still {unmoved:.2}");
    assert!(moved > 2.0, "waves should travel: mean difference {moved}");
    assert!(unmoved < 0.5, "still water stays still: {unmoved}");
}

/// Shaped terrain wears its bands: a mountain range shows snow on its tops
/// and rock on its flanks beside the green of its floor.
#[test]
fn mountains_show_rock_and_snow_over_their_grass() {
    let src = r##"
        import "nature" as nature;
        world(#{ duration: 1.0, seed: 3 });
        nature::terrain([80, 80], #{ name: "range", shape: "mountains", height: 2.5, resolution: 64 });
        camera(#{ position: [0, 4, 8], target: [0, 7, -40], fov: 70 });
    "##;
    let built = pipeline::build(src, &RunOptions::default())
        .map_err(|f| f.error)
        .unwrap();
    let mut renderer = Renderer::new(&sized(320, 180, Quality::Draft)).unwrap();
    let (green, grey, white) = built.session.with_world_mut(|w| {
        let sim = Simulation::new(w);
        let frame = sim.frame(w, 0);
        let a = renderer.analyse(w, &frame).unwrap();
        let image = renderer.render(w, &frame).unwrap();
        let range = entity_index(w, "range") as u32 + 1;
        let (mut green, mut grey, mut white) = (0, 0, 0);
        for y in 0..180 {
            for x in 0..320 {
                if a.id_at(x, y) != range {
                    continue;
                }
                let p = image.pixel(x, y).unwrap();
                let (r, g, b) = (p[0] as f32, p[1] as f32, p[2] as f32);
                let (hi, lo) = (r.max(g).max(b), r.min(g).min(b));
                if g > r * 1.15 && g > b * 1.15 {
                    green += 1;
                } else if hi - lo < 0.12 * hi && hi > 180.0 {
                    white += 1;
                } else if hi - lo < 0.2 * hi {
                    grey += 1;
                }
            }
        }
        (green, grey, white)
    });
    eprintln!("mountain pixels: green {green}, grey {grey}, white {white}");
    assert!(green > 500, "the floor stays grass: {green}");
    assert!(grey > 300, "the flanks are rock: {grey}");
    assert!(white > 100, "the tops are snow: {white}");
}

/// A heap of grains keeps its colour under ambient occlusion: its
/// particles stand for far finer sand, so the gaps between them are not
/// crevices to darken (they made a dune's sand flow look like dark soil).
#[test]
fn grain_heaps_are_not_darkened_by_ambient_occlusion() {
    let src = r##"
        world(#{ duration: 1.0, seed: 3 });
        plane(6, #{ name: "floor", color: "#8a8a8a" });
        let sand = grains("sand", #{ name: "sand", particle_radius: 0.03, max: 3000, color: "#e8c48a" });
        fill(sand, #{ min: [-0.6, 0.0, -0.6], max: [0.6, 0.35, 0.6] });
        sun(#{ elevation: 20, azimuth: 180, intensity: 1.0 });
        sky(#{ ambient: 1.0 });
        camera(#{ position: [0, 1.6, 2.4], target: [0, 0.1, 0], fov: 50 });
    "##;
    let built = pipeline::build(src, &RunOptions::default())
        .map_err(|f| f.error)
        .unwrap();
    let mean = |quality: Quality| {
        let mut renderer = Renderer::new(&sized(320, 180, quality)).unwrap();
        built.session.with_world_mut(|w| {
            let sim = Simulation::new(w);
            let frame = sim.frame(w, 0);
            let a = renderer.analyse(w, &frame).unwrap();
            let image = renderer.render(w, &frame).unwrap();
            let sand = entity_index(w, "sand") as u32 + 1;
            let (mut sum, mut n) = (0.0, 0);
            for y in 0..180 {
                for x in 0..320 {
                    if a.id_at(x, y) == sand {
                        let p = image.pixel(x, y).unwrap();
                        sum += (p[0] as f64 + p[1] as f64 + p[2] as f64) / 3.0;
                        n += 1;
                    }
                }
            }
            assert!(n > 2000, "the heap covers {n} pixels");
            sum / n as f64
        })
    };
    let (plain, occluded) = (mean(Quality::Draft), mean(Quality::Default));
    eprintln!("grain heap brightness: draft {plain:.1}, default {occluded:.1}");
    assert!(
        occluded > plain * 0.93,
        "occlusion darkened the heap from {plain:.1} to {occluded:.1}"
    );
}
