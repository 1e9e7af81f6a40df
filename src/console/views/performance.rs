//! Performance and reassignment: the league table per segment and window, and the
//! reassignment decisions waiting out their grace period with the evidence (each figure
//! against its threshold), to approve now, hold or override with a reason; the review run
//! on demand.

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use graphql_client::GraphQLQuery;
use maud::{Markup, html};
use serde::Deserialize;

use crate::console::api::ApiErrors;
use crate::console::api::scalars::*;
use crate::console::components::{Cell, Table, Tone, badge, general_errors, wants_csv};
use crate::console::layout;
use crate::console::sections::Section;
use crate::console::viewer::{Role, Signed};
use crate::console::views::overview::{AgencyScorecards, agency_scorecards};
use crate::http::AppState;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/reassignment.graphql",
    response_derives = "Debug"
)]
pub struct ReassignmentRuns;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/reassignment.graphql",
    response_derives = "Debug"
)]
pub struct RunReassignment;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/reassignment.graphql",
    response_derives = "Debug"
)]
pub struct OverrideReassignment;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/reassignment.graphql",
    response_derives = "Debug"
)]
pub struct HoldReassignment;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/reassignment.graphql",
    response_derives = "Debug"
)]
pub struct ApproveReassignment;

const WINDOWS: [(&str, &str); 3] = [
    ("LAST_30_DAYS", "window-30"),
    ("LAST_90_DAYS", "window-90"),
    ("SINCE_PLACEMENT", "window-since-placement"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(Section::Performance.path(), get(league))
        .route("/performance/reassignment/run", post(review))
        .route("/performance/decisions/{id}", post(decide))
}

fn may_change(signed: &Signed) -> bool {
    matches!(signed.role, Role::ADMIN | Role::VENDOR_MANAGER)
}

#[derive(Deserialize)]
struct LeagueQuery {
    segment: Option<String>,
    window: Option<String>,
    format: Option<String>,
}

async fn league(signed: Signed, Query(query): Query<LeagueQuery>) -> Response {
    league_page(&signed, query, None).await
}

async fn league_page(signed: &Signed, query: LeagueQuery, outcome: Option<Markup>) -> Response {
    if !signed.may(Section::Performance) {
        return layout::not_for_role(signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let window = query
        .window
        .as_deref()
        .and_then(|w| WINDOWS.iter().find(|(v, _)| *v == w))
        .map_or("LAST_90_DAYS", |(v, _)| *v);
    let segment = query
        .segment
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let table = match signed
        .api
        .run::<AgencyScorecards>(agency_scorecards::Variables {
            as_of: None,
            segment: segment.clone(),
            window: serde_json::from_value(serde_json::Value::String(window.to_owned()))
                .unwrap_or(agency_scorecards::ScoreWindow::LAST_90_DAYS),
            currency: None,
        })
        .await
    {
        Ok(data) => data.agency_scorecards,
        Err(errors) => return layout::api_error(signed, &errors),
    };
    let rate = |r: Option<rust_decimal::Decimal>| {
        r.map(|r| format.percent(r))
            .unwrap_or_else(|| "—".to_owned())
    };
    let mut league = Table::new("league-table")
        .numeric_column(tr.t("league-rank"))
        .column(tr.t("allocation-agency"))
        .numeric_column(tr.t("league-score"))
        .numeric_column(tr.t("league-recovery"))
        .numeric_column(tr.t("league-contact"))
        .numeric_column(tr.t("league-ptp-kept"))
        .numeric_column(tr.t("league-complaints"))
        .numeric_column(tr.t("league-held"))
        .numeric_column(tr.t("league-collected"));
    for r in &table.rows {
        league.row(vec![
            Cell::number(r.rank.map(|n| n.to_string()).unwrap_or_default()),
            Cell::link(
                &r.agency.code,
                format!("{}/{}", Section::Agencies.path(), r.agency.id),
            ),
            Cell::number(r.score.map(|s| s.to_string()).unwrap_or_default()),
            Cell::number(rate(r.recovery_rate)),
            Cell::number(rate(r.contact_rate)),
            Cell::number(rate(r.ptp_kept_rate)),
            Cell::number(
                r.complaints_per1000
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
            ),
            Cell::number(format.count(r.accounts_held)),
            Cell::number(format.money(r.collected.amount, &r.collected.currency)),
        ]);
    }
    if wants_csv(query.format.as_deref()) {
        return league.csv();
    }
    let runs = match signed
        .api
        .run::<ReassignmentRuns>(reassignment_runs::Variables {
            first: Some(5),
            after: None,
        })
        .await
    {
        Ok(data) => data.reassignment_runs.edges,
        Err(errors) => return layout::api_error(signed, &errors),
    };
    let waiting: Vec<_> = runs
        .iter()
        .flat_map(|r| r.node.decisions.iter())
        .filter(|d| {
            matches!(
                format!("{:?}", d.status).as_str(),
                "PENDING" | "HELD" | "PROPOSED"
            )
        })
        .collect();
    // After a form posted elsewhere (a decision, a review) the page is the league's own.
    let league_path = if signed.path.starts_with(Section::Performance.path())
        && !signed.path.starts_with("/performance/")
    {
        signed.path.clone()
    } else {
        Section::Performance.path().to_owned()
    };
    let segment_path = |w: &str| match &segment {
        Some(s) => format!("{}?window={w}&segment={s}", Section::Performance.path()),
        None => format!("{}?window={w}", Section::Performance.path()),
    };
    let body = html! {
        @if let Some(outcome) = outcome { (outcome) }
        nav.tabs aria-label=(tr.t("league-window")) {
            @for (value, key) in WINDOWS {
                a href=(segment_path(value)) aria-current=[(window == value).then_some("page")] { (tr.t(key)) } " "
            }
        }
        form.inline method="get" action=(Section::Performance.path()) role="search" {
            input type="hidden" name="window" value=(window);
            label { (tr.t("league-segment")) input type="text" name="segment" value=[segment.as_deref()] maxlength="64" placeholder="*"; }
            button.secondary type="submit" { (tr.t("accounts-filter")) }
        }
        p.muted { (tr.args("overview-as-of", &[("day", crate::i18n::arg(table.as_of.map(|d| format.date(d)).unwrap_or_else(|| "—".to_owned())))])) }
        div.table-tools { a href=(crate::console::components::with_param(&league_path, "format", Some("csv"))) download { (tr.t("export-csv")) } }
        (league.html(html! { (tr.t("overview-no-scores")) }))
        h2 id="reassignment" { (tr.t("reassignment-title")) }
        p.muted { (tr.t("reassignment-explain")) }
        @if waiting.is_empty() {
            div.empty { (tr.t("reassignment-none-waiting")) }
        }
        @for d in &waiting {
            article.card {
                @let status = format!("{:?}", d.status);
                h3 { (d.agency.code) " · " (format!("{:?}", d.action)) " · " (d.segment) }
                @match status.as_str() {
                    "HELD" => p { (badge(&tr.t("reassignment-held"), Tone::Warn)) " " (d.hold_reason.as_deref().unwrap_or_default()) " · " (d.held_by.as_deref().unwrap_or_default()) @if let Some(at) = d.held_at { " · " (format.datetime(at)) } },
                    "PROPOSED" => p { (badge(&tr.t("reassignment-proposed"), Tone::Plain)) },
                    _ => p { (tr.args("reassignment-executes", &[("at", crate::i18n::arg(format.datetime(d.execute_after)))])) },
                }
                (evidence(signed, &d.findings))
                @if may_change(signed) && status != "PROPOSED" {
                    form.inline method="post" action=(format!("/performance/decisions/{}", d.id)) {
                        label { (tr.t("reassignment-why")) input type="text" name="reason" required maxlength="2000"; }
                        button type="submit" name="act" value="approve" { (tr.t("reassignment-approve")) }
                        @if status == "PENDING" { button.secondary type="submit" name="act" value="hold" { (tr.t("reassignment-hold")) } }
                        button.secondary type="submit" name="act" value="override" { (tr.t("reassignment-override")) }
                    }
                }
            }
        }
        @if may_change(signed) {
            form.inline method="post" action="/performance/reassignment/run" {
                label.check { input type="checkbox" name="dryRun" value="true" checked; (tr.t("reassignment-dry-run")) }
                button type="submit" { (tr.t("reassignment-run")) }
            }
        }
    };
    layout::page(signed, &tr.t("performance-title"), body)
}

/// The findings as a table: each figure the policy measured, against its threshold.
fn evidence(signed: &Signed, findings: &serde_json::Value) -> Markup {
    let tr = &signed.tr;
    let rows: Vec<&serde_json::Value> = match findings {
        serde_json::Value::Array(items) => items.iter().collect(),
        serde_json::Value::Object(map) => map
            .get("findings")
            .and_then(|f| f.as_array())
            .map_or_else(|| vec![findings], |f| f.iter().collect()),
        _ => vec![findings],
    };
    let text = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => "—".to_owned(),
        Some(other) => other.to_string(),
    };
    html! {
        table {
            thead { tr {
                th scope="col" { (tr.t("evidence-trigger")) }
                th.num scope="col" { (tr.t("evidence-measured")) }
                th.num scope="col" { (tr.t("evidence-threshold")) }
                th scope="col" { (tr.t("evidence-detail")) }
            } }
            tbody {
                @for row in rows {
                    tr {
                        td { (text(row.get("trigger").or_else(|| row.get("rule")))) }
                        td.num { (text(row.get("measured").or_else(|| row.get("value")))) }
                        td.num { (text(row.get("threshold").or_else(|| row.get("thresholdBp")))) }
                        td { (text(row.get("detail").or_else(|| row.get("window")))) }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
struct ReviewForm {
    #[serde(rename = "dryRun", default)]
    dry_run: Option<String>,
}

fn blank() -> LeagueQuery {
    LeagueQuery {
        segment: None,
        window: None,
        format: None,
    }
}

async fn review(signed: Signed, Form(form): Form<ReviewForm>) -> Response {
    let tr = &signed.tr;
    let dry_run = form.dry_run.as_deref() == Some("true");
    let outcome = match signed
        .api
        .run::<RunReassignment>(run_reassignment::Variables { dry_run })
        .await
    {
        Ok(data) => {
            let decisions = data.run_reassignment.decisions.len() as i64;
            let key = if dry_run {
                "reassignment-would"
            } else {
                "reassignment-did"
            };
            html! { p.notice role="status" { (tr.args(key, &[("count", crate::i18n::arg(signed.format().count(decisions)))])) } }
        }
        Err(errors) => refusal(&errors),
    };
    league_page(&signed, blank(), Some(outcome)).await
}

fn refusal(errors: &ApiErrors) -> Markup {
    general_errors(Some(errors), &[])
}

#[derive(Deserialize)]
struct DecideForm {
    act: String,
    reason: String,
}

/// Approves, holds or overrides a decision, as the button pressed says.
async fn decide(signed: Signed, Path(id): Path<String>, Form(form): Form<DecideForm>) -> Response {
    let tr = &signed.tr;
    let api = &signed.api;
    let done = match form.act.as_str() {
        "approve" => api
            .run::<ApproveReassignment>(approve_reassignment::Variables {
                decision_id: id,
                note: form.reason,
            })
            .await
            .map(|data| {
                (
                    "reassignment-approved",
                    data.approve_reassignment.agency.code,
                )
            }),
        "hold" => api
            .run::<HoldReassignment>(hold_reassignment::Variables {
                decision_id: id,
                reason: form.reason,
            })
            .await
            .map(|data| ("reassignment-was-held", data.hold_reassignment.agency.code)),
        "override" => api
            .run::<OverrideReassignment>(override_reassignment::Variables {
                decision_id: id,
                reason: form.reason,
            })
            .await
            .map(|data| {
                (
                    "reassignment-overridden",
                    data.override_reassignment.agency.code,
                )
            }),
        _ => return layout::bare_error(StatusCode::BAD_REQUEST, "No such action."),
    };
    let outcome = match done {
        Ok((key, agency)) => {
            html! { p.notice role="status" { (tr.args(key, &[("agency", crate::i18n::arg(agency.as_str()))])) } }
        }
        Err(errors) => refusal(&errors),
    };
    league_page(&signed, blank(), Some(outcome)).await
}
