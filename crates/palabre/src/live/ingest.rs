//! The ingest thread: lines → pipeline → one transaction → what follows from the decisions
//! (the bot's replies and hides written to the outbox, round-robin assignment, live events).

use super::Command;
use crate::engine::{decision_value, to_entry};
use palabre_connectors::Format;
use palabre_core::{ConversationId, Outcome};
use palabre_pipeline::Pipeline;
use palabre_store::workspace::NewAction;
use palabre_store::{Entry, Store, Workspace};
use palabre_web::{Live, LiveEvent};
use std::sync::mpsc::{Receiver, Sender};

pub struct Ingest {
    pipeline: Pipeline,
    store: Box<dyn Store>,
    ws: Workspace,
    live: Live,
    wake_outbox: Sender<()>,
}

impl Ingest {
    /// Opens the store, restores the pipeline's memory (windows, replies sent, takeovers).
    pub fn open(
        location: &str,
        mut pipeline: Pipeline,
        live: Live,
        wake_outbox: Sender<()>,
    ) -> anyhow::Result<Ingest> {
        let mut store = palabre_store::open(location)?;
        crate::wiring::restore(&mut pipeline, store.as_mut(), location)?;
        let mut ws = Workspace::open(location)?;
        ws.refresh_assignable()?;
        Ok(Ingest {
            pipeline,
            store,
            ws,
            live,
            wake_outbox,
        })
    }

    pub fn run(mut self, commands: Receiver<Command>) {
        // What was acknowledged to a platform but not processed before a crash or a stop.
        self.drain_webhooks();
        while let Ok(command) = commands.recv() {
            match command {
                Command::Webhooks => self.drain_webhooks(),
                Command::Pause(conversation, paused) => self
                    .pipeline
                    .set_bot_paused(&ConversationId::from_stored(&conversation), paused),
                Command::Approved(platform, external_id) => {
                    match self.ws.approved_reply(&platform, &external_id) {
                        Ok(reply) => self.pipeline.restore_replies(reply),
                        Err(e) => {
                            tracing::error!(platform, external_id, error = %e, "cannot read an approved draft; the guardrails will learn it at the next start");
                        }
                    }
                }
                Command::Batch {
                    source,
                    platform,
                    batch,
                    first,
                    done,
                } => {
                    let result = self
                        .ingest_batch(&source, &platform, batch, first)
                        .map_err(|e| format!("{e:#}"));
                    if let Err(e) = &result {
                        tracing::error!(source, error = %e, "ingest failed");
                    }
                    let _ = done.send(result);
                }
                Command::Lines(lines, reply) => {
                    let result = self.ingest(&lines, "api").map_err(|e| format!("{e:#}"));
                    if let Err(e) = &result {
                        tracing::error!(error = %e, "ingest failed");
                    }
                    let _ = reply.send(result);
                }
            }
        }
    }

