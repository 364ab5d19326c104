//! Turns a batch of entries into the rows each table receives, the same for every backend:
//! conversations folded to one row each; and back, the decoding of stored values.

use crate::Entry;
use crate::StoreError;
use palabre_core::{
    Conversation, ConversationId, ConversationStatus, ExternalId, Platform, Timestamp,
};
use std::collections::HashMap;
use xxhash_rust::xxh3::Xxh3Builder;

pub(crate) struct ConversationRow<'a> {
    pub id: &'a str,
    pub platform: Platform,
    pub root: Option<&'a str>,
    pub first_ms: i64,
    pub last_inbound_ms: i64,
    /// A human is needed: the conversation opens (again, if it was resolved, pending or
    /// snoozed). A conversation the bot alone answered starts resolved.
    pub needs_human: bool,
    /// The queue of the newest message that went to a human.
    pub queue: Option<&'a str>,
    /// 2 toxic or angry, 1 negative or malformed, 0 otherwise: the highest in the batch.
    pub priority: i64,
    /// Drafts waiting for a human, added by this batch.
    pub drafts: i64,
    /// The brand's channel the conversation was addressed to: the first one said is kept.
    pub channel: Option<&'a str>,
}

/// The inbox columns of the conversation upsert, the same SQL for both backends: a message for
/// a human opens the conversation again if it was put aside, raises its priority and counts
/// its drafts. Only threads with something for the inbox get a row (see [`plan`]); older
/// stores may still hold rows with `inbox = 0`, which the inbox's queries leave out.
/// Automated replies that went out (the bot's answers and help replies, and drafts a person
/// approved, with the text approved), the newest `$1`, oldest first. Both backends read `$1`.
pub(crate) const RECENT_REPLIES: &str = "SELECT author_key, campaign, campaign_key, conversation_id, reply, created_ms FROM (
        SELECT m.seq, m.author_key, m.campaign, m.campaign_key, m.conversation_id,
               COALESCE(r.final_text, m.reply) AS reply, COALESCE(r.at_ms, m.created_ms) AS created_ms
        FROM messages m LEFT JOIN draft_reviews r
            ON r.platform = m.platform AND r.external_id = m.external_id AND m.outcome = 'drafted'
        WHERE m.campaign IS NOT NULL AND m.reply IS NOT NULL
          AND (m.outcome IN ('bot_replied', 'routed_to_human') OR r.verdict = 'approved')
          AND NOT EXISTS (SELECT 1 FROM outbox o
              WHERE o.idem_key = 'bot:' || m.platform || ':' || m.external_id AND o.status = 'withdrawn')
        ORDER BY m.seq DESC LIMIT $1) recent ORDER BY seq";

pub(crate) const RECENT_TURNS: &str = "SELECT conversation_id, author_key, outcome, reasons, triage, campaign_key, created_ms FROM (
        SELECT conversation_id, author_key, outcome, reasons, triage, campaign_key, created_ms FROM (
            SELECT * FROM messages ORDER BY seq DESC LIMIT $1) recent
        UNION ALL
        SELECT conversation_id, 0, NULL, '', NULL, NULL, created_ms FROM (
            SELECT * FROM outbox WHERE origin = 'human' AND action IN ('reply', 'direct')
              AND conversation_id IS NOT NULL ORDER BY id DESC LIMIT $1) human
    ) turns ORDER BY created_ms";

pub(crate) const RECENT_CAMPAIGN_TURNS: &str = "SELECT conversation_id, author_key, campaign, outcome, reasons, reply, triage, text, created_ms FROM (
        SELECT seq, conversation_id, author_key, campaign, outcome, reasons, reply, triage, text, created_ms
        FROM (SELECT * FROM messages ORDER BY seq DESC LIMIT $1) recent
        WHERE campaign IS NOT NULL AND (campaign_key IS NULL OR campaign_key NOT LIKE 'faq=%')
    ) turns ORDER BY seq";

pub(crate) const RECENT_READ: &str = "SELECT author_key, text, triage, created_ms FROM (
        SELECT seq, author_key, text, triage, created_ms
        FROM (SELECT * FROM messages ORDER BY seq DESC LIMIT $1) recent
        WHERE triage IS NOT NULL
    ) read ORDER BY seq";

pub(crate) const INBOX_UPSERT: &str = "
    inbox = 1,
    queue = COALESCE(excluded.queue, conversations.queue),
    priority = CASE WHEN excluded.priority > conversations.priority THEN excluded.priority ELSE conversations.priority END,
    drafts = conversations.drafts + excluded.drafts,
    channel = COALESCE(conversations.channel, excluded.channel),
    status = CASE WHEN excluded.status = 'open' THEN 'open' ELSE conversations.status END,
    snoozed_until_ms = CASE WHEN excluded.status = 'open' THEN NULL ELSE conversations.snoozed_until_ms END";

