//! The ten Code4D reference worlds (`examples/code4d/`): one hand-written
//! world per benchmark prompt, each with the brief a careful planner would
//! write for it. Each runs, meets its expectations and passes the critic
//! against its brief, visual checks included, with no finding and no
//! coverage row failed (rows the critic cannot measure are allowed).

mod common;

use std::path::{Path, PathBuf};

use code2worlds::brief::Brief;
use code2worlds::critic::{CriticDiff, Verdict};
use code2worlds::pipeline::RunOptions;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/code4d")
}

/// The benchmark's prompts by id.
fn prompts() -> Vec<(String, String)> {
    code2worlds::batch::bench::CODE4D
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            (
                v["id"].as_str().unwrap().to_string(),
                v["prompt"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn brief(id: &str) -> Brief {
    let text = std::fs::read_to_string(dir().join(format!("{id}.brief.json")))
        .unwrap_or_else(|e| panic!("{id}.brief.json: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{id}.brief.json: {e}"))
}

fn reference_world_passes(id: &str) {
    let (_, prompt) = prompts()
        .into_iter()
        .find(|(i, _)| i == id)
        .unwrap_or_else(|| panic!("no Code4D prompt {id}"));
    let b = brief(id);
    assert_eq!(b.prompt, prompt, "{id}: the brief is for another prompt");
    let src = std::fs::read_to_string(dir().join(format!("{id}.rhai"))).unwrap();
    let (r, diff) = common::judge(&src, Some(b));
    if let Some(e) = &r.report.error {
        panic!("{id}: {e}");
    }
    assert!(
        !r.report.expectations.is_empty(),
        "{id} states no expectations"
    );
    for x in &r.report.expectations {
        assert!(x.passed, "{id} line {}: {}", x.line, x.message);
    }
    let duration = r
        .trace
        .as_ref()
        .and_then(|t| t.frames.last())
        .map_or(0.0, |f| f.t);
    assert!(duration > 9.9, "{id} lasts {duration:.1} s, not 10");
    let failed: Vec<_> = diff
        .coverage
        .iter()
        .filter(|c| c.status == "failed")
        .collect();
    assert!(
        diff.verdict == Verdict::Pass && diff.findings.is_empty() && failed.is_empty(),
        "{id}:\n{diff}\nfailed rows: {failed:?}"
    );
}

macro_rules! reference_worlds {
    ($($test:ident => $id:literal,)*) => {
        $(#[test]
        fn $test() {
            reference_world_passes($id);
        })*

        /// One world per benchmark prompt, no more, no fewer.
        #[test]
        fn there_is_a_reference_world_for_every_prompt() {
            let mut ids: Vec<String> = prompts().into_iter().map(|(i, _)| i).collect();
            ids.sort();
            let mut ours = vec![$($id.to_string()),*];
            ours.sort();
            assert_eq!(ids, ours);
            for id in &ours {
                assert!(dir().join(format!("{id}.rhai")).exists(), "{id}.rhai");
            }
        }
    };
}

reference_worlds! {
    autumn_breeze => "c4d-01-autumn-breeze",
    timelapse => "c4d-02-timelapse",
    falling_leaves => "c4d-03-falling-leaves",
    rainstorm => "c4d-04-rainstorm",
    dune => "c4d-05-dune",
    jellyfish => "c4d-06-jellyfish",
    burning_tree => "c4d-07-burning-tree",
    spilling_cup => "c4d-08-spilling-cup",
    rolling_bottle => "c4d-09-rolling-bottle",
    steaming_cup => "c4d-10-steaming-cup",
}

const DAY_BRIEF: &str = r#"{
  "prompt": "the day passes over a meadow",
  "dynamics": [{"kind": "time_of_day"}]
}"#;

/// `daylight::track` passes the day in one call; a sun left where it is
/// does not.
#[test]
fn a_daylight_track_passes_the_time_of_day_and_a_fixed_sun_does_not() {
    let world = |light: &str| {
        format!(
            "import \"daylight\" as daylight;\nworld(#{{ duration: 4, fps: 12 }});\n\
             plane(40, #{{ name: \"meadow\", material: \"grass\" }});\n\
             box([1, 1, 1], #{{ name: \"stone\", position: [0, 0.5, 0], body: \"fixed\" }});\n\
             {light}\ncamera(#{{ position: [0, 2, 8], target: [0, 1, 0] }});\n"
        )
    };
    let b: Brief = serde_json::from_str(DAY_BRIEF).unwrap();
    let (_, passing) = common::judge(
        &world("daylight::track([[0, 5.5], [4, 22.0]]);"),
        Some(b.clone()),
    );
    let row = |d: &CriticDiff| {
        d.coverage
            .iter()
            .find(|c| c.item.contains("time_of_day"))
            .map(|c| c.status)
            .unwrap_or_else(|| panic!("no time_of_day row:\n{d}"))
    };
    assert_eq!(row(&passing), "verified", "{passing}");
    let (_, fixed) = common::judge(&world("sun(#{ elevation: 40 });"), Some(b));
    assert_eq!(row(&fixed), "failed", "{fixed}");
}

/// A time-lapse track must read its keys in order and refuse none.
#[test]
fn a_daylight_track_without_keys_is_an_error_a_model_can_read() {
    let src = "import \"daylight\" as daylight;\nworld(#{ duration: 1 });\ndaylight::track([]);\n";
    let e = common::run_err(src, &RunOptions::default());
    assert!(
        e.to_string().contains("at least one [time, hour] key"),
        "{e}"
    );
}

/// The day's mist glows warm around sunrise and turns back to its cool
/// base colour by day: `daylight::track` animates the environment's
/// `fog_color` with the hour.
#[test]
fn the_mist_is_warm_at_dawn_and_cool_by_day() {
    struct FogColours(Vec<(f64, glam::Vec3)>);
    impl code2worlds::sim::FrameSink for FogColours {
        fn accept(
            &mut self,
            _: &code2worlds::world::World,
            frame: &code2worlds::sim::Frame,
        ) -> Result<(), code2worlds::sim::SinkError> {
            self.0.push((frame.time, frame.environment.fog_color));
            Ok(())
        }
    }
    let src = "import \"daylight\" as daylight;\nworld(#{ duration: 4, fps: 4 });\n\
               plane(20);\ndaylight::track([[0, 5.5], [4, 12.5]]);\n";
    let mut fog = FogColours(Vec::new());
    let r = code2worlds::pipeline::run(src, &RunOptions::default(), &mut [&mut fog]);
    assert!(r.report.error.is_none(), "{:?}", r.report.error);
    let (_, dawn) = fog.0.first().copied().expect("frames");
    let (_, noon) = fog.0.last().copied().expect("frames");
    assert!(dawn.x > dawn.z + 0.1, "warm mist before sunrise: {dawn}");
    assert!(noon.z >= noon.x, "cool mist by day: {noon}");
}
