//! The sandbox network: a platform inside Palabre for `palabre demo` and the tests. It takes
//! what the outbox sends (honouring idempotency keys as Mastodon does: the same key gives the
//! same post, never a second one), can be told to fail (500, 429 with a reset, a refusal) to
//! show retries and dead letters, and plays a scripted stream of events into the pipeline.

use super::outbox::{Deliver, DeliveryError};
use palabre_store::workspace::OutboxItem;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// What the sandbox received.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Post {
    pub remote_id: String,
    pub idempotency_key: String,
    pub action: String,
    pub platform: String,
    pub in_reply_to: Option<String>,
    pub text: Option<String>,
    pub origin: String,
    /// The choices a question offered (quick-reply buttons where the platform has them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

/// A failure to inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    ServerError,
    /// 429, with a reset this many milliseconds ahead.
    RateLimited(i64),
    Refused,
}

#[derive(Default)]
struct State {
    posts: Vec<Post>,
    by_key: HashMap<String, String>,
    failures: VecDeque<Failure>,
    attempts: u64,
}

/// The network.
#[derive(Default)]
pub struct Sandbox {
    state: Mutex<State>,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox::default()
    }

    /// The next deliveries fail, in this order.
    pub fn fail_next(&self, failures: &[Failure]) {
        if let Ok(mut s) = self.state.lock() {
            s.failures.extend(failures.iter().copied());
        }
    }

    /// Everything received, for `/api/sandbox/posts`.
    pub fn snapshot(&self) -> serde_json::Value {
        match self.state.lock() {
            Ok(s) => serde_json::json!({"attempts": s.attempts, "posts": s.posts}),
            Err(_) => serde_json::Value::Null,
        }
    }
}

impl Deliver for Sandbox {
    fn deliver(&self, item: &OutboxItem) -> Result<Option<String>, DeliveryError> {
        let mut s = self.state.lock().map_err(|_| DeliveryError::Retry {
            error: "sandbox poisoned".into(),
            at_ms: None,
        })?;
        s.attempts += 1;
        if let Some(failure) = s.failures.pop_front() {
            return Err(match failure {
                Failure::ServerError => DeliveryError::Retry {
                    error: "sandbox: 500 Internal Server Error".into(),
                    at_ms: None,
                },
                Failure::RateLimited(ms) => DeliveryError::Limited {
                    error: "sandbox: 429 Too Many Requests".into(),
                    at_ms: Some(jiff::Timestamp::now().as_millisecond() + ms),
                },
                Failure::Refused => {
                    DeliveryError::Fatal("sandbox: 403 the account may not post here".into())
                }
            });
        }
        if let Some(existing) = s.by_key.get(&item.idem_key) {
            return Ok(Some(existing.clone()));
        }
        let remote_id = format!("sandbox-{}", s.posts.len() + 1);
        s.by_key.insert(item.idem_key.clone(), remote_id.clone());
        s.posts.push(Post {
            remote_id: remote_id.clone(),
            idempotency_key: item.idem_key.clone(),
            action: item.action.clone(),
            platform: item.platform.clone(),
            in_reply_to: item.target_id.clone(),
            text: item.text.clone(),
            origin: item.origin.clone(),
            choices: item.choices().into_iter().map(str::to_owned).collect(),
        });
        Ok(Some(remote_id))
    }
}

/// A scripted stream rewritten for now: every event gets a fresh id (so that a second demo
/// run is new to the dedupe window) and the current time.
pub fn script(lines: &str, run: &str) -> Vec<String> {
    let now = jiff::Timestamp::now();
    lines
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//"))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|mut v| {
            for field in ["id", "in_reply_to", "thread_root"] {
                if let Some(id) = v.get(field).and_then(|x| x.as_str()).map(str::to_owned) {
                    v[field] = serde_json::Value::from(format!("{run}-{id}"));
                }
            }
            v["created_at"] = serde_json::Value::from(now.to_string());
            v.to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use palabre_store::workspace::OutboxStatus;

    fn item(key: &str) -> OutboxItem {
        OutboxItem {
            id: 1,
            idem_key: key.into(),
            action: "reply".into(),
            platform: "x".into(),
            conversation_id: None,
            target_id: Some("1".into()),
            text: Some("Bonjour".into()),
            origin: "human".into(),
            actor: "alice".into(),
            priority: 0,
            status: OutboxStatus::Sending,
            attempts: 1,
            next_attempt_ms: 0,
            last_error: None,
            remote_id: None,
            campaign: None,
            created_ms: 0,
            sent_ms: None,
            choices: None,
            channel: None,
        }
    }

    #[test]
    fn the_same_key_posts_once_and_failures_come_in_order() {
        let s = Sandbox::new();
        s.fail_next(&[Failure::ServerError, Failure::Refused]);
        assert!(matches!(
            s.deliver(&item("k")),
            Err(DeliveryError::Retry { .. })
        ));
        assert!(matches!(
            s.deliver(&item("k")),
            Err(DeliveryError::Fatal(_))
        ));
        let a = s.deliver(&item("k")).unwrap();
        let b = s.deliver(&item("k")).unwrap();
        assert_eq!(a, b);
        assert_eq!(s.snapshot()["posts"].as_array().unwrap().len(), 1);
        assert_eq!(s.snapshot()["attempts"], 4);
    }

    #[test]
    fn scripts_get_fresh_ids_and_now() {
        let out = script(
            "{\"id\":\"a\",\"text\":\"x\"}\n// a comment\n\n{\"id\":\"b\",\"in_reply_to\":\"a\",\"text\":\"y\"}\n",
            "r1",
        );
        assert_eq!(out.len(), 2);
        let b: serde_json::Value = serde_json::from_str(&out[1]).unwrap();
        assert_eq!(b["id"], "r1-b");
        assert_eq!(b["in_reply_to"], "r1-a");
        assert!(b["created_at"].as_str().unwrap().starts_with("20"));
    }
}
