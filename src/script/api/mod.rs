//! The world API: every function a script can call, grouped by topic.
//!
//! Each function is registered through [`Api::def`] with its [`FnDoc`], so it
//! cannot exist without documentation. Functions take `Dynamic` arguments and
//! convert them with `super::args`, which gives uniform, precise errors.

mod animation;
mod cloth;
mod entities;
mod events;
mod expect;
mod fields;
mod fluids;
mod lights;
mod math;
mod mesh;
mod particles;
mod physics;
mod shapes;
mod vector;
mod world;

use rhai::{Dynamic, Engine, NativeCallContext};

use super::args::{ApiResult, describe};
use super::error::ApiError;
use super::host::{Phase, SharedHost};
use super::registry::{FnDoc, PropDoc, Registry};
use crate::util::suggest::closest;
use crate::world::{EmitterId, EntityId, FieldId, LightId, Named};

/// Handle to an entity, as scripts hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityHandle(pub EntityId);
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LightHandle(pub LightId);
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CameraHandle;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldHandle(pub FieldId);
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmitterHandle(pub EmitterId);

pub struct Api<'a> {
    pub engine: &'a mut Engine,
    pub registry: &'a mut Registry,
    pub host: SharedHost,
}

impl Api<'_> {
    /// Records `doc` and hands back the engine to register its call forms.
    pub fn def(&mut self, doc: &'static FnDoc) -> &mut Engine {
        debug_assert!(
            self.registry.function(doc.name).is_none(),
            "{} documented twice",
            doc.name
        );
        self.registry.functions.push(doc);
        self.engine
    }

    pub fn prop(&mut self, doc: &'static PropDoc) -> &mut Engine {
        self.registry.properties.push(doc);
        self.engine
    }
}

/// Registers each closure as a call form of the documented function.
macro_rules! reg {
    ($api:expr, $doc:expr, $($f:expr),+ $(,)?) => {{
        let engine = $api.def(&$doc);
        $( engine.register_fn($doc.name, $f); )+
    }};
}
pub(crate) use reg;

pub fn register_all(engine: &mut Engine, registry: &mut Registry, host: SharedHost) {
    engine
        .register_type_with_name::<EntityHandle>("Entity")
        .register_type_with_name::<LightHandle>("Light")
        .register_type_with_name::<CameraHandle>("Camera")
        .register_type_with_name::<FieldHandle>("Field")
        .register_type_with_name::<EmitterHandle>("Emitter")
        .register_type_with_name::<glam::Vec3>("vec3");
    let mut api = Api {
        engine,
        registry,
        host,
    };
    world::register(&mut api);
    vector::register(&mut api);
    math::register(&mut api);
    shapes::register(&mut api);
    mesh::register(&mut api);
    entities::register(&mut api);
    lights::register(&mut api);
    physics::register(&mut api);
    fields::register(&mut api);
    particles::register(&mut api);
    animation::register(&mut api);
    events::register(&mut api);
    expect::register(&mut api);
    cloth::register(&mut api);
    fluids::register(&mut api);
}

/// The script line of the current call, for diagnostics.
pub fn call_line(ctx: &NativeCallContext) -> usize {
    ctx.call_position().line().unwrap_or(0)
}

pub fn require_building(host: &SharedHost, func: &'static str) -> ApiResult<()> {
    if host.borrow().phase == Phase::Running {
        return Err(ApiError::validation(
            func,
            "can only be called while building the world, not from a callback during the run",
        )
        .with_hint("Call it at the script's top level; callbacks can push bodies, change colours and spawn entities."));
    }
    Ok(())
}

/// An entity given as a handle or by name.
pub fn entity_arg(
    host: &SharedHost,
    func: &'static str,
    param: &str,
    d: &Dynamic,
) -> ApiResult<EntityId> {
    if let Some(h) = d.clone().try_cast::<EntityHandle>() {
        return Ok(h.0);
    }
    if let Some(name) = d.clone().try_cast::<rhai::ImmutableString>() {
        let h = host.borrow();
        return h.world.find(&name).ok_or_else(|| {
            let names: Vec<&str> = h
                .world
                .entities
                .iter()
                .filter_map(|e| e.name.as_deref())
                .collect();
            ApiError::validation(func, format!("'{param}': no entity named \"{name}\""))
                .with_suggestions(closest(&name, names, 3))
                .with_hint("Give the entity a name when creating it: #{ name: \"...\" }.")
        });
    }
    Err(ApiError::type_error(
        func,
        format!(
            "'{param}' must be an entity or an entity's name, got {}",
            describe(d)
        ),
    ))
}

/// Anything animatable or nameable: an entity, light, camera, field or
/// emitter handle, or a name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AnyHandle {
    Entity(EntityId),
    Light(LightId),
    Camera,
    Field(FieldId),
    Emitter(EmitterId),
}

pub fn any_handle(
    host: &SharedHost,
    func: &'static str,
    param: &str,
    d: &Dynamic,
) -> ApiResult<AnyHandle> {
    if let Some(h) = d.clone().try_cast::<EntityHandle>() {
        return Ok(AnyHandle::Entity(h.0));
    }
    if let Some(h) = d.clone().try_cast::<LightHandle>() {
        return Ok(AnyHandle::Light(h.0));
    }
    if d.clone().try_cast::<CameraHandle>().is_some() {
        return Ok(AnyHandle::Camera);
    }
    if let Some(h) = d.clone().try_cast::<FieldHandle>() {
        return Ok(AnyHandle::Field(h.0));
    }
    if let Some(h) = d.clone().try_cast::<EmitterHandle>() {
        return Ok(AnyHandle::Emitter(h.0));
    }
    if let Some(name) = d.clone().try_cast::<rhai::ImmutableString>() {
        let h = host.borrow();
        let w = &h.world;
        if name == "camera" {
            return Ok(AnyHandle::Camera);
        }
        match w.lookup(&name) {
            Some(Named::Entity(id)) => return Ok(AnyHandle::Entity(id)),
            Some(Named::Emitter(id)) => return Ok(AnyHandle::Emitter(id)),
            Some(Named::Light(id)) => return Ok(AnyHandle::Light(id)),
            Some(Named::Field(id)) => return Ok(AnyHandle::Field(id)),
            None => {}
        }
        let names: Vec<&str> = w.names().collect();
        return Err(
            ApiError::validation(func, format!("'{param}': nothing is named \"{name}\""))
                .with_suggestions(closest(&name, names, 3)),
        );
    }
    Err(ApiError::type_error(
        func,
        format!(
            "'{param}' must be an entity, light, camera, field or emitter, got {}",
            describe(d)
        ),
    ))
}

/// Checks a name is free; names identify things in reports and critiques.
pub fn check_name_free(host: &SharedHost, func: &'static str, name: &str) -> ApiResult<()> {
    let h = host.borrow();
    if h.world.name_taken(name) {
        return Err(ApiError::validation(func, format!("the name \"{name}\" is already used"))
            .with_hint("Names must be unique. For many similar things use tags (tags: [\"domino\"]) or numbered names (\"domino_\" + i)."));
    }
    Ok(())
}
