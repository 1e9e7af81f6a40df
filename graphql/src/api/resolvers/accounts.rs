use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object};

use crate::api::context::{actor, caller, db};
use crate::api::cost;
use crate::api::guard::{ANY_ROLE, MANAGERS, RoleGuard};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::account::Account;
use crate::api::types::enums::{AccountFlag, Product};
use crate::domain::accounts::{self, AccountFilter};

#[derive(Default)]
pub struct AccountQuery;

#[derive(Default)]
pub struct AccountMutation;

/// Flags to set and to lift on one account, and why.
#[derive(InputObject)]
pub struct UpdateAccountFlagsInput {
    pub account_id: ID,
    #[graphql(default)]
    pub add: Vec<AccountFlag>,
    #[graphql(default)]
    pub remove: Vec<AccountFlag>,
    /// E.g. "dispute verified: debt validated on 2026-07-02".
    pub reason: String,
}

#[derive(InputObject, Default)]
pub struct AccountsFilter {
    pub portfolio_id: Option<ID>,
    pub region: Option<String>,
    pub product: Option<Product>,
    pub lender_reference: Option<String>,
}

#[Object]
impl AccountQuery {
    /// Accounts, oldest first. An AGENCY caller sees only the accounts it holds now.
    #[graphql(
        guard = "RoleGuard::new(ANY_ROLE)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        filter: Option<AccountsFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Account>> {
        let scope = actor(ctx)?.scope();
        let filter = filter.unwrap_or_default();
        let filter = AccountFilter {
            portfolio_id: filter
                .portfolio_id
                .as_ref()
                .map(|id| ids::parse("filter.portfolioId", id))
                .transpose()?,
            region: filter.region,
            product: filter.product.map(Into::into),
            lender_reference: filter.lender_reference,
        };
        let page = accounts::list(db(ctx), scope, filter, page_request(ctx, first, after)?).await?;
        Ok(connection(page, |a| a.id, Account::from_model)?)
    }

    /// One account. For an AGENCY caller an account it does not hold is NOT_FOUND.
    #[graphql(guard = "RoleGuard::new(ANY_ROLE)")]
    async fn account(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Account> {
        let scope = actor(ctx)?.scope();
        let model = accounts::get(db(ctx), scope, ids::parse("id", &id)?).await?;
        Ok(Account::from_model(model)?)
    }
}

#[Object]
impl AccountMutation {
    /// Sets or lifts an account's flags: lift DISPUTED once the debt is verified, set
    /// BANKRUPTCY or DECEASED when the lender learns of it. Audited; the lender side and the
    /// agency holding the account are told (`account.contact_status_changed`).
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn update_account_flags(
        &self,
        ctx: &Context<'_>,
        input: UpdateAccountFlagsInput,
    ) -> async_graphql::Result<Account> {
        let id = ids::parse("accountId", &input.account_id)?;
        let model = accounts::change_flags(
            db(ctx),
            &caller(ctx)?,
            id,
            input.add.into_iter().map(Into::into).collect(),
            input.remove.into_iter().map(Into::into).collect(),
            input.reason,
        )
        .await?;
        Ok(Account::from_model(model)?)
    }
}
