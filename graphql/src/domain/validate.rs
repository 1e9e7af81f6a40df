//! Input checks shared by the workflows. Each failure names the field at fault.

use base64::Engine;

use crate::error::{AppError, AppResult};

/// A trimmed, non-empty text of at most `max` characters, without NUL bytes (PostgreSQL
/// cannot store them in text, so they are refused on every store). Every string a
/// client sends passes here, directly or through one of the checks below.
pub fn text(field: &str, value: &str, max: usize) -> AppResult<String> {
    no_nul(field, value)?;
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(AppError::bad_input(
            field,
            format!("{field} must be 1 to {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// Refuses a value with a NUL byte, which PostgreSQL cannot store in text.
pub fn no_nul(field: &str, value: &str) -> AppResult<()> {
    if value.contains('\0') {
        return Err(AppError::bad_input(
            field,
            format!("{field} must not contain NUL (\\u0000) characters"),
        ));
    }
    Ok(())
}

/// [`text`] for a value that may be left out; blank counts as left out.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> AppResult<Option<String>> {
    value
        .filter(|v| !v.trim().is_empty())
        .map(|v| text(field, v, max))
        .transpose()
}

/// The most values a list argument takes unless its own limit is documented: the
/// statuses of a filter, an agency's regions, a segment's buckets, a pool's agencies.
pub const MAX_LIST: usize = 100;

/// The longest text a filter compares with (a code, a reference, a topic).
pub const MAX_FILTER_TEXT: usize = 200;

/// A list of `count` values is at most `max` long.
pub fn at_most(field: &str, count: usize, max: usize) -> AppResult<()> {
    if count > max {
        return Err(AppError::bad_input(
            field,
            format!("{field} takes at most {max} values, got {count}"),
        ));
    }
    Ok(())
}

/// At most `max` values.
pub fn list<T>(field: &str, values: Vec<T>, max: usize) -> AppResult<Vec<T>> {
    at_most(field, values.len(), max)?;
    Ok(values)
}

/// [`list`] for a list that may be left out.
pub fn optional_list<T>(
    field: &str,
    values: Option<Vec<T>>,
    max: usize,
) -> AppResult<Option<Vec<T>>> {
    values.map(|v| list(field, v, max)).transpose()
}

/// A filter's text, checked as [`text`] is.
pub fn filter_text(field: &str, value: Option<String>) -> AppResult<Option<String>> {
    optional_text(field, value.as_deref(), MAX_FILTER_TEXT)
}

/// The values without repeats, in their first order (lists are short: a linear scan).
pub fn dedup<T: PartialEq>(values: Vec<T>) -> Vec<T> {
    let mut unique = Vec::with_capacity(values.len());
    for value in values {
        if !unique.contains(&value) {
            unique.push(value);
        }
    }
    unique
}

/// An agency or portfolio code: 2–32 of A–Z, 0–9, `_` and `-`.
pub fn code(field: &str, value: &str) -> AppResult<String> {
    code_up_to(field, value, 32)
}

/// A code of 2 to `max` characters, each one of A–Z, 0–9, `_` and `-`.
pub fn code_up_to(field: &str, value: &str, max: usize) -> AppResult<String> {
    let value = &text(field, value, max)?;
    let ok = (2..=max).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !ok {
        return Err(AppError::bad_input(
            field,
            format!("'{value}' is not a code: use 2 to {max} of A-Z, 0-9, _ and -"),
        ));
    }
    Ok(value.to_owned())
}

/// A region code: an ISO 3166 country (`UK` is accepted for the United Kingdom) with an
/// optional subdivision, e.g. `US-TX`, `CN-31`.
pub fn region(field: &str, value: &str) -> AppResult<String> {
    let value = text(field, value, 6)?;
    let value = value.as_str();
    let (country, subdivision) = value
        .split_once('-')
        .map_or((value, None), |(c, s)| (c, Some(s)));
    let ok = country.len() == 2
        && country.bytes().all(|b| b.is_ascii_uppercase())
        && subdivision.is_none_or(|s| {
            (1..=3).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        });
    if !ok {
        return Err(AppError::bad_input(
            field,
            format!("'{value}' is not a region code such as US-TX, UK or CN-31"),
        ));
    }
    Ok(value.to_owned())
}

/// An https URL without a user name or password (webhook endpoints have stricter rules:
/// see `webhook_targets`).
pub fn url(field: &str, value: &str) -> AppResult<String> {
    let value = &text(field, value, 2000)?;
    match url::Url::parse(value) {
        Ok(parsed)
            if parsed.scheme() == "https"
                && parsed.host().is_some()
                && parsed.username().is_empty()
                && parsed.password().is_none() =>
        {
            Ok(parsed.into())
        }
        _ => Err(AppError::bad_input(field, "use an https:// URL")),
    }
}

/// A Standard Webhooks signing secret: `whsec_` and base64 of at least 24 random bytes.
pub fn webhook_secret(field: &str, value: &str) -> AppResult<String> {
    let value = &text(field, value, 200)?;
    let decoded = value.strip_prefix("whsec_").and_then(|encoded| {
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
    });
    match decoded {
        Some(bytes) if bytes.len() >= 24 => Ok(value.to_owned()),
        _ => Err(AppError::bad_input(
            field,
            "a secret is whsec_ followed by base64 of at least 24 random bytes",
        )),
    }
}

/// A lowercase hex SHA-256 digest.
pub fn sha256(field: &str, value: &str) -> AppResult<String> {
    let value = text(field, value, 64)?.to_ascii_lowercase();
    if value.len() != 64 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::bad_input(
            field,
            "a SHA-256 digest is 64 hexadecimal characters",
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_bytes_are_refused_by_every_check() {
        let nul = "A\0B";
        assert!(text("t", nul, 10).is_err());
        assert!(optional_text("t", Some(nul), 10).is_err());
        assert_eq!(optional_text("t", Some("  "), 10).unwrap(), None);
        assert!(code("c", "AB\0").is_err());
        assert!(region("r", "US\0").is_err());
        assert!(url("u", "https://agency.example/\0").is_err());
        assert!(sha256("d", &format!("{}\0", "a".repeat(63))).is_err());
        assert!(webhook_secret("s", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\0").is_err());
    }

    #[test]
    fn lists_have_a_maximum() {
        assert!(list("l", vec![1; MAX_LIST], MAX_LIST).is_ok());
        assert!(list("l", vec![1; MAX_LIST + 1], MAX_LIST).is_err());
        assert_eq!(optional_list::<i32>("l", None, 1).unwrap(), None);
    }

    #[test]
    fn regions() {
        for good in ["US-TX", "UK", "CN-31", "GB-ENG"] {
            assert!(region("r", good).is_ok(), "{good}");
        }
        for bad in ["us-tx", "USA", "US-", "US-TEXAS", "", "U"] {
            assert!(region("r", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn codes_secrets_urls_and_digests() {
        assert!(code("c", "ACME-2").is_ok());
        assert!(code("c", "acme").is_err());
        assert!(code("c", &"A".repeat(33)).is_err());
        assert!(code_up_to("c", &"THIRD_PARTY_DISCLOSURE_".repeat(2), 48).is_ok());
        assert!(code_up_to("c", &"A".repeat(49), 48).is_err());
        assert!(webhook_secret("s", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
        assert!(webhook_secret("s", "whsec_c2hvcnQ=").is_err());
        assert!(webhook_secret("s", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(url("u", "https://agency.example/hooks").is_ok());
        assert!(url("u", "http://127.0.0.1:9000/hooks").is_err());
        assert!(url("u", "http://agency.example/hooks").is_err());
        assert!(url("u", "ftp://agency.example/").is_err());
        assert!(url("u", "https://user:pw@agency.example/").is_err());
        assert_eq!(sha256("d", &"A".repeat(64)).unwrap(), "a".repeat(64));
        assert!(sha256("d", "abc").is_err());
    }
}
