//! Decide: the pure function from a message and the facts gathered about it to one outcome.
//!
//! `(message, facts, policy) → Decision`. No clock, no I/O, no state: the stateful stages
//! (dedupe, thread, repeat) run before and hand their findings in as [`Facts`]. That is what
//! lets `palabre replay` reproduce production decisions exactly.

use crate::crisis::CrisisState;
use crate::guard::GuardFacts;
use crate::policy::Policy;
use palabre_campaigns::{CampaignMatch, CampaignReply, Certainty, Mode};
use palabre_core::{
    AuthorKind, ConversationId, Decision, Emotion, Intent, Message, MessageKind, Outcome, Reason,
    SentimentLabel, Triage,
};
use palabre_listening::Verdict;

/// What the stateful stages found out about a message.
#[derive(Debug, Clone)]
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
    /// The campaign this message is a request to, if any.
    pub campaign: Option<CampaignMatch>,
    /// What the guardrails remember about that request.
    pub guard: GuardFacts,
    /// A human took over the conversation: the bot stays out of it.
    pub bot_paused: bool,
    /// The channel's survey, rendered, when this message confirms that a support exchange
    /// the brand answered ended well and the author got no survey within its period.
    pub survey: Option<String>,
    /// The message was read as the answer to the bot's question (a pending request).
    pub follow_up: Option<FollowUpFacts>,
    /// The message carries a quick-reply payload that names none of the choices offered.
    pub bad_choice: bool,
    /// What the crisis detector says after this message.
    pub crisis: CrisisState,
    /// What the brand's listening heard in this new message, and what a person is shown.
    pub listening: Option<ListeningFacts>,
    /// A review its author edited: this is the new version, kept beside the first.
    pub revision: bool,
}

/// What listening heard in a message and what its policies say.
#[derive(Debug, Clone)]
pub struct ListeningFacts {
    pub heard: palabre_core::Heard,
    pub verdict: palabre_listening::Verdict,
    /// The listening queue.
    pub queue: String,
    /// A reply suggested to the person who steps in (a draft, never sent by the bot).
    pub draft: Option<String>,
}

