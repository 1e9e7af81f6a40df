//! Prometheus metrics: HTTP requests and latency by method, route and status, GraphQL
//! operations and latency by operation name, GraphQL errors by code; the business metrics
//! the domain records (`agencyflow_graphql::domain::metrics`) through the same recorder.
//! The README lists every metric and label.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument};
use async_graphql::{ServerResult, Variables};
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Jobs take from milliseconds (nothing due) to an hour (a night's work on a large book).
const JOB_BUCKETS: &[f64] = &[0.01, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0];

/// The process-wide recorder, installed on first use (a process has one global recorder).
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("_duration_seconds".into()),
                    LATENCY_BUCKETS,
                )
                .expect("latency buckets are not empty")
                .set_buckets_for_metric(
                    Matcher::Full("job_run_duration_seconds".into()),
                    JOB_BUCKETS,
                )
                .expect("job buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; ours then stays unused.
            drop(metrics::set_global_recorder(recorder));
            handle
        })
        .clone()
}

/// Axum middleware: counts and times every HTTP request by method, route template and
/// status.
pub async fn track_http(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Where the parsed document's operation name is left for the HTTP handler.
#[derive(Clone, Default)]
pub struct OperationSlot(Arc<Mutex<Option<String>>>);

impl OperationSlot {
    pub fn name(&self) -> Option<String> {
        self.0.lock().ok().and_then(|name| name.clone())
    }
}

/// GraphQL extension that names the operation once the document is parsed.
pub struct OperationName;

impl ExtensionFactory for OperationName {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationNameExtension)
    }
}

struct OperationNameExtension;

#[async_trait::async_trait]
impl Extension for OperationNameExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let Some(slot) = ctx.data_opt::<OperationSlot>() {
            let name = match &document.operations {
                DocumentOperations::Single(_) => None,
                DocumentOperations::Multiple(operations) if operations.len() == 1 => {
                    operations.keys().next().map(|n| n.to_string())
                }
                DocumentOperations::Multiple(_) => None,
            };
            if let (Some(name), Ok(mut guard)) = (name, slot.0.lock()) {
                *guard = Some(name);
            }
        }
        Ok(document)
    }
}

/// Distinct operation names the metrics keep; names beyond them count as `other`, so
/// clients cannot grow the label set (and the exporter's memory) without bound.
const MAX_OPERATION_LABELS: usize = 200;

fn operation_label(name: &str) -> String {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let well_formed = (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !well_formed {
        return "other".to_owned();
    }
    let mut seen = SEEN
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if seen.contains(name) || seen.len() < MAX_OPERATION_LABELS {
        seen.insert(name.to_owned());
        name.to_owned()
    } else {
        "other".to_owned()
    }
}

/// Records one GraphQL operation: count, latency and each error's code.
pub fn record_operation<'a>(
    operation: &str,
    elapsed_secs: f64,
    error_codes: impl Iterator<Item = &'a str>,
) {
    let operation = operation_label(operation);
    metrics::counter!("graphql_requests_total", "operation" => operation.clone()).increment(1);
    metrics::histogram!("graphql_request_duration_seconds", "operation" => operation)
        .record(elapsed_secs);
    for code in error_codes {
        metrics::counter!("graphql_errors_total", "code" => code.to_owned()).increment(1);
    }
}

#[cfg(test)]
mod tests {
    use super::operation_label;

    #[test]
    fn operation_labels_are_bounded() {
        assert_eq!(operation_label("Me"), "Me");
        assert_eq!(operation_label("drop table; --"), "other");
        assert_eq!(operation_label(&"x".repeat(65)), "other");
        for i in 0..300 {
            operation_label(&format!("Flood{i}"));
        }
        assert_eq!(operation_label("Flood299"), "other");
        assert_eq!(operation_label("Me"), "Me");
    }
}
