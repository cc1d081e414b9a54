//! Where frames go: anything that consumes them as the simulation produces
//! them (the trace's recorders, the renderer, the exporter, the critic).
//! The trait lives with the producer so that every consumer depends on the
//! simulation, never the other way round.

use std::fmt;

use super::Frame;
use crate::world::World;

/// Why a sink could not take a frame. The run stops there and reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkError {
    pub message: String,
}

impl SinkError {
    pub fn new(message: impl Into<String>) -> SinkError {
        SinkError {
            message: message.into(),
        }
    }
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SinkError {}

/// Anything that consumes frames as they are produced.
pub trait FrameSink {
    fn accept(&mut self, world: &World, frame: &Frame) -> Result<(), SinkError>;

    /// Called once after the last frame (also when the run stopped early),
    /// with the world as it ended and the last frame taken.
    fn end(&mut self, _world: &World, _last: Option<&Frame>) {}
}
