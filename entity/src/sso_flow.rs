use sea_orm::entity::prelude::*;

/// An OpenID Connect sign-in under way: begun when the browser was sent to the provider,
/// spent (`used_at`) when the provider sent it back. Only the SHA-256 of the `state` and
/// of the browser's flow cookie is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sso_flows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub state_hash: String,
    /// The flow cookie's hash: the callback must come from the browser that began it.
    pub browser_hash: String,
    /// The ID token must carry this nonce.
    pub nonce: String,
    /// The PKCE code verifier the code exchange proves the flow with.
    pub pkce_verifier: String,
    /// A path on this service to go to once signed in.
    pub return_to: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
