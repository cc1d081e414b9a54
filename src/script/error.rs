//! Structured errors: every failure of a script, one JSON object a model can
//! act on, and a readable form for people. How Rhai's own errors become
//! these is in [`super::translate`].

use std::fmt;

use rhai::{EvalAltResult, Position};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Syntax,
    UnknownFunction,
    Type,
    Runtime,
    Validation,
    Limit,
    Timeout,
    Internal,
}

impl ErrorKind {
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::UnknownFunction => "unknown_function",
            ErrorKind::Type => "type",
            ErrorKind::Runtime => "runtime",
            ErrorKind::Validation => "validation",
            ErrorKind::Limit => "limit",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Internal => "internal",
        }
    }

    /// Process exit code: 2 when the script is at fault, 1 when we are.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Internal => 1,
            _ => 2,
        }
    }
}

/// An error raised by an API function, carried through Rhai inside
/// `ErrorRuntime` and turned into a [`ScriptError`] with its position.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub function: &'static str,
    pub message: String,
    pub suggestions: Vec<String>,
    pub hint: Option<String>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, function: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            function,
            message: message.into(),
            suggestions: Vec::new(),
            hint: None,
        }
    }

    pub fn validation(function: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, function, message)
    }

    pub fn type_error(function: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Type, function, message)
    }

    pub fn limit(function: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Limit, function, message)
    }

    pub fn with_suggestions(mut self, s: Vec<String>) -> Self {
        self.suggestions = s;
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl From<ApiError> for Box<EvalAltResult> {
    fn from(e: ApiError) -> Self {
        Box::new(EvalAltResult::ErrorRuntime(
            rhai::Dynamic::from(e),
            Position::NONE,
        ))
    }
}

/// What `on_progress` terminates a script with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    Timeout,
    Cancelled,
    HookBudget,
    Memory,
}

/// The error of a run stopped through [`crate::limits::Cancel`].
pub fn cancelled() -> ScriptError {
    let mut e = ScriptError::new(ErrorKind::Timeout, "the run was cancelled");
    e.hint = "The caller stopped the run; nothing is wrong with the script.".into();
    e
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScriptError {
    pub kind: ErrorKind,
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Where the position points: "script", or the stdlib module's file.
    pub source: String,
    /// The offending source line with a caret under the column.
    pub snippet: Option<String>,
    /// The API function involved, if any.
    pub function: Option<String>,
    /// Its documented call forms.
    pub signatures: Vec<String>,
    pub suggestions: Vec<String>,
    pub hint: String,
    /// Script functions the error passed through, innermost first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub call_stack: Vec<String>,
}

impl ScriptError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ScriptError {
            kind,
            message: message.into(),
            line: None,
            column: None,
            source: "script".into(),
            snippet: None,
            function: None,
            signatures: Vec::new(),
            suggestions: Vec::new(),
            hint: default_hint(kind).into(),
            call_stack: Vec::new(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    pub fn at(mut self, line: usize, column: usize, source_text: &str) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self.snippet = snippet(source_text, line, column);
        // `{ key: value }` is a block to Rhai, so its keys read as undefined
        // variables; the line shows what was meant.
        if self.kind == ErrorKind::Syntax
            && let Some(name) = self
                .message
                .strip_prefix("syntax error: Undefined variable: ")
            && let Some(text) = source_text.lines().nth(line.saturating_sub(1))
            && looks_like_bare_map(text, name.trim())
        {
            self.hint = format!(
                "Option maps start with '#': write #{{ {}: ... }}, not {{ {}: ... }}.",
                name.trim(),
                name.trim()
            );
        }
        self
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|_| format!("{{\"kind\":\"internal\",\"message\":{:?}}}", self.message))
    }
}

fn default_hint(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Syntax => {
            "Rhai syntax: `let x = 1;` statements end with ';', maps are `#{ key: value }`, functions are `fn name(a) { ... }`."
        }
        ErrorKind::UnknownFunction => {
            "Use only functions from the API reference (`c2w docs`); check the spelling."
        }
        ErrorKind::Type => {
            "Check the argument types against the signature; numbers may be written 1 or 1.0, vectors as [x, y, z]."
        }
        ErrorKind::Runtime => "Check the values at this line.",
        ErrorKind::Validation => "Change the value to one inside the valid range.",
        ErrorKind::Limit => {
            "Make the script or world smaller: fewer loop iterations, entities or particles."
        }
        ErrorKind::Timeout => {
            "The run took too long: shorten the duration, lower substeps, or simplify callbacks."
        }
        ErrorKind::Internal => "This is a bug in code2worlds, not in the script; please report it.",
    }
}

/// The source line and a caret under the column, numbered like a compiler.
pub fn snippet(text: &str, line: usize, column: usize) -> Option<String> {
    let src = text.lines().nth(line.checked_sub(1)?)?;
    let width = line.to_string().len();
    let caret_at = src
        .chars()
        .take(column.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect::<String>();
    Some(format!(
        "{:>width$} | {src}\n{:>width$} | {caret_at}^",
        line, ""
    ))
}

/// Wraps [`StopReason`] so it can ride inside a Rhai `Dynamic`.
#[derive(Debug, Clone, Copy)]
pub struct StopReasonToken(pub StopReason);

/// Whether `line` has `{ name:` with no `#` before the brace.
fn looks_like_bare_map(line: &str, name: &str) -> bool {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    let needle = format!("{{{name}:");
    compact
        .match_indices(&needle)
        .any(|(i, _)| !compact[..i].ends_with('#'))
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error[{}]: {}", self.kind.name(), self.message)?;
        if let Some(line) = self.line {
            writeln!(
                f,
                "  --> {}:{}:{}",
                self.source,
                line,
                self.column.unwrap_or(1)
            )?;
        }
        if let Some(s) = &self.snippet {
            for l in s.lines() {
                writeln!(f, "   {l}")?;
            }
        }
        for s in &self.signatures {
            writeln!(f, "   = signature: {s}")?;
        }
        if !self.suggestions.is_empty() {
            writeln!(f, "   = did you mean: {}", self.suggestions.join(", "))?;
        }
        for c in &self.call_stack {
            writeln!(f, "   = {c}")?;
        }
        write!(f, "   = hint: {}", self.hint)
    }
}

impl std::error::Error for ScriptError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_points_at_the_column() {
        let s = snippet("let a = 1;\nlet b = sphere(-1);\n", 2, 9).unwrap();
        assert_eq!(s, "2 | let b = sphere(-1);\n  |         ^");
        assert!(snippet("one line", 3, 1).is_none());
    }
}
