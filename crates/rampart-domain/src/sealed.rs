//! Secrets Rampart must use again, not just check (the password or token of
//! a remote TAXII server): sealed with AES-256-GCM under the instance's
//! secret key before they reach the database, so a copy of the database
//! alone does not give them away. Each is bound to the row it belongs to
//! (the associated data), so a sealed value moved to another row no longer
//! opens.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

/// What a sealed value starts with: the format's version.
const PREFIX: &str = "v1.";
/// Bytes of key: AES-256.
pub const KEY_BYTES: usize = 32;

/// The instance's key for sealed secrets.
pub struct SecretKey {
    key: LessSafeKey,
    /// The first bytes of the key's SHA-256, to tell keys apart in messages
    /// without showing them.
    fingerprint: String,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey").field("fingerprint", &self.fingerprint).finish_non_exhaustive()
    }
}

/// Why a sealed value did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error(
        "this instance has no secret key to seal credentials with: set RAMPART_SECRET_KEY \
         (64 hexadecimal digits) or let Rampart create secret.key in its data directory"
    )]
    NoKey,
    #[error("the secret key must be {KEY_BYTES} bytes written as {} hexadecimal digits", KEY_BYTES * 2)]
    BadKey,
    #[error(
        "a stored credential does not open with this instance's secret key (fingerprint {0}): \
         every server must use the same key (RAMPART_SECRET_KEY or the data directory's secret.key)"
    )]
    WrongKey(String),
}

impl SecretKey {
    /// A new random key.
    pub fn generate() -> SecretKey {
        SecretKey::from_bytes(&random_key())
    }

    /// A key written as hexadecimal (surrounding blanks ignored).
    pub fn from_hex(text: &str) -> Result<SecretKey, SealError> {
        let bytes = hex::decode(text.trim()).map_err(|_| SealError::BadKey)?;
        if bytes.len() != KEY_BYTES {
            return Err(SealError::BadKey);
        }
        Ok(SecretKey::from_bytes(&bytes))
    }

    fn from_bytes(bytes: &[u8]) -> SecretKey {
        use sha2::Digest;
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).expect("the key has AES-256's length"));
        let fingerprint = hex::encode(&sha2::Sha256::digest(bytes)[..6]);
        SecretKey { key, fingerprint }
    }

    /// A new key as hexadecimal, to write to a key file.
    pub fn generate_hex() -> String {
        hex::encode(random_key())
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Seals `secret` for the row `owner` (its id): `v1.` then the nonce and
    /// the ciphertext with its tag, in hexadecimal.
    pub fn seal(&self, owner: &str, secret: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the operating system's random source is available");
        let mut sealed = secret.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(owner.as_bytes()), &mut sealed)
            .expect("AES-GCM seals any secret under 64 GiB");
        format!("{PREFIX}{}.{}", hex::encode(nonce), hex::encode(sealed))
    }

    /// The secret `sealed` holds, when it was sealed under this key for `owner`.
    pub fn open(&self, owner: &str, sealed: &str) -> Result<String, SealError> {
        let wrong = || SealError::WrongKey(self.fingerprint.clone());
        let (nonce, data) = sealed.strip_prefix(PREFIX).and_then(|rest| rest.split_once('.')).ok_or_else(wrong)?;
        let nonce: [u8; NONCE_LEN] = hex::decode(nonce).ok().and_then(|n| n.try_into().ok()).ok_or_else(wrong)?;
        let mut data = hex::decode(data).map_err(|_| wrong())?;
        let plain = self
            .key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(owner.as_bytes()), &mut data)
            .map_err(|_| wrong())?;
        String::from_utf8(plain.to_vec()).map_err(|_| wrong())
    }
}

fn random_key() -> [u8; KEY_BYTES] {
    let mut bytes = [0u8; KEY_BYTES];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_for_its_row() {
        let key = SecretKey::generate();
        let sealed = key.seal("subscription-1", "s3cret token");
        assert!(sealed.starts_with("v1.") && !sealed.contains("s3cret"));
        assert_eq!(key.open("subscription-1", &sealed).unwrap(), "s3cret token");
        assert!(matches!(key.open("subscription-2", &sealed), Err(SealError::WrongKey(_))));
        assert!(matches!(SecretKey::generate().open("subscription-1", &sealed), Err(SealError::WrongKey(_))));
        let mut tampered = sealed.clone();
        tampered.replace_range(sealed.len() - 2.., if sealed.ends_with("00") { "01" } else { "00" });
        assert!(key.open("subscription-1", &tampered).is_err());
    }

    #[test]
    fn the_same_secret_seals_differently_each_time() {
        let key = SecretKey::from_hex(&SecretKey::generate_hex()).unwrap();
        assert_ne!(key.seal("a", "x"), key.seal("a", "x"));
    }

    #[test]
    fn a_key_must_be_32_bytes_of_hex() {
        assert_eq!(SecretKey::from_hex("abcd").unwrap_err(), SealError::BadKey);
        assert_eq!(SecretKey::from_hex(&"zz".repeat(32)).unwrap_err(), SealError::BadKey);
        assert!(SecretKey::from_hex(&format!(" {}\n", "ab".repeat(32))).is_ok());
    }
}
