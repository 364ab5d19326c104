//! The path of an event, as one visible function: [`Pipeline::process`].
//!
//! ```text
//! line ─► normalize ─► dedupe ─► thread ─► repeat ─► match ─► triage ─► follow-up ─► crisis ─► decide ─► Processed
//!         (connectors) (window of  (reply    (same     (campaigns (addressed (the answer  (people   (pure:
//!                       ids)       chains,   author,   on new     messages   to the bot's in        facts →
//!                                  DMs)      same ask) messages)  only)      question)    distress) outcome)
//! ```
//!
//! Normalize, match, triage and decide are pure. Dedupe, thread, repeat, the waiting requests
//! ([`pending`]), the crisis detector ([`crisis`]), the guardrails' and the surveys' memories
//! keep bounded state, so memory stays flat however long the stream. Triage reads only new
//! messages addressed to the brand, campaign requests and answers to the bot's questions.

pub mod crisis;
pub mod decide;
pub mod fingerprint;
pub mod guard;
pub mod pending;
pub mod policy;
pub mod state;
pub mod survey;
pub mod window;

pub use decide::{Facts, FollowUpFacts, Seen, decide};
pub use palabre_core::{MessageKeys as Keys, SeedRow};
pub use policy::Policy;
pub use state::State;

use crisis::CrisisDetector;
use guard::GuardMemory;
use palabre_campaigns::{CampaignSet, FollowUpRead};
use palabre_connectors::{Event, Format, Normalized, normalize_into};
use palabre_core::{ConversationId, Decision, EventId, Lang, Message, Outcome, Reason, SentReply};
use palabre_embed::Model;
use palabre_triage::Triager;
use pending::{Pending, PendingMemory, Step};
use std::collections::HashSet;
use std::sync::Arc;
use survey::{SurveyMemory, Turn};

/// What the pipeline made of one event.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The event's id, when it could be read.
    pub event_id: Option<EventId>,
    pub decision: Decision,
    pub record: Record,
}

/// What the store should keep of a processed event.
#[derive(Debug, Clone)]
pub enum Record {
    /// A message seen for the first time, with the keys the windows will need after a restart.
    Fresh { message: Box<Message>, keys: Keys },
    /// An id seen before with other content: kept aside, never overwriting the first version.
    Conflict { message: Box<Message> },
    /// A line or event that could not be read: kept with its error.
    Rejected { raw: String },
    /// Nothing new to keep (a duplicate, or an event that is not a message).
    Nothing,
}

/// A campaign decision as the store keeps it, for [`Pipeline::restore_pending`].
#[derive(Debug, Clone)]
pub struct StoredRequest {
    pub conversation: String,
    /// The author key (the store's `author_key`).
    pub author: u64,
    pub campaign: String,
    /// A help or question went out (reason `malformed_request` with a reply sent).
    pub asked: bool,
    /// Reason `follow_up`: it answered an earlier question.
    pub follow_up: bool,
    pub text: String,
    pub lang: Lang,
    /// Seconds.
    pub at: i64,
}

/// A step of [`Pipeline::process_line_steps`].
// Built and matched at once, never stored: boxing the decision would cost an allocation per
// event on the hot path for nothing.
#[allow(clippy::large_enum_variant)]
pub enum LineStep<'p> {
    /// A message written at `at` is about to be processed.
    Before {
        at: jiff::Timestamp,
        pipeline: &'p Pipeline,
    },
    /// What an event became.
    Decided(Processed),
}

