//! Moving all data out of and into a database: `export`/`import` (a directory,
//! one JSON Lines file per table) and `backup`/`restore` (one file).
//!
//! Both read every table inside one transaction, so the copy is a consistent
//! snapshot taken while the server keeps running, and both write rows in the
//! same portable JSON: a SQLite backup restores into PostgreSQL and back.

use std::io::{BufRead, Write};
use std::path::Path;

use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::{Backend, Result, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
}

struct Table {
    name: &'static str,
    /// Columns that order rows stably (the primary key).
    key: &'static str,
    columns: &'static [(&'static str, Kind)],
}

use Kind::{Int, Text};

/// Every table, parents before children (the order rows are inserted in).
const TABLES: &[Table] = &[
    Table {
        name: "organisations",
        key: "id",
        columns: &[("id", Text), ("name", Text), ("kind", Text), ("created_at", Int)],
    },
    Table {
        name: "users",
        key: "id",
        columns: &[
            ("id", Text),
            ("email", Text),
            ("password_hash", Text),
            ("superadmin", Int),
            ("created_at", Int),
            ("password_changed_at", Int),
        ],
    },
    Table {
        name: "memberships",
        key: "org_id, user_id",
        columns: &[("org_id", Text), ("user_id", Text), ("role", Text), ("created_at", Int)],
    },
    Table {
        name: "sessions",
        key: "id_hash",
        columns: &[
            ("id_hash", Text),
            ("user_id", Text),
            ("org_id", Text),
            ("csrf_token", Text),
            ("created_at", Int),
            ("last_seen_at", Int),
            ("expires_at", Int),
        ],
    },
    Table {
        name: "api_tokens",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("user_id", Text),
            ("name", Text),
            ("token_hash", Text),
            ("display_prefix", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("revoked_at", Int),
            ("last_used_at", Int),
        ],
    },
    Table { name: "login_failures", key: "id", columns: &[("id", Text), ("subject", Text), ("at", Int)] },
    Table {
        name: "assets",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("name", Text),
            ("kind", Text),
            ("description", Text),
            ("owner", Text),
            ("confidentiality", Text),
            ("integrity", Text),
            ("availability", Text),
            ("critical", Int),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "asset_dependencies",
        key: "asset_id, depends_on_id",
        columns: &[("org_id", Text), ("asset_id", Text), ("depends_on_id", Text)],
    },
    Table {
        name: "vulnerabilities",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("title", Text),
            ("cve_id", Text),
            ("description", Text),
            ("cvss_vector", Text),
            ("cvss_score_tenths", Int),
            ("severity", Text),
            ("status", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "vulnerability_assets",
        key: "vulnerability_id, asset_id",
        columns: &[("org_id", Text), ("vulnerability_id", Text), ("asset_id", Text)],
    },
    Table {
        name: "threats",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("name", Text),
            ("category", Text),
            ("description", Text),
            ("source", Text),
            ("external_id", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "applied_controls",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("name", Text),
            ("description", Text),
            ("status", Text),
            ("owner", Text),
            ("eta", Text),
            ("effort", Text),
            ("annual_cost", Int),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "risk_settings",
        key: "org_id",
        columns: &[("org_id", Text), ("matrix", Text), ("tolerance", Text), ("updated_at", Int)],
    },
    Table {
        name: "risk_scenarios",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("name", Text),
            ("description", Text),
            ("owner", Text),
            ("threat_id", Text),
            ("inherent_likelihood", Int),
            ("inherent_impact", Int),
            ("inherent_level", Int),
            ("current_likelihood", Int),
            ("current_impact", Int),
            ("current_level", Int),
            ("residual_likelihood", Int),
            ("residual_impact", Int),
            ("residual_level", Int),
            ("target_likelihood", Int),
            ("target_impact", Int),
            ("target_level", Int),
            ("treatment", Text),
            ("review_every_days", Int),
            ("last_reviewed_at", Int),
            ("fair_model", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "risk_scenario_assets",
        key: "scenario_id, asset_id",
        columns: &[("org_id", Text), ("scenario_id", Text), ("asset_id", Text)],
    },
    Table {
        name: "risk_scenario_vulnerabilities",
        key: "scenario_id, vulnerability_id",
        columns: &[("org_id", Text), ("scenario_id", Text), ("vulnerability_id", Text)],
    },
    Table {
        name: "risk_scenario_controls",
        key: "scenario_id, control_id",
        columns: &[("org_id", Text), ("scenario_id", Text), ("control_id", Text)],
    },
    Table {
        name: "risk_acceptances",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("scenario_id", Text),
            ("state", Text),
            ("justification", Text),
            ("approver_id", Text),
            ("submitted_by", Text),
            ("submitted_at", Int),
            ("expires_at", Int),
            ("remind_days", Int),
            ("decided_by", Text),
            ("decided_at", Int),
            ("decision_note", Text),
        ],
    },
    Table {
        name: "quant_runs",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("scenario_id", Text),
            ("iterations", Int),
            ("seed", Text),
            ("mode", Text),
            ("engine_version", Text),
            ("model", Text),
            ("result", Text),
            ("created_by", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "frameworks",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("urn", Text),
            ("version", Int),
            ("name", Text),
            ("provider", Text),
            ("description", Text),
            ("copyright", Text),
            ("score_scale", Text),
            ("implementation_groups", Text),
            ("source", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "requirement_nodes",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("framework_id", Text),
            ("ref_id", Text),
            ("parent_ref", Text),
            ("seq", Int),
            ("depth", Int),
            ("title", Text),
            ("statement", Text),
            ("guidance", Text),
            ("evidence", Text),
            ("assessable", Int),
            ("weight", Int),
            ("importance", Text),
            ("node_groups", Text),
            ("node_function", Text),
            ("withdrawn", Int),
            ("extra", Text),
        ],
    },
    Table {
        name: "assessments",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("framework_id", Text),
            ("name", Text),
            ("description", Text),
            ("scope_asset_id", Text),
            ("selected_groups", Text),
            ("roll_up", Text),
            ("status", Text),
            ("due_date", Text),
            ("summary", Text),
            ("created_by", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "assessment_people",
        key: "assessment_id, user_id, role",
        columns: &[("org_id", Text), ("assessment_id", Text), ("user_id", Text), ("role", Text)],
    },
    Table {
        name: "requirement_results",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("assessment_id", Text),
            ("node_id", Text),
            ("result", Text),
            ("score", Int),
            ("target", Int),
            ("observation", Text),
            ("justification", Text),
            ("owner", Text),
            ("updated_by", Text),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "result_controls",
        key: "result_id, control_id",
        columns: &[("org_id", Text), ("result_id", Text), ("control_id", Text)],
    },
    Table {
        name: "evidence",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("result_id", Text),
            ("kind", Text),
            ("name", Text),
            ("url", Text),
            ("sha256", Text),
            ("size", Int),
            ("content_type", Text),
            ("expires_on", Text),
            ("added_by", Text),
            ("added_at", Int),
        ],
    },
    Table {
        name: "assessment_snapshots",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("assessment_id", Text),
            ("taken_at", Int),
            ("reason", Text),
            ("status", Text),
            ("summary", Text),
        ],
    },
    Table {
        name: "mapping_sets",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("urn", Text),
            ("version", Int),
            ("name", Text),
            ("description", Text),
            ("source_urn", Text),
            ("target_urn", Text),
            ("source", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "requirement_mappings",
        key: "set_id, source_ref, target_ref",
        columns: &[
            ("org_id", Text),
            ("set_id", Text),
            ("source_ref", Text),
            ("target_ref", Text),
            ("relationship", Text),
            ("strength", Int),
        ],
    },
    Table {
        name: "incidents",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("title", Text),
            ("description", Text),
            ("category", Text),
            ("severity", Int),
            ("tlp", Text),
            ("pap", Text),
            ("determination", Text),
            ("impact_c", Int),
            ("impact_i", Int),
            ("impact_a", Int),
            ("estimated_cost", Int),
            ("people_affected", Int),
            ("cross_border", Int),
            ("reporter", Text),
            ("owner", Text),
            ("team", Text),
            ("occurred_at", Int),
            ("detected_at", Int),
            ("aware_at", Int),
            ("classified_at", Int),
            ("state", Text),
            ("state_changed_at", Int),
            ("created_by", Text),
            ("created_at", Int),
            ("updated_at", Int),
            ("merged_into", Text),
        ],
    },
    Table {
        name: "incident_regimes",
        key: "incident_id, regime",
        columns: &[("org_id", Text), ("incident_id", Text), ("regime", Text)],
    },
    Table {
        name: "incident_submissions",
        key: "incident_id, regime, obligation",
        columns: &[
            ("org_id", Text),
            ("incident_id", Text),
            ("regime", Text),
            ("obligation", Text),
            ("submitted_at", Int),
            ("reference", Text),
            ("submitted_by", Text),
        ],
    },
    Table {
        name: "incident_events",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("incident_id", Text),
            ("at", Int),
            ("actor", Text),
            ("kind", Text),
            ("from_state", Text),
            ("to_state", Text),
            ("text", Text),
            ("tactic", Text),
            ("technique", Text),
            ("origin", Text),
        ],
    },
    Table {
        name: "observables",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("incident_id", Text),
            ("kind", Text),
            ("value", Text),
            ("ioc", Int),
            ("sighted", Int),
            ("tlp", Text),
            ("added_by", Text),
            ("added_at", Int),
        ],
    },
    Table {
        name: "incident_tasks",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("incident_id", Text),
            ("title", Text),
            ("assignee_id", Text),
            ("due_at", Int),
            ("status", Text),
            ("created_by", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "case_templates",
        key: "org_id, category",
        columns: &[("org_id", Text), ("category", Text), ("name", Text), ("tasks", Text), ("updated_at", Int)],
    },
    Table {
        name: "public_report_pages",
        key: "org_id",
        columns: &[("org_id", Text), ("slug", Text), ("is_open", Int), ("updated_at", Int)],
    },
    Table {
        name: "incident_assets",
        key: "incident_id, asset_id",
        columns: &[("org_id", Text), ("incident_id", Text), ("asset_id", Text)],
    },
    Table {
        name: "incident_relations",
        key: "incident_id, related_id",
        columns: &[("org_id", Text), ("incident_id", Text), ("related_id", Text)],
    },
    Table {
        name: "incident_followups",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("incident_id", Text),
            ("kind", Text),
            ("target_id", Text),
            ("action", Text),
            ("done", Int),
            ("created_by", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "incident_evidence",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("incident_id", Text),
            ("name", Text),
            ("description", Text),
            ("sha256", Text),
            ("size", Int),
            ("content_type", Text),
            ("acquired_at", Int),
            ("acquired_by", Text),
            ("added_by", Text),
            ("added_at", Int),
        ],
    },
    Table {
        name: "evidence_custody",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("evidence_id", Text),
            ("at", Int),
            ("actor", Text),
            ("action", Text),
            ("holder", Text),
            ("note", Text),
        ],
    },
    Table {
        name: "notification_channels",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("name", Text),
            ("kind", Text),
            ("target", Text),
            ("secret", Text),
            ("events", Text),
            ("enabled", Int),
            ("created_by", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "notification_outbox",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("channel_id", Text),
            ("event", Text),
            ("subject", Text),
            ("payload", Text),
            ("state", Text),
            ("attempts", Int),
            ("next_attempt_at", Int),
            ("lease_until", Int),
            ("last_error", Text),
            ("created_at", Int),
            ("delivered_at", Int),
        ],
    },
    Table {
        name: "notification_marks",
        key: "org_id, mark",
        columns: &[("org_id", Text), ("mark", Text), ("marked_at", Int)],
    },
    Table {
        name: "communities",
        key: "id",
        columns: &[("id", Text), ("name", Text), ("description", Text), ("created_by_org", Text), ("created_at", Int)],
    },
    Table {
        name: "community_members",
        key: "community_id, org_id",
        columns: &[
            ("community_id", Text),
            ("org_id", Text),
            ("role", Text),
            ("state", Text),
            ("invited_at", Int),
            ("joined_at", Int),
        ],
    },
    Table {
        name: "community_connections",
        key: "community_id, connected_id",
        columns: &[("community_id", Text), ("connected_id", Text)],
    },
    Table { name: "org_clients", key: "org_id, client_org_id", columns: &[("org_id", Text), ("client_org_id", Text)] },
    Table {
        name: "shared_items",
        key: "id",
        columns: &[
            ("id", Text),
            ("owner_org", Text),
            ("community_id", Text),
            ("kind", Text),
            ("title", Text),
            ("body", Text),
            ("tlp", Text),
            ("distribution", Text),
            ("reach", Text),
            ("created_by", Text),
            ("created_at", Int),
        ],
    },
    Table { name: "shared_item_recipients", key: "item_id, org_id", columns: &[("item_id", Text), ("org_id", Text)] },
    Table {
        name: "shared_item_acks",
        key: "item_id, org_id",
        columns: &[("item_id", Text), ("org_id", Text), ("acknowledged_by", Text), ("acknowledged_at", Int)],
    },
    Table {
        name: "indicator_patterns",
        key: "item_id",
        columns: &[("item_id", Text), ("pattern", Text), ("exact", Int)],
    },
    Table {
        name: "indicator_values",
        key: "item_id, kind, value",
        columns: &[("item_id", Text), ("kind", Text), ("value", Text)],
    },
    Table {
        name: "sightings",
        key: "id",
        columns: &[
            ("id", Text),
            ("item_id", Text),
            ("org_id", Text),
            ("observable_id", Text),
            ("incident_id", Text),
            ("seen_at", Int),
        ],
    },
    Table {
        name: "shared_item_files",
        key: "id",
        columns: &[
            ("id", Text),
            ("item_id", Text),
            ("name", Text),
            ("content_type", Text),
            ("size", Int),
            ("sha256", Text),
            ("added_by", Text),
            ("added_at", Int),
        ],
    },
    Table {
        name: "incident_shares",
        key: "item_id",
        columns: &[("item_id", Text), ("org_id", Text), ("incident_id", Text)],
    },
    Table {
        name: "shared_item_observables",
        key: "item_id, kind, value",
        columns: &[("item_id", Text), ("kind", Text), ("value", Text)],
    },
    Table {
        name: "stix_collections",
        key: "id",
        columns: &[
            ("id", Text),
            ("title", Text),
            ("description", Text),
            ("org_id", Text),
            ("community_id", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "stix_objects",
        key: "collection_id, id, version",
        columns: &[
            ("collection_id", Text),
            ("id", Text),
            ("version", Text),
            ("version_us", Int),
            ("type", Text),
            ("spec_version", Text),
            ("tlp", Text),
            ("body", Text),
            ("date_added", Int),
            ("seq", Int),
            ("pull_id", Text),
        ],
    },
    Table {
        name: "taxii_statuses",
        key: "id",
        columns: &[("id", Text), ("org_id", Text), ("body", Text), ("created_at", Int)],
    },
    Table {
        name: "taxii_subscriptions",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("collection_id", Text),
            ("title", Text),
            ("api_root", Text),
            ("remote_collection", Text),
            ("auth_kind", Text),
            ("username", Text),
            ("secret_sealed", Text),
            ("pull_every_minutes", Int),
            ("next_pull_at", Int),
            ("leased_until", Int),
            ("added_after", Text),
            ("last_pull_at", Int),
            ("last_error", Text),
            ("created_by", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "taxii_pulls",
        key: "id",
        columns: &[
            ("id", Text),
            ("subscription_id", Text),
            ("org_id", Text),
            ("collection_id", Text),
            ("source_url", Text),
            ("started_at", Int),
            ("finished_at", Int),
            ("pages", Int),
            ("added", Int),
            ("present", Int),
            ("refused", Int),
            ("added_after_from", Text),
            ("added_after_to", Text),
            ("error", Text),
        ],
    },
    Table {
        name: "regulatory_rules",
        key: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("regime", Text),
            ("obligation", Text),
            ("name", Text),
            ("anchor", Text),
            ("offset_minutes", Int),
            ("latest_anchor", Text),
            ("latest_offset_minutes", Int),
            ("seq", Int),
        ],
    },
    Table { name: "audit_heads", key: "chain", columns: &[("chain", Text), ("seq", Int), ("hash", Text)] },
    Table {
        name: "audit_records",
        key: "chain, seq",
        columns: &[
            ("chain", Text),
            ("seq", Int),
            ("actor", Text),
            ("action", Text),
            ("object_type", Text),
            ("object_id", Text),
            ("state_digest", Text),
            ("at", Int),
            ("request_id", Text),
            ("prev_hash", Text),
            ("hash", Text),
        ],
    },
];

/// Rows are read in pages of this many, so memory stays flat on any size.
const PAGE: i64 = 1000;
const FORMAT: &str = "rampart-export";
const FORMAT_VERSION: i64 = 1;

fn io_err(context: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Io(format!("{context}: {e}"))
}

fn row_values(table: &Table, row: &AnyRow) -> Result<Value> {
    let values = table
        .columns
        .iter()
        .map(|&(col, kind)| {
            Ok(match kind {
                Text => row.try_get::<Option<String>, _>(col)?.map(Value::from).unwrap_or(Value::Null),
                Int => row.try_get::<Option<i64>, _>(col)?.map(Value::from).unwrap_or(Value::Null),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Value::Array(values))
}

/// Reads every row of `table` in key order, page by page, handing each to `each`.
async fn for_each_row(
    tx: &mut Transaction<'static, Any>,
    table: &Table,
    mut each: impl FnMut(Value) -> Result<()>,
) -> Result<u64> {
    let columns = table.columns.iter().map(|c| c.0).collect::<Vec<_>>().join(", ");
    let mut offset = 0i64;
    let mut count = 0u64;
    loop {
        // OFFSET is fine inside one snapshot: nothing moves between pages.
        let sql = format!("SELECT {columns} FROM {} ORDER BY {} LIMIT {PAGE} OFFSET {offset}", table.name, table.key);
        let rows = sqlx::query(&sql).fetch_all(&mut **tx).await?;
        for row in &rows {
            each(row_values(table, row)?)?;
            count += 1;
        }
        if (rows.len() as i64) < PAGE {
            return Ok(count);
        }
        offset += PAGE;
    }
}

async fn snapshot_tx(store: &Store) -> Result<Transaction<'static, Any>> {
    Ok(match store.backend {
        Backend::Sqlite => store.pool.begin().await?,
        Backend::Postgres => store.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?,
    })
}

fn header(store_schema: i64) -> Value {
    serde_json::json!({"format": FORMAT, "version": FORMAT_VERSION, "schema": store_schema, "created_at": crate::now_ms()})
}

/// What was copied: rows per table.
pub type Counts = Vec<(String, u64)>;

impl Store {
    async fn schema_version(&self) -> Result<i64> {
        Ok(self.applied_migrations().await?.last().map(|m| m.0).unwrap_or(0))
    }

    /// Writes a consistent snapshot of every table into one file.
    pub async fn backup(&self, out: &Path) -> Result<Counts> {
        let file = std::fs::File::create(out).map_err(|e| io_err(&format!("cannot create {}", out.display()), e))?;
        let mut w = std::io::BufWriter::new(file);
        let write_err = |e| io_err("cannot write the backup", e);
        writeln!(w, "{}", header(self.schema_version().await?)).map_err(write_err)?;
        let mut tx = snapshot_tx(self).await?;
        let mut counts = Vec::new();
        for table in TABLES {
            writeln!(w, "{}", serde_json::json!({"table": table.name, "columns": table.columns.iter().map(|c| c.0).collect::<Vec<_>>()})).map_err(write_err)?;
            let n = for_each_row(&mut tx, table, |row| writeln!(w, "{row}").map_err(write_err)).await?;
            counts.push((table.name.to_string(), n));
        }
        tx.rollback().await?;
        w.flush().map_err(write_err)?;
        w.get_ref().sync_all().map_err(write_err)?;
        Ok(counts)
    }

    /// Writes a consistent snapshot into `dir`: `manifest.json` and one
    /// `TABLE.jsonl` per table (a column header line, then one row per line).
    pub async fn export(&self, dir: &Path) -> Result<Counts> {
        std::fs::create_dir_all(dir).map_err(|e| io_err(&format!("cannot create {}", dir.display()), e))?;
        let mut tx = snapshot_tx(self).await?;
        let mut counts = Vec::new();
        for table in TABLES {
            let path = dir.join(format!("{}.jsonl", table.name));
            let file =
                std::fs::File::create(&path).map_err(|e| io_err(&format!("cannot create {}", path.display()), e))?;
            let mut w = std::io::BufWriter::new(file);
            let write_err = |e| io_err(&format!("cannot write {}", path.display()), e);
            writeln!(w, "{}", serde_json::json!(table.columns.iter().map(|c| c.0).collect::<Vec<_>>()))
                .map_err(write_err)?;
            let n = for_each_row(&mut tx, table, |row| writeln!(w, "{row}").map_err(write_err)).await?;
            w.flush().map_err(write_err)?;
            counts.push((table.name.to_string(), n));
        }
        tx.rollback().await?;
        let mut manifest = header(self.schema_version().await?);
        manifest["tables"] = serde_json::json!(
            counts.iter().map(|(t, n)| serde_json::json!({"table": t, "rows": n})).collect::<Vec<_>>()
        );
        std::fs::write(dir.join("manifest.json"), serde_json::to_string_pretty(&manifest).unwrap_or_default())
            .map_err(|e| io_err("cannot write manifest.json", e))?;
        Ok(counts)
    }

    /// True when the database holds no organisation and no user.
    pub async fn is_empty(&self) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT (SELECT COUNT(*) FROM organisations) + (SELECT COUNT(*) FROM users)")
            .fetch_one(&self.pool)
            .await?;
        Ok(n == 0)
    }

    /// Loads a backup file. Refuses a database that holds data unless `force`,
    /// which first deletes everything; either way it is one transaction.
    pub async fn restore(&self, file: &Path, force: bool) -> Result<Counts> {
        let reader = open_lines(file)?;
        let mut lines = reader.lines();
        let first = lines
            .next()
            .ok_or_else(|| StoreError::Io(format!("{} is empty", file.display())))?
            .map_err(|e| io_err("cannot read the backup", e))?;
        self.check_header(&first, &file.display().to_string()).await?;
        let mut tx = self.prepare_load(force).await?;
        let mut counts: Counts = Vec::new();
        let mut current: Option<(&Table, Vec<String>)> = None;
        for (n, line) in lines.enumerate() {
            let line = line.map_err(|e| io_err("cannot read the backup", e))?;
            let value: Value =
                serde_json::from_str(&line).map_err(|e| io_err(&format!("{} line {}", file.display(), n + 2), e))?;
            if let Some(name) = value.get("table").and_then(Value::as_str) {
                let table = TABLES
                    .iter()
                    .find(|t| t.name == name)
                    .ok_or_else(|| StoreError::Io(format!("unknown table {name} in the backup")))?;
                let columns =
                    serde_json::from_value(value["columns"].clone()).map_err(|e| io_err("bad column list", e))?;
                counts.push((name.to_string(), 0));
                current = Some((table, columns));
                continue;
            }
            let (table, columns) =
                current.as_ref().ok_or_else(|| StoreError::Io("backup rows before any table header".into()))?;
            insert_row(&mut tx, table, columns, value).await?;
            if let Some(last) = counts.last_mut() {
                last.1 += 1;
            }
        }
        tx.commit().await?;
        self.refresh_statistics().await?;
        Ok(counts)
    }

    /// Loads an exported directory into an empty database (or any, with `force`).
    pub async fn import(&self, dir: &Path, force: bool) -> Result<Counts> {
        let manifest = std::fs::read_to_string(dir.join("manifest.json"))
            .map_err(|e| io_err(&format!("{} is not an export (no manifest.json)", dir.display()), e))?;
        self.check_header(&manifest, &dir.join("manifest.json").display().to_string()).await?;
        let mut tx = self.prepare_load(force).await?;
        let mut counts = Vec::new();
        for table in TABLES {
            let path = dir.join(format!("{}.jsonl", table.name));
            let mut lines = open_lines(&path)?.lines();
            let read_err = |e| io_err(&format!("cannot read {}", path.display()), e);
            let header = lines
                .next()
                .ok_or_else(|| StoreError::Io(format!("{} is empty", path.display())))?
                .map_err(read_err)?;
            let columns: Vec<String> =
                serde_json::from_str(&header).map_err(|e| io_err(&format!("{} line 1", path.display()), e))?;
            let mut n = 0;
            for (i, line) in lines.enumerate() {
                let value = serde_json::from_str(&line.map_err(read_err)?)
                    .map_err(|e| io_err(&format!("{} line {}", path.display(), i + 2), e))?;
                insert_row(&mut tx, table, &columns, value).await?;
                n += 1;
            }
            counts.push((table.name.to_string(), n));
        }
        tx.commit().await?;
        self.refresh_statistics().await?;
        Ok(counts)
    }

    /// After a bulk load PostgreSQL's planner still believes the tables are
    /// empty until autovacuum runs; refresh its statistics now.
    async fn refresh_statistics(&self) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::raw_sql("ANALYZE").execute(&self.pool).await?;
        }
        Ok(())
    }

    async fn check_header(&self, text: &str, source: &str) -> Result<()> {
        let header: Value =
            serde_json::from_str(text).map_err(|e| io_err(&format!("{source} is not a Rampart export"), e))?;
        if header["format"] != FORMAT || header["version"] != FORMAT_VERSION {
            return Err(StoreError::Io(format!("{source} is not a Rampart export of format version {FORMAT_VERSION}")));
        }
        let ours = self.schema_version().await?;
        if header["schema"] != ours {
            return Err(StoreError::Io(format!(
                "{source} was written at schema version {}, this database is at {ours}: restore it with the Rampart version that wrote it",
                header["schema"]
            )));
        }
        Ok(())
    }

    async fn prepare_load(&self, force: bool) -> Result<Transaction<'static, Any>> {
        let mut tx = self.write_tx().await?;
        let n: i64 = sqlx::query_scalar("SELECT (SELECT COUNT(*) FROM organisations) + (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM audit_heads)")
            .fetch_one(&mut *tx)
            .await?;
        if n > 0 {
            if !force {
                return Err(StoreError::Conflict(
                    "the database is not empty: pass --force to replace everything in it".into(),
                ));
            }
            for table in TABLES.iter().rev() {
                sqlx::query(&format!("DELETE FROM {}", table.name)).execute(&mut *tx).await?;
            }
        }
        Ok(tx)
    }
}

