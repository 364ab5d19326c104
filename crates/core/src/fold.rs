//! Accent and case folding, done once per message: `#MonRésultat` and `#monresultat` agree.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Lowercases and strips accents into `out` (cleared first). ASCII passes through a fast path;
/// ligatures (`œ`, `æ`, `ß`) are spelled out and typographic apostrophes become `'`.
pub fn fold_into(text: &str, out: &mut String) {
    out.clear();
    out.reserve(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        match c {
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            '’' | '‘' | 'ʼ' => out.push('\''),
            '＃' => out.push('#'),
            _ => decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    out.extend(d.to_lowercase());
                }
            }),
        }
    }
}

/// [`fold_into`] returning a new string.
pub fn fold(text: &str) -> String {
    let mut out = String::new();
    fold_into(text, &mut out);
    out
}

/// Folds, then turns every run of characters that are neither letters nor digits into one
/// space, trimmed: `Saint-Étienne` and `saint etienne` both become `saint etienne`.
pub fn fold_words(text: &str) -> String {
    words_of_folded(&fold(text))
}

/// The second half of [`fold_words`], for a text already folded.
pub fn words_of_folded(folded: &str) -> String {
    let mut out = String::with_capacity(folded.len());
    words_of_folded_into(folded, &mut out);
    out
}

/// [`words_of_folded`] appended to `out` (not cleared: a caller may pad it).
pub fn words_of_folded_into(folded: &str, out: &mut String) {
    let start = out.len();
    let mut pending_space = false;
    for c in folded.chars() {
        if c.is_alphanumeric() {
            if pending_space && out.len() > start {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        } else {
            pending_space = true;
        }
    }
}

/// Is `c` part of a word (so a trigger next to it is not a whole word)?
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_case_and_ligatures() {
        assert_eq!(fold("#MonRésultat"), "#monresultat");
        assert_eq!(fold("ŒUVRE À Ça"), "oeuvre a ca");
        assert_eq!(fold("l’Haÿ-les-Roses"), "l'hay-les-roses");
        assert_eq!(
            fold_words("  Saint-Étienne, (Loire) "),
            "saint etienne loire"
        );
        assert_eq!(fold_words("69 003 🗳️"), "69 003");
    }
}
