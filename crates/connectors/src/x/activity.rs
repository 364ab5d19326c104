//! X Account Activity webhook bodies → `Message`s: `{"for_user_id", "tweet_create_events": [v1.1
//! tweets], "direct_message_events": [message_create events], "users": {id: user}}`.
//!
//! One body can hold several events; each becomes its own outcome. Tweets are in the v1.1 shape
//! (`id_str`, `user`, `entities.user_mentions`, `retweeted_status`, `extended_tweet`), so they
//! have no `conversation_id`: a reply is threaded by its `in_reply_to_status_id_str`. Likes,
//! follows, deletions, typing and read receipts are events that are not messages.

use crate::json::{parse_error, timestamp_ms};
use crate::{Event, NormalizeError, Normalized};
use palabre_core::message::{MessageText, Reference};
use palabre_core::{
    Author, EventId, ExternalId, GeoPoint, Media, MediaKind, Mention, Message, MessageKind,
    Platform,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

type Str<'a> = Cow<'a, str>;

#[derive(Deserialize)]
struct Tweet<'a> {
    #[serde(borrow)]
    id_str: Str<'a>,
    #[serde(borrow)]
    created_at: Option<Str<'a>>,
    #[serde(borrow)]
    text: Option<Str<'a>>,
    #[serde(borrow)]
    full_text: Option<Str<'a>>,
    #[serde(borrow)]
    extended_tweet: Option<Extended<'a>>,
    #[serde(borrow)]
    user: User<'a>,
    #[serde(borrow)]
    in_reply_to_status_id_str: Option<Str<'a>>,
    #[serde(borrow)]
    in_reply_to_user_id_str: Option<Str<'a>>,
    #[serde(borrow)]
    retweeted_status: Option<Original<'a>>,
    #[serde(borrow)]
    quoted_status_id_str: Option<Str<'a>>,
    #[serde(borrow)]
    quoted_status: Option<Original<'a>>,
    #[serde(borrow)]
    entities: Option<Entities<'a>>,
    #[serde(borrow)]
    extended_entities: Option<Entities<'a>>,
    coordinates: Option<Point>,
    #[serde(borrow)]
    lang: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Extended<'a> {
    #[serde(borrow)]
    full_text: Str<'a>,
    #[serde(borrow)]
    entities: Option<Entities<'a>>,
    #[serde(borrow)]
    extended_entities: Option<Entities<'a>>,
}

/// The retweeted or quoted tweet: only who wrote it and its id are needed.
#[derive(Deserialize)]
struct Original<'a> {
    #[serde(borrow)]
    id_str: Str<'a>,
    #[serde(borrow)]
    user: Option<User<'a>>,
}

#[derive(Deserialize)]
struct User<'a> {
    /// v1.1 tweets carry `id_str`; the `users` map of DM bodies has `id` as a string.
    #[serde(borrow)]
    id_str: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "string_or_number")]
    id: Option<Str<'a>>,
    #[serde(borrow)]
    screen_name: Option<Str<'a>>,
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(default)]
    verified: bool,
    #[serde(borrow)]
    description: Option<Str<'a>>,
    followers_count: Option<u64>,
    friends_count: Option<u64>,
}

#[derive(Deserialize, Default)]
struct Entities<'a> {
    #[serde(borrow, default)]
    hashtags: Vec<Hashtag<'a>>,
    #[serde(borrow, default)]
    user_mentions: Vec<UserMention<'a>>,
    #[serde(borrow, default)]
    urls: Vec<Url<'a>>,
    #[serde(borrow, default)]
    media: Vec<MediaEntity<'a>>,
}

#[derive(Deserialize)]
struct Hashtag<'a> {
    #[serde(borrow)]
    text: Str<'a>,
}

#[derive(Deserialize)]
struct UserMention<'a> {
    #[serde(borrow)]
    screen_name: Str<'a>,
    #[serde(borrow)]
    id_str: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Url<'a> {
    #[serde(borrow)]
    url: Option<Str<'a>>,
    #[serde(borrow)]
    expanded_url: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct MediaEntity<'a> {
    #[serde(borrow, rename = "type")]
    kind: Option<Str<'a>>,
    #[serde(borrow)]
    media_url_https: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Point {
    /// GeoJSON order: longitude, latitude.
    coordinates: [f64; 2],
}

#[derive(Deserialize)]
struct DmEvent<'a> {
    #[serde(borrow, rename = "type")]
    kind: Str<'a>,
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow)]
    created_timestamp: Str<'a>,
    #[serde(borrow)]
    message_create: Option<MessageCreate<'a>>,
}

