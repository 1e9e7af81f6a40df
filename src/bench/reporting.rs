//! `agencyflow bench reporting`: an agency's system reporting its work to the real server
//! over HTTP, in `reportActivities` batches of 1,000 items. A measurement, not a test.
//!
//! One agency holds every account (US debtors in four time zones), placed six weeks ago.
//! Batch `b` of `N` reports the `b`-th slice of the last four weeks, in time order, as a
//! daily upload would: mostly calls, some texts and e-mails, promises to pay and notes.
//! The dialer mostly keeps the rules (it calls within the debtor's hours and texts rather
//! than calls in the week after a conversation), so some items raise incidents.
//! Afterwards the daily performance snapshot is timed over what was reported.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use agencyflow_graphql::domain::identity::integrations::{self, NewIntegration};
use agencyflow_graphql::domain::performance::snapshot;
use agencyflow_graphql::domain::{Caller, money, tx::begin_write};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use entity::account::{self, AccountFlag};
use entity::activity::{ActivityKind, ContactChannel, ContactResult, Direction};
use entity::agency::{
    self, AgencyStatus, Channel, Channels, KindOfWork, KindsOfWork, Regions, RemittanceMode,
};
use entity::api_token::Role;
use entity::placement::{self, PlacementLevel, PlacementStatus};
use entity::portfolio;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};
use serde_json::{Value, json};

use crate::app::Application;
use crate::config::Settings;
use crate::demo::{self, accounts};

/// Items per `reportActivities` call: the largest batch the default settings take.
pub const BATCH: usize = 1_000;
const SEED: u64 = 7;
const AGENCY: &str = "BENCH-REPORTING";
/// The accounts were placed this many days ago, all on one day (one allocation run).
const PLACED_DAYS_AGO: i64 = 42;
/// The batches together report this many days, up to yesterday.
const SPAN_DAYS: usize = 28;
/// A lender does not place accounts with these flags; the bench places every account.
const NOT_PLACED: [AccountFlag; 3] = [
    AccountFlag::CeaseContact,
    AccountFlag::Bankruptcy,
    AccountFlag::Deceased,
];

/// What the agency's system asks back: each item's outcome and the stored activity's id.
const REPORT_ACTIVITIES: &str = "mutation Report($activities: [ActivityInput!]!) {
  reportActivities(activities: $activities) {
    accepted duplicates rejected incidentsRaised
    items { index externalId status code message activity { id } }
  }
}";

const NOTES: &[&str] = &[
    "Debtor asked for a call back after payday.",
    "Hardship: hours cut at work; review the plan in two weeks.",
    "Voicemail greeting confirms the debtor's name.",
    "Debtor questions the late fees, not the balance; sent a breakdown.",
    "Spouse says the debtor is travelling until next week.",
    "Payment portal link sent at the debtor's request.",
];

pub struct Report {
    pub accounts: usize,
    pub load: Duration,
    /// Each fresh batch's round trip, in the order sent.
    pub latencies: Vec<Duration>,
    pub accepted: u64,
    pub rejected: u64,
    /// The first rejected item's message, if any was rejected.
    pub first_rejection: Option<String>,
    pub incidents: u64,
    pub replay: Duration,
    pub replay_duplicates: u64,
    /// The daily performance snapshot over the placements and activities, afterwards.
    pub snapshot: Duration,
    pub snapshot_rows: usize,
}

impl Report {
    pub fn items(&self) -> usize {
        self.latencies.len() * BATCH
    }

    pub fn total(&self) -> Duration {
        self.latencies.iter().sum()
    }

    /// Fresh items per second, over the time spent in requests.
    pub fn items_per_second(&self) -> f64 {
        per_second(self.items(), self.total())
    }

