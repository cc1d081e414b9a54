//! Property tests: whatever a script says, the runtime answers with a world
//! or a structured error, never a panic or a hang.

use std::time::Duration;

use code2worlds::limits::Limits;
use code2worlds::pipeline::{self, RunOptions};
use proptest::prelude::*;

fn opts() -> RunOptions {
    RunOptions {
        duration: Some(0.25),
        fps: Some(12),
        limits: Limits {
            timeout: Duration::from_secs(10),
            max_operations: 200_000,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A script value: numbers of every awkward kind, strings, vectors, maps.
fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i32>().prop_map(|i| i.to_string()),
        (-1e6f64..1e6).prop_map(|f| format!("{f:?}")),
        Just("0.0 / 0.0".to_string()),
        Just("1.0 / 0.0".to_string()),
        Just("-1".to_string()),
        Just("1e300".to_string()),
        Just("()".to_string()),
        Just("true".to_string()),
        "[a-z_ ]{0,8}".prop_map(|s| format!("\"{s}\"")),
        Just("\"dynamic\"".to_string()),
        Just("\"red\"".to_string()),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec((key(), inner), 0..4).prop_map(|kv| format!(
                "#{{ {} }}",
                kv.iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        ]
    })
}

/// Option keys: real ones and near misses.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("position"),
        Just("rotation"),
        Just("scale"),
        Just("body"),
        Just("mass"),
        Just("color"),
        Just("material"),
        Just("velocity"),
        Just("name"),
        Just("parent"),
        Just("restitution"),
        Just("rate"),
        Just("lifetime"),
        Just("direction"),
        Just("speed"),
        Just("anchor"),
        Just("axis"),
        Just("positon"),
        Just("colour"),
        Just("duration"),
        Just("fps"),
        Just("seed"),
        Just("ease"),
        Just("region"),
    ]
    .prop_map(str::to_string)
}

fn call() -> impl Strategy<Value = String> {
    let names = prop_oneof![
        Just("box"),
        Just("sphere"),
        Just("cylinder"),
        Just("capsule"),
        Just("cone"),
        Just("plane"),
        Just("torus"),
        Just("group"),
        Just("mesh"),
        Just("lathe"),
        Just("extrude"),
        Just("sweep"),
        Just("heightfield"),
        Just("world"),
        Just("sun"),
        Just("point_light"),
        Just("spot_light"),
        Just("camera"),
        Just("sky"),
        Just("fog"),
        Just("impulse"),
        Just("force"),
        Just("joint"),
        Just("wind"),
        Just("vortex"),
        Just("attractor"),
        Just("drag"),
        Just("emitter"),
        Just("burst"),
        Just("animate"),
        Just("oscillate"),
        Just("spin"),
        Just("follow_path"),
        Just("expect"),
        Just("find"),
        Just("set"),
        Just("copy"),
        Just("look_at"),
        Just("snapshot"),
        Just("noise"),
        Just("rand_range"),
        Just("vec3"),
        Just("circle_points"),
        Just("material"),
    ];
    (names, prop::collection::vec(value(), 0..5))
        .prop_map(|(n, args)| format!("let v = {n}({});", args.join(", ")))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_api_calls_give_worlds_or_structured_errors(calls in prop::collection::vec(call(), 1..6)) {
        let mut src = String::from("let e = sphere(0.5, #{ name: \"e\", body: \"dynamic\", position: [0, 1, 0] });\nplane(10);\n");
        for c in &calls {
            src.push_str(c);
            src.push('\n');
        }
        let r = pipeline::run(&src, &opts(), &mut []);
        if let Some(e) = &r.report.error {
            prop_assert!(!e.message.is_empty());
            prop_assert!(e.kind != code2worlds::script::ErrorKind::Internal, "internal error for:\n{src}\n{e}");
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let r = pipeline::run(&text, &opts(), &mut []);
        if let Some(e) = r.report.error {
            prop_assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn arbitrary_token_soup_never_panics(tokens in prop::collection::vec(prop_oneof![
        Just("let"), Just("fn"), Just("x"), Just("="), Just("("), Just(")"), Just("{"), Just("}"),
        Just("["), Just("]"), Just("#{"), Just(","), Just(";"), Just("1"), Just("2.5"), Just("\"s\""),
        Just("box"), Just("sphere"), Just("|t|"), Just("at"), Just("loop"), Just("for"), Just("in"),
        Just(".."), Just("+"), Just("*"), Just("."), Just("position"), Just("import"), Just("::"),
    ], 0..60)) {
        let src = tokens.join(" ");
        let _ = pipeline::run(&src, &opts(), &mut []);
    }
}
