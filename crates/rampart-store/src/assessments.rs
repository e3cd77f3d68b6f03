//! Assessments: their fields, people and workflow, the cached summary of
//! their scores and the snapshots that make the trend.

use std::collections::HashMap;

use rampart_domain::assessment::{AssessmentFields, AssessmentRole, AssessmentStatus, ResultKind, RollUp};
use rampart_domain::audit::AuditEvent;
use rampart_domain::score::{Answer, ScaleRange, ScoreNode, Scorecard, scorecard};
use rampart_domain::{Page, PageRequest, new_id};
use rampart_frameworks::ScoreLevel;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

pub(crate) type Tx = sqlx::Transaction<'static, sqlx::Any>;

const DAY_MS: i64 = 86_400_000;

/// An assessment with its current scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub id: String,
    pub framework_id: String,
    pub framework_name: String,
    #[serde(flatten)]
    pub fields: AssessmentFields,
    pub status: AssessmentStatus,
    pub summary: AssessmentSummary,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The scores of a whole assessment and of the framework's top-level nodes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AssessmentSummary {
    pub compliance: Option<f64>,
    pub maturity: Option<f64>,
    pub points_earned: f64,
    pub points_possible: f64,
    /// Requirements by result: not assessed, compliant, partially compliant,
    /// non-compliant, not applicable.
    pub results: [u32; 5],
    pub progress: Option<f64>,
    pub headings: Vec<HeadingScore>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadingScore {
    pub ref_id: String,
    pub title: String,
    pub compliance: Option<f64>,
    pub maturity: Option<f64>,
}

/// A person named in an assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssessmentPerson {
    pub user_id: String,
    pub email: String,
    pub role: AssessmentRole,
}

/// The scores at one moment, for the trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    pub taken_at: i64,
    /// `created`, `status` or `daily`.
    pub reason: String,
    pub status: AssessmentStatus,
    pub summary: AssessmentSummary,
}

/// Filters of the assessment list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssessmentFilter {
    pub framework_id: Option<String>,
    pub status: Option<AssessmentStatus>,
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Io(e.to_string())
}

const SELECT: &str = "SELECT a.*, f.name AS framework_name FROM assessments a \
                      JOIN frameworks f ON f.id = a.framework_id AND f.org_id = a.org_id WHERE a.org_id = $1";

