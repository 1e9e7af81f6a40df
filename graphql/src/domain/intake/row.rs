//! One account as a lender sends it, and the checks it must pass before it is stored.
//! Pure: no database, so every rule has a unit test here.

use chrono::NaiveDate;
use entity::account::{AccountFlag, Product};
use iso_currency::Currency;
use rust_decimal::Decimal;

use super::national_id::{NationalIdKey, ProtectedId};
use crate::domain::{money, validate};
use crate::error::{AppError, AppResult};

/// The parts of an account a row can get wrong. Each has a name in the GraphQL input
/// (`AccountInput`) and a column in the CSV file.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Field {
    LenderReference,
    DebtorName,
    Phones,
    Email,
    NationalId,
    Region,
    TimeZone,
    Product,
    Principal,
    Outstanding,
    Currency,
    DelinquencyStart,
    ChargeOffDate,
    Flags,
}

impl Field {
    /// Every field, in the order of the CSV columns the README documents.
    pub const ALL: [Field; 14] = [
        Field::LenderReference,
        Field::DebtorName,
        Field::Phones,
        Field::Email,
        Field::NationalId,
        Field::Region,
        Field::TimeZone,
        Field::Product,
        Field::Principal,
        Field::Outstanding,
        Field::Currency,
        Field::DelinquencyStart,
        Field::ChargeOffDate,
        Field::Flags,
    ];

    /// The field's path in `AccountInput`.
    pub fn input_path(self) -> &'static str {
        match self {
            Field::LenderReference => "lenderReference",
            Field::DebtorName => "debtor.name",
            Field::Phones => "debtor.phones",
            Field::Email => "debtor.email",
            Field::NationalId => "debtor.nationalId",
            Field::Region => "debtor.region",
            Field::TimeZone => "debtor.timeZone",
            Field::Product => "product",
            Field::Principal => "principal",
            Field::Outstanding => "outstanding",
            Field::Currency => "currency",
            Field::DelinquencyStart => "delinquencyStart",
            Field::ChargeOffDate => "chargeOffDate",
            Field::Flags => "flags",
        }
    }

    /// The field's column in a CSV file.
    pub fn csv_column(self) -> &'static str {
        match self {
            Field::LenderReference => "lender_reference",
            Field::DebtorName => "debtor_name",
            Field::Phones => "phones",
            Field::Email => "email",
            Field::NationalId => "national_id",
            Field::Region => "region",
            Field::TimeZone => "time_zone",
            Field::Product => "product",
            Field::Principal => "principal",
            Field::Outstanding => "outstanding",
            Field::Currency => "currency",
            Field::DelinquencyStart => "delinquency_start",
            Field::ChargeOffDate => "charge_off_date",
            Field::Flags => "flags",
        }
    }

    /// Whether every account must have a value for it.
    pub fn is_required(self) -> bool {
        !matches!(
            self,
            Field::Phones | Field::Email | Field::NationalId | Field::ChargeOffDate | Field::Flags
        )
    }
}

/// Why a row, or one of its fields (`None`: the row as a whole), was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: Option<Field>,
    pub message: String,
}

impl FieldError {
    pub fn new(field: Field, message: impl Into<String>) -> Self {
        Self {
            field: Some(field),
            message: message.into(),
        }
    }
}

/// An account as sent, typed but not yet checked. No `Debug`: it holds the national ID.
pub struct AccountFields {
    pub lender_reference: String,
    pub debtor_name: String,
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub national_id: Option<String>,
    pub region: String,
    pub time_zone: String,
    pub product: Product,
    pub principal: Decimal,
    pub outstanding: Decimal,
    pub currency: String,
    pub delinquency_start: NaiveDate,
    pub charge_off_date: Option<NaiveDate>,
    pub flags: Vec<AccountFlag>,
}

/// A row as read: its number (1 is the first account) and the account, or why it
/// could not be read.
pub struct Row {
    pub number: u64,
    pub account: Result<AccountFields, Vec<FieldError>>,
}

