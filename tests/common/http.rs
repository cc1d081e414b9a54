//! A scripted HTTP/1.1 server on loopback: it answers each request with a
//! canned reply and records what it was sent, so provider code is tested
//! over real sockets.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::Value;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("request body is JSON")
    }
}

pub enum Reply {
    Answer {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Read the request, then say nothing for this long.
    Silence(Duration),
}

pub fn ok_json(body: Value) -> Reply {
    Reply::Answer {
        status: 200,
        headers: vec![],
        body: body.to_string(),
    }
}

/// A streamed answer: each event's data as server-sent events.
pub fn event_stream(events: &[Value]) -> Reply {
    let mut body = String::new();
    for e in events {
        body.push_str(&format!("data: {e}\n\n"));
    }
    body.push_str("data: [DONE]\n\n");
    Reply::Answer {
        status: 200,
        headers: vec![("content-type", "text/event-stream".into())],
        body,
    }
}

pub fn status(code: u16, headers: Vec<(&'static str, String)>, body: Value) -> Reply {
    Reply::Answer {
        status: code,
        headers,
        body: body.to_string(),
    }
}

pub struct Server {
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Serves `replies` in order, one connection each (every answer closes its
/// connection, so the client never reuses one).
pub fn serve(replies: Vec<Reply>) -> Server {
    let replies = Mutex::new(replies.into_iter());
    serve_with(move |_| replies.lock().unwrap().next())
}

/// Serves each request with what `respond` makes of it, until it returns
/// `None` (then the server stops listening).
pub fn serve_with(respond: impl Fn(&Seen) -> Option<Reply> + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let respond = Arc::new(respond);
    thread::spawn(move || {
        loop {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let log = log.clone();
            let respond = respond.clone();
            // Each connection on its own thread, so a silent one does not
            // hold up the next attempt.
            thread::spawn(move || handle(stream, &*respond, &log));
        }
    });
    Server { base, seen }
}

fn handle(stream: TcpStream, respond: &dyn Fn(&Seen) -> Option<Reply>, log: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or("").to_string();
    let path = words.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let seen = Seen {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let reply = respond(&seen);
    log.lock().unwrap().push(seen);
    let Some(reply) = reply else {
        return;
    };
    let mut stream = stream;
    match reply {
        Reply::Silence(d) => thread::sleep(d),
        Reply::Answer {
            status,
            headers,
            body,
        } => {
            // JSON unless the reply names its own type (an event stream).
            let typed = headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
            let mut out = format!(
                "HTTP/1.1 {status} Canned\r\n{}content-length: {}\r\nconnection: close\r\n",
                if typed {
                    ""
                } else {
                    "content-type: application/json\r\n"
                },
                body.len()
            );
            for (n, v) in headers {
                out.push_str(&format!("{n}: {v}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(&body);
            let _ = stream.write_all(out.as_bytes());
            let _ = stream.flush();
        }
    }
}
