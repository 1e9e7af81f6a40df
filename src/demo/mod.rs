//! Demo data: a simulated history (see `simulate`), then the demo book of today: twelve
//! agencies with their papers, three portfolios of accounts in the US, the UK and China,
//! and the placements an allocation would have made. The book loads in one transaction,
//! deterministic for a given date; both load only into an empty database.

pub(crate) mod accounts;
pub(crate) mod agencies;

use std::collections::HashMap;
use std::fmt;

use agencyflow_graphql::domain::audit::{self, Change};
use agencyflow_graphql::domain::tokens::{self, NewToken};
use agencyflow_graphql::domain::{Caller, money, tx::begin_write};
use chrono::{Duration, NaiveDate, NaiveTime, Utc};
use entity::account::{self, AccountFlag, AccountFlags, Phones};
use entity::agency::{
    self, AgencyStatus, Channels, Contact, Contacts, KindOfWork, KindsOfWork, Regions,
};
use entity::api_token::Role;
use entity::placement::{self, PlacementLevel, PlacementStatus};
use entity::{agency_qualification, audit_event, portfolio};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait,
};
use serde_json::json;

use crate::config::Settings;
use crate::simulate;
use accounts::{DemoAccount, PORTFOLIOS};
use agencies::AGENCIES;

const SEED: u64 = 7;
/// The audit action that marks a database as holding the demo data.
const DEMO_LOAD: &str = "demo.load";
/// Rows per INSERT: well inside both stores' bind-parameter limits.
pub(crate) const CHUNK: usize = 500;
/// How the audit log and review fields name the demo loader.
const DEMO_ACTOR: &str = "system:demo";
/// The demo's stand-in for the vendor manager who verified the seeded papers.
const DEMO_REVIEWER: &str = "system:demo-review";
/// The agency whose token `serve --demo` prints.
const DEMO_AGENCY: &str = "ACME";

#[derive(Debug, Default)]
pub struct Summary {
    pub agencies: usize,
    pub qualifications: usize,
    pub portfolios: usize,
    pub accounts: usize,
    pub placements: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "demo data loaded: {} agencies, {} qualifications, {} portfolios, {} accounts, {} placements",
            self.agencies, self.qualifications, self.portfolios, self.accounts, self.placements
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

fn refuse_unless_empty(empty: bool) -> anyhow::Result<()> {
    if !empty {
        anyhow::bail!(
            "the database already holds agencies or portfolios; demo data loads only into an empty database"
        );
    }
    Ok(())
}

/// The simulated history in front of the demo book: a US card book worked by eight
/// agencies over the 32 days that end with last month, long enough for scores (30 days).
fn history() -> simulate::Options {
    simulate::Options {
        days: 32,
        accounts: 2_400,
        agencies: 8,
        seed: SEED,
        rate: None,
        progress: true,
    }
}

/// What `serve --demo` and `demo` load into an empty database: first a simulated history
/// (through the API, on a manual clock, see [`simulate`]) so scorecards, incidents,
/// reassignments and statements have something to show, then the demo book of today.
pub async fn load_with_history(
    settings: &Settings,
    db: &DatabaseConnection,
) -> anyhow::Result<String> {
    refuse_unless_empty(is_empty(db).await?)?;
    let report = simulate::in_process(settings, db.clone(), history()).await?;
    anyhow::ensure!(
        report.passed(),
        "the demo's simulated history failed a check:\n{report}"
    );
    let summary = insert_book(db).await?;
    Ok(format!("{report}\n{summary}"))
}

/// Loads the demo book alone into an empty database, in one transaction.
pub async fn load(db: &DatabaseConnection) -> anyhow::Result<Summary> {
    refuse_unless_empty(is_empty(db).await?)?;
    insert_book(db).await
}

/// The demo book: agencies, their papers, portfolios, accounts and placements of today.
async fn insert_book(db: &DatabaseConnection) -> anyhow::Result<Summary> {
    let today = Utc::now().date_naive();
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let tx = begin_write(db).await?;
    let mut summary = Summary::default();

    let agencies = insert_agencies(&tx, today, &mut summary).await?;
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
        let stored =
            insert_accounts(&tx, portfolio.id, demo_portfolio.currency, &generated).await?;
        summary.accounts += stored.len();
        let placements = plan_placements(&agencies, &stored, today, &mut rng);
        summary.placements += placements.len();
        for chunk in placements.chunks(CHUNK) {
            placement::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&tx)
                .await?;
        }
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
                "placements": summary.placements,
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
) -> anyhow::Result<Vec<agency::Model>> {
    let now = Utc::now();
    let mut stored = Vec::with_capacity(AGENCIES.len());
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
        stored.push(model);
    }
    summary.agencies = stored.len();
    Ok(stored)
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

