//! The path of an event through `Pipeline::process_line`: dedupe, threading, repeats, decide.

// Tests may unwrap and panic: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_connectors::Format;
use palabre_core::{Outcome, Reason};
use palabre_pipeline::{Pipeline, Policy, Processed, Record};

fn pipeline() -> Pipeline {
    let channels = vec![
        "x:1000:brand".parse().unwrap(),
        "mastodon:109:brand@social.example".parse().unwrap(),
        "messenger:P1:brandpage".parse().unwrap(),
    ];
    Pipeline::new(Policy::with_channels(channels))
}

fn one(p: &mut Pipeline, line: &str) -> Processed {
    let mut out = Vec::new();
    p.process_line(line, Format::Auto, |x| out.push(x));
    assert_eq!(out.len(), 1, "{line}");
    out.remove(0)
}

fn verdict(x: &Processed) -> (Outcome, Vec<Reason>) {
    (x.decision.outcome, x.decision.reasons.clone())
}

fn mastodon_status(id: &str, account: &str, reply_to: Option<(&str, &str)>, text: &str) -> String {
    let (rid, raid) = reply_to.map_or(("null".to_owned(), "null".to_owned()), |(r, a)| {
        (format!("\"{r}\""), format!("\"{a}\""))
    });
    format!(
        r#"{{"id":"{id}","created_at":"2026-03-22T10:00:00Z","in_reply_to_id":{rid},"in_reply_to_account_id":{raid},"content":"<p>{text}</p>","visibility":"public","account":{{"id":"{account}","username":"u{account}","acct":"u{account}"}},"mentions":[{{"id":"109","acct":"brand@social.example","username":"brand"}}],"tags":[]}}"#
    )
}

#[test]
fn mastodon_replies_are_threaded_through_the_window_to_the_root() {
    let mut p = pipeline();
    let root = one(&mut p, &mastodon_status("1", "7", None, "@brand panne"));
    let ours = one(
        &mut p,
        &mastodon_status("2", "109", Some(("1", "7")), "Bonjour, nous regardons"),
    );
    let again = one(
        &mut p,
        &mastodon_status("3", "7", Some(("2", "109")), "@brand merci, toujours rien"),
    );
    assert_eq!(
        verdict(&root),
        (Outcome::RoutedToHuman, vec![Reason::Mention])
    );
    assert_eq!(verdict(&ours), (Outcome::Ignored, vec![Reason::OwnMessage]));
    assert_eq!(
        verdict(&again),
        (Outcome::RoutedToHuman, vec![Reason::ReplyToChannel])
    );
    let conv = |x: &Processed| x.decision.conversation.as_ref().unwrap().to_string();
    assert_eq!(conv(&root), "mastodon:1");
    assert_eq!(
        conv(&ours),
        "mastodon:1",
        "Mastodon gives no root: the parent's conversation is found"
    );
    assert_eq!(
        conv(&again),
        "mastodon:1",
        "two levels down, still the root"
    );
}

#[test]
fn reposts_and_quotes_of_our_posts_are_echoes_but_a_quote_that_mentions_us_is_not() {
    let mut p = pipeline();
    let repost = r#"{"id":"r1","kind":"repost","text":"","author":{"id":"u1"},"referenced":{"id":"9","author_id":"1000"}}"#;
    let quote = r#"{"id":"q1","kind":"quote","text":"à lire","author":{"id":"u2"},"referenced":{"id":"9","author_handle":"brand"}}"#;
    let quote_at = r#"{"id":"q2","kind":"quote","text":"@brand et pour moi ?","mentions":["brand"],"author":{"id":"u3"},"referenced":{"id":"9","author_id":"1000"}}"#;
    let other = r#"{"id":"r2","kind":"repost","text":"","author":{"id":"u4"},"referenced":{"id":"8","author_id":"55"}}"#;
    assert_eq!(
        verdict(&one(&mut p, repost)),
        (Outcome::Ignored, vec![Reason::EchoOfOwnPost])
    );
    assert_eq!(
        verdict(&one(&mut p, quote)),
        (Outcome::Ignored, vec![Reason::EchoOfOwnPost])
    );
    assert_eq!(
        verdict(&one(&mut p, quote_at)),
        (Outcome::RoutedToHuman, vec![Reason::Mention])
    );
    assert_eq!(
        verdict(&one(&mut p, other)),
        (Outcome::Ignored, vec![Reason::Repost])
    );
}

