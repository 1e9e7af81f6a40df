//! Onboarding agencies, changing their profiles and moving them along their lifecycle.

use entity::api_token::Role;
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, spawn_app, token};

const AGENCY_FIELDS: &str = "id code legalName status statusReason statusChangedAt kindsOfWork \
    channels regions remittanceMode webhookUrl hasWebhookSecret \
    capacity { maxActiveAccounts maxActiveBalance { amount currency } } \
    contacts { name role email phone }";

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET: &str = "whsec_QWxsIHRoZSB3b3JsZCdzIGEgc3RhZ2UsIGFuZA==";

const STATUSES: [&str; 5] = [
    "ONBOARDING",
    "ACTIVE",
    "PROBATION",
    "SUSPENDED",
    "TERMINATED",
];
const ALLOWED: [(&str, &str); 8] = [
    ("ONBOARDING", "ACTIVE"),
    ("ONBOARDING", "TERMINATED"),
    ("ACTIVE", "PROBATION"),
    ("ACTIVE", "SUSPENDED"),
    ("PROBATION", "ACTIVE"),
    ("PROBATION", "SUSPENDED"),
    ("SUSPENDED", "PROBATION"),
    ("SUSPENDED", "TERMINATED"),
];

fn create_query() -> String {
    format!(
        "mutation($input: CreateAgencyInput!) {{ createAgency(input: $input) {{ {AGENCY_FIELDS} }} }}"
    )
}

fn update_query() -> String {
    format!(
        "mutation($id: ID!, $input: UpdateAgencyInput!) {{ updateAgency(id: $id, input: $input) {{ {AGENCY_FIELDS} }} }}"
    )
}

fn status_query() -> String {
    format!(
        "mutation($id: ID!, $status: AgencyStatus!, $reason: String) {{ changeAgencyStatus(id: $id, status: $status, reason: $reason) {{ {AGENCY_FIELDS} }} }}"
    )
}

/// A complete, valid `CreateAgencyInput`.
fn new_agency(code: &str) -> Value {
    json!({
        "code": code,
        "legalName": format!("{code} Recoveries LLC"),
        "kindsOfWork": ["EARLY_STAGE", "LATE_STAGE"],
        "channels": ["CALL", "EMAIL"],
        "regions": ["US-TX", "US-CA"],
        "capacity": { "maxActiveAccounts": 500, "maxActiveBalance": { "amount": "250000.00", "currency": "USD" } },
        "remittanceMode": "NET",
        "webhookUrl": "https://hooks.agency.example/agencyflow",
        "webhookSecret": SECRET,
        "contacts": [{ "name": "Dana Cole", "role": "Compliance", "email": "dana@agency.example" }],
    })
}

fn with(mut input: Value, field: &str, value: Value) -> Value {
    input[field] = value;
    input
}

async fn create(app: &TestApp, token: &str, input: Value) -> Answer {
    app.gql(Some(token), &create_query(), json!({ "input": input }))
        .await
}

