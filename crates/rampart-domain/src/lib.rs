//! Rampart's domain: the types and rules every other crate speaks in.
//!
//! This crate owns tenancy (organisations and their ISO/IEC 27032 stakeholder
//! kinds), roles and what each may do, credentials (password hashing, API tokens,
//! session secrets), the audit hash chain, input validation and pagination.
//!
//! It must not do I/O: no database, no network, no files. Everything here is a
//! pure function or a value type, so it can be tested exhaustively and reused by
//! the store, the server and the CLI alike.

#[macro_use]
mod names;

pub mod assessment;
pub mod asset;
pub mod audit;
pub mod control;
pub mod credentials;
pub mod csv;
pub mod custody;
pub mod error;
pub mod incident;
pub mod incident_metrics;
pub mod inference;
pub mod notification;
pub mod observable;
pub mod page;
pub mod regulatory;
pub mod regulatory_reports;
pub mod risk;
pub mod risk_matrix;
pub mod score;
pub mod sealed;
pub mod sharing;
pub mod subscription;
pub mod tenancy;
pub mod threat;
pub mod validate;
pub mod vulnerability;

pub use asset::{AssetKind, Need};
pub use error::{DomainError, Invalid};
pub use page::{Page, PageRequest};
pub use tenancy::{Actor, OrgKind, Permission, Role};

/// A new identifier: a UUIDv7 string, so identifiers sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
