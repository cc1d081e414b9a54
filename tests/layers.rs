//! The crate's modules form one-way layers: a top-level module under src/
//! may name (`crate::x`) only modules in a lower layer, so there is no cycle
//! and no arrow from a lower stage to a higher one. The layers are the
//! README's architecture section; a new module must be placed in one.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Lowest first. Modules in one layer do not name each other.
const LAYERS: &[&[&str]] = &[
    &["util", "limits", "grammar"],
    &["world", "video", "llm"],
    // Stage 1 and 2 both read the world; neither needs the other.
    &["script", "sim", "brief", "config"],
    &["measure"],
    &["render"],
    &["critic", "export"],
    &["output"],
    &["pipeline"],
    &["agent"],
    &["batch", "mcp"],
    &["cli"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file under src/ belongs to; `None` for the crate
/// roots.
fn owner(src: &Path, file: &Path) -> Option<String> {
    let first = file.strip_prefix(src).ok()?.components().next()?;
    let name = first.as_os_str().to_str()?;
    let name = name.strip_suffix(".rs").unwrap_or(name);
    (name != "lib" && name != "main").then(|| name.to_string())
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The first path segment of every `crate::...` in `code`, including each
/// branch of a `crate::{a::X, b}` group.
fn named_modules(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(is_ident) {
            continue; // e.g. `my_crate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level branches of the group: split on commas at depth 0.
            let mut depth = 0;
            let mut branch = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.push(std::mem::take(&mut branch));
                        continue;
                    }
                    _ => {}
                }
                branch.push(c);
            }
            names.push(branch);
        } else {
            names.push(rest.chars().take_while(|c| is_ident(*c)).collect());
        }
    }
    names
        .into_iter()
        .map(|n| {
            n.trim()
                .chars()
                .take_while(|c| is_ident(*c))
                .collect::<String>()
        })
        .filter(|n| !n.is_empty())
        .collect()
}

/// The source without `//` comments (doc links are not dependencies).
fn code_of(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            // A `//` inside a string literal (a URL) keeps the line.
            Some(i) if l[..i].matches('"').count() % 2 == 0 => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every arrow `from -> to` between top-level modules, with a file that
/// draws it.
fn arrows() -> Vec<(String, String, PathBuf)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let tops: BTreeSet<String> = files.iter().filter_map(|f| owner(&src, f)).collect();
    let mut out = Vec::new();
    for file in &files {
        let Some(from) = owner(&src, file) else {
            continue;
        };
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        for to in named_modules(&code) {
            if to != from && tops.contains(&to) {
                out.push((from.clone(), to, file.clone()));
            }
        }
    }
    out
}

#[test]
fn every_top_level_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let unplaced: BTreeSet<String> = files
        .iter()
        .filter_map(|f| owner(&src, f))
        .filter(|m| layer(m).is_none())
        .collect();
    assert!(
        unplaced.is_empty(),
        "place these modules in LAYERS (tests/layers.rs) and the README: {unplaced:?}"
    );
}

#[test]
fn modules_only_name_lower_layers() {
    let mut wrong = BTreeSet::new();
    for (from, to, file) in arrows() {
        if let (Some(a), Some(b)) = (layer(&from), layer(&to))
            && b >= a
        {
            wrong.insert(format!("{from} -> {to} ({})", file.display()));
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows that go sideways or up:\n{}",
        wrong.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_scanner_sees_plain_and_grouped_paths() {
    assert_eq!(
        named_modules("use crate::world::World;\nlet x = crate::sim::cloth::f();"),
        ["world", "sim"]
    );
    assert_eq!(
        named_modules("use crate::{render::{A, B}, video};\nuse other_crate::x;"),
        ["render", "video"]
    );
    assert_eq!(code_of("use crate::a; // see crate::b"), "use crate::a; ");
}