#[test]
fn direct_messages_share_one_conversation_per_author_and_echoes_join_it() {
    let mut p = pipeline();
    let dm = |mid: &str, from: &str, to: &str, at: i64| {
        format!(
            r#"{{"object":"page","entry":[{{"id":"P1","time":1,"messaging":[{{"sender":{{"id":"{from}"}},"recipient":{{"id":"{to}"}},"timestamp":{at},"message":{{"mid":"{mid}","text":"salut"}}}}]}}]}}"#
        )
    };
    let a = one(&mut p, &dm("m1", "U1", "P1", 1_700_000_000_000));
    let echo = one(&mut p, &dm("m2", "P1", "U1", 1_700_000_001_000));
    let b = one(&mut p, &dm("m3", "U2", "P1", 1_700_000_002_000));
    assert_eq!(
        verdict(&a),
        (Outcome::RoutedToHuman, vec![Reason::DirectMessage])
    );
    assert_eq!(verdict(&echo), (Outcome::Ignored, vec![Reason::OwnMessage]));
    let conv = |x: &Processed| x.decision.conversation.as_ref().unwrap().to_string();
    assert_eq!(conv(&a), "messenger:dm:P1:U1");
    assert_eq!(
        conv(&echo),
        "messenger:dm:P1:U1",
        "the Page's own answer joins the author's conversation"
    );
    assert_eq!(conv(&b), "messenger:dm:P1:U2");
}

#[test]
fn repeats_are_folded_text_within_the_window_only() {
    let mut p = pipeline();
    let ask = |id: &str, author: &str, text: &str, at: &str| {
        format!(
            r#"{{"id":"{id}","text":"{text}","mentions":["brand"],"author":{{"id":"{author}"}},"created_at":"{at}"}}"#
        )
    };
    let first = one(
        &mut p,
        &ask(
            "a",
            "u1",
            "@brand Mon colis 42 est où ?",
            "2026-03-22T10:00:00Z",
        ),
    );
    let same = one(
        &mut p,
        &ask("b", "u1", "mon colis 42 est où", "2026-03-22T12:00:00Z"),
    );
    let other_author = one(
        &mut p,
        &ask(
            "c",
            "u2",
            "@brand mon colis 42 est où ?",
            "2026-03-22T12:00:00Z",
        ),
    );
    let other_text = one(
        &mut p,
        &ask(
            "d",
            "u1",
            "@brand mon colis 43 est où ?",
            "2026-03-22T12:00:00Z",
        ),
    );
    let much_later = one(
        &mut p,
        &ask(
            "e",
            "u1",
            "@brand mon colis 42 est où ?",
            "2026-03-24T10:00:01Z",
        ),
    );
    assert_eq!(verdict(&first).0, Outcome::RoutedToHuman);
    assert_eq!(
        verdict(&same),
        (Outcome::Ignored, vec![Reason::RepeatedRequest])
    );
    assert_eq!(
        same.decision.conversation, first.decision.conversation,
        "a repeat joins the first request"
    );
    assert_eq!(verdict(&other_author).0, Outcome::RoutedToHuman);
    assert_eq!(verdict(&other_text).0, Outcome::RoutedToHuman);
    assert_eq!(
        verdict(&much_later).0,
        Outcome::RoutedToHuman,
        "past the 24 h window it is asked anew"
    );
    // A bare mention asks nothing: two of them are not a repeat.
    let bare1 = one(&mut p, &ask("f", "u9", "@brand", "2026-03-22T10:00:00Z"));
    let bare2 = one(&mut p, &ask("g", "u9", "@brand", "2026-03-22T10:01:00Z"));
    assert_eq!(verdict(&bare1).0, Outcome::RoutedToHuman);
    assert_eq!(verdict(&bare2).0, Outcome::RoutedToHuman);
}

