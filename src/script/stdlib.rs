//! The standard library: Rhai modules written in the world DSL itself,
//! compiled into the binary so that `import` never touches the file system.

use std::cell::RefCell;
use std::collections::BTreeMap;

use rhai::{Engine, EvalAltResult, Module, Position, Scope, Shared};

type SharedModule = Shared<Module>;

pub const MODULES: &[(&str, &str)] = &[
    ("layout", include_str!("../../stdlib/layout.rhai")),
    ("assets", include_str!("../../stdlib/assets.rhai")),
    ("nature", include_str!("../../stdlib/nature.rhai")),
    ("daylight", include_str!("../../stdlib/daylight.rhai")),
];

pub fn module_names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|(n, _)| *n)
}

pub fn module_source(name: &str) -> Option<&'static str> {
    let key = name.trim_start_matches("stdlib/").trim_end_matches(".rhai");
    MODULES.iter().find(|(n, _)| *n == key).map(|(_, s)| *s)
}

/// Resolves `import "layout"` (or `"stdlib/layout"`) to the embedded
/// module and nothing else.
#[derive(Default)]
pub struct StdlibResolver {
    cache: RefCell<BTreeMap<String, SharedModule>>,
}

impl rhai::ModuleResolver for StdlibResolver {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<SharedModule, Box<EvalAltResult>> {
        let key = path.trim_start_matches("stdlib/").trim_end_matches(".rhai");
        if let Some(m) = self.cache.borrow().get(key) {
            return Ok(m.clone());
        }
        let text = module_source(key)
            .ok_or_else(|| Box::new(EvalAltResult::ErrorModuleNotFound(path.to_string(), pos)))?;
        let mut ast = engine.compile(text).map_err(|e| {
            Box::new(EvalAltResult::ErrorInModule(
                key.to_string(),
                Box::new(EvalAltResult::ErrorParsing(*e.0, e.1)),
                pos,
            ))
        })?;
        ast.set_source(format!("stdlib/{key}.rhai"));
        let mut module = Module::eval_ast_as_new(Scope::new(), &ast, engine)
            .map_err(|e| Box::new(EvalAltResult::ErrorInModule(key.to_string(), e, pos)))?;
        module.build_index();
        let shared: SharedModule = Shared::new(module);
        self.cache
            .borrow_mut()
            .insert(key.to_string(), shared.clone());
        Ok(shared)
    }
}

/// One public function of a standard-library module, as its doc comment
/// describes it: the asset and generator catalog that `c2w docs`, the
/// agent's retrieval and the MCP server's `list_assets` read.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CatalogEntry {
    pub module: &'static str,
    pub name: String,
    /// Call forms as a script writes them: `assets::cup(position, o)`.
    pub forms: Vec<String>,
    /// The prose of the doc comment (without its `@` lines).
    pub doc: String,
    /// Words for retrieval, from the `@tags` line.
    pub tags: Vec<String>,
    /// The options the function reads, from its `@param` lines.
    pub params: Vec<ParamDoc>,
}

impl CatalogEntry {
    /// The doc's first sentence.
    pub fn summary(&self) -> &str {
        match self.doc.find(". ") {
            Some(i) => &self.doc[..=i],
            None => &self.doc,
        }
    }
}

/// One option of a generator: `/// @param NAME | UNIT | LO..HI | DEFAULT |
/// DESCRIPTION`, every field but the name may be empty.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ParamDoc {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<[f64; 2]>,
    /// As the script would write it (`[1.2, 0.75, 0.8]`, `"wood"`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub default: String,
    pub summary: String,
}

/// A `@param` line's fields, or why they do not read.
pub fn parse_param(line: &str) -> Result<ParamDoc, String> {
    let fields: Vec<&str> = line.split('|').map(str::trim).collect();
    let [name, unit, range, default, summary] = fields[..] else {
        return Err(format!(
            "'{line}': want NAME | UNIT | LO..HI | DEFAULT | DESCRIPTION, found {} fields",
            fields.len()
        ));
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("'{line}': '{name}' is not an option name"));
    }
    let range = if range.is_empty() {
        None
    } else {
        let (lo, hi) = range
            .split_once("..")
            .ok_or_else(|| format!("'{line}': range '{range}' is not LO..HI"))?;
        let num = |t: &str| {
            t.trim()
                .parse::<f64>()
                .map_err(|_| format!("'{line}': '{t}' in the range is not a number"))
        };
        let (lo, hi) = (num(lo)?, num(hi)?);
        if lo > hi {
            return Err(format!("'{line}': range {lo}..{hi} is empty"));
        }
        Some([lo, hi])
    };
    Ok(ParamDoc {
        name: name.to_string(),
        unit: unit.to_string(),
        range,
        default: default.to_string(),
        summary: summary.to_string(),
    })
}

