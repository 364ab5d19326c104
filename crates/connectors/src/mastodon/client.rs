//! The Mastodon client: streaming over server-sent events (heartbeats, an idle timeout,
//! reconnection), notification polling with `min_id` (the checkpoint: no mention is missed
//! across a restart or a disconnection), and sending through `POST /api/v1/statuses` with an
//! `Idempotency-Key` (Mastodon keeps it an hour: the same key never makes a second post).
//! Rate limits come from `X-RateLimit-Remaining` and `X-RateLimit-Reset` (an ISO timestamp).
//!
//! A post's images go first, each through `POST /api/v2/media` (multipart `file`, and
//! `description` for its alt text). Mastodon answers 200 when the image is ready, 202 while it
//! is still being processed (its `url` is null): the sender then reads `GET /api/v1/media/:id`
//! until the `url` is there, for at most [`MEDIA_WAIT`]. The status names them in `media_ids[]`
//! and keeps its `Idempotency-Key`. An image Mastodon refuses (422 `Validation failed: …`) is a
//! refusal of the post in Mastodon's words; nothing is posted.

use crate::client::batch::Batcher;
use crate::client::http::{self, RateHeaders};
use crate::client::sse::{SseLine, SseParser};
use crate::client::{
    Action, Batch, Media, Outgoing, PlatformSender, RateGate, Secret, SendError, Sink, Source,
    SourceError, Stop,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::io::BufRead;
use std::sync::Arc;
use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::time::{Duration, Instant};
use ureq::unversioned::multipart::Form;

/// `[[accounts]] platform = "mastodon"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The account's name in Palabre (checkpoints, health, logs).
    pub name: String,
    /// The server, e.g. `https://mastodon.social`.
    pub base_url: String,
    /// The streaming server when it is not reachable through `base_url`.
    pub streaming_url: Option<String>,
    /// An access token with `read` and `write` scopes (`env:NAME` reads it from the environment).
    pub access_token: Secret,
    /// Streams to follow: `user:notification` (mentions and direct messages, caught up by
    /// polling after each reconnection), `user`, `hashtag:TAG`, `public`, `public:local`.
    #[serde(default = "default_streams")]
    pub streams: Vec<String>,
    /// Poll notifications this often instead of (or besides) streaming, e.g. `60s`.
    pub poll_every: Option<String>,
    /// No byte (not even a heartbeat) for this long means the stream is dead (default 60s).
    pub idle_timeout: Option<String>,
    /// Visibility of public replies: `public`, `unlisted` (default) or `private`. Replies to a
    /// direct message stay direct.
    pub reply_visibility: Option<String>,
    /// Posts per minute to stay under whatever the headers say (default: headers only).
    pub per_minute: Option<u32>,
    /// Timeout of each API call (default 30s).
    pub timeout: Option<String>,
}

/// The longest the sender waits for Mastodon to finish processing an uploaded image.
pub const MEDIA_WAIT: Duration = Duration::from_secs(5);

fn default_streams() -> Vec<String> {
    vec!["user:notification".into()]
}

fn duration(raw: &Option<String>, default: Duration, field: &str) -> Result<Duration, String> {
    match raw {
        Some(r) => palabre_core::parse_duration(r).map_err(|e| format!("{field}: {e}")),
        None => Ok(default),
    }
}

/// What one account's configuration became.
pub struct Parts {
    pub sources: Vec<(String, Box<dyn Source>)>,
    pub sender: Arc<dyn PlatformSender>,
}

