//! The outbox: every outgoing action (reply, direct message, hide, unhide, delete, post) is
//! written here before it is sent, with an idempotency key derived from its cause, and moves
//! `pending → sending → sent`, back to `pending` with a later attempt time on a retryable
//! failure, or to `dead` with its error. Human actions go before the bot's (priority 0 first).

use super::db::{Conn, Row};
use super::{Workspace, audit, now_ms};
use crate::StoreError;

/// How long a sender's claim on an action lasts: longer than any delivery takes (the platform
/// clients time out within a minute), so that only a stopped sender's actions are taken again.
pub const SENDING_CLAIM_MS: i64 = 5 * 60 * 1000;

/// Where an action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    Pending,
    /// Handed to the platform; after a crash it is sent again with the same key.
    Sending,
    Sent,
    /// Gave up after its attempts, or refused for good; shown in the inbox with its error.
    Dead,
    /// Not sent on purpose: it waited past its campaign's `stale_after` (a draft, or dropped;
    /// `last_error` says which and why). Never retried.
    Withdrawn,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sending => "sending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Dead => "dead",
            OutboxStatus::Withdrawn => "withdrawn",
        }
    }

    fn parse(raw: &str) -> Result<Self, StoreError> {
        Ok(match raw {
            "pending" => OutboxStatus::Pending,
            "sending" => OutboxStatus::Sending,
            "sent" => OutboxStatus::Sent,
            "dead" => OutboxStatus::Dead,
            "withdrawn" => OutboxStatus::Withdrawn,
            other => return Err(StoreError::Corrupt(format!("outbox status `{other}`"))),
        })
    }
}

/// An action to send.
#[derive(Debug, Clone)]
pub struct NewAction<'a> {
    /// Derived from the cause: `bot:EVENT_ID`, `draft:EVENT_ID`, `human:…`. The same key is
    /// never sent twice.
    pub idem_key: &'a str,
    /// `reply`, `direct`, `hide`, `unhide`, `delete`, `post`.
    pub action: &'a str,
    pub platform: &'a str,
    pub conversation_id: Option<&'a str>,
    /// The platform id of the message answered, hidden or deleted.
    pub target_id: Option<&'a str>,
    pub text: Option<&'a str>,
    /// `bot` or `human`.
    pub origin: &'a str,
    /// Who caused it: a user name, or `palabre`.
    pub actor: &'a str,
    /// 0 for humans, 1 for the bot: humans go first.
    pub priority: i64,
    pub campaign: Option<&'a str>,
    /// The choices a question offers, one per line, sent as quick replies where the platform
    /// has them.
    pub choices: Option<&'a str>,
    /// The brand's channel (`PLATFORM:ID`) it goes out through when it answers no
    /// conversation (a scheduled post); otherwise the conversation's.
    pub channel: Option<&'a str>,
}

/// Actions waiting to be sent on one platform, from one origin (`bot` or `human`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Waiting {
    pub platform: String,
    pub origin: String,
    pub count: i64,
    /// When the oldest of them was queued (Unix ms).
    pub oldest_ms: i64,
    /// When the next of them is due (Unix ms): a rate limit's reset, a retry's backoff.
    pub next_due_ms: i64,
}

/// An action as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxItem {
    pub id: i64,
    pub idem_key: String,
    pub action: String,
    pub platform: String,
    pub conversation_id: Option<String>,
    pub target_id: Option<String>,
    pub text: Option<String>,
    pub origin: String,
    pub actor: String,
    pub priority: i64,
    pub status: OutboxStatus,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
    pub remote_id: Option<String>,
    pub campaign: Option<String>,
    pub created_ms: i64,
    pub sent_ms: Option<i64>,
    /// The choices a question offers, one per line.
    pub choices: Option<String>,
    /// The brand's channel it goes out through, when it answers no conversation (a post).
    pub channel: Option<String>,
}

impl OutboxItem {
    /// The choices the text offers, in order (none for most actions).
    pub fn choices(&self) -> Vec<&str> {
        self.choices
            .as_deref()
            .map(|c| c.lines().filter(|l| !l.is_empty()).collect())
            .unwrap_or_default()
    }
}

