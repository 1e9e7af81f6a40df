//! Scorecards and automatic reassignment, end to end: two agencies in one segment, one
//! collecting three times better than the other, which also leaves a third of its
//! accounts idle.

use chrono::{Duration, SecondsFormat, Utc};
use entity::agency::{self, AgencyStatus};
use entity::api_token::Role;
use entity::placement::{self, PlacementStatus};
use entity::portfolio;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter,
};
use serde_json::{Value, json};

use crate::fixtures;
use crate::helpers::{TestApp, spawn_app, spawn_app_with, test_settings, token};
use crate::reporting::{REPORT_ACTIVITIES, REPORT_PAYMENTS};

pub const SEGMENT: &str = "TX-EARLY";
const ACCOUNTS: usize = 120;

/// Two qualified agencies sharing a Texas early-stage segment (EQUAL split), placed 40
/// days ago: STRONG called and reached every debtor and collected 30.00 of each 100.00;
/// WEAK called 40 of its 60 without reaching anyone, collected 15.00 on those, and left
/// 20 idle.
pub struct Contest {
    pub strong: agency::Model,
    pub weak: agency::Model,
    pub strong_token: String,
    pub weak_token: String,
    pub portfolio: portfolio::Model,
    /// WEAK's placements without activity.
    pub idle: Vec<placement::Model>,
}

pub async fn contest(app: &TestApp) -> Contest {
    let mut agencies = Vec::new();
    for code in ["STRONG", "WEAK"] {
        let agency = fixtures::qualified_agency(&app.db, code, "US-TX", &[]).await;
        let mut row = agency.into_active_model();
        row.max_active_accounts = Set(Some(500));
        agencies.push(row.update(&app.db).await.unwrap());
    }
    let weak = agencies.pop().unwrap();
    let strong = agencies.pop().unwrap();
    let portfolio = fixtures::portfolio(&app.db, "TXP").await;
    for i in 0..ACCOUNTS {
        fixtures::delinquent_account(&app.db, portfolio.id, &format!("TX-{i:03}"), "US-TX", 10)
            .await;
    }
    let strategy = app
        .admin(
            "mutation($input: AllocationStrategyInput!) {
               createAllocationStrategy(code: \"TX-EARLY\", input: $input) { id } }",
            json!({ "input": {
                "name": "Texas early stage",
                "kindOfWork": "EARLY_STAGE",
                "level": "PRIMARY",
                "segment": { "dpdBuckets": ["M1"], "regions": ["US-TX"] },
                "splitMethod": "EQUAL",
            }}),
        )
        .await
        .data()["createAllocationStrategy"]["id"]
        .clone();
    let run = app
        .admin(
            "mutation($s: ID!, $p: ID!) { runAllocation(strategyId: $s, portfolioId: $p) {
               placedCount } }",
            json!({ "s": strategy, "p": portfolio.id.to_string() }),
        )
        .await;
    assert_eq!(run.data()["runAllocation"]["placedCount"], ACCOUNTS);
    // Placed 40 days ago: long enough for a verdict (30 days) and for idleness.
    placement::Entity::update_many()
        .col_expr(
            placement::Column::PlacedAt,
            Expr::value(Utc::now() - Duration::days(40)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let held = |agency_id: i64| {
        placement::Entity::find()
            .filter(placement::Column::AgencyId.eq(agency_id))
            .all(&app.db)
    };
    let strong_held = held(strong.id).await.unwrap();
    let weak_held = held(weak.id).await.unwrap();
    assert_eq!((strong_held.len(), weak_held.len()), (60, 60));

    let strong_token = token(&app.db, Role::Agency, Some(strong.id)).await;
    let weak_token = token(&app.db, Role::Agency, Some(weak.id)).await;
    work(
        app,
        &strong_token,
        &strong_held,
        "RIGHT_PARTY_CONTACT",
        "30.00",
    )
    .await;
    work(app, &weak_token, &weak_held[..40], "NO_ANSWER", "15.00").await;
    Contest {
        strong,
        weak,
        strong_token,
        weak_token,
        portfolio,
        idle: weak_held[40..].to_vec(),
    }
}

/// One call two days ago (at 16:00 UTC, daytime in Texas) and one payment yesterday on
/// each placement.
async fn work(
    app: &TestApp,
    token: &str,
    placements: &[placement::Model],
    result: &str,
    paid: &str,
) {
    let day = |ago: i64| {
        (Utc::now() - Duration::days(ago))
            .date_naive()
            .and_hms_opt(16, 0, 0)
            .unwrap()
            .and_utc()
            .to_rfc3339_opts(SecondsFormat::Secs, true)
    };
    let calls: Vec<Value> = placements
        .iter()
        .map(|p| {
            json!({
                "externalId": format!("call-{}", p.id),
                "accountId": p.account_id.to_string(),
                "type": "CONTACT_ATTEMPT",
                "occurredAt": day(2),
                "channel": "CALL",
                "result": result,
                "contactPoint": "+1 512 555 0100",
            })
        })
        .collect();
    let answer = app
        .gql(
            Some(token),
            REPORT_ACTIVITIES,
            json!({ "activities": calls }),
        )
        .await;
    assert_eq!(
        answer.data()["reportActivities"]["accepted"],
        placements.len()
    );
    let payments: Vec<Value> = placements
        .iter()
        .map(|p| {
            json!({
                "externalId": format!("pay-{}", p.id),
                "accountId": p.account_id.to_string(),
                "amount": paid,
                "currency": "USD",
                "paidAt": day(1),
                "method": "CARD",
                "paidTo": "AGENCY",
            })
        })
        .collect();
    let answer = app
        .gql(
            Some(token),
            REPORT_PAYMENTS,
            json!({ "payments": payments }),
        )
        .await;
    assert_eq!(
        answer.data()["reportPayments"]["accepted"],
        placements.len()
    );
}

const SET_POLICY: &str = "
mutation($input: ReassignmentPolicyInput!) {
  setReassignmentPolicy(input: $input) { id segment version active graceHours rules {
    trigger action window thresholdBp minAccounts count } }
}";

pub(crate) const DECISION_FIELDS: &str = "id status action segment executeAfter findings outcome
    overrideReason overriddenBy agency { code }";

pub(crate) fn run_query() -> String {
    format!(
        "mutation($dry: Boolean!) {{ runReassignment(dryRun: $dry) {{ id dryRun summary
           decisions {{ {DECISION_FIELDS} }} }} }}"
    )
}

