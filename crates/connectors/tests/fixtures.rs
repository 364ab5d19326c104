//! Every normalizer against real recorded payloads (see fixtures/*/ORIGIN.md for their origin).

// Tests may unwrap and panic: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_connectors::{Event, Format, normalize};
use palabre_core::{MediaKind, Message, MessageKind, Platform, Reason};

fn fixture(path: &str) -> String {
    let full = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// Parses a fixture with its own format and with `auto`, checks both agree, returns the events.
fn events(path: &str, format: Format) -> Vec<Event> {
    let json = fixture(path);
    let direct: Vec<Event> = normalize(&json, format)
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("{path}: {e}")))
        .collect();
    let auto: Vec<Event> = normalize(&json, Format::Auto)
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        direct, auto,
        "{path}: auto detection must give the same events"
    );
    direct
}

fn message(path: &str, format: Format) -> Box<Message> {
    let mut all = events(path, format);
    assert_eq!(all.len(), 1, "{path}");
    match all.remove(0) {
        Event::Message(m) => m,
        other => panic!("{path}: expected a message, got {other:?}"),
    }
}

fn handles(m: &Message) -> Vec<&str> {
    m.entities
        .mentions
        .iter()
        .map(|x| x.handle.as_str())
        .collect()
}

// ---------------------------------------------------------------- X API v2

#[test]
fn x_filtered_stream_line() {
    let m = message("x/filtered_stream_line.json", Format::X);
    assert_eq!(m.id.to_string(), "x:1234567890");
    assert_eq!(m.kind, MessageKind::Post);
    assert_eq!(m.text.as_str(), "Look at this cute cat! 🐱");
    assert_eq!(m.author.id, "9876543210");
    assert_eq!(m.author.handle.as_deref(), Some("catperson"));
    assert_eq!(m.created_at.to_string(), "2024-01-15T10:35:00Z");
    assert_eq!(
        &*m.raw,
        fixture("x/filtered_stream_line.json"),
        "the raw payload is kept"
    );
}

#[test]
fn x_reply_with_expansions_keeps_parent_author_and_media() {
    let m = message("x/tweet_reply_with_expansions.json", Format::X);
    assert_eq!(m.kind, MessageKind::Reply);
    assert_eq!(
        m.in_reply_to.as_ref().map(|i| i.as_str()),
        Some("1212092627178287104")
    );
    assert_eq!(m.author.id, "2244994945");
    assert_eq!(m.author.handle.as_deref(), Some("TwitterDev"));
    assert_eq!(m.entities.media.len(), 1);
    assert_eq!(
        m.entities.media[0].kind,
        MediaKind::Video,
        "an animated_gif is a video"
    );
}

#[test]
fn x_retweet_points_at_the_original_and_its_author() {
    let all = events("x/tweet_retweet_with_includes.json", Format::X);
    let Event::Message(m) = &all[0] else { panic!() };
    assert_eq!(m.id.external.as_str(), "1229851574555508737");
    assert_eq!(m.kind, MessageKind::Repost);
    let r = m.referenced.as_ref().unwrap();
    assert_eq!(r.id.as_str(), "1229843515603144704");
    assert!(
        r.author_id.is_some(),
        "the original's author comes from includes.tweets"
    );
    assert!(handles(m).contains(&"suhemparack"));
}

#[test]
fn x_quote_is_a_quote_of_the_referenced_tweet() {
    let all = events("x/tweet_quote_with_includes.json", Format::X);
    let Event::Message(m) = &all[0] else { panic!() };
    assert_eq!(m.kind, MessageKind::Quote);
    assert_eq!(
        m.referenced.as_ref().unwrap().id.as_str(),
        "1327011423252144128"
    );
    assert_eq!(
        m.thread_root.as_ref().unwrap().as_str(),
        "1328399838128467969"
    );
    assert_eq!(m.lang_hint.as_deref(), Some("en"));
}

