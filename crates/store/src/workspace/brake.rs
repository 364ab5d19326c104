//! The crisis brake's switch: engaged or not, by whom, when and why. Turning it on or off is
//! audited in the same transaction; the outbox reads it when it takes actions to send.

use super::{Workspace, audit, now_ms};
use crate::StoreError;

/// The brake as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Brake {
    pub engaged: bool,
    /// Why it was turned on (kept after it is released, until the next change).
    pub reason: Option<String>,
    /// Who changed it last (empty: never changed).
    pub actor: String,
    /// When (Unix ms; 0: never changed).
    pub changed_ms: i64,
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
            "SELECT engaged, reason, actor, changed_ms FROM brake WHERE id = 1",
            &[],
        )?;
        match row {
            None => Ok(Brake::default()),
            Some(r) => Ok(Brake {
                engaged: r.int(0)? != 0,
                reason: r.opt_text(1)?,
                actor: r.text(2)?,
                changed_ms: r.int(3)?,
            }),
        }
    }

    /// Turns the brake on (with its reason) or off, as `actor`, and audits it (`brake_on`,
    /// `brake_off`), all or nothing. Asking for the state it is already in changes nothing.
    pub fn set_brake(
        &mut self,
        engaged: bool,
        reason: Option<&str>,
        actor: &str,
    ) -> Result<BrakeChange, StoreError> {
        let current = self.brake()?;
        if current.engaged == engaged {
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
        self.conn.transaction(|c| {
            c.exec(
                "INSERT INTO brake (id, engaged, reason, actor, changed_ms) VALUES (1, $1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET engaged = excluded.engaged, reason = excluded.reason,
                     actor = excluded.actor, changed_ms = excluded.changed_ms",
                &[
                    i64::from(engaged).into(),
                    kept.as_deref().into(),
                    actor.into(),
                    now.into(),
                ],
            )?;
            audit(
                c,
                actor,
                if engaged { "brake_on" } else { "brake_off" },
                Some("brake"),
                reason,
            )?;
            if engaged {
                super::posts::hold_unsent(c, actor)?;
            }
            Ok(())
        })?;
        Ok(BrakeChange::Changed(Brake {
            engaged,
            reason: kept,
            actor: actor.to_owned(),
            changed_ms: now,
        }))
    }
}
