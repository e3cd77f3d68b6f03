//! The threat catalog.

use rampart_domain::audit::AuditEvent;
use rampart_domain::threat::ThreatFields;
use rampart_domain::{Page, PageRequest, new_id};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeContext, Result, Store, audit, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Threat {
    pub id: String,
    #[serde(flatten)]
    pub fields: ThreatFields,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreatFilter {
    pub category: Option<String>,
    pub source: Option<String>,
}

/// What an import changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ThreatImport {
    pub created: u64,
    pub updated: u64,
}

fn from_row(r: &AnyRow) -> Result<Threat> {
    Ok(Threat {
        id: r.try_get("id")?,
        fields: ThreatFields {
            name: r.try_get("name")?,
            category: r.try_get("category")?,
            description: r.try_get("description")?,
            source: r.try_get("source")?,
            external_id: r.try_get("external_id")?,
        },
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl Store {
    pub async fn create_threat(&self, ctx: &ChangeContext, org_id: &str, fields: ThreatFields) -> Result<Threat> {
        let now = now_ms();
        let threat = Threat { id: new_id(), fields, created_at: now, updated_at: now };
        let mut tx = self.write_tx().await?;
        insert(&mut tx, org_id, &threat).await?;
        let state = serde_json::to_value(&threat.fields).unwrap_or_default();
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("threat.create", "threat", &threat.id, Some(&state)))
            .await?;
        tx.commit().await?;
        Ok(threat)
    }

    /// Adds or refreshes imported threats, matched by source and external id,
    /// in one transaction with one audit record.
    pub async fn import_threats(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        source_id: &str,
        threats: &[ThreatFields],
    ) -> Result<ThreatImport> {
        let now = now_ms();
        let mut result = ThreatImport { created: 0, updated: 0 };
        let mut tx = self.write_tx().await?;
        for fields in threats {
            let existing: Option<String> =
                sqlx::query_scalar("SELECT id FROM threats WHERE org_id = $1 AND source = $2 AND external_id = $3")
                    .bind(org_id)
                    .bind(&fields.source)
                    .bind(fields.external_id.as_deref())
                    .fetch_optional(&mut *tx)
                    .await?;
            match existing {
                Some(id) => {
                    sqlx::query("UPDATE threats SET name = $1, category = $2, description = $3, updated_at = $4 WHERE id = $5 AND org_id = $6")
                        .bind(&fields.name)
                        .bind(&fields.category)
                        .bind(&fields.description)
                        .bind(now)
                        .bind(&id)
                        .bind(org_id)
                        .execute(&mut *tx)
                        .await?;
                    result.updated += 1;
                }
                None => {
                    insert(
                        &mut tx,
                        org_id,
                        &Threat { id: new_id(), fields: fields.clone(), created_at: now, updated_at: now },
                    )
                    .await?;
                    result.created += 1;
                }
            }
        }
        let ids: Vec<&str> = threats.iter().filter_map(|t| t.external_id.as_deref()).collect();
        let state = serde_json::json!({"source": source_id, "created": result.created, "updated": result.updated, "external_ids": ids});
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("threat.import", "threat_catalog", source_id, Some(&state)),
        )
        .await?;
        tx.commit().await?;
        Ok(result)
    }

    /// Deletes a threat; scenarios that named it keep their other content.
    pub async fn delete_threat(&self, ctx: &ChangeContext, org_id: &str, id: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE risk_scenarios SET threat_id = NULL WHERE org_id = $1 AND threat_id = $2")
            .bind(org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM threats WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        crate::found(done)?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("threat.delete", "threat", id, None)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The catalog by name (ties broken by id); the cursor is `name\u{1f}id`.
    pub async fn list_threats(&self, org_id: &str, filter: &ThreatFilter, page: &PageRequest) -> Result<Page<Threat>> {
        let (after_name, after_id) = page.after.as_deref().and_then(|a| a.split_once('\u{1f}')).unwrap_or(("", ""));
        let rows = sqlx::query(
            "SELECT * FROM threats WHERE org_id = $1 AND (name > $2 OR (name = $2 AND id > $3)) \
             AND ($4 IS NULL OR category = $4) AND ($5 IS NULL OR source = $5) ORDER BY name, id LIMIT $6",
        )
        .bind(org_id)
        .bind(after_name)
        .bind(after_id)
        .bind(filter.category.as_deref())
        .bind(filter.source.as_deref())
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page.limit, |t| format!("{}\u{1f}{}", t.fields.name, t.id)))
    }

    /// The categories in use, with how many threats each holds.
    pub async fn threat_categories(&self, org_id: &str) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT category, COUNT(*) AS n FROM threats WHERE org_id = $1 GROUP BY category ORDER BY category",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("category")?, r.try_get("n")?))).collect()
    }
}

async fn insert(tx: &mut sqlx::Transaction<'static, sqlx::Any>, org_id: &str, t: &Threat) -> Result<()> {
    sqlx::query(
        "INSERT INTO threats (id, org_id, name, category, description, source, external_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&t.id)
    .bind(org_id)
    .bind(&t.fields.name)
    .bind(&t.fields.category)
    .bind(&t.fields.description)
    .bind(&t.fields.source)
    .bind(t.fields.external_id.as_deref())
    .bind(t.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
