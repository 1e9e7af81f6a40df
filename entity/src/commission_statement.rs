use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What an agency earned in a period, line by line. An APPROVED statement never changes:
/// corrections become adjustments in a later one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commission_statements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub agency_id: i64,
    pub period_start: Date,
    pub period_end: Date,
    pub currency: String,
    pub status: StatementStatus,
    /// The reconciliation it was built from.
    pub reconciliation_run_id: i64,
    /// The money commission was computed on.
    pub basis_minor: i64,
    /// The sum of the rounded lines: what the agency earned.
    pub commission_minor: i64,
    /// Fees the agency already kept from NET remittances.
    pub fee_withheld_minor: i64,
    /// Per kind of line, and what is left to pay.
    pub totals: Json,
    pub generated_by: String,
    pub generated_at: DateTimeUtc,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<DateTimeUtc>,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTimeUtc>,
    pub paid_by: Option<String>,
    pub paid_at: Option<DateTimeUtc>,
    pub dispute_reason: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StatementStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    #[sea_orm(string_value = "PAID")]
    Paid,
    /// The agency disputes it; regenerating makes it a DRAFT again.
    #[sea_orm(string_value = "DISPUTED")]
    Disputed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
