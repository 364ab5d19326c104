//! Fault injection on every platform's sending side: the real outbox sender and router hand
//! thousands of replies to each platform's client, whose fake platform fails one call in ten in the
//! ways platforms fail (429 with and without a reset, 500 after doing the work, 503, a timeout
//! after doing the work, a connection cut mid-body after doing it, 200 with an error body);
//! every reply must reach the platform exactly once and every outbox row end `sent`.
//!
//! The fakes keep what a platform keeps (posts, idempotency keys, record keys, replies under a
//! comment, one reply per review) and answer the reads the clients make before a resend.
//! `PALABRE_FAULT_REPLIES` sets the number of replies per platform: 3,000 by default (about
//! two minutes, each 429 pausing the account for a second or so, as it must); the figures in
//! docs/connectors.md are from `PALABRE_FAULT_REPLIES=10000`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../connectors/tests/common/mod.rs"]
mod fake;

use super::accounts::AccountConfig;
use super::outbox::{Sender, Settings};
use super::route::{Pace, Route, Router};
use fake::{Fake, Part, Reply, Request};
use palabre_connectors::Format;
use palabre_pipeline::{Pipeline, Policy};
use palabre_store::Workspace;
use palabre_store::workspace::{NewAction, OutboxStatus};
use palabre_web::Live;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How a platform call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Fault {
    /// 429 with the platform's reset header; nothing done.
    LimitedWithReset,
    /// 429 without any header; nothing done.
    Limited,
    /// The work is done, then 500.
    FailedAfterWork,
    /// 503; nothing done.
    Unavailable,
    /// The work is done, then no answer before the client's timeout.
    TimeoutAfterWork,
    /// The work is done, the answer starts, the connection is cut mid-body.
    CutAfterWork,
    /// 200 whose body is an error; nothing done.
    ErrorIn200,
}

const FAULTS: [Fault; 7] = [
    Fault::LimitedWithReset,
    Fault::Limited,
    Fault::FailedAfterWork,
    Fault::Unavailable,
    Fault::TimeoutAfterWork,
    Fault::CutAfterWork,
    Fault::ErrorIn200,
];

/// One call in every ten fails, at a random place in the ten, in a random way (seeded: a
/// failure can be replayed). Never more than two calls in a row fail.
struct Injector {
    state: Mutex<InjectorState>,
    hang: Duration,
}

struct InjectorState {
    rng: fastrand::Rng,
    calls: u64,
    planned: u64,
    kind: Fault,
    seen: HashMap<Fault, u64>,
}

impl Injector {
    fn new(seed: u64, hang: Duration) -> Injector {
        Injector {
            state: Mutex::new(InjectorState {
                rng: fastrand::Rng::with_seed(seed),
                calls: 0,
                planned: 0,
                kind: Fault::Limited,
                seen: HashMap::new(),
            }),
            hang,
        }
    }

    fn next(&self) -> Option<Fault> {
        let mut s = self.state.lock().unwrap();
        if s.calls.is_multiple_of(10) {
            s.planned = s.rng.u64(0..10);
            s.kind = FAULTS[s.rng.usize(..FAULTS.len())];
        }
        let here = s.calls % 10 == s.planned;
        s.calls += 1;
        if !here {
            return None;
        }
        let kind = s.kind;
        *s.seen.entry(kind).or_default() += 1;
        Some(kind)
    }

    fn calls(&self) -> u64 {
        self.state.lock().unwrap().calls
    }

    fn seen(&self) -> Vec<(Fault, u64)> {
        let mut seen: Vec<_> = self
            .state
            .lock()
            .unwrap()
            .seen
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect();
        seen.sort();
        seen
    }
}

