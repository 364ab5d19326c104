//! Rich-text facets of an outgoing post (pure): `@handle` mentions, `http(s)://` links and
//! `#tags` found in the text, with their UTF-8 **byte** offsets as `app.bsky.richtext.facet`
//! wants them. Mentions name a DID: the caller resolves handles, and a handle that does not
//! resolve stays plain text, as in Bluesky's own client.

use serde_json::{Value, json};

/// What a span of the text is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feature {
    /// `@alice.test`: the handle without its `@`.
    Mention(String),
    Link(String),
    /// `#Élections`: the tag without its `#`.
    Tag(String),
}

/// A facet before resolution: bytes `start..end` of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub feature: Feature,
}

/// Tags longer than this (in characters) are not tags (Bluesky's limit is 64).
const MAX_TAG_CHARS: usize = 64;

/// Finds mentions, links and tags, in order, without overlaps.
pub fn detect(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        let at_boundary = text[..i]
            .chars()
            .next_back()
            .is_none_or(|p| p.is_whitespace() || matches!(p, '(' | '[' | '{' | '«' | '"'));
        if at_boundary
            && let Some(span) = mention(rest).or_else(|| link(rest)).or_else(|| tag(rest))
        {
            let (len, feature) = span;
            spans.push(Span {
                start: i,
                end: i + len,
                feature,
            });
            i += len;
            continue;
        }
        i += c.len_utf8();
    }
    spans
}

/// `@handle` at the start of `s`: its length in bytes (with the `@`) and the handle.
fn mention(s: &str) -> Option<(usize, Feature)> {
    let body = s.strip_prefix('@')?;
    let len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .unwrap_or(body.len());
    let handle = body[..len].trim_end_matches(['.', '-']);
    is_handle(handle).then(|| (1 + handle.len(), Feature::Mention(handle.to_owned())))
}

/// The atproto handle syntax: dot-separated labels of letters, digits and inner hyphens,
/// at least two, the last one not starting with a digit.
fn is_handle(h: &str) -> bool {
    let labels: Vec<&str> = h.split('.').collect();
    h.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.starts_with(|c: char| c.is_ascii_alphabetic()))
}

/// `http(s)://…` at the start of `s`, up to a space, without the punctuation that ends a
/// sentence (a closing parenthesis stays when the link opened one).
fn link(s: &str) -> Option<(usize, Feature)> {
    if !(s.starts_with("https://") || s.starts_with("http://")) {
        return None;
    }
    let mut url = &s[..s.find(char::is_whitespace).unwrap_or(s.len())];
    loop {
        let trimmed = url.trim_end_matches(['.', ',', ';', ':', '!', '?', '"', '\'', '»']);
        let trimmed = match trimmed.strip_suffix(')') {
            Some(t) if !t.contains('(') => t,
            _ => trimmed,
        };
        if trimmed.len() == url.len() {
            break;
        }
        url = trimmed;
    }
    let host = url.split_once("://").map_or("", |(_, r)| r);
    (!host.is_empty() && host.contains('.')).then(|| (url.len(), Feature::Link(url.to_owned())))
}

/// `#tag` (or the full-width `＃`) at the start of `s`: up to a space, without trailing
/// punctuation; it must hold a letter (`#2026` is not a tag).
fn tag(s: &str) -> Option<(usize, Feature)> {
    let (hash_len, body) = if let Some(b) = s.strip_prefix('#') {
        (1, b)
    } else {
        ('＃'.len_utf8(), s.strip_prefix('＃')?)
    };
    let end = body
        .find(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    '\u{00AD}' | '\u{2060}' | '\u{200A}'..='\u{200D}' | '\u{20E2}'
                )
        })
        .unwrap_or(body.len());
    let tag = body[..end]
        .trim_end_matches(|c: char| c.is_ascii_punctuation() || matches!(c, '…' | '»' | '«'));
    let chars = tag.chars().count();
    (chars > 0 && chars <= MAX_TAG_CHARS && tag.chars().any(char::is_alphabetic))
        .then(|| (hash_len + tag.len(), Feature::Tag(tag.to_owned())))
}

