//! Users: created and governed by ADMINs (and the operator's CLI), each change audited.
//! Disabling a user ends their sessions and revokes their tokens in the same transaction.

use chrono_tz::Tz;
use entity::agency;
use entity::api_token::Role;
use entity::user::{self, UserStatus};
use entity::user_session::EndReason;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::Identity;
use super::credentials::{self, ResetLink};
use super::{mfa, password, records, sessions};
use crate::domain::actor::Caller;
use crate::domain::page::{Direction, Page, PageRequest, fetch_page};
use crate::domain::tokens;
use crate::domain::tx::begin_write;
use crate::domain::validate;
use crate::error::{AppError, AppResult};

/// The languages the console speaks.
pub const LANGUAGES: [&str; 2] = ["en", "zh-CN"];
const MAX_EMAIL: usize = 320;

/// An e-mail address as stored: trimmed and lower-cased, `local@domain` with a dot in
/// the domain; at most 320 characters.
pub fn normalise_email(field: &str, email: &str) -> AppResult<String> {
    let email = validate::text(field, email, MAX_EMAIL)?.to_lowercase();
    let valid = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
    }) && !email.chars().any(char::is_whitespace);
    if !valid {
        return Err(AppError::bad_input(field, "not an e-mail address"));
    }
    Ok(email)
}

fn language(field: &str, value: &str) -> AppResult<String> {
    LANGUAGES
        .iter()
        .find(|l| l.eq_ignore_ascii_case(value.trim()))
        .map(|l| (*l).to_owned())
        .ok_or_else(|| {
            AppError::bad_input(field, format!("the languages are {}", LANGUAGES.join(", ")))
        })
}

fn time_zone(field: &str, value: &str) -> AppResult<String> {
    validate::text(field, value, 64)?
        .parse::<Tz>()
        .map(|tz| tz.name().to_owned())
        .map_err(|_| AppError::bad_input(field, "not an IANA time zone, e.g. Asia/Shanghai"))
}

pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The agency of an AGENCY user; refused for every other role.
    pub agency_id: Option<i64>,
    pub language: Option<String>,
    pub time_zone: Option<String>,
}

/// What a user update may change; `None` leaves a value as it is.
#[derive(Default)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// With `role`: the agency of an AGENCY user.
    pub agency_id: Option<i64>,
    pub language: Option<String>,
    pub time_zone: Option<String>,
}

async fn check_agency<C: ConnectionTrait>(
    conn: &C,
    role: Role,
    agency_id: Option<i64>,
) -> AppResult<()> {
    match (role, agency_id) {
        (Role::Agency, None) => Err(AppError::bad_input(
            "agencyId",
            "an AGENCY user must name their agency",
        )),
        (Role::Agency, Some(id)) => {
            agency::Entity::find_by_id(id)
                .one(conn)
                .await?
                .ok_or_else(|| AppError::not_found("agency", id))?;
            Ok(())
        }
        (_, Some(_)) => Err(AppError::bad_input(
            "agencyId",
            "only AGENCY users belong to an agency",
        )),
        (_, None) => Ok(()),
    }
}

/// A user created, and how they set their first password: `password` when the operator's
/// CLI gives one, else a set-password link.
pub struct CreatedUser {
    pub user: user::Model,
    pub link: Option<ResetLink>,
}

/// Creates a user in one transaction, audited. With `password` (the CLI's first ADMIN) it
/// is checked and set; without, the answer carries a one-time set-password link.
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    identity: &Identity,
    new: NewUser,
    password: Option<&str>,
) -> AppResult<CreatedUser> {
    let password_hash = match password {
        Some(password) => {
            password::check("password", password, &normalise_email("email", &new.email)?)?;
            Some(identity.passwords.hash(password).await?)
        }
        None => None,
    };
    let tx = begin_write(db).await?;
    let user = insert(&tx, caller, new, password_hash, None).await?;
    let link = match password {
        Some(_) => None,
        None => Some(credentials::issue(&tx, caller, identity, &user).await?),
    };
    tx.commit().await?;
    Ok(CreatedUser { user, link })
}

