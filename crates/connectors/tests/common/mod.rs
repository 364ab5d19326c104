//! A scripted fake platform for the clients' tests: a std `TcpListener` on port 0 that records
//! every request (method, path, query, headers, body) and answers what the test's handler says:
//! a whole response, a chunked stream written part by part (with pauses, heartbeats, a cut), or
//! silence (a hang).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// One part of a streamed body.
#[derive(Debug, Clone)]
pub enum Part {
    /// Written as one HTTP chunk.
    Bytes(Vec<u8>),
    Sleep(Duration),
    /// The connection dropped without the final chunk.
    Cut,
}

pub fn bytes(s: &str) -> Part {
    Part::Bytes(s.as_bytes().to_vec())
}

#[derive(Debug, Clone)]
pub enum Reply {
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    Stream {
        status: u16,
        parts: Vec<Part>,
    },
    /// Reads the request, then says nothing for this long.
    Hang(Duration),
}

pub fn json(status: u16, body: &str) -> Reply {
    Reply::Full {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_owned(),
    }
}

pub fn with_headers(reply: Reply, extra: &[(&str, &str)]) -> Reply {
    match reply {
        Reply::Full {
            status,
            mut headers,
            body,
        } => {
            headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            Reply::Full {
                status,
                headers,
                body,
            }
        }
        other => other,
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

pub struct Fake {
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Fake {
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let recorded = requests.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let handler = handler.clone();
                let recorded = recorded.clone();
                std::thread::spawn(move || serve(conn, &*handler, &recorded));
            }
        });
        Fake { url, requests }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The requests on `path`, in order.
    pub fn on(&self, path: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }
}

fn serve(conn: TcpStream, handler: &Handler, recorded: &Mutex<Vec<Request>>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut head = String::new();
    if reader.read_line(&mut head).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = head.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), parse_query(q)),
        None => (target.clone(), Vec::new()),
    };
    let request = Request {
        method,
        path,
        query,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    recorded.lock().unwrap().push(request.clone());
    let mut conn = conn;
    match handler(&request) {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut out = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(&body);
            let _ = conn.write_all(out.as_bytes());
        }
        Reply::Stream { status, parts } => {
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            );
            if conn.write_all(head.as_bytes()).is_err() {
                return;
            }
            for part in parts {
                match part {
                    Part::Bytes(b) => {
                        let mut chunk = format!("{:x}\r\n", b.len()).into_bytes();
                        chunk.extend_from_slice(&b);
                        chunk.extend_from_slice(b"\r\n");
                        if conn.write_all(&chunk).is_err() {
                            return;
                        }
                        let _ = conn.flush();
                    }
                    Part::Sleep(d) => std::thread::sleep(d),
                    Part::Cut => {
                        let _ = conn.shutdown(std::net::Shutdown::Both);
                        return;
                    }
                }
            }
            let _ = conn.write_all(b"0\r\n\r\n");
        }
        Reply::Hang(d) => std::thread::sleep(d),
    }
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A sink that keeps every batch; `fail` makes it refuse them.
#[derive(Default)]
pub struct TestSink {
    pub batches: Vec<palabre_connectors::client::Batch>,
    pub fail: bool,
    /// Raised once this many batches were accepted.
    pub stop_after: Option<(usize, palabre_connectors::client::Stop)>,
}

impl TestSink {
    pub fn lines(&self) -> Vec<String> {
        self.batches.iter().flat_map(|b| b.lines.clone()).collect()
    }
}

impl palabre_connectors::client::Sink for TestSink {
    fn accept(&mut self, batch: palabre_connectors::client::Batch) -> Result<(), String> {
        if self.fail {
            return Err("the store is down".into());
        }
        self.batches.push(batch);
        if let Some((n, stop)) = &self.stop_after
            && self.batches.len() >= *n
        {
            stop.raise();
        }
        Ok(())
    }
}

/// A fixture of the connectors crate (this module is shared with the binary's tests).
pub fn fixture(path: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let here = root.join("fixtures");
    let dir = if here.is_dir() {
        here
    } else {
        root.join("../connectors/fixtures")
    };
    let full = dir.join(path).display().to_string();
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// A fixture as one line (what a stream or a page sends).
pub fn one_line(path: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&fixture(path)).unwrap();
    v.to_string()
}
