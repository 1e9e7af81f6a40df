//! What every console page shares: sign-in first, navigation by role, the security policy,
//! the vendored assets, the viewer's language.

use serde_json::json;

use super::{Console, console_as};
use crate::helpers::{TestApp, spawn_app};

#[tokio::test]
async fn a_page_without_a_session_sends_the_browser_to_sign_in_and_back() {
    let app = spawn_app().await;
    let page = crate::people::browser()
        .get(format!("{}/agencies?after=x", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(
        page.headers()["location"],
        "/sign-in?return_to=%2Fagencies%3Fafter%3Dx"
    );
}

#[tokio::test]
async fn navigation_shows_only_the_areas_a_role_may_open() {
    let app = spawn_app().await;
    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    let page = manager.get("/agencies").await;
    assert_eq!(page.status, 200);
    page.shows(r#"href="/agencies" aria-current="page""#)
        .shows(r#"href="/allocation""#)
        .lacks(r#"href="/audit""#)
        .lacks(r#"href="/work""#);

    let agency_id = crate::fixtures::agency(&app.db, "NAV").await.id;
    let staff = console_as(&app, "AGENCY", Some(agency_id)).await;
    let page = staff.get("/agencies").await;
    assert_eq!(page.status, 403);
    page.shows(r#"href="/work""#).lacks(r#"href="/agencies""#);
}

#[tokio::test]
async fn pages_forbid_remote_and_inline_script_and_serve_their_assets_themselves() {
    let app = spawn_app().await;
    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    let page = manager.get("/agencies").await;
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    assert!(!page.body.contains("<script>"), "no inline script");
    for asset in [
        "/assets/htmx@2.0.8/htmx.min.js",
        "/console.css",
        "/icon.svg",
    ] {
        let at = page
            .body
            .split('"')
            .find(|s| s.starts_with("/assets/") && s.ends_with(asset.rsplit('/').next().unwrap()))
            .unwrap_or_else(|| panic!("the page links no {asset}"));
        let fetched = manager.get(at).await;
        assert_eq!(fetched.status, 200, "{at}");
        assert!(
            fetched.headers["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
    }
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused() {
    let app = spawn_app().await;
    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    let response = reqwest::Client::new()
        .post(format!("{}/settings/preferences", app.base))
        .header("cookie", &manager.cookie)
        .header("origin", "https://evil.example")
        .form(&[("language", "zh-CN")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

async fn set_language(app: &TestApp, console: &Console, language: &str) {
    let me =
        crate::people::as_session(app, &console.cookie, "{ me { user { id } } }", json!({})).await;
    let id = me.data()["me"]["user"]["id"].clone();
    app.admin(
        "mutation($id: ID!, $language: String!) { updateUser(id: $id, input: { language: $language }) { id } }",
        json!({ "id": id, "language": language }),
    )
    .await
    .data();
}

#[tokio::test]
async fn the_console_speaks_the_viewers_language() {
    let app = spawn_app().await;
    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    manager
        .get("/agencies")
        .await
        .shows(r#"<html lang="en">"#)
        .shows(">Agencies<");
    set_language(&app, &manager, "zh-CN").await;
    manager
        .get("/agencies")
        .await
        .shows(r#"<html lang="zh-CN">"#)
        .shows(">催收机构<")
        .lacks(">Agencies<");
}

#[tokio::test]
async fn the_sign_in_page_speaks_the_browsers_language() {
    let app = spawn_app().await;
    let page = |accept: &'static str| {
        let url = format!("{}/sign-in", app.base);
        async move {
            crate::people::browser()
                .get(url)
                .header("accept-language", accept)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let chinese = page("zh-CN,zh;q=0.9,en;q=0.8").await;
    assert!(chinese.contains(r#"<html lang="zh-CN">"#), "{chinese}");
    assert!(chinese.contains("电子邮箱"), "{chinese}");
    let english = page("en-GB,en;q=0.9").await;
    assert!(
        english.contains(r#"<html lang="en">"#) && english.contains("E-mail"),
        "{english}"
    );
    let refused = crate::people::browser()
        .post(format!("{}/sign-in", app.base))
        .header("origin", &app.base)
        .header("accept-language", "zh-CN")
        .form(&[
            ("email", "nobody@lender.test"),
            ("password", "wrong wrong wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("电子邮箱、密码或验证码不正确。")
    );
}
