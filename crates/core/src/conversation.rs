//! A conversation: the thread or private exchange a message belongs to, and who works on it.

use crate::ids::{ConversationId, ExternalId};
use crate::platform::Platform;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Where a conversation stands for the people who work on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// Needs someone.
    Open,
    /// Waiting for the author's answer.
    Pending,
    /// Put aside until a given time; it comes back open then, or sooner if the author writes.
    Snoozed,
    /// Done.
    Resolved,
}

impl ConversationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Open => "open",
            ConversationStatus::Pending => "pending",
            ConversationStatus::Snoozed => "snoozed",
            ConversationStatus::Resolved => "resolved",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "open" => ConversationStatus::Open,
            "pending" => ConversationStatus::Pending,
            "snoozed" => ConversationStatus::Snoozed,
            "resolved" => ConversationStatus::Resolved,
            _ => return None,
        })
    }
}

/// A thread of replies, or the private exchange between a channel and one person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub platform: Platform,
    /// The first message, when it is a thread.
    pub root: Option<ExternalId>,
    /// Author ids of everyone who wrote in it, in order of first appearance.
    pub participants: Vec<String>,
    pub status: ConversationStatus,
    /// The user working on it.
    pub assignee: Option<String>,
    /// Set when a human took over: the bot stays out until released.
    pub bot_paused: bool,
    pub last_inbound_at: Option<Timestamp>,
    pub last_outbound_at: Option<Timestamp>,
}
