//! Quantification runs, stored with everything that reproduces them: the
//! model as run, the seed, the iterations and the engine version.

use rampart_domain::audit::AuditEvent;
use rampart_domain::new_id;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

/// A run to record; `scenario_id` is `None` for the portfolio.
#[derive(Debug, Clone, PartialEq)]
pub struct NewQuantRun {
    pub scenario_id: Option<String>,
    pub iterations: u64,
    pub seed: u64,
    pub mode: String,
    pub engine_version: String,
    pub model: serde_json::Value,
    pub result: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuantRun {
    pub id: String,
    pub scenario_id: Option<String>,
    pub iterations: u64,
    /// A decimal string: seeds are 64-bit unsigned, beyond JSON's safe integers.
    pub seed: String,
    pub mode: String,
    pub engine_version: String,
    pub model: serde_json::Value,
    pub result: serde_json::Value,
    pub created_by: String,
    pub created_at: i64,
}

fn json(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| StoreError::Io(e.to_string()))
}

fn from_row(r: &AnyRow) -> Result<QuantRun> {
    Ok(QuantRun {
        id: r.try_get("id")?,
        scenario_id: r.try_get("scenario_id")?,
        iterations: r.try_get::<i64, _>("iterations")? as u64,
        seed: r.try_get("seed")?,
        mode: r.try_get("mode")?,
        engine_version: r.try_get("engine_version")?,
        model: json(&r.try_get::<String, _>("model")?)?,
        result: json(&r.try_get::<String, _>("result")?)?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    pub async fn record_quant_run(&self, ctx: &ChangeContext, org_id: &str, run: NewQuantRun) -> Result<QuantRun> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        if let Some(scenario_id) = &run.scenario_id {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM risk_scenarios WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(scenario_id)
                .fetch_one(&mut *tx)
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO quant_runs (id, org_id, scenario_id, iterations, seed, mode, engine_version, model, result, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(run.scenario_id.as_deref())
        .bind(run.iterations as i64)
        .bind(run.seed.to_string())
        .bind(&run.mode)
        .bind(&run.engine_version)
        .bind(run.model.to_string())
        .bind(run.result.to_string())
        .bind(&ctx.actor)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let state = serde_json::json!({
            "run_id": id, "iterations": run.iterations, "seed": run.seed.to_string(),
            "mode": run.mode, "engine_version": run.engine_version,
        });
        let (object_type, object_id) = match &run.scenario_id {
            Some(s) => ("risk", s.as_str()),
            None => ("portfolio", org_id),
        };
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("quant.run", object_type, object_id, Some(&state))).await?;
        tx.commit().await?;
        Ok(QuantRun {
            id,
            scenario_id: run.scenario_id,
            iterations: run.iterations,
            seed: run.seed.to_string(),
            mode: run.mode,
            engine_version: run.engine_version,
            model: run.model,
            result: run.result,
            created_by: ctx.actor.clone(),
            created_at: now,
        })
    }

    /// The latest run of a scenario, or of the portfolio with `None`.
    pub async fn latest_quant_run(&self, org_id: &str, scenario_id: Option<&str>) -> Result<Option<QuantRun>> {
        let row = sqlx::query(
            "SELECT * FROM quant_runs WHERE org_id = $1 AND ((scenario_id IS NULL AND $2 IS NULL) OR scenario_id = $2) \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(org_id)
        .bind(scenario_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn quant_run(&self, org_id: &str, id: &str) -> Result<QuantRun> {
        let row = sqlx::query("SELECT * FROM quant_runs WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(from_row).transpose()?.ok_or(StoreError::NotFound)
    }

    /// Earlier runs of a scenario or the portfolio, newest first, without
    /// their results: (id, iterations, seed, engine version, by, at).
    pub async fn quant_run_history(
        &self,
        org_id: &str,
        scenario_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, u64, String, String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT id, iterations, seed, engine_version, created_by, created_at FROM quant_runs \
             WHERE org_id = $1 AND ((scenario_id IS NULL AND $2 IS NULL) OR scenario_id = $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(org_id)
        .bind(scenario_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get::<i64, _>("iterations")? as u64,
                    r.try_get("seed")?,
                    r.try_get("engine_version")?,
                    r.try_get("created_by")?,
                    r.try_get("created_at")?,
                ))
            })
            .collect()
    }
}
