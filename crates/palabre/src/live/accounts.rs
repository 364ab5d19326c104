//! `[[accounts]]` in the configuration: the brand's accounts on real platforms, each turned into
//! its connector's parts (sources that read it, a sender that acts on it, a webhook endpoint).
//! Secrets are read from the file or from the environment (`token = "env:NAME"`), never logged.

use palabre_connectors::client::{PlatformSender, Source, WebhookEndpoint};
use palabre_connectors::messenger::client::{self as meta, Meta, Surface};
use serde::Deserialize;
use std::sync::Arc;

/// One account; `platform` says which connector reads and sends for it.
#[derive(Debug, Deserialize)]
#[serde(tag = "platform", rename_all = "snake_case")]
pub enum AccountConfig {
    /// A Facebook Page: Messenger conversations and comments, through its webhook.
    Messenger(meta::Config),
    /// An Instagram professional account: direct messages and comments, through its webhook.
    Instagram(meta::Config),
}

impl AccountConfig {
    /// The account's name: unique, it keys checkpoints, health and webhooks (`/webhooks/NAME`).
    pub fn name(&self) -> &str {
        match self {
            AccountConfig::Messenger(c) | AccountConfig::Instagram(c) => &c.name,
        }
    }

    /// Builds the account's connector parts.
    pub fn build(&self) -> Result<Account, String> {
        match self {
            AccountConfig::Messenger(c) => meta_account(c, Surface::Messenger),
            AccountConfig::Instagram(c) => meta_account(c, Surface::Instagram),
        }
    }
}

/// Meta pushes everything through the webhook: no source; one sender.
fn meta_account(config: &meta::Config, surface: Surface) -> Result<Account, String> {
    let meta = Arc::new(Meta::new(config, surface)?);
    Ok(Account {
        name: config.name.clone(),
        platform: surface.as_str().to_owned(),
        sources: Vec::new(),
        sender: Some(meta.clone()),
        webhook: Some(meta),
    })
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
    /// Checks what arrives on `/webhooks/NAME` (its deliveries are queued, then ingested).
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
