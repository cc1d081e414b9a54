//! `c2w batch`: many worlds, N at a time, each in its own `c2w` process.
//!
//! A child process per item, not a thread, because an item is a whole
//! renderer, simulation and agent: a panic, an abort in a driver, a stack
//! overflow or running out of memory ends that process alone, and its row
//! says so while the other items go on.
//!
//! ```text
//! DIR/batch.json          what the batch is (the input, written first)
//! DIR/worlds/ID/          one item's folder, exactly as `c2w generate`/`c2w run` writes it
//! DIR/logs/ID.log         the child's stdout and stderr, every attempt
//! DIR/rows/ID.json        the item's row, written when its last attempt ends
//! DIR/results.jsonl       one row per item in input order, rewritten atomically as items end
//! DIR/summary.md          the table, written when the batch ends
//! ```
//!
//! Resuming (`--resume`) skips every item whose row says pass or fail and
//! reruns the others, a generation continuing from its own files through
//! `c2w generate --resume`. All children share one response cache.

pub mod bench;
pub mod items;
pub mod results;

use std::collections::VecDeque;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use items::{Flags, Item, ItemKind, read_items};
pub use results::ResultRow;

use crate::util::fsx::{write_atomic, write_json_atomic};

/// How a batch runs.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub out: PathBuf,
    /// Items at once.
    pub workers: usize,
    pub resume: bool,
    /// Further attempts for an item whose process failed (status 1, a
    /// signal or a timeout); a generation continues with `--resume`.
    pub retries: u32,
    /// Kill an item's process after this long.
    pub item_timeout: Option<Duration>,
    /// The `c2w` binary the children run.
    pub exe: PathBuf,
    /// Flags for every generation, before each item's own.
    pub generate_flags: Flags,
    /// Flags for every script run.
    pub run_flags: Flags,
    /// The response cache every child shares (`C2W_CACHE_DIR`); `None`:
    /// the children's default, itself one folder for all of them.
    pub cache_dir: Option<PathBuf>,
    /// No progress bar or lines.
    pub quiet: bool,
    /// Title of `summary.md`.
    pub title: String,
}

impl BatchOptions {
    pub fn new(out: PathBuf, exe: PathBuf) -> BatchOptions {
        BatchOptions {
            out,
            workers: 1,
            resume: false,
            retries: 1,
            item_timeout: None,
            exe,
            generate_flags: Flags::default(),
            run_flags: Flags::default(),
            cache_dir: None,
            quiet: true,
            title: "Batch".into(),
        }
    }
}

/// Why a batch could not run at all (an item's failure is only its row).
#[derive(Debug)]
pub struct BatchError(pub String);

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BatchError {}

/// What `DIR/batch.json` remembers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct BatchState {
    items: Vec<Item>,
    version: String,
}

/// The batch's outcome.
#[derive(Debug, Clone)]
pub struct BatchOutcome {
    /// Every item's row, in input order.
    pub rows: Vec<ResultRow>,
    /// Items that were already finished and were not run again.
    pub skipped: usize,
    pub wall_s: f64,
}

impl BatchOutcome {
    pub fn count(&self, status: &str) -> usize {
        self.rows.iter().filter(|r| r.status == status).count()
    }
}

pub fn item_dir(out: &Path, id: &str) -> PathBuf {
    out.join("worlds").join(id)
}

/// Where an item's row is kept: outside its folder, which `c2w generate`
/// wants to itself.
pub fn row_path(out: &Path, id: &str) -> PathBuf {
    out.join("rows").join(format!("{id}.json"))
}

pub fn log_path(out: &Path, id: &str) -> PathBuf {
    out.join("logs").join(format!("{id}.log"))
}

/// The item's row from an earlier run, if it has one.
pub fn read_row(out: &Path, id: &str) -> Option<ResultRow> {
    let text = std::fs::read_to_string(row_path(out, id)).ok()?;
    serde_json::from_str(&text).ok()
}

fn io_error(what: &str, p: &Path, e: std::io::Error) -> BatchError {
    BatchError(format!("cannot {what} {}: {e}", p.display()))
}

