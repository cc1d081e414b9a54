//! Code in and out of model answers: pulling the script out of an answer,
//! and assembling the streams' pieces into one world script.

use crate::brief::Brief;

/// The imports every generated script starts with, so any stage may call
/// the catalog.
pub const PRELUDE: &str = "import \"assets\" as assets;\nimport \"nature\" as nature;\nimport \"layout\" as layout;\nimport \"daylight\" as daylight;\n";

/// The code in a model's answer: the first fenced block when there is one
/// (models add prose around code even when told not to), else the whole
/// answer. Repeated imports of the prelude's modules are dropped, since
/// the assembled script already has them.
pub fn extract_code(answer: &str) -> String {
    let body = fenced_block(answer).unwrap_or(answer);
    let mut out = String::new();
    for line in body.lines() {
        let t = line.trim();
        if t.starts_with("import \"") && PRELUDE.contains(t) {
            continue;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.trim_matches('\n').to_string()
}

fn fenced_block(answer: &str) -> Option<&str> {
    let start = answer.find("```")?;
    let after = &answer[start + 3..];
    // Skip the language tag line.
    let body_start = after.find('\n')? + 1;
    let body = &after[body_start..];
    let end = body.find("```").unwrap_or(body.len());
    Some(&body[..end])
}

/// Why `code` looks cut off before its end, if it does: a string or
/// block comment still open, or brackets never closed. A model stopped by
/// its token limit leaves exactly this; a whole answer, even a wrong one,
/// closes what it opens (mismatched closers are a plain syntax error, not
/// a cut).
pub fn cut_off_reason(code: &str) -> Option<String> {
    let bytes = code.as_bytes();
    let mut open: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        match c {
            b'/' if next == Some(b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if next == Some(b'*') => {
                // Rhai's block comments nest.
                let mut depth = 1;
                i += 2;
                while i < bytes.len() && depth > 0 {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 1;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 1;
                    }
                    i += 1;
                }
                if depth > 0 {
                    return Some("it ends inside a /* comment".into());
                }
                continue;
            }
            b'"' | b'`' | b'\'' => {
                let quote = c;
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    if bytes[i] == b'\\' {
                        i += 1;
                    } else if bytes[i] == b'\n' && quote != b'`' {
                        break;
                    }
                    i += 1;
                }
                if i >= bytes.len() {
                    return Some(format!("it ends inside a {} string", quote as char));
                }
            }
            b'(' | b'[' | b'{' => open.push(c),
            b')' | b']' | b'}' => {
                open.pop();
            }
            _ => {}
        }
        i += 1;
    }
    if open.is_empty() {
        return None;
    }
    let unclosed: String = open.iter().map(|&b| b as char).collect();
    Some(format!(
        "{} bracket{} never closed ({unclosed})",
        open.len(),
        if open.len() == 1 { " is" } else { "s are" }
    ))
}

