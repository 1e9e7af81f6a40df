//! The daily expiry workflow: qualifications whose expiry date has passed become
//! EXPIRED, each with an audit event and a `qualification.expired` notification, in one
//! transaction. A second run on the same day finds nothing to do.

use chrono::{NaiveDate, Utc};
use entity::agency_qualification::{self, QualificationStatus};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;

use super::actor::Caller;
use super::outbox::{self, Event};
use super::qualifications::record;
use super::tx::begin_write;
use crate::error::AppResult;

/// Marks every pending or verified qualification that expired before `today` as EXPIRED
/// and returns them.
pub async fn expire_lapsed(
    db: &DatabaseConnection,
    caller: &Caller,
    today: NaiveDate,
) -> AppResult<Vec<agency_qualification::Model>> {
    use agency_qualification::Column;
    let tx = begin_write(db).await?;
    let lapsed = agency_qualification::Entity::find()
        .filter(Column::Status.is_in([
            QualificationStatus::PendingReview,
            QualificationStatus::Verified,
        ]))
        .filter(Column::ExpiresOn.lt(today))
        .order_by_asc(Column::Id)
        .all(&tx)
        .await?;
    if lapsed.is_empty() {
        return Ok(lapsed);
    }
    let now = Utc::now();
    // The status condition makes a concurrent run harmless: a row already expired by
    // another process is not counted twice.
    agency_qualification::Entity::update_many()
        .set(agency_qualification::ActiveModel {
            status: Set(QualificationStatus::Expired),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(Column::Id.is_in(lapsed.iter().map(|q| q.id)))
        .filter(Column::Status.is_in([
            QualificationStatus::PendingReview,
            QualificationStatus::Verified,
        ]))
        .exec(&tx)
        .await?;
    let mut expired = Vec::with_capacity(lapsed.len());
    for before in lapsed {
        let after = agency_qualification::Model {
            status: QualificationStatus::Expired,
            updated_at: now,
            ..before.clone()
        };
        record(&tx, caller, "qualification.expire", Some(&before), &after).await?;
        outbox::enqueue(
            &tx,
            Event {
                topic: "qualification.expired",
                agency_id: Some(after.agency_id),
                entity_type: "qualification",
                entity_id: after.id.to_string(),
                payload: json!({
                    "qualificationId": after.id,
                    "agencyId": after.agency_id,
                    "qualificationType": after.qualification_type,
                    "region": after.region,
                    "expiresOn": after.expires_on,
                }),
            },
        )
        .await?;
        expired.push(after);
    }
    tx.commit().await?;
    Ok(expired)
}
