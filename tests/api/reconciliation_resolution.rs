//! Working a reconciliation's exceptions: finance resolves each with a fitting decision
//! and a note (audited), on the period's latest run; a re-run carries the resolutions.

use entity::api_token::Role;
use entity::audit_event;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, token};
use crate::reconciliation::{import, month, reconcile, remitted};

const RESOLVE: &str = "mutation($input: ResolveReconciliationItemInput!) { \
    resolveReconciliationItem(input: $input) { id class open resolution resolutionNote resolvedBy resolvedAt } }";

const OPEN: &str = "query($id: ID!, $open: Boolean) { reconciliationRun(id: $id) { \
    items(open: $open) { id class accountId open resolution resolutionNote } } }";

async fn resolve(
    app: &TestApp,
    who: &str,
    item: &Value,
    resolution: &str,
    note: &str,
) -> crate::helpers::Answer {
    app.gql(
        Some(who),
        RESOLVE,
        json!({ "input": { "itemId": item["id"], "resolution": resolution, "note": note } }),
    )
    .await
}

async fn items(app: &TestApp, who: &str, run: &Value, open: Option<bool>) -> Vec<Value> {
    app.gql(Some(who), OPEN, json!({ "id": run["id"], "open": open }))
        .await
        .data()["reconciliationRun"]["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn of_class<'v>(items: &'v [Value], class: &str) -> &'v Value {
    items.iter().find(|i| i["class"] == class).unwrap()
}

#[tokio::test]
async fn finance_resolves_exceptions_with_a_fitting_decision_and_a_rerun_keeps_them() {
    let app = spawn_app().await;
    let month = month(&app).await;
    let alpha = month.agency_id;
    import(
        &app,
        &month.finance,
        json!([
            remitted("L1", "A1", "100.00", 8, alpha),
            remitted("L3", "A3", "75.00", 12, alpha),
            {
                "reference": "L4", "accountReference": "A4", "channel": "LENDER_DIRECT",
                "amount": "20.00", "receivedAt": "2026-10-20T09:00:00Z",
            },
        ]),
    )
    .await;
    let run = reconcile(&app, &month.finance).await;
    let open = items(&app, &month.finance, &run, Some(true)).await;
    let mut classes: Vec<&str> = open.iter().map(|i| i["class"].as_str().unwrap()).collect();
    classes.sort();
    // A2, A5, A6 reported and never received; A3 short; A4 received unreported.
    assert_eq!(
        classes,
        [
            "AGENCY_ONLY",
            "AGENCY_ONLY",
            "AGENCY_ONLY",
            "AMOUNT_MISMATCH",
            "LEDGER_ONLY"
        ]
    );
    let matched = items(&app, &month.finance, &run, Some(false)).await;
    assert_eq!(matched.len(), 1);
    assert_eq!(matched[0]["class"], "MATCHED");

    // A decision that does not fit the line, a matched line, an empty note: refused.
    let ledger_only = of_class(&open, "LEDGER_ONLY").clone();
    let misfit = resolve(
        &app,
        &month.finance,
        &ledger_only,
        "AGENCY_TO_REMIT",
        "chase",
    )
    .await;
    assert_eq!(misfit.code(), Some("BAD_USER_INPUT"));
    assert_eq!(
        misfit.body["errors"][0]["extensions"]["field"],
        "resolution"
    );
    let not_exception = resolve(&app, &month.finance, &matched[0], "WRITTEN_OFF", "x").await;
    assert_eq!(not_exception.code(), Some("BAD_USER_INPUT"));
    assert_eq!(
        not_exception.body["errors"][0]["extensions"]["field"],
        "itemId"
    );
    let no_note = resolve(&app, &month.finance, &ledger_only, "WRITTEN_OFF", "  ").await;
    assert_eq!(no_note.body["errors"][0]["extensions"]["field"], "note");
    let nul = resolve(&app, &month.finance, &ledger_only, "WRITTEN_OFF", "a\u{0}b").await;
    assert_eq!(nul.code(), Some("BAD_USER_INPUT"));
    let missing = app
        .gql(
            Some(&month.finance),
            RESOLVE,
            json!({ "input": { "itemId": "9999", "resolution": "WRITTEN_OFF", "note": "x" } }),
        )
        .await;
    assert_eq!(missing.code(), Some("NOT_FOUND"));

    // Only finance (and admins) resolve; agencies and auditors may not.
    let auditor = token(&app.db, Role::Auditor, None).await;
    for who in [&month.agency_token, &auditor] {
        let refused = resolve(&app, who, &ledger_only, "NOT_AN_AGENCY_RECOVERY", "x").await;
        assert_eq!(refused.code(), Some("FORBIDDEN"));
    }

    let note = "the debtor paid the lender's branch directly";
    let resolved = resolve(
        &app,
        &month.finance,
        &ledger_only,
        "NOT_AN_AGENCY_RECOVERY",
        note,
    )
    .await;
    let resolved = &resolved.data()["resolveReconciliationItem"];
    assert_eq!(resolved["open"], false);
    assert_eq!(resolved["resolution"], "NOT_AN_AGENCY_RECOVERY");
    assert_eq!(resolved["resolutionNote"], note);
    assert!(resolved["resolvedBy"].is_string() && resolved["resolvedAt"].is_string());
    let mismatch = of_class(&open, "AMOUNT_MISMATCH").clone();
    resolve(
        &app,
        &month.finance,
        &mismatch,
        "AGENCY_TO_REMIT",
        "ALPHA owes the 5.00 it kept",
    )
    .await
    .data();
    // A second decision replaces the first; both are in the audit trail.
    resolve(
        &app,
        &month.finance,
        &mismatch,
        "LEDGER_CORRECTED",
        "the branch booked 75 for 80",
    )
    .await
    .data();
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("reconciliation_item.resolve"))
        .order_by_asc(audit_event::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(events.len(), 3);
    let last = &events[2];
    assert_eq!(last.entity_id, mismatch["id"].as_str().unwrap());
    assert_eq!(
        last.before.as_ref().unwrap()["resolution"],
        "AGENCY_TO_REMIT"
    );
    assert_eq!(
        last.after.as_ref().unwrap()["resolution"],
        "LEDGER_CORRECTED"
    );
    assert_eq!(items(&app, &month.finance, &run, Some(true)).await.len(), 3);

    // The period again: the same lines keep their resolutions; the old run is closed.
    let again = reconcile(&app, &month.finance).await;
    let now_open = items(&app, &month.finance, &again, Some(true)).await;
    assert_eq!(now_open.len(), 3);
    assert!(now_open.iter().all(|i| i["class"] == "AGENCY_ONLY"));
    let all = items(&app, &month.finance, &again, None).await;
    assert_eq!(
        of_class(&all, "LEDGER_ONLY")["resolution"],
        "NOT_AN_AGENCY_RECOVERY"
    );
    assert_eq!(
        of_class(&all, "AMOUNT_MISMATCH")["resolutionNote"],
        "the branch booked 75 for 80"
    );
    let stale = resolve(
        &app,
        &month.finance,
        &of_class(&open, "AGENCY_ONLY").clone(),
        "WRITTEN_OFF",
        "x",
    )
    .await;
    assert_eq!(stale.code(), Some("CONFLICT"));
    let current = of_class(&now_open, "AGENCY_ONLY").clone();
    resolve(
        &app,
        &month.finance,
        &current,
        "AGENCY_TO_REMIT",
        "asked ALPHA to remit",
    )
    .await
    .data();
    assert_eq!(
        items(&app, &month.finance, &again, Some(true)).await.len(),
        2
    );
}
