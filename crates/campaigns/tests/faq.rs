//! FAQ answers (examples/campaigns/faq/), read by the real language model: every event of the
//! example stream gets the expected entry and certainty; the bad FAQ files a brand could write
//! are refused with the entry and the reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{examples, lang, messages};

use palabre_campaigns::{CampaignReply, CampaignSet, Certainty, Limit};
use palabre_connectors::{Event, Format, normalize};
use palabre_core::{Lang, Message};
use palabre_embed::{Model, Role};
use serde_json::Value;

use std::sync::OnceLock;

/// The model, fetched once into the user's cache (as `palabre` does).
fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        palabre_embed::load_or_fetch(&palabre_embed::default_dir())
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

fn embed_all(texts: &[&str]) -> Vec<Vec<f32>> {
    texts
        .chunks(8)
        .flat_map(|c| model().embed_batch(c, Role::Query))
        .collect()
}

/// Fares (a lookup) and the FAQ, on the same accounts, the FAQ read by the model.
fn airline() -> CampaignSet {
    let dir = examples();
    let set = CampaignSet::load([
        dir.join("fares/fares.toml"),
        dir.join("faq/aerolune-faq.toml"),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    set.read_meaning(&mut embed_all)
        .unwrap_or_else(|e| panic!("{e}"));
    set
}

fn certainty(c: &Certainty) -> &'static str {
    match c {
        Certainty::Sure => "sure",
        Certainty::Weak => "weak",
        Certainty::Tied { .. } => "tied",
    }
}

fn read(set: &CampaignSet, m: &Message) -> Option<palabre_campaigns::CampaignMatch> {
    set.evaluate_with(m, lang(m), &mut |text| {
        Some(model().embed(text, Role::Query))
    })
}

#[test]
fn the_faq_stream_gets_the_expected_entry_and_certainty() {
    let set = airline();
    let expected: Vec<Value> = std::fs::read_to_string(examples().join("faq/expected.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let messages = messages("faq");
    assert_eq!(messages.len(), expected.len(), "one expectation per event");
    for (m, want) in messages.iter().zip(&expected) {
        let id = want["id"].as_str().unwrap();
        assert_eq!(m.id.external.as_str(), id);
        let got = read(&set, m);
        let Some(got) = got else {
            assert_eq!(want["key"], Value::Null, "{id}: no match, expected {want}");
            continue;
        };
        let text = got.text().unwrap_or_default().to_owned();
        assert!(
            Limit::for_platform(m.id.platform).fits(&text),
            "{id}: {text}"
        );
        assert!(
            matches!(got.reply, CampaignReply::Answer { .. }),
            "{id}: {:?}",
            got.reply
        );
        assert_eq!(got.key, want["key"].as_str().unwrap(), "{id}: {text}");
        assert_eq!(
            certainty(&got.certainty),
            want["certainty"].as_str().unwrap_or("sure"),
            "{id}: {:?}",
            got.fields
        );
        if let Some(needle) = want["contains"].as_str() {
            assert!(text.contains(needle), "{id}: `{text}` lacks `{needle}`");
        }
    }
}

const HEAD: &str = r#"id = "venue"
name = "Salle Lumière"
channels = ["x:3000:aerolune"]
mode = "auto"
window = "24h"

[trigger]
mention = true
"#;

/// Loads a campaign written as `HEAD` + `body`; the error's text when it is refused.
fn load(body: &str) -> Result<CampaignSet, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("venue.toml");
    std::fs::write(&path, format!("{HEAD}{body}")).unwrap();
    CampaignSet::load([&path]).map_err(|e| e.to_string())
}

fn load_read(body: &str) -> Result<CampaignSet, String> {
    let set = load(body)?;
    set.read_meaning(&mut embed_all)
        .map_err(|e| e.to_string())?;
    Ok(set)
}

fn mention(text: &str) -> Message {
    let line = serde_json::json!({"platform": "x", "id": "v-1", "kind": "post", "text": text,
        "created_at": "2026-03-22T21:00:00Z", "lang": "fr",
        "author": {"id": "42", "handle": "lea", "name": "Léa"}, "mentions": ["aerolune"]});
    match normalize(&line.to_string(), Format::Generic).pop() {
        Some(Ok(Event::Message(m))) => *m,
        other => panic!("{other:?}"),
    }
}

const DOORS: &str = r#"
[[faq.entries]]
id = "portes"
questions = ["À quelle heure ouvrent les portes ?", "What time do the doors open?"]
fr = "Les portes ouvrent à 19 h, {{ name }}."
"#;

#[test]
fn an_entry_that_matches_everything_is_refused_when_the_model_reads_it() {
    let e = load_read(&format!(
        "{DOORS}
[[faq.entries]]
id = \"tout\"
questions = [\"Merci beaucoup !\", \"Une question svp\"]
fr = \"Bonjour {{{{ name }}}} !\"
"
    ))
    .expect_err("refused");
    assert!(e.contains("entry `tout` would answer"), "{e}");
    assert!(e.contains("matches everything"), "{e}");
    // The door question alone is fine, and answers.
    let set = load_read(DOORS).unwrap();
    let got = read(
        &set,
        &mention("@aerolune les portes ouvrent à quelle heure ce soir ?"),
    )
    .unwrap();
    assert_eq!(
        (got.key.as_str(), certainty(&got.certainty)),
        ("faq=portes", "sure")
    );
    assert_eq!(got.text(), Some("Les portes ouvrent à 19 h, Léa."));
}

#[test]
fn two_entries_matching_one_question_equally_leave_the_choice_to_a_person() {
    let set = load_read(&format!(
        "{DOORS}
[[faq.entries]]
id = \"ouverture\"
questions = [\"À quelle heure les portes ouvrent-elles ?\"]
fr = \"Ouverture des portes : 19 h.\"
"
    ))
    .unwrap();
    let got = read(&set, &mention("@aerolune portes ouvertes à quelle heure ?")).unwrap();
    assert!(
        matches!(got.certainty, Certainty::Tied { .. }),
        "{:?} {:?}",
        got.certainty,
        got.fields
    );
    // The same question written for two entries is refused at load.
    let e = load(&format!(
        "{DOORS}
[[faq.entries]]
id = \"bis\"
questions = [\"a quelle heure ouvrent les portes\"]
fr = \"19 h.\"
"
    ))
    .expect_err("refused");
    assert!(e.contains("is also entry `portes`'s"), "{e}");
}

#[test]
fn without_the_model_a_match_on_words_is_only_a_draft() {
    let set = load(DOORS).unwrap();
    let got = set
        .evaluate(
            &mention("@aerolune les portes ouvrent à quelle heure ?"),
            Lang::Fr,
        )
        .unwrap();
    assert_eq!(got.certainty, Certainty::Weak);
    assert_eq!(
        got.fields.last().unwrap(),
        &("read_by".to_owned(), "words".to_owned())
    );
    assert!(
        set.evaluate(&mention("@aerolune merci !"), Lang::Fr)
            .is_none()
    );
}

#[test]
fn bad_faq_files_are_refused_with_the_entry_and_the_reason() {
    let long = "Les portes ouvrent à 19 h. ".repeat(12);
    let cases: Vec<(String, &str)> = vec![
        (
            format!("[faq]\n{DOORS}").replace("[faq]\n", "").replace("fr = \"Les portes ouvrent à 19 h, {{ name }}.\"", &format!("fr = \"{long}\"")),
            "over its limit of 280",
        ),
        (
            format!("{DOORS}\n[reply]\nfr = [\"x\"]\n"),
            "an FAQ campaign has no [reply]",
        ),
        (
            "[faq]\nanswer_at = 0.5\nsuggest_at = 0.6\n".to_owned() + DOORS,
            "suggest_at (0.6) must not be above answer_at (0.5)",
        ),
        (
            "[faq]\nanswer_at = 1.5\n".to_owned() + DOORS,
            "a similarity is between 0 and 1",
        ),
        (
            DOORS.replace("fr = ", "en = "),
            "entry `portes` has no answer in the default language `fr`",
        ),
        (
            DOORS.replace("{{ name }}", "{{ prix }}"),
            "unknown variable `prix`",
        ),
        (
            DOORS.replace("id = \"portes\"", "id = \"les portes\""),
            "an entry id is 1 to 64 letters",
        ),
        (
            format!("{DOORS}{DOORS}"),
            "the entry `portes` is written twice",
        ),
        (
            DOORS.replace(
                "questions = [\"À quelle heure ouvrent les portes ?\", \"What time do the doors open?\"]",
                "questions = []",
            ),
            "give at least one question",
        ),
        (
            DOORS.replace("What time do the doors open?", "Bonjour, est-ce que vous ?"),
            "has no word that says what it is about",
        ),
        ("[faq]\nentries = []\n".to_owned(), "give at least one entry"),
        (String::new(), "[reply] is missing"),
    ];
    for (body, expected) in cases {
        let e = load(&body)
            .err()
            .unwrap_or_else(|| panic!("accepted: {body}"));
        assert!(e.contains(expected), "{expected:?} not in {e}\n{body}");
    }
}

/// The sealed FAQ set (data/FAQ_SEALED.md) is whole, and none of its messages is one of the
/// entries' questions or of the example stream: it measures what the matcher was not shown.
#[test]
fn the_sealed_faq_set_is_whole_and_apart() {
    let sealed: Vec<Value> = include_str!("../data/faq_sealed.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(sealed.len(), 160);
    let set = load_read_free();
    let faq = set.campaigns()[0].faq.as_ref().unwrap();
    let ids: Vec<&str> = faq.entries.iter().map(|e| e.id.as_str()).collect();
    let questions: Vec<String> = faq
        .entries
        .iter()
        .flat_map(|e| {
            e.questions
                .iter()
                .map(|q| palabre_campaigns::fold::fold_words(q))
        })
        .chain(
            messages("faq")
                .iter()
                .map(|m| palabre_campaigns::fold::fold_words(&m.text)),
        )
        .collect();
    let answerable = sealed.iter().filter(|r| r["entry"] != "none").count();
    assert_eq!(answerable, 90);
    for r in &sealed {
        let entry = r["entry"].as_str().unwrap();
        assert!(entry == "none" || ids.contains(&entry), "{r}");
        let text = palabre_campaigns::fold::fold_words(r["text"].as_str().unwrap());
        assert!(
            !questions.contains(&text),
            "a sealed message is written elsewhere: {r}"
        );
    }
}

/// The example FAQ, loaded without the model.
fn load_read_free() -> CampaignSet {
    CampaignSet::load([examples().join("faq/aerolune-faq.toml")]).unwrap_or_else(|e| panic!("{e}"))
}

/// With the FAQ file loaded first, a fare found in its table is still the fares' answer, and
/// the FAQ still answers its own questions.
#[test]
fn a_lookup_found_in_its_table_wins_whatever_the_order_of_the_files() {
    let dir = examples();
    let set = CampaignSet::load([
        dir.join("faq/aerolune-faq.toml"),
        dir.join("fares/fares.toml"),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    set.read_meaning(&mut embed_all)
        .unwrap_or_else(|e| panic!("{e}"));
    let stream = messages("faq");
    let fare = read(&set, &stream[16]).unwrap();
    assert_eq!(fare.key, "from=AMS&to=JFK&date=2026-05-12");
    let cabin = read(&set, &stream[1]).unwrap();
    assert_eq!(cabin.key, "faq=bagage-cabine");
}
