//! Stage seven: running the stages end to end: script to world, world
//! through the simulation, frames to recorders (trace, expectations, and
//! any other [`FrameSink`] such as the renderer), and back as a report or
//! an error.
//!
//! On top of [`run`]: [`job`] runs a world into a folder (render, judge,
//! write), [`snapshot`] renders one frame, [`export`] writes the animated
//! scene, [`check`] validates a script without running it, and [`corpus`]
//! runs the critic's planted-fault cases. They live here, above every stage
//! they drive, so no stage below needs to call back up.

pub mod check;
pub mod corpus;
pub mod export;
pub mod job;
pub mod prepare;
pub mod snapshot;

pub use snapshot::{SnapshotError, render_at};

use std::time::{Duration, Instant};

use crate::limits::Limits;
use crate::measure::{Counts, ExpectationTracker, Report, Timings, Trace};
use crate::script::{ErrorKind, ScriptError, Session};
use crate::sim::{Frame, FrameSink, Simulation, SinkError};
use crate::world::{Hook, World};

/// What a caller can change about a run from outside the script.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub seed: Option<u64>,
    pub duration: Option<f64>,
    pub fps: Option<u32>,
    pub limits: Limits,
}

/// Told after each frame: frames done, frames in all.
pub type FrameProgress = Box<dyn FnMut(u64, u64) + Send>;

/// A [`FrameSink`] that reports progress (for progress bars and the MCP
/// server's progress notifications).
pub struct ProgressSink(pub FrameProgress);

impl FrameSink for ProgressSink {
    fn accept(&mut self, world: &World, frame: &Frame) -> Result<(), SinkError> {
        (self.0)(frame.index + 1, world.settings.frame_count());
        Ok(())
    }
}

