//! What the platform connectors keep in the store: each account's checkpoint (where to resume
//! reading after a restart) and health (shown in the inbox when it is not `ok`), and the durable
//! queue of webhook deliveries, written before the platform gets its 200 and processed after.

use super::db::{Conn, Row};
use super::{Workspace, now_ms};
use crate::StoreError;

/// How an account's connector is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConnectorStatus {
    Ok,
    /// Lost its connection; reconnecting with backoff.
    Reconnecting,
    /// The platform refused the token (expired or revoked): a person must renew it.
    AuthFailed,
    /// Failing for another reason (the platform answers errors).
    Failing,
    Stopped,
}

impl ConnectorStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorStatus::Ok => "ok",
            ConnectorStatus::Reconnecting => "reconnecting",
            ConnectorStatus::AuthFailed => "auth_failed",
            ConnectorStatus::Failing => "failing",
            ConnectorStatus::Stopped => "stopped",
        }
    }

    fn parse(raw: &str) -> Result<Self, StoreError> {
        Ok(match raw {
            "ok" => ConnectorStatus::Ok,
            "reconnecting" => ConnectorStatus::Reconnecting,
            "auth_failed" => ConnectorStatus::AuthFailed,
            "failing" => ConnectorStatus::Failing,
            "stopped" => ConnectorStatus::Stopped,
            other => return Err(StoreError::Corrupt(format!("connector status `{other}`"))),
        })
    }
}

/// One account's connector as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectorState {
    pub name: String,
    pub platform: String,
    pub cursor: Option<String>,
    pub status: ConnectorStatus,
    pub error: Option<String>,
    pub since_ms: i64,
    pub updated_ms: i64,
}

/// A webhook delivery waiting in the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookDelivery {
    pub id: i64,
    pub platform: String,
    pub account: String,
    pub body: String,
    pub received_ms: i64,
}

fn state(r: &Row) -> Result<ConnectorState, StoreError> {
    Ok(ConnectorState {
        name: r.text(0)?,
        platform: r.text(1)?,
        cursor: r.opt_text(2)?,
        status: ConnectorStatus::parse(&r.text(3)?)?,
        error: r.opt_text(4)?,
        since_ms: r.int(5)?,
        updated_ms: r.int(6)?,
    })
}

