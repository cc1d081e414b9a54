//! Reads a llama.cpp GBNF grammar and hands it to llguidance, which decides
//! acceptance; nothing here matches input text.
//!
//! llguidance reads Lark, not GBNF, so the grammar is parsed with llama.cpp's
//! rules (a rule ends at a newline outside parentheses, the same escapes, the
//! same character classes) and written out as Lark. Every literal and class
//! becomes a lexeme of exactly one character: llguidance's lexer is greedy
//! across multi-character lexemes (with `"let" | [a-z]+` it would refuse
//! `lex`), whereas GBNF is matched character by character. With one-character
//! lexemes its Earley parser sees exactly the GBNF's context-free language.
//!
//! The reader also refuses what llama.cpp refuses or handles badly: undefined
//! rules, left recursion, and repetition of something that can be empty.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use llguidance::api::TopLevelGrammar;
use llguidance::toktrie::ApproximateTokEnv;
use llguidance::{Matcher, ParserFactory};

#[derive(Debug, Clone)]
pub enum Node {
    Seq(Vec<Node>),
    Alt(Vec<Node>),
    Literal(Vec<char>),
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    Any,
    Ref(String),
    Repeat {
        item: Box<Node>,
        min: u32,
        max: Option<u32>,
    },
}

#[derive(Debug)]
pub struct Gbnf {
    /// Rules in file order.
    pub rules: Vec<(String, Node)>,
}

impl Gbnf {
    pub fn parse(src: &str) -> Result<Gbnf, String> {
        let mut p = Reader {
            s: src.as_bytes(),
            pos: 0,
        };
        let mut rules: Vec<(String, Node)> = Vec::new();
        p.skip_space(true);
        while !p.at_end() {
            let (name, body) = p.rule()?;
            if rules.iter().any(|(n, _)| *n == name) {
                return Err(format!("rule `{name}` is defined twice"));
            }
            rules.push((name, body));
        }
        Ok(Gbnf { rules })
    }

    pub fn rule(&self, name: &str) -> Option<&Node> {
        self.rules.iter().find(|(n, _)| n == name).map(|(_, b)| b)
    }

