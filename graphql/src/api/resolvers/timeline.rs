use async_graphql::connection::{Connection, CursorType, Edge, OpaqueCursor};
use async_graphql::{Context, Enum, ID, Object, SimpleObject, Union};
use chrono::{DateTime, Utc};

use crate::api::context::{actor, db};
use crate::api::cost;
use crate::api::guard::{ANY_ROLE, RoleGuard};
use crate::api::ids;
use crate::api::pagination::page_request_with;
use crate::api::types::incident::ComplianceIncident;
use crate::api::types::placement::Placement;
use crate::api::types::report::{Activity, Payment};
use crate::domain::timeline::{self, Entry, Key};
use crate::error::{AppError, AppResult};

#[derive(Default)]
pub struct TimelineQuery;

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum TimelineEntryKind {
    /// The account was placed with an agency.
    Placed,
    Activity,
    Payment,
    Incident,
    /// The placement ended (returned, recalled or paid).
    PlacementEnded,
}

#[derive(Union)]
pub enum TimelineEvent {
    Placement(Placement),
    Activity(Activity),
    Payment(Payment),
    ComplianceIncident(ComplianceIncident),
}

/// One thing that happened to an account.
#[derive(SimpleObject)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub kind: TimelineEntryKind,
    pub event: TimelineEvent,
}

impl TimelineEntry {
    fn new(entry: Entry) -> AppResult<Self> {
        let at = entry.key().at;
        let (kind, event) = match entry {
            Entry::Placed(p) => (
                TimelineEntryKind::Placed,
                TimelineEvent::Placement(Placement::from_model(p)?),
            ),
            Entry::PlacementEnded(p) => (
                TimelineEntryKind::PlacementEnded,
                TimelineEvent::Placement(Placement::from_model(p)?),
            ),
            Entry::Activity(a) => (
                TimelineEntryKind::Activity,
                TimelineEvent::Activity(Activity::from_model(a)?),
            ),
            Entry::Payment(p) => (
                TimelineEntryKind::Payment,
                TimelineEvent::Payment(Payment::from_model(p)?),
            ),
            Entry::Incident(i) => (
                TimelineEntryKind::Incident,
                TimelineEvent::ComplianceIncident(ComplianceIncident::from_model(i)),
            ),
        };
        Ok(Self { at, kind, event })
    }
}

#[Object]
impl TimelineQuery {
    /// Every placement (start and end), activity, payment and incident of the account,
    /// oldest first. An AGENCY sees only its own entries, of accounts it holds or held.
    #[graphql(
        guard = "RoleGuard::new(ANY_ROLE)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn account_timeline(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<OpaqueCursor<Key>, TimelineEntry>> {
        let account_id = ids::parse("accountId", &account_id)?;
        let (after, limit) = page_request_with(ctx, first, after, |cursor| {
            OpaqueCursor::<Key>::decode_cursor(cursor)
                .map(|c| c.0)
                .map_err(|_| AppError::bad_input("after", "not a cursor this API issued"))
        })?;
        let page = timeline::page(db(ctx), actor(ctx)?.scope(), account_id, after, limit).await?;
        let mut connection = Connection::new(false, page.has_next_page);
        connection.edges = page
            .items
            .into_iter()
            .map(|entry| {
                Ok(Edge::new(
                    OpaqueCursor(entry.key()),
                    TimelineEntry::new(entry)?,
                ))
            })
            .collect::<AppResult<_>>()?;
        Ok(connection)
    }
}
