//! Mastodon JSON → `Message`: a status, a notification, or a streaming `{event, payload}`.
//!
//! `reblog` → repost of the reblogged status; `visibility: direct` → direct message;
//! `in_reply_to_id` → reply; `quote` (Mastodon 4.4+) → quote. The HTML `content` becomes text.
//! A `mention` notification is the status it carries (same event id as the status itself, so
//! streaming and polling deduplicate); a `reblog` notification is a repost of our status;
//! other notifications (favourite, follow, poll…) are not messages.

use crate::json::{parse_error, timestamp};
use crate::text::html_to_text;
use crate::{Event, NormalizeError, Normalized};
use palabre_core::message::{MessageText, Reference};
use palabre_core::{
    Author, EventId, ExternalId, Media, MediaKind, Mention, Message, MessageKind, Platform,
};
use serde::Deserialize;
use std::borrow::Cow;
use std::sync::Arc;

type Str<'a> = Cow<'a, str>;

/// Everything a status, a notification or a streaming event may carry at the top level.
#[derive(Deserialize)]
struct Document<'a> {
    // Streaming event.
    #[serde(borrow)]
    event: Option<Str<'a>>,
    #[serde(borrow)]
    payload: Option<Str<'a>>,
    // Notification.
    #[serde(borrow, rename = "type")]
    kind: Option<Str<'a>>,
    #[serde(borrow)]
    status: Option<Status<'a>>,
    // Status (or notification id/account/created_at).
    #[serde(borrow)]
    id: Option<Str<'a>>,
    #[serde(borrow)]
    account: Option<Account<'a>>,
    #[serde(borrow)]
    created_at: Option<Str<'a>>,
    #[serde(borrow)]
    content: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Status<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow)]
    created_at: Str<'a>,
    #[serde(borrow)]
    in_reply_to_id: Option<Str<'a>>,
    #[serde(borrow)]
    in_reply_to_account_id: Option<Str<'a>>,
    #[serde(borrow, default)]
    content: Str<'a>,
    #[serde(borrow, default)]
    spoiler_text: Str<'a>,
    #[serde(borrow)]
    visibility: Option<Str<'a>>,
    #[serde(borrow)]
    language: Option<Str<'a>>,
    #[serde(borrow)]
    account: Account<'a>,
    #[serde(borrow)]
    reblog: Option<Box<Status<'a>>>,
    #[serde(borrow)]
    quote: Option<Quote<'a>>,
    #[serde(borrow, default)]
    mentions: Vec<MentionItem<'a>>,
    #[serde(borrow, default)]
    tags: Vec<Tag<'a>>,
    #[serde(borrow, default)]
    media_attachments: Vec<Attachment<'a>>,
    #[serde(borrow)]
    card: Option<Card<'a>>,
}

#[derive(Deserialize)]
struct Quote<'a> {
    #[serde(borrow)]
    quoted_status: Option<Box<Status<'a>>>,
}

#[derive(Deserialize)]
struct Account<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow)]
    username: Option<Str<'a>>,
    #[serde(borrow)]
    acct: Option<Str<'a>>,
    #[serde(borrow)]
    display_name: Option<Str<'a>>,
    #[serde(borrow)]
    note: Option<Str<'a>>,
    followers_count: Option<u64>,
    following_count: Option<u64>,
}

#[derive(Deserialize)]
struct MentionItem<'a> {
    #[serde(borrow)]
    id: Option<Str<'a>>,
    #[serde(borrow)]
    acct: Option<Str<'a>>,
    #[serde(borrow)]
    username: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Tag<'a> {
    #[serde(borrow)]
    name: Str<'a>,
}

#[derive(Deserialize)]
struct Attachment<'a> {
    #[serde(borrow, rename = "type")]
    kind: Option<Str<'a>>,
    #[serde(borrow)]
    url: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Card<'a> {
    #[serde(borrow)]
    url: Option<Str<'a>>,
}

/// Parses one Mastodon JSON document and appends the event it holds.
pub fn parse_into(line: &str, out: &mut Vec<Normalized>) {
    out.push(parse_document(line, Arc::from(line)));
}

fn parse_document(json: &str, raw: Arc<str>) -> Normalized {
    let doc: Document = serde_json::from_str(json).map_err(|e| parse_error("Mastodon", e))?;
    if let (Some(event), Some(payload)) = (&doc.event, &doc.payload) {
        return match event.as_ref() {
            // The payload of `update` and `status.update` is a status, of `notification` a notification.
            "update" | "status.update" | "notification" => parse_document(payload, raw),
            other => Ok(Event::NotAMessage {
                id: None,
                what: format!("streaming {other}"),
            }),
        };
    }
    if let Some(kind) = doc.kind.as_deref() {
        let id = doc
            .id
            .as_deref()
            .ok_or_else(|| NormalizeError::parse("notification without `id`"))?;
        return notification(
            kind,
            id,
            doc.account,
            doc.created_at.as_deref(),
            doc.status,
            raw,
        );
    }
    if doc.content.is_some() || doc.account.is_some() {
        // A status: parse again as one (the document view above is deliberately lenient).
        let status: Status =
            serde_json::from_str(json).map_err(|e| parse_error("Mastodon status", e))?;
        return status_message(status, raw).map(|m| Event::Message(Box::new(m)));
    }
    Err(NormalizeError::unknown_shape(
        "Mastodon document that is neither a status, a notification nor a streaming event",
    ))
}

