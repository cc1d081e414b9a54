//! Sending a request: the HTTP client, retries with jittered backoff, the
//! streamed answer for a live progress line, and a blocking entry point.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use super::error::{body_message, excerpt};
use super::{
    Answer, ChatRequest, ChatResponse, LlmError, ProviderConfig, ProviderKind, anthropic, openai,
};
use crate::util::rng::{Rng, mix64};

/// Longest `Retry-After` we wait for; a server asking for more is treated
/// as asking for this much, so a call never stalls for long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How far a streamed answer has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamProgress {
    /// Tokens received so far (pieces of text as the server sends them,
    /// or its own count when it gives one).
    pub tokens: u64,
    /// Since the request was first sent, retries included.
    pub elapsed: Duration,
}

/// Told each time a streamed answer grows.
pub type StreamObserver<'a> = &'a (dyn Fn(StreamProgress) + Send + Sync);

/// A configured client for one provider. Cheap to clone; keep it inside the
/// async runtime that uses it (its connections belong to that runtime).
#[derive(Clone, Debug)]
pub struct Provider {
    config: ProviderConfig,
    client: reqwest::Client,
    /// Draws the backoff jitter; seeded per client so that many clients
    /// retrying one server spread out.
    jitter: Arc<Mutex<Rng>>,
}

/// What one attempt came to.
enum Attempt {
    Done(Answer),
    /// Worth another try, after the server's `Retry-After` if it gave one.
    Retry(LlmError, Option<Duration>),
    Fail(LlmError),
}

impl Provider {
    pub fn new(config: ProviderConfig) -> Result<Provider, LlmError> {
        if config.model.trim().is_empty() {
            return Err(LlmError::Config("no model named".into()));
        }
        if !(config.base_url.starts_with("http://") || config.base_url.starts_with("https://")) {
            return Err(LlmError::Config(format!(
                "base URL {:?} must start with http:// or https://",
                config.base_url
            )));
        }
        // reqwest is built without a bundled crypto provider; ring is ours.
        // Installing twice is harmless (the second attempt reports an error).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(|e| LlmError::Config(format!("cannot build the HTTP client: {e}")))?;
        // Jitter is about spreading clients apart, not reproducing runs: the
        // clock is a fine seed (worlds never see it).
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let seed = mix64(nanos ^ ((std::process::id() as u64) << 32));
        Ok(Provider {
            config,
            client,
            jitter: Arc::new(Mutex::new(Rng::new(seed))),
        })
    }

    /// The same client with its jitter drawn from `seed` (for tests).
    pub fn with_jitter_seed(mut self, seed: u64) -> Provider {
        self.jitter = Arc::new(Mutex::new(Rng::new(seed)));
        self
    }

    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// One chat turn, retried as the configuration allows.
    pub async fn chat(&self, req: &ChatRequest) -> Result<ChatResponse, LlmError> {
        self.chat_inner(req, None).await
    }

    /// [`Provider::chat`], asking for the answer as a stream and telling
    /// `observer` as it grows. A server that does not stream answers in one
    /// piece, which works the same.
    pub async fn chat_streaming(
        &self,
        req: &ChatRequest,
        observer: StreamObserver<'_>,
    ) -> Result<ChatResponse, LlmError> {
        self.chat_inner(req, Some(observer)).await
    }

