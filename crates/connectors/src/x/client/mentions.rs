//! Mentions polling: `GET /2/users/:id/mentions?since_id=…`, every page of one poll (through
//! `pagination_token`) handed on as one line each, the checkpoint being the newest id seen.
//! Without a checkpoint the first poll reads the latest page only (no deeper history).

use super::{
    Api, Config, EXPANSIONS, MEDIA_FIELDS, PLACE_FIELDS, TWEET_FIELDS, USER_FIELDS, errors_of,
    newer,
};
use crate::client::de::now_ms;
use crate::client::{Secret, Sink, Source, SourceError, Stop};
use std::time::Duration;

/// One account's mentions timeline, polled.
pub struct MentionsSource {
    api: Api,
    user_id: String,
    every: Duration,
    max_pages: u32,
}

impl MentionsSource {
    pub fn new(config: &Config, token: Secret, every: Duration) -> Self {
        MentionsSource {
            api: Api::new(&config.api_url, token, config.timeout),
            user_id: config.user_id.clone(),
            every,
            max_pages: config.max_pages.max(1),
        }
    }

    /// One poll: the pages newer than `since`, and the newest id among them.
    pub fn poll(&self, since: Option<&str>) -> Result<(Vec<String>, Option<String>), SourceError> {
        let path = format!("/2/users/{}/mentions", self.user_id);
        let mut lines = Vec::new();
        let mut newest: Option<String> = since.map(str::to_owned);
        let mut token: Option<String> = None;
        for _ in 0..self.max_pages {
            let mut query = vec![
                ("max_results", "100"),
                ("tweet.fields", TWEET_FIELDS),
                ("expansions", EXPANSIONS),
                ("user.fields", USER_FIELDS),
                ("media.fields", MEDIA_FIELDS),
                ("place.fields", PLACE_FIELDS),
            ];
            if let Some(since) = since {
                query.push(("since_id", since));
            }
            if let Some(t) = &token {
                query.push(("pagination_token", t));
            }
            let answer = self.api.call("GET", &path, &query, None).map_err(|e| {
                SourceError::Disconnected {
                    error: format!("X mentions: {e}"),
                    retry_in: None,
                }
            })?;
            if answer.status != 200 {
                return Err(status_error(
                    answer.status,
                    answer.limits.reset_ms,
                    &answer.body,
                ));
            }
            let page: serde_json::Value =
                serde_json::from_str(&answer.body).map_err(|e| SourceError::Disconnected {
                    error: format!("X mentions: unreadable page ({e})"),
                    retry_in: None,
                })?;
            let has_data = page
                .get("data")
                .and_then(|d| d.as_array())
                .is_some_and(|d| !d.is_empty());
            if !has_data {
                if page.get("errors").is_some() {
                    return Err(SourceError::Disconnected {
                        error: format!("X mentions: {}", errors_of(&page)),
                        retry_in: None,
                    });
                }
                break;
            }
            let meta = page.get("meta");
            if let Some(id) = meta
                .and_then(|m| m.get("newest_id"))
                .and_then(|v| v.as_str())
                .or_else(|| page.get("data")?.as_array()?.first()?.get("id")?.as_str())
                && newest.as_deref().is_none_or(|n| newer(id, n))
            {
                newest = Some(id.to_owned());
            }
            lines.push(answer.body.trim().to_owned());
            token = meta
                .and_then(|m| m.get("next_token"))
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            // Without a checkpoint, only the latest page: "from now", with a little context.
            if token.is_none() || since.is_none() {
                break;
            }
        }
        Ok((lines, newest))
    }
}

fn status_error(status: u16, reset_ms: Option<i64>, body: &str) -> SourceError {
    let detail = crate::client::http::short(body);
    match status {
        401 => SourceError::Auth(format!(
            "X mentions: 401, the user token is invalid, expired or revoked ({detail})"
        )),
        403 => SourceError::Auth(format!(
            "X mentions: 403, this token may not read the mentions timeline ({detail})"
        )),
        429 => SourceError::Disconnected {
            error: format!("X mentions: 429 Too Many Requests ({detail})"),
            retry_in: reset_ms.map(|at| Duration::from_millis((at - now_ms()).max(1000) as u64)),
        },
        400 | 404 => SourceError::Config(format!("X mentions: HTTP {status} ({detail})")),
        _ => SourceError::Disconnected {
            error: format!("X mentions: HTTP {status} ({detail})"),
            retry_in: None,
        },
    }
}

impl Source for MentionsSource {
    fn run(
        &mut self,
        checkpoint: Option<&str>,
        sink: &mut dyn Sink,
        stop: &Stop,
    ) -> Result<(), SourceError> {
        let every = self.every;
        crate::client::poll::run(|since| self.poll(since), every, checkpoint, sink, stop)
    }
}
