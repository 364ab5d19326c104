//! A review edited by its author: kept as a revision in the review's conversation (before →
//! after, after the brand's answer or not), never set aside as an id conflict.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{decision_lines, reasons, replay};
use serde_json::json;

fn review(text: &str, rating: u8, at: &str) -> String {
    json!({"platform": "generic", "id": "rv-1", "kind": "review", "text": text, "rating": rating,
        "recipient": "5550001", "created_at": at, "lang": "fr",
        "author": {"id": "u-77", "handle": "claire"}})
    .to_string()
}

#[test]
fn an_edited_review_is_a_revision_in_its_conversation_and_the_same_edit_twice_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("p.db").display().to_string();
    let first = review(
        "Attente interminable au guichet.",
        2,
        "2026-11-02T10:00:00Z",
    );
    let edited = review(
        "Attente interminable au guichet, mais le service client a rappelé : tout est réglé.",
        4,
        "2026-11-03T09:00:00Z",
    );
    let lines = [first.clone(), edited.clone(), edited.clone(), first];
    let out = replay(
        &["--channel", "generic:5550001:lumiere", "--state", &store],
        Some(&lines.join("\n")),
    );
    let d = decision_lines(&out);
    assert_eq!(d[0]["outcome"], "routed_to_human", "{}", d[0]);
    assert_eq!(d[1]["outcome"], "routed_to_human", "{}", d[1]);
    assert!(reasons(&d[1]).contains("review_revised"), "{}", d[1]);
    assert_eq!(d[1]["conversation_id"], d[0]["conversation_id"]);
    let revision_id = d[1]["event_id"].as_str().unwrap();
    assert!(
        revision_id.starts_with("generic:rv-1~rev-"),
        "{revision_id}"
    );
    for again in &d[2..] {
        assert_eq!(again["outcome"], "ignored", "{again}");
        assert_eq!(reasons(again), "duplicate");
    }
    // Both versions in the conversation, in order, with their ratings; nothing set aside.
    let mut ws = palabre_store::Workspace::open(&store).unwrap();
    let view = ws
        .conversation_view(
            d[0]["conversation_id"].as_str().unwrap(),
            &palabre_store::workspace::Scope::All,
        )
        .unwrap()
        .unwrap();
    let texts: Vec<&str> = view.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts[1].contains("tout est réglé"));
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(!summary.contains("id_conflict"), "{summary}");
}

#[test]
fn the_conversation_shows_a_revision_after_the_brands_answer_as_such() {
    let app = common::spawn_app(common::Backend::Sqlite).unwrap();
    let token = app.user("manon", "manager", "", "correct horse battery");
    let at = |secs_ago: i64| {
        jiff::Timestamp::from_second(jiff::Timestamp::now().as_second() - secs_ago)
            .unwrap()
            .to_string()
    };
    let d = app.events(
        &token,
        &[review("Attente interminable au guichet.", 2, &at(120))],
    );
    let conversation = d[0]["conversation_id"].as_str().unwrap().to_owned();
    let path = conversation.replace(':', "%3A");
    let (status, reply) = app.post(
        &token,
        &format!("/api/conversations/{path}/replies"),
        &json!({"text": "Nous sommes désolés, un conseiller vous rappelle aujourd'hui."}),
    );
    assert!(status < 300, "{reply}");
    common::wait_until("the answer sent", || {
        app.get_json(&token, &format!("/api/conversations/{path}"))["outbox"][0]["status"] == "sent"
    });
    std::thread::sleep(std::time::Duration::from_millis(1100));
    app.events(
        &token,
        &[review(
            "Rappelé dans l'heure, tout est réglé. Merci !",
            5,
            &at(0),
        )],
    );
    let (_, html) = app.get(&token, &format!("/c/{path}?lang=fr"));
    assert!(html.contains("avis modifié après votre réponse"), "{html}");
    assert!(html.contains("★★☆☆☆") && html.contains("★★★★★"), "{html}");
}
