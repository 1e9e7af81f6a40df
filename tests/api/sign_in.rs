//! Signing in with a browser: the session cookie, rotation, sign-out, timeouts, the
//! same-origin rule for cookie-authenticated requests, and throttling that never says
//! whether an e-mail exists.

use std::sync::Arc;

use agencyflow_graphql::domain::clock::{Clock, ManualClock};
use chrono::{Duration, TimeZone, Utc};
use reqwest::header::{LOCATION, ORIGIN, RETRY_AFTER, SET_COOKIE};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::people::{
    as_session, browser, make_person, session_cookie, sign_in, sign_in_from, signed_in, with_cookie,
};

const WHO: &str = "{ me { role via sessionId user { email displayName } } }";
const EVENTS: &str = r#"
query Events($filter: AuditEventsFilter) {
  auditEvents(filter: $filter, first: 50) { edges { node { action actor actorVia entityType entityId after } } }
}"#;

async fn audit(app: &TestApp, action: &str) -> Vec<serde_json::Value> {
    let events = app
        .admin(EVENTS, json!({ "filter": { "action": action } }))
        .await;
    events.data()["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

#[tokio::test]
async fn a_person_signs_in_and_calls_graphql_with_the_session_cookie() {
    let app = spawn_app().await;
    let person = make_person(&app, "VENDOR_MANAGER", None).await;

    let response = sign_in(&app, &person.email.to_uppercase(), &person.password, None).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()[LOCATION], "/");
    let set = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    for part in [
        "agencyflow_session=afs_",
        "HttpOnly",
        "SameSite=Lax",
        "Path=/",
    ] {
        assert!(set.contains(part), "{set} lacks {part}");
    }
    assert!(!set.contains("Secure"), "plain http on localhost: {set}");
    let cookie = session_cookie(&response).unwrap();

    let me = as_session(&app, &cookie, WHO, json!({})).await;
    let me = &me.data()["me"];
    assert_eq!(me["role"], "VENDOR_MANAGER");
    assert_eq!(me["via"], "SESSION");
    assert_eq!(me["user"]["email"], person.email);

    // The signed-in home page says who, and GET needs no Origin.
    let home = browser()
        .get(format!("{}/", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
    let csp = home.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(home.text().await.unwrap().contains("A VENDOR_MANAGER"));

    let signed = audit(&app, "session.sign_in").await;
    assert_eq!(signed.len(), 1);
    assert_eq!(signed[0]["actor"], format!("user:{}", person.id));
    assert_eq!(
        signed[0]["actorVia"],
        format!("session:{}", me["sessionId"].as_str().unwrap())
    );
    assert_eq!(signed[0]["after"]["factors"], "password");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_are_refused_alike() {
    let app = spawn_app().await;
    let person = make_person(&app, "FINANCE", None).await;
    let wrong = sign_in(&app, &person.email, "not the password at all", None).await;
    assert_eq!(wrong.status(), 401);
    assert!(session_cookie(&wrong).is_none());
    let wrong = wrong.text().await.unwrap().replace(&person.email, "EMAIL");
    let unknown_email = "nobody@lender.test";
    let unknown = sign_in(&app, unknown_email, "not the password at all", None).await;
    assert_eq!(unknown.status(), 401);
    let unknown = unknown
        .text()
        .await
        .unwrap()
        .replace(unknown_email, "EMAIL");
    assert_eq!(
        wrong, unknown,
        "the page never tells whether the e-mail exists"
    );
    assert!(wrong.contains("The e-mail, password or code is not right."));
    assert!(
        !wrong.contains("not the password"),
        "the password is never echoed"
    );

    let failed = audit(&app, "session.sign_in_failed").await;
    assert_eq!(failed.len(), 2);
    assert!(
        failed
            .iter()
            .any(|e| e["entityType"] == "user" && e["entityId"] == person.id)
    );
    assert!(
        failed
            .iter()
            .any(|e| e["entityType"] == "sign_in" && e["entityId"] == unknown_email)
    );
    assert!(
        !failed
            .iter()
            .any(|e| e.to_string().contains("not the password"))
    );
}

#[tokio::test]
async fn the_session_id_is_rotated_at_sign_in_and_sign_out_ends_it() {
    let app = spawn_app().await;
    let person = make_person(&app, "AUDITOR", None).await;
    let first = signed_in(&app, &person).await;
    let again = sign_in_from(
        &app,
        None,
        &person.email,
        &person.password,
        None,
        Some(&first),
    )
    .await;
    assert_eq!(again.status(), 303);
    let second = session_cookie(&again).unwrap();
    assert_ne!(first, second);
    assert_eq!(
        as_session(&app, &first, WHO, json!({})).await.code(),
        Some("UNAUTHENTICATED"),
        "the browser's earlier session ended at the new sign-in"
    );
    as_session(&app, &second, WHO, json!({})).await.data();

    let cross_site = browser()
        .post(format!("{}/sign-out", app.base))
        .header("cookie", &second)
        .header(ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    as_session(&app, &second, WHO, json!({})).await.data();

    let out = browser()
        .post(format!("{}/sign-out", app.base))
        .header("cookie", &second)
        .header(ORIGIN, &app.base)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(out.headers()[LOCATION], "/sign-in");
    assert!(
        out.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        as_session(&app, &second, WHO, json!({})).await.code(),
        Some("UNAUTHENTICATED")
    );
    let ended = audit(&app, "session.end").await;
    let reasons: Vec<_> = ended
        .iter()
        .map(|e| e["after"]["endReason"].clone())
        .collect();
    assert!(
        reasons.contains(&json!("ROTATED")) && reasons.contains(&json!("SIGNED_OUT")),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn a_cross_site_request_with_a_valid_session_cookie_is_refused() {
    let app = spawn_app().await;
    let person = make_person(&app, "VENDOR_MANAGER", None).await;
    let cookie = signed_in(&app, &person).await;
    let mutation = r#"mutation { createPortfolio(input: { code: "CSRF", name: "forged", currency: "USD" }) { id } }"#;
    let host = app.base.trim_start_matches("http://").to_owned();
    for headers in [
        vec![("origin", "https://evil.example")],
        vec![
            ("sec-fetch-site", "cross-site"),
            ("origin", app.base.as_str()),
        ],
        vec![("sec-fetch-site", "same-site")],
        vec![("origin", "null")],
        vec![],
    ] {
        let refused = with_cookie(&app, &cookie, &headers, mutation, json!({})).await;
        assert_eq!(refused.status, 403, "{headers:?}: {}", refused.body);
        assert_eq!(refused.code(), Some("FORBIDDEN"), "{headers:?}");
    }
    let portfolios = app
        .admin("{ portfolios { edges { node { code } } } }", json!({}))
        .await;
    assert!(
        !portfolios.body.to_string().contains("CSRF"),
        "nothing was created"
    );

    let same_origin = with_cookie(
        &app,
        &cookie,
        &[("sec-fetch-site", "same-origin")],
        mutation,
        json!({}),
    )
    .await;
    same_origin.data();
    let by_host = with_cookie(
        &app,
        &cookie,
        &[("origin", &app.base), ("host", &host)],
        r#"mutation { createPortfolio(input: { code: "OWN", name: "own", currency: "USD" }) { id } }"#,
        json!({}),
    )
    .await;
    by_host.data();
}

#[tokio::test]
async fn a_session_ends_when_idle_and_at_its_absolute_lifetime() {
    let start = Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let app = crate::helpers::spawn_app_after_on(clock.clone(), async |_, _| {}).await;
    let person = make_person(&app, "AUDITOR", None).await;
    let cookie = signed_in(&app, &person).await;
    let at = |minutes: i64| start + Duration::minutes(minutes);

    // Each request within 30 minutes of the last keeps it alive, up to 12 hours.
    let mut minutes = 0;
    while minutes + 25 < 12 * 60 {
        minutes += 25;
        clock.advance_to(at(minutes)).unwrap();
        as_session(&app, &cookie, WHO, json!({})).await.data();
    }
    clock.advance_to(at(12 * 60)).unwrap();
    assert_eq!(
        as_session(&app, &cookie, WHO, json!({})).await.code(),
        Some("UNAUTHENTICATED"),
        "12 hours after sign-in, however active"
    );

    let idle = signed_in(&app, &person).await;
    clock.advance_to(at(12 * 60 + 29)).unwrap();
    as_session(&app, &idle, WHO, json!({})).await.data();
    clock.advance_to(at(12 * 60 + 29 + 31)).unwrap();
    assert_eq!(
        as_session(&app, &idle, WHO, json!({})).await.code(),
        Some("UNAUTHENTICATED"),
        "31 minutes without a request"
    );
    assert_eq!(clock.now(), at(12 * 60 + 60));
}

/// Attempts from `address` (the app trusts x-forwarded-for in these tests).
async fn attempt(app: &TestApp, address: &str, email: &str, password: &str) -> reqwest::Response {
    sign_in_from(app, Some(address), email, password, None, None).await
}

#[tokio::test]
async fn failed_sign_ins_back_off_per_email_doubling_each_time() {
    let start = Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let app = crate::helpers::spawn_app_after_on_with(clock.clone(), |settings| {
        settings.sign_in.client_address_header = "x-forwarded-for".into();
    })
    .await;
    let person = make_person(&app, "FINANCE", None).await;
    for (n, email) in [(0, person.email.as_str()), (1, "ghost@lender.test")] {
        for i in 0..5 {
            let wrong = attempt(
                &app,
                &format!("198.51.100.{}", 10 * n + i),
                email,
                "wrong password!",
            )
            .await;
            assert_eq!(wrong.status(), 401, "attempt {i} for {email}");
        }
        // The sixth waits, even with the right password, from yet another address.
        let right = if n == 0 {
            person.password.as_str()
        } else {
            "wrong password!"
        };
        let waiting = attempt(&app, "203.0.113.1", email, right).await;
        assert_eq!(waiting.status(), 429, "{email}");
        assert_eq!(waiting.headers()[RETRY_AFTER], "1", "{email}");
        assert!(session_cookie(&waiting).is_none());
    }

    clock.advance_to(start + Duration::seconds(1)).unwrap();
    let wrong = attempt(&app, "203.0.113.2", &person.email, "wrong password!").await;
    assert_eq!(wrong.status(), 401);
    let waiting = attempt(&app, "203.0.113.3", &person.email, &person.password).await;
    assert_eq!(waiting.status(), 429);
    assert_eq!(waiting.headers()[RETRY_AFTER], "2", "the wait doubles");
    clock.advance_to(start + Duration::seconds(3)).unwrap();
    let signed = attempt(&app, "203.0.113.4", &person.email, &person.password).await;
    assert_eq!(signed.status(), 303);
    // A success forgets the e-mail's failures.
    for i in 0..5 {
        let wrong = attempt(
            &app,
            &format!("192.0.2.{i}"),
            &person.email,
            "wrong password!",
        )
        .await;
        assert_eq!(wrong.status(), 401, "{i}");
    }
    assert_eq!(
        attempt(&app, "192.0.2.99", &person.email, &person.password)
            .await
            .status(),
        429
    );
}

#[tokio::test]
async fn failed_sign_ins_back_off_per_client_address() {
    let app = spawn_app_with(|settings| {
        settings.sign_in.client_address_header = "x-forwarded-for".into();
    })
    .await;
    let person = make_person(&app, "AUDITOR", None).await;
    for i in 0..5 {
        let wrong = attempt(
            &app,
            "198.51.100.7",
            &format!("guess{i}@lender.test"),
            "wrong password!",
        )
        .await;
        assert_eq!(wrong.status(), 401);
    }
    let from_there = attempt(&app, "198.51.100.7", &person.email, &person.password).await;
    assert_eq!(from_there.status(), 429);
    let elsewhere = attempt(&app, "198.51.100.8", &person.email, &person.password).await;
    assert_eq!(elsewhere.status(), 303);
}

#[tokio::test]
async fn a_disabled_persons_session_and_tokens_stop_at_once() {
    let app = spawn_app().await;
    let person = make_person(&app, "AUDITOR", None).await;
    let cookie = signed_in(&app, &person).await;
    let token = as_session(
        &app,
        &cookie,
        r#"mutation { createApiToken(input: { label: "mine" }) { token } }"#,
        json!({}),
    )
    .await;
    let token = token.data()["createApiToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.gql(Some(&token), WHO, json!({})).await.data();

    let disabled = app
        .admin(
            "mutation($id: ID!) { disableUser(id: $id) { status disabledAt } }",
            json!({ "id": person.id }),
        )
        .await;
    assert_eq!(disabled.data()["disableUser"]["status"], "DISABLED");
    assert_eq!(
        as_session(&app, &cookie, WHO, json!({})).await.code(),
        Some("UNAUTHENTICATED")
    );
    assert_eq!(
        app.gql(Some(&token), WHO, json!({})).await.code(),
        Some("UNAUTHENTICATED")
    );
    let refused = sign_in(&app, &person.email, &person.password, None).await;
    assert_eq!(refused.status(), 401, "told as any wrong sign-in");

    app.admin(
        "mutation($id: ID!) { enableUser(id: $id) { status } }",
        json!({ "id": person.id }),
    )
    .await
    .data();
    assert_eq!(
        app.gql(Some(&token), WHO, json!({})).await.code(),
        Some("UNAUTHENTICATED"),
        "revoked tokens stay revoked"
    );
    let again = signed_in(&app, &person).await;
    as_session(&app, &again, WHO, json!({})).await.data();
}

#[tokio::test]
async fn the_sign_in_form_returns_only_to_local_paths() {
    let app = spawn_app().await;
    let person = make_person(&app, "AUDITOR", None).await;
    for (asked, lands) in [
        ("/graphql", "/graphql"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
    ] {
        let response = browser()
            .post(format!("{}/sign-in", app.base))
            .header(ORIGIN, &app.base)
            .form(&[
                ("email", person.email.as_str()),
                ("password", &person.password),
                ("return_to", asked),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()[LOCATION], lands, "{asked}");
    }
    let forged = browser()
        .post(format!("{}/sign-in", app.base))
        .header(ORIGIN, "https://evil.example")
        .form(&[
            ("email", person.email.as_str()),
            ("password", &person.password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        403,
        "a login form posted from another site"
    );
    assert!(session_cookie(&forged).is_none());
}
