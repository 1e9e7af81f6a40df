//! NUL bytes (`\u0000`) in any string are refused in validation, the same on both
//! stores: PostgreSQL cannot store them in text and would answer INTERNAL.

use entity::api_token::Role;
use serde_json::{Value, json};

use crate::fixtures;
use crate::helpers::{Answer, spawn_app, spawn_app_after, token};
use crate::reporting::{self, REPORT_ACTIVITIES, REPORT_PAYMENTS, held, utc};
use crate::schema_sweep::{Probe, Schema, sweep};

const NUL: &str = "bad\u{0}value";

#[tokio::test]
async fn a_portfolio_name_with_a_nul_is_a_field_error() {
    let app = spawn_app().await;
    let answer = app
        .admin(
            "mutation($input: CreatePortfolioInput!) { createPortfolio(input: $input) { id } }",
            json!({ "input": { "code": "NULS", "name": NUL, "currency": "USD" } }),
        )
        .await;
    assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{}", answer.body);
    assert_eq!(answer.body["errors"][0]["extensions"]["field"], "name");
}

/// An unanswered call at `hour`:00 UTC on 2026-06-02, with an optional note.
fn call(external_id: &str, account_id: i64, hour: u32, note: Option<&str>) -> Value {
    let mut item = reporting::call(
        external_id,
        account_id,
        &utc(2026, 6, 2, hour, 0).to_rfc3339(),
        "NO_ANSWER",
    );
    item["note"] = json!(note);
    item
}

#[tokio::test]
async fn a_nul_rejects_only_its_own_batch_item() {
    let app = spawn_app().await;
    let held = held(
        &app,
        "NULA",
        "US-TX",
        "America/Chicago",
        utc(2026, 6, 1, 0, 0),
    )
    .await;
    let id = held.account.id;
    let answer = app
        .gql(
            Some(&held.token),
            REPORT_ACTIVITIES,
            json!({ "activities": [
                call("ok-1", id, 15, Some("fine")),
                call(NUL, id, 16, None),
                call("ok-2", id, 17, Some(NUL)),
            ] }),
        )
        .await;
    let report = &answer.data()["reportActivities"];
    assert_eq!(report["accepted"], 1, "{report}");
    assert_eq!(report["rejected"], 2, "{report}");
    let items = report["items"].as_array().unwrap();
    assert_eq!(items[0]["status"], "ACCEPTED");
    for (item, field) in [(&items[1], "externalId"), (&items[2], "note")] {
        assert_eq!(item["status"], "REJECTED", "{item}");
        assert_eq!(item["code"], "INVALID_FIELD", "{item}");
        assert_eq!(item["field"], field, "{item}");
    }

    let payment = |external_id: &str, reference: Option<&str>| {
        json!({
            "externalId": external_id,
            "accountId": id.to_string(),
            "amount": "10.00",
            "currency": "USD",
            "paidAt": "2026-06-02T15:00:00Z",
            "method": "CARD",
            "paidTo": "AGENCY",
            "agencyReference": reference,
        })
    };
    let answer = app
        .gql(
            Some(&held.token),
            REPORT_PAYMENTS,
            json!({ "payments": [payment("pay-1", None), payment(NUL, None), payment("pay-2", Some(NUL))] }),
        )
        .await;
    let report = &answer.data()["reportPayments"];
    assert_eq!(report["accepted"], 1, "{report}");
    assert_eq!(report["rejected"], 2, "{report}");
    let items = report["items"].as_array().unwrap();
    for (item, field) in [(&items[1], "externalId"), (&items[2], "agencyReference")] {
        assert_eq!(item["code"], "INVALID_FIELD", "{item}");
        assert_eq!(item["field"], field, "{item}");
    }
}

