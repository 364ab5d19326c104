//! Sending on X with the user-context token: replies and posts (`POST /2/tweets`), direct
//! messages (`POST /2/dm_conversations/with/:id/messages`), hiding replies
//! (`PUT /2/tweets/:id/hidden`) and deleting (`DELETE /2/tweets/:id`). Each endpoint has its own
//! rate window (`x-rate-limit-*`), kept in its own [`RateGate`].
//!
//! X has no idempotency key. When an action may already have been taken (`Outgoing::resend`),
//! a reply or post is first looked for among the account's latest tweets
//! (`GET /2/users/:id/tweets`, at most [`RESEND_PAGES`] pages of 100): the same text answering
//! the same tweet is taken as ours and its id returned. The window of doubt left: a tweet X
//! took but does not list yet (its timeline is eventually consistent, usually for seconds), or
//! one older than the pages read. Direct messages are not looked up (no cheap listing).

use super::{Api, Config, data_of};
use crate::client::de::now_ms;
use crate::client::http;
use crate::client::{Action, Outgoing, PlatformSender, RateGate, Secret, SendError};
use serde_json::json;

/// Pages of the account's timeline read before a resend.
pub const RESEND_PAGES: usize = 3;

/// The sending side of one X account.
pub struct XSender {
    api: Api,
    user_id: String,
    tweets: RateGate,
    dms: RateGate,
    hides: RateGate,
    deletes: RateGate,
    lookups: RateGate,
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
        gate.observe(&answer.limits);
        data_of(&answer, what)
    }

    /// A tweet of ours answering `target` (None: a post) with this text, among the latest.
    fn already_posted(
        &self,
        target: Option<&str>,
        text: &str,
    ) -> Result<Option<String>, SendError> {
        let path = format!("/2/users/{}/tweets", self.user_id);
        let wanted = comparable(text);
        let mut token: Option<String> = None;
        for _ in 0..RESEND_PAGES {
            let mut query = vec![
                ("max_results", "100"),
                ("tweet.fields", "referenced_tweets,created_at"),
                ("exclude", "retweets"),
            ];
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
            self.lookups.observe(&answer.limits);
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
            let tweets = page.get("data").and_then(|d| d.as_array());
            for tweet in tweets.into_iter().flatten() {
                let replied_to = tweet
                    .get("referenced_tweets")
                    .and_then(|r| r.as_array())
                    .and_then(|refs| {
                        refs.iter()
                            .find(|r| r.get("type").and_then(|t| t.as_str()) == Some("replied_to"))
                    })
                    .and_then(|r| r.get("id"))
                    .and_then(|i| i.as_str());
                let same_text = tweet
                    .get("text")
                    .and_then(|t| t.as_str())
                    .is_some_and(|t| comparable(t) == wanted);
                if same_text
                    && replied_to == target
                    && let Some(id) = tweet.get("id").and_then(|i| i.as_str())
                {
                    return Ok(Some(id.to_owned()));
                }
            }
            token = page
                .get("meta")
                .and_then(|m| m.get("next_token"))
                .and_then(|t| t.as_str())
                .map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok(None)
    }
}

/// A text as X shows it back, made comparable: X wraps every link in a t.co link, escapes
/// `&`, `<` and `>` as entities and may cut a leading `@mention` of the person answered.
fn comparable(text: &str) -> String {
    let decoded = html_escape::decode_html_entities(text);
    decoded
        .split_whitespace()
        .filter(|w| !(w.starts_with("http://") || w.starts_with("https://")))
        .filter(|w| !w.starts_with('@'))
        .collect::<Vec<_>>()
        .join(" ")
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
                    && let Some(id) = self.already_posted(reply_to, text)?
                {
                    return Ok(Some(id));
                }
                let body = match reply_to {
                    Some(t) => json!({"text": text, "reply": {"in_reply_to_tweet_id": t}}),
                    None => json!({ "text": text }),
                };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_compare_as_x_shows_them_back() {
        assert_eq!(
            comparable("Results &amp; more: https://t.co/abc123"),
            comparable("Results & more: https://example.org/results/75001")
        );
        assert_eq!(comparable("@alice  thanks!"), comparable("thanks!"));
        assert_ne!(comparable("thanks!"), comparable("thanks again!"));
    }
}
