//! The Mastodon client against a fake Mastodon server run as its own process
//! (`tests/fakes/mastodon.py`): catching up by polling, streaming, a stream cut in the middle of
//! an event, a silent stream, a revoked token, and sending with idempotency keys, 429 resets,
//! 500s, a 200 carrying an error, and a server that hangs; posts with images (uploaded with
//! their descriptions, waited for while processed, named in the status) and images refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_connectors::client::{
    Action, Batch, Media, Outgoing, SendError, Sink, Source, SourceError, Stop,
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
        media: &[],
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

fn post<'a>(key: &'a str, media: &'a [Media<'a>]) -> Outgoing<'a> {
    Outgoing {
        action: Action::Post,
        target_id: None,
        target_raw: None,
        text: Some("Nos nouveaux horaires, en images."),
        human: true,
        media,
        ..reply(key, "", "")
    }
}

/// Bytes that look like an image to a server that reads the content type only; with CR LF
/// inside, so that a body cut or re-encoded on the way shows in the checksum.
fn image_bytes(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| match i % 7 {
            0 => b'\r',
            1 => b'\n',
            _ => (i as u8).wrapping_mul(31).wrapping_add(seed),
        })
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn media<'a>(bytes: &'a [u8], content_type: &'a str, alt: &'a str) -> Media<'a> {
    Media {
        bytes,
        content_type,
        width: 800,
        height: 600,
        alt,
        url: None,
    }
}

#[test]
fn a_post_carries_its_images_described_and_processed_once_per_key() {
    let fake = fake();
    let sender = build(&fake.config("")).unwrap().sender;
    let (jpeg, png) = (image_bytes(1, 40_000), image_bytes(2, 3_000));
    let images = [
        media(&jpeg, "image/jpeg", "Un chat roux sur le comptoir"),
        media(&png, "image/png", ""),
    ];
    // The second image is still being processed when the upload answers (202, no url): the
    // fake refuses a status naming it until two reads later.
    fake.control("fail", serde_json::json!({"media": ["ok", "processing"]}));
    let id = sender
        .send(&post("post:7:v1:1700000000000", &images))
        .unwrap()
        .unwrap();
    let state = fake.posts();
    let uploads = state["media"].as_array().unwrap();
    assert_eq!(uploads.len(), 2);
    assert_eq!(uploads[0]["content_type"], "image/jpeg");
    assert_eq!(uploads[0]["filename"], "image-1.jpg");
    assert_eq!(uploads[0]["size"], 40_000);
    assert_eq!(
        uploads[0]["sha256"],
        sha256(&jpeg),
        "the bytes arrive intact"
    );
    assert_eq!(uploads[0]["description"], "Un chat roux sur le comptoir");
    assert_eq!(uploads[1]["content_type"], "image/png");
    assert_eq!(uploads[1]["sha256"], sha256(&png));
    assert!(uploads[1]["description"].is_null(), "no empty description");
    assert_eq!(uploads[1]["pending"], 0, "read until processed");
    let posts = state["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0]["id"], id.as_str());
    assert_eq!(posts[0]["visibility"], "public");
    assert_eq!(posts[0]["idempotency_key"], "post:7:v1:1700000000000");
    assert_eq!(
        posts[0]["media_ids"],
        serde_json::json!([uploads[0]["id"], uploads[1]["id"]]),
        "the images in order"
    );
    // Sent again (a crash after Mastodon took it): the key gives back the same status.
    let again = sender
        .send(&post("post:7:v1:1700000000000", &images))
        .unwrap()
        .unwrap();
    assert_eq!(again, id);
    assert_eq!(fake.posts()["posts"].as_array().unwrap().len(), 1);
}

#[test]
fn an_image_mastodon_refuses_comes_back_in_its_words_and_nothing_is_posted() {
    let fake = fake();
    let sender = build(&fake.config("")).unwrap().sender;
    let (a, b) = (image_bytes(3, 500), image_bytes(4, 600));
    let images = [media(&a, "image/jpeg", "a"), media(&b, "image/webp", "b")];
    let statuses = || fake.posts()["requests"].as_array().unwrap().len();

    fake.control("fail", serde_json::json!({"media": ["ok", "422"]}));
    assert_eq!(
        sender.send(&post("post:1:v1:1", &images)),
        Err(SendError::Fatal(
            "Mastodon refused the image 2: Validation failed: File file size must be less than 16 MB"
                .into()
        ))
    );
    fake.control("fail", serde_json::json!({"media": ["422-type"]}));
    let e = sender.send(&post("post:1:v1:1", &images)).unwrap_err();
    assert!(
        matches!(&e, SendError::Fatal(m) if m.starts_with("Mastodon refused the image 1: Validation failed: File content type is invalid")),
        "{e:?}"
    );
    // A server error is worth another try.
    fake.control("fail", serde_json::json!({"media": ["500"]}));
    assert!(matches!(
        sender.send(&post("post:1:v1:1", &images)),
        Err(SendError::Retry { .. })
    ));
    // An image that never finishes processing: given up after a few seconds, retried later.
    fake.control("fail", serde_json::json!({"media": ["stuck"]}));
    let started = Instant::now();
    let e = sender.send(&post("post:1:v1:1", &images)).unwrap_err();
    assert!(
        matches!(&e, SendError::Retry { error, .. } if error.contains("still processing the image 1")),
        "{e:?}"
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(9),
        "bounded: {took:?}"
    );
    assert_eq!(statuses(), 0, "no status was even tried");
    assert!(fake.posts()["posts"].as_array().unwrap().is_empty());
}