    /// Checks what llama.cpp checks (root exists, every rule is defined, no
    /// left recursion) and what makes its engine loop or blow up (a `*`, `+`
    /// or `{m,}` over something that can match nothing), and refuses dead
    /// rules so the file stays clean.
    pub fn lint(&self, root: &str) -> Result<(), String> {
        if self.rule(root).is_none() {
            return Err(format!("no `{root}` rule"));
        }
        for (name, body) in &self.rules {
            let mut refs = Vec::new();
            collect_refs(body, &mut refs);
            if let Some(missing) = refs.iter().find(|r| self.rule(r).is_none()) {
                return Err(format!(
                    "rule `{name}` refers to undefined rule `{missing}`"
                ));
            }
        }
        let nullable = self.nullable_rules();
        for (name, body) in &self.rules {
            if let Some(bad) = nullable_loop(body, &nullable) {
                return Err(format!(
                    "rule `{name}` repeats something that can match nothing: {bad:?}"
                ));
            }
        }
        self.check_left_recursion(&nullable)?;
        let reachable = self.reachable(root);
        let dead: Vec<&str> = self
            .rules
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| !reachable.contains(*n))
            .collect();
        if !dead.is_empty() {
            return Err(format!("rules unreachable from `{root}`: {dead:?}"));
        }
        Ok(())
    }

    fn nullable_rules(&self) -> BTreeSet<String> {
        let mut set = BTreeSet::new();
        loop {
            let before = set.len();
            for (name, body) in &self.rules {
                if is_nullable(body, &set) {
                    set.insert(name.clone());
                }
            }
            if set.len() == before {
                return set;
            }
        }
    }

    fn check_left_recursion(&self, nullable: &BTreeSet<String>) -> Result<(), String> {
        // Edges A -> B where B can be the first thing A matches.
        let firsts: BTreeMap<&str, Vec<String>> = self
            .rules
            .iter()
            .map(|(n, b)| {
                let mut out = Vec::new();
                leading_refs(b, nullable, &mut out);
                (n.as_str(), out)
            })
            .collect();
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Open,
            Done,
        }
        fn visit<'a>(
            n: &'a str,
            firsts: &'a BTreeMap<&str, Vec<String>>,
            marks: &mut BTreeMap<&'a str, Mark>,
            path: &mut Vec<&'a str>,
        ) -> Result<(), String> {
            match marks.get(n) {
                Some(Mark::Done) => return Ok(()),
                Some(Mark::Open) => {
                    let start = path.iter().position(|p| *p == n).unwrap_or(0);
                    return Err(format!(
                        "left recursion: {} -> {n}",
                        path[start..].join(" -> ")
                    ));
                }
                None => {}
            }
            marks.insert(n, Mark::Open);
            path.push(n);
            for next in &firsts[n] {
                visit(next, firsts, marks, path)?;
            }
            path.pop();
            marks.insert(n, Mark::Done);
            Ok(())
        }
        let mut marks = BTreeMap::new();
        for (name, _) in &self.rules {
            visit(name, &firsts, &mut marks, &mut Vec::new())?;
        }
        Ok(())
    }

    fn reachable(&self, root: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![root.to_string()];
        while let Some(n) = todo.pop() {
            if !seen.insert(n.clone()) {
                continue;
            }
            if let Some(body) = self.rule(&n) {
                let mut refs = Vec::new();
                collect_refs(body, &mut refs);
                todo.extend(refs);
            }
        }
        seen
    }

    /// The grammar as llguidance Lark, starting from `root`, with every
    /// terminal split into one-character lexemes.
    pub fn to_lark(&self, root: &str) -> String {
        let mut out = format!("start: {}\n", lark_name(root));
        for (name, body) in &self.rules {
            let _ = writeln!(out, "{}: {}", lark_name(name), lark_node(body));
        }
        out
    }
}

/// GBNF names are `[a-zA-Z0-9-]+`; Lark rule names must be lower case. The
/// mapping is injective: `_` never occurs in a GBNF name, so it can escape.
fn lark_name(gbnf: &str) -> String {
    let mut s = String::from("r_");
    for c in gbnf.chars() {
        match c {
            '-' => s.push_str("_0"),
            c if c.is_ascii_uppercase() => {
                s.push_str("_1");
                s.push(c.to_ascii_lowercase());
            }
            c => s.push(c),
        }
    }
    s
}

fn regex_char(c: char) -> String {
    format!("\\x{{{:X}}}", c as u32)
}

fn lark_node(node: &Node) -> String {
    match node {
        Node::Seq(items) => items.iter().map(lark_atom).collect::<Vec<_>>().join(" "),
        Node::Alt(alts) => alts.iter().map(lark_node).collect::<Vec<_>>().join(" | "),
        _ => lark_atom(node),
    }
}

fn lark_atom(node: &Node) -> String {
    match node {
        Node::Seq(_) | Node::Alt(_) => format!("({})", lark_node(node)),
        Node::Literal(chars) => chars
            .iter()
            .map(|c| format!("/{}/", regex_char(*c)))
            .collect::<Vec<_>>()
            .join(" "),
        Node::Class { negated, ranges } => {
            let mut s = String::from("/[");
            if *negated {
                s.push('^');
            }
            for (lo, hi) in ranges {
                s.push_str(&regex_char(*lo));
                if hi != lo {
                    s.push('-');
                    s.push_str(&regex_char(*hi));
                }
            }
            s.push_str("]/");
            s
        }
        // GBNF's `.` is any character, newlines included.
        Node::Any => "/(?s:.)/".to_string(),
        Node::Ref(name) => lark_name(name),
        Node::Repeat { item, min, max } => {
            // Multi-character literals become several lexemes and nested
            // repetitions need grouping, or the suffix would bind wrongly.
            let inner = match item.as_ref() {
                Node::Literal(c) if c.len() > 1 => format!("({})", lark_atom(item)),
                Node::Repeat { .. } => format!("({})", lark_atom(item)),
                _ => lark_atom(item),
            };
            match (min, max) {
                (0, None) => format!("{inner}*"),
                (1, None) => format!("{inner}+"),
                (0, Some(1)) => format!("{inner}?"),
                (m, None) => format!("{inner}{{{m},}}"),
                (m, Some(n)) => format!("{inner}{{{m},{n}}}"),
            }
        }
    }
}

