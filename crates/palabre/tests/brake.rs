//! `palabre brake` on the command line: on with a reason, off, status, twice, in French; and
//! `replay --state` over that store decides as the server would, nothing automated while on.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{BIN, replay, root};
use std::process::{Command, Output};

fn brake(store: &str, args: &[&str], lang: &str) -> Output {
    Command::new(BIN)
        .env("PALABRE_LANG", lang)
        .args(["brake", "--store", store, "--actor", "ops"])
        .args(args)
        .output()
        .unwrap()
}

fn said(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn on_off_and_status_say_what_they_did() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("palabre.db").display().to_string();
    assert_eq!(
        said(&brake(&store, &["status"], "en")),
        "the crisis brake is off (never switched on)."
    );
    let empty = brake(&store, &["on", "--reason", " "], "en");
    assert_eq!(empty.status.code(), Some(2), "a reason that says nothing");
    assert!(String::from_utf8_lossy(&empty.stderr).contains("say why the brake goes on"));
    let missing = brake(&store, &["on"], "en");
    assert_eq!(missing.status.code(), Some(2), "no reason at all");
    let on = said(&brake(&store, &["on", "--reason", "scène effondrée"], "en"));
    assert!(on.starts_with("the crisis brake is on since "), "{on}");
    assert!(
        on.ends_with("by ops « scène effondrée »: nothing automated goes out."),
        "{on}"
    );
    let twice = said(&brake(&store, &["on", "--reason", "encore"], "fr"));
    assert!(
        twice.starts_with("Rien de changé : le frein de crise est serré depuis "),
        "{twice}"
    );
    assert!(twice.contains("« scène effondrée »"), "{twice}");
    // On one channel only (the brake moves there: it was on every channel).
    let one = said(&brake(
        &store,
        &["on", "--reason", "panne", "--channel", "x:1000"],
        "en",
    ));
    assert!(
        one.starts_with("the crisis brake is on for x:1000 since "),
        "{one}"
    );
    let bad = brake(&store, &["on", "--reason", "panne", "--channel", "x"], "en");
    assert_eq!(bad.status.code(), Some(2), "not a channel key");
    let off = said(&brake(&store, &["off"], "en"));
    assert!(off.starts_with("the crisis brake is off since "), "{off}");
    assert!(
        said(&brake(&store, &["status"], "fr"))
            .starts_with("le frein de crise est desserré depuis ")
    );
}

#[test]
fn replay_over_a_braked_store_answers_nothing_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("palabre.db").display().to_string();
    let campaign = root().join("examples/campaigns/mon-resultat/mon-resultat.toml");
    let request = |id: &str| {
        format!(
            r##"{{"platform":"x","id":"{id}","text":"#MonRésultat 69003","created_at":"2026-03-22T20:00:00Z","lang":"fr","author":{{"id":"{id}","handle":"h{id}","name":"Jo"}}}}"##
        )
    };
    let args = [
        "--campaign",
        campaign.to_str().unwrap(),
        "--state",
        store.as_str(),
        "-",
    ];
    let got = common::decision_lines(&replay(&args, Some(&request("1"))));
    assert_eq!(got[0]["outcome"], "bot_replied");
    said(&brake(
        &store,
        &["on", "--reason", "répétition de crise"],
        "en",
    ));
    let got = common::decision_lines(&replay(&args, Some(&request("2"))));
    assert_eq!(got[0]["outcome"], "routed_to_human", "{}", got[0]);
    assert_eq!(common::reasons(&got[0]), "crisis_brake");
    said(&brake(&store, &["off"], "en"));
    let got = common::decision_lines(&replay(&args, Some(&request("3"))));
    assert_eq!(got[0]["outcome"], "bot_replied", "{}", got[0]);
}