/// Settles the batch folder: new, or the same batch resumed.
fn open_batch(items: &[Item], o: &BatchOptions) -> Result<(), BatchError> {
    let state_path = o.out.join("batch.json");
    let existing: Option<BatchState> = std::fs::read_to_string(&state_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    // A folder in the batch layout without batch.json (its items were run
    // elsewhere, e.g. by the Ray driver) can be resumed too.
    let layout = ["worlds", "rows", "logs", "results.jsonl", "summary.md"];
    let entries = std::fs::read_dir(&o.out)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned());
    let (non_empty, foreign) = entries.fold((false, false), |(_, f), name| {
        (true, f || !layout.contains(&name.as_str()))
    });
    match (existing, o.resume) {
        (Some(_), false) => {
            return Err(BatchError(format!(
                "{} already holds a batch: add --resume to continue it, or choose another --out",
                o.out.display()
            )));
        }
        (None, false) if non_empty => {
            return Err(BatchError(format!(
                "{} is not empty and holds no batch: choose another --out",
                o.out.display()
            )));
        }
        (None, true) if foreign => {
            return Err(BatchError(format!(
                "{} is not empty and holds no batch: choose another --out",
                o.out.display()
            )));
        }
        _ => {}
    }
    // Items may be added to a resumed batch (its input grew); an id that
    // now stands for other work is refused, so no folder mixes two.
    for item in items {
        if let Some(row) = read_row(&o.out, &item.id)
            && row.source != item.kind.source()
        {
            return Err(BatchError(format!(
                "item {:?} in {} was made from {:?}, not {:?}: give the new one another id",
                item.id,
                o.out.display(),
                row.source,
                item.kind.source()
            )));
        }
    }
    let state = BatchState {
        items: items.to_vec(),
        version: env!("CARGO_PKG_VERSION").into(),
    };
    write_json_atomic(&state_path, &state).map_err(|e| io_error("write", &state_path, e))
}

/// The child's command line for one attempt.
pub fn command_for(item: &Item, o: &BatchOptions) -> Command {
    let dir = item_dir(&o.out, &item.id);
    let mut cmd = Command::new(&o.exe);
    match &item.kind {
        ItemKind::Generate { prompt } => {
            cmd.arg("generate").arg(prompt).arg("--out").arg(&dir);
            cmd.arg("--quiet");
            if dir.join("generate.json").exists() {
                cmd.arg("--resume");
            }
            let mut flags = o.generate_flags.merged(&item.flags);
            if let Some(s) = item.seed {
                flags.set("--seed", Some(s.to_string()));
            }
            cmd.args(flags.to_args());
        }
        ItemKind::Script { path } => {
            // The critic judges every script, and --strict makes its
            // verdict the exit status, as for a generation.
            cmd.arg("run").arg(path).arg("--out").arg(&dir);
            cmd.args(["--critic", "--strict"]);
            cmd.args(o.run_flags.merged(&item.flags).to_args());
        }
    }
    if let Some(c) = &o.cache_dir {
        cmd.env("C2W_CACHE_DIR", c);
    }
    // Mesa's software rasteriser starts a thread per core in every process;
    // N processes at once share the cores instead of each taking all.
    if o.workers > 1 && std::env::var_os("LP_NUM_THREADS").is_none() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        cmd.env("LP_NUM_THREADS", (cores / o.workers).max(1).to_string());
    }
    cmd
}

/// How one process ended.
struct Ended {
    code: Option<i32>,
    timed_out: bool,
    wall_s: f64,
}

/// Runs one attempt with its output going to `log` (appended).
fn attempt(item: &Item, o: &BatchOptions, log: &Path) -> Result<Ended, String> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    let err = file
        .try_clone()
        .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    let started = Instant::now();
    let mut child = command_for(item, o)
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", o.exe.display()))?;
    let deadline = o.item_timeout.map(|t| started + t);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                return Ok(Ended {
                    code: status.code(),
                    timed_out: false,
                    wall_s: started.elapsed().as_secs_f64(),
                });
            }
            Ok(None) => {}
            Err(e) => return Err(format!("cannot wait for the c2w process: {e}")),
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(Ended {
                code: None,
                timed_out: true,
                wall_s: started.elapsed().as_secs_f64(),
            });
        }
        std::thread::sleep(Duration::from_millis(40));
    }
}

/// The last few kilobytes of a log.
fn tail(path: &Path) -> String {
    let Ok(mut f) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut buf = Vec::new();
    use std::io::Seek;
    let _ = f.seek(std::io::SeekFrom::Start(len.saturating_sub(4096)));
    let _ = f.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// An item from its first attempt to its row, retrying failed processes.
fn run_item(item: &Item, o: &BatchOptions) -> ResultRow {
    let log = log_path(&o.out, &item.id);
    if let Err(e) = std::fs::create_dir_all(o.out.join("logs")) {
        return failed_row(item, format!("cannot create {}: {e}", o.out.display()));
    }
    let mut wall_s = 0.0;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let ended = match attempt(item, o, &log) {
            Ok(e) => e,
            Err(msg) => {
                let mut row = failed_row(item, msg);
                row.attempts = attempts;
                return row;
            }
        };
        wall_s += ended.wall_s;
        let mut row = results::row_from_folder(item, &o.out, ended.code, &tail(&log));
        if ended.timed_out {
            row.status = "error".into();
            row.error = Some(format!(
                "stopped after {:.0} s (--item-timeout)",
                ended.wall_s
            ));
        }
        row.attempts = attempts;
        row.wall_s = (wall_s * 10.0).round() / 10.0;
        if row.finished() || attempts > o.retries {
            return row;
        }
    }
}

