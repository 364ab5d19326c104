//! X API v2 JSON → `Message`: `data` (one tweet or a page of them) joined with `includes`.
//!
//! Referenced tweets give the kind (`retweeted` → repost, `quoted` → quote, `replied_to` →
//! reply); `conversation_id` is the thread root; entity offsets count code points; `geo`
//! coordinates are `[lon, lat]`. A missing `created_at` is recovered from the snowflake id.
//!
//! A tweet's place (`geo.place_id`) is read from `includes.places` when the request asked for
//! it (`expansions=geo.place_id&place.fields=geo`): its `geo.bbox`, `[west, south, east,
//! north]`, becomes `entities.place`. A place across the antimeridian, or without a box, is left
//! out, as a point off the Earth is: the tweet itself is kept.

use crate::json::{parse_error, timestamp, timestamp_ms};
use crate::text::slice_code_points;
use crate::{Event, NormalizeError, Normalized};
use palabre_core::message::{MessageText, Reference};
use palabre_core::{
    Author, EventId, ExternalId, GeoBox, GeoPoint, Media, MediaKind, Mention, Message, MessageKind,
    Platform,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::sync::Arc;

type Str<'a> = Cow<'a, str>;

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    data: Option<Data<'a>>,
    #[serde(borrow, default)]
    includes: Includes<'a>,
    #[serde(borrow, default)]
    errors: Vec<ApiError<'a>>,
    /// Present in Account Activity webhook bodies only (read by `activity.rs`).
    for_user_id: Option<serde::de::IgnoredAny>,
}

/// `data` is one tweet (stream lines, lookups) or a page of them. Told apart on the first byte
/// and read in the same pass: the stream's hot path never scans a tweet twice.
enum Data<'a> {
    One(Box<Tweet<'a>>),
    /// Each tweet of a page is kept raw too: it is that event's payload.
    Page(Vec<&'a RawValue>),
}

impl<'de: 'a, 'a> Deserialize<'de> for Data<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DataVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for DataVisitor<'a> {
            type Value = Data<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a tweet object or an array of tweets")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, map: M) -> Result<Data<'a>, M::Error> {
                let tweet = Tweet::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(Data::One(Box::new(tweet)))
            }
            fn visit_seq<S: serde::de::SeqAccess<'de>>(self, seq: S) -> Result<Data<'a>, S::Error> {
                Vec::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(Data::Page)
            }
        }
        deserializer.deserialize_any(DataVisitor(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct ApiError<'a> {
    #[serde(borrow)]
    title: Option<Str<'a>>,
    #[serde(borrow)]
    detail: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
struct Includes<'a> {
    #[serde(borrow, default)]
    users: Vec<User<'a>>,
    #[serde(borrow, default)]
    tweets: Vec<Tweet<'a>>,
    #[serde(borrow, default)]
    media: Vec<MediaItem<'a>>,
    #[serde(borrow, default)]
    places: Vec<Place<'a>>,
}

#[derive(Deserialize)]
struct User<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow)]
    username: Option<Str<'a>>,
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(default)]
    verified: bool,
    #[serde(borrow)]
    description: Option<Str<'a>>,
    public_metrics: Option<PublicMetrics>,
}

#[derive(Deserialize)]
struct PublicMetrics {
    followers_count: Option<u64>,
    following_count: Option<u64>,
}

#[derive(Deserialize)]
struct MediaItem<'a> {
    #[serde(borrow)]
    media_key: Str<'a>,
    #[serde(borrow, rename = "type")]
    kind: Option<Str<'a>>,
    #[serde(borrow)]
    url: Option<Str<'a>>,
    #[serde(borrow)]
    preview_image_url: Option<Str<'a>>,
}

/// An expanded place: `full_name` by default, its GeoJSON `geo` with `place.fields=geo`.
#[derive(Deserialize)]
struct Place<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    geo: Option<PlaceGeo>,
}

#[derive(Deserialize)]
struct PlaceGeo {
    /// `[west, south, east, north]` in degrees.
    bbox: Option<[f64; 4]>,
}

#[derive(Deserialize)]
struct Tweet<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow, default)]
    text: Str<'a>,
    #[serde(borrow)]
    author_id: Option<Str<'a>>,
    #[serde(borrow)]
    created_at: Option<Str<'a>>,
    #[serde(borrow)]
    lang: Option<Str<'a>>,
    #[serde(borrow)]
    conversation_id: Option<Str<'a>>,
    #[serde(borrow)]
    in_reply_to_user_id: Option<Str<'a>>,
    #[serde(borrow, default)]
    referenced_tweets: Vec<ReferencedTweet<'a>>,
    #[serde(borrow)]
    entities: Option<TweetEntities<'a>>,
    #[serde(borrow)]
    note_tweet: Option<NoteTweet<'a>>,
    #[serde(borrow)]
    geo: Option<Geo<'a>>,
    #[serde(borrow)]
    attachments: Option<Attachments<'a>>,
}

