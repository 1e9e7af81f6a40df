use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::NaiveDate;

use crate::api::context::{actor, caller, db, now};
use crate::api::cost;
use crate::api::guard::{ANY_ROLE, MANAGERS, RoleGuard, SUBMITTERS};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::enums::KindOfWork;
use crate::api::types::qualification::{
    Qualification, QualificationRequirement, QualificationType,
};
use crate::domain::qualifications::{self, NewType, RequirementInput, Submission};
use crate::domain::{Scope, expiry};
use crate::error::AppError;

#[derive(Default)]
pub struct QualificationQuery;

#[derive(Default)]
pub struct QualificationMutation;

#[derive(InputObject)]
pub struct SubmitQualificationInput {
    /// Required for lender staff; an AGENCY caller files for itself and may leave it out.
    pub agency_id: Option<ID>,
    /// A code from `qualificationTypes`.
    pub qualification_type: String,
    /// Required for region-scoped types (licences), refused for the others.
    pub region: Option<String>,
    /// The licence or certificate number.
    pub identifier: String,
    pub issuer: String,
    pub issued_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub document_url: String,
    /// SHA-256 of the document, hex.
    pub document_sha256: String,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::qualifications::Decision")]
pub enum ReviewDecision {
    Verify,
    Reject,
}

#[derive(InputObject)]
pub struct QualificationRequirementInput {
    pub qualification_type: String,
    /// Leave out for every kind of work.
    pub kind_of_work: Option<KindOfWork>,
    /// Leave out for every region.
    pub region: Option<String>,
    /// The qualification must cover the debtor's region.
    #[graphql(default)]
    pub region_scoped: bool,
    /// The qualification must be at most this many months old at placement.
    pub max_age_months: Option<i32>,
    /// `false` lifts the requirement.
    #[graphql(default = true)]
    pub required: bool,
}

#[derive(InputObject)]
pub struct QualificationTypeInput {
    pub code: String,
    pub name: String,
    pub description: String,
    #[graphql(default)]
    pub region_scoped: bool,
}

/// What one run of the expiry workflow did.
#[derive(SimpleObject)]
pub struct QualificationExpiryRun {
    pub expired_count: i32,
    /// The first 100 qualifications expired by this run.
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub expired: Vec<Qualification>,
}

#[Object]
impl QualificationQuery {
    /// Verified qualifications expiring within `withinDays` (0–365), soonest first.
    /// An AGENCY caller sees its own.
    #[graphql(
        guard = "RoleGuard::new(ANY_ROLE)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn expiring_qualifications(
        &self,
        ctx: &Context<'_>,
        within_days: i32,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Qualification>> {
        let within_days = u32::try_from(within_days)
            .ok()
            .filter(|d| *d <= 365)
            .ok_or_else(|| AppError::bad_input("withinDays", "between 0 and 365 days"))?;
        let scope = actor(ctx)?.scope();
        let today = now(ctx).date_naive();
        let page = qualifications::expiring(
            db(ctx),
            scope,
            today,
            within_days,
            page_request(ctx, first, after)?,
        )
        .await?;
        Ok(connection(page, |q| q.id, |q| Ok(q.into()))?)
    }

    /// The qualification catalogue.
    #[graphql(
        guard = "RoleGuard::new(ANY_ROLE)",
        complexity = "cost::list(child_complexity)"
    )]
    async fn qualification_types(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<QualificationType>> {
        Ok(qualifications::types(db(ctx))
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Which qualification types each kind of work needs, and where.
    #[graphql(
        guard = "RoleGuard::new(ANY_ROLE)",
        complexity = "cost::list(child_complexity)"
    )]
    async fn qualification_requirements(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<QualificationRequirement>> {
        Ok(qualifications::requirements(db(ctx))
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

#[Object]
impl QualificationMutation {
    /// Files a qualification for review (PENDING_REVIEW). An AGENCY files only for itself.
    #[graphql(guard = "RoleGuard::new(SUBMITTERS)")]
    async fn submit_qualification(
        &self,
        ctx: &Context<'_>,
        input: SubmitQualificationInput,
    ) -> async_graphql::Result<Qualification> {
        let caller = caller(ctx)?;
        let agency_id = match (input.agency_id.as_ref(), caller.actor.scope()) {
            (Some(id), _) => ids::parse("agencyId", id)?,
            (None, Scope::Agency(own)) => own,
            (None, Scope::Lender) => {
                return Err(AppError::bad_input("agencyId", "name the agency").into());
            }
        };
        let submission = Submission {
            agency_id,
            qualification_type: input.qualification_type,
            region: input.region,
            identifier: input.identifier,
            issuer: input.issuer,
            issued_on: input.issued_on,
            expires_on: input.expires_on,
            document_url: input.document_url,
            document_sha256: input.document_sha256,
        };
        Ok(qualifications::submit(db(ctx), &caller, submission)
            .await?
            .into())
    }

    /// Verifies or rejects a pending qualification (a rejection needs a note). Nobody
    /// reviews their own agency's qualification or one they submitted.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn review_qualification(
        &self,
        ctx: &Context<'_>,
        id: ID,
        decision: ReviewDecision,
        note: Option<String>,
    ) -> async_graphql::Result<Qualification> {
        let reviewed = qualifications::review(
            db(ctx),
            &caller(ctx)?,
            ids::parse("id", &id)?,
            decision.into(),
            note,
        )
        .await?;
        Ok(reviewed.into())
    }

    /// Withdraws a pending or verified qualification, with the reason.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn revoke_qualification(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> async_graphql::Result<Qualification> {
        Ok(
            qualifications::revoke(db(ctx), &caller(ctx)?, ids::parse("id", &id)?, reason)
                .await?
                .into(),
        )
    }

    /// Creates, changes or lifts the requirement for one (type, kind of work, region).
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn set_qualification_requirement(
        &self,
        ctx: &Context<'_>,
        input: QualificationRequirementInput,
    ) -> async_graphql::Result<QualificationRequirement> {
        let input = RequirementInput {
            qualification_type: input.qualification_type,
            kind_of_work: input.kind_of_work.map(Into::into),
            region: input.region,
            region_scoped: input.region_scoped,
            max_age_months: input.max_age_months,
            required: input.required,
        };
        Ok(
            qualifications::set_requirement(db(ctx), &caller(ctx)?, input)
                .await?
                .into(),
        )
    }

    /// Adds a type to the qualification catalogue, or renames one.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn define_qualification_type(
        &self,
        ctx: &Context<'_>,
        input: QualificationTypeInput,
    ) -> async_graphql::Result<QualificationType> {
        let new = NewType {
            code: input.code,
            name: input.name,
            description: input.description,
            region_scoped: input.region_scoped,
        };
        Ok(qualifications::define_type(db(ctx), &caller(ctx)?, new)
            .await?
            .into())
    }

    /// Runs the expiry workflow now: lapsed qualifications become EXPIRED, audited, with a
    /// notification each. A second run finds nothing.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn run_qualification_expiry(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<QualificationExpiryRun> {
        let caller = caller(ctx)?;
        let outcome = expiry::expire_lapsed(db(ctx), &caller, caller.now.date_naive()).await?;
        Ok(QualificationExpiryRun {
            expired_count: i32::try_from(outcome.expired_count).unwrap_or(i32::MAX),
            expired: outcome.sample.into_iter().map(Into::into).collect(),
        })
    }
}
