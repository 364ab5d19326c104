//! Toxicity: insults or abuse aimed at someone. Words are read through their folded form with
//! leetspeak undone ("c0nn@rd"), repeated letters collapsed ("idiooot"), `*` wildcards resolved
//! ("f*ck") and letters spaced out re-joined ("c o n n a r d"); invisible characters and
//! look-alike letters are already gone (see [`crate::fold`]). Swearing for emphasis is not toxic.

use crate::fold::unleet;
use crate::lexicon::{Abuse, Lexicons, MAX_PHRASE_WORDS, PhraseHash};
use crate::text::{Kind, Prepared, Token};
use crate::words::bit;

/// What the toxicity reader found.
#[derive(Debug, Default, Clone, Copy)]
pub struct ToxicCues {
    pub toxic: bool,
    /// Any swear word or insult, aimed or not.
    pub profanity: bool,
}

/// Appends the canonical form of a word to `out`: leetspeak undone when the word has letters.
fn push_canonical(w: &str, out: &mut String) {
    let has_letter = w.chars().any(|c| c.is_alphabetic());
    for c in w.chars() {
        match unleet(c) {
            Some(l) if has_letter => out.push(l),
            _ => out.push(c),
        }
    }
}

fn has_double(w: &str) -> bool {
    let b = w.as_bytes();
    b.windows(2).any(|p| p.first() == p.get(1))
}

fn collapse(w: &str) -> String {
    let mut s = String::with_capacity(w.len());
    let mut last = None;
    for c in w.chars() {
        if Some(c) != last {
            s.push(c);
        }
        last = Some(c);
    }
    s
}

#[derive(Clone, Copy)]
enum Hit {
    Abuse(Abuse),
    Profane,
}

fn classify(lex: &Lexicons, w: &str) -> Option<Hit> {
    if let Some(a) = lex.abuse.get(w) {
        return Some(Hit::Abuse(*a));
    }
    lex.profane.contains(w).then_some(Hit::Profane)
}

/// Looks a canonical word up, also with repeated letters collapsed and `*` resolved.
/// Returns the hit and, when the matching form differs from `w`, that form.
fn look_up(lex: &Lexicons, w: &str) -> Option<(Hit, Option<String>)> {
    if let Some(h) = classify(lex, w) {
        return Some((h, None));
    }
    if has_double(w) {
        let c = collapse(w);
        if let Some(h) = classify(lex, &c) {
            return Some((h, Some(c)));
        }
    }
    if w.contains('*') {
        for v in ["u", "i", "a", "o", "e"] {
            let f = w.replace('*', v);
            if let Some(h) = classify(lex, &f) {
                return Some((h, Some(f)));
            }
        }
    }
    None
}

/// The words toxicity reads: canonical forms (mentions as `@`), spaced-out letters re-joined.
fn canonical_words(p: &Prepared, buf: &mut String, spans: &mut Vec<(usize, usize)>) {
    let single =
        |u: &Token| matches!(u.kind, Kind::Word | Kind::Number) && p.fold(u).chars().count() == 1;
    let mut i = 0;
    while let Some(t) = p.tokens.get(i) {
        let start = buf.len();
        if single(t) {
            let mut j = i;
            let mut letters = 0;
            while let Some(u) = p.tokens.get(j) {
                if single(u) {
                    buf.push_str(p.fold(u));
                    letters += 1;
                } else if u.kind != Kind::Break {
                    break; // "f.u.c.k" goes on over the dots
                }
                j += 1;
            }
            if letters >= 3 {
                let joined = buf.split_off(start);
                push_canonical(&joined, buf);
                spans.push((start, buf.len()));
                i = j;
                continue;
            }
            buf.truncate(start);
        }
        match t.kind {
            Kind::Word | Kind::Hashtag => {
                push_canonical(p.fold(t), buf);
                spans.push((start, buf.len()));
            }
            Kind::Mention => {
                buf.push('@');
                spans.push((start, buf.len()));
            }
            _ => {}
        }
        i += 1;
    }
}

