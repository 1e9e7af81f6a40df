//! `reportActivities`: contact attempts, promises to pay, disputes, cease-contact
//! requests, complaints and notes, each checked against the contact rules as it arrives.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use entity::account::{self, AccountFlag, AccountFlags};
use entity::activity::{self, ActivityKind, ContactChannel, ContactResult, Direction};
use entity::compliance_incident::{self, IncidentSource, Severity};
use entity::placement;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use serde::Serialize;
use serde_json::json;

use super::batch::{self, Batch};
use super::held::{debtor_key, lock_accounts, placements_of};
use super::history;
use super::{
    ItemCode, ItemError, ItemOutcome, ROWS_PER_STATEMENT, ReportingSettings, account_id,
    check_batch_size, external_id, not_in_future, reporting_agency,
};
use crate::domain::actor::Caller;
use crate::domain::any_of::any_of;
use crate::domain::audit::{self, Change};
use crate::domain::compliance::rules::{
    self, AccountState, Breach, Contact, ContactRef, Counted, FlagChange,
};
use crate::domain::incidents::{self, NewIncident};
use crate::domain::outbox::{self, Event};
use crate::domain::tx::{CONTACT_POINT_LOCKS, begin_write, serialise_names};
use crate::domain::{accounts, metrics, money, validate};
use crate::error::{AppError, AppResult};

/// One activity as an agency reports it.
#[derive(Clone, Debug)]
pub struct ActivityItem {
    pub external_id: String,
    pub account_id: String,
    pub kind: ActivityKind,
    pub occurred_at: DateTime<Utc>,
    pub channel: Option<ContactChannel>,
    pub direction: Option<Direction>,
    pub result: Option<ContactResult>,
    pub contact_point: Option<String>,
    pub agent_reference: Option<String>,
    pub promise: Option<PromiseItem>,
    pub note: Option<String>,
}

#[derive(Clone, Debug)]
pub struct PromiseItem {
    pub amount: Decimal,
    pub currency: String,
    pub due_on: NaiveDate,
}

/// An item that passed its own checks, in canonical form (its JSON is hashed).
#[derive(Clone, Debug, Serialize)]
pub(super) struct Checked {
    external_id: String,
    account_id: i64,
    kind: ActivityKind,
    occurred_at: DateTime<Utc>,
    channel: Option<ContactChannel>,
    direction: Option<Direction>,
    result: Option<ContactResult>,
    contact_point: Option<String>,
    agent_reference: Option<String>,
    promise_amount_minor: Option<i64>,
    promise_currency: Option<String>,
    promise_due_on: Option<NaiveDate>,
    note: Option<String>,
}

impl batch::Checked for Checked {
    fn external_id(&self) -> &str {
        &self.external_id
    }

    fn account_id(&self) -> i64 {
        self.account_id
    }
}

const NOTE_CHARS: usize = 4000;

fn optional_text(
    field: &'static str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, ItemError> {
    validate::optional_text(field, value.as_deref(), max).map_err(|e| ItemError::from_app(field, e))
}

/// A phone number in the digits-only form the per-number caps count by, or an address.
fn contact_point(channel: ContactChannel, value: &str) -> Result<String, ItemError> {
    let value = validate::text("contactPoint", value, 320)
        .map_err(|e| ItemError::from_app("contactPoint", e))?;
    let value = value.as_str();
    let invalid = |what: &str| ItemError::field("contactPoint", format!("'{value}' is not {what}"));
    match channel {
        ContactChannel::Call | ContactChannel::Sms => {
            let number: String = value
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
                .collect();
            let digits = number.strip_prefix('+').unwrap_or(&number);
            if (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
                Ok(number)
            } else {
                Err(invalid("a phone number"))
            }
        }
        ContactChannel::Email => {
            let address = value.to_lowercase();
            match address.split_once('@') {
                Some((local, domain))
                    if !local.is_empty() && domain.contains('.') && address.len() <= 320 =>
                {
                    Ok(address)
                }
                _ => Err(invalid("an e-mail address")),
            }
        }
        ContactChannel::Letter | ContactChannel::Visit => Ok(value.to_owned()),
    }
}

