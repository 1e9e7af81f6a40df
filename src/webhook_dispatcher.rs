//! Sends due webhook events every few seconds while the service runs. Several processes
//! may run it at once: events are claimed before they are sent (see the domain module).

use std::time::Duration;

use agencyflow_graphql::domain::webhooks::{self, DispatchSettings};
use sea_orm::DatabaseConnection;

pub struct Dispatcher {
    pub db: DatabaseConnection,
    pub http: reqwest::Client,
    pub settings: DispatchSettings,
    pub every: Duration,
}

impl Dispatcher {
    pub async fn run(self) {
        let mut ticks = tokio::time::interval(self.every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match webhooks::dispatch_due(&self.db, &self.http, &self.settings).await {
                Ok(outcome) if outcome != Default::default() => {
                    tracing::info!(?outcome, "webhook events dispatched");
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = ?err, "webhook dispatch failed; retrying at the next tick")
                }
            }
        }
    }
}
