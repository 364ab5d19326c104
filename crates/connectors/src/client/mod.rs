//! The I/O side of the connectors (feature `client`): the interface every platform's client
//! implements, and the pieces they share (HTTP with timeouts and rate-limit headers, backoff,
//! secrets, signatures, a stop flag).
//!
//! ```text
//! Source::run ──Batch{lines, checkpoint}──► Sink (the binary: pipeline → store → checkpoint)
//! outbox row ──Outgoing──► PlatformSender::send ──► Ok(remote id) | SendError
//! ```
//!
//! A [`Source`] reads one account (a stream, a poller, a webhook queue) and hands raw lines in
//! the platform's own JSON to the sink, which runs them through the same pure normalizers as
//! `palabre replay`; the checkpoint of a batch is saved only after the batch is stored, so a
//! restart resumes without loss (and dedupe makes the little read twice harmless).
//! A [`PlatformSender`] performs one outgoing action; the outbox (in the binary) decides when.

pub mod backoff;
pub mod batch;
pub mod de;
pub mod http;
pub mod poll;
pub mod rate;
pub mod resolve;
pub mod secret;
pub mod signature;
pub mod sse;
pub mod stop;

pub use backoff::Backoff;
pub use rate::RateGate;
pub use secret::Secret;
pub use stop::Stop;

use std::fmt;
use std::time::Duration;

/// What an outgoing action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A public reply to `target_id`.
    Reply,
    /// A private message to `recipient`.
    Direct,
    /// Hide the comment `target_id` under the brand's post (where the platform allows it).
    Hide,
    Unhide,
    /// Delete `target_id` (a comment under our post, or one of our own posts).
    Delete,
    /// A new post of the brand's.
    Post,
}

impl Action {
    pub fn parse(raw: &str) -> Option<Action> {
        Some(match raw {
            "reply" => Action::Reply,
            "direct" => Action::Direct,
            "hide" => Action::Hide,
            "unhide" => Action::Unhide,
            "delete" => Action::Delete,
            "post" => Action::Post,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Reply => "reply",
            Action::Direct => "direct",
            Action::Hide => "hide",
            Action::Unhide => "unhide",
            Action::Delete => "delete",
            Action::Post => "post",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One outgoing action as a connector sees it.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    /// Derived from the action's cause; the same key must never make two posts. Platforms
    /// with idempotency (Mastodon's `Idempotency-Key`) get it as is; others derive what they
    /// can from it (a Bluesky record key).
    pub idem_key: &'a str,
    pub action: Action,
    /// The platform id of the message answered, hidden or deleted.
    pub target_id: Option<&'a str>,
    /// The raw stored payload of that message (a Bluesky CID, a Messenger sender id).
    pub target_raw: Option<&'a str>,
    /// The platform id of the conversation's root (Bluesky replies name it).
    pub root_id: Option<&'a str>,
    /// Who receives a direct message (the author of `target_id`).
    pub recipient: Option<&'a str>,
    pub text: Option<&'a str>,
    /// A person wrote it (Messenger's HUMAN_AGENT tag allows 7 days instead of 24 hours).
    pub human: bool,
    /// When the recipient last wrote to us, for messaging windows (Unix ms).
    pub last_inbound_ms: Option<i64>,
    /// This key was already handed to the platform once (a crash, a timeout): the platform may
    /// have taken it. Connectors without idempotency check before posting again.
    pub resend: bool,
    /// When the action was queued (Unix ms): nothing it made on the platform is older, so a
    /// resend check reads back to there and no further.
    pub queued_ms: i64,
    /// The choices a question offers, for platforms that show them as buttons (Messenger and
    /// Instagram quick replies); the text numbers them for the others.
    pub quick_replies: &'a [QuickReply],
    /// The images a post carries, in order (empty for everything else).
    pub media: &'a [Media<'a>],
}

/// One image of a post, checked against the platform's rules before it was scheduled
/// (`palabre_core::media`).
#[derive(Debug, Clone, Copy)]
pub struct Media<'a> {
    pub bytes: &'a [u8],
    /// `image/jpeg`, `image/png`, `image/gif` or `image/webp`.
    pub content_type: &'a str,
    pub width: u32,
    pub height: u32,
    /// Its description for people who cannot see it (may be empty).
    pub alt: &'a str,
    /// Where the platform can fetch it (`[publishing] media_url`): Instagram takes images by
    /// address only.
    pub url: Option<&'a str>,
}

impl Media<'_> {
    /// A file name for uploads that want one: `image-NUMBER.EXT`, the extension from the
    /// content type.
    pub fn file_name(&self, number: usize) -> String {
        let ext = palabre_core::media::Format::from_content_type(self.content_type)
            .map_or("bin", palabre_core::media::Format::extension);
        format!("image-{number}.{ext}")
    }
}

