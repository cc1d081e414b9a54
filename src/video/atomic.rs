//! Whole-or-nothing file writes for outputs assembled from several buffers
//! (an MP4 header and its sample data), so nothing is concatenated in memory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::{Result, VideoError};

static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// A temporary name beside `path`, unique within this process so writers on
/// different threads never share one.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}-{n}.tmp", std::process::id()))
}

/// Writes `parts` one after another to `path` via a temporary file and a
/// rename; the folder is created if needed. On failure the temporary file is
/// removed and `path` is untouched.
pub(crate) fn write_atomic_parts(path: &Path, parts: &[&[u8]]) -> Result<()> {
    if path.file_name().is_none() {
        return Err(VideoError::invalid(format!(
            "output path '{}' names no file",
            path.display()
        )));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| VideoError::io(dir, e))?;
    }
    let tmp = temp_path(path);
    let written = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        for part in parts {
            f.write_all(part)?;
        }
        f.sync_all()?;
        Ok(())
    })()
    .map_err(|e| VideoError::io(&tmp, e))
    .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| VideoError::io(path, e)));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_joined_and_no_temporary_remains() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/out.bin");
        write_atomic_parts(&p, &[b"abc", b"", b"de"]).unwrap();
        write_atomic_parts(&p, &[b"xy"]).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"xy");
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.bin")]);
    }

    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        // The target is an existing folder, so the rename fails.
        let target = dir.path().join("taken");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("keep"), b"x").unwrap();
        assert!(write_atomic_parts(&target, &[b"data"]).is_err());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("taken")]);
    }
}
