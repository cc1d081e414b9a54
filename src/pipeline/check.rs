//! Compile a script and build its scene at t = 0 without simulating:
//! `c2w check` and the MCP server's `check_world`.

use std::time::Instant;

use serde::Serialize;

use super::{BuildFailure, RunOptions, build};
use crate::measure::Counts;

/// What a successful check learnt about the world.
#[derive(Debug, Clone, Serialize)]
pub struct CheckSummary {
    pub ok: bool,
    pub duration: f64,
    pub fps: u32,
    pub frames: u64,
    pub counts: Counts,
    pub warnings: Vec<String>,
    pub elapsed_ms: f64,
}

/// Builds `source` as a run would, then stops before the first step.
pub fn check(source: &str, opts: &RunOptions) -> Result<CheckSummary, BuildFailure> {
    let start = Instant::now();
    let built = build(source, opts)?;
    Ok(built.session.with_world(|w| CheckSummary {
        ok: true,
        duration: w.settings.duration,
        fps: w.settings.fps,
        frames: w.settings.frame_count(),
        counts: Counts::of(w),
        warnings: built.warnings.clone(),
        elapsed_ms: start.elapsed().as_secs_f64() * 1000.0,
    }))
}
