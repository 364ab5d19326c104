//! X (Twitter) API v2: filtered-stream lines, tweet lookups and mentions-timeline pages.

mod parse;

pub use parse::parse_into;