pub(crate) fn override_query() -> String {
    format!(
        "mutation($id: ID!, $reason: String!) {{
           overrideReassignment(decisionId: $id, reason: $reason) {{ {DECISION_FIELDS} }} }}"
    )
}

/// The policy of the scenario: recovery under 60% of the peer median → PROBATION; more
/// than 20% of accounts idle → RECALL_IDLE; an open CRITICAL incident → RECALL_ALL.
pub(crate) async fn policy(app: &TestApp) -> Value {
    app.admin(
        SET_POLICY,
        json!({ "input": {
            "segment": SEGMENT,
            "rules": [
                { "trigger": "RECOVERY_BELOW_PEER_MEDIAN", "action": "PROBATION",
                  "thresholdBp": 6000 },
                { "trigger": "IDLE_SHARE_ABOVE", "action": "RECALL_IDLE",
                  "thresholdBp": 2000, "minAccounts": 20 },
                { "trigger": "CRITICAL_INCIDENT", "action": "RECALL_ALL" },
            ],
        }}),
    )
    .await
    .data()["setReassignmentPolicy"]
        .clone()
}

async fn review(app: &TestApp, dry_run: bool) -> Value {
    app.admin(&run_query(), json!({ "dry": dry_run }))
        .await
        .data()["runReassignment"]
        .clone()
}

/// The scheduled review, run by another "process" with its clock `hours` ahead.
pub(crate) async fn scheduled_review(app: &TestApp, hours: i64) {
    scheduled_review_with(app, hours, |_| {}).await;
}