impl ConversationRow<'_> {
    /// The status a batch asks for: open when a human is needed; otherwise resolved, which a
    /// new conversation keeps (nobody needs to look at it) and an existing one ignores.
    pub(crate) fn status(&self) -> &'static str {
        if self.needs_human { "open" } else { "resolved" }
    }
}

/// What a decision means for the inbox: 2 a human is needed, 1 the bot answered, 0 nothing.
fn inbox_level(decision: &palabre_core::Decision) -> i64 {
    use palabre_core::{Outcome, Reason};
    match decision.outcome {
        Outcome::RoutedToHuman | Outcome::Drafted | Outcome::Hidden => 2,
        Outcome::BotReplied if decision.reasons.contains(&Reason::SampledForReview) => 2,
        Outcome::BotReplied => 1,
        Outcome::Ignored | Outcome::Invalid => 0,
    }
}

/// How urgent a decision makes its conversation: 3 someone's safety (listening heard a lost
/// child, an injury…), 2 toxic or angry, 1 negative or malformed.
pub(crate) fn priority(decision: &palabre_core::Decision) -> i64 {
    use palabre_core::{Emotion, Reason, SentimentLabel};
    let triage = decision.triage.as_ref();
    if decision.reasons.contains(&Reason::Safety) {
        3
    } else if triage.is_some_and(|t| t.toxic || t.emotion == Emotion::Anger) {
        2
    } else if triage.is_some_and(|t| t.sentiment.label == SentimentLabel::Negative)
        || decision.reasons.contains(&Reason::MalformedRequest)
    {
        1
    } else {
        0
    }
}

pub(crate) struct Plan<'a> {
    pub conversations: Vec<ConversationRow<'a>>,
    /// New interactions per (platform, hour): the `interactions_hourly` rollup's increments.
    pub interactions: Vec<(&'static str, i64, i64)>,
}

/// An interaction of the audience with the brand: a message decided for a person or the bot,
/// or a repost or quote of one of the brand's posts. Migration 15 (SQLite) / 14 (PostgreSQL)
/// counts the messages already stored with the same rule in SQL.
pub(crate) fn is_interaction(decision: &palabre_core::Decision) -> bool {
    use palabre_core::{Outcome, Reason};
    !matches!(decision.outcome, Outcome::Ignored | Outcome::Invalid)
        || decision.reasons.contains(&Reason::EchoOfOwnPost)
}

/// Folds the batch: one row per conversation with something for the inbox in it, from the
/// messages for the inbox only. A thread nobody addressed to the brand (reposts, other people's
/// posts: half of a stream) is its messages alone: no conversation row, no upsert on the
/// recorded path. `fresh[i]` says whether entry `i` was stored by this write: only those count,
/// so that writing the same events again changes nothing.
pub(crate) fn plan<'a>(entries: &'a [Entry], fresh: &[bool]) -> Plan<'a> {
    let mut conversations: HashMap<&str, ConversationRow, Xxh3Builder> = HashMap::default();
    let mut interactions: HashMap<(&'static str, i64), i64, Xxh3Builder> = HashMap::default();
    for (i, entry) in entries.iter().enumerate() {
        let Entry::Message {
            message, decision, ..
        } = entry
        else {
            continue;
        };
        if fresh.get(i).copied().unwrap_or(false) && is_interaction(decision) {
            let hour = message.created_at.as_second().div_euclid(3600);
            *interactions
                .entry((message.id.platform.as_str(), hour))
                .or_default() += 1;
        }
        let Some(conversation) = decision.conversation.as_ref() else {
            continue;
        };
        let at = message.created_at.as_millisecond();
        let platform = message.id.platform;
        use palabre_core::Outcome;
        let level = if fresh.get(i).copied().unwrap_or(false) {
            inbox_level(decision)
        } else {
            0
        };
        if level == 0 {
            continue;
        }
        let needs_human = level == 2;
        let queue = decision.queue.as_deref();
        let urgency = priority(decision);
        let drafts = i64::from(decision.outcome == Outcome::Drafted);
        let channel = decision.channel.as_deref();
        conversations
            .entry(conversation.as_str())
            .and_modify(|row| {
                row.first_ms = row.first_ms.min(at);
                row.last_inbound_ms = row.last_inbound_ms.max(at);
                row.needs_human |= needs_human;
                row.queue = queue.or(row.queue);
                row.priority = row.priority.max(urgency);
                row.drafts += drafts;
                row.channel = row.channel.or(channel);
            })
            .or_insert(ConversationRow {
                id: conversation.as_str(),
                platform,
                root: root_of(conversation.as_str()),
                first_ms: at,
                last_inbound_ms: at,
                needs_human,
                queue,
                priority: urgency,
                drafts,
                channel,
            });
    }
    Plan {
        conversations: conversations.into_values().collect(),
        interactions: interactions
            .into_iter()
            .map(|((platform, hour), n)| (platform, hour, n))
            .collect(),
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
