//! Google Business Profile: a poller of one location's reviews and a sender of replies.
//!
//! ```text
//! GET /v4/accounts/A/locations/L/reviews?orderBy=updateTime desc&pageToken=…  ──► one line per review
//! PUT /v4/accounts/A/locations/L/reviews/ID/reply {comment}                   ◄── Outgoing reply
//! ```
//!
//! The checkpoint is the newest `updateTime` seen. A poll reads pages, newest first, until a
//! review older than the checkpoint: a new review, and one its author edited, are handed on
//! (an edit keeps the first stored version and is recorded as a conflict). Without a
//! checkpoint the first poll reads the latest page only. A review at exactly the checkpoint is
//! read again, which dedupe makes harmless.
//!
//! Replying is idempotent on Google's side (`PUT` replaces the one reply a review may have),
//! so a resend needs no check.

use super::auth::Auth;
use crate::client::de::now_ms;
use crate::client::http::{self, RateHeaders};
use crate::client::{
    Action, Outgoing, PlatformSender, RateGate, Secret, SendError, Sink, Source, SourceError, Stop,
};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::sync::Arc;
use std::time::Duration;

/// `[[accounts]]` with `platform = "google"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub name: String,
    /// The numeric ids of `accounts/{account_id}/locations/{location_id}`.
    pub account_id: String,
    pub location_id: String,
    /// An OAuth 2.0 access token with the `business.manage` scope (`env:NAME` reads it). Access
    /// tokens last an hour: for a lasting setup give `client_id`, `client_secret` and
    /// `refresh_token` instead.
    #[serde(default)]
    pub token: Option<Secret>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<Secret>,
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    #[serde(default = "default_token_url")]
    pub token_url: String,
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// How often the reviews are read.
    #[serde(
        default = "default_poll",
        deserialize_with = "crate::client::de::duration"
    )]
    pub poll: Duration,
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    #[serde(
        default = "default_timeout",
        deserialize_with = "crate::client::de::duration"
    )]
    pub timeout: Duration,
}

fn default_api_url() -> String {
    "https://mybusiness.googleapis.com".into()
}
fn default_poll() -> Duration {
    Duration::from_secs(300)
}
fn default_token_url() -> String {
    "https://oauth2.googleapis.com/token".into()
}
fn default_page_size() -> u32 {
    50
}
fn default_max_pages() -> u32 {
    10
}
fn default_timeout() -> Duration {
    Duration::from_secs(30)
}

impl Config {
    fn check(&self) -> Result<(), String> {
        for (what, id) in [
            ("account_id", &self.account_id),
            ("location_id", &self.location_id),
        ] {
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(format!("{what} `{id}` is not a Google id"));
            }
        }
        if !(self.api_url.starts_with("https://") || self.api_url.starts_with("http://")) {
            return Err(format!("api_url `{}` is not an http(s) URL", self.api_url));
        }
        self.auth().map(|_| ())
    }

    fn auth(&self) -> Result<Auth, String> {
        match (
            &self.token,
            &self.client_id,
            &self.client_secret,
            &self.refresh_token,
        ) {
            (Some(t), None, None, None) => Ok(Auth::Fixed(t.clone())),
            (None, Some(id), Some(secret), Some(refresh)) => Ok(Auth::Refresh {
                agent: http::agent(self.timeout),
                token_url: self.token_url.clone(),
                client_id: id.clone(),
                client_secret: secret.clone(),
                refresh_token: refresh.clone(),
                cached: std::sync::Mutex::new(None),
            }),
            _ => Err(
                "give either `token`, or `client_id`, `client_secret` and `refresh_token`".into(),
            ),
        }
    }

    /// The account's poller and sender, sharing one token.
    pub fn parts(&self) -> Result<(ReviewsSource, ReplySender), String> {
        self.check()?;
        let auth = Arc::new(self.auth()?);
        Ok((
            ReviewsSource {
                agent: http::agent(self.timeout),
                base: self.base(),
                auth: auth.clone(),
                poll: self.poll,
                page_size: self.page_size.clamp(1, 50).to_string(),
                max_pages: self.max_pages.max(1),
            },
            ReplySender {
                agent: http::agent(self.timeout),
                base: self.base(),
                auth,
                gate: RateGate::new(None),
            },
        ))
    }

    fn base(&self) -> String {
        format!(
            "{}/v4/accounts/{}/locations/{}/reviews",
            self.api_url.trim_end_matches('/'),
            self.account_id,
            self.location_id
        )
    }

    /// The account's one source, `reviews`.
    pub fn source(&self) -> Result<ReviewsSource, String> {
        self.parts().map(|(source, _)| source)
    }

    pub fn sender(&self) -> Result<ReplySender, String> {
        self.parts().map(|(_, sender)| sender)
    }
}

