//! Black-box tests of `palabre replay`: the real binary, real files, real stores.

// Tests may unwrap and panic: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn palabre() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_palabre"));
    c.env_remove("PALABRE_CONFIG").env("PALABRE_LANG", "en");
    c
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = palabre()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("palabre runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        input.write_all(bytes).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn decisions(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

fn summary(d: &Value) -> (String, Vec<String>) {
    let reasons = d["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    (d["outcome"].as_str().unwrap().to_owned(), reasons)
}

#[test]
fn the_example_stream_gets_the_expected_decision_on_every_line() {
    let config = examples().join("palabre.toml");
    let stream = examples().join("stream.jsonl");
    let out = run(
        &[
            "replay",
            "--config",
            config.to_str().unwrap(),
            stream.to_str().unwrap(),
        ],
        None,
    );
    let got = decisions(&out);
    let expected: &[(u64, &str, &[&str])] = &[
        (1, "routed_to_human", &["mention", "anger"]),
        (2, "routed_to_human", &["mention", "anger"]),
        (3, "ignored", &["own_message"]),
        (4, "ignored", &["echo_of_own_post"]),
        (5, "routed_to_human", &["reply_to_channel"]),
        (6, "ignored", &["duplicate"]),
        (7, "ignored", &["repeated_request"]),
        (8, "ignored", &["not_addressed"]),
        (9, "ignored", &["repost"]),
        (10, "ignored", &["echo_of_own_post"]),
        (11, "routed_to_human", &["mention"]),
        (12, "invalid", &["parse_error"]),
        (13, "routed_to_human", &["mention"]),
        (14, "routed_to_human", &["reply_to_channel", "orphan_reply"]),
        (15, "routed_to_human", &["direct_message"]),
        (16, "routed_to_human", &["review", "anger"]),
        (17, "invalid", &["unknown_shape"]),
        (18, "routed_to_human", &["mention"]),
        (19, "invalid", &["invalid_utf8"]),
    ];
    assert_eq!(got.len(), expected.len(), "exactly one decision per event");
    for (d, (line, outcome, reasons)) in got.iter().zip(expected) {
        assert_eq!(d["line"], *line);
        let (o, r) = summary(d);
        assert_eq!(
            (o.as_str(), r),
            (
                *outcome,
                reasons.iter().map(|s| s.to_string()).collect::<Vec<_>>()
            ),
            "line {line}"
        );
    }
    // Threading: the brand's answer, Camille's follow-up and Tom's reply join Camille's thread;
    // Sam's repeat joins Sam's first request; the DM has its private conversation.
    let conv = |i: usize| got[i]["conversation_id"].as_str().unwrap().to_owned();
    assert_eq!(conv(2), "x:1790000000000000101");
    assert_eq!(conv(4), "x:1790000000000000101");
    assert_eq!(conv(17), "x:1790000000000000101");
    assert_eq!(conv(6), conv(1));
    assert_eq!(conv(14), "messenger:dm:5550001:9001");
    assert_eq!(got[0]["queue"], "service-client");
    assert!(got[11]["error"].as_str().unwrap().contains("truncated"));
    // Triage reads what is addressed to the brand, and only that.
    assert_eq!(got[0]["triage"]["lang"], "fr");
    assert_eq!(got[0]["triage"]["sentiment"]["label"], "negative");
    assert_eq!(got[1]["triage"]["lang"], "en");
    assert_eq!(
        got[10]["triage"]["sentiment"]["label"], "positive",
        "praise for the conductor"
    );
    for i in [2, 3, 7, 8, 9, 11] {
        assert_eq!(
            got[i]["triage"],
            Value::Null,
            "line {}: not addressed, not read",
            i + 1
        );
    }
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Replay summary") && err.contains("9  routed_to_human"),
        "{err}"
    );
}

#[test]
fn reads_standard_input_and_writes_to_out() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("decisions.jsonl");
    let input = br#"{"id":"g1","text":"@brand bonjour","mentions":["brand"],"author":{"id":"u1"}}"#;
    let out = run(
        &[
            "replay",
            "--channel",
            "x:1000:brand",
            "--out",
            out_file.to_str().unwrap(),
            "-",
        ],
        Some(input),
    );
    assert!(out.status.success());
    assert!(out.stdout.is_empty(), "decisions go to --out");
    let written = std::fs::read_to_string(&out_file).unwrap();
    let d: Value = serde_json::from_str(written.trim()).unwrap();
    assert_eq!(d["event_id"], "generic:g1");
    assert_eq!(d["outcome"], "routed_to_human");
}

