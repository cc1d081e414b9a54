//! The vision-language critic: a model looks at the rendered contact sheet
//! (and any frames) next to the brief and judges what the numeric checks
//! cannot: does it look like what was asked, does the motion look natural,
//! is it pleasing. Its answer becomes scores and findings.

use serde::Serialize;
use serde_json::{Value, json};

use super::finding::{Category, Finding, Severity};
use crate::brief::Brief;
use crate::llm::{self, ChatRequest, JsonSchema, LlmError, Part, ProviderConfig};

/// What the model is shown.
#[derive(Debug, Clone, Default)]
pub struct VlmRequest {
    /// (label, PNG bytes), e.g. ("contact sheet", ...), ("frame 48, t = 2.00 s", ...).
    pub images: Vec<(String, Vec<u8>)>,
    pub brief: Option<Brief>,
    /// The user's request, in their words.
    pub prompt: Option<String>,
    /// What the script built: entity names and kinds, so the model can name them.
    pub script_summary: String,
}

/// 0..100 each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VlmScores {
    pub physics: u32,
    pub aesthetics: u32,
    pub temporal_stability: u32,
    pub prompt_match: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VlmIssue {
    pub severity: Severity,
    pub entities: Vec<String>,
    pub message: String,
    pub fix: String,
}

/// Tokens and time one review cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VlmUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VlmReview {
    pub scores: VlmScores,
    pub issues: Vec<VlmIssue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<VlmUsage>,
}

impl VlmReview {
    /// For [`super::CriticDiff::vlm_scores`].
    pub fn scores_json(&self) -> Value {
        serde_json::to_value(self.scores).unwrap_or(Value::Null)
    }
}

/// Anything that can look at a run and judge it.
pub trait VisionCritic {
    fn review(&self, request: &VlmRequest) -> Result<VlmReview, LlmError>;
    /// Provider and model, for reports.
    fn name(&self) -> String;
}

/// A [`VisionCritic`] backed by any configured chat provider.
#[derive(Debug, Clone)]
pub struct ProviderCritic {
    pub config: ProviderConfig,
    /// Room for the answer; reasoning models need more than the JSON itself.
    pub max_tokens: u32,
}

impl ProviderCritic {
    pub fn new(config: ProviderConfig) -> ProviderCritic {
        ProviderCritic {
            config,
            max_tokens: 4096,
        }
    }

    /// The chat request a review sends.
    pub fn chat_request(&self, request: &VlmRequest) -> Result<ChatRequest, LlmError> {
        if request.images.is_empty() {
            return Err(LlmError::Config(
                "the vision critic needs at least one image (the contact sheet)".into(),
            ));
        }
        let mut parts = vec![Part::Text(describe(request))];
        for (label, png) in &request.images {
            if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
                return Err(LlmError::Config(format!("image {label:?} is not a PNG")));
            }
            parts.push(Part::Text(format!("Image: {label}")));
            parts.push(Part::Image(png.clone()));
        }
        parts.push(Part::Text(INSTRUCTIONS.into()));
        Ok(ChatRequest {
            system: Some(SYSTEM.into()),
            parts,
            schema: Some(JsonSchema {
                name: "vlm_review".into(),
                schema: review_schema(),
                strict: true,
            }),
            max_tokens: self.max_tokens,
            // The configuration's temperature applies.
            temperature: None,
            grammar: None,
            stage: None,
        })
    }
}

impl VisionCritic for ProviderCritic {
    fn review(&self, request: &VlmRequest) -> Result<VlmReview, LlmError> {
        let chat = self.chat_request(request)?;
        let answer = llm::chat_blocking(&self.config, &chat)?;
        let mut review = parse_review(&answer.text)?;
        review.usage = Some(VlmUsage {
            input_tokens: answer.input_tokens,
            output_tokens: answer.output_tokens,
            elapsed_ms: answer.elapsed_ms,
        });
        Ok(review)
    }

