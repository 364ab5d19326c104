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
    // The trigram index answers from three characters, and pays when the words are rare
    // (a name, a booking number): a few matches, looked up, then their conversations.
    // A store the indexer has not caught up with yet (just recorded by `replay`) is read in
    // order too: its unindexed part would otherwise be scanned whole.
    let indexed = matches!(conn, Conn::Sqlite(_))
        && words.chars().count() >= 3
        && {
            let probe = conn.one(
            "SELECT (SELECT COUNT(*) FROM (SELECT rowid FROM message_search WHERE message_search MATCH $1 LIMIT $2)),
                    COALESCE((SELECT MAX(seq) FROM messages), 0) - (SELECT through FROM search_cursor WHERE id = 1)",
            &[phrase(words).as_str().into(), (COMMON as i64).into()],
        )?;
            let (matches, behind) = match probe {
                Some(r) => (r.int(0)?, r.int(1)?),
                None => (0, 0),
            };
            (matches as usize) < COMMON && (behind as usize) < BEHIND
        };
    if indexed {
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
    } else if matches!(conn, Conn::Sqlite(_)) {
        // Common or short words: each conversation, in the inbox's order, until a page is full.
        w.add_all(
            "EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id
                     AND m.outcome <> 'ignored' AND lower(m.text) LIKE ?1 ESCAPE '\\')",
            vec![like],
        );
    } else {
        // PostgreSQL weighs its trigram index on lower(text) against reading the inbox in
        // order with its own statistics (when pg_trgm is installed).
        w.add_all(
            "c.id IN (SELECT m.conversation_id FROM messages m
                      WHERE m.outcome <> 'ignored' AND lower(m.text) LIKE ?1 ESCAPE '\\')",
            vec![like],
        );
    }
    Ok(())
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