    async fn chat_inner(
        &self,
        req: &ChatRequest,
        observer: Option<StreamObserver<'_>>,
    ) -> Result<ChatResponse, LlmError> {
        let cfg = &self.config;
        let key = cfg.resolve_key();
        let (url, mut headers, mut body) = match cfg.kind {
            ProviderKind::OpenAi => (
                openai::endpoint(cfg),
                openai::headers(key.as_deref()),
                openai::body(cfg, req),
            ),
            ProviderKind::Anthropic => {
                let Some(key) = key else {
                    return Err(LlmError::Config(format!(
                        "no Anthropic API key: set {}",
                        cfg.api_key_env.as_deref().unwrap_or("ANTHROPIC_API_KEY")
                    )));
                };
                (
                    anthropic::endpoint(cfg),
                    anthropic::headers(&key),
                    anthropic::body(cfg, req),
                )
            }
        };
        if let Some(stage) = &req.stage {
            // Header values must be visible ASCII; a stage names an object
            // the model chose, so anything else is replaced.
            let value: String = stage
                .chars()
                .map(|c| {
                    if c == ' ' || c.is_ascii_graphic() {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            headers.push((super::STAGE_HEADER, value));
        }
        if observer.is_some() {
            body["stream"] = json!(true);
            if cfg.kind == ProviderKind::OpenAi {
                body["stream_options"] = json!({ "include_usage": true });
            }
        }
        let started = Instant::now();
        let attempts_allowed = cfg.max_retries.saturating_add(1);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let tries = if attempt == 1 {
                String::new()
            } else {
                format!(" (gave up after {attempt} attempts)")
            };
            let outcome = self
                .attempt(&url, &headers, &body, &tries, observer, started)
                .await;
            let (error, retry_after) = match outcome {
                Attempt::Done(a) => {
                    return Ok(ChatResponse {
                        text: a.text,
                        input_tokens: a.input_tokens,
                        output_tokens: a.output_tokens,
                        elapsed_ms: started.elapsed().as_millis() as u64,
                        attempts: attempt,
                        cut_off: a.cut_off,
                    });
                }
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry(e, after) => (e, after),
            };
            if attempt >= attempts_allowed {
                return Err(error);
            }
            let wait = match retry_after {
                Some(d) => d.min(MAX_RETRY_AFTER),
                None => {
                    let unit = self.jitter.lock().map(|mut r| r.next_f64()).unwrap_or(0.5);
                    backoff(cfg, attempt, unit)
                }
            };
            tracing::debug!(error = %error, ?wait, attempt, "retrying the model request");
            tokio::time::sleep(wait).await;
        }
    }

    /// Sends once and reads the answer.
    async fn attempt(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: &Value,
        tries: &str,
        observer: Option<StreamObserver<'_>>,
        started: Instant,
    ) -> Attempt {
        let cfg = &self.config;
        let mut request = self.client.post(url).json(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Attempt::Retry(transport_error(&e, url, cfg.timeout, tries), None),
        };
        let status = response.status();
        if !status.is_success() {
            let after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, SystemTime::now()));
            let text = response.text().await.unwrap_or_default();
            let err = LlmError::Http {
                status: status.as_u16(),
                message: format!(
                    "POST {url} answered {status}: {}{tries}",
                    body_message(&text)
                ),
            };
            return if retryable(status.as_u16()) {
                tracing::debug!(%status, ?after, "model server asked to retry");
                Attempt::Retry(err, after)
            } else {
                Attempt::Fail(err)
            };
        }
        let streamed = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/event-stream"));
        if streamed {
            let mut stream = StreamedAnswer::new(cfg.kind);
            loop {
                match response.chunk().await {
                    Ok(Some(bytes)) => {
                        if let Err(e) = stream.push(&bytes) {
                            return Attempt::Fail(e);
                        }
                        if let Some(o) = observer {
                            o(StreamProgress {
                                tokens: stream.tokens(),
                                elapsed: started.elapsed(),
                            });
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        return Attempt::Retry(transport_error(&e, url, cfg.timeout, tries), None);
                    }
                }
            }
            return match stream.finish() {
                Ok(answer) => Attempt::Done(answer),
                Err(e) => Attempt::Fail(e),
            };
        }
        let text = match response.text().await {
            Ok(t) => t,
            Err(e) => return Attempt::Retry(transport_error(&e, url, cfg.timeout, tries), None),
        };
        let v: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                return Attempt::Fail(LlmError::Malformed(format!(
                    "{url} answered {status} with a body that is not JSON ({e}): {}",
                    excerpt(&text)
                )));
            }
        };
        let parsed = match cfg.kind {
            ProviderKind::OpenAi => openai::parse(&v),
            ProviderKind::Anthropic => anthropic::parse(&v),
        };
        match parsed {
            Ok(answer) => Attempt::Done(answer),
            Err(e) => Attempt::Fail(e),
        }
    }
}

