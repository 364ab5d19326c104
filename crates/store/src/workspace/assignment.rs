//! Automatic assignment: who may be given a conversation of a queue, and the pick, in constant
//! time per decision (migration 0008: `assignable`, its load counters kept by triggers).
//!
//! `assignable` holds one row per (queue, enabled agent, team working on that queue) with the
//! agent's open load. It is derived from `users` and `teams`: triggers mark it stale when either
//! changes, and the next assignment rebuilds it first. A team that names channels but no queue
//! works on every queue of those channels: its rows carry the queue `*`.

use super::db::Conn;
use super::{Workspace, audit, list, now_ms};
use crate::StoreError;

/// The queue of the rows of teams that work on every queue (of their channels).
const EVERY_QUEUE: &str = "*";

/// Where an agent stands in the pick: open load, last assignment, id (lowest first).
type Rank = (i64, i64, i64);

/// Candidates read at a time, in pick order, when a team's channels may rule some out.
const PAGE: i64 = 32;

impl Workspace {
    /// Gives an unassigned open conversation of `queue` to the agent of a team covering it (its
    /// queue and its channel) with the fewest open conversations, below their capacity; the
    /// longest-waiting agent first on a tie (round-robin). Returns who got it.
    pub fn auto_assign(&mut self, id: &str, queue: &str) -> Result<Option<String>, StoreError> {
        let mut got = self.auto_assign_all(&[(id, queue)])?;
        Ok(got.pop().flatten())
    }

    /// [`Workspace::auto_assign`] for several conversations in one transaction (the ingest
    /// thread's batch); who got each one, in order.
    pub fn auto_assign_all(
        &mut self,
        items: &[(&str, &str)],
    ) -> Result<Vec<Option<String>>, StoreError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        self.conn.transaction(|c| assign_all(c, items))
    }

    /// Rebuilds who may be assigned what from `users` and `teams` now (the next assignment
    /// would otherwise do it): `serve` calls it at start.
    pub fn refresh_assignable(&mut self) -> Result<(), StoreError> {
        self.conn.transaction(|c| {
            c.exec("UPDATE assignment_state SET stale = 0", &[])?;
            rebuild(c)?;
            give_waiting_to_anyone(c)?;
            Ok(())
        })
    }

    /// Open conversations assigned to `agent`, counted from the conversations.
    pub fn open_load(&mut self, agent: &str) -> Result<i64, StoreError> {
        open_load(&mut self.conn, agent)
    }

    /// The load the assignment believes `agent` has (its counter), when they may be assigned.
    pub fn counted_load(&mut self, agent: &str) -> Result<Option<i64>, StoreError> {
        self.conn.transaction(|c| {
            refresh_if_stale(c)?;
            c.one(
                "SELECT MAX(open_count) FROM assignable WHERE user_name = $1",
                &[agent.into()],
            )?
            .map_or(Ok(None), |r| r.opt_int(0))
        })
    }

    /// Gives the conversations a disabled agent held (open or waiting for the author) back to
    /// their queues, each to another agent when one is free, else unassigned; the
    /// conversations released, with who got each one.
    pub fn release_conversations_of(
        &mut self,
        agent: &str,
        actor: &str,
    ) -> Result<Vec<(String, Option<String>)>, StoreError> {
        self.conn.transaction(|c| {
            let held = c.query(
                "SELECT id, queue FROM conversations
                 WHERE assignee = $1 AND status IN ('open', 'pending', 'snoozed') ORDER BY id",
                &[agent.into()],
            )?;
            refresh_if_stale(c)?;
            let now = now_ms();
            let mut full = Full::default();
            let mut out = Vec::with_capacity(held.len());
            for row in &held {
                let id = row.text(0)?;
                c.exec(
                    "UPDATE conversations SET assignee = NULL WHERE id = $1",
                    &[id.as_str().into()],
                )?;
                audit(c, actor, "conversation_released", Some(&id), Some(agent))?;
                let got = match row.opt_text(1)? {
                    Some(queue) => assign_one(c, &id, &queue, now, &mut full)?,
                    None => None,
                };
                out.push((id, got));
            }
            Ok(out)
        })
    }
}

/// Open conversations assigned to `agent` (a range of `conversations_assignee`).
fn open_load(c: &mut Conn, agent: &str) -> Result<i64, StoreError> {
    c.one(
        "SELECT COUNT(*) FROM conversations WHERE assignee = $1 AND status = 'open'",
        &[agent.into()],
    )?
    .map_or(Ok(0), |r| r.int(0))
}

