//! Satisfaction surveys: a channel's survey, and the memory of support exchanges it needs.
//!
//! A survey goes out only when a support exchange ended well: a customer asked (a question,
//! a request for help, a complaint), the brand answered (a person, or an FAQ answer), and the
//! customer's reply to that answer confirms the problem is solved
//! ([`palabre_triage::solved::confirms_solved`]); once per person per period. The memory is
//! bounded like the other windows, and rebuilt after a restart from the same turns
//! ([`Turn::of`]) read back from the store.

use crate::fingerprint;
use crate::window::Window;
use palabre_core::{Intent, Lang, Outcome, Reason};

/// A channel's satisfaction survey (`[channels.survey]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    /// The channel it is sent from (`PLATFORM:ID`).
    pub channel: String,
    /// The message in French and in English; `{link}` is replaced by the link.
    pub fr: String,
    pub en: String,
    pub link: String,
    /// A person gets at most one survey in this many seconds.
    pub once_per_secs: i64,
}

impl Survey {
    /// The survey's text in the language of the reply it follows (English unless French).
    pub fn render(&self, lang: Lang) -> String {
        let template = if lang == Lang::Fr { &self.fr } else { &self.en };
        template.replace("{link}", &self.link)
    }
}

/// What one message did to a support exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// A customer asked something the brand should answer: an exchange opens (a new question
    /// in an answered exchange opens it again, unanswered).
    Asked,
    /// The brand answered in the conversation (a person, from the platform or the inbox).
    Answered,
    /// The bot answered the customer's question itself (an FAQ answer): asked and answered.
    AnsweredByBot,
    /// The customer got a survey (sent, or drafted for a person): the exchange is closed.
    Surveyed,
    /// Nothing that changes an exchange ("je vais essayer", a repost, a message not to us).
    Other,
}

impl Turn {
    /// The turn a decided message makes: `own` when one of our channels wrote it, `intent`
    /// what triage read, `faq` when its campaign answer comes from an FAQ. The live path and
    /// the restart (from stored decisions) both read turns here.
    pub fn of(
        own: bool,
        outcome: Outcome,
        reasons: &[Reason],
        intent: Option<Intent>,
        faq: bool,
    ) -> Turn {
        if own {
            return Turn::Answered;
        }
        if reasons.contains(&Reason::Survey)
            && matches!(outcome, Outcome::BotReplied | Outcome::Drafted)
        {
            return Turn::Surveyed;
        }
        if outcome == Outcome::BotReplied && faq && reasons.contains(&Reason::CampaignAnswer) {
            return Turn::AnsweredByBot;
        }
        let addressed = reasons.iter().any(|r| {
            matches!(
                r,
                Reason::Mention
                    | Reason::ReplyToChannel
                    | Reason::DirectMessage
                    | Reason::Comment
                    | Reason::Review
            )
        });
        let asks = matches!(
            intent,
            Some(Intent::Question | Intent::SupportRequest | Intent::Complaint)
        );
        if addressed && asks && outcome != Outcome::Ignored {
            Turn::Asked
        } else {
            Turn::Other
        }
    }
}

/// One support exchange, by conversation.
#[derive(Debug, Clone, Copy)]
struct Exchange {
    /// The customer's author key.
    customer: u64,
    answered: bool,
}

/// Support exchanges and surveys sent, bounded.
pub struct SurveyMemory {
    /// Conversation fingerprint → its open exchange.
    exchanges: Window<Exchange>,
    /// Author key → when they last got a survey (seconds).
    surveyed: Window<i64>,
}

impl SurveyMemory {
    pub fn new(capacity: usize) -> Self {
        SurveyMemory {
            exchanges: Window::new(capacity),
            surveyed: Window::new(capacity),
        }
    }

    /// Remembers what a message by `author` (its author key) did in `conversation` at `at`
    /// (seconds).
    pub fn note(&mut self, conversation: &str, author: u64, turn: Turn, at: i64) {
        let key = fingerprint::bytes(conversation.as_bytes());
        match turn {
            Turn::Asked => self.exchanges.insert(
                key,
                Exchange {
                    customer: author,
                    answered: false,
                },
            ),
            Turn::AnsweredByBot => self.exchanges.insert(
                key,
                Exchange {
                    customer: author,
                    answered: true,
                },
            ),
            Turn::Answered => {
                if let Some(open) = self.exchanges.get(key).copied() {
                    self.exchanges.insert(
                        key,
                        Exchange {
                            answered: true,
                            ..open
                        },
                    );
                }
            }
            Turn::Surveyed => {
                self.exchanges.remove(key);
                self.surveyed.insert(author, at);
            }
            Turn::Other => {}
        }
    }

    /// Whether the brand answered `author`'s support exchange in `conversation`, and nothing
    /// new was asked since.
    pub fn answered(&self, conversation: &str, author: u64) -> bool {
        self.exchanges
            .get(fingerprint::bytes(conversation.as_bytes()))
            .is_some_and(|e| e.answered && e.customer == author)
    }

    /// Whether `author` got a survey less than `period` seconds before `now`.
    pub fn surveyed_within(&self, author: u64, now: i64, period: i64) -> bool {
        self.surveyed
            .get(author)
            .is_some_and(|at| (now - *at).abs() < period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASK: &[Reason] = &[Reason::ReplyToChannel];

    #[test]
    fn an_exchange_is_answered_only_after_a_question_and_a_brand_answer() {
        let mut m = SurveyMemory::new(16);
        let t = |r: &[Reason], i| Turn::of(false, Outcome::RoutedToHuman, r, i, false);
        assert_eq!(t(ASK, Some(Intent::Praise)), Turn::Other);
        m.note("x:1", 7, Turn::Answered, 10);
        assert!(
            !m.answered("x:1", 7),
            "an answer with no question opens nothing"
        );
        m.note("x:1", 7, t(ASK, Some(Intent::SupportRequest)), 11);
        assert!(!m.answered("x:1", 7));
        m.note(
            "x:1",
            1,
            Turn::of(true, Outcome::Ignored, &[Reason::OwnMessage], None, false),
            12,
        );
        assert!(m.answered("x:1", 7));
        assert!(!m.answered("x:1", 8), "only the customer who asked");
        m.note("x:1", 7, t(ASK, Some(Intent::Question)), 13);
        assert!(!m.answered("x:1", 7), "a new question reopens the exchange");
    }

    #[test]
    fn a_survey_closes_the_exchange_and_counts_for_the_period() {
        let mut m = SurveyMemory::new(16);
        m.note("x:1", 7, Turn::AnsweredByBot, 10);
        assert!(m.answered("x:1", 7));
        let surveyed = Turn::of(
            false,
            Outcome::BotReplied,
            &[Reason::ReplyToChannel, Reason::Survey],
            Some(Intent::Praise),
            false,
        );
        m.note("x:1", 7, surveyed, 20);
        assert!(!m.answered("x:1", 7));
        assert!(m.surveyed_within(7, 100, 3600));
        assert!(!m.surveyed_within(7, 20 + 3600, 3600));
    }
}
