use sea_orm::entity::prelude::*;

/// An append-only record of one state change. Database triggers refuse UPDATE and DELETE.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub occurred_at: DateTimeUtc,
    /// Who acted: `token:<id>` for API callers, `system:<component>` for the service itself.
    pub actor: String,
    pub actor_role: Option<String>,
    pub actor_agency_id: Option<i64>,
    /// Dotted verb, e.g. `api_token.create`.
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<Json>,
    pub after: Option<Json>,
    pub request_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
