//! Logging: an EnvFilter (RUST_LOG wins over config) and pretty or JSON output on stderr.
//!
//! Every line logged while a request is handled carries its `request_id`: pretty lines in
//! the request span's context (`request{… request_id=…}: …`), JSON lines as a top-level
//! `request_id` field, whichever span inside the request the event comes from. Pretty lines
//! are coloured only when stderr is a terminal.

use std::fmt;
use std::io::IsTerminal;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{self as log_fmt, FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Layer, prelude::*};

use crate::config::{LogFormat, LogSettings};

/// The span field that names the request.
const REQUEST_ID: &str = "request_id";

/// Installs the global subscriber. Later calls (as in tests) leave the first one in place.
pub fn init(settings: &LogSettings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(RememberRequestIds);
    let result = match settings.format {
        LogFormat::Pretty => registry
            .with(
                log_fmt::layer()
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_writer(std::io::stderr),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                log_fmt::layer()
                    .event_format(WithRequestId(
                        log_fmt::format()
                            .json()
                            .with_current_span(true)
                            .with_span_list(false),
                    ))
                    .fmt_fields(JsonFields::new())
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
    drop(result);
}

/// A span's request id, kept in the span's extensions.
struct RequestId(String);

/// Remembers the `request_id` field of every span that has one.
struct RememberRequestIds;

impl<S> Layer<S> for RememberRequestIds
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut found = FindRequestId(None);
        attrs.record(&mut found);
        if let (Some(request_id), Some(span)) = (found.0, ctx.span(id)) {
            span.extensions_mut().insert(RequestId(request_id));
        }
    }
}

struct FindRequestId(Option<String>);

impl Visit for FindRequestId {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == REQUEST_ID && !value.is_empty() {
            self.0 = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == REQUEST_ID {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

/// A JSON event format that puts the request id of the nearest enclosing span that has
/// one first on the line.
struct WithRequestId<F>(F);

impl<S, N, F> FormatEvent<S, N> for WithRequestId<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let request_id = ctx.event_scope().and_then(|scope| {
            scope
                .into_iter()
                .find_map(|span| span.extensions().get::<RequestId>().map(|id| id.0.clone()))
        });
        let Some(request_id) = request_id else {
            return self.0.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        let rest = line.strip_prefix('{').ok_or(fmt::Error)?;
        write!(
            writer,
            "{{\"{REQUEST_ID}\":{},{rest}",
            serde_json::Value::from(request_id)
        )
    }
}
