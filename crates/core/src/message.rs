//! A message as Palabre sees it, whatever platform it came from, and its author.

use crate::ids::{EventId, ExternalId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Longest text accepted in one message: 64 KiB, well above every platform's own limit
/// (X long posts are 25,000 characters). A longer text is refused as `invalid`, never cut.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// What kind of message it is on its platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Post,
    Reply,
    Repost,
    Quote,
    Direct,
    Comment,
    Review,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Post => "post",
            MessageKind::Reply => "reply",
            MessageKind::Repost => "repost",
            MessageKind::Quote => "quote",
            MessageKind::Direct => "direct",
            MessageKind::Comment => "comment",
            MessageKind::Review => "review",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "post" => MessageKind::Post,
            "reply" => MessageKind::Reply,
            "repost" => MessageKind::Repost,
            "quote" => MessageKind::Quote,
            "direct" => MessageKind::Direct,
            "comment" => MessageKind::Comment,
            "review" => MessageKind::Review,
            _ => return None,
        })
    }
}

/// The text of a message: at most [`MAX_TEXT_BYTES`], checked when built.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct MessageText(String);

/// The text is longer than Palabre accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("text is {0} bytes long, more than the {MAX_TEXT_BYTES}-byte limit")]
pub struct TextTooLong(pub usize);

impl MessageText {
    pub fn new(text: impl Into<String>) -> Result<Self, TextTooLong> {
        let text = text.into();
        if text.len() > MAX_TEXT_BYTES {
            return Err(TextTooLong(text.len()));
        }
        Ok(MessageText(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for MessageText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A rating from 1 to 5 stars, as reviews carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Rating(u8);

impl Rating {
    pub fn new(stars: i64) -> Option<Self> {
        (1..=5).contains(&stars).then_some(Rating(stars as u8))
    }
    pub fn stars(self) -> u8 {
        self.0
    }
}

/// A platform's place (a city, a venue) as its bounding box, in degrees: an area, not a point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GeoBox {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

impl GeoBox {
    /// Checked to be on Earth, south ≤ north and west ≤ east (a box across the antimeridian is
    /// not taken).
    pub fn new(west: f64, south: f64, east: f64, north: f64) -> Option<Self> {
        let corners_ok =
            GeoPoint::new(south, west).is_some() && GeoPoint::new(north, east).is_some();
        (corners_ok && south <= north && west <= east).then_some(GeoBox {
            west,
            south,
            east,
            north,
        })
    }
}

/// A latitude/longitude pair in degrees, checked to be on Earth.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

impl GeoPoint {
    pub fn new(lat: f64, lon: f64) -> Option<Self> {
        let ok = lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0;
        ok.then_some(GeoPoint { lat, lon })
    }
}

/// A mention of an account inside the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mention {
    /// As written, without `@` (`brand`, `brand@mastodon.social`, `brand.bsky.social`).
    pub handle: String,
    /// The account id when the platform gives it (X user id, Bluesky DID, Mastodon account id).
    pub id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    File,
    Other,
}

/// A picture, video or file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Media {
    pub kind: MediaKind,
    pub url: Option<String>,
}

/// What a message carries besides its text. Stored as JSON with every message: empty lists and
/// a missing point are left out (most messages have neither links, media nor a place).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Entities {
    /// Without the `#`, as written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hashtags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<Mention>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<Media>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geo: Option<GeoPoint>,
    /// The platform's place, when the post names one (its own point, when it has one, is
    /// `geo`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<GeoBox>,
}

/// The message another one quotes or reposts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    pub id: ExternalId,
    pub author_id: Option<String>,
    pub author_handle: Option<String>,
}

/// The author id used when a payload does not say who wrote it (an X page fetched without
/// `tweet.fields=author_id`, a generic event without `author`).
pub const UNKNOWN_AUTHOR: &str = "unknown";

/// Who wrote a message, as the platform describes them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Author {
    pub id: String,
    pub handle: Option<String>,
    pub display_name: Option<String>,
    pub verified: bool,
    pub followers: Option<u64>,
    pub following: Option<u64>,
    pub bio: Option<String>,
}

/// One inbound message, normalized from any platform.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub id: EventId,
    pub kind: MessageKind,
    pub text: MessageText,
    /// The language the platform or the author declared, if any (`fr`, `en`…).
    pub lang_hint: Option<String>,
    pub author: Author,
    pub entities: Entities,
    /// The message this one answers.
    pub in_reply_to: Option<ExternalId>,
    /// The account this one answers, when the platform says it.
    pub in_reply_to_author: Option<String>,
    /// The first message of the thread, when the platform says it (X `conversation_id`, Bluesky
    /// `reply.root`).
    pub thread_root: Option<ExternalId>,
    /// The quoted or reposted message.
    pub referenced: Option<Reference>,
    /// For direct messages: the account that received it.
    pub recipient: Option<String>,
    /// For reviews.
    pub rating: Option<Rating>,
    /// The payload of the quick reply the person tapped (Messenger), when they answered a
    /// question with one of its buttons.
    pub choice: Option<String>,
    pub created_at: Timestamp,
    /// The platform's payload, exactly as received.
    #[serde(skip)]
    pub raw: Arc<str>,
}

impl Author {
    /// An author the payload does not identify.
    pub fn unknown() -> Self {
        Author {
            id: UNKNOWN_AUTHOR.to_owned(),
            ..Author::default()
        }
    }

    pub fn is_known(&self) -> bool {
        self.id != UNKNOWN_AUTHOR && !self.id.is_empty()
    }
}

impl Message {
    /// A message with only the required parts; the normalizers fill in the rest.
    pub fn new(
        id: EventId,
        kind: MessageKind,
        text: MessageText,
        author: Author,
        created_at: Timestamp,
    ) -> Self {
        Message {
            id,
            kind,
            text,
            lang_hint: None,
            author,
            entities: Entities::default(),
            in_reply_to: None,
            in_reply_to_author: None,
            thread_root: None,
            referenced: None,
            recipient: None,
            rating: None,
            choice: None,
            created_at,
            raw: Arc::from(""),
        }
    }

    /// Neither text nor attachment: nothing a human could answer.
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty() && self.entities.media.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_has_a_hard_limit() {
        assert!(MessageText::new("bonjour").is_ok());
        assert!(MessageText::new("é".repeat(MAX_TEXT_BYTES / 2)).is_ok());
        assert_eq!(
            MessageText::new("a".repeat(MAX_TEXT_BYTES + 1)),
            Err(TextTooLong(MAX_TEXT_BYTES + 1))
        );
    }

    #[test]
    fn ratings_and_points_are_checked() {
        assert_eq!(Rating::new(4).map(Rating::stars), Some(4));
        assert!(Rating::new(0).is_none() && Rating::new(6).is_none());
        assert!(GeoPoint::new(48.87, 2.77).is_some());
        assert!(GeoPoint::new(91.0, 0.0).is_none());
        assert!(GeoPoint::new(f64::NAN, 0.0).is_none());
    }

    #[test]
    fn kinds_round_trip() {
        for k in [
            "post", "reply", "repost", "quote", "direct", "comment", "review",
        ] {
            assert_eq!(MessageKind::parse(k).map(MessageKind::as_str), Some(k));
        }
        assert_eq!(MessageKind::parse("story"), None);
    }
}
