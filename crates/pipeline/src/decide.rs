//! Decide: the pure function from a message and the facts gathered about it to one outcome.
//!
//! `(message, facts, policy) → Decision`. No clock, no I/O, no state: the stateful stages
//! (dedupe, thread, repeat) run before and hand their findings in as [`Facts`]. That is what
//! lets `palabre replay` reproduce production decisions exactly.

use crate::policy::Policy;
use palabre_core::{ConversationId, Decision, Message, MessageKind, Outcome, Reason, Triage};

/// What the stateful stages found out about a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub seen: Seen,
    pub conversation: ConversationId,
    /// The conversation of the same request from the same author, if this is a repeat.
    pub repeat_of: Option<ConversationId>,
    /// The message answered was seen before (only meaningful for replies).
    pub parent_seen: bool,
    /// How a new message is addressed to the brand (`Policy::addressed`), if it is.
    pub addressed: Option<Reason>,
    /// What triage read in a new message addressed to the brand.
    pub triage: Option<Triage>,
}

/// Whether the event's id was seen before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    New,
    /// Same id, same content: a redelivery.
    SameContent,
    /// Same id, other content: the first version stands.
    OtherContent,
}

/// The one outcome for `message`, with its reasons.
pub fn decide(message: &Message, facts: &Facts, policy: &Policy) -> Decision {
    let mut decision = decide_outcome(message, facts, policy);
    if decision.conversation.is_none() {
        decision.conversation = Some(facts.conversation.clone());
    }
    if decision.outcome == Outcome::RoutedToHuman {
        decision.queue = Some(policy.default_queue.clone());
    }
    decision.triage = facts.triage;
    decision
}

fn decide_outcome(message: &Message, facts: &Facts, policy: &Policy) -> Decision {
    match facts.seen {
        Seen::SameContent => return Decision::ignored(Reason::Duplicate),
        Seen::OtherContent => {
            return Decision::new(
                Outcome::Ignored,
                vec![Reason::Duplicate, Reason::IdConflict],
            );
        }
        Seen::New => {}
    }
    if policy.own_channel(message).is_some() {
        return Decision::ignored(Reason::OwnMessage);
    }
    let platform = message.id.platform;
    let references_us = message
        .referenced
        .as_ref()
        .and_then(|r| {
            policy.channel_for_account(
                platform,
                r.author_id.as_deref().unwrap_or(""),
                r.author_handle.as_deref(),
            )
        })
        .is_some();
    if message.kind == MessageKind::Repost {
        return Decision::ignored(if references_us {
            Reason::EchoOfOwnPost
        } else {
            Reason::Repost
        });
    }

    let Some(address) = facts.addressed else {
        if message.kind == MessageKind::Quote && references_us {
            return Decision::ignored(Reason::EchoOfOwnPost);
        }
        return Decision::ignored(Reason::NotAddressed);
    };
    if message.is_empty() {
        return Decision::ignored(Reason::Empty);
    }
    if let Some(original) = &facts.repeat_of {
        return Decision {
            conversation: Some(original.clone()),
            ..Decision::ignored(Reason::RepeatedRequest)
        };
    }
    let mut reasons = vec![address];
    if message.in_reply_to.is_some() && !facts.parent_seen && message.kind != MessageKind::Direct {
        reasons.push(Reason::OrphanReply);
    }
    Decision::new(Outcome::RoutedToHuman, reasons)
}
