//! The workspace (people, inbox, human work, draft reviews, outbox), run against both backends:
//! SQLite always, PostgreSQL when reachable. Entries are written with `Store::write`, as the
//! engine does, and read back through a `Workspace` on the same database.
//!
//! PostgreSQL: `PALABRE_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`).
//! When it cannot be reached the PostgreSQL half is skipped with a loud message, unless
//! `PALABRE_REQUIRE_POSTGRES=1` (CI sets it), which makes that a failure.

// Tests may unwrap and panic: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_core::message::MessageText;
use palabre_core::post::PostError;
use palabre_core::{
    Author, AuthorKind, ConversationId, ConversationStatus, Decision, Emotion, EventId, ExternalId,
    Intent, Lang, Message, MessageKeys, MessageKind, Outcome, Platform, Reason, Sentiment,
    SentimentLabel, Timestamp, Triage,
};
use palabre_store::workspace::{
    Brake, BrakeChange, HoldReason, InboxFilter, InboxRow, NewAction, NewImage, NewPost,
    OutboxStatus, PostEdit, PostRefusal, PostStatus, ReviewOutcome, Role, Scope, Team, TeamScope,
};
use palabre_store::{Entry, PostgresStore, SqliteStore, Store, Workspace};
use std::collections::HashSet;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU32, Ordering};

// ------------------------------------------------------------------ harness

/// A fresh database of one backend: the store that writes entries, where to open workspace
/// connections to it, and raw SQL beside them for what the API cannot show.
struct Fixture {
    store: Box<dyn Store>,
    location: String,
    schema: Option<String>,
    raw: Box<dyn Fn(&str)>,
    scalar: Box<dyn Fn(&str) -> i64>,
    _keep: Option<tempfile::TempDir>,
    /// Drops the test's PostgreSQL schema when the test ends (declared last: dropped last).
    _cleanup: Option<SchemaGuard>,
}

impl Fixture {
    /// A new workspace connection to the fixture's database.
    fn ws(&self) -> Workspace {
        Workspace::open_in(&self.location, self.schema.as_deref()).unwrap()
    }

    fn write(&mut self, entries: Vec<Entry>) {
        self.store.write(&entries).unwrap();
    }
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
        location: path.to_str().unwrap().to_owned(),
        schema: None,
        raw: Box::new(move |sql| {
            rusqlite::Connection::open(&p2)
                .unwrap()
                .execute_batch(sql)
                .unwrap()
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
        "palabre_ws_test_{}_{}_{}",
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
            "\n!!! SKIPPING the PostgreSQL half of the workspace suite: cannot connect to {url}: {e}\n"
        );
        return None;
    }
    let store = PostgresStore::connect(&url, Some(&schema))
        .unwrap_or_else(|e| panic!("PostgreSQL store: {e}"));
    let client = {
        let (url, schema) = (url.clone(), schema.clone());
        move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            c.batch_execute(&format!("SET search_path TO \"{schema}\""))
                .unwrap();
            c
        }
    };
    let client2 = client.clone();
    Some(Fixture {
        store: Box::new(store),
        location: url.clone(),
        schema: Some(schema.clone()),
        raw: Box::new(move |sql| client().batch_execute(sql).unwrap()),
        scalar: Box::new(move |sql| client2().query_one(sql, &[]).unwrap().get::<_, i64>(0)),
        _keep: None,
        _cleanup: Some(SchemaGuard { url, schema }),
    })
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite { $( #[test] fn $name() { super::$name(super::sqlite()); } )* }
        mod on_postgres { $( #[test] fn $name() { if let Some(f) = super::postgres() { super::$name(f); } } )* }
    };
}

suite!(
    users_roles_teams_sessions_and_tokens,
    the_inbox_columns_follow_the_decisions,
    the_inbox_filters_and_scopes,
    the_conversation_view_shows_everything,
    assignment_by_hand_and_round_robin,
    assignment_with_3000_agents_in_50_teams,
    assignment_respects_team_channels_and_disabled_agents,
    assignment_counts_a_conversation_the_writer_opens_again,
    waiting_conversations_go_to_agents_as_they_are_freed,
    statuses_snoozes_takeover_notes_and_human_replies,
    drafts_are_reviewed_once,
    two_reviewers_at_the_same_instant_send_once,
    the_outbox_lifecycle,
    two_senders_claim_each_action_once,
    a_stale_answer_becomes_a_draft_or_is_dropped,
    a_starting_sender_leaves_another_nodes_sends_alone,
    the_audit_log_records_human_work,
    writing_the_same_events_again_leaves_the_inbox_alone,
    text_search_folds_the_case_of_accented_letters,
    text_search_reads_the_index_and_what_it_has_not_reached,
    the_moderation_queue_lists_hidden_and_toxic_messages_newest_first,
    connector_checkpoints_health_and_the_webhook_queue,
    conversations_keep_their_channel_and_teams_see_theirs,
    the_followups_of_a_group_are_written_together,
    the_brake_holds_the_bots_sends_and_is_audited,
    scheduled_posts_are_approved_published_once_and_held_by_the_brake,
    interactions_are_counted_by_hour_for_the_best_time_to_post,
    the_brake_on_chosen_channels_holds_only_theirs,
    a_posts_images_are_checked_versioned_sent_and_served_once_published,
);

// ------------------------------------------------------------------ builders

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_774_209_600 + secs).unwrap()
}

fn now() -> i64 {
    Timestamp::now().as_millisecond()
}

/// Any stable u64 will do for keys here.
fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The scope of one team working on these queues, whatever the channel.
fn queues(queues: Vec<String>) -> Scope {
    Scope::Teams(vec![TeamScope {
        queues,
        channels: vec![],
    }])
}

/// A message and its decision, to be written with `Store::write`.
#[derive(Clone)]
struct M {
    platform: Platform,
    id: String,
    author: String,
    text: String,
    secs: i64,
    conversation: String,
    outcome: Outcome,
    reasons: Vec<Reason>,
    queue: Option<String>,
    reply: Option<String>,
    triage: Option<Triage>,
    campaign: Option<String>,
    channel: Option<String>,
}

/// Defaults: author `u1`, at t=0, queue `support` for what goes to a human, a reply for what
/// the bot answered or drafted.
fn m(id: &str, conversation: &str, outcome: Outcome) -> M {
    let for_human = matches!(outcome, Outcome::RoutedToHuman | Outcome::Drafted);
    M {
        platform: Platform::X,
        id: id.into(),
        author: "u1".into(),
        text: format!("message {id}"),
        secs: 0,
        conversation: conversation.into(),
        outcome,
        reasons: match outcome {
            Outcome::RoutedToHuman => vec![Reason::Mention],
            Outcome::Ignored => vec![Reason::NotAddressed],
            _ => vec![],
        },
        queue: for_human.then(|| "support".to_owned()),
        reply: matches!(outcome, Outcome::Drafted | Outcome::BotReplied)
            .then(|| format!("réponse {id}")),
        triage: None,
        campaign: None,
        channel: None,
    }
}

impl M {
    fn by(mut self, author: &str) -> Self {
        self.author = author.into();
        self
    }
    fn text(mut self, text: &str) -> Self {
        self.text = text.into();
        self
    }
    fn at(mut self, secs: i64) -> Self {
        self.secs = secs;
        self
    }
    fn on(mut self, platform: Platform) -> Self {
        self.platform = platform;
        self
    }
    fn queue(mut self, queue: Option<&str>) -> Self {
        self.queue = queue.map(str::to_owned);
        self
    }
    fn reasons(mut self, reasons: Vec<Reason>) -> Self {
        self.reasons = reasons;
        self
    }
    fn reply(mut self, reply: &str) -> Self {
        self.reply = Some(reply.into());
        self
    }
    fn triage(mut self, triage: Triage) -> Self {
        self.triage = Some(triage);
        self
    }
    fn campaign(mut self, campaign: &str) -> Self {
        self.campaign = Some(campaign.into());
        self
    }
    fn channel(mut self, channel: &str) -> Self {
        self.channel = Some(channel.into());
        self
    }

    fn entry(self) -> Entry {
        let mut message = Message::new(
            EventId::new(self.platform, ExternalId::new(&self.id).unwrap()),
            MessageKind::Post,
            MessageText::new(self.text.as_str()).unwrap(),
            Author {
                id: self.author.clone(),
                handle: Some(format!("h{}", self.author)),
                display_name: Some(format!("Name {}", self.author)),
                followers: Some(42),
                ..Author::default()
            },
            at(self.secs),
        );
        message.raw = format!(r#"{{"id":"{}"}}"#, self.id).into();
        let keys = MessageKeys {
            event: hash(&message.id.to_string()),
            content: hash(&self.text),
            request: None,
        };
        let mut decision = Decision::new(self.outcome, self.reasons);
        decision.conversation = Some(ConversationId::from_stored(&self.conversation));
        decision.queue = self.queue;
        decision.reply = self.reply;
        decision.triage = self.triage;
        decision.campaign = self.campaign;
        decision.channel = self.channel;
        let decided_at = message.created_at;
        Entry::message(Box::new(message), keys, decision, decided_at)
    }
}

fn triage(
    lang: Lang,
    label: SentimentLabel,
    emotion: Emotion,
    toxic: bool,
    intent: Intent,
) -> Triage {
    Triage {
        lang,
        sentiment: Sentiment {
            label,
            score: match label {
                SentimentLabel::Negative => -0.5,
                SentimentLabel::Positive => 0.5,
                SentimentLabel::Neutral => 0.0,
            },
        },
        emotion,
        toxic,
        intent,
        author_kind: AuthorKind::Person,
        spam: false,
    }
}

fn mood(label: SentimentLabel, emotion: Emotion, toxic: bool) -> Triage {
    triage(Lang::Fr, label, emotion, toxic, Intent::Complaint)
}

fn all() -> InboxFilter {
    InboxFilter {
        limit: 100,
        ..InboxFilter::default()
    }
}

/// The conversations whose messages contain `words`, any status (the inbox's text search).
fn search(ws: &mut Workspace, words: &str) -> Vec<String> {
    let filter = InboxFilter {
        text: Some(words.into()),
        status: None,
        ..all()
    };
    find(ws, &filter, &Scope::All)
}

/// The ids of the inbox rows for a filter, sorted.
fn find(ws: &mut Workspace, filter: &InboxFilter, scope: &Scope) -> Vec<String> {
    let mut ids: Vec<String> = ws
        .inbox(filter, scope)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    ids.sort();
    ids
}

fn row(ws: &mut Workspace, id: &str) -> InboxRow {
    ws.conversation_row(id, &Scope::All)
        .unwrap()
        .unwrap_or_else(|| panic!("conversation {id}"))
}

fn action<'a>(
    key: &'a str,
    conversation: Option<&'a str>,
    origin: &'a str,
    priority: i64,
) -> NewAction<'a> {
    NewAction {
        idem_key: key,
        action: "reply",
        platform: "x",
        conversation_id: conversation,
        target_id: Some("1"),
        text: Some("Bonjour"),
        origin,
        actor: if origin == "human" {
            "alice"
        } else {
            "palabre"
        },
        priority,
        campaign: None,
        choices: None,
        channel: None,
    }
}

fn a_stale_answer_becomes_a_draft_or_is_dropped(mut f: Fixture) {
    f.write(vec![
        m("80", "x:80", Outcome::BotReplied)
            .campaign("c")
            .reply("Réponse 80")
            .entry(),
        m("81", "x:81", Outcome::BotReplied)
            .campaign("c")
            .reply("Réponse 81")
            .entry(),
    ]);
    let mut ws = f.ws();
    assert_eq!(row(&mut ws, "x:80").status, "resolved");
    let remembered = |f: &mut Fixture| -> Vec<String> {
        let replies = f.store.recent_replies(100).unwrap();
        replies.into_iter().map(|r| r.text).collect()
    };
    assert_eq!(remembered(&mut f), ["Réponse 80", "Réponse 81"]);
    let answer = |key: &'static str, target: &'static str, conversation: &'static str| NewAction {
        target_id: Some(target),
        campaign: Some("c"),
        ..action(key, Some(conversation), "bot", 1)
    };
    let (a, _) = ws.enqueue(&answer("bot:x:80", "80", "x:80")).unwrap();
    let (b, _) = ws.enqueue(&answer("bot:x:81", "81", "x:81")).unwrap();
    let (h, _) = ws
        .enqueue(&action("human:x:81:1", Some("x:81"), "human", 0))
        .unwrap();
    assert!(
        !ws.withdraw(a, "too late", true).unwrap(),
        "only what is being sent"
    );
    let claimed = ws.claim_due("n1", now(), 10).unwrap();
    assert_eq!(claimed.len(), 3);
    assert!(
        !ws.withdraw(h, "too late", true).unwrap(),
        "never a person's reply"
    );
    assert!(
        ws.withdraw(a, "waited 40 min: turned into a draft", true)
            .unwrap()
    );
    assert!(ws.withdraw(b, "waited 40 min: dropped", false).unwrap());
    let item = ws.outbox_item(a).unwrap().unwrap();
    assert_eq!(item.status, OutboxStatus::Withdrawn);
    assert_eq!(
        item.last_error.as_deref(),
        Some("waited 40 min: turned into a draft")
    );
    assert_eq!(
        ws.outbox_item(b).unwrap().unwrap().status,
        OutboxStatus::Withdrawn
    );
    assert_eq!(
        ws.outbox_item(h).unwrap().unwrap().status,
        OutboxStatus::Sending
    );
    // The draft is in front of people, in its conversation open again; the dropped one not.
    let drafted = row(&mut ws, "x:80");
    assert_eq!((drafted.status.as_str(), drafted.drafts), ("open", 1));
    assert_eq!(
        (f.scalar)(
            "SELECT COUNT(*) FROM messages WHERE external_id = '80' AND outcome = 'drafted' AND reasons = 'rate_limited'"
        ),
        1
    );
    assert_eq!(row(&mut ws, "x:81").status, "resolved");
    assert_eq!(
        (f.scalar)(
            "SELECT COUNT(*) FROM messages WHERE external_id = '81' AND outcome = 'bot_replied'"
        ),
        1
    );
    assert!(
        ws.outbox_waiting()
            .unwrap()
            .iter()
            .all(|w| w.origin == "human")
    );
    // Neither was sent: a restart's guardrails do not count them, and the live ones read what
    // to forget from the message.
    assert!(remembered(&mut f).is_empty());
    let forget = ws.decided_reply("x", "81").unwrap().unwrap();
    assert_eq!(
        (
            forget.campaign.as_str(),
            forget.text.as_str(),
            forget.conversation.as_str()
        ),
        ("c", "Réponse 81", "x:81")
    );
    assert_eq!(ws.decided_reply("x", "404").unwrap(), None);
}

