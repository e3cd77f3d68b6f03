//! Credentials: password hashing and rules, API tokens, session and CSRF secrets.
//!
//! Passwords are hashed with Argon2id at OWASP's recommended parameters
//! (19 MiB memory, 2 iterations, 1 lane). Random secrets (session ids, API
//! tokens) are stored only as their SHA-256: a leaked database does not let
//! anyone log in.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

use crate::{DomainError, Invalid};

pub const MIN_PASSWORD_CHARS: usize = 12;
/// Upper bound so a huge password cannot make hashing a denial of service.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Every API token starts with this, so scanners can spot leaked ones.
pub const API_TOKEN_PREFIX: &str = "rmp_";

/// A few passwords that pass the length rule yet are first in every attack list.
const COMMON_PASSWORDS: &[&str] = &[
    "password1234",
    "123456789012",
    "qwertyuiop12",
    "passwordpassword",
    "letmein12345",
    "administrator",
    "changeme1234",
    "welcome12345",
    "iloveyou1234",
    "rampartrampart",
];

fn argon2() -> Argon2<'static> {
    // OWASP Password Storage Cheat Sheet: m=19456 KiB, t=2, p=1.
    let params = Params::new(19_456, 2, 1, None).expect("static Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks the minimum password rules; `email` is the account's, which the
/// password must not contain.
pub fn check_password_rules(password: &str, email: &str) -> Result<(), Invalid> {
    let field = "password";
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Invalid::new(field, format!("must be at least {MIN_PASSWORD_CHARS} characters")));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Invalid::new(field, format!("must be at most {MAX_PASSWORD_BYTES} bytes")));
    }
    let lower = password.to_lowercase();
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if lower == email.to_lowercase() || (local.len() >= 4 && lower.contains(&local)) {
        return Err(Invalid::new(field, "must not contain your e-mail address"));
    }
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Err(Invalid::new(field, "is one of the most common passwords; choose another"));
    }
    let first = password.chars().next();
    if password.chars().all(|c| Some(c) == first) {
        return Err(Invalid::new(field, "must not repeat a single character"));
    }
    Ok(())
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash_password(password: &str) -> Result<String, DomainError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| DomainError::PasswordHash(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| DomainError::PasswordHash(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DomainError::PasswordHash(e.to_string()))
}

/// True when `password` matches the stored PHC `hash`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Spends the same time as a real verification, for logins naming an unknown
/// account: the response time must not tell which e-mail addresses exist.
pub fn dummy_verify(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("dummy password for timing").unwrap_or_default());
    let _ = verify_password(hash, password);
}

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    hex::encode(bytes)
}

/// The SHA-256 of a secret, as stored in place of the secret itself.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new API token: the plaintext (shown once), its stored hash and the short
/// prefix shown in lists so people can tell their tokens apart.
#[derive(Debug)]
pub struct NewApiToken {
    pub plaintext: String,
    pub hash: String,
    pub display_prefix: String,
}

pub fn new_api_token() -> NewApiToken {
    let plaintext = format!("{API_TOKEN_PREFIX}{}", random_hex(24));
    NewApiToken {
        hash: secret_hash(&plaintext),
        display_prefix: plaintext[..API_TOKEN_PREFIX.len() + 6].to_string(),
        plaintext,
    }
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse batterx"));
        assert!(!verify_password("not a hash", "correct horse battery"));
    }

    #[test]
    fn the_same_password_hashes_differently_each_time() {
        assert_ne!(hash_password("correct horse battery").unwrap(), hash_password("correct horse battery").unwrap());
    }

    #[test]
    fn password_rules_explain_what_is_wrong() {
        let email = "alice@example.org";
        assert!(check_password_rules("short", email).unwrap_err().reason.contains("at least 12"));
        assert!(check_password_rules("alice-is-great-1", email).unwrap_err().reason.contains("e-mail"));
        assert!(check_password_rules("Password1234", email).unwrap_err().reason.contains("common"));
        assert!(check_password_rules("aaaaaaaaaaaaaa", email).unwrap_err().reason.contains("single character"));
        assert!(check_password_rules(&"x1".repeat(600), email).unwrap_err().reason.contains("at most"));
        assert!(check_password_rules("tawny-otter-sails-north", email).is_ok());
    }

    #[test]
    fn api_tokens_carry_the_prefix_and_only_the_hash_is_kept() {
        let token = new_api_token();
        assert!(token.plaintext.starts_with("rmp_"));
        assert_eq!(token.plaintext.len(), 4 + 48);
        assert_eq!(token.hash, secret_hash(&token.plaintext));
        assert!(token.plaintext.starts_with(&token.display_prefix));
        assert_ne!(new_api_token().plaintext, token.plaintext);
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
