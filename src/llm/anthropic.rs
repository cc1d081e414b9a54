//! Anthropic Messages.

use base64::Engine;
use serde_json::{Value, json};

use super::{ChatRequest, LlmError, Part, ProviderConfig};

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
    let mut content: Vec<Value> = req
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
    // The schema goes in the prompt; the answer's first JSON object is read.
    if let Some(s) = &req.schema {
        content.push(json!({
            "type": "text",
            "text": format!(
                "Answer with exactly one JSON object and nothing else. It must satisfy this JSON schema:\n{}",
                s.schema
            )
        }));
    }
    let mut body = json!({
        "model": config.model,
        "max_tokens": req.max_tokens,
        "messages": [{ "role": "user", "content": content }]
    });
    if let Some(s) = &req.system {
        body["system"] = json!(s);
    }
    if let Some(t) = req.temperature.or(config.temperature) {
        body["temperature"] = json!(t);
    }
    body
}

/// Text and token counts of a message.
pub(crate) fn parse(v: &Value) -> Result<(String, u64, u64), LlmError> {
    let Some(blocks) = v["content"].as_array() else {
        return Err(LlmError::Malformed(
            "the message has no content array".into(),
        ));
    };
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
    let usage = &v["usage"];
    Ok((
        text,
        usage["input_tokens"].as_u64().unwrap_or(0),
        usage["output_tokens"].as_u64().unwrap_or(0),
    ))
}