/// Inserts a user, checked and audited: with a password already hashed, or with the
/// single-sign-on identity (`issuer#subject`) they sign in with instead.
pub(super) async fn insert(
    tx: &DatabaseTransaction,
    caller: &Caller,
    new: NewUser,
    password_hash: Option<String>,
    sso_subject: Option<String>,
) -> AppResult<user::Model> {
    let email = normalise_email("email", &new.email)?;
    let display_name = validate::text("displayName", &new.display_name, 200)?;
    let language = language("language", new.language.as_deref().unwrap_or("en"))?;
    let time_zone = time_zone("timeZone", new.time_zone.as_deref().unwrap_or("UTC"))?;
    check_agency(tx, new.role, new.agency_id).await?;
    if records::find_by_email(tx, &email).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "a user with e-mail {email} already exists"
        )));
    }
    let user = user::ActiveModel {
        email: Set(email),
        display_name: Set(display_name),
        role: Set(new.role),
        agency_id: Set(new.agency_id),
        status: Set(UserStatus::Active),
        language: Set(language),
        time_zone: Set(time_zone),
        password_changed_at: Set(password_hash.as_ref().map(|_| caller.now)),
        password_hash: Set(password_hash),
        sso_subject: Set(sso_subject),
        created_at: Set(caller.now),
        created_by: Set(caller.actor.audit_name()),
        updated_at: Set(caller.now),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    records::record(tx, caller, "user.create", None, &user).await?;
    Ok(user)
}

/// Refuses a change that would leave no active ADMIN.
async fn keep_an_admin<C: ConnectionTrait>(conn: &C, user: &user::Model) -> AppResult<()> {
    if user.role != Role::Admin || user.status != UserStatus::Active {
        return Ok(());
    }
    let others = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin))
        .filter(user::Column::Status.eq(UserStatus::Active))
        .filter(user::Column::Id.ne(user.id))
        .count(conn)
        .await?;
    if others == 0 {
        return Err(AppError::Conflict(
            "this is the last active ADMIN: make another ADMIN first".into(),
        ));
    }
    Ok(())
}

/// Changes a user. An ADMIN changes anything; a user changes their own name, language and
/// time zone. A new role or agency ends the user's sessions and revokes their tokens,
/// which carry the old one.
pub async fn update(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    changes: UserChanges,
) -> AppResult<user::Model> {
    let is_admin = caller.actor.role == Role::Admin;
    if !is_admin && caller.actor.user_id() != Some(id) {
        return Err(AppError::Forbidden(
            "a user changes their own details; an ADMIN changes anyone's".into(),
        ));
    }
    if !is_admin && (changes.role.is_some() || changes.agency_id.is_some()) {
        return Err(AppError::Forbidden(
            "only an ADMIN changes a role or an agency".into(),
        ));
    }
    let display_name = changes
        .display_name
        .as_deref()
        .map(|name| validate::text("displayName", name, 200))
        .transpose()?;
    let language = changes
        .language
        .as_deref()
        .map(|l| language("language", l))
        .transpose()?;
    let time_zone = changes
        .time_zone
        .as_deref()
        .map(|tz| time_zone("timeZone", tz))
        .transpose()?;
    let tx = begin_write(db).await?;
    let current = records::find_for_update(&tx, id).await?;
    let role = changes.role.unwrap_or(current.role);
    let agency_id = match changes.role {
        Some(_) => changes.agency_id,
        None => changes.agency_id.or(current.agency_id),
    };
    let access_changes = role != current.role || agency_id != current.agency_id;
    if access_changes {
        if role != Role::Admin {
            keep_an_admin(&tx, &current).await?;
        }
        check_agency(&tx, role, agency_id).await?;
    }
    let updated = records::save(&tx, caller, "user.update", current, |row| {
        if let Some(name) = display_name {
            row.display_name = Set(name);
        }
        if let Some(language) = language {
            row.language = Set(language);
        }
        if let Some(tz) = time_zone {
            row.time_zone = Set(tz);
        }
        row.role = Set(role);
        row.agency_id = Set(agency_id);
    })
    .await?;
    if access_changes {
        sessions::end_all_of_user(&tx, caller, id, EndReason::RoleChanged).await?;
        tokens::revoke_all_of_user(&tx, caller, id).await?;
    }
    tx.commit().await?;
    Ok(updated)
}

