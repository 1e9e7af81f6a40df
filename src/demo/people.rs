//! The demo's people and their tokens, kept across restarts: one user per lender role
//! (two in FINANCE, so one approves what the other submitted), one AGENCY user per demo
//! agency, each with a password, and a personal token per role (ACME's user holds the
//! AGENCY one). The database stores only hashes, so the passwords and token secrets live
//! in a file beside the SQLite database (mode 0600). Each start reuses what the file
//! holds and still works, makes what is missing (and puts back a demo user someone
//! disabled, moved or gave another password), and revokes any other active token the
//! demo minted before: the tokens of files written before the demo had people were
//! integrations' tokens, and are replaced so.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use agencyflow_graphql::domain::Caller;
use agencyflow_graphql::domain::identity::users::{self, NewUser, UserChanges};
use agencyflow_graphql::domain::identity::{Identity, credentials, password, records};
use agencyflow_graphql::domain::tokens::{self as api_tokens, NewToken, TokenLifetime, TokenOwner};
use anyhow::Context;
use chrono::Utc;
use entity::api_token::Role;
use entity::user::UserStatus;
use entity::{agency, api_token, user};
use sea_orm::{ActiveEnum, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::DEMO_ACTOR;
use super::agencies::{AGENCIES, SIMULATED};

/// The lender's demo staff: role, e-mail, name, and whether they hold the role's token.
const STAFF: [(Role, &str, &str, bool); 5] = [
    (Role::Admin, "admin@lender.example", "Demo admin", true),
    (
        Role::VendorManager,
        "vendor.manager@lender.example",
        "Demo vendor manager",
        true,
    ),
    (
        Role::Finance,
        "finance.clerk@lender.example",
        "Demo finance clerk",
        true,
    ),
    (
        Role::Finance,
        "finance.controller@lender.example",
        "Demo finance controller",
        false,
    ),
    (
        Role::Auditor,
        "auditor@lender.example",
        "Demo auditor",
        true,
    ),
];
/// The agency whose user holds the demo's AGENCY token.
const TOKEN_AGENCY: &str = "ACME";

/// A demo user and their password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoPerson {
    pub role: Role,
    pub agency: Option<String>,
    pub email: String,
    pub password: String,
}

/// A demo token and whom it stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoToken {
    pub role: Role,
    pub agency: Option<String>,
    pub secret: String,
}

/// Everything the demo prints at start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoAccess {
    pub people: Vec<DemoPerson>,
    pub tokens: Vec<DemoToken>,
}

/// `ROLE` or `ROLE AGENCY`, as the tokens file and the printout name a role.
fn who(role: Role, agency: Option<&str>) -> String {
    let role = role.to_value();
    match agency {
        Some(code) => format!("{role} {code}"),
        None => role,
    }
}

impl DemoToken {
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

    fn line(&self) -> String {
        format!("{} {}", who(self.role, self.agency.as_deref()), self.secret)
    }
}

impl fmt::Display for DemoToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<20} {}",
            who(self.role, self.agency.as_deref()),
            self.secret
        )
    }
}

impl fmt::Display for DemoPerson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<20} {:<34} {}",
            who(self.role, self.agency.as_deref()),
            self.email,
            self.password
        )
    }
}

/// A password line of the file: `e-mail password`.
fn parse_password(line: &str) -> Option<(String, String)> {
    let mut words = line.split_whitespace();
    let email = words.next().filter(|w| w.contains('@'))?;
    let password = words.next()?;
    words
        .next()
        .is_none()
        .then(|| (email.to_owned(), password.to_owned()))
}

