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

/// The grammar the agent sends: [`WORLD_GBNF`] without backtick strings.
/// A model that opens a markdown fence (```` ``` ````) would otherwise be
/// writing a valid backtick string, and the code inside it would be
/// unconstrained text; generated scripts never need interpolation.
pub fn for_generation() -> String {
    WORLD_GBNF.replace(" | bt-string |", " |")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generation_grammar_has_no_backtick_strings_in_expressions() {
        let g = for_generation();
        assert_ne!(g, WORLD_GBNF, "the rule to drop was not found");
        let primary = g
            .lines()
            .find(|l| l.starts_with("primary-nb-sym ::="))
            .unwrap();
        assert!(!primary.contains("bt-string"), "{primary}");
        assert!(primary.contains("string | char-lit"), "{primary}");
    }
}
