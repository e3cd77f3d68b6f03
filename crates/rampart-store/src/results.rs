//! The answers of an assessment: one per requirement node, the applied
//! controls that implement it, and the workspace that shows them with their
//! scores.

use std::collections::HashMap;

use rampart_domain::assessment::{ResultFields, ResultKind};
use rampart_domain::audit::AuditEvent;
use rampart_domain::control::{ControlStatus, Effort};
use rampart_domain::new_id;
use rampart_domain::score::{Answer, Improvement, Score, Scorecard, effort_units, improvements};
use serde::Serialize;
use sqlx::Row;

use crate::assessments::{Assessment, ScoringTree, Tx, answers_in, assessment_in, refresh_summary};
use crate::frameworks::{Framework, RequirementNode};
use crate::links::LinkTable;
use crate::mappings::{Inferred, inferred_for};
use crate::{ChangeContext, ControlLink, Result, Store, StoreError, audit, now_ms};

/// One stored answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequirementResult {
    pub node_id: String,
    #[serde(flatten)]
    pub fields: ResultFields,
    pub controls: Vec<ControlLink>,
    pub evidence: Vec<crate::Evidence>,
    pub updated_by: String,
    pub updated_at: i64,
}

/// Everything the assessment workspace shows, read in a few queries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workspace {
    pub assessment: Assessment,
    pub framework: Framework,
    pub nodes: Vec<RequirementNode>,
    /// Aligned with `nodes`.
    pub results: Vec<Option<RequirementResult>>,
    /// Aligned with `nodes`: assessable and in the assessment's scope.
    pub in_scope: Vec<bool>,
    pub scorecard: Scorecard,
    /// Requirements that can still earn points, best ratio first.
    pub improvements: Vec<Improvement>,
    /// Aligned with `nodes`: the result a counted requirement without a direct
    /// answer takes through mappings, and where from.
    pub inferred: Vec<Option<Inferred>>,
    /// The overall scores when inferred results count where there is no
    /// direct answer.
    pub with_inferred: Score,
}

/// One assessed requirement with its answer, as exports write it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultRow {
    pub ref_id: String,
    pub title: String,
    pub result: String,
    pub score: Option<i32>,
    pub target: Option<i32>,
    pub observation: String,
    pub justification: String,
    pub owner: String,
    /// Names of the linked controls, `; ` between them.
    pub controls: String,
    pub compliance: Option<f64>,
}

impl ResultRow {
    pub const COLUMNS: &'static [&'static str] = &[
        "ref_id",
        "title",
        "result",
        "score",
        "target",
        "observation",
        "justification",
        "owner",
        "controls",
        "compliance",
    ];
}

impl Workspace {
    /// The requirements the assessment counts, in document order, with their answers.
    pub fn result_rows(&self) -> Vec<ResultRow> {
        (0..self.nodes.len())
            .filter(|&i| self.in_scope[i])
            .map(|i| {
                let r = &self.nodes[i].requirement;
                let answer = self.results[i].as_ref();
                let text = |f: fn(&ResultFields) -> &String| answer.map(|a| f(&a.fields).clone()).unwrap_or_default();
                ResultRow {
                    ref_id: r.ref_id.clone(),
                    title: r.title.clone(),
                    result: answer.map_or(ResultKind::NotAssessed, |a| a.fields.result).as_str().to_string(),
                    score: answer.and_then(|a| a.fields.score),
                    target: answer.and_then(|a| a.fields.target),
                    observation: text(|f| &f.observation),
                    justification: text(|f| &f.justification),
                    owner: text(|f| &f.owner),
                    controls: answer
                        .map(|a| a.controls.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join("; "))
                        .unwrap_or_default(),
                    compliance: self.scorecard.nodes[i].compliance,
                }
            })
            .collect()
    }
}

/// One control of a Statement of Applicability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SoaRow {
    pub ref_id: String,
    pub title: String,
    pub applicable: bool,
    /// Why it is excluded (the not-applicable justification), or what was observed.
    pub justification: String,
    /// The answer, in words: implemented, partly implemented, not implemented, not assessed.
    pub implementation: String,
    pub controls: String,
}

impl SoaRow {
    pub const COLUMNS: &'static [&'static str] =
        &["ref_id", "title", "applicable", "justification", "implementation", "controls"];
}

/// One requirement in two assessments of the same framework.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComparisonRow {
    pub ref_id: String,
    pub title: String,
    pub before: String,
    pub after: String,
    pub score_before: Option<i32>,
    pub score_after: Option<i32>,
    pub changed: bool,
}

