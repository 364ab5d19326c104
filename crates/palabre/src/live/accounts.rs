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
    Mastodon(palabre_connectors::mastodon::client::Config),
    /// A Facebook Page: Messenger conversations and comments, through its webhook.
    Messenger(meta::Config),
    /// An Instagram professional account: direct messages and comments, through its webhook.
    Instagram(meta::Config),
    /// X API v2: filtered stream, mentions polling, replies, DMs, hides, deletes.
    X(palabre_connectors::x::client::Config),
    /// Google Business Profile: a location's reviews, polled; replies.
    Google(palabre_connectors::google::client::Config),
    /// Trustpilot: a business unit's reviews, polled; replies.
    Trustpilot(palabre_connectors::trustpilot::client::Config),
    /// Jetstream or a PDS's firehose, and a sender with an app password.
    Bluesky(palabre_connectors::bluesky::Config),
}

impl AccountConfig {
    /// The account's name: unique, it keys checkpoints, health and webhooks (`/webhooks/NAME`).
    pub fn name(&self) -> &str {
        match self {
            AccountConfig::Mastodon(c) => &c.name,
            AccountConfig::Messenger(c) | AccountConfig::Instagram(c) => &c.name,
            AccountConfig::X(c) => &c.name,
            AccountConfig::Google(c) => &c.name,
            AccountConfig::Trustpilot(c) => &c.name,
            AccountConfig::Bluesky(c) => &c.name,
        }
    }

    /// The platform the account is on, as `[[channels]]` names it.
    pub fn platform(&self) -> &'static str {
        match self {
            AccountConfig::Mastodon(_) => "mastodon",
            AccountConfig::Messenger(_) => "messenger",
            AccountConfig::Instagram(_) => "instagram",
            AccountConfig::X(_) => "x",
            AccountConfig::Google(_) => "google",
            AccountConfig::Trustpilot(_) => "trustpilot",
            AccountConfig::Bluesky(_) => "bluesky",
        }
    }

    /// Builds the account's connector parts.
    pub fn build(&self) -> Result<Account, String> {
        match self {
            AccountConfig::Mastodon(c) => {
                let parts = palabre_connectors::mastodon::client::build(c)?;
                Ok(Account {
                    name: c.name.clone(),
                    platform: self.platform().into(),
                    sources: parts.sources,
                    sender: Some(parts.sender),
                    webhook: None,
                })
            }
            AccountConfig::Messenger(c) => meta_account(c, Surface::Messenger),
            AccountConfig::Instagram(c) => meta_account(c, Surface::Instagram),
            AccountConfig::X(c) => Ok(Account {
                name: c.name.clone(),
                platform: self.platform().into(),
                sources: c.sources()?,
                sender: c.sender()?.map(|s| -> Arc<dyn PlatformSender> { s }),
                webhook: c.webhook.as_ref().map(|w| -> Arc<dyn WebhookEndpoint> {
                    Arc::new(palabre_connectors::x::webhook::Webhook::new(w))
                }),
            }),
            AccountConfig::Google(c) => {
                let (source, sender) = c.parts()?;
                Ok(Account {
                    name: c.name.clone(),
                    platform: self.platform().into(),
                    sources: vec![("reviews".into(), Box::new(source) as Box<dyn Source>)],
                    sender: Some(Arc::new(sender)),
                    webhook: None,
                })
            }
            AccountConfig::Trustpilot(c) => Ok(Account {
                name: c.name.clone(),
                platform: self.platform().into(),
                sources: vec![("reviews".into(), Box::new(c.source()?) as Box<dyn Source>)],
                sender: c
                    .sender()?
                    .map(|s| -> Arc<dyn PlatformSender> { Arc::new(s) }),
                webhook: None,
            }),
            AccountConfig::Bluesky(c) => {
                let parts = c.build()?;
                Ok(Account {
                    name: c.name.clone(),
                    platform: self.platform().into(),
                    sources: parts.sources,
                    sender: parts.sender,
                    webhook: None,
                })
            }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Debug, Deserialize)]
    struct File {
        accounts: Vec<AccountConfig>,
    }

    fn parse(toml_text: &str) -> Result<Vec<AccountConfig>, String> {
        toml::from_str::<File>(toml_text)
            .map(|f| f.accounts)
            .map_err(|e| e.to_string())
    }

    const PAGE: &str = r#"
[[accounts]]
platform = "messenger"
name = "page"
page_id = "5550001"
page_access_token = "t"
app_secret = "s"
verify_token = "v"
"#;

    #[test]
    fn meta_accounts_are_read_and_built() {
        let accounts = build_all(&parse(PAGE).unwrap()).unwrap();
        assert_eq!(accounts[0].name, "page");
        assert_eq!(accounts[0].platform, "messenger");
        assert!(accounts[0].sender.is_some() && accounts[0].webhook.is_some());
        assert!(accounts[0].sources.is_empty());
        let ig = PAGE
            .replace("\"messenger\"", "\"instagram\"")
            .replace("page_id", "ig_user_id");
        assert_eq!(
            build_all(&parse(&ig).unwrap()).unwrap()[0].platform,
            "instagram"
        );
    }

    #[test]
    fn mistakes_are_refused_with_their_reason() {
        let typo = parse(&format!("{PAGE}verify_tokn = \"x\"\n")).unwrap_err();
        assert!(typo.contains("verify_tokn"), "{typo}");
        let env = parse(&PAGE.replace(
            "app_secret = \"s\"",
            "app_secret = \"env:PALABRE_SURELY_UNSET_SECRET\"",
        ))
        .unwrap_err();
        assert!(env.contains("PALABRE_SURELY_UNSET_SECRET"), "{env}");
        let twice = format!("{PAGE}{PAGE}");
        let e = build_all(&parse(&twice).unwrap()).err().unwrap();
        assert!(e.contains("two accounts are named `page`"), "{e}");
        let no_page = parse(&PAGE.replace("page_id = \"5550001\"\n", "")).unwrap();
        let e = build_all(&no_page).err().unwrap();
        assert!(e.contains("page_id"), "{e}");
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
