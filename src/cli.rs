//! The `agencyflow` command line. Command and flag names are a contract for outside tooling.

use std::num::NonZeroU32;
use std::process::ExitCode;

mod out;
mod token;
mod user;

use clap::{Parser, Subcommand};
use entity::agency;
use entity::api_token::Role;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use secrecy::{ExposeSecret, SecretString};

use crate::app::{Application, shutdown_signal};
use crate::config::Settings;
use crate::{bench, db, demo, simulate, telemetry};

#[derive(Parser)]
#[command(
    name = "agencyflow",
    version,
    about = "Govern outsourced debt-collection agencies through one GraphQL API",
    after_help = "Examples:\n  \
        agencyflow serve --demo\n  \
        agencyflow user create --email ana.lopez@lender.example --name 'Ana Lopez' --role ADMIN\n  \
        agencyflow <command> --help"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve the GraphQL API over HTTP.
    #[command(after_help = "Examples:\n  \
        agencyflow serve --demo\n  \
        agencyflow serve --bind 0.0.0.0:8080 --database postgres://agencyflow@db/agencyflow")]
    Serve {
        /// Address to listen on [default: server.bind, 127.0.0.1:8080].
        #[arg(long)]
        bind: Option<String>,
        /// Database URL [default: DATABASE_URL or database.url].
        #[arg(long)]
        database: Option<String>,
        /// Fill an empty database with demo data first and print its people's e-mails and
        /// passwords and a token per role (kept across restarts in a file beside the
        /// database); no role must use MFA.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending migrations and exit.
    #[command(
        after_help = "Example:\n  agencyflow migrate --database postgres://agencyflow@db/agencyflow"
    )]
    Migrate {
        #[arg(long)]
        database: Option<String>,
    },
    /// Print the GraphQL schema (SDL); graphql/schema.graphql is this output.
    #[command(after_help = "Example:\n  agencyflow schema > graphql/schema.graphql")]
    Schema,
    /// Create, list and revoke API tokens.
    #[command(after_help = "Examples:\n  \
        agencyflow token create --role ADMIN\n  \
        agencyflow token list\n  \
        agencyflow token revoke 12")]
    Token {
        #[command(subcommand)]
        command: token::TokenCommand,
    },
    /// Create, list and disable users (the people who sign in).
    #[command(after_help = "Examples:\n  \
        agencyflow user create --email ana.lopez@lender.example --name 'Ana Lopez' --role ADMIN\n  \
        agencyflow user list\n  \
        agencyflow user disable ana.lopez@lender.example")]
    User {
        #[command(subcommand)]
        command: user::UserCommand,
    },
    /// Load the demo data (a simulated history, then today's book) into an empty database
    /// and print its people's passwords and a token per role.
    #[command(after_help = "Example:\n  agencyflow demo --database 'sqlite://demo.db?mode=rwc'")]
    Demo {
        #[arg(long)]
        database: Option<String>,
    },
    /// Simulate a lender and its agencies for weeks through the real GraphQL API, then
    /// print a summary and check the books (a failed check fails the command).
    #[command(after_help = "Examples:\n  \
        agencyflow simulate --days 30 --accounts 5000 --agencies 6\n  \
        agencyflow simulate --url http://127.0.0.1:8080/graphql --token <admin token> --days 30")]
    Simulate {
        /// Drive the service at this GraphQL URL (it must run on a manual clock) instead
        /// of starting one in-process.
        #[arg(long, conflicts_with = "database", requires = "token")]
        url: Option<String>,
        /// An ADMIN token of the service at --url.
        #[arg(long, env = "AGENCYFLOW_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// A new database for the in-process service
        /// [default: sqlite://agencyflow-simulation-<seed>.db].
        #[arg(long)]
        database: Option<String>,
        /// Simulated days; they end on the last day of a month.
        #[arg(long, default_value_t = 90)]
        days: u32,
        #[arg(long, default_value_t = 50_000)]
        accounts: usize,
        #[arg(long, default_value_t = 12)]
        agencies: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// The most API calls per second [default: no limit].
        #[arg(long)]
        rate: Option<NonZeroU32>,
    },
    /// Measure a workflow on generated data (not a test; see the README's figures).
    #[command(after_help = "Examples:\n  \
        agencyflow bench allocation --accounts 100000\n  \
        agencyflow bench reporting --batches 20\n  \
        agencyflow bench console --rounds 50")]
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Time a dry and a real allocation run over many accounts, in an empty database.
    #[command(after_help = "Example:\n  \
        agencyflow bench allocation --accounts 100000 --database 'sqlite://bench.db?mode=rwc'")]
    Allocation {
        #[arg(long, default_value_t = 100_000)]
        accounts: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[arg(long)]
        database: Option<String>,
    },
    /// Post batches of 1,000 activities over HTTP to the real server as an agency, in an
    /// empty database, then replay the first batch.
    #[command(after_help = "Example:\n  \
        agencyflow bench reporting --batches 20 --accounts 2000 --database 'sqlite://bench.db?mode=rwc'")]
    Reporting {
        #[arg(long, default_value_t = 20)]
        batches: usize,
        #[arg(long, default_value_t = 2000)]
        accounts: usize,
        #[arg(long)]
        database: Option<String>,
    },
    /// Time every console page for the demo's people over HTTP, beside `/healthz` and
    /// `{ me { role } }`; loads the demo into an empty database first.
    #[command(after_help = "Example:\n  \
        agencyflow bench console --rounds 50 --database postgres://postgres@localhost/bench_console?host=/var/run/postgresql")]
    Console {
        #[arg(long, default_value_t = 50)]
        rounds: usize,
        #[arg(long)]
        database: Option<String>,
    },
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The settings, with `database` instead of the configured one if given; logging starts.
fn settings(database: Option<String>) -> anyhow::Result<Settings> {
    let settings = load_settings(database)?;
    telemetry::init(&settings.log);
    Ok(settings)
}