#[derive(Deserialize)]
struct MessageCreate<'a> {
    #[serde(borrow)]
    target: Target<'a>,
    #[serde(borrow)]
    sender_id: Str<'a>,
    #[serde(borrow)]
    message_data: MessageData<'a>,
}

#[derive(Deserialize)]
struct Target<'a> {
    #[serde(borrow)]
    recipient_id: Str<'a>,
}

#[derive(Deserialize)]
struct MessageData<'a> {
    #[serde(borrow, default)]
    text: Str<'a>,
    #[serde(borrow)]
    entities: Option<Entities<'a>>,
}

fn string_or_number<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Str<'a>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id<'a> {
        #[serde(borrow)]
        Text(Str<'a>),
        Number(u64),
    }
    Ok(match Option::<Id>::deserialize(d)? {
        Some(Id::Text(s)) => Some(s),
        Some(Id::Number(n)) => Some(Cow::Owned(n.to_string())),
        None => None,
    })
}

/// Keys of an Account Activity body that are not lists of events.
const NOT_EVENTS: &[&str] = &[
    "for_user_id",
    "user_has_blocked",
    "is_blocked_by",
    "users",
    "apps",
    "source",
    "target",
];

/// Parses one Account Activity body and appends one event per tweet, direct message and other
/// activity it holds.
pub fn parse_into(line: &str, out: &mut Vec<Normalized>) {
    let body: BTreeMap<Str, &RawValue> = match serde_json::from_str(line) {
        Ok(b) => b,
        Err(e) => return out.push(Err(parse_error("X Account Activity", e))),
    };
    let users: BTreeMap<Str, User> = match body.get("users") {
        Some(raw) => match serde_json::from_str(raw.get()) {
            Ok(u) => u,
            Err(e) => return out.push(Err(parse_error("X Account Activity users", e))),
        },
        None => BTreeMap::new(),
    };
    let before = out.len();
    for (key, value) in &body {
        if NOT_EVENTS.contains(&key.as_ref()) {
            continue;
        }
        let items: Vec<&RawValue> = match serde_json::from_str(value.get()) {
            Ok(items) => items,
            Err(_) => continue,
        };
        for item in items {
            out.push(match key.as_ref() {
                "tweet_create_events" => tweet(item),
                "direct_message_events" => direct(item, &users),
                other => Ok(Event::NotAMessage {
                    id: None,
                    what: other.trim_end_matches("_events").to_owned(),
                }),
            });
        }
    }
    if out.len() == before {
        out.push(Err(NormalizeError::unknown_shape(
            "X Account Activity body with no events",
        )));
    }
}

fn tweet(raw: &RawValue) -> Normalized {
    let t: Tweet = serde_json::from_str(raw.get()).map_err(|e| parse_error("X v1.1 tweet", e))?;
    let id = ExternalId::new(&t.id_str)?;
    let created_at = match t.created_at.as_deref() {
        Some(at) => v1_time(at)?,
        None => super::parse::snowflake_time(&t.id_str)?,
    };
    let (text, entities, extended_entities) = match t.extended_tweet {
        Some(x) => (x.full_text, x.entities, x.extended_entities),
        None => (
            t.full_text.or(t.text).unwrap_or_default(),
            t.entities,
            t.extended_entities,
        ),
    };
    let kind = if t.retweeted_status.is_some() {
        MessageKind::Repost
    } else if t.in_reply_to_status_id_str.is_some() {
        MessageKind::Reply
    } else if t.quoted_status_id_str.is_some() || t.quoted_status.is_some() {
        MessageKind::Quote
    } else {
        MessageKind::Post
    };
    let mut message = Message::new(
        EventId::new(Platform::X, id),
        kind,
        MessageText::new(text.as_ref())?,
        author(&t.user)?,
        created_at,
    );
    message.lang_hint = t
        .lang
        .filter(|l| l != "und" && l != "zxx")
        .map(Cow::into_owned);
    message.in_reply_to = t
        .in_reply_to_status_id_str
        .as_deref()
        .map(ExternalId::new)
        .transpose()?;
    message.in_reply_to_author = t.in_reply_to_user_id_str.map(Cow::into_owned);
    let original = match (t.retweeted_status, t.quoted_status, t.quoted_status_id_str) {
        (Some(rt), _, _) => Some((rt.id_str, rt.user)),
        (None, Some(q), _) => Some((q.id_str, q.user)),
        (None, None, Some(id)) => Some((id, None)),
        (None, None, None) => None,
    };
    if let Some((ref_id, user)) = original {
        message.referenced = Some(Reference {
            id: ExternalId::new(&ref_id)?,
            author_id: user.as_ref().and_then(user_id).map(str::to_owned),
            author_handle: user
                .as_ref()
                .and_then(|u| u.screen_name.as_deref())
                .or_else(|| {
                    text.strip_prefix("RT @")
                        .and_then(|rest| rest.split(':').next())
                })
                .map(str::to_owned),
        });
    }
    if let Some(entities) = entities {
        fill(&mut message, entities);
    }
    if let Some(extended) = extended_entities {
        // The media list of `extended_entities` is the complete one: it replaces `entities`'.
        message.entities.media = media(&extended.media);
    }
    if let Some(point) = t.coordinates {
        let [lon, lat] = point.coordinates;
        message.entities.geo = GeoPoint::new(lat, lon);
    }
    message.raw = Arc::from(raw.get());
    Ok(Event::Message(Box::new(message)))
}

