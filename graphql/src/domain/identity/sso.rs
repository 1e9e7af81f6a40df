//! Single sign-on through an OpenID Connect provider: the workflow half. The flows under
//! way are kept in the database (several service processes share it, and any of them may
//! receive the callback of a flow another began), each spent once. A verified identity
//! becomes a user: matched by its subject (`issuer#sub`), else by its verified e-mail
//! (and linked), else created; with the role and agency the provider's claims map to.
//! A stored role or agency that differs from the mapped one is changed the way an ADMIN's
//! `updateUser` changes it, ending the user's sessions and revoking their tokens. Every
//! refusal is audited. The protocol itself (discovery, the code exchange, the ID token's
//! verification) is the HTTP layer's.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use entity::api_token::Role;
use entity::user::{self, UserStatus};
use entity::user_session::SignInMethod;
use entity::{agency, sso_flow};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use serde_json::json;

use super::Identity;
use super::records;
use super::sessions::{Client, Started};
use super::sign_in::{Browser, open_session};
use super::users::{self, NewUser, UserChanges};
use crate::domain::actor::Caller;
use crate::domain::audit::{self, Change};
use crate::domain::secret;
use crate::domain::tx::begin_write;
use crate::error::{AppError, AppResult};

/// How long the provider has to send the browser back.
pub const FLOW_LIFETIME: Duration = Duration::minutes(10);
const BROWSER_PREFIX: &str = "afsso_";

/// What the configuration says about the provider's identities.
#[derive(Clone, Debug)]
pub struct SsoPolicy {
    /// The provider's issuer URL: with the ID token's `sub`, it names an identity.
    pub issuer: String,
    /// Values of the role claim, each with the role it grants.
    pub role_map: BTreeMap<String, Role>,
    /// Create a user for an identity whose verified e-mail no user has.
    pub create_users: bool,
}

impl SsoPolicy {
    /// The role the claim's values grant: that of the first value that is mapped.
    pub fn role(&self, values: &[String]) -> Option<Role> {
        values
            .iter()
            .find_map(|value| self.role_map.get(value).copied())
    }

    /// How `users.sso_subject` names the identity of `sub` at this provider.
    pub fn subject(&self, sub: &str) -> String {
        format!("{}#{sub}", self.issuer)
    }
}

/// A sign-in about to be sent to the provider.
pub struct NewFlow {
    /// The `state` the provider sends back; only its hash is kept.
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: Option<String>,
}

/// A flow the provider's callback completes.
#[derive(Debug)]
pub struct Flow {
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: Option<String>,
}

/// Why a single sign-on was refused, as the audit log records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The callback's `state` names no flow (or none was sent).
    UnknownFlow,
    FlowExpired,
    /// The callback was used before: a flow is spent once.
    FlowUsed,
    /// The callback reached a browser without the flow cookie of the one that began it.
    OtherBrowser,
    /// The provider answered the authentication request with this OAuth error code.
    ProviderError(String),
    /// The provider could not be reached or gave an answer that is not OpenID Connect.
    ProviderUnavailable,
    /// The provider refused the code exchange with this OAuth error code.
    CodeRefused(String),
    /// The ID token's signature, issuer, audience or expiry is wrong.
    InvalidIdToken,
    /// The ID token's nonce is not the flow's.
    NonceMismatch,
    /// No e-mail, or one the provider has not verified.
    EmailNotVerified,
    /// The verified e-mail is not one a user can have.
    EmailUnusable,
    /// None of the role claim's values is mapped to a role.
    NoRole,
    /// AGENCY is mapped, and the agency claim names no agency the service knows.
    UnknownAgency(Option<String>),
    UserDisabled,
    /// No user has the e-mail, and users are not created from sign-ins.
    NoAccount,
    /// The e-mail's user signs in with another identity of the provider.
    LinkedElsewhere,
    /// The mapped role could not be given (it would leave no active ADMIN).
    RoleChangeRefused(String),
}

impl Refusal {
    /// The reason the audit log records.
    pub fn reason(&self) -> String {
        match self {
            Self::UnknownFlow => "unknown flow".into(),
            Self::FlowExpired => "flow expired".into(),
            Self::FlowUsed => "flow already used".into(),
            Self::OtherBrowser => "flow cookie missing or another browser's".into(),
            Self::ProviderError(code) => format!("provider error {code}"),
            Self::ProviderUnavailable => "provider unavailable".into(),
            Self::CodeRefused(code) => format!("code exchange refused: {code}"),
            Self::InvalidIdToken => "invalid ID token".into(),
            Self::NonceMismatch => "nonce mismatch".into(),
            Self::EmailNotVerified => "e-mail missing or not verified".into(),
            Self::EmailUnusable => "e-mail unusable".into(),
            Self::NoRole => "no mapped role".into(),
            Self::UnknownAgency(code) => {
                format!("unknown agency {}", code.as_deref().unwrap_or("(none)"))
            }
            Self::UserDisabled => "user disabled".into(),
            Self::NoAccount => "no user with the e-mail".into(),
            Self::LinkedElsewhere => "e-mail linked to another identity".into(),
            Self::RoleChangeRefused(why) => format!("role change refused: {why}"),
        }
    }
}

