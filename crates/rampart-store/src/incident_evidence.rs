//! Evidence files of incidents and their chain of custody. The bodies live in
//! the content-addressed file store outside the database; here are the
//! records: what was acquired, when and by whom, and every later download,
//! hand-over and integrity check, in order. Nothing here is deleted (a merge
//! only moves evidence to the surviving incident), so the custody of a file
//! can always be shown.

use rampart_domain::audit::AuditEvent;
use rampart_domain::custody::{Acquisition, CustodyAction};
use rampart_domain::new_id;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// A file of evidence with its custody, oldest entry first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentEvidence {
    pub id: String,
    pub incident_id: String,
    pub name: String,
    pub description: String,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub acquired_at: i64,
    pub acquired_by: String,
    pub added_by: String,
    pub added_at: i64,
    pub custody: Vec<CustodyEntry>,
}

impl IncidentEvidence {
    /// Who holds the evidence now: the last hand-over's recipient, else who acquired it.
    pub fn holder(&self) -> &str {
        self.custody.last().map_or(self.acquired_by.as_str(), |c| c.holder.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustodyEntry {
    pub at: i64,
    pub actor: String,
    pub action: CustodyAction,
    /// Who holds the evidence after this entry.
    pub holder: String,
    pub note: String,
}

fn evidence_from(r: &AnyRow) -> Result<IncidentEvidence> {
    Ok(IncidentEvidence {
        id: r.try_get("id")?,
        incident_id: r.try_get("incident_id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        sha256: r.try_get("sha256")?,
        size: r.try_get("size")?,
        content_type: r.try_get("content_type")?,
        acquired_at: r.try_get("acquired_at")?,
        acquired_by: r.try_get("acquired_by")?,
        added_by: r.try_get("added_by")?,
        added_at: r.try_get("added_at")?,
        custody: Vec::new(),
    })
}

/// The evidence of an incident (or one piece of it), each with its custody.
pub(crate) async fn evidence_in(
    conn: &mut sqlx::AnyConnection,
    org_id: &str,
    incident_id: Option<&str>,
    id: Option<&str>,
) -> Result<Vec<IncidentEvidence>> {
    let rows = sqlx::query(
        "SELECT * FROM incident_evidence WHERE org_id = $1 AND ($2 IS NULL OR incident_id = $2) AND ($3 IS NULL OR id = $3) \
         ORDER BY added_at, id",
    )
    .bind(org_id)
    .bind(incident_id)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut evidence = rows.iter().map(evidence_from).collect::<Result<Vec<_>>>()?;
    if evidence.is_empty() {
        return Ok(evidence);
    }
    let rows = sqlx::query(
        "SELECT c.* FROM evidence_custody c JOIN incident_evidence e ON e.id = c.evidence_id AND e.org_id = c.org_id \
         WHERE c.org_id = $1 AND ($2 IS NULL OR e.incident_id = $2) AND ($3 IS NULL OR e.id = $3) ORDER BY c.at, c.id",
    )
    .bind(org_id)
    .bind(incident_id)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        let evidence_id: String = r.try_get("evidence_id")?;
        if let Some(e) = evidence.iter_mut().find(|e| e.id == evidence_id) {
            e.custody.push(CustodyEntry {
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                action: CustodyAction::parse(&r.try_get::<String, _>("action")?)?,
                holder: r.try_get("holder")?,
                note: r.try_get("note")?,
            });
        }
    }
    Ok(evidence)
}

async fn custody(
    tx: &mut Tx,
    org_id: &str,
    evidence_id: &str,
    actor: &str,
    (action, holder, note): (CustodyAction, &str, &str),
) -> Result<()> {
    sqlx::query(
        "INSERT INTO evidence_custody (id, org_id, evidence_id, at, actor, action, holder, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(org_id)
    .bind(evidence_id)
    .bind(now_ms())
    .bind(actor)
    .bind(action.as_str())
    .bind(holder)
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Whether an incident of the organisation exists (checked before an
    /// upload's body is written, so a refused upload leaves nothing behind).
    pub async fn check_incident(&self, org_id: &str, incident_id: &str) -> Result<()> {
        let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(incident_id)
            .fetch_one(&self.pool)
            .await?;
        if found == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Records a stored file as evidence of an incident: the first custody
    /// entry (acquired) and a timeline entry with its SHA-256.
    pub async fn add_incident_evidence(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        incident_id: &str,
        acquisition: Acquisition,
        (sha256, size, content_type): (&str, i64, &str),
    ) -> Result<IncidentEvidence> {
        let now = now_ms();
        let mut a = acquisition.check(now)?;
        let sha256 = rampart_domain::validate::sha256("sha256", sha256)?;
        if a.acquired_by.is_empty() {
            a.acquired_by.clone_from(&ctx.actor);
        }
        let mut tx = self.write_tx().await?;
        crate::incidents::incident_in(&mut tx, org_id, incident_id).await?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO incident_evidence (id, org_id, incident_id, name, description, sha256, size, content_type, acquired_at, acquired_by, added_by, added_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(incident_id)
        .bind(&a.name)
        .bind(&a.description)
        .bind(&sha256)
        .bind(size)
        .bind(rampart_domain::validate::content_type(content_type))
        .bind(a.acquired_at)
        .bind(&a.acquired_by)
        .bind(&ctx.actor)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        custody(&mut tx, org_id, &id, &ctx.actor, (CustodyAction::Acquired, &a.acquired_by, "")).await?;
        let text = format!("{} (SHA-256 {sha256}, {size} bytes)", a.name);
        crate::incidents::event(&mut tx, org_id, incident_id, &ctx.actor, "evidence", (None, None), &text).await?;
        let state = serde_json::json!({"incident_id": incident_id, "name": a.name, "sha256": sha256, "size": size});
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("incident.evidence.add", "incident_evidence", &id, Some(&state)),
        )
        .await?;
        let added = evidence_in(&mut tx, org_id, None, Some(&id)).await?.pop().ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(added)
    }

    pub async fn incident_evidence(&self, org_id: &str, id: &str) -> Result<IncidentEvidence> {
        let mut conn = self.pool.acquire().await?;
        evidence_in(&mut conn, org_id, None, Some(id)).await?.pop().ok_or(StoreError::NotFound)
    }

    /// Adds an entry to a file's chain of custody: a download or an integrity
    /// check by the server, or a hand-over to `holder` (which keeps the
    /// holder for the other actions). Audited like every change.
    pub async fn record_custody(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        evidence_id: &str,
        action: CustodyAction,
        (holder, note): (Option<&str>, &str),
    ) -> Result<IncidentEvidence> {
        let mut tx = self.write_tx().await?;
        let current = evidence_in(&mut tx, org_id, None, Some(evidence_id)).await?.pop().ok_or(StoreError::NotFound)?;
        let holder = match (action, holder) {
            (CustodyAction::HandedOver, Some(to)) => to.to_string(),
            (CustodyAction::HandedOver, None) => {
                return Err(rampart_domain::Invalid::new("to", "is required: name who now holds the evidence").into());
            }
            _ => current.holder().to_string(),
        };
        custody(&mut tx, org_id, evidence_id, &ctx.actor, (action, &holder, note)).await?;
        if matches!(action, CustodyAction::HandedOver | CustodyAction::Mismatch) {
            let text = match action {
                CustodyAction::HandedOver => format!("{} handed over to {holder}", current.name),
                _ => format!("{}: the stored file no longer matches its SHA-256", current.name),
            };
            crate::incidents::event(&mut tx, org_id, &current.incident_id, &ctx.actor, "evidence", (None, None), &text)
                .await?;
        }
        let state = serde_json::json!({"action": action, "holder": holder, "note": note});
        let audit_action = format!("incident.evidence.{action}");
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new(&audit_action, "incident_evidence", evidence_id, Some(&state)),
        )
        .await?;
        let updated = evidence_in(&mut tx, org_id, None, Some(evidence_id)).await?.pop().ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(updated)
    }
}
