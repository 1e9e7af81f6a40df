use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Upload, UploadValue};
use chrono::NaiveDate;

use crate::api::context::{caller, db, imports, national_id_key};
use crate::api::cost;
use crate::api::guard::{LENDER, MANAGERS, RoleGuard};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::enums::{AccountFlag, Product, to_stored};
use crate::api::types::intake::{AccountImport, AccountImportReport};
use crate::api::types::money::Amount;
use crate::domain::intake::tracked::{self, Start};
use crate::domain::intake::{self, AccountFields, Field};
use crate::error::{AppError, AppResult};

#[derive(Default)]
pub struct IntakeQuery;

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
impl IntakeQuery {
    /// One import started with `startAccountImport`, as it stands now (lender staff).
    #[graphql(guard = "RoleGuard::new(LENDER)")]
    async fn account_import(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<AccountImport> {
        let id = ids::parse("id", &id)?;
        Ok(tracked::get(imports(ctx), db(ctx), id).await?.into())
    }

    /// A portfolio's imports started with `startAccountImport`, newest first.
    #[graphql(
        guard = "RoleGuard::new(LENDER)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn account_imports(
        &self,
        ctx: &Context<'_>,
        portfolio_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, AccountImport>> {
        let portfolio_id = ids::parse("portfolioId", &portfolio_id)?;
        let page = tracked::list(
            imports(ctx),
            db(ctx),
            portfolio_id,
            page_request(ctx, first, after)?,
        )
        .await?;
        Ok(connection(page, |i| i.id, |i| Ok(i.into()))?)
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
            uploaded(ctx, file)?.content,
            atomic.unwrap_or(false),
        )
        .await?;
        Ok(AccountImportReport::new(report, Field::csv_column))
    }

    /// As `importAccountsCsv`, but answers at once: a bad header is refused now, and the
    /// rows are imported in the background. Follow it with `accountImport(id)`: its report
    /// counts rows read, created, updated and rejected as it goes, and lists the refused
    /// rows once it is over.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn start_account_import(
        &self,
        ctx: &Context<'_>,
        portfolio_id: ID,
        file: Upload,
        atomic: Option<bool>,
    ) -> async_graphql::Result<AccountImport> {
        let upload = uploaded(ctx, file)?;
        let start = Start {
            portfolio_id: ids::parse("portfolioId", &portfolio_id)?,
            file_name: Some(upload.filename),
            file: upload.content,
            atomic: atomic.unwrap_or(false),
        };
        let import = tracked::start(
            imports(ctx),
            db(ctx),
            &caller(ctx)?,
            national_id_key(ctx),
            start,
        )
        .await?;
        Ok(import.into())
    }
}

/// The file behind an `Upload` argument. A client that names a file it did not send
/// gets an error, not a panic (async-graphql indexes its upload list unchecked).
pub(super) fn uploaded(ctx: &Context<'_>, file: Upload) -> AppResult<UploadValue> {
    if *file >= ctx.query_env.uploads.len() {
        return Err(AppError::bad_input(
            "file",
            "send the file in a multipart request (GraphQL multipart request spec)",
        ));
    }
    file.value(ctx)
        .map_err(|err| AppError::Internal(anyhow::anyhow!("reading an upload: {err}")))
}
