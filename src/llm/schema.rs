//! JSON schemas for structured output, in the subset that OpenAI's strict
//! mode (and Anthropic's tool input) accepts: every property required
//! (optional ones nullable), no additional properties, only the keywords
//! both document as supported.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

/// Keywords a strict schema may use. Range and format keywords are left
/// out: not every strict implementation accepts them, so bounds go in
/// descriptions and answers are checked after parsing.
pub const STRICT_KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "anyOf",
    "description",
];

/// `T`'s schema (derived with schemars, subschemas inlined) made strict by
/// [`make_strict`].
pub fn strict_schema_for<T: JsonSchema>() -> Value {
    // The serialize contract lists every field that is always written as
    // required, `Option`s included (as nullable), which is strict mode's shape.
    let generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .for_serialize()
        .into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    make_strict(&mut schema);
    schema
}

/// Rewrites `schema` in place for strict structured output: each object
/// lists all its properties as required, any that were optional become
/// nullable, `additionalProperties` is false, and unsupported keywords
/// (titles, formats, ranges, defaults, `$schema`) are dropped.
pub fn make_strict(schema: &mut Value) {
    let Value::Object(map) = schema else {
        return;
    };
    map.retain(|k, _| STRICT_KEYWORDS.contains(&k.as_str()));
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for p in props.values_mut() {
            make_strict(p);
        }
    }
    if let Some(items) = map.get_mut("items") {
        make_strict(items);
    }
    if let Some(Value::Array(options)) = map.get_mut("anyOf") {
        for o in options {
            make_strict(o);
        }
    }
    let is_object =
        map.get("type") == Some(&Value::from("object")) || map.contains_key("properties");
    if !is_object {
        return;
    }
    let required: Vec<String> = match map.get("required") {
        Some(Value::Array(r)) => r
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    };
    let mut props = match map.remove("properties") {
        Some(Value::Object(p)) => p,
        _ => Map::new(),
    };
    for (name, p) in props.iter_mut() {
        if !required.contains(name) {
            make_nullable(p);
        }
    }
    let names: Vec<Value> = props.keys().cloned().map(Value::from).collect();
    map.insert("type".into(), "object".into());
    map.insert("properties".into(), Value::Object(props));
    map.insert("required".into(), Value::Array(names));
    map.insert("additionalProperties".into(), false.into());
}

/// Lets `schema` also be `null`.
fn make_nullable(schema: &mut Value) {
    let Value::Object(map) = schema else {
        return;
    };
    if let Some(Value::Array(options)) = map.get_mut("anyOf") {
        let null = serde_json::json!({ "type": "null" });
        if !options.contains(&null) {
            options.push(null);
        }
        return;
    }
    match map.get_mut("type") {
        Some(Value::String(t)) if t != "null" => {
            let t = std::mem::take(t);
            map.insert("type".into(), serde_json::json!([t, "null"]));
        }
        Some(Value::Array(types)) if !types.contains(&Value::from("null")) => {
            types.push("null".into());
        }
        _ => {}
    }
    if let Some(Value::Array(values)) = map.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
}

/// Every rule strict structured output imposes that `schema` breaks, as
/// `path: problem` lines; empty when it complies. The root must be an
/// object (Anthropic requires it for tool input; OpenAI for strict mode).
pub fn strict_violations(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if schema["type"] != "object" {
        out.push("$: the root is not an object".to_string());
    }
    walk(schema, "$", &mut out);
    out
}

