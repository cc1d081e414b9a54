//! One error type for the whole output module.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong while encoding, writing or reading output files.
#[derive(Debug)]
pub enum VideoError {
    /// The caller passed something unusable (sizes, buffer lengths, fps).
    InvalidInput(String),
    /// A file could not be read or written.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The H.264 encoder or decoder reported an error.
    Codec(String),
    /// A file is not the MP4 or PNG we expected.
    Format(String),
    /// A worker thread stopped without reporting (it panicked).
    Worker(String),
}

pub type Result<T> = std::result::Result<T, VideoError>;

impl VideoError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        VideoError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        VideoError::InvalidInput(msg.into())
    }

    pub(crate) fn format(msg: impl Into<String>) -> Self {
        VideoError::Format(msg.into())
    }

    pub(crate) fn codec(context: &str, err: impl fmt::Display) -> Self {
        VideoError::Codec(format!("{context}: {err}"))
    }
}

impl fmt::Display for VideoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VideoError::InvalidInput(m) => write!(f, "invalid input: {m}"),
            VideoError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            VideoError::Codec(m) => write!(f, "codec error: {m}"),
            VideoError::Format(m) => write!(f, "bad file: {m}"),
            VideoError::Worker(m) => write!(f, "worker thread failed: {m}"),
        }
    }
}

impl std::error::Error for VideoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            VideoError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Turns a thread's panic payload into a message.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic without a message".to_string()
    }
}
