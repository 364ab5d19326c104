//! A schedule file: the brand's posts with their channel, text, language and time, as
//! `palabre publish add` adds them to the store and `palabre replay --schedule` rehearses them
//! against a stream. Each post is checked by `palabre_core::post::check`, as the web app's are.
//!
//! ```toml
//! time_zone = "Europe/Paris"        # optional; default [publishing] time_zone
//!
//! [[posts]]
//! id = "photos-concert"             # letters, digits, - and _
//! channel = "x:1000"                # a channel's key, or its handle: "@marque", "x:@marque"
//! at = "2026-06-20 23:00"           # in time_zone; or with an offset: 2026-06-20T23:00+02:00;
//!                                   # or "slot": the next free [publishing] slot
//! lang = "fr"                       # fr (default) or en
//! text = "Partagez vos plus belles photos du concert de ce soir !"
//! images = [{ file = "photos/scene.jpg", alt = "La scène avant le concert" }]
//!                                   # optional; a path relative to the schedule file
//! ```

use palabre_core::media::{self, Attached};
use palabre_core::post::{Checked, Draft, check};
use palabre_core::{Channel, Timestamp};
use serde::Deserialize;
use std::collections::HashSet;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    time_zone: Option<String>,
    #[serde(default)]
    posts: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    channel: String,
    text: String,
    lang: Option<String>,
    at: Option<String>,
    time_zone: Option<String>,
    #[serde(default)]
    images: Vec<ImageEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageEntry {
    /// Relative to the schedule file.
    file: String,
    #[serde(default)]
    alt: String,
}

/// An image of a planned post: its bytes, read and checked, and its description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedImage {
    pub bytes: Vec<u8>,
    pub alt: String,
}

/// What a schedule file is read against.
#[derive(Debug, Clone, Copy)]
pub struct Reading<'a> {
    /// `[publishing] time_zone`: the file's zone unless it says another.
    pub default_zone: &'a str,
    pub channels: &'a [Channel],
    /// A time already past is refused (adding to the store); `None`: any time is taken (a
    /// rehearsal of last year's stream).
    pub now: Option<Timestamp>,
    /// `[publishing] media_url` is set: Instagram can fetch images.
    pub public_address: bool,
    /// Errors in French.
    pub french: bool,
}

/// One post of the file, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub id: String,
    pub post: Checked,
    /// `at = "slot"`: it takes the next free queue slot when added (no time in a rehearsal).
    pub slot: bool,
    pub images: Vec<PlannedImage>,
}

fn cannot_read(path: &Path, e: &std::io::Error, french: bool) -> String {
    let cannot = if french {
        "impossible de lire"
    } else {
        "cannot read"
    };
    format!("{cannot} {}: {e}", path.display())
}

/// Reads and checks every post of `path` and its images; the first error names the file, the
/// post and what is wrong.
pub fn load(path: &Path, reading: &Reading<'_>) -> Result<Vec<Planned>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| cannot_read(path, &e, reading.french))?;
    let base = path.parent().unwrap_or(Path::new("."));
    parse(&text, base, reading).map_err(|e| format!("{}: {e}", path.display()))
}

/// [`load`] on the file's text; images are read from `base`.
pub fn parse(text: &str, base: &Path, reading: &Reading<'_>) -> Result<Vec<Planned>, String> {
    let (channels, now, french) = (reading.channels, reading.now, reading.french);
    let say = |en: &str, fr: &str| if french { fr.to_owned() } else { en.to_owned() };
    let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
    let file_zone = file.time_zone.as_deref().unwrap_or(reading.default_zone);
    let mut ids = HashSet::new();
    let mut slots = HashSet::new();
    let mut planned = Vec::with_capacity(file.posts.len());
    for (i, entry) in file.posts.iter().enumerate() {
        let at = |e: String| format!("posts[{i}] (`{}`): {e}", entry.id);
        let id = entry.id.trim();
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(at(say(
                "an id is 1 to 64 letters, digits, `-` or `_`",
                "un identifiant fait 1 à 64 lettres, chiffres, `-` ou `_`",
            )));
        }
        if !ids.insert(id.to_owned()) {
            return Err(at(say(
                "this id is already used by an earlier post of the file",
                "cet identifiant est déjà pris par une publication précédente du fichier",
            )));
        }
        let slot = entry.at.as_deref().map(str::trim) == Some("slot");
        let post = check(
            &Draft {
                channel: &entry.channel,
                text: &entry.text,
                lang: entry.lang.as_deref().unwrap_or("fr"),
                at: entry.at.as_deref().filter(|_| !slot),
                zone: entry.time_zone.as_deref().unwrap_or(file_zone),
            },
            channels,
            now,
        )
        .map_err(|e| at(e.say(french)))?;
        if let Some(due) = post.due
            && !slots.insert((post.channel.clone(), post.text.clone(), due))
        {
            return Err(at(say(
                "the same text is already scheduled on this channel at that time",
                "le même texte est déjà programmé sur ce canal à cette heure",
            )));
        }
        let images = images(&entry.images, base, post.platform, reading).map_err(at)?;
        planned.push(Planned {
            id: id.to_owned(),
            post,
            slot,
            images,
        });
    }
    Ok(planned)
}

