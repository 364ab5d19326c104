//! `palabre bench --mode live`: `palabre serve` measured end to end, as it runs in production.
//! A local X API server (threads of the benchmark, on a loopback port) plays the synthetic
//! filtered stream at a set rate, each line stamped with the moment it is written; `palabre
//! serve` (this binary, a child process) reads it through the real X connector, decides with a
//! team of agents configured and a store already holding many conversations, and posts the
//! bot's answers back through the real X sender. Reported: the rate recorded, the lag from a
//! line written to its decision recorded (serve's `/metrics`), how long the backlog took to
//! drain once the stream stopped, queued → sent for the bot's answers, and serve's memory.

use crate::bench::{BenchArgs, Generator};
use serde::Serialize;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The teams the agents are spread over.
const TEAMS: usize = 50;
/// Messages per conversation of the pre-filled store.
const MESSAGES_PER: u64 = 2;
/// Where `"created_at":"…"` is in a generated line: its value is stamped at write time.
const CREATED_AT: &str = "\"created_at\":\"";
/// `2026-12-07T02:48:17.123Z`.
const STAMP_LEN: usize = 24;

#[derive(Debug, Serialize)]
pub struct LiveBench {
    pub offered_per_second: u64,
    pub seconds: u64,
    /// Lines written by the stream server (with the 5% exact repeats of the mix).
    pub events: u64,
    /// Distinct events among them: the messages serve must record.
    pub unique: u64,
    pub agents: usize,
    pub conversations_before: i64,
    /// How long writing the stream took (more than `seconds` when serve read slower than
    /// offered: the socket's buffers filled).
    pub written_in_seconds: f64,
    /// Distinct events recorded ÷ (writing + draining).
    pub recorded_per_second: f64,
    /// From the end of the stream to the last event recorded.
    pub drain_seconds: f64,
    /// Line written → decision recorded, over every event of the run.
    pub lag_ms: Quantiles,
    /// Time serve's store connections slept waiting for one another's write lock, in all
    /// (`palabre_store_lock_wait_seconds_total`).
    pub lock_wait_seconds: f64,
    /// The bot's answers: queued → received by the X server.
    pub replies_sent: u64,
    pub send_ms: Option<Quantiles>,
    /// Distinct events written and not recorded yet, each second.
    pub backlog_by_second: Vec<u64>,
    /// serve's anonymous resident memory (MiB: heap and stacks, not the mapped store), each
    /// second.
    pub rss_mib_by_second: Vec<f64>,
}

