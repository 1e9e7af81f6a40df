//! How large and how slow a request may be. Ordinary requests get
//! `server.body_limit_bytes` and `server.request_timeout_secs`; multipart requests (file
//! uploads, such as `importAccountsCsv`) get the larger `server.upload_limit_bytes` and
//! `server.upload_timeout_secs`. A larger body is 413, a slower request 503. The limits
//! are chosen per request and enforced by tower-http's own layers.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::config::ServerSettings;

#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub bytes: usize,
    pub time: Duration,
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub request: Limit,
    pub upload: Limit,
}

impl Limits {
    pub fn new(settings: &ServerSettings) -> Self {
        Self {
            request: Limit {
                bytes: settings.body_limit_bytes,
                time: Duration::from_secs(settings.request_timeout_secs),
            },
            upload: Limit {
                bytes: settings.upload_limit_bytes,
                time: Duration::from_secs(settings.upload_timeout_secs),
            },
        }
    }

    fn for_request(&self, headers: &HeaderMap) -> Limit {
        if is_multipart(headers) {
            self.upload
        } else {
            self.request
        }
    }
}

pub fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// Middleware: runs the rest of the stack under the request's size and time limits.
pub async fn enforce(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    let limit = limits.for_request(request.headers());
    let answer = ServiceBuilder::new()
        .layer(RequestBodyLimitLayer::new(limit.bytes))
        .map_request(|request: Request<_>| request.map(Body::new))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            limit.time,
        ))
        .service(next)
        .oneshot(request)
        .await;
    match answer {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_requests_get_the_upload_limits() {
        let limits = Limits {
            request: Limit {
                bytes: 10,
                time: Duration::from_secs(1),
            },
            upload: Limit {
                bytes: 1000,
                time: Duration::from_secs(100),
            },
        };
        let mut headers = HeaderMap::new();
        assert_eq!(limits.for_request(&headers).bytes, 10);
        headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        assert_eq!(limits.for_request(&headers).bytes, 10);
        headers.insert(
            header::CONTENT_TYPE,
            "Multipart/Form-Data; boundary=x".parse().unwrap(),
        );
        assert_eq!(limits.for_request(&headers).bytes, 1000);
        assert_eq!(limits.for_request(&headers).time, Duration::from_secs(100));
    }
}