    fn name(&self) -> String {
        let kind = match self.config.kind {
            llm::ProviderKind::OpenAi => "openai",
            llm::ProviderKind::Anthropic => "anthropic",
        };
        format!("{kind}:{}", self.config.model)
    }
}

const SYSTEM: &str = "You are the visual critic of code2worlds, a system that turns a request in \
natural language into a short physically simulated 3D animation written as a world script. You \
see rendered images of one run. Numeric checks have already measured interpenetration, floating \
or unsupported objects, objects passing through the ground or each other, jitter, energy gain, \
the camera inside geometry, black or blown-out frames, and whether the subject is visible and \
large enough: do not report those. Judge what only eyes can judge: whether the scene looks like \
what was asked (the objects recognisable, their look, colours, materials, sizes relative to each \
other, the setting, the lighting and mood), whether the motion across the frames looks natural, \
whether anything pops, flickers or changes implausibly between frames, and whether the shot is \
well composed. Be concrete and brief; report only what you can see.";

const INSTRUCTIONS: &str = "Score each from 0 (very bad) to 100 (flawless): physics (does the \
motion look physically plausible), aesthetics (composition, lighting, materials), \
temporal_stability (consistency from frame to frame: no popping, flicker or teleporting), \
prompt_match (does it show what was asked). Then list the issues, most important first, at most \
ten: severity \"error\" when the result clearly fails the request, \"warning\" for a visible \
flaw, \"note\" for a suggestion; entities by the names in the scene summary (empty when none \
fits); message says what is wrong; fix says what to change in the scene (objects, materials, \
lights, camera, forces). An empty list is right when nothing is wrong.";

/// The text that introduces the images.
fn describe(request: &VlmRequest) -> String {
    let mut text = String::new();
    if let Some(p) = request.prompt.as_deref().filter(|p| !p.trim().is_empty()) {
        text.push_str(&format!("The user asked for: {p:?}\n\n"));
    }
    if let Some(b) = &request.brief {
        let brief = serde_json::to_string_pretty(b).unwrap_or_default();
        text.push_str(&format!("The scene brief planned from it:\n{brief}\n\n"));
    }
    if !request.script_summary.trim().is_empty() {
        text.push_str(&format!(
            "What the world script built:\n{}\n\n",
            request.script_summary.trim()
        ));
    }
    text.push_str(
        "A contact sheet shows keyframes in time order, left to right and top to bottom, each \
         labelled with its time under it.",
    );
    text
}

/// The answer's shape. Ranges are stated in descriptions rather than as
/// `minimum`/`maximum`, which not every strict structured-output
/// implementation accepts; answers are clamped anyway.
pub fn review_schema() -> Value {
    let score = |d: &str| json!({ "type": "integer", "description": format!("0-100: {d}") });
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["scores", "issues"],
        "properties": {
            "scores": {
                "type": "object",
                "additionalProperties": false,
                "required": ["physics", "aesthetics", "temporal_stability", "prompt_match"],
                "properties": {
                    "physics": score("physically plausible motion"),
                    "aesthetics": score("composition, lighting, materials"),
                    "temporal_stability": score("consistency between frames"),
                    "prompt_match": score("shows what was asked")
                }
            },
            "issues": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["severity", "entities", "message", "fix"],
                    "properties": {
                        "severity": { "type": "string", "enum": ["error", "warning", "note"] },
                        "entities": { "type": "array", "items": { "type": "string" } },
                        "message": { "type": "string" },
                        "fix": { "type": "string" }
                    }
                }
            }
        }
    })
}

/// Most issues kept from one answer, and the longest text kept per field.
const MAX_ISSUES: usize = 20;
const MAX_TEXT: usize = 600;

