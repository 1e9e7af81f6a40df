//! Single sign-on against a real OpenID provider the test serves (`oidc_provider`):
//! discovery, its RSA-signed ID tokens, the code flow with PKCE, driven by a browser that
//! keeps cookies and follows redirects one at a time.

use std::collections::BTreeMap;

use agencyflow::config::{CALLBACK_PATH, SsoSettings};
use agencyflow_graphql::domain::identity::records;
use entity::api_token::Role;
use entity::user;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::fixtures;
use crate::helpers::{Answer, TestApp, person, spawn_app, spawn_app_at_public_url};
use crate::oidc_provider::OidcProvider;
use crate::people::{self, COOKIE_NAME, as_session};

const CLIENT_ID: &str = "agencyflow";
const CLIENT_SECRET: &str = "s3cret-of-the-client";
const ME: &str = "{ me { role via user { id email ssoLinked } agency { code } } }";

/// The provider and the service configured to sign in through it.
struct Sso {
    provider: OidcProvider,
    app: TestApp,
}

async fn spawn() -> Sso {
    spawn_with(|_| {}).await
}

/// With the `[sso]` settings changed by `adjust`: by default, af-admin, af-finance and
/// af-agency in `groups` give ADMIN, FINANCE and AGENCY, with the agency code in `agency`.
async fn spawn_with(adjust: impl FnOnce(&mut SsoSettings)) -> Sso {
    let provider =
        OidcProvider::start(CLIENT_ID, CLIENT_SECRET, "http://127.0.0.1:9/not-yet").await;
    let issuer = provider.issuer();
    let app = spawn_app_at_public_url(|settings| {
        let sso = &mut settings.sso;
        sso.issuer = issuer;
        sso.client_id = CLIENT_ID.into();
        sso.client_secret = SecretString::from(CLIENT_SECRET);
        sso.role_map = BTreeMap::from([
            ("af-admin".to_owned(), Role::Admin),
            ("af-finance".to_owned(), Role::Finance),
            ("af-agency".to_owned(), Role::Agency),
        ]);
        adjust(sso);
    })
    .await;
    provider.set_redirect_uri(&format!("{}{CALLBACK_PATH}", app.base));
    Sso { provider, app }
}

fn person_claims(sub: &str, email: &str, groups: &[&str]) -> Value {
    json!({
        "sub": sub, "email": email, "email_verified": true, "name": "Grace Hopper",
        "groups": groups,
    })
}

/// A browser: it keeps the cookies it is sent (by name: the service and the provider share
/// 127.0.0.1, as a browser would share them) and follows no redirect by itself.
struct Browser {
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
    /// The `Set-Cookie` headers of the last answer.
    set_cookies: Vec<String>,
}

