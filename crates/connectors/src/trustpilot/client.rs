//! Trustpilot: a poller of one business unit's service reviews and a sender of replies.
//!
//! ```text
//! GET /v1/business-units/ID/reviews?orderBy=createdat.desc&page=N  (apikey header) ──► one line per review
//! POST /v1/private/reviews/ID/reply {message, authorBusinessUserId} (OAuth bearer)  ◄── Outgoing reply
//! ```
//!
//! The checkpoint is the newest `createdAt` seen (the public API orders reviews by creation
//! only, so an edit of an older review is not read again). Pages are read, newest first, until
//! a review older than the checkpoint; a review at exactly the checkpoint is read again, which
//! dedupe makes harmless. Without a checkpoint the first poll reads the latest page only. The
//! API key goes in the `apikey` header, not the URL, so that it never appears in an error.
//!
//! A review has at most one company reply and posting again replaces it: a resend is harmless.

use crate::client::de::now_ms;
use crate::client::http::{self, RateHeaders};
use crate::client::{
    Action, Outgoing, PlatformSender, RateGate, Secret, SendError, Sink, Source, SourceError, Stop,
};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::time::Duration;

/// `[[accounts]]` with `platform = "trustpilot"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub name: String,
    pub business_unit_id: String,
    /// The application's API key (reading public reviews). `env:NAME` reads it.
    pub api_key: Secret,
    /// A business-user OAuth access token (replying). `env:NAME` reads it.
    #[serde(default)]
    pub token: Option<Secret>,
    /// The business user replies are signed by (`authorBusinessUserId`).
    #[serde(default)]
    pub author_business_user_id: Option<String>,
    #[serde(default = "default_api_url")]
    pub api_url: String,
    #[serde(
        default = "default_poll",
        deserialize_with = "crate::client::de::duration"
    )]
    pub poll: Duration,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    #[serde(
        default = "default_timeout",
        deserialize_with = "crate::client::de::duration"
    )]
    pub timeout: Duration,
}

fn default_api_url() -> String {
    "https://api.trustpilot.com".into()
}
fn default_poll() -> Duration {
    Duration::from_secs(600)
}
fn default_per_page() -> u32 {
    100
}
fn default_max_pages() -> u32 {
    10
}
fn default_timeout() -> Duration {
    Duration::from_secs(30)
}

impl Config {
    fn check(&self) -> Result<(), String> {
        if self.business_unit_id.is_empty()
            || !self
                .business_unit_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
        {
            return Err(format!(
                "business_unit_id `{}` is not a Trustpilot id",
                self.business_unit_id
            ));
        }
        if !(self.api_url.starts_with("https://") || self.api_url.starts_with("http://")) {
            return Err(format!("api_url `{}` is not an http(s) URL", self.api_url));
        }
        if self.token.is_some() != self.author_business_user_id.is_some() {
            return Err("replying needs both token and author_business_user_id".into());
        }
        Ok(())
    }

    fn api(&self) -> String {
        self.api_url.trim_end_matches('/').to_owned()
    }

    pub fn source(&self) -> Result<ReviewsSource, String> {
        self.check()?;
        Ok(ReviewsSource {
            agent: http::agent(self.timeout),
            url: format!(
                "{}/v1/business-units/{}/reviews",
                self.api(),
                self.business_unit_id
            ),
            api_key: self.api_key.clone(),
            poll: self.poll,
            per_page: self.per_page.clamp(1, 100),
            max_pages: self.max_pages.max(1),
        })
    }

    /// The sender, when a token and a business user are configured.
    pub fn sender(&self) -> Result<Option<ReplySender>, String> {
        self.check()?;
        Ok(match (&self.token, &self.author_business_user_id) {
            (Some(token), Some(author)) => Some(ReplySender {
                agent: http::agent(self.timeout),
                api: self.api(),
                token: token.clone(),
                author: author.clone(),
                gate: RateGate::new(None),
            }),
            _ => None,
        })
    }
}

/// Polls one business unit's reviews.
pub struct ReviewsSource {
    agent: ureq::Agent,
    url: String,
    api_key: Secret,
    poll: Duration,
    per_page: u32,
    max_pages: u32,
}

#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow, default)]
    reviews: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Times {
    created_at: Option<Timestamp>,
}