/// A checked account, ready to store: money in minor units, the national ID protected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidAccount {
    pub lender_reference: String,
    pub debtor_name: String,
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub national_id: Option<ProtectedId>,
    pub region: String,
    pub time_zone: String,
    pub product: Product,
    pub principal_minor: i64,
    pub outstanding_minor: i64,
    pub currency: String,
    pub delinquency_start: NaiveDate,
    pub charge_off_date: Option<NaiveDate>,
    pub flags: Vec<AccountFlag>,
}

/// What a row is checked against: its portfolio's currency, today's date, the ID key.
pub struct Rules<'a> {
    pub currency: Currency,
    pub today: NaiveDate,
    pub national_id_key: &'a NationalIdKey,
}

const MAX_PHONES: usize = 10;

/// The faults found in one row so far.
#[derive(Default)]
struct Faults(Vec<FieldError>);

impl Faults {
    fn check<T, E: ToString>(&mut self, field: Field, result: Result<T, E>) -> Option<T> {
        result
            .map_err(|err| self.0.push(FieldError::new(field, err.to_string())))
            .ok()
    }
}

/// Checks every field and reports every one at fault.
pub fn validate(fields: AccountFields, rules: &Rules<'_>) -> Result<ValidAccount, Vec<FieldError>> {
    let mut faults = Faults::default();
    let lender_reference = faults.check(
        Field::LenderReference,
        validate::text("a lender reference", &fields.lender_reference, 64),
    );
    let debtor_name = faults.check(
        Field::DebtorName,
        validate::text("a debtor's name", &fields.debtor_name, 200),
    );
    let phones = faults.check(Field::Phones, phones(&fields.phones));
    let email = faults.check(Field::Email, fields.email.as_deref().map(email).transpose());
    let national_id = faults.check(
        Field::NationalId,
        fields
            .national_id
            .as_deref()
            .map(|id| rules.national_id_key.protect(id))
            .transpose(),
    );
    let region = faults.check(Field::Region, validate::region("region", &fields.region));
    let time_zone = faults.check(Field::TimeZone, time_zone(&fields.time_zone));
    let principal_minor = faults.check(Field::Principal, principal(fields.principal, rules));
    let outstanding_minor = faults.check(Field::Outstanding, balance(fields.outstanding, rules));
    let currency = faults.check(Field::Currency, currency(&fields.currency, rules));
    let delinquency_start = faults.check(
        Field::DelinquencyStart,
        delinquency_start(fields.delinquency_start, rules),
    );
    let charge_off_date = faults.check(
        Field::ChargeOffDate,
        charge_off_date(fields.charge_off_date, fields.delinquency_start, rules),
    );
    let flags = faults.check(
        Field::Flags,
        validate::list("flags", fields.flags, validate::MAX_LIST),
    );
    let account = (|| {
        Some(ValidAccount {
            lender_reference: lender_reference?,
            debtor_name: debtor_name?,
            phones: phones?,
            email: email?,
            national_id: national_id?,
            region: region?,
            time_zone: time_zone?,
            product: fields.product,
            principal_minor: principal_minor?,
            outstanding_minor: outstanding_minor?,
            currency: currency?,
            delinquency_start: delinquency_start?,
            charge_off_date: charge_off_date?,
            flags: validate::dedup(flags?),
        })
    })();
    match account {
        Some(account) if faults.0.is_empty() => Ok(account),
        _ => Err(faults.0),
    }
}

fn principal(amount: Decimal, rules: &Rules<'_>) -> AppResult<i64> {
    let minor = money::to_minor(amount, rules.currency)?;
    if minor <= 0 {
        return Err(AppError::bad_input(
            "amount",
            "a principal is more than zero",
        ));
    }
    Ok(minor)
}

