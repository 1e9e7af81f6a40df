//! Contact-compliance policies per region, from configuration. An account's region
//! (`US-TX`) is matched by itself and by its country (`US`); where both are configured the
//! strictest value of each rule applies. A region with no policy gets the `default` one.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveTime;
use serde::{Deserialize, Deserializer};

/// A local time of day written `HH:MM`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocalTime(pub NaiveTime);

impl<'de> Deserialize<'de> for LocalTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        NaiveTime::parse_from_str(&text, "%H:%M")
            .map(LocalTime)
            .map_err(|_| serde::de::Error::custom(format!("'{text}' is not a time such as 08:00")))
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%H:%M"))
    }
}

/// The rules for one region. A rule left out (`None`) does not apply there.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Outbound calls, texts, e-mails and visits only from this local time of the debtor…
    pub permitted_from: Option<LocalTime>,
    /// …and strictly before this one.
    pub permitted_until: Option<LocalTime>,
    /// Outbound calls per account in any rolling 7 days.
    pub max_calls_per_7_days: Option<u32>,
    /// Days without outbound calls after a telephone conversation with the debtor.
    pub quiet_days_after_conversation: Option<u32>,
    /// Connected outbound calls per debtor per local day, counted across all agencies and
    /// all the debtor's accounts together.
    pub max_effective_calls_per_day: Option<u32>,
    /// Unanswered outbound calls to one number per local day.
    pub max_unanswered_calls_per_number_per_day: Option<u32>,
    /// Third-party contacts per account in any rolling 7 days.
    pub max_third_party_contacts_per_7_days: Option<u32>,
    /// Third parties may be contacted only when the debtor has not been reached in this
    /// many days.
    pub third_party_only_if_unreached_days: Option<u32>,
}

impl Policy {
    /// The strictest value of each rule of the two.
    pub fn strictest(&self, other: &Policy) -> Policy {
        Policy {
            permitted_from: later(self.permitted_from, other.permitted_from),
            permitted_until: earlier(self.permitted_until, other.permitted_until),
            max_calls_per_7_days: earlier(self.max_calls_per_7_days, other.max_calls_per_7_days),
            quiet_days_after_conversation: later(
                self.quiet_days_after_conversation,
                other.quiet_days_after_conversation,
            ),
            max_effective_calls_per_day: earlier(
                self.max_effective_calls_per_day,
                other.max_effective_calls_per_day,
            ),
            max_unanswered_calls_per_number_per_day: earlier(
                self.max_unanswered_calls_per_number_per_day,
                other.max_unanswered_calls_per_number_per_day,
            ),
            max_third_party_contacts_per_7_days: earlier(
                self.max_third_party_contacts_per_7_days,
                other.max_third_party_contacts_per_7_days,
            ),
            third_party_only_if_unreached_days: later(
                self.third_party_only_if_unreached_days,
                other.third_party_only_if_unreached_days,
            ),
        }
    }

    /// The longest look-back any rule of this policy needs, in days.
    pub fn lookback_days(&self) -> i64 {
        [
            Some(7),
            self.quiet_days_after_conversation,
            self.third_party_only_if_unreached_days,
        ]
        .into_iter()
        .flatten()
        .max()
        .map_or(7, i64::from)
    }
}

/// The smaller of two limits, where a missing one sets no limit.
fn earlier<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The larger of two values, where a missing one demands nothing.
fn later<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    a.max(b)
}

/// Every configured policy, by region code, with the `default` for the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policies {
    by_region: BTreeMap<String, Policy>,
    default: Policy,
}

impl Policies {
    /// Needs a `default` policy; every policy's hours must form a window. Region codes
    /// are matched without regard to case.
    pub fn new(by_region: BTreeMap<String, Policy>) -> Result<Self, String> {
        let mut by_region: BTreeMap<String, Policy> = by_region
            .into_iter()
            .map(|(region, policy)| {
                let key = if region.eq_ignore_ascii_case("default") {
                    "default".to_owned()
                } else {
                    region.to_ascii_uppercase()
                };
                (key, policy)
            })
            .collect();
        let default = by_region
            .remove("default")
            .ok_or("compliance.policies needs a `default` policy for unlisted regions")?;
        for (region, policy) in by_region.iter().chain([(&"default".to_owned(), &default)]) {
            if let (Some(from), Some(until)) = (policy.permitted_from, policy.permitted_until)
                && from >= until
            {
                return Err(format!(
                    "compliance.policies.{region}: permitted_from {from} must be before permitted_until {until}"
                ));
            }
        }
        Ok(Self { by_region, default })
    }

