//! One reconciliation run: its lines by class, the exceptions still to work (agency-only,
//! ledger-only, amount mismatches), and for finance a form on each to resolve it with a
//! decision that fits the line and a note (`resolveReconciliationItem`).

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
    Cell, Table, Tone, badge, general_errors, table_tools, wants_csv,
};
use crate::console::forms::{chosen, enum_of, filled};
use crate::console::layout;
use crate::console::sections::Section;
use crate::console::viewer::Signed;
use crate::console::views::finance::{may_act, summary_words};
use crate::http::AppState;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/finance.graphql",
    response_derives = "Debug"
)]
pub struct ReconciliationRun;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/finance.graphql",
    response_derives = "Debug"
)]
pub struct ResolveReconciliationItem;

const CLASSES: [&str; 5] = [
    "MATCHED",
    "AGENCY_ONLY",
    "LEDGER_ONLY",
    "AMOUNT_MISMATCH",
    "REVERSED",
];

const RESOLUTIONS: [&str; 6] = [
    "AGENCY_TO_REMIT",
    "AGENCY_REPORT_CORRECTED",
    "LEDGER_CORRECTED",
    "ATTRIBUTION_CONFIRMED",
    "NOT_AN_AGENCY_RECOVERY",
    "WRITTEN_OFF",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/finance/reconciliations/{id}", get(show))
        .route(
            "/finance/reconciliations/{id}/items/{item}/resolve",
            post(resolve),
        )
}

#[derive(Default, Deserialize)]
struct LinesQuery {
    class: Option<String>,
    /// `true`: the exceptions still to resolve.
    open: Option<String>,
    format: Option<String>,
}

impl LinesQuery {
    fn class(&self) -> Option<&'static str> {
        chosen(&self.class, &CLASSES)
    }

    fn open(&self) -> bool {
        filled(&self.open).is_some_and(|v| v == "true")
    }
}

/// The query of the tab a page shows (`?open=true`, `?class=…` or none), for a form on it
/// to come back to.
fn tab_query(query: &LinesQuery) -> String {
    match (query.class(), query.open()) {
        (_, true) => "?open=true".to_owned(),
        (Some(c), false) => format!("?class={c}"),
        (None, false) => String::new(),
    }
}

async fn show(signed: Signed, Path(id): Path<String>, Query(query): Query<LinesQuery>) -> Response {
    page(&signed, &id, query, None).await
}

fn resolution_key(name: &str) -> &'static str {
    match name {
        "AGENCY_TO_REMIT" => "resolution-agency-to-remit",
        "AGENCY_REPORT_CORRECTED" => "resolution-agency-report-corrected",
        "LEDGER_CORRECTED" => "resolution-ledger-corrected",
        "ATTRIBUTION_CONFIRMED" => "resolution-attribution-confirmed",
        "NOT_AN_AGENCY_RECOVERY" => "resolution-not-an-agency-recovery",
        "WRITTEN_OFF" => "resolution-written-off",
        _ => "resolution-unknown",
    }
}

