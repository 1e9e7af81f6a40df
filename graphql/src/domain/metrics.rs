//! Business metrics, through the `metrics` facade: the service installs the recorder (the
//! Prometheus exporter behind `/metrics`); without one they cost nothing. Each is recorded
//! once the transaction that made the change has committed, so a rolled-back change is
//! never counted. Label values are the API's enum values; the README lists every metric.

use std::time::Duration;

use entity::compliance_incident;
use entity::job_run::RunStatus;
use entity::placement::PlacementStatus;
use sea_orm::ActiveEnum;

use super::jobs::JobName;
use super::reporting::{ItemOutcome, ItemStatus};
use super::webhooks::DispatchOutcome;

/// Placements an allocation run made (reassignments included).
pub fn placements_created(count: i64) {
    metrics::counter!("placements_created_total").increment(u64::try_from(count).unwrap_or(0));
}

/// Placements ended, by how: `RECALLED`, `RETURNED` or `PAID`.
pub fn placements_ended(status: PlacementStatus, count: usize) {
    metrics::counter!("placements_ended_total", "reason" => status.to_value())
        .increment(count as u64);
}

/// Reported items by kind (`activity`, `payment`), status (`ACCEPTED`, `DUPLICATE`,
/// `REJECTED`) and code: the rule that refused an item, or `OK` / `COMPLIANCE_BREACH`.
pub fn items_reported<T>(kind: &'static str, outcomes: &[ItemOutcome<T>]) {
    for outcome in outcomes {
        let status = match outcome.status {
            ItemStatus::Accepted => "ACCEPTED",
            ItemStatus::Duplicate => "DUPLICATE",
            ItemStatus::Rejected => "REJECTED",
        };
        metrics::counter!(
            "reported_items_total",
            "kind" => kind,
            "status" => status,
            "code" => outcome.code.as_str(),
        )
        .increment(1);
    }
}

/// Compliance incidents raised, by rule and severity.
pub fn incidents_raised<'a>(incidents: impl IntoIterator<Item = &'a compliance_incident::Model>) {
    for incident in incidents {
        metrics::counter!(
            "incidents_raised_total",
            "rule" => incident.rule.clone(),
            "severity" => incident.severity.to_value(),
        )
        .increment(1);
    }
}

/// A job run by job and outcome (`SUCCEEDED`, `FAILED`, `SKIPPED`), with its duration
/// (skipped runs have none).
pub fn job_run(job: JobName, status: RunStatus, took: Option<Duration>) {
    let (job, outcome) = (job.as_str(), status.to_value());
    if let Some(took) = took {
        metrics::histogram!("job_run_duration_seconds", "job" => job, "outcome" => outcome.clone())
            .record(took.as_secs_f64());
    }
    metrics::counter!("job_runs_total", "job" => job, "outcome" => outcome).increment(1);
}

/// Webhook delivery attempts of one dispatch, by outcome.
pub fn webhook_deliveries(outcome: &DispatchOutcome) {
    for (label, count) in [
        ("DELIVERED", outcome.delivered),
        ("RETRYING", outcome.retrying),
        ("DEAD", outcome.dead),
        ("NO_ENDPOINT", outcome.no_endpoint),
    ] {
        metrics::counter!("webhook_deliveries_total", "outcome" => label).increment(count as u64);
    }
}
