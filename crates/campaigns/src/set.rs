//! The set of active campaigns and the one call the pipeline makes: [`CampaignSet::evaluate`].

use crate::campaign::{Campaign, ChannelSpec};
use crate::error::{CampaignError, ErrorKind};
use crate::extract::{Repair, Request};
use crate::faq::{Certainty, Faq, question_text};
use crate::fold::{fold_into, words_of_folded};
use crate::limit::Limit;
use crate::load::Loader;
use crate::render::Renderer;
use crate::reply::{
    Speaker, answer_context, check_example, render_answers, render_ask, render_faq, render_help,
};
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
    /// The extracted fields, for the record (`[("code", "69003")]`; an FAQ match's
    /// `[("entry", "bagage-cabine"), ("score", "0.931"), ("read_by", "model")]`).
    pub fields: Vec<(String, String)>,
    /// Whether the answer is sure enough to send (lookups found in their table always are).
    pub certainty: Certainty,
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

    /// An answer from an FAQ campaign's entry.
    pub fn is_faq(&self) -> bool {
        self.campaign.faq.is_some()
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

    /// The FAQ campaigns, whose entries are matched by meaning once [`CampaignSet::read_meaning`]
    /// gave them the model's vectors.
    pub fn has_faq(&self) -> bool {
        self.campaigns.iter().any(|c| c.faq.is_some())
    }

    /// Reads every FAQ campaign's questions (and the everyday messages they must not answer)
    /// with `embed` (the language model, a batch of texts at a time), so that entries are
    /// matched by meaning. Refuses an entry that would answer an everyday message ("merci
    /// beaucoup !"): it matches everything. Returns the number of texts read.
    pub fn read_meaning(
        &self,
        embed: &mut dyn FnMut(&[&str]) -> Vec<Vec<f32>>,
    ) -> Result<usize, CampaignError> {
        let mut read = 0;
        for campaign in &self.campaigns {
            let Some(faq) = &campaign.faq else { continue };
            let texts = faq.texts_to_read();
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let vectors = embed(&refs);
            read += texts.len();
            faq.set_meaning(vectors).map_err(|(entry, foil)| {
                CampaignError::new(
                    ErrorKind::Invalid,
                    &campaign.file,
                    format!(
                        "entry `{entry}` would answer « {foil} »: its questions are too general (it matches everything)"
                    ),
                )
                .field(format!("faq.entries[{entry}]"))
            })?;
        }
        Ok(read)
    }

    /// [`CampaignSet::evaluate_with`], without the language model: FAQ entries are only
    /// matched on words (drafts).
    pub fn evaluate(&self, message: &Message, lang: Lang) -> Option<CampaignMatch> {
        self.evaluate_with(message, lang, &mut |_| None)
    }

    /// Is `message` a request for one of the campaigns, and what is the reply? `lang` is the
    /// message's language (from triage); replies fall back to the campaign's default.
    /// `read` gives the language model's vector of a text (`None`: not read, a budget spent),
    /// asked only when an FAQ campaign is triggered.
    ///
    /// Never answers a repost, a message written by one of the campaign's channels, or a
    /// quote of one of its posts. When several campaigns are triggered, the first lookup (in
    /// load order) found in its table wins; else an FAQ answer (a sure one before a weak
    /// one); else the first help.
    pub fn evaluate_with(
        &self,
        message: &Message,
        lang: Lang,
        read: &mut dyn FnMut(&str) -> Option<Vec<f32>>,
    ) -> Option<CampaignMatch> {
        if message.kind == MessageKind::Repost {
            return None;
        }
        let mut folded = String::new();
        fold_into(&message.text, &mut folded);
        let mut hits: Vec<Hit> = Vec::new();
        let mut glued: Vec<usize> = Vec::new();
        self.index
            .scan(&folded, &message.entities.hashtags, &mut hits, &mut glued);
        // `#MonRésultat69003`: the code is read as if a space separated it from the hashtag.
        for &at in glued.iter().rev() {
            if folded.is_char_boundary(at) {
                folded.insert(at, ' ');
            }
        }
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
        let words = words_of_folded(&folded);
        let req = Request {
            text: &message.text,
            folded: &folded,
            words: &words,
        };
        let mut first_help: Option<PendingHelp<'_>> = None;
        let mut faq_found: Option<CampaignMatch> = None;
        for hit in &hits {
            let Some(campaign) = self.campaigns.get(hit.campaign as usize) else {
                continue;
            };
            let Some(trigger) = triggered(campaign, hit, message) else {
                continue;
            };
            if let Some(faq) = &campaign.faq {
                // A quote of our post is a comment on it, not a question to us.
                if trigger.quotes_us {
                    continue;
                }
                // Kept while the lookups are tried (one found in its table wins, whatever the
                // order of the files); a sure match before a weak one.
                if let Some(found) =
                    self.faq_answer(campaign, faq, trigger.channel, message, lang, read)
                {
                    let better = faq_found.as_ref().is_none_or(|kept| {
                        kept.certainty != Certainty::Sure && found.certainty == Certainty::Sure
                    });
                    if better {
                        faq_found = Some(found);
                    }
                }
                continue;
            }
            let table = campaign.table();
            match resolve(campaign, &req, table.as_deref()) {
                found @ Resolution::Found { .. } => {
                    return self.found(
                        campaign,
                        trigger.channel,
                        message,
                        lang,
                        found,
                        table.as_deref(),
                    );
                }
                // Quoting one of our posts is a request only when the quote makes one whole
                // (`#MonRésultat 69003` under our announcement); a comment ("merci !
                // #MonRésultat") is an echo. Triggered by the address alone, a message that
                // holds nothing for the campaign is not a request either.
                Resolution::Help { .. } if trigger.quotes_us => {}
                Resolution::Help { anything, .. } if trigger.by_address && !anything => {}
                Resolution::Help { cause, .. } => {
                    if first_help.is_none() {
                        first_help = Some((campaign, trigger.channel, cause));
                    }
                }
            }
        }
        // An FAQ answer, even a weak one (a draft), wins over a lookup's help, which would be
        // sent: a baggage question that says "combien" is not a malformed fare request.
        if faq_found.is_some() {
            return faq_found;
        }
        let (campaign, channel, cause) = first_help?;
        Some(self.help(campaign, channel, message, lang, cause, false))
    }

    /// The help for a request that could not be answered: the question naming the choices
    /// when there are some, else the campaign's help, or (`again`, for an answer to a help
    /// that was still not enough) the question asked again.
    pub(crate) fn help(
        &self,
        campaign: &Arc<Campaign>,
        channel: ChannelSpec,
        message: &Message,
        lang: Lang,
        cause: HelpCause,
        again: bool,
    ) -> CampaignMatch {
        let lang_out = campaign.reply_lang(lang);
        let limit = Limit::for_platform(message.id.platform);
        let speaker = Speaker::of(&message.author);
        let rendered = if !cause.choices().is_empty() {
            render_ask(
                &self.renderer,
                campaign,
                &speaker,
                lang,
                limit,
                cause.choices(),
            )
        } else {
            render_help(&self.renderer, campaign, &speaker, lang, limit, again)
        };
        let reply = match rendered {
            Ok(text) => CampaignReply::Help { text, cause },
            Err((template, error)) => CampaignReply::Failed { template, error },
        };
        CampaignMatch {
            campaign: Arc::clone(campaign),
            channel,
            key: "help".into(),
            lang: lang_out,
            reply,
            repairs: Vec::new(),
            fields: Vec::new(),
            certainty: Certainty::Sure,
        }
    }

    /// The answer to a request found in the campaign's table (or read whole, without one);
    /// None for a request that was not found.
    pub(crate) fn found(
        &self,
        campaign: &Arc<Campaign>,
        channel: ChannelSpec,
        message: &Message,
        lang: Lang,
        resolution: Resolution,
        table: Option<&Table>,
    ) -> Option<CampaignMatch> {
        let Resolution::Found {
            values,
            row,
            also,
            repairs,
        } = resolution
        else {
            return None;
        };
        let rows = match (row, table) {
            (Some(row), Some(t)) => {
                let mut rows = vec![row];
                rows.extend(also);
                Some((t, rows))
            }
            _ => None,
        };
        Some(self.answer(campaign, channel, message, lang, &values, rows, repairs))
    }

    /// The FAQ entry `message` asks, if one is close enough to be at least suggested.
    fn faq_answer(
        &self,
        campaign: &Arc<Campaign>,
        faq: &Faq,
        channel: ChannelSpec,
        message: &Message,
        lang: Lang,
        read: &mut dyn FnMut(&str) -> Option<Vec<f32>>,
    ) -> Option<CampaignMatch> {
        let text = question_text(&message.text);
        let vector = if faq.has_meaning() { read(&text) } else { None };
        let found = faq.find(&text, vector.as_deref())?;
        let entry = faq.entries.get(found.entry)?;
        let speaker = Speaker::of(&message.author);
        let limit = Limit::for_platform(message.id.platform);
        let reply = match render_faq(&self.renderer, campaign, entry, &speaker, lang) {
            Ok(text) if limit.fits(&text) => CampaignReply::Answer {
                text,
                variant: 0,
                truncated: false,
            },
            Ok(text) => match limit.cut(&text) {
                Some(text) => CampaignReply::Answer {
                    text,
                    variant: 0,
                    truncated: true,
                },
                None => CampaignReply::Failed {
                    template: format!("faq.entries[{}]", entry.id),
                    error: "the answer does not fit the platform, even cut".into(),
                },
            },
            Err((template, error)) => CampaignReply::Failed { template, error },
        };
        let lang_out = entry
            .template(lang, campaign.default_lang)
            .map_or(campaign.default_lang, |(l, _)| l);
        Some(CampaignMatch {
            campaign: Arc::clone(campaign),
            channel,
            key: format!("faq={}", entry.id),
            lang: lang_out,
            reply,
            repairs: Vec::new(),
            fields: vec![
                ("entry".into(), entry.id.clone()),
                ("score".into(), format!("{:.3}", found.score)),
                (
                    "read_by".into(),
                    if vector.is_some() { "model" } else { "words" }.into(),
                ),
            ],
            certainty: found.certainty,
        })
    }

    /// The answer to a found request: one place, or several in one reply (`rows`, in the
    /// order written, when the campaign has a table).
    #[allow(clippy::too_many_arguments)]
    fn answer(
        &self,
        campaign: &Arc<Campaign>,
        channel: ChannelSpec,
        message: &Message,
        lang: Lang,
        values: &[Option<String>],
        rows: Option<(&Table, Vec<usize>)>,
        repairs: Vec<Repair>,
    ) -> CampaignMatch {
        let speaker = Speaker::of(&message.author);
        let lang_out = campaign.reply_lang(lang);
        let limit = Limit::for_platform(message.id.platform);
        // One set of values per place: the request's, with the key fields of that place's row
        // when the request names several.
        let places: Vec<Place<'_>> = match &rows {
            Some((table, rows)) if rows.len() == 1 => {
                vec![(values.to_vec(), rows.first().map(|&r| (*table, r)))]
            }
            Some((table, rows)) => rows
                .iter()
                .map(|&r| {
                    (
                        values_for_row(campaign, values, table, r),
                        Some((*table, r)),
                    )
                })
                .collect(),
            None => vec![(values.to_vec(), None)],
        };
        let contexts: Result<Vec<_>, _> = places
            .iter()
            .map(|(v, row)| {
                let label = match row {
                    Some((table, r)) => table.key_values(*r).join(" "),
                    None => String::new(),
                };
                answer_context(&self.renderer, campaign, &speaker, lang_out, v, *row)
                    .map(|ctx| (ctx, label))
            })
            .collect();
        let reply = contexts
            .and_then(|ctx| render_answers(&self.renderer, campaign, lang_out, limit, &ctx));
        let (reply, answered) = match reply {
            Ok(r) => (
                CampaignReply::Answer {
                    text: r.text,
                    variant: r.variant,
                    truncated: r.truncated,
                },
                r.places,
            ),
            Err((template, error)) => (CampaignReply::Failed { template, error }, 1),
        };
        let answered = places.get(..answered.max(1)).unwrap_or(&places);
        let fields: Vec<(String, String)> = answered
            .iter()
            .flat_map(|(values, _)| {
                campaign
                    .fields
                    .iter()
                    .zip(values)
                    .filter_map(|(f, v)| v.as_ref().map(|v| (f.name.clone(), v.clone())))
            })
            .collect();
        // One key per place answered: `code=69003`, or `code=69003;code=69100` for several.
        let key = answered
            .iter()
            .map(|(values, _)| {
                campaign
                    .fields
                    .iter()
                    .zip(values)
                    .map(|(f, v)| format!("{}={}", f.name, v.as_deref().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join("&")
            })
            .collect::<Vec<_>>()
            .join(";");
        CampaignMatch {
            campaign: Arc::clone(campaign),
            channel,
            key,
            lang: lang_out,
            reply,
            repairs,
            fields,
            certainty: Certainty::Sure,
        }
    }
}

/// One place a reply answers: the request's values for it, and its table row.
type Place<'a> = (Vec<Option<String>>, Option<(&'a Table, usize)>);

