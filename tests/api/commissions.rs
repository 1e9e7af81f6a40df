//! Commission plans and statements on the reconciled fixture month: exact commission to
//! the cent, the bonus, regeneration, four eyes, a clawback after payment, adjustments,
//! disputes.

use entity::api_token::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_at, spawn_app_with, token};
use crate::reconciliation::{Month, import, month};
use crate::reporting::utc;

const PLAN: &str = "
mutation($input: CommissionPlanInput!) {
  createCommissionPlan(input: $input) { id agencyId effectiveFrom rules }
}";

pub(crate) const GENERATE: &str = "
mutation($start: NaiveDate!, $end: NaiveDate!) {
  generateCommissionStatements(periodStart: $start, periodEnd: $end) {
    id status agencyId basis { amount } commission { amount } feeWithheld { amount }
    payable { amount } totals generatedBy
    lines { kind accountId rule rateBp basis { amount } commission { amount } note }
  }
}";

pub(crate) const STEPS: &str = "
mutation($id: ID!) { submitCommissionStatement(id: $id) { status submittedBy } }";

/// The fixture month on a 20% plan, with 100.00 of it remitted and in the ledger.
pub(crate) async fn remitted_on_a_plan(app: &TestApp) -> Month {
    let month = month(app).await;
    app.gql(
        Some(&month.finance),
        PLAN,
        json!({ "input": {
            "effectiveFrom": "2026-01-01", "currency": "USD", "tiers": [{ "rateBp": 2000 }],
        }}),
    )
    .await
    .data();
    import(
        app,
        &month.finance,
        json!([crate::reconciliation::remitted(
            "L1",
            "A1",
            "100.00",
            8,
            month.agency_id
        )]),
    )
    .await;
    month
}

pub(crate) async fn reconcile(app: &TestApp, finance: &str, (start, end): (&str, &str)) {
    app.gql(
        Some(finance),
        "mutation($s: NaiveDate!, $e: NaiveDate!) { runReconciliation(periodStart: $s, periodEnd: $e) { id } }",
        json!({ "s": start, "e": end }),
    )
    .await
    .data();
}

async fn generate(app: &TestApp, finance: &str, (start, end): (&str, &str)) -> Value {
    app.gql(
        Some(finance),
        GENERATE,
        json!({ "start": start, "end": end }),
    )
    .await
    .data()["generateCommissionStatements"][0]
        .clone()
}

async fn act(app: &TestApp, who: &str, operation: &str, id: &Value) -> crate::helpers::Answer {
    app.gql(
        Some(who),
        &format!("mutation($id: ID!) {{ {operation}(id: $id) {{ status }} }}"),
        json!({ "id": id }),
    )
    .await
}

