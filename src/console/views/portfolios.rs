//! Portfolios and intake: the portfolios, a new one, a portfolio's accounts with search
//! and filters, and the CSV upload that shows its progress and hands back the rejected
//! rows as a CSV file of their own.

use std::io::{Seek, Write};

use axum::Form;
use axum::Router;
use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine;
use graphql_client::GraphQLQuery;
use maud::{Markup, html};
use serde::Deserialize;

use crate::console::api::scalars::*;
use crate::console::api::{ApiErrors, File};
use crate::console::components::{
    Cell, Table, Tone, field, general_errors, table_tools, wants_csv,
};
use crate::console::forms::filled;
use crate::console::layout;
use crate::console::sections::Section;
use crate::console::viewer::{Role, Signed};
use crate::console::views::work::flag_key;
use crate::http::AppState;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/portfolios.graphql",
    response_derives = "Debug"
)]
pub struct Portfolios;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/portfolio.graphql",
    response_derives = "Debug"
)]
pub struct Portfolio;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/create-portfolio.graphql",
    response_derives = "Debug"
)]
pub struct CreatePortfolio;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/accounts.graphql",
    response_derives = "Debug"
)]
pub struct Accounts;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/import-accounts-csv.graphql",
    response_derives = "Debug"
)]
pub struct ImportAccountsCsv;

