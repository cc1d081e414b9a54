//! Atomic file output: a reader sees the old file or the new one, never half.
//! Every file the crate writes goes through [`write_atomic_parts`].

use std::io::Write;
use std::path::Path;

/// Writes `parts` one after another to `path` through a uniquely named
/// temporary file in the same folder (so the final rename never crosses a
/// file system) and replaces `path` with it, creating the folder if needed.
/// On failure the temporary file is removed and `path` is untouched.
pub fn write_atomic_parts(path: &Path, parts: &[&[u8]]) -> std::io::Result<()> {
    let Some(file_name) = path.file_name() else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("output path '{}' names no file", path.display()),
        ));
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(file_name);
    prefix.push(".");
    // The temporary file deletes itself if anything below fails.
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(dir)?;
    for part in parts {
        tmp.write_all(part)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Writes `bytes` to `path` atomically (see [`write_atomic_parts`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_parts(path, &[bytes])
}

/// Serialises `value` as pretty JSON and writes it atomically.
pub fn write_json_atomic<T: serde::Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<std::ffi::OsString> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_whole_file_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/report.json");
        write_atomic(&p, b"first version, long").unwrap();
        write_atomic_parts(&p, &[b"sec", b"", b"ond"]).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        assert_eq!(names(p.parent().unwrap()), ["report.json"]);
    }

    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        // The target is an existing folder, so the final rename fails.
        let target = dir.path().join("taken");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("keep"), b"x").unwrap();
        assert!(write_atomic(&target, b"data").is_err());
        assert_eq!(names(dir.path()), ["taken"]);
        assert!(write_atomic(Path::new("/"), b"x").is_err());
    }

    #[test]
    fn two_threads_writing_one_path_each_leave_a_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("shared.bin");
        // Large enough that interleaved writes to one temporary name would
        // show as a mixed or short file.
        let a = vec![b'a'; 1 << 20];
        let b = vec![b'b'; 1 << 19];
        let (a, b, p) = (&a, &b, &p);
        std::thread::scope(|s| {
            for data in [a, b] {
                s.spawn(move || {
                    for _ in 0..20 {
                        write_atomic(p, data).unwrap();
                        let got = std::fs::read(p).unwrap();
                        assert!(got == *a || got == *b, "a torn file of {} bytes", got.len());
                    }
                });
            }
        });
        let got = std::fs::read(p).unwrap();
        assert!(got == *a || got == *b);
        assert_eq!(names(dir.path()), ["shared.bin"]);
    }
}
