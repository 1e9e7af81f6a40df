use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, NaiveDate, Utc};
use entity::api_token::Role;

use crate::api::context::{actor, caller, db, settings};
use crate::api::cost;
use crate::api::guard::{ANY_ROLE, RoleGuard};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::enums::{
    ActivityType, ContactChannel, ContactDirection, ContactResult, PaidTo, PaymentMethod,
};
use crate::api::types::money::Amount;
use crate::api::types::report::{Activity, ActivityReport, Payment, PaymentReport};
use crate::domain::reporting::activities::{self, ActivityItem, PromiseItem};
use crate::domain::reporting::payments::{self, PaymentItem};
use crate::domain::reporting::records::{self, RecordFilter};
use crate::error::AppResult;

#[derive(Default)]
pub struct ReportingQuery;

#[derive(Default)]
pub struct ReportingMutation;

/// One thing the agency did or heard on an account it holds.
#[derive(InputObject)]
pub struct ActivityInput {
    /// The agency's own id for this item: sending it again is recognised.
    pub external_id: String,
    pub account_id: ID,
    #[graphql(name = "type")]
    pub kind: ActivityType,
    /// When it happened, with its UTC offset (RFC 3339).
    pub occurred_at: DateTime<Utc>,
    /// Required for a CONTACT_ATTEMPT.
    pub channel: Option<ContactChannel>,
    /// OUTBOUND unless given.
    pub direction: Option<ContactDirection>,
    /// Required for a CONTACT_ATTEMPT.
    pub result: Option<ContactResult>,
    /// The number or address used; required for outbound calls, texts and e-mails.
    pub contact_point: Option<String>,
    pub agent_reference: Option<String>,
    /// Required for (and only for) a PROMISE_TO_PAY.
    pub promise: Option<PromiseInput>,
    /// Free text; required for a COMPLAINT and a NOTE.
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct PromiseInput {
    pub amount: Amount,
    pub currency: String,
    pub due_on: NaiveDate,
}

/// A payment on an account the agency holds, or held within the tail period.
#[derive(InputObject)]
pub struct PaymentInput {
    /// The agency's own id for this item: sending it again is recognised.
    pub external_id: String,
    pub account_id: ID,
    /// Written as a string, e.g. "125.50".
    pub amount: Amount,
    /// ISO 4217; must be the account's currency.
    pub currency: String,
    pub paid_at: DateTime<Utc>,
    pub method: PaymentMethod,
    pub paid_to: PaidTo,
    pub agency_reference: Option<String>,
}

#[derive(InputObject, Default)]
pub struct ReportsFilter {
    pub agency_id: Option<ID>,
    pub account_id: Option<ID>,
    /// Occurred or paid at or after this instant…
    pub from: Option<DateTime<Utc>>,
    /// …and before this one.
    pub until: Option<DateTime<Utc>>,
}

fn parse_filter(filter: Option<ReportsFilter>) -> AppResult<RecordFilter> {
    let filter = filter.unwrap_or_default();
    Ok(RecordFilter {
        agency_id: filter
            .agency_id
            .as_ref()
            .map(|id| ids::parse("filter.agencyId", id))
            .transpose()?,
        account_id: filter
            .account_id
            .as_ref()
            .map(|id| ids::parse("filter.accountId", id))
            .transpose()?,
        from: filter.from,
        until: filter.until,
    })
}

#[Object]
impl ReportingQuery {
    /// Reported activities, oldest first. An AGENCY sees only its own.
    #[graphql(
        guard = "RoleGuard::new(ANY_ROLE)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReportsFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Activity>> {
        let page = records::activities(
            db(ctx),
            actor(ctx)?.scope(),
            parse_filter(filter)?,
            page_request(ctx, first, after)?,
        )
        .await?;
        Ok(connection(page, |a| a.id, Activity::from_model)?)
    }

    /// Reported payments, oldest first. An AGENCY sees only its own.
    #[graphql(
        guard = "RoleGuard::new(ANY_ROLE)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn payments(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReportsFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Payment>> {
        let page = records::payments(
            db(ctx),
            actor(ctx)?.scope(),
            parse_filter(filter)?,
            page_request(ctx, first, after)?,
        )
        .await?;
        Ok(connection(page, |p| p.id, Payment::from_model)?)
    }
}

#[Object]
impl ReportingMutation {
    /// Reports up to 1,000 activities on accounts the agency holds. Each is checked
    /// against the contact rules as it arrives: a breach raises a compliance incident and
    /// the activity is still stored. Every item gets its own outcome.
    #[graphql(guard = "RoleGuard::new(&[Role::Agency])")]
    async fn report_activities(
        &self,
        ctx: &Context<'_>,
        activities: Vec<ActivityInput>,
    ) -> async_graphql::Result<ActivityReport> {
        let items = activities
            .into_iter()
            .map(|a| ActivityItem {
                external_id: a.external_id,
                account_id: a.account_id.0,
                kind: a.kind.into(),
                occurred_at: a.occurred_at,
                channel: a.channel.map(Into::into),
                direction: a.direction.map(Into::into),
                result: a.result.map(Into::into),
                contact_point: a.contact_point,
                agent_reference: a.agent_reference,
                promise: a.promise.map(|p| PromiseItem {
                    amount: p.amount.0,
                    currency: p.currency,
                    due_on: p.due_on,
                }),
                note: a.note,
            })
            .collect();
        let outcomes =
            activities::report(db(ctx), &caller(ctx)?, &settings(ctx).reporting, items).await?;
        Ok(ActivityReport::new(outcomes)?)
    }

    /// Reports up to 1,000 payments on accounts the agency holds (or held, within the
    /// tail period). Accepted payments reduce the balance; one that clears it closes the
    /// placement as PAID. Every item gets its own outcome.
    #[graphql(guard = "RoleGuard::new(&[Role::Agency])")]
    async fn report_payments(
        &self,
        ctx: &Context<'_>,
        payments: Vec<PaymentInput>,
    ) -> async_graphql::Result<PaymentReport> {
        let items = payments
            .into_iter()
            .map(|p| PaymentItem {
                external_id: p.external_id,
                account_id: p.account_id.0,
                amount: p.amount.0,
                currency: p.currency,
                paid_at: p.paid_at,
                method: p.method.into(),
                paid_to: p.paid_to.into(),
                agency_reference: p.agency_reference,
            })
            .collect();
        let outcomes =
            payments::report(db(ctx), &caller(ctx)?, &settings(ctx).reporting, items).await?;
        Ok(PaymentReport::new(outcomes)?)
    }
}
