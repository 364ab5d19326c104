//! The X client against a fake X: the filtered stream (heartbeats, a line cut by a disconnect,
//! the keep-alive timeout, X's error line), rule sync, mentions polling with `since_id` and
//! pagination, and sending (bodies, tokens, rate limits, 401, 500, a hang, a 200 with only
//! `errors`, the resend check, posts with images: uploads, descriptions, refusals). Sources run
//! through `Source::run` with a test sink.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Fake, Part, Reply, TestSink, bytes, fixture, json, one_line, with_headers};
use palabre_connectors::client::{
    Action, Media, Outgoing, PlatformSender, SendError, Source, SourceError, Stop,
};
use palabre_connectors::x::client::{Config, MentionsSource, StreamSource};
use palabre_connectors::{Event, Format, normalize};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const RULES: &str = "/2/tweets/search/stream/rules";
const STREAM: &str = "/2/tweets/search/stream";

fn config(url: &str, extra: serde_json::Value) -> Config {
    let mut base = serde_json::json!({
        "name": "brand-x",
        "user_id": "2244994945",
        "bearer_token": "app-token",
        "user_token": "user-token",
        "api_url": url,
        "stream": true,
        "rules": [{"value": "cat has:media", "tag": "cats with media"}],
        "timeout": "2s",
    });
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    serde_json::from_value(base).unwrap()
}

fn stream_source(url: &str, extra: serde_json::Value) -> StreamSource {
    let c = config(url, extra);
    StreamSource::new(&c, c.bearer_token.clone().unwrap())
}

/// The rules X already has match the configuration (the first of the fixture's two is kept).
fn rules_in_sync() -> Reply {
    json(
        200,
        r#"{"data":[{"id":"1273028376882589696","value":"cat has:media","tag":"cats with media"}],"meta":{"sent":"2020-06-16T22:55:39.356Z","result_count":1}}"#,
    )
}

fn disconnected(r: Result<(), SourceError>) -> (String, Option<Duration>) {
    match r {
        Err(SourceError::Disconnected { error, retry_in }) => (error, retry_in),
        other => panic!("expected a disconnection, got {other:?}"),
    }
}

#[test]
fn the_stream_hands_on_whole_lines_skips_heartbeats_and_drops_a_cut_line() {
    let line1 = one_line("x/filtered_stream_line.json");
    let line2 = one_line("x/tweet_reply_with_expansions.json");
    let line3 = one_line("x/tweet_quote_with_includes.json");
    let (l1, l2, l3) = (line1.clone(), line2.clone(), line3.clone());
    let connections = Arc::new(AtomicUsize::new(0));
    let n = connections.clone();
    let fake = Fake::start(move |r| match r.path.as_str() {
        RULES => rules_in_sync(),
        STREAM => {
            let mut parts = vec![
                bytes("\r\n"),
                bytes(&format!("{l1}\r\n")),
                bytes("\r\n"),
                // A line split across two chunks is one line.
                bytes(&l2[..l2.len() / 2]),
                Part::Sleep(Duration::from_millis(30)),
                bytes(&format!("{}\r\n", &l2[l2.len() / 2..])),
                bytes(&l3[..l3.len() / 2]),
            ];
            // First connection: dropped mid-chunk (a read error). Second: the body ends
            // cleanly after half a line (an end of stream inside a line).
            if n.fetch_add(1, Ordering::SeqCst) == 0 {
                parts.push(Part::Cut);
            }
            Reply::Stream { status: 200, parts }
        }
        _ => json(404, "{}"),
    });
    let mut source = stream_source(&fake.url, serde_json::json!({}));
    for connection in 0..2 {
        let mut sink = TestSink::default();
        let (error, retry_in) = disconnected(source.run(None, &mut sink, &Stop::new()));
        assert_eq!(
            sink.lines(),
            vec![line1.clone(), line2.clone()],
            "{connection}: {error}"
        );
        assert!(sink.batches.iter().all(|b| b.checkpoint.is_none()));
        assert_eq!(retry_in, Some(Duration::from_millis(250)), "{error}");
        if connection == 1 {
            assert!(error.contains("middle of a line"), "{error}");
        }
        // What was handed on is X's JSON, which the normalizer reads.
        for line in sink.lines() {
            let events = normalize(&line, Format::Auto);
            assert!(matches!(events[0], Ok(Event::Message(_))), "{events:?}");
        }
    }
    let stream = &fake.on(STREAM)[0];
    assert_eq!(stream.header("authorization"), Some("Bearer app-token"));
    assert!(stream.param("expansions").unwrap().contains("author_id"));
    assert!(
        stream
            .param("tweet.fields")
            .unwrap()
            .contains("referenced_tweets")
    );
    assert!(stream.param("user.fields").unwrap().contains("username"));
    // The rules were already right: read, not changed.
    assert!(fake.on(RULES).iter().all(|r| r.method == "GET"));
}

