//! How the agencyflow schema evolves. Append-only: never edit a migration that has shipped.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261128_000001_foundation;
mod m20261128_000002_qualifications;
mod m20261128_000004_allocation;
mod m20261128_000005_webhooks;
mod m20261128_000006_reporting;
mod m20261128_000007_scheduler;
mod m20261128_000008_performance;
mod m20261128_000009_reconciliation;
mod m20261128_000010_commissions;
mod m20261203_000003_token_last_used;
mod m20261203_000004_one_idle_threshold;
mod m20261203_000004_reconciliation_matches;
mod m20261203_000006_daily_commission_statements;
mod m20261204_000001_people;
mod m20261205_000001_sso_flows;
mod m20261206_000001_account_imports;
mod m20261206_000002_reconciliation_resolutions;
mod m20261206_000003_reassignment_approval_and_hold;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_foundation::Migration),
            Box::new(m20261128_000002_qualifications::Migration),
            Box::new(m20261128_000004_allocation::Migration),
            Box::new(m20261128_000005_webhooks::Migration),
            Box::new(m20261128_000006_reporting::Migration),
            Box::new(m20261128_000007_scheduler::Migration),
            Box::new(m20261128_000008_performance::Migration),
            Box::new(m20261128_000009_reconciliation::Migration),
            Box::new(m20261128_000010_commissions::Migration),
            Box::new(m20261203_000003_token_last_used::Migration),
            Box::new(m20261203_000004_reconciliation_matches::Migration),
            Box::new(m20261203_000004_one_idle_threshold::Migration),
            Box::new(m20261203_000006_daily_commission_statements::Migration),
            Box::new(m20261204_000001_people::Migration),
            Box::new(m20261205_000001_sso_flows::Migration),
            Box::new(m20261206_000001_account_imports::Migration),
            Box::new(m20261206_000002_reconciliation_resolutions::Migration),
            Box::new(m20261206_000003_reassignment_approval_and_hold::Migration),
        ]
    }
}
