//! The contact rules, as one pure check of a reported contact against the debtor's
//! history. The reporting workflow loads the history set-based and calls [`check`] for
//! each reported contact in time order, adding each to the history as it goes.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use entity::account::AccountFlag;
use entity::activity::{ContactChannel, ContactResult, Direction};
use entity::compliance_incident::Severity;

use super::policy::Policy;

/// A contact already known: stored (by activity id) or earlier in the batch being checked.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ContactRef {
    Stored(i64),
    Reported(usize),
}

/// A contact attempt, as the rules see it.
#[derive(Clone, Debug)]
pub struct Contact {
    pub reference: ContactRef,
    /// The agency that made it.
    pub agency_id: i64,
    pub account_id: i64,
    /// One debtor may owe several accounts: the joint caps count them together.
    pub debtor: String,
    pub channel: ContactChannel,
    pub direction: Direction,
    pub result: ContactResult,
    pub occurred_at: DateTime<Utc>,
    /// The number or address used, normalised.
    pub contact_point: Option<String>,
}

impl Contact {
    fn outbound(&self) -> bool {
        self.direction == Direction::Outbound
    }

    fn outbound_call(&self) -> bool {
        self.outbound() && self.channel == ContactChannel::Call
    }

    /// The call was picked up by someone.
    fn connected(&self) -> bool {
        matches!(
            self.result,
            ContactResult::RightPartyContact | ContactResult::ThirdParty | ContactResult::Refused
        )
    }

    fn unanswered(&self) -> bool {
        matches!(
            self.result,
            ContactResult::NoAnswer | ContactResult::LeftMessage
        )
    }

    fn conversation(&self) -> bool {
        self.channel == ContactChannel::Call && self.result == ContactResult::RightPartyContact
    }
}

/// A flag set or lifted at a time.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FlagChange {
    pub flag: AccountFlag,
    pub set: bool,
    pub at: DateTime<Utc>,
}

/// What the rules need to know about the account contacted.
#[derive(Clone, Debug)]
pub struct AccountState {
    pub time_zone: Tz,
    pub policy: Policy,
    /// The flags the account has now.
    pub flags: Vec<AccountFlag>,
    /// The recorded changes of its flags, oldest first.
    pub changes: Vec<FlagChange>,
}

impl AccountState {
    /// Whether `flag` was in force at `at`: as the last recorded change before then left
    /// it. Before the first recorded change a flag was in force if that change lifted it;
    /// a flag the account has with no recorded change (set at intake) is always in force.
    fn flag_in_force(&self, flag: AccountFlag, at: DateTime<Utc>) -> bool {
        let mut changes = self.changes.iter().filter(|c| c.flag == flag).peekable();
        let first_set = changes.peek().map(|c| c.set);
        match changes.take_while(|c| c.at <= at).last() {
            Some(change) => change.set,
            None => first_set.map_or_else(|| self.flags.contains(&flag), |set| !set),
        }
    }

    fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.time_zone).date_naive()
    }
}

/// The rules, with the code incidents carry.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    ContactHours,
    WeeklyCallCap,
    QuietPeriodAfterConversation,
    DailyEffectiveCallCap,
    UnansweredCallsPerNumber,
    ContactAfterCease,
    ContactWhileDisputed,
    ContactInBankruptcy,
    ContactDeceased,
    ThirdPartyContactLimit,
    ThirdPartyWhileReachable,
}

impl Rule {
    pub fn code(self) -> &'static str {
        match self {
            Self::ContactHours => "CONTACT_HOURS",
            Self::WeeklyCallCap => "WEEKLY_CALL_CAP",
            Self::QuietPeriodAfterConversation => "QUIET_PERIOD_AFTER_CONVERSATION",
            Self::DailyEffectiveCallCap => "DAILY_EFFECTIVE_CALL_CAP",
            Self::UnansweredCallsPerNumber => "UNANSWERED_CALLS_PER_NUMBER",
            Self::ContactAfterCease => "CONTACT_AFTER_CEASE",
            Self::ContactWhileDisputed => "CONTACT_WHILE_DISPUTED",
            Self::ContactInBankruptcy => "CONTACT_IN_BANKRUPTCY",
            Self::ContactDeceased => "CONTACT_DECEASED",
            Self::ThirdPartyContactLimit => "THIRD_PARTY_CONTACT_LIMIT",
            Self::ThirdPartyWhileReachable => "THIRD_PARTY_WHILE_REACHABLE",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Self::UnansweredCallsPerNumber => Severity::Low,
            Self::ContactHours
            | Self::WeeklyCallCap
            | Self::QuietPeriodAfterConversation
            | Self::DailyEffectiveCallCap => Severity::Medium,
            Self::ContactAfterCease
            | Self::ContactWhileDisputed
            | Self::ContactInBankruptcy
            | Self::ContactDeceased
            | Self::ThirdPartyContactLimit
            | Self::ThirdPartyWhileReachable => Severity::High,
        }
    }
}

