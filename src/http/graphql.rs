//! `POST /graphql` per the GraphQL over HTTP spec (GraphiQL, on `GET`, is in `graphiql`).
//!
//! - The answer's media type is negotiated from `Accept` (406 when neither JSON type
//!   is acceptable); a body that is neither JSON nor multipart is 415.
//! - Under `application/graphql-response+json` a request error (unparsable body,
//!   invalid document, nothing executed) is 400 without `data`; under
//!   `application/json` it is 200. A body over the limit is 413.
//! - A multipart request (file upload) without a valid token is 401 before its body
//!   is read, since async-graphql stores the files before any resolver can refuse them.
//! - Every error leaves with `extensions.code`; INTERNAL ones also carry the request id.

use std::time::Instant;

use agencyflow_graphql::AppError;
use agencyflow_graphql::api::{Auth, Loaders, RequestMeta};
use agencyflow_graphql::domain::Actor;
use agencyflow_graphql::domain::identity::sessions;
use agencyflow_graphql::domain::tokens;
use agencyflow_graphql::error::AppResult;
use async_graphql::http::MultipartOptions;
use async_graphql::{ErrorExtensionValues, ErrorExtensions, ServerError, Value};
use axum::BoxError;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use http_body_util::LengthLimitError;
use tokio_util::compat::TokioAsyncReadCompatExt;
use tokio_util::io::StreamReader;

use super::AppState;
use super::limits::is_multipart;
use super::metrics::{OperationSlot, record_operation};
use super::negotiate::{ResponseType, negotiate};
use super::request_id;
use crate::db;

/// Files one multipart request may carry.
const MAX_UPLOADS: usize = 4;

pub async fn execute(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let Some(response_type) = negotiate(accept) else {
        return request_error(
            ResponseType::Json,
            StatusCode::NOT_ACCEPTABLE,
            "the response can be application/graphql-response+json or application/json; the Accept header allows neither",
        );
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if !content_type.is_some_and(is_supported_content_type) {
        return request_error(
            response_type,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as application/json (or multipart/form-data for uploads)",
        );
    }
    let request_id = request_id::of(&parts.headers);
    // The one reading of the clock for this request: everything it does happens now.
    let now = state.clock.now();
    let auth = match authenticate(&state, &parts.headers, response_type, now).await {
        Ok(auth) => auth,
        Err(response) => return response,
    };
    // Files are stored before any resolver runs: only known callers may send them.
    if is_multipart(&parts.headers) && !matches!(auth, Auth::Authenticated(_)) {
        let mut refused = request_error(
            response_type,
            StatusCode::UNAUTHORIZED,
            "uploads need a valid 'Authorization: Bearer <token>' header",
        );
        refused
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return refused;
    }

    let reader = StreamReader::new(body.into_data_stream().map_err(std::io::Error::other));
    let mut gql_request = match async_graphql::http::receive_body(
        content_type,
        reader.compat(),
        MultipartOptions::default()
            .max_file_size(state.upload_limit_bytes)
            .max_num_files(MAX_UPLOADS),
    )
    .await
    {
        Ok(request) => request,
        Err(err) => {
            let status = if is_too_large(&err) {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            return request_error(
                response_type,
                status,
                &format!("malformed GraphQL request: {err}"),
            );
        }
    };
    let slot = OperationSlot::default();
    let requested_operation = gql_request.operation_name.clone();
    // Before async-graphql's own checks, whose cost grows with the expanded document. An
    // unparsable document is left to `execute`, which reports it.
    let refusal = gql_request.parsed_query().ok().and_then(|document| {
        let authenticated = matches!(auth, Auth::Authenticated(_));
        state.documents.check(document, authenticated).err()
    });
    let gql_request = gql_request
        .data(RequestMeta {
            auth,
            request_id: request_id.clone(),
            now,
        })
        .data(Loaders::new(&state.db))
        .data(slot.clone());

    let started = Instant::now();
    let mut response = match refusal {
        Some(refusal) => async_graphql::Response::from_errors(vec![request_error_of(refusal)]),
        None => state.schema.execute(gql_request).await,
    };
    let operation = requested_operation
        .or_else(|| slot.name())
        .unwrap_or_else(|| "anonymous".to_owned());
    tracing::Span::current().record("operation", operation.as_str());

    for error in &mut response.errors {
        ensure_code(error, &request_id);
    }
    record_operation(
        &operation,
        started.elapsed().as_secs_f64(),
        response.errors.iter().map(code_of),
    );

    let is_request_error = response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let (status, body) = if is_request_error && response_type == ResponseType::GraphqlResponseJson {
        (
            StatusCode::BAD_REQUEST,
            serde_json::json!({ "errors": response.errors }),
        )
    } else {
        (
            StatusCode::OK,
            serde_json::to_value(&response).unwrap_or_default(),
        )
    };
    json_response(response_type, status, &body)
}

/// Resolves the bearer token or, without one, the session cookie, judging expiry at
/// `now`. A request with the session cookie must come from the service's own pages (it
/// may change state: a cross-site one is refused 403). A database failure here is a 500,
/// not a silent anonymous.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    response_type: ResponseType,
    now: DateTime<Utc>,
) -> Result<Auth, Response> {
    let identity = &state.identity;
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        let Some(secret) = state.cookies.secret(headers) else {
            return Ok(Auth::Anonymous);
        };
        if !state.cookies.is_same_origin(headers) {
            return Err(forbidden(
                response_type,
                "cross-site request refused: a request signed in with the session cookie must come from this service's pages (Origin or Sec-Fetch-Site); other clients send an 'Authorization: Bearer <token>' header",
            ));
        }
        let looked_up = retry_once_on_dropped_connection(|| {
            sessions::authenticate(&state.db, &secret, now, identity.sessions, &identity.mfa)
        })
        .await;
        return resolved(looked_up).ok_or_else(|| internal(response_type));
    };
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    let Some(secret) = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, secret)| secret.trim())
    else {
        return Ok(Auth::Invalid);
    };
    let looked_up = retry_once_on_dropped_connection(|| {
        tokens::authenticate(&state.db, secret, now, &identity.mfa)
    })
    .await;
    resolved(looked_up).ok_or_else(|| internal(response_type))
}

