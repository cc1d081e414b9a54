//! Model calls as the agent makes them: through the response cache, into
//! the transcript, with tokens, time and cost counted per role.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::config::RoleModel;
use crate::llm::{ChatRequest, ChatResponse, LlmError, Part, Provider, ProviderKind};
use crate::util::fsx::write_json_atomic;
use sha2::{Digest, Sha256};

/// Where a call sits in the pipeline, for the transcript and progress.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CallSite {
    pub stage: String,
    /// Round of the run-and-repair loop, when in it.
    pub round: Option<u32>,
}

impl CallSite {
    pub fn stage(stage: impl Into<String>) -> CallSite {
        CallSite {
            stage: stage.into(),
            round: None,
        }
    }
}

/// Sums over calls, per role or in all.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Usage {
    pub calls: u32,
    pub cached: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Time spent waiting for models (cached calls cost none).
    pub model_ms: u64,
    /// Known only when prices are configured.
    pub cost_usd: Option<f64>,
}

impl Usage {
    fn add(&mut self, r: &ChatResponse, cached: bool, cost: Option<f64>) {
        self.calls += 1;
        self.cached += cached as u32;
        self.input_tokens += r.input_tokens;
        self.output_tokens += r.output_tokens;
        if !cached {
            self.model_ms += r.elapsed_ms;
        }
        if let Some(c) = cost {
            self.cost_usd = Some(self.cost_usd.unwrap_or(0.0) + c);
        }
    }

    pub fn merge(&mut self, o: &Usage) {
        self.calls += o.calls;
        self.cached += o.cached;
        self.input_tokens += o.input_tokens;
        self.output_tokens += o.output_tokens;
        self.model_ms += o.model_ms;
        if let Some(c) = o.cost_usd {
            self.cost_usd = Some(self.cost_usd.unwrap_or(0.0) + c);
        }
    }
}

/// What a cache file holds: the request it answers (images as their
/// SHA-256), checked on read, so a different request never replays it.
#[derive(Serialize, Deserialize)]
struct CachedAnswer {
    request: Value,
    text: String,
    input_tokens: u64,
    output_tokens: u64,
    #[serde(default)]
    cut_off: Option<bool>,
}

/// Told as a streamed answer grows (`Some`), and when it is done (`None`).
pub struct LiveLine(Box<dyn Fn(Option<crate::llm::StreamProgress>) + Send + Sync>);

impl LiveLine {
    pub fn new(f: impl Fn(Option<crate::llm::StreamProgress>) + Send + Sync + 'static) -> LiveLine {
        LiveLine(Box::new(f))
    }
}

/// One role's model behind the cache and the transcript.
pub struct ModelClient {
    role: &'static str,
    model: RoleModel,
    provider: Provider,
    runtime: tokio::runtime::Runtime,
    cache_dir: Option<PathBuf>,
    transcript: Option<Transcript>,
    usage: Mutex<Usage>,
    /// When set, answers are streamed and shown as they come.
    live: Option<LiveLine>,
}

impl ModelClient {
    pub fn new(
        role: &'static str,
        model: RoleModel,
        cache_dir: Option<PathBuf>,
        transcript: Option<Transcript>,
    ) -> Result<ModelClient, LlmError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| LlmError::Config(format!("cannot start the async runtime: {e}")))?;
        let provider = Provider::new(model.config.clone())?;
        Ok(ModelClient {
            role,
            model,
            provider,
            runtime,
            cache_dir,
            transcript,
            usage: Mutex::new(Usage::default()),
            live: None,
        })
    }

    /// Streams answers, telling `live` as they grow.
    pub fn set_live_line(&mut self, live: LiveLine) {
        self.live = Some(live);
    }

    pub fn role(&self) -> &'static str {
        self.role
    }

    pub fn model_name(&self) -> &str {
        &self.model.config.model
    }

    pub fn kind(&self) -> ProviderKind {
        self.model.config.kind
    }

    pub fn usage(&self) -> Usage {
        self.usage.lock().map(|u| u.clone()).unwrap_or_default()
    }

    /// One call: replayed from the cache when the same request was answered
    /// before, else sent; either way written to the transcript.
    pub fn chat(&self, site: &CallSite, req: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let staged;
        let req = if req.stage.is_none() {
            staged = ChatRequest {
                stage: Some(site.stage.clone()),
                ..req.clone()
            };
            &staged
        } else {
            req
        };
        let canonical = self.canonical(req);
        let cache_path = self
            .cache_dir
            .as_ref()
            .map(|d| d.join(cache_key(&canonical)));
        if let Some(p) = &cache_path
            && let Some(hit) = read_cached(p, &canonical)
        {
            let response = ChatResponse {
                text: hit.text,
                input_tokens: hit.input_tokens,
                output_tokens: hit.output_tokens,
                elapsed_ms: 0,
                attempts: 0,
                cut_off: hit.cut_off,
            };
            self.record(site, req, Ok(&response), true);
            return Ok(response);
        }
        let started = Instant::now();
        let result = match &self.live {
            Some(live) => {
                let observe = |p| (live.0)(Some(p));
                let r = self
                    .runtime
                    .block_on(self.provider.chat_streaming(req, &observe));
                (live.0)(None);
                r
            }
            None => self.runtime.block_on(self.provider.chat(req)),
        };
        match &result {
            Ok(r) => {
                if let Some(p) = &cache_path {
                    let stored = CachedAnswer {
                        request: canonical,
                        text: r.text.clone(),
                        input_tokens: r.input_tokens,
                        output_tokens: r.output_tokens,
                        cut_off: r.cut_off,
                    };
                    // A cache that cannot be written only costs a rerun.
                    if let Err(e) = write_json_atomic(p, &stored) {
                        tracing::warn!("cannot write the response cache {}: {e}", p.display());
                    }
                }
                self.record(site, req, Ok(r), false);
            }
            Err(e) => {
                let failed = ChatResponse {
                    text: String::new(),
                    input_tokens: 0,
                    output_tokens: 0,
                    elapsed_ms: started.elapsed().as_millis() as u64,
                    attempts: 0,
                    cut_off: None,
                };
                self.record(site, req, Err((&failed, e)), false);
            }
        }
        result
    }

    fn cost(&self, r: &ChatResponse) -> Option<f64> {
        let pin = self.model.price_input_per_mtok?;
        let pout = self.model.price_output_per_mtok.unwrap_or(pin);
        Some((r.input_tokens as f64 * pin + r.output_tokens as f64 * pout) / 1e6)
    }

    fn record(
        &self,
        site: &CallSite,
        req: &ChatRequest,
        outcome: Result<&ChatResponse, (&ChatResponse, &LlmError)>,
        cached: bool,
    ) {
        let (response, error) = match outcome {
            Ok(r) => (r, None),
            Err((r, e)) => (r, Some(e.to_string())),
        };
        let cost = if cached || error.is_some() {
            None
        } else {
            self.cost(response)
        };
        if error.is_none()
            && let Ok(mut u) = self.usage.lock()
        {
            u.add(response, cached, cost);
        }
        if let Some(t) = &self.transcript {
            t.append(&json!({
                "stage": site.stage,
                "round": site.round,
                "role": self.role,
                "provider": match self.model.config.kind {
                    ProviderKind::OpenAi => "openai",
                    ProviderKind::Anthropic => "anthropic",
                },
                "model": self.model.config.model,
                "cached": cached,
                "request": describe_request(req),
                "response": response.text,
                "error": error,
                "input_tokens": response.input_tokens,
                "output_tokens": response.output_tokens,
                "elapsed_ms": response.elapsed_ms,
                "attempts": response.attempts,
                "cut_off": response.cut_off,
                "cost_usd": cost,
            }));
        }
    }

    /// Everything that decides the answer, images (and the grammar) reduced
    /// to their SHA-256.
    fn canonical(&self, req: &ChatRequest) -> Value {
        let c = &self.model.config;
        json!({
            "kind": format!("{:?}", c.kind),
            "base_url": c.base_url,
            "model": c.model,
            "system": req.system,
            "parts": req.parts.iter().map(part_json).collect::<Vec<_>>(),
            "schema": req.schema.as_ref().map(|s| json!({ "name": s.name, "schema": s.schema })),
            "max_tokens": req.max_tokens,
            "temperature": req.temperature.or(c.temperature),
            "grammar": req.grammar.as_deref().map(hash_hex),
        })
    }
}

