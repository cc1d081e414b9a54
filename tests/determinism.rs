//! Same script and seed, same world, bit for bit: across runs, across
//! processes, and between debug and release builds.

mod common;

use std::process::Command;

use code2worlds::pipeline::{self, RunOptions};

fn run_in_process(path: &std::path::Path, seed: Option<u64>) -> (String, Vec<String>) {
    let src = std::fs::read_to_string(path).unwrap();
    let r = pipeline::run(
        &src,
        &RunOptions {
            seed,
            ..Default::default()
        },
        &mut [],
    );
    assert!(r.report.ok, "{:?}", r.report.error);
    (
        r.report.state_hash,
        r.report.hashes.iter().map(|h| h.hash.clone()).collect(),
    )
}

fn run_in_child(
    path: &std::path::Path,
    out: &std::path::Path,
    seed: Option<u64>,
) -> serde_json::Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_c2w"));
    // The simulation is what must be deterministic; rendering is tested
    // on its own.
    cmd.arg("run")
        .arg(path)
        .arg("--json")
        .arg("--no-render")
        .arg("--out")
        .arg(out);
    if let Some(s) = seed {
        cmd.arg("--seed").arg(s.to_string());
    }
    let output = cmd.output().expect("run c2w");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("report JSON")
}

const SCRIPTS: &[&str] = &[
    "domino_chain.rhai",
    "falling_leaves.rhai",
    "rope_bridge.rhai",
];

#[test]
fn two_processes_give_identical_states() {
    let dir = tempfile::tempdir().unwrap();
    for name in SCRIPTS {
        let path = common::examples_dir().join(name);
        let a = run_in_child(&path, &dir.path().join("a"), None);
        let b = run_in_child(&path, &dir.path().join("b"), None);
        assert_eq!(a["state_hash"], b["state_hash"], "{name}");
        assert_eq!(a["hashes"], b["hashes"], "{name}");
        // The traces, every frame of every named entity, match byte for byte.
        let ta = std::fs::read(dir.path().join("a/trace.json")).unwrap();
        let tb = std::fs::read(dir.path().join("b/trace.json")).unwrap();
        assert!(ta == tb, "{name}: traces differ");
        // And the process agrees with an in-process run.
        let (hash, _) = run_in_process(&path, None);
        assert_eq!(a["state_hash"], hash.as_str(), "{name}");
    }
}

#[test]
fn the_seed_changes_the_world_and_only_the_seed() {
    let path = common::examples_dir().join("falling_leaves.rhai");
    let (a, ha) = run_in_process(&path, Some(1));
    let (b, hb) = run_in_process(&path, Some(1));
    let (c, _) = run_in_process(&path, Some(2));
    assert_eq!((&a, &ha), (&b, &hb));
    assert_ne!(a, c, "a different seed should give a different world");
}

/// Final state hashes recorded from a release build of c2w on the reference
/// machine. Debug test runs must reproduce them exactly: that is what makes
/// release and debug worlds identical. Regenerate with
/// `C2W_BLESS=1 cargo test --release --test determinism golden`.
#[test]
fn golden_hashes_match_the_release_build() {
    let golden_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/state_hashes.json");
    let mut current = serde_json::Map::new();
    for path in common::example_scripts() {
        let (hash, _) = run_in_process(&path, None);
        current.insert(
            path.file_name().unwrap().to_string_lossy().into_owned(),
            hash.into(),
        );
    }
    if std::env::var_os("C2W_BLESS").is_some() {
        if cfg!(debug_assertions) {
            panic!("bless golden hashes from a release build");
        }
        std::fs::create_dir_all(golden_path.parent().unwrap()).unwrap();
        std::fs::write(
            &golden_path,
            serde_json::to_string_pretty(&current).unwrap() + "\n",
        )
        .unwrap();
        return;
    }
    let golden: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(&golden_path).expect("tests/golden/state_hashes.json"),
    )
    .unwrap();
    let mut mismatches = Vec::new();
    for (name, hash) in &current {
        match golden.get(name) {
            Some(g) if g == hash => {}
            Some(g) => mismatches.push(format!("{name}: golden {g}, now {hash}")),
            None => mismatches.push(format!(
                "{name}: no golden hash (bless from a release build)"
            )),
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
