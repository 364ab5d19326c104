//! HTTP for connectors: one agent with timeouts (a platform that hangs is a retryable error,
//! not a stuck thread), rate-limit headers read in each platform's dialect, the usual
//! mapping of statuses to [`SendError`], and an image as a multipart part (uploads).

use super::{SendError, SourceError};
use std::time::Duration;
pub use ureq::http::HeaderMap;

/// An agent that never waits more than `timeout` for a whole request and never treats a
/// status as a transport error (connectors read every status themselves). It remembers the
/// hosts' addresses for a minute ([`super::resolve`]).
pub fn agent(timeout: Duration) -> ureq::Agent {
    with_remembered_hosts(builder().timeout_global(Some(timeout)).build())
}

/// An agent for long-lived streams: a connect timeout, no overall one (the stream's own
/// keep-alive timeout is the reader's business).
pub fn streaming_agent(connect: Duration) -> ureq::Agent {
    with_remembered_hosts(builder().timeout_connect(Some(connect)).build())
}

/// What every connector's agent shares: statuses read by the connector, our user agent.
fn builder() -> ureq::config::ConfigBuilder<ureq::typestate::AgentScope> {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(concat!("palabre/", env!("CARGO_PKG_VERSION")))
}

fn with_remembered_hosts(config: ureq::config::Config) -> ureq::Agent {
    ureq::Agent::with_parts(
        config,
        ureq::unversioned::transport::DefaultConnector::new(),
        super::resolve::Remembering::<ureq::unversioned::resolver::DefaultResolver>::default(),
    )
}

/// What a response says about the account's rate limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateHeaders {
    pub remaining: Option<u64>,
    /// When the window resets, Unix ms.
    pub reset_ms: Option<i64>,
}

impl RateHeaders {
    /// Reads `x-ratelimit-*` (Mastodon: the reset is an ISO timestamp), `x-rate-limit-*`
    /// (X: the reset is in Unix seconds), `ratelimit-*` (Bluesky's PDS: Unix seconds) and
    /// `retry-after` (seconds or an HTTP date).
    pub fn read(headers: &HeaderMap, now_ms: i64) -> RateHeaders {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let remaining = get("x-ratelimit-remaining")
            .or_else(|| get("x-rate-limit-remaining"))
            .or_else(|| get("ratelimit-remaining"))
            .and_then(|v| v.trim().parse::<u64>().ok());
        let reset_ms = get("x-ratelimit-reset")
            .or_else(|| get("x-rate-limit-reset"))
            .or_else(|| get("ratelimit-reset"))
            .and_then(|v| parse_reset(v, now_ms))
            .or_else(|| get("retry-after").and_then(|v| parse_retry_after(v, now_ms)));
        RateHeaders {
            remaining,
            reset_ms,
        }
    }
}

/// A reset as Unix seconds, Unix ms, or an ISO 8601 timestamp.
pub fn parse_reset(raw: &str, now_ms: i64) -> Option<i64> {
    let raw = raw.trim();
    if let Ok(n) = raw.parse::<i64>() {
        // Unix seconds are ~1.7e9, ms ~1.7e12; a small number is seconds from now.
        return Some(if n > 100_000_000_000 {
            n
        } else if n > 100_000_000 {
            n * 1000
        } else {
            now_ms + n * 1000
        });
    }
    if let Ok(f) = raw.parse::<f64>() {
        return Some(now_ms + (f * 1000.0) as i64);
    }
    raw.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

/// `Retry-After`: seconds, or an HTTP date.
pub fn parse_retry_after(raw: &str, now_ms: i64) -> Option<i64> {
    let raw = raw.trim();
    if let Ok(secs) = raw.parse::<i64>() {
        return Some(now_ms + secs.max(0) * 1000);
    }
    jiff::fmt::rfc2822::parse(raw)
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}

/// The usual meaning of a failed status: 429 waits for the reset (not an attempt), 5xx and 408 retry, 401 and
/// 403 mean the token, any other 4xx is a refusal. `what` names the platform and the call;
/// `body` is the platform's own explanation (cut to a readable length).
pub fn classify(status: u16, limits: &RateHeaders, what: &str, body: &str) -> SendError {
    let detail = match short(body) {
        d if d.is_empty() => d,
        d => format!(" ({d})"),
    };
    match status {
        429 => SendError::Limited {
            error: format!("{what}: 429 Too Many Requests{detail}"),
            at_ms: limits.reset_ms,
        },
        408 | 500..=599 => SendError::Retry {
            error: format!("{what}: HTTP {status}{detail}"),
            at_ms: None,
        },
        401 => SendError::Auth(format!(
            "{what}: 401, the access token is invalid, expired or revoked; renew it in the configuration{detail}"
        )),
        _ => SendError::Fatal(format!("{what}: HTTP {status}{detail}")),
    }
}

/// What a failed read means for a poller: 401 and 403 are the token (a person must renew it),
/// 429 and 5xx a reconnection (at the platform's reset when it gives one), any other 4xx a
/// configuration that cannot work.
pub fn source_error(status: u16, limits: &RateHeaders, what: &str, body: &str) -> SourceError {
    match classify(status, limits, what, body) {
        SendError::Auth(e) => SourceError::Auth(e),
        SendError::Retry { error, at_ms } | SendError::Limited { error, at_ms } => {
            SourceError::Disconnected {
                error,
                retry_in: at_ms
                    .map(|at| Duration::from_millis((at - super::de::now_ms()).max(1000) as u64)),
            }
        }
        SendError::Fatal(e) if status == 403 => SourceError::Auth(e),
        SendError::Fatal(e) => SourceError::Config(e),
        SendError::NotBefore { at_ms } => SourceError::Disconnected {
            error: format!("{what}: rate limited"),
            retry_in: Some(Duration::from_millis(
                (at_ms - super::de::now_ms()).max(1000) as u64,
            )),
        },
    }
}

/// One image as a multipart file part (`image-N.EXT`, its content type): `number` counts from 1.
pub fn image_part<'a>(
    media: &super::Media<'a>,
    number: usize,
    what: &str,
) -> Result<ureq::unversioned::multipart::Part<'a>, SendError> {
    ureq::unversioned::multipart::Part::bytes(media.bytes)
        .file_name(&media.file_name(number))
        .mime_str(media.content_type)
        .map_err(|e| {
            SendError::Fatal(format!(
                "{what}: image {number} has a content type `{}` that is not a MIME type ({e})",
                media.content_type
            ))
        })
}

