//! Any bytes as a world script: compile, build and simulate briefly. The
//! runtime must answer with a world or a structured error; a panic, a hang
//! or a crash is a bug.
//!
//!     cargo fuzz run eval_script ../examples
#![no_main]

use std::time::Duration;

use code2worlds::limits::Limits;
use code2worlds::pipeline::{self, RunOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let opts = RunOptions {
        duration: Some(0.2),
        fps: Some(10),
        limits: Limits {
            max_operations: 200_000,
            timeout: Duration::from_secs(5),
            max_entities: 500,
            max_particles: 5_000,
            ..Default::default()
        },
        ..Default::default()
    };
    let result = pipeline::run(src, &opts, &mut []);
    if let Some(e) = result.report.error {
        assert!(!e.message.is_empty());
    }
});