/// How a platform says "slow down" and "I failed".
struct Dialect {
    /// The headers of a 429 with a reset, at `now_ms`.
    reset: fn(i64) -> Vec<(&'static str, String)>,
    limited: &'static str,
    failed: &'static str,
    /// The body of a 200 that is an error.
    error_in_200: &'static str,
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

fn reply(status: u16, headers: Vec<(&str, String)>, body: &str) -> Reply {
    let mut all = vec![("content-type".to_owned(), "application/json".to_owned())];
    all.extend(headers.into_iter().map(|(k, v)| (k.to_owned(), v)));
    Reply::Full {
        status,
        headers: all,
        body: body.to_owned(),
    }
}

/// A platform's handler behind the injector.
fn faulty(
    injector: Arc<Injector>,
    dialect: Dialect,
    work: impl Fn(&Request) -> Reply + Send + Sync + 'static,
) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    move |r| match injector.next() {
        None => work(r),
        Some(Fault::LimitedWithReset) => reply(429, (dialect.reset)(now_ms()), dialect.limited),
        Some(Fault::Limited) => reply(429, vec![], dialect.limited),
        Some(Fault::Unavailable) => reply(503, vec![], dialect.failed),
        Some(Fault::ErrorIn200) => reply(200, vec![], dialect.error_in_200),
        Some(Fault::FailedAfterWork) => {
            let _ = work(r);
            reply(500, vec![], dialect.failed)
        }
        Some(Fault::TimeoutAfterWork) => {
            let _ = work(r);
            Reply::Hang(injector.hang)
        }
        Some(Fault::CutAfterWork) => match work(r) {
            Reply::Full { status, body, .. } => {
                let half = body.as_bytes()[..body.len() / 2].to_vec();
                let mut parts = Vec::new();
                if !half.is_empty() {
                    parts.push(Part::Bytes(half));
                }
                parts.push(Part::Cut);
                Reply::Stream { status, parts }
            }
            other => other,
        },
    }
}

/// What a fake platform holds: each reply it took (the message answered, the text), in order.
#[derive(Default)]
struct Posts {
    list: Vec<(String, String, String)>,
    /// Mastodon's idempotency keys, Bluesky's record keys → the post's id.
    keys: HashMap<String, String>,
    /// Reviews: their one reply, and how many times a reply replaced an earlier one.
    reviews: HashMap<String, String>,
    replaced: u64,
}

type Shared = Arc<Mutex<Posts>>;

/// A fake platform's behaviour.
type Handler = Box<dyn Fn(&Request) -> Reply + Send + Sync>;

fn add(posts: &Shared, target: &str, text: &str) -> String {
    let mut p = posts.lock().unwrap();
    let id = format!("{}", 1_000_000 + p.list.len());
    p.list
        .push((id.clone(), target.to_owned(), text.to_owned()));
    id
}

/// A platform under test: its account in the configuration, its fake, what to send.
struct Platform {
    name: &'static str,
    /// `[[channels]]`: who the brand is there (`PLATFORM:ID:HANDLE`).
    channel: &'static str,
    /// `[[accounts]]` for the fake at URL (`{url}` is replaced).
    account: &'static str,
    dialect: Dialect,
    /// The fake's behaviour without faults.
    work: fn(Shared) -> Handler,
    /// Reply `i`: the message answered (its generic event line) and the outbox action.
    message: fn(usize) -> (String, &'static str),
    /// Reviews keep one reply each: a resend replaces it.
    reviews: bool,
}

/// A person's message addressed to the brand (`brand`: its id on the platform).
fn generic(platform: &str, id: &str, kind: &str, author: &str, brand: &str) -> String {
    let mut event = json!({
        "platform": platform,
        "id": id,
        "kind": kind,
        "text": format!("question {id}"),
        "created_at": jiff::Timestamp::now().to_string(),
        "author": {"id": author, "handle": format!("person{author}")},
    });
    if kind == "direct" {
        event["recipient"] = Value::from(brand);
    } else if kind != "review" {
        event["in_reply_to"] = Value::from(format!("{platform}-brand-post"));
        event["in_reply_to_author"] = Value::from(brand);
    }
    event.to_string()
}

fn text_of(i: usize) -> String {
    format!("Merci pour votre message n°{i}, voici la réponse.")
}

fn mastodon() -> Platform {
    Platform {
        name: "mastodon",
        channel: "mastodon:1:brand@social.test",
        account: "platform = \"mastodon\"\nname = \"m\"\nbase_url = \"{url}\"\naccess_token = \"t\"\nstreams = []\npoll_every = \"1h\"\ntimeout = \"250ms\"\n",
        dialect: Dialect {
            reset: |now| {
                let at = jiff::Timestamp::from_millisecond(now + 300).unwrap();
                vec![
                    ("x-ratelimit-remaining", "0".into()),
                    ("x-ratelimit-reset", at.to_string()),
                ]
            },
            limited: r#"{"error":"Too many requests"}"#,
            failed: r#"{"error":"We're sorry, but something went wrong on our end."}"#,
            error_in_200: r#"{"error":"Something went wrong"}"#,
        },
        work: |posts| {
            Box::new(move |r| match (r.method.as_str(), r.path.as_str()) {
                ("POST", "/api/v1/statuses") => {
                    let key = r.header("idempotency-key").unwrap_or("").to_owned();
                    let body = r.json();
                    let known = posts.lock().unwrap().keys.get(&key).cloned();
                    let id = known.unwrap_or_else(|| {
                        let id = add(
                            &posts,
                            body["in_reply_to_id"].as_str().unwrap_or(""),
                            body["status"].as_str().unwrap_or(""),
                        );
                        posts.lock().unwrap().keys.insert(key, id.clone());
                        id
                    });
                    fake::json(
                        200,
                        &json!({"id": id, "content": body["status"], "in_reply_to_id": body["in_reply_to_id"]}).to_string(),
                    )
                }
                _ => fake::json(404, r#"{"error":"Record not found"}"#),
            })
        },
        message: |i| {
            (
                generic(
                    "mastodon",
                    &format!("{}", 500 + i),
                    "reply",
                    &format!("{}", 9000 + i),
                    "1",
                ),
                "reply",
            )
        },
        reviews: false,
    }
}

const X_USER: &str = "2244994945";

fn x() -> Platform {
    Platform {
        name: "x",
        channel: "x:2244994945:brand",
        account: "platform = \"x\"\nname = \"x\"\nuser_id = \"2244994945\"\nuser_token = \"u\"\napi_url = \"{url}\"\nstream = false\ntimeout = \"250ms\"\n",
        dialect: Dialect {
            reset: |now| {
                vec![
                    ("x-rate-limit-limit", "300".into()),
                    ("x-rate-limit-remaining", "0".into()),
                    ("x-rate-limit-reset", format!("{}", now / 1000 + 1)),
                ]
            },
            limited: r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#,
            failed: r#"{"title":"Service Unavailable","detail":"Service Unavailable","type":"about:blank","status":503}"#,
            error_in_200: r#"{"errors":[{"title":"Service Unavailable","detail":"Service is temporarily unavailable","type":"about:blank"}]}"#,
        },
        work: |posts| {
            Box::new(move |r| {
                let timeline = format!("/2/users/{X_USER}/tweets");
                match (r.method.as_str(), r.path.as_str()) {
                    ("POST", "/2/tweets") => {
                        let body = r.json();
                        let text = body["text"].as_str().unwrap_or("");
                        let id = add(
                            &posts,
                            body["reply"]["in_reply_to_tweet_id"].as_str().unwrap_or(""),
                            text,
                        );
                        fake::json(201, &json!({"data": {"id": id, "text": text}}).to_string())
                    }
                    ("GET", path) if path == timeline => {
                        // Newest first, 100 a page, newer than `since_id` when it is given
                        // (every post of the fake is recent: `start_time` keeps them all).
                        let since: u64 = r.param("since_id").map_or(0, |t| t.parse().unwrap());
                        let list: Vec<_> = posts
                            .lock()
                            .unwrap()
                            .list
                            .iter()
                            .filter(|(id, _, _)| id.parse::<u64>().unwrap() > since)
                            .cloned()
                            .collect();
                        let from: usize = r
                            .param("pagination_token")
                            .map_or(0, |t| t.parse().unwrap());
                        let page: Vec<Value> = list
                            .iter()
                            .rev()
                            .skip(from)
                            .take(100)
                            .map(|(id, target, text)| {
                                json!({"id": id, "text": text, "referenced_tweets": [{"type": "replied_to", "id": target}]})
                            })
                            .collect();
                        let mut meta = json!({"result_count": page.len()});
                        if from + 100 < list.len() {
                            meta["next_token"] = Value::from(format!("{}", from + 100));
                        }
                        fake::json(200, &json!({"data": page, "meta": meta}).to_string())
                    }
                    _ => fake::json(404, r#"{"title":"Not Found"}"#),
                }
            })
        },
        message: |i| {
            (
                generic(
                    "x",
                    &format!("{}", 1_700_000_000_000_000_000u64 + i as u64),
                    "reply",
                    &format!("{}", 4000 + i),
                    X_USER,
                ),
                "reply",
            )
        },
        reviews: false,
    }
}

const BRAND_DID: &str = "did:plc:brandbrandbrandbrandbrand";

fn bluesky() -> Platform {
    Platform {
        name: "bluesky",
        channel: "bluesky:did:plc:brandbrandbrandbrandbrand:brand.test",
        account: "platform = \"bluesky\"\nname = \"b\"\nhandle = \"brand.test\"\nservice = \"{url}\"\npassword = \"pw\"\njetstream = \"ws://127.0.0.1:1/subscribe\"\ntimeout = \"250ms\"\n",
        dialect: Dialect {
            reset: |now| {
                vec![
                    ("ratelimit-limit", "5000".into()),
                    ("ratelimit-remaining", "0".into()),
                    ("ratelimit-reset", format!("{}", now / 1000 + 1)),
                ]
            },
            limited: r#"{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}"#,
            failed: r#"{"error":"InternalServerError","message":"Internal Server Error"}"#,
            error_in_200: r#"{"error":"InternalServerError","message":"Internal Server Error"}"#,
        },
        work: |posts| {
            Box::new(move |r| {
                let nsid = r.path.trim_start_matches("/xrpc/");
                match (r.method.as_str(), nsid) {
                    ("POST", "com.atproto.server.createSession") => fake::json(
                        200,
                        &json!({"accessJwt": "a", "refreshJwt": "r", "did": BRAND_DID, "handle": "brand.test"}).to_string(),
                    ),
                    ("POST", "com.atproto.repo.createRecord") => {
                        let body = r.json();
                        let rkey = body["rkey"].as_str().unwrap_or("").to_owned();
                        if posts.lock().unwrap().keys.contains_key(&rkey) {
                            // What @atproto/pds answers for a record key already taken.
                            return fake::json(500, r#"{"error":"InternalServerError","message":"Internal Server Error"}"#);
                        }
                        let record = &body["record"];
                        add(
                            &posts,
                            record["reply"]["parent"]["uri"].as_str().unwrap_or(""),
                            record["text"].as_str().unwrap_or(""),
                        );
                        let uri = format!("at://{BRAND_DID}/app.bsky.feed.post/{rkey}");
                        posts.lock().unwrap().keys.insert(rkey.clone(), uri.clone());
                        fake::json(200, &json!({"uri": uri, "cid": format!("bafyrei{rkey}")}).to_string())
                    }
                    ("GET", "com.atproto.repo.getRecord") => {
                        let repo = r.param("repo").unwrap_or("");
                        let rkey = r.param("rkey").unwrap_or("");
                        let uri = format!("at://{repo}/app.bsky.feed.post/{rkey}");
                        if repo != BRAND_DID {
                            // A person's post being answered.
                            return fake::json(200, &json!({"uri": uri, "cid": format!("bafyreitarget{rkey}"), "value": {"$type": "app.bsky.feed.post", "text": "question", "createdAt": "2026-12-06T10:00:00Z"}}).to_string());
                        }
                        let known = posts.lock().unwrap().keys.contains_key(rkey);
                        if known {
                            fake::json(200, &json!({"uri": uri, "cid": format!("bafyrei{rkey}"), "value": {"$type": "app.bsky.feed.post", "text": "ours"}}).to_string())
                        } else {
                            fake::json(400, &json!({"error": "RecordNotFound", "message": format!("Could not locate record: {uri}")}).to_string())
                        }
                    }
                    _ => fake::json(501, r#"{"error":"MethodNotImplemented"}"#),
                }
            })
        },
        message: |i| {
            // As Jetstream delivers it (its CID is what a reply needs, kept with the message).
            let brand_post = json!({"uri": format!("at://{BRAND_DID}/app.bsky.feed.post/3kbrandpost22"), "cid": "bafyreibrandpost"});
            let event = json!({
                "did": format!("did:plc:person{i:020}"),
                "time_us": now_ms() * 1000,
                "kind": "commit",
                "commit": {
                    "rev": format!("3kperson{i:06}"),
                    "operation": "create",
                    "collection": "app.bsky.feed.post",
                    "rkey": format!("3kperson{i:06}"),
                    "record": {
                        "$type": "app.bsky.feed.post",
                        "text": format!("question {i}"),
                        "createdAt": jiff::Timestamp::now().to_string(),
                        "reply": {"root": brand_post, "parent": brand_post},
                    },
                    "cid": format!("bafyreiperson{i:06}"),
                },
            });
            (event.to_string(), "reply")
        },
        reviews: false,
    }
}

const PAGE: &str = "5550001";
const IG_USER: &str = "17841400000000000";

fn meta_dialect() -> Dialect {
    Dialect {
        reset: |_| vec![("retry-after", "1".into())],
        limited: r#"{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","is_transient":true,"code":4,"fbtrace_id":"AbC"}}"#,
        failed: r#"{"error":{"message":"An unexpected error has occurred. Please retry your request later.","type":"OAuthException","is_transient":true,"code":2,"fbtrace_id":"AbC"}}"#,
        error_in_200: r#"{"error":{"message":"An unknown error has occurred.","type":"OAuthException","is_transient":true,"code":1,"fbtrace_id":"AbC"}}"#,
    }
}

/// Messenger and Instagram: private answers through the Send API and replies under comments,
/// half and half; `ours` is the Page or the Instagram account, `edge` the replies' edge.
fn meta_work(
    posts: Shared,
    ours: &'static str,
    edge: &'static str,
    field: &'static str,
) -> Handler {
    Box::new(move |r| {
        let path = r.path.trim_start_matches('/');
        let mut parts = path.rsplitn(2, '/');
        let (last, object) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        match (r.method.as_str(), object, last) {
            ("POST", o, "messages") if o == ours => {
                let body = r.json();
                let to = body["recipient"]["id"].as_str().unwrap_or("").to_owned();
                let id = add(&posts, &to, body["message"]["text"].as_str().unwrap_or(""));
                fake::json(
                    200,
                    &json!({"recipient_id": to, "message_id": format!("m_{id}")}).to_string(),
                )
            }
            ("GET", o, "conversations") if o == ours => {
                let user = r.param("user_id").unwrap_or("").to_owned();
                let list = posts.lock().unwrap().list.clone();
                let messages: Vec<Value> = list
                    .iter()
                    .rev()
                    .filter(|(_, target, _)| *target == user)
                    .take(10)
                    .map(|(id, _, text)| json!({"id": format!("m_{id}"), "message": text, "from": {"id": ours}}))
                    .collect();
                fake::json(
                    200,
                    &json!({"data": [{"id": "t_1", "messages": {"data": messages}}]}).to_string(),
                )
            }
            ("POST", comment, e) if e == edge => {
                let body = r.json();
                let id = add(&posts, comment, body["message"].as_str().unwrap_or(""));
                fake::json(200, &json!({"id": format!("c_{id}")}).to_string())
            }
            ("GET", comment, e) if e == edge => {
                let list = posts.lock().unwrap().list.clone();
                let replies: Vec<Value> = list
                    .iter()
                    .rev()
                    .filter(|(_, target, _)| target == comment)
                    .map(|(id, _, text)| json!({"id": format!("c_{id}"), field: text, "from": {"id": ours}}))
                    .collect();
                fake::json(200, &json!({"data": replies}).to_string())
            }
            _ => fake::json(
                400,
                r#"{"error":{"message":"Unsupported request","type":"GraphMethodException","code":100}}"#,
            ),
        }
    })
}

fn meta_message(platform: &str, brand: &str, i: usize) -> (String, &'static str) {
    if i.is_multiple_of(2) {
        (
            generic(
                platform,
                &format!("m_{i}"),
                "direct",
                &format!("{}", 7_000_000 + i),
                brand,
            ),
            "direct",
        )
    } else {
        (
            generic(
                platform,
                &format!("{}_{}", 1000 + i, 2000 + i),
                "comment",
                &format!("{}", 7_000_000 + i),
                brand,
            ),
            "reply",
        )
    }
}

fn messenger() -> Platform {
    Platform {
        name: "messenger",
        channel: "messenger:5550001:brand",
        account: "platform = \"messenger\"\nname = \"page\"\npage_id = \"5550001\"\npage_access_token = \"t\"\napp_secret = \"s\"\nverify_token = \"v\"\ngraph_url = \"{url}\"\ntimeout = \"250ms\"\n",
        dialect: meta_dialect(),
        work: |posts| meta_work(posts, PAGE, "comments", "message"),
        message: |i| meta_message("messenger", PAGE, i),
        reviews: false,
    }
}

fn instagram() -> Platform {
    Platform {
        name: "instagram",
        channel: "instagram:17841400000000000:brand",
        account: "platform = \"instagram\"\nname = \"ig\"\nig_user_id = \"17841400000000000\"\npage_access_token = \"t\"\napp_secret = \"s\"\nverify_token = \"v\"\ngraph_url = \"{url}\"\ntimeout = \"250ms\"\n",
        dialect: meta_dialect(),
        work: |posts| meta_work(posts, IG_USER, "replies", "text"),
        message: |i| meta_message("instagram", IG_USER, i),
        reviews: false,
    }
}

/// A review's one reply: a second reply replaces the first.
fn review_reply(posts: &Shared, review: &str, text: &str) {
    let mut p = posts.lock().unwrap();
    if p.reviews
        .insert(review.to_owned(), text.to_owned())
        .is_some()
    {
        p.replaced += 1;
    }
}

fn google() -> Platform {
    Platform {
        name: "google",
        channel: "google:222:brand",
        account: "platform = \"google\"\nname = \"g\"\naccount_id = \"111\"\nlocation_id = \"222\"\ntoken = \"t\"\napi_url = \"{url}\"\ntimeout = \"250ms\"\n",
        dialect: Dialect {
            reset: |_| vec![("retry-after", "1".into())],
            limited: r#"{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}"#,
            failed: r#"{"error":{"code":503,"message":"The service is currently unavailable.","status":"UNAVAILABLE"}}"#,
            error_in_200: r#"{"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL"}}"#,
        },
        work: |posts| {
            Box::new(move |r| match r.method.as_str() {
                "PUT" if r.path.ends_with("/reply") => {
                    let review = r
                        .path
                        .trim_end_matches("/reply")
                        .rsplit('/')
                        .next()
                        .unwrap_or("")
                        .to_owned();
                    let text = r.json()["comment"].as_str().unwrap_or("").to_owned();
                    review_reply(&posts, &review, &text);
                    fake::json(
                        200,
                        &json!({"comment": text, "updateTime": "2026-12-06T10:00:00Z"}).to_string(),
                    )
                }
                _ => fake::json(
                    404,
                    r#"{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND"}}"#,
                ),
            })
        },
        message: |i| {
            (
                generic(
                    "google",
                    &format!("AbFvOq{i:08}"),
                    "review",
                    &format!("g{i}"),
                    "222",
                ),
                "reply",
            )
        },
        reviews: true,
    }
}

fn trustpilot() -> Platform {
    Platform {
        name: "trustpilot",
        channel: "trustpilot:bu1:brand",
        account: "platform = \"trustpilot\"\nname = \"tp\"\nbusiness_unit_id = \"bu1\"\napi_key = \"k\"\ntoken = \"t\"\nauthor_business_user_id = \"u1\"\napi_url = \"{url}\"\ntimeout = \"250ms\"\n",
        dialect: Dialect {
            reset: |_| vec![("retry-after", "1".into())],
            limited: r#"{"fault":{"faultstring":"Rate limit quota violation.","detail":{"errorcode":"policies.ratelimit.QuotaViolation"}}}"#,
            failed: r#"{"fault":{"faultstring":"The Service is temporarily unavailable","detail":{"errorcode":"messaging.adaptors.http.flow.ServiceUnavailable"}}}"#,
            error_in_200: r#"{"fault":{"faultstring":"Gateway Timeout","detail":{"errorcode":"messaging.adaptors.http.flow.GatewayTimeout"}}}"#,
        },
        work: |posts| {
            Box::new(move |r| match r.method.as_str() {
                "POST" if r.path.ends_with("/reply") => {
                    let review = r
                        .path
                        .trim_end_matches("/reply")
                        .rsplit('/')
                        .next()
                        .unwrap_or("")
                        .to_owned();
                    let text = r.json()["message"].as_str().unwrap_or("").to_owned();
                    review_reply(&posts, &review, &text);
                    Reply::Full {
                        status: 201,
                        headers: vec![],
                        body: String::new(),
                    }
                }
                _ => fake::json(404, r#"{"message":"Not found"}"#),
            })
        },
        message: |i| {
            (
                generic(
                    "trustpilot",
                    &format!("5f{i:022x}"),
                    "review",
                    &format!("t{i}"),
                    "bu1",
                ),
                "reply",
            )
        },
        reviews: true,
    }
}

/// What one platform's run measured.
#[derive(Debug)]
struct Run {
    platform: &'static str,
    replies: usize,
    calls: u64,
    faults: Vec<(Fault, u64)>,
    attempts: i64,
    most_attempts: i64,
    /// Posts on the platform (reviews: replies, and replacements).
    posted: usize,
    replaced: u64,
    elapsed: Duration,
}

/// Sends `replies` replies through the outbox to the platform's faulty fake; checks that each
/// one is there exactly once and that every row is `sent` with the platform's id.
fn run(platform: Platform, replies: usize, seed: u64) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let location = dir.path().join("p.db").display().to_string();
    let posts: Shared = Arc::default();
    let injector = Arc::new(Injector::new(seed, Duration::from_millis(1000)));
    let fake = Fake::start(faulty(
        injector.clone(),
        platform.dialect,
        (platform.work)(posts.clone()),
    ));

    // The messages answered, stored as the ingest thread stores them.
    let channel = platform.channel.parse().unwrap();
    let mut pipeline = Pipeline::new(Policy::with_channels(vec![channel]));
    let mut store = palabre_store::open(&location).unwrap();
    let mut entries = Vec::new();
    let mut wanted = Vec::new();
    for i in 0..replies {
        let (line, action) = (platform.message)(i);
        let mut id = None;
        pipeline.process_line(&line, Format::Auto, |p| {
            id = p.event_id.as_ref().map(|e| e.external.as_str().to_owned());
            entries.extend(crate::engine::to_entry(p, "faults", i as u64 + 1));
        });
        wanted.push((id.unwrap(), action, text_of(i)));
    }
    store.write(&entries).unwrap();
    let mut ws = Workspace::open(&location).unwrap();
    let mut ids = Vec::new();
    for (i, (target, action, text)) in wanted.iter().enumerate() {
        let key = format!("bot:{}:{i}", platform.name);
        let (id, _) = ws
            .enqueue(&NewAction {
                idem_key: &key,
                action,
                platform: platform.name,
                conversation_id: None,
                target_id: Some(target),
                text: Some(text),
                origin: "bot",
                actor: "palabre",
                priority: 1,
                campaign: None,
                choices: None,
                channel: None,
            })
            .unwrap();
        ids.push(id);
    }

    // The account as the configuration gives it, the router and the sender of `serve`.
    #[derive(serde::Deserialize)]
    struct File {
        accounts: Vec<AccountConfig>,
    }
    let toml_text = format!(
        "[[accounts]]\n{}",
        platform.account.replace("{url}", &fake.url)
    );
    let file: File = toml::from_str(&toml_text).unwrap();
    let account = file.accounts[0].build().unwrap();
    let routes = HashMap::from([(
        platform.name.to_owned(),
        Route {
            account: account.name.clone(),
            sender: account.sender.clone().unwrap(),
        },
    )]);
    let router = Arc::new(
        Router::new(
            &location,
            routes,
            HashMap::new(),
            None,
            Pace::new(crate::config::Pace::NONE),
        )
        .unwrap(),
    );
    let settings = Settings {
        max_attempts: crate::config::DEFAULT_OUTBOX_ATTEMPTS,
        node: "faults".into(),
        pace: crate::config::Pace::NONE,
        stale: HashMap::new(),
        media_url: None,
    };
    let sender = Sender::open(&location, router, Live::new(), &settings).unwrap();
    let (wake, woken) = std::sync::mpsc::channel();
    let started = Instant::now();
    let thread = std::thread::spawn(move || sender.run(woken));
    let deadline = started + Duration::from_secs(900);
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let open = ws.outbox_count(OutboxStatus::Pending).unwrap()
            + ws.outbox_count(OutboxStatus::Sending).unwrap();
        if open == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{}: {open} replies still unsent after 15 minutes",
            platform.name
        );
        let _ = wake.send(());
    }
    let elapsed = started.elapsed();
    eprintln!(
        "{}: {replies} replies sent in {:.0} s",
        platform.name,
        elapsed.as_secs_f64()
    );
    drop(wake);
    thread.join().unwrap();

    // Exactly once on the platform, and `sent` in the outbox.
    let posts = posts.lock().unwrap();
    let mut attempts = 0;
    let mut most_attempts = 0;
    for (i, id) in ids.iter().enumerate() {
        let item = ws.outbox_item(*id).unwrap().unwrap();
        assert_eq!(
            item.status,
            OutboxStatus::Sent,
            "{}: reply {i} ended {:?} ({:?})",
            platform.name,
            item.status,
            item.last_error
        );
        attempts += item.attempts;
        most_attempts = most_attempts.max(item.attempts);
    }
    if platform.reviews {
        for (target, _, text) in &wanted {
            assert_eq!(
                posts.reviews.get(target),
                Some(text),
                "{}: review {target} holds our reply",
                platform.name
            );
        }
        assert_eq!(posts.reviews.len(), replies);
    } else {
        let mut count: HashMap<(&str, &str), usize> = HashMap::new();
        for (_, target, text) in &posts.list {
            *count.entry((target, text)).or_default() += 1;
        }
        for (i, (target, action, text)) in wanted.iter().enumerate() {
            // A private message is addressed to the person, not to their message.
            let addressee = if *action == "direct" {
                let raw = (platform.message)(i).0;
                serde_json::from_str::<Value>(&raw).unwrap()["author"]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            } else {
                target.clone()
            };
            let n = count
                .get(&(addressee.as_str(), text.as_str()))
                .copied()
                .unwrap_or(0);
            assert_eq!(
                n, 1,
                "{}: reply {i} is on the platform {n} times",
                platform.name
            );
        }
        assert_eq!(
            posts.list.len(),
            replies,
            "{}: nothing else was posted",
            platform.name
        );
    }
    Run {
        platform: platform.name,
        replies,
        calls: injector.calls(),
        faults: injector.seen(),
        attempts,
        most_attempts,
        posted: if platform.reviews {
            posts.reviews.len()
        } else {
            posts.list.len()
        },
        replaced: posts.replaced,
        elapsed,
    }
}

#[test]
fn every_reply_reaches_each_platform_exactly_once_when_one_call_in_ten_fails() {
    let replies: usize = std::env::var("PALABRE_FAULT_REPLIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000);
    let platforms: Vec<fn() -> Platform> = vec![
        mastodon, x, bluesky, messenger, instagram, google, trustpilot,
    ];
    // The platforms run side by side: their waits (resets, backoff, timeouts) overlap.
    let handles: Vec<_> = platforms
        .into_iter()
        .enumerate()
        .map(|(n, platform)| std::thread::spawn(move || run(platform(), replies, 18 + n as u64)))
        .collect();
    let runs: Vec<Run> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    eprintln!(
        "| platform | replies | calls | faults | attempts (mean / most) | on the platform | replaced | time |"
    );
    for r in &runs {
        let faults: u64 = r.faults.iter().map(|(_, n)| n).sum();
        eprintln!(
            "| {} | {} | {} | {} ({}) | {:.3} / {} | {} | {} | {:.0} s |",
            r.platform,
            r.replies,
            r.calls,
            faults,
            r.faults
                .iter()
                .map(|(k, n)| format!("{k:?} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            r.attempts as f64 / r.replies as f64,
            r.most_attempts,
            r.posted,
            r.replaced,
            r.elapsed.as_secs_f64()
        );
        assert!(
            faults * 10 >= r.calls - 10,
            "{}: one call in ten failed",
            r.platform
        );
        for kind in FAULTS {
            assert!(
                r.faults.iter().any(|(k, n)| *k == kind && *n > 0) || r.calls < 200,
                "{}: {kind:?} was injected",
                r.platform
            );
        }
    }
}
