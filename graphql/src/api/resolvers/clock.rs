//! The service clock: what time the API thinks it is, and (on a manual clock, in sandboxes
//! and simulations) moving it forward.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::api::context::{caller, clock, now};
use crate::api::cost;
use crate::api::guard::{ADMIN, ANY_ROLE, RoleGuard};
use crate::api::resolvers::jobs::JobRun;
use crate::domain::jobs::runner::{self, JobContext};
use crate::error::{AppError, AppResult};

#[derive(Default)]
pub struct ClockQuery;

#[derive(Default)]
pub struct ClockMutation;

/// The clock the API stamps and judges everything by.
#[derive(SimpleObject)]
pub struct ServiceClock {
    /// The instant of this request on the service clock.
    pub now: DateTime<Utc>,
    /// Whether the clock only moves through `advanceClock` (a sandbox or a simulation).
    pub manual: bool,
    /// The day of the month on which the month before's books close
    /// (`finance.close_day`): its commission statements are drafted from then on.
    pub close_day: u32,
}

/// What `advanceClock` did.
#[derive(SimpleObject)]
pub struct ClockAdvance {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The job runs made (or skipped) at the ticks crossed, in tick order.
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub job_runs: Vec<JobRun>,
}

#[Object]
impl ClockQuery {
    /// What time it is for the API: the system clock, or a sandbox's manual clock.
    #[graphql(guard = "RoleGuard::new(ANY_ROLE)")]
    async fn clock(&self, ctx: &Context<'_>) -> ServiceClock {
        ServiceClock {
            now: now(ctx),
            manual: clock(ctx).manual().is_some(),
            close_day: ctx.data_unchecked::<JobContext>().reconcile.close_day,
        }
    }
}

#[Object]
impl ClockMutation {
    /// Moves a manual clock forward to `to`, running the scheduled jobs at the ticks it
    /// crosses: each enabled job's latest tick in (now, to], in time order, with the clock
    /// set to it. Advances run one at a time, each to its end even if the request times
    /// out; going back is BAD_USER_INPUT; on the system clock this is a CONFLICT.
    #[graphql(guard = "RoleGuard::new(ADMIN)")]
    async fn advance_clock(
        &self,
        ctx: &Context<'_>,
        to: DateTime<Utc>,
    ) -> async_graphql::Result<ClockAdvance> {
        let clock = clock(ctx).clone();
        let jobs = ctx.data_unchecked::<JobContext>().clone();
        let caller = caller(ctx)?;
        // On a task of its own, so that it runs to its end even if the request times out
        // or the client goes away: a half-made advance would leave the clock between ticks
        // and a job run RUNNING.
        let advancing = tokio::spawn(async move {
            let Some(manual) = clock.manual() else {
                return Err(AppError::Conflict(
                    "the service runs on the system clock, which cannot be moved: start it \
                     with clock.manual = true (AGENCYFLOW__CLOCK__MANUAL=true) for a clock \
                     that advanceClock moves"
                        .into(),
                ));
            };
            runner::advance_clock(&jobs, manual, &caller, to).await
        });
        let advance = advancing
            .await
            .map_err(|err| AppError::Internal(err.into()))??;
        Ok(ClockAdvance {
            from: advance.from,
            to: advance.to,
            job_runs: advance
                .runs
                .into_iter()
                .map(JobRun::new)
                .collect::<AppResult<_>>()?,
        })
    }
}
