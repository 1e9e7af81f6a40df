//! The simulated world, generated from the seed: agencies with hidden qualities the
//! service has to discover, and the lender's delinquent accounts with debtors who pay,
//! promise, dispute or ask to be left alone.

use chrono::{Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What the service cannot see about an agency: how well it collects and behaves.
#[derive(Clone, Debug)]
pub struct Persona {
    pub code: String,
    pub name: String,
    /// In words, for the summary: what it was built to be.
    pub profile: String,
    /// Share of its workable accounts it tries each day.
    pub diligence: f64,
    /// Chance that an attempt reaches the debtor.
    pub reach: f64,
    /// Chance that a conversation ends in a promise to pay.
    pub persuasion: f64,
    /// Chance that an attempt ignores the contact rules (night calls, flagged accounts,
    /// the quiet period).
    pub rule_breaking: f64,
    /// Days its system holds reports back.
    pub report_lag_days: i64,
    /// Share of the payments it collects that it never reports.
    pub unreported: f64,
    /// Remits net of its commission instead of gross.
    pub remits_net: bool,
}

impl Persona {
    /// The agency built to be the worst: the last one.
    pub fn is_worst(index: usize, count: usize) -> bool {
        index + 1 == count
    }
}

/// Who the agencies are and what the world is called: the simulator's own (`SIM<seed>`)
/// unless a caller (the demo) brings its own.
#[derive(Clone, Debug)]
pub struct Roster {
    /// The portfolio's code, and the prefix of its account references and strategy codes.
    pub prefix: String,
    /// The portfolio's name.
    pub book: String,
    /// The agencies' codes and legal names, from the best to the worst.
    pub agencies: Vec<(String, String)>,
    /// Chance that an attempt of the worst agency ignores the contact rules.
    pub reckless: f64,
}

impl Roster {
    /// The simulator's own world: `count` agencies coded `SIM<seed>-01` onwards.
    pub fn simulated(seed: u64, count: usize) -> Self {
        Self {
            prefix: format!("SIM{seed}"),
            book: format!("Simulated card book (seed {seed})"),
            agencies: (0..count)
                .map(|i| {
                    (
                        format!("SIM{seed}-{:02}", i + 1),
                        format!("{} Recoveries {}", NAMES[i % NAMES.len()], i + 1),
                    )
                })
                .collect(),
            reckless: 0.35,
        }
    }
}

/// The roster's agencies from the best (first) to the worst (last), with some jitter.
pub fn personas(seed: u64, roster: &Roster) -> Vec<Persona> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xA6E7C1E5);
    let count = roster.agencies.len();
    roster
        .agencies
        .iter()
        .enumerate()
        .map(|(i, (code, name))| {
            let quality = 1.0 - 0.7 * i as f64 / (count.max(2) - 1) as f64;
            let jitter = |rng: &mut ChaCha8Rng, value: f64| {
                (value + rng.random_range(-0.03..=0.03)).clamp(0.01, 0.99)
            };
            let worst = Persona::is_worst(i, count);
            let late = worst || i % 4 == 3;
            let under_reports = worst || i % 5 == 4;
            let net = i % 3 == 2;
            let mut traits = vec![match quality {
                q if q > 0.85 => "strong collector",
                q if q > 0.6 => "steady collector",
                q if q > 0.45 => "average collector",
                _ => "weak collector",
            }];
            if late {
                traits.push("reports late");
            }
            if under_reports {
                traits.push("leaves payments unreported");
            }
            if worst {
                traits.push("breaks contact rules");
            }
            if net {
                traits.push("remits net of its fee");
            }
            Persona {
                code: code.clone(),
                name: name.clone(),
                profile: traits.join(", "),
                diligence: jitter(&mut rng, 0.25 + 0.45 * quality),
                reach: jitter(&mut rng, 0.15 + 0.3 * quality),
                persuasion: jitter(&mut rng, 0.12 + 0.3 * quality),
                rule_breaking: if worst { roster.reckless } else { 0.0 },
                report_lag_days: if worst {
                    2
                } else if late {
                    1
                } else {
                    0
                },
                unreported: if worst {
                    0.1
                } else if under_reports {
                    0.15
                } else {
                    0.0
                },
                remits_net: net,
            }
        })
        .collect()
}

const NAMES: [&str; 12] = [
    "Northwind",
    "Bluestone",
    "Harbor",
    "Summit",
    "Cedar",
    "Granite",
    "Lakeside",
    "Pioneer",
    "Redwood",
    "Ironbridge",
    "Meadow",
    "Copperline",
];

