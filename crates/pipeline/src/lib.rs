//! The path of an event, as one visible function: [`Pipeline::process`].
//!
//! ```text
//! line ─► normalize ─► dedupe ─► thread ─► repeat ─► triage ─► decide ─► Processed
//!         (connectors) (window of  (reply    (same     (addressed (pure:
//!                       ids)       chains,   author,   messages   facts →
//!                                  DMs)      same ask) only)      outcome)
//! ```
//!
//! Normalize, triage and decide are pure. Dedupe, thread and repeat keep bounded windows of
//! fingerprints ([`window::Window`]), so memory stays flat however long the stream. Triage
//! reads only new messages addressed to the brand; campaign matching will slot in beside it.

pub mod decide;
pub mod fingerprint;
pub mod policy;
pub mod state;
pub mod window;

pub use decide::{Facts, Seen, decide};
pub use palabre_core::{MessageKeys as Keys, SeedRow};
pub use policy::Policy;
pub use state::State;

use palabre_connectors::{Event, Format, Normalized, normalize_into};
use palabre_core::{Decision, EventId, Message, Reason};
use palabre_triage::Triager;
use std::sync::Arc;

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

/// The deterministic decision path with its bounded state.
pub struct Pipeline {
    policy: Policy,
    state: State,
    triager: Option<Arc<Triager>>,
    scratch: Vec<Normalized>,
}

impl Pipeline {
    pub fn new(policy: Policy) -> Self {
        let state = State::new(&policy);
        Pipeline {
            policy,
            state,
            triager: None,
            scratch: Vec::with_capacity(4),
        }
    }

    /// Reads every new message addressed to the brand with `triager` (language, sentiment,
    /// emotion, toxicity, intent, author kind) before deciding.
    pub fn with_triage(mut self, triager: Arc<Triager>) -> Self {
        self.triager = Some(triager);
        self
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Restores the windows from stored messages (oldest first), after a restart.
    pub fn seed(&mut self, rows: impl IntoIterator<Item = SeedRow>) {
        for row in rows {
            self.state.seed(row);
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
        let mut events = std::mem::take(&mut self.scratch);
        normalize_into(line, format, &mut events);
        for event in events.drain(..) {
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
            on_event(processed);
        }
        self.scratch = events;
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
        let mut facts = self.state.observe(&message, &self.policy);
        // Triage reads only what the brand may have to answer: new messages addressed to it.
        if let (Some(triager), Some(_)) = (&self.triager, facts.facts.addressed) {
            let t = triager.triage(&message.text, message.lang_hint.as_deref(), &message.author);
            facts.facts.triage = Some(t);
        }
        let decision = decide(&message, &facts.facts, &self.policy);
        let record = match facts.facts.seen {
            Seen::New => {
                let keys = facts.keys;
                if decision.outcome == palabre_core::Outcome::RoutedToHuman
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
        let event_id = match &record {
            Record::Fresh { message, .. } | Record::Conflict { message } => {
                Some(message.id.clone())
            }
            _ => None,
        };
        Processed {
            event_id: event_id.or(facts.event_id),
            decision,
            record,
        }
    }
}
