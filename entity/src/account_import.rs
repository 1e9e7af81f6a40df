use sea_orm::FromJsonQueryResult;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A CSV file of accounts imported in the background (`startAccountImport`): its progress
/// while it runs and its outcome after. The accounts it writes land in one transaction.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_imports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub portfolio_id: i64,
    /// The name the uploader's client gave the file.
    pub file_name: String,
    /// Any refused row refuses the whole file.
    pub atomic: bool,
    pub status: ImportStatus,
    pub rows_read: i64,
    pub created: i64,
    pub updated: i64,
    pub rejected: i64,
    pub error_count: i64,
    /// The first refusals (as many as an import report lists), once the import is over.
    pub errors: Option<RowErrors>,
    /// The refused rows as they were sent, header first, with a last column saying why
    /// (national IDs left out: they are never stored); bounded in size.
    pub rejected_rows_csv: Option<String>,
    /// Why a FAILED import stopped.
    pub failure: Option<String>,
    /// The principal that started it (`user:<id>`, `integration:<id>`).
    pub started_by: String,
    pub started_by_name: String,
    pub started_at: DateTimeUtc,
    /// Last sign of life from the process running it.
    pub heartbeat_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// The process that runs it (host and process id).
    pub runner: String,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ImportStatus {
    #[sea_orm(string_value = "RUNNING")]
    Running,
    /// The file was read to its end; its good rows landed (an atomic import with a
    /// refused row: none did).
    #[sea_orm(string_value = "SUCCEEDED")]
    Succeeded,
    /// The import stopped before the end of the file; nothing from it was written.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// Refused rows, stored as a JSON array.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, FromJsonQueryResult)]
pub struct RowErrors(pub Vec<StoredRowError>);

/// One refusal: the CSV row (1 is the line after the header), its column (none: the row
/// as a whole) and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRowError {
    pub row: u64,
    pub column: Option<String>,
    pub message: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::portfolio::Entity",
        from = "Column::PortfolioId",
        to = "super::portfolio::Column::Id"
    )]
    Portfolio,
}

impl Related<super::portfolio::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Portfolio.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
