//! Demo data: one world a new user can explore. A simulated history (see `simulate`)
//! in which six US agencies of the demo's roster work a US card book through the API,
//! then the demo book of today: nine more agencies with their papers and two portfolios
//! (UK and China) that wait for their first allocation. The book loads in one
//! transaction, deterministic for a given date; both load only into an empty database.

pub(crate) mod accounts;
pub(crate) mod agencies;
mod people;

use std::fmt;

use agencyflow_graphql::domain::audit::{self, Change};
use agencyflow_graphql::domain::{Caller, money, tx::begin_write};
use chrono::{NaiveDate, Utc};
use entity::account::{self, AccountFlags, Phones};
use entity::agency::{self, Channels, Contact, Contacts, KindsOfWork, Regions};
use entity::{agency_qualification, audit_event, portfolio};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait,
};
use serde_json::json;

use crate::config::Settings;
use crate::simulate::{self, world::Roster};
use accounts::{DemoAccount, PORTFOLIOS};
use agencies::{AGENCIES, SIMULATED};
pub use people::{DemoAccess, DemoPerson, DemoToken, people, secrets_file};

const SEED: u64 = 7;
/// The audit action that marks a database as holding the demo data.
const DEMO_LOAD: &str = "demo.load";
/// Rows per INSERT: well inside both stores' bind-parameter limits.
pub(crate) const CHUNK: usize = 500;
/// How the audit log and review fields name the demo loader.
const DEMO_ACTOR: &str = "system:demo";
/// The demo's stand-in for the vendor manager who verified the seeded papers.
const DEMO_REVIEWER: &str = "system:demo-review";
/// The code of the simulated US book, its strategies and account references.
const US_BOOK: &str = "US-CARDS";
/// How often the worst simulated agency ignores the contact rules: a few breaches a
/// month, as a real book would see, not the simulator's flood.
const RECKLESS: f64 = 0.01;

/// How big the simulated history is: the whole demo, or a small one for tests.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub accounts: usize,
    /// The first this many of the roster's six agencies (at least 2).
    pub agencies: usize,
}

impl Size {
    pub const FULL: Size = Size {
        accounts: 2_400,
        agencies: SIMULATED.len(),
    };
}

#[derive(Debug, Default)]
pub struct Summary {
    pub agencies: usize,
    pub qualifications: usize,
    pub portfolios: usize,
    pub accounts: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "demo book loaded: {} more agencies, {} qualifications, {} portfolios awaiting allocation, {} accounts",
            self.agencies, self.qualifications, self.portfolios, self.accounts
        )
    }
}

/// Whether the demo data was loaded into this database.
pub async fn is_demo_database(db: &DatabaseConnection) -> anyhow::Result<bool> {
    use sea_orm::{ColumnTrait, QueryFilter};
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(DEMO_LOAD))
        .count(db)
        .await?
        > 0)
}

pub async fn is_empty(db: &DatabaseConnection) -> anyhow::Result<bool> {
    Ok(agency::Entity::find().count(db).await? == 0
        && portfolio::Entity::find().count(db).await? == 0)
}

/// The simulated history: the roster's agencies working the US card book over the 32
/// days that end with last month, long enough for scores (30 days).
fn history(size: Size) -> simulate::Options {
    simulate::Options {
        days: 32,
        accounts: size.accounts,
        agencies: size.agencies,
        seed: SEED,
        rate: None,
        progress: true,
        roster: Some(Roster {
            prefix: US_BOOK.to_owned(),
            book: "US credit cards".to_owned(),
            agencies: SIMULATED
                .iter()
                .map(|(code, name)| ((*code).to_owned(), (*name).to_owned()))
                .collect(),
            reckless: RECKLESS,
        }),
    }
}

/// What `serve --demo` and `demo` load into an empty database: first the simulated
/// history (through the API, on a manual clock, see [`simulate`]) so scorecards,
/// incidents, reassignments and statements have something to show, then the demo book.
pub async fn load_with_history(
    settings: &Settings,
    db: &DatabaseConnection,
    size: Size,
) -> anyhow::Result<String> {
    if !is_empty(db).await? {
        anyhow::bail!(
            "the database already holds agencies or portfolios; demo data loads only into an empty database"
        );
    }
    let report = simulate::in_process(settings, db.clone(), history(size)).await?;
    anyhow::ensure!(
        report.passed(),
        "the demo's simulated history failed a check:\n{report}"
    );
    let summary = insert_book(db).await?;
    Ok(format!("{report}\n{summary}"))
}