/// The `facets` array of a post: each span with its resolved feature; mentions whose handle
/// `resolve` does not know are left out.
pub fn to_json(spans: &[Span], mut resolve: impl FnMut(&str) -> Option<String>) -> Vec<Value> {
    spans
        .iter()
        .filter_map(|s| {
            let feature = match &s.feature {
                Feature::Mention(handle) => json!({
                    "$type": "app.bsky.richtext.facet#mention",
                    "did": resolve(handle)?,
                }),
                Feature::Link(uri) => json!({"$type": "app.bsky.richtext.facet#link", "uri": uri}),
                Feature::Tag(tag) => json!({"$type": "app.bsky.richtext.facet#tag", "tag": tag}),
            };
            Some(json!({
                "index": {"byteStart": s.start, "byteEnd": s.end},
                "features": [feature],
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slices<'t>(text: &'t str, spans: &[Span]) -> Vec<&'t str> {
        spans.iter().map(|s| &text[s.start..s.end]).collect()
    }

    #[test]
    fn byte_offsets_on_french_text() {
        let text = "Merci @alice.test ! Voir https://exemple.fr #Élections";
        let spans = detect(text);
        assert_eq!(
            spans,
            vec![
                Span {
                    start: 6,
                    end: 17,
                    feature: Feature::Mention("alice.test".into())
                },
                Span {
                    start: 25,
                    end: 43,
                    feature: Feature::Link("https://exemple.fr".into())
                },
                // `É` is two bytes: the tag ends at byte 55, character 54.
                Span {
                    start: 44,
                    end: 55,
                    feature: Feature::Tag("Élections".into())
                },
            ]
        );
        assert_eq!(text.chars().count(), 54);
        assert_eq!(
            slices(text, &spans),
            ["@alice.test", "https://exemple.fr", "#Élections"]
        );
    }

    #[test]
    fn offsets_count_bytes_after_emoji_and_accents() {
        let text = "😀 Été : voir (https://exemple.fr/a?b=c). @bob.example.com, #MonRésultat…";
        let spans = detect(text);
        assert_eq!(
            slices(text, &spans),
            [
                "https://exemple.fr/a?b=c",
                "@bob.example.com",
                "#MonRésultat"
            ]
        );
        // The emoji is 4 bytes, each accented letter 2: byte 19, character 14.
        assert_eq!(spans[0].start, 19);
        assert_eq!(text[..19].chars().count(), 14);
    }

    #[test]
    fn what_is_not_a_facet() {
        for text in [
            "mail me: alice@example.com",
            "@localhost is not a handle",
            "@bad.1tld neither",
            "#2026 is a number",
            "a#b is inside a word",
            "http:// alone",
            "see example.com without a scheme",
        ] {
            assert_eq!(detect(text), vec![], "{text}");
        }
        // A trailing dot ends the sentence, not the handle.
        let text = "Thanks @alice.test.";
        assert_eq!(slices(text, &detect(text)), ["@alice.test"]);
        // A full-width hash is a tag too; its 3 bytes count.
        let text = "＃選挙 ok";
        let spans = detect(text);
        assert_eq!(spans[0].end, 3 + "選挙".len());
        assert_eq!(spans[0].feature, Feature::Tag("選挙".into()));
    }

    #[test]
    fn unresolved_mentions_are_left_out() {
        let text = "@alice.test @ghost.test #tag";
        let json = to_json(&detect(text), |h| {
            (h == "alice.test").then(|| "did:plc:alice".to_owned())
        });
        assert_eq!(json.len(), 2);
        assert_eq!(json[0]["features"][0]["did"], "did:plc:alice");
        assert_eq!(json[0]["index"]["byteEnd"], 11);
        assert_eq!(
            json[1]["features"][0]["$type"],
            "app.bsky.richtext.facet#tag"
        );
        assert_eq!(json[1]["features"][0]["tag"], "tag");
        assert_eq!(json[1]["index"]["byteStart"], 24);
    }
}
