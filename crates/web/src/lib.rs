//! Palabre's workspace for community managers: a JSON API (with its OpenAPI document), a
//! server-rendered inbox with small progressive JavaScript, and live updates over server-sent
//! events.
//!
//! ```text
//! browser ─► router ─► auth (session cookie + CSRF, or API token) ─► handler ─► Pool ─► store
//!                                                                      │
//!                                       Engine (the binary: pipeline, outbox) ◄┘ ─► Live ─► SSE
//! platform ─► /webhooks/{account} (signature, no session) ─► Engine: durable queue ─► ingest
//! ```
//!
//! The web layer never talks to a platform: replies, hides and approved drafts are written to
//! the outbox (in the store), and the binary's sender delivers them. Everything a post contains
//! is untrusted: templates escape it, and the pages allow no inline script (CSP).

pub mod admin;
pub mod api;
pub mod auth;
mod brake;
mod error;
pub mod explain;
pub mod i18n;
pub mod listening;
pub mod live;
mod metrics;
mod pages;
pub mod pool;
mod post_images;
mod posts;
pub mod rules;
pub mod server;
mod templates;
pub mod webhooks;

pub use error::ApiError;
pub use live::{Audience, Live, LiveEvent};
pub use pool::Pool;
pub use server::{Limits, bind, serve};
pub use webhooks::{WebhookError, WebhookReply};

use axum::Router;
use std::sync::Arc;

/// What the web layer asks of the rest of Palabre (the binary implements it).
pub trait Engine: Send + Sync {
    /// Runs platform events (JSON lines, any format `replay` reads) through the pipeline and
    /// records them; the decisions, as the replay contract prints them.
    fn submit(&self, lines: Vec<String>) -> Result<Vec<serde_json::Value>, String>;
    /// A human took a conversation over, or released it: the pipeline must know.
    fn bot_paused(&self, conversation: &str, paused: bool);
    /// Something was written to the outbox: the sender should look now.
    fn outbox_changed(&self);
    /// The crisis brake was switched on or off (on every channel, or some): the pipeline
    /// decides accordingly from now on, and the outbox sends (or holds) the bot's actions.
    fn brake_changed(&self, _brake: &palabre_store::workspace::Brake) {}
    /// A person replied in a conversation from the inbox: a support exchange open there is
    /// answered (a survey may follow when the customer confirms it is solved).
    fn brand_answered(&self, _conversation: &str) {}
    /// A person approved the draft answering this message: the guardrails must remember its
    /// text as sent, as they would have had the bot sent it.
    fn draft_approved(&self, platform: &str, external_id: &str);
    /// The crisis alert under way, if any, with its evidence.
    fn crisis(&self) -> Option<CrisisView> {
        None
    }
    /// The engine's own figures for `/metrics`, in the Prometheus text format.
    fn metrics(&self) -> String {
        String::new()
    }
    /// What the sandbox network received, when it is the platform (demo and tests).
    fn sandbox_posts(&self) -> Option<serde_json::Value> {
        None
    }
    /// A platform's GET on `/webhooks/{account}` (a verification handshake): the answer, or
    /// None when no account of that name takes webhooks.
    fn webhook_challenge(
        &self,
        _account: &str,
        _query: &[(String, String)],
    ) -> Option<WebhookReply> {
        None
    }
    /// A platform's POST on `/webhooks/{account}`: checks its signature over the raw body,
    /// queues it durably and wakes the ingest. `Ok(false)`: the same delivery was already
    /// queued (stored once).
    fn webhook_delivery(
        &self,
        _account: &str,
        _headers: &axum::http::HeaderMap,
        _body: &[u8],
    ) -> Result<bool, WebhookError> {
        Err(WebhookError::UnknownAccount)
    }
}

/// A crisis alert under way, as the banner shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CrisisView {
    /// When it was raised (Unix ms).
    pub since_ms: i64,
    /// Different people in distress within the window.
    pub people: u32,
    /// The brand's usual level (people in distress per window over the day before).
    pub usual: f64,
    /// The window, in minutes.
    pub window_minutes: i64,
    /// The latest messages in distress, newest first.
    pub examples: Vec<String>,
    /// When it ends unless more distress comes (Unix ms).
    pub quiet_ms: i64,
}

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Seconds to a first answer before a conversation is late.
    pub first_response_secs: i64,
    /// Seconds to answer each new message of the author after that.
    pub next_response_secs: i64,
    /// Cookies carry `Secure` (set when not served on a loopback address).
    pub secure_cookies: bool,
    /// Canned responses: name and text, with `{author}` and `{agent}`.
    pub canned: Vec<(String, String)>,
    /// Session lifetime in seconds.
    pub session_secs: i64,
    /// The queues the pipeline routes to (offered by the inbox's queue filter, with the teams').
    pub queues: Vec<String>,
    /// The brand's channels (`[[channels]]`): the inbox's channel filter, teams' channels.
    pub channels: Vec<ChannelInfo>,
    /// Live streams (`/api/stream`) one user may have open at once.
    pub streams_per_user: usize,
    /// The first question of each FAQ entry, by `CAMPAIGN faq=ENTRY` (the campaign and the
    /// request key of its answers): the inbox quotes it beside the answer.
    pub faq_questions: std::collections::BTreeMap<String, String>,
    /// Who approves scheduled posts, and the time zone their times are written in.
    pub publishing: PublishingRules,
    /// The listening geofences, for the conversation page's small map.
    pub geofences: Vec<listening::FenceView>,
}

