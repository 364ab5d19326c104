//! Meta webhook bodies → `Message`s: `entry[].messaging[]` (Messenger and Instagram private
//! messages, echoes of our own included) and `entry[].changes[]` (comments on a Page's feed or
//! on Instagram media). One body can hold many events; each becomes its own outcome.

use crate::json::{parse_error, timestamp_ms};
use crate::{Event, NormalizeError, Normalized};
use palabre_core::message::MessageText;
use palabre_core::{Author, EventId, ExternalId, Media, MediaKind, Message, MessageKind, Platform};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::sync::Arc;

type Str<'a> = Cow<'a, str>;

#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow)]
    object: Str<'a>,
    #[serde(borrow, default)]
    entry: Vec<Entry<'a>>,
}

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow, default)]
    messaging: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    changes: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Messaging<'a> {
    #[serde(borrow)]
    sender: Party<'a>,
    #[serde(borrow)]
    recipient: Party<'a>,
    timestamp: i64,
    #[serde(borrow)]
    message: Option<MessagePart<'a>>,
}

#[derive(Deserialize)]
struct Party<'a> {
    #[serde(borrow)]
    id: Str<'a>,
}

#[derive(Deserialize)]
struct MessagePart<'a> {
    #[serde(borrow)]
    mid: Str<'a>,
    #[serde(borrow, default)]
    text: Str<'a>,
    #[serde(default)]
    is_echo: bool,
    #[serde(default)]
    is_deleted: bool,
    #[serde(borrow, default)]
    attachments: Vec<AttachmentPart<'a>>,
    #[serde(borrow)]
    reply_to: Option<ReplyTo<'a>>,
    /// The quick-reply button the person tapped.
    #[serde(borrow)]
    quick_reply: Option<QuickReply<'a>>,
}

#[derive(Deserialize)]
struct QuickReply<'a> {
    #[serde(borrow)]
    payload: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct AttachmentPart<'a> {
    #[serde(borrow, rename = "type")]
    kind: Str<'a>,
    #[serde(borrow)]
    payload: Option<AttachmentPayload<'a>>,
}

#[derive(Deserialize)]
struct AttachmentPayload<'a> {
    #[serde(borrow)]
    url: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct ReplyTo<'a> {
    #[serde(borrow)]
    mid: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Change<'a> {
    #[serde(borrow)]
    field: Str<'a>,
    #[serde(borrow)]
    value: ChangeValue<'a>,
}

/// A Page feed change or an Instagram comment; the two share this subset of fields.
#[derive(Deserialize)]
struct ChangeValue<'a> {
    #[serde(borrow)]
    item: Option<Str<'a>>,
    #[serde(borrow)]
    verb: Option<Str<'a>>,
    // Page feed comment.
    #[serde(borrow)]
    comment_id: Option<Str<'a>>,
    #[serde(borrow)]
    post_id: Option<Str<'a>>,
    #[serde(borrow)]
    message: Option<Str<'a>>,
    created_time: Option<i64>,
    // Instagram comment.
    #[serde(borrow)]
    id: Option<Str<'a>>,
    #[serde(borrow)]
    text: Option<Str<'a>>,
    #[serde(borrow)]
    media: Option<Party<'a>>,
    // Both.
    #[serde(borrow)]
    parent_id: Option<Str<'a>>,
    #[serde(borrow)]
    from: Option<From<'a>>,
}

#[derive(Deserialize)]
struct From<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(borrow)]
    username: Option<Str<'a>>,
}

/// Parses one webhook body and appends one event per messaging item and per change.
pub fn parse_into(line: &str, out: &mut Vec<Normalized>) {
    let body: Body = match serde_json::from_str(line) {
        Ok(b) => b,
        Err(e) => return out.push(Err(parse_error("Meta webhook", e))),
    };
    let platform = match body.object.as_ref() {
        "page" => Platform::Messenger,
        "instagram" => Platform::Instagram,
        other => {
            return out.push(Err(NormalizeError::unknown_shape(format!(
                "Meta webhook for object `{other}` (expected `page` or `instagram`)"
            ))));
        }
    };
    if body
        .entry
        .iter()
        .all(|e| e.messaging.is_empty() && e.changes.is_empty())
    {
        return out.push(Err(NormalizeError::unknown_shape(
            "Meta webhook with no messaging or changes",
        )));
    }
    for entry in &body.entry {
        for item in &entry.messaging {
            out.push(messaging(platform, item));
        }
        for change in &entry.changes {
            out.push(comment(platform, &entry.id, change));
        }
    }
}

