//! argon2id password hashing, off the async runtime's threads.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use kernel::error::{Error, UserErrorCode};

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest password accepted (argon2 would take more, but a cap bounds the work per request).
pub const MAX_PASSWORD_LEN: usize = 256;

/// Hashes and verifies passwords with fixed argon2id parameters.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    /// A hash of a random password, verified against when an account does not exist, so the
    /// time taken does not tell whether it does.
    dummy: String,
}

impl Hasher {
    /// A hasher with the given memory cost (KiB) and iterations.
    pub fn new(memory_kib: u32, iterations: u32) -> Result<Self, Error> {
        let params = Params::new(memory_kib, iterations, 1, None)
            .map_err(|e| Error::internal(format!("bad argon2 parameters: {e}")))?;
        let mut h = Self {
            params,
            dummy: String::new(),
        };
        h.dummy = h.hash_blocking(&kernel::secret::random_token(16))?;
        Ok(h)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    fn hash_blocking(&self, password: &str) -> Result<String, Error> {
        self.argon2()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| Error::internal(format!("argon2 hash failed: {e}")))
    }

    /// Hashes a password on a blocking thread.
    pub async fn hash(&self, password: String) -> Result<String, Error> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.hash_blocking(&password))
            .await
            .map_err(|e| Error::internal(format!("hashing task failed: {e}")))?
    }

    /// Verifies a password against a stored hash (or the dummy hash when `stored` is `None`).
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, Error> {
        let this = self.clone();
        let exists = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.dummy.clone());
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&stored)
                .map(|parsed| {
                    this.argon2()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .map_err(|e| Error::internal(format!("verify task failed: {e}")))?;
        Ok(ok && exists)
    }
}

/// Checks a new password's shape; `field` names the input field for the user error.
pub fn validate_new_password(field: &str, password: &str) -> Result<(), Error> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(Error::user(
            field,
            UserErrorCode::TooShort,
            format!("the password must have at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    if len > MAX_PASSWORD_LEN {
        return Err(Error::user(
            field,
            UserErrorCode::TooLong,
            format!("the password must have at most {MAX_PASSWORD_LEN} characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let h = Hasher::new(1024, 1).expect("hasher");
        let a = h.hash("correct horse".into()).await.expect("hash");
        let b = h.hash("correct horse".into()).await.expect("hash");
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(
            h.verify("correct horse".into(), Some(a.clone()))
                .await
                .expect("verify")
        );
        assert!(
            !h.verify("wrong horse".into(), Some(a))
                .await
                .expect("verify")
        );
        assert!(!h.verify("anything".into(), None).await.expect("verify"));
    }

    #[test]
    fn password_length_rules() {
        assert!(validate_new_password("p", "short").is_err());
        assert!(validate_new_password("p", "long enough").is_ok());
        assert!(validate_new_password("p", &"x".repeat(MAX_PASSWORD_LEN + 1)).is_err());
    }
}
