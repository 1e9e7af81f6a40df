//! The accounts a batch names, locked for the batch, and the reporting agency's
//! placements of them.

use std::collections::{HashMap, HashSet};

use entity::{account, placement};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::domain::any_of::any_of;
use crate::error::AppResult;

/// The accounts with these ids that the agency holds or held, row-locked in id order (so
/// concurrent reports lock in one order). With `with_debtors`, every other account of the
/// same debtors (by national ID) too: joint caps count a debtor's accounts together. An
/// account the agency never held is neither locked nor returned.
pub(super) async fn lock_accounts<C: ConnectionTrait>(
    conn: &C,
    agency_id: i64,
    ids: &HashSet<i64>,
    with_debtors: bool,
) -> AppResult<HashMap<i64, account::Model>> {
    let held = any_of(
        conn.get_database_backend(),
        account::Column::Id,
        ids.iter().copied(),
    )
    .and(
        account::Column::Id.in_subquery(
            Query::select()
                .column(placement::Column::AccountId)
                .from(placement::Entity)
                .and_where(placement::Column::AgencyId.eq(agency_id))
                .to_owned(),
        ),
    );
    let mut select = account::Entity::find().filter(held.clone());
    if with_debtors {
        let debtors: Vec<String> = account::Entity::find()
            .select_only()
            .column(account::Column::NationalIdHash)
            .filter(held.clone())
            .filter(account::Column::NationalIdHash.is_not_null())
            .into_tuple::<Option<String>>()
            .all(conn)
            .await?
            .into_iter()
            .flatten()
            .collect();
        if !debtors.is_empty() {
            select = account::Entity::find().filter(held.or(any_of(
                conn.get_database_backend(),
                account::Column::NationalIdHash,
                debtors,
            )));
        }
    }
    Ok(select
        .order_by_asc(account::Column::Id)
        .lock_exclusive()
        .all(conn)
        .await?
        .into_iter()
        .map(|account| (account.id, account))
        .collect())
}

/// Every placement, ACTIVE or ended, the agency has or had of these accounts, oldest first.
pub(super) async fn placements_of<C: ConnectionTrait>(
    conn: &C,
    agency_id: i64,
    account_ids: &HashSet<i64>,
) -> AppResult<HashMap<i64, Vec<placement::Model>>> {
    let mut by_account: HashMap<i64, Vec<placement::Model>> = HashMap::new();
    let placements = placement::Entity::find()
        .filter(placement::Column::AgencyId.eq(agency_id))
        .filter(any_of(
            conn.get_database_backend(),
            placement::Column::AccountId,
            account_ids.iter().copied(),
        ))
        .order_by_asc(placement::Column::PlacedAt)
        .order_by_asc(placement::Column::Id)
        .all(conn)
        .await?;
    for placement in placements {
        by_account
            .entry(placement.account_id)
            .or_default()
            .push(placement);
    }
    Ok(by_account)
}

/// The debtor an account belongs to: its national ID hash, or the account alone.
pub(super) fn debtor_key(account: &account::Model) -> String {
    account
        .national_id_hash
        .clone()
        .unwrap_or_else(|| format!("account:{}", account.id))
}
