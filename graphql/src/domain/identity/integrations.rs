//! Integrations: named system principals (e.g. "ACME dialer") that act through API tokens.
//! Through the API an ADMIN makes agency integrations (role AGENCY, owned by the agency);
//! the operator's CLI also makes lender ones.

use chrono::{DateTime, Utc};
use entity::api_token::Role;
use entity::{agency, integration};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection,
    EntityTrait,
};
use serde_json::json;

use crate::domain::actor::{Caller, Principal};
use crate::domain::audit::{self, Change};
use crate::domain::page::{Direction, Page, PageRequest, fetch_page};
use crate::domain::tokens::{self, CreatedToken, NewToken, TokenLifetime, TokenOwner};
use crate::domain::tx::begin_write;
use crate::domain::validate;
use crate::error::{AppError, AppResult};

pub struct NewIntegration {
    pub name: String,
    pub role: Role,
    pub agency_id: Option<i64>,
}

/// Creates an integration, audited. An AGENCY integration names its agency; one of a
/// lender role is made only by the service itself (the CLI), never through the API, so no
/// ADMIN can mint themself a FINANCE principal.
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    new: NewIntegration,
) -> AppResult<integration::Model> {
    let name = validate::text("name", &new.name, 200)?;
    let internal = matches!(caller.actor.principal, Principal::System(_));
    match (new.role, new.agency_id) {
        (Role::Agency, None) => {
            return Err(AppError::bad_input(
                "agencyId",
                "an AGENCY integration names its agency",
            ));
        }
        (Role::Agency, Some(_)) => {}
        (_, Some(_)) => {
            return Err(AppError::bad_input(
                "agencyId",
                "only AGENCY integrations belong to an agency",
            ));
        }
        (_, None) if !internal => {
            return Err(AppError::bad_input(
                "role",
                "integrations made through the API act for an agency (role AGENCY); lender staff are users",
            ));
        }
        (_, None) => {}
    }
    let tx = begin_write(db).await?;
    if let Some(agency_id) = new.agency_id {
        agency::Entity::find_by_id(agency_id)
            .one(&tx)
            .await?
            .ok_or_else(|| AppError::not_found("agency", agency_id))?;
    }
    let created = integration::ActiveModel {
        name: Set(name),
        role: Set(new.role),
        agency_id: Set(new.agency_id),
        created_at: Set(caller.now),
        created_by: Set(caller.actor.audit_name()),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    audit::record(
        &tx,
        caller,
        Change {
            action: "integration.create",
            entity_type: "integration",
            entity_id: created.id.to_string(),
            before: None,
            after: Some(json!({
                "id": created.id,
                "name": created.name,
                "role": created.role.to_value(),
                "agencyId": created.agency_id,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: i64) -> AppResult<integration::Model> {
    integration::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("integration", id))
}

/// Integrations, oldest first.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    page: PageRequest,
) -> AppResult<Page<integration::Model>> {
    fetch_page(
        conn,
        integration::Entity::find(),
        integration::Column::Id,
        page,
        Direction::Ascending,
    )
    .await
}

/// An integration and its first token, for the service's own tools (the CLI's
/// `token create`, the simulator, the benchmarks).
pub async fn create_with_token(
    db: &DatabaseConnection,
    caller: &Caller,
    new: NewIntegration,
    expires_at: Option<DateTime<Utc>>,
    lifetime: TokenLifetime,
) -> AppResult<CreatedToken> {
    let label = new.name.clone();
    let integration = create(db, caller, new).await?;
    tokens::create(
        db,
        caller,
        NewToken {
            owner: TokenOwner::Integration(integration.id),
            label,
            expires_at,
        },
        lifetime,
    )
    .await
}