/// The request's values with the key fields taken from `row` (the place being answered).
fn values_for_row(
    campaign: &Campaign,
    values: &[Option<String>],
    table: &Table,
    row: usize,
) -> Vec<Option<String>> {
    let mut out = values.to_vec();
    let Some(slot) = &campaign.table else {
        return out;
    };
    for (name, value) in slot.shape.key.iter().zip(table.key_values(row)) {
        if let Some(i) = campaign.fields.iter().position(|f| &f.name == name)
            && let Some(v) = out.get_mut(i)
        {
            *v = Some(value.to_owned());
        }
    }
    out
}

/// The first campaign whose request could not be answered: its help goes out if no other
/// campaign answers.
type PendingHelp<'a> = (&'a Arc<Campaign>, ChannelSpec, HelpCause);

/// How a message triggered a campaign.
struct Trigger {
    /// The channel that should answer.
    channel: ChannelSpec,
    /// Only the address (a mention or a direct message, no hashtag or keyword) triggered it.
    by_address: bool,
    /// The message quotes one of the campaign's posts.
    quotes_us: bool,
}

/// Does the hit make the message a request for this campaign?
fn triggered(campaign: &Campaign, hit: &Hit, message: &Message) -> Option<Trigger> {
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
    let quotes_us = message.kind == MessageKind::Quote
        && message.referenced.as_ref().is_some_and(|r| {
            serving.iter().any(|c| {
                r.author_id.as_deref().is_some_and(|a| c.is_account(a))
                    || r.author_handle.as_deref().is_some_and(|h| c.is_handle(h))
            })
        });
    let mentioned = serving.iter().find(|c| c.is_mentioned_in(message));
    let direct = serving.iter().find(|c| c.is_direct_to(message));
    let addressed = mentioned.or(direct);
    let rules = &campaign.trigger;
    let by_keyword = hit.keyword && (!rules.keywords_need_address || addressed.is_some());
    let by_address = (rules.mention && mentioned.is_some()) || (rules.direct && direct.is_some());
    if !(hit.hashtag || by_keyword || by_address) {
        return None;
    }
    Some(Trigger {
        channel: (*addressed.unwrap_or(first)).clone(),
        by_address: !hit.hashtag && !by_keyword,
        quotes_us,
    })
}
