//! Black-box tests of campaigns in `palabre replay --campaign`: every decision of both example
//! streams, and each guardrail.

// Tests may unwrap and panic: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::replay;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

fn campaigns() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/campaigns")
}

fn decisions(out: &Output) -> Vec<Value> {
    common::decision_lines(out)
}

fn verdicts(got: &[Value]) -> Vec<(String, String)> {
    got.iter()
        .map(|d| {
            (
                d["outcome"].as_str().unwrap().to_owned(),
                common::reasons(d),
            )
        })
        .collect()
}

fn example(name: &str) -> Vec<Value> {
    let dir = campaigns().join(name);
    let file = dir.join(format!("{name}.toml"));
    let stream = dir.join("stream.jsonl");
    decisions(&replay(
        &[
            "--campaign",
            file.to_str().unwrap(),
            stream.to_str().unwrap(),
        ],
        None,
    ))
}

fn expect(got: &[Value], expected: &[(&str, &str)]) {
    let v = verdicts(got);
    assert_eq!(v.len(), expected.len());
    for (i, ((outcome, reasons), (want_o, want_r))) in v.iter().zip(expected).enumerate() {
        assert_eq!(
            (outcome.as_str(), reasons.as_str()),
            (*want_o, *want_r),
            "line {}: {}",
            i + 1,
            got[i]
        );
    }
}

const ANSWER: (&str, &str) = ("bot_replied", "campaign_answer");
const HELP: (&str, &str) = ("routed_to_human", "malformed_request");
const NO_SECOND_HELP: (&str, &str) = ("routed_to_human", "malformed_request,help_already_sent");
const CAPPED: (&str, &str) = ("routed_to_human", "author_cap");

#[test]
fn mon_resultat_every_decision() {
    let got = example("mon-resultat");
    expect(
        &got,
        &[
            ANSWER,                                                  // 1 #MonRésultat 69003
            ANSWER, // 2 #monresultat 38000 (case, accents)
            ANSWER, // 3 code before the hashtag
            ANSWER, // 4 69OO3: letter O repaired
            ANSWER, // 5 "69 100": spaces repaired
            ANSWER, // 6
            ANSWER, // 7
            ("routed_to_human", "malformed_request,unclear_intent"), // 8 a name shared by several places
            HELP,                                                    // 9
            NO_SECOND_HELP,                  // 10 the same person: one help only
            ("ignored", "already_answered"), // 11 asking twice: answered once
            ("ignored", "own_message"),      // 12 our own answer
            ("ignored", "echo_of_own_post"), // 13 a retweet of our answer
            ("ignored", "echo_of_own_post"), // 14 a quote of our answer
            CAPPED,                          // 15 a fourth automated reply in 24 h
            ANSWER,                          // 16
            CAPPED,                          // 17
            ANSWER,                          // 18 display name with template syntax and HTML
            ANSWER,                          // 19 Mastodon
            ANSWER,                          // 20
            ("routed_to_human", "mention"),  // 21 praise, no request
            CAPPED,                          // 22
            ("ignored", "not_addressed"),    // 23 keywords count only when addressed
            ("ignored", "not_addressed"),    // 24 a DM to another page
            ("ignored", "not_addressed"),    // 25 #MonRésultats is another hashtag
            CAPPED,                          // 26
            NO_SECOND_HELP,                  // 27
            ANSWER,                          // 28 Bluesky
        ],
    );
    // Replies are personal, carry the link, and name the campaign that produced them.
    assert!(
        got[0]["reply"]
            .as_str()
            .unwrap()
            .contains("Lyon 3e Arrondissement")
    );
    assert!(
        got[0]["reply"]
            .as_str()
            .unwrap()
            .contains("https://resultats.example/communes/69383")
    );
    assert_eq!(got[0]["campaign"], "mon-resultat");
    // A name shared by two communes: the help asks which one, naming both.
    assert!(
        got[7]["reply"].as_str().unwrap().starts_with(
            "Sam Taylor, lequel voulez-vous ? 1) 93200 (Saint-Denis, Seine-Saint-Denis) 2) 97400 (Saint-Denis, La Réunion)"
        ),
        "{}",
        got[7]
    );
    assert!(
        got[8]["reply"]
            .as_str()
            .unwrap()
            .starts_with("Envoyez #MonRésultat suivi de votre code postal")
    );
    assert_eq!(got[9]["reply"], Value::Null, "no second help");
    // Template syntax in a display name is text, never evaluated.
    assert!(
        got[17]["reply"]
            .as_str()
            .unwrap()
            .starts_with("{{ 7*7 }} <script>alert(1)</script>, voici")
    );
    for d in &got {
        if let Some(reply) = d["reply"].as_str() {
            let limit = if d["event_id"].as_str().unwrap().starts_with("x:") {
                280
            } else {
                500
            };
            assert!(reply.chars().count() <= limit, "{reply}");
        }
    }
}

