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
    /// For each pattern of `matcher`: the IATA codes it names (several for a city's name).
    iata: Vec<Vec<String>>,
    /// Code → the name it is shown with in a choice.
    display: HashMap<String, String>,
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
        let mut names: HashMap<String, Vec<String>> = HashMap::new();
        let mut display: HashMap<String, String> = HashMap::new();
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
            // A name may name several airports (`Paris`: CDG and ORY): a request that
            // writes it gets a choice when the table has a fare for more than one.
            let written = record.get(name_col).unwrap_or("").trim().to_owned();
            let codes_of_name: &mut Vec<String> = names.entry(name).or_default();
            if !codes_of_name.contains(&iata) {
                codes_of_name.push(iata.clone());
            }
            let longest = display.entry(iata.clone()).or_default();
            if written.chars().count() > longest.chars().count() {
                *longest = written;
            }
            codes.insert(iata);
        }
        // An airport is shown by its longest name that names only it (`Paris Orly`).
        for (name, of) in &names {
            if of.len() > 1 {
                for code in of {
                    if display.get(code).is_some_and(|d| fold_words(d) == *name) {
                        display.remove(code);
                    }
                }
            }
        }
        Places::new(codes, names, display).map_err(err)
    }

    fn new(
        codes: HashSet<String>,
        names: HashMap<String, Vec<String>>,
        display: HashMap<String, String>,
    ) -> Result<Places, String> {
        let (patterns, iata): (Vec<String>, Vec<Vec<String>>) = names.into_iter().unzip();
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .map_err(|e| format!("places index: {e}"))?;
        Ok(Places {
            codes,
            matcher,
            iata,
            display,
        })
    }

    /// Is this a code of the table?
    pub fn has_code(&self, code: &str) -> bool {
        self.codes.contains(code)
    }

    /// The name an airport is shown with in a choice (`Paris Orly`), if the table has one
    /// that names only it.
    pub fn display_name(&self, code: &str) -> Option<&str> {
        self.display.get(code).map(String::as_str)
    }

    /// The airports written in `text`, in order: IATA codes of the table written in capitals
    /// (`AMS`, not `ams`, not `#AMS` or `@AMS`) and names or aliases (any case, accents
    /// optional). The same airport twice in a row (`Paris CDG`) counts once.
    /// The airports written, in order (the first a shared name names).
    pub fn mentions(&self, text: &str) -> Vec<String> {
        self.mentions_with_ends(text)
            .into_iter()
            .filter_map(|(codes, _)| codes.into_iter().next())
            .collect()
    }

    /// The airports written, in order, each with the end of the trip the word before it
    /// marks (`depuis Paris`, `to New York`); a name several airports share gives them all.
    pub fn mentions_with_ends(&self, text: &str) -> Vec<(Vec<String>, End)> {
        let mut found: Vec<(usize, Vec<String>)> = Vec::new();
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
                found.push((fold_words(prefix).len(), vec![token.to_owned()]));
            }
        }
        found.sort_by_key(|(pos, _)| *pos);
        let mut out: Vec<(Vec<String>, End)> = Vec::new();
        for (pos, code) in found {
            // `Paris CDG`, `CDG Paris`: a name and a code of the same airport side by side
            // count once, and the code settles which airport a shared name meant.
            if let Some((last, _)) = out.last_mut()
                && (code.iter().all(|c| last.contains(c)) || last.iter().all(|c| code.contains(c)))
            {
                last.retain(|c| code.contains(c));
                continue;
            }
            let before = words.get(..pos).unwrap_or("").trim_end();
            let word = before.rsplit(' ').next().unwrap_or("");
            out.push((code, End::of(word)));
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
pub fn assign(found: &[(Vec<String>, End)], slots: usize) -> Vec<Option<Vec<String>>> {
    let mut out: Vec<Option<Vec<String>>> = vec![None; slots];
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
            .map(|(n, c)| ((*n).to_owned(), vec![(*c).to_owned()]))
            .collect();
        Places::new(codes, names, HashMap::new()).unwrap()
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
        let slots = |text: &str| -> Vec<Option<String>> {
            assign(&p.mentions_with_ends(text), 2)
                .into_iter()
                .map(|slot| slot.map(|codes| codes.join("/")))
                .collect()
        };
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

    #[test]
    fn a_name_several_airports_share_gives_them_all_until_a_code_settles_it() {
        let names = [
            ("paris".to_owned(), vec!["CDG".to_owned(), "ORY".to_owned()]),
            ("orly".to_owned(), vec!["ORY".to_owned()]),
            ("new york".to_owned(), vec!["JFK".to_owned()]),
        ];
        let codes = ["CDG", "ORY", "JFK"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let p = Places::new(codes, names.into_iter().collect(), HashMap::new()).unwrap();
        let found = |text: &str| -> Vec<String> {
            p.mentions_with_ends(text)
                .into_iter()
                .map(|(codes, _)| codes.join("/"))
                .collect()
        };
        assert_eq!(found("Paris → New York"), ["CDG/ORY", "JFK"]);
        assert_eq!(found("Paris ORY → New York"), ["ORY", "JFK"]);
        assert_eq!(found("CDG Paris → New York"), ["CDG", "JFK"]);
        assert_eq!(found("Orly → New York"), ["ORY", "JFK"]);
    }
}