/// What a sender `n1` claims at `now`: the actions' keys, in the order given.
fn claimed_keys(ws: &mut Workspace, now: i64) -> Vec<String> {
    ws.claim_due("n1", now, 10)
        .unwrap()
        .into_iter()
        .map(|i| i.idem_key)
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn actions_of(ws: &mut Workspace, target: &str) -> Vec<String> {
    ws.audit_of(target)
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect()
}

// ------------------------------------------------------------------ the suite

fn users_roles_teams_sessions_and_tokens(f: Fixture) {
    let mut ws = f.ws();
    let alice = ws
        .create_user(
            "alice",
            "Alice A.",
            "argon2-a",
            Role::Agent,
            &strings(&["support"]),
        )
        .unwrap()
        .expect("alice is new");
    assert_eq!(
        ws.create_user("alice", "Other", "argon2-x", Role::Admin, &[])
            .unwrap(),
        None,
        "a taken name is refused, not overwritten"
    );
    let bob = ws
        .create_user(
            "bob",
            "Bob",
            "argon2-b",
            Role::Manager,
            &strings(&["support", "vip"]),
        )
        .unwrap()
        .unwrap();
    assert_ne!(alice, bob);

    let a = ws.user_by_name("alice").unwrap().unwrap();
    assert_eq!(a.id, alice);
    assert_eq!(a.display_name, "Alice A.", "the first alice is kept");
    assert_eq!(a.password_hash, "argon2-a");
    assert_eq!(a.role, Role::Agent);
    assert_eq!(a.teams, vec!["support"]);
    assert_eq!(a.capacity, 10);
    assert!(!a.disabled);
    let b = ws.user_by_name("bob").unwrap().unwrap();
    assert_eq!(
        (b.role, b.teams.clone()),
        (Role::Manager, strings(&["support", "vip"]))
    );
    assert!(ws.user_by_name("nobody").unwrap().is_none());
    ws.create_user("root", "Root", "h", Role::Admin, &[])
        .unwrap()
        .unwrap();
    let root = ws.user_by_name("root").unwrap().unwrap();
    assert_eq!((root.role, root.teams.len()), (Role::Admin, 0));
    let names: Vec<String> = ws.users().unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(names, vec!["alice", "bob", "root"]);
    assert!(Role::Agent < Role::Manager && Role::Manager < Role::Admin);

    // Teams: what each works on, one scope per team; redefining a team replaces it.
    ws.set_team("support", &strings(&["support", "billing"]), &[])
        .unwrap();
    ws.set_team("vip", &strings(&["vip", "billing"]), &strings(&["x:1000"]))
        .unwrap();
    assert_eq!(
        ws.team_scopes(&b.teams).unwrap(),
        vec![
            TeamScope {
                queues: strings(&["support", "billing"]),
                channels: vec![]
            },
            TeamScope {
                queues: strings(&["vip", "billing"]),
                channels: strings(&["x:1000"])
            }
        ]
    );
    ws.set_team("support", &strings(&["support"]), &[]).unwrap();
    assert_eq!(
        ws.team_scopes(&a.teams).unwrap(),
        vec![TeamScope {
            queues: strings(&["support"]),
            channels: vec![]
        }]
    );
    assert!(ws.team_scopes(&strings(&["ghosts"])).unwrap().is_empty());

    assert_eq!(
        ws.team_list().unwrap(),
        vec![
            Team {
                name: "support".into(),
                queues: strings(&["support"]),
                channels: vec![],
            },
            Team {
                name: "vip".into(),
                queues: strings(&["vip", "billing"]),
                channels: strings(&["x:1000"]),
            },
        ]
    );

    // Role and teams change in place; an unknown user is said so.
    assert!(
        ws.set_role_and_teams("alice", Role::Manager, &strings(&["vip", "support"]))
            .unwrap()
    );
    let a2 = ws.user_by_name("alice").unwrap().unwrap();
    assert_eq!(
        (a2.id, a2.role, a2.teams.clone(), a2.password_hash.as_str()),
        (
            alice,
            Role::Manager,
            strings(&["vip", "support"]),
            "argon2-a"
        )
    );
    assert!(
        ws.set_role_and_teams("alice", Role::Agent, &a.teams)
            .unwrap()
    );
    assert_eq!(ws.user_by_name("alice").unwrap().unwrap().role, Role::Agent);
    assert!(!ws.set_role_and_teams("nobody", Role::Admin, &[]).unwrap());
    assert!(ws.user_by_name("nobody").unwrap().is_none());

    // A new password replaces the hash.
    assert!(ws.set_password("alice", "argon2-a2").unwrap());
    assert_eq!(
        ws.user_by_name("alice").unwrap().unwrap().password_hash,
        "argon2-a2"
    );
    assert!(!ws.set_password("nobody", "h").unwrap());

    // Sessions: found while live, never once expired, gone once deleted.
    let later = now() + 3_600_000;
    ws.create_session(alice, "tok-a", "csrf-a", later).unwrap();
    ws.create_session(alice, "tok-old", "csrf-old", now() - 1)
        .unwrap();
    ws.create_session(bob, "tok-b", "csrf-b", later).unwrap();
    let s = ws.session("tok-a").unwrap().expect("live session");
    assert_eq!(
        (s.user.name.as_str(), s.csrf.as_str(), s.expires_ms),
        ("alice", "csrf-a", later)
    );
    assert!(ws.session("tok-old").unwrap().is_none(), "expired");
    assert!(ws.session("tok-unknown").unwrap().is_none());
    assert!(
        ws.create_session(alice, "tok-a", "again", later).is_err(),
        "a token hash is unique"
    );
    ws.delete_session("tok-a").unwrap();
    assert!(ws.session("tok-a").unwrap().is_none());
    assert_eq!(
        (f.scalar)("SELECT COUNT(*) FROM sessions"),
        1,
        "deleting a session also purges the expired ones"
    );

    // API tokens.
    ws.create_api_token(bob, "api-b", "ci").unwrap();
    assert_eq!(ws.api_token_user("api-b").unwrap().unwrap().name, "bob");
    assert!(ws.api_token_user("api-x").unwrap().is_none());
    assert!(ws.create_api_token(alice, "api-b", "dup").is_err());

    // A disabled user opens nothing any more; enabled again, they do.
    assert!(ws.set_disabled("bob", true).unwrap());
    assert!(ws.user_by_name("bob").unwrap().unwrap().disabled);
    assert!(ws.session("tok-b").unwrap().is_none());
    assert!(ws.api_token_user("api-b").unwrap().is_none());
    assert!(ws.set_disabled("bob", false).unwrap());
    assert!(!ws.user_by_name("bob").unwrap().unwrap().disabled);
    assert_eq!(ws.api_token_user("api-b").unwrap().unwrap().name, "bob");
    assert!(ws.session("tok-b").unwrap().is_some());
    assert!(!ws.set_disabled("nobody", true).unwrap());
    (f.raw)("UPDATE users SET disabled = 1 WHERE name = 'bob'");
    assert!(ws.user_by_name("bob").unwrap().unwrap().disabled);
    assert!(ws.api_token_user("api-b").unwrap().is_none());
}

fn the_inbox_columns_follow_the_decisions(mut f: Fixture) {
    f.write(vec![
        m("1", "x:1", Outcome::RoutedToHuman)
            .queue(Some("billing"))
            .text("ma facture")
            .entry(),
        m("2", "x:2", Outcome::BotReplied).entry(),
        m("3", "x:3", Outcome::Ignored).entry(),
    ]);
    let mut ws = f.ws();
    assert_eq!(
        find(&mut ws, &all(), &Scope::All),
        vec!["x:1", "x:2"],
        "an ignored-only conversation is not in the inbox"
    );
    let r = row(&mut ws, "x:1");
    assert_eq!(
        (r.status.as_str(), r.queue.as_deref(), r.priority, r.drafts),
        ("open", Some("billing"), 0, 0)
    );
    assert_eq!(r.last_text.as_deref(), Some("ma facture"));
    assert_eq!(r.last_author.as_deref(), Some("hu1"));
    assert_eq!(r.created_ms, at(0).as_millisecond());
    assert_eq!(r.last_inbound_ms, Some(at(0).as_millisecond()));
    let r = row(&mut ws, "x:2");
    assert_eq!(
        (r.status.as_str(), r.queue.as_deref()),
        ("resolved", None),
        "what the bot alone answered is in the inbox, already resolved"
    );
    assert_eq!(
        (f.scalar)("SELECT COUNT(*) FROM conversations WHERE id = 'x:3'"),
        0,
        "a thread nobody addressed to the brand has no conversation row"
    );

    // A new message for a human opens again what was resolved, pending or snoozed.
    for (n, status) in [
        ConversationStatus::Resolved,
        ConversationStatus::Pending,
        ConversationStatus::Snoozed,
    ]
    .into_iter()
    .enumerate()
    {
        assert!(
            ws.set_status("x:1", status, Some(now() + 3_600_000), "alice")
                .unwrap()
        );
        assert_eq!(row(&mut ws, "x:1").status, status.as_str());
        let n = n as i64;
        f.write(vec![
            m(&format!("1{n}"), "x:1", Outcome::RoutedToHuman)
                .queue(Some("billing"))
                .at(10 + n)
                .entry(),
        ]);
        let r = row(&mut ws, "x:1");
        assert_eq!(r.status, "open", "a new message re-opens a {status:?} one");
        assert_eq!(r.snoozed_until_ms, None);
        assert_eq!(r.last_inbound_ms, Some(at(10 + n).as_millisecond()));
    }
    // The bot's answers and ignored messages leave a resolved conversation resolved.
    ws.set_status("x:1", ConversationStatus::Resolved, None, "alice")
        .unwrap();
    f.write(vec![
        m("15", "x:1", Outcome::BotReplied).at(20).entry(),
        m("16", "x:1", Outcome::Ignored).at(21).entry(),
    ]);
    let r = row(&mut ws, "x:1");
    assert_eq!(r.status, "resolved");
    assert_eq!(
        r.queue.as_deref(),
        Some("billing"),
        "a bot reply keeps the queue"
    );
    // The queue follows the newest message that went to a human.
    f.write(vec![
        m("17", "x:1", Outcome::RoutedToHuman)
            .queue(Some("support"))
            .at(30)
            .entry(),
    ]);
    let r = row(&mut ws, "x:1");
    assert_eq!(
        (r.status.as_str(), r.queue.as_deref()),
        ("open", Some("support"))
    );
    // And a bot reply in an open conversation keeps it open.
    f.write(vec![m("18", "x:1", Outcome::BotReplied).at(40).entry()]);
    assert_eq!(row(&mut ws, "x:1").status, "open");

    // Priority: 2 toxic or angry, 1 negative or malformed, 0 otherwise; the highest stays.
    use Emotion::{Anger, None as Calm};
    use SentimentLabel::{Negative, Neutral, Positive};
    f.write(vec![
        m("40", "x:40", Outcome::RoutedToHuman)
            .triage(mood(Negative, Calm, false))
            .entry(),
        m("41", "x:41", Outcome::RoutedToHuman)
            .triage(mood(Neutral, Anger, false))
            .entry(),
        m("42", "x:42", Outcome::RoutedToHuman)
            .triage(mood(Positive, Calm, true))
            .entry(),
        m("43", "x:43", Outcome::RoutedToHuman)
            .triage(mood(Neutral, Calm, false))
            .entry(),
        m("44", "x:44", Outcome::BotReplied)
            .reasons(vec![Reason::MalformedRequest])
            .entry(),
        m("45", "x:45", Outcome::Ignored)
            .triage(mood(Negative, Anger, true))
            .entry(),
    ]);
    let priorities: Vec<i64> = ["x:40", "x:41", "x:42", "x:43", "x:44"]
        .iter()
        .map(|id| row(&mut ws, id).priority)
        .collect();
    assert_eq!(priorities, vec![1, 2, 2, 0, 1]);
    assert_eq!(
        (f.scalar)("SELECT COUNT(*) FROM conversations WHERE id = 'x:45'"),
        0,
        "what is not in the inbox is not urgent: not even a row"
    );
    f.write(vec![
        m("46", "x:41", Outcome::RoutedToHuman)
            .triage(mood(Positive, Calm, false))
            .at(5)
            .entry(),
        m("47", "x:40", Outcome::RoutedToHuman)
            .triage(mood(Neutral, Anger, false))
            .at(5)
            .entry(),
    ]);
    assert_eq!(row(&mut ws, "x:41").priority, 2, "a calmer message keeps 2");
    assert_eq!(row(&mut ws, "x:40").priority, 2, "an angrier one raises it");
    ws.set_status("x:41", ConversationStatus::Resolved, None, "alice")
        .unwrap();
    assert_eq!(
        row(&mut ws, "x:41").priority,
        0,
        "resolving clears the urgency"
    );
    f.write(vec![
        m("48", "x:41", Outcome::RoutedToHuman)
            .triage(mood(Negative, Calm, false))
            .at(9)
            .entry(),
    ]);
    let r = row(&mut ws, "x:41");
    assert_eq!((r.status.as_str(), r.priority), ("open", 1));

    // Drafts are counted, across batches, and a draft needs a human.
    f.write(vec![
        m("50", "x:50", Outcome::Drafted).entry(),
        m("51", "x:50", Outcome::Drafted).at(5).entry(),
    ]);
    let r = row(&mut ws, "x:50");
    assert_eq!((r.status.as_str(), r.drafts), ("open", 2));
    f.write(vec![m("52", "x:50", Outcome::Drafted).at(9).entry()]);
    assert_eq!(row(&mut ws, "x:50").drafts, 3);
    assert_eq!(
        find(
            &mut ws,
            &InboxFilter {
                has_draft: true,
                ..all()
            },
            &Scope::All
        ),
        vec!["x:50"]
    );
}

fn the_inbox_filters_and_scopes(mut f: Fixture) {
    use SentimentLabel::{Negative, Neutral, Positive};
    f.write(vec![
        m("10", "x:10", Outcome::RoutedToHuman)
            .queue(Some("billing"))
            .text("Mon COLIS n'est pas arrivé")
            .triage(triage(
                Lang::Fr,
                Negative,
                Emotion::Sadness,
                false,
                Intent::Complaint,
            ))
            .at(10)
            .entry(),
        m("11", "x:11", Outcome::RoutedToHuman)
            .text("100 percent refunded?")
            .triage(triage(
                Lang::En,
                Neutral,
                Emotion::None,
                false,
                Intent::Question,
            ))
            .at(11)
            .entry(),
        m("12", "x:12", Outcome::Drafted)
            .text("mon code_promo svp")
            .triage(triage(
                Lang::Fr,
                Positive,
                Emotion::Joy,
                false,
                Intent::SupportRequest,
            ))
            .at(12)
            .entry(),
        m("13", "mastodon:13", Outcome::RoutedToHuman)
            .on(Platform::Mastodon)
            .text("remboursé à 100% ?")
            .at(13)
            .entry(),
        m("14", "x:14", Outcome::BotReplied)
            .text("merci, code promo reçu")
            .at(14)
            .entry(),
        m("15", "x:15", Outcome::Ignored)
            .text("colis perdu")
            .at(15)
            .entry(),
    ]);
    let mut ws = f.ws();
    ws.assign("x:11", Some("alice"), "bob").unwrap();
    let s = |f: fn(&mut InboxFilter)| {
        let mut filter = all();
        f(&mut filter);
        filter
    };
    let everything = ["mastodon:13", "x:10", "x:11", "x:12", "x:14"];
    assert_eq!(find(&mut ws, &all(), &Scope::All), everything);

    assert_eq!(
        find(&mut ws, &s(|f| f.status = Some("open".into())), &Scope::All),
        vec!["mastodon:13", "x:10", "x:11", "x:12"]
    );
    assert_eq!(
        find(
            &mut ws,
            &s(|f| f.status = Some("resolved".into())),
            &Scope::All
        ),
        vec!["x:14"]
    );
    assert_eq!(
        find(
            &mut ws,
            &s(|f| f.queue = Some("support".into())),
            &Scope::All
        ),
        vec!["mastodon:13", "x:11", "x:12"]
    );
    assert_eq!(
        find(
            &mut ws,
            &s(|f| f.assignee = Some("alice".into())),
            &Scope::All
        ),
        vec!["x:11"]
    );
    assert_eq!(
        find(
            &mut ws,
            &s(|f| f.assignee = Some(String::new())),
            &Scope::All
        ),
        vec!["mastodon:13", "x:10", "x:12", "x:14"],
        "an empty assignee means nobody's"
    );
    assert_eq!(
        find(
            &mut ws,
            &s(|f| f.platform = Some("mastodon".into())),
            &Scope::All
        ),
        vec!["mastodon:13"]
    );
    assert_eq!(
        find(
            &mut ws,
            &s(|f| f.intent = Some("complaint".into())),
            &Scope::All
        ),
        vec!["x:10"]
    );
    assert_eq!(
        find(
            &mut ws,
            &s(|f| f.intent = Some("support_request".into())),
            &Scope::All
        ),
        vec!["x:12"]
    );
    assert_eq!(
        find(
            &mut ws,
            &s(|f| f.sentiment = Some("negative".into())),
            &Scope::All
        ),
        vec!["x:10"]
    );
    assert_eq!(
        find(&mut ws, &s(|f| f.lang = Some("en".into())), &Scope::All),
        vec!["x:11"]
    );
    assert_eq!(
        find(&mut ws, &s(|f| f.lang = Some("fr".into())), &Scope::All),
        vec!["x:10", "x:12"]
    );
    assert_eq!(
        find(&mut ws, &s(|f| f.has_draft = true), &Scope::All),
        vec!["x:12"]
    );
    // Filters combine.
    assert_eq!(
        find(
            &mut ws,
            &s(|f| {
                f.queue = Some("support".into());
                f.lang = Some("fr".into());
            }),
            &Scope::All
        ),
        vec!["x:12"]
    );
    // Text: case-insensitive, LIKE's wildcards taken literally, blank means no filter.
    for (words, expected) in [
        ("colis", vec!["x:10"]),
        ("COLIS N'EST", vec!["x:10"]),
        ("  Colis ", vec!["x:10"]),
        ("100%", vec!["mastodon:13"]),
        ("%", vec!["mastodon:13"]),
        ("_", vec!["x:12"]),
        ("code_promo", vec!["x:12"]),
        ("code%promo", vec![]),
        ("\\", vec![]),
        ("introuvable", vec![]),
    ] {
        let filter = InboxFilter {
            text: Some(words.into()),
            ..all()
        };
        assert_eq!(
            find(&mut ws, &filter, &Scope::All),
            expected,
            "text {words:?}"
        );
    }
    assert_eq!(
        find(&mut ws, &s(|f| f.text = Some("   ".into())), &Scope::All),
        everything
    );
    // Limit, newest first; with a status, the most urgent first.
    let rows = ws.inbox(&s(|f| f.limit = 2), &Scope::All).unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, vec!["x:14", "mastodon:13"]);
    let rows = ws
        .inbox(&s(|f| f.status = Some("open".into())), &Scope::All)
        .unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, vec!["x:10", "mastodon:13", "x:12", "x:11"]);

    // An agent's scope hides the other queues, everywhere.
    let support = queues(strings(&["support"]));
    assert_eq!(
        find(&mut ws, &all(), &support),
        vec!["mastodon:13", "x:11", "x:12"]
    );
    assert!(find(&mut ws, &s(|f| f.queue = Some("billing".into())), &support).is_empty());
    assert!(find(&mut ws, &s(|f| f.text = Some("colis".into())), &support).is_empty());
    assert!(ws.conversation_row("x:10", &support).unwrap().is_none());
    assert!(ws.conversation_view("x:10", &support).unwrap().is_none());
    assert!(ws.conversation_row("x:11", &support).unwrap().is_some());
    assert!(ws.conversation_view("x:12", &support).unwrap().is_some());
    let both = queues(strings(&["support", "billing"]));
    assert_eq!(find(&mut ws, &all(), &both).len(), 4);
    let none = Scope::Teams(vec![]);
    assert!(find(&mut ws, &all(), &none).is_empty());
    assert!(ws.conversation_row("x:11", &none).unwrap().is_none());
    assert_eq!(ws.pending_drafts(&support, 10).unwrap().len(), 1);
    assert!(
        ws.pending_drafts(&queues(strings(&["billing"])), 10)
            .unwrap()
            .is_empty()
    );
}

