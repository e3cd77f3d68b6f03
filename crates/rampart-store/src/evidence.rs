//! Evidence attached to answers: file records (the bodies live in a
//! content-addressed store outside the database) and links.

use rampart_domain::assessment::EvidenceFields;
use rampart_domain::audit::AuditEvent;
use rampart_domain::new_id;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub id: String,
    pub assessment_id: String,
    pub node_id: String,
    pub kind: String,
    #[serde(flatten)]
    pub fields: EvidenceFields,
    pub added_by: String,
    pub added_at: i64,
}

impl Evidence {
    /// Expired on `today` (`YYYY-MM-DD`): the answer needs fresh evidence.
    pub fn expired(&self, today: &str) -> bool {
        self.fields.expires_on.as_deref().is_some_and(|e| e < today)
    }
}

pub(crate) const SELECT: &str = "SELECT e.*, r.assessment_id, r.node_id FROM evidence e \
     JOIN requirement_results r ON r.id = e.result_id AND r.org_id = e.org_id WHERE e.org_id = $1";

pub(crate) fn from_row(r: &AnyRow) -> Result<Evidence> {
    Ok(Evidence {
        id: r.try_get("id")?,
        assessment_id: r.try_get("assessment_id")?,
        node_id: r.try_get("node_id")?,
        kind: r.try_get("kind")?,
        fields: EvidenceFields {
            name: r.try_get("name")?,
            url: r.try_get("url")?,
            sha256: r.try_get("sha256")?,
            size: r.try_get("size")?,
            content_type: r.try_get("content_type")?,
            expires_on: r.try_get("expires_on")?,
        },
        added_by: r.try_get("added_by")?,
        added_at: r.try_get("added_at")?,
    })
}

impl Store {
    /// Attaches evidence to a requirement's answer (made, not assessed, when
    /// there is none yet). A done assessment is locked.
    pub async fn add_evidence(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        assessment_id: &str,
        node_id: &str,
        fields: EvidenceFields,
    ) -> Result<Evidence> {
        let (mut tx, result) = self.answer_for_change(ctx, org_id, assessment_id, node_id).await?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO evidence (id, org_id, result_id, kind, name, url, sha256, size, content_type, expires_on, added_by, added_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(&result)
        .bind(fields.kind())
        .bind(&fields.name)
        .bind(fields.url.as_deref())
        .bind(fields.sha256.as_deref())
        .bind(fields.size)
        .bind(fields.content_type.as_deref())
        .bind(fields.expires_on.as_deref())
        .bind(&ctx.actor)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let state = serde_json::to_value(&fields).unwrap_or_default();
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("evidence.add", "evidence", &id, Some(&state))).await?;
        let row = sqlx::query(&format!("{SELECT} AND e.id = $2")).bind(org_id).bind(&id).fetch_one(&mut *tx).await?;
        let added = from_row(&row)?;
        tx.commit().await?;
        Ok(added)
    }

    /// Whether a requirement of an assessment takes answers and evidence now
    /// (checked before an upload's body is written).
    pub async fn check_answerable(&self, org_id: &str, assessment_id: &str, node_id: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        crate::results::check_answerable(&mut tx, org_id, assessment_id, &[node_id.to_string()]).await?;
        tx.rollback().await?;
        Ok(())
    }

    pub async fn evidence(&self, org_id: &str, id: &str) -> Result<Evidence> {
        let row =
            sqlx::query(&format!("{SELECT} AND e.id = $2")).bind(org_id).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(from_row).transpose()?.ok_or(StoreError::NotFound)
    }

    /// Records that someone downloaded a file of evidence.
    pub async fn record_evidence_download(&self, ctx: &ChangeContext, org_id: &str, id: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("evidence.download", "evidence", id, None)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_evidence(&self, ctx: &ChangeContext, org_id: &str, id: &str) -> Result<()> {
        let e = self.evidence(org_id, id).await?;
        let mut tx = self.write_tx().await?;
        crate::results::check_answerable(&mut tx, org_id, &e.assessment_id, std::slice::from_ref(&e.node_id)).await?;
        let done = sqlx::query("DELETE FROM evidence WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        crate::found(done)?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("evidence.delete", "evidence", id, None)).await?;
        tx.commit().await?;
        Ok(())
    }
}
