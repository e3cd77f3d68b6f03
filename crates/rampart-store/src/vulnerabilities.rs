//! Vulnerabilities and the assets they affect.

use rampart_domain::audit::AuditEvent;
use rampart_domain::vulnerability::{VulnerabilityFields, VulnerabilityStatus};
use rampart_domain::{Page, PageRequest, new_id};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::links::{LinkTable, purge};
use crate::{AssetLink, ChangeContext, Result, Store, StoreError, audit, now_ms};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vulnerability {
    pub id: String,
    #[serde(flatten)]
    pub fields: VulnerabilityFields,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Narrows a vulnerability listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VulnerabilityFilter {
    pub status: Option<VulnerabilityStatus>,
    /// `None`, `Low`, `Medium`, `High` or `Critical`.
    pub severity: Option<String>,
}

fn from_row(r: &AnyRow) -> Result<Vulnerability> {
    let tenths: Option<i64> = r.try_get("cvss_score_tenths")?;
    Ok(Vulnerability {
        id: r.try_get("id")?,
        fields: VulnerabilityFields {
            title: r.try_get("title")?,
            cve_id: r.try_get("cve_id")?,
            description: r.try_get("description")?,
            cvss_vector: r.try_get("cvss_vector")?,
            cvss_score: tenths.map(|t| t as f64 / 10.0),
            severity: r.try_get("severity")?,
            status: VulnerabilityStatus::parse(&r.try_get::<String, _>("status")?)?,
        },
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Binds the editable fields as $1 … $7, in the order INSERT and UPDATE use.
fn bind_fields<'q>(query: crate::AnyQuery<'q>, f: &'q VulnerabilityFields) -> crate::AnyQuery<'q> {
    query
        .bind(&f.title)
        .bind(f.cve_id.as_deref())
        .bind(&f.description)
        .bind(f.cvss_vector.as_deref())
        .bind(f.cvss_score.map(|s| (s * 10.0).round() as i64))
        .bind(f.severity.as_deref())
        .bind(f.status.as_str())
}

const AFFECTS: LinkTable = LinkTable {
    table: "vulnerability_assets",
    owner_table: "vulnerabilities",
    owner_col: "vulnerability_id",
    other_table: "assets",
    other_col: "asset_id",
    object_type: "vulnerability",
    added: "vulnerability.affect",
    removed: "vulnerability.unaffect",
    duplicate: "this asset is already recorded as affected",
};

fn state(f: &VulnerabilityFields) -> serde_json::Value {
    serde_json::to_value(f).unwrap_or_default()
}

impl Store {
    pub async fn create_vulnerability(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        fields: VulnerabilityFields,
    ) -> Result<Vulnerability> {
        let now = now_ms();
        let v = Vulnerability { id: new_id(), fields, created_at: now, updated_at: now };
        let mut tx = self.write_tx().await?;
        bind_fields(
            sqlx::query(
                "INSERT INTO vulnerabilities (title, cve_id, description, cvss_vector, cvss_score_tenths, severity, status, \
                 id, org_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
            ),
            &v.fields,
        )
        .bind(&v.id)
        .bind(org_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("vulnerability.create", "vulnerability", &v.id, Some(&state(&v.fields))),
        )
        .await?;
        tx.commit().await?;
        Ok(v)
    }

    pub async fn update_vulnerability(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        id: &str,
        fields: VulnerabilityFields,
    ) -> Result<Vulnerability> {
        let mut tx = self.write_tx().await?;
        let done = bind_fields(
            sqlx::query(
                "UPDATE vulnerabilities SET title = $1, cve_id = $2, description = $3, cvss_vector = $4, cvss_score_tenths = $5, \
                 severity = $6, status = $7, updated_at = $8 WHERE id = $9 AND org_id = $10",
            ),
            &fields,
        )
        .bind(now_ms())
        .bind(id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        crate::found(done)?;
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("vulnerability.update", "vulnerability", id, Some(&state(&fields))),
        )
        .await?;
        let row = sqlx::query("SELECT * FROM vulnerabilities WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        from_row(&row)
    }

    pub async fn delete_vulnerability(&self, ctx: &ChangeContext, org_id: &str, id: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        purge(&mut tx, "vulnerability_assets", "vulnerability_id", org_id, id).await?;
        purge(&mut tx, "risk_scenario_vulnerabilities", "vulnerability_id", org_id, id).await?;
        let done = sqlx::query("DELETE FROM vulnerabilities WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        crate::found(done)?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("vulnerability.delete", "vulnerability", id, None)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn vulnerability(&self, org_id: &str, id: &str) -> Result<Vulnerability> {
        let row = sqlx::query("SELECT * FROM vulnerabilities WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(from_row).transpose()?.ok_or(StoreError::NotFound)
    }

    /// The organisation's vulnerabilities, newest first.
    pub async fn list_vulnerabilities(
        &self,
        org_id: &str,
        filter: &VulnerabilityFilter,
        page: &PageRequest,
    ) -> Result<Page<Vulnerability>> {
        let rows = sqlx::query(
            "SELECT * FROM vulnerabilities WHERE org_id = $1 AND id < $2 AND ($3 IS NULL OR status = $3) AND ($4 IS NULL OR severity = $4) \
             ORDER BY id DESC LIMIT $5",
        )
        .bind(org_id)
        .bind(page.after.as_deref().unwrap_or("~"))
        .bind(filter.status.map(|s| s.as_str()))
        .bind(filter.severity.as_deref())
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page.limit, |v| v.id.clone()))
    }

    /// Records that a vulnerability affects an asset (both of the organisation).
    pub async fn link_vulnerability_asset(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        vulnerability_id: &str,
        asset_id: &str,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        AFFECTS.add(&mut tx, ctx, org_id, vulnerability_id, asset_id).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn unlink_vulnerability_asset(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        vulnerability_id: &str,
        asset_id: &str,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        AFFECTS.remove(&mut tx, ctx, org_id, vulnerability_id, asset_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The assets a vulnerability affects, by name.
    pub async fn vulnerability_assets(&self, org_id: &str, vulnerability_id: &str) -> Result<Vec<AssetLink>> {
        let rows = sqlx::query(
            "SELECT a.id, a.name, a.kind FROM vulnerability_assets va JOIN assets a ON a.id = va.asset_id \
             WHERE va.org_id = $1 AND va.vulnerability_id = $2 ORDER BY a.name",
        )
        .bind(org_id)
        .bind(vulnerability_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(crate::assets::link_from_row).collect()
    }
}
