//! Mapping sets loaded by an organisation, and the results they let one
//! assessment lend to the requirements of other frameworks.

use std::collections::HashMap;

use rampart_domain::assessment::ResultKind;
use rampart_domain::audit::AuditEvent;
use rampart_domain::inference::{carried, preferred};
use rampart_domain::new_id;
use rampart_frameworks::{MappingSet, Relationship};
use serde::Serialize;
use sqlx::Row;

use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

/// A loaded mapping set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappingSetRow {
    pub id: String,
    pub urn: String,
    pub version: u32,
    pub name: String,
    pub description: String,
    pub source_urn: String,
    pub target_urn: String,
    /// `built-in` or `yaml`.
    pub source: String,
    pub mappings: i64,
}

/// A result a requirement takes from an answer in another framework's
/// assessment, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inferred {
    pub result: ResultKind,
    pub from_assessment_id: String,
    pub from_assessment: String,
    pub from_framework: String,
    pub from_ref_id: String,
    /// Read from the answered requirement to this one.
    pub relationship: Relationship,
    pub strength: u8,
}

const SET_SELECT: &str = "SELECT s.*, (SELECT COUNT(*) FROM requirement_mappings m WHERE m.set_id = s.id) AS mapping_count \
                          FROM mapping_sets s WHERE s.org_id = $1";

