//! The scene brief: what a prompt asks for, as data. The agent's planner
//! writes it; the agent's coders build from it; the critic checks the world
//! against it.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

// Doc comments on the fields are the descriptions the planner model sees in
// the schema. `null` reads as the default everywhere: strict structured
// output lets a model answer null for a nullable field, and small models
// write null for fields they have nothing to say about.

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default)]
pub struct Brief {
    /// A short title.
    #[serde(deserialize_with = "null_default")]
    pub title: String,
    /// The user's words; filled in by the agent, not the planner.
    #[serde(deserialize_with = "null_default")]
    #[schemars(skip)]
    pub prompt: String,
    /// indoor, nature, underwater or studio.
    #[serde(deserialize_with = "null_default")]
    pub setting: String,
    #[serde(deserialize_with = "null_default")]
    pub environment: EnvironmentBrief,
    #[serde(deserialize_with = "null_default")]
    pub objects: Vec<ObjectBrief>,
    #[serde(deserialize_with = "null_default")]
    pub dynamics: Vec<DynamicsBrief>,
    #[serde(deserialize_with = "null_default")]
    pub camera: CameraBrief,
    /// Seconds, 1 to 30.
    #[serde(deserialize_with = "null_default")]
    pub duration: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default)]
pub struct EnvironmentBrief {
    /// What the ground is: grass, forest floor, desert sand, wooden floor...
    #[serde(deserialize_with = "null_default")]
    pub ground: String,
    /// day, dawn, sunrise, golden hour, dusk, night, overcast or underwater.
    #[serde(deserialize_with = "null_default")]
    pub sky: String,
    /// Hours 0-24, when it matters.
    pub time_of_day: Option<f64>,
    /// clear, rain, snow, fog, wind or storm.
    #[serde(deserialize_with = "null_default")]
    pub weather: String,
    /// The light, in a few words: warm lamp light, moonlight...
    #[serde(deserialize_with = "null_default")]
    pub lighting: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default)]
pub struct ObjectBrief {
    /// snake_case name for the script.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// What it is: bottle, tree, cup, table...
    #[serde(deserialize_with = "null_default")]
    pub kind: String,
    /// How many, at least 1.
    #[serde(deserialize_with = "null_default")]
    pub count: u32,
    /// Fine-grained attributes from the prompt: brown, glass, withered.
    #[serde(deserialize_with = "null_default")]
    pub attributes: Vec<String>,
    /// Largest dimension, metres.
    pub size_m: Option<f64>,
    /// Where it is: on the floor, on the table, in the background...
    #[serde(deserialize_with = "null_default")]
    pub placement: String,
    /// subject, support or background.
    #[serde(deserialize_with = "null_default")]
    pub role: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default)]
pub struct DynamicsBrief {
    /// One of [`DYNAMICS_KINDS`].
    #[serde(deserialize_with = "null_default")]
    #[schemars(schema_with = "dynamics_kind_schema")]
    pub kind: String,
    /// The object (by brief name) it applies to, or empty.
    #[serde(deserialize_with = "null_default")]
    pub subject: String,
    /// How: slowly, diagonal, upwards...
    #[serde(deserialize_with = "null_default")]
    pub notes: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(default)]
pub struct CameraBrief {
    /// close, medium or wide.
    #[serde(deserialize_with = "null_default")]
    pub shot: String,
    /// Object name to look at.
    #[serde(deserialize_with = "null_default")]
    pub target: String,
    /// static, orbit, dolly or follow.
    #[serde(deserialize_with = "null_default")]
    pub motion: String,
}

/// A present value, or the default for `null`.
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn dynamics_kind_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "description": "what moves, and how",
        "enum": DYNAMICS_KINDS,
    })
}

/// Dynamics the critic knows how to check.
pub const DYNAMICS_KINDS: &[&str] = &[
    "falls",
    "rolls",
    "slides",
    "bounces",
    "spins",
    "swings",
    "sways",
    "topples",
    "drifts",
    "pulsates",
    "rises",
    "flows",
    "rain",
    "snow",
    "falling_leaves",
    "wind",
    "fire",
    "embers",
    "steam",
    "glows",
    "flickers",
    "time_of_day",
    "static",
    "flutters",
    "drapes",
    "wobbles",
    "squashes",
    "pours",
    "fills",
    "spills",
    "splashes",
    "piles",
];

impl Brief {
    /// The JSON schema a planner's answer must satisfy (for structured
    /// outputs), strict: see [`crate::llm::strict_schema_for`].
    pub fn schema() -> serde_json::Value {
        crate::llm::strict_schema_for::<Brief>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_briefs_parse_with_defaults() {
        let b: Brief = serde_json::from_str(
            r#"{ "title": "t", "objects": [{ "name": "bottle", "kind": "bottle" }] }"#,
        )
        .unwrap();
        assert_eq!(b.objects[0].count, 0);
        assert!(b.dynamics.is_empty());
        assert_eq!(
            Brief::schema()["properties"]["dynamics"]["items"]["properties"]["kind"]["enum"]
                .as_array()
                .unwrap()
                .len(),
            DYNAMICS_KINDS.len()
        );
    }

    #[test]
    fn the_schema_is_strict_and_leaves_out_what_the_agent_fills_in() {
        let s = Brief::schema();
        assert_eq!(
            crate::llm::strict_violations(&s),
            Vec::<String>::new(),
            "{s:#}"
        );
        assert!(s["properties"].get("prompt").is_none());
        let env = &s["properties"]["environment"];
        assert_eq!(
            env["required"],
            serde_json::json!(["ground", "sky", "time_of_day", "weather", "lighting"])
        );
        assert_eq!(
            env["properties"]["time_of_day"]["type"],
            serde_json::json!(["number", "null"])
        );
        let object = &s["properties"]["objects"]["items"];
        assert!(
            object["required"]
                .as_array()
                .unwrap()
                .contains(&"size_m".into())
        );
    }

    #[test]
    fn nulls_read_as_defaults() {
        let b: Brief = serde_json::from_str(
            r#"{ "title": null, "setting": "indoor", "environment": { "ground": null, "time_of_day": null },
                 "objects": [{ "name": "cup", "count": null, "attributes": null, "size_m": null }],
                 "dynamics": null, "camera": null, "duration": null }"#,
        )
        .unwrap();
        assert_eq!(b.title, "");
        assert_eq!(b.setting, "indoor");
        assert_eq!(b.objects[0].count, 0);
        assert_eq!(b.objects[0].size_m, None);
        assert!(b.dynamics.is_empty());
        assert_eq!(b.duration, 0.0);
        // A wrong type is still an error, not a silent default.
        assert!(serde_json::from_str::<Brief>(r#"{ "title": 3 }"#).is_err());
    }
}
