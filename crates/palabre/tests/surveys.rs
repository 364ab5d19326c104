//! Black-box tests of satisfaction surveys in `palabre replay`: a survey follows only a support
//! exchange that ended well, once per person per period, in the customer's language, across a
//! restart; bad survey declarations are refused with what is wrong.

// Tests may unwrap and panic: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};

const SURVEY: &str = r#"
[channels.survey]
fr = "Ravis d'avoir pu vous aider ! Votre avis en deux minutes : {link}"
en = "Glad we could help! Your opinion in two minutes: {link}"
link = "https://brand.example/avis"
once_per = "30d"
"#;

fn config(dir: &Path, survey: &str) -> std::path::PathBuf {
    let path = dir.join("palabre.toml");
    std::fs::write(
        &path,
        format!(
            "[[channels]]\nplatform = \"x\"\nid = \"1000\"\nhandle = \"brand\"\n{survey}\n\
             [[channels]]\nplatform = \"messenger\"\nid = \"555\"\nhandle = \"brandpage\"\n{survey}\n\
             [triage]\nknown_organisations = [\"infolocale\"]\n"
        ),
    )
    .unwrap();
    path
}

/// `palabre replay ARGS` over these events.
fn replay(args: &[&str], lines: &[Value]) -> Output {
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    common::replay(args, Some(&input))
}