fn kinds(statement: &Value) -> Vec<(String, String)> {
    statement["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_owned(),
                l["commission"]["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn statements_pay_to_the_cent_and_claw_back_a_reversal_after_payment() {
    // After November's books closed.
    let app = spawn_app_at(utc(2026, 12, 8, 9, 0)).await;
    let month = month(&app).await;
    let alpha = month.agency_id;
    let finance = &month.finance;
    let plan = app
        .gql(
            Some(finance),
            PLAN,
            json!({ "input": {
                "effectiveFrom": "2026-01-01",
                "currency": "USD",
                "tiers": [
                    { "level": "PRIMARY", "dpdBuckets": ["M1", "M2"], "maxBalance": "2000.00",
                      "rateBp": 2000 },
                    { "rateBp": 3000 },
                ],
                "bonus": { "targetRecoveryBp": 366, "extraRateBp": 100 },
                "capPerAccount": "25.00",
            }}),
        )
        .await;
    assert_eq!(
        plan.data()["createCommissionPlan"]["rules"]["clawbackDays"],
        60
    );
    import(
        &app,
        finance,
        json!([
            crate::reconciliation::remitted("L1", "A1", "100.00", 8, alpha),
            {
                "reference": "L3", "accountReference": "A3", "channel": "AGENCY_REMITTANCE_NET",
                "agencyId": alpha.to_string(), "amount": "60.00", "grossAmount": "75.00",
                "receivedAt": "2026-10-12T09:00:00Z",
            },
            {
                "reference": "L4", "accountReference": "A4", "channel": "LENDER_DIRECT",
                "amount": "20.00", "receivedAt": "2026-10-20T09:00:00Z",
            },
            crate::reconciliation::remitted("L6a", "A6", "60.00", 17, alpha),
            crate::reconciliation::remitted("L6b", "A6", "40.00", 18, alpha),
        ]),
    )
    .await;
    let october = ("2026-10-01", "2026-10-31");
    let refused = app
        .gql(
            Some(finance),
            GENERATE,
            json!({ "start": october.0, "end": october.1 }),
        )
        .await;
    assert_eq!(refused.code(), Some("CONFLICT"), "reconcile first");
    reconcile(&app, finance, october).await;
    let statement = generate(&app, finance, october).await;
    assert_eq!(statement["status"], "DRAFT");
    // A1 100.00 and A6 100.00 (split) and A4 20.00 (direct) at 20%; recovery 220 / 6,000 =
    // 3.67% beats 3.66%: a bonus of 1% of 220.00.
    assert_eq!(
        kinds(&statement),
        [
            ("PAYMENT".to_owned(), "20.00".to_owned()),
            ("PAYMENT".to_owned(), "4.00".to_owned()),
            ("PAYMENT".to_owned(), "20.00".to_owned()),
            ("BONUS".to_owned(), "2.20".to_owned()),
        ]
    );
    assert_eq!(statement["basis"]["amount"], "220.00");
    assert_eq!(statement["commission"]["amount"], "46.20");
    // A3's NET remittance does not match what was reported (80.00 against 75.00), so it
    // earns nothing yet; the 15.00 fee ALPHA kept from it is still deducted.
    assert_eq!(statement["feeWithheld"]["amount"], "15.00");
    assert_eq!(statement["payable"]["amount"], "31.20");
    assert!(
        statement["lines"][0]["rule"]
            .as_str()
            .unwrap()
            .starts_with("tier 1, PRIMARY, M1/M2")
    );

    // Regenerating a draft changes nothing.
    let again = generate(&app, finance, october).await;
    assert_eq!(again["id"], statement["id"]);
    assert_eq!(kinds(&again), kinds(&statement));
    assert_eq!(again["totals"], statement["totals"]);

    // Four eyes: the one who generated and submitted cannot approve.
    let id = &statement["id"];
    let submitted = app.gql(Some(finance), STEPS, json!({ "id": id })).await;
    assert_eq!(
        submitted.data()["submitCommissionStatement"]["status"],
        "SUBMITTED"
    );
    let own = act(&app, finance, "approveCommissionStatement", id).await;
    assert_eq!(own.code(), Some("FORBIDDEN"));
    let second = token(&app.db, Role::Finance, None).await;
    let approved = act(&app, &second, "approveCommissionStatement", id).await;
    assert_eq!(
        approved.data()["approveCommissionStatement"]["status"],
        "APPROVED"
    );
    let paid = act(&app, &second, "markCommissionStatementPaid", id).await;
    assert_eq!(paid.data()["markCommissionStatementPaid"]["status"], "PAID");
    let untouched = generate(&app, finance, october).await;
    assert_eq!(
        untouched["status"], "PAID",
        "a paid statement never changes"
    );

    // L1 is reversed in November, within 60 days: its commission comes back, with a
    // manual adjustment.
    import(
        &app,
        finance,
        json!([{ "reference": "L1-R", "reverses": "L1", "receivedAt": "2026-11-10T09:00:00Z" }]),
    )
    .await;
    app.gql(
        Some(finance),
        "mutation($a: ID!) { addCommissionAdjustment(agencyId: $a, amount: \"5.00\",
           currency: \"USD\", reason: \"goodwill for the October outage\") { id } }",
        json!({ "a": alpha.to_string() }),
    )
    .await
    .data();
    let november = ("2026-11-01", "2026-11-30");
    reconcile(&app, finance, november).await;
    let next = generate(&app, finance, november).await;
    assert_eq!(
        kinds(&next),
        [
            ("CLAWBACK".to_owned(), "-20.00".to_owned()),
            ("ADJUSTMENT".to_owned(), "5.00".to_owned()),
        ]
    );
    assert_eq!(next["commission"]["amount"], "-15.00");
    assert!(
        next["lines"][0]["rule"]
            .as_str()
            .unwrap()
            .contains("L1 reversed")
    );

    // The agency reads its own statement and disputes the submitted one.
    let next_id = &next["id"];
    app.gql(Some(finance), STEPS, json!({ "id": next_id }))
        .await
        .data();
    let read = app
        .gql(
            Some(&month.agency_token),
            "query($id: ID!) { commissionStatement(id: $id) { csv json } }",
            json!({ "id": next_id }),
        )
        .await;
    let read = &read.data()["commissionStatement"];
    // Named as finance and the agency know them: agency code, the lender's account
    // reference, the agency's payment id, the ledger reference.
    let csv: Vec<&str> = read["csv"].as_str().unwrap().lines().collect();
    assert_eq!(
        csv[0],
        "line,kind,agency_code,account_reference,payment_references,ledger_references,rule,\
         rate_bp,basis,commission,currency,note"
    );
    assert_eq!(
        csv[1].split_once(',').map(|(_, rest)| rest),
        Some(
            "CLAWBACK,ALPHA,A1,p1,L1,\"clawback: ledger entry L1 reversed on 2026-11-10, \
             within the 60-day window\",2000,-100.00,-20.00,USD,\
             earned on the statement of 2026-10-01 to 2026-10-31"
        ),
        "{csv:?}"
    );
    assert_eq!(read["json"]["payable"], "-15.00");
    let disputed = app
        .gql(
            Some(&month.agency_token),
            "mutation($id: ID!) { disputeCommissionStatement(id: $id,
               reason: \"L1 was re-presented and cleared\") { status disputeReason } }",
            json!({ "id": next_id }),
        )
        .await;
    assert_eq!(
        disputed.data()["disputeCommissionStatement"]["status"],
        "DISPUTED"
    );
    let redrafted = generate(&app, finance, november).await;
    assert_eq!(redrafted["status"], "DRAFT");
    assert_eq!(
        kinds(&redrafted),
        kinds(&next),
        "rebuilt from the same facts"
    );

    let bravo = crate::fixtures::agency(&app.db, "BRAVO").await;
    let other = token(&app.db, Role::Agency, Some(bravo.id)).await;
    // Cost of collection: the paid October statement's 44.00 (the bonus is on no
    // placement) over the 400.00 ALPHA reported collecting.
    let snapshot = app
        .admin(
            "mutation { runJob(name: \"performance_snapshot\") { status } }",
            json!({}),
        )
        .await;
    assert_eq!(snapshot.data()["runJob"]["status"], "SUCCEEDED");
    let card = app
        .gql(
            Some(&month.agency_token),
            &format!(
                "{{ agencyScorecard(agencyId: \"{alpha}\", window: SINCE_PLACEMENT) {{
                   history {{ collected {{ amount }} costOfCollection }} }} }}"
            ),
            json!({}),
        )
        .await;
    let card = &card.data()["agencyScorecard"]["history"][0];
    assert_eq!(card["collected"]["amount"], "400.00");
    assert_eq!(card["costOfCollection"], "11.00");
    let hidden = app
        .gql(
            Some(&other),
            "query($id: ID!) { commissionStatement(id: $id) { id } }",
            json!({ "id": next_id }),
        )
        .await;
    assert_eq!(hidden.code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn statements_wait_for_the_close_day_then_the_job_drafts_them_from_the_last_reconciliation() {
    let app = spawn_app_at(utc(2026, 10, 31, 12, 0)).await;
    let month = remitted_on_a_plan(&app).await;
    let finance = &month.finance;

    // On the 31st the previous month is September, which nobody reconciled: nothing to
    // draft, and the job says why.
    let early = app
        .admin(
            "mutation { runJob(name: \"commission_statements\") { status summary } }",
            json!({}),
        )
        .await;
    assert_eq!(early.data()["runJob"]["status"], "SUCCEEDED");
    assert_eq!(
        early.data()["runJob"]["summary"],
        json!({ "drafted": [], "statements": 0, "waiting": null, "unreconciled": {
            "periodStart": "2026-09-01", "periodEnd": "2026-09-30",
            "message": "no reconciliation of 2026-09-01 to 2026-09-30, whose books have closed: \
                        reconcile the period and the next run drafts its statements",
        } })
    );

    let advanced = app
        .admin(
            "mutation($to: DateTime!) { advanceClock(to: $to) {
               jobRuns { job scheduledFor status summary error } } }",
            json!({ "to": utc(2026, 11, 1, 6, 0) }),
        )
        .await;
    let runs = advanced.data()["advanceClock"]["jobRuns"]
        .as_array()
        .unwrap();
    // The night's jobs in tick order, each once; the dispatcher at every tick visited. No
    // statements on the 1st: October's books are still open, and the daily job waits.
    let jobs: Vec<&str> = runs
        .iter()
        .map(|run| run["job"].as_str().unwrap())
        .collect();
    assert_eq!(
        jobs,
        [
            "qualification_expiry",
            "webhook_dispatch",
            "placement_expiry",
            "webhook_dispatch",
            "idle_watch",
            "webhook_dispatch",
            "performance_snapshot",
            "webhook_dispatch",
            "reassignment_review",
            "webhook_dispatch",
            "reconciliation",
            "webhook_dispatch",
            "commission_statements",
            "webhook_dispatch",
            "webhook_dispatch",
        ]
    );
    assert!(
        runs.iter().all(|run| run["status"] == "SUCCEEDED"),
        "{runs:?}"
    );
    let run_of = |job: &str| {
        runs.iter()
            .find(|run| run["job"] == job)
            .unwrap_or_else(|| panic!("no {job} run: {runs:?}"))
    };
    let reconciled = run_of("reconciliation");
    assert_eq!(reconciled["status"], "SUCCEEDED", "{reconciled}");
    assert_eq!(
        reconciled["summary"]["runs"][0]["periodStart"],
        "2026-10-01"
    );

    // Before the close day (the 7th) drafting refuses, and the job waits, saying why.
    let waiting = "the books of 2026-10-01 to 2026-10-31 close on 2026-11-07";
    let early = app
        .gql(
            Some(finance),
            GENERATE,
            json!({ "start": "2026-10-01", "end": "2026-10-31" }),
        )
        .await;
    assert_eq!(early.code(), Some("CONFLICT"));
    assert!(
        early.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with(waiting),
        "{}",
        early.body
    );
    let early = app
        .admin(
            "mutation { runJob(name: \"commission_statements\") { status summary } }",
            json!({}),
        )
        .await;
    let early = &early.data()["runJob"];
    assert_eq!(early["status"], "SUCCEEDED");
    assert_eq!(early["summary"]["waiting"]["waitingUntil"], "2026-11-07");
    assert_eq!(early["summary"]["statements"], 0);
    assert!(
        early["summary"]["waiting"]["message"]
            .as_str()
            .unwrap()
            .starts_with(waiting),
        "{early}"
    );

    let closed = app
        .admin(
            "mutation($to: DateTime!) { advanceClock(to: $to) {
               jobRuns { job scheduledFor status summary error } } }",
            json!({ "to": utc(2026, 11, 7, 6, 0) }),
        )
        .await;
    let closed = closed.data()["advanceClock"]["jobRuns"].as_array().unwrap();
    // The daily job's runs of the advance (on the clock's way to the close day): October is
    // drafted once, as soon as its books close.
    let runs: Vec<&Value> = closed
        .iter()
        .filter(|run| run["job"] == "commission_statements")
        .collect();
    assert!(
        runs.iter().all(|run| run["status"] == "SUCCEEDED"),
        "{runs:?}"
    );
    let drafted: Vec<&Value> = runs
        .iter()
        .flat_map(|run| run["summary"]["drafted"].as_array().unwrap())
        .collect();
    assert_eq!(
        drafted,
        [
            &json!({ "periodStart": "2026-10-01", "periodEnd": "2026-10-31", "statements": 1,
                  "drafts": 1 })
        ],
        "{runs:?}"
    );

    let statements = app
        .gql(
            Some(finance),
            "{ commissionStatements { edges { node {
               agencyId periodStart periodEnd status reconciliationRunId generatedBy
               commission { amount } } } } }",
            json!({}),
        )
        .await;
    let edges = statements.data()["commissionStatements"]["edges"]
        .as_array()
        .unwrap();
    assert_eq!(edges.len(), 1, "{edges:?}");
    let statement = &edges[0]["node"];
    assert_eq!(statement["agencyId"], month.agency_id.to_string());
    assert_eq!(
        (&statement["periodStart"], &statement["periodEnd"]),
        (&json!("2026-10-01"), &json!("2026-10-31"))
    );
    assert_eq!(statement["status"], "DRAFT");
    assert_eq!(statement["generatedBy"], "system:scheduler");
    assert_eq!(
        statement["reconciliationRunId"],
        reconciled["summary"]["runs"][0]["reconciliationRunId"]
    );
    // A1's 100.00, reported and remitted, at 20%.
    assert_eq!(statement["commission"]["amount"], "20.00");
}

