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
    pub doc: String,
}

/// Every documented public function of every module, in source order; the
/// overloads of one name share an entry.
pub fn catalog() -> Vec<CatalogEntry> {
    let mut entries: Vec<CatalogEntry> = Vec::new();
    for (module, source) in MODULES {
        let mut doc: Vec<&str> = Vec::new();
        for line in source.lines() {
            let line = line.trim();
            if let Some(d) = line.strip_prefix("///") {
                doc.push(d.trim());
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
                    None if !doc.is_empty() => entries.push(CatalogEntry {
                        module,
                        name,
                        forms: vec![form],
                        doc: doc.join(" "),
                    }),
                    None => {}
                }
            }
            doc.clear();
        }
    }
    entries
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
}