/// Creates an agency as ADMIN and returns its id.
async fn onboard(app: &TestApp, code: &str) -> String {
    let created = app
        .admin(&create_query(), json!({ "input": new_agency(code) }))
        .await;
    created.data()["createAgency"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn change_status(app: &TestApp, id: &str, status: &str, reason: Option<&str>) -> Answer {
    app.admin(
        &status_query(),
        json!({ "id": id, "status": status, "reason": reason }),
    )
    .await
}

/// The moves that bring a new (ONBOARDING) agency into `status`.
fn path_to(status: &str) -> &'static [&'static str] {
    match status {
        "ONBOARDING" => &[],
        "ACTIVE" => &["ACTIVE"],
        "PROBATION" => &["ACTIVE", "PROBATION"],
        "SUSPENDED" => &["ACTIVE", "SUSPENDED"],
        "TERMINATED" => &["ACTIVE", "SUSPENDED", "TERMINATED"],
        other => panic!("unknown status {other}"),
    }
}

/// Onboards an agency and walks it into `status`; returns its id.
async fn agency_in(app: &TestApp, code: &str, status: &str) -> String {
    let id = onboard(app, code).await;
    for step in path_to(status) {
        let moved = change_status(app, &id, step, Some("set up by the test")).await;
        assert_eq!(moved.data()["changeAgencyStatus"]["status"], *step);
    }
    id
}

async fn status_of(app: &TestApp, id: &str) -> Value {
    app.admin(
        "query($id: ID!) { agency(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await
    .data()["agency"]["status"]
        .clone()
}

fn instant(value: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(value.as_str().expect("a DateTime"))
        .expect("an RFC 3339 instant")
}

fn field(answer: &Answer) -> Option<&str> {
    answer.body["errors"][0]["extensions"]["field"].as_str()
}

#[tokio::test]
async fn a_new_agency_starts_onboarding_with_its_profile() {
    let app = spawn_app().await;
    let created = create(&app, &app.admin_token, new_agency("ACME-1")).await;
    let agency = &created.data()["createAgency"];
    assert_eq!(agency["code"], "ACME-1");
    assert_eq!(agency["status"], "ONBOARDING");
    assert_eq!(agency["statusReason"], Value::Null);
    assert!(agency["statusChangedAt"].is_string());
    assert_eq!(agency["kindsOfWork"], json!(["EARLY_STAGE", "LATE_STAGE"]));
    assert_eq!(agency["channels"], json!(["CALL", "EMAIL"]));
    assert_eq!(agency["regions"], json!(["US-TX", "US-CA"]));
    assert_eq!(agency["remittanceMode"], "NET");
    assert_eq!(
        agency["capacity"],
        json!({ "maxActiveAccounts": 500, "maxActiveBalance": { "amount": "250000.00", "currency": "USD" } })
    );
    assert_eq!(
        agency["webhookUrl"],
        "https://hooks.agency.example/agencyflow"
    );
    assert_eq!(agency["hasWebhookSecret"], true);
    assert_eq!(
        agency["contacts"],
        json!([{ "name": "Dana Cole", "role": "Compliance", "email": "dana@agency.example", "phone": null }])
    );

    let listed = app
        .admin(
            "{ agencies(filter: { status: [ONBOARDING] }) { edges { node { code } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed.data()["agencies"]["edges"],
        json!([{ "node": { "code": "ACME-1" } }])
    );
}

#[tokio::test]
async fn bad_agency_input_names_the_field_and_a_duplicate_code_conflicts() {
    let app = spawn_app().await;
    let cases = [
        (with(new_agency("X"), "code", json!("acme")), "code"),
        (with(new_agency("X"), "code", json!("A")), "code"),
        (
            with(new_agency("ACME"), "regions", json!(["texas"])),
            "regions",
        ),
        (
            with(new_agency("ACME"), "regions", json!(["US-TX", "US-TEXAS"])),
            "regions",
        ),
        (
            with(new_agency("ACME"), "kindsOfWork", json!([])),
            "kindsOfWork",
        ),
        (
            with(
                new_agency("ACME"),
                "webhookUrl",
                json!("http://hooks.agency.example/agencyflow"),
            ),
            "webhookUrl",
        ),
        (
            with(new_agency("ACME"), "webhookSecret", json!("whsec_c2hvcnQ=")),
            "webhookSecret",
        ),
        (
            with(
                new_agency("ACME"),
                "webhookSecret",
                json!("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            ),
            "webhookSecret",
        ),
    ];
    for (input, expected) in cases {
        let answer = create(&app, &app.admin_token, input.clone()).await;
        assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{input}");
        assert_eq!(field(&answer), Some(expected), "{input}");
    }
    let none = app
        .admin("{ agencies { edges { node { code } } } }", json!({}))
        .await;
    assert_eq!(
        none.data()["agencies"]["edges"],
        json!([]),
        "nothing was created"
    );

    create(&app, &app.admin_token, new_agency("ACME"))
        .await
        .data();
    let again = create(&app, &app.admin_token, new_agency("ACME")).await;
    assert_eq!(again.code(), Some("CONFLICT"));
}

#[tokio::test]
async fn only_admins_and_vendor_managers_onboard_agencies() {
    let app = spawn_app().await;
    let existing = onboard(&app, "HOME").await;
    let agency_token = token(&app.db, Role::Agency, Some(existing.parse().unwrap())).await;
    let finance = token(&app.db, Role::Finance, None).await;
    let auditor = token(&app.db, Role::Auditor, None).await;
    for (role, secret) in [
        ("AGENCY", &agency_token),
        ("FINANCE", &finance),
        ("AUDITOR", &auditor),
    ] {
        let refused = create(&app, secret, new_agency(&format!("BY-{role}"))).await;
        assert_eq!(refused.code(), Some("FORBIDDEN"), "{role}");
    }

    let manager = token(&app.db, Role::VendorManager, None).await;
    let created = create(&app, &manager, new_agency("BY-MANAGER")).await;
    assert_eq!(created.data()["createAgency"]["status"], "ONBOARDING");

    let codes = app
        .admin("{ agencies { edges { node { code } } } }", json!({}))
        .await;
    assert_eq!(
        codes.data()["agencies"]["edges"],
        json!([{ "node": { "code": "HOME" } }, { "node": { "code": "BY-MANAGER" } }])
    );
}

#[tokio::test]
async fn an_update_changes_only_the_fields_it_names() {
    let app = spawn_app().await;
    let id = onboard(&app, "ACME").await;

    let renamed = app
        .admin(
            &update_query(),
            json!({ "id": id, "input": { "legalName": "Acme Recoveries Holdings LLC" } }),
        )
        .await;
    let agency = &renamed.data()["updateAgency"];
    assert_eq!(agency["legalName"], "Acme Recoveries Holdings LLC");
    assert_eq!(agency["kindsOfWork"], json!(["EARLY_STAGE", "LATE_STAGE"]));
    assert_eq!(agency["regions"], json!(["US-TX", "US-CA"]));
    assert_eq!(agency["channels"], json!(["CALL", "EMAIL"]));
    assert_eq!(agency["remittanceMode"], "NET");
    assert_eq!(agency["capacity"]["maxActiveAccounts"], 500);
    assert_eq!(
        agency["webhookUrl"],
        "https://hooks.agency.example/agencyflow"
    );
    assert_eq!(agency["hasWebhookSecret"], true);
    assert_eq!(agency["status"], "ONBOARDING");

    let reshaped = app
        .admin(
            &update_query(),
            json!({ "id": id, "input": {
                "regions": ["UK"],
                "kindsOfWork": ["CHARGED_OFF"],
                "remittanceMode": "GROSS",
                "contacts": [{ "name": "Sam Reid", "role": "Operations", "phone": "+442071234567" }],
            } }),
        )
        .await;
    let agency = &reshaped.data()["updateAgency"];
    assert_eq!(agency["regions"], json!(["UK"]));
    assert_eq!(agency["kindsOfWork"], json!(["CHARGED_OFF"]));
    assert_eq!(agency["remittanceMode"], "GROSS");
    assert_eq!(
        agency["contacts"],
        json!([{ "name": "Sam Reid", "role": "Operations", "email": null, "phone": "+442071234567" }])
    );
    assert_eq!(agency["legalName"], "Acme Recoveries Holdings LLC");

    let bad_region = app
        .admin(
            &update_query(),
            json!({ "id": id, "input": { "regions": ["uk"] } }),
        )
        .await;
    assert_eq!(bad_region.code(), Some("BAD_USER_INPUT"));
    assert_eq!(field(&bad_region), Some("regions"));
    let missing = app
        .admin(
            &update_query(),
            json!({ "id": "424242", "input": { "legalName": "Nobody" } }),
        )
        .await;
    assert_eq!(missing.code(), Some("NOT_FOUND"));
}

#[tokio::test]
async fn capacity_is_replaced_as_a_whole() {
    let app = spawn_app().await;
    let id = onboard(&app, "ACME").await;
    let capacity = |capacity: Value| json!({ "id": id, "input": { "capacity": capacity } });

    let both = app
        .admin(
            &update_query(),
            capacity(json!({ "maxActiveAccounts": 1200, "maxActiveBalance": { "amount": "750000.50", "currency": "GBP" } })),
        )
        .await;
    assert_eq!(
        both.data()["updateAgency"]["capacity"],
        json!({ "maxActiveAccounts": 1200, "maxActiveBalance": { "amount": "750000.50", "currency": "GBP" } })
    );

    let accounts_only = app
        .admin(
            &update_query(),
            capacity(json!({ "maxActiveAccounts": 10 })),
        )
        .await;
    assert_eq!(
        accounts_only.data()["updateAgency"]["capacity"],
        json!({ "maxActiveAccounts": 10, "maxActiveBalance": null })
    );

    let unlimited = app.admin(&update_query(), capacity(json!({}))).await;
    assert_eq!(
        unlimited.data()["updateAgency"]["capacity"],
        json!({ "maxActiveAccounts": null, "maxActiveBalance": null })
    );

    let zero = app
        .admin(&update_query(), capacity(json!({ "maxActiveAccounts": 0 })))
        .await;
    assert_eq!(zero.code(), Some("BAD_USER_INPUT"));
    assert_eq!(field(&zero), Some("capacity.maxActiveAccounts"));
}

#[tokio::test]
async fn clearing_the_webhook_removes_url_and_secret_before_new_ones() {
    let app = spawn_app().await;
    let id = onboard(&app, "ACME").await;

    let cleared = app
        .admin(
            &update_query(),
            json!({ "id": id, "input": { "clearWebhook": true } }),
        )
        .await;
    let agency = &cleared.data()["updateAgency"];
    assert_eq!(agency["webhookUrl"], Value::Null);
    assert_eq!(agency["hasWebhookSecret"], false);

    let replaced = app
        .admin(
            &update_query(),
            json!({ "id": id, "input": { "clearWebhook": true, "webhookUrl": "https://new.agency.example/hooks", "webhookSecret": OTHER_SECRET } }),
        )
        .await;
    let agency = &replaced.data()["updateAgency"];
    assert_eq!(agency["webhookUrl"], "https://new.agency.example/hooks");
    assert_eq!(agency["hasWebhookSecret"], true);

    let bad_secret = app
        .admin(
            &update_query(),
            json!({ "id": id, "input": { "webhookSecret": "whsec_not base64" } }),
        )
        .await;
    assert_eq!(bad_secret.code(), Some("BAD_USER_INPUT"));
    assert_eq!(field(&bad_secret), Some("webhookSecret"));
}

#[tokio::test]
async fn the_webhook_secret_is_write_only_and_never_audited() {
    let app = spawn_app().await;
    let id = onboard(&app, "ACME").await;
    app.admin(
        &update_query(),
        json!({ "id": id, "input": { "webhookSecret": OTHER_SECRET, "legalName": "Acme Two" } }),
    )
    .await
    .data();

    let read = app
        .admin(
            &format!("query($id: ID!) {{ agency(id: $id) {{ {AGENCY_FIELDS} }} }}"),
            json!({ "id": id }),
        )
        .await;
    assert_eq!(read.data()["agency"]["hasWebhookSecret"], true);
    let body = read.body.to_string();
    assert!(!body.contains(SECRET) && !body.contains(OTHER_SECRET));

    let fields = app
        .admin(
            "{ __type(name: \"Agency\") { fields { name } } }",
            json!({}),
        )
        .await;
    let secret_fields: Vec<&str> = fields.data()["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["name"].as_str())
        .filter(|name| name.to_ascii_lowercase().contains("secret"))
        .collect();
    assert_eq!(secret_fields, vec!["hasWebhookSecret"]);

    let events = app
        .admin(
            r#"query($id: String!) { auditEvents(filter: { entityType: "agency", entityId: $id }) { edges { node { action before after } } } }"#,
            json!({ "id": id }),
        )
        .await;
    let edges = events.data()["auditEvents"]["edges"].as_array().unwrap();
    let actions: Vec<&str> = edges
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["agency.update", "agency.create"]);
    assert_eq!(edges[1]["node"]["after"]["hasWebhookSecret"], true);
    assert_eq!(edges[0]["node"]["after"]["legalName"], "Acme Two");
    let trail = events.body.to_string();
    assert!(
        !trail.contains(SECRET) && !trail.contains(OTHER_SECRET),
        "no secret in the audit trail: {trail}"
    );
}

#[tokio::test]
async fn every_transition_on_the_map_works_and_every_other_conflicts() {
    let app = spawn_app().await;
    for (i, (from, to)) in ALLOWED.iter().enumerate() {
        let id = agency_in(&app, &format!("MOVE-{i}"), from).await;
        let moved = change_status(&app, &id, to, Some("quarterly review")).await;
        assert_eq!(
            moved.data()["changeAgencyStatus"]["status"],
            *to,
            "{from} -> {to}"
        );
        assert_eq!(status_of(&app, &id).await, *to, "{from} -> {to}");
    }

    for from in STATUSES {
        let id = agency_in(&app, &format!("STAY-{from}"), from).await;
        for to in STATUSES {
            if ALLOWED.contains(&(from, to)) {
                continue;
            }
            let refused = change_status(&app, &id, to, Some("quarterly review")).await;
            assert_eq!(refused.code(), Some("CONFLICT"), "{from} -> {to}");
            assert_eq!(status_of(&app, &id).await, from, "{from} -> {to}");
        }
    }

    let missing = change_status(&app, "424242", "ACTIVE", None).await;
    assert_eq!(missing.code(), Some("NOT_FOUND"));
}

#[tokio::test]
async fn probation_suspension_and_termination_need_a_reason_which_is_recorded() {
    let app = spawn_app().await;
    let active = agency_in(&app, "ACTIVE-1", "ACTIVE").await;
    let suspended = agency_in(&app, "SUSP-1", "SUSPENDED").await;
    for (id, to, reason) in [
        (&active, "PROBATION", None),
        (&active, "SUSPENDED", Some("   ")),
        (&suspended, "TERMINATED", None),
    ] {
        let refused = change_status(&app, id, to, reason).await;
        assert_eq!(refused.code(), Some("BAD_USER_INPUT"), "{to}");
        assert_eq!(field(&refused), Some("reason"), "{to}");
    }
    assert_eq!(status_of(&app, &active).await, "ACTIVE");
    assert_eq!(status_of(&app, &suspended).await, "SUSPENDED");

    let probation = change_status(
        &app,
        &active,
        "PROBATION",
        Some("  recovery 40% below peers "),
    )
    .await;
    let agency = &probation.data()["changeAgencyStatus"];
    assert_eq!(agency["status"], "PROBATION");
    assert_eq!(agency["statusReason"], "recovery 40% below peers");
    let probation_at = instant(&agency["statusChangedAt"]);

    let back = change_status(&app, &active, "ACTIVE", None).await;
    let agency = &back.data()["changeAgencyStatus"];
    assert_eq!(agency["status"], "ACTIVE");
    assert_eq!(agency["statusReason"], Value::Null);
    assert!(instant(&agency["statusChangedAt"]) >= probation_at);

    let events = app
        .admin(
            r#"query($id: String!) { auditEvents(filter: { entityType: "agency", entityId: $id, action: "agency.change_status" }) { edges { node { before after } } } }"#,
            json!({ "id": active }),
        )
        .await;
    let edges = events.data()["auditEvents"]["edges"].as_array().unwrap();
    // Newest first: PROBATION -> ACTIVE, ACTIVE -> PROBATION, ONBOARDING -> ACTIVE.
    assert_eq!(edges.len(), 3);
    assert_eq!(edges[1]["node"]["before"]["status"], "ACTIVE");
    assert_eq!(edges[1]["node"]["after"]["status"], "PROBATION");
    assert_eq!(
        edges[1]["node"]["after"]["statusReason"],
        "recovery 40% below peers"
    );
}

#[tokio::test]
async fn a_terminated_agency_no_longer_changes() {
    let app = spawn_app().await;
    let id = agency_in(&app, "GONE", "TERMINATED").await;
    let terminated = app
        .admin(
            "query($id: ID!) { agency(id: $id) { status statusReason legalName } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        terminated.data()["agency"],
        json!({ "status": "TERMINATED", "statusReason": "set up by the test", "legalName": "GONE Recoveries LLC" })
    );

    let refused = app
        .admin(
            &update_query(),
            json!({ "id": id, "input": { "legalName": "Gone Again" } }),
        )
        .await;
    assert_eq!(refused.code(), Some("CONFLICT"));
    let after = app
        .admin(
            "query($id: ID!) { agency(id: $id) { legalName } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(after.data()["agency"]["legalName"], "GONE Recoveries LLC");
}

#[tokio::test]
async fn only_managers_change_profiles_and_statuses() {
    let app = spawn_app().await;
    let id = onboard(&app, "ACME").await;
    let agency_token = token(&app.db, Role::Agency, Some(id.parse().unwrap())).await;
    let finance = token(&app.db, Role::Finance, None).await;
    for secret in [&agency_token, &finance] {
        let update = app
            .gql(
                Some(secret),
                &update_query(),
                json!({ "id": id, "input": { "legalName": "Mine Now" } }),
            )
            .await;
        assert_eq!(update.code(), Some("FORBIDDEN"));
        let status = app
            .gql(
                Some(secret),
                &status_query(),
                json!({ "id": id, "status": "ACTIVE" }),
            )
            .await;
        assert_eq!(status.code(), Some("FORBIDDEN"));
    }
    assert_eq!(status_of(&app, &id).await, "ONBOARDING");

    let manager = token(&app.db, Role::VendorManager, None).await;
    let activated = app
        .gql(
            Some(&manager),
            &status_query(),
            json!({ "id": id, "status": "ACTIVE" }),
        )
        .await;
    assert_eq!(activated.data()["changeAgencyStatus"]["status"], "ACTIVE");
}

#[tokio::test]
async fn amounts_are_decimal_strings_never_json_numbers() {
    let app = spawn_app().await;
    for amount in [json!(250000.1), json!(12345678901234567_i64)] {
        let input = with(
            new_agency("NUMERIC"),
            "capacity",
            json!({ "maxActiveBalance": { "amount": amount, "currency": "USD" } }),
        );
        let answer = create(&app, &app.admin_token, input).await;
        assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{amount}");
    }
    for (amount, field) in [
        ("0.001", "amount"),
        ("1e400", "maxActiveBalance"),
        ("79228162514264337593543950335", "amount"),
    ] {
        let input = with(
            new_agency("HUGE"),
            "capacity",
            json!({ "maxActiveBalance": { "amount": amount, "currency": "USD" } }),
        );
        let answer = create(&app, &app.admin_token, input).await;
        assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{amount} ({field})");
    }
}

#[tokio::test]
async fn webhook_urls_must_be_https_or_this_machine() {
    let app = spawn_app().await;
    for url in [
        "http://localhost.evil.example/hooks",
        "ftp://agency.example/",
        "https://user:pw@agency.example/",
    ] {
        let answer = create(
            &app,
            &app.admin_token,
            with(new_agency("HOOKS"), "webhookUrl", json!(url)),
        )
        .await;
        assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{url}");
        assert_eq!(field(&answer), Some("webhookUrl"));
    }
    let local = create(
        &app,
        &app.admin_token,
        with(
            new_agency("LOCAL"),
            "webhookUrl",
            json!("http://127.0.0.1:9000/hooks"),
        ),
    )
    .await;
    assert_eq!(
        local.data()["createAgency"]["webhookUrl"],
        "http://127.0.0.1:9000/hooks"
    );
}
