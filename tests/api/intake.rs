//! Intake: creating portfolios and importing accounts into them, as a GraphQL batch or
//! as a CSV file sent in a multipart request.

use std::time::Instant;

use chrono::{Duration, Utc};
use entity::api_token::Role;
use entity::{account, audit_event};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::fixtures;
use crate::helpers::{Answer, TestApp, spawn_app, spawn_app_at, spawn_app_with, token};

const CREATE_PORTFOLIO: &str = "mutation($input: CreatePortfolioInput!) { \
    createPortfolio(input: $input) { id code name currency createdAt } }";

const REPORT: &str = "rowsRead created updated rejected errorCount errors { row field message }";

pub const CSV_HEADER: &str = "lender_reference,debtor_name,phones,email,national_id,region,\
    time_zone,product,principal,outstanding,currency,delinquency_start,charge_off_date,flags";

const NATIONAL_ID: &str = "123-45-6789";

fn import_query() -> String {
    format!(
        "mutation($portfolioId: ID!, $accounts: [AccountInput!]!) {{ \
         importAccounts(portfolioId: $portfolioId, accounts: $accounts) {{ {REPORT} }} }}"
    )
}

fn import_csv_query() -> String {
    format!(
        "mutation($portfolioId: ID!, $file: Upload!, $atomic: Boolean) {{ \
         importAccountsCsv(portfolioId: $portfolioId, file: $file, atomic: $atomic) {{ {REPORT} }} }}"
    )
}

/// A date `days` ago, as the API writes dates.
fn days_ago(days: i64) -> String {
    (fixtures::today() - Duration::days(days)).to_string()
}

/// A complete, valid `AccountInput` in USD.
fn account(reference: &str) -> Value {
    json!({
        "lenderReference": reference,
        "debtor": {
            "name": "Pat Doe",
            "phones": ["+1 512 555 0100"],
            "email": "pat@example.com",
            "nationalId": NATIONAL_ID,
            "region": "US-TX",
            "timeZone": "America/Chicago",
        },
        "product": "CARD",
        "principal": "1500.00",
        "outstanding": "1234.56",
        "currency": "USD",
        "delinquencyStart": days_ago(90),
        "chargeOffDate": null,
        "flags": ["DISPUTED"],
    })
}

/// One valid CSV line in USD.
pub fn csv_line(reference: &str) -> String {
    format!(
        "{reference},Pat Doe,+15125550100;+15125550101,pat@example.com,{NATIONAL_ID},US-TX,\
         America/Chicago,card,1500.00,1234.56,USD,{},,DISPUTED",
        days_ago(90)
    )
}

pub fn csv(lines: &[String]) -> Vec<u8> {
    let mut text = format!("{CSV_HEADER}\n");
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    text.into_bytes()
}

