//! Connectors through the real binary: `palabre serve` with `[[accounts]]` entries pointed at
//! fakes. A mention on a fake X filtered stream, and a review on a fake Trustpilot, become
//! conversations in the API, and a person's reply is posted to the fake platform.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "../../connectors/tests/common/mod.rs"]
mod fake;

use common::spawn_with_config;
use fake::{Fake, Part, Reply, bytes, fixture, json};
use serde_json::json;
use std::time::{Duration, Instant};

#[test]
fn a_mention_on_the_x_stream_becomes_a_conversation_and_its_reply_goes_to_x() {
    let tweet = json!({
        "data": {
            "id": "1790000000000000042",
            "text": "@lumiere_tr mon train de 8h12 est encore annulé, je fais comment ?",
            "author_id": "4242",
            "created_at": "2026-03-22T20:01:05.000Z",
            "conversation_id": "1790000000000000042",
            "entities": {"mentions": [{"start": 0, "end": 11, "username": "lumiere_tr", "id": "1000"}]},
            "lang": "fr"
        },
        "includes": {"users": [{"id": "4242", "username": "claire_v", "name": "Claire V."}]},
        "matching_rules": [{"id": "1", "tag": "mentions"}]
    })
    .to_string();
    let fake = Fake::start(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("GET", "/2/tweets/search/stream/rules") => json(
            200,
            r#"{"data":[{"id":"1","value":"@lumiere_tr","tag":"mentions"}],"meta":{"sent":"2026-03-22T20:00:00.000Z","result_count":1}}"#,
        ),
        ("GET", "/2/tweets/search/stream") => Reply::Stream {
            status: 200,
            parts: vec![
                bytes("\r\n"),
                bytes(&format!("{tweet}\r\n")),
                Part::Sleep(Duration::from_secs(60)),
            ],
        },
        ("POST", "/2/tweets") => json(201, r#"{"data":{"id":"1790000000000000099","text":"ok"}}"#),
        _ => json(404, r#"{"title":"Not Found"}"#),
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("palabre.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[channels]]
platform = "x"
id = "1000"
handle = "lumiere_tr"

[pipeline]
queue = "service-client"

[[accounts]]
platform = "x"
name = "lumiere-x"
user_id = "1000"
bearer_token = "env:PALABRE_TEST_X_APP_TOKEN"
user_token = "user-token"
api_url = "{}"
stream = true
rules = [{{ value = "@lumiere_tr", tag = "mentions" }}]
"#,
            fake.url
        ),
    )
    .unwrap();
    // The app-only token comes from the server's environment (`env:NAME`).
    let app = spawn_with_config(&config, &[("PALABRE_TEST_X_APP_TOKEN", "app-token")]);
    let token = app.user("manon", "manager", "", "a long enough password 42");
    let id = "x:1790000000000000042";
    let deadline = Instant::now() + Duration::from_secs(30);
    let conversation = loop {
        let list = app.get_json(&token, "/api/conversations");
        if let Some(row) = list.as_array().unwrap().iter().find(|r| r["id"] == id) {
            break row.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no conversation from the stream: {list}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(conversation["id"], id);
    let stream = &fake.on("/2/tweets/search/stream")[0];
    assert_eq!(stream.header("authorization"), Some("Bearer app-token"));

    let (status, body) = app.post(
        &token,
        &format!("/api/conversations/{}/replies", id.replace(':', "%3A")),
        &json!({"text": "Bonjour Claire, nous regardons votre trajet.", "idempotency_key": "k-x-1"}),
    );
    assert_eq!(status, 200, "{body}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let posted = loop {
        if let Some(p) = fake.on("/2/tweets").into_iter().next() {
            break p;
        }
        assert!(Instant::now() < deadline, "the reply never reached X");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(posted.header("authorization"), Some("Bearer user-token"));
    assert_eq!(
        posted.json(),
        json!({"text": "Bonjour Claire, nous regardons votre trajet.", "reply": {"in_reply_to_tweet_id": "1790000000000000042"}})
    );
}

#[test]
fn a_trustpilot_review_becomes_a_conversation_and_its_reply_goes_to_trustpilot() {
    let page = fixture("trustpilot/business_unit_reviews_page.json");
    let fake = Fake::start(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("GET", "/v1/business-units/46d6a890ffa235a75b00021d/reviews") => json(200, &page),
        ("POST", p) if p.starts_with("/v1/private/reviews/") => json(201, ""),
        _ => json(404, "{}"),
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("palabre.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[pipeline]
queue = "service-client"

[[accounts]]
platform = "trustpilot"
name = "lumiere-trustpilot"
business_unit_id = "46d6a890ffa235a75b00021d"
api_key = "tp-api-key"
token = "tp-oauth-token"
author_business_user_id = "507f191e810c19729de860ea"
api_url = "{}"
poll = "1s"
"#,
            fake.url
        ),
    )
    .unwrap();
    let app = spawn_with_config(&config, &[]);
    let token = app.user("manon", "manager", "", "a long enough password 42");
    let id = "trustpilot:5e4a0c2b9e1f7a0001a2b3c4";
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let list = app.get_json(&token, "/api/conversations");
        if list.as_array().unwrap().iter().any(|r| r["id"] == id) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no conversation from the review: {list}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let view = app.get_json(
        &token,
        &format!("/api/conversations/{}", id.replace(':', "%3A")),
    );
    assert!(view.to_string().contains("Colis jamais livr"), "{view}");
    let (status, body) = app.post(
        &token,
        &format!("/api/conversations/{}/replies", id.replace(':', "%3A")),
        &json!({"text": "Bonjour Marie, votre colis est reparti ce matin.", "idempotency_key": "k-tp-1"}),
    );
    assert_eq!(status, 200, "{body}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let posted = loop {
        if let Some(p) = fake.requests().into_iter().find(|r| r.method == "POST") {
            break p;
        }
        assert!(
            Instant::now() < deadline,
            "the reply never reached Trustpilot"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        posted.path,
        "/v1/private/reviews/5e4a0c2b9e1f7a0001a2b3c4/reply"
    );
    assert_eq!(
        posted.json(),
        json!({"message": "Bonjour Marie, votre colis est reparti ce matin.", "authorBusinessUserId": "507f191e810c19729de860ea"})
    );
    assert_eq!(
        posted.header("authorization"),
        Some("Bearer tp-oauth-token")
    );
    // Polled again every second from the saved checkpoint: the review at the checkpoint is
    // read again, and stays one message.
    let deadline = Instant::now() + Duration::from_secs(30);
    while fake.requests().iter().filter(|r| r.method == "GET").count() < 3 {
        assert!(Instant::now() < deadline, "not polled again");
        std::thread::sleep(Duration::from_millis(100));
    }
    let view = app.get_json(
        &token,
        &format!("/api/conversations/{}", id.replace(':', "%3A")),
    );
    let messages = view["messages"].as_array().unwrap();
    let inbound = messages
        .iter()
        .filter(|m| m.to_string().contains("Colis jamais livr"))
        .count();
    assert_eq!(inbound, 1, "{view}");
}
