use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object};
use chrono::NaiveDate;
use entity::api_token::Role;
use entity::commission_plan::{Bonus, PlanRules, Tier};

use crate::api::context::{actor, caller, db, settings};
use crate::api::cost;
use crate::api::guard::{ANY_ROLE, FINANCE, FINANCE_APPROVERS, LENDER, RoleGuard};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::commission::{CommissionAdjustment, CommissionPlan, CommissionStatement};
use crate::api::types::enums::{PlacementLevel, StatementStatus};
use crate::api::types::money::Amount;
use crate::domain::finance::plans;
use crate::domain::finance::statements::{self, Step};
use crate::domain::jobs::runner::JobContext;
use crate::domain::money;
use crate::error::{AppError, AppResult};

#[derive(Default)]
pub struct CommissionQuery;

#[derive(Default)]
pub struct CommissionMutation;

/// A contingency rate for placements of a level, DPD bucket and balance band (all at
/// placement); an absent condition matches everything. The first matching tier applies.
#[derive(InputObject)]
pub struct CommissionTierInput {
    pub level: Option<PlacementLevel>,
    #[graphql(default)]
    pub dpd_buckets: Vec<String>,
    /// Balance at placement at least this.
    pub min_balance: Option<Amount>,
    /// Balance at placement below this.
    pub max_balance: Option<Amount>,
    /// e.g. 2500 for 25%.
    pub rate_bp: i32,
}

#[derive(InputObject)]
pub struct CommissionBonusInput {
    /// The period's recovery rate must be above this, e.g. 1500 for 15%.
    pub target_recovery_bp: i32,
    /// Extra rate on the period's whole basis, e.g. 200 for 2 points.
    pub extra_rate_bp: i32,
}

#[derive(InputObject)]
pub struct CommissionPlanInput {
    /// The agency's own plan; leave out for the default plan.
    pub agency_id: Option<ID>,
    pub effective_from: NaiveDate,
    pub currency: String,
    pub tiers: Vec<CommissionTierInput>,
    pub bonus: Option<CommissionBonusInput>,
    /// Most commission one account earns in a statement.
    pub cap_per_account: Option<Amount>,
    /// A payment reversed within this many days of arriving takes its commission back.
    #[graphql(default = 60)]
    pub clawback_days: i32,
    /// Whether debtors' payments to the lender directly earn commission.
    #[graphql(default = true)]
    pub direct_payments_earn: bool,
}

#[derive(InputObject, Default)]
pub struct CommissionStatementsFilter {
    pub agency_id: Option<ID>,
    pub status: Option<StatementStatus>,
}

fn rules(input: &CommissionPlanInput) -> AppResult<PlanRules> {
    let currency = money::currency(&input.currency)?;
    let minor = |field: &str, amount: &Option<Amount>| -> AppResult<Option<i64>> {
        amount
            .map(|a| {
                money::to_minor(a.0, currency)
                    .map_err(|e| AppError::bad_input(field, e.to_string()))
            })
            .transpose()
    };
    Ok(PlanRules {
        currency: currency.code().to_owned(),
        tiers: input
            .tiers
            .iter()
            .enumerate()
            .map(|(i, t)| {
                Ok(Tier {
                    level: t.level.map(Into::into),
                    dpd_buckets: t.dpd_buckets.clone(),
                    min_balance_minor: minor(&format!("tiers.{i}.minBalance"), &t.min_balance)?,
                    max_balance_minor: minor(&format!("tiers.{i}.maxBalance"), &t.max_balance)?,
                    rate_bp: t.rate_bp,
                })
            })
            .collect::<AppResult<_>>()?,
        bonus: input.bonus.as_ref().map(|b| Bonus {
            target_recovery_bp: b.target_recovery_bp,
            extra_rate_bp: b.extra_rate_bp,
        }),
        cap_per_account_minor: minor("capPerAccount", &input.cap_per_account)?,
        clawback_days: input.clawback_days,
        direct_payments_earn: input.direct_payments_earn,
    })
}