fn notification(
    kind: &str,
    id: &str,
    account: Option<Account>,
    created_at: Option<&str>,
    status: Option<Status>,
    raw: Arc<str>,
) -> Normalized {
    match (kind, status) {
        ("mention" | "status" | "update", Some(status)) => {
            status_message(status, raw).map(|m| Event::Message(Box::new(m)))
        }
        ("reblog", Some(status)) => {
            // Someone boosted one of our statuses: a repost, with the notification as its identity.
            let account = account
                .ok_or_else(|| NormalizeError::parse("reblog notification without `account`"))?;
            let at = timestamp(created_at.unwrap_or(&status.created_at), "created_at")?;
            let mut m = Message::new(
                EventId::new(
                    Platform::Mastodon,
                    ExternalId::new(&format!("notification-{id}"))?,
                ),
                MessageKind::Repost,
                MessageText::default(),
                to_author(&account),
                at,
            );
            m.referenced = Some(Reference {
                id: ExternalId::new(&status.id)?,
                author_id: Some(status.account.id.to_string()),
                author_handle: status.account.acct.as_deref().map(str::to_owned),
            });
            m.raw = raw;
            Ok(Event::Message(Box::new(m)))
        }
        (other, _) => Ok(Event::NotAMessage {
            id: Some(EventId::new(
                Platform::Mastodon,
                ExternalId::new(&format!("notification-{id}"))?,
            )),
            what: other.to_owned(),
        }),
    }
}

fn status_message(status: Status, raw: Arc<str>) -> Result<Message, NormalizeError> {
    let created_at = timestamp(&status.created_at, "created_at")?;
    let author = to_author(&status.account);
    let id = EventId::new(Platform::Mastodon, ExternalId::new(&status.id)?);

    if let Some(original) = status.reblog {
        let mut m = Message::new(
            id,
            MessageKind::Repost,
            MessageText::default(),
            author,
            created_at,
        );
        m.referenced = Some(Reference {
            id: ExternalId::new(&original.id)?,
            author_id: Some(original.account.id.to_string()),
            author_handle: original.account.acct.as_deref().map(str::to_owned),
        });
        m.raw = raw;
        return Ok(m);
    }

    let body = html_to_text(&status.content);
    let text = if status.spoiler_text.is_empty() {
        body
    } else {
        format!("{}\n\n{body}", status.spoiler_text)
    };
    let kind = if status.visibility.as_deref() == Some("direct") {
        MessageKind::Direct
    } else if status.in_reply_to_id.is_some() {
        MessageKind::Reply
    } else if status
        .quote
        .as_ref()
        .is_some_and(|q| q.quoted_status.is_some())
    {
        MessageKind::Quote
    } else {
        MessageKind::Post
    };
    let mut m = Message::new(id, kind, MessageText::new(text)?, author, created_at);
    m.lang_hint = status.language.map(Cow::into_owned);
    m.in_reply_to = status
        .in_reply_to_id
        .as_deref()
        .map(ExternalId::new)
        .transpose()?;
    m.in_reply_to_author = status.in_reply_to_account_id.map(Cow::into_owned);
    if let Some(quoted) = status.quote.and_then(|q| q.quoted_status) {
        m.referenced = Some(Reference {
            id: ExternalId::new(&quoted.id)?,
            author_id: Some(quoted.account.id.to_string()),
            author_handle: quoted.account.acct.as_deref().map(str::to_owned),
        });
    }
    for mention in status.mentions {
        if let Some(handle) = mention.acct.or(mention.username) {
            m.entities.mentions.push(Mention {
                handle: handle.into_owned(),
                id: mention.id.map(Cow::into_owned),
            });
        }
    }
    if kind == MessageKind::Direct {
        // Mastodon has no recipient field: a direct status is addressed to the accounts it mentions.
        m.recipient = m
            .entities
            .mentions
            .first()
            .and_then(|mention| mention.id.clone());
    }
    m.entities.hashtags = status
        .tags
        .into_iter()
        .map(|t| t.name.into_owned())
        .collect();
    m.entities.urls = status
        .card
        .and_then(|c| c.url)
        .map(Cow::into_owned)
        .into_iter()
        .collect();
    m.entities.media = status
        .media_attachments
        .into_iter()
        .map(|a| Media {
            kind: match a.kind.as_deref() {
                Some("image") => MediaKind::Image,
                Some("video") | Some("gifv") => MediaKind::Video,
                Some("audio") => MediaKind::Audio,
                _ => MediaKind::Other,
            },
            url: a.url.map(Cow::into_owned),
        })
        .collect();
    m.raw = raw;
    Ok(m)
}

fn to_author(account: &Account) -> Author {
    Author {
        id: account.id.to_string(),
        handle: account
            .acct
            .as_deref()
            .or(account.username.as_deref())
            .map(str::to_owned),
        display_name: account
            .display_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
        verified: false,
        followers: account.followers_count,
        following: account.following_count,
        bio: account
            .note
            .as_deref()
            .map(html_to_text)
            .filter(|b| !b.is_empty()),
    }
}
