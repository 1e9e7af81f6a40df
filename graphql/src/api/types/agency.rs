use async_graphql::{ComplexObject, Context, ID, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{agency, agency_qualification};

use super::enums::{AgencyStatus, Channel, KindOfWork, QualificationStatus, RemittanceMode};
use super::money::Money;
use crate::api::ids::to_id;
use crate::api::loaders::{Loaders, loader_error};
use crate::error::AppResult;

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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub row_id: i64,
}

/// The most work an agency takes at once; `null` means no limit of that kind.
#[derive(SimpleObject)]
pub struct Capacity {
    pub max_active_accounts: Option<i64>,
    pub max_active_balance: Option<Money>,
}

impl Agency {
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
            created_at: model.created_at,
            updated_at: model.updated_at,
        })
    }
}

#[ComplexObject]
impl Agency {
    /// Licences, certifications, insurance and audits on record, oldest first.
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

/// A document that proves an agency may do a kind of work.
#[derive(SimpleObject)]
pub struct Document {
    pub url: Option<String>,
    pub sha256: Option<String>,
}

#[derive(SimpleObject)]
pub struct Qualification {
    pub id: ID,
    /// A code from the qualification catalogue, e.g. COLLECTION_LICENSE.
    pub qualification_type: String,
    pub region: Option<String>,
    pub identifier: String,
    pub issuer: String,
    pub issued_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub document: Document,
    pub status: QualificationStatus,
    pub reviewed_by: Option<String>,
    pub review_note: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
}

impl From<agency_qualification::Model> for Qualification {
    fn from(model: agency_qualification::Model) -> Self {
        Self {
            id: to_id(model.id),
            qualification_type: model.qualification_type,
            region: model.region,
            identifier: model.identifier,
            issuer: model.issuer,
            issued_on: model.issued_on,
            expires_on: model.expires_on,
            document: Document {
                url: model.document_url,
                sha256: model.document_sha256,
            },
            status: model.status.into(),
            reviewed_by: model.reviewed_by,
            review_note: model.review_note,
            reviewed_at: model.reviewed_at,
        }
    }
}
