//! Crisis detection through `palabre replay`: a sudden disaster raises one alert within
//! minutes and holds what the bot would have sent; an ordinary bad-service afternoon, one
//! furious person, a burst of reposts and a flood of requests never do; a restart keeps the
//! alert; wrong settings are refused with the key named.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{replay, root};
use serde_json::{Value, json};

fn campaign() -> String {
    root()
        .join("examples/campaigns/mon-resultat/mon-resultat.toml")
        .display()
        .to_string()
}

fn decisions(args: &[&str], stdin: Option<&str>) -> Vec<Value> {
    common::decision_lines(&replay(args, stdin))
}

fn alerted(got: &[Value]) -> Vec<usize> {
    got.iter()
        .enumerate()
        .filter(|(_, d)| d["alerts"] == json!(["crisis_suspected"]))
        .map(|(i, _)| i + 1)
        .collect()
}

/// A post to @infolocale at `hh:mm:ss` on 21 June 2026.
fn post(id: &str, author: &str, text: &str, at: &str) -> Value {
    let mentions: Vec<&str> = if text.contains("@infolocale") {
        vec!["infolocale"]
    } else {
        vec![]
    };
    json!({"platform": "x", "id": id, "kind": "post", "text": text, "mentions": mentions,
        "created_at": format!("2026-06-21T{at}Z"), "lang": "fr",
        "author": {"id": author, "handle": format!("u{author}"), "name": format!("U{author}")}})
}

