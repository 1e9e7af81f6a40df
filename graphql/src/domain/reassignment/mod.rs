//! Automatic reassignment: policies judge every agency on its figures; decisions warn,
//! put on probation, recall idle accounts or suspend and recall everything; recalled
//! accounts are handed to other agencies by their segment's strategy in the same
//! execution. Every decision waits out a grace period in which a vendor manager may
//! override it, hold it, or approve it to execute at once (no grace for a CRITICAL
//! incident).

pub mod decisions;
pub mod evaluate;
pub mod execute;
pub mod policies;
pub mod review;

use entity::reassignment_decision;
use serde_json::json;

/// A decision as the audit log records it.
pub(crate) fn decision_view(d: &reassignment_decision::Model) -> serde_json::Value {
    json!({
        "runId": d.run_id,
        "policyId": d.policy_id,
        "agencyId": d.agency_id,
        "segment": d.segment,
        "action": d.action,
        "status": d.status,
        "findings": d.findings,
        "executeAfter": d.execute_after,
        "placementIds": d.placement_ids,
        "outcome": d.outcome,
        "executedAt": d.executed_at,
        "overrideReason": d.override_reason,
        "overriddenBy": d.overridden_by,
        "holdReason": d.hold_reason,
        "heldBy": d.held_by,
        "approvalNote": d.approval_note,
        "approvedBy": d.approved_by,
    })
}