/// Actions that may go out now: a person's always; the bot's and the scheduled posts' only
/// while the crisis brake does not hold their channel — the row's own (a post), else its
/// conversation's; unknown, any channel of the platform (`Brake::holds`, in SQL). Held ones
/// stay pending, and go when it is released, unless stale by then; a post not yet tried is
/// taken back by the brake (`posts.rs`).
const SENDABLE: &str = "(origin = 'human' OR NOT EXISTS (SELECT 1 FROM brake b WHERE b.engaged = 1
    AND (b.channels IS NULL OR (',' || b.channels || ',') LIKE ('%,' || COALESCE(outbox.channel,
        (SELECT c.channel FROM conversations c WHERE c.id = outbox.conversation_id),
        outbox.platform || ':%') || ',%'))))";

const COLUMNS: &str =
    "id, idem_key, action, platform, conversation_id, target_id, text, origin, actor, priority,
    status, attempts, next_attempt_ms, last_error, remote_id, campaign, created_ms, sent_ms, choices, channel";

fn item(r: &Row) -> Result<OutboxItem, StoreError> {
    Ok(OutboxItem {
        id: r.int(0)?,
        idem_key: r.text(1)?,
        action: r.text(2)?,
        platform: r.text(3)?,
        conversation_id: r.opt_text(4)?,
        target_id: r.opt_text(5)?,
        text: r.opt_text(6)?,
        origin: r.text(7)?,
        actor: r.text(8)?,
        priority: r.int(9)?,
        status: OutboxStatus::parse(&r.text(10)?)?,
        attempts: r.int(11)?,
        next_attempt_ms: r.int(12)?,
        last_error: r.opt_text(13)?,
        remote_id: r.opt_text(14)?,
        campaign: r.opt_text(15)?,
        created_ms: r.int(16)?,
        sent_ms: r.opt_int(17)?,
        choices: r.opt_text(18)?,
        channel: r.opt_text(19)?,
    })
}

/// Writes an action unless its key is already there; `(id, created)`.
pub(crate) fn enqueue(conn: &mut Conn, a: &NewAction<'_>) -> Result<(i64, bool), StoreError> {
    let now = now_ms();
    let inserted = conn.one(
        "INSERT INTO outbox (idem_key, action, platform, conversation_id, target_id, text, origin, actor, priority,
                             status, next_attempt_ms, campaign, created_ms, choices, channel)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11, $12, $13, $14)
         ON CONFLICT (idem_key) DO NOTHING RETURNING id",
        &[
            a.idem_key.into(),
            a.action.into(),
            a.platform.into(),
            a.conversation_id.into(),
            a.target_id.into(),
            a.text.into(),
            a.origin.into(),
            a.actor.into(),
            a.priority.into(),
            now.into(),
            a.campaign.into(),
            now.into(),
            a.choices.into(),
            a.channel.into(),
        ],
    )?;
    if let Some(r) = inserted {
        return Ok((r.int(0)?, true));
    }
    let existing = conn
        .one(
            "SELECT id FROM outbox WHERE idem_key = $1",
            &[a.idem_key.into()],
        )?
        .ok_or_else(|| StoreError::Corrupt(format!("outbox key `{}` vanished", a.idem_key)))?;
    Ok((existing.int(0)?, false))
}

impl Workspace {
    /// Writes an action to send unless its key is already there; `(id, created)`.
    pub fn enqueue(&mut self, action: &NewAction<'_>) -> Result<(i64, bool), StoreError> {
        self.conn.transaction(|c| enqueue(c, action))
    }

    /// Takes up to `limit` due actions for `node`, humans' first, and marks them `sending`
    /// (one more attempt each) until `now` + [`SENDING_CLAIM_MS`]. Several senders may run:
    /// each action is taken by one.
    pub fn claim_due(
        &mut self,
        node: &str,
        now: i64,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        self.conn.transaction(|c| {
            let sql = format!(
                "SELECT {COLUMNS} FROM outbox WHERE status = 'pending' AND next_attempt_ms <= $1
                 AND {SENDABLE} ORDER BY priority, id LIMIT {}",
                limit.clamp(1, 1000)
            );
            let found = c
                .query(&sql, &[now.into()])?
                .iter()
                .map(item)
                .collect::<Result<Vec<_>, _>>()?;
            // Another sender may have taken some between the SELECT and the UPDATE (PostgreSQL
            // reads without waiting): only the rows this UPDATE moved are ours.
            let mut items = Vec::with_capacity(found.len());
            for mut it in found {
                let taken = c.exec(
                    "UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_by = $1,
                         next_attempt_ms = $2
                     WHERE id = $3 AND status = 'pending'",
                    &[node.into(), (now + SENDING_CLAIM_MS).into(), it.id.into()],
                )?;
                if taken == 1 {
                    it.status = OutboxStatus::Sending;
                    it.attempts += 1;
                    items.push(it);
                }
            }
            Ok(items)
        })
    }

