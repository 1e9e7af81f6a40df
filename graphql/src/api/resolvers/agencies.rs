use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object};
use chrono::NaiveDate;

use crate::api::context::{actor, caller, db};
use crate::api::cost;
use crate::api::guard::{ANY_ROLE, MANAGERS, RoleGuard};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::agency::Agency;
use crate::api::types::eligibility::Eligibility;
use crate::api::types::enums::{AgencyStatus, Channel, KindOfWork, RemittanceMode, to_stored};
use crate::api::types::money::Amount;
use crate::domain::agencies::{self, AgencyFilter, AgencyPatch, Capacity, NewAgency};
use crate::domain::eligibility::{self, Question};
use crate::domain::validate;
use crate::domain::webhook_targets::TargetPolicy;
use crate::domain::webhooks::DispatchSettings;

/// Where the service may send agencies' webhooks.
fn targets<'c>(ctx: &Context<'c>) -> &'c TargetPolicy {
    &ctx.data_unchecked::<DispatchSettings>().targets
}

#[derive(Default)]
pub struct AgencyQuery;

#[derive(Default)]
pub struct AgencyMutation;

/// An exact amount: `amount` is a decimal string such as "250000.00".
#[derive(InputObject)]
pub struct MoneyInput {
    pub amount: Amount,
    /// ISO 4217 code.
    pub currency: String,
}

/// The most work an agency takes at once; leave a field out for no limit of that kind.
#[derive(InputObject)]
pub struct CapacityInput {
    pub max_active_accounts: Option<i64>,
    pub max_active_balance: Option<MoneyInput>,
}

impl From<CapacityInput> for Capacity {
    fn from(input: CapacityInput) -> Self {
        Self {
            max_active_accounts: input.max_active_accounts,
            max_active_balance: input.max_active_balance.map(|m| (m.amount.0, m.currency)),
        }
    }
}

#[derive(InputObject)]
pub struct ContactInput {
    pub name: String,
    pub role: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl From<ContactInput> for entity::agency::Contact {
    fn from(input: ContactInput) -> Self {
        Self {
            name: input.name,
            role: input.role,
            email: input.email,
            phone: input.phone,
        }
    }
}

#[derive(InputObject)]
pub struct CreateAgencyInput {
    /// 2–32 of A–Z, 0–9, _ and -; unique.
    pub code: String,
    pub legal_name: String,
    pub kinds_of_work: Vec<KindOfWork>,
    pub channels: Vec<Channel>,
    /// Region codes such as US-TX, UK, CN-31.
    pub regions: Vec<String>,
    pub capacity: CapacityInput,
    pub remittance_mode: RemittanceMode,
    /// An https URL for Standard Webhooks deliveries.
    pub webhook_url: Option<String>,
    /// whsec_ followed by base64 of at least 24 random bytes. Write-only.
    pub webhook_secret: Option<String>,
    #[graphql(default)]
    pub contacts: Vec<ContactInput>,
}

/// Fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateAgencyInput {
    pub legal_name: Option<String>,
    pub kinds_of_work: Option<Vec<KindOfWork>>,
    pub channels: Option<Vec<Channel>>,
    pub regions: Option<Vec<String>>,
    /// Replaces both limits.
    pub capacity: Option<CapacityInput>,
    pub remittance_mode: Option<RemittanceMode>,
    pub webhook_url: Option<String>,
    /// Write-only.
    pub webhook_secret: Option<String>,
    /// Removes the webhook URL and secret (applied before new ones).
    #[graphql(default)]
    pub clear_webhook: bool,
    /// Replaces the contact list.
    pub contacts: Option<Vec<ContactInput>>,
}

#[derive(InputObject, Default)]
pub struct AgenciesFilter {
    /// Any of these statuses.
    pub status: Option<Vec<AgencyStatus>>,
    pub kind_of_work: Option<KindOfWork>,
    /// A region the agency serves, e.g. US-TX.
    pub region: Option<String>,
    pub code: Option<String>,
}

