//! Time-based one-time passwords (RFC 6238) for multi-factor sign-in, and the one-time
//! recovery codes that stand in for a lost authenticator. Pure functions: no storage, no clock.

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Builder, Secret};

/// RFC 6238 TOTP parameters used by every authenticator app: SHA-1, 6 digits, 30-second steps.
pub const STEP_SECS: i64 = 30;
/// The number of digits in a code.
const DIGITS: u8 = 6;
/// The bytes in a new secret: 160 bits.
const SECRET_BYTES: usize = 20;
/// How many recovery codes [`generate_recovery_codes`] makes.
pub const RECOVERY_CODES: usize = 10;
/// The characters of a normalised recovery code.
const RECOVERY_CODE_CHARS: usize = 10;
/// RFC 4648 base32, lowercased: the alphabet of recovery codes.
const BASE32_LOWER: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A new random 20-byte (160-bit, RFC 4226's recommendation) secret.
pub fn generate_secret() -> Vec<u8> {
    let mut secret = vec![0_u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut secret);
    secret
}

/// The secret as unpadded RFC 4648 base32, the form people type into an app.
pub fn secret_base32(secret: &[u8]) -> String {
    Secret::from(secret.to_vec()).to_base32()
}

/// The secret that [`secret_base32`] wrote, or `None` if `base32` is not such a secret.
pub fn secret_from_base32(base32: &str) -> Option<Vec<u8>> {
    Secret::try_from_base32(base32)
        .ok()
        .map(|secret| secret.as_bytes().to_vec())
}

/// The otpauth:// URI (Key Uri Format) an authenticator app scans, label "issuer:account".
///
/// The issuer and account are percent-encoded (everything but RFC 3986 unreserved
/// characters), so a ':' inside either cannot be mistaken for the label's separator. The
/// parameters are spelled out even where they are the defaults, for apps that guess.
pub fn provisioning_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}\
         &algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        account = percent_encode(account),
        secret = secret_base32(secret),
    )
}

/// Percent-encodes every byte of `text` except RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push('%');
            encoded.push_str(&hex::encode_upper([byte]));
        }
    }
    encoded
}

/// The URI as a QR code in SVG (a complete <svg> element, dark modules on white, with a quiet zone).
///
/// Data too long for any QR code (over about 2,300 bytes at the medium error correction
/// level used) gives an empty string rather than a picture.
pub fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

