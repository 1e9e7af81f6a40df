//! Who is calling, and what part of the data they may see.

use chrono::{DateTime, Utc};
use entity::api_token::Role;
use sea_orm::ActiveEnum;

use crate::error::{AppError, AppResult};

/// An agency id no row has: the scope of an AGENCY actor missing its agency.
const NO_AGENCY: i64 = 0;

/// An authenticated principal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub principal: Principal,
    pub role: Role,
    /// Set for AGENCY actors: the one agency whose work they may see.
    pub agency_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// A caller holding an API token.
    Token(i64),
    /// The service itself (CLI, demo loader, scheduled jobs).
    System(&'static str),
}

impl Actor {
    pub fn system(component: &'static str) -> Self {
        Self {
            principal: Principal::System(component),
            role: Role::Admin,
            agency_id: None,
        }
    }

    /// The audit log's name for this actor.
    pub fn audit_name(&self) -> String {
        match &self.principal {
            Principal::Token(id) => format!("token:{id}"),
            Principal::System(component) => format!("system:{component}"),
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

    /// Refuses the call unless the actor holds one of `roles`.
    pub fn require(&self, roles: &[Role]) -> AppResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "role {} may not do this",
                self.role.to_value()
            )))
        }
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
