//! Compliance incidents from complaints and audits: who raises them, the agency's
//! acknowledgement, closing them, and who reads which.

use chrono::{Duration, Utc};
use entity::api_token::Role;
use entity::outbox_event;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::fixtures::{self, Book};
use crate::helpers::{Answer, TestApp, spawn_app, token};

const RAISE: &str = r#"
mutation Raise($input: RaiseComplianceIncidentInput!) {
  raiseComplianceIncident(input: $input) {
    id accountId placementId source rule severity status summary evidence occurredAt raisedBy
    agency { code }
  }
}"#;
const ACKNOWLEDGE: &str = r#"
mutation($id: ID!, $note: String!) {
  acknowledgeIncident(id: $id, note: $note) { id status acknowledgedAt acknowledgedBy acknowledgementNote }
}"#;
const RESOLVE: &str = r#"
mutation($id: ID!, $note: String!) {
  resolveIncident(id: $id, note: $note) { id status closedAt closedBy closingNote }
}"#;
const WAIVE: &str = r#"
mutation($id: ID!, $note: String!) {
  waiveIncident(id: $id, note: $note) { id status closedAt closedBy closingNote }
}"#;
const LIST: &str = r#"
query($filter: ComplianceIncidentsFilter, $first: Int, $after: String) {
  complianceIncidents(filter: $filter, first: $first, after: $after) {
    edges { node { id agency { code } } }
    pageInfo { hasNextPage endCursor }
  }
}"#;
const ONE: &str = "query($id: ID!) { complianceIncident(id: $id) { id status agency { code } } }";

/// The people who handle incidents in these tests.
struct Staff {
    manager: String,
    auditor: String,
    alpha: String,
    bravo: String,
}

async fn staff(app: &TestApp, book: &Book) -> Staff {
    Staff {
        manager: token(&app.db, Role::VendorManager, None).await,
        auditor: token(&app.db, Role::Auditor, None).await,
        alpha: token(&app.db, Role::Agency, Some(book.agency_a.id)).await,
        bravo: token(&app.db, Role::Agency, Some(book.agency_b.id)).await,
    }
}

/// A complaint of harassment against `agency_id`, with `extra` fields merged in.
fn complaint(agency_id: i64, extra: Value) -> Value {
    let mut input = json!({
        "agencyId": agency_id.to_string(),
        "source": "COMPLAINT",
        "severity": "CRITICAL",
        "rule": "HARASSMENT",
        "summary": "The debtor reports calls every hour on a Sunday",
    });
    for (key, value) in extra.as_object().unwrap() {
        input[key] = value.clone();
    }
    json!({ "input": input })
}

async fn raise(app: &TestApp, token: &str, variables: Value) -> Answer {
    app.gql(Some(token), RAISE, variables).await
}

