//! The filtered stream: rules synced first (`GET`/`POST /2/tweets/search/stream/rules`), then
//! `GET /2/tweets/search/stream` read line by line. Empty lines are X's keep-alive heartbeats
//! (about every 20 s); no byte at all for `stream_idle_timeout` (90 s) means the connection is
//! dead. Lines are handed on in batches: up to 500, or whatever has arrived when the socket has
//! nothing more buffered, or after 50 ms. A line cut by a disconnect is never handed on.

use super::policy::ReconnectPolicy;
use super::{
    Api, Config, EXPANSIONS, MEDIA_FIELDS, PLACE_FIELDS, Rule, TWEET_FIELDS, USER_FIELDS, errors_of,
};
use crate::client::batch::Batcher;
use crate::client::de::now_ms;
use crate::client::http::RateHeaders;
use crate::client::{Batch, Secret, Sink, Source, SourceError, Stop};
use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

/// The longest line accepted (a tweet with full expansions is a few KiB; X long posts ~100 KiB).
const MAX_LINE: usize = 1 << 20;

/// One account's filtered stream.
pub struct StreamSource {
    api: Api,
    rules: Vec<Rule>,
    idle: Duration,
    policy: ReconnectPolicy,
}

impl StreamSource {
    pub fn new(config: &Config, token: Secret) -> Self {
        StreamSource {
            api: Api::new(&config.api_url, token, config.timeout),
            rules: config.rules.clone(),
            idle: config.stream_idle_timeout,
            policy: ReconnectPolicy::new(),
        }
    }

