use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{Duration, NaiveDate};

use crate::api::context::{actor, db, now};
use crate::api::cost;
use crate::api::guard::{ANY_ROLE, LENDER, RoleGuard};
use crate::api::ids;
use crate::api::types::enums::ScoreWindow;
use crate::api::types::scorecard::AgencyScorecard;
use crate::domain::performance::{ALL_SEGMENTS, scorecards};
use crate::domain::validate;
use crate::error::{AppError, AppResult};

#[derive(Default)]
pub struct PerformanceQuery;

/// Every agency's scorecard in a segment over a window, on one day, best first.
#[derive(SimpleObject)]
pub struct ScorecardTable {
    /// The snapshot day shown: the latest on or before the day asked for; `null` when no
    /// snapshot has been taken yet.
    pub as_of: Option<NaiveDate>,
    pub segment: String,
    pub window: ScoreWindow,
    /// Agencies with a verdict by score, then those without one; ranked within each
    /// currency.
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub rows: Vec<AgencyScorecard>,
}

/// One agency's scorecards day by day, for trend charts.
#[derive(SimpleObject)]
pub struct ScorecardHistory {
    pub agency_id: ID,
    pub segment: String,
    pub window: ScoreWindow,
    /// Oldest first; one per snapshot day and currency.
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub history: Vec<AgencyScorecard>,
}

#[Object]
impl PerformanceQuery {
    /// The league table of a segment (an allocation strategy code; all segments when
    /// left out) as of a day (the latest snapshot when left out).
    #[graphql(guard = "RoleGuard::new(LENDER)")]
    async fn agency_scorecards(
        &self,
        ctx: &Context<'_>,
        as_of: Option<NaiveDate>,
        segment: Option<String>,
        #[graphql(default_with = "ScoreWindow::Last90Days")] window: ScoreWindow,
        currency: Option<String>,
    ) -> async_graphql::Result<ScorecardTable> {
        let conn = db(ctx);
        let currency = validate::filter_text("currency", currency)?;
        let segment =
            validate::filter_text("segment", segment)?.unwrap_or_else(|| ALL_SEGMENTS.to_owned());
        let day = scorecards::latest_day(conn, as_of).await?;
        let rows = match day {
            Some(day) => {
                scorecards::league(conn, day, &segment, window.into(), currency.as_deref()).await?
            }
            None => Vec::new(),
        };
        Ok(ScorecardTable {
            as_of: day,
            segment,
            window,
            rows: rows
                .into_iter()
                .map(|ranked| AgencyScorecard::new(ranked.row, ranked.rank))
                .collect::<AppResult<_>>()?,
        })
    }

    /// One agency's scorecards from `from` (default: 90 days ago) to `to` (default:
    /// today), at most 400 days. An agency may read its own.
    #[graphql(guard = "RoleGuard::new(ANY_ROLE)")]
    async fn agency_scorecard(
        &self,
        ctx: &Context<'_>,
        agency_id: ID,
        segment: Option<String>,
        #[graphql(default_with = "ScoreWindow::Last90Days")] window: ScoreWindow,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> async_graphql::Result<ScorecardHistory> {
        let agency = ids::parse("agencyId", &agency_id)?;
        actor(ctx)?.scope().allows_agency(agency, "scorecards")?;
        let to = to.unwrap_or_else(|| now(ctx).date_naive());
        let from = from.unwrap_or(to - Duration::days(90));
        if from > to || (to - from).num_days() > scorecards::MAX_HISTORY_DAYS {
            return Err(AppError::bad_input(
                "from",
                format!(
                    "from must be on or before to, at most {} days apart",
                    scorecards::MAX_HISTORY_DAYS
                ),
            )
            .into());
        }
        let segment =
            validate::filter_text("segment", segment)?.unwrap_or_else(|| ALL_SEGMENTS.to_owned());
        let rows =
            scorecards::history(db(ctx), agency, &segment, window.into(), (from, to)).await?;
        Ok(ScorecardHistory {
            agency_id,
            segment,
            window,
            history: rows
                .into_iter()
                .map(|row| AgencyScorecard::new(row, None))
                .collect::<AppResult<_>>()?,
        })
    }
}
