use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};
use entity::portfolio;

use crate::api::ids::to_id;

/// A batch of delinquent accounts the lender hands over for collection.
#[derive(SimpleObject)]
pub struct Portfolio {
    pub id: ID,
    pub code: String,
    pub name: String,
    pub currency: String,
    pub created_at: DateTime<Utc>,
}

impl From<portfolio::Model> for Portfolio {
    fn from(model: portfolio::Model) -> Self {
        Self {
            id: to_id(model.id),
            code: model.code,
            name: model.name,
            currency: model.currency,
            created_at: model.created_at,
        }
    }
}
