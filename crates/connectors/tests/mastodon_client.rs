//! The Mastodon client against a fake Mastodon server run as its own process
//! (`tests/fakes/mastodon.py`): catching up by polling, streaming, a stream cut in the middle of
//! an event, a silent stream, a revoked token, and sending with idempotency keys, 429 resets,
//! 500s, a 200 carrying an error, and a server that hangs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_connectors::client::{
    Action, Batch, Outgoing, SendError, Sink, Source, SourceError, Stop,
};
use palabre_connectors::mastodon::client::{Config, build};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Fake {
    child: Child,
    url: String,
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fake() -> Fake {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fakes/mastodon.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs the fake Mastodon server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    Fake { child, url }
}

impl Fake {
    fn control(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        ureq::post(&format!("{}/_fake/{path}", self.url))
            .send_json(&body)
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap()
    }

    fn posts(&self) -> serde_json::Value {
        ureq::get(&format!("{}/_fake/posts", self.url))
            .call()
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap()
    }

    fn config(&self, extra: &str) -> Config {
        toml::from_str(&format!(
            "name = \"brand\"\nbase_url = \"{}\"\naccess_token = \"fake-token\"\n{extra}",
            self.url
        ))
        .unwrap()
    }
}

#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<Batch>>>);

impl Sink for Collect {
    fn accept(&mut self, batch: Batch) -> Result<(), String> {
        self.0.lock().unwrap().push(batch);
        Ok(())
    }
}

impl Collect {
    fn lines(&self) -> Vec<serde_json::Value> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .flat_map(|b| b.lines.iter())
            .map(|l| serde_json::from_str(l).expect("every line handed on is whole JSON"))
            .collect()
    }
    fn checkpoint(&self) -> Option<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find_map(|b| b.checkpoint.clone())
    }
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs a source on a thread until stopped; its result comes back on join.
fn run(
    mut source: Box<dyn Source>,
    checkpoint: Option<String>,
    sink: Collect,
) -> (Stop, std::thread::JoinHandle<Result<(), SourceError>>) {
    let stop = Stop::new();
    let s = stop.clone();
    let mut sink = sink;
    let h = std::thread::spawn(move || source.run(checkpoint.as_deref(), &mut sink, &s));
    (stop, h)
}

fn stream_source(fake: &Fake, extra: &str) -> Box<dyn Source> {
    build(&fake.config(extra)).unwrap().sources.remove(0).1
}

