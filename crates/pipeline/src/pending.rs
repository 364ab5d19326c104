//! Requests waiting for the person's answer: after a campaign's help or question, which
//! campaign asked, what the person wrote so far and how many questions they got, so that
//! their next message in the conversation is read as the answer. Bounded like the other
//! windows; rebuilt after a restart from the stored decisions by the same [`PendingMemory::note`].

use crate::fingerprint;
use crate::window::Window;
use palabre_core::{ConversationId, Lang};

/// One request waiting for its author's answer.
#[derive(Debug, Clone)]
pub struct Pending {
    pub campaign: String,
    pub author: u64,
    pub conversation: ConversationId,
    /// The texts of the request and of the answers so far, one per line.
    pub gathered: String,
    /// Questions asked so far (the first help counts).
    pub asked: u8,
    /// When the last question was asked (seconds of the events' clock).
    pub at: i64,
    /// The language of the request, for answers that have none of their own (`69003`).
    pub lang: Lang,
}

/// What a decision on a campaign request did to the conversation's pending request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A help or a question went out: the request waits for the answer.
    Asked,
    /// Answered, handed to a person, or refused: nothing waits any more.
    Closed,
}

/// The requests waiting, by conversation.
pub struct PendingMemory {
    /// Conversation → its waiting requests, oldest first (one per author and campaign).
    by_conversation: Window<Vec<Pending>>,
    /// Author → the conversation of their newest waiting request: a reply to the bot's
    /// question can land in a conversation of its own when the platform gives no thread root
    /// and the bot's reply was not seen in the stream.
    by_author: Window<u64>,
}

impl PendingMemory {
    pub fn new(capacity: usize) -> Self {
        PendingMemory {
            by_conversation: Window::new(capacity),
            by_author: Window::new(capacity),
        }
    }

    /// The requests `author` left waiting in `conversation` (or, when `replies_to_us`, in the
    /// conversation of their newest one), newest first, whose window (`window_of` the
    /// campaign, in seconds) is not over at `now`.
    pub fn waiting(
        &self,
        conversation: &ConversationId,
        author: u64,
        replies_to_us: bool,
        now: i64,
        window_of: impl Fn(&str) -> Option<i64>,
    ) -> Vec<Pending> {
        let key = fingerprint::bytes(conversation.as_str().as_bytes());
        let mut found = self.of(key, author);
        if found.is_empty()
            && replies_to_us
            && let Some(&elsewhere) = self.by_author.get(author)
        {
            found = self.of(elsewhere, author);
        }
        found.retain(|p| window_of(&p.campaign).is_some_and(|w| now >= p.at && now - p.at <= w));
        found.reverse();
        found
    }

    fn of(&self, conversation: u64, author: u64) -> Vec<Pending> {
        self.by_conversation
            .get(conversation)
            .map(|list| {
                list.iter()
                    .filter(|p| p.author == author)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Notes what a decision on `campaign`'s request by `author` in `conversation` did.
    /// `Asked` after an answer to an earlier question (`follow_up`) adds `text` to what was
    /// gathered and counts one more question; a fresh `Asked` starts over.
    #[allow(clippy::too_many_arguments)]
    pub fn note(
        &mut self,
        conversation: &ConversationId,
        author: u64,
        campaign: &str,
        step: Step,
        follow_up: bool,
        text: &str,
        lang: Lang,
        at: i64,
    ) {
        let key = fingerprint::bytes(conversation.as_str().as_bytes());
        let mut list = self.by_conversation.get(key).cloned().unwrap_or_default();
        let earlier = list
            .iter()
            .position(|p| p.author == author && p.campaign == campaign)
            .map(|i| list.remove(i));
        if step == Step::Asked {
            let pending = match earlier.filter(|_| follow_up) {
                Some(mut p) => {
                    p.gathered.push('\n');
                    p.gathered.push_str(text);
                    p.asked = p.asked.saturating_add(1);
                    p.at = at;
                    p
                }
                None => Pending {
                    campaign: campaign.to_owned(),
                    author,
                    conversation: conversation.clone(),
                    gathered: text.to_owned(),
                    asked: 1,
                    at,
                    lang,
                },
            };
            list.push(pending);
            self.by_author.insert(author, key);
        }
        if list.is_empty() {
            self.by_conversation.remove(key);
        } else {
            self.by_conversation.insert(key, list);
        }
    }

    /// A person took `conversation` over: nothing waits in it any more.
    pub fn close(&mut self, conversation: &ConversationId) {
        self.by_conversation
            .remove(fingerprint::bytes(conversation.as_str().as_bytes()));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn conv(id: &str) -> ConversationId {
        ConversationId::from_stored(id)
    }

    const HOUR: Option<i64> = Some(3600);

    #[test]
    fn asked_waits_for_its_author_within_the_window_and_closes() {
        let mut m = PendingMemory::new(16);
        m.note(
            &conv("x:1"),
            7,
            "c",
            Step::Asked,
            false,
            "#Tag",
            Lang::Fr,
            100,
        );
        assert_eq!(m.waiting(&conv("x:1"), 7, false, 200, |_| HOUR).len(), 1);
        // Another person in the same thread, another conversation, after the window.
        assert!(m.waiting(&conv("x:1"), 8, false, 200, |_| HOUR).is_empty());
        assert!(m.waiting(&conv("x:2"), 7, false, 200, |_| HOUR).is_empty());
        assert!(m.waiting(&conv("x:1"), 7, false, 3701, |_| HOUR).is_empty());
        // A reply to the bot that landed in a conversation of its own.
        assert_eq!(m.waiting(&conv("x:2"), 7, true, 200, |_| HOUR).len(), 1);
        // An answer that asks again gathers; one that answers closes.
        m.note(
            &conv("x:1"),
            7,
            "c",
            Step::Asked,
            true,
            "Lyon",
            Lang::Fr,
            300,
        );
        let p = &m.waiting(&conv("x:1"), 7, false, 300, |_| HOUR)[0];
        assert_eq!((p.gathered.as_str(), p.asked, p.at), ("#Tag\nLyon", 2, 300));
        m.note(
            &conv("x:1"),
            7,
            "c",
            Step::Closed,
            true,
            "69003",
            Lang::Fr,
            400,
        );
        assert!(m.waiting(&conv("x:1"), 7, false, 400, |_| HOUR).is_empty());
    }

    #[test]
    fn two_requests_in_one_conversation_newest_first_and_takeover_closes_them() {
        let mut m = PendingMemory::new(16);
        m.note(
            &conv("x:1"),
            7,
            "a",
            Step::Asked,
            false,
            "a?",
            Lang::Fr,
            100,
        );
        m.note(
            &conv("x:1"),
            7,
            "b",
            Step::Asked,
            false,
            "b?",
            Lang::Fr,
            110,
        );
        let waiting = m.waiting(&conv("x:1"), 7, false, 120, |_| HOUR);
        let campaigns: Vec<&str> = waiting.iter().map(|p| p.campaign.as_str()).collect();
        assert_eq!(campaigns, ["b", "a"]);
        m.close(&conv("x:1"));
        assert!(m.waiting(&conv("x:1"), 7, false, 120, |_| HOUR).is_empty());
    }
}