/// Every documented public function of every module, in source order; the
/// overloads of one name share an entry. A malformed `@param` line is kept
/// out of the entry; [`catalog_problems`] reports it.
pub fn catalog() -> Vec<CatalogEntry> {
    read_catalog().0
}

/// The `@param` lines that do not parse, as "module::name: why".
pub fn catalog_problems() -> Vec<String> {
    read_catalog().1
}

fn read_catalog() -> (Vec<CatalogEntry>, Vec<String>) {
    let mut entries: Vec<CatalogEntry> = Vec::new();
    let mut problems = Vec::new();
    for (module, source) in MODULES {
        let mut doc: Vec<&str> = Vec::new();
        let mut tags: Vec<String> = Vec::new();
        let mut params: Vec<Result<ParamDoc, String>> = Vec::new();
        for line in source.lines() {
            let line = line.trim();
            if let Some(d) = line.strip_prefix("///") {
                let d = d.trim();
                if let Some(t) = d.strip_prefix("@tags") {
                    tags.extend(
                        t.split(',')
                            .map(|w| w.trim().to_lowercase())
                            .filter(|w| !w.is_empty()),
                    );
                } else if let Some(p) = d.strip_prefix("@param") {
                    params.push(parse_param(p));
                } else {
                    doc.push(d);
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix("fn ") {
                let head = rest.split('{').next().unwrap_or("").trim();
                let name = head.split('(').next().unwrap_or("").trim().to_string();
                let form = format!("{module}::{head}");
                match entries
                    .iter_mut()
                    .find(|e| e.module == *module && e.name == name)
                {
                    Some(e) => e.forms.push(form),
                    None if !doc.is_empty() => {
                        let mut good = Vec::new();
                        for p in params.drain(..) {
                            match p {
                                Ok(p) => good.push(p),
                                Err(why) => problems.push(format!("{module}::{name}: {why}")),
                            }
                        }
                        entries.push(CatalogEntry {
                            module,
                            name,
                            forms: vec![form],
                            doc: doc.join(" "),
                            tags: std::mem::take(&mut tags),
                            params: good,
                        })
                    }
                    None => {}
                }
            }
            doc.clear();
            tags.clear();
            params.clear();
        }
    }
    (entries, problems)
}

/// The catalog as compact text: the import line of each module, then a
/// line per function.
pub fn catalog_text(entries: &[CatalogEntry]) -> String {
    let mut s = String::new();
    let mut module = "";
    for e in entries {
        if e.module != module {
            module = e.module;
            s.push_str(&format!("\n# import \"{module}\" as {module};\n"));
        }
        s.push_str(&format!("{}  // {}\n", e.forms.join(" | "), e.doc));
    }
    s
}

#[cfg(test)]
mod catalog_tests {
    use super::*;

    #[test]
    fn the_catalog_lists_public_documented_functions_with_all_their_forms() {
        let c = catalog();
        let bottle = c.iter().find(|e| e.name == "bottle").expect("bottle");
        assert_eq!(bottle.module, "assets");
        assert_eq!(
            bottle.forms,
            ["assets::bottle(position)", "assets::bottle(position, o)"]
        );
        assert!(bottle.doc.contains("lying"));
        // Private helpers are not part of the catalog.
        assert!(
            !c.iter()
                .any(|e| e.name == "opt" || e.name == "group_options")
        );
        for m in module_names() {
            assert!(c.iter().any(|e| e.module == m), "module {m} has no entries");
        }
    }

    #[test]
    fn a_param_line_reads_its_five_fields() {
        let p =
            parse_param(" size | m | 0.3..3 | [1.2, 0.75, 0.8] | width, height, depth").unwrap();
        assert_eq!(p.name, "size");
        assert_eq!(p.unit, "m");
        assert_eq!(p.range, Some([0.3, 3.0]));
        assert_eq!(p.default, "[1.2, 0.75, 0.8]");
        assert_eq!(p.summary, "width, height, depth");
        let bare = parse_param("color | colour |  |  | any colour").unwrap();
        assert_eq!((bare.range, bare.default.as_str()), (None, ""));
        for bad in [
            "size | m | 3 | 1 | x",
            "size | m | 3..1 | 1 | x",
            "size | m",
            " | m | | | x",
            "size | m | a..b | | x",
        ] {
            assert!(parse_param(bad).is_err(), "{bad}");
        }
    }

    /// Every generator says what it is for and what it takes, so retrieval
    /// and `c2w docs --assets` can show a model more than a name.
    #[test]
    fn every_generator_has_tags_and_well_formed_params() {
        assert_eq!(catalog_problems(), Vec::<String>::new());
        let untagged: Vec<String> = catalog()
            .iter()
            .filter(|e| e.module != "layout" && e.tags.is_empty())
            .map(|e| format!("{}::{}", e.module, e.name))
            .collect();
        assert!(untagged.is_empty(), "no @tags: {untagged:?}");
    }
}