/// The item's own checks: what each kind needs, and well-formed values.
fn check_item(
    item: ActivityItem,
    now: DateTime<Utc>,
    settings: &ReportingSettings,
) -> Result<Checked, ItemError> {
    let external_id = external_id(&item.external_id)?;
    let account_id = account_id(&item.account_id)?;
    // A NUL is refused before the checks of the item's kind, even in a field it ignores.
    for (field, value) in [
        ("contactPoint", item.contact_point.as_deref()),
        ("agentReference", item.agent_reference.as_deref()),
        (
            "promise.currency",
            item.promise.as_ref().map(|p| p.currency.as_str()),
        ),
        ("note", item.note.as_deref()),
    ] {
        if let Some(value) = value {
            validate::no_nul(field, value).map_err(|e| ItemError::from_app(field, e))?;
        }
    }
    not_in_future(item.occurred_at, now, settings, ItemCode::OccurredInFuture)?;
    let is_attempt = item.kind == ActivityKind::ContactAttempt;
    if is_attempt && item.channel.is_none() {
        return Err(ItemError::field(
            "channel",
            "a contact attempt needs its channel",
        ));
    }
    if is_attempt && item.result.is_none() {
        return Err(ItemError::field(
            "result",
            "a contact attempt needs its result",
        ));
    }
    let direction = item.direction.or(is_attempt.then_some(Direction::Outbound));
    let contact_point = match (item.channel, item.contact_point.as_deref()) {
        (Some(channel), Some(value)) if !value.trim().is_empty() => {
            Some(contact_point(channel, value)?)
        }
        (Some(ContactChannel::Call | ContactChannel::Sms | ContactChannel::Email), _)
            if is_attempt && direction == Some(Direction::Outbound) =>
        {
            return Err(ItemError::field(
                "contactPoint",
                "an outbound call, text or e-mail needs the number or address used",
            ));
        }
        _ => None,
    };
    let promise = match (item.kind, item.promise) {
        (ActivityKind::PromiseToPay, Some(promise)) => {
            let currency = money::currency(&promise.currency)
                .map_err(|e| ItemError::from_app("promise.currency", e))?;
            let minor = money::to_minor(promise.amount, currency)
                .map_err(|e| ItemError::from_app("promise.amount", e))?;
            if minor <= 0 {
                return Err(ItemError::field(
                    "promise.amount",
                    "a promise is for more than zero",
                ));
            }
            Some((minor, currency.code().to_owned(), promise.due_on))
        }
        (ActivityKind::PromiseToPay, None) => {
            return Err(ItemError::field(
                "promise",
                "a promise to pay needs its amount and due date",
            ));
        }
        (_, Some(_)) => {
            return Err(ItemError::field(
                "promise",
                "only a PROMISE_TO_PAY carries a promise",
            ));
        }
        (_, None) => None,
    };
    let note = optional_text("note", item.note, NOTE_CHARS)?;
    if matches!(item.kind, ActivityKind::Complaint | ActivityKind::Note) && note.is_none() {
        return Err(ItemError::field(
            "note",
            "a complaint or note needs its text",
        ));
    }
    Ok(Checked {
        external_id,
        account_id,
        kind: item.kind,
        occurred_at: item.occurred_at,
        channel: item.channel,
        direction,
        result: item.result,
        contact_point,
        agent_reference: optional_text("agentReference", item.agent_reference, 128)?,
        promise_amount_minor: promise.as_ref().map(|p| p.0),
        promise_currency: promise.as_ref().map(|p| p.1.clone()),
        promise_due_on: promise.map(|p| p.2),
        note,
    })
}

