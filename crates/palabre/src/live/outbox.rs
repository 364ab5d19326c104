//! The outbox sender: takes due actions (humans' first), hands each to the platform with its
//! idempotency key, and records what happened: sent; retried later with backoff on a 5xx or a
//! timeout, or at the platform's reset on a 429; dead, with its error, after its attempts or on
//! a refusal no retry can fix. An action being sent when the process stops is sent again with
//! the same key at start (`recover_sending`, only what this node was sending: another process
//! sharing the store may be sending its own), and the platform's idempotency makes that safe;
//! what a node that never came back was sending is taken again when its claim runs out
//! (`reclaim_expired`, each round).

use palabre_campaigns::{Stale, WhenStale};
use palabre_store::Workspace;
use palabre_store::workspace::{OutboxItem, Scope, SendResult};
use palabre_web::{Live, LiveEvent};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    /// Worth another try: a 5xx, a timeout, a 429 (with the platform's reset, in Unix ms).
    Retry { error: String, at_ms: Option<i64> },
    /// No retry will fix it (a 4xx, no connector for the platform).
    Fatal(String),
    /// Not tried: the account's rate limit is used up until then. Not an attempt.
    NotBefore { at_ms: i64 },
    /// The platform said to slow down and did nothing (a 429): waits for its reset, or two
    /// seconds when it gave none (the account's gate then holds the others). Not an attempt:
    /// a platform refusing for ten minutes does not kill what waits for it.
    Limited { error: String, at_ms: Option<i64> },
    /// The token is expired or revoked: kept waiting (not an attempt) until a person renews
    /// it, tried again every 10 minutes; the account shows as failing in the inbox.
    Auth(String),
}

/// A platform's sending side.
pub trait Deliver: Send + Sync {
    /// Sends one action; the platform's id of what it created, if it gives one.
    fn deliver(&self, item: &OutboxItem) -> Result<Option<String>, DeliveryError>;
}

/// For a server with no connector yet: every action is refused with a clear error, kept in
/// the dead letters rather than lost.
pub struct NoConnector;

impl Deliver for NoConnector {
    fn deliver(&self, item: &OutboxItem) -> Result<Option<String>, DeliveryError> {
        Err(DeliveryError::Fatal(format!(
            "no connector is configured to send to {} (see docs/connectors.md); retry this action once one is",
            item.platform
        )))
    }
}

/// The delay before attempt `n + 1`: 2, 4, 8 … seconds, at most 5 minutes, with ±20% jitter
/// so that many failed actions do not come back at the same instant.
pub fn backoff_ms(attempts: i64) -> i64 {
    let base = 1000i64 << attempts.clamp(1, 9);
    let capped = base.min(300_000);
    let jitter = (fastrand::f64() * 0.4 - 0.2) * capped as f64;
    capped + jitter as i64
}

/// A platform's reset, unless it is in the past (clock skew) or absurdly far: then the caller
/// falls back to backoff.
fn sane_reset(at_ms: Option<i64>, now: i64) -> Option<i64> {
    at_ms.filter(|at| *at > now && *at < now + 3_600_000)
}

/// The longest the sender sleeps without looking at the store again (ms).
const IDLE_LOOK_MS: i64 = 2_000;

/// How the sender works.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Attempts before an action goes to the dead letters (`[server] outbox_attempts`).
    pub max_attempts: u32,
    /// This process's name in the outbox's claims (`[server] node`).
    pub node: String,
    /// The bot's answers per minute, per channel and in all (`[guardrails]`; 0: no pace).
    pub pace: crate::config::Pace,
    /// Campaign id → how long its answers may wait, and what they become after.
    pub stale: HashMap<String, Stale>,
    /// Where the platforms fetch a post's images (`[publishing] media_url`).
    pub media_url: Option<String>,
}

pub struct Sender {
    ws: Workspace,
    /// This process's name in the outbox's claims (`[server] node`).
    node: String,
    deliver: Arc<dyn Deliver>,
    live: Live,
    max_attempts: i64,
    stale: HashMap<String, Stale>,
    /// The ingest thread, told of the answers withdrawn (its guardrails forget them).
    ingest: Option<std::sync::mpsc::Sender<super::Command>>,
    /// The crisis alert under way: scheduled posts due while it lasts are held.
    crisis: Option<Arc<super::CrisisBoard>>,
}

