//! Lexicon sentiment in the manner of VADER, written for French and English brand conversations:
//! word and emoji valences, negation ("pas mal du tout"), intensifiers and dampeners, contrast
//! ("mais", "but"), elongation ("trooop"), capitals, exclamation marks, and the sarcasm of
//! complaints ("merci pour ces 3 jours sans internet 👏").

use std::borrow::Cow;

use palabre_core::Lang;

use crate::lexicon::Lexicons;
use crate::text::{Kind, Prepared};
use crate::words::bit;

/// What the lexicon read.
#[derive(Debug, Default, Clone, Copy)]
pub struct LexSentiment {
    /// Normalised score in [-1, 1].
    pub score: f32,
    /// Sum of positive valences (after negation, boosting…).
    pub pos: f32,
    /// Sum of negative valences, as a positive number.
    pub neg: f32,
    pub sarcasm: bool,
    /// Words written in capitals in a message that is not all capitals.
    pub caps: u32,
    pub exclaims: u32,
}

fn lookup_word(lex: &Lexicons, lang: Lang, w: &str) -> Option<f32> {
    match lang {
        Lang::En => lex.sentiment_en.get(w).copied(),
        Lang::Fr => lex.sentiment_fr.get(w).copied().or_else(|| {
            // English words are common in French posts ("top", "cool"); trusted less.
            (w.len() >= 4 && w.is_ascii())
                .then(|| lex.sentiment_en.get(w).map(|v| v * 0.6))
                .flatten()
        }),
        Lang::Other => {
            let a = lex.sentiment_en.get(w).copied();
            let b = lex.sentiment_fr.get(w).copied();
            match (a, b) {
                (Some(a), Some(b)) => Some(if a.abs() >= b.abs() { a } else { b }),
                (a, b) => a.or(b),
            }
        }
    }
}

/// Verbs of a service that works: "ça marche pas", "l'appli ne fonctionne plus" is a fault.
fn broken_verb(w: &str) -> bool {
    matches!(
        w,
        "marche"
            | "marchent"
            | "fonctionne"
            | "fonctionnent"
            | "repond"
            | "passe"
            | "charge"
            | "affiche"
            | "ouvre"
            | "connecte"
    )
}

/// The same in English, after "not" or "n't": "won't load", "doesn't work".
fn broken_verb_en(w: &str) -> bool {
    matches!(
        w,
        "work" | "load" | "show" | "open" | "connect" | "download" | "start" | "charge" | "turn"
    )
}

fn collapse(w: &str) -> String {
    let mut single = String::with_capacity(w.len());
    let mut last = None;
    for c in w.chars() {
        if Some(c) != last {
            single.push(c);
        }
        last = Some(c);
    }
    single
}

/// Reads the sentiment of a prepared message in language `lang`.
pub fn analyse(p: &Prepared, lang: Lang, lex: &Lexicons) -> LexSentiment {
    analyse_traced(p, lang, lex, None)
}

