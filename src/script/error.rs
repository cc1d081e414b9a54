//! Structured errors: every failure of a script, one JSON object a model can
//! act on, and a readable form for people.

use std::fmt;

use rhai::{EvalAltResult, ParseErrorType, Position};
use serde::Serialize;

use super::registry::Registry;
use crate::util::suggest::closest;

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

    /// Converts a Rhai error; `source_text` is the script, `module_source`
    /// gives the text of stdlib modules for snippets inside them.
    pub fn from_rhai(
        err: &EvalAltResult,
        source_text: &str,
        registry: &Registry,
        module_source: &dyn Fn(&str) -> Option<String>,
    ) -> ScriptError {
        let mut stack = Vec::new();
        let mut source_name = String::new();
        let mut outer_pos = Position::NONE;
        let mut cur = err;
        // Unwrap calls into script functions and modules down to the cause,
        // remembering the last position that lies in the user's script.
        loop {
            match cur {
                EvalAltResult::ErrorInFunctionCall(name, src, inner, pos) => {
                    if source_name.is_empty() && !pos.is_none() {
                        outer_pos = *pos;
                    }
                    stack.push(format!("in {name}() called at {}", fmt_pos(*pos)));
                    if !src.is_empty() {
                        source_name = src.to_string();
                    }
                    cur = inner;
                }
                EvalAltResult::ErrorInModule(name, inner, pos) => {
                    if source_name.is_empty() && !pos.is_none() {
                        outer_pos = *pos;
                    }
                    stack.push(format!("in module '{name}'"));
                    source_name = name.to_string();
                    cur = inner;
                }
                _ => break,
            }
        }
        stack.reverse();
        let mut e = classify(cur, registry);
        e.call_stack = stack;
        let inner_pos = cur.position();
        let in_module = !source_name.is_empty();
        let (pos, text, src) = if in_module && !inner_pos.is_none() {
            match module_source(&source_name) {
                Some(t) => (inner_pos, t, source_name.clone()),
                None => (outer_pos, source_text.to_string(), "script".into()),
            }
        } else if !inner_pos.is_none() {
            (inner_pos, source_text.to_string(), "script".into())
        } else {
            (outer_pos, source_text.to_string(), "script".into())
        };
        e.source = src;
        if let (Some(mut l), col) = (pos.line(), pos.position()) {
            let mut col = col.unwrap_or(1);
            // Rhai notices a missing ';' at the next token; the fix belongs at
            // the end of the statement before it.
            if let EvalAltResult::ErrorParsing(ParseErrorType::MissingToken(tok, _), _) = cur
                && tok == ";"
                && let Some((pl, pc)) = end_of_previous_line(&text, l, col)
            {
                l = pl;
                col = pc;
            }
            e = e.at(l, col, &text);
        }
        if in_module {
            // The user's call site matters more to the author than a line
            // inside a stdlib module: say where it was called from.
            if let Some(l) = outer_pos.line() {
                e.hint = format!("{} (called from script line {l})", e.hint);
            }
        }
        e
    }
}

/// The line and column just after the last non-blank character before
/// (`line`, `column`), when that is on an earlier line.
fn end_of_previous_line(text: &str, line: usize, column: usize) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let current = lines.get(line.checked_sub(1)?)?;
    if !current
        .chars()
        .take(column.saturating_sub(1))
        .all(char::is_whitespace)
    {
        return None;
    }
    (1..line).rev().find_map(|l| {
        let src = lines[l - 1].split("//").next().unwrap_or("").trim_end();
        (!src.is_empty()).then(|| (l, src.chars().count() + 1))
    })
}

