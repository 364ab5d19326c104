//! Small JSON helpers shared by the normalizers: readable errors and timestamps.

use crate::NormalizeError;
use jiff::Timestamp;

/// Turns a serde_json error into a parse error that says where it happened.
pub(crate) fn parse_error(what: &str, e: serde_json::Error) -> NormalizeError {
    use serde_json::error::Category;
    let message = match e.classify() {
        Category::Eof => format!("truncated JSON ({what}): {e}"),
        Category::Syntax => format!("malformed JSON ({what}): {e}"),
        Category::Data | Category::Io => format!("unexpected {what} payload: {e}"),
    };
    NormalizeError::parse(message)
}

/// Parses an RFC 3339 timestamp (`2026-03-22T20:01:05.000Z`, with or without fraction/offset).
pub(crate) fn timestamp(raw: &str, field: &str) -> Result<Timestamp, NormalizeError> {
    raw.parse::<Timestamp>().map_err(|e| {
        NormalizeError::parse(format!("`{field}` is not a valid timestamp (`{raw}`): {e}"))
    })
}

/// A timestamp from milliseconds since the Unix epoch.
pub(crate) fn timestamp_ms(ms: i64, field: &str) -> Result<Timestamp, NormalizeError> {
    Timestamp::from_millisecond(ms)
        .map_err(|e| NormalizeError::parse(format!("`{field}` is out of range ({ms} ms): {e}")))
}
