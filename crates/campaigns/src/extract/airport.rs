//! Airports: IATA codes written in capitals, or city names and aliases from a places table.

use crate::error::{CampaignError, ErrorKind};
use crate::fold::fold_words;
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The places table: `name,iata` rows (a name or alias per row; several names per code).
#[derive(Debug)]
pub struct Places {
    codes: HashSet<String>,
    matcher: AhoCorasick,
    /// For each pattern of `matcher`: its IATA code.
    iata: Vec<String>,
}

impl Places {
    /// Loads `name,iata` rows from a CSV file (`#` comments allowed).
    pub fn load(path: &Path) -> Result<Places, CampaignError> {
        let err = |msg: String| CampaignError::new(ErrorKind::Table, path, msg);
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_path(path)
            .map_err(|e| err(format!("cannot read the places table: {e}")))?;
        let headers = reader
            .headers()
            .map_err(|e| err(format!("cannot read the header: {e}")))?
            .clone();
        let col = |n: &str| headers.iter().position(|h| h == n);
        let (Some(name_col), Some(iata_col)) = (col("name"), col("iata")) else {
            return Err(
                err("the places table needs the columns name and iata".into())
                    .at_line(1)
                    .field("name, iata"),
            );
        };
        let mut names: HashMap<String, String> = HashMap::new();
        let mut codes = HashSet::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, csv::Position::line);
                err(format!("unreadable row: {e}")).at_line(line)
            })?;
            let line = record.position().map_or(0, csv::Position::line);
            let iata = record.get(iata_col).unwrap_or("").to_ascii_uppercase();
            if iata.len() != 3 || !iata.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(err(format!("`{iata}` is not a three-letter IATA code"))
                    .at_line(line)
                    .field("iata"));
            }
            let name = fold_words(record.get(name_col).unwrap_or(""));
            if name.is_empty() {
                return Err(err("empty name".into()).at_line(line).field("name"));
            }
            if let Some(other) = names.get(&name)
                && *other != iata
            {
                return Err(err(format!("`{name}` names both {other} and {iata}"))
                    .at_line(line)
                    .field("name"));
            }
            names.insert(name, iata.clone());
            codes.insert(iata);
        }
        Places::new(codes, names).map_err(err)
    }

    fn new(codes: HashSet<String>, names: HashMap<String, String>) -> Result<Places, String> {
        let (patterns, iata): (Vec<String>, Vec<String>) = names.into_iter().unzip();
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .map_err(|e| format!("places index: {e}"))?;
        Ok(Places {
            codes,
            matcher,
            iata,
        })
    }

    /// Is this a code of the table?
    pub fn has_code(&self, code: &str) -> bool {
        self.codes.contains(code)
    }

    /// The airports written in `text`, in order: IATA codes of the table written in capitals
    /// (`AMS`, not `ams`, not `#AMS` or `@AMS`) and names or aliases (any case, accents
    /// optional). The same airport twice in a row (`Paris CDG`) counts once.
    pub fn mentions(&self, text: &str) -> Vec<String> {
        self.mentions_with_ends(text)
            .into_iter()
            .map(|(code, _)| code)
            .collect()
    }

    /// The airports written, in order, each with the end of the trip the word before it
    /// marks (`depuis Paris`, `to New York`).
    pub fn mentions_with_ends(&self, text: &str) -> Vec<(String, End)> {
        let mut found: Vec<(usize, String)> = Vec::new();
        let words = fold_words(text);
        let bytes = words.as_bytes();
        for m in self.matcher.find_iter(&words) {
            let before_ok = m.start() == 0 || bytes.get(m.start() - 1) == Some(&b' ');
            let after_ok = m.end() == bytes.len() || bytes.get(m.end()) == Some(&b' ');
            if before_ok
                && after_ok
                && let Some(code) = self.iata.get(m.pattern().as_usize())
            {
                found.push((m.start(), code.clone()));
            }
        }
        for (start, token) in capital_tokens(text) {
            if self.codes.contains(token) {
                let prefix = text.get(..start).unwrap_or("");
                found.push((fold_words(prefix).len(), token.to_owned()));
            }
        }
        found.sort_by_key(|(pos, _)| *pos);
        let mut out: Vec<(String, End)> = Vec::new();
        for (pos, code) in found {
            if out.last().map(|(c, _)| c) != Some(&code) {
                let before = words.get(..pos).unwrap_or("").trim_end();
                let word = before.rsplit(' ').next().unwrap_or("");
                out.push((code, End::of(word)));
            }
        }
        out
    }
}

