//! Tasks of incidents and the case templates that pre-create them.

use rampart_domain::audit::AuditEvent;
use rampart_domain::incident::{CaseTemplate, IncidentCategory, TaskStatus, TemplateTask};
use rampart_domain::{Invalid, new_id};
use serde::Serialize;
use sqlx::Row;

use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentTask {
    pub id: String,
    pub incident_id: String,
    pub title: String,
    pub assignee_id: Option<String>,
    pub assignee_email: Option<String>,
    pub due_at: Option<i64>,
    pub status: TaskStatus,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

async fn check_member(tx: &mut Tx, org_id: &str, user_id: Option<&str>) -> Result<()> {
    let Some(user_id) = user_id else { return Ok(()) };
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .fetch_one(&mut **tx)
        .await?;
    if n == 0 { Err(Invalid::new("assignee_id", "is not a member of this organisation").into()) } else { Ok(()) }
}

pub(crate) async fn insert_task(
    tx: &mut Tx,
    org_id: &str,
    incident_id: &str,
    title: &str,
    due_at: Option<i64>,
    assignee: Option<&str>,
    by: &str,
) -> Result<String> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO incident_tasks (id, org_id, incident_id, title, assignee_id, due_at, status, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'to-do', $7, $8, $8)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(incident_id)
    .bind(title)
    .bind(assignee)
    .bind(due_at)
    .bind(by)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// The template of a category, read inside a transaction.
pub(crate) async fn template_in(
    conn: &mut sqlx::AnyConnection,
    org_id: &str,
    category: IncidentCategory,
) -> Result<Option<CaseTemplate>> {
    let row = sqlx::query("SELECT name, tasks FROM case_templates WHERE org_id = $1 AND category = $2")
        .bind(org_id)
        .bind(category.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        let tasks: Vec<TemplateTask> =
            serde_json::from_str(&r.try_get::<String, _>("tasks")?).map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(CaseTemplate { category, name: r.try_get("name")?, tasks })
    })
    .transpose()
}

pub(crate) async fn tasks_in(
    conn: &mut sqlx::AnyConnection,
    org_id: &str,
    incident_id: &str,
) -> Result<Vec<IncidentTask>> {
    let rows = sqlx::query(
        "SELECT t.*, u.email FROM incident_tasks t LEFT JOIN users u ON u.id = t.assignee_id \
         WHERE t.org_id = $1 AND t.incident_id = $2 ORDER BY t.due_at IS NULL, t.due_at, t.created_at, t.id",
    )
    .bind(org_id)
    .bind(incident_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(IncidentTask {
                id: r.try_get("id")?,
                incident_id: r.try_get("incident_id")?,
                title: r.try_get("title")?,
                assignee_id: r.try_get("assignee_id")?,
                assignee_email: r.try_get("email")?,
                due_at: r.try_get("due_at")?,
                status: TaskStatus::parse(&r.try_get::<String, _>("status")?)?,
                created_by: r.try_get("created_by")?,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect()
}

impl Store {
    pub async fn add_incident_task(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        incident_id: &str,
        title: &str,
        due_at: Option<i64>,
        assignee_id: Option<&str>,
    ) -> Result<String> {
        let title = rampart_domain::validate::name("title", title)?;
        let mut tx = self.write_tx().await?;
        let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(incident_id)
            .fetch_one(&mut *tx)
            .await?;
        if exists == 0 {
            return Err(StoreError::NotFound);
        }
        check_member(&mut tx, org_id, assignee_id).await?;
        let id = insert_task(&mut tx, org_id, incident_id, &title, due_at, assignee_id, &ctx.actor).await?;
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new(
                "incident.task.add",
                "incident",
                incident_id,
                Some(&serde_json::json!({"task": id, "title": title})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Changes a task's status and, when given, its assignee (`Some(None)` clears it).
    pub async fn update_incident_task(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        task_id: &str,
        status: Option<TaskStatus>,
        assignee_id: Option<Option<&str>>,
    ) -> Result<IncidentTask> {
        let mut tx = self.write_tx().await?;
        let incident: Option<String> =
            sqlx::query_scalar("SELECT incident_id FROM incident_tasks WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(task_id)
                .fetch_optional(&mut *tx)
                .await?;
        let incident = incident.ok_or(StoreError::NotFound)?;
        if let Some(assignee) = assignee_id {
            check_member(&mut tx, org_id, assignee).await?;
        }
        sqlx::query(
            "UPDATE incident_tasks SET status = COALESCE($1, status), assignee_id = CASE WHEN $2 = 1 THEN $3 ELSE assignee_id END, \
             updated_at = $4 WHERE org_id = $5 AND id = $6",
        )
        .bind(status.map(|s| s.as_str()))
        .bind(i64::from(assignee_id.is_some()))
        .bind(assignee_id.flatten())
        .bind(now_ms())
        .bind(org_id)
        .bind(task_id)
        .execute(&mut *tx)
        .await?;
        let state = serde_json::json!({"task": task_id, "status": status, "assignee_id": assignee_id});
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("incident.task.update", "incident", &incident, Some(&state)),
        )
        .await?;
        let task = tasks_in(&mut tx, org_id, &incident)
            .await?
            .into_iter()
            .find(|t| t.id == task_id)
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(task)
    }

    pub async fn incident_tasks(&self, org_id: &str, incident_id: &str) -> Result<Vec<IncidentTask>> {
        tasks_in(&mut *self.pool.acquire().await?, org_id, incident_id).await
    }

    /// Sets the case template of a category, replacing any before.
    pub async fn set_case_template(&self, ctx: &ChangeContext, org_id: &str, template: CaseTemplate) -> Result<()> {
        let template = template.check()?;
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM case_templates WHERE org_id = $1 AND category = $2")
            .bind(org_id)
            .bind(template.category.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO case_templates (org_id, category, name, tasks, updated_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(org_id)
        .bind(template.category.as_str())
        .bind(&template.name)
        .bind(serde_json::to_string(&template.tasks).map_err(|e| StoreError::Io(e.to_string()))?)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new(
                "case_template.set",
                "case_template",
                template.category.as_str(),
                Some(&serde_json::to_value(&template).unwrap_or_default()),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn case_templates(&self, org_id: &str) -> Result<Vec<CaseTemplate>> {
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::new();
        for category in IncidentCategory::ALL {
            if let Some(t) = template_in(&mut conn, org_id, *category).await? {
                out.push(t);
            }
        }
        Ok(out)
    }

    pub async fn delete_case_template(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        category: IncidentCategory,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM case_templates WHERE org_id = $1 AND category = $2")
            .bind(org_id)
            .bind(category.as_str())
            .execute(&mut *tx)
            .await?;
        crate::found(done)?;
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("case_template.delete", "case_template", category.as_str(), None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