#[tokio::test]
async fn a_plan_that_excludes_direct_payments_leaves_them_out_of_every_base() {
    let app = spawn_app().await;
    let agency = crate::fixtures::agency(&app.db, "ALPHA").await;
    let portfolio = crate::fixtures::portfolio(&app.db, "BIG").await;
    for reference in ["B1", "B2"] {
        let account = crate::fixtures::account(&app.db, portfolio.id, reference, 10_000_000).await;
        crate::reporting::place(&app, &account, agency.id, utc(2026, 10, 1, 0, 0)).await;
    }
    let finance = token(&app.db, Role::Finance, None).await;
    app.gql(
        Some(&finance),
        PLAN,
        json!({ "input": {
            "effectiveFrom": "2026-01-01", "currency": "USD", "tiers": [{ "rateBp": 1000 }],
            "bonus": { "targetRecoveryBp": 100, "extraRateBp": 100 },
            "directPaymentsEarn": false,
        }}),
    )
    .await
    .data();
    import(
        &app,
        &finance,
        json!([
            crate::reconciliation::remitted("R1", "B1", "37939.88", 8, agency.id),
            {
                "reference": "D1", "accountReference": "B2", "channel": "LENDER_DIRECT",
                "amount": "120.12", "receivedAt": "2026-10-20T09:00:00Z",
            },
        ]),
    )
    .await;
    let october = ("2026-10-01", "2026-10-31");
    reconcile(&app, &finance, october).await;
    let statement = generate(&app, &finance, october).await;
    // 1% of the eligible 37,939.88, not of the 38,060.00 received.
    assert_eq!(
        kinds(&statement),
        [
            ("PAYMENT".to_owned(), "3793.99".to_owned()),
            ("PAYMENT".to_owned(), "0.00".to_owned()),
            ("BONUS".to_owned(), "379.40".to_owned()),
        ]
    );
    assert_eq!(statement["lines"][2]["basis"]["amount"], "37939.88");
    assert_eq!(statement["basis"]["amount"], "37939.88");
    assert_eq!(statement["commission"]["amount"], "4173.39");
}