/// Builds the account's sources and sender (nothing is contacted yet).
pub fn build(config: &Config) -> Result<Parts, String> {
    let base = config.base_url.trim_end_matches('/').to_owned();
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        return Err(format!("base_url `{base}` must start with https://"));
    }
    let visibility = config
        .reply_visibility
        .clone()
        .unwrap_or_else(|| "unlisted".into());
    if !["public", "unlisted", "private"].contains(&visibility.as_str()) {
        return Err(format!(
            "reply_visibility `{visibility}`: use public, unlisted or private"
        ));
    }
    let timeout = duration(&config.timeout, Duration::from_secs(30), "timeout")?;
    let client = Arc::new(Client {
        agent: http::agent(timeout),
        streaming: http::streaming_agent(timeout),
        streaming_base: config
            .streaming_url
            .as_deref()
            .map(|s| s.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| base.clone()),
        base,
        token: config.access_token.clone(),
        gate: RateGate::new(config.per_minute),
        media_gate: RateGate::new(None),
        reply_visibility: visibility,
    });
    let idle = duration(
        &config.idle_timeout,
        Duration::from_secs(60),
        "idle_timeout",
    )?;
    let mut sources: Vec<(String, Box<dyn Source>)> = Vec::new();
    for stream in &config.streams {
        let path = stream_path(stream)?;
        sources.push((
            format!("stream:{stream}"),
            Box::new(StreamSource {
                client: client.clone(),
                path,
                catch_up: stream == "user:notification" || stream == "user",
                idle,
            }),
        ));
    }
    if let Some(every) = &config.poll_every {
        let every = palabre_core::parse_duration(every).map_err(|e| format!("poll_every: {e}"))?;
        sources.push((
            "notifications".into(),
            Box::new(PollSource {
                client: client.clone(),
                every,
            }),
        ));
    }
    if sources.is_empty() {
        return Err("nothing to read: give `streams` or `poll_every`".into());
    }
    Ok(Parts {
        sources,
        sender: Arc::new(Sender { client }),
    })
}

/// The SSE path of a stream name.
fn stream_path(stream: &str) -> Result<String, String> {
    Ok(match stream.split_once(':') {
        None if stream == "user" => "/api/v1/streaming/user".into(),
        None if stream == "public" => "/api/v1/streaming/public".into(),
        Some(("user", "notification")) => "/api/v1/streaming/user/notification".into(),
        Some(("public", "local")) => "/api/v1/streaming/public/local".into(),
        Some(("hashtag", tag)) if !tag.is_empty() => {
            format!("/api/v1/streaming/hashtag?tag={}", encode(tag))
        }
        _ => {
            return Err(format!(
                "unknown stream `{stream}` (use user:notification, user, hashtag:TAG, public or public:local)"
            ));
        }
    })
}

/// Percent-encodes a query value.
fn encode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

struct Client {
    agent: ureq::Agent,
    streaming: ureq::Agent,
    base: String,
    streaming_base: String,
    token: Secret,
    gate: RateGate,
    /// Media uploads have their own limit on Mastodon (30 in 30 minutes by default).
    media_gate: RateGate,
    reply_visibility: String,
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Mastodon ids are numbers written as strings: compare by length, then text.
fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[derive(Deserialize)]
struct IdOnly<'a> {
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
}

/// What a failed read means for a source.
fn read_error(status: u16, limits: &RateHeaders, what: &str, body: &str) -> SourceError {
    match http::classify(status, limits, what, body) {
        SendError::Auth(e) => SourceError::Auth(e),
        SendError::Retry { error, at_ms } => SourceError::Disconnected {
            error,
            retry_in: at_ms
                .map(|at| Duration::from_millis((at - now_ms()).clamp(1000, 900_000) as u64)),
        },
        SendError::Fatal(e) if status == 404 => {
            SourceError::Config(format!("{e}: is base_url right?"))
        }
        other => SourceError::Disconnected {
            error: other.to_string(),
            retry_in: None,
        },
    }
}

impl Client {
    fn auth(&self) -> String {
        format!("Bearer {}", self.token.expose())
    }

