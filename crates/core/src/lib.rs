//! Palabre's domain model: what a message, a conversation and a decision are. No I/O.
//!
//! Every other crate speaks these types. Values are validated once, when built (`ExternalId`,
//! `Channel`, `GeoPoint`…), so the rest of the code can trust them.

pub mod best_time;
pub mod channel;
pub mod conversation;
pub mod decision;
pub mod duration;
pub mod fold;
pub mod ids;
pub mod keys;
pub mod limit;
pub mod media;
pub mod message;
pub mod platform;
pub mod post;
pub mod triage;

pub use channel::{Channel, ChannelParseError};
pub use conversation::{Conversation, ConversationStatus};
pub use decision::{Alert, Decision, FenceHit, Heard, Outcome, Reason};
pub use duration::{DurationError, parse_duration};
pub use ids::{ConversationId, EventId, ExternalId, IdError};
pub use keys::{MessageKeys, SeedRow, SentReply};
pub use message::{
    Author, Entities, GeoBox, GeoPoint, Media, MediaKind, Mention, Message, MessageKind, Reference,
};
pub use platform::Platform;
pub use triage::{AuthorKind, Emotion, Intent, Lang, Sentiment, SentimentLabel, Triage};

/// A point in time (UTC), as carried by events and decisions.
pub use jiff::Timestamp;
