//! Messenger and Instagram webhooks: private messages and comments on the brand's posts
//! (`parse.rs`, pure), and the Graph API client (`client.rs`, feature `client`).

#[cfg(feature = "client")]
pub mod client;
mod parse;

pub use parse::parse_into;
