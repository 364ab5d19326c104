//! The recording thread: takes what the ingest thread decided — from every source, webhook
//! and `/api/events` request — and commits it in groups: one store transaction for the
//! decisions of everything queued (at most [`GROUP_ENTRIES`]), then one workspace transaction
//! for what follows from them (the bot's replies and hides in the outbox, round-robin
//! assignment, the sources' checkpoints, the webhook deliveries done). Only then does it answer
//! each caller, wake the outbox and tell the browsers: a decision answered is a decision
//! recorded.

use palabre_core::{MessageKind, Outcome};
use palabre_store::workspace::{Checkpoint, ConnectorStatus, Followups, NewAction};
use palabre_store::{Entry, Store, Workspace};
use palabre_web::{Live, LiveEvent};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender};

/// A group slower than this to record is logged with where its time went.
const SLOW_GROUP: std::time::Duration = std::time::Duration::from_millis(100);

/// Most entries committed in one group: a transaction stays short under a backlog.
pub const GROUP_ENTRIES: usize = 8192;

/// What the ingest thread decided for one batch, and whom to tell once it is recorded.
pub struct Decided {
    pub entries: Vec<Entry>,
    pub then: Then,
}

/// Who waits for a batch to be recorded.
pub enum Then {
    /// A source's batch: its checkpoint saved with the group, then `done` answered.
    Source {
        source: String,
        platform: String,
        checkpoint: Option<String>,
        /// The first batch of a connection: the source works, its health is `ok` again.
        first: bool,
        done: SyncSender<Result<(), String>>,
    },
    /// An `/api/events` request: its decisions, answered once recorded.
    Api {
        decisions: Vec<serde_json::Value>,
        reply: SyncSender<Result<Vec<serde_json::Value>, String>>,
    },
    /// A queued webhook delivery, marked done with the group (failed with the error if the
    /// group could not be recorded).
    Webhook { id: i64, account: String },
}

/// When the recording thread last committed (ms since the epoch): the search indexer gives
/// way while ingestion is busy.
#[derive(Clone, Default)]
pub struct LastWrite(Arc<AtomicI64>);

impl LastWrite {
    pub fn mark(&self) {
        self.0.store(now_ms(), Ordering::Relaxed);
    }

    /// Whether a group was committed within the last `ms` milliseconds.
    pub fn within(&self, ms: i64) -> bool {
        now_ms() - self.0.load(Ordering::Relaxed) < ms
    }
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

pub struct Recorder {
    pub store: Box<dyn Store>,
    pub ws: Workspace,
    pub live: Live,
    pub wake_outbox: Sender<()>,
    /// The ingest thread's commands: a group that could not be recorded is forgotten there.
    pub forget: Sender<super::Command>,
    pub last_write: LastWrite,
    /// Sources a batch of which could not be recorded: their checkpoints stay where they were
    /// (later batches are recorded but do not move it past the lost one) until the source
    /// reconnects and reads again from there.
    pub broken: HashSet<String>,
    /// From each message's platform timestamp to its decision recorded.
    pub lag: Arc<super::lag::Lag>,
}

impl Recorder {
    pub fn run(mut self, decided: Receiver<Decided>) {
        while let Ok(first) = decided.recv() {
            let mut group = vec![first];
            let mut entries = group[0].entries.len();
            while entries < GROUP_ENTRIES {
                match decided.try_recv() {
                    Ok(next) => {
                        entries += next.entries.len();
                        group.push(next);
                    }
                    Err(_) => break,
                }
            }
            self.record(group);
            self.last_write.mark();
        }
    }

