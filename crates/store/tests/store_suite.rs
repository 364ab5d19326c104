//! One test suite, run against both backends: SQLite always, PostgreSQL when reachable.
//!
//! PostgreSQL: `PALABRE_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`).
//! When it cannot be reached the PostgreSQL half is skipped with a loud message, unless
//! `PALABRE_REQUIRE_POSTGRES=1` (CI sets it), which makes that a failure.

// Tests may unwrap and panic: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_core::message::MessageText;
use palabre_core::{
    Author, ConversationId, ConversationStatus, Decision, EventId, ExternalId, Message,
    MessageKeys, MessageKind, Outcome, Platform, Reason, Timestamp,
};
use palabre_store::{AuditEntry, Entry, PostgresStore, SqliteStore, Store, StoreError};
use std::sync::atomic::{AtomicU32, Ordering};

// ------------------------------------------------------------------ harness

/// Runs SQL beside the store, returning the backend's own error message.
type RawSql = Box<dyn Fn(&str) -> Result<(), String>>;

/// A fresh store of one backend, and a way to run raw SQL beside it (to check what the trait
/// cannot show, such as the audit log refusing updates).
struct Fixture {
    store: Box<dyn Store>,
    reopen: Box<dyn Fn() -> Result<Box<dyn Store>, StoreError>>,
    raw: RawSql,
    scalar: Box<dyn Fn(&str) -> i64>,
    _keep: Option<tempfile::TempDir>,
    /// Drops the test's PostgreSQL schema when the test ends.
    _cleanup: Option<SchemaGuard>,
}

struct SchemaGuard {
    url: String,
    schema: String,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let dropped = postgres::Client::connect(&self.url, postgres::NoTls).and_then(|mut c| {
            c.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
                self.schema
            ))
        });
        if let Err(e) = dropped {
            eprintln!("could not drop test schema {}: {e:?}", self.schema);
        }
    }
}

fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/palabre.db");
    let store = Box::new(SqliteStore::open(&path).unwrap());
    let (p2, p3) = (path.clone(), path.clone());
    Fixture {
        store,
        reopen: Box::new(move || Ok(Box::new(SqliteStore::open(&p2)?) as Box<dyn Store>)),
        raw: Box::new(move |sql| {
            rusqlite::Connection::open(&path)
                .unwrap()
                .execute_batch(sql)
                .map_err(|e| e.to_string())
        }),
        scalar: Box::new(move |sql| {
            rusqlite::Connection::open(&p3)
                .unwrap()
                .query_row(sql, [], |r| r.get(0))
                .unwrap()
        }),
        _keep: Some(dir),
        _cleanup: None,
    }
}