    /// One page of mention notifications newer than `min_id` (oldest first), or the newest one.
    fn notifications(&self, min_id: Option<&str>) -> Result<Vec<(String, String)>, SourceError> {
        let url = match min_id {
            Some(id) => format!(
                "{}/api/v1/notifications?types[]=mention&limit=40&min_id={}",
                self.base,
                encode(id)
            ),
            None => format!("{}/api/v1/notifications?types[]=mention&limit=1", self.base),
        };
        let what = "mastodon GET /api/v1/notifications";
        let mut resp = self
            .agent
            .get(&url)
            .header("Authorization", &self.auth())
            .call()
            .map_err(|e| SourceError::Disconnected {
                error: format!("{what}: {e}"),
                retry_in: None,
            })?;
        let limits = RateHeaders::read(resp.headers(), now_ms());
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| SourceError::Disconnected {
                error: format!("{what}: {e}"),
                retry_in: None,
            })?;
        if status != 200 {
            return Err(read_error(status, &limits, what, &body));
        }
        let page: Vec<Box<RawValue>> =
            serde_json::from_str(&body).map_err(|e| SourceError::Disconnected {
                error: format!("{what}: the server answered 200 with something else than a list of notifications ({e}): {}", http::short(&body)),
                retry_in: None,
            })?;
        let mut out = Vec::with_capacity(page.len());
        for raw in page {
            let id = serde_json::from_str::<IdOnly>(raw.get())
                .map(|i| i.id.into_owned())
                .map_err(|e| SourceError::Disconnected {
                    error: format!("{what}: a notification without an id ({e})"),
                    retry_in: None,
                })?;
            out.push((id, raw.get().to_owned()));
        }
        out.sort_by(|a, b| id_order(&a.0, &b.0));
        Ok(out)
    }

    /// Everything newer than the checkpoint, page by page, each page stored before the next.
    /// Without a checkpoint, only notes where "now" is (old mentions are not answered).
    fn catch_up(
        &self,
        checkpoint: Option<&str>,
        sink: &mut dyn Sink,
        stop: &Stop,
    ) -> Result<Option<String>, SourceError> {
        let Some(mut cursor) = checkpoint.map(str::to_owned) else {
            let newest = self.notifications(None)?.pop().map(|(id, _)| id);
            let newest = newest.unwrap_or_else(|| "0".into());
            sink.accept(Batch {
                lines: Vec::new(),
                checkpoint: Some(newest.clone()),
            })
            .map_err(SourceError::Sink)?;
            return Ok(Some(newest));
        };
        let mut handed = false;
        while !stop.is_raised() {
            let page = self.notifications(Some(&cursor))?;
            let full = page.len() >= 40;
            let Some((last, _)) = page.last() else { break };
            handed = true;
            cursor = last.clone();
            sink.accept(Batch {
                lines: page.into_iter().map(|(_, raw)| raw).collect(),
                checkpoint: Some(cursor.clone()),
            })
            .map_err(SourceError::Sink)?;
            if !full {
                break;
            }
        }
        if !handed {
            // Nothing new, but the server answered: say so (the account's health turns `ok`).
            sink.accept(Batch {
                lines: Vec::new(),
                checkpoint: Some(cursor.clone()),
            })
            .map_err(SourceError::Sink)?;
        }
        Ok(Some(cursor))
    }
}

/// Polls mention notifications every `every`.
struct PollSource {
    client: Arc<Client>,
    every: Duration,
}

impl Source for PollSource {
    fn run(
        &mut self,
        checkpoint: Option<&str>,
        sink: &mut dyn Sink,
        stop: &Stop,
    ) -> Result<(), SourceError> {
        let mut cursor = checkpoint.map(str::to_owned);
        loop {
            cursor = self.client.catch_up(cursor.as_deref(), sink, stop)?;
            if stop.sleep(self.every) {
                return Ok(());
            }
        }
    }
}

/// What the reader thread passes on.
enum Read {
    Event {
        event: String,
        data: String,
    },
    Alive,
    /// The connection ended (cleanly or not).
    End(String),
}

/// Follows one SSE stream.
struct StreamSource {
    client: Arc<Client>,
    path: String,
    /// Catch up on mentions by polling before streaming (the stream itself cannot resume).
    catch_up: bool,
    idle: Duration,
}