const PRODUCTS: [(&str, &str); 5] = [
    ("CARD", "product-card"),
    ("INSTALMENT_LOAN", "product-instalment-loan"),
    ("BNPL", "product-bnpl"),
    ("AUTO", "product-auto"),
    ("OTHER", "product-other"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(Section::Portfolios.path(), get(list).post(create))
        .route("/portfolios/{id}", get(show))
        .route("/portfolios/{id}/import", post(import))
}

/// Whether the viewer may change portfolios (the API decides; this only hides forms
/// that would be refused).
fn may_change(signed: &Signed) -> bool {
    matches!(signed.role, Role::ADMIN | Role::VENDOR_MANAGER)
}

#[derive(Deserialize)]
struct ListQuery {
    after: Option<String>,
    format: Option<String>,
}

async fn list(signed: Signed, Query(query): Query<ListQuery>) -> Response {
    list_page(&signed, query, None).await
}

async fn list_page(signed: &Signed, query: ListQuery, errors: Option<ApiErrors>) -> Response {
    if !signed.may(Section::Portfolios) {
        return layout::not_for_role(signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let data = match signed
        .api
        .run::<Portfolios>(portfolios::Variables {
            first: Some(50),
            after: query.after,
        })
        .await
    {
        Ok(data) => data.portfolios,
        Err(errors) => return layout::api_error(signed, &errors),
    };
    let mut table = Table::new("portfolios")
        .column(tr.t("portfolio-code"))
        .column(tr.t("portfolio-name"))
        .column(tr.t("portfolio-currency"))
        .column(tr.t("portfolio-created"));
    for p in data.edges.iter().map(|e| &e.node) {
        table.row(vec![
            Cell::link(&p.code, format!("/portfolios/{}", p.id)),
            Cell::text(&p.name),
            Cell::text(&p.currency),
            Cell::text(format.datetime(p.created_at)),
        ]);
    }
    if wants_csv(query.format.as_deref()) {
        return table.csv();
    }
    let status = if errors.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let errors = errors.as_ref();
    let body = html! {
        (table_tools(tr, &signed.path, data.page_info.has_next_page, data.page_info.end_cursor.as_deref()))
        (table.html(html! { (tr.t("portfolios-empty")) }))
        @if may_change(signed) {
            h2 { (tr.t("portfolio-new")) }
            form.inline method="post" action=(Section::Portfolios.path()) {
                (field(&tr.t("portfolio-code"), "code", html! { input type="text" name="code" required maxlength="64"; }, errors))
                (field(&tr.t("portfolio-name"), "name", html! { input type="text" name="name" required maxlength="200"; }, errors))
                (field(&tr.t("portfolio-currency"), "currency", html! { input type="text" name="currency" required maxlength="3" minlength="3" value="USD"; }, errors))
                button type="submit" { (tr.t("portfolio-create")) }
            }
            (general_errors(errors, &["code", "name", "currency"]))
        }
    };
    layout::page_with_status(signed, status, &tr.t("portfolios-title"), body)
}

#[derive(Deserialize)]
struct CreateForm {
    code: String,
    name: String,
    currency: String,
}

async fn create(signed: Signed, Form(form): Form<CreateForm>) -> Response {
    let variables = create_portfolio::Variables {
        input: create_portfolio::CreatePortfolioInput {
            code: form.code,
            name: form.name,
            currency: form.currency.trim().to_uppercase(),
        },
    };
    match signed.api.run::<CreatePortfolio>(variables).await {
        Ok(data) => layout::redirect(&format!("/portfolios/{}", data.create_portfolio.id)),
        Err(errors) => {
            let query = ListQuery {
                after: None,
                format: None,
            };
            list_page(&signed, query, Some(errors)).await
        }
    }
}

#[derive(Deserialize)]
struct AccountsQuery {
    after: Option<String>,
    format: Option<String>,
    region: Option<String>,
    product: Option<String>,
    reference: Option<String>,
}

fn product_of(value: &str) -> Option<accounts::Product> {
    use accounts::Product::*;
    Some(match value {
        "CARD" => CARD,
        "INSTALMENT_LOAN" => INSTALMENT_LOAN,
        "BNPL" => BNPL,
        "AUTO" => AUTO,
        "OTHER" => OTHER,
        _ => return None,
    })
}

async fn show(
    signed: Signed,
    Path(id): Path<String>,
    Query(query): Query<AccountsQuery>,
) -> Response {
    if !signed.may(Section::Portfolios) {
        return layout::not_for_role(&signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let portfolio = match signed
        .api
        .run::<Portfolio>(portfolio::Variables { id: id.clone() })
        .await
    {
        Ok(data) => data.portfolio,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    let product = filled(&query.product);
    let variables = accounts::Variables {
        filter: Some(accounts::AccountsFilter {
            portfolio_id: Some(id.clone()),
            region: filled(&query.region),
            product: product.as_deref().and_then(product_of),
            lender_reference: filled(&query.reference),
        }),
        first: Some(50),
        after: query.after.clone(),
    };
    let data = match signed.api.run::<Accounts>(variables).await {
        Ok(data) => data.accounts,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    let mut table = Table::new(format!("accounts-{}", portfolio.code))
        .column(tr.t("account-reference"))
        .column(tr.t("debtor-name"))
        .column(tr.t("debtor-region"))
        .column(tr.t("account-product"))
        .numeric_column(tr.t("account-days-past-due"))
        .numeric_column(tr.t("account-outstanding"))
        .column(tr.t("account-flags"))
        .column(tr.t("account-placed-with"));
    for a in data.edges.iter().map(|e| &e.node) {
        let flags: Vec<String> = a.flags.iter().map(|f| tr.t(flag_key(f))).collect();
        table.row(vec![
            Cell::link(
                &a.lender_reference,
                format!("/compliance/accounts/{}", a.id),
            ),
            Cell::text(&a.debtor.name),
            Cell::text(&a.debtor.region),
            Cell::text(product_label(&signed, &format!("{:?}", a.product))),
            Cell::number(format.count(a.days_past_due)),
            Cell::number(format.money(a.outstanding.amount, &a.outstanding.currency)),
            if flags.is_empty() {
                Cell::text("")
            } else {
                Cell::badge(flags.join(", "), Tone::Bad)
            },
            Cell::text(
                a.active_placement
                    .as_ref()
                    .map_or_else(|| tr.t("account-unplaced"), |p| p.agency.code.clone()),
            ),
        ]);
    }
    if wants_csv(query.format.as_deref()) {
        return table.csv();
    }
    let title = tr.args(
        "portfolio-title",
        &[("code", crate::i18n::arg(portfolio.code.as_str()))],
    );
    let body = html! {
        p { a href=(Section::Portfolios.path()) { (tr.t("portfolios-back")) } }
        dl.facts {
            dt { (tr.t("portfolio-name")) } dd { (portfolio.name) }
            dt { (tr.t("portfolio-currency")) } dd { (portfolio.currency) }
        }
        @if may_change(&signed) { (upload_form(&signed, &id)) }
        h2 { (tr.t("accounts-title")) }
        form.inline method="get" action=(format!("/portfolios/{id}")) role="search" {
            label { (tr.t("accounts-search-reference")) input type="search" name="reference" value=[query.reference.as_deref()] maxlength="100"; }
            label { (tr.t("debtor-region")) input type="text" name="region" value=[query.region.as_deref()] maxlength="16" placeholder="US-TX"; }
            label { (tr.t("account-product"))
                select name="product" {
                    option value="" { (tr.t("accounts-any-product")) }
                    @for (value, key) in PRODUCTS { option value=(value) selected[product.as_deref() == Some(value)] { (tr.t(key)) } }
                }
            }
            button.secondary type="submit" { (tr.t("accounts-filter")) }
        }
        (table_tools(tr, &signed.path, data.page_info.has_next_page, data.page_info.end_cursor.as_deref()))
        (table.html(html! { (tr.t("accounts-empty")) }))
    };
    layout::page(&signed, &title, body)
}

fn product_label(signed: &Signed, product: &str) -> String {
    PRODUCTS
        .iter()
        .find(|(value, _)| *value == product)
        .map_or_else(|| product.to_owned(), |(_, key)| signed.tr.t(key))
}

fn upload_form(signed: &Signed, id: &str) -> Markup {
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
                    span.htmx-indicator { " " progress value="0" max="100" aria-label=(tr.t("import-progress")) {} " " (tr.t("import-running")) }
                }
            }
            div id="import-result" aria-live="polite" {}
        }
    }
}

/// The file field of an upload, written to a temporary file as it arrives.
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

async fn import(signed: Signed, Path(id): Path<String>, mut multipart: Multipart) -> Response {
    if !signed.may(Section::Portfolios) {
        return layout::not_for_role(&signed);
    }
    let tr = &signed.tr;
    let (file, name, atomic) = match received_file(&mut multipart).await {
        Ok(received) => received,
        Err(_) => {
            let body = html! { p.alert role="alert" { (tr.t("import-no-file")) } };
            return import_answer(&signed, &id, StatusCode::BAD_REQUEST, body);
        }
    };
    let copy = match file.try_clone() {
        Ok(copy) => copy,
        Err(err) => {
            tracing::error!(error = %err, "an upload's temporary file cannot be reopened");
            return layout::api_error(
                &signed,
                &ApiErrors(vec![crate::console::api::ApiError::internal(
                    "temporary file",
                )]),
            );
        }
    };
    let variables = import_accounts_csv::Variables {
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
    let report = match signed
        .api
        .run_with_file::<ImportAccountsCsv>(variables, upload)
        .await
    {
        Ok(data) => data.import_accounts_csv,
        Err(errors) => {
            let body = general_errors(Some(&errors), &[]);
            return import_answer(&signed, &id, StatusCode::BAD_REQUEST, body);
        }
    };
    let format = signed.format();
    let rejected_rows: Vec<(i64, String)> = report
        .errors
        .iter()
        .map(|e| {
            let message = match &e.field {
                Some(field) => format!("{field}: {}", e.message),
                None => e.message.clone(),
            };
            (e.row, message)
        })
        .collect();
    let download = rejected_csv(copy, &rejected_rows);
    let body = html! {
        div class=(if report.rejected > 0 { "alert" } else { "notice" }) role="status" {
            p { strong { (tr.t("import-done")) } }
            dl.facts {
                dt { (tr.t("import-rows-read")) } dd { (format.count(report.rows_read)) }
                dt { (tr.t("import-created")) } dd { (format.count(report.created)) }
                dt { (tr.t("import-updated")) } dd { (format.count(report.updated)) }
                dt { (tr.t("import-rejected")) } dd { (format.count(report.rejected)) }
            }
            @if let Some(csv) = download {
                p { a.button href=(format!("data:text/csv;charset=utf-8;base64,{csv}")) download="rejected-rows.csv" { (tr.t("import-download-rejected")) } }
            }
            @if report.error_count > 0 {
                table {
                    thead { tr { th scope="col" { (tr.t("import-row")) } th scope="col" { (tr.t("import-field")) } th scope="col" { (tr.t("import-reason")) } } }
                    tbody {
                        @for e in report.errors.iter().take(20) {
                            tr { td.num { (e.row) } td { (e.field.as_deref().unwrap_or("")) } td { (e.message) } }
                        }
                    }
                }
                @if report.error_count > 20 {
                    p.muted { (tr.args("import-more-errors", &[("count", crate::i18n::arg(format.count(report.error_count - 20)))])) }
                }
            }
        }
    };
    let status = if report.rejected > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    import_answer(&signed, &id, status, body)
}

/// For htmx, the outcome alone; for a browser without script, the outcome on a page.
fn import_answer(signed: &Signed, id: &str, status: StatusCode, body: Markup) -> Response {
    let tr = &signed.tr;
    let mut response = if signed.htmx {
        layout::fragment(body)
    } else {
        let body = html! {
            (body)
            p { a href=(format!("/portfolios/{id}")) { (tr.t("portfolios-back-to-portfolio")) } }
        };
        layout::page(signed, &tr.t("import-title"), body)
    };
    // htmx swaps only 2xx answers by default; a refused row is news, not a failure.
    if !signed.htmx {
        *response.status_mut() = status;
    }
    response
}

/// The uploaded rows the import refused, header first, with a last column saying why,
/// as base64 for a `data:` link; `None` when it refused none.
fn rejected_csv(mut file: std::fs::File, rejected: &[(i64, String)]) -> Option<String> {
    if rejected.is_empty() {
        return None;
    }
    // The import read the file (a clone shares its offset): from the start again.
    file.rewind().ok()?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = reader.headers().ok()?.iter().map(str::to_owned).collect();
    header.push("error".to_owned());
    writer.write_record(&header).ok()?;
    let mut wanted = rejected.iter().peekable();
    for (index, record) in reader.records().enumerate() {
        let row = index as i64 + 1;
        let mut reasons = Vec::new();
        while let Some((_, message)) = wanted.next_if(|(r, _)| *r == row) {
            reasons.push(message.as_str());
        }
        if !reasons.is_empty() {
            let mut fields: Vec<String> =
                record.map_or_else(|_| Vec::new(), |r| r.iter().map(str::to_owned).collect());
            fields.push(reasons.join("; "));
            writer.write_record(&fields).ok()?;
        }
        if wanted.peek().is_none() {
            break;
        }
    }
    let bytes = writer.into_inner().ok()?;
    Some(base64::engine::general_purpose::STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rejected_rows_come_back_with_their_reasons() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"ref,name\nA,Ann\nB,Bob\nC,Cy\n").unwrap();
        file.rewind().unwrap();
        let csv = rejected_csv(
            file,
            &[(2, "name: too short".into()), (3, "ref: taken".into())],
        )
        .unwrap();
        let csv = String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(csv)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            csv,
            "ref,name,error\nB,Bob,name: too short\nC,Cy,ref: taken\n"
        );
    }

    #[test]
    fn nothing_refused_means_nothing_to_download() {
        assert_eq!(rejected_csv(tempfile::tempfile().unwrap(), &[]), None);
    }
}
