//! What follows a group of recorded decisions, written in one transaction: the bot's outbox
//! actions, round-robin assignment, the sources' checkpoints and the webhook deliveries done.
//! One commit (one fsync on SQLite) per group instead of one per action.

use super::Workspace;
use super::outbox::{NewAction, enqueue};
use super::{assignment, connectors};
use crate::StoreError;

/// Where a source resumes once its batch is recorded.
#[derive(Debug, Clone, Copy)]
pub struct Checkpoint<'a> {
    pub source: &'a str,
    pub platform: &'a str,
    pub cursor: &'a str,
}

/// The follow-ups of one group of recorded decisions.
#[derive(Debug, Default)]
pub struct Followups<'a> {
    /// Written unless their key is there already (a decision recorded twice acts once).
    pub actions: Vec<NewAction<'a>>,
    /// (conversation, queue) to give to an agent, in order.
    pub assign: Vec<(&'a str, &'a str)>,
    pub checkpoints: Vec<Checkpoint<'a>>,
    /// Webhook deliveries that went through the pipeline.
    pub webhooks_done: Vec<i64>,
}

/// What the follow-ups did.
#[derive(Debug, Default, PartialEq)]
pub struct FollowedUp {
    /// Outbox actions written now (not there before).
    pub enqueued: usize,
    /// Who got each conversation of `assign`, in order.
    pub assigned: Vec<Option<String>>,
}

impl Workspace {
    /// Writes `followups` in one transaction: all of them or, on an error, none.
    pub fn record_followups(&mut self, followups: &Followups) -> Result<FollowedUp, StoreError> {
        self.conn.transaction(|c| {
            let mut enqueued = 0;
            for action in &followups.actions {
                if enqueue(c, action)?.1 {
                    enqueued += 1;
                }
            }
            let assigned = assignment::assign_all(c, &followups.assign)?;
            for cp in &followups.checkpoints {
                connectors::save_checkpoint(c, cp.source, cp.platform, cp.cursor)?;
            }
            for id in &followups.webhooks_done {
                connectors::finish_webhook(c, *id, None)?;
            }
            Ok(FollowedUp { enqueued, assigned })
        })
    }
}
