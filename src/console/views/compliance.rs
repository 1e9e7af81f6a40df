//! Compliance: incidents by rule, severity, agency and status; an incident with its
//! evidence, resolved or waived with a note (an agency acknowledges its own from its
//! work pages); an account's timeline with the rules each contact passed or broke.

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
use crate::console::components::{
    Cell, Table, Tone, badge, field, general_errors, table_tools, wants_csv,
};
use crate::console::forms::{chosen, enum_of};
use crate::console::layout;
use crate::console::sections::Section;
use crate::console::viewer::{Role, Signed};
use crate::console::views::{timeline, work};
use crate::http::AppState;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/incidents.graphql",
    response_derives = "Debug"
)]
pub struct ComplianceIncidents;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/incidents.graphql",
    response_derives = "Debug"
)]
pub struct ComplianceIncident;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/incidents.graphql",
    response_derives = "Debug"
)]
pub struct AcknowledgeIncident;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/incidents.graphql",
    response_derives = "Debug"
)]
pub struct ResolveIncident;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/incidents.graphql",
    response_derives = "Debug"
)]
pub struct WaiveIncident;

const STATUSES: [&str; 4] = ["OPEN", "ACKNOWLEDGED", "RESOLVED", "WAIVED"];
const SEVERITIES: [&str; 4] = ["CRITICAL", "HIGH", "MEDIUM", "LOW"];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(Section::Compliance.path(), get(list))
        .route("/compliance/incidents/{id}", get(incident))
        .route("/compliance/incidents/{id}/{action}", post(act))
        .route("/compliance/accounts/{id}", get(account))
        .route("/work/incidents", get(list))
        .route("/work/incidents/{id}", get(incident))
        .route("/work/incidents/{id}/{action}", post(act))
}

/// Lender staff read incidents under Compliance; an agency's staff, their own, under Work.
fn area(signed: &Signed) -> Section {
    if signed.role == Role::AGENCY {
        Section::Work
    } else {
        Section::Compliance
    }
}

fn base(signed: &Signed) -> &'static str {
    if signed.role == Role::AGENCY {
        "/work/incidents"
    } else {
        "/compliance/incidents"
    }
}

