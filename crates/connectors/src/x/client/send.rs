//! Sending on X with the user-context token: replies and posts (`POST /2/tweets`), direct
//! messages (`POST /2/dm_conversations/with/:id/messages`), hiding replies
//! (`PUT /2/tweets/:id/hidden`) and deleting (`DELETE /2/tweets/:id`). Each endpoint has its own
//! rate window (`x-rate-limit-*`), kept in its own [`RateGate`].
//!
//! A post or reply with images uploads each first (`POST /2/media/upload`, multipart `media`
//! with `media_category=tweet_image`, answered with `data.id`), gives it its description
//! (`POST /2/media/metadata`, `alt_text`) when it has one, then names them in the tweet
//! (`"media": {"media_ids": [...]}`). An image X refuses is a refusal of the whole post, in X's
//! words; nothing is posted.
//!
//! X has no idempotency key. When an action may already have been taken (`Outgoing::resend`),
//! a reply or post is first looked for among the account's tweets since the action was queued
//! (`GET /2/users/:id/tweets?start_time=…`, then only `since_id=` the newest one known, see
//! timeline.rs; at most [`RESEND_PAGES`] pages of 100, the timeline's own limit): the same text
//! answering the same tweet is taken as ours and its id returned. The window of doubt left: a tweet X took but does not list yet (its timeline is
//! eventually consistent, usually for seconds). Direct messages are not looked up (no cheap
//! listing).

use super::timeline::{Read, Timeline, Tweet};
use super::{Api, Config, data_of};
use crate::client::de::now_ms;
use crate::client::http;
use crate::client::{Action, Media, Outgoing, PlatformSender, RateGate, Secret, SendError};
use serde_json::json;
use ureq::unversioned::multipart::Form;

/// Pages of the account's timeline read at most before a resend: X lists 3,200 tweets back.
pub const RESEND_PAGES: usize = 32;

/// Clocks differ: the timeline is read from this long before the action was queued.
const CLOCK_MARGIN_MS: i64 = 5 * 60_000;

/// The sending side of one X account.
pub struct XSender {
    api: Api,
    user_id: String,
    tweets: RateGate,
    dms: RateGate,
    hides: RateGate,
    deletes: RateGate,
    lookups: RateGate,
    /// Media uploads and their metadata.
    media: RateGate,
    /// What the resend checks know of the account's tweets.
    timeline: Timeline,
}

impl XSender {
    pub fn new(config: &Config, token: Secret) -> Self {
        let pace = config.sends_per_minute;
        XSender {
            api: Api::new(&config.api_url, token, config.timeout),
            user_id: config.user_id.clone(),
            tweets: RateGate::new(pace),
            dms: RateGate::new(pace),
            hides: RateGate::new(pace),
            deletes: RateGate::new(pace),
            lookups: RateGate::new(None),
            media: RateGate::new(None),
            timeline: Timeline::default(),
        }
    }