/// Polls one location's reviews.
pub struct ReviewsSource {
    agent: ureq::Agent,
    base: String,
    auth: Arc<Auth>,
    poll: Duration,
    page_size: String,
    max_pages: u32,
}

#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow, default)]
    reviews: Vec<&'a RawValue>,
    #[serde(rename = "nextPageToken")]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Times {
    update_time: Option<Timestamp>,
    create_time: Option<Timestamp>,
}

impl ReviewsSource {
    /// One poll: the reviews updated at or after `since` (oldest first), and the newest time.
    pub fn poll(&self, since: Option<&str>) -> Result<(Vec<String>, Option<String>), SourceError> {
        let since: Option<Timestamp> = match since {
            Some(s) => Some(s.parse().map_err(|e| {
                SourceError::Config(format!("Google reviews: bad checkpoint `{s}`: {e}"))
            })?),
            None => None,
        };
        let mut newest = since;
        let mut lines = Vec::new();
        let mut token: Option<String> = None;
        'pages: for _ in 0..self.max_pages {
            let bearer = self.auth.bearer().map_err(|e| match e {
                SendError::Auth(e) => SourceError::Auth(e),
                other => SourceError::Disconnected {
                    error: other.to_string(),
                    retry_in: None,
                },
            })?;
            let mut request = self
                .agent
                .get(&self.base)
                .header("Authorization", format!("Bearer {}", bearer.expose()))
                .query("pageSize", &self.page_size)
                .query("orderBy", "updateTime desc");
            if let Some(t) = &token {
                request = request.query("pageToken", t);
            }
            let response = request.call().map_err(|e| SourceError::Disconnected {
                error: format!("Google reviews: {e}"),
                retry_in: None,
            })?;
            let status = response.status().as_u16();
            let limits = RateHeaders::read(response.headers(), now_ms());
            let body =
                response
                    .into_body()
                    .read_to_string()
                    .map_err(|e| SourceError::Disconnected {
                        error: format!("Google reviews: {e}"),
                        retry_in: None,
                    })?;
            if status == 401 {
                self.auth.refused();
            }
            if status != 200 {
                return Err(http::source_error(status, &limits, "Google reviews", &body));
            }
            if let Some(error) = google_error(&body) {
                return Err(SourceError::Disconnected {
                    error: format!("Google reviews: {error}"),
                    retry_in: None,
                });
            }
            let page: Page =
                serde_json::from_str(&body).map_err(|e| SourceError::Disconnected {
                    error: format!("Google reviews: unreadable page ({e})"),
                    retry_in: None,
                })?;
            for review in &page.reviews {
                let times: Times =
                    serde_json::from_str(review.get()).map_err(|e| SourceError::Disconnected {
                        error: format!("Google reviews: unreadable review times ({e})"),
                        retry_in: None,
                    })?;
                let Some(at) = times.update_time.or(times.create_time) else {
                    // Without a time it cannot be placed: hand it on, dedupe decides.
                    lines.push(review.get().to_owned());
                    continue;
                };
                if since.is_some_and(|s| at < s) {
                    break 'pages;
                }
                if newest.is_none_or(|n| at > n) {
                    newest = Some(at);
                }
                lines.push(review.get().to_owned());
            }
            token = page.next_page_token.filter(|t| !t.is_empty());
            if token.is_none() || since.is_none() {
                break;
            }
        }
        lines.reverse();
        Ok((lines, newest.map(|t| t.to_string())))
    }
}

