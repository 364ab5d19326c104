//! Bluesky Jetstream JSON → `Message`.
//!
//! A `commit` creating an `app.bsky.feed.post` is a post, a reply (`reply.root`/`reply.parent`)
//! or a quote (`embed` of `app.bsky.embed.record`, or `recordWithMedia`); creating an
//! `app.bsky.feed.repost` is a repost. Facets count UTF-8 **bytes**. The event id is the
//! record's `at://DID/COLLECTION/RKEY` URI, the form replies and quotes use to refer to it.
//! Likes, follows, deletions, identity and account events are not messages.

use crate::json::{parse_error, timestamp};
use crate::text::slice_bytes;
use crate::{Event, NormalizeError, Normalized};
use palabre_core::message::{MessageText, Reference};
use palabre_core::{
    Author, EventId, ExternalId, Media, MediaKind, Mention, Message, MessageKind, Platform,
};
use serde::Deserialize;
use std::borrow::Cow;
use std::sync::Arc;

type Str<'a> = Cow<'a, str>;

#[derive(Deserialize)]
struct JetstreamEvent<'a> {
    #[serde(borrow)]
    did: Str<'a>,
    time_us: Option<i64>,
    #[serde(borrow)]
    kind: Str<'a>,
    #[serde(borrow)]
    commit: Option<Commit<'a>>,
}

#[derive(Deserialize)]
struct Commit<'a> {
    #[serde(borrow)]
    operation: Str<'a>,
    #[serde(borrow)]
    collection: Str<'a>,
    #[serde(borrow)]
    rkey: Str<'a>,
    #[serde(borrow)]
    record: Option<Record<'a>>,
}

/// The fields of `app.bsky.feed.post` and `app.bsky.feed.repost` records that matter here.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow, default)]
    text: Str<'a>,
    #[serde(borrow, rename = "createdAt")]
    created_at: Option<Str<'a>>,
    #[serde(borrow, default)]
    langs: Vec<Str<'a>>,
    #[serde(borrow, default)]
    facets: Vec<Facet<'a>>,
    #[serde(borrow)]
    reply: Option<ReplyRef<'a>>,
    #[serde(borrow)]
    embed: Option<Embed<'a>>,
    /// For reposts.
    #[serde(borrow)]
    subject: Option<StrongRef<'a>>,
}

#[derive(Deserialize)]
struct StrongRef<'a> {
    #[serde(borrow)]
    uri: Str<'a>,
}

#[derive(Deserialize)]
struct ReplyRef<'a> {
    #[serde(borrow)]
    root: StrongRef<'a>,
    #[serde(borrow)]
    parent: StrongRef<'a>,
}

#[derive(Deserialize)]
struct Facet<'a> {
    index: ByteSlice,
    #[serde(borrow, default)]
    features: Vec<Feature<'a>>,
}

#[derive(Deserialize)]
struct ByteSlice {
    #[serde(rename = "byteStart")]
    byte_start: usize,
    #[serde(rename = "byteEnd")]
    byte_end: usize,
}

#[derive(Deserialize)]
struct Feature<'a> {
    #[serde(borrow, rename = "$type")]
    kind: Str<'a>,
    #[serde(borrow)]
    did: Option<Str<'a>>,
    #[serde(borrow)]
    uri: Option<Str<'a>>,
    #[serde(borrow)]
    tag: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Embed<'a> {
    #[serde(borrow, rename = "$type")]
    kind: Str<'a>,
    /// `app.bsky.embed.record`: a strong ref; `recordWithMedia`: `{ record: strong ref }`.
    #[serde(borrow)]
    record: Option<EmbeddedRecord<'a>>,
    #[serde(default)]
    images: Vec<serde::de::IgnoredAny>,
    #[serde(borrow)]
    media: Option<Box<Embed<'a>>>,
    #[serde(borrow)]
    external: Option<External<'a>>,
}

#[derive(Deserialize)]
struct EmbeddedRecord<'a> {
    #[serde(borrow)]
    uri: Option<Str<'a>>,
    #[serde(borrow)]
    record: Option<StrongRef<'a>>,
}

#[derive(Deserialize)]
struct External<'a> {
    #[serde(borrow)]
    uri: Option<Str<'a>>,
}

/// Parses one Jetstream event and appends the event it holds.
pub fn parse_into(line: &str, out: &mut Vec<Normalized>) {
    out.push(parse_event(line));
}

