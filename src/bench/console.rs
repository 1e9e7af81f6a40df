//! `agencyflow bench console`: how fast the console's pages render for the demo's people,
//! each page fetched over HTTP from the real server, one request at a time, beside two
//! baselines in the same run: `/healthz` (no database) and the GraphQL query
//! `{ me { role } }` with the same session. A measurement, not a test.

use std::fmt;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use entity::api_token::Role;
use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};
use reqwest::redirect::Policy;
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;

use crate::app::Application;
use crate::config::Settings;
use crate::demo;

/// Requests before timing starts, so caches and connections are warm.
const WARM_UP: usize = 3;

/// The lender's pages, as an ADMIN sees them; `{agency}`, `{portfolio}`, `{account}` and
/// `{reconciliation}` become the first of each that its list links to.
const LENDER_PAGES: [&str; 17] = [
    "/",
    "/agencies",
    "/agencies/{agency}",
    "/agencies/review",
    "/portfolios",
    "/portfolios/{portfolio}",
    "/compliance/accounts/{account}",
    "/allocation",
    "/allocation/runs",
    "/placements",
    "/performance",
    "/compliance",
    "/finance",
    "/finance/reconciliations/{reconciliation}?open=true",
    "/audit",
    "/jobs",
    "/settings",
];

/// An agency's staff's pages.
const AGENCY_PAGES: [&str; 6] = [
    "/work",
    "/work/accounts/{work-account}",
    "/work/incidents",
    "/work/scorecard",
    "/work/papers",
    "/work/statements",
];

/// One page's timings.
pub struct Timing {
    pub page: String,
    pub p50: Duration,
    pub p95: Duration,
    pub max: Duration,
}

pub struct Report {
    pub rounds: usize,
    pub healthz: Timing,
    pub me: Timing,
    pub pages: Vec<Timing>,
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let index = (sorted.len() * p).div_ceil(100).saturating_sub(1);
    sorted[index.min(sorted.len() - 1)]
}

fn timing(page: String, mut samples: Vec<Duration>) -> Timing {
    samples.sort();
    Timing {
        page,
        p50: percentile(&samples, 50),
        p95: percentile(&samples, 95),
        max: *samples.last().expect("at least one round"),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "console pages, {} sequential requests each (ms):",
            self.rounds
        )?;
        writeln!(f, "| page | p50 | p95 | max | p95 ÷ `me` p95 |")?;
        writeln!(f, "| --- | ---: | ---: | ---: | ---: |")?;
        let base = self.me.p95.as_secs_f64().max(1e-6);
        for t in std::iter::once(&self.healthz)
            .chain(std::iter::once(&self.me))
            .chain(&self.pages)
        {
            writeln!(
                f,
                "| {} | {} | {} | {} | {:.1}× |",
                t.page,
                ms(t.p50),
                ms(t.p95),
                ms(t.max),
                t.p95.as_secs_f64() / base
            )?;
        }
        let slowest = self.pages.iter().max_by_key(|t| t.p95).expect("pages");
        write!(
            f,
            "slowest page at p95: {} ({} ms)",
            slowest.page,
            ms(slowest.p95)
        )
    }
}

struct Session {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Session {
    async fn sign_in(
        http: &reqwest::Client,
        base: &str,
        email: &str,
        password: &str,
    ) -> anyhow::Result<Self> {
        let response = http
            .post(format!("{base}/sign-in"))
            .header(ORIGIN, base)
            .form(&[("email", email), ("password", password)])
            .send()
            .await?;
        let cookie = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.contains("session="))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned)
            .with_context(|| format!("{email} could not sign in: {}", response.status()))?;
        Ok(Self {
            http: http.clone(),
            base: base.to_owned(),
            cookie,
        })
    }

    async fn get(&self, path: &str) -> anyhow::Result<String> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await?;
        if !status.is_success() {
            bail!("{path} answered {status}");
        }
        Ok(body)
    }

    async fn me(&self) -> anyhow::Result<()> {
        let response = self
            .http
            .post(format!("{}/graphql", self.base))
            .header(COOKIE, &self.cookie)
            .header(ORIGIN, &self.base)
            .json(&serde_json::json!({ "query": "{ me { role } }" }))
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("me answered {}", response.status());
        }
        response.bytes().await?;
        Ok(())
    }

    /// The first link on `list` that starts with `prefix`.
    async fn first_link(&self, list: &str, prefix: &str) -> anyhow::Result<String> {
        let body = self.get(list).await?;
        body.split(&format!("href=\"{prefix}"))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(|rest| format!("{prefix}{rest}"))
            .with_context(|| format!("{list} links to no {prefix}…"))
    }
}