/// The traps seen in replays of election-night traffic (examples/campaigns/mon-resultat/
/// traps.jsonl), each closed.
#[test]
fn campaign_traps_spam_promotion_quotes_contradictions_several_codes_glued_hashtags() {
    let dir = campaigns().join("mon-resultat");
    let got = decisions(&replay(
        &[
            "--campaign",
            dir.join("mon-resultat.toml").to_str().unwrap(),
            dir.join("traps.jsonl").to_str().unwrap(),
        ],
        None,
    ));
    expect(
        &got,
        &[
            ("ignored", "spam"), // 1 crypto bait hijacking the hashtag, with a valid code
            ("ignored", "promotion"), // 2 a TV channel announcing its election night
            ("routed_to_human", "malformed_request,unclear_intent"), // 3 69003 Villeurbanne
            ANSWER,              // 4 two codes, one reply
            ANSWER,              // 5 a quote of our announcement that makes a request
            ("ignored", "echo_of_own_post"), // 6 a quote that only comments
            ANSWER,              // 7 #MonRésultat69003
            ("ignored", "spam"), // 8 quick-money bait, in French
            ANSWER,              // 9 a plain question with 🤔 is not anger
        ],
    );
    for i in [0, 1, 5, 7] {
        assert_eq!(got[i]["reply"], Value::Null, "line {}: nothing sent", i + 1);
    }
    assert_eq!(got[0]["triage"]["spam"], true);
    let ask = got[2]["reply"].as_str().unwrap();
    assert!(
        ask.contains("1) 69003 (Lyon 3e Arrondissement) 2) 69100 (Villeurbanne)"),
        "{ask}"
    );
    let both = got[3]["reply"].as_str().unwrap();
    assert!(
        both.contains("Lyon 3e") && both.contains("Villeurbanne"),
        "{both}"
    );
    assert!(got[4]["reply"].as_str().unwrap().contains("Grenoble"));
    assert!(got[6]["reply"].as_str().unwrap().contains("Lyon 3e"));
}

#[test]
fn fares_every_decision() {
    let got = example("fares");
    expect(
        &got,
        &[
            ANSWER,                                // 1 AMS → JFK on 12 May
            ANSWER,                                // 2 prix Paris Amsterdam aller simple
            ANSWER,                                // 3 a French date
            ANSWER,                                // 4
            ANSWER,                                // 5 Messenger DM
            ("routed_to_human", "direct_message"), // 6 a lost suitcase: not a fare question
            HELP,                                  // 7 no route
            NO_SECOND_HELP,                        // 8
            ANSWER,                                // 9
            HELP,                                  // 10
            ("ignored", "not_addressed"),          // 11
            ("ignored", "own_message"),            // 12 the airline's answer
            ("ignored", "echo_of_own_post"),       // 13 a retweet of it
            ("ignored", "echo_of_own_post"),       // 14 a quote of it
            ("ignored", "already_answered"),       // 15
            CAPPED,                                // 16
            ANSWER,                                // 17
            ANSWER,                                // 18 Mastodon
            CAPPED,                                // 19
        ],
    );
    assert!(got[0]["reply"].as_str().unwrap().contains("449 EUR"));
}

