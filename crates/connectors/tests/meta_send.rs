//! The Messenger/Instagram sender against a fake Graph API on a local port: messaging windows,
//! Graph error bodies (also inside a 200), expired tokens, rate limits, resends, moderation,
//! new posts on the Page (text, photos) and on Instagram (one image, a carousel), the resend
//! checks of posts, images Meta refuses, and Instagram's permalink.

#![cfg(feature = "client")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_connectors::client::{
    Action, Media, Outgoing, PlatformSender, QuickReply, Secret, SendError,
};
use palabre_connectors::messenger::client::{Config, Meta, Surface};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// A request the fake Graph API received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    authorization: String,
    content_type: String,
    /// Read as UTF-8, bytes that are not replaced (image uploads).
    body: String,
}

/// Answers each request with the next scripted (status, extra headers, body); records them.
struct FakeGraph {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn fake_graph(script: Vec<(u16, &'static str, &'static str)>) -> FakeGraph {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v21.0", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for (status, headers, body) in script {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut parts = line.split_whitespace();
            let method = parts.next().unwrap_or_default().to_owned();
            let path = parts.next().unwrap_or_default().to_owned();
            let (mut length, mut authorization, mut content_type) =
                (0usize, String::new(), String::new());
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                let (k, v) = h.split_once(':').unwrap();
                match k.to_ascii_lowercase().as_str() {
                    "content-length" => length = v.trim().parse().unwrap(),
                    "authorization" => authorization = v.trim().to_owned(),
                    "content-type" => content_type = v.trim().to_owned(),
                    _ => {}
                }
            }
            let mut buf = vec![0; length];
            reader.read_exact(&mut buf).unwrap();
            log.lock().unwrap().push(Seen {
                method,
                path,
                authorization,
                content_type,
                body: String::from_utf8_lossy(&buf).into_owned(),
            });
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
                body.len()
            );
        }
    });
    FakeGraph { url, seen }
}

fn meta(graph: &FakeGraph, surface: Surface) -> Meta {
    let (page_id, ig_user_id) = match surface {
        Surface::Messenger => (Some("5550001".to_owned()), None),
        Surface::Instagram => (None, Some("17841400000000000".to_owned())),
    };
    Meta::new(
        &Config {
            name: "page".into(),
            page_id,
            ig_user_id,
            page_access_token: Secret::new("page-token"),
            app_secret: Secret::new("app-secret"),
            verify_token: Secret::new("verify"),
            graph_url: graph.url.clone(),
            timeout: std::time::Duration::from_secs(20),
        },
        surface,
    )
    .unwrap()
}

const HOUR: i64 = 3_600_000;

fn now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

