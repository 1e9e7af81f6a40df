//! Allocation: strategies (make one, revise it, see its versions); a dry run that shows
//! the split per agency as a chart, the unplaced accounts by reason, the agencies left
//! out and why, and sample explanations; then the run for real, with an idempotency key
//! the page made, so a second press of the button replays it; the runs, each placement
//! with its explanation.

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use graphql_client::GraphQLQuery;
use maud::{Markup, html};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::console::api::ApiErrors;
use crate::console::api::scalars::*;
use crate::console::chart::{self, Bar};
use crate::console::components::{Cell, Table, field, general_errors, table_tools, wants_csv};
use crate::console::forms::{chosen, enum_of};
use crate::console::layout;
use crate::console::sections::Section;
use crate::console::viewer::{Role, Signed};
use crate::console::views::agencies::{Agencies, agencies};
use crate::console::views::portfolios::{Portfolios, portfolios};
use crate::http::AppState;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/allocation-strategies.graphql",
    response_derives = "Debug"
)]
pub struct AllocationStrategies;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/create-allocation-strategy.graphql",
    response_derives = "Debug"
)]
pub struct CreateAllocationStrategy;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/revise-allocation-strategy.graphql",
    response_derives = "Debug",
    variables_derives = "Deserialize"
)]
pub struct ReviseAllocationStrategy;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/run-allocation.graphql",
    response_derives = "Debug"
)]
pub struct RunAllocation;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/allocation-runs.graphql",
    response_derives = "Debug"
)]
pub struct AllocationRuns;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/allocation-run.graphql",
    response_derives = "Debug"
)]
pub struct AllocationRun;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(Section::Allocation.path(), get(home))
        .route("/allocation/strategies", post(create_strategy))
        .route("/allocation/strategies/{code}", post(revise_strategy))
        .route("/allocation/dry-run", post(dry_run))
        .route("/allocation/run", post(run))
        .route("/allocation/runs", get(runs))
        .route("/allocation/runs/{id}", get(run_page))
}

fn may_run(signed: &Signed) -> bool {
    matches!(signed.role, Role::ADMIN | Role::VENDOR_MANAGER)
}

const KINDS: [&str; 5] = [
    "EARLY_STAGE",
    "LATE_STAGE",
    "CHARGED_OFF",
    "LEGAL",
    "DIGITAL",
];
const LEVELS: [&str; 4] = ["PRIMARY", "SECONDARY", "TERTIARY", "LEGAL"];
const SPLITS: [&str; 3] = ["PERFORMANCE_WEIGHTED", "CHAMPION_CHALLENGER", "EQUAL"];
const PRODUCTS: [&str; 5] = ["CARD", "INSTALMENT_LOAN", "BNPL", "AUTO", "OTHER"];

/// What the allocation page needs for its forms: every strategy version, portfolio and
/// agency (the pool and the champion are chosen among them).
struct Choices {
    strategies: Vec<allocation_strategies::AllocationStrategiesAllocationStrategiesEdgesNode>,
    portfolios: Vec<portfolios::PortfoliosPortfoliosEdgesNode>,
    agencies: Vec<(String, String)>,
}

/// The agencies' (id, code), as the pool and champion fields name them.
async fn agency_codes(signed: &Signed) -> Result<Vec<(String, String)>, ApiErrors> {
    Ok(signed
        .api
        .run::<Agencies>(agencies::Variables {
            filter: None,
            first: Some(100),
            after: None,
        })
        .await?
        .agencies
        .edges
        .into_iter()
        .map(|e| (e.node.id, e.node.code))
        .collect())
}

async fn choices(signed: &Signed) -> Result<Choices, ApiErrors> {
    let strategies = signed
        .api
        .run::<AllocationStrategies>(allocation_strategies::Variables {
            active_only: false,
            first: Some(100),
            after: None,
        })
        .await?
        .allocation_strategies
        .edges
        .into_iter()
        .map(|e| e.node)
        .collect();
    let portfolios = signed
        .api
        .run::<Portfolios>(portfolios::Variables {
            first: Some(100),
            after: None,
        })
        .await?
        .portfolios
        .edges
        .into_iter()
        .map(|e| e.node)
        .collect();
    Ok(Choices {
        strategies,
        portfolios,
        agencies: agency_codes(signed).await?,
    })
}

