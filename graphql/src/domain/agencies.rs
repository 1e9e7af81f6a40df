//! Agencies: onboarding, profile changes, the lifecycle, and reading them. An agency's
//! own staff see only their own agency.

use entity::agency::{
    self, AgencyStatus, Channel, Channels, Contact, Contacts, KindOfWork, KindsOfWork, Regions,
    RemittanceMode,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
};
use serde_json::json;

use super::actor::{Caller, Scope};
use super::any_of::any_of;
use super::audit::{self, Change};
use super::page::{Direction, Page, PageRequest, fetch_page};
use super::tx::begin_write;
use super::validate::{self, MAX_LIST};
use super::webhook_targets::{self, TargetPolicy};
use super::{lifecycle, money, outbox};
use crate::error::{AppError, AppResult};

/// The currency an agency's balance capacity is counted in until one is given.
const DEFAULT_CAPACITY_CURRENCY: &str = "USD";

#[derive(Clone, Debug, Default)]
pub struct AgencyFilter {
    pub status: Option<Vec<AgencyStatus>>,
    pub kind_of_work: Option<KindOfWork>,
    pub region: Option<String>,
    pub code: Option<String>,
}

pub async fn get<C: ConnectionTrait>(conn: &C, scope: Scope, id: i64) -> AppResult<agency::Model> {
    scope.allows_agency(id, "profile")?;
    agency::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("agency", id))
}

/// Kinds of work and regions live in small JSON arrays. Agencies number in the dozens,
/// so with either filter the agencies after the cursor are read and filtered in
/// memory; without, the page is read with keyset SQL alone.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    scope: Scope,
    filter: AgencyFilter,
    page: PageRequest,
) -> AppResult<Page<agency::Model>> {
    use agency::Column;
    let mut select = agency::Entity::find();
    if let Scope::Agency(own) = scope {
        select = select.filter(Column::Id.eq(own));
    }
    if let Some(statuses) = validate::optional_list("filter.status", filter.status, MAX_LIST)? {
        select = select.filter(any_of(
            conn.get_database_backend(),
            Column::Status,
            statuses,
        ));
    }
    if let Some(code) = validate::filter_text("filter.code", filter.code)? {
        select = select.filter(Column::Code.eq(code));
    }
    let region = validate::filter_text("filter.region", filter.region)?;
    let needs_memory_filter = filter.kind_of_work.is_some() || region.is_some();
    if !needs_memory_filter {
        return fetch_page(conn, select, Column::Id, page, Direction::Ascending).await;
    }
    let everything = fetch_page(
        conn,
        select,
        Column::Id,
        PageRequest {
            after: page.after,
            limit: u64::from(u32::MAX),
        },
        Direction::Ascending,
    )
    .await?;
    let mut items: Vec<_> = everything
        .items
        .into_iter()
        .filter(|a| {
            filter
                .kind_of_work
                .is_none_or(|k| a.kinds_of_work.0.contains(&k))
        })
        .filter(|a| region.as_ref().is_none_or(|r| a.regions.0.contains(r)))
        .collect();
    let has_next_page = items.len() as u64 > page.limit;
    items.truncate(page.limit as usize);
    Ok(Page {
        items,
        has_next_page,
    })
}

/// A new agency's profile. Money capacity is in minor units of `capacity_currency`.
pub struct NewAgency {
    pub code: String,
    pub legal_name: String,
    pub kinds_of_work: Vec<KindOfWork>,
    pub channels: Vec<Channel>,
    pub regions: Vec<String>,
    pub capacity: Capacity,
    pub remittance_mode: RemittanceMode,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    pub contacts: Vec<Contact>,
}

#[derive(Clone, Debug)]
pub struct Capacity {
    pub max_active_accounts: Option<i64>,
    pub max_active_balance: Option<(Decimal, String)>,
}

/// Changes to a profile; `None` leaves a field as it is.
#[derive(Default)]
pub struct AgencyPatch {
    pub legal_name: Option<String>,
    pub kinds_of_work: Option<Vec<KindOfWork>>,
    pub channels: Option<Vec<Channel>>,
    pub regions: Option<Vec<String>>,
    pub capacity: Option<Capacity>,
    pub remittance_mode: Option<RemittanceMode>,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    pub clear_webhook: bool,
    pub contacts: Option<Vec<Contact>>,
}

/// The audit log's view of an agency: everything but the webhook secret.
pub fn audit_view(agency: &agency::Model) -> serde_json::Value {
    json!({
        "code": agency.code,
        "legalName": agency.legal_name,
        "status": agency.status,
        "statusReason": agency.status_reason,
        "kindsOfWork": agency.kinds_of_work,
        "channels": agency.channels,
        "regions": agency.regions,
        "maxActiveAccounts": agency.max_active_accounts,
        "maxActiveBalanceMinor": agency.max_active_balance_minor,
        "capacityCurrency": agency.capacity_currency,
        "remittanceMode": agency.remittance_mode,
        "webhookUrl": agency.webhook_url,
        "hasWebhookSecret": agency.webhook_secret.is_some(),
        "contacts": agency.contacts,
    })
}

