//! glTF export: a round trip through the `gltf` reader against the trace,
//! the Khronos validator on every example (where Node and the validator
//! are installed), the viewer's server, and the viewer page in headless
//! Chromium (where Chromium and playwright-core are installed).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use code2worlds::export::{ExportOptions, Exporter, viewer::Viewer, write};
use code2worlds::measure::Trace;
use code2worlds::pipeline::{RunOptions, run};
use glam::{Quat, Vec3};

fn example(name: &str) -> String {
    std::fs::read_to_string(format!("examples/{name}.rhai")).unwrap()
}

/// Runs a script with the exporter; returns the GLB bytes and the trace.
fn export(name: &str, duration: Option<f64>) -> (Vec<u8>, Trace) {
    let opts = RunOptions {
        duration,
        ..Default::default()
    };
    let mut exporter = Exporter::new(ExportOptions::default());
    let result = run(&example(name), &opts, &mut [&mut exporter]);
    assert!(
        result.report.error.is_none(),
        "{name}: {:?}",
        result.report.error
    );
    let doc = exporter.take_document().expect("a document");
    (doc.to_glb().unwrap(), result.trace.unwrap())
}

/// One node's local transform at time `t`, from its animation channels.
fn sample(gltf: &gltf::Gltf, blob: &[u8], node: &gltf::Node, t: f32) -> (Vec3, Quat, Vec3) {
    let (tr, rot, sc) = node.transform().decomposed();
    let (mut tr, mut rot, mut sc) = (Vec3::from(tr), Quat::from_array(rot), Vec3::from(sc));
    for anim in gltf.animations() {
        for ch in anim.channels() {
            if ch.target().node().index() != node.index() {
                continue;
            }
            let reader = ch.reader(|_| Some(blob));
            let times: Vec<f32> = reader.read_inputs().unwrap().collect();
            let k = times.partition_point(|&x| x <= t).clamp(1, times.len()) - 1;
            let next = (k + 1).min(times.len() - 1);
            let s = if next == k
                || ch.sampler().interpolation() == gltf::animation::Interpolation::Step
            {
                0.0
            } else {
                ((t - times[k]) / (times[next] - times[k])).clamp(0.0, 1.0)
            };
            use gltf::animation::util::ReadOutputs;
            match reader.read_outputs().unwrap() {
                ReadOutputs::Translations(v) => {
                    let v: Vec<Vec3> = v.map(Vec3::from).collect();
                    tr = v[k].lerp(v[next], s);
                }
                ReadOutputs::Rotations(v) => {
                    let v: Vec<Quat> = v.into_f32().map(Quat::from_array).collect();
                    rot = v[k].slerp(v[next], s);
                }
                ReadOutputs::Scales(v) => {
                    let v: Vec<Vec3> = v.map(Vec3::from).collect();
                    sc = v[k].lerp(v[next], s);
                }
                ReadOutputs::MorphTargetWeights(_) => {}
            }
        }
    }
    (tr, rot, sc)
}

/// World position of each named node at time `t`, through its parents.
fn world_positions(gltf: &gltf::Gltf, blob: &[u8], t: f32) -> BTreeMap<String, Vec3> {
    let mut parent = BTreeMap::new();
    for n in gltf.nodes() {
        for c in n.children() {
            parent.insert(c.index(), n.index());
        }
    }
    let nodes: Vec<gltf::Node> = gltf.nodes().collect();
    let matrix = |i: usize| {
        let (tr, r, s) = sample(gltf, blob, &nodes[i], t);
        glam::Mat4::from_scale_rotation_translation(s, r, tr)
    };
    let mut out = BTreeMap::new();
    for n in &nodes {
        let mut m = matrix(n.index());
        let mut cur = n.index();
        while let Some(&p) = parent.get(&cur) {
            m = matrix(p) * m;
            cur = p;
        }
        if let Some(name) = n.name() {
            out.insert(name.to_string(), m.transform_point3(Vec3::ZERO));
        }
    }
    out
}

fn round_trip(name: &str) {
    let (glb, trace) = export(name, None);
    let gltf = gltf::Gltf::from_slice(&glb).unwrap();
    let blob = gltf.blob.clone().expect("a binary chunk");
    // Every named entity is a node of the same name.
    let names: Vec<&str> = gltf.nodes().filter_map(|n| n.name()).collect();
    for e in &trace.entities {
        assert!(
            names.contains(&e.as_str()),
            "{name}: no node '{e}' in {names:?}"
        );
    }
    assert!(names.contains(&"camera"), "{name}: no camera node");
    // The animation spans the run: first frame to last.
    let anim = gltf.animations().next().expect("an animation");
    let end = anim
        .channels()
        .map(|c| c.sampler().input().max().unwrap()[0].as_f64().unwrap())
        .fold(0.0, f64::max);
    let last = trace.frames.last().unwrap().t;
    assert!(
        (end - last).abs() < 1e-4,
        "{name}: animation ends at {end}, run at {last}"
    );
    // Positions at several frames match the trace.
    let n = trace.frames.len();
    for &f in &[0, n / 4, n / 2, 3 * n / 4, n - 1] {
        let frame = &trace.frames[f];
        let got = world_positions(&gltf, &blob, frame.t as f32);
        for (entity, pose) in &frame.entities {
            let p = got[entity];
            assert!(
                p.distance(pose.position) < 2e-3,
                "{name}: '{entity}' at t = {:.3}: glTF {p:?}, trace {:?}",
                frame.t,
                pose.position
            );
        }
    }
}

