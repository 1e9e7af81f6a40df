//! The simulator drives a real server on a manual clock through a fortnight: the books
//! must balance, and the agency built to be the worst must be caught.

use agencyflow::simulate::{self, Options};
use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::helpers::{spawn_app, spawn_app_with};

fn options(days: u32, accounts: usize, agencies: usize) -> Options {
    Options {
        days,
        accounts,
        agencies,
        seed: 11,
        rate: None,
        progress: false,
        roster: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fortnight_keeps_the_books_straight_and_catches_the_worst_agency() {
    let app = spawn_app_with(|settings| {
        settings.clock.manual = true;
        settings.clock.start = Some("2026-09-16T12:00:00Z".into());
    })
    .await;
    let report = simulate::drive(
        app.url.clone(),
        app.admin_token.clone(),
        options(14, 2_000, 6),
    )
    .await
    .expect("the simulation runs");
    println!("{report}");

    assert_eq!(report.start, NaiveDate::from_ymd_opt(2026, 9, 17).unwrap());
    assert_eq!(report.end, NaiveDate::from_ymd_opt(2026, 9, 30).unwrap());
    for check in &report.checks {
        assert!(check.passed, "{check}\n{report}");
    }
    let worst = report
        .agencies
        .iter()
        .find(|a| a.built_worst)
        .expect("a worst agency");
    assert!(
        matches!(worst.status.as_str(), "PROBATION" | "SUSPENDED"),
        "the worst agency ends {}\n{report}",
        worst.status
    );
    assert!(worst.incidents[2] >= 3, "{report}");
    assert!(!worst.reassignments.is_empty(), "{report}");
    let best = &report.agencies[0];
    assert_eq!(best.status, "ACTIVE", "{report}");
    assert!(best.collected_minor > worst.collected_minor, "{report}");
    // The staff are people who signed in; the agencies' systems are integrations.
    let people = app
        .admin(
            "{ users(first: 50) { nodes { email role lastSignInAt } } integrations(first: 50) { nodes { name role agency { code } } } }",
            json!({}),
        )
        .await;
    let staff: Vec<&Value> = people.data()["users"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| {
            u["email"]
                .as_str()
                .is_some_and(|e| e.ends_with("@sim11.simulation.example"))
        })
        .collect();
    let roles: Vec<&str> = staff.iter().filter_map(|u| u["role"].as_str()).collect();
    assert_eq!(
        roles,
        ["VENDOR_MANAGER", "FINANCE", "FINANCE"],
        "{}",
        people.body
    );
    assert!(
        staff.iter().all(|u| !u["lastSignInAt"].is_null()),
        "{}",
        people.body
    );
    let systems = people.data()["integrations"]["nodes"].as_array().unwrap();
    assert_eq!(systems.len(), 6, "{}", people.body);
    assert!(
        systems
            .iter()
            .all(|i| i["role"] == "AGENCY" && i["agency"]["code"].is_string()),
        "{}",
        people.body
    );
    // Every check had something to check.
    assert!(report.ledger_entries > 100, "{report}");
    assert!(report.statements_closed >= 5, "{report}");
    assert!(
        report.agencies.iter().all(|a| a.accounts_placed > 0),
        "{report}"
    );
    assert!(
        report
            .agencies
            .iter()
            .filter(|a| a.commission_minor > 0)
            .count()
            >= 5,
        "{report}"
    );
}

#[tokio::test]
async fn a_service_on_the_system_clock_is_refused() {
    let app = spawn_app().await;
    let err = simulate::drive(app.url.clone(), app.admin_token.clone(), options(2, 100, 3))
        .await
        .err()
        .expect("a simulation needs a manual clock");
    assert!(err.to_string().contains("manual clock"), "{err:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_close_day_moves_the_simulated_close() {
    let app = spawn_app_with(|settings| {
        settings.clock.manual = true;
        settings.clock.start = Some("2026-09-23T12:00:00Z".into());
        settings.finance.close_day = 12;
    })
    .await;
    let report = simulate::drive(app.url.clone(), app.admin_token.clone(), options(7, 300, 3))
        .await
        .expect("the simulation runs");
    println!("{report}");
    assert_eq!(report.end, NaiveDate::from_ymd_opt(2026, 9, 30).unwrap());
    assert_eq!(report.close, NaiveDate::from_ymd_opt(2026, 10, 13).unwrap());
    assert!(report.statements_closed >= 1, "{report}");
    for check in &report.checks {
        assert!(check.passed, "{check}\n{report}");
    }
}
