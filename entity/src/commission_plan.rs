use sea_orm::FromJsonQueryResult;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::placement::PlacementLevel;

/// One version of a commission plan: an agency's own (`agency_id`) or the default, in
/// force from `effective_from` until a later version's date.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commission_plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub agency_id: Option<i64>,
    pub effective_from: Date,
    pub rules: PlanRules,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

/// Every rule of a plan, stated so each statement line can name the one it applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
#[serde(rename_all = "camelCase")]
pub struct PlanRules {
    pub currency: String,
    /// Contingency rates; the first tier a payment's placement matches applies.
    pub tiers: Vec<Tier>,
    /// Extra rate on the period's basis when its recovery rate beats a target.
    pub bonus: Option<Bonus>,
    /// Most commission one account earns in a statement.
    pub cap_per_account_minor: Option<i64>,
    /// A payment reversed within this many days of arriving takes its commission back.
    pub clawback_days: i32,
    /// Whether payments made to the lender directly earn commission.
    pub direct_payments_earn: bool,
}

/// A rate for placements of a level, DPD bucket (at placement) and balance band (at
/// placement); an absent condition matches everything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tier {
    pub level: Option<PlacementLevel>,
    pub dpd_buckets: Vec<String>,
    pub min_balance_minor: Option<i64>,
    /// Exclusive.
    pub max_balance_minor: Option<i64>,
    pub rate_bp: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bonus {
    /// The period's recovery rate must be above this (basis points).
    pub target_recovery_bp: i32,
    pub extra_rate_bp: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