#[test]
fn x_entities_offsets_count_code_points() {
    // The retweet's own text is truncated; the quoted tweet in includes carries the entities.
    let json = fixture("x/tweet_retweet_of_quote_with_mentions_hashtags_urls.json");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let inner = &v["includes"]["tweets"];
    let quoted = inner
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["entities"]["hashtags"].is_array())
        .unwrap();
    let text = quoted["text"].as_str().unwrap();
    for h in quoted["entities"]["hashtags"].as_array().unwrap() {
        let (s, e) = (
            h["start"].as_u64().unwrap() as usize,
            h["end"].as_u64().unwrap() as usize,
        );
        let sliced = palabre_connectors::text::slice_code_points(text, s, e).unwrap();
        assert_eq!(sliced, format!("#{}", h["tag"].as_str().unwrap()));
    }
    // And the normalizer reads the same tweet the same way when it is the `data` itself.
    let line = serde_json::json!({ "data": quoted }).to_string();
    let Event::Message(m) = normalize(&line, Format::X).remove(0).unwrap() else {
        panic!()
    };
    assert_eq!(m.entities.hashtags, vec!["DEVcommunity", "Pythontutorial"]);
    assert_eq!(handles(&m), vec!["TwitterDev", "TwitterAPI"]);
    assert_eq!(m.entities.urls.len(), 2);
    assert!(
        m.entities
            .urls
            .iter()
            .all(|u| !u.starts_with("https://t.co/")),
        "expanded urls are kept"
    );
}

#[test]
fn x_mentions_page_gives_one_event_per_tweet() {
    let all = events("x/users_mentions_page.json", Format::X);
    assert_eq!(all.len(), 10);
    let Event::Message(first) = &all[0] else {
        panic!()
    };
    assert_eq!(first.id.external.as_str(), "1578516295611748353");
    assert!(
        first
            .text
            .starts_with("@Twitter @TwitterSupport this is my ENTIRE feed")
    );
    assert!(
        !first.author.is_known(),
        "fetched without author_id: the author is unknown, the tweet kept"
    );
    // Without created_at, the time comes from the snowflake id (2022-10-07).
    assert_eq!(first.created_at.to_string()[..10], *"2022-10-07");
    assert!(first.raw.starts_with('{') && first.raw.contains("1578516295611748353"));
    assert!(
        !first.raw.contains("next_token"),
        "each tweet keeps its own JSON, not the page's"
    );
}

#[test]
fn x_geo_point_is_lon_lat() {
    let line = r#"{"data":{"id":"5","author_id":"7","text":"au parc","created_at":"2026-03-22T20:00:00Z","geo":{"coordinates":{"type":"Point","coordinates":[2.7758,48.8722]}}}}"#;
    let Event::Message(m) = normalize(line, Format::X).remove(0).unwrap() else {
        panic!()
    };
    let g = m.entities.geo.unwrap();
    assert_eq!((g.lat, g.lon), (48.8722, 2.7758));
}

#[test]
fn x_place_box_comes_from_includes_places() {
    // Written by us (see fixtures/x/ORIGIN.md): the place of the docs, asked with its `geo`.
    let m = message("x/tweet_place_bbox_written.json", Format::X);
    let place = m.entities.place.unwrap();
    assert_eq!(
        (place.west, place.south, place.east, place.north),
        (-74.026675, 40.683935, -73.910408, 40.877483)
    );
    assert_eq!(m.entities.geo, None, "a place is not a point");
    assert_eq!(handles(&m), vec!["acme_support"]);
    // Without `place.fields=geo` the place has only its name: no box. (The docs' example has
    // the placeholder id `ID`, not a snowflake: given one here, the tweet has a date.)
    let mut v: serde_json::Value =
        serde_json::from_str(&fixture("x/tweet_geo_place_expansion.json")).unwrap();
    v["data"]["id"] = "1212092628029698048".into();
    let Event::Message(m) = normalize(&v.to_string(), Format::X).remove(0).unwrap() else {
        panic!()
    };
    assert_eq!(m.entities.place, None);
    assert_eq!(m.text.as_str(), "Test");
}