/// A broken rule: what was measured against which limit, and the contacts counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Breach {
    pub rule: Rule,
    pub summary: String,
    pub measured: Option<u32>,
    pub limit: Option<u32>,
    /// The other contacts that count towards the breach, and the agencies that made them.
    pub related: Vec<Counted>,
}

/// A contact counted towards a breach.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Counted {
    pub reference: ContactRef,
    pub agency_id: i64,
}

impl From<&Contact> for Counted {
    fn from(contact: &Contact) -> Self {
        Self {
            reference: contact.reference,
            agency_id: contact.agency_id,
        }
    }
}

impl Breach {
    fn simple(rule: Rule, summary: String) -> Self {
        Self {
            rule,
            summary,
            measured: None,
            limit: None,
            related: Vec::new(),
        }
    }
}

/// The contacts known so far, by account, by debtor and by number.
#[derive(Debug, Default)]
pub struct History {
    contacts: Vec<Contact>,
    by_account: HashMap<i64, Vec<usize>>,
    by_debtor: HashMap<String, Vec<usize>>,
    by_number: HashMap<String, Vec<usize>>,
}

impl History {
    pub fn push(&mut self, contact: Contact) {
        let index = self.contacts.len();
        self.by_account
            .entry(contact.account_id)
            .or_default()
            .push(index);
        self.by_debtor
            .entry(contact.debtor.clone())
            .or_default()
            .push(index);
        if let Some(number) = &contact.contact_point {
            self.by_number
                .entry(number.clone())
                .or_default()
                .push(index);
        }
        self.contacts.push(contact);
    }

    fn of<'a>(&'a self, index: Option<&'a Vec<usize>>) -> impl Iterator<Item = &'a Contact> + 'a {
        index.into_iter().flatten().map(move |&i| &self.contacts[i])
    }

    fn of_account(&self, account_id: i64) -> impl Iterator<Item = &Contact> + '_ {
        self.of(self.by_account.get(&account_id))
    }

    fn of_debtor(&self, debtor: &str) -> impl Iterator<Item = &Contact> + '_ {
        self.of(self.by_debtor.get(debtor))
    }

    fn of_number(&self, number: &str) -> impl Iterator<Item = &Contact> + '_ {
        self.of(self.by_number.get(number))
    }
}

/// Checks one reported contact against the account's state, its policy and the history
/// (which must not yet hold the contact itself). Only outbound contacts can break a rule.
pub fn check(contact: &Contact, account: &AccountState, history: &History) -> Vec<Breach> {
    let mut breaches = Vec::new();
    if !contact.outbound() {
        return breaches;
    }
    status_rules(contact, account, &mut breaches);
    hours_rule(contact, account, &mut breaches);
    if contact.outbound_call() {
        call_rules(contact, account, history, &mut breaches);
    }
    if contact.result == ContactResult::ThirdParty {
        third_party_rules(contact, account, history, &mut breaches);
    }
    breaches
}

/// No contact after cease-contact, while disputed, in bankruptcy or after death; letters
/// (the notices the law still requires) are exempt.
fn status_rules(contact: &Contact, account: &AccountState, breaches: &mut Vec<Breach>) {
    if contact.channel == ContactChannel::Letter {
        return;
    }
    let at = contact.occurred_at;
    if account.flag_in_force(AccountFlag::CeaseContact, at) {
        breaches.push(Breach::simple(
            Rule::ContactAfterCease,
            "contact after the debtor asked to cease contact".into(),
        ));
    }
    if account.flag_in_force(AccountFlag::Disputed, at) {
        breaches.push(Breach::simple(
            Rule::ContactWhileDisputed,
            "contact while the debt is disputed".into(),
        ));
    }
    if account.flag_in_force(AccountFlag::Bankruptcy, at) {
        breaches.push(Breach::simple(
            Rule::ContactInBankruptcy,
            "contact with a debtor in bankruptcy".into(),
        ));
    }
    if account.flag_in_force(AccountFlag::Deceased, at) {
        breaches.push(Breach::simple(
            Rule::ContactDeceased,
            "contact on the account of a deceased debtor".into(),
        ));
    }
}

