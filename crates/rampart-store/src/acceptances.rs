//! Risk acceptances: submitted by an analyst, decided by the admin they name,
//! in force until they expire or are revoked.

use rampart_domain::Role;
use rampart_domain::audit::AuditEvent;
use rampart_domain::new_id;
use rampart_domain::risk::{AcceptanceRequest, AcceptanceState, AcceptanceTerm, Decision, acceptance_term};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskAcceptance {
    pub id: String,
    pub scenario_id: String,
    pub scenario_name: String,
    pub state: AcceptanceState,
    pub justification: String,
    pub approver_id: String,
    pub approver_email: String,
    pub submitted_by: String,
    pub submitted_at: i64,
    pub expires_at: i64,
    pub remind_days: u32,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
}

impl RiskAcceptance {
    /// For an accepted one: in force, expiring soon or expired.
    pub fn term(&self, now: i64) -> Option<AcceptanceTerm> {
        (self.state == AcceptanceState::Accepted).then(|| acceptance_term(self.expires_at, self.remind_days, now))
    }
}

/// Which acceptances to list across the organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptanceQueue {
    /// Submitted, waiting for their approver.
    AwaitingDecision,
    /// Accepted and within their reminder period, or past expiry.
    ExpiringOrExpired,
    /// Submitted or accepted (in force or not): the report's view.
    Open,
}

const SELECT: &str = "SELECT a.*, s.name AS scenario_name, u.email AS approver_email FROM risk_acceptances a \
     JOIN risk_scenarios s ON s.id = a.scenario_id JOIN users u ON u.id = a.approver_id";

fn from_row(r: &AnyRow) -> Result<RiskAcceptance> {
    Ok(RiskAcceptance {
        id: r.try_get("id")?,
        scenario_id: r.try_get("scenario_id")?,
        scenario_name: r.try_get("scenario_name")?,
        state: AcceptanceState::parse(&r.try_get::<String, _>("state")?)?,
        justification: r.try_get("justification")?,
        approver_id: r.try_get("approver_id")?,
        approver_email: r.try_get("approver_email")?,
        submitted_by: r.try_get("submitted_by")?,
        submitted_at: r.try_get("submitted_at")?,
        expires_at: r.try_get("expires_at")?,
        remind_days: r.try_get::<i64, _>("remind_days")? as u32,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        decision_note: r.try_get("decision_note")?,
    })
}

/// One acceptance, read on `conn` (a pooled connection or a transaction's).
async fn acceptance_in(conn: &mut sqlx::AnyConnection, org_id: &str, id: &str) -> Result<RiskAcceptance> {
    let row = sqlx::query(&format!("{SELECT} WHERE a.org_id = $1 AND a.id = $2"))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()?.ok_or(StoreError::NotFound)
}

