//! A stop flag that sleeping threads notice at once (a condition variable, not a polling loop).

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Shared by a supervisor and its sources; cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    inner: Arc<(Mutex<bool>, Condvar)>,
}

impl Stop {
    pub fn new() -> Self {
        Stop::default()
    }

    pub fn raise(&self) {
        let (flag, cv) = &*self.inner;
        if let Ok(mut stopped) = flag.lock() {
            *stopped = true;
        }
        cv.notify_all();
    }

    pub fn is_raised(&self) -> bool {
        self.inner.0.lock().map(|s| *s).unwrap_or(true)
    }

    /// Sleeps up to `d`; true if stopped meanwhile (return then).
    pub fn sleep(&self, d: Duration) -> bool {
        let (flag, cv) = &*self.inner;
        let deadline = Instant::now() + d;
        let Ok(mut stopped) = flag.lock() else {
            return true;
        };
        while !*stopped {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            match cv.wait_timeout(stopped, deadline - now) {
                Ok((guard, _)) => stopped = guard,
                Err(_) => return true,
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_raised_flag_wakes_a_sleeper_at_once() {
        let stop = Stop::new();
        let other = stop.clone();
        let t = std::thread::spawn(move || {
            let start = Instant::now();
            (other.sleep(Duration::from_secs(30)), start.elapsed())
        });
        std::thread::sleep(Duration::from_millis(50));
        stop.raise();
        let (stopped, took) = t.join().unwrap();
        assert!(stopped);
        assert!(took < Duration::from_secs(5));
        assert!(!Stop::new().sleep(Duration::from_millis(1)));
    }
}
