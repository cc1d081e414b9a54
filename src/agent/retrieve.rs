//! Retrieval for the prompts: a lexical BM25 index, built at start-up, over
//! the API reference (from the registry, as `c2w docs` prints it), the
//! standard library's asset catalog and the example worlds. Prompts carry
//! only what a query finds, so they stay small enough for small models.

use std::collections::{BTreeMap, HashMap};

use crate::script::reference::CONVENTIONS;
use crate::script::registry::{FnDoc, OptSpec, Registry};
use crate::script::stdlib::catalog;

/// Example worlds, compiled in so retrieval never reads files.
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "bottle_roll",
        include_str!("../../examples/bottle_roll.rhai"),
    ),
    (
        "burning_log",
        include_str!("../../examples/burning_log.rhai"),
    ),
    ("day_cycle", include_str!("../../examples/day_cycle.rhai")),
    (
        "domino_chain",
        include_str!("../../examples/domino_chain.rhai"),
    ),
    (
        "falling_leaves",
        include_str!("../../examples/falling_leaves.rhai"),
    ),
    ("jellyfish", include_str!("../../examples/jellyfish.rhai")),
    (
        "newtons_cradle",
        include_str!("../../examples/newtons_cradle.rhai"),
    ),
    ("pendulum", include_str!("../../examples/pendulum.rhai")),
    ("rain", include_str!("../../examples/rain.rhai")),
    ("ramp_pins", include_str!("../../examples/ramp_pins.rhai")),
    (
        "rope_bridge",
        include_str!("../../examples/rope_bridge.rhai"),
    ),
    ("sand_dune", include_str!("../../examples/sand_dune.rhai")),
    ("seesaw", include_str!("../../examples/seesaw.rhai")),
    ("snowfall", include_str!("../../examples/snowfall.rhai")),
    (
        "spilling_cup",
        include_str!("../../examples/spilling_cup.rhai"),
    ),
    (
        "steaming_cup",
        include_str!("../../examples/steaming_cup.rhai"),
    ),
    (
        "tower_collapse",
        include_str!("../../examples/tower_collapse.rhai"),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DocKind {
    Api,
    Asset,
    Example,
}

/// One retrievable entry.
#[derive(Debug, Clone)]
pub struct Doc {
    pub kind: DocKind,
    /// Function name, `module::name`, or example name.
    pub name: String,
    /// What goes into a prompt.
    pub text: String,
    /// Whether it takes the shared entity options (listed once per prompt).
    pub entity_options: bool,
}

/// BM25 over [`Doc`]s.
pub struct Index {
    docs: Vec<Doc>,
    postings: HashMap<String, Vec<(usize, u32)>>,
    lengths: Vec<f64>,
    average_length: f64,
    shared_options: String,
    /// The same, key names only, for compact prompts.
    shared_keys: String,
}

const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Words that say nothing about which function is meant.
const STOP: &[&str] = &[
    "a", "an", "the", "of", "and", "or", "in", "on", "to", "is", "it", "its", "as", "at", "by",
    "for", "with", "from", "this", "that", "be", "are", "s", "into", "each", "one", "any", "their",
    "they", "them", "then", "than", "when", "while", "not", "no", "all",
];

/// Splits text into lowercase words; snake_case names also count as their
/// parts, so "angular_velocity" matches "angular" and "velocity".
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
    {
        let w = word.to_ascii_lowercase();
        if w.contains('_') {
            out.extend(
                w.split('_')
                    .filter(|p| p.len() > 1 && !STOP.contains(p))
                    .map(stem),
            );
        }
        if !STOP.contains(&w.as_str()) && w.len() > 1 {
            out.push(stem(&w));
        }
    }
    out
}

/// A light plural and verb-ending fold, so "leaves", "rolls" and "rolling"
/// meet "leaf" and "roll".
fn stem(w: &str) -> String {
    let w = w.trim_matches('_');
    for (suffix, with) in [
        ("ves", "f"),
        ("ies", "y"),
        ("ing", ""),
        ("es", ""),
        ("s", ""),
    ] {
        if let Some(base) = w.strip_suffix(suffix)
            && base.len() >= 3
            && !w.ends_with("ss")
        {
            return format!("{base}{with}");
        }
    }
    w.to_string()
}

