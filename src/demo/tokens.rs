//! The demo's tokens, one per role (and an AGENCY token for ACME), kept across restarts.
//! The database stores only their hashes, so their secrets live in a file beside the
//! SQLite database (mode 0600). Each start reuses the file's tokens that still work,
//! mints what is missing, and revokes any other active token the demo minted before.

use std::collections::HashSet;
use std::fmt;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use agencyflow_graphql::domain::Caller;
use agencyflow_graphql::domain::identity::integrations::{self, NewIntegration};
use agencyflow_graphql::domain::tokens::{self as api_tokens, TokenLifetime};
use anyhow::Context;
use chrono::Utc;
use entity::api_token::Role;
use entity::{agency, api_token};
use sea_orm::{ActiveEnum, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::DEMO_ACTOR;

/// The roles the demo prints a token for, and the agency an AGENCY token acts for.
const WANTED: [(Role, Option<&str>); 5] = [
    (Role::Admin, None),
    (Role::VendorManager, None),
    (Role::Finance, None),
    (Role::Auditor, None),
    (Role::Agency, Some("ACME")),
];

/// A demo token and whom it stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoToken {
    pub role: Role,
    pub agency: Option<String>,
    pub secret: String,
}

impl DemoToken {
    fn who(&self) -> String {
        let role = self.role.to_value();
        match &self.agency {
            Some(code) => format!("{role} {code}"),
            None => role,
        }
    }

    /// A line of the tokens file: `ROLE [AGENCY] secret`.
    fn parse(line: &str) -> Option<Self> {
        let mut words = line.split_whitespace();
        let role = Role::try_from_value(&words.next()?.to_owned()).ok()?;
        let rest: Vec<&str> = words.collect();
        let (agency, secret) = match rest.as_slice() {
            [secret] => (None, secret),
            [agency, secret] => (Some((*agency).to_owned()), secret),
            _ => return None,
        };
        Some(Self {
            role,
            agency,
            secret: (*secret).to_owned(),
        })
    }
}

impl fmt::Display for DemoToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<20} {}", self.who(), self.secret)
    }
}

/// Where the demo keeps its tokens for the database at `url`: beside a SQLite file
/// (`agencyflow.db` → `agencyflow.db.demo-tokens`), else in the working directory,
/// named after the database.
pub fn tokens_file(url: &str) -> PathBuf {
    let without_query = url.split('?').next().unwrap_or(url);
    if let Some(path) = without_query.strip_prefix("sqlite:") {
        let path = path.trim_start_matches("//");
        if !path.is_empty() && !path.contains(":memory:") {
            return PathBuf::from(format!("{path}.demo-tokens"));
        }
        return PathBuf::from("agencyflow.demo-tokens");
    }
    let name = without_query
        .rsplit('/')
        .next()
        .filter(|name| !name.is_empty() && !name.contains('@'))
        .unwrap_or("agencyflow");
    PathBuf::from(format!("{name}.demo-tokens"))
}

/// The demo's tokens for `db`: those kept in `file` that still work, and new ones for the
/// rest, which expire as `lifetime` says a token does; every other active token the demo
/// minted is revoked. Rewrites `file`.
pub async fn tokens(
    db: &DatabaseConnection,
    file: &Path,
    lifetime: TokenLifetime,
) -> anyhow::Result<Vec<DemoToken>> {
    let now = Utc::now();
    let kept: Vec<DemoToken> = match std::fs::read_to_string(file) {
        Ok(text) => text.lines().filter_map(DemoToken::parse).collect(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(err) => return Err(err).with_context(|| format!("reading {}", file.display())),
    };
    let caller = Caller::system("demo", now);
    let mut current = Vec::with_capacity(WANTED.len());
    let mut in_use = HashSet::new();
    for (role, agency_code) in WANTED {
        let agency_id = match agency_code {
            Some(code) => Some(agency_id(db, code).await?),
            None => None,
        };
        let mut reused = None;
        for token in kept
            .iter()
            .filter(|t| t.role == role && t.agency.as_deref() == agency_code)
        {
            if let Some(found) = api_tokens::find_active(db, &token.secret, now).await?
                && found.role == role
                && found.agency_id == agency_id
            {
                reused = Some((found.id, token.secret.clone()));
                break;
            }
        }
        let (id, secret) = match reused {
            Some(found) => found,
            None => {
                let created = integrations::create_with_token(
                    db,
                    &caller,
                    NewIntegration {
                        name: format!("demo {}", role.to_value().to_lowercase()),
                        role,
                        agency_id,
                    },
                    None,
                    lifetime,
                )
                .await?;
                (created.token.id, created.secret)
            }
        };
        in_use.insert(id);
        current.push(DemoToken {
            role,
            agency: agency_code.map(str::to_owned),
            secret,
        });
    }
    let stale = api_token::Entity::find()
        .filter(api_token::Column::CreatedBy.eq(DEMO_ACTOR))
        .filter(api_token::Column::RevokedAt.is_null())
        .all(db)
        .await?;
    for token in stale.into_iter().filter(|t| !in_use.contains(&t.id)) {
        api_tokens::revoke(db, &caller, token.id).await?;
    }
    write(file, &current).with_context(|| format!("writing {}", file.display()))?;
    Ok(current)
}

async fn agency_id(db: &DatabaseConnection, code: &str) -> anyhow::Result<i64> {
    agency::Entity::find()
        .filter(agency::Column::Code.eq(code))
        .one(db)
        .await?
        .map(|a| a.id)
        .ok_or_else(|| anyhow::anyhow!("the demo agency {code} is missing"))
}

/// Replaces `file` with `tokens`, readable by its owner alone.
fn write(file: &Path, tokens: &[DemoToken]) -> std::io::Result<()> {
    let partial = file.with_extension("demo-tokens.partial");
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)?;
    for token in tokens {
        writeln!(out, "{} {}", token.who(), token.secret)?;
    }
    out.sync_all()?;
    std::fs::rename(&partial, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tokens_live_beside_a_sqlite_file() {
        assert_eq!(
            tokens_file("sqlite://agencyflow.db?mode=rwc"),
            PathBuf::from("agencyflow.db.demo-tokens")
        );
        assert_eq!(
            tokens_file("sqlite:///tmp/demo.db?mode=rwc"),
            PathBuf::from("/tmp/demo.db.demo-tokens")
        );
        assert_eq!(
            tokens_file("sqlite::memory:"),
            PathBuf::from("agencyflow.demo-tokens")
        );
        assert_eq!(
            tokens_file("postgres://postgres@localhost/demo?host=/var/run/postgresql"),
            PathBuf::from("demo.demo-tokens")
        );
    }

    #[test]
    fn a_line_names_the_role_the_agency_and_the_secret() {
        let token = DemoToken {
            role: Role::Agency,
            agency: Some("ACME".into()),
            secret: "af_x".into(),
        };
        assert_eq!(
            DemoToken::parse(&format!("{} {}", token.who(), token.secret)),
            Some(token)
        );
        assert_eq!(
            DemoToken::parse("VENDOR_MANAGER af_y").map(|t| t.role),
            Some(Role::VendorManager)
        );
        assert_eq!(DemoToken::parse("NOBODY af_y"), None);
        assert_eq!(DemoToken::parse("ADMIN"), None);
    }
}
