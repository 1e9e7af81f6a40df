//! `agencyflow user …`: create, list and disable users, through the same domain functions
//! (and so the same checks and audit events) as the GraphQL operations. `user create` is
//! how the first ADMIN is made.

use std::collections::HashMap;
use std::io::BufRead;

use agencyflow_graphql::domain::Caller;
use agencyflow_graphql::domain::identity::records;
use agencyflow_graphql::domain::identity::users::{self, NewUser};
use agencyflow_graphql::error::AppError;
use anyhow::Context;
use chrono::Utc;
use clap::Subcommand;
use entity::user::UserStatus;
use entity::{agency, user};
use sea_orm::{ActiveEnum, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::token::RoleArg;
use super::{agency_id, migrated, out, settings};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user with a password (asked twice without echo, or read from stdin) and
    /// print their id, e-mail and role.
    #[command(after_help = "Examples:\n  \
        agencyflow user create --email ana.lopez@lender.example --name 'Ana Lopez' --role ADMIN\n  \
        agencyflow user create --email ops@acme.example --name 'ACME operations' --role AGENCY --agency ACME --password-stdin < password.txt")]
    Create {
        /// Their e-mail address, unique whatever the case; they sign in with it.
        #[arg(long)]
        email: String,
        /// Their name as people read it.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The agency code of an AGENCY user.
        #[arg(long)]
        agency: Option<String>,
        /// Read the password from the first line of stdin instead of asking for it.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        database: Option<String>,
    },
    /// List every user: id, e-mail, name, role, agency, status, MFA and last sign-in.
    #[command(after_help = "Example:\n  agencyflow user list")]
    List {
        #[arg(long)]
        database: Option<String>,
    },
    /// Disable a user at once: their sessions end and their tokens are revoked (audited).
    #[command(after_help = "Examples:\n  \
        agencyflow user disable ana.lopez@lender.example\n  \
        agencyflow user disable 3")]
    Disable {
        /// The user's e-mail, or their id as `user list` shows it.
        user: String,
        #[arg(long)]
        database: Option<String>,
    },
}

pub async fn execute(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            email,
            name,
            role,
            agency,
            password_stdin,
            database,
        } => {
            let password = if password_stdin {
                password_from(std::io::stdin().lock())?
            } else {
                prompt_password(&email)?
            };
            let settings = settings(database)?;
            let db = migrated(&settings).await?;
            let new = NewUser {
                email,
                display_name: name,
                role: role.into(),
                agency_id: agency_id(&db, agency.as_deref()).await?,
                language: None,
                time_zone: None,
            };
            let created = users::create(
                &db,
                &Caller::system("cli", Utc::now()),
                &settings.sign_in.identity()?,
                new,
                Some(&password),
            )
            .await
            .map_err(flag_named)?;
            let user = created.user;
            out::line(format_args!(
                "user {} created: {} ({})",
                user.id,
                user.email,
                user.role.to_value()
            ))
        }
        UserCommand::List { database } => {
            let db = migrated(&settings(database)?).await?;
            let users = users::all(&db).await?;
            let agencies: HashMap<i64, String> = agency::Entity::find()
                .filter(agency::Column::Id.is_in(users.iter().filter_map(|u| u.agency_id)))
                .all(&db)
                .await?
                .into_iter()
                .map(|a| (a.id, a.code))
                .collect();
            out::text(table(&users, &agencies))
        }
        UserCommand::Disable { user, database } => {
            let db = migrated(&settings(database)?).await?;
            let id = find(&db, &user).await?;
            let disabled = users::disable(&db, &Caller::system("cli", Utc::now()), id).await?;
            out::line(format_args!(
                "user {} ({}) disabled: their sessions ended and their tokens are revoked",
                disabled.id, disabled.email
            ))
        }
    }
}

/// The password on the first line of `input`, without its line ending.
fn password_from(mut input: impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let password = line
        .strip_suffix('\n')
        .map(|rest| rest.strip_suffix('\r').unwrap_or(rest))
        .unwrap_or(&line);
    Ok(password.to_owned())
}

/// Asks for the password twice on the terminal, without echo.
fn prompt_password(email: &str) -> anyhow::Result<String> {
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .context("no terminal to ask for the password on: give it with --password-stdin")
    };
    let password = ask(&format!("Password for {email}: "))?;
    if ask("The same password again: ")? != password {
        anyhow::bail!("the two passwords differ: nothing was created");
    }
    Ok(password)
}

/// A refused input, named by the flag that gave it.
fn flag_named(err: AppError) -> anyhow::Error {
    match err {
        AppError::BadUserInput {
            message,
            field: Some(field),
        } => {
            let flag = match field.as_str() {
                "displayName" => "--name",
                "agencyId" => "--agency",
                "email" => "--email",
                "role" => "--role",
                _ => "the password",
            };
            anyhow::anyhow!("{flag}: {message}")
        }
        other => other.into(),
    }
}

/// The id of the user `who` names: an id, or an e-mail address.
async fn find(db: &DatabaseConnection, who: &str) -> anyhow::Result<i64> {
    if let Ok(id) = who.parse::<i64>() {
        return Ok(id);
    }
    records::find_by_email(db, who)
        .await?
        .map(|u| u.id)
        .ok_or_else(|| anyhow::anyhow!("no user with e-mail {who}"))
}

/// The users as aligned columns under a header.
fn table(users: &[user::Model], agencies: &HashMap<i64, String>) -> String {
    out::table(
        [
            "ID",
            "E-MAIL",
            "NAME",
            "ROLE",
            "AGENCY",
            "STATUS",
            "MFA",
            "LAST SIGN-IN",
        ],
        users.iter().map(|user| {
            [
                user.id.to_string(),
                user.email.clone(),
                user.display_name.clone(),
                user.role.to_value(),
                user.agency_id
                    .and_then(|id| agencies.get(&id).cloned())
                    .unwrap_or_else(|| "-".into()),
                match user.status {
                    UserStatus::Active => "active",
                    UserStatus::Disabled => "disabled",
                }
                .to_owned(),
                if user.mfa_enabled_at.is_some() {
                    "on"
                } else {
                    "off"
                }
                .to_owned(),
                out::when(user.last_sign_in_at),
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_the_first_line_without_its_ending() {
        for (input, password) in [
            ("correct horse battery\n", "correct horse battery"),
            ("correct horse battery\r\nmore\n", "correct horse battery"),
            ("no newline at all", "no newline at all"),
            (" spaces kept \n", " spaces kept "),
            ("", ""),
        ] {
            assert_eq!(password_from(input.as_bytes()).unwrap(), password);
        }
    }
}
