use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One account handed to one agency for a placement period.
///
/// The database refuses a second `ACTIVE` placement for the same account
/// (partial unique index `placements_one_active_per_account`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "placements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub agency_id: i64,
    pub level: PlacementLevel,
    pub status: PlacementStatus,
    pub placed_at: DateTimeUtc,
    pub due_back_on: Date,
    pub balance_at_placement_minor: i64,
    pub currency: String,
    pub ended_at: Option<DateTimeUtc>,
    pub end_reason: Option<String>,
    /// The allocation run that made the placement, if one did.
    pub allocation_run_id: Option<i64>,
    /// Why this agency got this account: checks passed, share, score.
    pub explanation: Option<Json>,
    /// When the agency was warned that the due-back date is near.
    pub recall_warned_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlacementLevel {
    #[sea_orm(string_value = "PRIMARY")]
    Primary,
    #[sea_orm(string_value = "SECONDARY")]
    Secondary,
    #[sea_orm(string_value = "TERTIARY")]
    Tertiary,
    #[sea_orm(string_value = "LEGAL")]
    Legal,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlacementStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "RECALLED")]
    Recalled,
    #[sea_orm(string_value = "RETURNED")]
    Returned,
    #[sea_orm(string_value = "PAID")]
    Paid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::account::Entity",
        from = "Column::AccountId",
        to = "super::account::Column::Id"
    )]
    Account,
    #[sea_orm(
        belongs_to = "super::agency::Entity",
        from = "Column::AgencyId",
        to = "super::agency::Column::Id"
    )]
    Agency,
}

impl Related<super::account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

impl Related<super::agency::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Agency.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
