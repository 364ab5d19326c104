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
//! ```

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
}

/// One post of the file, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub id: String,
    pub post: Checked,
    /// `at = "slot"`: it takes the next free queue slot when added (no time in a rehearsal).
    pub slot: bool,
}

/// Reads and checks every post of `path`; the first error names the file, the post and what
/// is wrong. With `now`, a time already past is refused (adding to the store); without, any
/// time is taken (a rehearsal of last year's stream). Errors in French with `french`.
pub fn load(
    path: &Path,
    default_zone: &str,
    channels: &[Channel],
    now: Option<Timestamp>,
    french: bool,
) -> Result<Vec<Planned>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let cannot = if french {
            "impossible de lire"
        } else {
            "cannot read"
        };
        format!("{cannot} {}: {e}", path.display())
    })?;
    parse(&text, default_zone, channels, now, french)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// [`load`] on the file's text.
pub fn parse(
    text: &str,
    default_zone: &str,
    channels: &[Channel],
    now: Option<Timestamp>,
    french: bool,
) -> Result<Vec<Planned>, String> {
    let say = |en: &str, fr: &str| if french { fr.to_owned() } else { en.to_owned() };
    let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
    let file_zone = file.time_zone.as_deref().unwrap_or(default_zone);
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
        planned.push(Planned {
            id: id.to_owned(),
            post,
            slot,
        });
    }
    Ok(planned)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use palabre_core::Platform;

    fn channels() -> Vec<Channel> {
        vec![Channel::new(Platform::X, "1000", "marque").unwrap()]
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
            "Europe/Paris",
            &channels(),
            None,
            false,
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
        let bad = |body: &str| parse(body, "Europe/Paris", &channels(), None, false).unwrap_err();
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
            "Europe/Paris",
            &channels(),
            Some(now),
            false,
        )
        .unwrap_err();
        assert!(past.contains("is in the past"), "{past}");
        // In French when asked.
        let twice_fr = parse(
            "[[posts]]\nid = \"a\"\nchannel = \"x:1000\"\ntext = \"x\"\n[[posts]]\nid = \"a\"\nchannel = \"x:1000\"\ntext = \"y\"\n",
            "Europe/Paris",
            &channels(),
            None,
            true,
        )
        .unwrap_err();
        assert_eq!(
            twice_fr,
            "posts[1] (`a`): cet identifiant est déjà pris par une publication précédente du fichier"
        );
        let past_fr = parse(
            "[[posts]]\nid = \"a\"\nchannel = \"x:1000\"\nat = \"2026-12-10 18:00\"\ntext = \"x\"\n",
            "Europe/Paris",
            &channels(),
            Some(now),
            true,
        )
        .unwrap_err();
        assert!(
            past_fr.ends_with(
                "2026-12-10 18:00 est passé : une publication se programme dans le futur"
            ),
            "{past_fr}"
        );
    }
}