#[test]
fn rule_sync_adds_the_missing_and_deletes_the_stale() {
    let fake = Fake::start(|r| match (r.method.as_str(), r.path.as_str()) {
        ("GET", RULES) => json(200, &fixture("x/stream_rules_list.json")),
        ("POST", RULES) if r.body.contains("delete") => {
            json(200, &fixture("x/stream_rules_delete.json"))
        }
        ("POST", RULES) => json(200, &fixture("x/stream_rules_add.json")),
        _ => json(404, "{}"),
    });
    let mut source = stream_source(
        &fake.url,
        serde_json::json!({"rules": [
            {"value": "cat has:media", "tag": "cats with media"},
            {"value": "@brand -is:retweet", "tag": "mentions"},
        ]}),
    );
    let sync = source.sync_rules().unwrap();
    assert_eq!((sync.added, sync.deleted), (1, 1));
    let posts: Vec<_> = fake
        .on(RULES)
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 2);
    assert_eq!(
        posts[0].json(),
        serde_json::json!({"delete": {"ids": ["1273028376882589697"]}})
    );
    assert_eq!(
        posts[1].json(),
        serde_json::json!({"add": [{"value": "@brand -is:retweet", "tag": "mentions"}]})
    );
    assert!(
        posts
            .iter()
            .all(|p| p.header("authorization") == Some("Bearer app-token"))
    );
}

