//! Random bearer secrets (API tokens, session cookies, set-password links): 256 bits from
//! the OS's generator, stored only as their SHA-256.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new secret: `prefix` and 32 random bytes, base64url without padding.
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The stored form of a secret: SHA-256, hex. A 256-bit random secret needs no slow hash.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_prefixed_and_hash_stably() {
        let a = generate("af_");
        let b = generate("af_");
        assert_ne!(a, b);
        assert!(a.starts_with("af_"));
        assert_eq!(a.len(), 3 + 43);
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(hash(&a).len(), 64);
    }
}