fn the_conversation_view_shows_everything(mut f: Fixture) {
    f.write(vec![
        // Out of order on purpose.
        m("22", "x:20", Outcome::Drafted)
            .text("et alors ?")
            .reply("Bonjour, voici…")
            .campaign("mon-resultat")
            .at(100)
            .entry(),
        m("20", "x:20", Outcome::RoutedToHuman)
            .text("panne")
            .triage(mood(SentimentLabel::Negative, Emotion::None, false))
            .entry(),
        m("21", "x:20", Outcome::Ignored)
            .by("u2")
            .text("moi aussi")
            .at(50)
            .entry(),
        m("25", "x:25", Outcome::RoutedToHuman)
            .text("autre souci")
            .at(-3600)
            .entry(),
        m("26", "x:26", Outcome::Ignored)
            .text("hors sujet")
            .at(-7200)
            .entry(),
        m("27", "x:27", Outcome::RoutedToHuman)
            .by("u2")
            .text("pas moi")
            .at(-60)
            .entry(),
    ]);
    let mut ws = f.ws();
    ws.add_note("x:20", "alice", "rappeler demain").unwrap();
    ws.add_note("x:20", "bob", "fait").unwrap();
    ws.add_note("x:25", "bob", "ailleurs").unwrap();
    let (out, _) = ws
        .human_reply(&action("human:x:20:1", Some("x:20"), "human", 0))
        .unwrap();

    let v = ws
        .conversation_view("x:20", &Scope::All)
        .unwrap()
        .expect("view");
    assert_eq!(v.row.id, "x:20");
    assert_eq!(
        v.row.last_text.as_deref(),
        Some("et alors ?"),
        "the newest message for a human"
    );
    let order: Vec<(&str, &str, &str)> = v
        .messages
        .iter()
        .map(|m| {
            (
                m.external_id.as_str(),
                m.author_id.as_str(),
                m.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        order,
        vec![
            ("20", "u1", "routed_to_human"),
            ("21", "u2", "ignored"),
            ("22", "u1", "drafted")
        ]
    );
    let first = &v.messages[0];
    assert_eq!(first.platform, "x");
    assert_eq!(first.kind, "post");
    assert_eq!(first.text, "panne");
    assert_eq!(first.reasons, vec!["mention"]);
    assert_eq!(first.queue.as_deref(), Some("support"));
    assert_eq!(first.created_ms, at(0).as_millisecond());
    assert!(
        first
            .triage
            .as_deref()
            .unwrap()
            .contains(r#""label":"negative""#)
    );
    assert_eq!(first.author_handle.as_deref(), Some("hu1"));
    assert_eq!(first.author_name.as_deref(), Some("Name u1"));
    assert_eq!(first.author_followers, Some(42));
    assert!(!first.author_verified);
    assert_eq!(first.review, None);
    assert_eq!(v.messages[1].reasons, vec!["not_addressed"]);
    let draft = &v.messages[2];
    assert_eq!(draft.reply.as_deref(), Some("Bonjour, voici…"));
    assert_eq!(draft.campaign.as_deref(), Some("mon-resultat"));
    assert_eq!(draft.review, None);

    let notes: Vec<(&str, &str)> = v
        .notes
        .iter()
        .map(|n| (n.author.as_str(), n.text.as_str()))
        .collect();
    assert_eq!(notes, vec![("alice", "rappeler demain"), ("bob", "fait")]);
    assert!(v.notes[0].created_ms <= v.notes[1].created_ms);
    assert_eq!(v.outbox.len(), 1);
    assert_eq!(v.outbox[0].id, out);
    assert_eq!(v.outbox[0].idem_key, "human:x:20:1");
    // The author's other conversations in the inbox; not the ignored one, not other authors'.
    let history: Vec<&str> = v.author_history.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(history, vec!["x:25"]);
    assert_eq!(
        v.author_history[0].last_text.as_deref(),
        Some("autre souci")
    );

    // A review shows on its message.
    assert!(matches!(
        ws.review_draft("x", "22", true, None, None, "alice", 1)
            .unwrap(),
        ReviewOutcome::Done { outbox_id: Some(_) }
    ));
    let v = ws.conversation_view("x:20", &Scope::All).unwrap().unwrap();
    assert_eq!(v.messages[2].review.as_deref(), Some("approved"));
    assert_eq!(v.outbox.len(), 2);
    assert!(
        ws.conversation_view("x:404", &Scope::All)
            .unwrap()
            .is_none()
    );
    assert!(ws.conversation_row("x:404", &Scope::All).unwrap().is_none());
}

fn assignment_by_hand_and_round_robin(mut f: Fixture) {
    let conversations: Vec<Entry> = (1..=8)
        .map(|i| {
            m(&format!("{i}"), &format!("x:{i}"), Outcome::RoutedToHuman)
                .at(i)
                .entry()
        })
        .chain([
            m("20", "x:20", Outcome::RoutedToHuman)
                .queue(Some("sales"))
                .entry(),
            m("21", "x:21", Outcome::RoutedToHuman)
                .queue(Some("nobody"))
                .entry(),
        ])
        .collect();
    f.write(conversations);
    let mut ws = f.ws();
    ws.set_team("care", &strings(&["support", "billing"]), &[])
        .unwrap();
    ws.set_team("sales", &strings(&["sales"]), &[]).unwrap();
    let team = |t: &str| strings(&[t]);
    ws.create_user("alice", "A", "h", Role::Agent, &strings(&["other", "care"]))
        .unwrap();
    ws.create_user("carol", "C", "h", Role::Agent, &team("care"))
        .unwrap();
    ws.create_user("dave", "D", "h", Role::Agent, &team("sales"))
        .unwrap();
    ws.create_user("mona", "M", "h", Role::Manager, &team("care"))
        .unwrap();
    ws.create_user("erin", "E", "h", Role::Agent, &team("care"))
        .unwrap();
    ws.create_user("carekeeper", "K", "h", Role::Agent, &team("careful"))
        .unwrap();
    (f.raw)("UPDATE users SET disabled = 1 WHERE name = 'erin'");
    (f.raw)("UPDATE users SET capacity = 2 WHERE name = 'carol'");

    // By hand.
    assert!(ws.assign("x:8", Some("mona"), "mona").unwrap());
    assert_eq!(row(&mut ws, "x:8").assignee.as_deref(), Some("mona"));
    assert!(ws.assign("x:8", None, "mona").unwrap());
    assert_eq!(row(&mut ws, "x:8").assignee, None);
    assert!(!ws.assign("x:404", Some("mona"), "mona").unwrap());

    // Round-robin among the active agents of a team on the queue: fewest open first, the
    // longest-waiting on a tie, never beyond capacity.
    let mut got = Vec::new();
    for i in 1..=6 {
        got.push(ws.auto_assign(&format!("x:{i}"), "support").unwrap());
    }
    let names: Vec<&str> = got.iter().map(|g| g.as_deref().unwrap_or("-")).collect();
    assert_eq!(
        names,
        vec!["alice", "carol", "alice", "carol", "alice", "alice"],
        "carol's capacity is 2"
    );
    for (i, name) in names.iter().enumerate() {
        assert_eq!(
            row(&mut ws, &format!("x:{}", i + 1)).assignee.as_deref(),
            Some(*name)
        );
    }
    // Already assigned: left alone.
    assert_eq!(ws.auto_assign("x:1", "support").unwrap(), None);
    assert_eq!(row(&mut ws, "x:1").assignee.as_deref(), Some("alice"));
    // Resolved conversations do not count against capacity, and are not auto-assigned.
    ws.set_status("x:2", ConversationStatus::Resolved, None, "carol")
        .unwrap();
    assert_eq!(
        ws.auto_assign("x:7", "support").unwrap().as_deref(),
        Some("carol")
    );
    ws.set_status("x:8", ConversationStatus::Resolved, None, "mona")
        .unwrap();
    assert_eq!(ws.auto_assign("x:8", "support").unwrap(), None);
    assert_eq!(row(&mut ws, "x:8").assignee, None);
    // Other queues, other teams; no team on a queue, nobody; a team name is matched whole.
    assert_eq!(
        ws.auto_assign("x:20", "sales").unwrap().as_deref(),
        Some("dave")
    );
    assert_eq!(ws.auto_assign("x:21", "nobody").unwrap(), None);
    assert_eq!(ws.auto_assign("x:404", "support").unwrap(), None);
}

/// Every agent's counted load equals their open conversations, counted the slow way.
fn assert_loads_exact(ws: &mut Workspace, agents: &[String]) {
    for a in agents {
        let counted = ws.counted_load(a).unwrap();
        let real = ws.open_load(a).unwrap();
        assert_eq!(counted, Some(real), "load of {a}");
    }
}

fn assignment_with_3000_agents_in_50_teams(mut f: Fixture) {
    const TEAMS: usize = 50;
    const AGENTS: usize = 3000;
    // 600 conversations over 5 queues: teams t0..t49 each work on queue q(i % 5).
    let conversations: Vec<Entry> = (0..600)
        .map(|i| {
            m(&format!("c{i}"), &format!("x:c{i}"), Outcome::RoutedToHuman)
                .queue(Some(&format!("q{}", i % 5)))
                .at(i)
                .entry()
        })
        .collect();
    f.write(conversations);
    let mut ws = f.ws();
    for t in 0..TEAMS {
        ws.set_team(&format!("t{t}"), &strings(&[&format!("q{}", t % 5)]), &[])
            .unwrap();
    }
    let agents: Vec<String> = (0..AGENTS).map(|i| format!("agent{i:04}")).collect();
    for (i, a) in agents.iter().enumerate() {
        ws.create_user(
            a,
            a,
            "h",
            Role::Agent,
            &strings(&[&format!("t{}", i % TEAMS)]),
        )
        .unwrap();
    }
    (f.raw)("UPDATE users SET capacity = 1");
    // Queue q0 is worked on by teams t0, t5, ..., t45: 600 agents of capacity 1.
    let started = std::time::Instant::now();
    let mut given = HashSet::new();
    for i in (0..600).step_by(5) {
        let got = ws.auto_assign(&format!("x:c{i}"), "q0").unwrap();
        let agent = got.expect("600 free agents for 120 conversations");
        let n: usize = agent[5..].parse().unwrap();
        assert_eq!(n % TEAMS % 5, 0, "{agent} works on q0");
        assert!(given.insert(agent), "capacity 1: nobody gets two");
    }
    let per_call = started.elapsed() / 120;
    eprintln!("auto_assign with {AGENTS} agents: {per_call:?} a call");
    // Concurrent hand assignments while the round-robin goes on: the counters stay exact.
    let location = (f.location.clone(), f.schema.clone());
    std::thread::scope(|scope| {
        let by_hand = scope.spawn(|| {
            let mut other = Workspace::open_in(&location.0, location.1.as_deref()).unwrap();
            for i in (1..600).step_by(5) {
                other
                    .assign(&format!("x:c{i}"), Some("agent0001"), "mona")
                    .unwrap();
            }
        });
        for i in (2..600).step_by(5) {
            ws.auto_assign(&format!("x:c{i}"), "q2").unwrap();
        }
        by_hand.join().unwrap();
    });
    assert_eq!(
        ws.open_load("agent0001").unwrap(),
        120,
        "hand assignment ignores capacity"
    );
    let sample: Vec<String> = agents
        .iter()
        .step_by(37)
        .cloned()
        .chain(["agent0001".to_owned()])
        .collect();
    assert_loads_exact(&mut ws, &sample);
    // Resolving frees capacity; reopening (a new message) takes it again.
    let holder = row(&mut ws, "x:c0").assignee.unwrap();
    assert_eq!(ws.counted_load(&holder).unwrap(), Some(1));
    ws.set_status("x:c0", ConversationStatus::Resolved, None, &holder)
        .unwrap();
    assert_eq!(ws.counted_load(&holder).unwrap(), Some(0));
    f.write(vec![
        m("c0-again", "x:c0", Outcome::RoutedToHuman)
            .queue(Some("q0"))
            .at(1000)
            .entry(),
    ]);
    assert_eq!(row(&mut ws, "x:c0").status, "open");
    assert_eq!(ws.open_load(&holder).unwrap(), 1, "reopened by the writer");
    // Every q3 agent full: the conversation waits in its queue, unassigned, at once.
    (f.raw)(
        "UPDATE users SET capacity = 0 WHERE teams IN ('t3','t8','t13','t18','t23','t28','t33','t38','t43','t48')",
    );
    let started = std::time::Instant::now();
    assert_eq!(ws.auto_assign("x:c3", "q3").unwrap(), None);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(row(&mut ws, "x:c3").assignee, None);
    assert_loads_exact(&mut ws, &sample);
}

/// The writer opens a resolved conversation again (a new message): its agent is full again,
/// whatever their counter said, and is given nothing more.
fn assignment_counts_a_conversation_the_writer_opens_again(mut f: Fixture) {
    f.write(
        (1..=3)
            .map(|i| m(&i.to_string(), &format!("x:{i}"), Outcome::RoutedToHuman).entry())
            .collect(),
    );
    let mut ws = f.ws();
    ws.set_team("care", &strings(&["support"]), &[]).unwrap();
    ws.create_user("alice", "A", "h", Role::Agent, &strings(&["care"]))
        .unwrap();
    ws.create_user("bob", "B", "h", Role::Agent, &strings(&["care"]))
        .unwrap();
    (f.raw)("UPDATE users SET capacity = 1");
    assert_eq!(
        ws.auto_assign("x:1", "support").unwrap().as_deref(),
        Some("alice")
    );
    ws.set_status("x:1", ConversationStatus::Resolved, None, "alice")
        .unwrap();
    assert_eq!(ws.counted_load("alice").unwrap(), Some(0));
    assert_eq!(
        ws.auto_assign("x:2", "support").unwrap().as_deref(),
        Some("bob")
    );
    // Alice's customer writes again: the writer opens x:1 again.
    f.write(vec![
        m("1-again", "x:1", Outcome::RoutedToHuman).at(5).entry(),
    ]);
    assert_eq!(row(&mut ws, "x:1").status, "open");
    assert_eq!(ws.open_load("alice").unwrap(), 1);
    // Both are full: x:3 waits in its queue, and alice's count is right again.
    assert_eq!(ws.auto_assign("x:3", "support").unwrap(), None);
    assert_eq!(row(&mut ws, "x:3").assignee, None);
    assert_eq!(ws.counted_load("alice").unwrap(), Some(1));
}

/// Conversations that found every agent full are given out as soon as a person frees one —
/// not when their author happens to write again — oldest first.
fn waiting_conversations_go_to_agents_as_they_are_freed(mut f: Fixture) {
    f.write(
        (1..=8)
            .map(|i| {
                m(&i.to_string(), &format!("x:{i}"), Outcome::RoutedToHuman)
                    .at(i)
                    .entry()
            })
            .collect(),
    );
    let mut ws = f.ws();
    ws.set_team("care", &strings(&["support"]), &[]).unwrap();
    for name in ["alice", "bob"] {
        ws.create_user(name, name, "h", Role::Agent, &strings(&["care"]))
            .unwrap();
    }
    (f.raw)("UPDATE users SET capacity = 1");
    let assign = |ws: &mut Workspace, i: u32| ws.auto_assign(&format!("x:{i}"), "support").unwrap();
    assert_eq!(assign(&mut ws, 1).as_deref(), Some("alice"));
    assert_eq!(assign(&mut ws, 2).as_deref(), Some("bob"));
    // Both are full: x:3 and x:4 wait, x:3 first.
    assert_eq!(assign(&mut ws, 3), None);
    assert_eq!(assign(&mut ws, 4), None);
    let waiting = |f: &Fixture| (f.scalar)("SELECT COUNT(*) FROM assignment_waiting");
    assert_eq!(waiting(&f), 2);
    // Alice resolves hers: the oldest waiting one is hers at once.
    ws.set_status("x:1", ConversationStatus::Resolved, None, "alice")
        .unwrap();
    assert_eq!(row(&mut ws, "x:3").assignee.as_deref(), Some("alice"));
    assert_eq!(row(&mut ws, "x:4").assignee, None);
    // Bob answers his customer (pending, waiting for them): x:4 is his.
    ws.human_reply(&action("human:x:2:1", Some("x:2"), "human", 0))
        .unwrap();
    assert_eq!(row(&mut ws, "x:4").assignee.as_deref(), Some("bob"));
    assert_eq!(waiting(&f), 0);
    // A manager takes x:3 away from alice: x:5, waiting, goes to her.
    assert_eq!(assign(&mut ws, 5), None);
    assert!(ws.assign("x:3", None, "mona").unwrap());
    assert_eq!(row(&mut ws, "x:5").assignee.as_deref(), Some("alice"));
    assert_eq!(
        row(&mut ws, "x:3").assignee,
        None,
        "unassigned by hand stays so"
    );
    // Snoozing frees an agent too.
    assert_eq!(assign(&mut ws, 6), None);
    ws.set_status(
        "x:4",
        ConversationStatus::Snoozed,
        Some(now() + 3_600_000),
        "bob",
    )
    .unwrap();
    assert_eq!(row(&mut ws, "x:6").assignee.as_deref(), Some("bob"));
    // A capacity raised: who works on what changed, the waiting one goes out.
    assert_eq!(assign(&mut ws, 7), None);
    (f.raw)("UPDATE users SET capacity = 2 WHERE name = 'bob'");
    ws.refresh_assignable().unwrap();
    assert_eq!(row(&mut ws, "x:7").assignee.as_deref(), Some("bob"));
    // A waiting conversation a person resolves no longer waits.
    assert_eq!(assign(&mut ws, 8), None);
    assert_eq!(waiting(&f), 1);
    ws.set_status("x:8", ConversationStatus::Resolved, None, "mona")
        .unwrap();
    assert_eq!(waiting(&f), 0);
    assert_loads_exact(&mut ws, &strings(&["alice", "bob"]));
}

fn assignment_respects_team_channels_and_disabled_agents(mut f: Fixture) {
    f.write(vec![
        m("1", "x:1", Outcome::RoutedToHuman)
            .channel("x:1000")
            .entry(),
        m("2", "x:2", Outcome::RoutedToHuman)
            .channel("x:2000")
            .entry(),
        m("3", "x:3", Outcome::RoutedToHuman)
            .channel("x:2000")
            .entry(),
        m("4", "x:4", Outcome::RoutedToHuman)
            .channel("x:1000")
            .entry(),
    ]);
    let mut ws = f.ws();
    // `paris` works on support for x:1000 only; `any` on every queue of x:2000.
    ws.set_team("paris", &strings(&["support"]), &strings(&["x:1000"]))
        .unwrap();
    ws.set_team("any", &[], &strings(&["x:2000"])).unwrap();
    ws.create_user("pia", "P", "h", Role::Agent, &strings(&["paris"]))
        .unwrap();
    ws.create_user("abel", "A", "h", Role::Agent, &strings(&["any"]))
        .unwrap();
    assert_eq!(
        ws.auto_assign("x:1", "support").unwrap().as_deref(),
        Some("pia")
    );
    assert_eq!(
        ws.auto_assign("x:2", "support").unwrap().as_deref(),
        Some("abel")
    );
    assert_eq!(
        ws.auto_assign("x:3", "billing").unwrap().as_deref(),
        Some("abel")
    );
    // Disabled while holding conversations: they go back to the queue, to someone else who
    // covers them when there is one, else unassigned; nothing stays with the disabled account.
    ws.create_user("paul", "P2", "h", Role::Agent, &strings(&["paris"]))
        .unwrap();
    ws.set_disabled("pia", true).unwrap();
    let released = ws.release_conversations_of("pia", "admin").unwrap();
    assert_eq!(released, vec![("x:1".to_owned(), Some("paul".to_owned()))]);
    assert_eq!(row(&mut ws, "x:1").assignee.as_deref(), Some("paul"));
    assert_eq!(
        ws.auto_assign("x:4", "support").unwrap().as_deref(),
        Some("paul")
    );
    ws.set_disabled("abel", true).unwrap();
    let released = ws.release_conversations_of("abel", "admin").unwrap();
    assert_eq!(
        released,
        vec![("x:2".to_owned(), None), ("x:3".to_owned(), None)],
        "nobody else covers x:2000"
    );
    assert_eq!(row(&mut ws, "x:2").assignee, None);
    assert_loads_exact(&mut ws, &strings(&["paul"]));
    assert_eq!(ws.open_load("pia").unwrap(), 0);
    assert_eq!(
        ws.counted_load("pia").unwrap(),
        None,
        "disabled: never picked"
    );
}

fn statuses_snoozes_takeover_notes_and_human_replies(mut f: Fixture) {
    f.write(vec![
        m("30", "x:30", Outcome::RoutedToHuman)
            .triage(mood(SentimentLabel::Negative, Emotion::Anger, false))
            .entry(),
        m("31", "x:31", Outcome::RoutedToHuman).entry(),
    ]);
    let mut ws = f.ws();
    // Snooze, and wake when the time comes.
    let t = now();
    assert!(
        ws.set_status(
            "x:30",
            ConversationStatus::Snoozed,
            Some(t + 60_000),
            "alice"
        )
        .unwrap()
    );
    let r = row(&mut ws, "x:30");
    assert_eq!(
        (r.status.as_str(), r.snoozed_until_ms),
        ("snoozed", Some(t + 60_000))
    );
    assert_eq!(r.priority, 2, "snoozing keeps the urgency");
    assert!(ws.wake_snoozed(t + 59_999).unwrap().is_empty());
    assert_eq!(row(&mut ws, "x:30").status, "snoozed");
    assert_eq!(ws.wake_snoozed(t + 60_000).unwrap(), vec!["x:30"]);
    let r = row(&mut ws, "x:30");
    assert_eq!((r.status.as_str(), r.snoozed_until_ms), ("open", None));
    assert!(ws.wake_snoozed(t + 120_000).unwrap().is_empty());
    // A time given with another status is not kept.
    ws.set_status("x:30", ConversationStatus::Pending, Some(t), "alice")
        .unwrap();
    let r = row(&mut ws, "x:30");
    assert_eq!((r.status.as_str(), r.snoozed_until_ms), ("pending", None));
    assert!(ws.wake_snoozed(t + 1).unwrap().is_empty());
    assert!(
        !ws.set_status("x:404", ConversationStatus::Open, None, "alice")
            .unwrap()
    );

    // Takeover.
    assert!(ws.paused_conversations().unwrap().is_empty());
    assert!(ws.set_bot_paused("x:31", true, "alice").unwrap());
    assert!(row(&mut ws, "x:31").bot_paused);
    assert_eq!(ws.paused_conversations().unwrap(), vec!["x:31"]);
    assert!(ws.set_bot_paused("x:31", false, "alice").unwrap());
    assert!(!row(&mut ws, "x:31").bot_paused);
    assert!(ws.paused_conversations().unwrap().is_empty());
    assert!(!ws.set_bot_paused("x:404", true, "alice").unwrap());

    // A human reply: enqueued once, the bot paused, the conversation pending.
    ws.set_status("x:30", ConversationStatus::Open, None, "alice")
        .unwrap();
    let reply = action("human:x:30:1", Some("x:30"), "human", 0);
    let (id, created) = ws.human_reply(&reply).unwrap();
    assert!(created);
    let r = row(&mut ws, "x:30");
    assert_eq!(
        (r.status.as_str(), r.bot_paused, r.priority),
        ("pending", true, 0)
    );
    assert_eq!(ws.paused_conversations().unwrap(), vec!["x:30"]);
    let item = ws.outbox_item(id).unwrap().unwrap();
    assert_eq!(
        (
            item.origin.as_str(),
            item.actor.as_str(),
            item.priority,
            item.status,
            item.text.as_deref()
        ),
        ("human", "alice", 0, OutboxStatus::Pending, Some("Bonjour"))
    );
    // The same click again (a double submit): nothing new, and the status is left as it is.
    ws.set_status("x:30", ConversationStatus::Open, None, "alice")
        .unwrap();
    assert_eq!(ws.human_reply(&reply).unwrap(), (id, false));
    assert_eq!(row(&mut ws, "x:30").status, "open");
    assert_eq!(ws.outbox_of("x:30").unwrap().len(), 1);
    // The author answers: the conversation opens again, still taken over.
    f.write(vec![m("32", "x:30", Outcome::RoutedToHuman).at(60).entry()]);
    ws.set_status("x:30", ConversationStatus::Pending, None, "alice")
        .unwrap();
    f.write(vec![m("33", "x:30", Outcome::RoutedToHuman).at(70).entry()]);
    let r = row(&mut ws, "x:30");
    assert_eq!((r.status.as_str(), r.bot_paused), ("open", true));
}

fn drafts_are_reviewed_once(mut f: Fixture) {
    f.write(vec![
        m("d2", "x:51", Outcome::Drafted)
            .text("deux")
            .at(20)
            .entry(),
        m("d1", "x:50", Outcome::Drafted)
            .text("un")
            .by("u7")
            .reply("Voici votre résultat")
            .campaign("mon-resultat")
            .reasons(vec![Reason::SampledForReview])
            .at(10)
            .entry(),
        m("d3", "x:52", Outcome::Drafted).at(30).entry(),
        m("d4", "x:53", Outcome::Drafted).at(40).entry(),
        m("d5", "x:54", Outcome::Drafted).at(50).entry(),
        m("r1", "x:55", Outcome::RoutedToHuman).at(60).entry(),
    ]);
    let mut ws = f.ws();
    let pending = ws.pending_drafts(&Scope::All, 10).unwrap();
    let ids: Vec<&str> = pending.iter().map(|d| d.external_id.as_str()).collect();
    assert_eq!(ids, vec!["d1", "d2", "d3", "d4", "d5"], "oldest first");
    let d1 = &pending[0];
    assert_eq!(
        (
            d1.platform.as_str(),
            d1.conversation_id.as_str(),
            d1.author.as_deref(),
            d1.text.as_str(),
            d1.draft.as_str(),
            d1.campaign.as_deref()
        ),
        (
            "x",
            "x:50",
            Some("hu7"),
            "un",
            "Voici votre résultat",
            Some("mon-resultat")
        )
    );
    assert_eq!(d1.reasons, vec!["sampled_for_review"]);
    assert_eq!(d1.created_ms, at(10).as_millisecond());
    assert_eq!(ws.pending_drafts(&Scope::All, 2).unwrap().len(), 2);

    // Approve as it is: exactly one outbox action, keyed by the draft.
    let ReviewOutcome::Done {
        outbox_id: Some(out),
    } = ws
        .review_draft("x", "d1", true, None, None, "alice", 1)
        .unwrap()
    else {
        panic!("approving enqueues");
    };
    let item = ws.outbox_item(out).unwrap().unwrap();
    assert_eq!(item.idem_key, "draft:x:d1");
    assert_eq!(
        (
            item.action.as_str(),
            item.platform.as_str(),
            item.conversation_id.as_deref(),
            item.target_id.as_deref(),
            item.text.as_deref(),
            item.campaign.as_deref(),
            item.priority,
            item.actor.as_str(),
            item.status
        ),
        (
            "reply",
            "x",
            Some("x:50"),
            Some("d1"),
            Some("Voici votre résultat"),
            Some("mon-resultat"),
            1,
            "alice",
            OutboxStatus::Pending
        )
    );
    assert_eq!(row(&mut ws, "x:50").drafts, 0);
    // A second review, either way, finds it done.
    for approve in [true, false] {
        assert_eq!(
            ws.review_draft("x", "d1", approve, Some("autre"), Some("late"), "bob", 1)
                .unwrap(),
            ReviewOutcome::AlreadyReviewed {
                verdict: "approved".into(),
                by: "alice".into()
            }
        );
    }
    assert_eq!(
        (f.scalar)("SELECT COUNT(*) FROM outbox WHERE idem_key = 'draft:x:d1'"),
        1
    );
    assert_eq!(row(&mut ws, "x:50").drafts, 0, "not counted down twice");

    // Approve edited: the edited text is sent.
    let ReviewOutcome::Done {
        outbox_id: Some(out2),
    } = ws
        .review_draft("x", "d2", true, Some("Texte corrigé"), None, "bob", 1)
        .unwrap()
    else {
        panic!("approving enqueues");
    };
    assert_eq!(
        ws.outbox_item(out2).unwrap().unwrap().text.as_deref(),
        Some("Texte corrigé")
    );
    // Reject, with reasons: nothing sent; the reasons are counted.
    for (id, reason) in [("d3", "tone"), ("d4", "tone"), ("d5", "wrong")] {
        assert_eq!(
            ws.review_draft("x", id, false, None, Some(reason), "bob", 1)
                .unwrap(),
            ReviewOutcome::Done { outbox_id: None }
        );
    }
    assert_eq!(
        ws.review_draft("x", "d3", true, None, None, "alice", 1)
            .unwrap(),
        ReviewOutcome::AlreadyReviewed {
            verdict: "rejected".into(),
            by: "bob".into()
        },
        "a rejected draft cannot be approved after"
    );
    assert!(ws.outbox_of("x:52").unwrap().is_empty());
    assert_eq!(
        ws.rejection_reasons().unwrap(),
        vec![("tone".to_owned(), 2), ("wrong".to_owned(), 1)]
    );
    let report = ws.review_report().unwrap();
    assert!(
        report
            .iter()
            .any(|r| r.verdict == "rejected" && r.reason == "tone" && r.count == 2),
        "the report counts rejections with their reasons: {report:?}"
    );
    assert!(report.iter().any(|r| r.verdict == "approved"), "{report:?}");
    assert_eq!((f.scalar)("SELECT COUNT(*) FROM outbox"), 2);
    assert!(ws.pending_drafts(&Scope::All, 10).unwrap().is_empty());
    // Not drafts.
    assert_eq!(
        ws.review_draft("x", "r1", true, None, None, "alice", 1)
            .unwrap(),
        ReviewOutcome::NotADraft
    );
    assert_eq!(
        ws.review_draft("x", "nope", true, None, None, "alice", 1)
            .unwrap(),
        ReviewOutcome::NotADraft
    );
    assert_eq!(
        ws.review_draft("mastodon", "d1", true, None, None, "alice", 1)
            .unwrap(),
        ReviewOutcome::NotADraft
    );
}

fn two_reviewers_at_the_same_instant_send_once(mut f: Fixture) {
    const ROUNDS: usize = 6;
    f.write(
        (0..ROUNDS)
            .map(|i| {
                m(&format!("c{i}"), "x:60", Outcome::Drafted)
                    .at(i as i64)
                    .entry()
            })
            .collect(),
    );
    let barrier = Barrier::new(2);
    let (mut w1, mut w2) = (f.ws(), f.ws());
    let review = |ws: &mut Workspace, who: &str| -> Vec<ReviewOutcome> {
        (0..ROUNDS)
            .map(|i| {
                barrier.wait();
                ws.review_draft("x", &format!("c{i}"), true, None, None, who, 1)
                    .unwrap()
            })
            .collect()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| review(&mut w1, "alice"));
        let b = s.spawn(|| review(&mut w2, "bob"));
        (a.join().unwrap(), b.join().unwrap())
    });
    for i in 0..ROUNDS {
        let pair = [&a[i], &b[i]];
        let done = pair
            .iter()
            .filter(|r| matches!(r, ReviewOutcome::Done { outbox_id: Some(_) }))
            .count();
        let already: Vec<&str> = pair
            .iter()
            .filter_map(|r| match r {
                ReviewOutcome::AlreadyReviewed { verdict, by } => {
                    assert_eq!(verdict, "approved");
                    Some(by.as_str())
                }
                _ => None,
            })
            .collect();
        assert_eq!((done, already.len()), (1, 1), "draft c{i}: {pair:?}");
        let winner = if matches!(a[i], ReviewOutcome::Done { .. }) {
            "alice"
        } else {
            "bob"
        };
        assert_eq!(already[0], winner, "the loser is told who won");
        assert_eq!(
            (f.scalar)(&format!(
                "SELECT COUNT(*) FROM outbox WHERE idem_key = 'draft:x:c{i}'"
            )),
            1
        );
    }
    assert_eq!((f.scalar)("SELECT COUNT(*) FROM outbox"), ROUNDS as i64);
    assert_eq!(
        (f.scalar)("SELECT COUNT(*) FROM draft_reviews"),
        ROUNDS as i64
    );
    assert_eq!(row(&mut f.ws(), "x:60").drafts, 0);
}

fn the_outbox_lifecycle(mut f: Fixture) {
    f.write(vec![m("70", "x:70", Outcome::RoutedToHuman).entry()]);
    let mut ws = f.ws();
    assert_eq!(ws.next_due_ms().unwrap(), None);
    let bot = action("bot:x:70", Some("x:70"), "bot", 1);
    let (b, created) = ws.enqueue(&bot).unwrap();
    assert!(created);
    assert_eq!(
        ws.enqueue(&NewAction {
            text: Some("another text, same cause"),
            ..bot.clone()
        })
        .unwrap(),
        (b, false),
        "the same key is enqueued once"
    );
    let (h, _) = ws
        .enqueue(&action("human:x:70:1", Some("x:70"), "human", 0))
        .unwrap();
    assert_eq!((f.scalar)("SELECT COUNT(*) FROM outbox"), 2);
    assert_eq!(
        ws.outbox_item(b).unwrap().unwrap().text.as_deref(),
        Some("Bonjour"),
        "the first version stands"
    );
    let due = ws.next_due_ms().unwrap().expect("something is due");
    let t = now();
    assert!(due <= t);

    // Humans first; claimed items are `sending`, one attempt more; not claimed twice.
    let claimed = ws.claim_due("n1", t, 10).unwrap();
    let order: Vec<(i64, OutboxStatus, i64)> = claimed
        .iter()
        .map(|i| (i.id, i.status, i.attempts))
        .collect();
    assert_eq!(
        order,
        vec![(h, OutboxStatus::Sending, 1), (b, OutboxStatus::Sending, 1)]
    );
    let stored = ws.outbox_item(h).unwrap().unwrap();
    assert_eq!((stored.status, stored.attempts), (OutboxStatus::Sending, 1));
    assert!(ws.claim_due("n1", t, 10).unwrap().is_empty());
    assert_eq!(ws.next_due_ms().unwrap(), None, "nothing pending");

    // A retryable failure: pending again, not before its time.
    let later = t + 3_600_000;
    ws.mark_retry(b, "429 too many requests", later).unwrap();
    let stored = ws.outbox_item(b).unwrap().unwrap();
    assert_eq!(
        (
            stored.status,
            stored.last_error.as_deref(),
            stored.next_attempt_ms
        ),
        (OutboxStatus::Pending, Some("429 too many requests"), later)
    );
    assert_eq!(ws.next_due_ms().unwrap(), Some(later));
    assert!(
        ws.claim_due("n1", later - 1, 10).unwrap().is_empty(),
        "not yet due"
    );
    let again = ws.claim_due("n1", later, 10).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id, again[0].attempts), (b, 2));

    // Dead letters, and back.
    ws.mark_dead(b, "403 forbidden").unwrap();
    let stored = ws.outbox_item(b).unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.last_error.as_deref()),
        (OutboxStatus::Dead, Some("403 forbidden"))
    );
    let dead: Vec<i64> = ws
        .outbox_with(OutboxStatus::Dead, 10)
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(dead, vec![b]);
    assert!(
        ws.claim_due("n1", later + 1, 10).unwrap().is_empty(),
        "the dead are not sent"
    );
    assert!(ws.retry_dead(b, "alice").unwrap());
    let stored = ws.outbox_item(b).unwrap().unwrap();
    assert_eq!((stored.status, stored.attempts), (OutboxStatus::Pending, 0));
    assert!(
        !ws.retry_dead(b, "alice").unwrap(),
        "only the dead are retried"
    );
    assert!(!ws.retry_dead(h, "alice").unwrap());

    // After a crash, what was being sent is pending again, with its key.
    assert_eq!(ws.claim_due("n1", now(), 10).unwrap().len(), 1);
    assert_eq!(ws.outbox_with(OutboxStatus::Sending, 10).unwrap().len(), 2);
    assert_eq!(ws.recover_sending("n1").unwrap(), 2);
    assert!(
        ws.outbox_with(OutboxStatus::Sending, 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(ws.outbox_with(OutboxStatus::Pending, 10).unwrap().len(), 2);
    assert_eq!(ws.recover_sending("n1").unwrap(), 0);

    // Sent: the conversation learns its first and last answers.
    let before = now();
    let claimed = ws.claim_due("n1", before, 1).unwrap();
    assert_eq!(claimed[0].id, h, "still humans first");
    ws.mark_sent(h, Some("remote-1")).unwrap();
    let stored = ws.outbox_item(h).unwrap().unwrap();
    assert_eq!(
        (
            stored.status,
            stored.remote_id.as_deref(),
            stored.last_error
        ),
        (OutboxStatus::Sent, Some("remote-1"), None)
    );
    let sent_at = stored.sent_ms.expect("sent_ms");
    assert!(sent_at >= before);
    let r = row(&mut ws, "x:70");
    assert_eq!(
        (r.first_outbound_ms, r.last_outbound_ms),
        (Some(sent_at), Some(sent_at))
    );
    std::thread::sleep(std::time::Duration::from_millis(5));
    ws.claim_due("n1", now(), 1).unwrap();
    ws.mark_sent(b, None).unwrap();
    let second = ws.outbox_item(b).unwrap().unwrap().sent_ms.unwrap();
    assert!(second > sent_at);
    // How long the bot's answer waited, queued to sent; none of the humans' since it.
    let bot_item = ws.outbox_item(b).unwrap().unwrap();
    assert_eq!(
        ws.send_delays("bot", 0).unwrap(),
        [second - bot_item.created_ms]
    );
    assert!(ws.send_delays("human", second + 1).unwrap().is_empty());
    let r = row(&mut ws, "x:70");
    assert_eq!(
        (r.first_outbound_ms, r.last_outbound_ms),
        (Some(sent_at), Some(second)),
        "the first answer stays the first"
    );
    let c = f
        .store
        .conversation(&ConversationId::from_stored("x:70"))
        .unwrap()
        .unwrap();
    assert_eq!(c.last_outbound_at.map(|t| t.as_millisecond()), Some(second));
    let sent: Vec<i64> = ws
        .outbox_with(OutboxStatus::Sent, 10)
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(sent, vec![h.max(b), h.min(b)], "newest first");
    assert_eq!(ws.next_due_ms().unwrap(), None);
    // An action outside any conversation is sent all the same.
    let (p, _) = ws.enqueue(&action("post:1", None, "human", 0)).unwrap();
    assert_eq!(ws.claim_due("n1", now(), 10).unwrap()[0].id, p);
    ws.mark_sent(p, Some("remote-3")).unwrap();
    assert_eq!(
        ws.outbox_item(p).unwrap().unwrap().status,
        OutboxStatus::Sent
    );
}

/// Two `serve` processes share the store: one starting does not take back what the other is
/// sending (it would send it a second time); what a node that stopped for good was sending is
/// taken again when its claim runs out; a node restarting takes back its own at once.
fn a_starting_sender_leaves_another_nodes_sends_alone(f: Fixture) {
    let mut ws = f.ws();
    let (a, _) = ws.enqueue(&action("bot:a", None, "bot", 1)).unwrap();
    let (b, _) = ws.enqueue(&action("bot:b", None, "bot", 1)).unwrap();
    let t = now();
    assert_eq!(ws.claim_due("node-a", t, 1).unwrap()[0].id, a);
    assert_eq!(ws.claim_due("node-b", t, 1).unwrap()[0].id, b);
    // node-b (re)starts: only its own send goes back to pending.
    assert_eq!(ws.recover_sending("node-b").unwrap(), 1);
    assert_eq!(
        ws.outbox_item(a).unwrap().unwrap().status,
        OutboxStatus::Sending
    );
    assert_eq!(
        ws.outbox_item(b).unwrap().unwrap().status,
        OutboxStatus::Pending
    );
    // node-a's claim holds while it may still be sending...
    let claim_ends = t + palabre_store::workspace::SENDING_CLAIM_MS;
    assert_eq!(ws.reclaim_expired(claim_ends - 1).unwrap(), 0);
    assert_eq!(
        ws.outbox_item(a).unwrap().unwrap().status,
        OutboxStatus::Sending
    );
    // ...and runs out if node-a never comes back: any sender takes it, with its key.
    assert_eq!(ws.reclaim_expired(claim_ends).unwrap(), 1);
    let again = ws.claim_due("node-b", claim_ends, 10).unwrap();
    let ids: HashSet<i64> = again.iter().map(|i| i.id).collect();
    assert_eq!(ids, HashSet::from([a, b]));
    assert_eq!(again.iter().find(|i| i.id == a).unwrap().attempts, 2);
}

fn two_senders_claim_each_action_once(f: Fixture) {
    const ITEMS: usize = 40;
    let mut ws = f.ws();
    let (mut w1, mut w2) = (f.ws(), f.ws());
    for round in 0..3 {
        let keys: Vec<String> = (0..ITEMS).map(|i| format!("bot:r{round}:{i}")).collect();
        for key in &keys {
            ws.enqueue(&action(key, None, "bot", 1)).unwrap();
        }
        let t = now();
        let barrier = Barrier::new(2);
        let claim = |w: &mut Workspace| -> Vec<i64> {
            barrier.wait();
            w.claim_due("n1", t, 1000)
                .unwrap()
                .iter()
                .map(|i| i.id)
                .collect()
        };
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| claim(&mut w1));
            let b = s.spawn(|| claim(&mut w2));
            (a.join().unwrap(), b.join().unwrap())
        });
        let (sa, sb): (HashSet<i64>, HashSet<i64>) =
            (a.iter().copied().collect(), b.iter().copied().collect());
        let twice: Vec<&i64> = sa.intersection(&sb).collect();
        assert!(
            twice.is_empty(),
            "round {round}: {} actions were claimed by both senders (sent twice)",
            twice.len()
        );
        assert_eq!(
            sa.len() + sb.len(),
            ITEMS,
            "round {round}: every action claimed"
        );
        assert_eq!(
            (f.scalar)("SELECT COUNT(*) FROM outbox WHERE status = 'sending' AND attempts = 1"),
            ((round + 1) * ITEMS) as i64
        );
    }
}