#[test]
fn a_rule_x_refuses_stops_the_source_with_its_reason() {
    let fake = Fake::start(|r| match r.method.as_str() {
        "GET" => json(
            200,
            r#"{"meta":{"sent":"2020-06-16T22:55:39.356Z","result_count":0}}"#,
        ),
        _ => json(200, &fixture("x/stream_rules_add_duplicate_error.json")),
    });
    let mut source = stream_source(&fake.url, serde_json::json!({}));
    match source.run(None, &mut TestSink::default(), &Stop::new()) {
        Err(SourceError::Config(e)) => assert!(e.contains("DuplicateRule"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(fake.on(STREAM).is_empty(), "no stream without its rules");
}

#[test]
fn silence_longer_than_the_keep_alive_timeout_means_reconnect() {
    let line = one_line("x/filtered_stream_line.json");
    let l = line.clone();
    let fake = Fake::start(move |r| match r.path.as_str() {
        RULES => rules_in_sync(),
        _ => Reply::Stream {
            status: 200,
            parts: vec![
                bytes(&format!("{l}\r\n")),
                bytes("\r\n"),
                Part::Sleep(Duration::from_secs(6)),
                bytes("\r\n"),
            ],
        },
    });
    let mut source = stream_source(&fake.url, serde_json::json!({"stream_idle_timeout": "1s"}));
    let mut sink = TestSink::default();
    let started = Instant::now();
    let (error, retry_in) = disconnected(source.run(None, &mut sink, &Stop::new()));
    let took = started.elapsed();
    assert!(error.contains("nothing received"), "{error}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert_eq!(
        sink.lines(),
        vec![line],
        "what came before the silence is kept"
    );
    assert_eq!(retry_in, Some(Duration::from_millis(250)));
}

#[test]
fn xs_disconnect_line_ends_the_connection_and_is_not_handed_on() {
    let line = one_line("x/filtered_stream_line.json");
    let l = line.clone();
    let fake = Fake::start(move |r| match r.path.as_str() {
        RULES => rules_in_sync(),
        _ => Reply::Stream {
            status: 200,
            parts: vec![
                bytes(&format!("{l}\r\n")),
                bytes(&format!(
                    "{}\r\n",
                    one_line("x/stream_operational_disconnect.json")
                )),
            ],
        },
    });
    let mut source = stream_source(&fake.url, serde_json::json!({}));
    let mut sink = TestSink::default();
    let (error, retry_in) = disconnected(source.run(None, &mut sink, &Stop::new()));
    assert!(error.contains("operational-disconnect"), "{error}");
    assert_eq!(
        retry_in,
        Some(Duration::from_secs(5)),
        "an HTTP-level error"
    );
    assert_eq!(sink.lines(), vec![line]);
}

#[test]
fn stream_statuses_follow_xs_reconnection_rules() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let reset = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600)
        .to_string();
    let fake = Fake::start(move |r| match r.path.as_str() {
        RULES => rules_in_sync(),
        _ => match c.fetch_add(1, Ordering::SeqCst) {
            0 | 1 => json(503, r#"{"title":"Service Unavailable"}"#),
            2 => with_headers(
                json(429, &fixture("x/error_too_many_requests_429.json")),
                &[
                    ("x-rate-limit-remaining", "0"),
                    ("x-rate-limit-reset", &reset),
                ],
            ),
            3 => json(429, &fixture("x/error_too_many_requests_429.json")),
            _ => json(401, &fixture("x/error_unauthorized_401.json")),
        },
    });
    let mut source = stream_source(&fake.url, serde_json::json!({}));
    let mut run = || source.run(None, &mut TestSink::default(), &Stop::new());
    assert_eq!(disconnected(run()).1, Some(Duration::from_secs(5)));
    assert_eq!(disconnected(run()).1, Some(Duration::from_secs(10)));
    let wait = disconnected(run()).1.unwrap();
    assert!(
        wait > Duration::from_secs(590) && wait <= Duration::from_secs(600),
        "a 429 waits for the reset when it is later than a minute: {wait:?}"
    );
    assert_eq!(disconnected(run()).1, Some(Duration::from_secs(120)));
    assert!(matches!(run(), Err(SourceError::Auth(_))));
}

#[test]
fn a_refused_connection_is_a_network_error() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut source = stream_source(&format!("http://127.0.0.1:{port}"), serde_json::json!({}));
    let mut sink = TestSink::default();
    assert_eq!(
        disconnected(source.run(None, &mut sink, &Stop::new())).1,
        Some(Duration::from_millis(250))
    );
    assert_eq!(
        disconnected(source.run(None, &mut sink, &Stop::new())).1,
        Some(Duration::from_millis(500))
    );
}

#[test]
fn a_sink_that_cannot_store_stops_the_stream() {
    let fake = Fake::start(move |r| match r.path.as_str() {
        RULES => rules_in_sync(),
        _ => Reply::Stream {
            status: 200,
            parts: vec![bytes(&format!(
                "{}\r\n",
                one_line("x/filtered_stream_line.json")
            ))],
        },
    });
    let mut source = stream_source(&fake.url, serde_json::json!({}));
    let mut sink = TestSink {
        fail: true,
        ..TestSink::default()
    };
    assert!(matches!(
        source.run(None, &mut sink, &Stop::new()),
        Err(SourceError::Sink(_))
    ));
}

fn mentions(url: &str) -> MentionsSource {
    let c = config(
        url,
        serde_json::json!({"stream": false, "rules": [], "poll_mentions": "60s"}),
    );
    MentionsSource::new(&c, c.user_token.clone().unwrap(), Duration::from_secs(60))
}

#[test]
fn mentions_are_polled_since_the_checkpoint_through_every_page() {
    let page1 = one_line("x/users_mentions_page.json");
    let page2 = r#"{"data":[{"id":"1578516000000000000","text":"@Twitter older one","author_id":"17"}],"meta":{"result_count":1,"newest_id":"1578516000000000000","oldest_id":"1578516000000000000"}}"#;
    let p1 = page1.clone();
    let fake = Fake::start(move |r| match r.param("pagination_token") {
        None => json(200, &p1),
        Some(_) => json(200, page2),
    });
    let source = mentions(&fake.url);
    let (lines, newest) = source.poll(Some("1578500000000000000")).unwrap();
    assert_eq!(lines, vec![page1, page2.to_owned()]);
    assert_eq!(newest.as_deref(), Some("1578516295611748353"));
    let requests = fake.on("/2/users/2244994945/mentions");
    assert_eq!(requests.len(), 2);
    assert!(
        requests
            .iter()
            .all(|r| r.param("since_id") == Some("1578500000000000000"))
    );
    assert_eq!(
        requests[1].param("pagination_token"),
        Some("7140dibdnow9c7btw423i3sy3u5zupmkcpofxcsmxj48j")
    );
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer user-token")
    );
    assert!(
        requests[0]
            .param("expansions")
            .unwrap()
            .contains("author_id")
    );
    // Both pages normalize: ten mentions and one.
    let events: usize = lines.iter().map(|l| normalize(l, Format::Auto).len()).sum();
    assert_eq!(events, 11);
}

