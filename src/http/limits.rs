//! How large and how slow a request may be. Ordinary requests get
//! `server.body_limit_bytes` and `server.request_timeout_secs`; multipart requests (file
//! uploads, such as `importAccountsCsv`) get the larger `server.upload_limit_bytes` and
//! `server.upload_timeout_secs`. A larger body is 413, a slower request 503. The limits
//! are chosen per request and enforced by tower-http's own layers. The request runs in a
//! task of its own, so its timeout fires even while it computes without yielding.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::task::JoinError;
use tokio_util::task::AbortOnDropHandle;
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tracing::Instrument;

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
        .service(service_fn(move |request| {
            in_own_task(next.clone(), request)
        }))
        .oneshot(request)
        .await;
    match answer {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

/// Runs the rest of the stack in its own task, in the request's span. When the timeout
/// gives up on it, the task is aborted (at its next await point).
async fn in_own_task(next: Next, request: Request) -> Result<Response, Infallible> {
    let task = AbortOnDropHandle::new(tokio::spawn(
        next.run(request).instrument(tracing::Span::current()),
    ));
    Ok(answer(task.await))
}

/// The task's response; 503 when it was cancelled, which the runtime does to every task
/// when it shuts down. A panic goes on unwinding.
fn answer(ended: Result<Response, JoinError>) -> Response {
    match ended {
        Ok(response) => response,
        Err(err) => match err.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_cancelled) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use axum::routing::get;
    use axum::{Router, middleware};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_that_never_yields_still_times_out() {
        let limit = Limit {
            bytes: 1024,
            time: Duration::from_millis(200),
        };
        let limits = Limits {
            request: limit,
            upload: limit,
        };
        let blocking = || async {
            std::thread::sleep(Duration::from_secs(2));
            "done"
        };
        let app = Router::new()
            .route("/", get(blocking))
            .layer(middleware::from_fn_with_state(limits, enforce));
        let started = Instant::now();
        let response = app
            .oneshot(Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn a_cancelled_request_task_is_answered_503() {
        let task = tokio::spawn(std::future::pending::<Response>());
        task.abort();
        let ended = task.await;
        assert!(ended.as_ref().is_err_and(JoinError::is_cancelled));
        assert_eq!(answer(ended).status(), StatusCode::SERVICE_UNAVAILABLE);
    }

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