    /// At a sender's start: what `node` itself was sending when it stopped goes back to
    /// `pending`, to be sent again with the same idempotency key (and what no node claimed, from
    /// before claims were recorded). What other nodes are sending is theirs. Returns how many.
    pub fn recover_sending(&mut self, node: &str) -> Result<u64, StoreError> {
        self.conn.exec(
            "UPDATE outbox SET status = 'pending', next_attempt_ms = $1
             WHERE status = 'sending' AND (claimed_by = $2 OR claimed_by IS NULL)",
            &[now_ms().into(), node.into()],
        )
    }

    /// Actions whose claim ran out at `now` (their sender stopped and did not come back) go
    /// back to `pending` for any sender. Returns how many.
    pub fn reclaim_expired(&mut self, now: i64) -> Result<u64, StoreError> {
        self.conn.exec(
            "UPDATE outbox SET status = 'pending'
             WHERE status = 'sending' AND next_attempt_ms <= $1",
            &[now.into()],
        )
    }

    /// The platform took it.
    pub fn mark_sent(&mut self, id: i64, remote_id: Option<&str>) -> Result<(), StoreError> {
        self.record_sends(&[(id, SendResult::Sent { remote_id })])
    }

    /// A failure worth another try at `next_attempt_ms`.
    pub fn mark_retry(
        &mut self,
        id: i64,
        error: &str,
        next_attempt_ms: i64,
    ) -> Result<(), StoreError> {
        self.record_sends(&[(
            id,
            SendResult::Retry {
                error,
                at_ms: next_attempt_ms,
            },
        )])
    }

    /// Given up: kept with its error among the dead letters.
    pub fn mark_dead(&mut self, id: i64, error: &str) -> Result<(), StoreError> {
        self.record_sends(&[(id, SendResult::Dead { error })])
    }

    /// What happened to several claimed actions, written in one transaction (a sender's
    /// round): one commit for all of them rather than one each.
    pub fn record_sends(&mut self, results: &[(i64, SendResult<'_>)]) -> Result<(), StoreError> {
        if results.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        self.conn.transaction(|c| {
            for (id, result) in results {
                record_send(c, *id, result, now)?;
            }
            Ok(())
        })
    }

    /// A dead letter goes back to the queue (a person fixed the cause).
    pub fn retry_dead(&mut self, id: i64, actor: &str) -> Result<bool, StoreError> {
        self.conn.transaction(|c| {
            let n = c.exec(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_ms = $1 WHERE id = $2 AND status = 'dead'",
                &[now_ms().into(), id.into()],
            )?;
            let target = format!("outbox:{id}");
            audit(c, actor, "outbox_retried", Some(&target), None)?;
            Ok(n > 0)
        })
    }

    pub fn outbox_item(&mut self, id: i64) -> Result<Option<OutboxItem>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE id = $1");
        self.conn
            .one(&sql, &[id.into()])?
            .map(|r| item(&r))
            .transpose()
    }

    /// The actions of one conversation, oldest first.
    pub fn outbox_of(&mut self, conversation: &str) -> Result<Vec<OutboxItem>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE conversation_id = $1 ORDER BY id");
        self.conn
            .query(&sql, &[conversation.into()])?
            .iter()
            .map(item)
            .collect()
    }