/// Calls, texts, e-mails and visits only within the permitted hours of the debtor's
/// local time, counted from the time zone's rules on that very day.
fn hours_rule(contact: &Contact, account: &AccountState, breaches: &mut Vec<Breach>) {
    if contact.channel == ContactChannel::Letter {
        return;
    }
    let local = contact.occurred_at.with_timezone(&account.time_zone);
    let time = local.time();
    let too_early = account
        .policy
        .permitted_from
        .is_some_and(|from| time < from.0);
    let too_late = account
        .policy
        .permitted_until
        .is_some_and(|until| time >= until.0);
    if too_early || too_late {
        breaches.push(Breach::simple(
            Rule::ContactHours,
            format!(
                "contact at {} debtor local time ({}), outside the permitted hours {}–{}",
                local.format("%H:%M"),
                account.time_zone,
                account
                    .policy
                    .permitted_from
                    .map_or("00:00".into(), |t| t.to_string()),
                account
                    .policy
                    .permitted_until
                    .map_or("24:00".into(), |t| t.to_string()),
            ),
        ));
    }
}

fn count_breach(rule: Rule, what: &str, related: Vec<Counted>, limit: u32) -> Option<Breach> {
    let measured = u32::try_from(related.len() + 1).unwrap_or(u32::MAX);
    (measured > limit).then(|| Breach {
        rule,
        summary: format!("{what}: this is number {measured}, the limit is {limit}"),
        measured: Some(measured),
        limit: Some(limit),
        related,
    })
}

fn call_rules(
    contact: &Contact,
    account: &AccountState,
    history: &History,
    breaches: &mut Vec<Breach>,
) {
    let at = contact.occurred_at;
    let policy = &account.policy;
    if let Some(limit) = policy.max_calls_per_7_days {
        let calls = busiest_week(
            at,
            history
                .of_account(contact.account_id)
                .filter(|c| c.outbound_call()),
        );
        breaches.extend(count_breach(
            Rule::WeeklyCallCap,
            "calls to this account in 7 days",
            calls,
            limit,
        ));
    }
    if let Some(days) = policy.quiet_days_after_conversation {
        let since = at - Duration::days(i64::from(days));
        let conversations: Vec<Counted> = history
            .of_account(contact.account_id)
            .filter(|c| c.conversation() && c.occurred_at >= since && c.occurred_at < at)
            .map(Counted::from)
            .collect();
        if !conversations.is_empty() {
            breaches.push(Breach {
                rule: Rule::QuietPeriodAfterConversation,
                summary: format!("call within {days} days after a conversation with the debtor"),
                measured: None,
                limit: Some(days),
                related: conversations,
            });
        }
    }
    // The whole local day counts, also calls reported earlier that happened later.
    let day = account.local_date(at);
    let same_day = |c: &&Contact| c.outbound_call() && account.local_date(c.occurred_at) == day;
    if let Some(limit) = policy.max_effective_calls_per_day
        && contact.connected()
    {
        let calls = history
            .of_debtor(&contact.debtor)
            .filter(same_day)
            .filter(|c| c.connected())
            .map(Counted::from)
            .collect();
        breaches.extend(count_breach(
            Rule::DailyEffectiveCallCap,
            "connected calls to this debtor today, all agencies together",
            calls,
            limit,
        ));
    }
    if let (Some(limit), Some(number)) = (
        policy.max_unanswered_calls_per_number_per_day,
        contact.contact_point.as_deref(),
    ) && contact.unanswered()
    {
        let calls = history
            .of_number(number)
            .filter(same_day)
            .filter(|c| c.unanswered())
            .map(Counted::from)
            .collect();
        breaches.extend(count_breach(
            Rule::UnansweredCallsPerNumber,
            "unanswered calls to this number today",
            calls,
            limit,
        ));
    }
}