fn collect_refs(node: &Node, out: &mut Vec<String>) {
    match node {
        Node::Seq(v) | Node::Alt(v) => v.iter().for_each(|n| collect_refs(n, out)),
        Node::Ref(r) => out.push(r.clone()),
        Node::Repeat { item, .. } => collect_refs(item, out),
        Node::Literal(_) | Node::Class { .. } | Node::Any => {}
    }
}

fn is_nullable(node: &Node, nullable: &BTreeSet<String>) -> bool {
    match node {
        Node::Seq(v) => v.iter().all(|n| is_nullable(n, nullable)),
        Node::Alt(v) => v.iter().any(|n| is_nullable(n, nullable)),
        Node::Literal(c) => c.is_empty(),
        Node::Class { .. } | Node::Any => false,
        Node::Ref(r) => nullable.contains(r),
        Node::Repeat { item, min, .. } => *min == 0 || is_nullable(item, nullable),
    }
}

fn nullable_loop(node: &Node, nullable: &BTreeSet<String>) -> Option<Node> {
    match node {
        Node::Seq(v) | Node::Alt(v) => v.iter().find_map(|n| nullable_loop(n, nullable)),
        Node::Repeat { item, max, .. } => {
            if max.is_none() && is_nullable(item, nullable) {
                Some(node.clone())
            } else {
                nullable_loop(item, nullable)
            }
        }
        _ => None,
    }
}

/// Rules that can be matched first by `node`.
fn leading_refs(node: &Node, nullable: &BTreeSet<String>, out: &mut Vec<String>) {
    match node {
        Node::Seq(v) => {
            for n in v {
                leading_refs(n, nullable, out);
                if !is_nullable(n, nullable) {
                    break;
                }
            }
        }
        Node::Alt(v) => v.iter().for_each(|n| leading_refs(n, nullable, out)),
        Node::Ref(r) => out.push(r.clone()),
        Node::Repeat { item, .. } => leading_refs(item, nullable, out),
        Node::Literal(_) | Node::Class { .. } | Node::Any => {}
    }
}

