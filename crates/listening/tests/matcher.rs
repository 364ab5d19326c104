//! Queries through the compiled matcher, on posts read by the generic connector.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_core::Message;
use palabre_listening::Policy;
use palabre_listening::matcher::{Context, Matcher, MatcherError, QuerySpec};

fn post(json: &str) -> Message {
    match palabre_connectors::normalize(json, palabre_connectors::Format::Generic).remove(0) {
        Ok(palabre_connectors::Event::Message(m)) => *m,
        other => panic!("{json}: {other:?}"),
    }
}

fn spec(name: &str, query: &str) -> QuerySpec {
    QuerySpec {
        name: name.into(),
        query: query.into(),
        policy: Policy::All,
    }
}

fn names(m: &Matcher, message: &Message, inside: &[&str], lang: Option<&str>) -> Vec<String> {
    let lang = lang.map(str::to_owned);
    let lang = move || lang.clone();
    m.matches(
        message,
        &Context {
            inside,
            lang: &lang,
        },
    )
    .into_iter()
    .map(|q| m.name(q).to_owned())
    .collect()
}

#[test]
fn words_phrases_hashtags_mentions_and_filters_match_as_written() {
    let m = Matcher::compile(
        &[
            spec(
                "anniv",
                "\"joyeux anniversaire\" OR #anniversaire OR birthday",
            ),
            spec("mariage", "(mariage OR \"lune de miel\") -is:repost"),
            spec("concurrent", "@concurrent AND NOT remboursement"),
            spec("photos-parc", "has:media near:parc"),
            spec("en-only", "castle lang:en"),
            spec("velo", "vélo"),
        ],
        &["parc"],
    )
    .unwrap();
    let birthday = post(r##"{"id":"1","text":"JOYEUX Anniversaire à ma fille ! #Anniversaire"}"##);
    assert_eq!(names(&m, &birthday, &[], None), ["anniv"]);
    // Whole words only: "birthdays" is not "birthday"; accents and case folded.
    let plural = post(r#"{"id":"2","text":"Two birthdays in one week"}"#);
    assert!(names(&m, &plural, &[], None).is_empty());
    let bike = post(r#"{"id":"3","text":"Mon VELO a disparu"}"#);
    assert_eq!(names(&m, &bike, &[], None), ["velo"]);
    let honeymoon = post(r#"{"id":"4","text":"Notre lune-de-miel commence !"}"#);
    assert_eq!(names(&m, &honeymoon, &[], None), ["mariage"]);
    let repost = post(r#"{"id":"5","kind":"repost","text":"Notre mariage était parfait"}"#);
    assert!(names(&m, &repost, &[], None).is_empty(), "-is:repost");
    let rival = post(r#"{"id":"6","text":"Bravo @Concurrent pour ce service"}"#);
    assert_eq!(names(&m, &rival, &[], None), ["concurrent"]);
    let refund = post(r#"{"id":"7","text":"@concurrent remboursement svp"}"#);
    assert!(names(&m, &refund, &[], None).is_empty());
    let mut photo = post(r#"{"id":"8","text":"Quelle vue"}"#);
    photo.entities.media.push(palabre_core::Media {
        kind: palabre_core::MediaKind::Image,
        url: Some("https://img.example/1.jpg".into()),
    });
    assert_eq!(names(&m, &photo, &["parc"], None), ["photos-parc"]);
    assert!(names(&m, &photo, &[], None).is_empty(), "not near the park");
    let castle = post(r#"{"id":"9","text":"What a castle"}"#);
    assert_eq!(names(&m, &castle, &[], Some("en")), ["en-only"]);
    assert!(names(&m, &castle, &[], Some("fr")).is_empty());
}

#[test]
fn a_bad_query_set_is_refused_with_the_query_named() {
    let e = Matcher::compile(&[spec("a", "(x OR y")], &[]).unwrap_err();
    assert!(matches!(e, MatcherError::Syntax(_)));
    assert_eq!(
        e.to_string(),
        "query `a`, column 8: expected `)` to close the `(` of column 1, found the end"
    );
    let e = Matcher::compile(&[spec("a", "x"), spec("a", "y")], &[]).unwrap_err();
    assert_eq!(e.to_string(), "two queries are named `a`");
    let e = Matcher::compile(&[spec("a", "x near:hotel")], &["parc"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "query `a`: near:hotel names no geofence (parc)"
    );
}

#[test]
fn twenty_thousand_overlapping_queries_agree_with_reading_each_one() {
    // Terms shared between many queries, phrases overlapping words.
    let words = [
        "mariage",
        "anniversaire",
        "bebe",
        "naissance",
        "diplome",
        "parc",
        "hotel",
        "chateau",
        "photo",
        "vue",
        "soleil",
        "pluie",
        "train",
        "retard",
        "velo",
        "piscine",
        "spa",
        "plage",
        "montagne",
        "ski",
    ];
    let mut specs = Vec::new();
    for i in 0..20_000usize {
        let a = words[i % words.len()];
        let b = words[(i / words.len()) % words.len()];
        let query = match i % 4 {
            0 => format!("{a} {b}"),
            1 => format!("{a} OR \"{b} {a}\""),
            2 => format!("#{a}{} -{b}", i % 7),
            _ => format!("({a} OR {b}) lang:fr"),
        };
        specs.push(spec(&format!("q{i}"), &query));
    }
    let m = Matcher::compile(&specs, &[]).unwrap();
    let texts = [
        "Le mariage au chateau sous le soleil #mariage3",
        "photo de la vue depuis la piscine du spa",
        "retard du train pour la plage, pluie",
        "rien à voir",
        "#velo5 à la montagne sans ski",
    ];
    for (n, text) in texts.iter().enumerate() {
        let message = post(&format!(r#"{{"id":"t{n}","text":"{text}"}}"#));
        let fast = names(&m, &message, &[], Some("fr"));
        let slow: Vec<String> = specs
            .iter()
            .filter(|s| {
                let one = Matcher::compile(std::slice::from_ref(*s), &[]).unwrap();
                !names(&one, &message, &[], Some("fr")).is_empty()
            })
            .map(|s| s.name.clone())
            .collect();
        assert_eq!(fast, slow, "{text}");
        assert!(n == 3 || !fast.is_empty(), "{text} matches something");
    }
}