impl ComparisonRow {
    pub const COLUMNS: &'static [&'static str] =
        &["ref_id", "title", "before", "after", "score_before", "score_after", "changed"];
}

impl Workspace {
    /// The Statement of Applicability: the framework's `annex-a` group (ISO/IEC
    /// 27001) when it has one, else every counted requirement.
    pub fn soa_rows(&self) -> Vec<SoaRow> {
        let annex = self.framework.groups.iter().any(|g| g.ref_id == "annex-a");
        (0..self.nodes.len())
            .filter(|&i| {
                let r = &self.nodes[i].requirement;
                r.assessable
                    && !r.withdrawn
                    && if annex { r.groups.iter().any(|g| g == "annex-a") } else { self.in_scope[i] }
            })
            .map(|i| {
                let r = &self.nodes[i].requirement;
                let answer = self.results[i].as_ref();
                let result = answer.map_or(ResultKind::NotAssessed, |a| a.fields.result);
                SoaRow {
                    ref_id: r.ref_id.clone(),
                    title: r.title.clone(),
                    applicable: result != ResultKind::NotApplicable,
                    justification: answer
                        .map(|a| {
                            if a.fields.justification.is_empty() {
                                a.fields.observation.clone()
                            } else {
                                a.fields.justification.clone()
                            }
                        })
                        .unwrap_or_default(),
                    implementation: match result {
                        ResultKind::Compliant => "implemented",
                        ResultKind::PartiallyCompliant => "partly implemented",
                        ResultKind::NonCompliant => "not implemented",
                        ResultKind::NotApplicable => "excluded",
                        ResultKind::NotAssessed => "not assessed",
                    }
                    .to_string(),
                    controls: answer
                        .map(|a| a.controls.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join("; "))
                        .unwrap_or_default(),
                }
            })
            .collect()
    }

    /// Requirement by requirement against an earlier (or any other)
    /// assessment of the same framework, matched by ref id.
    pub fn compare(&self, before: &Workspace) -> Result<Vec<ComparisonRow>> {
        if self.framework.urn != before.framework.urn {
            return Err(rampart_domain::Invalid::new(
                "with",
                "is an assessment of another framework: compare assessments of the same framework",
            )
            .into());
        }
        let earlier: HashMap<&str, &RequirementResult> = before
            .nodes
            .iter()
            .zip(&before.results)
            .filter_map(|(n, r)| r.as_ref().map(|r| (n.requirement.ref_id.as_str(), r)))
            .collect();
        Ok((0..self.nodes.len())
            .filter(|&i| self.in_scope[i])
            .map(|i| {
                let r = &self.nodes[i].requirement;
                let now = self.results[i].as_ref();
                let then = earlier.get(r.ref_id.as_str()).copied();
                let result = |a: Option<&RequirementResult>| a.map_or(ResultKind::NotAssessed, |a| a.fields.result);
                let (score_before, score_after) = (then.and_then(|a| a.fields.score), now.and_then(|a| a.fields.score));
                ComparisonRow {
                    ref_id: r.ref_id.clone(),
                    title: r.title.clone(),
                    before: result(then).as_str().to_string(),
                    after: result(now).as_str().to_string(),
                    score_before,
                    score_after,
                    changed: result(then) != result(now) || score_before != score_after,
                }
            })
            .collect())
    }
}

const CONTROLS: LinkTable = LinkTable {
    table: "result_controls",
    owner_table: "requirement_results",
    owner_col: "result_id",
    other_table: "applied_controls",
    other_col: "control_id",
    object_type: "requirement_result",
    added: "result.control.link",
    removed: "result.control.unlink",
    duplicate: "the control is already linked to this requirement",
};

/// Checks the assessment accepts answers and each node is one it counts;
/// returns the assessment.
pub(crate) async fn check_answerable(
    tx: &mut Tx,
    org_id: &str,
    assessment_id: &str,
    node_ids: &[String],
) -> Result<Assessment> {
    let a = assessment_in(tx, org_id, assessment_id).await?;
    if !a.status.accepts_changes() {
        return Err(StoreError::Conflict(format!(
            "the assessment {:?} is done: it is locked and its answers cannot change",
            a.fields.name
        )));
    }
    let mut tree = ScoringTree::load(tx, org_id, &a.framework_id).await?;
    tree.scope(&a.fields.groups);
    let counted: HashMap<&str, bool> =
        tree.node_ids.iter().zip(&tree.nodes).map(|(id, n)| (id.as_str(), n.counts)).collect();
    for (i, node_id) in node_ids.iter().enumerate() {
        match counted.get(node_id.as_str()) {
            Some(true) => {}
            Some(false) => {
                return Err(rampart_domain::Invalid::new(
                    format!("node_ids[{i}]"),
                    "is a heading, withdrawn, or outside the assessment's groups: it is not assessed",
                )
                .into());
            }
            None => {
                return Err(rampart_domain::Invalid::new(
                    format!("node_ids[{i}]"),
                    "is not a node of the assessed framework",
                )
                .into());
            }
        }
    }
    Ok(a)
}

