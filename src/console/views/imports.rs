//! A portfolio's CSV uploads: the form, the upload started in the background
//! (`startAccountImport`), its progress (rows read, created, updated, rejected) polled by
//! htmx until it is over, the rejected rows to download, and the portfolio's recent uploads.
//! Without script the form posts and the import's own page follows it.

use std::io::{Seek, Write};

use axum::Router;
use axum::extract::{Multipart, Path};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use graphql_client::GraphQLQuery;
use maud::{Markup, html};

use crate::console::api::scalars::*;
use crate::console::api::{ApiErrors, File};
use crate::console::components::{Cell, Table, Tone, badge, general_errors};
use crate::console::layout;
use crate::console::sections::Section;
use crate::console::viewer::Signed;
use crate::http::AppState;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/start-account-import.graphql",
    response_derives = "Debug"
)]
pub struct StartAccountImport;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/account-import.graphql",
    response_derives = "Debug"
)]
pub struct AccountImport;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/account-imports.graphql",
    response_derives = "Debug"
)]
pub struct AccountImports;

/// How many refusals the page lists; the download has every one the API kept.
const LISTED: usize = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portfolios/{id}/import", post(start))
        .route("/portfolios/{id}/imports/{import}", get(show))
        .route(
            "/portfolios/{id}/imports/{import}/rejected.csv",
            get(rejected),
        )
}

/// The upload form of a portfolio's page.
pub fn upload_form(signed: &Signed, id: &str) -> Markup {
    let tr = &signed.tr;
    let action = format!("/portfolios/{id}/import");
    html! {
        section aria-labelledby="import" {
            h2 id="import" { (tr.t("import-title")) }
            p.muted { (tr.t("import-explain")) }
            form.stack method="post" action=(action) enctype="multipart/form-data"
                hx-post=(action) hx-encoding="multipart/form-data" hx-target="#import-result"
                hx-disabled-elt="find button" data-progress {
                label { (tr.t("import-file")) input type="file" name="file" accept=".csv,text/csv" required; }
                label.check { input type="checkbox" name="atomic" value="true"; (tr.t("import-atomic")) }
                div {
                    button type="submit" { (tr.t("import-send")) }
                    span.htmx-indicator { " " progress value="0" max="100" aria-label=(tr.t("import-progress")) {} " " (tr.t("import-sending")) }
                }
            }
            div id="import-result" aria-live="polite" {}
        }
    }
}

/// The portfolio's recent uploads, newest first.
pub async fn recent(signed: &Signed, id: &str) -> Markup {
    let tr = &signed.tr;
    let format = signed.format();
    let variables = account_imports::Variables {
        portfolio_id: id.to_owned(),
        first: Some(5),
        after: None,
    };
    let imports = match signed.api.run::<AccountImports>(variables).await {
        Ok(data) => data.account_imports.edges,
        Err(errors) => return general_errors(Some(&errors), &[]),
    };
    if imports.is_empty() {
        return html! {};
    }
    let mut table = Table::new("imports")
        .column(tr.t("import-started"))
        .column(tr.t("import-file"))
        .column(tr.t("import-by"))
        .column(tr.t("import-status"))
        .numeric_column(tr.t("import-rows-read"))
        .numeric_column(tr.t("import-created"))
        .numeric_column(tr.t("import-updated"))
        .numeric_column(tr.t("import-rejected"));
    for i in imports.iter().map(|e| &e.node) {
        let (status, tone) = status_words(signed, &i.status);
        table.row(vec![
            Cell::link(
                format.datetime(i.started_at),
                format!("/portfolios/{id}/imports/{}", i.id),
            ),
            Cell::text(&i.file_name),
            Cell::text(&i.started_by),
            Cell::badge(status, tone),
            Cell::number(format.count(i.report.rows_read)),
            Cell::number(format.count(i.report.created)),
            Cell::number(format.count(i.report.updated)),
            Cell::number(format.count(i.report.rejected)),
        ]);
    }
    html! {
        h2 { (tr.t("imports-recent")) }
        (table.html(html! {}))
    }
}

