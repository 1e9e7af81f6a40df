//! Compliance incidents: raised automatically by reports that break a contact rule and by
//! watches, or by people (complaints, audit findings); acknowledged by the agency, resolved
//! or waived by a vendor manager.
//!
//! - [`raise_many`]: the one way incidents are created (set-based, deduplicated, audited,
//!   announced to the agency).
//! - [`review`]: incidents people raise, and every incident's lifecycle.
//! - [`list`]: reading them, within the caller's scope.

pub mod list;
pub mod review;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::compliance_incident::{self, IncidentSource, IncidentStatus, Severity};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TryInsertResult,
};
use serde_json::json;

use super::actor::Caller;
use super::audit::{self, Change};
use super::outbox::{self, Event};
use crate::error::AppResult;

/// An incident to raise.
#[derive(Clone, Debug)]
pub struct NewIncident {
    pub agency_id: i64,
    pub account_id: Option<i64>,
    pub placement_id: Option<i64>,
    pub activity_id: Option<i64>,
    pub source: IncidentSource,
    pub rule: String,
    pub severity: Severity,
    pub summary: String,
    pub evidence: serde_json::Value,
    /// Raise at most once per key (e.g. `IDLE:<placement>`): a second raise is skipped.
    pub dedupe_key: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// Incidents bind 21 values: 1,000 per statement stay within SQLite's 32,766.
const INCIDENTS_PER_STATEMENT: usize = 1_000;

/// Raises incidents in the caller's transaction: inserted set-based, audited, and each
/// agency told of its own in one outbox event. Returns the incidents raised, in order
/// (those whose dedupe key was already taken are left out).
pub async fn raise_many<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    incidents: Vec<NewIncident>,
) -> AppResult<Vec<compliance_incident::Model>> {
    if incidents.is_empty() {
        return Ok(Vec::new());
    }
    let now = caller.now;
    let raised_by = caller.actor.audit_name();
    let mut raised = Vec::with_capacity(incidents.len());
    for chunk in incidents.chunks(INCIDENTS_PER_STATEMENT) {
        let inserted = compliance_incident::Entity::insert_many(chunk.iter().map(|incident| {
            compliance_incident::ActiveModel {
                agency_id: Set(incident.agency_id),
                account_id: Set(incident.account_id),
                placement_id: Set(incident.placement_id),
                activity_id: Set(incident.activity_id),
                source: Set(incident.source),
                rule: Set(incident.rule.clone()),
                severity: Set(incident.severity),
                status: Set(IncidentStatus::Open),
                summary: Set(incident.summary.clone()),
                evidence: Set(incident.evidence.clone()),
                dedupe_key: Set(incident.dedupe_key.clone()),
                occurred_at: Set(incident.occurred_at),
                raised_at: Set(now),
                raised_by: Set(raised_by.clone()),
                acknowledged_at: Set(None),
                acknowledged_by: Set(None),
                acknowledgement_note: Set(None),
                closed_at: Set(None),
                closed_by: Set(None),
                closing_note: Set(None),
                updated_at: Set(now),
                ..Default::default()
            }
        }))
        .on_conflict_do_nothing_on([compliance_incident::Column::DedupeKey])
        .exec_with_returning_many(conn)
        .await?;
        if let TryInsertResult::Inserted(models) = inserted {
            raised.extend(models);
        }
    }
    raised.sort_by_key(|incident| incident.id);
    announce(conn, caller, &raised).await?;
    Ok(raised)
}

/// The audit view of an incident.
pub fn audit_view(incident: &compliance_incident::Model) -> serde_json::Value {
    json!({
        "agencyId": incident.agency_id,
        "accountId": incident.account_id,
        "placementId": incident.placement_id,
        "activityId": incident.activity_id,
        "source": incident.source,
        "rule": incident.rule,
        "severity": incident.severity,
        "status": incident.status,
        "summary": incident.summary,
        "acknowledgementNote": incident.acknowledgement_note,
        "closingNote": incident.closing_note,
    })
}

/// Audits the raised incidents and tells each agency which of its incidents were raised.
async fn announce<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    raised: &[compliance_incident::Model],
) -> AppResult<()> {
    audit::record_many(
        conn,
        caller,
        raised.iter().map(|incident| Change {
            action: "incident.raise",
            entity_type: "compliance_incident",
            entity_id: incident.id.to_string(),
            before: None,
            after: Some(audit_view(incident)),
        }),
    )
    .await?;
    let mut by_agency: BTreeMap<i64, Vec<&compliance_incident::Model>> = BTreeMap::new();
    for incident in raised {
        by_agency
            .entry(incident.agency_id)
            .or_default()
            .push(incident);
    }
    for (agency_id, incidents) in by_agency {
        outbox::enqueue(
            conn,
            caller.now,
            Event {
                topic: "compliance.incidents_raised",
                agency_id: Some(agency_id),
                entity_type: "compliance_incident",
                entity_id: incidents[0].id.to_string(),
                payload: json!({
                    "count": incidents.len(),
                    "incidents": incidents.iter().map(|i| json!({
                        "id": i.id.to_string(),
                        "accountId": i.account_id.map(|id| id.to_string()),
                        "rule": i.rule,
                        "severity": i.severity,
                        "summary": i.summary,
                        "occurredAt": i.occurred_at,
                    })).collect::<Vec<_>>(),
                }),
            },
        )
        .await?;
    }
    Ok(())
}

/// The incidents raised by each of the given activities.
pub async fn by_activity<C: ConnectionTrait>(
    conn: &C,
    activity_ids: Vec<i64>,
) -> AppResult<BTreeMap<i64, Vec<compliance_incident::Model>>> {
    let mut by_activity: BTreeMap<i64, Vec<compliance_incident::Model>> = BTreeMap::new();
    for chunk in activity_ids.chunks(10_000) {
        let incidents = compliance_incident::Entity::find()
            .filter(compliance_incident::Column::ActivityId.is_in(chunk.to_vec()))
            .order_by_asc(compliance_incident::Column::Id)
            .all(conn)
            .await?;
        for incident in incidents {
            if let Some(activity_id) = incident.activity_id {
                by_activity.entry(activity_id).or_default().push(incident);
            }
        }
    }
    Ok(by_activity)
}
