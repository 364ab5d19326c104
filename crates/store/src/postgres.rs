//! The PostgreSQL backend, for production: each batch is a handful of bulk `UNNEST` statements
//! in one transaction, so a batch costs a few round trips whatever its size.

use crate::migrate::{POSTGRES, latest};
use crate::plan::{ConversationColumns, conversation, plan, platform_of, split_reasons, timestamp};
use crate::{
    AuditEntry, CampaignTurn, Counts, Entry, ReadMessage, StoreError, StoredDecision,
    StoredMessage, StoredTurn, WriteSummary,
};
use palabre_core::{
    Conversation, ConversationId, EventId, ExternalId, MessageKeys, SeedRow, SentReply, Timestamp,
};
use postgres::{Client, NoTls, Row};

/// A Palabre store in a PostgreSQL database.
pub struct PostgresStore {
    client: Client,
}

impl PostgresStore {
    /// Connects to `url` and migrates. With `schema`, works inside that schema (created if
    /// needed): tests use one fresh schema each.
    pub fn connect(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        let mut client = Client::connect(url, NoTls)?;
        if let Some(schema) = schema {
            let quoted = format!("\"{}\"", schema.replace('"', "\"\""));
            client.batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {quoted}; SET search_path TO {quoted}"
            ))?;
        }
        let mut store = PostgresStore { client };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let mut tx = self.client.transaction()?;
        // One migrator at a time, whatever the number of nodes starting together.
        tx.execute("SELECT pg_advisory_xact_lock(1885430380)", &[])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)",
        )?;
        let current: i32 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )?
            .get(0);
        let known = latest(POSTGRES);
        if i64::from(current) > i64::from(known) {
            return Err(StoreError::TooNew {
                found: i64::from(current),
                known,
            });
        }
        for (version, sql) in POSTGRES
            .iter()
            .filter(|(v, _)| i64::from(*v) > i64::from(current))
        {
            tx.batch_execute(sql).map_err(|e| StoreError::Migration {
                backend: "postgres",
                version: *version,
                message: crate::error::postgres_detail(&e),
            })?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)",
                &[&(*version as i32), &Timestamp::now().as_millisecond()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

const MESSAGE_COLUMNS: &str =
    "platform, external_id, kind, author_id, text, conversation_id, created_ms, raw";

fn stored_message(row: &Row) -> Result<StoredMessage, StoreError> {
    let platform: String = row.try_get(0)?;
    let external: String = row.try_get(1)?;
    let conversation: String = row.try_get(5)?;
    Ok(StoredMessage {
        id: EventId::new(
            platform_of(&platform)?,
            ExternalId::new(&external).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        ),
        kind: row.try_get(2)?,
        author_id: row.try_get(3)?,
        text: row.try_get(4)?,
        conversation: ConversationId::from_stored(&conversation),
        created_at: timestamp(row.try_get(6)?)?,
        raw: row.try_get(7)?,
    })
}

/// Column arrays for the bulk insert of messages.
#[derive(Default)]
struct MessageColumns<'a> {
    platform: Vec<&'a str>,
    external_id: Vec<&'a str>,
    fingerprint: Vec<i64>,
    content_hash: Vec<i64>,
    request_key: Vec<Option<i64>>,
    conversation_id: Vec<&'a str>,
    rootless: Vec<bool>,
    kind: Vec<&'a str>,
    author_id: Vec<&'a str>,
    text: Vec<&'a str>,
    lang_hint: Vec<Option<&'a str>>,
    in_reply_to: Vec<Option<&'a str>>,
    referenced_id: Vec<Option<&'a str>>,
    rating: Vec<Option<i16>>,
    entities: Vec<&'a str>,
    created_ms: Vec<i64>,
    raw: Vec<&'a str>,
    outcome: Vec<&'a str>,
    reasons: Vec<&'a str>,
    queue: Vec<Option<&'a str>>,
    reply: Vec<Option<&'a str>>,
    triage: Vec<Option<&'a str>>,
    decided_ms: Vec<i64>,
    author_key: Vec<i64>,
    campaign: Vec<Option<&'a str>>,
    campaign_key: Vec<Option<&'a str>>,
    author_handle: Vec<Option<&'a str>>,
    author_name: Vec<Option<&'a str>>,
    author_verified: Vec<bool>,
    author_followers: Vec<Option<i64>>,
    toxic: Vec<i16>,
    listening: Vec<Option<&'a str>>,
}