#[test]
fn x_point_and_place_are_both_kept_and_a_box_across_the_antimeridian_is_left_out() {
    let line = r#"{"data":{"id":"6","author_id":"7","text":"au parc","created_at":"2026-03-22T20:00:00Z","geo":{"place_id":"p1","coordinates":{"type":"Point","coordinates":[2.7758,48.8722]}}},"includes":{"places":[{"id":"p0","full_name":"Paris, France","geo":{"type":"Feature","bbox":[2.224122,48.815575,2.469760,48.902156],"properties":{}}},{"id":"p1","full_name":"Chessy, France","geo":{"type":"Feature","bbox":[2.7466,48.8579,2.8132,48.8859],"properties":{}}}]}}"#;
    let Event::Message(m) = normalize(line, Format::X).remove(0).unwrap() else {
        panic!()
    };
    let (g, p) = (m.entities.geo.unwrap(), m.entities.place.unwrap());
    assert_eq!((g.lat, g.lon), (48.8722, 2.7758));
    assert_eq!(
        (p.west, p.south, p.east, p.north),
        (2.7466, 48.8579, 2.8132, 48.8859)
    );
    // Fiji's box runs from 177° E to 178° W: not a GeoBox, and the tweet is kept without it.
    let fiji = r#"{"data":{"id":"8","text":"Bula","geo":{"place_id":"fj"}},"includes":{"places":[{"id":"fj","full_name":"Fiji","geo":{"type":"Feature","bbox":[177.0,-19.2,-178.0,-16.0],"properties":{}}}]}}"#;
    let Event::Message(m) = normalize(fiji, Format::X).remove(0).unwrap() else {
        panic!()
    };
    assert_eq!(m.entities.place, None);
}

#[test]
fn x_errors_document_is_reported() {
    let line =
        r#"{"errors":[{"title":"Not Found Error","detail":"Could not find tweet with id: [1]."}]}"#;
    let e = normalize(line, Format::X).remove(0).unwrap_err();
    assert_eq!(e.reason, Reason::UnknownShape);
    assert!(e.message.contains("Could not find tweet"), "{}", e.message);
}

#[test]
fn x_account_activity_mention_is_a_post_by_its_author() {
    let m = message("x/activity_tweet_create_mention.json", Format::X);
    assert_eq!(m.id.to_string(), "x:1050118621198921728");
    assert_eq!(m.kind, MessageKind::Post);
    assert_eq!(m.author.handle.as_deref(), Some("TwitterAPI"));
    assert_eq!(handles(&m), ["TwitterDev"]);
    assert_eq!(m.created_at.to_string(), "2018-10-10T20:19:24Z");
}

#[test]
fn x_account_activity_direct_message_is_addressed_to_the_subscribed_user() {
    let m = message("x/activity_direct_message.json", Format::X);
    assert_eq!(m.kind, MessageKind::Direct);
    assert_eq!(m.id.platform, Platform::X);
    assert_eq!(m.text.as_str(), "Blue Bird");
    assert_eq!(m.recipient.as_deref(), Some("1234858592"));
    assert_eq!(m.author.display_name.as_deref(), Some("Bird fan"));
}

// ---------------------------------------------------------------- Mastodon

#[test]
fn mastodon_plain_status() {
    let m = message("mastodon/status_plain.json", Format::Mastodon);
    assert_eq!(m.id.to_string(), "mastodon:117440826670289215");
    assert_eq!(m.kind, MessageKind::Post);
    assert_eq!(m.text.as_str(), "Toot, finally!");
    assert_eq!(m.author.handle.as_deref(), Some("mastodonpy_test_2"));
}

#[test]
fn mastodon_reply_with_mention() {
    let m = message("mastodon/status_reply_with_mention.json", Format::Mastodon);
    assert_eq!(m.kind, MessageKind::Reply);
    assert_eq!(
        m.in_reply_to.as_ref().unwrap().as_str(),
        "117440826670289215"
    );
    assert_eq!(m.in_reply_to_author.as_deref(), Some("117440810673731823"));
    assert_eq!(handles(&m), vec!["mastodonpy_test_2"]);
    assert_eq!(m.text.as_str(), "@mastodonpy_test_2 same!");
    assert_eq!(m.author.handle.as_deref(), Some("admin"));
}

#[test]
fn mastodon_tags_media_and_content_warning() {
    let m = message(
        "mastodon/status_mentions_tags_media_cw.json",
        Format::Mastodon,
    );
    assert_eq!(m.entities.hashtags, vec!["thisisahashtag"]);
    assert_eq!(handles(&m), vec!["halcy@icosahedron.website"]);
    assert_eq!(m.entities.media.len(), 1);
    assert_eq!(
        m.entities.media[0].kind,
        MediaKind::Video,
        "gifv is a video"
    );
    assert!(
        m.text.starts_with("test post for mastodon.py stuff"),
        "the content warning leads the text"
    );
}

