//! Anthropic Messages.

use base64::Engine;
use serde_json::{Value, json};

use super::{Answer, ChatRequest, LlmError, Part, ProviderConfig};

pub(crate) const API_VERSION: &str = "2023-06-01";

pub(crate) fn endpoint(config: &ProviderConfig) -> String {
    format!("{}/v1/messages", config.base_url)
}

pub(crate) fn headers(key: &str) -> Vec<(&'static str, String)> {
    vec![
        ("x-api-key", key.to_string()),
        ("anthropic-version", API_VERSION.to_string()),
    ]
}

pub(crate) fn body(config: &ProviderConfig, req: &ChatRequest) -> Value {
    let content: Vec<Value> = req
        .parts
        .iter()
        .map(|p| match p {
            Part::Text(t) => json!({ "type": "text", "text": t }),
            Part::Image(png) => json!({
                "type": "image",
                "source": {
                    "type": "base64",
                    "media_type": "image/png",
                    "data": base64::engine::general_purpose::STANDARD.encode(png)
                }
            }),
        })
        .collect();
    let mut body = json!({
        "model": config.model,
        "max_tokens": req.max_tokens,
        "messages": [{ "role": "user", "content": content }]
    });
    // Structured output is a tool the model must call: its input is the
    // answer, checked against the schema by the API.
    if let Some(s) = &req.schema {
        s.debug_check_strict();
        body["tools"] = json!([{
            "name": tool_name(&s.name),
            "description": "Give your answer by calling this tool with it.",
            "input_schema": s.schema,
        }]);
        body["tool_choice"] = json!({ "type": "tool", "name": tool_name(&s.name) });
    }
    if let Some(s) = &req.system {
        body["system"] = json!(s);
    }
    if let Some(t) = req.temperature.or(config.temperature) {
        body["temperature"] = json!(t);
    }
    body
}

/// A tool name as the API accepts it: `[a-zA-Z0-9_-]{1,64}`.
pub(crate) fn tool_name(name: &str) -> String {
    let n: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if n.is_empty() { "answer".into() } else { n }
}

/// Text and token counts of a message. A tool call's input is the answer,
/// as JSON text.
pub(crate) fn parse(v: &Value) -> Result<Answer, LlmError> {
    let Some(blocks) = v["content"].as_array() else {
        return Err(LlmError::Malformed(
            "the message has no content array".into(),
        ));
    };
    let usage = &v["usage"];
    let answer = |text: String| Answer {
        text,
        input_tokens: usage["input_tokens"].as_u64().unwrap_or(0),
        output_tokens: usage["output_tokens"].as_u64().unwrap_or(0),
        cut_off: v["stop_reason"].as_str().map(|r| r == "max_tokens"),
    };
    if let Some(input) = blocks
        .iter()
        .find(|b| b["type"] == "tool_use")
        .map(|b| &b["input"])
        .filter(|i| i.is_object())
    {
        return Ok(answer(input.to_string()));
    }
    // Only text blocks carry the answer (thinking blocks and others do not).
    let text: String = blocks
        .iter()
        .filter(|b| b["type"] == "text")
        .filter_map(|b| b["text"].as_str())
        .collect::<Vec<_>>()
        .join("");
    if text.is_empty() && v["stop_reason"] == "refusal" {
        return Err(LlmError::Malformed("the model refused to answer".into()));
    }
    Ok(answer(text))
}
