//! Mastodon: statuses, notifications and streaming events.

#[cfg(feature = "client")]
pub mod client;
mod parse;

pub use parse::parse_into;