impl ReviewsSource {
    /// One poll: the reviews created at or after `since` (oldest first), and the newest time.
    pub fn poll(&self, since: Option<&str>) -> Result<(Vec<String>, Option<String>), SourceError> {
        let since: Option<Timestamp> = match since {
            Some(s) => Some(s.parse().map_err(|e| {
                SourceError::Config(format!("Trustpilot reviews: bad checkpoint `{s}`: {e}"))
            })?),
            None => None,
        };
        let mut newest = since;
        let mut lines = Vec::new();
        let per_page = self.per_page.to_string();
        'pages: for page_no in 1..=self.max_pages {
            let page_no = page_no.to_string();
            let response = self
                .agent
                .get(&self.url)
                .header("apikey", self.api_key.expose())
                .query("orderBy", "createdat.desc")
                .query("perPage", &per_page)
                .query("page", &page_no)
                .call()
                .map_err(|e| SourceError::Disconnected {
                    error: format!("Trustpilot reviews: {e}"),
                    retry_in: None,
                })?;
            let status = response.status().as_u16();
            let limits = RateHeaders::read(response.headers(), now_ms());
            let body =
                response
                    .into_body()
                    .read_to_string()
                    .map_err(|e| SourceError::Disconnected {
                        error: format!("Trustpilot reviews: {e}"),
                        retry_in: None,
                    })?;
            if status != 200 {
                return Err(crate::client::http::source_error(
                    status,
                    &limits,
                    "Trustpilot reviews",
                    &body,
                ));
            }
            let page: Page =
                serde_json::from_str(&body).map_err(|e| SourceError::Disconnected {
                    error: format!(
                        "Trustpilot reviews: unreadable page ({e}): {}",
                        http::short(&body)
                    ),
                    retry_in: None,
                })?;
            let count = page.reviews.len();
            for review in page.reviews {
                let times: Times =
                    serde_json::from_str(review.get()).map_err(|e| SourceError::Disconnected {
                        error: format!("Trustpilot reviews: unreadable review time ({e})"),
                        retry_in: None,
                    })?;
                if let Some(at) = times.created_at {
                    if since.is_some_and(|s| at < s) {
                        break 'pages;
                    }
                    if newest.is_none_or(|n| at > n) {
                        newest = Some(at);
                    }
                }
                lines.push(review.get().to_owned());
            }
            if count < self.per_page as usize || since.is_none() {
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

/// Replies to the business unit's reviews.
pub struct ReplySender {
    agent: ureq::Agent,
    api: String,
    token: Secret,
    author: String,
    gate: RateGate,
}

impl PlatformSender for ReplySender {
    fn send(&self, out: &Outgoing<'_>) -> Result<Option<String>, SendError> {
        if out.action != Action::Reply {
            return Err(SendError::Fatal(format!(
                "Trustpilot reviews can only be answered, not {}",
                out.action
            )));
        }
        let id = out
            .target_id
            .filter(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_alphanumeric()))
            .ok_or_else(|| SendError::Fatal("Trustpilot reply: no review named".into()))?;
        let text = out
            .text
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| SendError::Fatal("Trustpilot reply: no text".into()))?;
        self.gate
            .acquire(now_ms())
            .map_err(|at_ms| SendError::NotBefore { at_ms })?;
        let response = self
            .agent
            .post(&format!("{}/v1/private/reviews/{id}/reply", self.api))
            .header("Authorization", format!("Bearer {}", self.token.expose()))
            .send_json(serde_json::json!({
                "message": text,
                "authorBusinessUserId": self.author,
            }))
            .map_err(|e| http::transport("Trustpilot reply", &e))?;
        let status = response.status().as_u16();
        let limits = RateHeaders::read(response.headers(), now_ms());
        self.gate.observe(status, &limits, now_ms());
        let body = response.into_body().read_to_string().unwrap_or_default();
        if !(200..300).contains(&status) {
            return Err(http::classify(status, &limits, "Trustpilot reply", &body));
        }
        // 201 with no body; a body that is an error object is not a success, and worth
        // another try (a second reply replaces the first: safe; bounded by the attempts).
        if body.contains("\"fault\"") || body.contains("\"errorCode\"") {
            return Err(SendError::Retry {
                error: format!(
                    "Trustpilot reply: {status} with an error: {}",
                    http::short(&body)
                ),
                at_ms: None,
            });
        }
        Ok(None)
    }
}
