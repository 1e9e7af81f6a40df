//! Finance: commission statements (generate, submit, approve by a second person, mark
//! paid, export), reconciliation runs with their exceptions by class, and the lender's
//! ledger uploaded as CSV.

use axum::Form;
use axum::Router;
use axum::extract::{Multipart, Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Datelike;
use graphql_client::GraphQLQuery;
use maud::{Markup, html};
use serde::Deserialize;

use crate::console::api::scalars::*;
use crate::console::api::{ApiErrors, File};
use crate::console::components::{Cell, Table, Tone, general_errors, table_tools, wants_csv};
use crate::console::forms::enum_of;
use crate::console::layout;
use crate::console::sections::Section;
use crate::console::viewer::{Role, Signed};
use crate::console::views::imports::received_file;
use crate::http::AppState;

macro_rules! operation {
    ($name:ident, $file:tt) => {
        #[derive(GraphQLQuery)]
        #[graphql(
                                                            schema_path = "graphql/schema.graphql",
                                                            query_path = $file,
                                                            response_derives = "Debug"
                                                        )]
        pub struct $name;
    };
}

operation!(
    CommissionStatements,
    "graphql/operations/commissions.graphql"
);
operation!(
    CommissionStatement,
    "graphql/operations/commissions.graphql"
);
operation!(
    GenerateCommissionStatements,
    "graphql/operations/commissions.graphql"
);
operation!(
    SubmitCommissionStatement,
    "graphql/operations/commissions.graphql"
);
operation!(
    ApproveCommissionStatement,
    "graphql/operations/commissions.graphql"
);
operation!(
    MarkCommissionStatementPaid,
    "graphql/operations/commissions.graphql"
);
operation!(
    DisputeCommissionStatement,
    "graphql/operations/commissions.graphql"
);
operation!(ReconciliationRuns, "graphql/operations/finance.graphql");
operation!(RunReconciliation, "graphql/operations/finance.graphql");
operation!(
    ImportLedgerPaymentsCsv,
    "graphql/operations/finance.graphql"
);

const STATUSES: [&str; 5] = ["DRAFT", "SUBMITTED", "APPROVED", "PAID", "DISPUTED"];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(Section::Finance.path(), get(home))
        .route("/finance/statements/generate", post(generate))
        .route("/finance/statements/{id}", get(statement))
        .route("/finance/statements/{id}/export", get(export_statement))
        .route("/finance/statements/{id}/{action}", post(act))
        .route("/finance/reconciliations", post(reconcile))
        .route("/finance/ledger", post(ledger))
}

pub(super) fn may_act(signed: &Signed) -> bool {
    matches!(signed.role, Role::ADMIN | Role::FINANCE)
}

fn status_tone(status: &str) -> Tone {
    match status {
        "APPROVED" | "PAID" => Tone::Good,
        "SUBMITTED" | "DRAFT" => Tone::Warn,
        "DISPUTED" => Tone::Bad,
        _ => Tone::Plain,
    }
}

fn status_words(signed: &Signed, status: &str) -> String {
    let key = match status {
        "DRAFT" => "statement-draft",
        "SUBMITTED" => "statement-submitted",
        "APPROVED" => "statement-approved",
        "PAID" => "statement-paid",
        "DISPUTED" => "statement-disputed",
        _ => return status.to_owned(),
    };
    signed.tr.t(key)
}

#[derive(Deserialize)]
struct HomeQuery {
    status: Option<String>,
    after: Option<String>,
    format: Option<String>,
}

async fn home(signed: Signed, Query(query): Query<HomeQuery>) -> Response {
    home_page(&signed, query, None).await
}