async fn upsert(
    tx: &mut Tx,
    org_id: &str,
    assessment_id: &str,
    node_id: &str,
    f: &ResultFields,
    by: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO requirement_results (id, org_id, assessment_id, node_id, result, score, target, observation, \
         justification, owner, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (assessment_id, node_id) DO UPDATE SET result = $5, score = $6, target = $7, observation = $8, \
         justification = $9, owner = $10, updated_by = $11, updated_at = $12",
    )
    .bind(new_id())
    .bind(org_id)
    .bind(assessment_id)
    .bind(node_id)
    .bind(f.result.as_str())
    .bind(f.score.map(i64::from))
    .bind(f.target.map(i64::from))
    .bind(&f.observation)
    .bind(&f.justification)
    .bind(&f.owner)
    .bind(by)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The id of the answer row for a node, made (not assessed) when absent.
pub(crate) async fn result_id(
    tx: &mut Tx,
    org_id: &str,
    assessment_id: &str,
    node_id: &str,
    by: &str,
) -> Result<String> {
    let find = || {
        sqlx::query_scalar::<_, String>(
            "SELECT id FROM requirement_results WHERE org_id = $1 AND assessment_id = $2 AND node_id = $3",
        )
        .bind(org_id)
        .bind(assessment_id)
        .bind(node_id)
    };
    if let Some(id) = find().fetch_optional(&mut **tx).await? {
        return Ok(id);
    }
    upsert(tx, org_id, assessment_id, node_id, &ResultFields::not_assessed(), by).await?;
    Ok(find().fetch_one(&mut **tx).await?)
}

/// The inferred results of a tree's counted requirements that have no direct
/// answer, and the answers with those filled in.
pub(crate) async fn with_inferred(
    conn: &mut sqlx::AnyConnection,
    org_id: &str,
    urn: &str,
    tree: &ScoringTree,
    answers: &[Option<Answer>],
) -> Result<(Vec<Option<Inferred>>, Vec<Option<Answer>>)> {
    let by_ref = inferred_for(conn, org_id, urn).await?;
    let inferred: Vec<Option<Inferred>> = (0..tree.nodes.len())
        .map(|i| {
            let open = answers[i].is_none_or(|a| a.result == ResultKind::NotAssessed);
            if open && tree.nodes[i].counts { by_ref.get(&tree.ref_ids[i]).cloned() } else { None }
        })
        .collect();
    let merged = answers
        .iter()
        .zip(&inferred)
        .map(|(a, x)| match x {
            Some(x) => Some(Answer { result: x.result, score: None }),
            None => *a,
        })
        .collect();
    Ok((inferred, merged))
}

/// A framework's coverage: what its latest assessment answers, and what the
/// other frameworks' assessments lend it through mappings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub framework_id: String,
    pub framework: String,
    pub urn: String,
    /// Its assessable requirements.
    pub requirements: u32,
    /// Answered in its latest assessment.
    pub answered: u32,
    /// Without a direct answer but with an inferred result.
    pub inferred: u32,
    pub compliance: Option<f64>,
    pub compliance_with_inferred: Option<f64>,
    /// The assessments the inferred results come from.
    pub sources: Vec<String>,
}