/// Records a new flow at `now` and answers the secret of the browser's flow cookie. Flows
/// that have expired are deleted on the way.
pub async fn begin(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    flow: NewFlow,
) -> AppResult<String> {
    let browser = secret::generate(BROWSER_PREFIX);
    let tx = begin_write(db).await?;
    sso_flow::Entity::delete_many()
        .filter(sso_flow::Column::ExpiresAt.lte(now))
        .exec(&tx)
        .await?;
    sso_flow::ActiveModel {
        state_hash: Set(secret::hash(&flow.state)),
        browser_hash: Set(secret::hash(&browser)),
        nonce: Set(flow.nonce),
        pkce_verifier: Set(flow.pkce_verifier),
        return_to: Set(flow.return_to),
        created_at: Set(now),
        expires_at: Set(now + FLOW_LIFETIME),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    tx.commit().await?;
    Ok(browser)
}

/// Spends the flow `state` names, at `now`, for the browser with the flow cookie
/// `browser`: refused when there is no such flow, it has expired or been spent, or the
/// cookie is not the one the flow was begun with. Spending is one conditional update, so
/// of two callbacks racing in two processes one wins. A flow named with another browser's
/// cookie is spent all the same: its `state` has leaked.
pub async fn take<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    state: &str,
    browser: Option<&str>,
) -> AppResult<Result<Flow, Refusal>> {
    let state_hash = secret::hash(state);
    let spent = sso_flow::Entity::update_many()
        .col_expr(sso_flow::Column::UsedAt, Expr::value(now))
        .filter(sso_flow::Column::StateHash.eq(state_hash.as_str()))
        .filter(sso_flow::Column::UsedAt.is_null())
        .filter(sso_flow::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?;
    let found = sso_flow::Entity::find()
        .filter(sso_flow::Column::StateHash.eq(state_hash))
        .one(conn)
        .await?;
    let Some(flow) = found else {
        return Ok(Err(Refusal::UnknownFlow));
    };
    if spent.rows_affected == 0 {
        return Ok(Err(match flow.used_at {
            Some(_) => Refusal::FlowUsed,
            None => Refusal::FlowExpired,
        }));
    }
    if browser.map(secret::hash).as_deref() != Some(flow.browser_hash.as_str()) {
        return Ok(Err(Refusal::OtherBrowser));
    }
    Ok(Ok(Flow {
        nonce: flow.nonce,
        pkce_verifier: flow.pkce_verifier,
        return_to: flow.return_to,
    }))
}

/// What the provider says about the person, once its ID token is verified.
#[derive(Clone, Debug, Default)]
pub struct Claims {
    /// The ID token's `sub`.
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    /// The role claim's values, in the provider's order.
    pub roles: Vec<String>,
    /// The agency claim: an agency code.
    pub agency: Option<String>,
}

pub enum Outcome {
    /// A session started: its cookie secret and row.
    SignedIn(Box<Started>),
    Refused(Refusal),
}

/// Signs in the person the provider vouches for, at `caller.now` (a `system:sso` caller:
/// it creates, links and updates the user).
pub async fn sign_in(
    db: &DatabaseConnection,
    caller: &Caller,
    identity: &Identity,
    policy: &SsoPolicy,
    claims: &Claims,
    browser: &Browser<'_>,
) -> AppResult<Outcome> {
    let subject = policy.subject(&claims.subject);
    let refused = async |refusal: Refusal, user_id: Option<i64>| -> AppResult<Outcome> {
        refuse(db, caller, &refusal, Some(claims), user_id, &browser.client).await?;
        Ok(Outcome::Refused(refusal))
    };
    let Some(email) = claims.email.as_deref().filter(|_| claims.email_verified) else {
        return refused(Refusal::EmailNotVerified, None).await;
    };
    let Ok(email) = users::normalise_email("email", email) else {
        return refused(Refusal::EmailUnusable, None).await;
    };
    let Some(role) = policy.role(&claims.roles) else {
        return refused(Refusal::NoRole, None).await;
    };
    let agency_id = match role {
        Role::Agency => match agency_of(db, claims.agency.as_deref()).await? {
            Some(agency) => Some(agency.id),
            None => return refused(Refusal::UnknownAgency(claims.agency.clone()), None).await,
        },
        _ => None,
    };

    let by_subject = user::Entity::find()
        .filter(user::Column::SsoSubject.eq(subject.as_str()))
        .one(db)
        .await?;
    let found = match by_subject {
        Some(user) => Some(user),
        None => records::find_by_email(db, &email).await?,
    };
    let found = match found {
        Some(user) if user.sso_subject.as_ref().is_some_and(|s| *s != subject) => {
            return refused(Refusal::LinkedElsewhere, Some(user.id)).await;
        }
        Some(user) if user.status == UserStatus::Disabled => {
            return refused(Refusal::UserDisabled, Some(user.id)).await;
        }
        Some(user) if (user.role, user.agency_id) != (role, agency_id) => {
            let changes = UserChanges {
                role: Some(role),
                agency_id,
                ..UserChanges::default()
            };
            match users::update(db, caller, user.id, changes).await {
                Ok(user) => Some(user),
                Err(AppError::Conflict(why)) => {
                    return refused(Refusal::RoleChangeRefused(why), Some(user.id)).await;
                }
                Err(err) => return Err(err),
            }
        }
        None if !policy.create_users => return refused(Refusal::NoAccount, None).await,
        found => found,
    };

    let tx = begin_write(db).await?;
    let user = match found {
        Some(user) if user.sso_subject.is_none() => {
            records::save(&tx, caller, "user.link_sso", user, |row| {
                row.sso_subject = Set(Some(subject));
            })
            .await?
        }
        Some(user) => user,
        None => {
            let new = NewUser {
                display_name: display_name(claims.name.as_deref(), &email),
                email,
                role,
                agency_id,
                language: None,
                time_zone: None,
            };
            users::insert(&tx, caller, new, None, Some(subject)).await?
        }
    };
    let started = open_session(
        &tx,
        caller,
        identity,
        &user,
        SignInMethod::Sso,
        "sso",
        browser,
    )
    .await?;
    tx.commit().await?;
    Ok(Outcome::SignedIn(Box::new(started)))
}

/// The agency an agency code names (compared in upper case, as codes are stored).
async fn agency_of<C: ConnectionTrait>(
    conn: &C,
    code: Option<&str>,
) -> AppResult<Option<agency::Model>> {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    Ok(agency::Entity::find()
        .filter(agency::Column::Code.eq(code.to_uppercase()))
        .one(conn)
        .await?)
}

/// A new user's display name: the provider's `name` (printable, at most 200 characters),
/// else the e-mail.
fn display_name(name: Option<&str>, email: &str) -> String {
    let name: String = name
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    match name.trim() {
        "" => email.to_owned(),
        name => name.to_owned(),
    }
}

/// Records a refused single sign-on: against the user when one is known, else against
/// the identity (`issuer#sub`) when the provider named one.
pub async fn refuse<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    refusal: &Refusal,
    claims: Option<&Claims>,
    user_id: Option<i64>,
    client: &Client,
) -> AppResult<()> {
    let (entity_type, entity_id) = match (user_id, claims) {
        (Some(id), _) => ("user", id.to_string()),
        (None, Some(claims)) => ("sign_in", bounded(&claims.subject, 400)),
        (None, None) => ("sign_in", "sso".to_owned()),
    };
    audit::record(
        conn,
        caller,
        Change {
            action: "session.sign_in_failed",
            entity_type,
            entity_id,
            before: None,
            after: Some(json!({
                "method": "SSO",
                "reason": refusal.reason(),
                "subject": claims.map(|c| bounded(&c.subject, 400)),
                "email": claims.and_then(|c| c.email.as_deref()).map(|e| bounded(e, 320)),
                "clientAddress": client.address,
            })),
        },
    )
    .await
}

