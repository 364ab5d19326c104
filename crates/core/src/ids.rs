//! Identifiers: a platform's own id for a message, the event id and the conversation id.

use crate::platform::Platform;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// Longest id accepted from a platform (the longest real ones, AT Protocol URIs, are ~100 bytes).
pub const MAX_ID_LEN: usize = 512;

/// Why an id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("id is empty")]
    Empty,
    #[error("id is {0} bytes long, more than the {MAX_ID_LEN}-byte limit")]
    TooLong(usize),
    #[error("id contains a control character or whitespace")]
    BadCharacter,
}

/// A platform's own identifier for a message, an account or a post: non-empty, at most
/// [`MAX_ID_LEN`] bytes, no whitespace or control characters. Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ExternalId(Arc<str>);

impl ExternalId {
    pub fn new(raw: &str) -> Result<Self, IdError> {
        if raw.is_empty() {
            return Err(IdError::Empty);
        }
        if raw.len() > MAX_ID_LEN {
            return Err(IdError::TooLong(raw.len()));
        }
        if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(IdError::BadCharacter);
        }
        Ok(ExternalId(Arc::from(raw)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ExternalId {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ExternalId::new(&value)
    }
}

impl From<ExternalId> for String {
    fn from(value: ExternalId) -> Self {
        value.0.to_string()
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The identity of an inbound event: the platform and the platform's id, written `x:123`.
/// Two events with the same `EventId` are the same message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId {
    pub platform: Platform,
    pub external: ExternalId,
}

impl EventId {
    pub fn new(platform: Platform, external: ExternalId) -> Self {
        EventId { platform, external }
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.platform, self.external)
    }
}

impl Serialize for EventId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The identity of a conversation, derived deterministically from the events themselves:
/// `PLATFORM:ROOT_ID` for a thread, `PLATFORM:dm:CHANNEL_ID:AUTHOR_ID` for a private one.
/// Deriving it (rather than counting) is what lets replay and production agree.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConversationId(Arc<str>);

impl ConversationId {
    /// The conversation rooted at `root` (a thread of replies).
    pub fn thread(platform: Platform, root: &ExternalId) -> Self {
        ConversationId(Arc::from(format!("{platform}:{root}")))
    }

    /// The one private conversation between a channel and an author.
    pub fn direct(platform: Platform, channel_id: &str, author_id: &str) -> Self {
        ConversationId(Arc::from(format!("{platform}:dm:{channel_id}:{author_id}")))
    }

    /// Rebuilds an id read back from storage.
    pub fn from_stored(raw: &str) -> Self {
        ConversationId(Arc::from(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_ids_are_validated_once() {
        assert!(ExternalId::new("1790000000000000012").is_ok());
        assert!(ExternalId::new("at://did:plc:abc/app.bsky.feed.post/3k").is_ok());
        assert_eq!(ExternalId::new(""), Err(IdError::Empty));
        assert_eq!(ExternalId::new("a b"), Err(IdError::BadCharacter));
        assert_eq!(ExternalId::new("a\u{0}"), Err(IdError::BadCharacter));
        assert_eq!(
            ExternalId::new(&"9".repeat(600)),
            Err(IdError::TooLong(600))
        );
    }

    #[test]
    fn ids_print_in_their_stable_form() {
        let id = ExternalId::new("42").unwrap();
        assert_eq!(EventId::new(Platform::X, id.clone()).to_string(), "x:42");
        assert_eq!(
            ConversationId::thread(Platform::Mastodon, &id).as_str(),
            "mastodon:42"
        );
        assert_eq!(
            ConversationId::direct(Platform::Messenger, "p1", "u9").as_str(),
            "messenger:dm:p1:u9"
        );
    }
}