/// Runs a credential lookup, and once more if the database dropped the pooled connection.
async fn retry_once_on_dropped_connection<F, Fut>(lookup: F) -> AppResult<Option<Actor>>
where
    F: Fn() -> Fut,
    Fut: Future<Output = AppResult<Option<Actor>>>,
{
    match lookup().await {
        Err(AppError::Db(err)) if db::is_dropped_connection(&err) => {
            tracing::warn!(error = %err, "the database dropped a pooled connection; looking the credentials up again");
            lookup().await
        }
        looked_up => looked_up,
    }
}

/// What a lookup found; `None` when it failed (logged here).
fn resolved(looked_up: AppResult<Option<Actor>>) -> Option<Auth> {
    match looked_up {
        Ok(Some(actor)) => Some(Auth::Authenticated(actor)),
        Ok(None) => Some(Auth::Invalid),
        Err(err) => {
            tracing::error!(error = ?err, "credential lookup failed");
            None
        }
    }
}

fn internal(response_type: ResponseType) -> Response {
    request_error(
        response_type,
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error",
    )
}

fn forbidden(response_type: ResponseType, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": "FORBIDDEN" } }]
    });
    json_response(response_type, StatusCode::FORBIDDEN, &body)
}

fn is_supported_content_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence == "multipart/form-data"
}

/// Whether reading the body failed on the size limit, here or in the multipart parser.
fn is_too_large(err: &async_graphql::ParseRequestError) -> bool {
    use async_graphql::ParseRequestError as E;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = match err {
        E::PayloadTooLarge => return true,
        E::Io(io) => io.get_ref().map(|inner| inner as _),
        _ => None,
    };
    while let Some(error) = cause {
        if error.is::<LengthLimitError>() {
            return true;
        }
        cause = error.source();
    }
    false
}

/// Gives the plain-text or empty answers of the size limit (413) and the timeout (503) a
/// GraphQL error body, so every error a client sees carries `extensions.code`.
pub async fn error_bodies<B>(response: axum::http::Response<B>) -> Response
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/"));
    if is_json {
        return response.map(Body::new);
    }
    let message = match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is larger than the server accepts",
        StatusCode::SERVICE_UNAVAILABLE => "the request took longer than the server allows",
        _ => return response.map(Body::new),
    };
    request_error(ResponseType::Json, response.status(), message)
}

/// Parse, validation and limit errors come from async-graphql without a code: they
/// are the client's to fix. INTERNAL errors get the request id to quote to support.
fn ensure_code(error: &mut ServerError, request_id: &str) {
    let extensions = error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default);
    if extensions.get("code").is_none() {
        extensions.set("code", "BAD_USER_INPUT");
    }
    if extensions.get("code") == Some(&Value::from("INTERNAL")) {
        extensions.set("requestId", request_id);
    }
}

/// An error of the whole request, with its code and no location.
fn request_error_of(error: AppError) -> ServerError {
    let error = error.extend();
    let mut server_error = ServerError::new(error.message, None);
    server_error.extensions = error.extensions;
    server_error
}

fn code_of(error: &ServerError) -> &str {
    match error.extensions.as_ref().and_then(|e| e.get("code")) {
        Some(Value::String(code)) => code.as_str(),
        _ => "BAD_USER_INPUT",
    }
}

fn request_error(response_type: ResponseType, status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code_for_status(status) } }]
    });
    json_response(response_type, status, &body)
}

fn code_for_status(status: StatusCode) -> &'static str {
    if status.is_server_error() {
        "INTERNAL"
    } else if status == StatusCode::UNAUTHORIZED {
        "UNAUTHENTICATED"
    } else {
        "BAD_USER_INPUT"
    }
}

fn json_response(
    response_type: ResponseType,
    status: StatusCode,
    body: &serde_json::Value,
) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    let media_type = format!("{}; charset=utf-8", response_type.media_type());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&media_type).expect("media types are ASCII"),
    );
    response
}
