//! One agency: its papers (expiry highlighted, each submitted one verified or rejected
//! with its file), eligibility per region, scorecard trend, placements, incidents, and
//! its status with the reason for the last change; and the queue of papers waiting for
//! review across agencies.

use axum::Form;
use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Duration;
use graphql_client::GraphQLQuery;
use maud::{Markup, html};
use serde::Deserialize;

use crate::console::api::ApiErrors;
use crate::console::api::scalars::*;
use crate::console::chart::{self, Series};
use crate::console::components::{Cell, Table, Tone, badge, general_errors};
use crate::console::forms::{chosen, enum_of};
use crate::console::layout;
use crate::console::sections::Section;
use crate::console::viewer::{Role, Signed};
use crate::console::views::agencies::{Agencies, agencies};
use crate::console::views::compliance::{ComplianceIncidents, compliance_incidents};
use crate::console::views::overview::{AgencyScorecard, agency_scorecard};
use crate::console::views::placements::{Placements, placements};
use crate::http::AppState;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/agency.graphql",
    response_derives = "Debug"
)]
pub struct Agency;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/agency-eligibility.graphql",
    response_derives = "Debug"
)]
pub struct AgencyEligibility;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/review-qualification.graphql",
    response_derives = "Debug"
)]
pub struct ReviewQualification;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/change-agency-status.graphql",
    response_derives = "Debug"
)]
pub struct ChangeAgencyStatus;

const STATUSES: [&str; 5] = [
    "ONBOARDING",
    "ACTIVE",
    "PROBATION",
    "SUSPENDED",
    "TERMINATED",
];
/// Eligibility is asked for at most this many (kind of work, region) pairs.
const MAX_ELIGIBILITY: usize = 20;
/// Papers expiring within this many days are highlighted.
const EXPIRY_WARNING_DAYS: i64 = 30;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/agencies/review", get(queue))
        .route("/agencies/{id}", get(show))
        .route("/agencies/{id}/status", post(change_status))
        .route("/qualifications/{id}/review", post(review))
}

fn may_change(signed: &Signed) -> bool {
    matches!(signed.role, Role::ADMIN | Role::VENDOR_MANAGER)
}

async fn show(signed: Signed, Path(id): Path<String>) -> Response {
    agency_page(&signed, id, None).await
}

type Paper = agency::AgencyAgencyQualifications;

/// A paper's expiry, highlighted when it is near or past.
fn expiry_cell(signed: &Signed, paper_expires: Option<NaiveDate>, today: NaiveDate) -> Cell {
    let format = signed.format();
    match paper_expires {
        None => Cell::text(signed.tr.t("paper-no-expiry")),
        Some(day) if day < today => Cell {
            class: Some("expired"),
            ..Cell::text(format.date(day))
        },
        Some(day) if day <= today + Duration::days(EXPIRY_WARNING_DAYS) => Cell {
            class: Some("expiring"),
            ..Cell::text(format.date(day))
        },
        Some(day) => Cell::text(format.date(day)),
    }
}

fn review_forms(signed: &Signed, paper_id: &str, back: &str) -> Markup {
    let tr = &signed.tr;
    html! {
        form.inline method="post" action=(format!("/qualifications/{paper_id}/review")) {
            input type="hidden" name="back" value=(back);
            label { (tr.t("paper-review-note")) input type="text" name="note" maxlength="1000"; }
            button type="submit" name="decision" value="VERIFY" { (tr.t("paper-verify")) }
            button.danger type="submit" name="decision" value="REJECT" { (tr.t("paper-reject")) }
        }
    }
}