/// The time step (unix seconds / 30) in which `code` is the valid code for `secret`, searching the
/// step of `at` and one either side (clock drift); None if none matches or the code is not 6 ASCII
/// digits (spaces inside are ignored, e.g. "123 456"). Compares in constant time.
///
/// The step of `at` wins over its neighbours if a code happens to be valid in more than one.
/// Steps before the unix epoch have no code. The caller must refuse a step it has already
/// accepted once (RFC 6238 §5.2).
pub fn matching_step(secret: &[u8], code: &str, at: DateTime<Utc>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Floor division, and chrono's range keeps a step well inside i64 either side.
    let current = at.timestamp().div_euclid(STEP_SECS);
    let mut found = None;
    // Every candidate is compared, so the time taken does not say which one matched.
    for step in [current, current - 1, current + 1] {
        let matches = code_at_step(secret, step).as_bytes().ct_eq(code.as_bytes());
        if bool::from(matches) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// The code for `secret` in time step `step` (for tests and for enrolment checks).
///
/// A step no clock reaches (negative, or too far in the future to count in u64 seconds) has
/// no code: the result is then the empty string, which matches nothing.
pub fn code_at_step(secret: &[u8], step: i64) -> String {
    // STEP_SECS is a positive constant, so this conversion is exact.
    let step_secs = STEP_SECS.unsigned_abs();
    let Some(time) = u64::try_from(step)
        .ok()
        .and_then(|step| step.checked_mul(step_secs))
    else {
        return String::new();
    };
    // Unchecked build: the secret is ours and HMAC takes a key of any length; the other
    // parameters are the RFC's, fixed above.
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(0)
        .with_step_duration(step_secs)
        .with_secret(secret.to_vec())
        .build_noncompliant()
        .generate(time)
        .to_string()
}

/// Ten new one-time recovery codes, each 10 lowercase base32 characters grouped "xxxxx-xxxxx" (50 random bits).
///
/// The codes in a set are distinct.
pub fn generate_recovery_codes() -> Vec<String> {
    let mut rng = rand::rng();
    let mut codes: Vec<String> = Vec::with_capacity(RECOVERY_CODES);
    while codes.len() < RECOVERY_CODES {
        // 50 of the 64 random bits, five to a character.
        let bits = rng.next_u64();
        let mut code = String::with_capacity(RECOVERY_CODE_CHARS + 1);
        for i in 0..RECOVERY_CODE_CHARS {
            if i == RECOVERY_CODE_CHARS / 2 {
                code.push('-');
            }
            // The mask keeps the index below 32, inside the alphabet.
            let index = ((bits >> (5 * i)) & 0x1f) as usize;
            code.push(char::from(BASE32_LOWER[index]));
        }
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
}

/// A recovery code as typed, normalised: '-' and whitespace removed, ASCII lowercased.
fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The stored form of a recovery code: SHA-256 hex of the code normalised (trimmed, lowercased,
/// '-' and whitespace removed). High-entropy random codes need no slow hash.
pub fn hash_recovery_code(code: &str) -> String {
    hex::encode(Sha256::digest(normalise_recovery_code(code).as_bytes()))
}

/// Whether `code` looks like a recovery code (after normalisation, 10 base32 chars) rather than a TOTP code.
pub fn is_recovery_code(code: &str) -> bool {
    let code = normalise_recovery_code(code);
    code.len() == RECOVERY_CODE_CHARS && code.bytes().all(|b| BASE32_LOWER.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B's SHA-1 secret.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).expect("in chrono's range")
    }

    #[test]
    fn rfc_6238_sha1_vectors() {
        // Appendix B's 8-digit values, of which a 6-digit code is the last six digits.
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (time, eight) in vectors {
            let six = &eight[2..];
            let step = time / STEP_SECS;
            assert_eq!(code_at_step(RFC_SECRET, step), six, "time {time}");
            assert_eq!(
                matching_step(RFC_SECRET, six, at(time)),
                Some(step),
                "time {time}"
            );
        }
    }

    #[test]
    fn matching_step_allows_one_step_of_drift_either_way() {
        let secret = generate_secret();
        let now = at(1_700_000_000);
        let step = 1_700_000_000 / STEP_SECS;
        let code = |s| code_at_step(&secret, s);
        assert_eq!(matching_step(&secret, &code(step), now), Some(step));
        assert_eq!(matching_step(&secret, &code(step - 1), now), Some(step - 1));
        assert_eq!(matching_step(&secret, &code(step + 1), now), Some(step + 1));

        // Two steps away is refused (unless it happens to collide with a nearer code).
        let near: Vec<String> = (step - 1..=step + 1).map(code).collect();
        for far in [step - 2, step + 2] {
            if !near.contains(&code(far)) {
                assert_eq!(matching_step(&secret, &code(far), now), None);
            }
        }
    }

    #[test]
    fn matching_step_refuses_two_steps_away_for_the_rfc_secret() {
        // Time 59 is step 1; the codes of steps -1 and 3 are out of reach.
        assert_eq!(
            matching_step(RFC_SECRET, &code_at_step(RFC_SECRET, 3), at(59)),
            None
        );
        assert_eq!(
            matching_step(RFC_SECRET, &code_at_step(RFC_SECRET, 0), at(59)),
            Some(0)
        );
        assert_eq!(
            matching_step(RFC_SECRET, &code_at_step(RFC_SECRET, 2), at(59)),
            Some(2)
        );
    }

    #[test]
    fn matching_step_refuses_codes_that_are_not_six_digits() {
        for bad in [
            "",
            "12345",
            "abcdef",
            "1234567",
            "28708",
            "2870822",
            "+28708",
            "-28708",
            "28708a",
            "٢٨٧٠٨٢",
            "287-082",
        ] {
            assert_eq!(matching_step(RFC_SECRET, bad, at(59)), None, "{bad:?}");
        }
    }

    #[test]
    fn matching_step_ignores_spaces() {
        for spaced in ["287 082", " 287082 ", "287\t082", "2 8 7 0 8 2"] {
            assert_eq!(
                matching_step(RFC_SECRET, spaced, at(59)),
                Some(1),
                "{spaced:?}"
            );
        }
    }

    #[test]
    fn wrong_secret_does_not_match() {
        assert_eq!(
            matching_step(b"another secret, 20 b", "287082", at(59)),
            None
        );
    }

    #[test]
    fn times_and_steps_out_of_range_do_not_panic() {
        // Step 0 matches at the epoch; its earlier neighbour has no code.
        let first = code_at_step(RFC_SECRET, 0);
        assert_eq!(matching_step(RFC_SECRET, &first, at(0)), Some(0));
        assert_eq!(matching_step(RFC_SECRET, &first, at(29)), Some(0));
        assert_eq!(code_at_step(RFC_SECRET, -1), "");
        assert_eq!(code_at_step(RFC_SECRET, i64::MIN), "");
        assert_eq!(code_at_step(RFC_SECRET, i64::MAX), "");
        assert_eq!(matching_step(RFC_SECRET, "000000", at(-1)), None);
        assert_eq!(
            matching_step(RFC_SECRET, "000000", DateTime::<Utc>::MIN_UTC),
            None
        );
        let last = DateTime::<Utc>::MAX_UTC;
        let step = last.timestamp().div_euclid(STEP_SECS);
        let code = code_at_step(RFC_SECRET, step);
        assert_eq!(code.len(), 6);
        assert_eq!(matching_step(RFC_SECRET, &code, last), Some(step));
    }

    #[test]
    fn codes_are_six_zero_padded_digits() {
        let secret = generate_secret();
        for step in 0..200 {
            let code = code_at_step(&secret, step);
            assert_eq!(code.len(), 6, "{code}");
            assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        }
    }

    #[test]
    fn secrets_are_random_and_160_bits() {
        let (a, b) = (generate_secret(), generate_secret());
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
    }

    #[test]
    fn secret_base32_is_unpadded_rfc_4648() {
        assert_eq!(
            secret_base32(RFC_SECRET),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        // RFC 4648 §10: BASE32("f") = "MY======", here without the padding.
        assert_eq!(secret_base32(b"f"), "MY");
        assert_eq!(secret_base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(secret_base32(&generate_secret()).len(), 32);
    }

    #[test]
    fn provisioning_uri_names_every_parameter_and_encodes_the_label() {
        let uri = provisioning_uri(RFC_SECRET, "Agency Flow", "ana+mfa@example.com");
        assert!(
            uri.starts_with("otpauth://totp/Agency%20Flow:ana%2Bmfa%40example.com?"),
            "{uri}"
        );
        for part in [
            "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "issuer=Agency%20Flow",
            "algorithm=SHA1",
            "digits=6",
            "period=30",
        ] {
            assert!(uri.contains(part), "{uri} lacks {part}");
        }

        // A generic URL parser reads it back.
        let parsed = url::Url::parse(&uri).expect("a valid URL");
        assert_eq!(parsed.scheme(), "otpauth");
        assert_eq!(parsed.host_str(), Some("totp"));
        let query: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        assert!(query.contains(&("issuer".into(), "Agency Flow".into())));
        assert!(query.contains(&("secret".into(), secret_base32(RFC_SECRET))));
    }

    #[test]
    fn provisioning_uri_encodes_colons_and_non_ascii() {
        let uri = provisioning_uri(RFC_SECRET, "A:B", "zoë&co");
        assert!(
            uri.starts_with("otpauth://totp/A%3AB:zo%C3%AB%26co?"),
            "{uri}"
        );
        assert!(uri.contains("issuer=A%3AB&"), "{uri}");
        // Exactly one literal ':' after the scheme: the label separator.
        assert_eq!(uri["otpauth:".len()..].matches(':').count(), 1, "{uri}");
    }

    #[test]
    fn qr_svg_is_a_complete_svg() {
        let svg = qr_svg(&provisioning_uri(
            &generate_secret(),
            "AgencyFlow",
            "ana@example.com",
        ));
        assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("#ffffff") && svg.contains("#000000"));
    }

    #[test]
    fn qr_svg_of_data_too_long_for_a_qr_code_is_empty() {
        assert_eq!(qr_svg(&"x".repeat(8_000)), "");
    }

    #[test]
    fn recovery_codes_are_ten_distinct_grouped_base32() {
        let codes = generate_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut distinct = codes.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), codes.len());
        for code in &codes {
            let (left, right) = code.split_once('-').expect("grouped");
            assert_eq!((left.len(), right.len()), (5, 5), "{code}");
            assert!(
                left.bytes()
                    .chain(right.bytes())
                    .all(|b| BASE32_LOWER.contains(&b)),
                "{code}"
            );
            assert!(is_recovery_code(code), "{code}");
        }
        assert_ne!(codes, generate_recovery_codes());
    }

    #[test]
    fn recovery_code_hash_ignores_case_dashes_and_spaces() {
        let hash = hash_recovery_code("ABCDE-FGHIJ");
        assert_eq!(hash, hash_recovery_code(" abcdefghij "));
        assert_eq!(hash, hash_recovery_code("abcde fghij"));
        assert_eq!(hash, hex::encode(Sha256::digest(b"abcdefghij")));
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, hash_recovery_code("abcde-fghik"));
    }

    #[test]
    fn recovery_codes_are_told_apart_from_totp_codes() {
        let code = generate_recovery_codes().remove(0);
        assert!(is_recovery_code(&code));
        assert!(is_recovery_code(&code.to_uppercase()));
        assert!(is_recovery_code(" ABCDE-FGHIJ "));
        for not in [
            "123456",
            "287 082",
            "",
            "abcde-fghi",
            "abcde-fghijk",
            "abcde-fgh1j",
            "abcde-fgh!j",
        ] {
            assert!(!is_recovery_code(not), "{not:?}");
        }
    }
}
