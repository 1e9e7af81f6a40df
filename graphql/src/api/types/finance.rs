use async_graphql::{ComplexObject, Context, ID, Json, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{ledger_entry, reconciliation_item, reconciliation_run};

use super::enums::{
    JobRunTrigger, LedgerChannel, LedgerEntryStatus, MatchClass, ReconciliationResolution,
};
use super::money::Money;
use crate::api::context::db;
use crate::api::cost;
use crate::api::ids::to_id;
use crate::domain::finance::ledger::EntryOutcome;
use crate::domain::finance::{export, resolution};
use crate::error::AppResult;

/// Money the lender received, or the reversal of an earlier entry.
#[derive(SimpleObject)]
pub struct LedgerEntry {
    pub id: ID,
    pub reference: String,
    pub account_id: ID,
    pub channel: LedgerChannel,
    pub agency_id: Option<ID>,
    /// What reached the lender.
    pub amount: Money,
    /// What the debtor paid (a NET remittance plus the fee withheld).
    pub gross_amount: Money,
    pub received_at: DateTime<Utc>,
    /// Set on a reversal: the entry it takes back.
    pub reverses_id: Option<ID>,
    pub imported_by: String,
    pub imported_at: DateTime<Utc>,
}

impl LedgerEntry {
    pub fn new(e: ledger_entry::Model) -> AppResult<Self> {
        Ok(Self {
            id: to_id(e.id),
            account_id: to_id(e.account_id),
            channel: e.channel.into(),
            agency_id: e.agency_id.map(to_id),
            amount: Money::from_minor(e.amount_minor, &e.currency)?,
            gross_amount: Money::from_minor(e.gross_minor, &e.currency)?,
            received_at: e.received_at,
            reverses_id: e.reverses_id.map(to_id),
            imported_by: e.imported_by,
            imported_at: e.imported_at,
            reference: e.reference,
        })
    }
}

/// The outcome of one entry of an import.
#[derive(SimpleObject)]
pub struct LedgerEntryOutcome {
    pub index: i32,
    pub reference: String,
    pub status: LedgerEntryStatus,
    /// The input field at fault (REJECTED).
    pub field: Option<String>,
    pub message: Option<String>,
    pub entry: Option<LedgerEntry>,
}

/// What an import did, entry by entry.
#[derive(SimpleObject)]
pub struct LedgerImport {
    pub imported: i32,
    pub duplicates: i32,
    pub rejected: i32,
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub items: Vec<LedgerEntryOutcome>,
}

impl LedgerImport {
    pub fn new(outcomes: Vec<EntryOutcome>) -> AppResult<Self> {
        let count = |status| outcomes.iter().filter(|o| o.status == status).count() as i32;
        use crate::domain::finance::ledger::EntryStatus;
        Ok(Self {
            imported: count(EntryStatus::Imported),
            duplicates: count(EntryStatus::Duplicate),
            rejected: count(EntryStatus::Rejected),
            items: outcomes
                .into_iter()
                .map(|o| {
                    Ok(LedgerEntryOutcome {
                        index: o.index as i32,
                        reference: o.reference,
                        status: o.status.into(),
                        field: o.field,
                        message: o.message,
                        entry: o.entry.map(LedgerEntry::new).transpose()?,
                    })
                })
                .collect::<AppResult<_>>()?,
        })
    }
}

/// One line of a reconciliation.
#[derive(SimpleObject)]
pub struct ReconciliationItem {
    pub id: ID,
    pub class: MatchClass,
    pub account_id: ID,
    /// The agency the money is attributed to.
    pub agency_id: Option<ID>,
    pub placement_id: Option<ID>,
    pub payment_ids: Vec<ID>,
    pub ledger_entry_ids: Vec<ID>,
    /// What the agency reported.
    pub reported: Money,
    /// What the ledger received (gross).
    pub received: Money,
    pub detail: String,
    /// An exception (agency-only, ledger-only, amount mismatch) nobody has resolved yet.
    pub open: bool,
    /// The resolutions that fit the line (none for a line that is not an exception).
    pub resolutions: Vec<ReconciliationResolution>,
    /// Finance's decision (`resolveReconciliationItem`), carried to the same line of the
    /// period's later runs.
    pub resolution: Option<ReconciliationResolution>,
    pub resolution_note: Option<String>,
    /// Who resolved it, by name.
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

impl ReconciliationItem {
    pub fn new(i: reconciliation_item::Model) -> AppResult<Self> {
        let open = is_open(&i);
        Ok(Self {
            id: to_id(i.id),
            class: i.class.into(),
            account_id: to_id(i.account_id),
            agency_id: i.agency_id.map(to_id),
            placement_id: i.placement_id.map(to_id),
            payment_ids: i.payment_ids.0.into_iter().map(to_id).collect(),
            ledger_entry_ids: i.ledger_entry_ids.0.into_iter().map(to_id).collect(),
            reported: Money::from_minor(i.reported_minor, &i.currency)?,
            received: Money::from_minor(i.received_minor, &i.currency)?,
            detail: i.detail,
            open,
            resolutions: resolution::fitting(i.class)
                .iter()
                .map(|r| (*r).into())
                .collect(),
            resolution: i.resolution.map(Into::into),
            resolution_note: i.resolution_note,
            resolved_by: i.resolved_by_name,
            resolved_at: i.resolved_at,
        })
    }
}

fn is_open(item: &reconciliation_item::Model) -> bool {
    item.resolution.is_none() && !resolution::fitting(item.class).is_empty()
}

/// One reconciliation of a period.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ReconciliationRun {
    pub id: ID,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub trigger: JobRunTrigger,
    pub window_days: i32,
    /// Lines and amounts per class, and what changed since the period's previous run.
    pub summary: Json<serde_json::Value>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub rows: Vec<reconciliation_item::Model>,
}

impl ReconciliationRun {
    pub fn new(run: reconciliation_run::Model, rows: Vec<reconciliation_item::Model>) -> Self {
        Self {
            id: to_id(run.id),
            period_start: run.period_start,
            period_end: run.period_end,
            trigger: run.trigger.into(),
            window_days: run.window_days,
            summary: Json(run.summary),
            created_by: run.created_by,
            created_at: run.created_at,
            rows,
        }
    }
}

#[ComplexObject]
impl ReconciliationRun {
    /// The lines, optionally of one class, and (`open`) only the exceptions still to
    /// resolve, or only the lines that are not.
    #[graphql(complexity = "cost::list(child_complexity)")]
    async fn items(
        &self,
        class: Option<MatchClass>,
        open: Option<bool>,
    ) -> async_graphql::Result<Vec<ReconciliationItem>> {
        let class = class.map(reconciliation_item::MatchClass::from);
        Ok(self
            .rows
            .iter()
            .filter(|row| class.is_none_or(|c| row.class == c))
            .filter(|row| open.is_none_or(|open| is_open(row) == open))
            .cloned()
            .map(ReconciliationItem::new)
            .collect::<AppResult<_>>()?)
    }

    /// Every line as CSV: account and ledger references, amounts as decimals.
    async fn csv(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(export::items_csv(db(ctx), &self.rows).await?)
    }
}
