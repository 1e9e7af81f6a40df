//! The contact history a batch is checked against, loaded set-based: a few queries per
//! batch whatever its size.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entity::activity::{self, ActivityKind, ContactChannel, ContactResult};
use entity::{account, account_flag_change};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::held::debtor_key;
use crate::domain::any_of::any_of;
use crate::domain::compliance::rules::{Contact, ContactRef, FlagChange, History};
use crate::error::AppResult;

/// The recorded flag changes of each account, oldest first.
#[derive(Debug, Default)]
pub(super) struct FlagChanges(HashMap<i64, Vec<FlagChange>>);

impl FlagChanges {
    pub fn of(&self, account_id: i64) -> Vec<FlagChange> {
        self.0.get(&account_id).cloned().unwrap_or_default()
    }

    /// Adds a change, keeping the account's changes in time order.
    pub fn add(&mut self, account_id: i64, change: FlagChange) {
        let changes = self.0.entry(account_id).or_default();
        let at = changes.partition_point(|c| c.at <= change.at);
        changes.insert(at, change);
    }
}

/// Stored contact attempts on the accounts (all agencies) from `lookback_days` before
/// `from` to a week after `until` (a report may arrive after later contacts), plus
/// unanswered calls to the numbers used around those days; and the accounts' flag changes.
pub(super) async fn load<C: ConnectionTrait>(
    conn: &C,
    accounts: &HashMap<i64, account::Model>,
    numbers: &HashSet<String>,
    (from, until): (DateTime<Utc>, DateTime<Utc>),
    lookback_days: i64,
) -> AppResult<(History, FlagChanges)> {
    let account_ids: Vec<i64> = accounts.keys().copied().collect();
    let mut rows = activity::Entity::find()
        .filter(any_of(
            conn.get_database_backend(),
            activity::Column::AccountId,
            account_ids.clone(),
        ))
        .filter(activity::Column::Kind.eq(ActivityKind::ContactAttempt))
        .filter(activity::Column::OccurredAt.gte(from - Duration::days(lookback_days + 1)))
        .filter(activity::Column::OccurredAt.lte(until + Duration::days(8)))
        .all(conn)
        .await?;
    if !numbers.is_empty() {
        let seen: HashSet<i64> = rows.iter().map(|row| row.id).collect();
        let calls = activity::Entity::find()
            .filter(any_of(
                conn.get_database_backend(),
                activity::Column::ContactPoint,
                numbers.iter().cloned(),
            ))
            .filter(activity::Column::Kind.eq(ActivityKind::ContactAttempt))
            .filter(activity::Column::Channel.eq(ContactChannel::Call))
            .filter(
                activity::Column::Result
                    .is_in([ContactResult::NoAnswer, ContactResult::LeftMessage]),
            )
            .filter(activity::Column::OccurredAt.gte(from - Duration::days(2)))
            .filter(activity::Column::OccurredAt.lte(until + Duration::days(2)))
            .all(conn)
            .await?;
        rows.extend(calls.into_iter().filter(|row| !seen.contains(&row.id)));
    }
    let mut history = History::default();
    for row in rows {
        if let Some(contact) = stored_contact(&row, accounts) {
            history.push(contact);
        }
    }

    let mut changes = FlagChanges::default();
    let recorded = account_flag_change::Entity::find()
        .filter(any_of(
            conn.get_database_backend(),
            account_flag_change::Column::AccountId,
            account_ids,
        ))
        .order_by_asc(account_flag_change::Column::At)
        .order_by_asc(account_flag_change::Column::Id)
        .all(conn)
        .await?;
    for change in recorded {
        changes.add(
            change.account_id,
            FlagChange {
                flag: change.flag.into(),
                set: change.set,
                at: change.at,
            },
        );
    }
    Ok((history, changes))
}

/// A stored attempt as the rules see it. Calls to a shared number on another debtor's
/// account count for that number only.
fn stored_contact(
    row: &activity::Model,
    accounts: &HashMap<i64, account::Model>,
) -> Option<Contact> {
    Some(Contact {
        reference: ContactRef::Stored(row.id),
        agency_id: row.agency_id,
        account_id: row.account_id,
        debtor: accounts
            .get(&row.account_id)
            .map_or_else(|| format!("account:{}", row.account_id), debtor_key),
        channel: row.channel?,
        direction: row.direction?,
        result: row.result?,
        occurred_at: row.occurred_at,
        contact_point: row.contact_point.clone(),
    })
}