/// The account checks: the agency held the account when it happened (activities may
/// arrive after the placement ended), promises in the account's currency and due on or
/// after the debtor's local day of the promise.
fn check_held<'a>(
    item: &Checked,
    account: Option<&account::Model>,
    placements: Option<&'a Vec<placement::Model>>,
) -> Result<&'a placement::Model, ItemError> {
    let not_held = || {
        ItemError::new(
            ItemCode::AccountNotHeld,
            format!("account {} is not held by this agency", item.account_id),
        )
    };
    let (Some(account), Some(placements)) = (account, placements) else {
        return Err(not_held());
    };
    let at = item.occurred_at;
    let Some(held) = placements
        .iter()
        .rev()
        .find(|p| p.placed_at <= at && p.ended_at.is_none_or(|ended| at <= ended))
    else {
        if placements.iter().all(|p| at < p.placed_at) {
            return Err(ItemError::new(
                ItemCode::OccurredBeforePlacement,
                format!("{at} is before the account was placed with this agency"),
            ));
        }
        return Err(not_held());
    };
    if let Some(currency) = &item.promise_currency
        && *currency != account.currency
    {
        return Err(ItemError::new(
            ItemCode::CurrencyMismatch,
            format!("the account is in {}, not {currency}", account.currency),
        ));
    }
    if let Some(due_on) = item.promise_due_on {
        let made_on = account
            .time_zone
            .parse::<Tz>()
            .map_or(at.date_naive(), |tz| at.with_timezone(&tz).date_naive());
        if due_on < made_on {
            return Err(ItemError::field(
                "promise.dueOn",
                format!("a promise made on {made_on} (debtor's local day) falls due then or later"),
            ));
        }
    }
    Ok(held)
}

/// Reports a batch of activities for the caller's agency. One transaction; every item
/// gets its outcome, in the order sent.
pub async fn report(
    db: &DatabaseConnection,
    caller: &Caller,
    settings: &ReportingSettings,
    items: Vec<ActivityItem>,
) -> AppResult<Vec<ItemOutcome<activity::Model>>> {
    let agency_id = reporting_agency(caller)?;
    check_batch_size("activities", items.len(), settings.max_batch)?;
    let now = caller.now;
    let mut batch = Batch::check(
        items,
        |item| item.external_id.clone(),
        |item| check_item(item, now, settings),
    );

    let tx = begin_write(db).await?;
    // Locks first: a retry racing its original waits here, then sees what it stored.
    let account_ids = batch.account_ids();
    let mut accounts = lock_accounts(&tx, agency_id, &account_ids, true).await?;
    let placements = placements_of(&tx, agency_id, &account_ids).await?;
    let stored: HashMap<String, (String, activity::Model)> = activity::Entity::find()
        .filter(activity::Column::AgencyId.eq(agency_id))
        .filter(any_of(
            tx.get_database_backend(),
            activity::Column::ExternalId,
            batch.external_ids(),
        ))
        .all(&tx)
        .await?
        .into_iter()
        .map(|row| (row.external_id.clone(), (row.payload_hash.clone(), row)))
        .collect();
    let (fresh, duplicates) = batch.recognise(&stored);

    let mut accepted: Vec<(usize, Checked, String, i64)> = Vec::with_capacity(fresh.len());
    for (index, item, hash) in fresh {
        match check_held(
            &item,
            accounts.get(&item.account_id),
            placements.get(&item.account_id),
        ) {
            Ok(held) => {
                let placement_id = held.id;
                accepted.push((index, item, hash, placement_id));
            }
            Err(error) => batch.reject(index, &item.external_id, error),
        }
    }

    let Evaluation {
        breaches,
        changed_flags,
        flag_sets,
    } = evaluate(&tx, settings, agency_id, &mut accounts, &accepted).await?;
    let inserted = insert(&tx, caller, agency_id, &accepted, now).await?;
    let by_index: HashMap<usize, activity::Model> = accepted
        .iter()
        .map(|(index, item, _, _)| (*index, inserted[&item.external_id].clone()))
        .collect();
    let raised = raise(&tx, caller, &accounts, &by_index, breaches).await?;
    let mut raised_by_activity: HashMap<i64, Vec<compliance_incident::Model>> = HashMap::new();
    for incident in raised {
        if let Some(activity_id) = incident.activity_id {
            raised_by_activity
                .entry(activity_id)
                .or_default()
                .push(incident);
        }
    }
    update_flags(&tx, caller, agency_id, &accounts, changed_flags).await?;
    accounts::record_flag_changes(
        &tx,
        caller,
        flag_sets
            .into_iter()
            .map(|(index, account_id, change)| (account_id, change, Some(by_index[&index].id))),
    )
    .await?;
    let mut earlier =
        incidents::by_activity(&tx, duplicates.iter().map(|(_, row)| row.id).collect()).await?;
    tx.commit().await?;
    metrics::incidents_raised(raised_by_activity.values().flatten());

    for (index, row) in by_index {
        let incidents = raised_by_activity.remove(&row.id).unwrap_or_default();
        batch.accept(index, &row.external_id.clone(), row, incidents);
    }
    for (index, row) in duplicates {
        let incidents = earlier.remove(&row.id).unwrap_or_default();
        batch.duplicate(index, &row.external_id.clone(), row, incidents);
    }
    let outcomes = batch.finish();
    metrics::items_reported("activity", &outcomes);
    Ok(outcomes)
}