impl Sender {
    pub fn open(
        location: &str,
        deliver: Arc<dyn Deliver>,
        live: Live,
        settings: &Settings,
    ) -> anyhow::Result<Sender> {
        let mut ws = Workspace::open(location)?;
        let recovered = ws.recover_sending(&settings.node)?;
        if recovered > 0 {
            tracing::warn!(
                recovered,
                "actions were being sent when Palabre stopped: sending them again with the same idempotency keys"
            );
        }
        Ok(Sender {
            ws,
            node: settings.node.clone(),
            deliver,
            live,
            max_attempts: i64::from(settings.max_attempts.max(1)),
            stale: settings.stale.clone(),
            ingest: None,
            crisis: None,
        })
    }

    /// Holds the scheduled posts that fall due while `crisis` shows an alert.
    pub fn watching(mut self, crisis: Arc<super::CrisisBoard>) -> Sender {
        self.crisis = Some(crisis);
        self
    }

    /// Hands the scheduled posts now due to the outbox, or holds them (the brake is on, a
    /// crisis alert is under way), in one transaction; says what it did.
    fn publish_due(&mut self, now: i64) -> anyhow::Result<()> {
        let alert = self.crisis.as_ref().is_some_and(|c| c.alert().is_some());
        let hold = alert.then_some(palabre_store::workspace::HoldReason::CrisisSuspected);
        for post in self.ws.publish_due(now, hold)? {
            match post.status {
                palabre_store::workspace::PostStatus::Held => tracing::warn!(
                    post = %post.id,
                    channel = %post.channel,
                    why = post.note.as_deref().unwrap_or(""),
                    "a scheduled post fell due and is held: a person releases it (docs/publishing.md)"
                ),
                _ => {
                    tracing::info!(post = %post.id, channel = %post.channel, "a scheduled post is due: publishing it")
                }
            }
        }
        Ok(())
    }

    /// Tells `ingest` of each answer withdrawn before it was sent.
    pub fn telling(mut self, ingest: std::sync::mpsc::Sender<super::Command>) -> Sender {
        self.ingest = Some(ingest);
        self
    }

