//! The inbox and human work on conversations: listing with filters, the conversation view,
//! assignment (by hand and round-robin), statuses and snoozes, notes, takeover, draft reviews.

use super::db::{Conn, P, Row};
use super::outbox::{NewAction, OutboxStatus, enqueue};
use super::{Workspace, audit, now_ms};
use crate::StoreError;

/// Which conversations a person may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// An agent's teams: the conversations at least one of them covers.
    Teams(Vec<TeamScope>),
}

/// What one team works on: the conversations in its queues and, when it names channels,
/// addressed to one of them (a team naming channels but no queue works on every queue of
/// those channels). A team naming neither covers nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamScope {
    pub queues: Vec<String>,
    /// Channel keys (`PLATFORM:ID`).
    pub channels: Vec<String>,
}

impl TeamScope {
    /// Does this team work on a conversation in `queue`, addressed to `channel`?
    pub fn covers(&self, queue: Option<&str>, channel: Option<&str>) -> bool {
        let in_list =
            |list: &[String], v: Option<&str>| v.is_some_and(|v| list.iter().any(|x| x == v));
        (!self.queues.is_empty() || !self.channels.is_empty())
            && (self.queues.is_empty() || in_list(&self.queues, queue))
            && (self.channels.is_empty() || in_list(&self.channels, channel))
    }
}

impl Scope {
    /// May one see a conversation in `queue`, addressed to `channel`?
    pub fn covers(&self, queue: Option<&str>, channel: Option<&str>) -> bool {
        match self {
            Scope::All => true,
            Scope::Teams(teams) => teams.iter().any(|t| t.covers(queue, channel)),
        }
    }
}

/// What the inbox list is asked for. Values are matched exactly (the web layer checks them
/// against the fixed vocabularies first).
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    pub status: Option<String>,
    pub queue: Option<String>,
    /// A user name, or `""` for conversations nobody is assigned to.
    pub assignee: Option<String>,
    pub platform: Option<String>,
    /// One of the brand's channels (`PLATFORM:ID`).
    pub channel: Option<String>,
    pub intent: Option<String>,
    pub sentiment: Option<String>,
    pub lang: Option<String>,
    pub has_draft: bool,
    /// Words to find in the conversation's messages.
    pub text: Option<String>,
    /// Only what this team works on (see [`Workspace::team_scopes`]).
    pub team: Option<TeamScope>,
    pub limit: usize,
}

/// One line of the inbox list.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxRow {
    pub id: String,
    pub platform: String,
    /// The brand's channel it was addressed to (`PLATFORM:ID`), when known.
    pub channel: Option<String>,
    pub status: String,
    pub assignee: Option<String>,
    pub queue: Option<String>,
    pub priority: i64,
    pub drafts: i64,
    pub bot_paused: bool,
    pub created_ms: i64,
    pub last_inbound_ms: Option<i64>,
    pub last_outbound_ms: Option<i64>,
    pub first_outbound_ms: Option<i64>,
    pub snoozed_until_ms: Option<i64>,
    /// The newest message addressed to the brand: its text, author and triage (JSON).
    pub last_text: Option<String>,
    pub last_author: Option<String>,
    /// That author's display name, when the platform gave one.
    pub last_author_name: Option<String>,
    pub last_triage: Option<String>,
}

/// A message of a conversation with its decision and its author, for the conversation view.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageView {
    pub platform: String,
    pub external_id: String,
    pub kind: String,
    pub author_id: String,
    pub author_handle: Option<String>,
    pub author_name: Option<String>,
    pub author_followers: Option<i64>,
    pub author_verified: bool,
    pub text: String,
    pub in_reply_to: Option<String>,
    pub referenced_id: Option<String>,
    pub created_ms: i64,
    pub outcome: String,
    pub reasons: Vec<String>,
    pub queue: Option<String>,
    pub reply: Option<String>,
    pub triage: Option<String>,
    pub campaign: Option<String>,
    /// The request's key in that campaign (`code=69003`, `faq=bagage-cabine`, `help`).
    pub campaign_key: Option<String>,
    /// For a draft: its review, if a human gave one (`approved` or `rejected`).
    pub review: Option<String>,
    /// What listening heard in it (the decision's `listening` object), as JSON.
    pub listening: Option<String>,
    /// A review's stars.
    pub rating: Option<i64>,
    /// A review's revision (reason `review_revised`) written after the brand answered in the
    /// conversation.
    pub after_answer: bool,
    /// Where it was written, when it says: latitude and longitude.
    pub point: Option<[f64; 2]>,
}

