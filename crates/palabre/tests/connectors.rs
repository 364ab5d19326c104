//! Real connectors through the real server: `palabre serve` with a Mastodon account pointed at
//! a fake Mastodon server run as its own process. A mention reaches the inbox; a reply goes
//! back once even when Palabre is killed while the platform holds the request; a revoked token
//! shows in the inbox and the API, without a reconnection storm.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{FakeMastodon, spawn_serve, wait_until};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const PASSWORD: &str = "correct horse battery";

fn config(dir: &Path, fake: &FakeMastodon) -> PathBuf {
    let path = dir.join("palabre.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[[channels]]
platform = "mastodon"
id = "1"
handle = "marque"

[pipeline]
queue = "service-client"

[[accounts]]
platform = "mastodon"
name = "marque-social"
base_url = "{}"
access_token = "env:PALABRE_TEST_MASTODON_TOKEN"
idle_timeout = "5s"
"#,
            fake.url
        ),
    )
    .unwrap();
    path
}

fn path(id: &str) -> String {
    id.replace(':', "%3A")
}

fn conversations(app: &common::App, token: &str) -> Vec<Value> {
    app.get_json(token, "/api/conversations")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn a_mention_reaches_the_inbox_and_the_reply_is_posted_once_across_a_kill() {
    let fake = FakeMastodon::start();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("palabre.db").display().to_string();
    let config = config(dir.path(), &fake);
    let mut app = spawn_serve(&config, &store, false, ENV);
    let token = app.user("manon", "manager", "", PASSWORD);

    wait_until("the stream to open", || {
        fake.state()["streams"].as_i64().unwrap() >= 1
    });
    fake.control(
        "mention",
        json!({"acct": "claire@fake.example", "text": "Mon train est supprimé, que faire ?"}),
    );
    wait_until("the mention in the inbox", || {
        conversations(&app, &token).len() == 1
    });
    let row = conversations(&app, &token).remove(0);
    let id = row["id"].as_str().unwrap().to_owned();
    let states = app.get_json(&token, "/api/connectors");
    let stream = states
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "marque-social/stream:user:notification")
        .cloned()
        .unwrap_or_else(|| panic!("{states}"));
    assert_eq!(stream["status"], "ok");
    assert!(
        stream["cursor"].is_string(),
        "a checkpoint is kept: {stream}"
    );

    // The platform takes the post, then holds its answer: Palabre is killed meanwhile.
    fake.control("hold", json!({"ms": 8000}));
    let (status, body) = app.post(
        &token,
        &format!("/api/conversations/{}/replies", path(&id)),
        &json!({"text": "Bonjour Claire, un car de substitution part à 14 h.", "idempotency_key": "k-kill"}),
    );
    assert_eq!(status, 200, "{body}");
    wait_until("the platform to receive the post", || {
        fake.state()["posts"].as_array().unwrap().len() == 1
    });
    app.kill();
    fake.control("hold", json!({"ms": 0}));

    // Restarted on the same store: the action is sent again with the same key, and the
    // platform's idempotency keeps it to one post.
    let app = spawn_serve(&config, &store, false, ENV);
    wait_until("the action marked sent", || {
        let sent = app.get_json(&token, "/api/outbox?status=sent");
        sent.as_array().unwrap().len() == 1
    });
    let state = fake.state();
    let posts = state["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 1, "exactly one post: {state}");
    let key = posts[0]["idempotency_key"].as_str().unwrap();
    let attempts = state["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["key"] == key)
        .count();
    assert_eq!(attempts, 2, "sent, killed, sent again with the same key");
    assert!(
        posts[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("@claire@fake.example Bonjour Claire"),
        "{}",
        posts[0]["text"]
    );
    assert!(posts[0]["in_reply_to_id"].is_string());

    // What was read before the kill is not read twice after it: still one conversation, one
    // message.
    fake.control(
        "mention",
        json!({"acct": "paul@fake.example", "text": "Et le 15 h 10 ?"}),
    );
    wait_until("the second mention", || {
        conversations(&app, &token)
            .iter()
            .any(|c| c["id"] != id.as_str())
    });
    let view = app.get_json(&token, &format!("/api/conversations/{}", path(&id)));
    assert_eq!(view["messages"].as_array().unwrap().len(), 1, "{view}");
}

#[test]
fn a_revoked_token_is_an_alert_not_a_reconnection_storm() {
    let fake = FakeMastodon::start();
    fake.control("token", json!({"valid": false}));
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("palabre.db").display().to_string();
    let config = config(dir.path(), &fake);
    let app = spawn_serve(&config, &store, false, ENV);
    let token = app.user("manon", "manager", "", PASSWORD);
    wait_until("the alert", || {
        app.get_json(&token, "/api/connectors")
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["status"] == "auth_failed")
    });
    let states = app.get_json(&token, "/api/connectors");
    let failed = states
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == "auth_failed")
        .unwrap();
    assert!(
        failed["error"].as_str().unwrap().contains("renew"),
        "{failed}"
    );
    // The inbox says so on every page.
    let (status, html) = app.get(&token, "/inbox");
    assert_eq!(status, 200);
    assert!(
        html.contains("data-connector=\"marque-social&#x2f;stream:user:notification\"")
            && html.contains("renouvelez-le"),
        "{html}"
    );
    // Retried rarely (first after a minute), not in a loop.
    let calls = fake.state()["hits"].as_i64().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    let later = fake.state()["hits"].as_i64().unwrap();
    assert!(
        later - calls <= 1,
        "{calls} then {later} calls in 3 s: a reconnection storm"
    );
}

/// The token reaches the server through the environment (`env:` in the configuration), as it
/// would in production.
const ENV: &[(&str, &str)] = &[("PALABRE_TEST_MASTODON_TOKEN", "fake-token")];

/// Two accounts of one brand on the same platform: each conversation keeps the channel it was
/// addressed to, a reply goes out through that channel's account, the inbox filters by channel
/// and a team limited to one channel sees only its conversations.
#[test]
fn each_channel_answers_through_its_own_account() {
    let (sales, help) = (
        FakeMastodon::start_as("1", "marque"),
        FakeMastodon::start_as("2", "aide"),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("palabre.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[channels]]
platform = "mastodon"
id = "1"
handle = "marque"
account = "marque-social"

[[channels]]
platform = "mastodon"
id = "2"
handle = "aide"
account = "aide-social"

[pipeline]
queue = "service-client"

[[accounts]]
platform = "mastodon"
name = "marque-social"
base_url = "{}"
access_token = "env:PALABRE_TEST_MASTODON_TOKEN"
idle_timeout = "5s"

[[accounts]]
platform = "mastodon"
name = "aide-social"
base_url = "{}"
access_token = "env:PALABRE_TEST_MASTODON_TOKEN"
idle_timeout = "5s"
"#,
            sales.url, help.url
        ),
    )
    .unwrap();
    let store = dir.path().join("palabre.db").display().to_string();
    let app = spawn_serve(&config, &store, false, ENV);
    let token = app.user("manon", "manager", "", PASSWORD);
    app.admin(&["team", "aide", "--channels", "mastodon:2"], None);
    let agent = app.user("paul", "agent", "aide", PASSWORD);

    wait_until("both streams to open", || {
        sales.state()["streams"].as_i64().unwrap() >= 1
            && help.state()["streams"].as_i64().unwrap() >= 1
    });
    help.control(
        "mention",
        json!({"acct": "claire@fake.example", "text": "Ma carte ne passe pas"}),
    );
    sales.control(
        "mention",
        json!({"acct": "jules@fake.example", "text": "Un tarif groupe ?"}),
    );
    wait_until("both mentions in the inbox", || {
        conversations(&app, &token).len() == 2
    });
    let channels = app.get_json(&token, "/api/channels");
    assert_eq!(channels.as_array().unwrap().len(), 2, "{channels}");
    let on_help = app.get_json(&token, "/api/conversations?channel=mastodon:2");
    let rows = on_help.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{on_help}");
    assert_eq!(rows[0]["channel"], "mastodon:2");
    assert_eq!(rows[0]["last_text"], "@aide Ma carte ne passe pas");
    let id = rows[0]["id"].as_str().unwrap().to_owned();
    let (status, body) = app.get(&token, "/api/conversations?channel=mastodon:9");
    assert_eq!(status, 400, "an unknown channel is refused: {body}");
    assert!(body.contains("mastodon:1, mastodon:2"), "{body}");

    // The agent of the team limited to @aide sees that conversation only.
    let theirs = app.get_json(&agent, "/api/conversations");
    let ids: Vec<&str> = theirs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str()]);
    let other = conversations(&app, &token)
        .into_iter()
        .find(|r| r["id"] != id.as_str())
        .unwrap();
    let (status, _) = app.get(
        &agent,
        &format!("/api/conversations/{}", path(other["id"].as_str().unwrap())),
    );
    assert_eq!(
        status, 404,
        "another channel's conversation does not exist for them"
    );

    // The reply goes out through @aide's account, not the first Mastodon account.
    let (status, body) = app.post(
        &agent,
        &format!("/api/conversations/{}/replies", path(&id)),
        &json!({"text": "Bonjour Claire, essayez le sans contact."}),
    );
    assert_eq!(status, 200, "{body}");
    wait_until("the reply on the help account's server", || {
        help.state()["posts"].as_array().unwrap().len() == 1
    });
    assert!(
        sales.state()["posts"].as_array().unwrap().is_empty(),
        "nothing went through the other account"
    );
}

