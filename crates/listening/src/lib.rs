//! Social listening, without I/O: what the brand watches beyond what is addressed to it.
//!
//! ```text
//! message ─► query.rs (the boolean language, parsed once) ─► matcher.rs (one Aho-Corasick
//!            pass over every query's terms; only the queries whose terms occurred are
//!            evaluated) ─┐
//!          ─► geofence.rs (circles and polygons in an R-tree; the post's own point, or a
//!            place box smaller than the fence) ─┴─► policy.rs (tagged, actionable, all,
//!            observe): surfaced to a person, counted, or left alone
//! ```
//!
//! Nothing listened is ever answered by the bot: the pipeline routes what is surfaced to people.

pub mod geofence;
pub mod listen;
pub mod matcher;
pub mod policy;
pub mod query;
pub mod safety;
pub mod streams;

pub use listen::{
    DRAFT_REASONS, Hearing, Listening, ListeningError, Reading, Settings, SuggestedDraft, Verdict,
};
pub use policy::Policy;
