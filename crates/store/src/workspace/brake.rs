//! The crisis brake's switch: engaged or not, on every channel or on chosen ones, by whom, when
//! and why. Turning it on or off is audited in the same transaction; the outbox reads it when it
//! takes actions to send.

use super::{Workspace, audit, now_ms};
use crate::StoreError;

/// The brake as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Brake {
    pub engaged: bool,
    /// The channels it holds (`PLATFORM:ID`); empty: every channel.
    pub channels: Vec<String>,
    /// Why it was turned on (kept after it is released, until the next change).
    pub reason: Option<String>,
    /// Who changed it last (empty: never changed).
    pub actor: String,
    /// When (Unix ms; 0: never changed).
    pub changed_ms: i64,
}

impl Brake {
    /// It holds what goes out on `channel` (every channel when none is named). A channel not
    /// known (`None`: several channels of the platform could answer) is held when any channel
    /// of that platform is.
    pub fn holds(&self, channel: Option<&str>, platform: &str) -> bool {
        self.engaged
            && (self.channels.is_empty()
                || match channel {
                    Some(c) => self.channels.iter().any(|b| b == c),
                    None => self
                        .channels
                        .iter()
                        .any(|b| b.split_once(':').is_some_and(|(p, _)| p == platform)),
                })
    }
}

/// What a request to change it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrakeChange {
    /// Changed: the brake as it is now.
    Changed(Brake),
    /// It already was so: nothing changed, nothing audited.
    Already(Brake),
}

impl Workspace {
    /// The brake as it stands.
    pub fn brake(&mut self) -> Result<Brake, StoreError> {
        let row = self.conn.one(
            "SELECT engaged, reason, actor, changed_ms, channels FROM brake WHERE id = 1",
            &[],
        )?;
        match row {
            None => Ok(Brake::default()),
            Some(r) => Ok(Brake {
                engaged: r.int(0)? != 0,
                reason: r.opt_text(1)?,
                actor: r.text(2)?,
                changed_ms: r.int(3)?,
                channels: super::list(&r.opt_text(4)?.unwrap_or_default()),
            }),
        }
    }

    /// Turns the brake on (with its reason; on `channels` only, every channel when empty) or
    /// off, as `actor`, and audits it (`brake_on`, `brake_off`), all or nothing. Asking for the
    /// state it is already in changes nothing; turning it on for other channels while it is on
    /// changes them. Posts handed to the outbox and not tried yet on the channels it now holds
    /// are taken back and held.
    pub fn set_brake(
        &mut self,
        engaged: bool,
        reason: Option<&str>,
        actor: &str,
        channels: &[String],
    ) -> Result<BrakeChange, StoreError> {
        let current = self.brake()?;
        let mut channels: Vec<String> = if engaged {
            channels.to_vec()
        } else {
            Vec::new()
        };
        channels.sort();
        channels.dedup();
        if current.engaged == engaged && (!engaged || current.channels == channels) {
            return Ok(BrakeChange::Already(current));
        }
        let now = now_ms();
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        // Released, it keeps the reason it was turned on for; the release's own reason, if
        // any, is in the audit log.
        let kept = if engaged {
            reason.map(str::to_owned)
        } else {
            current.reason.clone()
        };
        let stored = (!channels.is_empty()).then(|| channels.join(","));
        let detail = match (reason, &stored) {
            (Some(r), Some(c)) => Some(format!("{r} [{c}]")),
            (Some(r), None) => Some(r.to_owned()),
            (None, Some(c)) => Some(format!("[{c}]")),
            (None, None) => None,
        };
        let brake = Brake {
            engaged,
            channels,
            reason: kept,
            actor: actor.to_owned(),
            changed_ms: now,
        };
        self.conn.transaction(|c| {
            c.exec(
                "INSERT INTO brake (id, engaged, reason, actor, changed_ms, channels) VALUES (1, $1, $2, $3, $4, $5)
                 ON CONFLICT (id) DO UPDATE SET engaged = excluded.engaged, reason = excluded.reason,
                     actor = excluded.actor, changed_ms = excluded.changed_ms, channels = excluded.channels",
                &[
                    i64::from(engaged).into(),
                    brake.reason.as_deref().into(),
                    actor.into(),
                    now.into(),
                    stored.as_deref().into(),
                ],
            )?;
            audit(
                c,
                actor,
                if engaged { "brake_on" } else { "brake_off" },
                Some("brake"),
                detail.as_deref(),
            )?;
            if engaged {
                super::posts::hold_unsent(c, actor, &brake)?;
            }
            Ok(())
        })?;
        Ok(BrakeChange::Changed(brake))
    }
}
