//! `/metrics`: every metric and label exactly as the README documents them, and a business
//! metric for each workflow, read after doing the thing. The recorder is the process's,
//! shared with the tests running beside these, so counts are compared before and after.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::fixtures;
use crate::helpers::{TestApp, spawn_app};
use crate::reporting::{REPORT_PAYMENTS, call, held, report, utc};

/// One sample of a scrape: the series name, its labels and its value.
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

struct Scrape(Vec<Sample>);

async fn scrape(app: &TestApp) -> Scrape {
    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    Scrape(
        text.lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .map(parse_sample)
            .collect(),
    )
}

/// `name{a="x",b="y"} 1.5` (label values here hold no quotes or commas).
fn parse_sample(line: &str) -> Sample {
    let (series, value) = line.rsplit_once(' ').expect("a value");
    let (name, labels) = match series.split_once('{') {
        Some((name, labels)) => (name, labels.trim_end_matches('}')),
        None => (series, ""),
    };
    let labels = labels
        .split("\",")
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once("=\"").expect("key=\"value\"");
            (key.to_owned(), value.trim_end_matches('"').to_owned())
        })
        .collect();
    Sample {
        name: name.to_owned(),
        labels,
        value: value.parse().expect("a number"),
    }
}

impl Scrape {
    /// The sum of the series of `name` that carry all of `labels`.
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.0
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
            .sum()
    }

    /// Metric name → its label names, histograms under their own name without `le`.
    fn families(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut families: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for sample in &self.0 {
            let name = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| sample.name.strip_suffix(suffix))
                .unwrap_or(&sample.name);
            families
                .entry(name.to_owned())
                .or_default()
                .extend(sample.labels.keys().filter(|label| *label != "le").cloned());
        }
        families
    }
}

/// The README's metrics table: metric name → label names.
fn documented() -> BTreeMap<String, BTreeSet<String>> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("### Metrics")
        .nth(1)
        .expect("the README has a Metrics section");
    let ticked = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    section
        .lines()
        .skip_while(|line| !line.starts_with("| metric"))
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(|row| {
            let cells: Vec<&str> = row.split('|').collect();
            let name = ticked(cells[1]).remove(0);
            (name, ticked(cells[2]).into_iter().collect())
        })
        .collect()
}

#[tokio::test]
async fn every_metric_and_label_is_the_one_the_readme_documents() {
    let app = spawn_app().await;
    app.admin("query LabelProbe { me { role } }", json!({}))
        .await
        .data();
    app.gql(None, "query LabelProbe { me { role } }", json!({}))
        .await;
    app.admin(
        "mutation { runJob(name: \"idle_watch\") { status } }",
        json!({}),
    )
    .await
    .data();
    let exposed = scrape(&app).await.families();
    let documented = documented();
    for (name, labels) in &exposed {
        assert_eq!(
            documented.get(name),
            Some(labels),
            "/metrics has {name} with labels {labels:?}; the README documents {:?}",
            documented.get(name)
        );
    }
    for name in [
        "http_requests_total",
        "http_request_duration_seconds",
        "graphql_requests_total",
        "graphql_request_duration_seconds",
        "graphql_errors_total",
        "job_runs_total",
        "job_run_duration_seconds",
    ] {
        assert!(exposed.contains_key(name), "{name} is not exposed");
    }
}