fn parse_event(line: &str) -> Normalized {
    let event: JetstreamEvent =
        serde_json::from_str(line).map_err(|e| parse_error("Bluesky Jetstream", e))?;
    let Some(commit) = event.commit.filter(|_| event.kind == "commit") else {
        return Ok(Event::NotAMessage {
            id: None,
            what: format!("jetstream {}", event.kind),
        });
    };
    let uri = format!("at://{}/{}/{}", event.did, commit.collection, commit.rkey);
    let id = EventId::new(Platform::Bluesky, ExternalId::new(&uri)?);
    let is_create = commit.operation == "create";
    let record = match (commit.collection.as_ref(), commit.record) {
        ("app.bsky.feed.post" | "app.bsky.feed.repost", Some(record)) if is_create => record,
        (collection, _) => {
            return Ok(Event::NotAMessage {
                id: Some(id),
                what: format!("{} {collection}", commit.operation),
            });
        }
    };
    let created_at = match (&record.created_at, event.time_us) {
        (Some(at), _) => timestamp(at, "createdAt")?,
        (None, Some(us)) => jiff::Timestamp::from_microsecond(us)
            .map_err(|e| NormalizeError::parse(format!("`time_us` out of range: {e}")))?,
        (None, None) => return Err(NormalizeError::parse("record without `createdAt`")),
    };
    let author = Author {
        id: event.did.to_string(),
        ..Author::default()
    };

    if commit.collection == "app.bsky.feed.repost" {
        let subject = record
            .subject
            .ok_or_else(|| NormalizeError::parse("repost without `subject`"))?;
        let mut m = Message::new(
            id,
            MessageKind::Repost,
            MessageText::default(),
            author,
            created_at,
        );
        m.referenced = Some(Reference {
            author_id: did_of(&subject.uri).map(str::to_owned),
            id: ExternalId::new(&subject.uri)?,
            author_handle: None,
        });
        m.raw = Arc::from(line);
        return Ok(Event::Message(Box::new(m)));
    }

    let quoted = record.embed.as_ref().and_then(quoted_uri);
    let kind = match (&record.reply, quoted) {
        (Some(_), _) => MessageKind::Reply,
        (None, Some(_)) => MessageKind::Quote,
        (None, None) => MessageKind::Post,
    };
    let mut m = Message::new(
        id,
        kind,
        MessageText::new(record.text.as_ref())?,
        author,
        created_at,
    );
    m.lang_hint = record.langs.first().map(|l| l.to_string());
    if let Some(reply) = &record.reply {
        m.in_reply_to = Some(ExternalId::new(&reply.parent.uri)?);
        m.in_reply_to_author = did_of(&reply.parent.uri).map(str::to_owned);
        m.thread_root = Some(ExternalId::new(&reply.root.uri)?);
    }
    if let Some(uri) = quoted {
        m.referenced = Some(Reference {
            id: ExternalId::new(uri)?,
            author_id: did_of(uri).map(str::to_owned),
            author_handle: None,
        });
    }
    for facet in &record.facets {
        let span = slice_bytes(&record.text, facet.index.byte_start, facet.index.byte_end);
        for feature in &facet.features {
            match feature.kind.as_ref() {
                "app.bsky.richtext.facet#mention" => m.entities.mentions.push(Mention {
                    handle: span
                        .map(|s| s.trim_start_matches('@').to_owned())
                        .unwrap_or_default(),
                    id: feature.did.as_deref().map(str::to_owned),
                }),
                "app.bsky.richtext.facet#link" => m
                    .entities
                    .urls
                    .extend(feature.uri.as_deref().map(str::to_owned)),
                "app.bsky.richtext.facet#tag" => m.entities.hashtags.extend(
                    feature
                        .tag
                        .as_deref()
                        .or(span.map(|s| s.trim_start_matches('#')))
                        .map(str::to_owned),
                ),
                _ => {}
            }
        }
    }
    if let Some(embed) = &record.embed {
        collect_media(embed, &mut m);
    }
    m.raw = Arc::from(line);
    Ok(Event::Message(Box::new(m)))
}

/// The URI of the record a post quotes, if it quotes one.
fn quoted_uri<'e>(embed: &'e Embed) -> Option<&'e str> {
    let record = embed.record.as_ref()?;
    match embed.kind.as_ref() {
        "app.bsky.embed.record" => record.uri.as_deref(),
        "app.bsky.embed.recordWithMedia" => record.record.as_ref().map(|r| r.uri.as_ref()),
        _ => None,
    }
}

fn collect_media(embed: &Embed, m: &mut Message) {
    match embed.kind.as_ref() {
        "app.bsky.embed.images" => {
            for _ in &embed.images {
                m.entities.media.push(Media {
                    kind: MediaKind::Image,
                    url: None,
                });
            }
        }
        "app.bsky.embed.video" => m.entities.media.push(Media {
            kind: MediaKind::Video,
            url: None,
        }),
        "app.bsky.embed.external" => {
            m.entities.urls.extend(
                embed
                    .external
                    .as_ref()
                    .and_then(|e| e.uri.as_deref())
                    .map(str::to_owned),
            );
        }
        "app.bsky.embed.recordWithMedia" => {
            if let Some(media) = &embed.media {
                collect_media(media, m);
            }
        }
        _ => {}
    }
}

/// The DID in an `at://DID/…` URI.
fn did_of(uri: &str) -> Option<&str> {
    uri.strip_prefix("at://")?
        .split('/')
        .next()
        .filter(|d| d.starts_with("did:"))
}
