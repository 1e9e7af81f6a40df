//! Segregation of duties by person: one person, signed in once and holding two personal
//! tokens, is one principal to every four-eyes rule. Whoever generated or submitted a
//! commission statement approves it through none of them (and an ADMIN approves none),
//! whoever submitted a qualification verifies it through none of them, and whoever ran a
//! reassignment review overrides its decisions through none of them; another person can.

use serde_json::{Value, json};

use crate::commissions::{GENERATE, STEPS, reconcile, remitted_on_a_plan};
use crate::fixtures;
use crate::helpers::{Answer, TestApp, spawn_app, spawn_app_at};
use crate::people::{as_session, make_person, signed_in};
use crate::qualifications::{QUALIFICATION, submission, submitted};
use crate::reassignment::{contest, override_query, policy, run_query, scheduled_review};
use crate::reporting::utc;

const CREATE_TOKEN: &str = "
mutation($label: String!) { createApiToken(input: { label: $label }) { token apiToken { id } } }";
const WHO: &str = "{ me { user { id } tokenId sessionId } }";
const EVENTS: &str = "
query($filter: AuditEventsFilter) {
  auditEvents(filter: $filter, first: 50) { edges { node { actor actorVia after } } }
}";

/// How a [`Holder`] calls.
#[derive(Copy, Clone, Debug)]
enum Channel {
    FirstToken,
    SecondToken,
    Session,
}

const CHANNELS: [Channel; 3] = [Channel::FirstToken, Channel::SecondToken, Channel::Session];

/// One person with a signed-in session and two personal tokens, made as an ADMIN and a
/// browser would: createUser, the set-password link, sign-in, createApiToken twice.
struct Holder {
    /// `user:<id>`: how four-eyes columns and the audit log name the person.
    principal: String,
    /// (secret, id) of each token.
    tokens: [(String, String); 2],
    cookie: String,
    session_id: String,
}

impl Holder {
    async fn new(app: &TestApp, role: &str) -> Self {
        let person = make_person(app, role, None).await;
        let cookie = signed_in(app, &person).await;
        let mut tokens = Vec::new();
        for label in ["laptop", "scripts"] {
            let made = as_session(app, &cookie, CREATE_TOKEN, json!({ "label": label })).await;
            let made = &made.data()["createApiToken"];
            tokens.push((
                made["token"].as_str().unwrap().to_owned(),
                made["apiToken"]["id"].as_str().unwrap().to_owned(),
            ));
        }
        let me = as_session(app, &cookie, WHO, json!({})).await;
        let session_id = me.data()["me"]["sessionId"].as_str().unwrap().to_owned();
        let holder = Self {
            principal: format!("user:{}", person.id),
            tokens: [tokens.remove(0), tokens.remove(0)],
            cookie,
            session_id,
        };
        // Three ways in, one person.
        for channel in CHANNELS {
            let me = holder.call(app, channel, WHO, json!({})).await;
            assert_eq!(me.data()["me"]["user"]["id"], person.id, "{channel:?}");
        }
        holder
    }

    async fn call(&self, app: &TestApp, channel: Channel, query: &str, variables: Value) -> Answer {
        match channel {
            Channel::FirstToken => app.gql(Some(&self.tokens[0].0), query, variables).await,
            Channel::SecondToken => app.gql(Some(&self.tokens[1].0), query, variables).await,
            Channel::Session => as_session(app, &self.cookie, query, variables).await,
        }
    }

    /// How the audit log names `channel`: `token:<id>` or `session:<id>`.
    fn via(&self, channel: Channel) -> String {
        match channel {
            Channel::FirstToken => format!("token:{}", self.tokens[0].1),
            Channel::SecondToken => format!("token:{}", self.tokens[1].1),
            Channel::Session => format!("session:{}", self.session_id),
        }
    }
}

/// Asserts the answer is FORBIDDEN with a message saying `why`.
fn refused(answer: &Answer, why: &str, context: &str) {
    assert_eq!(
        answer.code(),
        Some("FORBIDDEN"),
        "{context}: {}",
        answer.body
    );
    let message = answer.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains(why), "{context}: {message}");
}