fn the_brake_holds_the_bots_sends_and_is_audited(f: Fixture) {
    let mut ws = f.ws();
    assert_eq!(ws.brake().unwrap(), Brake::default(), "never switched on");
    ws.enqueue(&action("bot:b1", None, "bot", 1)).unwrap();
    ws.enqueue(&action("human:b2", None, "human", 0)).unwrap();
    let on = ws
        .set_brake(true, Some("  scène effondrée "), "sarah", &[])
        .unwrap();
    let BrakeChange::Changed(brake) = on else {
        panic!("{on:?}")
    };
    assert!(brake.engaged);
    assert_eq!(brake.reason.as_deref(), Some("scène effondrée"));
    // Twice: nothing changes, nothing more is audited.
    assert!(matches!(
        ws.set_brake(true, Some("encore"), "bob", &[]).unwrap(),
        BrakeChange::Already(b) if b.actor == "sarah"
    ));
    // Held: the person's reply goes, the bot's waits, and the sender does not wake for it.
    let t = now();
    let claimed = claimed_keys(&mut ws, t);
    assert_eq!(claimed, ["human:b2"]);
    assert_eq!(ws.next_due_ms().unwrap(), None, "nothing sendable waits");
    // Another connection (another node, the CLI) sees it.
    assert!(f.ws().brake().unwrap().engaged);
    // Released: the bot's action goes, and the reason it was turned on for is kept.
    let off = ws.set_brake(false, None, "sarah", &[]).unwrap();
    assert!(
        matches!(&off, BrakeChange::Changed(b) if !b.engaged && b.reason.as_deref() == Some("scène effondrée")),
        "{off:?}"
    );
    let claimed = claimed_keys(&mut ws, now());
    assert_eq!(claimed, ["bot:b1"]);
    let audit: Vec<(String, String, Option<String>)> = ws
        .audit_of("brake")
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action, e.detail))
        .collect();
    assert_eq!(
        audit,
        [
            (
                "sarah".to_owned(),
                "brake_on".to_owned(),
                Some("scène effondrée".to_owned())
            ),
            ("sarah".to_owned(), "brake_off".to_owned(), None),
        ]
    );
}

