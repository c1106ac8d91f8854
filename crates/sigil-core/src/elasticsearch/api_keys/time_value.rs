//! Elasticsearch time values (`30m`, `12h`, `7d`…), as `expiration` takes them. Hand-written:
//! the format is Elasticsearch's own (`nanos`, `micros`, `ms`, `s`, `m`, `h`, `d`), which
//! humantime and friends do not match.

use crate::error::{CoreError, CoreResult};
use chrono::Duration;

/// Parses a positive time value; `field` names it in the error.
pub fn parse_time_value(field: &str, text: &str) -> CoreResult<Duration> {
    let bad = || {
        CoreError::invalid(
            field,
            format!("failed to parse [{text}] as a time value: unit is missing or unrecognized"),
        )
    };
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = t.split_at(split);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let d = match unit {
        "nanos" => Duration::nanoseconds(n),
        "micros" => Duration::microseconds(n),
        "ms" => Duration::milliseconds(n),
        "s" => Duration::try_seconds(n).ok_or_else(bad)?,
        "m" => Duration::try_minutes(n).ok_or_else(bad)?,
        "h" => Duration::try_hours(n).ok_or_else(bad)?,
        "d" => Duration::try_days(n).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if d <= Duration::zero() {
        return Err(CoreError::invalid(
            field,
            format!("[{text}] must be positive"),
        ));
    }
    // Beyond ~10 000 years the instant no longer fits a store's integer seconds comfortably.
    if d > Duration::days(3_650_000) {
        return Err(CoreError::invalid(field, format!("[{text}] is too long")));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_parse_and_junk_is_refused() {
        assert_eq!(
            parse_time_value("e", "30m").ok(),
            Some(Duration::minutes(30))
        );
        assert_eq!(parse_time_value("e", "12h").ok(), Some(Duration::hours(12)));
        assert_eq!(parse_time_value("e", "7d").ok(), Some(Duration::days(7)));
        assert_eq!(
            parse_time_value("e", "1500ms").ok(),
            Some(Duration::milliseconds(1500))
        );
        for bad in [
            "",
            "abc",
            "5",
            "d",
            "-1d",
            "0s",
            "1w",
            "1.5h",
            "99999999999999999999d",
        ] {
            assert!(parse_time_value("e", bad).is_err(), "{bad}");
        }
    }
}
