//! Cron expressions (seconds first, UTC) and the ticks they name.

use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use cron::Schedule;

use crate::error::{AppError, AppResult};

/// The furthest back a catch-up looks: a longer outage still runs the job once.
const CATCH_UP_WINDOW_DAYS: i64 = 7;

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
/// missed ticks collapse into this one.
pub fn latest_due(
    schedule: &Schedule,
    after: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let after = after.max(now - Duration::days(CATCH_UP_WINDOW_DAYS));
    schedule
        .after(&after)
        .take_while(|tick| *tick <= now)
        .last()
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
    fn expressions_without_seconds_are_refused_with_the_field() {
        let err = parse("cron", "*/5 * * * *").unwrap_err();
        assert!(err.to_string().contains("seconds"), "{err}");
    }
}
