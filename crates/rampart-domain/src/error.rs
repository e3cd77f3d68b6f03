//! The domain's one error type.

use std::fmt;

/// A value a user supplied that breaks a rule: which field, and why.
///
/// The server turns it into a problem+json `422` naming the field; the CLI prints
/// it and exits non-zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub reason: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { field: field.into(), reason: reason.into() }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for Invalid {}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("invalid {0}")]
    Invalid(Invalid),
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
}

impl From<Invalid> for DomainError {
    fn from(value: Invalid) -> Self {
        DomainError::Invalid(value)
    }
}