/// Reads a model's answer: the first JSON object in `text`, validated
/// against [`review_schema`] and clamped. Scores must be numbers; out of
/// range they are clamped to 0..100. Unknown severities count as warnings;
/// issues without a message are dropped.
pub fn parse_review(text: &str) -> Result<VlmReview, LlmError> {
    let found = llm::first_json_object(text).ok_or_else(|| {
        LlmError::Malformed(format!(
            "the vision model's answer holds no JSON object: {}",
            shorten(text.trim(), 200)
        ))
    })?;
    let v: Value = serde_json::from_str(found)
        .map_err(|e| LlmError::Malformed(format!("the vision model's JSON: {e}")))?;
    let scores = &v["scores"];
    if !scores.is_object() {
        return Err(LlmError::Malformed(
            "the vision model's answer has no \"scores\" object".into(),
        ));
    }
    let score = |name: &str| -> Result<u32, LlmError> {
        let s = &scores[name];
        let n = s
            .as_f64()
            .or_else(|| s.as_str().and_then(|t| t.trim().parse().ok()))
            .filter(|n: &f64| n.is_finite())
            .ok_or_else(|| {
                LlmError::Malformed(format!("score {name:?} is missing or not a number: {s}"))
            })?;
        Ok(n.round().clamp(0.0, 100.0) as u32)
    };
    let scores = VlmScores {
        physics: score("physics")?,
        aesthetics: score("aesthetics")?,
        temporal_stability: score("temporal_stability")?,
        prompt_match: score("prompt_match")?,
    };
    let issues = match &v["issues"] {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().filter_map(issue).take(MAX_ISSUES).collect(),
        other => {
            return Err(LlmError::Malformed(format!(
                "\"issues\" should be a list, got {}",
                shorten(&other.to_string(), 100)
            )));
        }
    };
    Ok(VlmReview {
        scores,
        issues,
        usage: None,
    })
}

fn issue(v: &Value) -> Option<VlmIssue> {
    let message = v["message"].as_str().map(str::trim).unwrap_or("");
    if message.is_empty() {
        return None;
    }
    let severity = match v["severity"]
        .as_str()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("error") | Some("critical") | Some("major") => Severity::Error,
        Some("note") | Some("info") | Some("suggestion") => Severity::Note,
        _ => Severity::Warning,
    };
    let entities = match &v["entities"] {
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(|s| shorten(s.trim(), 80))
            .filter(|s| !s.is_empty())
            .take(10)
            .collect(),
        Value::String(s) if !s.trim().is_empty() => vec![shorten(s.trim(), 80)],
        _ => Vec::new(),
    };
    Some(VlmIssue {
        severity,
        entities,
        message: shorten(message, MAX_TEXT),
        fix: shorten(v["fix"].as_str().unwrap_or("").trim(), MAX_TEXT),
    })
}