    /// Commits a group, then answers everyone who waits for it.
    fn record(&mut self, mut group: Vec<Decided>) {
        let mut all = Vec::with_capacity(group.iter().map(|d| d.entries.len()).sum());
        for decided in &mut group {
            all.append(&mut decided.entries);
            if let Then::Source {
                source,
                first: true,
                ..
            } = &decided.then
            {
                self.broken.remove(source);
            }
        }
        let started = std::time::Instant::now();
        let waited_before = palabre_store::thread_lock_waited_us();
        let result = self.commit(&all, &group);
        let took_ms = started.elapsed().as_millis() as u64;
        let lock_wait_ms = (palabre_store::thread_lock_waited_us() - waited_before) / 1000;
        if result.is_err() {
            for decided in &group {
                if let Then::Source { source, .. } = &decided.then {
                    self.broken.insert(source.clone());
                }
            }
        }
        let outcome = match &result {
            Ok(touched) => {
                tracing::info!(
                    events = all.len(),
                    batches = group.len(),
                    conversations = touched.len(),
                    took_ms,
                    lock_wait_ms,
                    oldest_ms = oldest_lag_ms(&all),
                    "recorded"
                );
                Ok(())
            }
            Err(e) => {
                let e = format!("{e:#}");
                tracing::error!(events = all.len(), error = %e, "recording failed");
                // Before anyone hears of the failure: what they send or read again must be
                // decided anew, not dropped as already seen (and so lost).
                let _ = self.forget.send(super::Command::Forget(not_recorded(&all)));
                Err(e)
            }
        };
        for decided in group {
            self.answer(decided.then, &outcome);
        }
        if let Ok(touched) = result {
            let now = now_ms();
            for entry in &all {
                if let Entry::Message { message, .. } = entry {
                    self.lag.record(message.created_at.as_millisecond(), now);
                }
            }
            for event in touched {
                self.live.publish(event);
            }
        }
    }

    /// The two transactions of a group; the conversations whose pages change.
    fn commit(&mut self, all: &[Entry], group: &[Decided]) -> anyhow::Result<Vec<LiveEvent>> {
        let started = std::time::Instant::now();
        self.store.write(all)?;
        let stored = started.elapsed();
        let mut followups = Followups::default();
        // The outbox actions, planned first: their keys are owned here, borrowed below.
        let mut planned: Vec<Planned> = Vec::new();
        let mut touched = Vec::new();
        let mut seen_touched = HashSet::new();
        let mut seen_assigned = HashSet::new();
        for entry in all {
            let Entry::Message {
                message, decision, ..
            } = entry
            else {
                continue;
            };
            let Some(conversation) = decision.conversation.as_ref().map(|c| c.as_str()) else {
                continue;
            };
            let platform = message.id.platform.as_str();
            let target = Some(message.id.external.as_str());
            // What `replay` prints as sent is sent: the bot's answers and the help replies to
            // malformed requests (which also go to a person), and the hides.
            if let Some(text) = decision.sent_reply() {
                let action = if message.kind == MessageKind::Direct {
                    "direct"
                } else {
                    "reply"
                };
                planned.push(Planned {
                    key: format!("bot:{}", message.id),
                    action,
                    platform,
                    conversation,
                    target,
                    text: Some(text),
                    campaign: decision.campaign.as_deref(),
                    choices: (!decision.choices.is_empty()).then(|| decision.choices.join("\n")),
                });
            }
            if decision.outcome == Outcome::Hidden {
                planned.push(Planned {
                    key: format!("bot:hide:{}", message.id),
                    action: "hide",
                    platform,
                    conversation,
                    target,
                    text: None,
                    campaign: None,
                    choices: None,
                });
            }
            if matches!(
                decision.outcome,
                Outcome::RoutedToHuman | Outcome::Drafted | Outcome::Hidden
            ) && let Some(queue) = decision.queue.as_deref()
                && seen_assigned.insert(conversation)
            {
                followups.assign.push((conversation, queue));
            }
            if decision.outcome != Outcome::Ignored && seen_touched.insert(conversation) {
                touched.push(LiveEvent::conversation(
                    conversation,
                    decision.queue.as_deref(),
                    decision.channel.as_deref(),
                ));
            }
        }
        followups.actions = planned.iter().map(Planned::action).collect();
        for decided in group {
            match &decided.then {
                Then::Source {
                    source,
                    platform,
                    checkpoint: Some(cursor),
                    ..
                } if !self.broken.contains(source) => followups.checkpoints.push(Checkpoint {
                    source,
                    platform,
                    cursor,
                }),
                Then::Webhook { id, .. } => followups.webhooks_done.push(*id),
                _ => {}
            }
        }
        let done = self.ws.record_followups(&followups)?;
        let took = started.elapsed();
        if took >= SLOW_GROUP {
            tracing::warn!(
                events = all.len(),
                store_ms = stored.as_millis() as u64,
                followups_ms = (took - stored).as_millis() as u64,
                actions = followups.actions.len(),
                assigned = followups.assign.len(),
                "a group took long to record"
            );
        }
        for ((conversation, _), agent) in followups.assign.iter().zip(&done.assigned) {
            if let Some(agent) = agent {
                tracing::info!(conversation, agent, "assigned");
            }
        }
        if done.enqueued > 0 {
            let _ = self.wake_outbox.send(());
        }
        Ok(touched)
    }