#[test]
fn mentions_run_saves_the_newest_id_and_hands_nothing_when_nothing_is_new() {
    let page = one_line("x/users_mentions_page.json");
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let p = page.clone();
    let fake = Fake::start(move |_| match c.fetch_add(1, Ordering::SeqCst) {
        0 => json(200, &p),
        _ => json(200, &fixture("x/mentions_empty_page.json")),
    });
    let mut source = mentions(&fake.url);
    let stop = Stop::new();
    let mut sink = TestSink {
        stop_after: Some((1, stop.clone())),
        ..TestSink::default()
    };
    source.run(None, &mut sink, &stop).unwrap();
    assert_eq!(sink.batches.len(), 1);
    assert_eq!(sink.batches[0].lines, vec![page]);
    assert_eq!(
        sink.batches[0].checkpoint.as_deref(),
        Some("1578516295611748353")
    );
    // Without a checkpoint: the latest page only, no since_id.
    let first = &fake.requests()[0];
    assert_eq!(first.param("since_id"), None);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "one page, next_token not followed"
    );
    // Resumed from the checkpoint with nothing new: no batch at all.
    let (lines, newest) = source.poll(Some("1578516295611748353")).unwrap();
    assert!(lines.is_empty());
    assert_eq!(newest.as_deref(), Some("1578516295611748353"));
}

#[test]
fn mentions_errors_become_the_right_source_errors() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let reset = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 120)
        .to_string();
    let fake = Fake::start(move |_| match c.fetch_add(1, Ordering::SeqCst) {
        0 => with_headers(
            json(429, &fixture("x/error_too_many_requests_429.json")),
            &[
                ("x-rate-limit-remaining", "0"),
                ("x-rate-limit-reset", &reset),
            ],
        ),
        1 => json(200, &fixture("x/error_not_authorized_200.json")),
        2 => json(500, "{}"),
        3 => Reply::Hang(Duration::from_secs(5)),
        _ => json(401, &fixture("x/error_unauthorized_401.json")),
    });
    let source = mentions(&fake.url);
    match source.poll(Some("1")) {
        Err(SourceError::Disconnected { retry_in, .. }) => {
            let wait = retry_in.unwrap();
            assert!(
                wait > Duration::from_secs(110) && wait <= Duration::from_secs(120),
                "{wait:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    match source.poll(Some("1")) {
        Err(SourceError::Disconnected { error, .. }) => {
            assert!(error.contains("Forbidden"), "{error}")
        }
        other => panic!("a 200 with only errors is not an empty page: {other:?}"),
    }
    assert!(matches!(
        source.poll(Some("1")),
        Err(SourceError::Disconnected { retry_in: None, .. })
    ));
    let started = Instant::now();
    assert!(matches!(
        source.poll(Some("1")),
        Err(SourceError::Disconnected { .. })
    ));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the timeout cut the hang"
    );
    assert!(matches!(source.poll(Some("1")), Err(SourceError::Auth(_))));
}

fn sender(url: &str) -> Arc<palabre_connectors::x::client::XSender> {
    config(url, serde_json::json!({"stream": false, "rules": []}))
        .sender()
        .unwrap()
        .unwrap()
}

fn out<'a>(action: Action, target: Option<&'a str>, text: Option<&'a str>) -> Outgoing<'a> {
    Outgoing {
        idem_key: "bot:x:1",
        action,
        target_id: target,
        target_raw: None,
        root_id: None,
        recipient: Some("9876543210"),
        text,
        human: false,
        last_inbound_ms: None,
        resend: false,
        queued_ms: 0,
        quick_replies: &[],
        media: &[],
    }
}

