use async_graphql::{ComplexObject, Context, ID, Json, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{commission_adjustment, commission_line, commission_plan, commission_statement};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::agency::Agency;
use super::enums::{CommissionLineKind, StatementStatus};
use super::money::Money;
use crate::api::context::db;
use crate::api::cost;
use crate::api::ids::to_id;
use crate::domain::finance::export;
use crate::error::AppResult;

/// One version of a commission plan.
#[derive(SimpleObject)]
pub struct CommissionPlan {
    pub id: ID,
    /// `null`: the default plan, for agencies without their own.
    pub agency_id: Option<ID>,
    pub effective_from: NaiveDate,
    /// Every rule: currency, tiers (level, DPD buckets, balance band in minor units, rate
    /// in basis points; the first match applies), bonus, cap per account, clawback days,
    /// whether direct payments earn.
    pub rules: Json<serde_json::Value>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<commission_plan::Model> for CommissionPlan {
    fn from(p: commission_plan::Model) -> Self {
        Self {
            id: to_id(p.id),
            agency_id: p.agency_id.map(to_id),
            effective_from: p.effective_from,
            rules: Json(serde_json::to_value(&p.rules).unwrap_or_default()),
            created_by: p.created_by,
            created_at: p.created_at,
        }
    }
}

/// A manual correction.
#[derive(SimpleObject)]
pub struct CommissionAdjustment {
    pub id: ID,
    pub agency_id: ID,
    pub amount: Money,
    pub reason: String,
    /// The statement carrying it, once generated.
    pub statement_id: Option<ID>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl CommissionAdjustment {
    pub fn new(a: commission_adjustment::Model) -> AppResult<Self> {
        Ok(Self {
            id: to_id(a.id),
            agency_id: to_id(a.agency_id),
            amount: Money::from_minor(a.amount_minor, &a.currency)?,
            reason: a.reason,
            statement_id: a.statement_id.map(to_id),
            created_by: a.created_by,
            created_at: a.created_at,
        })
    }
}

/// One line of a statement.
#[derive(SimpleObject)]
pub struct CommissionLine {
    pub id: ID,
    pub kind: CommissionLineKind,
    pub account_id: Option<ID>,
    pub payment_ids: Vec<ID>,
    pub ledger_entry_ids: Vec<ID>,
    pub plan_id: Option<ID>,
    /// The rule applied, in words.
    pub rule: String,
    pub rate_bp: i32,
    pub basis: Money,
    /// Rounded half-up to the minor unit.
    pub commission: Money,
    pub note: String,
}

impl CommissionLine {
    fn new(l: commission_line::Model, currency: &str) -> AppResult<Self> {
        Ok(Self {
            id: to_id(l.id),
            kind: l.kind.into(),
            account_id: l.account_id.map(to_id),
            payment_ids: l.payment_ids.0.into_iter().map(to_id).collect(),
            ledger_entry_ids: l.ledger_entry_ids.0.into_iter().map(to_id).collect(),
            plan_id: l.plan_id.map(to_id),
            rule: l.rule,
            rate_bp: l.rate_bp,
            basis: Money::from_minor(l.basis_minor, currency)?,
            commission: Money::from_minor(l.commission_minor, currency)?,
            note: l.note,
        })
    }
}

/// What an agency earned in a period.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CommissionStatement {
    pub id: ID,
    pub agency_id: ID,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub currency: String,
    pub status: StatementStatus,
    pub reconciliation_run_id: ID,
    /// The eligible basis: the money on payment lines the plan pays commission on (the
    /// bonus's basis too).
    pub basis: Money,
    /// The sum of the rounded lines.
    pub commission: Money,
    /// Fees the agency already kept from NET remittances.
    pub fee_withheld: Money,
    /// Commission less the fees withheld: what is left to pay.
    pub payable: Money,
    /// Per kind of line, in minor units.
    pub totals: Json<serde_json::Value>,
    pub generated_by: String,
    pub generated_at: DateTime<Utc>,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub paid_by: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub dispute_reason: Option<String>,
    #[graphql(skip)]
    pub model: commission_statement::Model,
}

impl CommissionStatement {
    pub fn new(s: commission_statement::Model) -> AppResult<Self> {
        let money = |minor| Money::from_minor(minor, &s.currency);
        Ok(Self {
            id: to_id(s.id),
            agency_id: to_id(s.agency_id),
            period_start: s.period_start,
            period_end: s.period_end,
            currency: s.currency.clone(),
            status: s.status.into(),
            reconciliation_run_id: to_id(s.reconciliation_run_id),
            basis: money(s.basis_minor)?,
            commission: money(s.commission_minor)?,
            fee_withheld: money(s.fee_withheld_minor)?,
            payable: money(s.commission_minor - s.fee_withheld_minor)?,
            totals: Json(s.totals.clone()),
            generated_by: s.generated_by.clone(),
            generated_at: s.generated_at,
            submitted_by: s.submitted_by.clone(),
            submitted_at: s.submitted_at,
            approved_by: s.approved_by.clone(),
            approved_at: s.approved_at,
            paid_by: s.paid_by.clone(),
            paid_at: s.paid_at,
            dispute_reason: s.dispute_reason.clone(),
            model: s,
        })
    }

    async fn stored_lines(&self, ctx: &Context<'_>) -> AppResult<Vec<commission_line::Model>> {
        Ok(commission_line::Entity::find()
            .filter(commission_line::Column::StatementId.eq(self.model.id))
            .order_by_asc(commission_line::Column::Id)
            .all(db(ctx))
            .await?)
    }
}

#[ComplexObject]
impl CommissionStatement {
    async fn agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Agency> {
        Ok(Agency::load(ctx, self.model.agency_id).await?)
    }

    /// Every line, in order.
    #[graphql(complexity = "cost::list(child_complexity)")]
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CommissionLine>> {
        Ok(self
            .stored_lines(ctx)
            .await?
            .into_iter()
            .map(|l| CommissionLine::new(l, &self.model.currency))
            .collect::<AppResult<_>>()?)
    }

    /// The statement as CSV: one row per line, amounts as decimals; the agency by its
    /// code, accounts by the lender's reference, payments by the agency's externalId,
    /// ledger entries by their reference.
    async fn csv(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(export::statement_csv(db(ctx), &self.model, &self.stored_lines(ctx).await?).await?)
    }

    /// The statement and its lines as one JSON document.
    async fn json(&self, ctx: &Context<'_>) -> async_graphql::Result<Json<serde_json::Value>> {
        Ok(Json(export::statement_json(
            &self.model,
            &self.stored_lines(ctx).await?,
        )?))
    }
}
