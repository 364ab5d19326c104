//! The fingerprints stored with each message, so a restarted pipeline can rebuild its memory.

use crate::platform::Platform;
use jiff::Timestamp;

/// 64-bit fingerprints of a message: its id, its content and, for requests, what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageKeys {
    /// Of `platform:external_id`.
    pub event: u64,
    /// Of author, kind and text: tells a redelivery from an id reused with other content.
    pub content: u64,
    /// Of author and folded text, for requests routed to a human: tells a repeat.
    pub request: Option<u64>,
}

/// A stored message's keys, read back at start to rebuild the dedupe, thread and repeat windows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedRow {
    pub platform: Platform,
    pub keys: MessageKeys,
    pub conversation: String,
    pub created_at: Timestamp,
    /// The platform gave no thread root: replies to it are threaded through the window.
    pub rootless: bool,
}

/// An automated reply read back from the store, to rebuild the guardrails' memory at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentReply {
    /// Fingerprint of `platform:author_id` (the same as the store's author key).
    pub author: u64,
    pub campaign: String,
    /// The request's key in the campaign (`code=69003`, `help`).
    pub key: String,
    pub conversation: String,
    pub text: String,
    pub at: Timestamp,
}