    fn answer(&mut self, then: Then, outcome: &Result<(), String>) {
        match then {
            Then::Source {
                source,
                platform,
                first,
                done,
                ..
            } => {
                let outcome = match outcome {
                    Ok(()) if self.broken.contains(&source) => Err(
                        "an earlier batch of this source could not be recorded; reading again from its checkpoint".to_owned(),
                    ),
                    other => other.clone(),
                };
                if first && outcome.is_ok() {
                    self.connector_works(&source, &platform);
                }
                let _ = done.send(outcome);
            }
            Then::Api { decisions, reply } => {
                let _ = reply.send(outcome.clone().map(|()| decisions));
            }
            Then::Webhook { id, account } => {
                if let Err(e) = outcome {
                    tracing::error!(account, id, error = %e, "webhook delivery failed");
                    if let Err(e) = self.ws.finish_webhook(id, Some(e)) {
                        tracing::error!(id, error = %e, "cannot mark the webhook delivery failed; it will be read again at the next start");
                    }
                }
            }
        }
    }

    fn connector_works(&mut self, source: &str, platform: &str) {
        if let Err(e) = self
            .ws
            .set_connector_status(source, platform, ConnectorStatus::Ok, None)
        {
            tracing::error!(source, error = %e, "cannot record the connector's health");
        }
        self.live.publish(LiveEvent::Connector {
            name: source.to_owned(),
        });
    }
}

/// The pipeline's keys of the messages of a group that was not recorded.
fn not_recorded(entries: &[Entry]) -> Vec<(u64, Option<u64>, String)> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::Message { keys, decision, .. } => Some((
                keys.event,
                keys.request,
                decision
                    .conversation
                    .as_ref()
                    .map(|c| c.as_str().to_owned())
                    .unwrap_or_default(),
            )),
            _ => None,
        })
        .collect()
}

/// From the oldest message's platform timestamp to now: how late the group is recorded.
fn oldest_lag_ms(entries: &[Entry]) -> i64 {
    let oldest = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Message { message, .. } => Some(message.created_at.as_millisecond()),
            _ => None,
        })
        .min();
    oldest.map_or(0, |t| now_ms() - t)
}

/// An outbox action of the bot, before its key is borrowed.
struct Planned<'a> {
    key: String,
    action: &'a str,
    platform: &'a str,
    conversation: &'a str,
    target: Option<&'a str>,
    text: Option<&'a str>,
    campaign: Option<&'a str>,
    /// The choices the text offers, one per line.
    choices: Option<String>,
}

impl Planned<'_> {
    fn action(&self) -> NewAction<'_> {
        NewAction {
            idem_key: &self.key,
            action: self.action,
            platform: self.platform,
            conversation_id: Some(self.conversation),
            target_id: self.target,
            text: self.text,
            origin: "bot",
            actor: "palabre",
            priority: 1,
            campaign: self.campaign,
            choices: self.choices.as_deref(),
            channel: None,
        }
    }
}
