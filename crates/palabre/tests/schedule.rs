//! `palabre replay --schedule`: a calendar rehearsed against a stream. Each post due during the
//! replayed period is printed in time order among the decisions, published, or held with its
//! reason (a crisis alert under way, the brake); a bad schedule file is refused, naming the post.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{replay, root};
use serde_json::Value;

fn run(extra: &[&str]) -> Vec<Value> {
    let stream = root().join("examples/crisis/stream.jsonl");
    let schedule = root().join("examples/crisis/schedule.toml");
    let campaign = root().join("examples/campaigns/mon-resultat/mon-resultat.toml");
    let mut args = vec![
        "--channel",
        "x:2000:infolocale",
        "--campaign",
        campaign.to_str().unwrap(),
        "--schedule",
        schedule.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args.push(stream.to_str().unwrap());
    common::decision_lines(&replay(&args, None))
}

/// Where each line comes from: `c-05` for a decision, `post:ID` for a scheduled post.
fn order(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| match l["scheduled_post"].as_str() {
            Some(id) => format!("post:{id}"),
            None => l["event_id"]
                .as_str()
                .unwrap()
                .trim_start_matches("x:")
                .to_owned(),
        })
        .collect()
}

#[test]
fn a_cheerful_post_due_during_a_disaster_is_held() {
    let lines = run(&[]);
    assert_eq!(
        order(&lines),
        [
            "c-01",
            "c-02",
            "c-03",
            "c-04",
            "post:resultats-22h30",
            "c-05",
            "c-06",
            "c-07",
            "c-08",
            "c-09",
            "post:photos-concert",
            "c-10",
            "c-11",
            "c-12"
        ],
        "in time order; the last post falls after the stream and is not printed"
    );
    let posts: Vec<&Value> = lines
        .iter()
        .filter(|l| l["scheduled_post"].is_string())
        .collect();
    assert_eq!(posts[0]["outcome"], "published");
    assert_eq!(posts[0]["reasons"], serde_json::json!([]));
    assert_eq!(posts[0]["due_at"], "2026-06-21T20:30:00Z", "22:30 in Paris");
    assert_eq!(posts[1]["outcome"], "held");
    assert_eq!(posts[1]["reasons"], serde_json::json!(["crisis_suspected"]));
    // The event before it raised the alert.
    assert_eq!(lines[9]["alerts"], serde_json::json!(["crisis_suspected"]));
}

#[test]
fn with_the_brake_on_every_post_is_held() {
    let lines = run(&["--crisis-brake"]);
    let posts: Vec<(&str, &Value)> = lines
        .iter()
        .filter_map(|l| Some((l["scheduled_post"].as_str()?, &l["reasons"])))
        .collect();
    assert_eq!(posts.len(), 2);
    for (id, reasons) in posts {
        assert_eq!(reasons, &serde_json::json!(["crisis_brake"]), "{id}");
    }
}

#[test]
fn a_bad_schedule_is_refused_naming_the_post() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "[[posts]]\nid = \"gap\"\nchannel = \"x:2000\"\nat = \"2026-03-29 02:30\"\ntext = \"Bonjour\"\n",
    )
    .unwrap();
    let out = replay(
        &[
            "--channel",
            "x:2000:infolocale",
            "--schedule",
            file.to_str().unwrap(),
            "-",
        ],
        Some(""),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml: posts[0] (`gap`): 2026-03-29 02:30 does not exist in Europe/Paris"),
        "{err}"
    );
}

#[test]
fn over_a_store_braked_on_one_channel_only_its_posts_are_held() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("palabre.db").display().to_string();
    let brake_on = |channel: &str| {
        let out = std::process::Command::new(common::BIN)
            .args([
                "brake",
                "--store",
                &store,
                "on",
                "--reason",
                "panne",
                "--channel",
                channel,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let posts = |lines: Vec<Value>| -> Vec<(String, Value)> {
        lines
            .into_iter()
            .filter_map(|l| {
                Some((
                    l["scheduled_post"].as_str()?.to_owned(),
                    l["reasons"].clone(),
                ))
            })
            .collect()
    };
    // The brake on another channel: the results post goes out.
    brake_on("mastodon:1");
    let other = posts(run(&["--state", &store]));
    assert_eq!(
        other[0],
        ("resultats-22h30".to_owned(), serde_json::json!([]))
    );
    // On the schedule's channel: held by the brake.
    brake_on("x:2000");
    let held = posts(run(&["--state", &store]));
    assert_eq!(
        held[0],
        (
            "resultats-22h30".to_owned(),
            serde_json::json!(["crisis_brake"])
        )
    );
}
