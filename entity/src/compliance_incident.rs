use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A breach of a contact rule or of conduct: raised automatically by a report that broke
/// a rule, from a complaint, or by an audit; acknowledged by the agency, then resolved or
/// waived by a vendor manager.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "compliance_incidents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub agency_id: i64,
    pub account_id: Option<i64>,
    pub placement_id: Option<i64>,
    /// The reported activity that broke the rule, for automatic incidents.
    pub activity_id: Option<i64>,
    pub source: IncidentSource,
    /// The rule broken, e.g. `CONTACT_HOURS`, or a category for people's incidents.
    pub rule: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub summary: String,
    /// The facts: report items, measured figure and limit, or a person's findings.
    pub evidence: Json,
    /// Set for incidents a watch raises at most once per fact (e.g. `IDLE:<placement>`).
    pub dedupe_key: Option<String>,
    /// When the breach happened.
    pub occurred_at: DateTimeUtc,
    pub raised_at: DateTimeUtc,
    pub raised_by: String,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub acknowledged_by: Option<String>,
    pub acknowledgement_note: Option<String>,
    /// When a vendor manager resolved or waived it.
    pub closed_at: Option<DateTimeUtc>,
    pub closed_by: Option<String>,
    pub closing_note: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IncidentSource {
    /// A report that broke a contact rule, or a watch (idle placements).
    #[sea_orm(string_value = "AUTOMATIC")]
    Automatic,
    /// A complaint from a debtor, a regulator or a complaint platform.
    #[sea_orm(string_value = "COMPLAINT")]
    Complaint,
    /// A finding of an on-site or remote audit.
    #[sea_orm(string_value = "AUDIT")]
    Audit,
}

#[derive(
    Copy,
    Clone,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    #[sea_orm(string_value = "LOW")]
    Low,
    #[sea_orm(string_value = "MEDIUM")]
    Medium,
    #[sea_orm(string_value = "HIGH")]
    High,
    #[sea_orm(string_value = "CRITICAL")]
    Critical,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IncidentStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    /// The agency has seen it and answered.
    #[sea_orm(string_value = "ACKNOWLEDGED")]
    Acknowledged,
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
    /// Closed without remedy: not a breach after all, or accepted.
    #[sea_orm(string_value = "WAIVED")]
    Waived,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