fn shorten(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// Scores below this in physics or prompt match become a warning.
pub const LOW_SCORE: u32 = 40;

/// The review as critic findings over the clip (`time_span` in seconds,
/// `frames` first and last index): one per issue, plus a warning for a low
/// physics or prompt-match score.
pub fn vlm_findings(review: &VlmReview, time_span: (f64, f64), frames: (u64, u64)) -> Vec<Finding> {
    let finding = |id: &str, severity, entities, observed, expected: &str, message, fix| Finding {
        id: id.into(),
        category: Category::Vlm,
        severity,
        entities,
        time: [time_span.0, time_span.1],
        frames: [frames.0, frames.1],
        observed,
        expected: expected.into(),
        message,
        fix,
    };
    let mut out: Vec<Finding> = review
        .issues
        .iter()
        .map(|i| {
            finding(
                "vlm.issue",
                i.severity,
                i.entities.clone(),
                i.message.clone(),
                "no visible problem",
                format!("the vision model sees: {}", i.message),
                if i.fix.is_empty() {
                    "look at the contact sheet".into()
                } else {
                    i.fix.clone()
                },
            )
        })
        .collect();
    let s = review.scores;
    if s.physics < LOW_SCORE {
        out.push(finding(
            "vlm.low_physics_score",
            Severity::Warning,
            Vec::new(),
            format!("physics score {}/100", s.physics),
            &format!("at least {LOW_SCORE}"),
            format!(
                "the vision model finds the motion physically implausible (score {}/100)",
                s.physics
            ),
            "check masses, sizes, gravity, supports and speeds against the real objects".into(),
        ));
    }
    if s.prompt_match < LOW_SCORE {
        out.push(finding(
            "vlm.low_prompt_match",
            Severity::Warning,
            Vec::new(),
            format!("prompt-match score {}/100", s.prompt_match),
            &format!("at least {LOW_SCORE}"),
            format!(
                "the vision model finds the scene does not show what was asked (score {}/100)",
                s.prompt_match
            ),
            "compare the contact sheet with the brief: missing or unrecognisable objects, \
             colours, materials, setting, lighting, framing"
                .into(),
        ));
    }
    out
}

/// Every structured output the crate asks for, through both wire formats.
/// It lives here, the highest module that builds such a request, so that
/// `llm` need not know its callers.
#[cfg(test)]
mod sent {
    use crate::llm::{
        ChatRequest, JsonSchema, ProviderConfig, ProviderKind, anthropic, openai, strict_violations,
    };
    use serde_json::Value;

    fn valid_name(n: &str) -> bool {
        !n.is_empty()
            && n.len() <= 64
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }

    /// The requests that carry a schema, as the code builds them.
    fn requests() -> Vec<ChatRequest> {
        let mut plan = ChatRequest::new(vec![]);
        plan.schema = Some(JsonSchema {
            name: "scene_brief".into(),
            schema: crate::brief::Brief::schema(),
            strict: true,
        });
        let png = crate::video::RgbaImage::filled(4, 4, [9, 9, 9, 255])
            .unwrap()
            .encode_png()
            .unwrap();
        let critic = super::ProviderCritic::new(ProviderConfig::new(ProviderKind::OpenAi, "m"))
            .chat_request(&super::VlmRequest {
                images: vec![("contact sheet".into(), png)],
                ..Default::default()
            })
            .unwrap();
        vec![plan, critic]
    }

    #[test]
    fn every_schema_we_send_follows_the_strict_rules_of_both_providers() {
        let reqs = requests();
        assert!(reqs.iter().all(|r| r.schema.is_some()));
        for req in &reqs {
            let name = &req.schema.as_ref().unwrap().name;
            let cfg = ProviderConfig::new(ProviderKind::OpenAi, "gpt");
            let body = openai::body(&cfg, req);
            let format = &body["response_format"];
            assert_eq!(format["type"], "json_schema");
            assert_eq!(format["json_schema"]["strict"], true);
            assert!(valid_name(format["json_schema"]["name"].as_str().unwrap()));
            let v = strict_violations(&format["json_schema"]["schema"]);
            assert!(v.is_empty(), "{name} (OpenAI): {v:#?}");

            let cfg = ProviderConfig::new(ProviderKind::Anthropic, "claude");
            let body = anthropic::body(&cfg, req);
            let tools = body["tools"].as_array().expect("a tool");
            assert_eq!(tools.len(), 1);
            let tool_name = tools[0]["name"].as_str().unwrap();
            assert!(valid_name(tool_name));
            assert_eq!(body["tool_choice"]["type"], "tool");
            assert_eq!(body["tool_choice"]["name"], tool_name);
            let v = strict_violations(&tools[0]["input_schema"]);
            assert!(v.is_empty(), "{name} (Anthropic): {v:#?}");
            // The schema is not repeated in the prompt.
            let text = body["messages"][0]["content"].to_string();
            assert!(!text.contains("additionalProperties"), "{text}");
        }
    }

    #[test]
    fn a_tool_answer_from_anthropic_is_the_json_text() {
        let v: Value = serde_json::json!({
            "content": [
                { "type": "text", "text": "Here it is." },
                { "type": "tool_use", "name": "scene_brief", "input": { "title": "t" } }
            ],
            "usage": { "input_tokens": 5, "output_tokens": 7 }
        });
        let a = anthropic::parse(&v).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&a.text).unwrap()["title"],
            "t"
        );
        assert_eq!((a.input_tokens, a.output_tokens), (5, 7));
        assert_eq!(anthropic::tool_name("vlm review!"), "vlm_review_");
    }
}
