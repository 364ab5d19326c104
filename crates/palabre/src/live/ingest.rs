//! The ingest thread: owns the pipeline and decides, one batch after another, what every source,
//! webhook delivery and `/api/events` request brings; the recording thread (`record.rs`) commits
//! the decisions in groups meanwhile. Takeovers and approvals reach the pipeline here, in order
//! with the messages.

use super::Command;
use super::record::{Decided, Then};
use crate::engine::{decision_value, to_entry};
use palabre_connectors::Format;
use palabre_core::ConversationId;
use palabre_pipeline::Pipeline;
use palabre_store::{Entry, Workspace};
use std::sync::mpsc::{Receiver, SyncSender};

/// Webhook deliveries read from the queue at a time.
const WEBHOOKS_READ: usize = 100;

pub struct Ingest {
    pipeline: Pipeline,
    /// Reads the webhook queue and approved drafts (the recording thread writes).
    ws: Workspace,
    record: SyncSender<Decided>,
    /// The last webhook delivery handed to the recording thread: the queue is read past it,
    /// so a delivery not recorded yet is not decided twice.
    webhooks_through: i64,
    /// The crisis alert, for the web pages.
    crisis: std::sync::Arc<super::CrisisBoard>,
}

impl Ingest {
    /// Restores the pipeline's memory (windows, replies sent, takeovers) from the store.
    pub fn open(
        location: &str,
        mut pipeline: Pipeline,
        record: SyncSender<Decided>,
        crisis: std::sync::Arc<super::CrisisBoard>,
    ) -> anyhow::Result<Ingest> {
        let mut store = palabre_store::open(location)?;
        crate::wiring::restore(&mut pipeline, store.as_mut(), location)?;
        crisis.show(pipeline.crisis_alert());
        Ok(Ingest {
            pipeline,
            ws: Workspace::open(location)?,
            record,
            webhooks_through: 0,
            crisis,
        })
    }

    pub fn run(mut self, commands: Receiver<Command>) {
        // What was acknowledged to a platform but not processed before a crash or a stop.
        self.drain_webhooks();
        while let Ok(command) = commands.recv() {
            let sent = match command {
                Command::Webhooks => self.drain_webhooks(),
                Command::Forget(events) => {
                    tracing::warn!(
                        events = events.len(),
                        "events not recorded are forgotten by the pipeline; decided again when they come back"
                    );
                    self.pipeline.forget(&events);
                    true
                }
                Command::Pause(conversation, paused) => {
                    self.pipeline
                        .set_bot_paused(&ConversationId::from_stored(&conversation), paused);
                    true
                }
                Command::Brake(engaged, channels) => {
                    self.pipeline.set_brake(engaged, &channels);
                    true
                }
                Command::Answered(conversation) => {
                    self.pipeline.brand_answered(
                        &ConversationId::from_stored(&conversation),
                        jiff::Timestamp::now(),
                    );
                    true
                }
                Command::Withdrawn(platform, external_id) => {
                    match self.ws.decided_reply(&platform, &external_id) {
                        Ok(reply) => self.pipeline.withdraw_replies(reply),
                        Err(e) => reply_unread(&platform, &external_id, &e, "withdrawn"),
                    }
                    true
                }
                Command::Approved(platform, external_id) => {
                    match self.ws.approved_reply(&platform, &external_id) {
                        Ok(reply) => self.pipeline.restore_replies(reply),
                        Err(e) => reply_unread(&platform, &external_id, &e, "approved"),
                    }
                    true
                }
                Command::Batch {
                    source,
                    platform,
                    batch,
                    first,
                    done,
                } => {
                    let entries = self.decide(&batch.lines, &source, None);
                    let then = Then::Source {
                        source,
                        platform,
                        checkpoint: batch.checkpoint,
                        first,
                        done,
                    };
                    self.record.send(Decided { entries, then }).is_ok()
                }
                Command::Lines(lines, reply) => {
                    let mut decisions = Vec::with_capacity(lines.len());
                    let entries = self.decide(&lines, "api", Some(&mut decisions));
                    let then = Then::Api { decisions, reply };
                    self.record.send(Decided { entries, then }).is_ok()
                }
            };
            if !sent {
                tracing::error!("the recording thread stopped; nothing more can be recorded");
                return;
            }
        }
    }

    /// Decides the queued webhook deliveries not handed on yet, oldest first; false when the
    /// recording thread is gone.
    fn drain_webhooks(&mut self) -> bool {
        loop {
            let pending = match self
                .ws
                .pending_webhooks(self.webhooks_through, WEBHOOKS_READ)
            {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the webhook queue; it will be read at the next delivery");
                    return true;
                }
            };
            if pending.is_empty() {
                return true;
            }
            for delivery in pending {
                let origin = format!("webhook {}#{}", delivery.account, delivery.id);
                let entries = self.decide(std::slice::from_ref(&delivery.body), &origin, None);
                self.webhooks_through = delivery.id;
                let then = Then::Webhook {
                    id: delivery.id,
                    account: delivery.account,
                };
                if self.record.send(Decided { entries, then }).is_err() {
                    return false;
                }
            }
        }
    }

    /// Runs lines through the pipeline: what to record, and for `/api/events` the decisions
    /// (`line` is the line of the request, as in `palabre replay`).
    fn decide(
        &mut self,
        lines: &[String],
        origin: &str,
        mut decisions: Option<&mut Vec<serde_json::Value>>,
    ) -> Vec<Entry> {
        let mut entries = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            let line_no = i as u64 + 1;
            if line.trim().is_empty() {
                continue;
            }
            self.pipeline.process_line(line, Format::Auto, |p| {
                if let Some(decisions) = decisions.as_deref_mut() {
                    decisions.push(decision_value(line_no, &p));
                }
                if let Some(entry) = to_entry(p, origin, line_no) {
                    entries.push(entry);
                }
            });
        }
        let alert = self.pipeline.crisis_alert();
        if self.crisis.show(alert.clone())
            && let Some(alert) = alert
        {
            tracing::warn!(
                people = alert.people,
                "crisis suspected: many people wrote in distress within minutes; nothing automated goes out until it is quiet"
            );
            if self.pipeline.policy().crisis.auto_brake && self.pipeline.brake_on() {
                // `[crisis] brake = "auto"`: the pipeline pulled the brake; record it, so that
                // the outbox holds the bot's sends, every page shows it and a person releases it.
                let reason = format!(
                    "crisis suspected: {} people in distress within minutes",
                    alert.people
                );
                if let Err(e) = self.ws.set_brake(true, Some(&reason), "palabre", &[]) {
                    tracing::error!(error = %e, "cannot record the crisis brake the alert pulled");
                }
            }
        }
        entries
    }
}

/// A reply the guardrails should learn of (`approved`) or forget (`withdrawn`) could not be
/// read: they catch up at the next start, which reads the store.
fn reply_unread(platform: &str, external_id: &str, e: &dyn std::fmt::Display, what: &str) {
    tracing::error!(platform, external_id, error = %e, "cannot read a reply {what} for the guardrails; they catch up at the next start");
}
