//! Messenger and Instagram through Meta's Graph API: the webhook (verification handshake,
//! `X-Hub-Signature-256`), the Send API for private answers, moderation of comments, and new
//! posts on the Facebook Page and on Instagram.
//!
//! ```text
//! GET  /webhooks/NAME?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…  → the challenge
//! POST /webhooks/NAME  X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>
//! direct  → POST {graph}/{page-id | ig-user-id}/messages  (messaging windows enforced first)
//! reply   → POST {graph}/{comment-id}/comments (Facebook) | /{ig-comment-id}/replies (Instagram)
//! hide    → POST {graph}/{comment-id} is_hidden=true (Facebook) | hide=true (Instagram)
//! delete  → DELETE {graph}/{comment-id}
//! post    → Facebook Page: POST {graph}/{page-id}/photos published=false (multipart `source`,
//!             each image) → POST {graph}/{page-id}/feed {message, attached_media} → PAGEID_POSTID
//!           Instagram: POST {graph}/{ig-user-id}/media {image_url, caption, alt_text}
//!             (several images: each is_carousel_item, then media_type=CAROUSEL, children)
//!             → GET {graph}/{container}?fields=status_code,status until FINISHED
//!             → POST {graph}/{ig-user-id}/media_publish {creation_id} → the media id
//! permalink → GET {graph}/{ig-media-id}?fields=permalink  (Instagram)
//! ```
//!
//! Instagram fetches images from a public address (`[publishing] media_url`); a post without
//! an image, or an image without an address, is refused before any call. An image Meta
//! refuses is a refusal of the post in Meta's words (its message and code); nothing is
//! published.
//!
//! The Send API has no idempotency key. When an action was already handed to Meta once
//! ([`Outgoing::resend`]: a timeout, a crash after the call), a private message is first looked
//! for among the conversation's last messages (`GET /{id}/conversations?user_id=…`): the same
//! text already sent by the Page counts as sent; a reply to a comment is first looked for among
//! that comment's replies (`GET /{comment-id}/comments`, `/replies` on Instagram); a new post
//! among the Page's posts since the action was queued (`GET /{page-id}/posts?since=…`) or the
//! Instagram account's latest media (`GET /{ig-user-id}/media?fields=caption,timestamp`), by
//! its text. Hides and deletions are idempotent by nature (a deletion that finds nothing to
//! delete on a resend is a success).

use crate::client::Secret;
use crate::client::http::{self, HeaderMap, RateHeaders};
use crate::client::signature::{hmac_sha256, verify_hex};
use crate::client::{
    Action, Media, Outgoing, PlatformSender, RateGate, Reply, SendError, WebhookEndpoint,
};
use serde::Deserialize;
use std::time::Duration;
use ureq::unversioned::multipart::Form;

/// `[[accounts]]` with `platform = "messenger"` (a Facebook Page) or `"instagram"` (an
/// Instagram professional account linked to a Page).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub name: String,
    /// The Facebook Page (Messenger; for Instagram, the Page linked to the account, when the
    /// app uses Facebook Login: the Send API is then called on the Page).
    pub page_id: Option<String>,
    /// The Instagram professional account (Instagram).
    pub ig_user_id: Option<String>,
    /// The Page access token (`env:NAME` reads it from the environment).
    pub page_access_token: Secret,
    /// The app secret: Meta signs webhook deliveries with it; calls carry `appsecret_proof`.
    pub app_secret: Secret,
    /// The token typed into the app's webhook settings, echoed by Meta's verification request.
    pub verify_token: Secret,
    /// The Graph API's base URL, with its version.
    #[serde(default = "default_graph_url")]
    pub graph_url: String,
    /// The longest a Graph API call may take (a hang is a retryable failure).
    #[serde(
        default = "default_timeout",
        deserialize_with = "crate::client::de::duration"
    )]
    pub timeout: Duration,
}

fn default_timeout() -> Duration {
    Duration::from_secs(20)
}

pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com/v21.0";

fn default_graph_url() -> String {
    DEFAULT_GRAPH_URL.to_owned()
}

/// Which of Meta's surfaces an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Messenger,
    Instagram,
}

impl Surface {
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::Messenger => "messenger",
            Surface::Instagram => "instagram",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Surface::Messenger => "Messenger",
            Surface::Instagram => "Instagram",
        }
    }
}

/// The header Meta signs each delivery with.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

const HOUR_MS: i64 = 3_600_000;
/// Quick replies a message may carry (Messenger and Instagram Send API).
const MAX_QUICK_REPLIES: usize = 13;
/// Images in one Instagram carousel.
const MAX_CAROUSEL: usize = 10;
/// The longest the sender waits for Meta to prepare an Instagram container.
pub const CONTAINER_WAIT: Duration = Duration::from_secs(20);
/// Standard messaging: 24 hours after the person's last message.
pub const STANDARD_WINDOW_MS: i64 = 24 * HOUR_MS;
/// A person answering with the HUMAN_AGENT tag: 7 days.
pub const HUMAN_AGENT_WINDOW_MS: i64 = 7 * 24 * HOUR_MS;