#[derive(Debug, Serialize)]
pub struct Quantiles {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

pub fn run(args: &BenchArgs) -> anyhow::Result<LiveBench> {
    let data = args.data.clone().unwrap_or_else(|| PathBuf::from("data"));
    std::fs::create_dir_all(&data)?;
    let events = args.rate * args.seconds;
    eprintln!("generating {events} stream lines…");
    let stream = Lines::generate(events, args.seed)?;
    let store = prepare_store(&data, args.conversations)?;
    let conversations_before = palabre_store::open(&store)?.counts()?.conversations as i64;
    let token = add_team(&store, args.agents)?;

    let server = XServer::start(stream, args.rate)?;
    let campaigns = crate::bench::write_synthetic_campaigns(&data, args.campaigns)?;
    let config = write_config(&data, server.url(), &campaigns)?;
    let mut serve = Serve::start(&config, &store, &data)?;
    eprintln!(
        "serve is up at {}; waiting for the stream to be read…",
        serve.url
    );
    let started = Instant::now();
    let mut backlog_by_second = Vec::new();
    let mut rss_mib_by_second = Vec::new();
    let progress = indicatif::ProgressBar::new(events);
    let mut last_sample = Instant::now();
    let written_in = loop {
        std::thread::sleep(Duration::from_millis(100));
        let written = server.state.written.load(Ordering::Relaxed);
        progress.set_position(written);
        if last_sample.elapsed() >= Duration::from_secs(1) {
            last_sample = Instant::now();
            let recorded = serve.recorded(&token).unwrap_or(0);
            backlog_by_second.push(
                server
                    .state
                    .lines
                    .unique_in(written)
                    .saturating_sub(recorded),
            );
            rss_mib_by_second.push(serve.rss_mib());
        }
        if let Some(took) = server.state.finished() {
            break took;
        }
        if started.elapsed() > Duration::from_secs(args.seconds * 10 + 120) {
            anyhow::bail!("the stream was not read within ten times its length");
        }
        serve.check()?;
    };
    progress.finish_and_clear();
    let unique = server.state.unique;
    eprintln!("stream written in {written_in:.1} s; waiting for serve to record all of it…");
    let drain_limit = Duration::from_secs(600);
    let end_of_stream = Instant::now();
    let drained = loop {
        let recorded = serve.recorded(&token)?;
        if recorded >= unique {
            break end_of_stream.elapsed();
        }
        if end_of_stream.elapsed() > drain_limit {
            anyhow::bail!(
                "serve recorded {recorded} of {unique} events within {} s of the stream's end",
                drain_limit.as_secs()
            );
        }
        if last_sample.elapsed() >= Duration::from_secs(1) {
            last_sample = Instant::now();
            backlog_by_second.push(unique.saturating_sub(recorded));
            rss_mib_by_second.push(serve.rss_mib());
        }
        serve.check()?;
        std::thread::sleep(Duration::from_millis(20));
    };
    let lag = serve.lag(&token)?;
    let lock_wait_seconds = serve.lock_wait_seconds(&token)?;
    // The bot's answers go out as the platform takes them: wait for the queue to empty.
    let wait_sends = Instant::now();
    while serve.waiting(&token)? > 0 && wait_sends.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(200));
    }
    serve.stop();
    let mut delays = palabre_store::Workspace::open(&store)?.send_delays("bot", 0)?;
    let send_ms = quantiles(&mut delays);
    let seconds_total = written_in + drained.as_secs_f64();
    Ok(LiveBench {
        offered_per_second: args.rate,
        seconds: args.seconds,
        events,
        unique,
        agents: args.agents,
        conversations_before,
        written_in_seconds: written_in,
        recorded_per_second: unique as f64 / seconds_total.max(1e-9),
        drain_seconds: drained.as_secs_f64(),
        lag_ms: lag,
        lock_wait_seconds,
        replies_sent: server.state.posts.load(Ordering::Relaxed),
        send_ms,
        backlog_by_second,
        rss_mib_by_second,
    })
}

fn quantiles(values: &mut [i64]) -> Option<Quantiles> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let at =
        |q: f64| values[((q * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1];
    Some(Quantiles {
        p50: at(0.5) as f64,
        p99: at(0.99) as f64,
        max: values[values.len() - 1] as f64,
    })
}

pub fn render(r: &LiveBench) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "live: {} events offered at {}/s for {} s ({} distinct), {} agents in {} teams, {} conversations stored before",
        r.events,
        r.offered_per_second,
        r.seconds,
        r.unique,
        r.agents,
        TEAMS.min(r.agents.max(1)),
        r.conversations_before
    );
    let _ = writeln!(
        out,
        "  written in {:.1} s, recorded at {:.0} events/s, backlog drained {:.2} s after the stream's end",
        r.written_in_seconds, r.recorded_per_second, r.drain_seconds
    );
    let _ = writeln!(
        out,
        "  line written → decision recorded: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        r.lag_ms.p50, r.lag_ms.p99, r.lag_ms.max
    );
    let _ = writeln!(
        out,
        "  store connections waiting for one another's write lock: {:.2} s in all",
        r.lock_wait_seconds
    );
    match &r.send_ms {
        Some(s) => {
            let _ = writeln!(
                out,
                "  {} bot answers, queued → sent: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
                r.replies_sent, s.p50, s.p99, s.max
            );
        }
        None => {
            let _ = writeln!(out, "  no bot answer sent");
        }
    }
    let join = |v: &[String]| v.join(" ");
    let _ = writeln!(
        out,
        "  backlog by second: {}",
        join(
            &r.backlog_by_second
                .iter()
                .map(|b| b.to_string())
                .collect::<Vec<_>>()
        )
    );
    let _ = writeln!(
        out,
        "  serve's memory (anonymous RSS, MiB) by second: {}",
        join(
            &r.rss_mib_by_second
                .iter()
                .map(|m| format!("{m:.0}"))
                .collect::<Vec<_>>()
        )
    );
    out
}

/// The stream, generated before the run (the server only stamps and writes).
struct Lines {
    lines: Vec<String>,
    /// Where each line's `created_at` value starts.
    stamp_at: Vec<usize>,
    /// Distinct events among the first `i + 1` lines.
    unique_through: Vec<u32>,
    unique: u64,
}