/// The end of a trip a word names, written just before an airport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// `de`, `depuis`, `from`.
    From,
    /// `pour`, `à`, `vers`, `to`.
    To,
    Unsaid,
}

impl End {
    fn of(word: &str) -> End {
        match word {
            "de" | "d" | "du" | "depuis" | "from" | "depart" => End::From,
            "pour" | "a" | "au" | "vers" | "to" | "destination" | "jusqu" => End::To,
            _ => End::Unsaid,
        }
    }
}

/// The airports of a request in the `slots` airport fields (origin first): in the order
/// written, unless words say which end each is: then origins first, destinations last, the
/// others in between (`pour New York depuis Paris` → CDG, JFK; `pour New York` alone leaves
/// the origin empty, to be asked for).
pub fn assign(found: &[(String, End)], slots: usize) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = vec![None; slots];
    if found.iter().all(|(_, end)| *end == End::Unsaid) {
        for (slot, (code, _)) in out.iter_mut().zip(found) {
            *slot = Some(code.clone());
        }
        return out;
    }
    let mut front = 0;
    for (code, _) in found.iter().filter(|(_, e)| *e == End::From) {
        if let Some(slot) = out.get_mut(front) {
            *slot = Some(code.clone());
            front += 1;
        }
    }
    let mut back = slots;
    for (code, _) in found.iter().rev().filter(|(_, e)| *e == End::To) {
        if back > front {
            back -= 1;
            if let Some(slot) = out.get_mut(back) {
                *slot = Some(code.clone());
            }
        }
    }
    for (code, _) in found.iter().filter(|(_, e)| *e == End::Unsaid) {
        if let Some(slot) = out
            .get_mut(front..back)
            .and_then(|s| s.iter_mut().find(|s| s.is_none()))
        {
            *slot = Some(code.clone());
        }
    }
    out
}

fn capital_tokens(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(2)).filter_map(move |i| {
        let token = bytes.get(i..i + 3)?;
        if !token.iter().all(u8::is_ascii_uppercase) {
            return None;
        }
        let before = text.get(..i).and_then(|s| s.chars().next_back());
        let after = text.get(i + 3..).and_then(|s| s.chars().next());
        let alone = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let tagged = matches!(before, Some('#' | '@'));
        (alone(before) && alone(after) && !tagged)
            .then(|| text.get(i..i + 3))
            .flatten()
            .map(|t| (i, t))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places() -> Places {
        let names = [
            ("paris", "CDG"),
            ("amsterdam", "AMS"),
            ("new york", "JFK"),
            ("nyc", "JFK"),
        ];
        let codes = ["CDG", "AMS", "JFK", "ORY"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let names = names
            .iter()
            .map(|(n, c)| ((*n).to_owned(), (*c).to_owned()))
            .collect();
        Places::new(codes, names).unwrap()
    }

    #[test]
    fn codes_and_names_in_order() {
        let p = places();
        assert_eq!(p.mentions("AMS → JFK on 12 May?"), ["AMS", "JFK"]);
        assert_eq!(
            p.mentions("prix Paris Amsterdam aller simple ?"),
            ["CDG", "AMS"]
        );
        assert_eq!(p.mentions("from New-York to ORY"), ["JFK", "ORY"]);
        assert_eq!(p.mentions("Paris CDG → AMS"), ["CDG", "AMS"]);
        // Lowercase codes, hashtags and handles are not airports; nor is a word inside another.
        assert!(p.mentions("ams jfk #AMS @JFK parisien").is_empty());
    }

    #[test]
    fn words_before_an_airport_say_which_end_it_is() {
        let p = places();
        let slots = |text: &str| assign(&p.mentions_with_ends(text), 2);
        let s = |a: &str, b: &str| vec![Some(a.to_owned()), Some(b.to_owned())];
        assert_eq!(slots("Paris → New York"), s("CDG", "JFK"));
        assert_eq!(slots("de Paris à New York"), s("CDG", "JFK"));
        assert_eq!(slots("pour New York depuis Paris"), s("CDG", "JFK"));
        assert_eq!(slots("to New York from Amsterdam"), s("AMS", "JFK"));
        assert_eq!(slots("New York from Amsterdam"), s("AMS", "JFK"));
        assert_eq!(
            slots("combien pour aller à New York ?"),
            vec![None, Some("JFK".into())]
        );
        assert_eq!(
            slots("un billet depuis Paris ?"),
            vec![Some("CDG".into()), None]
        );
        assert_eq!(slots("Paris ?"), vec![Some("CDG".into()), None]);
    }
}
