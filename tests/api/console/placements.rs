//! Placements and recall: filters, a preview of what will be recalled, the recall.

use super::console_as;
use super::work::book;
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_manager_filters_placements_previews_a_recall_and_recalls() {
    let app = spawn_app().await;
    let book = book(&app).await;
    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    let all = manager.get("/placements").await;
    assert_eq!(all.status, 200);
    all.shows("ACC-1").shows("ACC-2").shows(r#"form="recall""#);
    let alpha = manager
        .get(&format!(
            "/placements?agency={}&status=ACTIVE&level=PRIMARY",
            book.agency_a.id
        ))
        .await;
    alpha.shows("ACC-1").lacks("ACC-2");
    manager
        .get("/placements?dueBy=2000-01-01")
        .await
        .shows("No placements match.");

    let first = book.placements[0].id.to_string();
    let preview = manager
        .post("/placements/recall-preview", &[("ids", first.as_str())])
        .await;
    assert_eq!(preview.status, 200);
    preview
        .shows("These 1 active placements will be recalled")
        .shows("ACC-1")
        .lacks("ACC-2");
    let nothing = manager.post("/placements/recall-preview", &[]).await;
    assert_eq!(nothing.status, 400);

    let recalled = manager
        .post(
            "/placements/recall",
            &[("ids", first.as_str()), ("reason", "performance")],
        )
        .await;
    assert_eq!(recalled.status, 200);
    recalled.shows("1 placements recalled.");
    manager
        .get("/placements?status=RECALLED")
        .await
        .shows("ACC-1")
        .lacks("ACC-2");

    let finance = console_as(&app, "FINANCE", None).await;
    finance
        .get("/placements")
        .await
        .shows("ACC-2")
        .lacks(r#"form="recall""#);
    assert_eq!(
        finance
            .post("/placements/recall-preview", &[("ids", first.as_str())])
            .await
            .status,
        403
    );
}
