//! The scene brief: what a prompt asks for, as data. The agent's planner
//! writes it; the agent's coders build from it; the critic checks the world
//! against it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Brief {
    pub title: String,
    pub prompt: String,
    /// "indoor", "nature", "underwater", "studio", ...
    pub setting: String,
    pub environment: EnvironmentBrief,
    pub objects: Vec<ObjectBrief>,
    pub dynamics: Vec<DynamicsBrief>,
    pub camera: CameraBrief,
    /// Seconds.
    pub duration: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct EnvironmentBrief {
    /// "grass", "forest floor", "desert sand", "wooden floor", ...
    pub ground: String,
    /// "day", "dawn", "sunrise", "golden hour", "dusk", "night", "overcast", "underwater".
    pub sky: String,
    /// Hours, 0..24, when it matters.
    pub time_of_day: Option<f64>,
    /// "clear", "rain", "snow", "fog", "wind", "storm".
    pub weather: String,
    /// Free words: "warm lamp light", "moonlight", ...
    pub lighting: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ObjectBrief {
    /// The name the script must give it (snake_case).
    pub name: String,
    /// What it is: "bottle", "tree", "cup", "table"...
    pub kind: String,
    pub count: u32,
    /// Fine-grained attributes from the prompt: "brown", "glass", "withered".
    pub attributes: Vec<String>,
    /// Largest dimension, metres.
    pub size_m: Option<f64>,
    /// "on the floor", "on the table", "in the background"...
    pub placement: String,
    /// "subject", "support", "background".
    pub role: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct DynamicsBrief {
    /// One of [`DYNAMICS_KINDS`].
    pub kind: String,
    /// The object (by brief name) it applies to, if any.
    pub subject: String,
    /// "diagonal", "slowly", "upwards", ...
    pub notes: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct CameraBrief {
    /// "close", "medium", "wide".
    pub shot: String,
    /// Brief name of what to look at.
    pub target: String,
    /// "static", "orbit", "dolly", "follow".
    pub motion: String,
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
    "pours",
    "fills",
    "spills",
    "splashes",
    "piles",
];

impl Brief {
    /// The JSON schema a planner's answer must satisfy (for structured
    /// outputs).
    pub fn schema() -> serde_json::Value {
        let s = |d: &str| serde_json::json!({ "type": "string", "description": d });
        serde_json::json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["title", "setting", "environment", "objects", "dynamics", "camera", "duration"],
            "properties": {
                "title": s("a short title"),
                "setting": s("indoor, nature, underwater or studio"),
                "environment": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["ground", "sky", "weather", "lighting"],
                    "properties": {
                        "ground": s("what the ground is"),
                        "sky": s("day, dawn, sunrise, golden hour, dusk, night, overcast or underwater"),
                        "time_of_day": { "type": ["number", "null"], "description": "hours 0-24" },
                        "weather": s("clear, rain, snow, fog, wind or storm"),
                        "lighting": s("the light, in a few words")
                    }
                },
                "objects": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["name", "kind", "count", "attributes", "placement", "role"],
                        "properties": {
                            "name": s("snake_case name for the script"),
                            "kind": s("what it is"),
                            "count": { "type": "integer", "minimum": 1 },
                            "attributes": { "type": "array", "items": { "type": "string" } },
                            "size_m": { "type": ["number", "null"] },
                            "placement": s("where it is"),
                            "role": s("subject, support or background")
                        }
                    }
                },
                "dynamics": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["kind", "subject", "notes"],
                        "properties": {
                            "kind": { "type": "string", "enum": DYNAMICS_KINDS },
                            "subject": s("object name, or empty"),
                            "notes": s("how: slowly, diagonal, ...")
                        }
                    }
                },
                "camera": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["shot", "target", "motion"],
                    "properties": {
                        "shot": s("close, medium or wide"),
                        "target": s("object name to look at"),
                        "motion": s("static, orbit, dolly or follow")
                    }
                },
                "duration": { "type": "number", "minimum": 1, "maximum": 30 }
            }
        })
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
}