fn new_post<'a>(id: &'a str, text: &'a str, due_ms: Option<i64>) -> NewPost<'a> {
    NewPost {
        id: Some(id),
        channel: "x:1000",
        platform: "x",
        text,
        lang: "fr",
        due_ms,
        tz: "Europe/Paris",
        author: "camille",
        approvals_needed: 2,
        submit: false,
    }
}

fn post_statuses(ws: &mut Workspace) -> Vec<(String, PostStatus)> {
    let mut all: Vec<_> = ws
        .posts(None, None, None)
        .unwrap()
        .into_iter()
        .map(|p| (p.id, p.status))
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

fn scheduled_posts_are_approved_published_once_and_held_by_the_brake(f: Fixture) {
    let mut ws = f.ws();
    let t = now();
    let soon = t + 60_000;
    let post = ws
        .create_post(&new_post(
            "show",
            "Vos plus belles photos du concert !",
            Some(soon),
        ))
        .unwrap()
        .unwrap();
    assert_eq!(post.status, PostStatus::Draft);
    // The same text on the same channel at the same time is refused; an id taken too.
    assert_eq!(
        ws.create_post(&new_post(
            "twin",
            "Vos plus belles photos du concert !",
            Some(soon)
        ))
        .unwrap(),
        Err(PostRefusal::Twice("show".into()))
    );
    assert_eq!(
        ws.create_post(&new_post("show", "autre", None)).unwrap(),
        Err(PostRefusal::Exists("show".into()))
    );
    // Not approved before it is submitted; then not by its author; then by two managers.
    assert!(matches!(
        ws.approve_post("show", "sarah", false).unwrap(),
        Err(PostRefusal::State {
            status: "draft",
            ..
        })
    ));
    ws.submit_post("show", "camille").unwrap().unwrap();
    assert_eq!(
        ws.approve_post("show", "camille", false).unwrap(),
        Err(PostRefusal::OwnPost)
    );
    let one = ws.approve_post("show", "sarah", false).unwrap().unwrap();
    assert_eq!(
        (one.status, one.approvals.clone()),
        (PostStatus::Submitted, vec!["sarah".to_owned()])
    );
    assert_eq!(
        ws.approve_post("show", "sarah", false).unwrap(),
        Err(PostRefusal::AlreadyApproved("show".into()))
    );
    let two = ws.approve_post("show", "bob", false).unwrap().unwrap();
    assert_eq!(two.status, PostStatus::Scheduled);
    // Moving it keeps the approval; a new text sends it back for approval.
    let moved = ws
        .edit_post(
            "show",
            &PostEdit {
                due_ms: Some(Some(t + 1_000)),
                ..Default::default()
            },
            "camille",
        )
        .unwrap()
        .unwrap();
    assert_eq!((moved.status, moved.version), (PostStatus::Scheduled, 1));
    let edited = ws
        .edit_post(
            "show",
            &PostEdit {
                text: Some("Vos photos du concert !"),
                ..Default::default()
            },
            "camille",
        )
        .unwrap()
        .unwrap();
    assert_eq!((edited.status, edited.version), (PostStatus::Submitted, 2));
    assert!(
        edited.approvals.is_empty(),
        "approvals were of the old text"
    );
    ws.approve_post("show", "sarah", false).unwrap().unwrap();
    assert_eq!(
        ws.approve_post("show", "bob", false)
            .unwrap()
            .unwrap()
            .status,
        PostStatus::Scheduled
    );
    // Not due yet: nothing happens.
    assert!(ws.publish_due(t, None).unwrap().is_empty());
    assert_eq!(ws.next_post_due_ms().unwrap(), Some(t + 1_000));
    // Due: handed to the outbox once, however often the round runs.
    let done = ws.publish_due(t + 1_000, None).unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].status, PostStatus::Publishing);
    assert!(ws.publish_due(t + 2_000, None).unwrap().is_empty());
    let claimed = ws.claim_due("n1", now() + 2_000, 10).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].action, "post");
    assert_eq!(claimed[0].channel.as_deref(), Some("x:1000"));
    assert_eq!(claimed[0].text.as_deref(), Some("Vos photos du concert !"));
    assert_eq!(claimed[0].idem_key, format!("post:show:v2:{}", t + 1_000));
    ws.mark_sent(claimed[0].id, Some("1790")).unwrap();
    let published = ws.post("show").unwrap().unwrap();
    assert_eq!(published.status, PostStatus::Published);
    assert_eq!(published.remote_id.as_deref(), Some("1790"));
    assert!(matches!(
        ws.edit_post(
            "show",
            &PostEdit {
                text: Some("trop tard"),
                ..Default::default()
            },
            "camille"
        )
        .unwrap(),
        Err(PostRefusal::State {
            status: "published",
            ..
        })
    ));

    // The brake: a due post is held, not published; one in the outbox and not tried yet is
    // taken back; released by hand only, and only with the brake off.
    let mut one_approver = new_post("cheer", "Ce soir, on fête nos 10 ans !", Some(t + 1_000));
    one_approver.approvals_needed = 1;
    one_approver.submit = true;
    ws.create_post(&one_approver).unwrap().unwrap();
    ws.approve_post("cheer", "sarah", false).unwrap().unwrap();
    let mut queued = new_post(
        "queued",
        "Jeu concours : gagnez vos places",
        Some(t + 1_000),
    );
    queued.approvals_needed = 1;
    queued.submit = true;
    ws.create_post(&queued).unwrap().unwrap();
    ws.approve_post("queued", "sarah", false).unwrap().unwrap();
    // `queued` reaches the outbox first; `cheer` is moved later.
    ws.edit_post(
        "cheer",
        &PostEdit {
            due_ms: Some(Some(t + 5_000)),
            ..Default::default()
        },
        "sarah",
    )
    .unwrap()
    .unwrap();
    ws.publish_due(t + 1_000, None).unwrap();
    assert_eq!(
        ws.post("queued").unwrap().unwrap().status,
        PostStatus::Publishing
    );
    ws.set_brake(true, Some("scène effondrée"), "sarah", &[])
        .unwrap();
    let held = ws.post("queued").unwrap().unwrap();
    assert_eq!(
        (held.status, held.note.as_deref()),
        (PostStatus::Held, Some("crisis_brake"))
    );
    assert!(
        ws.claim_due("n1", now() + 10_000, 10).unwrap().is_empty(),
        "nothing goes out"
    );
    let due = ws.publish_due(t + 5_000, None).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].status, due[0].note.as_deref()),
        (PostStatus::Held, Some("crisis_brake"))
    );
    assert_eq!(
        ws.release_post("cheer", "sarah").unwrap(),
        Err(PostRefusal::BrakeOn)
    );
    ws.set_brake(false, None, "sarah", &[]).unwrap();
    // Released: never automatically (still held after the brake is off).
    assert!(ws.publish_due(now() + 10_000, None).unwrap().is_empty());
    assert_eq!(ws.post("cheer").unwrap().unwrap().status, PostStatus::Held);
    let released = ws.release_post("cheer", "sarah").unwrap().unwrap();
    assert_eq!(released.status, PostStatus::Scheduled);
    let sent = ws.publish_due(now() + 1, None).unwrap();
    assert_eq!(sent[0].status, PostStatus::Publishing);
    // A crisis alert holds like the brake, with its own reason.
    ws.release_post("queued", "sarah").unwrap().unwrap();
    let crisis = ws
        .publish_due(now() + 1, Some(HoldReason::CrisisSuspected))
        .unwrap();
    assert_eq!(crisis[0].note.as_deref(), Some("crisis_suspected"));
    // What failed says why.
    let claimed = ws.claim_due("n1", now() + 10_000, 10).unwrap();
    assert_eq!(claimed.len(), 1, "only `cheer` is in the outbox");
    ws.mark_dead(claimed[0].id, "403: duplicate content")
        .unwrap();
    let failed = ws.post("cheer").unwrap().unwrap();
    assert_eq!(
        (failed.status, failed.note.as_deref()),
        (PostStatus::Failed, Some("403: duplicate content"))
    );
    // A rejection keeps its reason; a cancelled post is done.
    ws.create_post(&new_post("later", "À bientôt", None))
        .unwrap()
        .unwrap();
    ws.submit_post("later", "camille").unwrap().unwrap();
    let rejected = ws
        .reject_post("later", "sarah", "pas ce ton-là")
        .unwrap()
        .unwrap();
    assert_eq!(rejected.note.as_deref(), Some("pas ce ton-là"));
    ws.cancel_post("later", "camille").unwrap().unwrap();
    assert!(ws.cancel_post("later", "camille").unwrap().is_err());
    assert_eq!(
        post_statuses(&mut ws),
        [
            ("cheer".to_owned(), PostStatus::Failed),
            ("later".to_owned(), PostStatus::Cancelled),
            ("queued".to_owned(), PostStatus::Held),
            ("show".to_owned(), PostStatus::Published),
        ]
    );
    assert_eq!(
        ws.posts(None, None, Some(PostStatus::Held)).unwrap().len(),
        1
    );
    let audit: Vec<String> = ws
        .audit_of("post:cheer")
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        audit,
        [
            "post_created",
            "post_approved",
            "post_edited",
            "post_held",
            "post_released"
        ]
    );
}