#[test]
fn mastodon_reblog_is_a_repost_of_the_original() {
    let m = message("mastodon/status_reblog.json", Format::Mastodon);
    assert_eq!(m.kind, MessageKind::Repost);
    let r = m.referenced.as_ref().unwrap();
    assert_eq!(r.id.as_str(), "117440831307448422");
    assert_eq!(r.author_handle.as_deref(), Some("mastodonpy_test"));
}

#[test]
fn mastodon_direct_status_is_addressed_to_the_mentioned_account() {
    let m = message("mastodon/status_direct_with_mention.json", Format::Mastodon);
    assert_eq!(m.kind, MessageKind::Direct);
    assert_eq!(handles(&m), vec!["mastodonpy_test"]);
    assert_eq!(m.recipient, m.entities.mentions[0].id);
}

#[test]
fn mastodon_reply_with_image() {
    let m = message(
        "mastodon/status_with_image_media_reply.json",
        Format::Mastodon,
    );
    assert_eq!(m.kind, MessageKind::Reply);
    assert_eq!(m.text.as_str(), "image post");
    assert_eq!(m.entities.media[0].kind, MediaKind::Image);
    assert!(
        m.entities.media[0]
            .url
            .as_deref()
            .unwrap()
            .starts_with("https://")
    );
}

#[test]
fn mastodon_mention_notification_is_its_status() {
    let m = message("mastodon/notification_mention.json", Format::Mastodon);
    assert_eq!(
        m.id.external.as_str(),
        "117440821662233205",
        "same id as the status, so polling and streaming dedupe"
    );
    assert_eq!(m.text.as_str(), "@mastodonpy_test hello!");
    let s = message("mastodon/notification_status.json", Format::Mastodon);
    assert_eq!(s.text.as_str(), "horses are not real");
}

#[test]
fn mastodon_follow_and_favourite_are_not_messages() {
    for path in [
        "mastodon/notification_follow.json",
        "mastodon/notification_favourite_docs_truncated.json",
    ] {
        let all = events(path, Format::Mastodon);
        assert!(matches!(&all[0], Event::NotAMessage { .. }), "{path}");
    }
}

#[test]
fn mastodon_streaming_update_carries_a_status() {
    let m = message("mastodon/streaming_update.json", Format::Mastodon);
    assert_eq!(m.id.external.as_str(), "117457746674657909");
    assert!(
        m.entities
            .hashtags
            .iter()
            .any(|t| t.eq_ignore_ascii_case("mastodonpystreamfirst"))
    );
}

// ---------------------------------------------------------------- Bluesky

#[test]
fn bluesky_plain_post() {
    let m = message(
        "bluesky/jetstream_commit_post_create_plain.json",
        Format::Bluesky,
    );
    assert_eq!(
        m.id.to_string(),
        "bluesky:at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3k4duaz5vfs2b"
    );
    assert_eq!(m.author.id, "did:plc:u5cwb2mwiv2bfq53cjufe6yn");
    assert_eq!(m.text.as_str(), "Hello World!");
    assert_eq!(m.created_at.to_string(), "2023-08-07T05:31:12.156888Z");
}

#[test]
fn bluesky_facets_count_utf8_bytes() {
    let m = message(
        "bluesky/jetstream_commit_post_create_mention_link_facets.json",
        Format::Bluesky,
    );
    assert_eq!(m.entities.mentions.len(), 1);
    assert_eq!(
        m.entities.mentions[0].handle, "atproto.com",
        "the byte slice lands on the handle despite ✨"
    );
    assert_eq!(
        m.entities.mentions[0].id.as_deref(),
        Some("did:plc:ewvi7nxzyoun6zhxrhs64oiz")
    );
    assert_eq!(m.entities.urls, vec!["https://en.wikipedia.org/wiki/CBOR"]);
}

#[test]
fn bluesky_reply_has_root_and_parent() {
    let m = message(
        "bluesky/jetstream_commit_post_create_reply.json",
        Format::Bluesky,
    );
    assert_eq!(m.kind, MessageKind::Reply);
    let root = "at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3k43tv4rft22g";
    assert_eq!(m.thread_root.as_ref().unwrap().as_str(), root);
    assert_eq!(m.in_reply_to.as_ref().unwrap().as_str(), root);
    assert_eq!(
        m.in_reply_to_author.as_deref(),
        Some("did:plc:u5cwb2mwiv2bfq53cjufe6yn")
    );
}

