use async_graphql::{ComplexObject, Context, ID, Json, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::placement;

use super::account::Account;
use super::agency::Agency;
use super::enums::{PlacementLevel, PlacementStatus};
use super::money::Money;
use crate::api::context::actor;
use crate::api::ids::to_id;
use crate::api::loaders::{Loaders, loader_error};
use crate::domain::Scope;
use crate::error::{AppError, AppResult};

/// One account handed to one agency for a placement period.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Placement {
    pub id: ID,
    pub level: PlacementLevel,
    pub status: PlacementStatus,
    pub placed_at: DateTime<Utc>,
    /// The account goes back to the lender on this date unless recalled earlier.
    pub due_back_on: NaiveDate,
    pub balance_at_placement: Money,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    /// Why the agency got the account: checks passed, share, score, strategy.
    pub explanation: Option<Json<serde_json::Value>>,
    #[graphql(skip)]
    pub account_id: i64,
    #[graphql(skip)]
    pub agency_id: i64,
}

impl Placement {
    pub fn from_model(model: placement::Model) -> AppResult<Self> {
        Ok(Self {
            id: to_id(model.id),
            level: model.level.into(),
            status: model.status.into(),
            placed_at: model.placed_at,
            due_back_on: model.due_back_on,
            balance_at_placement: Money::from_minor(
                model.balance_at_placement_minor,
                &model.currency,
            )?,
            ended_at: model.ended_at,
            end_reason: model.end_reason,
            explanation: model.explanation.map(Json),
            account_id: model.account_id,
            agency_id: model.agency_id,
        })
    }
}

#[ComplexObject]
impl Placement {
    /// The account placed. `null` for an agency once the placement has ended: it no
    /// longer holds the account and may not see the debtor.
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        if matches!(actor(ctx)?.scope(), Scope::Agency(_)) && self.status != PlacementStatus::Active
        {
            return Ok(None);
        }
        let account = ctx
            .data_unchecked::<Loaders>()
            .account
            .load_one(self.account_id)
            .await
            .map_err(loader_error)?
            .ok_or_else(|| AppError::not_found("account", self.account_id))?;
        Ok(Some(Account::from_model(account)?))
    }

    async fn agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Agency> {
        Ok(Agency::load(ctx, self.agency_id).await?)
    }
}
