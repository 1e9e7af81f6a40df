//! Audit: every state change, filtered by person, entity, action and time, each shown as
//! the fields it changed, before and after. And the scheduler's jobs and their runs.

use axum::Form;
use axum::Router;
use axum::extract::Query;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::NaiveDate;
use graphql_client::GraphQLQuery;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use crate::console::api::scalars::*;
use crate::console::components::{Cell, Table, Tone, general_errors, table_tools, wants_csv};
use crate::console::forms::filled;
use crate::console::layout;
use crate::console::sections::Section;
use crate::console::viewer::{Role, Signed};
use crate::http::AppState;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/audit-events.graphql",
    response_derives = "Debug"
)]
pub struct AuditEvents;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/jobs.graphql",
    response_derives = "Debug"
)]
pub struct Jobs;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/job-runs.graphql",
    response_derives = "Debug"
)]
pub struct JobRuns;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/run-job.graphql",
    response_derives = "Debug"
)]
pub struct RunJob;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(Section::Audit.path(), get(audit))
        .route("/jobs", get(jobs))
        .route("/jobs/run", post(run_job))
}

#[derive(Deserialize)]
struct AuditQuery {
    actor: Option<String>,
    #[serde(rename = "entityType")]
    entity_type: Option<String>,
    #[serde(rename = "entityId")]
    entity_id: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<String>,
    format: Option<String>,
}

/// A changed field: its path, and its value before and after (absent: `None`).
#[derive(Debug, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The leaves of a JSON value by dotted path (arrays and scalars are leaves).
fn leaves(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                leaves(&path, value, out);
            }
        }
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

/// What changed between `before` and `after`, field by field, in path order.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<Change> {
    let collect = |value: Option<&Value>| {
        let mut out = Vec::new();
        if let Some(value) = value.filter(|v| !v.is_null()) {
            leaves("", value, &mut out);
        }
        out.into_iter()
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let (before, after) = (collect(before), collect(after));
    let paths: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    paths
        .into_iter()
        .filter(|p| before.get(*p) != after.get(*p))
        .map(|p| Change {
            path: p.clone(),
            before: before.get(p).cloned(),
            after: after.get(p).cloned(),
        })
        .collect()
}

fn diff_html(changes: &[Change]) -> Markup {
    html! {
        @if changes.is_empty() { span.muted { "—" } }
        @else {
            table.diff {
                tbody {
                    @for c in changes {
                        tr {
                            th scope="row" { (c.path) }
                            td { @if let Some(b) = &c.before { del { (b) } } }
                            td { @if let Some(a) = &c.after { ins { (a) } } }
                        }
                    }
                }
            }
        }
    }
}

fn changes_text(changes: &[Change]) -> String {
    changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} → {}",
                c.path,
                c.before.as_deref().unwrap_or("∅"),
                c.after.as_deref().unwrap_or("∅")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The start of a day typed in the form, in the viewer's zone.
fn day_start(signed: &Signed, day: &Option<String>, days_after: i64) -> Option<DateTime> {
    let day = NaiveDate::parse_from_str(filled(day)?.as_str(), "%Y-%m-%d").ok()?;
    let day = day + chrono::Duration::days(days_after);
    day.and_hms_opt(0, 0, 0)?
        .and_local_timezone(signed.tz)
        .earliest()
        .map(|at| at.with_timezone(&chrono::Utc))
}

