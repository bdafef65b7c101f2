//! Secrets: argon2id password hashes, random bearer tokens and their sha256 (the only form
//! the server keeps). Hashing and verifying are CPU-heavy: async callers use `spawn_blocking`.

use crate::error::ServerError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], ServerError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| ServerError::Random(e.to_string()))?;
    Ok(out)
}

/// The argon2id PHC string of `password` (argon2 crate defaults).
pub(crate) fn hash_password(password: &str) -> Result<String, ServerError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| ServerError::Password(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServerError::Password(e.to_string()))
}

/// Whether `password` matches `phc`. A damaged hash never matches.
pub(crate) fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// Spends the time a real verification takes, so a login for an unknown user cannot be told
/// from a wrong password by timing.
pub(crate) fn verify_nobody(password: &str) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    if let Some(phc) = DUMMY.get_or_init(|| hash_password("beatbook-no-such-user").ok()) {
        let _ = verify_password(password, phc);
    }
}

/// A fresh bearer token: 32 random bytes, hex.
pub(crate) fn new_token() -> Result<String, ServerError> {
    Ok(beatbook_protocol::hex(&random_bytes::<32>()?))
}

/// What the server stores of a token.
pub(crate) fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_tokens_are_random() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong horse", &phc));
        assert!(!verify_password("correct horse", "not a hash"));
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(token_hash(&a), token_hash(&b));
    }
}
