//! How far behind the platforms the live engine decides: for every message recorded, the time
//! from the platform's own timestamp (`created_at`) to the commit of its decision. Kept in a
//! histogram of fixed buckets (exact to the millisecond below 128 ms, then 32 buckets per
//! doubling: about 3%), shared without a lock, read as quantiles by `/metrics`
//! (`palabre_decision_lag_seconds`) and by `palabre bench --mode live`.
//!
//! The lag includes the platform's own delay and, for sources that poll, the polling interval;
//! a timestamp in the future (a skewed clock) counts as 0.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Buckets of one millisecond each below this.
const LINEAR: u64 = 128;
/// Buckets per doubling above it (a power of two).
const PER_DOUBLING: u64 = 32;
const PER_DOUBLING_BITS: u32 = PER_DOUBLING.trailing_zeros();
/// The last doubling kept (2^40 ms is about 35 years): longer lags fall in the last bucket.
const LAST_DOUBLING: u32 = 40;
const BUCKETS: usize = (LINEAR + (LAST_DOUBLING as u64 - 6) * PER_DOUBLING) as usize;

/// The quantiles `/metrics` shows.
pub const QUANTILES: [f64; 4] = [0.5, 0.9, 0.99, 0.999];

pub struct Lag {
    counts: Box<[AtomicU64]>,
    sum_ms: AtomicU64,
    max_ms: AtomicU64,
}

impl Default for Lag {
    fn default() -> Self {
        Lag {
            counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            sum_ms: AtomicU64::new(0),
            max_ms: AtomicU64::new(0),
        }
    }
}

/// Which bucket holds a lag of `ms`.
fn bucket(ms: u64) -> usize {
    if ms < LINEAR {
        return ms as usize;
    }
    let doubling = (63 - ms.leading_zeros()).min(LAST_DOUBLING);
    let ms = ms.min((1u64 << (LAST_DOUBLING + 1)) - 1);
    let sub = (ms >> (doubling - PER_DOUBLING_BITS)) & (PER_DOUBLING - 1);
    (LINEAR + u64::from(doubling - 7) * PER_DOUBLING + sub) as usize
}

/// The largest lag a bucket holds.
fn upper(bucket: usize) -> u64 {
    let b = bucket as u64;
    if b < LINEAR {
        return b;
    }
    let k = b - LINEAR;
    let doubling = k / PER_DOUBLING + 7;
    let sub = k % PER_DOUBLING;
    ((PER_DOUBLING + sub + 1) << (doubling - u64::from(PER_DOUBLING_BITS))) - 1
}

/// The figures of a moment.
#[derive(Debug, Clone, PartialEq)]
pub struct LagSummary {
    pub count: u64,
    pub sum_ms: u64,
    pub max_ms: u64,
    /// (q, the lag in ms that q of the messages did not exceed).
    pub quantiles: Vec<(f64, u64)>,
}

impl Lag {
    /// A message decided now (`now_ms`) that the platform stamped at `created_ms`.
    pub fn record(&self, created_ms: i64, now_ms: i64) {
        let ms = u64::try_from(now_ms - created_ms).unwrap_or(0);
        self.counts[bucket(ms)].fetch_add(1, Ordering::Relaxed);
        self.sum_ms.fetch_add(ms, Ordering::Relaxed);
        self.max_ms.fetch_max(ms, Ordering::Relaxed);
    }

    pub fn summary(&self, quantiles: &[f64]) -> LagSummary {
        let counts: Vec<u64> = self
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let count: u64 = counts.iter().sum();
        let max_ms = self.max_ms.load(Ordering::Relaxed);
        let quantiles = quantiles
            .iter()
            .map(|&q| {
                let rank = ((q * count as f64).ceil() as u64).max(1);
                let mut seen = 0;
                let at = counts
                    .iter()
                    .position(|&c| {
                        seen += c;
                        seen >= rank
                    })
                    .map_or(0, upper);
                (q, at.min(max_ms))
            })
            .collect();
        LagSummary {
            count,
            sum_ms: self.sum_ms.load(Ordering::Relaxed),
            max_ms,
            quantiles,
        }
    }

    /// The Prometheus text for `/metrics`: a summary since the server started.
    pub fn exposition(&self) -> String {
        let s = self.summary(&QUANTILES);
        let name = "palabre_decision_lag_seconds";
        let mut out = format!(
            "# HELP {name} From a message's platform timestamp to its decision recorded, since the server started.\n# TYPE {name} summary\n"
        );
        for (q, ms) in &s.quantiles {
            let _ = writeln!(out, "{name}{{quantile=\"{q}\"}} {}", *ms as f64 / 1000.0);
        }
        let _ = writeln!(out, "{name}_sum {}", s.sum_ms as f64 / 1000.0);
        let _ = writeln!(out, "{name}_count {}", s.count);
        let _ = writeln!(
            out,
            "# HELP {name}_max The longest such lag.\n# TYPE {name}_max gauge\n{name}_max {}",
            s.max_ms as f64 / 1000.0
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lag_falls_in_a_bucket_that_holds_it_within_3_percent() {
        let mut previous = 0;
        for ms in (0..5000).chain((5000..100_000_000).step_by(997)) {
            let b = bucket(ms);
            assert!(b >= previous, "buckets follow the lags");
            previous = b;
            assert!(upper(b) >= ms, "{ms} in bucket {b} up to {}", upper(b));
            if b > 0 {
                assert!(upper(b - 1) < ms, "{ms} belongs in an earlier bucket");
            }
            assert!(upper(b) - ms <= ms / 32 + 1, "{ms}: bucket too wide");
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_read_what_was_recorded() {
        let lag = Lag::default();
        for ms in 1..=1000 {
            lag.record(10_000, 10_000 + ms);
        }
        lag.record(10_000, 9_000); // from the future: 0
        let s = lag.summary(&[0.5, 0.99, 1.0]);
        assert_eq!(s.count, 1001);
        assert_eq!(s.max_ms, 1000);
        let at = |q: f64| s.quantiles.iter().find(|(k, _)| *k == q).unwrap().1;
        assert!((500..=516).contains(&at(0.5)), "{:?}", s.quantiles);
        assert!((990..=1000).contains(&at(0.99)), "{:?}", s.quantiles);
        assert_eq!(at(1.0), 1000, "never beyond the maximum");
        let text = lag.exposition();
        assert!(text.contains("# TYPE palabre_decision_lag_seconds summary"));
        assert!(text.contains("palabre_decision_lag_seconds_count 1001\n"));
        assert!(text.contains("palabre_decision_lag_seconds_max 1\n"));
    }
}
