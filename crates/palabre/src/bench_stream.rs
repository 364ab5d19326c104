//! `palabre bench --mode stream`: events/s from a live stream into the pipeline. A local replay
//! server plays a deterministic Mastodon notification stream over server-sent events; the real
//! Mastodon connector reads it (HTTP, SSE parsing, batching) and hands each batch to the same
//! engine as `palabre replay` (triage included), in memory or recorded to SQLite.

use crate::bench::{FR_TEXTS, Measure, TAG_NAMES, memory_mib};
use crate::engine::Engine;
use palabre_connectors::Format;
use palabre_connectors::client::{Batch, Sink, SourceError, Stop};
use palabre_pipeline::{Pipeline, Policy};
use palabre_triage::{TriageConfig, Triager};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

/// The SSE body, in the mix of `palabre bench`'s X stream: 5% repeats of a recent request by the
/// same author, 20% reblogs of the brand's status, and of the rest 70% mentions of the brand
/// (`notification` events) and 30% statuses that do not address it (`update` events, as on a
/// hashtag stream); 60% French.
pub fn stream_body(events: u64, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut body = Vec::with_capacity(events as usize * 900);
    let mut recent: Vec<(u64, String)> = Vec::new();
    for i in 0..events {
        let id = 110_000_000_000_000_000u64 + i * 2;
        let roll = rng.u32(0..100);
        let (author, text, kind) = if roll < 5 && !recent.is_empty() {
            let (a, t) = recent[rng.usize(0..recent.len())].clone();
            (a, t, "mention")
        } else if roll < 25 {
            (rng.u64(1..200_000), String::new(), "reblog")
        } else {
            let french = rng.u32(0..100) < 60;
            let texts = if french {
                &FR_TEXTS
            } else {
                &crate::bench::EN_TEXTS
            };
            let mut text = texts[rng.usize(0..texts.len())].to_owned();
            if rng.u32(0..3) == 0 {
                text.push_str(" #");
                text.push_str(TAG_NAMES[rng.usize(0..TAG_NAMES.len())]);
            }
            let author = rng.u64(1..200_000);
            if recent.len() < 256 {
                recent.push((author, text.clone()));
            } else {
                recent[rng.usize(0..256)] = (author, text.clone());
            }
            let kind = if rng.u32(0..100) < 70 {
                "mention"
            } else {
                "status"
            };
            (author, text, kind)
        };
        let at = jiff::Timestamp::from_second(1_790_000_000 + i as i64 / 50)
            .map(|t| t.to_string())
            .unwrap_or_default();
        let account = serde_json::json!({"id": author.to_string(), "username": format!("fan{author}"),
            "acct": format!("fan{author}@social.example"), "display_name": format!("Fan {author}"),
            "followers_count": author % 5000, "following_count": 120, "bot": false});
        let status = if kind == "reblog" {
            serde_json::json!({"id": (id + 1).to_string(), "created_at": at, "visibility": "public",
                "content": "", "account": account,
                "reblog": {"id": "109000000000000001", "created_at": "2026-09-01T10:00:00.000Z",
                    "visibility": "public", "content": "<p>Notre nouvelle offre est là</p>",
                    "account": {"id": "1", "username": "marque", "acct": "marque"},
                    "mentions": [], "tags": [], "media_attachments": []},
                "mentions": [], "tags": [], "media_attachments": []})
        } else if kind == "status" {
            serde_json::json!({"id": (id + 1).to_string(), "created_at": at, "visibility": "public",
                "language": null, "in_reply_to_id": null,
                "content": format!("<p>{}</p>", text.replace('&', "&amp;").replace('<', "&lt;")),
                "account": account, "mentions": [], "tags": [], "media_attachments": []})
        } else {
            serde_json::json!({"id": (id + 1).to_string(), "created_at": at, "visibility": "public",
                "language": null, "in_reply_to_id": null,
                "content": format!("<p><span class=\"h-card\"><a href=\"https://social.example/@marque\" class=\"u-url mention\">@<span>marque</span></a></span> {}</p>", text.replace('&', "&amp;").replace('<', "&lt;")),
                "account": account,
                "mentions": [{"id": "1", "username": "marque", "acct": "marque", "url": "https://social.example/@marque"}],
                "tags": [], "media_attachments": []})
        };
        if kind == "status" {
            body.extend_from_slice(b"event: update\ndata: ");
            body.extend_from_slice(status.to_string().as_bytes());
        } else {
            let notification = serde_json::json!({"id": id.to_string(), "type": kind,
                "created_at": at, "account": status["account"].clone(), "status": status});
            body.extend_from_slice(b"event: notification\ndata: ");
            body.extend_from_slice(notification.to_string().as_bytes());
        }
        body.extend_from_slice(b"\n\n");
        if i % 1000 == 0 {
            body.extend_from_slice(b":thump\n");
        }
    }
    body
}