/// After a person changed these conversations' statuses: their agents' loads, recounted in the
/// same transaction. SQLite only: there, loads follow assignments by trigger but not statuses
/// (a status trigger would cost the recorded path a statement journal per conversation upsert,
/// migration 8), and its transactions are serial, so the count is exact. PostgreSQL's triggers
/// follow both.
pub(crate) fn recount_loads_of(c: &mut Conn, conversations: &[&str]) -> Result<(), StoreError> {
    if !matches!(c, Conn::Sqlite(_)) {
        return Ok(());
    }
    for id in conversations {
        c.exec(
            "UPDATE assignable SET open_count = (SELECT COUNT(*) FROM conversations o
                 WHERE o.assignee = assignable.user_name AND o.status = 'open')
             WHERE user_name = (SELECT assignee FROM conversations WHERE id = $1)",
            &[(*id).into()],
        )?;
    }
    Ok(())
}

/// Rebuilds `assignable` when a change to people or teams marked it stale.
/// [`Workspace::auto_assign_all`] inside a transaction.
pub(crate) fn assign_all(
    c: &mut Conn,
    items: &[(&str, &str)],
) -> Result<Vec<Option<String>>, StoreError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    refresh_if_stale(c)?;
    let now = now_ms();
    let mut full = Full::default();
    let mut out = Vec::with_capacity(items.len());
    for (id, queue) in items {
        out.push(assign_one(c, id, queue, now, &mut full)?);
    }
    Ok(out)
}

/// The (queue, channel) pairs found with nobody free in this transaction, with whether anyone
/// works on the queue at all: loads only grow within it (no other writer can free an agent
/// meanwhile), so the next conversations of the pair wait without a search — the load of an
/// election night, when every agent is full, costs one lookup a conversation (and, when
/// someone works on the queue, one row in `assignment_waiting`).
type Full = std::collections::HashMap<(String, Option<String>), bool>;

fn refresh_if_stale(c: &mut Conn) -> Result<(), StoreError> {
    // An UPDATE, not a read: on PostgreSQL it takes the row's lock, so two assigners never
    // rebuild at once; the second sees `stale = 0` once the first commits.
    if c.one(
        "UPDATE assignment_state SET stale = 0 WHERE stale = 1 RETURNING id",
        &[],
    )?
    .is_some()
    {
        rebuild(c)?;
        give_waiting_to_anyone(c)?;
    }
    Ok(())
}

/// One row per (queue, enabled agent, team on that queue), with the agent's open load now.
fn rebuild(c: &mut Conn) -> Result<(), StoreError> {
    let started = std::time::Instant::now();
    c.exec("DELETE FROM assignable", &[])?;
    let teams: Vec<(String, Vec<String>, String)> = c
        .query("SELECT name, queues, channels FROM teams", &[])?
        .iter()
        .map(|r| Ok((r.text(0)?, list(&r.text(1)?), list(&r.text(2)?).join(","))))
        .collect::<Result<_, StoreError>>()?;
    let loads: std::collections::HashMap<String, i64> = c
        .query(
            "SELECT assignee, COUNT(*) FROM conversations
             WHERE assignee IS NOT NULL AND status = 'open' GROUP BY assignee",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.text(0)?, r.int(1)?)))
        .collect::<Result<_, StoreError>>()?;
    let agents = c.query(
        "SELECT id, name, teams, capacity, last_assigned_ms FROM users
         WHERE disabled = 0 AND role = 'agent'",
        &[],
    )?;
    let mut rows = 0usize;
    for agent in &agents {
        let (user_id, name) = (agent.int(0)?, agent.text(1)?);
        let (capacity, last) = (agent.int(3)?, agent.int(4)?);
        let load = loads.get(&name).copied().unwrap_or(0);
        for team in list(&agent.text(2)?) {
            let Some((_, queues, channels)) = teams.iter().find(|(t, _, _)| *t == team) else {
                continue;
            };
            // A team naming neither queues nor channels covers nothing.
            let queues: Vec<&str> = match (queues.is_empty(), channels.is_empty()) {
                (true, true) => continue,
                (true, false) => vec![EVERY_QUEUE],
                _ => queues.iter().map(String::as_str).collect(),
            };
            for queue in queues {
                c.exec(
                    "INSERT INTO assignable (queue, user_name, team, channels, user_id, capacity,
                         open_count, last_assigned_ms)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                    &[
                        queue.into(),
                        name.as_str().into(),
                        team.as_str().into(),
                        channels.as_str().into(),
                        user_id.into(),
                        capacity.into(),
                        load.into(),
                        last.into(),
                    ],
                )?;
                rows += 1;
            }
        }
    }
    tracing::info!(
        agents = agents.len(),
        rows,
        ms = started.elapsed().as_millis() as u64,
        "assignment table rebuilt"
    );
    Ok(())
}

