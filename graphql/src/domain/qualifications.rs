//! Qualifications: submitted by an agency for itself (or by a vendor manager), reviewed
//! by the lender, revoked when they stop being true. Also the catalogue of types and the
//! requirements that say which types a kind of work needs in a region.

use chrono::{Duration, NaiveDate};
use entity::agency_qualification::{self, QualificationStatus};
use entity::qualification_requirement::{self, ANY};
use entity::{agency, agency::KindOfWork, qualification_type};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use super::actor::{Caller, Scope};
use super::audit::{self, Change};
use super::page::{Page, PageRequest};
use super::tx::begin_write;
use super::validate;
use crate::error::{AppError, AppResult};

pub struct Submission {
    pub agency_id: i64,
    pub qualification_type: String,
    pub region: Option<String>,
    pub identifier: String,
    pub issuer: String,
    pub issued_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub document_url: String,
    pub document_sha256: String,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Verify,
    Reject,
}

pub fn audit_view(q: &agency_qualification::Model) -> serde_json::Value {
    json!({
        "agencyId": q.agency_id,
        "qualificationType": q.qualification_type,
        "region": q.region,
        "identifier": q.identifier,
        "issuer": q.issuer,
        "issuedOn": q.issued_on,
        "expiresOn": q.expires_on,
        "documentUrl": q.document_url,
        "documentSha256": q.document_sha256,
        "status": q.status,
        "submittedBy": q.submitted_by,
        "reviewedBy": q.reviewed_by,
        "reviewNote": q.review_note,
        "revocationReason": q.revocation_reason,
    })
}

pub async fn record<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    action: &str,
    before: Option<&agency_qualification::Model>,
    after: &agency_qualification::Model,
) -> AppResult<()> {
    audit::record(
        conn,
        caller,
        Change {
            action,
            entity_type: "qualification",
            entity_id: after.id.to_string(),
            before: before.map(audit_view),
            after: Some(audit_view(after)),
        },
    )
    .await
}

/// Files a qualification for review. An agency may file only for itself.
pub async fn submit(
    db: &DatabaseConnection,
    caller: &Caller,
    submission: Submission,
) -> AppResult<agency_qualification::Model> {
    if let Scope::Agency(own) = caller.actor.scope()
        && own != submission.agency_id
    {
        return Err(AppError::Forbidden(
            "an agency may submit qualifications only for itself".into(),
        ));
    }
    if submission
        .expires_on
        .is_some_and(|e| e < submission.issued_on)
    {
        return Err(AppError::bad_input(
            "expiresOn",
            "a qualification cannot expire before it is issued",
        ));
    }
    if submission
        .expires_on
        .is_some_and(|e| e < caller.now.date_naive())
    {
        return Err(AppError::bad_input(
            "expiresOn",
            "this qualification has already expired",
        ));
    }
    let identifier = validate::text("identifier", &submission.identifier, 200)?;
    let issuer = validate::text("issuer", &submission.issuer, 200)?;
    let document_url = validate::url("documentUrl", &submission.document_url)?;
    let document_sha256 = validate::sha256("documentSha256", &submission.document_sha256)?;
    let region = submission
        .region
        .map(|r| validate::region("region", &r))
        .transpose()?;

    let qualification_type = validate::code("qualificationType", &submission.qualification_type)?;
    let tx = begin_write(db).await?;
    agency::Entity::find_by_id(submission.agency_id)
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("agency", submission.agency_id))?;
    let kind = qualification_type::Entity::find_by_id(qualification_type.clone())
        .one(&tx)
        .await?
        .ok_or_else(|| {
            AppError::bad_input(
                "qualificationType",
                format!("'{qualification_type}' is not in the qualification catalogue"),
            )
        })?;
    match (kind.region_scoped, &region) {
        (true, None) => {
            return Err(AppError::bad_input(
                "region",
                format!("a {} covers one region: name it", kind.code),
            ));
        }
        (false, Some(_)) => {
            return Err(AppError::bad_input(
                "region",
                format!("a {} is not bound to a region", kind.code),
            ));
        }
        _ => {}
    }
    let now = caller.now;
    let qualification = agency_qualification::ActiveModel {
        agency_id: Set(submission.agency_id),
        qualification_type: Set(kind.code),
        region: Set(region),
        identifier: Set(identifier),
        issuer: Set(issuer),
        issued_on: Set(submission.issued_on),
        expires_on: Set(submission.expires_on),
        document_url: Set(Some(document_url)),
        document_sha256: Set(Some(document_sha256)),
        status: Set(QualificationStatus::PendingReview),
        reviewed_by: Set(None),
        review_note: Set(None),
        reviewed_at: Set(None),
        submitted_by: Set(Some(caller.actor.audit_name())),
        revocation_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    record(&tx, caller, "qualification.submit", None, &qualification).await?;
    tx.commit().await?;
    Ok(qualification)
}