fn kinds(values: Vec<KindOfWork>) -> AppResult<KindsOfWork> {
    let values = validate::list("kindsOfWork", values, MAX_LIST)?;
    if values.is_empty() {
        return Err(AppError::bad_input(
            "kindsOfWork",
            "name at least one kind of work",
        ));
    }
    Ok(KindsOfWork(validate::dedup(values)))
}

fn channels(values: Vec<Channel>) -> AppResult<Channels> {
    let values = validate::list("channels", values, MAX_LIST)?;
    if values.is_empty() {
        return Err(AppError::bad_input("channels", "name at least one channel"));
    }
    Ok(Channels(validate::dedup(values)))
}

fn regions(values: Vec<String>) -> AppResult<Regions> {
    let values = validate::list("regions", values, MAX_LIST)?;
    if values.is_empty() {
        return Err(AppError::bad_input("regions", "name at least one region"));
    }
    let checked = values
        .iter()
        .map(|r| validate::region("regions", r))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Regions(validate::dedup(checked)))
}

fn contacts(values: Vec<Contact>) -> AppResult<Contacts> {
    validate::list("contacts", values, MAX_LIST)?
        .into_iter()
        .map(|c| {
            Ok(Contact {
                name: validate::text("contacts.name", &c.name, 200)?,
                role: validate::text("contacts.role", &c.role, 200)?,
                email: validate::optional_text("contacts.email", c.email.as_deref(), 320)?,
                phone: validate::optional_text("contacts.phone", c.phone.as_deref(), 32)?,
            })
        })
        .collect::<AppResult<_>>()
        .map(Contacts)
}

/// (max accounts, max balance in minor units, capacity currency)
fn capacity(capacity: Capacity) -> AppResult<(Option<i64>, Option<i64>, Option<String>)> {
    if capacity.max_active_accounts.is_some_and(|n| n < 1) {
        return Err(AppError::bad_input(
            "capacity.maxActiveAccounts",
            "capacity must be at least 1 account",
        ));
    }
    let balance = capacity
        .max_active_balance
        .map(|(amount, code)| {
            let currency = money::currency(&code)?;
            if amount <= Decimal::ZERO {
                return Err(AppError::bad_input(
                    "capacity.maxActiveBalance",
                    "capacity must be positive",
                ));
            }
            Ok((
                money::to_minor(amount, currency)?,
                currency.code().to_owned(),
            ))
        })
        .transpose()?;
    Ok((
        capacity.max_active_accounts,
        balance.as_ref().map(|b| b.0),
        balance.map(|b| b.1),
    ))
}

/// A webhook URL the policy allows, checked before any transaction starts (it may
/// resolve a name).
async fn webhook_url(targets: &TargetPolicy, url: Option<String>) -> AppResult<Option<String>> {
    match url {
        Some(url) => Ok(Some(
            webhook_targets::check_registration(targets, "webhookUrl", &url).await?,
        )),
        None => Ok(None),
    }
}

pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    new: NewAgency,
    targets: &TargetPolicy,
) -> AppResult<agency::Model> {
    let webhook_url = webhook_url(targets, new.webhook_url).await?;
    let (max_accounts, max_balance, currency) = capacity(new.capacity)?;
    let code = validate::code("code", &new.code)?;
    let now = caller.now;
    let model = agency::ActiveModel {
        code: Set(code.clone()),
        legal_name: Set(validate::text("legalName", &new.legal_name, 200)?),
        status: Set(AgencyStatus::Onboarding),
        kinds_of_work: Set(kinds(new.kinds_of_work)?),
        channels: Set(channels(new.channels)?),
        regions: Set(regions(new.regions)?),
        max_active_accounts: Set(max_accounts),
        max_active_balance_minor: Set(max_balance),
        capacity_currency: Set(currency.unwrap_or_else(|| DEFAULT_CAPACITY_CURRENCY.to_owned())),
        remittance_mode: Set(new.remittance_mode),
        status_reason: Set(None),
        status_changed_at: Set(Some(now)),
        webhook_url: Set(webhook_url),
        webhook_secret: Set(new
            .webhook_secret
            .map(|s| validate::webhook_secret("webhookSecret", &s))
            .transpose()?),
        contacts: Set(Some(contacts(new.contacts)?)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let tx = begin_write(db).await?;
    if agency::Entity::find()
        .filter(agency::Column::Code.eq(code.as_str()))
        .one(&tx)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(format!(
            "an agency with code {code} exists"
        )));
    }
    let agency = model.insert(&tx).await?;
    record(&tx, caller, "agency.create", None, &agency).await?;
    tx.commit().await?;
    Ok(agency)
}

