//! Spam: the get-rich-quick and crypto bait that hijacks a trending hashtag (a campaign's
//! included), read from its words and its shape. A rule reader, so it is sure or silent: two
//! signs of bait and a way out (a link, a pile of hashtags, "DM me"), or three signs.

use crate::text::{Kind, Prepared};

/// Words of crypto schemes and quick money.
const SCHEME: &[&str] = &[
    "crypto",
    "cryptos",
    "cryptomonnaie",
    "cryptomonnaies",
    "bitcoin",
    "bitcoins",
    "btc",
    "eth",
    "ethereum",
    "usdt",
    "nft",
    "nfts",
    "airdrop",
    "forex",
    "binance",
    "memecoin",
    "trading",
    "earn",
    "gagnez",
    "investissez",
    "invest",
    "profit",
    "profits",
    "100x",
    "1000x",
];

/// Phrases of bait, folded and spaced as words.
const BAIT: &[&str] = &[
    "argent facile",
    "sans rien faire",
    "par jour",
    "revenu passif",
    "revenus passifs",
    "places limitees",
    "rendement garanti",
    "doublez votre",
    "passive income",
    "per day",
    "daily profit",
    "limited spots",
    "get rich",
    "free money",
    "double your",
    "guaranteed returns",
    "click here",
    "cliquez ici",
];

/// Ways out of the platform, where the bait is collected.
const EXIT: &[&str] = &[
    "dm me",
    "dm now",
    "dm moi",
    "link in bio",
    "lien en bio",
    "whatsapp",
    "telegram",
    "inscris toi",
    "ecris moi en prive",
];

/// Hashtags piled at the end of a post to reach every trend.
const HASHTAG_PILE: usize = 3;

/// Is the message spam?
pub fn detect(p: &Prepared) -> bool {
    let mut words: Vec<&str> = Vec::with_capacity(p.tokens.len());
    let mut hashtags = 0;
    let mut links = 0;
    let mut signs = 0;
    for t in &p.tokens {
        match t.kind {
            Kind::Word | Kind::Number => words.push(p.fold(t)),
            Kind::Hashtag => {
                hashtags += 1;
                let tag = p.fold(t).trim_start_matches('#');
                if SCHEME.contains(&tag) {
                    signs += 1;
                }
            }
            Kind::Url => links += 1,
            _ => {}
        }
    }
    // Returns like "500%" or "1000€" promised in the same breath as the bait.
    signs += words.iter().filter(|w| SCHEME.contains(w)).count();
    let phrase = |list: &[&str]| {
        list.iter()
            .filter(|phrase| {
                let parts: Vec<&str> = phrase.split(' ').collect();
                words.windows(parts.len()).any(|w| w == parts.as_slice())
            })
            .count()
    };
    signs += phrase(BAIT);
    let exits = phrase(EXIT);
    signs += exits;
    let way_out = exits > 0 || links > 0 || hashtags >= HASHTAG_PILE;
    signs >= 3 || (signs >= 2 && way_out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::prepare;

    #[test]
    fn bait_with_a_way_out_is_spam() {
        for spam in [
            "🚀 #MonRésultat 69003 Earn 500% daily with our crypto trading bot! Bitcoin airdrop, DM now 👉 https://bit.ly/xx #crypto #btc",
            "Gagnez 1000€ par jour sans rien faire 💰 #MonRésultat 75011 inscris-toi vite sur mon lien en bio, places limitées",
            "Passive income with NFTs, guaranteed returns, link in bio",
            "Investissez dans le bitcoin, écris-moi en privé sur WhatsApp",
        ] {
            assert!(detect(&prepare(spam)), "{spam}");
        }
    }

    #[test]
    fn people_talking_about_money_or_crypto_are_not_spam() {
        for ham in [
            "#MonRésultat 69003",
            "Mon remboursement n'est toujours pas arrivé, ça fait 3 semaines, je paie 40€ par mois pour rien",
            "Is the bitcoin payment option still available on your site? https://shop.example/pay",
            "J'ai perdu 200€ en trading, c'est ma faute, pas la vôtre",
            "Trois vols par jour vers Lyon ? Super, merci @aerolune",
            "How much is the fare per day for a rental car at JFK?",
            "Concours ! Gagnez deux places pour le concert #concours #musique #live",
        ] {
            assert!(!detect(&prepare(ham)), "{ham}");
        }
    }
}