/// The `commission_statements` runs an advance of the clock to `to` made.
async fn statement_runs(app: &TestApp, to: chrono::DateTime<chrono::Utc>) -> Vec<Value> {
    let advanced = app
        .admin(
            "mutation($to: DateTime!) { advanceClock(to: $to) {
               jobRuns { job status summary error } } }",
            json!({ "to": to }),
        )
        .await;
    advanced.data()["advanceClock"]["jobRuns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|run| run["job"] == "commission_statements")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_closed_month_nobody_reconciled_is_named_by_the_statements_job() {
    let app = spawn_app_with(|settings| {
        settings.clock.manual = true;
        settings.clock.start = Some("2026-11-30T12:00:00Z".into());
        // Finance reconciles by hand: the reconciliation job is off.
        if let Some(job) = settings.scheduler.jobs.get_mut("reconciliation") {
            job.enabled = false;
        }
    })
    .await;
    // November's books close on 7 December; nobody reconciled it, nor October.
    let before = statement_runs(&app, utc(2026, 12, 6, 6, 0)).await;
    let before = before.last().expect("the job ran");
    assert_eq!(before["summary"]["waiting"]["periodStart"], "2026-11-01");
    assert_eq!(
        before["summary"]["unreconciled"]["periodStart"],
        "2026-10-01"
    );
    let after = statement_runs(&app, utc(2026, 12, 7, 6, 0)).await;
    let after = after.last().expect("the job ran");
    assert_eq!(after["status"], "SUCCEEDED", "{after}");
    assert_eq!(after["summary"]["statements"], 0, "{after}");
    let unreconciled = &after["summary"]["unreconciled"];
    assert_eq!(unreconciled["periodStart"], "2026-11-01", "{after}");
    assert_eq!(unreconciled["periodEnd"], "2026-11-30", "{after}");
    let message = unreconciled["message"].as_str().unwrap_or_default();
    assert!(message.contains("reconcile the period"), "{message}");
}

