//! The `c2w` command line.

mod batch;
mod bench;
mod check;
mod critic;
mod docs;
mod export;
mod generate;
pub mod output;
mod render;
pub mod repl;
mod run;
pub mod watch;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::limits::Limits;
use crate::script::{ErrorKind, ScriptError};

#[derive(Parser)]
#[command(name = "c2w", version, about = "Language to 4D worlds: run, check and explore world scripts", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    verbosity: output::Verbosity,
}

#[derive(Subcommand)]
enum Command {
    /// Build, simulate and render a world script: report.json, trace.json,
    /// video.mp4, contact_sheet.png and a copy of the script.
    Run(run::RunArgs),
    /// Render one frame of a world at a chosen time to a PNG.
    Render(render::RenderCmdArgs),
    /// Judge an earlier run with the motion critic; write critic.json.
    Critic(critic::CriticArgs),
    /// Compile a script and build its scene at t = 0 without simulating.
    Check(check::CheckArgs),
    /// Explore a live world interactively.
    Repl(repl::ReplArgs),
    /// Print the API reference generated from the registered functions.
    Docs(docs::DocsArgs),
    /// Generate a world from a prompt with coding models: plan, objects,
    /// scene, dynamics, then rounds of running, judging and repairing.
    Generate(generate::GenerateArgs),
    /// Serve the runtime to LLM clients over the Model Context Protocol (stdio).
    Mcp,
    /// Simulate a world script and write it as an animated glTF scene
    /// (.glb or .gltf).
    Export(export::ExportArgs),
    /// Serve a run folder to a web viewer on 127.0.0.1: the animated scene,
    /// the video and the critic's findings.
    View(export::ViewArgs),
    /// Generate (or run) many worlds, N at a time, resumably: a JSONL file
    /// of prompts or a folder of scripts; results.jsonl and summary.md.
    Batch(batch::BatchArgs),
    /// The benchmark harness: `c2w bench code4d` or a JSONL of prompts;
    /// bench.md, bench.json and index.html with every contact sheet.
    Bench(bench::BenchArgs),
    /// Print a shell completion script, e.g. `c2w completions bash >
    /// ~/.local/share/bash-completion/completions/c2w`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "c2w", &mut out);
    out
}

/// Limits a script runs under; defaults suit generated scenes.
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Wall-clock limit for the whole run, seconds.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// Rhai operations allowed while building the world.
    #[arg(long, value_name = "N")]
    max_operations: Option<u64>,
    /// Rhai operations allowed for all callbacks together.
    #[arg(long, value_name = "N")]
    max_hook_operations: Option<u64>,
    #[arg(long, value_name = "N")]
    max_entities: Option<usize>,
    #[arg(long, value_name = "N")]
    max_bodies: Option<usize>,
    #[arg(long, value_name = "N")]
    max_particles: Option<usize>,
    #[arg(long, value_name = "N")]
    max_triangles: Option<usize>,
    /// Most frames (duration x fps) a run may have.
    #[arg(long, value_name = "N")]
    max_frames: Option<u64>,
    #[arg(long, value_name = "N")]
    max_call_levels: Option<usize>,
    #[arg(long, value_name = "N")]
    max_array_size: Option<usize>,
    #[arg(long, value_name = "N")]
    max_string_size: Option<usize>,
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
        let mut l = Limits::default();
        if let Some(t) = self.timeout {
            l.timeout = Duration::from_secs_f64(t.clamp(0.01, 86_400.0));
        }
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = self.$f { l.$f = v; } )* };
        }
        set!(
            max_operations,
            max_hook_operations,
            max_entities,
            max_bodies,
            max_particles,
            max_triangles,
            max_frames,
            max_call_levels,
            max_array_size,
            max_string_size
        );
        l
    }
}

