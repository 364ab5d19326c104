//! X (Twitter) API v2: filtered-stream lines, tweet lookups and mentions-timeline pages.
//!
//! `parse.rs` is the pure normalizer; `client.rs` (feature `client`) reads the filtered stream
//! and the mentions timeline, keeps the stream's rules, and sends replies, DMs, hides, deletes.

#[cfg(feature = "client")]
pub mod client;
mod parse;

pub use parse::parse_into;
