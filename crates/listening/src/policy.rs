//! The intrusion policy of a query or a geofence: the author did not invite the brand, so what
//! is surfaced to a person is chosen with tact.

use serde::Serialize;

/// When a matched post is surfaced to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Only when the post mentions the brand or uses its hashtags.
    Tagged,
    /// When triage reads a support request, a complaint, a life event, the author's own photo
    /// or video, or a safety problem; chatter is left alone.
    Actionable,
    /// Every matched post.
    All,
    /// Counted for analytics, never surfaced one by one.
    Observe,
}

impl Policy {
    pub const NAMES: &'static str = "tagged, actionable, all or observe";

    pub fn parse(raw: &str) -> Option<Policy> {
        Some(match raw.trim().to_ascii_lowercase().as_str() {
            "tagged" => Policy::Tagged,
            "actionable" => Policy::Actionable,
            "all" => Policy::All,
            "observe" => Policy::Observe,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Tagged => "tagged",
            Policy::Actionable => "actionable",
            Policy::All => "all",
            Policy::Observe => "observe",
        }
    }
}
