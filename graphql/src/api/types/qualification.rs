use async_graphql::{ComplexObject, Context, ID, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{agency_qualification, qualification_requirement, qualification_type};
use sea_orm::ActiveEnum;

use super::agency::Agency;
use super::enums::{KindOfWork, QualificationStatus};
use crate::api::ids::to_id;

/// A document that proves an agency may do a kind of work.
#[derive(SimpleObject)]
pub struct Document {
    pub url: Option<String>,
    pub sha256: Option<String>,
}

#[derive(SimpleObject)]
#[graphql(complex)]
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
    /// Who filed it, as the audit log names actors.
    pub submitted_by: Option<String>,
    pub revocation_reason: Option<String>,
    #[graphql(skip)]
    pub agency_id: i64,
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
            submitted_by: model.submitted_by,
            revocation_reason: model.revocation_reason,
            agency_id: model.agency_id,
        }
    }
}

#[ComplexObject]
impl Qualification {
    async fn agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Agency> {
        Ok(Agency::load(ctx, self.agency_id).await?)
    }
}

/// An entry of the qualification catalogue.
#[derive(SimpleObject)]
pub struct QualificationType {
    pub code: String,
    pub name: String,
    pub description: String,
    /// Whether one qualification of this type covers one region (a licence) or all.
    pub region_scoped: bool,
}

impl From<qualification_type::Model> for QualificationType {
    fn from(model: qualification_type::Model) -> Self {
        Self {
            code: model.code,
            name: model.name,
            description: model.description,
            region_scoped: model.region_scoped,
        }
    }
}

/// A rule: work of a kind in a region needs a verified qualification of a type.
#[derive(SimpleObject)]
pub struct QualificationRequirement {
    pub id: ID,
    pub qualification_type: String,
    /// `null`: every kind of work.
    pub kind_of_work: Option<KindOfWork>,
    /// `null`: every region.
    pub region: Option<String>,
    /// The qualification must cover the debtor's region.
    pub region_scoped: bool,
    /// The qualification must have been issued within this many months of the placement.
    pub max_age_months: Option<i32>,
    /// `false`: the requirement has been lifted.
    pub active: bool,
    pub updated_at: DateTime<Utc>,
}

impl From<qualification_requirement::Model> for QualificationRequirement {
    fn from(model: qualification_requirement::Model) -> Self {
        let any = |value: String| (value != qualification_requirement::ANY).then_some(value);
        Self {
            id: to_id(model.id),
            qualification_type: model.qualification_type,
            kind_of_work: any(model.kind_of_work)
                .and_then(|k| entity::agency::KindOfWork::try_from_value(&k).ok())
                .map(Into::into),
            region: any(model.region),
            region_scoped: model.region_scoped,
            max_age_months: model.max_age_months,
            active: model.active,
            updated_at: model.updated_at,
        }
    }
}
