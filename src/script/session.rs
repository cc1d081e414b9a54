//! A script session: a sandboxed engine with the world API registered, the
//! compiled script, and the host state it builds.
//!
//! The sandbox is the engine's configuration: no clock (`no_time`), no
//! `eval`, no file or network access (Rhai has none unless registered), and
//! imports that resolve only to the embedded standard library. Limits on
//! operations, call depth, expression depth and data sizes come from
//! [`Limits`]; a wall-clock deadline is checked from the progress callback.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

use rhai::{AST, Dynamic, Engine, EvalAltResult, FnPtr, OptimizationLevel, Scope};

use super::error::{ScriptError, StopReason, StopReasonToken};
use super::host::{Host, Phase, SharedHost};
use super::registry::Registry;
use super::{api, stdlib};
use crate::limits::Limits;
use crate::util::memory::live_bytes;
use crate::world::{HookId, World};

/// Tracks work done by the script across calls, for the hook budget and the
/// deadline.
#[derive(Default)]
struct Meter {
    deadline: Cell<Option<Instant>>,
    in_hook: Cell<bool>,
    hook_ops_used: Cell<u64>,
    last_ops: Cell<u64>,
    hook_budget: Cell<u64>,
    /// Heap in use when the current evaluation began.
    memory_base: Cell<usize>,
    memory_budget: Cell<usize>,
    cancel: crate::limits::Cancel,
}

pub struct Session {
    engine: Engine,
    host: SharedHost,
    registry: Rc<Registry>,
    /// Functions (including closures) defined so far; callbacks run in it.
    ast: AST,
    scope: Scope<'static>,
    /// All source evaluated so far, for error snippets.
    source: String,
    meter: Rc<Meter>,
    /// Learned arity of each hook: whether it takes the time argument.
    hook_takes_time: Vec<Option<bool>>,
}