fn the_brake_on_chosen_channels_holds_only_theirs(mut f: Fixture) {
    f.write(vec![
        m("1", "x:1", Outcome::RoutedToHuman)
            .channel("x:1000")
            .entry(),
        m("2", "x:2", Outcome::RoutedToHuman)
            .channel("x:2000")
            .entry(),
        // Its channel is not known: held when any channel of its platform is.
        m("3", "x:3", Outcome::RoutedToHuman).entry(),
    ]);
    let mut ws = f.ws();
    for (key, conversation) in [("bot:1", "x:1"), ("bot:2", "x:2"), ("bot:3", "x:3")] {
        ws.enqueue(&action(key, Some(conversation), "bot", 1))
            .unwrap();
    }
    ws.enqueue(&action("human:1", Some("x:1"), "human", 0))
        .unwrap();
    let on = ws
        .set_brake(true, Some("accident"), "sarah", &["x:1000".to_owned()])
        .unwrap();
    let BrakeChange::Changed(brake) = on else {
        panic!("{on:?}")
    };
    assert_eq!(brake.channels, ["x:1000"]);
    assert!(brake.holds(Some("x:1000"), "x") && !brake.holds(Some("x:2000"), "x"));
    assert!(brake.holds(None, "x") && !brake.holds(None, "mastodon"));
    // The same again: nothing; other channels: changed.
    assert!(matches!(
        ws.set_brake(true, Some("accident"), "sarah", &["x:1000".to_owned()])
            .unwrap(),
        BrakeChange::Already(_)
    ));
    let claimed = claimed_keys(&mut ws, now());
    assert_eq!(claimed, ["human:1", "bot:2"]);
    // A post on the braked channel is held; one on the other goes.
    let mut here = new_post("here", "Ici", Some(now() + 1_000));
    here.approvals_needed = 1;
    here.submit = true;
    let mut there = new_post("there", "Là", Some(now() + 1_000));
    there.approvals_needed = 1;
    there.submit = true;
    there.channel = "x:2000";
    for p in [&here, &there] {
        ws.create_post(p).unwrap().unwrap();
        ws.approve_post(p.id.unwrap(), "sarah", false)
            .unwrap()
            .unwrap();
    }
    let due = ws.publish_due(now() + 2_000, None).unwrap();
    let statuses: Vec<(&str, PostStatus)> = due.iter().map(|p| (p.id.as_str(), p.status)).collect();
    assert_eq!(
        statuses,
        [
            ("here", PostStatus::Held),
            ("there", PostStatus::Publishing)
        ]
    );
    assert_eq!(
        ws.release_post("here", "sarah").unwrap(),
        Err(PostRefusal::BrakeOn)
    );
    // Every channel now: the rest is held too.
    let all = ws.set_brake(true, Some("partout"), "sarah", &[]).unwrap();
    assert!(matches!(all, BrakeChange::Changed(ref b) if b.channels.is_empty()));
    assert!(ws.claim_due("n1", now(), 10).unwrap().is_empty());
    ws.set_brake(false, None, "sarah", &[]).unwrap();
    let claimed = claimed_keys(&mut ws, now());
    assert_eq!(claimed, ["bot:1", "bot:3"]);
    let audit: Vec<Option<String>> = ws
        .audit_of("brake")
        .unwrap()
        .into_iter()
        .map(|e| e.detail)
        .collect();
    assert_eq!(
        audit,
        [
            Some("accident [x:1000]".to_owned()),
            Some("partout".to_owned()),
            None
        ]
    );
}

fn interactions_are_counted_by_hour_for_the_best_time_to_post(mut f: Fixture) {
    let hour = |secs: i64| at(secs).as_second() / 3600;
    f.write(vec![
        m("i1", "x:i1", Outcome::RoutedToHuman).at(0).entry(),
        m("i2", "x:i2", Outcome::BotReplied).at(60).entry(),
        m("i3", "x:i3", Outcome::Drafted).at(3600).entry(),
        // A repost of the brand's post counts; an unaddressed post and the brand's own do not.
        m("i4", "x:i4", Outcome::Ignored)
            .reasons(vec![Reason::EchoOfOwnPost])
            .at(3700)
            .entry(),
        m("i5", "x:i5", Outcome::Ignored).at(3800).entry(),
        m("i6", "x:i6", Outcome::Ignored)
            .reasons(vec![Reason::OwnMessage])
            .at(3900)
            .entry(),
        // Another platform, and before the period.
        m("i7", "mastodon:i7", Outcome::RoutedToHuman)
            .on(Platform::Mastodon)
            .at(0)
            .entry(),
        m("i8", "x:i8", Outcome::RoutedToHuman).at(-7200).entry(),
    ]);
    let mut ws = f.ws();
    let mut counts = ws
        .interactions_by_hour("x", at(0).as_millisecond())
        .unwrap();
    counts.sort();
    assert_eq!(counts, [(hour(0), 2), (hour(3600), 2)]);
    assert_eq!(
        ws.interactions_by_hour("mastodon", at(-1).as_millisecond())
            .unwrap(),
        [(hour(0), 1)]
    );
    // Written again: counted once.
    f.write(vec![m("i1", "x:i1", Outcome::RoutedToHuman).at(0).entry()]);
    let mut again = ws
        .interactions_by_hour("x", at(0).as_millisecond())
        .unwrap();
    again.sort();
    assert_eq!(again, counts);
}

