use sea_orm::entity::prelude::*;

/// An append-only record of one state change. Database triggers refuse UPDATE and DELETE.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub occurred_at: DateTimeUtc,
    /// Who acted: `user:<id>` for a person, `integration:<id>` for a system principal,
    /// `system:<component>` for the service itself (`token:<id>` before people existed).
    pub actor: String,
    /// The actor's name when it acted: the user's display name and e-mail, or the integration's name.
    pub actor_name: Option<String>,
    /// How the actor acted: `session:<id>`, `token:<id>`, or `internal`.
    pub actor_via: Option<String>,
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
