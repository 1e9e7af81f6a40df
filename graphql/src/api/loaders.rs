//! DataLoaders, built per request so no cache is shared between callers.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use entity::{account, agency, agency_qualification, allocation_strategy, placement, portfolio};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::any_of::any_of;
use crate::error::AppError;

/// Loads rows of one table by id.
pub struct ById<E: EntityTrait> {
    db: DatabaseConnection,
    id: E::Column,
    key: fn(&E::Model) -> i64,
}

impl<E> Loader<i64> for ById<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync,
{
    type Value = E::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, E::Model>, Self::Error> {
        let rows = E::find()
            .filter(any_of(
                self.db.get_database_backend(),
                self.id,
                keys.iter().copied(),
            ))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| ((self.key)(&row), row))
            .collect())
    }
}

/// An agency's qualifications, oldest first.
pub struct QualificationsByAgency(DatabaseConnection);

impl Loader<i64> for QualificationsByAgency {
    type Value = Vec<agency_qualification::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        use agency_qualification::Column;
        let rows = agency_qualification::Entity::find()
            .filter(any_of(
                self.0.get_database_backend(),
                Column::AgencyId,
                keys.iter().copied(),
            ))
            .order_by_asc(Column::Id)
            .all(&self.0)
            .await?;
        let mut grouped: HashMap<i64, Self::Value> = HashMap::new();
        for row in rows {
            grouped.entry(row.agency_id).or_default().push(row);
        }
        Ok(grouped)
    }
}

/// The one ACTIVE placement of an account, if any.
pub struct ActivePlacementByAccount(DatabaseConnection);

impl Loader<i64> for ActivePlacementByAccount {
    type Value = placement::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        use placement::Column;
        let rows = placement::Entity::find()
            .filter(any_of(
                self.0.get_database_backend(),
                Column::AccountId,
                keys.iter().copied(),
            ))
            .filter(Column::Status.eq(placement::PlacementStatus::Active))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|row| (row.account_id, row)).collect())
    }
}

/// Every placement of an account, oldest first: its history.
pub struct PlacementsByAccount(DatabaseConnection);

impl Loader<i64> for PlacementsByAccount {
    type Value = Vec<placement::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        use placement::Column;
        let rows = placement::Entity::find()
            .filter(any_of(
                self.0.get_database_backend(),
                Column::AccountId,
                keys.iter().copied(),
            ))
            .order_by_asc(Column::Id)
            .all(&self.0)
            .await?;
        let mut grouped: HashMap<i64, Self::Value> = HashMap::new();
        for row in rows {
            grouped.entry(row.account_id).or_default().push(row);
        }
        Ok(grouped)
    }
}

/// Every loader of one request.
pub struct Loaders {
    pub agency: DataLoader<ById<agency::Entity>>,
    pub portfolio: DataLoader<ById<portfolio::Entity>>,
    pub strategy: DataLoader<ById<allocation_strategy::Entity>>,
    pub account: DataLoader<ById<account::Entity>>,
    pub qualifications: DataLoader<QualificationsByAgency>,
    pub active_placement: DataLoader<ActivePlacementByAccount>,
    pub placement_history: DataLoader<PlacementsByAccount>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            agency: DataLoader::new(
                ById::<agency::Entity> {
                    db: db.clone(),
                    id: agency::Column::Id,
                    key: |row| row.id,
                },
                tokio::spawn,
            ),
            portfolio: DataLoader::new(
                ById::<portfolio::Entity> {
                    db: db.clone(),
                    id: portfolio::Column::Id,
                    key: |row| row.id,
                },
                tokio::spawn,
            ),
            strategy: DataLoader::new(
                ById::<allocation_strategy::Entity> {
                    db: db.clone(),
                    id: allocation_strategy::Column::Id,
                    key: |row| row.id,
                },
                tokio::spawn,
            ),
            account: DataLoader::new(
                ById::<account::Entity> {
                    db: db.clone(),
                    id: account::Column::Id,
                    key: |row| row.id,
                },
                tokio::spawn,
            ),
            qualifications: DataLoader::new(QualificationsByAgency(db.clone()), tokio::spawn),
            active_placement: DataLoader::new(ActivePlacementByAccount(db.clone()), tokio::spawn),
            placement_history: DataLoader::new(PlacementsByAccount(db.clone()), tokio::spawn),
        }
    }
}

/// A loader failure is a database failure: INTERNAL to the client, logged in full.
pub fn loader_error(err: Arc<DbErr>) -> AppError {
    AppError::Internal(anyhow::anyhow!("data loader: {err}"))
}