impl Source for ReviewsSource {
    fn run(
        &mut self,
        checkpoint: Option<&str>,
        sink: &mut dyn Sink,
        stop: &Stop,
    ) -> Result<(), SourceError> {
        let every = self.poll;
        crate::client::poll::run(|since| self.poll(since), every, checkpoint, sink, stop)
    }
}

/// Google's error statuses that say its side failed, not the request.
const TRANSIENT: &[&str] = &[
    "UNAVAILABLE",
    "INTERNAL",
    "DEADLINE_EXCEEDED",
    "ABORTED",
    "RESOURCE_EXHAUSTED",
    "UNKNOWN",
];

/// `{"error": {"code", "message", "status"}}`, Google's error body, on one line.
fn google_error(body: &str) -> Option<String> {
    if !body.contains("\"error\"") {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let error = value.get("error")?;
    let get = |k: &str| error.get(k).and_then(|v| v.as_str()).unwrap_or("");
    Some(
        format!("{} {}", get("status"), get("message"))
            .trim()
            .to_owned(),
    )
}

/// Replies to reviews of one location.
pub struct ReplySender {
    agent: ureq::Agent,
    base: String,
    auth: Arc<Auth>,
    gate: RateGate,
}

impl PlatformSender for ReplySender {
    fn send(&self, out: &Outgoing<'_>) -> Result<Option<String>, SendError> {
        if out.action != Action::Reply {
            return Err(SendError::Fatal(format!(
                "Google reviews can only be answered, not {}",
                out.action
            )));
        }
        let id = out
            .target_id
            .filter(|i| !i.is_empty() && !i.contains('/'))
            .ok_or_else(|| SendError::Fatal("Google reply: no review named".into()))?;
        let text = out
            .text
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| SendError::Fatal("Google reply: no text".into()))?;
        self.gate
            .acquire(now_ms())
            .map_err(|at_ms| SendError::NotBefore { at_ms })?;
        let bearer = self.auth.bearer()?;
        let response = self
            .agent
            .put(&format!("{}/{id}/reply", self.base))
            .header("Authorization", format!("Bearer {}", bearer.expose()))
            .send_json(serde_json::json!({ "comment": text }))
            .map_err(|e| http::transport("Google reply", &e))?;
        let status = response.status().as_u16();
        let limits = RateHeaders::read(response.headers(), now_ms());
        self.gate.observe(status, &limits, now_ms());
        let body = response
            .into_body()
            .read_to_string()
            .map_err(|e| http::transport("Google reply", &e))?;
        if status == 401 {
            self.auth.refused();
        }
        if !(200..300).contains(&status) {
            return Err(http::classify(status, &limits, "Google reply", &body));
        }
        if let Some(error) = google_error(&body) {
            let error = format!("Google reply: {error}");
            // Google failing is worth another try (a reply replaces the previous one: safe).
            return Err(if TRANSIENT.iter().any(|t| error.contains(t)) {
                SendError::Retry { error, at_ms: None }
            } else {
                SendError::Fatal(error)
            });
        }
        let stored: serde_json::Value =
            serde_json::from_str(&body).map_err(|e| SendError::Retry {
                error: format!("Google reply: unreadable answer ({e})"),
                at_ms: None,
            })?;
        if stored.get("comment").is_none() {
            return Err(SendError::Fatal(format!(
                "Google reply: the answer holds no reply ({})",
                http::short(&body)
            )));
        }
        Ok(None)
    }
}
