//! Request ids: a caller's `x-request-id` is kept only when it is 1 to 64 characters of
//! `[A-Za-z0-9._-]`; any other is dropped before the id layer, which then generates one.
//! The id goes into every log line and audit event of the request, so it must stay short
//! and plain.

use axum::http::{HeaderMap, HeaderName, Request};

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");
/// The longest request id a caller may choose.
const MAX_LEN: usize = 64;

/// Removes a caller's request id that does not fit the rule (every one, if several
/// were sent and the first does not fit).
pub fn drop_unfit<B>(mut request: Request<B>) -> Request<B> {
    let fits = request
        .headers()
        .get(&HEADER)
        .is_none_or(|id| is_fit(id.as_bytes()));
    if !fits {
        request.headers_mut().remove(&HEADER);
    }
    request
}

/// The request's id, as the id layer set it.
pub fn of(headers: &HeaderMap) -> String {
    headers
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn is_fit(id: &[u8]) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::is_fit;

    #[test]
    fn only_short_plain_ids_fit() {
        assert!(is_fit(b"trace-me-42"));
        assert!(is_fit(b"0b1e.A_z-9"));
        assert!(is_fit(&[b'a'; 64]));
        assert!(!is_fit(&[b'a'; 65]));
        assert!(!is_fit(b""));
        assert!(!is_fit(b"with space"));
        assert!(!is_fit(b"semi;colon"));
        assert!(!is_fit("é".as_bytes()));
    }
}
