//! Device keys and what they sign. Every request is signed (so a token is useless without
//! the key that enrolled with it) and every change is signed over its hash (so a change stays
//! attributable to the device that made it, whoever relays it).

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// Header with the request time (Unix milliseconds) that the signature covers.
pub const TIME_HEADER: &str = "x-beatbook-time";
/// Header with the hex ed25519 signature of [`request_payload`].
pub const SIGNATURE_HEADER: &str = "x-beatbook-signature";

/// A signature that could not be made or checked.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// The operating system gave no randomness.
    #[error("no randomness available: {0}")]
    Random(String),
    /// Bytes that are not a key.
    #[error("not a device key")]
    BadKey,
}

/// A device's ed25519 key pair, made at enrolment and kept in the (encrypted) store.
#[derive(Clone)]
pub struct DeviceKey(SigningKey);

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceKey({})", crate::hex(&self.public()))
    }
}

impl DeviceKey {
    /// A fresh key from the operating system's randomness.
    pub fn generate() -> Result<DeviceKey, SignatureError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| SignatureError::Random(e.to_string()))?;
        Ok(DeviceKey(SigningKey::from_bytes(&seed)))
    }

    /// The key from its 32 secret bytes.
    pub fn from_secret(bytes: &[u8]) -> Result<DeviceKey, SignatureError> {
        let seed: [u8; 32] = bytes.try_into().map_err(|_| SignatureError::BadKey)?;
        Ok(DeviceKey(SigningKey::from_bytes(&seed)))
    }

    /// The 32 secret bytes (to store).
    pub fn secret(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public key the server keeps.
    pub fn public(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

/// Whether `signature` is `public`'s signature of `message`.
pub fn verify(public: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let (Ok(public), Ok(signature)) = (
        <[u8; 32]>::try_from(public),
        <[u8; 64]>::try_from(signature),
    ) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&public) else {
        return false;
    };
    key.verify(message, &Signature::from_bytes(&signature))
        .is_ok()
}

/// What a request signature covers: method, path, time, token and a hash of the body.
pub fn request_payload(
    method: &str,
    path: &str,
    time_ms: i64,
    token: &str,
    body: &[u8],
) -> Vec<u8> {
    let body_hash = Sha256::digest(body);
    format!(
        "beatbook-request-v1\n{method}\n{path}\n{time_ms}\n{token}\n{}",
        crate::hex(&body_hash)
    )
    .into_bytes()
}

/// What a change signature covers: the change's hash, domain-separated.
pub fn change_payload(hash: &[u8; 32]) -> Vec<u8> {
    let mut out = b"beatbook-change-v1\n".to_vec();
    out.extend_from_slice(hash);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_for_their_key_and_message() {
        let a = DeviceKey::generate().unwrap();
        let b = DeviceKey::generate().unwrap();
        let msg = request_payload("POST", "/v1/sync", 1, "tok", b"body");
        let sig = a.sign(&msg);
        assert!(verify(&a.public(), &msg, &sig));
        assert!(!verify(&b.public(), &msg, &sig));
        let other = request_payload("POST", "/v1/sync", 1, "tok", b"bodY");
        assert!(!verify(&a.public(), &other, &sig));
        assert!(!verify(&a.public(), &msg, &sig[..63]));
        let again = DeviceKey::from_secret(&a.secret()).unwrap();
        assert_eq!(again.public(), a.public());
        assert!(DeviceKey::from_secret(&[1, 2]).is_err());
    }
}