fn direct(text: &'static str, human: bool, last_inbound_ms: i64) -> Outgoing<'static> {
    Outgoing {
        idem_key: "human:ana:1",
        action: Action::Direct,
        target_id: Some("m_1"),
        target_raw: None,
        root_id: None,
        recipient: Some("24000000000000001"),
        text: Some(text),
        human,
        last_inbound_ms: Some(last_inbound_ms),
        resend: false,
        queued_ms: 0,
        quick_replies: &[],
        media: &[],
    }
}

fn body(seen: &Seen) -> serde_json::Value {
    serde_json::from_str(&seen.body).unwrap()
}

#[test]
fn inside_24_hours_a_response_goes_out() {
    let graph = fake_graph(vec![(
        200,
        "",
        r#"{"recipient_id":"24000000000000001","message_id":"m_sent_1"}"#,
    )]);
    let sent = meta(&graph, Surface::Messenger)
        .send(&direct("Bonjour !", false, now() - 2 * HOUR))
        .unwrap();
    assert_eq!(sent.as_deref(), Some("m_sent_1"));
    let seen = graph.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert!(
        seen[0]
            .path
            .starts_with("/v21.0/5550001/messages?appsecret_proof="),
        "{}",
        seen[0].path
    );
    assert_eq!(seen[0].authorization, "Bearer page-token");
    let b = body(&seen[0]);
    assert_eq!(b["recipient"]["id"], "24000000000000001");
    assert_eq!(b["messaging_type"], "RESPONSE");
    assert_eq!(b["message"]["text"], "Bonjour !");
    assert!(b.get("tag").is_none());
}

#[test]
fn a_question_carries_its_choices_as_quick_replies_on_messenger_and_instagram() {
    let buttons = [
        QuickReply {
            title: "93200 Seine-Saint-D…".into(),
            payload: "choice:mon-resultat:93200".into(),
        },
        QuickReply {
            title: "97400 La Réunion".into(),
            payload: "choice:mon-resultat:97400".into(),
        },
    ];
    for surface in [Surface::Messenger, Surface::Instagram] {
        let graph = fake_graph(vec![(
            200,
            "",
            r#"{"recipient_id":"2","message_id":"m_q"}"#,
        )]);
        let question = Outgoing {
            quick_replies: &buttons,
            media: &[],
            ..direct("Lequel ? 1) 93200 2) 97400", false, now() - HOUR)
        };
        meta(&graph, surface).send(&question).unwrap();
        let seen = graph.seen.lock().unwrap().clone();
        let b = body(&seen[0]);
        assert_eq!(b["message"]["text"], "Lequel ? 1) 93200 2) 97400");
        assert_eq!(
            b["message"]["quick_replies"],
            serde_json::json!([
                {"content_type": "text", "title": "93200 Seine-Saint-D…", "payload": "choice:mon-resultat:93200"},
                {"content_type": "text", "title": "97400 La Réunion", "payload": "choice:mon-resultat:97400"},
            ]),
            "{surface:?}"
        );
    }
    // A plain message has none.
    let graph = fake_graph(vec![(
        200,
        "",
        r#"{"recipient_id":"2","message_id":"m_p"}"#,
    )]);
    meta(&graph, Surface::Messenger)
        .send(&direct("Bonjour", false, now() - HOUR))
        .unwrap();
    let seen = graph.seen.lock().unwrap().clone();
    assert!(body(&seen[0])["message"].get("quick_replies").is_none());
}

#[test]
fn after_24_hours_only_a_human_may_send_with_the_human_agent_tag() {
    let graph = fake_graph(vec![(
        200,
        "",
        r#"{"recipient_id":"2","message_id":"m_2"}"#,
    )]);
    let m = meta(&graph, Surface::Messenger);
    // The bot, 25 hours on: refused before any call, and the error names the window.
    let bot = m
        .send(&direct("Relance", false, now() - 25 * HOUR))
        .unwrap_err();
    assert!(
        matches!(&bot, SendError::Fatal(e) if e.contains("24 hours") && e.contains("only a person")),
        "{bot:?}"
    );
    // Eight days on: refused even for a person.
    let late = m
        .send(&direct("Relance", true, now() - 8 * 24 * HOUR))
        .unwrap_err();
    assert!(
        matches!(&late, SendError::Fatal(e) if e.contains("7 days")),
        "{late:?}"
    );
    assert!(
        graph.seen.lock().unwrap().is_empty(),
        "nothing may reach Meta"
    );
    // A person, 25 hours on: MESSAGE_TAG with HUMAN_AGENT.
    m.send(&direct(
        "Je reprends votre dossier",
        true,
        now() - 25 * HOUR,
    ))
    .unwrap();
    let seen = graph.seen.lock().unwrap().clone();
    let b = body(&seen[0]);
    assert_eq!(b["messaging_type"], "MESSAGE_TAG");
    assert_eq!(b["tag"], "HUMAN_AGENT");
}

#[test]
fn a_200_whose_body_is_an_error_is_an_error() {
    let graph = fake_graph(vec![(
        200,
        "",
        r#"{"error":{"message":"(#100) No matching user found","type":"OAuthException","code":100,"error_subcode":2018001,"fbtrace_id":"A1"}}"#,
    )]);
    let e = meta(&graph, Surface::Messenger)
        .send(&direct("Bonjour", false, now()))
        .unwrap_err();
    assert!(
        matches!(&e, SendError::Fatal(m) if m.contains("No matching user found") && m.contains("code 100")),
        "{e:?}"
    );
}

#[test]
fn an_expired_token_is_an_auth_error() {
    let graph = fake_graph(vec![(
        400,
        "",
        r#"{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463}}"#,
    )]);
    let e = meta(&graph, Surface::Messenger)
        .send(&direct("Bonjour", false, now()))
        .unwrap_err();
    assert!(
        matches!(&e, SendError::Auth(m) if m.contains("expired or revoked") && m.contains("page_access_token")),
        "{e:?}"
    );
    // The token never appears in what is logged.
    assert!(!format!("{e}").contains("page-token"));
}

#[test]
fn rate_limits_and_server_errors_are_retried_and_permissions_are_not() {
    let graph = fake_graph(vec![
        (
            429,
            "Retry-After: 30\r\n",
            r#"{"error":{"message":"busy","code":4}}"#,
        ),
        (
            400,
            "X-Business-Use-Case-Usage: {\"5550001\":[{\"type\":\"messenger\",\"estimated_time_to_regain_access\":2}]}\r\n",
            r#"{"error":{"message":"(#613) Calls to this api have exceeded the rate limit.","code":613}}"#,
        ),
        (503, "", "Service Unavailable"),
        (
            500,
            "",
            r#"{"error":{"message":"An unexpected error has occurred.","code":2}}"#,
        ),
        (
            403,
            "",
            r#"{"error":{"message":"(#10) Requires pages_messaging permission","code":10}}"#,
        ),
    ]);
    let m = meta(&graph, Surface::Messenger);
    let out = direct("Bonjour", false, now());
    let before = now();
    let reset = match m.send(&out).unwrap_err() {
        SendError::Limited {
            at_ms: Some(at), ..
        } => {
            assert!(at >= before + 29_000 && at <= now() + 31_000, "{at}");
            at
        }
        other => panic!("429: {other:?}"),
    };
    // The Page waits: its next action is not even tried before the reset.
    assert_eq!(m.send(&out), Err(SendError::NotBefore { at_ms: reset }));
    assert_eq!(graph.seen.lock().unwrap().len(), 1);
    // Each of the next answers to a Page that is not waiting.
    let fresh = || meta(&graph, Surface::Messenger);
    match fresh().send(&out).unwrap_err() {
        SendError::Limited {
            at_ms: Some(at),
            error,
        } => {
            assert!(error.contains("613"), "{error}");
            assert!(at >= before + 119_000, "{at}");
        }
        other => panic!("613: {other:?}"),
    }
    assert!(matches!(
        fresh().send(&out).unwrap_err(),
        SendError::Retry { .. }
    ));
    assert!(matches!(
        fresh().send(&out).unwrap_err(),
        SendError::Retry { .. }
    ));
    assert!(
        matches!(fresh().send(&out).unwrap_err(), SendError::Fatal(e) if e.contains("permission"))
    );
}

#[test]
fn a_resend_finds_the_message_already_sent_and_does_not_post_it_again() {
    let graph = fake_graph(vec![
        (
            200,
            "",
            r#"{"data":[{"id":"t_1","messages":{"data":[{"id":"m_earlier","message":"Autre chose","from":{"id":"5550001"}},{"id":"m_first_try","message":"Bonjour !","from":{"id":"5550001"}}]}}]}"#,
        ),
        // A second resend whose first attempt never reached Meta: looked up, then sent.
        (
            200,
            "",
            r#"{"data":[{"id":"t_1","messages":{"data":[{"id":"m_x","message":"Bonjour !","from":{"id":"24000000000000001"}}]}}]}"#,
        ),
        (200, "", r#"{"recipient_id":"2","message_id":"m_new"}"#),
    ]);
    let m = meta(&graph, Surface::Messenger);
    let mut out = direct("Bonjour !", false, now());
    out.resend = true;
    assert_eq!(m.send(&out).unwrap().as_deref(), Some("m_first_try"));
    assert_eq!(m.send(&out).unwrap().as_deref(), Some("m_new"));
    let seen = graph.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].method, "GET");
    assert!(
        seen[0].path.contains("/5550001/conversations?"),
        "{}",
        seen[0].path
    );
    assert!(
        seen[0].path.contains("user_id=24000000000000001"),
        "{}",
        seen[0].path
    );
    assert!(seen[2].path.contains("/5550001/messages"));
}