#[test]
fn bluesky_quote_embed() {
    let m = message(
        "bluesky/jetstream_commit_post_create_quote.json",
        Format::Bluesky,
    );
    assert_eq!(m.kind, MessageKind::Quote);
    let r = m.referenced.as_ref().unwrap();
    assert_eq!(
        r.id.as_str(),
        "at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3k44deefqdk2g"
    );
    assert_eq!(
        r.author_id.as_deref(),
        Some("did:plc:u5cwb2mwiv2bfq53cjufe6yn")
    );
}

#[test]
fn bluesky_repost_record() {
    let line = r#"{"did":"did:plc:fan","time_us":1725911162329308,"kind":"commit","commit":{"rev":"3l3qo2vutsw2b","operation":"create","collection":"app.bsky.feed.repost","rkey":"3l3qo2vuowo2b","record":{"$type":"app.bsky.feed.repost","createdAt":"2024-09-09T19:46:02.102Z","subject":{"cid":"bafyrei","uri":"at://did:plc:brand/app.bsky.feed.post/3l3pte3p2e325"}},"cid":"bafyrei2"}}"#;
    let Event::Message(m) = normalize(line, Format::Auto).remove(0).unwrap() else {
        panic!()
    };
    assert_eq!(m.kind, MessageKind::Repost);
    assert_eq!(
        m.referenced.as_ref().unwrap().author_id.as_deref(),
        Some("did:plc:brand")
    );
}

#[test]
fn bluesky_likes_deletions_identity_and_account_are_not_messages() {
    for path in [
        "bluesky/jetstream_commit_like_create.json",
        "bluesky/jetstream_commit_follow_delete.json",
        "bluesky/jetstream_identity.json",
        "bluesky/jetstream_account_active.json",
    ] {
        assert!(
            matches!(&events(path, Format::Bluesky)[0], Event::NotAMessage { .. }),
            "{path}"
        );
    }
}

// ---------------------------------------------------------------- Messenger / Instagram

#[test]
fn messenger_text_message() {
    let m = message(
        "messenger/page_webhook_text_message_quick_reply.json",
        Format::Messenger,
    );
    assert_eq!(
        m.id.to_string(),
        "messenger:mid.1457764197618:41d102a3e1ae206a38"
    );
    assert_eq!(m.kind, MessageKind::Direct);
    assert_eq!(m.text.as_str(), "hello, world!");
    // The quick-reply button tapped: a campaign's choice reads it.
    assert_eq!(m.choice.as_deref(), Some("<DEVELOPER_DEFINED_PAYLOAD>"));
    assert_eq!(m.author.id, "<PSID>");
    assert_eq!(m.recipient.as_deref(), Some("<PAGE_ID>"));
    assert_eq!(m.created_at.as_millisecond(), 1458692752478);
}

#[test]
fn messenger_reply_and_attachment() {
    let r = message(
        "messenger/page_webhook_reply_message.json",
        Format::Messenger,
    );
    assert_eq!(
        r.in_reply_to.as_ref().unwrap().as_str(),
        "m_1fTq8oLumEyIp3Q2MR-aY7IfLZDamVrALniheU"
    );
    let a = message(
        "messenger/page_webhook_message_with_attachment.json",
        Format::Messenger,
    );
    assert_eq!(a.entities.media.len(), 1);
    assert!(
        a.text.is_empty() && !a.is_empty(),
        "an attachment alone is still something to answer"
    );
}

#[test]
fn messenger_echo_is_sent_by_the_page() {
    let m = message(
        "messenger/page_webhook_message_echo.json",
        Format::Messenger,
    );
    assert_eq!(m.author.id, "<PSID>");
    assert_eq!(m.recipient.as_deref(), Some("<USER_ID>"));
}

#[test]
fn instagram_message() {
    let m = message(
        "messenger/instagram_webhook_text_message.json",
        Format::Messenger,
    );
    assert_eq!(m.id.platform, Platform::Instagram);
    assert_eq!(m.text.as_str(), "MESSAGE-TEXT");
    assert_eq!(m.author.id, "IGSID");
}