/// One Meta account: its webhook and its sender (secrets print as `[redacted]`).
#[derive(Debug)]
pub struct Meta {
    surface: Surface,
    /// The Page id (Messenger) or Instagram user id: our side in conversations.
    id: String,
    /// Where the Send API and the conversations are: the Page when there is one, else `id`
    /// (Instagram Login, with `graph_url = "https://graph.instagram.com/v21.0"`).
    sender_id: String,
    token: Secret,
    app_secret: Secret,
    verify_token: Secret,
    /// `appsecret_proof`: HMAC-SHA256 of the token with the app secret, in hex (as secret as
    /// the token it goes with: never printed).
    proof: Secret,
    graph_url: String,
    agent: ureq::Agent,
    /// Closed while Meta says the Page is over its limits.
    gate: RateGate,
}

impl Meta {
    pub fn new(config: &Config, surface: Surface) -> Result<Meta, String> {
        let (id, sender_id) = match (surface, &config.page_id, &config.ig_user_id) {
            (Surface::Messenger, Some(id), None) => (id, id),
            (Surface::Instagram, page, Some(id)) => (id, page.as_ref().unwrap_or(id)),
            (Surface::Messenger, _, _) => {
                return Err("a messenger account needs `page_id` (and no `ig_user_id`)".into());
            }
            (Surface::Instagram, _, None) => {
                return Err("an instagram account needs `ig_user_id`".into());
            }
        };
        for id in [id, sender_id] {
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("`{id}` is not a Meta id (digits)"));
            }
        }
        let graph_url = config.graph_url.trim_end_matches('/').to_owned();
        if !(graph_url.starts_with("https://") || graph_url.starts_with("http://")) {
            return Err(format!("graph_url `{graph_url}` is not an http(s) URL"));
        }
        let proof = Secret::new(hex::encode(hmac_sha256(
            config.app_secret.expose().as_bytes(),
            config.page_access_token.expose().as_bytes(),
        )));
        Ok(Meta {
            surface,
            id: id.clone(),
            sender_id: sender_id.clone(),
            token: config.page_access_token.clone(),
            app_secret: config.app_secret.clone(),
            verify_token: config.verify_token.clone(),
            proof,
            graph_url,
            agent: http::agent(config.timeout),
            gate: RateGate::new(None),
        })
    }

    pub fn surface(&self) -> Surface {
        self.surface
    }

    /// One Graph call: the JSON answer, or what to do about its failure. A Graph error is read
    /// from the body whatever the status (Meta sometimes answers 200 with `{"error": …}`).
    fn call(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<serde_json::Value>,
        what: &str,
    ) -> Result<serde_json::Value, SendError> {
        let url = format!("{}/{}", self.graph_url, path.trim_start_matches('/'));
        self.request(what, |auth, proof| match method {
            "GET" => {
                let mut r = self.agent.get(&url).header("Authorization", auth);
                for (k, v) in query {
                    r = r.query(*k, *v);
                }
                r.query("appsecret_proof", proof).call()
            }
            "DELETE" => self
                .agent
                .delete(&url)
                .header("Authorization", auth)
                .query("appsecret_proof", proof)
                .call(),
            _ => self
                .agent
                .post(&url)
                .header("Authorization", auth)
                .query("appsecret_proof", proof)
                .send_json(body.unwrap_or_else(|| serde_json::json!({}))),
        })
    }

    /// A multipart `form` POSTed to `path` (a Page's photos).
    fn upload(
        &self,
        path: &str,
        form: Form<'_>,
        what: &str,
    ) -> Result<serde_json::Value, SendError> {
        let url = format!("{}/{}", self.graph_url, path.trim_start_matches('/'));
        self.request(what, |auth, proof| {
            self.agent
                .post(&url)
                .header("Authorization", auth)
                .query("appsecret_proof", proof)
                .send(form)
        })
    }

    /// One Graph request made by `send` (given the Authorization header and the
    /// `appsecret_proof`), once the Page's gate lets it through; its answer read as [`Self::call`]
    /// says.
    fn request(
        &self,
        what: &str,
        send: impl FnOnce(&str, &str) -> Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<serde_json::Value, SendError> {
        self.gate
            .acquire(jiff::Timestamp::now().as_millisecond())
            .map_err(|at_ms| SendError::NotBefore { at_ms })?;
        let auth = format!("Bearer {}", self.token.expose());
        let result = send(&auth, self.proof.expose());
        let mut response = result.map_err(|e| http::transport(what, &e))?;
        let status = response.status().as_u16();
        let now = jiff::Timestamp::now().as_millisecond();
        let mut limits = RateHeaders::read(response.headers(), now);
        if limits.reset_ms.is_none() {
            limits.reset_ms = regain_access_ms(response.headers(), now);
        }
        let text = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .unwrap_or_default();
        let value: Option<serde_json::Value> = serde_json::from_str(&text).ok();
        if let Some(error) = value
            .as_ref()
            .and_then(|v| v.get("error"))
            .filter(|e| e.is_object())
        {
            let e: GraphError = serde_json::from_value(error.clone()).unwrap_or_default();
            let error = graph_error(&e, status, &limits, what);
            // Meta's rate limits come as errors: the Page waits as after a 429.
            let limited = matches!(error, SendError::Limited { .. });
            self.gate
                .observe(if limited { 429 } else { status }, &limits, now);
            return Err(error);
        }
        self.gate.observe(status, &limits, now);
        match (status, value) {
            (200..=299, Some(v)) => Ok(v),
            (200..=299, None) => Err(SendError::Retry {
                error: format!(
                    "{what}: Meta answered {status} with a body that is not JSON ({})",
                    http::short(&text)
                ),
                at_ms: None,
            }),
            _ => Err(http::classify(status, &limits, what, &text)),
        }
    }

    fn send_message(&self, out: &Outgoing<'_>, now_ms: i64) -> Result<Option<String>, SendError> {
        let name = self.surface.name();
        let recipient = out.recipient.ok_or_else(|| {
            SendError::Fatal(format!("{name}: no recipient for this private message"))
        })?;
        let text = out
            .text
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| SendError::Fatal(format!("{name}: the message is empty")))?;
        let (messaging_type, tag) =
            messaging_type(self.surface, out.last_inbound_ms, out.human, now_ms)
                .map_err(SendError::Fatal)?;
        if out.resend
            && let Some(id) = self.already_sent(recipient, text)?
        {
            tracing::info!(
                platform = self.surface.as_str(),
                "the message was already sent before the retry; not sending it again"
            );
            return Ok(Some(id));
        }
        let mut body = serde_json::json!({
            "recipient": { "id": recipient },
            "messaging_type": messaging_type,
            "message": { "text": text },
        });
        if !out.quick_replies.is_empty() {
            // Buttons under the question (at most 13); the text numbers the same choices.
            let buttons: Vec<serde_json::Value> = out
                .quick_replies
                .iter()
                .take(MAX_QUICK_REPLIES)
                .map(|q| {
                    serde_json::json!({
                        "content_type": "text",
                        "title": q.title,
                        "payload": q.payload,
                    })
                })
                .collect();
            body["message"]["quick_replies"] = serde_json::Value::from(buttons);
        }
        if let Some(tag) = tag {
            body["tag"] = serde_json::Value::from(tag);
        }
        let what = format!("{name} Send API");
        let v = self.call(
            "POST",
            &format!("{}/messages", self.id),
            &[],
            Some(body),
            &what,
        )?;
        Ok(v.get("message_id")
            .and_then(|m| m.as_str())
            .map(str::to_owned))
    }

    /// A read made before sending again. None when the app may not read it (a refusal): the
    /// only choice left is to send, a message twice rather than one lost.
    fn look_before_resend(
        &self,
        path: &str,
        query: &[(&str, &str)],
        what: &str,
    ) -> Result<Option<serde_json::Value>, SendError> {
        match self.call("GET", path, query, None, what) {
            Ok(v) => Ok(Some(v)),
            Err(SendError::Fatal(e)) => {
                tracing::warn!(platform = self.surface.as_str(), error = %e, "cannot check whether a retried action was already done; doing it (it may appear twice)");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// On a resend: the id of a message with this text the account already sent to this person
    /// among their conversation's last ten, if any.
    fn already_sent(&self, recipient: &str, text: &str) -> Result<Option<String>, SendError> {
        let what = format!("{} conversation lookup", self.surface.name());
        let Some(v) = self.look_before_resend(
            &format!("{}/conversations", self.sender_id),
            &[
                ("platform", self.surface.as_str()),
                ("user_id", recipient),
                ("fields", "messages.limit(10){message,from}"),
            ],
            &what,
        )?
        else {
            return Ok(None);
        };
        let threads = v["data"].as_array().map(Vec::as_slice).unwrap_or_default();
        for thread in threads {
            let messages = thread["messages"]["data"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            for m in messages {
                if m["from"]["id"].as_str() == Some(self.id.as_str())
                    && m["message"].as_str() == Some(text)
                {
                    return Ok(Some(m["id"].as_str().unwrap_or_default().to_owned()));
                }
            }
        }
        Ok(None)
    }

    /// On a resend: the id of a reply of ours with this text under the comment, if any (the
    /// latest hundred, newest first).
    fn already_replied(
        &self,
        comment: &str,
        edge: &str,
        text: &str,
    ) -> Result<Option<String>, SendError> {
        let what = format!("{} comment replies lookup", self.surface.name());
        // Facebook names a comment's text `message`, Instagram `text`.
        let field = match self.surface {
            Surface::Messenger => "message",
            Surface::Instagram => "text",
        };
        let fields = format!("id,{field},from");
        let Some(v) = self.look_before_resend(
            &format!("{comment}/{edge}"),
            &[
                ("fields", fields.as_str()),
                ("limit", "100"),
                ("order", "reverse_chronological"),
            ],
            &what,
        )?
        else {
            return Ok(None);
        };
        let replies = v["data"].as_array().map(Vec::as_slice).unwrap_or_default();
        Ok(replies
            .iter()
            .find(|r| {
                r["from"]["id"].as_str() == Some(self.id.as_str())
                    && r[field].as_str() == Some(text)
            })
            .and_then(|r| r["id"].as_str())
            .map(str::to_owned))
    }

    /// A new post on the Page: its text alone (`POST /{page-id}/feed {message}`), or with its
    /// photos uploaded unpublished first (`POST /{page-id}/photos`, multipart `source`,
    /// `published=false`) and attached (`attached_media: [{media_fbid}]`). The post's id
    /// (`PAGEID_POSTID`).
    fn publish_on_page(&self, out: &Outgoing<'_>) -> Result<Option<String>, SendError> {
        let text = out
            .text
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| SendError::Fatal("Facebook: the post is empty".into()))?;
        if out.resend
            && let Some(id) = self.already_on_page(text, out.queued_ms)?
        {
            tracing::info!(
                "Facebook: the post was already published before the retry; not publishing it again"
            );
            return Ok(Some(id));
        }
        let mut attached = Vec::with_capacity(out.media.len());
        for (i, image) in out.media.iter().enumerate() {
            let number = i + 1;
            let what = format!("Facebook upload of the image {number}");
            let mut form = Form::new()
                .text("published", "false")
                .part("source", http::image_part(image, number, &what)?);
            if !image.alt.trim().is_empty() {
                form = form.text("alt_text_custom", image.alt);
            }
            let v = self
                .upload(&format!("{}/photos", self.id), form, &what)
                .map_err(|e| refused(e, &what, &format!("Facebook refused the image {number}")))?;
            let id = v["id"].as_str().ok_or_else(|| SendError::Retry {
                error: format!("{what}: Meta answered without the photo's id: {v}"),
                at_ms: None,
            })?;
            attached.push(serde_json::json!({ "media_fbid": id }));
        }
        let mut body = serde_json::json!({ "message": text });
        if !attached.is_empty() {
            body["attached_media"] = serde_json::Value::from(attached);
        }
        let what = "Facebook post";
        let v = self.call("POST", &format!("{}/feed", self.id), &[], Some(body), what)?;
        match v["id"].as_str() {
            Some(id) => Ok(Some(id.to_owned())),
            None => Err(SendError::Retry {
                error: format!("{what}: Meta answered without the post's id: {v}"),
                at_ms: None,
            }),
        }
    }

    /// On a resend: the id of a post of the Page with this text, published since the action
    /// was queued (`GET /{page-id}/posts?since=…`).
    fn already_on_page(&self, text: &str, queued_ms: i64) -> Result<Option<String>, SendError> {
        let since = (resend_from_ms(queued_ms) / 1000).to_string();
        let Some(v) = self.look_before_resend(
            &format!("{}/posts", self.id),
            &[
                ("fields", "message,created_time"),
                ("since", since.as_str()),
                ("limit", "100"),
            ],
            "Facebook posts lookup",
        )?
        else {
            return Ok(None);
        };
        let posts = v["data"].as_array().map(Vec::as_slice).unwrap_or_default();
        Ok(posts
            .iter()
            .find(|p| p["message"].as_str().map(str::trim) == Some(text.trim()))
            .and_then(|p| p["id"].as_str())
            .map(str::to_owned))
    }

    /// A new post on Instagram, which takes images by public address only: a container per
    /// image (`POST /{ig-user-id}/media {image_url, caption, alt_text}`; several images: each
    /// `is_carousel_item`, then a `CAROUSEL` container of their ids), then, once Meta has
    /// fetched it (`GET /{container}?fields=status_code,status` until `FINISHED`),
    /// `POST /{ig-user-id}/media_publish {creation_id}`. The media's id.
    fn publish_on_instagram(&self, out: &Outgoing<'_>) -> Result<Option<String>, SendError> {
        let caption = out.text.map(str::trim).unwrap_or_default();
        if out.media.is_empty() {
            return Err(SendError::Fatal(
                "Instagram: a post needs at least one image; Instagram publishes nothing without one".into(),
            ));
        }
        if out.media.len() > MAX_CAROUSEL {
            return Err(SendError::Fatal(format!(
                "Instagram: a post carries at most {MAX_CAROUSEL} images; this one has {}",
                out.media.len()
            )));
        }
        let mut urls = Vec::with_capacity(out.media.len());
        for (i, image) in out.media.iter().enumerate() {
            match image
                .url
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            {
                Some(url) => urls.push(url),
                None => {
                    return Err(SendError::Fatal(format!(
                        "Instagram fetches a post's images from a public address, and the image {} has none: set [publishing] media_url to the address where this server is reached",
                        i + 1
                    )));
                }
            }
        }
        if out.resend
            && let Some(id) = self.already_on_instagram(caption, out.queued_ms)?
        {
            tracing::info!(
                "Instagram: the post was already published before the retry; not publishing it again"
            );
            return Ok(Some(id));
        }
        let path = format!("{}/media", self.id);
        let container = |body: serde_json::Value, what: &str, refusal: &str| {
            let v = self
                .call("POST", &path, &[], Some(body), what)
                .map_err(|e| refused(e, what, refusal))?;
            v["id"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| SendError::Retry {
                    error: format!("{what}: Meta answered without the container's id: {v}"),
                    at_ms: None,
                })
        };
        let image_body = |image: &Media<'_>, url: &str| {
            let mut body = serde_json::json!({ "image_url": url });
            if !image.alt.trim().is_empty() {
                body["alt_text"] = serde_json::Value::from(image.alt);
            }
            body
        };
        let creation = if let ([image], [url]) = (out.media, urls.as_slice()) {
            let mut body = image_body(image, url);
            body["caption"] = serde_json::Value::from(caption);
            container(body, "Instagram container", "Instagram refused the image 1")?
        } else {
            let mut children = Vec::with_capacity(urls.len());
            for (i, (image, url)) in out.media.iter().zip(&urls).enumerate() {
                let mut body = image_body(image, url);
                body["is_carousel_item"] = serde_json::Value::from(true);
                children.push(container(
                    body,
                    &format!("Instagram container of the image {}", i + 1),
                    &format!("Instagram refused the image {}", i + 1),
                )?);
            }
            let body = serde_json::json!({
                "media_type": "CAROUSEL",
                "children": children.join(","),
                "caption": caption,
            });
            container(
                body,
                "Instagram carousel container",
                "Instagram refused the carousel",
            )?
        };
        self.wait_for_container(&creation)?;
        let what = "Instagram publish";
        let v = self.call(
            "POST",
            &format!("{}/media_publish", self.id),
            &[],
            Some(serde_json::json!({ "creation_id": creation })),
            what,
        )?;
        match v["id"].as_str() {
            Some(id) => Ok(Some(id.to_owned())),
            None => Err(SendError::Retry {
                error: format!("{what}: Meta answered without the media's id: {v}"),
                at_ms: None,
            }),
        }
    }

    /// Waits until Meta has fetched and checked a container (`FINISHED`), at most
    /// [`CONTAINER_WAIT`]; `ERROR` is a refusal in Meta's words.
    fn wait_for_container(&self, container: &str) -> Result<(), SendError> {
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(200);
        loop {
            let v = self.call(
                "GET",
                container,
                &[("fields", "status_code,status")],
                None,
                "Instagram container status",
            )?;
            let status = v["status"].as_str().unwrap_or_default();
            match v["status_code"].as_str().unwrap_or_default() {
                "FINISHED" => return Ok(()),
                "ERROR" => {
                    return Err(SendError::Fatal(format!(
                        "Instagram refused the post: {}",
                        if status.is_empty() {
                            "the container is in ERROR"
                        } else {
                            status
                        }
                    )));
                }
                "EXPIRED" | "PUBLISHED" => {
                    return Err(SendError::Fatal(format!(
                        "Instagram: the container {container} cannot be published ({})",
                        v["status_code"].as_str().unwrap_or_default()
                    )));
                }
                _ if started.elapsed() >= CONTAINER_WAIT => {
                    return Err(SendError::Retry {
                        error: format!(
                            "Instagram was still preparing the post after {} s ({})",
                            CONTAINER_WAIT.as_secs(),
                            v["status_code"].as_str().unwrap_or("no status")
                        ),
                        at_ms: None,
                    });
                }
                _ => {
                    std::thread::sleep(pause.min(CONTAINER_WAIT.saturating_sub(started.elapsed())));
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
            }
        }
    }

    /// On a resend: the id of a media of the account with this caption, published since the
    /// action was queued (its latest 50, newest first).
    fn already_on_instagram(
        &self,
        caption: &str,
        queued_ms: i64,
    ) -> Result<Option<String>, SendError> {
        let from_ms = resend_from_ms(queued_ms);
        let Some(v) = self.look_before_resend(
            &format!("{}/media", self.id),
            &[("fields", "caption,timestamp"), ("limit", "50")],
            "Instagram media lookup",
        )?
        else {
            return Ok(None);
        };
        let media = v["data"].as_array().map(Vec::as_slice).unwrap_or_default();
        Ok(media
            .iter()
            .find(|m| {
                m["caption"].as_str().unwrap_or_default().trim() == caption
                    && m["timestamp"]
                        .as_str()
                        .and_then(graph_time_ms)
                        .is_none_or(|t| t >= from_ms)
            })
            .and_then(|m| m["id"].as_str())
            .map(str::to_owned))
    }

    fn target<'o>(&self, out: &Outgoing<'o>, action: Action) -> Result<&'o str, SendError> {
        out.target_id.filter(|t| !t.is_empty()).ok_or_else(|| {
            SendError::Fatal(format!("{}: {action} needs a comment", self.surface.name()))
        })
    }

    fn moderate(&self, out: &Outgoing<'_>, action: Action) -> Result<Option<String>, SendError> {
        let name = self.surface.name();
        let target = self.target(out, action)?;
        let what = format!("{name} {action} of a comment");
        let v = match action {
            Action::Delete => match self.call("DELETE", target, &[], None, &what) {
                // Already gone: on a resend, that is our own first attempt.
                Err(SendError::Fatal(e)) if out.resend && e.contains("(code 100") => {
                    return Ok(None);
                }
                other => other?,
            },
            _ => {
                let hidden = action == Action::Hide;
                let field = match self.surface {
                    Surface::Messenger => "is_hidden",
                    Surface::Instagram => "hide",
                };
                self.call(
                    "POST",
                    target,
                    &[],
                    Some(serde_json::json!({ field: hidden })),
                    &what,
                )?
            }
        };
        if v.get("success").and_then(|s| s.as_bool()) == Some(false) {
            return Err(SendError::Fatal(format!(
                "{what}: Meta answered success=false"
            )));
        }
        Ok(None)
    }

    fn reply_to_comment(&self, out: &Outgoing<'_>) -> Result<Option<String>, SendError> {
        let name = self.surface.name();
        let target = self.target(out, Action::Reply)?;
        let text = out
            .text
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| SendError::Fatal(format!("{name}: the reply is empty")))?;
        let edge = match self.surface {
            Surface::Messenger => "comments",
            Surface::Instagram => "replies",
        };
        if out.resend
            && let Some(id) = self.already_replied(target, edge, text)?
        {
            tracing::info!(
                platform = self.surface.as_str(),
                "the reply was already posted before the retry; not posting it again"
            );
            return Ok(Some(id));
        }
        let what = format!("{name} reply to a comment");
        let v = self.call(
            "POST",
            &format!("{target}/{edge}"),
            &[],
            Some(serde_json::json!({ "message": text })),
            &what,
        )?;
        Ok(v.get("id").and_then(|i| i.as_str()).map(str::to_owned))
    }
}