async fn home(signed: Signed) -> Response {
    home_page(&signed, None).await
}

async fn home_page(signed: &Signed, errors: Option<(&'static str, ApiErrors)>) -> Response {
    if !signed.may(Section::Allocation) {
        return layout::not_for_role(signed);
    }
    let tr = &signed.tr;
    let choices = match choices(signed).await {
        Ok(choices) => choices,
        Err(errors) => return layout::api_error(signed, &errors),
    };
    let form_errors = |form: &str| errors.as_ref().filter(|(f, _)| *f == form).map(|(_, e)| e);
    let mut table = Table::new("allocation-strategies")
        .column(tr.t("strategy-code"))
        .numeric_column(tr.t("strategy-version"))
        .column(tr.t("strategy-name"))
        .column(tr.t("strategy-kind"))
        .column(tr.t("strategy-level"))
        .column(tr.t("strategy-split"))
        .column(tr.t("strategy-active"));
    for s in &choices.strategies {
        table.row(vec![
            Cell::text(&s.code),
            Cell::number(s.version.to_string()),
            Cell::text(&s.name),
            Cell::text(format!("{:?}", s.kind_of_work)),
            Cell::text(format!("{:?}", s.level)),
            Cell::text(format!("{:?}", s.split_method)),
            Cell::text(if s.active {
                tr.t("strategy-current")
            } else {
                tr.t("strategy-superseded")
            }),
        ]);
    }
    let active: Vec<_> = choices.strategies.iter().filter(|s| s.active).collect();
    let status = if errors.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = html! {
        p { a href="/allocation/runs" { (tr.t("allocation-history")) } }
        @if may_run(signed) {
            section aria-labelledby="dry-run" {
                h2 id="dry-run" { (tr.t("allocation-try")) }
                @if active.is_empty() || choices.portfolios.is_empty() {
                    div.empty { (tr.t("allocation-needs")) }
                } @else {
                    form.inline method="post" action="/allocation/dry-run" {
                        label { (tr.t("allocation-strategy"))
                            select name="strategyId" {
                                @for s in &active { option value=(s.id) { (s.code) " v" (s.version) " · " (s.name) } }
                            }
                        }
                        label { (tr.t("allocation-portfolio"))
                            select name="portfolioId" {
                                @for p in &choices.portfolios { option value=(p.id) { (p.code) " · " (p.name) } }
                            }
                        }
                        label { (tr.t("allocation-seed")) input type="number" name="seed" value="0" min="0" max="2147483647"; }
                        button type="submit" { (tr.t("allocation-dry-run")) }
                    }
                    (general_errors(form_errors("run"), &[]))
                }
            }
        }
        h2 { (tr.t("strategies-title")) }
        (table.html(html! { (tr.t("strategies-empty")) }))
        @if may_run(signed) {
            details open[form_errors("strategy").is_some()] {
                summary { (tr.t("strategy-new-or-revise")) }
                (strategy_form(signed, &choices.agencies, form_errors("strategy")))
            }
        }
    };
    layout::page_with_status(signed, status, &tr.t("allocation-title"), body)
}

fn strategy_form(
    signed: &Signed,
    agencies: &[(String, String)],
    errors: Option<&ApiErrors>,
) -> Markup {
    let tr = &signed.tr;
    let select = |name: &str, values: &[&str]| {
        html! { select name=(name) { @for v in values { option value=(v) { (v) } } } }
    };
    html! {
        form.stack method="post" action="/allocation/strategies" {
            p.muted { (tr.t("strategy-form-explain")) }
            (field(&tr.t("strategy-code"), "code", html! { input type="text" name="code" required maxlength="64"; }, errors))
            (field(&tr.t("strategy-name"), "name", html! { input type="text" name="name" required maxlength="200"; }, errors))
            (field(&tr.t("strategy-kind"), "kindOfWork", select("kindOfWork", &KINDS), errors))
            (field(&tr.t("strategy-level"), "level", select("level", &LEVELS), errors))
            (field(&tr.t("strategy-split"), "splitMethod", select("splitMethod", &SPLITS), errors))
            (field(&tr.t("strategy-buckets"), "dpdBuckets", html! { input type="text" name="dpdBuckets" placeholder="M1, M2" maxlength="200"; }, errors))
            (field(&tr.t("strategy-regions"), "regions", html! { input type="text" name="regions" placeholder="US-TX, US-CA" maxlength="500"; }, errors))
            (field(&tr.t("strategy-min-balance"), "minBalance", html! { input type="text" name="minBalance" inputmode="decimal" maxlength="20"; }, errors))
            (field(&tr.t("strategy-max-balance"), "maxBalance", html! { input type="text" name="maxBalance" inputmode="decimal" maxlength="20"; }, errors))
            (field(&tr.t("strategy-products"), "products", html! { input type="text" name="products" placeholder="CARD, BNPL" maxlength="200"; }, errors))
            (field(&tr.t("strategy-period-days"), "periodDays", html! { input type="number" name="periodDays" value="90" min="1" max="3650"; }, errors))
            (field(&tr.t("strategy-pool"), "poolAgencyIds", html! { input type="text" name="pool" placeholder="ACME, SUMMIT" maxlength="1000"; }, errors))
            (field(&tr.t("strategy-champion"), "championAgencyId", html! {
                select name="champion" {
                    option value="" { (tr.t("strategy-no-champion")) }
                    @for (id, code) in agencies { option value=(id) { (code) } }
                }
            }, errors))
            (field(&tr.t("strategy-champion-share"), "championShareBp", html! { input type="number" name="championShare" value="70" min="0" max="100" step="0.01"; }, errors))
            (field(&tr.t("strategy-floor-share"), "floorShareBp", html! { input type="number" name="floorShare" value="10" min="0" max="100" step="0.01"; }, errors))
            label.check { input type="checkbox" name="excludePreviousHolders" value="true" checked; (tr.t("strategy-exclude-previous")) }
            (general_errors(errors, &["code", "name", "kindOfWork", "level", "splitMethod", "dpdBuckets", "regions", "minBalance", "maxBalance", "products", "periodDays", "poolAgencyIds", "championAgencyId", "championShareBp", "floorShareBp"]))
            div {
                button type="submit" name="action" value="create" { (tr.t("strategy-create")) }
                " "
                button.secondary type="submit" name="action" value="revise" { (tr.t("strategy-revise")) }
            }
        }
    }
}

#[derive(Deserialize)]
struct StrategyForm {
    code: String,
    name: String,
    #[serde(rename = "kindOfWork")]
    kind_of_work: String,
    level: String,
    #[serde(rename = "splitMethod")]
    split_method: String,
    #[serde(rename = "dpdBuckets", default)]
    dpd_buckets: String,
    #[serde(default)]
    regions: String,
    #[serde(rename = "minBalance", default)]
    min_balance: String,
    #[serde(rename = "maxBalance", default)]
    max_balance: String,
    #[serde(rename = "periodDays")]
    period_days: i64,
    #[serde(default)]
    products: String,
    /// Agency codes, separated by commas; blank for every agency.
    #[serde(default)]
    pool: String,
    #[serde(default)]
    champion: String,
    /// Percentages, as the form shows them; the API takes basis points.
    #[serde(rename = "championShare", default = "seventy")]
    champion_share: String,
    #[serde(rename = "floorShare", default = "ten")]
    floor_share: String,
    /// A checkbox: present when ticked.
    #[serde(rename = "excludePreviousHolders", default)]
    exclude_previous_holders: Option<String>,
    #[serde(default)]
    action: String,
}

fn seventy() -> String {
    "70".to_owned()
}

fn ten() -> String {
    "10".to_owned()
}

/// A percentage typed in a form as basis points: 0 to 100, at most two decimals.
fn basis_points(text: &str) -> Option<i64> {
    let percent: Decimal = text.trim().parse().ok()?;
    let bp = percent * Decimal::ONE_HUNDRED;
    (bp.fract().is_zero() && (Decimal::ZERO..=Decimal::from(10_000)).contains(&bp))
        .then(|| rust_decimal::prelude::ToPrimitive::to_i64(&bp))
        .flatten()
}

fn list_of(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An amount typed in a form: blank is none; anything else must be a number.
fn amount_of(text: &str) -> Result<Option<Decimal>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| ())
}