#[test]
fn comments_are_hidden_unhidden_deleted_and_answered() {
    let graph = fake_graph(vec![
        (200, "", r#"{"success":true}"#),
        (200, "", r#"{"success":true}"#),
        (200, "", r#"{"success":true}"#),
        (200, "", r#"{"id":"c_reply"}"#),
        (200, "", r#"{"success":true}"#),
        (200, "", r#"{"recipient_id":"2","message_id":"m_ig"}"#),
        (200, "", r#"{"success":false}"#),
    ]);
    let fb = meta(&graph, Surface::Messenger);
    let ig = meta(&graph, Surface::Instagram);
    let act = |action, text| Outgoing {
        idem_key: "k",
        action,
        target_id: Some("111_222"),
        target_raw: None,
        root_id: None,
        recipient: None,
        text,
        human: false,
        last_inbound_ms: None,
        resend: false,
        queued_ms: 0,
        quick_replies: &[],
        media: &[],
    };
    assert_eq!(fb.send(&act(Action::Hide, None)).unwrap(), None);
    assert_eq!(fb.send(&act(Action::Unhide, None)).unwrap(), None);
    assert_eq!(fb.send(&act(Action::Delete, None)).unwrap(), None);
    assert_eq!(
        fb.send(&act(Action::Reply, Some("Merci !")))
            .unwrap()
            .as_deref(),
        Some("c_reply")
    );
    ig.send(&act(Action::Hide, None)).unwrap();
    // Instagram through Instagram Login: the Send API on the account itself.
    let sent = ig.send(&direct("Hello", false, now())).unwrap();
    assert_eq!(sent.as_deref(), Some("m_ig"));
    assert!(
        matches!(ig.send(&act(Action::Hide, None)), Err(SendError::Fatal(e)) if e.contains("success=false"))
    );
    let seen = graph.seen.lock().unwrap().clone();
    let summary: Vec<(String, String, String)> = seen
        .iter()
        .map(|s| {
            (
                s.method.clone(),
                s.path.split('?').next().unwrap().to_owned(),
                if s.body.is_empty() {
                    String::new()
                } else {
                    body(s).to_string()
                },
            )
        })
        .collect();
    assert_eq!(
        summary[..5],
        [
            (
                "POST".into(),
                "/v21.0/111_222".into(),
                r#"{"is_hidden":true}"#.into()
            ),
            (
                "POST".into(),
                "/v21.0/111_222".into(),
                r#"{"is_hidden":false}"#.into()
            ),
            ("DELETE".into(), "/v21.0/111_222".into(), String::new()),
            (
                "POST".into(),
                "/v21.0/111_222/comments".into(),
                r#"{"message":"Merci !"}"#.into()
            ),
            (
                "POST".into(),
                "/v21.0/111_222".into(),
                r#"{"hide":true}"#.into()
            ),
        ]
    );
}

#[test]
fn a_resent_comment_reply_is_looked_for_under_the_comment_first() {
    let graph = fake_graph(vec![
        // Facebook: the Page's reply with this text is already there.
        (
            200,
            "",
            r#"{"data":[{"id":"c_other","message":"Merci !","from":{"id":"24000000000000001"}},{"id":"c_first_try","message":"Merci !","from":{"id":"5550001"}}]}"#,
        ),
        // Instagram: only someone else's reply with the same text: ours is posted.
        (
            200,
            "",
            r#"{"data":[{"id":"c_x","text":"Merci !","from":{"id":"24000000000000001"}}]}"#,
        ),
        (200, "", r#"{"id":"c_new"}"#),
        // A lookup answered with an error is not an empty list: nothing is posted.
        (
            200,
            "",
            r#"{"error":{"message":"An unexpected error has occurred. Please retry your request later.","type":"OAuthException","is_transient":true,"code":2}}"#,
        ),
    ]);
    let fb = meta(&graph, Surface::Messenger);
    let ig = meta(&graph, Surface::Instagram);
    let reply = Outgoing {
        idem_key: "bot:messenger:1",
        action: Action::Reply,
        target_id: Some("111_222"),
        target_raw: None,
        root_id: None,
        recipient: None,
        text: Some("Merci !"),
        human: false,
        last_inbound_ms: None,
        resend: true,
        queued_ms: 0,
        quick_replies: &[],
        media: &[],
    };
    assert_eq!(fb.send(&reply).unwrap().as_deref(), Some("c_first_try"));
    assert_eq!(ig.send(&reply).unwrap().as_deref(), Some("c_new"));
    assert!(matches!(fb.send(&reply), Err(SendError::Retry { .. })));
    let seen = graph.seen.lock().unwrap().clone();
    let calls: Vec<(&str, &str)> = seen
        .iter()
        .map(|s| (s.method.as_str(), s.path.split('?').next().unwrap()))
        .collect();
    assert_eq!(
        calls,
        [
            ("GET", "/v21.0/111_222/comments"),
            ("GET", "/v21.0/111_222/replies"),
            ("POST", "/v21.0/111_222/replies"),
            ("GET", "/v21.0/111_222/comments"),
        ]
    );
    assert!(
        seen[0].path.contains("fields=id%2Cmessage%2Cfrom"),
        "{}",
        seen[0].path
    );
    assert!(
        seen[1].path.contains("fields=id%2Ctext%2Cfrom"),
        "{}",
        seen[1].path
    );
}

const IG: &str = "17841400000000000";

fn new_post<'a>(text: &'a str, media: &'a [Media<'a>]) -> Outgoing<'a> {
    Outgoing {
        idem_key: "post:12:v1:1700000000000",
        action: Action::Post,
        target_id: None,
        target_raw: None,
        root_id: None,
        recipient: None,
        text: Some(text),
        human: true,
        last_inbound_ms: None,
        resend: false,
        queued_ms: now() - 60_000,
        quick_replies: &[],
        media,
    }
}

fn photo<'a>(
    bytes: &'a [u8],
    content_type: &'a str,
    alt: &'a str,
    url: Option<&'a str>,
) -> Media<'a> {
    Media {
        bytes,
        content_type,
        width: 1080,
        height: 1080,
        alt,
        url,
    }
}

/// (method, path without the query, body) of each request.
fn calls(graph: &FakeGraph) -> Vec<(String, String, String)> {
    graph
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s.method.clone(),
                s.path.split('?').next().unwrap().to_owned(),
                s.body.clone(),
            )
        })
        .collect()
}

