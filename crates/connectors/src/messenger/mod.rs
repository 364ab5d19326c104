//! Messenger and Instagram webhooks: private messages and comments on the brand's posts.

mod parse;

pub use parse::parse_into;
