//! Text search in the inbox: the clause that finds conversations by what people wrote to the
//! brand (any substring, case folded), and on SQLite the background indexing that keeps the
//! trigram index `message_search` up to date behind the recorded path (migration 7).

use super::Workspace;
use super::db::Conn;
use super::inbox::{Owned, Where, like_pattern};
use crate::StoreError;
use rusqlite::{TransactionBehavior, params};

/// Restricts `w` to conversations with a message addressed to the brand containing `words`.
pub(super) fn clause(w: &mut Where, backend: &str, words: &str) {
    let like = Owned::Text(like_pattern(words));
    // The trigram index answers from three characters; shorter words are looked for by
    // reading the messages.
    if backend == "sqlite" && words.chars().count() >= 3 {
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
        // PostgreSQL: its trigram index on lower(text) serves LIKE (when pg_trgm is installed).
        w.add_all(
            "c.id IN (SELECT m.conversation_id FROM messages m
                      WHERE m.outcome <> 'ignored' AND lower(m.text) LIKE ?1 ESCAPE '\\')",
            vec![like],
        );
    }
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
