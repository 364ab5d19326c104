//! `--format auto`: recognise a line's platform by the top-level keys of its JSON object.

use crate::json::parse_error;
use crate::{Format, NormalizeError};
use serde::Deserialize;
use serde::de::IgnoredAny;

/// Which top-level keys are present (values are skipped, not built).
#[derive(Deserialize)]
struct Probe {
    data: Option<IgnoredAny>,
    object: Option<String>,
    entry: Option<IgnoredAny>,
    did: Option<IgnoredAny>,
    time_us: Option<IgnoredAny>,
    event: Option<IgnoredAny>,
    payload: Option<IgnoredAny>,
    account: Option<IgnoredAny>,
    content: Option<IgnoredAny>,
    #[serde(rename = "type")]
    kind: Option<IgnoredAny>,
    text: Option<IgnoredAny>,
    id: Option<IgnoredAny>,
    for_user_id: Option<IgnoredAny>,
    #[serde(rename = "reviewId")]
    review_id: Option<IgnoredAny>,
    #[serde(rename = "starRating")]
    star_rating: Option<IgnoredAny>,
    stars: Option<IgnoredAny>,
    consumer: Option<IgnoredAny>,
    /// A page of reviews (Google or Trustpilot): told apart by its first review.
    reviews: Option<Vec<ReviewProbe>>,
}

#[derive(Deserialize)]
struct ReviewProbe {
    #[serde(rename = "reviewId")]
    review_id: Option<IgnoredAny>,
    #[serde(rename = "starRating")]
    star_rating: Option<IgnoredAny>,
    stars: Option<IgnoredAny>,
    consumer: Option<IgnoredAny>,
}

impl ReviewProbe {
    fn google(&self) -> bool {
        self.review_id.is_some() || self.star_rating.is_some()
    }
    fn trustpilot(&self) -> bool {
        self.stars.is_some() || self.consumer.is_some()
    }
}

/// The format of one JSON line, or why none fits.
pub fn detect(line: &str) -> Result<Format, NormalizeError> {
    let trimmed = line.trim_start();
    match trimmed.as_bytes().first() {
        Some(b'{') => {}
        None => return Err(NormalizeError::parse("empty line")),
        Some(_) => {
            // Say what it is when it is valid JSON of another type, else the syntax error.
            return Err(match serde_json::from_str::<serde_json::Value>(trimmed) {
                Ok(v) => NormalizeError::unknown_shape(format!(
                    "expected a JSON object, got {}",
                    json_type(&v)
                )),
                Err(e) => parse_error("line", e),
            });
        }
    }
    let p: Probe = serde_json::from_str(line).map_err(|e| parse_error("line", e))?;
    // X API v2 documents, and X Account Activity webhook bodies (which name the subscribed user).
    if p.data.is_some() || p.for_user_id.is_some() {
        return Ok(Format::X);
    }
    if p.object.is_some() && p.entry.is_some() {
        return Ok(Format::Messenger);
    }
    if p.did.is_some() && p.time_us.is_some() {
        return Ok(Format::Bluesky);
    }
    if (p.event.is_some() && p.payload.is_some())
        || (p.account.is_some() && (p.content.is_some() || p.kind.is_some()))
    {
        return Ok(Format::Mastodon);
    }
    let review = ReviewProbe {
        review_id: p.review_id,
        star_rating: p.star_rating,
        stars: p.stars,
        consumer: p.consumer,
    };
    if review.google() {
        return Ok(Format::Google);
    }
    // Before the generic format: a Trustpilot review has an `id` and a `text` too.
    if p.id.is_some() && review.trustpilot() {
        return Ok(Format::Trustpilot);
    }
    if let Some(first) = p.reviews.as_ref().and_then(|r| r.first()) {
        if first.google() {
            return Ok(Format::Google);
        }
        if first.trustpilot() {
            return Ok(Format::Trustpilot);
        }
    }
    if p.id.is_some() && p.text.is_some() {
        return Ok(Format::Generic);
    }
    let keys: Vec<String> =
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line)
            .map(|m| m.keys().take(8).cloned().collect())
            .unwrap_or_default();
    Err(NormalizeError::unknown_shape(format!(
        "no known format has this shape (top-level keys: {})",
        if keys.is_empty() {
            "none".to_owned()
        } else {
            keys.join(", ")
        }
    )))
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palabre_core::Reason;

    #[test]
    fn recognises_each_shape() {
        assert_eq!(detect(r#"{"data":{"id":"1","text":"hi"}}"#), Ok(Format::X));
        assert_eq!(
            detect(r#"{"for_user_id":"1","tweet_create_events":[]}"#),
            Ok(Format::X)
        );
        assert_eq!(
            detect(r#"{"object":"page","entry":[]}"#),
            Ok(Format::Messenger)
        );
        assert_eq!(
            detect(r#"{"did":"did:plc:a","time_us":1,"kind":"commit"}"#),
            Ok(Format::Bluesky)
        );
        assert_eq!(
            detect(r#"{"event":"update","payload":"{}"}"#),
            Ok(Format::Mastodon)
        );
        assert_eq!(
            detect(r#"{"id":"1","account":{},"content":"<p>x</p>"}"#),
            Ok(Format::Mastodon)
        );
        assert_eq!(
            detect(r#"{"id":"1","type":"mention","account":{}}"#),
            Ok(Format::Mastodon)
        );
        assert_eq!(
            detect(r#"{"id":"g-1","text":"bonjour"}"#),
            Ok(Format::Generic)
        );
        assert_eq!(
            detect(r#"{"reviewId":"r","starRating":"ONE","comment":"x"}"#),
            Ok(Format::Google)
        );
        assert_eq!(
            detect(r#"{"reviews":[{"reviewId":"r"}],"nextPageToken":"t"}"#),
            Ok(Format::Google)
        );
        assert_eq!(
            detect(r#"{"id":"5e","text":"ok","stars":4,"consumer":{}}"#),
            Ok(Format::Trustpilot)
        );
        assert_eq!(
            detect(r#"{"links":[],"reviews":[{"id":"5e","stars":4}]}"#),
            Ok(Format::Trustpilot)
        );
    }

    #[test]
    fn explains_what_it_cannot_recognise() {
        let e = detect("[1,2]").unwrap_err();
        assert_eq!(e.reason, Reason::UnknownShape);
        assert!(e.message.contains("an array"), "{}", e.message);
        let e = detect(r#"{"foo":1,"bar":2}"#).unwrap_err();
        assert_eq!(e.reason, Reason::UnknownShape);
        assert!(
            e.message.contains("foo, bar") || e.message.contains("bar, foo"),
            "{}",
            e.message
        );
        let e = detect(r#"{"data": {"id": "1""#).unwrap_err();
        assert_eq!(e.reason, Reason::ParseError);
        assert!(e.message.contains("truncated"), "{}", e.message);
        assert_eq!(detect("   ").unwrap_err().reason, Reason::ParseError);
        assert_eq!(
            detect("42").unwrap_err().message,
            "expected a JSON object, got a number"
        );
    }
}
