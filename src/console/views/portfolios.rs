//! Portfolios: the portfolios, a new one, and a portfolio's accounts with search and
//! filters, beside its uploads (`imports`).

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use graphql_client::GraphQLQuery;
use maud::html;
use serde::Deserialize;

use crate::console::api::ApiErrors;
use crate::console::api::scalars::*;
use crate::console::components::{
    Cell, Table, Tone, field, general_errors, table_tools, wants_csv,
};
use crate::console::forms::filled;
use crate::console::layout;
use crate::console::sections::Section;
use crate::console::viewer::{Role, Signed};
use crate::console::views::imports;
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
    let recent = imports::recent(&signed, &id).await;
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
        @if may_change(&signed) { (imports::upload_form(&signed, &id)) }
        (recent)
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
