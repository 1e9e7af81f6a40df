//! The GraphQL schema. Resolvers parse, authorise, call one workflow, map the result.

mod context;
mod cost;
mod document;
mod guard;
mod ids;
mod loaders;
mod pagination;
mod resolvers;
mod types;

use std::sync::Arc;

use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

use crate::domain::allocation::segment::DpdBucket;
use crate::domain::clock::Clock;
use crate::domain::intake::NationalIdKey;
use crate::domain::intake::tracked::Imports;
use crate::domain::reporting::ReportingSettings;

pub use context::{Auth, RequestMeta};
pub use cost::MAX_DEFAULT_PAGE_SIZE;
pub use document::DocumentRules;
pub use loaders::Loaders;

#[derive(MergedObject, Default)]
pub struct Query(
    resolvers::me::MeQuery,
    resolvers::agencies::AgencyQuery,
    resolvers::allocation::AllocationQuery,
    resolvers::portfolios::PortfolioQuery,
    resolvers::intake::IntakeQuery,
    resolvers::accounts::AccountQuery,
    resolvers::placements::PlacementQuery,
    resolvers::qualifications::QualificationQuery,
    resolvers::tokens::TokenQuery,
    resolvers::users::UserQuery,
    resolvers::audit::AuditQuery,
    resolvers::incidents::IncidentQuery,
    resolvers::webhooks::WebhookQuery,
    resolvers::reporting::ReportingQuery,
    resolvers::timeline::TimelineQuery,
    resolvers::jobs::JobQuery,
    resolvers::performance::PerformanceQuery,
    resolvers::reassignment::ReassignmentQuery,
    resolvers::finance::FinanceQuery,
    resolvers::commissions::CommissionQuery,
    resolvers::clock::ClockQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    resolvers::agencies::AgencyMutation,
    resolvers::allocation::AllocationMutation,
    resolvers::placements::PlacementMutation,
    resolvers::portfolios::PortfolioMutation,
    resolvers::intake::IntakeMutation,
    resolvers::qualifications::QualificationMutation,
    resolvers::tokens::TokenMutation,
    resolvers::users::UserMutation,
    resolvers::webhooks::WebhookMutation,
    resolvers::reporting::ReportingMutation,
    resolvers::accounts::AccountMutation,
    resolvers::jobs::JobMutation,
    resolvers::incidents::IncidentMutation,
    resolvers::reassignment::ReassignmentMutation,
    resolvers::finance::FinanceMutation,
    resolvers::commissions::CommissionMutation,
    resolvers::clock::ClockMutation,
);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Limits the API enforces on every request.
#[derive(Clone, Debug)]
pub struct SchemaSettings {
    /// Days-past-due buckets that strategies' segments name.
    pub dpd_buckets: Vec<DpdBucket>,
    pub default_page_size: u64,
    pub max_page_size: u64,
    pub max_depth: usize,
    pub max_complexity: usize,
    /// Batch limits, tail period and compliance policies of agencies' reports.
    pub reporting: ReportingSettings,
    /// Days without reported activity after which `runIdleWatch` calls a placement idle.
    pub idle_days: u32,
}

/// The schema with its data and limits; the service adds its extensions and calls `finish`.
pub fn build_schema(
    db: DatabaseConnection,
    settings: SchemaSettings,
    national_id_key: NationalIdKey,
    clock: Arc<dyn Clock>,
    runner: String,
) -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(settings.max_depth)
        .limit_complexity(settings.max_complexity)
        .data(db)
        .data(settings)
        .data(national_id_key)
        .data(Imports::new(clock.clone(), runner))
        .data(clock)
}

/// The schema definition language the service serves (`graphql/schema.graphql`).
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}