#[test]
fn each_action_calls_its_endpoint_with_the_user_token() {
    let fake = Fake::start(|r| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/2/tweets") => json(201, &fixture("x/manage_tweet_create.json")),
        ("POST", p) if p.starts_with("/2/dm_conversations/with/") => {
            json(201, &fixture("x/dm_create.json"))
        }
        ("PUT", _) if r.body.contains("true") => json(200, &fixture("x/manage_tweet_hidden.json")),
        ("PUT", _) => json(200, r#"{"data":{"hidden":false}}"#),
        ("DELETE", _) => json(200, &fixture("x/manage_tweet_delete.json")),
        _ => json(404, "{}"),
    });
    let s = sender(&fake.url);
    assert_eq!(
        s.send(&out(
            Action::Reply,
            Some("1234567890"),
            Some("Hello @catperson")
        )),
        Ok(Some("1445880548472328192".into()))
    );
    assert_eq!(
        s.send(&out(Action::Direct, Some("1234567890"), Some("In private"))),
        Ok(Some("128341038123".into()))
    );
    assert_eq!(
        s.send(&out(Action::Hide, Some("1234567890"), None)),
        Ok(None)
    );
    assert_eq!(
        s.send(&out(Action::Unhide, Some("1234567890"), None)),
        Ok(None)
    );
    assert_eq!(
        s.send(&out(Action::Delete, Some("1445880548472328192"), None)),
        Ok(None)
    );
    let r = fake.requests();
    assert_eq!(
        r[0].json(),
        serde_json::json!({"text": "Hello @catperson", "reply": {"in_reply_to_tweet_id": "1234567890"}})
    );
    assert_eq!(r[1].path, "/2/dm_conversations/with/9876543210/messages");
    assert_eq!(r[1].json(), serde_json::json!({"text": "In private"}));
    assert_eq!(
        (r[2].path.as_str(), r[2].json()),
        (
            "/2/tweets/1234567890/hidden",
            serde_json::json!({"hidden": true})
        )
    );
    assert_eq!(r[3].json(), serde_json::json!({"hidden": false}));
    assert_eq!(
        (r[4].method.as_str(), r[4].path.as_str()),
        ("DELETE", "/2/tweets/1445880548472328192")
    );
    assert!(
        r.iter()
            .all(|r| r.header("authorization") == Some("Bearer user-token"))
    );
}

#[test]
fn failures_map_to_retry_auth_fatal_and_rate_limits_are_kept_ahead() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let reset = (now + 300).to_string();
    let fake = Fake::start(move |r| {
        if r.path != "/2/tweets" {
            return json(404, "{}");
        }
        match c.fetch_add(1, Ordering::SeqCst) {
            0 => with_headers(
                json(429, &fixture("x/error_too_many_requests_429.json")),
                &[
                    ("x-rate-limit-remaining", "0"),
                    ("x-rate-limit-reset", &reset),
                ],
            ),
            _ => json(404, "{}"),
        }
    });
    let s = sender(&fake.url);
    let reply = out(Action::Reply, Some("1"), Some("hi"));
    assert_eq!(
        s.send(&reply),
        Err(SendError::Limited {
            error: format!(
                "X post: 429 Too Many Requests ({})",
                fixture("x/error_too_many_requests_429.json").trim()
            ),
            at_ms: Some((now as i64 + 300) * 1000)
        })
    );
    // The window is used up: the next reply is not even tried.
    assert_eq!(
        s.send(&reply),
        Err(SendError::NotBefore {
            at_ms: (now as i64 + 300) * 1000
        })
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Another endpoint has its own window.
    let other = Fake::start(|r| match (r.method.as_str(), r.path.as_str()) {
        ("PUT", _) => json(200, &fixture("x/error_not_authorized_200.json")),
        ("DELETE", _) => json(401, &fixture("x/error_unauthorized_401.json")),
        ("POST", "/2/tweets") if r.body.contains("slow") => Reply::Hang(Duration::from_secs(5)),
        _ => json(500, r#"{"title":"Internal Server Error"}"#),
    });
    let s = sender(&other.url);
    match s.send(&out(Action::Hide, Some("1"), None)) {
        Err(SendError::Fatal(e)) => assert!(e.contains("User must be the author"), "{e}"),
        other => panic!("a 200 with only errors is a failure: {other:?}"),
    }
    assert!(matches!(
        s.send(&out(Action::Delete, Some("1"), None)),
        Err(SendError::Auth(_))
    ));
    assert!(matches!(
        s.send(&out(Action::Reply, Some("1"), Some("hi"))),
        Err(SendError::Retry { at_ms: None, .. })
    ));
    let started = Instant::now();
    assert!(matches!(
        s.send(&out(Action::Reply, Some("1"), Some("slow"))),
        Err(SendError::Retry { at_ms: None, .. })
    ));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the 2 s timeout cut the hang"
    );
    assert!(matches!(
        s.send(&out(Action::Reply, None, Some("hi"))),
        Err(SendError::Fatal(_))
    ));
}

