//! The two example campaigns of examples/campaigns/, run over their streams: every event's
//! expected match (answer, help or none), key, repairs and text is checked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{examples, lang, messages};

use palabre_campaigns::{CampaignReply, CampaignSet, Limit};

use palabre_core::Lang;
use serde_json::Value;

fn both() -> CampaignSet {
    let dir = examples();
    CampaignSet::load([
        dir.join("mon-resultat/mon-resultat.toml"),
        dir.join("fares/fares.toml"),
    ])
    .unwrap_or_else(|e| panic!("{e}"))
}

fn check_stream(name: &str) -> usize {
    let set = both();
    let expected: Vec<Value> =
        std::fs::read_to_string(examples().join(name).join("expected.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    let messages = messages(name);
    assert_eq!(messages.len(), expected.len(), "one expectation per event");
    for (m, want) in messages.iter().zip(&expected) {
        let id = want["id"].as_str().unwrap();
        assert_eq!(m.id.external.as_str(), id);
        let got = set.evaluate(m, lang(m));
        let kind = want["match"].as_str().unwrap();
        let Some(got) = got else {
            assert_eq!(kind, "none", "{id}: no match, expected {want}");
            continue;
        };
        let text = got.text().unwrap_or_default().to_owned();
        let limit = Limit::for_platform(m.id.platform);
        assert!(limit.fits(&text), "{id}: over the limit: {text}");
        match (&got.reply, kind) {
            (CampaignReply::Answer { .. }, "answer") => {
                let needle = want["contains"].as_str().unwrap();
                assert!(text.contains(needle), "{id}: `{text}` lacks `{needle}`");
            }
            (CampaignReply::Help { cause, .. }, "help") => {
                assert_eq!(cause.as_str(), want["cause"].as_str().unwrap(), "{id}");
            }
            (reply, _) => panic!("{id}: got {reply:?}, expected {want}"),
        }
        assert_eq!(got.key, want["key"].as_str().unwrap(), "{id}");
        let repairs: Vec<&str> = got.repairs.iter().map(|r| r.as_str()).collect();
        let want_repairs: Vec<&str> = want["repairs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert_eq!(repairs, want_repairs, "{id}");
    }
    expected.len()
}

#[test]
fn mon_resultat_stream_matches_every_expectation() {
    assert_eq!(check_stream("mon-resultat"), 28);
}

#[test]
fn fares_stream_matches_every_expectation() {
    assert_eq!(check_stream("fares"), 19);
}

#[test]
fn the_examples_expose_what_the_guardrails_need() {
    let set = both();
    let mr = set.get("mon-resultat").unwrap();
    assert_eq!(mr.mode, palabre_campaigns::Mode::Sample { one_in: 20 });
    assert_eq!(mr.window, std::time::Duration::from_secs(6 * 3600));
    assert_eq!(mr.table().unwrap().len(), 420);
    let fares = set.get("fares").unwrap();
    assert_eq!(fares.mode, palabre_campaigns::Mode::Auto);
    assert!(set.trigger_count() >= 12);
}

#[test]
fn a_help_reply_shows_the_expected_form() {
    let set = both();
    let m = &messages("mon-resultat")[8];
    let got = set.evaluate(m, Lang::Fr).unwrap();
    assert_eq!(
        got.text(),
        Some("Envoyez #MonRésultat suivi de votre code postal, par exemple : #MonRésultat 69003")
    );
    assert_eq!(got.campaign.id, "mon-resultat");
}

#[test]
fn replies_pick_a_shorter_variant_on_x_and_the_longest_on_mastodon() {
    let set = both();
    let ms = messages("mon-resultat");
    let on_mastodon = set.evaluate(&ms[18], Lang::Fr).unwrap();
    let on_x_long_name = set.evaluate(&ms[19], Lang::Fr).unwrap();
    let variant = |r: &CampaignReply| match r {
        CampaignReply::Answer { variant, .. } => *variant,
        other => panic!("{other:?}"),
    };
    assert_eq!(variant(&on_mastodon.reply), 0);
    assert!(
        variant(&on_x_long_name.reply) >= 1,
        "{:?}",
        on_x_long_name.reply
    );
}