/// Which kind of work and level an account's age calls for.
fn stage(days_past_due: i64, outstanding_minor: i64) -> (KindOfWork, PlacementLevel) {
    match days_past_due {
        ..=90 => (KindOfWork::EarlyStage, PlacementLevel::Primary),
        91..=180 => (KindOfWork::LateStage, PlacementLevel::Secondary),
        _ if outstanding_minor >= 1_000_000 => (KindOfWork::Legal, PlacementLevel::Legal),
        _ => (KindOfWork::ChargedOff, PlacementLevel::Tertiary),
    }
}

fn within_demo_share(load: i64, capacity: Option<i64>) -> bool {
    capacity.is_none_or(|max| load * 5 <= max * 4)
}

/// Places about four in five accounts, as a simple allocation would have: an agency
/// that does the kind of work, serves the region, is active and has room. Accounts
/// flagged cease-contact, bankrupt or deceased are never placed.
fn plan_placements(
    agencies: &[agency::Model],
    accounts: &[account::Model],
    today: NaiveDate,
    rng: &mut ChaCha8Rng,
) -> Vec<placement::ActiveModel> {
    // (accounts, outstanding in the agency's capacity currency) placed so far.
    let mut load: HashMap<i64, (i64, i64)> = HashMap::new();
    let mut rows = Vec::new();
    let scrubbed = [
        AccountFlag::CeaseContact,
        AccountFlag::Bankruptcy,
        AccountFlag::Deceased,
    ];
    for account in accounts {
        if account.flags.0.iter().any(|f| scrubbed.contains(f)) || rng.random_ratio(1, 5) {
            continue;
        }
        let days_past_due = (today - account.delinquency_start).num_days();
        let (kind, level) = stage(days_past_due, account.outstanding_minor);
        let candidates: Vec<&agency::Model> = agencies
            .iter()
            .filter(|a| a.status == AgencyStatus::Active)
            .filter(|a| a.kinds_of_work.0.contains(&kind))
            .filter(|a| a.regions.0.contains(&account.region))
            .filter(|a| {
                let (accounts, balance) = load.get(&a.id).copied().unwrap_or_default();
                let counted = if a.capacity_currency == account.currency {
                    account.outstanding_minor
                } else {
                    0
                };
                // Demo agencies are left a fifth of their capacity for allocation to use.
                within_demo_share(accounts + 1, a.max_active_accounts)
                    && within_demo_share(balance + counted, a.max_active_balance_minor)
            })
            .collect();
        let Some(agency) = candidates.choose(rng) else {
            continue;
        };
        let held = load.entry(agency.id).or_default();
        held.0 += 1;
        if agency.capacity_currency == account.currency {
            held.1 += account.outstanding_minor;
        }
        let days_held = rng.random_range(0..=days_past_due.clamp(0, 60));
        let placed_on = today - Duration::days(days_held);
        let period = if level == PlacementLevel::Legal {
            180
        } else {
            90
        };
        let placed_at = placed_on
            .and_time(NaiveTime::from_hms_opt(9, 0, 0).expect("valid time"))
            .and_utc();
        rows.push(placement::ActiveModel {
            account_id: Set(account.id),
            agency_id: Set(agency.id),
            level: Set(level),
            status: Set(PlacementStatus::Active),
            placed_at: Set(placed_at),
            due_back_on: Set(placed_on + Duration::days(period)),
            balance_at_placement_minor: Set(account.outstanding_minor),
            currency: Set(account.currency.clone()),
            ended_at: Set(None),
            end_reason: Set(None),
            created_at: Set(placed_at),
            updated_at: Set(placed_at),
            ..Default::default()
        });
    }
    rows
}

pub struct DemoTokens {
    pub admin: String,
    pub agency: String,
    pub agency_code: &'static str,
}

/// Mints an ADMIN token and an AGENCY token for the demo agency.
pub async fn issue_tokens(db: &DatabaseConnection) -> anyhow::Result<DemoTokens> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let agency = agency::Entity::find()
        .filter(agency::Column::Code.eq(DEMO_AGENCY))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo agency {DEMO_AGENCY} is missing"))?;
    let caller = Caller::system("demo", Utc::now());
    let mint = |role, agency_id, label: &str| NewToken {
        role,
        agency_id,
        label: label.to_owned(),
        expires_at: None,
    };
    let admin = tokens::create(db, &caller, mint(Role::Admin, None, "demo admin")).await?;
    let agency_token = tokens::create(
        db,
        &caller,
        mint(Role::Agency, Some(agency.id), "demo agency system"),
    )
    .await?;
    Ok(DemoTokens {
        admin: admin.secret,
        agency: agency_token.secret,
        agency_code: DEMO_AGENCY,
    })
}
