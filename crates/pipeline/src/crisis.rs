//! Crisis detection: how many different people wrote to the brand in distress (scared, or
//! speaking of harm: [`palabre_triage::crisis::sounds_like_crisis`]) in the last minutes,
//! against the brand's own baseline of such messages over the last day. On the events' own
//! clock, so that `replay` raises the alert on the event `serve` raised it on.
//!
//! One person writing ten times counts once; reposts never reach it; complaints and anger at
//! bad service do not count at all. The alert stays active while distress keeps coming, and
//! ends after a quiet period without any.

use std::collections::{HashMap, HashSet, VecDeque};

/// The detector's parameters (`[crisis]` in palabre.toml).
#[derive(Debug, Clone, PartialEq)]
pub struct CrisisSettings {
    /// Off: no alert is ever raised.
    pub enabled: bool,
    /// The rolling window distressed people are counted in.
    pub window_secs: i64,
    /// At least this many different people in the window…
    pub min_authors: u32,
    /// …and at least this many times the baseline (distressed people per window over the
    /// last day)…
    pub factor: f64,
    /// …and at least this share of the messages written to the brand in the window: a flood
    /// (election night) holds a few scared or grim jokes that are no crisis.
    pub min_share: f64,
    /// The alert ends after this long without a distressed message.
    pub quiet_secs: i64,
    /// Pull the crisis brake when the alert is raised (`brake = "auto"`), rather than only
    /// propose it to a manager (`"propose"`, the default).
    pub auto_brake: bool,
}

impl Default for CrisisSettings {
    fn default() -> Self {
        CrisisSettings {
            enabled: true,
            window_secs: 10 * 60,
            min_authors: 5,
            factor: 3.0,
            min_share: 0.1,
            quiet_secs: 30 * 60,
            auto_brake: false,
        }
    }
}

/// The baseline is read over this long.
const BASELINE_SECS: i64 = 24 * 3600;
const HOUR: i64 = 3600;
/// At most this many people are remembered per hour of the baseline (memory stays flat
/// during a flood; the baseline is then high anyway).
const PEOPLE_PER_HOUR: usize = 10_000;

/// What the detector says after a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CrisisState {
    /// This message raised the alert.
    pub raised: bool,
    /// An alert is active (raised now or earlier, not yet quiet).
    pub active: bool,
}

/// An active alert, as the web shows it: its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct CrisisAlert {
    /// When it was raised (seconds of the events' clock).
    pub raised_at: i64,
    /// Different people in distress within the window, now.
    pub people: u32,
    /// The brand's usual level: distressed people per window over the day before.
    pub usual: f64,
    /// The window they are counted in (seconds).
    pub window_secs: i64,
    /// The latest messages in distress (at most [`EXAMPLES`], from different people, cut).
    pub examples: Vec<String>,
    /// When it ends unless more distress is seen (seconds of the events' clock): the last
    /// distress plus the quiet period.
    pub quiet_at: i64,
}

/// Messages in distress kept as the alert's examples.
pub const EXAMPLES: usize = 3;
/// Characters kept of each.
const EXAMPLE_CHARS: usize = 200;

/// The rolling counts.
#[derive(Debug, Default)]
pub struct CrisisDetector {
    settings: CrisisSettings,
    /// The latest event time seen (seconds): the clock never goes back.
    now: i64,
    /// Distressed messages within the window: (time, author), oldest first.
    recent: VecDeque<(i64, u64)>,
    /// Messages per author in `recent`.
    per_author: HashMap<u64, u32>,
    /// All messages written to the brand within the window, per second: (second, count).
    volume: VecDeque<(i64, u32)>,
    /// Their sum.
    volume_total: u64,
    /// Distressed people per hour over the baseline period: (hour, people), oldest first.
    hours: VecDeque<(i64, HashSet<u64>)>,
    /// The active alert: when distress was last seen.
    active_since_signal: Option<i64>,
    /// When the active alert was raised.
    raised_at: i64,
    /// The latest messages in distress within the window: (time, author, text), oldest first.
    examples: VecDeque<(i64, u64, String)>,
}

impl CrisisDetector {
    pub fn new(settings: CrisisSettings) -> Self {
        CrisisDetector {
            settings,
            ..CrisisDetector::default()
        }
    }

