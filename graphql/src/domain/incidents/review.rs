//! Incidents people raise (from a complaint or an audit finding) and every incident's
//! lifecycle:
//!
//! ```text
//! OPEN ──acknowledge (the agency)──▶ ACKNOWLEDGED
//! OPEN | ACKNOWLEDGED ──resolve | waive (a vendor manager)──▶ RESOLVED | WAIVED (closed)
//! ```
//!
//! Each step locks the incident's row, is audited with before and after, and runs in one
//! transaction; a closed incident is announced to its agency through the outbox.

use chrono::{DateTime, Utc};
use entity::compliance_incident::{self, IncidentSource, IncidentStatus, Severity};
use entity::{account, agency, placement};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use super::list::scoped;
use super::{NewIncident, audit_view, raise_many};
use crate::domain::actor::Caller;
use crate::domain::audit::{self, Change};
use crate::domain::outbox::{self, Event};
use crate::domain::tx::begin_write;
use crate::domain::{metrics, validate};
use crate::error::{AppError, AppResult};

/// Longest rule or category code.
const MAX_RULE: usize = 48;
/// Longest summary or note, in characters.
const MAX_TEXT: usize = 4000;
/// Largest evidence, serialised as JSON.
const MAX_EVIDENCE_BYTES: usize = 64 * 1024;

/// An incident a person raises.
#[derive(Clone, Debug)]
pub struct Report {
    pub agency_id: i64,
    pub account_id: Option<i64>,
    /// COMPLAINT or AUDIT: AUTOMATIC incidents are the service's own.
    pub source: IncidentSource,
    pub severity: Severity,
    /// The rule broken or a category, as a code (e.g. HARASSMENT).
    pub rule: String,
    pub summary: String,
    /// A JSON object with the findings; `{}` when absent.
    pub evidence: Option<serde_json::Value>,
    /// When it happened; now when absent, never in the future.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Raises an OPEN incident against an agency. With an account, the incident is tied to
/// the agency's latest placement of that account, if it ever held it.
pub async fn raise(
    db: &DatabaseConnection,
    caller: &Caller,
    report: Report,
) -> AppResult<compliance_incident::Model> {
    if report.source == IncidentSource::Automatic {
        return Err(AppError::bad_input(
            "source",
            "AUTOMATIC incidents are raised by the service: use COMPLAINT or AUDIT",
        ));
    }
    let rule = validate::code_up_to("rule", &report.rule, MAX_RULE)?;
    let summary = validate::text("summary", &report.summary, MAX_TEXT)?;
    let evidence = evidence(report.evidence)?;
    let now = caller.now;
    let occurred_at = report.occurred_at.unwrap_or(now);
    if occurred_at > now {
        return Err(AppError::bad_input(
            "occurredAt",
            "an incident cannot have occurred in the future",
        ));
    }

    let tx = begin_write(db).await?;
    agency::Entity::find_by_id(report.agency_id)
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("agency", report.agency_id))?;
    let placement_id = match report.account_id {
        Some(account_id) => {
            account::Entity::find_by_id(account_id)
                .one(&tx)
                .await?
                .ok_or_else(|| AppError::not_found("account", account_id))?;
            latest_placement(&tx, report.agency_id, account_id).await?
        }
        None => None,
    };
    let raised = raise_many(
        &tx,
        caller,
        vec![NewIncident {
            agency_id: report.agency_id,
            account_id: report.account_id,
            placement_id,
            activity_id: None,
            source: report.source,
            rule,
            severity: report.severity,
            summary,
            evidence,
            dedupe_key: None,
            occurred_at,
        }],
    )
    .await?;
    let incident = raised.into_iter().next().ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "an incident without a dedupe key was not inserted"
        ))
    })?;
    tx.commit().await?;
    metrics::incidents_raised([&incident]);
    Ok(incident)
}

/// `{}` for no evidence; otherwise a JSON object of bounded size.
fn evidence(value: Option<serde_json::Value>) -> AppResult<serde_json::Value> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(json!({})),
        Some(value @ serde_json::Value::Object(_))
            if value.to_string().len() <= MAX_EVIDENCE_BYTES =>
        {
            Ok(value)
        }
        Some(_) => Err(AppError::bad_input(
            "evidence",
            format!("evidence must be a JSON object of at most {MAX_EVIDENCE_BYTES} bytes"),
        )),
    }
}

/// The agency's latest placement of the account (the ACTIVE one while it holds it).
async fn latest_placement<C: ConnectionTrait>(
    conn: &C,
    agency_id: i64,
    account_id: i64,
) -> AppResult<Option<i64>> {
    Ok(placement::Entity::find()
        .select_only()
        .column(placement::Column::Id)
        .filter(placement::Column::AgencyId.eq(agency_id))
        .filter(placement::Column::AccountId.eq(account_id))
        .order_by_desc(placement::Column::PlacedAt)
        .order_by_desc(placement::Column::Id)
        .into_tuple::<i64>()
        .one(conn)
        .await?)
}

/// A step in an incident's lifecycle.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Transition {
    /// The agency has seen an OPEN incident and answers it.
    Acknowledge,
    /// A vendor manager closes it: remedied.
    Resolve,
    /// A vendor manager closes it without remedy: not a breach after all, or accepted.
    Waive,
}

