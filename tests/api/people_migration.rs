//! The migration to people keeps every token working: each becomes an integration of the
//! same id, name and role, and four-eyes columns that named the token name the integration.

use agencyflow::db;
use agencyflow_graphql::domain::actor::Principal;
use agencyflow_graphql::domain::identity::mfa::MfaPolicy;
use agencyflow_graphql::domain::tokens;
use chrono::Utc;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sha2::{Digest, Sha256};

use crate::helpers::{fresh_store, test_settings};

#[tokio::test]
async fn tokens_from_before_people_become_integrations_and_keep_their_decisions() {
    let (url, _store) = fresh_store().await;
    let settings = test_settings(&url);
    let db = db::connect(&settings.database).await.unwrap();
    // The migrations before the one to people (later ones may follow it).
    let before_people = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261204_000001_people")
        .expect("the migration to people") as u32;
    Migrator::up(&db, Some(before_people)).await.unwrap();

    let secret = "af_a-token-minted-before-people-existed-0123456";
    let hash = hex::encode(Sha256::digest(secret.as_bytes()));
    let backend = db.get_database_backend();
    let (yes, json) = match backend {
        DbBackend::Postgres => ("TRUE", "'{}'::json"),
        _ => ("1", "'{}'"),
    };
    for sql in [
        format!(
            "INSERT INTO api_tokens (id, token_hash, token_prefix, role, label, created_by, created_at) \
             VALUES (7, '{hash}', 'af_a-token', 'VENDOR_MANAGER', 'legacy reviewer', 'system:cli', CURRENT_TIMESTAMP)"
        ),
        format!(
            "INSERT INTO reassignment_runs (trigger, dry_run, as_of, summary, created_by, created_at) \
             VALUES ('MANUAL', {yes}, '2026-11-30', {json}, 'token:7', CURRENT_TIMESTAMP)"
        ),
    ] {
        db.execute_raw(Statement::from_string(backend, sql))
            .await
            .unwrap();
    }
    db::migrate(&db).await.unwrap();

    let row = |sql: &str| {
        let db = db.clone();
        let sql = sql.to_owned();
        async move {
            db.query_one_raw(Statement::from_string(backend, sql))
                .await
                .unwrap()
                .unwrap()
        }
    };
    let integration = row("SELECT name, role FROM integrations WHERE id = 7").await;
    assert_eq!(
        integration.try_get::<String>("", "name").unwrap(),
        "legacy reviewer"
    );
    assert_eq!(
        integration.try_get::<String>("", "role").unwrap(),
        "VENDOR_MANAGER"
    );
    let run = row("SELECT created_by FROM reassignment_runs").await;
    assert_eq!(
        run.try_get::<String>("", "created_by").unwrap(),
        "integration:7"
    );

    let mfa = MfaPolicy {
        required_roles: vec![],
        issuer: "agencyflow".into(),
    };
    let actor = tokens::authenticate(&db, secret, Utc::now(), &mfa)
        .await
        .unwrap()
        .expect("the legacy token still works");
    assert_eq!(
        actor.principal,
        Principal::Integration {
            id: 7,
            name: "legacy reviewer".into()
        }
    );
    assert_eq!(actor.audit_name(), "integration:7");

    // New integrations do not collide with the migrated ids.
    let next = row("SELECT COUNT(*) AS n FROM integrations").await;
    assert_eq!(next.try_get::<i64>("", "n").unwrap(), 1);
    let created = agencyflow_graphql::domain::identity::integrations::create(
        &db,
        &agencyflow_graphql::domain::Caller::system("test", Utc::now()),
        agencyflow_graphql::domain::identity::integrations::NewIntegration {
            name: "after".into(),
            role: entity::api_token::Role::Auditor,
            agency_id: None,
        },
    )
    .await
    .unwrap();
    assert!(created.id > 7);
}