/// A reply the platform keeps refusing waits in the outbox, and the queue shows with its age
/// in `/metrics`, `/api/outbox/waiting` and the outbox page; once the platform takes it,
/// nothing waits any more.
#[test]
fn what_waits_to_be_sent_shows_with_its_age() {
    let fake = FakeMastodon::start();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("palabre.db").display().to_string();
    let config = config(dir.path(), &fake);
    let app = spawn_serve(&config, &store, false, ENV);
    let token = app.user("manon", "manager", "", PASSWORD);
    let agent = app.user("paul", "agent", "", PASSWORD);
    wait_until("the stream to open", || {
        fake.state()["streams"].as_i64().unwrap() >= 1
    });
    fake.control(
        "mention",
        json!({"acct": "claire@fake.example", "text": "Mon train est supprimé, que faire ?"}),
    );
    wait_until("the mention in the inbox", || {
        conversations(&app, &token).len() == 1
    });
    let id = conversations(&app, &token)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, metrics) = app.get(&token, "/metrics");
    assert_eq!(status, 200);
    assert!(metrics.contains("palabre_outbox_dead 0"), "{metrics}");
    assert!(!metrics.contains("palabre_outbox_waiting{"), "{metrics}");
    // The mention, decided and recorded: its lag behind the platform's timestamp is counted.
    assert!(
        metrics.contains("# TYPE palabre_decision_lag_seconds summary")
            && metrics.contains("palabre_decision_lag_seconds_count 1\n")
            && metrics.contains("palabre_decision_lag_seconds{quantile=\"0.99\"} "),
        "{metrics}"
    );
    // And the time the store's connections waited for one another's write lock, a counter.
    assert!(
        metrics.contains("# TYPE palabre_store_lock_wait_seconds_total counter\npalabre_store_lock_wait_seconds_total "),
        "{metrics}"
    );
    assert_eq!(app.get(&agent, "/metrics").0, 403, "managers only");

    // Two failures: the reply waits for its backoff.
    fake.control("fail", json!({"statuses": ["500", "500"]}));
    let (status, body) = app.post(
        &token,
        &format!("/api/conversations/{}/replies", path(&id)),
        &json!({"text": "Bonjour Claire, un car de substitution part à 14 h."}),
    );
    assert_eq!(status, 200, "{body}");
    wait_until("the first refusal", || {
        fake.state()["requests"].as_array().unwrap().len() == 1
    });
    wait_until("the reply waiting", || {
        app.get_json(&token, "/api/outbox/waiting")
            .as_array()
            .is_some_and(|w| w.len() == 1 && w[0]["next_due_ms"].as_i64() > Some(now()))
    });
    let waiting = app.get_json(&token, "/api/outbox/waiting")[0].clone();
    assert_eq!(
        (
            waiting["platform"].as_str(),
            waiting["origin"].as_str(),
            waiting["count"].as_i64()
        ),
        (Some("mastodon"), Some("human"), Some(1)),
        "{waiting}"
    );
    assert!(waiting["oldest_ms"].as_i64().unwrap() <= now());
    let (_, metrics) = app.get(&token, "/metrics");
    assert!(
        metrics.contains("palabre_outbox_waiting{platform=\"mastodon\",origin=\"human\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("# TYPE palabre_outbox_oldest_waiting_seconds gauge")
            && metrics.contains(
                "palabre_outbox_oldest_waiting_seconds{platform=\"mastodon\",origin=\"human\"} "
            ),
        "{metrics}"
    );
    let (_, page) = app.get(&token, "/outbox");
    assert!(
        page.contains("En attente d&#x27;envoi") && page.contains("de personnes"),
        "{page}"
    );
    // The platform takes it at the third try: nothing waits.
    wait_until("the reply sent", || {
        app.get_json(&token, "/api/outbox?status=sent")
            .as_array()
            .unwrap()
            .len()
            == 1
    });
    assert_eq!(app.get_json(&token, "/api/outbox/waiting"), json!([]));
    assert_eq!(fake.state()["posts"].as_array().unwrap().len(), 1);
}