fn status_words(signed: &Signed, status: &account_imports::AccountImportStatus) -> (String, Tone) {
    use account_imports::AccountImportStatus::*;
    let (key, tone) = match status {
        RUNNING => ("import-status-running", Tone::Plain),
        SUCCEEDED => ("import-status-succeeded", Tone::Good),
        FAILED => ("import-status-failed", Tone::Bad),
        Other(_) => ("import-status-unknown", Tone::Warn),
    };
    (signed.tr.t(key), tone)
}

async fn start(signed: Signed, Path(id): Path<String>, mut multipart: Multipart) -> Response {
    if !signed.may(Section::Portfolios) {
        return layout::not_for_role(&signed);
    }
    let tr = &signed.tr;
    let Ok((file, name, atomic)) = received_file(&mut multipart).await else {
        let body = html! { p.alert role="alert" { (tr.t("import-no-file")) } };
        return answer(&signed, &id, StatusCode::BAD_REQUEST, body);
    };
    let variables = start_account_import::Variables {
        portfolio_id: id.clone(),
        file: (),
        atomic: Some(atomic),
    };
    let upload = File {
        variable: "file",
        name,
        content_type: Some("text/csv".to_owned()),
        content: file,
    };
    match signed
        .api
        .run_with_file::<StartAccountImport>(variables, upload)
        .await
    {
        Ok(data) => {
            let import = data.start_account_import.id;
            if signed.htmx {
                progress(&signed, &id, &import).await
            } else {
                layout::redirect(&format!("/portfolios/{id}/imports/{import}"))
            }
        }
        Err(errors) => {
            let body = general_errors(Some(&errors), &[]);
            answer(&signed, &id, StatusCode::BAD_REQUEST, body)
        }
    }
}

async fn show(signed: Signed, Path((id, import)): Path<(String, String)>) -> Response {
    if !signed.may(Section::Portfolios) {
        return layout::not_for_role(&signed);
    }
    progress(&signed, &id, &import).await
}

/// The import as it stands: while it runs, a block that asks for itself again every
/// second (htmx) or a link to look again; once it is over, its outcome.
async fn progress(signed: &Signed, id: &str, import: &str) -> Response {
    let tr = &signed.tr;
    let format = signed.format();
    let variables = account_import::Variables {
        id: import.to_owned(),
    };
    let i = match signed.api.run::<AccountImport>(variables).await {
        Ok(data) => data.account_import,
        Err(errors) if signed.htmx => return layout::fragment(general_errors(Some(&errors), &[])),
        Err(errors) => return layout::api_error(signed, &errors),
    };
    if i.portfolio_id != id {
        return layout::api_error(
            signed,
            &ApiErrors(vec![crate::console::api::ApiError {
                message: format!("import {import} is not of portfolio {id}"),
                code: "NOT_FOUND".to_owned(),
                field: None,
            }]),
        );
    }
    use account_import::AccountImportStatus::*;
    let running = matches!(i.status, RUNNING);
    let here = format!("/portfolios/{id}/imports/{import}");
    let (headline, class) = match (&i.status, i.report.rejected > 0) {
        (RUNNING, _) => (tr.t("import-running"), "notice"),
        (SUCCEEDED, false) => (tr.t("import-done"), "notice"),
        (SUCCEEDED, true) => (tr.t("import-done-with-rejections"), "alert"),
        (FAILED | Other(_), _) => (tr.t("import-failed"), "alert"),
    };
    let report = &i.report;
    let body = html! {
        div id="import-progress" class=(class) role="status"
            hx-get=[running.then_some(here.as_str())] hx-trigger=[running.then_some("every 1s")]
            hx-swap=[running.then_some("outerHTML")] {
            p {
                strong { (headline) } " "
                (badge(&i.file_name, Tone::Plain))
                @if i.atomic { " " (badge(&tr.t("import-all-or-nothing"), Tone::Plain)) }
            }
            @if running { progress aria-label=(tr.t("import-progress")) {} }
            dl.facts {
                dt { (tr.t("import-rows-read")) } dd { (format.count(report.rows_read)) }
                dt { (tr.t("import-created")) } dd { (format.count(report.created)) }
                dt { (tr.t("import-updated")) } dd { (format.count(report.updated)) }
                dt { (tr.t("import-rejected")) } dd { (format.count(report.rejected)) }
                dt { (tr.t("import-started")) } dd { (format.datetime(i.started_at)) " · " (i.started_by) }
                @if let Some(at) = i.finished_at { dt { (tr.t("import-finished")) } dd { (format.datetime(at)) } }
            }
            @if let Some(failure) = &i.failure { p { (failure) } }
            @if running {
                p.muted { a href=(here) { (tr.t("import-look-again")) } }
            }
            @if i.rejected_rows_csv.is_some() {
                p { a.button href=(format!("{here}/rejected.csv")) download="rejected-rows.csv" { (tr.t("import-download-rejected")) } }
            }
            @if !report.errors.is_empty() {
                table {
                    thead { tr { th scope="col" { (tr.t("import-row")) } th scope="col" { (tr.t("import-field")) } th scope="col" { (tr.t("import-reason")) } } }
                    tbody {
                        @for e in report.errors.iter().take(LISTED) {
                            tr { td.num { (format.count(e.row)) } td { (e.field.as_deref().unwrap_or("")) } td { (e.message) } }
                        }
                    }
                }
                @if report.error_count > LISTED as i64 {
                    p.muted { (tr.args("import-more-errors", &[("count", crate::i18n::arg(format.count(report.error_count - LISTED as i64)))])) }
                }
            }
        }
    };
    answer(signed, id, StatusCode::OK, body)
}