/// A byte cursor that follows llama.cpp's grammar parser rule for rule.
struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn peek(&self, off: usize) -> u8 {
        self.s.get(self.pos + off).copied().unwrap_or(0)
    }

    fn err(&self, msg: &str) -> String {
        let line = self.s[..self.pos.min(self.s.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        format!("GBNF line {line}: {msg}")
    }

    /// Spaces, tabs and `#` comments; newlines only where llama.cpp allows
    /// them (inside parentheses, after `::=` and `|`, between rules).
    fn skip_space(&mut self, newline_ok: bool) {
        loop {
            match self.peek(0) {
                b' ' | b'\t' => self.pos += 1,
                b'#' => {
                    while !self.at_end() && !matches!(self.peek(0), b'\r' | b'\n') {
                        self.pos += 1;
                    }
                }
                b'\r' | b'\n' if newline_ok => self.pos += 1,
                _ => return,
            }
        }
    }

    fn name(&mut self) -> Result<String, String> {
        let start = self.pos;
        while self.peek(0).is_ascii_alphanumeric() || self.peek(0) == b'-' {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(self.err("expecting name"));
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }

    fn rule(&mut self) -> Result<(String, Node), String> {
        let name = self.name()?;
        self.skip_space(false);
        if !self.s[self.pos..].starts_with(b"::=") {
            return Err(self.err("expecting ::="));
        }
        self.pos += 3;
        self.skip_space(true);
        let body = self.alternates(false)?;
        match self.peek(0) {
            b'\r' => self.pos += if self.peek(1) == b'\n' { 2 } else { 1 },
            b'\n' => self.pos += 1,
            _ if self.at_end() => {}
            _ => return Err(self.err("expecting newline or end")),
        }
        self.skip_space(true);
        Ok((name, body))
    }

    fn alternates(&mut self, nested: bool) -> Result<Node, String> {
        let mut alts = vec![self.sequence(nested)?];
        while self.peek(0) == b'|' {
            self.pos += 1;
            self.skip_space(true);
            alts.push(self.sequence(nested)?);
        }
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Node::Seq(Vec::new()))
        } else {
            Node::Alt(alts)
        })
    }

    fn sequence(&mut self, nested: bool) -> Result<Node, String> {
        let mut items: Vec<Node> = Vec::new();
        while !self.at_end() {
            let c = self.peek(0);
            match c {
                b'"' => {
                    self.pos += 1;
                    let mut chars = Vec::new();
                    while self.peek(0) != b'"' {
                        if self.at_end() {
                            return Err(self.err("unexpected end of input in string"));
                        }
                        chars.push(self.char()?);
                    }
                    self.pos += 1;
                    if chars.is_empty() {
                        return Err(self.err("empty literal (not supported by this reader)"));
                    }
                    items.push(Node::Literal(chars));
                }
                b'[' => {
                    self.pos += 1;
                    let negated = self.peek(0) == b'^';
                    if negated {
                        self.pos += 1;
                    }
                    let mut ranges = Vec::new();
                    while self.peek(0) != b']' {
                        if self.at_end() {
                            return Err(self.err("unexpected end of input in class"));
                        }
                        let lo = self.char()?;
                        let mut hi = lo;
                        if self.peek(0) == b'-' && self.peek(1) != b']' {
                            if self.peek(1) == 0 {
                                return Err(self.err("unexpected end of input in class"));
                            }
                            self.pos += 1;
                            hi = self.char()?;
                        }
                        ranges.push((lo, hi));
                    }
                    self.pos += 1;
                    items.push(Node::Class { negated, ranges });
                }
                b'(' => {
                    self.pos += 1;
                    self.skip_space(true);
                    let inner = self.alternates(true)?;
                    if self.peek(0) != b')' {
                        return Err(self.err("expecting ')'"));
                    }
                    self.pos += 1;
                    items.push(inner);
                }
                b'.' => {
                    self.pos += 1;
                    items.push(Node::Any);
                }
                b'*' | b'+' | b'?' | b'{' => {
                    let Some(last) = items.pop() else {
                        return Err(self.err("repetition without a preceding item"));
                    };
                    let (min, max) = self.repetition()?;
                    items.push(Node::Repeat {
                        item: Box::new(last),
                        min,
                        max,
                    });
                }
                c if c.is_ascii_alphanumeric() || c == b'-' => {
                    items.push(Node::Ref(self.name()?));
                }
                _ => break,
            }
            self.skip_space(nested);
        }
        if items.is_empty() {
            return Err(self.err("empty alternative (not supported by this reader)"));
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Node::Seq(Vec::new()))
        } else {
            Node::Seq(items)
        })
    }

    fn repetition(&mut self) -> Result<(u32, Option<u32>), String> {
        let c = self.peek(0);
        self.pos += 1;
        match c {
            b'*' => Ok((0, None)),
            b'+' => Ok((1, None)),
            b'?' => Ok((0, Some(1))),
            _ => {
                self.skip_space(true);
                let min = self.int()?;
                self.skip_space(true);
                let max = match self.peek(0) {
                    b'}' => Some(min),
                    b',' => {
                        self.pos += 1;
                        self.skip_space(true);
                        if self.peek(0).is_ascii_digit() {
                            let m = self.int()?;
                            self.skip_space(true);
                            Some(m)
                        } else {
                            None
                        }
                    }
                    _ => return Err(self.err("expecting ',' or '}'")),
                };
                if self.peek(0) != b'}' {
                    return Err(self.err("expecting '}'"));
                }
                self.pos += 1;
                Ok((min, max))
            }
        }
    }

    fn int(&mut self) -> Result<u32, String> {
        let start = self.pos;
        while self.peek(0).is_ascii_digit() {
            self.pos += 1;
        }
        std::str::from_utf8(&self.s[start..self.pos])
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| self.err("expecting number"))
    }

    /// One character of a literal or class: llama.cpp's escapes, or one
    /// UTF-8 character.
    fn char(&mut self) -> Result<char, String> {
        if self.peek(0) == b'\\' {
            let e = self.peek(1);
            self.pos += 2;
            let digits = match e {
                b'x' => 2,
                b'u' => 4,
                b'U' => 8,
                b't' => return Ok('\t'),
                b'r' => return Ok('\r'),
                b'n' => return Ok('\n'),
                b'\\' | b'"' | b'[' | b']' => return Ok(e as char),
                _ => return Err(self.err(&format!("unknown escape \\{}", e as char))),
            };
            let mut v = 0u32;
            for _ in 0..digits {
                let d = (self.peek(0) as char)
                    .to_digit(16)
                    .ok_or_else(|| self.err("bad hex escape"))?;
                v = v * 16 + d;
                self.pos += 1;
            }
            return char::from_u32(v).ok_or_else(|| self.err("escape is not a character"));
        }
        let rest = &self.s[self.pos..];
        let len = match rest.first() {
            Some(b) if *b < 0x80 => 1,
            Some(b) if *b >= 0xF0 => 4,
            Some(b) if *b >= 0xE0 => 3,
            Some(_) => 2,
            None => return Err(self.err("unexpected end of input")),
        };
        let c = std::str::from_utf8(&rest[..len.min(rest.len())])
            .ok()
            .and_then(|s| s.chars().next())
            .ok_or_else(|| self.err("invalid UTF-8"))?;
        self.pos += len;
        Ok(c)
    }
}