    /// Notes a message written to the brand at `at` (seconds) by `author`, `distressed` or
    /// not, and says whether it raises the alert or finds one active.
    pub fn observe(&mut self, at: i64, author: u64, distressed: bool) -> CrisisState {
        if !self.settings.enabled {
            return CrisisState::default();
        }
        // A platform whose clock lags does not move time back: its message counts now.
        self.now = self.now.max(at);
        let now = self.now;
        while let Some(&(t, a)) = self.recent.front() {
            if now - t < self.settings.window_secs {
                break;
            }
            self.recent.pop_front();
            if let Some(n) = self.per_author.get_mut(&a) {
                *n -= 1;
                if *n == 0 {
                    self.per_author.remove(&a);
                }
            }
        }
        while let Some(&(t, n)) = self.volume.front() {
            if now - t < self.settings.window_secs {
                break;
            }
            self.volume.pop_front();
            self.volume_total -= u64::from(n);
        }
        match self.volume.back_mut() {
            Some((t, n)) if *t == now => *n += 1,
            _ => self.volume.push_back((now, 1)),
        }
        self.volume_total += 1;
        if let Some(last) = self.active_since_signal
            && now - last > self.settings.quiet_secs
        {
            self.active_since_signal = None;
        }
        if !distressed {
            return CrisisState {
                raised: false,
                active: self.active_since_signal.is_some(),
            };
        }
        // The baseline is what came before this hour, not the burst being measured.
        let baseline = self.baseline(now);
        self.remember_hour(now, author);
        self.recent.push_back((now, author));
        *self.per_author.entry(author).or_default() += 1;
        if let Some(last) = self.active_since_signal.as_mut() {
            *last = now;
            return CrisisState {
                raised: false,
                active: true,
            };
        }
        let people = self.per_author.len() as f64;
        let threshold = f64::from(self.settings.min_authors).max(self.settings.factor * baseline);
        let share = people / self.volume_total.max(1) as f64;
        if people >= threshold && share >= self.settings.min_share {
            self.active_since_signal = Some(now);
            self.raised_at = now;
            return CrisisState {
                raised: true,
                active: true,
            };
        }
        CrisisState::default()
    }

    /// Whether an alert is under way at `at` (seconds): raised, with distress seen within the
    /// quiet period before `at`.
    pub fn active_at(&self, at: i64) -> bool {
        self.active_since_signal
            .is_some_and(|last| at.max(self.now) - last <= self.settings.quiet_secs)
    }

    /// The active alert, if any (as of the last message seen), with its evidence.
    pub fn alert(&self) -> Option<CrisisAlert> {
        self.active_since_signal.map(|last| CrisisAlert {
            quiet_at: last + self.settings.quiet_secs,
            raised_at: self.raised_at,
            people: u32::try_from(self.per_author.len()).unwrap_or(u32::MAX),
            usual: self.baseline(self.now),
            window_secs: self.settings.window_secs,
            examples: self
                .examples
                .iter()
                .rev()
                .map(|(_, _, text)| text.clone())
                .collect(),
        })
    }

    /// Keeps `text`, written in distress by `author` at `at`, as one of the alert's examples
    /// (the latest, one per person).
    pub fn example(&mut self, at: i64, author: u64, text: &str) {
        if !self.settings.enabled {
            return;
        }
        let window = self.settings.window_secs;
        let now = self.now;
        self.examples
            .retain(|(t, a, _)| *a != author && now - *t < window);
        let cut: String = text.chars().take(EXAMPLE_CHARS).collect();
        self.examples
            .push_back((at.max(now - window + 1), author, cut));
        while self.examples.len() > EXAMPLES {
            self.examples.pop_front();
        }
    }

    /// Distressed people per window, on average over the day before this hour.
    fn baseline(&self, now: i64) -> f64 {
        let hour = now.div_euclid(HOUR);
        let people: usize = self
            .hours
            .iter()
            .filter(|(h, _)| *h < hour && (hour - h) * HOUR <= BASELINE_SECS)
            .map(|(_, p)| p.len())
            .sum();
        let windows = BASELINE_SECS as f64 / self.settings.window_secs.max(1) as f64;
        people as f64 / windows
    }

