//! Rhai's errors translated into [`ScriptError`]s: unwrapping calls into
//! script functions and modules down to the cause, placing it in the right
//! source, and turning each kind of failure into a message, a hint and
//! suggestions drawn from the registry.

use rhai::{EvalAltResult, ParseErrorType, Position};

use super::error::{ApiError, ErrorKind, ScriptError, StopReason, StopReasonToken, cancelled};
use super::registry::Registry;
use crate::util::suggest::closest;

impl ScriptError {
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

fn first_line(s: &str) -> String {
    // Rhai appends " (line N, position M)"; we carry the position separately.
    let s = s.lines().next().unwrap_or(s);
    match s.rfind(" (line ") {
        Some(i) => s[..i].to_string(),
        None => s.to_string(),
    }
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
        // Judged by the kind of lexer error, not its wording: "Unexpected
        // ';'" quotes the character too, and is no string problem.
        ParseErrorType::BadInput(lex) => match lex {
            rhai::LexError::MalformedChar(_) => {
                Some("Strings use double quotes: \"text\".".into())
            }
            rhai::LexError::UnexpectedInput(c) if c == ";" => Some(
                "Something is missing before this ';': a value after `=`, an argument, or a closing bracket."
                    .into(),
            ),
            _ => None,
        },
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
    // A module's function ("assets::desk"): suggest from that module's
    // builders, not from the whole API ("set").
    if let Some((module, _)) = name.split_once("::") {
        let in_module: Vec<String> = crate::script::stdlib::catalog()
            .into_iter()
            .filter(|c| c.module == module)
            .map(|c| format!("{module}::{}", c.name))
            .collect();
        if in_module.is_empty() {
            e.hint = format!(
                "There is no module {module}: the modules are {}, each imported with import \"name\" as name;",
                crate::script::stdlib::module_names()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return e;
        }
        // The same builder in another module ("nature::tree" is
        // assets::tree) is the likeliest meant.
        let bare = name.rsplit("::").next().unwrap_or(&name);
        let elsewhere: Vec<String> = crate::script::stdlib::catalog()
            .into_iter()
            .filter(|c| c.module != module && c.name == bare)
            .map(|c| format!("{}::{}", c.module, c.name))
            .collect();
        if let Some(other) = elsewhere.first() {
            let other_module = other.split("::").next().unwrap_or_default();
            e.suggestions = elsewhere.clone();
            e.hint = format!(
                "{bare} is in the {other_module} module: import \"{other_module}\" as {other_module}; then call {other}."
            );
            return e;
        }
        e.suggestions = closest(&name, in_module.iter().map(String::as_str), 3);
        e.hint = match e.suggestions.first() {
            Some(first) => {
                format!("Did you mean {first}? `c2w docs` lists the {module} module's functions.")
            }
            None => format!("`c2w docs` lists the {module} module's functions."),
        };
        return e;
    }
    let lower = name.to_lowercase();
    let synonym = registry.by_alias(&lower).map(|f| f.name.to_string());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_split() {
        assert_eq!(
            split_signature("spher (f64, rhai::Map)"),
            ("spher".into(), vec!["f64".into(), "rhai::Map".into()])
        );
        assert_eq!(split_signature("noargs ()"), ("noargs".into(), vec![]));
    }
}