/// A transport failure (timeout, refused connection, reset): always worth another try.
pub fn transport(what: &str, e: &ureq::Error) -> SendError {
    SendError::Retry {
        error: format!("{what}: {e}"),
        at_ms: None,
    }
}

/// The start of a body, on one line, for error messages.
pub fn short(body: &str) -> String {
    let one_line: String = body
        .chars()
        .take(300)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    one_line.trim().to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ureq::http::HeaderValue;

    #[test]
    fn reads_each_platforms_dialect() {
        let now = 1_700_000_000_000;
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        h.insert(
            "x-ratelimit-reset",
            HeaderValue::from_static("2023-11-14T22:15:00.000Z"),
        );
        let r = RateHeaders::read(&h, now);
        assert_eq!(r.remaining, Some(0));
        assert_eq!(
            r.reset_ms,
            Some(
                "2023-11-14T22:15:00Z"
                    .parse::<jiff::Timestamp>()
                    .unwrap()
                    .as_millisecond()
            )
        );
        let mut x = HeaderMap::new();
        x.insert("x-rate-limit-remaining", HeaderValue::from_static("12"));
        x.insert("x-rate-limit-reset", HeaderValue::from_static("1700000900"));
        assert_eq!(
            RateHeaders::read(&x, now),
            RateHeaders {
                remaining: Some(12),
                reset_ms: Some(1_700_000_900_000)
            }
        );
        // Bluesky's PDS (IETF draft names, the reset in Unix seconds).
        let mut b = HeaderMap::new();
        b.insert("ratelimit-limit", HeaderValue::from_static("5000"));
        b.insert("ratelimit-remaining", HeaderValue::from_static("4998"));
        b.insert("ratelimit-reset", HeaderValue::from_static("1700003600"));
        b.insert("ratelimit-policy", HeaderValue::from_static("5000;w=3600"));
        assert_eq!(
            RateHeaders::read(&b, now),
            RateHeaders {
                remaining: Some(4998),
                reset_ms: Some(1_700_003_600_000)
            }
        );
        let mut ra = HeaderMap::new();
        ra.insert("retry-after", HeaderValue::from_static("30"));
        assert_eq!(RateHeaders::read(&ra, now).reset_ms, Some(now + 30_000));
        ra.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(
            RateHeaders::read(&ra, now).reset_ms,
            Some(1_445_412_480_000)
        );
    }

    #[test]
    fn statuses_map_to_what_to_do() {
        let limits = RateHeaders {
            remaining: Some(0),
            reset_ms: Some(42),
        };
        assert_eq!(
            classify(429, &limits, "t", ""),
            SendError::Limited {
                error: "t: 429 Too Many Requests".into(),
                at_ms: Some(42)
            }
        );
        assert!(matches!(
            classify(503, &limits, "t", ""),
            SendError::Retry { at_ms: None, .. }
        ));
        assert!(matches!(
            classify(401, &limits, "t", ""),
            SendError::Auth(_)
        ));
        assert!(matches!(
            classify(422, &limits, "t", "{\"error\":\"Validation failed\"}"),
            SendError::Fatal(e) if e.contains("Validation failed")
        ));
    }
}