fn balance(amount: Decimal, rules: &Rules<'_>) -> AppResult<i64> {
    let minor = money::to_minor(amount, rules.currency)?;
    if minor < 0 {
        return Err(AppError::bad_input(
            "amount",
            "a balance cannot be negative",
        ));
    }
    Ok(minor)
}

/// Every account of a portfolio is in the portfolio's currency.
fn currency(code: &str, rules: &Rules<'_>) -> Result<String, String> {
    match money::currency(code.trim()) {
        Ok(currency) if currency == rules.currency => Ok(currency.code().to_owned()),
        _ => Err(format!(
            "'{code}' is not this portfolio's currency, {}",
            rules.currency.code()
        )),
    }
}

fn delinquency_start(date: NaiveDate, rules: &Rules<'_>) -> Result<NaiveDate, &'static str> {
    if date > rules.today {
        return Err("a delinquency cannot start in the future");
    }
    Ok(date)
}

fn charge_off_date(
    date: Option<NaiveDate>,
    delinquency_start: NaiveDate,
    rules: &Rules<'_>,
) -> Result<Option<NaiveDate>, &'static str> {
    match date {
        Some(date) if date < delinquency_start => {
            Err("an account cannot be charged off before its delinquency starts")
        }
        Some(date) if date > rules.today => Err("a charge-off date cannot be in the future"),
        _ => Ok(date),
    }
}