/// Reads a script, turning I/O failures into our error form. A file that
/// is not UTF-8 text is the user's input, not our bug: a validation error
/// (exit 2) pointing at the first bad byte.
pub fn read_script(path: &PathBuf) -> Result<String, ScriptError> {
    let bytes = std::fs::read(path)
        .map_err(|e| ScriptError::internal(format!("cannot read {}: {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        // The text before the bad byte is valid, so lines and columns count
        // characters as an editor does.
        let before = String::from_utf8_lossy(good);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        let mut err = ScriptError::new(
            ErrorKind::Validation,
            format!(
                "{} is not UTF-8 text: invalid byte at line {line}, column {column}",
                path.display()
            ),
        );
        err.line = Some(line);
        err.column = Some(column);
        err.hint = "Save the script as UTF-8 text (world scripts are plain Rhai source).".into();
        err.source = path.display().to_string();
        err
    })
}

/// Names the script file in an error's location.
pub fn locate(mut e: ScriptError, path: &std::path::Path) -> ScriptError {
    if e.source == "script" {
        e.source = path.display().to_string();
    }
    e
}

/// Prints an error readably, or as JSON on stdout with `--json`.
pub fn report_error(e: &ScriptError, json: bool) {
    if json {
        println!("{}", e.to_json());
    } else {
        eprintln!("{e}");
    }
}

pub fn main() -> i32 {
    let cli = Cli::parse();
    output::init(cli.verbosity);
    tracing::debug!(version = env!("CARGO_PKG_VERSION"), "c2w starting");
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Render(a) => render::render(a),
        Command::Critic(a) => critic::critic(a),
        Command::Check(a) => check::check(a),
        Command::Repl(a) => repl::repl(a),
        Command::Docs(a) => docs::docs(a),
        Command::Generate(a) => generate::generate(a),
        Command::Mcp => crate::mcp::main(),
        Command::Export(a) => export::export(a),
        Command::View(a) => export::view(a),
        Command::Completions { shell } => {
            use std::io::Write;
            let mut stdout = std::io::stdout();
            match stdout.write_all(&completions(shell)) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("error: cannot write the completions: {e}");
                    1
                }
            }
        }
        Command::Batch(a) => batch::batch(a),
        Command::Bench(a) => bench::bench(a),
    }
}

/// How frames are rendered; shared by `run`, `render`, `critic` and `repl`.
#[derive(Args, Debug, Clone)]
pub struct RenderArgs {
    /// Image size in pixels.
    #[arg(long, value_name = "WxH", default_value = "640x360", value_parser = crate::render::parse_size)]
    size: (u32, u32),
    /// Rendering and encoding quality: draft, default or high (default uses
    /// 4x MSAA on a GPU and an edge filter on a software adapter).
    #[arg(long, default_value = "default")]
    quality: crate::render::Quality,
    /// Graphics adapter: auto, gpu, cpu, vulkan or gl (default: the
    /// C2W_ADAPTER environment variable, else auto).
    #[arg(long)]
    adapter: Option<crate::render::AdapterChoice>,
}

impl RenderArgs {
    /// The renderer's options: flags first, then C2W_ADAPTER, then defaults.
    pub fn options(&self) -> Result<crate::render::RenderOptions, String> {
        let mut opts = crate::render::RenderOptions::new(self.size.0, self.size.1)
            .with_quality(self.quality)
            .with_env()
            .map_err(|e| e.to_string())?;
        if let Some(a) = self.adapter {
            opts.adapter = a;
        }
        Ok(opts)
    }

    /// The renderer's options, or `None` when rendering is switched off.
    pub fn options_unless(
        &self,
        no_render: bool,
    ) -> Result<Option<crate::render::RenderOptions>, String> {
        if no_render {
            Ok(None)
        } else {
            self.options().map(Some)
        }
    }

    /// The same quality preset for the H.264 encoder.
    pub fn video_quality(&self) -> crate::video::Quality {
        match self.quality {
            crate::render::Quality::Draft => crate::video::Quality::Draft,
            crate::render::Quality::Default => crate::video::Quality::Default,
            crate::render::Quality::High => crate::video::Quality::High,
        }
    }
}

/// What to say when no adapter could be opened.
pub fn adapter_help() -> &'static str {
    "install a Vulkan driver (on Debian/Ubuntu for CPU rendering: apt install mesa-vulkan-drivers), \
     choose another with --adapter gl|cpu|gpu, or skip rendering with --no-render"
}
