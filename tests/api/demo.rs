//! The demo: one world a new user can explore, loaded once, refused on a database that
//! has data, with a token per role that survives restarts.

use std::collections::BTreeSet;

use agencyflow::demo::{self, Size};
use entity::api_token::Role;
use entity::compliance_incident;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::fixtures;
use crate::helpers::{TestApp, spawn_app, spawn_app_after, token};

/// A small demo, so the tests stay fast: three of the six simulated agencies.
pub const SMALL: Size = Size {
    accounts: 400,
    agencies: 3,
};

/// A fresh app over a small demo, once the jobs of a first start on the real clock have
/// run (the scheduler is off in tests).
pub async fn demo_app() -> TestApp {
    let app = spawn_app_after(async |settings, db| {
        let printed = demo::load_with_history(settings, db, SMALL)
            .await
            .expect("load the demo with its history");
        assert!(
            printed.contains("demo book loaded: 9 more agencies"),
            "{printed}"
        );
        assert!(
            demo::load_with_history(settings, db, SMALL).await.is_err(),
            "a second load is refused"
        );
    })
    .await;
    for job in ["idle_watch", "performance_snapshot", "reassignment_review"] {
        app.admin(
            "mutation RunJob($name: String!) { runJob(name: $name) { status } }",
            json!({ "name": job }),
        )
        .await
        .data();
    }
    app
}