fn form_error(field: &str, message: String) -> ApiErrors {
    ApiErrors(vec![crate::console::api::ApiError {
        message,
        code: "BAD_USER_INPUT".to_owned(),
        field: Some(field.to_owned()),
    }])
}

async fn create_strategy(signed: Signed, Form(form): Form<StrategyForm>) -> Response {
    save_strategy(signed, form).await
}

async fn revise_strategy(
    signed: Signed,
    Path(code): Path<String>,
    Form(mut form): Form<StrategyForm>,
) -> Response {
    form.code = code;
    form.action = "revise".to_owned();
    save_strategy(signed, form).await
}

async fn save_strategy(signed: Signed, form: StrategyForm) -> Response {
    let tr = &signed.tr;
    let (Ok(min_balance), Ok(max_balance)) =
        (amount_of(&form.min_balance), amount_of(&form.max_balance))
    else {
        let field = if amount_of(&form.min_balance).is_err() {
            "minBalance"
        } else {
            "maxBalance"
        };
        return home_page(
            &signed,
            Some(("strategy", form_error(field, tr.t("form-not-a-number")))),
        )
        .await;
    };
    let (Some(kind), Some(level), Some(split)) = (
        chosen(&Some(form.kind_of_work.clone()), &KINDS)
            .and_then(enum_of::<create_allocation_strategy::KindOfWork>),
        chosen(&Some(form.level.clone()), &LEVELS)
            .and_then(enum_of::<create_allocation_strategy::PlacementLevel>),
        chosen(&Some(form.split_method.clone()), &SPLITS)
            .and_then(enum_of::<create_allocation_strategy::SplitMethod>),
    ) else {
        return home_page(
            &signed,
            Some(("strategy", form_error("kindOfWork", tr.t("form-choose")))),
        )
        .await;
    };
    let refuse = |field: &str, key: &str| {
        let errors = form_error(field, tr.t(key));
        home_page(&signed, Some(("strategy", errors)))
    };
    let mut products = Vec::new();
    for product in list_of(&form.products) {
        let name = product.to_uppercase();
        match chosen(&Some(name), &PRODUCTS)
            .and_then(enum_of::<create_allocation_strategy::Product>)
        {
            Some(product) => products.push(product),
            None => return refuse("products", "strategy-unknown-product").await,
        }
    }
    let pool = if form.pool.trim().is_empty() {
        None
    } else {
        let agencies = match agency_codes(&signed).await {
            Ok(agencies) => agencies,
            Err(errors) => return layout::api_error(&signed, &errors),
        };
        let mut ids = Vec::new();
        for code in list_of(&form.pool) {
            match agencies.iter().find(|(_, c)| c.eq_ignore_ascii_case(&code)) {
                Some((id, _)) => ids.push(id.clone()),
                None => return refuse("poolAgencyIds", "strategy-unknown-agency").await,
            }
        }
        Some(ids)
    };
    let (Some(champion_share_bp), Some(floor_share_bp)) = (
        basis_points(&form.champion_share),
        basis_points(&form.floor_share),
    ) else {
        let field = if basis_points(&form.champion_share).is_none() {
            "championShareBp"
        } else {
            "floorShareBp"
        };
        return refuse(field, "strategy-not-a-share").await;
    };
    let input = create_allocation_strategy::AllocationStrategyInput {
        name: form.name,
        kind_of_work: kind,
        level,
        segment: create_allocation_strategy::SegmentInput {
            dpd_buckets: list_of(&form.dpd_buckets),
            min_balance,
            max_balance,
            regions: list_of(&form.regions),
            products,
        },
        pool_agency_ids: pool,
        period_days: form.period_days,
        pending_recall_warning_days: 7,
        split_method: split,
        champion_agency_id: Some(form.champion).filter(|c| !c.is_empty()),
        champion_share_bp,
        floor_share_bp,
        exclude_previous_holders: form.exclude_previous_holders.as_deref() == Some("true"),
    };
    let saved = if form.action == "revise" {
        let input: revise_allocation_strategy::AllocationStrategyInput =
            match serde_json::to_value(&input).and_then(serde_json::from_value) {
                Ok(input) => input,
                Err(err) => {
                    tracing::error!(error = %err, "the two strategy inputs differ");
                    return layout::api_error(
                        &signed,
                        &ApiErrors(vec![crate::console::api::ApiError::internal("input")]),
                    );
                }
            };
        signed
            .api
            .run::<ReviseAllocationStrategy>(revise_allocation_strategy::Variables {
                code: form.code,
                input,
            })
            .await
            .map(|_| ())
    } else {
        signed
            .api
            .run::<CreateAllocationStrategy>(create_allocation_strategy::Variables {
                code: form.code,
                input,
            })
            .await
            .map(|_| ())
    };
    match saved {
        Ok(()) => layout::redirect(Section::Allocation.path()),
        Err(errors) => home_page(&signed, Some(("strategy", errors))).await,
    }
}