impl Lines {
    /// Distinct events among the first `written` lines.
    fn unique_in(&self, written: u64) -> u64 {
        match written {
            0 => 0,
            n => u64::from(self.unique_through[(n as usize).min(self.lines.len()) - 1]),
        }
    }
}

impl Lines {
    fn generate(events: u64, seed: u64) -> anyhow::Result<Lines> {
        let mut generator = Generator::new(seed);
        let mut seen = std::collections::HashSet::new();
        let mut lines = Vec::with_capacity(events as usize);
        let mut stamp_at = Vec::with_capacity(events as usize);
        let mut unique_through = Vec::with_capacity(events as usize);
        for _ in 0..events {
            let line = generator.next_line();
            let at = line
                .find(CREATED_AT)
                .map(|i| i + CREATED_AT.len())
                .filter(|&i| line.len() >= i + STAMP_LEN)
                .ok_or_else(|| anyhow::anyhow!("a generated line has no created_at"))?;
            let id_at = line.find("\"id\":\"").map_or(0, |i| i + 6);
            let id = line[id_at..].split('"').next().unwrap_or("").to_owned();
            seen.insert(id);
            unique_through.push(seen.len() as u32);
            lines.push(line);
            stamp_at.push(at);
        }
        Ok(Lines {
            unique: seen.len() as u64,
            lines,
            stamp_at,
            unique_through,
        })
    }
}

/// The template store with `conversations` conversations (filled once, reused), copied for
/// this run.
fn prepare_store(data: &Path, conversations: u64) -> anyhow::Result<String> {
    let run = data.join("bench-live-run.db");
    for file in ["bench-live-run.db", "bench-live-run-search.db"] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(data.join(format!("{file}{suffix}")));
        }
    }
    if conversations > 0 {
        let template = data.join(format!("bench-live-{conversations}.db"));
        let template = template.display().to_string();
        crate::bench_inbox::fill(&template, conversations, MESSAGES_PER)?;
        index_search(&template)?;
        // Closed: everything is in the main files (the store and its search index). Written
        // to disk before serve starts, or the kernel's write-back of the copies (2 GB for a
        // million conversations) would stall serve's first commits for up to a second.
        for (from, to) in [
            (PathBuf::from(&template), run.clone()),
            (
                data.join(format!("bench-live-{conversations}-search.db")),
                data.join("bench-live-run-search.db"),
            ),
        ] {
            std::fs::copy(&from, &to)?;
            std::fs::File::open(&to)?.sync_all()?;
        }
    }
    Ok(run.display().to_string())
}

/// Indexes the template's messages for search, as a store that `serve` has been keeping would
/// be: otherwise the indexer would spend the whole run catching up on the old messages.
fn index_search(store: &str) -> anyhow::Result<()> {
    eprintln!("indexing the template's messages for search (once)…");
    let indexed = palabre_store::Workspace::open(store)?.index_search_fully(50_000)?;
    if indexed > 0 {
        eprintln!("{indexed} messages indexed");
    }
    Ok(())
}

/// `agents` agents in [`TEAMS`] teams working on the inbox queue, and a manager's API token
/// (to read `/metrics`).
fn add_team(store: &str, agents: usize) -> anyhow::Result<String> {
    use palabre_store::workspace::Role;
    let mut ws = palabre_store::Workspace::open(store)?;
    let queues = vec!["inbox".to_owned()];
    for t in 0..TEAMS.min(agents.max(1)) {
        ws.set_team(&format!("team{t:02}"), &queues, &[])?;
    }
    for a in 0..agents {
        let team = vec![format!("team{:02}", a % TEAMS)];
        ws.create_user(&format!("agent{a:04}"), "Agent", "-", Role::Agent, &team)?;
    }
    let manager = ws
        .create_user("bench", "Bench", "-", Role::Manager, &[])?
        .ok_or_else(|| anyhow::anyhow!("cannot create the bench user"))?;
    let token = palabre_web::auth::random_token().map_err(|e| anyhow::anyhow!("{e}"))?;
    ws.create_api_token(manager, &palabre_web::auth::token_hash(&token), "bench")?;
    Ok(token)
}