#[Object]
impl CommissionQuery {
    /// Plan versions, newest effective first; with `agencyId`, the agency's own and the
    /// default ones.
    #[graphql(
        guard = "RoleGuard::new(LENDER)",
        complexity = "cost::list(child_complexity)"
    )]
    async fn commission_plans(
        &self,
        ctx: &Context<'_>,
        agency_id: Option<ID>,
    ) -> async_graphql::Result<Vec<CommissionPlan>> {
        let agency = agency_id
            .map(|id| ids::parse("agencyId", &id))
            .transpose()?;
        Ok(plans::list(db(ctx), agency)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Statements, newest first; an agency sees its own.
    #[graphql(
        guard = "RoleGuard::new(ANY_ROLE)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn commission_statements(
        &self,
        ctx: &Context<'_>,
        filter: Option<CommissionStatementsFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, CommissionStatement>> {
        let filter = filter.unwrap_or_default();
        let agency = filter
            .agency_id
            .map(|id| ids::parse("filter.agencyId", &id))
            .transpose()?;
        let page = statements::list(
            db(ctx),
            actor(ctx)?.scope(),
            (agency, filter.status.map(Into::into)),
            page_request(ctx, first, after)?,
        )
        .await?;
        Ok(connection(page, |s| s.id, CommissionStatement::new)?)
    }

    /// One statement with its lines (and CSV and JSON exports); an agency reads its own.
    #[graphql(guard = "RoleGuard::new(ANY_ROLE)")]
    async fn commission_statement(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CommissionStatement> {
        let statement =
            statements::get(db(ctx), actor(ctx)?.scope(), ids::parse("id", &id)?).await?;
        Ok(CommissionStatement::new(statement)?)
    }
}

#[Object]
impl CommissionMutation {
    /// Adds a plan version, in force from `effectiveFrom` (audited).
    #[graphql(guard = "RoleGuard::new(FINANCE)")]
    async fn create_commission_plan(
        &self,
        ctx: &Context<'_>,
        input: CommissionPlanInput,
    ) -> async_graphql::Result<CommissionPlan> {
        let rules = rules(&input)?;
        let agency = input
            .agency_id
            .map(|id| ids::parse("agencyId", &id))
            .transpose()?;
        let plan = plans::create(
            db(ctx),
            &caller(ctx)?,
            &settings(ctx).dpd_buckets,
            agency,
            input.effective_from,
            rules,
        )
        .await?;
        Ok(plan.into())
    }

    /// Builds every agency's statement for the period from its latest reconciliation;
    /// a DRAFT or DISPUTED statement is rebuilt, the others are returned unchanged. A
    /// CONFLICT until the period's books close (`finance.close_day` of the next month).
    #[graphql(
        guard = "RoleGuard::new(FINANCE)",
        complexity = "cost::list(child_complexity)"
    )]
    async fn generate_commission_statements(
        &self,
        ctx: &Context<'_>,
        period_start: NaiveDate,
        period_end: NaiveDate,
    ) -> async_graphql::Result<Vec<CommissionStatement>> {
        let made = statements::generate(
            db(ctx),
            &caller(ctx)?,
            (period_start, period_end),
            &settings(ctx).dpd_buckets,
            ctx.data_unchecked::<JobContext>().reconcile.close_day,
        )
        .await?;
        Ok(made
            .into_iter()
            .map(CommissionStatement::new)
            .collect::<AppResult<_>>()?)
    }

    /// A manual correction (negative to take back), carried by the agency's next
    /// generated statement, with its reason.
    #[graphql(guard = "RoleGuard::new(FINANCE)")]
    async fn add_commission_adjustment(
        &self,
        ctx: &Context<'_>,
        agency_id: ID,
        amount: Amount,
        currency: String,
        reason: String,
    ) -> async_graphql::Result<CommissionAdjustment> {
        let code = money::currency(&currency)?;
        let minor = money::to_minor(amount.0, code)?;
        let adjustment = statements::add_adjustment(
            db(ctx),
            &caller(ctx)?,
            ids::parse("agencyId", &agency_id)?,
            (minor, code.code().to_owned()),
            &reason,
        )
        .await?;
        Ok(CommissionAdjustment::new(adjustment)?)
    }

    /// DRAFT → SUBMITTED.
    #[graphql(guard = "RoleGuard::new(FINANCE)")]
    async fn submit_commission_statement(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CommissionStatement> {
        move_statement(ctx, &id, Step::Submit, None).await
    }

    /// SUBMITTED → APPROVED, by someone who neither generated nor submitted it.
    #[graphql(guard = "RoleGuard::new(FINANCE_APPROVERS)")]
    async fn approve_commission_statement(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CommissionStatement> {
        move_statement(ctx, &id, Step::Approve, None).await
    }

    /// APPROVED → PAID.
    #[graphql(guard = "RoleGuard::new(FINANCE)")]
    async fn mark_commission_statement_paid(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CommissionStatement> {
        move_statement(ctx, &id, Step::MarkPaid, None).await
    }

    /// The agency disputes a SUBMITTED statement, with its reason.
    #[graphql(guard = "RoleGuard::new(&[Role::Agency])")]
    async fn dispute_commission_statement(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> async_graphql::Result<CommissionStatement> {
        move_statement(ctx, &id, Step::Dispute, Some(&reason)).await
    }
}

async fn move_statement(
    ctx: &Context<'_>,
    id: &ID,
    step: Step,
    reason: Option<&str>,
) -> async_graphql::Result<CommissionStatement> {
    let statement =
        statements::step(db(ctx), &caller(ctx)?, ids::parse("id", id)?, step, reason).await?;
    Ok(CommissionStatement::new(statement)?)
}