/// A built, validated world, still inside the script session that owns its
/// callbacks.
pub struct Built {
    pub session: Session,
    pub warnings: Vec<String>,
    pub timings: Timings,
    pub deadline: Instant,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Why a build failed, with what was learnt before it did.
#[derive(Debug)]
pub struct BuildFailure {
    pub error: ScriptError,
    pub timings: Timings,
    pub logs: Vec<String>,
}

/// Compiles and runs the script's top level, applies overrides and scene
/// defaults. Nothing is simulated.
pub fn build(source: &str, opts: &RunOptions) -> Result<Built, BuildFailure> {
    let start = Instant::now();
    let deadline = start + opts.limits.timeout;
    let mut session = Session::new(opts.limits.clone(), opts.seed);
    session.set_deadline(Some(deadline));
    let mut timings = Timings::default();
    let compiled = session.compile(source);
    timings.compile_ms = ms(start.elapsed());
    if let Err(error) = compiled {
        return Err(BuildFailure {
            error,
            timings,
            logs: Vec::new(),
        });
    }
    let t_build = Instant::now();
    let result = session.eval(source);
    timings.build_ms = ms(t_build.elapsed());
    if let Err(error) = result {
        return Err(BuildFailure {
            error,
            timings,
            logs: session.logs(),
        });
    }
    let mut warnings = Vec::new();
    let limit_err = session.with_world_mut(|w| {
        if let Some(d) = opts.duration {
            w.settings.duration = d;
        }
        if let Some(f) = opts.fps {
            w.settings.fps = f;
        }
        let frames = w.settings.frame_count();
        if frames > opts.limits.max_frames {
            return Some(ScriptError::new(
                ErrorKind::Limit,
                format!(
                    "duration x fps = {frames} frames, more than the limit of {}",
                    opts.limits.max_frames
                ),
            ));
        }
        warnings = prepare::finish_scene(w);
        w.warnings.extend(warnings.iter().cloned());
        None
    });
    if let Some(error) = limit_err {
        return Err(BuildFailure {
            error,
            timings,
            logs: session.logs(),
        });
    }
    Ok(Built {
        session,
        warnings,
        timings,
        deadline,
    })
}

/// When each callback is next due.
#[derive(Default)]
pub struct HookClock {
    next: Vec<f64>,
}

impl HookClock {
    /// Calls every callback due at time `t` (before the step from `t`).
    pub fn fire(&mut self, session: &mut Session, t: f64, dt: f64) -> Result<(), ScriptError> {
        let eps = dt * 1e-3;
        let mut i = 0;
        // Callbacks may register more callbacks; re-read the list each time.
        while let Some(hook) = session.with_world(|w| w.hooks.get(i).cloned()) {
            if self.next.len() <= i {
                self.next.push(match hook {
                    Hook::At { time, .. } => time,
                    Hook::Every { start, .. } => start,
                });
            }
            if t + eps >= self.next[i] {
                let id = match hook {
                    Hook::At { hook, .. } | Hook::Every { hook, .. } => hook,
                };
                self.next[i] = match hook {
                    Hook::At { .. } => f64::INFINITY,
                    Hook::Every { interval, .. } if interval > 0.0 => {
                        let mut n = self.next[i] + interval;
                        while n <= t + eps {
                            n += interval;
                        }
                        n
                    }
                    Hook::Every { .. } => t + dt,
                };
                session.call_hook(id, t)?;
            }
            i += 1;
        }
        Ok(())
    }
}

/// Advances one output frame: callbacks then a physics step, `substeps`
/// times.
pub fn advance_frame(
    sim: &mut Simulation,
    clock: &mut HookClock,
    session: &mut Session,
) -> Result<(), ScriptError> {
    let substeps = session.with_world(|w| w.settings.substeps);
    for _ in 0..substeps {
        clock.fire(session, sim.time(), sim.dt())?;
        session.with_world_mut(|w| sim.step(w));
    }
    Ok(())
}

/// The outcome of a run: a report always, a trace when the world was built.
pub struct RunResult {
    pub report: Report,
    pub trace: Option<Trace>,
}

fn failed(err: ScriptError, timings: Timings, logs: Vec<String>, opts: &RunOptions) -> RunResult {
    let report = Report {
        ok: false,
        seed: opts.seed.unwrap_or(0),
        timings,
        logs,
        error: Some(err),
        ..Default::default()
    };
    RunResult {
        report,
        trace: None,
    }
}

/// Builds and simulates a script, feeding every frame to the trace, the
/// expectation tracker and `sinks`.
pub fn run(source: &str, opts: &RunOptions, sinks: &mut [&mut dyn FrameSink]) -> RunResult {
    let start = Instant::now();
    let built = match build(source, opts) {
        Ok(b) => b,
        Err(f) => return failed(f.error, f.timings, f.logs, opts),
    };
    simulate(built, sinks, start)
}

/// Simulates a built world to its end.
pub fn simulate(built: Built, sinks: &mut [&mut dyn FrameSink], start: Instant) -> RunResult {
    let Built {
        mut session,
        warnings,
        mut timings,
        deadline,
    } = built;
    let cancel = session.host().borrow().limits.cancel.clone();
    let t_sim = Instant::now();
    let (mut sim, mut trace, mut tracker, settings) = session.with_world_mut(|w| {
        let sim = Simulation::new(w);
        (
            sim,
            Trace::new(w),
            ExpectationTracker::new(w),
            w.settings.clone(),
        )
    });
    let frames = settings.frame_count();
    let mut render_time = Duration::ZERO;
    let mut peak = 0usize;
    let mut last_hash = 0u64;
    let mut error: Option<ScriptError> = None;
    let mut last_frame: Option<Frame> = None;
    let mut clock = HookClock::default();
    session.begin_run();
    let dt = sim.dt();
    'frames: for index in 0..frames {
        if index > 0 {
            if let Err(e) = advance_frame(&mut sim, &mut clock, &mut session) {
                error = Some(e);
                break 'frames;
            }
        } else if let Err(e) = clock.fire(&mut session, 0.0, dt) {
            // Callbacks due at t = 0 run before the first frame is taken.
            error = Some(e);
            break 'frames;
        }
        let sink_result = session.with_world(|w| {
            let frame = sim.frame(w, index);
            let frame = last_frame.insert(frame);
            peak = peak.max(frame.particles.positions.len());
            last_hash = frame.state_hash;
            trace.record(w, frame);
            tracker.record(w, frame);
            let t_render = Instant::now();
            for s in sinks.iter_mut() {
                s.accept(w, frame)
                    .map_err(|e| ScriptError::new(ErrorKind::Internal, e.message))?;
            }
            render_time += t_render.elapsed();
            Ok::<(), ScriptError>(())
        });
        if let Err(e) = sink_result {
            error = Some(e);
            break;
        }
        if cancel.is_cancelled() {
            error = Some(crate::script::error::cancelled());
            break;
        }
        if Instant::now() > deadline {
            error = Some(ScriptError::new(
                ErrorKind::Timeout,
                format!(
                    "the run exceeded its wall-clock limit at t = {:.2} s of {:.2} s",
                    sim.time(),
                    settings.duration
                ),
            ));
            break;
        }
    }
    session.end_run();
    let t_end = Instant::now();
    session.with_world(|w| {
        for s in sinks.iter_mut() {
            s.end(w, last_frame.as_ref());
        }
    });
    render_time += t_end.elapsed();
    timings.simulate_ms = ms(t_sim.elapsed() - render_time);
    timings.render_ms = ms(render_time);
    timings.total_ms = ms(start.elapsed());
    let (counts, world_warnings) = session.with_world(|w| {
        let mut c = Counts::of(w);
        c.particles_peak = peak;
        c.particles_emitted = sim.particles.emitted.iter().sum();
        (c, w.warnings.clone())
    });
    let expectations = tracker.finish();
    let mut all_warnings = world_warnings;
    for w in warnings {
        if !all_warnings.contains(&w) {
            all_warnings.push(w);
        }
    }
    let report = Report {
        ok: error.is_none(),
        seed: settings.seed,
        duration: settings.duration,
        fps: settings.fps,
        substeps: settings.substeps,
        frames: trace.frames.len() as u64,
        steps: sim.steps(),
        state_hash: format!("{last_hash:016x}"),
        hashes: trace.hashes.clone(),
        timings,
        counts,
        expectations_passed: expectations.iter().all(|e| e.passed),
        expectations,
        warnings: all_warnings,
        logs: session.logs(),
        error,
        render: None,
        deformables: trace.deformables.clone(),
    };
    RunResult {
        report,
        trace: Some(trace),
    }
}