impl PlatformSender for Meta {
    fn send(&self, out: &Outgoing<'_>) -> Result<Option<String>, SendError> {
        let now = jiff::Timestamp::now().as_millisecond();
        match out.action {
            Action::Direct => self.send_message(out, now),
            Action::Reply => self.reply_to_comment(out),
            Action::Hide | Action::Unhide | Action::Delete => self.moderate(out, out.action),
            Action::Post => match self.surface {
                Surface::Messenger => self.publish_on_page(out),
                Surface::Instagram => self.publish_on_instagram(out),
            },
        }
    }

    /// Instagram's permalink of a media the account published (`GET /{media-id}?fields=permalink`);
    /// None on any failure, and for a Facebook Page (its post links derive from the id).
    fn permalink(&self, remote_id: &str) -> Option<String> {
        if self.surface != Surface::Instagram
            || remote_id.is_empty()
            || !remote_id.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        match self.call(
            "GET",
            remote_id,
            &[("fields", "permalink")],
            None,
            "Instagram permalink",
        ) {
            Ok(v) => v["permalink"]
                .as_str()
                .filter(|p| p.starts_with("https://"))
                .map(str::to_owned),
            Err(e) => {
                tracing::info!(error = %e, "Instagram: the post's permalink could not be read");
                None
            }
        }
    }
}

