//! Guardrail memory: what automated replies were already sent, to whom, how many and how fast.
//!
//! The stateful half of the guardrails. It answers questions about the past ([`GuardFacts`])
//! before decide, and is told after decide what was sent. Bounded like the other windows.

use crate::fingerprint;
use crate::policy::Guardrails;
use crate::window::Window;
use palabre_campaigns::CampaignMatch;
use palabre_core::{ConversationId, Message, SentReply};
use xxhash_rust::xxh3::Xxh3;

/// What the guardrails know about a campaign request, for decide.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GuardFacts {
    /// The same author got this campaign's answer for this key within the campaign's window.
    pub already_answered: bool,
    /// The same author got this campaign's help within the campaign's window.
    pub help_already_sent: bool,
    /// Automated replies this author received within the author cap's window.
    pub author_replies: u32,
    /// Automated replies this conversation received.
    pub conversation_replies: u32,
    /// This exact text was already sent to this author.
    pub same_text_sent: bool,
    /// Picked for human review (sample mode), deterministically from the event id.
    pub sampled: bool,
}

/// Memory of automated replies.
pub struct GuardMemory {
    /// (campaign, author, key) → when it was answered (seconds).
    answered: Window<i64>,
    /// Author → times of their last automated replies (seconds), newest last.
    author_replies: Window<Vec<i64>>,
    /// Conversation → automated replies sent in it.
    conversation_replies: Window<u32>,
    /// (author, text) sent.
    texts: Window<()>,
}

impl GuardMemory {
    pub fn new(capacity: usize) -> Self {
        GuardMemory {
            answered: Window::new(capacity),
            author_replies: Window::new(capacity),
            conversation_replies: Window::new(capacity),
            texts: Window::new(capacity),
        }
    }

    /// What the past says about answering this request now.
    pub fn facts(
        &self,
        message: &Message,
        request: &CampaignMatch,
        conversation: &ConversationId,
        rails: &Guardrails,
        sample_one_in: Option<u32>,
    ) -> GuardFacts {
        let now = message.created_at.as_second();
        let window = request.campaign.window.as_secs() as i64;
        let within = |at: &i64| now - *at <= window && now >= *at - window;
        let author = author_key(message);
        let recent = self.author_replies.get(author).map_or(0, |times| {
            times
                .iter()
                .filter(|t| now - **t <= rails.author_cap_window_secs)
                .count() as u32
        });
        GuardFacts {
            already_answered: self
                .answered
                .get(answer_key(&request.campaign.id, author, &request.key))
                .is_some_and(within),
            help_already_sent: self
                .answered
                .get(answer_key(&request.campaign.id, author, "help"))
                .is_some_and(within),
            author_replies: recent,
            conversation_replies: self
                .conversation_replies
                .get(fingerprint::bytes(conversation.as_str().as_bytes()))
                .copied()
                .unwrap_or(0),
            same_text_sent: request
                .text()
                .is_some_and(|t| self.texts.get(text_key(author, t)).is_some()),
            sampled: sample_one_in.is_some_and(|n| {
                n > 0 && fingerprint::event_id(&message.id).is_multiple_of(u64::from(n))
            }),
        }
    }

    /// Remembers that `text` was sent to the author of `message` for `request`.
    pub fn record(
        &mut self,
        message: &Message,
        request: &CampaignMatch,
        conversation: &ConversationId,
        text: &str,
        rails: &Guardrails,
    ) {
        let now = message.created_at.as_second();
        let author = author_key(message);
        self.remember(
            author,
            &request.campaign.id,
            &request.key,
            conversation.as_str(),
            text,
            now,
            rails,
        );
    }

    /// Rebuilds the memory from replies recorded before a restart (oldest first). Per-minute
    /// counts start afresh.
    pub fn restore(&mut self, replies: impl IntoIterator<Item = SentReply>, rails: &Guardrails) {
        for r in replies {
            self.remember(
                r.author,
                &r.campaign,
                &r.key,
                &r.conversation,
                &r.text,
                r.at.as_second(),
                rails,
            );
        }
    }