/// Drops the `world(...)` settings call from a piece, so the assembled
/// script has exactly one, the one the pipeline writes from the brief.
pub fn without_world_call(code: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    let mut depth = 0i32;
    for line in code.lines() {
        let t = line.trim_start();
        if !skipping && (t.starts_with("world(#{") || t.starts_with("world(")) {
            skipping = true;
            depth = 0;
        }
        if skipping {
            depth += line.matches('(').count() as i32 - line.matches(')').count() as i32;
            if depth <= 0 {
                skipping = false;
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// The pieces of a generated world, in script order.
#[derive(Debug, Clone, Default)]
pub struct Pieces {
    pub environment: String,
    /// (object name, code defining `make_<name>`).
    pub objects: Vec<(String, String)>,
    pub layout: String,
    pub camera: String,
    pub dynamics: String,
}

/// The header every generated script carries: what it was made from, the
/// imports and the world settings.
pub fn header(brief: &Brief, seed: u64) -> String {
    let prompt = brief.prompt.replace('\n', " ");
    format!(
        "// {}\n// Generated by c2w from: {}\n{PRELUDE}\nworld(#{{ duration: {}, fps: 24, seed: {seed} }});\n",
        brief.title.replace('\n', " "),
        prompt,
        fmt_number(brief.duration)
    )
}

fn fmt_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// One script from the pieces present so far.
pub fn assemble(brief: &Brief, seed: u64, p: &Pieces) -> String {
    let mut s = header(brief, seed);
    let mut section = |title: &str, code: &str| {
        if !code.trim().is_empty() {
            s.push_str(&format!("\n// ---- {title} ----\n{}\n", code.trim_end()));
        }
    };
    section("environment", &p.environment);
    for (name, code) in &p.objects {
        section(&format!("object: {name}"), code);
    }
    section("layout", &p.layout);
    section("camera", &p.camera);
    section("dynamics", &p.dynamics);
    s
}

/// The function an object's code must define.
pub fn maker_name(object: &str) -> String {
    format!("make_{object}")
}

/// Turns any label into a snake_case identifier that Rhai accepts.
pub fn snake_case(label: &str) -> String {
    let mut s = String::new();
    for c in label.trim().chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('_') && !s.is_empty() {
            s.push('_');
        }
    }
    let s = s.trim_end_matches('_').to_string();
    match s.chars().next() {
        None => "object".into(),
        Some(c) if c.is_ascii_digit() => format!("object_{s}"),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_comes_out_of_fences_and_prose() {
        let a = "Here you go:\n```rhai\nimport \"assets\" as assets;\nlet x = 1;\n```\nEnjoy.";
        assert_eq!(extract_code(a), "let x = 1;");
        assert_eq!(extract_code("let y = 2;\n"), "let y = 2;");
        assert_eq!(extract_code("```\nlet z = 3;"), "let z = 3;");
    }

    #[test]
    fn a_cut_off_answer_is_told_from_a_whole_one() {
        // Whole, with brackets inside strings and comments that must not count.
        let whole = "let a = [1, 2]; // a ( in a comment\nlet s = \"}]\"; /* ( /* nested */ [ */\nfn f(x) { x }";
        assert_eq!(cut_off_reason(whole), None);
        // A plain syntax error closes what it opens: not a cut.
        assert_eq!(cut_off_reason("let a = (1]; let b = 2;"), None);
        let cut = "let pts = [\n  [0, 1, 0],\n  [1, 1";
        assert_eq!(
            cut_off_reason(cut).as_deref(),
            Some("2 brackets are never closed ([[)")
        );
        assert!(
            cut_off_reason("fn f() {\n  label(\"hel")
                .unwrap()
                .contains("string")
        );
        assert!(
            cut_off_reason("let a = 1; /* note")
                .unwrap()
                .contains("comment")
        );
        assert_eq!(
            cut_off_reason("sphere(0.1, #{ color: \"red\" }").as_deref(),
            Some("1 bracket is never closed (()")
        );
    }

    #[test]
    fn world_calls_are_dropped_whole() {
        let code = "world(#{\n  duration: 5,\n});\nlet a = 1;\nworld(#{ fps: 30 });\nlet b = 2;";
        assert_eq!(without_world_call(code), "let a = 1;\nlet b = 2;");
    }

    #[test]
    fn names_become_identifiers() {
        assert_eq!(snake_case("Brown Bottle!"), "brown_bottle");
        assert_eq!(snake_case("3 cups"), "object_3_cups");
        assert_eq!(snake_case("  "), "object");
    }

    #[test]
    fn assembly_orders_the_sections_and_skips_empty_ones() {
        let brief = Brief {
            title: "t".into(),
            prompt: "p".into(),
            duration: 6.0,
            ..Default::default()
        };
        let p = Pieces {
            environment: "plane([8, 8]);".into(),
            objects: vec![(
                "ball".into(),
                "fn make_ball(position) { sphere(0.1) }".into(),
            )],
            layout: "make_ball([0, 0.1, 0]);".into(),
            camera: String::new(),
            dynamics: "expect(\"moves\", \"ball\");".into(),
        };
        let s = assemble(&brief, 7, &p);
        let at = |needle: &str| s.find(needle).unwrap();
        assert!(at("world(#{ duration: 6, fps: 24, seed: 7 })") < at("---- environment"));
        assert!(at("---- object: ball") < at("---- layout"));
        assert!(at("---- layout") < at("---- dynamics"));
        assert!(!s.contains("---- camera"));
    }
}