/// Rate limits, server trouble and request timeouts are worth another try.
fn retryable(status: u16) -> bool {
    status == 429 || status == 408 || (500..=599).contains(&status)
}

/// The wait before retry `attempt` (1 for the first retry): an exponential
/// step `retry_base * 2^(attempt-1)`, at most `retry_cap`, of which a
/// random part is taken ("equal jitter": half the step, plus `unit` (0..1)
/// times the other half), so clients that failed together do not retry
/// together.
pub fn backoff(cfg: &ProviderConfig, attempt: u32, unit: f64) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
    let step = cfg.retry_base.saturating_mul(factor).min(cfg.retry_cap);
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.5
    };
    step.mul_f64(0.5 + 0.5 * unit)
}

/// A `Retry-After` value as a wait from `now`: whole seconds, or an HTTP
/// date (a date already past means now). At most an hour.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => Duration::from_secs_f64(secs.min(3600.0)),
        Ok(_) => return None,
        Err(_) => {
            let at = httpdate::parse_http_date(value).ok()?;
            at.duration_since(now).unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(Duration::from_secs(3600)))
}

/// An answer arriving as server-sent events, in either provider's format.
pub(crate) struct StreamedAnswer {
    kind: ProviderKind,
    /// Bytes of an event not yet complete.
    pending: Vec<u8>,
    text: String,
    /// Anthropic tool input, sent as pieces of JSON text.
    tool_json: String,
    pieces: u64,
    input_tokens: u64,
    output_tokens: u64,
    cut_off: Option<bool>,
}

impl StreamedAnswer {
    pub(crate) fn new(kind: ProviderKind) -> StreamedAnswer {
        StreamedAnswer {
            kind,
            pending: Vec::new(),
            text: String::new(),
            tool_json: String::new(),
            pieces: 0,
            input_tokens: 0,
            output_tokens: 0,
            cut_off: None,
        }
    }

    pub(crate) fn tokens(&self) -> u64 {
        self.pieces.max(self.output_tokens)
    }

    /// Takes in a chunk of the body, reading every event it completes.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Result<(), LlmError> {
        self.pending.extend_from_slice(bytes);
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\r', '\n']);
            if let Some(data) = line.strip_prefix("data:") {
                self.event(data.trim_start())?;
            }
        }
        Ok(())
    }

    fn event(&mut self, data: &str) -> Result<(), LlmError> {
        if data == "[DONE]" || data.is_empty() {
            return Ok(());
        }
        let v: Value = serde_json::from_str(data).map_err(|e| {
            LlmError::Malformed(format!(
                "a streamed event is not JSON ({e}): {}",
                excerpt(data)
            ))
        })?;
        if !v["error"].is_null() {
            return Err(LlmError::Malformed(format!(
                "the model server reported an error mid-answer: {}",
                body_message(data)
            )));
        }
        match self.kind {
            ProviderKind::OpenAi => {
                if let Some(piece) = v["choices"][0]["delta"]["content"].as_str()
                    && !piece.is_empty()
                {
                    self.text.push_str(piece);
                    self.pieces += 1;
                }
                if let Some(r) = v["choices"][0]["finish_reason"].as_str() {
                    self.cut_off = Some(r == "length");
                }
                let usage = &v["usage"];
                if let Some(n) = usage["prompt_tokens"].as_u64() {
                    self.input_tokens = n;
                }
                if let Some(n) = usage["completion_tokens"].as_u64() {
                    self.output_tokens = n;
                }
            }
            ProviderKind::Anthropic => match v["type"].as_str() {
                Some("message_start") => {
                    let usage = &v["message"]["usage"];
                    self.input_tokens = usage["input_tokens"].as_u64().unwrap_or(0);
                }
                Some("content_block_delta") => {
                    let delta = &v["delta"];
                    let piece = match delta["type"].as_str() {
                        Some("text_delta") => delta["text"].as_str().map(|t| (t, false)),
                        Some("input_json_delta") => {
                            delta["partial_json"].as_str().map(|t| (t, true))
                        }
                        _ => None,
                    };
                    if let Some((piece, tool)) = piece {
                        if tool {
                            self.tool_json.push_str(piece);
                        } else {
                            self.text.push_str(piece);
                        }
                        self.pieces += 1;
                    }
                }
                Some("message_delta") => {
                    if let Some(r) = v["delta"]["stop_reason"].as_str() {
                        self.cut_off = Some(r == "max_tokens");
                    }
                    if let Some(n) = v["usage"]["output_tokens"].as_u64() {
                        self.output_tokens = n;
                    }
                }
                _ => {}
            },
        }
        Ok(())
    }

    /// The whole answer: text (or the tool's input), tokens, and whether
    /// the token limit cut it off.
    pub(crate) fn finish(mut self) -> Result<Answer, LlmError> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.push(&rest)?;
            self.push(b"\n")?;
        }
        let text = if self.tool_json.is_empty() {
            self.text
        } else {
            self.tool_json
        };
        if text.is_empty() {
            return Err(LlmError::Malformed(
                "the streamed answer held no text".into(),
            ));
        }
        Ok(Answer {
            text,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cut_off: self.cut_off,
        })
    }
}