/// `(id, outcome, reasons, reply)` of each decision.
fn decided(out: &Output) -> Vec<(String, String, String, Option<String>)> {
    common::decision_lines(out)
        .iter()
        .map(|d| {
            (
                d["event_id"].as_str().unwrap().to_owned(),
                d["outcome"].as_str().unwrap().to_owned(),
                common::reasons(d),
                d["reply"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// Minutes after a fixed start, as the events' clock.
fn at(minutes: i64) -> String {
    jiff::Timestamp::from_second(1_780_000_000 + minutes * 60)
        .unwrap()
        .to_string()
}

/// A customer's post to the brand.
fn asks(id: &str, author: &str, text: &str, minute: i64) -> Value {
    json!({"platform": "x", "id": id, "kind": "post", "text": text, "created_at": at(minute),
        "author": {"id": author, "handle": format!("user{author}")}, "mentions": ["brand"]})
}

/// The brand's answer to `to` (written by a person, read back from the platform).
fn brand_answers(id: &str, to: &str, author: &str, minute: i64) -> Value {
    json!({"platform": "x", "id": id, "kind": "reply", "text": format!("@user{author} Bonjour, voici la marche à suivre : réinstallez l'application."),
        "created_at": at(minute), "in_reply_to": to, "in_reply_to_author": author,
        "author": {"id": "1000", "handle": "brand"}, "mentions": [format!("user{author}")]})
}

/// The customer's reply to the brand's message `to`.
fn replies(id: &str, to: &str, author: &str, text: &str, minute: i64) -> Value {
    json!({"platform": "x", "id": id, "kind": "reply", "text": text, "created_at": at(minute),
        "in_reply_to": to, "in_reply_to_author": "1000",
        "author": {"id": author, "handle": format!("user{author}")}, "mentions": ["brand"]})
}

const QUESTION: &str =
    "@brand bonjour, je n'arrive plus à me connecter à l'application, que faire ?";

#[test]
fn a_survey_follows_only_an_exchange_that_ended_well() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), SURVEY);
    let mut lines = Vec::new();
    // (customer, their confirmation) for exchanges that each open with a question and get
    // the brand's answer.
    let endings = [
        ("11", "@brand c'est réglé, merci beaucoup !"),
        ("12", "@brand merci pour rien"),
        ("13", "@brand ça marche merci ! et pour le remboursement ?"),
        ("14", "@brand ok je vais essayer ce soir"),
        ("15", "@brand merci pour votre réponse"),
        ("16", "@brand ça ne marche toujours pas"),
        ("17", "@brand Problem solved, thanks a lot!"),
    ];
    for (i, (author, ending)) in endings.iter().enumerate() {
        let m = i as i64 * 10;
        lines.push(asks(&format!("q{author}"), author, QUESTION, m));
        lines.push(brand_answers(
            &format!("a{author}"),
            &format!("q{author}"),
            author,
            m + 1,
        ));
        lines.push(replies(
            &format!("r{author}"),
            &format!("a{author}"),
            author,
            ending,
            m + 2,
        ));
    }
    // Someone who never asked anything says the same words under the brand's post.
    lines.push(replies(
        "r20",
        "a11",
        "20",
        "@brand c'est réglé, merci beaucoup !",
        90,
    ));
    // Unfinished, then finished: the survey waits for the confirmation.
    lines.push(replies(
        "r14b",
        "a14",
        "14",
        "@brand ça a marché, c'est bon merci 👍",
        95,
    ));
    // The brand's answer in an exchange nobody opened with a question (praise): no survey.
    lines.push(asks(
        "q30",
        "30",
        "@brand votre nouvelle appli est top",
        100,
    ));
    lines.push(brand_answers("a30", "q30", "30", 101));
    lines.push(replies(
        "r30",
        "a30",
        "30",
        "@brand ça marche nickel merci",
        102,
    ));
    // A media's journalist asks, gets an answer and says it is sorted: no survey to a media.
    let mut media = asks("q40", "40", QUESTION, 110);
    media["author"] = json!({"id": "40", "handle": "infolocale", "name": "Info Locale"});
    let mut media_ok = replies(
        "r40",
        "a40",
        "40",
        "@brand c'est réglé, merci beaucoup !",
        112,
    );
    media_ok["author"] = media["author"].clone();
    lines.extend([media, brand_answers("a40", "q40", "40", 111), media_ok]);
    let out = replay(&["--config", cfg.to_str().unwrap()], &lines);
    let got = decided(&out);
    let of = |id: &str| {
        got.iter()
            .find(|d| d.0 == format!("x:{id}"))
            .unwrap_or_else(|| panic!("no decision for {id}: {got:?}"))
            .clone()
    };
    let surveyed: Vec<&str> = got
        .iter()
        .filter(|d| d.2.contains("survey"))
        .map(|d| d.0.as_str())
        .collect();
    assert_eq!(surveyed, ["x:r11", "x:r17", "x:r14b"], "{got:#?}");
    let r11 = of("r11");
    assert_eq!(
        (r11.1.as_str(), r11.2.as_str()),
        ("bot_replied", "reply_to_channel,survey")
    );
    assert_eq!(
        r11.3.as_deref(),
        Some(
            "Ravis d'avoir pu vous aider ! Votre avis en deux minutes : https://brand.example/avis"
        )
    );
    assert_eq!(
        of("r17").3.as_deref(),
        Some("Glad we could help! Your opinion in two minutes: https://brand.example/avis"),
        "in the customer's language"
    );
    for id in ["r12", "r13", "r14", "r15", "r16", "r20", "r30", "r40"] {
        let d = of(id);
        assert_eq!(d.1, "routed_to_human", "{id}: {d:?}");
        assert!(d.3.is_none(), "{id}: nothing sent");
    }
    // The same replay without a survey declared: the confirmation reaches a person.
    let plain = config(dir.path(), "");
    let got = decided(&replay(&["--config", plain.to_str().unwrap()], &lines));
    assert!(got.iter().all(|d| !d.2.contains("survey")), "{got:?}");
}

#[test]
fn once_per_person_per_period_and_only_when_automation_runs() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), SURVEY);
    let exchange = |n: &str, minute: i64| {
        vec![
            asks(
                &format!("q{n}"),
                "40",
                &format!("{QUESTION} (essai {n})"),
                minute,
            ),
            brand_answers(&format!("a{n}"), &format!("q{n}"), "40", minute + 1),
            replies(
                &format!("r{n}"),
                &format!("a{n}"),
                "40",
                &format!("@brand c'est bon, ça marche ! ({n})"),
                minute + 2,
            ),
        ]
    };
    let mut lines = exchange("1", 0);
    lines.extend(exchange("2", 60 * 24)); // a day later: within the 30 days
    lines.extend(exchange("3", 60 * 24 * 31)); // 31 days after the first: a survey again
    let got = decided(&replay(&["--config", cfg.to_str().unwrap()], &lines));
    let outcome = |id: &str| {
        let d = got.iter().find(|d| d.0 == format!("x:{id}")).unwrap();
        (d.1.clone(), d.2.clone())
    };
    assert_eq!(outcome("r1").1, "reply_to_channel,survey");
    assert_eq!(
        outcome("r2"),
        ("routed_to_human".into(), "reply_to_channel".into())
    );
    assert_eq!(outcome("r3").1, "reply_to_channel,survey");
    // The crisis brake stops surveys with every other automated reply.
    let got = decided(&replay(
        &["--config", cfg.to_str().unwrap(), "--crisis-brake"],
        &exchange("1", 0),
    ));
    let r1 = got.iter().find(|d| d.0 == "x:r1").unwrap();
    assert_eq!(
        (r1.1.as_str(), r1.2.as_str()),
        ("routed_to_human", "reply_to_channel,crisis_brake")
    );
}

