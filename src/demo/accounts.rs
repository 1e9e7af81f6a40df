//! Believable demo accounts: debtors in several regions and time zones, spread over
//! DPD buckets, products and balances. Deterministic for a given seed and date.

use chrono::{Duration, NaiveDate};
use entity::account::{AccountFlag, Product};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

pub struct DemoPortfolio {
    pub code: &'static str,
    pub name: &'static str,
    pub currency: &'static str,
    pub accounts: usize,
    /// (region, IANA time zone, phone country code)
    pub regions: &'static [(&'static str, &'static str, &'static str)],
    pub products: &'static [Product],
    /// Typical principal range in whole currency units.
    pub principal: (i64, i64),
}

/// A US card book: the benchmarks' template (the demo's US book is the simulated one).
pub const US_CARDS: DemoPortfolio = DemoPortfolio {
    code: "US-CARDS-2026Q3",
    name: "US credit cards, Q3 2026 delinquencies",
    currency: "USD",
    accounts: 2000,
    regions: &[
        ("US-CA", "America/Los_Angeles", "+1"),
        ("US-TX", "America/Chicago", "+1"),
        ("US-NY", "America/New_York", "+1"),
        ("US-FL", "America/New_York", "+1"),
    ],
    products: &[Product::Card, Product::Card, Product::Bnpl, Product::Auto],
    principal: (300, 25_000),
};

/// The books that arrived this month and wait for their first allocation.
pub const PORTFOLIOS: &[DemoPortfolio] = &[
    DemoPortfolio {
        code: "UK-LOANS-2026",
        name: "UK instalment loans, 2026",
        currency: "GBP",
        accounts: 1200,
        regions: &[("UK", "Europe/London", "+44")],
        products: &[
            Product::InstalmentLoan,
            Product::InstalmentLoan,
            Product::Card,
        ],
        principal: (500, 15_000),
    },
    DemoPortfolio {
        code: "CN-BNPL-2026H2",
        name: "China consumer BNPL, H2 2026",
        currency: "CNY",
        accounts: 1000,
        regions: &[
            ("CN-31", "Asia/Shanghai", "+86"),
            ("CN-44", "Asia/Shanghai", "+86"),
        ],
        products: &[Product::Bnpl, Product::Bnpl, Product::Other],
        principal: (1_000, 60_000),
    },
];

pub struct DemoAccount {
    pub lender_reference: String,
    pub debtor_name: String,
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub national_id_last4: String,
    pub region: &'static str,
    pub time_zone: &'static str,
    pub product: Product,
    pub principal_minor: i64,
    pub outstanding_minor: i64,
    pub delinquency_start: NaiveDate,
    pub charge_off_date: Option<NaiveDate>,
    pub flags: Vec<AccountFlag>,
}

const FIRST_NAMES: &[&str] = &[
    "James", "Maria", "Robert", "Linda", "Michael", "Patricia", "David", "Jennifer", "Daniel",
    "Aisha", "Oliver", "Amelia", "Harry", "Isla", "Wei", "Fang", "Jun", "Li", "Mei", "Hao",
];
const LAST_NAMES: &[&str] = &[
    "Smith", "Johnson", "Garcia", "Brown", "Davis", "Martinez", "Wilson", "Taylor", "Evans",
    "Hughes", "Patel", "Wang", "Zhang", "Liu", "Chen", "Huang", "Zhao", "Okafor", "Nguyen", "Kim",
];

/// Days past due, weighted like a real collections book: many early, a long tail.
fn days_past_due(rng: &mut ChaCha8Rng) -> i64 {
    match rng.random_range(0..100) {
        0..35 => rng.random_range(1..=30),
        35..55 => rng.random_range(31..=60),
        55..70 => rng.random_range(61..=90),
        70..88 => rng.random_range(91..=180),
        _ => rng.random_range(181..=720),
    }
}

fn flags(rng: &mut ChaCha8Rng) -> Vec<AccountFlag> {
    let roll = rng.random_range(0..1000);
    match roll {
        0..30 => vec![AccountFlag::Disputed],
        30..40 => vec![AccountFlag::CeaseContact],
        40..45 => vec![AccountFlag::Bankruptcy],
        45..48 => vec![AccountFlag::Deceased],
        48..70 => vec![AccountFlag::Vulnerable],
        _ => Vec::new(),
    }
}

/// The `index`-th account of `portfolio`. Amounts are drawn in minor units.
pub fn generate(
    portfolio: &DemoPortfolio,
    index: usize,
    today: NaiveDate,
    rng: &mut ChaCha8Rng,
) -> DemoAccount {
    let &(region, time_zone, country_code) = portfolio.regions.choose(rng).expect("regions listed");
    let first = FIRST_NAMES.choose(rng).expect("names listed");
    let last = LAST_NAMES.choose(rng).expect("names listed");
    let dpd = days_past_due(rng);
    let delinquency_start = today - Duration::days(dpd);
    let principal_minor = rng.random_range(portfolio.principal.0..=portfolio.principal.1) * 100
        + rng.random_range(0..100);
    // Interest and fees accrue, part-payments reduce: 40% to 120% of principal remains.
    let outstanding_minor = principal_minor * rng.random_range(40..=120) / 100;
    let phones = (0..rng.random_range(1..=2))
        .map(|_| {
            format!(
                "{country_code}{}",
                rng.random_range(2_000_000_000_u64..9_999_999_999)
            )
        })
        .collect();
    let email = rng.random_ratio(7, 10).then(|| {
        format!(
            "{}.{}{}@example.com",
            first.to_lowercase(),
            last.to_lowercase(),
            index
        )
    });
    DemoAccount {
        lender_reference: format!("{}-{:06}", portfolio.code, index + 1),
        debtor_name: format!("{first} {last}"),
        phones,
        email,
        national_id_last4: format!("{:04}", rng.random_range(0..10_000)),
        region,
        time_zone,
        product: *portfolio.products.choose(rng).expect("products listed"),
        principal_minor,
        outstanding_minor,
        delinquency_start,
        charge_off_date: (dpd > 180).then(|| delinquency_start + Duration::days(180)),
        flags: flags(rng),
    }
}
