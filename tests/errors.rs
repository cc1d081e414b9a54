//! Every kind of structured error, as the JSON a model receives. Snapshots
//! live in tests/snapshots; review changes with `cargo insta review`.

mod common;

use std::time::Duration;

use code2worlds::limits::Limits;
use code2worlds::pipeline::RunOptions;
use code2worlds::script::{ErrorKind, ScriptError};
use common::run_err;

fn err(src: &str) -> ScriptError {
    run_err(src, &RunOptions::default())
}

#[test]
fn syntax_error() {
    let e = err("let ball = sphere(0.2, #{ position: [0, 1, 0] })\nlet b = 2;");
    assert_eq!(e.kind, ErrorKind::Syntax);
    insta::assert_json_snapshot!(e);
}

#[test]
fn syntax_error_for_a_javascript_habit() {
    let e = err("function drop(x) { return x; }");
    assert_eq!(e.kind, ErrorKind::Syntax);
    insta::assert_json_snapshot!(e);
}

/// A misspelt stdlib builder is matched against its module's builders,
/// not the whole API ("set" for "assets::deks").
#[test]
fn a_misspelt_module_function_suggests_the_modules_own() {
    let e = err("import \"assets\" as assets;\nassets::deks([0, 0, 0]);");
    assert_eq!(e.kind, ErrorKind::UnknownFunction);
    assert_eq!(
        e.suggestions.first().map(String::as_str),
        Some("assets::desk"),
        "{e:?}"
    );
    assert!(e.hint.contains("assets::desk"), "{}", e.hint);
}

/// A builder called through the wrong module points at the right one.
#[test]
fn a_builder_in_another_module_is_named_with_its_import() {
    let e = err("import \"nature\" as nature;\nnature::tree([0, 0, 0]);");
    assert_eq!(e.kind, ErrorKind::UnknownFunction);
    assert_eq!(e.suggestions, vec!["assets::tree".to_string()], "{e:?}");
    assert!(
        e.hint.contains("import \"assets\" as assets;") && e.hint.contains("assets::tree"),
        "{}",
        e.hint
    );
}

#[test]
fn hints_fit_the_lexer_error() {
    // A stray ';' is quoted in Rhai's message, but it is no string problem.
    let e = err("let y = ;");
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert!(!e.hint.contains("double quotes"), "{}", e.hint);
    assert!(e.hint.contains("missing before this ';'"), "{}", e.hint);
    let e = err("let s = 'hello';");
    assert!(e.hint.contains("double quotes"), "{}", e.hint);
}

#[test]
fn a_map_without_its_hash_is_named_as_such() {
    let e = err("plane([10, 10], { material: \"grass\" });");
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert!(e.hint.contains("#{ material: ... }"), "{}", e.hint);
    // A real block with an undefined variable keeps the general hint.
    let e = err("let x = { y + 1 };");
    assert!(!e.hint.contains("start with '#'"), "{}", e.hint);
}

#[test]
fn unknown_function() {
    let e = err("let cube = cuboid([1, 1, 1]);");
    assert_eq!(e.kind, ErrorKind::UnknownFunction);
    insta::assert_json_snapshot!(e);
}

#[test]
fn type_error_wrong_argument() {
    let e = err("let s = sphere(\"big\");");
    assert_eq!(e.kind, ErrorKind::Type);
    insta::assert_json_snapshot!(e);
}

#[test]
fn type_error_wrong_arity() {
    let e = err("let c = cylinder(0.5);");
    assert_eq!(e.kind, ErrorKind::Type);
    insta::assert_json_snapshot!(e);
}

#[test]
fn runtime_error() {
    let e = err("let speeds = [1, 2, 3];\nlet v = speeds[7];");
    assert_eq!(e.kind, ErrorKind::Runtime);
    insta::assert_json_snapshot!(e);
}

#[test]
fn validation_error_unknown_option() {
    let e = err("sphere(0.3, #{ positon: [0, 1, 0], body: \"dynamic\" });");
    assert_eq!(e.kind, ErrorKind::Validation);
    insta::assert_json_snapshot!(e);
}

#[test]
fn validation_error_out_of_range() {
    let e = err("box(1, #{ restitution: 1.5 });");
    assert_eq!(e.kind, ErrorKind::Validation);
    insta::assert_json_snapshot!(e);
}

#[test]
fn validation_error_inside_a_stdlib_function() {
    let e =
        err("import \"assets\" as assets;\nassets::table([0, 0, 0], #{ material: \"jelly\" });");
    assert_eq!(e.kind, ErrorKind::Validation);
    insta::assert_json_snapshot!(e);
}

#[test]
fn limit_error() {
    let e = err("let n = 0;\nloop { n += 1; }");
    assert_eq!(e.kind, ErrorKind::Limit);
    insta::assert_json_snapshot!(e);
}

#[test]
fn timeout_error() {
    let opts = RunOptions {
        limits: Limits {
            timeout: Duration::from_millis(100),
            max_operations: u64::MAX,
            ..Default::default()
        },
        ..Default::default()
    };
    let e = run_err("let n = 0;\nloop { n += 1; }", &opts);
    assert_eq!(e.kind, ErrorKind::Timeout);
    // Where the clock ran out varies with machine speed.
    insta::assert_json_snapshot!(e, { ".column" => "[column]", ".snippet" => "[snippet]" });
}

#[test]
fn internal_error() {
    // The one failure that is ours: here, a missing script file.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_c2w"))
        .args(["check", "definitely/not/here.rhai", "--json"])
        .output()
        .expect("run c2w");
    assert_eq!(out.status.code(), Some(1), "internal errors exit with 1");
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(e["kind"], "internal");
    insta::assert_json_snapshot!(e);
}

#[test]
fn script_errors_exit_with_two_and_print_json() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("bad.rhai");
    std::fs::write(&script, "sphere(-1);").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_c2w"))
        .args(["check", script.to_str().unwrap(), "--json"])
        .output()
        .expect("run c2w");
    assert_eq!(out.status.code(), Some(2));
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    for key in [
        "kind",
        "message",
        "line",
        "column",
        "snippet",
        "function",
        "signatures",
        "suggestions",
        "hint",
    ] {
        assert!(e.get(key).is_some(), "missing {key}: {e}");
    }
}

#[test]
fn an_outline_that_crosses_itself_is_a_validation_error() {
    let e = err("extrude([[0, 0], [3, 3], [3, 0], [0, 1]], 0.5);");
    assert_eq!(e.kind, ErrorKind::Validation);
    assert!(e.message.contains("cannot triangulate"), "{}", e.message);
    assert!(e.message.contains("crosses itself"), "{}", e.message);
    assert_eq!(e.line, Some(1));
    assert!(!e.hint.is_empty());
    // A hole that pokes out of the outline is one too.
    let e = err(
        "extrude([[0, 0], [1, 0], [1, 1], [0, 1]], 0.5, #{ holes: [[[0.5, 0.5], [2, 0.5], [2, 0.8]]] });",
    );
    assert_eq!(e.kind, ErrorKind::Validation);
}

#[test]
fn extrude_cuts_holes() {
    let r = common::run_ok(
        "world(#{ duration: 0.1 });\nlet frame = extrude([[0, 0], [2, 0], [2, 2], [0, 2]], 0.1, #{ name: \"frame\", holes: [[[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5]]] });",
    );
    assert!(r.report.error.is_none());
    assert!(r.report.counts.entities >= 1);
}
