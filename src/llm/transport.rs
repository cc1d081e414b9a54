//! Sending a request: the HTTP client, retries with backoff, and a blocking
//! entry point.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::error::{body_message, excerpt};
use super::{ChatRequest, ChatResponse, LlmError, ProviderConfig, ProviderKind, anthropic, openai};

/// Longest `Retry-After` we wait for; a server asking for more is treated
/// as asking for this much, so a call never stalls for long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// A configured client for one provider. Cheap to clone; keep it inside the
/// async runtime that uses it (its connections belong to that runtime).
#[derive(Clone, Debug)]
pub struct Provider {
    config: ProviderConfig,
    client: reqwest::Client,
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
        Ok(Provider { config, client })
    }

    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// One chat turn, retried as the configuration allows.
    pub async fn chat(&self, req: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let cfg = &self.config;
        let key = cfg.resolve_key();
        let (url, headers, body) = match cfg.kind {
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
        let started = Instant::now();
        let (answer, attempts) = self.send_with_retries(&url, &headers, &body).await?;
        let (text, input_tokens, output_tokens) = match cfg.kind {
            ProviderKind::OpenAi => openai::parse(&answer)?,
            ProviderKind::Anthropic => anthropic::parse(&answer)?,
        };
        Ok(ChatResponse {
            text,
            input_tokens,
            output_tokens,
            elapsed_ms: started.elapsed().as_millis() as u64,
            attempts,
        })
    }

    /// The parsed JSON body of the first successful answer, and how many
    /// requests it took.
    async fn send_with_retries(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: &Value,
    ) -> Result<(Value, u32), LlmError> {
        let cfg = &self.config;
        let attempts_allowed = cfg.max_retries.saturating_add(1);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let last = attempt >= attempts_allowed;
            let tries = if attempt == 1 {
                String::new()
            } else {
                format!(" (gave up after {attempt} attempts)")
            };
            let mut request = self.client.post(url).json(body);
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            let failure = match request.send().await {
                Err(e) => transport_error(&e, url, cfg.timeout, &tries),
                Ok(response) => {
                    let status = response.status();
                    let retry_after = retry_after(response.headers());
                    let text = match response.text().await {
                        Ok(t) => t,
                        Err(e) => {
                            let err = transport_error(&e, url, cfg.timeout, &tries);
                            if last {
                                return Err(err);
                            }
                            tokio::time::sleep(backoff(cfg, attempt)).await;
                            continue;
                        }
                    };
                    if status.is_success() {
                        let v = serde_json::from_str(&text).map_err(|e| {
                            LlmError::Malformed(format!(
                                "{url} answered {status} with a body that is not JSON ({e}): {}",
                                excerpt(&text)
                            ))
                        })?;
                        return Ok((v, attempt));
                    }
                    let err = LlmError::Http {
                        status: status.as_u16(),
                        message: format!(
                            "POST {url} answered {status}: {}{tries}",
                            body_message(&text)
                        ),
                    };
                    if !retryable(status.as_u16()) {
                        return Err(err);
                    }
                    if !last {
                        let wait = retry_after
                            .map(|d| d.min(MAX_RETRY_AFTER))
                            .unwrap_or_else(|| backoff(cfg, attempt));
                        tracing::debug!(%status, ?wait, attempt, "model server asked to retry");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    err
                }
            };
            if last {
                return Err(failure);
            }
            tracing::debug!(error = %failure, attempt, "retrying the model request");
            tokio::time::sleep(backoff(cfg, attempt)).await;
        }
    }
}

/// Rate limits, server trouble and request timeouts are worth another try.
fn retryable(status: u16) -> bool {
    status == 429 || status == 408 || (500..=599).contains(&status)
}

/// `retry_base * 2^(attempt-1)`, at most `retry_cap`.
fn backoff(cfg: &ProviderConfig, attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
    cfg.retry_base.saturating_mul(factor).min(cfg.retry_cap)
}

/// `Retry-After` in seconds (the HTTP-date form is left to the backoff).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let secs: f64 = v.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
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
    fn backoff_doubles_up_to_the_cap() {
        let cfg = ProviderConfig::new(ProviderKind::OpenAi, "m");
        let waits: Vec<u128> = (1..=7).map(|a| backoff(&cfg, a).as_millis()).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(backoff(&cfg, u32::MAX), Duration::from_secs(8));
    }
}