impl Store {
    /// "Assess once, comply many": for every loaded framework, what its own
    /// latest assessment and the mapped frameworks' assessments say of it.
    pub async fn coverage(&self, org_id: &str) -> Result<Vec<Coverage>> {
        let mut conn = self.pool.acquire().await?;
        let frameworks: Vec<(String, String, String)> =
            sqlx::query_as("SELECT id, name, urn FROM frameworks WHERE org_id = $1 ORDER BY name, id")
                .bind(org_id)
                .fetch_all(&mut *conn)
                .await?;
        let mut out = Vec::new();
        for (id, name, urn) in frameworks {
            let mut tree = ScoringTree::load(&mut conn, org_id, &id).await?;
            tree.scope(&[]);
            let latest: Option<(String, String)> = sqlx::query_as(
                "SELECT id, roll_up FROM assessments WHERE org_id = $1 AND framework_id = $2 ORDER BY updated_at DESC, id DESC LIMIT 1",
            )
            .bind(org_id)
            .bind(&id)
            .fetch_optional(&mut *conn)
            .await?;
            let (answers, roll_up) = match &latest {
                Some((a, roll_up)) => (
                    answers_in(&mut conn, org_id, a, &tree).await?,
                    rampart_domain::assessment::RollUp::parse(roll_up)?,
                ),
                None => (vec![None; tree.nodes.len()], rampart_domain::assessment::RollUp::Weighted),
            };
            let (inferred, merged) = with_inferred(&mut conn, org_id, &urn, &tree, &answers).await?;
            let count = |f: &dyn Fn(usize) -> bool| {
                (0..tree.nodes.len()).filter(|&i| tree.nodes[i].counts && f(i)).count() as u32
            };
            let answered = count(&|i| answers[i].is_some_and(|a| a.result != ResultKind::NotAssessed));
            let lent = count(&|i| inferred[i].is_some());
            if answered == 0 && lent == 0 {
                continue;
            }
            let mut sources: Vec<String> = inferred.iter().flatten().map(|x| x.from_assessment.clone()).collect();
            sources.sort();
            sources.dedup();
            out.push(Coverage {
                requirements: count(&|_| true),
                answered,
                inferred: lent,
                compliance: latest.as_ref().and(tree.score(&answers, roll_up).overall.compliance),
                compliance_with_inferred: tree.score(&merged, roll_up).overall.compliance,
                sources,
                framework_id: id,
                framework: name,
                urn,
            });
        }
        Ok(out)
    }