fn load_settings(database: Option<String>) -> anyhow::Result<Settings> {
    let mut settings = Settings::load()?;
    if let Some(url) = database {
        settings.database.url = SecretString::from(url);
    }
    settings.validate()?;
    Ok(settings)
}

async fn migrated(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = db::connect(&settings.database).await?;
    db::migrate(&db).await?;
    Ok(db)
}

/// The id of the agency an `--agency CODE` flag names.
async fn agency_id(db: &DatabaseConnection, code: Option<&str>) -> anyhow::Result<Option<i64>> {
    let Some(code) = code else {
        return Ok(None);
    };
    let found = agency::Entity::find()
        .filter(agency::Column::Code.eq(code))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("--agency: no agency with code '{code}'"))?;
    Ok(Some(found.id))
}

async fn execute(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Schema => out::text(agencyflow_graphql::sdl()),
        Command::Migrate { database } => {
            migrated(&settings(database)?).await?;
            out::line("migrations applied")
        }
        Command::Demo { database } => {
            let settings = settings(database)?;
            let db = migrated(&settings).await?;
            out::line(demo::load_with_history(&settings, &db, demo::Size::FULL).await?)?;
            print_demo_access(&settings, &db).await?;
            Ok(())
        }
        Command::Serve {
            bind,
            database,
            demo: with_demo,
        } => {
            let mut settings = settings(database)?;
            if let Some(bind) = bind {
                settings.server.bind = bind;
                settings.validate()?;
            }
            let db = migrated(&settings).await?;
            let mut demo_hint = None;
            if with_demo {
                if demo::is_empty(&db).await? {
                    out::line(demo::load_with_history(&settings, &db, demo::Size::FULL).await?)?;
                }
                // Demo tokens only for a demo database, never for one with real data.
                if demo::is_demo_database(&db).await? {
                    // The demo's people sign in with their password alone.
                    settings.sign_in.mfa_required_roles.clear();
                    demo_hint = Some(print_demo_access(&settings, &db).await?);
                } else {
                    out::line(
                        "the database holds data that is not the demo's: nothing loaded, no token minted \
                         (use `agencyflow token create`)",
                    )?;
                }
            }
            let app = Application::with_database(&settings, db).await?;
            let addr = app.local_addr();
            out::line(format_args!(
                "agencyflow listening on http://{addr}/graphql (GraphiQL in a browser)"
            ))?;
            if let Some(admin) = demo_hint {
                out::line(format_args!(
                    "try: curl -s http://{addr}/graphql -H 'content-type: application/json' \\\n       -H 'authorization: Bearer {admin}' -d '{{\"query\":\"{{ me {{ role }} }}\"}}'"
                ))?;
            }
            tracing::info!(%addr, "listening");
            app.run_until(shutdown_signal()).await
        }
        Command::Bench {
            command:
                BenchCommand::Allocation {
                    accounts,
                    seed,
                    database,
                },
        } => {
            let settings = settings(database)?;
            let db = migrated(&settings).await?;
            let report =
                bench::allocation::run(&db, &settings.allocation.dpd_buckets, accounts, seed)
                    .await?;
            out::line(report)?;
            Ok(())
        }
        Command::Bench {
            command:
                BenchCommand::Reporting {
                    batches,
                    accounts,
                    database,
                },
        } => {
            let settings = settings(database)?;
            let db = migrated(&settings).await?;
            let report = bench::reporting::run(&db, settings, batches, accounts).await?;
            out::line(report)?;
            Ok(())
        }
        Command::Bench {
            command: BenchCommand::Console { rounds, database },
        } => {
            let settings = settings(database)?;
            let db = migrated(&settings).await?;
            let report = bench::console::run(settings, &db, rounds).await?;
            out::line(report)?;
            Ok(())
        }
        Command::Simulate {
            url,
            token,
            database,
            days,
            accounts,
            agencies,
            seed,
            rate,
        } => {
            let options = simulate::Options {
                days,
                accounts,
                agencies,
                seed,
                rate,
                progress: true,
                roster: None,
            };
            // The in-process service's database (unused with --url).
            let database = database
                .unwrap_or_else(|| format!("sqlite://agencyflow-simulation-{seed}.db?mode=rwc"));
            let mut settings = load_settings(url.is_none().then(|| database.clone()))?;
            // The progress bar and the summary are the output: the service's own notes
            // would drown them (RUST_LOG still wins).
            settings.log.filter = "warn".into();
            telemetry::init(&settings.log);
            let report = match url {
                Some(url) => {
                    let token = token.ok_or_else(|| {
                        anyhow::anyhow!("--url needs --token or AGENCYFLOW_TOKEN")
                    })?;
                    simulate::drive(url, token, options).await?
                }
                None => {
                    let db = migrated(&settings).await?;
                    if !demo::is_empty(&db).await? {
                        anyhow::bail!(
                            "{database} already holds agencies or portfolios: a simulation starts from a new database"
                        );
                    }
                    let report = simulate::in_process(&settings, db, options).await?;
                    out::line(format_args!(
                        "the simulated history is in {database}: `agencyflow serve --database '{database}'` serves it"
                    ))?;
                    report
                }
            };
            out::line(&report)?;
            if report.passed() {
                Ok(())
            } else {
                anyhow::bail!("a consistency check failed")
            }
        }
        Command::Token { command } => token::execute(command).await,
        Command::User { command } => user::execute(command).await,
    }
}

/// Prints the demo's people with their passwords and its tokens (reused across
/// restarts), and returns the ADMIN token.
async fn print_demo_access(settings: &Settings, db: &DatabaseConnection) -> anyhow::Result<String> {
    let file = demo::secrets_file(settings.database.url.expose_secret());
    let access = demo::people(
        db,
        &settings.sign_in.identity()?,
        &file,
        settings.security.token_lifetime(),
    )
    .await?;
    out::line(format_args!(
        "demo people, who sign in at /sign-in (passwords kept in {}):",
        file.display()
    ))?;
    for person in &access.people {
        out::line(format_args!("  {person}"))?;
    }
    out::line(format_args!(
        "demo tokens, each a personal token of the first person of its role (kept in {}):",
        file.display()
    ))?;
    for token in &access.tokens {
        out::line(format_args!("  {token}"))?;
    }
    access
        .tokens
        .iter()
        .find(|t| t.role == Role::Admin)
        .map(|t| t.secret.clone())
        .ok_or_else(|| anyhow::anyhow!("the demo has no ADMIN token"))
}
