//! The state API functions act on: the world being built (or run), the
//! script's random stream, and its callbacks.

use std::cell::RefCell;
use std::rc::Rc;

use rhai::FnPtr;

use crate::limits::Limits;
use crate::util::rng::Rng;
use crate::world::World;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The script's top level: building the scene at t = 0.
    Building,
    /// Callbacks during a run: changes become commands for the simulation.
    Running,
    /// The REPL after stepping: everything may be called, and changes to
    /// bodies become commands as in `Running`.
    Live,
}

impl Phase {
    /// Whether a simulation exists that changes must reach as commands.
    pub fn simulating(self) -> bool {
        self != Phase::Building
    }
}

pub struct Host {
    pub world: World,
    pub phase: Phase,
    pub rng: Rng,
    /// A seed given on the command line wins over the script's own.
    pub seed_override: Option<u64>,
    pub limits: Limits,
    /// Callbacks registered with `at`, `every` and `on_step`, by `HookId`.
    pub hook_fns: Vec<FnPtr>,
    /// What the script printed, capped.
    pub logs: Vec<String>,
    /// Dynamic and kinematic bodies so far, for the body limit.
    pub moving_bodies: usize,
}

pub type SharedHost = Rc<RefCell<Host>>;

/// Lines of `print` output kept per run; the rest are counted, not stored.
pub const MAX_LOG_LINES: usize = 200;

impl Host {
    pub fn new(limits: Limits, seed_override: Option<u64>) -> Host {
        let mut world = World::default();
        if let Some(s) = seed_override {
            world.settings.seed = s;
        }
        Host {
            rng: Rng::new(world.settings.seed),
            world,
            phase: Phase::Building,
            seed_override,
            limits,
            hook_fns: Vec::new(),
            logs: Vec::new(),
            moving_bodies: 0,
        }
    }

    pub fn log(&mut self, line: String) {
        if self.logs.len() < MAX_LOG_LINES {
            self.logs.push(line);
        } else if self.logs.len() == MAX_LOG_LINES {
            self.logs.push("... (further output dropped)".into());
        }
    }

    /// A fresh seed for an emitter or field: derived from the world seed and
    /// a running count, so adding one emitter does not disturb another.
    pub fn derived_seed(&self, salt: u64) -> u64 {
        crate::util::rng::mix64(self.world.settings.seed ^ crate::util::rng::mix64(salt))
    }
}