fn papers_table(signed: &Signed, papers: &[Paper], today: NaiveDate, back: &str) -> Table {
    let tr = &signed.tr;
    let mut table = Table::new("papers")
        .column(tr.t("paper-type"))
        .column(tr.t("paper-region"))
        .column(tr.t("paper-identifier"))
        .column(tr.t("paper-expires"))
        .column(tr.t("paper-status"))
        .column(tr.t("paper-file"))
        .column(tr.t("paper-review"));
    for p in papers {
        let status = format!("{:?}", p.status);
        let tone = match status.as_str() {
            "VERIFIED" => Tone::Good,
            "PENDING_REVIEW" => Tone::Warn,
            _ => Tone::Bad,
        };
        table.row(vec![
            Cell::text(&p.qualification_type),
            Cell::text(p.region.as_deref().unwrap_or("—")),
            Cell::text(format!("{} · {}", p.identifier, p.issuer)),
            expiry_cell(signed, p.expires_on, today),
            Cell::badge(status.clone(), tone),
            match &p.document.url {
                Some(url) => Cell::link(tr.t("paper-open-file"), url),
                None => Cell::text(p.document.sha256.clone().unwrap_or_default()),
            },
            if status == "PENDING_REVIEW" && may_change(signed) {
                Cell::action(review_forms(signed, &p.id, back))
            } else {
                Cell::text(p.review_note.clone().unwrap_or_default())
            },
        ]);
    }
    table
}

/// The agency's daily scorecards over the last 90 days (window LAST_90_DAYS).
pub async fn scorecard_history(
    signed: &Signed,
    agency_id: &str,
    today: NaiveDate,
) -> Result<Vec<agency_scorecard::ScorecardFields>, ApiErrors> {
    Ok(signed
        .api
        .run::<AgencyScorecard>(agency_scorecard::Variables {
            agency_id: agency_id.to_owned(),
            segment: None,
            window: agency_scorecard::ScoreWindow::LAST_90_DAYS,
            from: Some(today - Duration::days(90)),
            to: Some(today),
        })
        .await?
        .agency_scorecard
        .history)
}

/// Recovery, contact and promise-kept rates day by day, as lines.
pub fn rate_trend(signed: &Signed, history: &[agency_scorecard::ScorecardFields]) -> Markup {
    let tr = &signed.tr;
    let format = signed.format();
    let labels: Vec<String> = history.iter().map(|h| format.date(h.as_of)).collect();
    let series = [
        (
            "league-recovery",
            history.iter().map(|h| h.recovery_rate).collect(),
        ),
        (
            "league-contact",
            history.iter().map(|h| h.contact_rate).collect(),
        ),
        (
            "league-ptp-kept",
            history.iter().map(|h| h.ptp_kept_rate).collect(),
        ),
    ]
    .into_iter()
    .map(|(key, values)| Series {
        name: tr.t(key),
        values,
    })
    .collect::<Vec<_>>();
    chart::lines(&tr.t("agency-trend"), &labels, &series, |v| {
        format.percent(v)
    })
}