/// A message's own point, from its stored entities (`{"geo": {"lat": …, "lon": …}}`).
fn point_of(entities: &str) -> Option<[f64; 2]> {
    let v: serde_json::Value = serde_json::from_str(entities).ok()?;
    Some([v["geo"]["lat"].as_f64()?, v["geo"]["lon"].as_f64()?])
}

/// An internal note.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoteView {
    pub author: String,
    pub text: String,
    pub created_ms: i64,
}

/// Everything the conversation view shows.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationView {
    pub row: InboxRow,
    pub messages: Vec<MessageView>,
    pub notes: Vec<NoteView>,
    pub outbox: Vec<super::OutboxItem>,
    /// What the author wrote to the brand elsewhere: other conversations, newest first.
    pub author_history: Vec<InboxRow>,
}

/// A draft waiting for a human.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DraftItem {
    pub platform: String,
    pub external_id: String,
    pub conversation_id: String,
    pub author: Option<String>,
    pub text: String,
    pub draft: String,
    pub reasons: Vec<String>,
    pub campaign: Option<String>,
    pub created_ms: i64,
}

/// What reviewing a draft did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewOutcome {
    /// Reviewed now; for an approval, the outbox action's id.
    Done { outbox_id: Option<i64> },
    /// Someone reviewed it first.
    AlreadyReviewed { verdict: String, by: String },
    /// No such draft.
    NotADraft,
}

const ROW_COLUMNS: &str =
    "c.id, c.platform, c.status, c.assignee, c.queue, c.priority, c.drafts, c.bot_paused,
    c.created_ms, c.last_inbound_ms, c.last_outbound_ms, c.first_outbound_ms, c.snoozed_until_ms, c.channel";

/// The conversations `WHERE where_sql`, in `order`, at most `limit`, each with its newest
/// message for a human (or the newest at all): one statement, so that a page of fifty costs
/// fifty index probes inside the database rather than fifty round trips through the driver.
fn with_latest(where_sql: &str, order: &str, limit: usize) -> String {
    format!(
        "SELECT {ROW_COLUMNS}, l.text, COALESCE(l.author_handle, l.author_id), l.triage, l.author_name
         FROM (SELECT c.*, (SELECT m.seq FROM messages m WHERE m.conversation_id = c.id AND m.outcome <> 'ignored'
                            ORDER BY m.created_ms DESC, m.seq DESC LIMIT 1) AS latest
               FROM conversations c WHERE {where_sql} ORDER BY {order} LIMIT {limit}) c
         LEFT JOIN messages l ON l.seq = c.latest
         ORDER BY {order}"
    )
}

fn inbox_row(r: &Row) -> Result<InboxRow, StoreError> {
    Ok(InboxRow {
        id: r.text(0)?,
        platform: r.text(1)?,
        status: r.text(2)?,
        assignee: r.opt_text(3)?,
        queue: r.opt_text(4)?,
        priority: r.int(5)?,
        drafts: r.int(6)?,
        bot_paused: r.flag(7)?,
        created_ms: r.int(8)?,
        last_inbound_ms: r.opt_int(9)?,
        last_outbound_ms: r.opt_int(10)?,
        first_outbound_ms: r.opt_int(11)?,
        snoozed_until_ms: r.opt_int(12)?,
        channel: r.opt_text(13)?,
        last_text: r.opt_text(14)?,
        last_author: r.opt_text(15)?,
        last_triage: r.opt_text(16)?,
        last_author_name: r.opt_text(17)?,
    })
}

