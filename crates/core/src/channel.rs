//! A channel: one of the brand's own accounts, used to recognise our own posts and mentions of us.

use crate::ids::{ExternalId, IdError};
use crate::platform::{Platform, UnknownPlatform};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One of the brand's own accounts on a platform.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Channel {
    pub platform: Platform,
    /// The platform's account id (X user id, Mastodon account id, Bluesky DID, Facebook page id).
    pub id: ExternalId,
    /// The handle without `@`, lowercased (`francetvinfo`, `brand@mastodon.social`, `brand.bsky.social`).
    pub handle: String,
}

/// Why a `PLATFORM:ID:HANDLE` channel declaration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelParseError {
    #[error("expected PLATFORM:ID:HANDLE (for example x:1000:francetvinfo), got `{0}`")]
    Shape(String),
    #[error(transparent)]
    Platform(#[from] UnknownPlatform),
    #[error("bad account id: {0}")]
    Id(#[from] IdError),
    #[error("the handle is empty or contains whitespace")]
    Handle,
    #[error("expected PLATFORM:ID (for example x:1000), got `{0}`")]
    Key(String),
}

impl Channel {
    pub fn new(platform: Platform, id: &str, handle: &str) -> Result<Self, ChannelParseError> {
        let handle = normalize_handle(handle);
        if handle.is_empty() || handle.chars().any(char::is_whitespace) {
            return Err(ChannelParseError::Handle);
        }
        Ok(Channel {
            platform,
            id: ExternalId::new(id)?,
            handle,
        })
    }

    /// How the store and the workspace name this channel: `PLATFORM:ID` (`x:1000`,
    /// `bluesky:did:plc:abc`). Stable when the handle changes.
    pub fn key(&self) -> String {
        format!("{}:{}", self.platform, self.id)
    }

    /// Checks a channel key written by a person (`x:1000`, `bluesky:did:plc:abc`): a known
    /// platform, a colon, a valid account id. Returns it trimmed.
    pub fn check_key(key: &str) -> Result<String, ChannelParseError> {
        let key = key.trim();
        let (platform, id) = key
            .split_once(':')
            .ok_or_else(|| ChannelParseError::Key(key.to_owned()))?;
        let platform: Platform = platform.parse()?;
        let id = ExternalId::new(id)?;
        Ok(format!("{platform}:{}", id.as_str()))
    }

    /// Does this handle (as written in a mention, with or without `@`, any case) name this channel?
    /// On Mastodon a local mention (`brand`) and a remote one (`brand@server`) both count when
    /// one side does not say the server.
    pub fn is_handle(&self, handle: &str) -> bool {
        let other = handle.trim_start_matches('@');
        if other.eq_ignore_ascii_case(&self.handle) {
            return true;
        }
        if self.platform == Platform::Mastodon {
            let (mine, my_server) = split_acct(&self.handle);
            let (theirs, their_server) = split_acct(other);
            let servers_agree = match (my_server, their_server) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => true,
            };
            return servers_agree && mine.eq_ignore_ascii_case(theirs);
        }
        false
    }
}

fn split_acct(acct: &str) -> (&str, Option<&str>) {
    match acct.split_once('@') {
        Some((user, server)) => (user, Some(server)),
        None => (acct, None),
    }
}

fn normalize_handle(handle: &str) -> String {
    handle.trim().trim_start_matches('@').to_lowercase()
}

impl FromStr for Channel {
    type Err = ChannelParseError;

    /// Parses `PLATFORM:ID:HANDLE`. The id may itself contain colons (a Bluesky DID such as
    /// `did:plc:abc`): the platform ends at the first colon and the handle starts after the last.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shape = || ChannelParseError::Shape(s.to_owned());
        let (platform, rest) = s.split_once(':').ok_or_else(shape)?;
        let (id, handle) = rest.rsplit_once(':').ok_or_else(shape)?;
        if id.is_empty() {
            return Err(shape());
        }
        Channel::new(platform.parse()?, id, handle)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.platform, self.id, self.handle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_command_line_form() {
        let c: Channel = "x:1000:FranceTVinfo".parse().unwrap();
        assert_eq!(
            (c.platform, c.id.as_str(), c.handle.as_str()),
            (Platform::X, "1000", "francetvinfo")
        );
        let b: Channel = "bluesky:did:plc:abc123:brand.bsky.social".parse().unwrap();
        assert_eq!(b.id.as_str(), "did:plc:abc123");
        assert_eq!(b.handle, "brand.bsky.social");
        assert_eq!(b.to_string(), "bluesky:did:plc:abc123:brand.bsky.social");
        assert_eq!(b.key(), "bluesky:did:plc:abc123");
        assert_eq!(c.key(), "x:1000");
        assert_eq!(Channel::check_key(" x:1000 ").unwrap(), "x:1000");
        assert_eq!(Channel::check_key(&b.key()).unwrap(), b.key());
        assert!(Channel::check_key("x").is_err());
        assert!(Channel::check_key("myspace:1").is_err());
        assert!(Channel::check_key("x:").is_err());
    }

    #[test]
    fn refuses_malformed_declarations() {
        assert!(matches!(
            "x:1000".parse::<Channel>(),
            Err(ChannelParseError::Shape(_))
        ));
        assert!(matches!(
            "x::brand".parse::<Channel>(),
            Err(ChannelParseError::Shape(_))
        ));
        assert!(matches!(
            "orkut:1:brand".parse::<Channel>(),
            Err(ChannelParseError::Platform(_))
        ));
        assert!(matches!(
            "x:1: ".parse::<Channel>(),
            Err(ChannelParseError::Handle)
        ));
    }

    #[test]
    fn recognises_its_handle_in_mentions() {
        let x: Channel = "x:1000:brand".parse().unwrap();
        assert!(x.is_handle("@Brand"));
        assert!(!x.is_handle("brand2"));
        let m: Channel = "mastodon:1:brand@mastodon.social".parse().unwrap();
        assert!(m.is_handle("brand"));
        assert!(m.is_handle("Brand@Mastodon.social"));
        assert!(!m.is_handle("brand@other.example"));
    }
}