impl WebhookEndpoint for Meta {
    fn challenge(&self, query: &[(String, String)]) -> Reply {
        let get = |key: &str| {
            query
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let token_matches =
            get("hub.verify_token").is_some_and(|t| same_secret(t, self.verify_token.expose()));
        match (get("hub.mode"), token_matches, get("hub.challenge")) {
            (Some("subscribe"), true, Some(challenge)) => Reply::text(200, challenge),
            (Some("subscribe"), true, None) => Reply::text(400, "expected a hub.challenge"),
            _ => Reply::text(403, "the verify token does not match"),
        }
    }

    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
        let given = headers
            .get(SIGNATURE_HEADER)
            .ok_or_else(|| format!("no {SIGNATURE_HEADER} header"))?
            .to_str()
            .map_err(|_| format!("{SIGNATURE_HEADER} is not text"))?;
        let hex = given
            .trim()
            .strip_prefix("sha256=")
            .ok_or_else(|| format!("{SIGNATURE_HEADER} does not start with sha256="))?;
        if verify_hex(self.app_secret.expose().as_bytes(), body, hex) {
            Ok(())
        } else {
            Err(format!(
                "{SIGNATURE_HEADER} does not match the body (wrong app secret, or a body altered on the way)"
            ))
        }
    }
}

