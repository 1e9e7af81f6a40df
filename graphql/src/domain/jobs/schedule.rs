//! Cron expressions (seconds first, UTC) and the ticks they name.

use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use cron::Schedule;

use crate::error::{AppError, AppResult};

/// A cron expression with a seconds field, e.g. `0 30 1 * * *` (01:30:00 UTC daily).
pub fn parse(field: &str, expression: &str) -> AppResult<Schedule> {
    Schedule::from_str(expression.trim()).map_err(|err| {
        AppError::bad_input(
            field,
            format!(
                "'{expression}' is not a cron expression with seconds (e.g. `0 30 1 * * *`): {err}"
            ),
        )
    })
}

/// The latest tick after `after` and at or before `now`, if any: after downtime the
/// missed ticks collapse into this one, however long the downtime (a monthly job too).
pub fn latest_due(
    schedule: &Schedule,
    after: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    // Walking back from just after `now` finds the tick without stepping through the
    // ticks in between (an every-10-seconds job has 8,640 a day).
    schedule
        .after(&(now + Duration::nanoseconds(1)))
        .next_back()
        .filter(|tick| *tick > after)
}

/// The first tick after `now`.
pub fn next(schedule: &Schedule, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    schedule.after(&now).next()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, h, m, s).unwrap()
    }

    #[test]
    fn missed_ticks_collapse_into_the_latest() {
        let every_minute = parse("cron", "0 * * * * *").unwrap();
        assert_eq!(
            latest_due(&every_minute, at(10, 0, 0), at(10, 7, 30)),
            Some(at(10, 7, 0))
        );
        assert_eq!(latest_due(&every_minute, at(10, 7, 0), at(10, 7, 59)), None);
        assert_eq!(
            latest_due(&every_minute, at(10, 7, 0), at(10, 8, 0)),
            Some(at(10, 8, 0))
        );
        assert_eq!(next(&every_minute, at(10, 8, 0)), Some(at(10, 9, 0)));
    }

    #[test]
    fn a_long_outage_still_finds_the_latest_tick() {
        let daily = parse("cron", "0 30 1 * * *").unwrap();
        let long_ago = at(0, 0, 0) - Duration::days(400);
        assert_eq!(
            latest_due(&daily, long_ago, at(12, 0, 0)),
            Some(at(1, 30, 0))
        );
    }

    #[test]
    fn a_monthly_tick_is_found_weeks_later_and_now_is_inclusive_after_exclusive() {
        let monthly = parse("cron", "0 0 5 1 * *").unwrap();
        let first = Utc.with_ymd_and_hms(2026, 11, 1, 5, 0, 0).unwrap();
        let before = Utc.with_ymd_and_hms(2026, 10, 15, 0, 0, 0).unwrap();
        let weeks_later = Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0).unwrap();
        assert_eq!(latest_due(&monthly, before, weeks_later), Some(first));
        assert_eq!(latest_due(&monthly, before, first), Some(first));
        assert_eq!(
            latest_due(&monthly, before, first - Duration::nanoseconds(1)),
            None
        );
        assert_eq!(latest_due(&monthly, first, weeks_later), None);
        let every_ten = parse("cron", "*/10 * * * * *").unwrap();
        let now = at(10, 0, 25) + Duration::milliseconds(500);
        assert_eq!(
            latest_due(&every_ten, at(0, 0, 0) - Duration::days(400), now),
            Some(at(10, 0, 20))
        );
    }

    #[test]
    fn expressions_without_seconds_are_refused_with_the_field() {
        let err = parse("cron", "*/5 * * * *").unwrap_err();
        assert!(err.to_string().contains("seconds"), "{err}");
    }
}