impl Transition {
    fn to(self) -> IncidentStatus {
        match self {
            Self::Acknowledge => IncidentStatus::Acknowledged,
            Self::Resolve => IncidentStatus::Resolved,
            Self::Waive => IncidentStatus::Waived,
        }
    }

    fn action(self) -> &'static str {
        match self {
            Self::Acknowledge => "incident.acknowledge",
            Self::Resolve => "incident.resolve",
            Self::Waive => "incident.waive",
        }
    }

    fn closes(self) -> bool {
        self != Self::Acknowledge
    }
}

/// Whether `transition` may leave `from`: an OPEN incident is acknowledged, an OPEN or
/// ACKNOWLEDGED one closed; a closed one never changes again.
fn check(id: i64, from: IncidentStatus, transition: Transition) -> AppResult<()> {
    use IncidentStatus::{Acknowledged, Open, Resolved, Waived};
    match (from, transition) {
        (Open, _) | (Acknowledged, Transition::Resolve | Transition::Waive) => Ok(()),
        (Acknowledged, Transition::Acknowledge) => Err(AppError::Conflict(format!(
            "incident {id} is already ACKNOWLEDGED"
        ))),
        (Resolved | Waived, _) => Err(AppError::Conflict(format!(
            "incident {id} is already closed ({}) and can no longer change",
            from.to_value()
        ))),
    }
}

/// Moves an incident one step along its lifecycle, with the caller's note. The incident is
/// looked up within the caller's scope: another agency's incident is not found.
pub async fn transition(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    transition: Transition,
    note: String,
) -> AppResult<compliance_incident::Model> {
    let note = validate::text("note", &note, MAX_TEXT)?;
    let tx = begin_write(db).await?;
    let current = scoped(caller.actor.scope())
        .filter(compliance_incident::Column::Id.eq(id))
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("compliance incident", id))?;
    check(id, current.status, transition)?;
    let now = caller.now;
    let by = Some(caller.actor.audit_name());
    let mut active = current.clone().into_active_model();
    active.status = Set(transition.to());
    if transition.closes() {
        active.closed_at = Set(Some(now));
        active.closed_by = Set(by);
        active.closing_note = Set(Some(note));
    } else {
        active.acknowledged_at = Set(Some(now));
        active.acknowledged_by = Set(by);
        active.acknowledgement_note = Set(Some(note));
    }
    active.updated_at = Set(now);
    let updated = active.update(&tx).await?;
    audit::record(
        &tx,
        caller,
        Change {
            action: transition.action(),
            entity_type: "compliance_incident",
            entity_id: updated.id.to_string(),
            before: Some(audit_view(&current)),
            after: Some(audit_view(&updated)),
        },
    )
    .await?;
    if transition.closes() {
        announce_closed(&tx, now, &updated).await?;
    }
    tx.commit().await?;
    Ok(updated)
}

/// Tells the agency how its incident was closed.
async fn announce_closed<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    incident: &compliance_incident::Model,
) -> AppResult<()> {
    outbox::enqueue(
        conn,
        now,
        Event {
            topic: "compliance.incident_closed",
            agency_id: Some(incident.agency_id),
            entity_type: "compliance_incident",
            entity_id: incident.id.to_string(),
            payload: json!({
                "id": incident.id.to_string(),
                "accountId": incident.account_id.map(|id| id.to_string()),
                "rule": incident.rule,
                "severity": incident.severity,
                "status": incident.status,
                "closingNote": incident.closing_note,
                "closedAt": incident.closed_at,
            }),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_incidents_are_acknowledged_or_closed_and_closed_ones_never_change() {
        use IncidentStatus::{Acknowledged, Open, Resolved, Waived};
        let all = [
            Transition::Acknowledge,
            Transition::Resolve,
            Transition::Waive,
        ];
        for transition in all {
            assert!(check(1, Open, transition).is_ok(), "{transition:?}");
            for closed in [Resolved, Waived] {
                let err = check(1, closed, transition).unwrap_err();
                assert_eq!(err.code(), "CONFLICT");
                assert!(err.to_string().contains("already closed"), "{err}");
            }
        }
        assert!(check(1, Acknowledged, Transition::Resolve).is_ok());
        assert!(check(1, Acknowledged, Transition::Waive).is_ok());
        assert_eq!(
            check(1, Acknowledged, Transition::Acknowledge)
                .unwrap_err()
                .code(),
            "CONFLICT"
        );
    }

    #[test]
    fn evidence_is_an_object_or_nothing() {
        assert_eq!(evidence(None).unwrap(), json!({}));
        assert_eq!(evidence(Some(json!(null))).unwrap(), json!({}));
        assert_eq!(
            evidence(Some(json!({ "a": 1 }))).unwrap(),
            json!({ "a": 1 })
        );
        assert!(evidence(Some(json!([1, 2]))).is_err());
        assert!(evidence(Some(json!("text"))).is_err());
        let huge = json!({ "text": "x".repeat(MAX_EVIDENCE_BYTES) });
        assert!(evidence(Some(huge)).is_err());
    }
}
