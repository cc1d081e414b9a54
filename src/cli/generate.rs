//! `c2w generate "PROMPT"`: a world from a sentence, through the agent.

use std::path::PathBuf;

use clap::Args;

use super::RenderArgs;
use crate::agent::config::{ConfigFile, FlagSettings, ModelSettings};
use crate::agent::generate::outcome_json;
use crate::agent::{AgentConfig, GenerateOptions, generate as run_agent};

#[derive(Args)]
pub struct GenerateArgs {
    /// What the world should show, in plain words.
    prompt: Option<String>,
    /// Output folder (default: out/gen-<words of the prompt>).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Continue an interrupted generation in --out from its files.
    #[arg(long)]
    resume: bool,
    /// Configuration file (default: ./c2w.toml when present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Model for every role (planner and coder), e.g. gpt-4.1-mini or
    /// claude-sonnet-4-5; overrides c2w.toml and C2W_MODEL.
    #[arg(long)]
    model: Option<String>,
    /// openai (any OpenAI-compatible server) or anthropic.
    #[arg(long)]
    provider: Option<String>,
    /// Server address, e.g. http://127.0.0.1:8080/v1 for a local llama.cpp.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Environment variable that holds the API key.
    #[arg(long, value_name = "VAR")]
    api_key_env: Option<String>,
    #[arg(long, value_name = "MODEL")]
    planner_model: Option<String>,
    #[arg(long, value_name = "MODEL")]
    coder_model: Option<String>,
    /// Vision-language model for the critic (optional).
    #[arg(long, value_name = "MODEL")]
    critic_model: Option<String>,
    /// Seconds a model call may take.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// Run-and-repair rounds at most (default 4).
    #[arg(long)]
    rounds: Option<u32>,
    /// Constrain the coder's output with the world grammar (llama.cpp-family
    /// servers).
    #[arg(long)]
    grammar: bool,
    /// For small local models: small prompts, and no model call for what
    /// the brief settles (catalog objects, environment, layout, camera).
    #[arg(long)]
    compact: bool,
    /// Neither replay nor keep model responses.
    #[arg(long)]
    no_cache: bool,
    /// Seed of the world (default: one derived from the prompt).
    #[arg(long)]
    seed: Option<u64>,
    /// Simulate only: no renders, video or visual checks.
    #[arg(long)]
    no_render: bool,
    #[command(flatten)]
    render: RenderArgs,
}

fn default_out(prompt: &str) -> PathBuf {
    let words: Vec<String> = prompt
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .filter(|w| !w.is_empty())
        .take(5)
        .collect();
    PathBuf::from("out").join(format!("gen-{}", words.join("-")))
}

pub fn generate(a: GenerateArgs) -> i32 {
    let file = match ConfigFile::load(a.config.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let flags = FlagSettings {
        shared: ModelSettings {
            provider: a.provider.clone(),
            model: a.model.clone(),
            base_url: a.base_url.clone(),
            api_key_env: a.api_key_env.clone(),
            timeout_s: a.timeout,
            ..Default::default()
        }
        .from_origin("the command line"),
        planner_model: a.planner_model.clone(),
        coder_model: a.coder_model.clone(),
        critic_model: a.critic_model.clone(),
        rounds: a.rounds,
        grammar: a.grammar.then_some(true),
        compact: a.compact.then_some(true),
        no_cache: a.no_cache,
        seed: a.seed,
    };
    let config = match AgentConfig::merge(&file, &|k| std::env::var(k).ok(), &flags) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let out = match (&a.out, &a.prompt) {
        (Some(o), _) => o.clone(),
        (None, Some(p)) if !a.resume => default_out(p),
        _ => {
            eprintln!("error: name the folder to resume with --out DIR");
            return 1;
        }
    };
    let render = match a.render.options_unless(a.no_render) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let options = GenerateOptions {
        prompt: a.prompt.clone(),
        out: out.clone(),
        resume: a.resume,
        config,
        render,
        video_quality: a.render.video_quality(),
        quiet: super::output::quiet(),
        cancel: Default::default(),
    };
    match run_agent(options) {
        Ok(r) => {
            let f = &r.final_world;
            let verdict = match &f.error {
                Some(e) => format!(
                    "the best script still fails: {}",
                    e.lines().next().unwrap_or("")
                ),
                None => format!(
                    "critic {} (score {})",
                    outcome_json::verdict_name(f.verdict),
                    outcome_json::score_value(f.score)
                ),
            };
            let (calls, tokens) = r.usage.iter().fold((0, 0), |(c, t), (_, u)| {
                (c + u.calls, t + u.input_tokens + u.output_tokens)
            });
            println!(
                "{}: round {} of {}, {verdict}; {calls} model calls, {tokens} tokens, {:.0} s",
                r.out.display(),
                r.best_round,
                r.rounds.len(),
                r.elapsed_s
            );
            println!("  world: {}", r.out.join("world.rhai").display());
            println!("  summary: {}", r.out.join("summary.md").display());
            println!("  {}", super::export::view_hint(&r.out));
            if f.passed() { 0 } else { 2 }
        }
        Err(e) => {
            eprintln!("error: {e}");
            if !matches!(e, crate::agent::AgentError::Usage(_)) {
                eprintln!(
                    "  (what finished is kept in {}: continue with --resume --out {})",
                    out.display(),
                    out.display()
                );
            }
            1
        }
    }
}