async fn page(signed: &Signed, id: &str, query: LinesQuery, errors: Option<ApiErrors>) -> Response {
    if !signed.may(Section::Finance) {
        return layout::not_for_role(signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let (class, open) = (query.class(), query.open());
    let run = match signed
        .api
        .run::<ReconciliationRun>(reconciliation_run::Variables {
            id: id.to_owned(),
            class: class.and_then(enum_of),
            open: open.then_some(true),
        })
        .await
    {
        Ok(data) => data.reconciliation_run,
        Err(errors) => return layout::api_error(signed, &errors),
    };
    let mut items = Table::new(format!("reconciliation-{id}"))
        .column(tr.t("reconciliation-class"))
        .column(tr.t("line-account"))
        .numeric_column(tr.t("reconciliation-reported"))
        .numeric_column(tr.t("reconciliation-received"))
        .column(tr.t("reconciliation-detail"))
        .column(tr.t("reconciliation-resolution"));
    let back = tab_query(&query);
    for i in &run.items {
        let class = format!("{:?}", i.class);
        let tone = if class == "MATCHED" {
            Tone::Good
        } else {
            Tone::Bad
        };
        let resolution = match &i.resolution {
            Some(r) => {
                let words = tr.t(resolution_key(&format!("{r:?}")));
                let by = i.resolved_by.as_deref().unwrap_or_default();
                let at = i
                    .resolved_at
                    .map(|at| format.datetime(at))
                    .unwrap_or_default();
                let note = i.resolution_note.as_deref().unwrap_or_default();
                let text = format!("{words}: {note} ({by}, {at})");
                let shown = html! {
                    (badge(&words, Tone::Good)) " " (note) br; small.muted { (by) " · " (at) }
                    @if may_act(signed) { (resolve_form(signed, id, &i.id, &i.resolutions, &back, true)) }
                };
                Cell {
                    action: Some(shown),
                    ..Cell::text(text)
                }
            }
            None if i.open && may_act(signed) => Cell::action(resolve_form(
                signed,
                id,
                &i.id,
                &i.resolutions,
                &back,
                false,
            )),
            None if i.open => Cell::badge(tr.t("reconciliation-open"), Tone::Warn),
            None => Cell::text(""),
        };
        items.row(vec![
            Cell::badge(class.clone(), tone),
            Cell::text(&i.account_id),
            Cell::number(format.money(i.reported.amount, &i.reported.currency)),
            Cell::number(format.money(i.received.amount, &i.received.currency)),
            Cell::text(&i.detail),
            resolution,
        ]);
    }
    if wants_csv(query.format.as_deref()) {
        return items.csv();
    }
    let title = tr.args(
        "reconciliation-title",
        &[(
            "period",
            crate::i18n::arg(format!(
                "{} – {}",
                format.date(run.period_start),
                format.date(run.period_end)
            )),
        )],
    );
    let here = format!("/finance/reconciliations/{id}");
    let status = if errors.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = html! {
        p { a href=(Section::Finance.path()) { (tr.t("finance-back")) } }
        p { (summary_words(&run.summary)) }
        (general_errors(errors.as_ref(), &[]))
        nav.tabs aria-label=(tr.t("reconciliation-class")) {
            a href=(here) aria-current=[(class.is_none() && !open).then_some("page")] { (tr.t("reconciliation-all")) }
            " "
            a href=(format!("{here}?open=true")) aria-current=[open.then_some("page")] { (tr.t("reconciliation-to-resolve")) }
            @for c in CLASSES {
                " "
                a href=(format!("{here}?class={c}")) aria-current=[(!open && class == Some(c)).then_some("page")] { (c) }
            }
        }
        (table_tools(tr, &signed.path, false, None))
        (items.html(html! { (tr.t(if open { "reconciliation-nothing-open" } else { "reconciliation-no-items" })) }))
    };
    layout::page_with_status(signed, status, &title, body)
}

/// The form that resolves one exception: a decision that fits it, and why. For a line
/// resolved already, folded under "change".
fn resolve_form<R: std::fmt::Debug>(
    signed: &Signed,
    run: &str,
    item: &str,
    fitting: &[R],
    back: &str,
    resolved: bool,
) -> Markup {
    let tr = &signed.tr;
    let form = html! {
        form.stack method="post" action=(format!("/finance/reconciliations/{run}/items/{item}/resolve{back}")) {
            label { (tr.t("reconciliation-resolution"))
                select name="resolution" required {
                    @for r in fitting {
                        @let name = format!("{r:?}");
                        option value=(name) { (tr.t(resolution_key(&name))) }
                    }
                }
            }
            label { (tr.t("reconciliation-note")) input type="text" name="note" required maxlength="2000"; }
            div { button.secondary type="submit" { (tr.t("reconciliation-resolve")) } }
        }
    };
    if resolved {
        html! { details { summary { (tr.t("reconciliation-change")) } (form) } }
    } else {
        form
    }
}

#[derive(Deserialize)]
struct ResolveForm {
    resolution: Option<String>,
    note: Option<String>,
}

async fn resolve(
    signed: Signed,
    Path((id, item)): Path<(String, String)>,
    Query(query): Query<LinesQuery>,
    Form(form): Form<ResolveForm>,
) -> Response {
    if !signed.may(Section::Finance) {
        return layout::not_for_role(&signed);
    }
    let Some(resolution) = chosen(&form.resolution, &RESOLUTIONS).and_then(enum_of) else {
        return layout::bare_error(StatusCode::BAD_REQUEST, "Choose a resolution offered.");
    };
    let variables = resolve_reconciliation_item::Variables {
        input: resolve_reconciliation_item::ResolveReconciliationItemInput {
            item_id: item,
            resolution,
            note: form.note.unwrap_or_default(),
        },
    };
    match signed.api.run::<ResolveReconciliationItem>(variables).await {
        Ok(_) => layout::redirect(&format!(
            "/finance/reconciliations/{id}{}",
            tab_query(&query)
        )),
        Err(errors) if matches!(errors.first().code.as_str(), "NOT_FOUND" | "FORBIDDEN") => {
            layout::api_error(&signed, &errors)
        }
        Err(errors) => page(&signed, &id, query, Some(errors)).await,
    }
}