/// The deterministic decision path with its bounded state.
pub struct Pipeline {
    policy: Policy,
    state: State,
    guard: GuardMemory,
    /// Support exchanges and surveys sent, when a channel has a survey.
    surveys: SurveyMemory,
    /// Requests waiting for the answer to a campaign's help or question.
    pending: PendingMemory,
    /// Bursts of distress among the people writing to the brand.
    crisis: CrisisDetector,
    /// The brake the configuration asks for (`[guardrails] crisis_brake`): the switch's state
    /// adds to it, never removes it.
    configured_brake: bool,
    triager: Option<Arc<Triager>>,
    campaigns: Option<Arc<CampaignSet>>,
    /// The brand's listening queries and geofences.
    listening: Option<Arc<palabre_listening::Listening>>,
    /// Conversations a human took over: no automated reply goes into them until released.
    /// Few (only those a person touched), so a plain set.
    paused: HashSet<ConversationId>,
    scratch: Vec<Normalized>,
    model_budget: ModelBudget,
    /// The language model FAQ campaigns read messages with (within `model_budget`).
    meaning: Option<Arc<Model>>,
    /// Messages it read for them.
    faq_reads: Arc<std::sync::atomic::AtomicU64>,
}

/// How many messages a second of the events' own time the language model may read (0: no
/// limit). Counted on the events' clock, so that a replay gives the model the same messages
/// `serve` gave it.
#[derive(Debug, Clone, Copy, Default)]
struct ModelBudget {
    per_second: u32,
    second: i64,
    used: u32,
}

impl ModelBudget {
    fn allow(&mut self, at: jiff::Timestamp) -> bool {
        if self.per_second == 0 {
            return true;
        }
        let second = at.as_second();
        if second != self.second {
            self.second = second;
            self.used = 0;
        }
        if self.used < self.per_second {
            self.used += 1;
            true
        } else {
            false
        }
    }
}

impl Pipeline {
    pub fn new(policy: Policy) -> Self {
        let state = State::new(&policy);
        let guard = GuardMemory::new(policy.request_window);
        let policy_window = policy.request_window;
        let crisis = CrisisDetector::new(policy.crisis.clone());
        let configured_brake = policy.guardrails.crisis_brake;
        let surveys = SurveyMemory::new(if policy.surveys.is_empty() {
            1
        } else {
            policy.request_window
        });
        Pipeline {
            policy,
            state,
            guard,
            surveys,
            // Requests wait for their answer half an hour or so: an eighth of the request
            // window holds tens of thousands of them, in a bounded memory.
            pending: PendingMemory::new((policy_window / 8).max(1024)),
            crisis,
            configured_brake,
            triager: None,
            listening: None,
            campaigns: None,
            paused: HashSet::new(),
            scratch: Vec::with_capacity(4),
            model_budget: ModelBudget::default(),
            meaning: None,
            faq_reads: Arc::default(),
        }
    }

    /// Reads every new message addressed to the brand with `triager` (language, sentiment,
    /// emotion, toxicity, intent, author kind) before deciding.
    pub fn with_triage(mut self, triager: Arc<Triager>) -> Self {
        self.triager = Some(triager);
        self
    }

    /// Triage, if it reads messages.
    pub fn triager(&self) -> Option<&Arc<Triager>> {
        self.triager.as_ref()
    }

    /// At most `per_second` messages a second (of the events' time) are read by triage's
    /// language model, when it has one; the others keep the fast reading. 0: no limit.
    pub fn with_model_budget(mut self, per_second: u32) -> Self {
        self.model_budget.per_second = per_second;
        self
    }

    /// FAQ campaigns read the messages they may answer with `model` (the one their questions
    /// were read with, [`CampaignSet::read_meaning`]), within the model budget; without it, or
    /// past the budget, they match on words and only draft.
    pub fn with_meaning(mut self, model: Arc<Model>) -> Self {
        self.meaning = Some(model);
        self
    }

    /// Whether FAQ campaigns read messages with the language model.
    pub fn reads_meaning(&self) -> bool {
        self.meaning.is_some()
    }

    /// The count of messages the language model read for FAQ campaigns (the others were
    /// matched on words: no model, or past its budget), readable while the pipeline runs
    /// elsewhere.
    pub fn faq_reads(&self) -> Arc<std::sync::atomic::AtomicU64> {
        Arc::clone(&self.faq_reads)
    }

