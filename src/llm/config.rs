//! Which model to call and how, usually from `C2W_<ROLE>_*` environment
//! variables.

use std::fmt;
use std::time::Duration;

use super::LlmError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// `POST {base}/chat/completions`: OpenAI and the many servers that copy
    /// it (llama.cpp, vLLM, Ollama, LM Studio, OpenRouter...).
    OpenAi,
    /// `POST {base}/v1/messages`.
    Anthropic,
}

impl ProviderKind {
    pub fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "https://api.openai.com/v1",
            ProviderKind::Anthropic => "https://api.anthropic.com",
        }
    }

    pub fn default_api_key_env(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "OPENAI_API_KEY",
            ProviderKind::Anthropic => "ANTHROPIC_API_KEY",
        }
    }
}

#[derive(Clone, PartialEq)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    /// Without a trailing slash. OpenAI-style bases include the version
    /// (`.../v1`); Anthropic's does not.
    pub base_url: String,
    pub model: String,
    /// The environment variable holding the key, read at each call so the
    /// key never sits in the configuration.
    pub api_key_env: Option<String>,
    /// A key given directly (tests, embedding); wins over `api_key_env`.
    pub api_key: Option<String>,
    /// Per attempt, connection and answer together.
    pub timeout: Duration,
    /// Further attempts after the first on 429, 5xx, timeouts and broken
    /// connections.
    pub max_retries: u32,
    /// First backoff delay; doubles each retry up to `retry_cap`.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// Sampling temperature for requests that set none, when the model
    /// should not use its default.
    pub temperature: Option<f32>,
}

// The key stays out of logs and error output.
impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key_env", &self.api_key_env)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_base", &self.retry_base)
            .field("retry_cap", &self.retry_cap)
            .field("temperature", &self.temperature)
            .finish()
    }
}

impl ProviderConfig {
    /// Defaults for `kind`: its public endpoint and key variable, 120 s per
    /// attempt, 3 retries backing off from 0.5 s to 8 s.
    pub fn new(kind: ProviderKind, model: impl Into<String>) -> ProviderConfig {
        ProviderConfig {
            kind,
            base_url: kind.default_base_url().into(),
            model: model.into(),
            api_key_env: Some(kind.default_api_key_env().into()),
            api_key: None,
            timeout: Duration::from_secs(120),
            max_retries: 3,
            retry_base: Duration::from_millis(500),
            retry_cap: Duration::from_secs(8),
            temperature: None,
        }
    }

    /// The configuration for `role` (e.g. "CRITIC") from the process
    /// environment; `Ok(None)` when neither a provider nor a model is set.
    pub fn from_env(role: &str) -> Result<Option<ProviderConfig>, LlmError> {
        ProviderConfig::from_vars(role, |name| std::env::var(name).ok())
    }

    /// [`ProviderConfig::from_env`] over any variable lookup.
    ///
    /// Reads `C2W_<ROLE>_PROVIDER` (openai | anthropic; when missing,
    /// inferred from the model name), `_MODEL`, `_BASE_URL`, `_API_KEY_ENV`,
    /// `_TIMEOUT_S`, `_MAX_RETRIES` and `_TEMPERATURE`.
    pub fn from_vars(
        role: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<ProviderConfig>, LlmError> {
        let role = role.to_ascii_uppercase();
        let name = |suffix: &str| format!("C2W_{role}_{suffix}");
        let get = |suffix: &str| {
            lookup(&name(suffix))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let provider = get("PROVIDER");
        let model = get("MODEL");
        let (provider, model) = match (provider, model) {
            (None, None) => return Ok(None),
            (Some(_), None) => {
                return Err(LlmError::Config(format!(
                    "{} is set but {} is not: name the model to use",
                    name("PROVIDER"),
                    name("MODEL")
                )));
            }
            (p, Some(m)) => (p, m),
        };
        let kind = match provider.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("openai") | Some("openai-compatible") => ProviderKind::OpenAi,
            Some("anthropic") => ProviderKind::Anthropic,
            Some(other) => {
                return Err(LlmError::Config(format!(
                    "{} = {other:?}: expected openai or anthropic",
                    name("PROVIDER")
                )));
            }
            None if model.starts_with("claude") => ProviderKind::Anthropic,
            None => ProviderKind::OpenAi,
        };
        let mut config = ProviderConfig::new(kind, model);
        if let Some(base) = get("BASE_URL") {
            config.base_url = normalise_base(kind, &base);
        }
        if let Some(var) = get("API_KEY_ENV") {
            config.api_key_env = Some(var);
        }
        if let Some(s) = get("TIMEOUT_S") {
            let secs: f64 = s
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v > 0.0 && *v <= 3600.0)
                .ok_or_else(|| {
                    LlmError::Config(format!(
                        "{} = {s:?}: expected seconds between 0 and 3600",
                        name("TIMEOUT_S")
                    ))
                })?;
            config.timeout = Duration::from_secs_f64(secs);
        }
        if let Some(s) = get("MAX_RETRIES") {
            config.max_retries = s.parse().ok().filter(|n| *n <= 20).ok_or_else(|| {
                LlmError::Config(format!(
                    "{} = {s:?}: expected a whole number up to 20",
                    name("MAX_RETRIES")
                ))
            })?;
        }
        if let Some(s) = get("TEMPERATURE") {
            let t: f32 = s
                .parse()
                .ok()
                .filter(|t: &f32| (0.0..=2.0).contains(t))
                .ok_or_else(|| {
                    LlmError::Config(format!(
                        "{} = {s:?}: expected a number from 0 to 2",
                        name("TEMPERATURE")
                    ))
                })?;
            config.temperature = Some(t);
        }
        Ok(Some(config))
    }

    /// The key, if one is configured and present.
    pub(crate) fn resolve_key(&self) -> Option<String> {
        self.api_key.clone().or_else(|| {
            self.api_key_env
                .as_deref()
                .and_then(|v| std::env::var(v).ok())
                .filter(|k| !k.trim().is_empty())
        })
    }
}

/// No trailing slash; Anthropic's base without the `/v1` we add ourselves.
pub fn normalise_base(kind: ProviderKind, base: &str) -> String {
    let base = base.trim_end_matches('/');
    match kind {
        ProviderKind::Anthropic => base.strip_suffix("/v1").unwrap_or(base).to_string(),
        ProviderKind::OpenAi => base.to_string(),
    }
}
