//! NUL bytes (`\u0000`) in any string are refused in validation, the same on both
//! stores: PostgreSQL cannot store them in text and would answer INTERNAL.

use std::collections::HashMap;

use entity::api_token::Role;
use serde_json::{Map, Value, json};

use crate::fixtures;
use crate::helpers::{TestApp, spawn_app, spawn_app_after, token};
use crate::reporting::{self, REPORT_ACTIVITIES, REPORT_PAYMENTS, held, utc};

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

/// The introspection the sweep needs: each type's fields, arguments and input fields.
const TYPES: &str = r#"
query {
  __schema {
    queryType { name } mutationType { name }
    types {
      kind name
      fields { name args { name defaultValue type { ...TypeRef } } type { ...TypeRef } }
      inputFields { name defaultValue type { ...TypeRef } }
      enumValues { name }
    }
  }
}
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
}
"#;

struct Schema {
    types: HashMap<String, Value>,
}

/// Where the NUL goes: the names from an argument down through input objects to a
/// String.
type Position = Vec<String>;

impl Schema {
    fn named(type_ref: &Value) -> &Value {
        match type_ref["kind"].as_str() {
            Some("NON_NULL" | "LIST") => Self::named(&type_ref["ofType"]),
            _ => type_ref,
        }
    }

    fn is_required(input: &Value) -> bool {
        input["type"]["kind"] == "NON_NULL" && input["defaultValue"].is_null()
    }

