//! Risk scenarios on the organisation's risk matrix: ratings, treatment,
//! links to assets, vulnerabilities and controls, reviews, and the settings
//! (matrix and risk tolerance) they are rated against.

use rampart_domain::audit::AuditEvent;
use rampart_domain::risk::{RiskFields, Treatment};
use rampart_domain::risk_matrix::{Rating, RiskMatrix};
use rampart_domain::{Invalid, Page, PageRequest, new_id};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::links::{LinkTable, purge};
use crate::{AssetLink, ChangeContext, ControlLink, Result, Store, StoreError, audit, now_ms};

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The organisation's risk matrix and risk tolerance (appetite).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RiskSettings {
    pub matrix: RiskMatrix,
    /// Points of the tolerance curve: (annual loss, highest acceptable
    /// probability of exceeding it).
    #[serde(default)]
    pub tolerance: Vec<[f64; 2]>,
}

impl RiskSettings {
    pub fn validate(&self) -> Result<(), Invalid> {
        self.matrix.validate()?;
        if self.tolerance.len() > 20 {
            return Err(Invalid::new("tolerance", "give at most 20 points"));
        }
        for (i, [loss, p]) in self.tolerance.iter().enumerate() {
            if !(loss.is_finite() && *loss >= 0.0 && (0.0..=1.0).contains(p)) {
                return Err(Invalid::new(
                    format!("tolerance[{i}]"),
                    "each point is [annual loss ≥ 0, probability of exceeding it in [0, 1]]",
                ));
            }
        }
        Ok(())
    }
}

/// The level each rating maps to on the matrix (index into its levels).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Levels {
    pub inherent: Option<u8>,
    pub current: Option<u8>,
    pub residual: Option<u8>,
    pub target: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskScenario {
    pub id: String,
    #[serde(flatten)]
    pub fields: RiskFields,
    pub levels: Levels,
    pub last_reviewed_at: i64,
    /// The Open FAIR estimates (a scenario of a quantification model), if any.
    pub fair_model: Option<serde_json::Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl RiskScenario {
    /// When the next review is due, if there is a cadence.
    pub fn next_review_at(&self) -> Option<i64> {
        rampart_domain::risk::next_review_ms(self.last_reviewed_at, self.fields.review_every_days)
    }

    pub fn review_overdue(&self, now: i64) -> bool {
        self.next_review_at().is_some_and(|due| now > due)
    }
}

/// Narrows a scenario listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RiskFilter {
    pub treatment: Option<Treatment>,
    /// Index of the current level on the matrix.
    pub current_level: Option<u8>,
    /// Only scenarios whose review is overdue.
    pub overdue: bool,
}

/// A vulnerability at the end of a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VulnerabilityLink {
    pub id: String,
    pub title: String,
    pub severity: Option<String>,
}

/// A scenario with a FAIR model, as the portfolio run needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct FairModel {
    pub scenario_id: String,
    pub name: String,
    pub model: serde_json::Value,
}

/// How many scenarios sit in each cell, for the heat map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HeatCell {
    pub likelihood: u8,
    pub impact: u8,
    pub count: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HeatMap {
    pub current: Vec<HeatCell>,
    pub residual: Vec<HeatCell>,
}

const KINDS: [&str; 4] = ["inherent", "current", "residual", "target"];

fn rating_from_row(r: &AnyRow, kind: &str) -> Result<Option<Rating>> {
    let l: Option<i64> = r.try_get(format!("{kind}_likelihood").as_str())?;
    let i: Option<i64> = r.try_get(format!("{kind}_impact").as_str())?;
    Ok(match (l, i) {
        (Some(l), Some(i)) => Some(Rating { likelihood: l as u8, impact: i as u8 }),
        _ => None,
    })
}

