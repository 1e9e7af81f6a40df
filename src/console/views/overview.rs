//! The overview, for the lender's staff: what each agency holds (bars), collections per
//! week and recovery rate per agency over the last 90 days (lines), and what waits for
//! someone: open incidents by severity, papers expiring within 30 days, failed jobs,
//! statements waiting for approval. A panel the viewer's role may not read is left out.

use axum::Router;
use axum::response::Response;
use axum::routing::get;
use chrono::{Duration, NaiveDate};
use graphql_client::GraphQLQuery;
use maud::{Markup, html};
use rust_decimal::Decimal;

use crate::console::api::scalars::*;
use crate::console::chart::{self, Bar, Series};
use crate::console::format::Format;
use crate::console::layout;
use crate::console::sections::Section;
use crate::console::viewer::Signed;
use crate::console::views::agencies::{ExpiringQualifications, expiring_qualifications};
use crate::console::views::audit::{JobRuns, job_runs};
use crate::console::views::compliance::{ComplianceIncidents, compliance_incidents};
use crate::console::views::finance::{CommissionStatements, commission_statements};
use crate::http::AppState;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/scorecards.graphql",
    response_derives = "Debug"
)]
pub struct AgencyScorecards;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/scorecards.graphql",
    response_derives = "Debug"
)]
pub struct AgencyScorecard;

/// How many of a kind the overview counts before it says "at least".
const COUNTED: i64 = 100;
/// Weeks on the trend charts' x axis (90 days).
const WEEKS: i64 = 13;

pub fn router() -> Router<AppState> {
    Router::new().route(Section::Overview.path(), get(overview))
}