struct Evaluation {
    /// Per accepted item (by index): the rules it broke.
    breaches: BTreeMap<usize, Vec<Breach>>,
    /// Accounts whose contact status the batch changed: flags before.
    changed_flags: BTreeMap<i64, AccountFlags>,
    /// The flags the batch set: by which item, on which account.
    flag_sets: Vec<(usize, i64, FlagChange)>,
}

/// Checks the accepted items in the order they happened, each against the history and
/// the items before it; disputes and cease-contact requests take effect on the way.
async fn evaluate<C: sea_orm::ConnectionTrait>(
    conn: &C,
    settings: &ReportingSettings,
    agency_id: i64,
    accounts: &mut HashMap<i64, account::Model>,
    accepted: &[(usize, Checked, String, i64)],
) -> AppResult<Evaluation> {
    let mut evaluation = Evaluation {
        breaches: BTreeMap::new(),
        changed_flags: BTreeMap::new(),
        flag_sets: Vec::new(),
    };
    let Some((from, until)) = accepted
        .iter()
        .map(|(_, item, _, _)| item.occurred_at)
        .fold(None, |span: Option<(DateTime<Utc>, DateTime<Utc>)>, at| {
            Some(span.map_or((at, at), |(a, b)| (a.min(at), b.max(at))))
        })
    else {
        return Ok(evaluation);
    };
    let numbers: HashSet<String> = accepted
        .iter()
        .filter(|(_, item, _, _)| item.channel == Some(ContactChannel::Call))
        .filter_map(|(_, item, _, _)| item.contact_point.clone())
        .collect();
    // The per-number caps count calls on other debtors' accounts too, which the account
    // locks do not cover: a concurrent report calling one of these numbers (from another
    // agency or process) waits until this one commits, then counts its calls.
    let locked: Vec<String> = numbers.iter().cloned().collect();
    serialise_names(conn, CONTACT_POINT_LOCKS, &locked).await?;
    let (mut history, mut changes) = history::load(
        conn,
        accounts,
        &numbers,
        (from, until),
        // As far back as the policies of the batch's accounts look.
        accounts
            .values()
            .map(|account| {
                settings
                    .policies
                    .for_region(&account.region)
                    .lookback_days()
            })
            .max()
            .unwrap_or(7),
    )
    .await?;
    let mut order: Vec<&(usize, Checked, String, i64)> = accepted.iter().collect();
    order.sort_by_key(|(index, item, _, _)| (item.occurred_at, *index));
    for (index, item, _, _) in order {
        let account = accounts
            .get_mut(&item.account_id)
            .expect("accepted items name locked accounts");
        match item.kind {
            ActivityKind::ContactAttempt => {
                let contact = reported_contact(*index, agency_id, item, account)?;
                let state = account_state(settings, account, changes.of(account.id))?;
                let found = rules::check(&contact, &state, &history);
                if !found.is_empty() {
                    evaluation.breaches.insert(*index, found);
                }
                history.push(contact);
            }
            ActivityKind::Dispute | ActivityKind::CeaseContact => {
                let flag = if item.kind == ActivityKind::Dispute {
                    AccountFlag::Disputed
                } else {
                    AccountFlag::CeaseContact
                };
                if !account.flags.0.contains(&flag) {
                    evaluation
                        .changed_flags
                        .entry(account.id)
                        .or_insert_with(|| account.flags.clone());
                    account.flags.0.push(flag);
                    let change = FlagChange {
                        flag,
                        set: true,
                        at: item.occurred_at,
                    };
                    changes.add(account.id, change);
                    evaluation.flag_sets.push((*index, account.id, change));
                }
            }
            _ => {}
        }
    }
    Ok(evaluation)
}