/// What the pending request a message answers says about asking again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowUpFacts {
    /// Questions asked so far in this request (the first help counts).
    pub asked: u8,
    /// Questions the campaign allows after the first help.
    pub questions: u8,
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
    if decision.queue.is_none()
        && matches!(decision.outcome, Outcome::RoutedToHuman | Outcome::Drafted)
    {
        decision.queue = Some(policy.default_queue.clone());
    }
    decision.triage = facts.triage;
    if facts.crisis.raised {
        decision.alerts.push(palabre_core::Alert::CrisisSuspected);
    }
    // While a crisis alert is active, nothing automated goes out: what the bot would have
    // sent (an answer, a help, a survey) waits for a person's approval.
    if facts.crisis.active && decision.sent_reply().is_some() {
        decision.outcome = Outcome::Drafted;
        decision.reasons.push(Reason::CrisisSuspected);
    }
    if !matches!(decision.outcome, Outcome::Ignored | Outcome::Invalid) {
        decision.channel = policy.channel_of(message).map(|c| c.key());
    }
    decision.listening = facts.listening.as_ref().map(|l| l.heard.clone());
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
    if let Some(request) = &facts.campaign {
        return campaign_decision(request, facts, policy, policy.braked(message));
    }

    let Some(address) = facts.addressed else {
        if message.kind == MessageKind::Quote && references_us {
            return Decision::ignored(Reason::EchoOfOwnPost);
        }
        // Heard by listening: a person decides, never the bot.
        return match facts.listening.as_ref() {
            Some(ListeningFacts {
                verdict: Verdict::Surface(reasons),
                queue,
                draft,
                ..
            }) => Decision {
                queue: Some(queue.clone()),
                reply: draft.clone(),
                ..Decision::new(
                    if draft.is_some() {
                        Outcome::Drafted
                    } else {
                        Outcome::RoutedToHuman
                    },
                    reasons.clone(),
                )
            },
            Some(_) => Decision::new(Outcome::Ignored, vec![Reason::Listening, Reason::Observed]),
            None => Decision::ignored(Reason::NotAddressed),
        };
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
    if facts.revision {
        reasons.push(Reason::ReviewRevised);
    }
    if message.in_reply_to.is_some() && !facts.parent_seen && message.kind != MessageKind::Direct {
        reasons.push(Reason::OrphanReply);
    }
    if facts.bad_choice {
        reasons.push(Reason::InvalidChoice);
    }
    // Escalations say why: an angry or abusive message reaches a human with that reason.
    let toxic = facts.triage.is_some_and(|t| t.toxic);
    if toxic {
        reasons.push(Reason::Toxic);
    }
    if facts.triage.is_some_and(|t| t.emotion == Emotion::Anger) {
        reasons.push(Reason::Anger);
    }
    // An insult under one of our posts is hidden at once when the brand asked for it; a human
    // then reviews it (and may reach out privately) from the moderation queue.
    let under_our_post = matches!(address, Reason::Comment | Reason::ReplyToChannel);
    if policy.moderation.hide_toxic && under_our_post && toxic {
        return Decision {
            queue: Some(policy.moderation.queue.clone()),
            ..Decision::new(Outcome::Hidden, reasons)
        };
    }
    if let Some(survey) = &facts.survey
        && reasons.len() == 1
    {
        // The exchange ended well: the survey closes it, unless all automation is stopped
        // (the customer's thanks then reach a person as usual) or a person took the
        // conversation over (they decide, with the survey drafted for them).
        if policy.braked(message) {
            reasons.push(Reason::CrisisBrake);
        } else if facts.bot_paused {
            reasons.extend([Reason::Survey, Reason::HumanTakeover]);
            return Decision {
                reply: Some(survey.clone()),
                ..Decision::new(Outcome::Drafted, reasons)
            };
        } else {
            reasons.push(Reason::Survey);
            return Decision {
                reply: Some(survey.clone()),
                ..Decision::new(Outcome::BotReplied, reasons)
            };
        }
    }
    Decision::new(Outcome::RoutedToHuman, reasons)
}

