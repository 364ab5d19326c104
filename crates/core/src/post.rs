//! The rules of a scheduled post, without I/O: which platforms Palabre publishes on, whether a
//! text fits the platform, when a local time in a time zone falls (refusing the times a clock
//! change skips or repeats), and the public address of a published post.

use crate::limit::Limit;
use crate::{Channel, Platform};
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};

/// Why a post cannot be written or scheduled as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    #[error(
        "Palabre does not publish on {0}: posts go to X, Mastodon, Bluesky, a Facebook Page or Instagram"
    )]
    Platform(Platform),
    #[error("the text is empty")]
    Empty,
    #[error("the text is {length} long as {platform} counts it; {platform} takes at most {max}")]
    TooLong {
        platform: Platform,
        length: usize,
        max: usize,
    },
    #[error("unknown time zone `{0}` (an IANA name, such as Europe/Paris or America/New_York)")]
    Zone(String),
    #[error(
        "`{0}` is not a time: write YYYY-MM-DD HH:MM in the post's time zone, or an instant with its offset (2026-12-10T18:00+01:00)"
    )]
    Time(String),
    #[error(
        "{time} does not exist in {zone}: the clocks go forward then (from {before} to {after}); choose another time"
    )]
    Gap {
        time: String,
        zone: String,
        before: String,
        after: String,
    },
    #[error(
        "{time} happens twice in {zone}: the clocks go back then; give the offset (for example {time}{first} or {time}{second})"
    )]
    Fold {
        time: String,
        zone: String,
        first: String,
        second: String,
    },
    #[error("{0} is in the past: a post is scheduled for later")]
    Past(String),
    #[error("channel `{given}` is not one of the brand's channels ({known})")]
    Channel { given: String, known: String },
    #[error("`{given}` names several of the brand's channels ({which}): write the channel's key")]
    Ambiguous { given: String, which: String },
    #[error(
        "queue slot `{0}`: write a weekday and a time, such as `tue 18:00` (mon, tue, wed, thu, fri, sat, sun or lun, mar, mer, jeu, ven, sam, dim)"
    )]
    Slot(String),
    #[error(
        "no free queue slot within eight weeks: add slots to [publishing] slots, or give a time"
    )]
    NoFreeSlot,
    #[error("language `{0}`: a post is written in fr or en")]
    Lang(String),
    #[error("image {0} is not an image Palabre can read (JPEG, PNG, GIF or WebP)")]
    ImageUnreadable(usize),
    #[error("image {number} is a {format}; {} takes {accepted}", platform.name())]
    ImageFormat {
        number: usize,
        platform: Platform,
        format: &'static str,
        accepted: String,
    },
    #[error("image {number} weighs {size}; {} takes at most {max} an image", platform.name())]
    ImageTooBig {
        number: usize,
        platform: Platform,
        size: String,
        max: String,
    },
    #[error("{count} images; {} takes at most {max} in a post", platform.name())]
    TooManyImages {
        platform: Platform,
        count: usize,
        max: usize,
    },
    #[error(
        "the description of image {number} is {length} characters long; {} takes at most {max}",
        platform.name()
    )]
    AltTooLong {
        number: usize,
        platform: Platform,
        length: usize,
        max: usize,
    },
    #[error(
        "image {number} is {width}×{height}: {} takes images from 4:5 (portrait) to 1.91:1 (landscape); crop it",
        platform.name()
    )]
    ImageShape {
        number: usize,
        platform: Platform,
        width: u32,
        height: u32,
    },
    #[error("a post on {} needs an image", .0.name())]
    ImageNeeded(Platform),
    #[error(
        "{} fetches a post's images from a public address: set [publishing] media_url to the address where this server is reached",
        .0.name()
    )]
    NoMediaUrl(Platform),
}

