//! The SQLite backend: one file in the data directory, WAL journal, `synchronous=FULL` so a
//! committed batch survives a crash of the process or of the machine.

use crate::migrate::{SQLITE, latest};
use crate::plan::{ConversationColumns, conversation, plan, platform_of, split_reasons, timestamp};
use crate::{
    AuditEntry, CampaignTurn, Counts, Entry, ReadMessage, StoreError, StoredDecision,
    StoredMessage, StoredTurn, WriteSummary,
};
use palabre_core::{
    Conversation, ConversationId, EventId, ExternalId, MessageKeys, SeedRow, SentReply, Timestamp,
};
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::path::Path;

/// A Palabre store in a SQLite database.
pub struct SqliteStore {
    conn: Connection,
    /// Rows in `author_recent`, merged into `author_history` once they reach `merge_at`.
    author_recent: u64,
    merge_at: u64,
    /// Most rows a write moves from `author_recent` to `author_history` ([`MERGE_CHUNK`], or
    /// twice the write's entries if more).
    merge_chunk: u64,
    /// A merge begun and not finished: each write moves the next chunk, in key order.
    merging: bool,
    /// Copies the WAL back into the database from its own connection and thread.
    _checkpointer: Option<Checkpointer>,
}

/// Checkpoints the WAL in the background, so that the writer's commits never stop to do it.
/// On a two-core machine the writer is the bottleneck of a recorded run and the other thread
/// has time to spare: this moved a tenth of the writer's work off it.
struct Checkpointer {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    const EVERY: std::time::Duration = std::time::Duration::from_millis(200);

    fn start(path: &Path) -> Option<Checkpointer> {
        let conn = Connection::open(path).ok()?;
        conn.busy_timeout(std::time::Duration::from_secs(1)).ok()?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(Self::EVERY)
                {
                    // PASSIVE: copies what it can without blocking the writer; never an error
                    // worth stopping for (the writer's own autocheckpoint is the safety net).
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::warn!(error = %e, "background WAL checkpoint failed; the writer will checkpoint itself");
                    }
                }
            })
            .ok()?;
        Some(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl SqliteStore {
    /// Opens (creating it and its folder if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let mut store = Self::setup(Connection::open(path)?)?;
        if let Some(checkpointer) = Checkpointer::start(path) {
            // The background thread does the routine copying; the writer steps in only if the
            // WAL passes ~400 MiB (the thread stalled).
            store
                .conn
                .pragma_update(None, "wal_autocheckpoint", 100_000)?;
            store._checkpointer = Some(checkpointer);
        }
        Ok(store)
    }

    /// Merges the recent level of the authors' history once it holds `rows` rows (default
    /// 2^17); a low value shows merges in tests.
    pub fn with_history_merge_at(mut self, rows: u64) -> Self {
        self.merge_at = rows.max(1);
        self
    }

    /// Moves at most `rows` rows a write while merging (default [`MERGE_CHUNK`]); a low value
    /// shows a merge spread over several writes in tests.
    pub fn with_history_merge_chunk(mut self, rows: u64) -> Self {
        self.merge_chunk = rows.max(1);
        self
    }

    /// A throw-away database in memory.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<Self, StoreError> {
        wait_when_busy(&conn)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 64 MiB of page cache (the default is 2 MiB): authors and the author index take
        // random keys, and a small cache turns every insert into disk reads.
        conn.pragma_update(None, "cache_size", -65_536)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Checkpoint the WAL every ~40 MiB rather than every 4 MiB: pages written again and
        // again (B-tree interiors, recent conversations) are copied back once, not ten times.
        conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
        conn.set_prepared_statement_cache_capacity(64);
        let mut store = SqliteStore {
            conn,
            author_recent: 0,
            merge_at: MERGE_AT,
            merge_chunk: MERGE_CHUNK,
            merging: false,
            _checkpointer: None,
        };
        store.migrate()?;
        store.author_recent =
            store
                .conn
                .query_row("SELECT COUNT(*) FROM author_recent", [], |r| {
                    r.get::<_, i64>(0)
                })? as u64;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)",
        )?;
        let current: i64 = self.conn.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )?;
        let known = latest(SQLITE);
        if current > i64::from(known) {
            return Err(StoreError::TooNew {
                found: current,
                known,
            });
        }
        for (version, sql) in SQLITE.iter().filter(|(v, _)| i64::from(*v) > current) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql).map_err(|e| StoreError::Migration {
                backend: "sqlite",
                version: *version,
                message: e.to_string(),
            })?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_ms) VALUES (?1, ?2)",
                params![version, Timestamp::now().as_millisecond()],
            )?;
            tx.commit()?;
        }
        Ok(())
    }
}