/// Assigns one conversation if it is open and unassigned and someone covering it is free.
fn assign_one(
    c: &mut Conn,
    id: &str,
    queue: &str,
    now: i64,
    full: &mut Full,
) -> Result<Option<String>, StoreError> {
    let Some(free) = c.one(
        "SELECT channel FROM conversations WHERE id = $1 AND assignee IS NULL AND status = 'open'",
        &[id.into()],
    )?
    else {
        return Ok(None);
    };
    let channel = free.opt_text(0)?;
    let pair = (queue.to_owned(), channel);
    if let Some(&covered) = full.get(&pair) {
        if covered {
            wait(c, id, &pair, now)?;
        }
        return Ok(None);
    }
    let channel = pair.1.clone();
    let name = loop {
        let best = [queue, EVERY_QUEUE]
            .into_iter()
            .map(|q| first_free(c, q, channel.as_deref(), q == EVERY_QUEUE))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .min_by_key(|(rank, _)| *rank);
        let Some(((counted, _, _), name)) = best else {
            // Somebody works on the queue but is full: the conversation waits for them.
            let covered = c
                .one(
                    "SELECT 1 FROM assignable WHERE queue = $1 OR queue = $2 LIMIT 1",
                    &[queue.into(), EVERY_QUEUE.into()],
                )?
                .is_some();
            if covered {
                wait(c, id, &pair, now)?;
            }
            full.insert(pair, covered);
            return Ok(None);
        };
        // The count may be behind the conversations: one the writer opened again (a new
        // message) is not counted until a person acts on it. Check the one picked; if it was
        // behind, correct it and pick again (each round corrects one agent).
        let open = open_load(c, &name)?;
        if open == counted {
            break name;
        }
        c.exec(
            "UPDATE assignable SET open_count = $1 WHERE user_name = $2",
            &[open.into(), name.as_str().into()],
        )?;
    };
    // Only if still unassigned: a person may have assigned it by hand meanwhile.
    let n = c.exec(
        "UPDATE conversations SET assignee = $1 WHERE id = $2 AND assignee IS NULL",
        &[name.as_str().into(), id.into()],
    )?;
    if n == 0 {
        return Ok(None);
    }
    stop_waiting(c, id)?;
    c.exec(
        "UPDATE users SET last_assigned_ms = $1 WHERE name = $2",
        &[now.into(), name.as_str().into()],
    )?;
    c.exec(
        "UPDATE assignable SET last_assigned_ms = $1 WHERE user_name = $2",
        &[now.into(), name.as_str().into()],
    )?;
    audit(
        c,
        "palabre",
        "conversation_auto_assigned",
        Some(id),
        Some(&name),
    )?;
    Ok(Some(name))
}

/// Conversation `id` no longer waits for an agent (assigned, or set aside).
pub(crate) fn stop_waiting(c: &mut Conn, id: &str) -> Result<(), StoreError> {
    c.exec(
        "DELETE FROM assignment_waiting WHERE conversation_id = $1",
        &[id.into()],
    )?;
    Ok(())
}

/// Puts a conversation nobody free could take in `assignment_waiting` (kept at its first time).
fn wait(
    c: &mut Conn,
    id: &str,
    (queue, channel): &(String, Option<String>),
    now: i64,
) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO assignment_waiting (conversation_id, queue, channel, since_ms)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        &[
            id.into(),
            queue.as_str().into(),
            channel.as_deref().into(),
            now.into(),
        ],
    )?;
    Ok(())
}

/// A person set conversation `id` aside (resolved, pending, snoozed): it no longer waits, and
/// its agent, if it had one, may take what waits in their queues.
pub(crate) fn freed(c: &mut Conn, id: &str) -> Result<(), StoreError> {
    stop_waiting(c, id)?;
    let agent = c
        .one(
            "SELECT assignee FROM conversations WHERE id = $1",
            &[id.into()],
        )?
        .map(|r| r.opt_text(0))
        .transpose()?
        .flatten();
    if let Some(agent) = agent {
        give_waiting(c, &[agent.as_str()])?;
    }
    Ok(())
}

/// Conversations tried at most per agent freed, and when who works on what changed.
const WAITING_TRIED: i64 = 64;

/// A person freed `agents` (a conversation of theirs resolved, set pending, snoozed or taken
/// away): the conversations waiting in the queues they cover go out, oldest first, each to
/// whoever covering it is least loaded now, until nobody covering them is free. Rows whose
/// conversation was assigned or closed meanwhile leave. Who got what.
pub(crate) fn give_waiting(
    c: &mut Conn,
    agents: &[&str],
) -> Result<Vec<(String, String)>, StoreError> {
    refresh_if_stale(c)?;
    let mut given = Vec::new();
    for agent in agents {
        let rows = c.query(
            "SELECT queue, channels FROM assignable WHERE user_name = $1 AND open_count < capacity",
            &[(*agent).into()],
        )?;
        for row in &rows {
            let (queue, channels) = (row.text(0)?, list(&row.text(1)?));
            // A team on every queue of its channels looks in every queue.
            let queues = if queue == EVERY_QUEUE {
                waiting_queues(c)?
            } else {
                vec![queue]
            };
            for queue in queues {
                let waiting = oldest_waiting(c, &queue)?;
                given.extend(give_out(c, &waiting, |channel| {
                    channels.is_empty()
                        || channel.is_some_and(|ch| channels.iter().any(|c| c == ch))
                })?);
            }
        }
    }
    Ok(given)
}

