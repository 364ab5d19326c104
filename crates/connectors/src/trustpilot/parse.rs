//! Trustpilot JSON → `Message`: a review (`id`, `stars`, `title`, `text`, `consumer`,
//! `createdAt`), or a page of them under `reviews`, becomes a review message. The title is
//! part of what the consumer wrote: it leads the text, unless the text already starts with it.

use crate::json::{parse_error, timestamp};
use crate::{Event, NormalizeError, Normalized};
use palabre_core::message::{MessageText, Rating};
use palabre_core::{Author, EventId, ExternalId, Message, MessageKind, Platform};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Review {
    id: Option<String>,
    stars: Option<i64>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    text: Option<String>,
    language: Option<String>,
    created_at: Option<String>,
    #[serde(default)]
    consumer: Option<Consumer>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Consumer {
    id: Option<String>,
    display_name: Option<String>,
}

#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow, default)]
    reviews: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct PageProbe {
    reviews: Option<serde::de::IgnoredAny>,
}

/// Parses one Trustpilot document: a review, or a page with `reviews`.
pub fn parse_into(line: &str, out: &mut Vec<Normalized>) {
    let is_page = serde_json::from_str::<PageProbe>(line)
        .map(|p| p.reviews.is_some())
        .unwrap_or(false);
    if is_page {
        match serde_json::from_str::<Page>(line) {
            Ok(page) => out.extend(page.reviews.into_iter().map(|r| one(r.get()))),
            Err(e) => out.push(Err(parse_error("Trustpilot reviews page", e))),
        }
    } else {
        out.push(one(line));
    }
}

fn one(raw: &str) -> Normalized {
    let review: Review =
        serde_json::from_str(raw).map_err(|e| parse_error("Trustpilot review", e))?;
    let id = review
        .id
        .as_deref()
        .filter(|i| !i.is_empty())
        .ok_or_else(|| NormalizeError::unknown_shape("Trustpilot review without `id`"))?;
    let id = ExternalId::new(id)?;
    let created_at = timestamp(
        review
            .created_at
            .as_deref()
            .ok_or_else(|| NormalizeError::parse("Trustpilot review without `createdAt`"))?,
        "createdAt",
    )?;
    let rating = match review.stars {
        None => None,
        Some(s) => Some(
            Rating::new(s)
                .ok_or_else(|| NormalizeError::parse(format!("stars {s} is not 1 to 5")))?,
        ),
    };
    let title = review.title.as_deref().map(str::trim).unwrap_or("");
    let body = review.text.as_deref().map(str::trim).unwrap_or("");
    let text = if title.is_empty() || body.starts_with(title.trim_end_matches(['.', '…'])) {
        body.to_owned()
    } else if body.is_empty() {
        title.to_owned()
    } else {
        format!("{title}\n\n{body}")
    };
    let author = match review.consumer {
        Some(c) => Author {
            id: c
                .id
                .filter(|i| !i.is_empty())
                .unwrap_or_else(|| format!("review:{}", id.as_str())),
            display_name: c.display_name.filter(|n| !n.is_empty()),
            ..Author::default()
        },
        None => Author::unknown(),
    };
    let mut message = Message::new(
        EventId::new(Platform::Trustpilot, id),
        MessageKind::Review,
        MessageText::new(text)?,
        author,
        created_at,
    );
    message.lang_hint = review.language.filter(|l| !l.is_empty());
    message.rating = rating;
    message.raw = Arc::from(raw);
    Ok(Event::Message(Box::new(message)))
}
