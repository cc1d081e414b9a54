//! OpenAI-compatible chat completions.

use base64::Engine;
use serde_json::{Value, json};

use super::{Answer, ChatRequest, LlmError, Part, ProviderConfig};

pub(crate) fn endpoint(config: &ProviderConfig) -> String {
    format!("{}/chat/completions", config.base_url)
}

pub(crate) fn headers(key: Option<&str>) -> Vec<(&'static str, String)> {
    key.map(|k| vec![("authorization", format!("Bearer {k}"))])
        .unwrap_or_default()
}

pub(crate) fn body(config: &ProviderConfig, req: &ChatRequest) -> Value {
    let content: Vec<Value> = req
        .parts
        .iter()
        .map(|p| match p {
            Part::Text(t) => json!({ "type": "text", "text": t }),
            Part::Image(png) => {
                let b64 = base64::engine::general_purpose::STANDARD.encode(png);
                json!({
                    "type": "image_url",
                    "image_url": { "url": format!("data:image/png;base64,{b64}") }
                })
            }
        })
        .collect();
    let mut messages = Vec::new();
    if let Some(s) = &req.system {
        messages.push(json!({ "role": "system", "content": s }));
    }
    messages.push(json!({ "role": "user", "content": content }));
    let mut body = json!({ "model": config.model, "messages": messages });
    // OpenAI's own API has renamed the limit (its newer models refuse the
    // old name); the servers that copy the API mostly know only the old one.
    let limit_key = if config.base_url.contains("api.openai.com") {
        "max_completion_tokens"
    } else {
        "max_tokens"
    };
    body[limit_key] = json!(req.max_tokens);
    if let Some(t) = req.temperature.or(config.temperature) {
        body["temperature"] = json!(t);
    }
    if let Some(s) = &req.schema {
        // Strict mode refuses (400) a schema that breaks its rules.
        s.debug_check_strict();
        body["response_format"] = json!({
            "type": "json_schema",
            "json_schema": { "name": s.name, "schema": s.schema, "strict": s.strict }
        });
    }
    if let Some(g) = &req.grammar {
        body["grammar"] = json!(g);
    }
    body
}

/// Text, token counts and whether the token limit cut it off.
pub(crate) fn parse(v: &Value) -> Result<Answer, LlmError> {
    let message = &v["choices"][0]["message"];
    if message.is_null() {
        return Err(LlmError::Malformed(
            "the completion has no choices[0].message".into(),
        ));
    }
    let text = match &message["content"] {
        Value::String(s) => s.clone(),
        // Some servers answer with content parts.
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => {
            return Err(LlmError::Malformed(match message["refusal"].as_str() {
                Some(r) => format!("the model refused: {r}"),
                None => "the completion's message has no text content".into(),
            }));
        }
    };
    let usage = &v["usage"];
    Ok(Answer {
        text,
        input_tokens: usage["prompt_tokens"].as_u64().unwrap_or(0),
        output_tokens: usage["completion_tokens"].as_u64().unwrap_or(0),
        cut_off: v["choices"][0]["finish_reason"]
            .as_str()
            .map(|r| r == "length"),
    })
}
