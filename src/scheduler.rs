//! Runs the scheduled jobs while the service runs: at each tick, every enabled job's due
//! tick (see `agencyflow_graphql::domain::jobs`). Several processes may run it at once:
//! each tick runs in one of them.

use std::sync::Arc;
use std::time::Duration;

use agencyflow_graphql::domain::clock::Clock;
use agencyflow_graphql::domain::jobs::runner::{self, JobContext};

/// The longest sleep: changes made through `updateJob` are seen within it.
const MAX_SLEEP: Duration = Duration::from_secs(30);

pub struct Scheduler {
    pub jobs: JobContext,
    pub clock: Arc<dyn Clock>,
}

impl Scheduler {
    pub async fn run(self) {
        loop {
            let now = self.clock.now();
            if let Err(err) = runner::run_due(&self.jobs, now).await {
                tracing::warn!(error = ?err, "scheduler tick failed; trying again");
            }
            let next = match runner::next_tick(&self.jobs, self.clock.now()).await {
                Ok(next) => next,
                Err(err) => {
                    tracing::warn!(error = ?err, "could not read the job schedule");
                    None
                }
            };
            let wait = next
                .and_then(|tick| (tick - self.clock.now()).to_std().ok())
                .map_or(MAX_SLEEP, |wait| wait.min(MAX_SLEEP));
            tokio::time::sleep(wait).await;
        }
    }
}