    /// Forgets a reply the outbox withdrew before it was sent (it waited past its campaign's
    /// `stale_after`): as if it had never been planned, as a restart would read it.
    pub fn forget(&mut self, reply: &SentReply) {
        let at = reply.at.as_second();
        let answered = answer_key(&reply.campaign, reply.author, &reply.key);
        if self.answered.get(answered) == Some(&at) {
            self.answered.remove(answered);
        }
        if let Some(times) = self.author_replies.get(reply.author) {
            let mut times = times.clone();
            if let Some(i) = times.iter().rposition(|t| *t == at) {
                times.remove(i);
                self.author_replies.insert(reply.author, times);
            }
        }
        let conv = fingerprint::bytes(reply.conversation.as_bytes());
        if let Some(&sent) = self.conversation_replies.get(conv) {
            self.conversation_replies
                .insert(conv, sent.saturating_sub(1));
        }
        self.texts.remove(text_key(reply.author, &reply.text));
    }

    #[allow(clippy::too_many_arguments)]
    fn remember(
        &mut self,
        author: u64,
        campaign: &str,
        key: &str,
        conversation: &str,
        text: &str,
        now: i64,
        rails: &Guardrails,
    ) {
        self.answered.insert(answer_key(campaign, author, key), now);
        let mut times = self.author_replies.get(author).cloned().unwrap_or_default();
        times.retain(|t| now - *t <= rails.author_cap_window_secs);
        times.push(now);
        let keep = rails.author_cap as usize + 1;
        if times.len() > keep {
            times.drain(..times.len() - keep);
        }
        self.author_replies.insert(author, times);
        let conv = fingerprint::bytes(conversation.as_bytes());
        let sent = self.conversation_replies.get(conv).copied().unwrap_or(0);
        self.conversation_replies.insert(conv, sent + 1);
        self.texts.insert(text_key(author, text), ());
    }
}

/// The author key of a message's author (the store's `author_key`).
pub(crate) fn author_key(message: &Message) -> u64 {
    fingerprint::event(message.id.platform, &message.author.id)
}

fn answer_key(campaign: &str, author: u64, key: &str) -> u64 {
    let mut h = Xxh3::new();
    h.update(campaign.as_bytes());
    h.update(&author.to_le_bytes());
    h.update(key.as_bytes());
    h.digest()
}

fn text_key(author: u64, text: &str) -> u64 {
    let mut h = Xxh3::new();
    h.update(&author.to_le_bytes());
    h.update(text.as_bytes());
    h.digest()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn reply(text: &str, at: i64) -> SentReply {
        SentReply {
            author: 7,
            campaign: "c".into(),
            key: "code=69003".into(),
            conversation: "x:1".into(),
            text: text.into(),
            at: jiff::Timestamp::from_second(at).unwrap(),
        }
    }

    #[test]
    fn a_withdrawn_reply_is_forgotten_as_if_never_planned() {
        let rails = Guardrails::default();
        let mut m = GuardMemory::new(16);
        m.restore([reply("first", 100)], &rails);
        let answered = answer_key("c", 7, "code=69003");
        let conv = fingerprint::bytes(b"x:1");
        m.restore([reply("second", 200)], &rails);
        m.forget(&reply("second", 200));
        // The withdrawn one left no trace. (The same key is answered again only once its window
        // is over, so the earlier answer no longer counts for `already_answered` either.)
        assert_eq!(m.answered.get(answered), None);
        assert_eq!(m.author_replies.get(7), Some(&vec![100]));
        assert_eq!(m.conversation_replies.get(conv), Some(&1));
        assert!(m.texts.get(text_key(7, "second")).is_none());
        assert!(m.texts.get(text_key(7, "first")).is_some());
        m.forget(&reply("first", 100));
        assert_eq!(m.author_replies.get(7), Some(&vec![]));
        assert_eq!(m.conversation_replies.get(conv), Some(&0));
    }
}