    /// Sends until the wake channel closes. Waits on the channel (never spins): until woken,
    /// or until the next retry is due.
    pub fn run(mut self, wake: Receiver<()>) {
        loop {
            let wait = match self.round() {
                Ok(true) => Duration::ZERO,
                Ok(false) => self.until_next_due(),
                Err(e) => {
                    tracing::error!(error = %e, "outbox round failed; retrying in 5 s");
                    Duration::from_secs(5)
                }
            };
            if wait.is_zero() {
                continue;
            }
            match wake.recv_timeout(wait) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => while wake.try_recv().is_ok() {},
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn until_next_due(&mut self) -> Duration {
        let now = jiff::Timestamp::now().as_millisecond();
        let action = self.ws.next_due_ms().ok().flatten();
        let post = self.ws.next_post_due_ms().ok().flatten();
        // At most two seconds: what another process wrote (a post released or scheduled from
        // the command line, another node's actions) is seen within them, as the brake is.
        match action.into_iter().chain(post).min() {
            Some(due) => Duration::from_millis((due - now).clamp(10, IDLE_LOOK_MS) as u64),
            None => Duration::from_millis(IDLE_LOOK_MS as u64),
        }
    }

    /// One batch; whether it did anything (then look again at once).
    fn round(&mut self) -> anyhow::Result<bool> {
        let now = jiff::Timestamp::now().as_millisecond();
        let reclaimed = self.ws.reclaim_expired(now)?;
        if reclaimed > 0 {
            tracing::warn!(
                reclaimed,
                "actions claimed by a sender that stopped are sent again with the same keys"
            );
        }
        self.publish_due(now)?;
        let items = self.ws.claim_due(&self.node, now, CLAIMED_AT_ONCE)?;
        let mut statuses = Vec::with_capacity(items.len());
        let mut delivered = Vec::with_capacity(items.len());
        for item in &items {
            match self.withdraw_if_stale(item, now)? {
                Some(status) => statuses.push((item, status)),
                None => {
                    let outcome = self.send(item);
                    statuses.push((item, outcome.status()));
                    delivered.push((item.id, outcome));
                }
            }
        }
        // One commit for the round. A crash before it leaves these actions claimed: they are
        // claimed again when the claim expires and sent with `resend`, which makes the
        // platform's sender look for what was already posted.
        let results: Vec<_> = delivered.iter().map(|(id, o)| (*id, o.result())).collect();
        self.ws.record_sends(&results)?;
        for (item, status) in statuses {
            self.live.publish(LiveEvent::Outbox {
                id: item.id,
                status: status.into(),
            });
            if let Some(c) = &item.conversation_id {
                // Its row says who may hear of it.
                if let Some(row) = self.ws.conversation_row(c, &Scope::All)? {
                    self.live.publish(LiveEvent::changed(&row));
                }
            }
        }
        Ok(!items.is_empty())
    }

    /// A bot's answer that waited past its campaign's `stale_after` is not sent: it becomes a
    /// draft or is dropped, with why. None: not stale.
    fn withdraw_if_stale(
        &mut self,
        item: &OutboxItem,
        now: i64,
    ) -> anyhow::Result<Option<&'static str>> {
        let Some(stale) = item
            .campaign
            .as_ref()
            .filter(|_| item.origin == "bot")
            .and_then(|c| self.stale.get(c))
        else {
            return Ok(None);
        };
        let waited_ms = now - item.created_ms;
        if waited_ms <= stale.after.as_millis() as i64 {
            return Ok(None);
        }
        let what = match stale.then {
            WhenStale::Draft => "turned into a draft for a person",
            WhenStale::Drop => "dropped",
        };
        let span = |secs: u64| match secs {
            0..120 => format!("{secs} s"),
            _ => format!("{} min", secs / 60),
        };
        let why = format!(
            "waited {} to be sent (the platform's rate limit or the brand's pace), past the campaign's stale_after of {}: {what}",
            span(waited_ms.max(0) as u64 / 1000),
            span(stale.after.as_secs())
        );
        let withdrawn = self
            .ws
            .withdraw(item.id, &why, stale.then == WhenStale::Draft)?;
        if let (true, Some(ingest), Some(target)) =
            (withdrawn, &self.ingest, item.target_id.as_ref())
        {
            let _ = ingest.send(super::Command::Withdrawn(
                item.platform.clone(),
                target.clone(),
            ));
        }
        tracing::warn!(
            id = item.id,
            campaign = item.campaign.as_deref().unwrap_or(""),
            when_stale = stale.then.as_str(),
            "{why}"
        );
        Ok(Some("withdrawn"))
    }

    /// Hands one action to its platform: what to record of it.
    fn send(&mut self, item: &OutboxItem) -> Delivered {
        match self.deliver.deliver(item) {
            Ok(remote) => {
                tracing::info!(id = item.id, action = %item.action, platform = %item.platform, "sent");
                Delivered::Sent(remote)
            }
            Err(DeliveryError::Retry { error, at_ms }) if item.attempts < self.max_attempts => {
                let now = jiff::Timestamp::now().as_millisecond();
                let at = sane_reset(at_ms, now).unwrap_or_else(|| now + backoff_ms(item.attempts));
                tracing::warn!(id = item.id, attempts = item.attempts, error = %error, retry_in_ms = at - now, "send failed; will retry");
                Delivered::Retry(error, at)
            }
            Err(DeliveryError::Limited { error, at_ms }) => {
                let now = jiff::Timestamp::now().as_millisecond();
                let at = sane_reset(at_ms, now).unwrap_or_else(|| now + backoff_ms(1));
                tracing::warn!(id = item.id, error = %error, retry_in_ms = at - now, "the platform asks to slow down; waiting (not an attempt)");
                Delivered::Deferred(error, at)
            }
            Err(DeliveryError::NotBefore { at_ms }) => {
                Delivered::Deferred("waiting for the account's rate limit".into(), at_ms)
            }
            Err(DeliveryError::Auth(error)) => {
                tracing::error!(id = item.id, error = %error, "the platform refused the token; the action waits until it is renewed");
                let at = jiff::Timestamp::now().as_millisecond() + 600_000;
                Delivered::Deferred(error, at)
            }
            Err(DeliveryError::Retry { error, .. }) | Err(DeliveryError::Fatal(error)) => {
                tracing::error!(id = item.id, attempts = item.attempts, error = %error, "send failed for good: dead letter");
                Delivered::Dead(error)
            }
        }
    }
}

/// Actions claimed in one round (and recorded in one commit).
const CLAIMED_AT_ONCE: usize = 64;

/// What one delivery came to, before it is recorded with its round.
enum Delivered {
    Sent(Option<String>),
    Retry(String, i64),
    Deferred(String, i64),
    Dead(String),
}

impl Delivered {
    fn result(&self) -> SendResult<'_> {
        match self {
            Delivered::Sent(remote) => SendResult::Sent {
                remote_id: remote.as_deref(),
            },
            Delivered::Retry(error, at_ms) => SendResult::Retry {
                error,
                at_ms: *at_ms,
            },
            Delivered::Deferred(why, at_ms) => SendResult::Deferred { why, at_ms: *at_ms },
            Delivered::Dead(error) => SendResult::Dead { error },
        }
    }