    /// The policy for an account's region: the strictest of the region's own and its
    /// country's, or the default when neither is configured. `GB` and `UK` are one country.
    pub fn for_region(&self, region: &str) -> Policy {
        let country = region.split('-').next().unwrap_or(region);
        let countries: &[&str] = match country {
            "GB" | "UK" => &["GB", "UK"],
            _ => &[country],
        };
        let subdivision = (region != country).then_some(region);
        countries
            .iter()
            .copied()
            .chain(subdivision)
            .filter_map(|key| self.by_region.get(key))
            .fold(None::<Policy>, |acc, policy| {
                Some(acc.map_or_else(|| policy.clone(), |acc| acc.strictest(policy)))
            })
            .unwrap_or_else(|| self.default.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(text: &str) -> Option<LocalTime> {
        Some(LocalTime(NaiveTime::parse_from_str(text, "%H:%M").unwrap()))
    }

    fn us() -> Policy {
        Policy {
            permitted_from: time("08:00"),
            permitted_until: time("21:00"),
            max_calls_per_7_days: Some(7),
            quiet_days_after_conversation: Some(7),
            max_effective_calls_per_day: None,
            max_unanswered_calls_per_number_per_day: None,
            max_third_party_contacts_per_7_days: Some(1),
            third_party_only_if_unreached_days: None,
        }
    }

    fn massachusetts() -> Policy {
        Policy {
            permitted_from: time("08:00"),
            permitted_until: time("20:00"),
            max_calls_per_7_days: Some(2),
            quiet_days_after_conversation: None,
            max_effective_calls_per_day: Some(3),
            max_unanswered_calls_per_number_per_day: None,
            max_third_party_contacts_per_7_days: None,
            third_party_only_if_unreached_days: None,
        }
    }

    fn policies() -> Policies {
        let mut by_region = BTreeMap::new();
        by_region.insert("US".to_owned(), us());
        by_region.insert("US-MA".to_owned(), massachusetts());
        by_region.insert(
            "UK".to_owned(),
            Policy {
                max_calls_per_7_days: Some(5),
                ..us()
            },
        );
        by_region.insert(
            "default".to_owned(),
            Policy {
                permitted_until: time("20:00"),
                ..us()
            },
        );
        Policies::new(by_region).unwrap()
    }

    #[test]
    fn a_subdivision_adds_its_stricter_rules_to_its_country() {
        let policy = policies().for_region("US-MA");
        assert_eq!(policy.permitted_until, time("20:00"));
        assert_eq!(policy.max_calls_per_7_days, Some(2));
        assert_eq!(policy.quiet_days_after_conversation, Some(7));
        assert_eq!(policy.max_effective_calls_per_day, Some(3));
        assert_eq!(policy.max_third_party_contacts_per_7_days, Some(1));
    }

    #[test]
    fn regions_fall_back_to_their_country_then_to_the_default() {
        let policies = policies();
        assert_eq!(policies.for_region("US-TX"), us());
        assert_eq!(policies.for_region("US"), us());
        assert_eq!(policies.for_region("GB").max_calls_per_7_days, Some(5));
        assert_eq!(policies.for_region("FR").permitted_until, time("20:00"));
    }

    #[test]
    fn strictest_is_symmetric_and_keeps_missing_limits_open() {
        let (a, b) = (us(), massachusetts());
        assert_eq!(a.strictest(&b), b.strictest(&a));
        let open = Policy {
            max_calls_per_7_days: None,
            ..us()
        };
        assert_eq!(open.strictest(&open).max_calls_per_7_days, None);
    }

    #[test]
    fn configuration_needs_a_default_and_sane_hours() {
        assert!(Policies::new(BTreeMap::new()).is_err());
        let mut by_region = BTreeMap::new();
        by_region.insert(
            "default".to_owned(),
            Policy {
                permitted_from: time("21:00"),
                permitted_until: time("08:00"),
                ..us()
            },
        );
        assert!(Policies::new(by_region).unwrap_err().contains("default"));
    }

    #[test]
    fn look_back_covers_the_longest_window() {
        let mut by_region = BTreeMap::new();
        by_region.insert(
            "default".to_owned(),
            Policy {
                third_party_only_if_unreached_days: Some(30),
                ..us()
            },
        );
        let policies = Policies::new(by_region).unwrap();
        assert_eq!(policies.for_region("FR").lookback_days(), 30);
        assert_eq!(us().lookback_days(), 7);
    }
}