impl Index {
    /// Indexes the registry's functions, the asset catalog and the examples.
    pub fn build(reg: &Registry) -> Index {
        let shared = shared_groups(reg);
        let mut docs = Vec::new();
        for f in &reg.functions {
            let entity_options = f.options.iter().any(|g| is_shared(&shared, g));
            docs.push(Doc {
                kind: DocKind::Api,
                name: f.name.to_string(),
                text: function_text(f, &shared),
                entity_options,
            });
        }
        for e in catalog() {
            docs.push(Doc {
                kind: DocKind::Asset,
                name: format!("{}::{}", e.module, e.name),
                text: if e.tags.is_empty() {
                    format!("{}  // {}\n", e.forms.join(" | "), e.doc)
                } else {
                    format!(
                        "{}  // {} (tags: {})\n",
                        e.forms.join(" | "),
                        e.doc,
                        e.tags.join(", ")
                    )
                },
                entity_options: false,
            });
        }
        for (name, source) in EXAMPLES {
            docs.push(Doc {
                kind: DocKind::Example,
                name: name.to_string(),
                text: source.to_string(),
                entity_options: false,
            });
        }
        let shared_options = shared_options_text(&shared);
        let keys: Vec<&str> = shared
            .iter()
            .flat_map(|g| g.iter())
            .map(|o| o.key)
            .collect();
        let shared_keys = format!(
            "Entity options (every shape, mesh and group takes them): {}\n",
            keys.join(", ")
        );
        Index::from_docs(docs, shared_options, shared_keys)
    }

    fn from_docs(docs: Vec<Doc>, shared_options: String, shared_keys: String) -> Index {
        let mut postings: HashMap<String, Vec<(usize, u32)>> = HashMap::new();
        let mut lengths = Vec::with_capacity(docs.len());
        for (i, d) in docs.iter().enumerate() {
            // The name counts twice: it is the strongest signal.
            let toks: Vec<String> = tokens(&format!("{} {} {}", d.name, d.name, d.text));
            lengths.push(toks.len() as f64);
            let mut tf: BTreeMap<String, u32> = BTreeMap::new();
            for t in toks {
                *tf.entry(t).or_default() += 1;
            }
            for (t, n) in tf {
                postings.entry(t).or_default().push((i, n));
            }
        }
        let average_length = lengths.iter().sum::<f64>() / lengths.len().max(1) as f64;
        Index {
            docs,
            postings,
            lengths,
            average_length,
            shared_options,
            shared_keys,
        }
    }

    pub fn docs(&self) -> &[Doc] {
        &self.docs
    }

    /// The best `k` entries of `kinds` for `query`, best first (ties by
    /// index order, so results are deterministic).
    pub fn search(&self, query: &str, kinds: &[DocKind], k: usize) -> Vec<(&Doc, f64)> {
        let n = self.docs.len() as f64;
        let mut scores = vec![0.0f64; self.docs.len()];
        let mut seen = std::collections::BTreeSet::new();
        for t in tokens(query) {
            if !seen.insert(t.clone()) {
                continue;
            }
            let Some(list) = self.postings.get(&t) else {
                continue;
            };
            let df = list.len() as f64;
            let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
            for &(i, tf) in list {
                let tf = tf as f64;
                let norm = 1.0 - B + B * self.lengths[i] / self.average_length;
                scores[i] += idf * tf * (K1 + 1.0) / (tf + K1 * norm);
            }
        }
        let mut ranked: Vec<(usize, f64)> = scores
            .into_iter()
            .enumerate()
            .filter(|(i, s)| *s > 0.0 && kinds.contains(&self.docs[*i].kind))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
            .into_iter()
            .take(k)
            .map(|(i, s)| (&self.docs[i], s))
            .collect()
    }

    /// An API entry by exact name.
    pub fn api(&self, name: &str) -> Option<&Doc> {
        self.docs
            .iter()
            .find(|d| d.kind == DocKind::Api && d.name == name)
    }

    /// Reference text for a prompt: the conventions, the shared entity
    /// options when an entry takes them (key names only when `compact`),
    /// then the entries, `must` first, then the best of `query`, until
    /// `budget` characters.
    pub fn reference(
        &self,
        must: &[&str],
        query: &str,
        k: usize,
        budget: usize,
        compact: bool,
    ) -> String {
        let mut chosen: Vec<&Doc> = Vec::new();
        for m in must {
            if let Some(d) = self.docs.iter().find(|d| d.name == *m)
                && !chosen.iter().any(|c| c.name == d.name)
            {
                chosen.push(d);
            }
        }
        for (d, _) in self.search(query, &[DocKind::Api, DocKind::Asset], k) {
            if !chosen.iter().any(|c| c.name == d.name) {
                chosen.push(d);
            }
        }
        let mut body = String::new();
        for d in &chosen {
            if body.len() + d.text.len() > budget && !body.is_empty() {
                break;
            }
            body.push_str(&d.text);
        }
        let mut s = String::from(CONVENTIONS);
        s.push('\n');
        if chosen.iter().any(|d| d.entity_options) {
            s.push_str(if compact {
                &self.shared_keys
            } else {
                &self.shared_options
            });
        }
        if chosen.iter().any(|d| d.kind == DocKind::Asset) {
            s.push_str(
                "Catalog modules are imported at the top of the script as `import \"assets\" as assets;` (also \"nature\", \"layout\", \"daylight\"); call them with the prefix: assets::bottle(...).\n",
            );
        }
        s.push_str(&body);
        s
    }

