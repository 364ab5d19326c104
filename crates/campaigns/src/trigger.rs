//! One Aho-Corasick automaton over the triggers of every campaign, so that matching a message
//! costs one pass over its folded text whatever the number of campaigns.

use crate::fold::{fold, is_word_char};
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::HashMap;

/// The triggers of one campaign, as written.
#[derive(Debug, Clone, Default)]
pub struct Triggers {
    /// Without `#`.
    pub hashtags: Vec<String>,
    pub keywords: Vec<String>,
}

/// What triggered a campaign in one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Hit {
    pub campaign: u32,
    pub hashtag: bool,
    pub keyword: bool,
}

#[derive(Debug)]
struct Pattern {
    hashtag: bool,
    campaigns: Vec<u32>,
}

/// The automaton and, for each of its patterns, the campaigns it triggers.
#[derive(Debug)]
pub struct TriggerIndex {
    matcher: AhoCorasick,
    patterns: Vec<Pattern>,
    /// Folded hashtag (no `#`) → pattern, for the hashtags a platform lists apart.
    hashtags: HashMap<String, usize>,
}

impl TriggerIndex {
    /// Builds the index; campaign `i` of `triggers` is campaign number `i` in hits.
    pub fn build(triggers: &[Triggers]) -> Result<TriggerIndex, String> {
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut texts: Vec<String> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        for (c, t) in triggers.iter().enumerate() {
            let c = u32::try_from(c).map_err(|_| "too many campaigns".to_owned())?;
            let tags = t.hashtags.iter().map(|h| (true, format!("#{}", fold(h))));
            let words = t.keywords.iter().map(|k| (false, fold(k)));
            for (hashtag, text) in tags.chain(words) {
                let id = *ids.entry(text.clone()).or_insert_with(|| {
                    texts.push(text);
                    patterns.push(Pattern {
                        hashtag,
                        campaigns: Vec::new(),
                    });
                    patterns.len() - 1
                });
                if let Some(p) = patterns.get_mut(id)
                    && p.campaigns.last() != Some(&c)
                {
                    p.campaigns.push(c);
                }
            }
        }
        let hashtags = texts
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.strip_prefix('#').map(|h| (h.to_owned(), i)))
            .collect();
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&texts)
            .map_err(|e| format!("cannot build the trigger automaton: {e}"))?;
        Ok(TriggerIndex {
            matcher,
            patterns,
            hashtags,
        })
    }

    /// Number of distinct trigger texts.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The campaigns triggered by a message: `folded` is its text folded, `hashtags` the
    /// hashtags its platform lists (as written). Hits are sorted by campaign, one per campaign.
    /// A hashtag glued to a postal code (`#monresultat69003`) triggers too: the offset where
    /// the code starts is pushed to `glued`, so that the caller can read the code apart.
    pub fn scan(
        &self,
        folded: &str,
        hashtags: &[String],
        out: &mut Vec<Hit>,
        glued: &mut Vec<usize>,
    ) {
        out.clear();
        glued.clear();
        let mut add = |pattern: usize| {
            if let Some(p) = self.patterns.get(pattern) {
                for &campaign in &p.campaigns {
                    out.push(Hit {
                        campaign,
                        hashtag: p.hashtag,
                        keyword: !p.hashtag,
                    });
                }
            }
        };
        for m in self.matcher.find_overlapping_iter(folded) {
            let hashtag = self
                .patterns
                .get(m.pattern().as_usize())
                .is_some_and(|p| p.hashtag);
            let before = folded.get(..m.start()).and_then(|s| s.chars().next_back());
            let after = folded.get(m.end()..).and_then(|s| s.chars().next());
            let whole = after.is_none_or(|c| !is_word_char(c))
                && (hashtag || before.is_none_or(|c| !is_word_char(c)));
            if whole {
                add(m.pattern().as_usize());
            } else if hashtag && folded.get(m.end()..).is_some_and(starts_with_glued_code) {
                glued.push(m.end());
                add(m.pattern().as_usize());
            }
        }
        for tag in hashtags {
            if let Some(&p) = self
                .hashtags
                .get(fold(tag.trim_start_matches('#')).as_str())
            {
                add(p);
            }
        }
        if out.len() > 1 {
            out.sort_unstable_by_key(|h| h.campaign);
            out.dedup_by(|later, first| {
                if later.campaign == first.campaign {
                    first.hashtag |= later.hashtag;
                    first.keyword |= later.keyword;
                    true
                } else {
                    false
                }
            });
        }
    }
}

/// Does `rest` start with a postal code written against the hashtag before it: five digits
/// (or the letter o for some zeros, at least three real digits), then the end of the word?
/// `69003`, `69oo3`; not `2026` (a year) nor `69003abc`.
fn starts_with_glued_code(rest: &str) -> bool {
    const LEN: usize = 5;
    let run = rest
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'o')
        .count();
    let digits = rest.bytes().take(run).filter(u8::is_ascii_digit).count();
    let ends = rest.get(run..).and_then(|r| r.chars().next());
    run == LEN && digits >= 3 && ends.is_none_or(|c| !is_word_char(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accent_and_case_insensitive_whole_triggers() {
        let index = TriggerIndex::build(&[
            Triggers {
                hashtags: vec!["MonRésultat".into()],
                keywords: vec![],
            },
            Triggers {
                hashtags: vec![],
                keywords: vec!["prix".into(), "how much".into()],
            },
        ])
        .unwrap();
        let mut hits = Vec::new();
        let mut glued = Vec::new();
        let mut scan = |text: &str, tags: &[String], hits: &mut Vec<Hit>| {
            index.scan(text, tags, hits, &mut glued);
            glued.clone()
        };
        scan(&fold("#MonResultat 69003"), &[], &mut hits);
        assert_eq!(hits.len(), 1);
        assert!(hits[0].hashtag && hits[0].campaign == 0);
        scan(&fold("#monrésultats 69003"), &[], &mut hits);
        assert!(hits.is_empty(), "a longer hashtag is another hashtag");
        scan(&fold("Le PRIX ? How much?"), &[], &mut hits);
        assert_eq!(hits.len(), 1);
        assert!(hits[0].keyword && hits[0].campaign == 1);
        scan(&fold("surprix"), &[], &mut hits);
        assert!(hits.is_empty());
        scan("no tag in the text", &["MONRÉSULTAT".into()], &mut hits);
        assert_eq!(hits.len(), 1);
        // A hashtag glued to a postal code is the hashtag, and the code starts where it ends.
        assert_eq!(
            scan(&fold("#MonRésultat69003 svp"), &[], &mut hits),
            vec![12]
        );
        assert!(hits[0].hashtag && hits[0].campaign == 0);
        assert_eq!(scan(&fold("#monresultat69OO3"), &[], &mut hits), vec![12]);
        for other in [
            "#MonRésultat2026",
            "#MonRésultat690031",
            "#MonRésultat69003b",
        ] {
            scan(&fold(other), &[], &mut hits);
            assert!(hits.is_empty(), "{other} is another hashtag");
        }
    }
}
