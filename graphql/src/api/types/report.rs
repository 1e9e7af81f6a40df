use async_graphql::{ComplexObject, Context, ID, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{activity, payment};

use super::agency::Agency;
use super::enums::{
    ActivityType, ContactChannel, ContactDirection, ContactResult, PaidTo, PaymentMethod,
    ReportItemCode, ReportItemStatus,
};
use super::incident::ComplianceIncident;
use super::money::Money;
use crate::api::cost;
use crate::api::ids::to_id;
use crate::domain::reporting::{ItemOutcome, ItemStatus};
use crate::error::AppResult;

/// Something an agency reported doing or hearing on an account.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Activity {
    pub id: ID,
    /// The agency's own id for the report item.
    pub external_id: String,
    pub account_id: ID,
    pub placement_id: ID,
    #[graphql(name = "type")]
    pub kind: ActivityType,
    pub channel: Option<ContactChannel>,
    pub direction: Option<ContactDirection>,
    pub result: Option<ContactResult>,
    pub occurred_at: DateTime<Utc>,
    /// The number or address used.
    pub contact_point: Option<String>,
    pub agent_reference: Option<String>,
    pub promise: Option<Promise>,
    pub note: Option<String>,
    pub reported_at: DateTime<Utc>,
    pub reported_by: String,
    #[graphql(skip)]
    pub agency_id: i64,
}

/// A debtor's promise to pay an amount by a date.
#[derive(SimpleObject)]
pub struct Promise {
    pub amount: Money,
    pub due_on: NaiveDate,
}

impl Activity {
    pub fn from_model(model: activity::Model) -> AppResult<Self> {
        let promise = match (
            model.promise_amount_minor,
            model.promise_currency.as_deref(),
            model.promise_due_on,
        ) {
            (Some(minor), Some(currency), Some(due_on)) => Some(Promise {
                amount: Money::from_minor(minor, currency)?,
                due_on,
            }),
            _ => None,
        };
        Ok(Self {
            id: to_id(model.id),
            external_id: model.external_id,
            account_id: to_id(model.account_id),
            placement_id: to_id(model.placement_id),
            kind: model.kind.into(),
            channel: model.channel.map(Into::into),
            direction: model.direction.map(Into::into),
            result: model.result.map(Into::into),
            occurred_at: model.occurred_at,
            contact_point: model.contact_point,
            agent_reference: model.agent_reference,
            promise,
            note: model.note,
            reported_at: model.reported_at,
            reported_by: model.reported_by,
            agency_id: model.agency_id,
        })
    }
}

#[ComplexObject]
impl Activity {
    async fn agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Agency> {
        Ok(Agency::load(ctx, self.agency_id).await?)
    }
}

/// A payment an agency reported.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Payment {
    pub id: ID,
    pub external_id: String,
    pub account_id: ID,
    /// The agency's placement the payment is attributed to.
    pub placement_id: ID,
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    pub method: PaymentMethod,
    pub paid_to: PaidTo,
    pub agency_reference: Option<String>,
    /// The account's outstanding balance once the payment was applied.
    pub balance_after: Money,
    pub reported_at: DateTime<Utc>,
    pub reported_by: String,
    #[graphql(skip)]
    pub agency_id: i64,
}

impl Payment {
    pub fn from_model(model: payment::Model) -> AppResult<Self> {
        Ok(Self {
            id: to_id(model.id),
            external_id: model.external_id,
            account_id: to_id(model.account_id),
            placement_id: to_id(model.placement_id),
            amount: Money::from_minor(model.amount_minor, &model.currency)?,
            paid_at: model.paid_at,
            method: model.method.into(),
            paid_to: model.paid_to.into(),
            agency_reference: model.agency_reference,
            balance_after: Money::from_minor(model.balance_after_minor, &model.currency)?,
            reported_at: model.reported_at,
            reported_by: model.reported_by,
            agency_id: model.agency_id,
        })
    }
}

#[ComplexObject]
impl Payment {
    async fn agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Agency> {
        Ok(Agency::load(ctx, self.agency_id).await?)
    }
}