/// The scheduled review, by a process whose settings `adjust` changed.
async fn scheduled_review_with(
    app: &TestApp,
    hours: i64,
    adjust: impl FnOnce(&mut agencyflow::config::Settings),
) {
    let mut settings = test_settings(&app.database_url);
    adjust(&mut settings);
    let db = agencyflow::db::connect(&settings.database).await.unwrap();
    let jobs = agencyflow::app::job_context(&settings, db, reqwest::Client::new(), "later".into())
        .unwrap();
    let run = agencyflow_graphql::domain::jobs::runner::run_now(
        &jobs,
        agencyflow_graphql::domain::jobs::JobName::ReassignmentReview,
        &agencyflow_graphql::domain::Caller::system(
            "scheduler",
            Utc::now() + Duration::hours(hours),
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        run.status,
        entity::job_run::RunStatus::Succeeded,
        "{:?}",
        run.error
    );
}

async fn status_of(app: &TestApp, agency: &agency::Model) -> AgencyStatus {
    agency::Entity::find_by_id(agency.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .status
}

async fn active_with(app: &TestApp, agency: &agency::Model) -> u64 {
    placement::Entity::find()
        .filter(placement::Column::AgencyId.eq(agency.id))
        .filter(placement::Column::Status.eq(PlacementStatus::Active))
        .count(&app.db)
        .await
        .unwrap()
}

fn triggers(decision: &Value) -> Vec<&str> {
    decision["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["trigger"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_weaker_agency_goes_on_probation_and_its_idle_accounts_to_the_stronger() {
    let app = spawn_app().await;
    let contest = contest(&app).await;
    let set = policy(&app).await;
    assert_eq!(
        (set["version"].as_i64(), set["graceHours"].as_i64()),
        (Some(1), Some(48))
    );

    let dry = review(&app, true).await;
    assert_eq!(dry["dryRun"], true);
    let proposed = dry["decisions"].as_array().unwrap();
    assert_eq!(proposed.len(), 1, "only WEAK is judged short: {dry}");
    assert_eq!(proposed[0]["status"], "PROPOSED");
    assert_eq!(status_of(&app, &contest.weak).await, AgencyStatus::Active);

    let run = review(&app, false).await;
    let decision = &run["decisions"][0];
    assert_eq!(run["decisions"].as_array().unwrap().len(), 1);
    assert_eq!(decision["agency"]["code"], "WEAK");
    assert_eq!(decision["action"], "RECALL_IDLE");
    assert_eq!(
        decision["status"], "PENDING",
        "it waits out the grace period"
    );
    assert_eq!(
        triggers(decision),
        ["RECOVERY_BELOW_PEER_MEDIAN", "IDLE_SHARE_ABOVE"]
    );
    // WEAK recovered 10%, STRONG 30%: the median is 20%, the threshold 60% of it.
    let recovery = &decision["findings"][0];
    assert_eq!(recovery["measured"], "10.00%");
    assert_eq!(recovery["threshold"], "12.00%");
    assert_eq!(decision["findings"][1]["measured"], "33.33%");
    // A second review while it is pending decides nothing new.
    assert_eq!(review(&app, false).await["decisions"], json!([]));
    assert_eq!(status_of(&app, &contest.weak).await, AgencyStatus::Active);

    // Two days later the scheduled review executes it.
    scheduled_review(&app, 49).await;
    assert_eq!(
        status_of(&app, &contest.weak).await,
        AgencyStatus::Probation
    );
    for idle in &contest.idle {
        let now = placement::Entity::find()
            .filter(placement::Column::AccountId.eq(idle.account_id))
            .filter(placement::Column::Status.eq(PlacementStatus::Active))
            .one(&app.db)
            .await
            .unwrap()
            .expect("placed again");
        assert_eq!(now.agency_id, contest.strong.id);
        let recalled = placement::Entity::find_by_id(idle.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(recalled.status, PlacementStatus::Recalled);
        assert!(
            recalled
                .end_reason
                .unwrap()
                .contains("reassignment decision")
        );
        assert!(now.explanation.unwrap()["reassignment"].is_string());
    }
    assert_eq!(active_with(&app, &contest.weak).await, 40);
    assert_eq!(active_with(&app, &contest.strong).await, 80);
    let stored = app
        .admin(
            &format!("query($id: ID!) {{ reassignmentRun(id: $id) {{ decisions {{ {DECISION_FIELDS} }} }} }}"),
            json!({ "id": run["id"] }),
        )
        .await;
    let executed = &stored.data()["reassignmentRun"]["decisions"][0];
    assert_eq!(executed["status"], "EXECUTED");
    assert_eq!(executed["outcome"]["recalled"], 20);
    assert_eq!(executed["outcome"]["placed"], 20);
    assert_eq!(
        executed["outcome"]["toAgencies"][0]["agencyId"],
        contest.strong.id.to_string()
    );

    // A CRITICAL incident: WEAK is suspended and all its accounts move, at once.
    let raised = app
        .admin(
            "mutation($input: RaiseComplianceIncidentInput!) {
               raiseComplianceIncident(input: $input) { id } }",
            json!({ "input": {
                "agencyId": contest.weak.id.to_string(),
                "source": "COMPLAINT",
                "severity": "CRITICAL",
                "rule": "HARASSMENT",
                "summary": "threatened a debtor with arrest",
            }}),
        )
        .await;
    raised.data();
    let run = review(&app, false).await;
    let decision = &run["decisions"][0];
    assert_eq!(decision["action"], "RECALL_ALL");
    assert_eq!(
        decision["status"], "EXECUTED",
        "no grace for CRITICAL: {run}"
    );
    assert_eq!(decision["outcome"]["recalled"], 40);
    assert_eq!(
        status_of(&app, &contest.weak).await,
        AgencyStatus::Suspended
    );
    assert_eq!(active_with(&app, &contest.weak).await, 0);
    assert_eq!(active_with(&app, &contest.strong).await, ACCOUNTS as u64);
    // The agency hears of it.
    let told = entity::outbox_event::Entity::find()
        .filter(entity::outbox_event::Column::Topic.eq("agency.status_changed"))
        .filter(entity::outbox_event::Column::AgencyId.eq(contest.weak.id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(told, 2, "PROBATION, then SUSPENDED");
}

#[tokio::test]
async fn an_override_stops_a_pending_decision() {
    let app = spawn_app().await;
    let contest = contest(&app).await;
    policy(&app).await;
    let run = review(&app, false).await;
    let id = run["decisions"][0]["id"].clone();
    let manager = token(&app.db, Role::VendorManager, None).await;
    let overriding = override_query();
    let agency = app
        .gql(
            Some(&contest.weak_token),
            &overriding,
            json!({ "id": id, "reason": "no" }),
        )
        .await;
    assert_eq!(agency.code(), Some("FORBIDDEN"));
    let stopped = app
        .gql(
            Some(&manager),
            &overriding,
            json!({ "id": id, "reason": "remediation plan agreed on 2026-11-27" }),
        )
        .await;
    let stopped = &stopped.data()["overrideReassignment"];
    assert_eq!(stopped["status"], "OVERRIDDEN");
    assert_eq!(
        stopped["overrideReason"],
        "remediation plan agreed on 2026-11-27"
    );

    scheduled_review(&app, 49).await;
    assert_eq!(status_of(&app, &contest.weak).await, AgencyStatus::Active);
    assert_eq!(active_with(&app, &contest.weak).await, 60);
    let again = app
        .gql(
            Some(&manager),
            &overriding,
            json!({ "id": id, "reason": "again" }),
        )
        .await;
    assert_eq!(again.code(), Some("CONFLICT"));
    let audited = entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::Action.eq("reassignment_decision.override"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn a_held_decision_waits_past_its_grace_until_a_second_person_approves_it() {
    let app = spawn_app().await;
    let contest = contest(&app).await;
    policy(&app).await;
    let run = review(&app, false).await;
    let decision = run["decisions"][0].clone();
    assert_eq!(decision["status"], "PENDING");
    let id = decision["id"].clone();
    let hold = format!(
        "mutation($id: ID!, $reason: String!) {{
           holdReassignment(decisionId: $id, reason: $reason) {{ {DECISION_FIELDS} holdReason heldBy heldAt }} }}"
    );
    let approve = format!(
        "mutation($id: ID!, $note: String!) {{
           approveReassignment(decisionId: $id, note: $note) {{ {DECISION_FIELDS} executedAt approvalNote approvedBy approvedAt }} }}"
    );
    // The ADMIN ran the review: four eyes keep them from acting on its decisions.
    let own = app
        .admin(&hold, json!({ "id": id, "reason": "mine" }))
        .await;
    assert_eq!(own.code(), Some("FORBIDDEN"));
    let agency = app
        .gql(
            Some(&contest.weak_token),
            &approve,
            json!({ "id": id, "note": "yes" }),
        )
        .await;
    assert_eq!(agency.code(), Some("FORBIDDEN"));
    let manager = token(&app.db, Role::VendorManager, None).await;
    let blank = app
        .gql(Some(&manager), &hold, json!({ "id": id, "reason": " " }))
        .await;
    assert_eq!(blank.code(), Some("BAD_USER_INPUT"));
    let held = app
        .gql(
            Some(&manager),
            &hold,
            json!({ "id": id, "reason": "the agency's remediation call is on Monday" }),
        )
        .await;
    let held = &held.data()["holdReassignment"];
    assert_eq!(held["status"], "HELD");
    assert_eq!(
        held["holdReason"],
        "the agency's remediation call is on Monday"
    );
    assert!(held["heldBy"].is_string() && held["heldAt"].is_string());
    let twice = app
        .gql(
            Some(&manager),
            &hold,
            json!({ "id": id, "reason": "again" }),
        )
        .await;
    assert_eq!(twice.code(), Some("CONFLICT"));

    // Past its grace period a review leaves a held decision alone, and makes no other.
    scheduled_review(&app, 49).await;
    assert_eq!(status_of(&app, &contest.weak).await, AgencyStatus::Active);
    assert_eq!(active_with(&app, &contest.weak).await, 60);
    let pending = entity::reassignment_decision::Entity::find()
        .filter(entity::reassignment_decision::Column::Status.is_in([
            "PENDING",
            "EXECUTING",
            "EXECUTED",
        ]))
        .filter(
            entity::reassignment_decision::Column::Segment
                .eq(decision["segment"].as_str().unwrap()),
        )
        .filter(
            entity::reassignment_decision::Column::Action.eq(decision["action"].as_str().unwrap()),
        )
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(pending, 0);

    let approved = app
        .gql(
            Some(&manager),
            &approve,
            json!({ "id": id, "note": "the call did not change the figures" }),
        )
        .await;
    let approved = &approved.data()["approveReassignment"];
    assert_eq!(approved["status"], "EXECUTED", "{approved}");
    assert_eq!(
        approved["approvalNote"],
        "the call did not change the figures"
    );
    assert!(approved["executedAt"].is_string() && approved["approvedAt"].is_string());
    assert_ne!(status_of(&app, &contest.weak).await, AgencyStatus::Active);
    let again = app
        .gql(
            Some(&manager),
            &approve,
            json!({ "id": id, "note": "again" }),
        )
        .await;
    assert_eq!(again.code(), Some("CONFLICT"));
    for action in [
        "reassignment_decision.hold",
        "reassignment_decision.approve",
    ] {
        let audited = entity::audit_event::Entity::find()
            .filter(entity::audit_event::Column::Action.eq(action))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(audited.len(), 1, "{action}");
        assert_eq!(audited[0].entity_id, id.as_str().unwrap());
    }
}

const SCORECARDS: &str = "
query($segment: String) {
  agencyScorecards(segment: $segment) {
    asOf segment window
    rows { agency { code } rank score accountsPlaced balancePlaced { amount currency }
      collected { amount } recoveryRate accountsContacted contactRate
      medianDaysToFirstContact ptpRate ptpKeptRate complaints complaintsPer1000
      incidents { low medium high critical } accountsHeld idleAccounts idleShare
      costOfCollection }
  }
}";

#[tokio::test]
async fn scorecards_rank_agencies_on_hand_computed_figures_and_weigh_allocation() {
    let app = spawn_app().await;
    let contest = contest(&app).await;
    let empty = app.admin(SCORECARDS, json!({ "segment": SEGMENT })).await;
    assert_eq!(empty.data()["agencyScorecards"]["asOf"], Value::Null);

    let run = app
        .admin(
            "mutation { runJob(name: \"performance_snapshot\") { status summary } }",
            json!({}),
        )
        .await;
    assert_eq!(
        run.data()["runJob"]["status"],
        "SUCCEEDED",
        "{:?}",
        run.body
    );
    let table = app.admin(SCORECARDS, json!({ "segment": SEGMENT })).await;
    let table = &table.data()["agencyScorecards"];
    assert_eq!(table["window"], "LAST_90_DAYS");
    let (strong, weak) = (&table["rows"][0], &table["rows"][1]);
    assert_eq!(strong["agency"]["code"], "STRONG");
    assert_eq!(strong["rank"], 1);
    // Recovery 30% beats the 20% target; contact 100%; no incident; no promise due.
    assert_eq!(strong["score"], "100.00");
    assert_eq!(strong["balancePlaced"]["amount"], "6000.00");
    assert_eq!(strong["collected"]["amount"], "1800.00");
    assert_eq!(strong["recoveryRate"], "30.00");
    assert_eq!(strong["contactRate"], "100.00");
    assert_eq!(strong["ptpRate"], "0.00");
    assert_eq!(strong["ptpKeptRate"], Value::Null);
    assert_eq!(strong["idleAccounts"], 0);
    assert_eq!(strong["costOfCollection"], Value::Null);
    assert_eq!(weak["agency"]["code"], "WEAK");
    assert_eq!(weak["rank"], 2);
    // (50 × 10/20 + 10 × 0 + 25 × 1) / 85 = 58.82.
    assert_eq!(weak["score"], "58.82");
    assert_eq!(weak["collected"]["amount"], "600.00");
    assert_eq!(weak["recoveryRate"], "10.00");
    assert_eq!(weak["contactRate"], "0.00");
    assert_eq!(weak["ptpRate"], Value::Null);
    assert_eq!(
        (weak["accountsHeld"].as_i64(), weak["idleAccounts"].as_i64()),
        (Some(60), Some(20))
    );
    assert_eq!(weak["idleShare"], "33.33");
    assert_eq!(weak["complaintsPer1000"], "0.00");
    assert!(weak["medianDaysToFirstContact"].is_string());

    // Agencies read their own scorecard only; the league table is the lender's.
    let own = format!(
        "{{ agencyScorecard(agencyId: \"{}\", segment: \"{SEGMENT}\") {{ history {{ score }} }} }}",
        contest.strong.id
    );
    let mine = app.gql(Some(&contest.strong_token), &own, json!({})).await;
    assert_eq!(
        mine.data()["agencyScorecard"]["history"][0]["score"],
        "100.00"
    );
    let theirs = app.gql(Some(&contest.weak_token), &own, json!({})).await;
    assert_eq!(theirs.code(), Some("FORBIDDEN"));
    let league = app
        .gql(
            Some(&contest.weak_token),
            SCORECARDS,
            json!({ "segment": SEGMENT }),
        )
        .await;
    assert_eq!(league.code(), Some("FORBIDDEN"));

    // PERFORMANCE_WEIGHTED allocation weighs by these scores.
    app.admin(
        "mutation($input: AllocationStrategyInput!) {
           reviseAllocationStrategy(code: \"TX-EARLY\", input: $input) { id } }",
        json!({ "input": {
            "name": "Texas early stage",
            "kindOfWork": "EARLY_STAGE",
            "level": "PRIMARY",
            "segment": { "dpdBuckets": ["M1"], "regions": ["US-TX"] },
            "splitMethod": "PERFORMANCE_WEIGHTED",
        }}),
    )
    .await
    .data();
    for i in 0..10 {
        fixtures::delinquent_account(
            &app.db,
            contest.portfolio.id,
            &format!("NEW-{i}"),
            "US-TX",
            10,
        )
        .await;
    }
    let strategy = app
        .admin(
            "{ allocationStrategies(activeOnly: true) { edges { node { id } } } }",
            json!({}),
        )
        .await
        .data()["allocationStrategies"]["edges"][0]["node"]["id"]
        .clone();
    let dry = app
        .admin(
            "mutation($s: ID!, $p: ID!) { runAllocation(strategyId: $s, portfolioId: $p,
               dryRun: true) { placements { explanation agency { code } } } }",
            json!({ "s": strategy, "p": contest.portfolio.id.to_string() }),
        )
        .await;
    let placements = dry.data()["runAllocation"]["placements"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(placements.len(), 10);
    for p in &placements {
        let expected = if p["agency"]["code"] == "STRONG" {
            "100.00"
        } else {
            "58.82"
        };
        assert_eq!(p["explanation"]["score"]["points"], expected, "{p}");
    }
    let to_strong = placements
        .iter()
        .filter(|p| p["agency"]["code"] == "STRONG")
        .count();
    assert!(
        to_strong > 5,
        "the stronger agency takes the larger share: {to_strong} of 10"
    );
}

#[tokio::test]
async fn a_warning_without_grace_is_sent_at_once_and_not_repeated_within_the_week() {
    let app = spawn_app().await;
    let contest = contest(&app).await;
    app.admin(
        SET_POLICY,
        json!({ "input": {
            "segment": "*",
            "graceHours": 0,
            "rules": [{ "trigger": "IDLE_SHARE_ABOVE", "action": "WARN", "thresholdBp": 2000,
                        "minAccounts": 20 }],
        }}),
    )
    .await
    .data();
    let run = review(&app, false).await;
    let decision = &run["decisions"][0];
    assert_eq!(decision["action"], "WARN");
    assert_eq!(decision["status"], "EXECUTED", "{run}");
    assert_eq!(decision["outcome"]["recalled"], 0);
    assert_eq!(status_of(&app, &contest.weak).await, AgencyStatus::Active);
    let warned = entity::outbox_event::Entity::find()
        .filter(entity::outbox_event::Column::Topic.eq("agency.warned"))
        .filter(entity::outbox_event::Column::AgencyId.eq(contest.weak.id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(warned, 1);
    let again = review(&app, false).await;
    assert_eq!(again["decisions"], json!([]), "held for a week: {again}");
    assert_eq!(again["summary"]["skippedAsRepeats"], 1);
}

#[tokio::test]
async fn a_decision_left_executing_by_a_stopped_process_is_finished_by_the_next_review() {
    use entity::reassignment_decision::{self, DecisionStatus, PlacementIds};
    let app = spawn_app().await;
    let contest = contest(&app).await;
    policy(&app).await;
    let run = review(&app, false).await;
    let id: i64 = run["decisions"][0]["id"].as_str().unwrap().parse().unwrap();
    // As a process stopped after step 1 would leave it, 11 minutes ago.
    let stopped = Utc::now() - Duration::minutes(11);
    let mut row = reassignment_decision::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    row.status = Set(DecisionStatus::Executing);
    row.placement_ids = Set(Some(PlacementIds(
        contest.idle.iter().map(|p| p.id).collect(),
    )));
    row.executed_at = Set(Some(stopped));
    row.updated_at = Set(stopped);
    row.update(&app.db).await.unwrap();

    let next = review(&app, false).await;
    assert_eq!(
        next["decisions"],
        json!([]),
        "in force while executing: {next}"
    );
    let done = reassignment_decision::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.status, DecisionStatus::Executed);
    assert_eq!(done.outcome.unwrap()["placed"], 20);
    assert_eq!(active_with(&app, &contest.weak).await, 40);
    assert_eq!(active_with(&app, &contest.strong).await, 80);
}

#[tokio::test]
async fn recall_idle_takes_the_accounts_idle_by_the_one_idle_threshold() {
    // compliance.idle_days = 1: WEAK's calls two days ago leave all 60 of its accounts
    // idle, in the scorecard's idle share and in what RECALL_IDLE takes back alike.
    let one_day = |settings: &mut agencyflow::config::Settings| settings.compliance.idle_days = 1;
    let app = spawn_app_with(one_day).await;
    let contest = contest(&app).await;
    // STRONG noted something on each account an hour ago.
    let strong_held = placement::Entity::find()
        .filter(placement::Column::AgencyId.eq(contest.strong.id))
        .all(&app.db)
        .await
        .unwrap();
    let notes: Vec<Value> = strong_held
        .iter()
        .map(|p| {
            json!({
                "externalId": format!("note-{}", p.id),
                "accountId": p.account_id.to_string(),
                "type": "NOTE",
                "occurredAt": (Utc::now() - Duration::hours(1)).to_rfc3339(),
                "note": "debtor asked for a statement",
            })
        })
        .collect();
    let noted = app
        .gql(
            Some(&contest.strong_token),
            REPORT_ACTIVITIES,
            json!({ "activities": notes }),
        )
        .await;
    assert_eq!(noted.data()["reportActivities"]["accepted"], 60);
    policy(&app).await;
    let run = review(&app, false).await;
    let decisions = run["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 1, "{run}");
    let decision = &decisions[0];
    assert_eq!(decision["agency"]["code"], "WEAK");
    assert_eq!(decision["action"], "RECALL_IDLE");
    assert_eq!(decision["findings"][1]["measured"], "100.00%", "{decision}");
    scheduled_review_with(&app, 49, one_day).await;
    assert_eq!(active_with(&app, &contest.weak).await, 0);
    assert_eq!(active_with(&app, &contest.strong).await, 120);
}