    /// The batch latency at quantile `q` (nearest rank).
    pub fn latency(&self, q: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let rank = (q * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }
}

fn per_second(items: usize, elapsed: Duration) -> f64 {
    items as f64 / elapsed.as_secs_f64().max(f64::EPSILON)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        writeln!(
            f,
            "accounts placed:      {} (loaded in {:.2} s)",
            self.accounts,
            self.load.as_secs_f64()
        )?;
        writeln!(
            f,
            "batches:              {} of {BATCH} items",
            self.latencies.len()
        )?;
        writeln!(
            f,
            "items:                {} (accepted {}, rejected {})",
            self.items(),
            self.accepted,
            self.rejected
        )?;
        if let Some(message) = &self.first_rejection {
            writeln!(f, "first rejection:      {message}")?;
        }
        writeln!(
            f,
            "total:                {:.2} s",
            self.total().as_secs_f64()
        )?;
        writeln!(
            f,
            "throughput (fresh):   {:.0} items/s",
            self.items_per_second()
        )?;
        writeln!(
            f,
            "batch latency:        median {:.0} ms, p95 {:.0} ms",
            ms(self.latency(0.5)),
            ms(self.latency(0.95))
        )?;
        writeln!(f, "incidents raised:     {}", self.incidents)?;
        write!(
            f,
            "replay of batch 1:    {:.0} ms, {:.0} items/s ({} duplicates)",
            ms(self.replay),
            per_second(BATCH, self.replay),
            self.replay_duplicates
        )?;
        write!(
            f,
            "\nperformance snapshot: {:.0} ms ({} scorecard rows)",
            ms(self.snapshot),
            self.snapshot_rows
        )
    }
}

/// Loads one agency and `count` accounts placed with it into an empty database, serves
/// the API on a free local port, then posts `batches` batches of activities as the
/// agency and replays the first one.
pub async fn run(
    db: &DatabaseConnection,
    mut settings: Settings,
    batches: usize,
    count: usize,
) -> anyhow::Result<Report> {
    if batches == 0 || count == 0 {
        anyhow::bail!("--batches and --accounts must be at least 1");
    }
    if !demo::is_empty(db).await? {
        anyhow::bail!("bench needs an empty database");
    }
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let started = Instant::now();
    let (agency, held) = load(db, count, &mut rng).await?;
    let load = started.elapsed();
    let token = integrations::create_with_token(
        db,
        &Caller::system("bench", Utc::now()),
        NewIntegration {
            name: "bench reporting: the agency's system".to_owned(),
            role: Role::Agency,
            agency_id: Some(agency.id),
        },
        Some(Utc::now() + chrono::Duration::days(1)),
        settings.security.token_lifetime(),
    )
    .await?
    .secret;

    let mut workload = Workload::new(&held, rng)?;
    let bodies =
        (0..batches)
            .map(|b| {
                let activities = workload.batch(b, batches)?;
                Ok(json!({ "query": REPORT_ACTIVITIES, "variables": { "activities": activities } })
                .to_string())
            })
            .collect::<anyhow::Result<Vec<String>>>()?;

    // The server's own background work, and a log line per request, would only add noise
    // to the figures.
    settings.server.bind = "127.0.0.1:0".to_owned();
    settings.scheduler.enabled = false;
    settings.server.log_requests = false;
    let app = Application::with_database(&settings, db.clone()).await?;
    let client = Client {
        http: reqwest::Client::new(),
        url: format!("http://{}/graphql", app.local_addr()),
        token,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));

    let mut report = Report {
        accounts: held.len(),
        load,
        latencies: Vec::with_capacity(batches),
        accepted: 0,
        rejected: 0,
        first_rejection: None,
        incidents: 0,
        replay: Duration::ZERO,
        replay_duplicates: 0,
        snapshot: Duration::ZERO,
        snapshot_rows: 0,
    };
    for body in &bodies {
        let (elapsed, outcome) = client.report(body.clone()).await?;
        report.latencies.push(elapsed);
        report.accepted += count_of(&outcome, "accepted");
        report.rejected += count_of(&outcome, "rejected");
        report.incidents += count_of(&outcome, "incidentsRaised");
        if report.first_rejection.is_none() {
            report.first_rejection = first_rejection(&outcome);
        }
    }
    let (elapsed, outcome) = client.report(bodies[0].clone()).await?;
    report.replay = elapsed;
    report.replay_duplicates = count_of(&outcome, "duplicates");
    if report.replay_duplicates != BATCH as u64 {
        anyhow::bail!(
            "the replay of batch 1 was not all duplicates: {}",
            outcome["items"][0]
        );
    }

    let _ = stop.send(());
    server.await??;
    let started = Instant::now();
    report.snapshot_rows = snapshot::take(db, Utc::now(), &settings.scores()?)
        .await?
        .rows;
    report.snapshot = started.elapsed();
    Ok(report)
}

