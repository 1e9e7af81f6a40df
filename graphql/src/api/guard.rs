//! Role checks as field guards: no or bad token → UNAUTHENTICATED, wrong role → FORBIDDEN.

use async_graphql::{Context, Guard};
use entity::api_token::Role;

use super::context::actor;

pub struct RoleGuard(&'static [Role]);

impl RoleGuard {
    pub const fn new(roles: &'static [Role]) -> Self {
        Self(roles)
    }
}

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        actor(ctx)?.require(self.0)?;
        Ok(())
    }
}

/// [`RoleGuard`] that also lets in a person who must enrol in MFA and has not yet: for
/// `me` and the enrolment itself.
pub struct SignedInGuard(&'static [Role]);

impl SignedInGuard {
    pub const fn new(roles: &'static [Role]) -> Self {
        Self(roles)
    }
}

impl Guard for SignedInGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        actor(ctx)?.require_role(self.0)?;
        Ok(())
    }
}

pub const ANY_ROLE: &[Role] = &[
    Role::Admin,
    Role::VendorManager,
    Role::Agency,
    Role::Finance,
    Role::Auditor,
];
/// Lender staff: everyone but agencies.
pub const LENDER: &[Role] = &[
    Role::Admin,
    Role::VendorManager,
    Role::Finance,
    Role::Auditor,
];
pub const ADMIN: &[Role] = &[Role::Admin];
/// Those who govern agencies.
pub const MANAGERS: &[Role] = &[Role::Admin, Role::VendorManager];
/// Qualifications are filed by managers, or by an agency for itself.
pub const SUBMITTERS: &[Role] = &[Role::Admin, Role::VendorManager, Role::Agency];
pub const AUDIT_READERS: &[Role] = &[Role::Admin, Role::Auditor];
/// Incidents are raised from complaints by managers and from audits by auditors.
pub const INCIDENT_RAISERS: &[Role] = &[Role::Admin, Role::VendorManager, Role::Auditor];
/// Who reads the job schedule and its runs.
pub const JOB_READERS: &[Role] = &[Role::Admin, Role::VendorManager, Role::Auditor];
/// Those who keep the ledger and reconcile it.
pub const FINANCE: &[Role] = &[Role::Admin, Role::Finance];
/// Those who approve what finance prepared: FINANCE only (an ADMIN administers, and
/// approves nothing).
pub const FINANCE_APPROVERS: &[Role] = &[Role::Finance];
/// Who reads the users and integrations.
pub const USER_READERS: &[Role] = &[Role::Admin, Role::Auditor];
