//! `agencyflow simulate`: a lender and its agencies living through simulated weeks,
//! entirely through the public GraphQL API. The service runs on a manual clock (see the
//! README's "Service clock"); the simulation moves it day by day, and the scheduled jobs
//! (snapshots, reassignment, reconciliation, statements) fire as it passes their ticks.
//!
//! Each day: the morning's jobs run; the vendor manager runs the allocation strategies;
//! in the evening every agency's system, concurrently and with its own token, polls its
//! placements, works its accounts as its hidden persona dictates and reports what it did;
//! the lender's ledger takes in remittances, direct payments and chargebacks. After the
//! last day the books close on the 1st of the next month: the month is reconciled,
//! statements are drafted by the scheduler and closed by finance with four eyes. The
//! summary reads everything back through the API and checks it.

mod agency;
mod checks;
mod client;
mod lender;
mod report;
mod setup;
mod world;

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Instant;

use agencyflow_graphql::domain::Caller;
use agencyflow_graphql::domain::clock::{Clock, ManualClock};
use agencyflow_graphql::domain::tokens::{self, NewToken};
use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use entity::api_token::Role;
use futures_util::future::try_join_all;
use indicatif::{ProgressBar, ProgressStyle};
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::app::Application;
use crate::config::Settings;
use agency::Desk;
use client::{Api, Session};
pub use report::Report;

/// The simulation's one currency.
const CURRENCY: &str = "USD";
/// Rows per page when reading back.
const PAGE: usize = 500;

/// How big a world, for how long.
#[derive(Clone, Debug)]
pub struct Options {
    pub days: u32,
    pub accounts: usize,
    pub agencies: usize,
    pub seed: u64,
    /// The most API calls per second, across every caller.
    pub rate: Option<NonZeroU32>,
    /// Draw a progress bar on the terminal.
    pub progress: bool,
}

impl Options {
    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.days >= 1, "--days: at least 1");
        anyhow::ensure!(
            self.agencies >= 2,
            "--agencies: at least 2, so there is someone to reassign to"
        );
        anyhow::ensure!(self.accounts >= 10, "--accounts: at least 10");
        Ok(())
    }
}

