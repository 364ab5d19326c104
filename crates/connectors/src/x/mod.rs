//! X (Twitter): API v2 filtered-stream lines, tweet lookups and mentions-timeline pages
//! (`parse.rs`), Account Activity webhook bodies (`activity.rs`), and the webhook's CRC and
//! signatures (`webhook.rs`, feature `client`).

mod activity;
mod parse;
#[cfg(feature = "client")]
pub mod webhook;

pub use parse::parse_into;
