//! One small SQL surface over both backends, so that the workspace's queries are written once.
//!
//! Queries use PostgreSQL's `$1` placeholders (rewritten to SQLite's `?1`), integers for flags,
//! and only SQL both backends read alike (`CASE` rather than `min`/`GREATEST`, `lower(…) LIKE`).
//! Rows come back as loosely typed values read through checked accessors.

use crate::StoreError;
use rusqlite::types::{ToSqlOutput, ValueRef};

/// A connection to either backend.
pub(crate) enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(postgres::Client),
}

/// A query parameter.
#[derive(Debug, Clone, Copy)]
pub enum P<'a> {
    Int(Option<i64>),
    Text(Option<&'a str>),
    /// A PostgreSQL BOOLEAN column (SQLite stores it as 0/1).
    Bool(bool),
    /// A BLOB (SQLite) or BYTEA (PostgreSQL) column.
    Bytes(&'a [u8]),
}

impl From<i64> for P<'_> {
    fn from(v: i64) -> Self {
        P::Int(Some(v))
    }
}
impl From<Option<i64>> for P<'_> {
    fn from(v: Option<i64>) -> Self {
        P::Int(v)
    }
}
impl<'a> From<&'a str> for P<'a> {
    fn from(v: &'a str) -> Self {
        P::Text(Some(v))
    }
}
impl<'a> From<&'a String> for P<'a> {
    fn from(v: &'a String) -> Self {
        P::Text(Some(v.as_str()))
    }
}
impl<'a> From<Option<&'a str>> for P<'a> {
    fn from(v: Option<&'a str>) -> Self {
        P::Text(v)
    }
}

impl rusqlite::ToSql for P<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            P::Int(Some(v)) => ToSqlOutput::from(v),
            P::Int(None) | P::Text(None) => ToSqlOutput::from(rusqlite::types::Null),
            P::Text(Some(v)) => ToSqlOutput::from(v),
            P::Bool(v) => ToSqlOutput::from(i64::from(v)),
            P::Bytes(v) => ToSqlOutput::from(v),
        })
    }
}

/// A value read back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum V {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

/// A row read back, with checked accessors.
#[derive(Debug, Clone)]
pub(crate) struct Row(Vec<V>);

impl Row {
    fn get(&self, i: usize) -> Result<&V, StoreError> {
        self.0
            .get(i)
            .ok_or_else(|| StoreError::Corrupt(format!("no column {i}")))
    }

    pub fn int(&self, i: usize) -> Result<i64, StoreError> {
        self.opt_int(i)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {i} is NULL")))
    }

    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.get(i)? {
            V::Null => Ok(None),
            V::Int(v) => Ok(Some(*v)),
            V::Real(v) => Ok(Some(*v as i64)),
            V::Bytes(_) => Err(StoreError::Corrupt(format!("column {i} is bytes"))),
            V::Text(t) => t
                .parse()
                .map(Some)
                .map_err(|_| StoreError::Corrupt(format!("column {i}: `{t}` is not a number"))),
        }
    }

    pub fn flag(&self, i: usize) -> Result<bool, StoreError> {
        Ok(self.opt_int(i)?.unwrap_or(0) != 0)
    }

    pub fn text(&self, i: usize) -> Result<String, StoreError> {
        self.opt_text(i)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {i} is NULL")))
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.get(i)? {
            V::Null => Ok(None),
            V::Text(t) => Ok(Some(t.clone())),
            V::Int(v) => Ok(Some(v.to_string())),
            V::Real(v) => Ok(Some(v.to_string())),
            V::Bytes(b) => Ok(Some(String::from_utf8_lossy(b).into_owned())),
        }
    }

    pub fn bytes(&self, i: usize) -> Result<Vec<u8>, StoreError> {
        match self.get(i)? {
            V::Bytes(b) => Ok(b.clone()),
            V::Text(t) => Ok(t.clone().into_bytes()),
            _ => Err(StoreError::Corrupt(format!("column {i} is not bytes"))),
        }
    }
}

/// `$1` → `?1` for SQLite (no query of ours has a `$` elsewhere).
fn sqlite_sql(sql: &str) -> std::borrow::Cow<'_, str> {
    if sql.contains('$') {
        std::borrow::Cow::Owned(sql.replace('$', "?"))
    } else {
        std::borrow::Cow::Borrowed(sql)
    }
}

fn pg_params<'a>(params: &'a [P<'a>]) -> Vec<Box<dyn postgres::types::ToSql + Sync + 'a>> {
    params
        .iter()
        .map(|p| -> Box<dyn postgres::types::ToSql + Sync + 'a> {
            match *p {
                P::Int(v) => Box::new(v),
                P::Text(v) => Box::new(v),
                P::Bool(v) => Box::new(v),
                P::Bytes(v) => Box::new(v),
            }
        })
        .collect()
}