    /// The status the action has now, for the live events.
    fn status(&self) -> &'static str {
        match self {
            Delivered::Sent(_) => "sent",
            Delivered::Retry(..) | Delivered::Deferred(..) => "pending",
            Delivered::Dead(_) => "dead",
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::live::sandbox::{Failure, Sandbox};
    use palabre_store::workspace::{NewAction, OutboxStatus};

    fn action(key: &str, origin: &str, priority: i64) -> NewAction<'static> {
        let key: &'static str = Box::leak(key.to_owned().into_boxed_str());
        let origin: &'static str = Box::leak(origin.to_owned().into_boxed_str());
        NewAction {
            idem_key: key,
            action: "reply",
            platform: "x",
            conversation_id: None,
            target_id: Some("1"),
            text: Some(key),
            origin,
            actor: "test",
            priority,
            campaign: None,
            choices: None,
            channel: None,
        }
    }

    fn setup(max_attempts: u32) -> (tempfile::TempDir, String, Arc<Sandbox>, Sender) {
        let dir = tempfile::tempdir().unwrap();
        let location = dir.path().join("p.db").display().to_string();
        let sandbox = Arc::new(Sandbox::new());
        let sender = Sender::open(
            &location,
            sandbox.clone(),
            Live::new(),
            &settings(max_attempts),
        )
        .unwrap();
        (dir, location, sandbox, sender)
    }

    fn status(ws: &mut Workspace, id: i64) -> OutboxItem {
        ws.outbox_item(id).unwrap().unwrap()
    }

