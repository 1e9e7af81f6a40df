//! Content negotiation for GraphQL over HTTP: which media type answers a request,
//! judged from its `Accept` header (q-values honoured).

pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
pub const JSON: &str = "application/json";

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ResponseType {
    /// `application/graphql-response+json`: request errors are answered 4xx.
    GraphqlResponseJson,
    /// `application/json` (legacy): every well-formed request is answered 200.
    Json,
}

impl ResponseType {
    pub fn media_type(self) -> &'static str {
        match self {
            Self::GraphqlResponseJson => GRAPHQL_RESPONSE_JSON,
            Self::Json => JSON,
        }
    }
}

/// Picks the response type for an `Accept` header, or `None` when the client accepts
/// neither (answer 406). No header, or only wildcards (`*/*`, what curl sends, or
/// `application/*`), means `application/json`, as the spec advises for legacy clients.
/// On equal preference a type the client names wins over one a wildcard covers, and
/// when both are named the GraphQL media type wins.
pub fn negotiate(accept: Option<&str>) -> Option<ResponseType> {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return Some(ResponseType::Json);
    };
    let ranges: Vec<(String, u32)> = accept.split(',').filter_map(parse_range).collect();
    // (q-value, named exactly): what the client says of a candidate type.
    let preference = |candidate: &str| -> (u32, bool) {
        let (kind, _) = candidate.split_once('/').unwrap_or((candidate, ""));
        let specificity = |range: &str| -> Option<u8> {
            if range == candidate {
                Some(3)
            } else if range == format!("{kind}/*") {
                Some(2)
            } else if range == "*/*" {
                Some(1)
            } else {
                None
            }
        };
        ranges
            .iter()
            .filter_map(|(range, q)| specificity(range).map(|s| (s, *q)))
            .max_by_key(|(s, _)| *s)
            .map_or((0, false), |(s, q)| (q, s == 3))
    };
    let graphql = preference(GRAPHQL_RESPONSE_JSON);
    let json = preference(JSON);
    match (graphql, json) {
        ((0, _), (0, _)) => None,
        ((g, named), (j, _)) if g > j || (g == j && named) => {
            Some(ResponseType::GraphqlResponseJson)
        }
        _ => Some(ResponseType::Json),
    }
}

/// One media range and its q-value in thousandths.
fn parse_range(item: &str) -> Option<(String, u32)> {
    let mut parts = item.split(';');
    let range = parts.next()?.trim().to_ascii_lowercase();
    if range.is_empty() {
        return None;
    }
    let mut q = 1000;
    for param in parts {
        if let Some((name, value)) = param.split_once('=')
            && name.trim().eq_ignore_ascii_case("q")
        {
            let value: f32 = value.trim().parse().ok()?;
            q = (value.clamp(0.0, 1.0) * 1000.0).round() as u32;
        }
    }
    Some((range, q))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ResponseType::*;

    #[test]
    fn no_header_means_legacy_json() {
        assert_eq!(negotiate(None), Some(Json));
        assert_eq!(negotiate(Some("  ")), Some(Json));
    }

    #[test]
    fn exact_types_and_wildcards() {
        assert_eq!(negotiate(Some("application/json")), Some(Json));
        assert_eq!(
            negotiate(Some(GRAPHQL_RESPONSE_JSON)),
            Some(GraphqlResponseJson)
        );
        assert_eq!(negotiate(Some("*/*")), Some(Json));
        assert_eq!(negotiate(Some("application/*")), Some(Json));
        assert_eq!(
            negotiate(Some("application/graphql-response+json, */*")),
            Some(GraphqlResponseJson)
        );
        assert_eq!(
            negotiate(Some("application/json, application/graphql-response+json")),
            Some(GraphqlResponseJson)
        );
        assert_eq!(
            negotiate(Some("application/json; charset=utf-8")),
            Some(Json)
        );
    }

    #[test]
    fn q_values_decide() {
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Some(Json)
        );
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(GraphqlResponseJson)
        );
        assert_eq!(
            negotiate(Some("*/*, application/graphql-response+json;q=0")),
            Some(Json)
        );
    }

    #[test]
    fn unacceptable_types_are_refused() {
        assert_eq!(negotiate(Some("text/html")), None);
        assert_eq!(negotiate(Some("application/xml, text/plain")), None);
        assert_eq!(negotiate(Some("application/json;q=0")), None);
    }
}