#[test]
fn the_crisis_brake_stops_every_automated_reply() {
    let dir = campaigns().join("mon-resultat");
    let out = replay(
        &[
            "--crisis-brake",
            "--campaign",
            dir.join("mon-resultat.toml").to_str().unwrap(),
            dir.join("stream.jsonl").to_str().unwrap(),
        ],
        None,
    );
    let got = decisions(&out);
    assert!(
        got.iter()
            .all(|d| d["outcome"] != "bot_replied" && d["outcome"] != "drafted")
    );
    assert!(
        got.iter()
            .filter(|d| d["reasons"][0] == "crisis_brake")
            .count()
            >= 15
    );
    assert!(
        got.iter()
            .all(|d| d["reasons"][0] != "crisis_brake" || d["reply"].is_null())
    );
}

/// A copy of the mon-resultat campaign with other settings, in a temporary folder.
fn variant(dir: &Path, edit: impl Fn(&str) -> String) -> PathBuf {
    let source = campaigns().join("mon-resultat");
    std::fs::copy(source.join("communes.csv"), dir.join("communes.csv")).unwrap();
    let toml = std::fs::read_to_string(source.join("mon-resultat.toml")).unwrap();
    let path = dir.join("variant.toml");
    std::fs::write(&path, edit(&toml)).unwrap();
    path
}

fn request(id: &str, author: &str, text: &str, extra: &str) -> String {
    format!(
        r#"{{"platform":"x","id":"{id}","text":"{text}","created_at":"2026-03-22T20:00:00Z","lang":"fr","author":{{"id":"{author}","handle":"h{author}","name":"N{author}"{extra}}}}}"#
    )
}

#[test]
fn guardrails_hold_angry_toxic_organisations_and_drafts() {
    let dir = tempfile::tempdir().unwrap();
    let file = variant(dir.path(), |t| {
        t.replace("mode = \"sample\"", "mode = \"auto\"")
            .replace("sample_one_in = 20\n", "")
    });
    let stream = [
        request("a1", "1", "#MonRésultat 69003", ""),
        request("a2", "2", "#MonRésultat 69003 bande de connards, vous êtes des incapables", ""),
        request("a3", "3", "#MonRésultat 69003 C'EST UN SCANDALE, j'en ai marre de vos résultats truqués !!!", ""),
        request("a4", "4", "#MonRésultat 69003", r#","bio":"Compte officiel de la mairie de Lyon. Service communication.","verified":true,"followers":90000,"following":120"#),
    ]
    .join("\n");
    let got = decisions(&replay(
        &["--campaign", file.to_str().unwrap()],
        Some(&stream),
    ));
    assert_eq!(
        verdicts(&got)[0],
        ("bot_replied".into(), "campaign_answer".into()),
        "auto mode sends"
    );
    for (i, why) in [(1, "insult"), (2, "anger")] {
        assert_eq!(got[i]["outcome"], "routed_to_human", "{why}: {}", got[i]);
        let reason = got[i]["reasons"][0].as_str().unwrap();
        assert!(reason == "toxic" || reason == "anger", "{why}: {reason}");
        assert_eq!(got[i]["reply"], Value::Null, "{why}: nothing is sent");
    }
    assert_eq!(
        verdicts(&got)[3],
        ("drafted".into(), "organisation_author".into())
    );
    assert!(
        got[3]["reply"].as_str().unwrap().contains("Lyon"),
        "the draft is ready for a human"
    );

    let draft = variant(dir.path(), |t| {
        t.replace("mode = \"sample\"", "mode = \"draft\"")
            .replace("sample_one_in = 20\n", "")
    });
    let got = decisions(&replay(
        &["--campaign", draft.to_str().unwrap()],
        Some(&request("d1", "9", "#MonRésultat 69003", "")),
    ));
    assert_eq!(
        verdicts(&got)[0],
        ("drafted".into(), "campaign_answer,draft_mode".into())
    );
    assert_eq!(got[0]["queue"], "inbox");
}

#[test]
fn sample_mode_puts_one_in_n_in_front_of_a_human() {
    let dir = tempfile::tempdir().unwrap();
    let file = variant(dir.path(), |t| {
        t.replace("sample_one_in = 20", "sample_one_in = 3")
    });
    let stream: Vec<String> = (0..60)
        .map(|i| {
            request(
                &format!("s{i}"),
                &format!("{}", 100 + i),
                "#MonRésultat 69003",
                "",
            )
        })
        .collect();
    let got = decisions(&replay(
        &["--campaign", file.to_str().unwrap()],
        Some(&stream.join("\n")),
    ));
    assert!(got.iter().all(|d| d["outcome"] == "bot_replied"));
    let sampled: Vec<&Value> = got.iter().filter(|d| d["queue"] == "review").collect();
    assert!(
        (10..=30).contains(&sampled.len()),
        "about one in three: {}",
        sampled.len()
    );
    assert!(
        sampled
            .iter()
            .all(|d| d["reasons"][1] == "sampled_for_review")
    );
}

#[test]
fn a_broken_campaign_file_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = variant(dir.path(), |t| {
        t.replace("window = \"6h\"", "window = \"six hours\"")
    });
    let out = replay(&["--campaign", file.to_str().unwrap()], Some(""));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("variant.toml") && err.contains("window"),
        "{err}"
    );
}