fn the_audit_log_records_human_work(mut f: Fixture) {
    f.write(vec![
        m("90", "x:90", Outcome::RoutedToHuman).entry(),
        m("91", "x:90", Outcome::Drafted).at(1).entry(),
        m("92", "x:90", Outcome::Drafted).at(2).entry(),
    ]);
    let mut ws = f.ws();
    ws.set_team("care", &strings(&["support"]), &[]).unwrap();
    ws.create_user("alice", "A", "h", Role::Agent, &strings(&["care"]))
        .unwrap();
    ws.assign("x:90", Some("bob"), "mona").unwrap();
    ws.assign("x:90", None, "mona").unwrap();
    assert_eq!(
        ws.auto_assign("x:90", "support").unwrap().as_deref(),
        Some("alice")
    );
    ws.set_status("x:90", ConversationStatus::Snoozed, Some(5_000), "alice")
        .unwrap();
    ws.set_bot_paused("x:90", true, "alice").unwrap();
    ws.set_bot_paused("x:90", false, "alice").unwrap();
    ws.add_note("x:90", "alice", "secret note text").unwrap();
    ws.human_reply(&action("human:x:90:1", Some("x:90"), "human", 0))
        .unwrap();
    ws.review_draft("x", "91", true, None, None, "alice", 1)
        .unwrap();
    ws.review_draft("x", "92", false, None, Some("tone"), "bob", 1)
        .unwrap();
    ws.audit("root", "user_created", Some("x:90"), Some(r#"{"k":1}"#))
        .unwrap();

    let log = ws.audit_of("x:90").unwrap();
    let got: Vec<(&str, &str, Option<&str>)> = log
        .iter()
        .map(|a| (a.actor.as_str(), a.action.as_str(), a.detail.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("mona", "conversation_assigned", Some("bob")),
            ("mona", "conversation_assigned", Some("")),
            ("palabre", "conversation_auto_assigned", Some("alice")),
            ("alice", "conversation_status", Some("snoozed until 5000")),
            ("alice", "bot_paused", None),
            ("alice", "bot_released", None),
            ("alice", "note_added", None),
            ("alice", "human_replied", None),
            ("root", "user_created", Some(r#"{"k":1}"#)),
        ],
        "oldest first; a note's text stays out of the log"
    );
    assert!(log.iter().all(|a| a.target.as_deref() == Some("x:90")));
    assert!(log.windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(actions_of(&mut ws, "x:91"), vec!["draft_approved"]);
    let rejected = ws.audit_of("x:92").unwrap();
    assert_eq!(
        (
            rejected[0].actor.as_str(),
            rejected[0].action.as_str(),
            rejected[0].detail.as_deref()
        ),
        ("bob", "draft_rejected", Some("tone"))
    );
    // The outbox's dead letters and their retries.
    let (id, _) = ws.enqueue(&action("bot:dead", None, "bot", 1)).unwrap();
    ws.mark_dead(id, "410 gone").unwrap();
    ws.retry_dead(id, "alice").unwrap();
    let log = ws.audit_of(&format!("outbox:{id}")).unwrap();
    let got: Vec<(&str, &str, Option<&str>)> = log
        .iter()
        .map(|a| (a.actor.as_str(), a.action.as_str(), a.detail.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("palabre", "outbox_dead", Some("410 gone")),
            ("alice", "outbox_retried", None)
        ]
    );
    assert!(ws.audit_of("x:404").unwrap().is_empty());
    // The same log the store reads, and still append-only.
    assert_eq!(f.store.audit_log(100).unwrap().len(), 13);
}

fn writing_the_same_events_again_leaves_the_inbox_alone(mut f: Fixture) {
    let batch = || {
        vec![
            m("60", "x:60", Outcome::Drafted).entry(),
            m("61", "x:61", Outcome::RoutedToHuman).entry(),
        ]
    };
    f.write(batch());
    let mut ws = f.ws();
    ws.set_status("x:61", ConversationStatus::Resolved, None, "alice")
        .unwrap();
    // A replay of the same recorded events (invariant 5: it changes nothing).
    let summary = f.store.write(&batch()).unwrap();
    assert_eq!((summary.inserted, summary.already_stored), (0, 2));
    assert_eq!(row(&mut ws, "x:60").drafts, 1, "one draft, counted once");
    assert_eq!(
        row(&mut ws, "x:61").status,
        "resolved",
        "an old message does not re-open what a human resolved"
    );
    assert_eq!(
        ws.review_draft("x", "60", false, None, Some("tone"), "alice", 1)
            .unwrap(),
        ReviewOutcome::Done { outbox_id: None }
    );
    f.write(batch());
    assert_eq!(
        row(&mut ws, "x:60").drafts,
        0,
        "a reviewed draft stays reviewed"
    );
}

fn text_search_folds_the_case_of_accented_letters(mut f: Fixture) {
    f.write(vec![
        m("1", "x:1", Outcome::RoutedToHuman)
            .text("ÉNORME RETARD À LYON")
            .entry(),
    ]);
    let mut ws = f.ws();
    let filter = InboxFilter {
        text: Some("énorme retard à".into()),
        ..all()
    };
    assert_eq!(find(&mut ws, &filter, &Scope::All), vec!["x:1"]);
}

/// Search finds any substring of what people wrote to the brand, whether the index has caught
/// up with it or not (SQLite indexes in the background); what the user types is never syntax.
fn text_search_reads_the_index_and_what_it_has_not_reached(mut f: Fixture) {
    f.write(vec![
        m("1", "x:1", Outcome::RoutedToHuman)
            .text("Remboursement du billet 100% refusé")
            .entry(),
        m("2", "x:2", Outcome::RoutedToHuman)
            .text("le \"Pass Liberté\" ne passe pas_encore")
            .at(1)
            .entry(),
        // Not addressed to the brand: never found.
        m("3", "x:3", Outcome::Ignored)
            .text("remboursement chez un autre")
            .at(2)
            .entry(),
    ]);
    let mut ws = f.ws();
    let expectations = [
        ("rembours", vec!["x:1"]),
        ("BILLET 100%", vec!["x:1"]),
        ("100%", vec!["x:1"]),
        ("%", vec!["x:1"]),
        ("\"pass libert", vec!["x:2"]),
        ("pas_", vec!["x:2"]),
        ("e_p", vec![]),
        ("du", vec!["x:1"]),
        ("autre", vec![]),
        ("introuvable", vec![]),
        ("\" OR \"", vec![]),
    ];
    let check = |ws: &mut Workspace, when: &str| {
        for (words, expected) in &expectations {
            assert_eq!(&search(ws, words), expected, "{words:?} {when}");
        }
    };
    check(&mut ws, "before indexing");
    // Index part of it, then all of it: the answers do not change.
    ws.index_search(1).unwrap();
    check(&mut ws, "half indexed");
    while ws.index_search(1000).unwrap() > 0 {}
    check(&mut ws, "indexed");
    // New messages past the cursor are found before the indexer reaches them.
    f.write(vec![
        m("4", "x:4", Outcome::RoutedToHuman)
            .text("un remboursement de plus")
            .at(3)
            .entry(),
    ]);
    assert_eq!(search(&mut ws, "rembours"), vec!["x:1", "x:4"]);
    while ws.index_search(1000).unwrap() > 0 {}
    assert_eq!(search(&mut ws, "rembours"), vec!["x:1", "x:4"]);

    // Words in thousands of messages are looked for in the inbox's order (a page fills at
    // once), with the same answers: the newest conversations where they were written.
    let common: Vec<Entry> = (10..2510)
        .map(|i| {
            m(&i.to_string(), &format!("x:{i}"), Outcome::RoutedToHuman)
                .text(&format!("encore un retard, le {i}e"))
                .at(i)
                .entry()
        })
        .collect();
    f.write(common);
    while ws.index_search(1000).unwrap() > 0 {}
    let newest = |ws: &mut Workspace, words: &str| -> Vec<String> {
        let filter = InboxFilter {
            text: Some(words.into()),
            status: None,
            limit: 3,
            ..all()
        };
        ws.inbox(&filter, &Scope::All)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    assert_eq!(
        newest(&mut ws, "RETARD"),
        vec!["x:2509", "x:2508", "x:2507"]
    );
    assert_eq!(newest(&mut ws, "le 2508e"), vec!["x:2508"]);
    assert_eq!(newest(&mut ws, "rembours"), vec!["x:4", "x:1"]);
}

fn the_moderation_queue_lists_hidden_and_toxic_messages_newest_first(mut f: Fixture) {
    f.write(vec![
        m("1", "x:1", Outcome::Hidden)
            .text("espèce d'idiot")
            .queue(Some("moderation"))
            .triage(mood(SentimentLabel::Negative, Emotion::Anger, true))
            .entry(),
        m("2", "x:2", Outcome::RoutedToHuman)
            .text("vous êtes nuls")
            .triage(mood(SentimentLabel::Negative, Emotion::Anger, true))
            .at(10)
            .entry(),
        m("3", "x:3", Outcome::RoutedToHuman)
            .text("merci beaucoup")
            .triage(mood(SentimentLabel::Positive, Emotion::Joy, false))
            .at(20)
            .entry(),
    ]);
    let mut ws = f.ws();
    let all = ws.moderation_queue(&Scope::All, 50).unwrap();
    let ids: Vec<&str> = all.iter().map(|i| i.external_id.as_str()).collect();
    assert_eq!(ids, ["2", "1"], "toxic or hidden, newest first");
    assert_eq!(all[1].outcome, "hidden");
    assert_eq!(all[1].author_handle.as_deref(), Some("hu1"));
    assert_eq!(all[0].conversation_id, "x:2");
    // An agent sees only their queues.
    let scoped = ws
        .moderation_queue(&queues(strings(&["moderation"])), 50)
        .unwrap();
    assert_eq!(scoped.len(), 1);
    assert_eq!(scoped[0].external_id, "1");
    assert_eq!(ws.moderation_queue(&Scope::All, 1).unwrap().len(), 1);
}

fn connector_checkpoints_health_and_the_webhook_queue(f: Fixture) {
    use palabre_store::workspace::ConnectorStatus;
    let mut ws = f.ws();
    assert_eq!(ws.checkpoint("brand/stream").unwrap(), None);
    ws.save_checkpoint("brand/stream", "mastodon", "110")
        .unwrap();
    ws.save_checkpoint("brand/stream", "mastodon", "111")
        .unwrap();
    assert_eq!(
        ws.checkpoint("brand/stream").unwrap().as_deref(),
        Some("111")
    );

    ws.set_connector_status(
        "brand/stream",
        "mastodon",
        ConnectorStatus::AuthFailed,
        Some("401"),
    )
    .unwrap();
    let first = ws.connector_states().unwrap().remove(0);
    assert_eq!(first.status, ConnectorStatus::AuthFailed);
    assert_eq!(
        first.cursor.as_deref(),
        Some("111"),
        "health keeps the checkpoint"
    );
    std::thread::sleep(std::time::Duration::from_millis(5));
    // The same status again keeps its start (how long it has been failing), and is audited once.
    ws.set_connector_status(
        "brand/stream",
        "mastodon",
        ConnectorStatus::AuthFailed,
        Some("401"),
    )
    .unwrap();
    let again = ws.connector_states().unwrap().remove(0);
    assert_eq!(again.since_ms, first.since_ms);
    ws.set_connector_status("brand/stream", "mastodon", ConnectorStatus::Ok, None)
        .unwrap();
    let ok = ws.connector_states().unwrap().remove(0);
    assert_eq!((ok.status, ok.error), (ConnectorStatus::Ok, None));
    let audit: Vec<String> = ws
        .audit_of("connector:brand/stream")
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(audit, ["connector_auth_failed", "connector_ok"]);

    // The same delivery twice is kept once; deliveries come back in order, then are finished.
    let (a, new_a) = ws.queue_webhook("messenger", "page", "{\"a\":1}").unwrap();
    let (again, new_again) = ws.queue_webhook("messenger", "page", "{\"a\":1}").unwrap();
    let (b, _) = ws.queue_webhook("messenger", "page", "{\"b\":2}").unwrap();
    assert!(new_a && !new_again);
    assert_eq!(a, again);
    assert_eq!(ws.webhook_backlog().unwrap(), 2);
    let pending: Vec<i64> = ws
        .pending_webhooks(0, 10)
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(pending, [a, b]);
    // Past a delivery already taken (the ingest thread's cursor): only the later ones.
    let past_a: Vec<i64> = ws
        .pending_webhooks(a, 10)
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(past_a, [b]);
    ws.finish_webhook(a, None).unwrap();
    ws.finish_webhook(b, Some("store down")).unwrap();
    assert_eq!(ws.webhook_backlog().unwrap(), 0);
    assert!(ws.pending_webhooks(0, 10).unwrap().is_empty());
}

/// SQLite files an author's messages in a small recent table and merges it into the big one
/// every so often (migration 5): the history reads both, before and after a merge, and
/// re-writing the same events files nothing twice.
#[test]
fn the_author_history_reads_both_levels_across_merges() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("palabre.db");
    let mut store = SqliteStore::open(&path).unwrap().with_history_merge_at(3);
    let ws = || Workspace::open(path.to_str().unwrap()).unwrap();
    let count = |table: &str| -> i64 {
        rusqlite::Connection::open(&path)
            .unwrap()
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    let history = |ws: &mut Workspace, id: &str| -> Vec<String> {
        let v = ws.conversation_view(id, &Scope::All).unwrap().unwrap();
        v.author_history.iter().map(|r| r.id.clone()).collect()
    };
    // Two messages addressed to the brand and one ignored: nothing merged yet.
    let first = vec![
        m("1", "x:1", Outcome::RoutedToHuman).at(1).entry(),
        m("2", "x:2", Outcome::RoutedToHuman).at(2).entry(),
        m("3", "x:3", Outcome::Ignored).at(3).entry(),
    ];
    store.write(&first).unwrap();
    assert_eq!((count("author_recent"), count("author_history")), (2, 0));
    assert_eq!(history(&mut ws(), "x:2"), vec!["x:1"]);
    // The third addressed message reaches the threshold: all three move to the big table.
    store
        .write(&[m("4", "x:4", Outcome::RoutedToHuman).at(4).entry()])
        .unwrap();
    assert_eq!((count("author_recent"), count("author_history")), (0, 3));
    // One more lands in the recent table; the history reads both.
    store
        .write(&[m("5", "x:5", Outcome::RoutedToHuman).at(5).entry()])
        .unwrap();
    assert_eq!((count("author_recent"), count("author_history")), (1, 3));
    assert_eq!(history(&mut ws(), "x:5"), vec!["x:4", "x:2", "x:1"]);
    // The same events again: already stored, filed nowhere twice.
    store.write(&first).unwrap();
    assert_eq!((count("author_recent"), count("author_history")), (1, 3));
    // A restart counts what the recent table holds and merges at the same point.
    drop(store);
    let mut store = SqliteStore::open(&path).unwrap().with_history_merge_at(3);
    store
        .write(&[
            m("6", "x:6", Outcome::RoutedToHuman).at(6).entry(),
            m("7", "x:7", Outcome::Drafted).at(7).entry(),
        ])
        .unwrap();
    assert_eq!((count("author_recent"), count("author_history")), (0, 6));
    assert_eq!(
        history(&mut ws(), "x:7"),
        vec!["x:6", "x:5", "x:4", "x:2", "x:1"]
    );
}

/// On SQLite the search index has a file of its own beside the store: indexing takes that
/// file's write lock, never the store's, so it goes on while someone holds the store's (as the
/// recording thread does at every group). Deleted, the index is built again from the messages,
/// and searches find the same conversations meanwhile.
#[test]
fn the_search_index_lives_beside_the_store_and_never_takes_its_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("palabre.db");
    let mut store = SqliteStore::open(&path).unwrap();
    store
        .write(&[
            m("1", "x:1", Outcome::RoutedToHuman)
                .text("mon remboursement n'est jamais arrivé")
                .at(1)
                .entry(),
            m("2", "x:2", Outcome::RoutedToHuman)
                .text("le pass liberté")
                .at(2)
                .entry(),
        ])
        .unwrap();
    let mut ws = Workspace::open(path.to_str().unwrap()).unwrap();
    // Someone holds the store's write lock; the indexer does its work regardless (a workspace
    // waits up to 10 s for that lock: the test would take that long, then fail).
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    assert_eq!(ws.index_search(1000).unwrap(), 2);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "indexing waited for the store's write lock: {:?}",
        started.elapsed()
    );
    holder.execute_batch("ROLLBACK").unwrap();
    let index = dir.path().join("palabre-search.db");
    assert!(index.exists(), "the index's file is beside the store");
    let tables: Vec<String> = holder
        .prepare("SELECT name FROM sqlite_master WHERE name IN ('message_search', 'search_cursor')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        tables.is_empty(),
        "nothing of the index in the store: {tables:?}"
    );
    assert_eq!(search(&mut ws, "rembours"), vec!["x:1"]);
    // Lost: found again by reading the messages, then indexed again.
    drop(ws);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", index.display()));
    }
    let mut ws = Workspace::open(path.to_str().unwrap()).unwrap();
    assert_eq!(search(&mut ws, "liberté"), vec!["x:2"]);
    assert_eq!(ws.index_search(1000).unwrap(), 2);
    assert_eq!(ws.index_search(1000).unwrap(), 0);
    assert_eq!(search(&mut ws, "liberté"), vec!["x:2"]);
}

/// A connection that waits for another's write lock counts the time it slept: `serve`'s
/// `/metrics` and the recording thread's log show it.
#[test]
fn waiting_for_the_write_lock_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("palabre.db");
    let mut store = SqliteStore::open(&path).unwrap();
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(60));
        holder.execute_batch("COMMIT").unwrap();
    });
    let (process, thread) = (
        palabre_store::lock_waited_us(),
        palabre_store::thread_lock_waited_us(),
    );
    store
        .write(&[m("1", "x:1", Outcome::RoutedToHuman).at(1).entry()])
        .unwrap();
    release.join().unwrap();
    let waited = palabre_store::thread_lock_waited_us() - thread;
    assert!(
        (30_000..2_000_000).contains(&waited),
        "this thread waited {waited} µs"
    );
    assert!(palabre_store::lock_waited_us() - process >= waited);
}