#[test]
fn round_trip_domino_chain_against_the_trace() {
    let (glb, trace) = export("domino_chain", None);
    let gltf = gltf::Gltf::from_slice(&glb).unwrap();
    // 29 entities, the camera and one sun; no particles.
    assert_eq!(gltf.nodes().count(), 29 + 1 + 1);
    assert_eq!(trace.frames.len(), 144);
    // A falling domino moves: its translation and rotation are animated.
    let node = gltf
        .nodes()
        .find(|n| n.name() == Some("domino_27"))
        .unwrap();
    let anim = gltf.animations().next().unwrap();
    assert_eq!(anim.name(), Some("simulation"));
    let paths: Vec<_> = anim
        .channels()
        .filter(|c| c.target().node().index() == node.index())
        .map(|c| c.target().property())
        .collect();
    assert!(paths.contains(&gltf::animation::Property::Translation));
    assert!(paths.contains(&gltf::animation::Property::Rotation));
    // The floor never moves, so it has no channel at all.
    let ground = gltf.nodes().find(|n| n.name() == Some("floor")).unwrap();
    assert!(
        anim.channels()
            .all(|c| c.target().node().index() != ground.index())
    );
    round_trip("domino_chain");
}

#[test]
fn round_trip_hierarchies_and_joints() {
    // Parented assets (a table, a bottle) and jointed bodies.
    round_trip("bottle_roll");
    round_trip("newtons_cradle");
}

#[test]
fn particles_are_instanced_flipbooks_and_gltf_embeds_its_buffer() {
    let opts = RunOptions {
        duration: Some(1.0),
        ..Default::default()
    };
    let mut exporter = Exporter::new(ExportOptions {
        max_particles: 300,
        ..Default::default()
    });
    let result = run(&example("rain"), &opts, &mut [&mut exporter]);
    assert!(result.report.error.is_none());
    let doc = exporter.take_document().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let summary = write(&doc, &dir.path().join("rain.gltf")).unwrap();
    let text = std::fs::read_to_string(dir.path().join("rain.gltf")).unwrap();
    assert!(text.contains("data:application/octet-stream;base64,"));
    let gltf = gltf::Gltf::from_slice(text.as_bytes()).unwrap();
    assert!(
        gltf.extensions_used()
            .any(|e| e == "EXT_mesh_gpu_instancing")
    );
    let instanced: Vec<_> = gltf
        .nodes()
        .filter(|n| n.extension_value("EXT_mesh_gpu_instancing").is_some())
        .collect();
    // One flipbook page per frame that had rain in it, at most 300 drops each.
    assert!(instanced.len() >= 20, "{} pages", instanced.len());
    assert!(summary.particles_left_out > 0);
    for n in &instanced {
        let count =
            n.extension_value("EXT_mesh_gpu_instancing").unwrap()["attributes"]["TRANSLATION"]
                .as_u64()
                .map(|i| gltf.accessors().nth(i as usize).unwrap().count())
                .unwrap();
        assert!((1..=300).contains(&count), "{count}");
    }
}

fn npm_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("C2W_NPM_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/c2w-npm")))?;
    Some(dir.join("node_modules"))
}

fn node_ok() -> bool {
    Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn every_example_passes_the_khronos_validator() {
    let Some(modules) = npm_dir().filter(|d| d.join("gltf-validator").is_dir()) else {
        eprintln!(
            "skipped: gltf-validator is not installed (npm install gltf-validator in $C2W_NPM_DIR or ~/.cache/c2w-npm; .ci/run does it)"
        );
        return;
    };
    if !node_ok() {
        eprintln!("skipped: node is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut examples: Vec<PathBuf> = std::fs::read_dir("examples")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .collect();
    examples.sort();
    for path in &examples {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        // Two simulated seconds show every kind of channel and particle page.
        let (glb, _) = export(&name, Some(2.0));
        let file = dir.path().join(format!("{name}.glb"));
        std::fs::write(&file, glb).unwrap();
        files.push(file);
    }
    let out = Command::new("node")
        .arg("tests/export/validate.mjs")
        .arg(&modules)
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let reports: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), files.len());
    for r in &reports {
        assert_eq!(r["errors"], 0, "{r}");
        assert_eq!(r["warnings"], 0, "{r}");
    }
}

fn get(port: u16, path: &str) -> (u16, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let status = String::from_utf8_lossy(&buf[9..12]).parse().unwrap();
    (status, buf[head_end + 4..].to_vec())
}

#[test]
fn the_viewer_serves_its_page_and_only_the_run_folder() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("world.glb"), b"glb").unwrap();
    std::fs::write(root.path().join("secret.txt"), b"secret").unwrap();
    let viewer = Viewer::bind(&dir, 0).unwrap();
    let _threads = viewer.spawn();
    let port = viewer.port();
    let (status, body) = get(port, "/");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("viewer.js"));
    assert_eq!(get(port, "/vendor/three.bundle.min.js").0, 200);
    assert_eq!(get(port, "/run/world.glb"), (200, b"glb".to_vec()));
    let listing: serde_json::Value = serde_json::from_slice(&get(port, "/api/run.json").1).unwrap();
    assert_eq!(listing["glb"], true);
    assert_eq!(listing["video"], false);
    for bad in [
        "/run/../secret.txt",
        "/run/%2e%2e/secret.txt",
        "/run/..%2fsecret.txt",
        "/../secret.txt",
        "/secret.txt",
        "/run/",
    ] {
        let (status, body) = get(port, bad);
        assert_eq!(status, 404, "{bad}");
        assert!(!String::from_utf8_lossy(&body).contains("secret"), "{bad}");
    }
    viewer.stop();
}

