//! Language: French, English or other. A fast path counts function words and French accents on
//! the words left once mentions, hashtags, URLs and emoji are removed; `lingua` (English and
//! French models only) is asked only when that count cannot decide.

use lingua::{Language, LanguageDetector, LanguageDetectorBuilder};
use palabre_core::Lang;

use crate::fold::is_latin_letter;
use crate::lexicon::Lexicons;
use crate::text::{Kind, Prepared};
use crate::words::bit;

pub struct LangDetector {
    lingua: LanguageDetector,
}

/// What the fast path counted.
#[derive(Debug, Default, Clone, Copy)]
pub struct LangVotes {
    pub fr: u32,
    pub en: u32,
    pub other: u32,
    pub words: u32,
    pub latin_letters: u32,
    pub foreign_letters: u32,
}

fn hint_lang(hint: Option<&str>) -> Option<Lang> {
    let h = hint?.trim().to_ascii_lowercase();
    let primary = h.split(['-', '_']).next().unwrap_or("");
    match primary {
        "fr" | "fra" | "fre" => Some(Lang::Fr),
        "en" | "eng" => Some(Lang::En),
        "" | "und" | "zxx" | "qme" | "qht" | "qam" | "art" => None,
        _ => Some(Lang::Other),
    }
}

pub fn votes(p: &Prepared, lex: &Lexicons) -> LangVotes {
    let mut v = LangVotes::default();
    // Letters spaced out ("c o n n a r d", "r e t a r d") are one word, not votes for "t" or "d".
    let single = |t: &crate::text::Token| t.kind == Kind::Word && p.fold(t).len() == 1;
    let mut run = 0usize;
    let spaced: Vec<bool> = {
        let mut marks = vec![false; p.tokens.len()];
        for (i, t) in p.tokens.iter().enumerate() {
            run = if single(t) { run + 1 } else { 0 };
            if run >= 3 {
                for m in marks.iter_mut().take(i + 1).skip(i + 1 - run) {
                    *m = true;
                }
            }
        }
        marks
    };
    for (i, t) in p.tokens.iter().enumerate() {
        if t.kind != Kind::Word || spaced.get(i).copied().unwrap_or(false) {
            continue;
        }
        v.words += 1;
        let f = p.fold(t);
        let raw = p.raw(t);
        let mut accent = false;
        for c in raw.chars() {
            if is_latin_letter(c) {
                v.latin_letters += 1;
                accent |= matches!(
                    c,
                    'é' | 'è'
                        | 'ê'
                        | 'à'
                        | 'ç'
                        | 'ù'
                        | 'û'
                        | 'ô'
                        | 'î'
                        | 'ï'
                        | 'ë'
                        | 'â'
                        | 'œ'
                        | 'É'
                        | 'À'
                );
            } else if c.is_alphabetic() {
                v.foreign_letters += 1;
            }
        }
        let bits = lex.words.bits(f);
        if bits & bit::FR != 0 || accent {
            v.fr += 1;
        }
        if bits & bit::EN != 0 {
            v.en += 1;
        }
        if bits & bit::OTHER != 0 {
            v.other += 1;
        }
    }
    v
}

/// The decision of the fast path, or `None` when only lingua can tell.
pub fn fast_path(v: &LangVotes, hint: Option<Lang>) -> Option<Lang> {
    if v.words == 0 || v.latin_letters + v.foreign_letters < 2 {
        return Some(hint.unwrap_or(Lang::Other));
    }
    if v.words <= 1 && v.fr == 0 && v.en == 0 {
        // One word and no evidence ("ok", "wow"): the text cannot tell.
        return Some(hint.unwrap_or(Lang::Other));
    }
    if v.foreign_letters > v.latin_letters {
        return Some(Lang::Other);
    }
    if v.other >= 2 && v.other > v.fr + v.en {
        return Some(Lang::Other);
    }
    if v.fr >= 2 && v.fr >= 2 * v.en {
        return Some(Lang::Fr);
    }
    if v.en >= 2 && v.en >= 2 * v.fr {
        return Some(Lang::En);
    }
    hint
}

impl LangDetector {
    pub fn new() -> LangDetector {
        let lingua =
            LanguageDetectorBuilder::from_languages(&[Language::English, Language::French])
                .with_preloaded_language_models()
                .build();
        LangDetector { lingua }
    }

    /// The language of a prepared message; `hint` is what the platform declared, if anything.
    pub fn detect(&self, p: &Prepared, hint: Option<&str>, lex: &Lexicons) -> Lang {
        let v = votes(p, lex);
        fast_path(&v, hint_lang(hint)).unwrap_or_else(|| self.slow_path(p, v))
    }

    fn slow_path(&self, p: &Prepared, v: LangVotes) -> Lang {
        let mut text = String::with_capacity(p.clean.len());
        for t in p.tokens.iter().filter(|t| t.kind == Kind::Word) {
            text.push_str(p.raw(t));
            text.push(' ');
        }
        let fr = self
            .lingua
            .compute_language_confidence(text.as_str(), Language::French);
        if v.fr == 0 && v.en == 0 && v.other > 0 {
            return Lang::Other;
        }
        if fr >= 0.5 { Lang::Fr } else { Lang::En }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::prepare;

    #[test]
    fn hints_are_read() {
        assert_eq!(hint_lang(Some("fr-FR")), Some(Lang::Fr));
        assert_eq!(hint_lang(Some("es")), Some(Lang::Other));
        assert_eq!(hint_lang(Some("und")), None);
    }

    #[test]
    fn detects_short_informal_posts() {
        let d = LangDetector::new();
        let lex = Lexicons::load();
        let cases = [
            ("@SNCF encore en retard 😡 #fail https://t.co/x", Lang::Fr),
            ("@RailWest late again, thanks for nothing", Lang::En),
            ("gracias por todo, muy bien el servicio", Lang::Other),
            ("спасибо большое за помощь", Lang::Other),
            ("Génial", Lang::Fr),
        ];
        for (text, want) in cases {
            assert_eq!(d.detect(&prepare(text), None, &lex), want, "{text}");
        }
    }
}
