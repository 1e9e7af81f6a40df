//! Settings: built-in defaults, config files, environment, then CLI flags.
//! Validated once at start; an error names the key at fault.

mod sign_in;
mod sso;

pub use sign_in::{CookiePolicy, SignInSettings};
pub use sso::{CALLBACK_PATH, SsoConfig, SsoSettings};

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use std::collections::BTreeMap;

use agencyflow_graphql::api::MAX_DEFAULT_PAGE_SIZE;
use agencyflow_graphql::domain::allocation::segment::{self, DpdBucket};
use agencyflow_graphql::domain::clock::{Clock, ManualClock, SystemClock};
use agencyflow_graphql::domain::compliance::{Policies, Policy};
use agencyflow_graphql::domain::intake::MIN_KEY_BYTES;
use agencyflow_graphql::domain::jobs::store::JobDefault;
use agencyflow_graphql::domain::jobs::{JobName, schedule};
use agencyflow_graphql::domain::performance::{IncidentPoints, ScoreSettings, Weights};
use agencyflow_graphql::domain::reporting::ReportingSettings;
use agencyflow_graphql::domain::tokens::TokenLifetime;
use agencyflow_graphql::domain::webhook_targets::TargetPolicy;
use agencyflow_graphql::domain::webhooks::DispatchSettings;
use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

const DEFAULTS: &str = include_str!("../config/default.toml");
/// Longest idle threshold: a year, beyond any placement period.
const MAX_IDLE_DAYS: u32 = 365;
/// Longest token lifetime that may be configured: ten years.
const MAX_TOKEN_LIFETIME_DAYS: u32 = 3_650;

#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub graphql: GraphqlSettings,
    pub log: LogSettings,
    pub security: SecuritySettings,
    pub sign_in: SignInSettings,
    pub sso: SsoSettings,
    pub allocation: AllocationSettings,
    pub webhooks: WebhookSettings,
    pub reporting: ReportingConfig,
    pub compliance: ComplianceSettings,
    pub scheduler: SchedulerSettings,
    pub performance: PerformanceConfig,
    pub finance: FinanceSettings,
    pub clock: ClockSettings,
}

/// `[clock]`: the service clock.
#[derive(Clone, Debug, Deserialize)]
pub struct ClockSettings {
    /// A manual clock (sandboxes, simulations): it stands still until `advanceClock` moves
    /// it, and the scheduler loop does not run.
    pub manual: bool,
    /// Where a manual clock starts (RFC 3339); the real time at start when absent.
    pub start: Option<String>,
}

/// `[finance]`: reconciliation and the monthly close.
#[derive(Clone, Debug, Deserialize)]
pub struct FinanceSettings {
    /// Days a ledger entry may arrive before or after the payment it matches.
    pub match_window_days: u32,
    /// The day of the following month a period's books close: statements wait for it.
    pub close_day: u32,
}

