//! The command line as a user meets it.

mod common;

use std::process::Command;

use code2worlds::cli::repl::Repl;
use code2worlds::limits::Limits;
use code2worlds::script::Session;

fn c2w(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_c2w"))
        .args(args)
        .output()
        .expect("run c2w")
}

#[test]
fn run_writes_report_trace_and_script() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let script = common::examples_dir().join("pendulum.rhai");
    let o = c2w(&[
        "run",
        "--no-render",
        script.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--duration",
        "1",
        "--fps",
        "12",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["frames"], 12);
    assert_eq!(report["fps"], 12);
    assert_eq!(report["counts"]["joints"], 2);
    assert!(report["timings"]["simulate_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(report["state_hash"].as_str().unwrap().len(), 16);
    let trace: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("trace.json")).unwrap()).unwrap();
    assert_eq!(trace["frames"].as_array().unwrap().len(), 12);
    assert!(trace["frames"][3]["entities"]["hinged"]["position"].is_array());
    assert_eq!(
        std::fs::read_to_string(out.join("world.rhai")).unwrap(),
        std::fs::read_to_string(&script).unwrap()
    );
    // Human summary on stdout.
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("expectations:"), "{text}");
}

#[test]
fn a_failing_run_still_writes_a_report_with_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("broken.rhai");
    std::fs::write(&script, "plane(5);\nsphere(0.2, #{ body: \"dynamik\" });").unwrap();
    let out = dir.path().join("out");
    let o = c2w(&[
        "run",
        "--no-render",
        script.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["error"]["kind"], "validation");
    assert_eq!(report["error"]["suggestions"][0], "dynamic");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("error[validation]") && stderr.contains("broken.rhai:2:1"),
        "{stderr}"
    );
}

#[test]
fn strict_turns_failed_expectations_into_an_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("lazy.rhai");
    std::fs::write(&script, "world(#{ duration: 0.5 });\nplane(5);\nlet b = box(0.2, #{ position: [0, 0.1, 0], body: \"dynamic\" });\nexpect(\"moves\", b, #{ min_distance: 1 });").unwrap();
    let out = dir.path().join("out");
    let relaxed = c2w(&[
        "run",
        "--no-render",
        script.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(relaxed.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&relaxed.stdout).contains("FAIL"));
    let strict = c2w(&[
        "run",
        "--no-render",
        script.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--strict",
    ]);
    assert_eq!(strict.status.code(), Some(2));
}