fn postgres_url() -> String {
    std::env::var("PALABRE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn postgres() -> Option<Fixture> {
    static N: AtomicU32 = AtomicU32::new(0);
    let url = postgres_url();
    let schema = format!(
        "palabre_test_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        Timestamp::now().as_microsecond() % 1_000_000_000
    );
    // Only an unreachable server is a reason to skip; any other failure is a failure.
    if let Err(e) = postgres::Client::connect(&url, postgres::NoTls) {
        if std::env::var("PALABRE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!(
                "PostgreSQL is required (PALABRE_REQUIRE_POSTGRES=1) but unreachable at {url}: {e}"
            );
        }
        eprintln!(
            "\n!!! SKIPPING the PostgreSQL half of the store suite: cannot connect to {url}: {e}\n"
        );
        return None;
    }
    let store = PostgresStore::connect(&url, Some(&schema))
        .unwrap_or_else(|e| panic!("PostgreSQL store: {e}"));
    let (u2, s2) = (url.clone(), schema.clone());
    let (u3, s3) = (url.clone(), schema.clone());
    let guard = SchemaGuard {
        url: url.clone(),
        schema: schema.clone(),
    };
    Some(Fixture {
        store: Box::new(store),
        reopen: Box::new(move || {
            Ok(Box::new(PostgresStore::connect(&u2, Some(&s2))?) as Box<dyn Store>)
        }),
        scalar: Box::new(move |sql| {
            let mut c = postgres::Client::connect(&u3, postgres::NoTls).unwrap();
            c.batch_execute(&format!("SET search_path TO \"{s3}\""))
                .unwrap();
            c.query_one(sql, &[]).unwrap().get::<_, i64>(0)
        }),
        raw: Box::new(move |sql| {
            let mut c =
                postgres::Client::connect(&url, postgres::NoTls).map_err(|e| e.to_string())?;
            c.batch_execute(&format!("SET search_path TO \"{schema}\"; {sql}"))
                .map_err(|e| {
                    e.as_db_error()
                        .map(|d| d.message().to_owned())
                        .unwrap_or_else(|| e.to_string())
                })
        }),
        _keep: None,
        _cleanup: Some(guard),
    })
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite { $( #[test] fn $name() { super::$name(super::sqlite()); } )* }
        mod on_postgres { $( #[test] fn $name() { if let Some(f) = super::postgres() { super::$name(f); } } )* }
    };
}

suite!(
    writes_and_reads_back_everything,
    writing_again_changes_nothing,
    conflicts_and_unreadable_lines_are_kept_with_their_bytes,
    conversations_fold_participants_and_times,
    authors_keep_their_newest_profile,
    seed_rows_come_back_oldest_first,
    committed_batches_survive_reopening,
    the_audit_log_is_append_only,
    a_newer_schema_is_refused,
    sent_replies_come_back_for_the_guardrails,
);

// ------------------------------------------------------------------ builders

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_774_209_600 + secs).unwrap()
}

fn message(id: &str, author: &str, text: &str, secs: i64) -> Message {
    let mut m = Message::new(
        EventId::new(Platform::X, ExternalId::new(id).unwrap()),
        MessageKind::Post,
        MessageText::new(text).unwrap(),
        Author {
            id: author.into(),
            handle: Some(format!("h{author}")),
            ..Author::default()
        },
        at(secs),
    );
    m.raw = format!(r#"{{"id":"{id}","text":{text:?}}}"#).into();
    m
}

fn entry(m: Message, conversation: &str, outcome: Outcome, reasons: Vec<Reason>) -> Entry {
    let keys = MessageKeys {
        event: palabre_core_hash(&m.id.to_string()),
        content: palabre_core_hash(m.text.as_str()),
        request: Some(palabre_core_hash(&format!("{}{}", m.author.id, m.text))),
    };
    let mut decision = Decision::new(outcome, reasons);
    decision.conversation = Some(ConversationId::from_stored(conversation));
    if outcome == Outcome::RoutedToHuman {
        decision.queue = Some("inbox".into());
    }
    let decided_at = m.created_at;
    Entry::message(Box::new(m), keys, decision, decided_at)
}

/// Any stable u64 will do for keys here; the high bit is set on purpose to test the i64 cast.
fn palabre_core_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    }) | (1 << 63)
}

fn id(raw: &str) -> EventId {
    EventId::new(Platform::X, ExternalId::new(raw).unwrap())
}

// ------------------------------------------------------------------ the suite

