//! What `serve` does is what `replay` says: the same stream through `palabre replay` and through
//! a running `palabre serve` (sandbox network) gives the same decisions, and the outbox sends
//! exactly the replies, help replies and hides that replay printed, in the same order per
//! conversation. Then people act in the server (a draft approved, a conversation taken over),
//! and a replay over a copy of the server's store decides the next events as the server does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{App, BIN, Backend, root, spawn_app};

const PASSWORD: &str = "correct horse battery";
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

/// A generic X event created `secs` seconds after `base`.
fn event(base: jiff::Timestamp, secs: i64, fields: Value) -> String {
    let mut v = json!({"platform": "x", "kind": "post", "lang": "fr",
        "created_at": (base + jiff::SignedDuration::from_secs(secs)).to_string()});
    for (k, val) in fields.as_object().unwrap() {
        v[k] = val.clone();
    }
    v.to_string()
}

fn author(id: &str, handle: &str) -> Value {
    json!({"id": id, "handle": handle, "name": handle, "followers": 50, "following": 80})
}

/// `palabre replay` with the demo configuration: its decision lines.
fn replay(lines: &[String], state: Option<&str>) -> Vec<Value> {
    let config = root().join("examples/demo/palabre.toml");
    let mut command = Command::new(BIN);
    command.arg("replay").arg("--config").arg(&config);
    if let Some(state) = state {
        command.args(["--state", state]);
    }
    let mut child = command
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(lines.join("\n").as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "replay failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// What a decision is, without its line number (a server's request numbers its own lines).
fn essence(d: &Value) -> Value {
    json!([
        d["event_id"],
        d["conversation_id"],
        d["outcome"],
        d["reasons"],
        d["reply"],
        d["queue"]
    ])
}

/// What replay's decisions send, per conversation, in order: (action, target, text).
fn expected_sends(decisions: &[Value]) -> BTreeMap<String, Vec<(String, String, Value)>> {
    let mut out: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for d in decisions {
        let target = d["event_id"]
            .as_str()
            .unwrap()
            .split_once(':')
            .unwrap()
            .1
            .to_owned();
        let conversation = d["conversation_id"].as_str().unwrap().to_owned();
        let sent = matches!(
            d["outcome"].as_str(),
            Some("bot_replied" | "routed_to_human")
        ) && d["reply"].is_string();
        if sent {
            out.entry(conversation.clone()).or_default().push((
                "reply".into(),
                target.clone(),
                d["reply"].clone(),
            ));
        }
        if d["outcome"] == "hidden" {
            out.entry(conversation)
                .or_default()
                .push(("hide".into(), target, Value::Null));
        }
    }
    out
}

/// The sandbox's posts grouped by the conversation of the message each one answers.
fn sent_by_conversation(
    posts: &[Value],
    conversation_of: &BTreeMap<String, String>,
) -> BTreeMap<String, Vec<(String, String, Value)>> {
    let mut out: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for p in posts {
        let target = p["in_reply_to"].as_str().unwrap().to_owned();
        let conversation = conversation_of
            .get(&target)
            .unwrap_or_else(|| panic!("a post answers {target}, which no decision names"))
            .clone();
        out.entry(conversation).or_default().push((
            p["action"].as_str().unwrap().to_owned(),
            target,
            p["text"].clone(),
        ));
    }
    out
}

fn conversations_of(decisions: &[Value], into: &mut BTreeMap<String, String>) {
    for d in decisions {
        let target = d["event_id"].as_str().unwrap().split_once(':').unwrap().1;
        into.insert(
            target.to_owned(),
            d["conversation_id"].as_str().unwrap().to_owned(),
        );
    }
}

/// Feeds the lines to the server in requests of `chunk` lines; the decisions.
fn serve_events(app: &App, token: &str, lines: &[String], chunk: usize) -> Vec<Value> {
    lines
        .chunks(chunk)
        .flat_map(|c| app.events(token, c))
        .collect()
}

/// Waits until the sandbox holds `n` posts, then a little longer to see that no more come.
fn settled_posts(app: &App, token: &str, n: usize) -> Vec<Value> {
    app.wait_posts(token, |p| p.len() >= n);
    std::thread::sleep(std::time::Duration::from_millis(700));
    app.wait_posts(token, |_| true)
}

#[test]
fn serve_sends_what_replay_prints_approvals_and_takeovers_included() {
    let app = spawn_app(Backend::Sqlite).unwrap();
    let token = app.user("maya", "manager", "", PASSWORD);
    let base = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(600);
    let tag = json!(["MonRésultat"]);
    let brand_post = "p-brand-1";
    let phase1 = vec![
        // Answered by the campaign.
        event(
            base,
            1,
            json!({"id": "a1", "text": "#MonRésultat 69003", "hashtags": tag, "author": author("701", "jeanne")}),
        ),
        // Malformed: a help reply goes out, and a person looks at it.
        event(
            base,
            2,
            json!({"id": "a2", "text": "#MonRésultat c'est quand les résultats ?", "hashtags": tag, "author": author("702", "paul")}),
        ),
        // The same person again: no second help reply.
        event(
            base,
            3,
            json!({"id": "a3", "text": "#MonRésultat je ne trouve pas ma commune", "hashtags": tag, "author": author("702", "paul")}),
        ),
        // The same request twice: answered once.
        event(
            base,
            4,
            json!({"id": "a4", "text": "#MonRésultat 69003", "hashtags": tag, "author": author("701", "jeanne")}),
        ),
        // A negative request: a draft for a person.
        event(
            base,
            5,
            json!({"id": "a5", "text": "#MonRésultat 38000 pas terrible", "hashtags": tag, "author": author("703", "lea")}),
        ),
        // An organisation: drafted, never sent by the bot.
        event(
            base,
            6,
            json!({"id": "a6", "text": "#MonRésultat 75011", "hashtags": tag, "author": author("704", "francetvinfo")}),
        ),
        // A fares question.
        event(
            base,
            7,
            json!({"id": "a7", "lang": "en", "text": "@aerolune how much is AMS → JFK on 12 May?", "mentions": ["aerolune"], "author": author("705", "alexnl")}),
        ),
        // Care: a person, no automated answer.
        event(
            base,
            8,
            json!({"id": "a8", "text": "@lumiere_tr mon train est annulé, je fais comment ?", "mentions": ["lumiere_tr"], "author": author("706", "camille")}),
        ),
        // An insult under the brand's post: hidden.
        event(
            base,
            9,
            json!({"id": "a9", "kind": "reply", "text": "@lumiere_tr bande de connards incompétents", "in_reply_to": brand_post, "in_reply_to_author": "1000", "mentions": ["lumiere_tr"], "author": author("707", "troll")}),
        ),
        // Another answered request, in the conversation a person will take over.
        event(
            base,
            10,
            json!({"id": "a10", "text": "#MonRésultat 35000", "hashtags": tag, "author": author("708", "yann")}),
        ),
    ];
    let replayed = replay(&phase1, None);
    let served = serve_events(&app, &token, &phase1, 4);
    assert_eq!(
        served.iter().map(essence).collect::<Vec<_>>(),
        replayed.iter().map(essence).collect::<Vec<_>>(),
        "serve decides as replay does"
    );
    let outcomes: Vec<&str> = replayed
        .iter()
        .map(|d| d["outcome"].as_str().unwrap())
        .collect();
    assert!(outcomes.contains(&"hidden") && outcomes.contains(&"drafted"));
    assert!(
        replayed
            .iter()
            .any(|d| d["outcome"] == "routed_to_human" && d["reply"].is_string()),
        "the stream holds a help reply: {replayed:?}"
    );
    let expected = expected_sends(&replayed);
    let n: usize = expected.values().map(Vec::len).sum();
    let posts = settled_posts(&app, &token, n);
    let mut conversation_of = BTreeMap::new();
    conversations_of(&replayed, &mut conversation_of);
    assert_eq!(
        sent_by_conversation(&posts, &conversation_of),
        expected,
        "the outbox sent exactly what replay printed, in order per conversation"
    );

    // People act: the negative request's draft is approved as it is, and the conversation of
    // a10 is taken over.
    let (status, body) = app.post(
        &token,
        "/api/drafts/x/a5/review",
        &json!({"verdict": "approve"}),
    );
    assert_eq!(status, 200, "{body}");
    let a10 = replayed[9]["conversation_id"].as_str().unwrap().to_owned();
    let (status, body) = app.post(
        &token,
        &format!("/api/conversations/{}/bot", a10.replace(':', "%3A")),
        &json!({"paused": true}),
    );
    assert_eq!(status, 200, "{body}");
    let approved_text = replayed[4]["reply"].clone();
    let posts = settled_posts(&app, &token, n + 1);
    assert_eq!(posts.len(), n + 1);
    assert_eq!(posts[n]["text"], approved_text);

    // A copy of the server's store, as it is now.
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join("copy.db").display().to_string();
    rusqlite::Connection::open(&app.store)
        .unwrap()
        .execute("VACUUM INTO ?1", [&copy])
        .unwrap();

    let phase2 = vec![
        // Léa asks again, calmly: her answer went out when it was approved.
        event(
            base,
            20,
            json!({"id": "b1", "text": "#MonRésultat 38000", "hashtags": tag, "author": author("703", "lea")}),
        ),
        // A new request in the taken-over conversation: the bot stays out.
        event(
            base,
            21,
            json!({"id": "b2", "kind": "reply", "text": "#MonRésultat 69001", "hashtags": tag, "in_reply_to": "a10", "in_reply_to_author": "708", "author": author("709", "nina")}),
        ),
        // Someone new: answered.
        event(
            base,
            22,
            json!({"id": "b3", "text": "#MonRésultat 13001", "hashtags": tag, "author": author("710", "marius")}),
        ),
        // Paul, who already got help: no second one.
        event(
            base,
            23,
            json!({"id": "b4", "text": "#MonRésultat svp ??", "hashtags": tag, "author": author("702", "paul")}),
        ),
    ];
    let replayed2 = replay(&phase2, Some(&copy));
    let served2 = serve_events(&app, &token, &phase2, 2);
    assert_eq!(
        served2.iter().map(essence).collect::<Vec<_>>(),
        replayed2.iter().map(essence).collect::<Vec<_>>(),
        "after an approval and a takeover, serve still decides as replay over its store does"
    );
    assert_eq!(
        replayed2[0]["reasons"],
        json!(["already_answered"]),
        "an approved draft counts as sent: {}",
        replayed2[0]
    );
    assert_eq!(replayed2[1]["reasons"], json!(["human_takeover"]));
    assert_eq!(replayed2[2]["outcome"], "bot_replied");
    assert!(
        replayed2[3]["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("help_already_sent"))
    );
    let expected2 = expected_sends(&replayed2);
    let n2: usize = expected2.values().map(Vec::len).sum();
    let posts = settled_posts(&app, &token, n + 1 + n2);
    conversations_of(&replayed2, &mut conversation_of);
    assert_eq!(
        sent_by_conversation(&posts[n + 1..], &conversation_of),
        expected2
    );
}