    #[test]
    fn humans_go_first_and_failures_retry_then_die() {
        let (_dir, location, sandbox, mut sender) = setup(3);
        let mut ws = Workspace::open(&location).unwrap();
        let (bot, _) = ws.enqueue(&action("bot:1", "bot", 1)).unwrap();
        let (human, _) = ws.enqueue(&action("human:1", "human", 0)).unwrap();
        assert!(sender.round().unwrap());
        let posts = sandbox.snapshot()["posts"].as_array().unwrap().clone();
        assert_eq!(
            posts[0]["idempotency_key"], "human:1",
            "the human's reply went first"
        );
        assert_eq!(status(&mut ws, bot).status, OutboxStatus::Sent);
        assert_eq!(status(&mut ws, human).status, OutboxStatus::Sent);

        // A 500 is retried later with backoff; a 429 waits for the platform's reset.
        let (a, _) = ws.enqueue(&action("bot:2", "bot", 1)).unwrap();
        sandbox.fail_next(&[Failure::ServerError]);
        let before = jiff::Timestamp::now().as_millisecond();
        sender.round().unwrap();
        let item = status(&mut ws, a);
        assert_eq!((item.status, item.attempts), (OutboxStatus::Pending, 1));
        assert!(
            item.next_attempt_ms >= before + 1500,
            "backoff, not a busy retry"
        );
        assert!(item.last_error.unwrap().contains("500"));
        assert!(!sender.round().unwrap(), "not due yet: nothing is taken");
        ws.mark_retry(a, "made due", 0).unwrap();
        sandbox.fail_next(&[Failure::RateLimited(30_000)]);
        sender.round().unwrap();
        let item = status(&mut ws, a);
        assert!(
            item.next_attempt_ms >= before + 29_000,
            "waits for the 429 reset"
        );
        assert_eq!(item.attempts, 1, "a 429 is not an attempt");
        for _ in 0..2 {
            ws.mark_retry(a, "made due", 0).unwrap();
            sandbox.fail_next(&[Failure::ServerError]);
            sender.round().unwrap();
        }
        let item = status(&mut ws, a);
        assert_eq!(
            (item.status, item.attempts),
            (OutboxStatus::Dead, 3),
            "dead after its attempts"
        );
        assert!(item.last_error.unwrap().contains("500"));
        // A person retries the dead letter: it goes out.
        ws.retry_dead(a, "alice").unwrap();
        sender.round().unwrap();
        assert_eq!(status(&mut ws, a).status, OutboxStatus::Sent);

        // A refusal no retry fixes is dead at once.
        let (b, _) = ws.enqueue(&action("bot:3", "bot", 1)).unwrap();
        sandbox.fail_next(&[Failure::Refused]);
        sender.round().unwrap();
        assert_eq!(status(&mut ws, b).status, OutboxStatus::Dead);
    }

    #[test]
    fn a_reset_in_the_past_is_replaced_by_backoff() {
        let (_dir, location, sandbox, mut sender) = setup(5);
        let mut ws = Workspace::open(&location).unwrap();
        let (a, _) = ws.enqueue(&action("bot:skew", "bot", 1)).unwrap();
        // The platform's clock is behind: its reset is already past.
        sandbox.fail_next(&[Failure::RateLimited(-60_000)]);
        let before = jiff::Timestamp::now().as_millisecond();
        sender.round().unwrap();
        let item = status(&mut ws, a);
        assert_eq!(item.status, OutboxStatus::Pending);
        assert!(
            item.next_attempt_ms >= before + 1500,
            "no hot loop on a stale reset"
        );
    }