/// Serves `body` as one SSE response to the first connection, then closes it.
fn replay_server(body: Vec<u8>) -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}", listener.local_addr()?);
    std::thread::Builder::new()
        .name("replay server".into())
        .spawn(move || -> std::io::Result<()> {
            let (stream, _) = listener.accept()?;
            let mut reader = BufReader::new(stream.try_clone()?);
            let mut line = String::new();
            while reader.read_line(&mut line)? > 0 && line != "\r\n" {
                line.clear();
            }
            let mut out = std::io::BufWriter::with_capacity(1 << 20, stream);
            out.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n",
            )?;
            out.write_all(&body)?;
            out.flush()
        })?;
    Ok(url)
}

/// Where the connector's batches go.
pub enum Into {
    /// Nowhere: the connector alone (HTTP, SSE parsing, batching).
    Nothing,
    /// The pipeline in memory, triage included.
    Pipeline,
    /// The pipeline, recorded to SQLite at this path.
    Sqlite(std::path::PathBuf),
}

struct EngineSink {
    engine: Option<Engine>,
    line: u64,
}

impl Sink for EngineSink {
    fn accept(&mut self, batch: Batch) -> Result<(), String> {
        let Some(engine) = self.engine.as_mut() else {
            self.line += batch.lines.len() as u64;
            return Ok(());
        };
        for l in &batch.lines {
            self.line += 1;
            engine
                .feed(self.line, l.as_bytes())
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// Streams `events` notifications through the connector into the pipeline (recorded to SQLite
/// at `sqlite` when given); the timer runs from the connection to the last event decided.
pub fn measure(events: u64, seed: u64, into: Into) -> anyhow::Result<Measure> {
    let body = stream_body(events, seed);
    let url = replay_server(body)?;
    let config: palabre_connectors::mastodon::client::Config = toml::from_str(&format!(
        "name = \"bench\"\nbase_url = \"{url}\"\naccess_token = \"bench\"\nstreams = [\"hashtag:bench\"]\nidle_timeout = \"30s\""
    ))?;
    let mut parts = palabre_connectors::mastodon::client::build(&config)
        .map_err(|e| anyhow::anyhow!("bench account: {e}"))?;
    let (_, mut source) = parts
        .sources
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no source"))?;
    let channel = "mastodon:1:marque"
        .parse()
        .map_or_else(|_| Vec::new(), |c| vec![c]);
    let pipeline = Pipeline::new(Policy::with_channels(channel))
        .with_triage(Arc::new(Triager::new(TriageConfig::default())));
    let out: Box<dyn Write + Send> = Box::new(std::io::sink());
    let (engine, mode) = match &into {
        Into::Sqlite(path) => {
            let _ = std::fs::remove_file(path);
            let store = Box::new(palabre_store::SqliteStore::open(path)?);
            (
                Some(Engine::recorded(
                    pipeline,
                    Format::Mastodon,
                    "bench".into(),
                    store,
                    out,
                )),
                "stream-sqlite",
            )
        }
        Into::Pipeline => (
            Some(Engine::direct(
                pipeline,
                Format::Mastodon,
                "bench".into(),
                out,
            )),
            "stream",
        ),
        Into::Nothing => (None, "stream-read"),
    };
    let mut sink = EngineSink { engine, line: 0 };
    let started = Instant::now();
    let result = source.run(None, &mut sink, &Stop::new());
    match result {
        Err(SourceError::Disconnected { error, .. }) if error.contains("closed") => {}
        other => anyhow::bail!("the stream did not end as expected: {other:?}"),
    }
    if let Some(engine) = sink.engine.take() {
        engine.finish()?;
    }
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(sink.line == events, "read {} events of {events}", sink.line);
    Ok(Measure {
        mode,
        events,
        seconds,
        events_per_second: events as f64 / seconds.max(1e-9),
        rss_mib_by_tenth: Vec::new(),
        peak_rss_mib: memory_mib().1,
    })
}
