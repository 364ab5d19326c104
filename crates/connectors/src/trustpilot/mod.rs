//! Trustpilot service reviews: one review, or a business unit's page of them, normalized to
//! review messages with their stars.
//!
//! `parse.rs` is pure; `client.rs` (feature `client`) polls a business unit and replies.

#[cfg(feature = "client")]
pub mod client;
mod parse;

pub use parse::parse_into;