/// Creates a portfolio as ADMIN; returns its id.
pub async fn portfolio(app: &TestApp, code: &str, currency: &str) -> String {
    let input = json!({ "code": code, "name": format!("{code} book"), "currency": currency });
    let created = app.admin(CREATE_PORTFOLIO, json!({ "input": input })).await;
    created.data()["createPortfolio"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn import(app: &TestApp, token: &str, portfolio_id: &str, accounts: Vec<Value>) -> Answer {
    app.gql(
        Some(token),
        &import_query(),
        json!({ "portfolioId": portfolio_id, "accounts": accounts }),
    )
    .await
}

async fn import_csv(
    app: &TestApp,
    token: Option<&str>,
    portfolio_id: &str,
    file: Vec<u8>,
    atomic: Option<bool>,
) -> Answer {
    app.upload(
        token,
        &import_csv_query(),
        json!({ "portfolioId": portfolio_id, "atomic": atomic }),
        file,
    )
    .await
}

/// The counts of a report: (rows read, created, updated, rejected, error count).
fn counts(report: &Value) -> (i64, i64, i64, i64, i64) {
    let n = |key: &str| report[key].as_i64().unwrap();
    (
        n("rowsRead"),
        n("created"),
        n("updated"),
        n("rejected"),
        n("errorCount"),
    )
}

/// The (row, field) of each listed error.
fn faults(report: &Value) -> Vec<(i64, Option<String>)> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["field"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

async fn accounts_in(app: &TestApp, portfolio_id: &str) -> u64 {
    account::Entity::find()
        .filter(account::Column::PortfolioId.eq(portfolio_id.parse::<i64>().unwrap()))
        .count(&app.db)
        .await
        .unwrap()
}

async fn account_events(app: &TestApp) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .filter(audit_event::Column::EntityType.eq("account"))
        .all(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_portfolio_is_created_once_per_code_and_audited() {
    let app = spawn_app().await;
    let input = json!({ "code": "US-CARDS-2027", "name": "US cards, 2027", "currency": "USD" });
    let created = app.admin(CREATE_PORTFOLIO, json!({ "input": input })).await;
    let portfolio = &created.data()["createPortfolio"];
    assert_eq!(portfolio["code"], "US-CARDS-2027");
    assert_eq!(portfolio["name"], "US cards, 2027");
    assert_eq!(portfolio["currency"], "USD");

    let again = app.admin(CREATE_PORTFOLIO, json!({ "input": input })).await;
    assert_eq!(again.code(), Some("CONFLICT"));
    for (field, value) in [("code", "lower case"), ("currency", "XXQ"), ("name", " ")] {
        let mut bad = input.clone();
        bad["code"] = json!("OTHER");
        bad[field] = json!(value);
        let refused = app.admin(CREATE_PORTFOLIO, json!({ "input": bad })).await;
        assert_eq!(refused.code(), Some("BAD_USER_INPUT"), "{field}");
        assert_eq!(
            refused.body["errors"][0]["extensions"]["field"], field,
            "{field}"
        );
    }

    let manager = token(&app.db, Role::VendorManager, None).await;
    let input = json!({ "code": "UK-LOANS", "name": "UK loans", "currency": "GBP" });
    let by_manager = app
        .gql(Some(&manager), CREATE_PORTFOLIO, json!({ "input": input }))
        .await;
    assert_eq!(by_manager.data()["createPortfolio"]["currency"], "GBP");

    let events = audit_event::Entity::find()
        .filter(audit_event::Column::EntityType.eq("portfolio"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].action, "portfolio.create");
    assert_eq!(events[0].entity_id, portfolio["id"].as_str().unwrap());
    assert_eq!(events[0].after.as_ref().unwrap()["code"], "US-CARDS-2027");
}

#[tokio::test]
async fn a_reimported_reference_updates_its_account_instead_of_duplicating_it() {
    let app = spawn_app().await;
    let p = portfolio(&app, "P-US", "USD").await;
    let first = import(
        &app,
        &app.admin_token,
        &p,
        vec![account("A-1"), account("A-2")],
    )
    .await;
    let report = &first.data()["importAccounts"];
    assert_eq!(counts(report), (2, 2, 0, 0, 0));
    assert_eq!(report["errors"], json!([]));

    let mut changed = account("A-1");
    changed["debtor"]["name"] = json!("Pat Smith");
    changed["outstanding"] = json!("99.99");
    changed["flags"] = json!([]);
    let second = import(&app, &app.admin_token, &p, vec![changed, account("A-3")]).await;
    assert_eq!(counts(&second.data()["importAccounts"]), (2, 1, 1, 0, 0));
    assert_eq!(accounts_in(&app, &p).await, 3);

    let read = app
        .admin(
            "query($filter: AccountsFilter) { accounts(filter: $filter) { edges { node { \
             lenderReference product flags delinquencyStart chargeOffDate \
             principal { amount currency } outstanding { amount currency } \
             debtor { name phones email nationalIdLast4 region timeZone } } } } }",
            json!({ "filter": { "portfolioId": p, "lenderReference": "A-1" } }),
        )
        .await;
    let node = &read.data()["accounts"]["edges"][0]["node"];
    assert_eq!(node["debtor"]["name"], "Pat Smith");
    assert_eq!(node["debtor"]["phones"], json!(["+15125550100"]));
    assert_eq!(node["debtor"]["nationalIdLast4"], "6789");
    assert_eq!(node["debtor"]["timeZone"], "America/Chicago");
    assert_eq!(
        node["principal"],
        json!({ "amount": "1500.00", "currency": "USD" })
    );
    assert_eq!(node["outstanding"]["amount"], "99.99");
    // A contact status (DISPUTED, CEASE_CONTACT) outlives a re-import: only
    // updateAccountFlags lifts it.
    assert_eq!(node["flags"], json!(["DISPUTED"]));
    assert_eq!(node["delinquencyStart"], days_ago(90));

    let events = account_events(&app).await;
    let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "account.create").count(),
        3
    );
    let update = events
        .iter()
        .find(|e| e.action == "account.update")
        .expect("the update is audited");
    assert_eq!(update.before.as_ref().unwrap()["outstandingMinor"], 123_456);
    assert_eq!(update.after.as_ref().unwrap()["outstandingMinor"], 9_999);
    assert_eq!(update.after.as_ref().unwrap()["debtorName"], "Pat Smith");
    assert!(update.request_id.is_some());
}

#[tokio::test]
async fn bad_rows_are_reported_one_by_one_while_good_rows_land() {
    let app = spawn_app().await;
    let p = portfolio(&app, "P-US", "USD").await;
    let other = portfolio(&app, "P-OTHER", "USD").await;
    import(&app, &app.admin_token, &other, vec![account("TAKEN-1")])
        .await
        .data();

    let with = |reference: &str, path: &[&str], value: Value| {
        let mut row = account(reference);
        let (last, parents) = path.split_last().unwrap();
        let mut target = &mut row;
        for key in parents {
            target = &mut target[*key];
        }
        target[*last] = value;
        row
    };
    let rows = vec![
        account("G-1"),
        with("B-2", &["lenderReference"], json!(" ")),
        with("B-3", &["debtor", "name"], json!("")),
        with("B-4", &["debtor", "phones"], json!(["555-0100"])),
        with("B-5", &["debtor", "email"], json!("pat.example.com")),
        with("B-6", &["debtor", "nationalId"], json!("12")),
        with("B-7", &["debtor", "region"], json!("Texas")),
        with("B-8", &["debtor", "timeZone"], json!("Mars/Olympus")),
        with("B-9", &["principal"], json!("0")),
        with("B-10", &["outstanding"], json!("-5.00")),
        with("B-11", &["principal"], json!("10.001")),
        with("B-12", &["currency"], json!("EUR")),
        with("B-13", &["delinquencyStart"], json!(days_ago(-1))),
        with("B-14", &["chargeOffDate"], json!(days_ago(91))),
        account("G-1"),
        account("TAKEN-1"),
        account("G-2"),
    ];
    let answer = import(&app, &app.admin_token, &p, rows).await;
    let report = &answer.data()["importAccounts"];
    assert_eq!(counts(report), (17, 2, 0, 15, 15));
    let expected = [
        (2, "lenderReference"),
        (3, "debtor.name"),
        (4, "debtor.phones"),
        (5, "debtor.email"),
        (6, "debtor.nationalId"),
        (7, "debtor.region"),
        (8, "debtor.timeZone"),
        (9, "principal"),
        (10, "outstanding"),
        (11, "principal"),
        (12, "currency"),
        (13, "delinquencyStart"),
        (14, "chargeOffDate"),
        (15, "lenderReference"),
        (16, "lenderReference"),
    ]
    .map(|(row, field)| (row, Some(field.to_owned())));
    assert_eq!(faults(report), expected);
    let messages: Vec<_> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(messages[13].contains("repeats row 1"), "{}", messages[13]);
    assert!(
        messages[14].contains("another portfolio"),
        "{}",
        messages[14]
    );

    assert_eq!(accounts_in(&app, &p).await, 2);
    assert_eq!(
        accounts_in(&app, &other).await,
        1,
        "nothing moves portfolio"
    );
}

#[tokio::test]
async fn more_than_ten_thousand_accounts_in_one_call_are_refused() {
    let app = spawn_app().await;
    let p = portfolio(&app, "P-US", "USD").await;
    let rows: Vec<_> = (0..10_001).map(|i| account(&format!("A-{i}"))).collect();
    let refused = import(&app, &app.admin_token, &p, rows).await;
    assert_eq!(refused.code(), Some("BAD_USER_INPUT"));
    assert_eq!(refused.body["errors"][0]["extensions"]["field"], "accounts");
    assert_eq!(accounts_in(&app, &p).await, 0);
}

#[tokio::test]
async fn importing_into_a_missing_portfolio_is_not_found() {
    let app = spawn_app().await;
    let missing = import(&app, &app.admin_token, "999", vec![account("A-1")]).await;
    assert_eq!(missing.code(), Some("NOT_FOUND"));
}

#[tokio::test]
async fn an_atomic_csv_file_with_bad_rows_writes_nothing_and_a_lenient_one_lands_its_good_rows() {
    let app = spawn_app().await;
    let p = portfolio(&app, "P-US", "USD").await;
    let file = csv(&[
        csv_line("A-1"),
        csv_line("A-2").replace("US-TX", "Texas"),
        csv_line("A-3"),
        "A-4,Pat Doe,+15125550100".to_owned(),
    ]);

    let atomic = import_csv(&app, Some(&app.admin_token), &p, file.clone(), Some(true)).await;
    let report = &atomic.data()["importAccountsCsv"];
    assert_eq!(counts(report), (4, 0, 0, 4, 2));
    assert_eq!(
        faults(report),
        vec![(2, Some("region".to_owned())), (4, None)]
    );
    assert_eq!(accounts_in(&app, &p).await, 0);
    assert!(account_events(&app).await.is_empty());

    let lenient = import_csv(&app, Some(&app.admin_token), &p, file, None).await;
    let report = &lenient.data()["importAccountsCsv"];
    assert_eq!(counts(report), (4, 2, 0, 2, 2));
    assert_eq!(accounts_in(&app, &p).await, 2);
    assert_eq!(account_events(&app).await.len(), 2);

    let clean = csv(&[csv_line("A-1"), csv_line("A-5")]);
    let atomic = import_csv(&app, Some(&app.admin_token), &p, clean, Some(true)).await;
    assert_eq!(counts(&atomic.data()["importAccountsCsv"]), (2, 1, 1, 0, 0));
}

#[tokio::test]
async fn a_csv_file_with_a_bad_header_is_refused_whole() {
    let app = spawn_app().await;
    let p = portfolio(&app, "P-US", "USD").await;
    let file = b"lender_reference,debtor_name,shoe_size\nA-1,Pat,44\n".to_vec();
    let refused = import_csv(&app, Some(&app.admin_token), &p, file, None).await;
    assert_eq!(refused.code(), Some("BAD_USER_INPUT"));
    assert_eq!(refused.body["errors"][0]["extensions"]["field"], "file");
    assert!(
        refused.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("shoe_size")
    );
}

#[tokio::test]
async fn naming_a_file_that_was_not_sent_is_bad_input() {
    let app = spawn_app().await;
    let p = portfolio(&app, "P-US", "USD").await;
    let variables = json!({ "portfolioId": p, "file": "#__graphql_file__:7" });
    let answer = app.admin(&import_csv_query(), variables).await;
    assert_eq!(answer.code(), Some("BAD_USER_INPUT"));
    assert_eq!(answer.body["errors"][0]["extensions"]["field"], "file");
}

#[tokio::test]
async fn a_large_csv_file_imports_in_chunks() {
    let app = spawn_app().await;
    let p = portfolio(&app, "P-US", "USD").await;
    let mut lines: Vec<String> = (1..=20_000).map(|i| csv_line(&format!("L-{i}"))).collect();
    // The same reference again, in a later chunk than its first row.
    lines.push(csv_line("L-1"));
    let file = csv(&lines);

    let started = Instant::now();
    let answer = import_csv(&app, Some(&app.admin_token), &p, file.clone(), None).await;
    eprintln!("importing 20,001 CSV rows took {:?}", started.elapsed());
    let report = &answer.data()["importAccountsCsv"];
    assert_eq!(counts(report), (20_001, 20_000, 0, 1, 1));
    assert_eq!(
        faults(report),
        vec![(20_001, Some("lender_reference".to_owned()))]
    );
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("repeats an earlier row")
    );
    assert_eq!(accounts_in(&app, &p).await, 20_000);
    assert_eq!(account_events(&app).await.len(), 20_000);

    let started = Instant::now();
    let again = import_csv(&app, Some(&app.admin_token), &p, file, None).await;
    eprintln!("re-importing them took {:?}", started.elapsed());
    assert_eq!(
        counts(&again.data()["importAccountsCsv"]),
        (20_001, 0, 20_000, 1, 1)
    );
    assert_eq!(accounts_in(&app, &p).await, 20_000);
}

#[tokio::test]
async fn on_a_clock_standing_still_a_reimport_updates_and_a_later_repeat_is_still_caught() {
    let app = spawn_app_at(Utc::now() - Duration::days(1)).await;
    let p = portfolio(&app, "P-US", "USD").await;
    let first = import(&app, &app.admin_token, &p, vec![account("L-1")]).await;
    assert_eq!(counts(&first.data()["importAccounts"]), (1, 1, 0, 0, 0));
    // The same instant: L-1 carries it already, yet this import updates it; its repeat in
    // the second chunk is this import's own.
    let mut lines: Vec<String> = (1..=1_000).map(|i| csv_line(&format!("L-{i}"))).collect();
    lines.push(csv_line("L-1"));
    let answer = import_csv(&app, Some(&app.admin_token), &p, csv(&lines), None).await;
    let report = &answer.data()["importAccountsCsv"];
    assert_eq!(counts(report), (1_001, 999, 1, 1, 1));
    assert_eq!(
        faults(report),
        vec![(1_001, Some("lender_reference".to_owned()))]
    );
}

#[tokio::test]
async fn national_ids_are_kept_only_as_a_keyed_hash_and_the_last_four_characters() {
    let app = spawn_app().await;
    let p = portfolio(&app, "P-US", "USD").await;
    let mut bad = account("B-1");
    bad["debtor"]["nationalId"] = json!("12#456789");
    let answer = import(&app, &app.admin_token, &p, vec![account("A-1"), bad]).await;
    assert_eq!(counts(&answer.data()["importAccounts"]), (2, 1, 0, 1, 1));
    let csv_answer = import_csv(
        &app,
        Some(&app.admin_token),
        &p,
        csv(&[csv_line("A-2")]),
        None,
    )
    .await;
    assert_eq!(
        counts(&csv_answer.data()["importAccountsCsv"]),
        (1, 1, 0, 0, 0)
    );

    let digits = NATIONAL_ID.replace('-', "");
    let stored = account::Entity::find().all(&app.db).await.unwrap();
    for account in &stored {
        let hash = account.national_id_hash.as_deref().unwrap();
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(&digits));
        assert_eq!(account.national_id_last4.as_deref(), Some("6789"));
    }
    assert_eq!(stored[0].national_id_hash, stored[1].national_id_hash);

    let read = app
        .admin(
            "{ accounts { edges { node { debtor { nationalIdLast4 } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        read.data()["accounts"]["edges"][0]["node"]["debtor"]["nationalIdLast4"],
        "6789"
    );

    let audited = serde_json::to_string(
        &account_events(&app)
            .await
            .iter()
            .map(|e| (&e.before, &e.after))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(audited.contains("\"nationalIdLast4\":\"6789\""));
    for text in [
        answer.body.to_string(),
        csv_answer.body.to_string(),
        read.body.to_string(),
        audited,
    ] {
        for secret in [NATIONAL_ID, digits.as_str(), "12#456789"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert!(!text.contains(stored[0].national_id_hash.as_deref().unwrap()));
    }
}

#[tokio::test]
async fn only_admins_and_vendor_managers_create_portfolios_and_import() {
    let app = spawn_app().await;
    let p = portfolio(&app, "P-US", "USD").await;
    let agency = fixtures::agency(&app.db, "ALPHA").await;
    let input = json!({ "code": "P-NEW", "name": "New", "currency": "USD" });
    for (role, agency_id) in [
        (Role::Agency, Some(agency.id)),
        (Role::Finance, None),
        (Role::Auditor, None),
    ] {
        let caller = token(&app.db, role, agency_id).await;
        let create = app
            .gql(Some(&caller), CREATE_PORTFOLIO, json!({ "input": input }))
            .await;
        assert_eq!(create.code(), Some("FORBIDDEN"), "{role:?}");
        let batch = import(&app, &caller, &p, vec![account("A-1")]).await;
        assert_eq!(batch.code(), Some("FORBIDDEN"), "{role:?}");
        let file = import_csv(&app, Some(&caller), &p, csv(&[csv_line("A-1")]), None).await;
        assert_eq!(file.code(), Some("FORBIDDEN"), "{role:?}");
    }
    assert_eq!(accounts_in(&app, &p).await, 0);

    let anonymous = app
        .gql(
            None,
            &import_query(),
            json!({ "portfolioId": p, "accounts": [account("A-1")] }),
        )
        .await;
    assert_eq!(anonymous.code(), Some("UNAUTHENTICATED"));
    let anonymous_upload = import_csv(&app, None, &p, csv(&[csv_line("A-1")]), None).await;
    assert_eq!(anonymous_upload.status, 401);
    assert_eq!(anonymous_upload.headers["www-authenticate"], "Bearer");
    assert_eq!(anonymous_upload.code(), Some("UNAUTHENTICATED"));
    let bad_token = import_csv(&app, Some("af_nope"), &p, csv(&[csv_line("A-1")]), None).await;
    assert_eq!(bad_token.status, 401);

    let manager = token(&app.db, Role::VendorManager, None).await;
    let batch = import(&app, &manager, &p, vec![account("A-1")]).await;
    assert_eq!(counts(&batch.data()["importAccounts"]), (1, 1, 0, 0, 0));
    let file = import_csv(&app, Some(&manager), &p, csv(&[csv_line("A-2")]), None).await;
    assert_eq!(counts(&file.data()["importAccountsCsv"]), (1, 1, 0, 0, 0));
}

#[tokio::test]
async fn uploads_have_a_size_limit_of_their_own() {
    let app = spawn_app_with(|settings| {
        settings.server.body_limit_bytes = 4096;
        settings.server.upload_limit_bytes = 64 * 1024;
    })
    .await;
    let p = portfolio(&app, "P-US", "USD").await;
    let rows = |n: usize| -> Vec<String> { (0..n).map(|i| csv_line(&format!("A-{i}"))).collect() };

    let over_body_limit = csv(&rows(100));
    assert!(over_body_limit.len() > 4096 && over_body_limit.len() < 64 * 1024);
    let accepted = import_csv(&app, Some(&app.admin_token), &p, over_body_limit, None).await;
    assert_eq!(counts(&accepted.data()["importAccountsCsv"]).1, 100);

    let over_upload_limit = csv(&rows(1_000));
    assert!(over_upload_limit.len() > 64 * 1024);
    let refused = import_csv(&app, Some(&app.admin_token), &p, over_upload_limit, None).await;
    assert_eq!(refused.status, 413);
    assert_eq!(refused.code(), Some("BAD_USER_INPUT"));

    let json_over_body_limit = import(&app, &app.admin_token, &p, vec![account("J-1"); 20]).await;
    assert_eq!(json_over_body_limit.status, 413);
}
