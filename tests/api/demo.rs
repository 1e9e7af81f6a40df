//! The demo: one world a new user can explore, loaded once, refused on a database that
//! has data, with a token per role that survives restarts.

use std::collections::BTreeSet;
use std::sync::Arc;

use agencyflow::config::Settings;
use std::path::Path;

use agencyflow::demo::{self, DemoAccess, DemoPerson, Size};
use agencyflow_graphql::domain::Caller;
use agencyflow_graphql::domain::clock::ManualClock;
use agencyflow_graphql::domain::identity::integrations::{self, NewIntegration};
use agencyflow_graphql::domain::tokens::TokenLifetime;
use chrono::{Datelike, Duration, Months, Utc};
use entity::api_token::Role;
use entity::{commission_statement, compliance_incident};
use sea_orm::ActiveEnum;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder};
use serde_json::{Value, json};

use crate::fixtures;
use crate::helpers::{
    TestApp, spawn_app, spawn_app_after, spawn_app_after_on, test_settings, token,
};
use crate::people::{Person, as_session, signed_in};

/// A small demo, so the tests stay fast: fewer accounts, the same agencies (and ids) as
/// the whole one, so the README's examples hold.
pub const SMALL: Size = Size {
    accounts: 400,
    agencies: Size::FULL.agencies,
};

/// A fresh app over a small demo, once the jobs of a first start on the real clock have
/// run (the scheduler is off in tests).
pub async fn demo_app() -> TestApp {
    let app = spawn_app_after(load_small).await;
    run_first_jobs(&app).await;
    app
}

/// A fresh app over a small demo on a manual clock standing where the first month after
/// the simulated history has closed (`finance.close_day`), so that month's statements may
/// be drafted. No job has run on it yet: the clock stands still, one run per instant.
pub async fn demo_app_after_the_next_close() -> TestApp {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let moved = clock.clone();
    spawn_app_after_on(clock, async move |settings, db| {
        load_small(settings, db).await;
        let last = commission_statement::Entity::find()
            .order_by_desc(commission_statement::Column::PeriodEnd)
            .one(db)
            .await
            .expect("read the statements")
            .expect("the simulated history drafts statements");
        // The month after the last one drafted closes on close_day of the month after it.
        let closes = (last.period_end + Duration::days(1))
            .checked_add_months(Months::new(1))
            .and_then(|d| d.with_day(settings.finance.close_day))
            .expect("a close day");
        let at = closes.and_hms_opt(12, 0, 0).expect("noon").and_utc();
        moved
            .advance_to(at)
            .expect("the close is ahead of the real clock");
    })
    .await
}

async fn load_small(settings: &Settings, db: &DatabaseConnection) {
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
}

async fn run_first_jobs(app: &TestApp) {
    for job in ["idle_watch", "performance_snapshot", "reassignment_review"] {
        app.admin(
            "mutation RunJob($name: String!) { runJob(name: $name) { status } }",
            json!({ "name": job }),
        )
        .await
        .data();
    }
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
    assert_eq!(listed.len(), 15, "{listed:?}");
    assert!(
        listed.iter().all(|code| !code.starts_with("SIM")),
        "no simulator agency in the demo: {listed:?}"
    );
    // The README's ids: agency 1 is ACME, 7 is CARDINAL.
    for (index, code) in [(0, "ACME"), (6, "CARDINAL")] {
        let node = &agencies.data()["agencies"]["edges"][index]["node"];
        assert_eq!(
            (node["id"].as_str(), node["code"].as_str()),
            (Some((index + 1).to_string().as_str()), Some(code))
        );
    }
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
    let simulated: BTreeSet<String> = [
        "ACME",
        "BLUEWATER",
        "SUMMIT",
        "LIBERTY",
        "KEYSTONE",
        "GULFSTAR",
    ]
    .map(String::from)
    .into();
    assert_eq!(holders, simulated);

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
    assert_eq!(rows.len(), simulated.len(), "{}", league.body);
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

    // The incidents a month would raise, not thousands.
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
            >= simulated.len(),
        "{}",
        statements.body
    );

    readme_examples_work_as_printed(&app).await;

    // The demo's people: the lender's five and a user per agency.
    let dir = tempfile::tempdir().unwrap();
    let access = demo_access(&app, &dir.path().join("demo.db.demo-tokens")).await;
    let agency_people: BTreeSet<&str> = access
        .people
        .iter()
        .filter_map(|p| p.agency.as_deref())
        .collect();
    assert_eq!(
        agency_people,
        listed.iter().map(String::as_str).collect(),
        "{access:?}"
    );
    assert_eq!(access.people.len(), 5 + listed.len());

    let auditor = token(&app.db, Role::Auditor, None).await;
    let audit = app.gql(Some(&auditor), r#"{ auditEvents(filter: { action: "demo.load" }) { edges { node { actor after } } } }"#, json!({})).await;
    assert_eq!(
        audit.data()["auditEvents"]["edges"][0]["node"]["actor"],
        "system:demo"
    );
}

