//! Which model to call and how, usually from `C2W_<ROLE>_*` environment
//! variables.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::Deserialize;

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
    /// environment alone; `Ok(None)` when neither a provider nor a model is
    /// set. Commands read `c2w.toml` too, through
    /// `crate::config`; both go through [`ModelSettings::resolve`].
    pub fn from_env(role: &str) -> Result<Option<ProviderConfig>, LlmError> {
        ProviderConfig::from_vars(role, |name| std::env::var(name).ok())
    }

    /// [`ProviderConfig::from_env`] over any variable lookup: reads
    /// `C2W_<ROLE>_PROVIDER` (openai | anthropic; when missing, inferred
    /// from the model name), `_MODEL`, `_BASE_URL`, `_API_KEY_ENV`,
    /// `_TIMEOUT_S`, `_MAX_RETRIES` and `_TEMPERATURE`.
    pub fn from_vars(
        role: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<ProviderConfig>, LlmError> {
        let prefix = format!("{}_", role.to_ascii_uppercase());
        ModelSettings::from_vars(&prefix, &lookup)
            .and_then(|s| s.resolve(&role.to_ascii_lowercase()))
            .map_err(LlmError::Config)
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

/// How to reach one model, as a configuration layer gives it (`c2w.toml`,
/// the environment, flags); every field optional so layers can merge, and
/// [`ModelSettings::resolve`] the one place values are checked.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelSettings {
    /// openai (any OpenAI-compatible server) or anthropic.
    pub provider: Option<String>,
    pub model: Option<String>,
    pub base_url: Option<String>,
    /// The environment variable that holds the API key.
    pub api_key_env: Option<String>,
    pub timeout_s: Option<f64>,
    pub max_retries: Option<u32>,
    pub temperature: Option<f32>,
    /// US dollars per million input tokens, for the cost in the transcript.
    pub price_input_per_mtok: Option<f64>,
    pub price_output_per_mtok: Option<f64>,
    /// Where each set field came from ("C2W_CRITIC_MODEL", "c2w.toml
    /// [models.critic]", "--model"), for error messages.
    #[serde(skip)]
    pub origins: BTreeMap<&'static str, String>,
}

/// Most retries a configuration may ask for.
pub const MAX_RETRIES: u32 = 20;

impl ModelSettings {
    /// `other`'s fields win where set.
    pub fn overlay(&mut self, other: &ModelSettings) {
        macro_rules! take {
            ($($f:ident),*) => { $(
                if other.$f.is_some() {
                    self.$f = other.$f.clone();
                    match other.origins.get(stringify!($f)) {
                        Some(o) => { self.origins.insert(stringify!($f), o.clone()); }
                        None => { self.origins.remove(stringify!($f)); }
                    }
                }
            )* };
        }
        take!(
            provider,
            model,
            base_url,
            api_key_env,
            timeout_s,
            max_retries,
            temperature,
            price_input_per_mtok,
            price_output_per_mtok
        );
    }

    /// Names every set field's origin `origin` (e.g. "c2w.toml [models]").
    pub fn from_origin(mut self, origin: &str) -> ModelSettings {
        let set = [
            ("provider", self.provider.is_some()),
            ("model", self.model.is_some()),
            ("base_url", self.base_url.is_some()),
            ("api_key_env", self.api_key_env.is_some()),
            ("timeout_s", self.timeout_s.is_some()),
            ("max_retries", self.max_retries.is_some()),
            ("temperature", self.temperature.is_some()),
            ("price_input_per_mtok", self.price_input_per_mtok.is_some()),
            (
                "price_output_per_mtok",
                self.price_output_per_mtok.is_some(),
            ),
        ];
        for (field, is_set) in set {
            if is_set {
                self.origins.insert(field, format!("{field} in {origin}"));
            }
        }
        self
    }

    /// Reads `C2W_{PREFIX}MODEL`, ... through `lookup`; numbers must parse.
    pub fn from_vars(
        prefix: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ModelSettings, String> {
        let mut s = ModelSettings::default();
        let mut get = |field: &'static str| {
            let var = format!("C2W_{prefix}{}", field.to_ascii_uppercase());
            let v = lookup(&var)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty());
            if v.is_some() {
                s.origins.insert(field, var.clone());
            }
            v.map(|v| (var, v))
        };
        fn number<T: std::str::FromStr>(
            got: Option<(String, String)>,
        ) -> Result<Option<T>, String> {
            got.map(|(var, v)| {
                v.parse()
                    .map_err(|_| format!("{var} = {v:?} is not a valid number"))
            })
            .transpose()
        }
        let provider = get("provider").map(|(_, v)| v);
        let model = get("model").map(|(_, v)| v);
        let base_url = get("base_url").map(|(_, v)| v);
        let api_key_env = get("api_key_env").map(|(_, v)| v);
        let timeout_s = number(get("timeout_s"))?;
        let max_retries = number(get("max_retries"))?;
        let temperature = number(get("temperature"))?;
        let price_input_per_mtok = number(get("price_input_per_mtok"))?;
        let price_output_per_mtok = number(get("price_output_per_mtok"))?;
        Ok(ModelSettings {
            provider,
            model,
            base_url,
            api_key_env,
            timeout_s,
            max_retries,
            temperature,
            price_input_per_mtok,
            price_output_per_mtok,
            ..s
        })
    }

    /// Where `field` came from, or how to name it for `role`.
    fn origin(&self, role: &str, field: &str) -> String {
        self.origins
            .get(field)
            .cloned()
            .unwrap_or_else(|| format!("the {role}'s {field}"))
    }

    /// A provider configuration, or `None` when no model is named. Every
    /// value out of range is an error naming where it was set.
    pub fn resolve(&self, role: &str) -> Result<Option<ProviderConfig>, String> {
        let upper = role.to_ascii_uppercase();
        let Some(model) = self.model.clone() else {
            return match &self.provider {
                Some(_) => Err(format!(
                    "{} is set but no model is named for the {role}: set C2W_{upper}_MODEL (or C2W_MODEL), `model` under [models] or [models.{role}] in c2w.toml, or --model",
                    self.origin(role, "provider")
                )),
                None => Ok(None),
            };
        };
        let kind = match self
            .provider
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("openai") | Some("openai-compatible") => ProviderKind::OpenAi,
            Some("anthropic") => ProviderKind::Anthropic,
            Some(other) => {
                return Err(format!(
                    "{} = {other:?} is not a known provider: use openai (any OpenAI-compatible server) or anthropic",
                    self.origin(role, "provider")
                ));
            }
            None if model.starts_with("claude") => ProviderKind::Anthropic,
            None => ProviderKind::OpenAi,
        };
        let mut c = ProviderConfig::new(kind, model);
        if let Some(b) = &self.base_url {
            c.base_url = normalise_base(kind, b);
        }
        if let Some(k) = &self.api_key_env {
            c.api_key_env = Some(k.clone());
        }
        if let Some(t) = self.timeout_s {
            if !(t.is_finite() && t > 0.0 && t <= 3600.0) {
                return Err(format!(
                    "{} = {t}: expected seconds between 0 and 3600",
                    self.origin(role, "timeout_s")
                ));
            }
            c.timeout = Duration::from_secs_f64(t);
        }
        if let Some(r) = self.max_retries {
            if r > MAX_RETRIES {
                return Err(format!(
                    "{} = {r}: expected a whole number up to {MAX_RETRIES}",
                    self.origin(role, "max_retries")
                ));
            }
            c.max_retries = r;
        }
        if let Some(t) = self.temperature {
            if !(0.0..=2.0).contains(&t) {
                return Err(format!(
                    "{} = {t}: expected a number from 0 to 2",
                    self.origin(role, "temperature")
                ));
            }
            c.temperature = Some(t);
        }
        for field in ["price_input_per_mtok", "price_output_per_mtok"] {
            let v = if field == "price_input_per_mtok" {
                self.price_input_per_mtok
            } else {
                self.price_output_per_mtok
            };
            if let Some(p) = v
                && !(p.is_finite() && p >= 0.0)
            {
                return Err(format!(
                    "{} = {p}: expected dollars per million tokens, 0 or more",
                    self.origin(role, field)
                ));
            }
        }
        Ok(Some(c))
    }
}