/// Disables a user: from this instant none of their sessions or tokens works. Nobody
/// disables themself, and the last active ADMIN is not disabled.
pub async fn disable(db: &DatabaseConnection, caller: &Caller, id: i64) -> AppResult<user::Model> {
    if caller.actor.user_id() == Some(id) {
        return Err(AppError::Conflict("nobody disables themself".into()));
    }
    let tx = begin_write(db).await?;
    let current = records::find_for_update(&tx, id).await?;
    if current.status == UserStatus::Disabled {
        return Err(AppError::Conflict(format!("user {id} is already disabled")));
    }
    keep_an_admin(&tx, &current).await?;
    let updated = records::save(&tx, caller, "user.disable", current, |row| {
        row.status = Set(UserStatus::Disabled);
        row.disabled_at = Set(Some(caller.now));
    })
    .await?;
    sessions::end_all_of_user(&tx, caller, id, EndReason::UserDisabled).await?;
    tokens::revoke_all_of_user(&tx, caller, id).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Enables a disabled user. Their old tokens stay revoked; they sign in afresh.
pub async fn enable(db: &DatabaseConnection, caller: &Caller, id: i64) -> AppResult<user::Model> {
    let tx = begin_write(db).await?;
    let current = records::find_for_update(&tx, id).await?;
    if current.status == UserStatus::Active {
        return Err(AppError::Conflict(format!("user {id} is already active")));
    }
    let updated = records::save(&tx, caller, "user.enable", current, |row| {
        row.status = Set(UserStatus::Active);
        row.disabled_at = Set(None);
    })
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// ADMIN: turns a user's MFA off (a lost device): secret and recovery codes are gone,
/// their sessions end, and a role that must use MFA enrols again at the next sign-in.
pub async fn reset_mfa(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
) -> AppResult<user::Model> {
    let tx = begin_write(db).await?;
    let user = records::find_for_update(&tx, id).await?;
    if user.mfa_secret.is_none() {
        return Err(AppError::Conflict(format!(
            "user {id} has no multi-factor sign-in"
        )));
    }
    let updated = records::save(&tx, caller, "user.reset_mfa", user, |row| {
        row.mfa_secret = Set(None);
        row.mfa_enabled_at = Set(None);
        row.mfa_last_step = Set(None);
    })
    .await?;
    mfa::replace_recovery_codes(&tx, id, &[], caller.now).await?;
    sessions::end_all_of_user(&tx, caller, id, EndReason::MfaReset).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Users, oldest first.
pub async fn list<C: ConnectionTrait>(conn: &C, page: PageRequest) -> AppResult<Page<user::Model>> {
    fetch_page(
        conn,
        user::Entity::find(),
        user::Column::Id,
        page,
        Direction::Ascending,
    )
    .await
}

/// Every user, oldest first, for the CLI.
pub async fn all<C: ConnectionTrait>(conn: &C) -> AppResult<Vec<user::Model>> {
    use sea_orm::QueryOrder;
    Ok(user::Entity::find()
        .order_by_asc(user::Column::Id)
        .all(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            normalise_email("email", "  Ana.Lopez@Lender.Example ").unwrap(),
            "ana.lopez@lender.example"
        );
        for bad in [
            "ana",
            "ana@",
            "@lender.example",
            "ana@lender",
            "a b@c.de",
            "a@b@c.de",
            "a@.de",
        ] {
            assert!(normalise_email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn languages_and_time_zones_are_known_ones() {
        assert_eq!(language("language", "zh-cn").unwrap(), "zh-CN");
        assert!(language("language", "fr").is_err());
        assert_eq!(
            time_zone("timeZone", "Asia/Shanghai").unwrap(),
            "Asia/Shanghai"
        );
        assert!(time_zone("timeZone", "Mars/Olympus").is_err());
    }
}