#[derive(Deserialize)]
struct NoteTweet<'a> {
    #[serde(borrow)]
    text: Str<'a>,
    #[serde(borrow)]
    entities: Option<TweetEntities<'a>>,
}

#[derive(Deserialize)]
struct ReferencedTweet<'a> {
    #[serde(borrow, rename = "type")]
    kind: Str<'a>,
    #[serde(borrow)]
    id: Str<'a>,
}

#[derive(Deserialize, Default)]
struct TweetEntities<'a> {
    #[serde(borrow, default)]
    mentions: Vec<MentionEntity<'a>>,
    #[serde(borrow, default)]
    hashtags: Vec<TagEntity<'a>>,
    #[serde(borrow, default)]
    urls: Vec<UrlEntity<'a>>,
}

#[derive(Deserialize)]
struct MentionEntity<'a> {
    start: Option<usize>,
    end: Option<usize>,
    #[serde(borrow)]
    username: Option<Str<'a>>,
    #[serde(borrow)]
    id: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct TagEntity<'a> {
    start: Option<usize>,
    end: Option<usize>,
    #[serde(borrow)]
    tag: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct UrlEntity<'a> {
    #[serde(borrow)]
    url: Option<Str<'a>>,
    #[serde(borrow)]
    expanded_url: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Geo<'a> {
    coordinates: Option<Point>,
    #[serde(borrow)]
    place_id: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Point {
    /// GeoJSON order: longitude, latitude.
    coordinates: [f64; 2],
}

#[derive(Deserialize)]
struct Attachments<'a> {
    #[serde(borrow, default)]
    media_keys: Vec<Str<'a>>,
}

/// Milliseconds between the Unix epoch and X's snowflake epoch.
const SNOWFLAKE_EPOCH_MS: i64 = 1_288_834_974_657;

/// Parses one X API v2 JSON document and appends one event per tweet in `data`.
pub fn parse_into(line: &str, out: &mut Vec<Normalized>) {
    let envelope: Envelope = match serde_json::from_str(line) {
        Ok(e) => e,
        Err(e) => return out.push(Err(parse_error("X API v2", e))),
    };
    let Some(data) = envelope.data else {
        if envelope.for_user_id.is_some() {
            // An Account Activity webhook body: v1.1 tweets and direct messages.
            return super::activity::parse_into(line, out);
        }
        let detail = envelope
            .errors
            .first()
            .map(|e| {
                format!(
                    ": {}",
                    e.detail
                        .as_deref()
                        .or(e.title.as_deref())
                        .unwrap_or("error")
                )
            })
            .unwrap_or_default();
        return out.push(Err(NormalizeError::unknown_shape(format!(
            "X API v2 document without `data`{detail}"
        ))));
    };
    match data {
        Data::One(tweet) => out.push(build(*tweet, &envelope.includes, Arc::from(line))),
        Data::Page(tweets) => {
            // A page (mentions timeline, search): each tweet keeps its own JSON as raw payload.
            for tweet in tweets {
                out.push(
                    serde_json::from_str::<Tweet>(tweet.get())
                        .map_err(|e| parse_error("X tweet", e))
                        .and_then(|t| build(t, &envelope.includes, Arc::from(tweet.get()))),
                );
            }
        }
    }
}