#[test]
fn catches_up_page_by_page_then_streams() {
    let fake = fake();
    let first = fake.control("mention", serde_json::json!({"text": "avant"}));
    // Without a checkpoint, old mentions are not read: only "now" is noted.
    let sink = Collect::default();
    let (stop, h) = run(stream_source(&fake, ""), None, sink.clone());
    wait_for("the first checkpoint", || sink.checkpoint().is_some());
    stop.raise();
    h.join().unwrap().unwrap();
    assert!(sink.lines().is_empty());
    assert_eq!(sink.checkpoint().unwrap(), first["id"].as_str().unwrap());

    // 45 mentions while Palabre was away: two pages, in order, nothing missed.
    fake.control("burst", serde_json::json!({"count": 45}));
    let sink = Collect::default();
    let (stop, h) = run(
        stream_source(&fake, ""),
        Some(first["id"].as_str().unwrap().to_owned()),
        sink.clone(),
    );
    wait_for("the catch-up", || sink.lines().len() == 45);
    wait_for("the stream to open", || {
        fake.posts()["streams"].as_i64().unwrap() >= 1
    });
    let live = fake.control("mention", serde_json::json!({"text": "en direct"}));
    wait_for("the streamed mention", || sink.lines().len() == 46);
    stop.raise();
    h.join().unwrap().unwrap();
    let lines = sink.lines();
    let ids: Vec<u64> = lines
        .iter()
        .map(|l| l["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");
    assert!(
        lines[45]["status"]["content"]
            .as_str()
            .unwrap()
            .contains("en direct")
    );
    assert_eq!(sink.checkpoint().unwrap(), live["id"].as_str().unwrap());
}

#[test]
fn a_stream_cut_mid_event_loses_nothing_and_hands_on_nothing_broken() {
    let fake = fake();
    let start = fake.control("mention", serde_json::json!({"text": "zéro"}));
    fake.control("fail", serde_json::json!({"stream": ["half"]}));
    let sink = Collect::default();
    let (_, h) = run(
        stream_source(&fake, ""),
        Some(start["id"].as_str().unwrap().to_owned()),
        sink.clone(),
    );
    wait_for("the stream to open", || {
        fake.posts()["streams"].as_i64().unwrap() >= 1
    });
    fake.control("burst", serde_json::json!({"count": 3}));
    let err = h.join().unwrap().unwrap_err();
    assert!(
        matches!(&err, SourceError::Disconnected { error, .. } if error.contains("middle of a line") || error.contains("closed")),
        "{err:?}"
    );
    let got = sink.lines().len();
    assert!(got < 3, "the cut event was not handed on ({got})");
    // Reconnecting from the checkpoint catches up what the cut lost.
    let again = Collect::default();
    let (stop, h) = run(stream_source(&fake, ""), sink.checkpoint(), again.clone());
    wait_for("the catch-up", || got + again.lines().len() >= 3);
    stop.raise();
    h.join().unwrap().unwrap();
    assert_eq!(got + again.lines().len(), 3, "each mention exactly once");
}

#[test]
fn a_silent_stream_is_given_up_and_a_revoked_token_says_so() {
    let fake = fake();
    fake.control("fail", serde_json::json!({"stream": ["silent"]}));
    let started = Instant::now();
    let (_, h) = run(
        stream_source(
            &fake,
            "idle_timeout = \"1s\"\nstreams = [\"hashtag:MonRésultat\"]",
        ),
        None,
        Collect::default(),
    );
    let err = h.join().unwrap().unwrap_err();
    assert!(
        matches!(&err, SourceError::Disconnected { error, .. } if error.contains("nothing received")),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    fake.control("fail", serde_json::json!({"stream": ["500"]}));
    let (_, h) = run(
        stream_source(&fake, "streams = [\"hashtag:x\"]"),
        None,
        Collect::default(),
    );
    assert!(matches!(
        h.join().unwrap().unwrap_err(),
        SourceError::Disconnected { .. }
    ));

    fake.control("token", serde_json::json!({"valid": false}));
    let (_, h) = run(stream_source(&fake, ""), None, Collect::default());
    let err = h.join().unwrap().unwrap_err();
    assert!(
        matches!(&err, SourceError::Auth(e) if e.contains("401") && e.contains("renew")),
        "{err:?}"
    );
}

#[test]
fn polling_survives_a_500_and_a_page_that_is_not_json() {
    let fake = fake();
    let start = fake.control("mention", serde_json::json!({"text": "a"}));
    fake.control("burst", serde_json::json!({"count": 2}));
    fake.control("fail", serde_json::json!({"notifications": ["garbage"]}));
    let parts = build(&fake.config("streams = []\npoll_every = \"1s\"")).unwrap();
    let mut source = parts.sources.into_iter().next().unwrap().1;
    let mut sink = Collect::default();
    let err = source
        .run(start["id"].as_str(), &mut sink, &Stop::new())
        .unwrap_err();
    assert!(
        matches!(&err, SourceError::Disconnected { error, .. } if error.contains("maintenance")),
        "{err:?}"
    );
    fake.control("fail", serde_json::json!({"notifications": ["500"]}));
    assert!(matches!(
        source.run(start["id"].as_str(), &mut sink, &Stop::new()),
        Err(SourceError::Disconnected { .. })
    ));
    let (stop, h) = run(
        source,
        start["id"].as_str().map(str::to_owned),
        sink.clone(),
    );
    wait_for("the poll", || sink.lines().len() == 2);
    stop.raise();
    h.join().unwrap().unwrap();
}

fn reply<'a>(key: &'a str, target: &'a str, raw: &'a str) -> Outgoing<'a> {
    Outgoing {
        idem_key: key,
        action: Action::Reply,
        target_id: Some(target),
        target_raw: Some(raw),
        root_id: None,
        recipient: None,
        text: Some("Merci, nous regardons votre dossier."),
        human: true,
        last_inbound_ms: None,
        resend: false,
        queued_ms: 0,
        quick_replies: &[],
    }
}

