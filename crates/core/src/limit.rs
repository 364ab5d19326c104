//! Platform length limits, and cutting a reply cleanly: never inside a word or a link.

use crate::Platform;
use unicode_segmentation::UnicodeSegmentation;

/// How a platform counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// X's weighted count: most Latin, Greek, Cyrillic, Hebrew and Arabic characters count 1,
    /// everything else (CJK, emoji…) counts 2. Links are counted at their real length, which
    /// is never less than X's 23.
    XWeighted,
    /// Unicode scalar values (Mastodon).
    Chars,
    /// Extended grapheme clusters (Bluesky).
    Graphemes,
    /// UTF-8 bytes (Google's review replies).
    Bytes,
}

/// A platform's limit on one post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: usize,
    pub unit: Unit,
}

impl Limit {
    /// 280 on X, 500 characters on Mastodon, 300 graphemes on Bluesky, 2,000 on Messenger,
    /// 1,000 on Instagram, 4,096 bytes on Google reviews, 2,000 on Trustpilot; the generic format takes X's, the strictest.
    pub fn for_platform(platform: Platform) -> Limit {
        let (max, unit) = match platform {
            Platform::X | Platform::Generic => (280, Unit::XWeighted),
            Platform::Mastodon => (500, Unit::Chars),
            Platform::Bluesky => (300, Unit::Graphemes),
            Platform::Messenger => (2000, Unit::Chars),
            Platform::Instagram => (1000, Unit::Chars),
            // Google's reply `comment` is limited to 4,096 bytes. Trustpilot documents no
            // limit for replies; 2,000 characters keeps an answer readable.
            Platform::Google => (4096, Unit::Bytes),
            Platform::Trustpilot => (2000, Unit::Chars),
        };
        Limit { max, unit }
    }

    /// What the platform takes in a post of the brand's own: as in an answer, except on a
    /// Facebook Page (63,206 characters) and Instagram (a caption of 2,200).
    pub fn for_post(platform: Platform) -> Limit {
        match platform {
            Platform::Messenger => Limit {
                max: 63_206,
                unit: Unit::Chars,
            },
            Platform::Instagram => Limit {
                max: 2_200,
                unit: Unit::Chars,
            },
            other => Limit::for_platform(other),
        }
    }

    /// The length of `text` as the platform counts it.
    pub fn measure(&self, text: &str) -> usize {
        match self.unit {
            Unit::Chars => text.chars().count(),
            Unit::Graphemes => text.graphemes(true).count(),
            Unit::Bytes => text.len(),
            Unit::XWeighted => text.chars().map(x_weight).sum(),
        }
    }

    pub fn fits(&self, text: &str) -> bool {
        self.measure(text) <= self.max
    }

    /// `text` cut to fit: whole words followed by `…`, keeping a link that ends the text
    /// whole when there is room for it. `None` when not even the first word fits.
    pub fn cut(&self, text: &str) -> Option<String> {
        if self.fits(text) {
            return Some(text.to_owned());
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        let links = words.iter().rev().take_while(|w| is_link(w)).count();
        let (prose, tail) = words.split_at(words.len() - links);
        let tail = tail.join(" ");
        for keep_tail in [true, false] {
            if keep_tail && tail.is_empty() {
                continue;
            }
            let suffix = if keep_tail {
                format!("… {tail}")
            } else {
                "…".to_owned()
            };
            let budget = self.max.saturating_sub(self.measure(&suffix));
            let mut out = String::new();
            for word in prose.iter().filter(|w| !is_link(w)) {
                let sep = usize::from(!out.is_empty());
                if self.measure(&out) + sep + self.measure(word) > budget {
                    break;
                }
                if sep == 1 {
                    out.push(' ');
                }
                out.push_str(word);
            }
            let out = out.trim_end_matches([',', ';', ':', '-', '–', '—']);
            if !out.is_empty() {
                return Some(format!("{out}{suffix}"));
            }
        }
        None
    }
}

fn is_link(word: &str) -> bool {
    word.starts_with("https://") || word.starts_with("http://")
}

fn x_weight(c: char) -> usize {
    match u32::from(c) {
        0..=4351 | 8192..=8205 | 8208..=8223 | 8242..=8247 => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_platform() {
        assert_eq!(Limit::for_platform(Platform::X).max, 280);
        assert_eq!(Limit::for_platform(Platform::Mastodon).max, 500);
        let bsky = Limit::for_platform(Platform::Bluesky);
        assert_eq!(bsky.measure("👍🏽é"), 2);
        assert_eq!(Limit::for_platform(Platform::X).measure("a🗳"), 3);
    }

    #[test]
    fn cuts_between_words_and_keeps_the_link() {
        let limit = Limit {
            max: 40,
            unit: Unit::Chars,
        };
        let text = "Résultats de Villeurbanne : participation élevée https://r.example/69266";
        let cut = limit.cut(text).unwrap();
        assert!(limit.fits(&cut), "{cut}");
        assert!(cut.ends_with("https://r.example/69266"), "{cut}");
        assert_eq!(cut, "Résultats de… https://r.example/69266");
        let tiny = Limit {
            max: 12,
            unit: Unit::Chars,
        };
        // No room for the link: it goes, whole; words are never split.
        assert_eq!(tiny.cut(text).unwrap(), "Résultats…");
        assert_eq!(tiny.cut("Anticonstitutionnellement"), None);
    }
}
