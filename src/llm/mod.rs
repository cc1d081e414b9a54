//! A small provider layer for chat models with vision: one request type, two
//! wire formats (OpenAI-compatible chat completions and Anthropic Messages),
//! retries with backoff, and typed errors. The critic's vision model uses it;
//! anything else that needs a model can too.
//!
//! [`Provider::chat`] is async; [`chat_blocking`] runs one request on its
//! own current-thread runtime for callers that are not async.

pub(crate) mod anthropic;
mod config;
mod error;
mod json;
pub(crate) mod openai;
mod schema;
mod transport;

pub use config::{MAX_RETRIES, ModelSettings, ProviderConfig, ProviderKind, normalise_base};
pub use error::LlmError;
pub use json::first_json_object;
pub use schema::{STRICT_KEYWORDS, make_strict, strict_schema_for, strict_violations};
pub use transport::{
    Provider, StreamObserver, StreamProgress, backoff, block_on, chat_blocking, retry_after,
};

use serde::Serialize;

/// One piece of the user's message.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    /// PNG bytes.
    Image(Vec<u8>),
}

/// A JSON schema the answer must satisfy.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonSchema {
    /// A short identifier (OpenAI requires one: letters, digits, `_`, `-`).
    pub name: String,
    pub schema: serde_json::Value,
    /// Sent as OpenAI's strict mode, which refuses keywords outside its
    /// subset; a schema that needs others (a local server's `maxItems`)
    /// goes without it.
    pub strict: bool,
}

impl JsonSchema {
    /// In debug builds, that a schema sent as strict keeps to strict mode's
    /// rules (the APIs refuse one that does not, with a 400).
    pub(crate) fn debug_check_strict(&self) {
        if self.strict {
            debug_assert_eq!(
                strict_violations(&self.schema),
                Vec::<String>::new(),
                "schema {:?} is not strict",
                self.name
            );
        }
    }
}

/// One turn: an optional system prompt and a user message of text and
/// images.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub system: Option<String>,
    pub parts: Vec<Part>,
    /// Ask for structured output. OpenAI-compatible servers get it as a
    /// strict `response_format`; Anthropic as the input schema of a tool it
    /// must call. Either way [`ChatResponse::json`] finds the object in the
    /// answer. The schema must pass [`strict_violations`].
    pub schema: Option<JsonSchema>,
    pub max_tokens: u32,
    /// When `None`, the configuration's; when neither is set, the server's
    /// default (some models accept no other).
    pub temperature: Option<f32>,
    /// A GBNF grammar the answer must follow, sent in the `grammar` field
    /// that llama.cpp-family servers understand (constrained decoding).
    /// Other servers ignore or refuse it; Anthropic never gets it.
    pub grammar: Option<String>,
    /// The caller's name for the step that asks (`plan`, `object ball`),
    /// sent as the [`STAGE_HEADER`] header so that logs and test servers
    /// can tell requests apart without reading the prompt. It is no part of
    /// the prompt, nor of a cache key.
    pub stage: Option<String>,
}

/// The HTTP header that carries [`ChatRequest::stage`].
pub const STAGE_HEADER: &str = "x-c2w-stage";

impl ChatRequest {
    pub fn new(parts: Vec<Part>) -> ChatRequest {
        ChatRequest {
            system: None,
            parts,
            schema: None,
            max_tokens: 1024,
            temperature: None,
            grammar: None,
            stage: None,
        }
    }
}

/// What the model answered and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatResponse {
    pub text: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Wall time of the whole call, retries included.
    pub elapsed_ms: u64,
    /// Requests sent, 1 when the first one succeeded.
    pub attempts: u32,
    /// Whether the server stopped the answer at `max_tokens` (OpenAI's
    /// `finish_reason: "length"`, Anthropic's `stop_reason: "max_tokens"`;
    /// `Some(false)` for any other reason it gave): a cut text should not
    /// be used as if whole. `None` when the server gave no reason.
    pub cut_off: Option<bool>,
}

/// One answer as read off the wire, before timing is added.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    pub text: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cut_off: Option<bool>,
}

impl ChatResponse {
    /// The first JSON object in the answer (models on servers without
    /// structured output often wrap it in prose or code fences).
    pub fn json(&self) -> Result<serde_json::Value, LlmError> {
        let found = first_json_object(&self.text).ok_or_else(|| {
            LlmError::Malformed(format!(
                "the model's answer holds no JSON object: {}",
                error::excerpt(&self.text)
            ))
        })?;
        serde_json::from_str(found)
            .map_err(|e| LlmError::Malformed(format!("the model's JSON does not parse: {e}")))
    }
}
