//! Bluesky / AT Protocol: Jetstream events for posts and reposts (parse.rs, pure), and with the
//! `client` feature the connector: a Jetstream source, a firehose source for a self-hosted PDS
//! (its CBOR frames turned into Jetstream lines), and a sender (replies with facets, deletions,
//! hidden replies), configured by [`Config`].

#[cfg(feature = "client")]
mod car;
#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
mod config;
pub mod facets;
#[cfg(feature = "client")]
pub mod firehose;
#[cfg(feature = "client")]
pub mod jetstream;
mod parse;
#[cfg(feature = "client")]
pub mod tid;
#[cfg(feature = "client")]
mod ws;

#[cfg(feature = "client")]
pub use config::{Config, DEFAULT_JETSTREAM, DEFAULT_SERVICE, FirehoseSetting, Parts, Wanted};
pub use parse::parse_into;
