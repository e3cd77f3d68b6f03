//! What an incident touches and leads to: affected assets, related
//! incidents, and lessons-learned follow-ups on risk scenarios and applied
//! controls, so that incidents feed risk management and assessments.

use rampart_domain::audit::AuditEvent;
use rampart_domain::{Invalid, new_id};
use sqlx::Row;

use crate::links::LinkTable;
use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

pub(crate) const ASSETS: LinkTable = LinkTable {
    table: "incident_assets",
    owner_table: "incidents",
    owner_col: "incident_id",
    other_table: "assets",
    other_col: "asset_id",
    object_type: "incident",
    added: "incident.asset.add",
    removed: "incident.asset.remove",
    duplicate: "this asset is already affected by the incident",
};

pub(crate) const RELATED: LinkTable = LinkTable {
    table: "incident_relations",
    owner_table: "incidents",
    owner_col: "incident_id",
    other_table: "incidents",
    other_col: "related_id",
    object_type: "incident",
    added: "incident.relate",
    removed: "incident.unrelate",
    duplicate: "the incidents are already related",
};

/// What an incident is linked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentLink {
    Asset,
    Related,
}

impl IncidentLink {
    pub fn parse(text: &str) -> Option<IncidentLink> {
        match text {
            "assets" => Some(IncidentLink::Asset),
            "related" => Some(IncidentLink::Related),
            _ => None,
        }
    }

    fn table(self) -> &'static LinkTable {
        match self {
            IncidentLink::Asset => &ASSETS,
            IncidentLink::Related => &RELATED,
        }
    }

    /// The row a link is stored as: a relation goes both ways, so its pair is
    /// kept in one order and either incident can add or remove it.
    fn row<'a>(self, incident_id: &'a str, other: &'a str) -> (&'a str, &'a str) {
        match self {
            IncidentLink::Related if other < incident_id => (other, incident_id),
            _ => (incident_id, other),
        }
    }
}

/// A lessons-learned follow-up: an action on a risk scenario or an applied control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub id: String,
    pub incident_id: String,
    pub incident_title: String,
    /// `risk` (re-evaluate a scenario) or `control` (one that failed or is missing).
    pub kind: String,
    pub target_id: String,
    /// The scenario's or control's name, `None` once it was deleted.
    pub target_name: Option<String>,
    pub action: String,
    pub done: bool,
    pub created_by: String,
    pub created_at: i64,
}

/// Named objects linked to an incident: (id, name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentLinks {
    pub assets: Vec<(String, String)>,
    pub related: Vec<(String, String)>,
    pub follow_ups: Vec<FollowUp>,
}

/// Candidates for an incident's links: (id, name) each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkChoices {
    pub assets: Vec<(String, String)>,
    pub incidents: Vec<(String, String)>,
    pub risks: Vec<(String, String)>,
    pub controls: Vec<(String, String)>,
}

const FOLLOWUP_SELECT: &str = "SELECT f.*, i.title AS incident_title, \
     CASE WHEN f.kind = 'risk' THEN (SELECT s.name FROM risk_scenarios s WHERE s.id = f.target_id AND s.org_id = f.org_id) \
          ELSE (SELECT c.name FROM applied_controls c WHERE c.id = f.target_id AND c.org_id = f.org_id) END AS target_name \
     FROM incident_followups f JOIN incidents i ON i.id = f.incident_id AND i.org_id = f.org_id WHERE f.org_id = $1";

