//! The world-script grammar for constrained decoding.
//!
//! [`WORLD_GBNF`] is a llama.cpp GBNF grammar of the Rhai subset that world
//! scripts use; the agent sends it in the `grammar` field of a completion
//! request so that a llama.cpp-family server can only sample text that parses
//! as a world script. `tests/grammar` proves it against every script in
//! `examples/`, `stdlib/` and `tests/grammar_corpus/` with llguidance, and
//! cross-checks each verdict with Rhai's parser.

/// The grammar text (`grammar/world.gbnf`), rooted at `root`.
pub const WORLD_GBNF: &str = include_str!("../grammar/world.gbnf");
