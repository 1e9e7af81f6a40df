//! GraphQL over HTTP: media types, status codes, request ids, health and metrics.

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::json;

use crate::helpers::{answer, spawn_app, spawn_app_with};

#[tokio::test]
async fn the_response_media_type_follows_accept() {
    let app = spawn_app().await;
    let query = json!({ "query": "{ me { role } }" });
    let modern = app
        .post(
            Some(&app.admin_token),
            Some("application/graphql-response+json"),
            query.clone(),
        )
        .await;
    assert!(
        modern
            .content_type()
            .starts_with("application/graphql-response+json")
    );
    let legacy = app
        .post(
            Some(&app.admin_token),
            Some("application/json"),
            query.clone(),
        )
        .await;
    assert!(legacy.content_type().starts_with("application/json"));
    // What curl sends: the spec says to answer it as application/json.
    let curl = app
        .post(Some(&app.admin_token), Some("*/*"), query.clone())
        .await;
    assert!(curl.content_type().starts_with("application/json"));
    assert!(
        raw_post_without_accept(&app.base, &query.to_string())
            .await
            .contains("content-type: application/json")
    );
    let preferred = app
        .post(
            Some(&app.admin_token),
            Some("application/graphql-response+json;q=0.2, application/json"),
            query.clone(),
        )
        .await;
    assert!(preferred.content_type().starts_with("application/json"));

    let refused = app
        .post(Some(&app.admin_token), Some("text/html"), query)
        .await;
    assert_eq!(refused.status, 406);
}

/// reqwest always sends `Accept: */*`; a legacy client may send no Accept at all.
async fn raw_post_without_accept(base: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response.to_lowercase()
}

#[tokio::test]
async fn request_errors_are_400_under_the_graphql_media_type_and_200_under_json() {
    let app = spawn_app().await;
    let invalid = json!({ "query": "{ me { nosuchfield } }" });
    let modern = app
        .post(
            Some(&app.admin_token),
            Some("application/graphql-response+json"),
            invalid.clone(),
        )
        .await;
    assert_eq!(modern.status, 400);
    assert!(
        modern.body.get("data").is_none(),
        "a request error has no data entry"
    );
    assert_eq!(modern.code(), Some("BAD_USER_INPUT"));
    let legacy = app
        .post(Some(&app.admin_token), Some("application/json"), invalid)
        .await;
    assert_eq!(legacy.status, 200);
    assert_eq!(legacy.code(), Some("BAD_USER_INPUT"));

    let unparsable = json!({ "query": "{ me { role " });
    let modern = app
        .post(
            Some(&app.admin_token),
            Some("application/graphql-response+json"),
            unparsable,
        )
        .await;
    assert_eq!(modern.status, 400);
    assert_eq!(modern.code(), Some("BAD_USER_INPUT"));

    // A field error is not a request error: data is present, so 200.
    let field_error = app
        .post(
            None,
            Some("application/graphql-response+json"),
            json!({ "query": "{ me { role } }" }),
        )
        .await;
    assert_eq!(field_error.status, 200);
    assert_eq!(field_error.code(), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn malformed_bodies_and_content_types_are_refused() {
    let app = spawn_app().await;
    let not_json = app
        .client
        .post(&app.url)
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/graphql-response+json")
        .body("{ this is not json")
        .send()
        .await
        .unwrap();
    let not_json = answer(not_json).await;
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.code(), Some("BAD_USER_INPUT"));

    let text = app
        .client
        .post(&app.url)
        .header(CONTENT_TYPE, "text/plain")
        .body("{ me { role } }")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 415);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let app = spawn_app_with(|settings| settings.server.body_limit_bytes = 4096).await;
    let huge = json!({ "query": format!("{{ me {{ role }} }} #{}", "x".repeat(10_000)) });
    let response = app
        .client
        .post(&app.url)
        .header(CONTENT_TYPE, "application/json")
        .body(huge.to_string())
        .send()
        .await
        .unwrap();
    let refused = answer(response).await;
    assert_eq!(refused.status, 413);
    assert_eq!(refused.code(), Some("BAD_USER_INPUT"));
}

#[tokio::test]
async fn without_graphiql_get_is_not_allowed() {
    let app = spawn_app_with(|settings| settings.graphql.graphiql = false).await;
    let page = app.client.get(&app.url).send().await.unwrap();
    assert_eq!(page.status(), 405);
    assert_eq!(page.headers()["allow"], "POST");
}

#[tokio::test]
async fn graphiql_is_served_from_the_binary_under_a_policy_that_forbids_remote_scripts() {
    let app = spawn_app().await;
    let page = app.client.get(&app.url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let header = |name: &str| page.headers()[name].to_str().unwrap().to_owned();
    assert!(header("content-type").starts_with("text/html"));
    let policy = header("content-security-policy");
    let directives: Vec<&str> = policy.split(';').map(str::trim).collect();
    assert!(directives.contains(&"script-src 'self'"), "{policy}");
    assert!(directives.contains(&"default-src 'none'"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(html.contains("<div id=\"graphiql\">"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );

    let sources: Vec<&str> = html
        .split("<script")
        .skip(1)
        .map(|tag| {
            assert!(
                tag.trim_start().starts_with("src=\""),
                "an inline script: {tag}"
            );
            tag.split('"').nth(1).unwrap()
        })
        .collect();
    assert_eq!(sources.len(), 4, "{html}");
    let styles: Vec<&str> = html
        .split("<link rel=\"stylesheet\" href=\"")
        .skip(1)
        .map(|tag| tag.split('"').next().unwrap())
        .collect();
    for (url, kind) in sources
        .iter()
        .map(|s| (s, "text/javascript"))
        .chain(styles.iter().map(|s| (s, "text/css")))
    {
        assert!(url.starts_with("/graphiql/"), "not served from here: {url}");
        let asset = app
            .client
            .get(format!("{}{url}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(asset.status(), 200, "{url}");
        let content_type = asset.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
        assert!(content_type.starts_with(kind), "{url}: {content_type}");
        assert!(
            asset.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age=31536000"),
            "{url}"
        );
        assert!(!asset.bytes().await.unwrap().is_empty());
    }
    assert!(sources.iter().any(|s| s.contains("graphiql@3.9.0")));
    assert!(styles.iter().any(|s| s.contains("graphiql@3.9.0")));
    let unknown = app
        .client
        .get(format!(
            "{}/graphiql/graphiql@0.0.1/graphiql.min.js",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let generated = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert!(!generated.headers()["x-request-id"].is_empty());
    let echoed = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-me-42");
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app().await;
    let health = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let ready = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);

    app.admin("query MetricsProbe { me { role } }", json!({}))
        .await
        .data();
    app.gql(None, "query MetricsProbe { me { role } }", json!({}))
        .await;
    let metrics = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains(r#"graphql_requests_total{operation="MetricsProbe"}"#),
        "{text}"
    );
    assert!(
        text.contains("graphql_request_duration_seconds_bucket{operation=\"MetricsProbe\""),
        "{text}"
    );
    assert!(
        text.contains(r#"graphql_errors_total{code="UNAUTHENTICATED"}"#),
        "{text}"
    );
    assert!(
        text.contains("http_requests_total{method=\"POST\",route=\"/graphql\",status=\"200\"}"),
        "{text}"
    );
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.close_by_ref().await.unwrap();
    let ready = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
}