/// Election night: a burst of campaign requests while the platform answers 429 with a reset
/// ten minutes away. The platform is called once, not hammered; every request is decided and
/// recorded meanwhile (ingestion does not wait for the outbox); every answer waits in the outbox
/// for the reset, oldest first, none spent as an attempt, none turned into a draft or a dead
/// letter; the queue and its age show in the API and in /metrics.
#[test]
fn a_ten_minute_429_during_a_burst_holds_the_answers_and_loses_nothing() {
    let fake = FakeMastodon::start();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("palabre.db").display().to_string();
    let config = config(dir.path(), &fake);
    let table = common::root().join("examples/campaigns/mon-resultat/communes.csv");
    let codes: Vec<String> = std::fs::read_to_string(&table)
        .unwrap()
        .lines()
        .filter(|l| l.as_bytes().first().is_some_and(u8::is_ascii_digit))
        .map(|l| l[..5].to_owned())
        .take(40)
        .collect();
    assert_eq!(codes.len(), 40);
    std::fs::write(
        dir.path().join("resultat.toml"),
        format!(
            r##"id = "resultat"
name = "Résultats"
channels = ["mastodon:1:marque"]
mode = "auto"
window = "6h"
[trigger]
hashtags = ["MonRésultat"]
[[extract]]
name = "code"
kind = "postal_code"
[table]
file = "{}"
key = ["code"]
columns = ["commune", "tete"]
[reply]
fr = ["{{{{ commune }}}} (FICTIF) : {{{{ tete }}}} en tête."]
[help]
example = "#MonRésultat 69003"
fr = "Envoyez #MonRésultat suivi de votre code postal, par exemple : {{{{ example }}}}"
"##,
            table.display()
        ),
    )
    .unwrap();
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[campaigns]\nfiles = [\"resultat.toml\"]\n");
    std::fs::write(&config, text).unwrap();

    let app = spawn_serve(&config, &store, false, ENV);
    let token = app.user("manon", "manager", "", PASSWORD);
    wait_until("the stream to open", || {
        fake.state()["streams"].as_i64().unwrap() >= 1
    });
    fake.control("fail", json!({"statuses": ["429-10min"]}));
    let burst = |range: std::ops::Range<usize>| {
        for i in range {
            fake.control(
                "mention",
                json!({"acct": format!("votant{i}@fake.example"), "text": format!("#MonRésultat {}", codes[i])}),
            );
        }
    };
    burst(0..30);
    let recorded = |app: &common::App| -> usize {
        let (_, metrics) = app.get(&token, "/metrics");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix("palabre_decision_lag_seconds_count "))
            .map_or(0, |n| n.trim().parse().unwrap())
    };
    wait_until("the first burst recorded", || recorded(&app) == 30);
    wait_until("thirty answers waiting for the reset", || {
        app.get_json(&token, "/api/outbox/waiting")
            .as_array()
            .is_some_and(|w| w.len() == 1 && w[0]["count"] == 30)
    });
    // More requests while the platform is closed: decided and recorded all the same.
    burst(30..40);
    wait_until("the second burst recorded", || recorded(&app) == 40);
    // Each new answer is claimed once, finds the account's gate closed (no call) and is put
    // off to the reset.
    wait_until(
        "forty answers waiting for the reset, ten minutes away",
        || {
            app.get_json(&token, "/api/outbox/waiting")
                .as_array()
                .is_some_and(|w| {
                    w.len() == 1
                        && w[0]["count"] == 40
                        && w[0]["origin"] == "bot"
                        && (500_000..=600_000)
                            .contains(&(w[0]["next_due_ms"].as_i64().unwrap_or(0) - now()))
                })
        },
    );
    let (_, metrics) = app.get(&token, "/metrics");
    assert!(
        metrics.contains("palabre_outbox_waiting{platform=\"mastodon\",origin=\"bot\"} 40\n"),
        "{metrics}"
    );
    // One call reached the platform (the 429); the account's gate kept the rest from it.
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(
        fake.state()["requests"].as_array().unwrap().len(),
        1,
        "the platform was called again before its reset"
    );
    assert!(fake.state()["posts"].as_array().unwrap().is_empty());
    // Nothing spent: no attempt counted, no draft, no dead letter.
    let pending = app.get_json(&token, "/api/outbox?status=pending");
    let pending = pending.as_array().unwrap();
    assert_eq!(pending.len(), 40);
    assert!(
        pending.iter().all(|a| a["attempts"] == 0),
        "a 429 is not an attempt: {pending:?}"
    );
    assert!(
        app.get_json(&token, "/api/outbox?status=dead")
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        app.get_json(&token, "/api/drafts")
            .as_array()
            .unwrap()
            .is_empty()
    );
}

