//! Dates in French and English: `12 mai`, `le 1er juin 2026`, `May 12`, `12th May`,
//! `2026-05-12`, `12/05`. Normalized to `YYYY-MM-DD`, or `--MM-DD` when the year is unknown.

const MONTHS: &[(&str, u32)] = &[
    ("janvier", 1),
    ("janv", 1),
    ("january", 1),
    ("jan", 1),
    ("fevrier", 2),
    ("fevr", 2),
    ("fev", 2),
    ("february", 2),
    ("feb", 2),
    ("mars", 3),
    ("march", 3),
    ("mar", 3),
    ("avril", 4),
    ("avr", 4),
    ("april", 4),
    ("apr", 4),
    ("mai", 5),
    ("may", 5),
    ("juin", 6),
    ("june", 6),
    ("jun", 6),
    ("juillet", 7),
    ("juil", 7),
    ("july", 7),
    ("jul", 7),
    ("aout", 8),
    ("august", 8),
    ("aug", 8),
    ("septembre", 9),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("octobre", 10),
    ("october", 10),
    ("oct", 10),
    ("novembre", 11),
    ("november", 11),
    ("nov", 11),
    ("decembre", 12),
    ("december", 12),
    ("dec", 12),
];

fn month(word: &str) -> Option<u32> {
    MONTHS.iter().find(|(w, _)| *w == word).map(|(_, m)| *m)
}

/// `12`, `1er`, `1st`, `2nd`, `3rd`, `12th` → the day number.
fn day(word: &str) -> Option<u32> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &word[digits.len()..];
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !matches!(suffix, "" | "er" | "st" | "nd" | "rd" | "th" | "e") {
        return None;
    }
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

fn year(word: &str) -> Option<i32> {
    (word.len() == 4 && word.bytes().all(|b| b.is_ascii_digit()))
        .then(|| word.parse().ok())
        .flatten()
        .filter(|y| (1900..=2200).contains(y))
}

fn days_in(month: u32, year: Option<i32>) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 => match year {
            Some(y) if !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) => 28,
            _ => 29,
        },
        _ => 31,
    }
}

fn format(y: Option<i32>, m: u32, d: u32) -> Option<String> {
    if !(1..=12).contains(&m) || d == 0 || d > days_in(m, y) {
        return None;
    }
    Some(match y {
        Some(y) => format!("{y:04}-{m:02}-{d:02}"),
        None => format!("--{m:02}-{d:02}"),
    })
}

/// The first date written in the request. `folded` keeps punctuation (for `2026-05-12` and
/// `12/05`), `words` has it turned into spaces (for `le 12 mai`).
pub fn find(folded: &str, words: &str, default_year: Option<i32>) -> Option<String> {
    numeric(folded, default_year).or_else(|| written(words, default_year))
}

/// `2026-05-12`, `12/05/2026`, `12/05`.
fn numeric(folded: &str, default_year: Option<i32>) -> Option<String> {
    for token in folded.split(|c: char| !(c.is_ascii_digit() || c == '-' || c == '/')) {
        let parts: Vec<&str> = token.split(['-', '/']).collect();
        let nums: Option<Vec<u32>> = parts.iter().map(|p| p.parse().ok()).collect();
        let Some(nums) = nums else { continue };
        match (token.contains('-'), parts.as_slice(), nums.as_slice()) {
            (true, [y, _, _], [_, m, d]) if y.len() == 4 && !token.contains('/') => {
                if let Some(s) = format(year(y), *m, *d) {
                    return Some(s);
                }
            }
            (false, [_, _], [d, m]) => {
                if let Some(s) = format(default_year, *m, *d) {
                    return Some(s);
                }
            }
            (false, [_, _, y], [d, m, _]) => {
                if let Some(s) = format(year(y), *m, *d) {
                    return Some(s);
                }
            }
            _ => {}
        }
    }
    None
}

/// `12 mai`, `le 1er juin 2026`, `May 12`, `May 12th, 2026`, `12th of May`.
fn written(words: &str, default_year: Option<i32>) -> Option<String> {
    let tokens: Vec<&str> = words.split(' ').collect();
    let get = |i: usize| tokens.get(i).copied().unwrap_or("");
    for (i, token) in tokens.iter().enumerate() {
        let Some(m) = month(token) else { continue };
        // Day before the month: `12 mai`, `12th of may`.
        let before = day(get(i.wrapping_sub(1)))
            .or_else(|| (get(i.wrapping_sub(1)) == "of").then(|| day(get(i.wrapping_sub(2))))?);
        // Day after the month: `may 12`.
        let after = day(get(i + 1));
        let (d, year_at) = match (before, after) {
            (Some(d), _) => (d, i + 1),
            (None, Some(d)) => (d, i + 2),
            (None, None) => continue,
        };
        let y = year(get(year_at)).or(default_year);
        if let Some(s) = format(y, m, d) {
            return Some(s);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::{fold, fold_words};

    fn date(text: &str, year: Option<i32>) -> Option<String> {
        find(&fold(text), &fold_words(text), year)
    }

    #[test]
    fn french_and_english_forms() {
        let y = Some(2026);
        assert_eq!(
            date("AMS → JFK on 12 May?", y).as_deref(),
            Some("2026-05-12")
        );
        assert_eq!(date("le 3 juin", y).as_deref(), Some("2026-06-03"));
        assert_eq!(date("le 1er juin 2027", y).as_deref(), Some("2027-06-01"));
        assert_eq!(date("May 12th, 2026", None).as_deref(), Some("2026-05-12"));
        assert_eq!(date("12 mai", None).as_deref(), Some("--05-12"));
        assert_eq!(date("12 août", y).as_deref(), Some("2026-08-12"));
        assert_eq!(date("on 2026-05-12", None).as_deref(), Some("2026-05-12"));
        assert_eq!(date("le 12/05", y).as_deref(), Some("2026-05-12"));
        assert_eq!(date("the 3rd of March", y).as_deref(), Some("2026-03-03"));
    }

    #[test]
    fn impossible_or_absent_dates() {
        assert_eq!(date("31 juin", Some(2026)), None);
        assert_eq!(date("29 février 2027", None), None);
        assert_eq!(date("may I fly to Paris?", Some(2026)), None);
        assert_eq!(date("2026-13-01", None), None);
    }
}