async fn home_page(signed: &Signed, query: HomeQuery, outcome: Option<Markup>) -> Response {
    if !signed.may(Section::Finance) {
        return layout::not_for_role(signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let status = query
        .status
        .as_deref()
        .filter(|s| STATUSES.contains(s))
        .map(str::to_owned);
    let statements = match signed
        .api
        .run::<CommissionStatements>(commission_statements::Variables {
            filter: Some(commission_statements::CommissionStatementsFilter {
                agency_id: None,
                status: status.as_deref().and_then(enum_of),
            }),
            first: Some(50),
            after: query.after,
        })
        .await
    {
        Ok(data) => data.commission_statements,
        Err(errors) => return layout::api_error(signed, &errors),
    };
    let mut table = Table::new("commission-statements")
        .column(tr.t("statement-agency"))
        .column(tr.t("statement-period"))
        .column(tr.t("statement-status"))
        .numeric_column(tr.t("statement-commission"));
    for s in statements.edges.iter().map(|e| &e.node) {
        let state = format!("{:?}", s.status);
        table.row(vec![
            Cell::link(&s.agency.code, format!("/finance/statements/{}", s.id)),
            Cell::text(format!(
                "{} – {}",
                format.date(s.period_start),
                format.date(s.period_end)
            )),
            Cell::badge(status_words(signed, &state), status_tone(&state)),
            Cell::number(format.money(s.commission.amount, &s.commission.currency)),
        ]);
    }
    if wants_csv(query.format.as_deref()) {
        return table.csv();
    }
    let runs = match signed
        .api
        .run::<ReconciliationRuns>(reconciliation_runs::Variables {
            first: Some(20),
            after: None,
        })
        .await
    {
        Ok(data) => data.reconciliation_runs.edges,
        Err(errors) => return layout::api_error(signed, &errors),
    };
    let mut reconciliations = Table::new("reconciliation-runs")
        .column(tr.t("statement-period"))
        .column(tr.t("reconciliation-summary"))
        .column(tr.t("reconciliation-when"));
    for r in runs.iter().map(|e| &e.node) {
        reconciliations.row(vec![
            Cell::link(
                format!(
                    "{} – {}",
                    format.date(r.period_start),
                    format.date(r.period_end)
                ),
                format!("/finance/reconciliations/{}", r.id),
            ),
            Cell::text(summary_words(&r.summary)),
            Cell::text(format.datetime(r.created_at)),
        ]);
    }
    let today = signed.today();
    let month_start = today.with_day0(0).unwrap_or(today);
    let last_month_end = month_start.pred_opt().unwrap_or(today);
    let last_month_start = last_month_end.with_day0(0).unwrap_or(last_month_end);
    let period = html! {
        label { (tr.t("period-start")) input type="date" name="periodStart" required value=(last_month_start.to_string()); }
        label { (tr.t("period-end")) input type="date" name="periodEnd" required value=(last_month_end.to_string()); }
    };
    let body = html! {
        @if let Some(outcome) = outcome { (outcome) }
        h2 { (tr.t("statements-title")) }
        nav.tabs aria-label=(tr.t("statement-status")) {
            a href=(Section::Finance.path()) aria-current=[status.is_none().then_some("page")] { (tr.t("statements-all")) }
            @for s in STATUSES {
                " "
                a href=(format!("{}?status={s}", Section::Finance.path())) aria-current=[(status.as_deref() == Some(s)).then_some("page")] { (status_words(signed, s)) }
            }
        }
        (table_tools(tr, &signed.path, statements.page_info.has_next_page, statements.page_info.end_cursor.as_deref()))
        (table.html(html! { (tr.t("statements-empty")) }))
        @if may_act(signed) {
            form.inline method="post" action="/finance/statements/generate" {
                (period)
                button type="submit" { (tr.t("statements-generate")) }
            }
        }
        h2 { (tr.t("reconciliations-title")) }
        (reconciliations.html(html! { (tr.t("reconciliations-empty")) }))
        @if may_act(signed) {
            form.inline method="post" action="/finance/reconciliations" {
                (period)
                button type="submit" { (tr.t("reconciliation-run")) }
            }
            h2 { (tr.t("ledger-title")) }
            p.muted { (tr.t("ledger-explain")) }
            form.inline method="post" action="/finance/ledger" enctype="multipart/form-data" {
                label { (tr.t("import-file")) input type="file" name="file" accept=".csv,text/csv" required; }
                button type="submit" { (tr.t("ledger-upload")) }
            }
        }
    };
    layout::page(signed, &tr.t("finance-title"), body)
}

/// A reconciliation's counts by class, as words (the API's summary is JSON).
pub(super) fn summary_words(summary: &serde_json::Value) -> String {
    match summary.as_object() {
        Some(map) => map
            .iter()
            .filter(|(_, v)| v.is_number())
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        None => summary.to_string(),
    }
}

#[derive(Deserialize)]
struct PeriodForm {
    #[serde(rename = "periodStart")]
    period_start: String,
    #[serde(rename = "periodEnd")]
    period_end: String,
}

fn period_of(form: &PeriodForm) -> Option<(NaiveDate, NaiveDate)> {
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    Some((day(&form.period_start)?, day(&form.period_end)?))
}

fn refusal(errors: &ApiErrors) -> Markup {
    html! { div.alert role="alert" { @for e in &errors.0 { p { (e.message) } } } }
}

fn blank() -> HomeQuery {
    HomeQuery {
        status: None,
        after: None,
        format: None,
    }
}

async fn with_outcome(signed: &Signed, status: StatusCode, outcome: Markup) -> Response {
    let mut response = home_page(signed, blank(), Some(outcome)).await;
    if response.status().is_success() {
        *response.status_mut() = status;
    }
    response
}

async fn generate(signed: Signed, Form(form): Form<PeriodForm>) -> Response {
    let tr = &signed.tr;
    let Some((period_start, period_end)) = period_of(&form) else {
        let outcome = html! { p.alert role="alert" { (tr.t("period-invalid")) } };
        return with_outcome(&signed, StatusCode::BAD_REQUEST, outcome).await;
    };
    let variables = generate_commission_statements::Variables {
        period_start,
        period_end,
    };
    match signed
        .api
        .run::<GenerateCommissionStatements>(variables)
        .await
    {
        Ok(data) => {
            let n = data.generate_commission_statements.len() as i64;
            let outcome = html! { p.notice role="status" { (tr.args("statements-generated", &[("count", crate::i18n::arg(signed.format().count(n)))])) } };
            with_outcome(&signed, StatusCode::OK, outcome).await
        }
        Err(errors) => with_outcome(&signed, StatusCode::BAD_REQUEST, refusal(&errors)).await,
    }
}

async fn reconcile(signed: Signed, Form(form): Form<PeriodForm>) -> Response {
    let tr = &signed.tr;
    let Some((period_start, period_end)) = period_of(&form) else {
        let outcome = html! { p.alert role="alert" { (tr.t("period-invalid")) } };
        return with_outcome(&signed, StatusCode::BAD_REQUEST, outcome).await;
    };
    let variables = run_reconciliation::Variables {
        period_start,
        period_end,
    };
    match signed.api.run::<RunReconciliation>(variables).await {
        Ok(data) => layout::redirect(&format!(
            "/finance/reconciliations/{}",
            data.run_reconciliation.id
        )),
        Err(errors) => with_outcome(&signed, StatusCode::BAD_REQUEST, refusal(&errors)).await,
    }
}

async fn ledger(signed: Signed, mut multipart: Multipart) -> Response {
    let tr = &signed.tr;
    let Ok((file, name, _)) = received_file(&mut multipart).await else {
        let outcome = html! { p.alert role="alert" { (tr.t("import-no-file")) } };
        return with_outcome(&signed, StatusCode::BAD_REQUEST, outcome).await;
    };
    let upload = File {
        variable: "file",
        name,
        content_type: Some("text/csv".to_owned()),
        content: file,
    };
    let format = signed.format();
    match signed
        .api
        .run_with_file::<ImportLedgerPaymentsCsv>(
            import_ledger_payments_csv::Variables { file: () },
            upload,
        )
        .await
    {
        Ok(data) => {
            let report = data.import_ledger_payments_csv;
            let refused: Vec<_> = report
                .items
                .iter()
                .filter(|i| format!("{:?}", i.status) == "REJECTED")
                .collect();
            let outcome = html! {
                div class=(if refused.is_empty() { "notice" } else { "alert" }) role="status" {
                    p { (tr.args("ledger-done", &[
                        ("imported", crate::i18n::arg(format.count(report.imported))),
                        ("duplicates", crate::i18n::arg(format.count(report.duplicates))),
                        ("rejected", crate::i18n::arg(format.count(report.rejected))),
                    ])) }
                    @if !refused.is_empty() {
                        ul { @for i in refused.iter().take(20) { li { (tr.t("import-row")) " " (i.index + 1) ": " (i.field.as_deref().unwrap_or("")) " " (i.message.as_deref().unwrap_or("")) } } }
                    }
                }
            };
            with_outcome(&signed, StatusCode::OK, outcome).await
        }
        Err(errors) => with_outcome(&signed, StatusCode::BAD_REQUEST, refusal(&errors)).await,
    }
}

async fn statement(signed: Signed, Path(id): Path<String>) -> Response {
    statement_page(&signed, id, None).await
}

async fn statement_page(signed: &Signed, id: String, errors: Option<ApiErrors>) -> Response {
    if !signed.may(Section::Finance) {
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
    let mut lines = Table::new(format!("statement-{id}-lines"))
        .column(tr.t("line-kind"))
        .column(tr.t("line-account"))
        .column(tr.t("line-rule"))
        .numeric_column(tr.t("line-rate"))
        .numeric_column(tr.t("line-basis"))
        .numeric_column(tr.t("line-commission"))
        .column(tr.t("line-note"));
    for l in &s.lines {
        lines.row(vec![
            Cell::text(format!("{:?}", l.kind)),
            Cell::text(l.account_id.as_deref().unwrap_or("")),
            Cell::text(&l.rule),
            Cell::number(format.percent(rust_decimal::Decimal::new(l.rate_bp, 4))),
            Cell::number(format.money(l.basis.amount, &s.currency)),
            Cell::number(format.money(l.commission.amount, &s.currency)),
            Cell::text(&l.note),
        ]);
    }
    let action = |name: &str, key: &str| {
        html! {
            form.inline method="post" action=(format!("/finance/statements/{id}/{name}")) {
                button type="submit" { (tr.t(key)) }
            }
        }
    };
    let who = |by: &Option<String>, at: &Option<DateTime>| match (by, at) {
        (Some(by), Some(at)) => format!("{by} · {}", format.datetime(*at)),
        _ => "—".to_owned(),
    };
    let status = if errors.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let title = tr.args(
        "statement-title",
        &[("agency", crate::i18n::arg(s.agency.code.as_str()))],
    );
    let body = html! {
        p { a href=(Section::Finance.path()) { (tr.t("finance-back")) } }
        @if let Some(errors) = &errors { (general_errors(Some(errors), &[])) }
        dl.facts {
            dt { (tr.t("statement-period")) } dd { (format.date(s.period_start)) " – " (format.date(s.period_end)) }
            dt { (tr.t("statement-status")) } dd { (crate::console::components::badge(&status_words(signed, &state), status_tone(&state))) }
            dt { (tr.t("statement-basis")) } dd { (format.money(s.basis.amount, &s.basis.currency)) }
            dt { (tr.t("statement-commission")) } dd { (format.money(s.commission.amount, &s.commission.currency)) }
            dt { (tr.t("statement-fee-withheld")) } dd { (format.money(s.fee_withheld.amount, &s.fee_withheld.currency)) }
            dt { (tr.t("statement-payable")) } dd { strong { (format.money(s.payable.amount, &s.payable.currency)) } }
            dt { (tr.t("statement-generated")) } dd { (who(&Some(s.generated_by.clone()), &Some(s.generated_at))) }
            dt { (tr.t("statement-submitted-by")) } dd { (who(&s.submitted_by, &s.submitted_at)) }
            dt { (tr.t("statement-approved-by")) } dd { (who(&s.approved_by, &s.approved_at)) }
            @if let Some(reason) = &s.dispute_reason { dt { (tr.t("statement-dispute-reason")) } dd { (reason) } }
        }
        @if may_act(signed) {
            div.actions {
                @match state.as_str() {
                    "DRAFT" | "DISPUTED" => { (action("submit", "statement-submit")) }
                    "SUBMITTED" => { p.muted { (tr.t("statement-four-eyes")) } (action("approve", "statement-approve")) }
                    "APPROVED" => { (action("paid", "statement-mark-paid")) }
                    _ => {}
                }
            }
        }
        p { a href=(format!("/finance/statements/{id}/export")) download { (tr.t("export-csv")) } }
        h2 { (tr.t("statement-lines")) }
        (lines.html(html! { (tr.t("statement-no-lines")) }))
    };
    layout::page_with_status(signed, status, &title, body)
}

/// The statement's own CSV export, as the API writes it.
async fn export_statement(signed: Signed, Path(id): Path<String>) -> Response {
    if !signed.may(Section::Finance) {
        return layout::not_for_role(&signed);
    }
    match signed
        .api
        .run::<CommissionStatement>(commission_statement::Variables { id: id.clone() })
        .await
    {
        Ok(data) => {
            let mut response = (
                [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
                data.commission_statement.csv,
            )
                .into_response();
            if let Ok(value) = HeaderValue::from_str(&format!(
                "attachment; filename=\"statement-{}.csv\"",
                id.replace(['"', '\\'], "")
            )) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(errors) => layout::api_error(&signed, &errors),
    }
}

async fn act(signed: Signed, Path((id, action)): Path<(String, String)>) -> Response {
    if !signed.may(Section::Finance) {
        return layout::not_for_role(&signed);
    }
    let api = &signed.api;
    let done = match action.as_str() {
        "submit" => api
            .run::<SubmitCommissionStatement>(submit_commission_statement::Variables {
                id: id.clone(),
            })
            .await
            .map(|_| ()),
        "approve" => api
            .run::<ApproveCommissionStatement>(approve_commission_statement::Variables {
                id: id.clone(),
            })
            .await
            .map(|_| ()),
        "paid" => api
            .run::<MarkCommissionStatementPaid>(mark_commission_statement_paid::Variables {
                id: id.clone(),
            })
            .await
            .map(|_| ()),
        _ => return layout::bare_error(StatusCode::NOT_FOUND, "No such action."),
    };
    match done {
        Ok(()) => layout::redirect(&format!("/finance/statements/{id}")),
        Err(errors) if errors.first().code == "NOT_FOUND" => layout::api_error(&signed, &errors),
        Err(errors) => statement_page(&signed, id, Some(errors)).await,
    }
}