/// Who works on what changed (a team, a capacity, an agent added or enabled): the oldest
/// waiting conversations of each queue go to whoever is free now.
fn give_waiting_to_anyone(c: &mut Conn) -> Result<Vec<(String, String)>, StoreError> {
    let mut given = Vec::new();
    for queue in waiting_queues(c)? {
        let waiting = oldest_waiting(c, &queue)?;
        given.extend(give_out(c, &waiting, |_| true)?);
    }
    Ok(given)
}

/// The queues something waits in: one seek of `assignment_waiting_queue` per queue (a
/// `DISTINCT` would read every waiting row, a million on an election night).
fn waiting_queues(c: &mut Conn) -> Result<Vec<String>, StoreError> {
    c.query(
        "WITH RECURSIVE q(queue) AS (
             SELECT MIN(queue) FROM assignment_waiting
             UNION ALL
             SELECT (SELECT MIN(w.queue) FROM assignment_waiting w WHERE w.queue > q.queue)
             FROM q WHERE q.queue IS NOT NULL)
         SELECT queue FROM q WHERE queue IS NOT NULL",
        &[],
    )?
    .iter()
    .map(|r| r.text(0))
    .collect()
}

/// The oldest conversations waiting in `queue`: `conversation_id, queue, channel`.
fn oldest_waiting(c: &mut Conn, queue: &str) -> Result<Vec<super::db::Row>, StoreError> {
    c.query(
        &format!(
            "SELECT conversation_id, queue, channel FROM assignment_waiting
             WHERE queue = $1 ORDER BY since_ms LIMIT {WAITING_TRIED}"
        ),
        &[queue.into()],
    )
}

/// Assigns the `waiting` rows (`conversation_id, queue, channel`) that `fits` lets through;
/// a row whose conversation is no longer open and unassigned leaves.
fn give_out(
    c: &mut Conn,
    waiting: &[super::db::Row],
    fits: impl Fn(Option<&str>) -> bool,
) -> Result<Vec<(String, String)>, StoreError> {
    let now = now_ms();
    let mut full = Full::default();
    let mut given = Vec::new();
    for w in waiting {
        let (id, queue, channel) = (w.text(0)?, w.text(1)?, w.opt_text(2)?);
        if !fits(channel.as_deref()) {
            continue;
        }
        let still_waiting = c
            .one(
                "SELECT 1 FROM conversations WHERE id = $1 AND assignee IS NULL AND status = 'open'",
                &[id.as_str().into()],
            )?
            .is_some();
        if !still_waiting {
            stop_waiting(c, &id)?;
            continue;
        }
        if let Some(agent) = assign_one(c, &id, &queue, now, &mut full)? {
            given.push((id, agent));
        }
    }
    if !given.is_empty() {
        tracing::info!(given = given.len(), "waiting conversations assigned");
    }
    Ok(given)
}

/// The first free agent of `queue`'s rows (one descent of `assignable_free`) whose team covers
/// `channel`, with their rank (load, last assignment, id). Rows of teams working on every
/// queue (`*`) must name channels, and the conversation's must be one of them.
fn first_free(
    c: &mut Conn,
    queue: &str,
    channel: Option<&str>,
    channels_required: bool,
) -> Result<Option<(Rank, String)>, StoreError> {
    let mut offset = 0i64;
    loop {
        // The page size is in the text, not bound: SQLite reads a bound LIMIT to plan the
        // query and prepares the statement again whenever it is bound (a tenth of the
        // recording thread's time went to that).
        let page = c.query(
            &format!(
                "SELECT user_name, channels, open_count, last_assigned_ms, user_id FROM assignable
                 WHERE queue = $1 AND open_count < capacity
                 ORDER BY open_count, last_assigned_ms, user_id LIMIT {PAGE} OFFSET $2"
            ),
            &[queue.into(), offset.into()],
        )?;
        for r in &page {
            let channels = list(&r.text(1)?);
            let covered = if channels.is_empty() {
                !channels_required
            } else {
                channel.is_some_and(|ch| channels.iter().any(|c| c == ch))
            };
            if covered {
                let rank = (r.int(2)?, r.int(3)?, r.int(4)?);
                return Ok(Some((rank, r.text(0)?)));
            }
        }
        if (page.len() as i64) < PAGE {
            return Ok(None);
        }
        offset += PAGE;
    }
}