/// Which messaging type a private message may use `now_ms`, given when the person last wrote:
/// `RESPONSE` within 24 hours; within 7 days only a person, with the `HUMAN_AGENT` tag; never
/// after that. The error names the window.
pub fn messaging_type(
    surface: Surface,
    last_inbound_ms: Option<i64>,
    human: bool,
    now_ms: i64,
) -> Result<(&'static str, Option<&'static str>), String> {
    let name = surface.name();
    let Some(last) = last_inbound_ms else {
        return Err(format!(
            "{name} messaging window: no message from this person is known, and {name} lets a Page write only within 24 hours of the person's last message"
        ));
    };
    let age = now_ms.saturating_sub(last);
    let hours = age / HOUR_MS;
    if age <= STANDARD_WINDOW_MS {
        Ok(("RESPONSE", None))
    } else if age <= HUMAN_AGENT_WINDOW_MS && human {
        Ok(("MESSAGE_TAG", Some("HUMAN_AGENT")))
    } else if age <= HUMAN_AGENT_WINDOW_MS {
        Err(format!(
            "{name} messaging window: the person wrote last {hours} hours ago; after 24 hours only a person may answer (HUMAN_AGENT tag, up to 7 days), not the bot"
        ))
    } else {
        Err(format!(
            "{name} messaging window: the person wrote last {hours} hours ago; {name} refuses messages after 7 days (the HUMAN_AGENT window), even from a person"
        ))
    }
}

