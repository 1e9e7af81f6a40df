use sea_orm::entity::prelude::*;

/// One application of a strategy to a portfolio that placed accounts. Dry runs are not stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "allocation_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub strategy_id: i64,
    pub portfolio_id: i64,
    pub seed: i64,
    pub idempotency_key: Option<String>,
    /// SHA-256 of the request, to tell a replay from a different request reusing a key.
    pub request_hash: String,
    pub placed_count: i64,
    pub unplaced_count: i64,
    /// Per-agency counts and balances, and unplaced counts by reason.
    pub summary: Json,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
