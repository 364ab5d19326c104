//! The review-site clients against a fake Google Business Profile and a fake Trustpilot: polling
//! with pages and a time checkpoint (resumed without duplicates), replies (paths, bodies,
//! tokens), and failures (401, 429 with its reset, 500, a 200 with an error body, a hang).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Fake, Reply, TestSink, fixture, json, one_line, with_headers};
use palabre_connectors::client::{
    Action, Outgoing, PlatformSender, SendError, Source, SourceError, Stop,
};
use palabre_connectors::{Event, Format, google, normalize, trustpilot};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const GOOGLE_REVIEWS: &str =
    "/v4/accounts/107761523648472389137/locations/8514732934027138462/reviews";

fn google_config(url: &str) -> google::client::Config {
    serde_json::from_value(serde_json::json!({
        "name": "brand-google",
        "account_id": "107761523648472389137",
        "location_id": "8514732934027138462",
        "token": "ya29.google-token",
        "api_url": url,
        "poll": "60s",
        "timeout": "2s",
    }))
    .unwrap()
}

fn review(id: &str, update: &str, stars: &str) -> serde_json::Value {
    serde_json::json!({
        "name": format!("accounts/107761523648472389137/locations/8514732934027138462/reviews/{id}"),
        "reviewId": id,
        "reviewer": {"displayName": format!("Reviewer {id}"), "isAnonymous": false},
        "starRating": stars,
        "comment": format!("Review {id}"),
        "createTime": update,
        "updateTime": update,
    })
}

