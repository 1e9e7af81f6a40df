use async_graphql::{ComplexObject, Context, ID, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::account;

use super::enums::{AccountFlag, Product};
use super::money::Money;
use super::placement::Placement;
use super::portfolio::Portfolio;
use crate::api::context::{actor, now};
use crate::api::cost;
use crate::api::guard::{LENDER, RoleGuard};
use crate::api::ids::to_id;
use crate::api::loaders::{Loaders, loader_error};
use crate::domain::Scope;
use crate::error::{AppError, AppResult};

/// The person who owes the debt, as far as collecting needs to know them.
#[derive(SimpleObject)]
pub struct Debtor {
    pub name: String,
    /// E.164 numbers.
    pub phones: Vec<String>,
    pub email: Option<String>,
    /// The last four characters of the national ID; the ID itself is kept only as a keyed hash.
    pub national_id_last4: Option<String>,
    pub region: String,
    /// IANA time zone, e.g. America/Chicago: contact hours are judged in it.
    pub time_zone: String,
}

/// One delinquent debt (a case).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Account {
    pub id: ID,
    pub lender_reference: String,
    pub debtor: Debtor,
    pub product: Product,
    pub principal: Money,
    pub outstanding: Money,
    pub delinquency_start: NaiveDate,
    pub charge_off_date: Option<NaiveDate>,
    pub flags: Vec<AccountFlag>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub row_id: i64,
    #[graphql(skip)]
    pub portfolio_id: i64,
}

impl Account {
    pub fn from_model(model: account::Model) -> AppResult<Self> {
        Ok(Self {
            id: to_id(model.id),
            row_id: model.id,
            portfolio_id: model.portfolio_id,
            lender_reference: model.lender_reference,
            debtor: Debtor {
                name: model.debtor_name,
                phones: model.debtor_phones.0,
                email: model.debtor_email,
                national_id_last4: model.national_id_last4,
                region: model.region,
                time_zone: model.time_zone,
            },
            product: model.product.into(),
            principal: Money::from_minor(model.principal_minor, &model.currency)?,
            outstanding: Money::from_minor(model.outstanding_minor, &model.currency)?,
            delinquency_start: model.delinquency_start,
            charge_off_date: model.charge_off_date,
            flags: model.flags.0.into_iter().map(Into::into).collect(),
            created_at: model.created_at,
            updated_at: model.updated_at,
        })
    }
}

#[ComplexObject]
impl Account {
    /// Days past due today (UTC, on the service clock): today minus the delinquency start
    /// date.
    async fn days_past_due(&self, ctx: &Context<'_>) -> i64 {
        (now(ctx).date_naive() - self.delinquency_start).num_days()
    }

    #[graphql(guard = "RoleGuard::new(LENDER)")]
    async fn portfolio(&self, ctx: &Context<'_>) -> async_graphql::Result<Portfolio> {
        let portfolio = ctx
            .data_unchecked::<Loaders>()
            .portfolio
            .load_one(self.portfolio_id)
            .await
            .map_err(loader_error)?
            .ok_or_else(|| AppError::not_found("portfolio", self.portfolio_id))?;
        Ok(portfolio.into())
    }

    /// Every placement of the account, oldest first. An agency sees only its own.
    #[graphql(complexity = "cost::list(child_complexity)")]
    async fn placements(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Placement>> {
        let scope = actor(ctx)?.scope();
        let history = ctx
            .data_unchecked::<Loaders>()
            .placement_history
            .load_one(self.row_id)
            .await
            .map_err(loader_error)?
            .unwrap_or_default();
        Ok(history
            .into_iter()
            .filter(|p| match scope {
                Scope::Lender => true,
                Scope::Agency(own) => p.agency_id == own,
            })
            .map(Placement::from_model)
            .collect::<AppResult<_>>()?)
    }

    /// The placement holding the account now, if any.
    async fn active_placement(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Placement>> {
        let placement = ctx
            .data_unchecked::<Loaders>()
            .active_placement
            .load_one(self.row_id)
            .await
            .map_err(loader_error)?;
        // An agency sees only accounts it holds; should one reach it otherwise, it still
        // never sees another agency's placement.
        let visible = |p: &entity::placement::Model| match actor(ctx).map(|a| a.scope()) {
            Ok(Scope::Lender) => true,
            Ok(Scope::Agency(own)) => p.agency_id == own,
            Err(_) => false,
        };
        Ok(placement
            .filter(visible)
            .map(Placement::from_model)
            .transpose()?)
    }
}
