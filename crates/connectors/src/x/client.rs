//! The X API v2 client: filtered stream with rule sync (`stream.rs`), mentions polling
//! (`mentions.rs`), sending (`send.rs`), and X's documented reconnection delays (`policy.rs`).
//!
//! ```text
//! GET /2/tweets/search/stream ──lines──► Sink      (app-only bearer; rules synced first)
//! GET /2/users/:id/mentions?since_id ──pages──► Sink (checkpoint: the newest id seen)
//! Outgoing ──► POST /2/tweets | POST /2/dm_conversations/with/:id/messages
//!              PUT /2/tweets/:id/hidden | DELETE /2/tweets/:id   (user-context bearer)
//!              images first: POST /2/media/upload (multipart), POST /2/media/metadata (alt)
//! ```
//!
//! Every line handed on is X's own JSON (a stream line, a mentions page with `data` and
//! `includes`), read by the same normalizer as `palabre replay`.

mod mentions;
mod policy;
mod send;
mod stream;
mod timeline;

pub use mentions::MentionsSource;
pub use policy::ReconnectPolicy;
pub use send::XSender;
pub use stream::StreamSource;

use crate::client::http::{self, RateHeaders};
use crate::client::{Secret, SendError, Source};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// The fields the normalizer reads, asked of every endpoint that returns tweets.
pub(crate) const TWEET_FIELDS: &str = "attachments,author_id,conversation_id,created_at,entities,geo,in_reply_to_user_id,lang,note_tweet,referenced_tweets";
pub(crate) const EXPANSIONS: &str = "author_id,referenced_tweets.id,referenced_tweets.id.author_id,in_reply_to_user_id,attachments.media_keys,geo.place_id";
pub(crate) const USER_FIELDS: &str = "description,name,public_metrics,username,verified";
pub(crate) const MEDIA_FIELDS: &str = "preview_image_url,type,url";
/// A place's box (`geo.bbox`), read by listening's geofences.
pub(crate) const PLACE_FIELDS: &str = "full_name,geo";

/// An account's sources, each with its kind (`stream`, `mentions`).
pub type Sources = Vec<(String, Box<dyn Source>)>;

/// `[[accounts]]` with `platform = "x"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The account's name in Palabre (checkpoints, health).
    pub name: String,
    /// The brand's numeric X user id (mentions timeline, the resend check).
    pub user_id: String,
    /// App-only bearer token: the filtered stream and its rules. `env:NAME` reads it from the
    /// environment.
    #[serde(default)]
    pub bearer_token: Option<Secret>,
    /// OAuth 2.0 user-context bearer token of the brand's account: mentions, replies, DMs,
    /// hides, deletes. `env:NAME` reads it from the environment.
    #[serde(default)]
    pub user_token: Option<Secret>,
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// Filtered-stream rules kept on X: added when missing, deleted when no longer listed.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Read the filtered stream (needs `bearer_token`).
    #[serde(default)]
    pub stream: bool,
    /// Poll the mentions timeline this often (`60s`, `5m`; needs `user_token`).
    #[serde(default, deserialize_with = "crate::client::de::opt_duration")]
    pub poll_mentions: Option<Duration>,
    /// Most pages read in one mentions poll (100 mentions each).
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    /// No byte on the stream for this long (X sends a heartbeat every ~20 s): reconnect.
    #[serde(
        default = "default_idle",
        deserialize_with = "crate::client::de::duration"
    )]
    pub stream_idle_timeout: Duration,
    /// The longest any other request may take.
    #[serde(
        default = "default_timeout",
        deserialize_with = "crate::client::de::duration"
    )]
    pub timeout: Duration,
    /// A pace to keep when sending, whatever X's headers say.
    #[serde(default)]
    pub sends_per_minute: Option<u32>,
    /// Account Activity webhooks on `/webhooks/NAME`: the CRC and signatures use the app's
    /// consumer secret (`webhook = { consumer_secret = "env:X_CONSUMER_SECRET" }`).
    #[serde(default)]
    pub webhook: Option<crate::x::webhook::WebhookConfig>,
}

/// One filtered-stream rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub value: String,
    #[serde(default)]
    pub tag: Option<String>,
}

fn default_api_url() -> String {
    "https://api.x.com".into()
}
fn default_max_pages() -> u32 {
    20
}
fn default_idle() -> Duration {
    Duration::from_secs(90)
}
fn default_timeout() -> Duration {
    Duration::from_secs(30)
}

impl Config {
    fn check(&self) -> Result<(), String> {
        if self.user_id.is_empty() || !self.user_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "user_id `{}` is not a numeric X user id",
                self.user_id
            ));
        }
        if !(self.api_url.starts_with("https://") || self.api_url.starts_with("http://")) {
            return Err(format!("api_url `{}` is not an http(s) URL", self.api_url));
        }
        if self.stream && self.bearer_token.is_none() {
            return Err("stream = true needs bearer_token (app-only)".into());
        }
        if !self.rules.is_empty() && !self.stream {
            return Err("rules are kept for the filtered stream: set stream = true".into());
        }
        if self.poll_mentions.is_some() && self.user_token.is_none() {
            return Err("poll_mentions needs user_token (user context)".into());
        }
        Ok(())
    }

    /// The account's sources: `stream` and `mentions`, as configured.
    pub fn sources(&self) -> Result<Sources, String> {
        self.check()?;
        let mut out: Sources = Vec::new();
        if self.stream
            && let Some(token) = &self.bearer_token
        {
            out.push((
                "stream".into(),
                Box::new(StreamSource::new(self, token.clone())),
            ));
        }
        if let (Some(every), Some(token)) = (self.poll_mentions, &self.user_token) {
            out.push((
                "mentions".into(),
                Box::new(MentionsSource::new(self, token.clone(), every)),
            ));
        }
        Ok(out)
    }

    /// The sender, when a user-context token is configured.
    pub fn sender(&self) -> Result<Option<Arc<XSender>>, String> {
        self.check()?;
        Ok(self
            .user_token
            .as_ref()
            .map(|t| Arc::new(XSender::new(self, t.clone()))))
    }
}