#[derive(Deserialize)]
struct RunForm {
    #[serde(rename = "strategyId")]
    strategy_id: String,
    #[serde(rename = "portfolioId")]
    portfolio_id: String,
    #[serde(default)]
    seed: i64,
    #[serde(rename = "idempotencyKey", default)]
    idempotency_key: String,
}

async fn dry_run(signed: Signed, Form(form): Form<RunForm>) -> Response {
    if !signed.may(Section::Allocation) {
        return layout::not_for_role(&signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let variables = run_allocation::Variables {
        strategy_id: form.strategy_id.clone(),
        portfolio_id: form.portfolio_id.clone(),
        dry_run: true,
        seed: form.seed,
        idempotency_key: None,
    };
    let result = match signed.api.run::<RunAllocation>(variables).await {
        Ok(data) => data.run_allocation,
        Err(errors) => return home_page(&signed, Some(("run", errors))).await,
    };
    let bars: Vec<Bar> = result
        .per_agency
        .iter()
        .map(|a| Bar {
            label: a.agency.code.clone(),
            value: a.balance.amount,
            shown: tr.args(
                "allocation-bar",
                &[
                    ("accounts", crate::i18n::arg(format.count(a.accounts))),
                    (
                        "balance",
                        crate::i18n::arg(format.money(a.balance.amount, &a.balance.currency)),
                    ),
                ],
            ),
        })
        .collect();
    let mut unplaced = Table::new("unplaced-by-reason")
        .column(tr.t("allocation-reason"))
        .numeric_column(tr.t("allocation-accounts"));
    for u in &result.unplaced_by_reason {
        unplaced.row(vec![
            Cell::text(reason_words(&signed, &format!("{:?}", u.reason))),
            Cell::number(format.count(u.count)),
        ]);
    }
    let mut excluded = Table::new("excluded-agencies")
        .column(tr.t("allocation-agency"))
        .column(tr.t("allocation-why"));
    for e in &result.excluded_agencies {
        excluded.row(vec![
            Cell::text(&e.agency.code),
            Cell::text(e.reasons.join(" · ")),
        ]);
    }
    let mut samples = Table::new("sample-placements")
        .column(tr.t("allocation-account"))
        .column(tr.t("allocation-agency"))
        .column(tr.t("allocation-explanation"));
    for p in result.placements.iter().take(10) {
        samples.row(vec![
            Cell::text(&p.account_id),
            Cell::text(&p.agency.code),
            Cell::text(explained(&p.explanation)),
        ]);
    }
    let body = html! {
        p.notice role="status" {
            (tr.args("allocation-would", &[
                ("placed", crate::i18n::arg(format.count(result.placed_count))),
                ("unplaced", crate::i18n::arg(format.count(result.unplaced_count))),
            ]))
        }
        @if !bars.is_empty() { (chart::bars(&tr.t("allocation-split"), &tr.t("allocation-balance"), &bars)) }
        h2 { (tr.t("allocation-unplaced")) }
        (unplaced.html(html! { (tr.t("allocation-none-unplaced")) }))
        h2 { (tr.t("allocation-excluded")) }
        (excluded.html(html! { (tr.t("allocation-none-excluded")) }))
        h2 { (tr.t("allocation-samples")) }
        (samples.html(html! { (tr.t("allocation-none-placed")) }))
        @if may_run(&signed) && result.placed_count > 0 {
            form.inline method="post" action="/allocation/run" {
                input type="hidden" name="strategyId" value=(form.strategy_id);
                input type="hidden" name="portfolioId" value=(form.portfolio_id);
                input type="hidden" name="seed" value=(form.seed);
                input type="hidden" name="idempotencyKey" value=(uuid::Uuid::new_v4().to_string());
                button type="submit" { (tr.t("allocation-run-for-real")) }
                a.button.secondary href=(Section::Allocation.path()) { (tr.t("allocation-back")) }
            }
        }
    };
    layout::page(&signed, &tr.t("allocation-dry-run-title"), body)
}

/// The explanation's gist: the checks passed and the share, as the API wrote them.
fn explained(explanation: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    if let Some(checks) = explanation.get("checks").and_then(|c| c.as_array()) {
        parts.extend(checks.iter().filter_map(|c| c.as_str()).map(str::to_owned));
    }
    for key in ["share", "score", "rule", "reason"] {
        if let Some(value) = explanation.get(key).filter(|v| !v.is_null()) {
            parts.push(format!(
                "{key}: {}",
                value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned)
            ));
        }
    }
    if parts.is_empty() {
        explanation.to_string()
    } else {
        parts.join("; ")
    }
}

fn reason_words(signed: &Signed, reason: &str) -> String {
    let key = match reason {
        "SCRUBBED" => "unplaced-scrubbed",
        "ALREADY_WORKED_AT_LEVEL" => "unplaced-already-worked",
        "NO_ELIGIBLE_AGENCY" => "unplaced-no-eligible-agency",
        "ONLY_PREVIOUS_HOLDERS" => "unplaced-only-previous-holders",
        "NO_CAPACITY" => "unplaced-no-capacity",
        "PLACED_CONCURRENTLY" => "unplaced-placed-concurrently",
        _ => return reason.to_owned(),
    };
    signed.tr.t(key)
}

async fn run(signed: Signed, Form(form): Form<RunForm>) -> Response {
    if !signed.may(Section::Allocation) {
        return layout::not_for_role(&signed);
    }
    let variables = run_allocation::Variables {
        strategy_id: form.strategy_id,
        portfolio_id: form.portfolio_id,
        dry_run: false,
        seed: form.seed,
        idempotency_key: Some(form.idempotency_key).filter(|k| !k.is_empty()),
    };
    match signed.api.run::<RunAllocation>(variables).await {
        Ok(data) => match data.run_allocation.run {
            Some(run) => layout::redirect(&format!("/allocation/runs/{}", run.id)),
            None => layout::redirect("/allocation/runs"),
        },
        Err(errors) => home_page(&signed, Some(("run", errors))).await,
    }
}

#[derive(Deserialize)]
struct PageQuery {
    after: Option<String>,
    format: Option<String>,
}

async fn runs(signed: Signed, Query(query): Query<PageQuery>) -> Response {
    if !signed.may(Section::Allocation) {
        return layout::not_for_role(&signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let data = match signed
        .api
        .run::<AllocationRuns>(allocation_runs::Variables {
            portfolio_id: None,
            first: Some(50),
            after: query.after,
        })
        .await
    {
        Ok(data) => data.allocation_runs,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    let mut table = Table::new("allocation-runs")
        .column(tr.t("run-when"))
        .column(tr.t("allocation-strategy"))
        .column(tr.t("allocation-portfolio"))
        .numeric_column(tr.t("run-placed"))
        .numeric_column(tr.t("run-unplaced"))
        .column(tr.t("run-by"));
    for r in data.edges.iter().map(|e| &e.node) {
        table.row(vec![
            Cell::link(
                format.datetime(r.created_at),
                format!("/allocation/runs/{}", r.id),
            ),
            Cell::text(format!("{} v{}", r.strategy.code, r.strategy.version)),
            Cell::text(&r.portfolio.code),
            Cell::number(format.count(r.placed_count)),
            Cell::number(format.count(r.unplaced_count)),
            Cell::text(&r.created_by),
        ]);
    }
    if wants_csv(query.format.as_deref()) {
        return table.csv();
    }
    let body = html! {
        p { a href=(Section::Allocation.path()) { (tr.t("allocation-back")) } }
        (table_tools(tr, &signed.path, data.page_info.has_next_page, data.page_info.end_cursor.as_deref()))
        (table.html(html! { (tr.t("runs-empty")) }))
    };
    layout::page(&signed, &tr.t("runs-title"), body)
}

async fn run_page(
    signed: Signed,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    if !signed.may(Section::Allocation) {
        return layout::not_for_role(&signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let run = match signed
        .api
        .run::<AllocationRun>(allocation_run::Variables {
            id,
            first: Some(100),
            after: query.after,
        })
        .await
    {
        Ok(data) => data.allocation_run,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    let mut placements = Table::new(format!("allocation-run-{}", run.id))
        .column(tr.t("allocation-account"))
        .column(tr.t("allocation-agency"))
        .column(tr.t("allocation-explanation"));
    for p in run.placements.edges.iter().map(|e| &e.node) {
        placements.row(vec![
            Cell::text(
                p.account
                    .as_ref()
                    .map_or("", |a| a.lender_reference.as_str()),
            ),
            Cell::text(&p.agency.code),
            Cell::text(p.explanation.as_ref().map(explained).unwrap_or_default()),
        ]);
    }
    if wants_csv(query.format.as_deref()) {
        return placements.csv();
    }
    let bars: Vec<Bar> = run
        .per_agency
        .iter()
        .map(|a| Bar {
            label: a.agency.code.clone(),
            value: a.balance.amount,
            shown: format.money(a.balance.amount, &a.balance.currency),
        })
        .collect();
    let page_info = &run.placements.page_info;
    let body = html! {
        p { a href="/allocation/runs" { (tr.t("runs-back")) } }
        p.notice role="status" {
            (tr.args("allocation-did", &[
                ("placed", crate::i18n::arg(format.count(run.placed_count))),
                ("unplaced", crate::i18n::arg(format.count(run.unplaced_count))),
            ]))
        }
        @if !bars.is_empty() { (chart::bars(&tr.t("allocation-split"), &tr.t("allocation-balance"), &bars)) }
        @if !run.excluded_agencies.is_empty() {
            h2 { (tr.t("allocation-excluded")) }
            ul { @for e in &run.excluded_agencies { li { strong { (e.agency.code) } ": " (e.reasons.join(" · ")) } } }
        }
        h2 { (tr.t("run-placements")) }
        (table_tools(tr, &signed.path, page_info.has_next_page, page_info.end_cursor.as_deref()))
        (placements.html(html! { (tr.t("allocation-none-placed")) }))
    };
    layout::page(&signed, &tr.t("run-title"), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_amounts_typed_in_forms() {
        assert_eq!(list_of(" M1, ,M2 "), vec!["M1", "M2"]);
        assert_eq!(amount_of(" "), Ok(None));
        assert_eq!(amount_of("10.50"), Ok(Some(Decimal::new(1050, 2))));
        assert_eq!(amount_of("ten"), Err(()));
        assert_eq!(basis_points("70"), Some(7000));
        assert_eq!(basis_points("12.5"), Some(1250));
        assert_eq!(basis_points("100.001"), None);
        assert_eq!(basis_points("-1"), None);
    }

    #[test]
    fn an_explanation_reads_as_its_checks_and_share() {
        let explanation = serde_json::json!({ "checks": ["licensed in US-TX"], "share": "0.5" });
        assert_eq!(explained(&explanation), "licensed in US-TX; share: 0.5");
    }
}