/// A post's images, read from their files and checked against its platform's rules.
fn images(
    entries: &[ImageEntry],
    base: &Path,
    platform: palabre_core::Platform,
    reading: &Reading<'_>,
) -> Result<Vec<PlannedImage>, String> {
    let mut read = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let path = base.join(&entry.file);
        let bytes = std::fs::read(&path).map_err(|e| cannot_read(&path, &e, reading.french))?;
        let image = media::read(&bytes, i + 1).map_err(|e| e.say(reading.french))?;
        read.push((image, bytes, entry.alt.trim().to_owned()));
    }
    let attached: Vec<Attached<'_>> = read
        .iter()
        .map(|(image, _, alt)| Attached { image: *image, alt })
        .collect();
    media::check(platform, &attached, reading.public_address).map_err(|e| e.say(reading.french))?;
    Ok(read
        .into_iter()
        .map(|(_, bytes, alt)| PlannedImage { bytes, alt })
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use palabre_core::Platform;

    fn channels() -> &'static [Channel] {
        static CHANNELS: std::sync::LazyLock<Vec<Channel>> = std::sync::LazyLock::new(|| {
            vec![
                Channel::new(Platform::X, "1000", "marque").unwrap(),
                Channel::new(Platform::Instagram, "1784", "marque.photo").unwrap(),
            ]
        });
        &CHANNELS
    }

    fn reading(now: Option<Timestamp>, french: bool) -> Reading<'static> {
        Reading {
            default_zone: "Europe/Paris",
            channels: channels(),
            now,
            public_address: false,
            french,
        }
    }

    #[test]
    fn a_schedule_is_read_in_its_time_zone() {
        let posts = parse(
            r#"
time_zone = "America/New_York"
[[posts]]
id = "a"
channel = "@marque"
at = "2026-12-10 18:00"
text = "Bonsoir"
[[posts]]
id = "b"
channel = "x:1000"
at = "2026-12-10 18:00"
time_zone = "Europe/Paris"
lang = "en"
text = "Good evening"
[[posts]]
id = "idea"
channel = "x:1000"
text = "Sans date"
"#,
            Path::new("."),
            &reading(None, false),
        )
        .unwrap();
        let due: Vec<String> = posts
            .iter()
            .map(|p| p.post.due.map(|d| d.to_string()).unwrap_or_default())
            .collect();
        assert_eq!(due, ["2026-12-10T23:00:00Z", "2026-12-10T17:00:00Z", ""]);
        assert_eq!(posts[1].post.lang, "en");
    }

    #[test]
    fn each_bad_post_is_named_with_what_is_wrong() {
        let bad = |body: &str| parse(body, Path::new("."), &reading(None, false)).unwrap_err();
        let twice = bad(r#"
[[posts]]
id = "a"
channel = "x:1000"
at = "2026-12-10 18:00"
text = "Bonsoir"
[[posts]]
id = "b"
channel = "x:1000"
at = "2026-12-10T17:00:00Z"
text = "Bonsoir"
"#);
        assert_eq!(
            twice,
            "posts[1] (`b`): the same text is already scheduled on this channel at that time"
        );
        let gap = bad(
            "[[posts]]\nid = \"a\"\nchannel = \"x:1000\"\nat = \"2026-03-29 02:30\"\ntext = \"x\"\n",
        );
        assert!(
            gap.starts_with("posts[0] (`a`): 2026-03-29 02:30 does not exist"),
            "{gap}"
        );
        let long = bad(&format!(
            "[[posts]]\nid = \"a\"\nchannel = \"x:1000\"\ntext = \"{}\"\n",
            "a".repeat(281)
        ));
        assert!(long.contains("at most 280"), "{long}");
        let typo = bad("[[posts]]\nid = \"a\"\nchanel = \"x:1000\"\ntext = \"x\"\n");
        assert!(typo.contains("unknown field `chanel`"), "{typo}");
        let same_id = bad(
            "[[posts]]\nid = \"a\"\nchannel = \"x:1000\"\ntext = \"x\"\n[[posts]]\nid = \"a\"\nchannel = \"x:1000\"\ntext = \"y\"\n",
        );
        assert!(same_id.contains("already used"), "{same_id}");
        let now: Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
        let past = parse(
            "[[posts]]\nid = \"a\"\nchannel = \"x:1000\"\nat = \"2026-12-10 18:00\"\ntext = \"x\"\n",
            Path::new("."),
            &reading(Some(now), false),
        )
        .unwrap_err();
        assert!(past.contains("is in the past"), "{past}");
        // In French when asked.
        let twice_fr = parse(
            "[[posts]]\nid = \"a\"\nchannel = \"x:1000\"\ntext = \"x\"\n[[posts]]\nid = \"a\"\nchannel = \"x:1000\"\ntext = \"y\"\n",
            Path::new("."),
            &reading(None, true),
        )
        .unwrap_err();
        assert_eq!(
            twice_fr,
            "posts[1] (`a`): cet identifiant est déjà pris par une publication précédente du fichier"
        );
        let past_fr = parse(
            "[[posts]]\nid = \"a\"\nchannel = \"x:1000\"\nat = \"2026-12-10 18:00\"\ntext = \"x\"\n",
            Path::new("."),
            &reading(Some(now), true),
        )
        .unwrap_err();
        assert!(
            past_fr.ends_with(
                "2026-12-10 18:00 est passé : une publication se programme dans le futur"
            ),
            "{past_fr}"
        );
    }

    #[test]
    fn images_are_read_beside_the_file_and_checked_for_their_platform() {
        let images = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/images");
        let base = Path::new(images);
        let posts = parse(
            r#"
[[posts]]
id = "photo"
channel = "x:1000"
text = "Le viaduc ce matin"
images = [{ file = "square.jpg", alt = " Le viaduc sous la neige " }, { file = "wide.png" }]
"#,
            base,
            &reading(None, false),
        )
        .unwrap();
        assert_eq!(posts[0].images.len(), 2);
        assert_eq!(posts[0].images[0].alt, "Le viaduc sous la neige");
        assert_eq!(
            posts[0].images[1].bytes,
            std::fs::read(base.join("wide.png")).unwrap()
        );
        let bad = |body: &str, french: bool| parse(body, base, &reading(None, french)).unwrap_err();
        let missing = bad(
            "[[posts]]\nid = \"a\"\nchannel = \"x:1000\"\ntext = \"x\"\nimages = [{ file = \"nope.jpg\" }]\n",
            false,
        );
        assert!(
            missing.starts_with("posts[0] (`a`): cannot read ") && missing.contains("nope.jpg"),
            "{missing}"
        );
        let not_an_image = bad(
            "[[posts]]\nid = \"a\"\nchannel = \"x:1000\"\ntext = \"x\"\nimages = [{ file = \"README.md\" }]\n",
            false,
        );
        assert_eq!(
            not_an_image,
            "posts[0] (`a`): image 1 is not an image Palabre can read (JPEG, PNG, GIF or WebP)"
        );
        let insta = "[[posts]]\nid = \"i\"\nchannel = \"instagram:1784\"\ntext = \"x\"\nimages = [{ file = \"wide.png\" }]\n";
        assert_eq!(
            bad(insta, true),
            "posts[0] (`i`): Instagram va chercher les images d'une publication à une adresse publique : indiquez dans [publishing] media_url l'adresse où ce serveur est joignable"
        );
        let with_address = Reading {
            public_address: true,
            ..reading(None, false)
        };
        assert_eq!(
            parse(insta, base, &with_address).unwrap_err(),
            "posts[0] (`i`): image 1 is a PNG; Instagram takes JPEG"
        );
    }
}