/// Rows `author_recent` holds before they are merged into `author_history`: about 2.5 MiB, so
/// that the random inserts of every event land in pages already in cache, while a merge writes
/// each page of the big table about once for every 2^17 messages.
const MERGE_AT: u64 = 1 << 17;

/// Rows a write moves while a merge is under way (or twice its entries, if more): the merge is
/// spread over the writes that follow it instead of stopping one of them. All 2^17 at once held
/// the write lock ~470 ms on a million-conversation store, and `serve`'s decisions waited behind
/// it; 1,024 rows take a few milliseconds, and the pages of the big table are still written in
/// key order, chunk after chunk.
const MERGE_CHUNK: u64 = 1024;
/// Moves the first `chunk` rows of `author_recent` (in key order) to `author_history`; how
/// many it moved (fewer than `chunk`: the recent table is empty now).
fn move_history_chunk(tx: &rusqlite::Transaction<'_>, chunk: u64) -> Result<u64, StoreError> {
    let last: Option<(i64, i64)> = tx
        .query_row(
            "SELECT author_key, seq FROM author_recent ORDER BY author_key, seq LIMIT 1 OFFSET ?1",
            [chunk as i64 - 1],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match last {
        Some((key, seq)) => {
            tx.execute(
                "INSERT INTO author_history (author_key, seq)
                     SELECT author_key, seq FROM author_recent WHERE (author_key, seq) <= (?1, ?2)
                     ORDER BY author_key, seq",
                params![key, seq],
            )?;
            tx.execute(
                "DELETE FROM author_recent WHERE (author_key, seq) <= (?1, ?2)",
                params![key, seq],
            )?;
            chunk
        }
        None => {
            let moved = tx.execute(
                "INSERT INTO author_history (author_key, seq)
                     SELECT author_key, seq FROM author_recent ORDER BY author_key, seq",
                [],
            )?;
            tx.execute("DELETE FROM author_recent", [])?;
            moved as u64
        }
    })
}

fn event_id(platform: &str, external: &str) -> Result<EventId, StoreError> {
    let external = ExternalId::new(external)
        .map_err(|e| StoreError::Corrupt(format!("id `{external}`: {e}")))?;
    Ok(EventId::new(platform_of(platform)?, external))
}

/// Everyone who wrote in a conversation, in order of first appearance.
const PARTICIPANTS: &str = "SELECT author_id FROM messages WHERE conversation_id = ?1
     GROUP BY author_id ORDER BY MIN(created_ms), author_id";

const MESSAGE_COLUMNS: &str =
    "platform, external_id, kind, author_id, text, conversation_id, created_ms, raw";

/// The columns of [`MESSAGE_COLUMNS`], read as they are stored.
type MessageTuple = (String, String, String, String, String, String, i64, String);

fn stored_message(row: &Row) -> rusqlite::Result<MessageTuple> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
    ))
}

fn to_stored(
    (platform, external, kind, author_id, text, conversation, at, raw): MessageTuple,
) -> Result<StoredMessage, StoreError> {
    Ok(StoredMessage {
        id: event_id(&platform, &external)?,
        kind,
        author_id,
        text,
        conversation: ConversationId::from_stored(&conversation),
        created_at: timestamp(at)?,
        raw,
    })
}

