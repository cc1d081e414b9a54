//! `c2w run --watch`: notice when the files a run reads are saved.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

/// What a file looked like when last seen: enough to tell a save even when
/// the clock's resolution hides it (same mtime, new contents).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    modified: Option<SystemTime>,
    len: u64,
    digest: u64,
}

fn look(path: &PathBuf) -> Option<Seen> {
    let meta = std::fs::metadata(path).ok()?;
    let bytes = std::fs::read(path).ok()?;
    let mut h = crate::util::hash::StateHasher::default();
    h.bytes(&bytes);
    Some(Seen {
        modified: meta.modified().ok(),
        len: meta.len(),
        digest: h.finish(),
    })
}

/// Polls a few files for changes.
pub struct ChangeDetector {
    files: Vec<(PathBuf, Option<Seen>)>,
}

impl ChangeDetector {
    /// Remembers the files as they are now.
    pub fn new(paths: Vec<PathBuf>) -> ChangeDetector {
        ChangeDetector {
            files: paths
                .into_iter()
                .map(|p| {
                    let seen = look(&p);
                    (p, seen)
                })
                .collect(),
        }
    }

    /// Whether any file differs from when last seen (a file that vanished
    /// mid-save counts once it is back); remembers the new state.
    pub fn changed(&mut self) -> bool {
        let mut any = false;
        for (path, last) in &mut self.files {
            let now = look(path);
            if now.is_some() && now != *last {
                any = true;
            }
            if now.is_some() {
                *last = now;
            }
        }
        any
    }

    /// Polls every `interval` until a file changes (`true`) or `limit`
    /// passes (`false`).
    pub fn wait(&mut self, interval: Duration, limit: Option<Duration>) -> bool {
        let started = Instant::now();
        loop {
            std::thread::sleep(interval);
            if self.changed() {
                // Let an editor finish writing before the run reads it.
                std::thread::sleep(interval.min(Duration::from_millis(100)));
                self.changed();
                return true;
            }
            if limit.is_some_and(|l| started.elapsed() >= l) {
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_save_is_seen_once_even_within_one_clock_tick() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.rhai");
        std::fs::write(&p, "a").unwrap();
        let mut d = ChangeDetector::new(vec![p.clone()]);
        assert!(!d.changed());
        std::fs::write(&p, "b").unwrap();
        assert!(d.changed());
        assert!(!d.changed(), "seen once");
        // A file that is briefly missing (some editors save by rename) is
        // not a change until it is back.
        std::fs::remove_file(&p).unwrap();
        assert!(!d.changed());
        std::fs::write(&p, "c").unwrap();
        assert!(d.wait(Duration::from_millis(5), Some(Duration::from_secs(5))));
        assert!(!d.wait(Duration::from_millis(5), Some(Duration::from_millis(30))));
    }
}