#[tokio::test]
async fn a_job_that_runs_before_the_close_day_drafts_the_month_on_a_later_run() {
    // The job runs on the 7th of each month; the books close on the 12th.
    let app = spawn_app_with(|settings| {
        settings.clock.manual = true;
        settings.clock.start = Some("2026-10-31T12:00:00Z".into());
        settings.finance.close_day = 12;
        if let Some(job) = settings.scheduler.jobs.get_mut("commission_statements") {
            job.cron = "0 0 5 7 * *".into();
        }
    })
    .await;
    let month = remitted_on_a_plan(&app).await;
    let finance = &month.finance;
    reconcile(&app, finance, ("2026-10-01", "2026-10-31")).await;

    let early = statement_runs(&app, utc(2026, 11, 7, 6, 0)).await;
    assert_eq!(early.len(), 1, "{early:?}");
    assert_eq!(early[0]["status"], "SUCCEEDED", "{early:?}");
    assert_eq!(early[0]["summary"]["statements"], 0, "{early:?}");
    assert_eq!(early[0]["summary"]["waiting"]["waitingUntil"], "2026-11-12");

    // December's run: November is still open, but October closed since and is drafted.
    let later = statement_runs(&app, utc(2026, 12, 7, 6, 0)).await;
    assert_eq!(later.len(), 1, "{later:?}");
    assert_eq!(later[0]["status"], "SUCCEEDED", "{later:?}");
    assert_eq!(
        later[0]["summary"]["drafted"],
        json!([{ "periodStart": "2026-10-01", "periodEnd": "2026-10-31", "statements": 1,
                 "drafts": 1 }]),
        "{later:?}"
    );
    assert_eq!(later[0]["summary"]["waiting"]["periodStart"], "2026-11-01");
    let statements = app
        .gql(
            Some(finance),
            "{ commissionStatements { edges { node { periodStart commission { amount } } } } }",
            json!({}),
        )
        .await;
    let edges = statements.data()["commissionStatements"]["edges"].clone();
    assert_eq!(
        edges,
        json!([{ "node": { "periodStart": "2026-10-01", "commission": { "amount": "20.00" } } }])
    );

    // Once drafted, a month is not drafted again by the job.
    let again = app
        .admin(
            "mutation { runJob(name: \"commission_statements\") { status summary } }",
            json!({}),
        )
        .await;
    assert_eq!(again.data()["runJob"]["summary"]["drafted"], json!([]));
}

