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
    /// The pause after the next 429 without a reset: doubles while 429s follow each other.
    cool_down_ms: i64,
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

    /// What a response said: its status and its rate-limit headers. A 429 closes the gate
    /// until the platform's reset or, when it gives none, for a pause that starts at
    /// [`FIRST_COOL_DOWN_MS`] and doubles while 429s follow each other (at most
    /// [`MAX_COOL_DOWN_MS`]): the account's other actions wait here instead of each collecting
    /// its own 429.
    pub fn observe(&self, status: u16, limits: &super::http::RateHeaders, now: i64) {
        if let Ok(mut s) = self.state.lock() {
            if limits.remaining.is_some() {
                s.remaining = limits.remaining;
            }
            if limits.reset_ms.is_some() {
                s.reset_ms = limits.reset_ms;
            }
            if status != 429 {
                s.cool_down_ms = FIRST_COOL_DOWN_MS;
                return;
            }
            s.remaining = Some(0);
            let pause = s.cool_down_ms.max(FIRST_COOL_DOWN_MS);
            match limits.reset_ms.filter(|r| *r > now) {
                Some(reset) => s.reset_ms = Some(reset),
                None => {
                    s.reset_ms = Some(now + pause);
                    s.cool_down_ms = (pause * 2).min(MAX_COOL_DOWN_MS);
                }
            }
        }
    }
}

/// The first pause after a 429 that names no reset.
pub const FIRST_COOL_DOWN_MS: i64 = 1_000;
/// The longest.
pub const MAX_COOL_DOWN_MS: i64 = 300_000;

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
        gate.observe(
            200,
            &RateHeaders {
                remaining: Some(0),
                reset_ms: Some(now + 30_000),
            },
            now,
        );
        assert_eq!(gate.acquire(now + 1), Err(now + 30_000));
        assert!(gate.acquire(now + 30_001).is_ok(), "open again after reset");
        // A reset already past (clock skew) does not block.
        gate.observe(
            200,
            &RateHeaders {
                remaining: Some(0),
                reset_ms: Some(now - 5_000),
            },
            now,
        );
        assert!(gate.acquire(now + 40_000).is_ok());
    }

    #[test]
    fn a_429_closes_the_gate_until_the_reset_or_for_a_growing_pause() {
        let gate = RateGate::new(None);
        let now = 2_000_000;
        gate.observe(
            429,
            &RateHeaders {
                remaining: None,
                reset_ms: Some(now + 5_000),
            },
            now,
        );
        assert_eq!(gate.acquire(now + 1), Err(now + 5_000));
        assert!(gate.acquire(now + 5_001).is_ok());
        // Without a reset: one second, then two, four… while the 429s go on.
        let mut at = now + 10_000;
        for pause in [1_000, 2_000, 4_000, 8_000] {
            gate.observe(429, &RateHeaders::default(), at);
            assert_eq!(gate.acquire(at + 1), Err(at + pause));
            at += pause + 1;
            assert!(gate.acquire(at).is_ok());
        }
        // An answer that is not a 429 starts the pauses over.
        gate.observe(200, &RateHeaders::default(), at);
        gate.observe(429, &RateHeaders::default(), at);
        assert_eq!(gate.acquire(at + 1), Err(at + FIRST_COOL_DOWN_MS));
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
