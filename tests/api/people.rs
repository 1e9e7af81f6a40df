//! People over HTTP, as a browser and an ADMIN would make them: createUser, the
//! set-password link, `POST /sign-in`, and GraphQL with the session cookie.

use reqwest::header::{CONTENT_TYPE, COOKIE, ORIGIN, SET_COOKIE};
use reqwest::redirect::Policy;
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, answer};

/// The session cookie on plain http to 127.0.0.1 (no `__Host-` prefix there).
pub const COOKIE_NAME: &str = "agencyflow_session";

pub const CREATE_USER: &str = r#"
mutation CreateUser($input: CreateUserInput!) {
  createUser(input: $input) { user { id email role status } setPassword { token path expiresAt } }
}"#;
pub const SET_PASSWORD: &str = r#"
mutation SetPassword($token: String!, $password: String!) {
  setPassword(token: $token, newPassword: $password) { id }
}"#;

/// A person with a password.
pub struct Person {
    pub id: String,
    pub email: String,
    pub password: String,
}

/// A client that shows redirects instead of following them, as a test of them needs.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("a client")
}

/// An ADMIN makes a person with `role` (and agency), who sets their password with the
/// link the answer carries.
pub async fn make_person(app: &TestApp, role: &str, agency_id: Option<i64>) -> Person {
    let email = format!(
        "{}.{}@lender.test",
        role.to_lowercase(),
        uuid::Uuid::new_v4().simple()
    );
    let created = app
        .admin(
            CREATE_USER,
            json!({ "input": {
                "email": email,
                "displayName": format!("A {role}"),
                "role": role,
                "agencyId": agency_id.map(|id| id.to_string()),
            }}),
        )
        .await;
    let created = &created.data()["createUser"];
    let password = format!("correct horse {}", uuid::Uuid::new_v4().simple());
    app.gql(
        None,
        SET_PASSWORD,
        json!({ "token": created["setPassword"]["token"], "password": password }),
    )
    .await
    .data();
    Person {
        id: created["user"]["id"].as_str().unwrap().to_owned(),
        email,
        password,
    }
}

/// `POST /sign-in` from the service's own page (its `Origin`), from `address` when the
/// app trusts `x-forwarded-for`.
pub async fn sign_in_from(
    app: &TestApp,
    address: Option<&str>,
    email: &str,
    password: &str,
    code: Option<&str>,
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![("email", email), ("password", password)];
    if let Some(code) = code {
        form.push(("code", code));
    }
    let mut request = browser()
        .post(format!("{}/sign-in", app.base))
        .header(ORIGIN, &app.base)
        .form(&form);
    if let Some(address) = address {
        request = request.header("x-forwarded-for", address);
    }
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    request.send().await.expect("the server answers")
}

pub async fn sign_in(
    app: &TestApp,
    email: &str,
    password: &str,
    code: Option<&str>,
) -> reqwest::Response {
    sign_in_from(app, None, email, password, code, None).await
}

/// The `name=value` of the session cookie a response sets, if it sets one with a value.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| {
            pair.starts_with(&format!("{COOKIE_NAME}=")) && pair.len() > COOKIE_NAME.len() + 1
        })
        .map(str::to_owned)
}

/// Signs `person` in and answers their session cookie.
pub async fn signed_in(app: &TestApp, person: &Person) -> String {
    let response = sign_in(app, &person.email, &person.password, None).await;
    assert_eq!(
        response.status(),
        303,
        "{}",
        response.text().await.unwrap_or_default()
    );
    session_cookie(&response).expect("a session cookie")
}

/// GraphQL with the session cookie and the headers `extra` (e.g. an `Origin`).
pub async fn with_cookie(
    app: &TestApp,
    cookie: &str,
    extra: &[(&str, &str)],
    query: &str,
    variables: Value,
) -> Answer {
    let mut request = app
        .client
        .post(&app.url)
        .header(CONTENT_TYPE, "application/json")
        .header(COOKIE, cookie)
        .body(json!({ "query": query, "variables": variables }).to_string());
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    answer(request.send().await.expect("the server answers")).await
}

/// GraphQL from the service's own page, signed in with `cookie`.
pub async fn as_session(app: &TestApp, cookie: &str, query: &str, variables: Value) -> Answer {
    with_cookie(app, cookie, &[("origin", &app.base)], query, variables).await
}
