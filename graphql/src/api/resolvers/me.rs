use async_graphql::{Context, Enum, ID, Object, SimpleObject};

use crate::api::context::{actor, db};
use crate::api::guard::{ANY_ROLE, SignedInGuard};
use crate::api::ids::to_id;
use crate::api::types::agency::Agency;
use crate::api::types::enums::Role;
use crate::api::types::user::{Integration, User};
use crate::domain::actor::{Principal, Via};
use crate::domain::identity::{integrations, records};

#[derive(Default)]
pub struct MeQuery;

/// How the caller is signed in.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum SignedInVia {
    /// A browser session (the session cookie).
    Session,
    /// An API token (a personal token, or an integration's).
    ApiToken,
}

/// The caller: the person or integration, and how they are signed in.
#[derive(SimpleObject)]
pub struct Me {
    pub role: Role,
    /// The agency an AGENCY caller acts for.
    pub agency: Option<Agency>,
    /// The person, when a person is calling.
    pub user: Option<User>,
    /// The integration, when a system is calling with an integration's token.
    pub integration: Option<Integration>,
    pub via: SignedInVia,
    /// The token the call came with, if any.
    pub token_id: Option<ID>,
    /// The session the call came with, if any.
    pub session_id: Option<ID>,
    /// The caller's role must use multi-factor sign-in and they have not enrolled: until
    /// they do (startMfaEnrolment, confirmMfaEnrolment), nothing else is allowed.
    pub mfa_enrolment_required: bool,
}

#[Object]
impl MeQuery {
    /// Who is calling. Answered even to a person who must enrol in MFA first.
    #[graphql(guard = "SignedInGuard::new(ANY_ROLE)")]
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Me> {
        let actor = actor(ctx)?;
        let agency = match actor.agency_id {
            Some(agency_id) => Some(Agency::load(ctx, agency_id).await?),
            None => None,
        };
        let (user, integration) = match actor.principal {
            Principal::User { id, .. } => (Some(records::get(db(ctx), id).await?.into()), None),
            Principal::Integration { id, .. } => {
                (None, Some(integrations::get(db(ctx), id).await?.into()))
            }
            Principal::System(_) => (None, None),
        };
        let (via, token_id, session_id) = match actor.via {
            Via::Session(id) => (SignedInVia::Session, None, Some(to_id(id))),
            Via::Token(id) => (SignedInVia::ApiToken, Some(to_id(id)), None),
            Via::Internal => (SignedInVia::ApiToken, None, None),
        };
        Ok(Me {
            role: actor.role.into(),
            agency,
            user,
            integration,
            via,
            token_id,
            session_id,
            mfa_enrolment_required: actor.must_enrol_mfa,
        })
    }
}
