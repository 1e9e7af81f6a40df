//! Delivering outbox events to agencies' webhooks, in the style of Standard Webhooks.
//!
//! Each delivery is a POST of `{"type", "timestamp", "data"}` with the headers
//! `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "id.timestamp.body" under the agency's secret>`. A 2xx answer delivers the event; 410
//! Gone gives up on it; anything else is retried later with a growing, jittered delay
//! (honouring `Retry-After`) until the attempts run out, then the event is DEAD.
//!
//! Events are claimed with a lease (their next attempt moves into the future) before any
//! HTTP call, and with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several processes never
//! send the same event at once and no transaction stays open across a network call.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::{DateTime, SubsecRound, Utc};
use entity::agency;
use entity::outbox_event::{self, DeliveryStatus};
use hmac::{Hmac, Mac};
use rand::Rng;
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use sha2::Sha256;

use super::tx::begin_write;
use super::webhook_targets::{self, TargetPolicy};
use crate::domain::any_of::any_of;
use crate::error::{AppError, AppResult, display_chain};

#[derive(Clone, Debug)]
pub struct DispatchSettings {
    /// Attempts before an event is given up (DEAD).
    pub max_attempts: i32,
    /// Delay before the first retry; each later one doubles it, up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// How long one delivery may take.
    pub timeout: Duration,
    /// Events claimed per dispatch.
    pub batch: u64,
    /// Where deliveries may go.
    pub targets: TargetPolicy,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct DispatchOutcome {
    pub delivered: usize,
    pub retrying: usize,
    pub dead: usize,
    pub no_endpoint: usize,
}

/// The `webhook-signature` value for one delivery.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> AppResult<String> {
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()
        })
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("stored webhook secret is malformed")))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| AppError::Internal(e.into()))?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The delay before attempt `attempts + 1`: doubling from `base`, capped, ±20% jitter.
pub fn backoff(settings: &DispatchSettings, attempts: i32) -> Duration {
    let doubling = 2_u32.saturating_pow(u32::try_from(attempts.max(1) - 1).unwrap_or(0));
    let delay = settings
        .base_delay
        .saturating_mul(doubling)
        .min(settings.max_delay);
    delay.mul_f64(rand::rng().random_range(0.8..=1.2))
}

enum Result {
    Delivered(u16),
    Gone,
    Failed {
        status: Option<u16>,
        error: String,
        retry_after: Option<Duration>,
    },
}

