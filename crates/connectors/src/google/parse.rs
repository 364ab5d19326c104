//! Google Business Profile JSON → `Message`: a `Review` (or a page of them under `reviews`)
//! becomes a review message. `starRating` `ONE`…`FIVE` is the rating; `comment` the text (a
//! rating may come alone); the reviewer has no stable id in the API, so the author id is
//! derived from the review (`review:REVIEW_ID`); an anonymous reviewer is shown as Google
//! names them. Reviews Google has translated keep the original only.

use crate::json::{parse_error, timestamp};
use crate::{Event, NormalizeError, Normalized};
use palabre_core::message::{MessageText, Rating};
use palabre_core::{Author, EventId, ExternalId, Message, MessageKind, Platform};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Review<'a> {
    #[serde(borrow)]
    review_id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    reviewer: Reviewer,
    #[serde(borrow)]
    star_rating: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    comment: String,
    #[serde(borrow)]
    create_time: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Reviewer {
    display_name: Option<String>,
}

#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow, default)]
    reviews: Vec<&'a RawValue>,
}

/// Parses one Google document: a review, or a page with `reviews`.
pub fn parse_into(line: &str, out: &mut Vec<Normalized>) {
    let trimmed = line.trim_start();
    let is_page = serde_json::from_str::<PageProbe>(trimmed)
        .map(|p| p.reviews.is_some())
        .unwrap_or(false);
    if is_page {
        match serde_json::from_str::<Page>(trimmed) {
            Ok(page) => {
                for review in page.reviews {
                    out.push(one(review.get()));
                }
            }
            Err(e) => out.push(Err(parse_error("Google reviews page", e))),
        }
    } else {
        out.push(one(line));
    }
}

#[derive(Deserialize)]
struct PageProbe {
    reviews: Option<serde::de::IgnoredAny>,
}

fn one(raw: &str) -> Normalized {
    let review: Review = serde_json::from_str(raw).map_err(|e| parse_error("Google review", e))?;
    build(review, Arc::from(raw))
}

/// `ONE`…`FIVE` as stars.
pub fn stars(rating: &str) -> Option<u8> {
    Some(match rating {
        "ONE" => 1,
        "TWO" => 2,
        "THREE" => 3,
        "FOUR" => 4,
        "FIVE" => 5,
        _ => return None,
    })
}

/// The text as the reviewer wrote it: Google prefixes translated reviews with
/// `(Translated by Google) …` and appends `(Original) …`.
fn original(comment: &str) -> &str {
    match comment.split_once("(Original)") {
        Some((translated, original))
            if translated
                .trim_start()
                .starts_with("(Translated by Google)") =>
        {
            original.trim()
        }
        _ => comment.trim(),
    }
}

fn build(review: Review, raw: Arc<str>) -> Normalized {
    // `reviewId`, else the last segment of `name` (…/reviews/REVIEW_ID).
    let id = review
        .review_id
        .as_deref()
        .or_else(|| review.name.as_deref().and_then(|n| n.rsplit('/').next()))
        .filter(|id| !id.is_empty())
        .ok_or_else(|| NormalizeError::unknown_shape("Google review without `reviewId`"))?;
    let id = ExternalId::new(id)?;
    let created_at = timestamp(
        review
            .create_time
            .as_deref()
            .ok_or_else(|| NormalizeError::parse("Google review without `createTime`"))?,
        "createTime",
    )?;
    let rating = match review.star_rating.as_deref() {
        None | Some("STAR_RATING_UNSPECIFIED") => None,
        Some(r) => Some(
            stars(r)
                .and_then(|s| Rating::new(i64::from(s)))
                .ok_or_else(|| {
                    NormalizeError::parse(format!("starRating `{r}` is not ONE to FIVE"))
                })?,
        ),
    };
    let author = Author {
        id: format!("review:{}", id.as_str()),
        display_name: review.reviewer.display_name.filter(|n| !n.is_empty()),
        ..Author::default()
    };
    let mut message = Message::new(
        EventId::new(Platform::Google, id),
        MessageKind::Review,
        MessageText::new(original(&review.comment))?,
        author,
        created_at,
    );
    message.rating = rating;
    message.raw = raw;
    Ok(Event::Message(Box::new(message)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn message(json: &str) -> Box<Message> {
        let mut out = Vec::new();
        parse_into(json, &mut out);
        match out.remove(0) {
            Ok(Event::Message(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn translated_reviews_keep_the_original_and_bad_ratings_are_refused() {
        let m = message(
            r#"{"reviewId":"r1","starRating":"FIVE","createTime":"2026-03-22T20:01:05Z","comment":"(Translated by Google) Very good\n\n(Original)\nTrès bien"}"#,
        );
        assert_eq!(m.text.as_str(), "Très bien");
        assert_eq!(m.rating.map(Rating::stars), Some(5));
        let mut out = Vec::new();
        parse_into(
            r#"{"reviewId":"r2","starRating":"SIX","createTime":"2026-03-22T20:01:05Z"}"#,
            &mut out,
        );
        assert!(out[0].as_ref().unwrap_err().message.contains("SIX"));
        let mut out = Vec::new();
        parse_into(
            r#"{"starRating":"ONE","createTime":"2026-03-22T20:01:05Z"}"#,
            &mut out,
        );
        assert!(out[0].is_err(), "no id");
        let m = message(
            r#"{"name":"accounts/1/locations/2/reviews/r3","createTime":"2026-03-22T20:01:05Z"}"#,
        );
        assert_eq!(m.id.external.as_str(), "r3");
        assert_eq!(m.rating, None);
    }
}
