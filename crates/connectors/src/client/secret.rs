//! Secrets (tokens, app secrets) from the configuration or the environment, never printed.

use serde::Deserialize;
use std::fmt;

/// A secret value. `Debug` and `Display` print `[redacted]`; only [`Secret::expose`] gives it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// A configured value: `env:NAME` reads the environment variable NAME, anything else is
    /// the secret itself.
    pub fn resolve(configured: &str) -> Result<Secret, String> {
        match configured.strip_prefix("env:") {
            Some(name) => match std::env::var(name) {
                Ok(v) if !v.is_empty() => Ok(Secret(v)),
                _ => Err(format!("the environment variable {name} is not set")),
            },
            None if configured.is_empty() => Err("the secret is empty".into()),
            None => Ok(Secret(configured.to_owned())),
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Secret::resolve(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn never_printed_and_read_from_the_environment() {
        let s = Secret::resolve("abc123").unwrap();
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "abc123");
        assert!(
            Secret::resolve("env:PALABRE_SURELY_UNSET_VAR")
                .unwrap_err()
                .contains("PALABRE_SURELY_UNSET_VAR")
        );
        assert!(Secret::resolve("env:PATH").is_ok());
        assert!(Secret::resolve("").is_err());
    }
}