#[test]
fn a_batch_of_messaging_events_gives_one_event_each() {
    let body = r#"{"object":"page","entry":[{"id":"P","time":1,"messaging":[
        {"sender":{"id":"U1"},"recipient":{"id":"P"},"timestamp":1700000000000,"message":{"mid":"m1","text":"bonjour"}},
        {"sender":{"id":"U2"},"recipient":{"id":"P"},"timestamp":1700000000001,"delivery":{"mids":["m0"]}},
        {"sender":{"id":"U3"},"recipient":{"id":"P"},"timestamp":1700000000002,"message":{"text":"no mid"}}]}]}"#;
    let out = normalize(body, Format::Auto);
    assert_eq!(out.len(), 3);
    assert!(matches!(&out[0], Ok(Event::Message(m)) if m.text.as_str() == "bonjour"));
    assert!(matches!(&out[1], Ok(Event::NotAMessage { what, .. }) if what == "delivery"));
    assert!(
        matches!(&out[2], Err(e) if e.reason == Reason::ParseError && e.message.contains("mid"))
    );
}

#[test]
fn page_feed_comment_is_a_comment_on_the_page_post() {
    let body = r#"{"object":"page","entry":[{"id":"PAGE","time":1520544816,"changes":[{"field":"feed","value":{"item":"comment","verb":"add","comment_id":"PAGE_POST_C1","post_id":"PAGE_POST","parent_id":"PAGE_POST","message":"Service client injoignable","from":{"id":"U9","name":"Jeanne"},"created_time":1520544816}}]}]}"#;
    let Event::Message(m) = normalize(body, Format::Auto).remove(0).unwrap() else {
        panic!()
    };
    assert_eq!(m.kind, MessageKind::Comment);
    assert_eq!(m.in_reply_to_author.as_deref(), Some("PAGE"));
    assert_eq!(m.thread_root.as_ref().unwrap().as_str(), "PAGE_POST");
    assert_eq!(m.author.display_name.as_deref(), Some("Jeanne"));
}

// ---------------------------------------------------------------- Generic

#[test]
fn generic_event_of_the_design_notes() {
    let line = r#"{"platform": "generic", "id": "g-42", "kind": "review", "text": "Très bon accueil", "created_at": "2026-03-22T20:01:05Z", "lang": "fr", "author": {"id": "u1", "handle": "alice", "name": "Alice", "verified": false, "bio": "…", "followers": 120, "following": 80}, "in_reply_to": "g-41", "mentions": ["francetvinfo"], "hashtags": ["MonRésultat"], "geo": {"lat": 48.8722, "lon": 2.7758}, "rating": 4}"#;
    let Event::Message(m) = normalize(line, Format::Auto).remove(0).unwrap() else {
        panic!()
    };
    assert_eq!(m.id.to_string(), "generic:g-42");
    assert_eq!(m.kind, MessageKind::Review);
    assert_eq!(m.rating.map(|r| r.stars()), Some(4));
    assert_eq!(m.author.followers, Some(120));
    assert_eq!(handles(&m), vec!["francetvinfo"]);
    assert_eq!(m.entities.hashtags, vec!["MonRésultat"]);
    assert_eq!(m.in_reply_to.as_ref().unwrap().as_str(), "g-41");
}

#[test]
fn generic_refuses_what_it_does_not_know() {
    let typo = r#"{"id":"1","text":"x","autor":{"id":"u"}}"#;
    assert!(
        normalize(typo, Format::Generic)[0]
            .as_ref()
            .unwrap_err()
            .message
            .contains("autor")
    );
    let bad_rating = r#"{"id":"1","text":"x","rating":9}"#;
    assert!(
        normalize(bad_rating, Format::Generic)[0]
            .as_ref()
            .unwrap_err()
            .message
            .contains("rating 9")
    );
    let bad_kind = r#"{"id":"1","text":"x","kind":"story"}"#;
    assert!(
        normalize(bad_kind, Format::Generic)[0]
            .as_ref()
            .unwrap_err()
            .message
            .contains("story")
    );
}

#[test]
fn generic_place_is_a_box_and_geo_a_point() {
    let line = r#"{"id":"g-43","text":"au parc","geo":{"lat":48.8722,"lon":2.7758},"place":{"name":"Chessy, France","bbox":[2.7466,48.8579,2.8132,48.8859]}}"#;
    let Event::Message(m) = normalize(line, Format::Auto).remove(0).unwrap() else {
        panic!()
    };
    let (g, p) = (m.entities.geo.unwrap(), m.entities.place.unwrap());
    assert_eq!((g.lat, g.lon), (48.8722, 2.7758));
    assert_eq!(
        (p.west, p.south, p.east, p.north),
        (2.7466, 48.8579, 2.8132, 48.8859)
    );
    // A place named without a box: nothing to place the post with.
    let named = r#"{"id":"g-44","text":"x","place":{"name":"Chessy"}}"#;
    let Event::Message(m) = normalize(named, Format::Generic).remove(0).unwrap() else {
        panic!()
    };
    assert_eq!(m.entities.place, None);
}

