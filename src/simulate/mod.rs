//! `agencyflow simulate`: a lender and its agencies living through simulated weeks,
//! entirely through the public GraphQL API. The service runs on a manual clock (see the
//! README's "Service clock"); the simulation moves it day by day, and the scheduled jobs
//! (snapshots, reassignment, reconciliation, statements) fire as it passes their ticks.
//!
//! Each day: the morning's jobs run; the vendor manager runs the allocation strategies;
//! in the evening every agency's system, concurrently and with its own token, polls its
//! placements, works its accounts as its hidden persona dictates and reports what it did;
//! the lender's ledger takes in remittances, direct payments and chargebacks. The day
//! after the service's close day (`finance.close_day`, the 7th by default) of a month, once
//! late money is in, finance closes the month before with four eyes. The
//! simulated days end on a month's last day and the work goes on until that month closes.
//! The summary reads everything back through the API and checks it.

mod agency;
mod checks;
mod client;
mod lender;
mod report;
mod setup;
pub mod world;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Instant;

use agencyflow_graphql::domain::Caller;
use agencyflow_graphql::domain::clock::{Clock, ManualClock};
use agencyflow_graphql::domain::identity::integrations::{self, NewIntegration};
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
/// Items per report or ledger import call (the API's limit).
const BATCH: usize = 1_000;

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
    /// Who the first `agencies` agencies are; the simulator's own (`SIM<seed>-01` …)
    /// when `None`.
    pub roster: Option<world::Roster>,
}

impl Options {
    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.days >= 1, "--days: at least 1");
        anyhow::ensure!(
            self.agencies >= 2,
            "--agencies: at least 2, so there is someone to reassign to"
        );
        anyhow::ensure!(self.accounts >= 10, "--accounts: at least 10");
        if let Some(roster) = &self.roster {
            anyhow::ensure!(
                roster.agencies.len() >= self.agencies,
                "the roster names {} agencies, fewer than {}",
                roster.agencies.len(),
                self.agencies
            );
        }
        Ok(())
    }

    /// The world's names: the roster's first `agencies`, or the simulator's own.
    fn roster(&self) -> world::Roster {
        match &self.roster {
            Some(roster) => world::Roster {
                agencies: roster.agencies[..self.agencies].to_vec(),
                ..roster.clone()
            },
            None => world::Roster::simulated(self.seed, self.agencies),
        }
    }
}