#[test]
fn a_direct_message_exchange_gets_its_survey_privately() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), SURVEY);
    let dm = |id: &str, from: &str, to: &str, text: &str, minute: i64| {
        json!({"platform": "messenger", "id": id, "kind": "direct", "text": text, "created_at": at(minute),
            "recipient": to, "author": {"id": from, "handle": format!("p{from}")}})
    };
    let lines = [
        dm(
            "m1",
            "77",
            "555",
            "Bonjour, ma commande n'est jamais arrivée, pouvez-vous vérifier ?",
            0,
        ),
        dm(
            "m2",
            "555",
            "77",
            "Bonjour, elle a été relivrée en point relais ce matin.",
            5,
        ),
        dm("m3", "77", "555", "Bien reçu, merci !", 30),
    ];
    let got = decided(&replay(&["--config", cfg.to_str().unwrap()], &lines));
    let m3 = got.iter().find(|d| d.0 == "messenger:m3").unwrap();
    assert_eq!(
        (m3.1.as_str(), m3.2.as_str()),
        ("bot_replied", "direct_message,survey"),
        "{got:?}"
    );
}

#[test]
fn the_exchange_survives_a_restart_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    the_exchange_survives_a_restart(dir.path().join("state.db").to_str().unwrap());
}

#[test]
fn the_exchange_survives_a_restart_on_postgres() {
    let url = std::env::var("PALABRE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    // A fresh schema for this test, through the connection's search_path.
    let schema = format!("palabre_survey_{}", std::process::id());
    let prepared = Command::new("psql")
        .args([
            url.as_str(),
            "-qc",
            &format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"),
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !prepared {
        assert_ne!(
            std::env::var("PALABRE_REQUIRE_POSTGRES").as_deref(),
            Ok("1"),
            "PostgreSQL is required but psql could not prepare a schema at {url}"
        );
        eprintln!("!!! SKIPPING: no PostgreSQL (or no psql) at {url}");
        return;
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    the_exchange_survives_a_restart(&format!("{url}{sep}options=-csearch_path%3D{schema}"));
    let _ = Command::new("psql")
        .args([
            url.as_str(),
            "-qc",
            &format!("SET client_min_messages = warning; DROP SCHEMA {schema} CASCADE"),
        ])
        .status();
}

fn the_exchange_survives_a_restart(state: &str) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), SURVEY);
    let args = ["--config", cfg.to_str().unwrap(), "--state", state];
    // Before the restart: the question and the brand's answer; and another person's survey.
    let first = [
        asks("q1", "50", QUESTION, 0),
        brand_answers("a1", "q1", "50", 1),
        asks("q2", "51", QUESTION, 2),
        brand_answers("a2", "q2", "51", 3),
        replies("r2", "a2", "51", "@brand c'est réglé merci", 4),
    ];
    let got = decided(&replay(&args, &first));
    assert!(got.iter().any(|d| d.0 == "x:r2" && d.2.ends_with("survey")));
    // After: the first customer confirms; the second, in a new exchange, already had theirs.
    let second = [
        replies("r1", "a1", "50", "@brand ça marche, merci !", 10),
        asks(
            "q3",
            "51",
            "@brand et maintenant la facture ne se télécharge pas, comment faire ?",
            11,
        ),
        brand_answers("a3", "q3", "51", 12),
        replies("r3", "a3", "51", "@brand ça marche maintenant, merci", 13),
    ];
    let got = decided(&replay(&args, &second));
    let verdict = |id: &str| {
        got.iter()
            .find(|d| d.0 == format!("x:{id}"))
            .unwrap()
            .2
            .clone()
    };
    assert_eq!(verdict("q3"), "mention", "a new exchange opens: {got:?}");
    assert_eq!(verdict("r1"), "reply_to_channel,survey", "{got:?}");
    assert_eq!(
        verdict("r3"),
        "reply_to_channel",
        "once per period, across the restart"
    );
}

#[test]
fn bad_survey_declarations_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(280);
    let cases = [
        (
            format!("[channels.survey]\nfr = \"{long} {{link}}\"\nen = \"Survey: {{link}}\"\nlink = \"https://b.example/s\"\n"),
            "survey.fr is",
        ),
        (
            "[channels.survey]\nfr = \"Votre avis\"\nen = \"Survey: {link}\"\nlink = \"https://b.example/s\"\n".to_owned(),
            "survey.fr must say where the link goes with {link}",
        ),
        (
            "[channels.survey]\nfr = \"Avis {link}\"\nen = \"Survey: {link}\"\nlink = \"brand.example/s\"\n".to_owned(),
            "survey.link must be an http(s) address",
        ),
        (
            "[channels.survey]\nfr = \"Avis {link}\"\nen = \"Survey: {link}\"\nlink = \"https://b.example/s\"\nonce_per = \"soon\"\n".to_owned(),
            "survey.once_per",
        ),
        (
            "[channels.survey]\nfr = \"Avis {link}\"\nlink = \"https://b.example/s\"\n".to_owned(),
            "missing field `en`",
        ),
    ];
    for (survey, expected) in cases {
        let cfg = config(dir.path(), &survey);
        let out = replay(&["--config", cfg.to_str().unwrap()], &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(expected), "expected `{expected}` in: {err}");
        if !expected.starts_with("missing") {
            assert!(
                err.contains("channels[0] (x:brand)"),
                "names the channel: {err}"
            );
        }
    }
}