impl crate::Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn write(&mut self, entries: &[Entry]) -> Result<WriteSummary, StoreError> {
        let mut summary = WriteSummary::default();
        let mut cols = MessageColumns::default();
        for entry in entries {
            let Entry::Message {
                message: m,
                keys,
                decision,
                decided_at,
                prepared,
            } = entry
            else {
                continue;
            };
            cols.platform.push(m.id.platform.as_str());
            cols.external_id.push(m.id.external.as_str());
            cols.fingerprint.push(keys.event as i64);
            cols.content_hash.push(keys.content as i64);
            cols.request_key.push(keys.request.map(|r| r as i64));
            cols.conversation_id.push(
                decision
                    .conversation
                    .as_ref()
                    .map(|c| c.as_str())
                    .unwrap_or(""),
            );
            cols.rootless.push(m.thread_root.is_none());
            cols.kind.push(m.kind.as_str());
            cols.author_id.push(&m.author.id);
            cols.text.push(m.text.as_str());
            cols.lang_hint.push(m.lang_hint.as_deref());
            cols.in_reply_to
                .push(m.in_reply_to.as_ref().map(|i| i.as_str()));
            cols.referenced_id
                .push(m.referenced.as_ref().map(|r| r.id.as_str()));
            cols.rating.push(m.rating.map(|r| i16::from(r.stars())));
            cols.entities.push(&prepared.entities);
            cols.created_ms.push(m.created_at.as_millisecond());
            cols.raw.push(&m.raw);
            cols.outcome.push(decision.outcome.as_str());
            cols.reasons.push(&prepared.reasons);
            cols.queue.push(decision.queue.as_deref());
            cols.reply.push(decision.reply.as_deref());
            cols.triage.push(prepared.triage.as_deref());
            cols.decided_ms.push(decided_at.as_millisecond());
            cols.author_key.push(prepared.author_key);
            cols.campaign.push(decision.campaign.as_deref());
            cols.campaign_key.push(decision.campaign_key.as_deref());
            cols.author_handle.push(m.author.handle.as_deref());
            cols.author_name.push(m.author.display_name.as_deref());
            cols.author_verified.push(m.author.verified);
            cols.author_followers
                .push(m.author.followers.map(|n| n as i64));
            cols.toxic.push(i16::from(prepared.toxic));
            cols.listening.push(prepared.listening.as_deref());
        }

