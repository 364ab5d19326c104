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
    /// X API v2: filtered stream, mentions polling, replies, DMs, hides, deletes.
    X(palabre_connectors::x::client::Config),
    /// Google Business Profile: a location's reviews, polled; replies.
    Google(palabre_connectors::google::client::Config),
    /// Trustpilot: a business unit's reviews, polled; replies.
    Trustpilot(palabre_connectors::trustpilot::client::Config),
}

impl AccountConfig {
    /// The account's name: unique, it keys checkpoints, health and webhooks (`/webhooks/NAME`).
    pub fn name(&self) -> &str {
        match self {
            AccountConfig::X(c) => &c.name,
            AccountConfig::Google(c) => &c.name,
            AccountConfig::Trustpilot(c) => &c.name,
        }
    }

    /// Builds the account's connector parts.
    pub fn build(&self) -> Result<Account, String> {
        match self {
            AccountConfig::X(c) => Ok(Account {
                name: c.name.clone(),
                platform: "x".into(),
                sources: c.sources()?,
                sender: c.sender()?.map(|s| -> Arc<dyn PlatformSender> { s }),
                webhook: None,
            }),
            AccountConfig::Google(c) => {
                let (source, sender) = c.parts()?;
                Ok(Account {
                    name: c.name.clone(),
                    platform: "google".into(),
                    sources: vec![("reviews".into(), Box::new(source) as Box<dyn Source>)],
                    sender: Some(Arc::new(sender)),
                    webhook: None,
                })
            }
            AccountConfig::Trustpilot(c) => Ok(Account {
                name: c.name.clone(),
                platform: "trustpilot".into(),
                sources: vec![("reviews".into(), Box::new(c.source()?) as Box<dyn Source>)],
                sender: c
                    .sender()?
                    .map(|s| -> Arc<dyn PlatformSender> { Arc::new(s) }),
                webhook: None,
            }),
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
