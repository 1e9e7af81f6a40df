//! The tables of agencyflow as sea-orm entities: one module per table.
//!
//! Money is always stored as integer minor units (`*_minor`, `i64`) next to an
//! ISO 4217 currency code; rates and shares never appear here as floats.

pub mod account;
pub mod account_flag_change;
pub mod account_import;
pub mod activity;
pub mod agency;
pub mod agency_qualification;
pub mod allocation_run;
pub mod allocation_strategy;
pub mod allocation_unplaced;
pub mod api_token;
pub mod audit_event;
pub mod commission_adjustment;
pub mod commission_line;
pub mod commission_plan;
pub mod commission_statement;
pub mod compliance_incident;
pub mod integration;
pub mod job;
pub mod job_run;
pub mod ledger_entry;
pub mod mfa_recovery_code;
pub mod outbox_event;
pub mod password_reset;
pub mod payment;
pub mod performance_snapshot;
pub mod placement;
pub mod portfolio;
pub mod qualification_requirement;
pub mod qualification_type;
pub mod reassignment_decision;
pub mod reassignment_policy;
pub mod reassignment_run;
pub mod reconciliation_item;
pub mod reconciliation_match;
pub mod reconciliation_run;
pub mod role;
pub mod sign_in_throttle;
pub mod sso_flow;
pub mod user;
pub mod user_session;

pub mod prelude {
    pub use super::account::Entity as Account;
    pub use super::account_flag_change::Entity as AccountFlagChange;
    pub use super::activity::Entity as Activity;
    pub use super::agency::Entity as Agency;
    pub use super::agency_qualification::Entity as AgencyQualification;
    pub use super::allocation_run::Entity as AllocationRun;
    pub use super::allocation_strategy::Entity as AllocationStrategy;
    pub use super::allocation_unplaced::Entity as AllocationUnplaced;
    pub use super::api_token::Entity as ApiToken;
    pub use super::audit_event::Entity as AuditEvent;
    pub use super::commission_adjustment::Entity as CommissionAdjustment;
    pub use super::commission_line::Entity as CommissionLine;
    pub use super::commission_plan::Entity as CommissionPlan;
    pub use super::commission_statement::Entity as CommissionStatement;
    pub use super::compliance_incident::Entity as ComplianceIncident;
    pub use super::integration::Entity as Integration;
    pub use super::job::Entity as Job;
    pub use super::job_run::Entity as JobRun;
    pub use super::ledger_entry::Entity as LedgerEntry;
    pub use super::mfa_recovery_code::Entity as MfaRecoveryCode;
    pub use super::outbox_event::Entity as OutboxEvent;
    pub use super::password_reset::Entity as PasswordReset;
    pub use super::payment::Entity as Payment;
    pub use super::performance_snapshot::Entity as PerformanceSnapshot;
    pub use super::placement::Entity as Placement;
    pub use super::portfolio::Entity as Portfolio;
    pub use super::qualification_requirement::Entity as QualificationRequirement;
    pub use super::qualification_type::Entity as QualificationType;
    pub use super::reassignment_decision::Entity as ReassignmentDecision;
    pub use super::reassignment_policy::Entity as ReassignmentPolicy;
    pub use super::reassignment_run::Entity as ReassignmentRun;
    pub use super::reconciliation_item::Entity as ReconciliationItem;
    pub use super::reconciliation_match::Entity as ReconciliationMatch;
    pub use super::reconciliation_run::Entity as ReconciliationRun;
    pub use super::sign_in_throttle::Entity as SignInThrottle;
    pub use super::sso_flow::Entity as SsoFlow;
    pub use super::user::Entity as User;
    pub use super::user_session::Entity as UserSession;
}
