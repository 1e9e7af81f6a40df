//! Ledger intake and reconciliation: a fixture month with every class of line.

use chrono::{TimeZone, Utc};
use entity::api_token::Role;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::fixtures;
use crate::helpers::{TestApp, spawn_app, token};
use crate::reporting::{REPORT_PAYMENTS, place};

const IMPORT: &str = "
mutation($entries: [LedgerEntryInput!]!) {
  importLedgerPayments(entries: $entries) {
    imported duplicates rejected
    items { index reference status field message entry { id reference grossAmount { amount } } }
  }
}";

const RUN: &str = "
mutation($start: NaiveDate!, $end: NaiveDate!) {
  runReconciliation(periodStart: $start, periodEnd: $end) {
    id summary csv
    items { class accountId agencyId paymentIds ledgerEntryIds reported { amount }
            received { amount } detail }
  }
}";

pub struct Month {
    pub finance: String,
    pub agency_token: String,
    pub agency_id: i64,
    /// Account ids by reference A1 … A6.
    pub accounts: Vec<i64>,
}

/// Agency ALPHA holds six accounts (A1 … A6) since 2026-10-01 and reports October's
/// payments; the ledger receives what is described in each test.
pub async fn month(app: &TestApp) -> Month {
    let agency = fixtures::agency(&app.db, "ALPHA").await;
    let portfolio = fixtures::portfolio(&app.db, "OCT").await;
    let mut accounts = Vec::new();
    for n in 1..=6 {
        let account = fixtures::account(&app.db, portfolio.id, &format!("A{n}"), 100_000).await;
        place(
            app,
            &account,
            agency.id,
            Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap(),
        )
        .await;
        accounts.push(account.id);
    }
    let agency_token = token(&app.db, Role::Agency, Some(agency.id)).await;
    let pay = |id: &str, account: i64, amount: &str, day: u32| {
        json!({
            "externalId": id,
            "accountId": account.to_string(),
            "amount": amount,
            "currency": "USD",
            "paidAt": format!("2026-10-{day:02}T12:00:00Z"),
            "method": "CARD",
            "paidTo": "AGENCY",
        })
    };
    let reported = app
        .gql(
            Some(&agency_token),
            REPORT_PAYMENTS,
            json!({ "payments": [
                pay("p1", accounts[0], "100.00", 5),
                pay("p2", accounts[1], "50.00", 6),
                pay("p3", accounts[2], "80.00", 10),
                pay("p5", accounts[4], "70.00", 14),
                pay("p6", accounts[5], "100.00", 16),
            ]}),
        )
        .await;
    assert_eq!(reported.data()["reportPayments"]["accepted"], 5);
    Month {
        finance: token(&app.db, Role::Finance, None).await,
        agency_token,
        agency_id: agency.id,
        accounts,
    }
}

pub fn remitted(reference: &str, account: &str, amount: &str, day: u32, agency: i64) -> Value {
    json!({
        "reference": reference,
        "accountReference": account,
        "channel": "AGENCY_REMITTANCE_GROSS",
        "agencyId": agency.to_string(),
        "amount": amount,
        "receivedAt": format!("2026-10-{day:02}T09:00:00Z"),
    })
}

pub async fn import(app: &TestApp, finance: &str, entries: Value) -> Value {
    app.gql(Some(finance), IMPORT, json!({ "entries": entries }))
        .await
        .data()["importLedgerPayments"]
        .clone()
}

pub async fn reconcile(app: &TestApp, finance: &str) -> Value {
    reconcile_period(app, finance, ("2026-10-01", "2026-10-31")).await
}

async fn reconcile_period(app: &TestApp, finance: &str, (start, end): (&str, &str)) -> Value {
    app.gql(Some(finance), RUN, json!({ "start": start, "end": end }))
        .await
        .data()["runReconciliation"]
        .clone()
}