#[test]
fn a_resend_finds_the_reply_already_posted_instead_of_posting_twice() {
    let timeline = r#"{"data":[
        {"id":"1700000000000000003","text":"@alice Results &amp; more: https://t.co/AbC123","referenced_tweets":[{"type":"replied_to","id":"1699999999999999999"}]},
        {"id":"1700000000000000002","text":"Results & more: https://t.co/AbC123","referenced_tweets":[{"type":"replied_to","id":"1699999999999999000"}]}
    ],"meta":{"result_count":2,"newest_id":"1700000000000000003","oldest_id":"1700000000000000002"}}"#
        .replace('\n', "");
    let fake = Fake::start(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("GET", "/2/users/2244994945/tweets") => json(200, &timeline),
        ("POST", "/2/tweets") => json(201, &fixture("x/manage_tweet_create.json")),
        _ => json(404, "{}"),
    });
    let s = sender(&fake.url);
    let mut again = out(
        Action::Reply,
        Some("1699999999999999999"),
        Some("Results & more: https://example.org/r/75001"),
    );
    again.resend = true;
    assert_eq!(s.send(&again), Ok(Some("1700000000000000003".into())));
    assert!(fake.on("/2/tweets").is_empty(), "not posted a second time");
    // The same text to another tweet was not sent yet: it is posted.
    again.target_id = Some("1699999999999999111");
    assert_eq!(s.send(&again), Ok(Some("1445880548472328192".into())));
    assert_eq!(fake.on("/2/tweets").len(), 1);
    let lookups = fake.on("/2/users/2244994945/tweets");
    let lookup = &lookups[0];
    assert_eq!(lookup.header("authorization"), Some("Bearer user-token"));
    // The first check reads back to the action's queueing (an hour when it is unknown); the
    // next one only what is newer than the newest tweet it knows.
    assert!(lookup.param("start_time").is_some() && lookup.param("since_id").is_none());
    assert_eq!(lookups[1].param("since_id"), Some("1700000000000000003"));
    assert_eq!(lookups[1].param("start_time"), None);
    assert!(
        lookup
            .param("tweet.fields")
            .unwrap()
            .contains("referenced_tweets")
    );
}

#[test]
fn the_configuration_is_checked_and_secrets_are_never_printed() {
    let c = config(
        "http://127.0.0.1:1",
        serde_json::json!({"poll_mentions": "5m"}),
    );
    let printed = format!("{c:?}");
    assert!(
        !printed.contains("app-token") && !printed.contains("user-token"),
        "{printed}"
    );
    let kinds: Vec<String> = c.sources().unwrap().into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["stream", "mentions"]);
    let bad = config(
        "http://127.0.0.1:1",
        serde_json::json!({"user_id": "@brand"}),
    );
    assert!(bad.sources().err().unwrap().contains("numeric"));
    let unknown = serde_json::from_value::<Config>(serde_json::json!({
        "name": "a", "user_id": "1", "bearer": "x"
    }));
    assert!(unknown.unwrap_err().to_string().contains("bearer"));
}

/// A measurement, not a check: `cargo test -p palabre-connectors --features client --release
/// --test x_client -- --ignored --nocapture stream_throughput`.
#[test]
#[ignore]
fn stream_throughput() {
    let line = one_line("x/tweet_reply_with_expansions.json");
    let n = 100_000;
    let per_chunk = 200;
    let chunk = format!("{line}\r\n").repeat(per_chunk);
    let chunks = n / per_chunk;
    let fake = Fake::start(move |r| match r.path.as_str() {
        RULES => rules_in_sync(),
        _ => Reply::Stream {
            status: 200,
            parts: (0..chunks).map(|_| bytes(&chunk)).collect(),
        },
    });
    let mut source = stream_source(&fake.url, serde_json::json!({}));
    let mut sink = TestSink::default();
    let started = Instant::now();
    let _ = source.run(None, &mut sink, &Stop::new());
    let took = started.elapsed();
    let lines = sink.lines().len();
    assert_eq!(lines, n);
    let sizes: Vec<usize> = sink.batches.iter().map(|b| b.lines.len()).collect();
    println!(
        "{lines} lines of {} bytes in {:.0} ms: {:.0} lines/s, {:.1} MB/s; {} batches, largest {}, mean {:.0}",
        line.len(),
        took.as_secs_f64() * 1000.0,
        lines as f64 / took.as_secs_f64(),
        (lines * (line.len() + 2)) as f64 / took.as_secs_f64() / 1e6,
        sizes.len(),
        sizes.iter().max().unwrap_or(&0),
        lines as f64 / sizes.len().max(1) as f64
    );
}