/// E.164 numbers (`+` and 7 to 15 digits); spaces, hyphens, dots and brackets are dropped.
fn phones(values: &[String]) -> Result<Vec<String>, String> {
    if values.len() > MAX_PHONES {
        return Err(format!("at most {MAX_PHONES} phone numbers"));
    }
    let mut numbers = Vec::with_capacity(values.len());
    for value in values {
        let number: String = value
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let digits = number.strip_prefix('+').unwrap_or_default();
        let ok = (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if !ok {
            return Err(format!(
                "'{value}' is not an E.164 number such as +15125550100"
            ));
        }
        numbers.push(number);
    }
    Ok(validate::dedup(numbers))
}

fn email(value: &str) -> Result<String, String> {
    let value = validate::text("email", value, 254).map_err(|e| e.to_string())?;
    let value = value.as_str();
    let ok = value.len() <= 254
        && !value.chars().any(char::is_whitespace)
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if ok {
        Ok(value.to_owned())
    } else {
        Err(format!("'{value}' is not an e-mail address"))
    }
}

/// An IANA time zone name, as the tz database spells it.
fn time_zone(value: &str) -> Result<String, String> {
    value
        .trim()
        .parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_owned())
        .map_err(|_| format!("'{value}' is not an IANA time zone such as America/Chicago"))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use secrecy::SecretString;

    use super::*;

    fn key() -> NationalIdKey {
        NationalIdKey::new(SecretString::from("test-key-".repeat(4)))
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    fn good() -> AccountFields {
        AccountFields {
            lender_reference: " ACC-1 ".into(),
            debtor_name: "Pat Doe".into(),
            phones: vec!["+1 512-555-0100".into(), "+15125550100".into()],
            email: Some("pat@example.com".into()),
            national_id: Some("123-45-6789".into()),
            region: "US-TX".into(),
            time_zone: "America/Chicago".into(),
            product: Product::Card,
            principal: Decimal::from_str("1500.00").unwrap(),
            outstanding: Decimal::from_str("1234.5").unwrap(),
            currency: "USD".into(),
            delinquency_start: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
            charge_off_date: None,
            flags: vec![AccountFlag::Disputed, AccountFlag::Disputed],
        }
    }

    fn check(fields: AccountFields) -> Result<ValidAccount, Vec<FieldError>> {
        let key = key();
        let rules = Rules {
            currency: money::currency("USD").unwrap(),
            today: today(),
            national_id_key: &key,
        };
        validate(fields, &rules)
    }

    fn fields_at_fault(fields: AccountFields) -> Vec<Field> {
        check(fields)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field.unwrap())
            .collect()
    }

    #[test]
    fn a_good_row_is_normalised() {
        let account = check(good()).unwrap();
        assert_eq!(account.lender_reference, "ACC-1");
        assert_eq!(account.phones, vec!["+15125550100"]);
        assert_eq!(account.principal_minor, 150_000);
        assert_eq!(account.outstanding_minor, 123_450);
        assert_eq!(account.national_id.unwrap().last4, "6789");
        assert_eq!(account.flags, vec![AccountFlag::Disputed]);
    }

    #[test]
    fn optional_fields_may_be_left_out() {
        let account = check(AccountFields {
            phones: vec![],
            email: None,
            national_id: None,
            flags: vec![],
            ..good()
        })
        .unwrap();
        assert!(account.national_id.is_none() && account.email.is_none());
    }

    /// A good row with one change.
    fn with(change: impl FnOnce(&mut AccountFields)) -> AccountFields {
        let mut fields = good();
        change(&mut fields);
        fields
    }

    #[test]
    fn each_bad_field_is_named() {
        let tomorrow = today().succ_opt().unwrap();
        let bad = [
            (
                Field::LenderReference,
                with(|a| a.lender_reference = " ".into()),
            ),
            (
                Field::LenderReference,
                with(|a| a.lender_reference = "x".repeat(65)),
            ),
            (Field::DebtorName, with(|a| a.debtor_name = "".into())),
            (
                Field::Phones,
                with(|a| a.phones = vec!["5125550100".into()]),
            ),
            (
                Field::Phones,
                with(|a| a.phones = vec!["+0125550100".into()]),
            ),
            (
                Field::Phones,
                with(|a| a.phones = vec!["+15125550100".into(); 11]),
            ),
            (
                Field::Email,
                with(|a| a.email = Some("pat@localhost".into())),
            ),
            (
                Field::Email,
                with(|a| a.email = Some("pat doe@x.com".into())),
            ),
            (
                Field::NationalId,
                with(|a| a.national_id = Some("12".into())),
            ),
            (Field::Region, with(|a| a.region = "Texas".into())),
            (Field::TimeZone, with(|a| a.time_zone = "Central".into())),
            (Field::Principal, with(|a| a.principal = Decimal::ZERO)),
            (
                Field::Principal,
                with(|a| a.principal = Decimal::new(1005, 3)),
            ),
            (
                Field::Outstanding,
                with(|a| a.outstanding = Decimal::from(-1)),
            ),
            (Field::Currency, with(|a| a.currency = "GBP".into())),
            (Field::Currency, with(|a| a.currency = "XYZ".into())),
            (
                Field::DelinquencyStart,
                with(|a| a.delinquency_start = tomorrow),
            ),
            (
                Field::ChargeOffDate,
                with(|a| a.charge_off_date = NaiveDate::from_ymd_opt(2026, 8, 1)),
            ),
            (
                Field::ChargeOffDate,
                with(|a| a.charge_off_date = Some(tomorrow)),
            ),
        ];
        for (field, fields) in bad {
            assert_eq!(fields_at_fault(fields), vec![field], "{field:?}");
        }
    }

    #[test]
    fn every_fault_of_a_row_is_reported() {
        let faults = fields_at_fault(with(|a| {
            a.debtor_name = "".into();
            a.region = "texas".into();
            a.currency = "EUR".into();
        }));
        assert_eq!(
            faults,
            vec![Field::DebtorName, Field::Region, Field::Currency]
        );
    }

    #[test]
    fn messages_never_repeat_the_national_id() {
        let errors = check(AccountFields {
            national_id: Some("12#456".into()),
            ..good()
        })
        .unwrap_err();
        assert!(!errors[0].message.contains("12#456"));
    }

    #[test]
    fn every_field_has_distinct_names() {
        for (i, a) in Field::ALL.iter().enumerate() {
            for b in &Field::ALL[i + 1..] {
                assert_ne!(a.csv_column(), b.csv_column());
                assert_ne!(a.input_path(), b.input_path());
            }
        }
    }
}
