//! Durations as people write them in configuration and campaign files: `90s`, `30m`, `6h`, `2d`
//! (and `500ms` for timeouts).

use std::time::Duration;

/// Why a duration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("`{0}` is not a duration such as 90s, 15m, 24h or 7d")]
    Shape(String),
    #[error("unknown unit `{unit}` in `{raw}` (use ms, s, m, h or d)")]
    Unit { raw: String, unit: String },
    #[error("`{0}` is too long")]
    TooLong(String),
}

/// A whole number followed by a unit: `ms`, `s`, `m` (or `min`), `h`, `d`.
pub fn parse_duration(raw: &str) -> Result<Duration, DurationError> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| DurationError::Shape(raw.to_owned()))?;
    if unit.trim() == "ms" {
        return Ok(Duration::from_millis(n));
    }
    let factor = match unit.trim() {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "" => return Err(DurationError::Shape(raw.to_owned())),
        other => {
            return Err(DurationError::Unit {
                raw: raw.to_owned(),
                unit: other.to_owned(),
            });
        }
    };
    let secs = n.checked_mul(factor).filter(|s| *s <= i64::MAX as u64);
    secs.map(Duration::from_secs)
        .ok_or_else(|| DurationError::TooLong(raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_four_units_and_refuses_the_rest() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("30min"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration(" 6h "), Ok(Duration::from_secs(21_600)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(matches!(
            parse_duration("1w"),
            Err(DurationError::Unit { .. })
        ));
        assert!(matches!(parse_duration("h"), Err(DurationError::Shape(_))));
        assert!(matches!(
            parse_duration("3600"),
            Err(DurationError::Shape(_))
        ));
        assert!(matches!(
            parse_duration("99999999999999999d"),
            Err(DurationError::TooLong(_))
        ));
    }
}