fn part_json(p: &Part) -> Value {
    match p {
        Part::Text(t) => json!({ "text": t }),
        Part::Image(png) => json!({ "image_sha256": hash_hex(png), "bytes": png.len() }),
    }
}

fn describe_request(req: &ChatRequest) -> Value {
    json!({
        "system": req.system,
        "parts": req.parts.iter().map(part_json).collect::<Vec<_>>(),
        "schema": req.schema.as_ref().map(|s| s.name.clone()),
        "grammar": req.grammar.is_some(),
        "max_tokens": req.max_tokens,
        "temperature": req.temperature,
    })
}

fn hash_hex(data: impl AsRef<[u8]>) -> String {
    Sha256::digest(data.as_ref())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The cache file of a request: the SHA-256 of its canonical form, which
/// holds every text in full and every image as its own SHA-256.
fn cache_key(canonical: &Value) -> String {
    format!("{}.json", hash_hex(canonical.to_string()))
}

fn read_cached(path: &Path, canonical: &Value) -> Option<CachedAnswer> {
    let text = std::fs::read_to_string(path).ok()?;
    let hit: CachedAnswer = serde_json::from_str(&text).ok()?;
    (hit.request == *canonical).then_some(hit)
}

/// `transcript.jsonl`: one JSON object a line, appended as calls finish, so
/// an interrupted run keeps every call it paid for.
#[derive(Clone)]
pub struct Transcript {
    path: PathBuf,
    file: std::sync::Arc<Mutex<std::fs::File>>,
}

impl Transcript {
    pub fn open(path: &Path) -> std::io::Result<Transcript> {
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Transcript {
            path: path.to_path_buf(),
            file: std::sync::Arc::new(Mutex::new(file)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn append(&self, entry: &Value) {
        let mut line = entry.to_string();
        line.push('\n');
        if let Ok(mut f) = self.file.lock() {
            // One write per line keeps lines whole; a lost line is logged,
            // not fatal to the run.
            if let Err(e) = f.write_all(line.as_bytes()).and_then(|_| f.flush()) {
                tracing::warn!("cannot append to {}: {e}", self.path.display());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_keys_are_sha256_of_the_whole_request_images_included() {
        let a = json!({ "model": "m", "parts": [{ "text": "hi" }] });
        let b = json!({ "model": "m", "parts": [{ "text": "hj" }] });
        assert_ne!(cache_key(&a), cache_key(&b));
        assert_eq!(cache_key(&a), cache_key(&a.clone()));
        assert_eq!(cache_key(&a).len(), 64 + ".json".len());
        // The known digest of the empty string: this is SHA-256.
        assert_eq!(
            hash_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // Images of one length differing in one byte give different keys.
        let one = part_json(&Part::Image(vec![1, 2, 3]));
        let other = part_json(&Part::Image(vec![1, 2, 4]));
        assert_eq!(one["bytes"], 3);
        assert_ne!(one, other);
        assert_ne!(
            cache_key(&json!({ "parts": [one] })),
            cache_key(&json!({ "parts": [other] }))
        );
    }
}
