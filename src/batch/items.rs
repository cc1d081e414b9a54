//! What a batch is made of: prompts from a JSONL file, or the world scripts
//! of a folder, each with an id that names its output folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One unit of work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    pub kind: ItemKind,
    pub seed: Option<u64>,
    /// Flags for this item alone (from its line's `settings`), which win
    /// over the batch's.
    pub flags: Flags,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ItemKind {
    /// `c2w generate PROMPT`.
    Generate { prompt: String },
    /// `c2w run SCRIPT`.
    Script { path: PathBuf },
}

impl ItemKind {
    pub fn name(&self) -> &'static str {
        match self {
            ItemKind::Generate { .. } => "generate",
            ItemKind::Script { .. } => "script",
        }
    }

    /// The prompt, or the script's path.
    pub fn source(&self) -> String {
        match self {
            ItemKind::Generate { prompt } => prompt.clone(),
            ItemKind::Script { path } => path.display().to_string(),
        }
    }
}

/// Command-line flags for a child `c2w`, in order, one value per flag: a
/// later `set` of the same flag replaces the earlier (clap refuses a flag
/// given twice).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Flags(pub Vec<(String, Option<String>)>);

impl Flags {
    pub fn set(&mut self, flag: &str, value: Option<String>) {
        match self.0.iter_mut().find(|(f, _)| f == flag) {
            Some(slot) => slot.1 = value,
            None => self.0.push((flag.to_string(), value)),
        }
    }

    pub fn has(&self, flag: &str) -> bool {
        self.0.iter().any(|(f, _)| f == flag)
    }

    /// `self` with `other`'s flags on top.
    pub fn merged(&self, other: &Flags) -> Flags {
        let mut m = self.clone();
        for (f, v) in &other.0 {
            m.set(f, v.clone());
        }
        m
    }

    pub fn to_args(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (f, v) in &self.0 {
            out.push(f.clone());
            if let Some(v) = v {
                out.push(v.clone());
            }
        }
        out
    }
}

/// The per-line settings a prompt may carry, and the `c2w generate` flag
/// each becomes. `true` means the flag takes no value.
const SETTINGS: &[(&str, &str, bool)] = &[
    ("rounds", "--rounds", false),
    ("model", "--model", false),
    ("provider", "--provider", false),
    ("base_url", "--base-url", false),
    ("planner_model", "--planner-model", false),
    ("coder_model", "--coder-model", false),
    ("critic_model", "--critic-model", false),
    ("timeout", "--timeout", false),
    ("size", "--size", false),
    ("quality", "--quality", false),
    ("adapter", "--adapter", false),
    ("compact", "--compact", true),
    ("grammar", "--grammar", true),
    ("no_render", "--no-render", true),
    ("no_cache", "--no-cache", true),
];

/// Why a batch's input cannot be read.
#[derive(Debug)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Ids become folder names: short, plain, and never a path.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Reads a batch from a JSONL file of prompts or a folder of `.rhai`
/// scripts.
pub fn read_items(input: &Path) -> Result<Vec<Item>, InputError> {
    if input.is_dir() {
        scripts_in(input)
    } else {
        let text = std::fs::read_to_string(input)
            .map_err(|e| InputError(format!("cannot read {}: {e}", input.display())))?;
        parse_jsonl(&text, &input.display().to_string())
    }
}

/// Every `.rhai` file directly in `dir`, by name; the id is the file stem.
fn scripts_in(dir: &Path) -> Result<Vec<Item>, InputError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| InputError(format!("cannot read {}: {e}", dir.display())))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "rhai"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(InputError(format!(
            "{} holds no .rhai scripts",
            dir.display()
        )));
    }
    let mut seen = BTreeSet::new();
    paths
        .into_iter()
        .map(|path| {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let id: String = stem
                .chars()
                .map(|c| if valid_id(&c.to_string()) { c } else { '_' })
                .collect();
            if !valid_id(&id) || !seen.insert(id.clone()) {
                return Err(InputError(format!(
                    "{}: its name does not make a usable, unique id",
                    path.display()
                )));
            }
            let path = std::fs::canonicalize(&path).unwrap_or(path);
            Ok(Item {
                id,
                kind: ItemKind::Script { path },
                seed: None,
                flags: Flags::default(),
            })
        })
        .collect()
}

