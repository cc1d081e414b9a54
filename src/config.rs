//! `c2w.toml` and the model roles: which model plays the planner, the coder
//! and the vision-language critic, layered from the file, the environment
//! (`C2W_*` for every role, `C2W_<ROLE>_*` for one) and flags. The agent
//! adds its own settings on top ([`crate::agent::config`]); the pipeline
//! reads the critic's model from here for `c2w run --critic` and the MCP
//! server.

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use crate::llm::ModelSettings;
use crate::llm::ProviderConfig;

/// The model roles: the planner writes the brief, the coder writes code,
/// the critic is the vision-language reviewer.
pub const ROLES: &[&str] = &["planner", "coder", "critic"];

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
        let mut file: ConfigFile =
            toml::from_str(text).map_err(|e| format!("{}: {e}", origin.display()))?;
        let name = origin.display();
        let m = &mut file.models;
        m.shared = std::mem::take(&mut m.shared).from_origin(&format!("{name} [models]"));
        for (role, table) in [
            ("planner", &mut m.planner),
            ("coder", &mut m.coder),
            ("critic", &mut m.critic),
        ] {
            if let Some(t) = table.take() {
                *table = Some(t.from_origin(&format!("{name} [models.{role}]")));
            }
        }
        Ok(file)
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

/// One role's settings, layered: `c2w.toml` `[models]`, then its
/// `[models.ROLE]`, then `C2W_*`, then `C2W_ROLE_*`, then flags.
pub fn role_settings(
    file: &ConfigFile,
    lookup: &dyn Fn(&str) -> Option<String>,
    flags: &FlagSettings,
    role: &str,
) -> Result<ModelSettings, String> {
    let mut s = file.models.shared.clone();
    if let Some(r) = file.role(role) {
        s.overlay(r);
    }
    s.overlay(&ModelSettings::from_vars("", lookup)?);
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
        s.origins.insert("model", format!("--{role}-model"));
    }
    Ok(s)
}

pub fn role_model(
    file: &ConfigFile,
    lookup: &dyn Fn(&str) -> Option<String>,
    flags: &FlagSettings,
    role: &str,
) -> Result<Option<RoleModel>, String> {
    let s = role_settings(file, lookup, flags, role)?;
    Ok(s.resolve(role)?.map(|config| RoleModel {
        config,
        price_input_per_mtok: s.price_input_per_mtok,
        price_output_per_mtok: s.price_output_per_mtok,
    }))
}

/// The vision-language critic, or `None` when no model is named for it.
/// The critic is a vision model: it is only used when named for that role
/// (`[models.critic]`, `C2W_CRITIC_MODEL`, `--critic-model`), never
/// inherited from a text-only default, though it shares the other settings.
pub fn critic_model(
    file: &ConfigFile,
    lookup: &dyn Fn(&str) -> Option<String>,
    flags: &FlagSettings,
) -> Result<Option<RoleModel>, String> {
    let named = file.role("critic").is_some_and(|r| r.model.is_some())
        || lookup("C2W_CRITIC_MODEL").is_some_and(|m| !m.trim().is_empty())
        || flags.critic_model.is_some();
    if named {
        role_model(file, lookup, flags, "critic")
    } else {
        // Still check a critic table that names no model.
        role_settings(file, lookup, flags, "critic").and_then(|s| {
            match (file.role("critic"), s.provider.is_some()) {
                (Some(r), true) if r.provider.is_some() => s.resolve("critic").map(|_| None),
                _ => Ok(None),
            }
        })
    }
}

/// The critic configured for commands that are not the agent (`c2w run
/// --critic`, `c2w critic`, the MCP server): `config` (else `./c2w.toml`
/// when present) and the process environment, through the same layers and
/// checks as `c2w generate`.
pub fn configured_critic(config: Option<&Path>) -> Result<Option<RoleModel>, String> {
    let file = ConfigFile::load(config)?;
    critic_model(&file, &|k| std::env::var(k).ok(), &FlagSettings::default())
}
