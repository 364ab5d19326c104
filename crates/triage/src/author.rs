//! Author kind: person or organisation, from the configured list of known media and brands and
//! from the profile (name, bio, verified badge, followers/following ratio).

use aho_corasick::AhoCorasick;
use palabre_core::{Author, AuthorKind};
use std::sync::LazyLock;

use crate::fold::fold_str;
use crate::lexicon::FastSet;

const ORG_BIO: &[&str] = &[
    "official",
    "officiel",
    "officielle",
    "compte officiel",
    "official account",
    "service client",
    "customer service",
    "customer care",
    "support",
    "company",
    "entreprise",
    "societe",
    "since 19",
    "since 20",
    "depuis 19",
    "depuis 20",
    "store",
    "boutique",
    "magasin",
    "restaurant",
    "hotels",
    "hotel",
    "bank",
    "banque",
    "chaine",
    "channel",
    "news",
    "actualite",
    "info en continu",
    "radio",
    "magazine",
    "quotidien",
    "newspaper",
    "broadband",
    "provider",
    "operateur",
    "airline",
    "compagnie",
    "salles de sport",
    "gyms",
    "livraison",
    "delivery",
    "deals",
    "offres",
    "our ",
    "notre ",
    "nos ",
    "we ",
    "nous ",
    "agence",
    "agency",
    "brand",
    "marque",
    "shop",
    "la chaine",
    "your favourite",
    "vos series",
    "book at",
];

/// Whole words at the end or inside a display name (the name is padded with spaces, and each
/// entry ends with one, so ` sa ` never matches `Sam`).
const ORG_NAME: &[&str] = &[
    " ltd ",
    " inc ",
    " sa ",
    " sas ",
    " sarl ",
    " gmbh ",
    " llc ",
    " group ",
    " groupe ",
    " france ",
    " uk ",
    " official ",
    " officiel ",
    " tv ",
    " news ",
    " store ",
    " shop ",
    " bank ",
    " banque ",
    " hotel ",
    " airlines ",
];

const PERSON_BIO: &[&str] = &[
    "my own",
    "mes propres",
    "avis perso",
    "opinions",
    "mum",
    "mom",
    "dad",
    "papa",
    "maman",
    "wife",
    "husband",
    "mari",
    "femme de",
    "student",
    "etudiant",
    "etudiante",
    "lover",
    "fan de",
    "fan of",
    "he/him",
    "she/her",
    "il/lui",
    "elle/elle",
    "i ",
    "je ",
    "j'",
    "journaliste",
    "journalist",
    "retired",
    "retraite",
    "prof ",
    "teacher",
    "nurse",
    "ingenieur",
    "engineer",
    "gamer",
    "my ",
    "mon ",
    "ma ",
    "mes ",
];

/// A list of needles found in one pass over the text (testing each with `contains` was a tenth
/// of the pipeline thread's instructions: 120 scans of the bio and the name per message).
struct Needles {
    list: &'static [&'static str],
    automaton: Option<AhoCorasick>,
}

impl Needles {
    fn new(list: &'static [&'static str]) -> Self {
        Needles {
            list,
            automaton: AhoCorasick::new(list).ok(),
        }
    }

    /// How many distinct needles occur in `hay`, counting up to `cap`.
    fn count(&self, hay: &str, cap: usize) -> usize {
        let Some(automaton) = &self.automaton else {
            // Building cannot fail for these short lists (a test checks it); if it ever did,
            // the answer stays right, only slower.
            return self
                .list
                .iter()
                .filter(|n| hay.contains(*n))
                .count()
                .min(cap);
        };
        let mut seen = 0u128;
        for m in automaton.find_overlapping_iter(hay) {
            seen |= 1u128 << (m.pattern().as_usize() % 128);
            if seen.count_ones() as usize >= cap {
                break;
            }
        }
        (seen.count_ones() as usize).min(cap)
    }
}

static ORG_BIO_NEEDLES: LazyLock<Needles> = LazyLock::new(|| Needles::new(ORG_BIO));
static ORG_NAME_NEEDLES: LazyLock<Needles> = LazyLock::new(|| Needles::new(ORG_NAME));
static PERSON_BIO_NEEDLES: LazyLock<Needles> = LazyLock::new(|| Needles::new(PERSON_BIO));