async fn audit(signed: Signed, Query(query): Query<AuditQuery>) -> Response {
    if !signed.may(Section::Audit) {
        return layout::not_for_role(&signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let variables = audit_events::Variables {
        filter: Some(audit_events::AuditEventsFilter {
            entity_type: filled(&query.entity_type),
            entity_id: filled(&query.entity_id),
            actor: filled(&query.actor),
            action: filled(&query.action),
            from: day_start(&signed, &query.from, 0),
            to: day_start(&signed, &query.to, 1),
        }),
        first: Some(50),
        after: query.after.clone(),
    };
    let data = match signed.api.run::<AuditEvents>(variables).await {
        Ok(data) => data.audit_events,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    let mut table = Table::new("audit-log")
        .column(tr.t("audit-when"))
        .column(tr.t("audit-who"))
        .column(tr.t("audit-action"))
        .column(tr.t("audit-entity"))
        .column(tr.t("audit-changes"));
    for e in data.edges.iter().map(|e| &e.node) {
        let changes = diff(e.before.as_ref(), e.after.as_ref());
        let mut cell = Cell::text(changes_text(&changes));
        cell.action = Some(diff_html(&changes));
        table.row(vec![
            Cell::text(format.datetime(e.occurred_at)),
            Cell::text(format!("{} ({:?})", e.actor, e.actor_role)),
            Cell::text(&e.action),
            Cell::text(format!("{} {}", e.entity_type, e.entity_id)),
            cell,
        ]);
    }
    if wants_csv(query.format.as_deref()) {
        return table.csv();
    }
    let input = |name: &str, value: &Option<String>, kind: &str, label: &str| {
        html! { label { (tr.t(label)) input type=(kind) name=(name) value=[value.as_deref()] maxlength="200"; } }
    };
    let body = html! {
        form.inline method="get" action=(Section::Audit.path()) role="search" {
            (input("actor", &query.actor, "text", "audit-who"))
            (input("entityType", &query.entity_type, "text", "audit-entity-type"))
            (input("entityId", &query.entity_id, "text", "audit-entity-id"))
            (input("action", &query.action, "text", "audit-action"))
            (input("from", &query.from, "date", "audit-from"))
            (input("to", &query.to, "date", "audit-to"))
            button.secondary type="submit" { (tr.t("accounts-filter")) }
        }
        (table_tools(tr, &signed.path, data.page_info.has_next_page, data.page_info.end_cursor.as_deref()))
        (table.html(html! { (tr.t("audit-empty")) }))
    };
    layout::page(&signed, &tr.t("audit-title"), body)
}

#[derive(Deserialize)]
struct JobsQuery {
    status: Option<String>,
}

async fn jobs(signed: Signed, Query(query): Query<JobsQuery>) -> Response {
    jobs_page(&signed, query.status.as_deref() == Some("FAILED"), None).await
}

async fn jobs_page(signed: &Signed, failed_only: bool, outcome: Option<Markup>) -> Response {
    if !signed.may(Section::Overview) {
        return layout::not_for_role(signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let jobs = match signed.api.run::<Jobs>(jobs::Variables).await {
        Ok(data) => data.jobs,
        Err(errors) => return layout::api_error(signed, &errors),
    };
    let runs = match signed
        .api
        .run::<JobRuns>(job_runs::Variables {
            filter: Some(job_runs::JobRunsFilter {
                job: None,
                status: failed_only.then(|| vec![job_runs::JobRunStatus::FAILED]),
            }),
            first: Some(50),
            after: None,
        })
        .await
    {
        Ok(data) => data.job_runs.edges,
        Err(errors) => return layout::api_error(signed, &errors),
    };
    let may_run = matches!(signed.role, Role::ADMIN | Role::VENDOR_MANAGER);
    let mut table = Table::new("jobs")
        .column(tr.t("job-name"))
        .column(tr.t("job-schedule"))
        .column(tr.t("job-next"))
        .column(tr.t("job-actions"));
    for j in &jobs {
        table.row(vec![
            Cell::text(&j.name),
            if j.enabled {
                Cell::text(&j.cron)
            } else {
                Cell::badge(tr.t("job-disabled"), Tone::Warn)
            },
            Cell::text(
                j.next_run_at
                    .map(|at| format.datetime(at))
                    .unwrap_or_default(),
            ),
            if may_run {
                Cell::action(html! {
                    form.inline method="post" action="/jobs/run" {
                        input type="hidden" name="name" value=(j.name);
                        button.secondary type="submit" { (tr.t("job-run-now")) }
                    }
                })
            } else {
                Cell::text("")
            },
        ]);
    }
    let mut history = Table::new("job-runs")
        .column(tr.t("job-name"))
        .column(tr.t("job-started"))
        .column(tr.t("job-status"))
        .column(tr.t("job-outcome"));
    for r in runs.iter().map(|e| &e.node) {
        let status = format!("{:?}", r.status);
        let tone = match status.as_str() {
            "SUCCEEDED" => Tone::Good,
            "FAILED" => Tone::Bad,
            _ => Tone::Plain,
        };
        history.row(vec![
            Cell::text(&r.job),
            Cell::text(format.datetime(r.started_at)),
            Cell::badge(status, tone),
            Cell::text(r.error.clone().unwrap_or_else(|| {
                r.summary
                    .as_ref()
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            })),
        ]);
    }
    let body = html! {
        @if let Some(outcome) = outcome { (outcome) }
        (table.html(html! { (tr.t("jobs-empty")) }))
        h2 { (if failed_only { tr.t("job-runs-failed") } else { tr.t("job-runs") }) }
        nav.tabs aria-label=(tr.t("job-runs")) {
            a href="/jobs" aria-current=[(!failed_only).then_some("page")] { (tr.t("job-runs-all")) } " "
            a href="/jobs?status=FAILED" aria-current=[failed_only.then_some("page")] { (tr.t("job-runs-failed")) }
        }
        (history.html(html! { (tr.t("job-runs-empty")) }))
    };
    layout::page(signed, &tr.t("jobs-title"), body)
}

#[derive(Deserialize)]
struct RunForm {
    name: String,
}

async fn run_job(signed: Signed, Form(form): Form<RunForm>) -> Response {
    let tr = &signed.tr;
    let outcome = match signed
        .api
        .run::<RunJob>(run_job::Variables {
            name: form.name.clone(),
        })
        .await
    {
        Ok(data) => {
            let run = data.run_job;
            html! { p.notice role="status" { (tr.args("job-ran", &[("job", crate::i18n::arg(form.name.as_str())), ("status", crate::i18n::arg(format!("{:?}", run.status)))])) } }
        }
        Err(errors) => general_errors(Some(&errors), &[]),
    };
    jobs_page(&signed, false, Some(outcome)).await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_diff_names_each_changed_field_by_its_path() {
        let before = json!({ "status": "ACTIVE", "capacity": { "accounts": 100, "balance": "5.00" }, "same": 1 });
        let after = json!({ "status": "SUSPENDED", "capacity": { "accounts": 100, "balance": "9.00" }, "same": 1, "reason": "audit" });
        assert_eq!(
            diff(Some(&before), Some(&after)),
            vec![
                Change {
                    path: "capacity.balance".into(),
                    before: Some("5.00".into()),
                    after: Some("9.00".into())
                },
                Change {
                    path: "reason".into(),
                    before: None,
                    after: Some("audit".into())
                },
                Change {
                    path: "status".into(),
                    before: Some("ACTIVE".into()),
                    after: Some("SUSPENDED".into())
                },
            ]
        );
    }

    #[test]
    fn a_creation_shows_every_field_as_new() {
        let changes = diff(None, Some(&json!({ "code": "ACME" })));
        assert_eq!(
            changes,
            vec![Change {
                path: "code".into(),
                before: None,
                after: Some("ACME".into())
            }]
        );
        assert!(diff(Some(&Value::Null), None).is_empty());
    }
}
