//! The asset inventory and its dependency graph.

use rampart_domain::asset::{AssetFields, AssetKind, Need};
use rampart_domain::audit::AuditEvent;
use rampart_domain::{Page, PageRequest, new_id};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Asset {
    pub id: String,
    #[serde(flatten)]
    pub fields: AssetFields,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Another asset at the end of a dependency edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetLink {
    pub id: String,
    pub name: String,
    pub kind: AssetKind,
}

/// Narrows an asset listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetFilter {
    pub kind: Option<AssetKind>,
    pub critical: Option<bool>,
}

fn asset_from_row(r: &AnyRow) -> Result<Asset> {
    let need = |col: &str| -> Result<Need> { Ok(Need::parse(&r.try_get::<String, _>(col)?)?) };
    Ok(Asset {
        id: r.try_get("id")?,
        fields: AssetFields {
            name: r.try_get("name")?,
            kind: AssetKind::parse(&r.try_get::<String, _>("kind")?)?,
            description: r.try_get("description")?,
            owner: r.try_get("owner")?,
            confidentiality: need("confidentiality")?,
            integrity: need("integrity")?,
            availability: need("availability")?,
            critical: r.try_get::<i64, _>("critical")? != 0,
        },
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(crate) fn link_from_row(r: &AnyRow) -> Result<AssetLink> {
    Ok(AssetLink {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: AssetKind::parse(&r.try_get::<String, _>("kind")?)?,
    })
}

fn state(fields: &AssetFields) -> serde_json::Value {
    serde_json::to_value(fields).unwrap_or_default()
}

/// Binds the editable fields as $1 … $8, in the order both INSERT and UPDATE use.
fn bind_fields<'q>(query: crate::AnyQuery<'q>, f: &'q AssetFields) -> crate::AnyQuery<'q> {
    query
        .bind(&f.name)
        .bind(f.kind.as_str())
        .bind(&f.description)
        .bind(&f.owner)
        .bind(f.confidentiality.as_str())
        .bind(f.integrity.as_str())
        .bind(f.availability.as_str())
        .bind(i64::from(f.critical))
}

const DUPLICATE: &str = "an asset with this name already exists in the organisation";

impl Store {
    pub async fn create_asset(&self, ctx: &ChangeContext, org_id: &str, fields: AssetFields) -> Result<Asset> {
        let now = now_ms();
        let asset = Asset { id: new_id(), fields, created_at: now, updated_at: now };
        let f = &asset.fields;
        let mut tx = self.write_tx().await?;
        bind_fields(
            sqlx::query(
                "INSERT INTO assets (name, kind, description, owner, confidentiality, integrity, availability, critical, \
                 id, org_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
            ),
            f,
        )
        .bind(&asset.id)
        .bind(org_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique_as_conflict(e, DUPLICATE))?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("asset.create", "asset", &asset.id, Some(&state(f))))
            .await?;
        tx.commit().await?;
        Ok(asset)
    }

    pub async fn update_asset(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        id: &str,
        fields: AssetFields,
    ) -> Result<Asset> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let done = bind_fields(
            sqlx::query(
                "UPDATE assets SET name = $1, kind = $2, description = $3, owner = $4, confidentiality = $5, integrity = $6, \
                 availability = $7, critical = $8, updated_at = $9 WHERE id = $10 AND org_id = $11",
            ),
            &fields,
        )
        .bind(now)
        .bind(id)
        .bind(org_id)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique_as_conflict(e, DUPLICATE))?;
        crate::found(done)?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("asset.update", "asset", id, Some(&state(&fields))))
            .await?;
        let row = sqlx::query("SELECT * FROM assets WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        asset_from_row(&row)
    }

    /// Deletes an asset, every dependency edge touching it and its links to
    /// vulnerabilities, risk scenarios and incidents.
    pub async fn delete_asset(&self, ctx: &ChangeContext, org_id: &str, id: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM asset_dependencies WHERE org_id = $1 AND (asset_id = $2 OR depends_on_id = $2)")
            .bind(org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        crate::links::purge(&mut tx, "vulnerability_assets", "asset_id", org_id, id).await?;
        crate::links::purge(&mut tx, "risk_scenario_assets", "asset_id", org_id, id).await?;
        crate::links::purge(&mut tx, "incident_assets", "asset_id", org_id, id).await?;
        let done = sqlx::query("DELETE FROM assets WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        crate::found(done)?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("asset.delete", "asset", id, None)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn asset(&self, org_id: &str, id: &str) -> Result<Asset> {
        let row = sqlx::query("SELECT * FROM assets WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(asset_from_row).transpose()?.ok_or(StoreError::NotFound)
    }

    /// The organisation's assets by name.
    pub async fn list_assets(&self, org_id: &str, filter: &AssetFilter, page: &PageRequest) -> Result<Page<Asset>> {
        let rows = sqlx::query(
            "SELECT * FROM assets WHERE org_id = $1 AND name > $2 AND ($3 IS NULL OR kind = $3) AND ($4 IS NULL OR critical = $4) \
             ORDER BY name LIMIT $5",
        )
        .bind(org_id)
        .bind(page.after.as_deref().unwrap_or(""))
        .bind(filter.kind.map(|k| k.as_str()))
        .bind(filter.critical.map(i64::from))
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let assets = rows.iter().map(asset_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(assets, page.limit, |a| a.fields.name.clone()))
    }

    /// Records that `asset_id` depends on `depends_on_id` (both of the organisation).
    pub async fn add_asset_dependency(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        asset_id: &str,
        depends_on_id: &str,
    ) -> Result<()> {
        if asset_id == depends_on_id {
            return Err(rampart_domain::Invalid::new("depends_on", "an asset cannot depend on itself").into());
        }
        let mut tx = self.write_tx().await?;
        let both: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assets WHERE org_id = $1 AND id IN ($2, $3)")
            .bind(org_id)
            .bind(asset_id)
            .bind(depends_on_id)
            .fetch_one(&mut *tx)
            .await?;
        if both != 2 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("INSERT INTO asset_dependencies (org_id, asset_id, depends_on_id) VALUES ($1, $2, $3)")
            .bind(org_id)
            .bind(asset_id)
            .bind(depends_on_id)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique_as_conflict(e, "this dependency is already recorded"))?;
        let state = serde_json::json!({"asset_id": asset_id, "depends_on_id": depends_on_id});
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("asset.depend", "asset", asset_id, Some(&state))).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_asset_dependency(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        asset_id: &str,
        depends_on_id: &str,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let done =
            sqlx::query("DELETE FROM asset_dependencies WHERE org_id = $1 AND asset_id = $2 AND depends_on_id = $3")
                .bind(org_id)
                .bind(asset_id)
                .bind(depends_on_id)
                .execute(&mut *tx)
                .await?;
        crate::found(done)?;
        let state = serde_json::json!({"asset_id": asset_id, "removed_depends_on_id": depends_on_id});
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("asset.undepend", "asset", asset_id, Some(&state))).await?;
        tx.commit().await?;
        Ok(())
    }

    /// What an asset depends on, and what depends on it, by name.
    pub async fn asset_dependencies(&self, org_id: &str, asset_id: &str) -> Result<(Vec<AssetLink>, Vec<AssetLink>)> {
        let depends_on = sqlx::query(
            "SELECT a.id, a.name, a.kind FROM asset_dependencies d JOIN assets a ON a.id = d.depends_on_id \
             WHERE d.org_id = $1 AND d.asset_id = $2 ORDER BY a.name",
        )
        .bind(org_id)
        .bind(asset_id)
        .fetch_all(&self.pool)
        .await?;
        let used_by = sqlx::query(
            "SELECT a.id, a.name, a.kind FROM asset_dependencies d JOIN assets a ON a.id = d.asset_id \
             WHERE d.org_id = $1 AND d.depends_on_id = $2 ORDER BY a.name",
        )
        .bind(org_id)
        .bind(asset_id)
        .fetch_all(&self.pool)
        .await?;
        Ok((
            depends_on.iter().map(link_from_row).collect::<Result<_>>()?,
            used_by.iter().map(link_from_row).collect::<Result<_>>()?,
        ))
    }

    /// The whole dependency graph of the organisation: its assets (first
    /// `limit` by name) and the edges between them.
    pub async fn asset_graph(&self, org_id: &str, limit: u32) -> Result<(Vec<AssetLink>, Vec<(String, String)>)> {
        let nodes = sqlx::query("SELECT id, name, kind FROM assets WHERE org_id = $1 ORDER BY name LIMIT $2")
            .bind(org_id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        let nodes = nodes.iter().map(link_from_row).collect::<Result<Vec<_>>>()?;
        let edges = sqlx::query("SELECT asset_id, depends_on_id FROM asset_dependencies WHERE org_id = $1")
            .bind(org_id)
            .fetch_all(&self.pool)
            .await?;
        let known: std::collections::HashSet<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
        let edges = edges
            .iter()
            .map(|r| Ok((r.try_get::<String, _>("asset_id")?, r.try_get::<String, _>("depends_on_id")?)))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|(a, b)| known.contains(a.as_str()) && known.contains(b.as_str()))
            .collect();
        Ok((nodes, edges))
    }

    /// Sizes of the organisation's risk register, for the dashboard.
    pub async fn register_counts(&self, org_id: &str) -> Result<RegisterCounts> {
        let top_level = self.risk_settings(org_id).await?.matrix.levels.len() as i64 - 1;
        let row = sqlx::query(concat!(
            "SELECT (SELECT COUNT(*) FROM assets WHERE org_id = $1) AS assets, \
             (SELECT COUNT(*) FROM assets WHERE org_id = $1 AND critical = 1) AS critical_assets, \
             (SELECT COUNT(*) FROM vulnerabilities WHERE org_id = $1 AND status IN ('open', 'in-remediation')) AS open_vulnerabilities, \
             (SELECT COUNT(*) FROM vulnerabilities WHERE org_id = $1 AND status IN ('open', 'in-remediation') AND severity = 'Critical') AS critical_open, \
             (SELECT COUNT(*) FROM threats WHERE org_id = $1) AS threats, \
             (SELECT COUNT(*) FROM risk_scenarios WHERE org_id = $1) AS scenarios, \
             (SELECT COUNT(*) FROM risk_scenarios WHERE org_id = $1 AND current_level = $2) AS top_level, \
             (SELECT COUNT(*) FROM risk_scenarios WHERE org_id = $1 AND ",
            review_overdue_sql!("$3"),
            ") AS overdue_reviews, \
             (SELECT COUNT(*) FROM risk_acceptances WHERE org_id = $1 AND state = 'submitted') AS awaiting, \
             (SELECT COUNT(*) FROM risk_acceptances WHERE org_id = $1 AND ",
            acceptance_expiring_sql!("", "$3"),
            ") AS expiring",
        ))
        .bind(org_id)
        .bind(top_level)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?;
        Ok(RegisterCounts {
            assets: row.try_get("assets")?,
            critical_assets: row.try_get("critical_assets")?,
            open_vulnerabilities: row.try_get("open_vulnerabilities")?,
            critical_open_vulnerabilities: row.try_get("critical_open")?,
            threats: row.try_get("threats")?,
            risk_scenarios: row.try_get("scenarios")?,
            top_level_risks: row.try_get("top_level")?,
            overdue_reviews: row.try_get("overdue_reviews")?,
            acceptances_awaiting_decision: row.try_get("awaiting")?,
            acceptances_expiring: row.try_get("expiring")?,
        })
    }
}

/// How big the risk register is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RegisterCounts {
    pub assets: i64,
    pub critical_assets: i64,
    /// Open or in remediation.
    pub open_vulnerabilities: i64,
    pub critical_open_vulnerabilities: i64,
    pub threats: i64,
    pub risk_scenarios: i64,
    /// Scenarios whose current rating is at the matrix's highest level.
    pub top_level_risks: i64,
    pub overdue_reviews: i64,
    pub acceptances_awaiting_decision: i64,
    /// Accepted risks in their reminder period or past expiry.
    pub acceptances_expiring: i64,
}