impl Source for StreamSource {
    fn run(
        &mut self,
        checkpoint: Option<&str>,
        sink: &mut dyn Sink,
        stop: &Stop,
    ) -> Result<(), SourceError> {
        let url = format!("{}{}", self.client.streaming_base, self.path);
        let what = format!("mastodon stream {}", self.path);
        let resp = self
            .client
            .streaming
            .get(&url)
            .header("Authorization", &self.client.auth())
            .header("Accept", "text/event-stream")
            .call()
            .map_err(|e| SourceError::Disconnected {
                error: format!("{what}: {e}"),
                retry_in: None,
            })?;
        let status = resp.status().as_u16();
        if status != 200 {
            let limits = RateHeaders::read(resp.headers(), now_ms());
            let body = resp.into_body().read_to_string().unwrap_or_default();
            return Err(read_error(status, &limits, &what, &body));
        }
        let reader = resp.into_body().into_reader();
        // A blocking read cannot time out by itself: a reader thread reads, this one watches
        // the idle time. When this one gives up, the reader ends at its next read (its channel
        // is gone).
        // What was read goes over in chunks: everything already received (until the next read
        // would wait for the network), so a fast stream costs one hand-over per chunk, not per
        // line.
        let (tx, rx) = sync_channel::<Vec<Read>>(64);
        std::thread::Builder::new()
            .name("mastodon sse".into())
            .spawn(move || {
                let mut reader = std::io::BufReader::with_capacity(256 * 1024, reader);
                let mut parser = SseParser::new();
                let mut line = String::new();
                let mut chunk: Vec<Read> = Vec::with_capacity(256);
                loop {
                    line.clear();
                    let read = match reader.read_line(&mut line) {
                        Ok(0) => Some(Read::End("the server closed the stream".into())),
                        Ok(_) if !line.ends_with('\n') => {
                            Some(Read::End("the stream ended in the middle of a line".into()))
                        }
                        Ok(_) => match parser.line(&line) {
                            SseLine::Event(e) => Some(Read::Event {
                                event: e.event,
                                data: e.data,
                            }),
                            SseLine::Heartbeat | SseLine::Partial => {
                                chunk.is_empty().then_some(Read::Alive)
                            }
                        },
                        Err(e) => Some(Read::End(format!("reading the stream: {e}"))),
                    };
                    let end = matches!(read, Some(Read::End(_)));
                    chunk.extend(read);
                    if (end || chunk.len() >= 256 || reader.buffer().is_empty())
                        && !chunk.is_empty()
                    {
                        if tx.send(std::mem::take(&mut chunk)).is_err() {
                            return;
                        }
                        chunk.reserve(256);
                    }
                    if end {
                        return;
                    }
                }
            })
            .map_err(|e| SourceError::Disconnected {
                error: format!("cannot start a reader thread: {e}"),
                retry_in: None,
            })?;
        // Caught up only once the stream is open (its events wait in the channel meanwhile):
        // a mention made between the two is in one or the other, never in neither.
        let cursor = match self.catch_up {
            true => self.client.catch_up(checkpoint, sink, stop)?,
            false => {
                // The stream is open: the account's health turns `ok`.
                sink.accept(Batch::default()).map_err(SourceError::Sink)?;
                None
            }
        };
        tracing::info!(stream = %self.path, "streaming");
        let mut batch = Batcher::new(cursor);
        let mut last_byte = Instant::now();
        loop {
            if stop.is_raised() {
                batch.flush(sink)?;
                return Ok(());
            }
            let chunk = match rx.recv_timeout(batch.wait()) {
                Ok(chunk) => chunk,
                Err(RecvTimeoutError::Timeout) => {
                    if batch.lines_due() {
                        batch.flush(sink)?;
                    }
                    if last_byte.elapsed() >= self.idle {
                        batch.flush(sink)?;
                        return Err(SourceError::Disconnected {
                            error: format!(
                                "{what}: nothing received for {} s (not even a heartbeat)",
                                self.idle.as_secs()
                            ),
                            retry_in: None,
                        });
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    batch.flush(sink)?;
                    return Err(SourceError::Disconnected {
                        error: format!("{what}: the reader stopped"),
                        retry_in: None,
                    });
                }
            };
            last_byte = Instant::now();
            for read in chunk {
                match read {
                    Read::Alive => {}
                    Read::Event { event, data } => {
                        match event.as_str() {
                            "notification" | "update" => {
                                if event == "notification"
                                    && self.catch_up
                                    && let Ok(n) = serde_json::from_str::<IdOnly>(&data)
                                    && batch
                                        .checkpoint()
                                        .is_none_or(|c| id_order(&n.id, c).is_gt())
                                {
                                    batch.advance(n.id.into_owned());
                                }
                                batch.push(data);
                            }
                            "delete" => batch.push(
                                serde_json::json!({"event": "delete", "payload": data}).to_string(),
                            ),
                            other => tracing::debug!(event = other, "stream event not read"),
                        }
                        if batch.lines_due() {
                            batch.flush(sink)?;
                        }
                    }
                    Read::End(error) => {
                        batch.flush(sink)?;
                        return Err(SourceError::Disconnected {
                            error: format!("{what}: {error}"),
                            retry_in: None,
                        });
                    }
                }
            }
        }
    }
}

/// Who wrote the message answered and how visible it was, from its stored payload (a status,
/// a notification, or a streaming event).
fn answered(raw: &str) -> Option<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(raw).ok()?;
    let v = match v.get("payload").and_then(|p| p.as_str()) {
        Some(p) => serde_json::from_str(p).ok()?,
        None => v,
    };
    let status = v.get("status").filter(|s| s.is_object()).unwrap_or(&v);
    let acct = status.get("account")?.get("acct")?.as_str()?.to_owned();
    let visibility = status
        .get("visibility")
        .and_then(|x| x.as_str())
        .unwrap_or("public")
        .to_owned();
    Some((acct, visibility))
}