fn count_of(outcome: &Value, field: &str) -> u64 {
    outcome[field].as_u64().unwrap_or_default()
}

fn first_rejection(outcome: &Value) -> Option<String> {
    let item = outcome["items"]
        .as_array()?
        .iter()
        .find(|item| item["status"] == "REJECTED")?;
    let text = |field: &str| item[field].as_str().unwrap_or_default().to_owned();
    Some(format!(
        "{} {}: {}",
        text("externalId"),
        text("code"),
        text("message")
    ))
}

struct Client {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Client {
    /// Posts one `reportActivities` request; returns its round trip and the batch outcome.
    async fn report(&self, body: String) -> anyhow::Result<(Duration, Value)> {
        let started = Instant::now();
        let response = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/graphql-response+json")
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        let elapsed = started.elapsed();
        let mut answer: Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("reportActivities answered {status} with no JSON"))?;
        if !status.is_success() || answer.get("errors").is_some() {
            anyhow::bail!("reportActivities answered {status}: {}", answer["errors"]);
        }
        Ok((elapsed, answer["data"]["reportActivities"].take()))
    }
}

/// One agency serving the US, a portfolio of `count` generated US card accounts, and an
/// ACTIVE placement of each with the agency; set-based, in one transaction.
async fn load(
    db: &DatabaseConnection,
    count: usize,
    rng: &mut ChaCha8Rng,
) -> anyhow::Result<(agency::Model, Vec<account::Model>)> {
    let template = &accounts::US_CARDS;
    let now = Utc::now();
    let placed_on = now.date_naive() - chrono::Duration::days(PLACED_DAYS_AGO);
    let placed_at = placed_on
        .and_time(NaiveTime::from_hms_opt(9, 0, 0).expect("a valid time"))
        .and_utc();
    let tx = begin_write(db).await?;
    let agency = agency::ActiveModel {
        code: Set(AGENCY.to_owned()),
        legal_name: Set("Benchmark Recoveries LLC".to_owned()),
        status: Set(AgencyStatus::Active),
        kinds_of_work: Set(KindsOfWork(vec![KindOfWork::EarlyStage])),
        channels: Set(Channels(vec![Channel::Call, Channel::Sms, Channel::Email])),
        regions: Set(Regions(
            template.regions.iter().map(|r| r.0.to_owned()).collect(),
        )),
        max_active_accounts: Set(None),
        max_active_balance_minor: Set(None),
        capacity_currency: Set(template.currency.to_owned()),
        remittance_mode: Set(RemittanceMode::Gross),
        status_changed_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let portfolio = portfolio::ActiveModel {
        code: Set(AGENCY.to_owned()),
        name: Set(format!("Benchmark: {count} accounts placed with {AGENCY}")),
        currency: Set(template.currency.to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    // The accounts as they stood on the day they were placed.
    let generated: Vec<_> = (0..count)
        .map(|i| {
            let mut generated = accounts::generate(template, i, placed_on, rng);
            generated.flags.retain(|flag| !NOT_PLACED.contains(flag));
            generated
        })
        .collect();
    let held = demo::insert_accounts(&tx, portfolio.id, template.currency, &generated).await?;
    let placements: Vec<_> = held
        .iter()
        .map(|account| placement::ActiveModel {
            account_id: Set(account.id),
            agency_id: Set(agency.id),
            level: Set(PlacementLevel::Primary),
            status: Set(PlacementStatus::Active),
            placed_at: Set(placed_at),
            due_back_on: Set(placed_on + chrono::Duration::days(90)),
            balance_at_placement_minor: Set(account.outstanding_minor),
            currency: Set(account.currency.clone()),
            ended_at: Set(None),
            end_reason: Set(None),
            created_at: Set(placed_at),
            updated_at: Set(placed_at),
            ..Default::default()
        })
        .collect();
    for chunk in placements.chunks(demo::CHUNK) {
        placement::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&tx)
            .await?;
    }
    tx.commit().await?;
    Ok((agency, held))
}

/// What the agency's system knows of an account it works.
struct Debtor {
    id: i64,
    time_zone: Tz,
    phones: Vec<String>,
    email: Option<String>,
    outstanding_minor: i64,
    currency: String,
}

/// Generates the batches in time order, remembering each account's last conversation.
struct Workload {
    rng: ChaCha8Rng,
    debtors: Vec<Debtor>,
    last_conversation: HashMap<i64, DateTime<Utc>>,
}

impl Workload {
    fn new(held: &[account::Model], rng: ChaCha8Rng) -> anyhow::Result<Self> {
        let debtors = held
            .iter()
            .map(|a| {
                Ok(Debtor {
                    id: a.id,
                    time_zone: a.time_zone.parse().map_err(|_| {
                        anyhow::anyhow!("account {}: unknown time zone {}", a.id, a.time_zone)
                    })?,
                    phones: a.debtor_phones.0.clone(),
                    email: a.debtor_email.clone(),
                    outstanding_minor: a.outstanding_minor,
                    currency: a.currency.clone(),
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            rng,
            debtors,
            last_conversation: HashMap::new(),
        })
    }

    /// Batch `number` of `of`: `BATCH` items on random accounts, within its slice (at
    /// least a day) of the last `SPAN_DAYS` days, in time order.
    fn batch(&mut self, number: usize, of: usize) -> anyhow::Result<Vec<Value>> {
        let first = number * SPAN_DAYS / of;
        let last = ((number + 1) * SPAN_DAYS / of).max(first + 1);
        let mut planned = (0..BATCH)
            .map(|_| {
                let debtor = self.rng.random_range(0..self.debtors.len());
                let days_ago = SPAN_DAYS - self.rng.random_range(first..last);
                Ok((self.when(debtor, days_ago)?, debtor))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        planned.sort();
        planned
            .into_iter()
            .enumerate()
            .map(|(n, (at, debtor))| self.item(format!("ACT-{number:04}-{n:04}"), at, debtor))
            .collect()
    }

    /// A time `days_ago` days before today in the debtor's time zone: within the
    /// permitted 08:00–21:00 mostly, an hour or two outside now and then.
    fn when(&mut self, debtor: usize, days_ago: usize) -> anyhow::Result<DateTime<Utc>> {
        let time_zone = self.debtors[debtor].time_zone;
        let today = Utc::now().with_timezone(&time_zone).date_naive();
        let day: NaiveDate = today - chrono::Duration::days(i64::try_from(days_ago)?);
        let hour = match self.rng.random_range(0..100) {
            0..3 => self.rng.random_range(6..8),
            3..5 => self.rng.random_range(21..23),
            _ => self.rng.random_range(8..21),
        };
        let local = day.and_time(
            NaiveTime::from_hms_opt(
                hour,
                self.rng.random_range(0..60),
                self.rng.random_range(0..60),
            )
            .expect("a valid time"),
        );
        Ok(time_zone
            .from_local_datetime(&local)
            .earliest()
            .with_context(|| format!("{local} does not exist in {time_zone}"))?
            .with_timezone(&Utc))
    }

    /// One item at `at` on the debtor's account; calls remember conversations.
    fn item(
        &mut self,
        external_id: String,
        at: DateTime<Utc>,
        debtor: usize,
    ) -> anyhow::Result<Value> {
        let Self {
            rng,
            debtors,
            last_conversation,
        } = self;
        let debtor = &debtors[debtor];
        let kind = match rng.random_range(0..100) {
            0..80 => ActivityKind::ContactAttempt,
            80..90 => ActivityKind::PromiseToPay,
            _ => ActivityKind::Note,
        };
        // Agents report in the debtor's local time, with its offset.
        let mut item = json!({
            "externalId": external_id,
            "accountId": debtor.id.to_string(),
            "type": kind,
            "occurredAt": at.with_timezone(&debtor.time_zone).to_rfc3339(),
            "agentReference": format!("agent-{:03}", rng.random_range(1..=40)),
        });
        match kind {
            ActivityKind::ContactAttempt => {
                let quiet = last_conversation
                    .get(&debtor.id)
                    .is_some_and(|since| at - *since < chrono::Duration::days(7));
                let (channel, direction, result) = attempt(rng, debtor, quiet);
                if channel == ContactChannel::Call && result == ContactResult::RightPartyContact {
                    last_conversation.insert(debtor.id, at);
                }
                let contact_point = match channel {
                    ContactChannel::Email => debtor.email.clone(),
                    _ => debtor.phones.choose(rng).map(|phone| as_typed(phone, rng)),
                };
                item["channel"] = json!(channel);
                item["direction"] = json!(direction);
                item["result"] = json!(result);
                item["contactPoint"] = json!(contact_point);
            }
            ActivityKind::PromiseToPay => {
                // A tenth to a half of the balance, in whole dollars, due within a month.
                let dollars = debtor.outstanding_minor * rng.random_range(10..=50) / 10_000;
                let minor = dollars.max(1) * 100;
                let amount = money::from_minor(minor, money::currency(&debtor.currency)?);
                let due_on = at.with_timezone(&debtor.time_zone).date_naive()
                    + chrono::Duration::days(rng.random_range(3..=30));
                item["promise"] = json!({
                    "amount": amount.to_string(),
                    "currency": debtor.currency,
                    "dueOn": due_on,
                });
            }
            _ => {
                item["note"] = json!(NOTES.choose(rng).expect("notes listed"));
            }
        }
        Ok(item)
    }
}

/// A text the debtor did not answer.
const TEXT: (ContactChannel, Direction, ContactResult) = (
    ContactChannel::Sms,
    Direction::Outbound,
    ContactResult::LeftMessage,
);

/// How the agency tried to reach the debtor, and how it went. In the week after a
/// conversation the dialer texts instead of calling, nine times in ten.
fn attempt(
    rng: &mut ChaCha8Rng,
    debtor: &Debtor,
    quiet: bool,
) -> (ContactChannel, Direction, ContactResult) {
    if quiet && rng.random_ratio(9, 10) {
        return TEXT;
    }
    match rng.random_range(0..100) {
        0..4 => (
            ContactChannel::Call,
            Direction::Inbound,
            ContactResult::RightPartyContact,
        ),
        4..88 => (ContactChannel::Call, Direction::Outbound, call_result(rng)),
        96.. if debtor.email.is_some() => (
            ContactChannel::Email,
            Direction::Outbound,
            ContactResult::LeftMessage,
        ),
        _ => TEXT,
    }
}

/// How an outbound call went: mostly unanswered.
fn call_result(rng: &mut ChaCha8Rng) -> ContactResult {
    match rng.random_range(0..100) {
        0..45 => ContactResult::NoAnswer,
        45..70 => ContactResult::LeftMessage,
        70..82 => ContactResult::RightPartyContact,
        82..88 => ContactResult::WrongNumber,
        88..94 => ContactResult::Refused,
        _ => ContactResult::ThirdParty,
    }
}

/// A stored `+1NXXNXXXXXX` number as an agent may type it: as stored, or now and then
/// as `+1 (NXX) NXX-XXXX` (the service normalises both to one form).
fn as_typed(phone: &str, rng: &mut ChaCha8Rng) -> String {
    match phone.strip_prefix("+1") {
        Some(digits) if digits.len() == 10 && rng.random_ratio(1, 5) => {
            format!("+1 ({}) {}-{}", &digits[..3], &digits[3..6], &digits[6..])
        }
        _ => phone.to_owned(),
    }
}