fn severity_tone(severity: &str) -> Tone {
    match severity {
        "CRITICAL" | "HIGH" => Tone::Bad,
        "MEDIUM" => Tone::Warn,
        _ => Tone::Plain,
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    status: Option<String>,
    severity: Option<String>,
    rule: Option<String>,
    after: Option<String>,
    format: Option<String>,
}

async fn list(signed: Signed, Query(query): Query<ListQuery>) -> Response {
    if !signed.may(area(&signed)) {
        return layout::not_for_role(&signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let status = chosen(&query.status, &STATUSES);
    let severity = chosen(&query.severity, &SEVERITIES);
    let rule = query
        .rule
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let variables = compliance_incidents::Variables {
        filter: Some(compliance_incidents::ComplianceIncidentsFilter {
            agency_id: None,
            account_id: None,
            status: status.and_then(enum_of).map(|s| vec![s]),
            severity: severity.and_then(enum_of).map(|s| vec![s]),
            source: None,
            rule: rule.map(str::to_owned),
            occurred_from: None,
            occurred_to: None,
        }),
        first: Some(50),
        after: query.after.clone(),
    };
    let data = match signed.api.run::<ComplianceIncidents>(variables).await {
        Ok(data) => data.compliance_incidents,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    let mut table = Table::new("compliance-incidents")
        .column(tr.t("incident-raised"))
        .column(tr.t("incident-agency"))
        .column(tr.t("incident-rule"))
        .column(tr.t("incident-severity"))
        .column(tr.t("incident-status"))
        .column(tr.t("incident-summary"));
    for i in data.edges.iter().map(|e| &e.node) {
        let severity = format!("{:?}", i.severity);
        table.row(vec![
            Cell::link(
                format.datetime(i.raised_at),
                format!("{}/{}", base(&signed), i.id),
            ),
            Cell::text(&i.agency.code),
            Cell::text(&i.rule),
            Cell::badge(
                tr.t(&format!("severity-{}", severity.to_lowercase())),
                severity_tone(&severity),
            ),
            Cell::text(tr.t(&format!(
                "incident-{}",
                format!("{:?}", i.status).to_lowercase()
            ))),
            Cell::text(&i.summary),
        ]);
    }
    if wants_csv(query.format.as_deref()) {
        return table.csv();
    }
    let body = html! {
        form.inline method="get" action=(if signed.role == Role::AGENCY { "/work/incidents" } else { Section::Compliance.path() }) role="search" {
            label { (tr.t("incident-status"))
                select name="status" {
                    option value="" { (tr.t("incident-any")) }
                    @for s in STATUSES { option value=(s) selected[status == Some(s)] { (tr.t(&format!("incident-{}", s.to_lowercase()))) } }
                }
            }
            label { (tr.t("incident-severity"))
                select name="severity" {
                    option value="" { (tr.t("incident-any")) }
                    @for s in SEVERITIES { option value=(s) selected[severity == Some(s)] { (tr.t(&format!("severity-{}", s.to_lowercase()))) } }
                }
            }
            label { (tr.t("incident-rule")) input type="text" name="rule" value=[rule] maxlength="100" placeholder="US-FDCPA-HOURS"; }
            button.secondary type="submit" { (tr.t("accounts-filter")) }
        }
        (table_tools(tr, &signed.path, data.page_info.has_next_page, data.page_info.end_cursor.as_deref()))
        (table.html(html! { (tr.t("incidents-empty")) }))
    };
    layout::page(&signed, &tr.t("incidents-title"), body)
}

async fn incident(signed: Signed, Path(id): Path<String>) -> Response {
    incident_page(&signed, id, None).await
}

async fn incident_page(signed: &Signed, id: String, errors: Option<ApiErrors>) -> Response {
    if !signed.may(area(signed)) {
        return layout::not_for_role(signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let i = match signed
        .api
        .run::<ComplianceIncident>(compliance_incident::Variables { id: id.clone() })
        .await
    {
        Ok(data) => data.compliance_incident,
        Err(errors) => return layout::api_error(signed, &errors),
    };
    let status = format!("{:?}", i.status);
    let severity = format!("{:?}", i.severity);
    let open = matches!(status.as_str(), "OPEN" | "ACKNOWLEDGED");
    let note_form = |action: &str, key: &str| -> Markup {
        html! {
            form.stack method="post" action=(format!("{}/{id}/{action}", base(signed))) {
                (field(&tr.t("incident-note"), "note", html! { textarea name="note" required maxlength="4000" rows="3" {} }, errors.as_ref()))
                div { button type="submit" { (tr.t(key)) } }
            }
        }
    };
    let evidence = serde_json::to_string_pretty(&i.evidence).unwrap_or_default();
    let page_status = if errors.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = html! {
        p { a href=(if signed.role == Role::AGENCY { "/work/incidents" } else { Section::Compliance.path() }) { (tr.t("incidents-back")) } }
        (general_errors(errors.as_ref(), &["note"]))
        dl.facts {
            dt { (tr.t("incident-rule")) } dd { (i.rule) }
            dt { (tr.t("incident-severity")) } dd { (badge(&tr.t(&format!("severity-{}", severity.to_lowercase())), severity_tone(&severity))) }
            dt { (tr.t("incident-status")) } dd { (tr.t(&format!("incident-{}", status.to_lowercase()))) }
            dt { (tr.t("incident-summary")) } dd { (i.summary) }
            dt { (tr.t("incident-agency")) } dd { (i.agency.code) }
            dt { (tr.t("incident-occurred")) } dd { (format.datetime(i.occurred_at)) }
            dt { (tr.t("incident-raised")) } dd { (format.datetime(i.raised_at)) " · " (i.raised_by) }
            @if let Some(account) = &i.account_id {
                dt { (tr.t("incident-account")) }
                dd { a href=(if signed.role == Role::AGENCY { format!("/work/accounts/{account}") } else { format!("/compliance/accounts/{account}") }) { (account) } }
            }
            @if let Some(note) = &i.acknowledgement_note { dt { (tr.t("incident-acknowledged")) } dd { (note) } }
            @if let Some(note) = &i.closing_note { dt { (tr.t("incident-closed")) } dd { (note) } }
        }
        details.data { summary { (tr.t("incident-evidence")) } pre { (evidence) } }
        @if open {
            @if signed.role == Role::AGENCY {
                @if status == "OPEN" { (note_form("acknowledge", "incident-acknowledge")) }
            } @else if matches!(signed.role, Role::ADMIN | Role::VENDOR_MANAGER) {
                div.panels {
                    (note_form("resolve", "incident-resolve"))
                    (note_form("waive", "incident-waive"))
                }
            }
        }
    };
    let title = tr.args(
        "incident-title",
        &[("rule", crate::i18n::arg(i.rule.as_str()))],
    );
    layout::page_with_status(signed, page_status, &title, body)
}

#[derive(Deserialize)]
struct NoteForm {
    note: String,
}

async fn act(
    signed: Signed,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<NoteForm>,
) -> Response {
    if !signed.may(area(&signed)) {
        return layout::not_for_role(&signed);
    }
    let api = &signed.api;
    let note = form.note;
    let done = match action.as_str() {
        "acknowledge" => api
            .run::<AcknowledgeIncident>(acknowledge_incident::Variables {
                id: id.clone(),
                note,
            })
            .await
            .map(|_| ()),
        "resolve" => api
            .run::<ResolveIncident>(resolve_incident::Variables {
                id: id.clone(),
                note,
            })
            .await
            .map(|_| ()),
        "waive" => api
            .run::<WaiveIncident>(waive_incident::Variables {
                id: id.clone(),
                note,
            })
            .await
            .map(|_| ()),
        _ => return layout::bare_error(StatusCode::NOT_FOUND, "No such action."),
    };
    match done {
        Ok(()) => layout::redirect(&format!("{}/{id}", base(&signed))),
        Err(errors) if matches!(errors.first().code.as_str(), "NOT_FOUND" | "FORBIDDEN") => {
            layout::api_error(&signed, &errors)
        }
        Err(errors) => incident_page(&signed, id, Some(errors)).await,
    }
}

/// An account as compliance reads it: its facts and flags, and its whole timeline.
async fn account(signed: Signed, Path(id): Path<String>) -> Response {
    if !signed.may(Section::Compliance) {
        return layout::not_for_role(&signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let account = match signed
        .api
        .run::<work::Account>(work::account::Variables { id: id.clone() })
        .await
    {
        Ok(data) => data.account,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    let events = match timeline::of_account(&signed, &id, &account.debtor.time_zone).await {
        Ok(events) => events,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    let title = tr.args(
        "work-account-title",
        &[(
            "reference",
            crate::i18n::arg(account.lender_reference.as_str()),
        )],
    );
    let body = html! {
        dl.facts {
            dt { (tr.t("debtor-name")) } dd { (account.debtor.name) }
            dt { (tr.t("debtor-region")) } dd { (account.debtor.region) " · " (account.debtor.time_zone) }
            dt { (tr.t("account-outstanding")) } dd { (format.money(account.outstanding.amount, &account.outstanding.currency)) }
            dt { (tr.t("account-days-past-due")) } dd { (format.count(account.days_past_due)) }
            dt { (tr.t("account-flags")) } dd {
                @if account.flags.is_empty() { (tr.t("flags-none")) }
                @for flag in &account.flags { (badge(&tr.t(work::flag_key(flag)), Tone::Bad)) " " }
            }
            dt { (tr.t("account-placed-with")) } dd {
                @match &account.active_placement {
                    Some(p) => { (format!("{:?}", p.level)) " · " (tr.t("placement-due-back")) " " (format.date(p.due_back_on)) }
                    None => { (tr.t("account-unplaced")) }
                }
            }
        }
        h2 { (tr.t("timeline-title")) }
        (events)
    };
    layout::page(&signed, &title, body)
}