fn failed_row(item: &Item, error: String) -> ResultRow {
    ResultRow {
        id: item.id.clone(),
        kind: item.kind.name().into(),
        source: item.kind.source(),
        status: "error".into(),
        out: format!("worlds/{}", item.id),
        error: Some(error),
        ..Default::default()
    }
}

/// Writes `results.jsonl` from every item's row, in input order.
pub fn write_results(out: &Path, items: &[Item]) -> Result<Vec<ResultRow>, BatchError> {
    let rows: Vec<ResultRow> = items.iter().filter_map(|i| read_row(out, &i.id)).collect();
    let mut text = String::new();
    for r in &rows {
        text.push_str(&serde_json::to_string(r).unwrap_or_default());
        text.push('\n');
    }
    let path = out.join("results.jsonl");
    write_atomic(&path, text.as_bytes()).map_err(|e| io_error("write", &path, e))?;
    Ok(rows)
}

/// Rebuilds `results.jsonl` and `summary.md` from the item folders,
/// running nothing (for a batch whose items ran elsewhere, e.g. on Ray).
pub fn report_only(items: &[Item], out: &Path, title: &str) -> Result<BatchOutcome, BatchError> {
    let rows = write_results(out, items)?;
    let pending = items.len() - rows.len();
    let path = out.join("summary.md");
    write_atomic(
        &path,
        results::summary(title, &rows, pending, 0.0).as_bytes(),
    )
    .map_err(|e| io_error("write", &path, e))?;
    Ok(BatchOutcome {
        rows,
        skipped: 0,
        wall_s: 0.0,
    })
}

/// Runs every unfinished item, `workers` at a time.
pub fn run_batch(items: &[Item], o: &BatchOptions) -> Result<BatchOutcome, BatchError> {
    let started = Instant::now();
    if items.is_empty() {
        return Err(BatchError("nothing to run".into()));
    }
    open_batch(items, o)?;
    let todo: VecDeque<usize> = (0..items.len())
        .filter(|&i| !read_row(&o.out, &items[i].id).is_some_and(|r| r.finished()))
        .collect();
    let skipped = items.len() - todo.len();
    let bar = progress_bar(items.len(), skipped, o.quiet);
    if skipped > 0 {
        say(
            &bar,
            o.quiet,
            &format!("{skipped} item(s) finished earlier, kept"),
        );
    }
    let queue = Arc::new(Mutex::new(todo));
    let (send, receive) = mpsc::channel::<(usize, ResultRow)>();
    let workers = o.workers.clamp(1, 256);
    let mut handles = Vec::new();
    for _ in 0..workers {
        let queue = queue.clone();
        let send = send.clone();
        let items = items.to_vec();
        let o = o.clone();
        handles.push(std::thread::spawn(move || {
            loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some(i) = next else { break };
                let item = &items[i];
                // A bug in our own bookkeeping costs one row, not the batch.
                let row =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_item(item, &o)))
                        .unwrap_or_else(|_| {
                            failed_row(item, "internal error in the batch runner".into())
                        });
                if send.send((i, row)).is_err() {
                    break;
                }
            }
        }));
    }
    drop(send);
    // One writer: this thread keeps the rows and results.jsonl.
    let mut done = skipped;
    for (i, row) in receive {
        done += 1;
        let item = &items[i];
        let path = row_path(&o.out, &item.id);
        write_json_atomic(&path, &row).map_err(|e| io_error("write", &path, e))?;
        write_results(&o.out, items)?;
        bar.inc(1);
        let detail = match (&row.verdict, row.score, &row.error) {
            (_, _, Some(e)) if row.status == "error" => e.clone(),
            (Some(v), Some(s), _) if s >= 0 => format!("critic {v}, score {s}"),
            (Some(v), _, _) => v.clone(),
            _ => String::new(),
        };
        say(
            &bar,
            o.quiet,
            &format!(
                "[{done}/{}] {} {}: {detail} ({:.1} s)",
                items.len(),
                item.id,
                row.status,
                row.wall_s
            ),
        );
    }
    for h in handles {
        let _ = h.join();
    }
    bar.finish_and_clear();
    let wall_s = started.elapsed().as_secs_f64();
    let rows = write_results(&o.out, items)?;
    let path = o.out.join("summary.md");
    let pending = items.len() - rows.len();
    write_atomic(
        &path,
        results::summary(&o.title, &rows, pending, wall_s).as_bytes(),
    )
    .map_err(|e| io_error("write", &path, e))?;
    Ok(BatchOutcome {
        rows,
        skipped,
        wall_s,
    })
}

fn progress_bar(len: usize, done: usize, quiet: bool) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{elapsed_precise} [{bar:30}] {pos}/{len} worlds, eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_position(done as u64);
    bar.enable_steady_tick(Duration::from_millis(500));
    bar
}

/// A line above the bar (or alone, when stderr is not a terminal and the
/// bar draws nothing).
fn say(bar: &indicatif::ProgressBar, quiet: bool, line: &str) {
    if !quiet {
        bar.suspend(|| eprintln!("{line}"));
    }
}
