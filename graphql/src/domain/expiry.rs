//! The daily expiry workflow: qualifications whose expiry date has passed become
//! EXPIRED, each with an audit event and a `qualification.expired` notification.
//! Work goes in batches, each one transaction; a second run on the same day finds
//! nothing to do, and two runs at once expire (and report) each qualification once.

use chrono::NaiveDate;
use entity::agency_qualification::{self, QualificationStatus};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;

use super::actor::Caller;
use super::outbox::{self, Event};
use super::qualifications::record;
use super::tx::begin_write;
use crate::domain::any_of::any_of;
use crate::error::AppResult;

/// Qualifications expired per transaction.
const BATCH: u64 = 500;
/// How many expired qualifications a run reports by name.
const SAMPLE: usize = 100;

const IN_FORCE: [QualificationStatus; 2] = [
    QualificationStatus::PendingReview,
    QualificationStatus::Verified,
];

#[derive(Debug, Default)]
pub struct ExpiryOutcome {
    pub expired_count: usize,
    /// The first expired qualifications, at most [`SAMPLE`].
    pub sample: Vec<agency_qualification::Model>,
}

/// Marks every pending or verified qualification that expired before `today` as EXPIRED.
pub async fn expire_lapsed(
    db: &DatabaseConnection,
    caller: &Caller,
    today: NaiveDate,
) -> AppResult<ExpiryOutcome> {
    use agency_qualification::Column;
    let mut outcome = ExpiryOutcome::default();
    loop {
        let tx = begin_write(db).await?;
        // Row locks make a concurrent run wait, then skip the rows this one expired.
        let lapsed = agency_qualification::Entity::find()
            .filter(Column::Status.is_in(IN_FORCE))
            .filter(Column::ExpiresOn.lt(today))
            .order_by_asc(Column::Id)
            .limit(BATCH)
            .lock_exclusive()
            .all(&tx)
            .await?;
        if lapsed.is_empty() {
            break;
        }
        let now = caller.now;
        agency_qualification::Entity::update_many()
            .set(agency_qualification::ActiveModel {
                status: Set(QualificationStatus::Expired),
                updated_at: Set(now),
                ..Default::default()
            })
            .filter(any_of(
                tx.get_database_backend(),
                Column::Id,
                lapsed.iter().map(|q| q.id),
            ))
            .exec(&tx)
            .await?;
        for before in lapsed {
            let after = agency_qualification::Model {
                status: QualificationStatus::Expired,
                updated_at: now,
                ..before.clone()
            };
            record(&tx, caller, "qualification.expire", Some(&before), &after).await?;
            outbox::enqueue(
                &tx,
                caller.now,
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
            outcome.expired_count += 1;
            if outcome.sample.len() < SAMPLE {
                outcome.sample.push(after);
            }
        }
        tx.commit().await?;
    }
    Ok(outcome)
}