fn writes_and_reads_back_everything(mut f: Fixture) {
    let s = &mut f.store;
    let batch = vec![
        entry(
            message("1", "u1", "@brand mon colis n'est pas arrivé 📦", 0),
            "x:1",
            Outcome::RoutedToHuman,
            vec![Reason::Mention],
        ),
        entry(
            message("2", "u2", "RT @brand: bonne nouvelle", 5),
            "x:9",
            Outcome::Ignored,
            vec![Reason::EchoOfOwnPost],
        ),
    ];
    let summary = s.write(&batch).unwrap();
    assert_eq!(
        (summary.inserted, summary.already_stored, summary.rejected),
        (2, 0, 0)
    );

    let m = s.message(&id("1")).unwrap().expect("message stored");
    assert_eq!(m.text, "@brand mon colis n'est pas arrivé 📦");
    assert_eq!(m.author_id, "u1");
    assert_eq!(m.kind, "post");
    assert_eq!(m.conversation.as_str(), "x:1");
    assert_eq!(m.created_at, at(0));
    assert!(m.raw.contains("colis"), "the raw payload is kept");

    let d = s.decision(&id("1")).unwrap().expect("decision stored");
    assert_eq!(d.outcome, "routed_to_human");
    assert_eq!(d.reasons, vec!["mention"]);
    assert_eq!(d.queue.as_deref(), Some("inbox"));
    assert_eq!(
        s.decision(&id("2")).unwrap().unwrap().reasons,
        vec!["echo_of_own_post"]
    );
    assert!(s.message(&id("404")).unwrap().is_none());

    let counts = s.counts().unwrap();
    assert_eq!(
        (
            counts.messages,
            counts.decisions,
            counts.conversations,
            counts.authors
        ),
        (2, 2, 1, 2)
    );
    // The echo of our own post is stored, but nothing in its thread was for the inbox: it has
    // no conversation row (the message keeps its conversation id for threading).
    assert!(
        s.conversation(&ConversationId::from_stored("x:9"))
            .unwrap()
            .is_none()
    );
    assert_eq!(
        s.message(&id("2")).unwrap().unwrap().conversation.as_str(),
        "x:9"
    );
    assert_eq!(
        s.outcome_counts().unwrap(),
        vec![("ignored".to_owned(), 1), ("routed_to_human".to_owned(), 1)]
    );
}

fn writing_again_changes_nothing(mut f: Fixture) {
    let s = &mut f.store;
    let make = || {
        vec![
            entry(
                message("10", "u1", "bonjour", 0),
                "x:10",
                Outcome::RoutedToHuman,
                vec![Reason::Mention],
            ),
            entry(
                message("11", "u1", "toujours là ?", 60),
                "x:10",
                Outcome::RoutedToHuman,
                vec![Reason::ReplyToChannel],
            ),
        ]
    };
    s.write(&make()).unwrap();
    let before = s.counts().unwrap();
    let conv_before = s
        .conversation(&ConversationId::from_stored("x:10"))
        .unwrap();
    // The same events again, even with another decision, leave the store as it was.
    let mut again = make();
    if let Entry::Message { decision, .. } = &mut again[0] {
        decision.outcome = Outcome::Ignored;
    }
    let summary = s.write(&again).unwrap();
    assert_eq!((summary.inserted, summary.already_stored), (0, 2));
    assert_eq!(s.counts().unwrap(), before);
    assert_eq!(
        s.conversation(&ConversationId::from_stored("x:10"))
            .unwrap(),
        conv_before
    );
    assert_eq!(
        s.decision(&id("10")).unwrap().unwrap().outcome,
        "routed_to_human",
        "the first decision stands"
    );
}

fn conflicts_and_unreadable_lines_are_kept_with_their_bytes(mut f: Fixture) {
    let s = &mut f.store;
    s.write(&[entry(
        message("20", "u1", "version 1", 0),
        "x:20",
        Outcome::RoutedToHuman,
        vec![Reason::Mention],
    )])
    .unwrap();
    let huge = "x".repeat(1 << 20);
    let summary = s
        .write(&[
            Entry::Conflict {
                message: Box::new(message("20", "u1", "version 2", 10)),
                source: "stream.jsonl".into(),
                line: Some(7),
                decided_at: at(10),
            },
            Entry::Rejected {
                source: "stream.jsonl".into(),
                line: Some(8),
                reason: Reason::ParseError,
                error: "truncated JSON".into(),
                raw: huge,
                at: at(11),
            },
        ])
        .unwrap();
    assert_eq!(summary.rejected, 2);
    assert_eq!(
        s.message(&id("20")).unwrap().unwrap().text,
        "version 1",
        "the first version stands"
    );
    assert_eq!(s.counts().unwrap().rejects, 2);
    // Both rows carry their payload in full.
    assert_eq!(
        (f.scalar)(
            "SELECT CAST(MAX(length(raw)) AS BIGINT) FROM rejects WHERE reason = 'parse_error'"
        ),
        1 << 20
    );
    assert_eq!(
        (f.scalar)(
            "SELECT COUNT(*) FROM rejects WHERE reason = 'id_conflict' AND event_id = 'x:20' AND raw LIKE '%version 2%'"
        ),
        1
    );
}