fn set_from_row(r: &sqlx::any::AnyRow) -> Result<MappingSetRow> {
    Ok(MappingSetRow {
        id: r.try_get("id")?,
        urn: r.try_get("urn")?,
        version: u32::try_from(r.try_get::<i64, _>("version")?).unwrap_or(0),
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        source_urn: r.try_get("source_urn")?,
        target_urn: r.try_get("target_urn")?,
        source: r.try_get("source")?,
        mappings: r.try_get("mapping_count")?,
    })
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The ref ids of a loaded framework, or an error naming what to load first.
async fn refs_of(tx: &mut Tx, org_id: &str, urn: &str, field: &str) -> Result<std::collections::HashSet<String>> {
    let id: Option<String> = sqlx::query_scalar("SELECT id FROM frameworks WHERE org_id = $1 AND urn = $2")
        .bind(org_id)
        .bind(urn)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(id) = id else {
        return Err(rampart_domain::Invalid::new(
            field,
            format!("`{urn}` is not loaded in this organisation: load that framework first"),
        )
        .into());
    };
    let refs: Vec<String> =
        sqlx::query_scalar("SELECT ref_id FROM requirement_nodes WHERE framework_id = $1 AND org_id = $2")
            .bind(&id)
            .bind(org_id)
            .fetch_all(&mut **tx)
            .await?;
    Ok(refs.into_iter().collect())
}

impl Store {
    /// Loads a mapping set between two loaded frameworks, or replaces the
    /// loaded one of the same URN with this higher version. Every ref id must
    /// name a requirement of its framework.
    pub async fn import_mapping_set(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        set: &MappingSet,
        source: &str,
    ) -> Result<MappingSetRow> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let from = refs_of(&mut tx, org_id, &set.source, "source").await?;
        let to = refs_of(&mut tx, org_id, &set.target, "target").await?;
        for (i, m) in set.mappings.iter().enumerate() {
            for (side, refs, r, urn) in
                [("source", &from, &m.source, &set.source), ("target", &to, &m.target, &set.target)]
            {
                if !refs.contains(r) {
                    return Err(rampart_domain::Invalid::new(
                        format!("mappings[{i}].{side}"),
                        format!("`{r}` is not a requirement of {urn}"),
                    )
                    .into());
                }
            }
        }
        let existing: Option<(String, i64)> =
            sqlx::query_as("SELECT id, version FROM mapping_sets WHERE org_id = $1 AND urn = $2")
                .bind(org_id)
                .bind(&set.urn)
                .fetch_optional(&mut *tx)
                .await?;
        let id = match existing {
            Some((_, loaded)) if i64::from(set.version) <= loaded => {
                return Err(StoreError::Conflict(format!(
                    "{} version {} is not newer than the loaded version {loaded}: nothing was changed",
                    set.urn, set.version
                )));
            }
            Some((id, _)) => {
                sqlx::query("DELETE FROM requirement_mappings WHERE set_id = $1 AND org_id = $2")
                    .bind(&id)
                    .bind(org_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE mapping_sets SET version = $1, name = $2, description = $3, source = $4, updated_at = $5 WHERE id = $6 AND org_id = $7")
                    .bind(i64::from(set.version))
                    .bind(&set.name)
                    .bind(&set.description)
                    .bind(source)
                    .bind(now)
                    .bind(&id)
                    .bind(org_id)
                    .execute(&mut *tx)
                    .await?;
                id
            }
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO mapping_sets (id, org_id, urn, version, name, description, source_urn, target_urn, source, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
                )
                .bind(&id)
                .bind(org_id)
                .bind(&set.urn)
                .bind(i64::from(set.version))
                .bind(&set.name)
                .bind(&set.description)
                .bind(&set.source)
                .bind(&set.target)
                .bind(source)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        for batch in set.mappings.chunks(500) {
            let cells: Vec<String> = (0..batch.len())
                .map(|i| {
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${})",
                        i * 6 + 1,
                        i * 6 + 2,
                        i * 6 + 3,
                        i * 6 + 4,
                        i * 6 + 5,
                        i * 6 + 6
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO requirement_mappings (org_id, set_id, source_ref, target_ref, relationship, strength) VALUES {}",
                cells.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for m in batch {
                q = q
                    .bind(org_id)
                    .bind(&id)
                    .bind(&m.source)
                    .bind(&m.target)
                    .bind(m.relationship.as_str())
                    .bind(i64::from(m.strength));
            }
            q.execute(&mut *tx).await?;
        }
        let state = serde_json::json!({"urn": set.urn, "version": set.version, "mappings": set.mappings.len()});
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("mapping.import", "mapping_set", &id, Some(&state)))
            .await?;
        let row =
            sqlx::query(&format!("{SET_SELECT} AND s.id = $2")).bind(org_id).bind(&id).fetch_one(&mut *tx).await?;
        let loaded = set_from_row(&row)?;
        tx.commit().await?;
        Ok(loaded)
    }

    pub async fn list_mapping_sets(&self, org_id: &str) -> Result<Vec<MappingSetRow>> {
        let rows =
            sqlx::query(&format!("{SET_SELECT} ORDER BY s.name, s.id")).bind(org_id).fetch_all(&self.pool).await?;
        rows.iter().map(set_from_row).collect()
    }

    pub async fn delete_mapping_set(&self, ctx: &ChangeContext, org_id: &str, id: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM requirement_mappings WHERE set_id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM mapping_sets WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        crate::found(done)?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("mapping.delete", "mapping_set", id, None)).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A requirement of another framework that a requirement maps to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappedRequirement {
    pub framework_id: String,
    pub framework: String,
    pub ref_id: String,
    /// Read from this framework's requirement to the other one.
    pub relationship: Relationship,
    pub strength: u8,
}

impl Store {
    /// For each requirement of the loaded framework `urn` (by ref id), the
    /// requirements of other loaded frameworks it maps to, either way round.
    pub async fn mappings_of(&self, org_id: &str, urn: &str) -> Result<HashMap<String, Vec<MappedRequirement>>> {
        let rows = sqlx::query(
            "SELECT s.source_urn, s.target_urn, m.source_ref, m.target_ref, m.relationship, m.strength, f.id AS framework_id, f.name AS framework \
             FROM requirement_mappings m JOIN mapping_sets s ON s.id = m.set_id AND s.org_id = m.org_id \
             JOIN frameworks f ON f.org_id = m.org_id AND f.urn = CASE WHEN s.source_urn = $2 THEN s.target_urn ELSE s.source_urn END \
             WHERE m.org_id = $1 AND (s.source_urn = $2 OR s.target_urn = $2) ORDER BY f.name, m.strength DESC",
        )
        .bind(org_id)
        .bind(urn)
        .fetch_all(&self.pool)
        .await?;
        let mut out: HashMap<String, Vec<MappedRequirement>> = HashMap::new();
        for r in &rows {
            let relationship = Relationship::parse(&r.try_get::<String, _>("relationship")?)
                .ok_or_else(|| StoreError::Io("unknown relationship in requirement_mappings".into()))?;
            let forward = r.try_get::<String, _>("source_urn")? == urn;
            let (this, other): (String, String) = if forward {
                (r.try_get("source_ref")?, r.try_get("target_ref")?)
            } else {
                (r.try_get("target_ref")?, r.try_get("source_ref")?)
            };
            out.entry(this).or_default().push(MappedRequirement {
                framework_id: r.try_get("framework_id")?,
                framework: r.try_get("framework")?,
                ref_id: other,
                relationship: if forward { relationship } else { relationship.inverse() },
                strength: u8::try_from(r.try_get::<i64, _>("strength")?).unwrap_or(0),
            });
        }
        Ok(out)
    }
}

/// The results the requirements of the framework `urn` (by ref id) take
/// through mappings from the latest assessment of each mapped framework.
pub(crate) async fn inferred_for(
    conn: &mut sqlx::AnyConnection,
    org_id: &str,
    urn: &str,
) -> Result<HashMap<String, Inferred>> {
    let rows = sqlx::query(
        "SELECT s.source_urn, s.target_urn, m.source_ref, m.target_ref, m.relationship, m.strength \
         FROM requirement_mappings m JOIN mapping_sets s ON s.id = m.set_id AND s.org_id = m.org_id \
         WHERE m.org_id = $1 AND (s.source_urn = $2 OR s.target_urn = $2)",
    )
    .bind(org_id)
    .bind(urn)
    .fetch_all(&mut *conn)
    .await?;
    // (other framework's URN, its ref, this framework's ref, relationship from the other to this)
    let mut links: Vec<(String, String, String, Relationship, u8)> = Vec::with_capacity(rows.len());
    for r in &rows {
        let (source_urn, target_urn): (String, String) = (r.try_get("source_urn")?, r.try_get("target_urn")?);
        let (source_ref, target_ref): (String, String) = (r.try_get("source_ref")?, r.try_get("target_ref")?);
        let relationship = Relationship::parse(&r.try_get::<String, _>("relationship")?)
            .ok_or_else(|| StoreError::Io("unknown relationship in requirement_mappings".into()))?;
        let strength = u8::try_from(r.try_get::<i64, _>("strength")?).unwrap_or(0);
        if target_urn == urn {
            links.push((source_urn, source_ref, target_ref, relationship, strength));
        } else {
            links.push((target_urn, target_ref, source_ref, relationship.inverse(), strength));
        }
    }
    // The latest assessment of each other framework, and its answers by ref id.
    let mut answers: HashMap<String, (String, String, String, HashMap<String, ResultKind>)> = HashMap::new();
    for other in links.iter().map(|l| l.0.clone()).collect::<std::collections::BTreeSet<_>>() {
        let latest = sqlx::query(
            "SELECT a.id, a.name, f.name AS framework FROM assessments a JOIN frameworks f ON f.id = a.framework_id \
             WHERE a.org_id = $1 AND f.urn = $2 ORDER BY a.updated_at DESC, a.id DESC LIMIT 1",
        )
        .bind(org_id)
        .bind(&other)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(latest) = latest else { continue };
        let id: String = latest.try_get("id")?;
        let results = sqlx::query(
            "SELECT n.ref_id, r.result FROM requirement_results r JOIN requirement_nodes n ON n.id = r.node_id \
             WHERE r.org_id = $1 AND r.assessment_id = $2",
        )
        .bind(org_id)
        .bind(&id)
        .fetch_all(&mut *conn)
        .await?;
        let mut by_ref = HashMap::with_capacity(results.len());
        for r in &results {
            by_ref.insert(r.try_get::<String, _>("ref_id")?, ResultKind::parse(&r.try_get::<String, _>("result")?)?);
        }
        answers.insert(other, (id, latest.try_get("name")?, latest.try_get("framework")?, by_ref));
    }
    let mut candidates: HashMap<String, Vec<Inferred>> = HashMap::new();
    for (other, other_ref, this_ref, relationship, strength) in links {
        let Some((id, name, framework, by_ref)) = answers.get(&other) else { continue };
        let Some(result) = by_ref.get(&other_ref).and_then(|r| carried(relationship, *r)) else { continue };
        candidates.entry(this_ref).or_default().push(Inferred {
            result,
            from_assessment_id: id.clone(),
            from_assessment: name.clone(),
            from_framework: framework.clone(),
            from_ref_id: other_ref,
            relationship,
            strength,
        });
    }
    Ok(candidates
        .into_iter()
        .filter_map(|(r, list)| {
            let pick = preferred(&list.iter().map(|c| (c.result, c.strength)).collect::<Vec<_>>())?;
            Some((r, list[pick].clone()))
        })
        .collect())
}