/// `%words%` for LIKE, with LIKE's own wildcards escaped.
pub(super) fn like_pattern(words: &str) -> String {
    let mut out = String::with_capacity(words.len() + 2);
    out.push('%');
    for ch in words.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// Builds a WHERE clause with numbered parameters.
pub(super) struct Where {
    clauses: Vec<String>,
    params: Vec<Owned>,
}

/// A parameter the clause owns.
pub(super) enum Owned {
    Text(String),
    Int(i64),
}

impl Where {
    fn new() -> Self {
        Where {
            clauses: vec!["c.inbox = 1".to_owned()],
            params: Vec::new(),
        }
    }

    /// Adds `clause`, where `?` stands for the next parameter.
    fn add(&mut self, clause: &str, value: String) {
        self.push(clause, Owned::Text(value));
    }

    fn add_int(&mut self, clause: &str, value: i64) {
        self.push(clause, Owned::Int(value));
    }

    /// Adds `clause`, where `?1`, `?2`… stand for `values` in order.
    pub(super) fn add_all(&mut self, clause: &str, values: Vec<Owned>) {
        let mut clause = clause.to_owned();
        let start = self.params.len();
        // Highest first, so that ?1 does not eat the start of ?12.
        for i in (1..=values.len()).rev() {
            clause = clause.replace(&format!("?{i}"), &format!("${}", start + i));
        }
        self.params.extend(values);
        self.clauses.push(clause);
    }

    fn push(&mut self, clause: &str, value: Owned) {
        self.params.push(value);
        let n = self.params.len();
        self.clauses.push(clause.replace('?', &format!("${n}")));
    }

    fn sql(&self) -> String {
        self.clauses.join(" AND ")
    }

    fn params(&self) -> Vec<P<'_>> {
        self.params
            .iter()
            .map(|p| match p {
                Owned::Text(t) => P::from(t),
                Owned::Int(i) => P::from(*i),
            })
            .collect()
    }
}

fn scope_clause(w: &mut Where, scope: &Scope) {
    let Scope::Teams(teams) = scope else {
        return;
    };
    let mut covered = Vec::new();
    for team in teams {
        let mut parts = Vec::new();
        for (column, list) in [("c.queue", &team.queues), ("c.channel", &team.channels)] {
            if list.is_empty() {
                continue;
            }
            let start = w.params.len();
            let marks: Vec<String> = (0..list.len())
                .map(|i| format!("${}", start + i + 1))
                .collect();
            w.params.extend(list.iter().cloned().map(Owned::Text));
            parts.push(format!("{column} IN ({})", marks.join(", ")));
        }
        if !parts.is_empty() {
            covered.push(format!("({})", parts.join(" AND ")));
        }
    }
    if covered.is_empty() {
        w.clauses.push("1 = 0".to_owned());
    } else {
        w.clauses.push(format!("({})", covered.join(" OR ")));
    }
}

/// Drafts not reviewed yet, in the scope.
fn pending_drafts_where(scope: &Scope) -> Where {
    let mut w = Where {
        clauses: vec![
            "m.outcome = 'drafted'".to_owned(),
            "r.verdict IS NULL".to_owned(),
        ],
        params: Vec::new(),
    };
    scope_clause(&mut w, scope);
    w
}

const TRIAGE_MATCH: &str =
    "EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.triage LIKE ?)";

impl Workspace {
    /// The inbox list: most urgent first, then the most recent.
    pub fn inbox(
        &mut self,
        filter: &InboxFilter,
        scope: &Scope,
    ) -> Result<Vec<InboxRow>, StoreError> {
        let mut w = Where::new();
        scope_clause(&mut w, scope);
        if let Some(s) = &filter.status {
            w.add("c.status = ?", s.clone());
        }
        if let Some(q) = &filter.queue {
            w.add("c.queue = ?", q.clone());
        }
        if let Some(team) = &filter.team {
            scope_clause(&mut w, &Scope::Teams(vec![team.clone()]));
        }
        match filter.assignee.as_deref() {
            Some("") => w.clauses.push("c.assignee IS NULL".to_owned()),
            Some(a) => w.add("c.assignee = ?", a.to_owned()),
            None => {}
        }
        if let Some(p) = &filter.platform {
            w.add("c.platform = ?", p.clone());
        }
        if let Some(channel) = &filter.channel {
            w.add("c.channel = ?", channel.clone());
        }
        if filter.has_draft {
            w.clauses.push("c.drafts > 0".to_owned());
        }
        // Triage is stored as compact JSON written by Palabre itself, so a label is a fixed
        // substring of it.
        if let Some(i) = &filter.intent {
            w.add(TRIAGE_MATCH, format!("%\"intent\":\"{i}\"%"));
        }
        if let Some(s) = &filter.sentiment {
            w.add(TRIAGE_MATCH, format!("%\"sentiment\":{{\"label\":\"{s}\"%"));
        }
        if let Some(l) = &filter.lang {
            w.add(TRIAGE_MATCH, format!("%\"lang\":\"{l}\"%"));
        }
        if let Some(t) = filter.text.as_deref().filter(|t| !t.trim().is_empty()) {
            self.attach_search()?;
            super::search::clause(&mut self.conn, &mut w, t.trim())?;
        }
        let order = if filter.status.is_some() {
            "c.priority DESC, c.last_inbound_ms DESC"
        } else {
            "c.last_inbound_ms DESC"
        };
        let limit = filter.limit.clamp(1, 500);
        let sql = with_latest(&w.sql(), order, limit);
        self.conn
            .query(&sql, &w.params())?
            .iter()
            .map(inbox_row)
            .collect()
    }