fn direct(raw: &RawValue, users: &BTreeMap<Str, User>) -> Normalized {
    let e: DmEvent = serde_json::from_str(raw.get()).map_err(|e| parse_error("X DM event", e))?;
    let id = EventId::new(Platform::X, ExternalId::new(&e.id)?);
    let Some(mc) = e.message_create.filter(|_| e.kind == "message_create") else {
        return Ok(Event::NotAMessage {
            id: Some(id),
            what: e.kind.into_owned(),
        });
    };
    let ms: i64 = e.created_timestamp.trim().parse().map_err(|_| {
        NormalizeError::parse(format!(
            "`created_timestamp` is not a number of milliseconds (`{}`)",
            e.created_timestamp
        ))
    })?;
    let author = match users.get(mc.sender_id.as_ref()) {
        Some(u) => author(u)?,
        None => Author {
            id: mc.sender_id.to_string(),
            ..Author::default()
        },
    };
    let mut message = Message::new(
        id,
        MessageKind::Direct,
        MessageText::new(mc.message_data.text.as_ref())?,
        author,
        timestamp_ms(ms, "created_timestamp")?,
    );
    message.recipient = Some(mc.target.recipient_id.into_owned());
    if let Some(entities) = mc.message_data.entities {
        fill(&mut message, entities);
    }
    message.raw = Arc::from(raw.get());
    Ok(Event::Message(Box::new(message)))
}

fn user_id<'u>(u: &'u User) -> Option<&'u str> {
    u.id_str.as_deref().or(u.id.as_deref())
}

fn author(u: &User) -> Result<Author, NormalizeError> {
    let id = user_id(u).ok_or_else(|| NormalizeError::parse("X user without an id"))?;
    Ok(Author {
        id: id.to_owned(),
        handle: u.screen_name.as_deref().map(str::to_owned),
        display_name: u.name.as_deref().map(str::to_owned),
        verified: u.verified,
        followers: u.followers_count,
        following: u.friends_count,
        bio: u
            .description
            .as_deref()
            .filter(|d| !d.is_empty())
            .map(str::to_owned),
    })
}

fn fill(message: &mut Message, entities: Entities) {
    for m in entities.user_mentions {
        message.entities.mentions.push(Mention {
            handle: m.screen_name.into_owned(),
            id: m.id_str.map(Cow::into_owned),
        });
    }
    message
        .entities
        .hashtags
        .extend(entities.hashtags.into_iter().map(|h| h.text.into_owned()));
    message.entities.urls.extend(
        entities
            .urls
            .into_iter()
            .filter_map(|u| u.expanded_url.or(u.url).map(Cow::into_owned)),
    );
    message.entities.media = media(&entities.media);
}

fn media(items: &[MediaEntity]) -> Vec<Media> {
    items
        .iter()
        .map(|m| Media {
            kind: match m.kind.as_deref() {
                Some("photo") => MediaKind::Image,
                Some("video") | Some("animated_gif") => MediaKind::Video,
                _ => MediaKind::Other,
            },
            url: m.media_url_https.as_deref().map(str::to_owned),
        })
        .collect()
}

