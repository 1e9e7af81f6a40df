//! GraphQL mirrors of the stored enums (SCREAMING_CASE on the wire).

use async_graphql::Enum;

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::api_token::Role")]
pub enum Role {
    Admin,
    VendorManager,
    Agency,
    Finance,
    Auditor,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::agency::AgencyStatus")]
pub enum AgencyStatus {
    Onboarding,
    Active,
    Probation,
    Suspended,
    Terminated,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::agency::KindOfWork")]
pub enum KindOfWork {
    EarlyStage,
    LateStage,
    ChargedOff,
    Legal,
    Digital,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::agency::Channel")]
pub enum Channel {
    Call,
    Sms,
    Email,
    Letter,
    FieldVisit,
    LegalAction,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::agency::RemittanceMode")]
pub enum RemittanceMode {
    Gross,
    Net,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::agency_qualification::QualificationStatus")]
pub enum QualificationStatus {
    PendingReview,
    Verified,
    Rejected,
    Expired,
    Revoked,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::account::Product")]
pub enum Product {
    Card,
    InstalmentLoan,
    Bnpl,
    Auto,
    Other,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::account::AccountFlag")]
pub enum AccountFlag {
    Disputed,
    CeaseContact,
    Bankruptcy,
    Deceased,
    Vulnerable,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::placement::PlacementLevel")]
pub enum PlacementLevel {
    Primary,
    Secondary,
    Tertiary,
    Legal,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::placement::PlacementStatus")]
pub enum PlacementStatus {
    Active,
    Recalled,
    Returned,
    Paid,
}

/// Converts a list of GraphQL enum values to their stored form.
pub fn to_stored<G: Copy + Into<S>, S>(values: &[G]) -> Vec<S> {
    values.iter().map(|v| (*v).into()).collect()
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::allocation_strategy::SplitMethod")]
pub enum SplitMethod {
    /// Shares proportional to each agency's composite score; agencies without a verdict
    /// get the floor share.
    PerformanceWeighted,
    /// The champion takes its share; challengers split the rest equally.
    ChampionChallenger,
    Equal,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "crate::domain::allocation::run::UnplacedReason")]
pub enum UnplacedReason {
    /// Flagged cease-contact, bankrupt or deceased: never placed.
    Scrubbed,
    /// Already placed at this level or a later one.
    AlreadyWorkedAtLevel,
    NoEligibleAgency,
    OnlyPreviousHolders,
    NoCapacity,
    /// Another run placed it first.
    PlacedConcurrently,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::outbox_event::DeliveryStatus")]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    Delivered,
    /// Given up: too many failed attempts, or the endpoint answered 410 Gone.
    Dead,
    /// Not for a webhook: a lender notification, or the agency has no endpoint.
    NoEndpoint,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::compliance_incident::IncidentSource")]
pub enum IncidentSource {
    Automatic,
    Complaint,
    Audit,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::compliance_incident::Severity")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::compliance_incident::IncidentStatus")]
pub enum IncidentStatus {
    Open,
    Acknowledged,
    Resolved,
    Waived,
}

/// What an agency reports.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::activity::ActivityKind")]
pub enum ActivityType {
    /// An attempt to reach the debtor (or a contact the debtor started): give channel,
    /// direction, result and the number or address used.
    ContactAttempt,
    PromiseToPay,
    Dispute,
    CeaseContact,
    /// A complaint the agency received (raises a COMPLAINT incident).
    Complaint,
    Note,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::activity::ContactChannel")]
pub enum ContactChannel {
    Call,
    Sms,
    Email,
    Letter,
    Visit,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::activity::Direction")]
pub enum ContactDirection {
    Outbound,
    Inbound,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::activity::ContactResult")]
pub enum ContactResult {
    NoAnswer,
    LeftMessage,
    RightPartyContact,
    ThirdParty,
    WrongNumber,
    Refused,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::payment::PaymentMethod")]
pub enum PaymentMethod {
    Card,
    BankTransfer,
    DirectDebit,
    Cheque,
    Cash,
    Wallet,
    Other,
}

/// Who received the money.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::payment::PaidTo")]
pub enum PaidTo {
    Agency,
    LenderDirect,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "crate::domain::reporting::ItemStatus")]
pub enum ReportItemStatus {
    /// Stored (and checked against the contact rules).
    Accepted,
    /// Reported before with the same payload: the original is returned.
    Duplicate,
    /// Not stored: see the code; correct it and send it again.
    Rejected,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "crate::domain::reporting::ItemCode")]
pub enum ReportItemCode {
    /// Accepted, no rule broken.
    Ok,
    /// Accepted and stored, but it broke a contact rule: see the item's incidents.
    ComplianceBreach,
    /// Reported before with the same payload.
    Duplicate,
    /// The externalId was used before for a different payload.
    Conflict,
    /// A field is missing or malformed: `field` names it.
    InvalidField,
    /// The agency does not hold the account (or it does not exist).
    AccountNotHeld,
    OccurredInFuture,
    OccurredBeforePlacement,
    AmountExceedsBalance,
    CurrencyMismatch,
    PaidInFuture,
    PaidBeforePlacement,
    /// Paid after the agency's placement ended and its tail period passed.
    OutsideTailPeriod,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::job_run::RunTrigger")]
pub enum JobRunTrigger {
    /// A tick of the job's schedule.
    Schedule,
    /// `runJob`.
    Manual,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::job_run::RunStatus")]
pub enum JobRunStatus {
    Running,
    Succeeded,
    Failed,
    /// The job was still running from an earlier tick: this one was skipped.
    Skipped,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::account_import::ImportStatus")]
pub enum AccountImportStatus {
    Running,
    /// The file was read to its end; its good rows landed (an atomic import that refused
    /// a row: none did).
    Succeeded,
    /// The import stopped before the end of the file; nothing from it was written.
    Failed,
}

/// The placements a scorecard covers.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::performance_snapshot::ScoreWindow")]
pub enum ScoreWindow {
    /// Placements made in the 30 days to the day (cohort basis).
    Last30Days,
    /// Placements made in the 90 days to the day; what allocation weighs by.
    Last90Days,
    /// Every placement, cumulatively.
    SincePlacement,
}

/// What makes a reassignment rule fire.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum ReassignmentTrigger {
    /// Recovery rate over `window` below `thresholdBp` of the segment's peer median, for
    /// an agency with at least `minAccounts` placed in the window and `performance.min_days`
    /// (30) days since its first placement in the segment; the peers qualify the same way
    /// (no verdict on thinner data, nor without a peer).
    RecoveryBelowPeerMedian,
    /// Idle accounts above `thresholdBp` of the accounts held, with at least
    /// `minAccounts` held.
    IdleShareAbove,
    /// At least `count` HIGH incidents in the last 30 days.
    HighIncidents,
    /// An unresolved CRITICAL incident in the last 30 days: no grace period.
    CriticalIncident,
    /// The agency holds accounts it is no longer qualified to work.
    QualificationLapsed,
}

/// What a reassignment decision does, escalating: each includes the ones before.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::reassignment_policy::Action")]
pub enum ReassignmentAction {
    /// The agency is told (webhook `agency.warned`).
    Warn,
    /// The agency goes on probation: its allocation share is halved.
    Probation,
    /// Probation, and its idle accounts in the segment go to others: placed at least
    /// `compliance.idle_days` days ago with no activity in as many days (the idle
    /// accounts of the scorecards).
    RecallIdle,
    /// The agency is suspended and all its accounts go to others.
    RecallAll,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::reassignment_decision::DecisionStatus")]
pub enum ReassignmentDecisionStatus {
    /// From a dry run: never executes.
    Proposed,
    /// Waiting out its grace period; may be overridden, held or approved.
    Pending,
    /// A vendor manager held it: it does not execute until approved (or is overridden).
    Held,
    /// Execution started (a stopped process's is resumed).
    Executing,
    Executed,
    /// A vendor manager stopped it.
    Overridden,
    /// A later review decided a stronger action for the same agency and segment.
    Superseded,
}

/// How money reached the lender.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::ledger_entry::LedgerChannel")]
pub enum LedgerChannel {
    /// An agency remitted all it collected (the lender pays its commission invoice).
    AgencyRemittanceGross,
    /// An agency remitted what it collected less its fee (give `grossAmount`).
    AgencyRemittanceNet,
    /// The debtor paid the lender directly.
    LenderDirect,
}

/// How a reconciliation line compares.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::reconciliation_item::MatchClass")]
pub enum MatchClass {
    /// Reported and received for the same amount (one to one, or split).
    Matched,
    /// Reported by the agency; never received.
    AgencyOnly,
    /// Received; never reported (attributed to the agency holding the account then).
    LedgerOnly,
    /// Reported and received within the window, for different amounts.
    AmountMismatch,
    /// Received, then reversed.
    Reversed,
}

/// How finance settled a reconciliation exception.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::reconciliation_item::Resolution")]
pub enum ReconciliationResolution {
    /// The agency owes the money it reported (or the difference): it is asked to remit.
    /// Agency-only lines and amount mismatches.
    AgencyToRemit,
    /// The agency's report was wrong and is corrected. Agency-only lines and amount mismatches.
    AgencyReportCorrected,
    /// The lender's ledger was wrong and is corrected. Ledger-only lines and amount mismatches.
    LedgerCorrected,
    /// Money received without a report is the attributed agency's recovery. Ledger-only lines.
    AttributionConfirmed,
    /// Money received without a report is no agency's work (the debtor paid the lender).
    /// Ledger-only lines.
    NotAnAgencyRecovery,
    /// Accepted as it stands; nothing more is done. Any exception.
    WrittenOff,
}

/// What became of one ledger entry sent.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "crate::domain::finance::ledger::EntryStatus")]
pub enum LedgerEntryStatus {
    Imported,
    /// Sent before with the same content: the stored entry is returned.
    Duplicate,
    /// Not stored: see `field` and `message`.
    Rejected,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::commission_statement::StatementStatus")]
pub enum StatementStatus {
    Draft,
    Submitted,
    Approved,
    Paid,
    /// The agency disputes it; regenerating makes it a DRAFT again.
    Disputed,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::commission_line::LineKind")]
pub enum CommissionLineKind {
    /// A payment and the rule it earned by.
    Payment,
    /// The performance bonus.
    Bonus,
    /// Commission taken back on a payment reversed after an earlier statement.
    Clawback,
    /// A manual correction.
    Adjustment,
}

#[cfg(test)]
mod tests {
    use async_graphql::resolver_utils::EnumType;

    use super::ReportItemCode;
    use crate::domain::reporting::ItemCode;

    #[test]
    fn item_codes_read_in_metrics_as_in_the_api() {
        for item in ReportItemCode::items() {
            assert_eq!(ItemCode::from(item.value).as_str(), item.name);
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::user::UserStatus")]
pub enum UserStatus {
    Active,
    /// Signs in no more; every session and token of theirs stopped at once.
    Disabled,
}