/// [`analyse`], also pushing each token's final valence onto `trace` when given.
pub fn analyse_traced(
    p: &Prepared,
    lang: Lang,
    lex: &Lexicons,
    mut trace: Option<&mut Vec<(String, f32)>>,
) -> LexSentiment {
    // Folded words; an elongated word unknown with double letters is read with single ones.
    let words: Vec<Cow<'_, str>> = p
        .tokens
        .iter()
        .map(|t| match t.kind {
            Kind::Word if t.elongated && lookup_word(lex, lang, p.fold(t)).is_none() => {
                Cow::Owned(collapse(p.fold(t)))
            }
            Kind::Word => Cow::Borrowed(p.fold(t)),
            Kind::Break => Cow::Borrowed("|"),
            _ => Cow::Borrowed(""),
        })
        .collect();
    let letters_caps = p
        .tokens
        .iter()
        .filter(|t| t.kind == Kind::Word)
        .all(|t| t.caps);
    let mut vals: Vec<(usize, f32)> = Vec::with_capacity(8);
    let mut contrast: Option<usize> = None;
    let mut out = LexSentiment::default();
    let mut has_eye_roll = false;
    let mut has_clap = false;
    let mut neg_cue = false;
    let mut neg_after_thanks = false;
    let mut thanks = false;
    let mut as_usual = false;
    for (i, t) in p.tokens.iter().enumerate() {
        let w = words.get(i).map(|w| w.as_ref()).unwrap_or("");
        let prev = |k: usize| {
            if i >= k {
                words.get(i - k).map(|w| w.as_ref()).unwrap_or("")
            } else {
                ""
            }
        };
        let next = |k: usize| words.get(i + k).map(|w| w.as_ref()).unwrap_or("");
        let mut v = match t.kind {
            Kind::Word => {
                if lex.words.is(w, bit::CONTRAST) {
                    contrast = Some(i);
                }
                if lex.words.is(w, bit::THANKS)
                    && !(1..=3).any(|k| lex.words.is(prev(k), bit::NEGATOR))
                {
                    thanks = true;
                }
                let for_nothing =
                    matches!(w, "rien" | "nothing") && matches!(prev(1), "pour" | "for");
                let shouted_again = matches!(w, "again" | "encore") && t.caps;
                // "merci hein", "bravo les artistes": thanks that are a reproach.
                let ironic_thanks = (w == "hein" && lex.words.is(prev(1), bit::THANKS))
                    || (w == "artistes" && prev(1) == "les" && prev(2) == "bravo");
                if for_nothing
                    || shouted_again
                    || ironic_thanks
                    || lex.words.is(w, bit::NEGATIVE_CUE)
                {
                    neg_cue = true;
                    neg_after_thanks |= thanks;
                }
                if lex.words.is(w, bit::AS_USUAL) {
                    as_usual = true;
                }
                match (prev(1), w) {
                    ("pas", "mal") => Some(if next(1) == "du" && next(2) == "tout" {
                        2.2
                    } else {
                        1.6
                    }),
                    ("pas", "terrible") => Some(-1.6),
                    ("not", "bad") => Some(1.6),
                    ("a", "redire") if prev(2) == "rien" => Some(2.0),
                    ("never", "again") | ("plus", "jamais") => Some(-1.8),
                    ("trop", "bien") => Some(2.6),
                    // "won't": the "won" of "win" is not in it.
                    (_, "won") if next(1) == "t" => Some(0.0),
                    ("passed", "away") => Some(-2.4),
                    ("rip", "off") => Some(-2.2),
                    ("n", "importe") if next(1) == "quoi" => Some(-1.8),
                    ("le", "bol") if prev(2) == "ras" => Some(-2.3),
                    // "ça ne marche pas", "l'appli ne fonctionne plus": the negator comes after.
                    (p1, v)
                        if broken_verb(v)
                            && (matches!(next(1), "pas" | "plus" | "jamais")
                                || (p1 == "ne" && prev(2) == "rien")) =>
                    {
                        Some(-1.4)
                    }
                    ("pas", "normal") => Some(-1.5),
                    // "won't load", "doesn't work", "can't connect".
                    (p1, v)
                        if broken_verb_en(v)
                            && (matches!(p1, "not" | "never")
                                || (p1 == "t" && prev(2).ends_with('n'))) =>
                    {
                        Some(-1.4)
                    }
                    // "congés posés pour rien", "waited all day for nothing".
                    ("pour", "rien") | ("for", "nothing") => Some(-1.4),
                    ("pas", "cher") => Some(1.2),
                    (p1, s)
                        if lex.words.is(s, bit::SERVICE)
                            && (matches!(
                                p1,
                                "no" | "sans" | "without" | "aucun" | "aucune" | "pas" | "plus"
                            ) || (p1 == "d" && matches!(prev(2), "pas" | "plus"))
                                || (p1 == "de" && matches!(prev(2), "pas" | "plus"))) =>
                    {
                        Some(-1.6)
                    }
                    _ => lookup_word(lex, lang, w),
                }
                .unwrap_or(0.0)
            }
            Kind::Emoji | Kind::Emoticon => {
                let raw = p.raw(t);
                has_eye_roll |= raw == "🙄" || raw == "🙃";
                has_clap |= raw == "👏";
                lex.emoji
                    .get(raw)
                    .copied()
                    .or_else(|| lex.sentiment_en.get(p.fold(t)).copied())
                    .unwrap_or(0.0)
            }
            Kind::Hashtag => lookup_word(lex, lang, p.fold(t)).unwrap_or(0.0) * 0.5,
            Kind::Exclaim => {
                out.exclaims += 1;
                0.0
            }
            _ => 0.0,
        };
        if t.kind == Kind::Word && t.caps && !letters_caps {
            out.caps += 1;
        }
        if v == 0.0 {
            continue;
        }
        if t.kind == Kind::Word {
            let idiom = matches!(
                (prev(1), w),
                ("pas", "mal")
                    | ("pas", "terrible")
                    | ("not", "bad")
                    | ("never", "again")
                    | ("plus", "jamais")
                    | ("a", "redire")
                    | ("pas", "cher")
                    | ("pour", "rien")
                    | ("for", "nothing")
                    | ("passed", "away")
                    | ("rip", "off")
            ) || lex.words.is(w, bit::SERVICE)
                || (broken_verb(w)
                    && (matches!(next(1), "pas" | "plus" | "jamais")
                        || (prev(1) == "ne" && prev(2) == "rien")))
                || (prev(1) == "pas" && w == "normal")
                || broken_verb_en(w);
            if lex.words.is(prev(1), bit::BOOSTER)
                || (lex.words.is(prev(2), bit::BOOSTER) && lex.words.is(prev(1), bit::BOOSTER))
            {
                v *= 1.3;
            } else if lex.words.is(prev(1), bit::DAMPENER) || lex.words.is(prev(2), bit::DAMPENER) {
                v *= 0.7;
            }
            if t.caps && !letters_caps {
                v *= 1.25;
            }
            if t.elongated {
                v *= 1.2;
            }
            // A negator spent on an idiom ("pas cher et rapide", "not bad and fast") stops there.
            let spent = |k: usize| {
                k >= 2
                    && matches!(prev(k), "pas" | "not")
                    && matches!(prev(k - 1), "mal" | "cher" | "terrible" | "bad")
            };
            let negator = |k: usize| {
                (lex.words.is(prev(k), bit::NEGATOR) && !spent(k))
                    || (prev(k) == "t" && prev(k + 1).ends_with('n'))
            };
            // French also negates after the verb: "j'aime pas", "je regrette pas".
            let negated = (1..=3).take_while(|k| prev(*k) != "|").any(negator)
                || matches!(next(1), "pas" | "jamais");
            if !idiom && negated {
                v *= -0.74;
            }
            if v <= -1.0 {
                neg_cue = true;
                neg_after_thanks |= thanks;
            }
        }
        vals.push((i, v));
    }
    let mut sum = 0.0f32;
    if let Some(tr) = trace.as_mut() {
        for (i, v) in &vals {
            tr.push((
                p.tokens
                    .get(*i)
                    .map(|t| p.raw(t).to_string())
                    .unwrap_or_default(),
                *v,
            ));
        }
    }
    for (i, v) in &vals {
        let w = match contrast {
            Some(c) if *i < c => 0.5,
            Some(_) => 1.5,
            None => 1.0,
        };
        let v = v * w;
        sum += v;
        if v > 0.0 {
            out.pos += v;
        } else {
            out.neg -= v;
        }
    }
    if sum != 0.0 {
        sum += sum.signum() * 0.29 * out.exclaims.min(4) as f32;
    }
    let sarcastic =
        out.pos > 0.0 && (has_eye_roll || neg_after_thanks || ((has_clap || as_usual) && neg_cue));
    if sarcastic {
        out.sarcasm = true;
        sum = -(sum.abs()) - 1.5;
        std::mem::swap(&mut out.pos, &mut out.neg);
    }
    out.score = (sum / (sum * sum + 15.0).sqrt()).clamp(-1.0, 1.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::prepare;
    use std::sync::OnceLock;

    fn lex() -> &'static Lexicons {
        static L: OnceLock<Lexicons> = OnceLock::new();
        L.get_or_init(Lexicons::load)
    }

    fn score(text: &str, lang: Lang) -> f32 {
        analyse(&prepare(text), lang, lex()).score
    }

    #[test]
    fn negation_idioms() {
        assert!(score("pas mal du tout la nouvelle box", Lang::Fr) > 0.3);
        assert!(score("ce n'est pas bien", Lang::Fr) < 0.0);
        assert!(score("not bad at all", Lang::En) > 0.3);
        assert!(score("not good", Lang::En) < 0.0);
        assert!(score("pas terrible", Lang::Fr) < 0.0);
    }

    #[test]
    fn intensity_contrast_elongation_caps() {
        assert!(score("very good", Lang::En) > score("good", Lang::En));
        assert!(score("c'est trooop bien", Lang::Fr) > 0.3);
        assert!(score("GREAT", Lang::En) <= score("GREAT service, really GREAT", Lang::En));
        assert!(score("the staff was nice but the flight was awful", Lang::En) < 0.0);
        assert!(score("le vol était horrible mais l'équipage adorable", Lang::Fr) > 0.0);
    }

    #[test]
    fn emoji_and_sarcasm() {
        assert!(score("😍😍", Lang::Other) > 0.5);
        assert!(score("😡", Lang::Other) < -0.3);
        let s = analyse(
            &prepare("merci pour ces 3 jours sans internet 👏"),
            Lang::Fr,
            lex(),
        );
        assert!(s.sarcasm && s.score < -0.3, "{s:?}");
        assert!(score("thanks for nothing", Lang::En) < 0.0);
        assert!(score("closed without warning. Disgusting", Lang::En) < -0.3);
        assert!(score("pas d'électricité depuis 2 jours", Lang::Fr) < -0.3);
        assert!(
            score(
                "Lost my grandfather. Thanks for changing my ticket",
                Lang::En
            ) > -0.3
        );
        assert!(score("Thank you so much, great job!", Lang::En) > 0.5);
        assert!(score("merci hein, toujours rien", Lang::Fr) < -0.3);
        assert!(score("45€ par mois, bravo les artistes", Lang::Fr) < -0.3);
    }

    #[test]
    fn brand_senses_and_french_negation() {
        // vaderSentiment-fr reads "sur" as "sure" and "frais" as "fresh".
        assert!(score("le direct sur la chaîne", Lang::Fr).abs() < 0.1);
        assert!(score("des frais partout", Lang::Fr) < 0.0);
        assert!(score("je recommande pas", Lang::Fr) < 0.0);
        assert!(score("j'aime pas la nouvelle appli", Lang::Fr) < 0.0);
        assert!(score("le bouton ne marche pas", Lang::Fr) < -0.2);
        assert!(score("rien ne marche", Lang::Fr) < -0.2);
        assert!(score("pas cher et rapide", Lang::Fr) > 0.2);
        assert!(score("my boarding pass won't load", Lang::En) < -0.2);
        assert!(score("what a rip off", Lang::En) < -0.3);
        assert!(score("passed my driving test", Lang::En) >= 0.0);
        assert!(score("my nan passed away", Lang::En) < -0.3);
    }
}
