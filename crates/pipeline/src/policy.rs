//! The policy the decision applies: our channels, the human queue, the memory windows.

use crate::crisis::CrisisSettings;
use crate::survey::Survey;
use palabre_core::{Channel, Message, MessageKind, Platform, Reason};

/// Default number of events remembered per generation for deduplication and threading:
/// 1,835,008 = 7/8 of 2^21, the most a 2^21-bucket table holds before it grows, so both
/// generations together take at most 2 × 2^21 slots (see docs/performance.md for the bound).
pub const DEFAULT_WINDOW: usize = 1_835_008;

/// Default number of requests remembered per generation for repeat detection: 458,752 = 7/8 of
/// 2^19. Fewer than events: only messages addressed to the brand are requests, and a repeat
/// matters only within the repeat window.
pub const DEFAULT_REQUEST_WINDOW: usize = 458_752;

/// How long the same request from the same author counts as a repeat: 24 hours.
pub const DEFAULT_REPEAT_WINDOW_SECS: i64 = 24 * 3600;

/// What decide needs to know about the brand.
#[derive(Debug, Clone)]
pub struct Policy {
    pub channels: Vec<Channel>,
    /// The queue messages routed to humans land in.
    pub default_queue: String,
    /// Events remembered per generation (ids and threads).
    pub window: usize,
    /// Requests remembered per generation (repeat detection).
    pub request_window: usize,
    /// Seconds during which the same author asking the same thing is a repeat.
    pub repeat_window_secs: i64,
    /// What keeps automated replies from embarrassing the brand.
    pub guardrails: Guardrails,
    /// What is hidden from the brand's own posts.
    pub moderation: Moderation,
    /// The channels' satisfaction surveys.
    pub surveys: Vec<Survey>,
    /// When a burst of distress raises a crisis alert.
    pub crisis: CrisisSettings,
}

/// Moderation of what others write under the brand's posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moderation {
    /// Hide toxic comments and replies on our posts at once (a human then reaches out
    /// privately); off by default, so that nothing is hidden without the brand asking for it.
    pub hide_toxic: bool,
    /// The queue hidden messages land in, for a human to review.
    pub queue: String,
}

impl Default for Moderation {
    fn default() -> Self {
        Moderation {
            hide_toxic: false,
            queue: "moderation".to_owned(),
        }
    }
}

/// Limits on automated replies, whatever the campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guardrails {
    /// Automated replies one author may receive in `author_cap_window_secs`, across campaigns.
    pub author_cap: u32,
    pub author_cap_window_secs: i64,
    /// Automated replies one conversation may receive.
    pub conversation_cap: u32,
    /// Stops all automation: everything goes to humans.
    pub crisis_brake: bool,
    /// The crisis brake on these channels only (`PLATFORM:ID`): what is addressed to them goes
    /// to humans (see [`Policy::braked`]).
    pub braked_channels: Vec<String>,
    /// Where sampled replies go for review.
    pub review_queue: String,
}

impl Default for Guardrails {
    fn default() -> Self {
        Guardrails {
            author_cap: 3,
            author_cap_window_secs: 24 * 3600,
            conversation_cap: 2,
            crisis_brake: false,
            braked_channels: Vec::new(),
            review_queue: "review".to_owned(),
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            channels: Vec::new(),
            default_queue: "inbox".to_owned(),
            window: DEFAULT_WINDOW,
            request_window: DEFAULT_REQUEST_WINDOW,
            repeat_window_secs: DEFAULT_REPEAT_WINDOW_SECS,
            guardrails: Guardrails::default(),
            moderation: Moderation::default(),
            surveys: Vec::new(),
            crisis: CrisisSettings::default(),
        }
    }
}

impl Policy {
    pub fn with_channels(channels: Vec<Channel>) -> Self {
        Policy {
            channels,
            ..Policy::default()
        }
    }

    /// Channels a message on `platform` can be addressed to. Generic events may concern any
    /// channel.
    fn candidates(&self, platform: Platform) -> impl Iterator<Item = &Channel> {
        self.channels
            .iter()
            .filter(move |c| platform == Platform::Generic || c.platform == platform)
    }