/// Runs the simulation in this process: the service on a random port of 127.0.0.1, on
/// a manual clock set to the first simulated day, over `db`. The simulated days end on
/// the last day of the previous month, so the history reaches up to today.
pub async fn in_process(
    settings: &Settings,
    db: DatabaseConnection,
    options: Options,
) -> anyhow::Result<Report> {
    options.validate()?;
    let end = month_start(Utc::now().date_naive()) - Duration::days(1);
    let start = end - Duration::days(i64::from(options.days) - 1);
    let clock = Arc::new(ManualClock::new(start.and_time(NaiveTime::MIN).and_utc()));
    let mut settings = settings.clone();
    settings.server.bind = "127.0.0.1:0".into();
    let admin = tokens::create(
        &db,
        &Caller::system("simulate", clock.now()),
        NewToken {
            role: Role::Admin,
            agency_id: None,
            label: format!("simulation (seed {})", options.seed),
            expires_at: None,
        },
    )
    .await?;
    let app = Application::with_clock(&settings, db, clock).await?;
    let url = format!("http://{}/graphql", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let report = drive(url, admin.secret, options).await;
    let _ = stop.send(());
    server.await??;
    report
}

/// Runs the simulation against the service at `url` (which must run on a manual clock)
/// as the ADMIN holding `token`.
pub async fn drive(url: String, token: String, options: Options) -> anyhow::Result<Report> {
    options.validate()?;
    let started = Instant::now();
    let api = Api::new(url, options.rate)?;
    let admin = api.session(token);
    let now = clock_now(&admin).await?;
    let first = if now.time() == NaiveTime::MIN {
        now.date_naive()
    } else {
        now.date_naive() + Duration::days(1)
    };
    let end = month_end(first + Duration::days(i64::from(options.days) - 1));
    let start = end - Duration::days(i64::from(options.days) - 1);
    let mut jobs = JobLog::default();
    jobs.advance(&admin, at(start, 0, 0)).await?;

    let personas = world::personas(options.seed, options.agencies);
    let debtors = world::debtors(options.seed, options.accounts, start);
    let cast = setup::cast(&api, &admin, options.seed, &personas, &debtors, start)
        .await
        .with_context(|| format!("setting up the world (its codes start SIM{}: another run on this service needs another --seed)", options.seed))?;
    let by_reference: Arc<HashMap<String, world::Debtor>> = Arc::new(
        debtors
            .into_iter()
            .map(|d| (d.reference.clone(), d))
            .collect(),
    );
    let fees: HashMap<String, u32> = cast
        .agencies
        .iter()
        .filter_map(|(p, id, _)| p.net_fee_bp.map(|fee| (id.clone(), fee)))
        .collect();
    let mut desks: Vec<Desk> = cast
        .agencies
        .iter()
        .enumerate()
        .map(|(i, (persona, id, session))| {
            Desk::new(
                persona.clone(),
                id.clone(),
                session.clone(),
                Arc::clone(&by_reference),
                options.seed,
                i,
            )
        })
        .collect();
    let mut ledger = lender::Ledger::new(options.seed);
    let mut closed = 0;

    let bar = if options.progress {
        let bar = ProgressBar::new(u64::from(options.days));
        bar.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:40}] day {pos}/{len} {msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut day = start;
    while day <= end {
        jobs.advance(&admin, at(day, 6, 0)).await?;
        if day.day() == 1 && day != start {
            closed += lender::close_statements(&cast.finance, &cast.approver).await?;
        }
        for strategy_id in &cast.strategy_ids {
            cast.manager
                .call::<Value>(
                    r#"mutation RunAllocation($strategyId: ID!, $portfolioId: ID!, $seed: Int, $key: String) {
  runAllocation(strategyId: $strategyId, portfolioId: $portfolioId, seed: $seed, idempotencyKey: $key) { placedCount }
}"#,
                    json!({
                        "strategyId": strategy_id,
                        "portfolioId": cast.portfolio_id,
                        "seed": options.seed % 1_000_000,
                        "key": format!("simulate-{}-{strategy_id}-{day}", options.seed),
                    }),
                )
                .await?;
        }
        let evening = at(day, 23, 30);
        jobs.advance(&admin, evening).await?;
        let collections =
            try_join_all(desks.iter_mut().map(|desk| desk.work_day(day, evening))).await?;
        for batch in &collections {
            ledger.expect(batch, &fees);
        }
        ledger.import_due(&cast.finance, evening).await?;
        bar.set_message(format!("{day}, {} API calls", api.timings().len()));
        bar.inc(1);
        day += Duration::days(1);
    }
    // The books close on the 1st: the month's reconciliation (04:00) and statements
    // (05:00) run as the clock passes them.
    jobs.advance(&admin, at(end + Duration::days(1), 6, 0))
        .await?;
    closed += lender::close_statements(&cast.finance, &cast.approver).await?;
    bar.finish_and_clear();

    let agency_ids: Vec<String> = cast.agencies.iter().map(|(_, id, _)| id.clone()).collect();
    let mut checks = checks::run(&cast.finance, &cast.manager, &agency_ids, &ledger.booked).await?;
    checks.push(jobs.check());
    let agencies = report::agencies(&cast.manager, &cast.finance, &desks).await?;
    Ok(Report {
        seed: options.seed,
        start,
        end,
        accounts: options.accounts,
        agencies,
        timings: api.timings(),
        elapsed: started.elapsed(),
        items_reported: desks.iter().map(|d| d.tally.items_sent).sum(),
        ledger_entries: ledger.imported,
        reversals: ledger.reversals,
        statements_closed: closed,
        job_runs: jobs.runs,
        checks,
    })
}

/// The runs the clock's advances made, and the failed ones.
#[derive(Default)]
struct JobLog {
    runs: usize,
    failed: Vec<String>,
}

impl JobLog {
    /// Moves the service's clock to `to`; the jobs due on the way run.
    async fn advance(&mut self, admin: &Session, to: DateTime<Utc>) -> anyhow::Result<()> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Advanced {
            advance_clock: Advance,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Advance {
            job_runs: Vec<Run>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Run {
            job: String,
            status: String,
            scheduled_for: DateTime<Utc>,
            error: Option<String>,
        }
        let advanced: Advanced = admin
            .call(
                r#"mutation AdvanceClock($to: DateTime!) {
  advanceClock(to: $to) { jobRuns { job status scheduledFor error } }
}"#,
                json!({ "to": to }),
            )
            .await?;
        for run in advanced.advance_clock.job_runs {
            self.runs += 1;
            if run.status == "FAILED" {
                self.failed.push(format!(
                    "{} at {}: {}",
                    run.job,
                    run.scheduled_for,
                    run.error.unwrap_or_default()
                ));
            }
        }
        Ok(())
    }

