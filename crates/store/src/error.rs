//! What can go wrong in the store, with the backend's own error kept as the source.

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {}", postgres_detail(.0))]
    Postgres(#[from] postgres::Error),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("migration {version} ({backend}) failed: {message}")]
    Migration {
        backend: &'static str,
        version: u32,
        message: String,
    },
    #[error(
        "the database was written by a newer Palabre (schema version {found}, this one knows up to {known})"
    )]
    TooNew { found: i64, known: u32 },
    #[error("stored data is not what Palabre wrote: {0}")]
    Corrupt(String),
}

/// PostgreSQL's own message (`db error` alone says nothing), with its code and detail.
pub(crate) fn postgres_detail(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut out = format!("{} ({})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                out.push_str(": ");
                out.push_str(detail);
            }
            out
        }
        None => e.to_string(),
    }
}