#[test]
fn check_reports_counts_as_json() {
    let script = common::examples_dir().join("domino_chain.rhai");
    let o = c2w(&["check", script.to_str().unwrap(), "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["counts"]["dynamic_bodies"], 28);
    assert_eq!(v["counts"]["expectations"], 5);
}

#[test]
fn docs_come_in_three_forms() {
    let text = c2w(&["docs"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("sphere(radius"));
    let md = c2w(&["docs", "--markdown"]);
    assert!(String::from_utf8_lossy(&md.stdout).starts_with("# World API reference"));
    let json = c2w(&["docs", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        v["functions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "joint")
    );
    let topic = c2w(&["docs", "particles"]);
    assert!(String::from_utf8_lossy(&topic.stdout).contains("emitter("));
    assert_eq!(c2w(&["docs", "no_such_topic"]).status.code(), Some(2));
}

#[test]
fn limits_can_be_overridden_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("many.rhai");
    std::fs::write(
        &script,
        "for i in 0..50 { box(0.1, #{ position: [i, 0, 0] }); }",
    )
    .unwrap();
    assert!(c2w(&["check", script.to_str().unwrap()]).status.success());
    let o = c2w(&[
        "check",
        script.to_str().unwrap(),
        "--max-entities",
        "10",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["kind"], "limit");
}

#[test]
fn the_repl_builds_steps_inspects_and_saves() {
    let mut repl = Repl::new(Session::new(Limits::default(), None));
    assert_eq!(
        repl.handle("plane(10, #{ name: \"ground\" })").unwrap(),
        "Entity(ground)"
    );
    assert_eq!(repl.handle("let x = 1;").unwrap(), "");
    repl.handle(
        "let ball = sphere(0.2, #{ name: \"ball\", position: [0, 2, 0], body: \"dynamic\" });",
    )
    .unwrap();
    let e = repl.handle("let oops = sphre(1);").unwrap_err();
    assert!(
        e.contains("unknown_function") && e.contains("sphere"),
        "{e}"
    );
    let stepped = repl.handle(":step 12").unwrap();
    assert!(stepped.contains("t = 0.500"), "{stepped}");
    let info = repl.handle(":inspect ball").unwrap();
    assert!(
        info.contains("ball (sphere)") && info.contains("Dynamic"),
        "{info}"
    );
    // The ball fell: half a second of free fall from 2 m.
    let y: f64 = repl.handle("ball.position.y").unwrap().parse().unwrap();
    assert!((y - (2.0 - 0.5 * 9.81 * 0.25)).abs() < 0.05, "{y}");
    // Building goes on after stepping: a new body joins the live world.
    repl.handle(
        "let cube = box(0.3, #{ name: \"cube\", position: [1, 3, 0], body: \"dynamic\" });",
    )
    .unwrap();
    repl.handle(":step 6").unwrap();
    let y: f64 = repl.handle("cube.position.y").unwrap().parse().unwrap();
    assert!(y < 3.0, "the new cube falls: {y}");
    assert!(repl.handle(":list").unwrap().contains("cube"));
    assert!(repl.handle(":help shapes").unwrap().contains("box("));
    assert!(repl.handle(":help").unwrap().contains(":step"));
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("session.rhai");
    repl.handle(&format!(":save {}", saved.display())).unwrap();
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(
        text.contains("sphere(0.2") && !text.contains("sphre"),
        "{text}"
    );
    repl.handle(":reset").unwrap();
    assert!(repl.handle(":inspect ball").is_err());
    assert!(repl.handle(":nonsense").is_err());
}

#[test]
fn completions_are_printed_for_each_shell() {
    let o = c2w(&["completions", "bash"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bash = String::from_utf8_lossy(&o.stdout);
    assert!(bash.contains("_c2w()"), "{bash}");
    for sub in ["run", "generate", "mcp", "completions"] {
        assert!(bash.contains(sub), "no {sub} in the bash completions");
    }
    assert!(bash.contains("--watch") && bash.contains("--verbose"));
    let o = c2w(&["completions", "zsh"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("#compdef c2w"));
    let o = c2w(&["completions", "tcsh"]);
    assert!(!o.status.success(), "an unknown shell is a usage error");
}

#[test]
fn verbosity_flags_and_rust_log_choose_what_reaches_stderr() {
    let script = common::examples_dir().join("pendulum.rhai");
    let check = |args: &[&str], rust_log: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_c2w"));
        cmd.args(args)
            .arg("check")
            .arg(&script)
            .env_remove("RUST_LOG");
        if let Some(l) = rust_log {
            cmd.env("RUST_LOG", l);
        }
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (_, quiet_default) = check(&[], None);
    assert!(!quiet_default.contains("c2w starting"), "{quiet_default}");
    let (stdout, debug) = check(&["-vv"], None);
    assert!(
        debug.contains("DEBUG") && debug.contains("c2w starting"),
        "{debug}"
    );
    assert!(!stdout.contains("c2w starting"), "logs stay off stdout");
    let (_, from_env) = check(&[], Some("code2worlds=debug"));
    assert!(from_env.contains("c2w starting"), "{from_env}");
    // The flags work after the subcommand too.
    let o = Command::new(env!("CARGO_BIN_EXE_c2w"))
        .arg("check")
        .arg(&script)
        .arg("-vv")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("c2w starting"));
}

#[test]
fn run_watch_runs_again_when_the_script_is_saved() {
    use std::io::Read;
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("w.rhai");
    let world = |seed: u32| {
        format!(
            "world(#{{ duration: 0.5, fps: 10, seed: {seed} }});\nplane([4, 4]);\nsphere(0.2, #{{ name: \"ball\", position: [0, 1, 0], body: \"dynamic\" }});\n"
        )
    };
    std::fs::write(&script, world(1)).unwrap();
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_c2w"))
        .args([
            "run",
            "--no-render",
            "--json",
            "--watch",
            "--watch-runs",
            "2",
            "--out",
        ])
        .arg(&out)
        .arg(&script)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first run, then save a change.
    let started = Instant::now();
    let first_seed = || {
        std::fs::read_to_string(out.join("report.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|r| r["seed"].as_u64())
    };
    while first_seed() != Some(1) {
        assert!(started.elapsed() < Duration::from_secs(60), "no first run");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(&script, world(2)).unwrap();
    // The second run ends the process (--watch-runs 2).
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the saved change was not run");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
    assert_eq!(
        first_seed(),
        Some(2),
        "the second run used the saved script"
    );
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert_eq!(stdout.matches("\"state_hash\"").count(), 2, "{stdout}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("watching"), "{stderr}");
    // Stderr is not a terminal here: no progress bar is drawn into it.
    assert!(!stderr.contains(" frames, "), "{stderr}");
}

#[test]
fn a_script_that_is_not_utf8_is_the_users_error() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("latin1.rhai");
    std::fs::write(&script, b"let x = 1;\nlet s = \"caf\xe9\";\n").unwrap();
    for cmd in ["check", "run"] {
        let o = c2w(&[cmd, script.to_str().unwrap(), "--json"]);
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let e = if e["error"].is_object() {
            &e["error"]
        } else {
            &e
        };
        assert_eq!(e["kind"], "validation", "{cmd}: {e}");
        assert_eq!(e["line"], 2, "{cmd}: {e}");
        assert_eq!(e["column"], 13, "{cmd}: {e}");
        assert!(e["hint"].as_str().unwrap().contains("UTF-8"), "{e}");
    }
}

/// `c2w docs --assets --json` lists every generator with its options,
/// tags and measured size; a topic narrows it to a name or a tag.
#[test]
fn docs_assets_json_lists_measured_generators() {
    let o = c2w(&["docs", "--assets", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let records: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let records = records.as_array().expect("a list");
    assert!(records.len() >= 40, "{} generators", records.len());
    let table = records
        .iter()
        .find(|r| r["name"] == "table")
        .expect("a table");
    assert_eq!(table["module"], "assets");
    let size = table["size"].as_array().expect("a measured size");
    assert!((size[1].as_f64().unwrap() - 0.75).abs() < 0.01, "{size:?}");
    assert!(table["triangles"].as_u64().unwrap() > 0);
    let param = table["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "size")
        .expect("a size option");
    assert_eq!(param["unit"], "m");
    assert!(param["range"].is_array());
    assert!(
        table["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "indoor")
    );
    for r in records {
        assert!(
            r.get("error").is_none(),
            "{} was not measured: {}",
            r["name"],
            r["error"]
        );
    }
    let under = c2w(&["docs", "--assets", "underwater"]);
    let text = String::from_utf8_lossy(&under.stdout);
    assert!(text.contains("nature::jellyfish"), "{text}");
    assert!(!text.contains("assets::sofa"), "{text}");
    assert_eq!(
        c2w(&["docs", "--assets", "spaceship"]).status.code(),
        Some(2)
    );
}
