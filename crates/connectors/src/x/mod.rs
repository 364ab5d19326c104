//! X (Twitter): API v2 filtered-stream lines, tweet lookups and mentions-timeline pages
//! (`parse.rs`), Account Activity webhook bodies (`activity.rs`); with the `client` feature,
//! `client.rs` reads the filtered stream and the mentions timeline, keeps the stream's rules and
//! sends replies, DMs, hides, deletes, and `webhook.rs` answers the CRC and checks signatures.

mod activity;
#[cfg(feature = "client")]
pub mod client;
mod parse;
#[cfg(feature = "client")]
pub mod webhook;

pub use parse::parse_into;
