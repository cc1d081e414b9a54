//! Which models the agent calls and how it works, merged from four layers,
//! each overriding the one before: built-in defaults, `c2w.toml`, the
//! environment (`C2W_*` for every role, `C2W_<ROLE>_*` for one), and flags.
//! The file and the model roles are read in [`crate::config`], which the
//! pipeline shares; this adds the agent's own settings.

use std::path::PathBuf;

pub use crate::config::{
    AgentSettings, ConfigFile, FlagSettings, ModelSettings, ModelsTable, ROLES, RoleModel,
    configured_critic, critic_model, role_model, role_settings,
};

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
        let missing = |role: &str| {
            format!(
                "no model for the {role}: name one with --model (or --{role}-model), C2W_MODEL (or C2W_{}_MODEL), or `model` under [models] in c2w.toml; see the README's \"Generate worlds from prompts\"",
                role.to_ascii_uppercase()
            )
        };
        let planner =
            role_model(file, lookup, flags, "planner")?.ok_or_else(|| missing("planner"))?;
        let coder = role_model(file, lookup, flags, "coder")?.ok_or_else(|| missing("coder"))?;
        let critic = critic_model(file, lookup, flags)?;
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
            Some(s) => crate::render::parse_size(s)?,
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
    use crate::llm::ProviderKind;
    use std::collections::HashMap;
    use std::path::Path;
    use std::time::Duration;

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
    fn one_validator_for_every_layer_and_it_names_the_layer() {
        // Too many retries are an error from the file, the environment and
        // the critic's own variables alike (never silently clamped).
        let file = ConfigFile::parse(
            "[models]\nmodel = \"m\"\nmax_retries = 99\n",
            Path::new("c2w.toml"),
        )
        .unwrap();
        let e = AgentConfig::merge(&file, &env(&[]), &FlagSettings::default()).unwrap_err();
        assert!(e.contains("max_retries in c2w.toml [models] = 99"), "{e}");
        let e = AgentConfig::merge(
            &ConfigFile::default(),
            &env(&[("C2W_MODEL", "m"), ("C2W_CODER_MAX_RETRIES", "21")]),
            &FlagSettings::default(),
        )
        .unwrap_err();
        assert!(e.contains("C2W_CODER_MAX_RETRIES = 21"), "{e}");
        let e = crate::llm::ProviderConfig::from_vars("critic", |k| match k {
            "C2W_CRITIC_MODEL" => Some("v".into()),
            "C2W_CRITIC_MAX_RETRIES" => Some("21".into()),
            _ => None,
        })
        .unwrap_err();
        assert!(e.to_string().contains("C2W_CRITIC_MAX_RETRIES = 21"), "{e}");
        let ok = crate::llm::ProviderConfig::from_vars("critic", |k| match k {
            "C2W_CRITIC_MODEL" => Some("v".into()),
            "C2W_CRITIC_MAX_RETRIES" => Some("20".into()),
            _ => None,
        });
        assert_eq!(ok.unwrap().unwrap().max_retries, 20);
    }

    #[test]
    fn the_critic_for_run_comes_from_the_file_and_the_environment() {
        let file = ConfigFile::parse(
            r#"
            [models]
            base_url = "http://127.0.0.1:8080/v1"
            timeout_s = 30
            [models.critic]
            model = "qwen-vl"
            "#,
            Path::new("c2w.toml"),
        )
        .unwrap();
        let c = critic_model(&file, &env(&[]), &FlagSettings::default())
            .unwrap()
            .unwrap();
        assert_eq!(c.config.model, "qwen-vl");
        assert_eq!(c.config.base_url, "http://127.0.0.1:8080/v1");
        assert_eq!(c.config.timeout, std::time::Duration::from_secs(30));
        // C2W_CRITIC_* overrides the file.
        let c = critic_model(
            &file,
            &env(&[("C2W_CRITIC_MODEL", "other"), ("C2W_TIMEOUT_S", "5")]),
            &FlagSettings::default(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.config.model, "other");
        assert_eq!(c.config.timeout, std::time::Duration::from_secs(5));
        // Nothing named for the critic: none, even with a shared model.
        let shared =
            ConfigFile::parse("[models]\nmodel = \"text\"\n", Path::new("c2w.toml")).unwrap();
        assert!(
            critic_model(&shared, &env(&[]), &FlagSettings::default())
                .unwrap()
                .is_none()
        );
        // A provider for the critic without a model is an error.
        let half = ConfigFile::parse(
            "[models.critic]\nprovider = \"anthropic\"\n",
            Path::new("c2w.toml"),
        )
        .unwrap();
        let e = critic_model(&half, &env(&[]), &FlagSettings::default()).unwrap_err();
        assert!(e.contains("provider in c2w.toml [models.critic]"), "{e}");
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