    /// Makes X's rules the configured ones: adds the missing, deletes the stale (a rule whose
    /// value or tag changed is deleted and added again).
    pub fn sync_rules(&mut self) -> Result<RuleSync, SourceError> {
        let path = "/2/tweets/search/stream/rules";
        let answer = self
            .api
            .call("GET", path, &[], None)
            .map_err(|e| self.network(&format!("X stream rules: {e}")))?;
        let current = self.read(answer, "X stream rules")?;
        let existing: Vec<(String, Rule)> = current
            .get("data")
            .and_then(|d| d.as_array())
            .map(|rules| {
                rules
                    .iter()
                    .filter_map(|r| {
                        Some((
                            r.get("id")?.as_str()?.to_owned(),
                            Rule {
                                value: r.get("value")?.as_str()?.to_owned(),
                                tag: r.get("tag").and_then(|t| t.as_str()).map(str::to_owned),
                            },
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let stale: Vec<String> = existing
            .iter()
            .filter(|(_, r)| !self.rules.contains(r))
            .map(|(id, _)| id.clone())
            .collect();
        let missing: Vec<Rule> = self
            .rules
            .iter()
            .filter(|r| !existing.iter().any(|(_, e)| e == *r))
            .cloned()
            .collect();
        let sync = RuleSync {
            added: missing.len(),
            deleted: stale.len(),
        };
        if !stale.is_empty() {
            let body = serde_json::json!({"delete": {"ids": stale}});
            let answer = self
                .api
                .call("POST", path, &[], Some(&body))
                .map_err(|e| self.network(&format!("X stream rules: {e}")))?;
            self.read(answer, "X stream rules (delete)")?;
        }
        if !missing.is_empty() {
            let add: Vec<serde_json::Value> = missing
                .iter()
                .map(|r| match &r.tag {
                    Some(tag) => serde_json::json!({"value": r.value, "tag": tag}),
                    None => serde_json::json!({"value": r.value}),
                })
                .collect();
            let body = serde_json::json!({ "add": add });
            let answer = self
                .api
                .call("POST", path, &[], Some(&body))
                .map_err(|e| self.network(&format!("X stream rules: {e}")))?;
            let added = self.read(answer, "X stream rules (add)")?;
            // X answers 200 with `errors` for rules it refused (a syntax error, a duplicate).
            if let Some(errors) = added.get("errors").filter(|e| !e.is_null()) {
                let refused = serde_json::json!({ "errors": errors });
                return Err(SourceError::Config(format!(
                    "X refused stream rules: {}",
                    errors_of(&refused)
                )));
            }
        }
        Ok(sync)
    }

    fn network(&mut self, error: &str) -> SourceError {
        SourceError::Disconnected {
            error: error.to_owned(),
            retry_in: Some(self.policy.network_error()),
        }
    }

    /// A status other than 200 as the supervisor should see it.
    fn status_error(
        &mut self,
        status: u16,
        limits: &RateHeaders,
        what: &str,
        body: &str,
    ) -> SourceError {
        let detail = crate::client::http::short(body);
        match status {
            401 => SourceError::Auth(format!(
                "{what}: 401, the bearer token is invalid or revoked ({detail})"
            )),
            403 => SourceError::Auth(format!(
                "{what}: 403, this app may not use the filtered stream ({detail})"
            )),
            429 => {
                let reset_in = limits
                    .reset_ms
                    .map(|at| Duration::from_millis((at - now_ms()).max(0) as u64));
                SourceError::Disconnected {
                    error: format!("{what}: 429 Too Many Requests ({detail})"),
                    retry_in: Some(self.policy.rate_limited(reset_in)),
                }
            }
            _ => SourceError::Disconnected {
                error: format!("{what}: HTTP {status} ({detail})"),
                retry_in: Some(self.policy.http_error()),
            },
        }
    }

    fn read(
        &mut self,
        answer: super::Answer,
        what: &str,
    ) -> Result<serde_json::Value, SourceError> {
        if answer.status != 200 && answer.status != 201 {
            return Err(self.status_error(answer.status, &answer.limits, what, &answer.body));
        }
        let value: serde_json::Value =
            serde_json::from_str(&answer.body).map_err(|e| SourceError::Disconnected {
                error: format!("{what}: unreadable answer ({e})"),
                retry_in: Some(self.policy.http_error()),
            })?;
        if value.get("data").is_none()
            && value.get("meta").is_none()
            && value.get("errors").is_some()
        {
            return Err(SourceError::Disconnected {
                error: format!("{what}: {}", errors_of(&value)),
                retry_in: Some(self.policy.http_error()),
            });
        }
        Ok(value)
    }

    fn stream(&mut self, sink: &mut dyn Sink, stop: &Stop) -> Result<(), SourceError> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_response(Some(Duration::from_secs(30)))
            .timeout_per_read(Some(self.idle))
            .http_status_as_error(false)
            .user_agent(concat!("palabre/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let url = format!("{}/2/tweets/search/stream", self.api.base);
        let response = agent
            .get(&url)
            .header(
                "Authorization",
                format!("Bearer {}", self.api.token.expose()),
            )
            .query("tweet.fields", TWEET_FIELDS)
            .query("expansions", EXPANSIONS)
            .query("user.fields", USER_FIELDS)
            .query("media.fields", MEDIA_FIELDS)
            .query("place.fields", PLACE_FIELDS)
            .call();
        let response = match response {
            Ok(r) => r,
            Err(e) => return Err(self.network(&format!("X stream: {e}"))),
        };
        let status = response.status().as_u16();
        if status != 200 {
            let limits = RateHeaders::read(response.headers(), now_ms());
            let body = response.into_body().read_to_string().unwrap_or_default();
            return Err(self.status_error(status, &limits, "X stream", &body));
        }
        let mut reader = BufReader::with_capacity(64 * 1024, response.into_body().into_reader());
        let mut batch = Batcher::new(None);
        let mut buf: Vec<u8> = Vec::with_capacity(8 * 1024);
        let mut announced = false;
        loop {
            if stop.is_raised() {
                return batch.flush(sink);
            }
            buf.clear();
            let read = (&mut reader)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut buf);
            match read {
                Ok(0) => {
                    batch.flush(sink)?;
                    return Err(self.network("X stream: the connection was closed"));
                }
                Ok(_) if buf.last() != Some(&b'\n') => {
                    batch.flush(sink)?;
                    if buf.len() > MAX_LINE {
                        return Err(self.network("X stream: a line longer than 1 MiB"));
                    }
                    // A line cut short: dropped, the rest of it was never sent.
                    return Err(self.network(&format!(
                        "X stream: the connection was closed in the middle of a line ({} bytes dropped)",
                        buf.len()
                    )));
                }
                Ok(_) => {
                    self.policy.connected();
                    if !announced {
                        // The first byte: the connection works, even before any tweet.
                        announced = true;
                        sink.accept(Batch::default()).map_err(SourceError::Sink)?;
                    }
                    let line = String::from_utf8_lossy(&buf);
                    let line = line.trim_end_matches(['\r', '\n']);
                    if !line.trim().is_empty() {
                        if let Some(error) = stream_error(line) {
                            batch.flush(sink)?;
                            return Err(SourceError::Disconnected {
                                error: format!("X stream: {error}"),
                                retry_in: Some(self.policy.http_error()),
                            });
                        }
                        batch.push(line.to_owned());
                    }
                    if batch.lines_due() || reader.buffer().is_empty() {
                        batch.flush(sink)?;
                    }
                }
                Err(e) => {
                    batch.flush(sink)?;
                    let timed_out = e.kind() == std::io::ErrorKind::TimedOut
                        || e.to_string().contains("timeout");
                    return Err(if timed_out {
                        self.network(&format!(
                            "X stream: nothing received for {} s (not even a heartbeat)",
                            self.idle.as_secs()
                        ))
                    } else {
                        self.network(&format!("X stream: {e}"))
                    });
                }
            }
        }
    }
}

/// What a rule sync changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSync {
    pub added: usize,
    pub deleted: usize,
}

/// A stream line that is X telling us it is closing the connection (`operational-disconnect`)
/// or refusing it: `errors` and no `data`.
fn stream_error(line: &str) -> Option<String> {
    if line.contains("\"data\"") || !line.contains("\"errors\"") {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    (value.get("data").is_none() && value.get("errors").is_some()).then(|| errors_of(&value))
}

impl Source for StreamSource {
    /// The stream has no resume point (a reconnect picks up from now; X's backfill is an
    /// Enterprise feature): the checkpoint is neither read nor written.
    fn run(
        &mut self,
        _checkpoint: Option<&str>,
        sink: &mut dyn Sink,
        stop: &Stop,
    ) -> Result<(), SourceError> {
        if stop.is_raised() {
            return Ok(());
        }
        self.sync_rules()?;
        self.stream(sink, stop)
    }
}