impl PostError {
    /// The same, in French (the web app's forms and `palabre publish --lang fr`).
    pub fn in_french(&self) -> String {
        match self {
            PostError::Platform(p) => format!(
                "Palabre ne publie pas sur {p} : les publications vont sur X, Mastodon, Bluesky, une Page Facebook ou Instagram"
            ),
            PostError::Empty => "le texte est vide".to_owned(),
            PostError::TooLong {
                platform,
                length,
                max,
            } => format!(
                "le texte compte {length} selon {platform}, qui en accepte au plus {max}"
            ),
            PostError::Zone(z) => format!(
                "fuseau horaire inconnu `{z}` (un nom IANA, comme Europe/Paris ou America/New_York)"
            ),
            PostError::Time(t) => format!(
                "`{t}` n'est pas une heure : écrivez AAAA-MM-JJ HH:MM dans le fuseau de la publication, ou un instant avec son décalage (2026-12-10T18:00+01:00)"
            ),
            PostError::Gap {
                time,
                zone,
                before,
                after,
            } => format!(
                "{time} n'existe pas en {zone} : on avance les horloges à ce moment-là (de {before} à {after}) ; choisissez une autre heure"
            ),
            PostError::Fold {
                time,
                zone,
                first,
                second,
            } => format!(
                "{time} arrive deux fois en {zone} : on recule les horloges à ce moment-là ; précisez le décalage (par exemple {time}{first} ou {time}{second})"
            ),
            PostError::Past(t) => {
                format!("{t} est passé : une publication se programme dans le futur")
            }
            PostError::Channel { given, known } => {
                format!("le canal `{given}` n'est pas un canal de la marque ({known})")
            }
            PostError::Ambiguous { given, which } => format!(
                "`{given}` désigne plusieurs canaux de la marque ({which}) : écrivez la clé du canal"
            ),
            PostError::Slot(s) => format!(
                "créneau `{s}` : écrivez un jour et une heure, comme `mar 18:00` (lun, mar, mer, jeu, ven, sam, dim ou mon, tue, wed, thu, fri, sat, sun)"
            ),
            PostError::NoFreeSlot => "aucun créneau libre dans les huit semaines : ajoutez des créneaux dans [publishing] slots, ou donnez une heure".to_owned(),
            PostError::Lang(l) => {
                format!("langue `{l}` : une publication s'écrit en fr ou en en")
            }
            PostError::ImageUnreadable(n) => format!(
                "l'image {n} n'est pas une image que Palabre sait lire (JPEG, PNG, GIF ou WebP)"
            ),
            PostError::ImageFormat {
                number,
                platform,
                format,
                accepted,
            } => format!(
                "l'image {number} est au format {format} ; {} accepte {accepted}",
                platform.name()
            ),
            PostError::ImageTooBig {
                number,
                platform,
                size,
                max,
            } => format!(
                "l'image {number} pèse {} ; {} accepte au plus {} par image",
                size.replace('.', ",").replace("MB", "Mo").replace("KB", "Ko"),
                platform.name(),
                max.replace('.', ",").replace("MB", "Mo").replace("KB", "Ko")
            ),
            PostError::TooManyImages {
                platform,
                count,
                max,
            } => format!(
                "{count} images ; {} en accepte au plus {max} par publication",
                platform.name()
            ),
            PostError::AltTooLong {
                number,
                platform,
                length,
                max,
            } => format!(
                "la description de l'image {number} compte {length} caractères ; {} en accepte au plus {max}",
                platform.name()
            ),
            PostError::ImageShape {
                number,
                platform,
                width,
                height,
            } => format!(
                "l'image {number} mesure {width}×{height} : {} accepte des images du 4:5 (portrait) au 1,91:1 (paysage) ; recadrez-la",
                platform.name()
            ),
            PostError::ImageNeeded(p) => {
                format!("une publication sur {} demande une image", p.name())
            }
            PostError::NoMediaUrl(p) => format!(
                "{} va chercher les images d'une publication à une adresse publique : indiquez dans [publishing] media_url l'adresse où ce serveur est joignable",
                p.name()
            ),
        }
    }

    /// In French or in English.
    pub fn say(&self, french: bool) -> String {
        if french {
            self.in_french()
        } else {
            self.to_string()
        }
    }
}

/// A post as a person wrote it (a form, a JSON body, a schedule file).
#[derive(Debug, Clone, Copy)]
pub struct Draft<'a> {
    /// The channel's key (`x:1000`) or its handle (`@marque`, `x:@marque` when two platforms
    /// share it).
    pub channel: &'a str,
    pub text: &'a str,
    pub lang: &'a str,
    /// Its time (see [`due_at`]), if it has one yet.
    pub at: Option<&'a str>,
    /// The time zone `at` is written in.
    pub zone: &'a str,
}

/// A post checked against the brand's channels and the platform's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// `PLATFORM:ID`.
    pub channel: String,
    pub platform: Platform,
    pub text: String,
    pub lang: String,
    pub due: Option<Timestamp>,
    pub zone: String,
}

