//! Character folding: what turns "Ｉ​d і о t", "idiooot" or "crétin" into plain lowercase ASCII-ish letters.
//!
//! Folding removes zero-width and formatting characters, maps compatibility forms (fullwidth,
//! mathematical bold…) and accents away through NFKD, lowercases, and maps Cyrillic and Greek
//! look-alikes to Latin letters when a word is disguised with them.

use unicode_normalization::char::decompose_compatible;

/// Characters that render as nothing and are used to split a word without showing it.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
    )
}

/// The Latin letter a Cyrillic or Greek look-alike stands for, if it is one.
pub fn homoglyph(c: char) -> Option<char> {
    let l = match c {
        'а' | 'А' | 'α' | 'Α' => 'a',
        'в' | 'В' | 'β' | 'Β' => 'b',
        'с' | 'С' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'Е' | 'ё' | 'ε' | 'Ε' => 'e',
        'һ' | 'Н' | 'Η' => 'h',
        'і' | 'І' | 'ι' | 'Ι' | 'ӏ' => 'i',
        'ј' | 'Ј' => 'j',
        'к' | 'К' | 'κ' | 'Κ' => 'k',
        'м' | 'М' | 'Μ' => 'm',
        'п' | 'η' | 'Ν' => 'n',
        'о' | 'О' | 'ο' | 'Ο' | 'σ' => 'o',
        'р' | 'Р' | 'ρ' | 'Ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' | 'Ѕ' => 's',
        'т' | 'Т' | 'τ' | 'Τ' => 't',
        'υ' | 'μ' => 'u',
        'ν' | 'ѵ' => 'v',
        'ԝ' | 'ω' => 'w',
        'х' | 'Х' | 'χ' | 'Χ' => 'x',
        'у' | 'У' | 'γ' | 'Υ' => 'y',
        'Ζ' => 'z',
        _ => return None,
    };
    Some(l)
}

/// True for letters of the Latin script (ASCII or accented).
pub fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}')
}

/// Pushes the folded form of one character: compatibility-decomposed, without combining marks,
/// lowercased. `map_homoglyphs` also maps Cyrillic/Greek look-alikes to Latin.
pub fn push_folded(out: &mut String, c: char, map_homoglyphs: bool) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    if is_invisible(c) {
        return;
    }
    if map_homoglyphs && let Some(l) = homoglyph(c) {
        out.push(l);
        return;
    }
    match c {
        'œ' | 'Œ' => return out.push_str("oe"),
        'æ' | 'Æ' => return out.push_str("ae"),
        'ß' => return out.push_str("ss"),
        '’' | 'ʼ' | '‘' | '`' | '´' => return out.push('\''),
        _ => {}
    }
    decompose_compatible(c, |d| {
        if !is_combining_mark(d) {
            for l in d.to_lowercase() {
                out.push(l);
            }
        }
    });
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// Folds a whole string (used for lexicon keys, so that they match folded tokens).
pub fn fold_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_folded(&mut out, c, false);
    }
    out
}

/// The letter a leetspeak symbol or digit stands for inside a word.
pub fn unleet(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' | '!' | '|' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        '8' => 'b',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_fullwidth_and_invisibles() {
        assert_eq!(fold_str("Crétin"), "cretin");
        assert_eq!(fold_str("ＩＤＩＯＴ"), "idiot");
        assert_eq!(fold_str("con\u{200B}nard"), "connard");
        assert_eq!(fold_str("𝐢𝐝𝐢𝐨𝐭"), "idiot");
        assert_eq!(fold_str("Œuvre"), "oeuvre");
    }

    #[test]
    fn maps_homoglyphs_on_request() {
        let mut s = String::new();
        for c in "іdіоt".chars() {
            push_folded(&mut s, c, true);
        }
        assert_eq!(s, "idiot");
    }
}
