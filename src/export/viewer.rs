//! `c2w view DIR`: a small web server on 127.0.0.1 for one run folder. It
//! serves the viewer page and three.js, embedded in the binary, and the
//! run's own files under `/run/` (world.glb, video.mp4, critic.json...),
//! nothing else: every other path is refused, and run paths are plain names
//! resolved inside the folder (no `..`, no escapes, no links out).

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

const INDEX: &str = include_str!("viewer/index.html");
const SCRIPT: &str = include_str!("viewer/viewer.js");
const THREE: &[u8] = include_bytes!("viewer/vendor/three.bundle.min.js");
const THREE_LICENSE: &str = include_str!("viewer/vendor/LICENSE-three");

/// Requests served side by side (a video download does not hold up the page).
const WORKERS: usize = 4;

/// A running viewer server.
pub struct Viewer {
    server: Arc<Server>,
    dir: PathBuf,
    port: u16,
}

impl Viewer {
    /// Binds 127.0.0.1:`port` (0: any free port) for the run folder `dir`.
    pub fn bind(dir: &Path, port: u16) -> Result<Viewer, String> {
        let dir = dir
            .canonicalize()
            .map_err(|e| format!("cannot open the run folder {}: {e}", dir.display()))?;
        if !dir.is_dir() {
            return Err(format!("{} is not a folder", dir.display()));
        }
        let server = Server::http(("127.0.0.1", port))
            .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .ok_or("the server has no TCP address")?;
        Ok(Viewer {
            server: Arc::new(server),
            dir,
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Serves until the process ends.
    pub fn serve(self) {
        let handles = self.spawn();
        for h in handles {
            let _ = h.join();
        }
    }

    /// Serves on background threads; they end when the server is unblocked
    /// (see [`Viewer::stop`]) or the process ends.
    pub fn spawn(&self) -> Vec<std::thread::JoinHandle<()>> {
        (0..WORKERS)
            .map(|_| {
                let server = self.server.clone();
                let dir = self.dir.clone();
                std::thread::spawn(move || {
                    while let Ok(request) = server.recv() {
                        handle(&dir, request);
                    }
                })
            })
            .collect()
    }

    /// Makes the serving threads return.
    pub fn stop(&self) {
        for _ in 0..WORKERS {
            self.server.unblock();
        }
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("static header is valid")
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "glb" => "model/gltf-binary",
        "gltf" => "model/gltf+json",
        "mp4" => "video/mp4",
        "png" => "image/png",
        "rhai" | "md" | "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn text(status: u16, body: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    Response::from_string(body)
        .with_status_code(StatusCode(status))
        .with_header(header("Content-Type", "text/plain; charset=utf-8"))
}

/// A path under `/run/` as a file inside `dir`, or `None` when it could
/// name anything else: only plain name segments of safe characters, and the
/// resolved file must still lie inside the folder (links are followed, then
/// checked).
pub fn resolve(dir: &Path, rel: &str) -> Option<PathBuf> {
    let mut path = dir.to_path_buf();
    for part in rel.split('/') {
        let plain = !part.is_empty()
            && part != "."
            && part != ".."
            && !part.starts_with('.')
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !plain {
            return None;
        }
        path.push(part);
    }
    let real = path.canonicalize().ok()?;
    (real.starts_with(dir) && real.is_file()).then_some(real)
}

fn run_listing(dir: &Path) -> String {
    let has = |name: &str| dir.join(name).is_file();
    serde_json::json!({
        "name": dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        "glb": has("world.glb"),
        "video": has("video.mp4"),
        "critic": has("critic.json"),
        "report": has("report.json"),
        "contact_sheet": has("contact_sheet.png"),
    })
    .to_string()
}

fn handle(dir: &Path, request: Request) {
    let head = *request.method() == Method::Head;
    if !matches!(request.method(), Method::Get | Method::Head) {
        let _ = request.respond(text(405, "only GET and HEAD"));
        return;
    }
    let url = request
        .url()
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_string();
    let embedded: Option<(&[u8], &str)> = match url.as_str() {
        "/" | "/index.html" => Some((INDEX.as_bytes(), "text/html; charset=utf-8")),
        "/viewer.js" => Some((SCRIPT.as_bytes(), "text/javascript; charset=utf-8")),
        "/vendor/three.bundle.min.js" => Some((THREE, "text/javascript; charset=utf-8")),
        "/vendor/LICENSE-three" => Some((THREE_LICENSE.as_bytes(), "text/plain; charset=utf-8")),
        _ => None,
    };
    if let Some((body, kind)) = embedded {
        let response = Response::from_data(if head { &[][..] } else { body })
            .with_header(header("Content-Type", kind));
        let _ = request.respond(response);
        return;
    }
    if url == "/favicon.ico" {
        let _ = request.respond(Response::empty(StatusCode(204)));
        return;
    }
    if url == "/api/run.json" {
        let response = Response::from_string(run_listing(dir))
            .with_header(header("Content-Type", "application/json"))
            .with_header(header("Cache-Control", "no-store"));
        let _ = request.respond(response);
        return;
    }
    let Some(rel) = url.strip_prefix("/run/") else {
        let _ = request.respond(text(404, "not found"));
        return;
    };
    let Some(path) = resolve(dir, rel) else {
        let _ = request.respond(text(404, "not found in the run folder"));
        return;
    };
    let range = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Range"))
        .map(|h| h.value.as_str().to_string());
    let _ = serve_file(request, &path, range.as_deref(), head);
}

/// Sends a file, or the byte range asked for (video players seek with
/// ranges).
fn serve_file(
    request: Request,
    path: &Path,
    range: Option<&str>,
    head: bool,
) -> std::io::Result<()> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let kind = content_type(&path.to_string_lossy());
    let wanted = range.and_then(|r| parse_range(r, len));
    let (start, end, status) = match (range, wanted) {
        (Some(_), None) => {
            let response = text(416, "range not satisfiable")
                .with_header(header("Content-Range", &format!("bytes */{len}")));
            return request.respond(response);
        }
        (_, Some((s, e))) => (s, e, 206),
        (None, None) => (0, len.saturating_sub(1), 200),
    };
    let count = if len == 0 { 0 } else { end - start + 1 };
    file.seek(SeekFrom::Start(start))?;
    let body: Box<dyn Read + Send> = if head {
        Box::new(std::io::empty())
    } else {
        Box::new(file.take(count))
    };
    let mut headers = vec![
        header("Content-Type", kind),
        header("Accept-Ranges", "bytes"),
        header("Cache-Control", "no-store"),
    ];
    if status == 206 {
        headers.push(header(
            "Content-Range",
            &format!("bytes {start}-{end}/{len}"),
        ));
    }
    let response = Response::new(
        StatusCode(status),
        headers,
        body,
        Some(if head { 0 } else { count as usize }),
        None,
    );
    request.respond(response)
}

/// `bytes=A-B`, `bytes=A-` or `bytes=-N` within a file of `len` bytes.
fn parse_range(value: &str, len: u64) -> Option<(u64, u64)> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || len == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            (len.saturating_sub(n), len - 1)
        }
        (s, "") => (s.parse().ok()?, len - 1),
        (s, e) => (s.parse().ok()?, e.parse::<u64>().ok()?.min(len - 1)),
    };
    (start <= end && start < len).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=50-500", 100), Some((50, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=5-1", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }

    #[test]
    fn run_paths_stay_inside_the_folder() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("run");
        std::fs::create_dir_all(dir.join("frames")).unwrap();
        std::fs::write(dir.join("world.glb"), b"x").unwrap();
        std::fs::write(dir.join("frames/0001.png"), b"x").unwrap();
        std::fs::write(root.path().join("secret.txt"), b"x").unwrap();
        let dir = dir.canonicalize().unwrap();
        assert!(resolve(&dir, "world.glb").is_some());
        assert!(resolve(&dir, "frames/0001.png").is_some());
        for bad in [
            "../secret.txt",
            "frames/../../secret.txt",
            "%2e%2e/secret.txt",
            "/etc/passwd",
            "",
            "frames",
            ".hidden",
            "a\\..\\secret.txt",
        ] {
            assert!(resolve(&dir, bad).is_none(), "{bad}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.path().join("secret.txt"), dir.join("link.txt"))
                .unwrap();
            assert!(resolve(&dir, "link.txt").is_none());
        }
    }
}