/// Where the demo keeps its secrets for the database at `url`: beside a SQLite file
/// (`agencyflow.db` → `agencyflow.db.demo-tokens`), else in the working directory,
/// named after the database.
pub fn secrets_file(url: &str) -> PathBuf {
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

/// Who the demo wants: the staff, then a user per demo agency in the database.
struct Wanted {
    role: Role,
    agency: Option<agency::Model>,
    email: String,
    name: String,
    holds_token: bool,
}

async fn wanted(db: &DatabaseConnection) -> anyhow::Result<Vec<Wanted>> {
    let codes = SIMULATED
        .iter()
        .map(|(code, _)| *code)
        .chain(AGENCIES.iter().map(|a| a.code));
    let agencies = agency::Entity::find()
        .filter(agency::Column::Code.is_in(codes))
        .order_by_asc(agency::Column::Id)
        .all(db)
        .await?;
    anyhow::ensure!(
        agencies.iter().any(|a| a.code == TOKEN_AGENCY),
        "the demo agency {TOKEN_AGENCY} is missing"
    );
    let staff = STAFF.iter().map(|(role, email, name, holds_token)| Wanted {
        role: *role,
        agency: None,
        email: (*email).to_owned(),
        name: (*name).to_owned(),
        holds_token: *holds_token,
    });
    let agency_users = agencies.into_iter().map(|agency| Wanted {
        role: Role::Agency,
        email: format!("ops@{}.example", agency.code.to_lowercase()),
        name: format!("{} operations desk", agency.code),
        holds_token: agency.code == TOKEN_AGENCY,
        agency: Some(agency),
    });
    Ok(staff.chain(agency_users).collect())
}

/// The demo's people and tokens for `db`: those kept in `file` that still work, and new
/// ones for the rest; tokens expire as `lifetime` says a token does, and every other
/// active token the demo minted is revoked. Rewrites `file`.
pub async fn people(
    db: &DatabaseConnection,
    identity: &Identity,
    file: &Path,
    lifetime: TokenLifetime,
) -> anyhow::Result<DemoAccess> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(err) => return Err(err).with_context(|| format!("reading {}", file.display())),
    };
    let kept_tokens: Vec<DemoToken> = text.lines().filter_map(DemoToken::parse).collect();
    let kept_passwords: HashMap<String, String> = text.lines().filter_map(parse_password).collect();
    let caller = Caller::system("demo", Utc::now());
    let mut access = DemoAccess {
        people: Vec::new(),
        tokens: Vec::new(),
    };
    let mut in_use = HashSet::new();
    for wanted in wanted(db).await? {
        let password = kept_passwords
            .get(&wanted.email)
            .cloned()
            .unwrap_or_else(password::generate);
        let user = ensure_user(db, &caller, identity, &wanted, &password).await?;
        let agency = wanted.agency.as_ref().map(|a| a.code.clone());
        if wanted.holds_token {
            let (id, secret) = token_of(db, &caller, &user, &kept_tokens, lifetime).await?;
            in_use.insert(id);
            access.tokens.push(DemoToken {
                role: wanted.role,
                agency: agency.clone(),
                secret,
            });
        }
        access.people.push(DemoPerson {
            role: wanted.role,
            agency,
            email: wanted.email,
            password,
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
    write(file, &access).with_context(|| format!("writing {}", file.display()))?;
    Ok(access)
}

/// The demo user `wanted` describes, active, with their role and agency, and `password`.
async fn ensure_user(
    db: &DatabaseConnection,
    caller: &Caller,
    identity: &Identity,
    wanted: &Wanted,
    password: &str,
) -> anyhow::Result<user::Model> {
    let agency_id = wanted.agency.as_ref().map(|a| a.id);
    let Some(mut user) = records::find_by_email(db, &wanted.email).await? else {
        let new = NewUser {
            email: wanted.email.clone(),
            display_name: wanted.name.clone(),
            role: wanted.role,
            agency_id,
            language: None,
            time_zone: None,
        };
        return Ok(users::create(db, caller, identity, new, Some(password))
            .await?
            .user);
    };
    if user.status == UserStatus::Disabled {
        user = users::enable(db, caller, user.id).await?;
    }
    if user.role != wanted.role || user.agency_id != agency_id {
        let changes = UserChanges {
            role: Some(wanted.role),
            agency_id,
            ..UserChanges::default()
        };
        user = users::update(db, caller, user.id, changes).await?;
    }
    if !identity
        .passwords
        .verify(user.password_hash.as_deref(), password)
        .await
    {
        let link = credentials::reset(db, caller, identity, user.id).await?;
        user = credentials::use_link(db, caller, identity, &link.secret, password).await?;
    }
    Ok(user)
}

/// The id and secret of `user`'s demo token: the kept one while it still works as theirs,
/// else a new personal token.
async fn token_of(
    db: &DatabaseConnection,
    caller: &Caller,
    user: &user::Model,
    kept: &[DemoToken],
    lifetime: TokenLifetime,
) -> anyhow::Result<(i64, String)> {
    for token in kept.iter().filter(|t| t.role == user.role) {
        if let Some(found) = api_tokens::find_active(db, &token.secret, caller.now).await?
            && found.user_id == Some(user.id)
        {
            return Ok((found.id, token.secret.clone()));
        }
    }
    let created = api_tokens::create(
        db,
        caller,
        NewToken {
            owner: TokenOwner::User(user.id),
            label: format!("demo {}", user.role.to_value().to_lowercase()),
            expires_at: None,
        },
        lifetime,
    )
    .await?;
    Ok((created.token.id, created.secret))
}

/// Replaces `file` with the tokens and passwords of `access`, readable by its owner alone.
fn write(file: &Path, access: &DemoAccess) -> std::io::Result<()> {
    let partial = file.with_extension("demo-tokens.partial");
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)?;
    for token in &access.tokens {
        writeln!(out, "{}", token.line())?;
    }
    for person in &access.people {
        writeln!(out, "{} {}", person.email, person.password)?;
    }
    out.sync_all()?;
    std::fs::rename(&partial, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secrets_live_beside_a_sqlite_file() {
        assert_eq!(
            secrets_file("sqlite://agencyflow.db?mode=rwc"),
            PathBuf::from("agencyflow.db.demo-tokens")
        );
        assert_eq!(
            secrets_file("sqlite:///tmp/demo.db?mode=rwc"),
            PathBuf::from("/tmp/demo.db.demo-tokens")
        );
        assert_eq!(
            secrets_file("sqlite::memory:"),
            PathBuf::from("agencyflow.demo-tokens")
        );
        assert_eq!(
            secrets_file("postgres://postgres@localhost/demo?host=/var/run/postgresql"),
            PathBuf::from("demo.demo-tokens")
        );
    }

    #[test]
    fn a_token_line_names_the_role_the_agency_and_the_secret() {
        let token = DemoToken {
            role: Role::Agency,
            agency: Some("ACME".into()),
            secret: "af_x".into(),
        };
        assert_eq!(DemoToken::parse(&token.line()), Some(token));
        assert_eq!(
            DemoToken::parse("VENDOR_MANAGER af_y").map(|t| t.role),
            Some(Role::VendorManager)
        );
        assert_eq!(DemoToken::parse("NOBODY af_y"), None);
        assert_eq!(DemoToken::parse("ADMIN"), None);
    }

    #[test]
    fn a_password_line_is_an_email_and_a_password_and_never_a_token() {
        assert_eq!(
            parse_password("admin@lender.example k7qmx-2xvpa-9tfrw-wh3ln"),
            Some((
                "admin@lender.example".into(),
                "k7qmx-2xvpa-9tfrw-wh3ln".into()
            ))
        );
        assert_eq!(parse_password("ADMIN af_x"), None);
        assert_eq!(parse_password("AGENCY ACME af_x"), None);
        assert_eq!(parse_password("admin@lender.example"), None);
        assert_eq!(DemoToken::parse("admin@lender.example k7qmx"), None);
    }
}