/// v1.1 times: `Wed Oct 10 20:19:24 +0000 2018`.
fn v1_time(raw: &str) -> Result<jiff::Timestamp, NormalizeError> {
    jiff::fmt::strtime::parse("%a %b %d %H:%M:%S %z %Y", raw)
        .and_then(|t| t.to_timestamp())
        .map_err(|e| {
            NormalizeError::parse(format!(
                "`created_at` is not a v1.1 timestamp (`{raw}`): {e}"
            ))
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn one(line: &str) -> Message {
        let mut out = Vec::new();
        parse_into(line, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        match out.remove(0) {
            Ok(Event::Message(m)) => *m,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    #[test]
    fn reads_a_mention_from_the_docs() {
        let m = one(include_str!(
            "../../fixtures/x/activity_tweet_create_mention.json"
        ));
        assert_eq!(m.id.to_string(), "x:1050118621198921728");
        assert_eq!(m.kind, MessageKind::Post);
        assert_eq!(m.author.handle.as_deref(), Some("TwitterAPI"));
        assert_eq!(m.author.id, "6253282");
        assert_eq!(m.author.followers, Some(6129794));
        assert_eq!(m.entities.mentions[0].handle, "TwitterDev");
        assert_eq!(m.entities.mentions[0].id.as_deref(), Some("2244994945"));
        assert_eq!(m.created_at.to_string(), "2018-10-10T20:19:24Z");
        assert_eq!(m.lang_hint.as_deref(), Some("en"));
        assert_eq!(
            m.entities.urls,
            vec!["https://twitter.com/i/web/status/1050118621198921728".to_owned()]
        );
        assert!(m.raw.starts_with("{\n      \"created_at\""));
    }

    #[test]
    fn reads_a_direct_message_from_the_docs() {
        let m = one(include_str!(
            "../../fixtures/x/activity_direct_message.json"
        ));
        assert_eq!(m.id.to_string(), "x:1234858592");
        assert_eq!(m.kind, MessageKind::Direct);
        assert_eq!(m.text.as_str(), "Blue Bird");
        assert_eq!(m.author.id, "3805104374");
        assert_eq!(m.author.handle.as_deref(), Some("birdfan"));
        assert_eq!(m.recipient.as_deref(), Some("1234858592"));
        assert_eq!(m.created_at.as_millisecond(), 1_392_078_023_603);
    }

    #[test]
    fn replies_retweets_and_other_activities() {
        let body = r#"{"for_user_id":"1000","tweet_create_events":[
            {"id_str":"2","created_at":"Wed Oct 10 20:19:24 +0000 2018","text":"@brand où est mon train ?",
             "in_reply_to_status_id_str":"1","in_reply_to_user_id_str":"1000",
             "user":{"id_str":"7","screen_name":"alice"},"entities":{"hashtags":[{"text":"retard"}],"user_mentions":[{"screen_name":"brand","id_str":"1000"}]}},
            {"id_str":"3","text":"RT @brand: Bonjour","user":{"id_str":"8"},
             "retweeted_status":{"id_str":"1","user":{"id_str":"1000","screen_name":"brand"}}},
            {"id_str":"4","text":"short","extended_tweet":{"full_text":"the whole long text"},"user":{"id":9}}],
          "favorite_events":[{"id":"f1"}],"users":{}}"#;
        let mut out = Vec::new();
        parse_into(body, &mut out);
        assert_eq!(out.len(), 4, "{out:?}");
        // Keys are read in order: favorite_events first, then tweet_create_events.
        assert_eq!(
            out[0],
            Ok(Event::NotAMessage {
                id: None,
                what: "favorite".into()
            })
        );
        let msgs: Vec<Message> = out[1..]
            .iter()
            .map(|n| match n {
                Ok(Event::Message(m)) => (**m).clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(msgs[0].kind, MessageKind::Reply);
        assert_eq!(msgs[0].in_reply_to.as_ref().unwrap().as_str(), "1");
        assert_eq!(msgs[0].in_reply_to_author.as_deref(), Some("1000"));
        assert_eq!(msgs[0].entities.hashtags, vec!["retard".to_owned()]);
        assert_eq!(msgs[1].kind, MessageKind::Repost);
        let r = msgs[1].referenced.as_ref().unwrap();
        assert_eq!(r.author_handle.as_deref(), Some("brand"));
        assert_eq!(r.author_id.as_deref(), Some("1000"));
        // No created_at: the snowflake id's time; the long text wins.
        assert_eq!(msgs[2].text.as_str(), "the whole long text");
        assert_eq!(msgs[2].author.id, "9");
    }

    #[test]
    fn malformed_bodies_are_errors() {
        let mut out = Vec::new();
        parse_into(r#"{"for_user_id":"1"}"#, &mut out);
        assert_eq!(
            out[0].as_ref().unwrap_err().reason,
            palabre_core::Reason::UnknownShape
        );
        out.clear();
        parse_into(
            r#"{"for_user_id":"1","tweet_create_events":[{"id_str":"5","created_at":"yesterday","user":{"id_str":"1"}}]}"#,
            &mut out,
        );
        assert!(out[0].as_ref().unwrap_err().message.contains("yesterday"));
        out.clear();
        parse_into(
            r#"{"for_user_id":"1","tweet_create_events":[{"id_str""#,
            &mut out,
        );
        assert_eq!(
            out[0].as_ref().unwrap_err().reason,
            palabre_core::Reason::ParseError
        );
    }
}
