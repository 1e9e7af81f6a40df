//! Every list argument has a maximum; past it the answer is BAD_USER_INPUT, and a list
//! at it is one bind parameter, not one per value.

use entity::api_token::Role;
use serde_json::{Value, json};

use crate::fixtures;
use crate::helpers::{Answer, TestApp, spawn_app, spawn_app_after, token};
use crate::schema_sweep::{Probe, Schema, sweep};

/// `validate::MAX_LIST`, as the README documents it.
const MAX_LIST: usize = 100;

/// `count` values taken in turn from `values`.
fn cycle(values: &[&str], count: usize) -> Value {
    json!(values.iter().cycle().take(count).collect::<Vec<_>>())
}

async fn filtered(
    app: &TestApp,
    field: &str,
    filter_type: &str,
    filter: Value,
) -> crate::helpers::Answer {
    app.admin(
        &format!(
            "query($filter: {filter_type}) {{ {field}(filter: $filter, first: 10) {{ edges {{ node {{ id }} }} }} }}"
        ),
        json!({ "filter": filter }),
    )
    .await
}

#[tokio::test]
async fn a_filter_list_past_its_maximum_is_bad_user_input() {
    let app = spawn_app().await;
    for count in [MAX_LIST + 1, 100_000] {
        let answer = filtered(
            &app,
            "agencies",
            "AgenciesFilter",
            json!({ "status": cycle(&["ACTIVE"], count) }),
        )
        .await;
        assert_eq!(
            answer.code(),
            Some("BAD_USER_INPUT"),
            "{count}: {}",
            answer.body
        );
        assert_eq!(
            answer.body["errors"][0]["extensions"]["field"],
            "filter.status"
        );
    }
}

#[tokio::test]
async fn filter_lists_at_their_maximum_work() {
    let app = spawn_app().await;
    fixtures::book(&app.db).await;
    let agencies = filtered(
        &app,
        "agencies",
        "AgenciesFilter",
        json!({ "status": cycle(&["ONBOARDING", "ACTIVE", "PROBATION"], MAX_LIST) }),
    )
    .await;
    assert_eq!(
        agencies.data()["agencies"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let placements = filtered(
        &app,
        "placements",
        "PlacementsFilter",
        json!({ "status": cycle(&["ACTIVE", "RECALLED"], MAX_LIST) }),
    )
    .await;
    assert_eq!(
        placements.data()["placements"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let cases = [
        (
            "complianceIncidents",
            "ComplianceIncidentsFilter",
            json!({ "status": cycle(&["OPEN", "ACKNOWLEDGED"], MAX_LIST),
                    "severity": cycle(&["LOW", "HIGH"], MAX_LIST) }),
        ),
        (
            "webhookDeliveries",
            "WebhookDeliveriesFilter",
            json!({ "status": cycle(&["PENDING", "DEAD"], MAX_LIST) }),
        ),
        (
            "jobRuns",
            "JobRunsFilter",
            json!({ "status": cycle(&["RUNNING", "FAILED"], MAX_LIST) }),
        ),
    ];
    for (field, filter_type, filter) in cases {
        let answer = filtered(&app, field, filter_type, filter.clone()).await;
        assert!(answer.data()[field]["edges"].is_array(), "{field}");
        let over: Value = filter
            .as_object()
            .unwrap()
            .iter()
            .map(|(key, values)| {
                let mut longer = values.as_array().unwrap().clone();
                longer.push(longer[0].clone());
                (key.clone(), Value::Array(longer))
            })
            .collect::<serde_json::Map<_, _>>()
            .into();
        let answer = filtered(&app, field, filter_type, over).await;
        assert_eq!(
            answer.code(),
            Some("BAD_USER_INPUT"),
            "{field}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn an_agency_takes_at_most_the_maximum_of_regions() {
    let app = spawn_app().await;
    let regions: Vec<String> = (0..=MAX_LIST).map(|n| format!("US-{n}")).collect();
    let answer = app
        .admin(
            "mutation($input: CreateAgencyInput!) { createAgency(input: $input) { id regions } }",
            json!({ "input": {
                "code": "MANY", "legalName": "Many Regions Ltd", "kindsOfWork": ["EARLY_STAGE"],
                "channels": ["CALL"], "regions": regions, "capacity": {},
                "remittanceMode": "GROSS",
            } }),
        )
        .await;
    assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{}", answer.body);
    assert_eq!(answer.body["errors"][0]["extensions"]["field"], "regions");
}

/// Longer than the longest maximum (`recallPlacements` ids: 10,000).
const PAST_EVERY_MAXIMUM: usize = 10_001;

/// Each list PAST_EVERY_MAXIMUM long.
struct Long;

impl Probe for Long {
    fn is_position(&self, type_ref: &Value) -> bool {
        let type_ref = match type_ref["kind"].as_str() {
            Some("NON_NULL") => &type_ref["ofType"],
            _ => type_ref,
        };
        type_ref["kind"] == "LIST"
    }

    fn hostile(&self, schema: &Schema, name: &str, type_ref: &Value) -> Value {
        let list = match type_ref["kind"].as_str() {
            Some("NON_NULL") => &type_ref["ofType"],
            _ => type_ref,
        };
        let element = schema.value(self, name, &list["ofType"], None);
        Value::Array(vec![element; PAST_EVERY_MAXIMUM])
    }

    /// Refused: BAD_USER_INPUT, or in a batch the item REJECTED (a row's own list).
    fn wrong(&self, field: &str, _position: &[String], answer: &Answer) -> Option<String> {
        let refused =
            answer.code() == Some("BAD_USER_INPUT") || answer.body["data"][field]["rejected"] == 1;
        (!refused).then(|| format!("{:?}", answer.code()))
    }
}

#[tokio::test]
async fn every_list_argument_refuses_a_list_past_its_maximum() {
    let app = spawn_app_after(async |_, db| {
        fixtures::book(db).await;
    })
    .await;
    let agency = token(&app.db, Role::Agency, Some(1)).await;
    let schema = Schema::load(&app).await;
    // A position is refused if either caller gets BAD_USER_INPUT there (the other may
    // not be allowed the operation at all).
    let as_agency = sweep(&app, &schema, &Long, &agency).await;
    let as_admin = sweep(&app, &schema, &Long, &app.admin_token).await;
    let wrong: Vec<String> = as_agency
        .iter()
        .filter(|(position, _)| as_admin.iter().any(|(p, _)| p == position))
        .map(|(position, why)| format!("{position}: {why}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