/// Runs the simulation in this process: the service on a random port of 127.0.0.1, on
/// a manual clock set to the first simulated day, over `db`. The simulated days end on
/// the last day of the latest month that finance closes (the day after
/// `finance.close_day` of the next month) by today.
pub async fn in_process(
    settings: &Settings,
    db: DatabaseConnection,
    options: Options,
) -> anyhow::Result<Report> {
    options.validate()?;
    let calendar = Calendar::ending_before(
        Utc::now().date_naive(),
        options.days,
        settings.finance.close_day,
    );
    let clock = Arc::new(ManualClock::new(at(calendar.start, 0, 0)));
    let mut settings = settings.clone();
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.log_requests = false;
    // Its tokens live until the books close, a month or so after the last simulated day.
    settings.security.max_token_lifetime_days = settings
        .security
        .max_token_lifetime_days
        .max(options.days.saturating_add(45));
    // A night of jobs over a large book may take longer than a request usually may.
    settings.server.request_timeout_secs = settings.server.request_timeout_secs.max(3_600);
    // The simulated staff sign in with a password alone: nobody holds an authenticator.
    settings.sign_in.mfa_required_roles.clear();
    let admin = integrations::create_with_token(
        &db,
        &Caller::system("simulate", clock.now()),
        NewIntegration {
            name: format!("simulation (seed {})", options.seed),
            role: Role::Admin,
            agency_id: None,
        },
        Some(calendar.tokens_expire()),
        settings.security.token_lifetime(),
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
    let (now, close_day) = clock_now(&admin).await?;
    let first = if now.time() == NaiveTime::MIN {
        now.date_naive()
    } else {
        now.date_naive() + Duration::days(1)
    };
    let calendar = Calendar::starting(first, options.days, close_day);
    let Calendar {
        start, end, close, ..
    } = calendar;
    let mut jobs = JobLog::default();
    jobs.advance(&admin, at(start, 0, 0)).await?;

    let roster = options.roster();
    let personas = world::personas(options.seed, &roster);
    let debtors = world::debtors(options.seed, &roster.prefix, options.accounts, start);
    let cast = setup::cast(&api, &admin, &personas, &debtors, &calendar, &roster)
        .await
        .with_context(|| format!("setting up the world (its codes start {}: another run on this service needs another --seed)", roster.prefix))?;
    let by_reference: Arc<HashMap<String, world::Debtor>> = Arc::new(
        debtors
            .into_iter()
            .map(|d| (d.reference.clone(), d))
            .collect(),
    );
    let net: HashSet<String> = cast
        .agencies
        .iter()
        .filter(|(persona, ..)| persona.remits_net)
        .map(|(_, id, _)| id.clone())
        .collect();
    let agency_ids: Vec<String> = cast.agencies.iter().map(|(_, id, _)| id.clone()).collect();
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
        let bar = ProgressBar::new((close - start).num_days() as u64 + 1);
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
    loop {
        jobs.advance(&admin, at(day, 6, 0)).await?;
        if calendar.closes_a_month(day) {
            closed +=
                lender::close_month(&cast.manager, &cast.finance, &cast.approver, &agency_ids)
                    .await?;
        }
        bar.inc(1);
        if day == close {
            break;
        }
        for strategy_id in &cast.strategy_ids {
            cast.manager
                .call::<Value>(
                    r#"mutation RunAllocation($strategyId: ID!, $portfolioId: ID!, $seed: Int!, $key: String) {
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
            ledger.expect(batch, &net);
        }
        ledger.import_due(&cast.finance, evening).await?;
        bar.set_message(format!("{day}, {} API calls", api.calls()));
        day += Duration::days(1);
    }
    bar.finish_and_clear();

    let mut checks = checks::run(&cast.finance, &cast.manager, &agency_ids, &ledger.booked).await?;
    checks.push(checks::reports_accepted(&desks));
    checks.push(jobs.check());
    let agencies = report::agencies(&cast.manager, &cast.finance, &desks).await?;
    Ok(Report {
        seed: options.seed,
        start,
        end,
        close,
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

/// The jobs whose runs the books depend on.
const NEEDED_JOBS: [&str; 4] = [
    "performance_snapshot",
    "reassignment_review",
    "reconciliation",
    "commission_statements",
];

/// The runs the clock's advances made: how many, which jobs succeeded, which failed.
#[derive(Default)]
struct JobLog {
    runs: usize,
    succeeded: BTreeSet<String>,
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
            if run.status == "SUCCEEDED" {
                self.succeeded.insert(run.job.clone());
            }
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
        let missing: Vec<&str> = NEEDED_JOBS
            .into_iter()
            .filter(|job| !self.succeeded.contains(*job))
            .collect();
        checks::Check {
            name: "every scheduled job run succeeded",
            passed: self.failed.is_empty() && missing.is_empty(),
            detail: match (self.failed.first(), missing.is_empty()) {
                (Some(first), _) => {
                    format!(
                        "{} of {} failed, e.g. {first}",
                        self.failed.len(),
                        self.runs
                    )
                }
                // Jobs seeded on a later clock (a database once served in real time) are
                // not due yet: nothing was snapshotted, reconciled or drafted.
                (None, false) => format!("{} never ran ({} runs)", missing.join(", "), self.runs),
                (None, true) => format!("{} runs", self.runs),
            },
        }
    }
}

/// The simulated days, and the day finance closes the last month after them.
#[derive(Clone, Copy, Debug)]
pub struct Calendar {
    pub start: NaiveDate,
    /// The last simulated day: the last day of a month.
    pub end: NaiveDate,
    /// The day after the service's close day (`finance.close_day`) of the next month: the
    /// books are closed, late reports and remittances are in and the statements job
    /// drafts, so finance closes the month's statements.
    pub close: NaiveDate,
    /// The day of a month on which the month before's books close.
    close_day: u32,
}

impl Calendar {
    /// `days` days ending on the first month end they can reach from `first`; the books
    /// close on `close_day`.
    fn starting(first: NaiveDate, days: u32, close_day: u32) -> Self {
        let end = month_end(first + Duration::days(i64::from(days) - 1));
        Self::ending(end, days, close_day)
    }

    /// `days` days ending on the last month end that finance closes by `today`.
    fn ending_before(today: NaiveDate, days: u32, close_day: u32) -> Self {
        let after = i64::from(close_day) + 1;
        let end = month_start(today - Duration::days(after)) - Duration::days(1);
        Self::ending(end, days, close_day)
    }

    fn ending(end: NaiveDate, days: u32, close_day: u32) -> Self {
        Self {
            start: end - Duration::days(i64::from(days) - 1),
            end,
            close: end + Duration::days(i64::from(close_day) + 1),
            close_day,
        }
    }

    /// Whether finance closes last month's statements on `day`: the day after the close
    /// day of a month whose previous month had simulated days.
    fn closes_a_month(&self, day: NaiveDate) -> bool {
        let yesterday = day - Duration::days(1);
        yesterday.day() == self.close_day && month_start(yesterday) > self.start
    }

    /// The simulation's tokens stop working a day after the close.
    fn tokens_expire(&self) -> DateTime<Utc> {
        at(self.close + Duration::days(1), 0, 0)
    }
}

/// The service's time, and the day of the month its books close.
async fn clock_now(admin: &Session) -> anyhow::Result<(DateTime<Utc>, u32)> {
    let data: Value = admin
        .call("query Clock { clock { now manual closeDay } }", json!({}))
        .await?;
    if data["clock"]["manual"] != json!(true) {
        anyhow::bail!(
            "the service runs on the system clock; a simulation moves time, so start it with a manual clock \
             (AGENCYFLOW__CLOCK__MANUAL=true) or let `simulate` start one in-process (--database)"
        );
    }
    Ok((
        serde_json::from_value(data["clock"]["now"].clone())?,
        serde_json::from_value(data["clock"]["closeDay"].clone())?,
    ))
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
    anyhow::ensure!(
        value.normalize().scale() <= 2,
        "'{amount}' has fractions of a cent"
    );
    (value * Decimal::ONE_HUNDRED)
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
        assert!(minor("12.505").is_err());
        assert_eq!(minor("12.500").unwrap(), 1_250);
    }

    fn d(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_calendar_ends_on_a_month_end_and_closes_the_day_after_the_close_day() {
        assert_eq!(month_end(d(2026, 2, 10)), d(2026, 2, 28));
        assert_eq!(month_end(d(2026, 12, 31)), d(2026, 12, 31));
        assert_eq!(month_start(d(2026, 11, 29)), d(2026, 11, 1));
        let c = Calendar::starting(d(2026, 9, 17), 14, 7);
        assert_eq!(
            (c.start, c.end, c.close),
            (d(2026, 9, 17), d(2026, 9, 30), d(2026, 10, 8))
        );
        let c = Calendar::starting(d(2026, 9, 20), 14, 7);
        assert_eq!((c.start, c.end), (d(2026, 10, 18), d(2026, 10, 31)));
        assert!(c.closes_a_month(d(2026, 11, 8)));
        assert!(
            !c.closes_a_month(d(2026, 10, 8)),
            "nothing was simulated in September"
        );
    }

    #[test]
    fn in_process_the_books_close_by_today() {
        let c = Calendar::ending_before(d(2026, 11, 29), 30, 7);
        assert_eq!(
            (c.start, c.end, c.close),
            (d(2026, 10, 2), d(2026, 10, 31), d(2026, 11, 8))
        );
        let c = Calendar::ending_before(d(2026, 11, 7), 30, 7);
        assert_eq!(c.end, d(2026, 9, 30));
        let c = Calendar::ending_before(d(2026, 11, 14), 30, 12);
        assert_eq!((c.end, c.close), (d(2026, 10, 31), d(2026, 11, 13)));
        assert_eq!(
            Calendar::ending_before(d(2026, 11, 13), 30, 12).end,
            d(2026, 9, 30)
        );
    }

    #[test]
    fn a_late_close_day_closes_february_too() {
        let c = Calendar::starting(d(2027, 1, 20), 10, 28);
        assert_eq!((c.end, c.close), (d(2027, 1, 31), d(2027, 3, 1)));
        assert!(c.closes_a_month(d(2027, 3, 1)));
        assert!(!c.closes_a_month(d(2027, 2, 28)));
    }
}