    /// Gives the same answer to one or more requirements, in one transaction
    /// with one audit record, and refreshes the scores.
    pub async fn set_results(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        assessment_id: &str,
        node_ids: &[String],
        fields: &ResultFields,
    ) -> Result<Assessment> {
        if node_ids.is_empty() {
            return Err(rampart_domain::Invalid::new("node_ids", "name at least one requirement").into());
        }
        let mut tx = self.write_tx().await?;
        let a = check_answerable(&mut tx, org_id, assessment_id, node_ids).await?;
        let tree = ScoringTree::load(&mut tx, org_id, &a.framework_id).await?;
        let scale = tree.scale_values();
        for (field, value) in [("score", fields.score), ("target", fields.target)] {
            if value.is_some_and(|v| !scale.contains(&v)) {
                return Err(rampart_domain::Invalid::new(field, "is not on the framework's score scale").into());
            }
        }
        for node_id in node_ids {
            upsert(&mut tx, org_id, assessment_id, node_id, fields, &ctx.actor).await?;
        }
        refresh_summary(&mut tx, org_id, assessment_id, None).await?;
        let state = serde_json::json!({"node_ids": node_ids, "answer": fields});
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("assessment.answer", "assessment", assessment_id, Some(&state)),
        )
        .await?;
        let updated = assessment_in(&mut tx, org_id, assessment_id).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Links an applied control that implements a requirement.
    pub async fn link_result_control(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        assessment_id: &str,
        node_id: &str,
        control_id: &str,
    ) -> Result<()> {
        let (mut tx, result) = self.answer_for_change(ctx, org_id, assessment_id, node_id).await?;
        CONTROLS.add(&mut tx, ctx, org_id, &result, control_id).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn unlink_result_control(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        assessment_id: &str,
        node_id: &str,
        control_id: &str,
    ) -> Result<()> {
        let (mut tx, result) = self.answer_for_change(ctx, org_id, assessment_id, node_id).await?;
        CONTROLS.remove(&mut tx, ctx, org_id, &result, control_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A write transaction and the answer row of a requirement that takes
    /// changes (made, not assessed, when absent).
    pub(crate) async fn answer_for_change(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        assessment_id: &str,
        node_id: &str,
    ) -> Result<(Tx, String)> {
        let mut tx = self.write_tx().await?;
        check_answerable(&mut tx, org_id, assessment_id, &[node_id.to_string()]).await?;
        let result = result_id(&mut tx, org_id, assessment_id, node_id, &ctx.actor).await?;
        Ok((tx, result))
    }

    /// The workspace of an assessment: the tree, every answer with its
    /// controls, the scores of every node and the improvement actions.
    pub async fn workspace(&self, org_id: &str, assessment_id: &str) -> Result<Workspace> {
        let mut conn = self.pool.acquire().await?;
        let assessment = assessment_in(&mut conn, org_id, assessment_id).await?;
        let framework = crate::frameworks::framework_in(&mut conn, org_id, &assessment.framework_id).await?;
        let nodes = crate::frameworks::nodes_in(&mut conn, org_id, &assessment.framework_id).await?;
        let mut tree = ScoringTree::load(&mut conn, org_id, &assessment.framework_id).await?;
        tree.scope(&assessment.fields.groups);
        let answers = answers_in(&mut conn, org_id, assessment_id, &tree).await?;
        let scorecard = tree.score(&answers, assessment.fields.roll_up);
        let rows = sqlx::query("SELECT * FROM requirement_results WHERE org_id = $1 AND assessment_id = $2")
            .bind(org_id)
            .bind(assessment_id)
            .fetch_all(&mut *conn)
            .await?;
        let links = sqlx::query(
            "SELECT rc.result_id, c.id, c.name, c.status, c.effort FROM result_controls rc \
             JOIN applied_controls c ON c.id = rc.control_id AND c.org_id = rc.org_id \
             JOIN requirement_results r ON r.id = rc.result_id \
             WHERE rc.org_id = $1 AND r.assessment_id = $2 ORDER BY c.name",
        )
        .bind(org_id)
        .bind(assessment_id)
        .fetch_all(&mut *conn)
        .await?;
        let mut controls: HashMap<String, Vec<(ControlLink, Option<Effort>)>> = HashMap::new();
        for l in &links {
            let effort: Option<String> = l.try_get("effort")?;
            controls.entry(l.try_get("result_id")?).or_default().push((
                ControlLink {
                    id: l.try_get("id")?,
                    name: l.try_get("name")?,
                    status: ControlStatus::parse(&l.try_get::<String, _>("status")?)?,
                },
                effort.as_deref().map(Effort::parse).transpose()?,
            ));
        }
        let evidence_rows =
            sqlx::query(&format!("{} AND r.assessment_id = $2 ORDER BY e.added_at, e.id", crate::evidence::SELECT))
                .bind(org_id)
                .bind(assessment_id)
                .fetch_all(&mut *conn)
                .await?;
        let mut evidence: HashMap<String, Vec<crate::Evidence>> = HashMap::new();
        for row in &evidence_rows {
            let e = crate::evidence::from_row(row)?;
            evidence.entry(e.node_id.clone()).or_default().push(e);
        }
        let position: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
        let mut results: Vec<Option<RequirementResult>> = vec![None; nodes.len()];
        let mut effort = vec![effort_units(None); nodes.len()];
        for r in &rows {
            let node_id: String = r.try_get("node_id")?;
            let Some(&i) = position.get(node_id.as_str()) else { continue };
            let linked = controls.remove(&r.try_get::<String, _>("id")?).unwrap_or_default();
            // The cheapest control still to finish tells the effort left.
            if let Some(e) = linked
                .iter()
                .filter(|(c, _)| !matches!(c.status, ControlStatus::Active | ControlStatus::Retired))
                .map(|(_, e)| effort_units(*e))
                .min_by(f64::total_cmp)
            {
                effort[i] = e;
            }
            let attached = evidence.remove(&node_id).unwrap_or_default();
            results[i] = Some(RequirementResult {
                node_id,
                fields: ResultFields {
                    result: ResultKind::parse(&r.try_get::<String, _>("result")?)?,
                    score: r.try_get::<Option<i64>, _>("score")?.and_then(|s| i32::try_from(s).ok()),
                    target: r.try_get::<Option<i64>, _>("target")?.and_then(|s| i32::try_from(s).ok()),
                    observation: r.try_get("observation")?,
                    justification: r.try_get("justification")?,
                    owner: r.try_get("owner")?,
                },
                controls: linked.into_iter().map(|(c, _)| c).collect(),
                evidence: attached,
                updated_by: r.try_get("updated_by")?,
                updated_at: r.try_get("updated_at")?,
            });
        }
        let ranked = improvements(&tree.nodes, &answers, tree.scale_range(), &effort);
        let (inferred, merged) = with_inferred(&mut conn, org_id, &framework.urn, &tree, &answers).await?;
        let with_inferred = tree.score(&merged, assessment.fields.roll_up).overall;
        Ok(Workspace {
            inferred,
            with_inferred,
            in_scope: tree.nodes.iter().map(|n| n.counts).collect(),
            assessment,
            framework,
            nodes,
            results,
            scorecard,
            improvements: ranked,
        })
    }
}
