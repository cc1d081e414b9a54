//! The asset library as records, for models and tools (`c2w docs --assets`,
//! MCP's `list_assets`): each standard-library generator's catalog entry
//! with the size and triangle count it has when built alone at the origin
//! with its defaults. The figures are measured, not written down, so they
//! cannot drift from the code.

use serde::Serialize;

use crate::agent::scene_facts::SceneFacts;
use crate::script::stdlib::{self, CatalogEntry, ParamDoc};

/// The modules whose functions build things (layout only computes points).
pub const BUILDER_MODULES: &[&str] = &["assets", "nature"];

#[derive(Debug, Clone, Serialize)]
pub struct AssetRecord {
    pub module: &'static str,
    pub name: String,
    /// The call that was measured: `assets::cup([0, 0, 0])`.
    pub call: String,
    pub forms: Vec<String>,
    pub summary: String,
    pub doc: String,
    pub tags: Vec<String>,
    pub params: Vec<ParamDoc>,
    /// Width, height, depth of everything it builds, in metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<[f32; 3]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub triangles: Option<usize>,
    /// Why it could not be measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A value for a positional parameter of a generator's shortest form, so
/// that it can be built with its defaults.
fn sample_argument(param: &str) -> Option<&'static str> {
    Some(match param {
        "position" => "[0, 0, 0]",
        // Terrain-like builders take [width, depth]; forests an area.
        "size" | "area" => "[20, 20]",
        "count" => "8",
        // Streams and paths: a gentle bend over ten metres.
        "path" => "[[-5, 0, 0], [0, 0, 1], [5, 0, 0]]",
        _ => return None,
    })
}

/// The shortest call form with sample arguments, or the parameter that has
/// no sample.
fn sample_call(entry: &CatalogEntry) -> Result<String, String> {
    let form = entry
        .forms
        .iter()
        .min_by_key(|f| f.len())
        .ok_or("no call form")?;
    let inside = form
        .split_once('(')
        .and_then(|(_, r)| r.strip_suffix(')'))
        .ok_or_else(|| format!("cannot read the form '{form}'"))?;
    let mut args = Vec::new();
    for p in inside.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        args.push(sample_argument(p).ok_or_else(|| format!("no sample value for '{p}'"))?);
    }
    Ok(format!(
        "{}::{}({})",
        entry.module,
        entry.name,
        args.join(", ")
    ))
}

fn measure(call: &str) -> Result<(SceneFacts, [f32; 3]), String> {
    let src = format!(
        "import \"assets\" as assets;\nimport \"nature\" as nature;\n\
         world(#{{ duration: 1 }});\nlet thing = {call};\n"
    );
    let facts = SceneFacts::build(&src).map_err(|e| e.message.clone())?;
    let (lo, hi) = facts.bounds.ok_or("builds nothing")?;
    let size = hi - lo;
    let round = |v: f32| (v * 1000.0).round() / 1000.0;
    Ok((facts, [round(size.x), round(size.y), round(size.z)]))
}

fn record(entry: CatalogEntry) -> AssetRecord {
    let call = sample_call(&entry);
    let measured = call.as_ref().map_err(Clone::clone).and_then(|c| measure(c));
    let (size, triangles, error) = match measured {
        Ok((facts, size)) => (Some(size), Some(facts.triangles), None),
        Err(e) => (None, None, Some(e)),
    };
    AssetRecord {
        module: entry.module,
        call: call.unwrap_or_default(),
        summary: entry.summary().to_string(),
        name: entry.name,
        forms: entry.forms,
        doc: entry.doc,
        tags: entry.tags,
        params: entry.params,
        size,
        triangles,
        error,
    }
}

/// Every generator of the builder modules, measured (about a second for
/// the whole library in release).
pub fn records() -> Vec<AssetRecord> {
    stdlib::catalog()
        .into_iter()
        .filter(|e| BUILDER_MODULES.contains(&e.module))
        .map(record)
        .collect()
}

/// The records as the JSON `c2w docs --assets --json` prints.
pub fn records_json(records: &[AssetRecord]) -> String {
    serde_json::to_string_pretty(records).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The records as text for a model: one generator a paragraph, its call
/// forms, summary, measured size and options with units and ranges.
pub fn records_text(records: &[AssetRecord]) -> String {
    let mut s = String::new();
    let mut module = "";
    for r in records {
        if r.module != module {
            module = r.module;
            s.push_str(&format!("\n# import \"{module}\" as {module};\n"));
        }
        s.push_str(&format!("{}  // {}", r.forms.join(" | "), r.summary));
        if let Some([w, h, d]) = r.size {
            s.push_str(&format!(" [{w:.2} x {h:.2} x {d:.2} m"));
            if let Some(t) = r.triangles {
                s.push_str(&format!(", {t} triangles"));
            }
            s.push(']');
        }
        s.push('\n');
        if !r.tags.is_empty() {
            s.push_str(&format!("    tags: {}\n", r.tags.join(", ")));
        }
        for p in &r.params {
            s.push_str(&format!("    {}", p.name));
            let mut facts = Vec::new();
            if !p.unit.is_empty() {
                facts.push(p.unit.clone());
            }
            if let Some([lo, hi]) = p.range {
                facts.push(format!("{lo}..{hi}"));
            }
            if !p.default.is_empty() {
                facts.push(format!("default {}", p.default));
            }
            if !facts.is_empty() {
                s.push_str(&format!(" ({})", facts.join(", ")));
            }
            s.push_str(&format!(": {}\n", p.summary));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_measured_from_the_built_thing() {
        let records = records();
        let cup = records.iter().find(|r| r.name == "cup").expect("a cup");
        assert_eq!(cup.call, "assets::cup([0, 0, 0])");
        assert_eq!(cup.error, None);
        let [w, h, _] = cup.size.expect("a size");
        // A cup is about a hand wide and tall; its handle widens it.
        assert!(
            (0.05..0.2).contains(&w) && (0.05..0.2).contains(&h),
            "{w} x {h}"
        );
        assert!(cup.triangles.unwrap() > 50);
        let forest = records
            .iter()
            .find(|r| r.name == "forest")
            .expect("a forest");
        assert_eq!(forest.call, "nature::forest(8, [20, 20])");
        assert!(forest.size.expect("a size")[0] > 8.0);
        assert!(!records.iter().any(|r| r.module == "layout"));
        let unmeasured: Vec<String> = records
            .iter()
            .filter_map(|r| r.error.as_ref().map(|e| format!("{}: {e}", r.name)))
            .collect();
        assert!(unmeasured.is_empty(), "{unmeasured:?}");
    }

    #[test]
    fn a_form_without_samples_is_reported_not_guessed() {
        let entry = CatalogEntry {
            module: "assets",
            name: "odd".into(),
            forms: vec!["assets::odd(colour)".into()],
            doc: "An odd one.".into(),
            tags: vec![],
            params: vec![],
        };
        assert_eq!(
            sample_call(&entry).unwrap_err(),
            "no sample value for 'colour'"
        );
    }
}
