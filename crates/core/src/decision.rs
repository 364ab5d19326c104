//! The decision for one inbound event: exactly one outcome, with machine-readable reasons.

use crate::ids::ConversationId;
use crate::triage::Triage;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An alert the decision of an event raised (the replay contract's `"alerts"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alert {
    /// Many different people wrote in distress within minutes: a crisis may be under way.
    CrisisSuspected,
}

impl Alert {
    pub fn as_str(self) -> &'static str {
        match self {
            Alert::CrisisSuspected => "crisis_suspected",
        }
    }
}

/// What Palabre did with an event. Every inbound event gets exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// An automated reply was sent.
    BotReplied,
    /// An automated reply awaits a human's approval.
    Drafted,
    /// A human must look at it.
    RoutedToHuman,
    /// Moderated: hidden from public view.
    Hidden,
    /// Deliberately left alone; the reasons say why.
    Ignored,
    /// Could not be read; the error says why.
    Invalid,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::BotReplied,
        Outcome::Drafted,
        Outcome::RoutedToHuman,
        Outcome::Hidden,
        Outcome::Ignored,
        Outcome::Invalid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::BotReplied => "bot_replied",
            Outcome::Drafted => "drafted",
            Outcome::RoutedToHuman => "routed_to_human",
            Outcome::Hidden => "hidden",
            Outcome::Ignored => "ignored",
            Outcome::Invalid => "invalid",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == raw)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! reasons {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// Why an outcome was chosen. The snake_case names are stable: scripts and reports rely on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Reason {
            $($(#[$doc])* $variant,)*
        }

        impl Reason {
            pub const ALL: &'static [Reason] = &[$(Reason::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Reason::$variant => $name,)*
                }
            }

            /// The reason of a stable name (as stored), if there is one.
            pub fn parse(raw: &str) -> Option<Self> {
                Reason::ALL.iter().copied().find(|r| r.as_str() == raw)
            }
        }
    };
}

reasons! {
    /// The message mentions one of our channels.
    Mention => "mention",
    /// The message replies to one of our channels or to one of its posts.
    ReplyToChannel => "reply_to_channel",
    /// A private message to one of our channels.
    DirectMessage => "direct_message",
    /// A comment on one of our posts.
    Comment => "comment",
    /// A review of one of our places or products.
    Review => "review",
    /// A reply whose parent Palabre has never seen.
    OrphanReply => "orphan_reply",
    /// The same event (platform and id) was already decided.
    Duplicate => "duplicate",
    /// An id already seen comes back with different content; the first version stands.
    IdConflict => "id_conflict",
    /// Written by one of our own channels.
    OwnMessage => "own_message",
    /// A repost or quote of one of our own posts, with nothing addressed to us.
    EchoOfOwnPost => "echo_of_own_post",
    /// A repost of someone else's post.
    Repost => "repost",
    /// The same author sent the same request shortly before; it joins that conversation.
    RepeatedRequest => "repeated_request",
    /// Not addressed to any of our channels.
    NotAddressed => "not_addressed",
    /// Neither text nor attachment.
    Empty => "empty",
    /// A platform event that is not a message (a like, a follow, a deletion…).
    NotAMessage => "not_a_message",
    /// The line is not valid JSON, or its fields are not what the platform sends.
    ParseError => "parse_error",
    /// Valid JSON, but no known platform format.
    UnknownShape => "unknown_shape",
    /// The bytes are not UTF-8.
    InvalidUtf8 => "invalid_utf8",
    /// The text is longer than Palabre accepts.
    TextTooLong => "text_too_long",
    /// The input line is longer than Palabre reads (`replay --max-line-bytes`): only its start
    /// is kept among the rejects.
    LineTooLong => "line_too_long",
    /// A campaign answered the request.
    CampaignAnswer => "campaign_answer",
    /// A campaign's trigger matched but the request could not be read, even repaired.
    MalformedRequest => "malformed_request",
    /// The author already got a help reply in this campaign's window: no second one.
    HelpAlreadySent => "help_already_sent",
    /// The author already got this answer (same campaign, same key) in the campaign's window.
    AlreadyAnswered => "already_answered",
    /// The author already got the most automated replies allowed in 24 hours.
    AuthorCap => "author_cap",
    /// The conversation already got the most automated replies allowed.
    ConversationCap => "conversation_cap",
    /// The same text was already sent to this person.
    SameTextTwice => "same_text_twice",
    /// Written by an organisation (media, brand): never answered automatically.
    OrganisationAuthor => "organisation_author",
    /// Negative: a human should read it before anything is sent.
    Negative => "negative",
    /// Angry: the bot must not speak.
    Anger => "anger",
    /// Insulting or abusive.
    Toxic => "toxic",
    /// The crisis brake is on: all automation stops.
    CrisisBrake => "crisis_brake",
    /// The answer waited in the outbox (a platform's rate limit, the brand's pace) past its
    /// campaign's `stale_after`, and `serve` made it a draft instead of sending it late.
    RateLimited => "rate_limited",
    /// The campaign is in draft mode: everything waits for a human's approval.
    DraftMode => "draft_mode",
    /// Sent, and also put in front of a human for review (sample mode).
    SampledForReview => "sampled_for_review",
    /// A template failed on this message's values.
    TemplateFailed => "template_failed",
    /// The request can be read several ways (a commune name shared by several places).
    UnclearIntent => "unclear_intent",
    /// A human took over the conversation: the bot stays out of it until released.
    HumanTakeover => "human_takeover",
    /// Bait hijacking a campaign's hashtag (crypto schemes, quick money): never answered,
    /// not even with a help reply.
    Spam => "spam",
    /// Marketing using a campaign's hashtag (a channel announcing its election night, an
    /// influencer's `#ad`): never answered, not even with a help reply.
    Promotion => "promotion",
    /// An FAQ answer the campaign is not sure is the one asked for (not close enough in
    /// meaning, read on words only, or the message reads as no question): a draft for a person.
    UnsureMatch => "unsure_match",
    /// The customer confirmed their support exchange ended well: the channel's satisfaction
    /// survey goes out (once per person per period).
    Survey => "survey",
    /// Read as the person's answer to the bot's help or question in this conversation (no
    /// hashtag needed): the request it completes is answered, or asked about once more.
    FollowUp => "follow_up",
    /// The answer to the bot's questions was still not enough and the campaign allows no more
    /// questions: a person takes the request, with everything gathered.
    QuestionsExhausted => "questions_exhausted",
    /// A quick-reply button's payload that names none of the choices offered (tampered with,
    /// or from an expired question): nothing is picked.
    InvalidChoice => "invalid_choice",
    /// A crisis alert is active (many people in distress at once): an automated reply that
    /// would have gone out waits for a person instead.
    CrisisSuspected => "crisis_suspected",
    /// Not addressed to the brand, but one of its listening queries or geofences heard it: a
    /// person decides whether and how to step in (never the bot).
    Listening => "listening",
    /// Heard inside one of the brand's geofences.
    Geofence => "geofence",
    /// Heard, and read as the author's or a relative's birthday, wedding, birth…
    LifeEvent => "life_event",
    /// Heard, and read as the author's own photo or video (reuse needs their consent).
    UgcShare => "ugc_share",
    /// Heard, and read as a complaint.
    Complaint => "complaint",
    /// Heard, and read as a request for help.
    SupportRequest => "support_request",
    /// Heard, and about someone's safety (a lost child, an injury, an attack, a fire): urgent.
    Safety => "safety",
    /// Heard, but only counted: the query or geofence observes, or what was heard is chatter
    /// its intrusion policy leaves alone.
    Observed => "observed",
    /// A review its author edited (its rating or text): kept as a revision in the review's
    /// conversation, for a person to read (before → after).
    ReviewRevised => "review_revised",
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What listening heard in a post (the replay contract's `listening` object): the queries it
/// matched and the nearest geofence it is inside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heard {
    pub queries: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geofence: Option<FenceHit>,
}

/// A geofence a post is inside, and how far from its centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FenceHit {
    pub name: String,
    /// Metres, rounded.
    pub distance_m: u64,
}