    /// Runs the queued webhook deliveries through the pipeline, oldest first, and marks each
    /// one done, or failed with its error (kept in the queue for a person to look at).
    fn drain_webhooks(&mut self) {
        loop {
            let pending = match self.ws.pending_webhooks(100) {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the webhook queue; it will be read at the next delivery");
                    return;
                }
            };
            if pending.is_empty() {
                return;
            }
            for delivery in pending {
                let origin = format!("webhook {}#{}", delivery.account, delivery.id);
                let error = self
                    .ingest(std::slice::from_ref(&delivery.body), &origin)
                    .err()
                    .map(|e| format!("{e:#}"));
                if let Some(e) = &error {
                    tracing::error!(account = %delivery.account, id = delivery.id, error = %e, "webhook delivery failed");
                }
                if let Err(e) = self.ws.finish_webhook(delivery.id, error.as_deref()) {
                    tracing::error!(id = delivery.id, error = %e, "cannot mark the webhook delivery; it will be read again");
                    return;
                }
            }
        }
    }

    /// A source's batch: stored, then its checkpoint saved (a crash in between reads the batch
    /// again, which dedupe makes harmless).
    fn ingest_batch(
        &mut self,
        source: &str,
        platform: &str,
        batch: palabre_connectors::client::Batch,
        first: bool,
    ) -> anyhow::Result<()> {
        if !batch.lines.is_empty() {
            self.ingest(&batch.lines, source)?;
        }
        if let Some(cursor) = &batch.checkpoint {
            self.ws.save_checkpoint(source, platform, cursor)?;
        }
        if first {
            self.ws.set_connector_status(
                source,
                platform,
                palabre_store::workspace::ConnectorStatus::Ok,
                None,
            )?;
            self.live.publish(LiveEvent::Connector {
                name: source.to_owned(),
            });
        }
        Ok(())
    }

    fn ingest(&mut self, lines: &[String], origin: &str) -> anyhow::Result<Vec<serde_json::Value>> {
        let mut decisions = Vec::with_capacity(lines.len());
        let mut entries = Vec::with_capacity(lines.len());
        // `line` in a decision is the line of this request, as in `palabre replay`.
        for (i, line) in lines.iter().enumerate() {
            let line_no = i as u64 + 1;
            if line.trim().is_empty() {
                continue;
            }
            self.pipeline.process_line(line, Format::Auto, |p| {
                decisions.push(decision_value(line_no, &p));
                if let Some(entry) = to_entry(p, origin, line_no) {
                    entries.push(entry);
                }
            });
        }
        let summary = self.store.write(&entries)?;
        tracing::info!(
            events = decisions.len(),
            stored = summary.inserted,
            already = summary.already_stored,
            "ingested"
        );
        let mut touched = Vec::new();
        let mut to_assign = Vec::new();
        let mut seen_touched = std::collections::HashSet::new();
        let mut seen_assigned = std::collections::HashSet::new();
        let mut outbox = false;
        for entry in &entries {
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
            let event = message.id.to_string();
            // What `replay` prints as sent is sent: the bot's answers and the help replies to
            // malformed requests (which also go to a person), and the hides.
            let reply = decision.sent_reply().map(|text| {
                let action = if message.kind == palabre_core::MessageKind::Direct {
                    "direct"
                } else {
                    "reply"
                };
                (
                    format!("bot:{event}"),
                    action,
                    Some(text),
                    decision.campaign.as_deref(),
                )
            });
            let hide = (decision.outcome == Outcome::Hidden)
                .then(|| (format!("bot:hide:{event}"), "hide", None, None));
            for (idem_key, action, text, campaign) in reply.into_iter().chain(hide) {
                let (_, created) = self.ws.enqueue(&NewAction {
                    idem_key: &idem_key,
                    action,
                    platform,
                    conversation_id: Some(conversation),
                    target_id: Some(message.id.external.as_str()),
                    text,
                    origin: "bot",
                    actor: "palabre",
                    priority: 1,
                    campaign,
                })?;
                outbox |= created;
            }
            if matches!(
                decision.outcome,
                Outcome::RoutedToHuman | Outcome::Drafted | Outcome::Hidden
            ) && let Some(queue) = decision.queue.as_deref()
                && seen_assigned.insert(conversation)
            {
                to_assign.push((conversation, queue));
            }
            if decision.outcome != Outcome::Ignored && seen_touched.insert(conversation) {
                touched.push(LiveEvent::conversation(
                    conversation,
                    decision.queue.as_deref(),
                    decision.channel.as_deref(),
                ));
            }
        }
        // One transaction for the batch's assignments, each a descent of an index.
        let assigned = self.ws.auto_assign_all(&to_assign)?;
        for ((conversation, _), agent) in to_assign.iter().zip(assigned) {
            if let Some(agent) = agent {
                tracing::info!(conversation, agent, "assigned");
            }
        }
        if outbox {
            let _ = self.wake_outbox.send(());
        }
        for event in touched {
            self.live.publish(event);
        }
        Ok(decisions)
    }
}