/// Where a resend check reads back from: the action's queueing, a few minutes earlier (clocks
/// differ); an hour back when it is unknown.
fn resend_from_ms(queued_ms: i64) -> i64 {
    if queued_ms > 0 {
        queued_ms - 5 * 60_000
    } else {
        jiff::Timestamp::now().as_millisecond() - HOUR_MS
    }
}

/// A Graph API time (`2024-05-01T10:00:00+0000`) in Unix ms.
fn graph_time_ms(raw: &str) -> Option<i64> {
    if let Ok(t) = raw.parse::<jiff::Timestamp>() {
        return Some(t.as_millisecond());
    }
    // Meta writes the offset without its colon.
    let (head, offset) = raw.split_at_checked(raw.len().checked_sub(5)?)?;
    let (sign, digits) = offset.split_at_checked(1)?;
    if !matches!(sign, "+" | "-") || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    format!("{head}{sign}{}:{}", &digits[..2], &digits[2..])
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

/// A refusal said as `refusal` (`Instagram refused the image 2`) instead of `what`; any other
/// failure as it is.
fn refused(error: SendError, what: &str, refusal: &str) -> SendError {
    match error {
        SendError::Fatal(e) => SendError::Fatal(match e.strip_prefix(what) {
            Some(rest) => format!("{refusal}{rest}"),
            None => format!("{refusal}: {e}"),
        }),
        other => other,
    }
}

/// `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`.
#[derive(Debug, Default, Deserialize)]
struct GraphError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: i64,
    #[serde(default)]
    error_subcode: Option<i64>,
    /// What Meta would tell a person (`The media could not be fetched from this URI: …`).
    #[serde(default)]
    error_user_msg: Option<String>,
}