fn build(tweet: Tweet, includes: &Includes, raw: Arc<str>) -> Result<Event, NormalizeError> {
    let id = ExternalId::new(&tweet.id)?;
    let created_at = match &tweet.created_at {
        Some(at) => timestamp(at, "created_at")?,
        None => snowflake_time(&tweet.id)?,
    };
    // Without `tweet.fields=author_id` X does not say who wrote it: keep the tweet anyway.
    let author = match tweet.author_id.as_deref() {
        Some(author_id) => includes
            .users
            .iter()
            .find(|u| u.id == author_id)
            .map(to_author)
            .unwrap_or_else(|| Author {
                id: author_id.to_owned(),
                ..Author::default()
            }),
        None => Author::unknown(),
    };

    // A long post (note tweet) carries its full text and entities separately.
    let (text, entities) = match tweet.note_tweet {
        Some(note) => (note.text, note.entities.or(tweet.entities)),
        None => (tweet.text, tweet.entities),
    };

    let mut replied_to = None;
    let mut reposted = None;
    let mut quoted = None;
    for r in &tweet.referenced_tweets {
        match r.kind.as_ref() {
            "replied_to" => replied_to = Some(r.id.as_ref()),
            "retweeted" => reposted = Some(r.id.as_ref()),
            "quoted" => quoted = Some(r.id.as_ref()),
            _ => {}
        }
    }
    let kind = if reposted.is_some() {
        MessageKind::Repost
    } else if replied_to.is_some() {
        MessageKind::Reply
    } else if quoted.is_some() {
        MessageKind::Quote
    } else {
        MessageKind::Post
    };

    let mut message = Message::new(
        EventId::new(Platform::X, id),
        kind,
        MessageText::new(text.as_ref())?,
        author,
        created_at,
    );
    message.lang_hint = tweet
        .lang
        .filter(|l| l != "und" && l != "zxx")
        .map(Cow::into_owned);
    message.in_reply_to = replied_to.map(ExternalId::new).transpose()?;
    message.in_reply_to_author = tweet.in_reply_to_user_id.map(Cow::into_owned);
    message.thread_root = tweet
        .conversation_id
        .as_deref()
        .map(ExternalId::new)
        .transpose()?;
    if let Some(ref_id) = reposted.or(quoted) {
        message.referenced = Some(reference(ref_id, includes, &text)?);
    }
    if let Some(entities) = entities {
        fill_entities(&mut message, &text, entities);
    }
    if let Some(geo) = tweet.geo {
        if let Some(point) = geo.coordinates {
            let [lon, lat] = point.coordinates;
            message.entities.geo = GeoPoint::new(lat, lon);
        }
        message.entities.place = geo
            .place_id
            .and_then(|id| includes.places.iter().find(|p| p.id == id))
            .and_then(|p| p.geo.as_ref()?.bbox)
            .and_then(|[west, south, east, north]| GeoBox::new(west, south, east, north));
    }
    if let Some(attachments) = tweet.attachments {
        for key in attachments.media_keys {
            let item = includes.media.iter().find(|m| m.media_key == key);
            message.entities.media.push(Media {
                kind: match item.and_then(|m| m.kind.as_deref()) {
                    Some("photo") => MediaKind::Image,
                    Some("video") | Some("animated_gif") => MediaKind::Video,
                    _ => MediaKind::Other,
                },
                url: item
                    .and_then(|m| m.url.as_ref().or(m.preview_image_url.as_ref()))
                    .map(|u| u.to_string()),
            });
        }
    }
    message.raw = raw;
    Ok(Event::Message(Box::new(message)))
}

fn to_author(user: &User) -> Author {
    Author {
        id: user.id.to_string(),
        handle: user.username.as_deref().map(str::to_owned),
        display_name: user.name.as_deref().map(str::to_owned),
        verified: user.verified,
        followers: user.public_metrics.as_ref().and_then(|m| m.followers_count),
        following: user.public_metrics.as_ref().and_then(|m| m.following_count),
        bio: user
            .description
            .as_deref()
            .filter(|d| !d.is_empty())
            .map(str::to_owned),
    }
}

/// The quoted or retweeted tweet, its author from `includes`, or from the `RT @handle:` prefix.
fn reference(id: &str, includes: &Includes, text: &str) -> Result<Reference, NormalizeError> {
    let original = includes.tweets.iter().find(|t| t.id == id);
    let author_id = original.and_then(|t| t.author_id.as_deref());
    let author_handle = author_id
        .and_then(|a| includes.users.iter().find(|u| u.id == a))
        .and_then(|u| u.username.as_deref())
        .or_else(|| {
            text.strip_prefix("RT @")
                .and_then(|rest| rest.split(':').next())
        });
    Ok(Reference {
        id: ExternalId::new(id)?,
        author_id: author_id.map(str::to_owned),
        author_handle: author_handle.map(str::to_owned),
    })
}

fn fill_entities(message: &mut Message, text: &str, entities: TweetEntities) {
    for m in entities.mentions {
        let handle = m.username.map(Cow::into_owned).or_else(|| {
            slice_code_points(text, m.start?, m.end?).map(|s| s.trim_start_matches('@').to_owned())
        });
        if let Some(handle) = handle {
            message.entities.mentions.push(Mention {
                handle,
                id: m.id.map(Cow::into_owned),
            });
        }
    }
    for h in entities.hashtags {
        let tag = h.tag.map(Cow::into_owned).or_else(|| {
            slice_code_points(text, h.start?, h.end?)
                .map(|s| s.trim_start_matches(['#', '＃']).to_owned())
        });
        message.entities.hashtags.extend(tag);
    }
    for u in entities.urls {
        message
            .entities
            .urls
            .extend(u.expanded_url.or(u.url).map(Cow::into_owned));
    }
}

/// The creation time encoded in an X snowflake id.
pub(crate) fn snowflake_time(id: &str) -> Result<jiff::Timestamp, NormalizeError> {
    let n: i64 = id.parse().map_err(|_| {
        NormalizeError::parse("tweet without `created_at`, and its id is not a snowflake")
    })?;
    timestamp_ms((n >> 22) + SNOWFLAKE_EPOCH_MS, "id")
}
