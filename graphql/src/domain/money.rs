//! Money: integer minor units in storage, exact decimals in computation, never a float.

use iso_currency::Currency;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::error::{AppError, AppResult};

/// A validated ISO 4217 currency with its minor-unit exponent.
pub fn currency(code: &str) -> AppResult<Currency> {
    Currency::from_code(code).ok_or_else(|| {
        AppError::bad_input("currency", format!("unknown ISO 4217 currency '{code}'"))
    })
}

fn exponent(currency: Currency) -> u32 {
    currency.exponent().map(u32::from).unwrap_or(0)
}

/// The decimal amount of `minor` units of `currency` (e.g. 12345 USD → 123.45).
pub fn from_minor(minor: i64, currency: Currency) -> Decimal {
    Decimal::new(minor, exponent(currency))
}

/// Exact minor units of `amount`. An amount finer than the currency's minor unit is
/// refused rather than silently rounded.
pub fn to_minor(amount: Decimal, currency: Currency) -> AppResult<i64> {
    let out_of_range = || AppError::bad_input("amount", format!("{amount} is out of range"));
    let scaled = amount
        .checked_mul(Decimal::from(10_i64.pow(exponent(currency))))
        .ok_or_else(out_of_range)?;
    if scaled.fract() != Decimal::ZERO {
        return Err(AppError::bad_input(
            "amount",
            format!(
                "{amount} has more decimal places than {} allows ({})",
                currency.code(),
                exponent(currency)
            ),
        ));
    }
    scaled.to_i64().ok_or_else(out_of_range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn usd() -> Currency {
        currency("USD").unwrap()
    }

    #[test]
    fn converts_both_ways_exactly() {
        assert_eq!(from_minor(12345, usd()).to_string(), "123.45");
        assert_eq!(
            to_minor(Decimal::from_str("123.45").unwrap(), usd()).unwrap(),
            12345
        );
        assert_eq!(
            to_minor(Decimal::from_str("0.10").unwrap(), usd()).unwrap(),
            10
        );
        assert_eq!(
            to_minor(Decimal::from_str("-7").unwrap(), usd()).unwrap(),
            -700
        );
        let jpy = currency("JPY").unwrap();
        assert_eq!(
            to_minor(Decimal::from_str("500").unwrap(), jpy).unwrap(),
            500
        );
        assert_eq!(from_minor(500, jpy).to_string(), "500");
    }

    #[test]
    fn refuses_sub_minor_amounts_and_unknown_currencies() {
        assert!(to_minor(Decimal::from_str("1.005").unwrap(), usd()).is_err());
        assert!(currency("XXQ").is_err());
        assert!(to_minor(Decimal::MAX, usd()).is_err());
        assert!(to_minor(Decimal::from(i64::MAX), usd()).is_err());
    }
}
