//! Stage eight, the agent: a prompt to a world through coding models, after
//! the Code2Worlds pipeline.
//!
//! 1. [`stages::plan`]: the planner turns the prompt into a [`Brief`](crate::brief::Brief).
//! 2. Object stream: for each object, retrieval ([`retrieve`]) finds the
//!    catalog builders and API entries that fit, the coder writes a maker
//!    function, and the object-level critic ([`objects`]) runs it alone.
//! 3. Scene stream: environment, then layout, then camera, each told what
//!    the script so far builds ([`scene_facts`]).
//! 4. PostProcess: the dynamics and the `expect` clauses.
//! 5. Rounds: run, judge with the motion critic, and hand the structured
//!    error or the critic diff back to the coder for a corrected script;
//!    the best round is the world.
//!
//! [`generate`] drives it all, writing every stage's result to the output
//! folder as it finishes so an interrupted run resumes where it stopped.
//! [`client`] is how stages call models: cached, and written to the
//! transcript.

pub mod brief_check;
pub mod client;
pub mod code;
pub mod config;
pub mod generate;
pub mod library;
pub mod objects;
pub mod plan;
pub mod retrieve;
pub mod rounds;
pub mod scene_facts;
pub mod stages;
pub mod templates;
pub mod words;

use std::fmt;
use std::time::Instant;

pub use config::AgentConfig;
pub use generate::{GenerateOptions, GenerateOutcome, generate};

use crate::llm::LlmError;
use crate::script::ScriptError;

/// Why a generation stopped.
#[derive(Debug)]
pub enum AgentError {
    /// A model call failed after its retries.
    Model { stage: String, error: LlmError },
    /// A stage could not produce what the next one needs.
    Stage { stage: String, message: String },
    /// The output folder could not be read or written.
    Io(String),
    /// Options that cannot work together, or a folder that cannot resume.
    Usage(String),
}

impl fmt::Display for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentError::Model { stage, error } => write!(f, "{stage}: {error}"),
            AgentError::Stage { stage, message } => write!(f, "{stage}: {message}"),
            AgentError::Io(m) | AgentError::Usage(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for AgentError {}

/// Progress lines on stderr: elapsed time, stage, what is happening; on a
/// terminal, also a live line while a model answers.
pub struct Progress {
    start: Instant,
    quiet: bool,
    /// The live line, when stderr is a terminal and not quiet.
    live: Option<indicatif::ProgressBar>,
}

/// The live line's text: who is answering, tokens so far, seconds since
/// the request.
pub fn answer_line(role: &str, tokens: u64, elapsed: std::time::Duration) -> String {
    format!(
        "{role}: answering, {tokens} tokens so far, {:.1} s",
        elapsed.as_secs_f64()
    )
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        use std::io::IsTerminal;
        let live = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar
        });
        Progress {
            start: Instant::now(),
            quiet,
            live,
        }
    }

    pub fn elapsed_s(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    pub fn say(&self, stage: &str, message: &str) {
        if !self.quiet {
            let s = self.start.elapsed().as_secs();
            let line = format!("[{:>2}:{:02}] {stage}: {message}", s / 60, s % 60);
            match &self.live {
                // Printed above the live line, which is cleared.
                Some(bar) => {
                    bar.set_message("");
                    bar.println(line);
                }
                None => eprintln!("{line}"),
            }
        }
    }

    /// A live line for `role`'s answers, when one can be shown: the client
    /// then streams its answers and tells it as they grow.
    pub fn live_line(&self, role: &'static str) -> Option<client::LiveLine> {
        let bar = self.live.clone()?;
        Some(client::LiveLine::new(
            move |p: Option<crate::llm::StreamProgress>| match p {
                Some(p) => {
                    bar.set_message(answer_line(role, p.tokens, p.elapsed));
                    bar.tick();
                }
                None => bar.set_message(""),
            },
        ))
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.live {
            bar.finish_and_clear();
        }
    }
}

/// The structured error of a script, as one message for a stage retry.
pub fn error_text(e: &ScriptError) -> String {
    let kind = format!("{} error", e.kind.name());
    let mut s = if e.message.starts_with(&kind) {
        e.message.clone()
    } else {
        format!("{kind}: {}", e.message)
    };
    if let Some(snippet) = &e.snippet {
        s.push_str(&format!("\n{snippet}"));
    }
    if !e.hint.is_empty() {
        s.push_str(&format!("\nhint: {}", e.hint));
    }
    if !e.suggestions.is_empty() {
        s.push_str(&format!("\ndid you mean: {}", e.suggestions.join(", ")));
    }
    s
}
