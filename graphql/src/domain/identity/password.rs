//! Passwords as NIST SP 800-63B has them: at least 12 characters and no composition rules,
//! refused when they are the e-mail itself or among the most common passwords; stored as
//! Argon2id (OWASP's parameters by default), hashed off the async runtime.

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;

use crate::error::{AppError, AppResult};

pub const MIN_CHARS: usize = 12;
/// Long enough for any passphrase; bounds the hashing cost a request can cause.
pub const MAX_CHARS: usize = 256;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .collect()
});

/// Argon2id's cost: memory in KiB, passes and lanes. OWASP's recommendation (m=19 MiB,
/// t=2, p=1) is the default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for HashCost {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Hashes and verifies passwords at one cost.
#[derive(Clone)]
pub struct Passwords {
    params: Params,
    /// A hash of nothing anyone knows: an unknown e-mail is verified against it, so a
    /// sign-in takes as long whether or not the account exists.
    decoy: String,
}

impl Passwords {
    pub fn new(cost: HashCost) -> anyhow::Result<Self> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|err| anyhow::anyhow!("the Argon2id cost is out of range: {err}"))?;
        let decoy = hash_with(&params, &crate::domain::secret::generate(""))?;
        Ok(Self { params, decoy })
    }

    /// The PHC string of `password` under a new random salt.
    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let (params, password) = (self.params.clone(), password.to_owned());
        tokio::task::spawn_blocking(move || hash_with(&params, &password))
            .await
            .map_err(anyhow::Error::from)?
            .map_err(AppError::from)
    }

    /// Whether `password` matches `stored` (a PHC string). Without a stored hash (no such
    /// user, or no password set) the decoy is checked, so the answer takes as long.
    pub async fn verify(&self, stored: Option<&str>, password: &str) -> bool {
        let known = stored.is_some();
        let stored = stored.unwrap_or(&self.decoy).to_owned();
        let password = password.to_owned();
        let matched = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&stored).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
        })
        .await
        .unwrap_or(false);
        known && matched
    }
}

fn hash_with(params: &Params, password: &str) -> anyhow::Result<String> {
    let mut salt = [0_u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|err| anyhow::anyhow!("salt: {err}"))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| anyhow::anyhow!("hashing a password: {err}"))
}

/// Refuses a password NIST SP 800-63B says to refuse, as BAD_USER_INPUT on `field`: shorter
/// than [`MIN_CHARS`] (counted in characters), longer than [`MAX_CHARS`], the e-mail address
/// or its local part, or one of the bundled most common passwords (case-insensitively).
pub fn check(field: &str, password: &str, email: &str) -> AppResult<()> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(AppError::bad_input(
            field,
            format!("a password has at least {MIN_CHARS} characters"),
        ));
    }
    if chars > MAX_CHARS {
        return Err(AppError::bad_input(
            field,
            format!("a password has at most {MAX_CHARS} characters"),
        ));
    }
    if password.contains('\0') {
        return Err(AppError::bad_input(field, "a password cannot contain NUL"));
    }
    let lowered = password.to_lowercase();
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    if lowered == email || lowered == local {
        return Err(AppError::bad_input(
            field,
            "the password cannot be your e-mail address",
        ));
    }
    if COMMON.contains(lowered.as_str()) {
        return Err(AppError::bad_input(
            field,
            "this password is among the most common ones: choose another",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cheap cost, so the tests run fast; the algorithm is the same.
    fn cheap() -> Passwords {
        Passwords::new(HashCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let passwords = cheap();
        let hash = passwords.hash("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
        assert!(passwords.verify(Some(&hash), "correct horse battery").await);
        assert!(
            !passwords
                .verify(Some(&hash), "correct horse battery!")
                .await
        );
        assert_ne!(hash, passwords.hash("correct horse battery").await.unwrap());
    }

    #[tokio::test]
    async fn nothing_verifies_without_a_stored_hash() {
        let passwords = cheap();
        assert!(!passwords.verify(None, "").await);
        assert!(!passwords.verify(None, "anything at all").await);
        assert!(!passwords.verify(Some("not a phc string"), "x").await);
    }

    #[test]
    fn the_default_cost_is_owasps() {
        assert_eq!(
            HashCost::default(),
            HashCost {
                memory_kib: 19_456,
                iterations: 2,
                parallelism: 1
            }
        );
        assert!(Passwords::new(HashCost::default()).is_ok());
        assert!(
            Passwords::new(HashCost {
                memory_kib: 0,
                iterations: 0,
                parallelism: 0
            })
            .is_err()
        );
    }

    fn refusal(password: &str) -> Option<String> {
        check("password", password, "Ana.Lopez@Lender.example")
            .err()
            .map(|e| e.to_string())
    }

    #[test]
    fn length_counts_characters_and_nothing_else_is_asked() {
        assert!(refusal("elevenchars").unwrap().contains("at least 12"));
        assert_eq!(refusal("twelve chars"), None);
        assert_eq!(refusal("一二三四五六七八九十一二"), None);
        assert_eq!(refusal("alllowercaseletters"), None);
        assert!(
            refusal(&"x".repeat(MAX_CHARS + 1))
                .unwrap()
                .contains("at most")
        );
        assert!(refusal("twelve chars\0").unwrap().contains("NUL"));
    }

    #[test]
    fn the_email_and_common_passwords_are_refused() {
        assert!(
            refusal("ana.lopez@lender.example")
                .unwrap()
                .contains("e-mail")
        );
        assert!(
            refusal("ANA.LOPEZ@LENDER.EXAMPLE")
                .unwrap()
                .contains("e-mail")
        );
        assert!(refusal("qwerty123456").unwrap().contains("common"));
        assert!(refusal("QWERTY123456").unwrap().contains("common"));
        assert!(refusal("1qaz2wsx3edc").unwrap().contains("common"));
        assert!(COMMON.len() > 200);
        assert!(COMMON.iter().all(|p| p.chars().count() >= MIN_CHARS));
    }
}