/// A compiled grammar that checks whole texts byte by byte.
pub struct Checker {
    matcher: Matcher,
}

/// Where and why a text was refused.
#[derive(Debug)]
pub struct Rejection {
    /// Byte offset of the first byte no continuation allows, or the text's
    /// length when the text is an unfinished prefix.
    pub offset: usize,
    pub incomplete: bool,
}

impl Checker {
    pub fn new(gbnf: &Gbnf, root: &str) -> Result<Checker, String> {
        let env = ApproximateTokEnv::single_byte_env();
        let mut factory = ParserFactory::new_simple(&env).map_err(|e| e.to_string())?;
        factory.quiet();
        let parser = factory
            .create_parser(TopLevelGrammar::from_lark(gbnf.to_lark(root)))
            .map_err(|e| format!("llguidance refused the grammar: {e}"))?;
        let matcher = Matcher::new(Ok(parser));
        if let Some(e) = matcher.get_error() {
            return Err(e);
        }
        Ok(Checker { matcher })
    }

    /// Feeds the text one byte (one token of a byte-level vocabulary) at a
    /// time and asks at the end whether the grammar is complete.
    pub fn check(&self, text: &str) -> Result<(), Rejection> {
        let mut m = self.matcher.deep_clone();
        for (i, b) in text.bytes().enumerate() {
            let took = m.try_consume_tokens(&[u32::from(b)]).unwrap_or(0);
            if took == 0 {
                return Err(Rejection {
                    offset: i,
                    incomplete: false,
                });
            }
        }
        if m.is_accepting().unwrap_or(false) {
            Ok(())
        } else {
            Err(Rejection {
                offset: text.len(),
                incomplete: true,
            })
        }
    }
}

/// `text` with a marker at `offset`, for failure messages.
pub fn show_position(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |p| p + 1) + 1;
    let line_text = text.lines().nth(line - 1).unwrap_or("");
    format!(
        "line {line}, column {col}:\n  {line_text}\n  {}^",
        " ".repeat(col - 1)
    )
}