    /// One conversation's row, if it exists and the scope lets one see it.
    pub fn conversation_row(
        &mut self,
        id: &str,
        scope: &Scope,
    ) -> Result<Option<InboxRow>, StoreError> {
        self.row_by_id(id, scope, false)
    }

    fn row_by_id(
        &mut self,
        id: &str,
        scope: &Scope,
        inbox_only: bool,
    ) -> Result<Option<InboxRow>, StoreError> {
        let mut w = Where {
            clauses: if inbox_only {
                vec!["c.inbox = 1".to_owned()]
            } else {
                Vec::new()
            },
            params: Vec::new(),
        };
        w.add("c.id = ?", id.to_owned());
        scope_clause(&mut w, scope);
        let sql = with_latest(&w.sql(), "c.id", 1);
        self.conn
            .one(&sql, &w.params())?
            .map(|r| inbox_row(&r))
            .transpose()
    }

    /// The whole conversation, if the scope lets one see it.
    pub fn conversation_view(
        &mut self,
        id: &str,
        scope: &Scope,
    ) -> Result<Option<ConversationView>, StoreError> {
        let Some(row) = self.conversation_row(id, scope)? else {
            return Ok(None);
        };
        let messages = self
            .conn
            .query(
                "SELECT m.platform, m.external_id, m.kind, m.author_id, m.author_handle, m.author_name,
                        m.author_followers, m.author_verified, m.text, m.in_reply_to, m.referenced_id, m.created_ms,
                        m.outcome, m.reasons, m.queue, m.reply, m.triage, m.campaign, m.campaign_key, r.verdict,
                        m.listening, m.rating, m.entities
                 FROM messages m
                 LEFT JOIN draft_reviews r ON r.platform = m.platform AND r.external_id = m.external_id
                 WHERE m.conversation_id = $1 ORDER BY m.created_ms, m.seq LIMIT 500",
                &[id.into()],
            )?
            .iter()
            .map(|r| {
                Ok(MessageView {
                    platform: r.text(0)?,
                    external_id: r.text(1)?,
                    kind: r.text(2)?,
                    author_id: r.text(3)?,
                    author_handle: r.opt_text(4)?,
                    author_name: r.opt_text(5)?,
                    author_followers: r.opt_int(6)?,
                    author_verified: r.flag(7)?,
                    text: r.text(8)?,
                    in_reply_to: r.opt_text(9)?,
                    referenced_id: r.opt_text(10)?,
                    created_ms: r.int(11)?,
                    outcome: r.text(12)?,
                    reasons: crate::plan::split_reasons(&r.text(13)?),
                    queue: r.opt_text(14)?,
                    reply: r.opt_text(15)?,
                    triage: r.opt_text(16)?,
                    campaign: r.opt_text(17)?,
                    campaign_key: r.opt_text(18)?,
                    review: r.opt_text(19)?,
                    listening: r.opt_text(20)?,
                    rating: r.opt_int(21)?,
                    after_answer: false,
                    point: r.opt_text(22)?.as_deref().and_then(point_of),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let notes = self
            .conn
            .query(
                "SELECT author, text, created_ms FROM notes WHERE conversation_id = $1 ORDER BY id",
                &[id.into()],
            )?
            .iter()
            .map(|r| {
                Ok(NoteView {
                    author: r.text(0)?,
                    text: r.text(1)?,
                    created_ms: r.int(2)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let outbox = self.outbox_of(id)?;
        let mut messages = messages;
        let answered_ms = outbox
            .iter()
            .filter(|o| {
                o.status == OutboxStatus::Sent && matches!(o.action.as_str(), "reply" | "direct")
            })
            .filter_map(|o| o.sent_ms)
            .min();
        for m in &mut messages {
            m.after_answer = m.reasons.iter().any(|r| r == "review_revised")
                && answered_ms.is_some_and(|answered| answered < m.created_ms);
        }
        // The author's other conversations with the brand (the first inbound author), that the
        // scope lets one see: found through the author's messages (indexed), newest first.
        let mut author_history = Vec::new();
        if let Some(first) = messages.iter().find(|m| m.outcome != "ignored") {
            let key =
                crate::author_key(crate::plan::platform_of(&first.platform)?, &first.author_id);
            let mut w = Where {
                clauses: vec!["c.inbox = 1".to_owned()],
                params: Vec::new(),
            };
            // The author's messages addressed to the brand, in both levels of their history.
            w.add_int(
                "h.seq IN (SELECT seq FROM author_recent WHERE author_key = ?
                           UNION ALL SELECT seq FROM author_history WHERE author_key = ?)",
                key,
            );
            w.add("h.conversation_id <> ?", id.to_owned());
            scope_clause(&mut w, scope);
            // From the author's messages (indexed) to their conversations by primary key.
            let sql = format!(
                "SELECT {ROW_COLUMNS}, l.text, COALESCE(l.author_handle, l.author_id), l.triage, l.author_name
                 FROM (SELECT h.conversation_id AS cid, MAX(h.created_ms) AS at FROM messages h
                       JOIN conversations c ON c.id = h.conversation_id
                       WHERE {} GROUP BY h.conversation_id ORDER BY MAX(h.created_ms) DESC LIMIT 10) recent
                 JOIN conversations c ON c.id = recent.cid
                 LEFT JOIN messages l ON l.seq = (SELECT m.seq FROM messages m WHERE m.conversation_id = c.id
                     AND m.outcome <> 'ignored' ORDER BY m.created_ms DESC, m.seq DESC LIMIT 1)
                 ORDER BY recent.at DESC",
                w.sql()
            );
            for r in self.conn.query(&sql, &w.params())? {
                author_history.push(inbox_row(&r)?);
            }
        }
        Ok(Some(ConversationView {
            row,
            messages,
            notes,
            outbox,
            author_history,
        }))
    }

    /// Assigns a conversation (`None` unassigns).
    pub fn assign(
        &mut self,
        id: &str,
        assignee: Option<&str>,
        actor: &str,
    ) -> Result<bool, StoreError> {
        self.conn.transaction(|c| {
            let before = c
                .one(
                    "SELECT assignee FROM conversations WHERE id = $1 AND status = 'open'",
                    &[id.into()],
                )?
                .map(|r| r.opt_text(0))
                .transpose()?
                .flatten();
            let n = c.exec(
                "UPDATE conversations SET assignee = $1 WHERE id = $2",
                &[assignee.into(), id.into()],
            )?;
            if assignee.is_some() {
                super::assignment::stop_waiting(c, id)?;
            }
            // Taken from an agent: what waits in their queues may go to them now.
            if let Some(before) = before.filter(|b| Some(b.as_str()) != assignee) {
                super::assignment::give_waiting(c, &[before.as_str()])?;
            }
            if let Some(user) = assignee {
                c.exec(
                    "UPDATE users SET last_assigned_ms = $1 WHERE name = $2",
                    &[now_ms().into(), user.into()],
                )?;
            }
            audit(
                c,
                actor,
                "conversation_assigned",
                Some(id),
                Some(assignee.unwrap_or("")),
            )?;
            Ok(n > 0)
        })
    }

    /// Sets a conversation's status (`snoozed` with the time it comes back).
    pub fn set_status(
        &mut self,
        id: &str,
        status: palabre_core::ConversationStatus,
        snoozed_until_ms: Option<i64>,
        actor: &str,
    ) -> Result<bool, StoreError> {
        use palabre_core::ConversationStatus as S;
        let until = snoozed_until_ms.filter(|_| status == S::Snoozed);
        self.conn.transaction(|c| {
            // Resolving clears the urgency: a new message raises it again.
            let n = c.exec(
                "UPDATE conversations SET status = $1, snoozed_until_ms = $2,
                    priority = CASE WHEN $3 = 'resolved' THEN 0 ELSE priority END WHERE id = $4",
                &[
                    status.as_str().into(),
                    until.into(),
                    status.as_str().into(),
                    id.into(),
                ],
            )?;
            let detail = until.map_or_else(
                || status.as_str().to_owned(),
                |u| format!("{} until {u}", status.as_str()),
            );
            audit(c, actor, "conversation_status", Some(id), Some(&detail))?;
            super::assignment::recount_loads_of(c, &[id])?;
            if status != S::Open {
                super::assignment::freed(c, id)?;
            }
            Ok(n > 0)
        })
    }

    /// Snoozed conversations whose time has come open again; their ids.
    pub fn wake_snoozed(&mut self, now: i64) -> Result<Vec<String>, StoreError> {
        self.conn.transaction(|c| {
            let rows = c.query(
                "UPDATE conversations SET status = 'open', snoozed_until_ms = NULL
                 WHERE status = 'snoozed' AND snoozed_until_ms <= $1 RETURNING id",
                &[now.into()],
            )?;
            let ids = rows
                .iter()
                .map(|r| r.text(0))
                .collect::<Result<Vec<_>, _>>()?;
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            super::assignment::recount_loads_of(c, &refs)?;
            Ok(ids)
        })
    }

    /// A human takes the conversation over (`true`: the bot stays out) or releases it.
    pub fn set_bot_paused(
        &mut self,
        id: &str,
        paused: bool,
        actor: &str,
    ) -> Result<bool, StoreError> {
        self.conn.transaction(|c| {
            let n = c.exec(
                "UPDATE conversations SET bot_paused = $1 WHERE id = $2",
                &[P::Bool(paused), id.into()],
            )?;
            let action = if paused { "bot_paused" } else { "bot_released" };
            audit(c, actor, action, Some(id), None)?;
            Ok(n > 0)
        })
    }

    /// Conversations a human took over, for the pipeline at start.
    pub fn paused_conversations(&mut self) -> Result<Vec<String>, StoreError> {
        self.conn
            .query(
                "SELECT id FROM conversations WHERE bot_paused = $1",
                &[P::Bool(true)],
            )?
            .iter()
            .map(|r| r.text(0))
            .collect()
    }

    pub fn add_note(&mut self, id: &str, author: &str, text: &str) -> Result<(), StoreError> {
        self.conn.transaction(|c| {
            c.exec(
                "INSERT INTO notes (conversation_id, author, text, created_ms) VALUES ($1, $2, $3, $4)",
                &[id.into(), author.into(), text.into(), now_ms().into()],
            )?;
            audit(c, author, "note_added", Some(id), None)
        })
    }

    /// A human's reply: sent through the outbox; the human takes the conversation over (the
    /// bot stays out until released) and a `pending` status waits for the author.
    pub fn human_reply(&mut self, action: &NewAction<'_>) -> Result<(i64, bool), StoreError> {
        self.conn.transaction(|c| {
            let (id, created) = enqueue(c, action)?;
            if created && let Some(conversation) = action.conversation_id {
                c.exec(
                    "UPDATE conversations SET bot_paused = $1, status = 'pending', priority = 0 WHERE id = $2",
                    &[P::Bool(true), conversation.into()],
                )?;
                audit(c, action.actor, "human_replied", Some(conversation), None)?;
                super::assignment::recount_loads_of(c, &[conversation])?;
                super::assignment::freed(c, conversation)?;
            }
            Ok((id, created))
        })
    }

    /// Drafts waiting for a human, oldest first.
    pub fn pending_drafts(
        &mut self,
        scope: &Scope,
        limit: usize,
    ) -> Result<Vec<DraftItem>, StoreError> {
        let w = pending_drafts_where(scope);
        let sql = format!(
            "SELECT m.platform, m.external_id, m.conversation_id, COALESCE(m.author_handle, m.author_id), m.text, m.reply,
                    m.reasons, m.campaign, m.created_ms
             FROM messages m JOIN conversations c ON c.id = m.conversation_id
             LEFT JOIN draft_reviews r ON r.platform = m.platform AND r.external_id = m.external_id
             WHERE {} ORDER BY m.created_ms LIMIT {}",
            w.sql(),
            limit.clamp(1, 500)
        );
        self.conn
            .query(&sql, &w.params())?
            .iter()
            .map(|r| {
                Ok(DraftItem {
                    platform: r.text(0)?,
                    external_id: r.text(1)?,
                    conversation_id: r.text(2)?,
                    author: r.opt_text(3)?,
                    text: r.text(4)?,
                    draft: r.opt_text(5)?.unwrap_or_default(),
                    reasons: crate::plan::split_reasons(&r.text(6)?),
                    campaign: r.opt_text(7)?,
                    created_ms: r.int(8)?,
                })
            })
            .collect()
    }

    /// How many drafts wait for a human in the scope.
    pub fn pending_draft_count(&mut self, scope: &Scope) -> Result<i64, StoreError> {
        let w = pending_drafts_where(scope);
        let sql = format!(
            "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
             LEFT JOIN draft_reviews r ON r.platform = m.platform AND r.external_id = m.external_id
             WHERE {}",
            w.sql()
        );
        self.conn
            .one(&sql, &w.params())?
            .map_or(Ok(0), |r| r.int(0))
    }

    /// The conversation of the draft answering this message, reviewed or not.
    pub fn draft_conversation(
        &mut self,
        platform: &str,
        external_id: &str,
    ) -> Result<Option<String>, StoreError> {
        self.conn
            .one(
                "SELECT conversation_id FROM messages
                 WHERE platform = $1 AND external_id = $2 AND outcome = 'drafted'",
                &[platform.into(), external_id.into()],
            )?
            .map(|r| r.text(0))
            .transpose()
    }

    /// The reply a person approved for this message, as the guardrails remember sent replies
    /// (with the text that went out, at the review's time).
    pub fn approved_reply(
        &mut self,
        platform: &str,
        external_id: &str,
    ) -> Result<Option<palabre_core::SentReply>, StoreError> {
        self.sent_reply(
            "SELECT m.author_key, m.campaign, m.campaign_key, m.conversation_id,
                    COALESCE(r.final_text, m.reply), r.at_ms
             FROM draft_reviews r JOIN messages m
                 ON m.platform = r.platform AND m.external_id = r.external_id
             WHERE r.platform = $1 AND r.external_id = $2 AND r.verdict = 'approved'",
            platform,
            external_id,
        )
    }

    /// The bot's reply to this message as the guardrails remembered it when it was decided
    /// (its text, at the message's time): what they must forget when the outbox withdraws it.
    pub fn decided_reply(
        &mut self,
        platform: &str,
        external_id: &str,
    ) -> Result<Option<palabre_core::SentReply>, StoreError> {
        self.sent_reply(
            "SELECT author_key, campaign, campaign_key, conversation_id, reply, created_ms
             FROM messages WHERE platform = $1 AND external_id = $2",
            platform,
            external_id,
        )
    }

    /// A reply read by `sql` (author key, campaign, key, conversation, text, time in ms).
    fn sent_reply(
        &mut self,
        sql: &str,
        platform: &str,
        external_id: &str,
    ) -> Result<Option<palabre_core::SentReply>, StoreError> {
        let Some(r) = self.conn.one(sql, &[platform.into(), external_id.into()])? else {
            return Ok(None);
        };
        let (Some(text), Some(campaign)) = (r.opt_text(4)?, r.opt_text(1)?) else {
            return Ok(None);
        };
        let at = palabre_core::Timestamp::from_millisecond(r.int(5)?)
            .map_err(|e| StoreError::Corrupt(format!("reply time: {e}")))?;
        Ok(Some(palabre_core::SentReply {
            author: r.int(0)? as u64,
            campaign,
            key: r.opt_text(2)?.unwrap_or_default(),
            conversation: r.text(3)?,
            text,
            at,
        }))
    }

    /// Approves (sending `final_text`, the draft as it is or edited) or rejects a draft, once:
    /// the review's primary key makes a second reviewer, even at the same instant, find it
    /// already reviewed, and nothing is sent twice.
    #[allow(clippy::too_many_arguments)]
    pub fn review_draft(
        &mut self,
        platform: &str,
        external_id: &str,
        approve: bool,
        final_text: Option<&str>,
        reason: Option<&str>,
        reviewer: &str,
        priority: i64,
    ) -> Result<ReviewOutcome, StoreError> {
        let attempt = self.conn.transaction(|c| {
            let Some(d) = c.one(
                "SELECT conversation_id, reply, campaign FROM messages
                 WHERE platform = $1 AND external_id = $2 AND outcome = 'drafted'",
                &[platform.into(), external_id.into()],
            )?
            else {
                return Ok(ReviewOutcome::NotADraft);
            };
            let conversation = d.text(0)?;
            let text = final_text
                .map(str::to_owned)
                .or(d.opt_text(1)?)
                .unwrap_or_default();
            let campaign = d.opt_text(2)?;
            let verdict = if approve { "approved" } else { "rejected" };
            c.exec(
                "INSERT INTO draft_reviews (platform, external_id, verdict, reason, final_text, reviewer, at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    platform.into(),
                    external_id.into(),
                    verdict.into(),
                    reason.into(),
                    P::Text(approve.then_some(text.as_str())),
                    reviewer.into(),
                    now_ms().into(),
                ],
            )?;
            c.exec(
                "UPDATE conversations SET drafts = CASE WHEN drafts > 0 THEN drafts - 1 ELSE 0 END WHERE id = $1",
                &[conversation.as_str().into()],
            )?;
            let target = format!("{platform}:{external_id}");
            audit(
                c,
                reviewer,
                if approve { "draft_approved" } else { "draft_rejected" },
                Some(&target),
                reason,
            )?;
            if !approve {
                return Ok(ReviewOutcome::Done { outbox_id: None });
            }
            let key = format!("draft:{platform}:{external_id}");
            let (id, _) = enqueue(
                c,
                &NewAction {
                    idem_key: &key,
                    action: "reply",
                    platform,
                    conversation_id: Some(&conversation),
                    target_id: Some(external_id),
                    text: Some(&text),
                    origin: "bot",
                    actor: reviewer,
                    priority,
                    campaign: campaign.as_deref(),
                    choices: None,
                    channel: None,
                },
            )?;
            Ok(ReviewOutcome::Done {
                outbox_id: Some(id),
            })
        });
        match attempt {
            Err(e) if Conn::is_conflict(&e) => self.existing_review(platform, external_id),
            other => other,
        }
    }

    fn existing_review(
        &mut self,
        platform: &str,
        external_id: &str,
    ) -> Result<ReviewOutcome, StoreError> {
        let r = self.conn.one(
            "SELECT verdict, reviewer FROM draft_reviews WHERE platform = $1 AND external_id = $2",
            &[platform.into(), external_id.into()],
        )?;
        match r {
            Some(r) => Ok(ReviewOutcome::AlreadyReviewed {
                verdict: r.text(0)?,
                by: r.text(1)?,
            }),
            None => Ok(ReviewOutcome::NotADraft),
        }
    }

    /// Rejection reasons and their counts, for the campaign report.
    pub fn rejection_reasons(&mut self) -> Result<Vec<(String, i64)>, StoreError> {
        self.conn
            .query(
                "SELECT COALESCE(reason, ''), COUNT(*) FROM draft_reviews WHERE verdict = 'rejected'
                 GROUP BY COALESCE(reason, '') ORDER BY COUNT(*) DESC",
                &[],
            )?
            .iter()
            .map(|r| Ok((r.text(0)?, r.int(1)?)))
            .collect()
    }

    /// Draft reviews by campaign, verdict and reason, for the campaigns' report: what people
    /// approved and why they rejected.
    pub fn review_report(&mut self) -> Result<Vec<ReviewCount>, StoreError> {
        self.conn
            .query(
                "SELECT COALESCE(m.campaign, ''), r.verdict, COALESCE(r.reason, ''), COUNT(*)
                 FROM draft_reviews r JOIN messages m ON m.platform = r.platform AND m.external_id = r.external_id
                 GROUP BY COALESCE(m.campaign, ''), r.verdict, COALESCE(r.reason, '')
                 ORDER BY COALESCE(m.campaign, ''), COUNT(*) DESC",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(ReviewCount {
                    campaign: r.text(0)?,
                    verdict: r.text(1)?,
                    reason: r.text(2)?,
                    count: r.int(3)?,
                })
            })
            .collect()
    }
}

/// A line of the review report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewCount {
    pub campaign: String,
    /// `approved` or `rejected`.
    pub verdict: String,
    /// The reviewer's reason (empty when none was given).
    pub reason: String,
    pub count: i64,
}

/// A message waiting in the moderation queue.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModerationItem {
    pub platform: String,
    pub external_id: String,
    pub conversation_id: String,
    pub author_handle: Option<String>,
    pub text: String,
    /// `hidden` when the bot hid it at once; otherwise what was decided (toxic, left visible).
    pub outcome: String,
}

impl Workspace {
    /// Messages hidden by the bot or triaged toxic, newest first, within the caller's scope
    /// (one statement, through the partial index `messages_moderation`).
    pub fn moderation_queue(
        &mut self,
        scope: &Scope,
        limit: usize,
    ) -> Result<Vec<ModerationItem>, StoreError> {
        let sql = format!(
            "SELECT m.platform, m.external_id, m.conversation_id, m.author_handle, m.text, m.outcome, c.queue, c.channel
             FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE (m.outcome = 'hidden' OR m.toxic = 1)
             ORDER BY m.seq DESC LIMIT {}",
            limit.clamp(1, 1000)
        );
        let mut out = Vec::new();
        for r in self.conn.query(&sql, &[])? {
            if !scope.covers(r.opt_text(6)?.as_deref(), r.opt_text(7)?.as_deref()) {
                continue;
            }
            out.push(ModerationItem {
                platform: r.text(0)?,
                external_id: r.text(1)?,
                conversation_id: r.text(2)?,
                author_handle: r.opt_text(3)?,
                text: r.text(4)?,
                outcome: r.text(5)?,
            });
        }
        Ok(out)
    }
}