struct Sender {
    client: Arc<Client>,
}

impl Sender {
    fn call(
        &self,
        method: &str,
        path: &str,
        idem_key: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Option<String>, SendError> {
        let url = format!("{}{}", self.client.base, path);
        let what = format!(
            "mastodon {method} {}",
            path.split('?').next().unwrap_or(path)
        );
        let auth = self.client.auth();
        let result = match (method, body) {
            ("DELETE", _) => self
                .client
                .agent
                .delete(&url)
                .header("Authorization", &auth)
                .call(),
            (_, Some(body)) => self
                .client
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .header("Idempotency-Key", idem_key)
                .send_json(&body),
            (_, None) => self
                .client
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .header("Idempotency-Key", idem_key)
                .send_empty(),
        };
        let mut resp = result.map_err(|e| http::transport(&what, &e))?;
        let limits = RateHeaders::read(resp.headers(), now_ms());
        let status = resp.status().as_u16();
        self.client.gate.observe(status, &limits, now_ms());
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        if !(200..300).contains(&status) {
            return Err(http::classify(status, &limits, &what, &text));
        }
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|_| SendError::Retry {
            error: format!(
                "{what}: answered {status} with a body that is not JSON: {}",
                http::short(&text)
            ),
            at_ms: None,
        })?;
        // A success that carries an error: a validation refusal will not change; anything
        // else did not say what happened, and another try with the same idempotency key is
        // safe (bounded by the outbox's attempts).
        if let Some(error) = v.get("error").and_then(|e| e.as_str()) {
            let error = format!("{what}: answered {status} with an error: {error}");
            return Err(if error.contains("Validation failed") {
                SendError::Fatal(error)
            } else {
                SendError::Retry { error, at_ms: None }
            });
        }
        Ok(v.get("id").and_then(|i| i.as_str()).map(str::to_owned))
    }
}

