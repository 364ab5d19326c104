//! Configuration values shared by the connectors' `Config`s: durations written as people write
//! them (`90s`, `5m`), read with serde.

use serde::{Deserialize, Deserializer};
use std::time::Duration;

/// `"90s"`, `"5m"`, `"1h"` → a `Duration` (for `#[serde(deserialize_with = …)]`).
pub fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let raw = String::deserialize(d)?;
    palabre_core::parse_duration(&raw).map_err(serde::de::Error::custom)
}

/// The same for an optional field (`Option<Duration>`, absent means `None`).
pub fn opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    duration(d).map(Some)
}

/// The current time, Unix milliseconds (rate gates and resets are in Unix ms).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
