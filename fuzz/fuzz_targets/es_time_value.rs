//! Elasticsearch time values (`expiration: "30m"`, `--api-key-retention 7d`), as
//! `parse_time_value` reads them.
//!
//! Properties: parsing never panics; a value it accepts is positive and at most 3 650 000
//! days; printed in its largest exact unit it parses back to the same duration.
#![no_main]

use chrono::Duration;
use libfuzzer_sys::fuzz_target;
use sigil_core::elasticsearch::api_keys::parse_time_value;

/// `d` in its largest exact unit.
fn print(d: Duration) -> String {
    let (seconds, nanos) = (d.num_seconds(), d.subsec_nanos());
    if nanos == 0 {
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
            if seconds % size == 0 {
                return format!("{}{unit}", seconds / size);
            }
        }
    }
    if nanos % 1_000_000 == 0 {
        format!("{}ms", d.num_milliseconds())
    } else if nanos % 1_000 == 0 {
        format!("{}micros", d.num_microseconds().unwrap_or(0))
    } else {
        format!("{}nanos", d.num_nanoseconds().unwrap_or(0))
    }
}

fuzz_target!(init: sigil_fuzz::init(), |data: &[u8]| {
    let Some(text) = sigil_fuzz::text(data) else {
        return;
    };
    let Ok(d) = parse_time_value("expiration", text) else {
        return;
    };
    assert!(d > Duration::zero() && d <= Duration::days(3_650_000), "{text}: {d}");
    let printed = print(d);
    assert_eq!(parse_time_value("expiration", &printed).ok(), Some(d), "{text} → {printed}");
});