fn reported_contact(
    index: usize,
    item_agency: i64,
    item: &Checked,
    account: &account::Model,
) -> AppResult<Contact> {
    let missing = || {
        AppError::Internal(anyhow::anyhow!(
            "a checked attempt lacks its channel, direction or result"
        ))
    };
    Ok(Contact {
        reference: ContactRef::Reported(index),
        agency_id: item_agency,
        account_id: account.id,
        debtor: debtor_key(account),
        channel: item.channel.ok_or_else(missing)?,
        direction: item.direction.ok_or_else(missing)?,
        result: item.result.ok_or_else(missing)?,
        occurred_at: item.occurred_at,
        contact_point: item.contact_point.clone(),
    })
}

fn account_state(
    settings: &ReportingSettings,
    account: &account::Model,
    changes: Vec<FlagChange>,
) -> AppResult<AccountState> {
    let time_zone: Tz = account.time_zone.parse().map_err(|_| {
        AppError::Internal(anyhow::anyhow!(
            "account {} has an unknown time zone '{}'",
            account.id,
            account.time_zone
        ))
    })?;
    Ok(AccountState {
        time_zone,
        policy: settings.policies.for_region(&account.region),
        flags: account.flags.0.clone(),
        changes,
    })
}

/// Stores the accepted items and audits each; returns them by externalId.
async fn insert<C: sea_orm::ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    agency_id: i64,
    accepted: &[(usize, Checked, String, i64)],
    now: DateTime<Utc>,
) -> AppResult<HashMap<String, activity::Model>> {
    let reported_by = caller.actor.audit_name();
    let mut rows = Vec::with_capacity(accepted.len());
    for chunk in accepted.chunks(ROWS_PER_STATEMENT) {
        let models = chunk
            .iter()
            .map(|(_, item, hash, placement_id)| activity::ActiveModel {
                agency_id: Set(agency_id),
                account_id: Set(item.account_id),
                placement_id: Set(*placement_id),
                external_id: Set(item.external_id.clone()),
                payload_hash: Set(hash.clone()),
                kind: Set(item.kind),
                channel: Set(item.channel),
                direction: Set(item.direction),
                result: Set(item.result),
                occurred_at: Set(item.occurred_at),
                contact_point: Set(item.contact_point.clone()),
                agent_reference: Set(item.agent_reference.clone()),
                promise_amount_minor: Set(item.promise_amount_minor),
                promise_currency: Set(item.promise_currency.clone()),
                promise_due_on: Set(item.promise_due_on),
                note: Set(item.note.clone()),
                reported_at: Set(now),
                reported_by: Set(reported_by.clone()),
                request_id: Set(caller.request_id.clone()),
                ..Default::default()
            });
        rows.extend(
            activity::Entity::insert_many(models)
                .exec_with_returning(conn)
                .await?,
        );
    }
    audit::record_many(
        conn,
        caller,
        rows.iter().map(|row| Change {
            action: "activity.report",
            entity_type: "activity",
            entity_id: row.id.to_string(),
            before: None,
            after: Some(audit_view(row)),
        }),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.external_id.clone(), row))
        .collect())
}

fn audit_view(row: &activity::Model) -> serde_json::Value {
    json!({
        "agencyId": row.agency_id,
        "accountId": row.account_id,
        "placementId": row.placement_id,
        "externalId": row.external_id,
        "kind": row.kind,
        "channel": row.channel,
        "direction": row.direction,
        "result": row.result,
        "occurredAt": row.occurred_at,
        "promiseAmountMinor": row.promise_amount_minor,
        "promiseDueOn": row.promise_due_on,
    })
}