#[test]
fn bad_input_gets_a_reasoned_outcome_and_the_run_goes_on() {
    let huge = format!(
        r#"{{"id":"big","text":"{}","mentions":["brand"]}}"#,
        "a".repeat(1 << 20)
    );
    let mut input: Vec<u8> = Vec::new();
    let mut push = |line: &[u8]| {
        input.extend_from_slice(line);
        input.push(b'\n');
    };
    push(br#"{"data":{"id":"1","text":"@brand trun"#); // 1 truncated JSON
    push(b"[1,2,3]"); // 2 a value that is not an object
    push(br#"{"kind":"mystery"}"#); // 3 an unknown shape
    push(huge.as_bytes()); // 4 1 MB of text
    push(br#"{"id":"e","text":"","mentions":["brand"],"author":{"id":"u1"}}"#); // 5 empty text
    push(b"{\"id\":\"u\",\"text\":\"caf\xe9 \xff\"}"); // 6 invalid UTF-8
    push(br#"{"id":"r1","text":"@brand premier","mentions":["brand"],"author":{"id":"u2"},"created_at":"2026-03-22T10:00:00Z"}"#); // 7
    push(br#"{"id":"r1","text":"@brand autre chose","mentions":["brand"],"author":{"id":"u2"},"created_at":"2026-03-22T10:00:00Z"}"#); // 8 id reused, other content
    push(br#"{"id":"late","text":"@brand plus tot","mentions":["brand"],"author":{"id":"u3"},"created_at":"2026-03-22T09:00:00Z"}"#); // 9 out of order
    push(br#"{"id":"child","text":"@brand et alors ?","mentions":["brand"],"author":{"id":"u4"},"in_reply_to":"never-seen"}"#); // 10 reply to the unseen
    push(b""); // 11 blank line: not an event
    push(br#"{"id":"ok","text":"@brand toujours la","mentions":["brand"],"author":{"id":"u5"}}"#); // 12 the run went on
    let out = run(
        &["replay", "--channel", "x:1000:brand", "--format", "auto"],
        Some(&input),
    );
    let got = decisions(&out);
    let by_line = |line: u64| {
        got.iter()
            .find(|d| d["line"] == line)
            .unwrap_or_else(|| panic!("no decision for line {line}"))
    };
    let expect = |line: u64, outcome: &str, reason: &str| {
        let (o, r) = summary(by_line(line));
        assert_eq!(o, outcome, "line {line}");
        assert!(
            r.iter().any(|x| x == reason),
            "line {line}: {r:?} lacks {reason}"
        );
    };
    expect(1, "invalid", "parse_error");
    expect(2, "invalid", "unknown_shape");
    expect(3, "invalid", "unknown_shape");
    expect(4, "invalid", "text_too_long");
    expect(5, "ignored", "empty");
    expect(6, "invalid", "invalid_utf8");
    expect(7, "routed_to_human", "mention");
    expect(8, "ignored", "id_conflict");
    expect(9, "routed_to_human", "mention");
    expect(10, "routed_to_human", "orphan_reply");
    expect(12, "routed_to_human", "mention");
    assert_eq!(
        got.len(),
        11,
        "one decision per event; the blank line is not an event"
    );
    assert!(by_line(2)["error"].as_str().unwrap().contains("array"));
    assert!(by_line(4)["error"].as_str().unwrap().contains("65536"));
    assert_eq!(by_line(10)["conversation_id"], "generic:never-seen");
}

#[test]
fn recording_twice_changes_nothing_and_remembers_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/palabre.db");
    let stream = examples().join("stream.jsonl");
    let config = examples().join("palabre.toml");
    let args = [
        "replay",
        "--config",
        config.to_str().unwrap(),
        "--state",
        db.to_str().unwrap(),
        stream.to_str().unwrap(),
    ];
    let first = decisions(&run(&args, None));
    let count = |sql: &str| -> i64 {
        rusqlite::Connection::open(&db)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    };
    let messages = count("SELECT COUNT(*) FROM messages");
    // 19 lines: 3 unreadable, 1 duplicate line → 15 distinct messages.
    assert_eq!(messages, 15);
    assert_eq!(
        count("SELECT COUNT(*) FROM decisions WHERE outcome = 'routed_to_human'"),
        9
    );
    assert_eq!(count("SELECT COUNT(*) FROM rejects"), 3);
    assert_eq!(
        count("SELECT COUNT(*) FROM conversations WHERE id = 'x:1790000000000000101'"),
        1
    );
    let snapshot = |sql: &str| -> Vec<String> {
        let c = rusqlite::Connection::open(&db).unwrap();
        let mut s = c.prepare(sql).unwrap();
        s.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let before =
        snapshot("SELECT platform || external_id || outcome || reasons FROM messages ORDER BY seq");

    // The same input again: every event is now a duplicate, and the messages are as they were.
    let second = decisions(&run(&args, None));
    assert_eq!(first.len(), second.len());
    for d in second.iter().filter(|d| d["outcome"] != "invalid") {
        assert_eq!(
            summary(d),
            ("ignored".to_owned(), vec!["duplicate".to_owned()]),
            "{d}"
        );
    }
    assert_eq!(
        snapshot("SELECT platform || external_id || outcome || reasons FROM messages ORDER BY seq"),
        before
    );
    assert_eq!(count("SELECT COUNT(*) FROM messages"), messages);
    // Each run says in the audit log that it started and finished.
    assert_eq!(
        count("SELECT COUNT(*) FROM audit_log WHERE action = 'replay_finished'"),
        2
    );
}

#[test]
fn a_repeat_is_recognised_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let line = |id: &str, at: &str| {
        format!(
            r#"{{"id":"{id}","text":"@brand mon colis 42 ?","mentions":["brand"],"author":{{"id":"u1"}},"created_at":"{at}"}}"#
        )
    };
    let args = [
        "replay",
        "--channel",
        "x:1000:brand",
        "--state",
        db.to_str().unwrap(),
        "-",
    ];
    let first = decisions(&run(
        &args,
        Some(line("a", "2026-03-22T10:00:00Z").as_bytes()),
    ));
    assert_eq!(first[0]["outcome"], "routed_to_human");
    let second = decisions(&run(
        &args,
        Some(line("b", "2026-03-22T11:00:00Z").as_bytes()),
    ));
    assert_eq!(
        summary(&second[0]),
        ("ignored".to_owned(), vec!["repeated_request".to_owned()])
    );
    assert_eq!(second[0]["conversation_id"], first[0]["conversation_id"]);
    let third = decisions(&run(
        &args,
        Some(line("c", "2026-03-24T11:00:00Z").as_bytes()),
    ));
    assert_eq!(
        third[0]["outcome"], "routed_to_human",
        "two days later it is a new request"
    );
}

#[test]
fn records_into_postgresql_too() {
    let url = std::env::var("PALABRE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    if std::net::TcpStream::connect("127.0.0.1:5432").is_err()
        && std::env::var("PALABRE_REQUIRE_POSTGRES").as_deref() != Ok("1")
    {
        eprintln!("!!! SKIPPING: no PostgreSQL on 127.0.0.1:5432");
        return;
    }
    // A fresh schema for this test, through the connection's search_path.
    let schema = format!("palabre_cli_{}", std::process::id());
    let admin = |sql: &str| {
        let status = Command::new("psql")
            .args([url.as_str(), "-qc", sql])
            .status();
        status.map(|s| s.success()).unwrap_or(false)
    };
    if !admin(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    )) {
        eprintln!("!!! SKIPPING: psql is not available to prepare a schema");
        return;
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{sep}options=-csearch_path%3D{schema}");
    let stream = examples().join("stream.jsonl");
    let config = examples().join("palabre.toml");
    let args = [
        "replay",
        "--config",
        config.to_str().unwrap(),
        "--state",
        scoped.as_str(),
        stream.to_str().unwrap(),
    ];
    let first = decisions(&run(&args, None));
    let second = decisions(&run(&args, None));
    assert_eq!(first.len(), 19);
    assert!(
        second
            .iter()
            .filter(|d| d["outcome"] != "invalid")
            .all(|d| d["reasons"][0] == "duplicate")
    );
    let out = Command::new("psql")
        .args([
            url.as_str(),
            "-Atc",
            &format!("SELECT COUNT(*) FROM {schema}.messages"),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "15");
    admin(&format!("DROP SCHEMA {schema} CASCADE"));
}

#[test]
fn a_killed_replay_loses_nothing_it_printed() {
    let dir = tempfile::tempdir().unwrap();
    let stream = dir.path().join("stream.jsonl");
    let db = dir.path().join("crash.db");
    let generated = palabre()
        .args([
            "bench",
            "--events",
            "200000",
            "--generate",
            stream.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(generated.success());
    let mut child = palabre()
        .args([
            "replay",
            "--channel",
            "x:1000:brand",
            "--format",
            "x",
            "--state",
            db.to_str().unwrap(),
            stream.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Read a few thousand acknowledged decisions, then kill -9 in the middle of the run.
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut printed = Vec::new();
    let mut line = String::new();
    use std::io::BufRead;
    while printed.len() < 5000 && reader.read_line(&mut line).unwrap() > 0 {
        let d: Value = serde_json::from_str(line.trim()).unwrap();
        printed.push(d);
        line.clear();
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        printed.len(),
        5000,
        "the replay was killed before it finished"
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let stored: i64 = conn
        .query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert!(stored < 200_000, "killed mid-run");
    for d in printed.iter().filter(|d| d["reasons"][0] != "duplicate") {
        let id = d["event_id"].as_str().unwrap().strip_prefix("x:").unwrap();
        let outcome: String = conn
            .query_row(
                "SELECT outcome FROM messages WHERE platform = 'x' AND external_id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("printed but not stored: {id}: {e}"));
        assert_eq!(outcome, d["outcome"].as_str().unwrap());
    }
    // Restarting on the same input resumes: what was stored is now a duplicate, the rest is new.
    let out = palabre()
        .args([
            "replay",
            "--channel",
            "x:1000:brand",
            "--format",
            "x",
            "--state",
            db.to_str().unwrap(),
            "--out",
            "/dev/null",
            stream.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let total: i64 = conn
        .query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    let distinct: i64 = {
        let text = std::fs::read_to_string(&stream).unwrap();
        let ids: std::collections::HashSet<String> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["data"]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        ids.len() as i64
    };
    assert_eq!(
        total, distinct,
        "after the restart every distinct event is stored exactly once"
    );
}

#[test]
fn exit_codes_follow_conventions() {
    let missing = run(&["replay", "/nonexistent/stream.jsonl"], None);
    assert_eq!(missing.status.code(), Some(1), "I/O error");
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("cannot open /nonexistent/stream.jsonl")
    );

    let bad_channel = run(&["replay", "--channel", "x:1000"], Some(b""));
    assert_eq!(bad_channel.status.code(), Some(2), "usage error");
    assert!(String::from_utf8_lossy(&bad_channel.stderr).contains("PLATFORM:ID:HANDLE"));

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("palabre.toml");
    std::fs::write(
        &config,
        "[pipeline]\nqueue = \"care\"\nrepeat_windw = \"1h\"\n",
    )
    .unwrap();
    let bad_config = run(&["replay", "--config", config.to_str().unwrap()], Some(b""));
    assert_eq!(bad_config.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad_config.stderr);
    assert!(
        err.contains("palabre.toml: line 3") && err.contains("repeat_windw"),
        "{err}"
    );

    let campaign = run(
        &["replay", "--campaign", "/nonexistent/election.toml"],
        Some(b""),
    );
    assert_eq!(
        campaign.status.code(),
        Some(2),
        "a campaign that cannot be loaded is a usage error"
    );
    assert!(String::from_utf8_lossy(&campaign.stderr).contains("election.toml"));

    let empty = run(&["replay"], Some(b""));
    assert_eq!(
        empty.status.code(),
        Some(0),
        "an empty input is not an error"
    );
}

#[test]
fn every_command_has_help_in_both_languages() {
    for args in [
        vec!["--help"],
        vec!["replay", "--help"],
        vec!["bench", "--help"],
        vec!["help", "replay"],
    ] {
        let out = palabre().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
    let fr = palabre()
        .env("PALABRE_LANG", "fr")
        .args(["replay", "-"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&fr.stderr).contains("Bilan du rejeu"));
    let en = palabre()
        .args(["--lang", "en", "replay", "-"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&en.stderr).contains("Replay summary"));
}

#[test]
fn eval_triage_scores_a_labelled_file() {
    let heldout =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../triage/data/labelled/heldout.jsonl");
    let out = palabre()
        .args(["eval", "triage", "--json", heldout.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let labels = report["labels"].as_array().unwrap();
    let f1 = |name: &str| {
        labels
            .iter()
            .find(|l| l["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))["macro_f1"]
            .as_f64()
            .unwrap()
    };
    assert!(f1("intent") >= 0.75, "intent macro-F1 {}", f1("intent"));
    assert!(
        f1("sentiment") >= 0.80,
        "sentiment macro-F1 {}",
        f1("sentiment")
    );

    let text = palabre()
        .args(["eval", "triage", heldout.to_str().unwrap()])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&text.stdout);
    assert!(
        shown.contains("intent") && shown.contains("macro"),
        "{shown}"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("labels.jsonl");
    std::fs::write(
        &file,
        "{\"text\": \"merci beaucoup !\", \"sentiment\": \"positive\"}\nnot json\n",
    )
    .unwrap();
    let partial = palabre()
        .args(["eval", "triage", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(partial.status.success());
    assert!(
        String::from_utf8_lossy(&partial.stderr).contains("labels.jsonl:2"),
        "the bad line is named"
    );
    std::fs::write(&file, "not json\n").unwrap();
    let none = palabre()
        .args(["eval", "triage", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        none.status.code(),
        Some(2),
        "nothing readable is a usage error"
    );
}

#[test]
fn a_line_over_the_limit_is_invalid_and_only_its_start_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("p.db");
    // A 3 MiB line between two good ones, read with a 64 KiB limit.
    let long = format!(
        "{{\"platform\":\"generic\",\"id\":\"big\",\"text\":\"{}\"}}",
        "a".repeat(3 << 20)
    );
    let input = format!(
        "{}\n{long}\n{}\n",
        r#"{"platform":"generic","id":"g1","text":"bonjour","mentions":["marque"]}"#,
        r#"{"platform":"generic","id":"g2","text":"merci","mentions":["marque"]}"#
    );
    let out = run(
        &[
            "replay",
            "--channel",
            "generic:1:marque",
            "--max-line-bytes",
            "65536",
            "--state",
            store.to_str().unwrap(),
        ],
        Some(input.as_bytes()),
    );
    let d = decisions(&out);
    assert_eq!(d.len(), 3, "{d:?}");
    assert_eq!(d[1]["line"], 2);
    assert_eq!(
        summary(&d[1]),
        ("invalid".into(), vec!["line_too_long".into()])
    );
    assert!(
        d[1]["error"]
            .as_str()
            .unwrap()
            .contains(&format!("{} bytes", long.len())),
        "{}",
        d[1]
    );
    assert_eq!(d[2]["event_id"], "generic:g2", "the run goes on");
    let db = rusqlite::Connection::open(&store).unwrap();
    let kept: i64 = db
        .query_row("SELECT MAX(length(raw)) FROM rejects", [], |r| r.get(0))
        .unwrap();
    assert!(
        kept < 2048,
        "the reject keeps the line's start, not 3 MiB: {kept}"
    );
    // A line of exactly the limit is read as usual.
    let exact = r#"{"platform":"generic","id":"g3","text":"ok","mentions":["marque"]}"#;
    let limit = exact.len().to_string();
    let out = run(
        &[
            "replay",
            "--channel",
            "generic:1:marque",
            "--max-line-bytes",
            &limit,
        ],
        Some(format!("{exact}\r\n").as_bytes()),
    );
    assert_eq!(decisions(&out)[0]["outcome"], "routed_to_human");
}