/// The decision for one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
    pub conversation: Option<ConversationId>,
    /// The text of the automated reply or draft.
    pub reply: Option<String>,
    /// The human queue the event goes to.
    pub queue: Option<String>,
    pub triage: Option<Triage>,
    /// For `invalid`: what could not be read.
    pub error: Option<String>,
    /// The campaign (rule) that produced the reply or draft, if one did.
    pub campaign: Option<String>,
    /// The request's key in that campaign (`code=69003`, `help`): one answer per author and key.
    pub campaign_key: Option<String>,
    /// The brand's channel (`PLATFORM:ID`, [`crate::Channel::key`]) the event was addressed to,
    /// for what reaches the inbox: its conversation belongs to that account.
    pub channel: Option<String>,
    /// The choices a question offers (`93200 (Saint-Denis, Seine-Saint-Denis)`), sent as
    /// quick-reply buttons where the platform has them.
    pub choices: Vec<String>,
    /// Alerts this event raised (`crisis_suspected`).
    pub alerts: Vec<Alert>,
    /// What listening heard in the post, if anything.
    pub listening: Option<Heard>,
}

impl Decision {
    pub fn new(outcome: Outcome, reasons: Vec<Reason>) -> Self {
        Decision {
            outcome,
            reasons,
            conversation: None,
            reply: None,
            queue: None,
            triage: None,
            error: None,
            campaign: None,
            campaign_key: None,
            channel: None,
            choices: Vec::new(),
            alerts: Vec::new(),
            listening: None,
        }
    }

    pub fn ignored(reason: Reason) -> Self {
        Decision::new(Outcome::Ignored, vec![reason])
    }

    /// The text Palabre sends on its own for this decision: the bot's answer, or the help reply
    /// that goes out while a person looks at a malformed request. A draft's text is not sent
    /// until a person approves it. `replay` prints it, the guardrails remember it, and `serve`
    /// puts it in the outbox: one definition for all three.
    pub fn sent_reply(&self) -> Option<&str> {
        match self.outcome {
            Outcome::BotReplied | Outcome::RoutedToHuman => self.reply.as_deref(),
            _ => None,
        }
    }

    pub fn invalid(reason: Reason, error: impl Into<String>) -> Self {
        Decision {
            error: Some(error.into()),
            ..Decision::new(Outcome::Invalid, vec![reason])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_replies_are_sent_and_drafts_are_not() {
        let with = |outcome| Decision {
            reply: Some("text".into()),
            ..Decision::new(outcome, vec![])
        };
        assert_eq!(with(Outcome::BotReplied).sent_reply(), Some("text"));
        assert_eq!(with(Outcome::RoutedToHuman).sent_reply(), Some("text"));
        assert_eq!(with(Outcome::Drafted).sent_reply(), None);
        assert_eq!(
            Decision::new(Outcome::RoutedToHuman, vec![]).sent_reply(),
            None
        );
    }

    #[test]
    fn names_match_serde_and_are_unique() {
        for r in Reason::ALL {
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::json!(r.as_str())
            );
        }
        let mut names: Vec<_> = Reason::ALL.iter().map(|r| r.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Reason::ALL.len());
        for o in Outcome::ALL {
            assert_eq!(
                serde_json::to_value(o).unwrap(),
                serde_json::json!(o.as_str())
            );
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
    }
}
