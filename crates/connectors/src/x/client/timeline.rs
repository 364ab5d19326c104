//! What the resend checks have read of the account's own timeline, kept so that each check
//! reads only the tweets posted since the previous one. X has no idempotency key: before an
//! action that X may already have taken is sent again, the sender looks for the tweet among the
//! account's (send.rs). Reading the whole timeline since the action was queued at every check
//! would cost dozens of pages on a busy night; with what is known, a check costs the pages of
//! the tweets posted since the last check, usually one.

use std::collections::HashMap;
use std::sync::Mutex;

/// One of the account's tweets as the timeline lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tweet {
    pub id: String,
    /// The tweet it answers (None: a post of its own).
    pub replied_to: Option<String>,
    pub text: String,
}

/// Which part of the timeline a check must read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// Only the tweets newer than this one (what is older is known).
    pub since_id: Option<String>,
    /// Otherwise, every tweet since then (Unix ms).
    pub start_ms: i64,
}

/// Tweets remembered at most; past this the memory starts again from a full read.
const MAX_KNOWN: usize = 50_000;

#[derive(Debug, Default)]
struct Known {
    /// Every tweet of the account since then is known, up to `newest_id`.
    since_ms: Option<i64>,
    newest_id: Option<String>,
    /// (the tweet answered, the text made comparable) → the tweet's id.
    tweets: HashMap<(Option<String>, String), String>,
}

#[derive(Debug, Default)]
pub struct Timeline {
    known: Mutex<Known>,
}

impl Timeline {
    /// What to read so that every tweet since `from_ms` is known.
    pub fn plan(&self, from_ms: i64) -> Read {
        let Ok(known) = self.known.lock() else {
            return Read {
                since_id: None,
                start_ms: from_ms,
            };
        };
        match (known.since_ms, &known.newest_id) {
            (Some(since), Some(newest)) if since <= from_ms => Read {
                since_id: Some(newest.clone()),
                start_ms: since,
            },
            _ => Read {
                since_id: None,
                start_ms: from_ms,
            },
        }
    }

    /// What a read found, newest first; `complete`: it reached the end of what it asked for.
    pub fn learn(&self, read: &Read, tweets: Vec<Tweet>, complete: bool) {
        let Ok(mut known) = self.known.lock() else {
            return;
        };
        if known.tweets.len() + tweets.len() > MAX_KNOWN {
            *known = Known::default();
        }
        let newest = tweets.first().map(|t| t.id.clone());
        for t in tweets {
            known
                .tweets
                .insert((t.replied_to, comparable(&t.text)), t.id);
        }
        if !complete {
            // Tweets in the middle are missing: nothing more is known to be complete.
            return;
        }
        if read.since_id.is_none() {
            known.since_ms = Some(read.start_ms);
            known.newest_id = newest;
        } else if let Some(n) = newest
            && known.newest_id.as_deref().is_none_or(|old| newer(&n, old))
        {
            known.newest_id = Some(n);
        }
    }

    /// The id of the account's tweet answering `target` (None: a post) with this text.
    pub fn find(&self, target: Option<&str>, text: &str) -> Option<String> {
        let known = self.known.lock().ok()?;
        known
            .tweets
            .get(&(target.map(str::to_owned), comparable(text)))
            .cloned()
    }
}

/// Whether tweet id `a` is newer than `b` (snowflakes: longer is newer, then by digits).
fn newer(a: &str, b: &str) -> bool {
    (a.len(), a) > (b.len(), b)
}

/// A text as X shows it back, made comparable: X wraps every link in a t.co link, escapes
/// `&`, `<` and `>` as entities and may cut a leading `@mention` of the person answered.
pub fn comparable(text: &str) -> String {
    let decoded = html_escape::decode_html_entities(text);
    decoded
        .split_whitespace()
        .filter(|w| !(w.starts_with("http://") || w.starts_with("https://")))
        .filter(|w| !w.starts_with('@'))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tweet(id: &str, to: &str, text: &str) -> Tweet {
        Tweet {
            id: id.into(),
            replied_to: Some(to.into()),
            text: text.into(),
        }
    }

    #[test]
    fn texts_compare_as_x_shows_them_back() {
        assert_eq!(
            comparable("Results &amp; more: https://t.co/abc123"),
            comparable("Results & more: https://example.org/results/75001")
        );
        assert_eq!(comparable("@alice  thanks!"), comparable("thanks!"));
        assert_ne!(comparable("thanks!"), comparable("thanks again!"));
    }

    #[test]
    fn after_a_full_read_only_newer_tweets_are_read() {
        let t = Timeline::default();
        let first = t.plan(1_000);
        assert_eq!(first.since_id, None, "nothing known: everything since 1000");
        t.learn(
            &first,
            vec![tweet("12", "1", "b"), tweet("11", "2", "a")],
            true,
        );
        assert_eq!(t.find(Some("2"), "a"), Some("11".into()));
        assert_eq!(
            t.find(Some("1"), "a"),
            None,
            "same text, another tweet answered"
        );
        // A later action: only what is newer than 12.
        let next = t.plan(2_000);
        assert_eq!(next.since_id.as_deref(), Some("12"));
        t.learn(&next, vec![tweet("13", "3", "c")], true);
        assert_eq!(t.plan(2_000).since_id.as_deref(), Some("13"));
        // An action queued before what is known: a full read from its time.
        assert_eq!(t.plan(500).since_id, None);
        // An incomplete read teaches its tweets but not that nothing is missing.
        let again = t.plan(2_000);
        t.learn(&again, vec![tweet("15", "5", "e")], false);
        assert_eq!(t.find(Some("5"), "e"), Some("15".into()));
        assert_eq!(t.plan(2_000).since_id.as_deref(), Some("13"));
    }

    #[test]
    fn ids_compare_as_snowflakes() {
        assert!(newer("1700000000000000010", "999999999999999999"));
        assert!(newer("1700000000000000010", "1700000000000000009"));
        assert!(!newer("1700000000000000009", "1700000000000000009"));
    }
}