fn transport_error(e: &reqwest::Error, url: &str, timeout: Duration, tries: &str) -> LlmError {
    if e.is_timeout() {
        LlmError::Timeout(format!(
            "POST {url}: no answer within {:.1} s{tries}",
            timeout.as_secs_f64()
        ))
    } else {
        // Connect failures and connections broken mid-answer alike.
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            detail.push_str(": ");
            detail.push_str(&s.to_string());
            source = s.source();
        }
        LlmError::Connect(format!("POST {url}: {detail}{tries}"))
    }
}

/// Runs `fut` to completion on a fresh current-thread runtime. Called from
/// inside a runtime (where blocking on another would panic), it runs on a
/// separate thread instead.
pub fn block_on<T, F>(fut: F) -> Result<T, LlmError>
where
    F: Future<Output = Result<T, LlmError>> + Send,
    T: Send,
{
    let run = move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| LlmError::Config(format!("cannot start an async runtime: {e}")))?
            .block_on(fut)
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| {
            s.spawn(run)
                .join()
                .unwrap_or_else(|_| Err(LlmError::Config("the request thread panicked".into())))
        })
    } else {
        run()
    }
}

/// One chat turn for callers that are not async.
pub fn chat_blocking(config: &ProviderConfig, req: &ChatRequest) -> Result<ChatResponse, LlmError> {
    let provider = Provider::new(config.clone())?;
    block_on(async move { provider.chat(req).await })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_inside_each_step() {
        let cfg = ProviderConfig::new(ProviderKind::OpenAi, "m");
        let ms = |a, u| backoff(&cfg, a, u).as_millis();
        // The top of each step doubles to the cap...
        let tops: Vec<u128> = (1..=7).map(|a| ms(a, 1.0)).collect();
        assert_eq!(tops, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
        // ...and the jitter spans its upper half.
        let bottoms: Vec<u128> = (1..=5).map(|a| ms(a, 0.0)).collect();
        assert_eq!(bottoms, [250, 500, 1000, 2000, 4000]);
        assert_eq!(ms(2, 0.5), 750);
        assert_eq!(backoff(&cfg, u32::MAX, 1.0), Duration::from_secs(8));
        assert_eq!(ms(1, f64::NAN), 375);
        // Drawn waits differ between attempts yet stay in range.
        let provider = Provider::new(cfg.clone()).unwrap().with_jitter_seed(7);
        let draws: Vec<Duration> = (0..20)
            .map(|_| {
                let u = provider.jitter.lock().unwrap().next_f64();
                backoff(&cfg, 3, u)
            })
            .collect();
        assert!(draws.iter().all(|d| (1000..=2000).contains(&d.as_millis())));
        assert!(draws.windows(2).any(|w| w[0] != w[1]), "{draws:?}");
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(" 1.5 ", now), Some(Duration::from_millis(1500)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        // A date already past means retry now.
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("-1", now), None);
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("999999", now), Some(Duration::from_secs(3600)));
    }

    #[test]
    fn a_completion_stopped_at_the_token_limit_is_marked_cut_off() {
        let openai_answer = |finish: &str| {
            json!({
                "choices": [{ "message": { "content": "fn a() {" }, "finish_reason": finish }],
                "usage": { "prompt_tokens": 3, "completion_tokens": 4 }
            })
        };
        assert_eq!(
            openai::parse(&openai_answer("length")).unwrap().cut_off,
            Some(true)
        );
        assert_eq!(
            openai::parse(&openai_answer("stop")).unwrap().cut_off,
            Some(false)
        );
        let unsaid = json!({ "choices": [{ "message": { "content": "x" } }] });
        assert_eq!(openai::parse(&unsaid).unwrap().cut_off, None);
        let anthropic_answer = |stop: &str| json!({ "content": [{ "type": "text", "text": "fn a() {" }], "stop_reason": stop, "usage": {} });
        let cut = |stop: &str| anthropic::parse(&anthropic_answer(stop)).unwrap().cut_off;
        assert_eq!(cut("max_tokens"), Some(true));
        assert_eq!(cut("end_turn"), Some(false));
    }

    #[test]
    fn streamed_answers_are_assembled_across_chunk_boundaries() {
        let openai_events = concat!(
            "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\r\n\r\n",
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}}\n\n",
            "data: [DONE]\n\n"
        );
        // Split at every possible place: the result does not change.
        for cut in 0..openai_events.len() {
            let mut s = StreamedAnswer::new(ProviderKind::OpenAi);
            s.push(&openai_events.as_bytes()[..cut]).unwrap();
            s.push(&openai_events.as_bytes()[cut..]).unwrap();
            assert_eq!(s.tokens(), 3);
            let a = s.finish().unwrap();
            assert_eq!(
                (a.text.as_str(), a.input_tokens, a.output_tokens),
                ("Hello", 9, 3)
            );
            assert_eq!(a.cut_off, None, "no finish reason was sent");
        }
        let anthropic_events = concat!(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":12}}}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"content_block\":{\"type\":\"tool_use\"}}\n\n",
            "data: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":\"}}\n\n",
            "data: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"1}\"}}\n\n",
            "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\"},\"usage\":{\"output_tokens\":5}}\n\n"
        );
        let mut s = StreamedAnswer::new(ProviderKind::Anthropic);
        s.push(anthropic_events.as_bytes()).unwrap();
        assert_eq!(s.tokens(), 5);
        let a = s.finish().unwrap();
        assert_eq!(
            (a.text.as_str(), a.input_tokens, a.output_tokens),
            ("{\"a\":1}", 12, 5)
        );
        assert_eq!(
            a.cut_off,
            Some(true),
            "stop_reason max_tokens marks it cut off"
        );
        // OpenAI's last content chunk carries finish_reason "length".
        let mut s = StreamedAnswer::new(ProviderKind::OpenAi);
        s.push(b"data: {\"choices\":[{\"delta\":{\"content\":\"let a = [1,\"},\"finish_reason\":\"length\"}]}\n\n")
            .unwrap();
        assert_eq!(s.finish().unwrap().cut_off, Some(true));
        let mut s = StreamedAnswer::new(ProviderKind::OpenAi);
        assert!(
            s.push(b"data: {\"error\":{\"message\":\"overloaded\"}}\n")
                .is_err()
        );
        assert!(StreamedAnswer::new(ProviderKind::OpenAi).finish().is_err());
    }
}
