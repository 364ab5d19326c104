//! French postal codes: five digits, with the repairs for `69OO3` and `69 003`.

use super::{Candidate, Repair};

const LEN: usize = 5;

/// Candidates in `words` (text folded by `fold_words`): exact five-digit tokens first, then
/// repaired ones (letter O for zero, digits split by spaces or dots), in order of appearance.
pub fn candidates(words: &str) -> Vec<Candidate> {
    let tokens: Vec<&str> = words.split(' ').filter(|t| !t.is_empty()).collect();
    let mut out: Vec<Candidate> = tokens
        .iter()
        .filter(|t| t.len() == LEN && t.bytes().all(|b| b.is_ascii_digit()))
        .map(|t| Candidate::exact(*t))
        .collect();
    for start in 0..tokens.len() {
        let mut code = String::new();
        let mut parts = 0;
        for t in &tokens[start..] {
            if !t.bytes().all(|b| b.is_ascii_digit() || b == b'o') || code.len() + t.len() > LEN {
                break;
            }
            code.push_str(t);
            parts += 1;
            if code.len() == LEN {
                break;
            }
        }
        let digits = code.bytes().filter(u8::is_ascii_digit).count();
        let has_o = code.contains('o');
        if code.len() != LEN || digits < 3 || (parts == 1 && !has_o) {
            continue;
        }
        let mut repairs = Vec::new();
        if has_o {
            repairs.push(Repair::LetterOForZero);
        }
        if parts > 1 {
            repairs.push(Repair::SpacesInCode);
        }
        let value = code.replace('o', "0");
        if !out.iter().any(|c| c.value == value) {
            out.push(Candidate { value, repairs });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(words: &str) -> Vec<(String, Vec<Repair>)> {
        candidates(words)
            .into_iter()
            .map(|c| (c.value, c.repairs))
            .collect()
    }

    #[test]
    fn exact_codes_come_first() {
        assert_eq!(values("monresultat 69003"), vec![("69003".into(), vec![])]);
        assert!(values("monresultat 690031").is_empty());
        assert!(values("monresultat 6900").is_empty());
    }

    #[test]
    fn repairs_letter_o_and_spaces() {
        assert_eq!(
            values("monresultat 69oo3"),
            vec![("69003".into(), vec![Repair::LetterOForZero])]
        );
        assert_eq!(
            values("monresultat 69 003"),
            vec![("69003".into(), vec![Repair::SpacesInCode])]
        );
        assert_eq!(
            values("75 o 12"),
            vec![(
                "75012".into(),
                vec![Repair::LetterOForZero, Repair::SpacesInCode]
            )]
        );
        // Words made of the letter o alone are not codes.
        assert!(values("oooo o").is_empty());
    }
}