/// The other contacts of the busiest rolling 7 days (`(end − 7 days, end]`) that
/// include `at`. A report may arrive after later contacts were stored: every window
/// holding the new contact counts, not only the one ending at it.
fn busiest_week<'a>(
    at: DateTime<Utc>,
    contacts: impl Iterator<Item = &'a Contact>,
) -> Vec<Counted> {
    let week = Duration::days(7);
    let near: Vec<&Contact> = contacts
        .filter(|c| c.occurred_at > at - week && c.occurred_at < at + week)
        .collect();
    let ends =
        std::iter::once(at).chain(near.iter().map(|c| c.occurred_at).filter(|end| *end > at));
    ends.map(|end| {
        near.iter()
            .filter(|c| c.occurred_at > end - week && c.occurred_at <= end)
            .map(|c| Counted::from(*c))
            .collect::<Vec<_>>()
    })
    .max_by_key(Vec::len)
    .unwrap_or_default()
}

fn third_party_rules(
    contact: &Contact,
    account: &AccountState,
    history: &History,
    breaches: &mut Vec<Breach>,
) {
    let at = contact.occurred_at;
    let policy = &account.policy;
    if let Some(limit) = policy.max_third_party_contacts_per_7_days {
        let contacts = busiest_week(
            at,
            history
                .of_account(contact.account_id)
                .filter(|c| c.outbound() && c.result == ContactResult::ThirdParty),
        );
        breaches.extend(count_breach(
            Rule::ThirdPartyContactLimit,
            "third-party contacts on this account in 7 days",
            contacts,
            limit,
        ));
    }
    if let Some(days) = policy.third_party_only_if_unreached_days {
        let since = at - Duration::days(i64::from(days));
        let reached: Vec<Counted> = history
            .of_debtor(&contact.debtor)
            .filter(|c| {
                c.result == ContactResult::RightPartyContact
                    && c.occurred_at >= since
                    && c.occurred_at < at
            })
            .map(Counted::from)
            .collect();
        if !reached.is_empty() {
            breaches.push(Breach {
                rule: Rule::ThirdPartyWhileReachable,
                summary: format!(
                    "third party contacted although the debtor was reached within {days} days"
                ),
                measured: None,
                limit: Some(days),
                related: reached,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveTime, TimeZone};

    use super::*;
    use crate::domain::compliance::policy::LocalTime;

    fn hm(text: &str) -> Option<LocalTime> {
        Some(LocalTime(NaiveTime::parse_from_str(text, "%H:%M").unwrap()))
    }

    fn us() -> Policy {
        Policy {
            permitted_from: hm("08:00"),
            permitted_until: hm("21:00"),
            max_calls_per_7_days: Some(7),
            quiet_days_after_conversation: Some(7),
            max_effective_calls_per_day: None,
            max_unanswered_calls_per_number_per_day: None,
            max_third_party_contacts_per_7_days: Some(1),
            third_party_only_if_unreached_days: None,
        }
    }

    fn cn() -> Policy {
        Policy {
            permitted_from: hm("08:00"),
            permitted_until: hm("22:00"),
            max_calls_per_7_days: None,
            quiet_days_after_conversation: None,
            max_effective_calls_per_day: Some(3),
            max_unanswered_calls_per_number_per_day: Some(6),
            max_third_party_contacts_per_7_days: None,
            third_party_only_if_unreached_days: Some(30),
        }
    }

    fn account(policy: Policy, tz: Tz) -> AccountState {
        AccountState {
            time_zone: tz,
            policy,
            flags: Vec::new(),
            changes: Vec::new(),
        }
    }

    fn call(n: usize, at: DateTime<Utc>, result: ContactResult) -> Contact {
        Contact {
            reference: ContactRef::Reported(n),
            agency_id: 1,
            account_id: 1,
            debtor: "debtor".into(),
            channel: ContactChannel::Call,
            direction: Direction::Outbound,
            result,
            occurred_at: at,
            contact_point: Some("+15125550100".into()),
        }
    }

    fn rules(breaches: &[Breach]) -> Vec<Rule> {
        breaches.iter().map(|b| b.rule).collect()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn hours_end_at_21_00_local_exclusive() {
        let chicago = account(us(), chrono_tz::America::Chicago);
        // 2026-06-15 is CDT (UTC-5): 20:59 local = 01:59Z next day.
        let at_2059 = call(0, utc(2026, 6, 16, 1, 59), ContactResult::NoAnswer);
        let at_2100 = call(0, utc(2026, 6, 16, 2, 0), ContactResult::NoAnswer);
        let history = History::default();
        assert!(check(&at_2059, &chicago, &history).is_empty());
        assert_eq!(
            rules(&check(&at_2100, &chicago, &history)),
            [Rule::ContactHours]
        );
        let at_0759 = call(0, utc(2026, 6, 15, 12, 59), ContactResult::NoAnswer);
        let at_0800 = call(0, utc(2026, 6, 15, 13, 0), ContactResult::NoAnswer);
        assert_eq!(
            rules(&check(&at_0759, &chicago, &history)),
            [Rule::ContactHours]
        );
        assert!(check(&at_0800, &chicago, &history).is_empty());
    }

    #[test]
    fn hours_follow_daylight_saving_on_the_change_day() {
        let new_york = account(us(), chrono_tz::America::New_York);
        let history = History::default();
        // 2026-03-08: clocks go from 02:00 EST to 03:00 EDT. 12:30Z is 08:30 EDT (allowed);
        // at the winter offset it would be 07:30 (too early).
        let morning = call(0, utc(2026, 3, 8, 12, 30), ContactResult::NoAnswer);
        assert!(check(&morning, &new_york, &history).is_empty());
        // 11:30Z is 07:30 EDT: too early although it would be 06:30 EST either way.
        let early = call(0, utc(2026, 3, 8, 11, 30), ContactResult::NoAnswer);
        assert_eq!(
            rules(&check(&early, &new_york, &history)),
            [Rule::ContactHours]
        );
        // Evening of the change day: 00:59Z on the 9th is 20:59 EDT, 01:00Z is 21:00 EDT.
        let last = call(0, utc(2026, 3, 9, 0, 59), ContactResult::NoAnswer);
        let late = call(0, utc(2026, 3, 9, 1, 0), ContactResult::NoAnswer);
        assert!(check(&last, &new_york, &history).is_empty());
        assert_eq!(
            rules(&check(&late, &new_york, &history)),
            [Rule::ContactHours]
        );
    }

    #[test]
    fn the_eighth_call_in_seven_days_breaks_the_cap() {
        let state = account(us(), chrono_tz::America::Chicago);
        let mut history = History::default();
        let start = utc(2026, 6, 1, 15, 0);
        for n in 0..7 {
            let attempt = call(n, start + Duration::days(n as i64), ContactResult::NoAnswer);
            assert!(
                check(&attempt, &state, &history).is_empty(),
                "call {}",
                n + 1
            );
            history.push(attempt);
        }
        let eighth = call(
            7,
            start + Duration::hours(6 * 24 + 2),
            ContactResult::NoAnswer,
        );
        let breaches = check(&eighth, &state, &history);
        assert_eq!(rules(&breaches), [Rule::WeeklyCallCap]);
        assert_eq!(breaches[0].measured, Some(8));
        assert_eq!(breaches[0].related.len(), 7);
        // Seven days after the first call it has left the window.
        let later = call(8, start + Duration::days(7), ContactResult::NoAnswer);
        assert!(check(&later, &state, &history).is_empty());
    }

    #[test]
    fn a_call_reported_after_later_ones_counts_the_weeks_that_hold_it() {
        let state = account(us(), chrono_tz::America::Chicago);
        let mut history = History::default();
        // Seven calls on days 2..8 are stored; then a call made on day 1 arrives late.
        for n in 0..7 {
            history.push(call(
                n,
                utc(2026, 6, 2 + n as u32, 15, 0),
                ContactResult::NoAnswer,
            ));
        }
        let late = call(7, utc(2026, 6, 2, 14, 0), ContactResult::NoAnswer);
        let breaches = check(&late, &state, &history);
        assert_eq!(rules(&breaches), [Rule::WeeklyCallCap]);
        assert_eq!(breaches[0].measured, Some(8));
        // A week before the first stored call it is alone in its week.
        let early = call(8, utc(2026, 5, 26, 15, 0), ContactResult::NoAnswer);
        assert!(check(&early, &state, &history).is_empty());
    }

    #[test]
    fn a_late_report_of_an_earlier_call_counts_the_whole_local_day() {
        let shanghai = account(cn(), chrono_tz::Asia::Shanghai);
        let mut history = History::default();
        for n in 0..3 {
            let mut stored = call(n, utc(2026, 6, 1, 2 + n as u32, 0), ContactResult::Refused);
            stored.agency_id = 2;
            history.push(stored);
        }
        let earlier = call(3, utc(2026, 6, 1, 1, 0), ContactResult::RightPartyContact);
        let breaches = check(&earlier, &shanghai, &history);
        assert_eq!(rules(&breaches), [Rule::DailyEffectiveCallCap]);
        assert!(breaches[0].related.iter().all(|c| c.agency_id == 2));
    }

    #[test]
    fn no_call_within_seven_days_of_a_conversation() {
        let state = account(us(), chrono_tz::America::Chicago);
        let mut history = History::default();
        let talk = call(0, utc(2026, 6, 1, 15, 0), ContactResult::RightPartyContact);
        assert!(check(&talk, &state, &history).is_empty());
        history.push(talk);
        let soon = call(1, utc(2026, 6, 7, 15, 0), ContactResult::NoAnswer);
        assert_eq!(
            rules(&check(&soon, &state, &history)),
            [Rule::QuietPeriodAfterConversation]
        );
        let after = call(2, utc(2026, 6, 8, 15, 1), ContactResult::NoAnswer);
        assert!(check(&after, &state, &history).is_empty());
        // The debtor calling in is not a breach.
        let inbound = Contact {
            direction: Direction::Inbound,
            ..call(3, utc(2026, 6, 2, 15, 0), ContactResult::RightPartyContact)
        };
        assert!(check(&inbound, &state, &history).is_empty());
    }

    #[test]
    fn the_fourth_connected_call_of_a_debtor_in_a_local_day_breaks_the_joint_cap() {
        let shanghai = account(cn(), chrono_tz::Asia::Shanghai);
        let mut history = History::default();
        // Two accounts of one debtor, worked by different agencies: 09:00–12:00 local.
        for n in 0..3 {
            let mut attempt = call(n, utc(2026, 6, 1, 1 + n as u32, 0), ContactResult::Refused);
            attempt.account_id = 1 + (n as i64 % 2);
            assert!(
                check(&attempt, &shanghai, &history).is_empty(),
                "call {}",
                n + 1
            );
            history.push(attempt);
        }
        let mut fourth = call(3, utc(2026, 6, 1, 4, 0), ContactResult::RightPartyContact);
        fourth.account_id = 2;
        let breaches = check(&fourth, &shanghai, &history);
        assert_eq!(rules(&breaches), [Rule::DailyEffectiveCallCap]);
        assert_eq!(breaches[0].measured, Some(4));
        // 09:00 local the next day: a new day.
        let tomorrow = call(4, utc(2026, 6, 2, 1, 0), ContactResult::RightPartyContact);
        assert!(check(&tomorrow, &shanghai, &history).is_empty());
    }

    #[test]
    fn the_seventh_unanswered_call_to_a_number_in_a_day_is_low() {
        let shanghai = account(cn(), chrono_tz::Asia::Shanghai);
        let mut history = History::default();
        for n in 0..6 {
            let attempt = call(n, utc(2026, 6, 1, 1 + n as u32, 0), ContactResult::NoAnswer);
            assert!(check(&attempt, &shanghai, &history).is_empty());
            history.push(attempt);
        }
        let seventh = call(6, utc(2026, 6, 1, 8, 0), ContactResult::LeftMessage);
        let breaches = check(&seventh, &shanghai, &history);
        assert_eq!(rules(&breaches), [Rule::UnansweredCallsPerNumber]);
        assert_eq!(breaches[0].rule.severity(), Severity::Low);
    }

    #[test]
    fn cease_contact_applies_from_the_request_on() {
        let mut state = account(us(), chrono_tz::America::Chicago);
        state.flags = vec![AccountFlag::CeaseContact];
        state.changes = vec![FlagChange {
            flag: AccountFlag::CeaseContact,
            set: true,
            at: utc(2026, 6, 2, 15, 0),
        }];
        let history = History::default();
        let before = call(0, utc(2026, 6, 2, 14, 0), ContactResult::NoAnswer);
        let after = call(1, utc(2026, 6, 2, 16, 0), ContactResult::NoAnswer);
        assert!(check(&before, &state, &history).is_empty());
        let breaches = check(&after, &state, &history);
        assert_eq!(rules(&breaches), [Rule::ContactAfterCease]);
        assert_eq!(breaches[0].rule.severity(), Severity::High);
        let letter = Contact {
            channel: ContactChannel::Letter,
            ..after.clone()
        };
        assert!(check(&letter, &state, &history).is_empty());
        // A flag set without a recorded change (at intake) applies at every time.
        state.changes.clear();
        assert_eq!(
            rules(&check(&before, &state, &history)),
            [Rule::ContactAfterCease]
        );
    }

    #[test]
    fn a_dispute_counts_while_it_was_open_even_once_lifted() {
        let mut state = account(us(), chrono_tz::America::Chicago);
        let change = |set, day| FlagChange {
            flag: AccountFlag::Disputed,
            set,
            at: utc(2026, 6, day, 12, 0),
        };
        // Disputed on the 2nd, lifted on the 5th, disputed again on the 10th, and lifted
        // again: the account has no flag now.
        state.changes = vec![
            change(true, 2),
            change(false, 5),
            change(true, 10),
            change(false, 12),
        ];
        let history = History::default();
        let during = call(0, utc(2026, 6, 3, 15, 0), ContactResult::NoAnswer);
        let between = call(1, utc(2026, 6, 7, 15, 0), ContactResult::NoAnswer);
        let again = call(2, utc(2026, 6, 11, 15, 0), ContactResult::NoAnswer);
        assert_eq!(
            rules(&check(&during, &state, &history)),
            [Rule::ContactWhileDisputed]
        );
        assert!(check(&between, &state, &history).is_empty());
        assert_eq!(
            rules(&check(&again, &state, &history)),
            [Rule::ContactWhileDisputed]
        );
        // Lifted before any recorded set: it was in force until then.
        state.changes = vec![change(false, 5)];
        assert_eq!(
            rules(&check(&during, &state, &history)),
            [Rule::ContactWhileDisputed]
        );
        assert!(check(&between, &state, &history).is_empty());
    }

    #[test]
    fn disputed_bankrupt_and_deceased_accounts_are_not_contacted() {
        let mut state = account(us(), chrono_tz::America::Chicago);
        state.flags = vec![
            AccountFlag::Disputed,
            AccountFlag::Bankruptcy,
            AccountFlag::Deceased,
        ];
        let attempt = call(0, utc(2026, 6, 2, 16, 0), ContactResult::NoAnswer);
        assert_eq!(
            rules(&check(&attempt, &state, &History::default())),
            [
                Rule::ContactWhileDisputed,
                Rule::ContactInBankruptcy,
                Rule::ContactDeceased
            ]
        );
    }

    #[test]
    fn third_parties_are_limited_and_only_for_unreached_debtors() {
        let us_state = account(us(), chrono_tz::America::Chicago);
        let mut history = History::default();
        let first = call(0, utc(2026, 6, 2, 16, 0), ContactResult::ThirdParty);
        assert!(check(&first, &us_state, &history).is_empty());
        history.push(first);
        let second = call(1, utc(2026, 6, 3, 16, 0), ContactResult::ThirdParty);
        assert_eq!(
            rules(&check(&second, &us_state, &history)),
            [Rule::ThirdPartyContactLimit]
        );

        let shanghai = account(cn(), chrono_tz::Asia::Shanghai);
        let mut history = History::default();
        history.push(call(
            0,
            utc(2026, 6, 1, 2, 0),
            ContactResult::RightPartyContact,
        ));
        let third_party = call(1, utc(2026, 6, 20, 2, 0), ContactResult::ThirdParty);
        assert_eq!(
            rules(&check(&third_party, &shanghai, &history)),
            [Rule::ThirdPartyWhileReachable]
        );
        let much_later = call(2, utc(2026, 7, 2, 2, 0), ContactResult::ThirdParty);
        assert!(check(&much_later, &shanghai, &history).is_empty());
    }
}
