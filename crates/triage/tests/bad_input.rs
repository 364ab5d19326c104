//! Bad input, each with a test: empty text, emoji only, 1 MB of text, two languages in one post,
//! homoglyphs and zero-width characters dodging the insult list, URLs only, only hashtags and
//! mentions.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use palabre_core::{Author, Emotion, Intent, Lang, SentimentLabel, Triage};
use palabre_triage::{TriageConfig, Triager};

fn triager() -> &'static Triager {
    static T: OnceLock<Triager> = OnceLock::new();
    T.get_or_init(|| Triager::new(TriageConfig::default()))
}

fn triage(text: &str) -> Triage {
    triager().triage(text, None, &Author::default())
}

fn assert_calm(t: &Triage) {
    assert_eq!(t.sentiment.label, SentimentLabel::Neutral, "{t:?}");
    assert!(!t.toxic, "{t:?}");
    assert_ne!(t.emotion, Emotion::Anger, "{t:?}");
}

#[test]
fn empty_text() {
    for text in ["", "   ", "\n\t"] {
        let t = triage(text);
        assert_eq!(t.lang, Lang::Other);
        assert_eq!(t.sentiment.score, 0.0);
        assert_calm(&t);
    }
    // The platform's declared language is kept when the text says nothing.
    assert_eq!(
        triager().triage("", Some("fr"), &Author::default()).lang,
        Lang::Fr
    );
}

#[test]
fn emoji_only() {
    let t = triage("😍😍🎉");
    assert_eq!(t.lang, Lang::Other);
    assert_eq!(t.sentiment.label, SentimentLabel::Positive);
    let t = triage("😡😡😡");
    assert_eq!(t.sentiment.label, SentimentLabel::Negative);
    assert!(!t.toxic);
}

#[test]
fn one_megabyte_of_text_is_fast_and_read_from_its_beginning() {
    let head = "@SNCF encore un train annulé, c'est honteux. ";
    let mut text = head.repeat(10);
    while text.len() < 1 << 20 {
        text.push_str("blablabla du texte sans fin é ");
    }
    let triager = triager(); // built (and trained) before the clock starts
    let start = Instant::now();
    let t = triager.triage(&text, None, &Author::default());
    let took = start.elapsed();
    assert!(took < Duration::from_millis(200), "{took:?}");
    assert_eq!(t.lang, Lang::Fr);
    assert_eq!(t.sentiment.label, SentimentLabel::Negative);
    // One long word without spaces, cut in the middle of a multi-byte character.
    let word = "é".repeat(600_000);
    let t = triage(&word);
    assert!(!t.toxic);
}

#[test]
fn two_languages_in_one_post() {
    let t = triage("Merci beaucoup pour votre aide, thank you so much guys, vous êtes top !");
    assert!(matches!(t.lang, Lang::Fr | Lang::En), "{t:?}");
    assert_eq!(t.sentiment.label, SentimentLabel::Positive);
    let t = triage(
        "@AirNova my flight is cancelled, c'est vraiment nul, aucune info. Worst airline ever",
    );
    assert!(matches!(t.lang, Lang::Fr | Lang::En), "{t:?}");
    assert_eq!(t.sentiment.label, SentimentLabel::Negative);
    assert_eq!(t.emotion, Emotion::Anger);
}

#[test]
fn homoglyphs_and_zero_width_characters_do_not_hide_insults() {
    let disguised = [
        "@mike t'es un con\u{200B}nard",
        "@mike t'es un c\u{200D}o\u{2060}n\u{FEFF}n\u{00AD}a\u{200C}r\u{200B}d",
        "@mike you are an іdіоt",      // Cyrillic і and о
        "@mike you are a ｍｏｒｏｎ",  // fullwidth
        "@mike t'es qu'un 𝐚𝐛𝐫𝐮𝐭𝐢",     // mathematical bold
        "@mike you are an ιdιοτ",      // Greek look-alikes
        "@mike t'es un c 0 n n @ r d", // spaced leetspeak
        "@mike you IDIOOOOOT",         // repeated letters
        "@mike f*ck you",
        "@mike espèce de crétin",
        "@mike espece de cretin", // missing accents
    ];
    for text in disguised {
        assert!(triage(text).toxic, "{text}");
    }
    // Emphasis is not abuse.
    for text in [
        "putain c'est génial",
        "fuck yeah it works",
        "this update is shit",
        "c'est con, j'ai raté le train",
    ] {
        assert!(!triage(text).toxic, "{text}");
    }
}

#[test]
fn urls_only() {
    let t = triage("https://example.com/a?b=c http://t.co/xyz www.palabre.fr");
    assert_eq!(t.lang, Lang::Other);
    assert_calm(&t);
}

#[test]
fn only_hashtags_and_mentions() {
    let t = triage("@SNCF @Orange #MonRésultat #fail #greve");
    assert_eq!(t.lang, Lang::Other);
    assert!(!t.toxic);
    assert_ne!(t.intent, Intent::Promotion);
    assert_eq!(
        triager()
            .triage("#MonRésultat 75011", Some("fr"), &Author::default())
            .lang,
        Lang::Fr
    );
}

#[test]
fn scores_stay_in_range() {
    for text in [
        "😍😍😍😍😍😍😍😍 AMAZING!!!!!! LOVE LOVE LOVE",
        "😡😡😡😡 WORST WORST WORST!!!!!! HATE",
    ] {
        let s = triage(text).sentiment.score;
        assert!((-1.0..=1.0).contains(&s), "{s}");
    }
}