#[tokio::test]
async fn ledger_only_money_earns_on_one_statement_across_overlapping_periods() {
    let app = spawn_app().await;
    let month = month(&app).await;
    let finance = &month.finance;
    app.gql(
        Some(finance),
        PLAN,
        json!({ "input": {
            "effectiveFrom": "2026-01-01", "currency": "USD", "tiers": [{ "rateBp": 2000 }],
        }}),
    )
    .await
    .data();
    // Nobody reported A4's 20.00: LEDGER_ONLY in October and in 20 September – 19 October.
    import(
        &app,
        finance,
        json!([crate::reconciliation::remitted(
            "L4",
            "A4",
            "20.00",
            10,
            month.agency_id
        )]),
    )
    .await;
    let october = ("2026-10-01", "2026-10-31");
    let overlapping = ("2026-09-20", "2026-10-19");
    reconcile(&app, finance, october).await;
    reconcile(&app, finance, overlapping).await;
    let first = generate(&app, finance, october).await;
    assert_eq!(kinds(&first), [("PAYMENT".to_owned(), "4.00".to_owned())]);
    let second = app
        .gql(
            Some(finance),
            GENERATE,
            json!({ "start": overlapping.0, "end": overlapping.1 }),
        )
        .await;
    assert_eq!(
        second.data()["generateCommissionStatements"],
        json!([]),
        "nothing left to pay in the overlapping period"
    );
    // Rebuilding October's draft keeps the line it holds.
    let again = generate(&app, finance, october).await;
    assert_eq!(kinds(&again), kinds(&first));
}