fn followup_from(r: &sqlx::any::AnyRow) -> Result<FollowUp> {
    Ok(FollowUp {
        id: r.try_get("id")?,
        incident_id: r.try_get("incident_id")?,
        incident_title: r.try_get("incident_title")?,
        kind: r.try_get("kind")?,
        target_id: r.try_get("target_id")?,
        target_name: r.try_get("target_name")?,
        action: r.try_get("action")?,
        done: r.try_get::<i64, _>("done")? != 0,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    pub async fn link_incident(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        incident_id: &str,
        link: IncidentLink,
        other: &str,
    ) -> Result<()> {
        if link == IncidentLink::Related && incident_id == other {
            return Err(Invalid::new("related_id", "an incident cannot be related to itself").into());
        }
        let (owner, other) = link.row(incident_id, other);
        let mut tx = self.write_tx().await?;
        link.table().add(&mut tx, ctx, org_id, owner, other).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn unlink_incident(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        incident_id: &str,
        link: IncidentLink,
        other: &str,
    ) -> Result<()> {
        let (owner, other) = link.row(incident_id, other);
        let mut tx = self.write_tx().await?;
        link.table().remove(&mut tx, ctx, org_id, owner, other).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a follow-up action on a risk scenario or an applied control of the organisation.
    pub async fn add_follow_up(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        incident_id: &str,
        kind: &str,
        target_id: &str,
        action: &str,
    ) -> Result<FollowUp> {
        let action = rampart_domain::validate::optional_text("action", action, 4000)?;
        if action.is_empty() {
            return Err(Invalid::new("action", "say what to do").into());
        }
        let table = match kind {
            "risk" => "risk_scenarios",
            "control" => "applied_controls",
            _ => return Err(Invalid::new("kind", "must be risk or control").into()),
        };
        let mut tx = self.write_tx().await?;
        let found: i64 = sqlx::query_scalar(&format!(
            "SELECT (SELECT COUNT(*) FROM incidents WHERE org_id = $1 AND id = $2) + (SELECT COUNT(*) FROM {table} WHERE org_id = $1 AND id = $3)"
        ))
        .bind(org_id)
        .bind(incident_id)
        .bind(target_id)
        .fetch_one(&mut *tx)
        .await?;
        if found != 2 {
            return Err(StoreError::NotFound);
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO incident_followups (id, org_id, incident_id, kind, target_id, action, done, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(incident_id)
        .bind(kind)
        .bind(target_id)
        .bind(&action)
        .bind(&ctx.actor)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let state = serde_json::json!({"kind": kind, "target_id": target_id, "action": action});
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("incident.follow_up", "incident", incident_id, Some(&state)),
        )
        .await?;
        let row =
            sqlx::query(&format!("{FOLLOWUP_SELECT} AND f.id = $2")).bind(org_id).bind(&id).fetch_one(&mut *tx).await?;
        let made = followup_from(&row)?;
        tx.commit().await?;
        Ok(made)
    }

    pub async fn complete_follow_up(&self, ctx: &ChangeContext, org_id: &str, id: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE incident_followups SET done = 1 WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        crate::found(done)?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("incident.follow_up.done", "incident_follow_up", id, None))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The assets, related incidents and follow-ups of an incident.
    pub async fn incident_links(&self, org_id: &str, incident_id: &str) -> Result<IncidentLinks> {
        let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(incident_id)
            .fetch_one(&self.pool)
            .await?;
        if known == 0 {
            return Err(StoreError::NotFound);
        }
        let named = |sql: &'static str| {
            let (org, id) = (org_id.to_string(), incident_id.to_string());
            async move {
                let rows = sqlx::query(sql).bind(&org).bind(&id).fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| Ok((r.try_get::<String, _>("id")?, r.try_get::<String, _>("name")?)))
                    .collect::<Result<Vec<_>>>()
            }
        };
        let assets = named("SELECT a.id, a.name FROM incident_assets l JOIN assets a ON a.id = l.asset_id AND a.org_id = l.org_id WHERE l.org_id = $1 AND l.incident_id = $2 ORDER BY a.name").await?;
        let related = named(
            "SELECT i.id, i.title AS name FROM incident_relations l JOIN incidents i ON i.org_id = l.org_id \
             AND i.id = CASE WHEN l.incident_id = $2 THEN l.related_id ELSE l.incident_id END \
             WHERE l.org_id = $1 AND (l.incident_id = $2 OR l.related_id = $2) ORDER BY i.title",
        )
        .await?;
        let rows = sqlx::query(&format!("{FOLLOWUP_SELECT} AND f.incident_id = $2 ORDER BY f.created_at, f.id"))
            .bind(org_id)
            .bind(incident_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(IncidentLinks { assets, related, follow_ups: rows.iter().map(followup_from).collect::<Result<_>>()? })
    }

    /// What an incident can be linked to, for choosing on its page: (id, name)
    /// of the organisation's assets, risk scenarios and applied controls, the
    /// first `limit` of each by name, and its `limit` most recent other incidents.
    pub async fn incident_link_choices(&self, org_id: &str, incident_id: &str, limit: i64) -> Result<LinkChoices> {
        let named = |sql: String| {
            let (org, id) = (org_id.to_string(), incident_id.to_string());
            async move {
                let rows = sqlx::query(&sql).bind(&org).bind(&id).bind(limit).fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| Ok((r.try_get::<String, _>("id")?, r.try_get::<String, _>("name")?)))
                    .collect::<Result<Vec<_>>>()
            }
        };
        let of = |table: &str, name: &str| {
            format!(
                "SELECT id, {name} AS name FROM {table} WHERE org_id = $1 AND id <> $2 ORDER BY {name}, id LIMIT $3"
            )
        };
        // Incidents can be many: the most recent ones not merged away, read
        // along the time index rather than sorted by title.
        let incidents = "SELECT id, title AS name FROM incidents WHERE org_id = $1 AND id <> $2 AND merged_into IS NULL \
                         ORDER BY created_at DESC, id DESC LIMIT $3";
        Ok(LinkChoices {
            assets: named(of("assets", "name")).await?,
            incidents: named(incidents.to_string()).await?,
            risks: named(of("risk_scenarios", "name")).await?,
            controls: named(of("applied_controls", "name")).await?,
        })
    }

    /// The follow-ups that incidents gave a risk scenario or an applied control.
    pub async fn follow_ups_for(&self, org_id: &str, kind: &str, target_id: &str) -> Result<Vec<FollowUp>> {
        let rows = sqlx::query(&format!(
            "{FOLLOWUP_SELECT} AND f.kind = $2 AND f.target_id = $3 ORDER BY f.done, f.created_at"
        ))
        .bind(org_id)
        .bind(kind)
        .bind(target_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(followup_from).collect()
    }
}
