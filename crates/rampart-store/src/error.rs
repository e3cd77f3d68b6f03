//! The store's one error type.

use rampart_domain::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The object does not exist in the caller's organisation (or at all: the
    /// two are deliberately indistinguishable).
    #[error("not found")]
    NotFound,
    /// The change conflicts with what is stored, such as a duplicate name.
    #[error("{0}")]
    Conflict(String),
    /// The actor may not make this change (beyond what its role allows,
    /// such as deciding an acceptance addressed to someone else).
    #[error("{0}")]
    Forbidden(String),
    /// A value breaks a rule.
    #[error("{0}")]
    Invalid(Invalid),
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("migration {version} ({name}) failed: {reason}. Nothing was changed; fix the cause and start again")]
    Migration { version: i64, name: String, reason: String },
    #[error(
        "the database has migration {0}, which this version of Rampart does not know: it was upgraded by a newer Rampart. Run that version, or restore a backup"
    )]
    FutureSchema(i64),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Io(String),
    /// A credential could not be sealed or opened (no key, another key).
    #[error("{0}")]
    Secret(#[from] rampart_domain::sealed::SealError),
}

impl From<Invalid> for StoreError {
    fn from(value: Invalid) -> Self {
        StoreError::Invalid(value)
    }
}

impl StoreError {
    /// Maps a unique-constraint violation to a [`StoreError::Conflict`] with a
    /// message for people; other errors pass through.
    pub(crate) fn unique_as_conflict(err: sqlx::Error, message: &str) -> StoreError {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(message.to_string()),
            _ => StoreError::Database(err),
        }
    }
}
