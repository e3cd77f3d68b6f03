//! Framework libraries an organisation has loaded: the header and the
//! requirement tree. A newer version of a loaded URN upgrades it in place,
//! matching nodes by ref_id so that everything attached to a node survives;
//! nodes the new version dropped are kept as withdrawn.

use std::collections::HashMap;

use rampart_domain::audit::AuditEvent;
use rampart_domain::{Page, PageRequest, new_id};
use rampart_frameworks::{ImplementationGroup, Importance, Library, Requirement, ScoreLevel};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Where a loaded library came from.
pub const SOURCE_BUILT_IN: &str = "built-in";
pub const SOURCE_YAML: &str = "yaml";
pub const SOURCE_OSCAL: &str = "oscal";

/// A loaded library's header, with the size of its tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Framework {
    pub id: String,
    pub urn: String,
    pub version: u32,
    pub name: String,
    pub provider: String,
    pub description: String,
    pub copyright: String,
    pub score_scale: Vec<ScoreLevel>,
    pub groups: Vec<ImplementationGroup>,
    /// `built-in`, `yaml` or `oscal`.
    pub source: String,
    pub nodes: i64,
    pub assessable: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One stored node of a framework's tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequirementNode {
    pub id: String,
    pub depth: u32,
    #[serde(flatten)]
    pub requirement: Requirement,
}

/// What loading a library did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrameworkImport {
    pub framework: Framework,
    /// The version replaced by an upgrade; `None` for a first load.
    pub previous_version: Option<u32>,
    pub created: u64,
    pub updated: u64,
    pub withdrawn: u64,
}

/// What adding a source's text to a loaded framework did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrameworkEnrichment {
    pub framework: Framework,
    /// Nodes whose statement, guidance and source data were taken from the source.
    pub enriched: u64,
    /// Ref ids of the source that the framework does not have.
    pub not_in_framework: Vec<String>,
}

/// Rows per multi-row INSERT: 18 parameters each stays far below both
/// databases' limits on bound parameters.
const NODE_BATCH: usize = 200;
const NODE_COLUMNS: &str = "id, org_id, framework_id, ref_id, parent_ref, seq, depth, title, statement, guidance, \
                            evidence, assessable, weight, importance, node_groups, node_function, withdrawn, extra";

fn json_text<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_string())
}

fn json_column<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Io(format!("{column}: {e}")))
}

