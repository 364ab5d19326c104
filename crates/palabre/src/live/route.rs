//! The outbox's way to the platforms: each action goes to the sender of the account that
//! answers for its conversation's channel (`[[channels]] account = …`), else of the platform's
//! first account, with what that sender needs to know about the message answered (its author,
//! raw payload, conversation root, last message time) looked up in the store. The bot's
//! answers keep the brand's pace ([`Pace`]): past it they wait in the outbox, oldest first.

use super::outbox::{Deliver, DeliveryError};
use palabre_connectors::client::{
    Action, Media, Outgoing, PlatformSender, QuickReply, RateGate, SendError,
};
use palabre_store::Workspace;
use palabre_store::workspace::{ConnectorStatus, OutboxItem, PostImage};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A platform's sender, under its account's name.
#[derive(Clone)]
pub struct Route {
    pub account: String,
    pub sender: Arc<dyn PlatformSender>,
}

/// The brand's pace for automated answers (`[guardrails] per_channel_per_minute` and
/// `global_per_minute`; 0: none). An answer past it is not tried: it waits in the outbox
/// (not an attempt) and goes out as the pace allows, oldest first. People's replies are
/// never held by it.
pub struct Pace {
    per_channel: Option<u32>,
    global: RateGate,
    channels: Mutex<HashMap<String, Arc<RateGate>>>,
}

impl Pace {
    pub fn new(pace: crate::config::Pace) -> Pace {
        let some = |n: u32| (n > 0).then_some(n);
        Pace {
            per_channel: some(pace.per_channel_per_minute),
            global: RateGate::new(some(pace.global_per_minute)),
            channels: Mutex::new(HashMap::new()),
        }
    }

    /// A slot for one automated answer on `channel` now, or when one will be free.
    fn acquire(&self, channel: &str, now: i64) -> Result<(), i64> {
        self.global.acquire(now)?;
        let Some(per_minute) = self.per_channel else {
            return Ok(());
        };
        let gate = match self.channels.lock() {
            Ok(mut gates) => match gates.get(channel) {
                Some(gate) => gate.clone(),
                None => gates
                    .entry(channel.to_owned())
                    .or_insert_with(|| Arc::new(RateGate::new(Some(per_minute))))
                    .clone(),
            },
            Err(_) => return Ok(()),
        };
        gate.acquire(now)
    }
}

/// An image of a post on its way: as stored, its bytes, and where the platform may fetch it.
struct OutImage {
    image: PostImage,
    bytes: Vec<u8>,
    url: Option<String>,
}

pub struct Router {
    /// Platform → its first account's sender.
    routes: HashMap<String, Route>,
    /// Channel key (`PLATFORM:ID`) → the sender of the account that answers for it.
    by_channel: HashMap<String, Route>,
    /// The sandbox takes what no real account sends (the demo, the tests).
    fallback: Option<Arc<dyn Deliver>>,
    pace: Pace,
    ws: Mutex<Workspace>,
    /// Where the platforms fetch a post's images (`[publishing] media_url`).
    media_url: Option<String>,
}

impl Router {
    /// `routes`: platform → the account that sends for it (the first configured one);
    /// `by_channel`: channel key → the account named for that channel.
    pub fn new(
        location: &str,
        routes: HashMap<String, Route>,
        by_channel: HashMap<String, Route>,
        fallback: Option<Arc<dyn Deliver>>,
        pace: Pace,
    ) -> anyhow::Result<Router> {
        Ok(Router {
            routes,
            by_channel,
            fallback,
            pace,
            ws: Mutex::new(Workspace::open(location)?),
            media_url: None,
        })
    }

    /// Gives the platforms this server's public address to fetch a post's images from.
    pub fn with_media_url(mut self, media_url: Option<String>) -> Router {
        self.media_url = media_url.map(|u| u.trim_end_matches('/').to_owned());
        self
    }

    /// The images of the post that `item` publishes, with their public addresses.
    fn images(&self, item: &OutboxItem) -> Result<Vec<OutImage>, DeliveryError> {
        if item.action != "post" {
            return Ok(Vec::new());
        }
        let images = match self.ws.lock() {
            Ok(mut ws) => ws.outbox_post_images(item.id),
            Err(_) => return Ok(Vec::new()),
        }
        .map_err(|e| DeliveryError::Retry {
            error: format!("cannot read the post's images: {e}"),
            at_ms: None,
        })?;
        Ok(images
            .into_iter()
            .map(|(image, bytes)| {
                let url = self
                    .media_url
                    .as_ref()
                    .map(|base| format!("{base}/media/{}", image.public_name()));
                OutImage { image, bytes, url }
            })
            .collect())
    }

    fn health(&self, account: &str, platform: &str, status: ConnectorStatus, error: Option<&str>) {
        let key = format!("{account}/send");
        if let Ok(mut ws) = self.ws.lock()
            && let Err(e) = ws.set_connector_status(&key, platform, status, error)
        {
            tracing::error!(account, error = %e, "cannot record the connector's health");
        }
    }
}