/// One JSON object a line: `id` (default: `item-N` by line), `prompt`,
/// optional `seed` and `settings`; other keys (a benchmark's labels) are
/// ignored. Blank lines and lines starting with `#` are skipped.
pub fn parse_jsonl(text: &str, origin: &str) -> Result<Vec<Item>, InputError> {
    let mut items = Vec::new();
    let mut seen = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |msg: String| InputError(format!("{origin}:{line_no}: {msg}"));
        let v: Value =
            serde_json::from_str(line).map_err(|e| at(format!("not a JSON object: {e}")))?;
        let Some(obj) = v.as_object() else {
            return Err(at("not a JSON object".into()));
        };
        let id = match obj.get("id") {
            None => format!("item-{line_no:04}"),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(x)) => x.to_string(),
            Some(_) => return Err(at("`id` must be a string".into())),
        };
        if !valid_id(&id) {
            return Err(at(format!(
                "id {id:?} cannot name a folder: use letters, digits, '-', '_' and '.', at most 100"
            )));
        }
        if !seen.insert(id.clone()) {
            return Err(at(format!("id {id:?} is used twice")));
        }
        let prompt = match obj.get("prompt") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            _ => return Err(at("give a non-empty `prompt` string".into())),
        };
        let seed = match obj.get("seed") {
            None | Some(Value::Null) => None,
            Some(s) => Some(
                s.as_u64()
                    .ok_or_else(|| at("`seed` must be a whole number ≥ 0".into()))?,
            ),
        };
        let flags = match obj.get("settings") {
            None | Some(Value::Null) => Flags::default(),
            Some(Value::Object(m)) => settings_flags(m).map_err(at)?,
            Some(_) => return Err(at("`settings` must be an object".into())),
        };
        items.push(Item {
            id,
            kind: ItemKind::Generate { prompt },
            seed,
            flags,
        });
    }
    if items.is_empty() {
        return Err(InputError(format!("{origin} holds no prompts")));
    }
    Ok(items)
}

fn settings_flags(m: &serde_json::Map<String, Value>) -> Result<Flags, String> {
    let mut flags = Flags::default();
    for (key, value) in m {
        let Some(&(_, flag, switch)) = SETTINGS.iter().find(|(k, _, _)| k == key) else {
            let known: Vec<&str> = SETTINGS.iter().map(|(k, _, _)| *k).collect();
            let near = crate::util::suggest::closest(key, known.iter().copied(), 1);
            return Err(format!(
                "unknown setting {key:?}{}; settings are: {}",
                near.first()
                    .map(|n| format!(" (did you mean {n:?}?)"))
                    .unwrap_or_default(),
                known.join(", ")
            ));
        };
        match (switch, value) {
            (true, Value::Bool(true)) => flags.set(flag, None),
            (true, Value::Bool(false)) => {}
            (true, _) => return Err(format!("setting {key:?} is true or false")),
            (false, Value::String(s)) => flags.set(flag, Some(s.clone())),
            (false, Value::Number(x)) => flags.set(flag, Some(x.to_string())),
            (false, _) => return Err(format!("setting {key:?} takes a string or a number")),
        }
    }
    Ok(flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_items_with_their_settings() {
        let text = r#"
# a comment
{"id": "a", "prompt": " A ball rolls. ", "seed": 7, "settings": {"rounds": 2, "compact": true, "grammar": false}}
{"prompt": "Rain falls.", "dynamics": ["rain"]}
"#;
        let items = parse_jsonl(text, "p.jsonl").unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].id, "a");
        assert_eq!(
            items[0].kind,
            ItemKind::Generate {
                prompt: "A ball rolls.".into()
            }
        );
        assert_eq!(items[0].seed, Some(7));
        assert_eq!(items[0].flags.to_args(), ["--rounds", "2", "--compact"]);
        assert_eq!(items[1].id, "item-0004");
    }

    #[test]
    fn bad_lines_name_their_line_and_what_is_wrong() {
        let e = |t: &str| parse_jsonl(t, "p.jsonl").unwrap_err().0;
        assert!(e("{\"id\": \"../x\", \"prompt\": \"p\"}").contains("p.jsonl:1: id"));
        assert!(e("{\"id\": \"a\"}").contains("prompt"));
        assert!(
            e("{\"id\": \"a\", \"prompt\": \"p\"}\n{\"id\": \"a\", \"prompt\": \"q\"}")
                .contains(":2: id \"a\" is used twice")
        );
        let typo = e("{\"prompt\": \"p\", \"settings\": {\"round\": 2}}");
        assert!(typo.contains("did you mean \"rounds\""), "{typo}");
        assert!(e("not json").contains("not a JSON object"));
        assert!(e("\n\n").contains("holds no prompts"));
    }

    #[test]
    fn later_flags_replace_earlier_ones() {
        let mut a = Flags::default();
        a.set("--model", Some("x".into()));
        a.set("--compact", None);
        let mut b = Flags::default();
        b.set("--model", Some("y".into()));
        assert_eq!(a.merged(&b).to_args(), ["--model", "y", "--compact"]);
    }
}