/// `[publishing]`: the approvals a scheduled post needs and the brand's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishingRules {
    /// Managers who must approve a post (at least 1).
    pub approvals: i64,
    /// Its author may be one of them.
    pub self_approval: bool,
    /// IANA name.
    pub time_zone: String,
    /// The brand's queue slots (`[publishing] slots`): a post given `"at": "slot"` takes the
    /// next free one on its channel.
    pub slots: Vec<palabre_core::post::QueueSlot>,
    /// This server's public address (`[publishing] media_url`), where the platforms fetch a
    /// post's images; Instagram needs one.
    pub media_url: Option<String>,
}

impl Default for PublishingRules {
    fn default() -> Self {
        PublishingRules {
            approvals: 1,
            self_approval: false,
            time_zone: "Europe/Paris".into(),
            slots: Vec::new(),
            media_url: None,
        }
    }
}

/// One of the brand's channels, as the workspace names and shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ChannelInfo {
    /// `PLATFORM:ID`: how conversations, filters and teams name it.
    pub key: String,
    pub platform: String,
    /// Without `@`.
    pub handle: String,
}

impl Settings {
    /// The question an FAQ answer replies to (its entry's first), if the campaign and key name
    /// one of the FAQ entries configured.
    pub fn faq_question(&self, campaign: Option<&str>, key: Option<&str>) -> Option<&str> {
        let (campaign, key) = (campaign?, key?);
        if !key.starts_with("faq=") {
            return None;
        }
        self.faq_questions
            .get(&format!("{campaign} {key}"))
            .map(String::as_str)
    }

    /// A channel key as people read it: `@handle (platform)`; the key itself for a channel
    /// that is not (or no longer) configured.
    pub fn channel_label(&self, key: &str) -> String {
        match self.channels.iter().find(|c| c.key == key) {
            Some(c) => format!("@{} ({})", c.handle, c.platform),
            None => key.to_owned(),
        }
    }

    /// `key` if it names one of the configured channels (any `PLATFORM:ID` when none is
    /// configured), else a message listing them.
    pub fn known_channel(&self, key: &str) -> Result<String, String> {
        let key = palabre_core::Channel::check_key(key).map_err(|e| format!("channel: {e}"))?;
        if self.channels.is_empty() || self.channels.iter().any(|c| c.key == key) {
            Ok(key)
        } else {
            let list: Vec<&str> = self.channels.iter().map(|c| c.key.as_str()).collect();
            Err(format!(
                "channel `{key}` is not one of the brand's channels: {}",
                list.join(", ")
            ))
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            first_response_secs: 3600,
            next_response_secs: 4 * 3600,
            secure_cookies: false,
            canned: Vec::new(),
            session_secs: 12 * 3600,
            queues: vec!["inbox".into(), "review".into(), "moderation".into()],
            channels: Vec::new(),
            streams_per_user: 8,
            faq_questions: Default::default(),
            publishing: PublishingRules::default(),
            geofences: Vec::new(),
        }
    }
}

/// Everything a handler may use.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub engine: Arc<dyn Engine>,
    pub live: Live,
    pub settings: Arc<Settings>,
    pub(crate) limiter: Arc<auth::LoginLimiter>,
    pub(crate) callers: Arc<auth::CallerCache>,
    pub(crate) templates: Arc<minijinja::Environment<'static>>,
}

impl AppState {
    pub fn new(pool: Pool, engine: Arc<dyn Engine>, live: Live, settings: Settings) -> Self {
        AppState {
            pool,
            engine,
            live,
            settings: Arc::new(settings),
            limiter: Arc::new(auth::LoginLimiter::default()),
            callers: Arc::new(auth::CallerCache::default()),
            templates: Arc::new(templates::environment()),
        }
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(metrics::routes())
        .merge(brake::routes())
        .merge(posts::routes())
        .merge(post_images::routes())
        .merge(admin::routes())
        .merge(pages::routes())
        .merge(webhooks::routes())
        // Bodies are read (and bounded) by `server`, before any handler.
        .layer(axum::extract::DefaultBodyLimit::max(server::MAX_BODY))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

/// No inline script, no framing, no sniffing, no referrer leaking conversation ids.
async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}