/// An answer the browser got.
struct Page {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Browser {
    fn new() -> Self {
        Self {
            http: people::browser(),
            cookies: BTreeMap::new(),
            set_cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        pairs.join("; ")
    }

    async fn get(&mut self, url: &str) -> Page {
        let response = self
            .http
            .get(url)
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("an answer");
        self.set_cookies = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .collect();
        for set in &self.set_cookies {
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Page {
            status: response.status(),
            location: response
                .headers()
                .get(LOCATION)
                .map(|l| l.to_str().unwrap().to_owned()),
            body: response.text().await.unwrap(),
        }
    }
}

impl Sso {
    /// Begins single sign-on (to return to `/graphql`) as the provider's user `claims`,
    /// and answers the callback URL the provider sends the browser back to.
    async fn to_callback(&self, browser: &mut Browser, claims: Value) -> String {
        self.provider.sign_in_as(claims);
        let begun = browser
            .get(&format!("{}/sign-in/sso?return_to=/graphql", self.app.base))
            .await;
        assert_eq!(begun.status, StatusCode::SEE_OTHER, "{}", begun.body);
        let to_provider = begun.location.expect("a redirect to the provider");
        assert!(
            to_provider.starts_with(&format!("{}/authorize?", self.provider.issuer())),
            "{to_provider}"
        );
        let flow_cookie = &browser.set_cookies[0];
        for attribute in [
            "agencyflow_sso=afsso_",
            "HttpOnly",
            "SameSite=Lax",
            "Path=/",
            "Max-Age=600",
        ] {
            assert!(
                flow_cookie.contains(attribute),
                "{flow_cookie} lacks {attribute}"
            );
        }
        let back = browser.get(&to_provider).await;
        assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
        let callback = back.location.expect("a redirect back");
        assert!(
            callback.starts_with(&format!("{}{CALLBACK_PATH}?", self.app.base)),
            "{callback}"
        );
        callback
    }

    /// Signs in through the provider as `claims`: the service's answer to the callback.
    async fn sign_in(&self, browser: &mut Browser, claims: Value) -> Page {
        let callback = self.to_callback(browser, claims).await;
        browser.get(&callback).await
    }

    /// Signs in and asserts that it worked: the session cookie is set and the browser is
    /// sent where it was going.
    async fn signed_in(&self, claims: Value) -> Browser {
        let mut browser = Browser::new();
        let landed = self.sign_in(&mut browser, claims).await;
        assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
        assert_eq!(landed.location.as_deref(), Some("/graphql"));
        assert!(
            browser
                .cookies
                .get("agencyflow_session")
                .is_some_and(|s| s.starts_with("afs_"))
        );
        assert!(
            !browser.cookies.contains_key("agencyflow_sso"),
            "the flow cookie is removed"
        );
        browser
    }

    /// `me`, asked in the browser's session from the service's own page.
    async fn me(&self, browser: &Browser) -> Value {
        self.ask_me(browser).await.data()["me"].clone()
    }

    async fn ask_me(&self, browser: &Browser) -> Answer {
        let session = format!("{COOKIE_NAME}={}", browser.cookies[COOKIE_NAME]);
        as_session(&self.app, &session, ME, json!({})).await
    }

    /// The audit events with `action`, newest first.
    async fn audit(&self, action: &str) -> Vec<Value> {
        let query = "query($filter: AuditEventsFilter) { auditEvents(filter: $filter, first: 100) { \
                     nodes { actor action entityType entityId after } } }";
        let answer = self
            .app
            .admin(query, json!({ "filter": { "action": action } }))
            .await;
        answer.data()["auditEvents"]["nodes"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// Asserts that the sign-in was refused with the page saying `message`, and that the
    /// refusal was audited with `reason`.
    async fn assert_refused(&self, page: &Page, message: &str, reason: &str) {
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
        assert!(
            page.body.contains(message),
            "{message} not in {}",
            page.body
        );
        assert!(
            page.body.contains("action=\"/sign-in/sso\""),
            "single sign-on is offered again"
        );
        let refusals = self.audit("session.sign_in_failed").await;
        assert!(
            refusals.iter().any(
                |event| event["after"]["reason"] == reason && event["after"]["method"] == "SSO"
            ),
            "no refusal for {reason} in {refusals:?}"
        );
    }

    async fn users_with_email(&self, email: &str) -> u64 {
        user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .count(&self.app.db)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_new_person_is_created_with_the_mapped_role_and_signed_in() {
    let sso = spawn().await;
    let browser = sso
        .signed_in(person_claims(
            "grace",
            "Grace@Navy.Example",
            &["staff", "af-finance", "af-admin"],
        ))
        .await;

    let me = sso.me(&browser).await;
    assert_eq!(me["role"], "FINANCE", "the first mapped value wins: {me}");
    assert_eq!(me["via"], "SESSION");
    assert_eq!(me["user"]["email"], "grace@navy.example");
    assert_eq!(me["user"]["ssoLinked"], true);

    let created = sso.audit("user.create").await;
    let created = created
        .iter()
        .find(|e| e["after"]["email"] == "grace@navy.example")
        .expect("user.create");
    assert_eq!(created["actor"], "system:sso");
    let signed_in = sso.audit("session.sign_in").await;
    assert_eq!(signed_in.len(), 1, "{signed_in:?}");
    assert_eq!(signed_in[0]["after"]["method"], "SSO");
    assert_eq!(signed_in[0]["after"]["factors"], "sso");
    assert_eq!(
        signed_in[0]["actor"],
        format!("user:{}", me["user"]["id"].as_str().unwrap())
    );
    assert_eq!(sso.provider.token_requests(), 1);
}

#[tokio::test]
async fn the_same_subject_signs_in_as_the_same_person() {
    let sso = spawn().await;
    let first = sso
        .signed_in(person_claims(
            "grace",
            "grace@navy.example",
            &["af-finance"],
        ))
        .await;
    let first = sso.me(&first).await;
    // The provider now gives another e-mail: the subject, not the e-mail, names the person.
    let second = sso
        .signed_in(person_claims(
            "grace",
            "g.hopper@navy.example",
            &["af-finance"],
        ))
        .await;
    let second = sso.me(&second).await;
    assert_eq!(first["user"]["id"], second["user"]["id"]);
    assert_eq!(sso.users_with_email("g.hopper@navy.example").await, 0);
    assert_eq!(
        sso.audit("user.create")
            .await
            .iter()
            .filter(|e| e["actor"] == "system:sso")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_password_user_with_the_verified_email_is_linked() {
    let sso = spawn().await;
    let finance = people::make_person(&sso.app, "FINANCE", None).await;

    let claims = person_claims("finance-1", &finance.email.to_uppercase(), &["af-finance"]);
    let browser = sso.signed_in(claims).await;
    let me = sso.me(&browser).await;
    assert_eq!(me["user"]["id"], finance.id);
    assert_eq!(me["user"]["ssoLinked"], true);
    let stored = records::get(&sso.app.db, finance.id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        stored.sso_subject,
        Some(format!("{}#finance-1", sso.provider.issuer()))
    );
    let linked = sso.audit("user.link_sso").await;
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0]["actor"], "system:sso");
    // The role did not change: the password, and the sessions it gives, still work.
    let session = people::signed_in(&sso.app, &finance).await;
    assert_eq!(
        as_session(&sso.app, &session, ME, json!({})).await.data()["me"]["role"],
        "FINANCE"
    );
}

#[tokio::test]
async fn a_role_the_provider_changes_is_applied_ending_sessions_and_tokens() {
    let sso = spawn().await;
    let (id, token) = person(&sso.app.db, Role::Auditor, None).await;
    let email = records::get(&sso.app.db, id).await.unwrap().email;

    let finance = sso
        .signed_in(person_claims("auditor-1", &email, &["af-finance"]))
        .await;
    assert_eq!(sso.me(&finance).await["role"], "FINANCE");
    let revoked = sso
        .app
        .gql(Some(&token), "{ me { role } }", json!({}))
        .await;
    assert_eq!(revoked.code(), Some("UNAUTHENTICATED"), "{}", revoked.body);
    let updates = sso.audit("user.update").await;
    assert_eq!(updates[0]["actor"], "system:sso");
    assert_eq!(updates[0]["after"]["role"], "FINANCE");

    let admin = sso
        .signed_in(person_claims("auditor-1", &email, &["af-admin"]))
        .await;
    assert_eq!(sso.me(&admin).await["role"], "ADMIN");
    let ended = sso.ask_me(&finance).await;
    assert_eq!(
        ended.code(),
        Some("UNAUTHENTICATED"),
        "the FINANCE session ended: {}",
        ended.body
    );
}

#[tokio::test]
async fn an_unverified_email_is_refused() {
    let sso = spawn().await;
    let mut claims = person_claims("grace", "grace@navy.example", &["af-finance"]);
    claims["email_verified"] = json!(false);
    let page = sso.sign_in(&mut Browser::new(), claims).await;
    sso.assert_refused(
        &page,
        "no verified e-mail address",
        "e-mail missing or not verified",
    )
    .await;
    assert_eq!(sso.users_with_email("grace@navy.example").await, 0);
}

#[tokio::test]
async fn a_person_without_a_mapped_role_is_refused() {
    let sso = spawn().await;
    let page = sso
        .sign_in(
            &mut Browser::new(),
            person_claims("grace", "grace@navy.example", &["staff", "AF-ADMIN"]),
        )
        .await;
    sso.assert_refused(&page, "not given a role here", "no mapped role")
        .await;
    assert_eq!(sso.users_with_email("grace@navy.example").await, 0);
}

#[tokio::test]
async fn an_agency_person_needs_an_agency_known_here() {
    let sso = spawn().await;
    let acme = fixtures::agency(&sso.app.db, "ACME").await;

    let mut claims = person_claims("dialer-1", "ann@acme.example", &["af-agency"]);
    claims["agency"] = json!("NOPE");
    let page = sso.sign_in(&mut Browser::new(), claims.clone()).await;
    sso.assert_refused(&page, "names no agency known here", "unknown agency NOPE")
        .await;

    claims["agency"] = json!("acme");
    let browser = sso.signed_in(claims).await;
    let me = sso.me(&browser).await;
    assert_eq!(me["role"], "AGENCY");
    assert_eq!(me["agency"]["code"], acme.code);
}

#[tokio::test]
async fn a_tampered_nonce_is_refused() {
    let sso = spawn().await;
    sso.provider.tamper_next_nonce();
    let page = sso
        .sign_in(
            &mut Browser::new(),
            person_claims("grace", "grace@navy.example", &["af-finance"]),
        )
        .await;
    sso.assert_refused(&page, "cannot trust", "nonce mismatch")
        .await;
    assert_eq!(sso.provider.token_requests(), 1);
    assert_eq!(sso.users_with_email("grace@navy.example").await, 0);
}

#[tokio::test]
async fn a_callback_is_good_once() {
    let sso = spawn().await;
    let mut browser = Browser::new();
    let callback = sso
        .to_callback(
            &mut browser,
            person_claims("grace", "grace@navy.example", &["af-finance"]),
        )
        .await;
    let flow_cookie = browser.cookies["agencyflow_sso"].clone();
    let landed = browser.get(&callback).await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);

    // Replayed, flow cookie and all.
    browser.cookies.insert("agencyflow_sso".into(), flow_cookie);
    let replayed = browser.get(&callback).await;
    sso.assert_refused(&replayed, "already complete", "flow already used")
        .await;
    assert_eq!(
        sso.provider.token_requests(),
        1,
        "a spent flow reaches no token endpoint"
    );
}

#[tokio::test]
async fn a_callback_in_a_browser_without_the_flow_cookie_is_refused() {
    let sso = spawn().await;
    let mut victim = Browser::new();
    let callback = sso
        .to_callback(
            &mut Browser::new(),
            person_claims("mallory", "mallory@evil.example", &["af-admin"]),
        )
        .await;
    let page = victim.get(&callback).await;
    sso.assert_refused(
        &page,
        "browser you began in",
        "flow cookie missing or another browser's",
    )
    .await;
    assert!(!victim.cookies.contains_key(COOKIE_NAME));
    assert_eq!(sso.provider.token_requests(), 0);

    let made_up = victim
        .get(&format!(
            "{}{CALLBACK_PATH}?code=x&state=made-up",
            sso.app.base
        ))
        .await;
    sso.assert_refused(&made_up, "not one under way here", "unknown flow")
        .await;
}

#[tokio::test]
async fn a_refusal_by_the_provider_shows_the_sign_in_page() {
    let sso = spawn().await;
    sso.provider.deny_next();
    let page = sso
        .sign_in(
            &mut Browser::new(),
            person_claims("grace", "grace@navy.example", &["af-finance"]),
        )
        .await;
    sso.assert_refused(
        &page,
        "did not let you in (access_denied)",
        "provider error access_denied",
    )
    .await;
    assert!(
        page.body.contains("name=\"email\""),
        "the password form is offered too"
    );
    assert_eq!(sso.provider.token_requests(), 0);
}

#[tokio::test]
async fn a_disabled_person_is_refused() {
    let sso = spawn().await;
    let claims = person_claims("grace", "grace@navy.example", &["af-finance"]);
    let browser = sso.signed_in(claims.clone()).await;
    let id = sso.me(&browser).await["user"]["id"].clone();
    sso.app
        .admin(
            "mutation($id: ID!) { disableUser(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await
        .data();

    let page = sso.sign_in(&mut Browser::new(), claims).await;
    sso.assert_refused(&page, "This account is disabled", "user disabled")
        .await;
    let refusal = &sso.audit("session.sign_in_failed").await[0];
    assert_eq!(refusal["entityType"], "user");
    assert_eq!(refusal["entityId"], id);
}

#[tokio::test]
async fn without_create_users_a_stranger_is_refused() {
    let sso = spawn_with(|sso| sso.create_users = false).await;
    let page = sso
        .sign_in(
            &mut Browser::new(),
            person_claims("grace", "grace@navy.example", &["af-finance"]),
        )
        .await;
    sso.assert_refused(
        &page,
        "no account for your e-mail address",
        "no user with the e-mail",
    )
    .await;
}

#[tokio::test]
async fn the_sign_in_page_offers_single_sign_on_only_when_configured() {
    let offer = "action=\"/sign-in/sso\"";
    let sso = spawn().await;
    let page = Browser::new()
        .get(&format!("{}/sign-in?return_to=/graphql", sso.app.base))
        .await;
    assert!(page.body.contains(offer), "{}", page.body);
    assert!(page.body.contains("name=\"return_to\" value=\"/graphql\""));

    let plain = spawn_app().await;
    let page = Browser::new().get(&format!("{}/sign-in", plain.base)).await;
    assert!(!page.body.contains(offer), "{}", page.body);
    let begun = Browser::new()
        .get(&format!("{}/sign-in/sso", plain.base))
        .await;
    assert_eq!(begun.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unreachable_provider_is_said_so_and_audited() {
    let sso = spawn_with(|sso| sso.issuer = "http://127.0.0.1:9".into()).await;
    let page = Browser::new()
        .get(&format!("{}/sign-in/sso", sso.app.base))
        .await;
    assert_eq!(page.status, StatusCode::BAD_GATEWAY, "{}", page.body);
    assert!(page.body.contains("cannot be reached"), "{}", page.body);
    let refusals = sso.audit("session.sign_in_failed").await;
    assert_eq!(refusals[0]["after"]["reason"], "provider unavailable");
}