#[test]
fn generic_coordinates_must_be_numbers_on_earth() {
    let error = |line: &str| {
        let e = normalize(line, Format::Generic).remove(0).unwrap_err();
        assert_eq!(e.reason, Reason::ParseError, "{line}");
        e.message
    };
    assert_eq!(
        error(r#"{"id":"1","text":"x","geo":{"lat":"48.87","lon":"2.77"}}"#),
        "unexpected generic event payload: invalid type: string \"48.87\", expected a number of \
         degrees (a JSON number, not a string) at line 1 column 41"
    );
    assert_eq!(
        error(r#"{"id":"1","text":"x","place":{"name":"P","bbox":[2.7,48.8,2.8]}}"#),
        "unexpected generic event payload: invalid length 3, expected a bbox of 4 numbers \
         [west, south, east, north] in degrees at line 1 column 62"
    );
    assert!(
        error(r#"{"id":"1","text":"x","place":{"bbox":[2.7,48.8,2.8,48.9,0]}}"#)
            .contains("invalid length 5, expected a bbox of 4 numbers")
    );
    assert!(
        error(r#"{"id":"1","text":"x","place":{"bbox":["2.7",48.8,2.8,48.9]}}"#)
            .contains("invalid type: string \"2.7\", expected a number of degrees")
    );
    assert_eq!(
        error(r#"{"id":"1","text":"x","place":{"bbox":[2.7,48.8,2.8,148.9]}}"#),
        "place.bbox [2.7, 48.8, 2.8, 148.9] is not a box on Earth: expected [west, south, east, \
         north] in degrees, west ≤ east and south ≤ north, longitudes within ±180 and latitudes \
         within ±90 (a box across the antimeridian is not taken)"
    );
    assert!(
        error(r#"{"id":"1","text":"x","place":{"bbox":[2.8,48.8,2.7,48.9]}}"#)
            .starts_with("place.bbox [2.8, 48.8, 2.7, 48.9] is not a box on Earth")
    );
    assert_eq!(
        error(r#"{"id":"1","text":"x","geo":{"lat":148.87,"lon":2.77}}"#),
        "geo point (148.87, 2.77) is not on Earth"
    );
}

// ---------------------------------------------------------------- Bad input

#[test]
fn bad_input_never_panics_and_says_why() {
    let huge = format!(r#"{{"id":"big","text":"{}"}}"#, "a".repeat(1 << 20));
    let cases: Vec<(&str, Reason, &str)> = vec![
        (
            r#"{"data":{"id":"1","text":"trunc"#,
            Reason::ParseError,
            "truncated",
        ),
        ("[1,2,3]", Reason::UnknownShape, "array"),
        ("\"just a string\"", Reason::UnknownShape, "string"),
        (r#"{"hello":"world"}"#, Reason::UnknownShape, "hello"),
        (&huge, Reason::TextTooLong, "limit"),
        (
            r#"{"data":{"id":"","text":"x","author_id":"1"}}"#,
            Reason::ParseError,
            "empty",
        ),
        (
            r#"{"data":{"id":"1","text":"x","author_id":"1","created_at":"yesterday"}}"#,
            Reason::ParseError,
            "timestamp",
        ),
    ];
    for (input, reason, needle) in cases {
        let out = normalize(input, Format::Auto);
        assert_eq!(out.len(), 1, "{input:.60}");
        let e = out[0].as_ref().unwrap_err();
        assert_eq!(e.reason, reason, "{input:.60}: {}", e.message);
        assert!(
            e.message.contains(needle),
            "{input:.60}: `{}` should mention {needle}",
            e.message
        );
    }
}

#[test]
fn empty_text_is_read_not_refused() {
    let Event::Message(m) = normalize(r#"{"id":"e1","text":""}"#, Format::Auto)
        .remove(0)
        .unwrap()
    else {
        panic!()
    };
    assert!(m.is_empty());
}

#[test]
fn google_reviews_become_review_messages_with_their_stars() {
    let m = message("google/review_with_reply.json", Format::Google);
    assert_eq!(m.id.platform, Platform::Google);
    assert_eq!(m.id.external.as_str(), "AbFvOqnIzZ0bYQ1Xo9rQwB6b2d3sL0");
    assert_eq!(m.kind, MessageKind::Review);
    assert_eq!(m.rating.map(|r| r.stars()), Some(4));
    assert_eq!(
        m.text.as_str(),
        "Accueil chaleureux, mais 40 minutes d'attente au guichet."
    );
    assert_eq!(m.author.display_name.as_deref(), Some("Camille Martin"));
    assert_eq!(m.author.id, "review:AbFvOqnIzZ0bYQ1Xo9rQwB6b2d3sL0");
    assert_eq!(m.created_at.to_string(), "2026-03-21T09:12:44.118Z");
    assert_eq!(&*m.raw, fixture("google/review_with_reply.json"));

    let m = message("google/review_anonymous_rating_only.json", Format::Google);
    assert_eq!(m.rating.map(|r| r.stars()), Some(1));
    assert_eq!(m.text.as_str(), "");
    assert_eq!(m.author.display_name.as_deref(), Some("A Google User"));

    let page = events("google/reviews_list_page.json", Format::Google);
    let ids: Vec<(String, Option<u8>)> = page
        .iter()
        .map(|e| match e {
            Event::Message(m) => (m.id.to_string(), m.rating.map(|r| r.stars())),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        ids,
        [
            ("google:AbFvOqmZ4s9QwErTy1u".to_owned(), Some(2)),
            ("google:AbFvOqnIzZ0bYQ1Xo9rQwB6b2d3sL0".to_owned(), Some(4))
        ]
    );
}

#[test]
fn trustpilot_reviews_become_review_messages_with_their_stars() {
    let m = message("trustpilot/review.json", Format::Trustpilot);
    assert_eq!(m.id.to_string(), "trustpilot:5e3de1b45fb06f0001790b51");
    assert_eq!(m.kind, MessageKind::Review);
    assert_eq!(m.rating.map(|r| r.stars()), Some(5));
    assert_eq!(
        m.text.as_str(),
        "Excellent customer service\n\nI had a great experience with this company. The support team was very helpful and resolved my issue quickly."
    );
    assert_eq!(m.author.id, "5e3de1b45fb06f0001790b50");
    assert_eq!(m.author.display_name.as_deref(), Some("John D."));
    assert_eq!(m.lang_hint.as_deref(), Some("en"));
    assert_eq!(m.created_at.to_string(), "2026-04-28T10:15:00Z");

    let page = events(
        "trustpilot/business_unit_reviews_page.json",
        Format::Trustpilot,
    );
    assert_eq!(page.len(), 2);
    let Event::Message(first) = &page[0] else {
        panic!("{:?}", page[0])
    };
    assert_eq!(first.rating.map(|r| r.stars()), Some(1));
    assert_eq!(first.lang_hint.as_deref(), Some("fr"));
    assert!(first.text.starts_with("Colis jamais livré\n\n"));
    // A review's own JSON is its raw payload.
    assert!(first.raw.contains("5e4a0c2b9e1f7a0001a2b3c4") && !first.raw.contains("John D."));
}

#[test]
fn broken_reviews_are_errors_not_panics() {
    for (line, format) in [
        (
            r#"{"reviewId":"r","starRating":"ZERO","createTime":"2026-01-01T00:00:00Z"}"#,
            Format::Google,
        ),
        (r#"{"reviewId":"r","starRating":"ONE"}"#, Format::Google),
        (
            r#"{"id":"t","stars":9,"createdAt":"2026-01-01T00:00:00Z","consumer":{}}"#,
            Format::Trustpilot,
        ),
        (r#"{"id":"t","stars":3,"consumer":{}}"#, Format::Trustpilot),
        (
            r#"{"reviews":[{"reviewId":"r","createTime":"yesterday"}]}"#,
            Format::Auto,
        ),
    ] {
        let out = normalize(line, format);
        assert_eq!(out.len(), 1, "{line}");
        assert_eq!(
            out[0].as_ref().unwrap_err().reason,
            Reason::ParseError,
            "{line}"
        );
    }
}