impl Session {
    pub fn new(limits: Limits, seed_override: Option<u64>) -> Session {
        let host: SharedHost = Rc::new(std::cell::RefCell::new(Host::new(
            limits.clone(),
            seed_override,
        )));
        let meter = Rc::new(Meter {
            cancel: limits.cancel.clone(),
            ..Meter::default()
        });
        meter.hook_budget.set(limits.max_hook_operations);
        meter.memory_budget.set(limits.max_script_memory);
        let mut engine = Engine::new();
        engine
            .set_max_operations(limits.max_operations)
            .set_max_call_levels(limits.max_call_levels)
            .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
            .set_max_string_size(limits.max_string_size)
            .set_max_array_size(limits.max_array_size)
            .set_max_map_size(limits.max_map_size)
            .set_max_modules(16)
            .set_max_variables(10_000)
            .set_max_functions(2_000)
            .set_strict_variables(true)
            .set_fail_on_invalid_map_property(true)
            .set_optimization_level(OptimizationLevel::Simple)
            .set_module_resolver(stdlib::StdlibResolver::default());
        engine.disable_symbol("eval");
        // Rhai's `sleep` would stall the host on the wall clock; functions
        // registered on the engine take precedence over its packages.
        for_sleep(&mut engine);
        {
            let h = host.clone();
            engine.on_print(move |s| h.borrow_mut().log(s.to_string()));
            let h = host.clone();
            engine.on_debug(move |s, _, pos| {
                h.borrow_mut()
                    .log(format!("[debug {}] {s}", pos.line().unwrap_or(0)))
            });
        }
        {
            let m = meter.clone();
            engine.on_progress(move |ops| {
                if live_bytes().saturating_sub(m.memory_base.get()) > m.memory_budget.get() {
                    return Some(Dynamic::from(StopReasonToken(StopReason::Memory)));
                }
                if m.in_hook.get() {
                    m.last_ops.set(ops);
                    if m.hook_ops_used.get() + ops > m.hook_budget.get() {
                        return Some(Dynamic::from(StopReasonToken(StopReason::HookBudget)));
                    }
                }
                if ops & 0xfff == 0 {
                    if m.cancel.is_cancelled() {
                        return Some(Dynamic::from(StopReasonToken(StopReason::Cancelled)));
                    }
                    if let Some(d) = m.deadline.get()
                        && Instant::now() > d
                    {
                        return Some(Dynamic::from(StopReasonToken(StopReason::Timeout)));
                    }
                }
                None
            });
        }
        let mut registry = Registry::default();
        api::register_all(&mut engine, &mut registry, host.clone());
        Session {
            engine,
            host,
            registry: Rc::new(registry),
            ast: AST::empty(),
            scope: Scope::new(),
            source: String::new(),
            meter,
            hook_takes_time: Vec::new(),
        }
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn host(&self) -> &SharedHost {
        &self.host
    }

    pub fn set_deadline(&self, deadline: Option<Instant>) {
        self.meter.deadline.set(deadline);
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    fn convert(&self, err: &EvalAltResult) -> ScriptError {
        ScriptError::from_rhai(err, &self.source, &self.registry, &|m| {
            stdlib::module_source(m).map(str::to_string)
        })
    }

    /// Compiles without running: syntax and undefined-variable errors.
    pub fn compile(&self, source: &str) -> Result<AST, ScriptError> {
        self.engine
            .compile_with_scope(&self.scope, source)
            .map_err(|e| {
                let err = EvalAltResult::ErrorParsing(*e.0, e.1);
                ScriptError::from_rhai(&err, source, &self.registry, &|m| {
                    stdlib::module_source(m).map(str::to_string)
                })
            })
    }

    /// Runs a script's top level, building the world. In the REPL this is
    /// called once per line; variables and functions carry over.
    pub fn eval(&mut self, source: &str) -> Result<Dynamic, ScriptError> {
        let ast = self.compile(source)?;
        // Positions in errors refer to this source; the REPL keeps only the
        // latest line for snippets since each line is compiled on its own.
        self.source = source.to_string();
        self.ast = self.ast.merge(&ast.clone_functions_only());
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &ast);
        result.map_err(|e| self.convert(&e))
    }

    /// Moves the session into its run phase: API calls from callbacks now
    /// become commands for the simulation.
    pub fn begin_run(&mut self) {
        self.host.borrow_mut().phase = Phase::Running;
    }

    pub fn end_run(&mut self) {
        self.host.borrow_mut().phase = Phase::Building;
    }

    /// REPL: a simulation exists, but lines may still build.
    pub fn set_live(&mut self) {
        self.host.borrow_mut().phase = Phase::Live;
    }

    pub fn with_world<R>(&self, f: impl FnOnce(&World) -> R) -> R {
        f(&self.host.borrow().world)
    }

    pub fn with_world_mut<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut self.host.borrow_mut().world)
    }

    /// Calls a registered callback with the current time. Callbacks may be
    /// written with or without a time parameter; the first call finds out.
    pub fn call_hook(&mut self, id: HookId, time: f64) -> Result<(), ScriptError> {
        let f: FnPtr = self.host.borrow().hook_fns[id.0 as usize].clone();
        let idx = id.0 as usize;
        if self.hook_takes_time.len() <= idx {
            self.hook_takes_time.resize(idx + 1, None);
        }
        self.meter.in_hook.set(true);
        self.meter.last_ops.set(0);
        self.meter.memory_base.set(live_bytes());
        let result = match self.hook_takes_time[idx] {
            Some(true) => f.call::<Dynamic>(&self.engine, &self.ast, (time,)),
            Some(false) => f.call::<Dynamic>(&self.engine, &self.ast, ()),
            None => {
                let with_time = f.call::<Dynamic>(&self.engine, &self.ast, (time,));
                match with_time {
                    Err(e) if is_arity_mismatch(&e, &f) => {
                        self.hook_takes_time[idx] = Some(false);
                        f.call::<Dynamic>(&self.engine, &self.ast, ())
                    }
                    other => {
                        self.hook_takes_time[idx] = Some(true);
                        other
                    }
                }
            }
        };
        self.meter.in_hook.set(false);
        self.meter
            .hook_ops_used
            .set(self.meter.hook_ops_used.get() + self.meter.last_ops.get());
        result.map(|_| ()).map_err(|e| self.convert(&e))
    }

    /// Takes the built world out of the session (for a run that needs no
    /// callbacks the session can then be dropped).
    pub fn take_world(&self) -> World {
        std::mem::take(&mut self.host.borrow_mut().world)
    }

    pub fn put_world(&self, world: World) {
        self.host.borrow_mut().world = world;
    }

    pub fn logs(&self) -> Vec<String> {
        self.host.borrow().logs.clone()
    }

    pub fn hook_ops_used(&self) -> u64 {
        self.meter.hook_ops_used.get()
    }

    /// Forgets the world and variables (REPL `:reset`).
    pub fn reset(&mut self) {
        let (limits, seed) = {
            let h = self.host.borrow();
            (h.limits.clone(), h.seed_override)
        };
        *self.host.borrow_mut() = Host::new(limits, seed);
        self.scope = Scope::new();
        self.ast = AST::empty();
        self.hook_takes_time.clear();
        self.meter.hook_ops_used.set(0);
    }

    /// A value as a person reads it: handles by name, vectors by component.
    pub fn display(&self, v: &rhai::Dynamic) -> String {
        use super::api::{EmitterHandle, EntityHandle, FieldHandle, LightHandle};
        let h = self.host.borrow();
        if let Some(e) = v.clone().try_cast::<EntityHandle>() {
            return format!("Entity({})", h.world.entity(e.0).label());
        }
        if let Some(l) = v.clone().try_cast::<LightHandle>() {
            let light = &h.world.lights[l.0.0 as usize];
            return format!(
                "Light({})",
                light.name.clone().unwrap_or_else(|| format!("#{}", l.0.0))
            );
        }
        if let Some(e) = v.clone().try_cast::<EmitterHandle>() {
            let em = &h.world.emitters[e.0.0 as usize];
            return format!(
                "Emitter({})",
                em.name.clone().unwrap_or_else(|| format!("#{}", e.0.0))
            );
        }
        if let Some(f) = v.clone().try_cast::<FieldHandle>() {
            return format!("Field(#{})", f.0.0);
        }
        if let Some(p) = v.clone().try_cast::<glam::Vec3>() {
            return format!("vec3({}, {}, {})", p.x, p.y, p.z);
        }
        v.to_string()
    }

    /// Variable names in scope (REPL completion and `:list`).
    pub fn variables(&self) -> Vec<String> {
        self.scope.iter().map(|(n, _, _)| n.to_string()).collect()
    }
}

fn for_sleep(engine: &mut Engine) {
    fn refuse() -> Result<(), Box<EvalAltResult>> {
        Err(super::error::ApiError::new(
            super::ErrorKind::Runtime,
            "sleep",
            "scripts cannot wait on the clock",
        )
        .with_hint("Schedule things in simulated time instead: at(2.0, |t| { ... }).")
        .into())
    }
    engine
        .register_fn("sleep", |_: i64| refuse())
        .register_fn("sleep", |_: f64| refuse());
}

fn is_arity_mismatch(e: &EvalAltResult, f: &FnPtr) -> bool {
    match e {
        EvalAltResult::ErrorFunctionNotFound(sig, _) => sig.starts_with(f.fn_name()),
        _ => false,
    }
}
