//! When the brand's audience is there: its interactions (messages to the brand, replies,
//! reposts and quotes of its posts) counted by hour of the week in the brand's time zone, and
//! the coming free hours that drew the most. Pure: the store counts per hour, this reads them.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Seconds in an hour.
const HOUR: i64 = 3600;

/// Below this, the history says nothing reliable.
pub const MIN_INTERACTIONS: u64 = 100;
/// Nor with less than two weeks of it (one Tuesday is not "Tuesdays").
pub const MIN_DAYS: i64 = 14;

/// Interactions by weekday (Monday first) and hour, in one time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeatMap {
    pub cells: [[u64; 24]; 7],
    pub total: u64,
    /// Days from the first interaction counted to now (at most the period asked for).
    pub days: i64,
}

/// A coming hour worth posting in, with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub at: Timestamp,
    /// 0 = Monday.
    pub weekday: usize,
    pub hour: usize,
    /// Interactions in that hour of the week over the period.
    pub interactions: u64,
    /// Against the median hour of the week (or the mean when most hours are empty).
    pub ratio: f64,
}

impl HeatMap {
    /// From counts per absolute hour (`unix seconds / 3600`, count), as seen at `now`.
    pub fn from_hours(hours: &[(i64, u64)], tz: &TimeZone, now: Timestamp) -> HeatMap {
        let mut cells = [[0u64; 24]; 7];
        let mut total = 0;
        let mut first = i64::MAX;
        for &(hour, count) in hours {
            let Ok(at) = Timestamp::from_second(hour.saturating_mul(HOUR)) else {
                continue;
            };
            let local = at.to_zoned(tz.clone());
            let day = usize::try_from(local.weekday().to_monday_zero_offset()).unwrap_or(0);
            let h = usize::try_from(local.hour()).unwrap_or(0).min(23);
            cells[day][h] += count;
            total += count;
            first = first.min(hour * HOUR);
        }
        let days = if total == 0 {
            0
        } else {
            (now.as_second() - first).max(0) / 86_400
        };
        HeatMap { cells, total, days }
    }

    /// Enough history to suggest anything.
    pub fn enough(&self) -> bool {
        self.total >= MIN_INTERACTIONS && self.days >= MIN_DAYS
    }

    /// The typical hour of the week: the median of the 168; the mean when that is zero (an
    /// audience active a few hours a week).
    pub fn typical(&self) -> f64 {
        let mut all: Vec<u64> = self.cells.iter().flatten().copied().collect();
        all.sort_unstable();
        let median = (all[83] + all[84]) as f64 / 2.0;
        if median > 0.0 {
            median
        } else {
            self.total as f64 / 168.0
        }
    }

    /// The `n` best whole hours of the coming week (from the next hour), busier than the
    /// typical hour, leaving out the hours in `taken` (a post already planned then), best
    /// first. None without enough history.
    pub fn suggest(
        &self,
        now: Timestamp,
        tz: &TimeZone,
        taken: &[Timestamp],
        n: usize,
    ) -> Vec<Slot> {
        if !self.enough() {
            return Vec::new();
        }
        let typical = self.typical().max(f64::MIN_POSITIVE);
        let next = now.as_second().div_euclid(HOUR) + 1;
        let busy: Vec<i64> = taken
            .iter()
            .map(|t| t.as_second().div_euclid(HOUR))
            .collect();
        let mut slots: Vec<Slot> = (next..next + 168)
            .filter(|h| !busy.contains(h))
            .filter_map(|h| {
                let at = Timestamp::from_second(h * HOUR).ok()?;
                let local = at.to_zoned(tz.clone());
                let weekday = usize::try_from(local.weekday().to_monday_zero_offset()).unwrap_or(0);
                let hour = usize::try_from(local.hour()).ok()?.min(23);
                let interactions = self.cells[weekday][hour];
                let ratio = interactions as f64 / typical;
                (ratio > 1.0).then_some(Slot {
                    at,
                    weekday,
                    hour,
                    interactions,
                    ratio,
                })
            })
            .collect();
        slots.sort_by(|a, b| b.interactions.cmp(&a.interactions).then(a.at.cmp(&b.at)));
        slots.truncate(n);
        slots
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn paris() -> TimeZone {
        TimeZone::get("Europe/Paris").unwrap()
    }

    /// Eight weeks where Tuesdays at 18:00 (Paris) draw 50 interactions and every other
    /// evening hour 5.
    fn history(now: Timestamp) -> Vec<(i64, u64)> {
        let start = now.as_second() / HOUR - 8 * 168;
        (start..now.as_second() / HOUR)
            .filter_map(|h| {
                let local = Timestamp::from_second(h * HOUR).unwrap().to_zoned(paris());
                let evening = (17..=21).contains(&local.hour());
                let tuesday_six =
                    local.weekday() == jiff::civil::Weekday::Tuesday && local.hour() == 18;
                match (tuesday_six, evening) {
                    (true, _) => Some((h, 50)),
                    (false, true) => Some((h, 5)),
                    _ => None,
                }
            })
            .collect()
    }

    #[test]
    fn the_busiest_free_hour_comes_first_with_its_evidence() {
        // Monday 7 December 2026, 10:00 in Paris.
        let now: Timestamp = "2026-12-07T09:00:00Z".parse().unwrap();
        let heat = HeatMap::from_hours(&history(now), &paris(), now);
        assert!(heat.enough());
        assert_eq!(heat.cells[1][18], 8 * 50, "Tuesday 18:00, eight weeks");
        assert_eq!(heat.cells[0][3], 0);
        let slots = heat.suggest(now, &paris(), &[], 3);
        assert_eq!(
            slots[0].at.to_string(),
            "2026-12-08T17:00:00Z",
            "Tuesday 18:00 in Paris"
        );
        assert_eq!(slots[0].interactions, 400);
        assert!(slots[0].ratio > 10.0, "{}", slots[0].ratio);
        // Taken by a post already planned: the next best.
        let taken = [slots[0].at];
        let other = heat.suggest(now, &paris(), &taken, 1);
        assert_ne!(other[0].at, slots[0].at);
        assert_eq!(other[0].interactions, 40);
        // Night hours never drew anyone: never suggested.
        assert!(
            heat.suggest(now, &paris(), &[], 168)
                .iter()
                .all(|s| (17..=21).contains(&s.hour))
        );
    }

    #[test]
    fn too_little_history_says_so_and_suggests_nothing() {
        let now: Timestamp = "2026-12-07T09:00:00Z".parse().unwrap();
        let recent: Vec<(i64, u64)> = history(now).into_iter().rev().take(20).collect();
        let heat = HeatMap::from_hours(&recent, &paris(), now);
        assert!(
            !heat.enough(),
            "{} interactions over {} days",
            heat.total,
            heat.days
        );
        assert!(heat.suggest(now, &paris(), &[], 3).is_empty());
        let empty = HeatMap::from_hours(&[], &paris(), now);
        assert_eq!((empty.total, empty.days), (0, 0));
    }
}
