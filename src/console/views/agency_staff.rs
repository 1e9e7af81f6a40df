//! An agency's staff on their agency: its scorecard, its papers (submit a renewal), its
//! commission statements (dispute one, naming the line).

use axum::Form;
use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

use crate::console::api::ApiErrors;
use crate::console::api::scalars::*;
use crate::console::components::{Cell, Table, field, general_errors};
use crate::console::layout;
use crate::console::sections::Section;
use crate::console::viewer::Signed;
use crate::console::views::agency::{Agency, agency, rate_trend, scorecard_history};
use crate::console::views::finance::{
    CommissionStatement, CommissionStatements, DisputeCommissionStatement, commission_statement,
    commission_statements, dispute_commission_statement,
};
use crate::console::views::work::work_tabs;
use crate::http::AppState;

use graphql_client::GraphQLQuery;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/submit-qualification.graphql",
    response_derives = "Debug"
)]
pub struct SubmitQualification;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/work/scorecard", get(scorecard))
        .route("/work/papers", get(papers).post(submit_paper))
        .route("/work/statements", get(statements))
        .route("/work/statements/{id}", get(statement))
        .route("/work/statements/{id}/dispute", post(dispute))
}

/// The viewer's own agency id; only agency staff have one.
fn own_agency(signed: &Signed) -> Option<String> {
    signed
        .may(Section::Work)
        .then(|| signed.agency.as_ref().map(|(id, _)| id.clone()))
        .flatten()
}