#[test]
fn a_quiet_stream_still_says_once_that_it_works() {
    let fake = Fake::start(|r| match r.path.as_str() {
        RULES => rules_in_sync(),
        _ => Reply::Stream {
            status: 200,
            parts: vec![bytes("\r\n"), bytes("\r\n"), bytes("\r\n")],
        },
    });
    let mut source = stream_source(&fake.url, serde_json::json!({}));
    let mut sink = TestSink::default();
    let _ = source.run(None, &mut sink, &Stop::new());
    // One empty batch (the ingest thread marks the account's health `ok`), no lines.
    assert_eq!(
        sink.batches,
        vec![palabre_connectors::client::Batch::default()]
    );
}

#[test]
fn a_200_with_errors_is_retried_unless_x_names_a_refusal_and_an_error_page_posts_nothing() {
    let unavailable = r#"{"errors":[{"title":"Service Unavailable","detail":"Service is temporarily unavailable","type":"about:blank"}]}"#;
    let fake = Fake::start(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("PUT", _) => json(200, &fixture("x/error_not_authorized_200.json")),
        // The timeline answers with errors only: the resend check does not know.
        ("GET", "/2/users/2244994945/tweets") => json(200, unavailable),
        ("POST", "/2/tweets") => json(200, unavailable),
        _ => json(404, "{}"),
    });
    let s = sender(&fake.url);
    assert!(matches!(
        s.send(&out(Action::Hide, Some("1"), None)),
        Err(SendError::Fatal(e)) if e.contains("User must be the author")
    ));
    let mut reply = out(Action::Reply, Some("1"), Some("hi"));
    assert!(matches!(
        s.send(&reply),
        Err(SendError::Retry { error, at_ms: None }) if error.contains("Service Unavailable")
    ));
    reply.resend = true;
    assert!(matches!(
        s.send(&reply),
        Err(SendError::Retry { error, .. }) if error.contains("resend check")
    ));
    assert_eq!(fake.on("/2/tweets").len(), 1, "not posted while in doubt");
}

const UPLOAD: &str = "/2/media/upload";
const METADATA: &str = "/2/media/metadata";

fn image<'a>(bytes: &'a [u8], content_type: &'a str, alt: &'a str) -> Media<'a> {
    Media {
        bytes,
        content_type,
        width: 1200,
        height: 675,
        alt,
        url: None,
    }
}

/// A fake X that takes uploads (ids 1710000000000000001, …), descriptions and tweets.
fn media_fake() -> Fake {
    let uploads = Arc::new(AtomicUsize::new(0));
    Fake::start(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("POST", UPLOAD) => {
            let n = uploads.fetch_add(1, Ordering::SeqCst) + 1;
            json(
                200,
                &format!(
                    r#"{{"data":{{"id":"171000000000000000{n}","media_key":"3_171000000000000000{n}","size":12,"expires_after_secs":86400,"image":{{"image_type":"image/jpeg","w":1200,"h":675}}}}}}"#
                ),
            )
        }
        ("POST", METADATA) => json(
            200,
            r#"{"data":{"associated_metadata":{"alt_text":{"text":"x"}}}}"#,
        ),
        ("POST", "/2/tweets") => json(201, &fixture("x/manage_tweet_create.json")),
        _ => json(404, "{}"),
    })
}