/// `[performance]`: how figures become a score (DOMAIN defaults).
#[derive(Clone, Debug, Deserialize)]
pub struct PerformanceConfig {
    pub recovery_targets_bp: BTreeMap<String, u32>,
    pub weights: Weights,
    pub incident_points: IncidentPoints,
    pub compliance_tolerance_per_1000: u32,
    pub min_accounts: i64,
    pub min_days: i64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SchedulerSettings {
    /// Run the scheduled jobs in this process.
    pub enabled: bool,
    pub stale_after_secs: u64,
    pub keep_runs_days: u32,
    /// Each job's cron expression and whether it runs, by job name.
    pub jobs: BTreeMap<String, JobSetting>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct JobSetting {
    pub cron: String,
    pub enabled: bool,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ReportingConfig {
    pub max_batch: usize,
    pub payment_tail_days: u32,
    pub clock_skew_secs: u32,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ComplianceSettings {
    /// Days an ACTIVE placement may go without reported activity before the idle watch
    /// raises an incident.
    pub idle_days: u32,
    /// Contact-compliance policies by region code, with `default` for the rest.
    pub policies: BTreeMap<String, Policy>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct WebhookSettings {
    pub max_attempts: i32,
    pub base_delay_secs: u64,
    pub max_delay_secs: u64,
    pub timeout_secs: u64,
    pub batch: u64,
    /// Hosts that may be sent webhooks over plain http (development).
    #[serde(default)]
    pub allow_http_hosts: Vec<String>,
    /// Hosts exempt from the refusal of internal addresses (development, tests).
    #[serde(default)]
    pub allow_private_hosts: Vec<String>,
}

impl WebhookSettings {
    pub fn dispatch(&self) -> DispatchSettings {
        DispatchSettings {
            max_attempts: self.max_attempts,
            base_delay: Duration::from_secs(self.base_delay_secs),
            max_delay: Duration::from_secs(self.max_delay_secs),
            timeout: Duration::from_secs(self.timeout_secs),
            batch: self.batch,
            targets: TargetPolicy {
                allow_http_hosts: self.allow_http_hosts.clone(),
                allow_private_hosts: self.allow_private_hosts.clone(),
            },
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct AllocationSettings {
    pub dpd_buckets: Vec<DpdBucket>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ServerSettings {
    pub bind: String,
    pub body_limit_bytes: usize,
    pub request_timeout_secs: u64,
    /// Multipart (file upload) requests get these limits instead of the two above.
    pub upload_limit_bytes: usize,
    pub upload_timeout_secs: u64,
    pub shutdown_grace_secs: u64,
    /// Log every response at INFO (else at DEBUG, hidden by the usual filters).
    pub log_requests: bool,
}

#[derive(Clone, Debug, Deserialize)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
    pub min_connections: u32,
    pub connect_timeout_secs: u64,
    pub sqlite_busy_timeout_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct GraphqlSettings {
    pub default_page_size: u64,
    pub max_page_size: u64,
    pub max_depth: usize,
    pub max_complexity: usize,
    /// The most fields a document may select once its fragments are expanded.
    pub max_selections: usize,
    /// Answer `__schema` and `__type` without a valid token.
    pub anonymous_introspection: bool,
    pub graphiql: bool,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone, Debug, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SecuritySettings {
    /// The key of the national-ID hash (HMAC-SHA256). Changing it makes every stored
    /// hash unmatchable.
    pub national_id_key: SecretString,
    /// Days a token lives when its creator asks for no expiry.
    pub token_lifetime_days: u32,
    /// The longest a token may live, in days from its creation.
    pub max_token_lifetime_days: u32,
}

impl SecuritySettings {
    pub fn token_lifetime(&self) -> TokenLifetime {
        TokenLifetime {
            default: chrono::Duration::days(self.token_lifetime_days.into()),
            max: chrono::Duration::days(self.max_token_lifetime_days.into()),
        }
    }
}

impl Settings {
    /// Loads the layered configuration for `AGENCYFLOW_ENV` (default `development`) from
    /// `AGENCYFLOW_CONFIG_DIR` (default `./config`).
    pub fn load() -> anyhow::Result<Self> {
        let environment =
            std::env::var("AGENCYFLOW_ENV").unwrap_or_else(|_| "development".to_owned());
        let dir = std::env::var("AGENCYFLOW_CONFIG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from("config"));
        Self::load_from(&environment, &dir)
    }

    pub fn load_from(environment: &str, dir: &std::path::Path) -> anyhow::Result<Self> {
        if !matches!(environment, "development" | "test" | "production") {
            bail!("AGENCYFLOW_ENV: '{environment}' is not one of development, test, production");
        }
        // DATABASE_URL is the common convention; AGENCYFLOW__DATABASE__URL, being more
        // specific, wins when both are set.
        let database_url = std::env::var("DATABASE_URL")
            .ok()
            .filter(|_| std::env::var("AGENCYFLOW__DATABASE__URL").is_err());
        let settings: Settings = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(File::from(dir.join("default.toml")).required(false))
            .add_source(File::from(dir.join(format!("{environment}.toml"))).required(false))
            .set_override_option("database.url", database_url)?
            .add_source(
                Environment::with_prefix("AGENCYFLOW")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true),
            )
            .build()
            .context("reading configuration")?
            .try_deserialize()
            .context("configuration")?;
        settings.validate()?;
        Ok(settings)
    }

    /// What the reporting workflows need, validated: batch size, tail period, clock skew
    /// and the compliance policies.
    pub fn reporting(&self) -> anyhow::Result<ReportingSettings> {
        // Beyond 1,000 items a batch's id lists and inserts near the bind-parameter limits.
        if !(1..=1_000).contains(&self.reporting.max_batch) {
            bail!("reporting.max_batch: must be 1 to 1000");
        }
        let policies = Policies::new(self.compliance.policies.clone())
            .map_err(|err| anyhow::anyhow!("compliance.policies: {err}"))?;
        Ok(ReportingSettings {
            max_batch: self.reporting.max_batch,
            payment_tail: chrono::Duration::days(self.reporting.payment_tail_days.into()),
            clock_skew: chrono::Duration::seconds(self.reporting.clock_skew_secs.into()),
            policies,
        })
    }

    /// How figures become a score, validated; idle days come from `compliance.idle_days`.
    pub fn scores(&self) -> anyhow::Result<ScoreSettings> {
        let performance = &self.performance;
        let scores = ScoreSettings {
            recovery_targets_bp: performance.recovery_targets_bp.clone(),
            weights: performance.weights.clone(),
            incident_points: performance.incident_points.clone(),
            compliance_tolerance_per_1000: performance.compliance_tolerance_per_1000,
            min_accounts: performance.min_accounts,
            min_days: performance.min_days,
            idle_days: self.compliance.idle_days.into(),
        };
        scores
            .check()
            .map_err(|err| anyhow::anyhow!("performance.{err}"))?;
        Ok(scores)
    }

    /// Where a manual clock starts, validated: `clock.start`, if set.
    pub fn clock_start(&self) -> anyhow::Result<Option<DateTime<Utc>>> {
        let Some(start) = &self.clock.start else {
            return Ok(None);
        };
        if !self.clock.manual {
            bail!("clock.start: only a manual clock has a start; set clock.manual = true too");
        }
        DateTime::parse_from_rfc3339(start.trim())
            .map(|start| Some(start.to_utc()))
            .map_err(|err| {
                anyhow::anyhow!(
                    "clock.start: '{start}' is not an RFC 3339 instant (e.g. 2026-10-01T00:00:00Z): {err}"
                )
            })
    }

    /// The service clock the settings ask for: the system clock, or a manual one at
    /// `clock.start` (or now).
    pub fn clock(&self) -> anyhow::Result<Arc<dyn Clock>> {
        let start = self.clock_start()?;
        Ok(if self.clock.manual {
            Arc::new(ManualClock::new(start.unwrap_or_else(Utc::now)))
        } else {
            Arc::new(SystemClock)
        })
    }

    /// The configured schedule of each job, validated.
    pub fn job_defaults(&self) -> anyhow::Result<Vec<JobDefault>> {
        self.scheduler
            .jobs
            .iter()
            .map(|(name, setting)| {
                let job = name
                    .parse::<JobName>()
                    .map_err(|err| anyhow::anyhow!("scheduler.jobs.{name}: {err}"))?;
                schedule::parse("cron", &setting.cron)
                    .map_err(|err| anyhow::anyhow!("scheduler.jobs.{name}.cron: {err}"))?;
                Ok(JobDefault {
                    job,
                    cron: setting.cron.clone(),
                    enabled: setting.enabled,
                })
            })
            .collect()
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        self.bind_addr()?;
        self.sign_in.validate()?;
        self.sso.config(&self.sign_in.public_url)?;
        let url = self.database.url.expose_secret();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            bail!("database.url: expected sqlite:… or postgres://…, got a URL with another scheme");
        }
        if self.database.max_connections == 0 {
            bail!("database.max_connections: must be at least 1");
        }
        if self.database.min_connections > self.database.max_connections {
            bail!("database.min_connections: must not exceed database.max_connections");
        }
        if self.server.body_limit_bytes < 1024 {
            bail!("server.body_limit_bytes: must be at least 1024");
        }
        if self.server.request_timeout_secs == 0 {
            bail!("server.request_timeout_secs: must be at least 1");
        }
        if self.server.upload_limit_bytes < self.server.body_limit_bytes {
            bail!("server.upload_limit_bytes: must be at least server.body_limit_bytes");
        }
        if self.server.upload_timeout_secs < self.server.request_timeout_secs {
            bail!("server.upload_timeout_secs: must be at least server.request_timeout_secs");
        }
        if self.security.national_id_key.expose_secret().len() < MIN_KEY_BYTES {
            bail!(
                "security.national_id_key: must be at least {MIN_KEY_BYTES} bytes \
                 (set AGENCYFLOW__SECURITY__NATIONAL_ID_KEY, e.g. to `openssl rand -base64 48`)"
            );
        }
        let security = &self.security;
        if !(1..=security.max_token_lifetime_days).contains(&security.token_lifetime_days) {
            bail!(
                "security.token_lifetime_days: must be 1 to security.max_token_lifetime_days ({})",
                security.max_token_lifetime_days
            );
        }
        if security.max_token_lifetime_days > MAX_TOKEN_LIFETIME_DAYS {
            bail!("security.max_token_lifetime_days: must be at most {MAX_TOKEN_LIFETIME_DAYS}");
        }
        if self.graphql.default_page_size == 0 {
            bail!("graphql.default_page_size: must be at least 1");
        }
        if self.graphql.default_page_size > MAX_DEFAULT_PAGE_SIZE {
            bail!(
                "graphql.default_page_size: must be at most {MAX_DEFAULT_PAGE_SIZE} \
                 (a list without `first` is costed at that many items)"
            );
        }
        if self.graphql.max_page_size < self.graphql.default_page_size {
            bail!("graphql.max_page_size: must be at least graphql.default_page_size");
        }
        if self.graphql.max_depth < 12 {
            bail!("graphql.max_depth: must be at least 12, or GraphiQL's introspection fails");
        }
        if self.graphql.max_complexity < 500 {
            bail!(
                "graphql.max_complexity: must be at least 500, or GraphiQL's introspection fails"
            );
        }
        if self.graphql.max_selections < 500 {
            bail!(
                "graphql.max_selections: must be at least 500, or GraphiQL's introspection fails"
            );
        }
        if self.webhooks.max_attempts < 1 {
            bail!("webhooks.max_attempts: must be at least 1");
        }
        if self.webhooks.timeout_secs == 0 || self.webhooks.batch == 0 {
            bail!("webhooks.timeout_secs and webhooks.batch: must be at least 1");
        }
        if self.webhooks.max_delay_secs < self.webhooks.base_delay_secs {
            bail!("webhooks.max_delay_secs: must be at least webhooks.base_delay_secs");
        }
        self.reporting()?;
        self.job_defaults()?;
        self.clock_start()?;
        if self.scheduler.stale_after_secs == 0 || self.scheduler.keep_runs_days == 0 {
            bail!("scheduler.stale_after_secs and scheduler.keep_runs_days: must be at least 1");
        }
        if !(1..=MAX_IDLE_DAYS).contains(&self.compliance.idle_days) {
            bail!("compliance.idle_days: must be 1 to {MAX_IDLE_DAYS} days");
        }
        self.scores()?;
        if !(0..=31).contains(&self.finance.match_window_days) {
            bail!("finance.match_window_days: must be 0 to 31 days");
        }
        if !(1..=28).contains(&self.finance.close_day) {
            bail!("finance.close_day: must be a day of the month from 1 to 28");
        }
        if self.finance.close_day <= self.finance.match_window_days {
            bail!(
                "finance.close_day: must be after finance.match_window_days ({}), so the \
                 books close once the last late remittances of the month are matched",
                self.finance.match_window_days
            );
        }
        segment::check_buckets(&self.allocation.dpd_buckets)
            .map_err(|err| anyhow::anyhow!("allocation.dpd_buckets: {err}"))?;
        tracing_subscriber::EnvFilter::try_new(&self.log.filter)
            .map_err(|err| anyhow::anyhow!("log.filter: {err}"))?;
        Ok(())
    }

    pub fn bind_addr(&self) -> anyhow::Result<SocketAddr> {
        self.server
            .bind
            .parse()
            .with_context(|| format!("server.bind: '{}' is not an address:port", self.server.bind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Settings {
        Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .build()
            .unwrap()
            .try_deserialize()
            .unwrap()
    }

    #[test]
    fn built_in_defaults_are_valid() {
        let settings = defaults();
        settings.validate().unwrap();
        assert_eq!(settings.bind_addr().unwrap().port(), 8080);
        assert!(
            settings
                .database
                .url
                .expose_secret()
                .starts_with("sqlite://")
        );
        assert!(settings.clock().unwrap().manual().is_none());
        assert_eq!(settings.security.token_lifetime(), TokenLifetime::default());
    }

    #[test]
    fn a_manual_clock_starts_where_configured() {
        let mut settings = defaults();
        settings.clock.manual = true;
        settings.clock.start = Some("2026-10-01T02:00:00+02:00".into());
        settings.validate().unwrap();
        let clock = settings.clock().unwrap();
        let start = "2026-10-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(clock.manual().map(Clock::now), Some(start));
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let mut settings = defaults();
        settings.server.bind = "not-an-address".into();
        assert!(
            settings
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("server.bind")
        );

        let mut settings = defaults();
        settings.graphql.max_page_size = 1;
        assert!(
            settings
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("graphql.max_page_size")
        );

        let mut settings = defaults();
        settings.server.upload_limit_bytes = settings.server.body_limit_bytes - 1;
        assert!(
            settings
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("server.upload_limit_bytes")
        );

        let mut settings = defaults();
        settings.security.national_id_key = SecretString::from("short");
        let err = settings.validate().unwrap_err().to_string();
        assert!(err.starts_with("security.national_id_key"), "{err}");
        assert!(!err.contains("short"));

        let mut settings = defaults();
        settings.security.token_lifetime_days = settings.security.max_token_lifetime_days + 1;
        assert!(
            settings
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("security.token_lifetime_days")
        );

        let mut settings = defaults();
        settings.compliance.idle_days = 0;
        assert!(
            settings
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("compliance.idle_days")
        );

        for day in [0, 29] {
            let mut settings = defaults();
            settings.finance.close_day = day;
            let err = settings.validate().unwrap_err().to_string();
            assert!(err.starts_with("finance.close_day"), "{err}");
        }
        let mut settings = defaults();
        settings.finance.close_day = settings.finance.match_window_days;
        let err = settings.validate().unwrap_err().to_string();
        assert!(err.starts_with("finance.close_day: must be after"), "{err}");
        assert_eq!(defaults().finance.close_day, 7);

        let mut settings = defaults();
        settings.clock.manual = true;
        settings.clock.start = Some("1 October".into());
        assert!(
            settings
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("clock.start")
        );

        let mut settings = defaults();
        settings.clock.start = Some("2026-10-01T00:00:00Z".into());
        assert!(
            settings
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("clock.start")
        );

        let mut settings = defaults();
        settings.database.url = SecretString::from("mysql://x");
        assert!(
            settings
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("database.url")
        );
    }
}