fn fmt_pos(p: Position) -> String {
    match (p.line(), p.position()) {
        (Some(l), Some(c)) => format!("line {l}, column {c}"),
        (Some(l), None) => format!("line {l}"),
        _ => "an unknown place".into(),
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

/// Splits Rhai's "name (type, type)" signature into the name and arity.
fn split_signature(sig: &str) -> (String, Vec<String>) {
    let (name, rest) = match sig.find(" (") {
        Some(i) => (&sig[..i], &sig[i + 2..]),
        None => (sig, ""),
    };
    let args = rest
        .trim_end_matches(')')
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    (name.to_string(), args)
}

fn friendly_type(t: &str) -> &str {
    match t {
        "i64" | "i32" => "integer",
        "f64" | "f32" => "float",
        "&str" | "ImmutableString" | "alloc::string::String" | "string" => "string",
        "()" => "()",
        t if t.ends_with("Array") || t == "array" => "array",
        t if t.ends_with("Map") || t == "map" => "map",
        t => t.rsplit("::").next().unwrap_or(t),
    }
}

/// Names a script may call that are not in our registry: Rhai's built-ins
/// most commonly used in world scripts.
pub const BUILTINS: &[&str] = &[
    "print",
    "debug",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sqrt",
    "abs",
    "floor",
    "ceiling",
    "round",
    "min",
    "max",
    "exp",
    "ln",
    "log",
    "to_float",
    "to_int",
    "to_string",
    "len",
    "push",
    "pop",
    "range",
    "PI",
    "E",
    "type_of",
    "contains",
    "keys",
    "values",
    "is_empty",
    "sign",
    "clamp",
    "to_degrees",
    "to_radians",
    "sinh",
    "cosh",
    "tanh",
    "hypot",
    "atan2",
    "insert",
    "remove",
    "reverse",
    "sort",
    "map",
    "filter",
    "reduce",
    "index_of",
    "split",
    "trim",
    "sub_string",
    "fract",
    "int",
    "float",
];

fn classify(err: &EvalAltResult, registry: &Registry) -> ScriptError {
    use EvalAltResult as E;
    match err {
        E::ErrorParsing(p, _) => syntax_error(p),
        E::ErrorFunctionNotFound(sig, _) => unknown_function(sig, registry),
        E::ErrorPropertyNotFound(prop, _) => {
            let mut all: Vec<&str> = registry.properties.iter().map(|p| p.name).collect();
            all.dedup();
            let mut e = ScriptError::new(
                ErrorKind::UnknownFunction,
                format!("unknown property '{prop}'"),
            );
            e.suggestions = closest(prop, all, 3);
            e.hint = "Handles have the properties listed in the reference (e.g. entity.position, entity.velocity); maps use map.key.".into();
            e
        }
        E::ErrorMismatchDataType(expected, actual, _) => ScriptError::new(
            ErrorKind::Type,
            format!(
                "expected {}, got {}",
                friendly_type(expected),
                friendly_type(actual)
            ),
        ),
        E::ErrorMismatchOutputType(expected, actual, _) => ScriptError::new(
            ErrorKind::Type,
            format!(
                "a value of type {} was used where {} is needed",
                friendly_type(actual),
                friendly_type(expected)
            ),
        ),
        E::ErrorTooManyOperations(_) => {
            let mut e = ScriptError::new(ErrorKind::Limit, "the script ran too many operations");
            e.hint = "An endless loop or too much work: bound every loop (for i in 0..n) and keep counts modest.".into();
            e
        }
        E::ErrorStackOverflow(_) => {
            let mut e =
                ScriptError::new(ErrorKind::Limit, "functions called each other too deeply");
            e.hint = "Recursion without an end: add a base case, or use a loop.".into();
            e
        }
        E::ErrorDataTooLarge(what, _) => {
            let mut e =
                ScriptError::new(ErrorKind::Limit, format!("{what} grew larger than allowed"));
            e.hint = "Arrays, strings and maps are capped; build smaller ones.".into();
            e
        }
        E::ErrorTooManyVariables(_) => ScriptError::new(ErrorKind::Limit, "too many variables"),
        E::ErrorTooManyModules(_) => {
            ScriptError::new(ErrorKind::Limit, "too many imported modules")
        }
        E::ErrorTerminated(token, _) => {
            let reason = token.clone().try_cast::<StopReasonToken>();
            match reason.map(|r| r.0) {
                Some(StopReason::Memory) => {
                    let mut e = ScriptError::new(
                        ErrorKind::Limit,
                        "the script used more memory than allowed",
                    );
                    e.hint =
                        "Build smaller arrays and maps; do not copy large arrays into many places."
                            .into();
                    e
                }
                Some(StopReason::HookBudget) => {
                    let mut e = ScriptError::new(
                        ErrorKind::Limit,
                        "callbacks (on_step, every, at) used up their operation budget",
                    );
                    e.hint = "Do less work per step: use every(interval, ...) instead of on_step, or simplify the callback.".into();
                    e
                }
                Some(StopReason::Cancelled) => cancelled(),
                _ => ScriptError::new(
                    ErrorKind::Timeout,
                    "the run exceeded its wall-clock time limit",
                ),
            }
        }
        E::ErrorRuntime(value, _) => {
            if let Some(api) = value.clone().try_cast::<ApiError>() {
                let mut e =
                    ScriptError::new(api.kind, format!("{}(): {}", api.function, api.message));
                e.function = Some(api.function.to_string());
                if let Some(doc) = registry.function(api.function) {
                    e.signatures = doc.signatures();
                }
                e.suggestions = api.suggestions;
                if let Some(h) = api.hint {
                    e.hint = h;
                }
                e
            } else {
                ScriptError::new(ErrorKind::Runtime, format!("script threw: {value}"))
            }
        }
        E::ErrorModuleNotFound(name, _) => {
            let mut e =
                ScriptError::new(ErrorKind::Runtime, format!("no module '{name}' to import"));
            e.suggestions = closest(name, crate::script::stdlib::module_names(), 3);
            e.hint = format!(
                "Only the standard library can be imported: {}.",
                crate::script::stdlib::module_names()
                    .map(|m| format!("import \"{m}\" as {m};"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            e
        }
        E::ErrorArithmetic(msg, _) => {
            let mut e = ScriptError::new(ErrorKind::Runtime, format!("arithmetic error: {msg}"));
            e.hint = "Integer division by zero or overflow: use floats (1.0) or guard the divisor."
                .into();
            e
        }
        E::ErrorArrayBounds(len, idx, _) => ScriptError::new(
            ErrorKind::Runtime,
            format!("index {idx} is out of bounds for an array of length {len}"),
        ),
        E::ErrorFor(_) => {
            let mut e = ScriptError::new(
                ErrorKind::Type,
                "for loops iterate over a range or an array",
            );
            e.hint = "Write `for i in 0..n { ... }` or `for x in array { ... }`.".into();
            e
        }
        E::ErrorSystem(msg, inner) => ScriptError::internal(format!("{msg}: {inner}")),
        other => ScriptError::new(ErrorKind::Runtime, first_line(&other.to_string())),
    }
}

/// Wraps [`StopReason`] so it can ride inside a Rhai `Dynamic`.
#[derive(Debug, Clone, Copy)]
pub struct StopReasonToken(pub StopReason);

fn first_line(s: &str) -> String {
    // Rhai appends " (line N, position M)"; we carry the position separately.
    let s = s.lines().next().unwrap_or(s);
    match s.rfind(" (line ") {
        Some(i) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// Whether `line` has `{ name:` with no `#` before the brace.
fn looks_like_bare_map(line: &str, name: &str) -> bool {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    let needle = format!("{{{name}:");
    compact
        .match_indices(&needle)
        .any(|(i, _)| !compact[..i].ends_with('#'))
}

fn syntax_error(p: &ParseErrorType) -> ScriptError {
    let message = first_line(&p.to_string());
    let mut e = ScriptError::new(ErrorKind::Syntax, format!("syntax error: {message}"));
    let hint = match p {
        ParseErrorType::MissingToken(tok, _) if tok == ";" => {
            Some("End each statement with ';'.".to_string())
        }
        ParseErrorType::MissingToken(tok, _) if tok == "}" || tok == ")" || tok == "]" => {
            Some(format!("A '{tok}' is missing: check that brackets are balanced."))
        }
        ParseErrorType::VariableUndefined(name) => Some(match name.as_str() {
            "function" | "def" | "func" => "Define functions with `fn name(a, b) { ... }`.".to_string(),
            "var" | "const_" => "Declare variables with `let x = ...;` (or `const X = ...;`).".to_string(),
            "True" | "False" => "Booleans are lower case: true, false.".to_string(),
            "None" | "null" | "nil" | "undefined" => "Rhai's empty value is `()`.".to_string(),
            "self" => "Inside methods use `this`.".to_string(),
            "Math" | "math" => "Math functions are global: sin(x), sqrt(x), PI().".to_string(),
            "PI" => "PI is a function in Rhai: write PI().".to_string(),
            "elif" => "Write `else if`.".to_string(),
            _ => format!(
                "'{name}' is not defined: declare it with `let {name} = ...;` before use (functions defined with fn cannot see outer variables; pass them as arguments)."
            ),
        }),
        ParseErrorType::Reserved(word) | ParseErrorType::UnknownOperator(word) => Some(match word.as_str() {
            "function" => "Define functions with `fn name(a, b) { ... }`.".into(),
            "var" => "Declare variables with `let`.".into(),
            "++" | "--" => "Rhai has no ++ or --: write `x += 1;`.".into(),
            "elif" => "Write `else if`.".into(),
            "new" => "There is no `new`: call the constructor function directly, e.g. `box(1.0)`.".into(),
            w => format!("'{w}' is not valid Rhai here."),
        }),
        ParseErrorType::BadInput(lex) => {
            let s = lex.to_string();
            if s.contains('\'') {
                Some("Strings use double quotes: \"text\".".into())
            } else {
                None
            }
        }
        ParseErrorType::ExprExpected(_) => Some(
            "An expression is missing. Object maps are written `#{ key: value }`, not `{ key: value }`."
                .into(),
        ),
        _ => None,
    };
    if let Some(h) = hint {
        e.hint = h;
    }
    e
}

/// Names models reach for from other engines and languages, and the API
/// function that does the job here.
const SYNONYMS: &[(&str, &str)] = &[
    ("cube", "box"),
    ("cuboid", "box"),
    ("block", "box"),
    ("ball", "sphere"),
    ("ground", "plane"),
    ("floor", "plane"),
    ("quad", "plane"),
    ("rod", "cylinder"),
    ("tube", "cylinder"),
    ("pill", "capsule"),
    ("donut", "torus"),
    ("ring", "torus"),
    ("light", "point_light"),
    ("lamp", "point_light"),
    ("spotlight", "spot_light"),
    ("directional_light", "sun"),
    ("particles", "emitter"),
    ("particle_system", "emitter"),
    ("spawn_particles", "emitter"),
    ("apply_impulse", "impulse"),
    ("apply_force", "force"),
    ("add_force", "force"),
    ("set_velocity", "set"),
    ("set_position", "set"),
    ("set_color", "set"),
    ("move_to", "set"),
    ("keyframe", "animate"),
    ("keyframes", "animate"),
    ("tween", "animate"),
    ("rotate", "spin"),
    ("move_along", "follow_path"),
    ("path", "follow_path"),
    ("after", "at"),
    ("schedule", "at"),
    ("timer", "every"),
    ("interval", "every"),
    ("on_update", "on_step"),
    ("update", "on_step"),
    ("tick", "on_step"),
    ("assert", "expect"),
    ("hinge", "joint"),
    ("rope", "joint"),
    ("spring", "joint"),
    ("constraint", "joint"),
    ("terrain", "heightfield"),
    ("revolve", "lathe"),
    ("extrusion", "extrude"),
    ("random", "rand"),
    ("random_range", "rand_range"),
    ("randint", "rand_int"),
    ("choice", "pick"),
    ("perlin", "noise"),
    ("get", "find"),
    ("get_entity", "find"),
    ("lookat", "look_at"),
    ("environment", "sky"),
    ("set_camera", "camera"),
    ("scene", "world"),
    ("settings", "world"),
];

fn unknown_function(sig: &str, registry: &Registry) -> ScriptError {
    let (name, args) = split_signature(sig);
    let arg_list = args
        .iter()
        .map(|a| friendly_type(a))
        .collect::<Vec<_>>()
        .join(", ");
    // A method call on a handle shows up with the handle as first argument.
    if let Some(doc) = registry.function(&name) {
        let mut e = ScriptError::new(
            ErrorKind::Type,
            format!("{name}() does not accept ({arg_list})"),
        );
        e.function = Some(name.clone());
        e.signatures = doc.signatures();
        e.hint = format!("Call it as {}.", doc.forms.join(" or "));
        return e;
    }
    let candidates: Vec<&str> = registry
        .names()
        .chain(BUILTINS.iter().copied())
        .chain(registry.properties.iter().map(|p| p.name))
        .collect();
    let mut e = ScriptError::new(
        ErrorKind::UnknownFunction,
        format!("no function {name}({arg_list})"),
    );
    if BUILTINS.contains(&name.as_str()) {
        e.kind = ErrorKind::Type;
        e.hint = format!(
            "{name} exists but not for ({arg_list}); check the argument types (x.to_float() converts an integer)."
        );
        return e;
    }
    let lower = name.to_lowercase();
    let synonym = SYNONYMS
        .iter()
        .find(|(k, _)| *k == lower)
        .map(|(_, v)| v.to_string());
    e.suggestions = synonym
        .into_iter()
        .chain(closest(&name, candidates, 3))
        .collect();
    e.suggestions.dedup();
    e.suggestions.truncate(3);
    if let Some(first) = e.suggestions.first() {
        if let Some(doc) = registry.function(first) {
            e.signatures = doc.signatures();
        }
        e.hint = format!("Did you mean {first}? See `c2w docs` for the API.");
    }
    e
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

    #[test]
    fn signatures_split() {
        assert_eq!(
            split_signature("spher (f64, rhai::Map)"),
            ("spher".into(), vec!["f64".into(), "rhai::Map".into()])
        );
        assert_eq!(split_signature("noargs ()"), ("noargs".into(), vec![]));
    }
}
