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
    "waves",
    "scatters",
];

/// What the critic measures for each dynamics kind, for the planner's
/// prompt and the docs: a kind means its measurable meaning.
pub const DYNAMICS_MEANINGS: &[(&str, &str)] = &[
    ("falls", "the subject drops >= 0.2 m"),
    (
        "rolls",
        "travels >= 0.2 m turning >= 180 degrees about its long axis",
    ),
    ("slides", "travels >= 0.2 m along a surface"),
    (
        "bounces",
        "its vertical velocity flips from falling to rising",
    ),
    ("spins", "turns >= 180 degrees"),
    (
        "swings",
        "turns back and forth about a joint (2+ reversals)",
    ),
    (
        "sways",
        "a rooted thing with sway in a wind: its top bends back and forth >= 1 % of its height",
    ),
    ("topples", "tilts past 60 degrees"),
    ("drifts", "moves >= 0.5 m gently"),
    ("pulsates", "an oscillating scale"),
    ("rises", "climbs >= 0.2 m"),
    ("flows", "particles moving along the ground"),
    ("rain", "a rain emitter whose drops fall every second"),
    ("snow", "a snow emitter whose flakes fall"),
    (
        "falling_leaves",
        "leaf particles that fall and tumble, at least 12 in view and 4 px wide on screen",
    ),
    ("wind", "a wind field"),
    ("fire", "rising ember or spark particles"),
    ("embers", "rising ember or spark particles"),
    ("steam", "rising steam particles"),
    ("glows", "emissive_strength > 0"),
    ("flickers", "a light whose intensity varies by > 10 %"),
    ("time_of_day", "the sun's elevation changes >= 20 degrees"),
    ("static", "the subject stays put"),
    (
        "flutters",
        "a cloth whose vertices keep moving (mean speed >= 0.15 m/s) in wind",
    ),
    ("drapes", "a cloth that settles without stretching"),
    (
        "wobbles",
        "a soft body whose height oscillates >= 4 % with 2+ turns",
    ),
    ("squashes", "a soft body whose height changes >= 4 %"),
    (
        "pours",
        "a liquid or grains whose particles move (> 0.3 m/s)",
    ),
    (
        "fills",
        "moving particles, 20+ and a quarter of them inside the container at the end",
    ),
    (
        "spills",
        "a liquid or grains whose particles move (> 0.3 m/s)",
    ),
    (
        "splashes",
        "moving particles, some thrown upwards at >= 0.2 m/s",
    ),
    ("piles", "grains heaped at least 3 grains high"),
    (
        "waves",
        "a cloth that keeps moving gently (mean vertex speed >= 0.05 m/s), like a curtain in a breeze",
    ),
    (
        "scatters",
        "2+ pieces tagged with the subject move 0.1 m and their spread grows >= 0.25 m",
    ),
];

/// The dynamics vocabulary, one "kind: meaning" per line, for prompts.
pub fn dynamics_vocabulary() -> String {
    DYNAMICS_MEANINGS
        .iter()
        .map(|(k, m)| format!("- {k}: {m}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Brief {
    /// The object the brief is about: the one whose role is subject, else
    /// the first; empty when it plans no objects.
    pub fn subject_name(&self) -> String {
        self.objects
            .iter()
            .find(|o| o.role == "subject")
            .or(self.objects.first())
            .map(|o| o.name.clone())
            .unwrap_or_default()
    }

    /// The JSON schema a planner's answer must satisfy (for structured
    /// outputs), strict: see [`crate::llm::strict_schema_for`].
    pub fn schema() -> serde_json::Value {
        crate::llm::strict_schema_for::<Brief>()
    }

    /// [`Brief::schema`] with its lists bounded (`maxItems`), for local
    /// servers that compile the schema into a decoding grammar (llama.cpp):
    /// a small model that starts repeating one dynamics item is then made
    /// to close the list instead of looping to its token limit. Hosted
    /// strict modes do not all accept `maxItems`, so they get the plain one.
    pub fn bounded_schema() -> serde_json::Value {
        let mut s = Self::schema();
        s["properties"]["objects"]["maxItems"] = 6.into();
        s["properties"]["dynamics"]["maxItems"] = 5.into();
        s["properties"]["objects"]["items"]["properties"]["attributes"]["maxItems"] = 5.into();
        s
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
    fn the_bounded_schema_caps_the_lists_a_small_model_loops_in() {
        let s = Brief::bounded_schema();
        assert_eq!(s["properties"]["dynamics"]["maxItems"], 5);
        assert_eq!(s["properties"]["objects"]["maxItems"], 6);
        assert_eq!(
            s["properties"]["objects"]["items"]["properties"]["attributes"]["maxItems"],
            5
        );
        assert!(
            s["properties"]["dynamics"]["items"]["properties"]
                .get("attributes")
                .is_none()
        );
        // Otherwise the same schema.
        let mut plain = s.clone();
        for list in ["objects", "dynamics"] {
            plain["properties"][list]
                .as_object_mut()
                .unwrap()
                .remove("maxItems");
        }
        plain["properties"]["objects"]["items"]["properties"]["attributes"]
            .as_object_mut()
            .unwrap()
            .remove("maxItems");
        assert_eq!(plain, Brief::schema());
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
    fn every_dynamics_kind_has_a_measurable_meaning() {
        let meant: Vec<&str> = DYNAMICS_MEANINGS.iter().map(|(k, _)| *k).collect();
        assert_eq!(meant, DYNAMICS_KINDS);
        for word in [
            "flutters", "waves", "sways", "wobbles", "bounces", "rolls", "slides", "pours",
            "fills", "splashes", "piles", "drifts", "rises", "flickers", "pulsates", "topples",
            "swings", "scatters",
        ] {
            assert!(DYNAMICS_KINDS.contains(&word), "{word}");
        }
        assert!(dynamics_vocabulary().contains("- wobbles: a soft body"));
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
