//! The set of active campaigns and the one call the pipeline makes: [`CampaignSet::evaluate`].

use crate::campaign::{Campaign, ChannelSpec};
use crate::error::{CampaignError, ErrorKind};
use crate::extract::{Repair, Request};
use crate::fold::{fold_into, fold_words};
use crate::limit::Limit;
use crate::load::Loader;
use crate::render::Renderer;
use crate::reply::{Speaker, answer_context, check_example, render_answer, render_help};
use crate::resolve::{HelpCause, Resolution, resolve};
use crate::table::Table;
use crate::trigger::{Hit, TriggerIndex, Triggers};
use palabre_core::{Lang, Message, MessageKind};
use std::path::Path;
use std::sync::Arc;

/// What a campaign answers to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CampaignReply {
    /// The looked-up answer, rendered within the platform's limit.
    Answer {
        text: String,
        /// Which template of the language's list was used (0 = the first, longest).
        variant: usize,
        /// Cut at a word boundary because no variant fit.
        truncated: bool,
    },
    /// The request triggered the campaign but could not be read or found, even repaired:
    /// the help text shows the expected form. The pipeline sends it once and routes the
    /// message to a human with reason `malformed_request`.
    Help { text: String, cause: HelpCause },
    /// The reply could not be rendered with this message's values (a template error that the
    /// load-time rehearsal did not reveal): route to a human.
    Failed { template: String, error: String },
}

/// A campaign that recognised a message as its request.
#[derive(Debug, Clone)]
pub struct CampaignMatch {
    /// The campaign (id, mode, window… what the guardrails need).
    pub campaign: Arc<Campaign>,
    /// The channel that should answer.
    pub channel: ChannelSpec,
    /// The request's key, stable across messages: `code=69003`, `from=AMS&to=JFK&date=2026-05-12`;
    /// `help` for a help reply. One answer per (author, campaign, key) per window.
    pub key: String,
    /// The language of the reply.
    pub lang: Lang,
    pub reply: CampaignReply,
    /// The repairs that made a malformed request readable.
    pub repairs: Vec<Repair>,
    /// The extracted fields, for the record (`[("code", "69003")]`).
    pub fields: Vec<(String, String)>,
}

impl CampaignMatch {
    /// The text to send (answer, help), if any.
    pub fn text(&self) -> Option<&str> {
        match &self.reply {
            CampaignReply::Answer { text, .. } | CampaignReply::Help { text, .. } => Some(text),
            CampaignReply::Failed { .. } => None,
        }
    }

    pub fn is_answer(&self) -> bool {
        matches!(self.reply, CampaignReply::Answer { .. })
    }

    pub fn is_help(&self) -> bool {
        matches!(self.reply, CampaignReply::Help { .. })
    }
}

/// All active campaigns, with one trigger automaton over all of them.
#[derive(Debug)]
pub struct CampaignSet {
    campaigns: Vec<Arc<Campaign>>,
    index: TriggerIndex,
    /// Campaigns that any mention or direct message triggers.
    by_address: Vec<u32>,
    renderer: Renderer,
}

impl CampaignSet {
    /// Loads and validates campaign files (and their tables and templates). The first error
    /// stops the load; it names the file, line and field.
    pub fn load<I, P>(paths: I) -> Result<CampaignSet, CampaignError>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<Path>,
    {
        let mut loader = Loader::default();
        let mut campaigns: Vec<Arc<Campaign>> = Vec::new();
        for path in paths {
            let path = path.as_ref();
            let campaign = loader.load(path)?;
            if let Some(other) = campaigns.iter().find(|c| c.id == campaign.id) {
                let src = std::fs::read_to_string(path).unwrap_or_default();
                let at = src.find("id").unwrap_or(0);
                return Err(CampaignError::new(
                    ErrorKind::Invalid,
                    path,
                    format!(
                        "the id `{}` is already used by {}",
                        campaign.id,
                        other.file.display()
                    ),
                )
                .at(&src, at)
                .field("id"));
            }
            campaigns.push(Arc::new(campaign));
        }
        let triggers: Vec<Triggers> = campaigns
            .iter()
            .map(|c| Triggers {
                hashtags: c.trigger.hashtags.clone(),
                keywords: c.trigger.keywords.clone(),
            })
            .collect();
        let index = TriggerIndex::build(&triggers)
            .map_err(|e| CampaignError::new(ErrorKind::Invalid, Path::new("<campaigns>"), e))?;
        let by_address = (0u32..)
            .zip(&campaigns)
            .filter(|(_, c)| c.trigger.mention || c.trigger.direct)
            .map(|(i, _)| i)
            .collect();
        Ok(CampaignSet {
            campaigns,
            index,
            by_address,
            renderer: loader.renderer,
        })
    }

