//! The service's idea of what time it is. Every request reads it once (its `Caller::now`)
//! and every job runs at a tick of it, so timestamps and "in the future" judgements follow
//! it. In service it is the system clock; a sandbox or a simulation runs a [`ManualClock`]
//! that only moves when told to.

use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use tokio::sync::MutexGuard;

use crate::error::{AppError, AppResult};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// The manual clock this is, if it is one.
    fn manual(&self) -> Option<&ManualClock> {
        None
    }
}

/// Real time.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until it is advanced, never backwards.
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
    /// Held for the whole of an advance (which runs jobs), so advances run one at a time.
    advancing: tokio::sync::Mutex<()>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
            advancing: tokio::sync::Mutex::new(()),
        }
    }

    /// Moves the clock to `to`; answers where it was and where it is. Going backwards is a
    /// BAD_USER_INPUT on `to`.
    pub fn advance_to(&self, to: DateTime<Utc>) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
        // The guarded value is a plain instant: a panic elsewhere cannot leave it half-set.
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        let from = *now;
        refuse_backwards(from, to)?;
        *now = to;
        Ok((from, to))
    }

    /// Waits for any other advance to finish; the advance holding the guard is the only one.
    pub async fn exclusive(&self) -> MutexGuard<'_, ()> {
        self.advancing.lock().await
    }
}

/// A clock at `from` may move to `to` only if that is not backwards (BAD_USER_INPUT on `to`).
pub fn refuse_backwards(from: DateTime<Utc>, to: DateTime<Utc>) -> AppResult<()> {
    if to < from {
        return Err(AppError::bad_input(
            "to",
            format!("the clock is at {from}: it cannot go back to {to}"),
        ));
    }
    Ok(())
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn manual(&self) -> Option<&ManualClock> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{Duration, TimeZone};

    use super::*;

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn a_manual_clock_stands_still_until_advanced() {
        let clock = ManualClock::new(start());
        assert_eq!(clock.now(), start());
        assert_eq!(clock.now(), start());
        let to = start() + Duration::hours(27);
        assert_eq!(clock.advance_to(to).unwrap(), (start(), to));
        assert_eq!(clock.now(), to);
        // Standing still is not going back.
        assert_eq!(clock.advance_to(to).unwrap(), (to, to));
    }

    #[test]
    fn a_manual_clock_refuses_to_go_back() {
        let clock = ManualClock::new(start());
        let err = clock
            .advance_to(start() - Duration::seconds(1))
            .unwrap_err();
        assert_eq!(err.code(), "BAD_USER_INPUT");
        assert!(
            matches!(&err, AppError::BadUserInput { field: Some(f), .. } if f == "to"),
            "{err:?}"
        );
        assert_eq!(clock.now(), start());
    }

    #[test]
    fn only_a_manual_clock_is_manual_also_behind_a_trait_object() {
        let manual: Arc<dyn Clock> = Arc::new(ManualClock::new(start()));
        let system: Arc<dyn Clock> = Arc::new(SystemClock);
        assert_eq!(manual.manual().map(Clock::now), Some(start()));
        assert!(system.manual().is_none());
        let before = Utc::now();
        assert!(system.now() >= before);
    }

    #[tokio::test]
    async fn advances_wait_for_each_other() {
        let clock = ManualClock::new(start());
        let guard = clock.exclusive().await;
        assert!(clock.advancing.try_lock().is_err());
        drop(guard);
        assert!(clock.advancing.try_lock().is_ok());
    }
}
