//! Hostile scripts end in structured errors, quickly, without touching the
//! host.

mod common;

use std::time::{Duration, Instant};

use code2worlds::pipeline::RunOptions;
use code2worlds::script::ErrorKind;
use common::run_err;

/// The timed tests run one at a time so they measure the script, not the
/// other tests sharing the cores.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn fails_fast(src: &str, kind: ErrorKind) -> code2worlds::script::ScriptError {
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let start = Instant::now();
    let e = run_err(src, &RunOptions::default());
    let took = start.elapsed();
    assert_eq!(e.kind, kind, "{e}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert!(e.line.is_some(), "errors point at a line: {e}");
    e
}

#[test]
fn an_infinite_loop_hits_the_operation_limit() {
    fails_fast("let x = 0;\nloop { x += 1; }", ErrorKind::Limit);
    fails_fast("while true { }", ErrorKind::Limit);
}

#[test]
fn deep_recursion_hits_the_call_depth_limit() {
    let e = fails_fast("fn f(n) { f(n + 1) }\nf(0);", ErrorKind::Limit);
    assert!(e.message.contains("deeply"), "{e}");
    // Mutual recursion too.
    fails_fast(
        "fn a(n) { b(n) }\nfn b(n) { a(n) }\na(1);",
        ErrorKind::Limit,
    );
}

#[test]
fn huge_allocations_hit_the_size_limits() {
    fails_fast("let a = [];\nloop { a.push([1, 2, 3]); }", ErrorKind::Limit);
    fails_fast("let s = \"xx\";\nloop { s += s; }", ErrorKind::Limit);
    fails_fast("let a = [0];\na.pad(2_000_000_000, 0);", ErrorKind::Limit);
    fails_fast("let a = [1, 2, 3];\nloop { a = a + a; }", ErrorKind::Limit);
    // Index assignment into a map escapes Rhai's size checks; the memory
    // budget catches it.
    let e = fails_fast(
        "let a = [];\nfor i in 0..20000 { a.push(i); }\nlet m = #{};\nfor i in 0..1000000 { m[`k${i}`] = a; }",
        ErrorKind::Limit,
    );
    assert!(e.message.contains("memory"), "{e}");
}

#[test]
fn too_many_entities_hit_the_world_limit() {
    let e = fails_fast(
        "for i in 0..1000000 { box(0.1, #{ position: [i, 0, 0] }); }",
        ErrorKind::Limit,
    );
    assert!(e.message.contains("entities"), "{e}");
    fails_fast(
        "for i in 0..100000 { sphere(0.1, #{ position: [i, 0, 0], body: \"dynamic\" }); }",
        ErrorKind::Limit,
    );
    fails_fast("world(#{ duration: 600, fps: 240 });", ErrorKind::Limit);
    fails_fast(
        "for i in 0..100 { emitter(#{ max: 100000 }); }",
        ErrorKind::Limit,
    );
}

#[test]
fn the_wall_clock_limit_covers_the_simulation() {
    let opts = RunOptions {
        limits: code2worlds::limits::Limits {
            timeout: Duration::from_millis(300),
            ..Default::default()
        },
        ..Default::default()
    };
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let start = Instant::now();
    let e = run_err(
        "world(#{ duration: 600, fps: 24, substeps: 100 });\nplane(50);\nfor i in 0..400 { box(0.3, #{ position: [i % 20, 1 + i / 20, 0], body: \"dynamic\" }); }",
        &opts,
    );
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn callbacks_share_an_operation_budget() {
    let opts = RunOptions {
        limits: code2worlds::limits::Limits {
            max_hook_operations: 2_000_000,
            ..Default::default()
        },
        ..Default::default()
    };
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let start = Instant::now();
    let e = run_err(
        "world(#{ duration: 5 });\non_step(|t| { let s = 0; for i in 0..2000 { s += i; } });",
        &opts,
    );
    assert_eq!(e.kind, ErrorKind::Limit, "{e}");
    assert!(e.message.contains("budget"), "{e}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn no_file_clock_eval_or_environment() {
    // Imports resolve only inside the embedded standard library.
    let e = run_err("import \"/etc/passwd\" as p;", &RunOptions::default());
    assert_eq!(e.kind, ErrorKind::Runtime, "{e}");
    let e = run_err("import \"../src/main\" as m;", &RunOptions::default());
    assert!(e.message.contains("no module"), "{e}");
    // eval is disabled; there is no clock.
    let e = run_err("eval(\"1 + 1\");", &RunOptions::default());
    assert_eq!(e.kind, ErrorKind::Syntax, "{e}");
    let e = run_err("let t = timestamp();", &RunOptions::default());
    assert_eq!(e.kind, ErrorKind::UnknownFunction, "{e}");
    for f in [
        "open_file(\"x\")",
        "env(\"HOME\")",
        "system(\"ls\")",
        "read_file(\"x\")",
    ] {
        let e = run_err(&format!("let x = {f};"), &RunOptions::default());
        assert_eq!(e.kind, ErrorKind::UnknownFunction, "{f}: {e}");
    }
    // Rhai's own sleep would stall the host: it is refused.
    let start = Instant::now();
    let e = run_err("sleep(5);", &RunOptions::default());
    assert_eq!(e.kind, ErrorKind::Runtime, "{e}");
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn bad_numbers_are_validation_errors_not_panics() {
    for src in [
        "sphere(0.0 / 0.0);",
        "sphere(-1);",
        "box([1, 1e40, 1]);",
        "box([1, 2]);",
        "plane(0);",
        "torus(1, 2);",
        "sphere(1, #{ position: [1, 2, 1.0 / 0.0] });",
        "sphere(1, #{ mass: -5, body: \"dynamic\" });",
        "world(#{ fps: 0 });",
        "let b = sphere(1); joint(\"hinge\", b, b);",
        "mesh([[0,0,0],[1,0,0],[0,1,0]], [[0, 1, 7]]);",
        "heightfield([[1, 2], [3]], [1, 1]);",
        "lathe([[-1, 0], [1, 1]]);",
        "animate(sphere(1), \"position\", [[1, [0, 0, 0]], [0, [1, 1, 1]]]);",
        "circle_points(1, 2);",
        "emitter(#{ lifetime: [-1, 2] });",
    ] {
        let e = run_err(src, &RunOptions::default());
        assert!(
            matches!(e.kind, ErrorKind::Validation | ErrorKind::Type),
            "{src}: {e}"
        );
        assert!(e.function.is_some(), "{src}: names the function: {e}");
    }
}