/// serve's configuration: the brand's X account reading the local stream and posting to the
/// local server, the campaigns of `--campaigns` (the first answers `#MonRésultat` and a postal
/// code, which the stream holds); no pace of our own
/// (the local server has no limit).
fn write_config(data: &Path, url: &str, campaigns: &[PathBuf]) -> anyhow::Result<PathBuf> {
    let path = data.join("bench-live.toml");
    let files: Vec<String> = campaigns
        .iter()
        .map(|p| format!("{:?}", p.display().to_string()))
        .collect();
    std::fs::write(
        &path,
        format!(
            r#"[[channels]]
platform = "x"
id = "1000"
handle = "brand"

[guardrails]
per_channel_per_minute = 0
global_per_minute = 0

[campaigns]
files = [{files}]

[[accounts]]
platform = "x"
name = "bench-x"
user_id = "1000"
bearer_token = "bench-app-token"
user_token = "bench-user-token"
api_url = "{url}"
stream = true
rules = [{{ value = "@brand", tag = "brand" }}]
"#,
            files = files.join(", ")
        ),
    )?;
    Ok(path)
}

/// `palabre serve`, a child process.
struct Serve {
    child: std::process::Child,
    url: String,
    addr: std::net::SocketAddr,
}

impl Serve {
    fn start(config: &Path, store: &str, data: &Path) -> anyhow::Result<Serve> {
        let log = std::fs::File::create(data.join("bench-live-serve.log"))?;
        let mut child = std::process::Command::new(std::env::current_exe()?)
            .args(["serve", "--listen", "127.0.0.1:0", "--store", store])
            .env(
                "RUST_LOG",
                std::env::var("PALABRE_BENCH_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .arg("--config")
            .arg(config)
            .stdout(std::process::Stdio::piped())
            .stderr(log)
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout from serve"))?;
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.to_owned();
                    }
                }
                _ => {
                    let _ = child.wait();
                    anyhow::bail!(
                        "serve stopped before listening; see {}",
                        data.join("bench-live-serve.log").display()
                    );
                }
            }
        };
        std::thread::spawn(move || for _ in lines {});
        let addr = url.trim_start_matches("http://").parse()?;
        Ok(Serve { child, url, addr })
    }

    /// An error if serve stopped.
    fn check(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            anyhow::bail!("serve stopped during the run ({status})");
        }
        Ok(())
    }

    fn get(&self, token: &str, path: &str) -> anyhow::Result<String> {
        let mut s = TcpStream::connect(self.addr)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        )?;
        let mut answer = String::new();
        s.read_to_string(&mut answer)?;
        let (head, body) = answer
            .split_once("\r\n\r\n")
            .ok_or_else(|| anyhow::anyhow!("{path}: no answer"))?;
        if !head.starts_with("HTTP/1.1 200") {
            anyhow::bail!("{path}: {head}");
        }
        Ok(body.to_owned())
    }

    /// Events recorded so far (`palabre_decision_lag_seconds_count`).
    fn recorded(&self, token: &str) -> anyhow::Result<u64> {
        let metrics = self.get(token, "/metrics")?;
        Ok(metric(&metrics, "palabre_decision_lag_seconds_count").unwrap_or(0.0) as u64)
    }

    fn lag(&self, token: &str) -> anyhow::Result<Quantiles> {
        let metrics = self.get(token, "/metrics")?;
        let ms = |name: &str| metric(&metrics, name).map_or(f64::NAN, |s| s * 1000.0);
        Ok(Quantiles {
            p50: ms("palabre_decision_lag_seconds{quantile=\"0.5\"}"),
            p99: ms("palabre_decision_lag_seconds{quantile=\"0.99\"}"),
            max: ms("palabre_decision_lag_seconds_max"),
        })
    }

    fn lock_wait_seconds(&self, token: &str) -> anyhow::Result<f64> {
        let metrics = self.get(token, "/metrics")?;
        Ok(metric(&metrics, "palabre_store_lock_wait_seconds_total").unwrap_or(f64::NAN))
    }

    /// Actions waiting in the outbox.
    fn waiting(&self, token: &str) -> anyhow::Result<i64> {
        let body = self.get(token, "/api/outbox/waiting")?;
        let waiting: serde_json::Value = serde_json::from_str(&body)?;
        Ok(waiting
            .as_array()
            .map_or(0, |w| w.iter().filter_map(|g| g["count"].as_i64()).sum()))
    }

    /// serve's anonymous resident memory (MiB): its heap and stacks, without the pages of the
    /// store file it maps and reads (which the kernel may take back at any time).
    fn rss_mib(&self) -> f64 {
        crate::bench::status_mib(&self.child.id().to_string(), "RssAnon:")
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A value of the Prometheus text: the line starting with `name` followed by a space.
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// What the X server saw.
struct ServerState {
    lines: Lines,
    rate: u64,
    written: AtomicU64,
    /// Set when the whole stream was written: how long it took (in ms, +1 so that 0 is unset).
    written_in_ms: AtomicU64,
    posts: AtomicU64,
    streaming: AtomicBool,
    unique: u64,
}

impl ServerState {
    fn finished(&self) -> Option<f64> {
        match self.written_in_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some((ms - 1) as f64 / 1000.0),
        }
    }
}

