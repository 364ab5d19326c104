//! X's documented reconnection delays for the filtered stream: network (TCP/IP) errors back
//! off linearly by 250 ms up to 16 s; HTTP errors exponentially from 5 s up to 320 s; HTTP 429
//! exponentially from one minute (and never before the window's reset). A connection that
//! delivered something (data or a heartbeat) starts every count again.

use std::time::Duration;

const NETWORK_STEP: Duration = Duration::from_millis(250);
const NETWORK_CAP: Duration = Duration::from_secs(16);
const HTTP_FIRST: Duration = Duration::from_secs(5);
const HTTP_CAP: Duration = Duration::from_secs(320);
const RATE_FIRST: Duration = Duration::from_secs(60);
/// X gives no cap for 429s; 16 minutes is past a 15-minute rate window.
const RATE_CAP: Duration = Duration::from_secs(960);

/// Counts of consecutive failures of each kind since the stream last worked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconnectPolicy {
    network: u32,
    http: u32,
    rate: u32,
}

impl ReconnectPolicy {
    pub fn new() -> Self {
        ReconnectPolicy::default()
    }

    /// A refused connection, a reset, a read timeout: 250 ms, 500 ms, … 16 s.
    pub fn network_error(&mut self) -> Duration {
        self.network = self.network.saturating_add(1);
        NETWORK_STEP.saturating_mul(self.network).min(NETWORK_CAP)
    }

    /// An HTTP error status other than 429: 5 s, 10 s, … 320 s.
    pub fn http_error(&mut self) -> Duration {
        self.http = self.http.saturating_add(1);
        exponential(HTTP_FIRST, self.http, HTTP_CAP)
    }

    /// A 429: 1 min, 2 min, 4 min …, and not before `reset_in` when X says when.
    pub fn rate_limited(&mut self, reset_in: Option<Duration>) -> Duration {
        self.rate = self.rate.saturating_add(1);
        let delay = exponential(RATE_FIRST, self.rate, RATE_CAP);
        reset_in.map_or(delay, |r| delay.max(r))
    }

    /// The stream delivered something: the next failure starts from the first delay.
    pub fn connected(&mut self) {
        *self = ReconnectPolicy::default();
    }
}

fn exponential(first: Duration, attempt: u32, cap: Duration) -> Duration {
    let doublings = attempt.saturating_sub(1).min(16);
    first.saturating_mul(1 << doublings).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(d: Duration) -> f64 {
        d.as_secs_f64()
    }

    #[test]
    fn network_errors_back_off_linearly_to_16_seconds() {
        let mut p = ReconnectPolicy::new();
        let d: Vec<f64> = (0..70).map(|_| secs(p.network_error())).collect();
        assert_eq!(&d[..4], &[0.25, 0.5, 0.75, 1.0]);
        assert_eq!(d[63], 16.0);
        assert_eq!(d[69], 16.0, "capped");
    }

    #[test]
    fn http_errors_back_off_exponentially_from_5_to_320_seconds() {
        let mut p = ReconnectPolicy::new();
        let d: Vec<f64> = (0..9).map(|_| secs(p.http_error())).collect();
        assert_eq!(d, [5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 320.0, 320.0]);
    }

    #[test]
    fn rate_limits_start_at_a_minute_and_respect_the_reset() {
        let mut p = ReconnectPolicy::new();
        assert_eq!(secs(p.rate_limited(None)), 60.0);
        assert_eq!(secs(p.rate_limited(None)), 120.0);
        assert_eq!(
            secs(p.rate_limited(Some(Duration::from_secs(600)))),
            600.0,
            "the reset is later than 4 min"
        );
        for _ in 0..10 {
            p.rate_limited(None);
        }
        assert_eq!(secs(p.rate_limited(None)), 960.0, "capped");
    }

    #[test]
    fn each_kind_counts_on_its_own_and_a_working_connection_resets_them() {
        let mut p = ReconnectPolicy::new();
        p.network_error();
        p.network_error();
        assert_eq!(
            secs(p.http_error()),
            5.0,
            "an HTTP error is not a 3rd TCP one"
        );
        assert_eq!(secs(p.network_error()), 0.75);
        p.connected();
        assert_eq!(secs(p.network_error()), 0.25);
        assert_eq!(secs(p.http_error()), 5.0);
        assert_eq!(secs(p.rate_limited(None)), 60.0);
    }
}
