//! A Bluesky account in `[[accounts]]` (`platform = "bluesky"`), and what it becomes: a
//! Jetstream or firehose source, and a sender when it has an app password.

use super::client::BlueskySender;
use super::firehose::Firehose;
use super::jetstream::Jetstream;
use crate::client::{PlatformSender, Secret, Source};
use serde::Deserialize;
use std::sync::Arc;

pub const DEFAULT_SERVICE: &str = "https://bsky.social";
/// Bluesky's public Jetstream.
pub const DEFAULT_JETSTREAM: &str = "wss://jetstream2.us-east.bsky.network/subscribe";

fn default_service() -> String {
    DEFAULT_SERVICE.to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub name: String,
    /// The brand's handle (`brand.bsky.social`): the default `identifier`.
    pub handle: Option<String>,
    /// The brand's DID, checked against the session's when both are known.
    pub did: Option<String>,
    /// The account's PDS.
    #[serde(default = "default_service")]
    pub service: String,
    /// Who signs in (a handle, a DID or an email); default: `handle`.
    pub identifier: Option<String>,
    /// An app password (Settings → Privacy and security → App passwords), `env:NAME` to read it
    /// from the environment. Without one, the account only reads.
    pub password: Option<Secret>,
    /// A Jetstream URL. When neither this nor `firehose` is set, Bluesky's public Jetstream.
    pub jetstream: Option<String>,
    /// `true`: the PDS's own `com.atproto.sync.subscribeRepos`; a URL: that endpoint.
    #[serde(default)]
    pub firehose: Option<FirehoseSetting>,
    #[serde(default)]
    pub wanted: Wanted,
    /// A pace to keep when sending, whatever the rate-limit headers say.
    pub per_minute: Option<u32>,
    /// The longest a call to the PDS may take (a hang is a retryable failure).
    #[serde(
        default = "default_timeout",
        deserialize_with = "crate::client::de::duration"
    )]
    pub timeout: std::time::Duration,
}

fn default_timeout() -> std::time::Duration {
    std::time::Duration::from_secs(30)
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum FirehoseSetting {
    Enabled(bool),
    Url(String),
}

/// What to read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wanted {
    /// Default: posts and reposts (what the normalizer makes messages of).
    #[serde(default = "default_collections")]
    pub collections: Vec<String>,
    /// Jetstream only: these authors alone (empty: everyone).
    #[serde(default)]
    pub dids: Vec<String>,
}

impl Default for Wanted {
    fn default() -> Self {
        Wanted {
            collections: default_collections(),
            dids: Vec::new(),
        }
    }
}

fn default_collections() -> Vec<String> {
    vec!["app.bsky.feed.post".into(), "app.bsky.feed.repost".into()]
}

/// What a configured account became.
pub struct Parts {
    /// (kind, source): `jetstream`, `firehose`.
    pub sources: Vec<(String, Box<dyn Source>)>,
    pub sender: Option<Arc<dyn PlatformSender>>,
}

impl Config {
    /// `service` as a WebSocket URL of its `subscribeRepos`.
    pub fn firehose_url(&self) -> Option<String> {
        let base = match self.firehose.as_ref()? {
            FirehoseSetting::Enabled(false) => return None,
            FirehoseSetting::Enabled(true) => self.service.clone(),
            FirehoseSetting::Url(url) => url.clone(),
        };
        let base = base.trim_end_matches('/');
        let ws = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            base.to_owned()
        };
        Some(if ws.contains("/xrpc/") {
            ws
        } else {
            format!("{ws}/xrpc/com.atproto.sync.subscribeRepos")
        })
    }

    pub fn build(&self) -> Result<Parts, String> {
        if !(self.service.starts_with("https://") || self.service.starts_with("http://")) {
            return Err(format!(
                "`service` must be an http(s) URL, not `{}`",
                self.service
            ));
        }
        let mut sources: Vec<(String, Box<dyn Source>)> = Vec::new();
        if let Some(url) = self.firehose_url() {
            if !(url.starts_with("wss://") || url.starts_with("ws://")) {
                return Err(format!(
                    "`firehose` must be a ws(s) or http(s) URL, not `{url}`"
                ));
            }
            sources.push((
                "firehose".into(),
                Box::new(Firehose {
                    url,
                    collections: self.wanted.collections.clone(),
                }),
            ));
        }
        if self.jetstream.is_some() || sources.is_empty() {
            let url = self
                .jetstream
                .clone()
                .unwrap_or_else(|| DEFAULT_JETSTREAM.to_owned());
            if !(url.starts_with("wss://") || url.starts_with("ws://")) {
                return Err(format!("`jetstream` must be a ws(s) URL, not `{url}`"));
            }
            sources.push((
                "jetstream".into(),
                Box::new(Jetstream {
                    url,
                    collections: self.wanted.collections.clone(),
                    dids: self.wanted.dids.clone(),
                }),
            ));
        }
        let sender = match (
            &self.password,
            self.identifier.as_ref().or(self.handle.as_ref()),
        ) {
            (Some(password), Some(identifier)) => Some(Arc::new(
                BlueskySender::new(
                    &self.service,
                    identifier,
                    password.clone(),
                    self.did.clone(),
                    self.per_minute,
                )
                .with_timeout(self.timeout),
            ) as Arc<dyn PlatformSender>),
            (Some(_), None) => {
                return Err("a `password` needs an `identifier` or a `handle`".into());
            }
            (None, _) => None,
        };
        Ok(Parts { sources, sender })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Deserialize)]
    struct File {
        accounts: Vec<Config>,
    }

    fn parse(json: &str) -> Result<Vec<Config>, String> {
        serde_json::from_value::<File>(
            json.parse::<serde_json::Value>()
                .map_err(|e| e.to_string())?,
        )
        .map(|f| f.accounts)
        .map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_urls() {
        let c = parse(r#"{"accounts": [{"name": "b", "handle": "brand.bsky.social"}]}"#).unwrap();
        let c = &c[0];
        assert_eq!(c.service, DEFAULT_SERVICE);
        assert_eq!(c.wanted.collections, default_collections());
        let parts = c.build().unwrap();
        assert_eq!(parts.sources.len(), 1);
        assert_eq!(parts.sources[0].0, "jetstream");
        assert!(parts.sender.is_none(), "no password: read only");

        let c = parse(
            r#"{"accounts": [{"name": "b", "handle": "brand.example", "service": "http://127.0.0.1:2583/",
                "firehose": true, "password": "abcd-efgh-ijkl-mnop"}]}"#,
        )
        .unwrap();
        assert_eq!(
            c[0].firehose_url().as_deref(),
            Some("ws://127.0.0.1:2583/xrpc/com.atproto.sync.subscribeRepos")
        );
        let parts = c[0].build().unwrap();
        assert_eq!(parts.sources.len(), 1, "the firehose alone");
        assert!(parts.sender.is_some());
        assert!(
            !format!("{:?}", c[0]).contains("abcd"),
            "the password is never printed"
        );
    }

    #[test]
    fn unknown_fields_and_bad_urls_are_refused() {
        assert!(
            parse(r#"{"accounts": [{"name": "b", "hande": "typo.example"}]}"#)
                .unwrap_err()
                .contains("hande")
        );
        let c =
            parse(r#"{"accounts": [{"name": "b", "jetstream": "https://x.example"}]}"#).unwrap();
        assert!(c[0].build().is_err());
        let c = parse(r#"{"accounts": [{"name": "b", "password": "x"}]}"#).unwrap();
        assert!(c[0].build().err().unwrap().contains("identifier"));
    }
}