impl crate::Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn write(&mut self, entries: &[Entry]) -> Result<WriteSummary, StoreError> {
        let mut summary = WriteSummary::default();
        let mut fresh = vec![false; entries.len()];
        let mut recent = self.author_recent;
        let tx = self.conn.transaction()?;
        {
            let mut insert_message = tx.prepare_cached(
                "INSERT INTO messages (platform, external_id, fingerprint, content_hash, request_key, conversation_id,
                    rootless, kind, author_id, text, lang_hint, in_reply_to, referenced_id, rating, entities, created_ms, raw,
                    outcome, reasons, queue, reply, triage, decided_ms, author_key, campaign, campaign_key,
                    author_handle, author_name, author_verified, author_followers, toxic, listening)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                    ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32)
                 ON CONFLICT (platform, external_id) DO NOTHING",
            )?;
            let mut file_in_history =
                tx.prepare_cached("INSERT INTO author_recent (author_key, seq) VALUES (?1, ?2)")?;
            let mut insert_reject = tx.prepare_cached(
                "INSERT INTO rejects (source, line, event_id, reason, error, raw, recorded_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (i, entry) in entries.iter().enumerate() {
                match entry {
                    Entry::Message {
                        message: m,
                        keys,
                        decision,
                        decided_at,
                        prepared,
                    } => {
                        let platform = m.id.platform.as_str();
                        let conversation = decision
                            .conversation
                            .as_ref()
                            .map(|c| c.as_str())
                            .unwrap_or("");
                        let inserted = insert_message.execute(params![
                            platform,
                            m.id.external.as_str(),
                            keys.event as i64,
                            keys.content as i64,
                            keys.request.map(|r| r as i64),
                            conversation,
                            m.thread_root.is_none(),
                            m.kind.as_str(),
                            m.author.id,
                            m.text.as_str(),
                            m.lang_hint,
                            m.in_reply_to.as_ref().map(|i| i.as_str()),
                            m.referenced.as_ref().map(|r| r.id.as_str()),
                            m.rating.map(|r| r.stars()),
                            prepared.entities,
                            m.created_at.as_millisecond(),
                            &*m.raw,
                            decision.outcome.as_str(),
                            prepared.reasons,
                            decision.queue,
                            decision.reply,
                            prepared.triage,
                            decided_at.as_millisecond(),
                            prepared.author_key,
                            decision.campaign,
                            decision.campaign_key,
                            m.author.handle,
                            m.author.display_name,
                            m.author.verified,
                            m.author.followers.map(|n| n as i64),
                            prepared.toxic,
                            prepared.listening,
                        ])?;
                        if inserted == 0 {
                            summary.already_stored += 1;
                        } else {
                            summary.inserted += 1;
                            fresh[i] = true;
                            // What the author addressed to the brand, for their history.
                            if decision.outcome != palabre_core::Outcome::Ignored {
                                file_in_history.execute(params![
                                    prepared.author_key,
                                    tx.last_insert_rowid()
                                ])?;
                                recent += 1;
                            }
                        }
                    }
                    Entry::Conflict {
                        message,
                        source,
                        line,
                        decided_at,
                    } => {
                        summary.rejected += 1;
                        insert_reject.execute(params![
                            source,
                            line.map(|l| l as i64),
                            message.id.to_string(),
                            "id_conflict",
                            "this id was already stored with other content; the first version stands",
                            &*message.raw,
                            decided_at.as_millisecond(),
                        ])?;
                    }
                    Entry::Rejected {
                        source,
                        line,
                        reason,
                        error,
                        raw,
                        at,
                    } => {
                        summary.rejected += 1;
                        insert_reject.execute(params![
                            source,
                            line.map(|l| l as i64),
                            Option::<String>::None,
                            reason.as_str(),
                            error,
                            raw,
                            at.as_millisecond(),
                        ])?;
                    }
                }
            }
            let plan = plan(entries, &fresh);
            let mut upsert_conversation = tx.prepare_cached(&format!(
                "INSERT INTO conversations (id, platform, root_id, created_ms, last_inbound_ms, inbox, queue, priority, drafts, status, channel)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (id) DO UPDATE SET created_ms = min(conversations.created_ms, excluded.created_ms),
                    last_inbound_ms = max(COALESCE(conversations.last_inbound_ms, 0), excluded.last_inbound_ms),{}",
                crate::plan::INBOX_UPSERT
            ))?;
            // Past `merge_at` rows, `author_recent` moves to `author_history` in key order, a
            // chunk a write until it is empty.
            if self.merging || recent >= self.merge_at {
                let chunk = self.merge_chunk.max(2 * entries.len() as u64);
                let moved = move_history_chunk(&tx, chunk)?;
                recent = recent.saturating_sub(moved);
                self.merging = moved == chunk;
                if !self.merging {
                    recent = 0;
                }
            }
            if !plan.interactions.is_empty() {
                let mut count = tx.prepare_cached(
                    "INSERT INTO interactions_hourly (platform, hour, count) VALUES (?1, ?2, ?3)
                     ON CONFLICT (platform, hour) DO UPDATE SET count = interactions_hourly.count + excluded.count",
                )?;
                for (platform, hour, n) in &plan.interactions {
                    count.execute(params![platform, hour, n])?;
                }
            }
            for c in &plan.conversations {
                upsert_conversation.execute(params![
                    c.id,
                    c.platform.as_str(),
                    c.root,
                    c.first_ms,
                    c.last_inbound_ms,
                    c.queue,
                    c.priority,
                    c.drafts,
                    c.status(),
                    c.channel,
                ])?;
            }
        }
        tx.commit()?;
        self.author_recent = recent;
        Ok(summary)
    }

    fn seed_rows(&mut self, limit: usize) -> Result<Vec<SeedRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT platform, fingerprint, content_hash, request_key, conversation_id, created_ms, rootless
             FROM (SELECT * FROM messages ORDER BY seq DESC LIMIT ?1) ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![limit as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<i64>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, bool>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (platform, event, content, request, conversation, at, rootless) = row?;
            out.push(SeedRow {
                platform: platform_of(&platform)?,
                keys: MessageKeys {
                    event: event as u64,
                    content: content as u64,
                    request: request.map(|r| r as u64),
                },
                conversation,
                created_at: timestamp(at)?,
                rootless,
            });
        }
        Ok(out)
    }

    fn recent_replies(&mut self, limit: usize) -> Result<Vec<SentReply>, StoreError> {
        let mut stmt = self.conn.prepare(crate::plan::RECENT_REPLIES)?;
        let rows = stmt.query_map(params![limit as i64], |r| {
            let key: Option<String> = r.get(2)?;
            Ok((
                r.get::<_, i64>(0)?,
                r.get(1)?,
                key.unwrap_or_default(),
                r.get(3)?,
                r.get(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (author, campaign, key, conversation, text, at) = row?;
            out.push(SentReply {
                author: author as u64,
                campaign,
                key,
                conversation,
                text,
                at: timestamp(at)?,
            });
        }
        Ok(out)
    }

    fn recent_campaign_turns(&mut self, limit: usize) -> Result<Vec<CampaignTurn>, StoreError> {
        let mut stmt = self.conn.prepare(crate::plan::RECENT_CAMPAIGN_TURNS)?;
        let rows = stmt.query_map(params![limit as i64], |r| {
            Ok((
                (
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ),
                (
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ),
                r.get::<_, String>(7)?,
                r.get::<_, i64>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let ((conversation, author, campaign), (outcome, reasons, reply, triage), text, at) =
                row?;
            out.push(CampaignTurn {
                conversation,
                author: author as u64,
                campaign,
                decision: StoredDecision {
                    outcome,
                    reasons: split_reasons(&reasons),
                    queue: None,
                    reply,
                    triage,
                },
                text,
                at: timestamp(at)?,
            });
        }
        Ok(out)
    }

    fn recent_read(&mut self, limit: usize) -> Result<Vec<ReadMessage>, StoreError> {
        let mut stmt = self.conn.prepare(crate::plan::RECENT_READ)?;
        let rows = stmt.query_map(params![limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (author, text, triage, at) = row?;
            out.push(ReadMessage {
                author: author as u64,
                text,
                triage,
                at: timestamp(at)?,
            });
        }
        Ok(out)
    }

    fn recent_turns(&mut self, limit: usize) -> Result<Vec<StoredTurn>, StoreError> {
        let mut stmt = self.conn.prepare(crate::plan::RECENT_TURNS)?;
        let rows = stmt.query_map(params![limit as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (conversation, author, outcome, reasons, triage, campaign_key, at) = row?;
            out.push(StoredTurn {
                conversation,
                author: author as u64,
                decision: outcome.map(|outcome| StoredDecision {
                    outcome,
                    reasons: split_reasons(&reasons),
                    queue: None,
                    reply: None,
                    triage,
                }),
                campaign_key,
                at: timestamp(at)?,
            });
        }
        Ok(out)
    }

    fn message(&mut self, id: &EventId) -> Result<Option<StoredMessage>, StoreError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE platform = ?1 AND external_id = ?2"
        );
        let row = self
            .conn
            .query_row(
                &sql,
                params![id.platform.as_str(), id.external.as_str()],
                stored_message,
            )
            .optional()?;
        row.map(to_stored).transpose()
    }

    fn decision(&mut self, id: &EventId) -> Result<Option<StoredDecision>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT outcome, reasons, queue, reply, triage FROM decisions WHERE platform = ?1 AND external_id = ?2",
                params![id.platform.as_str(), id.external.as_str()],
                |r| {
                    Ok(StoredDecision {
                        outcome: r.get(0)?,
                        reasons: split_reasons(&r.get::<_, String>(1)?),
                        queue: r.get(2)?,
                        reply: r.get(3)?,
                        triage: r.get(4)?,
                    })
                },
            )
            .optional()?;
        Ok(row)
    }

    fn conversation(&mut self, id: &ConversationId) -> Result<Option<Conversation>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT platform, root_id, status, assignee, bot_paused, last_inbound_ms, last_outbound_ms
                 FROM conversations WHERE id = ?1",
                params![id.as_str()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, bool>(4)?,
                        r.get::<_, Option<i64>>(5)?,
                        r.get::<_, Option<i64>>(6)?,
                    ))
                },
            )
            .optional()?;
        let Some((platform, root, status, assignee, bot_paused, inbound, outbound)) = row else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare_cached(PARTICIPANTS)?;
        let participants = stmt
            .query_map(params![id.as_str()], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        let columns = ConversationColumns {
            platform,
            root,
            status,
            assignee,
            bot_paused,
            last_inbound_ms: inbound,
            last_outbound_ms: outbound,
        };
        Ok(Some(conversation(id, columns, participants)?))
    }

    fn conversation_messages(
        &mut self,
        id: &ConversationId,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 ORDER BY created_ms, seq"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![id.as_str()], stored_message)?;
        rows.map(|r| to_stored(r?)).collect()
    }

    fn append_audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO audit_log (at_ms, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![entry.at.as_millisecond(), entry.actor, entry.action, entry.target, entry.detail],
        )?;
        Ok(())
    }

    fn audit_log(&mut self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT at_ms, actor, action, target, detail FROM audit_log ORDER BY seq DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (at, actor, action, target, detail) = row?;
            out.push(AuditEntry {
                at: timestamp(at)?,
                actor,
                action,
                target,
                detail,
            });
        }
        Ok(out)
    }

    fn outcome_counts(&mut self) -> Result<Vec<(String, u64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT outcome, COUNT(*) FROM decisions GROUP BY outcome ORDER BY outcome")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn counts(&mut self) -> Result<Counts, StoreError> {
        let count = |table: &str| -> Result<u64, StoreError> {
            let n: i64 =
                self.conn
                    .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
            Ok(n as u64)
        };
        Ok(Counts {
            messages: count("messages")?,
            decisions: count("decisions")?,
            conversations: count("conversations")?,
            // The authors view ranks every message; counting distinct keys reads one column.
            authors: count("(SELECT DISTINCT author_key FROM messages)")?,
            rejects: count("rejects")?,
            audit: count("audit_log")?,
        })
    }
}

