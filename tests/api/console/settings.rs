//! Settings: language and time zone, password, the second factor, personal tokens.

use super::console_as;
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_person_chooses_their_language_and_time_zone() {
    let app = spawn_app().await;
    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    let page = manager.get("/settings").await;
    assert_eq!(page.status, 200);
    page.shows(r#"<option value="zh-CN" lang="zh-CN">简体中文</option>"#)
        .shows(r#"value="America/Chicago""#);

    let saved = manager
        .post(
            "/settings/preferences",
            &[("language", "zh-CN"), ("timeZone", "Asia/Shanghai")],
        )
        .await;
    assert_eq!(saved.status, 303);
    assert_eq!(saved.location(), Some("/settings?done=preferences"));
    manager
        .get("/settings?done=preferences")
        .await
        .shows(r#"<html lang="zh-CN">"#)
        .shows("您的语言和时区已保存。")
        .shows(r#"<option value="Asia/Shanghai" selected>"#);

    let refused = manager
        .post(
            "/settings/preferences",
            &[("language", "tlh"), ("timeZone", "Asia/Shanghai")],
        )
        .await;
    assert_eq!(refused.status, 400);
    refused.shows(r#"class="field-error""#);
}

#[tokio::test]
async fn a_wrong_current_password_is_shown_beside_its_field_and_the_right_one_changes_it() {
    let app = spawn_app().await;
    let finance = console_as(&app, "FINANCE", None).await;
    let wrong = finance
        .post(
            "/settings/password",
            &[
                ("currentPassword", "not my password at all"),
                ("newPassword", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 400);
    wrong
        .shows(r#"<span class="field-error" id="currentPassword-error" role="alert">the current password is wrong</span>"#)
        .lacks("errors");

    let changed = finance
        .post(
            "/settings/password",
            &[
                ("currentPassword", finance.person.password.as_str()),
                ("newPassword", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303);
    assert_eq!(changed.location(), Some("/settings?done=password"));
    let signed_in_again =
        crate::people::sign_in(&app, &finance.person.email, "a brand new passphrase", None).await;
    assert_eq!(signed_in_again.status(), 303);
}

#[tokio::test]
async fn enrolling_a_second_factor_shows_a_qr_code_and_refuses_a_wrong_code() {
    let app = spawn_app().await;
    let auditor = console_as(&app, "AUDITOR", None).await;
    auditor
        .get("/settings")
        .await
        .shows(r#"action="/settings/mfa""#);
    let started = auditor.post("/settings/mfa", &[]).await;
    assert_eq!(started.status, 200);
    started
        .shows(r#"src="data:image/svg+xml;base64,"#)
        .shows(r#"action="/settings/mfa/confirm""#);
    let secret = started
        .body
        .split(r#"name="secret" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form carries the secret")
        .to_owned();
    let refused = auditor
        .post(
            "/settings/mfa/confirm",
            &[("code", "000000"), ("secret", &secret), ("qr", "<svg/>")],
        )
        .await;
    assert_eq!(refused.status, 400);
    refused.shows(r#"role="alert""#).shows(&secret);
}

#[tokio::test]
async fn a_person_makes_lists_and_revokes_their_own_tokens_and_sees_no_one_elses() {
    let app = spawn_app().await;
    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    let other = console_as(&app, "VENDOR_MANAGER", None).await;
    manager
        .get("/settings")
        .await
        .shows("You have no personal tokens.");
    let made = manager
        .post("/settings/tokens", &[("label", "allocation script")])
        .await;
    assert_eq!(made.status, 200);
    made.shows("Your new token")
        .shows("<code class=\"secret\">af_");
    let listed = manager.get("/settings").await;
    listed.shows("allocation script").shows("Active");
    other.get("/settings").await.lacks("allocation script");

    let id = listed
        .body
        .split("/settings/tokens/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("a revoke button")
        .to_owned();
    let stolen = other
        .post(&format!("/settings/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(stolen.status, 403);
    let revoked = manager
        .post(&format!("/settings/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(revoked.status, 303);
    manager
        .get("/settings?done=revoked")
        .await
        .shows("The token is revoked.")
        .shows("Revoked");
}

#[tokio::test]
async fn a_refusal_says_what_kind_it_is_in_the_readers_language() {
    let app = spawn_app().await;
    let auditor = console_as(&app, "AUDITOR", None).await;
    auditor
        .post(
            "/settings/preferences",
            &[("language", "zh-CN"), ("timeZone", "Asia/Shanghai")],
        )
        .await;
    let wrong = auditor
        .post(
            "/settings/password",
            &[
                ("currentPassword", "not my password at all"),
                ("newPassword", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 400);
    wrong
        .shows(r#"<html lang="zh-CN">"#)
        .shows(r#"id="currentPassword-error" role="alert">输入有误（the current password is wrong）</span>"#);
}
