//! Bluesky / AT Protocol: Jetstream events for posts and reposts.

mod parse;

pub use parse::parse_into;
