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

/// A public function of a stdlib module, as the asset catalog lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StdlibFunction {
    pub module: &'static str,
    pub name: String,
    /// Every overload as a script calls it, e.g. `assets::table(position, o)`.
    pub signatures: Vec<String>,
    /// The `///` comment above the first overload, joined into one line.
    pub doc: String,
}

/// The public functions of every stdlib module, in source order, read from
/// the embedded sources so the catalog cannot drift from the code.
pub fn catalog() -> Vec<StdlibFunction> {
    let mut functions: Vec<StdlibFunction> = Vec::new();
    for (module, source) in MODULES {
        let mut doc: Vec<&str> = Vec::new();
        for line in source.lines() {
            if let Some(text) = line.strip_prefix("///") {
                doc.push(text.trim());
                continue;
            }
            if let Some((name, params)) = line.strip_prefix("fn ").and_then(split_header) {
                let signature = format!("{module}::{name}({params})");
                match functions.last_mut() {
                    // Overloads follow each other and share the first one's doc.
                    Some(f) if f.module == *module && f.name == name => {
                        f.signatures.push(signature)
                    }
                    _ => functions.push(StdlibFunction {
                        module,
                        name: name.to_string(),
                        signatures: vec![signature],
                        doc: doc.join(" "),
                    }),
                }
            }
            doc.clear();
        }
    }
    functions
}

/// `name(a, b) { ...` to the name and the parameter list.
fn split_header(header: &str) -> Option<(&str, &str)> {
    let (name, rest) = header.split_once('(')?;
    let (params, _) = rest.split_once(')')?;
    Some((name.trim(), params.trim()))
}