    /// The example world that best matches `query`, if any matches.
    pub fn example(&self, query: &str) -> Option<&Doc> {
        self.search(query, &[DocKind::Example], 1)
            .first()
            .map(|(d, _)| *d)
    }
}

type Group = &'static [OptSpec];

/// The option groups every shape takes (the entity options), as `box`
/// has them: listed once per prompt instead of once per function. Groups
/// are compared by their keys, since a constant's address is not unique.
fn shared_groups(reg: &Registry) -> Vec<Group> {
    reg.function("box")
        .map(|f| f.options.to_vec())
        .unwrap_or_default()
}

fn keys_of(g: &Group) -> Vec<&'static str> {
    g.iter().map(|o| o.key).collect()
}

fn is_shared(shared: &[Group], g: &Group) -> bool {
    let keys = keys_of(g);
    shared.iter().any(|s| keys_of(s) == keys)
}

fn option_line(o: &OptSpec) -> String {
    format!("{}: {} = {}", o.key, o.ty.describe(), o.default)
}

fn shared_options_text(shared: &[Group]) -> String {
    let keys: Vec<String> = shared
        .iter()
        .flat_map(|g| g.iter())
        .map(option_line)
        .collect();
    format!(
        "Entity options (every shape, mesh and group takes them in its options map): {}\n",
        keys.join("; ")
    )
}

fn function_text(f: &FnDoc, shared: &[Group]) -> String {
    let mut s = format!("{}  // {}\n", f.signatures().join(" | "), f.doc);
    let own: Vec<String> = f
        .options
        .iter()
        .filter(|g| !is_shared(shared, g))
        .flat_map(|g| g.iter())
        .map(option_line)
        .collect();
    let takes_shared = f.options.iter().any(|g| is_shared(shared, g));
    match (own.is_empty(), takes_shared) {
        (true, true) => s.push_str("  options: the entity options\n"),
        (false, true) => s.push_str(&format!(
            "  options: the entity options and {}\n",
            own.join("; ")
        )),
        (false, false) => s.push_str(&format!("  options: {}\n", own.join("; "))),
        (true, false) => {}
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::script::Session;

    fn index() -> Index {
        Index::build(Session::new(Limits::default(), None).registry())
    }

    #[test]
    fn words_fold_to_their_stems() {
        assert_eq!(tokens("Leaves rolling"), ["leaf", "roll"]);
        assert_eq!(
            tokens("angular_velocity"),
            ["angular", "velocity", "angular_velocity"]
        );
        assert_eq!(tokens("the glass"), ["glass"]);
    }

    #[test]
    fn queries_find_the_functions_they_are_about() {
        let idx = index();
        let top = |q: &str, kinds: &[DocKind]| idx.search(q, kinds, 3)[0].0.name.clone();
        assert_eq!(
            top("a brown glass bottle", &[DocKind::Asset]),
            "assets::bottle"
        );
        assert_eq!(top("rain particles falling", &[DocKind::Api]), "emitter");
        assert_eq!(
            top("hinge joint connecting two bodies", &[DocKind::Api]),
            "joint"
        );
        assert_eq!(
            top("a bottle rolls across the floor", &[DocKind::Example]),
            "bottle_roll"
        );
        assert!(idx.search("zzzz qqqq", &[DocKind::Api], 3).is_empty());
    }

    #[test]
    fn prompt_references_list_the_entity_options_once_and_keep_to_budget() {
        let idx = index();
        let r = idx.reference(&["box", "sphere"], "cylinder cone", 4, 2000, false);
        assert_eq!(r.matches("Entity options").count(), 1);
        assert!(r.contains("box(size)") && r.contains("sphere(radius)"));
        assert!(r.len() < 2000 + idx.shared_options.len() + CONVENTIONS.len() + 400);
        // The full reference repeats the entity options for every shape;
        // ours does not.
        assert!(idx.api("box").unwrap().text.len() < 400);
        let compact = idx.reference(&["box"], "", 1, 500, true);
        assert!(compact.contains("Entity options") && compact.len() < r.len() / 2);
    }
}