impl Sender {
    /// Uploads the images of a post, in order, each with its description; once Mastodon has
    /// processed them all, their ids.
    fn upload_media(&self, media: &[Media<'_>]) -> Result<Vec<String>, SendError> {
        let mut ids = Vec::with_capacity(media.len());
        for (i, image) in media.iter().enumerate() {
            let number = i + 1;
            let what = format!("mastodon POST /api/v2/media (image {number})");
            let mut form = Form::new().part("file", http::image_part(image, number, &what)?);
            if !image.alt.trim().is_empty() {
                form = form.text("description", image.alt);
            }
            let (status, v) = self.media_call(
                || {
                    self.client
                        .agent
                        .post(format!("{}/api/v2/media", self.client.base))
                        .header("Authorization", &self.client.auth())
                        .send(form)
                },
                &what,
                number,
            )?;
            let id = v
                .get("id")
                .and_then(|i| i.as_str())
                .map(str::to_owned)
                .ok_or_else(|| SendError::Retry {
                    error: format!("{what}: answered {status} without an id"),
                    at_ms: None,
                })?;
            if status == 202 || v.get("url").is_none_or(|u| u.is_null()) {
                self.wait_processed(&id, number)?;
            }
            ids.push(id);
        }
        Ok(ids)
    }

    /// Reads the attachment until Mastodon gives its `url` (processed), for at most
    /// [`MEDIA_WAIT`].
    fn wait_processed(&self, id: &str, number: usize) -> Result<(), SendError> {
        let what = format!("mastodon GET /api/v1/media/:id (image {number})");
        let started = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            std::thread::sleep(pause.min(MEDIA_WAIT.saturating_sub(started.elapsed())));
            let (status, v) = self.media_call(
                || {
                    self.client
                        .agent
                        .get(format!("{}/api/v1/media/{}", self.client.base, encode(id)))
                        .header("Authorization", &self.client.auth())
                        .call()
                },
                &what,
                number,
            )?;
            // 206 Partial Content: still processing.
            if status == 200 && v.get("url").is_some_and(|u| u.is_string()) {
                return Ok(());
            }
            if started.elapsed() >= MEDIA_WAIT {
                return Err(SendError::Retry {
                    error: format!(
                        "Mastodon was still processing the image {number} after {} s",
                        MEDIA_WAIT.as_secs()
                    ),
                    at_ms: None,
                });
            }
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    /// One answer of the media endpoints: its status and JSON, or what its failure means (a
    /// refusal in Mastodon's words: `Mastodon refused the image N: …`).
    fn media_call(
        &self,
        request: impl FnOnce() -> Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        what: &str,
        number: usize,
    ) -> Result<(u16, serde_json::Value), SendError> {
        self.client
            .media_gate
            .acquire(now_ms())
            .map_err(|at_ms| SendError::NotBefore { at_ms })?;
        let mut resp = request().map_err(|e| http::transport(what, &e))?;
        let limits = RateHeaders::read(resp.headers(), now_ms());
        let status = resp.status().as_u16();
        self.client.media_gate.observe(status, &limits, now_ms());
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        let v: Option<serde_json::Value> = serde_json::from_str(&text).ok();
        let error = v
            .as_ref()
            .and_then(|v| v.get("error"))
            .and_then(|e| e.as_str())
            .map(str::to_owned);
        if !(200..300).contains(&status) {
            return Err(match http::classify(status, &limits, what, &text) {
                SendError::Fatal(_) => SendError::Fatal(format!(
                    "Mastodon refused the image {number}: {}",
                    error.unwrap_or_else(|| format!("HTTP {status} {}", http::short(&text)))
                )),
                other => other,
            });
        }
        match (v, error) {
            (Some(_), Some(error)) => Err(SendError::Fatal(format!(
                "Mastodon refused the image {number}: {error}"
            ))),
            (Some(v), None) => Ok((status, v)),
            (None, _) => Err(SendError::Retry {
                error: format!(
                    "{what}: answered {status} with a body that is not JSON: {}",
                    http::short(&text)
                ),
                at_ms: None,
            }),
        }
    }
}

impl PlatformSender for Sender {
    fn send(&self, out: &Outgoing<'_>) -> Result<Option<String>, SendError> {
        self.client
            .gate
            .acquire(now_ms())
            .map_err(|at_ms| SendError::NotBefore { at_ms })?;
        match out.action {
            Action::Reply | Action::Direct | Action::Post => {
                let text = out
                    .text
                    .filter(|t| !t.trim().is_empty())
                    .ok_or_else(|| SendError::Fatal("nothing to send: the text is empty".into()))?;
                let mut body = serde_json::json!({});
                let mut status = text.to_owned();
                let mut visibility = match out.action {
                    Action::Post => "public".to_owned(),
                    _ => self.client.reply_visibility.clone(),
                };
                if out.action != Action::Post {
                    let target = out.target_id.ok_or_else(|| {
                        SendError::Fatal("a reply needs the message it answers".into())
                    })?;
                    body["in_reply_to_id"] = target.into();
                    if let Some((acct, original)) = out.target_raw.and_then(answered) {
                        // Mastodon notifies only the accounts a status mentions.
                        let mention = format!("@{acct}");
                        if !status.split_whitespace().any(|w| w.trim_end_matches([',', ':', '!', '?', '.']) == mention) {
                            status = format!("{mention} {status}");
                        }
                        if original == "direct" {
                            visibility = "direct".into();
                        }
                    }
                    if out.action == Action::Direct {
                        visibility = "direct".into();
                    }
                }
                body["status"] = status.into();
                body["visibility"] = visibility.into();
                if !out.media.is_empty() {
                    body["media_ids"] = self.upload_media(out.media)?.into();
                }
                self.call("POST", "/api/v1/statuses", out.idem_key, Some(body))
            }
            Action::Delete => {
                let target = out
                    .target_id
                    .ok_or_else(|| SendError::Fatal("delete needs a status id".into()))?;
                self.call(
                    "DELETE",
                    &format!("/api/v1/statuses/{}", encode(target)),
                    out.idem_key,
                    None,
                )
                .map(|_| Some(target.to_owned()))
            }
            Action::Hide | Action::Unhide => Err(SendError::Fatal(
                "Mastodon has no way to hide a reply under our post: block or report the account, or answer it"
                    .into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn stream_names_become_paths() {
        assert_eq!(
            stream_path("user:notification").unwrap(),
            "/api/v1/streaming/user/notification"
        );
        assert_eq!(
            stream_path("hashtag:MonRésultat").unwrap(),
            "/api/v1/streaming/hashtag?tag=MonR%C3%A9sultat"
        );
        assert!(stream_path("hashtag:").is_err());
        assert!(
            stream_path("everything")
                .unwrap_err()
                .contains("unknown stream")
        );
    }

    #[test]
    fn ids_compare_as_numbers() {
        assert!(id_order("109", "99").is_gt());
        assert!(id_order("110", "109").is_gt());
    }

    #[test]
    fn the_author_and_visibility_come_from_any_stored_shape() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/mastodon/");
        let n = std::fs::read_to_string(format!("{dir}notification_mention.json")).unwrap();
        let (acct, _) = answered(&n).unwrap();
        assert!(!acct.is_empty());
        let d = std::fs::read_to_string(format!("{dir}status_direct_with_mention.json")).unwrap();
        assert_eq!(answered(&d).unwrap().1, "direct");
        let s = std::fs::read_to_string(format!("{dir}streaming_update.json")).unwrap();
        assert!(answered(&s).is_some());
    }

    #[test]
    fn configuration_errors_are_clear() {
        let base = |extra: &str| {
            toml::from_str::<Config>(&format!(
                "name = \"m\"\nbase_url = \"https://example.social\"\naccess_token = \"t\"\n{extra}"
            ))
        };
        assert!(build(&base("").unwrap()).is_ok());
        assert!(
            build(&base("reply_visibility = \"loud\"").unwrap())
                .err()
                .unwrap()
                .contains("reply_visibility")
        );
        assert!(
            build(&base("streams = []").unwrap())
                .err()
                .unwrap()
                .contains("nothing to read")
        );
        assert!(base("tokn = \"x\"").is_err(), "unknown keys are refused");
    }
}