/// Raises through the API and returns the new incident's id.
async fn raised(app: &TestApp, token: &str, variables: Value) -> String {
    let answer = raise(app, token, variables).await;
    answer.data()["raiseComplianceIncident"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn step(app: &TestApp, token: &str, document: &str, id: &str, note: &str) -> Answer {
    app.gql(Some(token), document, json!({ "id": id, "note": note }))
        .await
}

async fn listed(app: &TestApp, token: &str, filter: Value) -> Vec<String> {
    let answer = app
        .gql(Some(token), LIST, json!({ "filter": filter }))
        .await;
    answer.data()["complianceIncidents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn outbox(app: &TestApp, topic: &str) -> Vec<outbox_event::Model> {
    outbox_event::Entity::find()
        .filter(outbox_event::Column::Topic.eq(topic))
        .order_by_asc(outbox_event::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

/// The incident's audit trail, oldest first: (action, status before, status after).
async fn history(app: &TestApp, token: &str, id: &str) -> Vec<(Value, Value, Value)> {
    let audit = app
        .gql(
            Some(token),
            r#"query($id: String!) { auditEvents(filter: { entityType: "compliance_incident", entityId: $id }) {
                 edges { node { action before after } } } }"#,
            json!({ "id": id }),
        )
        .await;
    audit.data()["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|edge| {
            let node = &edge["node"];
            (
                node["action"].clone(),
                node["before"]["status"].clone(),
                node["after"]["status"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn vendor_managers_and_auditors_raise_incidents_and_nobody_else_does() {
    let app = spawn_app().await;
    let book = fixtures::book(&app.db).await;
    let staff = staff(&app, &book).await;

    let occurred_at = (Utc::now() - Duration::days(2)).to_rfc3339();
    let by_manager = raise(
        &app,
        &staff.manager,
        complaint(
            book.agency_a.id,
            json!({
                "accountId": book.accounts[0].id.to_string(),
                "evidence": { "complaintRef": "CFPB-123", "calls": 9 },
                "occurredAt": occurred_at,
            }),
        ),
    )
    .await;
    let incident = &by_manager.data()["raiseComplianceIncident"];
    assert_eq!(incident["status"], "OPEN");
    assert_eq!(incident["source"], "COMPLAINT");
    assert_eq!(incident["severity"], "CRITICAL");
    assert_eq!(incident["rule"], "HARASSMENT");
    assert_eq!(incident["agency"]["code"], "ALPHA");
    assert_eq!(incident["accountId"], book.accounts[0].id.to_string());
    assert_eq!(
        incident["placementId"],
        book.placements[0].id.to_string(),
        "tied to the agency's placement of the account"
    );
    assert_eq!(incident["evidence"]["complaintRef"], "CFPB-123");
    assert!(incident["raisedBy"].as_str().unwrap().starts_with("user:"));

    // An audit finding on an account the agency never held, and one on no account.
    let finding = raise(
        &app,
        &staff.auditor,
        json!({ "input": {
            "agencyId": book.agency_a.id.to_string(),
            "accountId": book.accounts[2].id.to_string(),
            "source": "AUDIT",
            "severity": "MEDIUM",
            "rule": "CALL_RECORDINGS_MISSING",
            "summary": "Two of twenty sampled calls had no recording",
        } }),
    )
    .await;
    let finding = &finding.data()["raiseComplianceIncident"];
    assert_eq!(finding["source"], "AUDIT");
    assert_eq!(finding["placementId"], Value::Null);
    assert_eq!(finding["evidence"], json!({}));
    let no_account = raise(
        &app,
        &app.admin_token,
        json!({ "input": {
            "agencyId": book.agency_b.id.to_string(),
            "source": "AUDIT",
            "severity": "LOW",
            "rule": "TRAINING_RECORDS",
            "summary": "Training records a month late",
        } }),
    )
    .await;
    assert_eq!(
        no_account.data()["raiseComplianceIncident"]["accountId"],
        Value::Null
    );

    let finance = token(&app.db, Role::Finance, None).await;
    for (role, secret) in [("AGENCY", &staff.alpha), ("FINANCE", &finance)] {
        let answer = raise(&app, secret, complaint(book.agency_a.id, json!({}))).await;
        assert_eq!(answer.code(), Some("FORBIDDEN"), "{role}");
    }

    let raised = outbox(&app, "compliance.incidents_raised").await;
    assert_eq!(raised.len(), 3, "one event per raise");
    assert_eq!(raised[0].agency_id, Some(book.agency_a.id));
    assert_eq!(raised[0].payload["incidents"][0]["rule"], "HARASSMENT");
}

#[tokio::test]
async fn bad_incidents_are_refused_naming_the_field_at_fault() {
    let app = spawn_app().await;
    let book = fixtures::book(&app.db).await;
    let agency = book.agency_a.id;
    let tomorrow = (Utc::now() + Duration::days(1)).to_rfc3339();
    let cases = [
        (json!({ "source": "AUTOMATIC" }), "source"),
        (json!({ "rule": "harassment" }), "rule"),
        (json!({ "rule": "H" }), "rule"),
        (json!({ "rule": "A".repeat(49) }), "rule"),
        (json!({ "summary": "   " }), "summary"),
        (json!({ "occurredAt": tomorrow }), "occurredAt"),
        (json!({ "evidence": [1, 2] }), "evidence"),
        (json!({ "accountId": "abc" }), "accountId"),
        (json!({ "agencyId": "-4" }), "agencyId"),
    ];
    for (extra, field) in cases {
        let answer = raise(&app, &app.admin_token, complaint(agency, extra.clone())).await;
        assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{extra}");
        assert_eq!(
            answer.body["errors"][0]["extensions"]["field"], field,
            "{extra}"
        );
    }
    let long_rule = raise(
        &app,
        &app.admin_token,
        complaint(agency, json!({ "rule": "A".repeat(48) })),
    )
    .await;
    assert_eq!(
        long_rule.data()["raiseComplianceIncident"]["status"],
        "OPEN"
    );

    let unknown_agency = raise(&app, &app.admin_token, complaint(9_999, json!({}))).await;
    assert_eq!(unknown_agency.code(), Some("NOT_FOUND"));
    let unknown_account = raise(
        &app,
        &app.admin_token,
        complaint(agency, json!({ "accountId": "9999" })),
    )
    .await;
    assert_eq!(unknown_account.code(), Some("NOT_FOUND"));
}

#[tokio::test]
async fn an_agency_acknowledges_only_its_own_open_incidents() {
    let app = spawn_app().await;
    let book = fixtures::book(&app.db).await;
    let staff = staff(&app, &book).await;
    let alphas = raised(&app, &staff.manager, complaint(book.agency_a.id, json!({}))).await;
    let bravos = raised(&app, &staff.manager, complaint(book.agency_b.id, json!({}))).await;

    let blank = step(&app, &staff.alpha, ACKNOWLEDGE, &alphas, "  ").await;
    assert_eq!(blank.code(), Some("BAD_USER_INPUT"));
    assert_eq!(blank.body["errors"][0]["extensions"]["field"], "note");

    let acknowledged = step(
        &app,
        &staff.alpha,
        ACKNOWLEDGE,
        &alphas,
        "Agent suspended; calls capped at 3 a day",
    )
    .await;
    let acknowledged = &acknowledged.data()["acknowledgeIncident"];
    assert_eq!(acknowledged["status"], "ACKNOWLEDGED");
    assert_eq!(
        acknowledged["acknowledgementNote"],
        "Agent suspended; calls capped at 3 a day"
    );
    assert!(
        acknowledged["acknowledgedBy"]
            .as_str()
            .unwrap()
            .starts_with("user:")
    );
    assert!(acknowledged["acknowledgedAt"].is_string());

    let again = step(&app, &staff.alpha, ACKNOWLEDGE, &alphas, "again").await;
    assert_eq!(again.code(), Some("CONFLICT"));

    let others = step(&app, &staff.alpha, ACKNOWLEDGE, &bravos, "not ours").await;
    assert_eq!(
        others.code(),
        Some("NOT_FOUND"),
        "another agency's is hidden"
    );
    let missing = step(&app, &staff.alpha, ACKNOWLEDGE, "9999", "none").await;
    assert_eq!(missing.code(), Some("NOT_FOUND"));

    for secret in [&staff.manager, &staff.auditor, &app.admin_token] {
        let answer = step(&app, secret, ACKNOWLEDGE, &bravos, "for them").await;
        assert_eq!(answer.code(), Some("FORBIDDEN"), "only the agency answers");
    }
}

#[tokio::test]
async fn managers_resolve_or_waive_once_audited_and_the_agency_is_told() {
    let app = spawn_app().await;
    let book = fixtures::book(&app.db).await;
    let staff = staff(&app, &book).await;
    let first = raised(&app, &staff.manager, complaint(book.agency_a.id, json!({}))).await;
    let second = raised(&app, &staff.manager, complaint(book.agency_a.id, json!({}))).await;
    step(&app, &staff.alpha, ACKNOWLEDGE, &second, "Our error")
        .await
        .data();

    for secret in [&staff.alpha, &staff.auditor] {
        let answer = step(&app, secret, RESOLVE, &first, "done").await;
        assert_eq!(answer.code(), Some("FORBIDDEN"));
    }
    let no_note = step(&app, &staff.manager, RESOLVE, &first, "").await;
    assert_eq!(no_note.code(), Some("BAD_USER_INPUT"));

    let resolved = step(
        &app,
        &staff.manager,
        RESOLVE,
        &first,
        "Agent retrained; debtor apologised to",
    )
    .await;
    let resolved = &resolved.data()["resolveIncident"];
    assert_eq!(resolved["status"], "RESOLVED");
    assert_eq!(
        resolved["closingNote"],
        "Agent retrained; debtor apologised to"
    );
    assert!(resolved["closedAt"].is_string());

    let waived = step(
        &app,
        &app.admin_token,
        WAIVE,
        &second,
        "Calls were on the debtor's request",
    )
    .await;
    assert_eq!(waived.data()["waiveIncident"]["status"], "WAIVED");

    for (document, id) in [
        (RESOLVE, &first),
        (WAIVE, &first),
        (RESOLVE, &second),
        (ACKNOWLEDGE, &first),
    ] {
        let secret = if document == ACKNOWLEDGE {
            &staff.alpha
        } else {
            &staff.manager
        };
        let twice = step(&app, secret, document, id, "once more").await;
        assert_eq!(twice.code(), Some("CONFLICT"), "{document}");
        let message = twice.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("already closed"), "{message}");
    }

    let closed = outbox(&app, "compliance.incident_closed").await;
    assert_eq!(closed.len(), 2);
    assert_eq!(closed[0].agency_id, Some(book.agency_a.id));
    assert_eq!(closed[0].entity_id, first);
    assert_eq!(closed[0].payload["status"], "RESOLVED");
    assert_eq!(closed[1].payload["status"], "WAIVED");
    assert_eq!(
        closed[1].payload["closingNote"],
        "Calls were on the debtor's request"
    );

    assert_eq!(
        history(&app, &staff.auditor, &first).await,
        [
            (json!("incident.raise"), Value::Null, json!("OPEN")),
            (json!("incident.resolve"), json!("OPEN"), json!("RESOLVED")),
        ]
    );
    assert_eq!(
        history(&app, &staff.auditor, &second).await,
        [
            (json!("incident.raise"), Value::Null, json!("OPEN")),
            (
                json!("incident.acknowledge"),
                json!("OPEN"),
                json!("ACKNOWLEDGED")
            ),
            (
                json!("incident.waive"),
                json!("ACKNOWLEDGED"),
                json!("WAIVED")
            ),
        ]
    );
}

#[tokio::test]
async fn incidents_are_listed_newest_first_filtered_and_scoped_to_the_agency() {
    let app = spawn_app().await;
    let book = fixtures::book(&app.db).await;
    let staff = staff(&app, &book).await;
    let long_ago = (Utc::now() - Duration::days(30)).to_rfc3339();
    let a_old = raised(
        &app,
        &staff.manager,
        complaint(
            book.agency_a.id,
            json!({ "occurredAt": long_ago, "severity": "LOW", "accountId": book.accounts[0].id.to_string() }),
        ),
    )
    .await;
    let a_audit = raised(
        &app,
        &staff.auditor,
        complaint(
            book.agency_a.id,
            json!({ "source": "AUDIT", "rule": "CALL_RECORDINGS_MISSING", "severity": "HIGH" }),
        ),
    )
    .await;
    let b_new = raised(
        &app,
        &staff.manager,
        complaint(
            book.agency_b.id,
            json!({ "accountId": book.accounts[1].id.to_string() }),
        ),
    )
    .await;
    step(
        &app,
        &staff.bravo,
        ACKNOWLEDGE,
        b_new.as_str(),
        "Looking into it",
    )
    .await
    .data();

    let everything = listed(&app, &staff.manager, json!({})).await;
    assert_eq!(
        everything,
        [b_new.as_str(), a_audit.as_str(), a_old.as_str()],
        "newest raised first"
    );
    let cases = [
        (
            json!({ "agencyId": book.agency_a.id.to_string() }),
            vec![a_audit.as_str(), a_old.as_str()],
        ),
        (
            json!({ "accountId": book.accounts[1].id.to_string() }),
            vec![b_new.as_str()],
        ),
        (json!({ "status": ["ACKNOWLEDGED"] }), vec![b_new.as_str()]),
        (
            json!({ "status": ["OPEN", "RESOLVED"] }),
            vec![a_audit.as_str(), a_old.as_str()],
        ),
        (
            json!({ "severity": ["LOW", "HIGH"] }),
            vec![a_audit.as_str(), a_old.as_str()],
        ),
        (json!({ "source": "AUDIT" }), vec![a_audit.as_str()]),
        (
            json!({ "rule": "HARASSMENT" }),
            vec![b_new.as_str(), a_old.as_str()],
        ),
        (
            json!({ "occurredFrom": (Utc::now() - Duration::days(1)).to_rfc3339() }),
            vec![b_new.as_str(), a_audit.as_str()],
        ),
        (
            json!({ "occurredTo": (Utc::now() - Duration::days(1)).to_rfc3339() }),
            vec![a_old.as_str()],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            listed(&app, &staff.manager, filter.clone()).await,
            expected,
            "{filter}"
        );
    }
    let backwards = app
        .gql(
            Some(&staff.manager),
            LIST,
            json!({ "filter": { "occurredFrom": Utc::now().to_rfc3339(), "occurredTo": long_ago } }),
        )
        .await;
    assert_eq!(backwards.code(), Some("BAD_USER_INPUT"));

    let page = app
        .gql(Some(&staff.manager), LIST, json!({ "first": 2 }))
        .await;
    let page = &page.data()["complianceIncidents"];
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let rest = app
        .gql(
            Some(&staff.manager),
            LIST,
            json!({ "first": 2, "after": page["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(
        rest.data()["complianceIncidents"]["edges"][0]["node"]["id"],
        a_old.as_str()
    );

    // Every lender role reads them all; each agency only its own.
    let finance = token(&app.db, Role::Finance, None).await;
    assert_eq!(listed(&app, &finance, json!({})).await.len(), 3);
    assert_eq!(
        listed(&app, &staff.alpha, json!({})).await,
        [a_audit.as_str(), a_old.as_str()]
    );
    assert_eq!(
        listed(&app, &staff.alpha, json!({ "rule": "HARASSMENT" })).await,
        [a_old.as_str()],
        "filters narrow the agency's own incidents"
    );
    assert_eq!(
        listed(&app, &staff.bravo, json!({})).await,
        [b_new.as_str()]
    );
    let asked_for_other = app
        .gql(
            Some(&staff.alpha),
            LIST,
            json!({ "filter": { "agencyId": book.agency_b.id.to_string() } }),
        )
        .await;
    assert_eq!(asked_for_other.code(), Some("FORBIDDEN"));

    let own = app
        .gql(Some(&staff.alpha), ONE, json!({ "id": a_old.as_str() }))
        .await;
    assert_eq!(own.data()["complianceIncident"]["agency"]["code"], "ALPHA");
    let other = app
        .gql(Some(&staff.alpha), ONE, json!({ "id": b_new.as_str() }))
        .await;
    assert_eq!(other.code(), Some("NOT_FOUND"));
    let read_by_lender = app
        .gql(Some(&finance), ONE, json!({ "id": b_new.as_str() }))
        .await;
    assert_eq!(
        read_by_lender.data()["complianceIncident"]["status"],
        "ACKNOWLEDGED"
    );
    let unauthenticated = app.gql(None, ONE, json!({ "id": b_new.as_str() })).await;
    assert_eq!(unauthenticated.code(), Some("UNAUTHENTICATED"));
}
