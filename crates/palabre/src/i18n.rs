//! French and English for what the command line says to people (machine output stays stable).

/// The language of messages: `--lang`, else `PALABRE_LANG`, else `LC_ALL`/`LC_MESSAGES`/`LANG`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    pub fn from_env() -> Lang {
        for var in ["PALABRE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Ok(v) = std::env::var(var) {
                if v.to_ascii_lowercase().starts_with("fr") {
                    return Lang::Fr;
                }
                if !v.is_empty() && v != "C" && v != "POSIX" {
                    return Lang::En;
                }
            }
        }
        Lang::En
    }
}

/// Every sentence the CLI prints for people.
#[derive(Debug, Clone, Copy)]
pub enum Msg {
    Summary,
    Lines,
    BlankLines,
    Events,
    Elapsed,
    Rate,
    Outcomes,
    Reasons,
    Stored,
    AlreadyStored,
    Rejected,
    StoreAt,
    Seeded,
    Replies,
    Examples,
    Error,
    Reading,
    ModelRead,
    ModelOff,
    FaqByMeaning,
    FaqByWords,
    FaqRead,
    PostsPublished,
    PostsHeld,
}

#[cfg(test)]
impl Msg {
    /// Every message, so that a test can check each is translated.
    pub const ALL: &'static [Msg] = &[
        Msg::Summary,
        Msg::Lines,
        Msg::BlankLines,
        Msg::Events,
        Msg::Elapsed,
        Msg::Rate,
        Msg::Outcomes,
        Msg::Reasons,
        Msg::Stored,
        Msg::AlreadyStored,
        Msg::Rejected,
        Msg::StoreAt,
        Msg::Seeded,
        Msg::Replies,
        Msg::Examples,
        Msg::Error,
        Msg::Reading,
        Msg::ModelRead,
        Msg::ModelOff,
        Msg::FaqByMeaning,
        Msg::FaqByWords,
        Msg::FaqRead,
        Msg::PostsPublished,
        Msg::PostsHeld,
    ];
}

pub fn t(lang: Lang, msg: Msg) -> &'static str {
    use Msg::*;
    match (lang, msg) {
        (Lang::En, Summary) => "Replay summary",
        (Lang::Fr, Summary) => "Bilan du rejeu",
        (Lang::En, Lines) => "lines read",
        (Lang::Fr, Lines) => "lignes lues",
        (Lang::En, BlankLines) => "blank lines skipped",
        (Lang::Fr, BlankLines) => "lignes vides ignorées",
        (Lang::En, Events) => "events decided",
        (Lang::Fr, Events) => "événements décidés",
        (Lang::En, Elapsed) => "elapsed",
        (Lang::Fr, Elapsed) => "durée",
        (Lang::En, Rate) => "events/s",
        (Lang::Fr, Rate) => "événements/s",
        (Lang::En, Outcomes) => "outcomes",
        (Lang::Fr, Outcomes) => "issues",
        (Lang::En, Reasons) => "reasons",
        (Lang::Fr, Reasons) => "motifs",
        (Lang::En, Stored) => "messages recorded",
        (Lang::Fr, Stored) => "messages enregistrés",
        (Lang::En, AlreadyStored) => "already recorded, left unchanged",
        (Lang::Fr, AlreadyStored) => "déjà enregistrés, laissés tels quels",
        (Lang::En, Rejected) => "unreadable lines and conflicting versions kept aside",
        (Lang::Fr, Rejected) => "lignes illisibles et versions en conflit mises de côté",
        (Lang::En, StoreAt) => "store",
        (Lang::Fr, StoreAt) => "stockage",
        (Lang::En, Seeded) => "events remembered from earlier runs",
        (Lang::Fr, Seeded) => "événements repris des exécutions précédentes",
        (Lang::En, Replies) => "replies that would go out",
        (Lang::Fr, Replies) => "réponses qui partiraient",
        (Lang::En, Examples) => "examples",
        (Lang::Fr, Examples) => "exemples",
        (Lang::En, Error) => "error",
        (Lang::Fr, Error) => "erreur",
        (Lang::En, Reading) => "reading",
        (Lang::Fr, Reading) => "lecture",
        (Lang::En, ModelRead) => "read again by the language model, of the messages triaged",
        (Lang::Fr, ModelRead) => "relus par le modèle de langue, sur les messages triés",
        (Lang::En, ModelOff) => {
            "language model: off (fast lexicon path only; [triage] model = \"on\" to use it)"
        }
        (Lang::Fr, ModelOff) => {
            "modèle de langue : désactivé (lecture rapide par lexiques seule ; [triage] model = \"on\" pour l'utiliser)"
        }
        (Lang::En, FaqByMeaning) => {
            "FAQ entries: matched by meaning (the language model reads the questions, within [triage] model_per_second)"
        }
        (Lang::Fr, FaqByMeaning) => {
            "entrées de FAQ : reconnues par le sens (le modèle de langue lit les questions, dans la limite de [triage] model_per_second)"
        }
        (Lang::En, PostsPublished) => "scheduled posts published",
        (Lang::Fr, PostsPublished) => "publications programmées publiées",
        (Lang::En, PostsHeld) => "scheduled posts held (brake or crisis alert)",
        (Lang::Fr, PostsHeld) => "publications programmées retenues (frein ou alerte de crise)",
        (Lang::En, FaqRead) => "messages read by the language model for FAQ entries",
        (Lang::Fr, FaqRead) => "messages lus par le modèle de langue pour les entrées de FAQ",
        (Lang::En, FaqByWords) => {
            "FAQ entries: matched on words only, THE LANGUAGE MODEL IS NOT AVAILABLE: every FAQ answer is a draft"
        }
        (Lang::Fr, FaqByWords) => {
            "entrées de FAQ : reconnues par les mots seulement, LE MODÈLE DE LANGUE N'EST PAS DISPONIBLE : chaque réponse de FAQ est un brouillon"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_exists_in_both_languages_and_differs() {
        for m in Msg::ALL {
            assert!(!t(Lang::Fr, *m).is_empty() && !t(Lang::En, *m).is_empty());
            assert_ne!(t(Lang::Fr, *m), t(Lang::En, *m), "{m:?} is not translated");
        }
    }
}