fn walk(schema: &Value, path: &str, out: &mut Vec<String>) {
    let Value::Object(map) = schema else {
        out.push(format!("{path}: a schema must be an object"));
        return;
    };
    for k in map.keys() {
        if !STRICT_KEYWORDS.contains(&k.as_str()) {
            out.push(format!("{path}: unsupported keyword {k:?}"));
        }
    }
    let types: Vec<&str> = match &map.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.is_empty() && !map.contains_key("anyOf") && !map.contains_key("const") {
        out.push(format!("{path}: no type"));
    }
    if types.contains(&"object") || map.contains_key("properties") {
        if map.get("additionalProperties") != Some(&Value::Bool(false)) {
            out.push(format!("{path}: additionalProperties is not false"));
        }
        let props = map.get("properties").and_then(Value::as_object);
        let required: Vec<&str> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match props {
            None => out.push(format!("{path}: an object without properties")),
            Some(props) => {
                for (name, p) in props {
                    if !required.contains(&name.as_str()) {
                        out.push(format!("{path}.{name}: not listed in required"));
                    }
                    walk(p, &format!("{path}.{name}"), out);
                }
                for r in &required {
                    if !props.contains_key(*r) {
                        out.push(format!("{path}: requires {r:?}, which is not a property"));
                    }
                }
            }
        }
    }
    if types.contains(&"array") {
        match map.get("items") {
            Some(items) => walk(items, &format!("{path}[]"), out),
            None => out.push(format!("{path}: an array without items")),
        }
    }
    if let Some(options) = map.get("anyOf") {
        match options.as_array() {
            Some(options) => {
                for (i, o) in options.iter().enumerate() {
                    walk(o, &format!("{path}|{i}"), out);
                }
            }
            None => out.push(format!("{path}: anyOf is not a list")),
        }
    }
    if let (Some(Value::Array(values)), true) = (map.get("enum"), types.contains(&"null"))
        && !values.contains(&Value::Null)
    {
        out.push(format!(
            "{path}: nullable, but null is not among the enum values"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(serde::Serialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Sample {
        /// A name.
        name: String,
        size: Option<f64>,
        #[schemars(range(min = 1))]
        count: u32,
        inner: Vec<Inner>,
    }

    #[derive(serde::Serialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Inner {
        label: Option<String>,
    }

    #[test]
    fn derived_schemas_become_strict() {
        let s = strict_schema_for::<Sample>();
        assert_eq!(strict_violations(&s), Vec::<String>::new(), "{s:#}");
        assert_eq!(s["required"], json!(["name", "size", "count", "inner"]));
        assert_eq!(s["properties"]["size"]["type"], json!(["number", "null"]));
        assert_eq!(s["properties"]["name"]["description"], "A name.");
        assert!(s["properties"]["count"].get("minimum").is_none());
        assert!(s["properties"]["count"].get("format").is_none());
        assert_eq!(
            s["properties"]["inner"]["items"]["properties"]["label"]["type"],
            json!(["string", "null"])
        );
    }

    #[test]
    fn the_checker_names_each_broken_rule() {
        let bad = json!({
            "type": "object",
            "properties": {
                "a": { "type": "string", "format": "date" },
                "b": { "type": "object", "properties": { "c": { "type": "integer" } }, "required": ["c"] },
                "d": { "type": "array" },
                "e": { "type": ["string", "null"], "enum": ["x"] }
            },
            "required": ["a", "b", "d", "e", "z"],
            "additionalProperties": false
        });
        let v = strict_violations(&bad);
        for want in [
            "$.a: unsupported keyword \"format\"",
            "$.b: additionalProperties is not false",
            "$.d: an array without items",
            "$: requires \"z\", which is not a property",
            "$.e: nullable, but null is not among the enum values",
        ] {
            assert!(v.iter().any(|l| l == want), "missing {want:?} in {v:#?}");
        }
        let mut missing = bad.clone();
        missing["required"] = json!(["a"]);
        assert!(
            strict_violations(&missing)
                .iter()
                .any(|l| l == "$.b: not listed in required")
        );
        // Fixing it makes it pass; making it strict twice changes nothing.
        let mut fixed = bad;
        fixed["required"] = json!(["a", "b", "d"]);
        fixed["properties"]["d"]["items"] = json!({ "type": "string" });
        make_strict(&mut fixed);
        assert_eq!(strict_violations(&fixed), Vec::<String>::new(), "{fixed:#}");
        let again = {
            let mut f = fixed.clone();
            make_strict(&mut f);
            f
        };
        assert_eq!(again, fixed);
        assert!(
            !strict_violations(&json!({ "type": "array", "items": {"type": "string"} })).is_empty()
        );
    }
}