    fn inputs_of(&self, type_ref: &Value) -> Vec<Value> {
        let name = Self::named(type_ref)["name"].as_str().unwrap_or_default();
        self.types[name]["inputFields"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Every String reachable from `input`, as paths below it.
    fn positions(&self, input: &Value, depth: usize) -> Vec<Position> {
        let name = input["name"].as_str().unwrap().to_owned();
        let named = Self::named(&input["type"]);
        match (named["kind"].as_str(), named["name"].as_str()) {
            (Some("SCALAR"), Some("String")) => vec![vec![name]],
            (Some("INPUT_OBJECT"), _) if depth < 4 => self
                .inputs_of(&input["type"])
                .iter()
                .flat_map(|field| self.positions(field, depth + 1))
                .map(|mut below| {
                    below.insert(0, name.clone());
                    below
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A value of `type_ref` that passes the usual checks, with the NUL at `target`
    /// (a path below it) when there is one.
    fn value(&self, name: &str, type_ref: &Value, target: Option<&[String]>) -> Value {
        match type_ref["kind"].as_str() {
            Some("NON_NULL") => self.value(name, &type_ref["ofType"], target),
            Some("LIST") => json!([self.value(name, &type_ref["ofType"], target)]),
            Some("ENUM") => {
                let values = &self.types[type_ref["name"].as_str().unwrap()]["enumValues"];
                values[0]["name"].clone()
            }
            Some("INPUT_OBJECT") => {
                let mut object = Map::new();
                for field in self.inputs_of(type_ref) {
                    let field_name = field["name"].as_str().unwrap();
                    let below = target
                        .filter(|t| t.first().map(String::as_str) == Some(field_name))
                        .map(|t| &t[1..]);
                    if below.is_some() || Self::is_required(&field) {
                        object.insert(
                            field_name.to_owned(),
                            self.value(field_name, &field["type"], below),
                        );
                    }
                }
                Value::Object(object)
            }
            _ => match (type_ref["name"].as_str().unwrap(), target) {
                ("String", Some(_)) => json!(NUL),
                ("String", None) => json!(plausible(name)),
                ("ID", _) => json!("1"),
                ("Int", _) => json!(1),
                ("Float", _) => json!(1.0),
                ("Boolean", _) => json!(false),
                ("Decimal", _) => json!("1.00"),
                ("NaiveDate", _) => json!("2026-01-05"),
                ("DateTime", _) => json!("2026-06-02T15:00:00Z"),
                ("JSON", _) => json!({}),
                (other, _) => panic!("no sample value for the scalar {other}"),
            },
        }
    }
}

/// A string that passes the check of a field so named, so the sweep reaches the field
/// that holds the NUL.
fn plausible(name: &str) -> &'static str {
    match name {
        "currency" => "USD",
        "region" | "regions" => "US-TX",
        "code" | "qualificationType" | "rule" | "segment" => "SWEEP",
        "timeZone" => "America/Chicago",
        "webhookUrl" | "documentUrl" => "https://hooks.agency.example/sweep",
        "webhookSecret" => "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "documentSha256" => "0000000000000000000000000000000000000000000000000000000000000000",
        "email" => "sweep@agency.example",
        "phone" | "phones" => "+15125550100",
        "cron" => "0 0 3 * * *",
        _ => "sweep",
    }
}

/// The GraphQL spelling of a type reference, for a variable declaration.
fn spelling(type_ref: &Value) -> String {
    match type_ref["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", spelling(&type_ref["ofType"])),
        Some("LIST") => format!("[{}]", spelling(&type_ref["ofType"])),
        _ => type_ref["name"].as_str().unwrap().to_owned(),
    }
}

/// One request per String position of every argument of every root field: the NUL
/// there, plausible values in the required rest. Lists the answers that are INTERNAL,
/// and those that took the NUL: no error, and for a batch no item REJECTED.
async fn sweep(
    app: &TestApp,
    schema: &Schema,
    root: &str,
    keyword: &str,
    token: &str,
) -> Vec<String> {
    let mut wrong = Vec::new();
    for field in schema.types[root]["fields"].as_array().unwrap() {
        let name = field["name"].as_str().unwrap();
        let args = field["args"].as_array().unwrap();
        let takes_upload = args
            .iter()
            .any(|a| Schema::named(&a["type"])["name"] == "Upload");
        if takes_upload {
            continue;
        }
        let returns = Schema::named(&field["type"]);
        let is_batch = schema.types[returns["name"].as_str().unwrap()]["fields"]
            .as_array()
            .is_some_and(|fields| fields.iter().any(|f| f["name"] == "rejected"));
        let selection = match (returns["kind"].as_str(), is_batch) {
            (_, true) => " { rejected }",
            (Some("OBJECT" | "INTERFACE" | "UNION"), _) => " { __typename }",
            _ => "",
        };
        for arg in args {
            for position in schema.positions(arg, 0) {
                let mut declarations = Vec::new();
                let mut passed = Vec::new();
                let mut variables = Map::new();
                for other in args {
                    let other_name = other["name"].as_str().unwrap();
                    let target = (other_name == position[0]).then(|| &position[1..]);
                    if target.is_none() && !Schema::is_required(other) {
                        continue;
                    }
                    declarations.push(format!("${other_name}: {}", spelling(&other["type"])));
                    passed.push(format!("{other_name}: ${other_name}"));
                    variables.insert(
                        other_name.to_owned(),
                        schema.value(other_name, &other["type"], target),
                    );
                }
                let query = format!(
                    "{keyword}({}) {{ {name}({}){selection} }}",
                    declarations.join(", "),
                    passed.join(", ")
                );
                let answer = app.gql(Some(token), &query, Value::Object(variables)).await;
                let errors = answer.body["errors"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let internal = errors.iter().any(|e| e["extensions"]["code"] == "INTERNAL")
                    || answer.status.is_server_error();
                let taken = errors.is_empty() && answer.body["data"][name]["rejected"] != 1;
                if internal || taken {
                    wrong.push(format!("{name}.{}: {}", position.join("."), answer.body));
                }
            }
        }
    }
    wrong
}

#[tokio::test]
async fn every_string_argument_refuses_a_nul_and_none_answers_internal() {
    let app = spawn_app_after(async |_, db| {
        fixtures::book(db).await;
    })
    .await;
    let agency = token(&app.db, Role::Agency, Some(1)).await;
    let introspection = app.admin(TYPES, json!({})).await;
    let schema = &introspection.data()["__schema"];
    let schema = Schema {
        types: schema["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone()))
            .collect(),
    };
    let mut wrong = Vec::new();
    for token in [&agency, &app.admin_token] {
        wrong.extend(sweep(&app, &schema, "Query", "query", token).await);
        wrong.extend(sweep(&app, &schema, "Mutation", "mutation", token).await);
    }
    assert!(
        wrong.is_empty(),
        "INTERNAL, or the NUL taken:\n{}",
        wrong.join("\n")
    );
}
