//! The words people read, in their language: Project Fluent messages under
//! `src/i18n/locales/<language>/*.ftl` (one file per area of the console), compiled into
//! the binary. The languages are the ones a user may choose (`en`, `zh-CN`); a viewer's
//! language is their stored preference, else the best match of `Accept-Language`.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./src/i18n/locales",
        fallback_language: "en",
        // No Unicode isolation marks around arguments: the pages set `dir` themselves.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language the console is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    English,
    SimplifiedChinese,
}

impl Language {
    pub const ALL: [Self; 2] = [Self::English, Self::SimplifiedChinese];

    /// The BCP 47 tag stored on a user and put in `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::SimplifiedChinese => "zh-CN",
        }
    }

    /// The language's own name for itself, as a chooser shows it.
    pub fn endonym(self) -> &'static str {
        match self {
            Self::English => "English",
            Self::SimplifiedChinese => "简体中文",
        }
    }

    /// A stored tag (exactly as `LANGUAGES` spells it).
    pub fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.tag() == tag)
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Self::English => langid!("en"),
            Self::SimplifiedChinese => langid!("zh-CN"),
        }
    }

    /// The best of ours for an `Accept-Language` header (RFC 9110 §12.5.4): the highest
    /// weighted range we have, any Chinese range but Traditional scripts and regions
    /// meaning Simplified Chinese; English when nothing matches.
    pub fn negotiate(accept_language: Option<&str>) -> Self {
        let Some(header) = accept_language else {
            return Self::default();
        };
        let mut ranges: Vec<(u16, usize, &str)> = header
            .split(',')
            .take(32)
            .enumerate()
            .filter_map(|(position, item)| {
                let mut parts = item.split(';');
                let range = parts.next()?.trim();
                let weight = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1000), quality)?;
                (weight > 0).then_some((weight, position, range))
            })
            .collect();
        ranges.sort_by_key(|(weight, position, _)| (std::cmp::Reverse(*weight), *position));
        ranges
            .into_iter()
            .find_map(|(_, _, range)| Self::of_range(range))
            .unwrap_or_default()
    }

    fn of_range(range: &str) -> Option<Self> {
        let lower = range.to_ascii_lowercase();
        let mut subtags = lower.split(['-', '_']);
        match subtags.next()? {
            "en" => Some(Self::English),
            "zh" => {
                let traditional = subtags.any(|t| matches!(t, "hant" | "tw" | "hk" | "mo"));
                (!traditional).then_some(Self::SimplifiedChinese)
            }
            _ => None,
        }
    }
}

/// A `q=` value as thousandths (`q=0.5` is 500); `None` when it is not one.
fn quality(value: &str) -> Option<u16> {
    let value = value.trim();
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Messages in one language.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tr {
    pub language: Language,
}

impl Tr {
    pub fn new(language: Language) -> Self {
        Self { language }
    }

    /// For a browser not signed in: the language its `Accept-Language` asks for.
    pub fn for_browser(headers: &axum::http::HeaderMap) -> Self {
        let accept = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        Self::new(Language::negotiate(accept))
    }

    /// The message `key`.
    pub fn t(&self, key: &str) -> String {
        self.lookup(key, None)
    }

    /// The message `key` with its arguments.
    pub fn args(&self, key: &str, args: &[(&'static str, FluentValue<'_>)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), value.clone()))
            .collect();
        self.lookup(key, Some(&args))
    }

    fn lookup(
        &self,
        key: &str,
        args: Option<&HashMap<Cow<'static, str>, FluentValue<'_>>>,
    ) -> String {
        let id = self.language.id();
        let found = match args {
            Some(args) => LOCALES.try_lookup_with_args(&id, key, args),
            None => LOCALES.try_lookup(&id, key),
        };
        found.unwrap_or_else(|| {
            // Every key is in every language (a unit test reads the files); this is a
            // key the code names that no file has.
            debug_assert!(false, "no message {key}");
            tracing::error!(key, "a console message is missing");
            key.to_owned()
        })
    }
}

/// A string argument.
pub fn arg<'a>(value: impl Into<Cow<'a, str>>) -> FluentValue<'a> {
    FluentValue::String(value.into())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    fn keys(language: &str) -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/i18n/locales")
            .join(language);
        let mut keys = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines() {
                let Some((key, _)) = line.split_once(" =") else {
                    continue;
                };
                if key.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                {
                    assert!(keys.insert(key.to_owned()), "{language}: {key} twice");
                }
            }
        }
        keys
    }

    #[test]
    fn every_message_is_in_every_language() {
        let english = keys("en");
        let chinese = keys("zh-CN");
        let only_english: Vec<_> = english.difference(&chinese).collect();
        let only_chinese: Vec<_> = chinese.difference(&english).collect();
        assert!(only_english.is_empty(), "not in zh-CN: {only_english:?}");
        assert!(only_chinese.is_empty(), "not in en: {only_chinese:?}");
        assert!(english.len() > 10);
    }

    #[test]
    fn messages_resolve_in_both_languages() {
        let english = Tr::new(Language::English).t("nav-overview");
        let chinese = Tr::new(Language::SimplifiedChinese).t("nav-overview");
        assert_eq!(english, "Overview");
        assert_ne!(chinese, english);
    }

    #[test]
    fn accept_language_picks_the_best_weighted_range_we_have() {
        use Language::*;
        assert_eq!(Language::negotiate(None), English);
        assert_eq!(
            Language::negotiate(Some("zh-CN,zh;q=0.9,en;q=0.8")),
            SimplifiedChinese
        );
        assert_eq!(
            Language::negotiate(Some("fr-FR, en;q=0.5, zh;q=0.7")),
            SimplifiedChinese
        );
        assert_eq!(Language::negotiate(Some("zh-TW, en;q=0.2")), English);
        assert_eq!(Language::negotiate(Some("zh-Hans-CN")), SimplifiedChinese);
        assert_eq!(Language::negotiate(Some("de, fr")), English);
        assert_eq!(Language::negotiate(Some("zh;q=0, en")), English);
        assert_eq!(Language::negotiate(Some("zh;q=2, en;q=0.1")), English);
        assert_eq!(
            Language::negotiate(Some("en;q=0.3, zh_cn;q=0.31")),
            SimplifiedChinese
        );
    }

    #[test]
    fn quality_values_are_read_as_rfc_9110_writes_them() {
        assert_eq!(quality("1"), Some(1000));
        assert_eq!(quality("1.000"), Some(1000));
        assert_eq!(quality("0.5"), Some(500));
        assert_eq!(quality("0.125"), Some(125));
        assert_eq!(quality("0.1234"), None);
        assert_eq!(quality("1.5"), None);
        assert_eq!(quality("x"), None);
    }
}