fn framework_from_row(r: &AnyRow) -> Result<Framework> {
    Ok(Framework {
        id: r.try_get("id")?,
        urn: r.try_get("urn")?,
        version: u32::try_from(r.try_get::<i64, _>("version")?).unwrap_or(0),
        name: r.try_get("name")?,
        provider: r.try_get("provider")?,
        description: r.try_get("description")?,
        copyright: r.try_get("copyright")?,
        score_scale: json_column(r, "score_scale")?,
        groups: json_column(r, "implementation_groups")?,
        source: r.try_get("source")?,
        nodes: r.try_get("nodes")?,
        assessable: r.try_get("assessable_nodes")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn node_from_row(r: &AnyRow) -> Result<RequirementNode> {
    let extra: Option<String> = r.try_get("extra")?;
    Ok(RequirementNode {
        id: r.try_get("id")?,
        depth: u32::try_from(r.try_get::<i64, _>("depth")?).unwrap_or(0),
        requirement: Requirement {
            ref_id: r.try_get("ref_id")?,
            parent: r.try_get("parent_ref")?,
            title: r.try_get("title")?,
            statement: r.try_get("statement")?,
            guidance: r.try_get("guidance")?,
            evidence: json_column(r, "evidence")?,
            assessable: r.try_get::<i64, _>("assessable")? != 0,
            weight: u32::try_from(r.try_get::<i64, _>("weight")?).unwrap_or(0),
            importance: r.try_get::<Option<String>, _>("importance")?.as_deref().and_then(Importance::parse),
            groups: json_column(r, "node_groups")?,
            function: r.try_get("node_function")?,
            withdrawn: r.try_get::<i64, _>("withdrawn")? != 0,
            extra: extra.and_then(|e| serde_json::from_str(&e).ok()),
        },
    })
}

/// The header with its node counts; `$1` is the organisation.
const FRAMEWORK_SELECT: &str = "SELECT f.*, \
     (SELECT COUNT(*) FROM requirement_nodes n WHERE n.framework_id = f.id) AS nodes, \
     (SELECT COUNT(*) FROM requirement_nodes n WHERE n.framework_id = f.id AND n.assessable = 1) AS assessable_nodes \
     FROM frameworks f WHERE f.org_id = $1";

pub(crate) async fn framework_in(conn: &mut sqlx::AnyConnection, org_id: &str, id: &str) -> Result<Framework> {
    let row = sqlx::query(&format!("{FRAMEWORK_SELECT} AND f.id = $2"))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(framework_from_row).transpose()?.ok_or(StoreError::NotFound)
}

/// The tree in document order, withdrawn nodes last (the order scoring walks).
pub(crate) async fn nodes_in(
    conn: &mut sqlx::AnyConnection,
    org_id: &str,
    framework_id: &str,
) -> Result<Vec<RequirementNode>> {
    let rows = sqlx::query(
        "SELECT * FROM requirement_nodes WHERE org_id = $1 AND framework_id = $2 ORDER BY withdrawn, seq, ref_id",
    )
    .bind(org_id)
    .bind(framework_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(node_from_row).collect()
}

/// `NotFound` unless the framework belongs to the organisation.
pub(crate) async fn framework_exists(tx: &mut Tx, org_id: &str, id: &str) -> Result<()> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM frameworks WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

impl Store {
    /// Loads a library into the organisation, or upgrades the loaded one of
    /// the same URN to this higher version. The same or a lower version is
    /// refused (409) and nothing changes.
    pub async fn import_framework(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        library: &Library,
        source: &str,
    ) -> Result<FrameworkImport> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let existing: Option<(String, i64)> =
            sqlx::query_as("SELECT id, version FROM frameworks WHERE org_id = $1 AND urn = $2")
                .bind(org_id)
                .bind(&library.urn)
                .fetch_optional(&mut *tx)
                .await?;
        let (id, previous_version, counts) = match existing {
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO frameworks (id, org_id, urn, version, name, provider, description, copyright, \
                     score_scale, implementation_groups, source, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
                )
                .bind(&id)
                .bind(org_id)
                .bind(&library.urn)
                .bind(i64::from(library.version))
                .bind(&library.name)
                .bind(&library.provider)
                .bind(&library.description)
                .bind(&library.copyright)
                .bind(json_text(&library.score_scale))
                .bind(json_text(&library.groups))
                .bind(source)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::unique_as_conflict(e, "this library is being loaded by another request"))?;
                let nodes: Vec<_> = library.requirements.iter().zip(library.depths()).enumerate().collect();
                insert_nodes(&mut tx, org_id, &id, &nodes).await?;
                (id, None, (nodes.len() as u64, 0, 0))
            }
            Some((id, loaded)) => {
                let loaded = u32::try_from(loaded).unwrap_or(0);
                if library.version <= loaded {
                    let what =
                        if library.version == loaded { "is already loaded" } else { "is older than the loaded one" };
                    return Err(StoreError::Conflict(format!(
                        "{} version {} {what} (version {loaded}): nothing was changed. To upgrade, load a higher version; a downgrade is refused",
                        library.urn, library.version
                    )));
                }
                let counts = upgrade(&mut tx, org_id, &id, library, source, now).await?;
                let assessed: Vec<String> =
                    sqlx::query_scalar("SELECT id FROM assessments WHERE org_id = $1 AND framework_id = $2")
                        .bind(org_id)
                        .bind(&id)
                        .fetch_all(&mut *tx)
                        .await?;
                for assessment in assessed {
                    crate::assessments::refresh_summary(&mut tx, org_id, &assessment, None).await?;
                }
                (id, Some(loaded), counts)
            }
        };
        let framework = framework_in(&mut tx, org_id, &id).await?;
        let (created, updated, withdrawn) = counts;
        let state = serde_json::json!({
            "urn": library.urn, "version": library.version, "previous_version": previous_version,
            "source": source, "created": created, "updated": updated, "withdrawn": withdrawn
        });
        let action = if previous_version.is_some() { "framework.upgrade" } else { "framework.import" };
        audit::append(&mut tx, org_id, ctx, AuditEvent::new(action, "framework", &id, Some(&state))).await?;
        tx.commit().await?;
        Ok(FrameworkImport { framework, previous_version, created, updated, withdrawn })
    }

    /// The organisation's frameworks by name (ties broken by id); the cursor
    /// is `name\u{1f}id`.
    pub async fn list_frameworks(&self, org_id: &str, page: &PageRequest) -> Result<Page<Framework>> {
        let (after_name, after_id) = page.after.as_deref().and_then(|a| a.split_once('\u{1f}')).unwrap_or(("", ""));
        let rows = sqlx::query(&format!(
            "{FRAMEWORK_SELECT} AND (f.name > $2 OR (f.name = $2 AND f.id > $3)) ORDER BY f.name, f.id LIMIT $4"
        ))
        .bind(org_id)
        .bind(after_name)
        .bind(after_id)
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(framework_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page.limit, |f| format!("{}\u{1f}{}", f.name, f.id)))
    }

    pub async fn framework(&self, org_id: &str, id: &str) -> Result<Framework> {
        framework_in(&mut *self.pool.acquire().await?, org_id, id).await
    }

    /// The loaded framework with this URN.
    pub async fn framework_by_urn(&self, org_id: &str, urn: &str) -> Result<Framework> {
        let row = sqlx::query(&format!("{FRAMEWORK_SELECT} AND f.urn = $2"))
            .bind(org_id)
            .bind(urn)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(framework_from_row).transpose()?.ok_or(StoreError::NotFound)
    }

    /// The whole tree of a framework in document order (withdrawn nodes last).
    pub async fn requirement_nodes(&self, org_id: &str, framework_id: &str) -> Result<Vec<RequirementNode>> {
        nodes_in(&mut *self.pool.acquire().await?, org_id, framework_id).await
    }

    /// A loaded framework as a library again, for export.
    pub async fn framework_library(&self, org_id: &str, framework_id: &str) -> Result<Library> {
        let f = self.framework(org_id, framework_id).await?;
        let nodes = self.requirement_nodes(org_id, framework_id).await?;
        Ok(Library {
            urn: f.urn,
            version: f.version,
            name: f.name,
            provider: f.provider,
            description: f.description,
            copyright: f.copyright,
            score_scale: f.score_scale,
            groups: f.groups,
            requirements: nodes.into_iter().map(|n| n.requirement).collect(),
        })
    }

    /// Adds the text of another source of the same framework (NIST's OSCAL
    /// catalog for the CSF outline) to the loaded nodes with the same ref_id:
    /// its statement, guidance and source data. Titles, the tree and
    /// everything attached to the nodes stay.
    pub async fn enrich_framework(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        framework_id: &str,
        source: &Library,
    ) -> Result<FrameworkEnrichment> {
        let mut tx = self.write_tx().await?;
        framework_in(&mut tx, org_id, framework_id).await?;
        let rows = sqlx::query("SELECT ref_id FROM requirement_nodes WHERE framework_id = $1 AND org_id = $2")
            .bind(framework_id)
            .bind(org_id)
            .fetch_all(&mut *tx)
            .await?;
        let loaded: std::collections::HashSet<String> =
            rows.iter().map(|r| r.try_get("ref_id")).collect::<std::result::Result<_, _>>()?;
        let mut enriched = 0;
        let mut not_in_framework = Vec::new();
        for r in &source.requirements {
            if !loaded.contains(&r.ref_id) {
                not_in_framework.push(r.ref_id.clone());
                continue;
            }
            sqlx::query(
                "UPDATE requirement_nodes SET statement = CASE WHEN $1 = '' THEN statement ELSE $1 END, \
                 guidance = CASE WHEN $2 = '' THEN guidance ELSE $2 END, extra = COALESCE($3, extra) \
                 WHERE framework_id = $4 AND org_id = $5 AND ref_id = $6",
            )
            .bind(&r.statement)
            .bind(&r.guidance)
            .bind(r.extra.as_ref().map(json_text))
            .bind(framework_id)
            .bind(org_id)
            .bind(&r.ref_id)
            .execute(&mut *tx)
            .await?;
            enriched += 1;
        }
        sqlx::query("UPDATE frameworks SET updated_at = $1 WHERE id = $2 AND org_id = $3")
            .bind(now_ms())
            .bind(framework_id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        let state = serde_json::json!({"source": source.urn, "source_version": source.version, "enriched": enriched, "not_in_framework": not_in_framework.len()});
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("framework.enrich", "framework", framework_id, Some(&state)),
        )
        .await?;
        let framework = framework_in(&mut tx, org_id, framework_id).await?;
        tx.commit().await?;
        Ok(FrameworkEnrichment { framework, enriched, not_in_framework })
    }

    /// Removes a framework and its tree.
    pub async fn delete_framework(&self, ctx: &ChangeContext, org_id: &str, id: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let urn: Option<String> = sqlx::query_scalar("SELECT urn FROM frameworks WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?;
        let urn = urn.ok_or(StoreError::NotFound)?;
        let assessed: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM assessments WHERE org_id = $1 AND framework_id = $2")
                .bind(org_id)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        if assessed > 0 {
            return Err(StoreError::Conflict(format!("{urn} is used by {assessed} assessment(s): delete those first")));
        }
        sqlx::query("DELETE FROM requirement_nodes WHERE framework_id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM frameworks WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        let state = serde_json::json!({"urn": urn});
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("framework.delete", "framework", id, Some(&state))).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Applies a higher version to a loaded framework; returns (created, updated, withdrawn).
async fn upgrade(
    tx: &mut Tx,
    org_id: &str,
    id: &str,
    library: &Library,
    source: &str,
    now: i64,
) -> Result<(u64, u64, u64)> {
    sqlx::query(
        "UPDATE frameworks SET version = $1, name = $2, provider = $3, description = $4, copyright = $5, \
         score_scale = $6, implementation_groups = $7, source = $8, updated_at = $9 WHERE id = $10 AND org_id = $11",
    )
    .bind(i64::from(library.version))
    .bind(&library.name)
    .bind(&library.provider)
    .bind(&library.description)
    .bind(&library.copyright)
    .bind(json_text(&library.score_scale))
    .bind(json_text(&library.groups))
    .bind(source)
    .bind(now)
    .bind(id)
    .bind(org_id)
    .execute(&mut **tx)
    .await?;
    let rows = sqlx::query("SELECT id, ref_id FROM requirement_nodes WHERE framework_id = $1 AND org_id = $2")
        .bind(id)
        .bind(org_id)
        .fetch_all(&mut **tx)
        .await?;
    let mut loaded: HashMap<String, String> = HashMap::with_capacity(rows.len());
    for row in &rows {
        loaded.insert(row.try_get("ref_id")?, row.try_get("id")?);
    }
    let mut fresh = Vec::new();
    let mut updated = 0;
    for (seq, (r, depth)) in library.requirements.iter().zip(library.depths()).enumerate() {
        let Some(node_id) = loaded.remove(&r.ref_id) else {
            fresh.push((seq, (r, depth)));
            continue;
        };
        let update = sqlx::query(
            "UPDATE requirement_nodes SET parent_ref = $1, seq = $2, depth = $3, title = $4, statement = $5, \
             guidance = $6, evidence = $7, assessable = $8, weight = $9, importance = $10, node_groups = $11, \
             node_function = $12, withdrawn = $13, extra = $14 WHERE id = $15 AND org_id = $16",
        );
        bind_requirement(update, r, seq, depth).bind(&node_id).bind(org_id).execute(&mut **tx).await?;
        updated += 1;
    }
    insert_nodes(tx, org_id, id, &fresh).await?;
    let gone: Vec<String> = loaded.into_values().collect();
    for node_id in &gone {
        sqlx::query("UPDATE requirement_nodes SET withdrawn = 1, assessable = 0 WHERE id = $1 AND org_id = $2")
            .bind(node_id)
            .bind(org_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok((fresh.len() as u64, updated, gone.len() as u64))
}

/// Binds a node's fields in column order from `parent_ref` to `extra`, as
/// both the INSERT and the UPDATE of a node list them.
fn bind_requirement<'q>(
    query: crate::AnyQuery<'q>,
    r: &'q Requirement,
    seq: usize,
    depth: usize,
) -> crate::AnyQuery<'q> {
    query
        .bind(r.parent.as_deref())
        .bind(seq as i64)
        .bind(depth as i64)
        .bind(&r.title)
        .bind(&r.statement)
        .bind(&r.guidance)
        .bind(json_text(&r.evidence))
        .bind(i64::from(r.assessable))
        .bind(i64::from(r.weight))
        .bind(r.importance.map(Importance::as_str))
        .bind(json_text(&r.groups))
        .bind(r.function.as_deref())
        .bind(i64::from(r.withdrawn))
        .bind(r.extra.as_ref().map(json_text))
}

/// Inserts nodes given as (document position, (requirement, depth)), in
/// multi-row statements.
async fn insert_nodes(
    tx: &mut Tx,
    org_id: &str,
    framework_id: &str,
    nodes: &[(usize, (&Requirement, usize))],
) -> Result<()> {
    for batch in nodes.chunks(NODE_BATCH) {
        let placeholders: Vec<String> = (0..batch.len())
            .map(|row| {
                let cells: Vec<String> = (1..=18).map(|c| format!("${}", row * 18 + c)).collect();
                format!("({})", cells.join(", "))
            })
            .collect();
        let sql = format!("INSERT INTO requirement_nodes ({NODE_COLUMNS}) VALUES {}", placeholders.join(", "));
        let mut query = sqlx::query(&sql);
        for (seq, (r, depth)) in batch {
            query =
                bind_requirement(query.bind(new_id()).bind(org_id).bind(framework_id).bind(&r.ref_id), r, *seq, *depth);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}