/// The local X API: stream rules, the filtered stream, posting.
struct XServer {
    url: String,
    state: Arc<ServerState>,
}

impl XServer {
    fn start(lines: Lines, rate: u64) -> anyhow::Result<XServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(ServerState {
            unique: lines.unique,
            lines,
            rate: rate.max(1),
            written: AtomicU64::new(0),
            written_in_ms: AtomicU64::new(0),
            posts: AtomicU64::new(0),
            streaming: AtomicBool::new(false),
        });
        let shared = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || {
                    if let Err(e) = serve_connection(conn, &state) {
                        tracing::debug!(error = %e, "bench X server connection ended");
                    }
                });
            }
        });
        Ok(XServer { url, state })
    }

    fn url(&self) -> &str {
        &self.url
    }
}

fn serve_connection(conn: TcpStream, state: &ServerState) -> anyhow::Result<()> {
    conn.set_nodelay(true)?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut out = conn;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header)?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or("");
        let path = parts.next().unwrap_or("").split('?').next().unwrap_or("");
        let (status, answer) = match (method, path) {
            ("GET", "/2/tweets/search/stream") => return stream(out, state),
            ("GET", "/2/tweets/search/stream/rules") => (
                "200 OK",
                r#"{"data":[{"id":"1","value":"@brand","tag":"brand"}],"meta":{"result_count":1}}"#
                    .to_owned(),
            ),
            ("POST", "/2/tweets/search/stream/rules") => {
                ("200 OK", r#"{"meta":{"summary":{}}}"#.to_owned())
            }
            ("POST", "/2/tweets") => {
                let n = state.posts.fetch_add(1, Ordering::Relaxed);
                (
                    "201 Created",
                    format!(
                        r#"{{"data":{{"id":"{}","text":"ok"}}}}"#,
                        9_000_000_000_000u64 + n
                    ),
                )
            }
            _ => ("404 Not Found", r#"{"title":"Not Found"}"#.to_owned()),
        };
        write!(
            out,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
            answer.len()
        )?;
    }
}

/// The filtered stream: the first connection gets every line at the set rate, each stamped
/// with the moment it is written; later ones (a reconnection) only keep-alive heartbeats.
fn stream(conn: TcpStream, state: &ServerState) -> anyhow::Result<()> {
    let mut out = BufWriter::with_capacity(256 * 1024, conn);
    out.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
    )?;
    out.flush()?;
    if state.streaming.swap(true, Ordering::SeqCst) {
        loop {
            std::thread::sleep(Duration::from_secs(1));
            out.write_all(b"\r\n")?;
            out.flush()?;
        }
    }
    let started = Instant::now();
    let interval = 1.0 / state.rate as f64;
    let mut stamp_ms = i64::MIN;
    let mut stamp = String::new();
    for (i, line) in state.lines.lines.iter().enumerate() {
        let due = started + Duration::from_secs_f64(i as f64 * interval);
        let now = Instant::now();
        if due > now {
            out.flush()?;
            std::thread::sleep(due - now);
        }
        let at = jiff::Timestamp::now();
        if at.as_millisecond() != stamp_ms {
            stamp_ms = at.as_millisecond();
            stamp = at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        }
        let s = state.lines.stamp_at[i];
        out.write_all(&line.as_bytes()[..s])?;
        out.write_all(stamp.as_bytes())?;
        out.write_all(&line.as_bytes()[s + STAMP_LEN..])?;
        out.write_all(b"\r\n")?;
        state.written.fetch_add(1, Ordering::Relaxed);
    }
    out.flush()?;
    state
        .written_in_ms
        .store(started.elapsed().as_millis() as u64 + 1, Ordering::Relaxed);
    // Open until the benchmark ends: a closed stream would make the connector reconnect.
    loop {
        std::thread::sleep(Duration::from_secs(1));
        out.write_all(b"\r\n")?;
        out.flush()?;
    }
}
