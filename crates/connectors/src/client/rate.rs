//! Per-account rate limits respected ahead of time: what the platform's headers said is left
//! (and when it resets), and a configured pace, so that the outbox waits instead of collecting
//! 429s. Times are Unix milliseconds, given by the caller (testable without sleeping).

use std::sync::Mutex;

#[derive(Debug, Default)]
struct State {
    /// From the last response: requests left, and when the window resets.
    remaining: Option<u64>,
    reset_ms: Option<i64>,
    /// Token bucket for the configured pace.
    tokens: f64,
    last_ms: i64,
}

/// One account's gate. Shared by the threads that send for the account.
#[derive(Debug)]
pub struct RateGate {
    per_minute: Option<f64>,
    burst: f64,
    state: Mutex<State>,
}

impl RateGate {
    /// `per_minute`: the pace to keep whatever the headers say (None: only the headers).
    pub fn new(per_minute: Option<u32>) -> Self {
        let burst = per_minute.map_or(1.0, |p| f64::from(p.clamp(1, 10)));
        RateGate {
            per_minute: per_minute.map(|p| f64::from(p.max(1))),
            burst,
            state: Mutex::new(State {
                tokens: burst,
                ..State::default()
            }),
        }
    }

    /// Takes a slot for one request at `now`, or says when one will be free.
    pub fn acquire(&self, now: i64) -> Result<(), i64> {
        let Ok(mut s) = self.state.lock() else {
            return Ok(());
        };
        if s.remaining == Some(0)
            && let Some(reset) = s.reset_ms
        {
            // A reset more than an hour away is a clock problem, not a plan: ignore it.
            if reset > now && reset < now + 3_600_000 {
                return Err(reset);
            }
            s.remaining = None;
        }
        if let Some(per_minute) = self.per_minute {
            let per_ms = per_minute / 60_000.0;
            if s.last_ms > 0 {
                let elapsed = (now - s.last_ms).max(0) as f64;
                s.tokens = (s.tokens + elapsed * per_ms).min(self.burst);
            }
            s.last_ms = now;
            if s.tokens < 1.0 {
                let wait = ((1.0 - s.tokens) / per_ms).ceil() as i64;
                return Err(now + wait.max(1));
            }
            s.tokens -= 1.0;
        }
        if let Some(r) = s.remaining.as_mut() {
            *r = r.saturating_sub(1);
        }
        Ok(())
    }

    /// What a response's headers said.
    pub fn observe(&self, limits: &super::http::RateHeaders) {
        if let Ok(mut s) = self.state.lock() {
            if limits.remaining.is_some() {
                s.remaining = limits.remaining;
            }
            if limits.reset_ms.is_some() {
                s.reset_ms = limits.reset_ms;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::client::http::RateHeaders;

    #[test]
    fn a_used_up_window_waits_for_its_reset() {
        let gate = RateGate::new(None);
        let now = 1_000_000;
        assert!(gate.acquire(now).is_ok());
        gate.observe(&RateHeaders {
            remaining: Some(0),
            reset_ms: Some(now + 30_000),
        });
        assert_eq!(gate.acquire(now + 1), Err(now + 30_000));
        assert!(gate.acquire(now + 30_001).is_ok(), "open again after reset");
        // A reset already past (clock skew) does not block.
        gate.observe(&RateHeaders {
            remaining: Some(0),
            reset_ms: Some(now - 5_000),
        });
        assert!(gate.acquire(now + 40_000).is_ok());
    }

    #[test]
    fn a_pace_spaces_requests_without_sleeping() {
        let gate = RateGate::new(Some(60)); // one a second, burst 10
        let now = 5_000_000;
        for _ in 0..10 {
            assert!(gate.acquire(now).is_ok());
        }
        let next = gate.acquire(now).unwrap_err();
        assert!((now + 900..=now + 1000).contains(&next), "{next}");
        assert!(gate.acquire(next).is_ok());
    }
}