#[test]
fn a_restart_answers_nobody_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let file = campaigns().join("mon-resultat/mon-resultat.toml");
    let args = [
        "--campaign",
        file.to_str().unwrap(),
        "--state",
        db.to_str().unwrap(),
    ];
    let at = |t: &str| format!("2026-03-22T{t}Z");
    let ask = |id: &str, when: &str| {
        format!(
            r##"{{"platform":"x","id":"{id}","text":"#MonRésultat 69003","created_at":"{}","lang":"fr","author":{{"id":"77","handle":"h77","name":"Jo"}}}}"##,
            at(when)
        )
    };
    let first = decisions(&replay(&args, Some(&ask("r1", "20:00:00"))));
    assert_eq!(first[0]["outcome"], "bot_replied");
    // The process stops and starts again; the same person asks again with a new post.
    let again = decisions(&replay(&args, Some(&ask("r2", "20:30:00"))));
    assert_eq!(
        verdicts(&again)[0],
        ("ignored".into(), "already_answered".into()),
        "{}",
        again[0]
    );
}

/// The airline's FAQ beside its fares, as the demo runs them: `replay` over the FAQ stream.
fn faq_replay(extra: &[&str], stdin: Option<&str>) -> Output {
    let fares = campaigns().join("fares/fares.toml");
    let faq = campaigns().join("faq/aerolune-faq.toml");
    let stream = campaigns().join("faq/stream.jsonl");
    let mut args = vec![
        "--campaign",
        fares.to_str().unwrap(),
        "--campaign",
        faq.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    if stdin.is_none() {
        args.push(stream.to_str().unwrap());
    }
    replay(&args, stdin)
}

#[test]
fn faq_every_decision_read_by_the_language_model() {
    let out = faq_replay(&[], None);
    let got = decisions(&out);
    const UNSURE: (&str, &str) = ("drafted", "campaign_answer,unsure_match");
    expect(
        &got,
        &[
            ANSWER,                               // 1 cabin bag size
            ANSWER,                               // 2 12 kg in the cabin
            ANSWER,                               // 3 a checked bag
            ANSWER,                               // 4 paying for a seat
            ANSWER,                               // 5 seat selection (en)
            ANSWER,                               // 6 online check-in
            ANSWER,                               // 7 check-in (en)
            ANSWER,                               // 8 student discount, Messenger
            ANSWER,                               // 9 young travellers, Messenger (en)
            ANSWER,                               // 10 a water bottle
            ANSWER,                               // 11 dogs, Mastodon
            ANSWER,                               // 12 a cat in the cabin
            UNSURE,                               // 13 a dog, in English: not close enough
            ("routed_to_human", "mention"),       // 14 thanks
            ("routed_to_human", "mention,anger"), // 15 a complaint
            ("routed_to_human", "mention"),       // 16 wifi: in no entry
            ANSWER,                               // 17 a fare: the lookup answers
            ("routed_to_human", "mention"),       // 18 emoji
        ],
    );
    let key = |i: usize| got[i]["campaign_key"].as_str().unwrap_or("").to_owned();
    assert_eq!(key(0), "faq=bagage-cabine");
    assert_eq!(key(7), "faq=reductions");
    assert_eq!(got[16]["campaign"], "fares");
    assert!(
        got[4]["reply"]
            .as_str()
            .unwrap()
            .starts_with("Hi Voyageur 4!")
    );
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        summary.contains("FAQ entries: matched by meaning"),
        "{summary}"
    );
    // Every message the FAQ took up (all but the fare, which its lookup answered first), one a
    // second: all within the model's budget.
    assert!(
        summary.contains("        17  messages read by the language model for FAQ entries"),
        "{summary}"
    );
    assert!(
        summary.contains("aerolune-faq faq=bagage-cabine"),
        "{summary}"
    );
}

