//! Black-box tests of `/webhooks/{account}` on the real `palabre serve` (port 0, SQLite): a
//! Messenger account whose Graph API is a fake on a local port. The handshake, signatures, the
//! size limit, the durable queue (across a crash), and what an expired token does to a reply.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{App, spawn_serve};
use palabre_connectors::client::signature::hmac_sha256;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const APP_SECRET: &str = "test-app-secret";
const PAGE: &str = "5550001";

/// What the fake Graph API received: each request's first line and body.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// A fake Graph API that answers every request with `(status, body)`; its URL and what it saw.
fn fake_graph(status: u16, body: &'static str) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v21.0", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            let mut length = 0;
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut buf = vec![0; length];
            reader.read_exact(&mut buf).unwrap();
            log.lock()
                .unwrap()
                .push((first.trim().to_owned(), String::from_utf8(buf).unwrap()));
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, seen)
}

/// A configuration with the brand's Page as a channel and as a messenger account.
fn config(dir: &Path, graph_url: &str) -> PathBuf {
    let path = dir.join("palabre.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[[channels]]
platform = "messenger"
id = "{PAGE}"
handle = "lumieretransports"

[[accounts]]
platform = "messenger"
name = "page"
page_id = "{PAGE}"
page_access_token = "test-page-token"
app_secret = "{APP_SECRET}"
verify_token = "test-verify-token"
graph_url = "{graph_url}"
"#
        ),
    )
    .unwrap();
    path
}

