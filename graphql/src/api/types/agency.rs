use async_graphql::{ComplexObject, Context, ID, SimpleObject};
use chrono::{DateTime, Utc};
use entity::agency;

use super::enums::{AgencyStatus, Channel, KindOfWork, RemittanceMode};
use super::money::Money;
use super::qualification::Qualification;
use crate::api::cost;
use crate::api::ids::to_id;
use crate::api::loaders::{Loaders, loader_error};
use crate::error::{AppError, AppResult};

/// A collection agency (or law firm) the lender may place accounts with.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Agency {
    pub id: ID,
    pub code: String,
    pub legal_name: String,
    pub status: AgencyStatus,
    pub kinds_of_work: Vec<KindOfWork>,
    pub channels: Vec<Channel>,
    pub regions: Vec<String>,
    pub capacity: Capacity,
    pub remittance_mode: RemittanceMode,
    /// Why the agency is in its status (required for PROBATION, SUSPENDED, TERMINATED).
    pub status_reason: Option<String>,
    pub status_changed_at: Option<DateTime<Utc>>,
    /// Where placement and qualification events are posted (Standard Webhooks).
    pub webhook_url: Option<String>,
    /// Whether a signing secret is set. The secret itself is write-only.
    pub has_webhook_secret: bool,
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub contacts: Vec<AgencyContact>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub row_id: i64,
}

/// A person at the agency the lender deals with.
#[derive(SimpleObject)]
pub struct AgencyContact {
    pub name: String,
    pub role: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The most work an agency takes at once; `null` means no limit of that kind.
#[derive(SimpleObject)]
pub struct Capacity {
    pub max_active_accounts: Option<i64>,
    pub max_active_balance: Option<Money>,
}

impl Agency {
    /// The agency with this id, through the request's DataLoader.
    pub async fn load(ctx: &Context<'_>, agency_id: i64) -> AppResult<Self> {
        let model = ctx
            .data_unchecked::<Loaders>()
            .agency
            .load_one(agency_id)
            .await
            .map_err(loader_error)?
            .ok_or_else(|| AppError::not_found("agency", agency_id))?;
        Self::from_model(model)
    }

    pub fn from_model(model: agency::Model) -> AppResult<Self> {
        let max_active_balance = model
            .max_active_balance_minor
            .map(|minor| Money::from_minor(minor, &model.capacity_currency))
            .transpose()?;
        Ok(Self {
            id: to_id(model.id),
            row_id: model.id,
            code: model.code,
            legal_name: model.legal_name,
            status: model.status.into(),
            kinds_of_work: model.kinds_of_work.0.into_iter().map(Into::into).collect(),
            channels: model.channels.0.into_iter().map(Into::into).collect(),
            regions: model.regions.0,
            capacity: Capacity {
                max_active_accounts: model.max_active_accounts,
                max_active_balance,
            },
            remittance_mode: model.remittance_mode.into(),
            status_reason: model.status_reason,
            status_changed_at: model.status_changed_at,
            webhook_url: model.webhook_url,
            has_webhook_secret: model.webhook_secret.is_some(),
            contacts: model
                .contacts
                .map(|c| c.0)
                .unwrap_or_default()
                .into_iter()
                .map(|c| AgencyContact {
                    name: c.name,
                    role: c.role,
                    email: c.email,
                    phone: c.phone,
                })
                .collect(),
            created_at: model.created_at,
            updated_at: model.updated_at,
        })
    }
}

#[ComplexObject]
impl Agency {
    /// Licences, certifications, insurance and audits on record, oldest first.
    #[graphql(complexity = "cost::list(child_complexity)")]
    async fn qualifications(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Qualification>> {
        let rows = ctx
            .data_unchecked::<Loaders>()
            .qualifications
            .load_one(self.row_id)
            .await
            .map_err(loader_error)?
            .unwrap_or_default();
        Ok(rows.into_iter().map(Qualification::from).collect())
    }
}