/// A query parameter of a request's path, decoded as far as these tests need.
fn param(seen: &Seen, name: &str) -> Option<String> {
    let query = seen.path.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.replace("%2C", ",").replace("%2c", ","))
    })
}

/// A multipart form field, as the form writes it.
fn field(name: &str, value: &str) -> String {
    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
}

#[test]
fn a_text_post_goes_to_the_pages_feed() {
    let graph = fake_graph(vec![(200, "", r#"{"id":"5550001_9001"}"#)]);
    let sent = meta(&graph, Surface::Messenger)
        .send(&new_post("Nos horaires changent lundi.", &[]))
        .unwrap();
    assert_eq!(sent.as_deref(), Some("5550001_9001"));
    let seen = graph.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert!(
        seen[0]
            .path
            .starts_with("/v21.0/5550001/feed?appsecret_proof="),
        "{}",
        seen[0].path
    );
    assert_eq!(seen[0].authorization, "Bearer page-token");
    assert_eq!(
        body(&seen[0]),
        serde_json::json!({"message": "Nos horaires changent lundi."})
    );
}

#[test]
fn a_post_with_two_photos_uploads_them_unpublished_then_attaches_them() {
    let graph = fake_graph(vec![
        (200, "", r#"{"id":"80001"}"#),
        (200, "", r#"{"id":"80002"}"#),
        (200, "", r#"{"id":"5550001_9002"}"#),
    ]);
    let images = [
        photo(b"JPEG-ONE", "image/jpeg", "La vitrine refaite", None),
        photo(b"PNG-TWO", "image/png", "", None),
    ];
    let sent = meta(&graph, Surface::Messenger)
        .send(&new_post("Avant, après.", &images))
        .unwrap();
    assert_eq!(sent.as_deref(), Some("5550001_9002"));
    let seen = graph.seen.lock().unwrap().clone();
    let c = calls(&graph);
    assert_eq!(
        c.iter()
            .map(|(m, p, _)| (m.as_str(), p.as_str()))
            .collect::<Vec<_>>(),
        [
            ("POST", "/v21.0/5550001/photos"),
            ("POST", "/v21.0/5550001/photos"),
            ("POST", "/v21.0/5550001/feed"),
        ]
    );
    for (s, (file, ctype, bytes)) in seen[..2].iter().zip([
        ("image-1.jpg", "image/jpeg", "JPEG-ONE"),
        ("image-2.png", "image/png", "PNG-TWO"),
    ]) {
        assert!(
            s.content_type.starts_with("multipart/form-data; boundary="),
            "{}",
            s.content_type
        );
        assert!(s.path.contains("appsecret_proof="), "{}", s.path);
        assert_eq!(s.authorization, "Bearer page-token");
        assert!(s.body.contains(&field("published", "false")), "{}", s.body);
        assert!(
            s.body.contains(&format!(
                "Content-Disposition: form-data; name=\"source\"; filename=\"{file}\"\r\nContent-Type: {ctype}\r\n\r\n{bytes}\r\n"
            )),
            "{}",
            s.body
        );
    }
    assert!(
        seen[0]
            .body
            .contains(&field("alt_text_custom", "La vitrine refaite"))
    );
    assert!(
        !seen[1].body.contains("alt_text_custom"),
        "no empty description"
    );
    assert_eq!(
        body(&seen[2]),
        serde_json::json!({
            "message": "Avant, après.",
            "attached_media": [{"media_fbid": "80001"}, {"media_fbid": "80002"}],
        })
    );
}

#[test]
fn a_resent_page_post_is_looked_for_among_the_pages_posts_first() {
    let graph = fake_graph(vec![
        (
            200,
            "",
            r#"{"data":[{"id":"5550001_8000","message":"Autre chose","created_time":"2024-05-01T10:00:00+0000"},{"id":"5550001_9003","message":"Nos horaires changent lundi.","created_time":"2024-05-01T10:01:00+0000"}]}"#,
        ),
        // A resend whose first attempt never reached Meta: looked up, then posted.
        (200, "", r#"{"data":[]}"#),
        (200, "", r#"{"id":"5550001_9004"}"#),
    ]);
    let m = meta(&graph, Surface::Messenger);
    let mut again = new_post("Nos horaires changent lundi.", &[]);
    again.resend = true;
    assert_eq!(m.send(&again).unwrap().as_deref(), Some("5550001_9003"));
    assert_eq!(graph.seen.lock().unwrap().len(), 1, "not posted twice");
    assert_eq!(m.send(&again).unwrap().as_deref(), Some("5550001_9004"));
    let seen = graph.seen.lock().unwrap().clone();
    assert_eq!(seen[0].method, "GET");
    assert!(
        seen[0].path.starts_with("/v21.0/5550001/posts?"),
        "{}",
        seen[0].path
    );
    assert_eq!(
        param(&seen[0], "fields").as_deref(),
        Some("message,created_time")
    );
    // Read back to the action's queueing (five minutes of clock margin), in Unix seconds.
    assert_eq!(
        param(&seen[0], "since"),
        Some(((again.queued_ms - 300_000) / 1000).to_string())
    );
    assert_eq!(calls(&graph)[2].1, "/v21.0/5550001/feed");
}

#[test]
fn an_image_meta_refuses_comes_back_in_metas_words_and_nothing_is_published() {
    let graph = fake_graph(vec![
        (200, "", r#"{"id":"80001"}"#),
        (
            400,
            "",
            r#"{"error":{"message":"(#324) Requires upload file","type":"OAuthException","code":324,"fbtrace_id":"A2"}}"#,
        ),
        // Instagram: Meta could not fetch the image from its address.
        (
            400,
            "",
            r#"{"error":{"message":"Only photo or video can be accepted as media type.","type":"OAuthException","code":9004,"error_subcode":2207052,"is_transient":false,"error_user_title":"Media download has failed.","error_user_msg":"The media could not be fetched from this URI: https://palabre.example/media/2.jpg","fbtrace_id":"A3"}}"#,
        ),
        // Instagram: the container was made, then Meta found the image unusable.
        (200, "", r#"{"id":"c_err"}"#),
        (
            200,
            "",
            r#"{"status_code":"ERROR","status":"Error: Media upload has failed with error code 2207026","id":"c_err"}"#,
        ),
    ]);
    let images = [
        photo(
            b"A",
            "image/jpeg",
            "",
            Some("https://palabre.example/media/1.jpg"),
        ),
        photo(
            b"B",
            "image/jpeg",
            "",
            Some("https://palabre.example/media/2.jpg"),
        ),
    ];
    let fb = meta(&graph, Surface::Messenger)
        .send(&new_post("Deux photos", &images))
        .unwrap_err();
    assert_eq!(
        fb,
        SendError::Fatal(
            "Facebook refused the image 2: (#324) Requires upload file (code 324)".into()
        )
    );
    let ig = meta(&graph, Surface::Instagram);
    let e = ig.send(&new_post("Deux photos", &images[1..])).unwrap_err();
    assert_eq!(
        e,
        SendError::Fatal("Instagram refused the image 1: Only photo or video can be accepted as media type.: The media could not be fetched from this URI: https://palabre.example/media/2.jpg (code 9004, subcode 2207052)".into())
    );
    let e = ig.send(&new_post("Deux photos", &images[..1])).unwrap_err();
    assert_eq!(
        e,
        SendError::Fatal(
            "Instagram refused the post: Error: Media upload has failed with error code 2207026"
                .into()
        )
    );
    let c = calls(&graph);
    assert!(
        c.iter()
            .all(|(_, p, _)| !p.ends_with("/feed") && !p.ends_with("/media_publish")),
        "nothing published: {c:?}"
    );
    assert_eq!(c.len(), 5);
}

#[test]
fn instagram_publishes_one_image_by_its_address_once_meta_has_fetched_it() {
    let graph = fake_graph(vec![
        (200, "", r#"{"id":"c_1"}"#),
        (200, "", r#"{"status_code":"IN_PROGRESS","id":"c_1"}"#),
        (200, "", r#"{"status_code":"FINISHED","id":"c_1"}"#),
        (200, "", r#"{"id":"17900000000000001"}"#),
    ]);
    let images = [photo(
        b"JPEG",
        "image/jpeg",
        "Le comptoir",
        Some("https://palabre.example/media/p12-1.jpg"),
    )];
    let sent = meta(&graph, Surface::Instagram)
        .send(&new_post("Nouveau comptoir #boulangerie", &images))
        .unwrap();
    assert_eq!(sent.as_deref(), Some("17900000000000001"));
    let seen = graph.seen.lock().unwrap().clone();
    let c = calls(&graph);
    assert_eq!(
        c.iter()
            .map(|(m, p, _)| (m.as_str(), p.as_str()))
            .collect::<Vec<_>>(),
        [
            ("POST", "/v21.0/17841400000000000/media"),
            ("GET", "/v21.0/c_1"),
            ("GET", "/v21.0/c_1"),
            ("POST", "/v21.0/17841400000000000/media_publish"),
        ]
    );
    assert_eq!(
        body(&seen[0]),
        serde_json::json!({
            "image_url": "https://palabre.example/media/p12-1.jpg",
            "caption": "Nouveau comptoir #boulangerie",
            "alt_text": "Le comptoir",
        })
    );
    assert_eq!(
        param(&seen[1], "fields").as_deref(),
        Some("status_code,status")
    );
    assert_eq!(body(&seen[3]), serde_json::json!({"creation_id": "c_1"}));
    assert!(seen.iter().all(|s| s.authorization == "Bearer page-token"));
}

#[test]
fn instagram_publishes_several_images_as_a_carousel() {
    let graph = fake_graph(vec![
        (200, "", r#"{"id":"k_1"}"#),
        (200, "", r#"{"id":"k_2"}"#),
        (200, "", r#"{"id":"c_car"}"#),
        (200, "", r#"{"status_code":"FINISHED","id":"c_car"}"#),
        (200, "", r#"{"id":"17900000000000002"}"#),
    ]);
    let images = [
        photo(
            b"1",
            "image/jpeg",
            "Avant",
            Some("https://palabre.example/media/1.jpg"),
        ),
        photo(
            b"2",
            "image/jpeg",
            "",
            Some("https://palabre.example/media/2.jpg"),
        ),
    ];
    let sent = meta(&graph, Surface::Instagram)
        .send(&new_post("Avant, après.", &images))
        .unwrap();
    assert_eq!(sent.as_deref(), Some("17900000000000002"));
    let seen = graph.seen.lock().unwrap().clone();
    assert_eq!(
        body(&seen[0]),
        serde_json::json!({"image_url": "https://palabre.example/media/1.jpg", "is_carousel_item": true, "alt_text": "Avant"})
    );
    assert_eq!(
        body(&seen[1]),
        serde_json::json!({"image_url": "https://palabre.example/media/2.jpg", "is_carousel_item": true})
    );
    assert_eq!(
        body(&seen[2]),
        serde_json::json!({"media_type": "CAROUSEL", "children": "k_1,k_2", "caption": "Avant, après."})
    );
    assert!(
        seen[3].path.starts_with("/v21.0/c_car?"),
        "{}",
        seen[3].path
    );
    assert_eq!(body(&seen[4]), serde_json::json!({"creation_id": "c_car"}));
    assert!(
        seen[4]
            .path
            .starts_with("/v21.0/17841400000000000/media_publish?")
    );
}

#[test]
fn instagram_without_an_image_or_its_address_is_refused_before_any_call() {
    let graph = fake_graph(vec![]);
    let ig = meta(&graph, Surface::Instagram);
    let e = ig.send(&new_post("Rien à montrer", &[])).unwrap_err();
    assert!(
        matches!(&e, SendError::Fatal(m) if m.contains("at least one image")),
        "{e:?}"
    );
    let images = [
        photo(
            b"1",
            "image/jpeg",
            "",
            Some("https://palabre.example/media/1.jpg"),
        ),
        photo(b"2", "image/jpeg", "", None),
    ];
    let e = ig.send(&new_post("Deux", &images)).unwrap_err();
    assert!(
        matches!(&e, SendError::Fatal(m) if m.contains("image 2") && m.contains("[publishing] media_url")),
        "{e:?}"
    );
    assert!(
        graph.seen.lock().unwrap().is_empty(),
        "nothing reached Meta"
    );
}

#[test]
fn a_resent_instagram_post_is_looked_for_among_the_accounts_latest_media() {
    let queued = now() - 60_000;
    let recent = jiff::Timestamp::from_millisecond(queued + 1_000)
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%S+0000")
        .to_string();
    let media = format!(
        r#"{{"data":[{{"id":"17900000000000009","caption":"Avant, après.","timestamp":"{recent}"}},{{"id":"17900000000000001","caption":"Avant, après.","timestamp":"2023-01-01T10:00:00+0000"}}]}}"#
    );
    let graph = fake_graph(vec![(200, "", Box::leak(media.into_boxed_str()))]);
    let images = [photo(
        b"1",
        "image/jpeg",
        "",
        Some("https://palabre.example/media/1.jpg"),
    )];
    let mut again = new_post("Avant, après.", &images);
    again.resend = true;
    again.queued_ms = queued;
    assert_eq!(
        meta(&graph, Surface::Instagram)
            .send(&again)
            .unwrap()
            .as_deref(),
        Some("17900000000000009")
    );
    let seen = graph.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "nothing published again");
    assert!(
        seen[0].path.starts_with(&format!("/v21.0/{IG}/media?")),
        "{}",
        seen[0].path
    );
    assert_eq!(
        param(&seen[0], "fields").as_deref(),
        Some("caption,timestamp")
    );
}

#[test]
fn an_old_post_with_the_same_caption_is_not_taken_for_the_resent_one() {
    let graph = fake_graph(vec![
        (
            200,
            "",
            r#"{"data":[{"id":"17900000000000001","caption":"Avant, après.","timestamp":"2023-01-01T10:00:00+0000"}]}"#,
        ),
        (200, "", r#"{"id":"c_1"}"#),
        (200, "", r#"{"status_code":"FINISHED"}"#),
        (200, "", r#"{"id":"17900000000000010"}"#),
    ]);
    let images = [photo(
        b"1",
        "image/jpeg",
        "",
        Some("https://palabre.example/media/1.jpg"),
    )];
    let mut again = new_post("Avant, après.", &images);
    again.resend = true;
    assert_eq!(
        meta(&graph, Surface::Instagram)
            .send(&again)
            .unwrap()
            .as_deref(),
        Some("17900000000000010")
    );
}

#[test]
fn instagrams_permalink_is_read_and_none_when_it_cannot_be() {
    let graph = fake_graph(vec![
        (
            200,
            "",
            r#"{"permalink":"https://www.instagram.com/p/C8xYz12AbCd/","id":"17900000000000001"}"#,
        ),
        (
            400,
            "",
            r#"{"error":{"message":"Unsupported get request.","type":"GraphMethodException","code":100,"error_subcode":33}}"#,
        ),
    ]);
    let ig = meta(&graph, Surface::Instagram);
    assert_eq!(
        ig.permalink("17900000000000001").as_deref(),
        Some("https://www.instagram.com/p/C8xYz12AbCd/")
    );
    assert_eq!(ig.permalink("17900000000000002"), None);
    let seen = graph.seen.lock().unwrap().clone();
    assert!(
        seen[0].path.starts_with("/v21.0/17900000000000001?"),
        "{}",
        seen[0].path
    );
    assert_eq!(param(&seen[0], "fields").as_deref(), Some("permalink"));
    // A Page's posts link from their id: nothing is asked.
    assert_eq!(
        meta(&graph, Surface::Messenger).permalink("5550001_9001"),
        None
    );
    assert_eq!(graph.seen.lock().unwrap().len(), 2);
}