/// The audit events of one record and action.
async fn events(
    app: &TestApp,
    (entity_type, entity_id): (&str, &Value),
    action: &str,
) -> Vec<Value> {
    let events = app
        .admin(
            EVENTS,
            json!({ "filter": { "entityType": entity_type, "entityId": entity_id, "action": action } }),
        )
        .await;
    events.data()["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

const APPROVE: &str =
    "mutation($id: ID!) { approveCommissionStatement(id: $id) { status approvedBy } }";
const NOT_THE_MAKER: &str = "whoever generated or submitted a statement cannot approve it";

/// Approval of statement `id` by `approver` through `channel`: the statement and its audit
/// event name the person, and the event says how they acted.
async fn approved(app: &TestApp, id: &Value, approver: &Holder, channel: Channel) {
    let answer = approver
        .call(app, channel, APPROVE, json!({ "id": id }))
        .await;
    let statement = &answer.data()["approveCommissionStatement"];
    assert_eq!(statement["status"], "APPROVED");
    assert_eq!(statement["approvedBy"], approver.principal);
    let approvals: Vec<Value> = events(
        app,
        ("commission_statement", id),
        "commission_statement.change_status",
    )
    .await
    .into_iter()
    .filter(|event| event["after"]["status"] == "APPROVED")
    .collect();
    assert_eq!(
        approvals.len(),
        1,
        "one approval, by the approver: {approvals:?}"
    );
    assert_eq!(approvals[0]["actor"], approver.principal);
    assert_eq!(approvals[0]["actorVia"], approver.via(channel));
}

#[tokio::test]
async fn whoever_generated_or_submitted_a_statement_approves_it_through_no_token_or_session() {
    // After October's books closed.
    let app = spawn_app_at(utc(2026, 12, 8, 9, 0)).await;
    let month = remitted_on_a_plan(&app).await;
    // Another FINANCE person, with a token of their own.
    let colleague = month.finance.as_str();
    // A euro adjustment gives ALPHA a second statement of the month.
    app.gql(
        Some(colleague),
        "mutation($a: ID!) { addCommissionAdjustment(agencyId: $a, amount: \"5.00\",
           currency: \"EUR\", reason: \"euro bank charges\") { id } }",
        json!({ "a": month.agency_id.to_string() }),
    )
    .await
    .data();
    let october = json!({ "start": "2026-10-01", "end": "2026-10-31" });
    reconcile(&app, colleague, ("2026-10-01", "2026-10-31")).await;
    let maker = Holder::new(&app, "FINANCE").await;
    let approver = Holder::new(&app, "FINANCE").await;

    // The maker generates both statements through their first token.
    let generated = maker
        .call(&app, Channel::FirstToken, GENERATE, october.clone())
        .await;
    let statements = generated.data()["generateCommissionStatements"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(statements.len(), 2, "{statements:?}");
    let is_euro = |s: &Value| {
        s["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["kind"] == "ADJUSTMENT")
    };
    let dollars = statements.iter().find(|s| !is_euro(s)).unwrap()["id"].clone();
    let euros = statements.iter().find(|s| is_euro(s)).unwrap()["id"].clone();
    assert!(
        statements
            .iter()
            .all(|s| s["generatedBy"] == maker.principal)
    );
    let generation = events(
        &app,
        ("commission_statement", &dollars),
        "commission_statement.generate",
    )
    .await;
    assert_eq!(generation[0]["actor"], maker.principal);
    assert_eq!(generation[0]["actorVia"], maker.via(Channel::FirstToken));

    // The dollar statement: generated by the maker, submitted by the colleague.
    app.gql(Some(colleague), STEPS, json!({ "id": dollars }))
        .await
        .data();
    // The euro statement: regenerated by the colleague (the submitted one stays as it
    // is), submitted by the maker through their session.
    let regenerated = app.gql(Some(colleague), GENERATE, october).await;
    let regenerated = regenerated.data()["generateCommissionStatements"]
        .as_array()
        .unwrap()
        .clone();
    let by_id = |id: &Value| regenerated.iter().find(|s| &s["id"] == id).unwrap().clone();
    assert_eq!(by_id(&dollars)["status"], "SUBMITTED");
    assert_eq!(by_id(&dollars)["generatedBy"], maker.principal);
    assert_eq!(by_id(&euros)["status"], "DRAFT");
    assert_ne!(by_id(&euros)["generatedBy"], maker.principal);
    let submitted = maker
        .call(&app, Channel::Session, STEPS, json!({ "id": euros }))
        .await;
    assert_eq!(
        submitted.data()["submitCommissionStatement"]["submittedBy"],
        maker.principal
    );

    for (id, what) in [(&dollars, "generated"), (&euros, "submitted")] {
        // Not the person who generated or submitted it, through any token or session.
        for channel in CHANNELS {
            let own = maker
                .call(&app, channel, APPROVE, json!({ "id": id }))
                .await;
            refused(
                &own,
                NOT_THE_MAKER,
                &format!("{what} by the maker, {channel:?}"),
            );
        }
        // Nor the colleague, who did the other half.
        let other_half = app.gql(Some(colleague), APPROVE, json!({ "id": id })).await;
        refused(
            &other_half,
            NOT_THE_MAKER,
            &format!("{what}: the colleague"),
        );
        // Nor an ADMIN, who approves nothing.
        let admin = app.admin(APPROVE, json!({ "id": id })).await;
        refused(
            &admin,
            "role ADMIN may not do this",
            &format!("{what}: an ADMIN"),
        );
    }

    // A second FINANCE person approves, through a token or a session.
    approved(&app, &dollars, &approver, Channel::SecondToken).await;
    approved(&app, &euros, &approver, Channel::Session).await;
}

const VERIFY: &str = "mutation($id: ID!) { reviewQualification(id: $id, decision: VERIFY) { status submittedBy reviewedBy } }";
const REJECT: &str = "mutation($id: ID!) { reviewQualification(id: $id, decision: REJECT,
    note: \"the certificate names another company\") { status } }";

#[tokio::test]
async fn a_manager_verifies_no_qualification_they_submitted_through_any_token_or_session() {
    let app = spawn_app().await;
    let agency = fixtures::agency(&app.db, "ALPHA").await;
    let submitter = Holder::new(&app, "VENDOR_MANAGER").await;
    let colleague = Holder::new(&app, "VENDOR_MANAGER").await;
    let id = submitted(&app, &submitter.tokens[0].0, submission(Some(agency.id))).await;

    for channel in CHANNELS {
        for decision in [VERIFY, REJECT] {
            let own = submitter
                .call(&app, channel, decision, json!({ "id": id }))
                .await;
            refused(
                &own,
                "a qualification is reviewed by someone other than its submitter",
                &format!("{channel:?}"),
            );
        }
    }
    let still = app
        .admin(
            &format!(
                "query($id: ID!) {{ agency(id: $id) {{ qualifications {{ {QUALIFICATION} }} }} }}"
            ),
            json!({ "id": agency.id.to_string() }),
        )
        .await;
    let still = &still.data()["agency"]["qualifications"][0];
    assert_eq!(still["status"], "PENDING_REVIEW");
    assert_eq!(still["reviewedBy"], Value::Null);

    let verified = colleague
        .call(&app, Channel::Session, VERIFY, json!({ "id": id }))
        .await;
    let verified = &verified.data()["reviewQualification"];
    assert_eq!(verified["status"], "VERIFIED");
    assert_eq!(verified["submittedBy"], submitter.principal);
    assert_eq!(verified["reviewedBy"], colleague.principal);
    let reviews = events(&app, ("qualification", &json!(id)), "qualification.review").await;
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    assert_eq!(reviews[0]["actor"], colleague.principal);
    assert_eq!(reviews[0]["actorVia"], colleague.via(Channel::Session));
}

const RUN: &str =
    "query($id: ID!) { reassignmentRun(id: $id) { createdBy decisions { id status } } }";
const NOT_THE_REVIEWER: &str = "whoever ran the review that made a decision cannot override it";

/// The run `id` was made by `by`; its one decision, PENDING.
async fn pending_decision(app: &TestApp, id: &Value, by: &str) -> Value {
    let run = app.admin(RUN, json!({ "id": id })).await;
    let run = &run.data()["reassignmentRun"];
    assert_eq!(run["createdBy"], by);
    let decisions = run["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 1, "{run}");
    assert_eq!(decisions[0]["status"], "PENDING", "{run}");
    decisions[0]["id"].clone()
}

/// The reviewer cannot override `decision` through any token or session; `colleague`
/// can, through their second token.
async fn only_another_overrides(
    app: &TestApp,
    decision: &Value,
    reviewer: &Holder,
    colleague: &Holder,
) {
    for channel in CHANNELS {
        let own = reviewer
            .call(
                app,
                channel,
                &override_query(),
                json!({ "id": decision, "reason": "I changed my mind" }),
            )
            .await;
        refused(&own, NOT_THE_REVIEWER, &format!("{channel:?}"));
    }
    let stopped = colleague
        .call(
            app,
            Channel::SecondToken,
            &override_query(),
            json!({ "id": decision, "reason": "remediation plan agreed" }),
        )
        .await;
    let stopped = &stopped.data()["overrideReassignment"];
    assert_eq!(stopped["status"], "OVERRIDDEN");
    assert_eq!(stopped["overriddenBy"], colleague.principal);
}

#[tokio::test]
async fn whoever_ran_a_review_overrides_none_of_its_decisions_through_any_token_or_session() {
    let app = spawn_app().await;
    contest(&app).await;
    policy(&app).await;
    let reviewer = Holder::new(&app, "VENDOR_MANAGER").await;
    let colleague = Holder::new(&app, "VENDOR_MANAGER").await;

    let run = reviewer
        .call(
            &app,
            Channel::FirstToken,
            &run_query(),
            json!({ "dry": false }),
        )
        .await;
    let run_id = run.data()["runReassignment"]["id"].clone();
    let decision = pending_decision(&app, &run_id, &reviewer.principal).await;
    only_another_overrides(&app, &decision, &reviewer, &colleague).await;
}

#[tokio::test]
async fn a_manager_who_runs_the_review_job_by_hand_ran_the_review() {
    let app = spawn_app().await;
    contest(&app).await;
    policy(&app).await;
    let reviewer = Holder::new(&app, "VENDOR_MANAGER").await;
    let colleague = Holder::new(&app, "VENDOR_MANAGER").await;

    let job = reviewer
        .call(
            &app,
            Channel::Session,
            "mutation { runJob(name: \"reassignment_review\") { status summary } }",
            json!({}),
        )
        .await;
    let job = &job.data()["runJob"];
    assert_eq!(job["status"], "SUCCEEDED", "{job}");
    let decision = pending_decision(
        &app,
        &job["summary"]["reassignmentRunId"],
        &reviewer.principal,
    )
    .await;
    only_another_overrides(&app, &decision, &reviewer, &colleague).await;
}

#[tokio::test]
async fn a_decision_of_the_scheduled_review_is_overridden_by_any_manager() {
    let app = spawn_app().await;
    contest(&app).await;
    policy(&app).await;
    let manager = Holder::new(&app, "VENDOR_MANAGER").await;

    scheduled_review(&app, 0).await;
    let runs = app
        .admin(
            "{ reassignmentRuns(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let run_id = runs.data()["reassignmentRuns"]["edges"][0]["node"]["id"].clone();
    let decision = pending_decision(&app, &run_id, "system:scheduler").await;
    let stopped = manager
        .call(
            &app,
            Channel::Session,
            &override_query(),
            json!({ "id": decision, "reason": "remediation plan agreed" }),
        )
        .await;
    let stopped = &stopped.data()["overrideReassignment"];
    assert_eq!(stopped["status"], "OVERRIDDEN");
    assert_eq!(stopped["overriddenBy"], manager.principal);
}
