//! The campaign traps seen in replays of election-night traffic, on the example campaign
//! (`examples/campaigns/mon-resultat`): a hashtag glued to the code, several codes in one
//! request, a code contradicted by the place named beside it, a name shared by several places.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_campaigns::{CampaignMatch, CampaignReply, CampaignSet, HelpCause, Limit, Repair};
use palabre_core::message::MessageText;
use palabre_core::{Author, EventId, ExternalId, Lang, Message, MessageKind, Platform, Timestamp};
use std::path::PathBuf;

fn set() -> CampaignSet {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/campaigns/mon-resultat/mon-resultat.toml");
    CampaignSet::load([file]).unwrap_or_else(|e| panic!("{e}"))
}

fn ask(set: &CampaignSet, platform: Platform, text: &str, lang: Lang) -> Option<CampaignMatch> {
    let mut m = Message::new(
        EventId::new(platform, ExternalId::new("1").unwrap()),
        MessageKind::Post,
        MessageText::new(text).unwrap(),
        Author {
            id: "42".into(),
            handle: Some("ana".into()),
            display_name: Some("Ana".into()),
            ..Author::default()
        },
        Timestamp::UNIX_EPOCH,
    );
    m.lang_hint = Some("fr".into());
    let got = set.evaluate(&m, lang);
    if let Some(text) = got.as_ref().and_then(CampaignMatch::text) {
        assert!(
            Limit::for_platform(platform).fits(text),
            "over the limit: {text}"
        );
    }
    got
}

fn answer(set: &CampaignSet, text: &str) -> CampaignMatch {
    let got = ask(set, Platform::X, text, Lang::Fr).unwrap_or_else(|| panic!("{text}: no match"));
    assert!(got.is_answer(), "{text}: {:?}", got.reply);
    got
}

#[test]
fn a_hashtag_glued_to_the_code_is_read() {
    let set = set();
    let got = answer(&set, "#MonRésultat69003");
    assert_eq!(got.key, "code=69003");
    assert!(got.text().unwrap().contains("Lyon 3e Arrondissement"));
    let got = answer(&set, "#monresultat69OO3 svp");
    assert_eq!(got.key, "code=69003");
    assert_eq!(got.repairs, vec![Repair::LetterOForZero]);
    // A year or a longer number glued to the hashtag is another hashtag.
    assert!(
        ask(
            &set,
            Platform::X,
            "#MonRésultat2026 quelle soirée",
            Lang::Fr
        )
        .is_none()
    );
    assert!(ask(&set, Platform::X, "#MonRésultat690031", Lang::Fr).is_none());
}

#[test]
fn several_codes_get_one_reply_covering_them_all() {
    let set = set();
    let got = answer(&set, "#MonRésultat 69003 et 69100 svp");
    assert_eq!(got.key, "code=69003;code=69100");
    let text = got.text().unwrap();
    assert!(text.contains("Lyon 3e Arrondissement"), "{text}");
    assert!(text.contains("Villeurbanne"), "{text}");
    assert_eq!(text.lines().count(), 2, "one line per place: {text}");
    assert_eq!(
        got.fields,
        vec![
            ("code".to_owned(), "69003".to_owned()),
            ("code".to_owned(), "69100".to_owned())
        ]
    );
    // The same code twice, or two codes of one place, is one place.
    assert_eq!(answer(&set, "#MonRésultat 69003 69003").key, "code=69003");

    // More places than fit in 280 characters: the first ones are answered, the rest asked
    // for one at a time, by code, in the reply's language.
    let many = "#MonRésultat 69001 69002 69003 69004 69005 69006 69007";
    let got = answer(&set, many);
    let text = got.text().unwrap();
    let answered = got.key.split(';').count();
    assert!((1..5).contains(&answered), "{answered} places in {text}");
    assert!(text.contains("un par message"), "{text}");
    let last_line = text.lines().last().unwrap();
    assert!(
        last_line.contains("69005") && !last_line.contains("69006"),
        "five places at most: {text}"
    );
    let english = ask(&set, Platform::X, many, Lang::En).unwrap();
    assert!(english.text().unwrap().contains("one per message"));
    // Mastodon's 500 characters hold more of them.
    let mastodon = ask(&set, Platform::Mastodon, many, Lang::Fr).unwrap();
    assert!(mastodon.key.split(';').count() > answered);
}

#[test]
fn a_code_contradicted_by_the_place_beside_it_gets_a_question_not_a_guess() {
    let set = set();
    for text in [
        "#MonRésultat 69003 Villeurbanne",
        "#MonRésultat Villeurbanne 69003",
        "#MonRésultat Villeurbanne (69003) svp",
    ] {
        let got = ask(&set, Platform::X, text, Lang::Fr).unwrap();
        let CampaignReply::Help { text: reply, cause } = &got.reply else {
            panic!("{text}: {:?}", got.reply);
        };
        assert_eq!(cause.as_str(), "contradiction", "{text}");
        assert_eq!(
            cause.choices(),
            ["69003 (Lyon 3e Arrondissement)", "69100 (Villeurbanne)"]
        );
        assert!(reply.contains("lequel"), "{reply}");
        assert!(
            reply.contains("1) 69003 (Lyon 3e Arrondissement) 2) 69100 (Villeurbanne)"),
            "{reply}"
        );
        assert_eq!(got.key, "help");
    }
    // The place's own name beside its code agrees with it.
    let got = answer(&set, "#MonRésultat 69003 Lyon 3e Arrondissement");
    assert_eq!(got.key, "code=69003");
    let got = answer(&set, "#MonRésultat 69100 Villeurbanne");
    assert_eq!(got.key, "code=69100");
    // A place named far from the code is something else the person says.
    let got = answer(
        &set,
        "#MonRésultat 69003 merci, je suivrai aussi la soirée depuis Villeurbanne",
    );
    assert_eq!(got.key, "code=69003");
    // In English, the question is asked in English.
    let got = ask(
        &set,
        Platform::X,
        "#MonRésultat 69003 Villeurbanne",
        Lang::En,
    )
    .unwrap();
    assert!(got.text().unwrap().contains("which one do you mean"));
}

#[test]
fn a_name_shared_by_several_places_asks_which_one() {
    let set = set();
    let got = ask(&set, Platform::X, "#MonRésultat Saint-Denis", Lang::Fr).unwrap();
    let CampaignReply::Help { text, cause } = &got.reply else {
        panic!("{:?}", got.reply);
    };
    assert!(matches!(cause, HelpCause::Ambiguous(_)));
    // Places sharing a name are told apart by their department, and numbered.
    assert_eq!(
        cause.choices(),
        [
            "93200 (Saint-Denis, Seine-Saint-Denis)",
            "97400 (Saint-Denis, La Réunion)"
        ]
    );
    assert!(
        text.contains(
            "1) 93200 (Saint-Denis, Seine-Saint-Denis) 2) 97400 (Saint-Denis, La Réunion)"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("Répondez simplement par le numéro."),
        "{text}"
    );
}
