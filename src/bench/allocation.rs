//! `agencyflow bench allocation`: times an allocation of many accounts against the real
//! workflow, on any database. A measurement, not a test.

use std::fmt;
use std::time::{Duration, Instant};

use agencyflow_graphql::domain::Caller;
use agencyflow_graphql::domain::allocation::run::{self, RunRequest};
use agencyflow_graphql::domain::allocation::segment::DpdBucket;
use agencyflow_graphql::domain::allocation::strategies::{self, StrategyInput};
use agencyflow_graphql::domain::tx::begin_write;
use chrono::Utc;
use entity::agency::{self, KindOfWork};
use entity::allocation_strategy::{Segment, SplitMethod};
use entity::placement::PlacementLevel;
use entity::portfolio;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};

use crate::demo::{self, accounts};

pub struct Report {
    pub accounts: usize,
    pub load: Duration,
    pub dry_run: Duration,
    pub run: Duration,
    pub placed: i64,
    pub unplaced: i64,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "accounts in the portfolio: {}", self.accounts)?;
        writeln!(
            f,
            "loading them:              {:.2} s",
            self.load.as_secs_f64()
        )?;
        writeln!(
            f,
            "dry run:                   {:.2} s",
            self.dry_run.as_secs_f64()
        )?;
        writeln!(
            f,
            "real run:                  {:.2} s",
            self.run.as_secs_f64()
        )?;
        write!(f, "placed {}, left unplaced {}", self.placed, self.unplaced)
    }
}

/// Loads the demo agencies (capacity limits lifted) and `count` US card accounts into an
/// empty database, then times a dry run and a real run of an EQUAL early-stage strategy.
pub async fn run(
    db: &DatabaseConnection,
    buckets: &[DpdBucket],
    count: usize,
    seed: u64,
) -> anyhow::Result<Report> {
    if !demo::is_empty(db).await? {
        anyhow::bail!("bench needs an empty database");
    }
    let started = Instant::now();
    let today = Utc::now().date_naive();
    let template = &accounts::US_CARDS;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let tx = begin_write(db).await?;
    demo::insert_agencies(&tx, today, &mut demo::Summary::default()).await?;
    agency::Entity::update_many()
        .set(agency::ActiveModel {
            max_active_accounts: Set(None),
            max_active_balance_minor: Set(None),
            ..Default::default()
        })
        .exec(&tx)
        .await?;
    let portfolio = portfolio::ActiveModel {
        code: Set("BENCH".to_owned()),
        name: Set(format!("Benchmark: {count} accounts")),
        currency: Set(template.currency.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let generated: Vec<_> = (0..count)
        .map(|i| accounts::generate(template, i, today, &mut rng))
        .collect();
    demo::insert_accounts(&tx, portfolio.id, template.currency, &generated).await?;
    tx.commit().await?;
    let load = started.elapsed();

    let caller = Caller::system("bench", Utc::now());
    let strategy = strategies::create(
        db,
        &caller,
        buckets,
        "BENCH-EARLY",
        StrategyInput {
            name: "Benchmark: US early stage, equal split".to_owned(),
            kind_of_work: KindOfWork::EarlyStage,
            level: PlacementLevel::Primary,
            segment: Segment::default(),
            pool_agency_ids: None,
            period_days: 90,
            pending_recall_warning_days: 7,
            split_method: SplitMethod::Equal,
            champion_agency_id: None,
            champion_share_bp: 0,
            floor_share_bp: 1000,
            exclude_previous_holders: true,
        },
    )
    .await?;
    let request = |dry_run| RunRequest {
        strategy_id: strategy.id,
        portfolio_id: portfolio.id,
        dry_run,
        seed: i64::try_from(seed).unwrap_or_default(),
        idempotency_key: None,
        reassign: None,
    };
    let started = Instant::now();
    run::run(db, &caller, buckets, request(true)).await?;
    let dry_run = started.elapsed();
    let started = Instant::now();
    let outcome = run::run(db, &caller, buckets, request(false)).await?;
    Ok(Report {
        accounts: count,
        load,
        dry_run,
        run: started.elapsed(),
        placed: outcome.placed_count,
        unplaced: outcome.unplaced_count,
    })
}