/// (class, payment ids, ledger entry ids) of a run's items on one account.
fn lines_of(run: &Value, account: i64) -> Vec<(String, Value, Value)> {
    let account = account.to_string();
    run["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["accountId"].as_str() == Some(account.as_str()))
        .map(|item| {
            (
                item["class"].as_str().unwrap().to_owned(),
                item["paymentIds"].clone(),
                item["ledgerEntryIds"].clone(),
            )
        })
        .collect()
}

/// The stored ids of ledger entries, by reference.
fn entry_ids(imported: &Value) -> std::collections::HashMap<String, String> {
    imported["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["reference"].as_str().unwrap().to_owned(),
                item["entry"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// account id → class, of a run's items.
fn classes(run: &Value, month: &Month) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = run["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let account: i64 = item["accountId"].as_str().unwrap().parse().unwrap();
            let n = month.accounts.iter().position(|a| *a == account).unwrap() + 1;
            (n, item["class"].as_str().unwrap().to_owned())
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_fixture_month_gives_every_class_and_a_rerun_shows_what_changed() {
    let app = spawn_app().await;
    let month = month(&app).await;
    let alpha = month.agency_id;
    let imported = import(
        &app,
        &month.finance,
        json!([
            remitted("L1", "A1", "100.00", 8, alpha),
            {
                "reference": "L3", "accountReference": "A3", "channel": "AGENCY_REMITTANCE_NET",
                "agencyId": alpha.to_string(), "amount": "60.00", "grossAmount": "75.00",
                "receivedAt": "2026-10-12T09:00:00Z",
            },
            {
                "reference": "L4", "accountReference": "A4", "channel": "LENDER_DIRECT",
                "amount": "20.00", "receivedAt": "2026-10-20T09:00:00Z",
            },
            remitted("L5", "A5", "70.00", 15, alpha),
            { "reference": "L5-R", "reverses": "L5", "receivedAt": "2026-10-25T09:00:00Z" },
            remitted("L6a", "A6", "60.00", 17, alpha),
            remitted("L6b", "A6", "40.00", 18, alpha),
        ]),
    )
    .await;
    assert_eq!(imported["imported"], 7, "{imported}");
    assert_eq!(
        imported["items"][1]["entry"]["grossAmount"]["amount"],
        "75.00"
    );

    let run = reconcile(&app, &month.finance).await;
    assert_eq!(
        classes(&run, &month),
        [
            (1, "MATCHED".to_owned()),
            (2, "AGENCY_ONLY".to_owned()),
            (3, "AMOUNT_MISMATCH".to_owned()),
            (4, "LEDGER_ONLY".to_owned()),
            // L5 was reversed: it leaves matching, and p5's money never stayed.
            (5, "AGENCY_ONLY".to_owned()),
            (5, "REVERSED".to_owned()),
            (6, "MATCHED".to_owned()),
        ]
    );
    let items = run["items"].as_array().unwrap();
    let of = |n: usize| {
        let id = month.accounts[n - 1].to_string();
        items
            .iter()
            .find(|i| i["accountId"].as_str() == Some(id.as_str()))
            .unwrap()
    };
    assert_eq!(of(3)["reported"]["amount"], "80.00");
    assert_eq!(of(3)["received"]["amount"], "75.00");
    assert_eq!(of(6)["ledgerEntryIds"].as_array().unwrap().len(), 2);
    assert_eq!(of(6)["detail"], "matched as a split payment");
    // Money nobody reported is still the holding agency's.
    assert_eq!(of(4)["agencyId"], alpha.to_string());
    assert_eq!(of(2)["agencyId"], alpha.to_string());
    let csv = run["csv"].as_str().unwrap();
    assert!(csv.starts_with("id,class,account_reference"), "{csv}");
    assert!(csv.contains(",LEDGER_ONLY,A4,"), "{csv}");
    assert!(csv.contains("L6a;L6b"), "{csv}");
    assert_eq!(run["summary"]["changes"], Value::Null, "a first run");

    let again = reconcile(&app, &month.finance).await;
    assert_eq!(classes(&again, &month), classes(&run, &month));
    assert_eq!(again["summary"]["changes"]["added"], 0);
    assert_eq!(again["summary"]["changes"]["removed"], 0);
    assert_eq!(again["summary"]["previousRunId"], run["id"]);

    // The remittance for A2 arrives late (within the window): it now matches.
    import(
        &app,
        &month.finance,
        json!([remitted("L2", "A2", "50.00", 9, alpha)]),
    )
    .await;
    let third = reconcile(&app, &month.finance).await;
    assert_eq!(classes(&third, &month)[1], (2, "MATCHED".to_owned()));
    assert_eq!(third["summary"]["changes"]["added"], 1);
    assert_eq!(third["summary"]["changes"]["removed"], 1);
    assert_eq!(
        third["summary"]["changes"]["removedLines"][0]["class"],
        "AGENCY_ONLY"
    );

    // Agencies cannot reconcile; auditors read.
    let refused = app
        .gql(
            Some(&month.agency_token),
            RUN,
            json!({ "start": "2026-10-01", "end": "2026-10-31" }),
        )
        .await;
    assert_eq!(refused.code(), Some("FORBIDDEN"));
    let auditor = token(&app.db, Role::Auditor, None).await;
    let listed = app
        .gql(
            Some(&auditor),
            "{ reconciliationRuns { edges { node { id periodStart } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed.data()["reconciliationRuns"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn ledger_entries_are_checked_one_by_one_and_replays_recognised() {
    let app = spawn_app().await;
    let month = month(&app).await;
    let alpha = month.agency_id;
    let first = import(
        &app,
        &month.finance,
        json!([remitted("L1", "A1", "100.00", 8, alpha)]),
    )
    .await;
    assert_eq!(first["imported"], 1);
    let answer = import(
        &app,
        &month.finance,
        json!([
            remitted("L1", "A1", "100.00", 8, alpha),
            remitted("L1", "A1", "99.00", 8, alpha),
            remitted("L7", "NOPE", "10.00", 8, alpha),
            {
                "reference": "L8", "accountReference": "A1", "channel": "AGENCY_REMITTANCE_NET",
                "agencyId": alpha.to_string(), "amount": "10.00", "receivedAt": "2026-10-08T09:00:00Z",
            },
            {
                "reference": "L9", "accountReference": "A1", "channel": "LENDER_DIRECT",
                "amount": "10.001", "receivedAt": "2026-10-08T09:00:00Z",
            },
            { "reference": "L1-R", "reverses": "L1", "receivedAt": "2026-10-20T09:00:00Z" },
            { "reference": "L1-R2", "reverses": "L1", "receivedAt": "2026-10-21T09:00:00Z" },
            remitted("L10", "A1", "10.00", 8, alpha)
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.insert("receivedAt".into(), json!("2099-01-01T00:00:00Z"));
                    Value::Object(o)
                })
                .unwrap(),
        ]),
    )
    .await;
    let outcome = |i: usize| {
        let item = &answer["items"][i];
        (
            item["status"].as_str().unwrap().to_owned(),
            item["field"].as_str().map(str::to_owned),
        )
    };
    assert_eq!(outcome(0), ("DUPLICATE".to_owned(), None));
    assert_eq!(
        outcome(1),
        ("REJECTED".to_owned(), Some("reference".to_owned()))
    );
    assert_eq!(
        outcome(2),
        ("REJECTED".to_owned(), Some("accountReference".to_owned()))
    );
    assert_eq!(
        outcome(3),
        ("REJECTED".to_owned(), Some("grossAmount".to_owned()))
    );
    assert_eq!(
        outcome(4),
        ("REJECTED".to_owned(), Some("amount".to_owned()))
    );
    assert_eq!(outcome(5), ("IMPORTED".to_owned(), None));
    assert_eq!(
        outcome(6),
        ("REJECTED".to_owned(), Some("reverses".to_owned()))
    );
    assert_eq!(
        outcome(7),
        ("REJECTED".to_owned(), Some("receivedAt".to_owned()))
    );
    assert_eq!(
        (
            answer["imported"].as_i64(),
            answer["duplicates"].as_i64(),
            answer["rejected"].as_i64()
        ),
        (Some(1), Some(1), Some(6))
    );
    let agency = app
        .gql(
            Some(&month.agency_token),
            IMPORT,
            json!({ "entries": [remitted("L11", "A1", "1.00", 8, alpha)] }),
        )
        .await;
    assert_eq!(agency.code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn a_ledger_csv_file_imports_row_by_row() {
    let app = spawn_app().await;
    let month = month(&app).await;
    let alpha = month.agency_id;
    let file = format!(
        "reference,account_reference,channel,agency_id,amount,gross_amount,currency,received_at,reverses\n\
         C1,A1,AGENCY_REMITTANCE_GROSS,{alpha},100.00,,USD,2026-10-08T09:00:00Z,\n\
         C2,A3,AGENCY_REMITTANCE_NET,{alpha},60.00,75.00,,2026-10-12T09:00:00Z,\n\
         C3,A4,WIRE,,20.00,,,2026-10-20T09:00:00Z,\n\
         C4,,,,,,,2026-10-25T09:00:00Z,C1\n"
    );
    let answer = app
        .upload(
            Some(&month.finance),
            "mutation($file: Upload!) { importLedgerPaymentsCsv(file: $file) {
               imported rejected items { index reference status field message } } }",
            json!({}),
            file.into_bytes(),
        )
        .await;
    let report = &answer.data()["importLedgerPaymentsCsv"];
    assert_eq!(
        (report["imported"].as_i64(), report["rejected"].as_i64()),
        (Some(3), Some(1))
    );
    let third = &report["items"][2];
    assert_eq!(
        (third["index"].as_i64(), third["status"].as_str()),
        (Some(3), Some("REJECTED"))
    );
    assert_eq!(third["field"], "channel");
    assert_eq!(
        report["items"][3]["status"], "IMPORTED",
        "a reversal of row 1"
    );
}

#[tokio::test]
async fn a_payment_is_matched_once_across_runs_of_overlapping_periods() {
    let app = spawn_app().await;
    let month = month(&app).await;
    let alpha = month.agency_id;
    // p1 (100.00 on 5 October) could match either remittance.
    let imported = import(
        &app,
        &month.finance,
        json!([
            remitted("L1", "A1", "100.00", 8, alpha),
            remitted("L1b", "A1", "100.00", 9, alpha),
        ]),
    )
    .await;
    let ids = entry_ids(&imported);
    let a1 = month.accounts[0];
    let october = reconcile(&app, &month.finance).await;
    let matched = lines_of(&october, a1);
    assert_eq!(matched[0].0, "MATCHED");
    assert_eq!(matched[0].2, json!([ids["L1"]]));
    let p1 = matched[0].1.clone();

    // A run of 5 October to 4 November covers p1 too: October's run holds it.
    let overlapping = reconcile_period(&app, &month.finance, ("2026-10-05", "2026-11-04")).await;
    assert_eq!(
        lines_of(&overlapping, a1),
        [("LEDGER_ONLY".to_owned(), json!([]), json!([ids["L1b"]]))],
        "p1 is not matched a second time"
    );
    // Re-running October keeps what it matched.
    let again = reconcile(&app, &month.finance).await;
    assert_eq!(lines_of(&again, a1)[0], matched[0]);

    // The database refuses a second match of the payment, whatever the code does.
    let payment_id: i64 = p1[0].as_str().unwrap().parse().unwrap();
    let run_id: i64 = overlapping["id"].as_str().unwrap().parse().unwrap();
    let twice = entity::reconciliation_match::ActiveModel {
        run_id: Set(run_id),
        payment_id: Set(Some(payment_id)),
        ledger_entry_id: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await;
    assert!(twice.is_err(), "a unique key on the matched payment");
}

#[tokio::test]
async fn a_reversed_entry_leaves_matching_to_the_money_that_stayed() {
    let app = spawn_app().await;
    let month = month(&app).await;
    let alpha = month.agency_id;
    // L1 bounced and was presented again as L1b.
    let imported = import(
        &app,
        &month.finance,
        json!([
            remitted("L1", "A1", "100.00", 6, alpha),
            { "reference": "L1-R", "reverses": "L1", "receivedAt": "2026-10-07T09:00:00Z" },
            remitted("L1b", "A1", "100.00", 9, alpha),
        ]),
    )
    .await;
    let ids = entry_ids(&imported);
    let run = reconcile(&app, &month.finance).await;
    let lines = lines_of(&run, month.accounts[0]);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        (lines[0].0.as_str(), &lines[0].2),
        ("REVERSED", &json!([ids["L1"]]))
    );
    assert_eq!(
        lines[0].1,
        json!([]),
        "no payment pairs with reversed money"
    );
    assert_eq!(
        (lines[1].0.as_str(), &lines[1].2),
        ("MATCHED", &json!([ids["L1b"]]))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_ledger_imports_at_once_queue_instead_of_conflicting() {
    let app = spawn_app().await;
    let month = month(&app).await;
    let entries: Vec<Value> = (0..200)
        .map(|n| {
            remitted(
                &format!("Q{n}"),
                &format!("A{}", n % 6 + 1),
                "1.00",
                20,
                month.agency_id,
            )
        })
        .collect();
    let variables = json!({ "entries": entries });
    let (one, two, three) = tokio::join!(
        app.gql(Some(&month.finance), IMPORT, variables.clone()),
        app.gql(Some(&month.finance), IMPORT, variables.clone()),
        app.gql(Some(&month.finance), IMPORT, variables.clone()),
    );
    let mut counts: Vec<(i64, i64)> = [one, two, three]
        .iter()
        .map(|answer| {
            let report = &answer.data()["importLedgerPayments"];
            (
                report["imported"].as_i64().unwrap(),
                report["duplicates"].as_i64().unwrap(),
            )
        })
        .collect();
    counts.sort();
    assert_eq!(counts, [(0, 200), (0, 200), (200, 0)]);
}

/// Reports a payment of agency ALPHA on an account of the month.
async fn report(app: &TestApp, month: &Month, (id, account): (&str, i64), amount: &str, at: &str) {
    let reported = app
        .gql(
            Some(&month.agency_token),
            REPORT_PAYMENTS,
            json!({ "payments": [{
                "externalId": id, "accountId": account.to_string(), "amount": amount,
                "currency": "USD", "paidAt": at, "method": "CARD", "paidTo": "AGENCY",
            }]}),
        )
        .await;
    assert_eq!(
        reported.data()["reportPayments"]["accepted"],
        1,
        "{}",
        reported.body
    );
}

#[tokio::test]
async fn an_entry_matched_by_a_period_further_than_the_window_is_not_matched_again() {
    let app = spawn_app().await;
    let month = month(&app).await;
    let a1 = month.accounts[0];
    // With the 5-day window, 1–20 October and 28 October – 30 November both see an entry
    // received on the 24th; each has a payment within the window of it.
    report(&app, &month, ("late", a1), "40.00", "2026-10-20T12:00:00Z").await;
    report(&app, &month, ("later", a1), "40.00", "2026-10-28T12:00:00Z").await;
    let imported = import(
        &app,
        &month.finance,
        json!([remitted("L24", "A1", "40.00", 24, month.agency_id)]),
    )
    .await;
    let ids = entry_ids(&imported);
    let first = reconcile_period(&app, &month.finance, ("2026-10-01", "2026-10-20")).await;
    let matched = lines_of(&first, a1);
    assert!(
        matched
            .iter()
            .any(|(class, _, entries)| class == "MATCHED" && *entries == json!([ids["L24"]])),
        "{matched:?}"
    );
    let answer = app
        .gql(
            Some(&month.finance),
            RUN,
            json!({ "start": "2026-10-28", "end": "2026-11-30" }),
        )
        .await;
    assert_eq!(answer.code(), None, "{}", answer.body);
    let second = &answer.data()["runReconciliation"];
    let lines = lines_of(second, a1);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].0, "AGENCY_ONLY", "L24 is the first period's");
}

#[tokio::test]
async fn a_reversal_frees_the_payment_its_entry_was_matched_to() {
    let app = spawn_app().await;
    let month = month(&app).await;
    let alpha = month.agency_id;
    let a1 = month.accounts[0];
    let first = import(
        &app,
        &month.finance,
        json!([remitted("L1", "A1", "100.00", 6, alpha)]),
    )
    .await;
    let october = reconcile(&app, &month.finance).await;
    let p1 = lines_of(&october, a1)[0].1.clone();
    assert_eq!(
        lines_of(&october, a1)[0],
        (
            "MATCHED".to_owned(),
            p1.clone(),
            json!([entry_ids(&first)["L1"]])
        )
    );
    // L1 bounces after October's run and is presented again as L1b.
    let later = import(
        &app,
        &month.finance,
        json!([
            { "reference": "L1-R", "reverses": "L1", "receivedAt": "2026-10-07T09:00:00Z" },
            remitted("L1b", "A1", "100.00", 9, alpha),
        ]),
    )
    .await;
    let ids = entry_ids(&later);
    // A run of an overlapping period pairs p1 with the money that stayed.
    let overlapping = reconcile_period(&app, &month.finance, ("2026-10-05", "2026-11-04")).await;
    assert!(
        lines_of(&overlapping, a1).contains(&("MATCHED".to_owned(), p1, json!([ids["L1b"]]))),
        "{:?}",
        lines_of(&overlapping, a1)
    );
    let released = entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::Action.eq("reconciliation_match.release"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(released.len(), 1, "{released:?}");
    assert_eq!(released[0].entity_id, entry_ids(&first)["L1"]);
}
