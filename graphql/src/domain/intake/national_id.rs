//! National IDs are never stored. An account keeps a keyed hash of the ID, to match
//! debtors by, and its last four characters, to show. The hash is HMAC-SHA256 under
//! `security.national_id_key`: without the key, a leaked table cannot be reversed by
//! hashing every possible ID (there are few enough to try them all).

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// The shortest key accepted, in bytes: as long as the hash itself.
pub const MIN_KEY_BYTES: usize = 32;

/// The secret key of the national-ID hash. Changing it makes every stored hash unmatchable.
#[derive(Clone, Debug)]
pub struct NationalIdKey(SecretString);

/// What an account keeps of a national ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtectedId {
    /// HMAC-SHA256 of the normalised ID, lowercase hex.
    pub hash: String,
    pub last4: String,
}

impl NationalIdKey {
    /// `key` has at least [`MIN_KEY_BYTES`] bytes; the configuration checks it at start.
    pub fn new(key: SecretString) -> Self {
        Self(key)
    }

    /// Normalises the ID (spaces and hyphens dropped, letters in upper case) and keeps its
    /// hash and last four characters. The error message never repeats the ID.
    pub fn protect(&self, national_id: &str) -> Result<ProtectedId, &'static str> {
        let normalised: String = national_id
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if !(4..=32).contains(&normalised.len())
            || !normalised.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err("a national ID is 4 to 32 letters and digits (spaces and hyphens aside)");
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0.expose_secret().as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(normalised.as_bytes());
        Ok(ProtectedId {
            hash: hex::encode(mac.finalize().into_bytes()),
            last4: normalised[normalised.len() - 4..].to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> NationalIdKey {
        NationalIdKey::new(SecretString::from(text.to_owned()))
    }

    #[test]
    fn keeps_a_keyed_hash_and_the_last_four_characters() {
        let k = key("k".repeat(MIN_KEY_BYTES).as_str());
        let id = k.protect("123-45-6789").unwrap();
        assert_eq!(id.last4, "6789");
        assert_eq!(id.hash.len(), 64);
        assert!(!id.hash.contains("6789"));
        // The same ID however it is written; a different key, a different hash.
        assert_eq!(k.protect(" 123 45 6789 ").unwrap(), id);
        assert_ne!(
            key(&"x".repeat(MIN_KEY_BYTES))
                .protect("123456789")
                .unwrap()
                .hash,
            id.hash
        );
        assert_eq!(k.protect("ab12cd34").unwrap().last4, "CD34");
    }

    #[test]
    fn is_hmac_sha256_of_the_normalised_id() {
        // python3 -c "import hmac,hashlib; print(hmac.new(b'k'*32, b'123456789',
        //             hashlib.sha256).hexdigest())"
        let id = key(&"k".repeat(32)).protect("123-456-789").unwrap();
        assert_eq!(
            id.hash,
            "03704e20dbb14174278b21bb775ce293e522155690138a2d435f2ce3eeb82d64"
        );
    }

    #[test]
    fn refuses_what_is_not_an_id_without_repeating_it() {
        let k = key(&"k".repeat(MIN_KEY_BYTES));
        for bad in ["", "123", "12345678901234567890123456789012345", "12#45678"] {
            let message = k.protect(bad).unwrap_err();
            assert!(bad.is_empty() || !message.contains(bad), "{message}");
        }
    }
}