        let mut tx = self.client.transaction()?;
        // Each new message addressed to the brand is filed in the author's history in the
        // same statement (see migration 5).
        let inserted_rows = tx.query(
            "WITH inserted AS (INSERT INTO messages (platform, external_id, fingerprint, content_hash, request_key, conversation_id,
                rootless, kind, author_id, text, lang_hint, in_reply_to, referenced_id, rating, entities, created_ms, raw,
                outcome, reasons, queue, reply, triage, decided_ms, author_key, campaign, campaign_key,
                author_handle, author_name, author_verified, author_followers, toxic, listening)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[],
                $7::bool[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::smallint[],
                $15::text[], $16::bigint[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[],
                $23::bigint[], $24::bigint[], $25::text[], $26::text[], $27::text[], $28::text[], $29::bool[],
                $30::bigint[], $31::smallint[], $32::text[])
             ON CONFLICT (platform, external_id) DO NOTHING
             RETURNING platform, external_id, author_key, seq, outcome),
             history AS (INSERT INTO author_history (author_key, seq)
                SELECT author_key, seq FROM inserted WHERE outcome <> 'ignored')
             SELECT platform, external_id FROM inserted",
            &[
                &cols.platform,
                &cols.external_id,
                &cols.fingerprint,
                &cols.content_hash,
                &cols.request_key,
                &cols.conversation_id,
                &cols.rootless,
                &cols.kind,
                &cols.author_id,
                &cols.text,
                &cols.lang_hint,
                &cols.in_reply_to,
                &cols.referenced_id,
                &cols.rating,
                &cols.entities,
                &cols.created_ms,
                &cols.raw,
                &cols.outcome,
                &cols.reasons,
                &cols.queue,
                &cols.reply,
                &cols.triage,
                &cols.decided_ms,
                &cols.author_key,
                &cols.campaign,
                &cols.campaign_key,
                &cols.author_handle,
                &cols.author_name,
                &cols.author_verified,
                &cols.author_followers,
                &cols.toxic,
                &cols.listening,
            ],
        )?;
        summary.inserted = inserted_rows.len() as u64;
        let stored_now: std::collections::HashSet<(String, String)> = inserted_rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, postgres::Error>>()?;
        let fresh: Vec<bool> = entries
            .iter()
            .map(|e| match e {
                Entry::Message { message, .. } => stored_now.contains(&(
                    message.id.platform.as_str().to_owned(),
                    message.id.external.as_str().to_owned(),
                )),
                _ => false,
            })
            .collect();
        summary.already_stored = cols.platform.len() as u64 - summary.inserted;

        let (mut r_source, mut r_line, mut r_event, mut r_reason) =
            (vec![], vec![], vec![], vec![]);
        let (mut r_error, mut r_raw, mut r_at) = (vec![], vec![], vec![]);
        for entry in entries {
            match entry {
                Entry::Message { .. } => {}
                Entry::Conflict {
                    message,
                    source,
                    line,
                    decided_at,
                } => {
                    r_source.push(source.as_str());
                    r_line.push(line.map(|l| l as i64));
                    r_event.push(Some(message.id.to_string()));
                    r_reason.push("id_conflict");
                    r_error.push(
                        "this id was already stored with other content; the first version stands",
                    );
                    r_raw.push(&*message.raw);
                    r_at.push(decided_at.as_millisecond());
                }
                Entry::Rejected {
                    source,
                    line,
                    reason,
                    error,
                    raw,
                    at,
                } => {
                    r_source.push(source.as_str());
                    r_line.push(line.map(|l| l as i64));
                    r_event.push(None);
                    r_reason.push(reason.as_str());
                    r_error.push(error.as_str());
                    r_raw.push(raw.as_str());
                    r_at.push(at.as_millisecond());
                }
            }
        }
        summary.rejected = r_source.len() as u64;
        if !r_source.is_empty() {
            tx.execute(
                "INSERT INTO rejects (source, line, event_id, reason, error, raw, recorded_ms)
                 SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])",
                &[&r_source, &r_line, &r_event, &r_reason, &r_error, &r_raw, &r_at],
            )?;
        }

        let plan = plan(entries, &fresh);
        if !plan.interactions.is_empty() {
            let platforms: Vec<&str> = plan.interactions.iter().map(|i| i.0).collect();
            let hours: Vec<i64> = plan.interactions.iter().map(|i| i.1).collect();
            let counts: Vec<i64> = plan.interactions.iter().map(|i| i.2).collect();
            tx.execute(
                "INSERT INTO interactions_hourly (platform, hour, count)
                 SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[])
                 ON CONFLICT (platform, hour) DO UPDATE SET count = interactions_hourly.count + excluded.count",
                &[&platforms, &hours, &counts],
            )?;
        }
        if !plan.conversations.is_empty() {
            let ids: Vec<&str> = plan.conversations.iter().map(|c| c.id).collect();
            let platforms: Vec<&str> = plan
                .conversations
                .iter()
                .map(|c| c.platform.as_str())
                .collect();
            let roots: Vec<Option<&str>> = plan.conversations.iter().map(|c| c.root).collect();
            let firsts: Vec<i64> = plan.conversations.iter().map(|c| c.first_ms).collect();
            let lasts: Vec<i64> = plan
                .conversations
                .iter()
                .map(|c| c.last_inbound_ms)
                .collect();
            let statuses: Vec<&str> = plan.conversations.iter().map(|c| c.status()).collect();
            let queues: Vec<Option<&str>> = plan.conversations.iter().map(|c| c.queue).collect();
            let priorities: Vec<i64> = plan.conversations.iter().map(|c| c.priority).collect();
            let drafts: Vec<i64> = plan.conversations.iter().map(|c| c.drafts).collect();
            let channels: Vec<Option<&str>> =
                plan.conversations.iter().map(|c| c.channel).collect();
            let sql = String::from(
                "INSERT INTO conversations (id, platform, root_id, created_ms, last_inbound_ms, inbox, queue, priority, drafts, status, channel)
                 SELECT i, p, r, f, l, 1, q, pr, d, s, ch FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[],
                        $5::bigint[], $6::text[], $7::bigint[], $8::bigint[], $9::text[], $10::text[])
                        AS t(i, p, r, f, l, q, pr, d, s, ch)
                 ON CONFLICT (id) DO UPDATE SET created_ms = LEAST(conversations.created_ms, excluded.created_ms),
                    last_inbound_ms = GREATEST(COALESCE(conversations.last_inbound_ms, 0), excluded.last_inbound_ms),",
            ) + crate::plan::INBOX_UPSERT;
            tx.execute(
                &sql,
                &[
                    &ids,
                    &platforms,
                    &roots,
                    &firsts,
                    &lasts,
                    &queues,
                    &priorities,
                    &drafts,
                    &statuses,
                    &channels,
                ],
            )?;
        }
        tx.commit()?;
        Ok(summary)
    }

    fn seed_rows(&mut self, limit: usize) -> Result<Vec<SeedRow>, StoreError> {
        let rows = self.client.query(
            "SELECT platform, fingerprint, content_hash, request_key, conversation_id, created_ms, rootless
             FROM (SELECT * FROM messages ORDER BY seq DESC LIMIT $1) recent ORDER BY seq",
            &[&(limit as i64)],
        )?;
        rows.iter()
            .map(|r| {
                let platform: String = r.try_get(0)?;
                let request: Option<i64> = r.try_get(3)?;
                Ok(SeedRow {
                    platform: platform_of(&platform)?,
                    keys: MessageKeys {
                        event: r.try_get::<_, i64>(1)? as u64,
                        content: r.try_get::<_, i64>(2)? as u64,
                        request: request.map(|x| x as u64),
                    },
                    conversation: r.try_get(4)?,
                    created_at: timestamp(r.try_get(5)?)?,
                    rootless: r.try_get(6)?,
                })
            })
            .collect()
    }

    fn recent_replies(&mut self, limit: usize) -> Result<Vec<SentReply>, StoreError> {
        let rows = self
            .client
            .query(crate::plan::RECENT_REPLIES, &[&(limit as i64)])?;
        rows.iter()
            .map(|r| {
                Ok(SentReply {
                    author: r.try_get::<_, i64>(0)? as u64,
                    campaign: r.try_get(1)?,
                    key: r.try_get::<_, Option<String>>(2)?.unwrap_or_default(),
                    conversation: r.try_get(3)?,
                    text: r.try_get(4)?,
                    at: timestamp(r.try_get(5)?)?,
                })
            })
            .collect()
    }

    fn recent_campaign_turns(&mut self, limit: usize) -> Result<Vec<CampaignTurn>, StoreError> {
        let rows = self
            .client
            .query(crate::plan::RECENT_CAMPAIGN_TURNS, &[&(limit as i64)])?;
        rows.iter()
            .map(|r| {
                let reasons: String = r.try_get(4)?;
                Ok(CampaignTurn {
                    conversation: r.try_get(0)?,
                    author: r.try_get::<_, i64>(1)? as u64,
                    campaign: r.try_get(2)?,
                    decision: StoredDecision {
                        outcome: r.try_get(3)?,
                        reasons: split_reasons(&reasons),
                        queue: None,
                        reply: r.try_get(5)?,
                        triage: r.try_get(6)?,
                    },
                    text: r.try_get(7)?,
                    at: timestamp(r.try_get(8)?)?,
                })
            })
            .collect()
    }

    fn recent_read(&mut self, limit: usize) -> Result<Vec<ReadMessage>, StoreError> {
        let rows = self
            .client
            .query(crate::plan::RECENT_READ, &[&(limit as i64)])?;
        rows.iter()
            .map(|r| {
                Ok(ReadMessage {
                    author: r.try_get::<_, i64>(0)? as u64,
                    text: r.try_get(1)?,
                    triage: r.try_get(2)?,
                    at: timestamp(r.try_get(3)?)?,
                })
            })
            .collect()
    }

    fn recent_turns(&mut self, limit: usize) -> Result<Vec<StoredTurn>, StoreError> {
        let rows = self
            .client
            .query(crate::plan::RECENT_TURNS, &[&(limit as i64)])?;
        rows.iter()
            .map(|r| {
                let outcome: Option<String> = r.try_get(2)?;
                let reasons: String = r.try_get(3)?;
                let triage: Option<String> = r.try_get(4)?;
                Ok(StoredTurn {
                    conversation: r.try_get(0)?,
                    author: r.try_get::<_, i64>(1)? as u64,
                    decision: outcome.map(|outcome| StoredDecision {
                        outcome,
                        reasons: split_reasons(&reasons),
                        queue: None,
                        reply: None,
                        triage,
                    }),
                    campaign_key: r.try_get(5)?,
                    at: timestamp(r.try_get(6)?)?,
                })
            })
            .collect()
    }

    fn message(&mut self, id: &EventId) -> Result<Option<StoredMessage>, StoreError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE platform = $1 AND external_id = $2"
        );
        let row = self
            .client
            .query_opt(&sql, &[&id.platform.as_str(), &id.external.as_str()])?;
        row.as_ref().map(stored_message).transpose()
    }

    fn decision(&mut self, id: &EventId) -> Result<Option<StoredDecision>, StoreError> {
        let row = self.client.query_opt(
            "SELECT outcome, reasons, queue, reply, triage FROM decisions WHERE platform = $1 AND external_id = $2",
            &[&id.platform.as_str(), &id.external.as_str()],
        )?;
        row.map(|r| {
            Ok(StoredDecision {
                outcome: r.try_get(0)?,
                reasons: split_reasons(r.try_get(1)?),
                queue: r.try_get(2)?,
                reply: r.try_get(3)?,
                triage: r.try_get(4)?,
            })
        })
        .transpose()
    }

    fn conversation(&mut self, id: &ConversationId) -> Result<Option<Conversation>, StoreError> {
        let Some(r) = self.client.query_opt(
            "SELECT platform, root_id, status, assignee, bot_paused, last_inbound_ms, last_outbound_ms
             FROM conversations WHERE id = $1",
            &[&id.as_str()],
        )?
        else {
            return Ok(None);
        };
        let participants = self
            .client
            .query(
                "SELECT author_id FROM messages WHERE conversation_id = $1
                 GROUP BY author_id ORDER BY MIN(created_ms), author_id",
                &[&id.as_str()],
            )?
            .iter()
            .map(|p| p.try_get(0))
            .collect::<Result<Vec<String>, _>>()?;
        let columns = ConversationColumns {
            platform: r.try_get(0)?,
            root: r.try_get(1)?,
            status: r.try_get(2)?,
            assignee: r.try_get(3)?,
            bot_paused: r.try_get(4)?,
            last_inbound_ms: r.try_get(5)?,
            last_outbound_ms: r.try_get(6)?,
        };
        Ok(Some(conversation(id, columns, participants)?))
    }

    fn conversation_messages(
        &mut self,
        id: &ConversationId,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 ORDER BY created_ms, seq"
        );
        let rows = self.client.query(&sql, &[&id.as_str()])?;
        rows.iter().map(stored_message).collect()
    }

    fn append_audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.client.execute(
            "INSERT INTO audit_log (at_ms, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
            &[&entry.at.as_millisecond(), &entry.actor, &entry.action, &entry.target, &entry.detail],
        )?;
        Ok(())
    }

    fn audit_log(&mut self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = self.client.query(
            "SELECT at_ms, actor, action, target, detail FROM audit_log ORDER BY seq DESC LIMIT $1",
            &[&(limit as i64)],
        )?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: timestamp(r.try_get(0)?)?,
                    actor: r.try_get(1)?,
                    action: r.try_get(2)?,
                    target: r.try_get(3)?,
                    detail: r.try_get(4)?,
                })
            })
            .collect()
    }

    fn outcome_counts(&mut self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows = self.client.query(
            "SELECT outcome, COUNT(*) FROM decisions GROUP BY outcome ORDER BY outcome",
            &[],
        )?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get::<_, i64>(1)? as u64)))
            .collect()
    }

    fn counts(&mut self) -> Result<Counts, StoreError> {
        let r = self.client.query_one(
            "SELECT (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM decisions), (SELECT COUNT(*) FROM conversations),
                    (SELECT COUNT(DISTINCT author_key) FROM messages), (SELECT COUNT(*) FROM rejects), (SELECT COUNT(*) FROM audit_log)",
            &[],
        )?;
        let n = |i: usize| -> Result<u64, StoreError> { Ok(r.try_get::<_, i64>(i)? as u64) };
        Ok(Counts {
            messages: n(0)?,
            decisions: n(1)?,
            conversations: n(2)?,
            authors: n(3)?,
            rejects: n(4)?,
            audit: n(5)?,
        })
    }
}
