//! One migration history for both databases, embedded in the binary.
//!
//! Each migration runs in its own transaction together with the row that records
//! it: both databases have transactional DDL, so a failed migration leaves the
//! schema exactly as it was.

use sqlx::Row;

use crate::{Result, Store, StoreError, now_ms};

/// The migrations, in order: (version, name, SQL).
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../migrations/0001_foundation.sql")),
    (2, "list_indexes", include_str!("../migrations/0002_list_indexes.sql")),
    (3, "assets", include_str!("../migrations/0003_assets.sql")),
    (4, "vulnerabilities", include_str!("../migrations/0004_vulnerabilities.sql")),
    (5, "threats", include_str!("../migrations/0005_threats.sql")),
    (6, "applied_controls", include_str!("../migrations/0006_applied_controls.sql")),
    (7, "risk_scenarios", include_str!("../migrations/0007_risk_scenarios.sql")),
    (8, "frameworks", include_str!("../migrations/0008_frameworks.sql")),
    (9, "assessments", include_str!("../migrations/0009_assessments.sql")),
    (10, "mappings", include_str!("../migrations/0010_mappings.sql")),
    (11, "evidence", include_str!("../migrations/0011_evidence.sql")),
    (12, "incidents", include_str!("../migrations/0012_incidents.sql")),
    (13, "incident_tasks", include_str!("../migrations/0013_incident_tasks.sql")),
    (14, "public_reports", include_str!("../migrations/0014_public_reports.sql")),
    (15, "incident_links", include_str!("../migrations/0015_incident_links.sql")),
    (16, "incident_evidence", include_str!("../migrations/0016_incident_evidence.sql")),
    (17, "incident_merges", include_str!("../migrations/0017_incident_merges.sql")),
    (18, "notifications", include_str!("../migrations/0018_notifications.sql")),
    (19, "incident_list_index", include_str!("../migrations/0019_incident_list_index.sql")),
    (20, "communities", include_str!("../migrations/0020_communities.sql")),
    (21, "acknowledgements", include_str!("../migrations/0021_acknowledgements.sql")),
    (22, "sightings", include_str!("../migrations/0022_sightings.sql")),
    (23, "collections", include_str!("../migrations/0023_collections.sql")),
    (24, "taxii_status", include_str!("../migrations/0024_taxii_status.sql")),
    (25, "taxii_subscriptions", include_str!("../migrations/0025_taxii_subscriptions.sql")),
    (26, "incident_summaries", include_str!("../migrations/0026_incident_summaries.sql")),
    (27, "shared_item_files", include_str!("../migrations/0027_shared_item_files.sql")),
];

impl Store {
    /// Applies every migration the database does not have yet; returns how many.
    pub async fn migrate(&self) -> Result<usize> {
        self.migrate_with(MIGRATIONS).await
    }

    #[doc(hidden)]
    pub async fn migrate_with(&self, migrations: &[(i64, &str, &str)]) -> Result<usize> {
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS rampart_migrations (\
                version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        let mut applied = 0;
        for &(version, name, sql) in migrations {
            let mut tx = self.write_tx().await?;
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM rampart_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_some() {
                tx.rollback().await?;
                continue;
            }
            let failed =
                |e: sqlx::Error| StoreError::Migration { version, name: name.to_string(), reason: e.to_string() };
            sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(failed)?;
            sqlx::query("INSERT INTO rampart_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                .bind(version)
                .bind(name)
                .bind(now_ms())
                .execute(&mut *tx)
                .await
                .map_err(failed)?;
            tx.commit().await.map_err(failed)?;
            tracing::info!(version, name, "applied migration");
            applied += 1;
        }
        let newest = sqlx::query("SELECT MAX(version) AS v FROM rampart_migrations").fetch_one(&self.pool).await?;
        let newest: Option<i64> = newest.try_get("v")?;
        let known = migrations.last().map(|m| m.0).unwrap_or(0);
        if let Some(v) = newest.filter(|v| *v > known) {
            return Err(StoreError::FutureSchema(v));
        }
        Ok(applied)
    }

    /// The migrations the database has, as (version, name).
    pub async fn applied_migrations(&self) -> Result<Vec<(i64, String)>> {
        let rows =
            sqlx::query("SELECT version, name FROM rampart_migrations ORDER BY version").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.try_get("version")?, r.try_get("name")?))).collect()
    }
}