impl Workspace {
    /// Where the account's connector stopped reading, if it ever read.
    pub fn checkpoint(&mut self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .one(
                "SELECT cursor FROM connector_state WHERE name = $1",
                &[name.into()],
            )?
            .map(|r| r.opt_text(0))
            .transpose()?
            .flatten())
    }

    /// Records where to resume. Call it after what was read up to there is stored: a crash
    /// in between reads a little again, which dedupe makes harmless, and loses nothing.
    pub fn save_checkpoint(
        &mut self,
        name: &str,
        platform: &str,
        cursor: &str,
    ) -> Result<(), StoreError> {
        save_checkpoint(&mut self.conn, name, platform, cursor)
    }

    /// Records how the account's connector is doing. Entering a status other than `ok` is
    /// written to the audit log once (not on every retry).
    pub fn set_connector_status(
        &mut self,
        name: &str,
        platform: &str,
        status: ConnectorStatus,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        self.conn.transaction(|c| {
            let before = c
                .one(
                    "SELECT status FROM connector_state WHERE name = $1",
                    &[name.into()],
                )?
                .map(|r| r.text(0))
                .transpose()?;
            let changed = before.as_deref() != Some(status.as_str());
            c.exec(
                "INSERT INTO connector_state (name, platform, status, error, since_ms, updated_ms)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (name) DO UPDATE SET status = excluded.status, error = excluded.error,
                    updated_ms = excluded.updated_ms,
                    since_ms = CASE WHEN connector_state.status = excluded.status
                                    THEN connector_state.since_ms ELSE excluded.since_ms END",
                &[
                    name.into(),
                    platform.into(),
                    status.as_str().into(),
                    error.into(),
                    now.into(),
                    now.into(),
                ],
            )?;
            if changed && (status != ConnectorStatus::Ok || before.is_some()) {
                let target = format!("connector:{name}");
                super::audit(
                    c,
                    "palabre",
                    &format!("connector_{}", status.as_str()),
                    Some(&target),
                    error,
                )?;
            }
            Ok(())
        })
    }

    /// Every account's connector, by name.
    pub fn connector_states(&mut self) -> Result<Vec<ConnectorState>, StoreError> {
        self.conn
            .query(
                "SELECT name, platform, cursor, status, error, since_ms, updated_ms
                 FROM connector_state ORDER BY name",
                &[],
            )?
            .iter()
            .map(state)
            .collect()
    }

    /// Queues a webhook delivery whose signature was checked; `(id, new)`. The same body
    /// delivered twice to the same account is kept once (`new` is false the second time).
    pub fn queue_webhook(
        &mut self,
        platform: &str,
        account: &str,
        body: &str,
    ) -> Result<(i64, bool), StoreError> {
        let hash = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(body.as_bytes()));
        let now = now_ms();
        self.conn.transaction(|c| {
            if let Some(r) = c.one(
                "INSERT INTO webhook_queue (platform, account, body, body_hash, received_ms)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account, body_hash) DO NOTHING RETURNING id",
                &[
                    platform.into(),
                    account.into(),
                    body.into(),
                    hash.as_str().into(),
                    now.into(),
                ],
            )? {
                return Ok((r.int(0)?, true));
            }
            let existing = c
                .one(
                    "SELECT id FROM webhook_queue WHERE account = $1 AND body_hash = $2",
                    &[account.into(), hash.as_str().into()],
                )?
                .ok_or_else(|| StoreError::Corrupt("webhook delivery vanished".into()))?;
            Ok((existing.int(0)?, false))
        })
    }

    /// The oldest deliveries not processed yet, past the id `after` (0: all of them; the
    /// ingest thread passes the last one it took, which may not be recorded yet).
    pub fn pending_webhooks(
        &mut self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        let sql = format!(
            "SELECT id, platform, account, body, received_ms FROM webhook_queue
             WHERE status = 'pending' AND id > $1 ORDER BY id LIMIT {}",
            limit.clamp(1, 10_000)
        );
        self.conn
            .query(&sql, &[after.into()])?
            .iter()
            .map(|r| {
                Ok(WebhookDelivery {
                    id: r.int(0)?,
                    platform: r.text(1)?,
                    account: r.text(2)?,
                    body: r.text(3)?,
                    received_ms: r.int(4)?,
                })
            })
            .collect()
    }

    /// A delivery went through the pipeline (`error` None) or could not (kept with its error).
    pub fn finish_webhook(&mut self, id: i64, error: Option<&str>) -> Result<(), StoreError> {
        finish_webhook(&mut self.conn, id, error)
    }

    /// How many deliveries wait.
    pub fn webhook_backlog(&mut self) -> Result<i64, StoreError> {
        self.conn
            .one(
                "SELECT COUNT(*) FROM webhook_queue WHERE status = 'pending'",
                &[],
            )?
            .map(|r| r.int(0))
            .transpose()
            .map(|n| n.unwrap_or(0))
    }
}

/// [`Workspace::save_checkpoint`] inside a transaction.
pub(crate) fn save_checkpoint(
    c: &mut Conn,
    name: &str,
    platform: &str,
    cursor: &str,
) -> Result<(), StoreError> {
    let now = now_ms();
    c.exec(
        "INSERT INTO connector_state (name, platform, cursor, since_ms, updated_ms)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor, updated_ms = excluded.updated_ms",
        &[
            name.into(),
            platform.into(),
            cursor.into(),
            now.into(),
            now.into(),
        ],
    )?;
    Ok(())
}

/// [`Workspace::finish_webhook`] inside a transaction.
pub(crate) fn finish_webhook(c: &mut Conn, id: i64, error: Option<&str>) -> Result<(), StoreError> {
    let status = if error.is_some() { "failed" } else { "done" };
    c.exec(
        "UPDATE webhook_queue SET status = $1, error = $2, processed_ms = $3 WHERE id = $4",
        &[status.into(), error.into(), now_ms().into(), id.into()],
    )?;
    Ok(())
}
