//! Allocation: versioned strategies, and `runAllocation`, which shares a portfolio's
//! delinquent accounts among the agencies eligible for them. Agencies, their papers,
//! accounts and earlier placements are inserted as rows; the rest goes through the API.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, Utc};
use entity::account::{self, AccountFlag, AccountFlags};
use entity::agency;
use entity::api_token::Role;
use entity::outbox_event;
use entity::placement::{self, PlacementStatus};
use entity::portfolio;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use serde_json::{Value, json};

use crate::fixtures::{self, today};
use crate::helpers::{Answer, TestApp, spawn_app, token};

/// The region the test accounts and agencies are in.
const REGION: &str = "US-TX";
/// Days past due of the test accounts: bucket M1 (1 to 30).
const IN_M1: i64 = 10;
const EQUAL: &str = "EQUAL";

const STRATEGY_FIELDS: &str = "
fragment Fields on AllocationStrategy {
  id code version active name kindOfWork level
  segment { dpdBuckets minBalance maxBalance regions products }
  poolAgencyIds periodDays pendingRecallWarningDays splitMethod championAgencyId
  championShareBp floorShareBp excludePreviousHolders createdBy
}";

const CREATE: &str = "
mutation($code: String!, $input: AllocationStrategyInput!) {
  createAllocationStrategy(code: $code, input: $input) { ...Fields }
}";

const REVISE: &str = "
mutation($code: String!, $input: AllocationStrategyInput!) {
  reviseAllocationStrategy(code: $code, input: $input) { ...Fields }
}";

const STRATEGIES: &str = "
query($activeOnly: Boolean!) {
  allocationStrategies(activeOnly: $activeOnly) { edges { node { ...Fields } } }
}";

const RUN: &str = "
mutation($strategyId: ID!, $portfolioId: ID!, $dryRun: Boolean!, $seed: Int!, $key: String) {
  runAllocation(strategyId: $strategyId, portfolioId: $portfolioId, dryRun: $dryRun,
                seed: $seed, idempotencyKey: $key) {
    dryRun replayed placedCount unplacedCount
    run { id seed idempotencyKey placedCount unplacedCount }
    perAgency { accounts balance { amount currency } agency { code } }
    unplacedByReason { reason count }
    placements { accountId explanation agency { code } }
    unplaced { accountId reason detail }
  }
}";

const STORED_RUN: &str = "
query($id: ID!) {
  allocationRun(id: $id) {
    id placedCount unplacedCount
    strategy { code version }
    perAgency { accounts agency { code } }
    placements(first: 500) {
      edges { node { status level dueBackOn explanation account { id } agency { code } } }
      pageInfo { hasNextPage }
    }
    unplaced(first: 500) { edges { node { accountId reason detail } } pageInfo { hasNextPage } }
  }
}";

const RUNS: &str = "{ allocationRuns { edges { node { id placedCount } } } }";

// ---- strategy helpers ----

/// An EARLY_STAGE, PRIMARY strategy taking the M1 accounts of US-TX, split by `method`.
fn input(method: &str) -> Value {
    json!({
        "name": "Texas early stage",
        "kindOfWork": "EARLY_STAGE",
        "level": "PRIMARY",
        "segment": { "dpdBuckets": ["M1"], "regions": [REGION] },
        "splitMethod": method,
    })
}

/// `value` with the field at a dotted `path` (e.g. `segment.minBalance`) set to `to`.
fn set(mut value: Value, path: &str, to: Value) -> Value {
    let mut field = &mut value;
    for key in path.split('.') {
        field = &mut field[key];
    }
    *field = to;
    value
}

fn with_fields(operation: &str) -> String {
    format!("{operation}\n{STRATEGY_FIELDS}")
}

async fn create_as(app: &TestApp, token: &str, code: &str, input: &Value) -> Answer {
    app.gql(
        Some(token),
        &with_fields(CREATE),
        json!({ "code": code, "input": input }),
    )
    .await
}

async fn revise_as(app: &TestApp, token: &str, code: &str, input: &Value) -> Answer {
    app.gql(
        Some(token),
        &with_fields(REVISE),
        json!({ "code": code, "input": input }),
    )
    .await
}

async fn revise(app: &TestApp, code: &str, input: &Value) -> Answer {
    revise_as(app, &app.admin_token, code, input).await
}

/// Creates a strategy as ADMIN; returns it.
async fn strategy(app: &TestApp, code: &str, input: &Value) -> Value {
    create_as(app, &app.admin_token, code, input).await.data()["createAllocationStrategy"].clone()
}

/// Creates a strategy as ADMIN; returns its id.
async fn strategy_id(app: &TestApp, code: &str, input: &Value) -> String {
    id_of(&strategy(app, code, input).await)
}

async fn strategies(app: &TestApp, active_only: bool) -> Vec<Value> {
    let answer = app
        .admin(
            &with_fields(STRATEGIES),
            json!({ "activeOnly": active_only }),
        )
        .await;
    nodes(&answer.data()["allocationStrategies"])
}

// ---- run helpers ----

/// A `runAllocation` request: a real run with seed 0 and no key unless changed.
#[derive(Clone)]
struct Request {
    strategy_id: String,
    portfolio_id: i64,
    dry_run: bool,
    seed: i64,
    key: Option<String>,
}

impl Request {
    fn new(strategy_id: &str, portfolio: &portfolio::Model) -> Self {
        Self {
            strategy_id: strategy_id.to_owned(),
            portfolio_id: portfolio.id,
            dry_run: false,
            seed: 0,
            key: None,
        }
    }

    fn dry(self) -> Self {
        Self {
            dry_run: true,
            ..self
        }
    }

    fn seed(self, seed: i64) -> Self {
        Self { seed, ..self }
    }

    fn key(self, key: &str) -> Self {
        Self {
            key: Some(key.to_owned()),
            ..self
        }
    }

