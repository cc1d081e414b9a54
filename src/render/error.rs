//! Renderer errors. Every failure, including GPU validation errors that
//! wgpu would otherwise turn into panics, ends up here.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum RenderError {
    /// Bad options (size, quality, adapter name).
    Options(String),
    /// No adapter matched the choice.
    NoAdapter(String),
    /// The adapter would not give us a device, or lacks something we need.
    Device(String),
    /// The GPU reported an error while rendering (validation, out of memory,
    /// lost device).
    Gpu(String),
    /// `render`/`analyse` called while pipelined frames are still in flight.
    Busy,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Options(m) => write!(f, "render options: {m}"),
            RenderError::NoAdapter(m) => write!(f, "no graphics adapter: {m}"),
            RenderError::Device(m) => write!(f, "graphics device: {m}"),
            RenderError::Gpu(m) => write!(f, "GPU error: {m}"),
            RenderError::Busy => {
                f.write_str("frames are still in flight; call flush() before render() or analyse()")
            }
        }
    }
}

impl std::error::Error for RenderError {}
