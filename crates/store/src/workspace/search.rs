//! Text search in the inbox: the clause that finds conversations by what people wrote to the
//! brand (any substring, case folded), and on SQLite the background indexing that keeps the
//! trigram index `message_search` up to date behind the recorded path (migration 7).

use super::Workspace;
use super::db::Conn;
use super::inbox::{Owned, Where, like_pattern};
use crate::StoreError;
use rusqlite::{TransactionBehavior, params};

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
            "c.id IN (SELECT m.conversation_id FROM message_search s JOIN messages m ON m.seq = s.rowid
                      WHERE message_search MATCH ?1
                      UNION ALL
                      SELECT m.conversation_id FROM messages m
                      WHERE m.seq > (SELECT through FROM search_cursor WHERE id = 1)
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
        (SELECT COUNT(*) FROM (SELECT rowid FROM message_search WHERE message_search MATCH $1 LIMIT $2)),
        COALESCE((SELECT MAX(seq) FROM messages), 0) - (SELECT through FROM search_cursor WHERE id = 1)";
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
    /// Indexes for search the messages past the cursor, at most `batch` of them, in one
    /// transaction; how many messages it went past (0: nothing new). A no-op on PostgreSQL,
    /// where the database keeps its index itself.
    pub fn index_search(&mut self, batch: usize) -> Result<usize, StoreError> {
        let Conn::Sqlite(conn) = &mut self.conn else {
            return Ok(0);
        };
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let through: i64 =
            tx.query_row("SELECT through FROM search_cursor WHERE id = 1", [], |r| {
                r.get(0)
            })?;
        let (last, read): (Option<i64>, i64) = tx.query_row(
            "SELECT MAX(seq), COUNT(*) FROM (SELECT seq FROM messages WHERE seq > ?1 ORDER BY seq LIMIT ?2)",
            params![through, batch as i64],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let Some(last) = last else {
            return Ok(0);
        };
        tx.execute(
            "INSERT INTO message_search (rowid, text)
             SELECT seq, text FROM messages WHERE seq > ?1 AND seq <= ?2 AND outcome <> 'ignored'",
            params![through, last],
        )?;
        tx.execute("UPDATE search_cursor SET through = ?1 WHERE id = 1", [last])?;
        tx.commit()?;
        Ok(read as usize)
    }
}
