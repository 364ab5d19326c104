//! Words that say someone's safety is at stake (a lost child, an injury, an attack, a fire, a
//! medical emergency), in French and English: what listening puts at the top of the inbox at
//! once, whatever the query's policy.

use aho_corasick::{AhoCorasick, MatchKind};
use palabre_core::fold::{fold, words_of_folded_into};
use std::sync::LazyLock;

/// Folded phrases, matched as whole words.
const PHRASES: &[&str] = &[
    // French
    "enfant perdu",
    "enfant perdue",
    "perdu mon fils",
    "perdu ma fille",
    "perdu notre fils",
    "perdu notre fille",
    "on ne trouve plus",
    "je ne trouve plus mon fils",
    "je ne trouve plus ma fille",
    "enfant disparu",
    "fils a disparu",
    "fille a disparu",
    "malaise",
    "blesse",
    "blessee",
    "blesses",
    "ambulance",
    "pompiers",
    "samu",
    "urgence",
    "urgences",
    "au secours",
    "agression",
    "agresse",
    "agressee",
    "incendie",
    "au feu",
    "evacuation",
    "noyade",
    "fuite de gaz",
    // English
    "lost child",
    "lost my son",
    "lost my daughter",
    "lost our son",
    "lost our daughter",
    "cant find my son",
    "cant find my daughter",
    "can t find my son",
    "can t find my daughter",
    "missing child",
    "injured",
    "collapsed",
    "ambulance",
    "paramedics",
    "emergency",
    "help us",
    "assaulted",
    "attacked",
    "fire alarm",
    "on fire",
    "evacuated",
    "drowning",
    "gas leak",
];

static AUTOMATON: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    let patterns: Vec<String> = PHRASES.iter().map(|p| format!(" {p} ")).collect();
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(patterns)
        .ok()
});

/// Whether `text` says someone's safety may be at stake.
pub fn at_stake(text: &str) -> bool {
    at_stake_folded(&fold(text))
}

/// [`at_stake`] on a text already folded.
pub fn at_stake_folded(folded: &str) -> bool {
    let Some(automaton) = AUTOMATON.as_ref() else {
        return false;
    };
    let mut words = String::with_capacity(folded.len() + 2);
    words.push(' ');
    words_of_folded_into(folded, &mut words);
    words.push(' ');
    automaton.is_match(&words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_child_an_injury_or_a_fire_is_at_stake_chatter_is_not() {
        assert!(at_stake(
            "On a PERDU notre fille près du château, elle a 6 ans, robe rouge"
        ));
        assert!(at_stake(
            "Someone collapsed near the pool, where are the paramedics?"
        ));
        assert!(at_stake("Incendie dans l'aile B de l'hôtel ?!"));
        assert!(at_stake("I can't find my son anywhere in the park"));
        assert!(!at_stake(
            "Quelle belle journée au parc, les enfants ont adoré"
        ));
        assert!(!at_stake("This ride is fire 🔥"), "slang is not a fire");
        assert!(
            !at_stake("Urgent: best croissant in town"),
            "urgent is not urgence"
        );
    }
}