/// Checks `draft`: a channel of the brand's where Palabre publishes, a text that fits, `fr` or
/// `en`, a time that exists in its zone (and, with `now`, is later).
pub fn check(
    draft: &Draft<'_>,
    channels: &[Channel],
    now: Option<Timestamp>,
) -> Result<Checked, PostError> {
    let channel = find_channel(draft.channel, channels)?;
    can_publish(channel.platform)?;
    let text = check_text(channel.platform, draft.text)?;
    let lang = draft.lang.trim().to_ascii_lowercase();
    if lang != "fr" && lang != "en" {
        return Err(PostError::Lang(draft.lang.to_owned()));
    }
    zone(draft.zone)?;
    let due = match draft.at.map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(at) => Some(match now {
            Some(now) => due_after(at, draft.zone, now)?,
            None => due_at(at, draft.zone)?,
        }),
    };
    Ok(Checked {
        channel: channel.key(),
        platform: channel.platform,
        text,
        lang,
        due,
        zone: draft.zone.trim().to_owned(),
    })
}

/// The channel `given` names: its key, or its handle (alone, or after `PLATFORM:`).
fn find_channel<'c>(given: &str, channels: &'c [Channel]) -> Result<&'c Channel, PostError> {
    let given = given.trim();
    let by_key = channels.iter().find(|c| c.key() == given);
    let by_handle = || {
        let (platform, handle) = match given.split_once(":@") {
            Some((p, h)) => (p.parse::<Platform>().ok(), h),
            None => (None, given),
        };
        let found: Vec<&Channel> = channels
            .iter()
            .filter(|c| {
                platform.is_none_or(|p| p == c.platform)
                    && (handle.starts_with('@') || platform.is_some())
                    && c.is_handle(handle)
            })
            .collect();
        found
    };
    if let Some(channel) = by_key {
        return Ok(channel);
    }
    let found = by_handle();
    if found.len() > 1 {
        return Err(PostError::Ambiguous {
            given: given.to_owned(),
            which: found.iter().map(|c| c.key()).collect::<Vec<_>>().join(", "),
        });
    }
    found.first().copied().ok_or_else(|| PostError::Channel {
        given: given.to_owned(),
        known: if channels.is_empty() {
            "none is configured: add [[channels]] to the configuration".to_owned()
        } else {
            channels
                .iter()
                .map(|c| format!("{} @{}", c.key(), c.handle))
                .collect::<Vec<_>>()
                .join(", ")
        },
    })
}

/// The platforms whose connectors publish a post of the brand's.
pub fn can_publish(platform: Platform) -> Result<(), PostError> {
    match platform {
        Platform::X
        | Platform::Mastodon
        | Platform::Bluesky
        | Platform::Messenger
        | Platform::Instagram => Ok(()),
        other => Err(PostError::Platform(other)),
    }
}

/// The text trimmed, if it is not empty and fits what `platform` takes in one post.
pub fn check_text(platform: Platform, text: &str) -> Result<String, PostError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(PostError::Empty);
    }
    let limit = Limit::for_post(platform);
    let length = limit.measure(text);
    if length > limit.max {
        return Err(PostError::TooLong {
            platform,
            length,
            max: limit.max,
        });
    }
    Ok(text.to_owned())
}

/// The time zone named (an IANA name).
pub fn zone(name: &str) -> Result<TimeZone, PostError> {
    TimeZone::get(name.trim()).map_err(|_| PostError::Zone(name.trim().to_owned()))
}

/// When `written` falls: an instant with its offset (`2026-12-10T18:00+01:00`, `…Z`) as is; a
/// local time (`2026-12-10 18:00`, `2026-12-10T18:00:00`) in `zone_name`. A local time the
/// clocks skip (spring forward) or pass twice (fall back) is refused with what to write.
pub fn due_at(written: &str, zone_name: &str) -> Result<Timestamp, PostError> {
    let written = written.trim();
    if let Ok(at) = written.parse::<Timestamp>() {
        return Ok(at);
    }
    let local: DateTime = written
        .parse()
        .map_err(|_| PostError::Time(written.to_owned()))?;
    let tz = zone(zone_name)?;
    let ambiguous = tz.to_ambiguous_timestamp(local);
    let time = local.strftime("%Y-%m-%d %H:%M").to_string();
    match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { .. } => ambiguous
            .unambiguous()
            .map_err(|_| PostError::Time(written.to_owned())),
        AmbiguousOffset::Gap { before, after } => Err(PostError::Gap {
            time,
            zone: zone_name.trim().to_owned(),
            before: offset_text(before),
            after: offset_text(after),
        }),
        AmbiguousOffset::Fold { before, after } => Err(PostError::Fold {
            time,
            zone: zone_name.trim().to_owned(),
            first: offset_text(before),
            second: offset_text(after),
        }),
    }
}