    fn call(
        &self,
        gate: &RateGate,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<serde_json::Value, SendError> {
        gate.acquire(now_ms())
            .map_err(|at_ms| SendError::NotBefore { at_ms })?;
        let answer = self
            .api
            .call(method, path, query, body)
            .map_err(|e| http::transport(what, &e))?;
        gate.observe(answer.status, &answer.limits, now_ms());
        data_of(&answer, what)
    }

    /// Uploads the images of a post, in order, with their descriptions: their media ids.
    fn upload_media(&self, media: &[Media<'_>]) -> Result<Vec<String>, SendError> {
        let mut ids = Vec::with_capacity(media.len());
        for (i, image) in media.iter().enumerate() {
            let number = i + 1;
            let what = format!("X upload of the image {number}");
            let form = Form::new()
                .part("media", http::image_part(image, number, &what)?)
                .text("media_category", "tweet_image");
            self.media
                .acquire(now_ms())
                .map_err(|at_ms| SendError::NotBefore { at_ms })?;
            let answer = self
                .api
                .upload("/2/media/upload", form)
                .map_err(|e| http::transport(&what, &e))?;
            self.media.observe(answer.status, &answer.limits, now_ms());
            let data = data_of(&answer, &what).map_err(|e| {
                in_xs_words(e, &format!("X refused the image {number}"), &answer.body)
            })?;
            let id = id_of(&data, "id").ok_or_else(|| SendError::Retry {
                error: format!(
                    "X upload of the image {number}: an answer without data.id: {}",
                    http::short(&answer.body)
                ),
                at_ms: None,
            })?;
            if !image.alt.trim().is_empty() {
                let body = json!({"id": id, "metadata": {"alt_text": {"text": image.alt}}});
                let what = format!("X description of the image {number}");
                self.media
                    .acquire(now_ms())
                    .map_err(|at_ms| SendError::NotBefore { at_ms })?;
                let answer = self
                    .api
                    .call("POST", "/2/media/metadata", &[], Some(&body))
                    .map_err(|e| http::transport(&what, &e))?;
                self.media.observe(answer.status, &answer.limits, now_ms());
                data_of(&answer, &what).map_err(|e| {
                    in_xs_words(
                        e,
                        &format!("X refused the description of the image {number}"),
                        &answer.body,
                    )
                })?;
            }
            ids.push(id);
        }
        Ok(ids)
    }

    /// A tweet of ours answering `target` (None: a post) with this text, posted since
    /// `queued_ms` (0: in the last hour).
    fn already_posted(
        &self,
        target: Option<&str>,
        text: &str,
        queued_ms: i64,
    ) -> Result<Option<String>, SendError> {
        let from_ms = if queued_ms > 0 {
            queued_ms - CLOCK_MARGIN_MS
        } else {
            now_ms() - 3_600_000
        };
        let read = self.timeline.plan(from_ms);
        let (tweets, complete) = self.read_timeline(&read)?;
        self.timeline.learn(&read, tweets, complete);
        Ok(self.timeline.find(target, text))
    }

    /// The account's tweets `read` asks for, newest first, and whether they are all there.
    fn read_timeline(&self, read: &Read) -> Result<(Vec<Tweet>, bool), SendError> {
        let path = format!("/2/users/{}/tweets", self.user_id);
        let start = jiff::Timestamp::from_millisecond(read.start_ms)
            .map_err(|e| SendError::Fatal(format!("X resend check: {e}")))?
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..RESEND_PAGES {
            let mut query = vec![
                ("max_results", "100"),
                ("tweet.fields", "referenced_tweets,created_at"),
                ("exclude", "retweets"),
            ];
            match &read.since_id {
                Some(id) => query.push(("since_id", id)),
                None => query.push(("start_time", &start)),
            }
            if let Some(t) = &token {
                query.push(("pagination_token", t));
            }
            self.lookups
                .acquire(now_ms())
                .map_err(|at_ms| SendError::NotBefore { at_ms })?;
            let answer = self
                .api
                .call("GET", &path, &query, None)
                .map_err(|e| http::transport("X resend check", &e))?;
            self.lookups
                .observe(answer.status, &answer.limits, now_ms());
            if answer.status != 200 {
                return Err(http::classify(
                    answer.status,
                    &answer.limits,
                    "X resend check",
                    &answer.body,
                ));
            }
            let page: serde_json::Value =
                serde_json::from_str(&answer.body).map_err(|e| SendError::Retry {
                    error: format!("X resend check: unreadable page ({e})"),
                    at_ms: None,
                })?;
            // A page of errors is not an empty timeline: not knowing, do not post.
            if page.get("data").is_none() && page.get("errors").is_some() {
                return Err(SendError::Retry {
                    error: format!("X resend check: {}", super::errors_of(&page)),
                    at_ms: None,
                });
            }
            let tweets = page.get("data").and_then(|d| d.as_array());
            found.extend(tweets.into_iter().flatten().filter_map(tweet_of));
            token = page
                .get("meta")
                .and_then(|m| m.get("next_token"))
                .and_then(|t| t.as_str())
                .map(str::to_owned);
            if token.is_none() {
                return Ok((found, true));
            }
        }
        tracing::warn!(
            pages = RESEND_PAGES,
            "X resend check: more tweets since the action was queued than X lists; posting if it is not among them (it may appear twice)"
        );
        Ok((found, false))
    }
}

/// A refusal said in X's own words (its `errors`, or its problem's title and detail), after
/// `refused`; any other failure as it is.
fn in_xs_words(error: SendError, refused: &str, body: &str) -> SendError {
    match error {
        SendError::Fatal(_) => {
            let words = match serde_json::from_str::<serde_json::Value>(body) {
                Ok(v) if v.get("errors").is_some() => super::errors_of(&v),
                Ok(v) => [v.get("title"), v.get("detail")]
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(": "),
                Err(_) => String::new(),
            };
            let words = if words.is_empty() {
                http::short(body)
            } else {
                words
            };
            SendError::Fatal(format!("{refused}: {words}"))
        }
        other => other,
    }
}

/// A tweet of a timeline page.
fn tweet_of(tweet: &serde_json::Value) -> Option<Tweet> {
    let replied_to = tweet
        .get("referenced_tweets")
        .and_then(|r| r.as_array())
        .and_then(|refs| {
            refs.iter()
                .find(|r| r.get("type").and_then(|t| t.as_str()) == Some("replied_to"))
        })
        .and_then(|r| r.get("id"))
        .and_then(|i| i.as_str())
        .map(str::to_owned);
    Some(Tweet {
        id: tweet.get("id")?.as_str()?.to_owned(),
        replied_to,
        text: tweet.get("text")?.as_str()?.to_owned(),
    })
}

fn id_of(data: &serde_json::Value, key: &str) -> Option<String> {
    data.get(key).and_then(|v| v.as_str()).map(str::to_owned)
}

impl PlatformSender for XSender {
    fn send(&self, out: &Outgoing<'_>) -> Result<Option<String>, SendError> {
        let text = || {
            out.text
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| SendError::Fatal(format!("X {}: no text", out.action)))
        };
        let target = || {
            out.target_id
                .ok_or_else(|| SendError::Fatal(format!("X {}: no tweet named", out.action)))
        };
        match out.action {
            Action::Reply | Action::Post => {
                let text = text()?;
                let reply_to = match out.action {
                    Action::Reply => Some(target()?),
                    _ => None,
                };
                if out.resend
                    && let Some(id) = self.already_posted(reply_to, text, out.queued_ms)?
                {
                    return Ok(Some(id));
                }
                // Uploaded only now: a resend that finds the tweet uploads nothing.
                let media_ids = self.upload_media(out.media)?;
                let mut body = match reply_to {
                    Some(t) => json!({"text": text, "reply": {"in_reply_to_tweet_id": t}}),
                    None => json!({ "text": text }),
                };
                if !media_ids.is_empty() {
                    body["media"] = json!({ "media_ids": media_ids });
                }
                let data = self.call(
                    &self.tweets,
                    "POST",
                    "/2/tweets",
                    &[],
                    Some(&body),
                    "X post",
                )?;
                Ok(id_of(&data, "id"))
            }
            Action::Direct => {
                let text = text()?;
                let to = out
                    .recipient
                    .filter(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| SendError::Fatal("X direct: no recipient user id".into()))?;
                let path = format!("/2/dm_conversations/with/{to}/messages");
                let body = json!({ "text": text });
                let data = self.call(&self.dms, "POST", &path, &[], Some(&body), "X direct")?;
                Ok(id_of(&data, "dm_event_id"))
            }
            Action::Hide | Action::Unhide => {
                let path = format!("/2/tweets/{}/hidden", target()?);
                let hidden = out.action == Action::Hide;
                let body = json!({ "hidden": hidden });
                let data = self.call(&self.hides, "PUT", &path, &[], Some(&body), "X hide")?;
                match data.get("hidden").and_then(|h| h.as_bool()) {
                    Some(h) if h == hidden => Ok(None),
                    _ => Err(SendError::Fatal(format!(
                        "X hide: X answered hidden = {}",
                        data.get("hidden")
                            .map_or("nothing".into(), |h| h.to_string())
                    ))),
                }
            }
            Action::Delete => {
                let path = format!("/2/tweets/{}", target()?);
                let data = self.call(&self.deletes, "DELETE", &path, &[], None, "X delete")?;
                match data.get("deleted").and_then(|d| d.as_bool()) {
                    Some(true) => Ok(None),
                    _ => Err(SendError::Fatal(
                        "X delete: X did not confirm the deletion".into(),
                    )),
                }
            }
        }
    }
}
