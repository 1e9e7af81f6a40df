//! Agencies: the list with status, kinds of work, regions and capacity.

use axum::Router;
use axum::extract::Query;
use axum::response::Response;
use axum::routing::get;
use graphql_client::GraphQLQuery;
use maud::html;
use serde::Deserialize;

use crate::console::api::scalars::*;
use crate::console::components::{Cell, Table, Tone, table_tools, wants_csv};
use crate::console::layout;
use crate::console::sections::Section;
use crate::console::viewer::Signed;
use crate::http::AppState;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/agencies.graphql",
    response_derives = "Debug"
)]
pub struct Agencies;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/expiring-qualifications.graphql",
    response_derives = "Debug"
)]
pub struct ExpiringQualifications;

use agencies::AgencyStatus;

pub fn router() -> Router<AppState> {
    Router::new().route(Section::Agencies.path(), get(list))
}

#[derive(Deserialize)]
struct ListQuery {
    after: Option<String>,
    format: Option<String>,
}

fn status_key(status: &AgencyStatus) -> &'static str {
    match status {
        AgencyStatus::ONBOARDING => "agency-status-onboarding",
        AgencyStatus::ACTIVE => "agency-status-active",
        AgencyStatus::PROBATION => "agency-status-probation",
        AgencyStatus::SUSPENDED => "agency-status-suspended",
        AgencyStatus::TERMINATED => "agency-status-terminated",
        AgencyStatus::Other(_) => "agency-status-unknown",
    }
}

fn status_tone(status: &AgencyStatus) -> Tone {
    match status {
        AgencyStatus::ACTIVE => Tone::Good,
        AgencyStatus::PROBATION | AgencyStatus::ONBOARDING => Tone::Warn,
        AgencyStatus::SUSPENDED | AgencyStatus::TERMINATED => Tone::Bad,
        AgencyStatus::Other(_) => Tone::Plain,
    }
}

async fn list(signed: Signed, Query(query): Query<ListQuery>) -> Response {
    if !signed.may(Section::Agencies) {
        return layout::not_for_role(&signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let variables = agencies::Variables {
        filter: None,
        first: Some(50),
        after: query.after,
    };
    let data = match signed.api.run::<Agencies>(variables).await {
        Ok(data) => data,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    let mut table = Table::new("agencies")
        .column(tr.t("agency-code"))
        .column(tr.t("agency-name"))
        .column(tr.t("agency-status"))
        .column(tr.t("agency-kinds-of-work"))
        .column(tr.t("agency-regions"))
        .numeric_column(tr.t("agency-capacity-accounts"))
        .numeric_column(tr.t("agency-capacity-balance"));
    for edge in &data.agencies.edges {
        let agency = &edge.node;
        table.row(vec![
            Cell::link(
                &agency.code,
                format!("{}/{}", Section::Agencies.path(), agency.id),
            ),
            Cell::text(&agency.legal_name),
            Cell::badge(
                tr.t(status_key(&agency.status)),
                status_tone(&agency.status),
            ),
            Cell::text(
                agency
                    .kinds_of_work
                    .iter()
                    .map(|k| format!("{k:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Cell::text(agency.regions.join(", ")),
            Cell::number(
                agency
                    .capacity
                    .max_active_accounts
                    .map_or_else(|| tr.t("no-limit"), |n| format.count(n)),
            ),
            Cell::number(
                agency
                    .capacity
                    .max_active_balance
                    .as_ref()
                    .map_or_else(|| tr.t("no-limit"), |m| format.money(m.amount, &m.currency)),
            ),
        ]);
    }
    if wants_csv(query.format.as_deref()) {
        return table.csv();
    }
    let page_info = &data.agencies.page_info;
    let expiring = signed
        .api
        .run::<ExpiringQualifications>(expiring_qualifications::Variables {
            within_days: 30,
            first: Some(50),
            after: None,
        })
        .await
        .map(|d| d.expiring_qualifications.edges)
        .unwrap_or_default();
    layout::page(
        &signed,
        &tr.t("agencies-title"),
        html! {
            p { a href="/agencies/review" { (tr.t("review-queue-title")) " →" } }
            (table_tools(tr, &signed.path, page_info.has_next_page, page_info.end_cursor.as_deref()))
            (table.html(html! { (tr.t("agencies-empty")) }))
            h2 id="expiring" { (tr.t("overview-expiring-papers")) }
            @if expiring.is_empty() { div.empty { (tr.t("agencies-none-expiring")) } }
            @else {
                ul {
                    @for q in expiring.iter().map(|e| &e.node) {
                        li {
                            a href=(format!("{}/{}", Section::Agencies.path(), q.agency.id)) { (q.agency.code) }
                            " · " (q.qualification_type) " " (q.region.as_deref().unwrap_or(""))
                            " · " span.expiring { (q.expires_on.map(|d| format.date(d)).unwrap_or_default()) }
                        }
                    }
                }
            }
        },
    )
}