/// A campaign request: answer, help, draft or human, by the guardrails, in this order:
/// spam and marketing (never answered, no help), a human's takeover, a failed template, the
/// crisis brake, toxic, angry, organisation, negative; then help (once per person per window;
/// in answer to the bot's question, as many more as the campaign allows, each text once);
/// then one answer per key per window, the author and conversation caps, the same text twice;
/// then an answer the campaign is not sure of (two FAQ entries tied, a weak match, an FAQ
/// match on a message that is no question) as a draft; then the campaign's mode.
fn campaign_decision(
    request: &CampaignMatch,
    facts: &Facts,
    policy: &Policy,
    braked: bool,
) -> Decision {
    let rails = &policy.guardrails;
    let g = &facts.guard;
    let to_human = |reasons: Vec<Reason>| Decision::new(Outcome::RoutedToHuman, reasons);
    let mut decision = {
        let text = request.text().map(str::to_owned);
        let draft = |reasons: Vec<Reason>| Decision {
            reply: text.clone(),
            ..Decision::new(Outcome::Drafted, reasons)
        };
        let triage = facts.triage.as_ref();
        if triage.is_some_and(|t| t.spam) {
            Decision::ignored(Reason::Spam)
        } else if triage.is_some_and(|t| {
            // A request found in the table is a request, whatever its tone ("@aerolune tarif
            // Paris Londres" reads like an offer); marketing that only uses the hashtag, or
            // any by an organisation, gets nothing, not even a help reply.
            t.intent == Intent::Promotion
                && (t.author_kind == AuthorKind::Organisation || request.is_help())
        }) {
            Decision::ignored(Reason::Promotion)
        } else if facts.bot_paused {
            to_human(vec![Reason::HumanTakeover])
        } else if let CampaignReply::Failed { .. } = request.reply {
            to_human(vec![Reason::TemplateFailed])
        } else if braked {
            to_human(vec![Reason::CrisisBrake])
        } else if triage.is_some_and(|t| t.toxic) {
            to_human(vec![Reason::Toxic])
        } else if triage.is_some_and(|t| t.emotion == Emotion::Anger) {
            to_human(vec![Reason::Anger])
        } else if triage.is_some_and(|t| t.author_kind == AuthorKind::Organisation) {
            draft(vec![Reason::OrganisationAuthor])
        } else if triage.is_some_and(|t| t.sentiment.label == SentimentLabel::Negative) {
            draft(vec![Reason::Negative])
        } else if let CampaignReply::Help { cause, .. } = &request.reply {
            // The author gets one help reply, and a human looks at the request either way.
            let mut reasons = vec![Reason::MalformedRequest];
            if !cause.choices().is_empty() {
                reasons.push(Reason::UnclearIntent);
            }
            let refused = match facts.follow_up {
                // An answer to the bot's question that is still not enough: one more question
                // while the campaign allows it, never the same text twice.
                Some(f) if f.asked > f.questions => Some(Reason::QuestionsExhausted),
                Some(_) if g.same_text_sent => Some(Reason::SameTextTwice),
                Some(_) => None,
                None if g.help_already_sent || g.same_text_sent => Some(Reason::HelpAlreadySent),
                None => None,
            };
            match refused {
                Some(why) => {
                    reasons.push(why);
                    to_human(reasons)
                }
                None => Decision {
                    reply: text.clone(),
                    choices: cause.choices().to_vec(),
                    ..to_human(reasons)
                },
            }
        } else if g.already_answered {
            Decision::ignored(Reason::AlreadyAnswered)
        } else if g.author_replies >= rails.author_cap {
            to_human(vec![Reason::AuthorCap])
        } else if g.conversation_replies >= rails.conversation_cap {
            to_human(vec![Reason::ConversationCap])
        } else if g.same_text_sent {
            draft(vec![Reason::SameTextTwice])
        } else if let Certainty::Tied { .. } = request.certainty {
            draft(vec![Reason::CampaignAnswer, Reason::UnclearIntent])
        } else if request.certainty == Certainty::Weak
            || (request.is_faq()
                && triage.is_some_and(|t| {
                    // An FAQ answers questions; a complaint or praise that happens to be close
                    // to one ("ma valise est arrivée cassée") is a person's to read.
                    !matches!(
                        t.intent,
                        Intent::Question | Intent::SupportRequest | Intent::Other
                    )
                }))
        {
            draft(vec![Reason::CampaignAnswer, Reason::UnsureMatch])
        } else {
            match request.campaign.mode {
                Mode::Draft => draft(vec![Reason::CampaignAnswer, Reason::DraftMode]),
                Mode::Auto => Decision {
                    reply: text.clone(),
                    ..Decision::new(Outcome::BotReplied, vec![Reason::CampaignAnswer])
                },
                Mode::Sample { .. } if g.sampled => Decision {
                    reply: text.clone(),
                    queue: Some(rails.review_queue.clone()),
                    ..Decision::new(
                        Outcome::BotReplied,
                        vec![Reason::CampaignAnswer, Reason::SampledForReview],
                    )
                },
                Mode::Sample { .. } => Decision {
                    reply: text.clone(),
                    ..Decision::new(Outcome::BotReplied, vec![Reason::CampaignAnswer])
                },
            }
        }
    };
    if facts.follow_up.is_some() {
        decision.reasons.push(Reason::FollowUp);
    }
    decision.campaign = Some(request.campaign.id.clone());
    decision.campaign_key = Some(request.key.clone());
    decision
}