fn open_lines(path: &Path) -> Result<std::io::BufReader<std::fs::File>> {
    let file = std::fs::File::open(path).map_err(|e| io_err(&format!("cannot open {}", path.display()), e))?;
    Ok(std::io::BufReader::new(file))
}

async fn insert_row(tx: &mut Transaction<'static, Any>, table: &Table, columns: &[String], value: Value) -> Result<()> {
    let Value::Array(values) = value else {
        return Err(StoreError::Io(format!("a row of {} is not a JSON array", table.name)));
    };
    if values.len() != columns.len() {
        return Err(StoreError::Io(format!(
            "a row of {} has {} values for {} columns",
            table.name,
            values.len(),
            columns.len()
        )));
    }
    let placeholders = (1..=columns.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    for c in columns {
        if !table.columns.iter().any(|(name, _)| name == c) {
            return Err(StoreError::Io(format!("unknown column {c} of {}", table.name)));
        }
    }
    let sql = format!("INSERT INTO {} ({}) VALUES ({placeholders})", table.name, columns.join(", "));
    let mut query = sqlx::query(&sql);
    for (c, v) in columns.iter().zip(values) {
        let kind = table.columns.iter().find(|(name, _)| name == c).map(|(_, k)| *k).unwrap_or(Text);
        query = match (kind, v) {
            (Text, Value::String(s)) => query.bind(s),
            (Text, Value::Null) => query.bind(None::<String>),
            (Int, Value::Number(n)) => query
                .bind(n.as_i64().ok_or_else(|| StoreError::Io(format!("{c} of {} is not an integer", table.name)))?),
            (Int, Value::Null) => query.bind(None::<i64>),
            (_, other) => {
                return Err(StoreError::Io(format!("{c} of {} has an unexpected value {other}", table.name)));
            }
        };
    }
    query.execute(&mut **tx).await?;
    Ok(())
}