/// The demo book: agencies, their papers, portfolios and accounts of today.
async fn insert_book(db: &DatabaseConnection) -> anyhow::Result<Summary> {
    let today = Utc::now().date_naive();
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let tx = begin_write(db).await?;
    let mut summary = Summary::default();

    insert_agencies(&tx, today, &mut summary).await?;
    for demo_portfolio in PORTFOLIOS {
        let portfolio = portfolio::ActiveModel {
            code: Set(demo_portfolio.code.to_owned()),
            name: Set(demo_portfolio.name.to_owned()),
            currency: Set(demo_portfolio.currency.to_owned()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
        summary.portfolios += 1;
        let generated: Vec<DemoAccount> = (0..demo_portfolio.accounts)
            .map(|i| accounts::generate(demo_portfolio, i, today, &mut rng))
            .collect();
        summary.accounts += insert_accounts(&tx, portfolio.id, demo_portfolio.currency, &generated)
            .await?
            .len();
    }

    audit::record(
        &tx,
        &Caller::system("demo", Utc::now()),
        Change {
            action: DEMO_LOAD,
            entity_type: "database",
            entity_id: "demo".to_owned(),
            before: None,
            after: Some(json!({
                "agencies": summary.agencies,
                "qualifications": summary.qualifications,
                "portfolios": summary.portfolios,
                "accounts": summary.accounts,
                "seed": SEED,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(summary)
}

pub(crate) async fn insert_agencies<C: ConnectionTrait>(
    conn: &C,
    today: NaiveDate,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let now = Utc::now();
    for demo in AGENCIES {
        let model = agency::ActiveModel {
            code: Set(demo.code.to_owned()),
            legal_name: Set(demo.legal_name.to_owned()),
            status: Set(demo.status),
            kinds_of_work: Set(KindsOfWork(demo.kinds.to_vec())),
            channels: Set(Channels(demo.channels.to_vec())),
            regions: Set(Regions(
                demo.regions.iter().map(|r| (*r).to_owned()).collect(),
            )),
            max_active_accounts: Set(Some(demo.max_active_accounts)),
            max_active_balance_minor: Set(Some(money::to_minor(
                Decimal::from(demo.max_active_balance),
                money::currency(demo.capacity_currency)?,
            )?)),
            capacity_currency: Set(demo.capacity_currency.to_owned()),
            remittance_mode: Set(demo.remittance),
            status_reason: Set(demo.status_reason.map(str::to_owned)),
            status_changed_at: Set(Some(now)),
            contacts: Set(Some(Contacts(vec![Contact {
                name: format!("{} operations desk", demo.code),
                role: "Account manager".to_owned(),
                email: Some(format!("ops@{}.example.com", demo.code.to_lowercase())),
                phone: None,
            }]))),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        let qualifications: Vec<_> = agencies::qualifications(demo, today)
            .into_iter()
            .enumerate()
            .map(|(i, q)| {
                let reviewed = q.status != agency_qualification::QualificationStatus::PendingReview;
                agency_qualification::ActiveModel {
                    agency_id: Set(model.id),
                    qualification_type: Set(q.qualification_type.to_owned()),
                    region: Set(q.region.map(str::to_owned)),
                    identifier: Set(format!(
                        "{}-{}-{:03}",
                        demo.code,
                        q.qualification_type,
                        i + 1
                    )),
                    issuer: Set(q.issuer),
                    issued_on: Set(q.issued_on),
                    expires_on: Set(Some(q.expires_on)),
                    document_url: Set(Some(format!(
                        "https://documents.example.com/{}/{}-{}.pdf",
                        demo.code.to_lowercase(),
                        q.qualification_type.to_lowercase(),
                        i + 1
                    ))),
                    document_sha256: Set(None),
                    status: Set(q.status),
                    reviewed_by: Set(reviewed.then(|| DEMO_REVIEWER.to_owned())),
                    review_note: Set(
                        reviewed.then(|| "checked against the issuer's register".to_owned())
                    ),
                    reviewed_at: Set(reviewed.then_some(now)),
                    submitted_by: Set(Some(DEMO_ACTOR.to_owned())),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
            })
            .collect();
        summary.qualifications += qualifications.len();
        agency_qualification::Entity::insert_many(qualifications)
            .exec_without_returning(conn)
            .await?;
    }
    summary.agencies = AGENCIES.len();
    Ok(())
}

pub(crate) async fn insert_accounts<C: ConnectionTrait>(
    conn: &C,
    portfolio_id: i64,
    currency: &str,
    generated: &[DemoAccount],
) -> anyhow::Result<Vec<account::Model>> {
    let now = Utc::now();
    let mut stored = Vec::with_capacity(generated.len());
    for chunk in generated.chunks(CHUNK) {
        let rows = chunk.iter().map(|a| account::ActiveModel {
            portfolio_id: Set(portfolio_id),
            lender_reference: Set(a.lender_reference.clone()),
            debtor_name: Set(a.debtor_name.clone()),
            debtor_phones: Set(Phones(a.phones.clone())),
            debtor_email: Set(a.email.clone()),
            national_id_hash: Set(None),
            national_id_last4: Set(Some(a.national_id_last4.clone())),
            region: Set(a.region.to_owned()),
            time_zone: Set(a.time_zone.to_owned()),
            product: Set(a.product),
            principal_minor: Set(a.principal_minor),
            outstanding_minor: Set(a.outstanding_minor),
            currency: Set(currency.to_owned()),
            delinquency_start: Set(a.delinquency_start),
            charge_off_date: Set(a.charge_off_date),
            flags: Set(AccountFlags(a.flags.clone())),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        stored.extend(
            account::Entity::insert_many(rows)
                .exec_with_returning(conn)
                .await?,
        );
    }
    Ok(stored)
}
