//! The community managers' workspace in the store: people and sessions, the inbox, human work
//! on conversations, draft reviews and the outbox. Written once for both backends over
//! [`db::Conn`]; the migrations `0002_workspace.sql` hold its tables.

mod assignment;
mod brake;
mod connectors;
pub(crate) mod db;
mod followups;
mod inbox;
mod outbox;
mod people;
mod post_media;
mod posts;
mod search;

pub use brake::{Brake, BrakeChange};
pub use connectors::{ConnectorState, ConnectorStatus, WebhookDelivery};
pub use followups::{Checkpoint, FollowedUp, Followups};
pub use inbox::{
    ConversationView, DraftItem, InboxFilter, InboxRow, MessageView, ModerationItem, NoteView,
    ReviewCount, ReviewOutcome, Scope, TeamScope,
};
pub use outbox::{
    NewAction, OutboxItem, OutboxStatus, SENDING_CLAIM_MS, SendContext, SendResult, Waiting,
};
pub use people::{ApiToken, Role, Session, Team, User};
pub use post_media::{NewImage, PostImage};
pub use posts::{
    Expected, HoldReason, NewPost, Post, PostEdit, PostRefusal, PostResult, PostStatus,
};

use crate::StoreError;
use db::Conn;
use palabre_core::Timestamp;

/// A connection for the workspace's queries. Open as many as there are concurrent requests to
/// serve; each one is used by one thread at a time.
pub struct Workspace {
    conn: Conn,
    /// The SQLite search index's own file, attached on first use ([`search`]).
    search: search::SearchFile,
}

impl Workspace {
    /// Opens the store at `location` (as [`crate::open`] does; migrations are applied) and a
    /// workspace connection to it.
    pub fn open(location: &str) -> Result<Workspace, StoreError> {
        Self::open_in(location, None)
    }

    /// The same, inside a PostgreSQL schema (tests use one fresh schema each).
    pub fn open_in(location: &str, schema: Option<&str>) -> Result<Workspace, StoreError> {
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            // Connecting the store applies the migrations.
            drop(crate::PostgresStore::connect(location, schema)?);
            let mut client = postgres::Client::connect(location, postgres::NoTls)?;
            if let Some(schema) = schema {
                let quoted = format!("\"{}\"", schema.replace('"', "\"\""));
                client.batch_execute(&format!("SET search_path TO {quoted}"))?;
            }
            Ok(Workspace {
                conn: Conn::Postgres(client),
                search: search::SearchFile::InTheDatabase,
            })
        } else {
            let path = std::path::Path::new(location);
            drop(crate::SqliteStore::open(path)?);
            let conn = rusqlite::Connection::open(path)?;
            crate::sqlite::wait_when_busy(&conn)?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            // The inbox reads pages all over a large file: map it rather than copy each page
            // through read(2), and keep a bigger cache of its own (16 MiB a connection).
            conn.pragma_update(None, "mmap_size", 1i64 << 30)?;
            conn.pragma_update(None, "cache_size", -16_384)?;
            // The store's checkpointer thread copies the WAL back: a workspace's commit (an
            // outbox row, an assignment) must not stop to do it (SQLite's default would, at
            // every 1,000 pages), except past ~400 MiB when that thread stalled.
            conn.pragma_update(None, "wal_autocheckpoint", 100_000)?;
            conn.set_prepared_statement_cache_capacity(128);
            // SQLite's own lower() folds ASCII only: "ÉNORME" would not find "énorme".
            conn.create_scalar_function(
                "lower",
                1,
                rusqlite::functions::FunctionFlags::SQLITE_UTF8
                    | rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
                |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|s| s.to_lowercase())),
            )?;
            Ok(Workspace {
                conn: Conn::Sqlite(conn),
                search: search::SearchFile::beside(location),
            })
        }
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.conn {
            Conn::Sqlite(_) => "sqlite",
            Conn::Postgres(_) => "postgres",
        }
    }

    /// Appends to the audit log: who did what to what.
    pub fn audit(
        &mut self,
        actor: &str,
        action: &str,
        target: Option<&str>,
        detail: Option<&str>,
    ) -> Result<(), StoreError> {
        audit(&mut self.conn, actor, action, target, detail)
    }

    /// The audit log about one target, oldest first.
    pub fn audit_of(&mut self, target: &str) -> Result<Vec<crate::AuditEntry>, StoreError> {
        self.conn
            .query(
                "SELECT at_ms, actor, action, target, detail FROM audit_log WHERE target = $1 ORDER BY seq",
                &[target.into()],
            )?
            .iter()
            .map(|r| {
                Ok(crate::AuditEntry {
                    at: crate::plan::timestamp(r.int(0)?)?,
                    actor: r.text(1)?,
                    action: r.text(2)?,
                    target: r.opt_text(3)?,
                    detail: r.opt_text(4)?,
                })
            })
            .collect()
    }
}

pub(crate) fn audit(
    conn: &mut Conn,
    actor: &str,
    action: &str,
    target: Option<&str>,
    detail: Option<&str>,
) -> Result<(), StoreError> {
    conn.exec(
        "INSERT INTO audit_log (at_ms, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
        &[
            now_ms().into(),
            actor.into(),
            action.into(),
            target.into(),
            detail.into(),
        ],
    )?;
    Ok(())
}

pub(crate) fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

/// Splits a comma-separated stored list.
pub(crate) fn list(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