fn conversations_fold_participants_and_times(mut f: Fixture) {
    let s = &mut f.store;
    // Out of order on purpose: the reply (t=100) arrives before the post (t=0).
    s.write(&[entry(
        message("31", "u2", "moi aussi", 100),
        "x:30",
        Outcome::RoutedToHuman,
        vec![Reason::Mention],
    )])
    .unwrap();
    s.write(&[
        entry(
            message("30", "u1", "panne", 0),
            "x:30",
            Outcome::RoutedToHuman,
            vec![Reason::Mention],
        ),
        entry(
            message("32", "u1", "toujours", 50),
            "x:30",
            Outcome::RoutedToHuman,
            vec![Reason::Mention],
        ),
    ])
    .unwrap();
    let c = s
        .conversation(&ConversationId::from_stored("x:30"))
        .unwrap()
        .expect("conversation");
    assert_eq!(c.platform, Platform::X);
    assert_eq!(c.root.as_ref().map(|r| r.as_str()), Some("30"));
    assert_eq!(
        c.participants,
        vec!["u1", "u2"],
        "ordered by first appearance, whatever the arrival order"
    );
    assert_eq!(c.status, ConversationStatus::Open);
    assert!(!c.bot_paused && c.assignee.is_none());
    assert_eq!(
        c.last_inbound_at,
        Some(at(100)),
        "the latest message, not the last written"
    );
    let thread: Vec<String> = s
        .conversation_messages(&ConversationId::from_stored("x:30"))
        .unwrap()
        .into_iter()
        .map(|m| m.id.external.to_string())
        .collect();
    assert_eq!(thread, vec!["30", "32", "31"]);
    // A private conversation has no root.
    s.write(&[entry(
        message("40", "u3", "dm", 0),
        "x:dm:1000:u3",
        Outcome::RoutedToHuman,
        vec![Reason::DirectMessage],
    )])
    .unwrap();
    assert_eq!(
        s.conversation(&ConversationId::from_stored("x:dm:1000:u3"))
            .unwrap()
            .unwrap()
            .root,
        None
    );
}

fn authors_keep_their_newest_profile(mut f: Fixture) {
    let s = &mut f.store;
    let mut newer = message("50", "u9", "a", 100);
    newer.author.display_name = Some("Nouveau nom".into());
    newer.author.followers = Some(u64::from(u32::MAX) + 5);
    let mut older = message("51", "u9", "b", 0);
    older.author.display_name = Some("Ancien nom".into());
    s.write(&[entry(
        newer,
        "x:50",
        Outcome::Ignored,
        vec![Reason::NotAddressed],
    )])
    .unwrap();
    s.write(&[entry(
        older,
        "x:51",
        Outcome::Ignored,
        vec![Reason::NotAddressed],
    )])
    .unwrap();
    assert_eq!(s.counts().unwrap().authors, 1);
    let kept = (f.scalar)(
        "SELECT COUNT(*) FROM authors WHERE display_name = 'Nouveau nom' AND followers = 4294967300",
    );
    assert_eq!(
        kept, 1,
        "the newest profile is kept, older events do not overwrite it"
    );
}

fn seed_rows_come_back_oldest_first(mut f: Fixture) {
    let s = &mut f.store;
    let batch: Vec<Entry> = (0..10)
        .map(|i| {
            entry(
                message(&format!("6{i}"), "u1", &format!("t{i}"), i),
                "x:60",
                Outcome::Ignored,
                vec![Reason::NotAddressed],
            )
        })
        .collect();
    s.write(&batch).unwrap();
    let rows = s.seed_rows(4).unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].created_at, at(6));
    assert_eq!(rows[3].created_at, at(9));
    assert_eq!(
        rows[3].keys.event,
        palabre_core_hash("x:69"),
        "u64 keys survive the i64 column"
    );
    assert_eq!(rows[3].keys.request, Some(palabre_core_hash("u1t9")));
    assert!(rows.iter().all(|r| r.rootless && r.conversation == "x:60"));
}