    /// The campaigns it answers for, if any.
    pub fn campaigns(&self) -> Option<&Arc<CampaignSet>> {
        self.campaigns.as_ref()
    }

    /// Hears what these queries and geofences catch beyond what is addressed to the brand,
    /// and routes what their policies surface to people (never to the bot).
    pub fn with_listening(mut self, listening: Arc<palabre_listening::Listening>) -> Self {
        self.listening = (!listening.is_empty()).then_some(listening);
        self
    }

    pub fn listening(&self) -> Option<&Arc<palabre_listening::Listening>> {
        self.listening.as_ref()
    }

    /// Answers the requests these campaigns declare, within the guardrails.
    pub fn with_campaigns(mut self, campaigns: Arc<CampaignSet>) -> Self {
        self.campaigns = Some(campaigns);
        self
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// A human took over `conversation` (`true`) or released it (`false`): while paused, no
    /// automated reply goes into it (reason `human_takeover`).
    pub fn set_bot_paused(&mut self, conversation: &ConversationId, paused: bool) {
        if paused {
            self.paused.insert(conversation.clone());
            self.pending.close(conversation);
        } else {
            self.paused.remove(conversation);
        }
    }

    /// Restores the windows from stored messages (oldest first), after a restart.
    pub fn seed(&mut self, rows: impl IntoIterator<Item = SeedRow>) {
        for row in rows {
            self.state.seed(row);
        }
    }

    /// Forgets events that were decided but could not be recorded (the store failed): when
    /// their source reads them again, or a client sends them again, they are decided as new
    /// instead of being dropped as already seen. `(event key, request key, conversation)` of
    /// each. What the guardrails remember of an answer decided for them stays: an answer is
    /// never planned twice, at worst the event goes to a person.
    pub fn forget(&mut self, events: &[(u64, Option<u64>, String)]) {
        for (event, request, conversation) in events {
            self.state.forget(*event, *request, conversation);
        }
    }

    /// Restores the guardrails' memory from replies recorded before a restart (oldest first),
    /// so that nobody is answered twice because the process restarted.
    pub fn restore_replies(&mut self, replies: impl IntoIterator<Item = SentReply>) {
        self.guard.restore(replies, &self.policy.guardrails);
    }

    /// The brand answered in `conversation` at `at` outside the event stream (a person's reply
    /// from the inbox): a support exchange open there is answered.
    pub fn brand_answered(&mut self, conversation: &ConversationId, at: jiff::Timestamp) {
        if !self.policy.surveys.is_empty() {
            self.surveys
                .note(conversation.as_str(), 0, Turn::Answered, at.as_second());
        }
    }

    /// Restores the support exchanges and surveys from what was decided before a restart
    /// (oldest first): `(conversation, author key, turn, seconds)`, turns read by [`Turn::of`].
    pub fn restore_turns(&mut self, turns: impl IntoIterator<Item = (String, u64, Turn, i64)>) {
        if self.policy.surveys.is_empty() {
            return;
        }
        for (conversation, author, turn, at) in turns {
            self.surveys.note(&conversation, author, turn, at);
        }
    }

    /// Restores the requests waiting for an answer to a campaign's help or question from the
    /// campaign decisions recorded before a restart (oldest first), as they were noted live:
    /// a restart between the question and the answer changes nothing.
    pub fn restore_pending(&mut self, requests: impl IntoIterator<Item = StoredRequest>) {
        for r in requests {
            let step = if r.asked { Step::Asked } else { Step::Closed };
            self.pending.note(
                &ConversationId::from_stored(&r.conversation),
                r.author,
                &r.campaign,
                step,
                r.follow_up,
                &r.text,
                r.lang,
                r.at,
            );
        }
    }

    /// The crisis brake was switched on or off (`palabre brake`, the web app), on every channel
    /// (`channels` empty) or on those named: while on, nothing automated is decided for what it
    /// holds (reason `crisis_brake`). A brake the configuration asks for stays on.
    pub fn set_brake(&mut self, engaged: bool, channels: &[String]) {
        let rails = &mut self.policy.guardrails;
        rails.crisis_brake = self.configured_brake || (engaged && channels.is_empty());
        rails.braked_channels = if engaged {
            channels.to_vec()
        } else {
            Vec::new()
        };
    }

    /// Whether the brake is on for every decision (the switch on every channel, the
    /// configuration, or an alert that pulled it with `brake = "auto"`).
    pub fn brake_on(&self) -> bool {
        self.policy.guardrails.crisis_brake
    }

    /// The active crisis alert, if any.
    pub fn crisis_alert(&self) -> Option<crisis::CrisisAlert> {
        self.crisis.alert()
    }

    /// Restores the crisis detector from the messages triage read before a restart (oldest
    /// first): `(author key, text, triage, seconds)`, so that an alert active before the
    /// restart is active after it, and a burst under way is still counted.
    pub fn restore_crisis(
        &mut self,
        read: impl IntoIterator<Item = (u64, String, palabre_core::Triage, i64)>,
    ) {
        for (author, text, triage, at) in read {
            let distressed = palabre_triage::crisis::sounds_like_crisis(&text, &triage);
            self.crisis.observe(at, author, distressed);
            if distressed {
                self.crisis.example(at, author, &text);
            }
        }
    }

    /// Forgets replies the outbox withdrew before sending them (they waited past their
    /// campaign's `stale_after`): the guardrails no longer count them as sent, as after a
    /// restart (`recent_replies` leaves them out).
    pub fn withdraw_replies(&mut self, replies: impl IntoIterator<Item = SentReply>) {
        for reply in replies {
            self.guard.forget(&reply);
        }
    }

    /// Normalizes one input line and processes every event in it; `on_event` is called once
    /// per event, in order (a line holds several events for pages and webhook batches).
    pub fn process_line(
        &mut self,
        line: &str,
        format: Format,
        mut on_event: impl FnMut(Processed),
    ) {
        self.process_line_steps(line, format, |step| {
            if let LineStep::Decided(p) = step {
                on_event(p);
            }
        });
    }

    /// [`Pipeline::process_line`], also telling `on_step` the time of each message before it is
    /// processed, with the pipeline as it stands then (`replay --schedule` decides the posts due
    /// by then).
    pub fn process_line_steps(
        &mut self,
        line: &str,
        format: Format,
        mut on_step: impl FnMut(LineStep<'_>),
    ) {
        let mut events = std::mem::take(&mut self.scratch);
        normalize_into(line, format, &mut events);
        for event in events.drain(..) {
            if let Ok(Event::Message(m)) = &event {
                on_step(LineStep::Before {
                    at: m.created_at,
                    pipeline: self,
                });
            }
            let processed = match event {
                Ok(event) => self.process(event),
                Err(e) => Processed {
                    event_id: None,
                    decision: Decision::invalid(e.reason, e.message),
                    record: Record::Rejected {
                        raw: line.to_owned(),
                    },
                },
            };
            on_step(LineStep::Decided(processed));
        }
        self.scratch = events;
    }

    /// Why a scheduled post on `channel` due at `at` (seconds) would be held rather than
    /// published: the crisis brake holds its channel, or a crisis alert is under way then.
    /// `serve` holds for the same two (`Workspace::publish_due`).
    pub fn scheduled_hold(&self, at: i64, channel: &str) -> Option<Reason> {
        let rails = &self.policy.guardrails;
        if rails.crisis_brake || rails.braked_channels.iter().any(|c| c == channel) {
            Some(Reason::CrisisBrake)
        } else if self.crisis.active_at(at) {
            Some(Reason::CrisisSuspected)
        } else {
            None
        }
    }

    /// dedupe → thread → repeat → decide, for one normalized event.
    pub fn process(&mut self, event: Event) -> Processed {
        let message = match event {
            Event::Message(m) => m,
            Event::NotAMessage { id, what: _ } => {
                return Processed {
                    event_id: id,
                    decision: Decision::ignored(Reason::NotAMessage),
                    record: Record::Nothing,
                };
            }
        };
        let mut message = message;
        let mut facts = self.state.observe(&message, &self.policy);
        // A review edited by its author comes back under its id with other content: the new
        // version is kept as a revision in the review's conversation, not set aside as a
        // conflict (a second edit is a second revision; the same one again a duplicate).
        if facts.facts.seen == Seen::OtherContent
            && message.kind == palabre_core::MessageKind::Review
            && let Some(revised) = revision_of(&message, facts.keys.content)
        {
            message = Box::new(revised);
            facts = self.state.observe(&message, &self.policy);
            facts.facts.repeat_of = None;
            facts.facts.revision = true;
        }
        facts.facts.bot_paused =
            !self.paused.is_empty() && self.paused.contains(&facts.facts.conversation);
        let fresh = facts.facts.seen == Seen::New;
        // A campaign may take any new message (a hashtag is enough; no mention needed).
        if let Some(campaigns) = self.campaigns.as_ref().filter(|_| fresh)
            && self.policy.own_channel(&message).is_none()
        {
            let budget = &mut self.model_budget;
            let faq_reads = &self.faq_reads;
            let model = self.meaning.as_deref();
            let at = message.created_at;
            facts.facts.campaign =
                campaigns.evaluate_with(&message, lang_hint(&message), &mut |text| {
                    let model = model?;
                    budget.allow(at).then(|| {
                        faq_reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        model.embed(text, palabre_embed::Role::Query)
                    })
                });
        }
        // The author's key, read once for the memories below (all of them note new messages).
        let author = if fresh {
            guard::author_key(&message)
        } else {
            0
        };
        // A request the author left waiting here for the answer to the bot's question.
        let waiting = self.waiting_for(&message, author, &facts.facts);
        // What the brand's listening hears (any new message but its own).
        let hearing = match self.listening.as_ref() {
            Some(listening) if fresh && self.policy.own_channel(&message).is_none() => {
                let triager = self.triager.as_deref();
                let lang = || {
                    message.lang_hint.clone().or_else(|| {
                        let t = triager?.triage(&message.text, None, &message.author);
                        Some(match t.lang {
                            Lang::Fr => "fr".to_owned(),
                            Lang::En => "en".to_owned(),
                            Lang::Other => "other".to_owned(),
                        })
                    })
                };
                listening.hear(&message, &lang)
            }
            _ => None,
        };
        // Triage reads only what the brand may have to answer or step in on: new messages
        // addressed to it, campaign requests, answers to the bot's questions, what listening
        // heard.
        let wanted = facts.facts.addressed.is_some()
            || facts.facts.campaign.is_some()
            || !waiting.is_empty()
            || hearing.is_some();
        if let Some(triager) = self.triager.as_ref().filter(|_| wanted) {
            let budget = &mut self.model_budget;
            let at = message.created_at;
            let t = triager.triage_with(
                &message.text,
                message.lang_hint.as_deref(),
                &message.author,
                &mut || budget.allow(at),
            );
            facts.facts.triage = Some(t);
        }
        if let (Some(listening), Some(hearing)) = (self.listening.as_ref(), hearing.as_ref()) {
            let reading = palabre_listening::Reading {
                intent: facts.facts.triage.map(|t| t.intent),
            };
            let verdict = listening.verdict(hearing, &message, reading);
            let french = facts
                .facts
                .triage
                .map_or(lang_hint(&message) == Lang::Fr, |t| t.lang == Lang::Fr);
            let draft = match &verdict {
                palabre_listening::Verdict::Surface(reasons) => {
                    listening.draft(reasons, &message, french)
                }
                palabre_listening::Verdict::Observe => None,
            };
            facts.facts.listening = Some(decide::ListeningFacts {
                heard: listening.heard(hearing),
                verdict,
                queue: listening.queue.clone(),
                draft,
            });
        }
        self.read_follow_up(&message, &mut facts.facts, &waiting);
        // Every message triage read counts for the crisis detector (ours never reach triage).
        if let Some(t) = facts.facts.triage.as_ref().filter(|_| fresh) {
            let distressed = palabre_triage::crisis::sounds_like_crisis(&message.text, t);
            let at = message.created_at.as_second();
            facts.facts.crisis = self.crisis.observe(at, author, distressed);
            if distressed {
                self.crisis.example(at, author, &message.text);
            }
            if facts.facts.crisis.raised && self.policy.crisis.auto_brake {
                // `brake = "auto"`: the brake is pulled on the event that raised the alert;
                // `serve` also records it, so that a person releases it.
                self.policy.guardrails.crisis_brake = true;
            }
        }
        facts.facts.survey = self.survey_due(&message, &facts.facts);
        if let Some(request) = &facts.facts.campaign {
            let sample = match request.campaign.mode {
                palabre_campaigns::Mode::Sample { one_in } => Some(one_in),
                _ => None,
            };
            facts.facts.guard = self.guard.facts(
                &message,
                request,
                &facts.facts.conversation,
                &self.policy.guardrails,
                sample,
            );
        }
        let decision = decide(&message, &facts.facts, &self.policy);
        // What was sent (an answer, or a help reply) is remembered by the guardrails.
        if let (Some(request), Some(text)) = (&facts.facts.campaign, decision.sent_reply()) {
            self.guard.record(
                &message,
                request,
                &facts.facts.conversation,
                text,
                &self.policy.guardrails,
            );
        }
        if let Some(request) = facts.facts.campaign.as_ref().filter(|r| !r.is_faq()) {
            let asked = request.is_help() && decision.sent_reply().is_some();
            let lang = facts
                .facts
                .triage
                .map(|t| t.lang)
                .filter(|l| *l != Lang::Other)
                .unwrap_or(request.lang);
            self.pending.note(
                &facts.facts.conversation,
                author,
                &request.campaign.id,
                if asked { Step::Asked } else { Step::Closed },
                facts.facts.follow_up.is_some(),
                &message.text,
                lang,
                message.created_at.as_second(),
            );
        }
        if fresh && !self.policy.surveys.is_empty() {
            let turn = Turn::of(
                self.policy.own_channel(&message).is_some(),
                decision.outcome,
                &decision.reasons,
                facts.facts.triage.map(|t| t.intent),
                facts.facts.campaign.as_ref().is_some_and(|c| c.is_faq()),
            );
            self.surveys.note(
                facts.facts.conversation.as_str(),
                author,
                turn,
                message.created_at.as_second(),
            );
        }
        let event_id = Some(message.id.clone());
        let record = match facts.facts.seen {
            Seen::New => {
                let keys = facts.keys;
                if decision.outcome == Outcome::RoutedToHuman
                    && let Some(request) = keys.request
                {
                    self.state
                        .remember_request(request, &message, &facts.facts.conversation);
                }
                Record::Fresh { message, keys }
            }
            Seen::OtherContent => Record::Conflict { message },
            Seen::SameContent => Record::Nothing,
        };
        Processed {
            event_id,
            decision,
            record,
        }
    }
}

impl Pipeline {
    /// The requests the author of a new message left waiting in its conversation (or, when
    /// it replies to one of our channels, in the conversation of their newest one), newest
    /// first. None when a person took the conversation over, or for our own messages.
    fn waiting_for(&self, message: &Message, author: u64, facts: &Facts) -> Vec<Pending> {
        let Some(campaigns) = &self.campaigns else {
            return Vec::new();
        };
        if facts.seen != Seen::New || facts.bot_paused || self.policy.own_channel(message).is_some()
        {
            return Vec::new();
        }
        let replies_to_us = message.kind != palabre_core::MessageKind::Direct
            && facts.addressed == Some(Reason::ReplyToChannel);
        self.pending.waiting(
            &facts.conversation,
            author,
            replies_to_us,
            message.created_at.as_second(),
            |id| {
                let window = campaigns.get(id)?.follow_up.window?;
                i64::try_from(window.as_secs()).ok()
            },
        )
    }

    /// Reads a message as the answer to the bot's question when a request waits for it and
    /// the message is not something else entirely (a complaint, anger, an insult: those take
    /// the usual path). A request found whole on its own (`#MonRésultat 69003` again) stays
    /// as it is.
    fn read_follow_up(&self, message: &Message, facts: &mut Facts, waiting: &[Pending]) {
        let Some(campaigns) = &self.campaigns else {
            return;
        };
        if waiting.is_empty() || facts.campaign.as_ref().is_some_and(|c| c.is_answer()) {
            return;
        }
        let elsewhere = facts.triage.is_some_and(|t| {
            t.toxic
                || t.emotion == palabre_core::Emotion::Anger
                || t.intent == palabre_core::Intent::Complaint
        });
        if elsewhere {
            return;
        }
        for pending in waiting {
            let lang = match facts.triage.map(|t| t.lang) {
                Some(lang @ (Lang::Fr | Lang::En)) => lang,
                _ => pending.lang,
            };
            match campaigns.follow_up(&pending.campaign, &pending.gathered, message, lang) {
                FollowUpRead::Nothing => continue,
                FollowUpRead::BadChoice => {
                    facts.bad_choice = true;
                    facts.campaign = None;
                }
                FollowUpRead::Read(request) => {
                    let questions = campaigns
                        .get(&pending.campaign)
                        .map_or(0, |c| c.follow_up.questions);
                    facts.campaign = Some(*request);
                    facts.follow_up = Some(FollowUpFacts {
                        asked: pending.asked,
                        questions,
                    });
                    // The answer belongs to the exchange that asked for it.
                    facts.conversation = pending.conversation.clone();
                }
            }
            return;
        }
    }

    /// The channel's survey, rendered, if this new message replies to the brand's answer in a
    /// support exchange of its author's, confirms the problem is solved, and its author got no
    /// survey within the period.
    fn survey_due(&self, message: &Message, facts: &Facts) -> Option<String> {
        let replies_to_answer = matches!(
            facts.addressed,
            Some(Reason::ReplyToChannel | Reason::Comment | Reason::DirectMessage)
        );
        if !replies_to_answer || facts.campaign.is_some() {
            return None;
        }
        let survey = self.policy.survey_for(message)?;
        // Never to an organisation (a partner, a media): a survey is for customers.
        let triage = facts
            .triage
            .as_ref()
            .filter(|t| t.author_kind == palabre_core::AuthorKind::Person)?;
        let author = guard::author_key(message);
        let due = self.surveys.answered(facts.conversation.as_str(), author)
            && !self.surveys.surveyed_within(
                author,
                message.created_at.as_second(),
                survey.once_per_secs,
            )
            && palabre_triage::solved::confirms_solved(&message.text, triage);
        due.then(|| survey.render(triage.lang))
    }
}

/// The language the platform or the author declared, as campaigns read it.
/// A review's new version as a message of its own: the id `ID~rev-CONTENT` (the same edit
/// always gets the same id), in the first version's thread.
fn revision_of(message: &Message, content: u64) -> Option<Message> {
    let original = &message.id.external;
    let id =
        palabre_core::ExternalId::new(&format!("{}~rev-{content:016x}", original.as_str())).ok()?;
    let mut revised = message.clone();
    revised.thread_root = Some(original.clone());
    revised.id = EventId::new(message.id.platform, id);
    Some(revised)
}

fn lang_hint(message: &Message) -> Lang {
    match message
        .lang_hint
        .as_deref()
        .map(|l| l.get(..2).unwrap_or(l))
    {
        Some("fr") => Lang::Fr,
        Some("en") => Lang::En,
        _ => Lang::Other,
    }
}
