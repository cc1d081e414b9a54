//! What can go wrong talking to a model.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LlmError {
    /// The server answered with an error status (after retries, when the
    /// status was worth retrying).
    Http { status: u16, message: String },
    /// No answer within the configured timeout.
    Timeout(String),
    /// The server could not be reached, or the connection broke.
    Connect(String),
    /// An answer came but is not what was asked for.
    Malformed(String),
    /// The configuration or the request cannot work.
    Config(String),
}

impl fmt::Display for LlmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LlmError::Http { status, message } => write!(f, "HTTP {status}: {message}"),
            LlmError::Timeout(m) => write!(f, "timed out: {m}"),
            LlmError::Connect(m) => write!(f, "cannot reach the model server: {m}"),
            LlmError::Malformed(m) => write!(f, "malformed answer: {m}"),
            LlmError::Config(m) => write!(f, "model configuration: {m}"),
        }
    }
}

impl std::error::Error for LlmError {}

/// The readable part of an error body: `error.message` in both providers'
/// formats, else the body itself, shortened.
pub(crate) fn body_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        let e = &v["error"];
        if let Some(m) = e["message"].as_str().or_else(|| e.as_str()) {
            return excerpt(m);
        }
        if let Some(m) = v["message"].as_str().or_else(|| v["detail"].as_str()) {
            return excerpt(m);
        }
    }
    if body.trim().is_empty() {
        "(empty body)".into()
    } else {
        excerpt(body)
    }
}

/// At most 300 characters, on one line.
pub(crate) fn excerpt(s: &str) -> String {
    let one_line: String = s
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match one_line.char_indices().nth(300) {
        Some((i, _)) => format!("{}...", &one_line[..i]),
        None => one_line,
    }
}