pub async fn update(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    patch: AgencyPatch,
    targets: &TargetPolicy,
) -> AppResult<agency::Model> {
    let webhook_url = webhook_url(targets, patch.webhook_url).await?;
    let tx = begin_write(db).await?;
    let current = find_for_update(&tx, id).await?;
    if current.status == AgencyStatus::Terminated {
        return Err(AppError::Conflict(format!(
            "agency {} is terminated and can no longer change",
            current.code
        )));
    }
    let mut active = current.clone().into_active_model();
    if let Some(name) = patch.legal_name {
        active.legal_name = Set(validate::text("legalName", &name, 200)?);
    }
    if let Some(values) = patch.kinds_of_work {
        active.kinds_of_work = Set(kinds(values)?);
    }
    if let Some(values) = patch.channels {
        active.channels = Set(channels(values)?);
    }
    if let Some(values) = patch.regions {
        active.regions = Set(regions(values)?);
    }
    if let Some(new_capacity) = patch.capacity {
        let (max_accounts, max_balance, currency) = capacity(new_capacity)?;
        active.max_active_accounts = Set(max_accounts);
        active.max_active_balance_minor = Set(max_balance);
        if let Some(currency) = currency {
            active.capacity_currency = Set(currency);
        }
    }
    if let Some(mode) = patch.remittance_mode {
        active.remittance_mode = Set(mode);
    }
    if patch.clear_webhook {
        active.webhook_url = Set(None);
        active.webhook_secret = Set(None);
    }
    if let Some(url) = webhook_url {
        active.webhook_url = Set(Some(url));
    }
    if let Some(secret) = patch.webhook_secret {
        active.webhook_secret = Set(Some(validate::webhook_secret("webhookSecret", &secret)?));
    }
    if let Some(values) = patch.contacts {
        active.contacts = Set(Some(contacts(values)?));
    }
    active.updated_at = Set(caller.now);
    let updated = active.update(&tx).await?;
    record(&tx, caller, "agency.update", Some(&current), &updated).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Moves an agency along its lifecycle; see [`lifecycle`] for the allowed moves.
pub async fn change_status(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    to: AgencyStatus,
    reason: Option<String>,
) -> AppResult<agency::Model> {
    let tx = begin_write(db).await?;
    let updated = change_status_in(&tx, caller, id, to, reason).await?;
    tx.commit().await?;
    Ok(updated)
}

/// [`change_status`] inside the caller's transaction.
pub async fn change_status_in<C: ConnectionTrait>(
    tx: &C,
    caller: &Caller,
    id: i64,
    to: AgencyStatus,
    reason: Option<String>,
) -> AppResult<agency::Model> {
    let reason = validate::optional_text("reason", reason.as_deref(), 2000)?;
    let current = find_for_update(tx, id).await?;
    lifecycle::check(current.status, to, reason.as_deref()).map_err(|err| match err {
        lifecycle::TransitionError::ReasonRequired(_) => {
            AppError::bad_input("reason", err.to_string())
        }
        lifecycle::TransitionError::NotAllowed { .. } => AppError::Conflict(err.to_string()),
    })?;
    let now = caller.now;
    let mut active = current.clone().into_active_model();
    active.status = Set(to);
    active.status_reason = Set(reason);
    active.status_changed_at = Set(Some(now));
    active.updated_at = Set(now);
    let updated = active.update(tx).await?;
    record(tx, caller, "agency.change_status", Some(&current), &updated).await?;
    outbox::enqueue(
        tx,
        caller.now,
        outbox::Event {
            topic: "agency.status_changed",
            agency_id: Some(updated.id),
            entity_type: "agency",
            entity_id: updated.id.to_string(),
            payload: json!({
                "agencyId": updated.id,
                "code": updated.code,
                "from": current.status,
                "to": updated.status,
                "reason": updated.status_reason,
            }),
        },
    )
    .await?;
    Ok(updated)
}

/// Reads the agency and locks its row until the transaction ends (PostgreSQL; SQLite's
/// write transactions are serialised already), so concurrent changes cannot interleave.
async fn find_for_update<C: ConnectionTrait>(conn: &C, id: i64) -> AppResult<agency::Model> {
    agency::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("agency", id))
}

async fn record<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    action: &str,
    before: Option<&agency::Model>,
    after: &agency::Model,
) -> AppResult<()> {
    audit::record(
        conn,
        caller,
        Change {
            action,
            entity_type: "agency",
            entity_id: after.id.to_string(),
            before: before.map(audit_view),
            after: Some(audit_view(after)),
        },
    )
    .await
}
