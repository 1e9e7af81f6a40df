use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::api_token::Role;

use crate::api::context::{actor, caller, db, settings};
use crate::api::cost;
use crate::api::guard::{ANY_ROLE, INCIDENT_RAISERS, MANAGERS, RoleGuard};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::enums::{IncidentSource, IncidentStatus, Severity, to_stored};
use crate::api::types::incident::ComplianceIncident;
use crate::domain::idle_watch;
use crate::domain::incidents::list::{self, IncidentFilter};
use crate::domain::incidents::review::{self, Report, Transition};
use crate::error::AppResult;

#[derive(Default)]
pub struct IncidentQuery;

#[derive(Default)]
pub struct IncidentMutation;

#[derive(InputObject, Default)]
pub struct ComplianceIncidentsFilter {
    pub agency_id: Option<ID>,
    pub account_id: Option<ID>,
    /// Any of these statuses.
    pub status: Option<Vec<IncidentStatus>>,
    /// Any of these severities.
    pub severity: Option<Vec<Severity>>,
    pub source: Option<IncidentSource>,
    /// e.g. IDLE_PLACEMENT, HARASSMENT.
    pub rule: Option<String>,
    /// Incidents that occurred at or after this instant.
    pub occurred_from: Option<DateTime<Utc>>,
    /// Incidents that occurred before this instant.
    pub occurred_to: Option<DateTime<Utc>>,
}

/// An incident from a complaint or an audit finding.
#[derive(InputObject)]
pub struct RaiseComplianceIncidentInput {
    pub agency_id: ID,
    /// The account concerned, if any; the incident is then tied to the agency's latest
    /// placement of it, if the agency ever held it.
    pub account_id: Option<ID>,
    /// COMPLAINT or AUDIT (AUTOMATIC incidents are the service's own).
    pub source: IncidentSource,
    pub severity: Severity,
    /// The rule broken or the category, as a code of 2 to 48 of A-Z, 0-9, _ and -
    /// (e.g. HARASSMENT, THIRD_PARTY_DISCLOSURE).
    pub rule: String,
    pub summary: String,
    /// The findings, as a JSON object.
    pub evidence: Option<Json<serde_json::Value>>,
    /// When it happened (default: now); not in the future.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// What one run of the idle watch raised.
#[derive(SimpleObject)]
pub struct IdleWatchRun {
    pub count: i32,
    /// The first 100 incidents raised by this run.
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub incidents: Vec<ComplianceIncident>,
}

fn parse_filter(filter: ComplianceIncidentsFilter) -> AppResult<IncidentFilter> {
    Ok(IncidentFilter {
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
        status: filter.status.as_deref().map(to_stored),
        severity: filter.severity.as_deref().map(to_stored),
        source: filter.source.map(Into::into),
        rule: filter.rule,
        occurred_from: filter.occurred_from,
        occurred_to: filter.occurred_to,
    })
}

#[Object]
impl IncidentQuery {
    /// Compliance incidents, newest raised first. An AGENCY caller sees only its own;
    /// asking for another agency's is FORBIDDEN.
    #[graphql(
        guard = "RoleGuard::new(ANY_ROLE)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn compliance_incidents(
        &self,
        ctx: &Context<'_>,
        filter: Option<ComplianceIncidentsFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, ComplianceIncident>> {
        let scope = actor(ctx)?.scope();
        let filter = parse_filter(filter.unwrap_or_default())?;
        let page = list::list(db(ctx), scope, filter, page_request(ctx, first, after)?).await?;
        Ok(connection(
            page,
            |i| i.id,
            |i| Ok(ComplianceIncident::from_model(i)),
        )?)
    }

    /// One incident. For an AGENCY caller another agency's incident is NOT_FOUND.
    #[graphql(guard = "RoleGuard::new(ANY_ROLE)")]
    async fn compliance_incident(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ComplianceIncident> {
        let scope = actor(ctx)?.scope();
        let model = list::get(db(ctx), scope, ids::parse("id", &id)?).await?;
        Ok(ComplianceIncident::from_model(model))
    }
}

#[Object]
impl IncidentMutation {
    /// Raises an OPEN incident from a complaint or an audit finding; the agency is told.
    #[graphql(guard = "RoleGuard::new(INCIDENT_RAISERS)")]
    async fn raise_compliance_incident(
        &self,
        ctx: &Context<'_>,
        input: RaiseComplianceIncidentInput,
    ) -> async_graphql::Result<ComplianceIncident> {
        let report = Report {
            agency_id: ids::parse("agencyId", &input.agency_id)?,
            account_id: input
                .account_id
                .as_ref()
                .map(|id| ids::parse("accountId", id))
                .transpose()?,
            source: input.source.into(),
            severity: input.severity.into(),
            rule: input.rule,
            summary: input.summary,
            evidence: input.evidence.map(|json| json.0),
            occurred_at: input.occurred_at,
        };
        let raised = review::raise(db(ctx), &caller(ctx)?, report).await?;
        Ok(ComplianceIncident::from_model(raised))
    }

    /// The agency acknowledges one of its OPEN incidents, with its answer.
    #[graphql(guard = "RoleGuard::new(&[Role::Agency])")]
    async fn acknowledge_incident(
        &self,
        ctx: &Context<'_>,
        id: ID,
        note: String,
    ) -> async_graphql::Result<ComplianceIncident> {
        step(ctx, &id, Transition::Acknowledge, note).await
    }

    /// Closes an OPEN or ACKNOWLEDGED incident as remedied (RESOLVED); the agency is told.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn resolve_incident(
        &self,
        ctx: &Context<'_>,
        id: ID,
        note: String,
    ) -> async_graphql::Result<ComplianceIncident> {
        step(ctx, &id, Transition::Resolve, note).await
    }

    /// Closes an OPEN or ACKNOWLEDGED incident without remedy (WAIVED): not a breach
    /// after all, or accepted. The agency is told.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn waive_incident(
        &self,
        ctx: &Context<'_>,
        id: ID,
        note: String,
    ) -> async_graphql::Result<ComplianceIncident> {
        step(ctx, &id, Transition::Waive, note).await
    }

    /// Runs the idle watch now (the scheduler will run it daily): every ACTIVE placement
    /// without reported activity `compliance.idle_days` days after placement raises one
    /// LOW IDLE_PLACEMENT incident, once.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn run_idle_watch(&self, ctx: &Context<'_>) -> async_graphql::Result<IdleWatchRun> {
        let idle_days = settings(ctx).idle_days;
        let caller = caller(ctx)?;
        let outcome = idle_watch::watch(db(ctx), &caller, caller.now, idle_days).await?;
        Ok(IdleWatchRun {
            count: i32::try_from(outcome.count).unwrap_or(i32::MAX),
            incidents: outcome
                .sample
                .into_iter()
                .map(ComplianceIncident::from_model)
                .collect(),
        })
    }
}

async fn step(
    ctx: &Context<'_>,
    id: &ID,
    transition: Transition,
    note: String,
) -> async_graphql::Result<ComplianceIncident> {
    let id = ids::parse("id", id)?;
    let changed = review::transition(db(ctx), &caller(ctx)?, id, transition, note).await?;
    Ok(ComplianceIncident::from_model(changed))
}