fn pg_value(row: &postgres::Row, i: usize) -> Result<V, StoreError> {
    use postgres::types::Type;
    let ty = row.columns()[i].type_().clone();
    Ok(if ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)?.map_or(V::Null, V::Int)
    } else if ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(i)?
            .map_or(V::Null, |v| V::Int(v.into()))
    } else if ty == Type::INT2 {
        row.try_get::<_, Option<i16>>(i)?
            .map_or(V::Null, |v| V::Int(v.into()))
    } else if ty == Type::BOOL {
        row.try_get::<_, Option<bool>>(i)?
            .map_or(V::Null, |v| V::Int(v.into()))
    } else if ty == Type::BYTEA {
        row.try_get::<_, Option<Vec<u8>>>(i)?
            .map_or(V::Null, V::Bytes)
    } else if ty == Type::FLOAT8 {
        row.try_get::<_, Option<f64>>(i)?.map_or(V::Null, V::Real)
    } else {
        row.try_get::<_, Option<String>>(i)?
            .map_or(V::Null, V::Text)
    })
}

impl Conn {
    /// Runs a statement; the number of rows it changed.
    pub fn exec(&mut self, sql: &str, params: &[P<'_>]) -> Result<u64, StoreError> {
        match self {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(&sqlite_sql(sql))?;
                Ok(stmt.execute(rusqlite::params_from_iter(params.iter()))? as u64)
            }
            Conn::Postgres(c) => {
                let boxed = pg_params(params);
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    boxed.iter().map(|b| b.as_ref()).collect();
                Ok(c.execute(sql, &refs)?)
            }
        }
    }

    /// Runs a query; its rows.
    pub fn query(&mut self, sql: &str, params: &[P<'_>]) -> Result<Vec<Row>, StoreError> {
        match self {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(&sqlite_sql(sql))?;
                let width = stmt.column_count();
                let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let mut values = Vec::with_capacity(width);
                    for i in 0..width {
                        values.push(match r.get_ref(i)? {
                            ValueRef::Null => V::Null,
                            ValueRef::Integer(v) => V::Int(v),
                            ValueRef::Real(v) => V::Real(v),
                            ValueRef::Text(t) => V::Text(String::from_utf8_lossy(t).into_owned()),
                            ValueRef::Blob(b) => V::Bytes(b.to_vec()),
                        });
                    }
                    out.push(Row(values));
                }
                Ok(out)
            }
            Conn::Postgres(c) => {
                let boxed = pg_params(params);
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    boxed.iter().map(|b| b.as_ref()).collect();
                let rows = c.query(sql, &refs)?;
                rows.iter()
                    .map(|r| (0..r.len()).map(|i| pg_value(r, i)).collect())
                    .map(|values: Result<Vec<V>, StoreError>| values.map(Row))
                    .collect()
            }
        }
    }

    /// The first row of a query, if any.
    pub fn one(&mut self, sql: &str, params: &[P<'_>]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Runs `f` in one transaction: committed if it returns `Ok`, rolled back otherwise.
    pub fn transaction<T>(
        &mut self,
        f: impl FnOnce(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let begin = match self {
            // IMMEDIATE: take the write lock now, so that two writers wait for each other
            // instead of one failing half-way.
            Conn::Sqlite(_) => "BEGIN IMMEDIATE",
            Conn::Postgres(_) => "BEGIN",
        };
        // A transaction left open (a request that panicked half-way) would make every later
        // one on this connection fail: it is rolled back first, and said.
        if let Conn::Sqlite(c) = self
            && !c.is_autocommit()
        {
            tracing::warn!("a transaction was left open on this connection: rolled back");
            self.batch("ROLLBACK")?;
        }
        self.batch(begin)?;
        match f(self) {
            Ok(v) => {
                self.batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                if let Err(rollback) = self.batch("ROLLBACK") {
                    tracing::warn!(error = %rollback, "rollback failed");
                }
                Err(e)
            }
        }
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        match self {
            Conn::Sqlite(c) => c.execute_batch(sql)?,
            Conn::Postgres(c) => c.batch_execute(sql)?,
        }
        Ok(())
    }

    /// Whether an error is a unique-key violation (a second writer of the same key).
    pub fn is_conflict(e: &StoreError) -> bool {
        match e {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
                f.code == rusqlite::ErrorCode::ConstraintViolation
            }
            StoreError::Postgres(p) => {
                p.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_transaction_left_open_by_a_panic_does_not_block_the_next_one() {
        let mut conn = Conn::Sqlite(rusqlite::Connection::open_in_memory().unwrap());
        conn.batch("CREATE TABLE t (x INTEGER)").unwrap();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = conn.transaction(|c| -> Result<(), StoreError> {
                c.exec("INSERT INTO t (x) VALUES (1)", &[])?;
                panic!("a bug half-way");
            });
        }));
        assert!(panicked.is_err());
        conn.transaction(|c| c.exec("INSERT INTO t (x) VALUES (2)", &[]))
            .unwrap();
        let rows = conn.query("SELECT x FROM t", &[]).unwrap();
        assert_eq!(rows.len(), 1, "the half-done insert was rolled back");
        assert_eq!(rows[0].int(0).unwrap(), 2);
    }
}