impl Deliver for Router {
    fn deliver(&self, item: &OutboxItem) -> Result<Option<String>, DeliveryError> {
        let unreadable = |e: palabre_store::StoreError| DeliveryError::Retry {
            error: format!("cannot read the message answered: {e}"),
            at_ms: None,
        };
        let (context, channel) = match self.ws.lock() {
            Ok(mut ws) => {
                let context = match &item.target_id {
                    Some(target) => ws
                        .send_context(&item.platform, target)
                        .map_err(unreadable)?,
                    None => None,
                };
                let channel = match (&context, &item.conversation_id) {
                    _ if item.channel.is_some() => item.channel.clone(),
                    (Some(c), _) => c.channel.clone(),
                    (None, Some(conversation)) => {
                        ws.conversation_channel(conversation).map_err(unreadable)?
                    }
                    (None, None) => None,
                };
                (context, channel)
            }
            Err(_) => (None, None),
        };
        if item.origin == "bot" {
            let now = jiff::Timestamp::now().as_millisecond();
            let paced_on = channel.as_deref().unwrap_or(item.platform.as_str());
            self.pace
                .acquire(paced_on, now)
                .map_err(|at_ms| DeliveryError::NotBefore { at_ms })?;
        }
        let route = channel
            .as_deref()
            .and_then(|c| self.by_channel.get(c))
            .or_else(|| self.routes.get(&item.platform));
        let Some(route) = route else {
            return match &self.fallback {
                Some(f) => f.deliver(item),
                None => super::outbox::NoConnector.deliver(item),
            };
        };
        let action = Action::parse(&item.action)
            .ok_or_else(|| DeliveryError::Fatal(format!("unknown action `{}`", item.action)))?;
        let quick_replies = quick_replies(item);
        let images = self.images(item)?;
        let media: Vec<Media<'_>> = images
            .iter()
            .map(|i| Media {
                bytes: &i.bytes,
                content_type: &i.image.content_type,
                width: u32::try_from(i.image.width).unwrap_or(0),
                height: u32::try_from(i.image.height).unwrap_or(0),
                alt: &i.image.alt,
                url: i.url.as_deref(),
            })
            .collect();
        let out = Outgoing {
            idem_key: &item.idem_key,
            action,
            target_id: item.target_id.as_deref(),
            target_raw: context.as_ref().map(|c| c.raw.as_str()),
            root_id: context.as_ref().and_then(|c| c.root_id.as_deref()),
            recipient: context.as_ref().map(|c| c.author_id.as_str()),
            text: item.text.as_deref(),
            human: item.origin == "human",
            last_inbound_ms: context.as_ref().and_then(|c| c.last_inbound_ms),
            resend: item.attempts > 1,
            queued_ms: item.created_ms,
            quick_replies: &quick_replies,
            media: &media,
        };
        match route.sender.send(&out) {
            Ok(remote) => {
                if action == Action::Post
                    && let Some(link) = remote.as_deref().and_then(|id| route.sender.permalink(id))
                    && let Ok(mut ws) = self.ws.lock()
                    && let Err(e) = ws.set_post_link(item.id, &link)
                {
                    tracing::warn!(error = %e, "cannot keep the post's public address");
                }
                Ok(remote)
            }
            Err(SendError::Auth(error)) => {
                self.health(
                    &route.account,
                    &item.platform,
                    ConnectorStatus::AuthFailed,
                    Some(&error),
                );
                Err(DeliveryError::Auth(error))
            }
            Err(SendError::NotBefore { at_ms }) => Err(DeliveryError::NotBefore { at_ms }),
            Err(SendError::Limited { error, at_ms }) => {
                Err(DeliveryError::Limited { error, at_ms })
            }
            Err(SendError::Retry { error, at_ms }) => Err(DeliveryError::Retry { error, at_ms }),
            Err(SendError::Fatal(error)) => Err(DeliveryError::Fatal(error)),
        }
    }
}

/// The choices a bot's question offers, as buttons: the key and what tells the place apart
/// (`97400 La Réunion` for `97400 (Saint-Denis, La Réunion)`), cut to the 20 characters
/// Messenger and Instagram show, and the payload that picks the choice when tapped
/// (`choice:CAMPAIGN:KEY`, checked against the choices offered when it comes back).
fn quick_replies(item: &OutboxItem) -> Vec<QuickReply> {
    const TITLE_CHARS: usize = 20;
    let Some(campaign) = item.campaign.as_deref() else {
        return Vec::new();
    };
    item.choices()
        .into_iter()
        .map(|label| {
            let short = match label.split_once(" (") {
                Some((key, rest)) => {
                    let inside = rest.trim_end_matches(')');
                    let last = inside.rsplit(", ").next().unwrap_or(inside);
                    format!("{key} {last}")
                }
                None => label.to_owned(),
            };
            let title = if short.chars().count() > TITLE_CHARS {
                let cut: String = short.chars().take(TITLE_CHARS - 1).collect();
                format!("{}…", cut.trim_end())
            } else {
                short
            };
            QuickReply {
                title,
                payload: palabre_campaigns::choice_payload(campaign, label),
            }
        })
        .collect()
}

