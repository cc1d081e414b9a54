//! One real structured-output call per hosted provider whose key is in the
//! environment: the planner's strict brief schema, as `c2w generate` sends
//! it. Not part of CI (it needs keys and the network, and costs a few
//! cents); run it before a release:
//!
//!     OPENAI_API_KEY=... ANTHROPIC_API_KEY=... cargo bench --bench hosted
//!
//! C2W_BENCH_OPENAI_MODEL and C2W_BENCH_ANTHROPIC_MODEL choose the models
//! (default gpt-4.1-mini and claude-sonnet-4-5). A provider without a key is
//! skipped and says so.

use std::time::Duration;

use code2worlds::brief::Brief;
use code2worlds::llm::{
    ChatRequest, JsonSchema, Part, ProviderConfig, ProviderKind, chat_blocking,
};

fn one_call(kind: ProviderKind, key_var: &str, model_var: &str, default_model: &str) {
    let name = format!("{kind:?}");
    if std::env::var(key_var).map_or(true, |k| k.trim().is_empty()) {
        println!("{name}: skipped ({key_var} is not set)");
        return;
    }
    let model = std::env::var(model_var).unwrap_or_else(|_| default_model.to_string());
    let mut config = ProviderConfig::new(kind, model.clone());
    config.timeout = Duration::from_secs(120);
    let mut req = ChatRequest::new(vec![Part::Text(
        "Plan the scene as JSON: a red ball rolls across a wooden floor.".into(),
    )]);
    req.schema = Some(JsonSchema {
        name: "scene_brief".into(),
        schema: Brief::schema(),
        strict: true,
    });
    req.max_tokens = 900;
    match chat_blocking(&config, &req) {
        Ok(answer) => {
            let brief = answer
                .json()
                .map_err(|e| e.to_string())
                .and_then(|v| serde_json::from_value::<Brief>(v).map_err(|e| e.to_string()));
            match brief {
                Ok(b) => println!(
                    "{name} {model}: ok in {} ms, {} attempts, {} + {} tokens; {} objects, {} dynamics",
                    answer.elapsed_ms,
                    answer.attempts,
                    answer.input_tokens,
                    answer.output_tokens,
                    b.objects.len(),
                    b.dynamics.len()
                ),
                Err(e) => println!("{name} {model}: answered, but not a brief: {e}"),
            }
        }
        Err(e) => println!("{name} {model}: FAILED: {e}"),
    }
}

fn main() {
    one_call(
        ProviderKind::OpenAi,
        "OPENAI_API_KEY",
        "C2W_BENCH_OPENAI_MODEL",
        "gpt-4.1-mini",
    );
    one_call(
        ProviderKind::Anthropic,
        "ANTHROPIC_API_KEY",
        "C2W_BENCH_ANTHROPIC_MODEL",
        "claude-sonnet-4-5",
    );
}
