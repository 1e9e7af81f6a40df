//! Every document in graphql/operations/ validates against the exported schema, and
//! runs against the real server.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use apollo_compiler::{ExecutableDocument, Schema};
use chrono::{DateTime, Datelike, Duration, Utc};
use entity::api_token::Role;
use serde_json::{Value, json};

use crate::demo::demo_app_after_the_next_close;
use crate::helpers::{TestApp, personal_token, spawn_app, spawn_app_at, token};

fn operations() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("graphql/operations");
    let mut documents: Vec<_> = std::fs::read_dir(&dir)
        .expect("graphql/operations exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "graphql"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                text,
            )
        })
        .collect();
    documents.sort();
    documents
}

#[test]
fn every_operation_document_validates_against_the_schema() {
    let schema = Schema::parse_and_validate(agencyflow_graphql::sdl(), "schema.graphql")
        .unwrap_or_else(|errors| panic!("the SDL itself is invalid: {errors}"));
    let documents = operations();
    assert!(
        documents.len() >= 10,
        "operations are missing: {}",
        documents.len()
    );
    for (name, text) in documents {
        if let Err(errors) = ExecutableDocument::parse_and_validate(&schema, text, &name) {
            panic!("{name} does not validate:\n{errors}");
        }
    }
}

/// The operations of graphql/operations/, by name: (file, document).
fn operations_by_name() -> BTreeMap<String, (String, String)> {
    let schema = Schema::parse_and_validate(agencyflow_graphql::sdl(), "schema.graphql")
        .unwrap_or_else(|errors| panic!("the SDL itself is invalid: {errors}"));
    let mut by_name = BTreeMap::new();
    for (file, text) in operations() {
        let document = ExecutableDocument::parse_and_validate(&schema, text.clone(), &file)
            .unwrap_or_else(|errors| panic!("{file} does not validate:\n{errors}"));
        for operation in document.operations.iter() {
            let name = operation
                .name
                .as_ref()
                .unwrap_or_else(|| panic!("{file}: every operation has a name"));
            by_name.insert(name.to_string(), (file.clone(), text.clone()));
        }
    }
    by_name
}

/// Runs the shipped operations by name against `app`, and remembers which ran.
struct Runner<'a> {
    app: &'a TestApp,
    documents: BTreeMap<String, (String, String)>,
    ran: BTreeSet<String>,
}

impl<'a> Runner<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            documents: operations_by_name(),
            ran: BTreeSet::new(),
        }
    }

    fn document(&mut self, operation: &str) -> (String, String) {
        self.ran.insert(operation.to_owned());
        self.documents
            .get(operation)
            .unwrap_or_else(|| panic!("no shipped operation {operation}"))
            .clone()
    }

    /// Runs `operation` as `token` with `variables`; any error fails the test.
    async fn run(&mut self, token: &str, operation: &str, variables: Value) -> Value {
        self.run_as(Some(token), operation, variables).await
    }

    /// [`Self::run`] with `token`, or signed in as nobody.
    async fn run_as(&mut self, token: Option<&str>, operation: &str, variables: Value) -> Value {
        let (file, query) = self.document(operation);
        let answer = self
            .app
            .post(
                token,
                Some("application/json"),
                json!({ "query": query, "operationName": operation, "variables": variables }),
            )
            .await;
        assert!(
            answer.body.get("errors").is_none(),
            "{file} {operation} {variables}: {}",
            answer.body
        );
        answer.body["data"].clone()
    }

    async fn upload(
        &mut self,
        token: &str,
        operation: &str,
        variables: Value,
        file: &str,
    ) -> Value {
        let (name, query) = self.document(operation);
        let answer = self
            .app
            .upload_to(
                Some(token),
                &query,
                Some(operation),
                variables,
                file.as_bytes().to_vec(),
            )
            .await;
        assert!(
            answer.body.get("errors").is_none(),
            "{name} {operation}: {}",
            answer.body
        );
        answer.body["data"].clone()
    }

    /// Every shipped operation ran.
    fn finish(self) {
        let missing: Vec<&String> = self
            .documents
            .keys()
            .filter(|name| !self.ran.contains(*name))
            .collect();
        assert!(missing.is_empty(), "operations never run: {missing:?}");
    }
}