fn graph_error(e: &GraphError, status: u16, limits: &RateHeaders, what: &str) -> SendError {
    let user_msg = e
        .error_user_msg
        .as_deref()
        .filter(|m| !m.trim().is_empty() && *m != e.message)
        .map(|m| format!(": {}", http::short(m)))
        .unwrap_or_default();
    let detail = format!(
        "{what}: {}{user_msg} (code {}{})",
        http::short(&e.message),
        e.code,
        e.error_subcode
            .map(|s| format!(", subcode {s}"))
            .unwrap_or_default()
    );
    match e.code {
        190 | 102 => SendError::Auth(format!(
            "{detail}: the Page access token is expired or revoked; renew page_access_token in the configuration"
        )),
        // Application, account, page and Messenger rate limits.
        4 | 17 | 32 | 613 | 80001..=80009 => SendError::Limited {
            error: format!("{detail}: rate limited"),
            at_ms: limits.reset_ms,
        },
        // Unknown and temporary errors.
        1 | 2 => SendError::Retry {
            error: detail,
            at_ms: None,
        },
        10 | 200..=299 => SendError::Fatal(format!(
            "{detail}: the app or the token lacks a permission for this"
        )),
        _ if matches!(e.error_subcode, Some(2018278 | 2534022)) => {
            SendError::Fatal(format!("{detail}: outside the messaging window"))
        }
        _ if status >= 500 => SendError::Retry {
            error: detail,
            at_ms: None,
        },
        _ => SendError::Fatal(detail),
    }
}

/// Meta's `X-Business-Use-Case-Usage` says in minutes when a throttled Page may call again.
fn regain_access_ms(headers: &HeaderMap, now_ms: i64) -> Option<i64> {
    let raw = headers.get("x-business-use-case-usage")?.to_str().ok()?;
    let usage: std::collections::HashMap<String, Vec<serde_json::Value>> =
        serde_json::from_str(raw).ok()?;
    usage
        .values()
        .flatten()
        .filter_map(|u| u["estimated_time_to_regain_access"].as_i64())
        .max()
        .filter(|m| *m > 0)
        .map(|minutes| now_ms + minutes * 60_000)
}

