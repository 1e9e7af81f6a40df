//! Placements and recall: every placement, filtered by agency, portfolio, status, level
//! and due-back day, those soon due back marked; choose some and recall them, after a
//! preview of exactly what will be recalled.

use axum::Router;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Duration;
use graphql_client::GraphQLQuery;
use maud::html;
use serde::Deserialize;

use crate::console::api::scalars::*;
use crate::console::components::{
    Cell, Table, Tone, field, general_errors, table_tools, wants_csv,
};
use crate::console::forms::{chosen, enum_of, filled};
use crate::console::layout;
use crate::console::sections::Section;
use crate::console::viewer::{Role, Signed};
use crate::console::views::agencies::{Agencies, agencies};
use crate::console::views::portfolios::{Portfolios, portfolios};
use crate::http::AppState;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/placements.graphql",
    response_derives = "Debug"
)]
pub struct Placements;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/recall-placements.graphql",
    response_derives = "Debug"
)]
pub struct RecallPlacements;

const STATUSES: [&str; 4] = ["ACTIVE", "RECALLED", "RETURNED", "PAID"];
const LEVELS: [&str; 4] = ["PRIMARY", "SECONDARY", "TERTIARY", "LEGAL"];
/// Placements due back within this many days are marked (a recall is coming).
const WARNING_DAYS: i64 = 7;
/// At most this many placements are recalled from one page.
const MAX_RECALL: usize = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(Section::Placements.path(), get(list))
        .route("/placements/recall-preview", post(preview))
        .route("/placements/recall", post(recall))
}

fn may_recall(signed: &Signed) -> bool {
    matches!(signed.role, Role::ADMIN | Role::VENDOR_MANAGER)
}

#[derive(Deserialize, Default)]
struct ListQuery {
    agency: Option<String>,
    portfolio: Option<String>,
    status: Option<String>,
    level: Option<String>,
    #[serde(rename = "dueBy")]
    due_by: Option<String>,
    after: Option<String>,
    format: Option<String>,
}

