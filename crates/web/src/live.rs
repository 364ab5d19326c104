//! Live updates: a broadcast of what changed (for the server-sent events of every open inbox)
//! and who is looking at which conversation (for the collision warning).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// Something the open pages should know.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A conversation changed (new message, reply sent, assignment, status…).
    Conversation { id: String },
    /// Who is working on a conversation right now.
    Presence { id: String, users: Vec<String> },
    /// An outgoing action changed state (sent, retried, dead).
    Outbox { id: i64, status: String },
    /// A platform account's connector changed health (disconnected, token refused, back).
    Connector { name: String },
}

/// How long a look at a conversation counts as presence.
const PRESENCE: Duration = Duration::from_secs(90);

/// Conversation → who looked at it last, and when.
type Presence = HashMap<String, Vec<(String, Instant)>>;

/// The hub every handler and the binary's engine publish to.
#[derive(Clone)]
pub struct Live {
    sender: broadcast::Sender<LiveEvent>,
    presence: Arc<Mutex<Presence>>,
}

impl Default for Live {
    fn default() -> Self {
        Live::new()
    }
}

impl Live {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        Live {
            sender,
            presence: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Tells every open page; nobody listening is fine.
    pub fn publish(&self, event: LiveEvent) {
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.sender.subscribe()
    }

    /// `user` is looking at `conversation`; returns the others who are too.
    pub fn touch(&self, conversation: &str, user: &str) -> Vec<String> {
        let now = Instant::now();
        let (others, everyone) = {
            let Ok(mut map) = self.presence.lock() else {
                return Vec::new();
            };
            map.retain(|_, seen| {
                seen.retain(|(_, t)| now.duration_since(*t) < PRESENCE);
                !seen.is_empty()
            });
            let seen = map.entry(conversation.to_owned()).or_default();
            seen.retain(|(u, _)| u != user);
            seen.push((user.to_owned(), now));
            let everyone: Vec<String> = seen.iter().map(|(u, _)| u.clone()).collect();
            let others = everyone.iter().filter(|u| *u != user).cloned().collect();
            (others, everyone)
        };
        self.publish(LiveEvent::Presence {
            id: conversation.to_owned(),
            users: everyone,
        });
        others
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_names_the_others() {
        let live = Live::new();
        let mut rx = live.subscribe();
        assert!(live.touch("x:1", "alice").is_empty());
        assert_eq!(live.touch("x:1", "bob"), vec!["alice".to_owned()]);
        assert_eq!(live.touch("x:1", "alice"), vec!["bob".to_owned()]);
        assert!(live.touch("x:2", "carol").is_empty());
        assert!(matches!(rx.try_recv(), Ok(LiveEvent::Presence { .. })));
    }
}