    /// The newest actions with this status.
    pub fn outbox_with(
        &mut self,
        status: OutboxStatus,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox WHERE status = $1 ORDER BY id DESC LIMIT {}",
            limit.clamp(1, 1000)
        );
        self.conn
            .query(&sql, &[status.as_str().into()])?
            .iter()
            .map(item)
            .collect()
    }

    /// How long each action of `origin` (`bot`, `human`) sent since `since_ms` waited, from
    /// queued to sent (ms), in the order they were sent.
    pub fn send_delays(&mut self, origin: &str, since_ms: i64) -> Result<Vec<i64>, StoreError> {
        self.conn
            .query(
                "SELECT sent_ms - created_ms FROM outbox
                 WHERE origin = $1 AND status = 'sent' AND sent_ms >= $2 ORDER BY sent_ms",
                &[origin.into(), since_ms.into()],
            )?
            .iter()
            .map(|r| r.int(0))
            .collect()
    }

    /// How many actions have this status.
    pub fn outbox_count(&mut self, status: OutboxStatus) -> Result<i64, StoreError> {
        self.conn
            .one(
                "SELECT COUNT(*) FROM outbox WHERE status = $1",
                &[status.as_str().into()],
            )?
            .map_or(Ok(0), |r| r.int(0))
    }

    /// A bot's answer that waited too long is not sent: the row is `withdrawn` with `why`, and
    /// with `to_draft` the message it answered becomes a draft (reason `rate_limited`) in its
    /// conversation, open again for a person. Only an answer still being sent is withdrawn;
    /// whether it was.
    pub fn withdraw(&mut self, id: i64, why: &str, to_draft: bool) -> Result<bool, StoreError> {
        self.conn.transaction(|c| {
            let taken = c.exec(
                "UPDATE outbox SET status = 'withdrawn', last_error = $1
                 WHERE id = $2 AND status = 'sending' AND origin = 'bot'",
                &[why.into(), id.into()],
            )?;
            if taken == 0 || !to_draft {
                return Ok(taken == 1);
            }
            let drafted = c.exec(
                "UPDATE messages SET outcome = 'drafted',
                     reasons = CASE WHEN reasons = '' THEN 'rate_limited' ELSE reasons || ',rate_limited' END
                 WHERE outcome = 'bot_replied' AND reply IS NOT NULL
                   AND (platform, external_id) IN (SELECT platform, target_id FROM outbox WHERE id = $1)",
                &[id.into()],
            )?;
            if drafted == 1 {
                c.exec(
                    "UPDATE conversations SET drafts = drafts + 1, inbox = 1, status = 'open',
                         snoozed_until_ms = NULL
                     WHERE id = (SELECT conversation_id FROM outbox WHERE id = $1)",
                    &[id.into()],
                )?;
            }
            Ok(true)
        })
    }

    /// What waits to be sent (pending or being sent), by platform and origin: how many, since
    /// when (the oldest's queueing), and when the next is due.
    pub fn outbox_waiting(&mut self) -> Result<Vec<Waiting>, StoreError> {
        self.conn
            .query(
                "SELECT platform, origin, COUNT(*), MIN(created_ms), MIN(next_attempt_ms)
                 FROM outbox WHERE status IN ('pending', 'sending')
                 GROUP BY platform, origin ORDER BY platform, origin",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(Waiting {
                    platform: r.text(0)?,
                    origin: r.text(1)?,
                    count: r.int(2)?,
                    oldest_ms: r.int(3)?,
                    next_due_ms: r.int(4)?,
                })
            })
            .collect()
    }

    /// When the next pending action is due, if any.
    pub fn next_due_ms(&mut self) -> Result<Option<i64>, StoreError> {
        self.conn
            .one(
                &format!("SELECT MIN(next_attempt_ms) FROM outbox WHERE status = 'pending' AND {SENDABLE}"),
                &[],
            )?
            .map(|r| r.opt_int(0))
            .transpose()
            .map(Option::flatten)
    }
}

/// What a connector needs to know about the message an action answers: who wrote it (the
/// recipient of a direct message), its raw payload (a Bluesky CID, a Messenger PSID), the
/// conversation's root and the author's last message time (messaging windows).
#[derive(Debug, Clone, PartialEq)]
pub struct SendContext {
    pub author_id: String,
    pub kind: String,
    pub raw: String,
    pub root_id: Option<String>,
    pub last_inbound_ms: Option<i64>,
    /// The brand's channel the conversation was addressed to: the account that answers.
    pub channel: Option<String>,
}