#[test]
fn a_post_with_images_uploads_each_describes_it_and_names_them_in_order() {
    let fake = media_fake();
    let s = sender(&fake.url);
    let images = [
        image(
            b"JPEG-BYTES-ONE",
            "image/jpeg",
            "Le nouveau comptoir, vu de face",
        ),
        image(b"PNG-BYTES-TWO", "image/png", "  "),
    ];
    let mut post = out(Action::Post, None, Some("Nos nouveaux horaires"));
    post.media = &images;
    assert_eq!(s.send(&post), Ok(Some("1445880548472328192".into())));
    let r = fake.requests();
    let calls: Vec<&str> = r.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(calls, [UPLOAD, METADATA, UPLOAD, "/2/tweets"]);
    for (req, (file, ctype, bytes)) in [
        (&r[0], ("image-1.jpg", "image/jpeg", "JPEG-BYTES-ONE")),
        (&r[2], ("image-2.png", "image/png", "PNG-BYTES-TWO")),
    ] {
        assert!(
            req.header("content-type")
                .unwrap()
                .starts_with("multipart/form-data; boundary="),
            "{:?}",
            req.header("content-type")
        );
        assert_eq!(req.header("authorization"), Some("Bearer user-token"));
        assert!(
            req.body.contains(&format!(
                "Content-Disposition: form-data; name=\"media\"; filename=\"{file}\"\r\nContent-Type: {ctype}\r\n\r\n{bytes}\r\n"
            )),
            "{}",
            req.body
        );
        assert!(
            req.body.contains(
                "Content-Disposition: form-data; name=\"media_category\"\r\n\r\ntweet_image\r\n"
            ),
            "{}",
            req.body
        );
    }
    // Only the image with a description gets one.
    assert_eq!(
        r[1].json(),
        serde_json::json!({"id": "1710000000000000001", "metadata": {"alt_text": {"text": "Le nouveau comptoir, vu de face"}}})
    );
    assert_eq!(
        r[3].json(),
        serde_json::json!({"text": "Nos nouveaux horaires", "media": {"media_ids": ["1710000000000000001", "1710000000000000002"]}})
    );
    // A reply with an image takes the same path.
    let one = [image(b"GIF", "image/gif", "")];
    let mut reply = out(Action::Reply, Some("1234567890"), Some("Voici le plan"));
    reply.media = &one;
    s.send(&reply).unwrap();
    let tweets = fake.on("/2/tweets");
    assert_eq!(
        tweets[1].json(),
        serde_json::json!({"text": "Voici le plan", "reply": {"in_reply_to_tweet_id": "1234567890"}, "media": {"media_ids": ["1710000000000000003"]}})
    );
}

#[test]
fn a_resent_post_with_images_found_on_the_timeline_uploads_nothing() {
    let timeline = r#"{"data":[{"id":"1700000000000000007","text":"Nos nouveaux horaires https://t.co/Pic123"}],"meta":{"result_count":1}}"#;
    let fake = Fake::start(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("GET", "/2/users/2244994945/tweets") => json(200, timeline),
        _ => json(500, "{}"),
    });
    let s = sender(&fake.url);
    let images = [image(b"JPEG", "image/jpeg", "alt")];
    let mut post = out(Action::Post, None, Some("Nos nouveaux horaires"));
    post.media = &images;
    post.resend = true;
    post.queued_ms = jiff::Timestamp::now().as_millisecond() - 60_000;
    assert_eq!(s.send(&post), Ok(Some("1700000000000000007".into())));
    assert!(fake.on(UPLOAD).is_empty(), "nothing uploaded");
    assert!(fake.on("/2/tweets").is_empty(), "nothing posted");
}

#[test]
fn an_image_x_refuses_is_a_refusal_in_its_words_and_nothing_is_posted() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let fake = Fake::start(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("POST", UPLOAD) => match c.fetch_add(1, Ordering::SeqCst) {
            0 | 2 => json(
                200,
                r#"{"data":{"id":"1710000000000000001","media_key":"3_1"}}"#,
            ),
            1 => json(
                400,
                r#"{"errors":[{"message":"media type unrecognized."}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}"#,
            ),
            _ => json(503, r#"{"title":"Service Unavailable"}"#),
        },
        ("POST", METADATA) => json(200, r#"{"data":{}}"#),
        _ => json(201, &fixture("x/manage_tweet_create.json")),
    });
    let s = sender(&fake.url);
    let images = [
        image(b"ONE", "image/jpeg", ""),
        image(b"TWO", "image/webp", ""),
    ];
    let mut post = out(Action::Post, None, Some("Deux images"));
    post.media = &images;
    assert_eq!(
        s.send(&post),
        Err(SendError::Fatal(
            "X refused the image 2: media type unrecognized.".into()
        ))
    );
    // X failing is worth another try.
    assert!(matches!(
        s.send(&post),
        Err(SendError::Retry { error, .. }) if error.contains("X upload of the image 2") && error.contains("503")
    ));
    assert!(fake.on("/2/tweets").is_empty(), "nothing posted");
}