fn from_row(r: &AnyRow) -> Result<RiskScenario> {
    let level = |kind: &str| -> Result<Option<u8>> {
        Ok(r.try_get::<Option<i64>, _>(format!("{kind}_level").as_str())?.map(|l| l as u8))
    };
    let model: Option<String> = r.try_get("fair_model")?;
    Ok(RiskScenario {
        id: r.try_get("id")?,
        fields: RiskFields {
            name: r.try_get("name")?,
            description: r.try_get("description")?,
            owner: r.try_get("owner")?,
            threat_id: r.try_get("threat_id")?,
            ratings: rampart_domain::risk::Ratings {
                inherent: rating_from_row(r, "inherent")?,
                current: rating_from_row(r, "current")?,
                residual: rating_from_row(r, "residual")?,
                target: rating_from_row(r, "target")?,
            },
            treatment: Treatment::parse(&r.try_get::<String, _>("treatment")?)?,
            review_every_days: r.try_get::<Option<i64>, _>("review_every_days")?.map(|d| d as u32),
        },
        levels: Levels {
            inherent: level("inherent")?,
            current: level("current")?,
            residual: level("residual")?,
            target: level("target")?,
        },
        last_reviewed_at: r.try_get("last_reviewed_at")?,
        fair_model: model.map(|m| serde_json::from_str(&m)).transpose().map_err(|e| StoreError::Io(e.to_string()))?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Binds the editable fields as $1 … $18 in the order INSERT and UPDATE use:
/// name, description, owner, threat, then likelihood, impact and level of
/// each rating, treatment, review cadence.
fn bind_fields<'q>(mut query: crate::AnyQuery<'q>, f: &'q RiskFields, matrix: &RiskMatrix) -> crate::AnyQuery<'q> {
    query = query.bind(&f.name).bind(&f.description).bind(&f.owner).bind(f.threat_id.as_deref());
    for (_, rating) in f.ratings.named() {
        query = query
            .bind(rating.map(|r| i64::from(r.likelihood)))
            .bind(rating.map(|r| i64::from(r.impact)))
            .bind(rating.map(|r| i64::from(matrix.level_of(r))));
    }
    query.bind(f.treatment.as_str()).bind(f.review_every_days.map(i64::from))
}

const FIELD_COLUMNS: &str = "name, description, owner, threat_id, inherent_likelihood, inherent_impact, inherent_level, \
     current_likelihood, current_impact, current_level, residual_likelihood, residual_impact, residual_level, \
     target_likelihood, target_impact, target_level, treatment, review_every_days";

fn state(f: &RiskFields) -> serde_json::Value {
    serde_json::to_value(f).unwrap_or_default()
}

const ASSETS: LinkTable = LinkTable {
    table: "risk_scenario_assets",
    owner_table: "risk_scenarios",
    owner_col: "scenario_id",
    other_table: "assets",
    other_col: "asset_id",
    object_type: "risk",
    added: "risk.asset.add",
    removed: "risk.asset.remove",
    duplicate: "this asset is already part of the scenario",
};

const VULNERABILITIES: LinkTable = LinkTable {
    table: "risk_scenario_vulnerabilities",
    owner_table: "risk_scenarios",
    owner_col: "scenario_id",
    other_table: "vulnerabilities",
    other_col: "vulnerability_id",
    object_type: "risk",
    added: "risk.vulnerability.add",
    removed: "risk.vulnerability.remove",
    duplicate: "this vulnerability is already part of the scenario",
};

const CONTROLS: LinkTable = LinkTable {
    table: "risk_scenario_controls",
    owner_table: "risk_scenarios",
    owner_col: "scenario_id",
    other_table: "applied_controls",
    other_col: "control_id",
    object_type: "risk",
    added: "risk.control.add",
    removed: "risk.control.remove",
    duplicate: "this control already treats the scenario",
};

/// What a scenario is linked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskLink {
    Asset,
    Vulnerability,
    Control,
}

impl RiskLink {
    fn table(self) -> &'static LinkTable {
        match self {
            RiskLink::Asset => &ASSETS,
            RiskLink::Vulnerability => &VULNERABILITIES,
            RiskLink::Control => &CONTROLS,
        }
    }
}

/// The settings, read on `conn` (a pooled connection or a transaction's).
async fn settings_in(conn: &mut sqlx::AnyConnection, org_id: &str) -> Result<RiskSettings> {
    let row = sqlx::query("SELECT matrix, tolerance FROM risk_settings WHERE org_id = $1")
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?;
    settings_from(row)
}

fn settings_from(row: Option<AnyRow>) -> Result<RiskSettings> {
    let Some(row) = row else { return Ok(RiskSettings::default()) };
    let parse = |col: &str| -> Result<serde_json::Value> {
        serde_json::from_str(&row.try_get::<String, _>(col)?).map_err(|e| StoreError::Io(e.to_string()))
    };
    Ok(RiskSettings {
        matrix: serde_json::from_value(parse("matrix")?).map_err(|e| StoreError::Io(e.to_string()))?,
        tolerance: serde_json::from_value(parse("tolerance")?).map_err(|e| StoreError::Io(e.to_string()))?,
    })
}

/// Checks the threat belongs to the organisation.
async fn check_threat(tx: &mut Tx, org_id: &str, threat_id: Option<&str>) -> Result<()> {
    let Some(threat_id) = threat_id else { return Ok(()) };
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM threats WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(threat_id)
        .fetch_one(&mut **tx)
        .await?;
    if n == 0 {
        return Err(Invalid::new("threat_id", "is not a threat of this organisation's catalog").into());
    }
    Ok(())
}

/// One scenario, read on `conn` (a pooled connection or a transaction's).
async fn scenario_in(conn: &mut sqlx::AnyConnection, org_id: &str, id: &str) -> Result<RiskScenario> {
    let row = sqlx::query("SELECT * FROM risk_scenarios WHERE id = $1 AND org_id = $2")
        .bind(id)
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()?.ok_or(StoreError::NotFound)
}

impl Store {
    /// The organisation's matrix and tolerance (the built-in defaults until changed).
    pub async fn risk_settings(&self, org_id: &str) -> Result<RiskSettings> {
        settings_in(&mut *self.pool.acquire().await?, org_id).await
    }

    /// Replaces the matrix and tolerance and re-levels every scenario. A matrix
    /// too small for ratings already given is refused: re-rate those first.
    pub async fn set_risk_settings(&self, ctx: &ChangeContext, org_id: &str, settings: &RiskSettings) -> Result<()> {
        settings.validate()?;
        let (side_l, side_i) = settings.matrix.side();
        let mut tx = self.write_tx().await?;
        let mut off = 0i64;
        for kind in KINDS {
            off += sqlx::query_scalar::<_, i64>(&format!(
                "SELECT COUNT(*) FROM risk_scenarios WHERE org_id = $1 AND ({kind}_likelihood > $2 OR {kind}_impact > $3)"
            ))
            .bind(org_id)
            .bind(i64::from(side_l))
            .bind(i64::from(side_i))
            .fetch_one(&mut *tx)
            .await?;
        }
        if off > 0 {
            return Err(StoreError::Conflict(format!(
                "{off} rating(s) of existing scenarios lie outside a {side_l}×{side_i} matrix; re-rate those scenarios first"
            )));
        }
        let matrix = serde_json::to_string(&settings.matrix).map_err(|e| StoreError::Io(e.to_string()))?;
        let tolerance = serde_json::to_string(&settings.tolerance).map_err(|e| StoreError::Io(e.to_string()))?;
        sqlx::query(
            "INSERT INTO risk_settings (org_id, matrix, tolerance, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (org_id) DO UPDATE SET matrix = $2, tolerance = $3, updated_at = $4",
        )
        .bind(org_id)
        .bind(&matrix)
        .bind(&tolerance)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        // One UPDATE per kind of rating, the level as a CASE over the grid
        // (at most 25 cells; the numbers come from the validated matrix).
        let mut cases = String::from("CASE");
        for (l, row) in settings.matrix.grid.iter().enumerate() {
            for (i, level) in row.iter().enumerate() {
                cases.push_str(&format!(
                    " WHEN {{k}}_likelihood = {} AND {{k}}_impact = {} THEN {level}",
                    l + 1,
                    i + 1
                ));
            }
        }
        cases.push_str(" END");
        for kind in KINDS {
            sqlx::query(&format!(
                "UPDATE risk_scenarios SET {kind}_level = {} WHERE org_id = $1",
                cases.replace("{k}", kind)
            ))
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        }
        let state = serde_json::to_value(settings).unwrap_or_default();
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("risk.settings", "risk_settings", org_id, Some(&state)))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn create_risk(&self, ctx: &ChangeContext, org_id: &str, fields: RiskFields) -> Result<RiskScenario> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let matrix = settings_in(&mut tx, org_id).await?.matrix;
        fields.ratings.check(&matrix)?;
        check_threat(&mut tx, org_id, fields.threat_id.as_deref()).await?;
        let id = new_id();
        bind_fields(
            sqlx::query(&format!(
                "INSERT INTO risk_scenarios ({FIELD_COLUMNS}, id, org_id, last_reviewed_at, created_at, updated_at) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21, $21)"
            )),
            &fields,
            &matrix,
        )
        .bind(&id)
        .bind(org_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("risk.create", "risk", &id, Some(&state(&fields)))).await?;
        let scenario = scenario_in(&mut tx, org_id, &id).await?;
        tx.commit().await?;
        Ok(scenario)
    }

    pub async fn update_risk(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        id: &str,
        fields: RiskFields,
    ) -> Result<RiskScenario> {
        let mut tx = self.write_tx().await?;
        let matrix = settings_in(&mut tx, org_id).await?.matrix;
        fields.ratings.check(&matrix)?;
        check_threat(&mut tx, org_id, fields.threat_id.as_deref()).await?;
        let done = bind_fields(
            sqlx::query(
                "UPDATE risk_scenarios SET name = $1, description = $2, owner = $3, threat_id = $4, \
                 inherent_likelihood = $5, inherent_impact = $6, inherent_level = $7, \
                 current_likelihood = $8, current_impact = $9, current_level = $10, \
                 residual_likelihood = $11, residual_impact = $12, residual_level = $13, \
                 target_likelihood = $14, target_impact = $15, target_level = $16, \
                 treatment = $17, review_every_days = $18, updated_at = $19 WHERE id = $20 AND org_id = $21",
            ),
            &fields,
            &matrix,
        )
        .bind(now_ms())
        .bind(id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        crate::found(done)?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("risk.update", "risk", id, Some(&state(&fields)))).await?;
        let scenario = scenario_in(&mut tx, org_id, id).await?;
        tx.commit().await?;
        Ok(scenario)
    }

    /// Deletes a scenario with its links, acceptances and quantification runs.
    pub async fn delete_risk(&self, ctx: &ChangeContext, org_id: &str, id: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        for table in [
            "risk_scenario_assets",
            "risk_scenario_vulnerabilities",
            "risk_scenario_controls",
            "risk_acceptances",
            "quant_runs",
        ] {
            purge(&mut tx, table, "scenario_id", org_id, id).await?;
        }
        let done = sqlx::query("DELETE FROM risk_scenarios WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        crate::found(done)?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("risk.delete", "risk", id, None)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn risk(&self, org_id: &str, id: &str) -> Result<RiskScenario> {
        scenario_in(&mut *self.pool.acquire().await?, org_id, id).await
    }

    /// The organisation's scenarios, newest first.
    pub async fn list_risks(
        &self,
        org_id: &str,
        filter: &RiskFilter,
        page: &PageRequest,
    ) -> Result<Page<RiskScenario>> {
        let rows = sqlx::query(concat!(
            "SELECT * FROM risk_scenarios WHERE org_id = $1 AND id < $2 AND ($3 IS NULL OR treatment = $3) \
             AND ($4 IS NULL OR current_level = $4) AND ($5 = 0 OR ",
            review_overdue_sql!("$6"),
            ") ORDER BY id DESC LIMIT $7",
        ))
        .bind(org_id)
        .bind(page.after.as_deref().unwrap_or("~"))
        .bind(filter.treatment.map(|t| t.as_str()))
        .bind(filter.current_level.map(i64::from))
        .bind(i64::from(filter.overdue))
        .bind(now_ms())
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page.limit, |s| s.id.clone()))
    }

    /// Records that the scenario was reviewed now.
    pub async fn review_risk(&self, ctx: &ChangeContext, org_id: &str, id: &str) -> Result<RiskScenario> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE risk_scenarios SET last_reviewed_at = $1 WHERE id = $2 AND org_id = $3")
            .bind(now)
            .bind(id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        crate::found(done)?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("risk.review", "risk", id, None)).await?;
        let scenario = scenario_in(&mut tx, org_id, id).await?;
        tx.commit().await?;
        Ok(scenario)
    }

    /// Sets (or with `None` removes) the scenario's Open FAIR estimates. The
    /// caller has checked the model with the quantification engine.
    pub async fn set_fair_model(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        id: &str,
        model: Option<&serde_json::Value>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let done =
            sqlx::query("UPDATE risk_scenarios SET fair_model = $1, updated_at = $2 WHERE id = $3 AND org_id = $4")
                .bind(model.map(|m| m.to_string()))
                .bind(now_ms())
                .bind(id)
                .bind(org_id)
                .execute(&mut *tx)
                .await?;
        crate::found(done)?;
        let action = if model.is_some() { "risk.fair.set" } else { "risk.fair.remove" };
        audit::append(&mut tx, org_id, ctx, AuditEvent::new(action, "risk", id, model)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every scenario with a FAIR model, by name (the portfolio).
    pub async fn fair_models(&self, org_id: &str) -> Result<Vec<FairModel>> {
        let rows = sqlx::query(
            "SELECT id, name, fair_model FROM risk_scenarios WHERE org_id = $1 AND fair_model IS NOT NULL ORDER BY name, id",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FairModel {
                    scenario_id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    model: serde_json::from_str(&r.try_get::<String, _>("fair_model")?)
                        .map_err(|e| StoreError::Io(e.to_string()))?,
                })
            })
            .collect()
    }

    pub async fn link_risk(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        scenario_id: &str,
        link: RiskLink,
        other_id: &str,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        link.table().add(&mut tx, ctx, org_id, scenario_id, other_id).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn unlink_risk(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        scenario_id: &str,
        link: RiskLink,
        other_id: &str,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        link.table().remove(&mut tx, ctx, org_id, scenario_id, other_id).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn risk_assets(&self, org_id: &str, scenario_id: &str) -> Result<Vec<AssetLink>> {
        let rows = sqlx::query(
            "SELECT a.id, a.name, a.kind FROM risk_scenario_assets l JOIN assets a ON a.id = l.asset_id \
             WHERE l.org_id = $1 AND l.scenario_id = $2 ORDER BY a.name",
        )
        .bind(org_id)
        .bind(scenario_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(crate::assets::link_from_row).collect()
    }

    pub async fn risk_vulnerabilities(&self, org_id: &str, scenario_id: &str) -> Result<Vec<VulnerabilityLink>> {
        let rows = sqlx::query(
            "SELECT v.id, v.title, v.severity FROM risk_scenario_vulnerabilities l JOIN vulnerabilities v ON v.id = l.vulnerability_id \
             WHERE l.org_id = $1 AND l.scenario_id = $2 ORDER BY v.title",
        )
        .bind(org_id)
        .bind(scenario_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(VulnerabilityLink {
                    id: r.try_get("id")?,
                    title: r.try_get("title")?,
                    severity: r.try_get("severity")?,
                })
            })
            .collect()
    }

    pub async fn risk_controls(&self, org_id: &str, scenario_id: &str) -> Result<Vec<ControlLink>> {
        let rows = sqlx::query(
            "SELECT c.id, c.name, c.status FROM risk_scenario_controls l JOIN applied_controls c ON c.id = l.control_id \
             WHERE l.org_id = $1 AND l.scenario_id = $2 ORDER BY c.name",
        )
        .bind(org_id)
        .bind(scenario_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(crate::controls::link_from_row).collect()
    }

    /// (scenario id, control name) for every control treating a scenario of
    /// the organisation, in one query (for the report).
    pub async fn risk_control_names(&self, org_id: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT l.scenario_id, c.name FROM risk_scenario_controls l JOIN applied_controls c ON c.id = l.control_id \
             WHERE l.org_id = $1 ORDER BY c.name",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("scenario_id")?, r.try_get("name")?))).collect()
    }

    /// How many scenarios sit in each cell of the matrix, current and residual.
    pub async fn risk_heat_map(&self, org_id: &str) -> Result<HeatMap> {
        let mut map = HeatMap::default();
        for (kind, cells) in [("current", &mut map.current), ("residual", &mut map.residual)] {
            let rows = sqlx::query(&format!(
                "SELECT {kind}_likelihood AS l, {kind}_impact AS i, COUNT(*) AS n FROM risk_scenarios \
                 WHERE org_id = $1 AND {kind}_likelihood IS NOT NULL GROUP BY {kind}_likelihood, {kind}_impact"
            ))
            .bind(org_id)
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                cells.push(HeatCell {
                    likelihood: r.try_get::<i64, _>("l")? as u8,
                    impact: r.try_get::<i64, _>("i")? as u8,
                    count: r.try_get("n")?,
                });
            }
        }
        Ok(map)
    }
}
