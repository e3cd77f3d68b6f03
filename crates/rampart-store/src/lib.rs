//! Rampart's persistence.
//!
//! One [`Store`] over SQLite (the default, zero setup) or PostgreSQL (production
//! and several servers), chosen by URL. One migration history runs unchanged on
//! both. Every query that touches an organisation's data takes its id and filters
//! by it in SQL: an object of another organisation is indistinguishable from a
//! missing one. Every change runs in one transaction together with its audit
//! record.
//!
//! This crate must not know about HTTP, HTML or the command line.

/// SQL: a scenario's review is overdue at time `$now` (a parameter such as
/// `"$3"`). The same rule as `RiskScenario::review_overdue`.
macro_rules! review_overdue_sql {
    ($now:literal) => {
        concat!("(review_every_days IS NOT NULL AND last_reviewed_at + review_every_days * 86400000 < ", $now, ")")
    };
}

/// SQL: an acceptance (columns prefixed by `$p`, such as `"a."`) is accepted
/// and in its reminder period or past expiry at time `$now`. The same rule as
/// `RiskAcceptance::term`.
macro_rules! acceptance_expiring_sql {
    ($p:literal, $now:literal) => {
        concat!("(", $p, "state = 'accepted' AND ", $p, "expires_at - ", $p, "remind_days * 86400000 <= ", $now, ")")
    };
}

mod acceptances;
mod accounts;
mod assessments;
mod assets;
mod audit;
mod collections;
mod communities;
mod connect;
mod controls;
mod error;
mod evidence;
mod frameworks;
mod incident_evidence;
mod incident_links;
mod incident_merge;
mod incident_tasks;
mod incidents;
mod item_files;
mod links;
mod mappings;
mod migrate;
mod notifications;
pub mod portable;
mod quant_runs;
mod results;
mod risks;
mod sessions;
mod sightings;
mod subscriptions;
mod summaries;
pub mod testing;
mod threats;
mod throttle;
mod tokens;
mod vulnerabilities;

pub use acceptances::{AcceptanceQueue, RiskAcceptance};
pub use accounts::{Member, Organisation, UserRecord};
pub use assessments::{Assessment, AssessmentFilter, AssessmentPerson, AssessmentSummary, HeadingScore, Snapshot};
pub use assets::{Asset, AssetFilter, AssetLink, RegisterCounts};
pub use audit::{AuditFilter, ChainReport};
pub use collections::{Collection, ImportReport, ObjectQuery, ReadableCollection, StoredObject, VersionFilter};
pub use communities::{Community, CommunityMember, NewSharedItem, SharedItem};
pub use connect::{Backend, DEFAULT_SQLITE_FILE, default_sqlite_url};
pub use controls::{AppliedControl, ControlLink};
pub use error::StoreError;
pub use evidence::Evidence;
pub use frameworks::{
    Framework, FrameworkEnrichment, FrameworkImport, RequirementNode, SOURCE_BUILT_IN, SOURCE_OSCAL, SOURCE_YAML,
};
pub use incident_evidence::{CustodyEntry, IncidentEvidence};
pub use incident_links::{FollowUp, IncidentLink, IncidentLinks, LinkChoices};
pub use incident_tasks::{IncidentTask, PublicPage};
pub use incidents::{Incident, IncidentDetail, IncidentFilter, IncidentRef, Obligation, Observable, TimelineEntry};
pub use item_files::{ItemFile, MAX_FILES_PER_ITEM, StoredFile};
pub use mappings::{Inferred, MappedRequirement, MappingSetRow};
pub use migrate::MIGRATIONS;
pub use notifications::{Channel, Delivery, Notification};
pub use quant_runs::{NewQuantRun, QuantRun};
pub use results::{ComparisonRow, Coverage, RequirementResult, ResultRow, SoaRow, Workspace};
pub use risks::{
    FairModel, HeatCell, HeatMap, Levels, RiskFilter, RiskLink, RiskScenario, RiskSettings, VulnerabilityLink,
};
pub use sessions::{LiveSession, Session, SessionPolicy};
pub use sightings::{Sighting, stix_path};
pub use subscriptions::{Pull, PullRecord, Subscription};
pub use summaries::{Correlation, NewSummary, SUMMARY_KIND};
pub use threats::{Threat, ThreatFilter, ThreatImport};
pub use tokens::ApiToken;
pub use vulnerabilities::{Vulnerability, VulnerabilityFilter};

use sqlx::AnyPool;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A query on the `Any` driver, as the field binders build them.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// The database behind Rampart.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Seals and opens the credentials Rampart must present elsewhere (a
    /// remote TAXII server's); without it, such credentials are refused.
    secrets: Option<std::sync::Arc<rampart_domain::sealed::SecretKey>>,
}

/// Who makes a change and under which request, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeContext {
    /// The acting user's e-mail, or `system` / `cli`.
    pub actor: String,
    pub request_id: String,
}

impl ChangeContext {
    pub fn new(actor: impl Into<String>, request_id: impl Into<String>) -> Self {
        Self { actor: actor.into(), request_id: request_id.into() }
    }

    /// A change made from the command line on the server's host.
    pub fn cli() -> Self {
        Self::new("cli", rampart_domain::new_id())
    }
}

/// `NotFound` when a scoped UPDATE or DELETE touched no row: the object is
/// missing or belongs to another organisation.
pub(crate) fn found(done: sqlx::any::AnyQueryResult) -> Result<()> {
    if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Now, as Unix milliseconds: the one time representation in the database.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Unix milliseconds as RFC 3339 UTC: the one time format of the API and of
/// the notifications.
pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

impl Store {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for metrics.
    pub fn pool_state(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// True when this PostgreSQL connection is encrypted (for operators and
    /// tests of `sslmode`); SQLite has no network and answers false.
    pub async fn connection_uses_tls(&self) -> Result<bool> {
        match self.backend {
            Backend::Sqlite => Ok(false),
            Backend::Postgres => {
                let ssl: Option<bool> = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(ssl.unwrap_or(false))
            }
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begins a transaction that will write.
    ///
    /// On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`): a deferred
    /// transaction that reads first cannot later upgrade if another writer
    /// committed meanwhile, and would fail with SQLITE_BUSY half-way.
    pub(crate) async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }
}
