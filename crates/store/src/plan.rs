//! Turns a batch of entries into the rows each table receives, the same for every backend:
//! authors and conversations folded to one row each; and back, the decoding of stored values.

use crate::Entry;
use crate::StoreError;
use palabre_core::{
    Author, Conversation, ConversationId, ConversationStatus, ExternalId, Platform, Timestamp,
};
use std::collections::HashMap;
use xxhash_rust::xxh3::Xxh3Builder;

pub(crate) struct AuthorRow<'a> {
    pub key: i64,
    pub platform: Platform,
    pub author: &'a Author,
    pub seen_ms: i64,
}

pub(crate) struct ConversationRow<'a> {
    pub id: &'a str,
    pub platform: Platform,
    pub root: Option<&'a str>,
    pub first_ms: i64,
    pub last_inbound_ms: i64,
}

pub(crate) struct Plan<'a> {
    pub authors: Vec<AuthorRow<'a>>,
    pub conversations: Vec<ConversationRow<'a>>,
}

/// Folds the batch: the newest profile of each author, one row per conversation.
pub(crate) fn plan(entries: &[Entry]) -> Plan<'_> {
    let mut authors: HashMap<i64, AuthorRow, Xxh3Builder> = HashMap::default();
    let mut conversations: HashMap<&str, ConversationRow, Xxh3Builder> = HashMap::default();
    for entry in entries {
        let Entry::Message {
            message,
            decision,
            prepared,
            ..
        } = entry
        else {
            continue;
        };
        let Some(conversation) = decision.conversation.as_ref() else {
            continue;
        };
        let at = message.created_at.as_millisecond();
        let platform = message.id.platform;
        let author = &message.author;
        authors
            .entry(prepared.author_key)
            .and_modify(|row| {
                if at >= row.seen_ms {
                    row.author = author;
                    row.seen_ms = at;
                }
            })
            .or_insert(AuthorRow {
                key: prepared.author_key,
                platform,
                author,
                seen_ms: at,
            });
        conversations
            .entry(conversation.as_str())
            .and_modify(|row| {
                row.first_ms = row.first_ms.min(at);
                row.last_inbound_ms = row.last_inbound_ms.max(at);
            })
            .or_insert(ConversationRow {
                id: conversation.as_str(),
                platform,
                root: root_of(conversation.as_str()),
                first_ms: at,
                last_inbound_ms: at,
            });
    }
    Plan {
        authors: authors.into_values().collect(),
        conversations: conversations.into_values().collect(),
    }
}

/// The root message id a thread's conversation id names (`x:123` → `123`); none for a
/// private conversation (`x:dm:…`).
fn root_of(conversation: &str) -> Option<&str> {
    conversation
        .split_once(':')
        .map(|(_, root)| root)
        .filter(|root| !root.starts_with("dm:"))
}

/// Reasons as stored: snake_case names joined by commas.
pub(crate) fn reasons(decision: &palabre_core::Decision) -> String {
    let mut out = String::with_capacity(32);
    for (i, r) in decision.reasons.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(r.as_str());
    }
    out
}

pub(crate) fn split_reasons(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A stored platform name, back to a `Platform`.
pub(crate) fn platform_of(raw: &str) -> Result<Platform, StoreError> {
    raw.parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown platform `{raw}`")))
}

/// Stored milliseconds, back to a `Timestamp`.
pub(crate) fn timestamp(ms: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(ms).map_err(|e| StoreError::Corrupt(format!("timestamp {ms}: {e}")))
}

/// A conversation's columns as stored, in the order both backends select them.
pub(crate) struct ConversationColumns {
    pub platform: String,
    pub root: Option<String>,
    pub status: String,
    pub assignee: Option<String>,
    pub bot_paused: bool,
    pub last_inbound_ms: Option<i64>,
    pub last_outbound_ms: Option<i64>,
}

/// A stored conversation, back to a `Conversation`, every value checked.
pub(crate) fn conversation(
    id: &ConversationId,
    c: ConversationColumns,
    participants: Vec<String>,
) -> Result<Conversation, StoreError> {
    Ok(Conversation {
        id: id.clone(),
        platform: platform_of(&c.platform)?,
        root: c
            .root
            .as_deref()
            .map(ExternalId::new)
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        participants,
        status: ConversationStatus::parse(&c.status)
            .ok_or_else(|| StoreError::Corrupt(format!("conversation status `{}`", c.status)))?,
        assignee: c.assignee,
        bot_paused: c.bot_paused,
        last_inbound_at: c.last_inbound_ms.map(timestamp).transpose()?,
        last_outbound_at: c.last_outbound_ms.map(timestamp).transpose()?,
    })
}