/// The outcome of one item of a report.
#[derive(SimpleObject)]
pub struct ItemInfo {
    /// The item's position in the batch, from 0.
    pub index: i32,
    pub external_id: String,
    pub status: ReportItemStatus,
    pub code: ReportItemCode,
    /// For INVALID_FIELD: the field at fault.
    pub field: Option<String>,
    pub message: String,
}

impl ItemInfo {
    fn new<T>(outcome: &ItemOutcome<T>) -> Self {
        Self {
            index: i32::try_from(outcome.index).unwrap_or(i32::MAX),
            external_id: outcome.external_id.clone(),
            status: outcome.status.into(),
            code: outcome.code.into(),
            field: outcome.field.map(str::to_owned),
            message: outcome.message.clone(),
        }
    }
}

/// How many items ended which way.
#[derive(SimpleObject)]
pub struct ReportCounts {
    pub accepted: i32,
    pub duplicates: i32,
    pub rejected: i32,
}

impl ReportCounts {
    fn new<T>(outcomes: &[ItemOutcome<T>]) -> Self {
        let count = |status: ItemStatus| {
            let n = outcomes.iter().filter(|o| o.status == status).count();
            i32::try_from(n).unwrap_or(i32::MAX)
        };
        Self {
            accepted: count(ItemStatus::Accepted),
            duplicates: count(ItemStatus::Duplicate),
            rejected: count(ItemStatus::Rejected),
        }
    }
}

#[derive(SimpleObject)]
pub struct ActivityItemResult {
    #[graphql(flatten)]
    pub info: ItemInfo,
    /// The stored activity: the new one, or the original of a duplicate.
    pub activity: Option<Activity>,
    /// The compliance incidents the item raised (for a duplicate, those the original did).
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub incidents: Vec<ComplianceIncident>,
}

/// The outcome of a `reportActivities` call: one result per item, in the order sent.
#[derive(SimpleObject)]
pub struct ActivityReport {
    #[graphql(flatten)]
    pub counts: ReportCounts,
    pub incidents_raised: i32,
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub items: Vec<ActivityItemResult>,
}

impl ActivityReport {
    pub fn new(outcomes: Vec<ItemOutcome<activity::Model>>) -> AppResult<Self> {
        let counts = ReportCounts::new(&outcomes);
        let incidents_raised = outcomes
            .iter()
            .filter(|o| o.status == ItemStatus::Accepted)
            .map(|o| o.incidents.len())
            .sum::<usize>();
        let items = outcomes
            .into_iter()
            .map(|outcome| {
                Ok(ActivityItemResult {
                    info: ItemInfo::new(&outcome),
                    activity: outcome.record.map(Activity::from_model).transpose()?,
                    incidents: outcome
                        .incidents
                        .into_iter()
                        .map(ComplianceIncident::from_model)
                        .collect(),
                })
            })
            .collect::<AppResult<_>>()?;
        Ok(Self {
            counts,
            incidents_raised: i32::try_from(incidents_raised).unwrap_or(i32::MAX),
            items,
        })
    }
}

#[derive(SimpleObject)]
pub struct PaymentItemResult {
    #[graphql(flatten)]
    pub info: ItemInfo,
    /// The stored payment: the new one, or the original of a duplicate.
    pub payment: Option<Payment>,
}

/// The outcome of a `reportPayments` call: one result per item, in the order sent.
#[derive(SimpleObject)]
pub struct PaymentReport {
    #[graphql(flatten)]
    pub counts: ReportCounts,
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub items: Vec<PaymentItemResult>,
}

impl PaymentReport {
    pub fn new(outcomes: Vec<ItemOutcome<payment::Model>>) -> AppResult<Self> {
        let counts = ReportCounts::new(&outcomes);
        let items = outcomes
            .into_iter()
            .map(|outcome| {
                Ok(PaymentItemResult {
                    info: ItemInfo::new(&outcome),
                    payment: outcome.record.map(Payment::from_model).transpose()?,
                })
            })
            .collect::<AppResult<_>>()?;
        Ok(Self { counts, items })
    }
}
