//! The stateful stages before decide: dedupe, thread and repeat, over bounded windows.

use crate::decide::{Facts, Seen};
use crate::fingerprint;
use crate::policy::Policy;
use crate::window::Window;
use palabre_core::{ConversationId, Message, MessageKeys as Keys, MessageKind, SeedRow, Timestamp};

/// A request remembered for repeat detection.
struct Request {
    at: Timestamp,
    conversation: ConversationId,
}

/// Dedupe, threading and repeat windows.
pub struct State {
    /// Event fingerprint → content fingerprint.
    seen: Window<u64>,
    /// Event fingerprint → conversation, for platforms that give no thread root.
    threads: Window<ConversationId>,
    /// Request fingerprint → first time asked and its conversation.
    requests: Window<Request>,
    /// Reused by the request fingerprint.
    scratch: String,
}

pub(crate) struct Observed {
    pub facts: Facts,
    pub keys: Keys,
}

impl State {
    pub fn new(policy: &Policy) -> Self {
        State {
            seen: Window::new(policy.window),
            threads: Window::new(policy.window),
            requests: Window::new(policy.request_window),
            scratch: String::with_capacity(256),
        }
    }

    pub(crate) fn seed(&mut self, row: SeedRow) {
        self.seen.insert(row.keys.event, row.keys.content);
        let conversation = ConversationId::from_stored(&row.conversation);
        if row.rootless {
            self.threads.insert(row.keys.event, conversation.clone());
        }
        if let Some(request) = row.keys.request {
            self.requests.insert(
                request,
                Request {
                    at: row.created_at,
                    conversation,
                },
            );
        }
    }

    /// Forgets an event decided but never recorded: seen as new when it comes again, and the
    /// request it filed (if it is still the one remembered for that key) no longer makes the
    /// next one a repeat.
    pub(crate) fn forget(&mut self, event: u64, request: Option<u64>, conversation: &str) {
        self.seen.remove(event);
        if let Some(key) = request
            && self
                .requests
                .get(key)
                .is_some_and(|r| r.conversation.as_str() == conversation)
        {
            self.requests.remove(key);
        }
    }

    /// Dedupe, thread and look for a repeat; remembers the message if it is new.
    pub(crate) fn observe(&mut self, message: &Message, policy: &Policy) -> Observed {
        let event = fingerprint::event_id(&message.id);
        let content = fingerprint::content(message);
        let seen = match self.seen.get(event) {
            None => Seen::New,
            Some(&c) if c == content => Seen::SameContent,
            Some(_) => Seen::OtherContent,
        };
        let (conversation, parent_seen) = self.conversation_of(message, policy);
        let addressed = if seen == Seen::New {
            policy.addressed(message)
        } else {
            None
        };
        // Only a new message addressed to us can be (or be repeated as) a request.
        let request = if addressed.is_some() {
            fingerprint::request(message, &mut self.scratch)
        } else {
            None
        };
        let repeat_of = request
            .and_then(|r| self.requests.get(r))
            .and_then(|original| {
                let elapsed = (message.created_at.as_second() - original.at.as_second()).abs();
                (elapsed <= policy.repeat_window_secs).then(|| original.conversation.clone())
            });
        if seen == Seen::New {
            self.seen.insert(event, content);
            if message.thread_root.is_none() && message.kind != MessageKind::Repost {
                self.threads.insert(event, conversation.clone());
            }
        }
        Observed {
            facts: Facts {
                seen,
                conversation,
                repeat_of,
                parent_seen,
                addressed,
                triage: None,
                campaign: None,
                guard: Default::default(),
                bot_paused: false,
                survey: None,
                follow_up: None,
                bad_choice: false,
                crisis: Default::default(),
                listening: None,
                revision: false,
            },
            keys: Keys {
                event,
                content,
                request,
            },
        }
    }

    /// Remembers a request routed to a human, so that the same ask soon after joins it.
    pub(crate) fn remember_request(
        &mut self,
        request: u64,
        message: &Message,
        conversation: &ConversationId,
    ) {
        self.requests.insert(
            request,
            Request {
                at: message.created_at,
                conversation: conversation.clone(),
            },
        );
    }

    /// The conversation a message belongs to, and whether its parent was seen.
    fn conversation_of(&self, message: &Message, policy: &Policy) -> (ConversationId, bool) {
        let platform = message.id.platform;
        if message.kind == MessageKind::Direct {
            let user = match policy.own_channel(message) {
                Some(_) => message.recipient.as_deref().unwrap_or("unknown"),
                None => message.author.id.as_str(),
            };
            let channel = policy
                .direct_channel(message)
                .map(|c| c.id.as_str())
                .or(message.recipient.as_deref())
                .unwrap_or("unknown");
            return (ConversationId::direct(platform, channel, user), true);
        }
        let parent_seen = message.in_reply_to.as_ref().is_some_and(|p| {
            self.seen
                .get(fingerprint::event(platform, p.as_str()))
                .is_some()
        });
        if let Some(root) = &message.thread_root {
            return (ConversationId::thread(platform, root), parent_seen);
        }
        if let Some(parent) = &message.in_reply_to {
            let known = self
                .threads
                .get(fingerprint::event(platform, parent.as_str()));
            return match known {
                Some(c) => (c.clone(), true),
                None => (ConversationId::thread(platform, parent), parent_seen),
            };
        }
        if let Some(original) = message
            .referenced
            .as_ref()
            .filter(|_| message.kind == MessageKind::Repost)
        {
            return (ConversationId::thread(platform, &original.id), parent_seen);
        }
        (
            ConversationId::thread(platform, &message.id.external),
            parent_seen,
        )
    }
}