#[test]
fn the_viewer_plays_and_scrubs_in_headless_chromium() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(chromium) = chromium else {
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    };
    let Some(modules) = npm_dir().filter(|d| d.join("playwright-core").is_dir()) else {
        eprintln!(
            "skipped: playwright-core is not installed (npm install playwright-core in $C2W_NPM_DIR or ~/.cache/c2w-npm)"
        );
        return;
    };
    if !node_ok() {
        eprintln!("skipped: node is not installed");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("domino_chain");
    let (glb, _) = export("domino_chain", None);
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("world.glb"), glb).unwrap();
    let viewer = Viewer::bind(&dir, 0).unwrap();
    let _threads = viewer.spawn();
    let shot = root.path().join("viewer.png");
    let out = Command::new("node")
        .arg("tests/export/viewer.mjs")
        .arg(&modules)
        .arg(chromium)
        .arg(viewer.url())
        .arg(&shot)
        .output()
        .unwrap();
    viewer.stop();
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_str(text.trim()).expect("a JSON line");
    assert!(r["failure"].is_null() && r["error"].is_null(), "{r}");
    assert!(
        (r["duration"].as_f64().unwrap() - 143.0 / 24.0).abs() < 1e-3,
        "{r}"
    );
    // Playing moved the clock; scrubbing stopped it at 2 s.
    assert_eq!(r["played"]["playing"], true, "{r}");
    assert!(r["played"]["time"].as_f64().unwrap() > 0.1, "{r}");
    assert_eq!(r["time_label"], "2.00", "{r}");
    assert_eq!(r["title"], "c2w view t=2.00s", "{r}");
    assert_eq!(r["playing_after_scrub"], false, "{r}");
    // The view shows a scene, not one flat colour.
    assert!(r["pixels"]["std"].as_f64().unwrap() > 10.0, "{r}");
    assert!(r["pixels"]["differ"].as_f64().unwrap() > 0.2, "{r}");
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
}

/// Terrain colour bands reach the glTF as vertex colours (COLOR_0) under a
/// white material: snowy peaks come out pale, the low slopes green.
#[test]
fn terrain_bands_are_exported_as_vertex_colours() {
    let src = r#"
        import "nature" as nature;
        world(#{ duration: 0.2, fps: 10, seed: 3 });
        nature::terrain([80, 80], #{ name: "range", shape: "mountains", height: 2.5, resolution: 64 });
    "#;
    let opts = RunOptions::default();
    let mut exporter = Exporter::new(ExportOptions::default());
    let result = run(src, &opts, &mut [&mut exporter]);
    assert!(result.report.error.is_none(), "{:?}", result.report.error);
    let glb = exporter.take_document().unwrap().to_glb().unwrap();
    let gltf = gltf::Gltf::from_slice(&glb).unwrap();
    let blob = gltf.blob.clone().unwrap();
    let node = gltf.nodes().find(|n| n.name() == Some("range")).unwrap();
    let prim = node.mesh().unwrap().primitives().next().unwrap();
    let white = prim.material().pbr_metallic_roughness().base_color_factor();
    assert_eq!(&white[..3], &[1.0, 1.0, 1.0]);
    let reader = prim.reader(|_| Some(&blob[..]));
    let colors: Vec<[f32; 3]> = reader
        .read_colors(0)
        .expect("COLOR_0")
        .into_rgb_f32()
        .collect();
    let heights: Vec<f32> = reader.read_positions().unwrap().map(|p| p[1]).collect();
    assert_eq!(colors.len(), heights.len());
    let top = heights.iter().cloned().fold(f32::MIN, f32::max);
    let lightness = |c: &[f32; 3]| c.iter().sum::<f32>() / 3.0;
    let (mut high, mut low) = (Vec::new(), Vec::new());
    for (c, h) in colors.iter().zip(&heights) {
        if *h > top * 0.85 {
            high.push(lightness(c));
        } else if *h < top * 0.1 {
            low.push(lightness(c));
        }
    }
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len().max(1) as f32;
    assert!(!high.is_empty() && !low.is_empty());
    assert!(
        mean(&high) > mean(&low) + 0.2,
        "peaks {} vs valleys {}",
        mean(&high),
        mean(&low)
    );
}
