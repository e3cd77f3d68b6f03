//! Merging two incidents that turn out to be one: the surviving incident
//! takes the other's timeline (each entry keeps where it came from),
//! observables, tasks, evidence, regimes, submissions, links and follow-ups,
//! and the earliest of their times, so that no reporting clock starts late.
//! The merged incident stays, pointing at the survivor, so that references
//! to it (a reporter's, an authority's) still lead somewhere.

use rampart_domain::audit::AuditEvent;
use sqlx::Row;

use crate::incidents::{event, incident_in};
use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

type Tx = sqlx::Transaction<'static, sqlx::Any>;

async fn exec(tx: &mut Tx, sql: &str, org_id: &str, into: &str, from: &str) -> Result<u64> {
    Ok(sqlx::query(sql).bind(org_id).bind(into).bind(from).execute(&mut **tx).await?.rows_affected())
}

/// The earlier of two optional times.
fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Store {
    /// Merges incident `from` into incident `into` in one transaction.
    pub async fn merge_incidents(&self, ctx: &ChangeContext, org_id: &str, into: &str, from: &str) -> Result<()> {
        if into == from {
            return Err(rampart_domain::Invalid::new("from", "an incident cannot be merged into itself").into());
        }
        let mut tx = self.write_tx().await?;
        let target = incident_in(&mut tx, org_id, into).await?;
        let source = incident_in(&mut tx, org_id, from).await?;
        for (which, i) in [("this incident", &target), ("the other incident", &source)] {
            if i.merged_into.is_some() {
                return Err(StoreError::Conflict(format!("{which} was already merged into another")));
            }
        }
        // $1 organisation, $2 the survivor, $3 the merged one.
        let entries = sqlx::query(
            "UPDATE incident_events SET incident_id = $2, origin = COALESCE(origin, $4) WHERE org_id = $1 AND incident_id = $3",
        )
        .bind(org_id)
        .bind(into)
        .bind(from)
        .bind(&source.fields.title)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // An observable both have stays once, with the flags of either.
        exec(
            &mut tx,
            "UPDATE observables SET \
             ioc = CASE WHEN EXISTS (SELECT 1 FROM observables s WHERE s.org_id = $1 AND s.incident_id = $3 AND s.kind = observables.kind AND s.value = observables.value AND s.ioc = 1) THEN 1 ELSE ioc END, \
             sighted = CASE WHEN EXISTS (SELECT 1 FROM observables s WHERE s.org_id = $1 AND s.incident_id = $3 AND s.kind = observables.kind AND s.value = observables.value AND s.sighted = 1) THEN 1 ELSE sighted END \
             WHERE org_id = $1 AND incident_id = $2",
            org_id,
            into,
            from,
        )
        .await?;
        // The survivor's copy of such an observable has the same sightings.
        exec(
            &mut tx,
            "DELETE FROM sightings WHERE org_id = $1 AND incident_id = $3 AND observable_id IN \
             (SELECT o.id FROM observables o WHERE o.org_id = $1 AND o.incident_id = $3 AND EXISTS \
              (SELECT 1 FROM observables t WHERE t.org_id = $1 AND t.incident_id = $2 AND t.kind = o.kind AND t.value = o.value))",
            org_id,
            into,
            from,
        )
        .await?;
        exec(
            &mut tx,
            "UPDATE sightings SET incident_id = $2 WHERE org_id = $1 AND incident_id = $3",
            org_id,
            into,
            from,
        )
        .await?;
        exec(
            &mut tx,
            "DELETE FROM observables WHERE org_id = $1 AND incident_id = $3 AND EXISTS \
             (SELECT 1 FROM observables t WHERE t.org_id = $1 AND t.incident_id = $2 AND t.kind = observables.kind AND t.value = observables.value)",
            org_id,
            into,
            from,
        )
        .await?;
        let mut moved = Vec::new();
        for (table, what) in [
            ("observables", "observables"),
            ("incident_tasks", "tasks"),
            ("incident_evidence", "evidence files"),
            ("incident_followups", "follow-ups"),
        ] {
            let sql = format!("UPDATE {table} SET incident_id = $2 WHERE org_id = $1 AND incident_id = $3");
            let n = exec(&mut tx, &sql, org_id, into, from).await?;
            if n > 0 {
                moved.push(format!("{n} {what}"));
            }
        }
        // Rows keyed by incident: the survivor keeps its own where both have one.
        for (table, key) in [
            ("incident_regimes", &["regime"][..]),
            ("incident_submissions", &["regime", "obligation"][..]),
            ("incident_assets", &["asset_id"][..]),
        ] {
            let same = key.iter().map(|c| format!("t.{c} = {table}.{c}")).collect::<Vec<_>>().join(" AND ");
            let sql = format!(
                "UPDATE {table} SET incident_id = $2 WHERE org_id = $1 AND incident_id = $3 AND NOT EXISTS \
                 (SELECT 1 FROM {table} t WHERE t.org_id = $1 AND t.incident_id = $2 AND {same})"
            );
            exec(&mut tx, &sql, org_id, into, from).await?;
            sqlx::query(&format!("DELETE FROM {table} WHERE org_id = $1 AND incident_id = $2"))
                .bind(org_id)
                .bind(from)
                .execute(&mut *tx)
                .await?;
        }
        relink_related(&mut tx, org_id, into, from).await?;

        let (t, s) = (&target.fields, &source.fields);
        let aware_at = t.aware_at.min(s.aware_at);
        let now = now_ms();
        sqlx::query(
            "UPDATE incidents SET aware_at = $3, occurred_at = $4, detected_at = $5, classified_at = $6, severity = $7, updated_at = $8 \
             WHERE org_id = $1 AND id = $2",
        )
        .bind(org_id)
        .bind(into)
        .bind(aware_at)
        .bind(earliest(t.occurred_at, s.occurred_at))
        .bind(earliest(t.detected_at, s.detected_at))
        .bind(earliest(target.classified_at, source.classified_at))
        .bind(i64::from(t.severity.max(s.severity)))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE incidents SET merged_into = $2, updated_at = $3 WHERE org_id = $1 AND id = $4")
            .bind(org_id)
            .bind(into)
            .bind(now)
            .bind(from)
            .execute(&mut *tx)
            .await?;
        let mut text = format!("merged in \"{}\" with {entries} timeline entries", s.title);
        for m in &moved {
            text.push_str(", ");
            text.push_str(m);
        }
        if aware_at < t.aware_at {
            text.push_str("; awareness moved to the other's, earlier, so the clocks run from it");
        }
        event(&mut tx, org_id, into, &ctx.actor, "merged", (None, None), &text).await?;
        event(&mut tx, org_id, from, &ctx.actor, "merged", (None, None), &format!("merged into \"{}\"", t.title))
            .await?;
        let state = serde_json::json!({"into": into, "from": from});
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("incident.merge", "incident", into, Some(&state))).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The merged incident's relations become the survivor's (stored once per
/// pair, the smaller id first); a relation between the two goes away.
async fn relink_related(tx: &mut Tx, org_id: &str, into: &str, from: &str) -> Result<()> {
    let rows = sqlx::query(
        "SELECT incident_id, related_id FROM incident_relations WHERE org_id = $1 AND (incident_id = $2 OR related_id = $2)",
    )
    .bind(org_id)
    .bind(from)
    .fetch_all(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM incident_relations WHERE org_id = $1 AND (incident_id = $2 OR related_id = $2)")
        .bind(org_id)
        .bind(from)
        .execute(&mut **tx)
        .await?;
    for r in &rows {
        let (a, b): (String, String) = (r.try_get("incident_id")?, r.try_get("related_id")?);
        let other = if a == from { b } else { a };
        if other == into {
            continue;
        }
        let (low, high) = if other.as_str() < into { (other.as_str(), into) } else { (into, other.as_str()) };
        let exists: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM incident_relations WHERE incident_id = $1 AND related_id = $2")
                .bind(low)
                .bind(high)
                .fetch_one(&mut **tx)
                .await?;
        if exists == 0 {
            sqlx::query("INSERT INTO incident_relations (org_id, incident_id, related_id) VALUES ($1, $2, $3)")
                .bind(org_id)
                .bind(low)
                .bind(high)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}