/// One incident per broken rule, and one per reported complaint, with the report items
/// as evidence.
async fn raise<C: sea_orm::ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    accounts: &HashMap<i64, account::Model>,
    by_index: &HashMap<usize, activity::Model>,
    breaches: BTreeMap<usize, Vec<Breach>>,
) -> AppResult<Vec<compliance_incident::Model>> {
    let mut new = Vec::new();
    let mut indexes: Vec<&usize> = by_index.keys().collect();
    indexes.sort();
    for index in indexes {
        let row = &by_index[index];
        if row.kind == ActivityKind::Complaint {
            new.push(NewIncident {
                agency_id: row.agency_id,
                account_id: Some(row.account_id),
                placement_id: Some(row.placement_id),
                activity_id: Some(row.id),
                source: IncidentSource::Complaint,
                rule: "COMPLAINT_REPORTED".into(),
                severity: Severity::Medium,
                summary: format!(
                    "complaint reported by the agency: {}",
                    row.note.as_deref().unwrap_or_default().chars().take(200).collect::<String>()
                ),
                evidence: json!({ "activityIds": [row.id.to_string()], "externalId": row.external_id }),
                dedupe_key: None,
                occurred_at: row.occurred_at,
            });
        }
        for breach in breaches.get(index).into_iter().flatten() {
            // The agency sees its own activities by id; other agencies' only as a count.
            let (own, others): (Vec<&Counted>, Vec<&Counted>) = breach
                .related
                .iter()
                .partition(|counted| counted.agency_id == row.agency_id);
            let own = own
                .into_iter()
                .filter_map(|counted| match counted.reference {
                    ContactRef::Stored(id) => Some(id.to_string()),
                    ContactRef::Reported(i) => by_index.get(&i).map(|r| r.id.to_string()),
                });
            let region = accounts.get(&row.account_id).map(|a| a.region.clone());
            new.push(NewIncident {
                agency_id: row.agency_id,
                account_id: Some(row.account_id),
                placement_id: Some(row.placement_id),
                activity_id: Some(row.id),
                source: IncidentSource::Automatic,
                rule: breach.rule.code().into(),
                severity: breach.rule.severity(),
                summary: breach.summary.clone(),
                evidence: json!({
                    "activityIds": std::iter::once(row.id.to_string()).chain(own).collect::<Vec<_>>(),
                    "otherAgenciesContacts": others.len(),
                    "externalId": row.external_id,
                    "occurredAt": row.occurred_at,
                    "measured": breach.measured,
                    "limit": breach.limit,
                    "region": region,
                }),
                dedupe_key: None,
                occurred_at: row.occurred_at,
            });
        }
    }
    incidents::raise_many(conn, caller, new).await
}

/// Stores the accounts' new contact status, audits it and tells the lender side.
async fn update_flags<C: sea_orm::ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    agency_id: i64,
    accounts: &HashMap<i64, account::Model>,
    changed: BTreeMap<i64, AccountFlags>,
) -> AppResult<()> {
    let now = caller.now;
    for (account_id, before_flags) in changed {
        let after = &accounts[&account_id];
        account::Entity::update_many()
            .set(account::ActiveModel {
                flags: Set(after.flags.clone()),
                updated_at: Set(now),
                ..Default::default()
            })
            .filter(account::Column::Id.eq(account_id))
            .exec(conn)
            .await?;
        let before = account::Model {
            flags: before_flags.clone(),
            ..after.clone()
        };
        audit::record(
            conn,
            caller,
            Change {
                action: "account.contact_status",
                entity_type: "account",
                entity_id: account_id.to_string(),
                before: Some(accounts::audit_view(&before)),
                after: Some(accounts::audit_view(after)),
            },
        )
        .await?;
        outbox::enqueue(
            conn,
            caller.now,
            Event {
                topic: "account.contact_status_changed",
                agency_id: None,
                entity_type: "account",
                entity_id: account_id.to_string(),
                payload: json!({
                    "accountId": account_id.to_string(),
                    "lenderReference": after.lender_reference,
                    "flagsBefore": before_flags,
                    "flags": after.flags,
                    "reportedByAgencyId": agency_id.to_string(),
                }),
            },
        )
        .await?;
    }
    Ok(())
}
