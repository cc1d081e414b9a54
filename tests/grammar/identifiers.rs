//! The identifier rules at the end of world.gbnf are generated from this
//! keyword list: GBNF has no negation, so "a word that is not a keyword" is
//! spelled out as a trie over the keywords. The test below fails when the
//! file and the list drift apart and prints the block to paste.

use crate::{checker, rhai_parses};

/// Rhai keywords and reserved words that cannot name a variable or property.
/// `true`, `false` and `this` have their own rules, and the reserved words
/// that may be called (`print`, `type_of`, `Fn`, `call`, ...) are allowed
/// in call position by `reserved-call` and `reserved-method`.
pub const KEYWORDS: &[&str] = &[
    // keywords
    "as",
    "break",
    "catch",
    "const",
    "continue",
    "do",
    "else",
    "export",
    "false",
    "fn",
    "for",
    "if",
    "import",
    "in",
    "let",
    "loop",
    "private",
    "return",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "until",
    "while", // reserved for future use
    "async",
    "await",
    "case",
    "default",
    "go",
    "goto",
    "is",
    "match",
    "module",
    "new",
    "nil",
    "null",
    "package",
    "protected",
    "public",
    "shared",
    "spawn",
    "static",
    "super",
    "sync",
    "thread",
    "use",
    "var",
    "void",
    "with",
    "yield", // callable reserved words
    "Fn",
    "call",
    "curry",
    "debug",
    "eval",
    "is_def_var",
    "print",
    "type_of",
];

const BEGIN: &str = "# BEGIN GENERATED IDENTIFIERS\n";
const END: &str = "# END GENERATED IDENTIFIERS\n";

#[derive(Default)]
struct Trie {
    is_keyword: bool,
    children: std::collections::BTreeMap<char, Trie>,
}

impl Trie {
    fn insert(&mut self, word: &str) {
        let mut node = self;
        for c in word.chars() {
            node = node.children.entry(c).or_default();
        }
        node.is_keyword = true;
    }
}

const WORD_CHARS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";

/// A GBNF class of the characters in `set` that are not in `excluded`, with
/// runs written as ranges.
fn class_without(set: &str, excluded: &[char]) -> String {
    let kept: Vec<char> = set.chars().filter(|c| !excluded.contains(c)).collect();
    let mut s = String::new();
    let mut i = 0;
    while i < kept.len() {
        let mut j = i;
        while j + 1 < kept.len() && kept[j + 1] as u32 == kept[j] as u32 + 1 {
            j += 1;
        }
        match j - i {
            0 => s.push(kept[i]),
            1 => {
                s.push(kept[i]);
                s.push(kept[j]);
            }
            _ => {
                s.push(kept[i]);
                s.push('-');
                s.push(kept[j]);
            }
        }
        i = j + 1;
    }
    format!("[{s}]")
}

/// What may follow the prefix that led to `node`.
fn continuation(node: &Trie) -> String {
    let kids: Vec<char> = node.children.keys().copied().collect();
    let mut alts: Vec<String> = node
        .children
        .iter()
        .map(|(c, child)| format!("\"{c}\" {}", continuation(child)))
        .collect();
    alts.push(if kids.is_empty() {
        "idc+".to_string()
    } else {
        format!("{} idc*", class_without(WORD_CHARS, &kids))
    });
    let body = if alts.len() == 1 {
        alts.remove(0)
    } else {
        format!("({})", alts.join(" | "))
    };
    // A keyword must go on to become another word; a non-keyword prefix is
    // already a word.
    if node.is_keyword {
        body
    } else {
        format!("{body}?")
    }
}

pub fn generate(keywords: &[&str]) -> String {
    let mut trie = Trie::default();
    for k in keywords {
        trie.insert(k);
    }
    let initials: Vec<char> = trie.children.keys().copied().collect();
    let letters = &WORD_CHARS[..52];
    let mut out = String::from("ident ::= ");
    for c in &initials {
        out.push_str(&format!("id-{c} | "));
    }
    out.push_str(&format!(
        "{} idc* | \"_\"+ [a-zA-Z] idc*\n",
        class_without(letters, &initials)
    ));
    for (c, child) in &trie.children {
        out.push_str(&format!("id-{c} ::= \"{c}\" {}\n", continuation(child)));
    }
    out.push_str("idc ::= [a-zA-Z0-9_]\n");
    out
}

#[test]
fn identifier_rules_match_the_keyword_list() {
    let file = crate::WORLD_GBNF;
    let start = file.find(BEGIN).expect("begin marker") + BEGIN.len();
    let end = file.find(END).expect("end marker");
    let expected = generate(KEYWORDS);
    assert!(
        file[start..end] == expected,
        "world.gbnf's identifier block is out of date; replace it with:\n{expected}"
    );
}

#[test]
fn identifiers_exclude_every_keyword_and_nothing_else() {
    let c = checker();
    let mut bad = Vec::new();
    for kw in KEYWORDS {
        let decl = format!("let {kw} = 1;");
        if c.check(&decl).is_ok() {
            bad.push(format!("grammar accepts {decl:?}"));
        }
        if rhai_parses(&decl).is_ok() {
            bad.push(format!("Rhai accepts {decl:?}: not a reserved word"));
        }
        let mut upper = kw.to_string();
        upper[..1].make_ascii_uppercase();
        if upper == *kw {
            upper.make_ascii_lowercase();
        }
        // Words that contain, extend or shorten a keyword are ordinary names.
        let shorter = &kw[..kw.len() - 1];
        let near = [
            format!("{kw}x"),
            format!("{kw}_"),
            format!("{kw}1"),
            format!("x{kw}"),
            format!("_{kw}"),
            upper,
            shorter.to_string(),
        ];
        for name in near {
            if KEYWORDS.contains(&name.as_str()) || name.is_empty() || name == "_" {
                continue;
            }
            let decl = format!("let {name} = 1; {name} += 1;");
            if let Err(r) = c.check(&decl) {
                bad.push(format!("grammar refuses {decl:?} at byte {}", r.offset));
            }
            if let Err(e) = rhai_parses(&decl) {
                bad.push(format!("Rhai refuses {decl:?}: {e}"));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Prints the identifier block for world.gbnf after the keyword list changes:
/// `cargo test --test grammar -- --ignored --nocapture print_identifier_rules`.
#[test]
#[ignore]
fn print_identifier_rules() {
    print!("{}", generate(KEYWORDS));
}