#[test]
fn faq_guardrails_one_answer_a_day_and_no_answer_to_complaints() {
    let ev = |id: &str, author: &str, text: &str| {
        format!(
            r#"{{"platform":"x","id":"{id}","kind":"post","text":"{text}","created_at":"2026-03-22T20:00:{:02}Z","lang":"fr","author":{{"id":"{author}","handle":"h{author}","name":"N{author}"}},"mentions":["aerolune"]}}"#,
            id.len()
        )
    };
    let stream = [
        ev("g1", "81", "@aerolune je peux prendre une bouteille d'eau en cabine ?"),
        // The same person asking again the same day: answered once.
        ev("g22", "81", "@aerolune je peux prendre une bouteille d'eau en cabine svp"),
        // Angry, toxic: a person's, whatever the FAQ says.
        ev("g333", "82", "@aerolune VOUS ÊTES DES INCAPABLES, je peux prendre ma gourde en cabine oui ou non ?!!"),
    ]
    .join("\n");
    let got = decisions(&faq_replay(&["-"], Some(&stream)));
    let v = verdicts(&got);
    assert_eq!(
        v[0],
        ("bot_replied".into(), "campaign_answer".into()),
        "{}",
        got[0]
    );
    assert_eq!(
        v[1],
        ("ignored".into(), "already_answered".into()),
        "{}",
        got[1]
    );
    assert_eq!(v[2].0, "routed_to_human", "{}", got[2]);
    assert!(got[2]["reply"].is_null());
}

#[test]
fn without_the_language_model_faq_answers_are_drafts_and_the_summary_says_so() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the model's folder should be: it can be neither found nor fetched there.
    let blocked = dir.path().join("not-a-folder");
    std::fs::write(&blocked, "x").unwrap();
    let config = dir.path().join("palabre.toml");
    std::fs::write(
        &config,
        format!(
            "[triage]\nmodel_dir = {:?}\n",
            blocked.display().to_string()
        ),
    )
    .unwrap();
    let out = faq_replay(&["--config", config.to_str().unwrap()], None);
    let got = decisions(&out);
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        summary.contains("THE LANGUAGE MODEL IS NOT AVAILABLE"),
        "{summary}"
    );
    assert!(
        summary.contains("FAQ entries: matched on words only"),
        "{summary}"
    );
    assert!(
        got.iter()
            .filter(|d| d["campaign"] == "aerolune-faq")
            .all(|d| d["outcome"] == "drafted"),
        "only drafts: {got:?}"
    );
    // Words alone still find the plain questions (as drafts, even where "combien" makes the
    // fares ask for a route), and the fares still answer.
    assert_eq!(got[1]["campaign_key"], "faq=bagage-cabine", "{}", got[1]);
    assert_eq!(got[2]["campaign_key"], "faq=bagage-soute", "{}", got[2]);
    assert!(
        got[2]["reply"].as_str().unwrap().contains("23 kg"),
        "{}",
        got[2]
    );
    assert_eq!(got[16]["outcome"], "bot_replied");
}