#[tokio::test]
async fn a_nul_in_a_csv_cell_is_a_row_error_and_the_file_goes_on() {
    let app = spawn_app().await;
    let portfolio = fixtures::portfolio(&app.db, "CSVNUL").await;
    let header = "lender_reference,debtor_name,region,time_zone,product,principal,outstanding,currency,delinquency_start";
    let row = |reference: &str, name: &str| {
        format!("{reference},{name},US-TX,America/Chicago,CARD,100.00,90.00,USD,2026-01-05")
    };
    let file = [
        header.to_owned(),
        row("NUL-1", "Ada Lovelace"),
        row("NUL-2", NUL),
        row(NUL, "Alan Turing"),
        row("NUL-4", "Grace Hopper"),
    ]
    .join("\n");
    let answer = app
        .upload(
            Some(&app.admin_token),
            "mutation($portfolioId: ID!, $file: Upload!) {
               importAccountsCsv(portfolioId: $portfolioId, file: $file, atomic: false) {
                 created rejected errors { row field message }
               } }",
            json!({ "portfolioId": portfolio.id.to_string() }),
            file.into_bytes(),
        )
        .await;
    let report = &answer.data()["importAccountsCsv"];
    assert_eq!(report["created"], 2, "{report}");
    assert_eq!(report["rejected"], 2, "{report}");
    let errors: Vec<_> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_i64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        errors,
        [(2, "debtor_name"), (3, "lender_reference")],
        "{report}"
    );
}

/// Whether `named` (an error's `field`: `input.debtor.name`, `phones[0]`) is the input
/// field `name`.
fn names(named: &Value, name: &str) -> bool {
    named
        .as_str()
        .and_then(|named| named.rsplit('.').next())
        .is_some_and(|last| last.split('[').next() == Some(name))
}

/// A NUL in each String; right: BAD_USER_INPUT naming the field, or in a batch a REJECTED
/// item naming it.
struct Nul;

impl Probe for Nul {
    fn is_position(&self, type_ref: &Value) -> bool {
        Schema::named(type_ref)["name"] == "String"
    }

    fn hostile(&self, schema: &Schema, name: &str, type_ref: &Value) -> Value {
        match schema.value(self, name, type_ref, None) {
            Value::Array(values) => Value::Array(values.iter().map(|_| json!(NUL)).collect()),
            _ => json!(NUL),
        }
    }

    fn wrong(&self, field: &str, position: &[String], answer: &Answer) -> Option<String> {
        let name = position.last().unwrap();
        let errors = answer.body["errors"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let a_field_error = errors.iter().any(|e| {
            e["extensions"]["code"] == "BAD_USER_INPUT" && names(&e["extensions"]["field"], name)
        });
        let a_rejected_item = answer.body["data"][field]
            .as_object()
            .into_iter()
            .flat_map(|report| report.values())
            .filter_map(Value::as_array)
            .flatten()
            .any(|entry| names(&entry["field"], name));
        (!a_field_error && !a_rejected_item).then(|| match errors.first() {
            Some(error) => format!(
                "{} on {}",
                error["extensions"]["code"], error["extensions"]["field"]
            ),
            None => "the NUL was taken".into(),
        })
    }
}

#[tokio::test]
async fn every_string_argument_refuses_a_nul_and_none_answers_internal() {
    let app = spawn_app_after(async |_, db| {
        fixtures::book(db).await;
    })
    .await;
    let agency = token(&app.db, Role::Agency, Some(1)).await;
    let schema = Schema::load(&app).await;
    // Right if either caller is refused for the NUL (the other may not be allowed the
    // operation at all).
    let as_agency = sweep(&app, &schema, &Nul, &agency).await;
    let as_admin = sweep(&app, &schema, &Nul, &app.admin_token).await;
    let wrong: Vec<String> = as_agency
        .iter()
        .filter_map(|(position, why)| {
            let (_, admin_why) = as_admin.iter().find(|(p, _)| p == position)?;
            Some(format!("{position}: agency {why} / admin {admin_why}"))
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{}\n{} wrong",
        wrong.join("\n"),
        wrong.len()
    );
}