#[cfg(test)]
mod quick_reply_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn choices_become_short_buttons_whose_payload_names_the_choice() {
        let item = OutboxItem {
            campaign: Some("mon-resultat".into()),
            choices: Some(
                "93200 (Saint-Denis, Seine-Saint-Denis)\n97400 (Saint-Denis, La Réunion)\n69003 (Lyon 3e Arrondissement)".into(),
            ),
            id: 1,
            idem_key: "bot:x:1".into(),
            action: "direct".into(),
            platform: "messenger".into(),
            conversation_id: None,
            target_id: Some("m1".into()),
            text: Some("Lequel ?".into()),
            origin: "bot".into(),
            actor: "palabre".into(),
            priority: 1,
            status: palabre_store::workspace::OutboxStatus::Sending,
            attempts: 1,
            next_attempt_ms: 0,
            last_error: None,
            remote_id: None,
            created_ms: 0,
            sent_ms: None,
            channel: None,
        };
        let buttons = quick_replies(&item);
        let titles: Vec<&str> = buttons.iter().map(|b| b.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "93200 Seine-Saint-D…",
                "97400 La Réunion",
                "69003 Lyon 3e Arron…"
            ]
        );
        assert!(titles.iter().all(|t| t.chars().count() <= 20));
        assert_eq!(buttons[1].payload, "choice:mon-resultat:97400");
        // No campaign, no buttons (a person's reply never carries them).
        let plain = OutboxItem {
            campaign: None,
            ..item
        };
        assert!(quick_replies(&plain).is_empty());
    }
}

#[cfg(test)]
mod post_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use palabre_store::workspace::{NewImage, NewPost};

    /// What the platform was given of an image: type, description, address, size.
    type Seen = (String, String, Option<String>, usize);

    /// A platform that keeps what it was given and knows its posts' addresses.
    #[derive(Default)]
    struct Platform {
        seen: Mutex<Vec<(Action, Vec<Seen>)>>,
    }

    impl PlatformSender for Platform {
        fn send(&self, out: &Outgoing<'_>) -> Result<Option<String>, SendError> {
            let media = out
                .media
                .iter()
                .map(|m| {
                    (
                        m.content_type.to_owned(),
                        m.alt.to_owned(),
                        m.url.map(str::to_owned),
                        m.bytes.len(),
                    )
                })
                .collect();
            self.seen.lock().unwrap().push((out.action, media));
            Ok(Some("17890".into()))
        }

        fn permalink(&self, remote_id: &str) -> Option<String> {
            Some(format!("https://www.instagram.com/p/{remote_id}x/"))
        }
    }

    #[test]
    fn a_post_goes_out_with_its_images_at_their_public_address_and_keeps_its_permalink() {
        let dir = tempfile::tempdir().unwrap();
        let location = dir.path().join("p.db").display().to_string();
        let mut ws = Workspace::open(&location).unwrap();
        let now = jiff::Timestamp::now().as_millisecond();
        ws.create_post(&NewPost {
            id: Some("castle"),
            channel: "instagram:1784",
            platform: "instagram",
            text: "Le château ce matin",
            lang: "fr",
            due_ms: Some(now),
            tz: "Europe/Paris",
            author: "camille",
            approvals_needed: 1,
            submit: false,
        })
        .unwrap()
        .unwrap();
        let square = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/images/square.jpg"
        ))
        .unwrap();
        let token = "ab".repeat(32);
        ws.add_post_image(
            "castle",
            &NewImage {
                bytes: &square,
                alt: "Le château sous la neige",
                token: &token,
                public_address: true,
            },
            "camille",
        )
        .unwrap()
        .unwrap();
        ws.submit_post("castle", "camille").unwrap().unwrap();
        ws.approve_post("castle", "sarah", false).unwrap().unwrap();
        let due = ws.publish_due(now + 1, None).unwrap();
        assert_eq!(
            due[0].status,
            palabre_store::workspace::PostStatus::Publishing
        );
        let item = ws.claim_due("n1", now + 60_000, 10).unwrap().remove(0);

        let platform = Arc::new(Platform::default());
        let routes = HashMap::from([(
            "instagram".to_owned(),
            Route {
                account: "insta".into(),
                sender: platform.clone(),
            },
        )]);
        let router = Router::new(
            &location,
            routes,
            HashMap::new(),
            None,
            Pace::new(crate::config::Pace::NONE),
        )
        .unwrap()
        .with_media_url(Some("https://palabre.example.com/".into()));
        assert_eq!(router.deliver(&item).unwrap().as_deref(), Some("17890"));
        assert_eq!(
            platform.seen.lock().unwrap().clone(),
            vec![(
                Action::Post,
                vec![(
                    "image/jpeg".to_owned(),
                    "Le château sous la neige".to_owned(),
                    Some(format!("https://palabre.example.com/media/{token}.jpg")),
                    square.len()
                )]
            )]
        );
        assert_eq!(
            ws.post("castle").unwrap().unwrap().link.as_deref(),
            Some("https://www.instagram.com/p/17890x/")
        );
    }
}