fn ids(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .flat_map(|l| normalize(l, Format::Auto))
        .map(|e| match e {
            Ok(Event::Message(m)) => m.id.to_string(),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn google_reviews_are_polled_through_pages_and_resumed_from_the_newest_time() {
    // Newest first, as asked with orderBy=updateTime desc: two pages.
    let page1 = serde_json::json!({
        "reviews": [review("r4", "2026-03-24T10:00:00Z", "ONE"), review("r3", "2026-03-23T10:00:00Z", "TWO")],
        "averageRating": 1.5, "totalReviewCount": 4, "nextPageToken": "page-2"
    });
    let page2 = serde_json::json!({
        "reviews": [review("r2", "2026-03-22T10:00:00Z", "FIVE"), review("r1", "2026-03-21T10:00:00Z", "FOUR")],
        "averageRating": 3, "totalReviewCount": 4
    });
    let (p1, p2) = (page1.to_string(), page2.to_string());
    let fake = Fake::start(move |r| match (r.path.as_str(), r.param("pageToken")) {
        (GOOGLE_REVIEWS, None) => json(200, &p1),
        (GOOGLE_REVIEWS, Some("page-2")) => json(200, &p2),
        _ => json(404, &fixture("google/error_unauthenticated_401.json")),
    });
    let source = google_config(&fake.url).source().unwrap();
    // Resumed after r2: r2 again (same time, harmless), r3 and r4; r1 not; oldest first.
    let (lines, newest) = source.poll(Some("2026-03-22T10:00:00Z")).unwrap();
    assert_eq!(ids(&lines), ["google:r2", "google:r3", "google:r4"]);
    assert_eq!(newest.as_deref(), Some("2026-03-24T10:00:00Z"));
    let requests = fake.on(GOOGLE_REVIEWS);
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer ya29.google-token")
    );
    assert_eq!(requests[0].param("orderBy"), Some("updateTime desc"));
    assert_eq!(requests[0].param("pageSize"), Some("50"));
    assert_eq!(requests[1].param("pageToken"), Some("page-2"));
    // Nothing newer: nothing handed on, the checkpoint stays.
    let (lines, newest) = source.poll(Some("2026-03-24T10:00:00Z")).unwrap();
    assert_eq!(
        ids(&lines),
        ["google:r4"],
        "only the review at the checkpoint itself"
    );
    assert_eq!(newest.as_deref(), Some("2026-03-24T10:00:00Z"));
}

#[test]
fn the_google_source_runs_with_a_sink_and_its_reviews_keep_their_stars() {
    let page = one_line("google/reviews_list_page.json");
    let fake = Fake::start(move |_| json(200, &page));
    let mut source = google_config(&fake.url).source().unwrap();
    let stop = Stop::new();
    let mut sink = TestSink {
        stop_after: Some((1, stop.clone())),
        ..TestSink::default()
    };
    source.run(None, &mut sink, &stop).unwrap();
    assert_eq!(sink.batches.len(), 1);
    assert_eq!(
        sink.batches[0].checkpoint.as_deref(),
        Some("2026-03-23T17:05:00.512Z")
    );
    assert_eq!(
        fake.requests().len(),
        1,
        "without a checkpoint, the latest page only"
    );
    let stars: Vec<Option<u8>> = sink
        .lines()
        .iter()
        .flat_map(|l| normalize(l, Format::Auto))
        .map(|e| match e {
            Ok(Event::Message(m)) => m.rating.map(|r| r.stars()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(stars, [Some(4), Some(2)], "oldest first");
}

#[test]
fn google_failures_become_the_right_errors() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let fake = Fake::start(move |_| match c.fetch_add(1, Ordering::SeqCst) {
        0 => json(401, &fixture("google/error_unauthenticated_401.json")),
        1 => with_headers(
            json(429, &fixture("google/error_resource_exhausted_429.json")),
            &[("retry-after", "30")],
        ),
        2 => json(500, "{}"),
        3 => json(200, &fixture("google/error_resource_exhausted_429.json")),
        _ => Reply::Hang(Duration::from_secs(5)),
    });
    let source = google_config(&fake.url).source().unwrap();
    assert!(matches!(source.poll(None), Err(SourceError::Auth(_))));
    match source.poll(None) {
        Err(SourceError::Disconnected {
            retry_in: Some(d), ..
        }) => {
            assert!(
                d > Duration::from_secs(25) && d <= Duration::from_secs(30),
                "{d:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        source.poll(None),
        Err(SourceError::Disconnected { retry_in: None, .. })
    ));
    match source.poll(None) {
        Err(SourceError::Disconnected { error, .. }) => {
            assert!(
                error.contains("RESOURCE_EXHAUSTED"),
                "a 200 with an error body: {error}"
            )
        }
        other => panic!("{other:?}"),
    }
    let started = Instant::now();
    assert!(matches!(
        source.poll(None),
        Err(SourceError::Disconnected { .. })
    ));
    assert!(started.elapsed() < Duration::from_secs(4));
}

fn reply<'a>(target: &'a str, text: &'a str) -> Outgoing<'a> {
    Outgoing {
        idem_key: "human:1",
        action: Action::Reply,
        target_id: Some(target),
        target_raw: None,
        root_id: None,
        recipient: None,
        text: Some(text),
        human: true,
        last_inbound_ms: None,
        resend: false,
        queued_ms: 0,
        quick_replies: &[],
        media: &[],
    }
}

#[test]
fn google_replies_put_the_comment_on_the_review() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let fake = Fake::start(move |_| match c.fetch_add(1, Ordering::SeqCst) {
        0 => json(200, &fixture("google/reply_response.json")),
        1 => json(401, &fixture("google/error_unauthenticated_401.json")),
        2 => json(200, &fixture("google/error_resource_exhausted_429.json")),
        _ => json(503, "{}"),
    });
    let sender = google_config(&fake.url).sender().unwrap();
    let text = "Thank you Jordan, the opening hours are being fixed on the sign.";
    assert_eq!(sender.send(&reply("AbFvOqmZ4s9QwErTy1u", text)), Ok(None));
    let r = &fake.requests()[0];
    assert_eq!(r.method, "PUT");
    assert_eq!(
        r.path,
        format!("{GOOGLE_REVIEWS}/AbFvOqmZ4s9QwErTy1u/reply")
    );
    assert_eq!(r.json(), serde_json::json!({ "comment": text }));
    assert_eq!(r.header("authorization"), Some("Bearer ya29.google-token"));
    assert!(matches!(
        sender.send(&reply("r", "x")),
        Err(SendError::Auth(_))
    ));
    // A 200 whose body is Google's RESOURCE_EXHAUSTED: Google failing, not a refusal.
    assert!(matches!(
        sender.send(&reply("r", "x")),
        Err(SendError::Retry { error, .. }) if error.contains("RESOURCE_EXHAUSTED")
    ));
    assert!(matches!(
        sender.send(&reply("r", "x")),
        Err(SendError::Retry { .. })
    ));
    let mut hide = reply("r", "x");
    hide.action = Action::Hide;
    assert!(matches!(sender.send(&hide), Err(SendError::Fatal(_))));
    assert!(matches!(
        sender.send(&reply("a/../b", "x")),
        Err(SendError::Fatal(_))
    ));
    assert_eq!(
        fake.requests().len(),
        4,
        "refused actions never reach Google"
    );
}

const TP_REVIEWS: &str = "/v1/business-units/46d6a890ffa235a75b00021d/reviews";

fn trustpilot_config(url: &str, per_page: u32) -> trustpilot::client::Config {
    serde_json::from_value(serde_json::json!({
        "name": "brand-trustpilot",
        "business_unit_id": "46d6a890ffa235a75b00021d",
        "api_key": "tp-api-key",
        "token": "tp-oauth-token",
        "author_business_user_id": "507f191e810c19729de860ea",
        "api_url": url,
        "per_page": per_page,
        "timeout": "2s",
    }))
    .unwrap()
}

fn tp_review(id: &str, created: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "stars": 3, "title": format!("Title {id}"), "text": format!("Text {id}"),
        "language": "en", "createdAt": created, "updatedAt": null,
        "consumer": {"id": format!("c-{id}"), "displayName": "Someone"},
    })
}

#[test]
fn trustpilot_reviews_are_paged_and_resumed_from_the_newest_creation_time() {
    let fake = Fake::start(|r| {
        if r.path != TP_REVIEWS {
            return json(404, "{}");
        }
        let reviews = match r.param("page") {
            Some("1") => vec![
                tp_review("t4", "2026-04-30T10:00:00Z"),
                tp_review("t3", "2026-04-29T10:00:00Z"),
            ],
            Some("2") => vec![
                tp_review("t2", "2026-04-28T10:00:00Z"),
                tp_review("t1", "2026-04-27T10:00:00Z"),
            ],
            _ => vec![],
        };
        json(
            200,
            &serde_json::json!({"links": [], "reviews": reviews}).to_string(),
        )
    });
    let source = trustpilot_config(&fake.url, 2).source().unwrap();
    let (lines, newest) = source.poll(Some("2026-04-28T10:00:00Z")).unwrap();
    assert_eq!(
        ids(&lines),
        ["trustpilot:t2", "trustpilot:t3", "trustpilot:t4"]
    );
    assert_eq!(newest.as_deref(), Some("2026-04-30T10:00:00Z"));
    let requests = fake.on(TP_REVIEWS);
    assert_eq!(
        requests.len(),
        2,
        "stopped at the first review older than the checkpoint"
    );
    assert_eq!(requests[0].header("apikey"), Some("tp-api-key"));
    assert_eq!(
        requests[0].param("apikey"),
        None,
        "the key stays out of the URL"
    );
    assert_eq!(requests[0].param("orderBy"), Some("createdat.desc"));
    assert_eq!(requests[1].param("page"), Some("2"));
    // Resumed through Source::run from the saved checkpoint: nothing new, no batch.
    let mut source = trustpilot_config(&fake.url, 2).source().unwrap();
    let stop = Stop::new();
    stop.raise();
    let mut sink = TestSink::default();
    source
        .run(Some("2026-04-30T10:00:00Z"), &mut sink, &stop)
        .unwrap();
    assert!(sink.batches.is_empty());
}

#[test]
fn the_trustpilot_source_runs_with_a_sink_and_survives_a_bad_key_as_auth() {
    let page = one_line("trustpilot/business_unit_reviews_page.json");
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let fake = Fake::start(move |_| match c.fetch_add(1, Ordering::SeqCst) {
        0 => json(200, &page),
        _ => json(401, &fixture("trustpilot/error_unauthorized_401.json")),
    });
    let mut source = trustpilot_config(&fake.url, 100).source().unwrap();
    let stop = Stop::new();
    let mut sink = TestSink {
        stop_after: Some((1, stop.clone())),
        ..TestSink::default()
    };
    source.run(None, &mut sink, &stop).unwrap();
    assert_eq!(
        ids(&sink.lines()),
        [
            "trustpilot:5e3de1b45fb06f0001790b51",
            "trustpilot:5e4a0c2b9e1f7a0001a2b3c4"
        ]
    );
    assert_eq!(
        sink.batches[0].checkpoint.as_deref(),
        Some("2026-04-29T07:40:12Z")
    );
    match source.run(Some("2026-04-29T07:40:12Z"), &mut sink, &Stop::new()) {
        Err(SourceError::Auth(e)) => {
            assert!(
                e.contains("InvalidApiKey") && !e.contains("tp-api-key"),
                "{e}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn trustpilot_replies_are_posted_with_the_business_user() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let fake = Fake::start(move |_| match c.fetch_add(1, Ordering::SeqCst) {
        0 => json(201, ""),
        1 => with_headers(json(429, "{}"), &[("retry-after", "60")]),
        2 => Reply::Hang(Duration::from_secs(5)),
        _ => json(401, &fixture("trustpilot/error_unauthorized_401.json")),
    });
    let sender = trustpilot_config(&fake.url, 100).sender().unwrap().unwrap();
    assert_eq!(
        sender.send(&reply(
            "5e4a0c2b9e1f7a0001a2b3c4",
            "We are sorry, Marie: your parcel is on its way."
        )),
        Ok(None)
    );
    let r = &fake.requests()[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v1/private/reviews/5e4a0c2b9e1f7a0001a2b3c4/reply")
    );
    assert_eq!(
        r.json(),
        serde_json::json!({"message": "We are sorry, Marie: your parcel is on its way.", "authorBusinessUserId": "507f191e810c19729de860ea"})
    );
    assert_eq!(r.header("authorization"), Some("Bearer tp-oauth-token"));
    assert!(matches!(
        sender.send(&reply("5e4a", "x")),
        Err(SendError::Limited { at_ms: Some(_), .. })
    ));
    // Until the Retry-After, the account's next reply is not even tried.
    assert!(matches!(
        sender.send(&reply("5e4a", "x")),
        Err(SendError::NotBefore { .. })
    ));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let sender = trustpilot_config(&fake.url, 100).sender().unwrap().unwrap();
    let started = Instant::now();
    assert!(matches!(
        sender.send(&reply("5e4a", "x")),
        Err(SendError::Retry { at_ms: None, .. })
    ));
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(matches!(
        sender.send(&reply("5e4a", "x")),
        Err(SendError::Auth(_))
    ));
}

#[test]
fn google_access_tokens_come_from_the_refresh_token_and_are_renewed_after_a_401() {
    let tokens = Arc::new(AtomicUsize::new(0));
    let reviews = Arc::new(AtomicUsize::new(0));
    let (t, r) = (tokens.clone(), reviews.clone());
    let fake = Fake::start(move |req| match req.path.as_str() {
        "/token" => {
            let n = t.fetch_add(1, Ordering::SeqCst) + 1;
            json(
                200,
                &format!(
                    r#"{{"access_token":"ya29.fresh-{n}","expires_in":3599,"scope":"https://www.googleapis.com/auth/business.manage","token_type":"Bearer"}}"#
                ),
            )
        }
        _ => match r.fetch_add(1, Ordering::SeqCst) {
            0 => json(401, &fixture("google/error_unauthenticated_401.json")),
            _ => json(200, r#"{"reviews":[]}"#),
        },
    });
    let config: google::client::Config = serde_json::from_value(serde_json::json!({
        "name": "brand-google",
        "account_id": "107761523648472389137",
        "location_id": "8514732934027138462",
        "client_id": "1234.apps.googleusercontent.com",
        "client_secret": "google-client-secret",
        "refresh_token": "1//refresh-token",
        "token_url": format!("{}/token", fake.url),
        "api_url": fake.url,
        "timeout": "2s",
    }))
    .unwrap();
    let (source, sender) = config.parts().unwrap();
    assert!(matches!(source.poll(None), Err(SourceError::Auth(_))));
    source.poll(None).unwrap();
    source.poll(None).unwrap();
    assert_eq!(
        tokens.load(Ordering::SeqCst),
        2,
        "renewed once, after the 401 only"
    );
    let token_requests = fake.on("/token");
    assert!(token_requests[0].body.contains("grant_type=refresh_token"));
    assert!(
        token_requests[0]
            .body
            .contains("client_id=1234.apps.googleusercontent.com")
    );
    let calls = fake.on(GOOGLE_REVIEWS);
    assert_eq!(
        calls[0].header("authorization"),
        Some("Bearer ya29.fresh-1")
    );
    assert_eq!(
        calls[2].header("authorization"),
        Some("Bearer ya29.fresh-2")
    );
    // The sender shares the token: no third exchange.
    let _ = sender.send(&reply("r1", "Merci"));
    assert_eq!(tokens.load(Ordering::SeqCst), 2);
    assert_eq!(
        fake.requests().last().unwrap().header("authorization"),
        Some("Bearer ya29.fresh-2")
    );
    let both = serde_json::from_value::<google::client::Config>(serde_json::json!({
        "name": "g", "account_id": "1", "location_id": "2", "token": "t", "refresh_token": "r"
    }))
    .unwrap();
    assert!(both.parts().err().unwrap().contains("either"));
}