/// A merge is spread over the writes that follow it, a chunk each in key order, so that no
/// single write holds the lock for all of it; the history reads every message throughout.
#[test]
fn a_history_merge_moves_a_chunk_a_write_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("palabre.db");
    let mut store = SqliteStore::open(&path)
        .unwrap()
        .with_history_merge_at(3)
        .with_history_merge_chunk(2);
    let count = |table: &str| -> i64 {
        rusqlite::Connection::open(&path)
            .unwrap()
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    let history = |id: &str| -> Vec<String> {
        let mut ws = Workspace::open(path.to_str().unwrap()).unwrap();
        let v = ws.conversation_view(id, &Scope::All).unwrap().unwrap();
        v.author_history.iter().map(|r| r.id.clone()).collect()
    };
    let mut levels = Vec::new();
    for i in 1..=6 {
        let (id, conversation) = (i.to_string(), format!("x:{i}"));
        store
            .write(&[m(&id, &conversation, Outcome::RoutedToHuman).at(i).entry()])
            .unwrap();
        levels.push((count("author_recent"), count("author_history")));
    }
    // Two writes below the threshold; the third starts the merge and moves two rows; the next
    // ones move two more, then the last one; then the recent table fills again.
    assert_eq!(levels, vec![(1, 0), (2, 0), (1, 2), (0, 4), (0, 5), (1, 5)]);
    assert_eq!(history("x:6"), vec!["x:5", "x:4", "x:3", "x:2", "x:1"]);
}

fn conversations_keep_their_channel_and_teams_see_theirs(mut f: Fixture) {
    let toxic = triage(
        Lang::Fr,
        SentimentLabel::Negative,
        Emotion::Anger,
        true,
        Intent::Complaint,
    );
    f.write(vec![
        m("1", "x:1", Outcome::RoutedToHuman)
            .channel("x:1000")
            .at(1)
            .entry(),
        m("2", "x:2", Outcome::RoutedToHuman)
            .channel("x:2000")
            .queue(Some("sales"))
            .triage(toxic)
            .at(2)
            .entry(),
        // Stored before conversations kept their channel.
        m("3", "x:3", Outcome::RoutedToHuman).at(3).entry(),
        m("4", "mastodon:4", Outcome::RoutedToHuman)
            .on(Platform::Mastodon)
            .at(4)
            .entry(),
    ]);
    // A later message naming another channel does not move the conversation.
    f.write(vec![
        m("5", "x:1", Outcome::RoutedToHuman)
            .channel("x:2000")
            .at(5)
            .entry(),
    ]);
    let mut ws = f.ws();
    let channel_of = |ws: &mut Workspace, id: &str| ws.conversation_channel(id).unwrap();
    assert_eq!(channel_of(&mut ws, "x:1").as_deref(), Some("x:1000"));
    assert_eq!(channel_of(&mut ws, "x:2").as_deref(), Some("x:2000"));
    assert_eq!(channel_of(&mut ws, "x:3"), None);
    assert_eq!(
        ws.send_context("x", "2")
            .unwrap()
            .unwrap()
            .channel
            .as_deref(),
        Some("x:2000")
    );

    // The inbox filters by channel and shows it on each row.
    let ids = |ws: &mut Workspace, filter: &InboxFilter, scope: &Scope| -> Vec<String> {
        let mut v: Vec<String> = ws
            .inbox(filter, scope)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        v.sort();
        v
    };
    let all = InboxFilter {
        limit: 50,
        ..InboxFilter::default()
    };
    let on = |channel: &str| InboxFilter {
        channel: Some(channel.into()),
        ..all.clone()
    };
    assert_eq!(ids(&mut ws, &on("x:1000"), &Scope::All), vec!["x:1"]);
    let row = ws.conversation_row("x:2", &Scope::All).unwrap().unwrap();
    assert_eq!(row.channel.as_deref(), Some("x:2000"));

    // Teams: limited to a channel (every queue of it), to queues and a channel, to a queue.
    let team = |queues: &[&str], channels: &[&str]| TeamScope {
        queues: strings(queues),
        channels: strings(channels),
    };
    let only_2000 = Scope::Teams(vec![team(&[], &["x:2000"])]);
    assert_eq!(ids(&mut ws, &all, &only_2000), vec!["x:2"]);
    assert!(ws.conversation_row("x:1", &only_2000).unwrap().is_none());
    assert!(ws.conversation_view("x:1", &only_2000).unwrap().is_none());
    let support_on_1000 = Scope::Teams(vec![team(&["support"], &["x:1000"])]);
    assert_eq!(ids(&mut ws, &all, &support_on_1000), vec!["x:1"]);
    let sales_on_1000 = Scope::Teams(vec![team(&["sales"], &["x:1000"])]);
    assert!(ids(&mut ws, &all, &sales_on_1000).is_empty());
    let two_teams = Scope::Teams(vec![team(&["support"], &["x:1000"]), team(&["sales"], &[])]);
    assert_eq!(ids(&mut ws, &all, &two_teams), vec!["x:1", "x:2"]);
    // A team naming nothing covers nothing.
    assert!(ids(&mut ws, &all, &Scope::Teams(vec![team(&[], &[])])).is_empty());
    // The team filter of the list takes the team's channels too.
    let filtered = InboxFilter {
        team: Some(team(&[], &["x:2000"])),
        ..all.clone()
    };
    assert_eq!(ids(&mut ws, &filtered, &Scope::All), vec!["x:2"]);
    // The moderation queue too.
    let queue = ws.moderation_queue(&only_2000, 50).unwrap();
    assert_eq!(queue.len(), 1);
    assert!(
        ws.moderation_queue(&support_on_1000, 50)
            .unwrap()
            .is_empty()
    );

    // Older conversations of a platform with one channel are given it; others are left alone.
    assert_eq!(ws.fill_unknown_channel("x", "x:1000").unwrap(), 1);
    assert_eq!(channel_of(&mut ws, "x:3").as_deref(), Some("x:1000"));
    assert_eq!(channel_of(&mut ws, "mastodon:4"), None);
    assert_eq!(ws.fill_unknown_channel("x", "x:1000").unwrap(), 0);
}

/// What follows a recorded group (outbox actions, assignments, checkpoints, webhooks done) is
/// written in one transaction: all of it, once (a group recorded again enqueues nothing more),
/// or, when one part fails, none of it.
fn the_followups_of_a_group_are_written_together(mut f: Fixture) {
    use palabre_store::workspace::{Checkpoint, FollowedUp, Followups};
    f.write(vec![
        m("1", "x:1", Outcome::BotReplied).entry(),
        m("2", "x:2", Outcome::RoutedToHuman).entry(),
    ]);
    let mut ws = f.ws();
    ws.set_team("care", &strings(&["support"]), &[]).unwrap();
    ws.create_user("alice", "A", "h", Role::Agent, &strings(&["care"]))
        .unwrap();
    let (hook, _) = ws.queue_webhook("messenger", "page", "{}").unwrap();
    let followups = Followups {
        actions: vec![action("bot:x:1", Some("x:1"), "bot", 1)],
        assign: vec![("x:2", "support")],
        checkpoints: vec![Checkpoint {
            source: "brand/stream",
            platform: "x",
            cursor: "42",
        }],
        webhooks_done: vec![hook],
    };
    assert_eq!(
        ws.record_followups(&followups).unwrap(),
        FollowedUp {
            enqueued: 1,
            assigned: vec![Some("alice".into())]
        }
    );
    let keys = |ws: &mut Workspace| -> Vec<String> {
        ws.outbox_of("x:1")
            .unwrap()
            .into_iter()
            .map(|a| a.idem_key)
            .collect()
    };
    assert_eq!(keys(&mut ws), ["bot:x:1"]);
    assert_eq!(row(&mut ws, "x:2").assignee.as_deref(), Some("alice"));
    assert_eq!(
        ws.checkpoint("brand/stream").unwrap().as_deref(),
        Some("42")
    );
    assert_eq!(ws.webhook_backlog().unwrap(), 0);
    // The same group again (a batch read twice): nothing new.
    let again = ws.record_followups(&followups).unwrap();
    assert_eq!(again.enqueued, 0);
    assert_eq!(again.assigned, vec![None], "already assigned: left alone");
    assert_eq!(keys(&mut ws), ["bot:x:1"]);

    // A part that fails takes the rest back: no action, no checkpoint.
    if f.schema.is_none() {
        (f.raw)(
            "CREATE TRIGGER no_checkpoint BEFORE UPDATE ON connector_state
             BEGIN SELECT RAISE(ABORT, 'disk full'); END",
        );
    } else {
        (f.raw)(
            "CREATE FUNCTION disk_full() RETURNS trigger AS $$
             BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER no_checkpoint BEFORE UPDATE ON connector_state
             FOR EACH ROW EXECUTE FUNCTION disk_full();",
        );
    }
    let failing = Followups {
        actions: vec![action("bot:x:3", Some("x:1"), "bot", 1)],
        checkpoints: vec![Checkpoint {
            source: "brand/stream",
            platform: "x",
            cursor: "43",
        }],
        ..Followups::default()
    };
    let error = ws.record_followups(&failing).unwrap_err();
    assert!(error.to_string().contains("disk full"), "{error}");
    assert_eq!(
        keys(&mut ws),
        ["bot:x:1"],
        "rolled back with the checkpoint"
    );
    assert_eq!(
        ws.checkpoint("brand/stream").unwrap().as_deref(),
        Some("42")
    );
}

/// A test image from the repository's `tests/images`.
fn test_image(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../tests/images/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn image<'a>(bytes: &'a [u8], alt: &'a str, token: &'a str) -> NewImage<'a> {
    NewImage {
        bytes,
        alt,
        token,
        public_address: true,
    }
}

fn a_posts_images_are_checked_versioned_sent_and_served_once_published(f: Fixture) {
    let mut ws = f.ws();
    let (square, wide, tall) = (
        test_image("square.jpg"),
        test_image("wide.png"),
        test_image("tall.jpg"),
    );
    let mut photo = new_post("photo", "Le château ce matin", Some(now() + 1_000));
    photo.approvals_needed = 1;
    photo.submit = true;
    ws.create_post(&photo).unwrap().unwrap();
    ws.approve_post("photo", "sarah", false).unwrap().unwrap();
    // An image is a new version: the approved post goes back to approval.
    let with = ws
        .add_post_image(
            "photo",
            &image(&square, " Le château sous la neige ", "t1"),
            "camille",
        )
        .unwrap()
        .unwrap();
    assert_eq!((with.status, with.version), (PostStatus::Submitted, 2));
    assert_eq!(with.images.len(), 1);
    assert_eq!(
        (
            with.images[0].content_type.as_str(),
            with.images[0].width,
            with.images[0].height,
            with.images[0].alt.as_str()
        ),
        ("image/jpeg", 1080, 1080, "Le château sous la neige")
    );
    ws.add_post_image("photo", &image(&wide, "", "t2"), "camille")
        .unwrap()
        .unwrap();
    // Not an image, or one the platform would refuse: refused, nothing kept.
    assert_eq!(
        ws.add_post_image(
            "photo",
            &image(b"%PDF-1.4 not an image", "", "t3"),
            "camille"
        )
        .unwrap(),
        Err(PostRefusal::Image(PostError::ImageUnreadable(3)))
    );
    let long = "x".repeat(1001);
    assert!(matches!(
        ws.add_post_image("photo", &image(&tall, &long, "t3"), "camille")
            .unwrap(),
        Err(PostRefusal::Image(PostError::AltTooLong { number: 3, .. }))
    ));
    for token in ["t3", "t4", "t5"] {
        let _ = ws.add_post_image("photo", &image(&tall, "", token), "camille");
    }
    assert!(matches!(
        ws.add_post_image("photo", &image(&tall, "", "t6"), "camille")
            .unwrap(),
        Err(PostRefusal::Image(PostError::TooManyImages {
            count: 5,
            max: 4,
            ..
        }))
    ));
    // Removing one moves the next ones up; describing one is a new version too.
    let fewer = ws
        .remove_post_image("photo", 1, "camille")
        .unwrap()
        .unwrap();
    assert_eq!(
        fewer
            .images
            .iter()
            .map(|i| (i.position, i.content_type.as_str()))
            .collect::<Vec<_>>(),
        vec![(1, "image/png"), (2, "image/jpeg"), (3, "image/jpeg")]
    );
    for absurd in [0, i64::MIN, i64::MAX] {
        assert!(matches!(
            ws.describe_post_image("photo", absurd, "x", "camille")
                .unwrap(),
            Err(PostRefusal::NoImage { .. })
        ));
    }
    assert_eq!(
        ws.remove_post_image("photo", 9, "camille").unwrap(),
        Err(PostRefusal::NoImage {
            id: "photo".into(),
            position: 9
        })
    );
    let described = ws
        .describe_post_image("photo", 1, "La baie au couchant", "camille")
        .unwrap()
        .unwrap();
    assert_eq!(described.images[0].alt, "La baie au couchant");
    assert!(described.version > fewer.version);
    ws.remove_post_image("photo", 3, "camille")
        .unwrap()
        .unwrap();
    // Nothing public before the post goes out; the outbox reads the images in order.
    let token_of_first = described.images[0].token.clone();
    assert_eq!(ws.public_image(&token_of_first).unwrap(), None);
    assert_eq!(ws.post_image("photo", 1).unwrap().unwrap().1, wide);
    ws.approve_post("photo", "sarah", false).unwrap().unwrap();
    ws.publish_due(now() + 2_000, None).unwrap();
    let claimed = ws.claim_due("n1", now() + 2_000, 10).unwrap();
    let sent = ws.outbox_post_images(claimed[0].id).unwrap();
    assert_eq!(
        sent.iter()
            .map(|(i, b)| (i.position, b.len()))
            .collect::<Vec<_>>(),
        vec![(1, wide.len()), (2, tall.len())]
    );
    assert_eq!(
        ws.public_image(&token_of_first).unwrap(),
        Some(("image/png".to_owned(), wide.clone()))
    );
    // Published: the link the platform gave is kept; the images can no longer change.
    ws.mark_sent(claimed[0].id, Some("17890")).unwrap();
    ws.set_post_link(claimed[0].id, "https://www.instagram.com/p/C0ffee/")
        .unwrap();
    let done = ws.post("photo").unwrap().unwrap();
    assert_eq!(
        done.link.as_deref(),
        Some("https://www.instagram.com/p/C0ffee/")
    );
    assert!(matches!(
        ws.remove_post_image("photo", 1, "camille").unwrap(),
        Err(PostRefusal::State { .. })
    ));
    assert!(ws.public_image(&token_of_first).unwrap().is_some());

    // Instagram: no submission without an image; taking the last one away is refused.
    let insta = NewPost {
        channel: "instagram:1784",
        platform: "instagram",
        submit: true,
        ..new_post("insta", "Bonjour d'Instagram", None)
    };
    assert_eq!(
        ws.create_post(&insta).unwrap(),
        Err(PostRefusal::Image(PostError::ImageNeeded(
            Platform::Instagram
        )))
    );
    ws.create_post(&NewPost {
        submit: false,
        ..insta
    })
    .unwrap()
    .unwrap();
    assert!(matches!(
        ws.submit_post("insta", "camille").unwrap(),
        Err(PostRefusal::Image(PostError::ImageNeeded(_)))
    ));
    assert!(matches!(
        ws.add_post_image("insta", &image(&wide, "", "i1"), "camille")
            .unwrap(),
        Err(PostRefusal::Image(PostError::ImageFormat { .. }))
    ));
    assert!(matches!(
        ws.add_post_image("insta", &image(&tall, "", "i1"), "camille")
            .unwrap(),
        Err(PostRefusal::Image(PostError::ImageShape { .. }))
    ));
    ws.add_post_image("insta", &image(&square, "", "i1"), "camille")
        .unwrap()
        .unwrap();
    assert!(matches!(
        ws.remove_post_image("insta", 1, "camille").unwrap(),
        Err(PostRefusal::Image(PostError::ImageNeeded(_)))
    ));
    assert_eq!(
        ws.submit_post("insta", "camille").unwrap().unwrap().status,
        PostStatus::Submitted
    );
}
