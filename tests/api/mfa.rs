//! Multi-factor sign-in: enrolment with a first code, codes accepted once, recovery codes,
//! the roles that must enrol before anything else, and an ADMIN's reset.

use std::sync::Arc;

use agencyflow_graphql::domain::clock::ManualClock;
use agencyflow_graphql::domain::identity::totp;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_after_on, spawn_app_after_on_with};
use crate::people::{Person, as_session, make_person, session_cookie, sign_in, signed_in};

const START: &str = "mutation { startMfaEnrolment { secret uri qrSvg } }";
const CONFIRM: &str = "mutation($code: String!) { confirmMfaEnrolment(code: $code) { user { mfaEnabled } recoveryCodes } }";
const ME: &str = "{ me { role mfaEnrolmentRequired user { mfaEnabled } } }";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap()
}

/// The authenticator app: the code for `secret` at `at`.
fn code(secret: &str, at: DateTime<Utc>) -> String {
    let secret = totp::secret_from_base32(secret).expect("a base32 secret");
    totp::code_at_step(&secret, at.timestamp() / totp::STEP_SECS)
}

/// Enrols `person` (signed in with `cookie`) at the clock's `now`: the secret and the
/// recovery codes.
async fn enrol(app: &TestApp, cookie: &str, now: DateTime<Utc>) -> (String, Vec<String>) {
    let started = as_session(app, cookie, START, json!({})).await;
    let started = &started.data()["startMfaEnrolment"];
    let secret = started["secret"].as_str().unwrap().to_owned();
    let confirmed = as_session(app, cookie, CONFIRM, json!({ "code": code(&secret, now) })).await;
    let confirmed = &confirmed.data()["confirmMfaEnrolment"];
    assert_eq!(confirmed["user"]["mfaEnabled"], true);
    let codes = serde_json::from_value(confirmed["recoveryCodes"].clone()).unwrap();
    (secret, codes)
}

