//! The API reference cannot drift from the code: it is generated from the
//! registered functions, its examples run, and docs/api.md is current.

use code2worlds::limits::Limits;
use code2worlds::pipeline::{self, RunOptions};
use code2worlds::script::{Session, reference};

#[test]
fn every_documented_example_runs() {
    let session = Session::new(Limits::default(), None);
    let mut failures = Vec::new();
    for f in &session.registry().functions {
        let r = pipeline::build(f.example, &RunOptions::default());
        if let Err(e) = r {
            failures.push(format!("{}: {}\n{}", f.name, f.example, e.error));
        }
        assert!(
            !f.doc.is_empty() && !f.forms.is_empty(),
            "{} is documented",
            f.name
        );
        for form in f.forms {
            assert!(
                form.contains(f.name),
                "{}: form {form} names the function",
                f.name
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_option_key_is_described() {
    let session = Session::new(Limits::default(), None);
    for f in &session.registry().functions {
        for o in f.option_specs() {
            assert!(!o.doc.is_empty(), "{}.{} has no description", f.name, o.key);
        }
    }
}

#[test]
fn docs_api_md_is_generated_from_the_code() {
    let session = Session::new(Limits::default(), None);
    let generated = reference::markdown(session.registry());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/api.md");
    if std::env::var_os("C2W_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).expect("docs/api.md");
    assert!(
        committed == generated,
        "docs/api.md is stale: regenerate it with `cargo run -- docs --markdown > docs/api.md`"
    );
}

#[test]
fn the_reference_covers_every_topic_and_is_valid_json() {
    let session = Session::new(Limits::default(), None);
    let json: serde_json::Value =
        serde_json::from_str(&reference::json(session.registry())).unwrap();
    let functions = json["functions"].as_array().unwrap();
    assert!(functions.len() > 50);
    let compact = reference::compact(session.registry(), None);
    for name in [
        "sphere",
        "joint",
        "emitter",
        "wind",
        "animate",
        "expect",
        "at",
        "heightfield",
    ] {
        assert!(
            compact.contains(&format!("{name}(")),
            "{name} missing from the compact reference"
        );
    }
}
