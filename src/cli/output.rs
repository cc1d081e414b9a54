//! What every command shares about its output on stderr: `-v`/`-q` and
//! `RUST_LOG` for the log, and progress bars that show only on a terminal
//! (the agent's live line while a model answers is `crate::agent::Progress`).

use std::io::IsTerminal;
use std::sync::OnceLock;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::pipeline::FrameProgress;

/// `-v` and `-q`, accepted before or after any subcommand.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct Verbosity {
    /// More log lines on stderr: -v info, -vv debug, -vvv trace
    /// (RUST_LOG, when set, chooses instead).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr: no progress bars or progress lines.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

static QUIET: OnceLock<bool> = OnceLock::new();

/// Whether `-q` was given.
pub fn quiet() -> bool {
    QUIET.get().copied().unwrap_or(false)
}

/// The log filter: `RUST_LOG` when set, else the level `-v`/`-q` asks for.
pub fn log_filter(v: Verbosity, rust_log: Option<&str>) -> tracing_subscriber::EnvFilter {
    if let Some(spec) = rust_log.map(str::trim).filter(|s| !s.is_empty())
        && let Ok(f) = tracing_subscriber::EnvFilter::try_new(spec)
    {
        return f;
    }
    let level = match (v.quiet, v.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    tracing_subscriber::EnvFilter::new(level)
}

/// One subscriber for every command, writing to stderr only: stdout
/// carries results (and, for `c2w mcp`, the protocol).
pub fn init(v: Verbosity) {
    let _ = QUIET.set(v.quiet);
    let rust_log = std::env::var("RUST_LOG").ok();
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(log_filter(v, rust_log.as_deref()))
        .try_init();
}

/// Whether bars may be drawn: stderr is a terminal and `-q` is off.
pub fn bars_visible() -> bool {
    !quiet() && std::io::stderr().is_terminal()
}

/// A bar of frames rendered with the time left, on stderr, and the
/// callback that moves it; a hidden bar when bars are not visible.
pub fn frames_bar(label: &str) -> (ProgressBar, FrameProgress) {
    let bar = if bars_visible() {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} frames, {per_sec}, {eta} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_prefix(label.to_string());
    let moved = bar.clone();
    let progress: FrameProgress = Box::new(move |done, total| {
        if moved.length() != Some(total) {
            moved.set_length(total);
        }
        moved.set_position(done);
    });
    (bar, progress)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_level_follows_the_flags_unless_rust_log_is_set() {
        let v = |verbose, quiet| Verbosity { verbose, quiet };
        assert_eq!(log_filter(v(0, false), None).to_string(), "warn");
        assert_eq!(log_filter(v(1, false), None).to_string(), "info");
        assert_eq!(log_filter(v(2, false), None).to_string(), "debug");
        assert_eq!(log_filter(v(5, false), None).to_string(), "trace");
        assert_eq!(log_filter(v(0, true), None).to_string(), "error");
        assert_eq!(
            log_filter(v(0, true), Some("code2worlds=debug")).to_string(),
            "code2worlds=debug"
        );
        assert_eq!(log_filter(v(1, false), Some("  ")).to_string(), "info");
    }

    #[test]
    fn the_frames_bar_counts_frames_and_the_answer_line_says_tokens() {
        let (bar, mut progress) = frames_bar("run");
        progress(3, 48);
        assert_eq!((bar.position(), bar.length()), (3, Some(48)));
        progress(48, 48);
        assert_eq!(bar.position(), 48);
        assert_eq!(
            crate::agent::answer_line("coder", 120, std::time::Duration::from_millis(4200)),
            "coder: answering, 120 tokens so far, 4.2 s"
        );
    }
}