    fn check(&self) -> checks::Check {
        checks::Check {
            name: "every scheduled job run succeeded",
            // No run at all means the jobs' schedule lies ahead of the clock (a database
            // the service once ran on in real time): nothing was reconciled or snapshotted.
            passed: self.failed.is_empty() && self.runs > 0,
            detail: match self.failed.first() {
                None if self.runs == 0 => {
                    "no job ran: were the jobs seeded on a later clock?".into()
                }
                None => format!("{} runs", self.runs),
                Some(first) => format!(
                    "{} of {} failed, e.g. {first}",
                    self.failed.len(),
                    self.runs
                ),
            },
        }
    }
}

async fn clock_now(admin: &Session) -> anyhow::Result<DateTime<Utc>> {
    let data: Value = admin
        .call("query Clock { clock { now manual } }", json!({}))
        .await?;
    if data["clock"]["manual"] != json!(true) {
        anyhow::bail!(
            "the service runs on the system clock; a simulation moves time, so start it with a manual clock \
             (AGENCYFLOW__CLOCK__MANUAL=true) or let `simulate` start one in-process (--database)"
        );
    }
    Ok(serde_json::from_value(data["clock"]["now"].clone())?)
}

fn at(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    day.and_time(NaiveTime::from_hms_opt(hour, minute, 0).expect("valid time"))
        .and_utc()
}

fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("every month has a 1st")
}

/// The last day of `day`'s month.
fn month_end(day: NaiveDate) -> NaiveDate {
    let next = if day.month() == 12 {
        NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(day.year(), day.month() + 1, 1)
    };
    next.expect("a valid month") - Duration::days(1)
}

/// An amount as the API reads and writes it.
#[derive(Clone, Debug, Deserialize)]
pub struct Money {
    pub amount: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connection<T> {
    edges: Vec<Edge<T>>,
    page_info: PageInfo,
}

#[derive(Deserialize)]
struct Edge<T> {
    node: T,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

impl PageInfo {
    /// The cursor of the next page, if there is one.
    fn next(self) -> Option<String> {
        self.end_cursor.filter(|_| self.has_next_page)
    }
}

/// Every node of a connection field, page by page; `query` takes `$first` and `$after`.
async fn all_pages<T: DeserializeOwned>(
    session: &Session,
    field: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<Vec<T>> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut vars = variables.clone();
        vars["first"] = json!(PAGE);
        vars["after"] = json!(after);
        let mut data: Value = session.call(query, vars).await?;
        let page: Connection<T> = serde_json::from_value(data[field].take())?;
        out.extend(page.edges.into_iter().map(|e| e.node));
        match page.page_info.next() {
            Some(cursor) => after = Some(cursor),
            None => return Ok(out),
        }
    }
}

/// Minor units from the API's decimal string ("125.50" → 12550).
fn minor(amount: &str) -> anyhow::Result<i64> {
    let value: Decimal = amount
        .parse()
        .with_context(|| format!("'{amount}' is not an amount"))?;
    (value * Decimal::ONE_HUNDRED)
        .trunc()
        .try_into()
        .with_context(|| format!("'{amount}' is out of range"))
}

/// The API's decimal string for minor units (12550 → "125.50").
fn amount(minor: i64) -> String {
    Decimal::new(minor, 2).to_string()
}

/// Minor units for people: 1234567 → "12,345.67".
fn fmt_minor(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let units = (minor.abs() / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", minor.abs() % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_cross_the_api_as_decimal_strings() {
        assert_eq!(amount(12_550), "125.50");
        assert_eq!(minor("125.50").unwrap(), 12_550);
        assert_eq!(minor("7").unwrap(), 700);
        assert_eq!(fmt_minor(123_456_789), "1,234,567.89");
        assert_eq!(fmt_minor(-5), "-0.05");
        assert!(minor("abc").is_err());
    }

    #[test]
    fn the_calendar_ends_on_a_month_end() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(month_end(d(2026, 2, 10)), d(2026, 2, 28));
        assert_eq!(month_end(d(2026, 12, 31)), d(2026, 12, 31));
        assert_eq!(month_start(d(2026, 11, 29)), d(2026, 11, 1));
    }
}