fn lines(events: &[Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

#[test]
fn a_sudden_disaster_raises_one_alert_and_holds_what_the_bot_would_send() {
    let stream = root().join("examples/crisis/stream.jsonl");
    let got = decisions(
        &[
            "--campaign",
            &campaign(),
            "--channel",
            "x:2000:infolocale",
            stream.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        alerted(&got),
        [9],
        "the fifth person in distress raises it, once"
    );
    // Before: the bot answers; complaints go to people.
    assert_eq!(got[0]["outcome"], "bot_replied");
    assert_eq!(got[2]["outcome"], "bot_replied");
    // After: what it would have sent waits for a person.
    for i in [10, 11] {
        assert_eq!(got[i]["outcome"], "drafted", "{}", got[i]);
        let reasons = got[i]["reasons"].as_array().unwrap();
        assert_eq!(reasons.last().unwrap(), "crisis_suspected", "{}", got[i]);
        assert!(got[i]["reply"].is_string(), "the text waits for approval");
    }
}

#[test]
fn bad_service_one_furious_person_reposts_and_a_flood_never_raise_it() {
    // An afternoon of complaints from twelve people, all angry, none in danger.
    let afternoon: Vec<Value> = (0..12)
        .map(|i| {
            post(
                &format!("a{i}"),
                &format!("{}", 300 + i),
                "@infolocale encore une panne, vous êtes nuls, remboursez-moi !",
                &format!("14:{:02}:00", i * 4),
            )
        })
        .collect();
    // One person, ten times, in distress.
    let one: Vec<Value> = (0..10)
        .map(|i| {
            post(
                &format!("o{i}"),
                "400",
                "@infolocale il y a de la fumée dans le hall, j'ai peur !!",
                &format!("16:00:{:02}", i * 5),
            )
        })
        .collect();
    // Twenty reposts of one message in distress.
    let reposts: Vec<Value> = (0..20)
        .map(|i| {
            json!({"platform": "x", "id": format!("r{i}"), "kind": "repost",
                "text": "RT @u401: @infolocale incendie dans la gare, évacuation !",
                "created_at": format!("2026-06-21T17:00:{:02}Z", i * 2), "lang": "fr",
                "referenced": {"id": "orig", "author_id": "401"},
                "author": {"id": format!("{}", 500 + i), "handle": format!("r{i}")}})
        })
        .collect();
    // Election night: 400 requests in five minutes, a few of them grim jokes.
    let flood: Vec<Value> = (0..400)
        .map(|i| {
            let text = if i % 50 == 0 {
                "#MonRésultat 69003 c'est la mort de la démocratie, j'ai peur pour la suite"
            } else {
                "#MonRésultat 69003"
            };
            post(
                &format!("f{i}"),
                &format!("{}", 1000 + i),
                text,
                &format!("20:0{}:{:02}", i / 80, (i % 80) * 3 / 4),
            )
        })
        .collect();
    for (name, events) in [
        ("afternoon", afternoon),
        ("one person", one),
        ("reposts", reposts),
        ("flood", flood),
    ] {
        let got = decisions(
            &[
                "--campaign",
                &campaign(),
                "--channel",
                "x:2000:infolocale",
                "-",
            ],
            Some(&lines(&events)),
        );
        assert!(alerted(&got).is_empty(), "{name}: {:?}", alerted(&got));
        assert!(
            !got.iter().any(|d| d["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == "crisis_suspected")),
            "{name}"
        );
    }
}

#[test]
fn the_clock_going_back_and_a_restart_keep_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let args = [
        "--campaign",
        &campaign(),
        "--channel",
        "x:2000:infolocale",
        "--state",
        state.to_str().unwrap(),
        "-",
    ];
    let distress = |i: u32, at: &str| {
        post(
            &format!("d{i}"),
            &format!("{}", 700 + i),
            "@infolocale la tribune s'est effondrée, il y a des blessés",
            at,
        )
    };
    // Three people, then the process stops.
    let got = decisions(
        &args,
        Some(&lines(&[
            distress(0, "21:00:00"),
            distress(1, "21:00:30"),
            distress(2, "21:01:00"),
        ])),
    );
    assert!(alerted(&got).is_empty());
    // After the restart, two more, one of them stamped earlier by a lagging clock: the
    // fifth raises it.
    let got = decisions(
        &args,
        Some(&lines(&[distress(3, "21:01:30"), distress(4, "20:59:00")])),
    );
    assert_eq!(alerted(&got), [2], "{got:?}");
    // Still active after another restart: the bot's answer waits.
    let got = decisions(
        &args,
        Some(&lines(&[post(
            "q1",
            "799",
            "#MonRésultat 38000",
            "21:10:00",
        )])),
    );
    assert_eq!(got[0]["outcome"], "drafted", "{}", got[0]);
    // Quiet for half an hour: it goes out again.
    let got = decisions(
        &args,
        Some(&lines(&[post(
            "q2",
            "798",
            "#MonRésultat 69003",
            "21:45:00",
        )])),
    );
    assert_eq!(got[0]["outcome"], "bot_replied", "{}", got[0]);
}

#[test]
fn with_brake_auto_the_alert_pulls_the_brake() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("palabre.toml");
    std::fs::write(&cfg, "[crisis]\nbrake = \"auto\"\n").unwrap();
    let stream = root().join("examples/crisis/stream.jsonl");
    let got = decisions(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--campaign",
            &campaign(),
            "--channel",
            "x:2000:infolocale",
            stream.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(alerted(&got), [9]);
    // Everything automated stops, as with the switch.
    for i in [10, 11] {
        assert_eq!(got[i]["outcome"], "routed_to_human", "{}", got[i]);
        assert_eq!(got[i]["reasons"], json!(["crisis_brake"]), "{}", got[i]);
    }
    let wrong = dir.path().join("wrong.toml");
    std::fs::write(&wrong, "[crisis]\nbrake = \"maybe\"\n").unwrap();
    let out = replay(&["--config", wrong.to_str().unwrap(), "-"], Some(""));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2") && err.contains("`propose` or `auto`"),
        "{err}"
    );
}

#[test]
fn wrong_settings_are_refused_with_the_key_named() {
    let dir = tempfile::tempdir().unwrap();
    for (section, key) in [
        ("min_people = 1", "crisis.min_people"),
        ("factor = 0.5", "crisis.factor"),
        ("min_share = 1.5", "crisis.min_share"),
        ("window = \"soon\"", "crisis.window"),
        ("quiet = \"0s\"", "crisis.quiet"),
    ] {
        let cfg = dir.path().join("palabre.toml");
        std::fs::write(&cfg, format!("[crisis]\n{section}\n")).unwrap();
        let out = replay(&["--config", cfg.to_str().unwrap(), "-"], Some(""));
        assert_eq!(out.status.code(), Some(2), "{section}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(key), "{section}: {err}");
    }
}