/// An offset as an instant's text writes it: `+02:00`.
fn offset_text(offset: jiff::tz::Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A queue slot: a weekday and a time of day in the brand's zone (`tue 18:00`, `mar 18:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueSlot {
    pub weekday: jiff::civil::Weekday,
    pub time: jiff::civil::Time,
}

impl QueueSlot {
    /// Its weekday as people read it: `tue`, or `mar.` in French.
    pub fn weekday_label(&self, french: bool) -> &'static str {
        use jiff::civil::Weekday::*;
        match (self.weekday, french) {
            (Monday, false) => "mon",
            (Tuesday, false) => "tue",
            (Wednesday, false) => "wed",
            (Thursday, false) => "thu",
            (Friday, false) => "fri",
            (Saturday, false) => "sat",
            (Sunday, false) => "sun",
            (Monday, true) => "lun.",
            (Tuesday, true) => "mar.",
            (Wednesday, true) => "mer.",
            (Thursday, true) => "jeu.",
            (Friday, true) => "ven.",
            (Saturday, true) => "sam.",
            (Sunday, true) => "dim.",
        }
    }

    pub fn parse(written: &str) -> Result<QueueSlot, PostError> {
        use jiff::civil::Weekday::*;
        let bad = || PostError::Slot(written.to_owned());
        let (day, time) = written.trim().split_once(' ').ok_or_else(bad)?;
        let weekday = match day.trim().trim_end_matches('.').to_lowercase().as_str() {
            "mon" | "monday" | "lun" | "lundi" => Monday,
            "tue" | "tuesday" | "mar" | "mardi" => Tuesday,
            "wed" | "wednesday" | "mer" | "mercredi" => Wednesday,
            "thu" | "thursday" | "jeu" | "jeudi" => Thursday,
            "fri" | "friday" | "ven" | "vendredi" => Friday,
            "sat" | "saturday" | "sam" | "samedi" => Saturday,
            "sun" | "sunday" | "dim" | "dimanche" => Sunday,
            _ => return Err(bad()),
        };
        let time: jiff::civil::Time = time.trim().parse().map_err(|_| bad())?;
        Ok(QueueSlot { weekday, time })
    }
}

/// The first queue slot after `now` (within eight weeks) where no post of the channel is
/// planned (`taken`, within the same minute). A slot the clocks skip that day is passed over.
pub fn next_free_slot(
    slots: &[QueueSlot],
    zone_name: &str,
    now: Timestamp,
    taken: &[Timestamp],
) -> Result<Timestamp, PostError> {
    let tz = zone(zone_name)?;
    let today = now.to_zoned(tz.clone()).date();
    let mut day = today;
    for _ in 0..56 {
        let mut times: Vec<Timestamp> = slots
            .iter()
            .filter(|s| s.weekday == day.weekday())
            .filter_map(|s| {
                let local = day.to_datetime(s.time);
                tz.to_ambiguous_timestamp(local).unambiguous().ok()
            })
            .filter(|at| *at > now)
            .filter(|at| {
                !taken
                    .iter()
                    .any(|t| t.as_second().div_euclid(60) == at.as_second().div_euclid(60))
            })
            .collect();
        times.sort();
        if let Some(first) = times.first() {
            return Ok(*first);
        }
        day = match day.tomorrow() {
            Ok(d) => d,
            Err(_) => break,
        };
    }
    Err(PostError::NoFreeSlot)
}

/// `due_at`, refusing an instant not after `now`.
pub fn due_after(written: &str, zone_name: &str, now: Timestamp) -> Result<Timestamp, PostError> {
    let at = due_at(written, zone_name)?;
    if at <= now {
        return Err(PostError::Past(local_time(at, zone_name)));
    }
    Ok(at)
}

/// An instant as people of `zone_name` read it: `2026-12-10 18:00` (UTC if the zone is unknown).
pub fn local_time(at: Timestamp, zone_name: &str) -> String {
    let tz = zone(zone_name).unwrap_or(TimeZone::UTC);
    at.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string()
}