/// The commission plan's rates by DPD bucket at placement (the service's default buckets:
/// name, first day past due, rate in basis points), within DOMAIN's typical ranges. NET
/// agencies withhold the same rate from what they remit.
pub const TIERS: [(&str, i64, u32); 5] = [
    ("M1", 1, 1_500),
    ("M2", 31, 2_000),
    ("M3", 61, 2_000),
    ("M4-6", 91, 2_800),
    ("WRITE_OFF", 181, 3_500),
];

/// The rate of a second placement, whatever the debt's age (DOMAIN: 25–35%).
pub const SECONDARY_RATE_BP: u32 = 3_000;

/// The rate of a placement at `level` of an account `dpd` days past due at placement.
pub fn rate_bp(level: &str, dpd: i64) -> u32 {
    if level == "SECONDARY" {
        return SECONDARY_RATE_BP;
    }
    TIERS
        .iter()
        .rev()
        .find(|(_, first, _)| dpd >= *first)
        .map_or(TIERS[0].2, |(_, _, rate)| *rate)
}

/// Where debtors live: region code, time zone, area code.
pub const REGIONS: [(&str, &str, u32); 4] = [
    ("US-TX", "America/Chicago", 512),
    ("US-CA", "America/Los_Angeles", 415),
    ("US-NY", "America/New_York", 212),
    ("US-FL", "America/New_York", 305),
];

/// A delinquent account and its debtor's hidden disposition.
#[derive(Clone, Debug)]
pub struct Debtor {
    pub reference: String,
    pub name: String,
    pub region: &'static str,
    pub time_zone: &'static str,
    pub phone: String,
    pub balance_minor: i64,
    pub delinquency_start: NaiveDate,
    pub flags: Vec<&'static str>,
    /// Chance of keeping a promise.
    pub willingness: f64,
    /// Chance that a kept promise is paid to the lender directly, not to the agency.
    pub pays_lender_direct: f64,
}

/// The portfolio's accounts, delinquent as of `start`, referenced `<prefix>-000001` onwards.
pub fn debtors(seed: u64, prefix: &str, count: usize, start: NaiveDate) -> Vec<Debtor> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xDEB7_0125);
    (0..count)
        .map(|i| {
            let (region, time_zone, area) = REGIONS[rng.random_range(0..REGIONS.len())];
            let dpd = match rng.random_range(0..10) {
                0..=5 => rng.random_range(10..=90),
                6..=8 => rng.random_range(91..=180),
                _ => rng.random_range(181..=540),
            };
            let balance_minor = rng.random_range(15_000..=1_200_000_i64); // 150.00 to 12,000.00
            let roll: f64 = rng.random();
            let flags = if roll < 0.04 {
                vec!["DISPUTED"]
            } else if roll < 0.06 {
                vec!["CEASE_CONTACT"]
            } else if roll < 0.065 {
                vec!["BANKRUPTCY"]
            } else {
                Vec::new()
            };
            Debtor {
                reference: format!("{prefix}-{:06}", i + 1),
                name: format!("Debtor {}", i + 1),
                region,
                time_zone,
                phone: format!("+1{area}55{:05}", i % 100_000),
                balance_minor,
                delinquency_start: start - Duration::days(dpd),
                flags,
                willingness: rng.random_range(0.2..1.0),
                pays_lender_direct: 0.15,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_builds_the_same_world() {
        let start = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let a = debtors(7, "SIM7", 50, start);
        let b = debtors(7, "SIM7", 50, start);
        assert!(
            a.iter()
                .zip(&b)
                .all(|(a, b)| a.balance_minor == b.balance_minor && a.flags == b.flags)
        );
        assert_ne!(
            debtors(8, "SIM8", 50, start)
                .iter()
                .map(|d| d.balance_minor)
                .collect::<Vec<_>>(),
            a.iter().map(|d| d.balance_minor).collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_rate_follows_the_dpd_bucket() {
        assert_eq!(rate_bp("PRIMARY", 0), 1_500);
        assert_eq!(rate_bp("PRIMARY", 30), 1_500);
        assert_eq!(rate_bp("PRIMARY", 31), 2_000);
        assert_eq!(rate_bp("PRIMARY", 180), 2_800);
        assert_eq!(rate_bp("PRIMARY", 181), 3_500);
        assert_eq!(rate_bp("SECONDARY", 31), 3_000);
    }

    #[test]
    fn agencies_run_from_the_best_to_one_built_to_be_worst() {
        let agencies = personas(7, &Roster::simulated(7, 12));
        let worst = agencies.last().unwrap();
        assert!(worst.rule_breaking > 0.0 && worst.report_lag_days > 0);
        assert!(worst.profile.contains("breaks contact rules"));
        assert!(agencies[0].diligence > worst.diligence);
        assert!(agencies[0].persuasion > worst.persuasion);
        assert!(agencies[..11].iter().all(|a| a.rule_breaking == 0.0));
        assert_eq!(agencies.iter().filter(|a| a.remits_net).count(), 4);
    }
}
