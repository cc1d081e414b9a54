//! Resource limits for scripts and worlds. Every limit has a default that
//! suits generated scenes and a command-line override.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Serialize;

/// Stack of every thread that runs scripts, so deep (but limited) script
/// recursion cannot overflow it.
pub const SCRIPT_THREAD_STACK: usize = 256 << 20;

#[derive(Debug, Clone, Serialize)]
pub struct Limits {
    /// Rhai operations for building the world (the script's top level).
    pub max_operations: u64,
    /// Rhai operations for all callbacks of a run together.
    pub max_hook_operations: u64,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
    /// Heap a script may add while it runs, bytes.
    pub max_script_memory: usize,
    pub max_entities: usize,
    pub max_bodies: usize,
    pub max_joints: usize,
    pub max_particles: usize,
    pub max_emitters: usize,
    pub max_triangles: usize,
    /// Frames (duration times fps).
    pub max_frames: u64,
    pub max_hooks: usize,
    /// Wall-clock limit on a whole run: script, simulation and rendering.
    #[serde(with = "secs")]
    pub timeout: Duration,
    /// Stops the run when set from another thread (an MCP client that
    /// cancels its request), as a timeout does.
    #[serde(skip)]
    pub cancel: Cancel,
}

/// A flag another thread raises to stop a run early. Clones share it.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

mod secs {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_operations: 10_000_000,
            max_hook_operations: 50_000_000,
            max_call_levels: 48,
            max_expr_depth: 64,
            max_string_size: 1 << 20,
            // Rhai re-measures a whole container after every change, so
            // filling one costs the square of its size: keep them modest.
            max_array_size: 30_000,
            max_map_size: 2_000,
            max_script_memory: 256 << 20,
            max_entities: 20_000,
            max_bodies: 5_000,
            max_joints: 5_000,
            max_particles: 200_000,
            max_emitters: 64,
            max_triangles: 4_000_000,
            max_frames: 14_400,
            max_hooks: 256,
            timeout: Duration::from_secs(120),
            cancel: Cancel::default(),
        }
    }
}
