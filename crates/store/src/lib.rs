//! Where decisions are kept: the [`Store`] trait and its SQLite (default) and PostgreSQL backends.
//!
//! A batch of processed events is written in one transaction ([`Store::write`]); writes are
//! idempotent (a message already stored is left as it was), so ingesting the same events again
//! changes nothing, and a batch is either wholly kept or not at all. Each backend has its own
//! migrations under `migrations/BACKEND/`, applied at open.

mod error;
mod migrate;
mod plan;
mod postgres;
mod sqlite;
pub mod workspace;

pub use error::StoreError;
pub use postgres::PostgresStore;
pub use sqlite::{SqliteStore, lock_waited_us, thread_lock_waited_us};
pub use workspace::Workspace;

use palabre_core::{
    Conversation, ConversationId, Decision, EventId, Message, MessageKeys, Reason, SeedRow,
    SentReply, Timestamp,
};

/// One thing to keep, as the pipeline produced it.
#[derive(Debug, Clone)]
// Nearly every entry is a `Message`: boxing it to shrink the rare others would add an
// allocation per event on the hot path.
#[allow(clippy::large_enum_variant)]
pub enum Entry {
    /// A message seen for the first time, and its decision. Build it with [`Entry::message`].
    Message {
        message: Box<Message>,
        keys: MessageKeys,
        decision: Decision,
        decided_at: Timestamp,
        prepared: Prepared,
    },
    /// An id seen before, back with other content: kept aside in `rejects` with its payload.
    Conflict {
        message: Box<Message>,
        source: String,
        line: Option<u64>,
        decided_at: Timestamp,
    },
    /// A line or event that could not be read, with its error and its bytes.
    Rejected {
        source: String,
        line: Option<u64>,
        reason: Reason,
        error: String,
        raw: String,
        at: Timestamp,
    },
}

/// Columns serialized once, on the thread that builds the entry, so that the writer (the
/// bottleneck of a recorded run) only writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The message's entities as JSON.
    pub entities: String,
    /// The decision's reasons, snake_case, comma-separated.
    pub reasons: String,
    /// The decision's triage as JSON.
    pub triage: Option<String>,
    /// [`author_key`] of the message's author.
    pub author_key: i64,
    /// Triage read an insult or abuse: the message belongs in the moderation queue.
    pub toxic: bool,
    /// What listening heard in it, as JSON.
    pub listening: Option<String>,
}

/// The key of an author in the store: a 64-bit fingerprint of `platform:id`. Integer keys in
/// random order are much cheaper to index than the strings they stand for.
pub fn author_key(platform: palabre_core::Platform, id: &str) -> i64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(platform.as_str().as_bytes());
    h.update(b":");
    h.update(id.as_bytes());
    h.digest() as i64
}

impl Entry {
    /// A message and its decision, with their stored columns prepared.
    pub fn message(
        message: Box<Message>,
        keys: MessageKeys,
        decision: Decision,
        decided_at: Timestamp,
    ) -> Entry {
        let prepared = Prepared {
            // Serializing plain structs cannot fail; an empty object would only lose entities
            // that the raw payload still holds.
            entities: serde_json::to_string(&message.entities).unwrap_or_else(|_| "{}".to_owned()),
            reasons: plan::reasons(&decision),
            triage: decision
                .triage
                .as_ref()
                .and_then(|t| serde_json::to_string(t).ok()),
            author_key: author_key(message.id.platform, &message.author.id),
            toxic: decision.triage.as_ref().is_some_and(|t| t.toxic),
            listening: decision
                .listening
                .as_ref()
                .and_then(|l| serde_json::to_string(l).ok()),
        };
        Entry::Message {
            message,
            keys,
            decision,
            decided_at,
            prepared,
        }
    }
}

/// What a write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Messages stored by this write.
    pub inserted: u64,
    /// Messages that were already stored, left untouched.
    pub already_stored: u64,
    /// Lines and conflicting versions kept in `rejects`.
    pub rejected: u64,
}

/// A stored message, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    pub id: EventId,
    pub kind: String,
    pub author_id: String,
    pub text: String,
    pub conversation: ConversationId,
    pub created_at: Timestamp,
    pub raw: String,
}

/// A stored decision, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDecision {
    pub outcome: String,
    pub reasons: Vec<String>,
    pub queue: Option<String>,
    pub reply: Option<String>,
    pub triage: Option<String>,
}

/// What a stored message, or a person's reply from the inbox, did in its conversation: read
/// back at start to rebuild the support exchanges surveys follow.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTurn {
    pub conversation: String,
    /// The author key (0 for a person's reply from the inbox).
    pub author: u64,
    /// The message's decision; `None` for a person's reply from the inbox.
    pub decision: Option<StoredDecision>,
    /// The campaign request's key (`faq=bagage-cabine`), if a campaign took it.
    pub campaign_key: Option<String>,
    pub at: Timestamp,
}