async fn list(signed: Signed, Query(query): Query<ListQuery>) -> Response {
    if !signed.may(Section::Placements) {
        return layout::not_for_role(&signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let status = chosen(&query.status, &STATUSES);
    let level = chosen(&query.level, &LEVELS);
    let due_by = filled(&query.due_by).and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    let variables = placements::Variables {
        filter: Some(placements::PlacementsFilter {
            agency_id: filled(&query.agency),
            status: status.and_then(enum_of).map(|s| vec![s]),
            portfolio_id: filled(&query.portfolio),
            level: level.and_then(enum_of),
            due_back_by: due_by,
            ..filter_none()
        }),
        first: Some(100),
        after: query.after.clone(),
    };
    let data = match signed.api.run::<Placements>(variables).await {
        Ok(data) => data.placements,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    let agencies = signed
        .api
        .run::<Agencies>(agencies::Variables {
            filter: None,
            first: Some(100),
            after: None,
        })
        .await
        .map(|d| {
            d.agencies
                .edges
                .into_iter()
                .map(|e| (e.node.id, e.node.code))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let portfolios = signed
        .api
        .run::<Portfolios>(portfolios::Variables {
            first: Some(100),
            after: None,
        })
        .await
        .map(|d| {
            d.portfolios
                .edges
                .into_iter()
                .map(|e| (e.node.id, e.node.code))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let today = signed.today();
    let selectable = may_recall(&signed);
    let mut table = Table::new("placements");
    if selectable {
        table = table.column(tr.t("placements-choose"));
    }
    table = table
        .column(tr.t("account-reference"))
        .column(tr.t("allocation-agency"))
        .column(tr.t("strategy-level"))
        .column(tr.t("placement-status"))
        .column(tr.t("placement-placed"))
        .column(tr.t("placement-due-back"))
        .numeric_column(tr.t("account-outstanding"));
    for p in data.edges.iter().map(|e| &e.node) {
        let active = format!("{:?}", p.status) == "ACTIVE";
        let soon = active && p.due_back_on <= today + Duration::days(WARNING_DAYS);
        let mut row = Vec::new();
        if selectable {
            row.push(if active {
                Cell::action(html! {
                    input type="checkbox" name="ids" value=(p.id) form="recall" aria-label=(tr.args("placements-choose-one", &[("id", crate::i18n::arg(p.id.as_str()))]));
                })
            } else {
                Cell::text("")
            });
        }
        let due = format.date(p.due_back_on);
        row.extend([
            Cell::text(
                p.account
                    .as_ref()
                    .map_or("", |a| a.lender_reference.as_str()),
            ),
            Cell::text(&p.agency.code),
            Cell::text(format!("{:?}", p.level)),
            Cell::text(format!("{:?}", p.status)),
            Cell::text(format.date(p.placed_at.with_timezone(&signed.tz).date_naive())),
            if soon {
                Cell::badge(
                    tr.args("placements-due-soon", &[("day", crate::i18n::arg(due))]),
                    Tone::Warn,
                )
            } else {
                Cell::text(due)
            },
            Cell::number(
                p.account
                    .as_ref()
                    .map(|a| format.money(a.outstanding.amount, &a.outstanding.currency))
                    .unwrap_or_default(),
            ),
        ]);
        table.row(row);
    }
    if wants_csv(query.format.as_deref()) {
        return table.csv();
    }
    let selected = |value: &Option<String>, id: &str| value.as_deref() == Some(id);
    let body = html! {
        form.inline method="get" action=(Section::Placements.path()) role="search" {
            label { (tr.t("allocation-agency"))
                select name="agency" {
                    option value="" { (tr.t("incident-any")) }
                    @for (id, code) in &agencies { option value=(id) selected[selected(&query.agency, id)] { (code) } }
                }
            }
            label { (tr.t("allocation-portfolio"))
                select name="portfolio" {
                    option value="" { (tr.t("incident-any")) }
                    @for (id, code) in &portfolios { option value=(id) selected[selected(&query.portfolio, id)] { (code) } }
                }
            }
            label { (tr.t("placement-status"))
                select name="status" {
                    option value="" { (tr.t("incident-any")) }
                    @for s in STATUSES { option value=(s) selected[status == Some(s)] { (s) } }
                }
            }
            label { (tr.t("strategy-level"))
                select name="level" {
                    option value="" { (tr.t("incident-any")) }
                    @for l in LEVELS { option value=(l) selected[level == Some(l)] { (l) } }
                }
            }
            label { (tr.t("placements-due-by")) input type="date" name="dueBy" value=[due_by.map(|d| d.to_string())]; }
            button.secondary type="submit" { (tr.t("accounts-filter")) }
        }
        (table_tools(tr, &signed.path, data.page_info.has_next_page, data.page_info.end_cursor.as_deref()))
        (table.html(html! { (tr.t("placements-empty")) }))
        @if selectable && !data.edges.is_empty() {
            form id="recall" method="post" action="/placements/recall-preview" {
                button type="submit" { (tr.t("placements-preview-recall")) }
            }
        }
    };
    layout::page(&signed, &tr.t("placements-title"), body)
}

/// The form's values of `key` (checkboxes repeat it).
fn values(body: &Bytes, key: &str) -> Vec<String> {
    url::form_urlencoded::parse(body)
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .collect()
}

async fn preview(signed: Signed, body: Bytes) -> Response {
    if !signed.may(Section::Placements) || !may_recall(&signed) {
        return layout::not_for_role(&signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let ids = values(&body, "ids");
    if ids.is_empty() || ids.len() > MAX_RECALL {
        let body = html! {
            p.alert role="alert" { (tr.args("placements-choose-between", &[("most", crate::i18n::arg(MAX_RECALL.to_string()))])) }
            p { a href=(Section::Placements.path()) { (tr.t("placements-back")) } }
        };
        return layout::page_with_status(
            &signed,
            StatusCode::BAD_REQUEST,
            &tr.t("placements-recall-title"),
            body,
        );
    }
    // What would be recalled: each chosen placement, read back through the API.
    let mut table = Table::new("recall-preview")
        .column(tr.t("account-reference"))
        .column(tr.t("allocation-agency"))
        .column(tr.t("placement-status"))
        .numeric_column(tr.t("account-outstanding"));
    let found = match placements_by_id(&signed, &ids).await {
        Ok(found) => found,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    for p in &found {
        table.row(vec![
            Cell::text(
                p.account
                    .as_ref()
                    .map_or("", |a| a.lender_reference.as_str()),
            ),
            Cell::text(&p.agency.code),
            Cell::text(format!("{:?}", p.status)),
            Cell::number(
                p.account
                    .as_ref()
                    .map(|a| format.money(a.outstanding.amount, &a.outstanding.currency))
                    .unwrap_or_default(),
            ),
        ]);
    }
    let body = html! {
        p { (tr.args("placements-will-recall", &[("count", crate::i18n::arg(format.count(found.len() as i64)))])) }
        (table.html(html! { (tr.t("placements-none-active")) }))
        @if !found.is_empty() {
            form.stack method="post" action="/placements/recall" {
                @for p in &found { input type="hidden" name="ids" value=(p.id); }
                (field(&tr.t("placements-reason"), "reason", html! { input type="text" name="reason" required maxlength="500"; }, None))
                div {
                    button.danger type="submit" { (tr.t("placements-recall")) }
                    " "
                    a.button.secondary href=(Section::Placements.path()) { (tr.t("placements-back")) }
                }
            }
        }
    };
    layout::page(&signed, &tr.t("placements-recall-title"), body)
}

/// The ACTIVE placements among `ids`, read back through the API.
async fn placements_by_id(
    signed: &Signed,
    ids: &[String],
) -> Result<Vec<placements::PlacementsPlacementsEdgesNode>, crate::console::api::ApiErrors> {
    let variables = placements::Variables {
        filter: Some(placements::PlacementsFilter {
            ids: Some(ids.to_vec()),
            status: Some(vec![placements::PlacementStatus::ACTIVE]),
            ..filter_none()
        }),
        first: Some(MAX_RECALL as i64),
        after: None,
    };
    Ok(signed
        .api
        .run::<Placements>(variables)
        .await?
        .placements
        .edges
        .into_iter()
        .map(|e| e.node)
        .collect())
}

fn filter_none() -> placements::PlacementsFilter {
    placements::PlacementsFilter {
        ids: None,
        agency_id: None,
        account_id: None,
        status: None,
        changed_since: None,
        portfolio_id: None,
        level: None,
        due_back_by: None,
    }
}

async fn recall(signed: Signed, body: Bytes) -> Response {
    if !signed.may(Section::Placements) {
        return layout::not_for_role(&signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let ids = values(&body, "ids");
    let reason = values(&body, "reason")
        .into_iter()
        .next()
        .unwrap_or_default();
    let variables = recall_placements::Variables {
        input: recall_placements::RecallPlacementsInput {
            ids: Some(ids),
            agency_id: None,
            portfolio_id: None,
            reason,
        },
    };
    match signed.api.run::<RecallPlacements>(variables).await {
        Ok(data) => {
            let done = data.recall_placements;
            let body = html! {
                p.notice role="status" { (tr.args("placements-recalled", &[("count", crate::i18n::arg(format.count(done.count)))])) }
                p { a href=(Section::Placements.path()) { (tr.t("placements-back")) } }
            };
            layout::page(&signed, &tr.t("placements-recall-title"), body)
        }
        Err(errors) => {
            let body = html! {
                (general_errors(Some(&errors), &[]))
                p { a href=(Section::Placements.path()) { (tr.t("placements-back")) } }
            };
            layout::page_with_status(
                &signed,
                StatusCode::BAD_REQUEST,
                &tr.t("placements-recall-title"),
                body,
            )
        }
    }
}