#[Object]
impl AgencyQuery {
    /// Agencies, oldest first. An AGENCY caller sees only its own.
    #[graphql(
        guard = "RoleGuard::new(ANY_ROLE)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn agencies(
        &self,
        ctx: &Context<'_>,
        filter: Option<AgenciesFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Agency>> {
        let scope = actor(ctx)?.scope();
        let filter = filter.unwrap_or_default();
        let filter = AgencyFilter {
            status: filter.status.as_deref().map(to_stored),
            kind_of_work: filter.kind_of_work.map(Into::into),
            region: filter.region,
            code: filter.code,
        };
        let page = agencies::list(db(ctx), scope, filter, page_request(ctx, first, after)?).await?;
        Ok(connection(page, |a| a.id, Agency::from_model)?)
    }

    /// One agency. An AGENCY caller asking for another agency is FORBIDDEN.
    #[graphql(guard = "RoleGuard::new(ANY_ROLE)")]
    async fn agency(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Agency> {
        let scope = actor(ctx)?.scope();
        let model = agencies::get(db(ctx), scope, ids::parse("id", &id)?).await?;
        Ok(Agency::from_model(model)?)
    }

    /// Whether the agency may receive `kindOfWork` in `region` for a placement from
    /// `from` to `to`, with every reason it may not. An AGENCY caller may ask about itself only.
    #[graphql(guard = "RoleGuard::new(ANY_ROLE)")]
    async fn agency_eligibility(
        &self,
        ctx: &Context<'_>,
        agency_id: ID,
        kind_of_work: KindOfWork,
        region: String,
        from: NaiveDate,
        to: NaiveDate,
    ) -> async_graphql::Result<Eligibility> {
        let scope = actor(ctx)?.scope();
        let question = Question {
            kind: kind_of_work.into(),
            region: validate::region("region", &region)?,
            from,
            to,
        };
        let (result, currency) = eligibility::for_agency(
            db(ctx),
            scope,
            ids::parse("agencyId", &agency_id)?,
            &question,
        )
        .await?;
        Ok(Eligibility::new(result, &currency)?)
    }
}

#[Object]
impl AgencyMutation {
    /// Onboards an agency; it starts in ONBOARDING.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn create_agency(
        &self,
        ctx: &Context<'_>,
        input: CreateAgencyInput,
    ) -> async_graphql::Result<Agency> {
        let new = NewAgency {
            code: input.code,
            legal_name: input.legal_name,
            kinds_of_work: to_stored(&input.kinds_of_work),
            channels: to_stored(&input.channels),
            regions: input.regions,
            capacity: input.capacity.into(),
            remittance_mode: input.remittance_mode.into(),
            webhook_url: input.webhook_url,
            webhook_secret: input.webhook_secret,
            contacts: input.contacts.into_iter().map(Into::into).collect(),
        };
        Ok(Agency::from_model(
            agencies::create(db(ctx), &caller(ctx)?, new, targets(ctx)).await?,
        )?)
    }

    /// Changes an agency's profile. A TERMINATED agency no longer changes.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn update_agency(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateAgencyInput,
    ) -> async_graphql::Result<Agency> {
        let patch = AgencyPatch {
            legal_name: input.legal_name,
            kinds_of_work: input.kinds_of_work.as_deref().map(to_stored),
            channels: input.channels.as_deref().map(to_stored),
            regions: input.regions,
            capacity: input.capacity.map(Into::into),
            remittance_mode: input.remittance_mode.map(Into::into),
            webhook_url: input.webhook_url,
            webhook_secret: input.webhook_secret,
            clear_webhook: input.clear_webhook,
            contacts: input
                .contacts
                .map(|c| c.into_iter().map(Into::into).collect()),
        };
        let updated = agencies::update(
            db(ctx),
            &caller(ctx)?,
            ids::parse("id", &id)?,
            patch,
            targets(ctx),
        )
        .await?;
        Ok(Agency::from_model(updated)?)
    }

    /// Moves an agency along ONBOARDING → ACTIVE ⇄ PROBATION → SUSPENDED → TERMINATED.
    /// PROBATION, SUSPENDED and TERMINATED need a reason; a move not on the map is a CONFLICT.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn change_agency_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: AgencyStatus,
        reason: Option<String>,
    ) -> async_graphql::Result<Agency> {
        let updated = agencies::change_status(
            db(ctx),
            &caller(ctx)?,
            ids::parse("id", &id)?,
            status.into(),
            reason,
        )
        .await?;
        Ok(Agency::from_model(updated)?)
    }
}
