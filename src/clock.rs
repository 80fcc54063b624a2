//! UTC calendar arithmetic, pure: what the access log's timestamps and the budgets' day and month
//! periods are computed from.

use std::time::{SystemTime, UNIX_EPOCH};

/// Whole days from 1970-01-01 (UTC) to `t`; 0 for a time before it.
pub fn utc_days(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| (d.as_secs() / 86_400) as i64)
}

/// The proleptic Gregorian (year, month, day) of `days` since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m as u32, d as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_are_civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_793), (2026, 12, 6));
    }

    #[test]
    fn days_count_from_the_epoch() {
        assert_eq!(utc_days(UNIX_EPOCH), 0);
        assert_eq!(utc_days(UNIX_EPOCH + Duration::from_secs(86_399)), 0);
        assert_eq!(utc_days(UNIX_EPOCH + Duration::from_secs(1_796_547_943)), 20_793);
        assert_eq!(utc_days(UNIX_EPOCH - Duration::from_secs(5)), 0);
    }
}
