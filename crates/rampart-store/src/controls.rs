//! Applied controls: the organisation's measures.

use rampart_domain::audit::AuditEvent;
use rampart_domain::control::{ControlFields, ControlStatus, Effort};
use rampart_domain::{Page, PageRequest, new_id};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedControl {
    pub id: String,
    #[serde(flatten)]
    pub fields: ControlFields,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A control at the end of a link, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlLink {
    pub id: String,
    pub name: String,
    pub status: ControlStatus,
}

fn from_row(r: &AnyRow) -> Result<AppliedControl> {
    Ok(AppliedControl {
        id: r.try_get("id")?,
        fields: ControlFields {
            name: r.try_get("name")?,
            description: r.try_get("description")?,
            status: ControlStatus::parse(&r.try_get::<String, _>("status")?)?,
            owner: r.try_get("owner")?,
            eta: r.try_get("eta")?,
            effort: r.try_get::<Option<String>, _>("effort")?.map(|e| Effort::parse(&e)).transpose()?,
            annual_cost: r.try_get("annual_cost")?,
        },
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(crate) fn link_from_row(r: &AnyRow) -> Result<ControlLink> {
    Ok(ControlLink {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        status: ControlStatus::parse(&r.try_get::<String, _>("status")?)?,
    })
}

/// Binds the editable fields as $1 … $7, in the order INSERT and UPDATE use.
fn bind_fields<'q>(query: crate::AnyQuery<'q>, f: &'q ControlFields) -> crate::AnyQuery<'q> {
    query
        .bind(&f.name)
        .bind(&f.description)
        .bind(f.status.as_str())
        .bind(&f.owner)
        .bind(f.eta.as_deref())
        .bind(f.effort.map(|e| e.as_str()))
        .bind(f.annual_cost)
}

fn state(f: &ControlFields) -> serde_json::Value {
    serde_json::to_value(f).unwrap_or_default()
}

impl Store {
    pub async fn create_control(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        fields: ControlFields,
    ) -> Result<AppliedControl> {
        let now = now_ms();
        let c = AppliedControl { id: new_id(), fields, created_at: now, updated_at: now };
        let mut tx = self.write_tx().await?;
        bind_fields(
            sqlx::query(
                "INSERT INTO applied_controls (name, description, status, owner, eta, effort, annual_cost, id, org_id, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
            ),
            &c.fields,
        )
        .bind(&c.id)
        .bind(org_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("control.create", "control", &c.id, Some(&state(&c.fields))),
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn update_control(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        id: &str,
        fields: ControlFields,
    ) -> Result<AppliedControl> {
        let mut tx = self.write_tx().await?;
        let done = bind_fields(
            sqlx::query(
                "UPDATE applied_controls SET name = $1, description = $2, status = $3, owner = $4, eta = $5, effort = $6, \
                 annual_cost = $7, updated_at = $8 WHERE id = $9 AND org_id = $10",
            ),
            &fields,
        )
        .bind(now_ms())
        .bind(id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        crate::found(done)?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("control.update", "control", id, Some(&state(&fields))))
            .await?;
        let row = sqlx::query("SELECT * FROM applied_controls WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        from_row(&row)
    }

    /// Deletes a control and its links to risk scenarios.
    pub async fn delete_control(&self, ctx: &ChangeContext, org_id: &str, id: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        crate::links::purge(&mut tx, "risk_scenario_controls", "control_id", org_id, id).await?;
        let done = sqlx::query("DELETE FROM applied_controls WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        crate::found(done)?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("control.delete", "control", id, None)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn control(&self, org_id: &str, id: &str) -> Result<AppliedControl> {
        let row = sqlx::query("SELECT * FROM applied_controls WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(from_row).transpose()?.ok_or(StoreError::NotFound)
    }

    /// The organisation's controls, newest first, optionally of one status.
    pub async fn list_controls(
        &self,
        org_id: &str,
        status: Option<ControlStatus>,
        page: &PageRequest,
    ) -> Result<Page<AppliedControl>> {
        let rows = sqlx::query(
            "SELECT * FROM applied_controls WHERE org_id = $1 AND id < $2 AND ($3 IS NULL OR status = $3) \
             ORDER BY id DESC LIMIT $4",
        )
        .bind(org_id)
        .bind(page.after.as_deref().unwrap_or("~"))
        .bind(status.map(|s| s.as_str()))
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page.limit, |c| c.id.clone()))
    }

    /// The risk scenarios a control treats, by name.
    pub async fn control_scenarios(&self, org_id: &str, control_id: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT s.id, s.name FROM risk_scenario_controls l JOIN risk_scenarios s ON s.id = l.scenario_id \
             WHERE l.org_id = $1 AND l.control_id = $2 ORDER BY s.name",
        )
        .bind(org_id)
        .bind(control_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("name")?))).collect()
    }
}
