//! `[[accounts]]` in the configuration: the brand's accounts on real platforms, each turned into
//! its connector's parts (sources that read it, a sender that acts on it, a webhook endpoint).
//! Secrets are read from the file or from the environment (`token = "env:NAME"`), never logged.

use palabre_connectors::client::{PlatformSender, Source, WebhookEndpoint};
use serde::Deserialize;
use std::sync::Arc;

/// One account; `platform` says which connector reads and sends for it.
#[derive(Debug, Deserialize)]
#[serde(tag = "platform", rename_all = "snake_case")]
pub enum AccountConfig {
    /// Jetstream or a PDS's firehose, and a sender with an app password.
    Bluesky(palabre_connectors::bluesky::Config),
}

impl AccountConfig {
    /// The account's name: unique, it keys checkpoints, health and webhooks (`/webhooks/NAME`).
    pub fn name(&self) -> &str {
        match self {
            AccountConfig::Bluesky(c) => &c.name,
        }
    }

    /// Builds the account's connector parts.
    pub fn build(&self) -> Result<Account, String> {
        match self {
            AccountConfig::Bluesky(c) => {
                let parts = c.build()?;
                Ok(Account {
                    name: c.name.clone(),
                    platform: "bluesky".into(),
                    sources: parts.sources,
                    sender: parts.sender,
                    webhook: None,
                })
            }
        }
    }
}

/// What a configured account became.
pub struct Account {
    pub name: String,
    /// The platform, as outbox rows and messages name it (`mastodon`, `bluesky`, `x`…).
    pub platform: String,
    /// Each source with its kind (`streaming`, `notifications`, `mentions`…); its checkpoint is
    /// kept under `NAME/KIND`.
    pub sources: Vec<(String, Box<dyn Source>)>,
    pub sender: Option<Arc<dyn PlatformSender>>,
    #[allow(dead_code)] // read by the webhook route once a platform has one
    pub webhook: Option<Arc<dyn WebhookEndpoint>>,
}

/// Builds every account; names must be unique.
pub fn build_all(configs: &[AccountConfig]) -> Result<Vec<Account>, String> {
    let mut out: Vec<Account> = Vec::with_capacity(configs.len());
    for c in configs {
        let account = c
            .build()
            .map_err(|e| format!("[[accounts]] `{}`: {e}", c.name()))?;
        if out.iter().any(|a| a.name == account.name) {
            return Err(format!(
                "[[accounts]]: two accounts are named `{}`; names must be unique",
                account.name
            ));
        }
        out.push(account);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Deserialize)]
    struct File {
        accounts: Vec<AccountConfig>,
    }

    #[test]
    fn a_bluesky_account_from_toml() {
        let file: File = toml::from_str(
            r#"
            [[accounts]]
            platform = "bluesky"
            name = "brand-bsky"
            handle = "brand.example"
            service = "https://pds.example"
            password = "env:PATH"
            firehose = true
            jetstream = "wss://jetstream.example/subscribe"
            wanted = { collections = ["app.bsky.feed.post"] }
            "#,
        )
        .unwrap();
        let accounts = build_all(&file.accounts).unwrap();
        assert_eq!(accounts[0].name, "brand-bsky");
        assert_eq!(accounts[0].platform, "bluesky");
        let kinds: Vec<&str> = accounts[0]
            .sources
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(kinds, ["firehose", "jetstream"]);
        assert!(accounts[0].sender.is_some());
        let typo = toml::from_str::<File>(
            "[[accounts]]\nplatform = \"bluesky\"\nname = \"b\"\nhandel = \"x.example\"\n",
        );
        assert!(typo.err().unwrap().to_string().contains("handel"));
    }
}
