//! Text search in the inbox: the clause that finds conversations by what people wrote to the
//! brand (any substring, case folded), and on SQLite the background indexing that keeps the
//! trigram index `message_search` up to date behind the recorded path, in a file of its own.
//!
//! On SQLite the index lives beside the store (`palabre.db` → `palabre-search.db`), attached by
//! the connections that search or index: its writes take that file's lock, never the store's,
//! so indexing never holds up the decisions being recorded (in the store's file, FTS5's
//! merges held the write lock 13–105 ms at a time). It is derived data: deleted, it is built
//! again from the messages by `palabre serve`.

use super::Workspace;
use super::db::Conn;
use super::inbox::{Owned, Where, like_pattern};
use crate::StoreError;
use rusqlite::{TransactionBehavior, params};

/// Where a workspace connection finds the search index.
pub(super) enum SearchFile {
    /// PostgreSQL: an index of the database's own (migration 7), nothing to attach.
    InTheDatabase,
    /// SQLite: this file, not attached yet.
    Beside(String),
    /// SQLite: attached as `search`.
    Attached,
}

impl SearchFile {
    /// The index's file for the SQLite store at `location`: `palabre.db` → `palabre-search.db`
    /// (an in-memory store's index is in memory too).
    pub(super) fn beside(location: &str) -> SearchFile {
        if location == ":memory:" || location.is_empty() {
            return SearchFile::Beside(":memory:".to_owned());
        }
        let path = std::path::Path::new(location);
        let stem = path
            .file_stem()
            .map_or_else(|| "palabre".into(), |s| s.to_string_lossy());
        let name = match path.extension() {
            Some(ext) => format!("{stem}-search.{}", ext.to_string_lossy()),
            None => format!("{stem}-search"),
        };
        SearchFile::Beside(path.with_file_name(name).display().to_string())
    }
}

/// Beyond this many matching messages, words are common: reading the inbox in its order and
/// testing each conversation finds a page sooner than gathering every match.
const COMMON: usize = 2000;

/// Beyond this many messages not indexed yet, the index is not used.
const BEHIND: usize = 50_000;

/// Restricts `w` to conversations with a message addressed to the brand containing `words`.
pub(super) fn clause(conn: &mut Conn, w: &mut Where, words: &str) -> Result<(), StoreError> {
    let like = Owned::Text(like_pattern(words));
    if let Conn::Postgres(_) = conn {
        // PostgreSQL weighs its trigram index on lower(text) against reading the inbox in
        // order with its own statistics (when pg_trgm is installed).
        w.add_all(
            "c.id IN (SELECT m.conversation_id FROM messages m
                      WHERE m.outcome <> 'ignored' AND lower(m.text) LIKE ?1 ESCAPE '\\')",
            vec![like],
        );
    } else if words.chars().count() >= 3 && rare(conn, words)? {
        // The index up to the cursor; the messages past it (not indexed yet) read directly.
        w.add_all(
            "c.id IN (SELECT m.conversation_id FROM search.message_search s JOIN messages m ON m.seq = s.rowid
                      WHERE message_search MATCH ?1
                      UNION ALL
                      SELECT m.conversation_id FROM messages m
                      WHERE m.seq > (SELECT through FROM search.search_cursor WHERE id = 1)
                        AND m.outcome <> 'ignored' AND lower(m.text) LIKE ?2 ESCAPE '\\')",
            vec![Owned::Text(phrase(words)), like],
        );
    } else {
        // Common or short words: each conversation, in the inbox's order, until a page is full.
        w.add_all(
            "EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id
                     AND m.outcome <> 'ignored' AND lower(m.text) LIKE ?1 ESCAPE '\\')",
            vec![like],
        );
    }
    Ok(())
}

/// Whether the trigram index should answer (SQLite, three characters or more): the words are
/// rare (a name, a booking number: a few matches, looked up, then their conversations) and the
/// indexer has caught up (a store just recorded by `replay` would have its unindexed part read
/// whole).
fn rare(conn: &mut Conn, words: &str) -> Result<bool, StoreError> {
    const PROBE: &str = "SELECT
        (SELECT COUNT(*) FROM (SELECT rowid FROM search.message_search WHERE message_search MATCH $1 LIMIT $2)),
        COALESCE((SELECT MAX(seq) FROM messages), 0) - (SELECT through FROM search.search_cursor WHERE id = 1)";
    let probe = conn.one(
        PROBE,
        &[phrase(words).as_str().into(), (COMMON as i64).into()],
    )?;
    let (matches, behind) = match probe {
        Some(r) => (r.int(0)?, r.int(1)?),
        None => (0, 0),
    };
    Ok((matches as usize) < COMMON && (behind as usize) < BEHIND)
}

