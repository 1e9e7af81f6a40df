use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a principal (a user, an integration, a token) may do.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    #[sea_orm(string_value = "VENDOR_MANAGER")]
    VendorManager,
    #[sea_orm(string_value = "AGENCY")]
    Agency,
    #[sea_orm(string_value = "FINANCE")]
    Finance,
    #[sea_orm(string_value = "AUDITOR")]
    Auditor,
}
