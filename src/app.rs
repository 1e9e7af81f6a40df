//! The runnable service: database, schema, HTTP server, graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use agencyflow_graphql::api::DocumentRules;
use agencyflow_graphql::domain::clock::Clock;
use agencyflow_graphql::domain::finance::reconciliation::ReconcileSettings;
use agencyflow_graphql::domain::intake::NationalIdKey;
use agencyflow_graphql::domain::jobs::runner::JobContext;
use agencyflow_graphql::domain::jobs::store;
use agencyflow_graphql::domain::webhook_targets;
use agencyflow_graphql::{SchemaSettings, build_schema};
use async_graphql::extensions::Tracing;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::db;
use crate::http::metrics::OperationName;
use crate::http::session::SessionCookies;
use crate::http::sso::SingleSignOn;
use crate::http::{AppState, metrics, router};
use crate::scheduler::Scheduler;

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    shutdown_grace: Duration,
    scheduler: Option<Scheduler>,
}

impl Application {
    /// Connects, applies migrations and binds the listener.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let db = db::connect(&settings.database).await?;
        db::migrate(&db).await?;
        Self::with_database(settings, db).await
    }

    /// On a migrated database, with the clock the settings ask for.
    pub async fn with_database(
        settings: &Settings,
        db: DatabaseConnection,
    ) -> anyhow::Result<Self> {
        Self::with_clock(settings, db, settings.clock()?).await
    }

    /// On a migrated database, with the given service clock (the simulator passes its own
    /// `ManualClock`). With a manual clock the scheduler loop is not started: time, and so
    /// the jobs, move only through `advanceClock`.
    pub async fn with_clock(
        settings: &Settings,
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let addr = settings.bind_addr()?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|err| anyhow::anyhow!("server.bind: cannot listen on {addr}: {err}"))?;
        Self::on_listener(settings, db, clock, listener).await
    }

    /// [`Self::with_clock`] on a listener bound already (`server.bind` is not read): the
    /// tests bind first, so that `sign_in.public_url` can name the address.
    pub async fn on_listener(
        settings: &Settings,
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let graphql = &settings.graphql;
        let dispatch = settings.webhooks.dispatch();
        let http = webhook_targets::client(&dispatch.targets)?;
        store::seed(&db, &settings.job_defaults()?, clock.now()).await?;
        let jobs = job_context(settings, db.clone(), http.clone(), runner_name())?;
        let identity = settings.sign_in.identity()?;
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
            clock.clone(),
            jobs.runner.clone(),
        )
        .data(http)
        .data(dispatch)
        .data(jobs.clone())
        .data(settings.security.token_lifetime())
        .data(identity.clone())
        .extension(Tracing)
        .extension(OperationName)
        .finish();
        let scheduler = match clock.manual() {
            Some(manual) => {
                tracing::warn!(
                    now = %manual.now(),
                    "the service clock is manual: it stands still until advanceClock moves it, \
                     and the scheduled jobs run only then"
                );
                None
            }
            None => settings.scheduler.enabled.then(|| Scheduler {
                jobs: jobs.clone(),
                clock: clock.clone(),
            }),
        };
        let state = AppState {
            db,
            schema,
            clock,
            metrics: metrics::handle(),
            graphiql: graphql.graphiql,
            documents: DocumentRules {
                max_selections: graphql.max_selections,
                anonymous_introspection: graphql.anonymous_introspection,
            },
            upload_limit_bytes: settings.server.upload_limit_bytes,
            identity,
            cookies: SessionCookies {
                policy: settings.sign_in.cookie()?,
                client_address_header: settings.sign_in.client_address_header()?,
                max_age_secs: i64::from(settings.sign_in.session_lifetime_hours) * 3600,
            },
            sso: match settings.sso.config(&settings.sign_in.public_url)? {
                Some(config) => Some(Arc::new(SingleSignOn::new(config)?)),
                None => None,
            },
        };
        Ok(Self {
            listener,
            router: router(state, &settings.server, crate::console::router()),
            shutdown_grace: Duration::from_secs(settings.server.shutdown_grace_secs),
            scheduler,
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
        let scheduler = self.scheduler.map(|s| tokio::spawn(s.run()));
        let server = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
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
        if let Some(scheduler) = scheduler {
            scheduler.abort();
        }
        served
    }
}

/// What the jobs of a process need, from the settings.
pub fn job_context(
    settings: &Settings,
    db: DatabaseConnection,
    http: reqwest::Client,
    runner: String,
) -> anyhow::Result<JobContext> {
    Ok(JobContext {
        db,
        http,
        dispatch: settings.webhooks.dispatch(),
        idle_days: settings.compliance.idle_days,
        scores: settings.scores()?,
        buckets: settings.allocation.dpd_buckets.clone(),
        reconcile: ReconcileSettings {
            window: chrono::Duration::days(settings.finance.match_window_days.into()),
            tail: chrono::Duration::days(settings.reporting.payment_tail_days.into()),
            close_day: settings.finance.close_day,
        },
        stale_after: chrono::Duration::seconds(settings.scheduler.stale_after_secs as i64),
        keep_runs: chrono::Duration::days(settings.scheduler.keep_runs_days.into()),
        runner,
    })
}

/// This process, as job runs record it: host name and process id.
fn runner_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}:{}", std::process::id())
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
