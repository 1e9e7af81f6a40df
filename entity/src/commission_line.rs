use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::reconciliation_item::Ids;

/// One line of a statement: a payment and the rule it earned by, a bonus, a clawback or
/// an adjustment. Each is rounded half-up to the minor unit on its own.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commission_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub statement_id: i64,
    pub kind: LineKind,
    pub account_id: Option<i64>,
    /// The placement the money was collected on (payment and clawback lines).
    pub placement_id: Option<i64>,
    pub payment_ids: Ids,
    pub ledger_entry_ids: Ids,
    pub plan_id: Option<i64>,
    /// The rule applied, in words.
    pub rule: String,
    pub rate_bp: i32,
    pub basis_minor: i64,
    pub commission_minor: i64,
    pub note: String,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LineKind {
    #[sea_orm(string_value = "PAYMENT")]
    Payment,
    #[sea_orm(string_value = "BONUS")]
    Bonus,
    #[sea_orm(string_value = "CLAWBACK")]
    Clawback,
    #[sea_orm(string_value = "ADJUSTMENT")]
    Adjustment,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
