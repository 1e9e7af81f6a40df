//! The contact history a batch is checked against, loaded set-based: a few queries per
//! batch whatever its size.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entity::account;
use entity::activity::{self, ActivityKind, ContactChannel, ContactResult};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::held::debtor_key;
use crate::domain::compliance::rules::{Contact, ContactRef, History};
use crate::error::AppResult;

/// When the debtor first asked to stop contact, and first disputed, per account.
#[derive(Debug, Default)]
pub(super) struct FlagStarts {
    pub cease_contact: HashMap<i64, DateTime<Utc>>,
    pub disputed: HashMap<i64, DateTime<Utc>>,
}

impl FlagStarts {
    pub fn note(&mut self, kind: ActivityKind, account_id: i64, at: DateTime<Utc>) {
        let starts = match kind {
            ActivityKind::CeaseContact => &mut self.cease_contact,
            ActivityKind::Dispute => &mut self.disputed,
            _ => return,
        };
        starts
            .entry(account_id)
            .and_modify(|start| *start = (*start).min(at))
            .or_insert(at);
    }
}

/// Stored contact attempts on the accounts (all agencies) from `lookback_days` before
/// `from` to a week after `until` (a report may arrive after later contacts), plus
/// unanswered calls to the numbers used around those days; and the start of each
/// account's cease-contact and dispute.
pub(super) async fn load<C: ConnectionTrait>(
    conn: &C,
    accounts: &HashMap<i64, account::Model>,
    numbers: &HashSet<String>,
    (from, until): (DateTime<Utc>, DateTime<Utc>),
    lookback_days: i64,
) -> AppResult<(History, FlagStarts)> {
    let account_ids: Vec<i64> = accounts.keys().copied().collect();
    let mut rows = activity::Entity::find()
        .filter(activity::Column::AccountId.is_in(account_ids.clone()))
        .filter(activity::Column::Kind.eq(ActivityKind::ContactAttempt))
        .filter(activity::Column::OccurredAt.gte(from - Duration::days(lookback_days + 1)))
        .filter(activity::Column::OccurredAt.lte(until + Duration::days(8)))
        .all(conn)
        .await?;
    if !numbers.is_empty() {
        let seen: HashSet<i64> = rows.iter().map(|row| row.id).collect();
        let calls = activity::Entity::find()
            .filter(activity::Column::ContactPoint.is_in(numbers.iter().cloned()))
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

    let mut starts = FlagStarts::default();
    let requests = activity::Entity::find()
        .filter(activity::Column::AccountId.is_in(account_ids))
        .filter(activity::Column::Kind.is_in([ActivityKind::CeaseContact, ActivityKind::Dispute]))
        .all(conn)
        .await?;
    for request in requests {
        starts.note(request.kind, request.account_id, request.occurred_at);
    }
    Ok((history, starts))
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