/// The demo's people and tokens for `app`, kept in `file`.
async fn demo_access(app: &TestApp, file: &Path) -> DemoAccess {
    let identity = test_settings(&app.database_url)
        .sign_in
        .identity()
        .expect("identity");
    demo::people(&app.db, &identity, file, TokenLifetime::default())
        .await
        .expect("the demo's people")
}

fn person<'a>(access: &'a DemoAccess, email: &str) -> &'a DemoPerson {
    access
        .people
        .iter()
        .find(|p| p.email == email)
        .unwrap_or_else(|| panic!("no demo person {email}: {access:?}"))
}

/// The demo tokens' rows of `apiTokens` (those labelled "demo …"), with `fields`.
async fn demo_token_rows(app: &TestApp, fields: &str) -> Vec<Value> {
    let tokens = app
        .admin(
            &format!("{{ apiTokens(first: 500) {{ edges {{ node {{ label {fields} }} }} }} }}"),
            json!({}),
        )
        .await;
    tokens.data()["apiTokens"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .filter(|node| {
            node["label"]
                .as_str()
                .is_some_and(|l| l.starts_with("demo "))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_prints_its_people_and_a_personal_token_per_role_and_the_same_on_restart() {
    let app = spawn_app().await;
    fixtures::agency(&app.db, "ACME").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agencyflow.db.demo-tokens");

    let first = demo_access(&app, &file).await;
    let people: Vec<String> = first.people.iter().map(|p| p.to_string()).collect();
    let roles: Vec<String> = first
        .people
        .iter()
        .map(|p| format!("{:?} {:?}", p.role, p.agency))
        .collect();
    assert_eq!(
        roles,
        [
            "Admin None",
            "VendorManager None",
            "Finance None",
            "Finance None",
            "Auditor None",
            "Agency Some(\"ACME\")",
        ],
        "{people:#?}"
    );
    // Every person signs in with the printed password; no role must use MFA here.
    for printed in &first.people {
        let cookie = signed_in(
            &app,
            &Person {
                id: String::new(),
                email: printed.email.clone(),
                password: printed.password.clone(),
            },
        )
        .await;
        let me = as_session(
            &app,
            &cookie,
            "{ me { role user { email } agency { code } } }",
            json!({}),
        )
        .await;
        assert_eq!(me.data()["me"]["user"]["email"], printed.email.as_str());
        assert_eq!(me.data()["me"]["role"], printed.role.to_value().as_str());
        assert_eq!(
            me.data()["me"]["agency"]["code"].as_str(),
            printed.agency.as_deref()
        );
        assert!(
            printed.to_string().ends_with(&printed.password),
            "{printed}"
        );
    }

    // A token per role, each a personal token of that role's first person.
    let roles: BTreeSet<String> = first
        .tokens
        .iter()
        .map(|t| format!("{:?}", t.role))
        .collect();
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
    for printed in &first.tokens {
        let me = app
            .gql(
                Some(&printed.secret),
                "{ me { role via user { email } agency { code } } }",
                json!({}),
            )
            .await;
        let holder = first
            .people
            .iter()
            .find(|p| p.role == printed.role)
            .unwrap();
        assert_eq!(
            me.data()["me"]["user"]["email"],
            holder.email.as_str(),
            "{printed}"
        );
        assert_eq!(me.data()["me"]["via"], "API_TOKEN");
        assert_eq!(
            me.data()["me"]["agency"]["code"].as_str(),
            printed.agency.as_deref(),
            "{printed}"
        );
        assert!(printed.to_string().ends_with(&printed.secret));
    }
    assert_eq!(
        person(&first, "ops@acme.example").role,
        Role::Agency,
        "ACME's user holds the AGENCY token"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner reads the secrets");
    }

    let again = demo_access(&app, &file).await;
    assert_eq!(again, first, "a restart prints the same people and tokens");
    assert_eq!(
        demo_token_rows(&app, "id").await.len(),
        5,
        "two starts minted five tokens"
    );

    // A revoked token is replaced; the others stay.
    let finance = &first
        .tokens
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
    let third = demo_access(&app, &file).await;
    assert_eq!(third.people, first.people);
    for (before, after) in first.tokens.iter().zip(&third.tokens) {
        assert_eq!(
            before == after,
            before.role != Role::Finance,
            "{before} / {after}"
        );
    }
    assert_eq!(demo_access(&app, &file).await, third);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_puts_back_a_demo_person_someone_disabled_or_gave_another_password() {
    let app = spawn_app().await;
    fixtures::agency(&app.db, "ACME").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agencyflow.db.demo-tokens");
    let first = demo_access(&app, &file).await;
    let id_of = async |email: &str| {
        let users = app
            .admin("{ users(first: 50) { nodes { id email } } }", json!({}))
            .await;
        users.data()["users"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .map(|u| u["id"].clone())
            .unwrap()
    };
    let manager = id_of("vendor.manager@lender.example").await;
    app.admin(
        "mutation Disable($id: ID!) { disableUser(id: $id) { status } }",
        json!({ "id": manager }),
    )
    .await
    .data();
    let controller = person(&first, "finance.controller@lender.example").clone();
    let link = app
        .admin(
            "mutation Reset($id: ID!) { resetUserPassword(id: $id) { token } }",
            json!({ "id": id_of(&controller.email).await }),
        )
        .await;
    app.gql(
        None,
        "mutation Set($token: String!) { setPassword(token: $token, newPassword: \"someone else's choice\") { id } }",
        json!({ "token": link.data()["resetUserPassword"]["token"] }),
    )
    .await
    .data();

    let again = demo_access(&app, &file).await;
    assert_eq!(again.people, first.people, "the same passwords");
    for email in ["vendor.manager@lender.example", &controller.email] {
        let printed = person(&again, email);
        signed_in(
            &app,
            &Person {
                id: String::new(),
                email: printed.email.clone(),
                password: printed.password.clone(),
            },
        )
        .await;
    }
    let manager_token = &again
        .tokens
        .iter()
        .find(|t| t.role == Role::VendorManager)
        .unwrap()
        .secret;
    let me = app
        .gql(Some(manager_token), "{ me { role } }", json!({}))
        .await;
    assert_eq!(
        me.data()["me"]["role"],
        "VENDOR_MANAGER",
        "disabling revoked the old token: a new one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tokens_file_from_before_the_demo_had_people_is_migrated() {
    let app = spawn_app().await;
    fixtures::agency(&app.db, "ACME").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agencyflow.db.demo-tokens");
    // What the demo minted then: an integration's token per role, the file their secrets.
    let old = integrations::create_with_token(
        &app.db,
        &Caller::system("demo", Utc::now()),
        NewIntegration {
            name: "demo admin".into(),
            role: Role::Admin,
            agency_id: None,
        },
        None,
        TokenLifetime::default(),
    )
    .await
    .unwrap();
    std::fs::write(&file, format!("ADMIN {}\n", old.secret)).unwrap();

    let access = demo_access(&app, &file).await;
    let admin = access
        .tokens
        .iter()
        .find(|t| t.role == Role::Admin)
        .unwrap();
    assert_ne!(admin.secret, old.secret);
    let me = app
        .gql(Some(&admin.secret), "{ me { user { email } } }", json!({}))
        .await;
    assert_eq!(me.data()["me"]["user"]["email"], "admin@lender.example");
    let refused = app
        .gql(Some(&old.secret), "{ me { role } }", json!({}))
        .await;
    assert_eq!(
        refused.code(),
        Some("UNAUTHENTICATED"),
        "the integration's token is revoked"
    );
    assert_eq!(demo_access(&app, &file).await, access);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_does_not_mark_the_demo_tokens_used() {
    let app = spawn_app().await;
    fixtures::agency(&app.db, "ACME").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agencyflow.db.demo-tokens");
    let first = demo_access(&app, &file).await;
    let again = demo_access(&app, &file).await;
    assert_eq!(again, first);
    // A use is recorded in the background: give one the time to land.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let demo_tokens = demo_token_rows(&app, "lastUsedAt").await;
    assert_eq!(demo_tokens.len(), 5, "{demo_tokens:?}");
    assert!(
        demo_tokens.iter().all(|node| node["lastUsedAt"].is_null()),
        "only a request is a use: {demo_tokens:?}"
    );
}

/// The README's example queries and its allocation example, each run as the role its
/// comment names (ADMIN otherwise), find something on a fresh demo.
async fn readme_examples_work_as_printed(app: &TestApp) {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let block_after = |heading: &str| {
        readme
            .split_once(heading)
            .and_then(|(_, rest)| rest.split_once("```graphql\n"))
            .and_then(|(_, rest)| rest.split_once("```"))
            .map(|(block, _)| block.to_owned())
            .unwrap_or_else(|| panic!("the README has examples after {heading}"))
    };
    let acme = agency_token(app, "ACME").await;
    let mut examples = Vec::new();
    for block in [
        block_after("### Example queries"),
        block_after("Example, on a fresh demo: 70% of the UK early-stage"),
    ] {
        examples.extend(documents(&block));
    }
    assert!(examples.len() >= 7, "{examples:?}");
    for (comment, query) in examples {
        let caller = if comment.contains("AGENCY token") {
            &acme
        } else {
            &app.admin_token
        };
        let answer = app.gql(Some(caller), &query, json!({})).await;
        let text = answer.body.to_string();
        assert!(
            answer.body.get("errors").is_none() && !text.contains("[]") && !text.contains(":0,"),
            "the README example \"{comment}\" finds nothing on the demo:\n{query}\n{}",
            answer.body
        );
    }
}

/// The GraphQL documents of a README block, each with the comment before it: a document
/// starts on a line that is not indented.
fn documents(block: &str) -> Vec<(String, String)> {
    let mut documents: Vec<(String, String)> = Vec::new();
    let mut comment = String::new();
    for line in block.lines() {
        if let Some(text) = line.strip_prefix("# ") {
            comment = text.to_owned();
        } else if line.starts_with(['{', 'm', 'q']) {
            documents.push((comment.clone(), format!("{line}\n")));
        } else if let Some((_, query)) = documents.last_mut() {
            query.push_str(line);
            query.push('\n');
        }
    }
    documents
}

async fn agency_token(app: &TestApp, code: &str) -> String {
    let agencies = app
        .admin(
            "{ agencies(first: 50) { edges { node { id code } } } }",
            json!({}),
        )
        .await;
    let id = agencies.data()["agencies"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["code"] == code)
        .and_then(|e| e["node"]["id"].as_str())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no agency {code}"));
    token(&app.db, Role::Agency, Some(id)).await
}