    fn variables(&self) -> Value {
        json!({
            "strategyId": self.strategy_id,
            "portfolioId": self.portfolio_id.to_string(),
            "dryRun": self.dry_run,
            "seed": self.seed,
            "key": self.key,
        })
    }
}

async fn send(app: &TestApp, token: &str, request: &Request) -> Answer {
    app.gql(Some(token), RUN, request.variables()).await
}

/// The `runAllocation` result, after checking there were no errors.
fn result_of(answer: &Answer) -> Value {
    answer.data()["runAllocation"].clone()
}

/// Runs as ADMIN; returns the result.
async fn run(app: &TestApp, request: &Request) -> Value {
    result_of(&send(app, &app.admin_token, request).await)
}

/// Sends both requests as ADMIN at the same time.
async fn race(app: &TestApp, first: &Request, second: &Request) -> [Answer; 2] {
    let (one, two) = tokio::join!(
        send(app, &app.admin_token, first),
        send(app, &app.admin_token, second),
    );
    [one, two]
}

fn error_field(answer: &Answer) -> Option<&str> {
    answer.body["errors"][0]["extensions"]["field"].as_str()
}

/// The stored run a real run's result names.
async fn stored_run(app: &TestApp, result: &Value) -> Value {
    let id = &result["run"]["id"];
    assert!(id.is_string(), "a real run is stored: {result}");
    let stored = app.admin(STORED_RUN, json!({ "id": id })).await.data()["allocationRun"].clone();
    for connection in ["placements", "unplaced"] {
        assert_eq!(
            stored[connection]["pageInfo"]["hasNextPage"], false,
            "one page holds the run's {connection}"
        );
    }
    stored
}

/// The runs `allocationRuns` lists for `token`'s caller.
async fn runs_listed(app: &TestApp, token: &str) -> Vec<Value> {
    nodes(&app.gql(Some(token), RUNS, json!({})).await.data()["allocationRuns"])
}

fn nodes(connection: &Value) -> Vec<Value> {
    connection["edges"]
        .as_array()
        .expect("a connection")
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an ID").to_owned()
}

fn count(value: &Value) -> usize {
    usize::try_from(value.as_i64().expect("a count")).expect("not negative")
}

/// account id → agency code of a result's `placements`.
fn proposed(result: &Value) -> BTreeMap<String, String> {
    result["placements"]
        .as_array()
        .expect("placements")
        .iter()
        .map(|p| (str_of(&p["accountId"]), str_of(&p["agency"]["code"])))
        .collect()
}

/// account id → agency code of a stored run's placements.
fn made(stored: &Value) -> BTreeMap<String, String> {
    nodes(&stored["placements"])
        .iter()
        .map(|p| (str_of(&p["account"]["id"]), str_of(&p["agency"]["code"])))
        .collect()
}

/// account id → (reason, detail), from a result's `unplaced` or a stored run's
/// `unplaced.edges`.
fn unplaced_by_account(unplaced: &[Value]) -> BTreeMap<String, (String, String)> {
    unplaced
        .iter()
        .map(|u| {
            (
                str_of(&u["accountId"]),
                (str_of(&u["reason"]), str_of(&u["detail"])),
            )
        })
        .collect()
}

fn unplaced_in_result(result: &Value) -> BTreeMap<String, (String, String)> {
    unplaced_by_account(result["unplaced"].as_array().expect("unplaced"))
}

fn unplaced_in_run(stored: &Value) -> BTreeMap<String, (String, String)> {
    unplaced_by_account(&nodes(&stored["unplaced"]))
}

