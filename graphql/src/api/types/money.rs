use async_graphql::SimpleObject;
use rust_decimal::Decimal;

use crate::domain::money;
use crate::error::{AppError, AppResult};

/// An exact amount in a currency. `amount` is a decimal string, never a float.
#[derive(SimpleObject, Clone, Debug)]
pub struct Money {
    pub amount: Decimal,
    /// ISO 4217 code.
    pub currency: String,
}

impl Money {
    pub fn from_minor(minor: i64, currency_code: &str) -> AppResult<Self> {
        let currency = money::currency(currency_code).map_err(|_| {
            AppError::Internal(anyhow::anyhow!(
                "stored currency '{currency_code}' is not ISO 4217"
            ))
        })?;
        Ok(Self {
            amount: money::from_minor(minor, currency),
            currency: currency.code().to_owned(),
        })
    }
}