    pub fn campaigns(&self) -> &[Arc<Campaign>] {
        &self.campaigns
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Campaign>> {
        self.campaigns.iter().find(|c| c.id == id)
    }

    /// Distinct hashtags and keywords in the trigger automaton.
    pub fn trigger_count(&self) -> usize {
        self.index.len()
    }

    /// Reads every campaign's table again and swaps them in, all or none: on any error
    /// (unreadable file, missing column, duplicate key, help example no longer found) the
    /// old tables stay and the error is returned. Returns the number of tables swapped.
    pub fn reload(&self) -> Result<usize, CampaignError> {
        let mut fresh = Vec::new();
        for campaign in &self.campaigns {
            let Some(slot) = &campaign.table else {
                continue;
            };
            let table = Table::load(&slot.path, &slot.shape)?;
            check_example(&self.renderer, campaign, Some(&table)).map_err(
                |(kind, field, message)| CampaignError::new(kind, &slot.path, message).field(field),
            )?;
            fresh.push((slot, Arc::new(table)));
        }
        let n = fresh.len();
        for (slot, table) in fresh {
            slot.set(table);
        }
        Ok(n)
    }

    /// Is `message` a request for one of the campaigns, and what is the reply? `lang` is the
    /// message's language (from triage); replies fall back to the campaign's default.
    ///
    /// Never answers a repost, a message written by one of the campaign's channels, or a
    /// quote of one of its posts. When several campaigns are triggered, the first (in load
    /// order) that answers wins; if none answers, the first help.
    pub fn evaluate(&self, message: &Message, lang: Lang) -> Option<CampaignMatch> {
        if message.kind == MessageKind::Repost {
            return None;
        }
        let mut folded = String::new();
        fold_into(&message.text, &mut folded);
        let mut hits: Vec<Hit> = Vec::new();
        self.index
            .scan(&folded, &message.entities.hashtags, &mut hits);
        let addressed_kind = message.kind == MessageKind::Direct
            || !message.entities.mentions.is_empty()
            || message.in_reply_to_author.is_some();
        if addressed_kind && !self.by_address.is_empty() {
            for &c in &self.by_address {
                if !hits.iter().any(|h| h.campaign == c) {
                    hits.push(Hit {
                        campaign: c,
                        ..Hit::default()
                    });
                }
            }
            hits.sort_unstable_by_key(|h| h.campaign);
        }
        if hits.is_empty() {
            return None;
        }
        let words = fold_words(&message.text);
        let req = Request {
            text: &message.text,
            folded: &folded,
            words: &words,
        };
        let mut first_help: Option<PendingHelp<'_>> = None;
        for hit in &hits {
            let Some(campaign) = self.campaigns.get(hit.campaign as usize) else {
                continue;
            };
            let Some((channel, by_address)) = triggered(campaign, hit, message) else {
                continue;
            };
            let table = campaign.table();
            match resolve(campaign, &req, table.as_deref()) {
                Resolution::Found {
                    values,
                    row,
                    repairs,
                } => {
                    return Some(self.answer(
                        campaign,
                        channel,
                        message,
                        lang,
                        &values,
                        row.and_then(|r| table.as_deref().map(|t| (t, r))),
                        repairs,
                    ));
                }
                Resolution::Help { anything, .. } if by_address && !anything => {}
                Resolution::Help { cause, .. } => {
                    if first_help.is_none() {
                        first_help = Some((campaign, channel, cause, Vec::new()));
                    }
                }
            }
        }
        let (campaign, channel, cause, fields) = first_help?;
        let lang_out = campaign.reply_lang(lang);
        let limit = Limit::for_platform(message.id.platform);
        let reply = match render_help(
            &self.renderer,
            campaign,
            &Speaker::of(&message.author),
            lang,
            limit,
        ) {
            Ok(text) => CampaignReply::Help { text, cause },
            Err((template, error)) => CampaignReply::Failed { template, error },
        };
        Some(CampaignMatch {
            campaign: Arc::clone(campaign),
            channel,
            key: "help".into(),
            lang: lang_out,
            reply,
            repairs: Vec::new(),
            fields,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn answer(
        &self,
        campaign: &Arc<Campaign>,
        channel: ChannelSpec,
        message: &Message,
        lang: Lang,
        values: &[Option<String>],
        row: Option<(&Table, usize)>,
        repairs: Vec<Repair>,
    ) -> CampaignMatch {
        let speaker = Speaker::of(&message.author);
        let lang_out = campaign.reply_lang(lang);
        let limit = Limit::for_platform(message.id.platform);
        let reply = answer_context(&self.renderer, campaign, &speaker, lang_out, values, row)
            .and_then(|ctx| render_answer(&self.renderer, campaign, lang_out, limit, &ctx));
        let reply = match reply {
            Ok(r) => CampaignReply::Answer {
                text: r.text,
                variant: r.variant,
                truncated: r.truncated,
            },
            Err((template, error)) => CampaignReply::Failed { template, error },
        };
        let fields: Vec<(String, String)> = campaign
            .fields
            .iter()
            .zip(values)
            .filter_map(|(f, v)| v.as_ref().map(|v| (f.name.clone(), v.clone())))
            .collect();
        let key = campaign
            .fields
            .iter()
            .zip(values)
            .map(|(f, v)| format!("{}={}", f.name, v.as_deref().unwrap_or("")))
            .collect::<Vec<_>>()
            .join("&");
        CampaignMatch {
            campaign: Arc::clone(campaign),
            channel,
            key,
            lang: lang_out,
            reply,
            repairs,
            fields,
        }
    }
}

/// The first campaign whose request could not be answered: its help goes out if no other
/// campaign answers.
type PendingHelp<'a> = (
    &'a Arc<Campaign>,
    ChannelSpec,
    HelpCause,
    Vec<(String, String)>,
);

/// Does the hit make the message a request for this campaign? Returns the channel that
/// should answer, and whether only the address (mention or DM, no hashtag or keyword)
/// triggered it.
fn triggered(campaign: &Campaign, hit: &Hit, message: &Message) -> Option<(ChannelSpec, bool)> {
    let platform = message.id.platform;
    let serving: Vec<&ChannelSpec> = campaign
        .channels
        .iter()
        .filter(|c| c.serves(platform))
        .collect();
    let first = serving.first()?;
    // Ids are per platform: only the channels on the message's platform can have written it
    // (an X user 110 is not the Mastodon account 110).
    if serving.iter().any(|c| c.is_author(&message.author)) {
        return None;
    }
    if message.kind == MessageKind::Quote {
        let quoted_ours = message.referenced.as_ref().is_some_and(|r| {
            serving.iter().any(|c| {
                r.author_id.as_deref().is_some_and(|a| c.is_account(a))
                    || r.author_handle.as_deref().is_some_and(|h| c.is_handle(h))
            })
        });
        if quoted_ours {
            return None;
        }
    }
    let mentioned = serving.iter().find(|c| c.is_mentioned_in(message));
    let direct = serving.iter().find(|c| c.is_direct_to(message));
    let addressed = mentioned.or(direct);
    let rules = &campaign.trigger;
    let by_keyword = hit.keyword && (!rules.keywords_need_address || addressed.is_some());
    let by_address = (rules.mention && mentioned.is_some()) || (rules.direct && direct.is_some());
    if !(hit.hashtag || by_keyword || by_address) {
        return None;
    }
    let channel = (*addressed.unwrap_or(first)).clone();
    Some((channel, !hit.hashtag && !by_keyword))
}