fn from_row(r: &AnyRow) -> Result<Assessment> {
    let groups: String = r.try_get("selected_groups")?;
    let summary: String = r.try_get("summary")?;
    Ok(Assessment {
        id: r.try_get("id")?,
        framework_id: r.try_get("framework_id")?,
        framework_name: r.try_get("framework_name")?,
        fields: AssessmentFields {
            name: r.try_get("name")?,
            description: r.try_get("description")?,
            scope_asset_id: r.try_get("scope_asset_id")?,
            groups: serde_json::from_str(&groups).map_err(json_err)?,
            roll_up: RollUp::parse(&r.try_get::<String, _>("roll_up")?)?,
            due_date: r.try_get("due_date")?,
        },
        status: AssessmentStatus::parse(&r.try_get::<String, _>("status")?)?,
        summary: serde_json::from_str(&summary).map_err(json_err)?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(crate) async fn assessment_in(conn: &mut sqlx::AnyConnection, org_id: &str, id: &str) -> Result<Assessment> {
    let row = sqlx::query(&format!("{SELECT} AND a.id = $2")).bind(org_id).bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(from_row).transpose()?.ok_or(StoreError::NotFound)
}

/// The tree of a framework as scoring needs it, in document order.
pub(crate) struct ScoringTree {
    pub node_ids: Vec<String>,
    pub ref_ids: Vec<String>,
    pub titles: Vec<String>,
    pub groups: Vec<Vec<String>>,
    pub nodes: Vec<ScoreNode>,
    pub assessable: Vec<bool>,
    pub scale: Vec<ScoreLevel>,
}

impl ScoringTree {
    pub async fn load(conn: &mut sqlx::AnyConnection, org_id: &str, framework_id: &str) -> Result<ScoringTree> {
        let scale: String = sqlx::query_scalar("SELECT score_scale FROM frameworks WHERE id = $1 AND org_id = $2")
            .bind(framework_id)
            .bind(org_id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let rows = sqlx::query(
            "SELECT id, ref_id, parent_ref, title, weight, assessable, node_groups FROM requirement_nodes \
             WHERE framework_id = $1 AND org_id = $2 ORDER BY withdrawn, seq, ref_id",
        )
        .bind(framework_id)
        .bind(org_id)
        .fetch_all(&mut *conn)
        .await?;
        let mut tree = ScoringTree {
            node_ids: Vec::with_capacity(rows.len()),
            ref_ids: Vec::with_capacity(rows.len()),
            titles: Vec::with_capacity(rows.len()),
            groups: Vec::with_capacity(rows.len()),
            nodes: Vec::with_capacity(rows.len()),
            assessable: Vec::with_capacity(rows.len()),
            scale: serde_json::from_str(&scale).map_err(json_err)?,
        };
        let mut index: HashMap<String, usize> = HashMap::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            let ref_id: String = r.try_get("ref_id")?;
            let parent: Option<String> = r.try_get("parent_ref")?;
            let groups: String = r.try_get("node_groups")?;
            tree.nodes.push(ScoreNode {
                parent: parent.as_deref().and_then(|p| index.get(p).copied()),
                weight: u32::try_from(r.try_get::<i64, _>("weight")?).unwrap_or(0),
                counts: false,
            });
            tree.assessable.push(r.try_get::<i64, _>("assessable")? != 0);
            tree.groups.push(serde_json::from_str(&groups).map_err(json_err)?);
            index.insert(ref_id.clone(), i);
            tree.ref_ids.push(ref_id);
            tree.node_ids.push(r.try_get("id")?);
            tree.titles.push(r.try_get("title")?);
        }
        Ok(tree)
    }

    /// Marks the nodes an assessment of these groups counts.
    pub fn scope(&mut self, selected: &[String]) {
        for i in 0..self.nodes.len() {
            let in_groups = selected.is_empty() || self.groups[i].iter().any(|g| selected.contains(g));
            self.nodes[i].counts = self.assessable[i] && in_groups;
        }
    }

    pub fn scale_values(&self) -> Vec<i32> {
        self.scale.iter().map(|l| l.value).collect()
    }

    pub fn scale_range(&self) -> Option<ScaleRange> {
        Some(ScaleRange { lowest: self.scale.first()?.value, highest: self.scale.last()?.value })
    }

    pub fn score(&self, answers: &[Option<Answer>], roll_up: RollUp) -> Scorecard {
        scorecard(&self.nodes, answers, self.scale_range(), roll_up)
    }

    pub fn summary(&self, card: &Scorecard) -> AssessmentSummary {
        let o = &card.overall;
        AssessmentSummary {
            compliance: o.compliance,
            maturity: o.maturity,
            points_earned: o.points_earned,
            points_possible: o.points_possible,
            results: o.results,
            progress: o.progress(),
            headings: (0..self.nodes.len())
                .filter(|&i| self.nodes[i].parent.is_none() && card.nodes[i].requirements() > 0)
                .map(|i| HeadingScore {
                    ref_id: self.ref_ids[i].clone(),
                    title: self.titles[i].clone(),
                    compliance: card.nodes[i].compliance,
                    maturity: card.nodes[i].maturity,
                })
                .collect(),
        }
    }
}

/// The answers of an assessment aligned with the tree's nodes.
pub(crate) async fn answers_in(
    conn: &mut sqlx::AnyConnection,
    org_id: &str,
    assessment_id: &str,
    tree: &ScoringTree,
) -> Result<Vec<Option<Answer>>> {
    let rows =
        sqlx::query("SELECT node_id, result, score FROM requirement_results WHERE assessment_id = $1 AND org_id = $2")
            .bind(assessment_id)
            .bind(org_id)
            .fetch_all(&mut *conn)
            .await?;
    let position: HashMap<&str, usize> = tree.node_ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let mut answers = vec![None; tree.node_ids.len()];
    for r in &rows {
        let node_id: String = r.try_get("node_id")?;
        if let Some(&i) = position.get(node_id.as_str()) {
            answers[i] = Some(Answer {
                result: ResultKind::parse(&r.try_get::<String, _>("result")?)?,
                score: r.try_get::<Option<i64>, _>("score")?.and_then(|s| i32::try_from(s).ok()),
            });
        }
    }
    Ok(answers)
}

/// Recomputes an assessment's summary and snapshots it: always with a
/// `reason` (creation, a status change), and while the assessment is in
/// progress into the day's snapshot, which follows the day's last change.
pub(crate) async fn refresh_summary(tx: &mut Tx, org_id: &str, id: &str, reason: Option<&str>) -> Result<()> {
    let a = assessment_in(tx, org_id, id).await?;
    let mut tree = ScoringTree::load(tx, org_id, &a.framework_id).await?;
    tree.scope(&a.fields.groups);
    let answers = answers_in(tx, org_id, id, &tree).await?;
    let summary = tree.summary(&tree.score(&answers, a.fields.roll_up));
    let text = serde_json::to_string(&summary).map_err(json_err)?;
    let now = now_ms();
    sqlx::query("UPDATE assessments SET summary = $1, updated_at = $2 WHERE id = $3 AND org_id = $4")
        .bind(&text)
        .bind(now)
        .bind(id)
        .bind(org_id)
        .execute(&mut **tx)
        .await?;
    if reason.is_none() && a.status == AssessmentStatus::InProgress {
        // The day's snapshot follows the day's last change, so the trend shows
        // where each day ended; a day without changes has nothing new to show.
        let today = now - now.rem_euclid(DAY_MS);
        let kept = sqlx::query(
            "UPDATE assessment_snapshots SET summary = $1, taken_at = $2 \
             WHERE assessment_id = $3 AND org_id = $4 AND reason = 'daily' AND taken_at >= $5",
        )
        .bind(&text)
        .bind(now)
        .bind(id)
        .bind(org_id)
        .bind(today)
        .execute(&mut **tx)
        .await?;
        if kept.rows_affected() > 0 {
            return Ok(());
        }
    }
    let reason = match (reason, a.status) {
        (Some(r), _) => r,
        (None, AssessmentStatus::InProgress) => "daily",
        (None, _) => return Ok(()),
    };
    sqlx::query(
        "INSERT INTO assessment_snapshots (id, org_id, assessment_id, taken_at, reason, status, summary) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id())
    .bind(org_id)
    .bind(id)
    .bind(now)
    .bind(reason)
    .bind(a.status.as_str())
    .bind(&text)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn check_scope_asset(tx: &mut Tx, org_id: &str, asset_id: Option<&str>) -> Result<()> {
    let Some(asset_id) = asset_id else { return Ok(()) };
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assets WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(asset_id)
        .fetch_one(&mut **tx)
        .await?;
    if n == 0 {
        return Err(rampart_domain::Invalid::new("scope_asset_id", "is not an asset of this organisation").into());
    }
    Ok(())
}

fn locked(a: &Assessment) -> StoreError {
    StoreError::Conflict(format!("the assessment {:?} is done: it is locked and cannot change", a.fields.name))
}

impl Store {
    pub async fn create_assessment(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        framework_id: &str,
        fields: AssessmentFields,
    ) -> Result<Assessment> {
        let now = now_ms();
        let id = new_id();
        let mut tx = self.write_tx().await?;
        crate::frameworks::framework_exists(&mut tx, org_id, framework_id).await?;
        check_scope_asset(&mut tx, org_id, fields.scope_asset_id.as_deref()).await?;
        sqlx::query(
            "INSERT INTO assessments (id, org_id, framework_id, name, description, scope_asset_id, selected_groups, \
             roll_up, status, due_date, summary, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '{}', $11, $12, $12)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(framework_id)
        .bind(&fields.name)
        .bind(&fields.description)
        .bind(fields.scope_asset_id.as_deref())
        .bind(serde_json::to_string(&fields.groups).map_err(json_err)?)
        .bind(fields.roll_up.as_str())
        .bind(AssessmentStatus::Planned.as_str())
        .bind(fields.due_date.as_deref())
        .bind(&ctx.actor)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        refresh_summary(&mut tx, org_id, &id, Some("created")).await?;
        let state = serde_json::to_value(&fields).unwrap_or_default();
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("assessment.create", "assessment", &id, Some(&state)))
            .await?;
        let created = assessment_in(&mut tx, org_id, &id).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Changes the fields of an assessment that is not done.
    pub async fn update_assessment(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        id: &str,
        fields: AssessmentFields,
    ) -> Result<Assessment> {
        let mut tx = self.write_tx().await?;
        let a = assessment_in(&mut tx, org_id, id).await?;
        if !a.status.accepts_changes() {
            return Err(locked(&a));
        }
        check_scope_asset(&mut tx, org_id, fields.scope_asset_id.as_deref()).await?;
        sqlx::query(
            "UPDATE assessments SET name = $1, description = $2, scope_asset_id = $3, selected_groups = $4, \
             roll_up = $5, due_date = $6 WHERE id = $7 AND org_id = $8",
        )
        .bind(&fields.name)
        .bind(&fields.description)
        .bind(fields.scope_asset_id.as_deref())
        .bind(serde_json::to_string(&fields.groups).map_err(json_err)?)
        .bind(fields.roll_up.as_str())
        .bind(fields.due_date.as_deref())
        .bind(id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        refresh_summary(&mut tx, org_id, id, None).await?;
        let state = serde_json::to_value(&fields).unwrap_or_default();
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("assessment.update", "assessment", id, Some(&state)))
            .await?;
        let updated = assessment_in(&mut tx, org_id, id).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes an assessment that is not done, with its answers and snapshots.
    pub async fn delete_assessment(&self, ctx: &ChangeContext, org_id: &str, id: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let a = assessment_in(&mut tx, org_id, id).await?;
        if !a.status.accepts_changes() {
            return Err(StoreError::Conflict(format!(
                "the assessment {:?} is done: it is a record and cannot be deleted",
                a.fields.name
            )));
        }
        for sql in [
            "DELETE FROM result_controls WHERE org_id = $1 AND result_id IN (SELECT id FROM requirement_results WHERE assessment_id = $2)",
            "DELETE FROM evidence WHERE org_id = $1 AND result_id IN (SELECT id FROM requirement_results WHERE assessment_id = $2)",
            "DELETE FROM requirement_results WHERE org_id = $1 AND assessment_id = $2",
            "DELETE FROM assessment_people WHERE org_id = $1 AND assessment_id = $2",
            "DELETE FROM assessment_snapshots WHERE org_id = $1 AND assessment_id = $2",
            "DELETE FROM assessments WHERE org_id = $1 AND id = $2",
        ] {
            sqlx::query(sql).bind(org_id).bind(id).execute(&mut *tx).await?;
        }
        let state = serde_json::json!({"name": a.fields.name});
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("assessment.delete", "assessment", id, Some(&state)))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn assessment(&self, org_id: &str, id: &str) -> Result<Assessment> {
        assessment_in(&mut *self.pool.acquire().await?, org_id, id).await
    }

    /// Assessments, newest first; the cursor is `created_at\u{1f}id`.
    pub async fn list_assessments(
        &self,
        org_id: &str,
        filter: &AssessmentFilter,
        page: &PageRequest,
    ) -> Result<Page<Assessment>> {
        let (before_at, before_id) = match page.after.as_deref().and_then(|a| a.split_once('\u{1f}')) {
            Some((at, id)) => (at.parse::<i64>().unwrap_or(i64::MAX), id.to_string()),
            None => (i64::MAX, String::new()),
        };
        let rows = sqlx::query(&format!(
            "{SELECT} AND (a.created_at < $2 OR (a.created_at = $2 AND a.id < $3) OR $3 = '') \
             AND ($4 IS NULL OR a.framework_id = $4) AND ($5 IS NULL OR a.status = $5) \
             ORDER BY a.created_at DESC, a.id DESC LIMIT $6"
        ))
        .bind(org_id)
        .bind(before_at)
        .bind(&before_id)
        .bind(filter.framework_id.as_deref())
        .bind(filter.status.map(|s| s.as_str()))
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page.limit, |a| format!("{}\u{1f}{}", a.created_at, a.id)))
    }

    /// Names the assessors and reviewers (members of the organisation),
    /// replacing those named before.
    pub async fn set_assessment_people(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        id: &str,
        people: &[(String, AssessmentRole)],
    ) -> Result<Vec<AssessmentPerson>> {
        let mut tx = self.write_tx().await?;
        let a = assessment_in(&mut tx, org_id, id).await?;
        if !a.status.accepts_changes() {
            return Err(locked(&a));
        }
        sqlx::query("DELETE FROM assessment_people WHERE org_id = $1 AND assessment_id = $2")
            .bind(org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (user_id, role) in people {
            let member: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND user_id = $2")
                .bind(org_id)
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
            if member == 0 {
                return Err(rampart_domain::Invalid::new(
                    role.as_str(),
                    format!("`{user_id}` is not a member of this organisation"),
                )
                .into());
            }
            sqlx::query(
                "INSERT INTO assessment_people (org_id, assessment_id, user_id, role) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (assessment_id, user_id, role) DO NOTHING",
            )
            .bind(org_id)
            .bind(id)
            .bind(user_id)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
        }
        let state = serde_json::json!({"people": people.iter().map(|(u, r)| serde_json::json!({"user_id": u, "role": r})).collect::<Vec<_>>()});
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("assessment.people", "assessment", id, Some(&state)))
            .await?;
        let named = people_in(&mut tx, org_id, id).await?;
        tx.commit().await?;
        Ok(named)
    }

    pub async fn assessment_people(&self, org_id: &str, id: &str) -> Result<Vec<AssessmentPerson>> {
        people_in(&mut *self.pool.acquire().await?, org_id, id).await
    }

    /// Moves an assessment along its workflow. Moving out of review (to done,
    /// or back to in progress) is for a named reviewer, or for an admin when
    /// none is named.
    pub async fn move_assessment(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        id: &str,
        to: AssessmentStatus,
        actor_user_id: &str,
        actor_is_admin: bool,
    ) -> Result<Assessment> {
        let mut tx = self.write_tx().await?;
        let a = assessment_in(&mut tx, org_id, id).await?;
        a.status.move_to(to).map_err(StoreError::Conflict)?;
        if a.status == AssessmentStatus::InReview {
            let reviewers: Vec<String> = people_in(&mut tx, org_id, id)
                .await?
                .into_iter()
                .filter(|p| p.role == AssessmentRole::Reviewer)
                .map(|p| p.user_id)
                .collect();
            let may = if reviewers.is_empty() { actor_is_admin } else { reviewers.iter().any(|r| r == actor_user_id) };
            if !may {
                return Err(StoreError::Forbidden(
                    "only a reviewer named in the assessment (or an admin, when none is named) decides on a review"
                        .to_string(),
                ));
            }
        }
        sqlx::query("UPDATE assessments SET status = $1 WHERE id = $2 AND org_id = $3")
            .bind(to.as_str())
            .bind(id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        refresh_summary(&mut tx, org_id, id, Some("status")).await?;
        let state = serde_json::json!({"from": a.status, "to": to});
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("assessment.status", "assessment", id, Some(&state)))
            .await?;
        let moved = assessment_in(&mut tx, org_id, id).await?;
        tx.commit().await?;
        Ok(moved)
    }

    /// The snapshots of an assessment, oldest first.
    pub async fn assessment_snapshots(&self, org_id: &str, id: &str) -> Result<Vec<Snapshot>> {
        let rows = sqlx::query(
            "SELECT taken_at, reason, status, summary FROM assessment_snapshots \
             WHERE org_id = $1 AND assessment_id = $2 ORDER BY taken_at, id",
        )
        .bind(org_id)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Snapshot {
                    taken_at: r.try_get("taken_at")?,
                    reason: r.try_get("reason")?,
                    status: AssessmentStatus::parse(&r.try_get::<String, _>("status")?)?,
                    summary: serde_json::from_str(&r.try_get::<String, _>("summary")?).map_err(json_err)?,
                })
            })
            .collect()
    }
}

async fn people_in(conn: &mut sqlx::AnyConnection, org_id: &str, id: &str) -> Result<Vec<AssessmentPerson>> {
    let rows = sqlx::query(
        "SELECT p.user_id, u.email, p.role FROM assessment_people p JOIN users u ON u.id = p.user_id \
         WHERE p.org_id = $1 AND p.assessment_id = $2 ORDER BY p.role, u.email",
    )
    .bind(org_id)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AssessmentPerson {
                user_id: r.try_get("user_id")?,
                email: r.try_get("email")?,
                role: AssessmentRole::parse(&r.try_get::<String, _>("role")?)?,
            })
        })
        .collect()
}