async fn time<F, Fut>(rounds: usize, mut request: F) -> anyhow::Result<Vec<Duration>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    for _ in 0..WARM_UP {
        request().await?;
    }
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        request().await?;
        samples.push(started.elapsed());
    }
    Ok(samples)
}

/// Loads the demo (with its simulated history) into an empty database, or uses the demo
/// already there, then times every page.
pub async fn run(
    mut settings: Settings,
    db: &DatabaseConnection,
    rounds: usize,
) -> anyhow::Result<Report> {
    anyhow::ensure!(rounds >= 1, "--rounds: at least 1");
    if demo::is_empty(db).await? {
        demo::load_with_history(&settings, db, demo::Size::FULL).await?;
    }
    anyhow::ensure!(
        demo::is_demo_database(db).await?,
        "the database holds data that is not the demo's"
    );
    let access = demo::people(
        db,
        &settings.sign_in.identity()?,
        &demo::secrets_file(settings.database.url.expose_secret()),
        settings.security.token_lifetime(),
    )
    .await?;
    let person = |role: Role| {
        access
            .people
            .iter()
            .find(|p| p.role == role)
            .with_context(|| format!("the demo has no {role:?}"))
    };
    let (admin, agency) = (person(Role::Admin)?, person(Role::Agency)?);

    settings.server.bind = "127.0.0.1:0".to_owned();
    settings.scheduler.enabled = false;
    settings.server.log_requests = false;
    settings.sign_in.mfa_required_roles.clear();
    let app = Application::with_database(&settings, db.clone()).await?;
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));

    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()?;
    let lender = Session::sign_in(&http, &base, &admin.email, &admin.password).await?;
    let staff = Session::sign_in(&http, &base, &agency.email, &agency.password).await?;
    let agency_page = lender.first_link("/agencies", "/agencies/").await?;
    let portfolio_page = lender.first_link("/portfolios", "/portfolios/").await?;
    let account_page = lender
        .first_link(&portfolio_page, "/compliance/accounts/")
        .await?;
    let work_account = staff.first_link("/work", "/work/accounts/").await?;
    let reconciliation = lender
        .first_link("/finance", "/finance/reconciliations/")
        .await?;
    let fill = |page: &str| {
        page.replace("/agencies/{agency}", &agency_page)
            .replace("/finance/reconciliations/{reconciliation}", &reconciliation)
            .replace("/portfolios/{portfolio}", &portfolio_page)
            .replace("/compliance/accounts/{account}", &account_page)
            .replace("/work/accounts/{work-account}", &work_account)
    };

    let healthz = time(rounds, || async {
        http.get(format!("{base}/healthz"))
            .send()
            .await?
            .bytes()
            .await?;
        Ok(())
    })
    .await?;
    let me = time(rounds, || lender.me()).await?;
    let mut pages = Vec::new();
    for (session, list) in [(&lender, &LENDER_PAGES[..]), (&staff, &AGENCY_PAGES[..])] {
        for page in list {
            let path = fill(page);
            let samples = time(rounds, || async { session.get(&path).await.map(|_| ()) }).await?;
            pages.push(timing((*page).to_owned(), samples));
        }
    }
    let _ = stop.send(());
    server.await??;
    Ok(Report {
        rounds,
        healthz: timing("`/healthz` (baseline)".to_owned(), healthz),
        me: timing("GraphQL `{ me { role } }` (baseline)".to_owned(), me),
        pages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_sorted_sample() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&samples, 50), Duration::from_millis(50));
        assert_eq!(percentile(&samples, 95), Duration::from_millis(95));
        assert_eq!(
            percentile(&[Duration::from_millis(7)], 95),
            Duration::from_millis(7)
        );
    }
}