async fn agency_page(signed: &Signed, id: String, errors: Option<ApiErrors>) -> Response {
    if !signed.may(Section::Agencies) {
        return layout::not_for_role(signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let agency = match signed
        .api
        .run::<Agency>(agency::Variables { id: id.clone() })
        .await
    {
        Ok(data) => data.agency,
        Err(errors) => return layout::api_error(signed, &errors),
    };
    let today = signed.today();
    let back = format!("/agencies/{id}");
    let papers = papers_table(signed, &agency.qualifications, today, &back);

    let mut eligibility = Table::new("eligibility")
        .column(tr.t("strategy-kind"))
        .column(tr.t("paper-region"))
        .column(tr.t("eligibility-verdict"))
        .column(tr.t("allocation-why"));
    let mut pairs: Vec<(String, String)> = Vec::new();
    for kind in &agency.kinds_of_work {
        for region in &agency.regions {
            pairs.push((format!("{kind:?}"), region.clone()));
        }
    }
    pairs.truncate(MAX_ELIGIBILITY);
    for (kind, region) in pairs {
        let Some(kind_of_work) = enum_of(&kind) else {
            continue;
        };
        let verdict = signed
            .api
            .run::<AgencyEligibility>(agency_eligibility::Variables {
                agency_id: id.clone(),
                kind_of_work,
                region: region.clone(),
                from: today,
                to: today + Duration::days(90),
            })
            .await;
        let (cell, why) = match verdict {
            Ok(data) => {
                let e = data.agency_eligibility;
                let why = e
                    .reasons
                    .iter()
                    .map(|r| r.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
                if e.eligible {
                    (Cell::badge(tr.t("eligibility-yes"), Tone::Good), why)
                } else {
                    (Cell::badge(tr.t("eligibility-no"), Tone::Bad), why)
                }
            }
            Err(errors) => (Cell::text("—"), errors.first().message.clone()),
        };
        eligibility.row(vec![
            Cell::text(kind),
            Cell::text(region),
            cell,
            Cell::text(why),
        ]);
    }

    let trend = match scorecard_history(signed, &id, today).await {
        Ok(history) if history.is_empty() => html! { div.empty { (tr.t("overview-no-scores")) } },
        Ok(history) => rate_trend(signed, &history),
        Err(errors) => general_errors(Some(&errors), &[]),
    };

    let placed = signed
        .api
        .run::<Placements>(placements::Variables {
            filter: Some(placements::PlacementsFilter {
                ids: None,
                agency_id: Some(id.clone()),
                account_id: None,
                status: Some(vec![placements::PlacementStatus::ACTIVE]),
                changed_since: None,
                portfolio_id: None,
                level: None,
                due_back_by: None,
            }),
            first: Some(10),
            after: None,
        })
        .await
        .map(|d| d.placements)
        .ok();
    let incidents = signed
        .api
        .run::<ComplianceIncidents>(compliance_incidents::Variables {
            filter: Some(compliance_incidents::ComplianceIncidentsFilter {
                agency_id: Some(id.clone()),
                account_id: None,
                status: None,
                severity: None,
                source: None,
                rule: None,
                occurred_from: None,
                occurred_to: None,
            }),
            first: Some(10),
            after: None,
        })
        .await
        .map(|d| d.compliance_incidents.edges)
        .ok();

    let status = format!("{:?}", agency.status);
    let page_status = if errors.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let title = format!("{} · {}", agency.code, agency.legal_name);
    let body = html! {
        p { a href=(Section::Agencies.path()) { (tr.t("agencies-back")) } }
        (general_errors(errors.as_ref(), &[]))
        dl.facts {
            dt { (tr.t("agency-status")) } dd { (badge(&status, Tone::Plain))
                @if let Some(reason) = &agency.status_reason { " " (reason) }
                @if let Some(at) = agency.status_changed_at { " · " (format.datetime(at)) } }
            dt { (tr.t("agency-kinds-of-work")) } dd { (agency.kinds_of_work.iter().map(|k| format!("{k:?}")).collect::<Vec<_>>().join(", ")) }
            dt { (tr.t("agency-regions")) } dd { (agency.regions.join(", ")) }
            dt { (tr.t("agency-capacity-accounts")) } dd { (agency.capacity.max_active_accounts.map_or_else(|| tr.t("no-limit"), |n| format.count(n))) }
        }
        @if may_change(signed) {
            form.inline method="post" action=(format!("/agencies/{id}/status")) {
                label { (tr.t("agency-status"))
                    select name="status" { @for s in STATUSES { option value=(s) selected[status == s] { (s) } } }
                }
                label { (tr.t("agency-status-reason")) input type="text" name="reason" maxlength="500"; }
                button.secondary type="submit" { (tr.t("agency-change-status")) }
            }
        }
        h2 { (tr.t("agency-papers")) }
        (papers.html(html! { (tr.t("agency-no-papers")) }))
        h2 { (tr.t("agency-eligibility")) }
        (eligibility.html(html! { (tr.t("agency-no-regions")) }))
        h2 { (tr.t("agency-scorecard")) }
        (trend)
        h2 { (tr.t("agency-placements")) }
        @if let Some(placed) = &placed {
            @if placed.edges.is_empty() { div.empty { (tr.t("placements-empty")) } }
            @else {
                ul { @for p in placed.edges.iter().map(|e| &e.node) {
                    li { (p.account.as_ref().map_or("", |a| a.lender_reference.as_str())) " · " (tr.t("placement-due-back")) " " (format.date(p.due_back_on)) }
                } }
                p { a href=(format!("/placements?agency={id}")) { (tr.t("agency-all-placements")) } }
            }
        }
        h2 { (tr.t("agency-incidents")) }
        @if let Some(incidents) = &incidents {
            @if incidents.is_empty() { div.empty { (tr.t("incidents-empty")) } }
            @else {
                ul { @for i in incidents.iter().map(|e| &e.node) {
                    li { a href=(format!("/compliance/incidents/{}", i.id)) { (i.rule) } " · " (format!("{:?}", i.severity)) " · " (i.summary) }
                } }
            }
        }
    };
    layout::page_with_status(signed, page_status, &title, body)
}

#[derive(Deserialize)]
struct StatusForm {
    status: String,
    #[serde(default)]
    reason: String,
}

async fn change_status(
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Response {
    let Some(status) = chosen(&Some(form.status.clone()), &STATUSES).and_then(enum_of) else {
        return agency_page(&signed, id, None).await;
    };
    let variables = change_agency_status::Variables {
        id: id.clone(),
        status,
        reason: Some(form.reason).filter(|r| !r.trim().is_empty()),
    };
    match signed.api.run::<ChangeAgencyStatus>(variables).await {
        Ok(_) => layout::redirect(&format!("/agencies/{id}")),
        Err(errors) => agency_page(&signed, id, Some(errors)).await,
    }
}

#[derive(Deserialize)]
struct ReviewForm {
    decision: String,
    #[serde(default)]
    note: String,
    back: String,
}

async fn review(signed: Signed, Path(id): Path<String>, Form(form): Form<ReviewForm>) -> Response {
    let back = if form.back.starts_with("/agencies/") {
        form.back
    } else {
        "/agencies/review".to_owned()
    };
    let Some(decision) =
        chosen(&Some(form.decision.clone()), &["VERIFY", "REJECT"]).and_then(enum_of)
    else {
        return layout::redirect(&back);
    };
    let variables = review_qualification::Variables {
        id,
        decision,
        note: Some(form.note).filter(|n| !n.trim().is_empty()),
    };
    match signed.api.run::<ReviewQualification>(variables).await {
        Ok(_) => layout::redirect(&back),
        Err(errors) if back == "/agencies/review" => queue_page(&signed, Some(errors)).await,
        Err(errors) => {
            let id = back.trim_start_matches("/agencies/").to_owned();
            agency_page(&signed, id, Some(errors)).await
        }
    }
}

async fn queue(signed: Signed) -> Response {
    queue_page(&signed, None).await
}

/// Every paper waiting for review, agency by agency.
async fn queue_page(signed: &Signed, errors: Option<ApiErrors>) -> Response {
    if !signed.may(Section::Agencies) {
        return layout::not_for_role(signed);
    }
    let tr = &signed.tr;
    let list = match signed
        .api
        .run::<Agencies>(agencies::Variables {
            filter: None,
            first: Some(100),
            after: None,
        })
        .await
    {
        Ok(data) => data.agencies.edges,
        Err(errors) => return layout::api_error(signed, &errors),
    };
    let waiting: Vec<String> = list
        .iter()
        .filter(|e| {
            e.node
                .qualifications
                .iter()
                .any(|q| format!("{:?}", q.status) == "PENDING_REVIEW")
        })
        .map(|e| e.node.id.clone())
        .collect();
    let today = signed.today();
    let mut sections = Vec::new();
    for id in waiting {
        let agency = match signed.api.run::<Agency>(agency::Variables { id }).await {
            Ok(data) => data.agency,
            Err(errors) => return layout::api_error(signed, &errors),
        };
        let pending: Vec<Paper> = agency
            .qualifications
            .into_iter()
            .filter(|q| format!("{:?}", q.status) == "PENDING_REVIEW")
            .collect();
        sections.push((
            agency.code,
            papers_table(signed, &pending, today, "/agencies/review"),
        ));
    }
    let status = if errors.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = html! {
        p { a href=(Section::Agencies.path()) { (tr.t("agencies-back")) } }
        (general_errors(errors.as_ref(), &[]))
        @if sections.is_empty() { div.empty { (tr.t("review-queue-empty")) } }
        @for (code, table) in &sections {
            h2 { (code) }
            (table.html(html! {}))
        }
    };
    layout::page_with_status(signed, status, &tr.t("review-queue-title"), body)
}