/// The rows the import refused, as the CSV file the API keeps: the lender's own rows as
/// sent (not neutralised for spreadsheets, so that the fixed file imports the same).
async fn rejected(signed: Signed, Path((_, import)): Path<(String, String)>) -> Response {
    if !signed.may(Section::Portfolios) {
        return layout::not_for_role(&signed);
    }
    let variables = account_import::Variables { id: import };
    let csv = match signed.api.run::<AccountImport>(variables).await {
        Ok(data) => data.account_import.rejected_rows_csv,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    let Some(csv) = csv else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"rejected-rows.csv\""),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// For htmx, the block alone; for a browser without script, the block on a page.
fn answer(signed: &Signed, id: &str, status: StatusCode, body: Markup) -> Response {
    let tr = &signed.tr;
    if signed.htmx {
        // htmx swaps only 2xx answers by default: a refusal is shown, not dropped.
        return layout::fragment(body);
    }
    let body = html! {
        (body)
        p { a href=(format!("/portfolios/{id}")) { (tr.t("portfolios-back-to-portfolio")) } }
    };
    layout::page_with_status(signed, status, &tr.t("import-title"), body)
}

/// The file field of an upload, written to a temporary file as it arrives, and whether
/// the form asked for all or nothing.
pub async fn received_file(
    multipart: &mut Multipart,
) -> Result<(std::fs::File, String, bool), String> {
    let mut file = None;
    let mut atomic = false;
    while let Some(mut part) = multipart.next_field().await.map_err(|e| e.body_text())? {
        match part.name() {
            Some("file") => {
                let name = part.file_name().unwrap_or("accounts.csv").to_owned();
                let mut temp = tempfile::tempfile().map_err(|e| e.to_string())?;
                while let Some(chunk) = part.chunk().await.map_err(|e| e.body_text())? {
                    temp.write_all(&chunk).map_err(|e| e.to_string())?;
                }
                temp.rewind().map_err(|e| e.to_string())?;
                file = Some((temp, name));
            }
            Some("atomic") => atomic = part.text().await.map_err(|e| e.body_text())? == "true",
            _ => {}
        }
    }
    let (file, name) = file.ok_or_else(|| "no file".to_owned())?;
    Ok((file, name, atomic))
}
