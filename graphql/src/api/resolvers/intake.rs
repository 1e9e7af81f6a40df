use async_graphql::{Context, ID, InputObject, Object, Upload};
use chrono::NaiveDate;

use crate::api::context::{caller, db, national_id_key};
use crate::api::guard::{MANAGERS, RoleGuard};
use crate::api::ids;
use crate::api::types::enums::{AccountFlag, Product, to_stored};
use crate::api::types::intake::AccountImportReport;
use crate::api::types::money::Amount;
use crate::domain::intake::{self, AccountFields, Field};
use crate::error::{AppError, AppResult};

#[derive(Default)]
pub struct IntakeMutation;

#[derive(InputObject)]
pub struct DebtorInput {
    pub name: String,
    /// E.164 numbers, e.g. +15125550100.
    #[graphql(default)]
    pub phones: Vec<String>,
    pub email: Option<String>,
    /// Write-only: stored as a keyed hash and its last four characters.
    pub national_id: Option<String>,
    /// A region code such as US-TX, UK, CN-31.
    pub region: String,
    /// IANA time zone, e.g. America/Chicago.
    pub time_zone: String,
}

/// One account as the lender sends it. A re-imported lender reference replaces every field.
#[derive(InputObject)]
pub struct AccountInput {
    /// The lender's own reference, unique across portfolios (at most 64 characters).
    pub lender_reference: String,
    pub debtor: DebtorInput,
    pub product: Product,
    /// More than zero.
    pub principal: Amount,
    /// The balance owed now; zero or more.
    pub outstanding: Amount,
    /// Must be the portfolio's currency.
    pub currency: String,
    /// Not in the future; days past due are counted from it.
    pub delinquency_start: NaiveDate,
    pub charge_off_date: Option<NaiveDate>,
    #[graphql(default)]
    pub flags: Vec<AccountFlag>,
}

impl From<AccountInput> for AccountFields {
    fn from(input: AccountInput) -> Self {
        Self {
            lender_reference: input.lender_reference,
            debtor_name: input.debtor.name,
            phones: input.debtor.phones,
            email: input.debtor.email,
            national_id: input.debtor.national_id,
            region: input.debtor.region,
            time_zone: input.debtor.time_zone,
            product: input.product.into(),
            principal: input.principal.0,
            outstanding: input.outstanding.0,
            currency: input.currency,
            delinquency_start: input.delinquency_start,
            charge_off_date: input.charge_off_date,
            flags: to_stored(&input.flags),
        }
    }
}

#[Object]
impl IntakeMutation {
    /// Imports up to 10,000 accounts into a portfolio. A lender reference already in the
    /// portfolio updates its account; one in another portfolio is refused. Good rows land
    /// even when others are refused; each refusal names its row (1 is the first account)
    /// and field.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn import_accounts(
        &self,
        ctx: &Context<'_>,
        portfolio_id: ID,
        accounts: Vec<AccountInput>,
    ) -> async_graphql::Result<AccountImportReport> {
        let report = intake::import_batch(
            db(ctx),
            &caller(ctx)?,
            national_id_key(ctx),
            ids::parse("portfolioId", &portfolio_id)?,
            accounts.into_iter().map(Into::into).collect(),
        )
        .await?;
        Ok(AccountImportReport::new(report, Field::input_path))
    }

    /// Imports a CSV file of any size (a GraphQL multipart request; columns in the
    /// README). As `importAccounts`, but rows are numbered from the line after the
    /// header and fields are named by column. With `atomic: true` any error refuses the
    /// whole file and nothing is written.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn import_accounts_csv(
        &self,
        ctx: &Context<'_>,
        portfolio_id: ID,
        file: Upload,
        atomic: Option<bool>,
    ) -> async_graphql::Result<AccountImportReport> {
        let report = intake::import_csv(
            db(ctx),
            &caller(ctx)?,
            national_id_key(ctx),
            ids::parse("portfolioId", &portfolio_id)?,
            uploaded_file(ctx, file)?,
            atomic.unwrap_or(false),
        )
        .await?;
        Ok(AccountImportReport::new(report, Field::csv_column))
    }
}

/// The file behind an `Upload` argument. A client that names a file it did not send
/// gets an error, not a panic (async-graphql indexes its upload list unchecked).
pub(super) fn uploaded_file(ctx: &Context<'_>, file: Upload) -> AppResult<std::fs::File> {
    if *file >= ctx.query_env.uploads.len() {
        return Err(AppError::bad_input(
            "file",
            "send the file in a multipart request (GraphQL multipart request spec)",
        ));
    }
    let upload = file
        .value(ctx)
        .map_err(|err| AppError::Internal(anyhow::anyhow!("reading an upload: {err}")))?;
    Ok(upload.content)
}