async fn scorecard(signed: Signed) -> Response {
    let Some(agency_id) = own_agency(&signed) else {
        return layout::not_for_role(&signed);
    };
    let tr = &signed.tr;
    let format = signed.format();
    let today = signed.today();
    let history = match scorecard_history(&signed, &agency_id, today).await {
        Ok(history) => history,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    let rate = |r: Option<rust_decimal::Decimal>| {
        r.map(|r| format.percent(r))
            .unwrap_or_else(|| "—".to_owned())
    };
    let body = html! {
        (work_tabs(&signed))
        @match history.last() {
            None => { div.empty { (tr.t("overview-no-scores")) } }
            Some(latest) => {
                div.cards {
                    div.card { div.figure { (rate(latest.recovery_rate)) } div { (tr.t("league-recovery")) } }
                    div.card { div.figure { (rate(latest.contact_rate)) } div { (tr.t("league-contact")) } }
                    div.card { div.figure { (rate(latest.ptp_kept_rate)) } div { (tr.t("league-ptp-kept")) } }
                    div.card { div.figure { (format.count(latest.accounts_held)) } div { (tr.t("league-held")) } }
                    div.card { div.figure { (latest.rank.map(|r| r.to_string()).unwrap_or_else(|| "—".to_owned())) } div { (tr.t("league-rank")) } }
                }
                (rate_trend(&signed, &history))
            }
        }
    };
    layout::page(&signed, &tr.t("work-scorecard-title"), body)
}

async fn papers(signed: Signed) -> Response {
    papers_page(&signed, None, false).await
}

async fn papers_page(signed: &Signed, errors: Option<ApiErrors>, submitted: bool) -> Response {
    let Some(agency_id) = own_agency(signed) else {
        return layout::not_for_role(signed);
    };
    let tr = &signed.tr;
    let format = signed.format();
    let agency = match signed
        .api
        .run::<Agency>(agency::Variables { id: agency_id })
        .await
    {
        Ok(data) => data.agency,
        Err(errors) => return layout::api_error(signed, &errors),
    };
    let mut table = Table::new("my-papers")
        .column(tr.t("paper-type"))
        .column(tr.t("paper-region"))
        .column(tr.t("paper-identifier"))
        .column(tr.t("paper-expires"))
        .column(tr.t("paper-status"));
    for p in &agency.qualifications {
        table.row(vec![
            Cell::text(&p.qualification_type),
            Cell::text(p.region.as_deref().unwrap_or("—")),
            Cell::text(format!("{} · {}", p.identifier, p.issuer)),
            Cell::text(
                p.expires_on
                    .map(|d| format.date(d))
                    .unwrap_or_else(|| tr.t("paper-no-expiry")),
            ),
            Cell::text(format!("{:?}", p.status)),
        ]);
    }
    let status = if errors.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let e = errors.as_ref();
    let body = html! {
        (work_tabs(signed))
        @if submitted { p.notice role="status" { (tr.t("paper-submitted")) } }
        (table.html(html! { (tr.t("agency-no-papers")) }))
        h2 { (tr.t("paper-submit-title")) }
        form.stack method="post" action="/work/papers" {
            (field(&tr.t("paper-type"), "qualificationType", html! { input type="text" name="qualificationType" required maxlength="64" placeholder="COLLECTION_LICENSE"; }, e))
            (field(&tr.t("paper-region"), "region", html! { input type="text" name="region" maxlength="16" placeholder="US-TX"; }, e))
            (field(&tr.t("paper-number"), "identifier", html! { input type="text" name="identifier" required maxlength="200"; }, e))
            (field(&tr.t("paper-issuer"), "issuer", html! { input type="text" name="issuer" required maxlength="200"; }, e))
            (field(&tr.t("paper-issued-on"), "issuedOn", html! { input type="date" name="issuedOn" required; }, e))
            (field(&tr.t("paper-expires"), "expiresOn", html! { input type="date" name="expiresOn"; }, e))
            (field(&tr.t("paper-document-url"), "documentUrl", html! { input type="url" name="documentUrl" required maxlength="2000" placeholder="https://"; }, e))
            (field(&tr.t("paper-document-sha256"), "documentSha256", html! { input type="text" name="documentSha256" required minlength="64" maxlength="64" pattern="[0-9a-fA-F]{64}"; }, e))
            (general_errors(e, &["qualificationType", "region", "identifier", "issuer", "issuedOn", "expiresOn", "documentUrl", "documentSha256"]))
            div { button type="submit" { (tr.t("paper-submit")) } }
        }
    };
    layout::page_with_status(signed, status, &tr.t("work-papers-title"), body)
}

#[derive(Deserialize)]
struct PaperForm {
    #[serde(rename = "qualificationType")]
    qualification_type: String,
    #[serde(default)]
    region: String,
    identifier: String,
    issuer: String,
    #[serde(rename = "issuedOn")]
    issued_on: String,
    #[serde(rename = "expiresOn", default)]
    expires_on: String,
    #[serde(rename = "documentUrl")]
    document_url: String,
    #[serde(rename = "documentSha256")]
    document_sha256: String,
}

fn bad(field: &str, message: String) -> ApiErrors {
    ApiErrors(vec![crate::console::api::ApiError {
        message,
        code: "BAD_USER_INPUT".to_owned(),
        field: Some(field.to_owned()),
    }])
}

async fn submit_paper(signed: Signed, Form(form): Form<PaperForm>) -> Response {
    let tr = &signed.tr;
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let Some(issued_on) = day(&form.issued_on) else {
        return papers_page(&signed, Some(bad("issuedOn", tr.t("form-a-day"))), false).await;
    };
    let expires_on = if form.expires_on.trim().is_empty() {
        None
    } else {
        match day(&form.expires_on) {
            Some(d) => Some(d),
            None => {
                return papers_page(&signed, Some(bad("expiresOn", tr.t("form-a-day"))), false)
                    .await;
            }
        }
    };
    let variables = submit_qualification::Variables {
        input: submit_qualification::SubmitQualificationInput {
            agency_id: None,
            qualification_type: form.qualification_type.trim().to_owned(),
            region: Some(form.region.trim().to_owned()).filter(|r| !r.is_empty()),
            identifier: form.identifier,
            issuer: form.issuer,
            issued_on,
            expires_on,
            document_url: form.document_url,
            document_sha256: form.document_sha256.trim().to_lowercase(),
        },
    };
    match signed.api.run::<SubmitQualification>(variables).await {
        Ok(_) => papers_page(&signed, None, true).await,
        Err(errors) => papers_page(&signed, Some(errors), false).await,
    }
}

async fn statements(signed: Signed) -> Response {
    let Some(agency_id) = own_agency(&signed) else {
        return layout::not_for_role(&signed);
    };
    let tr = &signed.tr;
    let format = signed.format();
    let list = match signed
        .api
        .run::<CommissionStatements>(commission_statements::Variables {
            filter: Some(commission_statements::CommissionStatementsFilter {
                agency_id: Some(agency_id),
                status: None,
            }),
            first: Some(50),
            after: None,
        })
        .await
    {
        Ok(data) => data.commission_statements.edges,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    let mut table = Table::new("my-statements")
        .column(tr.t("statement-period"))
        .column(tr.t("statement-status"))
        .numeric_column(tr.t("statement-commission"));
    for s in list.iter().map(|e| &e.node) {
        table.row(vec![
            Cell::link(
                format!(
                    "{} – {}",
                    format.date(s.period_start),
                    format.date(s.period_end)
                ),
                format!("/work/statements/{}", s.id),
            ),
            Cell::text(format!("{:?}", s.status)),
            Cell::number(format.money(s.commission.amount, &s.commission.currency)),
        ]);
    }
    let body = html! {
        (work_tabs(&signed))
        (table.html(html! { (tr.t("work-statements-empty")) }))
    };
    layout::page(&signed, &tr.t("work-statements-title"), body)
}

async fn statement(signed: Signed, Path(id): Path<String>) -> Response {
    statement_page(&signed, id, None).await
}

async fn statement_page(signed: &Signed, id: String, errors: Option<ApiErrors>) -> Response {
    if own_agency(signed).is_none() {
        return layout::not_for_role(signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let s = match signed
        .api
        .run::<CommissionStatement>(commission_statement::Variables { id: id.clone() })
        .await
    {
        Ok(data) => data.commission_statement.statement_fields,
        Err(errors) => return layout::api_error(signed, &errors),
    };
    let state = format!("{:?}", s.status);
    let mut lines = Table::new(format!("statement-{id}"))
        .column(tr.t("line-kind"))
        .column(tr.t("line-account"))
        .numeric_column(tr.t("line-basis"))
        .numeric_column(tr.t("line-commission"));
    for l in &s.lines {
        lines.row(vec![
            Cell::text(format!("{:?}", l.kind)),
            Cell::text(l.account_id.as_deref().unwrap_or("")),
            Cell::number(format.money(l.basis.amount, &s.currency)),
            Cell::number(format.money(l.commission.amount, &s.currency)),
        ]);
    }
    let status = if errors.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = html! {
        (work_tabs(signed))
        (general_errors(errors.as_ref(), &["reason"]))
        dl.facts {
            dt { (tr.t("statement-period")) } dd { (format.date(s.period_start)) " – " (format.date(s.period_end)) }
            dt { (tr.t("statement-status")) } dd { (state) }
            dt { (tr.t("statement-commission")) } dd { (format.money(s.commission.amount, &s.commission.currency)) }
            dt { (tr.t("statement-payable")) } dd { (format.money(s.payable.amount, &s.payable.currency)) }
            @if let Some(reason) = &s.dispute_reason { dt { (tr.t("statement-dispute-reason")) } dd { (reason) } }
        }
        (lines.html(html! { (tr.t("statement-no-lines")) }))
        @if state == "SUBMITTED" {
            h2 { (tr.t("statement-dispute-title")) }
            form.stack method="post" action=(format!("/work/statements/{id}/dispute")) {
                label { (tr.t("statement-dispute-line"))
                    select name="line" {
                        option value="" { (tr.t("statement-whole")) }
                        @for l in &s.lines { option value=(l.id) { (format!("{:?}", l.kind)) " · " (l.account_id.as_deref().unwrap_or("")) " · " (format.money(l.commission.amount, &s.currency)) } }
                    }
                }
                (field(&tr.t("statement-dispute-why"), "reason", html! { textarea name="reason" required maxlength="2000" rows="3" {} }, errors.as_ref()))
                div { button.danger type="submit" { (tr.t("statement-dispute")) } }
            }
        }
    };
    layout::page_with_status(signed, status, &tr.t("work-statement-title"), body)
}

#[derive(Deserialize)]
struct DisputeForm {
    #[serde(default)]
    line: String,
    reason: String,
}

async fn dispute(
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<DisputeForm>,
) -> Response {
    if own_agency(&signed).is_none() {
        return layout::not_for_role(&signed);
    }
    // The API disputes the statement; the line the agency means is named in the reason.
    let reason = if form.line.trim().is_empty() || form.reason.trim().is_empty() {
        form.reason
    } else {
        format!("line {}: {}", form.line.trim(), form.reason)
    };
    match signed
        .api
        .run::<DisputeCommissionStatement>(dispute_commission_statement::Variables {
            id: id.clone(),
            reason,
        })
        .await
    {
        Ok(_) => layout::redirect(&format!("/work/statements/{id}")),
        Err(errors) if errors.first().code == "NOT_FOUND" => layout::api_error(&signed, &errors),
        Err(errors) => statement_page(&signed, id, Some(errors)).await,
    }
}
