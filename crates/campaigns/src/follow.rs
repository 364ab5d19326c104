//! The answer to the bot's question: a person's next message read against the request their
//! help or question left pending (a code, a name, a pick among the choices offered, a missing
//! field), without the hashtag or keywords again.
//!
//! Pure like the rest of the crate: the pipeline remembers what is pending (which campaign,
//! the texts gathered so far) and asks [`CampaignSet::follow_up`] what the next message makes
//! of it.

use crate::campaign::{Campaign, ChannelSpec};
use crate::choice;
use crate::extract::Request;
use crate::fold::{fold, words_of_folded};
use crate::resolve::{Resolution, resolve};
use crate::set::{CampaignMatch, CampaignSet};
use palabre_core::{Lang, Message};

/// The prefix of the quick-reply payloads Palabre offers: `choice:CAMPAIGN:KEY`.
pub const CHOICE_PAYLOAD: &str = "choice:";

/// What an answer to the bot's question made of the pending request.
#[derive(Debug, Clone)]
pub enum FollowUpRead {
    /// The message holds nothing for the request (thanks, an emoji, another subject): it
    /// takes the usual path, and the request stays pending.
    Nothing,
    /// A quick-reply payload that names none of the choices offered (tampered with, or from
    /// another question): nothing is picked, a person looks.
    BadChoice,
    /// The request completed (an answer), or still unclear with something new (the next
    /// question: a help whose [`crate::HelpCause`] says what is missing).
    Read(Box<CampaignMatch>),
}

impl CampaignSet {
    /// Reads `message` as the answer to campaign `campaign_id`'s question, the request so far
    /// being `gathered` (the texts of the request and of the earlier answers, one per line).
    ///
    /// In order: a quick-reply payload; a pick among the choices the last question offered
    /// (`2`, `le deuxième`, `the one in Réunion`); the message alone (`69003`, `Lyon 3e`);
    /// the message completing the request (`12 mai` after `AMS JFK`). When none is found
    /// but the message held something for the campaign, the next question.
    pub fn follow_up(
        &self,
        campaign_id: &str,
        gathered: &str,
        message: &Message,
        lang: Lang,
    ) -> FollowUpRead {
        let Some(campaign) = self.get(campaign_id).filter(|c| c.faq.is_none()) else {
            return FollowUpRead::Nothing;
        };
        let Some(channel) = answering_channel(campaign, message) else {
            return FollowUpRead::Nothing;
        };
        let table = campaign.table();
        let table = table.as_deref();
        let read = |text: &str| {
            let folded = fold(text);
            let words = words_of_folded(&folded);
            let req = Request {
                text,
                folded: &folded,
                words: &words,
            };
            resolve(campaign, &req, table)
        };
        let answer = |resolution: Resolution| {
            self.found(campaign, channel.clone(), message, lang, resolution, table)
                .map(|m| FollowUpRead::Read(Box::new(m)))
        };
        let offered = match read(gathered) {
            Resolution::Help { cause, .. } => cause.choices().to_vec(),
            Resolution::Found { .. } => Vec::new(),
        };
        if let Some(payload) = message
            .choice
            .as_deref()
            .and_then(|p| p.strip_prefix(CHOICE_PAYLOAD))
        {
            let key = payload
                .strip_prefix(campaign_id)
                .and_then(|rest| rest.strip_prefix(':'))
                .filter(|key| offered.iter().any(|c| choice_key(c) == *key));
            return match key.and_then(|key| answer(read(key))) {
                Some(read) => read,
                None => FollowUpRead::BadChoice,
            };
        }
        if let Some(picked) = choice::pick(&message.text, &offered)
            && let Some(read) = offered
                .get(picked)
                .and_then(|c| answer(read(choice_key(c))))
        {
            return read;
        }
        let alone = read(&message.text);
        let anything = match alone {
            Resolution::Found { .. } => return answer(alone).unwrap_or(FollowUpRead::Nothing),
            Resolution::Help { anything, .. } => anything,
        };
        let together = read(&format!("{gathered}\n{}", message.text));
        let cause = match together {
            Resolution::Found { .. } => {
                return answer(together).unwrap_or(FollowUpRead::Nothing);
            }
            Resolution::Help { cause, .. } => cause,
        };
        if !anything {
            return FollowUpRead::Nothing;
        }
        // Something for the campaign, still not enough: the next question (the choices when
        // there are some, else the help asked again).
        let again = cause.choices().is_empty();
        FollowUpRead::Read(Box::new(
            self.help(campaign, channel, message, lang, cause, again),
        ))
    }
}

/// The payload of the quick reply offering `label` of campaign `campaign`:
/// `choice:mon-resultat:93200`.
pub fn choice_payload(campaign: &str, label: &str) -> String {
    format!("{CHOICE_PAYLOAD}{campaign}:{}", choice_key(label))
}

/// The key a choice's label starts with: `93200` in `93200 (Saint-Denis, Seine-Saint-Denis)`.
fn choice_key(label: &str) -> &str {
    label.split(" (").next().unwrap_or(label)
}

/// The channel that answers: the one the message addresses, else the campaign's first on
/// its platform. None when the campaign does not speak on that platform.
fn answering_channel(campaign: &Campaign, message: &Message) -> Option<ChannelSpec> {
    let serving: Vec<&ChannelSpec> = campaign
        .channels
        .iter()
        .filter(|c| c.serves(message.id.platform))
        .collect();
    serving
        .iter()
        .find(|c| c.is_mentioned_in(message) || c.is_direct_to(message))
        .or(serving.first())
        .map(|c| (*c).clone())
}
