//! Reading a person's pick among the choices the bot offered: a number (`2`, `2️⃣`), an
//! ordinal (`le deuxième`, `the second one`), the choice's code, or words only one choice
//! holds (`the one in Réunion`, `celui de Seine-Saint-Denis`).

use crate::fold::fold_words;

/// Words that say nothing about which choice: articles, "the one in", politeness.
const FILLER: &[&str] = &[
    "le", "la", "les", "l", "un", "une", "celui", "celle", "ceux", "celles", "ci", "de", "du",
    "des", "d", "en", "a", "au", "aux", "dans", "pour", "c", "est", "cest", "ce", "cette", "ca",
    "je", "j", "veux", "voudrais", "parle", "parlais", "svp", "stp", "merci", "oui", "ok", "bien",
    "sur", "numero", "choix", "option", "n", "no", "nr", "the", "one", "in", "at", "of", "from",
    "please", "thanks", "thank", "you", "it", "is", "its", "i", "mean", "meant", "want", "yes",
    "number", "choice", "that", "this", "s", "e", "er", "re", "eme", "nd", "rd", "th", "st",
];

/// Ordinals by the position they name (1-based); `last` is handled apart.
const ORDINALS: &[(&str, usize)] = &[
    ("premier", 1),
    ("premiere", 1),
    ("1er", 1),
    ("1ere", 1),
    ("first", 1),
    ("1st", 1),
    ("deuxieme", 2),
    ("second", 2),
    ("seconde", 2),
    ("2e", 2),
    ("2eme", 2),
    ("2nd", 2),
    ("troisieme", 3),
    ("third", 3),
    ("3e", 3),
    ("3eme", 3),
    ("3rd", 3),
    ("quatrieme", 4),
    ("fourth", 4),
    ("4e", 4),
    ("4eme", 4),
    ("4th", 4),
    ("cinquieme", 5),
    ("fifth", 5),
    ("5e", 5),
    ("5eme", 5),
    ("5th", 5),
];

const LAST: &[&str] = &["dernier", "derniere", "last"];

/// Which of `choices` (labels such as `93200 (Saint-Denis, Seine-Saint-Denis)`, the code
/// first) `text` picks, if it picks exactly one.
pub fn pick(text: &str, choices: &[String]) -> Option<usize> {
    let words = fold_words(text);
    let words: Vec<&str> = words.split(' ').filter(|w| !w.is_empty()).collect();
    let labels: Vec<Vec<String>> = choices
        .iter()
        .map(|c| fold_words(c).split(' ').map(str::to_owned).collect())
        .collect();
    let code_of = |label: &Vec<String>| label.first().cloned().unwrap_or_default();
    let mut picks: Vec<usize> = Vec::new();
    let mut named: Vec<&str> = Vec::new();
    for &word in &words {
        if let Some(i) = labels.iter().position(|l| code_of(l) == word) {
            picks.push(i);
        } else if word.len() <= 2
            && let Ok(n) = word.parse::<usize>()
        {
            // `2`, `n°2`, `2️⃣`: a position, when there is such a choice.
            if (1..=choices.len()).contains(&n) {
                picks.push(n - 1);
            } else {
                return None;
            }
        } else if let Some(&(_, n)) = ORDINALS.iter().find(|(o, _)| *o == word) {
            picks.push(n.checked_sub(1).filter(|i| *i < choices.len())?);
        } else if LAST.contains(&word) {
            picks.push(choices.len().checked_sub(1)?);
        } else if !FILLER.contains(&word) {
            named.push(word);
        }
    }
    if !named.is_empty() {
        // Words only one choice holds, all of them.
        let holding: Vec<usize> = labels
            .iter()
            .enumerate()
            .filter(|(_, l)| named.iter().all(|w| l.iter().any(|x| x == w)))
            .map(|(i, _)| i)
            .collect();
        match holding.as_slice() {
            [one] => picks.push(*one),
            // Words that some choices hold but that tell none apart (`Saint-Denis`) add
            // nothing; words no choice holds make the message something else.
            [] => return None,
            _ => {}
        }
    }
    picks.dedup();
    match picks.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn saint_denis() -> Vec<String> {
        vec![
            "93200 (Saint-Denis, Seine-Saint-Denis)".into(),
            "97400 (Saint-Denis, La Réunion)".into(),
        ]
    }

    #[test]
    fn numbers_ordinals_codes_and_names_pick_one() {
        let c = saint_denis();
        for (text, want) in [
            ("2", Some(1)),
            ("le 1", Some(0)),
            ("n°2", Some(1)),
            ("2️⃣", Some(1)),
            ("le deuxième", Some(1)),
            ("La première svp", Some(0)),
            ("the second one", Some(1)),
            ("le dernier", Some(1)),
            ("97400", Some(1)),
            ("c'est 93200 merci", Some(0)),
            ("the one in Réunion", Some(1)),
            ("celui de Seine-Saint-Denis", Some(0)),
            ("La Réunion !", Some(1)),
        ] {
            assert_eq!(pick(text, &c), want, "{text}");
        }
    }

    #[test]
    fn nothing_or_several_picks_none() {
        let c = saint_denis();
        for text in [
            "Saint-Denis",
            "3",
            "le troisième",
            "93200 ou 97400",
            "1 ou 2",
            "🙂",
            "",
            "vous êtes nuls",
            "the one in Lyon",
        ] {
            assert_eq!(pick(text, &c), None, "{text}");
        }
    }
}
