//! Who is calling, and what part of the data they may see.

use chrono::{DateTime, Utc};
use entity::api_token::Role;
use sea_orm::ActiveEnum;

use crate::error::{AppError, AppResult};

/// An agency id no row has: the scope of an AGENCY actor missing its agency.
const NO_AGENCY: i64 = 0;

/// An authenticated principal, and how it is acting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub principal: Principal,
    pub role: Role,
    /// Set for AGENCY actors: the one agency whose work they may see.
    pub agency_id: Option<i64>,
    pub via: Via,
    /// A person whose role must use multi-factor sign-in and who has not enrolled yet:
    /// they may do nothing but enrol (and read who they are).
    pub must_enrol_mfa: bool,
}

/// Who acts. Four-eyes rules compare principals, so one person is one principal whatever
/// session or token they act through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// A person; `name` is their display name and e-mail, for the audit log.
    User { id: i64, name: String },
    /// A named system principal (e.g. an agency's dialer) acting through its API tokens.
    Integration { id: i64, name: String },
    /// The service itself (CLI, demo loader, scheduled jobs).
    System(&'static str),
}

/// How a principal acts.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// A signed-in browser session (its row id).
    Session(i64),
    /// An API token (its id).
    Token(i64),
    /// From inside the service.
    Internal,
}

impl Actor {
    pub fn system(component: &'static str) -> Self {
        Self {
            principal: Principal::System(component),
            role: Role::Admin,
            agency_id: None,
            via: Via::Internal,
            must_enrol_mfa: false,
        }
    }

    /// The audit log's (and every `*_by` column's) name for the principal:
    /// `user:<id>`, `integration:<id>` or `system:<component>`.
    pub fn audit_name(&self) -> String {
        match &self.principal {
            Principal::User { id, .. } => format!("user:{id}"),
            Principal::Integration { id, .. } => format!("integration:{id}"),
            Principal::System(component) => format!("system:{component}"),
        }
    }

    /// The principal's name as people read it.
    pub fn display_name(&self) -> &str {
        match &self.principal {
            Principal::User { name, .. } | Principal::Integration { name, .. } => name,
            Principal::System(component) => component,
        }
    }

    /// How the principal acts: `session:<id>`, `token:<id>` or `internal`.
    pub fn via_name(&self) -> String {
        match self.via {
            Via::Session(id) => format!("session:{id}"),
            Via::Token(id) => format!("token:{id}"),
            Via::Internal => "internal".to_owned(),
        }
    }

    /// The person acting, if a person is.
    pub fn user_id(&self) -> Option<i64> {
        match self.principal {
            Principal::User { id, .. } => Some(id),
            _ => None,
        }
    }

    /// Lender staff see everything; an AGENCY actor sees its own agency's work. An AGENCY
    /// actor without an agency (which authentication never produces) sees nothing.
    pub fn scope(&self) -> Scope {
        match (self.role, self.agency_id) {
            (Role::Agency, agency_id) => Scope::Agency(agency_id.unwrap_or(NO_AGENCY)),
            _ => Scope::Lender,
        }
    }

    /// Refuses the call unless the actor holds one of `roles` (and, for a person who must
    /// use multi-factor sign-in, has enrolled).
    pub fn require(&self, roles: &[Role]) -> AppResult<()> {
        if self.must_enrol_mfa {
            return Err(AppError::MfaRequired);
        }
        self.require_role(roles)
    }

    /// Refuses the call unless the actor holds one of `roles`, enrolled in MFA or not: for
    /// what a person may do before enrolling (enrol, read who they are, sign out).
    pub fn require_role(&self, roles: &[Role]) -> AppResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "role {} may not do this",
                self.role.to_value()
            )))
        }
    }

    /// Refuses a four-eyes decision by the principal recorded (as [`Self::audit_name`]) as
    /// having made or submitted what is decided on.
    pub fn require_other_than<'a>(
        &self,
        made_by: impl IntoIterator<Item = Option<&'a str>>,
        refusal: &str,
    ) -> AppResult<()> {
        let me = self.audit_name();
        if made_by.into_iter().flatten().any(|by| by == me) {
            return Err(AppError::Forbidden(refusal.to_owned()));
        }
        Ok(())
    }
}

/// The slice of data an actor may read: everything (lender staff) or one agency's own work.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Lender,
    Agency(i64),
}

impl Scope {
    /// Refuses an agency asking for another agency's `what` (e.g. "scorecards").
    pub fn allows_agency(self, agency_id: i64, what: &str) -> AppResult<()> {
        match self {
            Scope::Agency(own) if own != agency_id => Err(AppError::Forbidden(format!(
                "an agency may only read its own {what}"
            ))),
            _ => Ok(()),
        }
    }
}

/// An actor together with the request that carries the call, for the audit log.
#[derive(Clone, Debug)]
pub struct Caller {
    pub actor: Actor,
    pub request_id: Option<String>,
    /// The instant of the call, read once from the service clock: every timestamp the
    /// call writes, and every "in the future" it judges, is this one.
    pub now: DateTime<Utc>,
}

impl Caller {
    pub fn system(component: &'static str, now: DateTime<Utc>) -> Self {
        Self {
            actor: Actor::system(component),
            request_id: None,
            now,
        }
    }
}
