//! The social platforms Palabre speaks to, with their stable lowercase names.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A social platform. The lowercase name (`x`, `mastodon`…) prefixes every event id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    X,
    Mastodon,
    Bluesky,
    Messenger,
    Instagram,
    /// Google Business Profile reviews.
    Google,
    Trustpilot,
    Generic,
}

impl Platform {
    pub const ALL: [Platform; 8] = [
        Platform::X,
        Platform::Mastodon,
        Platform::Bluesky,
        Platform::Messenger,
        Platform::Instagram,
        Platform::Google,
        Platform::Trustpilot,
        Platform::Generic,
    ];

    /// The stable name used in ids, files and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::X => "x",
            Platform::Mastodon => "mastodon",
            Platform::Bluesky => "bluesky",
            Platform::Messenger => "messenger",
            Platform::Instagram => "instagram",
            Platform::Google => "google",
            Platform::Trustpilot => "trustpilot",
            Platform::Generic => "generic",
        }
    }
}

impl Platform {
    /// Its name for people (`Facebook` for the Page behind Messenger).
    pub fn name(self) -> &'static str {
        match self {
            Platform::X => "X",
            Platform::Mastodon => "Mastodon",
            Platform::Bluesky => "Bluesky",
            Platform::Messenger => "Facebook",
            Platform::Instagram => "Instagram",
            Platform::Google => "Google",
            Platform::Trustpilot => "Trustpilot",
            Platform::Generic => "generic",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name given is not one of Palabre's platforms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown platform `{0}` (expected one of: x, mastodon, bluesky, messenger, instagram, google, trustpilot, generic)"
)]
pub struct UnknownPlatform(pub String);

impl FromStr for Platform {
    type Err = UnknownPlatform;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "x" | "twitter" => Ok(Platform::X),
            "mastodon" => Ok(Platform::Mastodon),
            "bluesky" | "bsky" => Ok(Platform::Bluesky),
            "messenger" | "facebook" => Ok(Platform::Messenger),
            "instagram" => Ok(Platform::Instagram),
            "google" => Ok(Platform::Google),
            "trustpilot" => Ok(Platform::Trustpilot),
            "generic" => Ok(Platform::Generic),
            _ => Err(UnknownPlatform(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_aliases_are_accepted() {
        for p in Platform::ALL {
            assert_eq!(p.as_str().parse::<Platform>(), Ok(p));
        }
        assert_eq!("Twitter".parse::<Platform>(), Ok(Platform::X));
        assert!("myspace".parse::<Platform>().is_err());
    }
}
