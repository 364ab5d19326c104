//! Generic JSON → `Message`. Only `id` and `text` are required; see DESIGN.md for the fields.
//!
//! Besides the post's own point, `geo` `{"lat", "lon"}`, a `place` `{"name", "bbox": [west,
//! south, east, north]}` gives the platform's place as a box. Coordinates are JSON numbers in
//! degrees: a string, a box of other than 4 numbers or off the Earth makes the event invalid.

use crate::json::{parse_error, timestamp};
use crate::{Event, NormalizeError, Normalized};
use palabre_core::message::{MessageText, Rating, Reference};
use palabre_core::{
    Author, EventId, ExternalId, GeoBox, GeoPoint, Mention, Message, MessageKind, Platform,
    Timestamp,
};
use serde::Deserialize;
use serde::de::{self, IgnoredAny, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

type Str<'a> = Cow<'a, str>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericEvent<'a> {
    #[serde(borrow)]
    platform: Option<Str<'a>>,
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow)]
    kind: Option<Str<'a>>,
    #[serde(borrow)]
    text: Str<'a>,
    #[serde(borrow)]
    created_at: Option<Str<'a>>,
    #[serde(borrow)]
    lang: Option<Str<'a>>,
    #[serde(borrow)]
    author: Option<GenericAuthor<'a>>,
    #[serde(borrow)]
    in_reply_to: Option<Str<'a>>,
    #[serde(borrow)]
    in_reply_to_author: Option<Str<'a>>,
    #[serde(borrow)]
    thread_root: Option<Str<'a>>,
    #[serde(borrow)]
    referenced: Option<GenericReference<'a>>,
    #[serde(borrow)]
    recipient: Option<Str<'a>>,
    #[serde(borrow, default)]
    mentions: Vec<Str<'a>>,
    #[serde(borrow, default)]
    hashtags: Vec<Str<'a>>,
    #[serde(borrow, default)]
    urls: Vec<Str<'a>>,
    geo: Option<GenericGeo>,
    #[serde(borrow)]
    place: Option<GenericPlace<'a>>,
    rating: Option<i64>,
    /// The payload of the quick reply the person tapped.
    #[serde(borrow)]
    choice: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericAuthor<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow)]
    handle: Option<Str<'a>>,
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(default)]
    verified: bool,
    #[serde(borrow)]
    bio: Option<Str<'a>>,
    followers: Option<u64>,
    following: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericReference<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow)]
    author_id: Option<Str<'a>>,
    #[serde(borrow)]
    author_handle: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericGeo {
    lat: Degrees,
    lon: Degrees,
}

/// The platform's place: its name (not kept) and its box.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericPlace<'a> {
    #[serde(borrow, rename = "name")]
    _name: Option<Str<'a>>,
    bbox: Option<BBox>,
}

/// A coordinate: a JSON number, never a string (`"48.87"` is refused with a sentence saying so).
struct Degrees(f64);

impl<'de> Deserialize<'de> for Degrees {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DegreesVisitor;
        impl Visitor<'_> for DegreesVisitor {
            type Value = Degrees;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of degrees (a JSON number, not a string)")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Degrees, E> {
                Ok(Degrees(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Degrees, E> {
                Ok(Degrees(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Degrees, E> {
                Ok(Degrees(v as f64))
            }
        }
        deserializer.deserialize_f64(DegreesVisitor)
    }
}

/// `[west, south, east, north]`: exactly 4 numbers.
struct BBox([f64; 4]);

impl<'de> Deserialize<'de> for BBox {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BBoxVisitor;
        impl<'de> Visitor<'de> for BBoxVisitor {
            type Value = BBox;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a bbox of 4 numbers [west, south, east, north] in degrees")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<BBox, A::Error> {
                let mut corners = [0.0; 4];
                for (i, slot) in corners.iter_mut().enumerate() {
                    *slot = seq
                        .next_element::<Degrees>()?
                        .ok_or_else(|| de::Error::invalid_length(i, &self))?
                        .0;
                }
                let mut len = corners.len();
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    len += 1;
                }
                if len != corners.len() {
                    return Err(de::Error::invalid_length(len, &self));
                }
                Ok(BBox(corners))
            }
        }
        deserializer.deserialize_seq(BBoxVisitor)
    }
}