/// Compares two secrets in time that depends on their length only.
fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ureq::http::HeaderValue;

    fn meta() -> Meta {
        Meta::new(
            &Config {
                name: "page".into(),
                page_id: Some("5550001".into()),
                ig_user_id: None,
                page_access_token: Secret::new("token"),
                app_secret: Secret::new("app-secret"),
                verify_token: Secret::new("verify-me"),
                graph_url: DEFAULT_GRAPH_URL.into(),
                timeout: std::time::Duration::from_secs(20),
            },
            Surface::Messenger,
        )
        .unwrap()
    }

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_handshake_echoes_the_challenge_only_for_the_right_token() {
        let m = meta();
        let ok = m.challenge(&q(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", "verify-me"),
            ("hub.challenge", "1158201444"),
        ]));
        assert_eq!((ok.status, ok.body.as_str()), (200, "1158201444"));
        let wrong = m.challenge(&q(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", "verify-m3"),
            ("hub.challenge", "1158201444"),
        ]));
        assert_eq!(wrong.status, 403);
        assert!(!wrong.body.contains("1158201444"));
        assert_eq!(m.challenge(&[]).status, 403);
    }

    #[test]
    fn signatures_are_hex_hmacs_of_the_raw_body() {
        // Computed independently with Python's hmac module.
        let body = br#"{"object":"page","entry":[]}"#;
        let mut h = HeaderMap::new();
        assert!(meta().verify(&h, body).unwrap_err().contains("no x-hub"));
        h.insert(
            SIGNATURE_HEADER,
            HeaderValue::from_static(
                "sha256=e6e9d7a842a48e17f43a34d6125d0d933e2aab92ee37f0993a4d493b50e3d438",
            ),
        );
        assert_eq!(meta().verify(&h, body), Ok(()));
        assert!(
            meta()
                .verify(&h, br#"{"object":"page","entry":[ ]}"#)
                .is_err()
        );
        h.insert(
            SIGNATURE_HEADER,
            HeaderValue::from_static(
                "e6e9d7a842a48e17f43a34d6125d0d933e2aab92ee37f0993a4d493b50e3d438",
            ),
        );
        assert!(meta().verify(&h, body).unwrap_err().contains("sha256="));
    }

    #[test]
    fn windows_name_what_closed() {
        let now = 1_000 * HUMAN_AGENT_WINDOW_MS;
        let m = Surface::Messenger;
        assert_eq!(
            messaging_type(m, Some(now - 23 * HOUR_MS), false, now),
            Ok(("RESPONSE", None))
        );
        assert_eq!(
            messaging_type(m, Some(now - 25 * HOUR_MS), true, now),
            Ok(("MESSAGE_TAG", Some("HUMAN_AGENT")))
        );
        let bot = messaging_type(m, Some(now - 25 * HOUR_MS), false, now).unwrap_err();
        assert!(
            bot.contains("25 hours ago") && bot.contains("only a person"),
            "{bot}"
        );
        let late = messaging_type(m, Some(now - 8 * 24 * HOUR_MS), true, now).unwrap_err();
        assert!(late.contains("7 days"), "{late}");
        assert!(messaging_type(m, None, true, now).is_err());
    }

    #[test]
    fn graph_errors_map_to_what_to_do() {
        let none = RateHeaders::default();
        let e = |code, sub| GraphError {
            message: "m".into(),
            code,
            error_subcode: sub,
            error_user_msg: None,
        };
        assert!(matches!(
            graph_error(&e(190, Some(463)), 400, &none, "t"),
            SendError::Auth(_)
        ));
        for code in [4, 17, 32, 613] {
            assert!(matches!(
                graph_error(&e(code, None), 400, &none, "t"),
                SendError::Limited { .. }
            ));
        }
        assert!(
            matches!(graph_error(&e(10, None), 403, &none, "t"), SendError::Fatal(s) if s.contains("permission"))
        );
        assert!(matches!(
            graph_error(&e(200, None), 403, &none, "t"),
            SendError::Fatal(_)
        ));
        assert!(matches!(
            graph_error(&e(100, None), 400, &none, "t"),
            SendError::Fatal(_)
        ));
        assert!(matches!(
            graph_error(&e(100, None), 500, &none, "t"),
            SendError::Retry { .. }
        ));
    }

    #[test]
    fn graph_times_are_read_with_or_without_the_offsets_colon() {
        let at = graph_time_ms("2024-05-01T10:00:00+0000");
        assert_eq!(at, graph_time_ms("2024-05-01T10:00:00Z"));
        assert_eq!(at, Some(1_714_557_600_000));
        assert_eq!(graph_time_ms("2024-05-01T12:00:00+0200"), at);
        assert_eq!(graph_time_ms("2024-05-01T10:00:00+00x0"), None);
        assert_eq!(graph_time_ms("yesterday"), None);
    }

    #[test]
    fn throttled_pages_say_when_to_come_back() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-business-use-case-usage",
            HeaderValue::from_static(
                r#"{"5550001":[{"type":"messenger","call_count":100,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":3}]}"#,
            ),
        );
        assert_eq!(regain_access_ms(&h, 1_000), Some(1_000 + 180_000));
        assert_eq!(regain_access_ms(&HeaderMap::new(), 1_000), None);
    }

    #[test]
    fn secrets_are_never_printed() {
        let printed = format!("{:?}", meta());
        for secret in ["token", "app-secret", "verify-me"] {
            assert!(!printed.contains(&format!("\"{secret}\"")), "{printed}");
        }
        let proof = hex::encode(hmac_sha256(b"app-secret", b"token"));
        assert!(!printed.contains(&proof), "{printed}");
    }

    #[test]
    fn configuration_is_checked() {
        let mut c = Config {
            name: "ig".into(),
            page_id: Some("1".into()),
            ig_user_id: None,
            page_access_token: Secret::new("t"),
            app_secret: Secret::new("s"),
            verify_token: Secret::new("v"),
            graph_url: DEFAULT_GRAPH_URL.into(),
            timeout: std::time::Duration::from_secs(20),
        };
        assert!(
            Meta::new(&c, Surface::Instagram)
                .unwrap_err()
                .contains("ig_user_id")
        );
        c.page_id = Some("12a".into());
        assert!(Meta::new(&c, Surface::Messenger).is_err());
        c.page_id = Some("12".into());
        c.graph_url = "graph.facebook.com".into();
        assert!(
            Meta::new(&c, Surface::Messenger)
                .unwrap_err()
                .contains("graph_url")
        );
    }
}
