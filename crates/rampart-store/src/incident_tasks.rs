//! Tasks of incidents and the case templates that pre-create them.

use rampart_domain::audit::AuditEvent;
use rampart_domain::incident::{CaseTemplate, IncidentCategory, TaskStatus, TemplateTask};
use rampart_domain::notification::NotificationEvent;
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

/// Tells the channels that a task was given to someone (in the caller's transaction).
async fn notify_assigned(tx: &mut Tx, org_id: &str, task_id: &str, by: &str) -> Result<()> {
    let row = sqlx::query(
        "SELECT t.title, t.due_at, t.incident_id, i.title AS incident_title, u.email FROM incident_tasks t \
         JOIN incidents i ON i.id = t.incident_id AND i.org_id = t.org_id JOIN users u ON u.id = t.assignee_id \
         WHERE t.org_id = $1 AND t.id = $2",
    )
    .bind(org_id)
    .bind(task_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = row else { return Ok(()) };
    let (title, email, incident_title): (String, String, String) =
        (r.try_get("title")?, r.try_get("email")?, r.try_get("incident_title")?);
    let payload = serde_json::json!({
        "task": {"id": task_id, "title": title, "due_at": r.try_get::<Option<i64>, _>("due_at")?.map(crate::rfc3339)},
        "incident": {"id": r.try_get::<String, _>("incident_id")?, "title": incident_title},
        "assignee": email, "by": by
    });
    let subject = format!("Task for {email}: {title} ({incident_title})");
    crate::notifications::enqueue(tx, org_id, (NotificationEvent::TaskAssigned, None), &subject, &payload).await?;
    Ok(())
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
        if assignee_id.is_some() {
            notify_assigned(&mut tx, org_id, &id, &ctx.actor).await?;
        }
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
        let row = sqlx::query("SELECT incident_id, assignee_id FROM incident_tasks WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(task_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let incident: String = row.try_get("incident_id")?;
        let before: Option<String> = row.try_get("assignee_id")?;
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
        if let Some(Some(assignee)) = assignee_id
            && before.as_deref() != Some(assignee)
        {
            notify_assigned(&mut tx, org_id, task_id, &ctx.actor).await?;
        }
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

/// An organisation's public report page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicPage {
    pub slug: String,
    pub open: bool,
}

impl Store {
    /// Opens the organisation's public report page (made, with a random
    /// address, the first time) and returns it.
    pub async fn open_public_page(&self, ctx: &ChangeContext, org_id: &str) -> Result<PublicPage> {
        let mut tx = self.write_tx().await?;
        let slug: Option<String> = sqlx::query_scalar("SELECT slug FROM public_report_pages WHERE org_id = $1")
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?;
        let slug = match slug {
            Some(slug) => {
                sqlx::query("UPDATE public_report_pages SET is_open = 1, updated_at = $1 WHERE org_id = $2")
                    .bind(now_ms())
                    .bind(org_id)
                    .execute(&mut *tx)
                    .await?;
                slug
            }
            None => {
                let slug = rampart_domain::credentials::random_hex(12);
                sqlx::query(
                    "INSERT INTO public_report_pages (org_id, slug, is_open, updated_at) VALUES ($1, $2, 1, $3)",
                )
                .bind(org_id)
                .bind(&slug)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
                slug
            }
        };
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("public_page.open", "public_report_page", &slug, None))
            .await?;
        tx.commit().await?;
        Ok(PublicPage { slug, open: true })
    }

    pub async fn close_public_page(&self, ctx: &ChangeContext, org_id: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE public_report_pages SET is_open = 0, updated_at = $1 WHERE org_id = $2")
            .bind(now_ms())
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        crate::found(done)?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("public_page.close", "public_report_page", org_id, None))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn public_page(&self, org_id: &str) -> Result<Option<PublicPage>> {
        let row = sqlx::query("SELECT slug, is_open FROM public_report_pages WHERE org_id = $1")
            .bind(org_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(PublicPage { slug: r.try_get("slug")?, open: r.try_get::<i64, _>("is_open")? != 0 })).transpose()
    }

    /// The organisation (id, name) behind an open public report page.
    pub async fn organisation_of_public_page(&self, slug: &str) -> Result<(String, String)> {
        let row = sqlx::query(
            "SELECT o.id, o.name FROM public_report_pages p JOIN organisations o ON o.id = p.org_id WHERE p.slug = $1 AND p.is_open = 1",
        )
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?;
        let row = row.ok_or(StoreError::NotFound)?;
        Ok((row.try_get("id")?, row.try_get("name")?))
    }
}