fn id_of<'v>(data: &'v Value, path: &str) -> &'v Value {
    let found = data.pointer(path).unwrap_or(&Value::Null);
    assert!(!found.is_null(), "nothing at {path} in {data}");
    found
}

fn first_with<'v>(edges: &'v Value, pointer: &str, wanted: &str) -> &'v Value {
    edges
        .as_array()
        .and_then(|edges| {
            edges
                .iter()
                .find(|e| e.pointer(pointer).and_then(Value::as_str) == Some(wanted))
        })
        .unwrap_or_else(|| panic!("no edge with {pointer} = {wanted} in {edges}"))
}

/// Every shipped document runs, with only its required variables, against the demo data:
/// first every query, then the mutations in the order a lender's day would make them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_document_runs_on_the_demo_data_with_its_required_variables() {
    let app = demo_app_after_the_next_close().await;
    let admin = app.admin_token.clone();
    let mut run = Runner::new(&app);
    let clock = run.run(&admin, "Clock", json!({})).await;
    let now: DateTime<Utc> = serde_json::from_value(clock["clock"]["now"].clone()).unwrap();
    // The console's frame, on every page.
    run.run(&admin, "Viewer", json!({})).await;
    run.run(&admin, "MyApiTokens", json!({})).await;
    let today = now.date_naive();

    // The demo's ids, read through the shipped queries themselves.
    let agencies = run.run(&admin, "Agencies", json!({})).await;
    let edges = &agencies["agencies"]["edges"];
    let acme = id_of(first_with(edges, "/node/code", "ACME"), "/node/id").clone();
    let meridian = id_of(first_with(edges, "/node/code", "MERIDIAN"), "/node/id").clone();
    let acme_token = token(
        &app.db,
        Role::Agency,
        Some(acme.as_str().unwrap().parse().unwrap()),
    )
    .await;
    let finance = token(&app.db, Role::Finance, None).await;
    // Another person in finance approves what `finance` submitted.
    let approver = token(&app.db, Role::Finance, None).await;
    let manager = token(&app.db, Role::VendorManager, None).await;
    let placements = run.run(&acme_token, "MyPlacements", json!({})).await;
    let account = id_of(&placements, "/myPlacements/edges/0/node/account/id").clone();
    let portfolios = run.run(&admin, "Portfolios", json!({})).await;
    let uk = id_of(
        first_with(
            &portfolios["portfolios"]["edges"],
            "/node/code",
            "UK-LOANS-2026",
        ),
        "/node/id",
    )
    .clone();
    let runs = run.run(&admin, "AllocationRuns", json!({})).await;
    let allocation_run = id_of(&runs, "/allocationRuns/edges/0/node/id").clone();
    let statements = run.run(&admin, "CommissionStatements", json!({})).await;
    let statement = id_of(&statements, "/commissionStatements/edges/0/node/id").clone();
    let reconciliations = run.run(&admin, "ReconciliationRuns", json!({})).await;
    let reconciliation = id_of(&reconciliations, "/reconciliationRuns/edges/0/node/id").clone();
    let incidents = run.run(&admin, "ComplianceIncidents", json!({})).await;
    let incident = id_of(&incidents, "/complianceIncidents/edges/0/node/id").clone();
    let reviews = run.run(&admin, "ReassignmentRuns", json!({})).await;
    let review = id_of(&reviews, "/reassignmentRuns/edges/0/node/id").clone();

    for (operation, variables) in [
        ("Me", json!({})),
        ("Clock", json!({})),
        ("Agency", json!({ "id": acme })),
        (
            "AgencyEligibility",
            json!({ "agencyId": acme, "kindOfWork": "EARLY_STAGE", "region": "US-CA", "from": today, "to": today + Duration::days(30) }),
        ),
        ("Accounts", json!({})),
        ("Account", json!({ "id": account })),
        ("AccountTimeline", json!({ "accountId": account })),
        ("Activities", json!({})),
        ("Payments", json!({})),
        ("Placements", json!({})),
        ("Portfolio", json!({ "id": uk })),
        ("AllocationStrategies", json!({})),
        ("AllocationRun", json!({ "id": allocation_run })),
        ("ApiTokens", json!({})),
        ("AuditEvents", json!({})),
        ("CommissionPlans", json!({})),
        ("CommissionStatement", json!({ "id": statement })),
        ("ExpiringQualifications", json!({ "withinDays": 30 })),
        ("ReconciliationRun", json!({ "id": reconciliation })),
        ("ComplianceIncident", json!({ "id": incident })),
        ("JobRuns", json!({})),
        ("Jobs", json!({})),
        ("QualificationRequirements", json!({})),
        ("QualificationTypes", json!({})),
        ("ReassignmentPolicies", json!({})),
        ("ReassignmentRun", json!({ "id": review })),
        ("AgencyScorecards", json!({ "window": "LAST_90_DAYS" })),
        (
            "AgencyScorecard",
            json!({ "agencyId": acme, "window": "LAST_90_DAYS" }),
        ),
        ("WebhookDeliveries", json!({})),
        ("Users", json!({})),
        ("Integrations", json!({})),
    ] {
        run.run(&admin, operation, variables).await;
    }

    // Onboarding: a new kind of paper, a new agency with it, reviewed and revoked.
    run.run(&admin, "DefineQualificationType", json!({ "input": { "code": "DEMO_CHECK", "name": "Demo check", "description": "a paper the documents test files" } })).await;
    run.run(
        &admin,
        "SetQualificationRequirement",
        json!({ "input": { "qualificationType": "DEMO_CHECK", "required": false } }),
    )
    .await;
    let created = run
        .run(
            &admin,
            "CreateAgency",
            json!({ "input": {
        "code": "NEWCO", "legalName": "Newco Collections Ltd", "kindsOfWork": ["EARLY_STAGE"],
        "channels": ["LETTER"], "regions": ["UK"], "capacity": {}, "remittanceMode": "GROSS",
    } }),
        )
        .await;
    let newco = id_of(&created, "/createAgency/id").clone();
    run.run(
        &admin,
        "UpdateAgency",
        json!({ "id": newco, "input": { "legalName": "Newco Collections Limited" } }),
    )
    .await;
    let filed = run.run(&admin, "SubmitQualification", json!({ "input": {
        "agencyId": newco, "qualificationType": "DEMO_CHECK", "identifier": "NEWCO-1", "issuer": "Demo issuer",
        "issuedOn": today, "documentUrl": "https://documents.example.com/newco.pdf", "documentSha256": "ab".repeat(32),
    } })).await;
    let paper = id_of(&filed, "/submitQualification/id").clone();
    run.run(
        &manager,
        "ReviewQualification",
        json!({ "id": paper, "decision": "VERIFY" }),
    )
    .await;
    run.run(
        &admin,
        "RevokeQualification",
        json!({ "id": paper, "reason": "the documents test revokes it" }),
    )
    .await;
    run.run(
        &admin,
        "ChangeAgencyStatus",
        json!({ "id": meridian, "status": "SUSPENDED", "reason": "licence lapsed" }),
    )
    .await;

    // Intake and allocation: a new book, a UK strategy, a run, a recall.
    let portfolio = run
        .run(
            &admin,
            "CreatePortfolio",
            json!({ "input": { "code": "DOCS", "name": "Documents test", "currency": "USD" } }),
        )
        .await;
    let portfolio = id_of(&portfolio, "/createPortfolio/id").clone();
    run.run(&admin, "ImportAccounts", json!({ "portfolioId": portfolio, "accounts": [{
        "lenderReference": "DOCS-1", "debtor": { "name": "Maria Garcia", "region": "US-TX", "timeZone": "America/Chicago" },
        "product": "CARD", "principal": "100.00", "outstanding": "90.00", "currency": "USD", "delinquencyStart": today - Duration::days(20),
    }] })).await;
    run.upload(&admin, "ImportAccountsCsv", json!({ "portfolioId": portfolio }), &format!(
        "lender_reference,debtor_name,region,time_zone,product,principal,outstanding,currency,delinquency_start\nDOCS-2,David Evans,US-NY,America/New_York,CARD,200.00,150.00,USD,{}\n",
        today - Duration::days(40)
    )).await;
    let started = run.upload(&admin, "StartAccountImport", json!({ "portfolioId": portfolio }), &format!(
        "lender_reference,debtor_name,region,time_zone,product,principal,outstanding,currency,delinquency_start\nDOCS-3,Wei Zhang,US-CA,America/Los_Angeles,CARD,300.00,250.00,USD,{}\n",
        today - Duration::days(50)
    )).await;
    let import = id_of(&started, "/startAccountImport/id").clone();
    let started = std::time::Instant::now();
    while run
        .run(&admin, "AccountImport", json!({ "id": import }))
        .await["accountImport"]["status"]
        == "RUNNING"
    {
        assert!(
            started.elapsed().as_secs() < 60,
            "the import of one row never ended"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    run.run(
        &admin,
        "AccountImports",
        json!({ "portfolioId": portfolio }),
    )
    .await;
    let strategy_input = json!({ "name": "UK early stage", "kindOfWork": "EARLY_STAGE", "level": "PRIMARY", "segment": {}, "splitMethod": "EQUAL" });
    let strategy = run
        .run(
            &admin,
            "CreateAllocationStrategy",
            json!({ "code": "UK-EARLY", "input": strategy_input }),
        )
        .await;
    assert!(!id_of(&strategy, "/createAllocationStrategy/id").is_null());
    let strategy = run
        .run(
            &admin,
            "ReviseAllocationStrategy",
            json!({ "code": "UK-EARLY", "input": strategy_input }),
        )
        .await;
    let strategy = id_of(&strategy, "/reviseAllocationStrategy/id").clone();
    let allocated = run
        .run(
            &admin,
            "RunAllocation",
            json!({ "strategyId": strategy, "portfolioId": uk }),
        )
        .await;
    assert!(
        allocated["runAllocation"]["placedCount"].as_i64() > Some(0),
        "{allocated}"
    );
    run.run(&admin, "RecallPlacements", json!({ "input": { "portfolioId": uk, "reason": "the documents test recalls the UK book" } })).await;
    run.run(&admin, "UpdateAccountFlags", json!({ "input": { "accountId": account, "add": ["VULNERABLE"], "reason": "the debtor said so" } })).await;

    // The agency reports; the lender's ledger comes in; the month is reconciled and paid.
    let at = now - Duration::hours(1);
    run.run(&acme_token, "ReportActivities", json!({ "activities": [{ "externalId": "DOCS-A1", "accountId": account, "type": "NOTE", "occurredAt": at, "note": "file reviewed" }] })).await;
    run.run(&acme_token, "ReportPayments", json!({ "payments": [{ "externalId": "DOCS-P1", "accountId": account, "amount": "1.00", "currency": "USD", "paidAt": at, "method": "BANK_TRANSFER", "paidTo": "AGENCY" }] })).await;
    run.run(
        &finance,
        "ImportLedgerPayments",
        json!({ "entries": [{ "reference": "DOCS-L1", "receivedAt": at }] }),
    )
    .await;
    run.upload(
        &finance,
        "ImportLedgerPaymentsCsv",
        json!({}),
        &format!("reference,received_at\nDOCS-L2,{}\n", at.to_rfc3339()),
    )
    .await;
    // Last month, whose books closed today.
    let month_end = today.with_day(1).unwrap() - Duration::days(1);
    let month = month_end.with_day(1).unwrap();
    let period = json!({ "periodStart": month, "periodEnd": month_end });
    let reconciled = run.run(&finance, "RunReconciliation", period.clone()).await;
    let exception = reconciled["runReconciliation"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["open"] == true)
        .expect("the demo month has an exception to resolve")
        .clone();
    run.run(
        &finance,
        "ResolveReconciliationItem",
        json!({ "input": { "itemId": exception["id"], "resolution": "WRITTEN_OFF", "note": "the documents test accepts it" } }),
    )
    .await;
    run.run(&finance, "CreateCommissionPlan", json!({ "input": { "agencyId": newco, "effectiveFrom": today, "currency": "GBP", "tiers": [{ "rateBp": 1500 }] } })).await;
    run.run(&finance, "AddCommissionAdjustment", json!({ "agencyId": acme, "amount": "10.00", "currency": "USD", "reason": "a goodwill credit" })).await;
    let drafts = run
        .run(&finance, "GenerateCommissionStatements", period)
        .await;
    let drafts = drafts["generateCommissionStatements"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let (disputed, paid) = {
        let of = |code: &str| {
            drafts
                .iter()
                .find(|s| s["agency"]["code"] == code)
                .map(|s| s["id"].clone())
                .unwrap_or_else(|| panic!("no draft for {code}: {drafts:?}"))
        };
        (of("ACME"), of("BLUEWATER"))
    };
    for id in [&disputed, &paid] {
        run.run(&finance, "SubmitCommissionStatement", json!({ "id": id }))
            .await;
    }
    run.run(
        &acme_token,
        "DisputeCommissionStatement",
        json!({ "id": disputed, "reason": "the adjustment is missing" }),
    )
    .await;
    run.run(
        &approver,
        "ApproveCommissionStatement",
        json!({ "id": paid }),
    )
    .await;
    run.run(&admin, "MarkCommissionStatementPaid", json!({ "id": paid }))
        .await;

    // Compliance: an audit finds three HIGH breaches; the review puts ACME on probation,
    // which the vendor manager overrides.
    let mut raised = Vec::new();
    for n in 1..=4 {
        let incident = run.run(&admin, "RaiseComplianceIncident", json!({ "input": {
            "agencyId": acme, "source": "AUDIT", "severity": "HIGH", "rule": "AUDIT_FINDING", "summary": format!("finding {n}"),
        } })).await;
        raised.push(id_of(&incident, "/raiseComplianceIncident/id").clone());
    }
    run.run(
        &acme_token,
        "AcknowledgeIncident",
        json!({ "id": raised[0], "note": "we retrained the agent" }),
    )
    .await;
    run.run(
        &admin,
        "ResolveIncident",
        json!({ "id": raised[0], "note": "retraining confirmed" }),
    )
    .await;
    run.run(
        &admin,
        "WaiveIncident",
        json!({ "id": incident, "note": "a known gap in the demo" }),
    )
    .await;
    run.run(&admin, "SetReassignmentPolicy", json!({ "input": { "segment": "*", "rules": [{ "trigger": "HIGH_INCIDENTS", "action": "PROBATION", "count": 3 }] } })).await;
    let review = run.run(&admin, "RunReassignment", json!({})).await;
    let decision = review["runReassignment"]["decisions"]
        .as_array()
        .and_then(|d| {
            d.iter()
                .find(|d| d["agency"]["code"] == "ACME" && d["status"] == "PENDING")
        })
        .map(|d| d["id"].clone())
        .unwrap_or_else(|| panic!("no pending decision on ACME: {review}"));
    // Not the ADMIN who ran the review: whoever ran it cannot act on its decisions.
    run.run(
        &manager,
        "HoldReassignment",
        json!({ "decisionId": decision, "reason": "the agency asked for a call first" }),
    )
    .await;
    run.run(
        &manager,
        "OverrideReassignment",
        json!({ "decisionId": decision, "reason": "the audit findings are being fixed" }),
    )
    .await;
    let other = review["runReassignment"]["decisions"]
        .as_array()
        .and_then(|d| {
            d.iter()
                .find(|d| d["id"] != decision && d["status"] == "PENDING")
        })
        .map(|d| d["id"].clone())
        .unwrap_or_else(|| panic!("no second pending decision: {review}"));
    let approved = run
        .run(
            &manager,
            "ApproveReassignment",
            json!({ "decisionId": other, "note": "the figures speak for themselves" }),
        )
        .await;
    assert_eq!(
        approved["approveReassignment"]["status"], "EXECUTED",
        "{approved}"
    );

    // The jobs, by hand.
    for operation in [
        "RunIdleWatch",
        "RunPlacementExpiry",
        "RunQualificationExpiry",
        "DispatchWebhooks",
    ] {
        run.run(&admin, operation, json!({})).await;
    }
    run.run(&admin, "RunJob", json!({ "name": "performance_snapshot" }))
        .await;
    run.run(
        &admin,
        "UpdateJob",
        json!({ "name": "webhook_dispatch", "enabled": true }),
    )
    .await;

    // Tokens: a personal one, and an agency's system with its own.
    let created = run
        .run(
            &admin,
            "CreateApiToken",
            json!({ "input": { "label": "documents test" } }),
        )
        .await;
    let created = id_of(&created, "/createApiToken/apiToken/id").clone();
    run.run(&admin, "RevokeApiToken", json!({ "id": created }))
        .await;
    let dialler = run
        .run(
            &admin,
            "CreateIntegration",
            json!({ "input": { "name": "ACME dialler", "agencyId": acme } }),
        )
        .await;
    let dialler = id_of(&dialler, "/createIntegration/id").clone();
    let system = run
        .run(
            &admin,
            "CreateApiToken",
            json!({ "input": { "integrationId": dialler, "label": "the dialler" } }),
        )
        .await;
    assert_eq!(
        system["createApiToken"]["apiToken"]["integration"]["id"], dialler,
        "{system}"
    );

    // People: an ADMIN makes a person, who sets a password with the link, changes it and
    // enrols in MFA; the ADMIN resets, disables and enables them.
    let created = run
        .run(
            &admin,
            "CreateUser",
            json!({ "input": { "email": "docs@lender.example", "displayName": "Documents Test", "role": "FINANCE" } }),
        )
        .await;
    let person = id_of(&created, "/createUser/user/id").clone();
    let link = id_of(&created, "/createUser/setPassword/token").clone();
    run.run_as(
        None,
        "SetPassword",
        json!({ "token": link, "newPassword": "documents test password" }),
    )
    .await;
    run.run(&admin, "User", json!({ "id": person })).await;
    let own = personal_token(&app.db, person.as_str().unwrap().parse().unwrap()).await;
    run.run(
        &own,
        "UpdateUser",
        json!({ "id": person, "input": { "timeZone": "Europe/London" } }),
    )
    .await;
    run.run(
        &own,
        "ChangePassword",
        json!({ "currentPassword": "documents test password", "newPassword": "another test password" }),
    )
    .await;
    let enrolment = run.run(&own, "StartMfaEnrolment", json!({})).await;
    let secret = id_of(&enrolment, "/startMfaEnrolment/secret")
        .as_str()
        .unwrap()
        .to_owned();
    run.run(
        &own,
        "ConfirmMfaEnrolment",
        json!({ "code": crate::mfa::code(&secret, now) }),
    )
    .await;
    run.run(&admin, "ResetUserMfa", json!({ "id": person }))
        .await;
    run.run(&admin, "ResetUserPassword", json!({ "id": person }))
        .await;
    run.run(&admin, "DisableUser", json!({ "id": person }))
        .await;
    run.run(&admin, "EnableUser", json!({ "id": person })).await;

    // Moving the clock needs a service on a manual clock.
    let sandbox = spawn_app_at(now).await;
    let mut on_sandbox = Runner::new(&sandbox);
    on_sandbox
        .run(
            &sandbox.admin_token,
            "AdvanceClock",
            json!({ "to": now + Duration::hours(1) }),
        )
        .await;
    run.ran.insert("AdvanceClock".to_owned());
    run.finish();
}

/// The README is the product's manual: it points nowhere outside the repository, shows the
/// review decisions beside the statuses they lead to, and its roles table says what ADMIN
/// may not do: the operations that need an agency's identity, which answer ADMIN FORBIDDEN.
#[tokio::test]
async fn the_readme_is_self_contained_and_its_roles_table_is_true() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    assert!(
        !readme.contains("../"),
        "the README points outside the repository"
    );
    for shown in ["`VERIFY`", "`REJECT`", "`VERIFIED`", "`REJECTED`"] {
        assert!(readme.contains(shown), "the README shows {shown}");
    }
    let admin_row = readme
        .lines()
        .find(|line| line.starts_with("| `ADMIN` |"))
        .expect("the roles table has an ADMIN row");
    let app = spawn_app().await;
    for (field, document) in [
        ("myPlacements", "{ myPlacements { edges { node { id } } } }"),
        (
            "reportActivities",
            "mutation { reportActivities(activities: []) { rejected } }",
        ),
        (
            "reportPayments",
            "mutation { reportPayments(payments: []) { rejected } }",
        ),
        (
            "acknowledgeIncident",
            r#"mutation { acknowledgeIncident(id: "1", note: "n") { id } }"#,
        ),
        (
            "disputeCommissionStatement",
            r#"mutation { disputeCommissionStatement(id: "1", reason: "r") { id } }"#,
        ),
    ] {
        let answer = app.admin(document, json!({})).await;
        assert_eq!(answer.code(), Some("FORBIDDEN"), "{field}: {}", answer.body);
        assert!(
            admin_row.contains(&format!("`{field}`")),
            "the roles table's ADMIN row says ADMIN may not {field}: {admin_row}"
        );
    }
}
