//! Campaigns: declared conversation contracts that answer data-lookup requests personally.
//!
//! A campaign file (TOML, see docs/campaigns.md) says which channels it speaks for, what
//! triggers it (hashtags, keywords, mentions, direct messages), which fields to extract
//! (postal code, airports, date), which CSV table to look them up in, and which templates
//! render the reply or, when the request is malformed and cannot be repaired, the help.
//!
//! ```text
//! message ─► fold ─► triggers (one Aho-Corasick pass) ─► channel & address checks
//!         ─► extract (candidates, repairs) ─► table lookup (or name → code)
//!         ─► Answer (variant that fits the platform, or cut) | Help
//! ```
//!
//! Everything here is pure: files are read at load (and on [`CampaignSet::reload`]), never
//! while evaluating; no clock, no global state. The stateful guardrails (one answer per key
//! per window, per-author caps, crisis brake) live in the pipeline, which reads
//! [`CampaignMatch::key`] and the campaign's [`Campaign::mode`] and [`Campaign::window`].

pub mod campaign;
pub mod choice;
pub mod error;
pub mod extract;
pub mod faq;
pub use palabre_core::fold;
pub mod follow;
pub use palabre_core::limit;
mod load;
pub mod render;
mod reply;
pub mod resolve;
mod set;
mod spec;
pub mod table;
pub mod trigger;

pub use campaign::{Campaign, ChannelSpec, FollowUp, Mode, Stale, TriggerRules, WhenStale};
pub use error::{CampaignError, ErrorKind};
pub use extract::{Field, FieldKind, Repair};
pub use faq::{Certainty, Faq, FaqEntry};
pub use follow::{FollowUpRead, choice_payload};
pub use limit::{Limit, Unit};
pub use resolve::HelpCause;
pub use set::{CampaignMatch, CampaignReply, CampaignSet};
pub use table::Table;