#[test]
fn duplicates_conflicts_and_what_is_recorded() {
    let mut p = pipeline();
    let line = r#"{"id":"d1","text":"@brand allo","mentions":["brand"],"author":{"id":"u1"}}"#;
    let first = one(&mut p, line);
    assert!(matches!(first.record, Record::Fresh { .. }));
    let again = one(&mut p, line);
    assert_eq!(verdict(&again), (Outcome::Ignored, vec![Reason::Duplicate]));
    assert!(
        matches!(again.record, Record::Nothing),
        "a duplicate adds nothing to the store"
    );
    let edited = one(
        &mut p,
        r#"{"id":"d1","text":"@brand allo ??","mentions":["brand"],"author":{"id":"u1"}}"#,
    );
    assert_eq!(
        verdict(&edited),
        (
            Outcome::Ignored,
            vec![Reason::Duplicate, Reason::IdConflict]
        )
    );
    assert!(
        matches!(edited.record, Record::Conflict { .. }),
        "the other version is kept aside"
    );
    let broken = one(&mut p, "{\"id\":");
    assert_eq!(broken.decision.outcome, Outcome::Invalid);
    assert!(matches!(broken.record, Record::Rejected { .. }));
    let like = one(
        &mut p,
        r#"{"did":"did:plc:a","time_us":1725911162329308,"kind":"commit","commit":{"rev":"r","operation":"create","collection":"app.bsky.feed.like","rkey":"k","record":{"$type":"app.bsky.feed.like","createdAt":"2024-09-09T19:46:02.102Z","subject":{"cid":"c","uri":"at://did:plc:x/app.bsky.feed.post/p"}}}}"#,
    );
    assert_eq!(
        verdict(&like),
        (Outcome::Ignored, vec![Reason::NotAMessage])
    );
    assert_eq!(
        like.event_id.unwrap().to_string(),
        "bluesky:at://did:plc:a/app.bsky.feed.like/k"
    );
}

#[test]
fn seeding_restores_memory_after_a_restart() {
    let line = r#"{"id":"s1","text":"@brand hello","mentions":["brand"],"author":{"id":"u1"},"created_at":"2026-03-22T10:00:00Z"}"#;
    let mut before = pipeline();
    let Record::Fresh { message, keys } = one(&mut before, line).record else {
        panic!()
    };
    let row = palabre_core::SeedRow {
        platform: message.id.platform,
        keys,
        conversation: "generic:s1".into(),
        created_at: message.created_at,
        rootless: true,
    };
    let mut after = pipeline();
    after.seed([row]);
    assert_eq!(
        verdict(&one(&mut after, line)),
        (Outcome::Ignored, vec![Reason::Duplicate])
    );
    let reply = one(
        &mut after,
        r#"{"id":"s2","text":"@brand ?","mentions":["brand"],"author":{"id":"u1"},"in_reply_to":"s1"}"#,
    );
    assert_eq!(
        reply.decision.conversation.unwrap().to_string(),
        "generic:s1"
    );
    assert!(
        !reply.decision.reasons.contains(&Reason::OrphanReply),
        "the parent is remembered"
    );
}

/// Each decision that reaches the inbox names the brand's channel it was addressed to: the
/// account mentioned, replied to or written to, else the platform's only channel.
#[test]
fn decisions_name_the_channel_they_were_addressed_to() {
    let channels = vec![
        "x:1000:brand".parse().unwrap(),
        "x:2000:brand_help".parse().unwrap(),
        "mastodon:109:brand@social.example".parse().unwrap(),
    ];
    let mut p = Pipeline::new(Policy::with_channels(channels));
    let generic = |id: &str, extra: &str| {
        format!(
            r#"{{"platform":"x","id":"{id}","text":"bonjour","author":{{"id":"u{id}"}}{extra}}}"#
        )
    };
    let channel = |x: &Processed| x.decision.channel.clone();
    // Mentions name their account; a reply to the second account is its.
    let mention = one(&mut p, &generic("1", r#","mentions":["brand_help"]"#));
    assert_eq!(mention.decision.outcome, Outcome::RoutedToHuman);
    assert_eq!(channel(&mention).as_deref(), Some("x:2000"));
    let reply = one(
        &mut p,
        &generic(
            "2",
            r#","kind":"reply","in_reply_to":"99","in_reply_to_author":"1000""#,
        ),
    );
    assert_eq!(channel(&reply).as_deref(), Some("x:1000"));
    let direct = one(
        &mut p,
        &generic("3", r#","kind":"direct","recipient":"2000""#),
    );
    assert_eq!(channel(&direct).as_deref(), Some("x:2000"));
    // Mastodon has one channel: it takes what is addressed there.
    let toot = one(&mut p, &mastodon_status("5", "7", None, "@brand panne"));
    assert_eq!(channel(&toot).as_deref(), Some("mastodon:109"));
    // What is ignored belongs to no channel.
    let other = one(&mut p, &generic("4", ""));
    assert_eq!(other.decision.outcome, Outcome::Ignored);
    assert_eq!(channel(&other), None);
}
