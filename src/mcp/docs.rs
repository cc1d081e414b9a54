//! The reference a model reads through `api_docs` and `list_assets`: the
//! registered functions and the stdlib catalog, whole or narrowed to a
//! query by the agent's BM25 index (one retrieval for both).

use std::sync::OnceLock;

use crate::agent::retrieve::{DocKind, Index};
use crate::limits::Limits;
use crate::script::reference::{self, CONVENTIONS};
use crate::script::stdlib::{catalog, catalog_text};
use crate::script::{Registry, Session};

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

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| Index::build(registry()))
}

/// The whole compact reference, the stdlib catalog included.
pub fn full_reference() -> String {
    reference::compact(registry(), None)
}

/// The functions (and stdlib generators) that best match `query`, with
/// their parameters and an example, most relevant first.
pub fn search_reference(query: &str) -> String {
    let found = index().search(query, &[DocKind::Api, DocKind::Asset], MAX_MATCHES);
    if found.is_empty() {
        return format!(
            "Nothing in the reference matches '{query}'. Functions by topic:\n{}",
            function_index(registry())
        );
    }
    let mut s = format!("{CONVENTIONS}\n\n# Best matches for '{query}'\n");
    for (doc, _) in found {
        let entry = match doc.kind {
            DocKind::Api => reference::help(registry(), &doc.name).unwrap_or(doc.text.clone()),
            _ => {
                let module = doc.name.split("::").next().unwrap_or("");
                format!(
                    "{}  (stdlib: import \"{module}\" as {module};)\n",
                    doc.text.trim_end()
                )
            }
        };
        if s.len() + entry.len() > MAX_ANSWER_CHARS {
            s.push_str("(more matches left out; narrow the query)\n");
            break;
        }
        s.push('\n');
        s.push_str(&entry);
    }
    s
}

/// The stdlib catalog: the generators with their options, tags and
/// measured sizes (measured once per process), then the layout and
/// daylight helpers.
pub fn asset_catalog() -> String {
    use crate::agent::library::{BUILDER_MODULES, records, records_text};
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut s = String::from(
            "Generators and assets from the standard library. Import a module before calling its functions, \
             e.g. `import \"assets\" as assets; assets::table([0, 0, 0], #{ name: \"table\" });`. \
             `o` is an optional options map; sizes are as built with the defaults.\n",
        );
        s.push_str(&records_text(&records()));
        let helpers: Vec<_> = catalog()
            .into_iter()
            .filter(|e| !BUILDER_MODULES.contains(&e.module))
            .collect();
        s.push_str(&catalog_text(&helpers));
        s
    })
    .clone()
}

fn function_index(reg: &Registry) -> String {
    use crate::script::registry::Topic;
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