/// Verifies or rejects a pending qualification. Nobody reviews a qualification of their
/// own agency or one they submitted themselves.
pub async fn review(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    decision: Decision,
    note: Option<String>,
) -> AppResult<agency_qualification::Model> {
    let note = note.map(|n| validate::text("note", &n, 2000)).transpose()?;
    let tx = begin_write(db).await?;
    let current = find_for_update(&tx, id).await?;
    if caller.actor.agency_id == Some(current.agency_id) {
        return Err(AppError::Forbidden(
            "nobody reviews a qualification of their own agency".into(),
        ));
    }
    caller.actor.require_other_than(
        [current.submitted_by.as_deref()],
        "a qualification is reviewed by someone other than its submitter",
    )?;
    if current.status != QualificationStatus::PendingReview {
        return Err(AppError::Conflict(format!(
            "qualification {id} is not pending review"
        )));
    }
    if decision == Decision::Reject && note.is_none() {
        return Err(AppError::bad_input(
            "note",
            "say why the qualification is rejected",
        ));
    }
    if decision == Decision::Verify
        && current
            .expires_on
            .is_some_and(|e| e < caller.now.date_naive())
    {
        return Err(AppError::bad_input(
            "decision",
            "an expired qualification cannot be verified",
        ));
    }
    let now = caller.now;
    let mut active = current.clone().into_active_model();
    active.status = Set(match decision {
        Decision::Verify => QualificationStatus::Verified,
        Decision::Reject => QualificationStatus::Rejected,
    });
    active.reviewed_by = Set(Some(caller.actor.audit_name()));
    active.review_note = Set(note);
    active.reviewed_at = Set(Some(now));
    active.updated_at = Set(now);
    let updated = active.update(&tx).await?;
    record(
        &tx,
        caller,
        "qualification.review",
        Some(&current),
        &updated,
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Withdraws a pending or verified qualification that is no longer true.
pub async fn revoke(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    reason: String,
) -> AppResult<agency_qualification::Model> {
    let reason = validate::text("reason", &reason, 2000)?;
    let tx = begin_write(db).await?;
    let current = find_for_update(&tx, id).await?;
    if !matches!(
        current.status,
        QualificationStatus::PendingReview | QualificationStatus::Verified
    ) {
        return Err(AppError::Conflict(format!(
            "qualification {id} is no longer in force"
        )));
    }
    let mut active = current.clone().into_active_model();
    active.status = Set(QualificationStatus::Revoked);
    active.revocation_reason = Set(Some(reason));
    active.updated_at = Set(caller.now);
    let updated = active.update(&tx).await?;
    record(
        &tx,
        caller,
        "qualification.revoke",
        Some(&current),
        &updated,
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Reads a qualification and locks its row until the transaction ends.
async fn find_for_update<C: ConnectionTrait>(
    conn: &C,
    id: i64,
) -> AppResult<agency_qualification::Model> {
    agency_qualification::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("qualification", id))
}

/// Verified qualifications that expire between today and `within_days` from now, soonest
/// first. The cursor is the last row's id; the page continues after that row's
/// (expiry date, id).
pub async fn expiring<C: ConnectionTrait>(
    conn: &C,
    scope: Scope,
    today: NaiveDate,
    within_days: u32,
    page: PageRequest,
) -> AppResult<Page<agency_qualification::Model>> {
    use agency_qualification::Column;
    let mut select = agency_qualification::Entity::find()
        .filter(Column::Status.eq(QualificationStatus::Verified))
        .filter(Column::ExpiresOn.gte(today))
        .filter(Column::ExpiresOn.lte(today + Duration::days(i64::from(within_days))));
    if let Scope::Agency(own) = scope {
        select = select.filter(Column::AgencyId.eq(own));
    }
    if let Some(after) = page.after {
        let last = agency_qualification::Entity::find_by_id(after)
            .one(conn)
            .await?
            .and_then(|q| q.expires_on)
            .ok_or_else(|| AppError::bad_input("after", "not a cursor of this list"))?;
        select = select.filter(
            Condition::any().add(Column::ExpiresOn.gt(last)).add(
                Condition::all()
                    .add(Column::ExpiresOn.eq(last))
                    .add(Column::Id.gt(after)),
            ),
        );
    }
    let mut items = select
        .order_by_asc(Column::ExpiresOn)
        .order_by_asc(Column::Id)
        .limit(page.limit + 1)
        .all(conn)
        .await?;
    let has_next_page = items.len() as u64 > page.limit;
    items.truncate(page.limit as usize);
    Ok(Page {
        items,
        has_next_page,
    })
}

pub async fn types<C: ConnectionTrait>(conn: &C) -> AppResult<Vec<qualification_type::Model>> {
    Ok(qualification_type::Entity::find()
        .order_by_asc(qualification_type::Column::Code)
        .all(conn)
        .await?)
}

pub struct NewType {
    pub code: String,
    pub name: String,
    pub description: String,
    pub region_scoped: bool,
}

/// Adds a type to the catalogue or updates its name and description. Whether a type is
/// region-scoped is fixed once qualifications of it exist.
pub async fn define_type(
    db: &DatabaseConnection,
    caller: &Caller,
    new: NewType,
) -> AppResult<qualification_type::Model> {
    let code = validate::code("code", &new.code)?;
    let name = validate::text("name", &new.name, 200)?;
    let description = validate::text("description", &new.description, 2000)?;
    let tx = begin_write(db).await?;
    let current = qualification_type::Entity::find_by_id(code.clone())
        .one(&tx)
        .await?;
    let saved = match &current {
        Some(existing) => {
            if existing.region_scoped != new.region_scoped {
                return Err(AppError::Conflict(format!(
                    "{code} is already defined with another region scope"
                )));
            }
            let mut active = existing.clone().into_active_model();
            active.name = Set(name);
            active.description = Set(description);
            active.update(&tx).await?
        }
        None => {
            qualification_type::ActiveModel {
                code: Set(code.clone()),
                name: Set(name),
                description: Set(description),
                region_scoped: Set(new.region_scoped),
                created_at: Set(caller.now),
            }
            .insert(&tx)
            .await?
        }
    };
    let view = |t: &qualification_type::Model| json!({ "name": t.name, "description": t.description, "regionScoped": t.region_scoped });
    audit::record(
        &tx,
        caller,
        Change {
            action: "qualification_type.define",
            entity_type: "qualification_type",
            entity_id: code,
            before: current.as_ref().map(view),
            after: Some(view(&saved)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

pub async fn requirements<C: ConnectionTrait>(
    conn: &C,
) -> AppResult<Vec<qualification_requirement::Model>> {
    Ok(qualification_requirement::Entity::find()
        .order_by_asc(qualification_requirement::Column::Id)
        .all(conn)
        .await?)
}

pub struct RequirementInput {
    pub qualification_type: String,
    /// `None`: every kind of work.
    pub kind_of_work: Option<KindOfWork>,
    /// `None`: every region.
    pub region: Option<String>,
    pub region_scoped: bool,
    pub max_age_months: Option<i32>,
    /// `false` lifts the requirement.
    pub required: bool,
}

/// Creates, changes or lifts the requirement for one (type, kind of work, region).
pub async fn set_requirement(
    db: &DatabaseConnection,
    caller: &Caller,
    input: RequirementInput,
) -> AppResult<qualification_requirement::Model> {
    if input
        .max_age_months
        .is_some_and(|m| !(1..=120).contains(&m))
    {
        return Err(AppError::bad_input(
            "maxAgeMonths",
            "between 1 and 120 months",
        ));
    }
    let kind = input
        .kind_of_work
        .map_or_else(|| ANY.to_owned(), |k| k.to_value());
    let region = input
        .region
        .map(|r| validate::region("region", &r))
        .transpose()?
        .unwrap_or_else(|| ANY.to_owned());
    let qualification_type = validate::code("qualificationType", &input.qualification_type)?;
    let tx = begin_write(db).await?;
    let catalogued = qualification_type::Entity::find_by_id(qualification_type.clone())
        .one(&tx)
        .await?
        .ok_or_else(|| {
            AppError::bad_input(
                "qualificationType",
                format!("'{qualification_type}' is not in the qualification catalogue"),
            )
        })?;
    if input.region_scoped && !catalogued.region_scoped {
        return Err(AppError::bad_input(
            "regionScoped",
            format!("a {} is not bound to a region", catalogued.code),
        ));
    }
    use qualification_requirement::Column;
    let current = qualification_requirement::Entity::find()
        .filter(Column::QualificationType.eq(catalogued.code.as_str()))
        .filter(Column::KindOfWork.eq(kind.as_str()))
        .filter(Column::Region.eq(region.as_str()))
        .one(&tx)
        .await?;
    let mut active = match &current {
        Some(existing) => existing.clone().into_active_model(),
        None => qualification_requirement::ActiveModel {
            qualification_type: Set(catalogued.code.clone()),
            kind_of_work: Set(kind),
            region: Set(region),
            ..Default::default()
        },
    };
    active.region_scoped = Set(input.region_scoped);
    active.max_age_months = Set(input.max_age_months);
    active.active = Set(input.required);
    active.updated_at = Set(caller.now);
    let saved = match &current {
        Some(_) => active.update(&tx).await?,
        None => active.insert(&tx).await?,
    };
    let view = |r: &qualification_requirement::Model| {
        json!({
            "qualificationType": r.qualification_type,
            "kindOfWork": r.kind_of_work,
            "region": r.region,
            "regionScoped": r.region_scoped,
            "maxAgeMonths": r.max_age_months,
            "active": r.active,
        })
    };
    audit::record(
        &tx,
        caller,
        Change {
            action: "qualification_requirement.set",
            entity_type: "qualification_requirement",
            entity_id: saved.id.to_string(),
            before: current.as_ref().map(view),
            after: Some(view(&saved)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}