impl Store {
    /// Submits a scenario's risk for acceptance by `request.approver_id`, who
    /// must be an admin of the organisation other than the submitter. A
    /// scenario has at most one acceptance submitted or in force.
    pub async fn submit_acceptance(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        scenario_id: &str,
        submitter_id: &str,
        request: AcceptanceRequest,
    ) -> Result<RiskAcceptance> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let scenarios: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM risk_scenarios WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(scenario_id)
            .fetch_one(&mut *tx)
            .await?;
        if scenarios == 0 {
            return Err(StoreError::NotFound);
        }
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
                .bind(org_id)
                .bind(&request.approver_id)
                .fetch_optional(&mut *tx)
                .await?;
        if role.as_deref() != Some(Role::Admin.as_str()) {
            return Err(rampart_domain::Invalid::new("approver_id", "must be an admin of the organisation").into());
        }
        if request.approver_id == submitter_id {
            return Err(rampart_domain::Invalid::new(
                "approver_id",
                "must be someone else: nobody approves their own acceptance",
            )
            .into());
        }
        let open: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM risk_acceptances WHERE org_id = $1 AND scenario_id = $2 \
             AND (state = 'submitted' OR (state = 'accepted' AND expires_at > $3))",
        )
        .bind(org_id)
        .bind(scenario_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        if open > 0 {
            return Err(StoreError::Conflict(
                "this scenario already has an acceptance submitted or in force; decide or revoke it first".into(),
            ));
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO risk_acceptances (id, org_id, scenario_id, state, justification, approver_id, submitted_by, \
             submitted_at, expires_at, remind_days) VALUES ($1, $2, $3, 'submitted', $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(scenario_id)
        .bind(&request.justification)
        .bind(&request.approver_id)
        .bind(&ctx.actor)
        .bind(now)
        .bind(request.expires_at)
        .bind(i64::from(request.remind_days))
        .execute(&mut *tx)
        .await?;
        let state = serde_json::json!({"acceptance_id": id, "request": request});
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("risk.acceptance.submit", "risk", scenario_id, Some(&state)),
        )
        .await?;
        let acceptance = acceptance_in(&mut tx, org_id, &id).await?;
        tx.commit().await?;
        Ok(acceptance)
    }

    /// Accepts, rejects or revokes. Only the named approver accepts or
    /// rejects; any admin (`may_revoke`) revokes. Illegal transitions are
    /// conflicts naming what is possible.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_acceptance(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        acceptance_id: &str,
        decider_id: &str,
        may_revoke: bool,
        decision: Decision,
        note: &str,
    ) -> Result<RiskAcceptance> {
        let note = note.trim();
        if note.chars().count() > rampart_domain::risk::MAX_JUSTIFICATION {
            return Err(rampart_domain::Invalid::new("note", "is too long").into());
        }
        let mut tx = self.write_tx().await?;
        let current = acceptance_in(&mut tx, org_id, acceptance_id).await?;
        let next = current.state.after(decision).map_err(StoreError::Conflict)?;
        let allowed = match decision {
            Decision::Accept | Decision::Reject => current.approver_id == decider_id,
            Decision::Revoke => may_revoke,
        };
        if !allowed {
            return Err(StoreError::Forbidden(match decision {
                Decision::Revoke => "only an admin may revoke an acceptance".into(),
                _ => format!("only the named approver ({}) may decide this acceptance", current.approver_email),
            }));
        }
        sqlx::query(
            "UPDATE risk_acceptances SET state = $1, decided_by = $2, decided_at = $3, decision_note = $4 \
             WHERE org_id = $5 AND id = $6",
        )
        .bind(next.as_str())
        .bind(&ctx.actor)
        .bind(now_ms())
        .bind(Some(note).filter(|n| !n.is_empty()))
        .bind(org_id)
        .bind(acceptance_id)
        .execute(&mut *tx)
        .await?;
        let state = serde_json::json!({"acceptance_id": acceptance_id, "state": next, "note": note});
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new(&format!("risk.acceptance.{decision}"), "risk", &current.scenario_id, Some(&state)),
        )
        .await?;
        let acceptance = acceptance_in(&mut tx, org_id, acceptance_id).await?;
        tx.commit().await?;
        Ok(acceptance)
    }

    pub async fn acceptance(&self, org_id: &str, id: &str) -> Result<RiskAcceptance> {
        acceptance_in(&mut *self.pool.acquire().await?, org_id, id).await
    }

    /// A scenario's acceptances, newest first (its whole history).
    pub async fn risk_acceptances(&self, org_id: &str, scenario_id: &str) -> Result<Vec<RiskAcceptance>> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE a.org_id = $1 AND a.scenario_id = $2 ORDER BY a.submitted_at DESC, a.id DESC"
        ))
        .bind(org_id)
        .bind(scenario_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Acceptances needing attention across the organisation (at most 500),
    /// soonest first.
    pub async fn acceptance_queue(&self, org_id: &str, queue: AcceptanceQueue) -> Result<Vec<RiskAcceptance>> {
        let rows = match queue {
            AcceptanceQueue::AwaitingDecision => {
                sqlx::query(&format!(
                    "{SELECT} WHERE a.org_id = $1 AND a.state = 'submitted' ORDER BY a.submitted_at LIMIT 500"
                ))
                .bind(org_id)
                .fetch_all(&self.pool)
                .await?
            }
            AcceptanceQueue::Open => sqlx::query(&format!(
                "{SELECT} WHERE a.org_id = $1 AND a.state IN ('submitted', 'accepted') ORDER BY a.expires_at LIMIT 500"
            ))
            .bind(org_id)
            .fetch_all(&self.pool)
            .await?,
            AcceptanceQueue::ExpiringOrExpired => {
                sqlx::query(&format!(
                    "{SELECT} WHERE a.org_id = $1 AND {} ORDER BY a.expires_at LIMIT 500",
                    acceptance_expiring_sql!("a.", "$2")
                ))
                .bind(org_id)
                .bind(now_ms())
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(from_row).collect()
    }
}