/// `words` as one FTS5 phrase: a substring match through the trigram tokenizer. Quotes are
/// doubled, so nothing the user types is read as query syntax.
fn phrase(words: &str) -> String {
    format!("\"{}\"", words.replace('"', "\"\""))
}

impl Workspace {
    /// Attaches the search index's file as `search` (creating its tables if needed), once per
    /// connection. Only the connections that search or index attach it: a `BEGIN IMMEDIATE`
    /// takes the write lock of every attached file, and the recording thread's would then wait
    /// for the indexer's.
    pub(super) fn attach_search(&mut self) -> Result<(), StoreError> {
        let (Conn::Sqlite(conn), SearchFile::Beside(file)) = (&mut self.conn, &self.search) else {
            return Ok(());
        };
        conn.execute("ATTACH DATABASE ?1 AS search", [file])?;
        // The index and its cursor commit together; a crash loses at most the last batch,
        // indexed again from the cursor.
        conn.execute_batch(
            "PRAGMA search.journal_mode = WAL;
             PRAGMA search.synchronous = NORMAL;
             CREATE VIRTUAL TABLE IF NOT EXISTS search.message_search USING fts5(
                 text, content = '', contentless_delete = 1, tokenize = 'trigram case_sensitive 0'
             );
             CREATE TABLE IF NOT EXISTS search.search_cursor (
                 id      INTEGER PRIMARY KEY CHECK (id = 1),
                 through INTEGER NOT NULL
             );
             INSERT OR IGNORE INTO search.search_cursor (id, through) VALUES (1, 0);",
        )?;
        self.search = SearchFile::Attached;
        Ok(())
    }

    /// Indexes everything not indexed yet, `batch` messages a transaction; how many.
    pub fn index_search_fully(&mut self, batch: usize) -> Result<usize, StoreError> {
        let mut indexed = 0;
        loop {
            match self.index_search(batch)? {
                0 => return Ok(indexed),
                n => indexed += n,
            }
        }
    }

    /// Indexes for search the messages past the cursor, at most `batch` of them, in one
    /// transaction; how many messages it went past (0: nothing new). A no-op on PostgreSQL,
    /// where the database keeps its index itself.
    pub fn index_search(&mut self, batch: usize) -> Result<usize, StoreError> {
        let Conn::Sqlite(conn) = &mut self.conn else {
            return Ok(0);
        };
        if !matches!(self.search, SearchFile::Attached) {
            // A connection that indexes writes nothing else: it copies the index's WAL back
            // every ~4 MiB (SQLite's default). Workspace connections wait until ~400 MiB for
            // the store's sake; the index's WAL would then be written back all at once, and
            // the disk would hold the store's commits up meanwhile.
            conn.pragma_update(None, "wal_autocheckpoint", 1000)?;
            self.attach_search()?;
        }
        let Conn::Sqlite(conn) = &mut self.conn else {
            return Ok(0);
        };
        // Deferred: it reads the store and writes only the index's file (IMMEDIATE would take
        // the store's write lock too). The indexer is the only writer of that file.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let through: i64 = tx.query_row(
            "SELECT through FROM search.search_cursor WHERE id = 1",
            [],
            |r| r.get(0),
        )?;
        // The batch in the text: a bound LIMIT makes SQLite prepare the statement again at
        // every call.
        let (last, read): (Option<i64>, i64) = tx.query_row(
            &format!("SELECT MAX(seq), COUNT(*) FROM (SELECT seq FROM messages WHERE seq > ?1 ORDER BY seq LIMIT {batch})"),
            params![through],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let Some(last) = last else {
            return Ok(0);
        };
        tx.execute(
            "INSERT INTO search.message_search (rowid, text)
             SELECT seq, text FROM messages WHERE seq > ?1 AND seq <= ?2 AND outcome <> 'ignored'",
            params![through, last],
        )?;
        tx.execute(
            "UPDATE search.search_cursor SET through = ?1 WHERE id = 1",
            [last],
        )?;
        tx.commit()?;
        Ok(read as usize)
    }
}