/// How long a connection waits for another's write lock before it reports the store busy.
const BUSY_FOR_MS: i32 = 10_000;

/// Microseconds slept waiting for another connection's write lock, by every connection of
/// this process (`/metrics`: `palabre_store_lock_wait_seconds_total`).
static LOCK_WAITED_US: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

thread_local! {
    /// The same, by this thread's connections only: the recording thread logs its own.
    static THREAD_LOCK_WAITED_US: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Microseconds this process's connections slept waiting for the write lock, in all.
pub fn lock_waited_us() -> u64 {
    LOCK_WAITED_US.load(std::sync::atomic::Ordering::Relaxed)
}

/// Microseconds the calling thread's connections slept waiting for the write lock.
pub fn thread_lock_waited_us() -> u64 {
    THREAD_LOCK_WAITED_US.with(std::cell::Cell::get)
}

/// Makes `conn` wait up to [`BUSY_FOR_MS`] for another connection's write lock, trying again
/// every millisecond (a tenth of one at first). SQLite's own `busy_timeout` sleeps up to 100 ms
/// between tries: with the live engine's writers sharing one file (the recording thread, the
/// outbox sender, the search indexer, the web), a commit that found the lock taken waited tens
/// of milliseconds after it was free, and the decisions' lag showed it. The time slept is
/// counted ([`lock_waited_us`], [`thread_lock_waited_us`]).
pub(crate) fn wait_when_busy(conn: &Connection) -> rusqlite::Result<()> {
    const QUICK_TRIES: i32 = 10;
    conn.busy_handler(Some(|tries: i32| {
        let waited_ms = if tries < QUICK_TRIES {
            0
        } else {
            tries - QUICK_TRIES
        };
        if waited_ms >= BUSY_FOR_MS {
            return false;
        }
        let sleep_us = if tries < QUICK_TRIES { 100 } else { 1000 };
        std::thread::sleep(std::time::Duration::from_micros(sleep_us));
        LOCK_WAITED_US.fetch_add(sleep_us, std::sync::atomic::Ordering::Relaxed);
        THREAD_LOCK_WAITED_US.with(|w| w.set(w.get() + sleep_us));
        true
    }))
}
