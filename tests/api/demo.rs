//! The demo data set: believable, loaded once, refused on a database that has data.

use entity::api_token::Role;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_after, token};

#[tokio::test]
async fn the_demo_fills_an_empty_database_once() {
    let app = spawn_app().await;
    let summary = agencyflow::demo::load(&app.db)
        .await
        .expect("load the demo");
    assert_eq!(summary.agencies, 12);
    assert_eq!(summary.portfolios, 3);
    assert_eq!(summary.accounts, 4200);
    assert!(summary.placements > 2500, "{summary}");
    assert!(
        agencyflow::demo::load(&app.db).await.is_err(),
        "a second load is refused"
    );

    let agencies = app
        .admin(
            "{ agencies(first: 50) { edges { node { code status kindsOfWork qualifications { qualificationType status expiresOn } } } } }",
            json!({}),
        )
        .await;
    let edges = agencies.data()["agencies"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), 12);
    let text = agencies.body.to_string();
    for expected in [
        "LEGAL",
        "DIGITAL",
        "LATE_STAGE",
        "EXPIRED",
        "PENDING_REVIEW",
        "PROBATION",
        "ONBOARDING",
    ] {
        assert!(text.contains(expected), "the demo shows {expected}");
    }

    let uk = app.admin(r#"{ accounts(first: 500, filter: { region: "UK" }) { edges { node { debtor { timeZone } outstanding { currency } } } } }"#, json!({})).await;
    let uk = uk.data()["accounts"]["edges"].as_array().unwrap().clone();
    assert_eq!(uk.len(), 500);
    assert!(
        uk.iter()
            .all(|e| e["node"]["debtor"]["timeZone"] == "Europe/London"
                && e["node"]["outstanding"]["currency"] == "GBP")
    );

    let tokens = agencyflow::demo::issue_tokens(&app.db).await.unwrap();
    let me = app.gql(Some(&tokens.agency), "{ me { role agency { code } } placements(first: 1) { edges { node { agency { code } } } } }", json!({})).await;
    assert_eq!(me.data()["me"]["agency"]["code"], tokens.agency_code);
    assert_eq!(
        me.data()["placements"]["edges"][0]["node"]["agency"]["code"],
        tokens.agency_code
    );
    let admin = app
        .gql(Some(&tokens.admin), "{ me { role } }", json!({}))
        .await;
    assert_eq!(admin.data()["me"]["role"], "ADMIN");

    let auditor = token(&app.db, Role::Auditor, None).await;
    let audit = app.gql(Some(&auditor), r#"{ auditEvents(filter: { action: "demo.load" }) { edges { node { actor after } } } }"#, json!({})).await;
    assert_eq!(
        audit.data()["auditEvents"]["edges"][0]["node"]["actor"],
        "system:demo"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_has_a_simulated_history_with_scores_incidents_and_paid_statements() {
    let app = spawn_app_after(async |settings, db| {
        let printed = agencyflow::demo::load_with_history(settings, db)
            .await
            .expect("load the demo with its history");
        assert!(
            printed.contains("demo data loaded: 12 agencies"),
            "{printed}"
        );
        assert!(
            agencyflow::demo::load_with_history(settings, db)
                .await
                .is_err(),
            "a second load is refused"
        );
    })
    .await;
    assert!(agencyflow::demo::is_demo_database(&app.db).await.unwrap());

    let scores = app
        .admin(
            r#"{ agencyScorecards(segment: "*", window: LAST_90_DAYS, currency: "USD") { rows { agency { code } score rank } } }"#,
            json!({}),
        )
        .await;
    let rows = scores.data()["agencyScorecards"]["rows"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(rows.len(), 8, "{}", scores.body);
    assert!(
        rows.iter().all(|r| !r["score"].is_null()),
        "every agency has a verdict: {}",
        scores.body
    );

    let incidents = app
        .admin(
            r#"{ complianceIncidents(filter: { severity: HIGH }, first: 1) { edges { node { rule agency { code } } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        incidents.data()["complianceIncidents"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{}",
        incidents.body
    );

    let statements = app
        .admin(
            r#"{ commissionStatements(filter: { status: PAID }, first: 50) { edges { node { agency { code } payable { amount } } } } }"#,
            json!({}),
        )
        .await;
    assert!(
        statements.data()["commissionStatements"]["edges"]
            .as_array()
            .unwrap()
            .len()
            >= 8,
        "{}",
        statements.body
    );
}