    #[test]
    fn a_platform_refusing_for_a_long_time_kills_nothing() {
        // Forty 429s in a row, ten times the attempts allowed: the reply still waits, then goes.
        let (_dir, location, sandbox, mut sender) = setup(4);
        let mut ws = Workspace::open(&location).unwrap();
        let (a, _) = ws.enqueue(&action("bot:storm", "bot", 1)).unwrap();
        for _ in 0..40 {
            sandbox.fail_next(&[Failure::RateLimited(60_000)]);
            sender.round().unwrap();
            let item = status(&mut ws, a);
            assert_eq!((item.status, item.attempts), (OutboxStatus::Pending, 0));
            assert!(item.last_error.unwrap().contains("429"));
            ws.mark_retry(a, "made due", 0).unwrap();
        }
        sender.round().unwrap();
        assert_eq!(status(&mut ws, a).status, OutboxStatus::Sent);
        assert_eq!(sandbox.snapshot()["posts"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn the_bots_answers_past_the_pace_wait_oldest_first_and_people_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let location = dir.path().join("p.db").display().to_string();
        let sandbox = Arc::new(Sandbox::new());
        let router = crate::live::route::Router::new(
            &location,
            Default::default(),
            Default::default(),
            Some(sandbox.clone()),
            crate::live::route::Pace::new(crate::config::Pace {
                per_channel_per_minute: 10,
                global_per_minute: 0,
            }),
        )
        .unwrap();
        let mut sender =
            Sender::open(&location, Arc::new(router), Live::new(), &settings(2)).unwrap();
        let mut ws = Workspace::open(&location).unwrap();
        let bots: Vec<i64> = (0..25)
            .map(|i| {
                ws.enqueue(&action(&format!("bot:{i}"), "bot", 1))
                    .unwrap()
                    .0
            })
            .collect();
        let (human, _) = ws.enqueue(&action("human:1", "human", 0)).unwrap();
        let started = jiff::Timestamp::now().as_millisecond();
        while sender.round().unwrap() {}
        let keys = posted_keys(&sandbox);
        let mut expected = vec!["human:1".to_owned()];
        expected.extend((0..10).map(|i| format!("bot:{i}")));
        assert_eq!(
            keys, expected,
            "the person's reply, then the ten oldest answers"
        );
        assert_eq!(status(&mut ws, human).status, OutboxStatus::Sent);
        for id in &bots[10..] {
            let item = status(&mut ws, *id);
            assert_eq!(
                (item.status, item.attempts),
                (OutboxStatus::Pending, 0),
                "waits for the pace, not an attempt"
            );
            assert!(item.next_attempt_ms > started);
        }
    }

    #[test]
    fn an_answer_waiting_past_its_campaigns_stale_after_is_not_sent() {
        let dir = tempfile::tempdir().unwrap();
        let location = dir.path().join("p.db").display().to_string();
        let sandbox = Arc::new(Sandbox::new());
        let second = std::time::Duration::from_secs(1);
        let stale = HashMap::from([
            (
                "drop".to_owned(),
                Stale {
                    after: second,
                    then: WhenStale::Drop,
                },
            ),
            (
                "draft".to_owned(),
                Stale {
                    after: second,
                    then: WhenStale::Draft,
                },
            ),
        ]);
        let mut sender = Sender::open(
            &location,
            sandbox.clone(),
            Live::new(),
            &Settings {
                stale,
                ..settings(3)
            },
        )
        .unwrap();
        let (ingest, told) = std::sync::mpsc::channel();
        sender = sender.telling(ingest);
        let mut ws = Workspace::open(&location).unwrap();
        let with = |key: &str, origin: &str, campaign: Option<&'static str>| NewAction {
            campaign,
            ..action(key, origin, if origin == "bot" { 1 } else { 0 })
        };
        let (dropped, _) = ws
            .enqueue(&NewAction {
                target_id: Some("m1"),
                ..with("bot:1", "bot", Some("drop"))
            })
            .unwrap();
        let (drafted, _) = ws
            .enqueue(&NewAction {
                target_id: Some("m2"),
                ..with("bot:2", "bot", Some("draft"))
            })
            .unwrap();
        let (timeless, _) = ws.enqueue(&with("bot:3", "bot", None)).unwrap();
        let (person, _) = ws.enqueue(&with("human:1", "human", Some("drop"))).unwrap();
        std::thread::sleep(second + std::time::Duration::from_millis(100));
        while sender.round().unwrap() {}
        let d = status(&mut ws, dropped);
        assert_eq!(d.status, OutboxStatus::Withdrawn);
        assert!(
            d.last_error
                .unwrap()
                .contains("waited 1 s to be sent (the platform's rate limit or the brand's pace), past the campaign's stale_after of 1 s: dropped")
        );
        let t = status(&mut ws, drafted);
        assert_eq!(t.status, OutboxStatus::Withdrawn);
        assert!(t.last_error.unwrap().contains("turned into a draft"));
        assert_eq!(status(&mut ws, timeless).status, OutboxStatus::Sent);
        assert_eq!(
            status(&mut ws, person).status,
            OutboxStatus::Sent,
            "a person's reply is never stale"
        );
        let keys = posted_keys(&sandbox);
        assert_eq!(keys, ["human:1", "bot:3"]);
        // The ingest thread is told of both, so that its guardrails forget them.
        let mut withdrawn: Vec<(String, String)> = told
            .try_iter()
            .filter_map(|c| match c {
                super::super::Command::Withdrawn(platform, id) => Some((platform, id)),
                _ => None,
            })
            .collect();
        withdrawn.sort();
        assert_eq!(
            withdrawn,
            [
                ("x".to_owned(), "m1".to_owned()),
                ("x".to_owned(), "m2".to_owned())
            ]
        );
    }

    /// The idempotency keys of what the sandbox network received, in order.
    fn posted_keys(sandbox: &Sandbox) -> Vec<String> {
        sandbox.snapshot()["posts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["idempotency_key"].as_str().unwrap().to_owned())
            .collect()
    }

    fn settings(max_attempts: u32) -> Settings {
        Settings {
            max_attempts,
            node: "n1".into(),
            pace: crate::config::Pace::NONE,
            stale: HashMap::new(),
            media_url: None,
        }
    }

    #[test]
    fn what_was_being_sent_at_a_crash_is_sent_again_with_its_key_once() {
        let dir = tempfile::tempdir().unwrap();
        let location = dir.path().join("p.db").display().to_string();
        let sandbox = Arc::new(Sandbox::new());
        let mut ws = Workspace::open(&location).unwrap();
        let (a, _) = ws.enqueue(&action("bot:crash", "bot", 1)).unwrap();
        // The platform took it, then the process died before recording it.
        let claimed = ws
            .claim_due("n1", jiff::Timestamp::now().as_millisecond(), 10)
            .unwrap();
        sandbox.deliver(&claimed[0]).unwrap();
        assert_eq!(status(&mut ws, a).status, OutboxStatus::Sending);
        // Restart: the sender recovers it and sends it again with the same key.
        let mut sender =
            Sender::open(&location, sandbox.clone(), Live::new(), &settings(3)).unwrap();
        assert_eq!(status(&mut ws, a).status, OutboxStatus::Pending);
        sender.round().unwrap();
        assert_eq!(status(&mut ws, a).status, OutboxStatus::Sent);
        let posts = sandbox.snapshot()["posts"].as_array().unwrap().clone();
        assert_eq!(
            posts.len(),
            1,
            "the platform's idempotency kept it to one post"
        );
    }

    /// A platform whose allowance is used up, then whose token is refused.
    struct Gated(std::sync::Mutex<Vec<DeliveryError>>);

    impl Deliver for Gated {
        fn deliver(&self, _: &OutboxItem) -> Result<Option<String>, DeliveryError> {
            match self.0.lock().unwrap().pop() {
                Some(e) => Err(e),
                None => Ok(Some("remote-1".into())),
            }
        }
    }

    #[test]
    fn a_used_up_allowance_or_a_refused_token_waits_without_using_attempts() {
        let dir = tempfile::tempdir().unwrap();
        let location = dir.path().join("p.db").display().to_string();
        let now = jiff::Timestamp::now().as_millisecond();
        let gated = Arc::new(Gated(std::sync::Mutex::new(vec![
            DeliveryError::Auth("401: renew the token".into()),
            DeliveryError::NotBefore {
                at_ms: now + 45_000,
            },
        ])));
        let mut sender = Sender::open(&location, gated, Live::new(), &settings(1)).unwrap();
        let mut ws = Workspace::open(&location).unwrap();
        let (a, _) = ws.enqueue(&action("bot:gated", "bot", 1)).unwrap();
        sender.round().unwrap();
        let item = status(&mut ws, a);
        assert_eq!((item.status, item.attempts), (OutboxStatus::Pending, 0));
        assert_eq!(
            item.next_attempt_ms,
            now + 45_000,
            "waits for the allowance"
        );
        ws.mark_retry(a, "made due", 0).unwrap();
        sender.round().unwrap();
        let item = status(&mut ws, a);
        assert_eq!(
            (item.status, item.attempts),
            (OutboxStatus::Pending, 0),
            "a refused token is not an attempt (max_attempts is 1 here)"
        );
        assert!(
            item.next_attempt_ms >= now + 590_000,
            "retried in 10 minutes"
        );
        assert!(item.last_error.unwrap().contains("renew"));
        ws.mark_retry(a, "made due", 0).unwrap();
        sender.round().unwrap();
        assert_eq!(status(&mut ws, a).status, OutboxStatus::Sent);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempts in 1..20 {
            let ms = backoff_ms(attempts);
            let base = (1000i64 << attempts.clamp(1, 9)).min(300_000) as f64;
            assert!(
                (ms as f64) >= base * 0.79 && (ms as f64) <= base * 1.21,
                "{attempts}: {ms}"
            );
        }
        assert!(backoff_ms(30) <= 360_000);
    }
}