/// `value` without NUL bytes (PostgreSQL cannot store them), at most `max` characters.
fn bounded(value: &str, max: usize) -> String {
    value.chars().filter(|c| *c != '\0').take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> SsoPolicy {
        SsoPolicy {
            issuer: "https://id.lender.example".into(),
            role_map: BTreeMap::from([
                ("af-admin".to_owned(), Role::Admin),
                ("af-finance".to_owned(), Role::Finance),
            ]),
            create_users: true,
        }
    }

    #[test]
    fn the_first_mapped_value_gives_the_role() {
        let values = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let policy = policy();
        assert_eq!(
            policy.role(&values(&["staff", "af-finance", "af-admin"])),
            Some(Role::Finance)
        );
        assert_eq!(
            policy.role(&values(&["af-admin", "af-finance"])),
            Some(Role::Admin)
        );
        assert_eq!(policy.role(&values(&["AF-ADMIN", "staff"])), None);
        assert_eq!(policy.role(&[]), None);
    }

    #[test]
    fn subjects_are_named_with_their_issuer() {
        assert_eq!(
            policy().subject("248289761001"),
            "https://id.lender.example#248289761001"
        );
    }

    #[test]
    fn display_names_are_printable_and_bounded() {
        assert_eq!(
            display_name(Some(" Ada\u{0}\n Lovelace "), "ada@x.example"),
            "Ada Lovelace"
        );
        assert_eq!(display_name(Some("  "), "ada@x.example"), "ada@x.example");
        assert_eq!(display_name(None, "ada@x.example"), "ada@x.example");
        assert_eq!(
            display_name(Some(&"x".repeat(500)), "a@x.example").len(),
            200
        );
    }
}
