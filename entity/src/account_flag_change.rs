use sea_orm::entity::prelude::*;

use super::account::AccountFlag;

/// A flag set on or lifted from an account, and when: the contact rules judge a contact by
/// the flags in force when it happened.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_flag_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub flag: FlagName,
    /// Set (true) or lifted (false).
    pub set: bool,
    /// When it took effect: the reported request's time, or when the lender changed it.
    pub at: DateTimeUtc,
    /// The reported dispute or cease-contact request that set it, if one did.
    pub activity_id: Option<i64>,
    pub changed_by: String,
}

/// [`AccountFlag`] as a column.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum FlagName {
    #[sea_orm(string_value = "DISPUTED")]
    Disputed,
    #[sea_orm(string_value = "CEASE_CONTACT")]
    CeaseContact,
    #[sea_orm(string_value = "BANKRUPTCY")]
    Bankruptcy,
    #[sea_orm(string_value = "DECEASED")]
    Deceased,
    #[sea_orm(string_value = "VULNERABLE")]
    Vulnerable,
}

impl From<AccountFlag> for FlagName {
    fn from(flag: AccountFlag) -> Self {
        match flag {
            AccountFlag::Disputed => Self::Disputed,
            AccountFlag::CeaseContact => Self::CeaseContact,
            AccountFlag::Bankruptcy => Self::Bankruptcy,
            AccountFlag::Deceased => Self::Deceased,
            AccountFlag::Vulnerable => Self::Vulnerable,
        }
    }
}

impl From<FlagName> for AccountFlag {
    fn from(flag: FlagName) -> Self {
        match flag {
            FlagName::Disputed => Self::Disputed,
            FlagName::CeaseContact => Self::CeaseContact,
            FlagName::Bankruptcy => Self::Bankruptcy,
            FlagName::Deceased => Self::Deceased,
            FlagName::Vulnerable => Self::Vulnerable,
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
