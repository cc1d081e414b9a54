//! Which models the agent calls and how it works, merged from four layers,
//! each overriding the one before: built-in defaults, `c2w.toml`, the
//! environment (`C2W_*` for every role, `C2W_<ROLE>_*` for one), and flags.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::llm::{ProviderConfig, ProviderKind, normalise_base};

/// The model roles: the planner writes the brief, the coder writes code,
/// the critic is the vision-language reviewer.
pub const ROLES: &[&str] = &["planner", "coder", "critic"];

/// How to reach one model; every field optional so layers can merge.
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
}

impl ModelSettings {
    /// `other`'s fields win where set.
    fn overlay(&mut self, other: &ModelSettings) {
        macro_rules! take {
            ($($f:ident),*) => { $( if other.$f.is_some() { self.$f = other.$f.clone(); } )* };
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

    /// Reads `C2W_{PREFIX}MODEL`, ... through `lookup`.
    fn from_vars(prefix: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        let get = |suffix: &str| {
            lookup(&format!("C2W_{prefix}{suffix}"))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        fn parse<T: std::str::FromStr>(
            name: String,
            v: Option<String>,
        ) -> Result<Option<T>, String> {
            v.map(|s| {
                s.parse()
                    .map_err(|_| format!("{name} = {s:?} is not a valid number"))
            })
            .transpose()
        }
        let var = |suffix: &str| format!("C2W_{prefix}{suffix}");
        Ok(ModelSettings {
            provider: get("PROVIDER"),
            model: get("MODEL"),
            base_url: get("BASE_URL"),
            api_key_env: get("API_KEY_ENV"),
            timeout_s: parse(var("TIMEOUT_S"), get("TIMEOUT_S"))?,
            max_retries: parse(var("MAX_RETRIES"), get("MAX_RETRIES"))?,
            temperature: parse(var("TEMPERATURE"), get("TEMPERATURE"))?,
            price_input_per_mtok: parse(var("PRICE_INPUT_PER_MTOK"), get("PRICE_INPUT_PER_MTOK"))?,
            price_output_per_mtok: parse(
                var("PRICE_OUTPUT_PER_MTOK"),
                get("PRICE_OUTPUT_PER_MTOK"),
            )?,
        })
    }

    /// A provider configuration, or `None` when no model is named.
    pub fn resolve(&self, role: &str) -> Result<Option<ProviderConfig>, String> {
        let Some(model) = self.model.clone() else {
            return match &self.provider {
                Some(_) => Err(format!(
                    "a provider is configured for the {role} but no model: set model in c2w.toml, C2W_MODEL or --model"
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
                    "the {role}'s provider {other:?} is not known: use openai (any OpenAI-compatible server) or anthropic"
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
                    "the {role}'s timeout_s = {t}: expected seconds between 0 and 3600"
                ));
            }
            c.timeout = Duration::from_secs_f64(t);
        }
        if let Some(r) = self.max_retries {
            c.max_retries = r.min(20);
        }
        if let Some(t) = self.temperature {
            if !(0.0..=2.0).contains(&t) {
                return Err(format!("the {role}'s temperature = {t}: expected 0 to 2"));
            }
            c.temperature = Some(t);
        }
        Ok(Some(c))
    }
}

/// The `[agent]` table of `c2w.toml`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AgentSettings {
    /// Run-and-repair rounds at most (default 4).
    pub rounds: Option<u32>,
    /// Send the world grammar with code requests (llama.cpp-family servers).
    pub grammar: Option<bool>,
    /// Small prompts for small local models.
    pub compact: Option<bool>,
    /// Keep and replay model responses (default true).
    pub cache: Option<bool>,
    pub cache_dir: Option<PathBuf>,
    /// Render the rounds at this size, e.g. "480x270".
    pub round_size: Option<String>,
    /// Seed of the generated worlds (default: the model's choice).
    pub seed: Option<u64>,
}

/// `c2w.toml` as written.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub agent: AgentSettings,
    /// `[models]` holds the settings shared by all roles; `[models.coder]`
    /// and the others refine one role.
    #[serde(default)]
    pub models: ModelsTable,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct ModelsTable {
    #[serde(flatten)]
    pub shared: ModelSettings,
    pub planner: Option<ModelSettings>,
    pub coder: Option<ModelSettings>,
    pub critic: Option<ModelSettings>,
}

impl ConfigFile {
    pub fn parse(text: &str, origin: &Path) -> Result<ConfigFile, String> {
        toml::from_str(text).map_err(|e| format!("{}: {e}", origin.display()))
    }

    /// `path` if given (it must exist), else `./c2w.toml` when present.
    pub fn load(path: Option<&Path>) -> Result<ConfigFile, String> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from("c2w.toml"), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(t) => ConfigFile::parse(&t, &path),
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                Ok(ConfigFile::default())
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    fn role(&self, role: &str) -> Option<&ModelSettings> {
        match role {
            "planner" => self.models.planner.as_ref(),
            "coder" => self.models.coder.as_ref(),
            "critic" => self.models.critic.as_ref(),
            _ => None,
        }
    }
}

/// Settings given on the command line.
#[derive(Debug, Clone, Default)]
pub struct FlagSettings {
    /// For every role.
    pub shared: ModelSettings,
    pub planner_model: Option<String>,
    pub coder_model: Option<String>,
    pub critic_model: Option<String>,
    pub rounds: Option<u32>,
    pub grammar: Option<bool>,
    pub compact: Option<bool>,
    pub no_cache: bool,
    pub seed: Option<u64>,
}

/// One role's model with its prices.
#[derive(Debug, Clone)]
pub struct RoleModel {
    pub config: ProviderConfig,
    pub price_input_per_mtok: Option<f64>,
    pub price_output_per_mtok: Option<f64>,
}

/// Everything the agent needs to know, merged.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    pub planner: RoleModel,
    pub coder: RoleModel,
    /// The vision-language critic; without one the critic is numeric only.
    pub critic: Option<RoleModel>,
    pub rounds: u32,
    pub grammar: bool,
    pub compact: bool,
    /// Where responses are kept; `None` turns the cache off.
    pub cache_dir: Option<PathBuf>,
    pub round_size: (u32, u32),
    pub seed: Option<u64>,
}

impl AgentConfig {
    /// Merges the layers; `lookup` reads the environment.
    pub fn merge(
        file: &ConfigFile,
        lookup: &dyn Fn(&str) -> Option<String>,
        flags: &FlagSettings,
    ) -> Result<AgentConfig, String> {
        let env_shared = ModelSettings::from_vars("", lookup)?;
        let settings_for = |role: &str| -> Result<ModelSettings, String> {
            let mut s = file.models.shared.clone();
            if let Some(r) = file.role(role) {
                s.overlay(r);
            }
            s.overlay(&env_shared);
            s.overlay(&ModelSettings::from_vars(
                &format!("{}_", role.to_ascii_uppercase()),
                lookup,
            )?);
            s.overlay(&flags.shared);
            let flag_model = match role {
                "planner" => &flags.planner_model,
                "coder" => &flags.coder_model,
                _ => &flags.critic_model,
            };
            if flag_model.is_some() {
                s.model = flag_model.clone();
            }
            Ok(s)
        };
        let role_model = |role: &str| -> Result<Option<RoleModel>, String> {
            let s = settings_for(role)?;
            Ok(s.resolve(role)?.map(|config| RoleModel {
                config,
                price_input_per_mtok: s.price_input_per_mtok,
                price_output_per_mtok: s.price_output_per_mtok,
            }))
        };
        let missing = |role: &str| {
            format!(
                "no model for the {role}: name one with --model (or --{role}-model), C2W_MODEL (or C2W_{}_MODEL), or `model` under [models] in c2w.toml; see the README's \"Generate worlds from prompts\"",
                role.to_ascii_uppercase()
            )
        };
        let planner = role_model("planner")?.ok_or_else(|| missing("planner"))?;
        let coder = role_model("coder")?.ok_or_else(|| missing("coder"))?;
        // The critic is a vision model: it is only used when named for
        // that role, never inherited from a text-only default.
        let critic_named = file.role("critic").is_some_and(|r| r.model.is_some())
            || lookup("C2W_CRITIC_MODEL").is_some_and(|m| !m.trim().is_empty())
            || flags.critic_model.is_some();
        let critic = if critic_named {
            role_model("critic")?
        } else {
            None
        };
        let agent = &file.agent;
        let rounds = flags.rounds.or(agent.rounds).unwrap_or(4).clamp(1, 20);
        let grammar = flags.grammar.or(agent.grammar).unwrap_or(false);
        let compact = flags.compact.or(agent.compact).unwrap_or(false);
        let cache_on = !flags.no_cache && agent.cache.unwrap_or(true);
        let cache_dir = cache_on.then(|| {
            agent
                .cache_dir
                .clone()
                .or_else(|| lookup("C2W_CACHE_DIR").map(PathBuf::from))
                .unwrap_or_else(|| default_cache_dir(lookup))
        });
        let round_size = match &agent.round_size {
            Some(s) => crate::cli::parse_size(s)?,
            None => (480, 270),
        };
        Ok(AgentConfig {
            planner,
            coder,
            critic,
            rounds,
            grammar,
            compact,
            cache_dir,
            round_size,
            seed: flags.seed.or(agent.seed),
        })
    }
}

/// `$XDG_CACHE_HOME/c2w/responses`, else `~/.cache/c2w/responses`, else
/// `.c2w-cache` here.
fn default_cache_dir(lookup: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(x) = lookup("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("c2w/responses");
    }
    if let Some(h) = lookup("HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h).join(".cache/c2w/responses");
    }
    PathBuf::from(".c2w-cache")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn layers_override_in_order_file_env_role_env_flags() {
        let file = ConfigFile::parse(
            r#"
            [agent]
            rounds = 3
            grammar = true
            [models]
            base_url = "http://127.0.0.1:8080/v1"
            model = "qwen"
            timeout_s = 600
            [models.planner]
            model = "planner-from-file"
            [models.critic]
            model = "vision"
            "#,
            Path::new("c2w.toml"),
        )
        .unwrap();
        let lookup = env(&[("C2W_CODER_MODEL", "coder-from-env"), ("HOME", "/home/u")]);
        let flags = FlagSettings {
            rounds: Some(2),
            ..Default::default()
        };
        let c = AgentConfig::merge(&file, &lookup, &flags).unwrap();
        assert_eq!(c.planner.config.model, "planner-from-file");
        assert_eq!(c.coder.config.model, "coder-from-env");
        assert_eq!(c.coder.config.base_url, "http://127.0.0.1:8080/v1");
        assert_eq!(c.coder.config.timeout, Duration::from_secs(600));
        assert_eq!(c.critic.as_ref().unwrap().config.model, "vision");
        assert_eq!(c.rounds, 2);
        assert!(c.grammar);
        assert_eq!(
            c.cache_dir.as_deref(),
            Some(Path::new("/home/u/.cache/c2w/responses"))
        );
        let flags = FlagSettings {
            shared: ModelSettings {
                model: Some("flag-model".into()),
                ..Default::default()
            },
            no_cache: true,
            ..Default::default()
        };
        let c = AgentConfig::merge(&file, &lookup, &flags).unwrap();
        assert_eq!(c.planner.config.model, "flag-model");
        assert_eq!(c.coder.config.model, "flag-model");
        assert!(c.cache_dir.is_none());
    }

    #[test]
    fn no_model_is_an_error_that_says_where_to_name_one() {
        let e = AgentConfig::merge(&ConfigFile::default(), &env(&[]), &FlagSettings::default())
            .unwrap_err();
        assert!(e.contains("--model") && e.contains("C2W_MODEL"), "{e}");
    }

    #[test]
    fn the_critic_is_not_inherited_from_the_shared_model() {
        let lookup = env(&[("C2W_MODEL", "text-only")]);
        let c =
            AgentConfig::merge(&ConfigFile::default(), &lookup, &FlagSettings::default()).unwrap();
        assert!(c.critic.is_none());
        assert_eq!(c.coder.config.model, "text-only");
        assert_eq!(c.coder.config.kind, ProviderKind::OpenAi);
    }

    #[test]
    fn bad_values_are_errors_not_defaults() {
        let lookup = env(&[("C2W_MODEL", "m"), ("C2W_TIMEOUT_S", "soon")]);
        assert!(
            AgentConfig::merge(&ConfigFile::default(), &lookup, &FlagSettings::default())
                .unwrap_err()
                .contains("C2W_TIMEOUT_S")
        );
        assert!(ConfigFile::parse("[agent]\nroundz = 3\n", Path::new("c2w.toml")).is_err());
    }
}