impl Workspace {
    /// The context of the message `external_id` on `platform`, if it is stored.
    pub fn send_context(
        &mut self,
        platform: &str,
        external_id: &str,
    ) -> Result<Option<SendContext>, StoreError> {
        self.conn
            .one(
                "SELECT m.author_id, m.kind, m.raw, c.root_id, c.last_inbound_ms, c.channel
                 FROM messages m JOIN conversations c ON c.id = m.conversation_id
                 WHERE m.platform = $1 AND m.external_id = $2",
                &[platform.into(), external_id.into()],
            )?
            .map(|r| {
                Ok(SendContext {
                    author_id: r.text(0)?,
                    kind: r.text(1)?,
                    raw: r.text(2)?,
                    root_id: r.opt_text(3)?,
                    last_inbound_ms: r.opt_int(4)?,
                    channel: r.opt_text(5)?,
                })
            })
            .transpose()
    }

    /// The brand's channel a conversation was addressed to, if it is known.
    pub fn conversation_channel(&mut self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .one(
                "SELECT channel FROM conversations WHERE id = $1",
                &[id.into()],
            )?
            .map(|r| r.opt_text(0))
            .transpose()?
            .flatten())
    }

    /// Gives `channel` to the conversations of `platform` stored before conversations kept
    /// their channel (when the platform has a single channel, they can only be its); how many.
    pub fn fill_unknown_channel(
        &mut self,
        platform: &str,
        channel: &str,
    ) -> Result<u64, StoreError> {
        self.conn.exec(
            "UPDATE conversations SET channel = $1 WHERE channel IS NULL AND inbox = 1 AND platform = $2",
            &[channel.into(), platform.into()],
        )
    }

    /// Not sent yet because the account's rate limit is used up: back to `pending` until
    /// `at_ms`, without counting an attempt (nothing was tried).
    pub fn mark_deferred(&mut self, id: i64, at_ms: i64, why: &str) -> Result<(), StoreError> {
        self.record_sends(&[(id, SendResult::Deferred { why, at_ms })])
    }
}

/// What a sender learnt of one claimed action.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SendResult<'a> {
    /// The platform took it.
    Sent { remote_id: Option<&'a str> },
    /// A failure worth another try at `at_ms`.
    Retry { error: &'a str, at_ms: i64 },
    /// Not sent because the account's rate limit is used up: back to `pending` until
    /// `at_ms`, without counting an attempt (nothing was tried).
    Deferred { why: &'a str, at_ms: i64 },
    /// Given up: kept with its error among the dead letters.
    Dead { error: &'a str },
}

fn record_send(c: &mut Conn, id: i64, result: &SendResult, now: i64) -> Result<(), StoreError> {
    match *result {
        SendResult::Sent { remote_id } => {
            c.exec(
                "UPDATE outbox SET status = 'sent', remote_id = $1, sent_ms = $2, last_error = NULL WHERE id = $3",
                &[remote_id.into(), now.into(), id.into()],
            )?;
            c.exec(
                "UPDATE conversations SET last_outbound_ms = $1,
                    first_outbound_ms = COALESCE(first_outbound_ms, $2)
                 WHERE id = (SELECT conversation_id FROM outbox WHERE id = $3)",
                &[now.into(), now.into(), id.into()],
            )?;
            super::posts::published(c, id, remote_id, now)?;
        }
        SendResult::Retry { error, at_ms } => {
            c.exec(
                "UPDATE outbox SET status = 'pending', last_error = $1, next_attempt_ms = $2 WHERE id = $3",
                &[error.into(), at_ms.into(), id.into()],
            )?;
        }
        SendResult::Deferred { why, at_ms } => {
            c.exec(
                "UPDATE outbox SET status = 'pending', attempts = attempts - 1, next_attempt_ms = $1,
                    last_error = $2 WHERE id = $3 AND attempts > 0",
                &[at_ms.into(), why.into(), id.into()],
            )?;
        }
        SendResult::Dead { error } => {
            c.exec(
                "UPDATE outbox SET status = 'dead', last_error = $1 WHERE id = $2",
                &[error.into(), id.into()],
            )?;
            let target = format!("outbox:{id}");
            audit(c, "palabre", "outbox_dead", Some(&target), Some(error))?;
            super::posts::failed(c, id, error, now)?;
        }
    }
    Ok(())
}