/// agency code → accounts, from `perAgency`.
fn per_agency(result: &Value) -> BTreeMap<String, i64> {
    result["perAgency"]
        .as_array()
        .expect("perAgency")
        .iter()
        .map(|a| {
            (
                str_of(&a["agency"]["code"]),
                a["accounts"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// reason → count, from `unplacedByReason`.
fn by_reason(result: &Value) -> BTreeMap<String, i64> {
    result["unplacedByReason"]
        .as_array()
        .expect("unplacedByReason")
        .iter()
        .map(|r| (str_of(&r["reason"]), r["count"].as_i64().unwrap()))
        .collect()
}

fn str_of(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("a string: {value}"))
        .to_owned()
}

fn counts<const N: usize>(pairs: [(&str, i64); N]) -> BTreeMap<String, i64> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn ids(accounts: &[account::Model]) -> BTreeSet<String> {
    accounts.iter().map(|a| a.id.to_string()).collect()
}

// ---- book helpers ----

/// An agency eligible for early-stage work in `region`.
async fn eligible_agency(app: &TestApp, code: &str, region: &str) -> agency::Model {
    fixtures::qualified_agency(&app.db, code, region, &[]).await
}

/// A portfolio of `n` M1 accounts in `region`.
async fn portfolio_of(
    app: &TestApp,
    code: &str,
    n: usize,
    region: &str,
) -> (portfolio::Model, Vec<account::Model>) {
    let portfolio = fixtures::portfolio(&app.db, code).await;
    let accounts = add_accounts(app, &portfolio, n, region).await;
    (portfolio, accounts)
}

/// Adds `n` M1 accounts in `region` to the portfolio.
async fn add_accounts(
    app: &TestApp,
    portfolio: &portfolio::Model,
    n: usize,
    region: &str,
) -> Vec<account::Model> {
    let mut accounts = Vec::with_capacity(n);
    for i in 0..n {
        let reference = format!("{}-{region}-{i:03}", portfolio.code);
        accounts.push(
            fixtures::delinquent_account(&app.db, portfolio.id, &reference, region, IN_M1).await,
        );
    }
    accounts
}

async fn flag(app: &TestApp, account: &account::Model, flags: &[AccountFlag]) {
    let mut row = account.clone().into_active_model();
    row.flags = Set(AccountFlags(flags.to_vec()));
    row.update(&app.db).await.expect("flag the account");
}

async fn limit_accounts(app: &TestApp, agency: &agency::Model, max: i64) {
    app.admin(
        "mutation($id: ID!, $input: UpdateAgencyInput!) { updateAgency(id: $id, input: $input) { id } }",
        json!({ "id": agency.id.to_string(), "input": { "capacity": { "maxActiveAccounts": max } } }),
    )
    .await
    .data();
}

/// account id → the agencies holding it in an ACTIVE placement, read from the database.
async fn active_holders(app: &TestApp) -> BTreeMap<i64, Vec<i64>> {
    let mut holders: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for p in placement::Entity::find()
        .filter(placement::Column::Status.eq(PlacementStatus::Active))
        .all(&app.db)
        .await
        .expect("read placements")
    {
        holders.entry(p.account_id).or_default().push(p.agency_id);
    }
    holders
}

async fn placements_listed(app: &TestApp) -> usize {
    let answer = app
        .admin(
            "{ placements(first: 500) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    nodes(&answer.data()["placements"]).len()
}

async fn audit_events(app: &TestApp, entity_type: &str) -> Vec<Value> {
    let answer = app
        .admin(
            "query($type: String) { auditEvents(filter: { entityType: $type }) { edges { node { actor action entityId before after } } } }",
            json!({ "type": entity_type }),
        )
        .await;
    nodes(&answer.data()["auditEvents"])
}

async fn outbox(app: &TestApp, topic: &str) -> Vec<outbox_event::Model> {
    outbox_event::Entity::find()
        .filter(outbox_event::Column::Topic.eq(topic))
        .all(&app.db)
        .await
        .expect("read the outbox")
}

/// A portfolio of 40 M1 accounts in US-TX, two eligible agencies (ALPHA and BRAVO) and
/// an EQUAL strategy "TX-M1" for them.
struct Forty {
    request: Request,
    portfolio: portfolio::Model,
    accounts: Vec<account::Model>,
}

async fn two_agencies_forty_accounts(app: &TestApp) -> Forty {
    eligible_agency(app, "ALPHA", REGION).await;
    eligible_agency(app, "BRAVO", REGION).await;
    let (portfolio, accounts) = portfolio_of(app, "P1", 40, REGION).await;
    let strategy = strategy_id(app, "TX-M1", &input(EQUAL)).await;
    Forty {
        request: Request::new(&strategy, &portfolio),
        portfolio,
        accounts,
    }
}

// ---- strategies ----

#[tokio::test]
async fn a_strategy_is_versioned_and_only_the_latest_version_is_active() {
    let app = spawn_app().await;
    let created = strategy(&app, "TX-M1", &input(EQUAL)).await;
    assert_eq!(created["code"], "TX-M1");
    assert_eq!(created["version"], 1);
    assert_eq!(created["active"], true);
    assert_eq!(
        created["segment"],
        json!({ "dpdBuckets": ["M1"], "minBalance": null, "maxBalance": null, "regions": [REGION], "products": [] })
    );
    let defaults = [
        ("poolAgencyIds", Value::Null),
        ("periodDays", json!(90)),
        ("pendingRecallWarningDays", json!(7)),
        ("splitMethod", json!(EQUAL)),
        ("championAgencyId", Value::Null),
        ("championShareBp", json!(7000)),
        ("floorShareBp", json!(1000)),
        ("excludePreviousHolders", json!(true)),
    ];
    for (field, expected) in defaults {
        assert_eq!(created[field], expected, "{field}");
    }
    assert!(str_of(&created["createdBy"]).starts_with("user:"));

    let banded = set(
        set(input(EQUAL), "segment.minBalance", json!("50.00")),
        "periodDays",
        json!(60),
    );
    let revised = revise(&app, "TX-M1", &banded).await;
    let revised = &revised.data()["reviseAllocationStrategy"];
    assert_eq!(revised["version"], 2);
    assert_eq!(revised["active"], true);
    assert_eq!(revised["periodDays"], 60);
    assert_eq!(revised["segment"]["minBalance"], "50.00");
    assert_ne!(revised["id"], created["id"]);

    let active = strategies(&app, true).await;
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["id"], revised["id"]);
    let all = strategies(&app, false).await;
    let versions: Vec<(Value, Value)> = all
        .iter()
        .map(|s| (s["version"].clone(), s["active"].clone()))
        .collect();
    assert_eq!(
        versions,
        vec![(json!(1), json!(false)), (json!(2), json!(true))]
    );

    let audited: Vec<Value> = audit_events(&app, "allocation_strategy")
        .await
        .iter()
        .map(|e| e["action"].clone())
        .collect();
    assert_eq!(
        audited,
        vec![
            json!("allocation_strategy.revise"),
            json!("allocation_strategy.create")
        ]
    );

    let unknown = revise(&app, "NOPE", &input(EQUAL)).await;
    assert_eq!(unknown.code(), Some("NOT_FOUND"));
}

#[tokio::test]
async fn bad_strategy_input_names_the_field_at_fault() {
    let app = spawn_app().await;
    let cases = [
        ("segment.dpdBuckets", json!(["M7"]), "segment.dpdBuckets"),
        ("segment.regions", json!(["texas"]), "segment.regions"),
        ("segment.minBalance", json!("-1.00"), "segment.minBalance"),
        ("periodDays", json!(0), "periodDays"),
        (
            "pendingRecallWarningDays",
            json!(90),
            "pendingRecallWarningDays",
        ),
        ("championShareBp", json!(20_000), "championShareBp"),
        (
            "splitMethod",
            json!("CHAMPION_CHALLENGER"),
            "championAgencyId",
        ),
        ("poolAgencyIds", json!(["424242"]), "poolAgencyIds"),
    ];
    for (path, value, field) in cases {
        let bad = set(input(EQUAL), path, value);
        let answer = create_as(&app, &app.admin_token, "BAD", &bad).await;
        assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{bad}");
        assert_eq!(error_field(&answer), Some(field), "{bad}");
    }
    let inverted_band = set(
        set(input(EQUAL), "segment.minBalance", json!("100.00")),
        "segment.maxBalance",
        json!("100.00"),
    );
    let answer = create_as(&app, &app.admin_token, "BAD", &inverted_band).await;
    assert_eq!(error_field(&answer), Some("segment.maxBalance"));
    let answer = create_as(&app, &app.admin_token, "bad code", &input(EQUAL)).await;
    assert_eq!(error_field(&answer), Some("code"));

    let as_number = set(input(EQUAL), "segment.minBalance", json!(100));
    let answer = create_as(&app, &app.admin_token, "BAD", &as_number).await;
    assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{}", answer.body);

    assert!(
        strategies(&app, false).await.is_empty(),
        "nothing was created"
    );
}

/// A JSON number is refused while the document is coerced, before any resolver runs:
/// the message names the scalar and the input object rather than `extensions.field`.
#[tokio::test]
async fn a_balance_bound_written_as_a_json_number_is_refused() {
    let app = spawn_app().await;
    let as_number = set(input(EQUAL), "segment.minBalance", json!(100));
    let answer = create_as(&app, &app.admin_token, "BAD", &as_number).await;
    assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{}", answer.body);
    let message = answer.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("never as JSON numbers") && message.contains("SegmentInput"),
        "{message}"
    );
}

#[tokio::test]
async fn a_taken_code_and_a_retired_version_conflict() {
    let app = spawn_app().await;
    let (portfolio, _) = portfolio_of(&app, "P1", 1, REGION).await;
    let first = strategy_id(&app, "TX-M1", &input(EQUAL)).await;

    let again = create_as(&app, &app.admin_token, "TX-M1", &input(EQUAL)).await;
    assert_eq!(again.code(), Some("CONFLICT"));

    revise(&app, "TX-M1", &input(EQUAL)).await.data();
    let retired = send(&app, &app.admin_token, &Request::new(&first, &portfolio)).await;
    assert_eq!(retired.code(), Some("CONFLICT"), "{}", retired.body);
    assert!(runs_listed(&app, &app.admin_token).await.is_empty());
}

#[tokio::test]
async fn only_managers_create_and_run_while_lender_staff_read_runs() {
    let app = spawn_app().await;
    let alpha = eligible_agency(&app, "ALPHA", REGION).await;
    let (portfolio, _) = portfolio_of(&app, "P1", 3, REGION).await;
    let agency_token = token(&app.db, Role::Agency, Some(alpha.id)).await;
    let finance = token(&app.db, Role::Finance, None).await;
    let auditor = token(&app.db, Role::Auditor, None).await;
    let manager = token(&app.db, Role::VendorManager, None).await;

    let created = create_as(&app, &manager, "TX-M1", &input(EQUAL)).await;
    let request = Request::new(
        &id_of(&created.data()["createAllocationStrategy"]),
        &portfolio,
    );
    for (role, secret) in [
        ("AGENCY", &agency_token),
        ("FINANCE", &finance),
        ("AUDITOR", &auditor),
    ] {
        let create = create_as(&app, secret, &format!("BY-{role}"), &input(EQUAL)).await;
        assert_eq!(create.code(), Some("FORBIDDEN"), "{role} creates");
        let revised = revise_as(&app, secret, "TX-M1", &input(EQUAL)).await;
        assert_eq!(revised.code(), Some("FORBIDDEN"), "{role} revises");
        let dry = send(&app, secret, &request.clone().dry()).await;
        assert_eq!(dry.code(), Some("FORBIDDEN"), "{role} dry-runs");
        let real = send(&app, secret, &request).await;
        assert_eq!(real.code(), Some("FORBIDDEN"), "{role} runs");
    }
    assert!(active_holders(&app).await.is_empty());

    let by_manager = send(&app, &manager, &request).await;
    assert_eq!(by_manager.data()["runAllocation"]["placedCount"], 3);
    for (role, secret) in [("FINANCE", &finance), ("AUDITOR", &auditor)] {
        let listed = runs_listed(&app, secret).await;
        assert_eq!(listed.len(), 1, "{role}");
        assert_eq!(listed[0]["placedCount"], 3, "{role}");
    }
    let by_agency = app.gql(Some(&agency_token), RUNS, json!({})).await;
    assert_eq!(by_agency.code(), Some("FORBIDDEN"));
}

// ---- runs ----

#[tokio::test]
async fn a_dry_run_writes_nothing_and_the_real_run_makes_what_it_predicted() {
    let app = spawn_app().await;
    let Forty {
        request,
        portfolio,
        accounts,
    } = two_agencies_forty_accounts(&app).await;
    let request = request.seed(7);
    // Outside the strategy's segment: M2 in US-TX, and M1 in another region.
    fixtures::delinquent_account(&app.db, portfolio.id, "P1-M2", REGION, 45).await;
    add_accounts(&app, &portfolio, 1, "US-CA").await;

    let dry = run(&app, &request.clone().dry()).await;
    assert_eq!(dry["dryRun"], true);
    assert_eq!(dry["run"], Value::Null);
    assert_eq!(dry["placedCount"], 40);
    assert_eq!(dry["unplacedCount"], 0);
    assert_eq!(per_agency(&dry), counts([("ALPHA", 20), ("BRAVO", 20)]));
    for total in dry["perAgency"].as_array().unwrap() {
        assert_eq!(
            total["balance"],
            json!({ "amount": "2000.00", "currency": "USD" })
        );
    }
    let predicted = proposed(&dry);
    assert_eq!(
        predicted.keys().cloned().collect::<BTreeSet<_>>(),
        ids(&accounts)
    );
    assert_eq!(placements_listed(&app).await, 0, "a dry run places nothing");
    assert!(runs_listed(&app, &app.admin_token).await.is_empty());

    let real = run(&app, &request).await;
    assert_eq!(real["dryRun"], false);
    assert_eq!(real["replayed"], false);
    assert_eq!(real["placedCount"], 40);
    assert_eq!(real["run"]["placedCount"], 40);
    assert_eq!(per_agency(&real), per_agency(&dry));
    let stored = stored_run(&app, &real).await;
    assert_eq!(stored["strategy"], json!({ "code": "TX-M1", "version": 1 }));
    assert_eq!(
        made(&stored),
        predicted,
        "the same seed, the same placements"
    );
    let due_back = (today() + Duration::days(90)).to_string();
    for placement in nodes(&stored["placements"]) {
        let agency = str_of(&placement["agency"]["code"]);
        assert_eq!(placement["status"], "ACTIVE");
        assert_eq!(placement["level"], "PRIMARY");
        assert_eq!(placement["dueBackOn"], due_back.as_str());
        let explanation = &placement["explanation"];
        assert_eq!(explanation["share"], "50.00%", "{explanation}");
        assert_eq!(explanation["method"], EQUAL);
        assert_eq!(
            explanation["strategy"],
            json!({ "code": "TX-M1", "version": 1 })
        );
        assert_eq!(
            explanation["checks"],
            json!([
                format!("{agency} is eligible for EARLY_STAGE in {REGION} through {due_back}"),
                "capacity available",
                "not flagged cease-contact, bankrupt or deceased",
                "the agency has not held the account before",
            ])
        );
    }
    let holders = active_holders(&app).await;
    assert_eq!(holders.len(), 40);
    assert!(holders.values().all(|h| h.len() == 1));
    assert_eq!(runs_listed(&app, &app.admin_token).await.len(), 1);

    let again = run(&app, &request).await;
    assert_eq!(again["placedCount"], 0, "every account is placed already");
    assert_eq!(again["unplacedCount"], 0);
    assert_eq!(active_holders(&app).await.len(), 40);
    assert_eq!(placements_listed(&app).await, 40);
}

/// The accounts of a stored run's `placements` or `unplaced`, read `size` at a time.
async fn paged(app: &TestApp, run_id: &str, connection: &str, size: usize) -> Vec<String> {
    let account = if connection == "placements" {
        "account { id }"
    } else {
        "accountId"
    };
    let query = format!(
        "query($id: ID!, $first: Int, $after: String) {{ allocationRun(id: $id) {{
           {connection}(first: $first, after: $after) {{
             edges {{ node {{ {account} }} }} pageInfo {{ hasNextPage endCursor }} }} }} }}"
    );
    let (mut accounts, mut after) = (Vec::new(), Value::Null);
    loop {
        let answer = app
            .admin(
                &query,
                json!({ "id": run_id, "first": size, "after": after }),
            )
            .await;
        let page = &answer.data()["allocationRun"][connection];
        let edges = nodes(page);
        assert!(edges.len() <= size);
        accounts.extend(
            edges
                .iter()
                .map(|node| str_of(node.pointer("/account/id").unwrap_or(&node["accountId"]))),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            return accounts;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn a_run_pages_through_its_placements_and_unplaced_accounts() {
    let app = spawn_app().await;
    let Forty {
        request, accounts, ..
    } = two_agencies_forty_accounts(&app).await;
    for account in &accounts[..9] {
        flag(&app, account, &[AccountFlag::CeaseContact]).await;
    }
    let result = run(&app, &request).await;
    let run_id = str_of(&result["run"]["id"]);
    let stored = stored_run(&app, &result).await;

    let placed = paged(&app, &run_id, "placements", 7).await;
    assert_eq!(placed.len(), 31);
    assert_eq!(
        placed.iter().cloned().collect::<BTreeSet<_>>(),
        made(&stored).into_keys().collect(),
        "every placement once"
    );
    let unplaced = paged(&app, &run_id, "unplaced", 4).await;
    assert_eq!(unplaced.len(), 9);
    assert_eq!(
        unplaced.into_iter().collect::<BTreeSet<_>>(),
        ids(&accounts[..9])
    );

    let missing = app.admin(STORED_RUN, json!({ "id": "424242" })).await;
    assert_eq!(missing.code(), Some("NOT_FOUND"));
}

#[tokio::test]
async fn the_same_seed_gives_the_same_placements_and_another_seed_others() {
    let app = spawn_app().await;
    let request = two_agencies_forty_accounts(&app).await.request;
    let dry = request.dry();

    let first = run(&app, &dry.clone().seed(11)).await;
    let again = run(&app, &dry.clone().seed(11)).await;
    assert_eq!(first["placements"], again["placements"]);
    assert_eq!(first["perAgency"], again["perAgency"]);

    let other = run(&app, &dry.seed(12)).await;
    assert_eq!(per_agency(&other), counts([("ALPHA", 20), ("BRAVO", 20)]));
    assert_eq!(proposed(&other).len(), 40);
    assert_ne!(proposed(&other), proposed(&first));
}

#[tokio::test]
async fn no_account_goes_to_an_ineligible_or_full_agency() {
    let app = spawn_app().await;
    let alpha = eligible_agency(&app, "ALPHA", REGION).await;
    let charlie = eligible_agency(&app, "CHARLIE", REGION).await;
    let bravo =
        fixtures::qualified_agency(&app.db, "BRAVO", REGION, &["DATA_PROTECTION_CERT"]).await;
    limit_accounts(&app, &alpha, 5).await;
    limit_accounts(&app, &charlie, 10).await;
    let (portfolio, texas) = portfolio_of(&app, "P1", 20, REGION).await;
    let california = add_accounts(&app, &portfolio, 3, "US-CA").await;
    let every_region = set(input(EQUAL), "segment.regions", json!([]));
    let request = Request::new(
        &strategy_id(&app, "ALL-M1", &every_region).await,
        &portfolio,
    );

    let result = run(&app, &request).await;
    assert_eq!(per_agency(&result), counts([("ALPHA", 5), ("CHARLIE", 10)]));
    assert_eq!(
        by_reason(&result),
        counts([("NO_ELIGIBLE_AGENCY", 3), ("NO_CAPACITY", 5)])
    );
    let stored = stored_run(&app, &result).await;
    let placed = made(&stored);
    assert!(placed.keys().all(|id| ids(&texas).contains(id)));
    let left = unplaced_in_run(&stored);
    for account in &california {
        let (reason, detail) = &left[&account.id.to_string()];
        assert_eq!(reason, "NO_ELIGIBLE_AGENCY");
        for agency in ["ALPHA", "BRAVO", "CHARLIE"] {
            assert!(
                detail.contains(&format!("{agency}: the agency does not serve US-CA")),
                "{detail}"
            );
        }
    }
    let full: Vec<&(String, String)> = texas
        .iter()
        .filter_map(|a| left.get(&a.id.to_string()))
        .collect();
    assert_eq!(full.len(), 5);
    assert!(full.iter().all(|(reason, _)| reason == "NO_CAPACITY"));

    let holders = active_holders(&app).await;
    let held_by = |agency: &agency::Model| holders.values().filter(|h| h[0] == agency.id).count();
    assert_eq!(
        (held_by(&alpha), held_by(&charlie), held_by(&bravo)),
        (5, 10, 0)
    );

    let full_up = run(&app, &request).await;
    assert_eq!(full_up["placedCount"], 0, "both agencies are full");
    assert_eq!(
        by_reason(&full_up),
        counts([("NO_ELIGIBLE_AGENCY", 3), ("NO_CAPACITY", 5)])
    );
}

#[tokio::test]
async fn flagged_accounts_are_scrubbed_and_only_those() {
    let app = spawn_app().await;
    eligible_agency(&app, "ALPHA", REGION).await;
    let (portfolio, accounts) = portfolio_of(&app, "P1", 7, REGION).await;
    let flags: [&[AccountFlag]; 7] = [
        &[],
        &[AccountFlag::Disputed],
        &[AccountFlag::Vulnerable],
        &[AccountFlag::CeaseContact],
        &[AccountFlag::Bankruptcy],
        &[AccountFlag::Deceased],
        &[AccountFlag::Disputed, AccountFlag::Deceased],
    ];
    for (account, flags) in accounts.iter().zip(flags) {
        flag(&app, account, flags).await;
    }
    let request = Request::new(&strategy_id(&app, "TX-M1", &input(EQUAL)).await, &portfolio);

    let result = run(&app, &request).await;
    assert_eq!(
        proposed(&result).keys().cloned().collect::<BTreeSet<_>>(),
        ids(&accounts[..3]),
        "clean, disputed and vulnerable accounts are placed"
    );
    let expected: BTreeMap<String, (String, String)> = accounts[3..]
        .iter()
        .zip([
            "flagged CEASE_CONTACT",
            "flagged BANKRUPTCY",
            "flagged DECEASED",
            "flagged DECEASED",
        ])
        .map(|(a, detail)| (a.id.to_string(), ("SCRUBBED".into(), detail.into())))
        .collect();
    assert_eq!(unplaced_in_result(&result), expected);
    assert_eq!(unplaced_in_run(&stored_run(&app, &result).await), expected);
    assert_eq!(active_holders(&app).await.len(), 3);
}

#[tokio::test]
async fn the_champion_takes_its_share_and_the_challengers_split_the_rest() {
    let app = spawn_app().await;
    let alpha = eligible_agency(&app, "ALPHA", REGION).await;
    eligible_agency(&app, "BRAVO", REGION).await;
    eligible_agency(&app, "CHARLIE", REGION).await;
    let (portfolio, _) = portfolio_of(&app, "P1", 100, REGION).await;
    let champion = set(
        set(
            input("CHAMPION_CHALLENGER"),
            "championAgencyId",
            json!(alpha.id.to_string()),
        ),
        "championShareBp",
        json!(7000),
    );
    let request = Request::new(&strategy_id(&app, "TX-CC", &champion).await, &portfolio);

    let result = run(&app, &request).await;
    let expected = counts([("ALPHA", 70), ("BRAVO", 15), ("CHARLIE", 15)]);
    assert_eq!(per_agency(&result), expected);
    assert_eq!(result["unplacedCount"], 0);
    let stored = stored_run(&app, &result).await;
    assert_eq!(per_agency(&stored), expected);
    for placement in nodes(&stored["placements"]) {
        let share = if placement["agency"]["code"] == "ALPHA" {
            "70.00%"
        } else {
            "15.00%"
        };
        assert_eq!(placement["explanation"]["share"], share, "{placement}");
        assert_eq!(placement["explanation"]["method"], "CHAMPION_CHALLENGER");
    }
}

#[tokio::test]
async fn an_account_goes_back_to_nobody_who_worked_it_before() {
    let app = spawn_app().await;
    let alpha = eligible_agency(&app, "ALPHA", REGION).await;
    eligible_agency(&app, "BRAVO", REGION).await;
    let (portfolio, accounts) = portfolio_of(&app, "P1", 1, REGION).await;
    let account = &accounts[0];
    let earlier = fixtures::active_placement(account, alpha.id)
        .insert(&app.db)
        .await
        .expect("place with ALPHA");
    let mut returned = earlier.into_active_model();
    returned.status = Set(PlacementStatus::Returned);
    returned.ended_at = Set(Some(Utc::now()));
    returned.end_reason = Set(Some("period over".into()));
    returned.update(&app.db).await.expect("return it");

    let secondary = set(input(EQUAL), "level", json!("SECONDARY"));
    let alpha_only = set(
        secondary.clone(),
        "poolAgencyIds",
        json!([alpha.id.to_string()]),
    );
    let allowed_again = set(alpha_only.clone(), "excludePreviousHolders", json!(false));
    let account_id = account.id.to_string();
    let outcome_of = |result: Value| {
        let placed = proposed(&result);
        let left = unplaced_in_result(&result);
        match (placed.get(&account_id), left.get(&account_id)) {
            (Some(agency), None) => format!("placed with {agency}"),
            (None, Some((reason, _))) => reason.clone(),
            _ => panic!("the account is decided once: {result}"),
        }
    };
    let mut next_level = None;
    for (code, input, expected) in [
        ("PRIMARY", input(EQUAL), "ALREADY_WORKED_AT_LEVEL"),
        ("ALPHA-ONLY", alpha_only, "ONLY_PREVIOUS_HOLDERS"),
        ("ALPHA-AGAIN", allowed_again, "placed with ALPHA"),
        ("SECONDARY", secondary, "placed with BRAVO"),
    ] {
        let request = Request::new(&strategy_id(&app, code, &input).await, &portfolio);
        let dry = run(&app, &request.clone().dry()).await;
        assert_eq!(outcome_of(dry), expected, "{code}");
        next_level = Some(request);
    }

    let result = run(&app, &next_level.expect("the SECONDARY strategy")).await;
    let stored = nodes(&stored_run(&app, &result).await["placements"]);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["agency"]["code"], "BRAVO");
    assert_eq!(stored[0]["level"], "SECONDARY");
    assert!(
        stored[0]["explanation"]["checks"]
            .as_array()
            .unwrap()
            .contains(&json!("the agency has not held the account before")),
        "{}",
        stored[0]["explanation"]
    );
}

#[tokio::test]
async fn an_idempotency_key_returns_the_run_it_named() {
    let app = spawn_app().await;
    let request = two_agencies_forty_accounts(&app).await.request;
    let keyed = request.seed(3).key("nightly-2026-11-28");

    let dry = run(&app, &keyed.clone().dry()).await;
    assert_eq!(dry["replayed"], false);
    assert_eq!(dry["run"], Value::Null);

    let first = run(&app, &keyed).await;
    assert_eq!(
        first["replayed"], false,
        "the dry run did not claim the key"
    );
    assert_eq!(first["placedCount"], 40);
    assert_eq!(first["run"]["idempotencyKey"], "nightly-2026-11-28");

    let replay = run(&app, &keyed).await;
    assert_eq!(replay["replayed"], true);
    assert_eq!(replay["run"]["id"], first["run"]["id"]);
    assert_eq!(replay["placedCount"], 40);
    assert_eq!(per_agency(&replay), per_agency(&first));
    assert_eq!(proposed(&replay), proposed(&first));
    assert_eq!(runs_listed(&app, &app.admin_token).await.len(), 1);
    assert_eq!(placements_listed(&app).await, 40, "nothing new was placed");

    let reseeded = send(&app, &app.admin_token, &keyed.clone().seed(4)).await;
    assert_eq!(reseeded.code(), Some("CONFLICT"), "{}", reseeded.body);
    assert_eq!(runs_listed(&app, &app.admin_token).await.len(), 1);
}

/// Whichever run won: every account has exactly one ACTIVE placement, made by one run;
/// the counts add up; an account a run did not place was placed by the other run.
async fn assert_placed_once(app: &TestApp, accounts: &[account::Model], results: &[Value; 2]) {
    let holders = active_holders(app).await;
    assert!(
        holders.values().all(|h| h.len() == 1),
        "one ACTIVE placement per account: {holders:?}"
    );
    let placed: BTreeSet<String> = holders.keys().map(i64::to_string).collect();
    assert_eq!(placed, ids(accounts), "every account is placed");
    let total: usize = results.iter().map(|r| count(&r["placedCount"])).sum();
    assert_eq!(total, placed.len(), "{results:?}");

    let stored = [
        stored_run(app, &results[0]).await,
        stored_run(app, &results[1]).await,
    ];
    for (mine, theirs) in [(0, 1), (1, 0)] {
        let made_here = made(&stored[mine]);
        let made_there = made(&stored[theirs]);
        assert_eq!(made_here.len(), count(&results[mine]["placedCount"]));
        assert!(made_here.keys().all(|id| !made_there.contains_key(id)));
        let lost = unplaced_in_run(&stored[mine]);
        assert_eq!(lost.len(), count(&results[mine]["unplacedCount"]));
        // A run that read the accounts before the other committed lost them at the
        // index (PLACED_CONCURRENTLY); one that started after it finds them placed.
        for (account, (reason, _)) in &lost {
            assert!(
                reason == "PLACED_CONCURRENTLY" || reason == "ALREADY_WORKED_AT_LEVEL",
                "{account}: {reason}"
            );
            assert!(
                made_there.contains_key(account),
                "{account} lost to the other run"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_runs_of_one_strategy_place_each_account_once() {
    let app = spawn_app().await;
    let Forty {
        request, accounts, ..
    } = two_agencies_forty_accounts(&app).await;
    let results = race(&app, &request.clone().seed(1), &request.seed(2))
        .await
        .map(|answer| result_of(&answer));
    assert_placed_once(&app, &accounts, &results).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_runs_with_separate_pools_place_each_account_once() {
    let app = spawn_app().await;
    let alpha = eligible_agency(&app, "ALPHA", REGION).await;
    let bravo = eligible_agency(&app, "BRAVO", REGION).await;
    let (portfolio, accounts) = portfolio_of(&app, "P1", 40, REGION).await;
    // No agency in common, so neither run waits for the other's agency locks: they
    // meet only at the one-ACTIVE-placement-per-account index.
    let mut requests = Vec::new();
    for agency in [&alpha, &bravo] {
        let pool = set(
            input(EQUAL),
            "poolAgencyIds",
            json!([agency.id.to_string()]),
        );
        let id = strategy_id(&app, &format!("TX-{}", agency.code), &pool).await;
        requests.push(Request::new(&id, &portfolio));
    }
    let results = race(&app, &requests[0], &requests[1])
        .await
        .map(|answer| result_of(&answer));
    assert_placed_once(&app, &accounts, &results).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_key_sent_twice_at_once_makes_one_run() {
    let app = spawn_app().await;
    let Forty {
        request, accounts, ..
    } = two_agencies_forty_accounts(&app).await;
    let keyed = request.key("retry-me");
    let answers = race(&app, &keyed, &keyed).await;

    let runs = runs_listed(&app, &app.admin_token).await;
    assert_eq!(runs.len(), 1, "one run for one key");
    for answer in &answers {
        if answer.code().is_some() {
            // The loser of a race on the key may be refused, but never fail otherwise.
            assert_eq!(answer.code(), Some("CONFLICT"), "{}", answer.body);
        } else {
            assert_eq!(result_of(answer)["run"]["id"], runs[0]["id"]);
        }
    }
    assert_eq!(active_holders(&app).await.len(), accounts.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_key_sent_twice_at_once_replays_the_run() {
    let app = spawn_app().await;
    let keyed = two_agencies_forty_accounts(&app)
        .await
        .request
        .key("retry-me");
    let results = race(&app, &keyed, &keyed)
        .await
        .map(|answer| result_of(&answer));
    assert_eq!(results[0]["run"]["id"], results[1]["run"]["id"]);
    let mut replayed: Vec<&Value> = results.iter().map(|r| &r["replayed"]).collect();
    replayed.sort_by_key(|r| r.as_bool());
    assert_eq!(replayed, [&json!(false), &json!(true)]);
}

#[tokio::test]
async fn a_run_is_audited_and_each_agency_with_work_is_told() {
    let app = spawn_app().await;
    let request = two_agencies_forty_accounts(&app).await.request;
    fixtures::qualified_agency(&app.db, "CHARLIE", REGION, &["DATA_PROTECTION_CERT"]).await;

    run(&app, &request.clone().dry()).await;
    assert!(audit_events(&app, "allocation_run").await.is_empty());
    assert!(outbox(&app, "placement.created").await.is_empty());

    let result = run(&app, &request).await;
    let run_id = str_of(&result["run"]["id"]);
    let events = audit_events(&app, "allocation_run").await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event["action"], "allocation_run.create");
    assert_eq!(event["entityId"], run_id.as_str());
    assert!(str_of(&event["actor"]).starts_with("user:"));
    assert_eq!(event["before"], Value::Null);
    assert_eq!(event["after"]["placed"], 40);
    assert_eq!(event["after"]["unplaced"], 0);
    assert_eq!(event["after"]["portfolioId"], request.portfolio_id);
    assert_eq!(
        event["after"]["strategy"],
        json!({ "code": "TX-M1", "version": 1 })
    );

    let agencies = agency::Entity::find()
        .all(&app.db)
        .await
        .expect("read agencies");
    let code_of = |id: Option<i64>| {
        agencies
            .iter()
            .find(|a| Some(a.id) == id)
            .map(|a| a.code.clone())
    };
    let due_back = (today() + Duration::days(90)).to_string();
    let mut told = BTreeSet::new();
    for event in outbox(&app, "placement.created").await {
        assert_eq!(event.entity_type, "allocation_run");
        assert_eq!(event.entity_id, run_id);
        assert_eq!(
            event.payload,
            json!({
                "allocationRunId": run_id.parse::<i64>().unwrap(),
                "agencyId": event.agency_id,
                "accounts": 20,
                "balanceMinor": 200_000,
                "currency": "USD",
                "dueBackOn": due_back,
            })
        );
        assert!(
            told.insert(code_of(event.agency_id)),
            "one event per agency"
        );
    }
    assert_eq!(
        told,
        BTreeSet::from([Some("ALPHA".to_owned()), Some("BRAVO".to_owned())])
    );
}

#[tokio::test]
async fn a_recalled_account_is_reallocated_to_another_agency_at_the_next_level() {
    let app = spawn_app().await;
    eligible_agency(&app, "ALPHA", REGION).await;
    eligible_agency(&app, "BRAVO", REGION).await;
    let (portfolio, accounts) = portfolio_of(&app, "P1", 1, REGION).await;
    let primary = strategy_id(&app, "PRIMARY", &input(EQUAL)).await;
    let placed = run(&app, &Request::new(&primary, &portfolio)).await;
    let first_holder = proposed(&placed)[&accounts[0].id.to_string()].clone();

    let recalled = app
        .admin(
            "mutation($input: RecallPlacementsInput!) { recallPlacements(input: $input) { count } }",
            json!({ "input": { "portfolioId": portfolio.id.to_string(), "reason": "performance" } }),
        )
        .await;
    assert_eq!(recalled.data()["recallPlacements"]["count"], 1);

    let secondary = strategy_id(
        &app,
        "SECONDARY",
        &set(input(EQUAL), "level", json!("SECONDARY")),
    )
    .await;
    let again = run(&app, &Request::new(&secondary, &portfolio)).await;
    let second_holder = proposed(&again)[&accounts[0].id.to_string()].clone();
    assert_ne!(
        second_holder, first_holder,
        "the recalled agency does not get it back"
    );
    let other = if first_holder == "ALPHA" {
        "BRAVO"
    } else {
        "ALPHA"
    };
    assert_eq!(second_holder, other);
}