fn codes(answer: &Value, path: &[&str]) -> Vec<String> {
    let mut value = answer;
    for key in path {
        value = &value[*key];
    }
    value
        .as_array()
        .unwrap_or_else(|| panic!("{path:?} is not a list: {answer}"))
        .iter()
        .map(|row| row["node"]["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_is_one_world_with_real_scores_and_the_incidents_of_a_month() {
    let app = demo_app().await;
    assert!(demo::is_demo_database(&app.db).await.unwrap());

    let agencies = app
        .admin(
            "{ agencies(first: 50) { edges { node { id code status kindsOfWork qualifications { qualificationType status expiresOn } } } } }",
            json!({}),
        )
        .await;
    let listed = codes(agencies.data(), &["agencies", "edges"]);
    assert_eq!(listed.len(), 12, "{listed:?}");
    assert!(
        listed.iter().all(|code| !code.starts_with("SIM")),
        "no simulator agency in the demo: {listed:?}"
    );
    assert_eq!(
        agencies.data()["agencies"]["edges"][0]["node"],
        json!({ "id": "1", "code": "ACME", "status": "ACTIVE", "kindsOfWork": ["EARLY_STAGE", "LATE_STAGE"], "qualifications": agencies.data()["agencies"]["edges"][0]["node"]["qualifications"] }),
        "the README's agency 1 is ACME"
    );
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

    // Only the agencies that work hold work.
    let holders: BTreeSet<String> = app
        .admin(
            "{ placements(first: 500, filter: { status: [ACTIVE] }) { edges { node { agency { code } } } } }",
            json!({}),
        )
        .await
        .data()["placements"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["agency"]["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        holders,
        BTreeSet::from(["ACME".into(), "BLUEWATER".into(), "SUMMIT".into()])
    );

    // The league table: every agency that holds work, with real figures.
    let league = app
        .admin(
            "{ agencyScorecards { rows { agency { code } score recoveryRate collected { amount } } } }",
            json!({}),
        )
        .await;
    let rows = league.data()["agencyScorecards"]["rows"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(rows.len(), 3, "{}", league.body);
    for row in &rows {
        let positive = |field: &Value| {
            field
                .as_str()
                .and_then(|v| v.parse::<f64>().ok())
                .is_some_and(|v| v > 0.0)
        };
        assert!(
            positive(&row["score"])
                && positive(&row["recoveryRate"])
                && positive(&row["collected"]["amount"]),
            "{}",
            league.body
        );
    }

    // The incidents a month of three agencies would raise, not thousands.
    let incidents = compliance_incident::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert!(
        (1..=SMALL.accounts as u64 / 5).contains(&incidents),
        "{incidents} incidents"
    );

    let uk = app.admin(r#"{ accounts(first: 500, filter: { region: "UK" }) { edges { node { debtor { timeZone } outstanding { currency } } } } }"#, json!({})).await;
    let uk = uk.data()["accounts"]["edges"].as_array().unwrap().clone();
    assert_eq!(uk.len(), 500);
    assert!(
        uk.iter()
            .all(|e| e["node"]["debtor"]["timeZone"] == "Europe/London"
                && e["node"]["outstanding"]["currency"] == "GBP")
    );

    let statements = app
        .admin(
            r#"{ commissionStatements(filter: { status: PAID }, first: 50) { edges { node { agency { code } } } } }"#,
            json!({}),
        )
        .await;
    assert!(
        statements.data()["commissionStatements"]["edges"]
            .as_array()
            .unwrap()
            .len()
            >= 3,
        "{}",
        statements.body
    );

    let auditor = token(&app.db, Role::Auditor, None).await;
    let audit = app.gql(Some(&auditor), r#"{ auditEvents(filter: { action: "demo.load" }) { edges { node { actor after } } } }"#, json!({})).await;
    assert_eq!(
        audit.data()["auditEvents"]["edges"][0]["node"]["actor"],
        "system:demo"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_prints_a_working_token_per_role_and_the_same_ones_on_restart() {
    let app = spawn_app().await;
    fixtures::agency(&app.db, "ACME").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agencyflow.db.demo-tokens");

    let first = demo::tokens(&app.db, &file).await.unwrap();
    let roles: BTreeSet<String> = first.iter().map(|t| format!("{:?}", t.role)).collect();
    let every_role: BTreeSet<String> = [
        Role::Admin,
        Role::VendorManager,
        Role::Agency,
        Role::Finance,
        Role::Auditor,
    ]
    .iter()
    .map(|role| format!("{role:?}"))
    .collect();
    assert_eq!(roles, every_role);
    for printed in &first {
        let me = app
            .gql(
                Some(&printed.secret),
                "{ me { role agency { code } } }",
                json!({}),
            )
            .await;
        assert_eq!(
            me.data()["me"]["agency"]["code"].as_str(),
            printed.agency.as_deref(),
            "{printed}"
        );
        assert!(printed.to_string().ends_with(&printed.secret));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner reads the tokens");
    }

    let again = demo::tokens(&app.db, &file).await.unwrap();
    assert_eq!(again, first, "a restart prints the same tokens");

    // Two starts minted five tokens, no more.
    let tokens = app
        .admin(
            "{ apiTokens(first: 500) { edges { node { id label revokedAt } } } }",
            json!({}),
        )
        .await;
    let demo_tokens: Vec<&Value> = tokens.data()["apiTokens"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["node"]["label"]
                .as_str()
                .is_some_and(|l| l.starts_with("demo "))
        })
        .collect();
    assert_eq!(demo_tokens.len(), 5, "{}", tokens.body);

    // A revoked token is replaced; the others stay.
    let finance = &first
        .iter()
        .find(|t| t.role == Role::Finance)
        .unwrap()
        .secret;
    let finance_id = app
        .gql(Some(finance), "{ me { tokenId } }", json!({}))
        .await
        .data()["me"]["tokenId"]
        .clone();
    app.admin(
        "mutation Revoke($id: ID!) { revokeApiToken(id: $id) { id } }",
        json!({ "id": finance_id }),
    )
    .await
    .data();
    let third = demo::tokens(&app.db, &file).await.unwrap();
    for (before, after) in first.iter().zip(&third) {
        assert_eq!(
            before == after,
            before.role != Role::Finance,
            "{before} / {after}"
        );
    }
    assert_eq!(demo::tokens(&app.db, &file).await.unwrap(), third);
}
