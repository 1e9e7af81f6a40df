//! Performance: the league table by window and segment, and the reassignment review.

use super::console_as;
use crate::demo::demo_app_after_the_next_close;

#[tokio::test]
async fn the_league_table_ranks_agencies_per_window_and_the_review_runs_on_demand() {
    let app = demo_app_after_the_next_close().await;
    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    let page = manager.get("/performance").await;
    assert_eq!(page.status, 200);
    page.shows("ACME")
        .shows(r#"aria-current="page">Last 90 days<"#)
        .shows("Recovery rate")
        .shows("Reassignment");
    manager
        .get("/performance?window=LAST_30_DAYS")
        .await
        .shows(r#"aria-current="page">Last 30 days<"#);
    let csv = manager.get("/performance?format=csv").await;
    assert!(csv.body.starts_with("Rank,Agency,Score"), "{}", csv.body);
    assert!(csv.body.contains("ACME"));

    let reviewed = manager
        .post("/performance/reassignment/run", &[("dryRun", "true")])
        .await;
    assert_eq!(reviewed.status, 200);
    reviewed.shows("The review would make");

    let auditor = console_as(&app, "AUDITOR", None).await;
    auditor
        .get("/performance")
        .await
        .shows("ACME")
        .lacks("Review every agency now");
    let finance = console_as(&app, "FINANCE", None).await;
    assert_eq!(finance.get("/performance").await.status, 403);
}

#[tokio::test]
async fn a_second_manager_holds_approves_and_overrides_the_decisions_of_a_review() {
    let app = demo_app_after_the_next_close().await;
    // An audit finds four HIGH breaches at ACME: the demo's policies call for probation.
    let acme = app
        .admin(
            "{ agencies { edges { node { id code } } } }",
            serde_json::json!({}),
        )
        .await
        .data()["agencies"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["code"] == "ACME")
        .map(|e| e["node"]["id"].clone())
        .unwrap();
    for n in 1..=4 {
        app.admin(
            "mutation($input: RaiseComplianceIncidentInput!) { raiseComplianceIncident(input: $input) { id } }",
            serde_json::json!({ "input": { "agencyId": acme, "source": "AUDIT", "severity": "HIGH",
                "rule": "AUDIT_FINDING", "summary": format!("finding {n}") } }),
        )
        .await
        .data();
    }
    let first = console_as(&app, "VENDOR_MANAGER", None).await;
    let reviewed = first
        .post("/performance/reassignment/run", &[("dryRun", "false")])
        .await;
    reviewed.shows("The review made");
    let page = first.get("/performance").await;
    let ids: Vec<String> = page
        .body
        .split(r#"action="/performance/decisions/"#)
        .skip(1)
        .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect())
        .collect();
    assert!(ids.len() >= 2, "two decisions to act on: {ids:?}");
    page.shows(r#"value="approve""#).shows(r#"value="hold""#);
    // Whoever ran the review may not act on its decisions: the refusal is in words.
    let own = first
        .post(
            &format!("/performance/decisions/{}", ids[0]),
            &[("act", "approve"), ("reason", "mine")],
        )
        .await;
    own.shows(r#"role="alert""#).shows("cannot approve");

    let second = console_as(&app, "VENDOR_MANAGER", None).await;
    let at = |id: &str| format!("/performance/decisions/{id}");
    second
        .post(
            &at(&ids[0]),
            &[("act", "hold"), ("reason", "waiting for the agency's plan")],
        )
        .await
        .shows("is held")
        .shows("waiting for the agency's plan")
        .shows(r#"href="/performance?format=csv""#);
    second
        .post(
            &at(&ids[1]),
            &[("act", "approve"), ("reason", "the figures are clear")],
        )
        .await
        .shows("is approved and has run");
    let after = second.get("/performance").await;
    after.shows(">Held<");
    second
        .post(
            &at(&ids[0]),
            &[("act", "override"), ("reason", "the plan was agreed")],
        )
        .await
        .shows("is overridden");
    let unknown = second
        .post(&at(&ids[0]), &[("act", "shred"), ("reason", "x")])
        .await;
    assert_eq!(unknown.status, 400);
}
