//! `agencyflow token …`: create, list and revoke API tokens, through the same domain
//! functions (and so the same checks and audit events) as the GraphQL operations.

use agencyflow_graphql::domain::Caller;
use agencyflow_graphql::domain::identity::integrations::{self, NewIntegration};
use agencyflow_graphql::domain::tokens;
use chrono::{DateTime, Duration, Utc};
use clap::{Subcommand, ValueEnum};
use entity::api_token::Role;
use entity::{agency, api_token};
use sea_orm::ActiveEnum;

use super::{agency_id, migrated, out, settings};

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token; the secret is printed alone on the last line of stdout.
    #[command(after_help = "Example:\n  \
        agencyflow token create --role AGENCY --agency ACME --label 'ACME dialler' --expires-in-days 30")]
    Create {
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The agency code an AGENCY token acts for.
        #[arg(long)]
        agency: Option<String>,
        /// What the token is for.
        #[arg(long, default_value = "created with the CLI")]
        label: String,
        /// Days until the token expires, at most security.max_token_lifetime_days
        /// [default: security.token_lifetime_days, 90].
        #[arg(long)]
        expires_in_days: Option<u32>,
        #[arg(long)]
        database: Option<String>,
    },
    /// List the tokens that work now (never their secrets): id, prefix, role, agency,
    /// expiry, last use and label.
    #[command(after_help = "Examples:\n  agencyflow token list\n  agencyflow token list --all")]
    List {
        /// Revoked and expired tokens too.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        database: Option<String>,
    },
    /// Revoke a token at once (audited as `api_token.revoke`); it authenticates no further
    /// request.
    #[command(after_help = "Example:\n  agencyflow token revoke 12")]
    Revoke {
        /// The token's id, as `token list` shows it.
        id: i64,
        #[arg(long)]
        database: Option<String>,
    },
}

#[derive(Copy, Clone, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoleArg {
    Admin,
    VendorManager,
    Agency,
    Finance,
    Auditor,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Admin => Role::Admin,
            RoleArg::VendorManager => Role::VendorManager,
            RoleArg::Agency => Role::Agency,
            RoleArg::Finance => Role::Finance,
            RoleArg::Auditor => Role::Auditor,
        }
    }
}

pub async fn execute(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create {
            role,
            agency,
            label,
            expires_in_days,
            database,
        } => {
            let settings = settings(database)?;
            let db = migrated(&settings).await?;
            let agency_id = agency_id(&db, agency.as_deref()).await?;
            let now = Utc::now();
            let created = integrations::create_with_token(
                &db,
                &Caller::system("cli", now),
                NewIntegration {
                    name: label,
                    role: role.into(),
                    agency_id,
                },
                expires_in_days.map(|days| now + Duration::days(days.into())),
                settings.security.token_lifetime(),
            )
            .await?;
            eprintln!(
                "token {} created, expiring {}; the secret below is shown once",
                created.token.id,
                out::when(created.token.expires_at)
            );
            out::line(created.secret)
        }
        TokenCommand::List { all, database } => {
            let db = migrated(&settings(database)?).await?;
            let now = Utc::now();
            let listed = tokens::list_all(&db, all, now).await?;
            out::text(table(&listed, now))
        }
        TokenCommand::Revoke { id, database } => {
            let db = migrated(&settings(database)?).await?;
            let revoked = tokens::revoke(&db, &Caller::system("cli", Utc::now()), id).await?;
            out::line(format_args!(
                "token {id} ({}, {}) revoked",
                revoked.token_prefix, revoked.label
            ))
        }
    }
}

/// The tokens as aligned columns under a header.
fn table(tokens: &[(api_token::Model, Option<agency::Model>)], now: DateTime<Utc>) -> String {
    out::table(
        [
            "ID",
            "PREFIX",
            "ROLE",
            "AGENCY",
            "STATUS",
            "EXPIRES",
            "LAST USED",
            "LABEL",
        ],
        tokens.iter().map(|(token, agency)| {
            let status = if token.revoked_at.is_some() {
                "revoked"
            } else if tokens::is_active(token, now) {
                "active"
            } else {
                "expired"
            };
            [
                token.id.to_string(),
                token.token_prefix.clone(),
                token.role.to_value(),
                agency.as_ref().map_or("-".into(), |a| a.code.clone()),
                status.to_owned(),
                out::when(token.expires_at),
                out::when(token.last_used_at),
                token.label.clone(),
            ]
        }),
    )
}