async fn signs_in_with(app: &TestApp, person: &Person, code: Option<&str>) -> u16 {
    sign_in(app, &person.email, &person.password, code)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn enrolment_turns_on_codes_that_are_accepted_once() {
    let clock = Arc::new(ManualClock::new(start()));
    let app = spawn_app_after_on(clock.clone(), async |_, _| {}).await;
    let person = make_person(&app, "FINANCE", None).await;
    let cookie = signed_in(&app, &person).await;

    let started = as_session(&app, &cookie, START, json!({})).await;
    let started = &started.data()["startMfaEnrolment"];
    let secret = started["secret"].as_str().unwrap();
    let uri = started["uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/agencyflow:"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    let svg = started["qrSvg"].as_str().unwrap();
    assert!(
        svg.contains("<svg") && svg.trim_end().ends_with("</svg>"),
        "{svg:.80}"
    );

    let wrong = as_session(&app, &cookie, CONFIRM, json!({ "code": "000000" })).await;
    assert_eq!(wrong.code(), Some("BAD_USER_INPUT"));
    assert_eq!(wrong.body["errors"][0]["extensions"]["field"], "code");
    let now = start();
    let confirmed = as_session(&app, &cookie, CONFIRM, json!({ "code": code(secret, now) })).await;
    let codes = confirmed.data()["confirmMfaEnrolment"]["recoveryCodes"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(codes.len(), 10);
    let again = as_session(&app, &cookie, START, json!({})).await;
    assert_eq!(
        again.code(),
        Some("CONFLICT"),
        "on is on until an ADMIN resets it"
    );

    // The password alone is no longer enough: the form asks for the code.
    let asked = sign_in(&app, &person.email, &person.password, None).await;
    assert_eq!(asked.status(), 401);
    assert!(session_cookie(&asked).is_none());
    assert!(asked.text().await.unwrap().contains("authenticator"));

    // The code that confirmed the enrolment was used: it is not accepted again.
    assert_eq!(
        signs_in_with(&app, &person, Some(&code(secret, now))).await,
        401
    );
    // The next step's code (a device a little ahead) is, once.
    let ahead = code(secret, now + Duration::seconds(30));
    assert_eq!(signs_in_with(&app, &person, Some(&ahead)).await, 303);
    assert_eq!(
        signs_in_with(&app, &person, Some(&ahead)).await,
        401,
        "a replayed code"
    );

    // A recovery code stands in once, typed any case.
    let recovery = codes[0].as_str().unwrap().to_uppercase();
    assert_eq!(signs_in_with(&app, &person, Some(&recovery)).await, 303);
    assert_eq!(signs_in_with(&app, &person, Some(&recovery)).await, 401);
    assert_eq!(signs_in_with(&app, &person, Some("not-a-code")).await, 401);

    clock.advance_to(start() + Duration::minutes(5)).unwrap();
    let later = code(secret, start() + Duration::minutes(5));
    assert_eq!(signs_in_with(&app, &person, Some(&later)).await, 303);
}

#[tokio::test]
async fn a_role_that_must_use_mfa_can_do_nothing_but_enrol_first() {
    let clock = Arc::new(ManualClock::new(start()));
    let app = spawn_app_after_on_with(clock.clone(), |settings| {
        settings.sign_in.mfa_required_roles = vec![entity::api_token::Role::Finance];
    })
    .await;
    let person = make_person(&app, "FINANCE", None).await;
    let cookie = signed_in(&app, &person).await;
    let me = as_session(&app, &cookie, ME, json!({})).await;
    assert_eq!(me.data()["me"]["mfaEnrolmentRequired"], true);
    let refused = as_session(
        &app,
        &cookie,
        "{ commissionStatements { edges { node { id } } } }",
        json!({}),
    )
    .await;
    assert_eq!(refused.code(), Some("MFA_REQUIRED"), "{}", refused.body);
    let token = as_session(
        &app,
        &cookie,
        r#"mutation { createApiToken(input: { label: "x" }) { token } }"#,
        json!({}),
    )
    .await;
    assert_eq!(token.code(), Some("MFA_REQUIRED"));

    enrol(&app, &cookie, start()).await;
    let me = as_session(&app, &cookie, ME, json!({})).await;
    assert_eq!(me.data()["me"]["mfaEnrolmentRequired"], false);
    as_session(
        &app,
        &cookie,
        "{ commissionStatements { edges { node { id } } } }",
        json!({}),
    )
    .await
    .data();

    // Another role is not asked.
    let auditor = make_person(&app, "AUDITOR", None).await;
    let cookie = signed_in(&app, &auditor).await;
    let me = as_session(&app, &cookie, ME, json!({})).await;
    assert_eq!(me.data()["me"]["mfaEnrolmentRequired"], false);
}

#[tokio::test]
async fn an_admin_resets_a_lost_device_and_the_persons_sessions_end() {
    let clock = Arc::new(ManualClock::new(start()));
    let app = spawn_app_after_on(clock.clone(), async |_, _| {}).await;
    let person = make_person(&app, "VENDOR_MANAGER", None).await;
    let cookie = signed_in(&app, &person).await;
    let (secret, _) = enrol(&app, &cookie, start()).await;

    let reset = app
        .admin(
            "mutation($id: ID!) { resetUserMfa(id: $id) { mfaEnabled } }",
            json!({ "id": person.id }),
        )
        .await;
    assert_eq!(reset.data()["resetUserMfa"]["mfaEnabled"], false);
    assert_eq!(
        as_session(&app, &cookie, ME, json!({})).await.code(),
        Some("UNAUTHENTICATED")
    );
    assert_eq!(
        signs_in_with(&app, &person, None).await,
        303,
        "the password alone, until enrolled again"
    );
    let cookie = signed_in(&app, &person).await;
    let (new_secret, _) = enrol(&app, &cookie, start()).await;
    assert_ne!(secret, new_secret);
    let with_the_old_device = code(&secret, start() + Duration::seconds(30));
    let new_device = code(&new_secret, start() + Duration::seconds(30));
    if with_the_old_device != new_device {
        assert_eq!(
            signs_in_with(&app, &person, Some(&with_the_old_device)).await,
            401
        );
    }
    assert_eq!(signs_in_with(&app, &person, Some(&new_device)).await, 303);

    let events = app
        .admin(
            "query($f: AuditEventsFilter) { auditEvents(filter: $f) { edges { node { action } } } }",
            json!({ "f": { "entityType": "user", "entityId": person.id } }),
        )
        .await;
    let actions: Vec<Value> = events.data()["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].clone())
        .collect();
    for action in [
        "user.start_mfa_enrolment",
        "user.enable_mfa",
        "user.reset_mfa",
    ] {
        assert!(actions.contains(&json!(action)), "{action} in {actions:?}");
    }
}
