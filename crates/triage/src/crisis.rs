//! Reads whether a message sounds like a crisis rather than bad service: someone scared, or
//! an eyewitness of harm (a collapse, a fire, people hurt, an evacuation). What the crisis
//! detector counts, one per person. Complaints, anger at a late train, sadness at an
//! election result are not crises, however many: they hold nothing of harm.

use crate::text::{Kind, prepare};
use palabre_core::{Emotion, SentimentLabel, Triage};

/// Beginnings of folded words (lowercase, no accents) that speak of harm or an emergency, in
/// French and English. A word counts when it starts with one of them (`effondr` → effondré,
/// effondrement; `evacu` → évacuez, evacuated).
const HARM: &[&str] = &[
    // French
    "effondr",
    "ecroul",
    "explos",
    "incendi",
    "fumee",
    "flamme",
    "blesse",
    "mort",
    "deces",
    "decede",
    "victime",
    "evacu",
    "panique",
    "attentat",
    "tireur",
    "fusillade",
    "bousculade",
    "ecrase",
    "pompier",
    "secouris",
    "ambulance",
    "samu",
    "drame",
    "tragedie",
    "alerte",
    // English
    "collaps",
    "explosion",
    "exploded",
    "fire",
    "smoke",
    "flames",
    "injur",
    "hurt",
    "dead",
    "died",
    "killed",
    "victim",
    "evacuat",
    "panic",
    "shooting",
    "shooter",
    "gunshot",
    "stampede",
    "crush",
    "paramedic",
    "emergency",
    "tragedy",
];

/// Beginnings that look like harm but are everyday words (`firefox`, `mortel` as "great",
/// `alerte` of an app, `hurtig`).
const NOT_HARM: &[&str] = &["firef", "firew", "mortel", "alertes"];

/// A message that sounds like a crisis: negative, and either scared or speaking of harm.
pub fn sounds_like_crisis(text: &str, triage: &Triage) -> bool {
    if triage.sentiment.label != SentimentLabel::Negative {
        return false;
    }
    triage.emotion == Emotion::Fear || speaks_of_harm(text)
}

/// Does the text hold a word of harm or emergency?
pub fn speaks_of_harm(text: &str) -> bool {
    let prepared = prepare(text);
    prepared
        .tokens
        .iter()
        .filter(|t| t.kind == Kind::Word)
        .flat_map(|t| prepared.fold(t).split('\'').collect::<Vec<_>>())
        .any(|w| {
            HARM.iter().any(|h| w.starts_with(h)) && !NOT_HARM.iter().any(|n| w.starts_with(n))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harm_is_read_in_both_languages_and_everyday_words_are_not() {
        for text in [
            "La scène s'est effondrée, il y a des blessés !!",
            "Évacuez la salle, il y a de la fumée",
            "the stage collapsed, people are hurt",
            "Someone got injured near gate B, paramedics are here",
            "there's a fire in the car park",
        ] {
            assert!(speaks_of_harm(text), "{text}");
        }
        for text in [
            "mon train a 2h de retard, c'est nul",
            "le site plante sous Firefox",
            "c'était mortel ce concert",
            "my parcel never arrived",
            "votre appli m'envoie trop d'alertes",
        ] {
            assert!(!speaks_of_harm(text), "{text}");
        }
    }
}