/// Sends every event due at `now` (the service clock's) once. Deliveries are stamped with
/// `now` moved on by the real time the dispatch has taken so far.
pub async fn dispatch_due(
    db: &DatabaseConnection,
    http: &reqwest::Client,
    settings: &DispatchSettings,
    now: DateTime<Utc>,
) -> AppResult<DispatchOutcome> {
    use outbox_event::Column;
    let started = Instant::now();
    let at = || now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
    // Long enough for the whole batch, sent one by one; rounded to milliseconds so the
    // stored value compares equal on both stores.
    let lease = chrono::Duration::from_std(settings.timeout * (settings.batch as u32 + 1))
        .unwrap_or_default();
    let claim = (now + lease).trunc_subsecs(3);
    let tx = begin_write(db).await?;
    let due = outbox_event::Entity::find()
        .filter(Column::DeliveryStatus.eq(DeliveryStatus::Pending))
        .filter(
            Condition::any()
                .add(Column::NextAttemptAt.is_null())
                .add(Column::NextAttemptAt.lte(now)),
        )
        .order_by_asc(Column::Id)
        .limit(settings.batch)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&tx)
        .await?;
    if due.is_empty() {
        return Ok(DispatchOutcome::default());
    }
    outbox_event::Entity::update_many()
        .set(outbox_event::ActiveModel {
            next_attempt_at: Set(Some(claim)),
            ..Default::default()
        })
        .filter(any_of(
            tx.get_database_backend(),
            Column::Id,
            due.iter().map(|e| e.id),
        ))
        .exec(&tx)
        .await?;
    tx.commit().await?;

    let agency_ids: Vec<i64> = due.iter().filter_map(|e| e.agency_id).collect();
    let endpoints: HashMap<i64, (String, String)> = agency::Entity::find()
        .filter(any_of(
            db.get_database_backend(),
            agency::Column::Id,
            agency_ids,
        ))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|a| Some((a.id, (a.webhook_url?, a.webhook_secret?))))
        .collect();
    let mut outcome = DispatchOutcome::default();
    for event in due {
        let endpoint = event.agency_id.and_then(|id| endpoints.get(&id));
        let mut row = outbox_event::ActiveModel {
            next_attempt_at: Set(None),
            ..Default::default()
        };
        let counter = match endpoint {
            None => {
                row.delivery_status = Set(DeliveryStatus::NoEndpoint);
                &mut outcome.no_endpoint
            }
            Some((url, secret)) => {
                let attempts = event.attempts + 1;
                row.attempts = Set(attempts);
                match deliver(http, settings, &event, url, secret).await? {
                    Result::Delivered(status) => {
                        row.delivery_status = Set(DeliveryStatus::Delivered);
                        row.dispatched_at = Set(Some(at()));
                        row.last_response_status = Set(Some(i32::from(status)));
                        row.last_error = Set(None);
                        &mut outcome.delivered
                    }
                    Result::Gone => {
                        row.delivery_status = Set(DeliveryStatus::Dead);
                        row.last_response_status = Set(Some(410));
                        row.last_error = Set(Some("the endpoint answered 410 Gone".into()));
                        &mut outcome.dead
                    }
                    Result::Failed {
                        status,
                        error,
                        retry_after,
                    } => {
                        row.last_response_status = Set(status.map(i32::from));
                        row.last_error = Set(Some(error));
                        if attempts >= settings.max_attempts {
                            row.delivery_status = Set(DeliveryStatus::Dead);
                            &mut outcome.dead
                        } else {
                            // A Retry-After may lengthen the wait, never shorten it below
                            // the backoff nor stretch it past the longest delay.
                            let delay = backoff(settings, attempts);
                            let delay = retry_after.map_or(delay, |asked| {
                                asked.clamp(delay, settings.max_delay.max(delay))
                            });
                            let next = chrono::Duration::from_std(delay)
                                .ok()
                                .and_then(|d| at().checked_add_signed(d))
                                .unwrap_or(claim);
                            row.next_attempt_at = Set(Some(next));
                            &mut outcome.retrying
                        }
                    }
                }
            }
        };
        // Only the holder of the claim records the result: if the lease ran out and
        // another dispatcher took the event over, its result stands.
        let recorded = outbox_event::Entity::update_many()
            .set(row)
            .filter(outbox_event::Column::Id.eq(event.id))
            .filter(outbox_event::Column::NextAttemptAt.eq(claim))
            .exec(db)
            .await?;
        if recorded.rows_affected > 0 {
            *counter += 1;
        }
    }
    super::metrics::webhook_deliveries(&outcome);
    Ok(outcome)
}

async fn deliver(
    http: &reqwest::Client,
    settings: &DispatchSettings,
    event: &outbox_event::Model,
    url: &str,
    secret: &str,
) -> AppResult<Result> {
    // The address literals; names are checked by the client's resolver as it connects.
    if let Err(refused) = webhook_targets::check_url(&settings.targets, "webhookUrl", url) {
        return Ok(Result::Failed {
            status: None,
            error: format!("not sent: {refused}"),
            retry_after: None,
        });
    }
    let id = format!("evt_{}", event.id);
    // Real time, not the service clock's: receivers check it against their own clock.
    let sent_at: DateTime<Utc> = Utc::now();
    let body = serde_json::json!({
        "type": event.topic,
        "timestamp": event.created_at,
        "data": event.payload,
    })
    .to_string();
    let timestamp = sent_at.timestamp();
    let signature = sign(secret, &id, timestamp, &body)?;
    let response = http
        .post(url)
        .timeout(settings.timeout)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    Ok(match response {
        Ok(answer) if answer.status().is_success() => Result::Delivered(answer.status().as_u16()),
        Ok(answer) if answer.status() == reqwest::StatusCode::GONE => Result::Gone,
        Ok(answer) => Result::Failed {
            status: Some(answer.status().as_u16()),
            retry_after: answer
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .map(Duration::from_secs),
            error: format!("the endpoint answered {}", answer.status()),
        },
        Err(err) => Result::Failed {
            status: None,
            error: format!("delivery failed: {}", display_chain(&err)),
            retry_after: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> DispatchSettings {
        DispatchSettings {
            max_attempts: 12,
            base_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(6 * 3600),
            timeout: Duration::from_secs(10),
            batch: 100,
            targets: TargetPolicy::default(),
        }
    }

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let signature = sign(
            secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn delays_double_with_jitter_and_are_capped() {
        let s = settings();
        for (attempts, expected) in [(1, 30_u64), (2, 60), (3, 120), (20, 6 * 3600)] {
            let delay = backoff(&s, attempts).as_secs_f64();
            let expected = expected as f64;
            assert!(
                delay >= expected * 0.8 - 1.0 && delay <= expected * 1.2 + 1.0,
                "{attempts}: {delay}"
            );
        }
    }
}
