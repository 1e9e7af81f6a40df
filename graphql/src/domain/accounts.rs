//! Reading accounts. An agency sees only the accounts it actively holds; any other
//! account is, for it, not found. Accounts are written by the intake workflow.

use entity::account::{self, Product};
use entity::placement::{self, PlacementStatus};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select};
use serde_json::json;

use super::actor::Scope;
use super::page::{Direction, Page, PageRequest, fetch_page};
use crate::error::{AppError, AppResult};

#[derive(Clone, Debug, Default)]
pub struct AccountFilter {
    pub portfolio_id: Option<i64>,
    pub region: Option<String>,
    pub product: Option<Product>,
    pub lender_reference: Option<String>,
}

/// The audit log's view of an account: of the national ID, only the last four characters.
pub fn audit_view(account: &account::Model) -> serde_json::Value {
    json!({
        "portfolioId": account.portfolio_id,
        "lenderReference": account.lender_reference,
        "debtorName": account.debtor_name,
        "phones": account.debtor_phones,
        "email": account.debtor_email,
        "nationalIdLast4": account.national_id_last4,
        "region": account.region,
        "timeZone": account.time_zone,
        "product": account.product,
        "principalMinor": account.principal_minor,
        "outstandingMinor": account.outstanding_minor,
        "currency": account.currency,
        "delinquencyStart": account.delinquency_start,
        "chargeOffDate": account.charge_off_date,
        "flags": account.flags,
    })
}

fn scoped(scope: Scope) -> Select<account::Entity> {
    let select = account::Entity::find();
    match scope {
        Scope::Lender => select,
        Scope::Agency(agency_id) => select.filter(
            account::Column::Id.in_subquery(
                Query::select()
                    .column(placement::Column::AccountId)
                    .from(placement::Entity)
                    .and_where(placement::Column::AgencyId.eq(agency_id))
                    .and_where(placement::Column::Status.eq(PlacementStatus::Active))
                    .to_owned(),
            ),
        ),
    }
}

pub async fn get<C: ConnectionTrait>(conn: &C, scope: Scope, id: i64) -> AppResult<account::Model> {
    scoped(scope)
        .filter(account::Column::Id.eq(id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("account", id))
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    scope: Scope,
    filter: AccountFilter,
    page: PageRequest,
) -> AppResult<Page<account::Model>> {
    use account::Column;
    let mut select = scoped(scope);
    if let Some(portfolio_id) = filter.portfolio_id {
        select = select.filter(Column::PortfolioId.eq(portfolio_id));
    }
    if let Some(region) = filter.region {
        select = select.filter(Column::Region.eq(region));
    }
    if let Some(product) = filter.product {
        select = select.filter(Column::Product.eq(product));
    }
    if let Some(reference) = filter.lender_reference {
        select = select.filter(Column::LenderReference.eq(reference));
    }
    fetch_page(conn, select, Column::Id, page, Direction::Ascending).await
}