    /// Is this account id (or handle) one of ours on that platform?
    pub fn channel_for_account(
        &self,
        platform: Platform,
        id: &str,
        handle: Option<&str>,
    ) -> Option<&Channel> {
        self.candidates(platform)
            .find(|c| c.id.as_str() == id || handle.is_some_and(|h| c.is_handle(h)))
    }

    /// The channel that wrote this message, if we did.
    pub fn own_channel(&self, message: &Message) -> Option<&Channel> {
        let a = &message.author;
        self.channel_for_account(message.id.platform, &a.id, a.handle.as_deref())
    }

    /// The channel this direct message was sent to, or sent from (echoes).
    pub fn direct_channel(&self, message: &Message) -> Option<&Channel> {
        debug_assert_eq!(message.kind, MessageKind::Direct);
        let platform = message.id.platform;
        message
            .recipient
            .as_deref()
            .and_then(|r| self.channel_for_account(platform, r, None))
            .or_else(|| self.own_channel(message))
            .or_else(|| self.mentioned_channel(message))
    }

    /// The first of our channels the message mentions.
    pub fn mentioned_channel(&self, message: &Message) -> Option<&Channel> {
        let platform = message.id.platform;
        message.entities.mentions.iter().find_map(|m| {
            self.candidates(platform)
                .find(|c| m.id.as_deref() == Some(c.id.as_str()) || c.is_handle(&m.handle))
        })
    }

    /// The channel a message addressed to the brand belongs to: the account it was sent to,
    /// replied to, commented under or mentioned (in that order), else the platform's only
    /// channel (reviews name no account). `None` when several channels could take it.
    pub fn channel_of(&self, message: &Message) -> Option<&Channel> {
        let platform = message.id.platform;
        let account =
            |id: Option<&str>| id.and_then(|a| self.channel_for_account(platform, a, None));
        account(message.recipient.as_deref())
            .or_else(|| account(message.in_reply_to_author.as_deref()))
            .or_else(|| self.mentioned_channel(message))
            .or_else(|| {
                let mut candidates = self.candidates(platform);
                match (candidates.next(), candidates.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            })
    }

    /// Whether the crisis brake holds what the brand would say to `message`: on every channel,
    /// or on the message's channel; when several channels of its platform could answer, on any
    /// of them (as the outbox holds an action whose channel is unknown).
    pub fn braked(&self, message: &Message) -> bool {
        let rails = &self.guardrails;
        if rails.crisis_brake {
            return true;
        }
        if rails.braked_channels.is_empty() {
            return false;
        }
        match self.channel_of(message) {
            Some(channel) => {
                let key = channel.key();
                rails.braked_channels.contains(&key)
            }
            None => {
                let platform = message.id.platform.as_str();
                rails
                    .braked_channels
                    .iter()
                    .any(|b| b.split_once(':').is_some_and(|(p, _)| p == platform))
            }
        }
    }

    /// The survey of the channel a message addressed to the brand belongs to, if it has one.
    pub fn survey_for(&self, message: &Message) -> Option<&Survey> {
        if self.surveys.is_empty() {
            return None;
        }
        let channel = self.channel_of(message)?;
        let key = channel.key();
        self.surveys.iter().find(|s| s.channel == key)
    }

    /// How the message is addressed to the brand, if it is: a direct message to one of our
    /// channels, a review, a comment on our post, a reply to us, a mention of us. Reposts are
    /// never addressed (their text is someone else's).
    pub fn addressed(&self, message: &Message) -> Option<Reason> {
        let platform = message.id.platform;
        let replies_to_us = || {
            message
                .in_reply_to_author
                .as_deref()
                .is_some_and(|a| self.channel_for_account(platform, a, None).is_some())
        };
        match message.kind {
            MessageKind::Repost => None,
            MessageKind::Direct => self.direct_channel(message).map(|_| Reason::DirectMessage),
            MessageKind::Review => Some(Reason::Review),
            MessageKind::Comment => (replies_to_us() || self.mentioned_channel(message).is_some())
                .then_some(Reason::Comment),
            MessageKind::Reply if replies_to_us() => Some(Reason::ReplyToChannel),
            _ => self.mentioned_channel(message).map(|_| Reason::Mention),
        }
    }
}
