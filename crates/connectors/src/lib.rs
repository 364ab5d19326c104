//! Platform payloads in, [`Message`]s out: one pure normalizer per platform (social networks
//! and review sites), and `auto` detection.
//!
//! Each platform has its own folder (`x/`, `mastodon/`…) holding `parse.rs` (pure: JSON to
//! `Message`), with real recorded payloads under `fixtures/PLATFORM/` at the crate root.
//! Network clients will join them in the same folders, behind the same interface.

pub mod bluesky;
#[cfg(feature = "client")]
pub mod client;
pub mod detect;
pub mod generic;
pub mod google;
mod json;
pub mod mastodon;
pub mod messenger;
pub mod text;
pub mod trustpilot;
pub mod x;

use palabre_core::{EventId, Message, Reason};
use std::fmt;
use std::str::FromStr;

pub use detect::detect;

/// Which payload format an input line is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Recognise each line by its shape.
    Auto,
    X,
    Mastodon,
    Bluesky,
    Messenger,
    /// Google Business Profile reviews.
    Google,
    Trustpilot,
    Generic,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::X => "x",
            Format::Mastodon => "mastodon",
            Format::Bluesky => "bluesky",
            Format::Messenger => "messenger",
            Format::Google => "google",
            Format::Trustpilot => "trustpilot",
            Format::Generic => "generic",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "auto" => Format::Auto,
            "x" | "twitter" => Format::X,
            "mastodon" => Format::Mastodon,
            "bluesky" => Format::Bluesky,
            "messenger" | "instagram" => Format::Messenger,
            "google" => Format::Google,
            "trustpilot" => Format::Trustpilot,
            "generic" => Format::Generic,
            other => {
                return Err(format!(
                    "unknown format `{other}` (expected auto, x, mastodon, bluesky, messenger, google, trustpilot or generic)"
                ));
            }
        })
    }
}

/// One platform event found in an input line.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Something someone wrote: a post, reply, repost, direct message, comment or review.
    Message(Box<Message>),
    /// A platform event that is not a message (a like, a follow, a deletion, a read receipt).
    NotAMessage {
        /// The event's own id, when it has one.
        id: Option<EventId>,
        /// What it is, for the record (`favourite`, `app.bsky.feed.like`, `delivery`…).
        what: String,
    },
}

/// Why (part of) a line could not be turned into an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct NormalizeError {
    /// `parse_error`, `unknown_shape`, `text_too_long`, `invalid_utf8`.
    pub reason: Reason,
    pub message: String,
}

impl NormalizeError {
    pub fn parse(message: impl Into<String>) -> Self {
        NormalizeError {
            reason: Reason::ParseError,
            message: message.into(),
        }
    }
    pub fn unknown_shape(message: impl Into<String>) -> Self {
        NormalizeError {
            reason: Reason::UnknownShape,
            message: message.into(),
        }
    }
}

impl From<palabre_core::message::TextTooLong> for NormalizeError {
    fn from(e: palabre_core::message::TextTooLong) -> Self {
        NormalizeError {
            reason: Reason::TextTooLong,
            message: e.to_string(),
        }
    }
}

impl From<palabre_core::IdError> for NormalizeError {
    fn from(e: palabre_core::IdError) -> Self {
        NormalizeError::parse(format!("bad id: {e}"))
    }
}

/// What one input line became: usually one event, several for pages and webhook batches.
pub type Normalized = Result<Event, NormalizeError>;

/// Normalizes one input line (one JSON document) and appends what it holds to `out`.
/// Never panics; every problem is an `Err` in `out`.
pub fn normalize_into(line: &str, format: Format, out: &mut Vec<Normalized>) {
    let format = match format {
        Format::Auto => match detect(line) {
            Ok(f) => f,
            Err(e) => {
                out.push(Err(e));
                return;
            }
        },
        f => f,
    };
    match format {
        Format::X => x::parse_into(line, out),
        Format::Mastodon => mastodon::parse_into(line, out),
        Format::Bluesky => bluesky::parse_into(line, out),
        Format::Messenger => messenger::parse_into(line, out),
        Format::Google => google::parse_into(line, out),
        Format::Trustpilot => trustpilot::parse_into(line, out),
        Format::Generic | Format::Auto => generic::parse_into(line, out),
    }
}

/// Convenience form of [`normalize_into`].
pub fn normalize(line: &str, format: Format) -> Vec<Normalized> {
    let mut out = Vec::with_capacity(1);
    normalize_into(line, format, &mut out);
    out
}