/// Parses one generic event. Unknown fields are refused, so that a typo does not silently
/// drop information. Without `created_at` the event is dated at the Unix epoch (replay never
/// reads the wall clock).
pub fn parse_into(line: &str, out: &mut Vec<Normalized>) {
    out.push(parse(line));
}

fn parse(line: &str) -> Normalized {
    let e: GenericEvent =
        serde_json::from_str(line).map_err(|e| parse_error("generic event", e))?;
    let platform: Platform = match e.platform.as_deref() {
        Some(p) => p
            .parse()
            .map_err(|err: palabre_core::platform::UnknownPlatform| {
                NormalizeError::parse(err.to_string())
            })?,
        None => Platform::Generic,
    };
    let kind = match e.kind.as_deref() {
        Some(k) => MessageKind::parse(k).ok_or_else(|| {
            NormalizeError::parse(format!(
                "unknown kind `{k}` (expected post, reply, repost, quote, direct, comment or review)"
            ))
        })?,
        None if e.in_reply_to.is_some() => MessageKind::Reply,
        None => MessageKind::Post,
    };
    let created_at = match &e.created_at {
        Some(at) => timestamp(at, "created_at")?,
        None => Timestamp::UNIX_EPOCH,
    };
    let author = match e.author {
        Some(a) => Author {
            id: a.id.into_owned(),
            handle: a.handle.map(|h| h.trim_start_matches('@').to_owned()),
            display_name: a.name.map(Cow::into_owned),
            verified: a.verified,
            followers: a.followers,
            following: a.following,
            bio: a.bio.map(Cow::into_owned),
        },
        None => Author::unknown(),
    };
    let mut m = Message::new(
        EventId::new(platform, ExternalId::new(&e.id)?),
        kind,
        MessageText::new(e.text.as_ref())?,
        author,
        created_at,
    );
    m.lang_hint = e.lang.map(Cow::into_owned);
    m.in_reply_to = e.in_reply_to.as_deref().map(ExternalId::new).transpose()?;
    m.in_reply_to_author = e.in_reply_to_author.map(Cow::into_owned);
    m.thread_root = e.thread_root.as_deref().map(ExternalId::new).transpose()?;
    m.recipient = e.recipient.map(Cow::into_owned);
    if let Some(r) = e.referenced {
        m.referenced = Some(Reference {
            id: ExternalId::new(&r.id)?,
            author_id: r.author_id.map(Cow::into_owned),
            author_handle: r
                .author_handle
                .map(|h| h.trim_start_matches('@').to_owned()),
        });
    }
    m.entities.mentions = e
        .mentions
        .into_iter()
        .map(|h| Mention {
            handle: h.trim_start_matches('@').to_owned(),
            id: None,
        })
        .collect();
    m.entities.hashtags = e
        .hashtags
        .into_iter()
        .map(|h| h.trim_start_matches('#').to_owned())
        .collect();
    m.entities.urls = e.urls.into_iter().map(Cow::into_owned).collect();
    if let Some(g) = e.geo {
        let (lat, lon) = (g.lat.0, g.lon.0);
        m.entities.geo = Some(GeoPoint::new(lat, lon).ok_or_else(|| {
            NormalizeError::parse(format!("geo point ({lat}, {lon}) is not on Earth"))
        })?);
    }
    if let Some(BBox([west, south, east, north])) = e.place.and_then(|p| p.bbox) {
        m.entities.place = Some(GeoBox::new(west, south, east, north).ok_or_else(|| {
            NormalizeError::parse(format!(
                "place.bbox [{west}, {south}, {east}, {north}] is not a box on Earth: expected \
                 [west, south, east, north] in degrees, west ≤ east and south ≤ north, \
                 longitudes within ±180 and latitudes within ±90 (a box across the antimeridian \
                 is not taken)"
            ))
        })?);
    }
    if let Some(stars) = e.rating {
        m.rating = Some(
            Rating::new(stars)
                .ok_or_else(|| NormalizeError::parse(format!("rating {stars} is not 1 to 5")))?,
        );
    }
    m.choice = e.choice.map(Cow::into_owned);
    m.raw = Arc::from(line);
    Ok(Event::Message(Box::new(m)))
}