/// One answer from X, read whole.
pub(crate) struct Answer {
    pub status: u16,
    pub limits: RateHeaders,
    pub body: String,
}

/// Requests with a timeout and a bearer token.
#[derive(Clone)]
pub(crate) struct Api {
    pub agent: ureq::Agent,
    pub base: String,
    pub token: Secret,
}

impl Api {
    pub fn new(base: &str, token: Secret, timeout: Duration) -> Api {
        Api {
            agent: http::agent(timeout),
            base: base.trim_end_matches('/').to_owned(),
            token,
        }
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.token.expose())
    }

    /// `method` (GET, DELETE, PUT, POST) on `path`; GET takes `query`, PUT and POST a JSON body.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, ureq::Error> {
        let url = format!("{}{path}", self.base);
        let response = match (method, body) {
            ("GET", _) => {
                let mut r = self.agent.get(&url).header("Authorization", &self.auth());
                for (k, v) in query {
                    r = r.query(*k, *v);
                }
                r.call()?
            }
            ("DELETE", _) => self
                .agent
                .delete(&url)
                .header("Authorization", &self.auth())
                .call()?,
            ("PUT", b) => self
                .agent
                .put(&url)
                .header("Authorization", &self.auth())
                .send_json(b.unwrap_or(&serde_json::Value::Null))?,
            (_, b) => self
                .agent
                .post(&url)
                .header("Authorization", &self.auth())
                .send_json(b.unwrap_or(&serde_json::Value::Null))?,
        };
        Self::answer(response)
    }

    /// A multipart `form` POSTed to `path` (media uploads).
    pub fn upload(
        &self,
        path: &str,
        form: ureq::unversioned::multipart::Form<'_>,
    ) -> Result<Answer, ureq::Error> {
        let url = format!("{}{path}", self.base);
        let response = self
            .agent
            .post(&url)
            .header("Authorization", &self.auth())
            .send(form)?;
        Self::answer(response)
    }

    fn answer(response: ureq::http::Response<ureq::Body>) -> Result<Answer, ureq::Error> {
        let status = response.status().as_u16();
        let limits = RateHeaders::read(response.headers(), crate::client::de::now_ms());
        let body = response.into_body().read_to_string()?;
        Ok(Answer {
            status,
            limits,
            body,
        })
    }
}

/// X's answer to a call that must return `data`: the `data` value, or why not. A 200 whose
/// body holds `errors` and no `data` is a failure, not a success.
pub(crate) fn data_of(answer: &Answer, what: &str) -> Result<serde_json::Value, SendError> {
    if !(200..300).contains(&answer.status) {
        return Err(http::classify(
            answer.status,
            &answer.limits,
            what,
            &answer.body,
        ));
    }
    let value: serde_json::Value =
        serde_json::from_str(&answer.body).map_err(|e| SendError::Retry {
            error: format!("{what}: unreadable answer ({e})"),
            at_ms: None,
        })?;
    match value.get("data") {
        Some(d) if !d.is_null() => Ok(d.clone()),
        _ => {
            let error = format!(
                "{what}: X answered {} without data: {}",
                answer.status,
                errors_of(&value)
            );
            // A refusal X names (not the author, not found, an invalid request) will not
            // change; any other success without its data did not say what happened and is
            // worth another try, which the resend check makes safe.
            if refused(&value) {
                Err(SendError::Fatal(error))
            } else {
                Err(SendError::Retry { error, at_ms: None })
            }
        }
    }
}

/// Problems that no retry fixes (X's `errors[].type`, `https://api.twitter.com/2/problems/…`).
const REFUSALS: &[&str] = &[
    "not-authorized-for-resource",
    "resource-not-found",
    "invalid-request",
    "client-forbidden",
    "unsupported-authentication",
    "resource-unauthorized",
    "duplicate-rules",
];

/// Whether the `errors` of an X body name a refusal.
fn refused(value: &serde_json::Value) -> bool {
    value
        .get("errors")
        .and_then(|e| e.as_array())
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("type").and_then(|t| t.as_str()))
        .any(|t| REFUSALS.iter().any(|r| t.ends_with(r)))
}

/// The `errors` of an X body, on one line.
pub(crate) fn errors_of(value: &serde_json::Value) -> String {
    let Some(errors) = value.get("errors").and_then(|e| e.as_array()) else {
        return http::short(&value.to_string());
    };
    let parts: Vec<String> = errors
        .iter()
        .map(|e| {
            let get = |k: &str| e.get(k).and_then(|v| v.as_str()).unwrap_or("");
            let detail = [get("title"), get("detail"), get("message")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(": ");
            if detail.is_empty() {
                http::short(&e.to_string())
            } else {
                detail
            }
        })
        .collect();
    parts.join("; ")
}

/// Snowflake ids compared as numbers (a longer id is a newer one).
pub(crate) fn newer(a: &str, b: &str) -> bool {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(a), Ok(b)) => a > b,
        _ => (a.len(), a) > (b.len(), b),
    }
}