/// Reads whether a prepared message insults or abuses someone.
pub fn detect(p: &Prepared, lex: &Lexicons) -> ToxicCues {
    let mut cues = ToxicCues::default();
    let mut buf = String::with_capacity(p.folded.len() + 8);
    let mut spans = Vec::with_capacity(p.tokens.len());
    canonical_words(p, &mut buf, &mut spans);
    let word = |i: usize| {
        spans
            .get(i)
            .and_then(|(s, e)| buf.get(*s..*e))
            .unwrap_or("")
    };
    // Forms used for phrase matching (a collapsed or resolved form when the word matched as such).
    let mut forms: Vec<Option<String>> = Vec::with_capacity(spans.len());
    let mut phrase = false;
    for idx in 0..spans.len() {
        let w = word(idx);
        let Some((hit, form)) = look_up(lex, w) else {
            forms.push(None);
            continue;
        };
        forms.push(form);
        cues.profanity = true;
        let before = |k: usize| if idx >= k { word(idx - k) } else { "" };
        let first_words = (0..idx).all(|j| word(j) == "@");
        let aimed = first_words
            || (1..=4).any(|k| lex.words.is(before(k), bit::TARGET) || before(k) == "@");
        let aimed_close = (1..=4).any(|k| lex.words.is(before(k), bit::CLOSE_TARGET));
        phrase |= matches!(hit, Hit::Abuse(Abuse::Phrase));
        cues.toxic |= match hit {
            Hit::Abuse(Abuse::Phrase) => true,
            Hit::Abuse(Abuse::Insult) => aimed,
            Hit::Abuse(Abuse::Weak) => aimed_close,
            Hit::Abuse(Abuse::Expletive) => false,
            Hit::Profane => (1..=2).any(|k| lex.words.is(before(k), bit::PROFANE_TARGET)),
        };
    }
    if !cues.toxic {
        'outer: for start in 0..spans.len() {
            let mut h = PhraseHash::default();
            for k in 0..MAX_PHRASE_WORDS {
                let i = start + k;
                if i >= spans.len() {
                    break;
                }
                let form = forms
                    .get(i)
                    .and_then(|f| f.as_deref())
                    .unwrap_or_else(|| word(i));
                h.push(form);
                if k > 0 && lex.abuse_phrases.contains(&h.0) {
                    cues.toxic = true;
                    cues.profanity = true;
                    phrase = true;
                    break 'outer;
                }
            }
        }
    }
    if cues.toxic && !phrase && is_banter(p) {
        cues.toxic = false;
    }
    cues
}

/// Name-calling between friends: a word of affection and a laugh ("t'es trop con mdr j'adore 😂",
/// "you're an idiot lol, love you mate"). Abuse phrases ("ta gueule", "kys") are never banter.
fn is_banter(p: &Prepared) -> bool {
    let mut love = false;
    let mut laugh = false;
    for t in &p.tokens {
        match t.kind {
            Kind::Word => match p.fold(t) {
                "love" | "luv" | "adore" | "bisous" | "legend" | "jtm" => love = true,
                "lol" | "mdr" | "ptdr" | "haha" | "hahaha" | "lmao" | "xd" => laugh = true,
                _ => {}
            },
            Kind::Emoji => match p.raw(t) {
                "😂" | "🤣" | "😆" => laugh = true,
                "❤" | "❤️" | "😘" | "🥰" => love = true,
                _ => {}
            },
            _ => {}
        }
    }
    love && laugh
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::prepare;
    use std::sync::OnceLock;

    fn toxic(text: &str) -> bool {
        static L: OnceLock<Lexicons> = OnceLock::new();
        detect(&prepare(text), L.get_or_init(Lexicons::load)).toxic
    }

    #[test]
    fn insults_aimed_at_someone() {
        assert!(toxic("@mike t'es qu'un abruti"));
        assert!(toxic("you are a complete moron"));
        assert!(toxic("ferme ta gueule"));
        assert!(toxic("fuck you"));
        assert!(toxic("bande de voleurs"));
        assert!(toxic("go to hell"));
    }

    #[test]
    fn emphasis_is_not_toxic() {
        assert!(!toxic("putain c'est génial"));
        assert!(!toxic("fuck yeah, 1 Gb at last"));
        assert!(!toxic("c'est con, le train est parti sans moi"));
        assert!(!toxic("this update is shit"));
        assert!(!toxic("my flight is 5 hours late"));
        assert!(!toxic(
            "5h de retard, vous pouvez m'envoyer un technicien ?"
        ));
    }

    #[test]
    fn disguised_insults() {
        assert!(toxic("t'es un c0nn@rd"));
        assert!(toxic("you idiooooot"));
        assert!(toxic("t'es un c o n n a r d"));
        assert!(toxic("f*ck you"));
        assert!(toxic("f.u.c.k you"));
        assert!(toxic("t'es un con\u{200B}nard"));
        assert!(toxic("you are an іdіоt"));
        assert!(toxic("you are an ＩＤＩＯＴ"));
        assert!(toxic("espèce de cretin"));
        assert!(toxic("ta g u e u l e"));
        assert!(toxic("@x va niquer ta mère"));
        assert!(toxic("@x t'es une grosse conasse"));
    }

    #[test]
    fn banter_is_not_toxic() {
        assert!(!toxic("@lucas t'es trop con mdr j'adore 😂"));
        assert!(!toxic("@jamie you're an idiot lol, love you mate"));
        assert!(toxic("@sarah what a dumb bitch lmao"));
        assert!(toxic("@x ta gueule mdr je t'adore"));
    }
}
