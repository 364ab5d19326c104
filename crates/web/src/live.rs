//! Live updates: a broadcast of what changed (for the server-sent events of every open inbox)
//! and who is looking at which conversation (for the collision warning).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// Who may hear of a conversation's event: its queue and channel, checked against each
/// listener's scope. Never sent to a page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Audience {
    pub queue: Option<String>,
    pub channel: Option<String>,
}

impl Audience {
    pub fn of(queue: Option<&str>, channel: Option<&str>) -> Self {
        Audience {
            queue: queue.map(str::to_owned),
            channel: channel.map(str::to_owned),
        }
    }

    /// Those who may open this conversation.
    pub fn of_row(row: &palabre_store::workspace::InboxRow) -> Self {
        Audience::of(row.queue.as_deref(), row.channel.as_deref())
    }
}

/// Something the open pages should know.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A conversation changed (new message, reply sent, assignment, status…).
    Conversation {
        id: String,
        #[serde(skip)]
        audience: Audience,
    },
    /// Who is working on a conversation right now.
    Presence {
        id: String,
        users: Vec<String>,
        #[serde(skip)]
        audience: Audience,
    },
    /// An outgoing action changed state (sent, retried, dead).
    Outbox { id: i64, status: String },
    /// A platform account's connector changed health (disconnected, token refused, back).
    Connector { name: String },
}

impl LiveEvent {
    /// A conversation changed; only those whose teams cover its queue and channel hear of it.
    pub fn conversation(id: impl Into<String>, queue: Option<&str>, channel: Option<&str>) -> Self {
        LiveEvent::Conversation {
            id: id.into(),
            audience: Audience::of(queue, channel),
        }
    }

    /// This conversation changed (its row says who may hear of it).
    pub fn changed(row: &palabre_store::workspace::InboxRow) -> Self {
        LiveEvent::Conversation {
            id: row.id.clone(),
            audience: Audience::of_row(row),
        }
    }

    /// Whether a listener who sees `scope` may receive this event: a conversation's events
    /// (its id, who is looking at it) go only to those who may open it.
    pub fn visible_to(&self, scope: &palabre_store::workspace::Scope) -> bool {
        match self {
            LiveEvent::Conversation { audience, .. } | LiveEvent::Presence { audience, .. } => {
                scope.covers(audience.queue.as_deref(), audience.channel.as_deref())
            }
            LiveEvent::Outbox { .. } | LiveEvent::Connector { .. } => true,
        }
    }
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
    /// Live streams open, by user id.
    streams: Arc<Mutex<HashMap<i64, usize>>>,
}

/// An open live stream, counted against its user until dropped.
pub struct StreamSlot {
    streams: Arc<Mutex<HashMap<i64, usize>>>,
    user: i64,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        if let Ok(mut map) = self.streams.lock()
            && let Some(n) = map.get_mut(&self.user)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.user);
            }
        }
    }
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
            streams: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// A live stream for `user`, unless they already have `limit` open (a page left open in
    /// many tabs, or a script opening streams in a loop).
    pub fn open_stream(&self, user: i64, limit: usize) -> Option<StreamSlot> {
        let mut map = self.streams.lock().ok()?;
        let open = map.entry(user).or_insert(0);
        if *open >= limit {
            return None;
        }
        *open += 1;
        Some(StreamSlot {
            streams: self.streams.clone(),
            user,
        })
    }

    /// Tells every open page; nobody listening is fine.
    pub fn publish(&self, event: LiveEvent) {
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.sender.subscribe()
    }

    /// `user` is looking at `conversation` (of this queue and channel: who may hear of it);
    /// returns the others who are too.
    pub fn touch(&self, conversation: &str, audience: Audience, user: &str) -> Vec<String> {
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
            audience,
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
        let support = || Audience::of(Some("support"), Some("x:1000"));
        assert!(live.touch("x:1", support(), "alice").is_empty());
        assert_eq!(
            live.touch("x:1", support(), "bob"),
            vec!["alice".to_owned()]
        );
        assert_eq!(
            live.touch("x:1", support(), "alice"),
            vec!["bob".to_owned()]
        );
        assert!(live.touch("x:2", support(), "carol").is_empty());
        assert!(matches!(rx.try_recv(), Ok(LiveEvent::Presence { .. })));
    }

    #[test]
    fn live_streams_are_limited_per_user_and_freed_when_closed() {
        let live = Live::new();
        let first = live.open_stream(7, 2).unwrap();
        let _second = live.open_stream(7, 2).unwrap();
        assert!(live.open_stream(7, 2).is_none());
        assert!(live.open_stream(8, 2).is_some(), "another user");
        drop(first);
        assert!(live.open_stream(7, 2).is_some());
    }

    #[test]
    fn a_conversations_events_reach_only_those_who_may_open_it() {
        use palabre_store::workspace::{Scope, TeamScope};
        let team = |queues: &[&str], channels: &[&str]| {
            Scope::Teams(vec![TeamScope {
                queues: queues.iter().map(|q| q.to_string()).collect(),
                channels: channels.iter().map(|c| c.to_string()).collect(),
            }])
        };
        let event = LiveEvent::conversation("x:dm:1000:42", Some("vip"), Some("x:1000"));
        assert!(event.visible_to(&Scope::All));
        assert!(event.visible_to(&team(&["vip"], &[])));
        assert!(!event.visible_to(&team(&["support"], &[])));
        assert!(!event.visible_to(&team(&["vip"], &["x:2000"])));
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(json, r#"{"type":"conversation","id":"x:dm:1000:42"}"#);
    }
}
