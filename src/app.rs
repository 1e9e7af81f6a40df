//! The runnable service: database, schema, HTTP server, graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use agencyflow_graphql::domain::intake::NationalIdKey;
use agencyflow_graphql::{SchemaSettings, build_schema};
use async_graphql::extensions::Tracing;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::db;
use crate::http::metrics::OperationName;
use crate::http::{AppState, metrics, router};
use crate::webhook_dispatcher::Dispatcher;

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    shutdown_grace: Duration,
    dispatcher: Option<Dispatcher>,
}

impl Application {
    /// Connects, applies migrations and binds the listener.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let db = db::connect(&settings.database).await?;
        db::migrate(&db).await?;
        Self::with_database(settings, db).await
    }

    pub async fn with_database(
        settings: &Settings,
        db: DatabaseConnection,
    ) -> anyhow::Result<Self> {
        let graphql = &settings.graphql;
        let dispatch = settings.webhooks.dispatch();
        let http = reqwest::Client::builder()
            .user_agent(concat!("agencyflow/", env!("CARGO_PKG_VERSION")))
            // A redirect would turn the POST into a GET without the event: a 3xx is a failure.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let schema = build_schema(
            db.clone(),
            SchemaSettings {
                dpd_buckets: settings.allocation.dpd_buckets.clone(),
                default_page_size: graphql.default_page_size,
                max_page_size: graphql.max_page_size,
                max_depth: graphql.max_depth,
                max_complexity: graphql.max_complexity,
                reporting: settings.reporting()?,
                idle_days: settings.compliance.idle_days,
            },
            NationalIdKey::new(settings.security.national_id_key.clone()),
        )
        .data(http.clone())
        .data(dispatch.clone())
        .extension(Tracing)
        .extension(OperationName)
        .finish();
        let dispatcher = (settings.webhooks.dispatch_interval_secs > 0).then(|| Dispatcher {
            db: db.clone(),
            http,
            settings: dispatch,
            every: Duration::from_secs(settings.webhooks.dispatch_interval_secs),
        });
        let state = AppState {
            db,
            schema,
            metrics: metrics::handle(),
            graphiql: graphql.graphiql,
            upload_limit_bytes: settings.server.upload_limit_bytes,
        };
        let addr = settings.bind_addr()?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|err| anyhow::anyhow!("server.bind: cannot listen on {addr}: {err}"))?;
        Ok(Self {
            listener,
            router: router(state, &settings.server),
            shutdown_grace: Duration::from_secs(settings.server.shutdown_grace_secs),
            dispatcher,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish
    /// within the configured grace period.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let dispatcher = self.dispatcher.map(|d| tokio::spawn(d.run()));
        let server = axum::serve(self.listener, self.router).with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_tx.send(());
        });
        let grace = self.shutdown_grace;
        let served = tokio::select! {
            result = server => result.map_err(Into::into),
            () = async move {
                if stop_rx.await.is_ok() {
                    tokio::time::sleep(grace).await;
                } else {
                    std::future::pending::<()>().await;
                }
            } => {
                tracing::warn!("requests still running after the shutdown grace period; stopping");
                Ok(())
            }
        };
        if let Some(dispatcher) = dispatcher {
            dispatcher.abort();
        }
        served
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; draining requests");
}
