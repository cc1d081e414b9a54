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