fn messaging(platform: Platform, item: &RawValue) -> Normalized {
    let m: Messaging =
        serde_json::from_str(item.get()).map_err(|e| parse_error("Meta messaging", e))?;
    let Some(part) = m.message else {
        // Deliveries, reads, reactions, postbacks, referrals: not something someone wrote.
        let what = first_key_besides(item.get(), &["sender", "recipient", "timestamp"]);
        return Ok(Event::NotAMessage { id: None, what });
    };
    let id = EventId::new(platform, ExternalId::new(&part.mid)?);
    if part.is_deleted {
        return Ok(Event::NotAMessage {
            id: Some(id),
            what: "message deleted".into(),
        });
    }
    let author = Author {
        id: m.sender.id.to_string(),
        ..Author::default()
    };
    let mut msg = Message::new(
        id,
        MessageKind::Direct,
        MessageText::new(part.text.as_ref())?,
        author,
        timestamp_ms(m.timestamp, "timestamp")?,
    );
    msg.recipient = Some(m.recipient.id.to_string());
    // An echo is a message the Page itself sent: its sender is the Page, so the pipeline sees
    // it as our own message; nothing else to do here.
    let _ = part.is_echo;
    msg.choice = part
        .quick_reply
        .as_ref()
        .and_then(|q| q.payload.as_deref())
        .map(str::to_owned);
    msg.in_reply_to = part
        .reply_to
        .and_then(|r| r.mid)
        .as_deref()
        .map(ExternalId::new)
        .transpose()?;
    for a in part.attachments {
        msg.entities.media.push(Media {
            kind: match a.kind.as_ref() {
                "image" => MediaKind::Image,
                "video" => MediaKind::Video,
                "audio" => MediaKind::Audio,
                "file" => MediaKind::File,
                _ => MediaKind::Other,
            },
            url: a.payload.and_then(|p| p.url).map(Cow::into_owned),
        });
    }
    msg.raw = Arc::from(item.get());
    Ok(Event::Message(Box::new(msg)))
}

fn comment(platform: Platform, page_id: &str, change: &RawValue) -> Normalized {
    let c: Change =
        serde_json::from_str(change.get()).map_err(|e| parse_error("Meta change", e))?;
    let v = c.value;
    let is_comment = match c.field.as_ref() {
        "feed" => {
            v.item.as_deref() == Some("comment")
                && v.verb.as_deref().is_none_or(|verb| verb == "add")
        }
        "comments" | "live_comments" => true,
        _ => false,
    };
    let comment_id = v.comment_id.as_deref().or(v.id.as_deref());
    let Some(comment_id) = comment_id.filter(|_| is_comment) else {
        let what = format!("{} {}", c.field, v.item.as_deref().unwrap_or("change"));
        return Ok(Event::NotAMessage { id: None, what });
    };
    let from = v
        .from
        .ok_or_else(|| NormalizeError::parse("comment without `from`"))?;
    let author = Author {
        id: from.id.to_string(),
        handle: from.username.as_deref().map(str::to_owned),
        display_name: from.name.as_deref().map(str::to_owned),
        ..Author::default()
    };
    let created_at = match v.created_time {
        Some(secs) => timestamp_ms(secs.saturating_mul(1000), "created_time")?,
        None => return Err(NormalizeError::parse("comment without `created_time`")),
    };
    let text = v.message.or(v.text).unwrap_or_default();
    let post = v
        .post_id
        .as_deref()
        .or(v.media.as_ref().map(|m| m.id.as_ref()));
    let mut msg = Message::new(
        EventId::new(platform, ExternalId::new(comment_id)?),
        MessageKind::Comment,
        MessageText::new(text.as_ref())?,
        author,
        created_at,
    );
    msg.thread_root = post.map(ExternalId::new).transpose()?;
    msg.in_reply_to = v
        .parent_id
        .as_deref()
        .or(post)
        .map(ExternalId::new)
        .transpose()?;
    // Comments arrive through the Page's (or Instagram account's) own subscription: on its posts.
    msg.in_reply_to_author = Some(page_id.to_owned());
    msg.raw = Arc::from(change.get());
    Ok(Event::Message(Box::new(msg)))
}

/// The name of the first key of a JSON object besides `skip`, to say what an event was.
fn first_key_besides(json: &str, skip: &[&str]) -> String {
    serde_json::from_str::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(json)
        .ok()
        .and_then(|map| map.into_keys().find(|k| !skip.contains(&k.as_str())))
        .unwrap_or_else(|| "event".to_owned())
}
