//! code2worlds: language to 4D worlds.
//!
//! Data flows through the stages in order, each in its own module, and a
//! module depends only on the stages below it (`tests/layers.rs` holds the
//! order):
//!
//! 1. [`script`]: a Rhai world script, run in a sandbox, builds a [`world::World`].
//! 2. [`sim`]: the simulation steps the world (rapier rigid bodies, our own
//!    particles, fields and animation) and produces frames for any
//!    [`sim::FrameSink`].
//! 3. [`measure`]: frames become a trace, expectation results and a report.
//! 4. [`render`]: frames become images (headless wgpu), with ID and depth
//!    passes; [`video`] encodes them (H.264 MP4, PNG, contact sheets);
//!    beside them, [`export`] turns the frames into an animated glTF scene
//!    and serves run folders to a web viewer.
//! 5. [`critic`]: the whole trajectory and the rendered keyframes become a
//!    critic diff that says what to fix.
//! 6. [`output`]: the frame sink that ties renderer, encoders and the
//!    critic's visual checks to a run folder.
//! 7. [`pipeline`]: runs the stages end to end for the command line and the
//!    agent: whole runs into a folder, single frames, exports and the
//!    critic's planted-fault corpus.
//! 8. [`agent`]: a prompt to a world through coding models: plan, object and
//!    scene streams, dynamics, and rounds of running, judging and repairing
//!    that feed errors and critic diffs back to the model.
//! 9. [`mcp`]: serves the pipeline to LLM clients as tools over the Model
//!    Context Protocol (`c2w mcp`); [`batch`] runs many prompts.
//!
//! [`cli`] is the `c2w` command line on top of them all. [`world`] is the
//! data they share; [`brief`] is the scene brief the agent and the critic
//! agree on; [`config`] reads `c2w.toml` and the model roles; [`grammar`]
//! constrains model output to world scripts; [`llm`] talks to chat models
//! (the critic's vision model); [`limits`] and [`util`] serve them all.

// Script errors carry everything a model needs to fix the script (snippet,
// signatures, suggestions); they are rare, so their size is no concern.
#![allow(clippy::result_large_err)]

pub mod agent;
pub mod batch;
pub mod brief;
pub mod cli;
pub mod config;
pub mod critic;
pub mod export;
pub mod grammar;
pub mod limits;
pub mod llm;
pub mod mcp;
pub mod measure;
pub mod output;
pub mod pipeline;
pub mod render;
pub mod script;
pub mod sim;
pub mod util;
pub mod video;
pub mod world;
