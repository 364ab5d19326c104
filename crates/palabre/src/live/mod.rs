//! The live engine behind `palabre serve` and `palabre demo`: an ingest thread that owns the
//! pipeline, a recording thread that commits its decisions in groups, one outbox sender thread,
//! and the sandbox network.
//!
//! ```text
//! sources, /api/events ─► ingest thread: pipeline ─► recording thread: a group of batches →
//!   Store::write (one tx) → outbox rows for the bot's replies and hides, round-robin
//!   assignment, checkpoints, webhooks done (one tx) → answers, Live (SSE)
//! web actions ─► outbox rows ─► sender thread: claim → deliver → sent | retry later | dead
//! /webhooks/NAME ─► signature ─► webhook_queue (durable, 200 at once) ─► wake ─► ingest thread
//!                   drains the queue in order (and at start, what a crash left) → done | failed
//! ```
//!
//! Decide stays pure: takeovers reach the pipeline as facts (`Pipeline::set_bot_paused`).

pub mod accounts;
pub mod connect;
#[cfg(test)]
mod faults;
pub mod ingest;
pub mod lag;
pub mod outbox;
pub mod record;
pub mod route;
pub mod sandbox;

use palabre_connectors::client::WebhookEndpoint;
use palabre_store::Workspace;
use palabre_web::{Engine, Live, WebhookError, WebhookReply};
use std::collections::HashMap;
use std::sync::mpsc::{Receiver, Sender, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

/// What the ingest thread is asked to do.
pub enum Command {
    /// Lines to run through the pipeline; the decisions come back on the channel.
    Lines(
        Vec<String>,
        SyncSender<Result<Vec<serde_json::Value>, String>>,
    ),
    /// A human took a conversation over (`true`) or released it.
    Pause(String, bool),
    /// The outbox withdrew the bot's reply to this message (platform, external id) before
    /// sending it: the guardrails forget it.
    Withdrawn(String, String),
    /// A person replied in this conversation from the inbox.
    Answered(String),
    /// The crisis brake was switched on (`true`) or off, on these channels (none: every one).
    Brake(bool, Vec<String>),
    /// A person approved the draft answering this message (platform, external id).
    Approved(String, String),
    /// What a source read: stored, then its checkpoint saved, then `done` answered.
    Batch {
        source: String,
        platform: String,
        batch: palabre_connectors::client::Batch,
        /// The first batch of a connection: the source works, its health is `ok` again.
        first: bool,
        done: SyncSender<Result<(), String>>,
    },
    /// Webhook deliveries were queued: run what is pending through the pipeline.
    Webhooks,
    /// Events decided but not recorded (their group failed), `(event key, request key,
    /// conversation)`: the pipeline forgets it saw them, so that they are decided again when
    /// they come back. Sent by the recording thread before it answers anyone of the failure,
    /// hence handled before anything read again because of it.
    Forget(Vec<(u64, Option<u64>, String)>),
}

/// An account's webhook, under its name.
pub struct Webhook {
    pub platform: String,
    pub endpoint: Arc<dyn WebhookEndpoint>,
}

/// The crisis alert as the ingest thread last saw it, read by the web pages.
#[derive(Default)]
pub struct CrisisBoard {
    alert: Mutex<Option<palabre_web::CrisisView>>,
}

impl CrisisBoard {
    /// Shows `alert` (or none); true when one was raised since the last call.
    pub fn show(&self, alert: Option<palabre_pipeline::crisis::CrisisAlert>) -> bool {
        let view = alert.map(|a| palabre_web::CrisisView {
            since_ms: a.raised_at.saturating_mul(1000),
            people: a.people,
            usual: a.usual,
            window_minutes: (a.window_secs / 60).max(1),
            examples: a.examples,
            quiet_ms: a.quiet_at.saturating_mul(1000),
        });
        let Ok(mut shown) = self.alert.lock() else {
            return false;
        };
        let raised = view
            .as_ref()
            .is_some_and(|v| shown.as_ref().is_none_or(|s| s.since_ms != v.since_ms));
        *shown = view;
        raised
    }

    /// The alert, unless its quiet period ran out since the last message seen (a stream that
    /// fell silent after a crisis ends it as `replay` does: `CrisisDetector::active_at`).
    pub fn alert(&self) -> Option<palabre_web::CrisisView> {
        let now = jiff::Timestamp::now().as_millisecond();
        self.alert
            .lock()
            .ok()
            .and_then(|a| a.clone())
            .filter(|a| a.quiet_ms >= now)
    }
}

/// The binary's side of the web layer.
pub struct LiveEngine {
    commands: Sender<Command>,
    wake_outbox: Sender<()>,
    sandbox: Option<Arc<sandbox::Sandbox>>,
    webhooks: HashMap<String, Webhook>,
    /// Where deliveries are queued (one connection: a queue insert is short).
    queue: Mutex<Workspace>,
    lag: Arc<lag::Lag>,
    crisis: Arc<CrisisBoard>,
}

impl LiveEngine {
    pub fn new(
        commands: Sender<Command>,
        wake_outbox: Sender<()>,
        sandbox: Option<Arc<sandbox::Sandbox>>,
        webhooks: HashMap<String, Webhook>,
        queue: Workspace,
        lag: Arc<lag::Lag>,
        crisis: Arc<CrisisBoard>,
    ) -> Self {
        LiveEngine {
            commands,
            wake_outbox,
            sandbox,
            webhooks,
            queue: Mutex::new(queue),
            lag,
            crisis,
        }
    }
}

impl Engine for LiveEngine {
    fn submit(&self, lines: Vec<String>) -> Result<Vec<serde_json::Value>, String> {
        let (tx, rx) = sync_channel(1);
        self.commands
            .send(Command::Lines(lines, tx))
            .map_err(|_| "the ingest thread stopped".to_owned())?;
        rx.recv()
            .map_err(|_| "the ingest thread stopped".to_owned())?
    }

    fn bot_paused(&self, conversation: &str, paused: bool) {
        let _ = self
            .commands
            .send(Command::Pause(conversation.to_owned(), paused));
    }

    fn outbox_changed(&self) {
        let _ = self.wake_outbox.send(());
    }

    fn brake_changed(&self, brake: &palabre_store::workspace::Brake) {
        let _ = self
            .commands
            .send(Command::Brake(brake.engaged, brake.channels.clone()));
        let _ = self.wake_outbox.send(());
    }

    fn brand_answered(&self, conversation: &str) {
        let _ = self
            .commands
            .send(Command::Answered(conversation.to_owned()));
    }

    fn draft_approved(&self, platform: &str, external_id: &str) {
        let _ = self.commands.send(Command::Approved(
            platform.to_owned(),
            external_id.to_owned(),
        ));
    }

    fn crisis(&self) -> Option<palabre_web::CrisisView> {
        self.crisis.alert()
    }

    fn metrics(&self) -> String {
        let name = "palabre_store_lock_wait_seconds_total";
        format!(
            "{}# HELP {name} Time this process's store connections slept waiting for another's write lock (SQLite).\n# TYPE {name} counter\n{name} {}\n",
            self.lag.exposition(),
            palabre_store::lock_waited_us() as f64 / 1e6
        )
    }

    fn sandbox_posts(&self) -> Option<serde_json::Value> {
        self.sandbox.as_ref().map(|s| s.snapshot())
    }

    fn webhook_challenge(&self, account: &str, query: &[(String, String)]) -> Option<WebhookReply> {
        let reply = self.webhooks.get(account)?.endpoint.challenge(query);
        Some(WebhookReply {
            status: reply.status,
            content_type: reply.content_type.to_owned(),
            body: reply.body,
        })
    }

    fn webhook_delivery(
        &self,
        account: &str,
        headers: &palabre_connectors::client::http::HeaderMap,
        body: &[u8],
    ) -> Result<bool, WebhookError> {
        let hook = self
            .webhooks
            .get(account)
            .ok_or(WebhookError::UnknownAccount)?;
        hook.endpoint
            .verify(headers, body)
            .map_err(WebhookError::BadSignature)?;
        // Signed bodies are JSON, hence UTF-8; anything else is the pipeline's to call invalid.
        let text = String::from_utf8_lossy(body);
        let (id, new) = self
            .queue
            .lock()
            .map_err(|_| WebhookError::Failed("the webhook queue's connection is poisoned".into()))?
            .queue_webhook(&hook.platform, account, &text)
            .map_err(|e| WebhookError::Failed(e.to_string()))?;
        if new {
            tracing::info!(account, id, bytes = body.len(), "webhook delivery queued");
            let _ = self.commands.send(Command::Webhooks);
        } else {
            tracing::info!(account, id, "webhook delivery already queued; stored once");
        }
        Ok(new)
    }
}

/// A running engine (its threads stop when the process does).
pub struct Running {
    pub engine: Arc<LiveEngine>,
}

/// The brand's accounts, and which of them answers for which channel.
pub struct Accounts {
    pub list: Vec<accounts::Account>,
    /// Channel key (`PLATFORM:ID`) → the name of the account that answers for it
    /// (`[[channels]] account = …`); only accounts that can send.
    pub by_channel: HashMap<String, String>,
}

/// Starts the ingest and sender threads on the store at `location`, and one thread per source of
/// each account. The outbox sends through the account of each conversation's channel, else the
/// platform's first account; actions for a platform no account sends for go to the sandbox when
/// there is one, else to the dead letters with a clear error.
pub fn start(
    location: &str,
    pipeline: palabre_pipeline::Pipeline,
    accounts: Accounts,
    sandbox: Option<Arc<sandbox::Sandbox>>,
    live: Live,
    sending: outbox::Settings,
    stop: &palabre_connectors::client::Stop,
) -> anyhow::Result<Running> {
    let (commands, inbox): (Sender<Command>, Receiver<Command>) = std::sync::mpsc::channel();
    let (wake, woken) = std::sync::mpsc::channel::<()>();
    let (to_record, decided) = sync_channel(RECORD_QUEUE);
    let crisis = Arc::new(CrisisBoard::default());
    let ingest = ingest::Ingest::open(location, pipeline, to_record, crisis.clone())?;
    let mut ws = Workspace::open(location)?;
    ws.refresh_assignable()?;
    let last_write = record::LastWrite::default();
    let lag = Arc::new(lag::Lag::default());
    let recorder = record::Recorder {
        store: palabre_store::open(location)?,
        ws,
        live: live.clone(),
        wake_outbox: wake.clone(),
        forget: commands.clone(),
        last_write: last_write.clone(),
        broken: Default::default(),
        lag: lag.clone(),
    };
    std::thread::Builder::new()
        .name("record".into())
        .spawn(move || recorder.run(decided))?;
    std::thread::Builder::new()
        .name("ingest".into())
        .spawn(move || ingest.run(inbox))?;
    let Accounts {
        list: mut accounts,
        by_channel: channel_accounts,
    } = accounts;
    let mut routes = HashMap::new();
    let mut webhooks = HashMap::new();
    for account in &accounts {
        if let Some(endpoint) = &account.webhook {
            webhooks.insert(
                account.name.clone(),
                Webhook {
                    platform: account.platform.clone(),
                    endpoint: endpoint.clone(),
                },
            );
        }
        if let Some(sender) = &account.sender {
            routes
                .entry(account.platform.clone())
                .or_insert_with(|| route::Route {
                    account: account.name.clone(),
                    sender: sender.clone(),
                });
        }
    }
    // `channel_accounts` names accounts that can send (`serve` checks it).
    let mut by_channel = HashMap::new();
    for (channel, name) in &channel_accounts {
        if let Some(sender) = accounts
            .iter()
            .find(|a| &a.name == name)
            .and_then(|a| a.sender.as_ref())
        {
            let route = route::Route {
                account: name.clone(),
                sender: sender.clone(),
            };
            by_channel.insert(channel.clone(), route);
        }
    }
    let fallback = sandbox.clone().map(|s| -> Arc<dyn outbox::Deliver> { s });
    let pace = route::Pace::new(sending.pace);
    let deliver = Arc::new(
        route::Router::new(location, routes, by_channel, fallback, pace)?
            .with_media_url(sending.media_url.clone()),
    );
    let search = Workspace::open(location)?;
    if search.backend() == "sqlite" {
        std::thread::Builder::new()
            .name("search-index".into())
            .spawn(move || keep_search_indexed(search, last_write))?;
    }
    connect::spawn_sources(location, &mut accounts, &commands, &live, stop)?;
    let watched = Workspace::open(location)?;
    let (to_ingest, to_outbox) = (commands.clone(), wake.clone());
    std::thread::Builder::new()
        .name("brake-watch".into())
        .spawn(move || watch_brake(watched, to_ingest, to_outbox))?;
    let sender = outbox::Sender::open(location, deliver, live, &sending)?
        .telling(commands.clone())
        .watching(crisis.clone());
    std::thread::Builder::new()
        .name("outbox".into())
        .spawn(move || sender.run(woken))?;
    Ok(Running {
        engine: Arc::new(LiveEngine::new(
            commands,
            wake,
            sandbox,
            webhooks,
            Workspace::open(location)?,
            lag,
            crisis,
        )),
    })
}

/// Follows the crisis brake in the store, for switches made elsewhere (`palabre brake` on the
/// command line, another node): every two seconds, a change reaches the pipeline and wakes the
/// outbox (which reads the brake itself when it takes actions to send).
fn watch_brake(mut ws: Workspace, commands: Sender<Command>, wake_outbox: Sender<()>) {
    let mut seen: Option<(bool, Vec<String>)> = None;
    loop {
        match ws.brake() {
            Ok(brake) if seen.as_ref() != Some(&(brake.engaged, brake.channels.clone())) => {
                if seen.is_some() {
                    tracing::warn!(
                        engaged = brake.engaged,
                        channels = %brake.channels.join(","),
                        actor = %brake.actor,
                        reason = brake.reason.as_deref().unwrap_or(""),
                        "the crisis brake was switched"
                    );
                }
                seen = Some((brake.engaged, brake.channels.clone()));
                if commands
                    .send(Command::Brake(brake.engaged, brake.channels))
                    .is_err()
                {
                    return;
                }
                let _ = wake_outbox.send(());
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "cannot read the crisis brake; trying again"),
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
}

/// Keeps the inbox's search index (SQLite: its own file beside the store, migration 10) up with
/// what is stored. Its writes never take the store's write lock, but they share the two cores
/// and the disk with ingestion: while groups are being recorded it indexes
/// [`SEARCH_BATCH_BUSY`] messages a transaction with a pause of [`SEARCH_PAUSE_BUSY`] between
/// them (about 10,000 messages/s); when ingestion is quiet, [`SEARCH_BATCH`] at a time until it
/// has caught up, then a look every second.
fn keep_search_indexed(mut ws: Workspace, last_write: record::LastWrite) {
    let mut behind = 0usize;
    loop {
        let busy = last_write.within(SEARCH_QUIET_MS);
        let batch = if busy {
            SEARCH_BATCH_BUSY
        } else {
            SEARCH_BATCH
        };
        match ws.index_search(batch) {
            Ok(0) => {
                if behind >= 10 * SEARCH_BATCH {
                    tracing::info!(messages = behind, "search index caught up");
                }
                behind = 0;
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
            Ok(n) => {
                behind += n;
                std::thread::sleep(if busy {
                    SEARCH_PAUSE_BUSY
                } else {
                    std::time::Duration::from_millis(20)
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "search indexing failed; searches read the messages not indexed yet");
                std::thread::sleep(std::time::Duration::from_secs(5));
            }
        }
    }
}

/// Batches decided but not recorded yet, at most: past it the ingest thread waits (and the
/// sources with it), so memory stays flat under any burst.
const RECORD_QUEUE: usize = 64;
/// Messages indexed a transaction while ingestion is quiet.
const SEARCH_BATCH: usize = 5000;
/// Messages indexed a transaction while ingestion records.
const SEARCH_BATCH_BUSY: usize = 1000;
/// The pause between two such transactions.
const SEARCH_PAUSE_BUSY: std::time::Duration = std::time::Duration::from_millis(100);
/// Ingestion counts as busy when it committed within this many milliseconds.
const SEARCH_QUIET_MS: i64 = 500;
