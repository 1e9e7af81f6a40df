//! An account's timeline: every placement (start and end), activity, payment and
//! incident in time order, read a page at a time on an `(at, kind, id)` keyset. An agency
//! sees only its own entries of an account it holds or held.

use chrono::{DateTime, Utc};
use entity::{activity, compliance_incident, payment, placement};
use sea_orm::sea_query::{Condition, IntoCondition};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde::{Deserialize, Serialize};

use super::actor::Scope;
use super::page::Page;
use crate::error::{AppError, AppResult};

/// One entry of the timeline.
#[derive(Clone, Debug)]
pub enum Entry {
    Placed(placement::Model),
    PlacementEnded(placement::Model),
    Activity(activity::Model),
    Payment(payment::Model),
    Incident(compliance_incident::Model),
}

/// Where an entry sits: its time, then a fixed order of kinds, then its id.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    pub at: DateTime<Utc>,
    pub rank: u8,
    pub id: i64,
}

impl Entry {
    pub fn key(&self) -> Key {
        let (at, rank, id) = match self {
            Self::Placed(p) => (p.placed_at, 0, p.id),
            Self::Activity(a) => (a.occurred_at, 1, a.id),
            Self::Payment(p) => (p.paid_at, 2, p.id),
            Self::Incident(i) => (i.occurred_at, 3, i.id),
            Self::PlacementEnded(p) => (p.ended_at.unwrap_or(p.placed_at), 4, p.id),
        };
        Key { at, rank, id }
    }
}

/// Rows of one kind (`rank`) that come after `after` in timeline order.
fn after_key<C: ColumnTrait>(at: C, id: C, rank: u8, after: Option<Key>) -> Condition {
    let Some(after) = after else {
        return Condition::all();
    };
    match rank.cmp(&after.rank) {
        std::cmp::Ordering::Greater => at.gte(after.at).into_condition(),
        std::cmp::Ordering::Less => at.gt(after.at).into_condition(),
        std::cmp::Ordering::Equal => Condition::any()
            .add(at.gt(after.at))
            .add(Condition::all().add(at.eq(after.at)).add(id.gt(after.id))),
    }
}

async fn fetch<E, C>(
    conn: &C,
    select: Select<E>,
    (at, id): (E::Column, E::Column),
    rank: u8,
    after: Option<Key>,
    limit: u64,
) -> AppResult<Vec<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    Ok(select
        .filter(after_key(at, id, rank, after))
        .order_by_asc(at)
        .order_by_asc(id)
        .limit(limit)
        .all(conn)
        .await?)
}

/// One page of the account's timeline after `after`.
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    scope: Scope,
    account_id: i64,
    after: Option<Key>,
    limit: u64,
) -> AppResult<Page<Entry>> {
    let own = match scope {
        Scope::Lender => None,
        Scope::Agency(agency_id) => Some(agency_id),
    };
    let mut placements =
        placement::Entity::find().filter(placement::Column::AccountId.eq(account_id));
    let mut activities =
        activity::Entity::find().filter(activity::Column::AccountId.eq(account_id));
    let mut payments = payment::Entity::find().filter(payment::Column::AccountId.eq(account_id));
    let mut incidents = compliance_incident::Entity::find()
        .filter(compliance_incident::Column::AccountId.eq(account_id));
    if let Some(agency_id) = own {
        placements = placements.filter(placement::Column::AgencyId.eq(agency_id));
        activities = activities.filter(activity::Column::AgencyId.eq(agency_id));
        payments = payments.filter(payment::Column::AgencyId.eq(agency_id));
        incidents = incidents.filter(compliance_incident::Column::AgencyId.eq(agency_id));
    }
    let known = match own {
        Some(_) => placements.clone().one(conn).await?.is_some(),
        None => entity::account::Entity::find_by_id(account_id)
            .one(conn)
            .await?
            .is_some(),
    };
    if !known {
        return Err(AppError::not_found("account", account_id));
    }

    let take = limit + 1;
    let mut entries: Vec<Entry> = Vec::new();
    let placed_at = (placement::Column::PlacedAt, placement::Column::Id);
    entries.extend(
        fetch(conn, placements.clone(), placed_at, 0, after, take)
            .await?
            .into_iter()
            .map(Entry::Placed),
    );
    let ended_at = (placement::Column::EndedAt, placement::Column::Id);
    entries.extend(
        fetch(
            conn,
            placements.filter(placement::Column::EndedAt.is_not_null()),
            ended_at,
            4,
            after,
            take,
        )
        .await?
        .into_iter()
        .map(Entry::PlacementEnded),
    );
    let occurred = (activity::Column::OccurredAt, activity::Column::Id);
    entries.extend(
        fetch(conn, activities, occurred, 1, after, take)
            .await?
            .into_iter()
            .map(Entry::Activity),
    );
    let paid = (payment::Column::PaidAt, payment::Column::Id);
    entries.extend(
        fetch(conn, payments, paid, 2, after, take)
            .await?
            .into_iter()
            .map(Entry::Payment),
    );
    let raised = (
        compliance_incident::Column::OccurredAt,
        compliance_incident::Column::Id,
    );
    entries.extend(
        fetch(conn, incidents, raised, 3, after, take)
            .await?
            .into_iter()
            .map(Entry::Incident),
    );
    entries.sort_by_key(Entry::key);
    let has_next_page = entries.len() as u64 > limit;
    entries.truncate(limit as usize);
    Ok(Page {
        items: entries,
        has_next_page,
    })
}
