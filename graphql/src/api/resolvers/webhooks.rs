use async_graphql::connection::Connection;
use async_graphql::{ComplexObject, Context, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::outbox_event;

use crate::api::context::{actor, db, now};
use crate::api::cost;
use crate::api::guard::{ANY_ROLE, MANAGERS, RoleGuard};
use crate::api::ids::{self, to_id};
use crate::api::loaders::{Loaders, loader_error};
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::agency::Agency;
use crate::api::types::enums::DeliveryStatus;
use crate::domain::outbox::{self, OutboxFilter};
use crate::domain::webhooks::{self, DispatchSettings};

#[derive(Default)]
pub struct WebhookQuery;

#[derive(Default)]
pub struct WebhookMutation;

#[derive(InputObject, Default)]
pub struct WebhookDeliveriesFilter {
    pub agency_id: Option<ID>,
    /// Any of these states.
    pub status: Option<Vec<DeliveryStatus>>,
    /// e.g. placement.created, placement.recalled.
    pub topic: Option<String>,
}

/// One event for an agency and the state of its delivery.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct WebhookDelivery {
    /// Also the `webhook-id` header, as `evt_<id>`.
    pub id: ID,
    pub topic: String,
    pub payload: Json<serde_json::Value>,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_response_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub agency_id: Option<i64>,
}

impl From<outbox_event::Model> for WebhookDelivery {
    fn from(e: outbox_event::Model) -> Self {
        Self {
            id: to_id(e.id),
            topic: e.topic,
            payload: Json(e.payload),
            status: e.delivery_status.into(),
            attempts: e.attempts,
            next_attempt_at: e.next_attempt_at,
            last_response_status: e.last_response_status,
            last_error: e.last_error,
            created_at: e.created_at,
            delivered_at: e.dispatched_at,
            agency_id: e.agency_id,
        }
    }
}

#[ComplexObject]
impl WebhookDelivery {
    async fn agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Agency>> {
        let Some(agency_id) = self.agency_id else {
            return Ok(None);
        };
        let model = ctx
            .data_unchecked::<Loaders>()
            .agency
            .load_one(agency_id)
            .await
            .map_err(loader_error)?;
        Ok(model.map(Agency::from_model).transpose()?)
    }
}

/// What one dispatch did.
#[derive(SimpleObject)]
pub struct WebhookDispatch {
    pub delivered: i32,
    pub retrying: i32,
    pub dead: i32,
    pub no_endpoint: i32,
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[Object]
impl WebhookQuery {
    /// Events for agencies and their delivery state, newest first. An AGENCY caller sees its own.
    #[graphql(
        guard = "RoleGuard::new(ANY_ROLE)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        filter: Option<WebhookDeliveriesFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, WebhookDelivery>> {
        let scope = actor(ctx)?.scope();
        let filter = filter.unwrap_or_default();
        let filter = OutboxFilter {
            agency_id: filter
                .agency_id
                .as_ref()
                .map(|id| ids::parse("filter.agencyId", id))
                .transpose()?,
            status: filter
                .status
                .map(|s| s.into_iter().map(Into::into).collect()),
            topic: filter.topic,
        };
        let page = outbox::list(db(ctx), scope, filter, page_request(ctx, first, after)?).await?;
        Ok(connection(page, |e| e.id, |e| Ok(e.into()))?)
    }
}

#[Object]
impl WebhookMutation {
    /// Sends every due event now (the service also does so on its own every few seconds).
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn dispatch_webhooks(&self, ctx: &Context<'_>) -> async_graphql::Result<WebhookDispatch> {
        let http = ctx.data_unchecked::<reqwest::Client>();
        let settings = ctx.data_unchecked::<DispatchSettings>();
        let outcome = webhooks::dispatch_due(db(ctx), http, settings, now(ctx)).await?;
        Ok(WebhookDispatch {
            delivered: count(outcome.delivered),
            retrying: count(outcome.retrying),
            dead: count(outcome.dead),
            no_endpoint: count(outcome.no_endpoint),
        })
    }
}
