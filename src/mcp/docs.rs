//! The reference a model reads through `api_docs` and `list_assets`: the
//! registered functions and the stdlib catalog, whole or narrowed to a
//! query.

use std::sync::OnceLock;

use crate::limits::Limits;
use crate::script::reference::{self, CONVENTIONS};
use crate::script::registry::Topic;
use crate::script::stdlib::{self, StdlibFunction};
use crate::script::{Registry, Session};

/// Words of a question that say nothing about which function is meant.
const FILLER: &[&str] = &[
    "the", "and", "how", "what", "which", "with", "for", "that", "make", "can", "use",
];

/// Most entries one query returns.
const MAX_MATCHES: usize = 10;
/// Most characters one query returns, so an answer stays a small part of a
/// model's context.
const MAX_ANSWER_CHARS: usize = 8_000;

/// The registered functions; the same for every session, so built once.
fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Session::new(Limits::default(), None).registry().clone())
}

fn catalog() -> &'static [StdlibFunction] {
    static CATALOG: OnceLock<Vec<StdlibFunction>> = OnceLock::new();
    CATALOG.get_or_init(stdlib::catalog)
}

/// The whole compact reference, with a pointer to the stdlib.
pub fn full_reference() -> String {
    let mut s = reference::compact(registry(), None);
    s.push_str(
        "\n# Standard library\nGenerators and assets (tables, trees, terrain, layouts) are in stdlib modules; \
         list_assets lists them.\n",
    );
    s
}

/// The functions (and stdlib generators) that best match `query`, with
/// their parameters and an example, most relevant first.
pub fn search_reference(query: &str) -> String {
    let terms: Vec<String> = words(query)
        .into_iter()
        .filter(|w| w.len() > 2 && !FILLER.contains(&w.as_str()))
        .collect();
    let reg = registry();
    let mut scored: Vec<(u32, String)> = Vec::new();
    for f in &reg.functions {
        let options: Vec<&str> = f.option_specs().map(|o| o.key).collect();
        let text = format!(
            "{} {} {} {}",
            f.topic.name(),
            f.doc,
            f.params
                .iter()
                .map(|(p, d)| format!("{p} {d}"))
                .collect::<Vec<_>>()
                .join(" "),
            options.join(" ")
        );
        let score = relevance(&terms, f.name, &text);
        if score > 0 {
            let entry =
                reference::help(reg, f.name).unwrap_or_else(|| reference::compact_function(f));
            scored.push((score, entry));
        }
    }
    for g in catalog() {
        let score = relevance(&terms, &g.name, &g.doc);
        if score > 0 {
            scored.push((score, stdlib_entry(g)));
        }
    }
    // Stable, so equal scores keep the reference's own order.
    scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
    if scored.is_empty() {
        return format!(
            "Nothing in the reference matches '{query}'. Functions by topic:\n{}",
            function_index(reg)
        );
    }
    let mut s = format!("{CONVENTIONS}\n\n# Best matches for '{query}'\n");
    for (_, entry) in scored.iter().take(MAX_MATCHES) {
        if s.len() + entry.len() > MAX_ANSWER_CHARS {
            s.push_str("(more matches left out; narrow the query)\n");
            break;
        }
        s.push('\n');
        s.push_str(entry);
    }
    s
}

/// The stdlib catalog, one generator a line.
pub fn asset_catalog() -> String {
    let mut s = String::from(
        "Generators and assets from the standard library. Import a module before calling its functions, \
         e.g. `import \"assets\" as assets; assets::table([0, 0, 0], #{ name: \"table\" });`. \
         `o` is an optional options map.\n",
    );
    let mut module = "";
    for g in catalog() {
        if g.module != module {
            module = g.module;
            s.push_str(&format!(
                "\n# {module}  (import \"{module}\" as {module};)\n"
            ));
        }
        s.push_str(&format!("{}  // {}\n", g.signatures.join(" | "), g.doc));
    }
    s
}

fn stdlib_entry(g: &StdlibFunction) -> String {
    format!(
        "{}  // {}\n  (stdlib: import \"{}\" as {};)\n",
        g.signatures.join(" | "),
        g.doc,
        g.module,
        g.module
    )
}

fn function_index(reg: &Registry) -> String {
    let mut s = String::new();
    for t in Topic::ALL {
        let names: Vec<&str> = reg
            .functions
            .iter()
            .filter(|f| f.topic == *t)
            .map(|f| f.name)
            .collect();
        if !names.is_empty() {
            s.push_str(&format!("{}: {}\n", t.name(), names.join(", ")));
        }
    }
    s
}

/// How well a function named `name`, described by `text`, matches the
/// query's `terms`: a term that is the name, or one of its `_`-separated
/// parts, counts far more than one that only appears in the description.
pub fn relevance(terms: &[String], name: &str, text: &str) -> u32 {
    let name = name.to_lowercase();
    let name_parts = words(&name);
    let text_words = words(text);
    terms
        .iter()
        .map(|t| {
            if stem(&name) == *t {
                10
            } else if name_parts.contains(t) {
                5
            } else if text_words.contains(t) {
                1
            } else {
                0
            }
        })
        .sum()
}

/// Lower-case words, plurals folded, so "Spheres" finds `sphere`.
fn words(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| stem(&w.to_lowercase()))
        .collect();
    v.sort();
    v.dedup();
    v
}

fn stem(word: &str) -> String {
    match word.strip_suffix('s') {
        Some(base) if base.len() >= 3 && !base.ends_with('s') => base.to_string(),
        _ => word.to_string(),
    }
}