/// `/`: lender staff see the overview; an agency's staff go to their worklist.
async fn overview(signed: Signed) -> Response {
    if !signed.may(Section::Overview) {
        let first = Section::ALL
            .into_iter()
            .find(|s| signed.may(*s))
            .unwrap_or(Section::Settings);
        return layout::redirect(first.path());
    }
    let tr = &signed.tr;
    let format = signed.format();
    let table = match signed
        .api
        .run::<AgencyScorecards>(agency_scorecards::Variables {
            as_of: None,
            segment: None,
            window: agency_scorecards::ScoreWindow::LAST_90_DAYS,
            currency: None,
        })
        .await
    {
        Ok(data) => data.agency_scorecards,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    let rows = &table.rows;
    let held = chart::bars(
        &tr.t("overview-held-accounts"),
        &tr.t("overview-accounts"),
        &rows
            .iter()
            .map(|r| Bar {
                label: r.agency.code.clone(),
                value: Decimal::from(r.accounts_held),
                shown: format.count(r.accounts_held),
            })
            .collect::<Vec<_>>(),
    );
    let placed = chart::bars(
        &tr.t("overview-placed-balance"),
        &tr.t("overview-balance"),
        &rows
            .iter()
            .map(|r| Bar {
                label: format!("{} · {}", r.agency.code, r.currency),
                value: r.balance_placed.amount,
                shown: format.money(r.balance_placed.amount, &r.balance_placed.currency),
            })
            .collect::<Vec<_>>(),
    );
    let today = signed.today();
    let trends = match trends(&signed, today, rows).await {
        Ok(trends) => trends,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    let waiting = waiting(&signed).await;
    let body = html! {
        (waiting)
        @if rows.is_empty() {
            div.empty { (tr.t("overview-no-scores")) }
        } @else {
            p.muted { (tr.args("overview-as-of", &[("day", crate::i18n::arg(table.as_of.map(|d| format.date(d)).unwrap_or_default()))])) }
            div.panels { (held) (placed) }
            div.panels { (trends) }
        }
    };
    layout::page(&signed, &tr.t("overview-title"), body)
}

/// Week ends from 13 weeks ago to `today`.
fn week_ends(today: NaiveDate) -> Vec<NaiveDate> {
    (0..=WEEKS)
        .rev()
        .map(|w| today - Duration::days(7 * w))
        .collect()
}

/// What a cumulative series gained each week: the difference of consecutive points.
/// Before an agency's first figure it had collected nothing; a later gap is unknown.
fn per_week(cumulative: &[Option<Decimal>]) -> Vec<Option<Decimal>> {
    let first = cumulative.iter().position(Option::is_some);
    let known: Vec<Option<Decimal>> = cumulative
        .iter()
        .enumerate()
        .map(|(i, v)| match first {
            Some(first) if i < first => Some(Decimal::ZERO),
            _ => *v,
        })
        .collect();
    known
        .windows(2)
        .map(|pair| match pair {
            [Some(before), Some(after)] => Some((*after - *before).max(Decimal::ZERO)),
            _ => None,
        })
        .collect()
}

/// The two trend charts, from each agency's scorecard history.
async fn trends(
    signed: &Signed,
    today: NaiveDate,
    rows: &[agency_scorecards::ScorecardFields],
) -> Result<Markup, crate::console::api::ApiErrors> {
    use agency_scorecard::ScoreWindow;
    let tr = &signed.tr;
    let format = signed.format();
    let ends = week_ends(today);
    let from = ends[0] - Duration::days(1);
    let mut recovery = Vec::new();
    let mut collected = Vec::new();
    let mut currency = None;
    let mut seen = Vec::new();
    for row in rows {
        if seen.contains(&row.agency.id) {
            continue;
        }
        seen.push(row.agency.id.clone());
        let history = |window| agency_scorecard::Variables {
            agency_id: row.agency.id.clone(),
            segment: None,
            window,
            from: Some(from),
            to: Some(today),
        };
        let rates = signed
            .api
            .run::<AgencyScorecard>(history(ScoreWindow::LAST_90_DAYS))
            .await?
            .agency_scorecard
            .history;
        let since = signed
            .api
            .run::<AgencyScorecard>(history(ScoreWindow::SINCE_PLACEMENT))
            .await?
            .agency_scorecard
            .history;
        let at = |day: NaiveDate, history: &[agency_scorecard::ScorecardFields]| {
            history
                .iter()
                .filter(|h| h.as_of <= day && h.currency == row.currency)
                .max_by_key(|h| h.as_of)
                .filter(|h| day - h.as_of < Duration::days(7))
                .map(|h| (h.recovery_rate, h.collected.amount))
        };
        currency.get_or_insert_with(|| row.currency.clone());
        recovery.push(Series {
            name: row.agency.code.clone(),
            values: ends[1..]
                .iter()
                .map(|d| at(*d, &rates).and_then(|(r, _)| r))
                .collect(),
        });
        let cumulative: Vec<Option<Decimal>> = ends
            .iter()
            .map(|d| at(*d, &since).map(|(_, c)| c))
            .collect();
        if row.currency == *currency.as_ref().expect("set above") {
            collected.push(Series {
                name: row.agency.code.clone(),
                values: per_week(&cumulative),
            });
        }
    }
    let labels: Vec<String> = ends[1..].iter().map(|d| short_date(format, *d)).collect();
    let currency = currency.unwrap_or_default();
    Ok(html! {
        (chart::lines(&tr.args("overview-collected-per-week", &[("currency", crate::i18n::arg(currency.as_str()))]), &labels, &collected, |v| format.money(v, &currency)))
        (chart::lines(&tr.t("overview-recovery-rate"), &labels, &recovery, |v| format.percent(v)))
    })
}

fn short_date(format: Format, day: NaiveDate) -> String {
    match format.language {
        crate::i18n::Language::English => day.format("%b %-d").to_string(),
        crate::i18n::Language::SimplifiedChinese => day.format("%-m月%-d日").to_string(),
    }
}

/// A count the page links to, as "at least 100" past what it counts.
fn counted(format: Format, n: usize, more: bool) -> String {
    if more {
        format!("{}+", format.count(COUNTED))
    } else {
        format.count(n as i64)
    }
}

/// The cards of what waits for someone; those the role may not read are left out.
async fn waiting(signed: &Signed) -> Markup {
    use compliance_incidents::{ComplianceIncidentsFilter, IncidentStatus, Severity};
    let tr = &signed.tr;
    let format = signed.format();
    let mut cards = Vec::new();
    for (severity, key, name) in [
        (Severity::CRITICAL, "severity-critical", "CRITICAL"),
        (Severity::HIGH, "severity-high", "HIGH"),
        (Severity::MEDIUM, "severity-medium", "MEDIUM"),
        (Severity::LOW, "severity-low", "LOW"),
    ] {
        let variables = compliance_incidents::Variables {
            filter: Some(ComplianceIncidentsFilter {
                agency_id: None,
                account_id: None,
                status: Some(vec![IncidentStatus::OPEN, IncidentStatus::ACKNOWLEDGED]),
                severity: Some(vec![severity]),
                source: None,
                rule: None,
                occurred_from: None,
                occurred_to: None,
            }),
            first: Some(COUNTED),
            after: None,
        };
        if let Ok(data) = signed.api.run::<ComplianceIncidents>(variables).await {
            let page = data.compliance_incidents;
            cards.push((
                tr.args(
                    "overview-open-incidents",
                    &[("severity", crate::i18n::arg(tr.t(key)))],
                ),
                counted(format, page.edges.len(), page.page_info.has_next_page),
                format!("{}?severity={name}", Section::Compliance.path()),
            ));
        }
    }
    if let Ok(data) = signed
        .api
        .run::<ExpiringQualifications>(expiring_qualifications::Variables {
            within_days: 30,
            first: Some(COUNTED),
            after: None,
        })
        .await
    {
        let page = data.expiring_qualifications;
        cards.push((
            tr.t("overview-expiring-papers"),
            counted(format, page.edges.len(), page.page_info.has_next_page),
            format!("{}#expiring", Section::Agencies.path()),
        ));
    }
    if let Ok(data) = signed
        .api
        .run::<JobRuns>(job_runs::Variables {
            filter: Some(job_runs::JobRunsFilter {
                job: None,
                status: Some(vec![job_runs::JobRunStatus::FAILED]),
            }),
            first: Some(COUNTED),
            after: None,
        })
        .await
    {
        let page = data.job_runs;
        cards.push((
            tr.t("overview-failed-jobs"),
            counted(format, page.edges.len(), page.page_info.has_next_page),
            "/jobs?status=FAILED".to_owned(),
        ));
    }
    if !signed.may(Section::Finance) {
        return cards_html(&cards);
    }
    if let Ok(data) = signed
        .api
        .run::<CommissionStatements>(commission_statements::Variables {
            filter: Some(commission_statements::CommissionStatementsFilter {
                agency_id: None,
                status: Some(commission_statements::StatementStatus::SUBMITTED),
            }),
            first: Some(COUNTED),
            after: None,
        })
        .await
    {
        let page = data.commission_statements;
        cards.push((
            tr.t("overview-statements-waiting"),
            counted(format, page.edges.len(), page.page_info.has_next_page),
            format!("{}?status=SUBMITTED", Section::Finance.path()),
        ));
    }
    cards_html(&cards)
}

fn cards_html(cards: &[(String, String, String)]) -> Markup {
    html! {
        div.cards {
            @for (label, figure, href) in cards {
                div.card {
                    a href=(href) {
                        div.figure { (figure) }
                        div { (label) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: i64) -> Option<Decimal> {
        Some(Decimal::from(n))
    }

    #[test]
    fn a_cumulative_series_becomes_what_each_week_added() {
        assert_eq!(
            per_week(&[d(0), d(10), d(25), d(25)]),
            vec![d(10), d(15), d(0)]
        );
        assert_eq!(
            per_week(&[None, d(10), None, d(30)]),
            vec![d(10), None, None]
        );
    }

    #[test]
    fn the_trend_axis_is_thirteen_weeks_ending_today() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let ends = week_ends(today);
        assert_eq!(ends.len(), 14);
        assert_eq!(*ends.last().unwrap(), today);
        assert_eq!(ends[0], today - Duration::days(91));
    }
}
