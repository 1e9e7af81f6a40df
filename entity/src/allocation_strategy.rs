use sea_orm::FromJsonQueryResult;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::account::Product;
use super::agency::KindOfWork;
use super::placement::PlacementLevel;

/// One version of a rule for sharing a segment's accounts among agencies. A change
/// creates the next version; runs keep pointing at the version they applied.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "allocation_strategies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub code: String,
    pub version: i32,
    pub name: String,
    pub kind_of_work: KindOfWork,
    pub level: PlacementLevel,
    pub segment: Segment,
    /// The agencies that may receive work; `None`: every agency doing this kind of work.
    pub pool_agency_ids: Option<AgencyIds>,
    pub period_days: i32,
    pub pending_recall_warning_days: i32,
    pub split_method: SplitMethod,
    pub champion_agency_id: Option<i64>,
    /// Champion's share in basis points (7000 = 70%).
    pub champion_share_bp: i32,
    /// Share of each agency without performance history, in basis points.
    pub floor_share_bp: i32,
    /// Never place an account again with an agency that held it before.
    pub exclude_previous_holders: bool,
    /// Only the latest version of a strategy is active.
    pub active: bool,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

/// Which accounts a strategy takes. Empty lists and absent bounds match everything.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, FromJsonQueryResult)]
#[serde(rename_all = "camelCase")]
pub struct Segment {
    /// DPD bucket names from the configuration, e.g. `M1`, `M4-6`.
    pub dpd_buckets: Vec<String>,
    /// Outstanding balance at least this (decimal string, in the portfolio's currency).
    pub min_balance: Option<String>,
    /// Outstanding balance below this.
    pub max_balance: Option<String>,
    pub regions: Vec<String>,
    pub products: Vec<Product>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, FromJsonQueryResult)]
pub struct AgencyIds(pub Vec<i64>);

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SplitMethod {
    #[sea_orm(string_value = "PERFORMANCE_WEIGHTED")]
    PerformanceWeighted,
    #[sea_orm(string_value = "CHAMPION_CHALLENGER")]
    ChampionChallenger,
    #[sea_orm(string_value = "EQUAL")]
    Equal,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
