use async_graphql::{ComplexObject, Context, ID, Json, SimpleObject};
use chrono::{DateTime, Utc};
use entity::compliance_incident;

use super::agency::Agency;
use super::enums::{IncidentSource, IncidentStatus, Severity};
use crate::api::ids::to_id;

/// A breach of a contact rule or of conduct, with its evidence and its handling.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ComplianceIncident {
    pub id: ID,
    pub account_id: Option<ID>,
    pub placement_id: Option<ID>,
    /// The reported activity that broke the rule, for automatic incidents.
    pub activity_id: Option<ID>,
    pub source: IncidentSource,
    /// The rule broken (e.g. CONTACT_HOURS), or the category a person gave.
    pub rule: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub summary: String,
    /// The facts: the report items, the measured figure and the limit, or a finding.
    pub evidence: Json<serde_json::Value>,
    /// When the breach happened.
    pub occurred_at: DateTime<Utc>,
    pub raised_at: DateTime<Utc>,
    /// Who raised it (`system:…` for automatic incidents, `token:…` for people).
    pub raised_by: String,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub acknowledgement_note: Option<String>,
    /// When it was resolved or waived.
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub closing_note: Option<String>,
    #[graphql(skip)]
    pub agency_id: i64,
}

impl ComplianceIncident {
    pub fn from_model(model: compliance_incident::Model) -> Self {
        Self {
            id: to_id(model.id),
            account_id: model.account_id.map(to_id),
            placement_id: model.placement_id.map(to_id),
            activity_id: model.activity_id.map(to_id),
            source: model.source.into(),
            rule: model.rule,
            severity: model.severity.into(),
            status: model.status.into(),
            summary: model.summary,
            evidence: Json(model.evidence),
            occurred_at: model.occurred_at,
            raised_at: model.raised_at,
            raised_by: model.raised_by,
            acknowledged_at: model.acknowledged_at,
            acknowledged_by: model.acknowledged_by,
            acknowledgement_note: model.acknowledgement_note,
            closed_at: model.closed_at,
            closed_by: model.closed_by,
            closing_note: model.closing_note,
            agency_id: model.agency_id,
        }
    }
}

#[ComplexObject]
impl ComplianceIncident {
    async fn agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Agency> {
        Ok(Agency::load(ctx, self.agency_id).await?)
    }
}
