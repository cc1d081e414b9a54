//! `c2w batch INPUT --out DIR`: every prompt of a JSONL file (or every
//! script of a folder), N at a time, into one folder with a results table.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use crate::batch::{self, BatchOptions, BatchOutcome, Flags};

/// How items run; shared by `c2w batch` and `c2w bench`.
#[derive(Args, Debug, Clone)]
pub struct BatchRunArgs {
    /// Output folder.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Items at once (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub workers: Option<usize>,
    /// Continue a batch in --out: finished items are kept, the others run
    /// (a generation from where it stopped).
    #[arg(long)]
    pub resume: bool,
    /// Further attempts for an item whose process fails (a crash, a
    /// provider outage, exit status 1).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub retries: u32,
    /// Stop an item's process after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub item_timeout: Option<f64>,
    /// Response cache shared by every item (default: the generate cache,
    /// C2W_CACHE_DIR or ~/.cache/c2w/responses).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Run nothing: rebuild the results and the summary (and the bench
    /// report) from the item folders, e.g. after a run on Ray.
    #[arg(long)]
    pub report_only: bool,
    /// The c2w binary items run (default: this one).
    #[arg(long, value_name = "PATH", hide = true)]
    pub c2w: Option<PathBuf>,
    /// No progress bar or lines.
    #[arg(long, short)]
    pub quiet: bool,
    /// Configuration file for every generation.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long)]
    pub provider: Option<String>,
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    #[arg(long, value_name = "MODEL")]
    pub planner_model: Option<String>,
    #[arg(long, value_name = "MODEL")]
    pub coder_model: Option<String>,
    /// Vision-language model for the critic (gives the VLM scores).
    #[arg(long, value_name = "MODEL")]
    pub critic_model: Option<String>,
    /// Seconds a model call may take.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    #[arg(long)]
    pub rounds: Option<u32>,
    #[arg(long)]
    pub grammar: bool,
    #[arg(long)]
    pub compact: bool,
    #[arg(long)]
    pub no_cache: bool,
    /// Simulate only: no renders, video or contact sheets.
    #[arg(long)]
    pub no_render: bool,
    #[arg(long, value_name = "WxH")]
    pub size: Option<String>,
    #[arg(long)]
    pub quality: Option<String>,
    #[arg(long)]
    pub adapter: Option<String>,
    /// Further flags for every item's `c2w generate` or `c2w run`.
    #[arg(last = true, value_name = "FLAGS")]
    pub extra: Vec<String>,
}

#[derive(Args)]
pub struct BatchArgs {
    /// A JSONL file of prompts (`{"id": ..., "prompt": ..., "seed"?: ...,
    /// "settings"?: {...}}` a line) or a folder of .rhai scripts.
    input: PathBuf,
    #[command(flatten)]
    run: BatchRunArgs,
}

impl BatchRunArgs {
    /// The batch's options, items going into `out`.
    pub fn options(&self, out: PathBuf, title: &str) -> Result<BatchOptions, String> {
        if let Some(s) = &self.size {
            crate::render::parse_size(s)?;
        }
        let exe = match &self.c2w {
            Some(p) => p.clone(),
            None => {
                std::env::current_exe().map_err(|e| format!("cannot find the c2w binary: {e}"))?
            }
        };
        let mut o = BatchOptions::new(out, exe);
        o.workers = self
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        o.resume = self.resume;
        o.retries = self.retries;
        o.item_timeout = self
            .item_timeout
            .map(|s| Duration::from_secs_f64(s.clamp(0.1, 7.0 * 86_400.0)));
        o.cache_dir = self.cache_dir.clone();
        o.quiet = self.quiet;
        o.title = title.to_string();
        let mut both = Flags::default();
        let switch = |f: &mut Flags, on: bool, name: &str| {
            if on {
                f.set(name, None);
            }
        };
        switch(&mut both, self.no_render, "--no-render");
        for (name, v) in [
            ("--size", &self.size),
            ("--quality", &self.quality),
            ("--adapter", &self.adapter),
        ] {
            if let Some(v) = v {
                both.set(name, Some(v.clone()));
            }
        }
        let mut generate = both.clone();
        for (name, v) in [
            ("--model", &self.model),
            ("--provider", &self.provider),
            ("--base-url", &self.base_url),
            ("--api-key-env", &self.api_key_env),
            ("--planner-model", &self.planner_model),
            ("--coder-model", &self.coder_model),
            ("--critic-model", &self.critic_model),
        ] {
            if let Some(v) = v {
                generate.set(name, Some(v.clone()));
            }
        }
        if let Some(c) = &self.config {
            let c = std::fs::canonicalize(c).unwrap_or(c.clone());
            generate.set("--config", Some(c.display().to_string()));
        }
        if let Some(t) = self.timeout {
            generate.set("--timeout", Some(t.to_string()));
        }
        if let Some(r) = self.rounds {
            generate.set("--rounds", Some(r.to_string()));
        }
        switch(&mut generate, self.grammar, "--grammar");
        switch(&mut generate, self.compact, "--compact");
        switch(&mut generate, self.no_cache, "--no-cache");
        let mut run = both;
        for extra in &self.extra {
            generate.0.push((extra.clone(), None));
            run.0.push((extra.clone(), None));
        }
        o.generate_flags = generate;
        o.run_flags = run;
        Ok(o)
    }
}

fn default_out(input: &Path) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "batch".into());
    PathBuf::from("out").join(format!("batch-{stem}"))
}

/// 0 when every item passes, 2 when all finished but some fail, 1 when
/// an item could not finish or the batch could not run.
pub fn exit_code(o: &BatchOutcome, items: usize) -> i32 {
    if o.count("error") > 0 || o.rows.len() < items {
        1
    } else if o.count("fail") > 0 {
        2
    } else {
        0
    }
}

pub fn print_outcome(o: &BatchOutcome, out: &Path) {
    println!(
        "{}: {} pass, {} fail, {} error ({} kept from earlier) in {:.0} s",
        out.display(),
        o.count("pass"),
        o.count("fail"),
        o.count("error"),
        o.skipped,
        o.wall_s
    );
    for r in o.rows.iter().filter(|r| r.status == "error") {
        println!(
            "  {} error: {}",
            r.id,
            r.error.as_deref().unwrap_or("unknown")
        );
    }
    println!("  results: {}", out.join("results.jsonl").display());
    println!("  summary: {}", out.join("summary.md").display());
}

pub fn batch(a: BatchArgs) -> i32 {
    let items = match batch::read_items(&a.input) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let out = a.run.out.clone().unwrap_or_else(|| default_out(&a.input));
    let title = format!("Batch: {}", a.input.display());
    let outcome = if a.run.report_only {
        batch::report_only(&items, &out, &title)
    } else {
        let o = match a.run.options(out.clone(), &title) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("error: {e}");
                return 1;
            }
        };
        batch::run_batch(&items, &o)
    };
    match outcome {
        Ok(o) => {
            print_outcome(&o, &out);
            exit_code(&o, items.len())
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}
