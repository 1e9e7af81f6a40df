use std::str::FromStr;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value};
use rust_decimal::Decimal;

use crate::domain::money;
use crate::error::{AppError, AppResult};

/// An exact decimal number, always written as a string such as "1234.56". A JSON number
/// is refused: clients would pass it through floating point.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Amount(pub Decimal);

#[Scalar(name = "Decimal")]
impl ScalarType for Amount {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => Decimal::from_str_exact(text.trim())
                .or_else(|_| Decimal::from_str(text.trim()))
                .map(Amount)
                .map_err(|_| InputValueError::custom(format!("'{text}' is not a decimal number"))),
            _ => Err(InputValueError::custom(
                "write amounts as strings, e.g. \"1234.56\", never as JSON numbers",
            )),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// An exact amount in a currency.
#[derive(SimpleObject, Clone, Debug)]
pub struct Money {
    pub amount: Amount,
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
            amount: Amount(money::from_minor(minor, currency)),
            currency: currency.code().to_owned(),
        })
    }
}