    fn remember_hour(&mut self, now: i64, author: u64) {
        let hour = now.div_euclid(HOUR);
        while self
            .hours
            .front()
            .is_some_and(|(h, _)| (hour - h) * HOUR > BASELINE_SECS)
        {
            self.hours.pop_front();
        }
        match self.hours.back_mut() {
            Some((h, people)) if *h == hour => {
                if people.len() < PEOPLE_PER_HOUR {
                    people.insert(author);
                }
            }
            _ => self.hours.push_back((hour, HashSet::from([author]))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector() -> CrisisDetector {
        CrisisDetector::new(CrisisSettings::default())
    }

    #[test]
    fn five_people_in_distress_within_minutes_raise_it_once() {
        let mut d = detector();
        let t0 = 1_000_000;
        let states: Vec<CrisisState> = (0..7)
            .map(|i| d.observe(t0 + i * 40, 100 + i as u64, true))
            .collect();
        assert!(!states[3].active);
        assert!(states[4].raised, "the fifth person raises it");
        assert!(states[5].active && !states[5].raised, "raised once");
        // A quiet half hour ends it.
        assert!(d.observe(t0 + 280 + 1700, 1, false).active);
        assert!(!d.observe(t0 + 280 + 1801, 1, false).active);
    }

    #[test]
    fn one_person_ten_times_or_people_spread_over_hours_never_raise_it() {
        let mut d = detector();
        for i in 0..10 {
            assert!(!d.observe(2_000_000 + i * 10, 7, true).active);
        }
        let mut d = detector();
        for i in 0..12 {
            // One distressed person every 15 minutes, all afternoon.
            assert!(!d.observe(3_000_000 + i * 900, 200 + i as u64, true).active);
        }
    }

    #[test]
    fn a_brand_used_to_distress_needs_more_to_be_alarmed() {
        let mut d = detector();
        let t0 = 10 * 3600;
        // Yesterday and this morning: 60 distressed people an hour (10 per window).
        for i in 0..(20 * 60) {
            d.observe(t0 + i * 60, 10_000 + i as u64, false);
            d.observe(t0 + i * 60 + 1, 20_000 + i as u64, true);
        }
        let later = t0 + 21 * 3600;
        // Eight people in a few minutes: ordinary for this brand (baseline 10 × 3).
        let raised = (0..8).any(|i| d.observe(later + i * 20, 90_000 + i as u64, true).raised);
        assert!(!raised);
    }

    #[test]
    fn a_flood_with_a_few_grim_jokes_is_no_crisis() {
        let mut d = detector();
        let t0 = 7_000_000;
        // Election night: 200 messages a minute, one in a hundred grim.
        let mut raised = false;
        for i in 0..2000 {
            let grim = i % 100 == 0;
            raised |= d.observe(t0 + i * 3 / 10, 50_000 + i as u64, grim).raised;
        }
        assert!(!raised);
    }

    #[test]
    fn the_alert_shows_its_latest_examples_one_per_person() {
        let mut d = detector();
        let t0 = 9_000_000;
        for (i, author) in [1u64, 2, 2, 3, 4, 5].iter().enumerate() {
            let at = t0 + i as i64 * 30;
            d.observe(at, *author, true);
            d.example(at, *author, &format!("message {i} from {author}"));
        }
        let alert = d.alert().unwrap();
        assert_eq!(alert.people, 5);
        assert_eq!(
            alert.examples,
            ["message 5 from 5", "message 4 from 4", "message 3 from 3"]
        );
        let long = "é".repeat(500);
        d.example(t0 + 200, 6, &long);
        assert_eq!(d.alert().unwrap().examples[0].chars().count(), 200);
    }

    #[test]
    fn the_clock_going_back_counts_the_message_now() {
        let mut d = detector();
        let t0 = 5_000_000;
        d.observe(t0, 1, true);
        for i in 0..3 {
            assert!(!d.observe(t0 - 3600 + i, 2 + i as u64, true).active);
        }
        assert!(
            d.observe(t0 - 7200, 9, true).raised,
            "counted at the latest time"
        );
        assert!(
            !CrisisDetector::new(CrisisSettings {
                enabled: false,
                ..CrisisSettings::default()
            })
            .observe(0, 1, true)
            .active
        );
    }
}