/// Person or organisation; `known` holds lowercase handles without `@`.
pub fn classify(author: &Author, known: &FastSet) -> AuthorKind {
    if let Some(h) = &author.handle {
        let h = h.trim_start_matches('@').to_lowercase();
        if known.contains(h.as_str()) {
            return AuthorKind::Organisation;
        }
    }
    let bio = format!(" {} ", fold_str(author.bio.as_deref().unwrap_or("")));
    let name = format!(
        " {} ",
        fold_str(author.display_name.as_deref().unwrap_or(""))
    );
    let mut score: i32 = 0;
    score += 2 * ORG_BIO_NEEDLES.count(&bio, 2) as i32;
    score += 2 * ORG_NAME_NEEDLES.count(&name, 1) as i32;
    score -= 2 * PERSON_BIO_NEEDLES.count(&bio, 2) as i32;
    if let (Some(followers), Some(following)) = (author.followers, author.following) {
        if followers >= 20_000 && following.saturating_mul(20) < followers {
            score += 1;
        }
        if followers < 500 && following > followers {
            score -= 1;
        }
    }
    if author.verified {
        score += 1;
    }
    if score >= 2 {
        AuthorKind::Organisation
    } else {
        AuthorKind::Person
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needles_are_matched_in_one_pass_and_counted_once() {
        for needles in [&*ORG_BIO_NEEDLES, &*ORG_NAME_NEEDLES, &*PERSON_BIO_NEEDLES] {
            assert!(needles.automaton.is_some());
            assert!(needles.list.len() <= 128, "one bit per needle");
        }
        // The same as testing each needle with `contains`: distinct needles, overlaps included.
        for bio in [
            " compte officiel du service client ",
            " official official official ",
            " notre boutique, nos offres, our store ",
            " la chaine info ",
            " ",
        ] {
            let naive = ORG_BIO.iter().filter(|n| bio.contains(*n)).count();
            for cap in [1, 2, 100] {
                assert_eq!(
                    ORG_BIO_NEEDLES.count(bio, cap),
                    naive.min(cap),
                    "{bio} {cap}"
                );
            }
        }
    }

    #[test]
    fn a_name_that_starts_like_a_company_suffix_is_still_a_person() {
        let known = FastSet::default();
        for name in [
            "Sam Taylor",
            "Sabine Martin",
            "Inès Groupil",
            "Tvrtko Novak",
        ] {
            let a = Author {
                id: "1".into(),
                display_name: Some(name.into()),
                ..Author::default()
            };
            assert_eq!(classify(&a, &known), AuthorKind::Person, "{name}");
        }
        let company = Author {
            id: "2".into(),
            display_name: Some("Dupont SA".into()),
            bio: Some("Entreprise familiale depuis 1952".into()),
            ..Author::default()
        };
        assert_eq!(classify(&company, &known), AuthorKind::Organisation);
    }

    fn author(name: &str, bio: &str, verified: bool, followers: u64, following: u64) -> Author {
        Author {
            id: "1".into(),
            handle: Some("x".into()),
            display_name: Some(name.into()),
            verified,
            followers: Some(followers),
            following: Some(following),
            bio: Some(bio.into()),
        }
    }

    #[test]
    fn reads_profiles() {
        let known = FastSet::default();
        assert_eq!(
            classify(
                &author(
                    "Air France",
                    "Compte officiel d'Air France",
                    true,
                    1_000_000,
                    300
                ),
                &known
            ),
            AuthorKind::Organisation
        );
        assert_eq!(
            classify(
                &author(
                    "Boulangerie Martin",
                    "Boulangerie artisanale depuis 1982",
                    false,
                    2000,
                    150
                ),
                &known
            ),
            AuthorKind::Organisation
        );
        assert_eq!(
            classify(
                &author(
                    "Karine",
                    "Journaliste. Opinions are my own",
                    true,
                    48_000,
                    2000
                ),
                &known
            ),
            AuthorKind::Person
        );
        assert_eq!(
            classify(&author("Jane", "coffee, cats", false, 200, 300), &known),
            AuthorKind::Person
        );
        assert_eq!(classify(&Author::default(), &known), AuthorKind::Person);
    }

    #[test]
    fn known_list_wins() {
        let mut known = FastSet::default();
        known.insert("francetvinfo".into());
        let a = Author {
            handle: Some("@FranceTVinfo".into()),
            ..Author::default()
        };
        assert_eq!(classify(&a, &known), AuthorKind::Organisation);
    }
}
