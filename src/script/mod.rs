//! Stage one: a script becomes a world.
//!
//! [`Session`] holds a sandboxed Rhai engine with the world API registered
//! (`api`), runs the script's top level to build a [`crate::world::World`],
//! and later calls the script's callbacks during the run. Every failure comes
//! out as a [`ScriptError`].

pub mod api;
pub mod args;
pub mod error;
pub mod host;
pub mod reference;
pub mod registry;
pub mod session;
pub mod stdlib;
pub mod translate;

pub use error::{ErrorKind, ScriptError};
pub use registry::Registry;
pub use session::Session;