#[test]
fn sends_once_per_key_and_maps_every_failure() {
    let fake = fake();
    let mention = fake.control(
        "mention",
        serde_json::json!({"acct": "claire@fake.example", "text": "Mon vol est annulé"}),
    );
    let raw = mention.to_string();
    let target = mention["status"]["id"].as_str().unwrap();
    let sender = build(&fake.config("timeout = \"1s\"")).unwrap().sender;

    let id = sender
        .send(&reply("human:1", target, &raw))
        .unwrap()
        .unwrap();
    let again = sender
        .send(&reply("human:1", target, &raw))
        .unwrap()
        .unwrap();
    assert_eq!(id, again, "the same key gives the same status");
    let posts = fake.posts()["posts"].as_array().unwrap().clone();
    assert_eq!(posts.len(), 1, "one post for one key");
    assert_eq!(posts[0]["idempotency_key"], "human:1");
    assert_eq!(posts[0]["in_reply_to_id"], target);
    assert!(
        posts[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("@claire@fake.example Merci"),
        "the author is mentioned so that they are notified: {}",
        posts[0]["text"]
    );
    assert_eq!(posts[0]["visibility"], "unlisted");

    fake.control("fail", serde_json::json!({"statuses": ["429"]}));
    let before = jiff::Timestamp::now().as_millisecond();
    let reset = match sender.send(&reply("bot:2", target, &raw)) {
        Err(SendError::Limited {
            at_ms: Some(at), ..
        }) => {
            assert!(at > before && at < before + 5_000, "the ISO reset: {at}");
            at
        }
        other => panic!("{other:?}"),
    };
    // Until the reset the account's other actions are not even tried.
    let asked = fake.posts()["requests"].as_array().map_or(0, Vec::len);
    assert!(asked > 0);
    assert_eq!(
        sender.send(&reply("bot:3", target, &raw)),
        Err(SendError::NotBefore { at_ms: reset })
    );
    assert_eq!(
        fake.posts()["requests"].as_array().map_or(0, Vec::len),
        asked
    );
    std::thread::sleep(Duration::from_millis(
        (reset - jiff::Timestamp::now().as_millisecond()).max(0) as u64 + 50,
    ));
    fake.control("fail", serde_json::json!({"statuses": ["500"]}));
    assert!(matches!(
        sender.send(&reply("bot:2", target, &raw)),
        Err(SendError::Retry { at_ms: None, .. })
    ));
    fake.control("fail", serde_json::json!({"statuses": ["error200"]}));
    assert!(matches!(
        sender.send(&reply("bot:2", target, &raw)),
        Err(SendError::Fatal(e)) if e.contains("Validation failed")
    ));
    fake.control("fail", serde_json::json!({"statuses": ["401"]}));
    assert!(matches!(
        sender.send(&reply("bot:2", target, &raw)),
        Err(SendError::Auth(_))
    ));
    fake.control("fail", serde_json::json!({"statuses": ["hang"]}));
    let started = Instant::now();
    assert!(matches!(
        sender.send(&reply("bot:2", target, &raw)),
        Err(SendError::Retry { .. })
    ));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a hanging server is a timeout"
    );
    let mut hide = reply("bot:hide", target, &raw);
    hide.action = Action::Hide;
    assert!(matches!(sender.send(&hide), Err(SendError::Fatal(e)) if e.contains("no way to hide")));

    // The headers say the account's allowance is used up: the next send waits for the reset
    // without calling the server.
    fake.control("remaining", serde_json::json!({"remaining": 0}));
    sender.send(&reply("bot:3", target, &raw)).unwrap();
    let calls = fake.posts()["requests"].as_array().unwrap().len();
    assert!(matches!(
        sender.send(&reply("bot:4", target, &raw)),
        Err(SendError::NotBefore { .. })
    ));
    assert_eq!(
        fake.posts()["requests"].as_array().unwrap().len(),
        calls,
        "not tried"
    );
    let posts = fake.posts()["posts"].as_array().unwrap().len();
    assert_eq!(posts, 2, "human:1 and bot:3");
}