/// A choice offered as a button: what it shows, and what comes back when it is tapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickReply {
    pub title: String,
    pub payload: String,
}

/// Why an action was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth another try: a 5xx, a timeout, a 429 (with the platform's reset, Unix ms).
    #[error("{error}")]
    Retry { error: String, at_ms: Option<i64> },
    /// Not tried: the account's rate limit is used up until `at_ms`. Not an attempt.
    #[error("rate limit used up until {at_ms}")]
    NotBefore { at_ms: i64 },
    /// The platform said to slow down (a 429, a rate-limit error) and did nothing: wait until
    /// its reset (`at_ms`, when it gives one). Not an attempt: a platform that refuses for ten
    /// minutes must not kill the actions waiting for it.
    #[error("{error}")]
    Limited { error: String, at_ms: Option<i64> },
    /// The token is expired or revoked: a person must renew it. Never retried in a loop.
    #[error("{0}")]
    Auth(String),
    /// No retry will fix it: a refusal, a closed messaging window, an action the platform lacks.
    #[error("{0}")]
    Fatal(String),
}

/// The sending side of one account.
pub trait PlatformSender: Send + Sync {
    /// Performs one action; the platform's id of what it created, if it gives one.
    fn send(&self, out: &Outgoing<'_>) -> Result<Option<String>, SendError>;

    /// The public address of a post this account published, when the platform alone knows it
    /// (Instagram's permalink); `None` where Palabre derives it from the id
    /// (`palabre_core::post::link`) or cannot learn it.
    fn permalink(&self, _remote_id: &str) -> Option<String> {
        None
    }
}

/// What a source read: raw lines in the platform's JSON (one document each, as the normalizers
/// and `palabre replay` take them), and where to resume once they are stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    pub lines: Vec<String>,
    pub checkpoint: Option<String>,
}

/// Where a source hands its batches: the binary runs them through the pipeline and stores them
/// before it saves the checkpoint. An error means the batch was not stored: the source stops
/// and is restarted from the last saved checkpoint.
pub trait Sink {
    fn accept(&mut self, batch: Batch) -> Result<(), String>;
}

/// Why a source stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The connection dropped or the platform failed: reconnect (after `retry_in` if the
    /// platform documents a delay, else with the supervisor's backoff).
    #[error("{error}")]
    Disconnected {
        error: String,
        retry_in: Option<Duration>,
    },
    /// The token is expired or revoked: alert in the inbox, retry rarely.
    #[error("{0}")]
    Auth(String),
    /// The configuration cannot work (a bad URL, a missing setting): stop this source.
    #[error("{0}")]
    Config(String),
    /// The sink refused the batch (the store is down): retry from the checkpoint.
    #[error("could not store what was read: {0}")]
    Sink(String),
}

/// One account's reading side: a stream, a poller or a webhook queue.
pub trait Source: Send {
    /// Reads from `checkpoint` (None: from now) until `stop` is raised (returns Ok) or the
    /// connection fails (returns the error; the supervisor reconnects).
    fn run(
        &mut self,
        checkpoint: Option<&str>,
        sink: &mut dyn Sink,
        stop: &Stop,
    ) -> Result<(), SourceError>;
}

/// An HTTP answer a webhook endpoint gives directly (a verification challenge, an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Reply {
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into(),
        }
    }

    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Reply {
            status,
            content_type: "application/json",
            body: body.into(),
        }
    }
}

/// One account's webhook (`/webhooks/NAME`): the platform's verification handshake and the
/// signature of each delivery. A delivery that passes is queued durably as its raw body and
/// acknowledged; the ingest thread runs it through the normalizers afterwards.
pub trait WebhookEndpoint: Send + Sync {
    /// A GET from the platform: Meta's `hub.challenge`, X's `crc_token`.
    fn challenge(&self, query: &[(String, String)]) -> Reply;
    /// Whether a POST body carries the platform's valid signature (headers lower-cased). The
    /// error says what was wrong, for the log (the platform gets a bare 401).
    fn verify(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<(), String>;
}
