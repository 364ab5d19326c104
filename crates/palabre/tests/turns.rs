//! Turn-taking in campaigns, through `palabre replay`: the bot's help or question is answered
//! in the conversation (a thread or direct messages) and the answer completes the request;
//! the examples' multi-turn streams decide as written, and a restart between the question and
//! the answer changes nothing (SQLite and PostgreSQL).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{replay, root};
use serde_json::Value;
use std::path::PathBuf;

fn example(name: &str) -> (PathBuf, PathBuf) {
    let dir = root().join("examples/campaigns").join(name);
    (dir.join(format!("{name}.toml")), dir.join("turns.jsonl"))
}

fn decisions(args: &[&str], stdin: Option<&str>) -> Vec<Value> {
    common::decision_lines(&replay(args, stdin))
}

/// `(outcome, "reason,reason", campaign key)` of each decision.
fn verdicts(got: &[Value]) -> Vec<(String, String, String)> {
    got.iter()
        .map(|d| {
            (
                d["outcome"].as_str().unwrap().to_owned(),
                common::reasons(d),
                d["campaign_key"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn expect(got: &[Value], expected: &[(&str, &str, &str)]) {
    let v = verdicts(got);
    assert_eq!(v.len(), expected.len());
    for (i, (have, want)) in v.iter().zip(expected).enumerate() {
        assert_eq!(
            (have.0.as_str(), have.1.as_str(), have.2.as_str()),
            *want,
            "line {}: {}",
            i + 1,
            got[i]
        );
    }
}

const HELP: (&str, &str, &str) = ("routed_to_human", "malformed_request", "help");
const ASK: (&str, &str, &str) = (
    "routed_to_human",
    "malformed_request,unclear_intent",
    "help",
);

fn answered(key: &'static str) -> (&'static str, &'static str, &'static str) {
    ("bot_replied", "campaign_answer,follow_up", key)
}

#[test]
fn mon_resultat_questions_are_answered_in_threads_and_direct_messages() {
    let (campaign, turns) = example("mon-resultat");
    let got = decisions(
        &[
            "--campaign",
            campaign.to_str().unwrap(),
            turns.to_str().unwrap(),
        ],
        None,
    );
    let usual = ("routed_to_human", "reply_to_channel", "");
    expect(
        &got,
        &[
            HELP,                                                       // 1 the hashtag alone
            answered("code=69003"), // 2 the code, in the thread, without the hashtag
            HELP,                   // 3 a DM with a name the table does not know
            answered("code=69003"), // 4 the code alone, next DM
            ASK,                    // 5 a name shared by two communes: a numbered choice
            answered("code=97400"), // 6 "celle de La Réunion"
            ASK,                    // 7
            answered("code=97400"), // 8 "2"
            HELP,                   // 9
            usual,                  // 10 after the window (38 min): a person reads it
            HELP,                   // 11
            ("routed_to_human", "reply_to_channel,anger", ""), // 12 a complaint: never forced
            HELP,                   // 13
            usual,                  // 14 another person's code in the same thread
            usual,                  // 15 an emoji is no answer…
            answered("code=69100"), // 16 …and the request still waits
            HELP,                   // 17
            ("routed_to_human", "malformed_request,follow_up", "help"), // 18 not found: one more question
            (
                "routed_to_human",
                "malformed_request,questions_exhausted,follow_up",
                "help",
            ), // 19 still not: a person takes it
            usual,                             // 20 the request is a person's now
            HELP,                              // 21
            answered("code=69003;code=38000"), // 22 two codes: both in one reply
            HELP,                              // 23 two requests waiting in one thread…
            HELP,                              // 24
            (
                "routed_to_human",
                "conversation_cap,follow_up",
                "code=35000",
            ), // 25 …each read as its author's
            (
                "routed_to_human",
                "conversation_cap,follow_up",
                "code=38000",
            ), // 26 (the thread's cap holds)
            ASK,                               // 27
            ("routed_to_human", "reply_to_channel,invalid_choice", ""), // 28 a tampered button
            answered("code=97400"),            // 29 the real button
        ],
    );
    let reply = |i: usize| got[i]["reply"].as_str().unwrap_or("").to_owned();
    // The choice is numbered and tells the two Saint-Denis apart by their department.
    assert!(
        reply(4).starts_with(
            "Paul Girard, lequel voulez-vous ? 1) 93200 (Saint-Denis, Seine-Saint-Denis) 2) 97400 (Saint-Denis, La Réunion)"
        ),
        "{}",
        reply(4)
    );
    assert!(reply(5).starts_with("Saint-Denis (FICTIF)"), "{}", reply(5));
    // The question asked again differs from the help (never the same text twice).
    assert!(reply(17).starts_with("Désolé Wendy Garnier, je ne trouve toujours pas."));
    assert_eq!(got[18]["reply"], Value::Null, "no third question");
    // An answer belongs to the exchange that asked for it.
    assert_eq!(got[1]["conversation_id"], got[0]["conversation_id"]);
    assert_eq!(got[3]["conversation_id"], got[2]["conversation_id"]);
    // Both places of a two-code answer are in its reply.
    assert!(reply(21).contains("Lyon 3e") && reply(21).contains("Grenoble"));
}

#[test]
fn fares_questions_are_answered_in_direct_messages() {
    let (campaign, turns) = example("fares");
    let got = decisions(
        &[
            "--campaign",
            campaign.to_str().unwrap(),
            turns.to_str().unwrap(),
        ],
        None,
    );
    let dm = ("routed_to_human", "direct_message", "");
    expect(
        &got,
        &[
            HELP,                              // 1 the departure is missing ("pour aller à New York")
            answered("from=CDG&to=JFK&date="), // 2 "depuis Paris" completes it, in its place
            HELP,                              // 3 in English
            dm,                                // 4 thanks: no answer, the request waits
            answered("from=AMS&to=JFK&date=2026-05-12"), // 5 "to New York on 12 May"
            HELP,                              // 6
            (
                "routed_to_human",
                "malformed_request,help_already_sent",
                "help",
            ), // 7 40 min later
            HELP,                              // 8
            ("routed_to_human", "anger", "help"), // 9 a complaint: a person
            ASK,                               // 10 Paris: CDG and ORY both fly to Barcelona
            answered("from=ORY&to=BCN&date="), // 11 "Orly"
            ASK,                               // 12
            answered("from=CDG&to=BCN&date="), // 13 "1"
            ("bot_replied", "campaign_answer", "from=ORY&to=LIS&date="), // 14 only Orly flies there
        ],
    );
    assert!(
        got[9]["reply"]
            .as_str()
            .unwrap()
            .contains("1) CDG BCN (Charles de Gaulle) 2) ORY BCN (Paris Orly)"),
        "{}",
        got[9]
    );
    assert!(
        got[11]["reply"]
            .as_str()
            .unwrap()
            .starts_with("Nora Smith, which one do you mean? 1) CDG BCN"),
        "{}",
        got[11]
    );
    assert!(
        got[4]["reply"]
            .as_str()
            .unwrap()
            .starts_with("Hi Jack Miller! Amsterdam (AMS) → New York (JFK)"),
        "answered in the language of the request: {}",
        got[4]
    );
}

/// The help before the restart; the answer, the next (a quick reply included), after.
fn a_restart_between_the_question_and_the_answer_changes_nothing(state: &str) {
    let (campaign, _) = example("mon-resultat");
    let args = ["--campaign", campaign.to_str().unwrap(), "--state", state];
    let event = |id: &str, text: &str, at: &str, extra: &str| {
        format!(
            r#"{{"platform":"x","id":"{id}","kind":"reply","text":"{text}","created_at":"2026-03-22T20:{at}Z","lang":"fr","author":{{"id":"91","handle":"h91","name":"Jo"}},"thread_root":"s1","in_reply_to":"s1","in_reply_to_author":"2000"{extra}}}"#
        )
    };
    let first = format!(
        "{}\n{}\n",
        event("s1", "#MonRésultat Saint-Denis", "00:00", ""),
        event("s2", "hmm", "01:00", "")
    );
    let got = verdicts(&decisions(&args, Some(&first)));
    assert_eq!(got[0].1, "malformed_request,unclear_intent");
    let second = event(
        "s3",
        "Saint-Denis",
        "05:00",
        r#","choice":"choice:mon-resultat:93200""#,
    );
    let got = decisions(&args, Some(&second));
    assert_eq!(
        verdicts(&got)[0],
        (
            "bot_replied".to_owned(),
            "campaign_answer,follow_up".to_owned(),
            "code=93200".to_owned()
        ),
        "{}",
        got[0]
    );
    // Answered: nothing waits any more, after another restart.
    let third = event("s4", "2", "06:00", "");
    let got = verdicts(&decisions(&args, Some(&third)));
    assert_eq!(got[0].1, "reply_to_channel");
}

#[test]
fn a_restart_between_the_question_and_the_answer_changes_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_restart_between_the_question_and_the_answer_changes_nothing(
        dir.path().join("state.db").to_str().unwrap(),
    );
}

#[test]
fn a_restart_between_the_question_and_the_answer_changes_nothing_on_postgres() {
    let Some((url, _db)) = common::postgres_database() else {
        return;
    };
    a_restart_between_the_question_and_the_answer_changes_nothing(&url);
}

/// Mastodon gives no thread root: the person's reply points at the bot's reply, which the
/// stream never showed. It is still read as the answer, and joins the request's conversation.
/// Bluesky names the thread's root, like X.
#[test]
fn on_mastodon_and_bluesky_the_answer_joins_the_request() {
    let (campaign, _) = example("mon-resultat");
    let at = |s: u32| format!("2026-03-22T20:00:{s:02}Z");
    let lines = [
        serde_json::json!({"platform": "mastodon", "id": "m1", "kind": "post", "text": "#MonRésultat",
            "created_at": at(0), "lang": "fr", "author": {"id": "31", "handle": "lou@m.example", "name": "Lou"}}),
        serde_json::json!({"platform": "mastodon", "id": "m2", "kind": "reply", "text": "@infolocale 38000",
            "created_at": at(30), "lang": "fr", "in_reply_to": "bot-reply-never-seen", "in_reply_to_author": "110",
            "author": {"id": "31", "handle": "lou@m.example", "name": "Lou"}}),
        serde_json::json!({"platform": "bluesky", "id": "at://did:plc:zed/app.bsky.feed.post/1", "kind": "post",
            "text": "#MonRésultat Saint-Denis", "created_at": at(1), "lang": "fr",
            "author": {"id": "did:plc:zed", "handle": "zed.example", "name": "Zed"}}),
        serde_json::json!({"platform": "bluesky", "id": "at://did:plc:zed/app.bsky.feed.post/2", "kind": "reply",
            "text": "le premier", "created_at": at(40), "lang": "fr",
            "thread_root": "at://did:plc:zed/app.bsky.feed.post/1",
            "in_reply_to": "at://did:plc:infolocale/app.bsky.feed.post/9", "in_reply_to_author": "did:plc:infolocale",
            "author": {"id": "did:plc:zed", "handle": "zed.example", "name": "Zed"}}),
    ];
    let stdin: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let got = decisions(
        &["--campaign", campaign.to_str().unwrap(), "-"],
        Some(&stdin),
    );
    let v = verdicts(&got);
    // (Sample mode may also put the answer in front of a person.)
    assert_eq!(v[1].0, "bot_replied", "{}", got[1]);
    assert!(v[1].1.ends_with("follow_up"), "{}", got[1]);
    assert_eq!(v[1].2, "code=38000");
    assert_eq!(
        got[1]["conversation_id"], got[0]["conversation_id"],
        "the answer joins the request's conversation"
    );
    assert_eq!(v[3].0, "bot_replied", "{}", got[3]);
    assert!(v[3].1.ends_with("follow_up"), "{}", got[3]);
    assert_eq!(v[3].2, "code=93200");
}
