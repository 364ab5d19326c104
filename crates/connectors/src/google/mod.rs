//! Google Business Profile reviews (My Business API v4): one `Review`, or a `ListReviewsResponse`
//! page of them, normalized to review messages with their star rating.
//!
//! `parse.rs` is pure; `client.rs` (feature `client`) polls a location's reviews and replies.

#[cfg(feature = "client")]
mod auth;
#[cfg(feature = "client")]
pub mod client;
mod parse;

pub use parse::parse_into;
