//! Upgrading a store written by an older Palabre: the schema as it was before migration 5 (an
//! `authors` table upserted on every event), filled, then opened by this build. Nothing that
//! the inbox shows may be lost: each message gets its author's profile, the `authors` view
//! answers as the table did, and toxic messages stay in the moderation queue.

// Tests may unwrap and panic: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_store::workspace::{Scope, Workspace};
use palabre_store::{PostgresStore, SqliteStore, Store};

/// The migrations before this change, as the older Palabre applied them.
fn old_migrations(backend: &str) -> Vec<String> {
    let dir = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.as_str() < "0005"
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 4, "migrations 1 to 4 in {dir}");
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// Three messages by one author in two conversations, one toxic, in the old shape; flags are
/// written `0`/`1` in SQLite and `false`/`true` in PostgreSQL.
fn old_rows(no: &str, yes: &str) -> String {
    let key = palabre_store::author_key(palabre_core::Platform::X, "u1");
    "
    INSERT INTO authors (key, platform, id, handle, display_name, verified, followers, following, bio, first_seen_ms, last_seen_ms)
    VALUES (77, 'x', 'u1', 'alice_new', 'Alice N.', YES, 1200, 10, 'bio', 1000, 2000);
    INSERT INTO conversations (id, platform, root_id, status, created_ms, last_inbound_ms, inbox, queue)
    VALUES ('x:1', 'x', '1', 'open', 1000, 2000, 1, 'inbox'), ('x:9', 'x', '9', 'open', 500, 500, 1, 'inbox');
    INSERT INTO messages (platform, external_id, fingerprint, content_hash, conversation_id, rootless, kind, author_id,
        author_key, text, entities, created_ms, raw, outcome, reasons, queue, triage, decided_ms)
    VALUES ('x', '1', 1, 1, 'x:1', NO, 'post', 'u1', 77, 'bonjour', '{}', 1000, '{}', 'routed_to_human', 'mention',
            'inbox', '{\"lang\":\"fr\",\"toxic\":false}', 1000),
           ('x', '2', 2, 2, 'x:1', NO, 'reply', 'u1', 77, 'espèce d''idiot', '{}', 2000, '{}', 'routed_to_human',
            'reply_to_channel,toxic', 'inbox', '{\"lang\":\"fr\",\"toxic\":true}', 2000),
           ('x', '9', 9, 9, 'x:9', NO, 'post', 'u1', 77, 'plus tôt', '{}', 500, '{}', 'routed_to_human', 'mention',
            'inbox', NULL, 500);"
        .replace("77", &key.to_string())
        .replace("NO", no)
        .replace("YES", yes)
}

fn check(store: &mut dyn Store, workspace: &mut Workspace) {
    let view = workspace
        .conversation_view("x:1", &Scope::All)
        .unwrap()
        .expect("the conversation is still there");
    assert_eq!(view.messages.len(), 2);
    let history: Vec<&str> = view.author_history.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(history, ["x:9"], "the author's history was carried over");
    for m in &view.messages {
        assert_eq!(m.author_handle.as_deref(), Some("alice_new"));
        assert_eq!(m.author_name.as_deref(), Some("Alice N."));
        assert_eq!(m.author_followers, Some(1200));
        assert!(m.author_verified);
    }
    let queue = workspace.moderation_queue(&Scope::All, 10).unwrap();
    assert_eq!(
        queue.len(),
        1,
        "the toxic reply stays in the moderation queue"
    );
    assert_eq!(queue[0].external_id, "2");
    assert_eq!(queue[0].author_handle.as_deref(), Some("alice_new"));
    assert_eq!(store.counts().unwrap().authors, 1);
    // The hourly interactions rollup (migration 15 / 14) counted the messages already there.
    assert_eq!(workspace.interactions_by_hour("x", 0).unwrap(), [(0, 3)]);
}

#[test]
fn a_sqlite_store_of_the_previous_schema_is_upgraded_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)",
        )
        .unwrap();
        for (i, sql) in old_migrations("sqlite").iter().enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?1, 0)",
                [i as i64 + 1],
            )
            .unwrap();
        }
        conn.execute_batch(&old_rows("0", "1")).unwrap();
    }
    let mut store = SqliteStore::open(&path).unwrap();
    let mut workspace = Workspace::open(&path.display().to_string()).unwrap();
    check(&mut store, &mut workspace);
    let newest: String = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT handle FROM authors WHERE id = 'u1'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(newest, "alice_new");
}

#[test]
fn a_postgres_store_of_the_previous_schema_is_upgraded_without_loss() {
    let url = std::env::var("PALABRE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let Ok(mut client) = postgres::Client::connect(&url, postgres::NoTls) else {
        if std::env::var("PALABRE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!("PostgreSQL is required (PALABRE_REQUIRE_POSTGRES=1) but unreachable at {url}");
        }
        eprintln!("\n!!! SKIPPING the PostgreSQL upgrade test: cannot connect to {url}\n");
        return;
    };
    let schema = format!("palabre_upgrade_{}", std::process::id());
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path TO {schema};
             CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)"
        ))
        .unwrap();
    for (i, sql) in old_migrations("postgres").iter().enumerate() {
        client.batch_execute(sql).unwrap();
        client
            .execute(
                "INSERT INTO schema_migrations VALUES ($1, 0)",
                &[&(i as i32 + 1)],
            )
            .unwrap();
    }
    client.batch_execute(&old_rows("false", "true")).unwrap();
    let mut store = PostgresStore::connect(&url, Some(&schema)).unwrap();
    let mut workspace = Workspace::open_in(&url, Some(&schema)).unwrap();
    check(&mut store, &mut workspace);
    drop(workspace);
    drop(store);
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}