fn now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

#[test]
fn a_scheduled_post_is_published_once_across_a_kill_at_its_minute() {
    let fake = FakeMastodon::start();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("palabre.db").display().to_string();
    let config = config(dir.path(), &fake);
    let mut app = spawn_serve(&config, &store, false, ENV);
    let author = app.user("camille", "manager", "", PASSWORD);
    let approver = app.user("manon", "manager", "", PASSWORD);
    let at = jiff::Timestamp::from_millisecond(jiff::Timestamp::now().as_millisecond() + 2_000)
        .unwrap()
        .to_string();
    let (status, post) = app.post(
        &author,
        "/api/posts",
        &json!({"channel": "mastodon:1", "text": "Nos horaires d'hiver sont en ligne.", "at": at, "submit": true}),
    );
    assert_eq!(status, 201, "{post}");
    let id = post["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.post(&approver, &format!("/api/posts/{id}/approve"), &json!({}))
            .0,
        200
    );
    // At its minute the platform takes the post, then holds its answer: Palabre is killed.
    fake.control("hold", json!({"ms": 8000}));
    wait_until("the platform to receive the post", || {
        fake.state()["posts"].as_array().unwrap().len() == 1
    });
    app.kill();
    fake.control("hold", json!({"ms": 0}));
    // Restarted: sent again with the same key; the platform keeps one post, and the post is
    // published with its id.
    let app = spawn_serve(&config, &store, false, ENV);
    wait_until("the post marked published", || {
        app.get_json(&approver, &format!("/api/posts/{id}"))["status"] == "published"
    });
    let state = fake.state();
    let posts = state["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 1, "exactly one post: {state}");
    assert_eq!(posts[0]["text"], "Nos horaires d'hiver sont en ligne.");
    assert!(
        posts[0]["in_reply_to_id"].is_null(),
        "a post of the brand's, not a reply"
    );
    let key = posts[0]["idempotency_key"].as_str().unwrap();
    assert!(key.starts_with(&format!("post:{id}:v1:")), "{key}");
    let attempts = state["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["key"] == key)
        .count();
    assert_eq!(attempts, 2, "sent, killed, sent again with the same key");
    let published = app.get_json(&approver, &format!("/api/posts/{id}"));
    assert_eq!(published["remote_id"], posts[0]["id"], "{published}");
}

#[test]
fn a_post_goes_out_with_its_images_and_one_the_platform_refuses_fails_in_its_words() {
    let fake = FakeMastodon::start();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("palabre.db").display().to_string();
    let app = spawn_serve(&config(dir.path(), &fake), &store, false, ENV);
    let author = app.user("camille", "manager", "", PASSWORD);
    let approver = app.user("manon", "manager", "", PASSWORD);
    let plan = |text: &str, images: &[(&str, &str)]| -> String {
        let (status, post) = app.post(
            &author,
            "/api/posts",
            &json!({"channel": "mastodon:1", "text": text}),
        );
        assert_eq!(status, 201, "{post}");
        let id = post["id"].as_str().unwrap().to_owned();
        for (file, alt) in images {
            let bytes = std::fs::read(common::root().join("tests/images").join(file)).unwrap();
            let (status, e) = app.post_image(&author, &id, alt, &bytes);
            assert_eq!(status, 201, "{e}");
        }
        let at = jiff::Timestamp::from_millisecond(now() + 1_500)
            .unwrap()
            .to_string();
        let (status, _) = app.patch(&author, &format!("/api/posts/{id}"), &json!({"at": at}));
        assert_eq!(status, 200);
        app.post(&author, &format!("/api/posts/{id}/submit"), &json!({}));
        let (status, approved) =
            app.post(&approver, &format!("/api/posts/{id}/approve"), &json!({}));
        assert_eq!(
            (status, approved["status"].as_str()),
            (200, Some("scheduled"))
        );
        id
    };
    let snow = plan(
        "Le viaduc sous la neige, ce matin.",
        &[
            ("square.jpg", "Le viaduc enneigé à l'aube"),
            ("wide.png", ""),
        ],
    );
    wait_until("the post with images published", || {
        app.get_json(&approver, &format!("/api/posts/{snow}"))["status"] == "published"
    });
    let state = fake.state();
    let uploads = state["media"].as_array().unwrap();
    let square = std::fs::read(common::root().join("tests/images/square.jpg")).unwrap();
    assert_eq!(uploads.len(), 2, "{state}");
    assert_eq!(uploads[0]["content_type"], "image/jpeg");
    assert_eq!(uploads[0]["size"], square.len());
    assert_eq!(uploads[0]["description"], "Le viaduc enneigé à l'aube");
    assert!(
        uploads[1]["description"].is_null(),
        "no empty description sent"
    );
    let post = &state["posts"].as_array().unwrap()[0];
    assert_eq!(
        post["media_ids"],
        json!([uploads[0]["id"], uploads[1]["id"]]),
        "{post}"
    );

    // The platform refuses an image: the post fails with its words, nothing is posted.
    fake.control("fail", json!({"media": ["422"]}));
    let heavy = plan("Le viaduc en très grand.", &[("square.jpg", "")]);
    wait_until("the post refused", || {
        app.get_json(&approver, &format!("/api/posts/{heavy}"))["status"] == "failed"
    });
    let failed = app.get_json(&approver, &format!("/api/posts/{heavy}"));
    assert!(
        failed["note"]
            .as_str()
            .unwrap()
            .contains("Validation failed: File file size must be less than 16 MB"),
        "{failed}"
    );
    assert_eq!(fake.state()["posts"].as_array().unwrap().len(), 1);
}