/// The public address of a published post, from the platform's id of it and the channel's
/// handle: `https://x.com/HANDLE/status/ID`, `https://SERVER/@USER/ID` (a Mastodon handle
/// names its server), `https://bsky.app/profile/DID/post/KEY` (from the record's `at://` URI),
/// `https://www.facebook.com/PAGEID_POSTID`. Instagram's comes from its API.
pub fn link(platform: Platform, handle: &str, remote_id: &str) -> Option<String> {
    let handle = handle.trim_start_matches('@');
    match platform {
        Platform::X => Some(format!("https://x.com/{handle}/status/{remote_id}")),
        Platform::Mastodon => {
            let (user, server) = handle.split_once('@')?;
            Some(format!("https://{server}/@{user}/{remote_id}"))
        }
        Platform::Bluesky => {
            let rest = remote_id.strip_prefix("at://")?;
            let (did, path) = rest.split_once('/')?;
            let key = path.strip_prefix("app.bsky.feed.post/")?;
            Some(format!("https://bsky.app/profile/{did}/post/{key}"))
        }
        // `PAGEID_POSTID`: facebook.com leads from it to the post.
        Platform::Messenger => Some(format!("https://www.facebook.com/{remote_id}")),
        // Instagram's address is not its id: the sender asks for its permalink.
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_local_time_falls_in_its_zone_and_an_instant_keeps_its_offset() {
        let at = due_at("2026-12-10 18:00", "Europe/Paris").unwrap();
        assert_eq!(at.to_string(), "2026-12-10T17:00:00Z");
        let summer = due_at("2026-07-10T18:00", "Europe/Paris").unwrap();
        assert_eq!(summer.to_string(), "2026-07-10T16:00:00Z");
        let exact = due_at("2026-12-10T18:00+01:00", "America/New_York").unwrap();
        assert_eq!(exact.to_string(), "2026-12-10T17:00:00Z");
        assert_eq!(local_time(at, "America/New_York"), "2026-12-10 12:00");
    }

    #[test]
    fn times_the_clocks_skip_or_repeat_are_refused_with_what_to_write() {
        // 29 March 2026: Paris goes from 02:00 to 03:00.
        let gap = due_at("2026-03-29 02:30", "Europe/Paris").unwrap_err();
        assert!(matches!(gap, PostError::Gap { .. }), "{gap:?}");
        assert!(gap.to_string().contains("does not exist in Europe/Paris"));
        assert_eq!(
            gap.say(true),
            "2026-03-29 02:30 n'existe pas en Europe/Paris : on avance les horloges à ce moment-là (de +01:00 à +02:00) ; choisissez une autre heure"
        );
        // 25 October 2026: 02:30 happens twice.
        let fold = due_at("2026-10-25 02:30", "Europe/Paris").unwrap_err();
        assert!(fold.to_string().contains("+02:00"), "{fold}");
        assert!(fold.to_string().contains("+01:00"), "{fold}");
        assert!(due_at("2026-10-25 02:30+01:00", "Europe/Paris").is_ok());
    }

    #[test]
    fn bad_times_zones_and_the_past_are_refused() {
        assert!(matches!(
            due_at("demain 18h", "Europe/Paris"),
            Err(PostError::Time(_))
        ));
        assert!(matches!(
            due_at("2026-12-10 18:00", "Europe/Lutece"),
            Err(PostError::Zone(_))
        ));
        let now: Timestamp = "2026-12-10T17:00:00Z".parse().unwrap();
        let past = due_after("2026-12-10 18:00", "Europe/Paris", now).unwrap_err();
        assert_eq!(
            past.to_string(),
            "2026-12-10 18:00 is in the past: a post is scheduled for later"
        );
        assert!(due_after("2026-12-10 18:01", "Europe/Paris", now).is_ok());
    }

    #[test]
    fn texts_are_measured_as_each_platform_counts() {
        assert_eq!(
            check_text(Platform::X, "  Bonsoir !  ").unwrap(),
            "Bonsoir !"
        );
        assert_eq!(check_text(Platform::X, " "), Err(PostError::Empty));
        let long = "é".repeat(281);
        assert!(matches!(
            check_text(Platform::X, &long),
            Err(PostError::TooLong {
                length: 281,
                max: 280,
                ..
            })
        ));
        assert!(check_text(Platform::Mastodon, &long).is_ok());
        // Emoji count 2 on X.
        assert!(check_text(Platform::X, &"🎉".repeat(141)).is_err());
        assert!(check_text(Platform::Bluesky, &"🎉".repeat(300)).is_ok());
        assert!(matches!(
            can_publish(Platform::Google),
            Err(PostError::Platform(Platform::Google))
        ));
    }

    #[test]
    fn a_draft_is_checked_against_the_brands_channels() {
        let channels = [
            Channel::new(Platform::X, "1000", "marque").unwrap(),
            Channel::new(Platform::Mastodon, "7", "marque@social.example").unwrap(),
            Channel::new(Platform::Google, "loc1", "hotel").unwrap(),
        ];
        let draft = |channel, text, at| Draft {
            channel,
            text,
            lang: "FR",
            at,
            zone: "Europe/Paris",
        };
        let ok = check(
            &draft("x:1000", " Bonsoir ", Some("2026-12-10 18:00")),
            &channels,
            None,
        )
        .unwrap();
        assert_eq!(
            (ok.channel.as_str(), ok.text.as_str(), ok.lang.as_str()),
            ("x:1000", "Bonsoir", "fr")
        );
        assert_eq!(
            check(&draft("x:@marque", "a", None), &channels, None)
                .unwrap()
                .channel,
            "x:1000"
        );
        let both = check(&draft("@marque", "a", None), &channels, None).unwrap_err();
        assert_eq!(
            both.to_string(),
            "`@marque` names several of the brand's channels (x:1000, mastodon:7): write the channel's key"
        );
        assert_eq!(
            check(
                &draft("mastodon:@marque@social.example", "a", None),
                &channels,
                None
            )
            .unwrap()
            .channel,
            "mastodon:7"
        );
        let unknown = check(&draft("x:2", "a", None), &channels, None).unwrap_err();
        assert!(unknown.to_string().contains("x:1000 @marque"), "{unknown}");
        assert_eq!(
            check(&draft("google:loc1", "a", None), &channels, None),
            Err(PostError::Platform(Platform::Google))
        );
        let mut german = draft("x:1000", "Hallo", None);
        german.lang = "de";
        assert_eq!(
            check(&german, &channels, None),
            Err(PostError::Lang("de".into()))
        );
        let now: Timestamp = "2026-12-11T00:00:00Z".parse().unwrap();
        assert!(matches!(
            check(
                &draft("x:1000", "a", Some("2026-12-10 18:00")),
                &channels,
                Some(now)
            ),
            Err(PostError::Past(_))
        ));
    }

    #[test]
    fn the_next_free_queue_slot_skips_the_taken_ones() {
        let slots = [
            QueueSlot::parse("tue 18:00").unwrap(),
            QueueSlot::parse("jeu 09:30").unwrap(),
        ];
        // Monday 7 December 2026, 10:00 in Paris.
        let now: Timestamp = "2026-12-07T09:00:00Z".parse().unwrap();
        let first = next_free_slot(&slots, "Europe/Paris", now, &[]).unwrap();
        assert_eq!(local_time(first, "Europe/Paris"), "2026-12-08 18:00");
        let second = next_free_slot(&slots, "Europe/Paris", now, &[first]).unwrap();
        assert_eq!(local_time(second, "Europe/Paris"), "2026-12-10 09:30");
        let third = next_free_slot(&slots, "Europe/Paris", now, &[first, second]).unwrap();
        assert_eq!(local_time(third, "Europe/Paris"), "2026-12-15 18:00");
        assert_eq!(
            next_free_slot(&[], "Europe/Paris", now, &[]),
            Err(PostError::NoFreeSlot)
        );
        assert!(matches!(QueueSlot::parse("mardi"), Err(PostError::Slot(_))));
        assert!(matches!(
            QueueSlot::parse("tue 25:00"),
            Err(PostError::Slot(_))
        ));
    }

    #[test]
    fn published_posts_have_their_public_address() {
        assert_eq!(
            link(Platform::X, "@marque", "1790").as_deref(),
            Some("https://x.com/marque/status/1790")
        );
        assert_eq!(
            link(Platform::Mastodon, "aide@social.example", "1234").as_deref(),
            Some("https://social.example/@aide/1234")
        );
        assert_eq!(
            link(
                Platform::Bluesky,
                "marque.bsky.social",
                "at://did:plc:abc/app.bsky.feed.post/3kx"
            )
            .as_deref(),
            Some("https://bsky.app/profile/did:plc:abc/post/3kx")
        );
        assert_eq!(link(Platform::Mastodon, "aide", "1"), None);
    }
}