fn committed_batches_survive_reopening(mut f: Fixture) {
    f.store
        .write(&[entry(
            message("70", "u1", "durable", 0),
            "x:70",
            Outcome::RoutedToHuman,
            vec![Reason::Mention],
        )])
        .unwrap();
    drop(f.store);
    let mut reopened = (f.reopen)().unwrap();
    assert_eq!(
        reopened.message(&id("70")).unwrap().unwrap().text,
        "durable"
    );
    assert_eq!(
        reopened.counts().unwrap().messages,
        1,
        "reopening does not migrate twice or lose rows"
    );
}

fn the_audit_log_is_append_only(mut f: Fixture) {
    let s = &mut f.store;
    for (i, action) in ["replay_started", "replay_finished"].iter().enumerate() {
        s.append_audit(&AuditEntry {
            at: at(i as i64),
            actor: "replay".into(),
            action: (*action).into(),
            target: Some("stream.jsonl".into()),
            detail: Some(r#"{"events":3}"#.into()),
        })
        .unwrap();
    }
    let log = s.audit_log(10).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].action, "replay_finished", "newest first");
    assert_eq!(log[1].detail.as_deref(), Some(r#"{"events":3}"#));
    let update = (f.raw)("UPDATE audit_log SET actor = 'mallory'");
    assert!(update.unwrap_err().contains("append-only"));
    let delete = (f.raw)("DELETE FROM audit_log");
    assert!(delete.unwrap_err().contains("append-only"));
    assert_eq!(f.store.audit_log(10).unwrap().len(), 2);
}

fn a_newer_schema_is_refused(f: Fixture) {
    (f.raw)("INSERT INTO schema_migrations (version, applied_ms) VALUES (999, 0)").unwrap();
    drop(f.store);
    match (f.reopen)() {
        Err(e @ StoreError::TooNew { found: 999, .. }) => {
            assert!(e.to_string().contains("newer Palabre"))
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("opening a database from a newer Palabre must fail"),
    }
}

fn sent_replies_come_back_for_the_guardrails(mut f: Fixture) {
    let s = &mut f.store;
    let with = |id: &str, outcome: Outcome, key: &str, reply: Option<&str>| {
        let mut e = entry(
            message(id, "u7", "#MonRésultat 69003", id.len() as i64),
            "x:80",
            outcome,
            vec![],
        );
        if let Entry::Message { decision, .. } = &mut e {
            decision.campaign = Some("mon-resultat".into());
            decision.campaign_key = Some(key.into());
            decision.reply = reply.map(str::to_owned);
        }
        e
    };
    s.write(&[
        with(
            "81",
            Outcome::BotReplied,
            "code=69003",
            Some("Lyon : résultats"),
        ),
        with("82", Outcome::Drafted, "code=75011", Some("brouillon")),
        with(
            "833",
            Outcome::RoutedToHuman,
            "help",
            Some("Envoyez #MonRésultat…"),
        ),
        with("8444", Outcome::Ignored, "code=69003", None),
    ])
    .unwrap();
    let replies = s.recent_replies(10).unwrap();
    let got: Vec<(&str, &str)> = replies
        .iter()
        .map(|r| (r.key.as_str(), r.text.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("code=69003", "Lyon : résultats"),
            ("help", "Envoyez #MonRésultat…")
        ],
        "drafts were not sent"
    );
    assert_eq!(replies[0].campaign, "mon-resultat");
    assert_eq!(
        replies[0].author,
        palabre_store::author_key(Platform::X, "u7") as u64
    );
    assert_eq!(replies[0].conversation, "x:80");
    assert_eq!(s.recent_replies(1).unwrap().len(), 1);
}
