//! Sign-in throttling, shared by every service process through the database: after
//! `free_failures` failed attempts in a row for one e-mail (or from one client address),
//! each further attempt must wait, twice as long after each new failure, up to
//! `max_delay`. A success clears the e-mail's count; a count with no failure for
//! `forget_after` starts again from nothing.

use chrono::{DateTime, Duration, Utc};
use entity::sign_in_throttle;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::error::AppResult;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub free_failures: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    pub forget_after: Duration,
}

impl Default for ThrottlePolicy {
    /// 5 free failures, then 1 s, 2 s, 4 s … up to 15 minutes; forgotten after a day.
    fn default() -> Self {
        Self {
            free_failures: 5,
            base_delay: Duration::seconds(1),
            max_delay: Duration::minutes(15),
            forget_after: Duration::days(1),
        }
    }
}

impl ThrottlePolicy {
    /// How long after its last failure a key with `failures` in a row must wait.
    pub fn delay_after(&self, failures: u32) -> Duration {
        if failures < self.free_failures {
            return Duration::zero();
        }
        let doublings = std::cmp::min(failures - self.free_failures, 30);
        self.base_delay
            .checked_mul(1 << doublings)
            .map_or(self.max_delay, |delay| delay.min(self.max_delay))
    }
}

/// The throttle key of an e-mail address (as typed, lower-cased).
pub fn email_key(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase())
}

/// The throttle key of a client address.
pub fn client_key(address: &str) -> String {
    format!("client:{address}")
}

/// How much longer an attempt for `keys` must wait at `now`, if at all: the longest wait
/// of any key.
pub async fn wait<C: ConnectionTrait>(
    conn: &C,
    policy: &ThrottlePolicy,
    keys: &[String],
    now: DateTime<Utc>,
) -> AppResult<Option<Duration>> {
    let rows = sign_in_throttle::Entity::find()
        .filter(sign_in_throttle::Column::Key.is_in(keys.iter().map(String::as_str)))
        .all(conn)
        .await?;
    Ok(rows
        .iter()
        .filter(|row| now - row.last_failed_at < policy.forget_after)
        .map(|row| {
            let failures = u32::try_from(row.failures).unwrap_or(u32::MAX);
            row.last_failed_at + policy.delay_after(failures) - now
        })
        .filter(|left| *left > Duration::zero())
        .max())
}

/// Counts a failure against every key, in one statement per key that no concurrent
/// attempt can lose (an upsert adding one).
pub async fn record_failure<C: ConnectionTrait>(
    conn: &C,
    policy: &ThrottlePolicy,
    keys: &[String],
    now: DateTime<Utc>,
) -> AppResult<()> {
    use sign_in_throttle::Column;
    let stale = now - policy.forget_after;
    for key in keys {
        let restart = Expr::case(
            Expr::col((sign_in_throttle::Entity, Column::LastFailedAt)).lt(stale),
            1,
        )
        .finally(Expr::col((sign_in_throttle::Entity, Column::Failures)).add(1));
        sign_in_throttle::Entity::insert(sign_in_throttle::ActiveModel {
            key: Set(key.clone()),
            failures: Set(1),
            last_failed_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(Column::Key)
                .value(Column::Failures, restart)
                .update_column(Column::LastFailedAt)
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// Forgets the failures of `key` (after a successful sign-in for that e-mail).
pub async fn clear<C: ConnectionTrait>(conn: &C, key: &str) -> AppResult<()> {
    sign_in_throttle::Entity::delete_by_id(key.to_owned())
        .exec(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_are_free_then_the_wait_doubles_up_to_the_cap() {
        let policy = ThrottlePolicy::default();
        for failures in 0..5 {
            assert_eq!(policy.delay_after(failures), Duration::zero());
        }
        assert_eq!(policy.delay_after(5), Duration::seconds(1));
        assert_eq!(policy.delay_after(6), Duration::seconds(2));
        assert_eq!(policy.delay_after(9), Duration::seconds(16));
        assert_eq!(policy.delay_after(15), Duration::minutes(15));
        assert_eq!(policy.delay_after(u32::MAX), Duration::minutes(15));
    }

    #[test]
    fn keys_name_their_kind() {
        assert_eq!(email_key(" Ana@X.Example "), "email:ana@x.example");
        assert_eq!(client_key("203.0.113.9"), "client:203.0.113.9");
    }
}
