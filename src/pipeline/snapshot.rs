//! One frame of a world at a chosen time: `c2w render --at T`, and the
//! tool form for models. It simulates only as far as it must.

use std::fmt;
use std::time::Instant;

use super::RunOptions;
use crate::measure::Report;
use crate::output::frame_index_at;
use crate::render::{RenderError, RenderOptions, Renderer, RgbaImage};
use crate::script::{ErrorKind, ScriptError};
use crate::sim::{Frame, FrameSink, SinkError};
use crate::world::World;

/// Why no snapshot came out: the script's fault or the renderer's.
#[derive(Debug)]
pub enum SnapshotError {
    Script(Box<ScriptError>),
    Render(RenderError),
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Script(e) => write!(f, "{}", e.message),
            SnapshotError::Render(e) => write!(f, "{e}"),
        }
    }
}

/// Renders one chosen frame and keeps the first failure.
struct OneFrame {
    renderer: Renderer,
    index: u64,
    image: Option<Result<RgbaImage, RenderError>>,
}

impl FrameSink for OneFrame {
    fn accept(&mut self, world: &World, frame: &Frame) -> Result<(), SinkError> {
        if frame.index == self.index {
            self.image = Some(self.renderer.render(world, frame));
        }
        Ok(())
    }
}

/// Builds `source`, simulates to `time` seconds and renders that frame.
/// The run's report comes back too (timings, warnings, logs).
pub fn render_at(
    source: &str,
    opts: &RunOptions,
    time: f64,
    render: &RenderOptions,
) -> Result<(RgbaImage, Report), SnapshotError> {
    if !time.is_finite() || time < 0.0 {
        return Err(SnapshotError::Render(RenderError::Options(format!(
            "the snapshot time must be a number of seconds >= 0, got {time}"
        ))));
    }
    // The adapter first: without one there is no point simulating.
    let renderer = Renderer::new(render).map_err(SnapshotError::Render)?;
    let start = Instant::now();
    let built = super::build(source, opts).map_err(|f| SnapshotError::Script(Box::new(f.error)))?;
    let index = built.session.with_world_mut(|w| {
        let index = frame_index_at(time, w.settings.fps);
        // Stop right after the frame we want.
        w.settings.duration = (index + 1) as f64 / w.settings.fps as f64;
        index
    });
    // The build checked the script's own duration; a far-off time would
    // otherwise simulate until the wall-clock limit.
    if index >= opts.limits.max_frames {
        let mut e = ScriptError::new(
            ErrorKind::Limit,
            format!(
                "t = {time} s is frame {index}, past the limit of {} frames",
                opts.limits.max_frames
            ),
        );
        e.hint = "Ask for a time within the world's duration.".into();
        return Err(SnapshotError::Script(Box::new(e)));
    }
    let mut sink = OneFrame {
        renderer,
        index,
        image: None,
    };
    let result = super::simulate(built, &mut [&mut sink], start);
    if let Some(e) = result.report.error.clone() {
        return Err(SnapshotError::Script(Box::new(e)));
    }
    match sink.image {
        Some(Ok(image)) => Ok((image, result.report)),
        Some(Err(e)) => Err(SnapshotError::Render(e)),
        None => Err(SnapshotError::Render(RenderError::Options(format!(
            "frame {index} was never reached"
        )))),
    }
}
