//! Numbers, money, dates and times as a viewer's language writes them, times in the
//! viewer's time zone (and, for contact work, the debtor's).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use iso_currency::Currency;
use num_format::{Locale, ToFormattedString};
use rust_decimal::Decimal;

use crate::i18n::Language;

/// How one viewer writes things.
/// A debtor's zone as the API stores it (only zones it knows; UTC should one ever not parse).
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

#[derive(Clone, Copy, Debug)]
pub struct Format {
    pub language: Language,
    pub tz: Tz,
}

impl Format {
    fn locale(self) -> &'static Locale {
        match self.language {
            Language::English => &Locale::en,
            Language::SimplifiedChinese => &Locale::zh,
        }
    }

    /// A whole number with the language's grouping: `12,345`.
    pub fn count(self, n: i64) -> String {
        n.to_formatted_string(self.locale())
    }

    /// An amount in `currency` (ISO 4217), with the currency's minor digits and the symbol
    /// the language uses for it: `$1,234.50` and `CN¥88.00` in English, `US$1,234.50` and
    /// `¥88.00` in Chinese; a currency without a symbol here by its code.
    pub fn money(self, amount: Decimal, currency: &str) -> String {
        let digits = Currency::from_code(currency)
            .and_then(|c| c.exponent())
            .map_or(2, u32::from);
        let rounded = amount
            .round_dp_with_strategy(digits, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
            "-"
        } else {
            ""
        };
        let abs = rounded.abs();
        let whole = abs.trunc();
        let fraction = abs - whole;
        let whole = i64::try_from(whole).map_or_else(|_| whole.to_string(), |w| self.count(w));
        let fraction = if digits == 0 {
            String::new()
        } else {
            let scaled = (fraction * Decimal::from(10_i64.pow(digits))).trunc();
            format!(".{:0>width$}", scaled, width = digits as usize)
        };
        format!("{sign}{}{whole}{fraction}", self.symbol(currency))
    }

    fn symbol(self, currency: &str) -> String {
        let symbol = match (self.language, currency) {
            (Language::English, "USD") => "$",
            (Language::English, "CNY") => "CN¥",
            (Language::SimplifiedChinese, "USD") => "US$",
            (Language::SimplifiedChinese, "CNY") => "¥",
            (_, "EUR") => "€",
            (_, "GBP") => "£",
            _ => return format!("{currency} "),
        };
        symbol.to_owned()
    }

    /// A rate in [0, 1] as a percentage with one decimal: `12.5%`.
    pub fn percent(self, rate: Decimal) -> String {
        format!("{}%", (rate * Decimal::ONE_HUNDRED).round_dp(1).normalize())
    }

    /// A day: `Dec 3, 2026` / `2026年12月3日`.
    pub fn date(self, date: NaiveDate) -> String {
        match self.language {
            Language::English => date.format("%b %-d, %Y").to_string(),
            Language::SimplifiedChinese => date.format("%Y年%-m月%-d日").to_string(),
        }
    }

    /// An instant in the viewer's zone, with the zone's abbreviation.
    pub fn datetime(self, at: DateTime<Utc>) -> String {
        self.datetime_in(at, self.tz)
    }

    /// An instant in `tz` (a debtor's zone, say).
    pub fn datetime_in(self, at: DateTime<Utc>, tz: Tz) -> String {
        let local = at.with_timezone(&tz);
        match self.language {
            Language::English => local.format("%b %-d, %Y %H:%M %Z").to_string(),
            Language::SimplifiedChinese => local.format("%Y年%-m月%-d日 %H:%M %Z").to_string(),
        }
    }

    /// The time of day in `tz` only: `21:05 EST`.
    pub fn time_in(self, at: DateTime<Utc>, tz: Tz) -> String {
        at.with_timezone(&tz).format("%H:%M %Z").to_string()
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn english() -> Format {
        Format {
            language: Language::English,
            tz: chrono_tz::America::New_York,
        }
    }

    fn chinese() -> Format {
        Format {
            language: Language::SimplifiedChinese,
            tz: chrono_tz::Asia::Shanghai,
        }
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn money_has_the_currencys_digits_and_the_languages_symbol() {
        assert_eq!(english().money(d("1234.5"), "USD"), "$1,234.50");
        assert_eq!(english().money(d("1234567.891"), "USD"), "$1,234,567.89");
        assert_eq!(english().money(d("88"), "CNY"), "CN¥88.00");
        assert_eq!(chinese().money(d("88"), "CNY"), "¥88.00");
        assert_eq!(chinese().money(d("1234.5"), "USD"), "US$1,234.50");
        assert_eq!(english().money(d("-0.5"), "USD"), "-$0.50");
        assert_eq!(english().money(d("-0.001"), "USD"), "$0.00");
        assert_eq!(english().money(d("1500"), "JPY"), "JPY 1,500");
        assert_eq!(english().money(d("1.2345"), "KWD"), "KWD 1.235");
    }

    #[test]
    fn times_are_in_the_viewers_zone_and_language() {
        let at = DateTime::parse_from_rfc3339("2026-12-03T18:04:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(english().datetime(at), "Dec 3, 2026 13:04 EST");
        assert_eq!(chinese().datetime(at), "2026年12月4日 02:04 CST");
        assert_eq!(
            english().time_in(at, chrono_tz::America::Los_Angeles),
            "10:04 PST"
        );
    }

    #[test]
    fn dates_counts_and_rates() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(english().date(day), "Mar 9, 2026");
        assert_eq!(chinese().date(day), "2026年3月9日");
        assert_eq!(chinese().count(1234567), "1,234,567");
        assert_eq!(english().percent(d("0.125")), "12.5%");
        assert_eq!(english().percent(d("0.3")), "30%");
    }
}