const STRATEGY: &str = "
mutation($input: AllocationStrategyInput!) {
  createAllocationStrategy(code: \"MX-M1\", input: $input) { id }
}";

#[tokio::test]
async fn business_metrics_count_what_the_workflows_commit() {
    let app = spawn_app().await;
    let before = scrape(&app).await;

    // An allocation run places two accounts; a recall ends both.
    let agency = fixtures::qualified_agency(&app.db, "MXA", "US-TX", &[]).await;
    let portfolio = fixtures::portfolio(&app.db, "PMX").await;
    for reference in ["MX-1", "MX-2"] {
        fixtures::delinquent_account(&app.db, portfolio.id, reference, "US-TX", 10).await;
    }
    let strategy = app
        .admin(
            STRATEGY,
            json!({ "input": {
                "name": "metrics", "kindOfWork": "EARLY_STAGE", "level": "PRIMARY",
                "segment": { "dpdBuckets": ["M1"], "regions": ["US-TX"] }, "splitMethod": "EQUAL",
            } }),
        )
        .await;
    let strategy_id = strategy.data()["createAllocationStrategy"]["id"].clone();
    let run = app
        .admin(
            "mutation($s: ID!, $p: ID!) { runAllocation(strategyId: $s, portfolioId: $p) { placedCount } }",
            json!({ "s": strategy_id, "p": portfolio.id.to_string() }),
        )
        .await;
    assert_eq!(run.data()["runAllocation"]["placedCount"], 2);
    app.admin(
        "mutation($input: RecallPlacementsInput!) { recallPlacements(input: $input) { count } }",
        json!({ "input": { "agencyId": agency.id.to_string(), "reason": "performance" } }),
    )
    .await
    .data();

    // An agency reports a good call, a call after hours and a malformed item, then pays
    // the account off, which ends its placement as PAID.
    let held = held(
        &app,
        "MXB",
        "US-TX",
        "America/Chicago",
        utc(2026, 6, 1, 0, 0),
    )
    .await;
    let id = held.account.id;
    let mut malformed = call("a3", id, "2026-06-10T11:00:00-05:00", "NO_ANSWER");
    malformed["channel"] = Value::Null;
    let answer = report(
        &app,
        &held.token,
        json!([
            call("a1", id, "2026-06-10T10:00:00-05:00", "NO_ANSWER"),
            call("a2", id, "2026-06-10T21:30:00-05:00", "NO_ANSWER"),
            malformed,
        ]),
    )
    .await;
    let codes: Vec<&str> = answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["OK", "COMPLIANCE_BREACH", "INVALID_FIELD"]);
    let incident = &answer["items"][1]["incidents"][0];
    let (rule, severity) = (
        incident["rule"].as_str().unwrap(),
        incident["severity"].as_str().unwrap(),
    );
    app.gql(
        Some(&held.token),
        REPORT_PAYMENTS,
        json!({ "payments": [{
            "externalId": "p1", "accountId": id.to_string(), "amount": "1000.00",
            "currency": "USD", "paidAt": "2026-06-11T12:00:00Z", "method": "CARD", "paidTo": "AGENCY",
        }] }),
    )
    .await
    .data();

    // The idle watch runs; the webhook dispatch finds the events of agencies without an
    // endpoint.
    for job in ["idle_watch", "webhook_dispatch"] {
        let ran = app
            .admin(
                "mutation($name: String!) { runJob(name: $name) { status } }",
                json!({ "name": job }),
            )
            .await;
        assert_eq!(ran.data()["runJob"]["status"], "SUCCEEDED");
    }

    let after = scrape(&app).await;
    let grew_by = |at_least: f64, name: &str, labels: &[(&str, &str)]| {
        let grown = after.sum(name, labels) - before.sum(name, labels);
        assert!(
            grown >= at_least,
            "{name}{labels:?} grew by {grown}, not at least {at_least}"
        );
    };
    grew_by(2.0, "placements_created_total", &[]);
    grew_by(2.0, "placements_ended_total", &[("reason", "RECALLED")]);
    grew_by(1.0, "placements_ended_total", &[("reason", "PAID")]);
    for (status, code) in [
        ("ACCEPTED", "OK"),
        ("ACCEPTED", "COMPLIANCE_BREACH"),
        ("REJECTED", "INVALID_FIELD"),
    ] {
        let labels = [("kind", "activity"), ("status", status), ("code", code)];
        grew_by(1.0, "reported_items_total", &labels);
    }
    let paid = [("kind", "payment"), ("status", "ACCEPTED"), ("code", "OK")];
    grew_by(1.0, "reported_items_total", &paid);
    let raised = [("rule", rule), ("severity", severity)];
    grew_by(1.0, "incidents_raised_total", &raised);
    for job in ["idle_watch", "webhook_dispatch"] {
        let labels = [("job", job), ("outcome", "SUCCEEDED")];
        grew_by(1.0, "job_runs_total", &labels);
        grew_by(1.0, "job_run_duration_seconds_count", &labels);
    }
    grew_by(
        1.0,
        "webhook_deliveries_total",
        &[("outcome", "NO_ENDPOINT")],
    );
}
