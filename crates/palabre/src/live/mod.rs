//! The live engine behind `palabre serve` and `palabre demo`: one ingest thread that owns the
//! pipeline and the store writer, one outbox sender thread, and the sandbox network.
//!
//! ```text
//! /api/events, sandbox ─► ingest thread: pipeline → Store::write (one tx) → outbox rows for the
//!                          bot's replies and hides, round-robin assignment → Live (SSE)
//! web actions ─► outbox rows ─► sender thread: claim → deliver → sent | retry later | dead
//! ```
//!
//! Decide stays pure: takeovers reach the pipeline as facts (`Pipeline::set_bot_paused`).

pub mod accounts;
pub mod connect;
pub mod ingest;
pub mod outbox;
pub mod route;
pub mod sandbox;

use palabre_web::{Engine, Live};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, SyncSender, sync_channel};

/// What the ingest thread is asked to do.
pub enum Command {
    /// Lines to run through the pipeline; the decisions come back on the channel.
    Lines(
        Vec<String>,
        SyncSender<Result<Vec<serde_json::Value>, String>>,
    ),
    /// A human took a conversation over (`true`) or released it.
    Pause(String, bool),
    /// What a source read: stored, then its checkpoint saved, then `done` answered.
    Batch {
        source: String,
        platform: String,
        batch: palabre_connectors::client::Batch,
        /// The first batch of a connection: the source works, its health is `ok` again.
        first: bool,
        done: SyncSender<Result<(), String>>,
    },
}

/// The binary's side of the web layer.
pub struct LiveEngine {
    commands: Sender<Command>,
    wake_outbox: Sender<()>,
    sandbox: Option<Arc<sandbox::Sandbox>>,
}

impl LiveEngine {
    pub fn new(
        commands: Sender<Command>,
        wake_outbox: Sender<()>,
        sandbox: Option<Arc<sandbox::Sandbox>>,
    ) -> Self {
        LiveEngine {
            commands,
            wake_outbox,
            sandbox,
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

    fn sandbox_posts(&self) -> Option<serde_json::Value> {
        self.sandbox.as_ref().map(|s| s.snapshot())
    }
}

/// A running engine (its threads stop when the process does).
pub struct Running {
    pub engine: Arc<LiveEngine>,
}

/// Starts the ingest and sender threads on the store at `location`.
/// Starts the ingest and sender threads on the store at `location`, and one thread per source of
/// each account. The outbox sends through the accounts' senders; actions for a platform no
/// account sends for go to the sandbox when there is one, else to the dead letters with a clear
/// error.
pub fn start(
    location: &str,
    pipeline: palabre_pipeline::Pipeline,
    mut accounts: Vec<accounts::Account>,
    sandbox: Option<Arc<sandbox::Sandbox>>,
    live: Live,
    max_attempts: u32,
    stop: &palabre_connectors::client::Stop,
) -> anyhow::Result<Running> {
    let (commands, inbox): (Sender<Command>, Receiver<Command>) = std::sync::mpsc::channel();
    let (wake, woken) = std::sync::mpsc::channel::<()>();
    let ingest = ingest::Ingest::open(location, pipeline, live.clone(), wake.clone())?;
    std::thread::Builder::new()
        .name("ingest".into())
        .spawn(move || ingest.run(inbox))?;
    let mut routes = std::collections::HashMap::new();
    for account in &accounts {
        if let Some(sender) = &account.sender {
            routes
                .entry(account.platform.clone())
                .or_insert_with(|| route::Route {
                    account: account.name.clone(),
                    sender: sender.clone(),
                });
        }
    }
    let fallback = sandbox.clone().map(|s| -> Arc<dyn outbox::Deliver> { s });
    let deliver = Arc::new(route::Router::new(location, routes, fallback)?);
    connect::spawn_sources(location, &mut accounts, &commands, &live, stop)?;
    let sender = outbox::Sender::open(location, deliver, live, max_attempts)?;
    std::thread::Builder::new()
        .name("outbox".into())
        .spawn(move || sender.run(woken))?;
    Ok(Running {
        engine: Arc::new(LiveEngine::new(commands, wake, sandbox)),
    })
}
