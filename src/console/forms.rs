//! Reading what a form or a query string sent: blank means absent, a choice must be one of
//! the offered values, and an enum value is one of the GraphQL enum's names.

/// The trimmed value, or `None` when it is blank or absent.
pub fn filled(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The value when it is one of `allowed`.
pub fn chosen<'a>(value: &Option<String>, allowed: &[&'a str]) -> Option<&'a str> {
    value
        .as_deref()
        .and_then(|v| allowed.iter().find(|a| **a == v).copied())
}

/// A GraphQL enum value, as a document's generated enum (whose serde names are the
/// schema's). A generated enum keeps a name the schema lacks as its `Other` variant, which
/// the API then refuses: check a form's value against the choices offered (`chosen`) first.
pub fn enum_of<T: serde::de::DeserializeOwned>(value: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_absent_and_a_choice_is_one_offered() {
        assert_eq!(filled(&Some("  ACME ".into())), Some("ACME".into()));
        assert_eq!(filled(&Some("   ".into())), None);
        assert_eq!(
            chosen(&Some("OPEN".into()), &["OPEN", "WAIVED"]),
            Some("OPEN")
        );
        assert_eq!(chosen(&Some("<b>".into()), &["OPEN"]), None);
        assert_eq!(enum_of::<String>("X"), Some("X".to_owned()));
        assert_eq!(enum_of::<u8>("X"), None);
    }
}