fn sign(body: &str) -> String {
    let mac = hmac_sha256(APP_SECRET.as_bytes(), body.as_bytes());
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// A Messenger webhook body: one private message to the Page, written now.
fn dm(mid: &str, psid: &str, text: &str) -> String {
    let now = jiff::Timestamp::now().as_millisecond();
    json!({"object": "page", "entry": [{"id": PAGE, "time": now, "messaging": [{
        "sender": {"id": psid}, "recipient": {"id": PAGE}, "timestamp": now,
        "message": {"mid": mid, "text": text}}]}]})
    .to_string()
}

/// POSTs a delivery with this signature header (None: without one): the status.
fn deliver(app: &App, body: &str, signature: Option<&str>) -> u16 {
    let mut r = app
        .agent()
        .post(&format!("{}/webhooks/page", app.url))
        .header("Content-Type", "application/json");
    if let Some(s) = signature {
        r = r.header("X-Hub-Signature-256", s);
    }
    r.send(body.as_bytes()).unwrap().status().as_u16()
}

fn queued(app: &App) -> Vec<(String, String)> {
    let db = rusqlite::Connection::open(&app.store).unwrap();
    let mut q = db
        .prepare("SELECT status, COALESCE(error, '') FROM webhook_queue ORDER BY id")
        .unwrap();
    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Waits until the conversation is in the inbox; its view.
fn wait_conversation(app: &App, token: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = app.get(token, &format!("/api/conversations/{id}"));
        if status == 200 {
            return serde_json::from_str(&body).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "{id} never appeared: {status} {body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn conversation(psid: &str) -> String {
    format!("messenger:dm:{PAGE}:{psid}")
}

#[test]
fn meta_handshake_echoes_the_challenge_only_for_the_right_token() {
    let dir = tempfile::tempdir().unwrap();
    let (graph, _) = fake_graph(200, "{}");
    let store = dir.path().join("palabre.db").display().to_string();
    let app = spawn_serve(&config(dir.path(), &graph), &store, true, &[]);
    let get = |path: &str| {
        let mut r = app
            .agent()
            .get(&format!("{}{path}", app.url))
            .call()
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    assert_eq!(
        get(
            "/webhooks/page?hub.mode=subscribe&hub.verify_token=test-verify-token&hub.challenge=1158201444"
        ),
        (200, "1158201444".to_owned())
    );
    let (status, body) =
        get("/webhooks/page?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444");
    assert_eq!(status, 403);
    assert!(!body.contains("1158201444"));
    assert_eq!(get("/webhooks/nobody?hub.mode=subscribe").0, 404);
    // The routes are in the OpenAPI document.
    let token = app.user("manon", "manager", "", "correct horse battery");
    let doc = app.get_json(&token, "/api/openapi.json");
    let path = &doc["paths"]["/webhooks/{account}"];
    assert!(
        path.get("get").is_some() && path.get("post").is_some(),
        "{path}"
    );
}

#[test]
fn signed_deliveries_are_queued_processed_once_and_bad_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (graph, _) = fake_graph(200, "{}");
    let store = dir.path().join("palabre.db").display().to_string();
    let app = spawn_serve(&config(dir.path(), &graph), &store, true, &[]);
    let token = app.user("manon", "manager", "", "correct horse battery");

    let body = dm(
        "m_hello",
        "24000000000000001",
        "Bonjour, mon train de 8h12 est encore en retard, que faire ?",
    );
    // A wrong signature, none, or a signature of another body: 401, nothing stored.
    assert_eq!(deliver(&app, &body, Some("sha256=00ff")), 401);
    assert_eq!(deliver(&app, &body, None), 401);
    assert_eq!(deliver(&app, &body, Some(&sign("{}"))), 401);
    // Over 1 MiB, even signed: 413, nothing stored.
    let big = format!(
        r#"{{"object":"page","entry":[],"pad":"{}"}}"#,
        "x".repeat(1024 * 1024)
    );
    assert_eq!(deliver(&app, &big, Some(&sign(&big))), 413);
    assert!(queued(&app).is_empty(), "{:?}", queued(&app));

    // Signed: 200 at once; the same delivery again: 200, stored once.
    assert_eq!(deliver(&app, &body, Some(&sign(&body))), 200);
    assert_eq!(deliver(&app, &body, Some(&sign(&body))), 200);
    let id = conversation("24000000000000001");
    let view = wait_conversation(&app, &token, &id);
    let messages = view["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{view}");
    assert!(
        messages[0]["text"].as_str().unwrap().contains("8h12"),
        "{view}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while queued(&app) != [("done".to_owned(), String::new())] {
        assert!(Instant::now() < deadline, "{:?}", queued(&app));
        std::thread::sleep(Duration::from_millis(50));
    }

    // The acknowledgement does not wait for the pipeline: measure it.
    let mut acks = Vec::new();
    for i in 0..30 {
        let b = dm(
            &format!("m_lat_{i}"),
            &format!("2400000000000010{i:02}"),
            "Bonjour, une question sur mon abonnement",
        );
        let sig = sign(&b);
        let t = Instant::now();
        assert_eq!(deliver(&app, &b, Some(&sig)), 200);
        acks.push(t.elapsed());
    }
    acks.sort();
    eprintln!(
        "webhook acknowledgement over {} deliveries: median {:?}, max {:?}",
        acks.len(),
        acks[acks.len() / 2],
        acks[acks.len() - 1]
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while queued(&app).iter().filter(|(s, _)| s == "done").count() < 31 {
        assert!(Instant::now() < deadline, "{:?}", queued(&app));
        std::thread::sleep(Duration::from_millis(50));
    }
    wait_conversation(&app, &token, &conversation("240000000000001029"));
}

#[test]
fn deliveries_queued_before_a_crash_are_processed_at_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (graph, _) = fake_graph(200, "{}");
    let store = dir.path().join("palabre.db").display().to_string();
    let cfg = config(dir.path(), &graph);
    let app = spawn_serve(&cfg, &store, true, &[]);
    let token = app.user("manon", "manager", "", "correct horse battery");
    let first = dm(
        "m_before",
        "24000000000000007",
        "Bonjour, ma carte ne passe pas",
    );
    assert_eq!(deliver(&app, &first, Some(&sign(&first))), 200);
    wait_conversation(&app, &token, &conversation("24000000000000007"));
    // The delivery is marked done just after its conversation is written: wait for that, so
    // that what the crash leaves pending is only what is queued below.
    common::wait_until("the first delivery marked done", || {
        palabre_store::Workspace::open(&store)
            .unwrap()
            .webhook_backlog()
            .unwrap()
            == 0
    });
    // Killed (SIGKILL).
    drop(app);
    // What the webhook route had queued and acknowledged when the process died: pending rows.
    let mut ws = palabre_store::Workspace::open(&store).unwrap();
    for (mid, psid) in [
        ("m_crash_1", "24000000000000008"),
        ("m_crash_2", "24000000000000009"),
    ] {
        let body = dm(mid, psid, "Bonjour, mon remboursement n'est jamais arrivé");
        let (_, new) = ws.queue_webhook("messenger", "page", &body).unwrap();
        assert!(new);
    }
    assert_eq!(ws.webhook_backlog().unwrap(), 2);
    drop(ws);
    let app = spawn_serve(&cfg, &store, true, &[]);
    for psid in ["24000000000000008", "24000000000000009"] {
        wait_conversation(&app, &token, &conversation(psid));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while palabre_store::Workspace::open(&store)
        .unwrap()
        .webhook_backlog()
        .unwrap()
        > 0
    {
        assert!(Instant::now() < deadline, "{:?}", queued(&app));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        queued(&app).iter().all(|(s, _)| s == "done"),
        "{:?}",
        queued(&app)
    );
}

#[test]
fn an_expired_page_token_keeps_the_reply_and_marks_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let (graph, seen) = fake_graph(
        400,
        r#"{"error":{"message":"Error validating access token: Session has expired on Tuesday.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"AbC"}}"#,
    );
    let store = dir.path().join("palabre.db").display().to_string();
    let app = spawn_serve(&config(dir.path(), &graph), &store, true, &[]);
    let token = app.user("manon", "manager", "", "correct horse battery");
    let body = dm(
        "m_auth",
        "24000000000000042",
        "Bonjour, je voudrais changer mon billet",
    );
    assert_eq!(deliver(&app, &body, Some(&sign(&body))), 200);
    let id = conversation("24000000000000042");
    wait_conversation(&app, &token, &id);
    let (status, reply) = app.post(
        &token,
        &format!("/api/conversations/{id}/replies"),
        &json!({"text": "Bonjour, nous regardons votre billet."}),
    );
    assert_eq!(status, 200, "{reply}");

    // The sender tried once, Meta refused the token: the account shows it.
    let deadline = Instant::now() + Duration::from_secs(20);
    let state = loop {
        let states = palabre_store::Workspace::open(&store)
            .unwrap()
            .connector_states()
            .unwrap();
        if let Some(s) = states.into_iter().find(|s| s.name == "page/send") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "no health recorded for page/send"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        state.status,
        palabre_store::workspace::ConnectorStatus::AuthFailed
    );
    assert!(
        state
            .error
            .as_deref()
            .unwrap()
            .contains("expired or revoked"),
        "{state:?}"
    );
    // The action is kept for when the token is renewed, not dead. (The account's health is
    // written while sending; the round's result a moment later, with the round's commit.)
    let deadline = Instant::now() + Duration::from_secs(20);
    let item = loop {
        let pending = app.get_json(&token, "/api/outbox?status=pending");
        let found = pending
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["conversation_id"] == id.as_str())
            .cloned();
        if let Some(item) = found {
            break item;
        }
        assert!(
            Instant::now() < deadline,
            "the reply is not pending: {pending}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        item["last_error"].as_str().unwrap().contains("190"),
        "{item}"
    );
    let dead = app.get_json(&token, "/api/outbox?status=dead");
    assert!(dead.as_array().unwrap().is_empty(), "{dead}");
    // What reached the fake Graph API: the Send API, inside the 24-hour window.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0]
            .0
            .starts_with(&format!("POST /v21.0/{PAGE}/messages")),
        "{seen:?}"
    );
    let sent: Value = serde_json::from_str(&seen[0].1).unwrap();
    assert_eq!(sent["messaging_type"], "RESPONSE");
    assert_eq!(sent["recipient"]["id"], "24000000000000042");
}

#[test]
fn x_account_activity_bodies_go_through_the_pipeline() {
    // The demo configuration: the brand is @lumiere_tr (X id 1000).
    let app = common::spawn_app(common::Backend::Sqlite).unwrap();
    let token = app.user("manon", "manager", "", "correct horse battery");
    let now = jiff::Timestamp::now();
    let created = now.strftime("%a %b %d %H:%M:%S +0000 %Y").to_string();
    let body = json!({"for_user_id": "1000", "tweet_create_events": [{
        "id_str": "1890000000000000001", "created_at": created,
        "text": "@lumiere_tr mon train de 8h12 est encore supprimé, c'est inadmissible",
        "user": {"id_str": "77", "screen_name": "jeanne", "name": "Jeanne"},
        "entities": {"user_mentions": [{"screen_name": "lumiere_tr", "id_str": "1000"}]},
        "lang": "fr"}],
        "direct_message_events": [{"type": "message_create", "id": "1890000000000000002",
            "created_timestamp": now.as_millisecond().to_string(),
            "message_create": {"target": {"recipient_id": "1000"}, "sender_id": "78",
                "message_data": {"text": "Bonjour, j'ai perdu mon abonnement"}}}],
        "users": {"78": {"id": "78", "screen_name": "paul", "name": "Paul"}}})
    .to_string();
    let decisions = app.events(&token, &[body]);
    assert_eq!(decisions.len(), 2, "{decisions:?}");
    for d in &decisions {
        assert_ne!(d["outcome"], "invalid", "{d}");
    }
    assert_eq!(decisions[0]["event_id"], "x:1890000000000000002");
    assert_eq!(decisions[0]["conversation_id"], "x:dm:1000:78");
    assert_eq!(decisions[1]["event_id"], "x:1890000000000000001");
    let view = wait_conversation(
        &app,
        &token,
        decisions[1]["conversation_id"].as_str().unwrap(),
    );
    assert_eq!(view["messages"][0]["author_handle"], "jeanne", "{view}");
}

/// An X account with `webhook = { consumer_secret }` answers X's CRC on `/webhooks/NAME` and
/// takes only deliveries signed with that secret.
#[test]
fn an_x_account_answers_the_crc_and_checks_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("palabre.toml");
    std::fs::write(
        &cfg,
        r#"
[[channels]]
platform = "x"
id = "2244994945"
handle = "TwitterDev"

[[accounts]]
platform = "x"
name = "brand-x"
user_id = "2244994945"
webhook = { consumer_secret = "env:PALABRE_TEST_X_SECRET" }
"#,
    )
    .unwrap();
    let store = dir.path().join("palabre.db").display().to_string();
    let app = spawn_serve(
        &cfg,
        &store,
        false,
        &[("PALABRE_TEST_X_SECRET", "x-secret")],
    );
    let agent = app.agent();
    let mut r = agent
        .get(&format!(
            "{}/webhooks/brand-x?crc_token=challenge123",
            app.url
        ))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.body_mut().read_json().unwrap();
    use base64::Engine as _;
    let expected = format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(hmac_sha256(b"x-secret", b"challenge123"))
    );
    assert_eq!(v["response_token"], expected.as_str());

    let body = std::fs::read_to_string(
        common::root().join("crates/connectors/fixtures/x/activity_tweet_create_mention.json"),
    )
    .unwrap();
    let sign = |secret: &[u8]| {
        format!(
            "sha256={}",
            base64::engine::general_purpose::STANDARD.encode(hmac_sha256(secret, body.as_bytes()))
        )
    };
    let post = |signature: &str| {
        agent
            .post(&format!("{}/webhooks/brand-x", app.url))
            .header("x-twitter-webhooks-signature", signature)
            .header("Content-Type", "application/json")
            .send(body.as_bytes())
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(post(&sign(b"wrong secret")), 401);
    assert_eq!(post(&sign(b"x-secret")), 200);
}
