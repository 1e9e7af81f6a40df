use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Upload};
use chrono::{DateTime, NaiveDate, Utc};
use entity::job_run::RunTrigger;

use crate::api::context::{caller, db};
use crate::api::cost;
use crate::api::guard::{FINANCE, LENDER, RoleGuard};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::enums::{LedgerChannel, ReconciliationResolution};
use crate::api::types::finance::{LedgerImport, ReconciliationItem, ReconciliationRun};
use crate::api::types::money::Amount;
use crate::domain::finance::ledger::{self, LedgerInput};
use crate::domain::finance::reconciliation;
use crate::domain::finance::resolution::{self, Resolve};
use crate::domain::jobs::runner::JobContext;

#[derive(Default)]
pub struct FinanceQuery;

#[derive(Default)]
pub struct FinanceMutation;

#[derive(InputObject)]
pub struct ResolveReconciliationItemInput {
    /// An exception (agency-only, ledger-only or amount mismatch) of the latest run of
    /// its period.
    pub item_id: ID,
    /// One that fits the line's class (see `ReconciliationResolution`).
    pub resolution: ReconciliationResolution,
    /// Why, for the audit trail (1–2,000 characters).
    pub note: String,
}

/// Money the lender received, or the reversal of an earlier entry (give `reference`,
/// `reverses` and `receivedAt` only).
#[derive(InputObject)]
pub struct LedgerEntryInput {
    /// The ledger's own reference: sending it again is recognised.
    pub reference: String,
    /// The lender's account reference.
    pub account_reference: Option<String>,
    pub channel: Option<LedgerChannel>,
    /// The remitting agency (remittances only).
    pub agency_id: Option<ID>,
    /// What reached the lender.
    pub amount: Option<Amount>,
    /// NET remittances: what the debtor paid, before the agency's fee.
    pub gross_amount: Option<Amount>,
    /// The account's currency when left out.
    pub currency: Option<String>,
    pub received_at: DateTime<Utc>,
    /// The reference of the entry this one reverses.
    pub reverses: Option<String>,
}

#[Object]
impl FinanceQuery {
    /// Reconciliation runs, newest first (without items: ask `reconciliationRun`).
    #[graphql(
        guard = "RoleGuard::new(LENDER)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn reconciliation_runs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, ReconciliationRun>> {
        let page = reconciliation::runs(db(ctx), page_request(ctx, first, after)?).await?;
        Ok(connection(
            page,
            |r| r.id,
            |run| Ok(ReconciliationRun::new(run, Vec::new())),
        )?)
    }

    /// One reconciliation run with its items (and their CSV).
    #[graphql(guard = "RoleGuard::new(LENDER)")]
    async fn reconciliation_run(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ReconciliationRun> {
        let outcome = reconciliation::get(db(ctx), ids::parse("id", &id)?).await?;
        Ok(ReconciliationRun::new(outcome.run, outcome.items))
    }
}

#[Object]
impl FinanceMutation {
    /// Records money the lender received (up to 1,000 entries), each with its own
    /// outcome: IMPORTED, DUPLICATE or REJECTED with the field at fault.
    #[graphql(guard = "RoleGuard::new(FINANCE)")]
    async fn import_ledger_payments(
        &self,
        ctx: &Context<'_>,
        entries: Vec<LedgerEntryInput>,
    ) -> async_graphql::Result<LedgerImport> {
        let inputs = entries
            .into_iter()
            .map(|e| {
                Ok(LedgerInput {
                    reference: e.reference,
                    account_reference: e.account_reference,
                    channel: e.channel.map(Into::into),
                    agency_id: e
                        .agency_id
                        .map(|id| ids::parse("agencyId", &id))
                        .transpose()?,
                    amount: e.amount.map(|a| a.0),
                    gross_amount: e.gross_amount.map(|a| a.0),
                    currency: e.currency,
                    received_at: e.received_at,
                    reverses: e.reverses,
                })
            })
            .collect::<crate::error::AppResult<_>>()?;
        let outcomes = ledger::import(db(ctx), &caller(ctx)?, inputs).await?;
        Ok(LedgerImport::new(outcomes)?)
    }

    /// Imports a CSV file of ledger entries (a GraphQL multipart request; columns in the
    /// README), 1,000 rows per transaction; rows are numbered from the line after the
    /// header.
    #[graphql(guard = "RoleGuard::new(FINANCE)")]
    async fn import_ledger_payments_csv(
        &self,
        ctx: &Context<'_>,
        file: Upload,
    ) -> async_graphql::Result<LedgerImport> {
        let file = super::intake::uploaded(ctx, file)?.content;
        let outcomes = ledger::import_csv(db(ctx), &caller(ctx)?, file).await?;
        Ok(LedgerImport::new(outcomes)?)
    }

    /// Records finance's resolution of a reconciliation exception (a later one replaces
    /// it); audited. A line of a run the period's later run superseded is a CONFLICT:
    /// resolve it there (resolutions carry to the same line of a later run).
    #[graphql(guard = "RoleGuard::new(FINANCE)")]
    async fn resolve_reconciliation_item(
        &self,
        ctx: &Context<'_>,
        input: ResolveReconciliationItemInput,
    ) -> async_graphql::Result<ReconciliationItem> {
        let resolve = Resolve {
            item_id: ids::parse("itemId", &input.item_id)?,
            resolution: input.resolution.into(),
            note: input.note,
        };
        let item = resolution::resolve(db(ctx), &caller(ctx)?, resolve).await?;
        Ok(ReconciliationItem::new(item)?)
    }

    /// Matches the period's agency-reported payments to the ledger (whole UTC days,
    /// both inclusive) and records the run.
    #[graphql(guard = "RoleGuard::new(FINANCE)")]
    async fn run_reconciliation(
        &self,
        ctx: &Context<'_>,
        period_start: NaiveDate,
        period_end: NaiveDate,
    ) -> async_graphql::Result<ReconciliationRun> {
        let jobs = ctx.data_unchecked::<JobContext>();
        let outcome = reconciliation::run(
            db(ctx),
            &caller(ctx)?,
            (period_start, period_end),
            RunTrigger::Manual,
            &jobs.reconcile,
        )
        .await?;
        Ok(ReconciliationRun::new(outcome.run, outcome.items))
    }
}
