//! Mastodon: statuses, notifications and streaming events.

mod parse;

pub use parse::parse_into;