/// A message a campaign decided on (its help, its answer, a person's turn), read back at start
/// to rebuild the requests waiting for an answer to the bot's question.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignTurn {
    pub conversation: String,
    /// The author key.
    pub author: u64,
    pub campaign: String,
    pub decision: StoredDecision,
    /// The message's text.
    pub text: String,
    pub at: Timestamp,
}

/// A message triage read (one addressed to the brand), read back at start to rebuild the
/// crisis detector's counts.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadMessage {
    /// The author key.
    pub author: u64,
    pub text: String,
    /// Triage's labels, as JSON.
    pub triage: String,
    pub at: Timestamp,
}

/// One line of the append-only audit log: who did what to what.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at: Timestamp,
    /// A user name, `palabre` for the engine itself, `replay` for a replay run.
    pub actor: String,
    /// A stable snake_case verb (`replay_started`, `conversation_assigned`…).
    pub action: String,
    pub target: Option<String>,
    /// Free text or JSON with the details.
    pub detail: Option<String>,
}

/// Row counts, for reports and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub messages: u64,
    pub decisions: u64,
    pub conversations: u64,
    pub authors: u64,
    pub rejects: u64,
    pub audit: u64,
}

/// Storage of messages, authors, conversations, decisions and the audit log.
pub trait Store: Send {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Writes a batch in one transaction. Idempotent: stored messages are never overwritten.
    fn write(&mut self, entries: &[Entry]) -> Result<WriteSummary, StoreError>;

    /// The last `limit` stored messages' keys, oldest first, to rebuild the pipeline's windows.
    fn seed_rows(&mut self, limit: usize) -> Result<Vec<SeedRow>, StoreError>;

    /// The last `limit` automated replies sent (a campaign's answer or help, or a draft a person
    /// approved, with the text that went out), oldest first, to rebuild the guardrails' memory.
    fn recent_replies(&mut self, limit: usize) -> Result<Vec<SentReply>, StoreError>;

    /// The last `limit` stored messages and the last `limit` replies people sent from the
    /// inbox, oldest first, to rebuild the support exchanges surveys follow.
    fn recent_turns(&mut self, limit: usize) -> Result<Vec<StoredTurn>, StoreError>;
    /// Among the last `limit` stored messages, those a lookup campaign decided on (not FAQ
    /// answers), oldest first, to rebuild the requests waiting for an answer.
    fn recent_campaign_turns(&mut self, limit: usize) -> Result<Vec<CampaignTurn>, StoreError>;
    /// Among the last `limit` stored messages, those triage read, oldest first, to rebuild
    /// the crisis detector.
    fn recent_read(&mut self, limit: usize) -> Result<Vec<ReadMessage>, StoreError>;

    fn message(&mut self, id: &EventId) -> Result<Option<StoredMessage>, StoreError>;
    fn decision(&mut self, id: &EventId) -> Result<Option<StoredDecision>, StoreError>;
    /// A conversation with something for the inbox in it; `None` for a thread nobody addressed
    /// to the brand (its messages are stored, under its id, without a conversation row).
    fn conversation(&mut self, id: &ConversationId) -> Result<Option<Conversation>, StoreError>;
    /// Messages of a conversation, oldest first.
    fn conversation_messages(
        &mut self,
        id: &ConversationId,
    ) -> Result<Vec<StoredMessage>, StoreError>;

    fn append_audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// The last `limit` audit entries, newest first.
    fn audit_log(&mut self, limit: usize) -> Result<Vec<AuditEntry>, StoreError>;

    /// Number of decisions per outcome name.
    fn outcome_counts(&mut self) -> Result<Vec<(String, u64)>, StoreError>;
    fn counts(&mut self) -> Result<Counts, StoreError>;
}

/// Opens the store at `location`: a `postgres://` or `postgresql://` URL, `:memory:` for a
/// throw-away SQLite database, or else the path of a SQLite file (created with its folder).
pub fn open(location: &str) -> Result<Box<dyn Store>, StoreError> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        Ok(Box::new(PostgresStore::connect(location, None)?))
    } else if location == ":memory:" {
        Ok(Box::new(SqliteStore::in_memory()?))
    } else {
        Ok(Box::new(SqliteStore::open(std::path::Path::new(location))?))
    }
}

/// Says where a store location points, without its password.
pub fn describe(location: &str) -> String {
    if let Some((scheme, rest)) = location.split_once("://") {
        match rest.rsplit_once('@') {
            Some((credentials, host)) => {
                let user = credentials.split(':').next().unwrap_or("");
                format!("{scheme}://{user}@{host}")
            }
            None => location.to_owned(),
        }
    } else {
        location.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn describe_hides_passwords() {
        assert_eq!(
            super::describe("postgres://bob:s3cret@db:5432/palabre"),
            "postgres://bob@db:5432/palabre"
        );
        assert_eq!(
            super::describe("postgres://127.0.0.1/test"),
            "postgres://127.0.0.1/test"
        );
        assert_eq!(super::describe("data/palabre.db"), "data/palabre.db");
    }
}
